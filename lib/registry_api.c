/*
 * The public registry calls that take a registry argument: each resolves it
 * (NULL = default, PROMC_NO_REGISTRY refused, a wrapper only for register
 * and unregister; default_registry.c), checks the
 * metric argument, and hands over to the core (registry.c).
 */
#include "emitter.h"
#include "family.h"
#include "internal.h"
#include "registry.h"

/* Was m created through a wrapper like w (a collector keeps a copy of it)? */
static bool through(const struct promc__wrap *w, const struct promc_metric *m)
{
    return m->ops->collect ? promc__wrap_same(w, promc__collector_wrap_of(m))
                           : promc__wrap_carries(w, m);
}

int promc_registry_register(promc_registry *reg, promc_metric *m)
{
    if (!m)
        return promc__fail(PROMC_EINVAL, "promc_registry_register: NULL metric");
    const struct promc__wrap *wrap;
    if (promc__registry_arg_wrapped(reg, "promc_registry_register", &reg, &wrap) != PROMC_OK)
        return promc_last_error_code();
    /* A metric's name and labels are fixed at creation: a wrapper can take
     * back only one that already has what it adds (created through it). */
    if (wrap && !through(wrap, m))
        return promc__fail(PROMC_EINVAL,
                           "promc_registry_register: \"%s\" lacks the prefix or labels of the "
                           "wrapped registry: create it through the wrapper instead",
                           m->desc.name);
    return promc__registry_add(reg, m);
}

int promc_registry_unregister(promc_registry *reg, promc_metric *m)
{
    if (!m)
        return promc__fail(PROMC_EINVAL, "promc_registry_unregister: NULL metric");
    const struct promc__wrap *wrap;
    if (promc__registry_arg_wrapped(reg, "promc_registry_unregister", &reg, &wrap) != PROMC_OK)
        return promc_last_error_code();
    if (wrap && !through(wrap, m))
        return promc__fail(PROMC_ENOENT,
                           "promc_registry_unregister: \"%s\" was not registered through this "
                           "wrapped registry (it lacks its prefix or labels)",
                           m->desc.name);
    return promc__registry_remove(reg, m);
}

int promc_registry_clear(promc_registry *reg)
{
    if (promc__registry_arg(reg, "promc_registry_clear", &reg) != PROMC_OK)
        return promc_last_error_code();
    promc__registry_clear(reg);
    return promc__ok();
}

int promc_registry_set_max_children(promc_registry *reg, size_t max_children)
{
    if (promc__registry_arg(reg, "promc_registry_set_max_children", &reg) != PROMC_OK)
        return promc_last_error_code();
    pthread_rwlock_wrlock(&reg->lock);
    reg->default_max_children = max_children;
    pthread_rwlock_unlock(&reg->lock);
    return promc__ok();
}

int promc_registry_set_utf8_names(promc_registry *reg, int enabled)
{
    if (promc__registry_arg(reg, "promc_registry_set_utf8_names", &reg) != PROMC_OK)
        return promc_last_error_code();
    atomic_store(&reg->utf8_names, enabled != 0);
    return promc__ok();
}

int promc_registry_set_created(promc_registry *reg, int enabled)
{
    if (promc__registry_arg(reg, "promc_registry_set_created", &reg) != PROMC_OK)
        return promc_last_error_code();
    atomic_store(&reg->created, enabled ? 1 : 0);
    return promc__ok();
}

promc_registry *promc_registry_wrap(promc_registry *reg, const char *prefix,
                                    const promc_label *labels, size_t nlabels)
{
    /* A wrapper of a wrapper keeps the registry at the end of the chain;
     * anything else resolves as a registry argument does (NULL: the
     * default registry; PROMC_NO_REGISTRY refused). */
    const struct promc__wrap *w = promc__registry_wrap_of(reg);
    if (w)
        return promc__wrap_new(reg, w->root, prefix, labels, nlabels);
    promc_registry *inner;
    if (promc__registry_arg(reg, "promc_registry_wrap", &inner) != PROMC_OK)
        return NULL;
    return promc__wrap_new(inner, inner, prefix, labels, nlabels);
}
