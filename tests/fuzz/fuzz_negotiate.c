/*
 * Fuzz target for promc_negotiate and promc_negotiate_escaping
 * (lib/negotiate.c). The input is an Accept header, negotiated from an
 * exact-size NUL-terminated heap copy. The result and Content-Type must
 * agree, and both calls choose the same format; a header that is well-formed
 * by RFC 9110 (token media ranges, token parameter values, valid qvalues)
 * must get the format and the escaping (the chosen range's escaping
 * parameter) an independent reading of the rules in docs/FORMATS.md gives;
 * and for any header, an unknown media range appended or ASCII case changed
 * must not change the answer. Any broken invariant aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

static void fail(const char *what, const char *accept)
{
    fprintf(stderr, "fuzz_negotiate: %s\nAccept: %s\n", what, accept);
    abort();
}

/* ------------------------------------------------------------------ */
/* The reference: RFC 9110 grammar, the table of docs/FORMATS.md       */
/* ------------------------------------------------------------------ */

static bool is_tchar(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static size_t token(const char *p)
{
    size_t n = 0;
    while (is_tchar((unsigned char)p[n]))
        n++;
    return n;
}

static bool span_is(const char *p, size_t n, const char *lower)
{
    if (strlen(lower) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lower[i])
            return false;
    }
    return true;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in
 * thousandths; -1 when v[0..n) is not one. */
static int qvalue(const char *v, size_t n)
{
    if (n == 0 || (v[0] != '0' && v[0] != '1') || (n > 1 && v[1] != '.') || n > 5)
        return -1;
    int q = (v[0] - '0') * 1000, scale = 100;
    for (size_t i = 2; i < n; i++, scale /= 10) {
        if (v[i] < '0' || v[i] > '9' || (v[0] == '1' && v[i] != '0'))
            return -1;
        q += (v[i] - '0') * scale;
    }
    return q;
}

enum { UNKNOWN = -1, MALFORMED = -2 };

/* The escaping an escaping parameter's value names; underscores when it
 * names none. */
static int escaping_of(const char *v, size_t n)
{
    return !v                             ? PROMC_ESCAPING_UNDERSCORES
           : span_is(v, n, "allow-utf-8") ? PROMC_ESCAPING_ALLOW_UTF8
           : span_is(v, n, "dots")        ? PROMC_ESCAPING_DOTS
           : span_is(v, n, "values")      ? PROMC_ESCAPING_VALUES
                                          : PROMC_ESCAPING_UNDERSCORES;
}

/* The format docs/FORMATS.md gives a media range, or UNKNOWN. */
static int classify(const char *type, size_t tlen, const char *version, size_t vlen,
                    const char *proto, size_t plen, const char *encoding, size_t elen)
{
    if (span_is(type, tlen, "application/vnd.google.protobuf"))
        return proto && encoding && span_is(proto, plen, "io.prometheus.client.metricfamily") &&
                       span_is(encoding, elen, "delimited")
                   ? PROMC_FORMAT_PROTOBUF
                   : UNKNOWN;
    if (span_is(type, tlen, "application/openmetrics-text"))
        return !version || span_is(version, vlen, "1.0.0") || span_is(version, vlen, "0.0.1")
                   ? PROMC_FORMAT_OPENMETRICS
                   : UNKNOWN;
    if (span_is(type, tlen, "text/plain"))
        return !version || span_is(version, vlen, "0.0.4") ? PROMC_FORMAT_TEXT : UNKNOWN;
    if (span_is(type, tlen, "*/*") || span_is(type, tlen, "text/*"))
        return PROMC_FORMAT_TEXT;
    if (span_is(type, tlen, "application/*"))
        return PROMC_FORMAT_OPENMETRICS;
    return UNKNOWN;
}

/* Accept = #( media-range *( OWS ";" OWS token "=" token ) ), empty list
 * elements allowed; q at most once and a qvalue, version at most once (the
 * last escaping counts). Returns the format the header asks for, or
 * MALFORMED, and the escaping in *escaping. */
static int reference(const char *p, int *escaping)
{
    int best = PROMC_FORMAT_TEXT, best_q = 0;
    *escaping = PROMC_ESCAPING_UNDERSCORES;
    for (;;) {
        p = ows(p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (!*p)
            return best;
        const char *type = p;
        size_t n = token(p);
        if (!n || p[n] != '/' || !token(p + n + 1))
            return MALFORMED;
        size_t tlen = n + 1 + token(p + n + 1);
        p += tlen;
        const char *version = NULL, *proto = NULL, *encoding = NULL, *esc = NULL;
        size_t vlen = 0, plen = 0, elen = 0, esclen = 0;
        int q = 1000;
        bool seen_q = false;
        for (;;) {
            const char *s = ows(p);
            if (*s != ';')
                break;
            const char *k = ows(s + 1);
            size_t klen = token(k);
            if (!klen || k[klen] != '=' || !token(k + klen + 1))
                return MALFORMED;
            const char *v = k + klen + 1;
            size_t len = token(v);
            if (span_is(k, klen, "q")) {
                if (seen_q || (q = qvalue(v, len)) < 0)
                    return MALFORMED;
                seen_q = true;
            } else if (span_is(k, klen, "version")) {
                if (version)
                    return MALFORMED;
                version = v;
                vlen = len;
            } else if (span_is(k, klen, "proto")) {
                if (proto)
                    return MALFORMED;
                proto = v;
                plen = len;
            } else if (span_is(k, klen, "encoding")) {
                if (encoding)
                    return MALFORMED;
                encoding = v;
                elen = len;
            } else if (span_is(k, klen, "escaping")) {
                esc = v;
                esclen = len;
            }
            p = v + len;
        }
        p = ows(p);
        if (*p && *p != ',')
            return MALFORMED;
        int f = classify(type, tlen, version, vlen, proto, plen, encoding, elen);
        if (f != UNKNOWN && q > best_q) {
            best = f;
            best_q = q;
            *escaping = escaping_of(esc, esclen);
        }
    }
}

/* ------------------------------------------------------------------ */
/* The target                                                          */
/* ------------------------------------------------------------------ */

static promc_format negotiate(const char *accept)
{
    const char *ct = NULL;
    promc_format f = promc_negotiate(accept, &ct);
    if (f != PROMC_FORMAT_TEXT && f != PROMC_FORMAT_OPENMETRICS && f != PROMC_FORMAT_PROTOBUF)
        fail("result out of range", accept);
    const char *want = f == PROMC_FORMAT_TEXT          ? PROMC_CONTENT_TYPE_TEXT
                       : f == PROMC_FORMAT_OPENMETRICS ? PROMC_CONTENT_TYPE_OPENMETRICS
                                                       : PROMC_CONTENT_TYPE_PROTOBUF;
    if (!ct || strcmp(ct, want) != 0)
        fail("Content-Type does not match the format", accept);
    if (promc_negotiate(accept, NULL) != f)
        fail("result differs without content_type", accept);
    promc_escaping e = (promc_escaping)-1;
    if (promc_negotiate_escaping(accept, &e, &ct) != f)
        fail("promc_negotiate_escaping chose another format", accept);
    if ((unsigned)e > PROMC_ESCAPING_ALLOW_UTF8 || !ct ||
        strcmp(ct, promc_content_type_escaped(f, e)) != 0 || strncmp(ct, want, strlen(want)) != 0)
        fail("escaping or its Content-Type out of line", accept);
    return f;
}

static promc_escaping negotiated_escaping(const char *accept)
{
    promc_escaping e;
    promc_negotiate_escaping(accept, &e, NULL);
    return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exact size plus the NUL: the parser must stop at the first NUL. */
    char *accept = malloc(size + 1);
    char *variant = malloc(size + sizeof ",application/x-unknown");
    if (!accept || !variant)
        abort();
    memcpy(accept, data, size);
    accept[size] = '\0';
    promc_format got = negotiate(accept);

    int want_escaping;
    int want = reference(accept, &want_escaping);
    if (want != MALFORMED && (int)got != want)
        fail(want == PROMC_FORMAT_TEXT          ? "well-formed header: text expected"
             : want == PROMC_FORMAT_OPENMETRICS ? "well-formed header: OpenMetrics expected"
                                                : "well-formed header: protobuf expected",
             accept);
    promc_escaping got_escaping = negotiated_escaping(accept);
    if (want != MALFORMED && (int)got_escaping != want_escaping)
        fail("well-formed header: another escaping expected", accept);

    /* An unknown range at the end is ignored, whatever came before. */
    size_t len = strlen(accept);
    memcpy(variant, accept, len);
    memcpy(variant + len, ",application/x-unknown", sizeof ",application/x-unknown");
    if (negotiate(variant) != got || negotiated_escaping(variant) != got_escaping)
        fail("an unknown media range appended changed the result", accept);

    /* Types, parameter names and the values compared are case-insensitive. */
    for (size_t i = 0; i <= len; i++) {
        char c = accept[i];
        variant[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
    }
    if (negotiate(variant) != got || negotiated_escaping(variant) != got_escaping)
        fail("upper case changed the result", accept);

    free(variant);
    free(accept);
    return 0;
}

/* Seeds for replay.c's random mode: what Prometheus versions send, and
 * edge cases of the grammar. */
const char *const *fuzz_seed_inputs(size_t *n)
{
    static const char *const seeds[] = {
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
        "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding="
        "delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;"
        "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/"
        "openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
        "text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
        "text/plain;version=0.0.4;q=1.000 , APPLICATION/*;Q=0.999",
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding="
        "delimited;escaping=allow-utf-8;q=0.6,text/plain;version=0.0.4;escaping=values;q=0.2",
        "text/plain;escaping=dots;escaping=Allow-UTF-8,*/*;escaping=underscores;q=0.5",
        "application/openmetrics-text; q=0, text/*;q=\"0.5\", ,,\t*/*",
        "",
    };
    *n = sizeof seeds / sizeof seeds[0];
    return seeds;
}
