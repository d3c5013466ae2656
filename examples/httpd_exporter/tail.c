/*
 * The log follower behind tail.h: each poll reads the open descriptors to
 * their end, splits the bytes into lines (buffering an incomplete last one),
 * then compares path's inode and size with what is open to notice rotation
 * and truncation.
 */
#include "tail.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "signals.h"

#define CHUNK 65536

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void source_reset(httpd_tail_source *s)
{
    *s = (httpd_tail_source){.fd = -1};
}

static void source_close(httpd_tail_source *s)
{
    if (s->fd >= 0)
        close(s->fd);
    free(s->line);
    source_reset(s);
}

/* Splits n bytes into lines. A line starts after leading NUL bytes are
 * dropped: a writer without O_APPEND leaves a run of them in a file that
 * was truncated under it. */
static void feed(httpd_tail *t, httpd_tail_source *s, const char *data, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        if (s->skip) {
            if (!nl)
                return;
            s->skip = false;
            n -= (size_t)(nl + 1 - data);
            data = nl + 1;
            continue;
        }
        if (s->len == 0) {
            while (n > 0 && *data == '\0') {
                data++;
                n--;
            }
            if (n == 0)
                return;
            nl = memchr(data, '\n', n);
        }
        size_t seg = nl ? (size_t)(nl - data) : n;
        size_t used = nl ? seg + 1 : n;
        if (s->len + seg > HTTPD_TAIL_MAX_LINE) {
            t->on_too_long(t->userdata);
            s->len = 0;
            s->skip = nl == NULL;
        } else if (nl && s->len == 0) {
            t->on_line(t->userdata, data, seg);
        } else {
            memcpy(s->line + s->len, data, seg);
            s->len += seg;
            if (nl) {
                t->on_line(t->userdata, s->line, s->len);
                s->len = 0;
            }
        }
        data += used;
        n -= used;
    }
}

/* Reads s to its current end. Returns whether any bytes came. */
static bool drain(httpd_tail *t, httpd_tail_source *s)
{
    bool got = false;
    while (s->fd >= 0 && !ex_should_stop()) {
        ssize_t r = read(s->fd, t->chunk, CHUNK);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (!s->read_failed)
                ex_log(EX_LOG_ERROR, "reading %s: %s", t->path, strerror(errno));
            s->read_failed = true;
            break;
        }
        s->read_failed = false;
        if (r == 0)
            break;
        got = true;
        s->offset += r;
        feed(t, s, t->chunk, (size_t)r);
    }
    if (got)
        s->last_data = now_mono();
    return got;
}

/* Opens path into s: at its end (skipping the rest of a line being written)
 * or at its start. Logs a failure once per distinct errno. */
static bool source_open(httpd_tail *t, httpd_tail_source *s, bool at_end)
{
    /* O_NONBLOCK: opening a FIFO must not hang; refused below anyway. */
    int fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    int err = 0;
    if (fd < 0)
        err = errno;
    else if (fstat(fd, &st) != 0)
        err = errno;
    else if (!S_ISREG(st.st_mode))
        err = EINVAL;
    if (err) {
        if (fd >= 0)
            close(fd);
        if (err != t->open_errno) {
            if (err == ENOENT)
                ex_log(EX_LOG_WARN, "log file %s does not exist; waiting for it", t->path);
            else if (err == EINVAL)
                ex_log(EX_LOG_ERROR, "log file %s is not a regular file; waiting", t->path);
            else
                ex_log(EX_LOG_ERROR, "cannot open log file %s: %s; retrying", t->path,
                       strerror(err));
            t->open_errno = err;
        }
        return false;
    }
    char *line = malloc(HTTPD_TAIL_MAX_LINE);
    if (!line) {
        close(fd);
        ex_log(EX_LOG_ERROR, "out of memory opening %s", t->path);
        return false;
    }
    source_close(s);
    s->fd = fd;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->line = line;
    s->last_data = now_mono();
    if (at_end && st.st_size > 0) {
        char last = '\n';
        s->offset = lseek(fd, 0, SEEK_END);
        if (s->offset < 0 || pread(fd, &last, 1, s->offset - 1) != 1)
            last = '\n';
        if (s->offset < 0)
            s->offset = 0;
        /* Mid-line: the rest of that line is not a line of ours. */
        s->skip = last != '\n';
    }
    ex_log(EX_LOG_INFO, "following %s from its %s", t->path, at_end ? "end" : "start");
    t->open_errno = 0;
    return true;
}

int httpd_tail_init(httpd_tail *t, const char *path, bool from_start, httpd_tail_line_fn on_line,
                    httpd_tail_too_long_fn on_too_long, void *userdata)
{
    *t = (httpd_tail){.path = path,
                      .from_start = from_start,
                      .on_line = on_line,
                      .on_too_long = on_too_long,
                      .userdata = userdata};
    source_reset(&t->cur);
    source_reset(&t->old);
    t->chunk = malloc(CHUNK);
    return t->chunk ? 0 : -1;
}

void httpd_tail_poll(httpd_tail *t)
{
    bool first = !t->started;
    t->started = true;

    if (t->old.fd >= 0 && !drain(t, &t->old) &&
        now_mono() - t->old.last_data >= HTTPD_TAIL_OLD_GRACE) {
        if (t->old.len > 0 || t->old.skip)
            ex_log(EX_LOG_DEBUG, "dropping an incomplete last line of the rotated file");
        source_close(&t->old);
    }

    /* A file that exists at the first poll starts at its end unless
     * from_start; one that appears later is new, read from its start. */
    if (t->cur.fd < 0 && !source_open(t, &t->cur, first && !t->from_start))
        return;
    drain(t, &t->cur);

    struct stat st;
    if (stat(t->path, &st) != 0) {
        if (errno != t->stat_errno) {
            t->stat_errno = errno;
            ex_log(EX_LOG_WARN, "log file %s: %s; still reading the open file", t->path,
                   strerror(errno));
        }
        return;
    }
    t->stat_errno = 0;
    if (st.st_dev != t->cur.dev || st.st_ino != t->cur.ino) {
        ex_log(EX_LOG_INFO, "log file %s was rotated; reading the new file", t->path);
        /* Finish the old file first (drained above), keep it for the grace
         * time, then the new one from its start. */
        if (t->old.fd >= 0) {
            drain(t, &t->old);
            source_close(&t->old);
        }
        t->old = t->cur;
        t->old.last_data = now_mono();
        source_reset(&t->cur);
        if (source_open(t, &t->cur, false))
            drain(t, &t->cur);
        return;
    }
    if (st.st_size < t->cur.offset) {
        ex_log(EX_LOG_INFO, "log file %s was truncated; reading it from its start", t->path);
        if (lseek(t->cur.fd, 0, SEEK_SET) == 0) {
            t->cur.offset = 0;
            t->cur.len = 0;
            t->cur.skip = false;
            drain(t, &t->cur);
        }
    }
}

bool httpd_tail_is_open(const httpd_tail *t)
{
    return t->cur.fd >= 0;
}

void httpd_tail_close(httpd_tail *t)
{
    source_close(&t->cur);
    source_close(&t->old);
    free(t->chunk);
    t->chunk = NULL;
}
