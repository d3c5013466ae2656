/*
 * Owned stripes of classic histogram series (hist_stripes.h). A scrape
 * copies a block as a seqlock reader does: the sequence number, the counts
 * (acquire loads, pairing with the owner's release stores), the sequence
 * number again; equal and even, the copy holds whole observations only, so
 * its count is its buckets' total and its sum belongs to them. (Release
 * and acquire on the counts rather than fences: the same code on x86, and
 * ThreadSanitizer understands it.) An owner that observes without pause
 * would change the block faster than a reader copies it from another core,
 * so the reader first sets the block's divert bit: the owner's next
 * observations take the shared hot/cold counts, and the copy succeeds on
 * the next try. While the sequence number is odd the owner is in the middle
 * of one observation; the reader yields until it finishes, as hotcold.c's
 * flip waits for observers in flight.
 *
 * ctl and the bases are written by scrapes and resets only, which the
 * family's snapshot mutex serialises.
 */
#include <math.h>
#include <sched.h>

#include "alloc.h"
#include "hist_stripes.h"

#define LINE   64
#define DIVERT UINT64_C(1) /* ctl: take the shared path */
#define RESET  UINT64_C(2) /* ctl: one reset */

size_t promc__hstripe_size(size_t nbuckets)
{
    return sizeof(struct promc__hstripe) + 2 * nbuckets * sizeof(uint64_t) + LINE - 1;
}

static uint64_t *bases(struct promc__hstripe *s, size_t nbuckets)
{
    return (uint64_t *)(s->counts + nbuckets);
}

/* A zeroed block aligned to a cache line, so that no other thread's data
 * shares the owner's lines. */
static struct promc__hstripe *block_new(pthread_mutex_t *lock, size_t nbuckets)
{
    size_t n = promc__hstripe_size(nbuckets);
    void *raw = promc__malloc(n);
    if (!raw)
        return NULL;
    struct promc__hstripe *s =
        (struct promc__hstripe *)(((uintptr_t)raw + LINE - 1) & ~(uintptr_t)(LINE - 1));
    atomic_init(&s->seq, 0);
    atomic_init(&s->ctl, 0);
    atomic_init(&s->seen, 0);
    atomic_init(&s->sum_bits, 0);
    atomic_init(&s->base_sum_bits, 0);
    s->lock = lock;
    s->raw = raw;
    for (size_t i = 0; i < nbuckets; i++) {
        atomic_init(&s->counts[i], 0);
        bases(s, nbuckets)[i] = 0;
    }
    return s;
}

uint64_t promc__hstripe_after = 256;

bool promc__hstripes_observe_slow(struct promc__hstripes *st, struct promc__hotcold *hc,
                                  pthread_mutex_t *lock, size_t nbuckets, size_t bucket, double v)
{
    unsigned i = promc__stripe();
    if (!i)
        return false;
    struct promc__hstripe *s = atomic_load_explicit(&st->block[i - 1], memory_order_relaxed);
    if (!s) {
        if (promc__hotcold_started(hc) < promc__hstripe_after)
            return false; /* not worth a block yet */
        /* Only this stripe's owner stores the pointer: no race to settle.
         * Out of memory: the shared path, and another try next time. */
        s = block_new(lock, nbuckets);
        if (!s)
            return false;
        atomic_store_explicit(&st->block[i - 1], s, memory_order_release);
    }
    return promc__hstripe_write(s, bucket, v);
}

bool promc__hstripe_write_slow(struct promc__hstripe *s, size_t bucket, double v)
{
    uint64_t c = atomic_load_explicit(&s->ctl, memory_order_relaxed);
    if (c & DIVERT)
        return false;
    if (c == atomic_load_explicit(&s->seen, memory_order_relaxed)) {
        promc__hstripe_add(s, bucket, v); /* a copy ended meanwhile */
        return true;
    }
    /* A reset since this owner last looked: take it in under the snapshot
     * mutex, so that no other reset can change base_sum between the read
     * here and the store of seen. The mutex may be busy (a scrape, or this
     * very thread observing from a writer callback during one): then the
     * shared path, and another try next time. */
    if (pthread_mutex_trylock(s->lock) != 0)
        return false;
    c = atomic_load_explicit(&s->ctl, memory_order_relaxed);
    uint64_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);
    atomic_store_explicit(&s->seq, q + 1, memory_order_relaxed);
    /* The sum restarts from what this owner added since the reset's copy
     * (nothing, unless an observation raced with it); a sum that is not
     * finite cannot be taken apart and restarts from zero. */
    uint64_t base = atomic_load_explicit(&s->base_sum_bits, memory_order_relaxed);
    uint64_t bits = atomic_load_explicit(&s->sum_bits, memory_order_relaxed);
    double sum = isfinite(promc__bits_to_double(base)) ? promc__sum_since(bits, base) : 0;
    atomic_store_explicit(&s->sum_bits, promc__double_to_bits(sum + v), memory_order_release);
    atomic_store_explicit(&s->seen, c, memory_order_release);
    _Atomic uint64_t *cell = &s->counts[bucket];
    atomic_store_explicit(cell, atomic_load_explicit(cell, memory_order_relaxed) + 1,
                          memory_order_release);
    atomic_store_explicit(&s->seq, q + 2, memory_order_release);
    pthread_mutex_unlock(s->lock);
    return true;
}

/* Copies s's counts into scratch, consistently; returns its sum's bits and
 * in *seen the reset its owner's sum is counted from. */
static uint64_t copy_block(struct promc__hstripe *s, size_t nbuckets, uint64_t *scratch,
                           uint64_t *seen)
{
    uint64_t c = atomic_load_explicit(&s->ctl, memory_order_relaxed);
    atomic_store_explicit(&s->ctl, c | DIVERT, memory_order_relaxed);
    uint64_t sum;
    for (;;) {
        uint64_t q = atomic_load_explicit(&s->seq, memory_order_acquire);
        if (q & 1) {
            sched_yield();
            continue;
        }
        for (size_t i = 0; i < nbuckets; i++)
            scratch[i] = atomic_load_explicit(&s->counts[i], memory_order_acquire);
        sum = atomic_load_explicit(&s->sum_bits, memory_order_acquire);
        *seen = atomic_load_explicit(&s->seen, memory_order_acquire);
        if (atomic_load_explicit(&s->seq, memory_order_relaxed) == q)
            break;
    }
    atomic_store_explicit(&s->ctl, c, memory_order_relaxed);
    return sum;
}

void promc__hstripes_add(struct promc__hstripes *st, size_t nbuckets, uint64_t *buckets,
                         uint64_t *count, double *sum, uint64_t *scratch)
{
    for (unsigned i = 0; i < PROMC__STRIPES - 1; i++) {
        struct promc__hstripe *s = atomic_load_explicit(&st->block[i], memory_order_acquire);
        if (!s)
            continue;
        uint64_t seen;
        uint64_t total = copy_block(s, nbuckets, scratch, &seen);
        const uint64_t *base = bases(s, nbuckets);
        for (size_t b = 0; b < nbuckets; b++) {
            uint64_t n = scratch[b] - base[b];
            buckets[b] += n;
            *count += n;
        }
        /* An owner that saw the last reset has taken base_sum off itself. */
        if (seen == atomic_load_explicit(&s->ctl, memory_order_relaxed))
            *sum += promc__bits_to_double(total);
        else
            *sum += promc__sum_since(total,
                                     atomic_load_explicit(&s->base_sum_bits, memory_order_relaxed));
    }
}

void promc__hstripes_reset(struct promc__hstripes *st, size_t nbuckets, uint64_t *scratch)
{
    for (unsigned i = 0; i < PROMC__STRIPES - 1; i++) {
        struct promc__hstripe *s = atomic_load_explicit(&st->block[i], memory_order_acquire);
        if (!s)
            continue;
        uint64_t seen;
        uint64_t total = copy_block(s, nbuckets, scratch, &seen);
        uint64_t *base = bases(s, nbuckets);
        for (size_t b = 0; b < nbuckets; b++)
            base[b] = scratch[b];
        /* The owner's sum as it stands, whatever reset it counts from: the
         * owner subtracts it at its next observation, once it sees ctl. */
        atomic_store_explicit(&s->base_sum_bits, total, memory_order_relaxed);
        uint64_t c = atomic_load_explicit(&s->ctl, memory_order_relaxed);
        atomic_store_explicit(&s->ctl, c + RESET, memory_order_release);
    }
}

void promc__hstripes_free(struct promc__hstripes *st)
{
    for (unsigned i = 0; i < PROMC__STRIPES - 1; i++) {
        struct promc__hstripe *s = atomic_load_explicit(&st->block[i], memory_order_relaxed);
        if (s)
            promc__free(s->raw);
    }
}
