/*
 * Counters. A child keeps two cells: an exact 64-bit integer for whole
 * increments (so a counter stays exact past 2^53, and inc is one atomic add)
 * and a double for fractional ones, updated by a CAS loop. The exposed value
 * is their sum; while the double cell is zero the integer prints exactly.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

struct counter_child {
    struct promc__child base;
    _Atomic uint64_t whole;
    _Atomic uint64_t frac_bits;
};

static struct counter_child *cc(promc_counter *c)
{
    return (struct counter_child *)c;
}

static void collect_child(struct promc_metric *m, struct promc__child *c, promc__enc *e,
                          const struct promc__labels *ls)
{
    (void)m;
    struct counter_child *k = (struct counter_child *)c;
    uint64_t whole = atomic_load_explicit(&k->whole, memory_order_relaxed);
    double frac = promc__bits_to_double(atomic_load_explicit(&k->frac_bits, memory_order_relaxed));
    struct promc__value v = frac == 0 ? promc__vu(whole) : promc__vd((double)whole + frac);
    promc__enc_sample(e, "_total", ls, NULL, v);
    promc__enc_created(e, ls, c->created);
}

static const struct promc__ops counter_ops = {
    .type = PROMC_COUNTER,
    .collect_child = collect_child,
};

promc_counter *promc_counter_new_opts(promc_registry *reg, const char *name, const char *help,
                                      const char *const *label_names, const promc_metric_opts *opts)
{
    /* "x" and "x_total" both mean the family x with samples x_total. */
    char *base = NULL;
    size_t len = name ? strlen(name) : 0;
    if (len > 6 && strcmp(name + len - 6, "_total") == 0) {
        base = promc__strdup(name);
        if (!base)
            return promc__fail_null(PROMC_ENOMEM, "out of memory creating metric \"%s\"", name);
        base[len - 6] = '\0';
        name = base;
    }
    struct promc_metric *m =
        promc__family_new(reg, &counter_ops, name, help, label_names, opts ? opts->unit : NULL,
                          opts ? opts->max_children : 0, sizeof(struct counter_child), NULL, NULL);
    promc__free(base);
    return m ? (promc_counter *)m->root : NULL;
}

promc_counter *promc_counter_new(promc_registry *reg, const char *name, const char *help,
                                 const char *const *label_names)
{
    return promc_counter_new_opts(reg, name, help, label_names, NULL);
}

void promc_counter_inc(promc_counter *c)
{
    if (c)
        atomic_fetch_add_explicit(&cc(c)->whole, 1, memory_order_relaxed);
}

void promc_counter_add_int(promc_counter *c, uint64_t n)
{
    if (c)
        atomic_fetch_add_explicit(&cc(c)->whole, n, memory_order_relaxed);
}

int promc_counter_add(promc_counter *c, double v)
{
    if (!(v >= 0)) /* also catches NaN */
        return promc__fail(PROMC_EINVAL, "counter \"%s\": cannot add %g (negative or NaN)",
                           c ? promc__family_of(c)->desc.name : "(null)", v);
    if (!c)
        return PROMC_OK;
    /* Whole increments below 2^63 take the exact integer path. */
    if (v < 9223372036854775808.0 && v == (double)(uint64_t)v)
        atomic_fetch_add_explicit(&cc(c)->whole, (uint64_t)v, memory_order_relaxed);
    else
        promc__atomic_add_double(&cc(c)->frac_bits, v);
    return PROMC_OK;
}

double promc_counter_get(promc_counter *c)
{
    if (!c)
        return 0;
    return (double)atomic_load_explicit(&cc(c)->whole, memory_order_relaxed) +
           promc__bits_to_double(atomic_load_explicit(&cc(c)->frac_bits, memory_order_relaxed));
}

promc_counter *promc_counter_labels_n(promc_counter *c, const char *const *values, size_t n)
{
    return (promc_counter *)promc__family_labels(promc__family_of(c), values, n);
}

int promc_counter_remove_n(promc_counter *c, const char *const *values, size_t n)
{
    return promc__family_remove(promc__family_of(c), values, n);
}

void promc_counter_clear(promc_counter *c)
{
    promc__family_clear(promc__family_of(c));
}

promc_metric *promc_counter_metric(promc_counter *c)
{
    return promc__family_of(c);
}

void promc_counter_free(promc_counter *c)
{
    promc__metric_unref(promc__family_of(c));
}
