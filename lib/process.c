/*
 * The standard process_* metrics (CPU time, file descriptors, memory, start
 * time) of the calling process, read from procfs at every scrape by a custom
 * collector. Files are read with open/read into fixed stack buffers; a source
 * that is missing or malformed leaves just its metrics out.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "emitter.h"
#include "process.h"
#include "internal.h"

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

/* Longest proc_root accepted: every path built from it fits PATH_BUF. */
#define PATH_BUF     4096
#define ROOT_MAX     (PATH_BUF - 32)
#define STAT_BUF     4096        /* <root>/self/stat must fit whole */
#define LINE_BUF     256         /* longer lines are skipped */
#define CHUNK_BUF    4096        /* read size of the line scanner */
#define SCAN_MAX     (16u << 20) /* give up on a file larger than this */
#define STAT_NFIELDS 22          /* fields needed after the comm: state .. rss */
#define F_UTIME      11          /* indices after the comm, state being 0 */
#define F_STIME      12
#define F_STARTTIME  19
#define F_VSIZE      20
#define F_RSS        21

struct process_data {
    char *root;
    double clk_tck;   /* 0 when unknown: no CPU time, no start time */
    double page_size; /* 0 when unknown: no resident memory */
};

static void process_free(void *p)
{
    struct process_data *d = p;
    promc__free(d->root);
    promc__free(d);
}

/* ===================================================================== */
/* Reading                                                                */
/* ===================================================================== */

static bool make_path(char *out, const struct process_data *d, const char *rel)
{
    int n = snprintf(out, PATH_BUF, "%s/%s", d->root, rel);
    return n > 0 && n < PATH_BUF;
}

static int open_file(const struct process_data *d, const char *rel)
{
    char path[PATH_BUF];
    if (!make_path(path, d, rel))
        return -1;
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    return fd;
}

/* read() that retries on EINTR. */
static ssize_t read_some(int fd, char *buf, size_t n)
{
    ssize_t r;
    do
        r = read(fd, buf, n);
    while (r < 0 && errno == EINTR);
    return r;
}

/* Reads the whole file into buf (NUL-terminated). Returns its length, or -1
 * when it cannot be read or does not fit in cap - 1 bytes. */
static ssize_t read_whole(const struct process_data *d, const char *rel, char *buf, size_t cap)
{
    int fd = open_file(d, rel);
    if (fd < 0)
        return -1;
    size_t len = 0;
    ssize_t r = 0;
    while (len < cap - 1 && (r = read_some(fd, buf + len, cap - 1 - len)) > 0)
        len += (size_t)r;
    if (r > 0 && len == cap - 1) { /* full: fine only if nothing follows */
        char extra;
        r = read_some(fd, &extra, 1) == 0 ? 0 : -1;
    }
    close(fd);
    if (r < 0)
        return -1;
    buf[len] = '\0';
    return (ssize_t)len;
}

/* Called with each line (without its newline, NUL-terminated) of at most
 * LINE_BUF - 1 bytes; returns false to stop the scan. */
typedef bool (*line_fn)(const char *line, size_t len, void *ctx);

/* Feeds every line of a file to fn through fixed buffers, skipping lines too
 * long for them (the "intr" line of /proc/stat can be kilobytes). Returns
 * false when the file cannot be read. */
static bool scan_lines(const struct process_data *d, const char *rel, line_fn fn, void *ctx)
{
    int fd = open_file(d, rel);
    if (fd < 0)
        return false;
    char chunk[CHUNK_BUF], line[LINE_BUF];
    size_t llen = 0, total = 0;
    bool overlong = false, go = true, ok = true;
    while (go) {
        ssize_t r = read_some(fd, chunk, sizeof chunk);
        if (r <= 0) {
            ok = r == 0;
            break;
        }
        total += (size_t)r;
        if (total > SCAN_MAX) {
            ok = false;
            break;
        }
        const char *p = chunk, *end = chunk + r;
        while (go && p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = (size_t)((nl ? nl : end) - p);
            if (!overlong && n < sizeof line - llen) {
                memcpy(line + llen, p, n);
                llen += n;
            } else {
                overlong = true;
            }
            if (!nl)
                break;
            if (!overlong) {
                line[llen] = '\0';
                go = fn(line, llen, ctx);
            }
            llen = 0;
            overlong = false;
            p = nl + 1;
        }
    }
    if (ok && go && llen && !overlong) { /* a last line without newline */
        line[llen] = '\0';
        fn(line, llen, ctx);
    }
    close(fd);
    return ok;
}

/* ===================================================================== */
/* Parsing                                                                */
/* ===================================================================== */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* A whole token of decimal digits (ending at a space, a newline or NUL) that
 * fits in 64 bits. *end (if not NULL) gets the first character after it. */
static bool parse_u64(const char *s, uint64_t *out, const char **end)
{
    uint64_t v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned digit = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return false;
        v = v * 10 + digit;
    }
    if (p == s || (*p && !is_space(*p)))
        return false;
    *out = v;
    if (end)
        *end = p;
    return true;
}

static const char *skip_spaces(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* The fields of <root>/self/stat this collector uses, each with whether it
 * parsed; field[i] is field i counted after the comm (the state being 0). */
struct stat_fields {
    const char *field[STAT_NFIELDS];
    uint64_t utime, stime, starttime, vsize, rss;
    bool has_utime, has_stime, has_starttime, has_vsize, has_rss;
};

/* "pid (comm) state ppid ...": the comm may hold spaces, parentheses and
 * even newlines, so the fields start after the LAST ')'. */
static void parse_stat(char *buf, size_t len, struct stat_fields *f)
{
    memset(f, 0, sizeof *f);
    char *open_paren = memchr(buf, '(', len);
    char *close_paren = NULL;
    for (size_t i = len; i > 0; i--)
        if (buf[i - 1] == ')') {
            close_paren = buf + i - 1;
            break;
        }
    if (!open_paren || !close_paren || close_paren < open_paren)
        return;
    /* Fields are separated by exactly one space; a truncated line keeps
     * the fields it has. */
    char *p = close_paren + 1;
    size_t n = 0;
    while (n < STAT_NFIELDS && *p == ' ') {
        f->field[n++] = ++p;
        while (*p && !is_space(*p))
            p++;
    }
    f->has_utime = n > F_UTIME && parse_u64(f->field[F_UTIME], &f->utime, NULL);
    f->has_stime = n > F_STIME && parse_u64(f->field[F_STIME], &f->stime, NULL);
    f->has_starttime = n > F_STARTTIME && parse_u64(f->field[F_STARTTIME], &f->starttime, NULL);
    f->has_vsize = n > F_VSIZE && parse_u64(f->field[F_VSIZE], &f->vsize, NULL);
    /* rss is signed in the kernel's format; a negative one is bogus. */
    f->has_rss = n > F_RSS && parse_u64(f->field[F_RSS], &f->rss, NULL);
}

/* Soft limits from <root>/self/limits. */
struct limits {
    bool has_nofile, nofile_unlimited;
    uint64_t nofile;
    bool has_as, as_unlimited;
    uint64_t as;
};

/* Parses the soft limit after the name of a "Max ..." line into *v, or sets
 * *unlimited. Returns whether the line had a soft limit we understand. */
static bool parse_soft_limit(const char *rest, uint64_t *v, bool *unlimited)
{
    if (!is_space(*rest))
        return false; /* "Max open filesX" is another line */
    rest = skip_spaces(rest);
    static const char unl[] = "unlimited";
    if (strncmp(rest, unl, sizeof unl - 1) == 0 &&
        (rest[sizeof unl - 1] == '\0' || is_space(rest[sizeof unl - 1]))) {
        *unlimited = true;
        return true;
    }
    *unlimited = false;
    return parse_u64(rest, v, NULL);
}

static bool limits_line(const char *line, size_t len, void *ctx)
{
    (void)len;
    struct limits *l = ctx;
    static const char nofile[] = "Max open files", as[] = "Max address space";
    if (strncmp(line, nofile, sizeof nofile - 1) == 0)
        l->has_nofile =
            parse_soft_limit(line + sizeof nofile - 1, &l->nofile, &l->nofile_unlimited);
    else if (strncmp(line, as, sizeof as - 1) == 0)
        l->has_as = parse_soft_limit(line + sizeof as - 1, &l->as, &l->as_unlimited);
    return true;
}

struct btime {
    bool found, valid;
    uint64_t value;
};

static bool btime_line(const char *line, size_t len, void *ctx)
{
    (void)len;
    struct btime *b = ctx;
    static const char key[] = "btime ";
    if (strncmp(line, key, sizeof key - 1) != 0)
        return true;
    b->found = true;
    b->valid = parse_u64(skip_spaces(line + sizeof key - 1), &b->value, NULL);
    return false;
}

/* Entries of <root>/self/fd other than . and .., or -1. */
static long count_fds(const struct process_data *d)
{
    char path[PATH_BUF];
    if (!make_path(path, d, "self/fd"))
        return -1;
    DIR *dir = opendir(path);
    if (!dir)
        return -1;
    long n = 0;
    struct dirent *ent;
    errno = 0;
    while ((ent = readdir(dir)) != NULL) {
        const char *s = ent->d_name;
        if (!(s[0] == '.' && (s[1] == '\0' || (s[1] == '.' && s[2] == '\0'))))
            n++;
    }
    if (errno != 0)
        n = -1;
    closedir(dir);
    return n;
}

/* ===================================================================== */
/* Collecting                                                             */
/* ===================================================================== */

/* Emits one unlabelled sample. Only running out of memory fails the scrape;
 * a family refused for its name (another metric emits it) is left out. */
static int emit(promc_emitter *e, const char *name, const char *help, promc_type type, double v)
{
    int rc = promc_emit_family(e, name, help, type, NULL);
    if (rc == PROMC_OK)
        rc = promc_emit_sample(e, NULL, 0, v);
    return rc == PROMC_ENOMEM ? -1 : 0;
}

static int process_collect(promc_emitter *e, void *userdata)
{
    const struct process_data *d = userdata;
    char buf[STAT_BUF];
    struct stat_fields st;
    ssize_t len = read_whole(d, "self/stat", buf, sizeof buf);
    if (len >= 0)
        parse_stat(buf, (size_t)len, &st);
    else
        memset(&st, 0, sizeof st);

    struct limits lim = {0};
    if (!scan_lines(d, "self/limits", limits_line, &lim))
        lim.has_nofile = lim.has_as = false;

    struct btime bt = {0};
    if (!scan_lines(d, "stat", btime_line, &bt))
        bt.valid = false;

    long fds = count_fds(d);
    int rc = 0;

    if (st.has_utime && st.has_stime && st.utime <= UINT64_MAX - st.stime && d->clk_tck > 0)
        rc |=
            emit(e, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                 PROMC_COUNTER, (double)(st.utime + st.stime) / d->clk_tck);
    if (fds >= 0)
        rc |= emit(e, "process_open_fds", "Number of open file descriptors.", PROMC_GAUGE,
                   (double)fds);
    if (lim.has_nofile && !lim.nofile_unlimited)
        rc |= emit(e, "process_max_fds", "Maximum number of open file descriptors.", PROMC_GAUGE,
                   (double)lim.nofile);
    if (st.has_vsize)
        rc |= emit(e, "process_virtual_memory_bytes", "Virtual memory size in bytes.", PROMC_GAUGE,
                   (double)st.vsize);
    if (lim.has_as && !lim.as_unlimited)
        rc |= emit(e, "process_virtual_memory_max_bytes",
                   "Maximum amount of virtual memory available in bytes.", PROMC_GAUGE,
                   (double)lim.as);
    if (st.has_rss && d->page_size > 0)
        rc |= emit(e, "process_resident_memory_bytes", "Resident memory size in bytes.",
                   PROMC_GAUGE, (double)st.rss * d->page_size);
    if (st.has_starttime && bt.valid && d->clk_tck > 0)
        rc |= emit(e, "process_start_time_seconds",
                   "Start time of the process since unix epoch in seconds.", PROMC_GAUGE,
                   (double)bt.value + (double)st.starttime / d->clk_tck);
    return rc;
}

/* ===================================================================== */
/* Construction                                                           */
/* ===================================================================== */

/* Every name the families above emit (the counter's three included), so that
 * registration refuses a clash instead of a scrape silently dropping one. */
static const char *const process_names[] = {
    "process_cpu_seconds_total",
    "process_cpu_seconds",
    "process_cpu_seconds_created",
    "process_open_fds",
    "process_max_fds",
    "process_virtual_memory_bytes",
    "process_virtual_memory_max_bytes",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
    NULL,
};

struct promc_metric *promc__process_collector_create(const char *proc_root)
{
    if (!proc_root)
        proc_root = "/proc";
    size_t rlen = strlen(proc_root);
    if (rlen == 0 || rlen > ROOT_MAX)
        return promc__fail_null(PROMC_EINVAL, "process collector: proc_root \"%.40s\" is %s",
                                proc_root, rlen ? "too long" : "empty");
    struct process_data *d = promc__calloc(1, sizeof *d);
    if (!d || !(d->root = promc__strdup(proc_root))) {
        promc__free(d);
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating the process collector");
    }
    long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    d->clk_tck = tck > 0 ? (double)tck : 0;
    d->page_size = page > 0 ? (double)page : 0;
    /* On failure the collector does not call process_free: d is still ours. */
    struct promc_metric *m =
        promc__collector_create(process_collect, d, process_free, process_names, false,
                                &(promc_collector_opts){.name = "process"});
    if (!m)
        process_free(d);
    return m;
}
