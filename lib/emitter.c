/*
 * Custom collectors inside: the collector metric (a callback and its data),
 * and the emitter its callback writes through during a scrape. The emitter
 * applies the rules of the built-in types -- name grammar and folding, unit
 * rule, reserved labels, UTF-8, no family twice, no name another metric of
 * the registry or the library emits -- and hands valid families to the
 * scrape's sink as structured series. Anything invalid is left out and
 * recorded as the scrape's error, so a collector can neither produce an
 * invalid exposition nor fail silently.
 */
#include <math.h>
#include <string.h>

#include "emitter.h"
#include "family.h"
#include "gather.h"
#include "internal.h"
#include "registry.h"
#include "types.h"

struct collector_data {
    promc_collect_fn fn;
    void *userdata;
    void (*free_fn)(void *);
};

struct promc_emitter {
    struct promc__scrape *scrape;
    struct promc_metric *self;
    bool in_family; /* a valid family is open */
    bool skip;      /* ... that the scrape's name filter leaves out */
    struct promc__desc desc;
    char *name, *help, *unit; /* owned copies for the open family */
    char *scratch;            /* rendered labels */
    size_t scratch_cap;
    const char **ptrs; /* label names then values, views for the sink */
    size_t ptrs_cap;
    /* The series the open family emitted so far, by label set: keys (names
     * and values, sorted by name, each NUL-terminated) one after another in
     * keys, found through an open-addressing table of offsets + 1. */
    char *keys;
    size_t keys_len, keys_cap;
    size_t *slots;
    size_t nslots, nseries;
};

/* ===================================================================== */
/* Collector lifetime                                                     */
/* ===================================================================== */

static void collector_collect(struct promc_metric *m, struct promc__scrape *sc);

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

struct promc_metric *promc__collector_create(promc_collect_fn fn, void *userdata,
                                             void (*free_fn)(void *), const char *const *names,
                                             bool utf8)
{
    if (!fn)
        return promc__fail_null(PROMC_EINVAL, "a collector needs a callback");
    bool legacy = true;
    for (size_t i = 0; names && names[i]; i++) {
        if (!promc__valid_name(names[i], utf8))
            return promc__fail_null(PROMC_EINVAL, "collector: invalid metric name \"%s\"",
                                    names[i]);
        legacy = legacy && promc__valid_metric_name(names[i]);
    }
    struct collector_data *d = promc__calloc(1, sizeof *d);
    if (!d)
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating a collector");
    d->fn = fn;
    d->userdata = userdata;
    struct promc_metric *m = promc__metric_new(
        &collector_ops, names && names[0] ? names[0] : "collector", "custom collector", names, d);
    if (!m)
        return NULL; /* d was freed with the metric, free_fn not yet set */
    m->utf8_names = !legacy;
    d->free_fn = free_fn;
    return m;
}

void promc__collector_disarm(struct promc_metric *m)
{
    struct collector_data *d = m->type_data;
    d->free_fn = NULL;
}

static void emitter_close(promc_emitter *em)
{
    promc__free(em->name);
    promc__free(em->help);
    promc__free(em->unit);
    em->name = em->help = em->unit = NULL;
    em->in_family = false;
    em->keys_len = em->nseries = 0;
    if (em->slots)
        memset(em->slots, 0, em->nslots * sizeof *em->slots);
}

static void collector_collect(struct promc_metric *m, struct promc__scrape *sc)
{
    struct collector_data *d = m->type_data;
    promc_emitter em = {.scrape = sc, .self = m};
    int rc = d->fn(&em, d->userdata);
    emitter_close(&em);
    promc__free(em.scratch);
    promc__free(em.ptrs);
    promc__free(em.keys);
    promc__free(em.slots);
    if (rc != 0) {
        promc__fail(PROMC_EIO, "collector \"%s\" failed (its callback returned %d)", m->desc.name,
                    rc);
        promc__scrape_fail(sc, PROMC_EIO);
    }
}

/* Every failure of an emit call is the scrape's failure too. */
static int fail(promc_emitter *em, int code)
{
    if (em)
        promc__scrape_fail(em->scrape, code);
    return code;
}

/* ===================================================================== */
/* Families                                                               */
/* ===================================================================== */

static bool seen_in_scrape(const struct promc__scrape *sc, const char *name)
{
    for (size_t i = 0; i < sc->nseen; i++)
        if (strcmp(sc->seen[i], name) == 0)
            return true;
    return false;
}

/* Every sample name the family would emit must be free: not claimed by a
 * registered metric or the library, and not emitted earlier in this scrape
 * by any collector (gauge "x_total" then counter "x" would both write
 * x_total). */
static int check_claims(promc_emitter *em, const char *base, promc_type type)
{
    size_t blen = strlen(base);
    for (const char *const *s = promc__type(type)->claims; *s; s++) {
        size_t slen = strlen(*s);
        char small[256];
        char *name = blen + slen < sizeof small ? small : promc__malloc(blen + slen + 1);
        if (!name)
            return promc__fail(PROMC_ENOMEM, "out of memory in collector");
        memcpy(name, base, blen);
        memcpy(name + blen, *s, slen + 1);
        const struct promc_metric *owner;
        char owner_name[128];
        int rc = PROMC_OK;
        /* The library's names, or those of another member of this scrape
         * (the linear search runs only on a clash). */
        if (promc__registry_claimed(em->scrape->reg, name, &owner, owner_name, sizeof owner_name) &&
            owner != em->self && (!owner || promc__scrape_has(em->scrape, owner)))
            rc = promc__fail(PROMC_EEXIST,
                             "collector: family \"%s\" would emit \"%s\", already emitted by "
                             "\"%s\"",
                             base, name, owner_name);
        else if (seen_in_scrape(em->scrape, name))
            rc = promc__fail(PROMC_EEXIST,
                             "collector: family \"%s\" would emit \"%s\", already emitted in "
                             "this scrape",
                             base, name);
        if (name != small)
            promc__free(name);
        if (rc != PROMC_OK)
            return rc;
    }
    return PROMC_OK;
}

static int remember(promc_emitter *em, const char *base, promc_type type)
{
    struct promc__scrape *sc = em->scrape;
    for (const char *const *s = promc__type(type)->claims; *s; s++) {
        if (sc->nseen == sc->capseen) {
            size_t cap = sc->capseen ? sc->capseen * 2 : 16;
            char **seen = promc__realloc(sc->seen, cap * sizeof *seen);
            if (!seen)
                return PROMC_ENOMEM;
            sc->seen = seen;
            sc->capseen = cap;
        }
        size_t bl = strlen(base), sl = strlen(*s);
        char *copy = promc__malloc(bl + sl + 1);
        if (!copy)
            return PROMC_ENOMEM;
        memcpy(copy, base, bl);
        memcpy(copy + bl, *s, sl + 1);
        sc->seen[sc->nseen++] = copy;
    }
    return PROMC_OK;
}

static int open_family(promc_emitter *em, const char *name, const char *help, promc_type type,
                       const char *unit)
{
    if (!promc__type(type))
        return promc__fail(PROMC_EINVAL, "collector: unknown type %d", (int)type);
    if (!name)
        return promc__fail(PROMC_EINVAL, "collector: metric name is NULL");
    if (unit && !*unit)
        unit = NULL;
    char *base = promc__strdup(name);
    if (!base)
        return promc__fail(PROMC_ENOMEM, "out of memory in collector");
    base[promc__base_len(type, name)] = '\0';
    bool utf8 = promc__registry_utf8(em->scrape->reg);
    int rc = promc__check_family(type, "collector: ", base, help, unit, utf8);
    if (rc == PROMC_OK && type == PROMC_STATESET && !promc__valid_label(base, utf8))
        rc = promc__fail(PROMC_EINVAL, "collector: stateset \"%s\" must also be a valid label name",
                         base);
    if (rc == PROMC_OK)
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
    /* Left out by the name filter: validated and claimed all the same, so
     * that the scrape's errors do not depend on the filter. */
    em->skip = !promc__scrape_wants(em->scrape, &em->desc);
    if (!em->skip)
        promc__sink_family(em->scrape->sink, &em->desc);
    return promc__ok();
}

int promc_emit_family(promc_emitter *em, const char *name, const char *help, promc_type type,
                      const char *unit)
{
    if (!em)
        return promc__fail(PROMC_EINVAL, "emit on a NULL emitter");
    emitter_close(em);
    int rc = open_family(em, name, help, type, unit);
    return rc == PROMC_OK ? rc : fail(em, rc);
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
    if (!em->in_family)
        return promc__fail(PROMC_ESTATE, "collector: sample outside a valid family");
    if (n && !labels)
        return promc__fail(PROMC_EINVAL, "collector: labels missing");
    size_t need = 1;
    bool utf8 = promc__registry_utf8(em->scrape->reg), utf8_names = false;
    for (size_t i = 0; i < n; i++) {
        const char *ln = labels[i].name, *lv = labels[i].value;
        if (!promc__valid_label(ln, utf8))
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
        size_t nl = strlen(ln);
        need += nl + 4 + promc__escaped_len(lv, true);
        utf8_names = utf8_names || !promc__legacy_name(ln, nl, true);
    }
    if (n == 0) { /* no buffer needed (and no arithmetic on a NULL one) */
        *out = promc__no_labels;
        return PROMC_OK;
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
    out->utf8_names = utf8_names;
    return PROMC_OK;
}

static int wrong_type(promc_emitter *em, const char *what)
{
    return promc__fail(PROMC_ESTATE, "collector: \"%s\" is not a %s family", em->name, what);
}

/* Common start of every sample call: a valid family of an accepted type. */
static int start_series(promc_emitter *em, const promc_label *labels, size_t nlabels,
                        const char *reserved, struct promc__labels *ls)
{
    if (!em)
        return promc__fail(PROMC_EINVAL, "emit on a NULL emitter");
    int rc = prepare_labels(em, labels, nlabels, reserved, ls);
    return rc == PROMC_OK ? rc : fail(em, rc);
}

/* ---- One series per label set ---- */

static uint64_t hash_key(const char *k, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)k[i]) * 1099511628211ULL;
    return h;
}

/* Builds the label set's key at em->keys + em->keys_len (not yet kept):
 * pairs sorted by name, so {a,b} and {b,a} are one series. */
static int build_key(promc_emitter *em, const struct promc__labels *ls, size_t *len)
{
    size_t need = 0;
    for (size_t i = 0; i < ls->n; i++)
        need += strlen(ls->names[i]) + strlen(ls->values[i]) + 2;
    if (grow((void **)&em->keys, &em->keys_cap, em->keys_len + need + 1, 1) != PROMC_OK)
        return PROMC_ENOMEM;
    char *p = em->keys + em->keys_len;
    const char *prev = NULL;
    for (size_t k = 0; k < ls->n; k++) {
        /* The next name after prev (names are distinct): n is small. */
        size_t best = ls->n;
        for (size_t i = 0; i < ls->n; i++)
            if ((!prev || strcmp(ls->names[i], prev) > 0) &&
                (best == ls->n || strcmp(ls->names[i], ls->names[best]) < 0))
                best = i;
        size_t nl = strlen(ls->names[best]) + 1, vl = strlen(ls->values[best]) + 1;
        memcpy(p, ls->names[best], nl);
        memcpy(p + nl, ls->values[best], vl);
        p += nl + vl;
        prev = ls->names[best];
    }
    *len = (size_t)(p - (em->keys + em->keys_len));
    return PROMC_OK;
}

/* Keeps the table at most half full; rehashes from the kept keys' offsets. */
static int slots_reserve(promc_emitter *em)
{
    if ((em->nseries + 1) * 2 <= em->nslots)
        return PROMC_OK;
    size_t n = em->nslots ? em->nslots * 2 : 64;
    size_t *t = promc__calloc(n, sizeof *t);
    if (!t)
        return PROMC_ENOMEM;
    for (size_t i = 0; i < em->nslots; i++)
        if (em->slots[i]) {
            const char *k = em->keys + em->slots[i] - 1;
            size_t len; /* stored just before the key */
            memcpy(&len, k - sizeof len, sizeof len);
            size_t j = hash_key(k, len) & (n - 1);
            while (t[j])
                j = (j + 1) & (n - 1);
            t[j] = em->slots[i];
        }
    promc__free(em->slots);
    em->slots = t;
    em->nslots = n;
    return PROMC_OK;
}

/* PROMC_OK and the series remembered, or PROMC_EEXIST when the open family
 * emitted this label set already (an exposition may not repeat a series). */
static int remember_series(promc_emitter *em, const struct promc__labels *ls)
{
    /* Room for the key's length before it, then the key. */
    if (grow((void **)&em->keys, &em->keys_cap, em->keys_len + sizeof(size_t), 1) != PROMC_OK ||
        slots_reserve(em) != PROMC_OK)
        return promc__fail(PROMC_ENOMEM, "out of memory in collector");
    size_t at = em->keys_len + sizeof(size_t), len;
    em->keys_len = at;
    int rc = build_key(em, ls, &len);
    em->keys_len = at - sizeof(size_t);
    if (rc != PROMC_OK)
        return promc__fail(PROMC_ENOMEM, "out of memory in collector");
    const char *key = em->keys + at;
    size_t j = hash_key(key, len) & (em->nslots - 1);
    for (; em->slots[j]; j = (j + 1) & (em->nslots - 1)) {
        const char *other = em->keys + em->slots[j] - 1;
        size_t olen;
        memcpy(&olen, other - sizeof olen, sizeof olen);
        if (olen == len && memcmp(other, key, len) == 0)
            return promc__fail(PROMC_EEXIST,
                               "collector: \"%s\": the same label set twice in one family",
                               em->name);
    }
    memcpy(em->keys + at - sizeof len, &len, sizeof len);
    em->slots[j] = at + 1;
    em->keys_len = at + len;
    em->nseries++;
    return PROMC_OK;
}

static int emit(promc_emitter *em, const struct promc__series *x)
{
    int rc = remember_series(em, x->labels);
    if (rc != PROMC_OK)
        return fail(em, rc);
    if (!em->skip)
        promc__sink_series(em->scrape->sink, x);
    return promc__ok();
}

int promc_emit_sample(promc_emitter *em, const promc_label *labels, size_t nlabels, double value)
{
    struct promc__labels ls;
    int rc = start_series(em, labels, nlabels, NULL, &ls);
    if (rc != PROMC_OK)
        return rc;
    struct promc__series x = {.labels = &ls, .value = promc__vd(value)};
    switch (em->desc.type) {
    case PROMC_COUNTER:
        if (!(value >= 0))
            return fail(em, promc__fail(PROMC_EINVAL,
                                        "collector: counter \"%s\" value %g is negative or NaN",
                                        em->name, value));
        break;
    case PROMC_GAUGE:
    case PROMC_UNTYPED:
        break;
    case PROMC_INFO:
        x.value = promc__vu(1);
        break;
    default:
        return fail(em, wrong_type(em, "counter, gauge, untyped or info"));
    }
    return emit(em, &x);
}

int promc_emit_histogram(promc_emitter *em, const promc_label *labels, size_t nlabels,
                         const double *bounds, const uint64_t *cumulative, size_t nbounds,
                         uint64_t count, double sum)
{
    struct promc__labels ls;
    int rc = start_series(em, labels, nlabels, "le", &ls);
    if (rc != PROMC_OK)
        return rc;
    if (em->desc.type != PROMC_HISTOGRAM)
        return fail(em, wrong_type(em, "histogram"));
    if (nbounds && (!bounds || !cumulative))
        return fail(
            em, promc__fail(PROMC_EINVAL, "collector: histogram \"%s\": bounds missing", em->name));
    for (size_t i = 0; i < nbounds; i++) {
        if (!isfinite(bounds[i]) || (i && !(bounds[i] > bounds[i - 1])))
            return fail(em, promc__fail(PROMC_EINVAL,
                                        "collector: histogram \"%s\": bounds must be finite and "
                                        "increasing",
                                        em->name));
        if ((i && cumulative[i] < cumulative[i - 1]) || cumulative[i] > count)
            return fail(em, promc__fail(PROMC_EINVAL,
                                        "collector: histogram \"%s\": counts must be cumulative "
                                        "and at most count",
                                        em->name));
    }
    struct promc__histogram_data hd = {
        .nbounds = nbounds, .bounds = bounds, .cumulative = cumulative, .count = count, .sum = sum};
    struct promc__series x = {.labels = &ls, .hist = &hd};
    return emit(em, &x);
}

int promc_emit_summary(promc_emitter *em, const promc_label *labels, size_t nlabels,
                       const double *quantiles, const double *values, size_t nquantiles,
                       uint64_t count, double sum)
{
    struct promc__labels ls;
    int rc = start_series(em, labels, nlabels, "quantile", &ls);
    if (rc != PROMC_OK)
        return rc;
    if (em->desc.type != PROMC_SUMMARY)
        return fail(em, wrong_type(em, "summary"));
    if (nquantiles && (!quantiles || !values))
        return fail(em, promc__fail(PROMC_EINVAL, "collector: summary \"%s\": quantiles missing",
                                    em->name));
    for (size_t i = 0; i < nquantiles; i++)
        if (!(quantiles[i] >= 0 && quantiles[i] <= 1) || (i && !(quantiles[i] > quantiles[i - 1])))
            return fail(em, promc__fail(PROMC_EINVAL,
                                        "collector: summary \"%s\": quantiles must be increasing "
                                        "in [0,1]",
                                        em->name));
    struct promc__summary_data sd = {.nquantiles = nquantiles,
                                     .quantiles = quantiles,
                                     .qvalues = values,
                                     .count = count,
                                     .sum = sum};
    struct promc__series x = {.labels = &ls, .summary = &sd};
    return emit(em, &x);
}

int promc_emit_stateset(promc_emitter *em, const promc_label *labels, size_t nlabels,
                        const char *const *states, size_t nstates, size_t current)
{
    struct promc__labels ls;
    int rc = start_series(em, labels, nlabels, em && em->in_family ? em->name : NULL, &ls);
    if (rc != PROMC_OK)
        return rc;
    if (em->desc.type != PROMC_STATESET)
        return fail(em, wrong_type(em, "stateset"));
    if (!states || nstates == 0 || current >= nstates)
        return fail(em, promc__fail(PROMC_EINVAL,
                                    "collector: stateset \"%s\": needs states and a current one",
                                    em->name));
    for (size_t i = 0; i < nstates; i++) {
        if (!states[i] || !*states[i] || !promc__valid_utf8(states[i], strlen(states[i])))
            return fail(em, promc__fail(PROMC_EINVAL,
                                        "collector: stateset \"%s\": state %zu is empty or not "
                                        "UTF-8",
                                        em->name, i));
        for (size_t j = 0; j < i; j++)
            if (strcmp(states[i], states[j]) == 0)
                return fail(em, promc__fail(PROMC_EINVAL,
                                            "collector: stateset \"%s\": duplicate state \"%s\"",
                                            em->name, states[i]));
    }
    struct promc__stateset_data sd = {.nstates = nstates, .states = states, .current = current};
    struct promc__series x = {.labels = &ls, .stateset = &sd};
    return emit(em, &x);
}
