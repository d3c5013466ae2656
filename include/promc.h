/*
 * promc -- a Prometheus client library for C.
 *
 * This header is the whole core API, in the order a user learns it: version,
 * errors and memory, registries, the metric types (counter, gauge, histogram,
 * summary, enum, info), custom collectors, process metrics, exposition. The
 * HTTP server, HTTP client, Pushgateway client and textfile writer live in
 * promc_http.h.
 *
 * Series and families. Every metric type comes in two handle types: the
 * series type (promc_counter) is what inc/set/observe work on, and the family
 * type (promc_counter_vec) is a labelled metric whose series are looked up by
 * label values. promc_counter_new() creates an unlabelled metric and returns
 * its one series; promc_counter_vec_new() creates a labelled one. A family
 * cannot be incremented by mistake: the compiler refuses it.
 *
 * Errors. A function that can fail returns a promc_error code (or NULL, for
 * those that return a pointer) and records the code and a message naming the
 * offending name or value for the calling thread. The rule, as in SQLite:
 * promc_last_error_code() and promc_last_error() describe the most recent
 * call in this thread to a function whose comment lists "Errors" -- PROMC_OK
 * and "" after its success. Functions without an "Errors" line cannot fail
 * and leave the last error alone: the hot-path calls, getters, and every
 * *_free(NULL).
 *
 * Thread safety. Every function may be called from any thread at any time,
 * with three exceptions, each repeated at the function: promc_set_allocator
 * (before any other promc call), promc_shutdown (at the end, when no other
 * thread uses promc), and the *_free of a handle while another thread still
 * uses that same handle (as with free()). Callbacks (collectors, writers) may
 * call promc functions; the few calls that cannot be honoured from inside a
 * callback say so and return PROMC_ESTATE instead of waiting. The hot-path
 * calls (inc, add, set, observe) never wait for a scrape; docs/THREADS.md says
 * what each call locks.
 *
 * Ownership. promc copies every string and array it is given; nothing the
 * caller passes needs to outlive the call. Objects returned by a *_new
 * function belong to the caller until passed to the matching *_free, which
 * accepts NULL. docs/API.md has the table of mistakes and what each returns.
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
/* Marks the symbols the shared library exports; everything else is hidden. */
#define PROMC_API __attribute__((visibility("default")))
#else
/* Without symbol visibility, every symbol is exported anyway. */
#define PROMC_API
#endif

/* ===================================================================== */
/* Version                                                                */
/* ===================================================================== */

/* The single source of the version (the Makefile and CMakeLists.txt read
 * these three lines; meson.build repeats them and make test checks it).
 * The major version counts incompatible changes (while it is 0, the minor
 * does). */
#define PROMC_VERSION_MAJOR 0
/* The minor version: new API. */
#define PROMC_VERSION_MINOR 2
/* The patch version: fixes. */
#define PROMC_VERSION_PATCH 0

/* Helpers of PROMC_VERSION_STRING; not for use. */
#define PROMC__STR2(x) #x
#define PROMC__STR(x)  PROMC__STR2(x) /* expands x first */
/* The version these headers belong to, as "0.2.0". */
#define PROMC_VERSION_STRING                                                                       \
    PROMC__STR(PROMC_VERSION_MAJOR)                                                                \
    "." PROMC__STR(PROMC_VERSION_MINOR) "." PROMC__STR(PROMC_VERSION_PATCH)
/* The same version as one comparable number: 0x000200 for 0.2.0. */
#define PROMC_VERSION_HEX                                                                          \
    ((PROMC_VERSION_MAJOR << 16) | (PROMC_VERSION_MINOR << 8) | PROMC_VERSION_PATCH)

/* The version of the library actually linked, as PROMC_VERSION_HEX would
 * spell it. Cannot fail; any thread. */
PROMC_API unsigned promc_version(void);
/* The version of the library actually linked, as text ("0.2.0", static
 * storage). Cannot fail; any thread. */
PROMC_API const char *promc_version_string(void);

/* ===================================================================== */
/* Errors and memory                                                      */
/* ===================================================================== */

/* The error codes, as one table: name, value, static text. */
#define PROMC_ERRNO_MAP(X)                                                                         \
    X(OK, 0, "success")                                                                            \
    X(EINVAL, -1, "invalid argument")                                                              \
    X(ENOMEM, -2, "out of memory")                                                                 \
    X(EEXIST, -3, "already registered")                                                            \
    X(ENOENT, -4, "not found")                                                                     \
    X(ELIMIT, -5, "limit reached")                                                                 \
    X(EIO, -6, "input/output error")                                                               \
    X(ESTATE, -7, "wrong state for this call")

/* PROMC_OK, PROMC_EINVAL, ... generated from PROMC_ERRNO_MAP. */
typedef enum promc_error {
#define PROMC__ERR_ENUM(name, value, text) PROMC_##name = value,
    PROMC_ERRNO_MAP(PROMC__ERR_ENUM)
#undef PROMC__ERR_ENUM
} promc_error;

/* Static text for a code ("out of memory"); "unknown error" for others.
 * Cannot fail; any thread. */
PROMC_API const char *promc_strerror(int code);
/* The code's name ("PROMC_ENOMEM"); "PROMC_UNKNOWN" for others. Cannot fail;
 * any thread. */
PROMC_API const char *promc_errname(int code);
/* The message of the most recent call in this thread that can fail, e.g.
 * "invalid metric name \"1abc\"": "" when it succeeded. Never NULL. The text
 * is the calling thread's own and valid until its next promc call. Cannot
 * fail (and does not change what it reports); any thread. */
PROMC_API const char *promc_last_error(void);
/* The code of the most recent call in this thread that can fail (PROMC_OK
 * when it succeeded or nothing was called yet). Cannot fail; any thread. */
PROMC_API int promc_last_error_code(void);

/* The allocator hooks of promc_set_allocator, with malloc's contract. */
typedef void *(*promc_malloc_fn)(size_t size);
/* With realloc's contract. */
typedef void *(*promc_realloc_fn)(void *ptr, size_t size);
/* With free's contract (never called with NULL by promc). */
typedef void (*promc_free_fn)(void *ptr);

/* Routes every allocation of the library through these functions (all
 * three, or all NULL to restore libc's). With libc's, the HTTP server maps
 * the 2 MiB blocks of a large scrape's response itself (anonymous mappings
 * advised for huge pages, unmapped once sent); with hooks installed, those
 * blocks come from the hooks too, 64 KiB at a time.
 * Errors: PROMC_EINVAL when only some are given (the allocator is unchanged).
 * Thread safety: NONE -- call it before any other promc function, while the
 * process uses promc from one thread; memory allocated before must not be
 * freed by the new hooks. */
PROMC_API int promc_set_allocator(promc_malloc_fn m, promc_realloc_fn r, promc_free_fn f);
/* Frees memory the library handed to the caller (promc_encode_buffer's
 * result). NULL is a no-op. Any thread. */
PROMC_API void promc_free(void *ptr);

/* ===================================================================== */
/* Registries                                                             */
/* ===================================================================== */

/* A set of metrics scraped together. Opaque; reference-counted inside (a
 * running scrape or an HTTP server keeps it alive). */
typedef struct promc_registry promc_registry;
/* Any registrable thing: a metric family of any type, or a custom collector. */
typedef struct promc_metric promc_metric;

/* Pass as the registry to a constructor (*_new) to create a metric that is
 * in no registry, e.g. to register it later or in several registries. It is
 * not a registry: every other function refuses it with PROMC_EINVAL. */
#define PROMC_NO_REGISTRY ((promc_registry *)1)

/* A new, empty registry, owned by the caller (promc_registry_free).
 * Errors: NULL with PROMC_ENOMEM. Any thread. */
PROMC_API promc_registry *promc_registry_new(void);
/* Releases the caller's registry: it and the references it holds on its
 * metrics are dropped once no running scrape or HTTP server uses it any
 * more. NULL is a no-op (PROMC_OK).
 * Errors: PROMC_EINVAL for the default registry (promc_shutdown frees it),
 * for PROMC_NO_REGISTRY, and for a registry already released while a scrape
 * or server still holds it (a second free). Freeing a registry already
 * destroyed is undefined, as with free().
 * Thread safety: any thread, also from a collector scraping it (destruction
 * then waits for the end of the scrape). */
PROMC_API int promc_registry_free(promc_registry *reg);
/* The process-wide default registry, created on first use with a process
 * collector (promc_default_process_collector). Passing NULL as a registry
 * anywhere means this one. Lives until promc_shutdown.
 * Errors: NULL with PROMC_ENOMEM (retried on the next call). Any thread. */
PROMC_API promc_registry *promc_default_registry(void);
/* Releases the default registry and its process collector (metrics in it
 * lose the registry's reference; a running HTTP server keeps serving it
 * until it is freed), and stops the library's collector threads (see
 * promc_scrape_opts.timeout), waiting for the collections they still run.
 * For programs that want a clean exit under leak checkers. A later
 * promc_default_registry() starts a new, empty one, again with a process
 * collector; collector threads start again when needed. Cannot fail.
 * Thread safety: NONE -- call it once, at the end, when no other thread uses
 * promc. */
PROMC_API void promc_shutdown(void);

/* Adds a metric (any type, or a custom collector) to a registry, which takes
 * a reference. A metric may be in several registries. reg NULL = default.
 * Errors: PROMC_EINVAL (m NULL, reg PROMC_NO_REGISTRY); PROMC_EEXIST when m
 * is already in reg, or when a sample name m emits (x, x_total, x_created,
 * x_bucket, x_count, x_sum, x_info) is emitted by a metric already in reg or
 * reserved by the library (promc_children_refused_total); the message names
 * both; PROMC_EINVAL for a metric with names outside the legacy grammars in a
 * registry without promc_registry_set_utf8_names; PROMC_ENOMEM. Any thread,
 * also from a collector: a scrape already running does not include m. */
PROMC_API int promc_registry_register(promc_registry *reg, promc_metric *m);
/* Removes a metric from a registry and drops the registry's reference. A
 * scrape already running may still include it. reg NULL = default.
 * Errors: PROMC_EINVAL (m NULL, reg PROMC_NO_REGISTRY); PROMC_ENOENT when m
 * is not in reg. Any thread, also from a collector (a collector may
 * unregister itself). */
PROMC_API int promc_registry_unregister(promc_registry *reg, promc_metric *m);
/* Unregisters every metric of the registry. reg NULL = default (its process
 * collector included).
 * Errors: PROMC_EINVAL for PROMC_NO_REGISTRY. Any thread. */
PROMC_API int promc_registry_clear(promc_registry *reg);
/* Default child limit for labelled metrics created in this registry from now
 * on without a limit of their own (0 = unlimited, the default).
 * Errors: PROMC_EINVAL for PROMC_NO_REGISTRY; PROMC_ENOMEM creating the
 * default registry. Any thread. */
PROMC_API int promc_registry_set_max_children(promc_registry *reg, size_t max_children);
/* Whether OpenMetrics output of this registry carries _created samples
 * (default on). Errors: as promc_registry_set_max_children. Any thread. */
PROMC_API int promc_registry_set_created(promc_registry *reg, int enabled);
/* Whether metric, label, info key and collector family names in this
 * registry may use UTF-8 (default off: the legacy grammars,
 * [a-zA-Z_:][a-zA-Z0-9_:]* for metric names and [a-zA-Z_][a-zA-Z0-9_]* for
 * label names). When on, metrics and collectors created in the registry from
 * now on, and metrics registered into it, may have any non-empty valid UTF-8
 * name; invalid UTF-8 is still refused with PROMC_EINVAL, and so are the
 * reserved names (a "__" label prefix, le, quantile). Such names are escaped
 * in every exposition unless the scraper asks for escaping=allow-utf-8 (see
 * promc_encode_escaped and docs/FORMATS.md). Turning it off later leaves the
 * metrics already in the registry as they are.
 * Errors: as promc_registry_set_max_children. Any thread. */
PROMC_API int promc_registry_set_utf8_names(promc_registry *reg, int enabled);

/* A label name and value, or an info metric's key and value. */
typedef struct promc_label {
    const char *name;
    const char *value;
} promc_label;

/* For users' unit tests: the current value of the sample named `name` (the
 * exposed sample name, e.g. "http_requests_total", "lat_seconds_bucket")
 * with exactly the given labels (any order; "le"/"quantile" included where
 * they apply), as the text format would expose it, into *value. reg NULL =
 * default; labels may be NULL when nlabels is 0.
 * Errors: PROMC_EINVAL (NULL name or value, a NULL label name or value,
 * PROMC_NO_REGISTRY); PROMC_ENOENT when no such sample exists; the error of a
 * failing collector (as promc_encode); PROMC_ESTATE when called from a
 * collector or writer of a scrape of the same registry. Any thread. */
PROMC_API int promc_registry_get_sample_value(promc_registry *reg, const char *name,
                                              const promc_label *labels, size_t nlabels,
                                              double *value);

/* A wrapped registry (client_golang's WrapRegistererWith and
 * WrapRegistererWithPrefix): a view of reg, usable as the registry of any
 * metric constructor and of promc_collector_new, that gives every metric
 * created through it the name prefix (NULL or "" = none; "app_" makes
 * "requests" "app_requests") and the constant labels (see
 * promc_metric_opts.const_labels; written after the metric's own) and
 * registers it in reg. reg may itself be a wrapper: the inner prefix then
 * comes first, as in Go, and the labels add up (the outer wrapper's first).
 * A custom collector created through it gets the prefix on its declared
 * names and on every family it emits, and the labels after each sample's
 * own (a clash, or "le"/"quantile" on a histogram or summary, is an error
 * of the collection). Collisions are checked on the final names in the
 * registry at the end of the chain, as for any metric. Through a wrapper,
 * promc_registry_register takes back only a metric that already has its
 * prefix and labels (one created through it, then unregistered), and
 * promc_registry_unregister removes only such a one. The process
 * collector, scrapes (promc_encode...), promc_registry_clear, the
 * promc_registry_set_* calls and the HTTP server refuse a wrapper with
 * PROMC_EINVAL: pass the registry it wraps. reg NULL = the default
 * registry; labels may be NULL when nlabels is 0; everything is copied.
 * Ownership: the caller's, freed with promc_registry_free (its metrics stay
 * in reg). The wrapper holds a reference on reg: freeing reg first is
 * safe -- reg lives on (unscraped) until its last wrapper is freed.
 * Errors: NULL with PROMC_EINVAL (reg PROMC_NO_REGISTRY, a prefix that is
 * not UTF-8, labels NULL with nlabels > 0, an invalid, reserved ("__"
 * prefix) or repeated label name -- also one the wrapped wrapper adds -- a
 * NULL or non-UTF-8 value), PROMC_ENOMEM. The name a metric ends up with is
 * checked when it is created. Any thread. */
PROMC_API promc_registry *promc_registry_wrap(promc_registry *reg, const char *prefix,
                                              const promc_label *labels, size_t nlabels);

/* Builds a NULL-terminated array of label names inline:
 * promc_counter_vec_new(NULL, "req", "Requests.", PROMC_LABELS("method", "code"), NULL) */
#define PROMC_LABELS(...) ((const char *const[]){__VA_ARGS__, NULL})
/* The number of arguments, for the *_labels and *_remove macros; not for use. */
#define PROMC__COUNT(...) (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* How the gauges of several processes combine, client_python's
 * multiprocess_mode: ALL exposes each process's value with a "pid" label,
 * MIN/MAX/SUM one value, MOSTRECENT the value set last by any process (by
 * the wall-clock time of the set; a series no process has set or changed
 * yet is not exposed, as in client_python); the LIVE variants forget a
 * process when promc_multiprocess_mark_process_dead is called for it, and
 * so does ALL (client_python's ALL keeps a dead process's series forever).
 * The mode of a promc_mp_gauge, and of a promc_gauge created in
 * multi-process mode (promc_metric_opts.mp_mode); see "Multi-process mode"
 * below. MOSTRECENT and LIVEMOSTRECENT need the timestamped layout
 * (promc_multiprocess_init_layout). */
typedef enum promc_mp_mode {
    PROMC_MP_ALL,
    PROMC_MP_LIVEALL,
    PROMC_MP_MIN,
    PROMC_MP_LIVEMIN,
    PROMC_MP_MAX,
    PROMC_MP_LIVEMAX,
    PROMC_MP_SUM,
    PROMC_MP_LIVESUM,
    PROMC_MP_MOSTRECENT,
    PROMC_MP_LIVEMOSTRECENT
} promc_mp_mode;

/* Options shared by counters, gauges, enums and infos; the histogram and
 * summary options start with the same fields. All optional: zero or NULL
 * means the default, and the opts pointer itself may be NULL. */
typedef struct promc_metric_opts {
    /* Unit, e.g. "seconds": the name must end with "_<unit>"; exposed as
     * "# UNIT" in OpenMetrics. Refused for enums and infos. */
    const char *unit;
    /* Labelled metrics: refuse label sets beyond this many live children
     * (0 = the registry's default). Ignored for unlabelled metrics. */
    size_t max_children;
    /* Constant labels (client_golang's ConstLabels): name/value pairs fixed
     * at creation and written on every series of the metric, in every
     * format, after its variable labels (and before "le" or "quantile"), in
     * the order given; copied. Names follow the label-name rules, each
     * once, and must differ from the variable label names and from the
     * names the type reserves (le, quantile, an enum's own name, an info's
     * keys); values valid UTF-8 ("" allowed). NULL with 0 = none. */
    const promc_label *const_labels;
    size_t nconst_labels;
    /* Gauges created in multi-process mode (promc_multiprocess_init): how
     * the processes' values combine (0 = PROMC_MP_ALL, client_python's
     * default). Without the mode it is checked and otherwise unused. Other
     * types refuse a value other than 0 (PROMC_EINVAL). */
    promc_mp_mode mp_mode;
} promc_metric_opts;

/* ---- Operations on a metric of any type (promc_metric) ---- */

/* Releases the caller's reference to a metric (one of them, when a
 * constructor handed the same registered metric back several times): it is
 * destroyed, with its children, once no caller and no registry holds it.
 * NULL is a no-op (PROMC_OK).
 * Errors: PROMC_EINVAL for a metric whose caller references were all
 * released already while a registry still holds it (a double free the
 * reference counts can see). Freeing a destroyed metric is undefined, as with free().
 * Thread safety: any thread, but not while another thread still uses a
 * handle of this metric through the caller's reference. */
PROMC_API int promc_metric_free(promc_metric *m);
/* The metric's family name (after _total/_info folding); NULL for NULL.
 * Valid while the metric lives. Cannot fail; any thread. */
PROMC_API const char *promc_metric_name(const promc_metric *m);
/* Number of live children: 1 for an unlabelled metric, those not removed
 * for a labelled one; 0 for NULL. A labelled family with a child limit
 * (max_children) keeps the count; one without counts its children one by
 * one (removed ones not yet reclaimed too), so the call takes time in
 * proportion to them. While other threads create and remove children of
 * such a family, the count is not of one instant: it counts every child
 * live throughout the call and only children live at some moment of it,
 * so a child removed and another created meanwhile may both be counted.
 * Cannot fail, never waits for the family's lock; any thread, also inside
 * a writer or collector callback. */
PROMC_API size_t promc_metric_children(const promc_metric *m);
/* Label sets refused so far because of the child limit (0 for NULL). Cannot
 * fail; any thread. */
PROMC_API uint64_t promc_metric_refused(const promc_metric *m);
/* Frees the memory of the children removed from m so far (by *_vec_remove
 * and *_vec_clear). A removed child's handle otherwise stays valid, and
 * working, until the metric is destroyed: call this only at a point where no
 * thread can still use a handle to a removed child. For programs whose label
 * values churn (one child per connection, say), whose removed children would
 * otherwise add up.
 * Errors: PROMC_EINVAL (m NULL); PROMC_ESTATE when called from a writer of a
 * scrape of this metric. Any thread. */
PROMC_API int promc_metric_reclaim_removed(promc_metric *m);

/* ===================================================================== */
/* Counter                                                                */
/* ===================================================================== */

/* One counter series: an unlabelled counter, or a child of a counter vec. */
typedef struct promc_counter promc_counter;
/* A labelled counter family; its series come from promc_counter_vec_labels. */
typedef struct promc_counter_vec promc_counter_vec;

/* Creates an unlabelled counter, registers it in reg (NULL = default,
 * PROMC_NO_REGISTRY = none) and returns its one series, exported at 0 from
 * now on. The name may end in "_total" or not: the sample is "<base>_total"
 * either way (family "<base>" in OpenMetrics). help may be "" but not NULL.
 * opts may be NULL. Names follow the legacy grammar unless reg allows UTF-8
 * names (promc_registry_set_utf8_names); so do label names everywhere.
 * When reg already has a metric with the same definition (type, name, help,
 * unit, label names, constant labels, and for the other types their
 * buckets, objectives, states or pairs), that one is returned, with a
 * reference of its own for the caller (each returned handle is freed once)
 * -- as every constructor does. To be sure of a metric of your own, create
 * it with PROMC_NO_REGISTRY and register it: registering refuses a second
 * one of the same name.
 * Errors: NULL with PROMC_EINVAL (name, help, unit), PROMC_EEXIST (the
 * registry already emits one of its names, from another definition: the
 * message says what differs), PROMC_ENOMEM. Any thread. */
PROMC_API promc_counter *promc_counter_new(promc_registry *reg, const char *name, const char *help,
                                           const promc_metric_opts *opts);
/* Increments by 1. Lock-free, allocation-free, never waits; NULL is a no-op.
 * Any thread. */
PROMC_API void promc_counter_inc(promc_counter *c);
/* Adds v >= 0 (whole v below 2^63 take the exact integer path). NULL is a
 * no-op (PROMC_OK). Errors: PROMC_EINVAL (value unchanged) for v < 0 or NaN.
 * Lock-free; any thread. */
PROMC_API int promc_counter_add(promc_counter *c, double v);
/* Adds n: exactly while the total fits 64 bits, then as exactly as a double
 * allows -- the value never wraps and never goes down, also with several
 * threads adding huge values. NULL is a no-op. Lock-free; any thread. */
PROMC_API void promc_counter_add_int(promc_counter *c, uint64_t n);

/* Exemplars: a small label set (typically {trace_id="..."}) attached to one
 * increment or observation, so that a dashboard can jump from a sample to a
 * trace. A series keeps its most recent exemplar (a histogram: one per
 * bucket, +Inf included; with native buckets a few more, see
 * promc_histogram_observe_exemplar), stamped with the wall clock
 * (CLOCK_REALTIME) at the call; OpenMetrics shows it after the _total or
 * _bucket sample, protobuf carries it too, text 0.0.4 never does. The
 * labels must be valid label names (no "__" prefix), each once, with UTF-8
 * values; names and values together may have at most
 * PROMC_EXEMPLAR_MAX_RUNES characters, as OpenMetrics requires. The
 * increment or observation is recorded whenever it is valid on its own: a
 * bad exemplar is refused whole (never truncated) without losing the data
 * it came with. */
#define PROMC_EXEMPLAR_MAX_RUNES 128

/* Adds v >= 0 as promc_counter_add does and keeps {labels} with value v as
 * the series' exemplar. nlabels 0 is an exemplar without labels. labels is
 * copied (the caller keeps ownership). NULL c is a no-op (PROMC_OK once the
 * arguments are checked).
 * Errors: PROMC_EINVAL for v < 0 or NaN (nothing recorded); PROMC_EINVAL for
 * a bad exemplar -- labels NULL with nlabels > 0, an invalid or repeated
 * name, a NULL or non-UTF-8 value, more than PROMC_EXEMPLAR_MAX_RUNES
 * characters -- and PROMC_ENOMEM, both with v added and the previous
 * exemplar kept. Takes a short lock (per family) and may allocate; any
 * thread. */
PROMC_API int promc_counter_add_exemplar(promc_counter *c, double v, const promc_label *labels,
                                         size_t nlabels);
/* promc_counter_add_exemplar(c, 1, labels, nlabels): increments by 1 and
 * keeps the exemplar with value 1. Errors, ownership and thread safety as
 * promc_counter_add_exemplar. */
PROMC_API int promc_counter_inc_exemplar(promc_counter *c, const promc_label *labels,
                                         size_t nlabels);
/* The current value (0 for NULL). Cannot fail; any thread. */
PROMC_API double promc_counter_get(const promc_counter *c);
/* The metric of an unlabelled counter, for the registry calls.
 * Errors: NULL with PROMC_EINVAL for NULL and for a child of a vec (use
 * promc_counter_vec_metric). Any thread. */
PROMC_API promc_metric *promc_counter_metric(promc_counter *c);
/* Releases an unlabelled counter (as promc_metric_free). NULL is a no-op.
 * Errors: PROMC_EINVAL for a child of a vec (children are not freed one by
 * one: promc_counter_vec_remove detaches one, promc_counter_vec_free
 * releases the family), and as promc_metric_free. Thread safety: as
 * promc_metric_free. */
PROMC_API int promc_counter_free(promc_counter *c);

/* Creates a labelled counter family (label_names: a NULL-terminated array of
 * at least one valid, distinct name, e.g. PROMC_LABELS("method", "code")) and
 * registers it as promc_counter_new does. No series exists until a child is
 * looked up.
 * Errors: as promc_counter_new, and PROMC_EINVAL for no, invalid, reserved
 * ("__" prefix) or duplicate label names. Any thread. */
PROMC_API promc_counter_vec *promc_counter_vec_new(promc_registry *reg, const char *name,
                                                   const char *help, const char *const *label_names,
                                                   const promc_metric_opts *opts);
/* The child for these label values (n must equal the number of label names;
 * values valid UTF-8, "" allowed), created on first use. Later calls return
 * the same handle. A handle stays valid until the family is destroyed, also
 * after promc_counter_vec_remove: a removed child keeps working, detached and
 * no longer exported (client_golang's behaviour). Looking up its values
 * again brings it back as a new series would be -- at zero, created now,
 * last in order -- in the same memory, so the old handle counts into it
 * again (see promc_metric_reclaim_removed).
 * Errors: NULL with PROMC_EINVAL (v NULL, wrong count, a NULL value, invalid
 * UTF-8), PROMC_ELIMIT (child limit reached; counted in
 * promc_children_refused_total), PROMC_ENOMEM; PROMC_ESTATE when a new child
 * is needed from a writer of a scrape of this family. Through a curried view
 * (promc_counter_vec_curry), n and values are those of the labels the view
 * leaves free, and the count is checked against them.
 * Warm path: a hit takes no lock; any thread. */
PROMC_API promc_counter *promc_counter_vec_labels_n(promc_counter_vec *v, const char *const *values,
                                                    size_t n);
/* promc_counter_vec_labels(v, "GET", "200"): the values inline, counted. */
#define promc_counter_vec_labels(v, ...)                                                           \
    promc_counter_vec_labels_n((v), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
/* Stops exporting the child with these values; its handle keeps working,
 * detached, as described at promc_counter_vec_labels_n.
 * Errors: PROMC_EINVAL (as for labels), PROMC_ENOENT (no such live child),
 * PROMC_ESTATE from a writer of a scrape of this family. Any thread. */
PROMC_API int promc_counter_vec_remove_n(promc_counter_vec *v, const char *const *values, size_t n);
/* promc_counter_vec_remove(v, "GET", "200"): the values inline, counted. */
#define promc_counter_vec_remove(v, ...)                                                           \
    promc_counter_vec_remove_n((v), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
/* Removes every child, as promc_counter_vec_remove does for one; through a
 * curried view, every child with the view's fixed values.
 * Errors: PROMC_EINVAL (v NULL), PROMC_ESTATE (as remove). Any thread. */
PROMC_API int promc_counter_vec_clear(promc_counter_vec *v);
/* The family as a metric, for the registry calls (NULL for NULL, and for a
 * curried view: register the family itself). Cannot fail; any thread. */
PROMC_API promc_metric *promc_counter_vec_metric(promc_counter_vec *v);
/* Releases the caller's reference to the family (as promc_metric_free), or
 * a curried view (then PROMC_OK always; freeing a view twice is undefined,
 * as with free()). */
PROMC_API int promc_counter_vec_free(promc_counter_vec *v);
/* A curried view of the family (client_golang's CurryWith): the label
 * values of the n name/value pairs of fixed (any order) are fixed once, and
 * the view's promc_counter_vec_labels, _labels_n and _remove take only the
 * values of the other labels, in the order of the family's label names:
 * for labels (method, code, instance), curry {instance="a"} and look up
 * promc_counter_vec_labels(view, "GET", "200"). The children are the
 * family's own: the same handle as through the family. v may be a view:
 * the new view fixes the values of both. Fixing every label is allowed
 * (lookups through the view then pass no values: _labels_n(view, NULL, 0));
 * n 0 gives a view that fixes what v fixes. promc_counter_vec_clear of a
 * view removes only the children with its fixed values, and
 * promc_counter_vec_remove_partial of a view adds them to the match.
 * Ownership: the values are copied (and checked) now. The view belongs to
 * the caller, released with promc_counter_vec_free; it holds a reference to
 * the family, so the family may be freed first: it lives on, and the view
 * keeps working, until the view is freed too. Freeing a view leaves the
 * family and its children alone.
 * Errors: NULL with PROMC_EINVAL (v NULL, fixed NULL with n > 0, a NULL
 * name or value, a name the family does not have, given twice, or already
 * fixed by v, a value that is not valid UTF-8), PROMC_ENOMEM.
 * Thread safety: any thread. A view never changes: any number of threads
 * may look up through it at once, without a lock on a cache hit, as
 * through the family (the values are merged on the stack for families of
 * up to 16 labels; larger ones allocate at each lookup through a view). */
PROMC_API promc_counter_vec *promc_counter_vec_curry(promc_counter_vec *v, const promc_label *fixed,
                                                     size_t n);
/* Removes every child whose labels include the n name/value pairs of match
 * (client_golang's DeletePartialMatch), as promc_counter_vec_remove removes
 * one: each is no longer exported, its handle keeps working, detached, and
 * looking its values up again brings it back at zero. Through a curried
 * view, the view's fixed values join the match (and its fixed labels may
 * not be in match). *removed, if removed is not NULL, gets how many were
 * removed (0 on failure); removing none is a success. The count is not the
 * return value, so that `!= PROMC_OK` still tells a failure.
 * Errors: PROMC_EINVAL (v NULL; n 0 -- removing every child is
 * promc_counter_vec_clear; match NULL; a NULL name or value; a name the
 * family does not have, given twice, or fixed by the view; a value that is
 * not valid UTF-8), PROMC_ENOMEM; PROMC_ESTATE from a writer of a scrape of
 * this family. Nothing is removed on failure.
 * Thread safety: any thread. It holds the family's write lock for one walk
 * of its children; lookups and updates may race it: a lookup gets the
 * child before its removal (the handle is then detached, as after
 * promc_counter_vec_remove) or after it (back at zero). */
PROMC_API int promc_counter_vec_remove_partial(promc_counter_vec *v, const promc_label *match,
                                               size_t n, size_t *removed);

/* ===================================================================== */
/* Gauge                                                                  */
/* ===================================================================== */

/* One gauge series: an unlabelled gauge, or a child of a gauge vec. */
typedef struct promc_gauge promc_gauge;
/* A labelled gauge family. */
typedef struct promc_gauge_vec promc_gauge_vec;

/* Creates an unlabelled gauge (0 until set); as promc_counter_new. */
PROMC_API promc_gauge *promc_gauge_new(promc_registry *reg, const char *name, const char *help,
                                       const promc_metric_opts *opts);
/* Adds 1. Lock-free, allocation-free, never waits; NULL is a no-op. */
PROMC_API void promc_gauge_inc(promc_gauge *g);
/* Subtracts 1; as promc_gauge_inc. */
PROMC_API void promc_gauge_dec(promc_gauge *g);
/* Adds v (any double); as promc_gauge_inc. */
PROMC_API void promc_gauge_add(promc_gauge *g, double v);
/* Subtracts v; as promc_gauge_inc. */
PROMC_API void promc_gauge_sub(promc_gauge *g, double v);
/* Sets the value (any double, NaN and infinities included); as inc. */
PROMC_API void promc_gauge_set(promc_gauge *g, double v);
/* Sets the gauge to the current Unix time in seconds; as inc. */
PROMC_API void promc_gauge_set_to_current_time(promc_gauge *g);
/* The current value (0 for NULL). Cannot fail; any thread. */
PROMC_API double promc_gauge_get(const promc_gauge *g);

/* Timing a block: t = promc_gauge_timer_start(g); ...;
 * promc_gauge_timer_stop(&t) sets the gauge to the elapsed monotonic
 * seconds. The timer is a plain value owned by the caller. */
typedef struct promc_gauge_timer {
    promc_gauge *gauge;
    int64_t start_ns;
} promc_gauge_timer;
/* Starts a timer for g (g may be NULL: the timer then only measures).
 * Cannot fail; any thread. */
PROMC_API promc_gauge_timer promc_gauge_timer_start(promc_gauge *g);
/* Sets the timer's gauge to the elapsed seconds and returns them (0 for a
 * NULL timer). Cannot fail; any thread. */
PROMC_API double promc_gauge_timer_stop(promc_gauge_timer *t);
/* In-progress tracking: increments g now and returns it, to pass to
 * promc_gauge_track_end when the work is done. Cannot fail; any thread. */
PROMC_API promc_gauge *promc_gauge_track_inprogress(promc_gauge *g);
/* Decrements the gauge promc_gauge_track_inprogress returned. */
PROMC_API void promc_gauge_track_end(promc_gauge *g);
/* The metric of an unlabelled gauge; as promc_counter_metric. */
PROMC_API promc_metric *promc_gauge_metric(promc_gauge *g);
/* Releases an unlabelled gauge; as promc_counter_free. */
PROMC_API int promc_gauge_free(promc_gauge *g);

/* Creates a labelled gauge family; as promc_counter_vec_new. */
PROMC_API promc_gauge_vec *promc_gauge_vec_new(promc_registry *reg, const char *name,
                                               const char *help, const char *const *label_names,
                                               const promc_metric_opts *opts);
/* The child for these label values; as promc_counter_vec_labels_n. */
PROMC_API promc_gauge *promc_gauge_vec_labels_n(promc_gauge_vec *v, const char *const *values,
                                                size_t n);
/* promc_gauge_vec_labels(v, "eth0"): the values inline, counted. */
#define promc_gauge_vec_labels(v, ...)                                                             \
    promc_gauge_vec_labels_n((v), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
/* Stops exporting a child; as promc_counter_vec_remove_n. */
PROMC_API int promc_gauge_vec_remove_n(promc_gauge_vec *v, const char *const *values, size_t n);
/* promc_gauge_vec_remove(v, "eth0"): the values inline, counted. */
#define promc_gauge_vec_remove(v, ...)                                                             \
    promc_gauge_vec_remove_n((v), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
/* Removes every child; as promc_counter_vec_clear. */
PROMC_API int promc_gauge_vec_clear(promc_gauge_vec *v);
/* The family as a metric; as promc_counter_vec_metric. */
PROMC_API promc_metric *promc_gauge_vec_metric(promc_gauge_vec *v);
/* Releases the family; as promc_counter_vec_free. */
PROMC_API int promc_gauge_vec_free(promc_gauge_vec *v);
/* A curried view of the family; as promc_counter_vec_curry. */
PROMC_API promc_gauge_vec *promc_gauge_vec_curry(promc_gauge_vec *v, const promc_label *fixed,
                                                 size_t n);
/* Removes the children whose labels include match; as
 * promc_counter_vec_remove_partial. */
PROMC_API int promc_gauge_vec_remove_partial(promc_gauge_vec *v, const promc_label *match, size_t n,
                                             size_t *removed);

/* ===================================================================== */
/* Histogram                                                              */
/* ===================================================================== */

/* One histogram series: an unlabelled histogram, or a child of a vec. */
typedef struct promc_histogram promc_histogram;
/* A labelled histogram family. */
typedef struct promc_histogram_vec promc_histogram_vec;

/* The number of promc_default_buckets. */
#define PROMC_DEFAULT_BUCKETS_COUNT 14
/* .005 .01 .025 .05 .075 .1 .25 .5 .75 1 2.5 5 7.5 10 (client_python's). */
PROMC_API extern const double promc_default_buckets[PROMC_DEFAULT_BUCKETS_COUNT];

/* Histogram options; all optional, and the pointer may be NULL. */
typedef struct promc_histogram_opts {
    const char *unit;                /* as promc_metric_opts */
    size_t max_children;             /* as promc_metric_opts */
    const promc_label *const_labels; /* as promc_metric_opts */
    size_t nconst_labels;            /* as promc_metric_opts */
    /* Upper bounds, strictly increasing and finite (a trailing +Inf is
     * accepted and folded into the implicit one); copied. NULL = default
     * buckets; nbuckets 0 with non-NULL buckets = only +Inf. */
    const double *buckets;
    size_t nbuckets;
    /* Native (sparse, exponential) buckets, as client_golang 1.14 keeps
     * them (its NativeHistogram* options). native_bucket_factor > 1 turns
     * them on: each bucket's upper bound is at most this factor times its
     * lower bound (the schema is picked from it, between -4 and 8); 0 keeps
     * the histogram classic only, and then every other native_* field must be
     * 0 too. With native buckets on and buckets NULL the histogram is
     * native-only: no classic buckets, only the +Inf one. */
    double native_bucket_factor;
    /* Values with |v| at most this go to the zero bucket. 0 = the default,
     * 2^-128 (2.938735877055719e-39); PROMC_NATIVE_ZERO_THRESHOLD_ZERO = a
     * zero bucket of width 0 (exact zeros only). Otherwise finite and > 0. */
    double native_zero_threshold;
    /* At most this many native buckets (both signs); 0 = no limit. Past it,
     * one step per observation: reset if native_min_reset_seconds have passed
     * since the last reset, else widen the zero bucket (up to
     * native_max_zero_threshold), else halve the resolution (down to schema
     * -4). */
    uint32_t native_max_buckets;
    /* Seconds that must pass before the bucket limit may reset the whole
     * histogram (all counts, classic ones too); 0 = never reset. Finite,
     * >= 0, at most 1e9. */
    double native_min_reset_seconds;
    /* How far the bucket limit may widen the zero bucket; 0 = never.
     * Finite, >= 0. */
    double native_max_zero_threshold;
    /* How many exemplars promc_histogram_observe_exemplar keeps for the
     * native buckets (client_golang's NativeHistogramMaxExemplars), beside
     * the one each classic bucket keeps: 0 = 10; negative = none; at most
     * 1000 (each exemplar kept walks them all under the series' lock).
     * They are kept in order of value and exposed only in protobuf. */
    int native_max_exemplars;
    /* When they are all taken, the oldest is replaced if it is more than
     * this many seconds older than the new one; otherwise one of the two
     * closest in value, so they stay spread over the distribution
     * (NativeHistogramExemplarTTL). 0 = 300; negative = always the oldest.
     * Finite, between -1e9 and 1e9. */
    double native_exemplar_ttl_seconds;
} promc_histogram_opts;

/* native_zero_threshold for a zero bucket of width 0 (client_golang's
 * NativeHistogramZeroThresholdZero). */
#define PROMC_NATIVE_ZERO_THRESHOLD_ZERO (-1.0)

/* Fills out[0..count) with start, start+width, ...
 * Errors: PROMC_EINVAL for out NULL, count 0, width <= 0, non-finite input or
 * a result that overflows. Any thread. */
PROMC_API int promc_buckets_linear(double *out, double start, double width, size_t count);
/* Fills out[0..count) with start, start*factor, ...
 * Errors: PROMC_EINVAL unless out is set, count > 0, start > 0, factor > 1
 * and the result stays finite. Any thread. */
PROMC_API int promc_buckets_exponential(double *out, double start, double factor, size_t count);

/* Creates an unlabelled histogram (opts NULL = default buckets); as
 * promc_counter_new, and PROMC_EINVAL for bad buckets or native options (a
 * factor that is NaN, infinite, negative or in (0, 1]; a zero threshold that
 * is not 0, PROMC_NATIVE_ZERO_THRESHOLD_ZERO or finite > 0; a min reset or
 * max zero threshold negative, NaN or too large; native_* options without a
 * factor). */
PROMC_API promc_histogram *promc_histogram_new(promc_registry *reg, const char *name,
                                               const char *help, const promc_histogram_opts *opts);
/* Records v: lock-free, never waits; NULL is a no-op. A thread's first
 * observation of a classic series allocates a small block for its counts
 * when the thread owns one of the seven stripes (if that fails, the value is
 * counted through the shared counts); later ones allocate nothing. NaN is
 * counted in +Inf and _count and makes _sum NaN (client_golang's behaviour),
 * and in no native bucket; +-Inf go to the native bucket after the one of
 * +-DBL_MAX. With native buckets, a value whose native bucket does not exist
 * yet takes a lock and may allocate (if that fails, the value still counts
 * in _count, _sum and the classic buckets), and past native_max_buckets an
 * observation takes a lock for one bucket-limit step. Any thread. */
PROMC_API void promc_histogram_observe(promc_histogram *h, double v);
/* Records v as promc_histogram_observe does and keeps {labels} with value v
 * as the exemplar of the bucket v falls in (see the exemplar rules at
 * promc_counter_add_exemplar). With native buckets, unless v is NaN, it is
 * also kept among the few exemplars of the native buckets, which protobuf
 * scrapes carry: sorted by value, and once native_max_exemplars are kept it
 * replaces one as client_golang chooses (native_exemplar_ttl_seconds).
 * labels is copied. NULL h is a no-op (PROMC_OK once the exemplar is
 * checked).
 * Errors: PROMC_EINVAL for a bad exemplar (nothing kept), PROMC_ENOMEM; v
 * is recorded either way, and where the exemplar could not be stored the
 * previous ones stay. Takes a short lock (per series) and may allocate; any
 * thread. */
PROMC_API int promc_histogram_observe_exemplar(promc_histogram *h, double v,
                                               const promc_label *labels, size_t nlabels);
/* Timing a block: t = promc_histogram_timer_start(h); ...;
 * promc_histogram_timer_stop(&t) observes the elapsed monotonic seconds. */
typedef struct promc_histogram_timer {
    promc_histogram *histogram;
    int64_t start_ns;
} promc_histogram_timer;
/* Starts a timer for h (h may be NULL: the timer then only measures).
 * Cannot fail; any thread. */
PROMC_API promc_histogram_timer promc_histogram_timer_start(promc_histogram *h);
/* Observes the elapsed seconds and returns them (0 for a NULL timer).
 * Cannot fail; any thread. */
PROMC_API double promc_histogram_timer_stop(promc_histogram_timer *t);
/* The metric of an unlabelled histogram; as promc_counter_metric. */
PROMC_API promc_metric *promc_histogram_metric(promc_histogram *h);
/* Releases an unlabelled histogram; as promc_counter_free. */
PROMC_API int promc_histogram_free(promc_histogram *h);

/* Creates a labelled histogram family ("le" is reserved); as
 * promc_counter_vec_new and promc_histogram_new. */
PROMC_API promc_histogram_vec *promc_histogram_vec_new(promc_registry *reg, const char *name,
                                                       const char *help,
                                                       const char *const *label_names,
                                                       const promc_histogram_opts *opts);
/* The child for these label values; as promc_counter_vec_labels_n. */
PROMC_API promc_histogram *promc_histogram_vec_labels_n(promc_histogram_vec *v,
                                                        const char *const *values, size_t n);
/* promc_histogram_vec_labels(v, "/api"): the values inline, counted. */
#define promc_histogram_vec_labels(v, ...)                                                         \
    promc_histogram_vec_labels_n((v), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
/* Stops exporting a child; as promc_counter_vec_remove_n. */
PROMC_API int promc_histogram_vec_remove_n(promc_histogram_vec *v, const char *const *values,
                                           size_t n);
/* promc_histogram_vec_remove(v, "/api"): the values inline, counted. */
#define promc_histogram_vec_remove(v, ...)                                                         \
    promc_histogram_vec_remove_n((v), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
/* Removes every child; as promc_counter_vec_clear. */
PROMC_API int promc_histogram_vec_clear(promc_histogram_vec *v);
/* The family as a metric; as promc_counter_vec_metric. */
PROMC_API promc_metric *promc_histogram_vec_metric(promc_histogram_vec *v);
/* Releases the family; as promc_counter_vec_free. */
PROMC_API int promc_histogram_vec_free(promc_histogram_vec *v);
/* A curried view of the family; as promc_counter_vec_curry. */
PROMC_API promc_histogram_vec *promc_histogram_vec_curry(promc_histogram_vec *v,
                                                         const promc_label *fixed, size_t n);
/* Removes the children whose labels include match; as
 * promc_counter_vec_remove_partial. */
PROMC_API int promc_histogram_vec_remove_partial(promc_histogram_vec *v, const promc_label *match,
                                                 size_t n, size_t *removed);

/* ===================================================================== */
/* Summary                                                                */
/* ===================================================================== */

/* One summary series: an unlabelled summary, or a child of a vec. */
typedef struct promc_summary promc_summary;
/* A labelled summary family. */
typedef struct promc_summary_vec promc_summary_vec;

/* A quantile to estimate and its allowed rank error. */
typedef struct promc_objective {
    double quantile; /* in [0, 1] */
    double error;    /* allowed rank error, in (0, 1) */
} promc_objective;

/* Summary options; all optional, and the pointer may be NULL. */
typedef struct promc_summary_opts {
    const char *unit;                /* as promc_metric_opts */
    size_t max_children;             /* as promc_metric_opts */
    const promc_label *const_labels; /* as promc_metric_opts */
    size_t nconst_labels;            /* as promc_metric_opts */
    /* Quantiles to estimate, in increasing order; copied. None by default
     * (only _count and _sum). */
    const promc_objective *objectives;
    size_t nobjectives;
    /* Sliding window: quantiles cover the last max_age seconds (default 600),
     * rotated in age_buckets steps (default 5). */
    double max_age;
    unsigned age_buckets;
} promc_summary_opts;

/* Creates an unlabelled summary; as promc_counter_new, and PROMC_EINVAL for
 * bad objectives or max_age. */
PROMC_API promc_summary *promc_summary_new(promc_registry *reg, const char *name, const char *help,
                                           const promc_summary_opts *opts);
/* Records v. Without objectives: lock-free and allocation-free. With
 * objectives: a thread that owns one of the library's seven stripes appends
 * v to its own 500-value buffer in the child without a lock (its first
 * observation of the series allocates the buffer, about 4 KiB); when the
 * buffer is full or its age bucket has ended, and for threads without a
 * stripe on every call, the child's own mutex is taken to merge into the
 * quantile streams (whose buffers may grow) -- never a lock of the registry
 * or one shared with other children. NULL is a no-op. Any thread. */
PROMC_API void promc_summary_observe(promc_summary *s, double v);
/* Timing a block, as with promc_histogram_timer. */
typedef struct promc_summary_timer {
    promc_summary *summary;
    int64_t start_ns;
} promc_summary_timer;
/* Starts a timer for s (s may be NULL: the timer then only measures).
 * Cannot fail; any thread. */
PROMC_API promc_summary_timer promc_summary_timer_start(promc_summary *s);
/* Observes the elapsed seconds and returns them (0 for a NULL timer).
 * Cannot fail; any thread. */
PROMC_API double promc_summary_timer_stop(promc_summary_timer *t);
/* The metric of an unlabelled summary; as promc_counter_metric. */
PROMC_API promc_metric *promc_summary_metric(promc_summary *s);
/* Releases an unlabelled summary; as promc_counter_free. */
PROMC_API int promc_summary_free(promc_summary *s);

/* Creates a labelled summary family ("quantile" is reserved); as
 * promc_counter_vec_new and promc_summary_new. */
PROMC_API promc_summary_vec *promc_summary_vec_new(promc_registry *reg, const char *name,
                                                   const char *help, const char *const *label_names,
                                                   const promc_summary_opts *opts);
/* The child for these label values; as promc_counter_vec_labels_n. */
PROMC_API promc_summary *promc_summary_vec_labels_n(promc_summary_vec *v, const char *const *values,
                                                    size_t n);
/* promc_summary_vec_labels(v, "/api"): the values inline, counted. */
#define promc_summary_vec_labels(v, ...)                                                           \
    promc_summary_vec_labels_n((v), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
/* Stops exporting a child; as promc_counter_vec_remove_n. */
PROMC_API int promc_summary_vec_remove_n(promc_summary_vec *v, const char *const *values, size_t n);
/* promc_summary_vec_remove(v, "/api"): the values inline, counted. */
#define promc_summary_vec_remove(v, ...)                                                           \
    promc_summary_vec_remove_n((v), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
/* Removes every child; as promc_counter_vec_clear. */
PROMC_API int promc_summary_vec_clear(promc_summary_vec *v);
/* The family as a metric; as promc_counter_vec_metric. */
PROMC_API promc_metric *promc_summary_vec_metric(promc_summary_vec *v);
/* Releases the family; as promc_counter_vec_free. */
PROMC_API int promc_summary_vec_free(promc_summary_vec *v);
/* A curried view of the family; as promc_counter_vec_curry. */
PROMC_API promc_summary_vec *promc_summary_vec_curry(promc_summary_vec *v, const promc_label *fixed,
                                                     size_t n);
/* Removes the children whose labels include match; as
 * promc_counter_vec_remove_partial. */
PROMC_API int promc_summary_vec_remove_partial(promc_summary_vec *v, const promc_label *match,
                                               size_t n, size_t *removed);

/* ===================================================================== */
/* Enum (OpenMetrics stateset)                                            */
/* ===================================================================== */

/* One enum series: an unlabelled enum, or a child of an enum vec. */
typedef struct promc_enum promc_enum;
/* A labelled enum family. */
typedef struct promc_enum_vec promc_enum_vec;

/* Creates an unlabelled enum. states: a NULL-terminated list of distinct,
 * non-empty UTF-8 state names (at least one; copied); the first is the
 * initial state. Exposed with a label named after the metric, so the name
 * must also be a valid label name. opts may be NULL (a unit is refused).
 * Errors: as promc_counter_new, and PROMC_EINVAL for bad states. */
PROMC_API promc_enum *promc_enum_new(promc_registry *reg, const char *name, const char *help,
                                     const char *const *states, const promc_metric_opts *opts);
/* Sets the current state by name.
 * Errors: PROMC_EINVAL for an unknown or NULL state (state unchanged). NULL
 * e is a no-op (PROMC_OK). Lock-free; any thread. */
PROMC_API int promc_enum_set(promc_enum *e, const char *state);
/* Sets the current state by its index in the states list.
 * Errors: PROMC_EINVAL for an index out of range. As promc_enum_set. */
PROMC_API int promc_enum_set_index(promc_enum *e, size_t index);
/* Index of the current state (0 for NULL). Cannot fail; any thread. */
PROMC_API size_t promc_enum_get(const promc_enum *e);
/* The metric of an unlabelled enum; as promc_counter_metric. */
PROMC_API promc_metric *promc_enum_metric(promc_enum *e);
/* Releases an unlabelled enum; as promc_counter_free. */
PROMC_API int promc_enum_free(promc_enum *e);

/* Creates a labelled enum family (the metric's own name is reserved as a
 * label name); as promc_counter_vec_new and promc_enum_new. */
PROMC_API promc_enum_vec *promc_enum_vec_new(promc_registry *reg, const char *name,
                                             const char *help, const char *const *label_names,
                                             const char *const *states,
                                             const promc_metric_opts *opts);
/* The child for these label values; as promc_counter_vec_labels_n. */
PROMC_API promc_enum *promc_enum_vec_labels_n(promc_enum_vec *v, const char *const *values,
                                              size_t n);
/* promc_enum_vec_labels(v, "worker1"): the values inline, counted. */
#define promc_enum_vec_labels(v, ...)                                                              \
    promc_enum_vec_labels_n((v), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
/* Stops exporting a child; as promc_counter_vec_remove_n. */
PROMC_API int promc_enum_vec_remove_n(promc_enum_vec *v, const char *const *values, size_t n);
/* promc_enum_vec_remove(v, "worker1"): the values inline, counted. */
#define promc_enum_vec_remove(v, ...)                                                              \
    promc_enum_vec_remove_n((v), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
/* Removes every child; as promc_counter_vec_clear. */
PROMC_API int promc_enum_vec_clear(promc_enum_vec *v);
/* The family as a metric; as promc_counter_vec_metric. */
PROMC_API promc_metric *promc_enum_vec_metric(promc_enum_vec *v);
/* Releases the family; as promc_counter_vec_free. */
PROMC_API int promc_enum_vec_free(promc_enum_vec *v);
/* A curried view of the family; as promc_counter_vec_curry. */
PROMC_API promc_enum_vec *promc_enum_vec_curry(promc_enum_vec *v, const promc_label *fixed,
                                               size_t n);
/* Removes the children whose labels include match; as
 * promc_counter_vec_remove_partial. */
PROMC_API int promc_enum_vec_remove_partial(promc_enum_vec *v, const promc_label *match, size_t n,
                                            size_t *removed);

/* ===================================================================== */
/* Info                                                                   */
/* ===================================================================== */

/* A constant set of key/value pairs. */
typedef struct promc_info promc_info;

/* Creates an info metric, exposed as "<name>_info{pairs} 1" (the name may end
 * in "_info" or not), and registers it as promc_counter_new does. Keys follow
 * the label-name rules, values must be UTF-8; at most 64 pairs; copied. opts
 * may be NULL (a unit is refused).
 * Errors: as promc_counter_new, and PROMC_EINVAL for bad pairs. */
PROMC_API promc_info *promc_info_new(promc_registry *reg, const char *name, const char *help,
                                     const promc_label *pairs, size_t npairs,
                                     const promc_metric_opts *opts);
/* The info as a metric, for the registry calls (NULL for NULL). Cannot
 * fail; any thread. */
PROMC_API promc_metric *promc_info_metric(promc_info *i);
/* Releases the caller's reference (as promc_metric_free). */
PROMC_API int promc_info_free(promc_info *i);

/* A labelled info family (client_python's Info with label names): label
 * names declared at creation -- say "instance", shared with the target it
 * describes -- and, per child, its own key/value pairs, exposed as
 * "<name>_info{labels...,pairs...} 1". */
typedef struct promc_info_vec promc_info_vec;

/* Creates a labelled info family (the name may end in "_info" or not;
 * label_names as for promc_counter_vec_new) and registers it as
 * promc_counter_new does. No series exists until promc_info_vec_set. opts
 * may be NULL (a unit is refused; constant labels and a child limit are
 * taken).
 * Errors: as promc_counter_vec_new. Any thread. */
PROMC_API promc_info_vec *promc_info_vec_new(promc_registry *reg, const char *name,
                                             const char *help, const char *const *label_names,
                                             const promc_metric_opts *opts);
/* Sets the pairs of the child with these label values (n must equal the
 * number of label names), creating the child on first use; a later call
 * replaces them. Keys follow the label-name rules, each once, none a label
 * name of the family (variable or constant); values UTF-8; at most 64
 * pairs, 0 allowed; copied. A child is exposed once its pairs are set; a
 * scrape sees the old pairs or the new ones, never a mix.
 * Errors: PROMC_EINVAL (v NULL, bad values as for promc_counter_vec_labels_n,
 * pairs NULL with npairs > 0, a bad key or value: nothing changes),
 * PROMC_ELIMIT, PROMC_ENOMEM, PROMC_ESTATE (as promc_counter_vec_labels_n
 * for a new child). Takes a short lock of the family; any thread. */
PROMC_API int promc_info_vec_set_n(promc_info_vec *v, const char *const *values, size_t n,
                                   const promc_label *pairs, size_t npairs);
/* promc_info_vec_set(v, pairs, npairs, "host1"): the label values inline,
 * counted, after the pairs. */
#define promc_info_vec_set(v, pairs, npairs, ...)                                                  \
    promc_info_vec_set_n((v), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__),       \
                         (pairs), (npairs))
/* Stops exporting the child with these values (its pairs are dropped: set
 * them again to bring it back); as promc_counter_vec_remove_n. */
PROMC_API int promc_info_vec_remove_n(promc_info_vec *v, const char *const *values, size_t n);
/* promc_info_vec_remove(v, "host1"): the values inline, counted. */
#define promc_info_vec_remove(v, ...)                                                              \
    promc_info_vec_remove_n((v), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__))
/* Removes every child; as promc_counter_vec_clear. */
PROMC_API int promc_info_vec_clear(promc_info_vec *v);
/* The family as a metric, for the registry calls (NULL for NULL). Cannot
 * fail; any thread. */
PROMC_API promc_metric *promc_info_vec_metric(promc_info_vec *v);
/* Releases the caller's reference (as promc_metric_free). */
PROMC_API int promc_info_vec_free(promc_info_vec *v);

/* C11 convenience: the promc_metric of any typed handle (a series handle of
 * a vec's child gives NULL, as its *_metric function does). */
#define PROMC_METRIC(x)                                                                            \
    _Generic((x), promc_counter *                                                                  \
             : promc_counter_metric, promc_counter_vec *                                           \
             : promc_counter_vec_metric, promc_gauge *                                             \
             : promc_gauge_metric, promc_gauge_vec *                                               \
             : promc_gauge_vec_metric, promc_histogram *                                           \
             : promc_histogram_metric, promc_histogram_vec *                                       \
             : promc_histogram_vec_metric, promc_summary *                                         \
             : promc_summary_metric, promc_summary_vec *                                           \
             : promc_summary_vec_metric, promc_enum *                                              \
             : promc_enum_metric, promc_enum_vec *                                                 \
             : promc_enum_vec_metric, promc_info *                                                 \
             : promc_info_metric, promc_info_vec *                                                 \
             : promc_info_vec_metric)(x)

/* ===================================================================== */
/* Custom collectors                                                      */
/* ===================================================================== */

/* The family types a collector can emit. */
typedef enum promc_type {
    PROMC_COUNTER,
    PROMC_GAUGE,
    PROMC_HISTOGRAM,
    PROMC_SUMMARY,
    PROMC_STATESET,
    PROMC_INFO,
    PROMC_UNTYPED
} promc_type;

/* Where a collector's families and samples go during one scrape; valid only
 * during the callback it is given to. */
typedef struct promc_emitter promc_emitter;

/* Called when a scrape of a registry the collector is in needs its
 * samples. Scrapes that need them at the same time share one call (its
 * output is recorded and each of them writes it), so the callback never runs
 * twice at once; it may run on any thread: the scraping one, or, for a
 * scrape with a deadline (promc_scrape_opts.timeout), one of the library's
 * collector threads. Emit with the promc_emit_* functions; return 0, or
 * non-zero to report a failure (the scrapes go on with the other metrics,
 * then fail with PROMC_EIO naming the collector). promc_emitter_timeout says
 * how long it has. The callback may create, register and unregister metrics
 * (itself included) and scrape other registries; scraping the registry it
 * is being collected for fails with PROMC_ESTATE, and so does a scrape that
 * would wait for a collection waiting for this one. */
typedef int (*promc_collect_fn)(promc_emitter *e, void *userdata);

/* A metric whose samples come from a callback, registered as
 * promc_counter_new does. `names` optionally lists the family names it will
 * emit (NULL-terminated; copied), for duplicate detection at registration.
 * Its name (promc_metric_name; the collector label of the promc_collector_*
 * families) is the first of `names`, or "collector_<n>" with n unique in
 * the process: promc_collector_new_opts gives it one. free_fn (may be NULL)
 * is called on userdata when the collector is destroyed: once its creator
 * and every registry let go of it and no collection of it runs any more
 * (a collection that outlived its scrape's deadline keeps it alive until it
 * ends; free_fn then runs on that collection's thread). On failure free_fn
 * is not called: userdata stays the caller's.
 * Errors: NULL with PROMC_EINVAL (fn NULL, an invalid name), PROMC_EEXIST
 * (also: a collector of the same name is in reg), PROMC_ENOMEM. Any
 * thread. */
PROMC_API promc_metric *promc_collector_new(promc_registry *reg, promc_collect_fn fn,
                                            void *userdata, void (*free_fn)(void *),
                                            const char *const *names);

/* Options of promc_collector_new_opts; all optional (zero = default), the
 * pointer itself may be NULL. Read during the call only. */
typedef struct promc_collector_opts {
    /* The collector's name (copied): non-empty UTF-8, unique among the
     * collectors of a registry. It names the collector in error messages
     * and labels its promc_collector_duration_seconds and
     * promc_collector_timeouts_total series. Default: as promc_collector_new. */
    const char *name;
    /* Seconds a complete collection's output may stand in for one still
     * running at a scrape's deadline: a late collector's families are then
     * its last output if that is at most this old. 0: never (they are left
     * out). Finite and not negative. */
    double max_stale;
} promc_collector_opts;

/* promc_collector_new with options (see promc_collector_opts); opts NULL is
 * promc_collector_new.
 * Errors: as promc_collector_new, and PROMC_EINVAL for an empty or
 * non-UTF-8 name or a max_stale that is negative, NaN or infinite. Any
 * thread. */
PROMC_API promc_metric *promc_collector_new_opts(promc_registry *reg, promc_collect_fn fn,
                                                 void *userdata, void (*free_fn)(void *),
                                                 const char *const *names,
                                                 const promc_collector_opts *opts);

/* Seconds the collection this emitter records has left before the scrape
 * that started it stops waiting for it (promc_scrape_opts.timeout, or the
 * HTTP server's scrape deadline): bound upstream requests by it, a little
 * less to leave time for emitting. INFINITY without a deadline (and for
 * NULL), 0 once it has passed: a collection that goes on past it is left
 * behind, not stopped. Cannot fail; only from the collector's callback. */
PROMC_API double promc_emitter_timeout(const promc_emitter *e);

/* Starts a family. Same naming rules as the typed constructors (counter names
 * fold "_total", info names fold "_info"; help "" allowed); unit may be NULL.
 * Errors: PROMC_EINVAL (bad name, help, unit or type), PROMC_EEXIST (a name
 * another metric of the registry, the library, or an earlier family of this
 * collection emits -- or of a collector before it in the scrape, when the
 * collection runs on the scraping thread), PROMC_ENOMEM. A failed family is
 * skipped with its samples, and the scrape then fails with this error after
 * the valid output (see promc_encode): a collector cannot produce an invalid
 * exposition, nor fail silently. Each scrape writing the collection checks
 * the names against its own registry and collectors again, with the same
 * outcome for a clash. Only from the collector's callback. */
PROMC_API int promc_emit_family(promc_emitter *e, const char *name, const char *help,
                                promc_type type, const char *unit);
/* One sample of the current counter, gauge or untyped family; for an info
 * family the labels are the pairs and value is ignored. Each sample may carry
 * its own label set; names and values are validated and escaped.
 * Errors: PROMC_ESTATE (no valid family open, or a family of another type),
 * PROMC_EINVAL (bad labels, a negative or NaN counter value), PROMC_ENOMEM;
 * recorded in the scrape as for promc_emit_family. */
PROMC_API int promc_emit_sample(promc_emitter *e, const promc_label *labels, size_t nlabels,
                                double value);
/* One histogram series: bounds[i] (finite, increasing) with cumulative
 * counts, the +Inf bucket implied by count. Errors: as promc_emit_sample,
 * and PROMC_EINVAL for bounds or counts that are not valid. */
PROMC_API int promc_emit_histogram(promc_emitter *e, const promc_label *labels, size_t nlabels,
                                   const double *bounds, const uint64_t *cumulative, size_t nbounds,
                                   uint64_t count, double sum);
/* One summary series with optional quantiles (increasing, in [0, 1]).
 * Errors: as promc_emit_histogram. */
PROMC_API int promc_emit_summary(promc_emitter *e, const promc_label *labels, size_t nlabels,
                                 const double *quantiles, const double *values, size_t nquantiles,
                                 uint64_t count, double sum);
/* One stateset series: states[i] set when i == current. Errors: as
 * promc_emit_histogram (states empty, duplicate or not UTF-8; current out of
 * range). */
PROMC_API int promc_emit_stateset(promc_emitter *e, const promc_label *labels, size_t nlabels,
                                  const char *const *states, size_t nstates, size_t current);

/* Explicit timestamps, for exporters mirroring another system's clock: the
 * *_ts forms below record the series exactly as the calls without _ts do,
 * and every sample line of it (a histogram's buckets, _sum and _count; each
 * state of a stateset) then carries timestamp_ms, milliseconds since the
 * Unix epoch (any int64_t; negative is before 1970). Text 0.0.4 writes the
 * integer ("x 7 1700000000123"), as client_golang does; OpenMetrics the
 * same instant in seconds, as an exact decimal ("x 7.0 1700000000.123";
 * client_golang's 1.700000000123e+09 means the same to Prometheus but not
 * to every parser); protobuf Metric.timestamp_ms. Prometheus
 * drops samples too far from its own clock without an error, and the
 * Pushgateway refuses timestamped samples: most collectors should emit
 * none. */

/* promc_emit_sample with a timestamp (see above). Errors, ownership and
 * thread safety as promc_emit_sample (timestamp_ms itself is never refused);
 * a refused sample is left out, timestamp and all. */
PROMC_API int promc_emit_sample_ts(promc_emitter *e, const promc_label *labels, size_t nlabels,
                                   double value, int64_t timestamp_ms);
/* promc_emit_histogram with a timestamp on each of its lines. Errors,
 * ownership and thread safety as promc_emit_histogram. */
PROMC_API int promc_emit_histogram_ts(promc_emitter *e, const promc_label *labels, size_t nlabels,
                                      const double *bounds, const uint64_t *cumulative,
                                      size_t nbounds, uint64_t count, double sum,
                                      int64_t timestamp_ms);
/* promc_emit_summary with a timestamp on each of its lines. Errors,
 * ownership and thread safety as promc_emit_summary. */
PROMC_API int promc_emit_summary_ts(promc_emitter *e, const promc_label *labels, size_t nlabels,
                                    const double *quantiles, const double *values,
                                    size_t nquantiles, uint64_t count, double sum,
                                    int64_t timestamp_ms);
/* promc_emit_stateset with a timestamp on each state's line. Errors,
 * ownership and thread safety as promc_emit_stateset. */
PROMC_API int promc_emit_stateset_ts(promc_emitter *e, const promc_label *labels, size_t nlabels,
                                     const char *const *states, size_t nstates, size_t current,
                                     int64_t timestamp_ms);

/* ===================================================================== */
/* Callback metrics                                                       */
/* ===================================================================== */

/* A gauge or counter whose value a function gives at scrape time, in one
 * call (client_golang's NewGaugeFunc / NewCounterFunc), and a labelled
 * family whose series a function lists at scrape time ("one series per
 * queue"). Each is a custom collector inside (promc_collector_new): it is
 * registered, unregistered (promc_registry_unregister) and released
 * (promc_metric_free) like one, and claims the sample names of the type it
 * imitates, so a clash with another metric is PROMC_EEXIST at creation.
 * It is exposed in every format as a gauge or counter created with the
 * same name, help and unit would be, without _created (and with the value
 * always a double: a whole counter value is "1024.0" in OpenMetrics, as
 * client_golang's CounterFunc writes it).
 *
 * When the callback runs: once per scrape that needs it, on the scraping
 * thread -- or, for a scrape with a deadline (promc_scrape_opts.timeout,
 * the HTTP server's), on one of the library's collector threads. Scrapes
 * that need it at the same time share one call, so it never runs twice at
 * once; it must still be safe against the application's own threads, whose
 * data it reads. It may call promc functions (create, update, register),
 * but scraping the registry it is collected for returns PROMC_ESTATE, as
 * for any collector. It should not block for long: with a deadline a late
 * callback is left behind (its metric missing from that scrape).
 *
 * userdata is borrowed: it must stay valid until the metric is destroyed,
 * which happens once the creator (promc_metric_free) and every registry
 * have let go of it and no collection of it runs any more; free_fn (may be
 * NULL) is then called on it once, on the thread that let go last. On a
 * failed creation free_fn is not called: userdata stays the caller's. */

/* Gives the current value into *value and returns 0; a non-zero return
 * says the value could not be read (the file is gone, the upstream did not
 * answer). */
typedef int (*promc_value_fn)(void *userdata, double *value);

/* Creates a gauge whose value is fn's at each scrape, registered in reg
 * (NULL = default, PROMC_NO_REGISTRY = none; see the section's comment for
 * when fn runs and userdata's lifetime). Any double fn gives is exposed,
 * NaN and infinities included. When fn returns non-zero the metric is left
 * out of that scrape and the scrape fails with PROMC_EIO naming it, after
 * writing everything else -- as a failing collector does, and as
 * client_golang's Gather reports a failed Collect (its HTTP handler then
 * answers 500, as promc's server does by default). opts may be NULL; its
 * unit and constant labels are honoured (written after any variable labels,
 * as an ordinary metric writes them), max_children ignored.
 * Errors: NULL with PROMC_EINVAL (name, help, unit or constant labels as for
 * promc_gauge_new; fn NULL), PROMC_EEXIST (reg already emits one of its
 * sample names, or has a collector of that name), PROMC_ENOMEM. Any
 * thread. */
PROMC_API promc_metric *promc_gauge_func_new(promc_registry *reg, const char *name,
                                             const char *help, promc_value_fn fn, void *userdata,
                                             void (*free_fn)(void *),
                                             const promc_metric_opts *opts);
/* Creates a counter whose value is fn's at each scrape ("x" or "x_total":
 * the sample is x_total, as promc_counter_new's), as promc_gauge_func_new.
 * A negative or NaN value is refused, as promc_emit_sample refuses it for a
 * counter: the metric is left out of that scrape, which fails with
 * PROMC_EINVAL naming it and the value (client_golang exposes such a value
 * unchecked; OpenMetrics forbids it). A value lower than the last scrape's
 * is exposed as it is: Prometheus takes a decrease for a counter reset, as
 * after a restart of what the value is read from.
 * Errors: as promc_gauge_func_new. Any thread. */
PROMC_API promc_metric *promc_counter_func_new(promc_registry *reg, const char *name,
                                               const char *help, promc_value_fn fn, void *userdata,
                                               void (*free_fn)(void *),
                                               const promc_metric_opts *opts);

/* What a labelled callback reports its series through; valid only during
 * the call it is given to. */
typedef struct promc_reporter promc_reporter;
/* Lists the family's series at a scrape: one promc_reporter_add per series.
 * Returns 0, or non-zero for a failure (the series reported so far are
 * written, and the scrape fails with PROMC_EIO naming the family). */
typedef int (*promc_report_fn)(promc_reporter *r, void *userdata);

/* Creates a labelled gauge family (label_names: a NULL-terminated array of
 * at least one valid, distinct name, copied) whose series fn lists at each
 * scrape, registered in reg as promc_gauge_func_new is. The family's HELP
 * and TYPE are written even when fn reports no series (as for a
 * promc_gauge_vec without children); the series come in the order
 * reported. opts: the unit and constant labels are honoured (a constant
 * label may not repeat a label name), max_children ignored (the callback
 * decides how many series there are).
 * Errors: as promc_gauge_func_new, and PROMC_EINVAL for no, invalid or
 * duplicate label names. Any thread. */
PROMC_API promc_metric *promc_gauge_func_vec_new(promc_registry *reg, const char *name,
                                                 const char *help, const char *const *label_names,
                                                 promc_report_fn fn, void *userdata,
                                                 void (*free_fn)(void *),
                                                 const promc_metric_opts *opts);
/* A labelled counter family whose series fn lists at each scrape; as
 * promc_gauge_func_vec_new, with the counter rules of
 * promc_counter_func_new for each value.
 * Errors: as promc_gauge_func_vec_new. Any thread. */
PROMC_API promc_metric *promc_counter_func_vec_new(promc_registry *reg, const char *name,
                                                   const char *help, const char *const *label_names,
                                                   promc_report_fn fn, void *userdata,
                                                   void (*free_fn)(void *),
                                                   const promc_metric_opts *opts);
/* Reports one series of the family: its label values (n of them, in the
 * order of the family's label names; UTF-8, "" allowed; copied) and value.
 * A refused series is left out and the call returns why; the rest of the
 * family is written and the scrape then fails with the first such error,
 * naming the family (an exposition never repeats a series or carries an
 * invalid one; client_golang's Gather likewise drops the offending metric
 * and reports an error).
 * Errors: PROMC_EINVAL (r NULL; values NULL or n not the number of label
 * names; a NULL or non-UTF-8 value; a negative or NaN counter value),
 * PROMC_EEXIST (these label values were reported already in this call),
 * PROMC_ESTATE (the family could not be written in this scrape: its own
 * error is the scrape's), PROMC_ENOMEM. Only from the family's callback. */
PROMC_API int promc_reporter_add_n(promc_reporter *r, const char *const *values, size_t n,
                                   double value);
/* promc_reporter_add(r, depth, "queue1"): the value, then the label values
 * inline, counted. */
#define promc_reporter_add(r, value, ...)                                                          \
    promc_reporter_add_n((r), (const char *const[]){__VA_ARGS__}, PROMC__COUNT(__VA_ARGS__),       \
                         (value))

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
 * directory laid out like /proc with self/ and stat). Registered as
 * promc_counter_new does. The default registry gets one when it is created.
 * Errors: NULL with PROMC_EINVAL (proc_root too long), PROMC_EEXIST,
 * PROMC_ENOMEM. Any thread. */
PROMC_API promc_metric *promc_process_collector_new(promc_registry *reg, const char *proc_root);
/* The process collector of the default registry (creating the registry if
 * needed), e.g. to unregister it; it stays owned by the library.
 * Errors: NULL with PROMC_ENOMEM. Any thread. */
PROMC_API promc_metric *promc_default_process_collector(void);

/* ===================================================================== */
/* Multi-process mode                                                     */
/* ===================================================================== */

/* For pre-fork servers: metrics whose every process writes its own
 * memory-mapped files in one directory, in client_python's multi-process
 * format, and a collector that serves their aggregate from any process (or
 * a separate program). Once promc_multiprocess_init has turned the mode on,
 * every promc_counter, promc_gauge, classic promc_histogram and
 * promc_summary (without objectives) created -- any registry, labelled or
 * not -- is a shared family: its series live in the files, scrapes of its
 * registry skip it (the multi-process collector serves it), and what has no
 * meaning across processes is refused with PROMC_EINVAL (native buckets and
 * objectives at creation; exemplars, *_vec_remove, *_vec_clear and
 * *_vec_remove_partial on its series). The promc_mp_* series below are the
 * same series, named directly. docs/MULTIPROCESS.md has the design. */

/* A multi-process counter series (one label set). Owned by the library:
 * valid for the process's life (see promc_multiprocess_shutdown). */
typedef struct promc_mp_counter promc_mp_counter;
/* A multi-process gauge series; owned as promc_mp_counter. */
typedef struct promc_mp_gauge promc_mp_gauge;
/* A multi-process histogram series; owned as promc_mp_counter. */
typedef struct promc_mp_histogram promc_mp_histogram;
/* A multi-process summary series (count and sum only: quantiles of
 * several processes cannot be merged); owned as promc_mp_counter. */
typedef struct promc_mp_summary promc_mp_summary;

/* Turns multi-process mode on for this process: metrics created from now
 * on -- by the promc_mp_*_new functions, and the counters, gauges, classic
 * histograms and summaries without objectives of the ordinary API (shared
 * families, see above) -- write to files <type>_<process_id>.db in dir.
 * dir NULL means the PROMETHEUS_MULTIPROC_DIR environment variable -- the
 * only place the library reads it, so a program that does not ask never
 * changes behaviour. process_id NULL means getpid(); otherwise 1..31 of
 * [A-Za-z0-9.-] ("compacted" is reserved), e.g. to keep a worker slot's
 * files across restarts. A child of fork() writes files named after its
 * own pid from the first instruction after fork() returns (a
 * pthread_atfork handler maps them at the same addresses: the parent's
 * handles keep working), with its values at zero. The files are in the
 * layout of the files already in dir, client_python 0.17's when there are
 * none (see promc_multiprocess_init_layout).
 * Errors: PROMC_EINVAL (no dir and no variable, not a writable directory,
 * an invalid process_id, a directory holding files of both layouts),
 * PROMC_ESTATE (already on), PROMC_ENOMEM. Any thread; before the first
 * metric that should be shared is created. */
PROMC_API int promc_multiprocess_init(const char *dir, const char *process_id);

/* The layout of the files of a multi-process directory. client_python
 * changed it in 0.18 without a version field, and each version misreads
 * the other's files, so a directory holds one layout only:
 * VALUE -- a value per sample, client_python 0.17 and earlier (Debian 12
 * ships 0.16); TIMESTAMPED -- a value and a timestamp per sample,
 * client_python 0.18 and later, and the layout the MOSTRECENT gauge modes
 * need; AUTO -- the layout of the files already in the directory, VALUE
 * when it has none. promc's collector and mark_process_dead read both. */
typedef enum promc_mp_layout {
    PROMC_MP_LAYOUT_AUTO,
    PROMC_MP_LAYOUT_VALUE,
    PROMC_MP_LAYOUT_TIMESTAMPED
} promc_mp_layout;

/* promc_multiprocess_init (which is this with PROMC_MP_LAYOUT_AUTO), with
 * the layout of the files this process writes. Choose TIMESTAMPED to share
 * a directory with client_python 0.18 or later, or for MOSTRECENT gauges.
 * Errors: as promc_multiprocess_init, and PROMC_EINVAL for an invalid
 * layout, or a directory that already holds files with entries in the
 * other layout (with AUTO: in both layouts), naming one. Any thread;
 * before the first metric that should be shared is created. */
PROMC_API int promc_multiprocess_init_layout(const char *dir, const char *process_id,
                                             promc_mp_layout layout);
/* Closes this process's files (they stay, with their values) and turns the
 * mode off; metrics created afterwards are normal. promc_mp_* handles and
 * shared families' series stay valid, but their updates no longer reach
 * the files: they go to memory of this process, from zero (a library's
 * metric used after the program shut the mode down is harmless). Cannot
 * fail.
 * Thread safety: NONE -- no other thread may use a promc_mp_* handle or a
 * shared family's series during the call. */
PROMC_API void promc_multiprocess_shutdown(void);
/* How many times a child of fork() could not create its own files (full
 * disk, permissions) and went on writing into its parent's: counts stay in
 * the sums, but gauges show under the parent's pid. Cannot fail; any
 * thread. */
PROMC_API long promc_multiprocess_fork_failures(void);

/* The counter series of name (a "_total" suffix is implied, as for
 * promc_counter_new) with these labels (any order, copied), created at zero
 * in this process's file or found when it exists. All series of a name must
 * have the same help and label names.
 * Errors: NULL with PROMC_ESTATE (multi-process mode off), PROMC_EINVAL
 * (invalid name, help, label name or value; a label given twice),
 * PROMC_EEXIST (the name exists with another type, help or label names),
 * PROMC_EIO (the file cannot be created, read or grown -- a full disk --
 * naming it; nothing written), PROMC_ELIMIT (the file would pass 1 GiB,
 * or a sample's key -- name, labels and help as client_python's JSON --
 * would be longer than 64 KiB; nothing written), PROMC_ENOMEM. Any
 * thread. */
PROMC_API promc_mp_counter *promc_mp_counter_new(const char *name, const char *help,
                                                 const promc_label *labels, size_t nlabels);
/* Adds 1. Lock-free (a CAS on the shared cell), allocation-free; NULL is a
 * no-op. Any thread. */
PROMC_API void promc_mp_counter_inc(promc_mp_counter *c);
/* Adds v >= 0. NULL is a no-op (PROMC_OK). Errors: PROMC_EINVAL (value
 * unchanged) for v < 0 or NaN. Lock-free; any thread. */
PROMC_API int promc_mp_counter_add(promc_mp_counter *c, double v);

/* The gauge series of name with this mode and these labels ("pid" is
 * reserved), as promc_mp_counter_new; all series of a name share one mode.
 * Errors: as promc_mp_counter_new, and PROMC_EINVAL for an invalid mode. Any
 * thread. */
PROMC_API promc_mp_gauge *promc_mp_gauge_new(const char *name, const char *help, promc_mp_mode mode,
                                             const promc_label *labels, size_t nlabels);
/* Sets the value (one atomic store; in the MOSTRECENT modes a second one,
 * of the time). NULL is a no-op. Any thread. */
PROMC_API void promc_mp_gauge_set(promc_mp_gauge *g, double v);
/* Adds v (negative to subtract) to this process's value; in the
 * MOSTRECENT modes that value becomes the most recent (client_python
 * refuses inc and dec there). Lock-free; NULL is a no-op. Any thread. */
PROMC_API void promc_mp_gauge_add(promc_mp_gauge *g, double v);

/* The histogram series of name with these finite, increasing bounds (the
 * +Inf bucket is added; at least one bound) and labels ("le" is reserved),
 * as promc_mp_counter_new; all series of a name share the bounds.
 * Errors: as promc_mp_counter_new (but for PROMC_EIO and PROMC_ELIMIT,
 * the samples of the series written before the failure stay in the file,
 * at zero), and PROMC_EINVAL for missing or bad bounds. Any thread. */
PROMC_API promc_mp_histogram *promc_mp_histogram_new(const char *name, const char *help,
                                                     const double *bounds, size_t nbounds,
                                                     const promc_label *labels, size_t nlabels);
/* Counts v in its bucket and adds it to the sum (two CAS updates; a scrape
 * may see one without the other). NULL is a no-op. Any thread. */
PROMC_API void promc_mp_histogram_observe(promc_mp_histogram *h, double v);

/* The summary series of name (count and sum; there is no way to ask for
 * quantiles in this mode) with these labels, as promc_mp_counter_new.
 * Errors: as promc_mp_counter_new (but for PROMC_EIO and PROMC_ELIMIT, its
 * _count written before a failure on its _sum stays in the file, at
 * zero). Any thread. */
PROMC_API promc_mp_summary *promc_mp_summary_new(const char *name, const char *help,
                                                 const promc_label *labels, size_t nlabels);
/* Adds 1 to the count and v to the sum. NULL is a no-op. Any thread. */
PROMC_API void promc_mp_summary_observe(promc_mp_summary *s, double v);

/* A collector (registered as promc_counter_new does) that reads every *.db
 * file of dir at each scrape -- files of live and dead processes, written
 * by promc or by client_python, in either layout -- and emits the
 * aggregate: counters, histograms and summaries summed, gauges by their
 * mode. dir NULL: the directory of promc_multiprocess_init, else
 * PROMETHEUS_MULTIPROC_DIR. A file that is not a valid multi-process file
 * (garbage, truncated, another format, a key longer than 64 KiB) is left
 * out, whole, and shown as a sample of the gauge
 * promc_multiprocess_refused_files{file,reason} instead; the rest is
 * served.
 * Errors: NULL with PROMC_EINVAL (no directory, not a directory),
 * PROMC_EEXIST, PROMC_ENOMEM. Any thread. */
PROMC_API promc_metric *promc_multiprocess_collector_new(promc_registry *reg, const char *dir);

/* For a process that exited (pid, or the process_id it was given): removes
 * its live gauge files (as client_python's mark_process_dead) and its
 * ALL-mode gauge files (which client_python keeps: a series per dead pid,
 * without bound), then folds its counter, histogram, summary and
 * min/max/sum/mostrecent gauge files into <type>_compacted.db files (in
 * the timestamped layout when any file folded is) and removes them, so
 * neither the directory nor the scrape grows with worker restarts.
 * Files of it that a child of fork() kept aside (<type>_<pid>+<n>.db) go
 * the same way. Collectors of this library never see a half-done compaction (a
 * lock file); see docs/MULTIPROCESS.md for client_python readers. Call it
 * only for a process that will not write again. dir NULL as for
 * promc_multiprocess_collector_new.
 * Errors: PROMC_EINVAL (NULL or invalid pid, no directory), PROMC_EIO (a
 * file cannot be read, is refused, cannot be written or removed, naming
 * it: that process's files to compact are then left as they are; its
 * gauge files may be gone already), PROMC_ENOMEM. Any thread. */
PROMC_API int promc_multiprocess_mark_process_dead(const char *dir, const char *pid);

/* ===================================================================== */
/* Exposition                                                             */
/* ===================================================================== */

/* The exposition formats. PROMC_FORMAT_PROTOBUF is binary: a sequence of
 * io.prometheus.client.MetricFamily messages, each preceded by its length as
 * a varint (docs/FORMATS.md); Prometheus asks for it when its native
 * histograms are enabled. */
typedef enum promc_format {
    PROMC_FORMAT_TEXT,        /* text/plain; version=0.0.4 */
    PROMC_FORMAT_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
    PROMC_FORMAT_PROTOBUF     /* application/vnd.google.protobuf, delimited */
} promc_format;

/* The Content-Type to send with PROMC_FORMAT_TEXT. */
#define PROMC_CONTENT_TYPE_TEXT "text/plain; version=0.0.4; charset=utf-8"
/* The Content-Type to send with PROMC_FORMAT_OPENMETRICS. */
#define PROMC_CONTENT_TYPE_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"
/* The Content-Type to send with PROMC_FORMAT_PROTOBUF. */
#define PROMC_CONTENT_TYPE_PROTOBUF                                                                \
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"

/* How a scrape writes metric and label names outside the legacy grammars
 * (possible only in a registry with promc_registry_set_utf8_names): the
 * "escaping" parameter of the Accept and Content-Type headers, applied as
 * prometheus/common's model.EscapeName does (docs/FORMATS.md has the rules
 * and examples). Legacy names are written as they are in every scheme. */
typedef enum promc_escaping {
    /* escaping=underscores, the default: each character outside the legacy
     * grammar becomes '_' ("my.metric" -> "my_metric"). */
    PROMC_ESCAPING_UNDERSCORES,
    /* escaping=dots: '.' becomes "_dot_", '_' becomes "__", any other
     * character outside the grammar "__" ("my.metric" -> "my_dot_metric"). */
    PROMC_ESCAPING_DOTS,
    /* escaping=values: "U__", then '_' as "__" and any character outside the
     * grammar as its code point in hex between underscores ("my.metric" ->
     * "U__my_2e_metric"); reversible. */
    PROMC_ESCAPING_VALUES,
    /* escaping=allow-utf-8: names as they are, in the quoted syntax where
     * they are not legacy names: {"my.metric","a.b"="x"} 1. */
    PROMC_ESCAPING_ALLOW_UTF8
} promc_escaping;

/* Receives the exposition in chunks; return 0 to go on, non-zero to stop
 * (the scrape then fails with PROMC_EIO). It may call promc functions,
 * except those that change the family being written (a new child of it,
 * remove, clear, reclaim): they return PROMC_ESTATE. */
typedef int (*promc_write_fn)(void *ctx, const char *data, size_t len);

/* Streams the registry's exposition into fn (reg NULL = default). A
 * collector that fails (returns non-zero, or emits something invalid) does
 * not stop the scrape: every valid family is written, then the error is
 * returned -- so a caller can refuse the whole output (the HTTP server's
 * default) or serve it and count the error.
 * Errors: PROMC_EINVAL (fn NULL, unknown format, PROMC_NO_REGISTRY);
 * PROMC_EIO (the writer failed, or a collector returned non-zero); a
 * collector's emit error (PROMC_EINVAL, PROMC_EEXIST, PROMC_ESTATE);
 * PROMC_ENOMEM; PROMC_ESTATE when called from a collector or writer of a
 * scrape of the same registry. Output already written stays written.
 * Any thread; scrapes run concurrently with each other and with updates. */
PROMC_API int promc_encode(promc_registry *reg, promc_format format, promc_write_fn fn, void *ctx);
/* The exposition in one NUL-terminated buffer from the library allocator
 * (free with promc_free); its length in *len if len is not NULL. The
 * terminating NUL is not counted in *len; a PROMC_FORMAT_PROTOBUF body is
 * binary and may itself contain NUL bytes, so use *len, not strlen.
 * Errors: NULL with promc_encode's errors. Any thread. */
PROMC_API char *promc_encode_buffer(promc_registry *reg, promc_format format, size_t *len);
/* Writes the exposition to f (not flushed, not closed).
 * Errors: PROMC_EINVAL (f NULL), PROMC_EIO (a short write), and promc_encode's
 * errors. Any thread. */
PROMC_API int promc_encode_file(promc_registry *reg, promc_format format, FILE *f);
/* promc_encode with names written as `escaping` says (promc_encode is this
 * with PROMC_ESCAPING_UNDERSCORES; promc_encode_ex with only .escaping set
 * is the same call). Pass what promc_negotiate_escaping chose,
 * and send the Content-Type it gave.
 * Errors: promc_encode's, and PROMC_EINVAL for an unknown escaping. Any
 * thread. */
PROMC_API int promc_encode_escaped(promc_registry *reg, promc_format format,
                                   promc_escaping escaping, promc_write_fn fn, void *ctx);
/* promc_encode_buffer with names written as `escaping` says; the buffer is
 * the caller's (promc_free).
 * Errors: NULL with promc_encode_escaped's errors. Any thread. */
PROMC_API char *promc_encode_buffer_escaped(promc_registry *reg, promc_format format,
                                            promc_escaping escaping, size_t *len);
/* promc_encode_file with names written as `escaping` says.
 * Errors: as promc_encode_file, and PROMC_EINVAL for an unknown escaping.
 * Any thread. */
PROMC_API int promc_encode_file_escaped(promc_registry *reg, promc_format format,
                                        promc_escaping escaping, FILE *f);

/* What one scrape exposes (promc_encode_ex and the calls that take it). All
 * optional: zero or NULL means the default, and the pointer itself may be
 * NULL, which is what promc_encode does. The struct and its strings are read
 * during the call only. */
typedef struct promc_scrape_opts {
    /* Only the families with these names (NULL-terminated, e.g.
     * PROMC_LABELS("http_requests_total", "queue_depth")), in the registry's
     * order. A family's name is the one text 0.0.4 and protobuf give it,
     * which is what client_golang's promhttp matches ?name[]= against: a
     * counter's with "_total", an info's with "_info", a histogram's or a
     * summary's without "_bucket", "_count" or "_sum". A name that matches
     * no family adds nothing, so an unknown name alone gives a valid empty
     * exposition; an empty list (names[0] NULL) exposes no family. NULL:
     * every family. The library's own families (promc_children_refused_total)
     * and those of custom collectors are filtered the same way; collectors
     * still run, and their errors still fail the scrape, as client_golang
     * gathers everything before it filters. */
    const char *const *names;
    /* How names outside the legacy grammars are written (possible only in a
     * registry with promc_registry_set_utf8_names): pass what
     * promc_negotiate_escaping chose. 0 is PROMC_ESCAPING_UNDERSCORES, what
     * promc_encode does; a value outside the enum fails with PROMC_EINVAL. */
    promc_escaping escaping;
    /* Seconds the scrape may wait for custom collectors, from the call on;
     * 0, negative, NaN or infinite: no limit (collectors run on the calling
     * thread, one after the other, as long as they take). With a limit,
     * every collector starts at once on a collector thread of the library
     * (see promc_collect_fn), and one still running when the time is up is
     * left behind: the exposition has everything else, the collector's last
     * output if it is recent enough (promc_collector_opts.max_stale), and
     * the library's families promc_collector_duration_seconds{collector}
     * (gauge: seconds its last complete collection took) and
     * promc_collector_timeouts_total{collector} (counter: scrapes that gave
     * up on it, this one included). A late collector is not an error of the
     * scrape. Those two families are written by scrapes with a limit only. */
    double timeout;
} promc_scrape_opts;

/* promc_encode with options (see promc_scrape_opts); opts NULL is
 * promc_encode.
 * Errors: as promc_encode. Any thread. */
PROMC_API int promc_encode_ex(promc_registry *reg, promc_format format, promc_write_fn fn,
                              void *ctx, const promc_scrape_opts *opts);
/* promc_encode_buffer with options; opts NULL is promc_encode_buffer.
 * Errors: NULL with promc_encode's errors. Any thread. */
PROMC_API char *promc_encode_buffer_ex(promc_registry *reg, promc_format format, size_t *len,
                                       const promc_scrape_opts *opts);
/* promc_encode_file with options; opts NULL is promc_encode_file.
 * Errors: as promc_encode_file. Any thread. */
PROMC_API int promc_encode_file_ex(promc_registry *reg, promc_format format, FILE *f,
                                   const promc_scrape_opts *opts);

/* Chooses the format for an HTTP Accept header (NULL or "" = text),
 * honouring q-values (ties go to the earlier entry), and returns it;
 * *content_type (if not NULL) gets the exact Content-Type to send with it
 * (static storage). Protobuf is chosen only for
 * application/vnd.google.protobuf with proto=io.prometheus.client.MetricFamily
 * and encoding=delimited (as Prometheus sends them); the wildcard ranges
 * never get it (any type or text/ any: text; application/ any: OpenMetrics).
 * Cannot fail; any thread. */
PROMC_API promc_format promc_negotiate(const char *accept, const char **content_type);
/* The Content-Type of a format (static storage; the text one for an unknown
 * value), e.g. PROMC_CONTENT_TYPE_PROTOBUF. Cannot fail; any thread. */
PROMC_API const char *promc_content_type(promc_format format);
/* promc_negotiate, and the escaping the chosen media range asks for with its
 * "escaping" parameter (allow-utf-8, underscores, dots or values, in any
 * ASCII case; missing or unknown: underscores) into *escaping (if not NULL).
 * *content_type (if not NULL) gets the Content-Type to send, which always
 * names the escaping applied, as client_golang's does:
 * "text/plain; version=0.0.4; charset=utf-8; escaping=underscores" (static
 * storage). Cannot fail; any thread. */
PROMC_API promc_format promc_negotiate_escaping(const char *accept, promc_escaping *escaping,
                                                const char **content_type);
/* The Content-Type of a format written with an escaping, as
 * promc_negotiate_escaping gives it (static storage; the text format's, and
 * underscores, for values out of range). Cannot fail; any thread. */
PROMC_API const char *promc_content_type_escaped(promc_format format, promc_escaping escaping);

#ifdef __cplusplus
}
#endif

#endif /* PROMC_H */
