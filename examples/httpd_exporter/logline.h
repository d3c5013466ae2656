/*
 * The access-log line parser of httpd_exporter: Common and Combined Log
 * Format, hand-written, no globals, no allocation. Self-contained so the unit
 * test can #include logline.c directly.
 */
#ifndef HTTPD_LOGLINE_H
#define HTTPD_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Response sizes above this (Apache's apr_off_t is signed 64-bit) make the
 * line unparsed. */
#define HTTPD_LOGLINE_MAX_BYTES INT64_MAX

typedef struct httpd_logline {
    char status[4]; /* three ASCII digits, NUL-terminated */
    bool has_bytes; /* false for a "-" size */
    uint64_t bytes; /* the size, 0 when has_bytes is false */
    bool combined;  /* referer and user-agent were present */
} httpd_logline;

/* Parses one line of len bytes (its newline removed; one trailing "\r" is
 * ignored; the line need not be NUL-terminated and may contain any bytes):
 *
 *     host ident authuser [date] "request" status bytes
 *     host ident authuser [date] "request" status bytes "referer" "user-agent"
 *
 * Fields are separated by one or more spaces; host, ident and authuser are
 * runs of non-space bytes (IPv4, IPv6 such as 2001:db8::1, host names); the
 * date is anything non-empty between "[" and "]"; quoted fields may be empty
 * and contain backslash escapes (\" and \\ as Apache writes them); status is
 * exactly three digits; bytes is "-" or decimal up to HTTPD_LOGLINE_MAX_BYTES.
 * After the user-agent further space-separated fields are allowed (nginx and
 * Apache variants append some); after bytes in the Common form only spaces.
 * Control characters (bytes below 0x20 and 0x7f) anywhere make the line
 * invalid: Apache and nginx escape them, so a raw one means a damaged line.
 * Returns true and fills *out when the line is in one of the two formats. */
bool httpd_logline_parse(const char *line, size_t len, httpd_logline *out);

#endif /* HTTPD_LOGLINE_H */
