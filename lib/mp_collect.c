/*
 * Multi-process mode, the reading side: a custom collector that reads every
 * file of the directory at each scrape and emits the aggregate, as
 * client_python's MultiProcessCollector does -- counters, histograms and
 * summaries summed over every file (dead processes included), gauges by
 * the mode in their file name. A file that fails validation is left out
 * whole and reported as a sample of promc_multiprocess_refused_files.
 */
#define _DEFAULT_SOURCE /* DT_* */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emitter.h"
#include "internal.h"
#include "mp.h"
#include "mp_file.h"
#include "mp_key.h"
#include "mp_table.h"

enum ftype { F_COUNTER, F_GAUGE, F_HISTOGRAM, F_SUMMARY };

struct series {
    size_t nlabels;
    promc_label *labels; /* sorted by name, le left out for histograms */
    void *block;         /* the strings of labels */
    double value;        /* counter, gauge: the value; histogram, summary: the sum */
    double count;        /* summary; gauges: 1 once seen */
    double stamp;        /* mostrecent gauges: the timestamp of value */
    size_t nb;           /* histogram buckets: bound, non-cumulative count */
    double *bounds, *counts;
};

struct family {
    char *name, *help;
    enum ftype type;
    int mode; /* gauges: index into the mode names */
    struct promc__mp_table series;
};

struct refused {
    char *file, *reason;
};

struct agg {
    struct promc__mp_table families;
    struct refused *refused;
    size_t nrefused;
    bool oom;
    bool utf8; /* the scrape's registry takes UTF-8 names */
};

static void free_series(void *p)
{
    struct series *s = p;
    promc__free(s->labels);
    promc__free(s->block);
    promc__free(s->bounds);
    promc__free(s->counts);
    promc__free(s);
}

static void free_family(void *p)
{
    struct family *f = p;
    promc__free(f->name);
    promc__free(f->help);
    promc__mp_table_free(&f->series, free_series);
    promc__free(f);
}

static void agg_free(struct agg *a)
{
    promc__mp_table_free(&a->families, free_family);
    for (size_t i = 0; i < a->nrefused; i++) {
        promc__free(a->refused[i].file);
        promc__free(a->refused[i].reason);
    }
    promc__free(a->refused);
}

/* A copy of a file name fit for a label value: bytes that are not UTF-8
 * become U+FFFD (a name is any bytes; a label value must be UTF-8). */
static char *utf8_name(const char *name)
{
    size_t len = strlen(name);
    char *out = promc__malloc(3 * len + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = promc__utf8_decode((const unsigned char *)name + i, len - i, &cp);
        if (n == 0) {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(o, name + i, n);
            o += n;
            i += n;
        }
    }
    *o = '\0';
    return out;
}

static void refuse(struct agg *a, const char *file, const char *reason)
{
    struct refused *r = promc__realloc(a->refused, (a->nrefused + 1) * sizeof *r);
    if (!r) {
        a->oom = true;
        return;
    }
    a->refused = r;
    r[a->nrefused].file = utf8_name(file);
    r[a->nrefused].reason = promc__strdup(reason);
    if (!r[a->nrefused].file || !r[a->nrefused].reason) {
        promc__free(r[a->nrefused].file);
        promc__free(r[a->nrefused].reason);
        a->oom = true;
        return;
    }
    a->nrefused++;
}

/* What a file name says: its type, gauge mode and pid (client_python's
 * reading: the type is the part before the first '_', a gauge's mode the
 * second part and its pid the third without ".db"). */
struct fname {
    enum ftype type;
    int mode;
    char pid[256];
};

static bool parse_name(const char *name, struct fname *fn)
{
    const char *us = strchr(name, '_');
    size_t tl = us ? (size_t)(us - name) : strlen(name);
    static const char *const types[] = {"counter", "gauge", "histogram", "summary"};
    int t = -1;
    for (int i = 0; i < 4; i++)
        if (strlen(types[i]) == tl && strncmp(name, types[i], tl) == 0)
            t = i;
    if (t < 0 || !us)
        return false;
    fn->type = (enum ftype)t;
    fn->mode = 0;
    fn->pid[0] = '\0';
    if (fn->type != F_GAUGE)
        return true;
    const char *m = us + 1;
    const char *us2 = strchr(m, '_');
    if (!us2)
        return false;
    fn->mode = -1;
    for (int i = 0; promc__mp_mode_name((promc_mp_mode)i); i++) {
        const char *mode = promc__mp_mode_name((promc_mp_mode)i);
        if (strlen(mode) == (size_t)(us2 - m) && strncmp(m, mode, (size_t)(us2 - m)) == 0)
            fn->mode = i;
    }
    if (fn->mode < 0)
        return false;
    const char *p = us2 + 1;
    const char *end = strchr(p, '_');
    size_t pl = end ? (size_t)(end - p) : strlen(p);
    if (!end) /* parts[2][:-3] drops ".db" */
        pl = pl >= 3 ? pl - 3 : 0;
    else if (pl >= 3)
        pl -= 3; /* as parts[2][:-3] would, odd as it is */
    else
        pl = 0;
    if (pl >= sizeof fn->pid)
        return false;
    memcpy(fn->pid, p, pl);
    fn->pid[pl] = '\0';
    return true;
}

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const promc_label *)a)->name, ((const promc_label *)b)->name);
}

/* One entry of a file, parsed. */
struct item {
    struct promc__mp_parsed k;
    double value, timestamp;
};

struct file_read {
    struct item *items;
    size_t n, cap;
    bool bad_key, oom;
};

static int collect_entry(void *ctx, const struct promc__mp_entry *e)
{
    struct file_read *fr = ctx;
    if (fr->n == fr->cap) {
        size_t cap = fr->cap ? fr->cap * 2 : 64;
        struct item *it = promc__realloc(fr->items, cap * sizeof *it);
        if (!it) {
            fr->oom = true;
            return -1;
        }
        fr->items = it;
        fr->cap = cap;
    }
    bool oom;
    if (!promc__mp_parse_key(e->key, e->key_len, &fr->items[fr->n].k, &oom)) {
        fr->oom = oom;
        fr->bad_key = !oom;
        return -1;
    }
    fr->items[fr->n].timestamp = e->timestamp;
    fr->items[fr->n++].value = e->value;
    return 0;
}

static struct family *family_for(struct agg *a, const struct promc__mp_parsed *k,
                                 const struct fname *fn, const char **conflict)
{
    struct family *f = promc__mp_table_get(&a->families, k->metric);
    if (f) {
        if (f->type != fn->type)
            *conflict = "a metric in it has another type in another file";
        return f->type == fn->type ? f : NULL;
    }
    f = promc__calloc(1, sizeof *f);
    char *key = promc__strdup(k->metric);
    if (f) {
        f->name = promc__strdup(k->metric);
        f->help = promc__strdup(k->help);
        f->type = fn->type;
        f->mode = fn->mode;
    }
    if (!f || !key || !f->name || !f->help || !promc__mp_table_put(&a->families, key, f)) {
        promc__free(key);
        if (f)
            free_family(f);
        a->oom = true;
        return NULL;
    }
    return f;
}

/* The series of a family for labels (sorted, without le) and, for gauges
 * that keep each process apart, the pid. */
static struct series *series_for(struct agg *a, struct family *f, const char *sample,
                                 promc_label *ls, size_t n, const char *pid)
{
    struct promc__buf key = {0};
    promc__buf_str(&key, sample);
    for (size_t i = 0; i < n; i++) {
        promc__buf_put(&key, "\x01", 1);
        promc__buf_str(&key, ls[i].name);
        promc__buf_put(&key, "\x02", 1);
        promc__buf_str(&key, ls[i].value);
    }
    if (pid) {
        promc__buf_str(&key, "\x01pid\x02");
        promc__buf_str(&key, pid);
    }
    if (key.oom) {
        promc__free(key.p);
        a->oom = true;
        return NULL;
    }
    struct series *s = promc__mp_table_get(&f->series, key.p);
    if (s) {
        promc__free(key.p);
        return s;
    }
    /* A copy of the labels (and pid) that outlives the file's parse. */
    size_t total = 0, nl = n + (pid ? 1 : 0);
    for (size_t i = 0; i < n; i++)
        total += strlen(ls[i].name) + strlen(ls[i].value) + 2;
    if (pid)
        total += 4 + strlen(pid) + 1;
    s = promc__calloc(1, sizeof *s);
    char *block = promc__malloc(total + 1);
    promc_label *labels = promc__malloc((nl + 1) * sizeof *labels);
    if (!s || !block || !labels) {
        promc__free(s);
        promc__free(block);
        promc__free(labels);
        promc__free(key.p);
        a->oom = true;
        return NULL;
    }
    char *at = block;
    for (size_t i = 0; i < nl; i++) {
        const char *nm = i < n ? ls[i].name : "pid", *v = i < n ? ls[i].value : pid;
        size_t a1 = strlen(nm) + 1, a2 = strlen(v) + 1;
        memcpy(at, nm, a1);
        labels[i].name = at;
        at += a1;
        memcpy(at, v, a2);
        labels[i].value = at;
        at += a2;
    }
    s->labels = labels;
    s->nlabels = nl;
    s->block = block;
    if (!promc__mp_table_put(&f->series, key.p, s)) {
        free_series(s);
        promc__free(key.p);
        a->oom = true;
        return NULL;
    }
    return s;
}

static bool ends_with(const char *s, const char *base, const char *suffix)
{
    size_t bl = strlen(base);
    return strncmp(s, base, bl) == 0 && strcmp(s + bl, suffix) == 0;
}

static void add_bucket(struct agg *a, struct series *s, double bound, double v)
{
    for (size_t i = 0; i < s->nb; i++)
        if (s->bounds[i] == bound) {
            s->counts[i] += v;
            return;
        }
    double *b = promc__realloc(s->bounds, (s->nb + 1) * sizeof *b);
    if (!b) {
        a->oom = true;
        return;
    }
    s->bounds = b;
    double *c = promc__realloc(s->counts, (s->nb + 1) * sizeof *c);
    if (!c) {
        a->oom = true;
        return;
    }
    s->counts = c;
    s->bounds[s->nb] = bound;
    s->counts[s->nb++] = v;
}

static void merge_item(struct agg *a, const struct fname *fn, struct item *it, const char **bad)
{
    struct promc__mp_parsed *k = &it->k;
    struct family *f = family_for(a, k, fn, bad);
    if (!f)
        return;
    promc_label *ls = k->labels;
    size_t n = k->nlabels;
    qsort(ls, n, sizeof *ls, cmp_label);
    const char *le = NULL;
    if (f->type == F_HISTOGRAM)
        for (size_t i = 0; i < n; i++)
            if (strcmp(ls[i].name, "le") == 0) {
                le = ls[i].value;
                memmove(&ls[i], &ls[i + 1], (n - i - 1) * sizeof *ls);
                n--;
                break;
            }
    switch (f->type) {
    case F_COUNTER:
    case F_SUMMARY: {
        bool is_count = f->type == F_SUMMARY && ends_with(k->sample, f->name, "_count");
        struct series *s = series_for(a, f, "", ls, n, NULL);
        if (!s)
            return;
        if (is_count)
            s->count += it->value;
        else if (ends_with(k->sample, f->name, f->type == F_COUNTER ? "_total" : "_sum"))
            s->value += it->value;
        return;
    }
    case F_GAUGE: {
        bool keep_pid = f->mode == PROMC_MP_ALL || f->mode == PROMC_MP_LIVEALL;
        bool recent = promc__mp_mode_recent((promc_mp_mode)f->mode);
        bool fresh = false;
        /* As client_python: a value never set (timestamp 0, or a file in
         * the value layout) is no candidate for the most recent. */
        if (recent && !(it->timestamp > 0))
            return;
        struct series *s = series_for(a, f, k->sample, ls, n, keep_pid ? fn->pid : NULL);
        if (!s)
            return;
        fresh = s->count == 0;
        s->count = 1; /* seen */
        double v = it->value;
        switch (f->mode) {
        case PROMC_MP_MIN:
        case PROMC_MP_LIVEMIN:
            s->value = fresh || v < s->value ? v : s->value;
            break;
        case PROMC_MP_MAX:
        case PROMC_MP_LIVEMAX:
            s->value = fresh || v > s->value ? v : s->value;
            break;
        case PROMC_MP_SUM:
        case PROMC_MP_LIVESUM:
            s->value += v;
            break;
        case PROMC_MP_MOSTRECENT:
        case PROMC_MP_LIVEMOSTRECENT:
            if (fresh || it->timestamp > s->stamp) {
                s->value = v;
                s->stamp = it->timestamp;
            }
            break;
        default:
            s->value = v;
            break;
        }
        return;
    }
    case F_HISTOGRAM: {
        struct series *s = series_for(a, f, "", ls, n, NULL);
        if (!s)
            return;
        if (le && ends_with(k->sample, f->name, "_bucket")) {
            char *end;
            double bound = strtod(le, &end);
            if (*end == '\0' && end != le && bound == bound)
                add_bucket(a, s, bound, it->value);
        } else if (!le && ends_with(k->sample, f->name, "_sum")) {
            s->value += it->value;
        }
        return;
    }
    }
}

/* Why an entry of a file of type fn cannot be served (NULL when it can):
 * what the emitter would refuse, which would fail the whole scrape. */
static const char *bad_item(const struct agg *a, const struct fname *fn, struct item *it)
{
    static const char *const types[] = {"counter", "gauge", "histogram", "summary"};
    bool pid = fn->type == F_GAUGE && (fn->mode == PROMC_MP_ALL || fn->mode == PROMC_MP_LIVEALL);
    return promc__mp_key_unservable(&it->k, it->value, types[fn->type], pid, a->utf8);
}

/* Reads one file into the aggregate, or refuses it whole. */
static void read_file(struct agg *a, const char *dir, const char *name)
{
    struct fname fn;
    if (!promc__valid_utf8(name, strlen(name))) { /* a gauge's pid label would not be */
        refuse(a, name, "its name is not UTF-8");
        return;
    }
    if (!parse_name(name, &fn)) {
        refuse(a, name, "not a multi-process file name (<type>_<pid>.db)");
        return;
    }
    size_t pl = strlen(dir) + strlen(name) + 2;
    char *path = promc__malloc(pl);
    if (!path) {
        a->oom = true;
        return;
    }
    snprintf(path, pl, "%s/%s", dir, name);
    struct file_read fr = {0};
    const char *reason = NULL;
    int rc = promc__mp_file_read(path, collect_entry, &fr, NULL, &reason);
    promc__free(path);
    if (rc == 0) {
        const char *bad = NULL;
        for (size_t i = 0; i < fr.n && !bad; i++)
            bad = bad_item(a, &fn, &fr.items[i]);
        for (size_t i = 0; i < fr.n && !bad; i++)
            merge_item(a, &fn, &fr.items[i], &bad);
        if (bad)
            refuse(a, name, bad);
    } else if (rc != ENOENT) { /* a live gauge file removed meanwhile: fine */
        if (fr.oom)
            a->oom = true;
        else
            refuse(a, name,
                   fr.bad_key ? "a key is not client_python's [metric, sample, {labels}, help] "
                                "JSON (not a multi-process file)"
                              : reason);
    }
    for (size_t i = 0; i < fr.n; i++)
        promc__free(fr.items[i].k.block);
    promc__free(fr.items);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the directory into a. Returns false when it cannot be listed. */
static bool read_dir(struct agg *a, const char *dir)
{
    int lock = promc__mp_dir_lock(dir, false);
    DIR *d = opendir(dir);
    if (!d) {
        promc__mp_dir_unlock(lock);
        return false;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 4 || strcmp(de->d_name + l - 3, ".db") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = promc__realloc(names, cap * sizeof *nn);
            if (!nn) {
                a->oom = true;
                break;
            }
            names = nn;
        }
        if (!(names[n] = promc__strdup(de->d_name))) {
            a->oom = true;
            break;
        }
        n++;
    }
    closedir(d);
    if (n) /* names is NULL for a directory without files */
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && !a->oom; i++)
        read_file(a, dir, names[i]);
    promc__mp_dir_unlock(lock);
    promc__free_strings(names, n);
    return true;
}

/* ===================================================================== */
/* Emitting                                                               */
/* ===================================================================== */

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct promc__mp_table_entry *)a)->key,
                  ((const struct promc__mp_table_entry *)b)->key);
}

/* The table's entries in key order (caller frees; NULL when empty/oom). */
static struct promc__mp_table_entry *sorted_entries(const struct promc__mp_table *t, size_t *n)
{
    *n = 0;
    struct promc__mp_table_entry *e = promc__malloc((t->n + 1) * sizeof *e);
    if (!e)
        return NULL;
    for (size_t i = 0; i < t->size; i++)
        if (t->e[i].key)
            e[(*n)++] = t->e[i];
    qsort(e, *n, sizeof *e, cmp_entry);
    return e;
}

static uint64_t as_count(double v)
{
    if (!(v > 0))
        return 0;
    /* 2^64 and more (a file's huge or infinite count) cannot convert. */
    return v + 0.5 >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)(v + 0.5);
}

static int emit_histogram(promc_emitter *e, struct series *s)
{
    /* Sort buckets by bound, accumulate; +Inf becomes the count. */
    for (size_t i = 1; i < s->nb; i++)
        for (size_t j = i; j > 0 && s->bounds[j - 1] > s->bounds[j]; j--) {
            double t = s->bounds[j];
            s->bounds[j] = s->bounds[j - 1];
            s->bounds[j - 1] = t;
            t = s->counts[j];
            s->counts[j] = s->counts[j - 1];
            s->counts[j - 1] = t;
        }
    double *bounds = promc__malloc((s->nb + 1) * sizeof *bounds);
    uint64_t *cum = promc__malloc((s->nb + 1) * sizeof *cum);
    if (!bounds || !cum) {
        promc__free(bounds);
        promc__free(cum);
        return PROMC_ENOMEM;
    }
    size_t nf = 0;
    double acc = 0;
    for (size_t i = 0; i < s->nb; i++) {
        acc += s->counts[i];
        if (s->bounds[i] != INFINITY) {
            bounds[nf] = s->bounds[i];
            cum[nf++] = as_count(acc);
        }
    }
    int rc =
        promc_emit_histogram(e, s->labels, s->nlabels, bounds, cum, nf, as_count(acc), s->value);
    promc__free(bounds);
    promc__free(cum);
    return rc;
}

static int emit_all(promc_emitter *e, struct agg *a)
{
    static const promc_type types[] = {PROMC_COUNTER, PROMC_GAUGE, PROMC_HISTOGRAM, PROMC_SUMMARY};
    size_t nf;
    struct promc__mp_table_entry *fams = sorted_entries(&a->families, &nf);
    if (!fams)
        return PROMC_ENOMEM;
    int rc = PROMC_OK;
    for (size_t i = 0; i < nf; i++) {
        struct family *f = fams[i].value;
        int r = promc_emit_family(e, f->name, f->help, types[f->type], NULL);
        if (r != PROMC_OK) {
            rc = rc ? rc : r;
            continue;
        }
        size_t ns;
        struct promc__mp_table_entry *ss = sorted_entries(&f->series, &ns);
        if (!ss) {
            rc = PROMC_ENOMEM;
            break;
        }
        for (size_t j = 0; j < ns; j++) {
            struct series *s = ss[j].value;
            switch (f->type) {
            case F_COUNTER:
            case F_GAUGE:
                r = promc_emit_sample(e, s->labels, s->nlabels, s->value);
                break;
            case F_HISTOGRAM:
                r = emit_histogram(e, s);
                break;
            case F_SUMMARY:
                r = promc_emit_summary(e, s->labels, s->nlabels, NULL, NULL, 0, as_count(s->count),
                                       s->value);
                break;
            }
            rc = rc ? rc : r;
        }
        promc__free(ss);
    }
    promc__free(fams);
    if (a->nrefused) {
        int r = promc_emit_family(e, "promc_multiprocess_refused_files",
                                  "Files of the multi-process directory left out of the "
                                  "aggregate, with the reason.",
                                  PROMC_GAUGE, NULL);
        for (size_t i = 0; r == PROMC_OK && i < a->nrefused; i++) {
            promc_label l[] = {{"file", a->refused[i].file}, {"reason", a->refused[i].reason}};
            r = promc_emit_sample(e, l, 2, 1);
        }
        rc = rc ? rc : r;
    }
    return rc;
}

static int collect(promc_emitter *e, void *userdata)
{
    const char *dir = userdata;
    struct agg a = {0};
    a.utf8 = promc__emitter_utf8(e);
    int rc = read_dir(&a, dir) ? PROMC_OK : PROMC_EIO;
    if (rc == PROMC_OK && a.oom)
        rc = PROMC_ENOMEM;
    if (rc == PROMC_OK)
        rc = emit_all(e, &a);
    agg_free(&a);
    return rc;
}

/* The directory a NULL dir means (a copy), or NULL with the error. */
char *promc__mp_resolve_dir(const char *dir)
{
    char *d = dir ? promc__strdup(dir) : promc__mp_dir();
    if (!d && !dir) {
        const char *env = getenv("PROMETHEUS_MULTIPROC_DIR");
        if (!env || !*env)
            return promc__fail_null(PROMC_EINVAL, "no multi-process directory: none given, "
                                                  "multi-process mode off and "
                                                  "PROMETHEUS_MULTIPROC_DIR not set");
        d = promc__strdup(env);
    }
    if (!d)
        return promc__fail_null(PROMC_ENOMEM, "out of memory");
    struct stat st;
    if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) {
        promc__fail(PROMC_EINVAL, "multi-process directory \"%s\" is not a directory", d);
        promc__free(d);
        return NULL;
    }
    return d;
}

promc_metric *promc_multiprocess_collector_new(promc_registry *reg, const char *dir)
{
    char *d = promc__mp_resolve_dir(dir);
    if (!d)
        return NULL;
    promc_collector_opts opts = {.name = "multiprocess"};
    promc_metric *m = promc_collector_new_opts(reg, collect, d, promc__free, NULL, &opts);
    if (!m)
        promc__free(d);
    return m;
}
