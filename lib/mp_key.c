/*
 * Multi-process keys: client_python's JSON key text, written and parsed
 * (see mp_key.h). The parser accepts exactly the shape of a key and any
 * JSON whitespace, so a file written by another program with the same
 * layout but other content is refused rather than misread.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mp_key.h"

/* A JSON string as Python's json.dumps(ensure_ascii=True) writes it. */
static void put_json_string(struct promc__buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    promc__buf_put(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            size_t j = i;
            while (j < len && p[j] >= 0x20 && p[j] < 0x7f && p[j] != '"' && p[j] != '\\')
                j++;
            promc__buf_put(b, s + i, j - i);
            i = j;
            continue;
        }
        uint32_t cp = c;
        size_t n = 1;
        if (c >= 0x80) {
            n = promc__utf8_decode(p + i, len - i, &cp);
            if (n == 0) { /* callers validate UTF-8; never reached */
                cp = 0xfffd;
                n = 1;
            }
        }
        i += n;
        const char *short_form = NULL;
        switch (cp) {
        case '"':
            short_form = "\\\"";
            break;
        case '\\':
            short_form = "\\\\";
            break;
        case '\n':
            short_form = "\\n";
            break;
        case '\r':
            short_form = "\\r";
            break;
        case '\t':
            short_form = "\\t";
            break;
        case '\b':
            short_form = "\\b";
            break;
        case '\f':
            short_form = "\\f";
            break;
        default:
            break;
        }
        if (short_form) {
            promc__buf_put(b, short_form, 2);
            continue;
        }
        uint32_t units[2] = {cp, 0};
        int nunits = 1;
        if (cp > 0xffff) {
            cp -= 0x10000;
            units[0] = 0xd800 | (cp >> 10);
            units[1] = 0xdc00 | (cp & 0x3ff);
            nunits = 2;
        }
        for (int u = 0; u < nunits; u++) {
            char esc[6] = {'\\',
                           'u',
                           hex[(units[u] >> 12) & 15],
                           hex[(units[u] >> 8) & 15],
                           hex[(units[u] >> 4) & 15],
                           hex[units[u] & 15]};
            promc__buf_put(b, esc, 6);
        }
    }
    promc__buf_put(b, "\"", 1);
}

void promc__mp_key(struct promc__buf *b, const char *metric, const char *sample,
                   const promc_label *labels, size_t nlabels, const char *help)
{
    promc__buf_put(b, "[", 1);
    put_json_string(b, metric);
    promc__buf_put(b, ", ", 2);
    put_json_string(b, sample);
    promc__buf_put(b, ", {", 3);
    for (size_t i = 0; i < nlabels; i++) {
        if (i)
            promc__buf_put(b, ", ", 2);
        put_json_string(b, labels[i].name);
        promc__buf_put(b, ": ", 2);
        put_json_string(b, labels[i].value);
    }
    promc__buf_put(b, "}, ", 3);
    put_json_string(b, help);
    promc__buf_put(b, "]", 1);
}

/* ===================================================================== */
/* Parsing                                                                */
/* ===================================================================== */

struct parser {
    const char *s;
    size_t len, at;
    char *out; /* where the next decoded string goes */
};

static void skip_ws(struct parser *p)
{
    while (p->at < p->len && (p->s[p->at] == ' ' || p->s[p->at] == '\t' || p->s[p->at] == '\n' ||
                              p->s[p->at] == '\r'))
        p->at++;
}

static bool expect(struct parser *p, char c)
{
    skip_ws(p);
    if (p->at >= p->len || p->s[p->at] != c)
        return false;
    p->at++;
    return true;
}

static bool peek(struct parser *p, char c)
{
    skip_ws(p);
    return p->at < p->len && p->s[p->at] == c;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool read_u16(struct parser *p, uint32_t *u)
{
    if (p->len - p->at < 4)
        return false;
    *u = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(p->s[p->at + i]);
        if (d < 0)
            return false;
        *u = *u << 4 | (uint32_t)d;
    }
    p->at += 4;
    return true;
}

static void put_utf8(struct parser *p, uint32_t cp)
{
    unsigned char *o = (unsigned char *)p->out;
    if (cp < 0x80) {
        *o++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *o++ = (unsigned char)(0xc0 | cp >> 6);
        *o++ = (unsigned char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (unsigned char)(0xe0 | cp >> 12);
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (unsigned char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (unsigned char)(0xf0 | cp >> 18);
        *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (unsigned char)(0x80 | (cp & 0x3f));
    }
    p->out = (char *)o;
}

/* A JSON string decoded into p->out (never longer than its JSON text);
 * *str points at it. Lone surrogates and invalid UTF-8 are refused. */
static bool read_string(struct parser *p, char **str)
{
    if (!expect(p, '"'))
        return false;
    *str = p->out;
    while (p->at < p->len) {
        unsigned char c = (unsigned char)p->s[p->at];
        if (c == '"') {
            p->at++;
            *p->out++ = '\0';
            return true;
        }
        if (c < 0x20)
            return false;
        if (c >= 0x80) {
            uint32_t cp;
            size_t n = promc__utf8_decode((const unsigned char *)p->s + p->at, p->len - p->at, &cp);
            if (n == 0)
                return false;
            memcpy(p->out, p->s + p->at, n);
            p->out += n;
            p->at += n;
            continue;
        }
        p->at++;
        if (c != '\\') {
            *p->out++ = (char)c;
            continue;
        }
        if (p->at >= p->len)
            return false;
        char e = p->s[p->at++];
        uint32_t cp;
        switch (e) {
        case '"':
            cp = '"';
            break;
        case '\\':
            cp = '\\';
            break;
        case '/':
            cp = '/';
            break;
        case 'b':
            cp = '\b';
            break;
        case 'f':
            cp = '\f';
            break;
        case 'n':
            cp = '\n';
            break;
        case 'r':
            cp = '\r';
            break;
        case 't':
            cp = '\t';
            break;
        case 'u':
            if (!read_u16(p, &cp))
                return false;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return false;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                uint32_t lo;
                if (p->len - p->at < 2 || p->s[p->at] != '\\' || p->s[p->at + 1] != 'u')
                    return false;
                p->at += 2;
                if (!read_u16(p, &lo) || lo < 0xdc00 || lo > 0xdfff)
                    return false;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (cp == 0)
                return false; /* a NUL cannot be part of a name or value */
            break;
        default:
            return false;
        }
        put_utf8(p, cp);
    }
    return false;
}

bool promc__mp_parse_key(const char *s, size_t len, struct promc__mp_parsed *out, bool *oom)
{
    *oom = false;
    memset(out, 0, sizeof *out);
    /* Decoded strings are never longer than their text; labels are at most
     * one per 6 bytes ("a":"b" at the least) and one per ':' of the text.
     * Readers cap len (PROMC__MP_MAX_KEY), so this stays small. */
    size_t colons = 0;
    for (const char *c = s; (c = memchr(c, ':', len - (size_t)(c - s))); c++)
        colons++;
    size_t maxlabels = (colons < len / 6 ? colons : len / 6) + 1;
    char *block = promc__malloc(len + 1 + maxlabels * sizeof(promc_label) + 8);
    if (!block) {
        *oom = true;
        return false;
    }
    promc_label *labels = (promc_label *)(void *)block;
    struct parser p = {s, len, 0, block + maxlabels * sizeof(promc_label)};
    size_t n = 0;
    bool ok = expect(&p, '[') && read_string(&p, &out->metric) && expect(&p, ',') &&
              read_string(&p, &out->sample) && expect(&p, ',') && expect(&p, '{');
    if (ok && !peek(&p, '}')) {
        do {
            char *name, *value;
            ok = n < maxlabels && read_string(&p, &name) && expect(&p, ':') &&
                 read_string(&p, &value);
            if (ok)
                labels[n++] = (promc_label){name, value};
        } while (ok && expect(&p, ','));
    }
    ok = ok && expect(&p, '}') && expect(&p, ',') && read_string(&p, &out->help) && expect(&p, ']');
    skip_ws(&p);
    if (!ok || p.at != len) {
        promc__free(block);
        memset(out, 0, sizeof *out);
        return false;
    }
    out->labels = labels;
    out->nlabels = n;
    out->block = block;
    return true;
}

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const promc_label *)a)->name, ((const promc_label *)b)->name);
}

static bool ends_with(const char *s, const char *base, const char *suffix)
{
    size_t bl = strlen(base);
    return strncmp(s, base, bl) == 0 && strcmp(s + bl, suffix) == 0;
}

const char *promc__mp_key_unservable(struct promc__mp_parsed *k, double value, const char *type,
                                     bool pid_reserved, bool utf8)
{
    if (!promc__valid_name(k->metric, utf8))
        return "a metric name in it is not valid";
    if (strcmp(k->metric, "promc_multiprocess_refused_files") == 0)
        return "a metric in it is named promc_multiprocess_refused_files";
    qsort(k->labels, k->nlabels, sizeof *k->labels, cmp_label);
    bool counter = strcmp(type, "counter") == 0, histogram = strcmp(type, "histogram") == 0,
         summary = strcmp(type, "summary") == 0;
    /* client_python names a gauge's one sample as the metric; the
     * collector keeps a gauge's samples apart by name but serves them under
     * the metric's, so another name could repeat a label set. */
    if (strcmp(type, "gauge") == 0 && strcmp(k->sample, k->metric) != 0)
        return "a gauge's sample in it is not named as its metric";
    const char *reserved = summary ? "quantile" : pid_reserved ? "pid" : NULL;
    for (size_t i = 0; i < k->nlabels; i++) {
        const char *ln = k->labels[i].name;
        if (!promc__valid_label(ln, utf8))
            return "a label name in it is not valid";
        if (i && strcmp(ln, k->labels[i - 1].name) == 0)
            return "a key in it has a label twice";
        if (reserved && strcmp(ln, reserved) == 0)
            return "a key in it has a label name reserved for its type";
    }
    bool is_count = counter || (histogram && ends_with(k->sample, k->metric, "_bucket")) ||
                    (summary && ends_with(k->sample, k->metric, "_count"));
    if (is_count && !(value >= 0))
        return "a count in it is negative or NaN";
    return NULL;
}

/* ===================================================================== */
/* Float text                                                             */
/* ===================================================================== */

/* Python's repr(v) for a finite v: the shortest digits that read back as
 * v, in fixed notation for decimal exponents -4..15, else d.ddde+XX. */
static void python_repr(double v, char *out)
{
    char e[40];
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    /* e is [-]d[.ddd]e[+-]XX */
    char *o = out;
    const char *q = e;
    if (*q == '-')
        *o++ = *q++;
    char digits[20];
    size_t nd = 0;
    for (; *q != 'e'; q++)
        if (*q != '.')
            digits[nd++] = *q;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    int exp = atoi(q + 1);
    if (exp >= -4 && exp < 16) {
        if (exp >= 0) {
            for (int i = 0; i <= exp; i++)
                *o++ = (size_t)i < nd ? digits[i] : '0';
            *o++ = '.';
            if ((size_t)exp + 1 < nd)
                for (size_t i = (size_t)exp + 1; i < nd; i++)
                    *o++ = digits[i];
            else
                *o++ = '0';
        } else {
            *o++ = '0';
            *o++ = '.';
            for (int i = 0; i < -exp - 1; i++)
                *o++ = '0';
            for (size_t i = 0; i < nd; i++)
                *o++ = digits[i];
        }
        *o = '\0';
        return;
    }
    *o++ = digits[0];
    if (nd > 1) {
        *o++ = '.';
        for (size_t i = 1; i < nd; i++)
            *o++ = digits[i];
    }
    sprintf(o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

void promc__mp_float_text(double v, char *out)
{
    if (isnan(v)) {
        strcpy(out, "NaN");
        return;
    }
    if (isinf(v)) {
        strcpy(out, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    char s[40];
    python_repr(v, s);
    const char *dot = strchr(s, '.');
    long at = dot ? dot - s : -1;
    if (v > 0 && at > 6) {
        /* Go switches to exponents sooner: f"{s[0]}.{s[1:dot]}{s[dot+1:]}"
         * with trailing '0' and '.' stripped, then "e+0" and dot - 1. */
        char m[48];
        size_t n = 0;
        m[n++] = s[0];
        m[n++] = '.';
        for (long i = 1; i < at; i++)
            m[n++] = s[i];
        for (const char *t = dot + 1; *t; t++)
            m[n++] = *t;
        while (n > 0 && (m[n - 1] == '0' || m[n - 1] == '.'))
            n--;
        m[n] = '\0';
        sprintf(out, "%se+0%ld", m, at - 1);
        return;
    }
    strcpy(out, s);
}
