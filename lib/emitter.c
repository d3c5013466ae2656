/*
 * Custom collectors inside: the collector metric (a callback, its data, and
 * what coalescing keeps between collections), the emitter its callback
 * writes through, and how a recorded collection is replayed into a scrape.
 *
 * The emitter applies the rules of the built-in types -- name grammar and
 * folding, unit rule, reserved labels, UTF-8, no family twice, no name
 * another metric of the registry or the library emits -- and records valid
 * families, as structured series, into the collection's result
 * (collection.c), which every scrape sharing the collection replays into its
 * sink. Anything invalid is left out and recorded as the collection's error,
 * so a collector can neither produce an invalid exposition nor fail
 * silently. What depends on the scrape is checked again at replay: a name
 * another collector of the same scrape emitted first, a metric of the
 * scrape's registry, and the scrape's name filter.
 */
#include <math.h>
#include <string.h>

#include "collection.h"
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
    struct promc__coalesce co;
    struct promc__wrap *wrap; /* created through a wrapper: its prefix and labels (a copy) */
};

struct promc_emitter {
    struct promc__run *run;       /* the collection being recorded */
    struct promc__result *result; /* run->result */
    struct promc_metric *self;
    bool in_family; /* a valid family is open */
    struct promc__desc desc;
    const char *name; /* the open family's (base) name, in the result */
    char *scratch;    /* rendered labels */
    size_t scratch_cap;
    const char **ptrs; /* label names then values, views for the sink */
    size_t ptrs_cap;
    promc_label *joined; /* a sample's labels and a wrapper's */
    size_t joined_cap;
    /* The series the open family emitted so far, by label set: keys (names
     * and values, sorted by name, each NUL-terminated) one after another in
     * keys, found through an open-addressing table of offsets + 1. */
    char *keys;
    size_t keys_len, keys_cap;
    size_t *slots;
    size_t nslots, nseries;
    /* Sample names of this collection's families so far. */
    char **seen;
    size_t nseen, capseen;
    /* The timestamp of the series being emitted by a *_ts call. */
    bool stamped;
    int64_t stamp_ms;
    /* The label names of the last series recorded, in the result: the next
     * series with the same names shares them. */
    const char *const *last_names;
    size_t last_nnames;
};

/* ===================================================================== */
/* Collector lifetime                                                     */
/* ===================================================================== */

static void *collector_start(struct promc_metric *m, struct promc__scrape *sc);
static void collector_collect(struct promc_metric *m, struct promc__scrape *sc, void *started);
static void collector_abandon(struct promc_metric *m, void *started);
static void collector_stats(struct promc_metric *m, struct promc__collector_stats *st);

static void collector_fini(struct promc_metric *m)
{
    struct collector_data *d = m->type_data;
    if (!d)
        return;
    promc__coalesce_fini(&d->co);
    promc__wrap_free(d->wrap);
    if (d->free_fn)
        d->free_fn(d->userdata);
    promc__free(d);
}

static const struct promc__ops collector_ops = {
    .type = PROMC_UNTYPED,
    .start = collector_start,
    .collect = collector_collect,
    .abandon = collector_abandon,
    .stats = collector_stats,
    .fini = collector_fini,
};

/* A collector's name: non-empty UTF-8 (it becomes a label value). */
static bool valid_collector_name(const char *s)
{
    return s && *s && promc__valid_utf8(s, strlen(s));
}

struct promc_metric *promc__collector_create(promc_collect_fn fn, void *userdata,
                                             void (*free_fn)(void *), const char *const *names,
                                             bool utf8, const promc_collector_opts *opts)
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
    const char *name = opts ? opts->name : NULL;
    double max_stale = opts ? opts->max_stale : 0;
    if (name && !valid_collector_name(name))
        return promc__fail_null(PROMC_EINVAL, "collector: a name must be non-empty UTF-8");
    if (!(max_stale >= 0) || isinf(max_stale))
        return promc__fail_null(PROMC_EINVAL,
                                "collector: max_stale must be a finite number of seconds, at "
                                "least 0");
    /* Without a name of its own: its first declared family, else a name
     * unique in the process. */
    char generated[32];
    if (!name && names && names[0])
        name = names[0];
    if (!name) {
        snprintf(generated, sizeof generated, "collector_%llu",
                 (unsigned long long)promc__new_family_id());
        name = generated;
    }
    struct collector_data *d = promc__calloc(1, sizeof *d);
    if (!d)
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating a collector");
    d->fn = fn;
    d->userdata = userdata;
    promc__coalesce_init(&d->co, max_stale);
    struct promc_metric *m = promc__metric_new(&collector_ops, name, "custom collector", names, d);
    if (!m)
        return NULL; /* d was freed with the metric, free_fn not yet set */
    m->utf8_names = !legacy;
    d->free_fn = free_fn;
    return m;
}

void promc__collector_wrap(struct promc_metric *m, struct promc__wrap *w)
{
    struct collector_data *d = m->type_data;
    d->wrap = w;
}

const struct promc__wrap *promc__collector_wrap_of(const struct promc_metric *m)
{
    const struct collector_data *d = m->type_data;
    return d->wrap;
}

void promc__collector_disarm(struct promc_metric *m)
{
    struct collector_data *d = m->type_data;
    d->free_fn = NULL;
}

int promc__emit_fail(promc_emitter *em, int code)
{
    promc__result_fail(em->result, code, promc_last_error());
    return code;
}

static void emitter_close(promc_emitter *em)
{
    em->name = NULL;
    em->in_family = false;
    em->keys_len = em->nseries = 0;
    if (em->slots)
        memset(em->slots, 0, em->nslots * sizeof *em->slots);
}

/* Every failure of an emit call is the collection's failure too. */
static int fail(promc_emitter *em, int code)
{
    if (em)
        promc__result_fail(em->result, code, promc_last_error());
    return code;
}

/* ===================================================================== */
/* Sample names                                                           */
/* ===================================================================== */

static bool seen_in(char *const *seen, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(seen[i], name) == 0)
            return true;
    return false;
}

/* Where a family's sample names must be free: the registry (a metric that
 * is a member of `members`, or the library; self may claim them), and the
 * names already emitted (`seen`, and a second list or NULL). */
struct claim_check {
    promc_registry *reg;
    const struct promc__members *members;
    const struct promc_metric *self;
    char *const *seen;
    size_t nseen;
    char *const *seen2;
    size_t nseen2;
};

/* Every sample name the family would emit must be free (gauge "x_total"
 * then counter "x" would both write x_total). */
static int check_claims(const struct claim_check *cc, const char *base, promc_type type)
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
        /* The library's names, or those of another member of the scrape
         * (the linear search runs only on a clash). A shared family
         * (multi-process mode) emits nothing itself: the multi-process
         * collector emits its samples. An owner is looked at only once it
         * is known to be a member: the scrape holds those; another may be
         * unregistered and freed while this runs. */
        if (promc__registry_claimed(cc->reg, name, &owner, owner_name, sizeof owner_name) &&
            owner != cc->self &&
            (!owner || (promc__members_has(cc->members, owner) && !owner->ops->mp_shared)))
            rc = promc__fail(PROMC_EEXIST,
                             "collector: family \"%s\" would emit \"%s\", already emitted by "
                             "\"%s\"",
                             base, name, owner_name);
        else if (seen_in(cc->seen, cc->nseen, name) || seen_in(cc->seen2, cc->nseen2, name))
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

/* Adds the family's sample names to a seen list. */
static int remember(char ***seen, size_t *n, size_t *cap, const char *base, promc_type type)
{
    for (const char *const *s = promc__type(type)->claims; *s; s++) {
        if (*n == *cap) {
            size_t c = *cap ? *cap * 2 : 16;
            char **grown = promc__realloc(*seen, c * sizeof *grown);
            if (!grown)
                return PROMC_ENOMEM;
            *seen = grown;
            *cap = c;
        }
        size_t bl = strlen(base), sl = strlen(*s);
        char *copy = promc__malloc(bl + sl + 1);
        if (!copy)
            return PROMC_ENOMEM;
        memcpy(copy, base, bl);
        memcpy(copy + bl, *s, sl + 1);
        (*seen)[(*n)++] = copy;
    }
    return PROMC_OK;
}

/* ===================================================================== */
/* Families                                                               */
/* ===================================================================== */

static int open_family(promc_emitter *em, const char *name, const char *help, promc_type type,
                       const char *unit)
{
    if (!promc__type(type))
        return promc__fail(PROMC_EINVAL, "collector: unknown type %d", (int)type);
    if (!name)
        return promc__fail(PROMC_EINVAL, "collector: metric name is NULL");
    if (unit && !*unit)
        unit = NULL;
    /* Through a wrapper: its prefix goes first, as for the built-in types. */
    const struct promc__wrap *w = ((struct collector_data *)em->self->type_data)->wrap;
    size_t plen = w ? strlen(w->prefix) : 0, nlen = strlen(name);
    char *base = promc__malloc(plen + nlen + 1);
    if (!base)
        return promc__fail(PROMC_ENOMEM, "out of memory in collector");
    memcpy(base, w ? w->prefix : "", plen);
    memcpy(base + plen, name, nlen + 1);
    base[promc__base_len(type, base)] = '\0';
    bool utf8 = promc__registry_utf8(em->run->reg);
    int rc = promc__check_family(type, "collector: ", base, help, unit, utf8);
    if (rc == PROMC_OK && type == PROMC_STATESET && !promc__valid_label(base, utf8))
        rc = promc__fail(PROMC_EINVAL, "collector: stateset \"%s\" must also be a valid label name",
                         base);
    if (rc == PROMC_OK) {
        /* Against the registry of the scrape that started the collection,
         * and, recorded on its thread, the collectors before it: so the
         * callback hears of a clash. Each scrape checks again at replay. */
        const struct promc__run *run = em->run;
        const struct promc__scrape *sc = run->scrape;
        struct claim_check cc = {run->reg,  run->members,         em->self,          em->seen,
                                 em->nseen, sc ? sc->seen : NULL, sc ? sc->nseen : 0};
        rc = check_claims(&cc, base, type);
    }
    if (rc == PROMC_OK && remember(&em->seen, &em->nseen, &em->capseen, base, type) != PROMC_OK)
        rc = promc__fail(PROMC_ENOMEM, "out of memory in collector");
    struct promc__rec *rec = NULL;
    if (rc == PROMC_OK) {
        struct promc__result *r = em->result;
        rec = promc__result_append(r, PROMC__REC_FAMILY);
        char *n = rec ? promc__result_strdup(r, base) : NULL;
        char *h = n ? promc__result_strdup(r, help) : NULL;
        char *u = h && unit ? promc__result_strdup(r, unit) : NULL;
        if (!h || (unit && !u))
            rc = promc__fail(PROMC_ENOMEM, "out of memory in collector");
        else
            rec->desc = (struct promc__desc){n, h, u, type};
    }
    promc__free(base);
    if (rc != PROMC_OK) {
        if (rec) /* an unfinished record: replay skips a family without a name */
            rec->desc.name = NULL;
        return rc;
    }
    em->desc = rec->desc;
    em->name = rec->desc.name;
    em->in_family = true;
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

bool promc__emitter_utf8(const promc_emitter *em)
{
    return em && promc__registry_utf8(em->run->reg);
}

double promc_emitter_timeout(const promc_emitter *em)
{
    if (!em || !em->run->deadline_ns)
        return INFINITY;
    double left = (double)(em->run->deadline_ns - promc__mono_ns()) / 1e9;
    return left > 0 ? left : 0;
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
static int prepare_labels(promc_emitter *em, const promc_label *given, size_t ngiven,
                          const char *reserved, struct promc__labels *out)
{
    if (!em->in_family)
        return promc__fail(PROMC_ESTATE, "collector: sample outside a valid family");
    if (ngiven && !given)
        return promc__fail(PROMC_EINVAL, "collector: labels missing");
    /* Through a wrapper, its labels follow the sample's own: checked and
     * rendered as if the callback had passed them. */
    const struct promc__wrap *w = ((struct collector_data *)em->self->type_data)->wrap;
    size_t n = ngiven + (w ? w->nlabels : 0);
    const promc_label *labels = given;
    if (w && w->nlabels) {
        if (grow((void **)&em->joined, &em->joined_cap, n, sizeof *labels) != PROMC_OK)
            return promc__fail(PROMC_ENOMEM, "out of memory in collector");
        if (ngiven)
            memcpy(em->joined, given, ngiven * sizeof *labels);
        memcpy(em->joined + ngiven, w->labels, w->nlabels * sizeof *labels);
        labels = em->joined;
    }
    size_t need = 1;
    bool utf8 = promc__registry_utf8(em->run->reg), utf8_names = false;
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
                               "collector: \"%s\": the same label set twice in one family: {%s}",
                               em->name, ls->rendered);
    }
    memcpy(em->keys + at - sizeof len, &len, sizeof len);
    em->slots[j] = at + 1;
    em->keys_len = at + len;
    em->nseries++;
    return PROMC_OK;
}

/* ---- Recording a series into the result ---- */

/* A copy of n elements of size elem in the result (NULL for none). */
static const void *copy_array(struct promc__result *r, const void *p, size_t n, size_t elem,
                              bool *oom)
{
    if (!n || !p)
        return NULL;
    void *q = promc__result_alloc(r, n * elem);
    if (!q) {
        *oom = true;
        return NULL;
    }
    memcpy(q, p, n * elem);
    return q;
}

/* Copies of n strings in the result, as an array (NULL for none). */
static const char *const *copy_strings(struct promc__result *r, const char *const *v, size_t n,
                                       bool *oom)
{
    if (!n || !v)
        return NULL;
    const char **q = promc__result_alloc(r, n * sizeof *q);
    if (!q) {
        *oom = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        q[i] = promc__result_strdup(r, v[i]);
        if (!q[i]) {
            *oom = true;
            return NULL;
        }
    }
    return q;
}

/* The series x of the open family, everything it points at copied into the
 * result, as a record. */
static int record_series(promc_emitter *em, const struct promc__series *x)
{
    struct promc__result *r = em->result;
    bool oom = false;
    struct promc__labels *ls = promc__result_alloc(r, sizeof *ls);
    char *rendered = ls ? promc__result_alloc(r, x->labels->rendered_len + 1) : NULL;
    if (!rendered)
        return promc__fail(PROMC_ENOMEM, "out of memory in collector");
    memcpy(rendered, x->labels->rendered, x->labels->rendered_len + 1);
    /* The values are in the rendering already (the sinks read them back
     * from it, as they do a child's); the names are mostly those of the
     * series before. */
    *ls = (struct promc__labels){.rendered = rendered,
                                 .rendered_len = x->labels->rendered_len,
                                 .n = x->labels->n,
                                 .utf8_names = x->labels->utf8_names};
    bool same = em->last_names && em->last_nnames == x->labels->n;
    for (size_t i = 0; same && i < x->labels->n; i++)
        same = strcmp(em->last_names[i], x->labels->names[i]) == 0;
    ls->names = same ? em->last_names : copy_strings(r, x->labels->names, x->labels->n, &oom);
    if (!oom && ls->names) {
        em->last_names = ls->names;
        em->last_nnames = x->labels->n;
    }
    struct promc__series y = *x;
    y.labels = ls;
    y.timestamped = em->stamped;
    y.timestamp_ms = em->stamp_ms;
    switch (em->desc.type) {
    case PROMC_HISTOGRAM: {
        struct promc__histogram_data *h = promc__result_alloc(r, sizeof *h);
        if (!h)
            return promc__fail(PROMC_ENOMEM, "out of memory in collector");
        *h = *x->hist;
        h->bounds = copy_array(r, x->hist->bounds, h->nbounds, sizeof *h->bounds, &oom);
        h->cumulative = copy_array(r, x->hist->cumulative, h->nbounds, sizeof *h->cumulative, &oom);
        y.hist = h;
        break;
    }
    case PROMC_SUMMARY: {
        struct promc__summary_data *sd = promc__result_alloc(r, sizeof *sd);
        if (!sd)
            return promc__fail(PROMC_ENOMEM, "out of memory in collector");
        *sd = *x->summary;
        sd->quantiles = copy_array(r, x->summary->quantiles, sd->nquantiles, sizeof(double), &oom);
        sd->qvalues = copy_array(r, x->summary->qvalues, sd->nquantiles, sizeof(double), &oom);
        y.summary = sd;
        break;
    }
    case PROMC_STATESET: {
        struct promc__stateset_data *st = promc__result_alloc(r, sizeof *st);
        if (!st)
            return promc__fail(PROMC_ENOMEM, "out of memory in collector");
        *st = *x->stateset;
        st->states = copy_strings(r, x->stateset->states, st->nstates, &oom);
        y.stateset = st;
        break;
    }
    default:
        break;
    }
    struct promc__rec *rec = oom ? NULL : promc__result_append(r, PROMC__REC_SERIES);
    if (!rec)
        return promc__fail(PROMC_ENOMEM, "out of memory in collector");
    rec->series = y;
    return PROMC_OK;
}

static int emit(promc_emitter *em, const struct promc__series *x)
{
    int rc = remember_series(em, x->labels);
    if (rc == PROMC_OK)
        rc = record_series(em, x);
    if (rc != PROMC_OK)
        return fail(em, rc);
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

/* ---- The same with a timestamp ---- */

/* Marks the series the next emit call records with timestamp_ms. */
static int stamp(promc_emitter *em, int64_t timestamp_ms)
{
    if (!em)
        return promc__fail(PROMC_EINVAL, "emit on a NULL emitter");
    em->stamped = true;
    em->stamp_ms = timestamp_ms;
    return PROMC_OK;
}

/* The emit call's result; the mark is gone whether it succeeded or not. */
static int unstamp(promc_emitter *em, int rc)
{
    em->stamped = false;
    return rc;
}

int promc_emit_sample_ts(promc_emitter *em, const promc_label *labels, size_t nlabels, double value,
                         int64_t timestamp_ms)
{
    if (stamp(em, timestamp_ms) != PROMC_OK)
        return PROMC_EINVAL;
    return unstamp(em, promc_emit_sample(em, labels, nlabels, value));
}

int promc_emit_histogram_ts(promc_emitter *em, const promc_label *labels, size_t nlabels,
                            const double *bounds, const uint64_t *cumulative, size_t nbounds,
                            uint64_t count, double sum, int64_t timestamp_ms)
{
    if (stamp(em, timestamp_ms) != PROMC_OK)
        return PROMC_EINVAL;
    return unstamp(
        em, promc_emit_histogram(em, labels, nlabels, bounds, cumulative, nbounds, count, sum));
}

int promc_emit_summary_ts(promc_emitter *em, const promc_label *labels, size_t nlabels,
                          const double *quantiles, const double *values, size_t nquantiles,
                          uint64_t count, double sum, int64_t timestamp_ms)
{
    if (stamp(em, timestamp_ms) != PROMC_OK)
        return PROMC_EINVAL;
    return unstamp(
        em, promc_emit_summary(em, labels, nlabels, quantiles, values, nquantiles, count, sum));
}

int promc_emit_stateset_ts(promc_emitter *em, const promc_label *labels, size_t nlabels,
                           const char *const *states, size_t nstates, size_t current,
                           int64_t timestamp_ms)
{
    if (stamp(em, timestamp_ms) != PROMC_OK)
        return PROMC_EINVAL;
    return unstamp(em, promc_emit_stateset(em, labels, nlabels, states, nstates, current));
}

/* ===================================================================== */
/* Collections and scrapes                                                */
/* ===================================================================== */

/* Records one collection (promc__run_fn): the callback, with an emitter
 * writing into the run's result. */
static void record(struct promc__run *run)
{
    struct promc_metric *m = run->collector;
    struct collector_data *d = m->type_data;
    promc_emitter em = {.run = run, .result = run->result, .self = m};
    int rc = d->fn(&em, d->userdata);
    emitter_close(&em);
    promc__free(em.scratch);
    promc__free(em.ptrs);
    promc__free(em.joined);
    promc__free(em.keys);
    promc__free(em.slots);
    promc__free_strings(em.seen, em.nseen);
    if (rc != 0) {
        promc__fail(PROMC_EIO, "collector \"%s\" failed (its callback returned %d)", m->desc.name,
                    rc);
        promc__result_fail(run->result, PROMC_EIO, promc_last_error());
    }
}

/* The result's error becomes the scrape's, where it happened. */
static void replay_error(struct promc__scrape *sc, const struct promc__result *r)
{
    promc__fail(r->error, "%s", r->message);
    promc__scrape_fail(sc, r->error);
}

/* Writes a complete result into the scrape: each family checked against
 * the scrape's registry and the collectors before this one, and left out
 * when it clashes (the scrape's error) or the name filter does not want
 * it. */
static void replay(struct promc__scrape *sc, struct promc_metric *self,
                   const struct promc__result *r)
{
    struct claim_check cc = {sc->reg, sc->members, self, sc->seen, sc->nseen, NULL, 0};
    bool writing = false;
    if (r->error != PROMC_OK && !r->error_after)
        replay_error(sc, r);
    for (const struct promc__rec *rec = r->first; rec; rec = rec->next) {
        if (rec->kind == PROMC__REC_FAMILY) {
            writing = false;
            const struct promc__desc *d = &rec->desc;
            if (d->name) {
                cc.seen = sc->seen;
                cc.nseen = sc->nseen;
                int rc = check_claims(&cc, d->name, d->type);
                if (rc == PROMC_OK &&
                    remember(&sc->seen, &sc->nseen, &sc->capseen, d->name, d->type) != PROMC_OK)
                    rc = promc__fail(PROMC_ENOMEM, "out of memory in collector");
                if (rc != PROMC_OK)
                    promc__scrape_fail(sc, rc);
                else if (promc__scrape_wants(sc, d)) {
                    promc__sink_family(sc->sink, d);
                    writing = true;
                }
            }
        } else if (writing) {
            promc__sink_series(sc->sink, &rec->series);
        }
        if (r->error != PROMC_OK && r->error_after == rec)
            replay_error(sc, r);
    }
}

static void *collector_start(struct promc_metric *m, struct promc__scrape *sc)
{
    struct collector_data *d = m->type_data;
    struct promc__run *run;
    if (promc__run_acquire(&d->co, m, sc, record, true, &run) != PROMC_OK)
        promc__scrape_fail(sc, promc_last_error_code());
    return run;
}

static void collector_collect(struct promc_metric *m, struct promc__scrape *sc, void *started)
{
    struct collector_data *d = m->type_data;
    struct promc__run *run = started;
    if (!run && sc->deadline_ns)
        return; /* it could not be started: the scrape has the error */
    if (!run && promc__run_acquire(&d->co, m, sc, record, false, &run) != PROMC_OK) {
        promc__scrape_fail(sc, promc_last_error_code());
        return;
    }
    switch (promc__run_wait(run, sc->deadline_ns)) {
    case PROMC__RUN_DONE:
        replay(sc, m, run->result);
        break;
    case PROMC__RUN_CIRCLE:
        promc__fail(PROMC_ESTATE,
                    "collector \"%s\" is being collected for a scrape that waits for this one "
                    "(collectors scraping each other's registries)",
                    m->desc.name);
        promc__scrape_fail(sc, PROMC_ESTATE);
        break;
    default: { /* late: counted, and its last result if recent enough */
        atomic_fetch_add_explicit(&d->co.timeouts, 1, memory_order_relaxed);
        struct promc__result *stale = promc__coalesce_stale(&d->co);
        if (stale) {
            replay(sc, m, stale);
            promc__result_unref(stale);
        }
    }
    }
    promc__run_release(run);
}

static void collector_abandon(struct promc_metric *m, void *started)
{
    (void)m;
    promc__run_release(started);
}

static void collector_stats(struct promc_metric *m, struct promc__collector_stats *st)
{
    struct collector_data *d = m->type_data;
    uint64_t ns = atomic_load_explicit(&d->co.duration_ns, memory_order_relaxed);
    st->duration = ns == UINT64_MAX ? NAN : (double)ns / 1e9;
    st->timeouts = atomic_load_explicit(&d->co.timeouts, memory_order_relaxed);
}
