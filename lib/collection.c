/*
 * Collections of custom collectors: results, runs, waits, and the threads
 * that run collections for scrapes with a deadline.
 *
 * A run is one call of a collector's callback. A scrape that needs a
 * collector joins the run in flight if there is one, else starts one; so
 * concurrent scrapes share one collection and no collector is ever in two
 * calls at once. The run records into a result of its own, which each scrape
 * replays, so a run that outlives the scrape that started it (a deadline
 * passed) writes into nothing that scrape owned. A released result's chunks
 * go back to its collector for the next run: in steady state a collection
 * allocates nothing (recording 10,000 series into fresh memory every scrape
 * made a scrape 65% slower, most of it page faults; reused, about 6%). A
 * run holds references to the collector, the registry and the member list
 * it checks names against, so unregistering and freeing them while it runs
 * late only delays their destruction until it ends.
 *
 * Without a deadline a new run is made on the scraping thread, as collection
 * always was. With one it goes to a collector thread, and the scrape waits
 * for it at most until the deadline. Collector threads are a pool: made
 * when a run finds none idle, at most MAX_THREADS, kept until
 * promc_shutdown; beyond the limit runs queue.
 *
 * Deadlock. A collector's callback may scrape other registries and so wait
 * for other collectors. Each thread waits for one run at a time, and each
 * run records the run its thread waits for (waiting_for): a wait that would
 * close a circle is refused (PROMC__RUN_CIRCLE) instead of hanging, which
 * keeps the waits a forest. A thread without a deadline that waits for a run
 * still queued for a collector thread runs it itself, so a full pool cannot
 * leave it waiting for ever.
 *
 * One mutex (lock) guards every run's state, every collector's inflight and
 * last, and the pool; it is never held while a callback runs.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "collection.h"
#include "family.h"
#include "internal.h"
#include "registry.h"

/* Collector threads at most: runs of more collectors at once than this
 * queue for the next free thread. Each holds one collection; a thread is
 * made only when a run finds none idle, so a process with a few collectors
 * has a few threads. */
#define MAX_THREADS 32

/* The first chunk of a result; each next one twice the last, up to the
 * cap, so a result of n bytes costs O(log n) allocations. */
#define CHUNK_FIRST 4096
#define CHUNK_MAX   (1 << 20)

/* The collection of the calling thread: the run it records right now, on a
 * collector thread or its own, or NULL. */
static _Thread_local struct promc__run *current_run PROMC__TLS;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* ===================================================================== */
/* Results                                                                */
/* ===================================================================== */

struct promc__chunk {
    struct promc__chunk *next;
    size_t size;
    _Alignas(8) char data[];
};

static struct promc__result *result_new(void)
{
    struct promc__result *r = promc__calloc(1, sizeof *r);
    if (r)
        atomic_init(&r->refs, 1);
    return r;
}

/* A spare chunk of home's with room for size bytes, or NULL. */
static struct promc__chunk *spare_chunk(struct promc__coalesce *home, size_t size)
{
    if (!home)
        return NULL;
    pthread_mutex_lock(&lock);
    struct promc__chunk **p = &home->spare, *c;
    while ((c = *p) && c->size < size)
        p = &c->next;
    if (c)
        *p = c->next;
    pthread_mutex_unlock(&lock);
    return c;
}

static void free_chunks(struct promc__chunk *c)
{
    for (struct promc__chunk *next; c; c = next) {
        next = c->next;
        promc__free(c);
    }
}

void *promc__result_alloc(struct promc__result *r, size_t size)
{
    size = (size + 7) / 8 * 8;
    if (size > r->free_left) {
        size_t chunk = r->chunks ? r->chunks->size * 2 : CHUNK_FIRST;
        if (chunk > CHUNK_MAX)
            chunk = CHUNK_MAX;
        if (chunk < size)
            chunk = size;
        struct promc__chunk *c = spare_chunk(r->home, size);
        if (!c) {
            c = promc__malloc(sizeof *c + chunk);
            if (!c)
                return NULL;
            c->size = chunk;
        }
        c->next = r->chunks;
        r->chunks = c;
        r->free_at = c->data;
        r->free_left = c->size;
    }
    void *p = r->free_at;
    r->free_at += size;
    r->free_left -= size;
    return p;
}

char *promc__result_strdup(struct promc__result *r, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = promc__result_alloc(r, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

struct promc__rec *promc__result_append(struct promc__result *r, enum promc__rec_kind kind)
{
    struct promc__rec *rec = promc__result_alloc(r, sizeof *rec);
    if (!rec)
        return NULL;
    memset(rec, 0, sizeof *rec);
    rec->kind = kind;
    if (r->last)
        r->last->next = rec;
    else
        r->first = rec;
    r->last = rec;
    return rec;
}

void promc__result_fail(struct promc__result *r, int code, const char *message)
{
    if (r->error != PROMC_OK)
        return;
    r->error = code;
    r->error_after = r->last;
    snprintf(r->message, sizeof r->message, "%s", message);
}

void promc__result_ref(struct promc__result *r)
{
    atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
}

void promc__result_unref(struct promc__result *r)
{
    if (!r || atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
        return;
    struct promc__chunk *chunks = r->chunks;
    if (r->home) {
        /* The next collection of the collector reuses them; the spare
         * chunks before are dropped, so what a collector keeps is bounded by
         * one output. */
        pthread_mutex_lock(&lock);
        struct promc__chunk *old = r->home->spare;
        r->home->spare = chunks;
        pthread_mutex_unlock(&lock);
        chunks = old;
    }
    free_chunks(chunks);
    promc__free(r);
}

/* ===================================================================== */
/* Collector state                                                        */
/* ===================================================================== */

void promc__coalesce_init(struct promc__coalesce *co, double max_stale)
{
    co->inflight = NULL;
    co->last = NULL;
    atomic_init(&co->timeouts, 0);
    atomic_init(&co->duration_ns, UINT64_MAX);
    co->max_stale = max_stale;
    co->spare = NULL;
}

void promc__coalesce_fini(struct promc__coalesce *co)
{
    /* No collection runs and no scrape holds the collector: last is the
     * only result left, and nothing else reaches spare. */
    if (co->last)
        co->last->home = NULL;
    promc__result_unref(co->last);
    co->last = NULL;
    free_chunks(co->spare);
    co->spare = NULL;
}

struct promc__result *promc__coalesce_stale(struct promc__coalesce *co)
{
    if (!(co->max_stale > 0))
        return NULL;
    pthread_mutex_lock(&lock);
    struct promc__result *r = co->last;
    if (r && (double)(promc__mono_ns() - r->finished_ns) / 1e9 <= co->max_stale)
        promc__result_ref(r);
    else
        r = NULL;
    pthread_mutex_unlock(&lock);
    return r;
}

/* ===================================================================== */
/* Runs                                                                   */
/* ===================================================================== */

static void run_free(struct promc__run *run)
{
    promc__result_unref(run->result);
    promc__members_unref(run->members);
    if (run->reg)
        promc__registry_unref(run->reg);
    pthread_cond_destroy(&run->cond);
    /* Last: the collector (and free_fn with it) may go now, on this thread. */
    struct promc_metric *collector = run->collector;
    promc__free(run);
    promc__metric_unref(collector);
}

void promc__run_release(struct promc__run *run)
{
    if (!run)
        return;
    pthread_mutex_lock(&lock);
    bool last = --run->refs == 0;
    pthread_mutex_unlock(&lock);
    if (last)
        run_free(run);
}

static struct promc__run *run_new(struct promc__coalesce *co, struct promc_metric *collector,
                                  struct promc__scrape *sc, promc__run_fn fn)
{
    struct promc__run *run = promc__calloc(1, sizeof *run);
    if (!run)
        return NULL;
    run->result = result_new();
    if (run->result)
        run->result->home = co;
    pthread_condattr_t attr;
    bool cond_ok = pthread_condattr_init(&attr) == 0;
    if (cond_ok) {
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        cond_ok = pthread_cond_init(&run->cond, &attr) == 0;
        pthread_condattr_destroy(&attr);
    }
    if (!run->result || !cond_ok) {
        promc__result_unref(run->result);
        if (cond_ok)
            pthread_cond_destroy(&run->cond);
        promc__free(run);
        return NULL;
    }
    run->collector = collector;
    promc__metric_ref(collector);
    run->co = co;
    run->fn = fn;
    run->deadline_ns = sc->deadline_ns;
    run->reg = sc->reg;
    promc__registry_ref(sc->reg);
    run->members = sc->members;
    promc__members_ref(sc->members);
    return run;
}

/* Ends run: its waiters wake, and its result becomes the collector's last
 * (if it keeps one). */
static void run_finish(struct promc__run *run, int64_t started_ns)
{
    int64_t now = promc__mono_ns();
    run->result->finished_ns = now ? now : 1;
    atomic_store_explicit(&run->co->duration_ns, (uint64_t)(now - started_ns),
                          memory_order_relaxed);
    pthread_mutex_lock(&lock);
    run->done = true;
    if (run->co->inflight == run)
        run->co->inflight = NULL;
    /* Kept only for a collector whose last result may stand in: the
     * others cost no memory between collections. */
    struct promc__result *old = NULL;
    if (run->co->max_stale > 0) {
        old = run->co->last;
        run->co->last = run->result;
        promc__result_ref(run->result);
    }
    pthread_cond_broadcast(&run->cond);
    pthread_mutex_unlock(&lock);
    promc__result_unref(old);
}

/* Records run on the calling thread, which was waiting for it (or is about
 * to: its own run's waiting_for is run while it does). */
static void run_execute(struct promc__run *run)
{
    struct promc__run *outer = current_run;
    current_run = run;
    int64_t t0 = promc__mono_ns();
    run->fn(run);
    run->scrape = NULL;
    run_finish(run, t0);
    current_run = outer;
}

/* Does following waits from `from` reach me? (The lock is held.) */
static bool leads_to(const struct promc__run *from, const struct promc__run *me)
{
    for (const struct promc__run *r = from; r; r = r->waiting_for)
        if (r == me)
            return true;
    return false;
}

/* ===================================================================== */
/* Collector threads                                                      */
/* ===================================================================== */

static struct {
    pthread_cond_t work; /* a run was queued, or stop */
    struct promc__run *head, *tail;
    unsigned nqueued, nthreads, nidle;
    pthread_t threads[MAX_THREADS];
    bool stop;
} pool = {.work = PTHREAD_COND_INITIALIZER};

/* Takes the first queued run (the lock is held). */
static struct promc__run *pool_pop(void)
{
    struct promc__run *run = pool.head;
    if (run) {
        pool.head = run->queue_next;
        if (!pool.head)
            pool.tail = NULL;
        run->queue_next = NULL;
        run->queued = false;
        pool.nqueued--;
    }
    return run;
}

/* Takes run out of the queue (the lock is held; run is queued). */
static void pool_remove(struct promc__run *run)
{
    struct promc__run **p = &pool.head, *prev = NULL;
    while (*p != run) {
        prev = *p;
        p = &(*p)->queue_next;
    }
    *p = run->queue_next;
    if (pool.tail == run)
        pool.tail = prev;
    run->queue_next = NULL;
    run->queued = false;
    pool.nqueued--;
}

static void *collector_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (!pool.head && !pool.stop) {
            pool.nidle++;
            pthread_cond_wait(&pool.work, &lock);
            pool.nidle--;
        }
        struct promc__run *run = pool_pop();
        if (!run)
            break; /* stopping, and nothing left to run */
        pthread_mutex_unlock(&lock);
        /* The scraping context of the scrape that started it, so that the
         * callback is refused what it would be refused there. */
        struct promc__scrape_context ctx = run->context;
        promc__scrape_context_swap(&ctx);
        run_execute(run);
        promc__scrape_context_swap(&ctx);
        promc__run_release(run); /* the queue's reference */
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* Queues run for a collector thread, making one if none is idle (the lock
 * is held). False when there is no thread at all to run it. */
static bool pool_submit(struct promc__run *run)
{
    run->queued = true;
    if (pool.tail)
        pool.tail->queue_next = run;
    else
        pool.head = run;
    pool.tail = run;
    pool.nqueued++;
    pthread_cond_signal(&pool.work);
    /* Every queued run gets a thread of its own while the limit allows:
     * runs started together run side by side. */
    if (pool.nqueued <= pool.nidle || pool.stop)
        return true;
    if (pool.nthreads < MAX_THREADS) {
        /* The thread starts with every signal blocked: the application's
         * handlers run on its own threads, not on the library's. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int rc = pthread_create(&pool.threads[pool.nthreads], NULL, collector_thread, NULL);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (rc == 0) {
            pool.nthreads++;
            return true;
        }
    }
    if (pool.nthreads > 0) /* a busy thread takes it when free */
        return true;
    pool_remove(run);
    return false;
}

void promc__collection_threads_stop(void)
{
    pthread_mutex_lock(&lock);
    pool.stop = true;
    pthread_cond_broadcast(&pool.work);
    unsigned n = pool.nthreads;
    pthread_mutex_unlock(&lock);
    /* Only this function changes nthreads downwards, and it is called when
     * no other thread uses promc; collections still running end first. */
    for (unsigned i = 0; i < n; i++)
        pthread_join(pool.threads[i], NULL);
    pthread_mutex_lock(&lock);
    pool.nthreads = 0;
    pool.stop = false;
    pthread_mutex_unlock(&lock);
}

/* ===================================================================== */
/* Starting, joining and waiting                                          */
/* ===================================================================== */

int promc__run_acquire(struct promc__coalesce *co, struct promc_metric *collector,
                       struct promc__scrape *sc, promc__run_fn fn, bool on_thread,
                       struct promc__run **out)
{
    *out = NULL;
    struct promc__run *fresh = NULL;
    for (;;) {
        pthread_mutex_lock(&lock);
        struct promc__run *run = co->inflight;
        if (run) { /* join the collection running now */
            run->refs++;
            pthread_mutex_unlock(&lock);
            if (fresh)
                run_free(fresh);
            *out = run;
            return PROMC_OK;
        }
        if (fresh)
            break; /* still none: start ours, with the lock held */
        pthread_mutex_unlock(&lock);
        fresh = run_new(co, collector, sc, fn);
        if (!fresh)
            return promc__fail(PROMC_ENOMEM, "out of memory starting collector \"%s\"",
                               collector->desc.name);
        if (on_thread)
            promc__scrape_context_get(&fresh->context);
        else
            fresh->scrape = sc;
    }
    /* The lock is held and no collection runs: fresh is it. One reference
     * for the caller, one for whoever records it. */
    co->inflight = fresh;
    fresh->refs = 2;
    *out = fresh;
    if (!on_thread) {
        struct promc__run *me = current_run;
        if (me)
            me->waiting_for = fresh;
        pthread_mutex_unlock(&lock);
        run_execute(fresh);
        promc__run_release(fresh);
        if (me) {
            pthread_mutex_lock(&lock);
            me->waiting_for = NULL;
            pthread_mutex_unlock(&lock);
        }
        return PROMC_OK;
    }
    if (pool_submit(fresh)) {
        pthread_mutex_unlock(&lock);
        return PROMC_OK;
    }
    /* No thread: the collection ends at once, failed, for every waiter. */
    pthread_mutex_unlock(&lock);
    promc__result_fail(fresh->result, PROMC_EIO, "cannot start a collector thread");
    run_finish(fresh, promc__mono_ns());
    promc__run_release(fresh);
    return PROMC_OK;
}

/* Waits on run->cond until deadline_ns; false when it passed (the lock is
 * held). */
static bool wait_until(struct promc__run *run, int64_t deadline_ns)
{
    struct timespec ts = {(time_t)(deadline_ns / 1000000000), (long)(deadline_ns % 1000000000)};
    int rc = pthread_cond_timedwait(&run->cond, &lock, &ts);
    return rc != ETIMEDOUT || promc__mono_ns() < deadline_ns;
}

int promc__run_wait(struct promc__run *run, int64_t deadline_ns)
{
    struct promc__run *me = current_run;
    pthread_mutex_lock(&lock);
    if (!run->done && me) {
        if (leads_to(run, me)) {
            pthread_mutex_unlock(&lock);
            return PROMC__RUN_CIRCLE;
        }
        me->waiting_for = run;
    }
    while (!run->done) {
        if (!deadline_ns && run->queued) {
            /* No collector thread has taken it yet: run it here rather
             * than wait for one that may never come. */
            pool_remove(run);
            pthread_mutex_unlock(&lock);
            /* In this thread's own scraping context: its nesting is real.
             * A callback that scrapes its way back here meets its own run
             * in flight, a circle. */
            run_execute(run);
            promc__run_release(run); /* the queue's reference */
            pthread_mutex_lock(&lock);
        } else if (!deadline_ns) {
            pthread_cond_wait(&run->cond, &lock);
        } else if (!wait_until(run, deadline_ns)) {
            break;
        }
    }
    bool done = run->done;
    if (me)
        me->waiting_for = NULL;
    pthread_mutex_unlock(&lock);
    return done ? PROMC__RUN_DONE : PROMC__RUN_LATE;
}
