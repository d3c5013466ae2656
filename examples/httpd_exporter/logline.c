/*
 * Hand parser for Common and Combined Log Format lines (see logline.h): one
 * left-to-right pass over the bytes with a cursor, no regex, no allocation,
 * no globals. The unit test includes this file directly.
 */
#include "logline.h"

#include <string.h>

typedef struct cursor {
    const unsigned char *p, *end;
} cursor;

static bool is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* One or more spaces; false if there is none. */
static bool skip_spaces(cursor *c)
{
    if (c->p >= c->end || *c->p != ' ')
        return false;
    while (c->p < c->end && *c->p == ' ')
        c->p++;
    return true;
}

/* A non-empty run of bytes other than space. */
static bool token(cursor *c)
{
    const unsigned char *start = c->p;
    while (c->p < c->end && *c->p != ' ')
        c->p++;
    return c->p > start;
}

/* "[" non-empty text without "]" "]". */
static bool bracketed(cursor *c)
{
    if (c->p >= c->end || *c->p != '[')
        return false;
    const unsigned char *start = ++c->p;
    const unsigned char *close = memchr(start, ']', (size_t)(c->end - start));
    if (!close || close == start)
        return false;
    c->p = close + 1;
    return true;
}

/* '"' text '"' where a backslash escapes the byte after it. */
static bool quoted(cursor *c)
{
    if (c->p >= c->end || *c->p != '"')
        return false;
    c->p++;
    while (c->p < c->end) {
        unsigned char ch = *c->p++;
        if (ch == '"')
            return true;
        if (ch == '\\') {
            if (c->p >= c->end)
                return false;
            c->p++;
        }
    }
    return false;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Exactly three digits, copied into status. */
static bool status_code(cursor *c, char status[4])
{
    if (c->end - c->p < 3 || !is_digit(c->p[0]) || !is_digit(c->p[1]) || !is_digit(c->p[2]))
        return false;
    memcpy(status, c->p, 3);
    status[3] = '\0';
    c->p += 3;
    /* A fourth digit would make it something else than a status. */
    return c->p >= c->end || *c->p == ' ';
}

/* "-" or a decimal up to HTTPD_LOGLINE_MAX_BYTES. */
static bool size_field(cursor *c, httpd_logline *out)
{
    if (c->p < c->end && *c->p == '-') {
        c->p++;
        out->has_bytes = false;
        out->bytes = 0;
        return c->p >= c->end || *c->p == ' ';
    }
    uint64_t v = 0;
    const unsigned char *start = c->p;
    while (c->p < c->end && is_digit(*c->p)) {
        uint64_t d = (uint64_t)(*c->p - '0');
        if (v > (HTTPD_LOGLINE_MAX_BYTES - d) / 10)
            return false;
        v = v * 10 + d;
        c->p++;
    }
    if (c->p == start || (c->p < c->end && *c->p != ' '))
        return false;
    out->has_bytes = true;
    out->bytes = v;
    return true;
}

bool httpd_logline_parse(const char *line, size_t len, httpd_logline *out)
{
    if (!line || !out)
        return false;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    const unsigned char *s = (const unsigned char *)line;
    for (size_t i = 0; i < len; i++)
        if (is_ctl(s[i]))
            return false;

    httpd_logline r = {.status = ""};
    cursor c = {s, s + len};
    /* host ident authuser [date] "request" status bytes */
    if (!token(&c) || !skip_spaces(&c) || !token(&c) || !skip_spaces(&c) || !token(&c) ||
        !skip_spaces(&c) || !bracketed(&c) || !skip_spaces(&c) || !quoted(&c) || !skip_spaces(&c) ||
        !status_code(&c, r.status) || !skip_spaces(&c) || !size_field(&c, &r))
        return false;
    skip_spaces(&c);
    if (c.p < c.end) {
        /* Combined: "referer" "user-agent", then anything after a space. */
        if (!quoted(&c) || !skip_spaces(&c) || !quoted(&c))
            return false;
        if (c.p < c.end && *c.p != ' ')
            return false;
        r.combined = true;
    }
    *out = r;
    return true;
}
