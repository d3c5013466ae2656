/*
 * The public registry calls that take a registry argument: each resolves it
 * (NULL = default, PROMC_NO_REGISTRY refused; default_registry.c), checks the
 * metric argument, and hands over to the core (registry.c).
 */
#include "family.h"
#include "internal.h"
#include "registry.h"

int promc_registry_register(promc_registry *reg, promc_metric *m)
{
    if (!m)
        return promc__fail(PROMC_EINVAL, "promc_registry_register: NULL metric");
    if (promc__registry_arg(reg, "promc_registry_register", &reg) != PROMC_OK)
        return promc_last_error_code();
    return promc__registry_add(reg, m);
}

int promc_registry_unregister(promc_registry *reg, promc_metric *m)
{
    if (!m)
        return promc__fail(PROMC_EINVAL, "promc_registry_unregister: NULL metric");
    if (promc__registry_arg(reg, "promc_registry_unregister", &reg) != PROMC_OK)
        return promc_last_error_code();
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
