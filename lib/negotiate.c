/*
 * Content negotiation: picks text 0.0.4, OpenMetrics 1.0.0 or delimited
 * protobuf from an HTTP Accept header the way a server should -- by q-value,
 * ties going to the earlier entry -- and always falls back to text, which
 * every Prometheus understands; takes the name escaping from the chosen
 * media range's "escaping" parameter (Prometheus 3); and reads
 * Accept-Encoding headers for gzip. Parsing never reads past the header and
 * allocates nothing.
 */
#include <string.h>

#include "internal.h"

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static const char *trim_end(const char *start, const char *p)
{
    while (p > start && (p[-1] == ' ' || p[-1] == '\t'))
        p--;
    return p;
}

/* q-value per RFC 9110: 0, 0.x.., 1, 1.000; anything else is malformed and
 * taken as 1 (lenient, like most servers). Returned in thousandths. */
static int parse_q(const char *p, const char *end)
{
    if (p < end && *p == '"' && end - p >= 2 && end[-1] == '"') {
        p++;
        end--;
    }
    if (p >= end || (*p != '0' && *p != '1'))
        return 1000;
    int q = (*p - '0') * 1000;
    p++;
    if (p < end && *p == '.') {
        p++;
        int scale = 100;
        for (; p < end && *p >= '0' && *p <= '9' && scale; p++, scale /= 10)
            q += (*p - '0') * scale;
    }
    return q > 1000 ? 1000 : q;
}

/* A parameter value (RFC 9110 §5.6.6: a token, or a quoted-string with
 * backslash escapes, the two equivalent) equals want, ignoring ASCII case.
 * The values compared here (versions, a message name, an encoding) are
 * case-sensitive strictly speaking; accepting them in any case is lenient
 * and asks nothing of the client (Prometheus sends them as written here). */
static bool value_is(const char *v, size_t vlen, const char *want)
{
    if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
        const char *end = v + vlen - 1;
        for (v++; v < end; v++, want++) {
            if (*v == '\\' && v + 1 < end)
                v++;
            if (!*want || lower(*v) != lower(*want))
                return false;
        }
        return !*want;
    }
    return ieq(v, vlen, want);
}

enum { NONE = -1 };

/* A parameter of a media range: its value, if it was given. */
struct param {
    const char *v;
    size_t len;
    bool given;
};

/* Classifies one media range; returns the format it asks for or NONE. */
static int classify(const char *type, size_t tlen, struct param version, struct param proto,
                    struct param encoding)
{
    if (ieq(type, tlen, "application/vnd.google.protobuf"))
        return proto.given && encoding.given &&
                       value_is(proto.v, proto.len, "io.prometheus.client.MetricFamily") &&
                       value_is(encoding.v, encoding.len, "delimited")
                   ? PROMC_FORMAT_PROTOBUF
                   : NONE;
    const char *vv = version.v;
    size_t vlen = version.len;
    bool has_version = version.given;
    if (ieq(type, tlen, "application/openmetrics-text"))
        return !has_version || value_is(vv, vlen, "1.0.0") || value_is(vv, vlen, "0.0.1")
                   ? PROMC_FORMAT_OPENMETRICS
                   : NONE;
    if (ieq(type, tlen, "text/plain"))
        return !has_version || value_is(vv, vlen, "0.0.4") ? PROMC_FORMAT_TEXT : NONE;
    if (ieq(type, tlen, "*/*") || ieq(type, tlen, "text/*"))
        return PROMC_FORMAT_TEXT;
    if (ieq(type, tlen, "application/*"))
        return PROMC_FORMAT_OPENMETRICS;
    return NONE;
}

/* The escaping an "escaping" parameter asks for; missing or unknown values
 * are the default, underscores (prometheus/common ignores unknown ones too). */
static promc_escaping escaping_of(struct param e)
{
    if (!e.given)
        return PROMC_ESCAPING_UNDERSCORES;
    if (value_is(e.v, e.len, "allow-utf-8"))
        return PROMC_ESCAPING_ALLOW_UTF8;
    if (value_is(e.v, e.len, "dots"))
        return PROMC_ESCAPING_DOTS;
    if (value_is(e.v, e.len, "values"))
        return PROMC_ESCAPING_VALUES;
    return PROMC_ESCAPING_UNDERSCORES;
}

promc_format promc_negotiate_escaping(const char *accept, promc_escaping *escaping,
                                      const char **content_type)
{
    int best = PROMC_FORMAT_TEXT, best_q = -1;
    promc_escaping best_escaping = PROMC_ESCAPING_UNDERSCORES;
    const char *p = accept ? accept : "";
    while (*p) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *tend = trim_end(p, semi ? semi : end);
        const char *type = skip_ws(p, tend);
        struct param version = {0}, proto = {0}, encoding = {0}, escape = {0};
        int q = 1000;
        for (const char *param = semi; param && param < end;) {
            const char *next = memchr(param + 1, ';', (size_t)(end - param - 1));
            const char *pend = next ? next : end;
            const char *k = skip_ws(param + 1, pend);
            const char *eq = memchr(k, '=', (size_t)(pend - k));
            if (eq) {
                const char *kend = trim_end(k, eq);
                const char *v = skip_ws(eq + 1, pend);
                const char *vend = trim_end(v, pend);
                size_t klen = (size_t)(kend - k);
                struct param got = {v, (size_t)(vend - v), true};
                if (ieq(k, klen, "q"))
                    q = parse_q(v, vend);
                else if (ieq(k, klen, "version"))
                    version = got;
                else if (ieq(k, klen, "proto"))
                    proto = got;
                else if (ieq(k, klen, "encoding"))
                    encoding = got;
                else if (ieq(k, klen, "escaping"))
                    escape = got;
            }
            param = next;
        }
        int f = classify(type, (size_t)(tend - type), version, proto, encoding);
        if (f != NONE && q > 0 && q > best_q) {
            best = f;
            best_q = q;
            best_escaping = escaping_of(escape);
        }
        p = *end ? end + 1 : end;
    }
    if (escaping)
        *escaping = best_escaping;
    if (content_type)
        *content_type = promc_content_type_escaped((promc_format)best, best_escaping);
    return (promc_format)best;
}

promc_format promc_negotiate(const char *accept, const char **content_type)
{
    promc_format f = promc_negotiate_escaping(accept, NULL, NULL);
    if (content_type)
        *content_type = promc_content_type(f);
    return f;
}

const char *promc_content_type(promc_format format)
{
    switch (format) {
    case PROMC_FORMAT_OPENMETRICS:
        return PROMC_CONTENT_TYPE_OPENMETRICS;
    case PROMC_FORMAT_PROTOBUF:
        return PROMC_CONTENT_TYPE_PROTOBUF;
    default:
        return PROMC_CONTENT_TYPE_TEXT;
    }
}

/* The Content-Types with the escaping applied, as client_golang sends them
 * (expfmt.Format: the format's own string, then "; escaping=<scheme>"). */
#define WITH_ESCAPING(ct)                                                                          \
    {                                                                                              \
        ct "; escaping=underscores", ct "; escaping=dots", ct "; escaping=values",                 \
            ct "; escaping=allow-utf-8"                                                            \
    }
static const char *const escaped_types[][4] = {
    [PROMC_FORMAT_TEXT] = WITH_ESCAPING(PROMC_CONTENT_TYPE_TEXT),
    [PROMC_FORMAT_OPENMETRICS] = WITH_ESCAPING(PROMC_CONTENT_TYPE_OPENMETRICS),
    [PROMC_FORMAT_PROTOBUF] = WITH_ESCAPING(PROMC_CONTENT_TYPE_PROTOBUF),
};

const char *promc_content_type_escaped(promc_format format, promc_escaping escaping)
{
    if ((unsigned)format > PROMC_FORMAT_PROTOBUF)
        format = PROMC_FORMAT_TEXT;
    if ((unsigned)escaping > PROMC_ESCAPING_ALLOW_UTF8)
        escaping = PROMC_ESCAPING_UNDERSCORES;
    return escaped_types[format][escaping];
}

/* Accept-Encoding (RFC 9110 12.5.3): a list of codings, each with an
 * optional q. gzip (or its alias x-gzip) is used when its q, or that of "*"
 * when it is not named, is above 0 and, if identity is named, not below
 * identity's. Identity is always the fallback, even when refused: an
 * uncompressed exposition beats a 406 for a scraper. */
void promc__accept_encoding_add(struct promc__accept_encoding *ae, const char *v, size_t len)
{
    const char *p = v, *end = v + len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *iend = comma ? comma : end;
        const char *semi = memchr(p, ';', (size_t)(iend - p));
        const char *t = skip_ws(p, iend);
        const char *tend = trim_end(t, semi ? semi : iend);
        int q = 1000;
        for (const char *param = semi; param && param < iend;) {
            const char *next = memchr(param + 1, ';', (size_t)(iend - param - 1));
            const char *pend = next ? next : iend;
            const char *k = skip_ws(param + 1, pend);
            const char *eq = memchr(k, '=', (size_t)(pend - k));
            if (eq && ieq(k, (size_t)(trim_end(k, eq) - k), "q"))
                q = parse_q(skip_ws(eq + 1, pend), trim_end(eq + 1, pend));
            param = next;
        }
        size_t tl = (size_t)(tend - t);
        if (ieq(t, tl, "gzip") || ieq(t, tl, "x-gzip")) {
            ae->gzip_q = ae->gzip_named && ae->gzip_q > q ? ae->gzip_q : q;
            ae->gzip_named = true;
        } else if (ieq(t, tl, "identity")) {
            ae->identity_q = ae->identity_named && ae->identity_q > q ? ae->identity_q : q;
            ae->identity_named = true;
        } else if (ieq(t, tl, "*")) {
            ae->star_q = ae->star_named && ae->star_q > q ? ae->star_q : q;
            ae->star_named = true;
        }
        p = comma ? comma + 1 : end;
    }
}

bool promc__accept_encoding_gzip(const struct promc__accept_encoding *ae)
{
    int gzip = ae->gzip_named ? ae->gzip_q : ae->star_named ? ae->star_q : 0;
    return gzip > 0 && (!ae->identity_named || gzip >= ae->identity_q);
}
