/*
 * ProwJob lists for prow_exporter (see prowjobs.h). Each list owns an arena
 * holding every string it keeps, so a poll of thousands of jobs costs a few
 * allocations and freeing a list is a walk over its blocks. Label keys are
 * turned into Prometheus label names here, once per poll, not per scrape.
 */
#include "prowjobs.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "rfc3339.h"

/* ===================================================================== */
/* Arena                                                                  */
/* ===================================================================== */

#define BLOCK_BYTES 65536

struct prow_block {
    struct prow_block *next;
    size_t used, cap;
    max_align_t data[]; /* max_align_t elements keep every allocation aligned */
};

/* Whether the list may grow by extra bytes within its max_bytes; if not,
 * notes that the caller's allocation is refused for the bound. */
static bool within_bytes(prow_list *l, size_t extra)
{
    if (l->max_bytes && (extra > l->max_bytes || l->bytes > l->max_bytes - extra)) {
        l->over_bytes = true;
        return false;
    }
    return true;
}

static void *arena_alloc(prow_list *l, size_t n)
{
    size_t align = sizeof(max_align_t);
    n = (n + align - 1) / align * align;
    struct prow_block *b = l->arena;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > BLOCK_BYTES ? n : BLOCK_BYTES;
        if (!within_bytes(l, sizeof *b + cap) || !(b = malloc(sizeof *b + cap)))
            return NULL;
        b->next = l->arena;
        b->used = 0;
        b->cap = cap;
        l->arena = b;
        l->bytes += sizeof *b + cap;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

static const char *arena_strndup(prow_list *l, const char *s, size_t n)
{
    char *p = arena_alloc(l, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* ===================================================================== */
/* Lists                                                                  */
/* ===================================================================== */

prow_list *prow_list_new(void)
{
    prow_list *l = calloc(1, sizeof *l);
    if (l)
        atomic_init(&l->refs, 1);
    return l;
}

prow_list *prow_list_ref(prow_list *l)
{
    if (l)
        atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
    return l;
}

void prow_list_unref(prow_list *l)
{
    if (!l || atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (struct prow_block *b = l->arena, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(l->jobs);
    free(l);
}

bool prow_valid_utf8(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        size_t n;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1, cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2, cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += n + 1;
    }
    return true;
}

/* ===================================================================== */
/* Labels and annotations                                                 */
/* ===================================================================== */

/* Kubernetes labels Prow sets on every job, left out of prow_job_labels as
 * the original does (they only repeat the job's identity). */
static const char *const denylist[] = {
    "created-by-prow",       "prow.k8s.io/type",      "prow.k8s.io/id",
    "prow.k8s.io/build-id",  "prow.k8s.io/job",       "prow.k8s.io/refs.org",
    "prow.k8s.io/refs.repo", "prow.k8s.io/refs.pull", NULL,
};

static bool denylisted(const char *key)
{
    for (const char *const *d = denylist; *d; d++)
        if (strcmp(*d, key) == 0)
            return true;
    return false;
}

struct pair {
    const char *key, *value; /* views into the JSON document */
    size_t vlen;
    char *name;   /* prefix + sanitised key (malloc'd) */
    size_t order; /* position in sorted key order */
    bool keep;
};

/* Sorted key order (bytes), document order among equal keys. */
static int by_key(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int by_name(const void *a, const void *b)
{
    const struct pair *x = *(const struct pair *const *)a, *y = *(const struct pair *const *)b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* prefix + key with every character outside [a-zA-Z0-9_] replaced by '_'.
 * A character is a code point, as in the original's regexp: "é" gives one
 * '_', not two (the keys are valid UTF-8, the JSON reader checked). */
static char *sanitise(const char *prefix, const char *key)
{
    size_t pl = strlen(prefix), kl = strlen(key);
    char *out = malloc(pl + kl + 1), *p = out;
    if (!out)
        return NULL;
    memcpy(p, prefix, pl);
    p += pl;
    for (const unsigned char *k = (const unsigned char *)key; *k; k++) {
        unsigned c = *k;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
            *p++ = (char)c;
        else if (c < 0x80 || c >= 0xC0) /* not a continuation byte */
            *p++ = '_';
    }
    *p = '\0';
    return out;
}

/* Turns a Kubernetes map (labels or annotations) into Prometheus labels in
 * the list's arena. Denylisted keys (labels only) go first, then keys are
 * sorted and, of several that sanitise to one name, the first wins (the
 * original panics there). A value that is not valid UTF-8 cannot be
 * exported: that label is left out, not the whole series. */
static int convert_map(prow_list *l, const ex_json_doc *doc, ex_json_node map, const char *prefix,
                       bool filter, promc_label **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    size_t cap = ex_json_count(doc, map);
    if (ex_json_kind_of(doc, map) != EX_JSON_OBJECT || cap == 0)
        return 0;
    struct pair *pairs = calloc(cap, sizeof *pairs);
    struct pair **byname = calloc(cap, sizeof *byname);
    int rc = -1;
    size_t n = 0;
    if (!pairs || !byname)
        goto done;
    ex_json_node key = EX_JSON_NONE, value;
    while ((key = ex_json_object_next(doc, map, key, &value)) != EX_JSON_NONE) {
        const char *k = ex_json_string(doc, key, NULL);
        size_t vlen;
        const char *v = ex_json_string(doc, value, &vlen);
        if (!v) {
            ex_log(EX_LOG_DEBUG, "%s\"%s\": value is a %s, not a string: left out", prefix, k,
                   ex_json_kind_name(ex_json_kind_of(doc, value)));
            continue;
        }
        if (filter && denylisted(k))
            continue;
        pairs[n] = (struct pair){.key = k, .value = v, .vlen = vlen, .order = n};
        n++;
    }
    qsort(pairs, n, sizeof *pairs, by_key);
    for (size_t i = 0; i < n; i++) {
        pairs[i].order = i;
        if (!(pairs[i].name = sanitise(prefix, pairs[i].key)))
            goto done;
        byname[i] = &pairs[i];
    }
    qsort(byname, n, sizeof *byname, by_name);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        struct pair *p = byname[i];
        if (i && strcmp(p->name, byname[i - 1]->name) == 0) {
            ex_log(EX_LOG_DEBUG, "key \"%s\" gives label %s, taken by \"%s\": left out", p->key,
                   p->name, byname[i - 1]->key);
            continue;
        }
        /* strlen, not vlen: a "\u0000" in a value ends it, as C strings do. */
        if (!prow_valid_utf8(p->value, strlen(p->value))) {
            ex_log(EX_LOG_DEBUG, "%s: value is not UTF-8: left out", p->name);
            continue;
        }
        p->keep = true;
        kept++;
    }
    promc_label *labels = kept ? arena_alloc(l, kept * sizeof *labels) : NULL;
    if (kept && !labels)
        goto done;
    for (size_t i = 0; i < n; i++) {
        if (!pairs[i].keep)
            continue;
        promc_label *lb = &labels[(*nout)++];
        lb->name = arena_strndup(l, pairs[i].name, strlen(pairs[i].name));
        lb->value = arena_strndup(l, pairs[i].value, strlen(pairs[i].value));
        if (!lb->name || !lb->value)
            goto done;
    }
    *out = labels;
    rc = 0;
done:
    for (size_t i = 0; pairs && i < n; i++)
        free(pairs[i].name);
    free(pairs);
    free(byname);
    return rc;
}

/* ===================================================================== */
/* Jobs                                                                   */
/* ===================================================================== */

static const char *text(prow_list *l, const ex_json_doc *doc, ex_json_node node)
{
    const char *s = ex_json_string(doc, node, NULL);
    return s ? arena_strndup(l, s, strlen(s)) : "";
}

static bool timestamp(const ex_json_doc *doc, ex_json_node node, double *out)
{
    size_t len;
    const char *s = ex_json_string(doc, node, &len);
    return s && ex_rfc3339_parse(s, len, out) == 0;
}

static int add_job(prow_list *l, const ex_json_doc *doc, ex_json_node item)
{
    if (l->njobs == l->capjobs) {
        size_t cap = l->capjobs ? l->capjobs * 2 : 64;
        if (l->max_jobs && cap > l->max_jobs)
            cap = l->max_jobs; /* the caller checked njobs < max_jobs */
        if (!within_bytes(l, (cap - l->capjobs) * sizeof *l->jobs))
            return -1;
        prow_job *jobs = realloc(l->jobs, cap * sizeof *jobs);
        if (!jobs)
            return -1;
        l->jobs = jobs;
        l->bytes += (cap - l->capjobs) * sizeof *jobs;
        l->capjobs = cap;
    }
    ex_json_node meta = ex_json_get(doc, item, "metadata");
    ex_json_node spec = ex_json_get(doc, item, "spec");
    ex_json_node status = ex_json_get(doc, item, "status");
    prow_job j = {0};

    j.ns = text(l, doc, ex_json_get(doc, meta, "namespace"));
    if (!j.ns) /* past the byte bound */
        return -1;
    const char *name = ex_json_string(doc, ex_json_get(doc, meta, "name"), NULL);
    if (!name)
        name = "";
    size_t nl = strlen(j.ns), ml = strlen(name);
    char *key = arena_alloc(l, nl + ml + 2);
    if (key) {
        memcpy(key, j.ns, nl);
        key[nl] = '/';
        memcpy(key + nl + 1, name, ml + 1);
    }
    j.key = key;
    j.job = text(l, doc, ex_json_get(doc, spec, "job"));
    j.agent = text(l, doc, ex_json_get(doc, spec, "agent"));
    j.type = text(l, doc, ex_json_get(doc, spec, "type"));
    j.state = text(l, doc, ex_json_get(doc, status, "state"));

    /* The original reads spec.refs when it is set (even empty), else the
     * first of spec.extra_refs. */
    ex_json_node refs = ex_json_get(doc, spec, "refs");
    if (ex_json_kind_of(doc, refs) != EX_JSON_OBJECT)
        refs = ex_json_index(doc, ex_json_get(doc, spec, "extra_refs"), 0);
    j.org = text(l, doc, ex_json_get(doc, refs, "org"));
    j.repo = text(l, doc, ex_json_get(doc, refs, "repo"));
    j.base_ref = text(l, doc, ex_json_get(doc, refs, "base_ref"));

    j.has_start = timestamp(doc, ex_json_get(doc, status, "startTime"), &j.start);
    j.has_creation = timestamp(doc, ex_json_get(doc, meta, "creationTimestamp"), &j.creation);
    j.has_pending = timestamp(doc, ex_json_get(doc, status, "pendingTime"), &j.pending);
    j.has_completion = timestamp(doc, ex_json_get(doc, status, "completionTime"), &j.completion);

    if (!j.key || !j.ns || !j.job || !j.agent || !j.type || !j.state || !j.org || !j.repo ||
        !j.base_ref)
        return -1;
    if (convert_map(l, doc, ex_json_get(doc, meta, "labels"), "label_", true, &j.labels,
                    &j.nlabels) != 0 ||
        convert_map(l, doc, ex_json_get(doc, meta, "annotations"), "annotation_", false,
                    &j.annotations, &j.nannotations) != 0)
        return -1;
    l->jobs[l->njobs++] = j;
    return 0;
}

int prow_list_add_page(prow_list *l, const char *body, size_t len, char **cont, char *why,
                       size_t whycap)
{
    if (cont)
        *cont = NULL;
    ex_json_error err;
    ex_json_doc *doc = ex_json_parse(body, len, NULL, &err);
    if (!doc) {
        snprintf(why, whycap, "invalid JSON at byte %zu: %s", err.offset, err.message);
        return -1;
    }
    int rc = PROW_PAGE_FAILED;
    ex_json_node root = ex_json_root(doc);
    ex_json_node items = ex_json_get(doc, root, "items");
    ex_json_kind kind = ex_json_kind_of(doc, items);
    if (ex_json_kind_of(doc, root) != EX_JSON_OBJECT) {
        snprintf(why, whycap, "expected a ProwJobList object, got a %s",
                 ex_json_kind_name(ex_json_kind_of(doc, root)));
        goto done;
    }
    /* Go's encoder writes a nil slice as null: an empty list. */
    if (kind != EX_JSON_ARRAY && kind != EX_JSON_NULL) {
        snprintf(why, whycap, "\"items\" is %s, not an array",
                 kind == EX_JSON_MISSING ? "missing" : ex_json_kind_name(kind));
        goto done;
    }
    ex_json_node item = EX_JSON_NONE;
    size_t index = 0;
    while ((item = ex_json_array_next(doc, items, item)) != EX_JSON_NONE) {
        if (ex_json_kind_of(doc, item) != EX_JSON_OBJECT) {
            ex_log(EX_LOG_DEBUG, "items[%zu] is a %s, not an object: skipped", index,
                   ex_json_kind_name(ex_json_kind_of(doc, item)));
        } else if (l->max_jobs && l->njobs >= l->max_jobs) {
            snprintf(why, whycap, "more than %zu jobs", l->max_jobs);
            rc = PROW_PAGE_MAX_JOBS;
            goto done;
        } else if (add_job(l, doc, item) != 0) {
            if (l->over_bytes) {
                snprintf(why, whycap, "more than %zu bytes of memory for %zu jobs", l->max_bytes,
                         l->njobs);
                rc = PROW_PAGE_MAX_BYTES;
            } else {
                snprintf(why, whycap, "out of memory reading %zu jobs", l->njobs);
            }
            goto done;
        }
        index++;
    }
    const char *c = ex_json_string(doc, ex_json_path(doc, root, "metadata.continue"), NULL);
    if (cont && c && *c && !(*cont = strdup(c))) {
        snprintf(why, whycap, "out of memory");
        goto done;
    }
    rc = PROW_PAGE_OK;
done:
    ex_json_free(doc);
    return rc;
}

/* ===================================================================== */
/* Ranking                                                                */
/* ===================================================================== */

struct rank_ctx {
    const prow_job *jobs;
    size_t index;
};

/* Grouped by .spec.job; in a group, the latest start first, jobs without a
 * start last, list order among equals. */
static int by_rank(const void *a, const void *b)
{
    const struct rank_ctx *x = a, *y = b;
    const prow_job *p = &x->jobs[x->index], *q = &y->jobs[y->index];
    int c = strcmp(p->job, q->job);
    if (c)
        return c;
    if (p->has_start != q->has_start)
        return p->has_start ? -1 : 1;
    if (p->has_start && p->start != q->start)
        return p->start > q->start ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

long prow_list_latest(const prow_list *l, size_t *out)
{
    if (l->njobs == 0)
        return 0;
    struct rank_ctx *r = malloc(l->njobs * sizeof *r);
    if (!r)
        return -1;
    for (size_t i = 0; i < l->njobs; i++)
        r[i] = (struct rank_ctx){l->jobs, i};
    qsort(r, l->njobs, sizeof *r, by_rank);
    long n = 0;
    for (size_t i = 0; i < l->njobs; i++)
        if (i == 0 || strcmp(l->jobs[r[i].index].job, l->jobs[r[i - 1].index].job) != 0)
            out[n++] = r[i].index;
    free(r);
    return n;
}

/* ===================================================================== */
/* Transitions                                                            */
/* ===================================================================== */

static int by_identity(const void *a, const void *b)
{
    const struct rank_ctx *x = a, *y = b;
    int c = strcmp(x->jobs[x->index].key, y->jobs[y->index].key);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* The first job of the old list with this key, or NULL (binary search for
 * the lower bound in the sorted index). */
static const prow_job *find_old(const prow_list *old_list, const struct rank_ctx *sorted,
                                const char *key)
{
    size_t lo = 0, hi = old_list->njobs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(old_list->jobs[sorted[mid].index].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < old_list->njobs && strcmp(old_list->jobs[sorted[lo].index].key, key) == 0)
        return &old_list->jobs[sorted[lo].index];
    return NULL;
}

static bool is_final(const char *state)
{
    return strcmp(state, "success") == 0 || strcmp(state, "failure") == 0 ||
           strcmp(state, "error") == 0 || strcmp(state, "aborted") == 0;
}

int prow_list_transitions(const prow_list *old_list, const prow_list *new_list,
                          prow_transition_fn fn, void *ctx)
{
    if (!old_list || old_list->njobs == 0 || new_list->njobs == 0)
        return 0;
    struct rank_ctx *sorted = malloc(old_list->njobs * sizeof *sorted);
    if (!sorted)
        return -1;
    for (size_t i = 0; i < old_list->njobs; i++)
        sorted[i] = (struct rank_ctx){old_list->jobs, i};
    qsort(sorted, old_list->njobs, sizeof *sorted, by_identity);
    for (size_t i = 0; i < new_list->njobs; i++) {
        const prow_job *nj = &new_list->jobs[i];
        const prow_job *oj = find_old(old_list, sorted, nj->key);
        if (!oj || strcmp(oj->state, nj->state) == 0)
            continue;
        bool has_begin = false, has_end = false;
        double begin = 0, end = 0;
        if (strcmp(oj->state, "triggered") == 0)
            has_begin = oj->has_creation, begin = oj->creation;
        else if (strcmp(oj->state, "pending") == 0)
            has_begin = oj->has_pending, begin = oj->pending;
        if (is_final(nj->state))
            has_end = nj->has_completion, end = nj->completion;
        else if (strcmp(nj->state, "pending") == 0)
            has_end = nj->has_pending, end = nj->pending;
        if (!has_begin || !has_end)
            continue;
        if (end - begin < 0) {
            ex_log(EX_LOG_DEBUG, "%s: %s -> %s took %.3f s, negative: not observed", nj->key,
                   oj->state, nj->state, end - begin);
            continue;
        }
        fn(ctx, oj, nj, end - begin);
    }
    free(sorted);
    return 0;
}
