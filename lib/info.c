/*
 * Infos: a constant set of key/value pairs exposed as <name>_info{pairs} 1.
 * Built on the family machinery: the keys are the family's label names and
 * the pairs its single child, so validation and escaping are the labels'.
 */
#include <string.h>

#include "internal.h"

static void info_collect_child(struct promc_metric *m, struct promc__child *c, promc__enc *e,
                               const struct promc__labels *ls)
{
    (void)m;
    (void)c;
    promc__enc_sample(e, "_info", ls, NULL, promc__vu(1));
}

static const struct promc__ops info_ops = {
    .type = PROMC_INFO,
    .collect_child = info_collect_child,
};

promc_info *promc_info_new(promc_registry *reg, const char *name, const char *help,
                           const promc_label *pairs, size_t npairs)
{
    if (npairs && !pairs)
        return promc__fail_null(PROMC_EINVAL, "info \"%s\": pairs missing", name ? name : "(null)");
    if (npairs > 64)
        return promc__fail_null(PROMC_EINVAL, "info \"%s\": at most 64 pairs",
                                name ? name : "(null)");
    const char *keys[65];
    const char *values[64];
    for (size_t i = 0; i < npairs; i++) {
        keys[i] = pairs[i].name;
        values[i] = pairs[i].value;
        if (!keys[i])
            return promc__fail_null(PROMC_EINVAL, "info \"%s\": pair %zu has no key",
                                    name ? name : "(null)", i);
    }
    keys[npairs] = NULL;

    /* "build" and "build_info" both mean the family build, sample build_info. */
    char *base = NULL;
    size_t len = name ? strlen(name) : 0;
    if (len > 5 && strcmp(name + len - 5, "_info") == 0) {
        base = promc__strdup(name);
        if (!base)
            return promc__fail_null(PROMC_ENOMEM, "out of memory creating info \"%s\"", name);
        base[len - 5] = '\0';
        name = base;
    }
    /* Register only once the pairs are in place: a scrape must never see an
     * info without its one sample. */
    struct promc_metric *m =
        promc__family_new(PROMC_NO_REGISTRY, &info_ops, name, help, npairs ? keys : NULL, NULL, 0,
                          sizeof(struct promc__child), NULL, NULL);
    promc__free(base);
    if (!m)
        return NULL;
    if (npairs && !promc__family_labels(m, values, npairs))
        goto fail;
    if (reg != PROMC_NO_REGISTRY && promc_registry_register(reg, m) != PROMC_OK)
        goto fail;
    promc__ok();
    return (promc_info *)m->root;
fail:
    promc__metric_unref(m);
    return NULL;
}

promc_metric *promc_info_metric(promc_info *i)
{
    return promc__family_of(i);
}

void promc_info_free(promc_info *i)
{
    promc__metric_unref(promc__family_of(i));
}
