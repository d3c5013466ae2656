/*
 * Gauges: one double kept as its bit pattern in a 64-bit atomic. set is a
 * store; inc/dec/add/sub are CAS loops (never `+=` on an _Atomic double, which
 * gcc would turn into a libatomic call).
 */
#include "internal.h"

struct gauge_child {
    struct promc__child base;
    _Atomic uint64_t bits;
};

static _Atomic uint64_t *cell(promc_gauge *g)
{
    return &((struct gauge_child *)g)->bits;
}

static void collect_child(struct promc_metric *m, struct promc__child *c, promc__enc *e,
                          const struct promc__labels *ls)
{
    (void)m;
    uint64_t bits = atomic_load_explicit(&((struct gauge_child *)c)->bits, memory_order_relaxed);
    promc__enc_sample(e, "", ls, NULL, promc__vd(promc__bits_to_double(bits)));
}

static const struct promc__ops gauge_ops = {
    .type = PROMC_GAUGE,
    .collect_child = collect_child,
};

promc_gauge *promc_gauge_new_opts(promc_registry *reg, const char *name, const char *help,
                                  const char *const *label_names, const promc_metric_opts *opts)
{
    struct promc_metric *m =
        promc__family_new(reg, &gauge_ops, name, help, label_names, opts ? opts->unit : NULL,
                          opts ? opts->max_children : 0, sizeof(struct gauge_child), NULL, NULL);
    return m ? (promc_gauge *)m->root : NULL;
}

promc_gauge *promc_gauge_new(promc_registry *reg, const char *name, const char *help,
                             const char *const *label_names)
{
    return promc_gauge_new_opts(reg, name, help, label_names, NULL);
}

void promc_gauge_add(promc_gauge *g, double v)
{
    if (g)
        promc__atomic_add_double(cell(g), v);
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
    if (g)
        atomic_store_explicit(cell(g), promc__double_to_bits(v), memory_order_relaxed);
}

void promc_gauge_set_to_current_time(promc_gauge *g)
{
    promc_gauge_set(g, promc__now());
}

double promc_gauge_get(promc_gauge *g)
{
    return g ? promc__bits_to_double(atomic_load_explicit(cell(g), memory_order_relaxed)) : 0;
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

promc_gauge *promc_gauge_labels_n(promc_gauge *g, const char *const *values, size_t n)
{
    return (promc_gauge *)promc__family_labels(promc__family_of(g), values, n);
}

int promc_gauge_remove_n(promc_gauge *g, const char *const *values, size_t n)
{
    return promc__family_remove(promc__family_of(g), values, n);
}

void promc_gauge_clear(promc_gauge *g)
{
    promc__family_clear(promc__family_of(g));
}

promc_metric *promc_gauge_metric(promc_gauge *g)
{
    return promc__family_of(g);
}

void promc_gauge_free(promc_gauge *g)
{
    promc__metric_unref(promc__family_of(g));
}
