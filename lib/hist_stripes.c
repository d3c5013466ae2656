/*
 * Owned stripes of classic histogram series (hist_stripes.h). A scrape
 * copies a block as a seqlock reader does: the sequence number, the counts
 * (acquire loads, pairing with the owner's release stores), the sequence
 * number again; equal and even, the copy holds whole observations only, so
 * its count is its buckets' total and its sum belongs to them. (Release
 * and acquire on the counts rather than fences: the same code on x86, and
 * ThreadSanitizer understands it.) An owner that observes without pause
 * would change the block faster than a reader copies it from another core,
 * so the reader first sets the block's divert flag: the owner's next
 * observations take the shared hot/cold counts, and the copy succeeds on
 * the next try. While the sequence number is odd the owner is in the middle
 * of one observation; the reader yields until it finishes, as hotcold.c's
 * flip waits for observers in flight.
 */
#include <sched.h>

#include "alloc.h"
#include "hist_stripes.h"

#define LINE 64

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
static struct promc__hstripe *block_new(size_t nbuckets)
{
    size_t n = promc__hstripe_size(nbuckets);
    void *raw = promc__malloc(n);
    if (!raw)
        return NULL;
    struct promc__hstripe *s =
        (struct promc__hstripe *)(((uintptr_t)raw + LINE - 1) & ~(uintptr_t)(LINE - 1));
    atomic_init(&s->seq, 0);
    atomic_init(&s->divert, 0);
    atomic_init(&s->sum_bits, 0);
    s->base_sum = 0;
    s->raw = raw;
    for (size_t i = 0; i < nbuckets; i++) {
        atomic_init(&s->counts[i], 0);
        bases(s, nbuckets)[i] = 0;
    }
    return s;
}

bool promc__hstripes_observe_slow(struct promc__hstripes *st, size_t nbuckets, size_t bucket,
                                  double v)
{
    unsigned i = promc__stripe();
    if (!i)
        return false;
    struct promc__hstripe *s = atomic_load_explicit(&st->block[i - 1], memory_order_relaxed);
    if (!s) {
        /* Only this stripe's owner stores the pointer: no race to settle.
         * Out of memory: the shared path, and another try next time. */
        s = block_new(nbuckets);
        if (!s)
            return false;
        atomic_store_explicit(&st->block[i - 1], s, memory_order_release);
    }
    return promc__hstripe_write(s, bucket, v);
}

/* Copies s's counts into scratch and returns its sum, consistently. */
static double copy_block(struct promc__hstripe *s, size_t nbuckets, uint64_t *scratch)
{
    atomic_store_explicit(&s->divert, 1, memory_order_relaxed);
    double sum;
    for (;;) {
        uint64_t q = atomic_load_explicit(&s->seq, memory_order_acquire);
        if (q & 1) {
            sched_yield();
            continue;
        }
        for (size_t i = 0; i < nbuckets; i++)
            scratch[i] = atomic_load_explicit(&s->counts[i], memory_order_acquire);
        sum = promc__bits_to_double(atomic_load_explicit(&s->sum_bits, memory_order_acquire));
        if (atomic_load_explicit(&s->seq, memory_order_relaxed) == q)
            break;
    }
    atomic_store_explicit(&s->divert, 0, memory_order_relaxed);
    return sum;
}

void promc__hstripes_add(struct promc__hstripes *st, size_t nbuckets, uint64_t *buckets,
                         uint64_t *count, double *sum, uint64_t *scratch)
{
    for (unsigned i = 0; i < PROMC__STRIPES - 1; i++) {
        struct promc__hstripe *s = atomic_load_explicit(&st->block[i], memory_order_acquire);
        if (!s)
            continue;
        double total = copy_block(s, nbuckets, scratch);
        const uint64_t *base = bases(s, nbuckets);
        for (size_t b = 0; b < nbuckets; b++) {
            uint64_t n = scratch[b] - base[b];
            buckets[b] += n;
            *count += n;
        }
        *sum += total - s->base_sum;
    }
}

void promc__hstripes_reset(struct promc__hstripes *st, size_t nbuckets, uint64_t *scratch)
{
    for (unsigned i = 0; i < PROMC__STRIPES - 1; i++) {
        struct promc__hstripe *s = atomic_load_explicit(&st->block[i], memory_order_acquire);
        if (!s)
            continue;
        s->base_sum = copy_block(s, nbuckets, scratch);
        uint64_t *base = bases(s, nbuckets);
        for (size_t b = 0; b < nbuckets; b++)
            base[b] = scratch[b];
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
