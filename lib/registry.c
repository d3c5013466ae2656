/*
 * Registries: an ordered list of metrics (scraped in registration order) and
 * a hash set of every sample name they emit, so that a second family that
 * would emit x_total, x_created, x_bucket... beside an existing one is refused
 * at registration with both names in the message, not found at scrape time.
 * The library's own families (promc_children_refused, promc_collector_*)
 * are claimed in every registry from its creation, and two custom
 * collectors of one name are refused (the name labels their series). A
 * registry is reference-counted: its creator, each running scrape, each
 * collection started by one, and each HTTP server serving it hold one; so
 * is the member list a scrape walks.
 */
#include <string.h>

#include "definition.h"
#include "family.h"
#include "internal.h"
#include "registry.h"
#include "types.h"

static const char *const reserved_claims[] = {PROMC__REFUSED_FAMILY,
                                              PROMC__REFUSED_FAMILY "_total",
                                              PROMC__REFUSED_FAMILY "_created",
                                              PROMC__COLLECTOR_DURATION_FAMILY,
                                              PROMC__COLLECTOR_TIMEOUTS_FAMILY,
                                              PROMC__COLLECTOR_TIMEOUTS_FAMILY "_total",
                                              PROMC__COLLECTOR_TIMEOUTS_FAMILY "_created",
                                              NULL};

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

static void claim_insert(promc_registry *r, const char *name, struct promc_metric *owner)
{
    struct promc__claim *slot = claim_slot(r->claims, r->claims_size, name);
    slot->name = name;
    slot->owner = owner;
    r->claims_used++;
}

static void claims_insert(promc_registry *r, struct promc_metric *m)
{
    for (char **c = m->claims; c && *c; c++)
        claim_insert(r, *c, m);
}

static size_t count_claims(const struct promc_metric *m)
{
    size_t n = 0;
    for (char **c = m->claims; c && *c; c++)
        n++;
    return n;
}

/* Fills the table afresh: the library's names, then every member's. */
static void claims_fill(promc_registry *r)
{
    memset(r->claims, 0, r->claims_size * sizeof *r->claims);
    r->claims_used = 0;
    for (const char *const *c = reserved_claims; *c; c++)
        claim_insert(r, *c, NULL);
    for (size_t i = 0; i < r->n; i++)
        claims_insert(r, r->items[i]);
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
    claims_fill(r);
    return PROMC_OK;
}

bool promc__registry_claimed(promc_registry *reg, const char *name,
                             const struct promc_metric **owner, char *owner_name, size_t cap)
{
    pthread_rwlock_rdlock(&reg->lock);
    struct promc__claim *slot = claim_slot(reg->claims, reg->claims_size, name);
    bool claimed = slot->name != NULL;
    if (claimed) {
        *owner = slot->owner;
        snprintf(owner_name, cap, "%s", slot->owner ? slot->owner->desc.name : "the library");
    }
    pthread_rwlock_unlock(&reg->lock);
    return claimed;
}

/* ===================================================================== */
/* Lifetime                                                               */
/* ===================================================================== */

promc_registry *promc__registry_create(void)
{
    promc_registry *r = promc__calloc(1, sizeof *r);
    if (!r)
        return NULL;
    atomic_init(&r->refs, 1);
    atomic_init(&r->released, false);
    atomic_init(&r->created, 1);
    atomic_init(&r->utf8_names, false);
    promc__rwlock_init(&r->lock);
    if (claims_reserve(r, 0) != PROMC_OK) {
        pthread_rwlock_destroy(&r->lock);
        promc__free(r);
        return NULL;
    }
    return r;
}

void promc__registry_ref(promc_registry *reg)
{
    atomic_fetch_add_explicit(&reg->refs, 1, memory_order_relaxed);
}

void promc__wrap_free(struct promc__wrap *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nlabels; i++) {
        promc__free((char *)w->labels[i].name);
        promc__free((char *)w->labels[i].value);
    }
    promc__free(w->labels);
    promc__free(w->prefix);
    promc__free(w);
}

void promc__registry_unref(promc_registry *reg)
{
    if (atomic_fetch_sub_explicit(&reg->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (reg->wrap) { /* a wrapper: its view, then its reference on what it wraps */
        promc_registry *inner = reg->wrap->inner;
        promc__wrap_free(reg->wrap);
        promc__free(reg);
        promc__registry_unref(inner);
        return;
    }
    promc__registry_clear(reg);
    promc__free(reg->items);
    promc__free(reg->claims);
    pthread_rwlock_destroy(&reg->lock);
    promc__free(reg);
}

promc_registry *promc_registry_new(void)
{
    promc_registry *r = promc__registry_create();
    if (!r)
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating a registry");
    promc__ok();
    return r;
}

int promc_registry_free(promc_registry *reg)
{
    if (!reg)
        return promc__ok();
    if (reg == PROMC_NO_REGISTRY)
        return promc__fail(PROMC_EINVAL,
                           "promc_registry_free: PROMC_NO_REGISTRY is not a registry");
    if (reg->is_default)
        return promc__fail(PROMC_EINVAL, "promc_registry_free: the default registry is freed by "
                                         "promc_shutdown()");
    if (atomic_exchange(&reg->released, true))
        return promc__fail(PROMC_EINVAL, "promc_registry_free: registry already freed (a scrape "
                                         "or a server still holds it)");
    promc__registry_unref(reg);
    return promc__ok();
}

/* ===================================================================== */
/* Members                                                                */
/* ===================================================================== */

/* Adds m; with existing (a constructor's call), a registered metric defined
 * exactly as m is handed back in *existing instead, with a new caller
 * reference, and m is not added. */
static int add(promc_registry *reg, struct promc_metric *m, struct promc_metric **existing)
{
    int rc = PROMC_OK;
    pthread_rwlock_wrlock(&reg->lock);
    for (size_t i = 0; i < reg->n; i++) {
        if (reg->items[i] == m) {
            rc = promc__fail(PROMC_EEXIST, "metric \"%s\" is already registered", m->desc.name);
            goto out;
        }
        /* A collector's name labels its promc_collector_* series: one
         * collector a name in a registry. */
        if (m->ops->collect && reg->items[i]->ops->collect &&
            strcmp(reg->items[i]->desc.name, m->desc.name) == 0) {
            rc = promc__fail(PROMC_EEXIST, "a collector named \"%s\" is already registered",
                             m->desc.name);
            goto out;
        }
    }
    if (m->utf8_names && !promc__registry_utf8(reg)) {
        rc = promc__fail(PROMC_EINVAL,
                         "%s \"%s\" has names outside the legacy grammars, and this registry does "
                         "not allow UTF-8 names (promc_registry_set_utf8_names)",
                         m->ops->collect ? "collector" : promc__type(m->desc.type)->name,
                         m->desc.name);
        goto out;
    }
    for (char **c = m->claims; c && *c; c++) {
        struct promc__claim *slot = claim_slot(reg->claims, reg->claims_size, *c);
        if (!slot->name)
            continue;
        const struct promc__type_info *mine = promc__type(m->desc.type);
        const char *what = m->ops->collect ? "collector" : mine->name;
        char why[64] = "";
        if (slot->owner && existing && promc__same_definition(slot->owner, m, why, sizeof why)) {
            *existing = slot->owner;
            atomic_fetch_add_explicit(&slot->owner->owners, 1, memory_order_relaxed);
            promc__metric_ref(slot->owner);
            rc = promc__ok();
            goto out;
        }
        if (slot->owner && existing && slot->owner->ops == m->ops &&
            strcmp(slot->owner->desc.name, m->desc.name) == 0)
            rc = promc__fail(PROMC_EEXIST,
                             "%s \"%s\" is already registered with %s: %s \"%s\" cannot be "
                             "created again differently",
                             what, m->desc.name, why, what, m->desc.name);
        else if (!slot->owner)
            rc =
                promc__fail(PROMC_EEXIST, "%s \"%s\" would emit \"%s\", which the library reserves",
                            what, m->desc.name, *c);
        else
            rc = promc__fail(
                PROMC_EEXIST, "%s \"%s\" would emit \"%s\", already emitted by %s \"%s\"", what,
                m->desc.name, *c,
                slot->owner->ops->collect ? "collector" : promc__type(slot->owner->desc.type)->name,
                slot->owner->desc.name);
        goto out;
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
    promc__ok();
out:
    pthread_rwlock_unlock(&reg->lock);
    return rc;
}

int promc__registry_add(promc_registry *reg, struct promc_metric *m)
{
    return add(reg, m, NULL);
}

int promc__registry_remove(promc_registry *reg, struct promc_metric *m)
{
    pthread_rwlock_wrlock(&reg->lock);
    size_t i = 0;
    while (i < reg->n && reg->items[i] != m)
        i++;
    bool found = i < reg->n;
    if (found) {
        memmove(reg->items + i, reg->items + i + 1, (reg->n - i - 1) * sizeof *reg->items);
        reg->n--;
        claims_fill(reg); /* same size: cannot fail */
    }
    pthread_rwlock_unlock(&reg->lock);
    if (!found)
        return promc__fail(PROMC_ENOENT, "metric \"%s\" is not in this registry", m->desc.name);
    promc__metric_unref(m);
    return promc__ok();
}

void promc__registry_clear(promc_registry *reg)
{
    pthread_rwlock_wrlock(&reg->lock);
    struct promc_metric **items = reg->items;
    size_t n = reg->n;
    reg->items = NULL;
    reg->n = reg->cap = 0;
    claims_fill(reg);
    pthread_rwlock_unlock(&reg->lock);
    for (size_t i = 0; i < n; i++)
        promc__metric_unref(items[i]);
    promc__free(items);
}

struct promc_metric *promc__registry_publish(promc_registry *reg, struct promc_metric *m)
{
    if (!m)
        return NULL;
    struct promc_metric *existing = NULL;
    if (reg && add(reg, m, &existing) != PROMC_OK) {
        promc__metric_unref(m);
        return NULL;
    }
    if (existing) {
        promc__metric_unref(m);
        m = existing;
    }
    promc__ok();
    return m;
}

size_t promc__registry_max_children(promc_registry *reg)
{
    pthread_rwlock_rdlock(&reg->lock);
    size_t n = reg->default_max_children;
    pthread_rwlock_unlock(&reg->lock);
    return n;
}

struct promc__members *promc__registry_members(promc_registry *reg)
{
    pthread_rwlock_rdlock(&reg->lock);
    struct promc__members *ms =
        promc__malloc(sizeof *ms + (reg->n ? reg->n : 1) * sizeof ms->items[0]);
    if (ms) {
        atomic_init(&ms->refs, 1);
        ms->n = reg->n;
        for (size_t i = 0; i < reg->n; i++) {
            ms->items[i] = reg->items[i];
            promc__metric_ref(ms->items[i]);
        }
    }
    pthread_rwlock_unlock(&reg->lock);
    return ms;
}

void promc__members_ref(struct promc__members *ms)
{
    atomic_fetch_add_explicit(&ms->refs, 1, memory_order_relaxed);
}

void promc__members_unref(struct promc__members *ms)
{
    if (!ms || atomic_fetch_sub_explicit(&ms->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < ms->n; i++)
        promc__metric_unref(ms->items[i]);
    promc__free(ms);
}

bool promc__members_has(const struct promc__members *ms, const struct promc_metric *m)
{
    for (size_t i = 0; i < ms->n; i++)
        if (ms->items[i] == m)
            return true;
    return false;
}
