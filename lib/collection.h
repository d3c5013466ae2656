/*
 * Collections of custom collectors (collection.c): one call of a
 * collector's callback, recorded into a result that every scrape wanting it
 * replays -- so concurrent scrapes share one collection, and a collector is
 * never in two calls at once -- run on the scraping thread, or on a
 * collector thread when a scrape has a deadline, so that a late collection
 * can be left behind. What the emitter records, and how a result is
 * replayed into a scrape, is emitter.c's; this file keeps results, runs,
 * who waits for what, and the threads.
 */
#ifndef PROMC_COLLECTION_H
#define PROMC_COLLECTION_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gather.h"
#include "sink.h"
#include "thread_state.h"

struct promc_metric;
struct promc__members;

/* ===================================================================== */
/* Results                                                                */
/* ===================================================================== */

enum promc__rec_kind { PROMC__REC_FAMILY, PROMC__REC_SERIES };

/* One thing a collection emitted: a family (its header), or a series of
 * the family before it. Every pointer inside points into the same result. */
struct promc__rec {
    struct promc__rec *next;
    enum promc__rec_kind kind;
    union {
        struct promc__desc desc;     /* PROMC__REC_FAMILY */
        struct promc__series series; /* PROMC__REC_SERIES */
    };
};

struct promc__chunk;

/* What one collection emitted, in order, and its first error. Written by
 * one thread while recorded; immutable once complete (finished_ns set),
 * when any thread may replay it. Its memory is a list of chunks that never
 * move, so records point at each other and at their strings directly.
 * Reference-counted: the run, the collector (its last result) and scrapes
 * replaying it hold one. */
struct promc__coalesce;

struct promc__result {
    atomic_size_t refs;
    /* The collector whose spare chunks it takes and gives back (NULL:
     * none), so that a collector's collections reuse memory instead of
     * faulting in fresh pages every time. */
    struct promc__coalesce *home;
    struct promc__rec *first, *last;
    int error; /* the first error, PROMC_OK if none */
    char message[PROMC__MESSAGE_MAX];
    const struct promc__rec *error_after; /* the record it followed; NULL: none */
    int64_t finished_ns;                  /* monotonic; 0 while being recorded */
    struct promc__chunk *chunks;
    char *free_at;
    size_t free_left;
};

/* Memory for size bytes (8-aligned) that lives as long as r; NULL when out
 * of memory. */
void *promc__result_alloc(struct promc__result *r, size_t size);
/* A copy of s in r, or NULL. */
char *promc__result_strdup(struct promc__result *r, const char *s);
/* A new record of kind appended to r, zeroed but for kind; NULL. */
struct promc__rec *promc__result_append(struct promc__result *r, enum promc__rec_kind kind);
/* Records code and message as r's error, after the records so far, unless
 * it has one. Allocates nothing. */
void promc__result_fail(struct promc__result *r, int code, const char *message);
void promc__result_ref(struct promc__result *r);
void promc__result_unref(struct promc__result *r);

/* ===================================================================== */
/* Runs                                                                   */
/* ===================================================================== */

/* What a custom collector keeps between its collections (inside its type
 * data, living as long as the collector). */
struct promc__coalesce {
    struct promc__run *inflight;  /* the collection running now (the lock) */
    struct promc__result *last;   /* the last complete one's result, kept when
                                     max_stale is set (the lock) */
    _Atomic uint64_t timeouts;    /* scrapes that gave up on it */
    _Atomic uint64_t duration_ns; /* of the last complete one; UINT64_MAX: none */
    double max_stale;             /* seconds a result may stand in; 0: never */
    struct promc__chunk *spare;   /* chunks of the last result freed (the lock) */
};

struct promc__run;
/* Records one collection: calls the collector's callback with an emitter
 * writing into run->result (emitter.c). */
typedef void (*promc__run_fn)(struct promc__run *run);

/* One collection of a collector, from start to the last scrape done with
 * it. Reference-counted under the library's collection lock. */
struct promc__run {
    size_t refs;                    /* under the lock */
    struct promc_metric *collector; /* referenced while the run lives */
    struct promc__coalesce *co;     /* the collector's (lives as long) */
    promc__run_fn fn;
    struct promc__result *result; /* being recorded; complete when done */
    bool done;                    /* under the lock */
    bool queued;                  /* waiting for a collector thread (the lock) */
    /* The run this one's thread waits for now (the lock): waits form
     * chains, and one that would close a circle is refused. */
    struct promc__run *waiting_for;
    struct promc__run *queue_next;
    pthread_cond_t cond; /* broadcast when done (monotonic clock) */
    int64_t deadline_ns; /* of the scrape that started it; 0: none */
    /* The scrape that started it, for the checks made while recording:
     * its registry and members (referenced), and the scrape itself while it
     * records on the scraping thread (its earlier collectors' names). */
    promc_registry *reg;
    struct promc__members *members;
    struct promc__scrape *scrape; /* NULL on a collector thread */
    /* The starting thread's scraping context, taken over by a collector
     * thread. */
    struct promc__scrape_context context;
};

/* What promc__run_wait says. */
enum { PROMC__RUN_DONE, PROMC__RUN_LATE, PROMC__RUN_CIRCLE };

void promc__coalesce_init(struct promc__coalesce *co, double max_stale);
/* Releases what co holds (the collector is being destroyed: no run). */
void promc__coalesce_fini(struct promc__coalesce *co);

/* The collection of collector (whose state is co) for scrape sc: the one
 * running now if there is one (joined), else a new one (fn records it),
 * which runs on a collector thread when on_thread, else right here before
 * this returns. *out gets a reference (promc__run_release).
 * Errors: PROMC_ENOMEM, PROMC_EIO (no collector thread could be started),
 * recorded as the thread's last error. */
int promc__run_acquire(struct promc__coalesce *co, struct promc_metric *collector,
                       struct promc__scrape *sc, promc__run_fn fn, bool on_thread,
                       struct promc__run **out);
/* Waits until run is done or deadline_ns (monotonic; 0: no limit) passes.
 * PROMC__RUN_DONE, PROMC__RUN_LATE, or PROMC__RUN_CIRCLE when the calling
 * thread's own collection is what run waits for (directly or through
 * others): waiting would never end. Without a deadline, a run still queued
 * for a collector thread is taken over and run here. */
int promc__run_wait(struct promc__run *run, int64_t deadline_ns);
void promc__run_release(struct promc__run *run);
/* The collector's last result if it is at most max_stale old (a
 * reference), else NULL. */
struct promc__result *promc__coalesce_stale(struct promc__coalesce *co);

/* Stops the collector threads, waiting for the collections they run
 * (promc_shutdown). Threads start again when needed. */
void promc__collection_threads_stop(void);

#endif
