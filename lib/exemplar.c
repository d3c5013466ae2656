/*
 * Exemplars: validation of the labels a caller gives (names, UTF-8,
 * duplicates, the OpenMetrics limit of 128 characters), the compact record
 * an exemplar is kept in, a lock-guarded set of slots (histogram buckets, or
 * a native histogram's few, kept spread over its values as client_golang
 * keeps them) and a per-family table keyed by child (counters).
 * Writers take a short mutex and copy; readers copy under the same mutex
 * and decode outside it, so what a scrape renders is always one whole
 * exemplar, and a slow client never holds up a writer.
 */
#include <math.h>
#include <string.h>

#include "exemplar.h"
#include "internal.h"

/* ===================================================================== */
/* Validation                                                             */
/* ===================================================================== */

/* Characters (code points) of valid UTF-8: the bytes that start one. */
static size_t runes(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

int promc__exemplar_check(struct promc__xinput *in, const promc_label *labels, size_t nlabels,
                          double value, const char *kind, const char *name)
{
    if (!labels && nlabels)
        return promc__fail(PROMC_EINVAL, "%s \"%s\": exemplar labels are NULL but nlabels is %zu",
                           kind, name, nlabels);
    /* Every name has a character at least: more labels cannot fit. */
    if (nlabels > PROMC__EXEMPLAR_MAX_LABELS)
        return promc__fail(PROMC_EINVAL, "%s \"%s\": %zu exemplar labels, at most %d characters",
                           kind, name, nlabels, PROMC_EXEMPLAR_MAX_RUNES);
    size_t total = 0, text = 0;
    for (size_t i = 0; i < nlabels; i++) {
        const char *n = labels[i].name, *v = labels[i].value;
        if (!n || !promc__valid_label_name(n))
            return promc__fail(PROMC_EINVAL, "%s \"%s\": exemplar label name \"%s\" is invalid",
                               kind, name, n ? n : "(null)");
        if (!v)
            return promc__fail(PROMC_EINVAL, "%s \"%s\": exemplar label \"%s\" has a NULL value",
                               kind, name, n);
        size_t nlen = strlen(n), vlen = strlen(v);
        if (!promc__valid_utf8(v, vlen))
            return promc__fail(PROMC_EINVAL,
                               "%s \"%s\": exemplar label \"%s\" has a value that is not UTF-8",
                               kind, name, n);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(labels[j].name, n))
                return promc__fail(PROMC_EINVAL, "%s \"%s\": exemplar label \"%s\" is given twice",
                                   kind, name, n);
        total += nlen + runes(v, vlen); /* a valid name is ASCII */
        text += nlen + vlen + 2;
    }
    if (total > PROMC_EXEMPLAR_MAX_RUNES)
        return promc__fail(PROMC_EINVAL,
                           "%s \"%s\": exemplar labels are %zu characters, at most %d", kind, name,
                           total, PROMC_EXEMPLAR_MAX_RUNES);
    in->labels = labels;
    in->nlabels = nlabels;
    in->text_len = text;
    in->value = value;
    in->timestamp = promc__now();
    return PROMC_OK;
}

/* ===================================================================== */
/* Records                                                                */
/* ===================================================================== */

/* Writes in into *rec, reusing its memory when the text fits (the common
 * case: the same keys with values of the same length). Called with the
 * container's lock held; the allocation is the rare first-time case. */
static int rec_store(struct promc__xrec **rec, const struct promc__xinput *in)
{
    struct promc__xrec *r = *rec;
    if (!r || r->cap < in->text_len) {
        /* Round up so that a slightly longer trace id reuses the record. */
        size_t cap = (in->text_len + 31) & ~(size_t)31;
        struct promc__xrec *nr = promc__malloc(sizeof *nr + cap);
        if (!nr)
            return promc__fail(PROMC_ENOMEM, "out of memory storing an exemplar");
        nr->cap = (uint32_t)cap;
        promc__free(r);
        *rec = r = nr;
    }
    char *p = r->text;
    for (size_t i = 0; i < in->nlabels; i++) {
        size_t n = strlen(in->labels[i].name) + 1, v = strlen(in->labels[i].value) + 1;
        memcpy(p, in->labels[i].name, n);
        p += n;
        memcpy(p, in->labels[i].value, v);
        p += v;
    }
    r->len = (uint32_t)(p - r->text);
    r->nlabels = (uint32_t)in->nlabels;
    r->value = in->value;
    r->timestamp = in->timestamp;
    return PROMC_OK;
}

/* Points names/values at the strings of text (a copy of a record's). */
static void decode(struct promc__exemplar *x, const struct promc__xrec *r, const char *text,
                   const char **names, const char **values)
{
    const char *p = text;
    for (uint32_t i = 0; i < r->nlabels; i++) {
        names[i] = p;
        p += strlen(p) + 1;
        values[i] = p;
        p += strlen(p) + 1;
    }
    x->nlabels = r->nlabels;
    x->names = names;
    x->values = values;
    x->value = r->value;
    x->timestamp = r->timestamp;
}

/* ===================================================================== */
/* A set of slots                                                         */
/* ===================================================================== */

struct promc__xset *promc__xset_new(size_t n)
{
    struct promc__xset *set = promc__calloc(1, sizeof *set + n * sizeof set->slot[0]);
    if (!set)
        return NULL;
    pthread_mutex_init(&set->lock, NULL);
    set->n = n;
    return set;
}

static void drop_all(struct promc__xset *set)
{
    for (size_t i = 0; i < set->n; i++) {
        promc__free(set->slot[i]);
        set->slot[i] = NULL;
    }
    set->used = 0;
}

void promc__xset_free(struct promc__xset *set)
{
    if (!set)
        return;
    drop_all(set);
    pthread_mutex_destroy(&set->lock);
    promc__free(set);
}

void promc__xset_clear(struct promc__xset *set)
{
    pthread_mutex_lock(&set->lock);
    drop_all(set);
    pthread_mutex_unlock(&set->lock);
}

int promc__xset_put(struct promc__xset *set, size_t i, const struct promc__xinput *in)
{
    pthread_mutex_lock(&set->lock);
    int rc = rec_store(&set->slot[i], in);
    pthread_mutex_unlock(&set->lock);
    return rc;
}

/* Where in (not yet in the set) replaces an exemplar of a full set of two
 * or more: client_golang's choice, comparison for comparison, IEEE
 * arithmetic included (values at or below zero have a -Inf or NaN
 * logarithm; a NaN distance is never below another, so a NaN first pair
 * stays the choice). Returns the slot that goes; *at is where in goes,
 * counted before that slot is removed. */
static size_t spread_victim(const struct promc__xset *set, const struct promc__xinput *in,
                            double ttl, size_t *at)
{
    struct promc__xrec *const *x = set->slot;
    size_t len = set->used, oldest = 0, victim = 0, place = len;
    double closest = -1, prev_log = 0, cur_log = 0;
    for (size_t i = 0; i < len; i++) {
        if (i == 0 || x[i]->timestamp < x[oldest]->timestamp)
            oldest = i;
        if (place == len && in->value <= x[i]->value)
            place = i;
        prev_log = cur_log;
        cur_log = log(x[i]->value);
        if (i == 0)
            continue;
        double d = fabs(cur_log - prev_log);
        if (closest == -1 || d < closest) {
            closest = d;
            victim = x[i]->timestamp < x[i - 1]->timestamp ? i : i - 1;
        }
    }
    *at = place;
    /* client_golang's Sub and TTL are whole nanoseconds; here seconds. */
    if (in->timestamp - x[oldest]->timestamp > ttl)
        return oldest;
    double v_log = log(in->value);
    if (place > 0) {
        double d = fabs(v_log - log(x[place - 1]->value));
        if (d < closest) {
            closest = d;
            victim = place - 1;
        }
    }
    if (place < len && fabs(log(x[place]->value) - v_log) < closest)
        victim = place;
    return victim;
}

int promc__xset_add_spread(struct promc__xset *set, const struct promc__xinput *in, double ttl)
{
    if (!set->n)
        return PROMC_OK;
    pthread_mutex_lock(&set->lock);
    struct promc__xrec **x = set->slot;
    size_t len = set->used;
    int rc;
    if (len < set->n) {
        /* Room: in goes after every value not above it. */
        size_t at = 0;
        while (at < len && !(in->value < x[at]->value))
            at++;
        struct promc__xrec *rec = NULL;
        rc = rec_store(&rec, in);
        if (rc == PROMC_OK) {
            memmove(&x[at + 1], &x[at], (len - at) * sizeof *x);
            x[at] = rec;
            set->used++;
        }
    } else if (len == 1) {
        rc = rec_store(&x[0], in);
    } else {
        size_t at, gone = spread_victim(set, in, ttl, &at);
        /* The record that goes is reused for in (allocation-free when in
         * fits), then moved to in's place: x[:gone] x[gone+1:at] in x[at:]
         * or x[:at] in x[at:gone] x[gone+1:]. */
        struct promc__xrec *rec = x[gone];
        rc = rec_store(&rec, in);
        if (rc == PROMC_OK) {
            if (gone < at) {
                memmove(&x[gone], &x[gone + 1], (at - 1 - gone) * sizeof *x);
                x[at - 1] = rec;
            } else {
                memmove(&x[at + 1], &x[at], (gone - at) * sizeof *x);
                x[at] = rec;
            }
        }
    }
    pthread_mutex_unlock(&set->lock);
    return rc;
}

/* Grows *p to hold want elements of size bytes; false when out of memory. */
static bool reserve(void **p, size_t *cap, size_t want, size_t size)
{
    if (want <= *cap)
        return true;
    size_t n = *cap ? *cap : 4;
    while (n < want)
        n *= 2;
    void *q = promc__realloc(*p, n * size);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

int promc__xset_read(struct promc__xset *set, struct promc__xcopy *copy)
{
    copy->n = 0;
    if (!reserve((void **)&copy->by_slot, &copy->slots_cap, set->n, sizeof *copy->by_slot))
        return promc__fail(PROMC_ENOMEM, "out of memory reading exemplars");
    for (size_t i = 0; i < set->n; i++)
        copy->by_slot[i] = NULL;
    /* The records in slot order. Each is copied whole (header and text) so
     * decoding happens without the lock. */
    pthread_mutex_lock(&set->lock);
    size_t text = 0, labels = 0, count = 0;
    for (size_t i = 0; i < set->n; i++) {
        const struct promc__xrec *r = set->slot[i];
        if (r) {
            text += r->len;
            labels += r->nlabels;
            count++;
        }
    }
    /* Allocating under the lock is the first scrape's case only: later
     * ones reuse what this one grew. */
    size_t x_bytes = count * sizeof(struct promc__xrec);
    bool ok = reserve((void **)&copy->text, &copy->text_cap, text + x_bytes, 1) &&
              reserve((void **)&copy->x, &copy->x_cap, count, sizeof *copy->x) &&
              /* + 1: exemplars without labels still get a (never read)
               * array to point into, never NULL + 0. */
              reserve((void **)&copy->strs, &copy->strs_cap, 2 * labels + 1, sizeof *copy->strs);
    char *p = copy->text;
    if (ok)
        for (size_t i = 0, j = 0; i < set->n; i++) {
            const struct promc__xrec *r = set->slot[i];
            if (!r)
                continue;
            memcpy(p, r, sizeof *r); /* the header, then the text */
            memcpy(p + sizeof *r, r->text, r->len);
            p += sizeof *r + r->len;
            copy->by_slot[i] = &copy->x[j++]; /* filled in below */
        }
    pthread_mutex_unlock(&set->lock);
    if (!ok)
        return promc__fail(PROMC_ENOMEM, "out of memory reading exemplars");
    p = copy->text;
    const char **s = copy->strs;
    for (size_t j = 0; j < count; j++) {
        struct promc__xrec hdr;
        memcpy(&hdr, p, sizeof hdr);
        decode(&copy->x[j], &hdr, p + sizeof hdr, s, s + hdr.nlabels);
        s += 2 * hdr.nlabels;
        p += sizeof hdr + hdr.len;
    }
    copy->n = count;
    return PROMC_OK;
}

void promc__xcopy_free(struct promc__xcopy *copy)
{
    promc__free(copy->x);
    promc__free(copy->by_slot);
    promc__free(copy->strs);
    promc__free(copy->text);
    memset(copy, 0, sizeof *copy);
}

/* ===================================================================== */
/* A table keyed by child                                                 */
/* ===================================================================== */

struct promc__xentry {
    const void *key; /* NULL: free */
    struct promc__xrec *rec;
};

/* Children are allocated at least 16-byte aligned: the low bits carry
 * nothing, the rest mixes with one multiply. */
static size_t slot_of(const struct promc__xtable *t, const void *key)
{
    uint64_t h = (uint64_t)(uintptr_t)key * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 32) & (t->cap - 1);
}

static struct promc__xentry *find(const struct promc__xtable *t, const void *key)
{
    if (!t->cap)
        return NULL;
    for (size_t i = slot_of(t, key);; i = (i + 1) & (t->cap - 1)) {
        if (t->e[i].key == key)
            return &t->e[i];
        if (!t->e[i].key)
            return NULL;
    }
}

void promc__xtable_init(struct promc__xtable *t)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
}

void promc__xtable_fini(struct promc__xtable *t)
{
    for (size_t i = 0; i < t->cap; i++)
        promc__free(t->e[i].rec);
    promc__free(t->e);
    pthread_mutex_destroy(&t->lock);
}

/* Doubles the table (or makes its first 16 entries); false when out of
 * memory, the table unchanged. */
static bool grow(struct promc__xtable *t)
{
    size_t cap = t->cap ? 2 * t->cap : 16;
    struct promc__xentry *e = promc__calloc(cap, sizeof *e);
    if (!e)
        return false;
    struct promc__xtable bigger = {.cap = cap, .n = t->n, .e = e};
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->e[i].key)
            continue;
        size_t j = slot_of(&bigger, t->e[i].key);
        while (e[j].key)
            j = (j + 1) & (cap - 1);
        e[j] = t->e[i];
    }
    promc__free(t->e);
    t->e = e;
    t->cap = cap;
    return true;
}

int promc__xtable_put(struct promc__xtable *t, const void *key, const struct promc__xinput *in)
{
    pthread_mutex_lock(&t->lock);
    struct promc__xentry *e = find(t, key);
    int rc = PROMC_OK;
    if (!e) {
        if (2 * (t->n + 1) > t->cap && !grow(t)) {
            pthread_mutex_unlock(&t->lock);
            return promc__fail(PROMC_ENOMEM, "out of memory storing an exemplar");
        }
        struct promc__xrec *rec = NULL;
        rc = rec_store(&rec, in);
        if (rc == PROMC_OK) {
            size_t i = slot_of(t, key);
            while (t->e[i].key)
                i = (i + 1) & (t->cap - 1);
            t->e[i].key = key;
            t->e[i].rec = rec;
            t->n++;
            atomic_store_explicit(&t->used, true, memory_order_release);
        }
    } else {
        rc = rec_store(&e->rec, in);
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

void promc__xtable_drop(struct promc__xtable *t, const void *key)
{
    if (!atomic_load_explicit(&t->used, memory_order_acquire))
        return;
    pthread_mutex_lock(&t->lock);
    struct promc__xentry *e = find(t, key);
    if (e) {
        promc__free(e->rec);
        t->n--;
        /* Backward-shift deletion: move later entries of the probe run into
         * the hole when their home slot allows, so lookups need no
         * tombstones. */
        size_t hole = (size_t)(e - t->e), mask = t->cap - 1;
        for (size_t i = (hole + 1) & mask; t->e[i].key; i = (i + 1) & mask) {
            size_t home = slot_of(t, t->e[i].key);
            /* The entry may move to the hole when the hole lies on its
             * probe path: from home (cyclically) up to i. */
            if (((i - home) & mask) >= ((i - hole) & mask)) {
                t->e[hole] = t->e[i];
                hole = i;
            }
        }
        t->e[hole].key = NULL;
        t->e[hole].rec = NULL;
    }
    pthread_mutex_unlock(&t->lock);
}

const struct promc__exemplar *promc__xtable_read(struct promc__xtable *t, const void *key,
                                                 struct promc__xview *view)
{
    struct promc__xrec hdr;
    if (!atomic_load_explicit(&t->used, memory_order_acquire))
        return NULL;
    pthread_mutex_lock(&t->lock);
    struct promc__xentry *e = find(t, key);
    if (e) {
        hdr = *e->rec;
        memcpy(view->text, e->rec->text, e->rec->len);
    }
    pthread_mutex_unlock(&t->lock);
    if (!e)
        return NULL;
    decode(&view->x, &hdr, view->text, view->names, view->values);
    return &view->x;
}
