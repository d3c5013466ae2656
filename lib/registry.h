/*
 * Registries (struct promc_registry): an ordered list of metrics and the set
 * of every sample name they emit. This is the core's view: functions here
 * take a real registry, never NULL or PROMC_NO_REGISTRY -- those are resolved
 * by default_registry.c before anything reaches this layer.
 */
#ifndef PROMC_REGISTRY_H
#define PROMC_REGISTRY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "promc.h"

struct promc_metric;

struct promc__claim {
    const char *name;           /* points into the owner's claims, or static */
    struct promc_metric *owner; /* NULL: reserved by the library */
};

/* A wrapped registry (wrap.c): a view that adds a name prefix and constant
 * labels to the metrics created through it, flattened over wrappers of
 * wrappers so that nothing walks a chain at creation. */
struct promc__wrap {
    promc_registry *inner; /* what it wraps, referenced: a registry or a wrapper */
    promc_registry *root;  /* the real registry at the end of the chain */
    char *prefix;          /* the whole prefix: the inner wrappers' first, then this one's */
    size_t nlabels;
    promc_label *labels; /* this wrapper's labels, then the inner wrappers' (owned copies) */
};

struct promc_registry {
    struct promc__wrap *wrap;    /* a wrapper: only refs and released are used besides */
    atomic_size_t refs;          /* the caller's, each server's, each running scrape's */
    atomic_bool released;        /* the caller's reference was released */
    bool is_default;             /* freed by promc_shutdown only */
    pthread_rwlock_t lock;       /* writers: (un)register; readers: snapshots, claim checks */
    struct promc_metric **items; /* registration order */
    size_t n, cap;
    struct promc__claim *claims; /* open addressing, power-of-two size */
    size_t claims_size, claims_used;
    size_t default_max_children;
    atomic_int created;
    atomic_bool utf8_names; /* names outside the legacy grammars allowed */
};

/* The library's own families, reserved in every registry: label sets
 * refused by child limits, and what custom collectors took and how often a
 * scrape gave up on them (gather.c). */
#define PROMC__REFUSED_FAMILY            "promc_children_refused"
#define PROMC__COLLECTOR_DURATION_FAMILY "promc_collector_duration_seconds"
#define PROMC__COLLECTOR_TIMEOUTS_FAMILY "promc_collector_timeouts"

promc_registry *promc__registry_create(void);
void promc__registry_ref(promc_registry *reg);
void promc__registry_unref(promc_registry *reg);

/* Adds m (taking a reference); the public register's checks and errors. */
int promc__registry_add(promc_registry *reg, struct promc_metric *m);
/* Removes m (dropping the reference); PROMC_ENOENT when absent. */
int promc__registry_remove(promc_registry *reg, struct promc_metric *m);
/* Unregisters everything. */
void promc__registry_clear(promc_registry *reg);
/* For constructors: registers a new metric in reg (NULL: none) and returns
 * it, or destroys it and returns NULL when registration fails. When reg
 * has a metric defined exactly as m (definition.c), m is destroyed and that
 * one is returned, with a caller reference of its own. */
struct promc_metric *promc__registry_publish(promc_registry *reg, struct promc_metric *m);

/* Whether the registry allows UTF-8 names (promc_registry_set_utf8_names). */
static inline bool promc__registry_utf8(promc_registry *reg)
{
    return atomic_load_explicit(&reg->utf8_names, memory_order_relaxed);
}

/* The registry's default child limit for metrics created in it. */
size_t promc__registry_max_children(promc_registry *reg);

/* A scrape's view of the members: a copy of the list, each member
 * referenced, taken under the read lock and walked without it (so that
 * collectors may register and unregister). Reference-counted itself, so
 * that a collection outliving its scrape can keep it (emitter.c). */
struct promc__members {
    atomic_size_t refs;
    size_t n;
    struct promc_metric *items[];
};

/* The members of reg now (one reference, the caller's); NULL when out of
 * memory. */
struct promc__members *promc__registry_members(promc_registry *reg);
void promc__members_ref(struct promc__members *ms);
/* Drops a reference; the last drops the members' references too. */
void promc__members_unref(struct promc__members *ms);
/* Is m one of them? (A metric registered after the copy was taken is not.) */
bool promc__members_has(const struct promc__members *ms, const struct promc_metric *m);

/* Is `name` claimed by a metric of this registry, or by the library? When
 * it is, returns true with the owner in *owner (NULL: the library; compare
 * it, do not follow it) and the owner's name, for messages, in
 * owner_name[cap]. Takes the read lock. */
bool promc__registry_claimed(promc_registry *reg, const char *name,
                             const struct promc_metric **owner, char *owner_name, size_t cap);

/* ---- default_registry.c: what a registry argument means ---- */

/* For constructors: NULL -> the default registry, PROMC_NO_REGISTRY -> *out
 * NULL (none), a wrapper -> the registry it wraps in the end (the caller
 * applies the wrapper's prefix and labels: promc__registry_wrap_of), else
 * reg. Errors: PROMC_ENOMEM (default registry). */
int promc__registry_for_new(promc_registry *reg, promc_registry **out);
/* For every other call (fn names it in messages): NULL -> the default
 * registry, PROMC_NO_REGISTRY and wrappers -> PROMC_EINVAL, else reg. */
int promc__registry_arg(promc_registry *reg, const char *fn, promc_registry **out);
/* As promc__registry_arg, but a wrapper resolves to the registry it wraps
 * in the end, its flattened view in *wrap (NULL for a plain registry): for
 * register and unregister. */
int promc__registry_arg_wrapped(promc_registry *reg, const char *fn, promc_registry **out,
                                const struct promc__wrap **wrap);

/* The wrapper view of reg, or NULL when reg is not a wrapper (NULL and
 * PROMC_NO_REGISTRY included). */
static inline const struct promc__wrap *promc__registry_wrap_of(const promc_registry *reg)
{
    return reg && reg != PROMC_NO_REGISTRY ? reg->wrap : NULL;
}

/* Frees a wrapper's view or a copy of one (its prefix and labels; not
 * what it wraps). NULL is a no-op. */
void promc__wrap_free(struct promc__wrap *w);

/* ---- wrap.c ---- */

/* A wrapper of inner (a registry or a wrapper; root: the registry at the
 * end of the chain, already resolved by the caller) adding prefix and
 * labels: promc_registry_wrap's work once its argument is resolved.
 * Errors: NULL with PROMC_EINVAL (prefix, labels), PROMC_ENOMEM. */
promc_registry *promc__wrap_new(promc_registry *inner, promc_registry *root, const char *prefix,
                                const promc_label *labels, size_t nlabels);
/* A standalone copy of a wrapper's prefix and labels (inner and root NULL),
 * for a collector created through it (freed with promc__wrap_free); NULL
 * when out of memory. */
struct promc__wrap *promc__wrap_copy(const struct promc__wrap *w);
/* Does m (a built-in type) carry what the wrapper adds (its name starts
 * with the prefix, its constant labels include the wrapper's)? For
 * registering a metric through a wrapper. */
bool promc__wrap_carries(const struct promc__wrap *w, const struct promc_metric *m);
/* The same prefix and label set (c may be NULL: false): for a collector,
 * which keeps a copy of the wrapper it was created through. */
bool promc__wrap_same(const struct promc__wrap *w, const struct promc__wrap *c);

#endif
