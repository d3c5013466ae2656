/*
 * The arithmetic of native (sparse, exponential) histogram buckets, exactly
 * as client_golang 1.14 does it (prometheus/histogram.go): the schema a
 * bucket factor picks, the bucket a value falls into, a bucket's upper
 * bound, the key of a bucket at half the resolution, and the spans and
 * deltas a scrape sends. Pure functions: no state, no allocation.
 */
#ifndef PROMC_NATIVE_BUCKETS_H
#define PROMC_NATIVE_BUCKETS_H

#include <stddef.h>
#include <stdint.h>

#include "sink.h"

#define PROMC__NATIVE_SCHEMA_MIN (-4)
#define PROMC__NATIVE_SCHEMA_MAX 8
/* client_golang's DefNativeHistogramZeroThreshold, 2^-128. */
#define PROMC__NATIVE_DEFAULT_ZERO_THRESHOLD 2.938735877055719e-39

/* pickSchema: -floor(log2(log2(factor))) clamped to [-4, 8]; factor > 1. */
int32_t promc__native_schema(double factor);

/* Where v (not NaN) goes at this schema and zero threshold: 0 for the zero
 * bucket (|v| <= threshold), +1 for a positive bucket, -1 for a negative
 * one, with its index in *key. +-Inf land in the bucket after the one of
 * +-DBL_MAX, as client_golang puts them. */
int promc__native_locate(double v, int32_t schema, double zero_threshold, int32_t *key);

/* getLe: the upper bound of bucket key at schema (DBL_MAX for the bucket
 * that ends at 2^1024). */
double promc__native_upper_bound(int32_t key, int32_t schema);

/* The key at schema - 1 of bucket key (two buckets merge into one). */
int32_t promc__native_halve_key(int32_t key);

/* makeBuckets: n buckets (keys strictly increasing, with their counts) as
 * spans and deltas; a gap of one or two empty buckets is carried inside a
 * span as zero-count buckets, a longer one starts a new span. spans needs
 * room for n entries, deltas for 3 * n. Returns the number of spans and
 * sets *ndeltas. */
size_t promc__native_spans(const int32_t *keys, const uint64_t *counts, size_t n,
                           struct promc__span *spans, int64_t *deltas, size_t *ndeltas);

#endif
