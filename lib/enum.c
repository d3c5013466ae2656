/*
 * Enums (OpenMetrics statesets): a fixed list of states with one current.
 * A child stores only the index of its state; the exposition writes one
 * sample per state, labelled with the metric's own name, 1 for the current.
 */
#include <string.h>

#include "constructor.h"
#include "family.h"
#include "internal.h"
#include "mp_series.h"
#include "registry.h"
#include "vec.h"

struct enum_data {
    size_t n;
    char **states;  /* raw */
    char **escaped; /* as written in a label value */
};

struct enum_child {
    struct promc__child base;
    atomic_size_t state;
};

static void enum_fini(struct promc_metric *m)
{
    struct enum_data *d = m->type_data;
    if (!d)
        return;
    promc__free_strings(d->states, d->n);
    promc__free_strings(d->escaped, d->n);
    promc__free(d);
}

static void enum_child_series(struct promc_metric *m, struct promc__child *c, struct promc__sink *s,
                              const struct promc__labels *ls)
{
    struct enum_data *d = m->type_data;
    struct promc__stateset_data sd = {
        .nstates = d->n,
        .states = (const char *const *)d->states,
        .states_escaped = (const char *const *)d->escaped,
        .current = atomic_load_explicit(&((struct enum_child *)c)->state, memory_order_relaxed)};
    struct promc__series x = {.labels = ls, .stateset = &sd};
    promc__sink_series(s, &x);
}

static void enum_reset_child(struct promc_metric *m, struct promc__child *c)
{
    (void)m;
    atomic_store_explicit(&((struct enum_child *)c)->state, 0, memory_order_relaxed);
}

/* The same states in the same order. */
static bool enum_same(const struct promc_metric *a, const struct promc_metric *b)
{
    const struct enum_data *x = a->type_data, *y = b->type_data;
    if (x->n != y->n)
        return false;
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->states[i], y->states[i]) != 0)
            return false;
    return true;
}

static const struct promc__ops enum_ops = {
    .same_data = enum_same,
    .type = PROMC_STATESET,
    .reset_child = enum_reset_child,
    .child_series = enum_child_series,
    .fini = enum_fini,
};

static struct enum_data *enum_data_new(const char *name, const char *const *states)
{
    const char *nm = name ? name : "(null)";
    size_t n = 0;
    for (; states && states[n]; n++) {
        if (!*states[n] || !promc__valid_utf8(states[n], strlen(states[n])))
            return promc__fail_null(PROMC_EINVAL, "enum \"%s\": state %zu is empty or not UTF-8",
                                    nm, n);
        for (size_t j = 0; j < n; j++)
            if (strcmp(states[j], states[n]) == 0)
                return promc__fail_null(PROMC_EINVAL, "enum \"%s\": duplicate state \"%s\"", nm,
                                        states[n]);
    }
    if (n == 0)
        return promc__fail_null(PROMC_EINVAL, "enum \"%s\": needs at least one state", nm);
    struct enum_data *d = promc__calloc(1, sizeof *d);
    if (!d)
        goto oom;
    d->states = promc__calloc(n, sizeof(char *));
    d->escaped = promc__calloc(n, sizeof(char *));
    if (!d->states || !d->escaped)
        goto oom;
    d->n = n;
    for (size_t i = 0; i < n; i++) {
        d->states[i] = promc__strdup(states[i]);
        d->escaped[i] = promc__malloc(promc__escaped_len(states[i], true) + 1);
        if (!d->states[i] || !d->escaped[i])
            goto oom;
        d->escaped[i][promc__escape(d->escaped[i], states[i], true)] = '\0';
    }
    return d;
oom:
    if (d) {
        struct promc_metric tmp = {.type_data = d};
        enum_fini(&tmp);
    }
    return promc__fail_null(PROMC_ENOMEM, "out of memory creating enum \"%s\"", nm);
}

static struct promc_metric *create(promc_registry *reg, const char *name, const char *help,
                                   const char *const *label_names, bool vec,
                                   const char *const *states, const promc_metric_opts *opts)
{
    if (promc__mp_no_mode(opts, "enum", name) != PROMC_OK)
        return NULL;
    /* The state label is named after the metric, so the name must also be a
     * valid label name (no colons, unless the registry allows UTF-8). */
    promc_registry *target;
    if (promc__registry_for_new(reg, &target) != PROMC_OK)
        return NULL;
    if (name && !promc__valid_label(name, target && promc__registry_utf8(target)))
        return promc__fail_null(PROMC_EINVAL,
                                "enum \"%s\": the name must also be a valid label name", name);
    struct enum_data *d = enum_data_new(name, states);
    if (!d)
        return NULL;
    struct promc__new_args a = {.reg = reg,
                                .ops = &enum_ops,
                                .name = name,
                                .help = help,
                                .label_names = label_names,
                                .vec = vec,
                                .unit = opts ? opts->unit : NULL,
                                .max_children = opts ? opts->max_children : 0,
                                .const_labels = opts ? opts->const_labels : NULL,
                                .nconst = opts ? opts->nconst_labels : 0,
                                .child_size = sizeof(struct enum_child),
                                .reserve_name = true,
                                .type_data = d};
    return promc__metric_create(&a);
}

promc_enum *promc_enum_new(promc_registry *reg, const char *name, const char *help,
                           const char *const *states, const promc_metric_opts *opts)
{
    struct promc_metric *m = create(reg, name, help, NULL, false, states, opts);
    return m ? (promc_enum *)promc__family_root(m) : NULL;
}

promc_enum_vec *promc_enum_vec_new(promc_registry *reg, const char *name, const char *help,
                                   const char *const *label_names, const char *const *states,
                                   const promc_metric_opts *opts)
{
    return (promc_enum_vec *)create(reg, name, help, label_names, true, states, opts);
}

int promc_enum_set_index(promc_enum *e, size_t index)
{
    if (!e)
        return promc__ok();
    struct promc_metric *m = promc__family_of(e);
    struct enum_data *d = m->type_data;
    if (index >= d->n)
        return promc__fail(PROMC_EINVAL, "enum \"%s\": state index %zu out of range", m->desc.name,
                           index);
    atomic_store_explicit(&((struct enum_child *)e)->state, index, memory_order_relaxed);
    return promc__ok();
}

int promc_enum_set(promc_enum *e, const char *state)
{
    if (!e)
        return promc__ok();
    struct promc_metric *m = promc__family_of(e);
    struct enum_data *d = m->type_data;
    for (size_t i = 0; state && i < d->n; i++)
        if (strcmp(d->states[i], state) == 0)
            return promc_enum_set_index(e, i);
    return promc__fail(PROMC_EINVAL, "enum \"%s\": unknown state \"%s\"", m->desc.name,
                       state ? state : "(null)");
}

size_t promc_enum_get(const promc_enum *e)
{
    return e ? atomic_load_explicit(&((struct enum_child *)e)->state, memory_order_relaxed) : 0;
}

promc_metric *promc_enum_metric(promc_enum *x)
{
    return promc__series_metric(x, "promc_enum_metric");
}

int promc_enum_free(promc_enum *x)
{
    return promc__series_free(x, "promc_enum_free");
}

promc_enum *promc_enum_vec_labels_n(promc_enum_vec *v, const char *const *values, size_t n)
{
    return promc__vec_labels(v, values, n, "promc_enum_vec_labels");
}

int promc_enum_vec_remove_n(promc_enum_vec *v, const char *const *values, size_t n)
{
    return promc__vec_remove(v, values, n, "promc_enum_vec_remove");
}

int promc_enum_vec_clear(promc_enum_vec *v)
{
    return promc__vec_clear(v, "promc_enum_vec_clear");
}

promc_metric *promc_enum_vec_metric(promc_enum_vec *v)
{
    return promc__vec_metric(v);
}

int promc_enum_vec_free(promc_enum_vec *v)
{
    return promc__vec_free(v);
}

promc_enum_vec *promc_enum_vec_curry(promc_enum_vec *v, const promc_label *fixed, size_t n)
{
    return promc__vec_curry(v, fixed, n, "promc_enum_vec_curry");
}

int promc_enum_vec_remove_partial(promc_enum_vec *v, const promc_label *match, size_t n,
                                  size_t *removed)
{
    return promc__vec_remove_partial(v, match, n, removed, "promc_enum_vec_remove_partial");
}
