/*
 * What a registry argument means. NULL is the process-wide default registry,
 * created here on first use together with its process collector; the
 * sentinel PROMC_NO_REGISTRY means "none" for constructors and is refused
 * everywhere else. Every public call that takes a registry resolves it
 * through this file, so the core below (registry.c, family.c, gather.c)
 * only ever sees real registries, and the default registry with its process
 * collector is assembled above the core instead of inside it.
 */
#include "collection.h"
#include "process.h"
#include "family.h"
#include "internal.h"
#include "registry.h"

/* Created on first use under a mutex (not pthread_once, so that a creation
 * that ran out of memory is retried next time) and published through an
 * atomic pointer for the lock-free fast path. */
static promc_registry *_Atomic default_registry;
static struct promc_metric *default_process; /* holds its own reference */
static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;

static promc_registry *get_default(void)
{
    promc_registry *r = atomic_load_explicit(&default_registry, memory_order_acquire);
    if (r)
        return r;
    pthread_mutex_lock(&default_lock);
    r = atomic_load_explicit(&default_registry, memory_order_relaxed);
    if (!r && (r = promc__registry_create()) != NULL) {
        r->is_default = true;
        /* Without it (out of memory), the default registry works all the same. */
        default_process = promc__process_collector_create(NULL);
        if (default_process && promc__registry_add(r, default_process) != PROMC_OK) {
            promc__metric_unref(default_process);
            default_process = NULL;
        }
        atomic_store_explicit(&default_registry, r, memory_order_release);
    }
    pthread_mutex_unlock(&default_lock);
    return r;
}

int promc__registry_for_new(promc_registry *reg, promc_registry **out)
{
    if (reg == PROMC_NO_REGISTRY) {
        *out = NULL;
        return PROMC_OK;
    }
    if (reg && reg->wrap) {
        *out = reg->wrap->root;
        return PROMC_OK;
    }
    *out = reg ? reg : get_default();
    if (!*out)
        return promc__fail(PROMC_ENOMEM, "out of memory creating the default registry");
    return PROMC_OK;
}

int promc__registry_arg_wrapped(promc_registry *reg, const char *fn, promc_registry **out,
                                const struct promc__wrap **wrap)
{
    *wrap = NULL;
    if (reg && reg != PROMC_NO_REGISTRY && reg->wrap) {
        *wrap = reg->wrap;
        *out = reg->wrap->root;
        return PROMC_OK;
    }
    return promc__registry_arg(reg, fn, out);
}

int promc__registry_arg(promc_registry *reg, const char *fn, promc_registry **out)
{
    if (reg == PROMC_NO_REGISTRY)
        return promc__fail(PROMC_EINVAL,
                           "%s: PROMC_NO_REGISTRY is not a registry (it is only for constructors)",
                           fn);
    if (reg && reg->wrap)
        return promc__fail(PROMC_EINVAL,
                           "%s: a wrapped registry (promc_registry_wrap) only creates, registers "
                           "and unregisters metrics: pass the registry it wraps",
                           fn);
    *out = reg ? reg : get_default();
    if (!*out)
        return promc__fail(PROMC_ENOMEM, "%s: out of memory creating the default registry", fn);
    return PROMC_OK;
}

promc_registry *promc_default_registry(void)
{
    promc_registry *r = get_default();
    if (!r)
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating the default registry");
    promc__ok();
    return r;
}

promc_metric *promc_default_process_collector(void)
{
    if (!get_default())
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating the default registry");
    pthread_mutex_lock(&default_lock);
    promc_metric *p = default_process;
    pthread_mutex_unlock(&default_lock);
    if (!p)
        return promc__fail_null(PROMC_ENOMEM, "the default registry has no process collector "
                                              "(out of memory when it was created)");
    promc__ok();
    return p;
}

void promc_shutdown(void)
{
    pthread_mutex_lock(&default_lock);
    promc_registry *r = atomic_exchange(&default_registry, NULL);
    struct promc_metric *p = default_process;
    default_process = NULL;
    pthread_mutex_unlock(&default_lock);
    if (r)
        promc__registry_unref(r);
    promc__metric_unref(p);
    promc__collection_threads_stop();
}

promc_metric *promc_process_collector_new(promc_registry *reg, const char *proc_root)
{
    promc_registry *target;
    if (promc__registry_wrap_of(reg))
        return promc__fail_null(PROMC_EINVAL, "promc_process_collector_new: not through a "
                                              "wrapped registry: pass the registry it wraps");
    if (promc__registry_for_new(reg, &target) != PROMC_OK)
        return NULL;
    return promc__registry_publish(target, promc__process_collector_create(proc_root));
}
