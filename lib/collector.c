/*
 * The public constructors of custom collectors: resolve the registry
 * argument (a wrapper: the collector applies its prefix and labels),
 * create the collector (emitter.c) and register it. On a failed
 * registration the user's free_fn is not called: userdata stays the caller's.
 */
#include <string.h>

#include "emitter.h"
#include "family.h"
#include "internal.h"
#include "registry.h"

/* The declared names with the wrapper's prefix, as the collector will emit
 * them: one allocation, pointers then strings. NULL when out of memory. */
static const char **prefixed(const char *prefix, const char *const *names)
{
    size_t n = 0, bytes = 0, plen = strlen(prefix);
    for (; names[n]; n++)
        bytes += plen + strlen(names[n]) + 1;
    const char **out = promc__malloc((n + 1) * sizeof *out + bytes);
    if (!out)
        return NULL;
    char *p = (char *)(out + n + 1);
    for (size_t i = 0; i < n; i++) {
        out[i] = p;
        memcpy(p, prefix, plen);
        p += plen;
        size_t len = strlen(names[i]) + 1;
        memcpy(p, names[i], len);
        p += len;
    }
    out[n] = NULL;
    return out;
}

promc_metric *promc_collector_new_opts(promc_registry *reg, promc_collect_fn fn, void *userdata,
                                       void (*free_fn)(void *), const char *const *names,
                                       const promc_collector_opts *opts)
{
    promc_registry *target;
    if (promc__registry_for_new(reg, &target) != PROMC_OK)
        return NULL;
    /* Through a wrapper, the collector keeps a copy of its prefix and
     * labels and applies them to everything it emits, its declared names
     * included. */
    const struct promc__wrap *w = promc__registry_wrap_of(reg);
    const char **declared = NULL;
    struct promc__wrap *copy = NULL;
    if (w &&
        ((names && !(declared = prefixed(w->prefix, names))) || !(copy = promc__wrap_copy(w)))) {
        promc__free(declared);
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating a collector");
    }
    struct promc_metric *m =
        promc__collector_create(fn, userdata, free_fn, declared ? declared : names,
                                target && promc__registry_utf8(target), opts);
    promc__free(declared);
    if (!m) {
        promc__wrap_free(copy);
        return NULL;
    }
    if (copy)
        promc__collector_wrap(m, copy);
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
