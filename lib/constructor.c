/*
 * The steps every typed constructor shares, so that counter.c, gauge.c and
 * the rest only say what is particular to their type: resolve the registry
 * argument, fold the name as the type wants, take the registry's default
 * child limit, create the family and register it.
 */
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
    char small[128];
    size_t blen = promc__base_len(a->ops->type, a->name);
    char *base = blen < sizeof small ? small : promc__malloc(blen + 1);
    if (!base) {
        release_type_data(a);
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating %s \"%s\"", what, a->name);
    }
    memcpy(base, a->name, blen);
    base[blen] = '\0';
    size_t max_children = a->max_children;
    if (!max_children && target)
        max_children = promc__registry_max_children(target);
    bool utf8 = a->utf8_names || (target && promc__registry_utf8(target));
    struct promc_metric *m =
        promc__family_new(a->ops, base, a->help, a->vec ? a->label_names : NULL, a->unit,
                          max_children, a->child_size, a->reserved, utf8, a->type_data);
    if (base != small)
        promc__free(base);
    return promc__registry_publish(target, m);
}
