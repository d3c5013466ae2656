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

struct promc_registry {
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
 * it, or destroys it and returns NULL when registration fails. */
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
 * NULL (none), else reg. Errors: PROMC_ENOMEM (default registry). */
int promc__registry_for_new(promc_registry *reg, promc_registry **out);
/* For every other call (fn names it in messages): NULL -> the default
 * registry, PROMC_NO_REGISTRY -> PROMC_EINVAL, else reg. */
int promc__registry_arg(promc_registry *reg, const char *fn, promc_registry **out);

#endif
