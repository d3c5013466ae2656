/*
 * Gauges: one double kept as its bit pattern in a 64-bit atomic. set is a
 * store; inc/dec/add/sub are CAS loops (never `+=` on an _Atomic double, which
 * gcc would turn into a libatomic call).
 *
 * A gauge created in multi-process mode is a shared family (mp_series.h):
 * its family has type data (the mode), and each child's bits hold the
 * address of its series (a promc_mp_gauge) instead of the value, so every
 * call below goes to the series' cell in the mode's file (and, in the
 * mostrecent modes, its timestamp). A normal gauge has no type data.
 */
#include "constructor.h"
#include "family.h"
#include "internal.h"
#include "mp.h"
#include "mp_series.h"
#include "vec.h"

/* A shared family's data. */
struct gauge_data {
    promc_mp_mode mode;
};

struct gauge_child {
    struct promc__child base;
    _Atomic uint64_t bits;
};

/* A shared family's series, or NULL for a normal gauge. */
static promc_mp_gauge *shared(const promc_gauge *g)
{
    struct gauge_child *k = (struct gauge_child *)g;
    if (__builtin_expect(k->base.family->type_data != NULL, 0))
        return (promc_mp_gauge *)(uintptr_t)atomic_load_explicit(&k->bits, memory_order_relaxed);
    return NULL;
}

static void child_series(struct promc_metric *m, struct promc__child *c, struct promc__sink *s,
                         const struct promc__labels *ls)
{
    (void)m;
    uint64_t bits = atomic_load_explicit(&((struct gauge_child *)c)->bits, memory_order_relaxed);
    struct promc__series x = {.labels = ls, .value = promc__vd(promc__bits_to_double(bits))};
    promc__sink_series(s, &x);
}

static void reset_child(struct promc_metric *m, struct promc__child *c)
{
    (void)m;
    atomic_store_explicit(&((struct gauge_child *)c)->bits, 0, memory_order_relaxed);
}

static const struct promc__ops gauge_ops = {
    .type = PROMC_GAUGE,
    .reset_child = reset_child,
    .child_series = child_series,
};

/* A shared family's child: its series in this process's file (the handle
 * lives as long as the process; nothing to free). */
static int shared_init_child(struct promc_metric *m, struct promc__child *c)
{
    const struct gauge_data *d = m->type_data;
    promc_mp_gauge *h = promc__mp_shared_gauge(m, c, d->mode);
    if (!h)
        return promc_last_error_code();
    atomic_init(&((struct gauge_child *)c)->bits, (uint64_t)(uintptr_t)h);
    return PROMC_OK;
}

static void shared_fini(struct promc_metric *m)
{
    promc__free(m->type_data);
}

static bool shared_same(const struct promc_metric *a, const struct promc_metric *b)
{
    return ((const struct gauge_data *)a->type_data)->mode ==
           ((const struct gauge_data *)b->type_data)->mode;
}

static const struct promc__ops gauge_shared_ops = {
    .type = PROMC_GAUGE,
    .init_child = shared_init_child,
    .child_series = promc__mp_no_series, /* the multi-process collector serves it */
    .fini = shared_fini,
    .same_data = shared_same,
    .mp_shared = true,
};

static struct promc_metric *create(promc_registry *reg, const char *name, const char *help,
                                   const char *const *label_names, bool vec,
                                   const promc_metric_opts *opts)
{
    promc_mp_mode mode = opts ? opts->mp_mode : PROMC_MP_ALL;
    if (!promc__mp_mode_name(mode))
        return promc__fail_null(PROMC_EINVAL, "gauge \"%s\": invalid mp_mode %d",
                                name ? name : "(null)", (int)mode);
    struct gauge_data *d = NULL;
    if (promc__mp_active()) {
        d = promc__malloc(sizeof *d);
        if (!d)
            return promc__fail_null(PROMC_ENOMEM, "out of memory creating gauge \"%s\"",
                                    name ? name : "(null)");
        d->mode = mode;
    }
    struct promc__new_args a = {.reg = reg,
                                .ops = d ? &gauge_shared_ops : &gauge_ops,
                                .name = name,
                                .help = help,
                                .label_names = label_names,
                                .vec = vec,
                                .unit = opts ? opts->unit : NULL,
                                .max_children = opts ? opts->max_children : 0,
                                .const_labels = opts ? opts->const_labels : NULL,
                                .nconst = opts ? opts->nconst_labels : 0,
                                .child_size = sizeof(struct gauge_child),
                                .type_data = d};
    return promc__metric_create(&a);
}

promc_gauge *promc_gauge_new(promc_registry *reg, const char *name, const char *help,
                             const promc_metric_opts *opts)
{
    struct promc_metric *m = create(reg, name, help, NULL, false, opts);
    return m ? (promc_gauge *)promc__family_root(m) : NULL;
}

promc_gauge_vec *promc_gauge_vec_new(promc_registry *reg, const char *name, const char *help,
                                     const char *const *label_names, const promc_metric_opts *opts)
{
    return (promc_gauge_vec *)create(reg, name, help, label_names, true, opts);
}

void promc_gauge_add(promc_gauge *g, double v)
{
    if (!g)
        return;
    promc_mp_gauge *h = shared(g);
    if (h)
        promc_mp_gauge_add(h, v);
    else
        promc__atomic_add_double(&((struct gauge_child *)g)->bits, v);
}

void promc_gauge_sub(promc_gauge *g, double v)
{
    promc_gauge_add(g, -v);
}

void promc_gauge_inc(promc_gauge *g)
{
    promc_gauge_add(g, 1);
}

void promc_gauge_dec(promc_gauge *g)
{
    promc_gauge_add(g, -1);
}

void promc_gauge_set(promc_gauge *g, double v)
{
    if (!g)
        return;
    promc_mp_gauge *h = shared(g);
    if (h)
        promc_mp_gauge_set(h, v);
    else
        atomic_store_explicit(&((struct gauge_child *)g)->bits, promc__double_to_bits(v),
                              memory_order_relaxed);
}

void promc_gauge_set_to_current_time(promc_gauge *g)
{
    promc_gauge_set(g, promc__now());
}

double promc_gauge_get(const promc_gauge *g)
{
    if (!g)
        return 0;
    promc_mp_gauge *h = shared(g);
    return h ? promc__mp_gauge_value(h)
             : promc__bits_to_double(atomic_load_explicit(&((const struct gauge_child *)g)->bits,
                                                          memory_order_relaxed));
}

promc_gauge_timer promc_gauge_timer_start(promc_gauge *g)
{
    promc_gauge_timer t = {g, promc__mono_ns()};
    return t;
}

double promc_gauge_timer_stop(promc_gauge_timer *t)
{
    if (!t)
        return 0;
    double s = (double)(promc__mono_ns() - t->start_ns) / 1e9;
    promc_gauge_set(t->gauge, s);
    return s;
}

promc_gauge *promc_gauge_track_inprogress(promc_gauge *g)
{
    promc_gauge_inc(g);
    return g;
}

void promc_gauge_track_end(promc_gauge *g)
{
    promc_gauge_dec(g);
}

promc_metric *promc_gauge_metric(promc_gauge *x)
{
    return promc__series_metric(x, "promc_gauge_metric");
}

int promc_gauge_free(promc_gauge *x)
{
    return promc__series_free(x, "promc_gauge_free");
}

promc_gauge *promc_gauge_vec_labels_n(promc_gauge_vec *v, const char *const *values, size_t n)
{
    return promc__vec_labels(v, values, n, "promc_gauge_vec_labels");
}

int promc_gauge_vec_remove_n(promc_gauge_vec *v, const char *const *values, size_t n)
{
    return promc__vec_remove(v, values, n, "promc_gauge_vec_remove");
}

int promc_gauge_vec_clear(promc_gauge_vec *v)
{
    return promc__vec_clear(v, "promc_gauge_vec_clear");
}

promc_metric *promc_gauge_vec_metric(promc_gauge_vec *v)
{
    return promc__vec_metric(v);
}

int promc_gauge_vec_free(promc_gauge_vec *v)
{
    return promc__vec_free(v);
}

promc_gauge_vec *promc_gauge_vec_curry(promc_gauge_vec *v, const promc_label *fixed, size_t n)
{
    return promc__vec_curry(v, fixed, n, "promc_gauge_vec_curry");
}

int promc_gauge_vec_remove_partial(promc_gauge_vec *v, const promc_label *match, size_t n,
                                   size_t *removed)
{
    return promc__vec_remove_partial(v, match, n, removed, "promc_gauge_vec_remove_partial");
}
