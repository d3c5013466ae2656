/*
 * Summaries: _count and _sum through the same hot/cold counts as histograms
 * (lock-free), plus optional quantiles from a CKMS stream over a sliding time
 * window (quantile.c). The stream is a sorted structure that only one thread
 * at a time may touch (the child's mutex), but an observation does not take
 * that mutex: each thread appends to its own buffer in the child (a stripe,
 * single producer, which also counts the thread's _count and _sum), and the
 * buffer is merged into the window in one sorted batch -- by its owner when
 * it is full or its time bucket has ended, and by a scrape before it
 * queries, so a scrape sees every observation completed before it started.
 * Go batches the same way (500 values), under a lock. Threads without a
 * stripe count through the hot/cold sets and insert under the mutex.
 *
 * A summary created in multi-process mode is a shared family (mp_series.h),
 * without objectives: its children's window is SHARED_WINDOW, a mark that
 * sends every observation down the slow path above, and the slow path to
 * the child's series in the mode's file. A normal summary's hot path is
 * unchanged.
 */
#include <stdalign.h>
#include <math.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "constructor.h"
#include "family.h"
#include "hotcold.h"
#include "internal.h"
#include "mp.h"
#include "mp_series.h"
#include "quantile.h"
#include "stripe_owner.h"
#include "thread_state.h"
#include "vec.h"

struct sum_data {
    size_t nobj;
    struct promc__objective *obj;
    double *quantiles; /* the objectives' quantiles, for the sinks */
    char **q_text;     /* rendered quantile label values */
    char **q_om;
    double max_age;
    unsigned age_buckets;
    double *scratch;      /* nobj query results, guarded by snap */
    pthread_mutex_t snap; /* serialises snapshots */
};

/* A thread's stripe number comes from stripe_owner.h: 1 to STRIPES-1 while
 * it owns one, given back when the thread exits, so the next thread with
 * that number goes on appending to the same buffers (what the last owner
 * left there stays, in its own epoch). Number 0 stands for "no stripe of its
 * own": threads that found every number taken, and any thread whose stripe
 * could not be allocated, count through the hot/cold sets and insert under
 * the child's mutex. */
#define STRIPES PROMC__STRIPES
/* Go's buffer size: a single thread's batches are the ones Go would merge. */
#define STRIPE_CAP 500

/*
 * One thread's buffer. Only the owner writes buf and head; it publishes a
 * value by storing head with release. Consumers (the owner itself when full,
 * or a scrape) hold the child's mutex, take buf[tail..head) and move tail;
 * the owner rewinds both to 0 only under the mutex, so it never overwrites a
 * value nobody has merged.
 *
 * The stripe also counts its owner's observations for _count and _sum
 * (NaN included), in place of the child's hot/cold sets: plain stores of the
 * one writer, where the hot/cold sets take three atomic read-modify-writes
 * on lines all observers share. A sequence number, odd while the owner
 * updates, lets a scrape read count and sum of the same observations.
 */
struct sum_stripe {
    alignas(64) _Atomic uint32_t head;
    _Atomic uint32_t seq;
    _Atomic uint64_t count;
    _Atomic uint64_t sum_bits;
    /* count and sum_bits as they were at the last reset, read whole: a
     * scrape subtracts them, and the owner starts again from them at its
     * next slow path. Raw bits, not a running difference, so that two
     * resets leave exactly 0 and an infinity or NaN in the sum before a
     * reset does not poison the sum after it. Guarded by the child's
     * mutex. */
    uint64_t base_count;
    uint64_t base_sum_bits;
    /* The end of the buffered values' epoch on the coarse monotonic clock,
     * in ns; 0 makes the owner's next observation resynchronise. */
    _Atomic int64_t deadline;
    uint32_t tail;  /* guarded by the child's mutex */
    uint64_t epoch; /* the buffered values' epoch; written under the mutex */
    void *raw;      /* what promc__malloc returned, before alignment */
    double buf[STRIPE_CAP];
};

struct sum_child {
    struct promc__child base;
    struct promc__hotcold hc;
    promc__qwindow *window;                     /* NULL without objectives */
    pthread_mutex_t lock;                       /* guards window and the stripes' tails */
    struct sum_stripe *_Atomic stripe[STRIPES]; /* [0] unused; NULL until used */
    /* the two count sets follow */
};

/* The coarse clock is a few ns against the precise one's tens (it reads the
 * tick the kernel last recorded, no time source): the hot path only needs to
 * know whether an epoch of minutes has ended, to a tick. */
static int64_t coarse_ns(void)
{
    struct timespec ts;
#ifdef CLOCK_MONOTONIC_COARSE
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* How far the coarse clock may lag the precise one: its resolution (a
 * kernel tick). A buffer's deadline is the end of its epoch less this, so
 * no value observed after the end, by the precise clock, is filed in the
 * epoch that ended; values of the last tick take the slow path instead. */
static int64_t coarse_lag_ns(void)
{
    static _Atomic int64_t lag = -1;
    int64_t v = atomic_load_explicit(&lag, memory_order_relaxed);
    if (v < 0) {
        struct timespec ts = {0, 0};
#ifdef CLOCK_MONOTONIC_COARSE
        if (clock_getres(CLOCK_MONOTONIC_COARSE, &ts) != 0)
            ts = (struct timespec){0, 10000000}; /* 10 ms, a slow tick */
#endif
        v = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        atomic_store_explicit(&lag, v, memory_order_relaxed);
    }
    return v;
}

/* The window of a shared family's child: no window (never used as one),
 * only a non-NULL mark. The child's mp series follows its head. */
static char shared_mark;
#define SHARED_WINDOW ((promc__qwindow *)(void *)&shared_mark)

static promc_mp_summary **shared_series(struct sum_child *c);

static struct sum_data *sdata(const struct promc_metric *m)
{
    return m->type_data;
}

static double mono_seconds(void)
{
    return (double)promc__mono_ns() / 1e9;
}

static void sum_fini(struct promc_metric *m)
{
    struct sum_data *d = sdata(m);
    if (!d)
        return;
    promc__free(d->obj);
    promc__free(d->quantiles);
    promc__free_strings(d->q_text, d->nobj);
    promc__free_strings(d->q_om, d->nobj);
    promc__free(d->scratch);
    pthread_mutex_destroy(&d->snap);
    promc__free(d);
}

static size_t child_head(void)
{
    return (sizeof(struct sum_child) + 15) / 16 * 16;
}

static int sum_init_child(struct promc_metric *m, struct promc__child *c)
{
    struct sum_data *d = sdata(m);
    struct sum_child *s = (struct sum_child *)c;
    promc__hotcold_init(&s->hc, (char *)s + child_head(), 1);
    if (d->nobj) {
        s->window = promc__qwindow_new(d->obj, d->nobj, d->max_age, d->age_buckets, mono_seconds());
        if (!s->window)
            return PROMC_ENOMEM;
        pthread_mutex_init(&s->lock, NULL);
        for (int i = 0; i < STRIPES; i++)
            atomic_init(&s->stripe[i], NULL);
    }
    return PROMC_OK;
}

static void sum_fini_child(struct promc_metric *m, struct promc__child *c)
{
    (void)m;
    struct sum_child *s = (struct sum_child *)c;
    if (s->window) {
        promc__qwindow_free(s->window);
        pthread_mutex_destroy(&s->lock);
        for (int i = 1; i < STRIPES; i++) {
            struct sum_stripe *sp = atomic_load_explicit(&s->stripe[i], memory_order_relaxed);
            if (sp)
                promc__free(sp->raw);
        }
    }
}

/* Merges what stripe sp holds into the window. Child's mutex held. A stripe
 * cut short by a failed merge loses its batch from the quantiles only, like
 * a failed insert always did. */
static void drain(struct sum_child *k, struct sum_stripe *sp, double now)
{
    uint32_t h = atomic_load_explicit(&sp->head, memory_order_acquire);
    if (h > sp->tail)
        promc__qwindow_insert(k->window, sp->buf + sp->tail, h - sp->tail, sp->epoch, now);
    sp->tail = h;
}

/* The stripe's count and sum since the last reset, of the same observations:
 * read until no update overlapped (an update is a few stores, so this waits
 * only if the owner was preempted inside one). Child's mutex held. */
static void stripe_raw(struct sum_stripe *sp, uint64_t *count, uint64_t *sum_bits)
{
    for (;;) {
        uint32_t q = atomic_load_explicit(&sp->seq, memory_order_acquire);
        uint64_t n = atomic_load_explicit(&sp->count, memory_order_relaxed);
        uint64_t b = atomic_load_explicit(&sp->sum_bits, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (!(q & 1) && atomic_load_explicit(&sp->seq, memory_order_relaxed) == q) {
            *count = n;
            *sum_bits = b;
            return;
        }
        sched_yield();
    }
}

static void stripe_totals(struct sum_stripe *sp, uint64_t *count, double *sum)
{
    uint64_t n, b;
    stripe_raw(sp, &n, &b);
    *count = n - sp->base_count;
    *sum = promc__sum_since(b, sp->base_sum_bits);
}

/* Merges every stripe into the window and adds their counts to count and
 * sum. Child's mutex held. */
static void drain_all(struct sum_child *k, double now, uint64_t *count, double *sum)
{
    for (int i = 1; i < STRIPES; i++) {
        struct sum_stripe *sp = atomic_load_explicit(&k->stripe[i], memory_order_acquire);
        if (!sp)
            continue;
        uint64_t n;
        double x;
        stripe_totals(sp, &n, &x);
        *count += n;
        *sum += x;
        drain(k, sp, now);
    }
}

static void sum_child_series(struct promc_metric *m, struct promc__child *c, struct promc__sink *s,
                             const struct promc__labels *ls)
{
    struct sum_data *d = sdata(m);
    struct sum_child *k = (struct sum_child *)c;
    uint64_t ignored;
    struct promc__summary_data sd = {.quantiles = d->quantiles,
                                     .qvalues = d->scratch,
                                     .q_text = (const char *const *)d->q_text,
                                     .q_om = (const char *const *)d->q_om};
    struct promc__series x = {.labels = ls, .created = promc__child_created(c), .summary = &sd};
    pthread_mutex_lock(&d->snap);
    promc__hotcold_snapshot(&k->hc, 1, &ignored, &sd.count, &sd.sum);
    if (k->window) {
        pthread_mutex_lock(&k->lock);
        double now = mono_seconds();
        drain_all(k, now, &sd.count, &sd.sum);
        promc__qwindow_query(k->window, now, d->scratch);
        pthread_mutex_unlock(&k->lock);
        sd.nquantiles = d->nobj;
    }
    promc__sink_series(s, &x);
    pthread_mutex_unlock(&d->snap);
}

static void sum_reset_child(struct promc_metric *m, struct promc__child *c)
{
    struct sum_data *d = sdata(m);
    struct sum_child *k = (struct sum_child *)c;
    uint64_t scratch;
    pthread_mutex_lock(&d->snap);
    promc__hotcold_reset(&k->hc, 1, &scratch);
    pthread_mutex_unlock(&d->snap);
    if (k->window) {
        pthread_mutex_lock(&k->lock);
        double now = mono_seconds(), end;
        promc__qwindow_reset(k->window, now);
        /* Buffered values go with the rest. Values an owner adds before it
         * notices the reset belong to the window's new first epoch; at its
         * next observation it re-reads the epoch. */
        uint64_t epoch = promc__qwindow_epoch(k->window, now, &end);
        for (int i = 1; i < STRIPES; i++) {
            struct sum_stripe *sp = atomic_load_explicit(&k->stripe[i], memory_order_acquire);
            if (sp) {
                stripe_raw(sp, &sp->base_count, &sp->base_sum_bits);
                sp->tail = atomic_load_explicit(&sp->head, memory_order_acquire);
                sp->epoch = epoch;
                atomic_store_explicit(&sp->deadline, 0, memory_order_relaxed);
            }
        }
        pthread_mutex_unlock(&k->lock);
    }
}

/* The same objectives and window: the definition beyond name, help and
 * labels. */
static bool sum_same(const struct promc_metric *a, const struct promc_metric *b)
{
    const struct sum_data *x = a->type_data, *y = b->type_data;
    if (x->nobj != y->nobj || x->max_age != y->max_age || x->age_buckets != y->age_buckets)
        return false;
    for (size_t i = 0; i < x->nobj; i++)
        if (x->obj[i].quantile != y->obj[i].quantile || x->obj[i].error != y->obj[i].error)
            return false;
    return true;
}

static const struct promc__ops sum_ops = {
    .same_data = sum_same,
    .type = PROMC_SUMMARY,
    .reset_child = sum_reset_child,
    .init_child = sum_init_child,
    .fini_child = sum_fini_child,
    .child_series = sum_child_series,
    .fini = sum_fini,
};

static promc_mp_summary **shared_series(struct sum_child *c)
{
    return (promc_mp_summary **)(void *)((char *)c + child_head());
}

/* A shared family's child: the stripes stay NULL (the child is zeroed), the
 * window is the mark, the mp series (it lives as long as the process)
 * follows the head. */
static int shared_init_child(struct promc_metric *m, struct promc__child *c)
{
    struct sum_child *s = (struct sum_child *)c;
    promc_mp_summary *h = promc__mp_shared_summary(m, c);
    if (!h)
        return promc_last_error_code();
    *shared_series(s) = h;
    s->window = SHARED_WINDOW;
    return PROMC_OK;
}

static const struct promc__ops sum_shared_ops = {
    .same_data = sum_same,
    .type = PROMC_SUMMARY,
    .init_child = shared_init_child,
    .child_series = promc__mp_no_series, /* the multi-process collector serves it */
    .fini = sum_fini,
    .mp_shared = true,
};

static struct sum_data *sum_data_new(const char *name, const promc_summary_opts *o)
{
    const char *nm = name ? name : "(null)";
    size_t n = o && o->objectives ? o->nobjectives : 0;
    double max_age = o && o->max_age > 0 ? o->max_age : 600;
    unsigned age_buckets = o && o->age_buckets ? o->age_buckets : 5;
    if (o && !o->objectives && o->nobjectives)
        return promc__fail_null(PROMC_EINVAL,
                                "summary \"%s\": nobjectives is %zu but objectives "
                                "is NULL",
                                nm, o->nobjectives);
    if (o && (o->max_age < 0 || isnan(o->max_age) || isinf(o->max_age)))
        return promc__fail_null(PROMC_EINVAL, "summary \"%s\": max_age must be > 0", nm);
    for (size_t i = 0; i < n; i++) {
        double q = o->objectives[i].quantile, err = o->objectives[i].error;
        if (!(q >= 0 && q <= 1) || !(err > 0 && err < 1))
            return promc__fail_null(PROMC_EINVAL,
                                    "summary \"%s\": objective %zu needs quantile in [0,1] "
                                    "and error in (0,1)",
                                    nm, i);
        if (i && !(q > o->objectives[i - 1].quantile))
            return promc__fail_null(PROMC_EINVAL,
                                    "summary \"%s\": objectives must be in increasing quantile "
                                    "order",
                                    nm);
    }
    struct sum_data *d = promc__calloc(1, sizeof *d);
    if (!d)
        goto oom;
    pthread_mutex_init(&d->snap, NULL);
    d->max_age = max_age;
    d->age_buckets = age_buckets;
    if (n) {
        d->obj = promc__calloc(n, sizeof *d->obj);
        d->quantiles = promc__calloc(n, sizeof(double));
        d->q_text = promc__calloc(n, sizeof(char *));
        d->q_om = promc__calloc(n, sizeof(char *));
        d->scratch = promc__calloc(n, sizeof(double));
        if (!d->obj || !d->quantiles || !d->q_text || !d->q_om || !d->scratch)
            goto oom;
        d->nobj = n;
        for (size_t i = 0; i < n; i++) {
            d->obj[i].quantile = o->objectives[i].quantile;
            d->obj[i].error = o->objectives[i].error;
            d->quantiles[i] = d->obj[i].quantile;
            d->q_text[i] = promc__render_number(d->obj[i].quantile, false);
            d->q_om[i] = promc__render_number(d->obj[i].quantile, true);
            if (!d->q_text[i] || !d->q_om[i])
                goto oom;
        }
    }
    return d;
oom:
    if (d) {
        struct promc_metric tmp = {.type_data = d};
        sum_fini(&tmp);
    }
    return promc__fail_null(PROMC_ENOMEM, "out of memory creating summary \"%s\"", nm);
}

static struct promc_metric *create(promc_registry *reg, const char *name, const char *help,
                                   const char *const *label_names, bool vec,
                                   const promc_summary_opts *opts)
{
    struct sum_data *d = sum_data_new(name, opts);
    if (!d)
        return NULL;
    bool shared = promc__mp_active();
    if (shared && d->nobj) {
        struct promc_metric tmp = {.type_data = d};
        sum_fini(&tmp);
        return promc__fail_null(PROMC_EINVAL,
                                "summary \"%s\": objectives in multi-process mode (quantiles of "
                                "several processes cannot be merged; _count and _sum can)",
                                name ? name : "(null)");
    }
    struct promc__new_args a = {
        .reg = reg,
        .ops = shared ? &sum_shared_ops : &sum_ops,
        .name = name,
        .help = help,
        .label_names = label_names,
        .vec = vec,
        .unit = opts ? opts->unit : NULL,
        .max_children = opts ? opts->max_children : 0,
        .const_labels = opts ? opts->const_labels : NULL,
        .nconst = opts ? opts->nconst_labels : 0,
        .child_size = child_head() + (shared ? sizeof(promc_mp_summary *) : promc__hotcold_size(1)),
        .type_data = d};
    return promc__metric_create(&a);
}

promc_summary *promc_summary_new(promc_registry *reg, const char *name, const char *help,
                                 const promc_summary_opts *opts)
{
    struct promc_metric *m = create(reg, name, help, NULL, false, opts);
    return m ? (promc_summary *)promc__family_root(m) : NULL;
}

promc_summary_vec *promc_summary_vec_new(promc_registry *reg, const char *name, const char *help,
                                         const char *const *label_names,
                                         const promc_summary_opts *opts)
{
    return (promc_summary_vec *)create(reg, name, help, label_names, true, opts);
}

static struct sum_stripe *stripe_new(void)
{
    void *raw = promc__malloc(sizeof(struct sum_stripe) + 63);
    if (!raw)
        return NULL;
    struct sum_stripe *sp = (struct sum_stripe *)(((uintptr_t)raw + 63) & ~(uintptr_t)63);
    atomic_init(&sp->head, 0);
    atomic_init(&sp->seq, 0);
    atomic_init(&sp->count, 0);
    atomic_init(&sp->sum_bits, promc__double_to_bits(0));
    sp->base_count = 0;
    sp->base_sum_bits = promc__double_to_bits(0);
    atomic_init(&sp->deadline, 0);
    sp->tail = 0;
    sp->epoch = 0;
    sp->raw = raw;
    return sp;
}

/* The owner's slow path: its stripe is full, its epoch has ended, or it has
 * no stripe yet. Under the child's mutex: merge what the stripe holds, start
 * it over in the current epoch, and buffer v. */
__attribute__((noinline)) static void observe_slow(struct sum_child *c, double v)
{
    if (c->window == SHARED_WINDOW) { /* it never gets a stripe */
        promc_mp_summary_observe(*shared_series(c), v);
        return;
    }
    unsigned i = promc__stripe();
    pthread_mutex_lock(&c->lock);
    double now = mono_seconds();
    struct sum_stripe *sp = NULL;
    if (i) {
        sp = atomic_load_explicit(&c->stripe[i], memory_order_relaxed);
        if (!sp && (sp = stripe_new()) != NULL)
            atomic_store_explicit(&c->stripe[i], sp, memory_order_release);
    }
    if (!sp) {
        promc__hotcold_observe(&c->hc, 0, v);
        if (!isnan(v))
            promc__qwindow_observe(c->window, v, now);
        pthread_mutex_unlock(&c->lock);
        return;
    }
    drain(c, sp, now);
    double end;
    sp->epoch = promc__qwindow_epoch(c->window, now, &end);
    sp->tail = 0;
    uint32_t h = 0;
    if (!isnan(v))
        sp->buf[h++] = v;
    /* Scrapes hold the mutex too: no sequence number needed here. */
    uint64_t n = atomic_load_explicit(&sp->count, memory_order_relaxed) - sp->base_count;
    double x = promc__sum_since(atomic_load_explicit(&sp->sum_bits, memory_order_relaxed),
                                sp->base_sum_bits);
    sp->base_count = 0;
    sp->base_sum_bits = promc__double_to_bits(0);
    atomic_store_explicit(&sp->count, n + 1, memory_order_relaxed);
    atomic_store_explicit(&sp->sum_bits, promc__double_to_bits(x + v), memory_order_relaxed);
    atomic_store_explicit(&sp->head, h, memory_order_release);
    atomic_store_explicit(&sp->deadline, (int64_t)(end * 1e9) - coarse_lag_ns(),
                          memory_order_relaxed);
    pthread_mutex_unlock(&c->lock);
}

void promc_summary_observe(promc_summary *s, double v)
{
    if (!s)
        return;
    struct sum_child *c = (struct sum_child *)s;
    if (!c->window) {
        promc__hotcold_observe(&c->hc, 0, v);
        return;
    }
    unsigned i = promc__stripe_mine;
    struct sum_stripe *sp = i ? atomic_load_explicit(&c->stripe[i], memory_order_acquire) : NULL;
    if (sp) {
        uint32_t h = atomic_load_explicit(&sp->head, memory_order_relaxed);
        if (h < STRIPE_CAP &&
            coarse_ns() <= atomic_load_explicit(&sp->deadline, memory_order_relaxed)) {
            /* The seqlock writer: odd, then (after the release fence) the
             * counts; the value's release store and the even number publish
             * them. All plain stores on x86. */
            uint32_t q = atomic_load_explicit(&sp->seq, memory_order_relaxed);
            atomic_store_explicit(&sp->seq, q + 1, memory_order_relaxed);
            atomic_thread_fence(memory_order_release);
            atomic_store_explicit(&sp->count,
                                  atomic_load_explicit(&sp->count, memory_order_relaxed) + 1,
                                  memory_order_relaxed);
            double x =
                promc__bits_to_double(atomic_load_explicit(&sp->sum_bits, memory_order_relaxed));
            atomic_store_explicit(&sp->sum_bits, promc__double_to_bits(x + v),
                                  memory_order_relaxed);
            if (!isnan(v)) { /* NaN counts in _count and _sum, in no quantile */
                sp->buf[h] = v;
                atomic_store_explicit(&sp->head, h + 1, memory_order_release);
            }
            atomic_store_explicit(&sp->seq, q + 2, memory_order_release);
            return;
        }
    }
    observe_slow(c, v);
}

promc_summary_timer promc_summary_timer_start(promc_summary *s)
{
    promc_summary_timer t = {s, promc__mono_ns()};
    return t;
}

double promc_summary_timer_stop(promc_summary_timer *t)
{
    if (!t)
        return 0;
    double secs = (double)(promc__mono_ns() - t->start_ns) / 1e9;
    promc_summary_observe(t->summary, secs);
    return secs;
}

promc_metric *promc_summary_metric(promc_summary *x)
{
    return promc__series_metric(x, "promc_summary_metric");
}

int promc_summary_free(promc_summary *x)
{
    return promc__series_free(x, "promc_summary_free");
}

promc_summary *promc_summary_vec_labels_n(promc_summary_vec *v, const char *const *values, size_t n)
{
    return promc__vec_labels(v, values, n, "promc_summary_vec_labels");
}

int promc_summary_vec_remove_n(promc_summary_vec *v, const char *const *values, size_t n)
{
    return promc__vec_remove(v, values, n, "promc_summary_vec_remove");
}

int promc_summary_vec_clear(promc_summary_vec *v)
{
    return promc__vec_clear(v, "promc_summary_vec_clear");
}

promc_metric *promc_summary_vec_metric(promc_summary_vec *v)
{
    return promc__vec_metric(v);
}

int promc_summary_vec_free(promc_summary_vec *v)
{
    return promc__vec_free(v);
}

promc_summary_vec *promc_summary_vec_curry(promc_summary_vec *v, const promc_label *fixed, size_t n)
{
    return promc__vec_curry(v, fixed, n, "promc_summary_vec_curry");
}

int promc_summary_vec_remove_partial(promc_summary_vec *v, const promc_label *match, size_t n,
                                     size_t *removed)
{
    return promc__vec_remove_partial(v, match, n, removed, "promc_summary_vec_remove_partial");
}
