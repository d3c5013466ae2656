/*
 * Infos: a constant set of key/value pairs exposed as <name>_info{pairs} 1.
 * Built on the family machinery: the keys are the family's label names and
 * the pairs its single child, so validation and escaping are the labels'.
 * The handle is the family itself.
 */
#include <string.h>

#include "constructor.h"
#include "family.h"
#include "internal.h"
#include "mp_series.h"
#include "registry.h"

#define MAX_PAIRS 64

static void info_child_series(struct promc_metric *m, struct promc__child *c, struct promc__sink *s,
                              const struct promc__labels *ls)
{
    (void)m;
    (void)c;
    struct promc__series x = {.labels = ls, .value = promc__vu(1)};
    promc__sink_series(s, &x);
}

/* The pairs are the one child's labels: the same values text, the same
 * pairs (the keys, as label names, are compared before). */
static bool info_same(const struct promc_metric *a, const struct promc_metric *b)
{
    const struct promc__child *x = promc__family_root((struct promc_metric *)a),
                              *y = promc__family_root((struct promc_metric *)b);
    if (!x || !y)
        return !x && !y;
    return strcmp(promc__child_values(x), promc__child_values(y)) == 0;
}

static const struct promc__ops info_ops = {
    .type = PROMC_INFO,
    .same_data = info_same,
    .child_series = info_child_series,
};

promc_info *promc_info_new(promc_registry *reg, const char *name, const char *help,
                           const promc_label *pairs, size_t npairs, const promc_metric_opts *opts)
{
    if (promc__mp_no_mode(opts, "info", name) != PROMC_OK)
        return NULL;
    const char *nm = name ? name : "(null)";
    if (npairs && !pairs)
        return promc__fail_null(PROMC_EINVAL, "info \"%s\": pairs missing", nm);
    if (npairs > MAX_PAIRS)
        return promc__fail_null(PROMC_EINVAL, "info \"%s\": %zu pairs, at most %d", nm, npairs,
                                MAX_PAIRS);
    const char *keys[MAX_PAIRS + 1];
    const char *values[MAX_PAIRS];
    for (size_t i = 0; i < npairs; i++) {
        keys[i] = pairs[i].name;
        values[i] = pairs[i].value;
        if (!keys[i])
            return promc__fail_null(PROMC_EINVAL, "info \"%s\": pair %zu has no key", nm, i);
    }
    keys[npairs] = NULL;
    promc_registry *target;
    if (promc__registry_for_new(reg, &target) != PROMC_OK)
        return NULL;
    /* Registered only once the pair is in place: a scrape must never see an
     * info without its one sample. */
    struct promc__new_args a = {.reg = PROMC_NO_REGISTRY,
                                .ops = &info_ops,
                                .name = name,
                                .help = help,
                                .label_names = keys,
                                .vec = npairs > 0,
                                .unit = opts ? opts->unit : NULL,
                                .const_labels = opts ? opts->const_labels : NULL,
                                .nconst = opts ? opts->nconst_labels : 0,
                                .wrap = promc__registry_wrap_of(reg),
                                .child_size = sizeof(struct promc__child),
                                .utf8_names = target && promc__registry_utf8(target)};
    struct promc_metric *m = promc__metric_create(&a);
    if (!m)
        return NULL;
    if (npairs && !promc__family_labels(m, values, npairs)) {
        promc__metric_unref(m);
        return NULL;
    }
    return (promc_info *)promc__registry_publish(target, m);
}

promc_metric *promc_info_metric(promc_info *i)
{
    return (promc_metric *)i;
}

int promc_info_free(promc_info *i)
{
    return promc__metric_release((struct promc_metric *)i);
}
