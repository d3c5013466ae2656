/*
 * Stand-in for two things promc does not offer collectors yet: a deadline
 * for the whole collection, and one collection shared by the scrapes that
 * arrive while it runs. This file is all the exporter knows of either, so
 * that moving to the library's own mechanism replaces it and the first
 * lines of the collector, nothing else.
 */
#ifndef PF_COALESCE_H
#define PF_COALESCE_H

/* Runs one collection that must end by deadline (CLOCK_MONOTONIC seconds,
 * see pf_monotonic) and returns its result, or NULL out of memory. */
typedef void *(*pf_collect_fn)(void *ctx, double deadline);

typedef struct pf_coalesce pf_coalesce;
typedef struct pf_shared_result pf_shared_result;

/* collect builds results that free_result frees; ctx is borrowed. Each
 * collection gets timeout seconds from its start. With cache_ttl > 0 a
 * result younger than that is served again instead of collecting. NULL
 * out of memory. */
pf_coalesce *pf_coalesce_new(pf_collect_fn collect, void (*free_result)(void *), void *ctx,
                             double timeout, double cache_ttl);

/* The result for a scrape: runs a collection in the calling thread, or,
 * when one is running, waits for it and shares its result (or serves the
 * cached one). Hand it back with pf_coalesce_release. NULL when the
 * collection ran out of memory. Thread-safe. */
pf_shared_result *pf_coalesce_get(pf_coalesce *c);
/* The collection's result held by r. */
const void *pf_shared_value(const pf_shared_result *r);
/* Gives r back; the last holder frees it. NULL is a no-op. Thread-safe. */
void pf_coalesce_release(pf_coalesce *c, pf_shared_result *r);

/* Frees c and the result it keeps. No collection may be running. NULL is
 * a no-op. */
void pf_coalesce_free(pf_coalesce *c);

/* CLOCK_MONOTONIC in seconds. */
double pf_monotonic(void);

#endif /* PF_COALESCE_H */
