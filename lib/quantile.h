/*
 * Streaming quantile estimator behind the Summary metric: perks' CKMS
 * "targeted quantiles" over a sliding window of age buckets, as client_golang
 * does, so promc reports the numbers a Go service would for the same data.
 * Not thread-safe: summary.c serialises every call with its own lock.
 */
#ifndef PROMC_QUANTILE_H
#define PROMC_QUANTILE_H

#include <stddef.h>
#include <stdint.h>

struct promc__objective {
    double quantile;
    double error;
}; /* e.g. {0.5,0.05},{0.9,0.01},{0.99,0.001} */

typedef struct promc__qwindow promc__qwindow;

/* objectives copied; n>=1; quantile in [0,1], error in (0,1) -- validate and return NULL on bad
 * input or OOM. max_age seconds > 0, age_buckets >= 1; now = current time in seconds (caller's
 * clock, so tests inject time). */
promc__qwindow *promc__qwindow_new(const struct promc__objective *obj, size_t n, double max_age,
                                   unsigned age_buckets, double now);
void promc__qwindow_free(promc__qwindow *w); /* NULL ok */
/* Record v at time now. NaN is ignored by the quantile stream (the caller counts it in
 * _count/_sum). Returns 0, or -2 (PROMC_ENOMEM) if the stream had to grow and could not (the
 * observation is then dropped from the quantile stream only). */
int promc__qwindow_observe(promc__qwindow *w, double v, double now);
/* Forgets every observation, as if just created at time now. */
void promc__qwindow_reset(promc__qwindow *w, double now);
/* The window's time is cut into epochs of max_age/age_buckets seconds. Returns the epoch of time
 * now (never one before the latest the window has seen) and sets *end to the time it ends: a
 * caller that buffers values itself tags them with the epoch they were observed in. */
uint64_t promc__qwindow_epoch(promc__qwindow *w, double now, double *end);
/* Record the n values v (not NaN; sorted in place), observed during epoch (from
 * promc__qwindow_epoch, at most now's), at time now: first rotates to now, then merges the batch
 * into the age buckets that were already started in that epoch -- into none if it has expired.
 * n <= 500 (the stream's own buffer size) keeps the estimates as Go would compute them for the
 * same batches. Returns 0, or -2 (PROMC_ENOMEM) if a stream could not grow (the batch is then
 * dropped from the quantile streams only). */
int promc__qwindow_insert(promc__qwindow *w, double *v, size_t n, uint64_t epoch, double now);
/* Fill out[i] with the estimate for objective i (same order as given) over the observations of
 * the last max_age seconds (the head stream, as Go does); NaN when that window is empty. Rotation
 * of expired age buckets happens here too. Returns 0 or -2 on OOM (flush could not allocate; out
 * still filled from what is there). */
int promc__qwindow_query(promc__qwindow *w, double now, double *out);

#endif
