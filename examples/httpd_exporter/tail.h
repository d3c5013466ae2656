/*
 * Poll-based following of a log file for httpd_exporter (stat + read, no
 * inotify): waits for a missing file, survives rotation by rename and
 * re-create and truncation, and hands over complete lines only.
 */
#ifndef HTTPD_TAIL_H
#define HTTPD_TAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Lines longer than this (newline excluded) are reported as too long and
 * skipped up to the next newline. */
#define HTTPD_TAIL_MAX_LINE 65536

/* After a rotation the old file is still read until it had no new data for
 * this many seconds (the server may write to its old descriptor for a while,
 * e.g. until a graceful restart). */
#define HTTPD_TAIL_OLD_GRACE 5.0

/* A complete line without its newline (may hold any bytes). */
typedef void (*httpd_tail_line_fn)(void *userdata, const char *line, size_t len);
/* A line longer than HTTPD_TAIL_MAX_LINE, reported once when it crosses the
 * limit. */
typedef void (*httpd_tail_too_long_fn)(void *userdata);

/* One open file being read. */
typedef struct httpd_tail_source {
    int fd; /* -1 when closed */
    dev_t dev;
    ino_t ino;
    off_t offset;     /* bytes read so far */
    char *line;       /* the incomplete line so far */
    size_t len;       /* its length */
    bool skip;        /* discarding up to the next newline */
    bool read_failed; /* the last read failed (logged once) */
    double last_data; /* monotonic seconds of the last bytes read */
} httpd_tail_source;

typedef struct httpd_tail {
    const char *path;
    bool from_start;       /* read a file that exists at the first poll from its start */
    bool started;          /* the first poll ran */
    httpd_tail_source cur; /* the file at path (or the last one seen there) */
    httpd_tail_source old; /* the previous file after a rotation, for a grace time */
    int open_errno;        /* why the last open failed (0: no failure logged) */
    int stat_errno;        /* why the last stat of path failed (0: none logged) */
    char *chunk;           /* read buffer */
    httpd_tail_line_fn on_line;
    httpd_tail_too_long_fn on_too_long;
    void *userdata;
} httpd_tail;

/* Prepares t for path (not copied; must outlive t). Nothing is opened
 * before the first poll. Returns 0, or -1 on out of memory. */
int httpd_tail_init(httpd_tail *t, const char *path, bool from_start, httpd_tail_line_fn on_line,
                    httpd_tail_too_long_fn on_too_long, void *userdata);

/* Opens the file if needed, reads every complete line written since the
 * last poll (old file after a rotation first), then checks path for
 * rotation (another inode: the new file is read from its start) and
 * truncation (size below what was read: read again from the start). Stops
 * reading early when ex_should_stop(). */
void httpd_tail_poll(httpd_tail *t);

/* Whether a file is open and being read. */
bool httpd_tail_is_open(const httpd_tail *t);

/* Closes the files and frees the buffers. An incomplete last line is
 * dropped. */
void httpd_tail_close(httpd_tail *t);

#endif /* HTTPD_TAIL_H */
