/*
 * Hot/cold counts (hotcold.c): buckets (non-cumulative, the last is +Inf), a
 * count and a sum, double-buffered so a scrape reads a consistent snapshot
 * while observers keep going, without a lock on either side.
 */
#ifndef PROMC_HOTCOLD_H
#define PROMC_HOTCOLD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct promc__hotcold {
    _Atomic uint64_t count_and_hot; /* bit 63: hot index; low bits: observations started */
    struct promc__counts *counts[2];
};

struct promc__counts {
    _Atomic uint64_t sum_bits;
    _Atomic uint64_t buckets[]; /* their total is the completed observations */
};

/* Bytes of the two count sets for nbuckets buckets. */
size_t promc__hotcold_size(size_t nbuckets);
/* Lays the two count arrays out in mem (promc__hotcold_size bytes, zeroed). */
void promc__hotcold_init(struct promc__hotcold *hc, void *mem, size_t nbuckets);
/* Observations started on hc since its creation or last reset (a relaxed
 * read, for heuristics). */
static inline uint64_t promc__hotcold_started(struct promc__hotcold *hc)
{
    return atomic_load_explicit(&hc->count_and_hot, memory_order_relaxed) & ~(UINT64_C(1) << 63);
}
/* One observation of v into bucket: three atomics, no wait. */
void promc__hotcold_observe(struct promc__hotcold *hc, size_t bucket, double v);
/* Snapshot into buckets (nbuckets, non-cumulative), count and sum. Callers of
 * the same hotcold must serialise (the family's snapshot mutex). */
void promc__hotcold_snapshot(struct promc__hotcold *hc, size_t nbuckets, uint64_t *buckets,
                             uint64_t *count, double *sum);

/* Zeroes the counts while observers may keep going: observations that
 * started before the call are forgotten, later ones count. scratch holds
 * nbuckets values. Serialised with snapshots like them. */
void promc__hotcold_reset(struct promc__hotcold *hc, size_t nbuckets, uint64_t *scratch);

#endif
