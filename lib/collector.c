/*
 * The public constructors of custom collectors: resolve the registry
 * argument, create the collector (emitter.c) and register it. On a failed
 * registration the user's free_fn is not called: userdata stays the caller's.
 */
#include "emitter.h"
#include "family.h"
#include "internal.h"
#include "registry.h"

promc_metric *promc_collector_new_opts(promc_registry *reg, promc_collect_fn fn, void *userdata,
                                       void (*free_fn)(void *), const char *const *names,
                                       const promc_collector_opts *opts)
{
    promc_registry *target;
    if (promc__registry_wrap_of(reg))
        return promc__fail_null(PROMC_EINVAL,
                                "promc_collector_new: a custom collector cannot be created "
                                "through a wrapped registry (its samples are its own): create "
                                "it in the registry the wrapper wraps");
    if (promc__registry_for_new(reg, &target) != PROMC_OK)
        return NULL;
    struct promc_metric *m = promc__collector_create(fn, userdata, free_fn, names,
                                                     target && promc__registry_utf8(target), opts);
    if (!m)
        return NULL;
    if (target && promc__registry_add(target, m) != PROMC_OK) {
        promc__collector_disarm(m);
        promc__metric_unref(m);
        return NULL;
    }
    promc__ok();
    return m;
}

promc_metric *promc_collector_new(promc_registry *reg, promc_collect_fn fn, void *userdata,
                                  void (*free_fn)(void *), const char *const *names)
{
    return promc_collector_new_opts(reg, fn, userdata, free_fn, names, NULL);
}
