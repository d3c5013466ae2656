/*
 * The steps every typed constructor shares, so that counter.c, gauge.c and
 * the rest only say what is particular to their type: resolve the registry
 * argument, fold the name as the type wants, take the registry's default
 * child limit, create the family and register it.
 */
#include <stdbool.h>
#include <string.h>

#include "constructor.h"
#include "family.h"
#include "internal.h"
#include "registry.h"
#include "types.h"

static void release_type_data(const struct promc__new_args *a)
{
    if (a->ops->fini) {
        struct promc_metric tmp = {.ops = a->ops, .type_data = a->type_data};
        a->ops->fini(&tmp);
    }
}

/* The constant labels of a new metric: its own, then the wrapper's. Into
 * small when they fit; NULL when out of memory. */
static bool merge_labels(const struct promc__new_args *a, const struct promc__wrap *w,
                         promc_label *small, size_t cap, const promc_label **out, size_t *n)
{
    size_t own = a->const_labels ? a->nconst : 0;
    *out = a->const_labels;
    *n = a->nconst;
    if (!w || !w->nlabels || (a->nconst && !a->const_labels))
        return true; /* family.c reports a NULL array with a count */
    *n = own + w->nlabels;
    promc_label *all = *n <= cap ? small : promc__malloc(*n * sizeof *all);
    if (!all)
        return false;
    *out = all;
    for (size_t i = 0; i < own; i++)
        all[i] = a->const_labels[i];
    for (size_t i = 0; i < w->nlabels; i++)
        all[own + i] = w->labels[i];
    return true;
}

struct promc_metric *promc__metric_create(const struct promc__new_args *a)
{
    const char *what = promc__type(a->ops->type)->name;
    promc_registry *target;
    const char *fail = NULL;
    if (a->vec && (!a->label_names || !a->label_names[0]))
        fail = "a labelled family needs at least one label name (an unlabelled metric has "
               "its own constructor)";
    else if (!a->name)
        fail = "the name is NULL";
    if (fail) {
        release_type_data(a);
        return promc__fail_null(PROMC_EINVAL, "%s \"%s\": %s", what, a->name ? a->name : "(null)",
                                fail);
    }
    if (promc__registry_for_new(a->reg, &target) != PROMC_OK) {
        release_type_data(a);
        return NULL;
    }
    const struct promc__wrap *w = promc__registry_wrap_of(a->reg);
    if (!w)
        w = a->wrap;
    const char *prefix = w ? w->prefix : "";
    size_t plen = strlen(prefix);
    char small[128];
    size_t blen = promc__base_len(a->ops->type, a->name);
    char *base = plen + blen < sizeof small ? small : promc__malloc(plen + blen + 1);
    promc_label small_labels[8];
    size_t nconst;
    const promc_label *labels;
    bool merged = merge_labels(a, w, small_labels, 8, &labels, &nconst);
    if (!base || !merged) {
        if (merged && labels != a->const_labels && labels != small_labels)
            promc__free((void *)labels);
        if (base != small)
            promc__free(base);
        release_type_data(a);
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating %s \"%s\"", what, a->name);
    }
    memcpy(base, prefix, plen);
    memcpy(base + plen, a->name, blen);
    base[plen + blen] = '\0';
    size_t max_children = a->max_children;
    if (!max_children && target)
        max_children = promc__registry_max_children(target);
    bool utf8 = a->utf8_names || (target && promc__registry_utf8(target));
    struct promc_metric *m = promc__family_new(
        a->ops, base, a->help, a->vec ? a->label_names : NULL, a->unit, max_children, a->child_size,
        a->reserve_name ? base : a->reserved, utf8, labels, nconst, a->type_data);
    if (base != small)
        promc__free(base);
    if (labels != a->const_labels && labels != small_labels)
        promc__free((void *)labels);
    return promc__registry_publish(target, m);
}
