/*
 * Custom collectors: a user callback run on every scrape that emits families
 * and samples through the emitter. The emitter applies the same rules as the
 * built-in types -- name grammar, reserved labels, UTF-8, escaping, no family
 * twice, no name another registered metric emits -- and then feeds the same
 * encoder, so a collector cannot produce an invalid exposition.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

struct collector_data {
    promc_collect_fn fn;
    void *userdata;
    void (*free_fn)(void *);
};

struct promc_emitter {
    promc__enc *enc;
    struct promc_metric *self;
    bool in_family; /* a valid family is open */
    struct promc__desc desc;
    char *name, *help, *unit; /* owned copies for the open family */
    char *scratch;            /* rendered labels */
    size_t scratch_cap;
    const char **ptrs; /* label names then values, views for the encoder */
    size_t ptrs_cap;
};

/* ===================================================================== */
/* Collector lifetime                                                     */
/* ===================================================================== */

static int collector_collect(struct promc_metric *m, promc__enc *e);

static void collector_fini(struct promc_metric *m)
{
    struct collector_data *d = m->type_data;
    if (d && d->free_fn)
        d->free_fn(d->userdata);
    promc__free(d);
}

static const struct promc__ops collector_ops = {
    .type = PROMC_UNTYPED,
    .collect = collector_collect,
    .fini = collector_fini,
};

promc_metric *promc_collector_new(promc_registry *reg, promc_collect_fn fn, void *userdata,
                                  void (*free_fn)(void *), const char *const *names)
{
    if (!fn)
        return promc__fail_null(PROMC_EINVAL, "a collector needs a callback");
    for (size_t i = 0; names && names[i]; i++)
        if (!promc__valid_metric_name(names[i]))
            return promc__fail_null(PROMC_EINVAL, "collector: invalid metric name \"%s\"",
                                    names[i]);
    struct collector_data *d = promc__calloc(1, sizeof *d);
    if (!d)
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating a collector");
    d->fn = fn;
    d->userdata = userdata;
    d->free_fn = free_fn;
    struct promc_metric *m = promc__calloc(1, sizeof *m);
    static const char *const none[] = {NULL};
    if (m) {
        m->ops = &collector_ops;
        m->type_data = d;
        atomic_init(&m->refs, 1);
        promc__rwlock_init(&m->lock);
        m->name = promc__strdup(names && names[0] ? names[0] : "collector");
        m->help = promc__strdup("custom collector");
        m->desc.name = m->name;
        m->desc.help = m->help;
        m->desc.type = PROMC_UNTYPED;
        /* Declared names are claimed as given ("" + name). */
        m->claims = promc__claims_new("", names ? names : none);
    }
    if (!m || !m->name || !m->help || !m->claims) {
        d->free_fn = NULL; /* on failure userdata stays the caller's */
        if (m)
            promc__metric_unref(m);
        else
            promc__free(d);
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating a collector");
    }
    if (reg != PROMC_NO_REGISTRY && promc_registry_register(reg, m) != PROMC_OK) {
        d->free_fn = NULL; /* on failure userdata stays the caller's */
        promc__metric_unref(m);
        return NULL;
    }
    promc__ok();
    return m;
}

static void emitter_close(promc_emitter *em)
{
    promc__free(em->name);
    promc__free(em->help);
    promc__free(em->unit);
    em->name = em->help = em->unit = NULL;
    em->in_family = false;
}

static int collector_collect(struct promc_metric *m, promc__enc *e)
{
    struct collector_data *d = m->type_data;
    promc_emitter em = {.enc = e, .self = m};
    int rc = d->fn(&em, d->userdata);
    emitter_close(&em);
    promc__free(em.scratch);
    promc__free(em.ptrs);
    return rc;
}

/* ===================================================================== */
/* Families                                                               */
/* ===================================================================== */

static bool seen_in_scrape(const promc__enc *e, const char *name)
{
    for (size_t i = 0; i < e->nseen; i++)
        if (strcmp(e->seen[i], name) == 0)
            return true;
    return false;
}

/* Every sample name the family would emit must be free: not claimed by a
 * registered metric, and not emitted earlier in this scrape by any collector
 * (gauge "x_total" then counter "x" would both write x_total). */
static int check_claims(promc_emitter *em, const char *base, promc_type type)
{
    char name[512];
    for (const char *const *s = promc__type_suffixes(type); *s; s++) {
        if ((size_t)snprintf(name, sizeof name, "%s%s", base, *s) >= sizeof name)
            return promc__fail(PROMC_EINVAL, "collector: metric name \"%.40s...\" too long", base);
        const char *owner = promc__registry_claimed(em->enc->registry, name, em->self);
        if (owner)
            return promc__fail(PROMC_EEXIST,
                               "collector: family \"%s\" would emit \"%s\", already emitted by "
                               "\"%s\"",
                               base, name, owner);
        if (seen_in_scrape(em->enc, name))
            return promc__fail(PROMC_EEXIST,
                               "collector: family \"%s\" would emit \"%s\", already emitted in "
                               "this scrape",
                               base, name);
    }
    return PROMC_OK;
}

static int remember(promc_emitter *em, const char *base, promc_type type)
{
    promc__enc *e = em->enc;
    for (const char *const *s = promc__type_suffixes(type); *s; s++) {
        if (e->nseen == e->capseen) {
            size_t cap = e->capseen ? e->capseen * 2 : 16;
            char **seen = promc__realloc(e->seen, cap * sizeof *seen);
            if (!seen)
                return PROMC_ENOMEM;
            e->seen = seen;
            e->capseen = cap;
        }
        size_t bl = strlen(base), sl = strlen(*s);
        char *copy = promc__malloc(bl + sl + 1);
        if (!copy)
            return PROMC_ENOMEM;
        memcpy(copy, base, bl);
        memcpy(copy + bl, *s, sl + 1);
        e->seen[e->nseen++] = copy;
    }
    return PROMC_OK;
}

int promc_emit_family(promc_emitter *em, const char *name, const char *help, promc_type type,
                      const char *unit)
{
    if (!em)
        return promc__fail(PROMC_EINVAL, "emit on a NULL emitter");
    emitter_close(em);
    if ((unsigned)type > PROMC_UNTYPED)
        return promc__fail(PROMC_EINVAL, "collector: unknown type %d", (int)type);
    if (!promc__valid_metric_name(name))
        return promc__fail(PROMC_EINVAL, "collector: invalid metric name \"%s\"",
                           name ? name : "(null)");
    int rc = promc__check_help(name, help);
    if (rc != PROMC_OK)
        return rc;
    if (unit && !*unit)
        unit = NULL;
    if (unit && (type == PROMC_STATESET || type == PROMC_INFO))
        return promc__fail(PROMC_EINVAL, "collector: \"%s\": %s families have no unit", name,
                           type == PROMC_INFO ? "info" : "stateset");
    if (type == PROMC_STATESET && !promc__valid_label_name(name))
        return promc__fail(PROMC_EINVAL,
                           "collector: stateset \"%s\" must also be a valid label name", name);
    char *base = promc__strdup(name);
    if (!base)
        return promc__fail(PROMC_ENOMEM, "out of memory in collector");
    size_t len = strlen(base);
    const char *fold = type == PROMC_COUNTER ? "_total" : type == PROMC_INFO ? "_info" : NULL;
    if (fold && len > strlen(fold) && strcmp(base + len - strlen(fold), fold) == 0)
        base[len - strlen(fold)] = '\0';
    size_t blen = strlen(base);
    if (unit) {
        size_t ul = strlen(unit);
        if (blen <= ul + 1 || base[blen - ul - 1] != '_' || strcmp(base + blen - ul, unit) != 0 ||
            !promc__valid_label_name(unit)) {
            promc__free(base);
            return promc__fail(PROMC_EINVAL, "collector: \"%s\" must end with its unit \"_%s\"",
                               name, unit);
        }
    }
    rc = check_claims(em, base, type);
    if (rc == PROMC_OK && remember(em, base, type) != PROMC_OK)
        rc = promc__fail(PROMC_ENOMEM, "out of memory in collector");
    if (rc != PROMC_OK) {
        promc__free(base);
        return rc;
    }
    em->name = base;
    em->help = promc__strdup(help);
    em->unit = unit ? promc__strdup(unit) : NULL;
    if (!em->help || (unit && !em->unit)) {
        emitter_close(em);
        return promc__fail(PROMC_ENOMEM, "out of memory in collector");
    }
    em->desc.name = em->name;
    em->desc.help = em->help;
    em->desc.unit = em->unit;
    em->desc.type = type;
    em->in_family = true;
    promc__enc_family(em->enc, &em->desc);
    promc__ok();
    return PROMC_OK;
}

/* ===================================================================== */
/* Samples                                                                */
/* ===================================================================== */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return PROMC_OK;
    size_t cap2 = *cap ? *cap : 64;
    while (cap2 < need)
        cap2 *= 2;
    void *q = promc__realloc(*p, cap2 * elem);
    if (!q)
        return PROMC_ENOMEM;
    *p = q;
    *cap = cap2;
    return PROMC_OK;
}

/* Validates labels (reserved: one more forbidden name, or NULL) and renders
 * them into the scratch buffer. */
static int prepare_labels(promc_emitter *em, const promc_label *labels, size_t n,
                          const char *reserved, struct promc__labels *out)
{
    if (!em || !em->in_family)
        return promc__fail(PROMC_ESTATE, "collector: sample outside a valid family");
    if (n && !labels)
        return promc__fail(PROMC_EINVAL, "collector: labels missing");
    size_t need = 1;
    for (size_t i = 0; i < n; i++) {
        const char *ln = labels[i].name, *lv = labels[i].value;
        if (!promc__valid_label_name(ln))
            return promc__fail(PROMC_EINVAL, "collector: \"%s\": invalid label name \"%s\"",
                               em->name, ln ? ln : "(null)");
        if (reserved && strcmp(ln, reserved) == 0)
            return promc__fail(PROMC_EINVAL, "collector: \"%s\": label name \"%s\" is reserved",
                               em->name, ln);
        for (size_t j = 0; j < i; j++)
            if (strcmp(labels[j].name, ln) == 0)
                return promc__fail(PROMC_EINVAL, "collector: \"%s\": duplicate label \"%s\"",
                                   em->name, ln);
        if (!lv || !promc__valid_utf8(lv, strlen(lv)))
            return promc__fail(PROMC_EINVAL,
                               "collector: \"%s\": value of label \"%s\" is NULL or not UTF-8",
                               em->name, ln);
        need += strlen(ln) + 4 + promc__escaped_len(lv, true);
    }
    if (grow((void **)&em->scratch, &em->scratch_cap, need, 1) != PROMC_OK ||
        grow((void **)&em->ptrs, &em->ptrs_cap, 2 * n, sizeof(char *)) != PROMC_OK)
        return promc__fail(PROMC_ENOMEM, "out of memory in collector");
    const char **names = em->ptrs, **values = em->ptrs + n;
    char *p = em->scratch;
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        size_t len = strlen(labels[i].name);
        memcpy(p, labels[i].name, len);
        p += len;
        *p++ = '=';
        *p++ = '"';
        p += promc__escape(p, labels[i].value, true);
        *p++ = '"';
        names[i] = labels[i].name;
        values[i] = labels[i].value;
    }
    *p = '\0';
    out->rendered = em->scratch;
    out->rendered_len = (size_t)(p - em->scratch);
    out->n = n;
    out->names = names;
    out->values = values;
    return PROMC_OK;
}

static int wrong_type(promc_emitter *em, const char *what)
{
    return promc__fail(PROMC_ESTATE, "collector: \"%s\" is not a %s family",
                       em && em->name ? em->name : "(none)", what);
}

int promc_emit_sample(promc_emitter *em, const promc_label *labels, size_t nlabels, double value)
{
    struct promc__labels ls;
    int rc = prepare_labels(em, labels, nlabels, NULL, &ls);
    if (rc != PROMC_OK)
        return rc;
    switch (em->desc.type) {
    case PROMC_COUNTER:
        if (!(value >= 0))
            return promc__fail(PROMC_EINVAL,
                               "collector: counter \"%s\" value %g is negative "
                               "or NaN",
                               em->name, value);
        promc__enc_sample(em->enc, "_total", &ls, NULL, promc__vd(value));
        break;
    case PROMC_GAUGE:
    case PROMC_UNTYPED:
        promc__enc_sample(em->enc, "", &ls, NULL, promc__vd(value));
        break;
    case PROMC_INFO:
        promc__enc_sample(em->enc, "_info", &ls, NULL, promc__vu(1));
        break;
    default:
        return wrong_type(em, "counter, gauge, untyped or info");
    }
    return PROMC_OK;
}

int promc_emit_histogram(promc_emitter *em, const promc_label *labels, size_t nlabels,
                         const double *bounds, const uint64_t *cumulative, size_t nbounds,
                         uint64_t count, double sum)
{
    struct promc__labels ls;
    int rc = prepare_labels(em, labels, nlabels, "le", &ls);
    if (rc != PROMC_OK)
        return rc;
    if (em->desc.type != PROMC_HISTOGRAM)
        return wrong_type(em, "histogram");
    if (nbounds && (!bounds || !cumulative))
        return promc__fail(PROMC_EINVAL, "collector: histogram \"%s\": bounds missing", em->name);
    for (size_t i = 0; i < nbounds; i++) {
        if (!isfinite(bounds[i]) || (i && !(bounds[i] > bounds[i - 1])))
            return promc__fail(PROMC_EINVAL,
                               "collector: histogram \"%s\": bounds must be finite and "
                               "increasing",
                               em->name);
        if ((i && cumulative[i] < cumulative[i - 1]) || cumulative[i] > count)
            return promc__fail(PROMC_EINVAL,
                               "collector: histogram \"%s\": counts must be cumulative and at "
                               "most count",
                               em->name);
    }
    char text[PROMC__NUMBUF], om[PROMC__NUMBUF];
    for (size_t i = 0; i <= nbounds; i++) {
        double b = i < nbounds ? bounds[i] : INFINITY;
        promc__format_double(text, b);
        promc__format_canonical(om, b);
        struct promc__extra le = {"le", text, text, om};
        promc__enc_sample(em->enc, "_bucket", &ls, &le,
                          promc__vu(i < nbounds ? cumulative[i] : count));
    }
    promc__enc_sum_count(em->enc, &ls, sum, count, nbounds && bounds[0] < 0);
    return PROMC_OK;
}

int promc_emit_summary(promc_emitter *em, const promc_label *labels, size_t nlabels,
                       const double *quantiles, const double *values, size_t nquantiles,
                       uint64_t count, double sum)
{
    struct promc__labels ls;
    int rc = prepare_labels(em, labels, nlabels, "quantile", &ls);
    if (rc != PROMC_OK)
        return rc;
    if (em->desc.type != PROMC_SUMMARY)
        return wrong_type(em, "summary");
    if (nquantiles && (!quantiles || !values))
        return promc__fail(PROMC_EINVAL, "collector: summary \"%s\": quantiles missing", em->name);
    for (size_t i = 0; i < nquantiles; i++)
        if (!(quantiles[i] >= 0 && quantiles[i] <= 1) || (i && !(quantiles[i] > quantiles[i - 1])))
            return promc__fail(PROMC_EINVAL,
                               "collector: summary \"%s\": quantiles must be increasing in [0,1]",
                               em->name);
    char text[PROMC__NUMBUF], om[PROMC__NUMBUF];
    for (size_t i = 0; i < nquantiles; i++) {
        promc__format_double(text, quantiles[i]);
        promc__format_canonical(om, quantiles[i]);
        struct promc__extra q = {"quantile", text, text, om};
        promc__enc_quantile(em->enc, &ls, &q, values[i]);
    }
    promc__enc_sum_count(em->enc, &ls, sum, count, false);
    return PROMC_OK;
}

int promc_emit_stateset(promc_emitter *em, const promc_label *labels, size_t nlabels,
                        const char *const *states, size_t nstates, size_t current)
{
    struct promc__labels ls;
    int rc = prepare_labels(em, labels, nlabels, em && em->name ? em->name : NULL, &ls);
    if (rc != PROMC_OK)
        return rc;
    if (em->desc.type != PROMC_STATESET)
        return wrong_type(em, "stateset");
    if (!states || nstates == 0 || current >= nstates)
        return promc__fail(PROMC_EINVAL,
                           "collector: stateset \"%s\": needs states and a current "
                           "one",
                           em->name);
    for (size_t i = 0; i < nstates; i++) {
        if (!states[i] || !*states[i] || !promc__valid_utf8(states[i], strlen(states[i])))
            return promc__fail(PROMC_EINVAL,
                               "collector: stateset \"%s\": state %zu is empty "
                               "or not UTF-8",
                               em->name, i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(states[i], states[j]) == 0)
                return promc__fail(PROMC_EINVAL, "collector: stateset \"%s\": duplicate state",
                                   em->name);
    }
    for (size_t i = 0; i < nstates; i++) {
        size_t elen = promc__escaped_len(states[i], true) + 1;
        char small[256];
        char *esc = elen <= sizeof small ? small : promc__malloc(elen);
        if (!esc)
            return promc__fail(PROMC_ENOMEM, "out of memory in collector");
        esc[promc__escape(esc, states[i], true)] = '\0';
        struct promc__extra x = {em->name, states[i], esc, esc};
        promc__enc_sample(em->enc, "", &ls, &x, promc__vu(i == current));
        if (esc != small)
            promc__free(esc);
    }
    return PROMC_OK;
}
