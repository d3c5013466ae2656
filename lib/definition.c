/*
 * A metric's definition, compared: what makes a constructor call ask for a
 * metric that is already registered (client_golang's AlreadyRegisteredError
 * case), so that the registry hands that one back instead of refusing the
 * name -- its type, name, help, unit, variable label names (in order),
 * constant labels (in any order), and what its type adds (buckets,
 * objectives, states; an info's pairs). The child limit is not part of it,
 * as in Go. When the definitions differ, the message says how.
 */
#include <stdio.h>
#include <string.h>

#include "definition.h"
#include "internal.h"

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The constant labels of a and b as sets. */
static bool same_const(const struct promc_metric *a, const struct promc_metric *b)
{
    if (a->nconst != b->nconst)
        return false;
    for (size_t i = 0; i < a->nconst; i++) {
        bool found = false;
        for (size_t j = 0; j < b->nconst && !found; j++)
            found = strcmp(a->label_names[a->nlabels + i], b->label_names[b->nlabels + j]) == 0 &&
                    strcmp(a->const_values[i], b->const_values[j]) == 0;
        if (!found)
            return false;
    }
    return true;
}

static bool same_label_names(const struct promc_metric *a, const struct promc_metric *b)
{
    if (a->nlabels != b->nlabels)
        return false;
    for (size_t i = 0; i < a->nlabels; i++)
        if (strcmp(a->label_names[i], b->label_names[i]) != 0)
            return false;
    return true;
}

bool promc__same_definition(const struct promc_metric *have, const struct promc_metric *want,
                            char *why, size_t cap)
{
    const char *what = NULL;
    if (have->ops != want->ops || have->ops->collect)
        what = "another type";
    else if (strcmp(have->desc.name, want->desc.name) != 0)
        what = "another name";
    else if (!same_str(have->desc.help, want->desc.help))
        what = "another help text";
    else if (!same_str(have->desc.unit, want->desc.unit))
        what = "another unit";
    else if (!same_label_names(have, want))
        what = "other label names";
    else if (!same_const(have, want))
        what = "other constant labels";
    else if (have->ops->same_data && !have->ops->same_data(have, want))
        what = have->ops->type == PROMC_HISTOGRAM ? "other buckets"
               : have->ops->type == PROMC_SUMMARY ? "other objectives or window"
               : have->ops->type == PROMC_INFO    ? "other pairs"
                                                  : "other states";
    if (!what)
        return true;
    snprintf(why, cap, "%s", what);
    return false;
}
