/*
 * Multi-process mode, the writing side: the process-wide state chosen by
 * promc_multiprocess_init, the series handles and their hot paths, and the
 * fork() handlers that give every child files of its own. Each process
 * writes only its own files (mp_file.c); threads of a process update a
 * cell with a CAS on its 64-bit pattern, so the hot paths take no lock and
 * allocate nothing.
 */
#define _DEFAULT_SOURCE /* DT_* */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "mp.h"
#include "mp_file.h"
#include "mp_key.h"
#include "mp_table.h"

struct promc_mp_counter {
    _Atomic uint64_t *cell;
};

struct promc_mp_gauge {
    _Atomic uint64_t *cell;
    _Atomic uint64_t *stamp; /* mostrecent modes: the timestamp beside the value */
};

struct promc_mp_summary {
    _Atomic uint64_t *count, *sum;
};

struct promc_mp_histogram {
    size_t nbuckets; /* the +Inf one included */
    const double *bounds;
    _Atomic uint64_t **buckets;
    _Atomic uint64_t *sum;
};

/* The family a name belongs to in this process: everything that must be
 * the same for every series of it. */
struct family {
    char *name;
    char *signature; /* type, help, mode, label names, bounds as text */
};

#define NFILES 13 /* counter, histogram, summary, 10 gauge modes */

static pthread_mutex_t mp_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    bool on;
    bool atfork_registered;
    char *dir;
    char id[32];
    unsigned layout; /* PROMC__MP_VALUE or PROMC__MP_STAMPED */
    struct promc__mp_file *files[NFILES];
    struct promc__mp_table families, series;
    long fork_failures; /* children that kept writing into their parent's files */
} mp;

static const char *const mode_names[] = {"all",        "liveall",       "min", "livemin",
                                         "max",        "livemax",       "sum", "livesum",
                                         "mostrecent", "livemostrecent"};

const char *promc__mp_mode_name(promc_mp_mode mode)
{
    if ((unsigned)mode >= sizeof mode_names / sizeof *mode_names)
        return NULL;
    return mode_names[mode];
}

bool promc__mp_mode_recent(promc_mp_mode mode)
{
    return mode == PROMC_MP_MOSTRECENT || mode == PROMC_MP_LIVEMOSTRECENT;
}

char *promc__mp_dir(void)
{
    pthread_mutex_lock(&mp_lock);
    char *d = mp.on ? promc__strdup(mp.dir) : NULL;
    pthread_mutex_unlock(&mp_lock);
    return d;
}

static void free_family(void *p)
{
    struct family *f = p;
    promc__free(f->name);
    promc__free(f->signature);
    promc__free(f);
}

/* ===================================================================== */
/* fork()                                                                 */
/* ===================================================================== */

static void atfork_prepare(void)
{
    pthread_mutex_lock(&mp_lock);
}

static void atfork_parent(void)
{
    pthread_mutex_unlock(&mp_lock);
}

/* The child's cells become its own before fork() returns in it: the same
 * entries at the same addresses, in files named after its pid, values
 * zero (as client_python's reset after a pid change). No allocation, only
 * system calls: the parent may have had other threads. */
static void atfork_child(void)
{
    if (mp.on) {
        long pid = (long)getpid();
        char *p = mp.id;
        char digits[24];
        int n = 0;
        do
            digits[n++] = (char)('0' + pid % 10);
        while (pid /= 10);
        while (n > 0)
            *p++ = digits[--n];
        *p = '\0';
        for (int i = 0; i < NFILES; i++)
            if (mp.files[i] && !promc__mp_file_fork_child(mp.files[i], (long)getpid()))
                mp.fork_failures++;
    }
    pthread_mutex_unlock(&mp_lock);
}

/* ===================================================================== */
/* Setup                                                                  */
/* ===================================================================== */

static bool valid_id(const char *id)
{
    if (!*id || strlen(id) >= sizeof mp.id)
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              *p == '-' || *p == '.'))
            return false;
    return strcmp(id, "compacted") != 0;
}

/* Refuses (stops the read of) a file whose keys are not JSON lists:
 * garbage does not decide a directory's layout. */
static int key_shaped(void *ctx, const struct promc__mp_entry *e)
{
    (void)ctx;
    return e->key_len >= 2 && e->key[0] == '[' && e->key[e->key_len - 1] == ']' ? 0 : -1;
}

/* The layout of the valid files already in dir: PROMC__MP_VALUE or
 * PROMC__MP_STAMPED, 0 when no file has entries, or -1 with the error
 * recorded when files of both layouts are there (no reader of
 * client_python reads such a directory). */
static int layout_in(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return promc__fail(PROMC_EINVAL, "cannot list multi-process directory \"%s\": %s", dir,
                           strerror(errno));
    char *first[2] = {NULL, NULL}; /* a file of each layout */
    struct dirent *de;
    char path[4096];
    while ((de = readdir(d)) && !(first[0] && first[1])) {
        size_t n = strlen(de->d_name);
        if (de->d_name[0] == '.' || n < 4 || strcmp(de->d_name + n - 3, ".db") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        unsigned got = 0;
        const char *reason;
        if (promc__mp_file_read(path, key_shaped, NULL, &got, &reason) == 0 && got) {
            int i = got == PROMC__MP_STAMPED;
            if (!first[i] && !(first[i] = promc__strdup(de->d_name))) {
                closedir(d);
                promc__free(first[1 - i]);
                return promc__fail(PROMC_ENOMEM, "out of memory");
            }
        }
    }
    closedir(d);
    int rc = first[1] ? PROMC__MP_STAMPED : first[0] ? PROMC__MP_VALUE : 0;
    if (first[0] && first[1])
        rc = promc__fail(PROMC_EINVAL,
                         "multi-process directory \"%s\" holds files of both layouts (\"%s\": a "
                         "value per entry, client_python before 0.18; \"%s\": a value and a "
                         "timestamp, 0.18 and later), which no client_python reads; empty it",
                         dir, first[0], first[1]);
    promc__free(first[0]);
    promc__free(first[1]);
    return rc;
}

int promc_multiprocess_init(const char *dir, const char *process_id)
{
    return promc_multiprocess_init_layout(dir, process_id, PROMC_MP_LAYOUT_AUTO);
}

int promc_multiprocess_init_layout(const char *dir, const char *process_id, promc_mp_layout layout)
{
    if ((unsigned)layout > PROMC_MP_LAYOUT_TIMESTAMPED)
        return promc__fail(PROMC_EINVAL, "invalid multi-process layout %d", (int)layout);
    const char *source = "the directory argument";
    if (!dir) {
        dir = getenv("PROMETHEUS_MULTIPROC_DIR");
        source = "PROMETHEUS_MULTIPROC_DIR";
        if (!dir || !*dir)
            return promc__fail(PROMC_EINVAL, "multi-process mode needs a directory: none given "
                                             "and PROMETHEUS_MULTIPROC_DIR is not set");
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK) != 0)
        return promc__fail(PROMC_EINVAL,
                           "multi-process directory \"%s\" (from %s) is not a writable directory",
                           dir, source);
    if (process_id && !valid_id(process_id))
        return promc__fail(PROMC_EINVAL,
                           "invalid process id \"%s\": 1 to 31 of [A-Za-z0-9.-], not \"compacted\"",
                           process_id);
    int found = layout_in(dir);
    if (found < 0)
        return promc_last_error_code();
    unsigned want = layout == PROMC_MP_LAYOUT_VALUE         ? PROMC__MP_VALUE
                    : layout == PROMC_MP_LAYOUT_TIMESTAMPED ? PROMC__MP_STAMPED
                    : found                                 ? (unsigned)found
                                                            : PROMC__MP_VALUE;
    if (found && (unsigned)found != want)
        return promc__fail(PROMC_EINVAL,
                           "multi-process directory \"%s\" holds files in %s layout, not the one "
                           "asked for: readers of client_python cannot read a directory of both",
                           dir,
                           found == PROMC__MP_STAMPED
                               ? "the timestamped (client_python 0.18 and later)"
                               : "the value (client_python before 0.18)");
    char *copy = promc__strdup(dir);
    if (!copy)
        return promc__fail(PROMC_ENOMEM, "out of memory");
    pthread_mutex_lock(&mp_lock);
    if (mp.on) {
        pthread_mutex_unlock(&mp_lock);
        promc__free(copy);
        return promc__fail(PROMC_ESTATE, "multi-process mode is already on (directory \"%s\")",
                           mp.dir);
    }
    if (!mp.atfork_registered) {
        if (pthread_atfork(atfork_prepare, atfork_parent, atfork_child) != 0) {
            pthread_mutex_unlock(&mp_lock);
            promc__free(copy);
            return promc__fail(PROMC_ENOMEM, "out of memory (pthread_atfork)");
        }
        mp.atfork_registered = true;
    }
    mp.dir = copy;
    mp.layout = want;
    if (process_id)
        snprintf(mp.id, sizeof mp.id, "%s", process_id);
    else
        snprintf(mp.id, sizeof mp.id, "%ld", (long)getpid());
    mp.on = true;
    pthread_mutex_unlock(&mp_lock);
    return promc__ok();
}

/* The series handles of modes shut down: kept, and reachable from here, so
 * that a handle (or a shared family's series) used after
 * promc_multiprocess_shutdown writes into memory of this process instead of
 * an unmapped file or a freed handle. A few words per series, for the
 * process's life. */
struct retired {
    struct retired *next;
    struct promc__mp_table series;
};
static struct retired *retired;

void promc_multiprocess_shutdown(void)
{
    pthread_mutex_lock(&mp_lock);
    for (int i = 0; i < NFILES; i++) {
        promc__mp_file_retire(mp.files[i]);
        mp.files[i] = NULL;
    }
    promc__mp_table_free(&mp.families, free_family);
    struct retired *r = mp.series.n ? promc__malloc(sizeof *r) : NULL;
    if (r) {
        r->series = mp.series;
        r->next = retired;
        retired = r;
        mp.series = (struct promc__mp_table){0};
    }
    promc__mp_table_free(&mp.series, promc__free); /* empty, or out of memory */
    promc__free(mp.dir);
    mp.dir = NULL;
    mp.on = false;
    pthread_mutex_unlock(&mp_lock);
}

static _Thread_local int private_depth;

void promc__mp_private(bool on)
{
    private_depth += on ? 1 : -1;
}

bool promc__mp_active(void)
{
    if (private_depth > 0)
        return false;
    pthread_mutex_lock(&mp_lock);
    bool on = mp.on;
    pthread_mutex_unlock(&mp_lock);
    return on;
}

long promc_multiprocess_fork_failures(void)
{
    pthread_mutex_lock(&mp_lock);
    long n = mp.fork_failures;
    pthread_mutex_unlock(&mp_lock);
    return n;
}

/* ===================================================================== */
/* Creating series                                                        */
/* ===================================================================== */

enum kind { K_COUNTER, K_GAUGE, K_HISTOGRAM, K_SUMMARY };
static const char *const kind_names[] = {"counter", "gauge", "histogram", "summary"};

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const promc_label *)a)->name, ((const promc_label *)b)->name);
}

/* The file of a kind (and gauge mode), opened on first use. mp_lock held. */
static struct promc__mp_file *file_for(enum kind k, promc_mp_mode mode)
{
    int slot = k == K_GAUGE ? 3 + (int)mode : (int)(k == K_COUNTER ? 0 : k == K_HISTOGRAM ? 1 : 2);
    if (!mp.files[slot]) {
        char prefix[32];
        if (k == K_GAUGE)
            snprintf(prefix, sizeof prefix, "gauge_%s", mode_names[mode]);
        else
            snprintf(prefix, sizeof prefix, "%s", kind_names[k]);
        mp.files[slot] = promc__mp_file_open(mp.dir, prefix, mp.id, mp.layout);
    }
    return mp.files[slot];
}

struct request {
    enum kind kind;
    const char *what; /* "counter", ... for messages */
    const char *name, *help;
    promc_mp_mode mode;
    const promc_label *labels;
    size_t nlabels;
    const double *bounds;
    size_t nbounds;
};

/* Validates a request; the sorted labels go to *sorted (caller frees). */
static int check(const struct request *r, promc_label **sorted)
{
    *sorted = NULL;
    if (!r->name || !promc__valid_metric_name(r->name))
        return promc__fail(PROMC_EINVAL, "invalid %s name \"%s\"", r->what,
                           r->name ? r->name : "(null)");
    if (!r->help || !promc__valid_utf8(r->help, strlen(r->help)))
        return promc__fail(PROMC_EINVAL, "%s \"%s\": help is NULL or not UTF-8", r->what, r->name);
    if (r->nlabels && !r->labels)
        return promc__fail(PROMC_EINVAL, "%s \"%s\": labels NULL with nlabels %zu", r->what,
                           r->name, r->nlabels);
    if (r->kind == K_GAUGE && !promc__mp_mode_name(r->mode))
        return promc__fail(PROMC_EINVAL, "gauge \"%s\": invalid multi-process mode %d", r->name,
                           (int)r->mode);
    for (size_t i = 0; i < r->nlabels; i++) {
        const promc_label *l = &r->labels[i];
        if (!l->name || !promc__valid_label_name(l->name))
            return promc__fail(PROMC_EINVAL, "%s \"%s\": invalid label name \"%s\"", r->what,
                               r->name, l->name ? l->name : "(null)");
        if (r->kind == K_HISTOGRAM && strcmp(l->name, "le") == 0)
            return promc__fail(PROMC_EINVAL, "histogram \"%s\": label name \"le\" is reserved",
                               r->name);
        if ((r->kind == K_GAUGE && strcmp(l->name, "pid") == 0))
            return promc__fail(PROMC_EINVAL,
                               "gauge \"%s\": label name \"pid\" is reserved in multi-process mode",
                               r->name);
        if (!l->value || !promc__valid_utf8(l->value, strlen(l->value)))
            return promc__fail(PROMC_EINVAL,
                               "%s \"%s\": value of label \"%s\" is NULL or not UTF-8", r->what,
                               r->name, l->name);
    }
    if (r->kind == K_HISTOGRAM) {
        if (!r->bounds || r->nbounds == 0)
            return promc__fail(PROMC_EINVAL, "histogram \"%s\": no bucket bounds", r->name);
        for (size_t i = 0; i < r->nbounds; i++)
            if (!isfinite(r->bounds[i]) || (i && !(r->bounds[i] > r->bounds[i - 1])))
                return promc__fail(PROMC_EINVAL,
                                   "histogram \"%s\": bounds must be finite and increasing",
                                   r->name);
    }
    promc_label *s = promc__malloc((r->nlabels + 1) * sizeof *s);
    if (!s)
        return promc__fail(PROMC_ENOMEM, "out of memory");
    if (r->nlabels)
        memcpy(s, r->labels, r->nlabels * sizeof *s);
    qsort(s, r->nlabels, sizeof *s, cmp_label);
    for (size_t i = 1; i < r->nlabels; i++)
        if (strcmp(s[i].name, s[i - 1].name) == 0) {
            promc__fail(PROMC_EINVAL, "%s \"%s\": label \"%s\" given twice", r->what, r->name,
                        s[i].name);
            promc__free(s);
            return PROMC_EINVAL;
        }
    *sorted = s;
    return PROMC_OK;
}

/* The metric name a family is stored under: a counter's without _total,
 * as client_python stores it. */
static size_t base_len(const struct request *r)
{
    size_t n = strlen(r->name);
    if (r->kind == K_COUNTER && n > 6 && strcmp(r->name + n - 6, "_total") == 0)
        n -= 6;
    return n;
}

/* Checks the family against what this process created under the name
 * before, or records it. mp_lock held. */
static int family_check(const struct request *r, const char *metric, const promc_label *sorted)
{
    struct promc__buf sig = {0};
    char num[40];
    promc__buf_str(&sig, kind_names[r->kind]);
    promc__buf_put(&sig, "\n", 1);
    promc__buf_str(&sig, r->help);
    promc__buf_put(&sig, "\n", 1);
    if (r->kind == K_GAUGE)
        promc__buf_str(&sig, mode_names[r->mode]);
    for (size_t i = 0; i < r->nlabels; i++) {
        promc__buf_put(&sig, "\n", 1);
        promc__buf_str(&sig, sorted[i].name);
    }
    promc__buf_put(&sig, "\n", 1);
    for (size_t i = 0; i < r->nbounds; i++) {
        promc__mp_float_text(r->bounds[i], num);
        promc__buf_str(&sig, num);
        promc__buf_put(&sig, ",", 1);
    }
    if (sig.oom) {
        promc__free(sig.p);
        return promc__fail(PROMC_ENOMEM, "out of memory");
    }
    struct family *f = promc__mp_table_get(&mp.families, metric);
    if (f) {
        bool same = strcmp(f->signature, sig.p) == 0;
        promc__free(sig.p);
        if (!same)
            return promc__fail(PROMC_EEXIST,
                               "multi-process metric \"%s\" exists with another type, help, mode, "
                               "label names or buckets",
                               metric);
        return PROMC_OK;
    }
    f = promc__calloc(1, sizeof *f);
    char *key = promc__strdup(metric);
    if (f) {
        f->name = promc__strdup(metric);
        f->signature = sig.p;
    }
    if (!f || !key || !f->name || !promc__mp_table_put(&mp.families, key, f)) {
        promc__free(key);
        if (f)
            free_family(f);
        else
            promc__free(sig.p);
        return promc__fail(PROMC_ENOMEM, "out of memory");
    }
    return PROMC_OK;
}

/* The cell of one sample of the series (labels sorted, plus le when set). */
static _Atomic uint64_t *cell_of(struct promc__mp_file *f, const char *metric, const char *sample,
                                 const promc_label *sorted, size_t n, const char *le,
                                 const char *help)
{
    promc_label *ls = (promc_label *)sorted;
    promc_label tmp[1];
    promc_label *with = NULL;
    if (le) {
        with = promc__malloc((n + 1) * sizeof *with);
        if (!with)
            return promc__fail_null(PROMC_ENOMEM, "out of memory");
        tmp[0] = (promc_label){"le", le};
        size_t j = 0, at = 0;
        for (; j < n && strcmp(sorted[j].name, "le") < 0; j++)
            with[at++] = sorted[j];
        with[at++] = tmp[0];
        for (; j < n; j++)
            with[at++] = sorted[j];
        ls = with;
        n++;
    }
    struct promc__buf key = {0};
    promc__mp_key(&key, metric, sample, ls, n, help);
    promc__free(with);
    if (key.oom) {
        promc__free(key.p);
        return promc__fail_null(PROMC_ENOMEM, "out of memory");
    }
    _Atomic uint64_t *cell = promc__mp_file_cell(f, key.p, key.len);
    promc__free(key.p);
    return cell;
}

/* Creates (or finds) a series; mp_lock held. */
static void *create(const struct request *r, const promc_label *sorted, const char *metric)
{
    struct promc__buf skey = {0};
    promc__buf_str(&skey, kind_names[r->kind]);
    promc__buf_put(&skey, "\n", 1);
    promc__mp_key(&skey, metric, "", sorted, r->nlabels, r->help);
    if (skey.oom) {
        promc__free(skey.p);
        return promc__fail_null(PROMC_ENOMEM, "out of memory");
    }
    void *found = promc__mp_table_get(&mp.series, skey.p);
    if (found) {
        promc__free(skey.p);
        return found;
    }
    struct promc__mp_file *f = file_for(r->kind, r->mode);
    if (!f) {
        promc__free(skey.p);
        return NULL;
    }
    void *h = NULL;
    struct promc__buf sample = {0};
    promc__buf_str(&sample, metric);
    size_t mlen = sample.len;
    bool ok = false;
    switch (r->kind) {
    case K_COUNTER: {
        struct promc_mp_counter *c = h = promc__calloc(1, sizeof *c);
        promc__buf_str(&sample, "_total");
        ok = c && !sample.oom &&
             (c->cell = cell_of(f, metric, sample.p, sorted, r->nlabels, NULL, r->help));
        break;
    }
    case K_GAUGE: {
        struct promc_mp_gauge *g = h = promc__calloc(1, sizeof *g);
        ok = g && !sample.oom &&
             (g->cell = cell_of(f, metric, metric, sorted, r->nlabels, NULL, r->help));
        if (ok && promc__mp_mode_recent(r->mode))
            g->stamp = g->cell + 1; /* the stamped layout: checked in series_new */
        break;
    }
    case K_SUMMARY: {
        struct promc_mp_summary *s = h = promc__calloc(1, sizeof *s);
        promc__buf_str(&sample, "_count");
        ok = s && !sample.oom &&
             (s->count = cell_of(f, metric, sample.p, sorted, r->nlabels, NULL, r->help));
        sample.len = mlen;
        promc__buf_str(&sample, "_sum");
        ok = ok && !sample.oom &&
             (s->sum = cell_of(f, metric, sample.p, sorted, r->nlabels, NULL, r->help));
        break;
    }
    case K_HISTOGRAM: {
        size_t nb = r->nbounds + 1;
        struct promc_mp_histogram *hg = h =
            promc__calloc(1, sizeof *hg + nb * sizeof(double) + nb * sizeof(void *));
        if (!hg)
            break;
        double *bounds = (double *)(void *)(hg + 1);
        hg->buckets = (_Atomic uint64_t **)(void *)(bounds + nb);
        hg->bounds = bounds;
        hg->nbuckets = nb;
        for (size_t i = 0; i < r->nbounds; i++)
            bounds[i] = r->bounds[i];
        bounds[nb - 1] = INFINITY;
        promc__buf_str(&sample, "_sum");
        ok = !sample.oom &&
             (hg->sum = cell_of(f, metric, sample.p, sorted, r->nlabels, NULL, r->help));
        sample.len = mlen;
        promc__buf_str(&sample, "_bucket");
        for (size_t i = 0; ok && i < nb; i++) {
            char le[40];
            promc__mp_float_text(bounds[i], le);
            ok = !sample.oom &&
                 (hg->buckets[i] = cell_of(f, metric, sample.p, sorted, r->nlabels, le, r->help));
        }
        break;
    }
    }
    promc__free(sample.p);
    if (!ok || !promc__mp_table_put(&mp.series, skey.p, h)) {
        if (h && ok)
            promc__fail(PROMC_ENOMEM, "out of memory");
        else if (!h)
            promc__fail(PROMC_ENOMEM, "out of memory");
        promc__free(h);
        promc__free(skey.p);
        return NULL; /* entries written stay in the file, at zero: harmless */
    }
    return h;
}

static void *series_new(const struct request *r)
{
    promc_label *sorted;
    if (check(r, &sorted) != PROMC_OK)
        return NULL;
    char metric[512];
    size_t n = base_len(r);
    if (n >= sizeof metric) {
        promc__free(sorted);
        return promc__fail_null(PROMC_EINVAL, "%s name \"%s\" is too long (over 500 bytes)",
                                r->what, r->name);
    }
    memcpy(metric, r->name, n);
    metric[n] = '\0';
    pthread_mutex_lock(&mp_lock);
    void *h = NULL;
    if (!mp.on)
        promc__fail(PROMC_ESTATE,
                    "%s \"%s\": multi-process mode is off (call promc_multiprocess_init first)",
                    r->what, r->name);
    else if (r->kind == K_GAUGE && promc__mp_mode_recent(r->mode) && mp.layout != PROMC__MP_STAMPED)
        promc__fail(PROMC_EINVAL,
                    "gauge \"%s\": mode %s needs a timestamp per value, which the directory's "
                    "layout (client_python before 0.18) has not: turn the mode on with "
                    "promc_multiprocess_init_layout(..., PROMC_MP_LAYOUT_TIMESTAMPED)",
                    r->name, mode_names[r->mode]);
    else if (family_check(r, metric, sorted) == PROMC_OK)
        h = create(r, sorted, metric);
    pthread_mutex_unlock(&mp_lock);
    promc__free(sorted);
    if (h)
        promc__ok();
    return h;
}

promc_mp_counter *promc_mp_counter_new(const char *name, const char *help,
                                       const promc_label *labels, size_t nlabels)
{
    struct request r = {K_COUNTER, "counter", name, help, PROMC_MP_ALL, labels, nlabels, NULL, 0};
    return series_new(&r);
}

promc_mp_gauge *promc_mp_gauge_new(const char *name, const char *help, promc_mp_mode mode,
                                   const promc_label *labels, size_t nlabels)
{
    struct request r = {K_GAUGE, "gauge", name, help, mode, labels, nlabels, NULL, 0};
    return series_new(&r);
}

promc_mp_histogram *promc_mp_histogram_new(const char *name, const char *help, const double *bounds,
                                           size_t nbounds, const promc_label *labels,
                                           size_t nlabels)
{
    struct request r = {K_HISTOGRAM, "histogram", name,   help,   PROMC_MP_ALL,
                        labels,      nlabels,     bounds, nbounds};
    return series_new(&r);
}

promc_mp_summary *promc_mp_summary_new(const char *name, const char *help,
                                       const promc_label *labels, size_t nlabels)
{
    struct request r = {K_SUMMARY, "summary", name, help, PROMC_MP_ALL, labels, nlabels, NULL, 0};
    return series_new(&r);
}

/* ===================================================================== */
/* Hot paths                                                              */
/* ===================================================================== */

void promc_mp_counter_inc(promc_mp_counter *c)
{
    if (c)
        promc__atomic_add_double(c->cell, 1.0);
}

int promc_mp_counter_add(promc_mp_counter *c, double v)
{
    if (!(v >= 0))
        return promc__fail(PROMC_EINVAL, "counter increment %g is negative or NaN", v);
    if (c)
        promc__atomic_add_double(c->cell, v);
    return promc__ok();
}

/* A mostrecent gauge's value was just changed: its timestamp follows,
 * with release, so a reader that loads the timestamp first (acquire)
 * never pairs it with an older value (mp_file.c). */
static void stamp(promc_mp_gauge *g)
{
    if (g->stamp)
        atomic_store_explicit(g->stamp, promc__double_to_bits(promc__now()), memory_order_release);
}

void promc_mp_gauge_set(promc_mp_gauge *g, double v)
{
    if (!g)
        return;
    atomic_store_explicit(g->cell, promc__double_to_bits(v), memory_order_relaxed);
    stamp(g);
}

void promc_mp_gauge_add(promc_mp_gauge *g, double v)
{
    if (!g)
        return;
    promc__atomic_add_double(g->cell, v);
    stamp(g);
}

void promc_mp_histogram_observe(promc_mp_histogram *h, double v)
{
    if (!h)
        return;
    size_t lo = 0, hi = h->nbuckets - 1; /* the last bucket is +Inf */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v <= h->bounds[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    promc__atomic_add_double(h->buckets[lo], 1.0);
    promc__atomic_add_double(h->sum, v);
}

void promc_mp_summary_observe(promc_mp_summary *s, double v)
{
    if (!s)
        return;
    promc__atomic_add_double(s->count, 1.0);
    promc__atomic_add_double(s->sum, v);
}

double promc__mp_counter_value(const promc_mp_counter *c)
{
    return promc__bits_to_double(atomic_load_explicit(c->cell, memory_order_relaxed));
}

void promc__mp_counter_add(promc_mp_counter *c, double v)
{
    promc__atomic_add_double(c->cell, v);
}

double promc__mp_gauge_value(const promc_mp_gauge *g)
{
    return promc__bits_to_double(atomic_load_explicit(g->cell, memory_order_relaxed));
}
