/*
 * Histograms: the bucket layouts (linear, exponential, the default),
 * validation of user bounds and native-bucket options, the branch-free
 * bucket search of the hot path, and the snapshot a scrape takes -- through
 * the hot/cold counts (hotcold.c) for classic histograms, through the native
 * counts (native_histogram.c) when native buckets are on -- so that _count
 * equals the +Inf bucket and _sum belongs to the same observations while
 * observers keep going.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "constructor.h"
#include "exemplar.h"
#include "family.h"
#include "hist_stripes.h"
#include "hotcold.h"
#include "internal.h"
#include "mp.h"
#include "mp_series.h"
#include "native_buckets.h"
#include "native_histogram.h"
#include "vec.h"

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
    return promc__ok();
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
    return promc__ok();
}

/* ===================================================================== */
/* Histogram family                                                       */
/* ===================================================================== */

struct hist_data {
    size_t nfinite;            /* finite upper bounds; buckets = nfinite + 1 */
    double *bounds;            /* nfinite */
    char **le_text;            /* nfinite + 1 rendered le values, text format */
    char **le_om;              /* same, OpenMetrics canonical */
    uint64_t *scratch;         /* snapshot space (cumulative counts), guarded by snap */
    uint64_t *block_scratch;   /* one stripe block's counts (nfinite + 1), guarded by snap */
    struct promc__xcopy xcopy; /* exemplars read for a snapshot, guarded by snap */
    pthread_mutex_t snap;      /* serialises snapshots and resets of this family's children,
                                  and an owner taking in a reset (hist_stripes.h) */
    unsigned char kind;        /* CLASSIC, NATIVE (children are struct native_child) or
                                  SHARED (struct shared_child) */
    struct promc__native_config ncfg;
    struct promc__native_scratch nscratch; /* guarded by snap */
};

/* A classic child and a native one share their head: the family's child,
 * then the exemplars of the classic buckets (client_golang keeps a native
 * histogram's exemplars there too, the +Inf one for a native-only
 * histogram, besides those of the native buckets in struct promc__native).
 * A classic child's observations are in the blocks of the threads that own
 * a stripe (hist_stripes.h) and, for other threads, in its hot/cold counts;
 * a snapshot adds them up. */
struct hist_child {
    struct promc__child base;
    struct promc__xset *_Atomic exemplars; /* one per bucket; NULL until the first */
    struct promc__hstripes stripes;
    struct promc__hotcold hc;
    /* the two count sets follow */
};

/* A shared family's child (multi-process mode, mp_series.h): the series
 * in this process's file takes every observation. */
struct shared_child {
    struct promc__child base;
    promc_mp_histogram *mp; /* lives as long as the process (mp.c) */
};

struct native_child {
    struct promc__child base;
    struct promc__xset *_Atomic exemplars; /* as in hist_child */
    struct promc__native nh;               /* its classic counts follow */
};

_Static_assert(offsetof(struct hist_child, exemplars) == offsetof(struct native_child, exemplars),
               "exemplars at the same place in both children");

/* Kinds of histogram family. The observe paths test kind != CLASSIC once,
 * as they tested the native flag before shared families existed. */
enum { CLASSIC, NATIVE, SHARED };

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
    promc__free(d->block_scratch);
    promc__xcopy_free(&d->xcopy);
    promc__native_scratch_free(&d->nscratch);
    pthread_mutex_destroy(&d->snap);
    promc__free(d);
}

static int hist_init_child(struct promc_metric *m, struct promc__child *c)
{
    if (hdata(m)->kind == NATIVE) {
        promc__native_init(&((struct native_child *)c)->nh, &hdata(m)->ncfg);
        return PROMC_OK;
    }
    struct hist_child *h = (struct hist_child *)c;
    size_t head = (sizeof *h + 15) / 16 * 16;
    for (unsigned i = 0; i < PROMC__STRIPES - 1; i++)
        atomic_init(&h->stripes.block[i], NULL);
    promc__hotcold_init(&h->hc, (char *)h + head, hdata(m)->nfinite + 1);
    return PROMC_OK;
}

static void hist_child_series(struct promc_metric *m, struct promc__child *c, struct promc__sink *s,
                              const struct promc__labels *ls)
{
    struct hist_data *d = hdata(m);
    struct hist_child *h = (struct hist_child *)c;
    size_t nb = d->nfinite + 1;
    struct promc__histogram_data hd = {.nbounds = d->nfinite,
                                       .bounds = d->bounds,
                                       .cumulative = d->scratch,
                                       .le_text = (const char *const *)d->le_text,
                                       .le_om = (const char *const *)d->le_om};
    struct promc__series x = {.labels = ls, .created = promc__child_created(c), .hist = &hd};
    struct promc__native_data nd;
    pthread_mutex_lock(&d->snap);
    struct promc__xset *ex = atomic_load_explicit(&h->exemplars, memory_order_acquire);
    /* The exemplars before the counts: an observer counts, then stores its
     * exemplar, so the counts read after include every exemplar shown. Out
     * of memory copying them: the counts go out without exemplars. */
    if (ex && promc__xset_read(ex, &d->xcopy) == PROMC_OK)
        hd.exemplars = d->xcopy.by_slot;
    if (d->kind == NATIVE) {
        int rc = promc__native_snapshot(&((struct native_child *)c)->nh, &d->ncfg, &d->nscratch,
                                        d->scratch, &hd.count, &hd.sum, &nd);
        if (rc != PROMC_OK) {
            promc__fail(rc, "histogram \"%s\": out of memory for a scrape of native buckets",
                        m->desc.name);
            s->error = rc;
            pthread_mutex_unlock(&d->snap);
            return;
        }
        hd.native = &nd;
    } else {
        promc__hotcold_snapshot(&h->hc, nb, d->scratch, &hd.count, &hd.sum);
        promc__hstripes_add(&h->stripes, nb, d->scratch, &hd.count, &hd.sum, d->block_scratch);
    }
    for (size_t i = 1; i < nb; i++)
        d->scratch[i] += d->scratch[i - 1];
    promc__sink_series(s, &x);
    pthread_mutex_unlock(&d->snap);
}

static void hist_reset_child(struct promc_metric *m, struct promc__child *c)
{
    struct hist_data *d = hdata(m);
    pthread_mutex_lock(&d->snap);
    if (d->kind == NATIVE)
        promc__native_reset(&((struct native_child *)c)->nh, &d->ncfg);
    else {
        struct hist_child *h = (struct hist_child *)c;
        promc__hotcold_reset(&h->hc, d->nfinite + 1, d->scratch);
        promc__hstripes_reset(&h->stripes, d->nfinite + 1, d->block_scratch);
    }
    pthread_mutex_unlock(&d->snap);
    struct promc__xset *ex =
        atomic_load_explicit(&((struct hist_child *)c)->exemplars, memory_order_acquire);
    if (ex)
        promc__xset_clear(ex);
}

static void hist_fini_child(struct promc_metric *m, struct promc__child *c)
{
    promc__xset_free(atomic_load(&((struct hist_child *)c)->exemplars));
    if (hdata(m)->kind == NATIVE)
        promc__native_fini(&((struct native_child *)c)->nh);
    else
        promc__hstripes_free(&((struct hist_child *)c)->stripes);
}

/* The same buckets and native options: the definition beyond name, help
 * and labels. */
static bool hist_same(const struct promc_metric *a, const struct promc_metric *b)
{
    const struct hist_data *x = a->type_data, *y = b->type_data;
    if (x->nfinite != y->nfinite || x->kind != y->kind)
        return false;
    for (size_t i = 0; i < x->nfinite; i++)
        if (x->bounds[i] != y->bounds[i])
            return false;
    if (x->kind != NATIVE)
        return true;
    const struct promc__native_config *p = &x->ncfg, *q = &y->ncfg;
    return p->schema == q->schema && p->zero_threshold == q->zero_threshold &&
           p->max_buckets == q->max_buckets && p->min_reset_ns == q->min_reset_ns &&
           p->max_zero_threshold == q->max_zero_threshold && p->max_exemplars == q->max_exemplars &&
           p->exemplar_ttl == q->exemplar_ttl;
}

static const struct promc__ops hist_ops = {
    .same_data = hist_same,
    .type = PROMC_HISTOGRAM,
    .reset_child = hist_reset_child,
    .init_child = hist_init_child,
    .fini_child = hist_fini_child,
    .child_series = hist_child_series,
    .fini = hist_fini,
};

static int shared_init_child(struct promc_metric *m, struct promc__child *c)
{
    struct hist_data *d = hdata(m);
    struct shared_child *k = (struct shared_child *)c;
    k->mp = promc__mp_shared_histogram(m, c, d->bounds, d->nfinite);
    return k->mp ? PROMC_OK : promc_last_error_code();
}

static const struct promc__ops hist_shared_ops = {
    .same_data = hist_same,
    .type = PROMC_HISTOGRAM,
    .init_child = shared_init_child,
    .child_series = promc__mp_no_series, /* the multi-process collector serves it */
    .fini = hist_fini,
    .mp_shared = true,
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
    d->block_scratch = promc__calloc(n + 1, sizeof(uint64_t));
    if (!d->bounds || !d->le_text || !d->le_om || !d->scratch || !d->block_scratch)
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

/* Checks the native_* options and fills cfg; *on tells whether native
 * buckets are on. */
static int native_config(const char *name, const promc_histogram_opts *o,
                         struct promc__native_config *cfg, bool *on)
{
    *on = false;
    if (!o)
        return PROMC_OK;
    double f = o->native_bucket_factor;
    if (f == 0) {
        if (o->native_zero_threshold != 0 || o->native_max_buckets != 0 ||
            o->native_min_reset_seconds != 0 || o->native_max_zero_threshold != 0 ||
            o->native_max_exemplars != 0 || o->native_exemplar_ttl_seconds != 0)
            return promc__fail(PROMC_EINVAL,
                               "histogram \"%s\": native_* options need native_bucket_factor > 1",
                               name);
        return PROMC_OK;
    }
    if (!(f > 1) || !isfinite(f))
        return promc__fail(PROMC_EINVAL,
                           "histogram \"%s\": native_bucket_factor must be 0 or finite and > 1 "
                           "(got %g)",
                           name, f);
    double zt = o->native_zero_threshold;
    if (zt == PROMC_NATIVE_ZERO_THRESHOLD_ZERO)
        zt = 0;
    else if (zt == 0)
        zt = PROMC__NATIVE_DEFAULT_ZERO_THRESHOLD;
    else if (!(zt > 0) || !isfinite(zt))
        return promc__fail(PROMC_EINVAL,
                           "histogram \"%s\": native_zero_threshold must be 0, "
                           "PROMC_NATIVE_ZERO_THRESHOLD_ZERO or finite and > 0 (got %g)",
                           name, o->native_zero_threshold);
    double reset = o->native_min_reset_seconds;
    if (!(reset >= 0 && reset <= 1e9))
        return promc__fail(PROMC_EINVAL,
                           "histogram \"%s\": native_min_reset_seconds must be between 0 and "
                           "1e9 (got %g)",
                           name, reset);
    double mzt = o->native_max_zero_threshold;
    if (!(mzt >= 0) || !isfinite(mzt))
        return promc__fail(PROMC_EINVAL,
                           "histogram \"%s\": native_max_zero_threshold must be finite and >= 0 "
                           "(got %g)",
                           name, mzt);
    int maxx = o->native_max_exemplars;
    if (maxx > 1000)
        return promc__fail(PROMC_EINVAL,
                           "histogram \"%s\": native_max_exemplars must be at most 1000 (got %d)",
                           name, maxx);
    double ttl = o->native_exemplar_ttl_seconds;
    if (!(ttl >= -1e9 && ttl <= 1e9))
        return promc__fail(PROMC_EINVAL,
                           "histogram \"%s\": native_exemplar_ttl_seconds must be between -1e9 "
                           "and 1e9 (got %g)",
                           name, ttl);
    cfg->schema = promc__native_schema(f);
    cfg->zero_threshold = zt;
    cfg->max_buckets = o->native_max_buckets;
    /* client_golang's time.Duration: whole nanoseconds. */
    cfg->min_reset_ns = (int64_t)llround(reset * 1e9);
    cfg->max_zero_threshold = mzt;
    /* client_golang's makeNativeExemplars: 0 = 10 and 5 minutes; a negative
     * maximum keeps none. (There a TTL of exactly -1 ns keeps none too, an
     * artefact of its "disabled" mark; here every negative TTL means
     * "always the oldest", as its documentation says.) */
    cfg->max_exemplars = maxx == 0 ? 10 : maxx < 0 ? 0 : (size_t)maxx;
    cfg->exemplar_ttl = ttl == 0 ? 300 : ttl;
    *on = true;
    return PROMC_OK;
}

static struct promc_metric *create(promc_registry *reg, const char *name, const char *help,
                                   const char *const *label_names, bool vec,
                                   const promc_histogram_opts *opts)
{
    const char *shown = name ? name : "(null)";
    const double *bounds = opts && opts->buckets ? opts->buckets : NULL;
    if (opts && !opts->buckets && opts->nbuckets)
        return promc__fail_null(PROMC_EINVAL,
                                "histogram \"%s\": nbuckets is %zu but buckets is NULL", shown,
                                opts->nbuckets);
    struct promc__native_config cfg = {0};
    bool native;
    if (native_config(shown, opts, &cfg, &native) != PROMC_OK)
        return NULL;
    /* client_golang: native buckets and no buckets given = native only. */
    static const double none[1];
    if (native && !bounds)
        bounds = none;
    bool shared = promc__mp_active();
    if (shared && native)
        return promc__fail_null(PROMC_EINVAL,
                                "histogram \"%s\": native buckets in multi-process mode (they have "
                                "no format shared by processes; use classic buckets)",
                                shown);
    struct hist_data *d = hist_data_new(name, bounds, opts && opts->buckets ? opts->nbuckets : 0);
    if (!d)
        return NULL;
    if (shared && d->nfinite == 0) {
        struct promc_metric tmp = {.type_data = d};
        hist_fini(&tmp);
        return promc__fail_null(PROMC_EINVAL,
                                "histogram \"%s\": no finite bucket in multi-process mode", shown);
    }
    size_t head, size;
    if (shared) {
        d->kind = SHARED;
        head = sizeof(struct shared_child);
        size = 0;
    } else if (native) {
        d->kind = NATIVE;
        cfg.nclassic = d->nfinite + 1;
        d->ncfg = cfg;
        head = offsetof(struct native_child, nh);
        size = promc__native_size(cfg.nclassic);
    } else {
        head = (sizeof(struct hist_child) + 15) / 16 * 16;
        size = promc__hotcold_size(d->nfinite + 1);
    }
    struct promc__new_args a = {.reg = reg,
                                .ops = shared ? &hist_shared_ops : &hist_ops,
                                .name = name,
                                .help = help,
                                .label_names = label_names,
                                .vec = vec,
                                .unit = opts ? opts->unit : NULL,
                                .max_children = opts ? opts->max_children : 0,
                                .const_labels = opts ? opts->const_labels : NULL,
                                .nconst = opts ? opts->nconst_labels : 0,
                                .child_size = head + size,
                                .type_data = d};
    return promc__metric_create(&a);
}

promc_histogram *promc_histogram_new(promc_registry *reg, const char *name, const char *help,
                                     const promc_histogram_opts *opts)
{
    struct promc_metric *m = create(reg, name, help, NULL, false, opts);
    return m ? (promc_histogram *)promc__family_root(m) : NULL;
}

promc_histogram_vec *promc_histogram_vec_new(promc_registry *reg, const char *name,
                                             const char *help, const char *const *label_names,
                                             const promc_histogram_opts *opts)
{
    return (promc_histogram_vec *)create(reg, name, help, label_names, true, opts);
}

/* Upper bounds are inclusive (v <= le), so the bucket index is the number of
 * bounds below v. For the handful of bounds most histograms have, counting
 * them without a branch beats any search: compares run in parallel and
 * nothing mispredicts on spread-out values. NaN compares false everywhere and
 * is sent to +Inf explicitly, as client_golang does, keeping _count == +Inf. */
/* Inlined into both observe paths: an out-of-line call would cost
 * promc_histogram_observe a call and spills. */
__attribute__((always_inline)) static inline size_t find_bucket(const struct hist_data *d, double v)
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

/* On the calling thread's own stripe when it has one, else shared. */
__attribute__((always_inline)) static inline void
classic_observe(struct hist_child *c, struct hist_data *d, size_t bucket, double v)
{
    if (!promc__hstripes_observe(&c->stripes, &c->hc, &d->snap, d->nfinite + 1, bucket, v))
        promc__hotcold_observe(&c->hc, bucket, v);
}

/* A native or shared child's observation: out of line, so that the
 * classic path tests the kind once, as it tested the native flag. */
__attribute__((noinline)) static void observe_other(promc_histogram *h, struct hist_data *d,
                                                    double v)
{
    if (d->kind == NATIVE)
        promc__native_observe(&((struct native_child *)h)->nh, &d->ncfg, find_bucket(d, v), v);
    else
        promc_mp_histogram_observe(((struct shared_child *)h)->mp, v);
}

void promc_histogram_observe(promc_histogram *h, double v)
{
    if (!h)
        return;
    struct hist_child *c = (struct hist_child *)h;
    struct hist_data *d = hdata(c->base.family);
    if (d->kind != CLASSIC) {
        observe_other(h, d, v);
        return;
    }
    classic_observe(c, d, find_bucket(d, v), v);
}

int promc_histogram_observe_exemplar(promc_histogram *h, double v, const promc_label *labels,
                                     size_t nlabels)
{
    struct hist_child *c = (struct hist_child *)h;
    struct promc_metric *m = promc__family_of(h);
    size_t bucket = 0;
    if (m && m->ops->mp_shared)
        return promc__mp_refuse(m, "promc_histogram_observe_exemplar");
    /* The observation first: a bad exemplar never costs the count. */
    if (c) {
        struct hist_data *d = hdata(m);
        bucket = find_bucket(d, v);
        if (d->kind == NATIVE)
            promc__native_observe(&((struct native_child *)h)->nh, &d->ncfg, bucket, v);
        else
            classic_observe(c, d, bucket, v);
    }
    struct promc__xinput in;
    int rc =
        promc__exemplar_check(&in, labels, nlabels, v, "histogram", m ? m->desc.name : "(null)");
    if (rc != PROMC_OK || !c)
        return rc == PROMC_OK ? promc__ok() : rc;
    struct promc__xset *ex = atomic_load_explicit(&c->exemplars, memory_order_acquire);
    if (!ex) {
        /* The first exemplar of the series: concurrent first-timers agree
         * through a CAS and the loser frees its set. */
        struct promc__xset *mine = promc__xset_new(hdata(m)->nfinite + 1);
        if (!mine)
            return promc__fail(PROMC_ENOMEM, "histogram \"%s\": out of memory for exemplars",
                               m->desc.name);
        if (atomic_compare_exchange_strong_explicit(&c->exemplars, &ex, mine, memory_order_acq_rel,
                                                    memory_order_acquire))
            ex = mine;
        else
            promc__xset_free(mine);
    }
    rc = promc__xset_put(ex, bucket, &in);
    /* With native buckets it is kept among their exemplars too (client_golang
     * keeps both), unless v is NaN, which is in no native bucket. */
    const struct hist_data *d = hdata(m);
    if (d->kind == NATIVE && v == v) {
        int nrc = promc__native_add_exemplar(&((struct native_child *)h)->nh, &d->ncfg, &in);
        if (rc == PROMC_OK)
            rc = nrc;
    }
    return rc == PROMC_OK ? promc__ok() : rc;
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

promc_metric *promc_histogram_metric(promc_histogram *x)
{
    return promc__series_metric(x, "promc_histogram_metric");
}

int promc_histogram_free(promc_histogram *x)
{
    return promc__series_free(x, "promc_histogram_free");
}

promc_histogram *promc_histogram_vec_labels_n(promc_histogram_vec *v, const char *const *values,
                                              size_t n)
{
    return promc__vec_labels(v, values, n, "promc_histogram_vec_labels");
}

int promc_histogram_vec_remove_n(promc_histogram_vec *v, const char *const *values, size_t n)
{
    return promc__vec_remove(v, values, n, "promc_histogram_vec_remove");
}

int promc_histogram_vec_clear(promc_histogram_vec *v)
{
    return promc__vec_clear(v, "promc_histogram_vec_clear");
}

promc_metric *promc_histogram_vec_metric(promc_histogram_vec *v)
{
    return promc__vec_metric(v);
}

int promc_histogram_vec_free(promc_histogram_vec *v)
{
    return promc__vec_free(v);
}

promc_histogram_vec *promc_histogram_vec_curry(promc_histogram_vec *v, const promc_label *fixed,
                                               size_t n)
{
    return promc__vec_curry(v, fixed, n, "promc_histogram_vec_curry");
}

int promc_histogram_vec_remove_partial(promc_histogram_vec *v, const promc_label *match, size_t n,
                                       size_t *removed)
{
    return promc__vec_remove_partial(v, match, n, removed, "promc_histogram_vec_remove_partial");
}
