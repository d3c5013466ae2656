/*
 * The logfmt (or JSON) logger behind log.h. A line is built in a stack buffer and
 * written with a single write(2): lines stay whole when threads log at once
 * (POSIX keeps writes of up to PIPE_BUF bytes to a pipe atomic; longer ones
 * and regular files opened by the shell are whole in practice on Linux).
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "rfc3339.h"

#define LINE_MAX_BYTES 4096

static atomic_int min_level = EX_LOG_INFO;
static atomic_int line_format = EX_LOG_LOGFMT;
static int log_fd = 2;
static double (*log_clock)(void);

static const char *const names[] = {"debug", "info", "warn", "error"};

void ex_log_set_level(ex_log_level level)
{
    if (level >= EX_LOG_DEBUG && level <= EX_LOG_ERROR)
        atomic_store(&min_level, (int)level);
}

ex_log_level ex_log_get_level(void)
{
    return (ex_log_level)atomic_load(&min_level);
}

bool ex_log_enabled(ex_log_level level)
{
    return (int)level >= atomic_load(&min_level);
}

const char *ex_log_level_name(ex_log_level level)
{
    return level >= EX_LOG_DEBUG && level <= EX_LOG_ERROR ? names[level] : "unknown";
}

int ex_log_parse_level(const char *name, ex_log_level *out)
{
    if (!name)
        return -1;
    for (int i = EX_LOG_DEBUG; i <= EX_LOG_ERROR; i++) {
        if (strcasecmp(name, names[i]) == 0) {
            if (out)
                *out = (ex_log_level)i;
            return 0;
        }
    }
    if (strcasecmp(name, "warning") == 0) {
        if (out)
            *out = EX_LOG_WARN;
        return 0;
    }
    return -1;
}

int ex_log_set_level_name(const char *name)
{
    ex_log_level level;
    if (ex_log_parse_level(name, &level) != 0)
        return -1;
    ex_log_set_level(level);
    return 0;
}

const char *ex_log_check_level(const char *value)
{
    return ex_log_parse_level(value, NULL) == 0 ? NULL
                                                : "not a log level (debug, info, warn, error)";
}

void ex_log_set_format(ex_log_format format)
{
    if (format == EX_LOG_LOGFMT || format == EX_LOG_JSON)
        atomic_store(&line_format, (int)format);
}

int ex_log_set_format_name(const char *name)
{
    if (name && strcasecmp(name, "logfmt") == 0)
        ex_log_set_format(EX_LOG_LOGFMT);
    else if (name && strcasecmp(name, "json") == 0)
        ex_log_set_format(EX_LOG_JSON);
    else
        return -1;
    return 0;
}

const char *ex_log_check_format(const char *value)
{
    return value && (strcasecmp(value, "logfmt") == 0 || strcasecmp(value, "json") == 0)
               ? NULL
               : "not a log format (logfmt, json)";
}

void ex_log_failure_kind(const char *msg, char *out, size_t cap)
{
    if (cap == 0)
        return;
    size_t n = 0;
    bool quoted = false;
    for (const char *p = msg ? msg : ""; *p && n + 1 < cap; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (quoted || (*p >= '0' && *p <= '9' && n && out[n - 1] == '#'))
            continue;
        out[n++] = *p >= '0' && *p <= '9' ? '#' : *p;
    }
    out[n] = '\0';
}

void ex_log_set_fd(int fd)
{
    log_fd = fd;
}

void ex_log_set_clock(double (*now)(void))
{
    log_clock = now;
}

static double now_seconds(void)
{
    if (log_clock)
        return log_clock();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The length of the well-formed UTF-8 sequence at p (1 to 4), or 0. */
static size_t utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = p[0] >= 0xc2 && p[0] <= 0xdf   ? 2
               : p[0] >= 0xe0 && p[0] <= 0xef ? 3
               : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
                                              : 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    /* Overlong forms, surrogates and code points above U+10FFFF. */
    if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
        (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
        return 0;
    return n;
}

/* The escaped form of one byte c into esc (at most 6 bytes): '"', '\\' and
 * control characters escaped as JSON escapes them; its length. */
static size_t escape_byte(unsigned char c, char *esc)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    switch (c) {
    case '"':
    case '\\':
        esc[k++] = '\\';
        esc[k++] = (char)c;
        break;
    case '\n':
        esc[k++] = '\\';
        esc[k++] = 'n';
        break;
    case '\r':
        esc[k++] = '\\';
        esc[k++] = 'r';
        break;
    case '\t':
        esc[k++] = '\\';
        esc[k++] = 't';
        break;
    default:
        if (c < 0x20 || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            k = 4;
            esc[k++] = hex[c >> 4];
            esc[k++] = hex[c & 15];
        } else {
            esc[k++] = (char)c;
        }
    }
    return k;
}

/* Appends msg quoted into line[*n..cap), leaving room for the closing
 * quote and what follows it (tail bytes); ends with "..." when it does not
 * fit or was cut already. With json, bytes that are not UTF-8 become
 * \ufffd (a sequence is copied whole or not at all). */
static void append_quoted(char *line, size_t *n, size_t cap, size_t tail, const char *msg, bool cut,
                          bool json)
{
    size_t w = *n, room = cap - 1 - tail; /* '"' and the tail */
    line[w++] = '"';
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
        char esc[7];
        size_t seq = json && *p >= 0x80 ? utf8_len(p) : 1, k;
        if (seq == 0) {
            memcpy(esc, "\\ufffd", 6);
            k = 6;
        } else if (seq > 1) {
            memcpy(esc, p, seq);
            k = seq;
            p += seq - 1;
        } else {
            k = escape_byte(*p, esc);
        }
        if (w + k > room - 3) { /* keep space for "..." */
            cut = true;
            break;
        }
        memcpy(line + w, esc, k);
        w += k;
    }
    if (cut) {
        memcpy(line + w, "...", 3);
        w += 3;
    }
    line[w++] = '"';
    *n = w;
}

void ex_log(ex_log_level level, const char *fmt, ...)
{
    if (!ex_log_enabled(level))
        return;
    int saved_errno = errno;
    char msg[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    char line[LINE_MAX_BYTES + 128];
    char ts[EX_RFC3339_BUFSIZE];
    if (ex_rfc3339_format(now_seconds(), ts, sizeof ts) == 0)
        strcpy(ts, "0000-00-00T00:00:00.000Z");
    bool json = atomic_load(&line_format) == EX_LOG_JSON;
    int head =
        snprintf(line, sizeof line,
                 json ? "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":" : "ts=%s level=%s msg=", ts,
                 ex_log_level_name(level));
    size_t n = head > 0 ? (size_t)head : 0;
    append_quoted(line, &n, sizeof line, json ? 2 : 1, msg, len < 0 || (size_t)len >= sizeof msg,
                  json);
    if (json)
        line[n++] = '}';
    line[n++] = '\n';

    size_t off = 0;
    while (off < n) {
        ssize_t w = write(log_fd, line + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    errno = saved_errno;
}
