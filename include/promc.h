/*
 * promc -- a Prometheus client library for C.
 *
 * This header is the whole core API, in the order a user learns it: version,
 * errors and memory, registries, the metric types (counter, gauge, histogram,
 * summary, enum, info), labelled children, custom collectors, exposition.
 * The HTTP server, Pushgateway client and textfile writer live in promc_http.h.
 *
 * Thread safety: every function in this header may be called from any thread
 * at any time, unless its comment says otherwise (only promc_set_allocator).
 * The hot-path calls (inc, add, set, observe) take no lock, allocate nothing
 * and make no system call; see docs/THREADS.md for what each call locks.
 *
 * Ownership: promc copies every string and array it is given. Objects returned
 * by a *_new function belong to the caller until passed to the matching
 * *_free; every *_free accepts NULL.
 */
#ifndef PROMC_H
#define PROMC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PROMC_API __attribute__((visibility("default")))
#else
#define PROMC_API
#endif

/* ===================================================================== */
/* Version                                                                */
/* ===================================================================== */

/* The single source of the version: the Makefile reads these three lines. */
#define PROMC_VERSION_MAJOR 0
#define PROMC_VERSION_MINOR 1
#define PROMC_VERSION_PATCH 0

#define PROMC__STR2(x) #x
#define PROMC__STR(x)  PROMC__STR2(x)
#define PROMC_VERSION_STRING                                                                       \
    PROMC__STR(PROMC_VERSION_MAJOR)                                                                \
    "." PROMC__STR(PROMC_VERSION_MINOR) "." PROMC__STR(PROMC_VERSION_PATCH)
#define PROMC_VERSION_HEX                                                                          \
    ((PROMC_VERSION_MAJOR << 16) | (PROMC_VERSION_MINOR << 8) | PROMC_VERSION_PATCH)

/* The version of the library actually linked, as PROMC_VERSION_HEX and as text. */
PROMC_API unsigned promc_version(void);
PROMC_API const char *promc_version_string(void);

/* ===================================================================== */
/* Errors and memory                                                      */
/* ===================================================================== */

/* Every function that can fail returns one of these (or NULL, for
 * constructors). A message naming the offending name or value is kept per
 * thread and read with promc_last_error(). */
#define PROMC_ERRNO_MAP(X)                                                                         \
    X(OK, 0, "success")                                                                            \
    X(EINVAL, -1, "invalid argument")                                                              \
    X(ENOMEM, -2, "out of memory")                                                                 \
    X(EEXIST, -3, "already registered")                                                            \
    X(ENOENT, -4, "not found")                                                                     \
    X(ELIMIT, -5, "limit reached")                                                                 \
    X(EIO, -6, "input/output error")                                                               \
    X(ESTATE, -7, "wrong state for this call")

typedef enum promc_error {
#define PROMC__ERR_ENUM(name, value, text) PROMC_##name = value,
    PROMC_ERRNO_MAP(PROMC__ERR_ENUM)
#undef PROMC__ERR_ENUM
} promc_error;

/* Static text for a code ("out of memory"); "unknown error" for others. */
PROMC_API const char *promc_strerror(int code);
/* The code's name ("PROMC_ENOMEM"); "PROMC_UNKNOWN" for others. */
PROMC_API const char *promc_errname(int code);
/* The message of the last failure in the calling thread, e.g.
 * "invalid metric name \"1abc\"". Valid until the thread's next promc call.
 * Never NULL ("" when nothing failed yet). */
PROMC_API const char *promc_last_error(void);
/* The code of the last failure in the calling thread (PROMC_OK if none). */
PROMC_API int promc_last_error_code(void);

typedef void *(*promc_malloc_fn)(size_t size);
typedef void *(*promc_realloc_fn)(void *ptr, size_t size);
typedef void (*promc_free_fn)(void *ptr);

/* Route every allocation of the library through these functions (all three,
 * or all NULL to restore libc's). NOT thread-safe: call it before any other
 * promc function. Returns PROMC_EINVAL when only some are given. */
PROMC_API int promc_set_allocator(promc_malloc_fn m, promc_realloc_fn r, promc_free_fn f);
/* Frees memory the library handed to the caller (promc_encode_buffer). */
PROMC_API void promc_free(void *ptr);

/* ===================================================================== */
/* Registries                                                             */
/* ===================================================================== */

typedef struct promc_registry promc_registry;
/* Any registrable thing: a metric of any type, or a custom collector. */
typedef struct promc_metric promc_metric;

/* Pass as the registry to a *_new function to create a metric that is in no
 * registry (for tests, or to register it later, or in several). */
#define PROMC_NO_REGISTRY ((promc_registry *)1)

/* A new, empty registry. NULL on out of memory. */
PROMC_API promc_registry *promc_registry_new(void);
/* Unregisters everything (dropping the registry's references) and frees the
 * registry. Must not race with a scrape of the same registry. NULL is a no-op. */
PROMC_API void promc_registry_free(promc_registry *reg);
/* The process-wide default registry, created on first use (with a process
 * collector). Passing NULL as a registry anywhere means this one.
 * promc_registry_free() ignores it; promc_registry_clear() empties it and
 * promc_shutdown() frees it. NULL on out of memory (retried on the next call). */
PROMC_API promc_registry *promc_default_registry(void);

/* Frees the default registry and its process collector (the metrics in it
 * lose the registry's reference). For programs that want a clean exit under
 * leak checkers: call it once, at the end, when no other thread uses promc.
 * A later promc_default_registry() starts a new, empty one. */
PROMC_API void promc_shutdown(void);

/* Adds a metric (any type, or a custom collector) to a registry; the registry
 * takes a reference. Fails with PROMC_EEXIST when any sample name the metric
 * emits (x, x_total, x_created, x_bucket, x_count, x_sum, x_info) is already
 * emitted by a metric in the registry; the message names both. A metric may be
 * registered in several registries. */
PROMC_API int promc_registry_register(promc_registry *reg, promc_metric *m);
/* Removes a metric from a registry and drops the registry's reference; waits
 * for running scrapes of that registry. PROMC_ENOENT if it was not there. */
PROMC_API int promc_registry_unregister(promc_registry *reg, promc_metric *m);
/* Unregisters every metric of the registry. */
PROMC_API void promc_registry_clear(promc_registry *reg);
/* Default child limit for metrics created in this registry afterwards without
 * a limit of their own (0 = unlimited, the default). */
PROMC_API void promc_registry_set_max_children(promc_registry *reg, size_t max_children);
/* Whether OpenMetrics output carries _created samples (default on). */
PROMC_API void promc_registry_set_created(promc_registry *reg, int enabled);

typedef struct promc_label {
    const char *name;
    const char *value;
} promc_label;

/* For users' unit tests: the current value of the sample named `name` (the
 * exposed sample name, e.g. "http_requests_total", "lat_seconds_bucket") with
 * exactly the given labels (any order; "le"/"quantile" included where they
 * apply), as the text format would expose it. Writes it to *value and returns
 * PROMC_OK, or PROMC_ENOENT when no such sample exists. */
PROMC_API int promc_registry_get_sample_value(promc_registry *reg, const char *name,
                                              const promc_label *labels, size_t nlabels,
                                              double *value);

/* Builds a NULL-terminated array of label names inline:
 * promc_counter_new(NULL, "req", "Requests.", PROMC_LABELS("method", "code")) */
#define PROMC_LABELS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define PROMC__COUNT(...) (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* Options shared by every metric type; all fields optional (zero = default). */
typedef struct promc_metric_opts {
    /* Unit, e.g. "seconds": the name must end with "_<unit>"; exposed as
     * "# UNIT" in OpenMetrics. Not allowed for enums and infos. */
    const char *unit;
    /* Refuse label sets beyond this many children (0 = registry default). */
    size_t max_children;
} promc_metric_opts;

/* Generic operations on a metric of any type. */
/* Drops the caller's reference: the metric is destroyed once no registry holds
 * it either. Its children are destroyed with it. NULL is a no-op. */
PROMC_API void promc_metric_free(promc_metric *m);
/* The metric's name as given at creation (after _total/_info folding). */
PROMC_API const char *promc_metric_name(const promc_metric *m);
/* Number of live children (1 for an unlabelled metric). */
PROMC_API size_t promc_metric_children(promc_metric *m);
/* Label sets refused so far because of the child limit. */
PROMC_API uint64_t promc_metric_refused(promc_metric *m);

/* ===================================================================== */
/* Counter                                                                */
/* ===================================================================== */

/* A counter handle is either the metric (from promc_counter_new) or one of its
 * children (from promc_counter_labels). For an unlabelled counter the metric
 * handle is its one series; for a labelled one, updates through the metric
 * handle go nowhere visible -- use a child. */
typedef struct promc_counter promc_counter;

/* Creates a counter and registers it in reg (NULL = default registry,
 * PROMC_NO_REGISTRY = none). The name may end in "_total" or not; the samples
 * are "<base>_total" either way (family "<base>" in OpenMetrics). label_names
 * is NULL or a NULL-terminated array (PROMC_LABELS). NULL on error. */
PROMC_API promc_counter *promc_counter_new(promc_registry *reg, const char *name, const char *help,
                                           const char *const *label_names);
PROMC_API promc_counter *promc_counter_new_opts(promc_registry *reg, const char *name,
                                                const char *help, const char *const *label_names,
                                                const promc_metric_opts *opts);
/* Increments by 1. Lock-free, allocation-free; NULL is a no-op. */
PROMC_API void promc_counter_inc(promc_counter *c);
/* Adds v >= 0. Whole v below 2^62 take the exact integer path. Returns
 * PROMC_EINVAL (value unchanged) for v < 0 or NaN; PROMC_OK otherwise. */
PROMC_API int promc_counter_add(promc_counter *c, double v);
/* Adds n, exactly while the total stays below 2^64 (n from 2^62 on goes to
 * the double cell, so the counter never wraps). */
PROMC_API void promc_counter_add_int(promc_counter *c, uint64_t n);
/* The current value (0 for NULL). */
PROMC_API double promc_counter_get(promc_counter *c);
/* The child for these label values (count must match the label names; values
 * must be valid UTF-8). Created on first use; later calls return the same
 * handle, valid until removed or the metric is freed. NULL on error (wrong
 * count, bad UTF-8, out of memory, child limit reached). */
PROMC_API promc_counter *promc_counter_labels_n(promc_counter *c, const char *const *values,
                                                size_t n);
#define promc_counter_labels(c, ...)                                                               \
    promc_counter_labels_n((c), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
/* Removes the child with these values (its handle becomes invalid). */
PROMC_API int promc_counter_remove_n(promc_counter *c, const char *const *values, size_t n);
#define promc_counter_remove(c, ...)                                                               \
    promc_counter_remove_n((c), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
/* Removes every child (all child handles become invalid). */
PROMC_API void promc_counter_clear(promc_counter *c);
/* The metric of a counter or child handle, for registry calls. */
PROMC_API promc_metric *promc_counter_metric(promc_counter *c);
PROMC_API void promc_counter_free(promc_counter *c);

/* ===================================================================== */
/* Gauge                                                                  */
/* ===================================================================== */

typedef struct promc_gauge promc_gauge;

PROMC_API promc_gauge *promc_gauge_new(promc_registry *reg, const char *name, const char *help,
                                       const char *const *label_names);
PROMC_API promc_gauge *promc_gauge_new_opts(promc_registry *reg, const char *name, const char *help,
                                            const char *const *label_names,
                                            const promc_metric_opts *opts);
/* Lock-free, allocation-free; NULL is a no-op. */
PROMC_API void promc_gauge_inc(promc_gauge *g);
PROMC_API void promc_gauge_dec(promc_gauge *g);
PROMC_API void promc_gauge_add(promc_gauge *g, double v);
PROMC_API void promc_gauge_sub(promc_gauge *g, double v);
PROMC_API void promc_gauge_set(promc_gauge *g, double v);
/* Sets the gauge to the current Unix time in seconds. */
PROMC_API void promc_gauge_set_to_current_time(promc_gauge *g);
PROMC_API double promc_gauge_get(promc_gauge *g);

/* Timing a block: t = promc_gauge_timer_start(g); ...; promc_gauge_timer_stop(&t)
 * sets the gauge to the elapsed monotonic seconds. */
typedef struct promc_gauge_timer {
    promc_gauge *gauge;
    int64_t start_ns;
} promc_gauge_timer;
PROMC_API promc_gauge_timer promc_gauge_timer_start(promc_gauge *g);
/* Sets the gauge and returns the elapsed seconds. */
PROMC_API double promc_gauge_timer_stop(promc_gauge_timer *t);
/* In-progress tracking: inc now, dec when the returned token is ended. */
PROMC_API promc_gauge *promc_gauge_track_inprogress(promc_gauge *g);
PROMC_API void promc_gauge_track_end(promc_gauge *g);

PROMC_API promc_gauge *promc_gauge_labels_n(promc_gauge *g, const char *const *values, size_t n);
#define promc_gauge_labels(g, ...)                                                                 \
    promc_gauge_labels_n((g), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
PROMC_API int promc_gauge_remove_n(promc_gauge *g, const char *const *values, size_t n);
#define promc_gauge_remove(g, ...)                                                                 \
    promc_gauge_remove_n((g), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
PROMC_API void promc_gauge_clear(promc_gauge *g);
PROMC_API promc_metric *promc_gauge_metric(promc_gauge *g);
PROMC_API void promc_gauge_free(promc_gauge *g);

/* ===================================================================== */
/* Histogram                                                              */
/* ===================================================================== */

typedef struct promc_histogram promc_histogram;

/* .005 .01 .025 .05 .075 .1 .25 .5 .75 1 2.5 5 7.5 10 (client_python's). */
#define PROMC_DEFAULT_BUCKETS_COUNT 14
PROMC_API extern const double promc_default_buckets[PROMC_DEFAULT_BUCKETS_COUNT];

typedef struct promc_histogram_opts {
    const char *unit;
    size_t max_children;
    /* Upper bounds, strictly increasing and finite (a trailing +Inf is
     * accepted and folded into the implicit one). NULL = default buckets. */
    const double *buckets;
    size_t nbuckets;
} promc_histogram_opts;

/* Fills out[0..count) with start, start+width, ... Returns PROMC_EINVAL for
 * count == 0, width <= 0 or non-finite input. */
PROMC_API int promc_buckets_linear(double *out, double start, double width, size_t count);
/* Fills out[0..count) with start, start*factor, ... (start > 0, factor > 1). */
PROMC_API int promc_buckets_exponential(double *out, double start, double factor, size_t count);

/* opts may be NULL (default buckets). Label "le" is reserved. */
PROMC_API promc_histogram *promc_histogram_new(promc_registry *reg, const char *name,
                                               const char *help, const char *const *label_names,
                                               const promc_histogram_opts *opts);
/* Records v: lock-free, allocation-free; NULL is a no-op. NaN is counted in
 * +Inf and _count and makes _sum NaN (client_golang's behaviour). */
PROMC_API void promc_histogram_observe(promc_histogram *h, double v);
/* t = promc_histogram_timer_start(h); ...; promc_histogram_timer_stop(&t)
 * observes the elapsed monotonic seconds and returns them. */
typedef struct promc_histogram_timer {
    promc_histogram *histogram;
    int64_t start_ns;
} promc_histogram_timer;
PROMC_API promc_histogram_timer promc_histogram_timer_start(promc_histogram *h);
PROMC_API double promc_histogram_timer_stop(promc_histogram_timer *t);

PROMC_API promc_histogram *promc_histogram_labels_n(promc_histogram *h, const char *const *values,
                                                    size_t n);
#define promc_histogram_labels(h, ...)                                                             \
    promc_histogram_labels_n((h), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
PROMC_API int promc_histogram_remove_n(promc_histogram *h, const char *const *values, size_t n);
#define promc_histogram_remove(h, ...)                                                             \
    promc_histogram_remove_n((h), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
PROMC_API void promc_histogram_clear(promc_histogram *h);
PROMC_API promc_metric *promc_histogram_metric(promc_histogram *h);
PROMC_API void promc_histogram_free(promc_histogram *h);

/* ===================================================================== */
/* Summary                                                                */
/* ===================================================================== */

typedef struct promc_summary promc_summary;

typedef struct promc_objective {
    double quantile; /* in [0, 1] */
    double error;    /* allowed rank error, in (0, 1) */
} promc_objective;

typedef struct promc_summary_opts {
    const char *unit;
    size_t max_children;
    /* Quantiles to estimate; none by default (only _count and _sum). */
    const promc_objective *objectives;
    size_t nobjectives;
    /* Sliding window: quantiles cover the last max_age seconds (default 600),
     * rotated in age_buckets steps (default 5). */
    double max_age;
    unsigned age_buckets;
} promc_summary_opts;

/* opts may be NULL (no quantiles). Label "quantile" is reserved. */
PROMC_API promc_summary *promc_summary_new(promc_registry *reg, const char *name, const char *help,
                                           const char *const *label_names,
                                           const promc_summary_opts *opts);
/* Records v. Without objectives: lock-free and allocation-free. With
 * objectives: takes the child's own mutex (the quantile stream is a sorted
 * structure), never a registry lock. NULL is a no-op. */
PROMC_API void promc_summary_observe(promc_summary *s, double v);
typedef struct promc_summary_timer {
    promc_summary *summary;
    int64_t start_ns;
} promc_summary_timer;
PROMC_API promc_summary_timer promc_summary_timer_start(promc_summary *s);
PROMC_API double promc_summary_timer_stop(promc_summary_timer *t);

PROMC_API promc_summary *promc_summary_labels_n(promc_summary *s, const char *const *values,
                                                size_t n);
#define promc_summary_labels(s, ...)                                                               \
    promc_summary_labels_n((s), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
PROMC_API int promc_summary_remove_n(promc_summary *s, const char *const *values, size_t n);
#define promc_summary_remove(s, ...)                                                               \
    promc_summary_remove_n((s), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
PROMC_API void promc_summary_clear(promc_summary *s);
PROMC_API promc_metric *promc_summary_metric(promc_summary *s);
PROMC_API void promc_summary_free(promc_summary *s);

/* ===================================================================== */
/* Enum (OpenMetrics stateset)                                            */
/* ===================================================================== */

typedef struct promc_enum promc_enum;

/* states: NULL-terminated list of distinct, non-empty UTF-8 state names (at
 * least one); the first is the initial state. Exposed with a label named
 * after the metric, which is therefore reserved. */
PROMC_API promc_enum *promc_enum_new(promc_registry *reg, const char *name, const char *help,
                                     const char *const *label_names, const char *const *states);
/* Sets the current state by name; PROMC_EINVAL for an unknown state. */
PROMC_API int promc_enum_set(promc_enum *e, const char *state);
/* Sets the current state by index into the states list. */
PROMC_API int promc_enum_set_index(promc_enum *e, size_t index);
/* Index of the current state (0 for NULL). */
PROMC_API size_t promc_enum_get(promc_enum *e);
PROMC_API promc_enum *promc_enum_labels_n(promc_enum *e, const char *const *values, size_t n);
#define promc_enum_labels(e, ...)                                                                  \
    promc_enum_labels_n((e), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
PROMC_API int promc_enum_remove_n(promc_enum *e, const char *const *values, size_t n);
#define promc_enum_remove(e, ...)                                                                  \
    promc_enum_remove_n((e), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
PROMC_API void promc_enum_clear(promc_enum *e);
PROMC_API promc_metric *promc_enum_metric(promc_enum *e);
PROMC_API void promc_enum_free(promc_enum *e);

/* ===================================================================== */
/* Info                                                                   */
/* ===================================================================== */

typedef struct promc_info promc_info;

/* A constant set of key/value pairs, exposed as "<name>_info{pairs} 1". The
 * name may end in "_info" or not. Keys follow the label-name rules. */
PROMC_API promc_info *promc_info_new(promc_registry *reg, const char *name, const char *help,
                                     const promc_label *pairs, size_t npairs);
PROMC_API promc_metric *promc_info_metric(promc_info *i);
PROMC_API void promc_info_free(promc_info *i);

/* C11 convenience: the promc_metric of any typed handle. */
#define PROMC_METRIC(x)                                                                            \
    _Generic((x), promc_counter *                                                                  \
             : promc_counter_metric, promc_gauge *                                                 \
             : promc_gauge_metric, promc_histogram *                                               \
             : promc_histogram_metric, promc_summary *                                             \
             : promc_summary_metric, promc_enum *                                                  \
             : promc_enum_metric, promc_info *                                                     \
             : promc_info_metric)(x)

/* ===================================================================== */
/* Custom collectors                                                      */
/* ===================================================================== */

typedef enum promc_type {
    PROMC_COUNTER,
    PROMC_GAUGE,
    PROMC_HISTOGRAM,
    PROMC_SUMMARY,
    PROMC_STATESET,
    PROMC_INFO,
    PROMC_UNTYPED
} promc_type;

/* Where a collector's families and samples go during a scrape. */
typedef struct promc_emitter promc_emitter;

/* Called on every scrape of a registry the collector is in, possibly from
 * several threads at once (one emitter each). Emit with the functions below;
 * return 0, or non-zero to abandon the scrape with PROMC_EIO. */
typedef int (*promc_collect_fn)(promc_emitter *e, void *userdata);

/* A metric whose samples come from a callback. `names` optionally lists the
 * family names it will emit (NULL-terminated), for duplicate detection at
 * registration; free_fn (may be NULL) is called on userdata when the collector
 * is destroyed. Registered like any metric (reg as for *_new). On failure
 * (NULL) free_fn is not called: userdata stays the caller's. */
PROMC_API promc_metric *promc_collector_new(promc_registry *reg, promc_collect_fn fn,
                                            void *userdata, void (*free_fn)(void *),
                                            const char *const *names);

/* Starts a family. Same naming rules as the typed constructors (counter names
 * fold "_total", info names fold "_info"); unit may be NULL. Returns
 * PROMC_EINVAL (and the family is skipped) for a bad name or help. */
PROMC_API int promc_emit_family(promc_emitter *e, const char *name, const char *help,
                                promc_type type, const char *unit);
/* One sample of the current counter, gauge or untyped family; for an info
 * family the labels are the pairs and value is ignored. Each sample may carry
 * its own label set. Label names and values are validated and escaped. */
PROMC_API int promc_emit_sample(promc_emitter *e, const promc_label *labels, size_t nlabels,
                                double value);
/* One histogram series: bounds[i] (increasing, finite) with cumulative counts,
 * +Inf implied by count. */
PROMC_API int promc_emit_histogram(promc_emitter *e, const promc_label *labels, size_t nlabels,
                                   const double *bounds, const uint64_t *cumulative, size_t nbounds,
                                   uint64_t count, double sum);
/* One summary series with optional quantiles (increasing). */
PROMC_API int promc_emit_summary(promc_emitter *e, const promc_label *labels, size_t nlabels,
                                 const double *quantiles, const double *values, size_t nquantiles,
                                 uint64_t count, double sum);
/* One stateset series: states[i] set when i == current. */
PROMC_API int promc_emit_stateset(promc_emitter *e, const promc_label *labels, size_t nlabels,
                                  const char *const *states, size_t nstates, size_t current);

/* ===================================================================== */
/* Process metrics                                                        */
/* ===================================================================== */

/* A collector of the standard process_* metrics of the calling process, read
 * from procfs at every scrape: process_cpu_seconds_total, process_open_fds,
 * process_max_fds, process_virtual_memory_bytes,
 * process_virtual_memory_max_bytes (left out when unlimited),
 * process_resident_memory_bytes, process_start_time_seconds. A metric whose
 * source cannot be read is left out rather than exported with a bogus value.
 * proc_root is the procfs mount ("/proc" when NULL; tests pass a fixture
 * directory laid out like /proc with self/ and stat). Registered like any
 * metric (reg as for *_new). The default registry gets one when it is
 * created; see promc_default_process_collector(). */
PROMC_API promc_metric *promc_process_collector_new(promc_registry *reg, const char *proc_root);
/* The process collector of the default registry (creating the default
 * registry if needed), e.g. to unregister it. NULL on out of memory. */
PROMC_API promc_metric *promc_default_process_collector(void);

/* ===================================================================== */
/* Exposition                                                             */
/* ===================================================================== */

typedef enum promc_format {
    PROMC_FORMAT_TEXT,       /* text/plain; version=0.0.4 */
    PROMC_FORMAT_OPENMETRICS /* application/openmetrics-text; version=1.0.0 */
} promc_format;

#define PROMC_CONTENT_TYPE_TEXT        "text/plain; version=0.0.4; charset=utf-8"
#define PROMC_CONTENT_TYPE_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* Receives the exposition in chunks; return 0 to go on, non-zero to stop
 * (the encoder then returns PROMC_EIO). */
typedef int (*promc_write_fn)(void *ctx, const char *data, size_t len);

/* Streams the registry's exposition into fn. Returns PROMC_OK, PROMC_EIO (the
 * writer or a collector failed) or PROMC_ENOMEM. Output already written stays
 * written: a consumer treats a failed exposition as invalid in its entirety. */
PROMC_API int promc_encode(promc_registry *reg, promc_format format, promc_write_fn fn, void *ctx);
/* The exposition in one NUL-terminated buffer from the library allocator (free
 * with promc_free); its length in *len if len is not NULL. NULL on error. */
PROMC_API char *promc_encode_buffer(promc_registry *reg, promc_format format, size_t *len);
/* Writes the exposition to f (not flushed, not closed). */
PROMC_API int promc_encode_file(promc_registry *reg, promc_format format, FILE *f);

/* Chooses the format for an HTTP Accept header (NULL or "" = text), honouring
 * q-values, and returns it; *content_type (if not NULL) gets the exact
 * Content-Type to send with it. */
PROMC_API promc_format promc_negotiate(const char *accept, const char **content_type);
/* The Content-Type of a format. */
PROMC_API const char *promc_content_type(promc_format format);

#ifdef __cplusplus
}
#endif

#endif /* PROMC_H */
