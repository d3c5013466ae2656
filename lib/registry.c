/*
 * Registries: an ordered list of metrics (scraped in registration order) and
 * a hash set of every sample name they emit, so that a second family that
 * would emit x_total, x_created, x_bucket... beside an existing one is refused
 * at registration with both names in the message, not found at scrape time.
 */
#include <string.h>

#include "internal.h"

/* The default registry is created on first use under a mutex (not
 * pthread_once, so that a creation that ran out of memory is retried next
 * time) and published through an atomic pointer for the lock-free fast path. */
static promc_registry *_Atomic default_registry;
static promc_metric *default_process; /* holds its own reference */
static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *type_name(promc_type t)
{
    static const char *const names[] = {"counter",  "gauge", "histogram", "summary",
                                        "stateset", "info",  "untyped"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "collector";
}

promc_registry *promc_registry_new(void)
{
    promc_registry *r = promc__calloc(1, sizeof *r);
    if (!r)
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating a registry");
    promc__rwlock_init(&r->lock);
    atomic_init(&r->created, 1);
    return r;
}

promc_registry *promc_default_registry(void)
{
    promc_registry *r = atomic_load_explicit(&default_registry, memory_order_acquire);
    if (r)
        return r;
    pthread_mutex_lock(&default_lock);
    r = atomic_load_explicit(&default_registry, memory_order_relaxed);
    if (!r && (r = promc_registry_new()) != NULL) {
        /* Created with PROMC_NO_REGISTRY: reg = NULL would recurse into us.
         * Without it (out of memory), the default registry works all the same. */
        default_process = promc_process_collector_new(PROMC_NO_REGISTRY, NULL);
        if (default_process && promc_registry_register(r, default_process) != PROMC_OK) {
            promc_metric_free(default_process);
            default_process = NULL;
        }
        atomic_store_explicit(&default_registry, r, memory_order_release);
        promc__ok();
    }
    pthread_mutex_unlock(&default_lock);
    return r;
}

promc_metric *promc_default_process_collector(void)
{
    if (!promc_default_registry())
        return NULL;
    pthread_mutex_lock(&default_lock);
    promc_metric *p = default_process;
    pthread_mutex_unlock(&default_lock);
    return p;
}

static void registry_destroy(promc_registry *reg)
{
    promc_registry_clear(reg);
    promc__free(reg->items);
    promc__free(reg->claims);
    pthread_rwlock_destroy(&reg->lock);
    promc__free(reg);
}

void promc_shutdown(void)
{
    pthread_mutex_lock(&default_lock);
    promc_registry *r = atomic_exchange(&default_registry, NULL);
    promc_metric *p = default_process;
    default_process = NULL;
    pthread_mutex_unlock(&default_lock);
    if (r)
        registry_destroy(r);
    promc_metric_free(p);
}

promc_registry *promc__registry_resolve(promc_registry *reg)
{
    return reg ? reg : promc_default_registry();
}

void promc_registry_free(promc_registry *reg)
{
    if (!reg || reg == atomic_load_explicit(&default_registry, memory_order_acquire))
        return;
    registry_destroy(reg);
}

void promc_registry_set_max_children(promc_registry *reg, size_t max_children)
{
    reg = promc__registry_resolve(reg);
    if (!reg)
        return;
    pthread_rwlock_wrlock(&reg->lock);
    reg->default_max_children = max_children;
    pthread_rwlock_unlock(&reg->lock);
}

void promc_registry_set_created(promc_registry *reg, int enabled)
{
    reg = promc__registry_resolve(reg);
    if (reg)
        atomic_store(&reg->created, enabled ? 1 : 0);
}

/* ===================================================================== */
/* The claims set                                                         */
/* ===================================================================== */

static uint64_t hash_name(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct promc__claim *claim_slot(struct promc__claim *t, size_t size, const char *name)
{
    size_t i = hash_name(name) & (size - 1);
    while (t[i].name && strcmp(t[i].name, name) != 0)
        i = (i + 1) & (size - 1);
    return &t[i];
}

static void claims_insert(promc_registry *r, struct promc_metric *m)
{
    for (char **c = m->claims; c && *c; c++) {
        struct promc__claim *slot = claim_slot(r->claims, r->claims_size, *c);
        slot->name = *c;
        slot->owner = m;
        r->claims_used++;
    }
}

static size_t count_claims(const struct promc_metric *m)
{
    size_t n = 0;
    for (char **c = m->claims; c && *c; c++)
        n++;
    return n;
}

/* Keeps the table at most half full, so probing stays short. */
static int claims_reserve(promc_registry *r, size_t more)
{
    if ((r->claims_used + more) * 2 < r->claims_size)
        return PROMC_OK;
    size_t size = r->claims_size ? r->claims_size : 64;
    while ((r->claims_used + more) * 2 >= size)
        size *= 2;
    struct promc__claim *t = promc__calloc(size, sizeof *t);
    if (!t)
        return PROMC_ENOMEM;
    promc__free(r->claims);
    r->claims = t;
    r->claims_size = size;
    r->claims_used = 0;
    for (size_t i = 0; i < r->n; i++)
        claims_insert(r, r->items[i]);
    return PROMC_OK;
}

const char *promc__registry_claimed(promc_registry *reg, const char *name,
                                    const struct promc_metric *self)
{
    if (!reg || !reg->claims)
        return NULL;
    struct promc__claim *slot = claim_slot(reg->claims, reg->claims_size, name);
    return slot->name && slot->owner != self ? slot->owner->desc.name : NULL;
}

/* ===================================================================== */
/* Register / unregister                                                  */
/* ===================================================================== */

int promc_registry_register(promc_registry *reg, promc_metric *m)
{
    if (!m)
        return promc__fail(PROMC_EINVAL, "register of a NULL metric");
    reg = promc__registry_resolve(reg);
    if (!reg)
        return promc__fail(PROMC_ENOMEM, "out of memory creating the default registry");
    int rc = PROMC_OK;
    pthread_rwlock_wrlock(&reg->lock);
    for (size_t i = 0; i < reg->n; i++)
        if (reg->items[i] == m) {
            rc = promc__fail(PROMC_EEXIST, "metric \"%s\" is already registered", m->desc.name);
            goto out;
        }
    for (char **c = m->claims; c && *c; c++) {
        if (!reg->claims)
            break;
        struct promc__claim *slot = claim_slot(reg->claims, reg->claims_size, *c);
        if (slot->name) {
            rc = promc__fail(PROMC_EEXIST,
                             "%s \"%s\" would emit \"%s\", already emitted by %s \"%s\"",
                             type_name(m->desc.type), m->desc.name, *c,
                             type_name(slot->owner->desc.type), slot->owner->desc.name);
            goto out;
        }
    }
    if (reg->n == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 16;
        struct promc_metric **items = promc__realloc(reg->items, cap * sizeof *items);
        if (!items) {
            rc = promc__fail(PROMC_ENOMEM, "out of memory registering \"%s\"", m->desc.name);
            goto out;
        }
        reg->items = items;
        reg->cap = cap;
    }
    if (claims_reserve(reg, count_claims(m)) != PROMC_OK) {
        rc = promc__fail(PROMC_ENOMEM, "out of memory registering \"%s\"", m->desc.name);
        goto out;
    }
    reg->items[reg->n++] = m;
    claims_insert(reg, m);
    promc__metric_ref(m);
out:
    pthread_rwlock_unlock(&reg->lock);
    return rc;
}

/* Rebuilds the claims in place (same size, so no allocation can fail). */
static void claims_rebuild(promc_registry *r)
{
    if (!r->claims)
        return;
    memset(r->claims, 0, r->claims_size * sizeof *r->claims);
    r->claims_used = 0;
    for (size_t i = 0; i < r->n; i++)
        claims_insert(r, r->items[i]);
}

int promc_registry_unregister(promc_registry *reg, promc_metric *m)
{
    reg = promc__registry_resolve(reg);
    if (!reg || !m)
        return promc__fail(PROMC_EINVAL, "unregister needs a registry and a metric");
    pthread_rwlock_wrlock(&reg->lock);
    size_t i = 0;
    while (i < reg->n && reg->items[i] != m)
        i++;
    bool found = i < reg->n;
    if (found) {
        memmove(reg->items + i, reg->items + i + 1, (reg->n - i - 1) * sizeof *reg->items);
        reg->n--;
        claims_rebuild(reg);
    }
    pthread_rwlock_unlock(&reg->lock);
    if (!found)
        return promc__fail(PROMC_ENOENT, "metric \"%s\" is not in this registry", m->desc.name);
    promc__metric_unref(m);
    return PROMC_OK;
}

void promc_registry_clear(promc_registry *reg)
{
    reg = promc__registry_resolve(reg);
    if (!reg)
        return;
    pthread_rwlock_wrlock(&reg->lock);
    struct promc_metric **items = reg->items;
    size_t n = reg->n;
    reg->items = NULL;
    reg->n = reg->cap = 0;
    if (reg->claims)
        memset(reg->claims, 0, reg->claims_size * sizeof *reg->claims);
    reg->claims_used = 0;
    pthread_rwlock_unlock(&reg->lock);
    for (size_t i = 0; i < n; i++)
        promc__metric_unref(items[i]);
    promc__free(items);
}
