/*
 * Error codes, their names and texts (generated from PROMC_ERRNO_MAP so the
 * three can never disagree), and the per-thread record of the most recent
 * call that can fail: its code, and the message of a failure, kept in the
 * thread's own state block (thread_state.h), so no lock is needed. A success
 * writes only the code, so that it costs one store.
 */
#include <stdarg.h>
#include <stdio.h>

#include <stdbool.h>

#include "error.h"
#include "promc.h"
#include "thread_state.h"

static _Thread_local int last_code PROMC__TLS;
/* The last failure's message could not be kept (no thread state). */
static _Thread_local bool message_lost PROMC__TLS;

unsigned promc_version(void)
{
    return PROMC_VERSION_HEX;
}

const char *promc_version_string(void)
{
    return PROMC_VERSION_STRING;
}

const char *promc_strerror(int code)
{
    switch (code) {
#define PROMC__ERR_TEXT(name, value, text)                                                         \
    case value:                                                                                    \
        return text;
        PROMC_ERRNO_MAP(PROMC__ERR_TEXT)
#undef PROMC__ERR_TEXT
    }
    return "unknown error";
}

const char *promc_errname(int code)
{
    switch (code) {
#define PROMC__ERR_NAME(name, value, text)                                                         \
    case value:                                                                                    \
        return "PROMC_" #name;
        PROMC_ERRNO_MAP(PROMC__ERR_NAME)
#undef PROMC__ERR_NAME
    }
    return "PROMC_UNKNOWN";
}

const char *promc_last_error(void)
{
    if (last_code == PROMC_OK)
        return "";
    struct promc__thread_state *ts = promc__tls_state;
    return ts && !message_lost ? ts->message : "(no message: out of memory)";
}

int promc_last_error_code(void)
{
    return last_code;
}

/* The length of the well-formed UTF-8 sequence at s (RFC 3629: no
 * overlongs, surrogates or code points above U+10FFFF), or 0. */
static size_t utf8_sequence(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned min, cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, min = 0x80, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, min = 0x800, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xC0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    return cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ? 0 : n;
}

/* Messages quote what callers and peers gave (a label name, a gateway's
 * answer), and vsnprintf may cut one inside a character: every byte that is
 * not part of a well-formed sequence becomes '?', so the message is always
 * valid UTF-8. */
static void make_utf8(char *m)
{
    unsigned char *s = (unsigned char *)m;
    while (*s) {
        size_t n = utf8_sequence(s);
        if (n == 0) {
            *s++ = '?';
            continue;
        }
        s += n;
    }
}

__attribute__((format(printf, 2, 0))) static void record(int code, const char *fmt, va_list ap)
{
    last_code = code;
    struct promc__thread_state *ts = promc__thread_state();
    message_lost = !ts;
    if (ts) {
        vsnprintf(ts->message, sizeof ts->message, fmt, ap);
        make_utf8(ts->message);
    }
}

int promc__fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(code, fmt, ap);
    va_end(ap);
    return code;
}

void *promc__fail_null(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(code, fmt, ap);
    va_end(ap);
    return NULL;
}

int promc__ok(void)
{
    last_code = PROMC_OK;
    return PROMC_OK;
}
