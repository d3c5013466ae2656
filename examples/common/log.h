/*
 * Logging for the example exporters: one logfmt line per message on stderr,
 *     ts=2024-01-02T03:04:05.123Z level=info msg="listening on :9000"
 * as Prometheus' own exporters write them (or JSON, ex_log_set_format). Thread-safe: each line is
 * one write(2), so lines from several threads never interleave.
 */
#ifndef EX_LOG_H
#define EX_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum ex_log_level { EX_LOG_DEBUG, EX_LOG_INFO, EX_LOG_WARN, EX_LOG_ERROR } ex_log_level;

/* Logs one line if level is at or above the minimum (default info). The
 * message is formatted with printf rules, then quoted: '"', '\\' and
 * control characters are escaped (a newline becomes \n), so a line is
 * always one line. Messages longer than about 4 KiB are cut, marked "...".
 * errno is preserved. */
__attribute__((format(printf, 2, 3))) void ex_log(ex_log_level level, const char *fmt, ...);

/* The kind of a failure, for logging a failure when it starts and again when
 * its kind changes rather than at every poll: msg with every run of digits
 * made one '#' and every double-quoted part emptied (promc's HTTP client
 * quotes there the bytes it received). Polls that fail the same way compare
 * equal ("timeout after 5.0 s", a body cut after 1234 bytes, garbage that
 * differs at every answer); different failures do not, although promc
 * reports a refused connection, a timeout and a malformed answer with one
 * error code. Numbers that tell kinds apart (an HTTP status) are the
 * caller's to keep. out gets at most cap bytes, NUL included. */
void ex_log_failure_kind(const char *msg, char *out, size_t cap);

/* The minimum level logged. Thread-safe (an atomic). */
void ex_log_set_level(ex_log_level level);
ex_log_level ex_log_get_level(void);
/* Whether ex_log(level, ...) would write anything (to skip costly
 * formatting). */
bool ex_log_enabled(ex_log_level level);

/* "debug", "info", "warn" (or "warning"), "error", any case, to a level:
 * 0, or -1 for anything else. */
int ex_log_parse_level(const char *name, ex_log_level *out);
/* Sets the minimum level by name; 0, or -1 (level unchanged). */
int ex_log_set_level_name(const char *name);
/* "debug", "info", "warn", "error". */
const char *ex_log_level_name(ex_log_level level);
/* For ex_flag.check: NULL when value names a level, else why not. */
const char *ex_log_check_level(const char *value);

/* The line format: logfmt (the default, as above) or JSON, one object a
 * line, as Prometheus' exporters write with --log.format=json:
 *     {"ts":"2024-01-02T03:04:05.123Z","level":"info","msg":"listening on :9000"}
 * The message is escaped the same way in both (JSON's escapes); in JSON,
 * bytes that are not UTF-8 become U+FFFD, so every line parses. */
typedef enum ex_log_format { EX_LOG_LOGFMT, EX_LOG_JSON } ex_log_format;
/* Sets the format. Thread-safe (an atomic). */
void ex_log_set_format(ex_log_format format);
/* "logfmt" or "json" (any case): sets it and returns 0, or -1 (unchanged). */
int ex_log_set_format_name(const char *name);
/* For ex_flag.check: NULL when value names a format, else why not. */
const char *ex_log_check_format(const char *value);

/* Test hooks: the file descriptor lines go to (default 2) and the clock
 * giving Unix seconds (NULL = the real time). Not for use while other
 * threads log. */
void ex_log_set_fd(int fd);
void ex_log_set_clock(double (*now)(void));

#endif /* EX_LOG_H */
