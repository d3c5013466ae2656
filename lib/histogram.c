/*
 * Histograms, and the hot/cold counts they share with summaries. Observers
 * write into the "hot" set of counts; a scrape flips hot and cold with one
 * atomic add, waits for the few observations still writing into the old hot
 * set, reads it -- a consistent snapshot where _count equals the +Inf bucket
 * and _sum belongs to the same observations -- and folds it back. This is
 * client_golang's scheme; observers never wait and never lock.
 */
#include <math.h>
#include <sched.h>
#include <string.h>

#include "internal.h"

/* ===================================================================== */
/* Hot/cold counts                                                        */
/* ===================================================================== */

#define HOT_BIT (UINT64_C(1) << 63)

size_t promc__hotcold_size(size_t nbuckets)
{
    return 2 * (sizeof(struct promc__counts) + nbuckets * sizeof(uint64_t));
}

void promc__hotcold_init(struct promc__hotcold *hc, void *mem, size_t nbuckets)
{
    size_t one = sizeof(struct promc__counts) + nbuckets * sizeof(uint64_t);
    hc->counts[0] = mem;
    hc->counts[1] = (struct promc__counts *)((char *)mem + one);
    atomic_init(&hc->count_and_hot, 0);
}

void promc__hotcold_observe(struct promc__hotcold *hc, size_t bucket, double v)
{
    /* Three atomic operations: the increment both counts the observation as
     * started and tells which set is hot; the sum is added; the bucket
     * increment, last and with release, completes the observation (the
     * scraper waits until the buckets add up to the started count, and its
     * acquire loads then also see the sum). */
    uint64_t n = atomic_fetch_add_explicit(&hc->count_and_hot, 1, memory_order_acquire);
    struct promc__counts *hot = hc->counts[n >> 63];
    promc__atomic_add_double(&hot->sum_bits, v);
    atomic_fetch_add_explicit(&hot->buckets[bucket], 1, memory_order_release);
}

void promc__hotcold_snapshot(struct promc__hotcold *hc, size_t nbuckets, uint64_t *buckets,
                             uint64_t *count, double *sum)
{
    uint64_t n = atomic_fetch_add_explicit(&hc->count_and_hot, HOT_BIT, memory_order_acq_rel);
    uint64_t started = n & ~HOT_BIT;
    /* n is the value before the flip: its top bit names the set that was hot
     * and is now cold. It holds every observation completed so far (each
     * snapshot folds the cold set back into the hot one), so once its
     * buckets add up to the started count, every observation that went into
     * it is complete and none can still arrive. */
    struct promc__counts *cold = hc->counts[n >> 63];
    struct promc__counts *hot = hc->counts[(n >> 63) ^ 1];
    for (;;) {
        uint64_t total = 0;
        for (size_t i = 0; i < nbuckets; i++)
            total += buckets[i] = atomic_load_explicit(&cold->buckets[i], memory_order_acquire);
        if (total == started)
            break;
        /* Observers that started before the flip finish within a few
         * instructions; yield rather than burn the core while they do. */
        sched_yield();
    }
    *count = started;
    *sum = promc__bits_to_double(atomic_load_explicit(&cold->sum_bits, memory_order_relaxed));
    /* Fold the cold set into the new hot one and zero it for the next flip. */
    promc__atomic_add_double(&hot->sum_bits, *sum);
    atomic_store_explicit(&cold->sum_bits, 0, memory_order_relaxed);
    for (size_t i = 0; i < nbuckets; i++) {
        atomic_fetch_add_explicit(&hot->buckets[i], buckets[i], memory_order_relaxed);
        atomic_store_explicit(&cold->buckets[i], 0, memory_order_relaxed);
    }
}

/* ===================================================================== */
/* Buckets                                                                */
/* ===================================================================== */

const double promc_default_buckets[PROMC_DEFAULT_BUCKETS_COUNT] = {
    .005, .01, .025, .05, .075, .1, .25, .5, .75, 1, 2.5, 5, 7.5, 10};

int promc_buckets_linear(double *out, double start, double width, size_t count)
{
    if (!out || count == 0 || !isfinite(start) || !isfinite(width) || width <= 0)
        return promc__fail(PROMC_EINVAL, "linear buckets need count > 0 and finite width > 0");
    for (size_t i = 0; i < count; i++)
        out[i] = start + (double)i * width;
    if (!isfinite(out[count - 1]))
        return promc__fail(PROMC_EINVAL, "linear buckets overflow");
    return PROMC_OK;
}

int promc_buckets_exponential(double *out, double start, double factor, size_t count)
{
    if (!out || count == 0 || !isfinite(start) || start <= 0 || !isfinite(factor) || factor <= 1)
        return promc__fail(PROMC_EINVAL,
                           "exponential buckets need count > 0, start > 0 and factor > 1");
    double v = start;
    for (size_t i = 0; i < count; i++, v *= factor)
        out[i] = v;
    if (!isfinite(out[count - 1]))
        return promc__fail(PROMC_EINVAL, "exponential buckets overflow");
    return PROMC_OK;
}

/* ===================================================================== */
/* Histogram family                                                       */
/* ===================================================================== */

struct hist_data {
    size_t nfinite;       /* finite upper bounds; buckets = nfinite + 1 */
    double *bounds;       /* nfinite */
    char **le_text;       /* nfinite + 1 rendered le values, text format */
    char **le_om;         /* same, OpenMetrics canonical */
    uint64_t *scratch;    /* snapshot space, guarded by snap */
    pthread_mutex_t snap; /* serialises snapshots of this family's children */
};

struct hist_child {
    struct promc__child base;
    struct promc__hotcold hc;
    /* the two count sets follow */
};

static struct hist_data *hdata(const struct promc_metric *m)
{
    return m->type_data;
}

static void hist_fini(struct promc_metric *m)
{
    struct hist_data *d = hdata(m);
    if (!d)
        return;
    promc__free(d->bounds);
    promc__free_strings(d->le_text, d->nfinite + 1);
    promc__free_strings(d->le_om, d->nfinite + 1);
    promc__free(d->scratch);
    pthread_mutex_destroy(&d->snap);
    promc__free(d);
}

static int hist_init_child(struct promc_metric *m, struct promc__child *c)
{
    struct hist_child *h = (struct hist_child *)c;
    size_t head = (sizeof *h + 15) / 16 * 16;
    promc__hotcold_init(&h->hc, (char *)h + head, hdata(m)->nfinite + 1);
    return PROMC_OK;
}

static void hist_collect_child(struct promc_metric *m, struct promc__child *c, promc__enc *e,
                               const struct promc__labels *ls)
{
    struct hist_data *d = hdata(m);
    struct hist_child *h = (struct hist_child *)c;
    size_t nb = d->nfinite + 1;
    uint64_t count;
    double sum;
    pthread_mutex_lock(&d->snap);
    promc__hotcold_snapshot(&h->hc, nb, d->scratch, &count, &sum);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < nb; i++) {
        cumulative += d->scratch[i];
        struct promc__extra le = {"le", d->le_text[i], d->le_text[i], d->le_om[i]};
        promc__enc_sample(e, "_bucket", ls, &le, promc__vu(cumulative));
    }
    pthread_mutex_unlock(&d->snap);
    promc__enc_sum_count(e, ls, sum, count, d->nfinite && d->bounds[0] < 0);
    promc__enc_created(e, ls, c->created);
}

static const struct promc__ops hist_ops = {
    .type = PROMC_HISTOGRAM,
    .init_child = hist_init_child,
    .collect_child = hist_collect_child,
    .fini = hist_fini,
};

/* Validates and copies the bounds, dropping a trailing +Inf (it is implied). */
static struct hist_data *hist_data_new(const char *name, const double *bounds, size_t n)
{
    if (!bounds) {
        bounds = promc_default_buckets;
        n = PROMC_DEFAULT_BUCKETS_COUNT;
    }
    if (n && bounds[n - 1] == INFINITY)
        n--;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(bounds[i]))
            return promc__fail_null(PROMC_EINVAL, "histogram \"%s\": bucket %zu is not finite",
                                    name ? name : "(null)", i);
        if (i && !(bounds[i] > bounds[i - 1]))
            return promc__fail_null(PROMC_EINVAL,
                                    "histogram \"%s\": buckets must be strictly increasing "
                                    "(bucket %zu: %g after %g)",
                                    name ? name : "(null)", i, bounds[i], bounds[i - 1]);
    }
    struct hist_data *d = promc__calloc(1, sizeof *d);
    if (!d)
        goto oom;
    pthread_mutex_init(&d->snap, NULL);
    d->nfinite = n;
    d->bounds = promc__calloc(n ? n : 1, sizeof(double));
    d->le_text = promc__calloc(n + 1, sizeof(char *));
    d->le_om = promc__calloc(n + 1, sizeof(char *));
    d->scratch = promc__calloc(n + 1, sizeof(uint64_t));
    if (!d->bounds || !d->le_text || !d->le_om || !d->scratch)
        goto oom;
    for (size_t i = 0; i <= n; i++) {
        double b = i < n ? bounds[i] : INFINITY;
        if (i < n)
            d->bounds[i] = b;
        d->le_text[i] = promc__render_number(b, false);
        d->le_om[i] = promc__render_number(b, true);
        if (!d->le_text[i] || !d->le_om[i])
            goto oom;
    }
    return d;
oom:
    if (d) {
        struct promc_metric tmp = {.type_data = d};
        hist_fini(&tmp);
    }
    return promc__fail_null(PROMC_ENOMEM, "out of memory creating histogram \"%s\"",
                            name ? name : "(null)");
}

promc_histogram *promc_histogram_new(promc_registry *reg, const char *name, const char *help,
                                     const char *const *label_names,
                                     const promc_histogram_opts *opts)
{
    const double *bounds = opts && opts->buckets ? opts->buckets : NULL;
    struct hist_data *d = hist_data_new(name, bounds, bounds ? opts->nbuckets : 0);
    if (!d)
        return NULL;
    size_t head = (sizeof(struct hist_child) + 15) / 16 * 16;
    struct promc_metric *m = promc__family_new(
        reg, &hist_ops, name, help, label_names, opts ? opts->unit : NULL,
        opts ? opts->max_children : 0, head + promc__hotcold_size(d->nfinite + 1), "le", d);
    return m ? (promc_histogram *)m->root : NULL;
}

/* Upper bounds are inclusive (v <= le), so the bucket index is the number of
 * bounds below v. For the handful of bounds most histograms have, counting
 * them without a branch beats any search: compares run in parallel and
 * nothing mispredicts on spread-out values. NaN compares false everywhere and
 * is sent to +Inf explicitly, as client_golang does, keeping _count == +Inf. */
static size_t find_bucket(const struct hist_data *d, double v)
{
    const double *b = d->bounds;
    size_t n = d->nfinite;
    if (v != v)
        return n;
    if (n <= 16) {
        size_t below = 0;
        for (size_t i = 0; i < n; i++)
            below += b[i] < v;
        return below;
    }
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v <= b[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void promc_histogram_observe(promc_histogram *h, double v)
{
    if (!h)
        return;
    struct hist_child *c = (struct hist_child *)h;
    promc__hotcold_observe(&c->hc, find_bucket(hdata(c->base.family), v), v);
}

promc_histogram_timer promc_histogram_timer_start(promc_histogram *h)
{
    promc_histogram_timer t = {h, promc__mono_ns()};
    return t;
}

double promc_histogram_timer_stop(promc_histogram_timer *t)
{
    if (!t)
        return 0;
    double s = (double)(promc__mono_ns() - t->start_ns) / 1e9;
    promc_histogram_observe(t->histogram, s);
    return s;
}

promc_histogram *promc_histogram_labels_n(promc_histogram *h, const char *const *values, size_t n)
{
    return (promc_histogram *)promc__family_labels(promc__family_of(h), values, n);
}

int promc_histogram_remove_n(promc_histogram *h, const char *const *values, size_t n)
{
    return promc__family_remove(promc__family_of(h), values, n);
}

void promc_histogram_clear(promc_histogram *h)
{
    promc__family_clear(promc__family_of(h));
}

promc_metric *promc_histogram_metric(promc_histogram *h)
{
    return promc__family_of(h);
}

void promc_histogram_free(promc_histogram *h)
{
    promc__metric_unref(promc__family_of(h));
}
