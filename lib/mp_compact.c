/*
 * Multi-process mode, clean-up after a process exits: its live and
 * all-mode gauge files go (client_python's mark_process_dead removes the
 * live ones only), and its other files are
 * folded into one <type>_compacted.db per file type, so that a directory
 * of a server that restarts workers for months stays small. Under the
 * directory's exclusive lock (mp_file.h), the new compacted file is written
 * under a hidden name, renamed over the old one, and the dead process's
 * files are removed: a collector of this library (shared lock) sees the
 * directory before or after, never between.
 */
#define _DEFAULT_SOURCE /* DT_* */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "mp.h"
#include "mp_file.h"
#include "mp_key.h"
#include "mp_table.h"

/* How the values of one key from several files combine (RECENT: the one
 * with the latest timestamp). */
enum fold { FOLD_SUM, FOLD_MIN, FOLD_MAX, FOLD_RECENT };

struct merged {
    struct promc__mp_table values; /* key -> index into keys/vals */
    char **keys;
    double *vals, *stamps;
    size_t n, cap;
    unsigned layout; /* PROMC__MP_STAMPED once any file read is */
    enum fold fold;
    bool check;       /* check each key as the collector does */
    const char *type; /* counter, gauge, histogram, summary: for the check */
    bool bad_key;     /* one does not */
    bool oom;
};

static int merge_entry(void *ctx, const struct promc__mp_entry *e)
{
    struct merged *m = ctx;
    char *key = promc__malloc(e->key_len + 1);
    if (!key) {
        m->oom = true;
        return -1;
    }
    memcpy(key, e->key, e->key_len);
    key[e->key_len] = '\0';
    if (strlen(key) != e->key_len) { /* a NUL inside: not a key */
        promc__free(key);
        return -1;
    }
    if (m->check) {
        /* A key the collector refuses would have it refuse the compacted
         * file whole, with everything compacted into it before. */
        struct promc__mp_parsed k;
        bool oom;
        bool ok = promc__mp_parse_key(key, e->key_len, &k, &oom);
        /* Legacy names: a collector of either kind of registry serves them. */
        ok = ok && !promc__mp_key_unservable(&k, e->value, m->type, false, false);
        promc__free(k.block);
        if (!ok) {
            promc__free(key);
            m->oom = oom;
            m->bad_key = !oom;
            return -1;
        }
    }
    size_t *at = promc__mp_table_get(&m->values, key);
    if (at) {
        double *v = &m->vals[*at];
        switch (m->fold) {
        case FOLD_SUM:
            *v += e->value;
            break;
        case FOLD_MIN:
            *v = e->value < *v ? e->value : *v;
            break;
        case FOLD_MAX:
            *v = e->value > *v ? e->value : *v;
            break;
        case FOLD_RECENT:
            if (e->timestamp > m->stamps[*at]) {
                *v = e->value;
                m->stamps[*at] = e->timestamp;
            }
            break;
        }
        promc__free(key);
        return 0;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        char **k = promc__realloc(m->keys, cap * sizeof *k);
        if (k)
            m->keys = k;
        double *v = k ? promc__realloc(m->vals, cap * sizeof *v) : NULL;
        if (v)
            m->vals = v;
        double *t = v ? promc__realloc(m->stamps, cap * sizeof *t) : NULL;
        if (t)
            m->stamps = t;
        if (!k || !v || !t) {
            promc__free(key);
            m->oom = true;
            return -1;
        }
        m->cap = cap;
    }
    size_t *idx = promc__malloc(sizeof *idx);
    char *tkey = promc__strdup(key);
    if (!idx || !tkey || !promc__mp_table_put(&m->values, tkey, idx)) {
        promc__free(idx);
        promc__free(tkey);
        promc__free(key);
        m->oom = true;
        return -1;
    }
    *idx = m->n;
    m->keys[m->n] = key;
    /* As the collector: only a timestamp > 0 makes a value a candidate for
     * the most recent; any other (0, negative, NaN) counts as 0, so that a
     * later candidate replaces it (NaN would compare false for good). */
    m->stamps[m->n] = e->timestamp > 0 ? e->timestamp : 0;
    m->vals[m->n++] = e->value;
    return 0;
}

static void merged_free(struct merged *m)
{
    promc__mp_table_free(&m->values, promc__free);
    promc__free_strings(m->keys, m->n);
    promc__free(m->vals);
    promc__free(m->stamps);
}

/* Reads path into m (a missing file is nothing). PROMC_OK or the error. */
static int merge_file(struct merged *m, const char *path)
{
    const char *reason = NULL;
    /* Validate first, then merge: a bad file adds nothing. */
    struct merged probe = {.fold = m->fold, .check = true, .type = m->type};
    unsigned layout = 0;
    int rc = promc__mp_file_read(path, merge_entry, &probe, &layout, &reason);
    merged_free(&probe);
    if (rc == ENOENT)
        return PROMC_OK;
    if (rc != 0)
        return probe.oom
                   ? promc__fail(PROMC_ENOMEM, "out of memory")
                   : promc__fail(
                         PROMC_EIO, "cannot compact multi-process file \"%s\": %s", path,
                         reason ? reason
                         : probe.bad_key
                             ? "a key is not client_python's JSON, or no scrape could serve it"
                             : "a key holds a NUL byte");
    rc = promc__mp_file_read(path, merge_entry, m, NULL, &reason);
    if (rc == ENOENT)
        return PROMC_OK;
    if (layout == PROMC__MP_STAMPED)
        m->layout = PROMC__MP_STAMPED;
    if (rc != 0 || m->oom)
        return m->oom
                   ? promc__fail(PROMC_ENOMEM, "out of memory")
                   : promc__fail(PROMC_EIO, "multi-process file \"%s\" changed while read", path);
    return PROMC_OK;
}

/* Writes m as a multi-process file at path (via a hidden temporary). */
static int write_compacted(struct merged *m, const char *dir, const char *prefix)
{
    struct promc__buf b = {0};
    promc__buf_put(&b, "\0\0\0\0\0\0\0\0", 8);
    for (size_t i = 0; i < m->n; i++)
        promc__mp_buf_entry(&b, m->layout, m->keys[i], strlen(m->keys[i]), m->vals[i],
                            m->stamps[i]);
    if (b.oom || b.len > PROMC__MP_MAX_SIZE) {
        promc__free(b.p);
        return b.oom ? promc__fail(PROMC_ENOMEM, "out of memory")
                     : promc__fail(PROMC_ELIMIT, "compacted %s file would pass 1 GiB", prefix);
    }
    int32_t used = (int32_t)b.len;
    memcpy(b.p, &used, 4);
    size_t size = PROMC__MP_INITIAL_SIZE;
    while (size < b.len)
        size *= 2;
    char tmp[4096], fin[4096];
    snprintf(tmp, sizeof tmp, "%s/.%s_compacted.db.tmp", dir, prefix);
    snprintf(fin, sizeof fin, "%s/%s_compacted.db", dir, prefix);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err = fd < 0 ? errno : 0;
    size_t done = 0;
    while (!err && done < b.len) {
        ssize_t w = write(fd, b.p + done, b.len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            err = w < 0 ? errno : EIO;
        else
            done += (size_t)w;
    }
    promc__free(b.p);
    if (!err && (err = posix_fallocate(fd, 0, (off_t)size)) == 0 && fsync(fd) != 0)
        err = errno;
    if (fd >= 0 && close(fd) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, fin) != 0)
        err = errno;
    if (err) {
        unlink(tmp);
        return promc__fail(PROMC_EIO, "cannot write compacted file \"%s\": %s", fin, strerror(err));
    }
    return PROMC_OK;
}

/* Is s "<pid>.db", or "<pid>+<n>.db" (a file a child of fork() moved
 * aside when it reused the pid of a dead process)? A '+' is in no process
 * id: the files of process "w.3" are not taken for files of "w" kept
 * aside, as they were when those were named <pid>.<n>. */
static bool pid_part(const char *s, const char *pid)
{
    size_t il = strlen(pid);
    if (strncmp(s, pid, il) != 0)
        return false;
    const char *rest = s + il;
    if (strcmp(rest, ".db") == 0)
        return true;
    if (*rest != '+' || !(rest[1] >= '0' && rest[1] <= '9'))
        return false;
    for (rest++; *rest >= '0' && *rest <= '9'; rest++)
        ;
    return strcmp(rest, ".db") == 0;
}

/* Is name a file of type prefix of process pid? */
static bool file_of(const char *name, const char *prefix, const char *pid)
{
    size_t pl = strlen(prefix);
    return strncmp(name, prefix, pl) == 0 && name[pl] == '_' && pid_part(name + pl + 1, pid);
}

/* The names of the directory's files of process pid, of any type (the
 * part after the last '_': a pid has none), listed once for all types. */
struct listing {
    char **names;
    size_t n;
};

static int list_files_of(const char *dir, const char *pid, struct listing *l)
{
    l->names = NULL;
    l->n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return promc__fail(PROMC_EIO, "cannot list multi-process directory \"%s\": %s", dir,
                           strerror(errno));
    struct dirent *de;
    int rc = PROMC_OK;
    while ((de = readdir(d))) {
        const char *us = strrchr(de->d_name, '_');
        if (de->d_name[0] == '.' || !us || !pid_part(us + 1, pid))
            continue;
        char **nn = promc__realloc(l->names, (l->n + 1) * sizeof *nn);
        char *s = nn ? promc__strdup(de->d_name) : NULL;
        if (nn)
            l->names = nn;
        if (!s) {
            rc = promc__fail(PROMC_ENOMEM, "out of memory");
            break;
        }
        l->names[l->n++] = s;
    }
    closedir(d);
    return rc;
}

/* Removes the files of one type of the process (gauges whose value dies
 * with it). */
static int remove_files(const char *dir, const struct listing *l, const char *prefix,
                        const char *pid)
{
    char path[4096];
    for (size_t i = 0; i < l->n; i++) {
        if (!file_of(l->names[i], prefix, pid))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, l->names[i]);
        if (unlink(path) != 0 && errno != ENOENT)
            return promc__fail(PROMC_EIO, "cannot remove multi-process file \"%s\": %s", path,
                               strerror(errno));
    }
    return PROMC_OK;
}

/* Compacts one file type of one process. */
static int compact(const char *dir, const struct listing *l, const char *prefix, enum fold fold,
                   const char *pid)
{
    const char **names = promc__malloc((l->n + 1) * sizeof *names);
    if (!names)
        return promc__fail(PROMC_ENOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        if (file_of(l->names[i], prefix, pid))
            names[n++] = l->names[i];
    int rc = PROMC_OK;
    if (n == 0) {
        promc__free(names);
        return rc;
    }
    struct merged m = {.fold = fold,
                       .layout = PROMC__MP_VALUE,
                       .type = strncmp(prefix, "gauge", 5) == 0 ? "gauge" : prefix};
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_compacted.db", dir, prefix);
    rc = merge_file(&m, path);
    for (size_t i = 0; i < n && rc == PROMC_OK; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        rc = merge_file(&m, path);
    }
    if (rc == PROMC_OK)
        rc = write_compacted(&m, dir, prefix);
    for (size_t i = 0; i < n && rc == PROMC_OK; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    merged_free(&m);
    promc__free(names);
    return rc;
}

static bool valid_pid(const char *pid)
{
    if (!*pid || strlen(pid) > 31 || strcmp(pid, "compacted") == 0)
        return false;
    for (const char *p = pid; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              *p == '-' || *p == '.'))
            return false;
    return true;
}

int promc_multiprocess_mark_process_dead(const char *dir, const char *pid)
{
    if (!pid || !valid_pid(pid))
        return promc__fail(PROMC_EINVAL, "invalid process id \"%s\"", pid ? pid : "(null)");
    char *d = promc__mp_resolve_dir(dir);
    if (!d)
        return promc_last_error_code();
    if (strlen(d) > 3000) {
        promc__free(d);
        return promc__fail(PROMC_EINVAL, "multi-process directory name too long");
    }
    int lock = promc__mp_dir_lock(d, true);
    if (lock < 0) {
        int rc = promc__fail(PROMC_EIO, "cannot lock multi-process directory \"%s\": %s", d,
                             strerror(errno));
        promc__free(d);
        return rc;
    }
    /* Gauges whose value dies with the process: the live ones, as
     * client_python's mark_process_dead, and -- unlike it -- the all-mode
     * ones too, which it keeps forever under the dead pid: one file and
     * one series per restart, without bound (docs/MULTIPROCESS.md). */
    static const char *const gone[] = {"gauge_liveall", "gauge_livemin",        "gauge_livemax",
                                       "gauge_livesum", "gauge_livemostrecent", "gauge_all"};
    struct listing l;
    int rc = list_files_of(d, pid, &l);
    for (size_t i = 0; i < sizeof gone / sizeof *gone && rc == PROMC_OK; i++)
        rc = remove_files(d, &l, gone[i], pid);
    static const struct {
        const char *prefix;
        enum fold fold;
    } kinds[] = {{"counter", FOLD_SUM},
                 {"histogram", FOLD_SUM},
                 {"summary", FOLD_SUM},
                 {"gauge_sum", FOLD_SUM},
                 {"gauge_min", FOLD_MIN},
                 {"gauge_max", FOLD_MAX},
                 {"gauge_mostrecent", FOLD_RECENT}};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds && rc == PROMC_OK; i++)
        rc = compact(d, &l, kinds[i].prefix, kinds[i].fold, pid);
    promc__free_strings(l.names, l.n);
    promc__mp_dir_unlock(lock);
    promc__free(d);
    return rc == PROMC_OK ? promc__ok() : rc;
}
