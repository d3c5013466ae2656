/*
 * Small shared helpers: UTF-8 validation (Prometheus fails a whole scrape
 * on one invalid label value, so we refuse them at the door), the escaping
 * of label values and help texts, and the clocks. The name grammars are in
 * names.c.
 */
#include <string.h>
#include <time.h>

#include "internal.h"

/* Accepts exactly the well-formed sequences of RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF. Never reads past len. */
bool promc__valid_utf8(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned min;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            min = 0x10000;
        } else {
            return false;
        }
        if (len - i <= n)
            return false;
        unsigned cp = c & (0x3F >> n);
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

size_t promc__escaped_len(const char *s, bool quote)
{
    size_t n = 0;
    for (; *s; s++)
        n += (*s == '\\' || *s == '\n' || (quote && *s == '"')) ? 2 : 1;
    return n;
}

size_t promc__escape(char *out, const char *s, bool quote)
{
    char *o = out;
    for (; *s; s++) {
        if (*s == '\\') {
            *o++ = '\\';
            *o++ = '\\';
        } else if (*s == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else if (quote && *s == '"') {
            *o++ = '\\';
            *o++ = '"';
        } else {
            *o++ = *s;
        }
    }
    return (size_t)(o - out);
}

char *promc__render_number(double v, bool canonical)
{
    char buf[PROMC__NUMBUF];
    if (canonical)
        promc__format_canonical(buf, v);
    else
        promc__format_double(buf, v);
    return promc__strdup(buf);
}

void promc__free_strings(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        promc__free(v[i]);
    promc__free(v);
}

static double system_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double (*promc__clock)(void) = system_clock;

double promc__now(void)
{
    return promc__clock();
}

int64_t promc__mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
