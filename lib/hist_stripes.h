/*
 * Owned stripes of a classic histogram series (hist_stripes.c): each thread
 * that owns a stripe number (stripe_owner.h) observes into a block of counts
 * of its own, allocated on its first observation of the series, with plain
 * loads and stores -- no locked instruction. A sequence number, odd while
 * the owner writes, lets a scrape copy a block consistently (a seqlock).
 * Threads without a stripe, and observations whose block could not be
 * allocated, take the series' hot/cold counts (hotcold.h) instead. So do
 * a series' first promc__hstripe_after observations (256): a block costs
 * about 300 bytes, which a series observed now and then (most children of a
 * labelled histogram) would pay for nothing; one observed often gets its
 * blocks within microseconds.
 */
#ifndef PROMC_HIST_STRIPES_H
#define PROMC_HIST_STRIPES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hotcold.h"
#include "internal.h"
#include "stripe_owner.h"

/* A reset cannot store zeros into a block: the owner's stores of what it
 * loaded before could undo them. So a reset records the counts it read as
 * their bases, subtracted when read (exact for integers), and the sum it read
 * as base_sum, which the owner subtracts from its sum itself at its next
 * observation (so that the sum since a reset is exactly the sum of the
 * observations since, not a difference of two large sums). ctl tells the
 * owner: bit 0 asks it to take the shared path while a scrape copies the
 * block; the other bits count resets, and an owner whose `seen` differs
 * subtracts base_sum first, holding the family's snapshot mutex (`lock`) so
 * that no reset runs meanwhile. */
struct promc__hstripe {
    _Atomic uint64_t seq;  /* odd while the owner writes */
    _Atomic uint64_t ctl;  /* written by scrapes and resets only */
    _Atomic uint64_t seen; /* ctl as of the owner's last rebase; the owner's */
    _Atomic uint64_t sum_bits;
    _Atomic uint64_t base_sum_bits; /* the sum at the last reset, published before ctl */
    pthread_mutex_t *lock;          /* the family's snapshot mutex */
    void *raw;                      /* what promc__malloc returned, before alignment */
    _Atomic uint64_t counts[];      /* nbuckets counts, then nbuckets plain bases (guarded by
                                       the family's snapshot mutex) */
};

/* A series' blocks, one per ownable stripe number; NULL until that
 * stripe's owner first observes the series. */
struct promc__hstripes {
    struct promc__hstripe *_Atomic block[PROMC__STRIPES - 1];
};

/* Observations a series takes through its shared counts before a thread
 * allocates a block of it (256; tests set 0 to exercise blocks at once). */
extern uint64_t promc__hstripe_after;

/* Takes a stripe or allocates the block (once hc has seen
 * promc__hstripe_after observations), then observes; false: the caller
 * observes through the shared path. */
bool promc__hstripes_observe_slow(struct promc__hstripes *st, struct promc__hotcold *hc,
                                  pthread_mutex_t *lock, size_t nbuckets, size_t bucket, double v);

/* An observation while ctl asks for something (hist_stripes.c). */
bool promc__hstripe_write_slow(struct promc__hstripe *s, size_t bucket, double v);

/* Adds one observation to an owned block, as its owner: the sequence
 * number odd, the sum, the bucket, the sequence number even. The counts are
 * stored with release: a reader whose acquire load sees one of them also
 * sees the odd sequence number stored before it, and retries. On x86 a
 * release store is a plain store. */
__attribute__((always_inline)) static inline void promc__hstripe_add(struct promc__hstripe *s,
                                                                     size_t bucket, double v)
{
    uint64_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);
    atomic_store_explicit(&s->seq, q + 1, memory_order_relaxed);
    double sum = promc__bits_to_double(atomic_load_explicit(&s->sum_bits, memory_order_relaxed));
    atomic_store_explicit(&s->sum_bits, promc__double_to_bits(sum + v), memory_order_release);
    _Atomic uint64_t *cell = &s->counts[bucket];
    atomic_store_explicit(cell, atomic_load_explicit(cell, memory_order_relaxed) + 1,
                          memory_order_release);
    atomic_store_explicit(&s->seq, q + 2, memory_order_release);
}

/* One observation into an owned block; false (nothing written) while a
 * scrape copies it. */
__attribute__((always_inline)) static inline bool promc__hstripe_write(struct promc__hstripe *s,
                                                                       size_t bucket, double v)
{
    if (atomic_load_explicit(&s->ctl, memory_order_relaxed) !=
        atomic_load_explicit(&s->seen, memory_order_relaxed))
        return promc__hstripe_write_slow(s, bucket, v);
    promc__hstripe_add(s, bucket, v);
    return true;
}

/* One observation of v into bucket on the calling thread's stripe; false:
 * none (no stripe free, out of memory, a scrape copying it, a reset to take
 * in while the snapshot mutex is busy), and the caller observes through the
 * shared path. hc: the series' shared counts; lock: the family's snapshot mutex. The block pointer
 * is only ever stored by the stripe's owner, and a previous owner's store is visible to the next
 * one (stripe_owner.h), so a relaxed load finds it. */
__attribute__((always_inline)) static inline bool
promc__hstripes_observe(struct promc__hstripes *st, struct promc__hotcold *hc,
                        pthread_mutex_t *lock, size_t nbuckets, size_t bucket, double v)
{
    unsigned i = promc__stripe_mine;
    struct promc__hstripe *s;
    if (i && (s = atomic_load_explicit(&st->block[i - 1], memory_order_relaxed)))
        return promc__hstripe_write(s, bucket, v);
    return promc__hstripes_observe_slow(st, hc, lock, nbuckets, bucket, v);
}

/* Adds every block's counts since its last reset to buckets (nbuckets,
 * non-cumulative), count and sum, each block copied consistently. scratch
 * holds nbuckets values. Serialised with resets by the family's snapshot
 * mutex. */
void promc__hstripes_add(struct promc__hstripes *st, size_t nbuckets, uint64_t *buckets,
                         uint64_t *count, double *sum, uint64_t *scratch);

/* Forgets the counts so far while owners may keep observing: each block's
 * current counts become its base. Serialised like promc__hstripes_add. */
void promc__hstripes_reset(struct promc__hstripes *st, size_t nbuckets, uint64_t *scratch);

/* Frees the blocks (no observer may be left). */
void promc__hstripes_free(struct promc__hstripes *st);

/* Bytes one block takes for nbuckets buckets, alignment slack included. */
size_t promc__hstripe_size(size_t nbuckets);

#endif
