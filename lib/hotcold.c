/*
 * Hot/cold counts, shared by histograms and summaries. Observers write into
 * the "hot" set of counts; a scrape flips hot and cold with one atomic add,
 * waits for the few observations still writing into the old hot set, reads
 * it -- a consistent snapshot where the count equals the buckets' total and
 * the sum belongs to the same observations -- and folds it back. This is
 * client_golang's scheme; observers never wait and never lock.
 */
#include <sched.h>

#include "hotcold.h"
#include "internal.h"

#define HOT_BIT (UINT64_C(1) << 63)

size_t promc__hotcold_size(size_t nbuckets)
{
    return 2 * (sizeof(struct promc__counts) + nbuckets * sizeof(uint64_t));
}

void promc__hotcold_init(struct promc__hotcold *hc, void *mem, size_t nbuckets)
{
    size_t one = sizeof(struct promc__counts) + nbuckets * sizeof(uint64_t);
    hc->counts[0] = mem;
    hc->counts[1] = (struct promc__counts *)((char *)mem + one);
    atomic_init(&hc->count_and_hot, 0);
}

void promc__hotcold_observe(struct promc__hotcold *hc, size_t bucket, double v)
{
    /* Three atomic operations: the increment both counts the observation as
     * started and tells which set is hot; the sum is added; the bucket
     * increment, last and with release, completes the observation (the
     * scraper waits until the buckets add up to the started count, and its
     * acquire loads then also see the sum). */
    uint64_t n = atomic_fetch_add_explicit(&hc->count_and_hot, 1, memory_order_acquire);
    struct promc__counts *hot = hc->counts[n >> 63];
    promc__atomic_add_double(&hot->sum_bits, v);
    atomic_fetch_add_explicit(&hot->buckets[bucket], 1, memory_order_release);
}

/* Flips the hot set and waits until the now-cold set holds every
 * observation started before the flip. Returns the value before the flip. */
static uint64_t flip_and_wait(struct promc__hotcold *hc, size_t nbuckets, uint64_t *buckets)
{
    uint64_t n = atomic_fetch_add_explicit(&hc->count_and_hot, HOT_BIT, memory_order_acq_rel);
    uint64_t started = n & ~HOT_BIT;
    /* n is the value before the flip: its top bit names the set that was hot
     * and is now cold. It holds every observation completed so far (each
     * snapshot folds the cold set back into the hot one), so once its
     * buckets add up to the started count, every observation that went into
     * it is complete and none can still arrive. */
    struct promc__counts *cold = hc->counts[n >> 63];
    for (;;) {
        uint64_t total = 0;
        for (size_t i = 0; i < nbuckets; i++)
            total += buckets[i] = atomic_load_explicit(&cold->buckets[i], memory_order_acquire);
        if (total == started)
            return n;
        /* Observers that started before the flip finish within a few
         * instructions; yield rather than burn the core while they do. */
        sched_yield();
    }
}

void promc__hotcold_reset(struct promc__hotcold *hc, size_t nbuckets, uint64_t *scratch)
{
    uint64_t n = flip_and_wait(hc, nbuckets, scratch);
    struct promc__counts *cold = hc->counts[n >> 63];
    /* Forget the old observations instead of folding them back: zero the
     * cold set and take their number off the started count, which since the
     * flip only counts observations going into the new hot set. */
    atomic_store_explicit(&cold->sum_bits, 0, memory_order_relaxed);
    for (size_t i = 0; i < nbuckets; i++)
        atomic_store_explicit(&cold->buckets[i], 0, memory_order_relaxed);
    atomic_fetch_sub_explicit(&hc->count_and_hot, n & ~HOT_BIT, memory_order_acq_rel);
}

void promc__hotcold_snapshot(struct promc__hotcold *hc, size_t nbuckets, uint64_t *buckets,
                             uint64_t *count, double *sum)
{
    uint64_t n = flip_and_wait(hc, nbuckets, buckets);
    struct promc__counts *cold = hc->counts[n >> 63];
    struct promc__counts *hot = hc->counts[(n >> 63) ^ 1];
    *count = n & ~HOT_BIT;
    *sum = promc__bits_to_double(atomic_load_explicit(&cold->sum_bits, memory_order_relaxed));
    /* Fold the cold set into the new hot one and zero it for the next flip. */
    promc__atomic_add_double(&hot->sum_bits, *sum);
    atomic_store_explicit(&cold->sum_bits, 0, memory_order_relaxed);
    for (size_t i = 0; i < nbuckets; i++) {
        atomic_fetch_add_explicit(&hot->buckets[i], buckets[i], memory_order_relaxed);
        atomic_store_explicit(&cold->buckets[i], 0, memory_order_relaxed);
    }
}
