/*
 * Small shared helpers: UTF-8 validation (Prometheus fails a whole scrape
 * on one invalid label value, so we refuse them at the door), the escaping
 * of label values and help texts, and the clocks. The name grammars are in
 * names.c.
 */
#define _DEFAULT_SOURCE /* CLOCK_REALTIME_COARSE */
#include <string.h>
#include <time.h>

#include "internal.h"

size_t promc__utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned c = s[0];
    size_t n;
    uint32_t min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len <= n)
        return 0;
    uint32_t v = c & (0x3Fu >> n);
    for (size_t k = 1; k <= n; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[k] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n + 1;
}

/* Accepts exactly the well-formed sequences of RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF. Never reads past len. */
bool promc__valid_utf8(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = promc__utf8_decode(s + i, len - i, &cp);
        if (!n)
            return false;
        i += n;
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

double promc__now_coarse(void)
{
#ifdef CLOCK_REALTIME_COARSE
    /* The time of the last timer tick, read from memory the kernel shares,
     * without reading the clock source (kvm-clock: 28 ns a precise read,
     * 4 ns a coarse one). A tick is a few milliseconds at most, and the
     * coarse time is never later than the precise one. */
    struct timespec ts;
    if (promc__clock == system_clock && clock_gettime(CLOCK_REALTIME_COARSE, &ts) == 0)
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
#endif
    return promc__clock();
}

int64_t promc__mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
