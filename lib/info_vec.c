/*
 * Labelled infos (client_python's Info with labelnames): a family whose
 * label names are declared at creation -- typically shared with the target
 * the info describes, e.g. "instance" -- and whose children each carry
 * their own key/value pairs, exposed as <name>_info{labels...,pairs...} 1.
 * A child's pairs are set (and replaced) by promc_info_vec_set; until then
 * it is not exposed. The pairs live in a small reference-counted block, so
 * that a scrape reading them never blocks a replacement: the family's mutex
 * guards only the swap of the pointer and the taking of a reference.
 */
#include <string.h>

#include "constructor.h"
#include "family.h"
#include "internal.h"
#include "mp_series.h"
#include "registry.h"
#include "vec.h"

#define MAX_PAIRS 64

/* One child's pairs: the keys (for the labels view) and the rendered body
 * k="escaped",... */
struct pairs {
    atomic_size_t refs;
    size_t n;
    bool utf8; /* a key is not a legacy label name: the sinks rewrite it */
    size_t rendered_len;
    char *rendered;
    char *keys[];
};

struct info_vec_data {
    pthread_mutex_t lock; /* the children's pairs pointers */
    bool utf8;            /* keys may be UTF-8 (the registry allowed it at creation) */
};

struct info_child {
    struct promc__child base;
    struct pairs *pairs; /* NULL: not set (not exposed); under the family data's lock */
};

static void pairs_unref(struct pairs *p)
{
    if (!p || atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < p->n; i++)
        promc__free(p->keys[i]);
    promc__free(p->rendered);
    promc__free(p);
}

static struct pairs *take_pairs(struct promc_metric *m, struct promc__child *c)
{
    struct info_vec_data *d = m->type_data;
    pthread_mutex_lock(&d->lock);
    struct pairs *p = ((struct info_child *)c)->pairs;
    if (p)
        atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&d->lock);
    return p;
}

/* Replaces the child's pairs (NULL: unset) and drops the old ones. */
static void put_pairs(struct promc_metric *m, struct promc__child *c, struct pairs *p)
{
    struct info_vec_data *d = m->type_data;
    pthread_mutex_lock(&d->lock);
    struct pairs *old = ((struct info_child *)c)->pairs;
    ((struct info_child *)c)->pairs = p;
    pthread_mutex_unlock(&d->lock);
    pairs_unref(old);
}

/* ===================================================================== */
/* The type                                                               */
/* ===================================================================== */

/* The child's labels, then its pairs, in one labels view; small buffers on
 * the stack for the common case, so a scrape allocates nothing for it. */
static void child_series(struct promc_metric *m, struct promc__child *c, struct promc__sink *s,
                         const struct promc__labels *ls)
{
    struct pairs *p = take_pairs(m, c);
    if (!p)
        return;
    char body_small[512];
    const char *names_small[32];
    size_t n = ls->n + p->n;
    size_t len = ls->rendered_len + (ls->rendered_len && p->rendered_len) + p->rendered_len;
    char *body = len < sizeof body_small ? body_small : promc__malloc(len + 1);
    const char **names = n <= 32 ? names_small : promc__malloc(n * sizeof *names);
    if (!body || !names) {
        s->error = PROMC_ENOMEM;
    } else {
        memcpy(body, ls->rendered, ls->rendered_len);
        size_t at = ls->rendered_len;
        if (ls->rendered_len && p->rendered_len)
            body[at++] = ',';
        memcpy(body + at, p->rendered, p->rendered_len);
        body[len] = '\0';
        for (size_t i = 0; i < ls->n; i++)
            names[i] = ls->names[i];
        for (size_t i = 0; i < p->n; i++)
            names[ls->n + i] = p->keys[i];
        struct promc__labels all = {body, len, n, names, NULL, ls->utf8_names || p->utf8};
        struct promc__series x = {.labels = &all, .value = promc__vu(1)};
        promc__sink_series(s, &x);
    }
    if (body != body_small)
        promc__free(body);
    if (names != names_small)
        promc__free((void *)names);
    pairs_unref(p);
}

/* A removed child that comes back is a new series: no pairs until set. */
static void reset_child(struct promc_metric *m, struct promc__child *c)
{
    put_pairs(m, c, NULL);
}

static void fini_child(struct promc_metric *m, struct promc__child *c)
{
    (void)m;
    pairs_unref(((struct info_child *)c)->pairs);
}

static void info_vec_fini(struct promc_metric *m)
{
    struct info_vec_data *d = m->type_data;
    if (!d)
        return;
    pthread_mutex_destroy(&d->lock);
    promc__free(d);
}

static const struct promc__ops info_vec_ops = {
    .type = PROMC_INFO,
    .reset_child = reset_child,
    .fini_child = fini_child,
    .child_series = child_series,
    .fini = info_vec_fini,
};

/* ===================================================================== */
/* Public calls                                                           */
/* ===================================================================== */

promc_info_vec *promc_info_vec_new(promc_registry *reg, const char *name, const char *help,
                                   const char *const *label_names, const promc_metric_opts *opts)
{
    if (promc__mp_no_mode(opts, "info", name) != PROMC_OK)
        return NULL;
    promc_registry *target;
    if (promc__registry_for_new(reg, &target) != PROMC_OK)
        return NULL;
    struct info_vec_data *d = promc__calloc(1, sizeof *d);
    if (!d)
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating info \"%s\"",
                                name ? name : "(null)");
    pthread_mutex_init(&d->lock, NULL);
    d->utf8 = target && promc__registry_utf8(target);
    struct promc__new_args a = {.reg = reg,
                                .ops = &info_vec_ops,
                                .name = name,
                                .help = help,
                                .label_names = label_names,
                                .vec = true,
                                .unit = opts ? opts->unit : NULL,
                                .max_children = opts ? opts->max_children : 0,
                                .const_labels = opts ? opts->const_labels : NULL,
                                .nconst = opts ? opts->nconst_labels : 0,
                                .child_size = sizeof(struct info_child),
                                .type_data = d};
    return (promc_info_vec *)promc__metric_create(&a);
}

/* Validates the pairs against the family (keys: label-name rules, each
 * once, none a label name of the family; values UTF-8) and renders them. */
static struct pairs *pairs_new(struct promc_metric *m, const promc_label *pairs, size_t n)
{
    const char *nm = m->desc.name;
    const struct info_vec_data *d = m->type_data;
    if (n && !pairs)
        return promc__fail_null(PROMC_EINVAL, "info \"%s\": pairs missing", nm);
    if (n > MAX_PAIRS)
        return promc__fail_null(PROMC_EINVAL, "info \"%s\": %zu pairs, at most %d", nm, n,
                                MAX_PAIRS);
    size_t len = 0;
    bool utf8 = false;
    for (size_t i = 0; i < n; i++) {
        const char *k = pairs[i].name, *v = pairs[i].value;
        if (!k || !promc__valid_label(k, d->utf8))
            return promc__fail_null(PROMC_EINVAL, "info \"%s\": invalid key \"%s\"", nm,
                                    k ? k : "(null)");
        for (size_t j = 0; j < m->nlabels + m->nconst; j++)
            if (strcmp(m->label_names[j], k) == 0)
                return promc__fail_null(PROMC_EINVAL, "info \"%s\": key \"%s\" is a label name", nm,
                                        k);
        for (size_t j = 0; j < i; j++)
            if (strcmp(pairs[j].name, k) == 0)
                return promc__fail_null(PROMC_EINVAL, "info \"%s\": duplicate key \"%s\"", nm, k);
        if (!v || !promc__valid_utf8(v, strlen(v)))
            return promc__fail_null(PROMC_EINVAL, "info \"%s\": value of key \"%s\" is %s", nm, k,
                                    v ? "not valid UTF-8" : "NULL");
        if (!promc__legacy_name(k, strlen(k), true))
            utf8 = true;
        len += (i > 0) + strlen(k) + 3 + promc__escaped_len(v, true);
    }
    struct pairs *p = promc__calloc(1, sizeof *p + n * sizeof p->keys[0]);
    char *body = p ? promc__malloc(len + 1) : NULL;
    if (!body) {
        promc__free(p);
        return promc__fail_null(PROMC_ENOMEM, "info \"%s\": out of memory for pairs", nm);
    }
    atomic_init(&p->refs, 1);
    p->utf8 = utf8;
    p->rendered = body;
    p->rendered_len = len;
    char *at = body;
    for (size_t i = 0; i < n; i++, p->n++) {
        p->keys[i] = promc__strdup(pairs[i].name);
        if (!p->keys[i]) {
            pairs_unref(p);
            return promc__fail_null(PROMC_ENOMEM, "info \"%s\": out of memory for pairs", nm);
        }
        if (i)
            *at++ = ',';
        size_t kl = strlen(pairs[i].name);
        memcpy(at, pairs[i].name, kl);
        at += kl;
        *at++ = '=';
        *at++ = '"';
        at += promc__escape(at, pairs[i].value, true);
        *at++ = '"';
    }
    *at = '\0';
    return p;
}

int promc_info_vec_set_n(promc_info_vec *v, const char *const *values, size_t n,
                         const promc_label *pairs, size_t npairs)
{
    if (!v)
        return promc__fail(PROMC_EINVAL, "promc_info_vec_set: NULL family");
    struct promc_metric *m = (struct promc_metric *)v;
    struct pairs *p = pairs_new(m, pairs, npairs);
    if (!p)
        return promc_last_error_code();
    struct promc__child *c = promc__family_labels(m, values, n);
    if (!c) {
        pairs_unref(p);
        return promc_last_error_code();
    }
    put_pairs(m, c, p);
    return promc__ok();
}

int promc_info_vec_remove_n(promc_info_vec *v, const char *const *values, size_t n)
{
    return promc__vec_remove(v, values, n, "promc_info_vec_remove");
}

int promc_info_vec_clear(promc_info_vec *v)
{
    return promc__vec_clear(v, "promc_info_vec_clear");
}

promc_metric *promc_info_vec_metric(promc_info_vec *v)
{
    return (promc_metric *)v;
}

int promc_info_vec_free(promc_info_vec *v)
{
    return promc__metric_release((struct promc_metric *)v);
}
