/*
 * Families and their children: what every metric type shares. A family holds
 * the validated name, help, unit and label names, and a hash table of children
 * keyed by label values. Children are created on first use (the warm path:
 * a read lock on a hit, the write lock only to insert) and live until they are
 * removed or the family is destroyed, so their handles can be cached.
 */
#include <stdalign.h>
#include <string.h>

#include "internal.h"

const struct promc__labels promc__no_labels = {"", 0, 0, NULL, NULL};

/* ===================================================================== */
/* Claims: the sample names a family emits                                */
/* ===================================================================== */

char **promc__claims_new(const char *base, const char *const *suffixes)
{
    size_t n = 0;
    while (suffixes[n])
        n++;
    char **claims = promc__calloc(n + 1, sizeof *claims);
    if (!claims)
        return NULL;
    size_t blen = strlen(base);
    for (size_t i = 0; i < n; i++) {
        size_t slen = strlen(suffixes[i]);
        claims[i] = promc__malloc(blen + slen + 1);
        if (!claims[i]) {
            promc__claims_free(claims);
            return NULL;
        }
        memcpy(claims[i], base, blen);
        memcpy(claims[i] + blen, suffixes[i], slen + 1);
    }
    return claims;
}

void promc__claims_free(char **claims)
{
    if (!claims)
        return;
    for (char **c = claims; *c; c++)
        promc__free(*c);
    promc__free(claims);
}

/* ===================================================================== */
/* Children                                                               */
/* ===================================================================== */

/* FNV-1a over the values, each followed by 0xFF (a byte valid UTF-8 never
 * contains), so ("ab","c") and ("a","bc") hash apart; folded to the 32 bits
 * a child keeps. */
static uint32_t hash_values(const char *const *values, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        for (const unsigned char *p = (const unsigned char *)values[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0xFF) * 1099511628211ULL;
    }
    return (uint32_t)(h ^ (h >> 32));
}

/* Bytes of a raw label value that are not copied as they are: the end, and
 * the three the exposition escapes. */
static const unsigned char special[256] = {[0] = 1, ['\\'] = 2, ['"'] = 2, ['\n'] = 2};

/* Matches raw against the escaped value at p (just after its opening quote);
 * returns the position after the closing quote, or NULL on a mismatch. */
static inline const char *match_escaped(const char *p, const char *raw)
{
    for (;; raw++) {
        unsigned char c = (unsigned char)*raw;
        if (!special[c]) {
            if (*p++ != (char)c)
                return NULL;
        } else if (c == 0) {
            return *p == '"' ? p + 1 : NULL;
        } else {
            if (p[0] != '\\' || p[1] != (c == '\n' ? 'n' : (char)c))
                return NULL;
            p += 2;
        }
    }
}

bool promc__escaped_equal(const char **pp, const char *raw)
{
    const char *p = match_escaped(*pp, raw);
    if (!p)
        return false;
    *pp = p;
    return true;
}

/* A child keeps only its rendered label body (name="escaped",...), so the
 * values are compared against their escaped form, without a copy: label
 * values are short and rarely need escaping. */
static bool same_values(const struct promc_metric *m, const struct promc__child *c,
                        const char *const *values, size_t n)
{
    const char *p = (const char *)c + m->child_size; /* its rendered labels */
    for (size_t i = 0; i < n && p; i++)
        p = match_escaped(p + m->label_name_len[i] + 2 + (i > 0), values[i]); /* [,]name=" */
    return p != NULL;
}

static size_t round_up(size_t n, size_t a)
{
    return (n + a - 1) / a * a;
}

/* One allocation per child: the type's struct (child_size), then the
 * rendered label body. Nothing else per series, to keep memory per series
 * small: the raw values are not kept (lookups compare the escaped form). */
static struct promc__child *child_new(struct promc_metric *m, const char *const *values,
                                      uint32_t hash)
{
    size_t n = m->nlabels;
    size_t rendered = 0;
    for (size_t i = 0; i < n; i++)
        rendered += m->label_name_len[i] + 3 + promc__escaped_len(values[i], true);
    rendered += n ? n - 1 : 0; /* commas */
    if (rendered > UINT32_MAX - 1) {
        promc__fail(PROMC_EINVAL, "metric \"%s\": label values too long", m->desc.name);
        return NULL;
    }
    struct promc__child *c = promc__calloc(1, m->child_size + rendered + 1);
    if (!c)
        return NULL;
    c->family = m;
    c->hash = hash;
    char *start = (char *)c + m->child_size, *p = start;
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        memcpy(p, m->label_names[i], m->label_name_len[i]);
        p += m->label_name_len[i];
        *p++ = '=';
        *p++ = '"';
        p += promc__escape(p, values[i], true);
        *p++ = '"';
    }
    *p = '\0';
    c->rendered_len = (uint32_t)(p - start);
    c->created = promc__now();
    if (m->ops->init_child && m->ops->init_child(m, c) != PROMC_OK) {
        promc__free(c);
        return NULL;
    }
    return c;
}

static void child_free(struct promc_metric *m, struct promc__child *c)
{
    if (m->ops->fini_child)
        m->ops->fini_child(m, c);
    promc__free(c);
}

static struct promc__child *table_find(struct promc_metric *m, const char *const *values,
                                       uint32_t hash)
{
    if (!m->table)
        return NULL;
    for (struct promc__child *c = m->table[hash & (m->table_size - 1)]; c; c = c->hnext)
        if (c->hash == hash && same_values(m, c, values, m->nlabels))
            return c;
    return NULL;
}

/* Doubles the table at two children a slot on average (chains stay short;
 * a slot pointer per two children keeps memory per series low). Failing to grow only lengthens
 * chains, so it is not an error -- except for the first table, without which there is nowhere to
 * put a child. */
static int table_grow(struct promc_metric *m)
{
    if (m->table && m->nchildren < 2 * m->table_size)
        return PROMC_OK;
    size_t size = m->table ? m->table_size * 2 : 16;
    struct promc__child **t = promc__calloc(size, sizeof *t);
    if (!t)
        return m->table ? PROMC_OK : PROMC_ENOMEM;
    for (struct promc__child *c = m->first; c; c = c->next) {
        size_t i = c->hash & (size - 1);
        c->hnext = t[i];
        t[i] = c;
    }
    promc__free(m->table);
    m->table = t;
    m->table_size = size;
    return PROMC_OK;
}

static void list_append(struct promc_metric *m, struct promc__child *c)
{
    c->next = NULL;
    if (m->last)
        m->last->next = c;
    else
        m->first = c;
    m->last = c;
    m->nchildren++;
}

static int check_values(struct promc_metric *m, const char *const *values, size_t n)
{
    if (n && !values)
        return promc__fail(PROMC_EINVAL, "metric \"%s\": label values missing", m->desc.name);
    if (n != m->nlabels)
        return promc__fail(PROMC_EINVAL, "metric \"%s\": expected %zu label values, got %zu",
                           m->desc.name, m->nlabels, n);
    for (size_t i = 0; i < n; i++)
        if (!values[i])
            return promc__fail(PROMC_EINVAL, "metric \"%s\": value of label \"%s\" is NULL",
                               m->desc.name, m->label_names[i]);
    return PROMC_OK;
}

/* ===================================================================== */
/* Per-thread lookup cache                                               */
/* ===================================================================== */

/* Each thread remembers the children it looked up last, so a hit costs a
 * hash and a compare: no lock, no atomic read-modify-write. An entry is
 * trusted only while its family's generation is unchanged; every removal
 * bumps it (under the write lock), so an entry can never point at a child
 * that another thread removed. (Removing the very child a thread is looking
 * up at the same moment is a use-after-free with or without the cache: the
 * handle is documented to die with remove.) Families are keyed by an id that
 * is never reused, not by address. */
#define LOOKUP_CACHE 64 /* entries, a power of two */

struct lookup_entry {
    uint64_t family_id;
    uint32_t gen;
    uint32_t hash;
    struct promc__child *child;
};

static _Thread_local struct lookup_entry lookup_cache[LOOKUP_CACHE];
static atomic_uint_fast64_t next_family_id = 1;

uint64_t promc__new_family_id(void)
{
    return atomic_fetch_add_explicit(&next_family_id, 1, memory_order_relaxed);
}

struct promc__child *promc__family_labels(struct promc_metric *m, const char *const *values,
                                          size_t n)
{
    if (!m)
        return promc__fail_null(PROMC_EINVAL, "labels of a NULL metric");
    if (m->nlabels == 0 && n == 0)
        return m->root;
    /* The hit path: count and NULLs checked inline, errors explained below. */
    if (n != m->nlabels || (n && !values)) {
        check_values(m, values, n);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!values[i]) {
            check_values(m, values, n);
            return NULL;
        }
    uint32_t h = hash_values(values, n);

    struct lookup_entry *e = &lookup_cache[h & (LOOKUP_CACHE - 1)];
    if (e->family_id == m->id && e->hash == h &&
        e->gen == atomic_load_explicit(&m->gen, memory_order_acquire) &&
        same_values(m, e->child, values, n))
        return e->child;

    pthread_rwlock_rdlock(&m->lock);
    struct promc__child *c = table_find(m, values, h);
    if (c)
        *e =
            (struct lookup_entry){m->id, atomic_load_explicit(&m->gen, memory_order_relaxed), h, c};
    pthread_rwlock_unlock(&m->lock);
    if (c)
        return c;

    for (size_t i = 0; i < n; i++)
        if (!promc__valid_utf8(values[i], strlen(values[i])))
            return promc__fail_null(PROMC_EINVAL,
                                    "metric \"%s\": value of label \"%s\" is not valid UTF-8",
                                    m->desc.name, m->label_names[i]);

    pthread_rwlock_wrlock(&m->lock);
    c = table_find(m, values, h);
    if (c)
        goto out;
    if (m->max_children && m->nchildren >= m->max_children) {
        atomic_fetch_add_explicit(&m->refused, 1, memory_order_relaxed);
        promc__fail(PROMC_ELIMIT, "metric \"%s\": child limit of %zu reached", m->desc.name,
                    m->max_children);
        goto out;
    }
    if (table_grow(m) != PROMC_OK) {
        promc__fail(PROMC_ENOMEM, "metric \"%s\": out of memory for a new child", m->desc.name);
        goto out;
    }
    c = child_new(m, values, h);
    if (!c) {
        promc__fail(PROMC_ENOMEM, "metric \"%s\": out of memory for a new child", m->desc.name);
        goto out;
    }
    size_t i = h & (m->table_size - 1);
    c->hnext = m->table[i];
    m->table[i] = c;
    list_append(m, c);
out:
    pthread_rwlock_unlock(&m->lock);
    return c;
}

int promc__family_remove(struct promc_metric *m, const char *const *values, size_t n)
{
    if (!m)
        return promc__fail(PROMC_EINVAL, "remove on a NULL metric");
    if (m->nlabels == 0)
        return promc__fail(PROMC_EINVAL, "metric \"%s\" has no labels", m->desc.name);
    int rc = check_values(m, values, n);
    if (rc != PROMC_OK)
        return rc;
    uint32_t h = hash_values(values, n);
    pthread_rwlock_wrlock(&m->lock);
    struct promc__child *c = table_find(m, values, h);
    if (c) {
        struct promc__child **pp = &m->table[h & (m->table_size - 1)];
        while (*pp != c)
            pp = &(*pp)->hnext;
        *pp = c->hnext;
        /* The creation-order list is singly linked (a pointer less per
         * series): removal walks it, which is rare and bounded by the
         * children a scrape walks anyway. */
        struct promc__child *prev = NULL;
        for (struct promc__child *it = m->first; it != c; it = it->next)
            prev = it;
        if (prev)
            prev->next = c->next;
        else
            m->first = c->next;
        if (m->last == c)
            m->last = prev;
        m->nchildren--;
        atomic_fetch_add_explicit(&m->gen, 1, memory_order_release);
    }
    pthread_rwlock_unlock(&m->lock);
    if (!c)
        return promc__fail(PROMC_ENOENT, "metric \"%s\": no child with these label values",
                           m->desc.name);
    child_free(m, c);
    return PROMC_OK;
}

void promc__family_clear(struct promc_metric *m)
{
    if (!m || m->nlabels == 0)
        return;
    pthread_rwlock_wrlock(&m->lock);
    struct promc__child *list = m->first;
    m->first = m->last = NULL;
    m->nchildren = 0;
    atomic_fetch_add_explicit(&m->gen, 1, memory_order_release);
    if (m->table)
        memset(m->table, 0, m->table_size * sizeof *m->table);
    pthread_rwlock_unlock(&m->lock);
    while (list) {
        struct promc__child *next = list->next;
        child_free(m, list);
        list = next;
    }
}

/* ===================================================================== */
/* Family lifetime                                                        */
/* ===================================================================== */

static int check_label_names(const char *name, const char *const *label_names, const char *reserved,
                             size_t *count)
{
    size_t n = 0;
    for (; label_names && label_names[n]; n++) {
        const char *l = label_names[n];
        if (!promc__valid_label_name(l))
            return promc__fail(PROMC_EINVAL, "metric \"%s\": invalid label name \"%s\"", name, l);
        if (reserved && strcmp(l, reserved) == 0)
            return promc__fail(PROMC_EINVAL, "metric \"%s\": label name \"%s\" is reserved", name,
                               l);
        for (size_t j = 0; j < n; j++)
            if (strcmp(label_names[j], l) == 0)
                return promc__fail(PROMC_EINVAL, "metric \"%s\": duplicate label name \"%s\"", name,
                                   l);
    }
    *count = n;
    return PROMC_OK;
}

static int check_unit(const char *name, const char *unit)
{
    size_t ul = strlen(unit), nl = strlen(name);
    for (const char *p = unit; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == ':'))
            return promc__fail(PROMC_EINVAL, "metric \"%s\": invalid unit \"%s\"", name, unit);
    if (nl <= ul + 1 || name[nl - ul - 1] != '_' || strcmp(name + nl - ul, unit) != 0)
        return promc__fail(PROMC_EINVAL, "metric \"%s\": name must end with \"_%s\" (its unit)",
                           name, unit);
    return PROMC_OK;
}

static void family_destroy(struct promc_metric *m)
{
    struct promc__child *c = m->first;
    while (c) {
        struct promc__child *next = c->next;
        child_free(m, c);
        c = next;
    }
    if (m->root && m->nlabels > 0)
        child_free(m, m->root);
    if (m->ops->fini)
        m->ops->fini(m);
    promc__free(m->table);
    promc__claims_free(m->claims);
    if (m->label_names) {
        for (size_t i = 0; i < m->nlabels; i++)
            promc__free(m->label_names[i]);
        promc__free(m->label_names);
    }
    promc__free(m->label_name_len);
    promc__free(m->name);
    promc__free(m->help);
    promc__free(m->unit);
    pthread_rwlock_destroy(&m->lock);
    promc__free(m);
}

void promc__metric_ref(struct promc_metric *m)
{
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void promc__metric_unref(struct promc_metric *m)
{
    if (m && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
        family_destroy(m);
}

const char *const *promc__type_suffixes(promc_type type)
{
    static const char *const counter[] = {"", "_total", "_created", NULL};
    static const char *const gauge[] = {"", NULL};
    static const char *const histogram[] = {"", "_bucket", "_count", "_sum", "_created", NULL};
    static const char *const summary[] = {"", "_count", "_sum", "_created", NULL};
    static const char *const info[] = {"", "_info", NULL};
    switch (type) {
    case PROMC_COUNTER:
        return counter;
    case PROMC_HISTOGRAM:
        return histogram;
    case PROMC_SUMMARY:
        return summary;
    case PROMC_INFO:
        return info;
    default:
        return gauge;
    }
}

struct promc_metric *promc__family_new(promc_registry *reg, const struct promc__ops *ops,
                                       const char *name, const char *help,
                                       const char *const *label_names, const char *unit,
                                       size_t max_children, size_t child_size, const char *reserved,
                                       void *type_data)
{
    struct promc_metric tmp = {.ops = ops, .type_data = type_data};
    struct promc_metric *m = NULL;
    size_t nlabels = 0;
    if (!promc__valid_metric_name(name)) {
        promc__fail(PROMC_EINVAL, "invalid metric name \"%s\"", name ? name : "(null)");
        goto fail;
    }
    if (promc__check_help(name, help) != PROMC_OK)
        goto fail;
    if (unit && !*unit)
        unit = NULL;
    if (unit && check_unit(name, unit) != PROMC_OK)
        goto fail;
    if (check_label_names(name, label_names, reserved, &nlabels) != PROMC_OK)
        goto fail;
    promc_registry *target = NULL;
    if (reg != PROMC_NO_REGISTRY) {
        target = promc__registry_resolve(reg);
        if (!target) {
            promc__fail(PROMC_ENOMEM, "out of memory creating the default registry");
            goto fail;
        }
        if (!max_children)
            max_children = target->default_max_children;
    }

    m = promc__calloc(1, sizeof *m);
    if (!m)
        goto oom;
    m->ops = ops;
    m->type_data = type_data;
    m->id = promc__new_family_id();
    atomic_init(&m->refs, 1);
    atomic_init(&m->refused, 0);
    /* Children keep their rendered labels right after the type's struct. */
    m->child_size = round_up(child_size, 8);
    m->max_children = max_children;
    promc__rwlock_init(&m->lock);
    m->name = promc__strdup(name);
    m->help = promc__strdup(help);
    m->unit = unit ? promc__strdup(unit) : NULL;
    m->claims = promc__claims_new(name, promc__type_suffixes(ops->type));
    if (!m->name || !m->help || (unit && !m->unit) || !m->claims)
        goto oom;
    if (nlabels) {
        m->label_names = promc__calloc(nlabels, sizeof(char *));
        m->label_name_len = promc__calloc(nlabels, sizeof(size_t));
        if (!m->label_names || !m->label_name_len)
            goto oom;
        for (size_t i = 0; i < nlabels; i++) {
            m->label_names[i] = promc__strdup(label_names[i]);
            if (!m->label_names[i]) {
                m->nlabels = i;
                goto oom;
            }
            m->label_name_len[i] = strlen(label_names[i]);
        }
    }
    m->nlabels = nlabels;
    m->desc.name = m->name;
    m->desc.help = m->help;
    m->desc.unit = m->unit;
    m->desc.type = ops->type;

    /* The root child: the series itself when unlabelled, a harmless sink
     * otherwise (its values are never read, so nlabels of them are not needed). */
    size_t saved = m->nlabels;
    m->nlabels = 0;
    m->root = child_new(m, NULL, 0);
    m->nlabels = saved;
    if (!m->root)
        goto oom;
    if (saved == 0)
        list_append(m, m->root);

    if (target) {
        int rc = promc_registry_register(target, m);
        /* The registry now holds a reference; the caller keeps the first. */
        if (rc != PROMC_OK) {
            family_destroy(m);
            return NULL;
        }
    }
    promc__ok();
    return m;

oom:
    promc__fail(PROMC_ENOMEM, "out of memory creating metric \"%s\"", name);
fail:
    if (m)
        family_destroy(m);
    else if (ops->fini)
        ops->fini(&tmp);
    return NULL;
}

int promc__family_collect(struct promc_metric *m, promc__enc *e)
{
    if (m->ops->collect)
        return m->ops->collect(m, e);
    promc__enc_family(e, &m->desc);
    pthread_rwlock_rdlock(&m->lock);
    for (struct promc__child *c = m->first; c && !e->error; c = c->next) {
        struct promc__labels ls = promc__child_labels(c);
        m->ops->collect_child(m, c, e, &ls);
    }
    pthread_rwlock_unlock(&m->lock);
    return e->error;
}

/* ===================================================================== */
/* Generic public operations                                              */
/* ===================================================================== */

void promc_metric_free(promc_metric *m)
{
    promc__metric_unref(m);
}

const char *promc_metric_name(const promc_metric *m)
{
    return m ? m->desc.name : NULL;
}

size_t promc_metric_children(promc_metric *m)
{
    if (!m)
        return 0;
    pthread_rwlock_rdlock(&m->lock);
    size_t n = m->nchildren;
    pthread_rwlock_unlock(&m->lock);
    return n;
}

uint64_t promc_metric_refused(promc_metric *m)
{
    return m ? atomic_load_explicit(&m->refused, memory_order_relaxed) : 0;
}
