/*
 * Multi-process files: one writer per file and process, any number of
 * readers (see mp_file.h for the layout and the rules).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE, before any header */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "mp_file.h"

struct promc__mp_file {
    char *path;   /* dir/<prefix>_<id>.db */
    char *dir;    /* dir/ (with the slash) */
    char *prefix; /* counter, gauge_livesum, ... */
    char *spare;  /* room for the names fork_child builds without allocating */
    size_t spare_size;
    int fd;
    unsigned char *base; /* PROMC__MP_MAX_SIZE bytes reserved; the file's first cap mapped */
    size_t cap;          /* the file's size */
    uint32_t used;       /* bytes of entries + header (also in the file's header) */
    unsigned layout;     /* PROMC__MP_VALUE or PROMC__MP_STAMPED: bytes after a key */
    uint32_t *index;     /* open addressing: entry offsets, 0 = empty */
    size_t index_size, nentries;
};

const char *promc__mp_file_path(const struct promc__mp_file *f)
{
    return f->path;
}

static size_t padded_len(size_t len)
{
    return len + (8 - (len + 4) % 8);
}

static uint32_t hash_key(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int32_t load_i32(const unsigned char *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

static _Atomic int32_t *used_cell(unsigned char *base)
{
    return (_Atomic int32_t *)(void *)base;
}

/* Why the entries up to u, each a key and value_size bytes of value, do
 * not fit the layout (NULL when they do). */
static const char *walk(const unsigned char *base, size_t u, size_t value_size)
{
    size_t pos = 8;
    while (pos < u) {
        if (u - pos < 4)
            return "an entry's length runs past the used size";
        int32_t len = load_i32(base + pos);
        if (len <= 0 || (size_t)len > u || pos + 4 + padded_len((size_t)len) + value_size > u)
            return "an entry runs past the used size (truncated or not a multi-process file)";
        if ((size_t)len > PROMC__MP_MAX_KEY)
            return "a key is longer than 64 KiB, the limit for keys";
        for (size_t i = pos + 4 + (size_t)len; i < pos + 4 + padded_len((size_t)len); i++)
            if (base[i] != ' ')
                return "an entry's key padding is not spaces (not a multi-process file)";
        pos += 4 + padded_len((size_t)len) + value_size;
    }
    return NULL;
}

/* Whether every key up to u, read in a layout, looks like client_python's
 * JSON list: "[...]". */
static bool bracketed(const unsigned char *base, size_t u, size_t value_size)
{
    for (size_t pos = 8; pos < u;) {
        size_t len = (size_t)load_i32(base + pos);
        if (base[pos + 4] != '[' || base[pos + 4 + len - 1] != ']')
            return false;
        pos += 4 + padded_len(len) + value_size;
    }
    return true;
}

/* Which layout the entries up to u fit (NULL, *layout set), or why they
 * fit neither. client_python 0.18 and later store a timestamp after each
 * value, in every file, with no version field. Real files fit one layout
 * only: read the other way, the first entry ends at a length of zero (a
 * timestamp of 0.0) or inside a key, and a file of one entry has `used` 8
 * bytes off (docs/MULTIPROCESS.md). Should a file ever fit both, its keys'
 * brackets decide, then the layout the caller expects (hint). */
static const char *layout_of(const unsigned char *base, size_t u, unsigned hint, unsigned *layout)
{
    const char *value = walk(base, u, PROMC__MP_VALUE);
    const char *stamped = walk(base, u, PROMC__MP_STAMPED);
    if (value && stamped)
        return value;
    if (!value && !stamped) {
        bool v = bracketed(base, u, PROMC__MP_VALUE), st = bracketed(base, u, PROMC__MP_STAMPED);
        *layout = v != st ? (v ? PROMC__MP_VALUE : PROMC__MP_STAMPED) : hint;
    } else {
        *layout = value ? PROMC__MP_STAMPED : PROMC__MP_VALUE;
    }
    return NULL;
}

/* Checks the entries of a mapped file of `size` bytes; on success *used
 * is where they end and *layout their layout (0 when there are none; hint
 * as for layout_of). reason: a static text. */
static bool validate(const unsigned char *base, size_t size, unsigned hint, uint32_t *used,
                     unsigned *layout, const char **reason)
{
    *layout = 0;
    if (size < 8) {
        *reason = "shorter than its 8-byte header";
        return false;
    }
    int32_t u = atomic_load_explicit(used_cell((unsigned char *)base), memory_order_acquire);
    if (u == 0) { /* created, header not yet written: no entries */
        *used = 0;
        return true;
    }
    if (u < 8 || (size_t)u > size) {
        *reason = u < 8 ? "its used size is below the header"
                        : "its used size is beyond the end "
                          "of the file (truncated?)";
        return false;
    }
    if (u % 8) {
        *reason = "its used size is not a multiple of 8 (not a multi-process file)";
        return false;
    }
    if (u > 8) {
        const char *why = layout_of(base, (size_t)u, hint, layout);
        if (why) {
            *reason = why;
            return false;
        }
    }
    *used = (uint32_t)u;
    return true;
}

/* ===================================================================== */
/* The index of a writer                                                  */
/* ===================================================================== */

static bool index_add(struct promc__mp_file *f, uint32_t off);

static bool index_grow(struct promc__mp_file *f)
{
    size_t n = f->index_size ? f->index_size * 2 : 64;
    uint32_t *old = f->index;
    size_t oldn = f->index_size;
    f->index = promc__calloc(n, sizeof *f->index);
    if (!f->index) {
        f->index = old;
        return false;
    }
    f->index_size = n;
    f->nentries = 0;
    for (size_t i = 0; i < oldn; i++)
        if (old[i])
            index_add(f, old[i]);
    promc__free(old);
    return true;
}

static const char *entry_key(const struct promc__mp_file *f, uint32_t off, size_t *len)
{
    *len = (size_t)load_i32(f->base + off);
    return (const char *)f->base + off + 4;
}

static bool index_add(struct promc__mp_file *f, uint32_t off)
{
    if ((f->nentries + 1) * 2 > f->index_size && !index_grow(f))
        return false;
    size_t len;
    const char *key = entry_key(f, off, &len);
    size_t i = hash_key(key, len) & (f->index_size - 1);
    while (f->index[i])
        i = (i + 1) & (f->index_size - 1);
    f->index[i] = off;
    f->nentries++;
    return true;
}

static uint32_t index_find(const struct promc__mp_file *f, const char *key, size_t len)
{
    if (!f->index_size)
        return 0;
    size_t i = hash_key(key, len) & (f->index_size - 1);
    for (; f->index[i]; i = (i + 1) & (f->index_size - 1)) {
        size_t l;
        const char *k = entry_key(f, f->index[i], &l);
        if (l == len && memcmp(k, key, len) == 0)
            return f->index[i];
    }
    return 0;
}

/* ===================================================================== */
/* Writers                                                                */
/* ===================================================================== */

/* Makes the file cap bytes (allocated on disk) and maps it. */
static int grow_to(struct promc__mp_file *f, size_t cap)
{
    int rc = posix_fallocate(f->fd, 0, (off_t)cap);
    if (rc != 0)
        return promc__fail(PROMC_EIO, "cannot grow multi-process file \"%s\" to %zu bytes: %s",
                           f->path, cap, strerror(rc));
    void *p = mmap(f->base, cap, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, f->fd, 0);
    if (p == MAP_FAILED)
        return promc__fail(PROMC_EIO, "cannot map multi-process file \"%s\": %s", f->path,
                           strerror(errno));
    f->cap = cap;
    return PROMC_OK;
}

void promc__mp_file_close(struct promc__mp_file *f)
{
    if (!f)
        return;
    if (f->base)
        munmap(f->base, PROMC__MP_MAX_SIZE);
    if (f->fd >= 0)
        close(f->fd);
    promc__free(f->index);
    promc__free(f->path);
    promc__free(f->dir);
    promc__free(f->prefix);
    promc__free(f->spare);
    promc__free(f);
}

void promc__mp_file_retire(struct promc__mp_file *f)
{
    if (f && f->base) {
        void *p = mmap(f->base, f->cap, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (p != MAP_FAILED) {
            munmap(f->base + f->cap, PROMC__MP_MAX_SIZE - f->cap);
            f->base = NULL; /* the anonymous part stays mapped, for good */
        }
    }
    promc__mp_file_close(f);
}

static char *concat(const char *a, const char *b, const char *c, const char *d, const char *e)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + strlen(e) + 1;
    char *s = promc__malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s%s%s", a, b, c, d, e);
    return s;
}

/* What a layout is called in messages. */
static const char *layout_name(unsigned layout)
{
    return layout == PROMC__MP_STAMPED ? "client_python 0.18+'s layout (a value and a timestamp "
                                         "per entry)"
                                       : "client_python 0.17's and earlier layout (a value per "
                                         "entry)";
}

struct promc__mp_file *promc__mp_file_open(const char *dir, const char *prefix, const char *id,
                                           unsigned layout)
{
    struct promc__mp_file *f = promc__calloc(1, sizeof *f);
    if (!f)
        return promc__fail_null(PROMC_ENOMEM, "out of memory");
    f->fd = -1;
    f->layout = layout;
    f->dir = concat(dir, "/", "", "", "");
    f->prefix = promc__strdup(prefix);
    f->path = concat(dir, "/", prefix, "_", id);
    f->spare_size = strlen(dir) + strlen(prefix) + 64;
    f->spare = promc__malloc(f->spare_size * 3);
    /* Room for any pid a child of fork() puts in the name. */
    char *full = f->path ? concat(f->path, ".db", "                        ", "", "") : NULL;
    if (full)
        full[strlen(f->path) + 3] = '\0';
    if (!f->dir || !f->prefix || !full || !f->spare) {
        promc__free(full);
        promc__mp_file_close(f);
        return promc__fail_null(PROMC_ENOMEM, "out of memory");
    }
    promc__free(f->path);
    f->path = full;
    void *r = mmap(NULL, PROMC__MP_MAX_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (r == MAP_FAILED) {
        promc__mp_file_close(f);
        return promc__fail_null(PROMC_ENOMEM, "cannot reserve address space for \"%s\": %s", full,
                                strerror(errno));
    }
    f->base = r;
    f->fd = open(f->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    struct stat st;
    if (f->fd < 0 || fstat(f->fd, &st) != 0) {
        int e = errno;
        void *err = promc__fail_null(PROMC_EIO, "cannot open multi-process file \"%s\": %s",
                                     f->path, strerror(e));
        promc__mp_file_close(f);
        return err;
    }
    if (st.st_size > (off_t)PROMC__MP_MAX_SIZE) {
        void *err = promc__fail_null(
            PROMC_EIO, "refusing multi-process file \"%s\": larger than 1 GiB", f->path);
        promc__mp_file_close(f);
        return err;
    }
    size_t cap =
        st.st_size < (off_t)PROMC__MP_INITIAL_SIZE ? PROMC__MP_INITIAL_SIZE : (size_t)st.st_size;
    if (st.st_size > 0 && st.st_size < (off_t)PROMC__MP_INITIAL_SIZE) {
        /* Not a file of ours or client_python's: those start at 64 KiB. */
        const char *reason = NULL;
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, f->fd, 0);
        uint32_t u;
        unsigned got;
        if (p == MAP_FAILED || !validate(p, (size_t)st.st_size, layout, &u, &got, &reason) || u > 8)
            reason = reason ? reason : "shorter than 64 KiB";
        if (p != MAP_FAILED)
            munmap(p, (size_t)st.st_size);
        if (reason) {
            void *err = promc__fail_null(PROMC_EIO, "refusing multi-process file \"%s\": %s",
                                         f->path, reason);
            promc__mp_file_close(f);
            return err;
        }
    }
    if (grow_to(f, cap) != PROMC_OK) {
        promc__mp_file_close(f);
        return NULL;
    }
    const char *reason = NULL;
    uint32_t used;
    unsigned got;
    if (!validate(f->base, f->cap, layout, &used, &got, &reason)) {
        void *err =
            promc__fail_null(PROMC_EIO, "refusing multi-process file \"%s\": %s", f->path, reason);
        promc__mp_file_close(f);
        return err;
    }
    if (got && got != layout) {
        void *err = promc__fail_null(
            PROMC_EIO, "refusing to continue multi-process file \"%s\": it is in %s, not in %s",
            f->path, layout_name(got), layout_name(layout));
        promc__mp_file_close(f);
        return err;
    }
    if (used == 0) {
        used = 8;
        atomic_store_explicit(used_cell(f->base), 8, memory_order_release);
    }
    f->used = used;
    for (uint32_t pos = 8; pos < used;) {
        size_t len = (size_t)load_i32(f->base + pos);
        if (!index_add(f, pos)) {
            promc__mp_file_close(f);
            return promc__fail_null(PROMC_ENOMEM, "out of memory");
        }
        pos += (uint32_t)(4 + padded_len(len) + layout);
    }
    return f;
}

_Atomic uint64_t *promc__mp_file_cell(struct promc__mp_file *f, const char *key, size_t len)
{
    uint32_t off = index_find(f, key, len);
    if (off)
        return (_Atomic uint64_t *)(void *)(f->base + off + 4 + padded_len(len));
    if (len > PROMC__MP_MAX_KEY)
        return promc__fail_null(PROMC_ELIMIT,
                                "multi-process key of %zu bytes is longer than the limit of "
                                "64 KiB (name, labels and help as JSON)",
                                len);
    size_t need = 4 + padded_len(len) + f->layout;
    if (need > PROMC__MP_MAX_SIZE - f->used)
        return promc__fail_null(PROMC_ELIMIT,
                                "multi-process file \"%s\" cannot hold more than 1 GiB", f->path);
    if (f->used + need > f->cap) {
        size_t cap = f->cap;
        /* Not past the reservation: a file continued may have any size,
         * and need fits in PROMC__MP_MAX_SIZE (checked above). */
        while (f->used + need > cap)
            cap = cap > PROMC__MP_MAX_SIZE / 2 ? PROMC__MP_MAX_SIZE : cap * 2;
        if (grow_to(f, cap) != PROMC_OK)
            return NULL;
    }
    if ((f->nentries + 1) * 2 > f->index_size && !index_grow(f))
        return promc__fail_null(PROMC_ENOMEM, "out of memory");
    unsigned char *e = f->base + f->used;
    int32_t l32 = (int32_t)len;
    memcpy(e, &l32, 4);
    memcpy(e + 4, key, len);
    memset(e + 4 + len, ' ', padded_len(len) - len);
    _Atomic uint64_t *cell = (_Atomic uint64_t *)(void *)(e + 4 + padded_len(len));
    atomic_store_explicit(cell, 0, memory_order_relaxed);
    if (f->layout == PROMC__MP_STAMPED)
        atomic_store_explicit(cell + 1, 0, memory_order_relaxed);
    off = f->used;
    f->used += (uint32_t)need;
    /* The entry is complete before it becomes visible. */
    atomic_store_explicit(used_cell(f->base), (int32_t)f->used, memory_order_release);
    index_add(f, off);
    return cell;
}

/* ===================================================================== */
/* fork()                                                                 */
/* ===================================================================== */

/* Appends s to out (bounded by end); returns the new end of the string. */
static char *put(char *out, const char *end, const char *s)
{
    while (*s && out < end - 1)
        *out++ = *s++;
    *out = '\0';
    return out;
}

static char *put_num(char *out, const char *end, long v)
{
    char digits[24];
    int n = 0;
    unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
    do
        digits[n++] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0 && out < end - 1)
        *out++ = '-';
    while (n > 0 && out < end - 1)
        *out++ = digits[--n];
    *out = '\0';
    return out;
}

bool promc__mp_file_fork_child(struct promc__mp_file *f, long pid)
{
    char *tmp = f->spare, *fin = f->spare + f->spare_size;
    char *tend = tmp + f->spare_size, *fend = fin + f->spare_size;
    char *p = put(put(put(tmp, tend, f->dir), tend, "."), tend, f->prefix);
    p = put(put_num(put(p, tend, "_"), tend, pid), tend, ".db.tmp");
    char *q = put(put(fin, fend, f->dir), fend, f->prefix);
    q = put(put_num(put(q, fend, "_"), fend, pid), fend, ".db");
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return false;
    size_t done = 0;
    while (done < f->used) {
        ssize_t w = pwrite(fd, f->base + done, f->used - done, (off_t)done);
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return false;
        }
        done += (size_t)w;
    }
    if (posix_fallocate(fd, 0, (off_t)f->cap) != 0 ||
        mmap(f->base, f->cap, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
            MAP_FAILED) {
        close(fd);
        unlink(tmp);
        return false;
    }
    /* From here on the cells are the child's: zero them, then publish. */
    for (uint32_t pos = 8; pos < f->used;) {
        size_t len = (size_t)load_i32(f->base + pos);
        _Atomic uint64_t *cell = (_Atomic uint64_t *)(void *)(f->base + pos + 4 + padded_len(len));
        atomic_store_explicit(cell, 0, memory_order_relaxed);
        if (f->layout == PROMC__MP_STAMPED)
            atomic_store_explicit(cell + 1, 0, memory_order_relaxed);
        pos += (uint32_t)(4 + padded_len(len) + f->layout);
    }
    /* A file of a dead process that had this pid is kept, under another
     * name, so its counts stay in the aggregate: <prefix>_<pid>+<n>.db.
     * '+' is in no process id, so no live process's file has such a name
     * (with a '.', "w.3"'s own file would pass for a file of "w" kept
     * aside); client_python reads it as any other file of the type. */
    if (access(fin, F_OK) == 0) {
        char *aside = fend;
        const char *aend = aside + f->spare_size;
        for (long k = 1; k < 1000000; k++) {
            char *a = put(put(put(aside, aend, f->dir), aend, f->prefix), aend, "_");
            a = put(put_num(put(put_num(a, aend, pid), aend, "+"), aend, k), aend, ".db");
            if (access(aside, F_OK) != 0) {
                rename(fin, aside);
                break;
            }
        }
    }
    if (rename(tmp, fin) != 0) {
        /* Back to the parent's file: counts stay in the sums. */
        mmap(f->base, f->cap, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, f->fd, 0);
        close(fd);
        unlink(tmp);
        return false;
    }
    close(f->fd);
    f->fd = fd;
    /* f->path has room for the longest pid (see promc__mp_file_open). */
    memcpy(f->path, fin, strlen(fin) + 1);
    return true;
}

/* ===================================================================== */
/* Readers                                                                */
/* ===================================================================== */

/* Maps the file read-only; *size is its size when mapped. */
static unsigned char *map_for_reading(int fd, size_t *size, const char **reason)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size > (off_t)PROMC__MP_MAX_SIZE) {
        *reason = "cannot be read, or larger than 1 GiB";
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        *reason = "not a regular file";
        return NULL;
    }
    if (st.st_size < 8) {
        *reason = "shorter than its 8-byte header";
        return NULL;
    }
    unsigned char *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        *reason = "cannot be mapped";
        return NULL;
    }
    *size = (size_t)st.st_size;
    return base;
}

int promc__mp_file_read(const char *path, int (*fn)(void *ctx, const struct promc__mp_entry *e),
                        void *ctx, unsigned *layout, const char **reason)
{
    unsigned got = 0;
    if (layout)
        *layout = 0;
    /* O_NONBLOCK: a FIFO is refused below, not waited on. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return ENOENT;
        *reason = "cannot be opened";
        return -1;
    }
    size_t size = 0;
    unsigned char *base = NULL;
    uint32_t used = 0;
    bool valid = false;
    /* A writer may grow the file between our fstat and our load of `used`:
     * a `used` beyond the size seen is looked at again with the new size
     * (files only grow) before the file is called truncated. */
    for (int attempt = 0; attempt < 3 && !valid; attempt++) {
        if (base)
            munmap(base, size);
        base = map_for_reading(fd, &size, reason);
        if (!base)
            break;
        valid = validate(base, size, PROMC__MP_VALUE, &used, &got, reason);
        if (!valid && (size_t)atomic_load_explicit(used_cell(base), memory_order_acquire) <= size)
            break; /* bad for another reason than growth */
    }
    close(fd);
    if (!base)
        return -1;
    int rc = valid ? 0 : -1;
    if (valid && layout)
        *layout = got;
    for (uint32_t pos = 8; valid && fn && pos < used && rc == 0;) {
        size_t len = (size_t)load_i32(base + pos);
        _Atomic uint64_t *cell = (_Atomic uint64_t *)(void *)(base + pos + 4 + padded_len(len));
        struct promc__mp_entry e = {(const char *)base + pos + 4, len, 0, 0};
        if (got == PROMC__MP_STAMPED) {
            /* The timestamp first: a writer stores it after the value, with
             * release, so a value is never older than its timestamp. */
            e.timestamp =
                promc__bits_to_double(atomic_load_explicit(cell + 1, memory_order_acquire));
        }
        e.value = promc__bits_to_double(atomic_load_explicit(cell, memory_order_relaxed));
        rc = fn(ctx, &e);
        pos += (uint32_t)(4 + padded_len(len) + got);
    }
    munmap(base, size);
    return rc;
}

void promc__mp_buf_entry(struct promc__buf *b, unsigned layout, const char *key, size_t len,
                         double value, double timestamp)
{
    int32_t l32 = (int32_t)len;
    promc__buf_put(b, (const char *)&l32, 4);
    promc__buf_put(b, key, len);
    promc__buf_put(b, "        ", padded_len(len) - len);
    uint64_t bits = promc__double_to_bits(value);
    promc__buf_put(b, (const char *)&bits, 8);
    if (layout == PROMC__MP_STAMPED) {
        bits = promc__double_to_bits(timestamp);
        promc__buf_put(b, (const char *)&bits, 8);
    }
}

int promc__mp_dir_lock(const char *dir, bool exclusive)
{
    char *path = concat(dir, "/.promc.lock", "", "", "");
    if (!path)
        return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        fd = open(path, O_RDONLY | O_CLOEXEC);
    promc__free(path);
    if (fd < 0)
        return -1;
    while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0)
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    return fd;
}

void promc__mp_dir_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock */
}
