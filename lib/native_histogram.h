/*
 * The counts of a native (sparse, exponential) histogram series: the buckets
 * that exist, their counts, the zero bucket, and -- counted beside them --
 * the classic buckets, _count and _sum, double-buffered so that a scrape reads
 * a consistent snapshot while observers keep going. The bucket-limit
 * strategy (reset, widen the zero bucket, halve the resolution) runs here
 * too. native_buckets.c does the arithmetic; histogram.c the family glue.
 */
#ifndef PROMC_NATIVE_HISTOGRAM_H
#define PROMC_NATIVE_HISTOGRAM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "exemplar.h"
#include "sink.h"

/* What a family's options fixed (read-only once the family exists). */
struct promc__native_config {
    int32_t schema;            /* the initial schema */
    double zero_threshold;     /* the initial zero threshold (0: a zero-width zero bucket) */
    uint32_t max_buckets;      /* 0: no limit */
    int64_t min_reset_ns;      /* 0: never reset */
    double max_zero_threshold; /* 0: never widen */
    size_t nclassic;           /* classic buckets counted beside (finite bounds + 1) */
    size_t max_exemplars;      /* exemplars kept for the native buckets; 0: none */
    double exemplar_ttl;       /* seconds (negative: the oldest always goes) */
};

struct promc__native_table; /* native_histogram.c */
struct promc__native_chunk;

/* One of the two count sets (hot: observers write it; cold: quiescent).
 * Its _count and _sum are kept per stripe (below). */
struct promc__native_set {
    _Atomic uint64_t zero_count;
    _Atomic uint64_t zero_threshold_bits;
    _Atomic int32_t schema;
    _Atomic uint32_t nbuckets; /* buckets (both signs) this set has */
    _Atomic(struct promc__native_table *) table;
    struct promc__native_chunk *chunks;  /* the buckets' memory, never moved */
    struct promc__native_table *retired; /* outgrown tables, freed once the set is cold */
    _Atomic uint64_t *classic;           /* nclassic counts, after the struct */
};

/* The counts every observation writes, one set of them per stripe of
 * threads, so that threads observing one series do not take turns on one
 * cache line for them. 128 bytes apart: the 40 used stay on lines of their
 * own whatever the alignment of the memory around them (16 at least). */
#define PROMC__NATIVE_STRIPES 8
struct promc__native_stripe {
    _Atomic uint64_t count_and_hot; /* bit 63: hot set; low bits: observations started */
    _Atomic uint64_t count[2];      /* per set: observations completed (incremented last) */
    _Atomic uint64_t sum_bits[2];   /* per set: the sum of those observations */
    char pad[128 - 5 * sizeof(uint64_t)];
};

struct promc__native {
    struct promc__native_stripe stripes[PROMC__NATIVE_STRIPES];
    _Atomic uint32_t stuck_at;     /* bucket number at which no limit step helped; 0 none */
    _Atomic int64_t last_reset_ns; /* monotonic */
    size_t nclassic;               /* classic buckets, +Inf included (never counted) */
    pthread_mutex_t flip;          /* scrapes, resets and bucket-limit steps */
    pthread_mutex_t grow;          /* a new bucket in either set */
    struct promc__native_set sets[2];
    /* The exemplars of the native buckets, kept spread over the values as
     * client_golang keeps them (promc__xset_add_spread), beside the sets:
     * NULL until the first, never reset by the bucket limit (client_golang
     * does not either); a removed child that comes back starts without. */
    struct promc__xset *_Atomic exemplars;
    /* the two sets' classic counts follow */
};

/* Space a scrape works in (a family's, used under its snapshot mutex). */
struct promc__native_entry;
struct promc__native_scratch {
    size_t cap;
    struct promc__native_entry *entries;
    int32_t *keys;
    uint64_t *counts;
    struct promc__span *spans;
    int64_t *deltas;           /* 3 * cap */
    struct promc__xcopy xcopy; /* the exemplars read */
};

/* Bytes of a struct promc__native with nclassic classic buckets. */
size_t promc__native_size(size_t nclassic);
/* Prepares zeroed memory of promc__native_size bytes. */
void promc__native_init(struct promc__native *nh, const struct promc__native_config *cfg);
/* Releases the buckets (not nh itself). */
void promc__native_fini(struct promc__native *nh);

/* One observation of v, classic bucket `classic`: lock-free and
 * allocation-free when its native bucket exists (see native_histogram.c). */
void promc__native_observe(struct promc__native *nh, const struct promc__native_config *cfg,
                           size_t classic, double v);

/* Keeps in (a validated exemplar of a value that is not NaN) among the
 * native exemplars, if cfg keeps any. Takes the set's lock; allocates the
 * set on the first exemplar and a record while the set fills.
 * PROMC_ENOMEM (message recorded) keeps what was kept. */
int promc__native_add_exemplar(struct promc__native *nh, const struct promc__native_config *cfg,
                               const struct promc__xinput *in);

/* A consistent snapshot: the classic buckets (non-cumulative) into classic,
 * count, sum and the native part into *out (pointing into sc, valid until
 * the next call with sc), the native exemplars included -- read before the
 * counts, so the counts include every exemplar's observation; out of memory
 * copying them, the snapshot goes without. Callers serialise calls with the
 * same sc. Returns PROMC_OK, or PROMC_ENOMEM when sc could not grow (the
 * counts are then kept, the snapshot incomplete). */
int promc__native_snapshot(struct promc__native *nh, const struct promc__native_config *cfg,
                           struct promc__native_scratch *sc, uint64_t *classic, uint64_t *count,
                           double *sum, struct promc__native_data *out);

/* Forgets every observation and exemplar (a removed child that comes back)
 * while observers may keep going; schema and zero threshold return to the
 * configured ones. */
void promc__native_reset(struct promc__native *nh, const struct promc__native_config *cfg);

void promc__native_scratch_free(struct promc__native_scratch *sc);

#endif
