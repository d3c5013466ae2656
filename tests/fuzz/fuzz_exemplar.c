/*
 * Fuzz target for exemplars: arbitrary bytes become the labels of one
 * exemplar call (a counter add or inc, a counter vec child, or a histogram
 * observation). A reference check written here from the OpenMetrics rules
 * (label-name grammar, no "__" prefix, UTF-8 values, no repeats, at most 128
 * characters) says whether the call must succeed; when it must, the
 * OpenMetrics exposition must carry the exemplar on the right line, and a
 * small parser written here must read back exactly the labels given, in
 * order, with the value; when it must not, the call returns PROMC_EINVAL
 * with a message and nothing is shown. Either way the increment or
 * observation is recorded and text 0.0.4 has no exemplar. Any broken
 * invariant aborts.
 *
 * Input: byte 0 picks the call (low 2 bits: counter add, inc, histogram,
 * vec child), byte 1 the value (low 3 bits), the rest is split at bytes
 * 0x00 and 0x01 into name, value, name, value, ...
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

#define MAX_FIELDS 300 /* past the 128 labels any valid exemplar can have */

static const char *current_output;

static void fail(const char *what)
{
    if (current_output)
        fprintf(stderr, "fuzz_exemplar: output:\n%.4000s\n", current_output);
    fprintf(stderr, "fuzz_exemplar: %s (last error: %s)\n", what, promc_last_error());
    abort();
}

/* ------------------------------------------------------------------ */
/* The reference                                                        */
/* ------------------------------------------------------------------ */

static bool name_ok(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    if (s[0] == '_' && s[1] == '_')
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
              (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

/* Characters of s if it is well-formed UTF-8 (RFC 3629), else -1. */
static long utf8_chars(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    long n = 0;
    while (*s) {
        unsigned c = *s, len;
        uint32_t cp;
        if (c < 0x80) {
            s++;
            n++;
            continue;
        }
        if ((c & 0xE0) == 0xC0)
            len = 2, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0)
            len = 3, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0)
            len = 4, cp = c & 0x07;
        else
            return -1;
        for (unsigned i = 1; i < len; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return -1;
            cp = cp << 6 | (s[i] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return -1;
        s += len;
        n++;
    }
    return n;
}

static bool reference_ok(const promc_label *l, size_t n)
{
    long total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!name_ok(l[i].name))
            return false;
        long c = utf8_chars(l[i].value);
        if (c < 0)
            return false;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(l[i].name, l[j].name))
                return false;
        total += (long)strlen(l[i].name) + c;
    }
    return total <= PROMC_EXEMPLAR_MAX_RUNES;
}

/* ------------------------------------------------------------------ */
/* The parser: ` # {name="escaped",...} value ts` after a sample        */
/* ------------------------------------------------------------------ */

/* The line of out that starts with prefix. */
static const char *find_line(const char *out, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = out; *p;) {
        if (!strncmp(p, prefix, n))
            return p;
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    fail("sample line missing");
    return NULL;
}

/* Checks that line (after the sample) holds exactly labels[0..n) and v. */
static void check_exemplar(const char *line, const promc_label *l, size_t n, double v)
{
    const char *p = strstr(line, " # {");
    const char *eol = strchr(line, '\n');
    if (!p || p > eol)
        fail("exemplar missing");
    p += 4;
    static char buf[8192];
    for (size_t i = 0; i < n; i++) {
        if (i && *p++ != ',')
            fail("exemplar: no comma between labels");
        size_t nl = strcspn(p, "=");
        if (nl != strlen(l[i].name) || strncmp(p, l[i].name, nl))
            fail("exemplar: label name differs");
        p += nl;
        if (p[0] != '=' || p[1] != '"')
            fail("exemplar: no =\" after the name");
        p += 2;
        size_t k = 0;
        for (; *p != '"'; p++) {
            if (*p == '\n' || !*p)
                fail("exemplar: raw newline or end in a value");
            if (*p == '\\') {
                p++;
                if (*p == 'n')
                    buf[k++] = '\n';
                else if (*p == '\\' || *p == '"')
                    buf[k++] = *p;
                else
                    fail("exemplar: bad escape");
            } else {
                buf[k++] = *p;
            }
            if (k >= sizeof buf - 1)
                fail("exemplar: value too long");
        }
        buf[k] = '\0';
        if (strcmp(buf, l[i].value))
            fail("exemplar: label value differs");
        p++;
    }
    if (p[0] != '}' || p[1] != ' ')
        fail("exemplar: no '} ' after the labels");
    p += 2;
    char *end;
    double got = strtod(p, &end);
    if (end == p && !strncmp(p, "NaN", 3))
        got = NAN, end = (char *)p + 3;
    else if (!strncmp(p, "+Inf", 4))
        got = INFINITY, end = (char *)p + 4;
    if (end == p || !(got == v || (isnan(got) && isnan(v))))
        fail("exemplar: value differs");
    if (*end != ' ')
        fail("exemplar: no timestamp");
    double ts = strtod(end + 1, &end);
    if (!(ts > 1e9) || *end != '\n')
        fail("exemplar: bad timestamp or trailing bytes");
}

/* ------------------------------------------------------------------ */
/* The target                                                           */
/* ------------------------------------------------------------------ */

static const double values[8] = {1, 0.5, 0, 1e21, -1, NAN, 7, INFINITY};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int mode = data[0] & 3;
    double v = mode == 1 ? 1 : values[data[1] & 7];
    if (mode == 2 && (isinf(v) || v < 0))
        v = 0.25; /* any double goes for a histogram; keep the checks simple */

    /* Split the rest into fields. */
    char *text = malloc(size - 1);
    if (!text)
        return 0;
    memcpy(text, data + 2, size - 2);
    text[size - 2] = '\0';
    static promc_label labels[MAX_FIELDS / 2];
    size_t nfields = 0, start = 0;
    const char *fields[MAX_FIELDS];
    for (size_t i = 0; i <= size - 2 && nfields < MAX_FIELDS; i++)
        if (i == size - 2 || text[i] == '\0' || text[i] == '\x01') {
            text[i] = '\0';
            fields[nfields++] = text + start;
            start = i + 1;
        }
    size_t n = nfields / 2;
    for (size_t i = 0; i < n; i++)
        labels[i] = (promc_label){fields[2 * i], fields[2 * i + 1]};

    bool want_ok = reference_ok(labels, n) && (mode == 2 || v >= 0);
    promc_registry *reg = promc_registry_new();
    const double bounds[] = {0.1, 1};
    promc_histogram_opts ho = {.buckets = bounds, .nbuckets = 2};
    promc_counter *c = promc_counter_new(reg, "fz", "F.", NULL);
    promc_counter_vec *cv = promc_counter_vec_new(reg, "fzv", "F.", PROMC_LABELS("k"), NULL);
    promc_histogram *h = promc_histogram_new(reg, "fzh", "F.", &ho);
    if (!c || !cv || !h)
        fail("setup");
    promc_counter *child = promc_counter_vec_labels(cv, "a");
    int rc;
    switch (mode) {
    case 0:
        rc = promc_counter_add_exemplar(c, v, labels, n);
        break;
    case 1:
        rc = promc_counter_inc_exemplar(c, labels, n);
        break;
    case 2:
        rc = promc_histogram_observe_exemplar(h, v, labels, n);
        break;
    default:
        rc = promc_counter_add_exemplar(child, v, labels, n);
        break;
    }
    if ((rc == PROMC_OK) != want_ok)
        fail(want_ok ? "a valid exemplar was refused" : "an invalid exemplar was accepted");
    if (rc != PROMC_OK && (rc != PROMC_EINVAL || !promc_last_error()[0]))
        fail("a refusal without PROMC_EINVAL and a message");
    /* The data is kept whenever the value alone is valid. */
    if (mode == 0 && v >= 0 && !(promc_counter_get(c) == v))
        fail("the increment was lost");
    if (mode == 3 && v >= 0 && !(promc_counter_get(child) == v))
        fail("the child's increment was lost");

    char *om = promc_encode_buffer(reg, PROMC_FORMAT_OPENMETRICS, NULL);
    char *txt = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, NULL);
    if (!om || !txt)
        fail("encode");
    current_output = om;
    if (strstr(txt, " # {"))
        fail("an exemplar in text 0.0.4");
    const char *bucket = v <= 0.1 ? "fzh_bucket{le=\"0.1\"}"
                         : v <= 1 ? "fzh_bucket{le=\"1.0\"}"
                                  : "fzh_bucket{le=\"+Inf\"}"; /* NaN too */
    const char *line = mode == 2   ? find_line(om, bucket)
                       : mode == 3 ? find_line(om, "fzv_total{k=\"a\"} ")
                                   : find_line(om, "fz_total ");
    if (rc == PROMC_OK)
        check_exemplar(line, labels, n, v);
    /* No other line has one (only that line holds the caller's bytes). */
    for (const char *p = om; *p; p = strchr(p, '\n') + 1) {
        const char *x = strstr(p, " # {");
        if (x && x < strchr(p, '\n') && (p != line || rc != PROMC_OK))
            fail(rc == PROMC_OK ? "an exemplar on another line" : "a refused exemplar is shown");
    }
    current_output = NULL;
    promc_free(om);
    promc_free(txt);
    promc_counter_free(c);
    promc_counter_vec_free(cv);
    promc_histogram_free(h);
    promc_registry_free(reg);
    free(text);
    return 0;
}

const char *const *fuzz_seed_inputs(size_t *n)
{
    static const char *const seeds[] = {
        "00trace_id\x01KOO5S4vxi0o",
        "10trace_id\x01"
        "0af7651916cd43dd\x01span_id\x01"
        "00f067aa0ba902b7",
        "21trace_id\x01"
        "a\"b\\c\nd",
        "33a\x01\xc3\xbc\xe2\x98\x83\x01"
        "b\x01",
        "05trace_id\x01x",
        "04trace_id\x01x",
        "26__x\x01y",
        "01a\x01"
        "1\x01"
        "a\x01"
        "2",
        "27trace_id\x01\xff",
        "00trace_id\x01xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "10",
    };
    *n = sizeof seeds / sizeof seeds[0];
    return seeds;
}
