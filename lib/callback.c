/*
 * Callback metrics: a gauge or counter whose value a function of the
 * application gives at scrape time (promc_gauge_func_new, like
 * client_golang's NewGaugeFunc), and a labelled family whose series a
 * function lists at scrape time (promc_gauge_func_vec_new: one series per
 * queue or connection). Each is a custom collector inside: created and
 * registered on the collectors' path (so registration, unregistration,
 * duplicate detection, coalesced scrapes, deadlines and every exposition
 * format are theirs), claiming the sample names of the metric type it
 * imitates, and emitting through the emitter, which validates every label
 * set and value as it does a collector's.
 */
#include <string.h>

#include "emitter.h"
#include "family.h"
#include "internal.h"
#include "mp_series.h"
#include "metric.h"
#include "registry.h"
#include "types.h"

struct callback {
    promc_type type;
    const char *what; /* "gauge func", "counter func vec", ... for messages */
    char *name;       /* as given ("x_total" for a counter may keep its suffix) */
    char *base;       /* the family name: the collector's name */
    char *help, *unit;
    char **label_names; /* NULL for an unlabelled one */
    size_t nlabels;
    promc_label *consts; /* promc_metric_opts.const_labels, copied */
    size_t nconst;
    promc_value_fn value_fn;   /* unlabelled */
    promc_report_fn report_fn; /* labelled */
    void *userdata;
    void (*free_fn)(void *);
};

/* What a labelled callback reports through. */
struct promc_reporter {
    promc_emitter *e;
    const struct callback *cb;
    promc_label *pairs; /* nlabels then the nconst constant ones, names set */
};

/* ===================================================================== */
/* Lifetime                                                               */
/* ===================================================================== */

static void callback_free(void *p)
{
    struct callback *cb = p;
    if (!cb)
        return;
    if (cb->free_fn)
        cb->free_fn(cb->userdata);
    promc__free(cb->name);
    promc__free(cb->base);
    promc__free(cb->help);
    promc__free(cb->unit);
    if (cb->label_names)
        promc__free_strings(cb->label_names, cb->nlabels);
    for (size_t i = 0; cb->consts && i < cb->nconst; i++) {
        promc__free((char *)cb->consts[i].name);
        promc__free((char *)cb->consts[i].value);
    }
    promc__free(cb->consts);
    promc__free(cb);
}

/* ===================================================================== */
/* Collection                                                             */
/* ===================================================================== */

/* A value the metric type cannot expose: a counter's negative or NaN. */
static bool valid_value(const struct callback *cb, double v)
{
    return cb->type != PROMC_COUNTER || v >= 0;
}

static int refuse_value(promc_emitter *e, const struct callback *cb, double v)
{
    promc__fail(PROMC_EINVAL,
                "%s \"%s\": the callback gave %g, and a counter cannot be negative or NaN",
                cb->what, cb->base, v);
    return promc__emit_fail(e, PROMC_EINVAL);
}

static void callback_failed(promc_emitter *e, const struct callback *cb, int rc)
{
    promc__fail(PROMC_EIO, "%s \"%s\": the callback failed (returned %d)", cb->what, cb->base, rc);
    promc__emit_fail(e, PROMC_EIO);
}

/* Unlabelled: one call of the value function, then the family and its one
 * sample -- or nothing and the collection's error. */
static int collect_value(promc_emitter *e, void *p)
{
    const struct callback *cb = p;
    double v = 0;
    int rc = cb->value_fn(cb->userdata, &v);
    if (rc != 0) {
        callback_failed(e, cb, rc);
        return 0;
    }
    if (!valid_value(cb, v)) {
        refuse_value(e, cb, v);
        return 0;
    }
    if (promc_emit_family(e, cb->name, cb->help, cb->type, cb->unit) == PROMC_OK)
        promc_emit_sample(e, cb->consts, cb->nconst, v);
    return 0;
}

/* Labelled: the family, then whatever the report function reports. */
static int collect_series(promc_emitter *e, void *p)
{
    const struct callback *cb = p;
    promc_label small[8];
    size_t all = cb->nlabels + cb->nconst;
    promc_label *pairs = all <= 8 ? small : promc__calloc(all, sizeof *pairs);
    if (!pairs) {
        promc__fail(PROMC_ENOMEM, "out of memory collecting %s \"%s\"", cb->what, cb->base);
        promc__emit_fail(e, PROMC_ENOMEM);
        return 0;
    }
    for (size_t i = 0; i < cb->nlabels; i++)
        pairs[i].name = cb->label_names[i];
    for (size_t i = 0; i < cb->nconst; i++)
        pairs[cb->nlabels + i] = cb->consts[i];
    /* A refused family (a name another metric of the scrape took) makes
     * every report return PROMC_ESTATE; the collection has its error. */
    promc_emit_family(e, cb->name, cb->help, cb->type, cb->unit);
    promc_reporter r = {e, cb, pairs};
    int rc = cb->report_fn(&r, cb->userdata);
    if (rc != 0)
        callback_failed(e, cb, rc);
    if (pairs != small)
        promc__free(pairs);
    return 0;
}

int promc_reporter_add_n(promc_reporter *r, const char *const *values, size_t n, double value)
{
    if (!r)
        return promc__fail(PROMC_EINVAL, "promc_reporter_add_n: NULL reporter");
    const struct callback *cb = r->cb;
    if (!values || n != cb->nlabels) {
        promc__fail(PROMC_EINVAL, "%s \"%s\": %zu label values reported for %zu label names",
                    cb->what, cb->base, values ? n : 0, cb->nlabels);
        return promc__emit_fail(r->e, PROMC_EINVAL);
    }
    if (!valid_value(cb, value))
        return refuse_value(r->e, cb, value);
    for (size_t i = 0; i < n; i++)
        r->pairs[i].value = values[i];
    return promc_emit_sample(r->e, r->pairs, n + cb->nconst, value);
}

/* ===================================================================== */
/* Creation                                                               */
/* ===================================================================== */

static char *copy_or_null(const char *s, bool *oom)
{
    if (!s)
        return NULL;
    char *c = promc__strdup(s);
    if (!c)
        *oom = true;
    return c;
}

/* The checks a typed constructor makes, with the registry's name rules. */
static int check(const struct callback *cb, const char *const *label_names, bool utf8,
                 const char *base)
{
    if (promc__check_family(cb->type, "", base, cb->help, cb->unit, utf8) != PROMC_OK)
        return PROMC_EINVAL;
    for (size_t i = 0; label_names && label_names[i]; i++) {
        const char *l = label_names[i];
        if (!promc__valid_label(l, utf8))
            return promc__fail(PROMC_EINVAL, "%s \"%s\": invalid label name \"%s\"", cb->what, base,
                               l);
        for (size_t j = 0; j < i; j++)
            if (strcmp(label_names[j], l) == 0)
                return promc__fail(PROMC_EINVAL, "%s \"%s\": duplicate label name \"%s\"", cb->what,
                                   base, l);
    }
    return PROMC_OK;
}

/* Copies the constant labels; false when out of memory (what was copied
 * is freed with cb). */
static bool copy_consts(struct callback *cb, const promc_label *cl, size_t n)
{
    cb->consts = promc__calloc(n, sizeof *cb->consts);
    if (!cb->consts)
        return false;
    for (; cb->nconst < n; cb->nconst++) {
        promc_label *d = &cb->consts[cb->nconst];
        d->name = promc__strdup(cl[cb->nconst].name);
        d->value = promc__strdup(cl[cb->nconst].value);
        if (!d->name || !d->value) {
            cb->nconst++; /* freed with the rest */
            return false;
        }
    }
    return true;
}

/* Copies what the callback metric keeps; false when out of memory. */
static bool fill(struct callback *cb, const char *name, size_t blen, const char *help,
                 const char *unit, const char *const *label_names)
{
    bool oom = false;
    cb->name = copy_or_null(name, &oom);
    cb->help = copy_or_null(help, &oom);
    cb->unit = unit && *unit ? copy_or_null(unit, &oom) : NULL;
    cb->base = promc__malloc(blen + 1);
    if (cb->base) {
        memcpy(cb->base, name, blen);
        cb->base[blen] = '\0';
    }
    size_t n = 0;
    while (label_names && label_names[n])
        n++;
    if (label_names) {
        cb->label_names = promc__calloc(n ? n : 1, sizeof *cb->label_names);
        for (; cb->label_names && cb->nlabels < n; cb->nlabels++) {
            cb->label_names[cb->nlabels] = promc__strdup(label_names[cb->nlabels]);
            if (!cb->label_names[cb->nlabels])
                break;
        }
        oom = oom || cb->nlabels < n;
    }
    return !oom && cb->base && (!label_names || cb->label_names);
}

/* The sample names the imitated type claims ("x", "x_total", "x_created"
 * for counter x), NULL-terminated, in one allocation. */
static const char **claims_of(promc_type type, const char *base)
{
    const char *const *sfx = promc__type(type)->claims;
    size_t n = 0, bytes = 0, blen = strlen(base);
    for (; sfx[n]; n++)
        bytes += blen + strlen(sfx[n]) + 1;
    const char **v = promc__malloc((n + 1) * sizeof *v + bytes);
    if (!v)
        return NULL;
    char *p = (char *)(v + n + 1);
    for (size_t i = 0; i < n; i++) {
        v[i] = p;
        memcpy(p, base, blen);
        strcpy(p + blen, sfx[i]);
        p += blen + strlen(sfx[i]) + 1;
    }
    v[n] = NULL;
    return v;
}

static promc_metric *callback_new(promc_registry *reg, promc_type type, const char *what,
                                  const char *name, const char *help,
                                  const char *const *label_names, promc_value_fn value_fn,
                                  promc_report_fn report_fn, void *userdata,
                                  void (*free_fn)(void *), const promc_metric_opts *opts)
{
    if (promc__mp_no_mode(opts, what, name) != PROMC_OK)
        return NULL;
    if (!name)
        return promc__fail_null(PROMC_EINVAL, "%s: the name is NULL", what);
    if (!value_fn && !report_fn)
        return promc__fail_null(PROMC_EINVAL, "%s \"%s\": the callback is NULL", what, name);
    if (report_fn && (!label_names || !label_names[0]))
        return promc__fail_null(PROMC_EINVAL,
                                "%s \"%s\": a labelled family needs at least one label name (an "
                                "unlabelled one has its own constructor)",
                                what, name);
    promc_registry *target;
    if (promc__registry_for_new(reg, &target) != PROMC_OK)
        return NULL;
    bool utf8 = target && promc__registry_utf8(target);
    struct callback *cb = promc__calloc(1, sizeof *cb);
    if (!cb)
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating %s \"%s\"", what, name);
    cb->type = type;
    cb->what = what;
    cb->value_fn = value_fn;
    cb->report_fn = report_fn;
    cb->userdata = userdata;
    size_t blen = promc__base_len(type, name);
    if (!fill(cb, name, blen, help, opts ? opts->unit : NULL, label_names)) {
        callback_free(cb);
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating %s \"%s\"", what, name);
    }
    if (check(cb, label_names, utf8, cb->base) != PROMC_OK ||
        (opts && promc__check_const_labels(cb->base, label_names, cb->nlabels, opts->const_labels,
                                           opts->nconst_labels, NULL, NULL, utf8) != PROMC_OK)) {
        callback_free(cb);
        return NULL;
    }
    if (opts && opts->nconst_labels && !copy_consts(cb, opts->const_labels, opts->nconst_labels)) {
        callback_free(cb);
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating %s \"%s\"", what, name);
    }
    const char **claims = claims_of(type, cb->base);
    if (!claims) {
        callback_free(cb);
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating %s \"%s\"", what, name);
    }
    /* The collectors' own constructor: whatever a registry argument means
     * for a collector, it means for a callback metric. */
    promc_collector_opts co = {.name = cb->base};
    promc_metric *m = promc_collector_new_opts(reg, report_fn ? collect_series : collect_value, cb,
                                               callback_free, claims, &co);
    promc__free(claims);
    if (!m) {
        callback_free(cb); /* on failure the collector leaves it to us */
        return NULL;
    }
    /* A label name outside the legacy grammar keeps it out of registries
     * that do not allow UTF-8 names, as a vec's would. */
    for (size_t i = 0; i < cb->nlabels; i++)
        if (!promc__legacy_name(cb->label_names[i], strlen(cb->label_names[i]), true))
            m->utf8_names = true;
    for (size_t i = 0; i < cb->nconst; i++)
        if (!promc__legacy_name(cb->consts[i].name, strlen(cb->consts[i].name), true))
            m->utf8_names = true;
    cb->free_fn = free_fn;
    promc__ok();
    return m;
}

promc_metric *promc_gauge_func_new(promc_registry *reg, const char *name, const char *help,
                                   promc_value_fn fn, void *userdata, void (*free_fn)(void *),
                                   const promc_metric_opts *opts)
{
    return callback_new(reg, PROMC_GAUGE, "gauge func", name, help, NULL, fn, NULL, userdata,
                        free_fn, opts);
}

promc_metric *promc_counter_func_new(promc_registry *reg, const char *name, const char *help,
                                     promc_value_fn fn, void *userdata, void (*free_fn)(void *),
                                     const promc_metric_opts *opts)
{
    return callback_new(reg, PROMC_COUNTER, "counter func", name, help, NULL, fn, NULL, userdata,
                        free_fn, opts);
}

promc_metric *promc_gauge_func_vec_new(promc_registry *reg, const char *name, const char *help,
                                       const char *const *label_names, promc_report_fn fn,
                                       void *userdata, void (*free_fn)(void *),
                                       const promc_metric_opts *opts)
{
    if (!fn)
        return promc__fail_null(PROMC_EINVAL, "gauge func vec \"%s\": the callback is NULL",
                                name ? name : "(null)");
    return callback_new(reg, PROMC_GAUGE, "gauge func vec", name, help, label_names, NULL, fn,
                        userdata, free_fn, opts);
}

promc_metric *promc_counter_func_vec_new(promc_registry *reg, const char *name, const char *help,
                                         const char *const *label_names, promc_report_fn fn,
                                         void *userdata, void (*free_fn)(void *),
                                         const promc_metric_opts *opts)
{
    if (!fn)
        return promc__fail_null(PROMC_EINVAL, "counter func vec \"%s\": the callback is NULL",
                                name ? name : "(null)");
    return callback_new(reg, PROMC_COUNTER, "counter func vec", name, help, label_names, NULL, fn,
                        userdata, free_fn, opts);
}
