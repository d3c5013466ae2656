/*
 * HTTP/1.x request-head parsing (RFC 9112) for the built-in /metrics server.
 * One left-to-right scan that stops at the first byte proving an error, so
 * rerunning it on a growing buffer after each read() is consistent: every
 * prefix gives INCOMPLETE or the whole input's result. Nothing here allocates
 * or reads past buf[len - 1].
 */
#include <limits.h>
#include <string.h>

#include "http_parse.h"

/* The bytes being scanned. lim is min(len, max_head): needing a byte at lim
 * means "read more" unless lim is max_head, when the head is too large. */
struct scan {
    const unsigned char *p;
    size_t pos, lim;
    bool capped;
};

/* What the fields seen so far imply, beyond what req records. */
struct fields {
    bool seen_cl, seen_te, conn_close, conn_keep_alive;
};

/* Out of bytes at s->pos. */
static int more(const struct scan *s)
{
    return s->capped ? PROMC__HTTP_HEADERS_TOO_LARGE : PROMC__HTTP_INCOMPLETE;
}

/* RFC 9110 §5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

static bool is_ows(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* Case-insensitive s[0..n) == lower, where lower is a lowercase literal. */
static bool ieq(const char *s, size_t n, const char *lower)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (lower[i] == '\0' || c != (unsigned char)lower[i])
            return false;
    }
    return lower[n] == '\0';
}

/* Consumes the line end at s->pos (which holds CR or LF). LF alone is
 * accepted (RFC 9112 §2.2); CR must be followed by LF, since a bare CR is
 * what request smuggling through lenient proxies is made of. Returns 1, or
 * INCOMPLETE/an error. */
static int eat_eol(struct scan *s)
{
    if (s->p[s->pos] == '\n') {
        s->pos++;
        return 1;
    }
    if (s->pos + 1 >= s->lim)
        return more(s);
    if (s->p[s->pos + 1] != '\n')
        return PROMC__HTTP_BAD;
    s->pos += 2;
    return 1;
}

/* The path of the target: up to the '?', after the authority in
 * absolute-form. Only looks inside the target, which is already validated. */
static void split_path(struct promc__http_request *req)
{
    const char *t = req->target, *end = t + req->target_len, *p = t;
    if (*t != '/') {
        /* absolute-form: scheme "://" authority path-abempty [ "?" query ] */
        const char *q = t;
        if ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')) {
            q++;
            while (q < end && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
                               (*q >= '0' && *q <= '9') || *q == '+' || *q == '-' || *q == '.'))
                q++;
            if (end - q >= 3 && memcmp(q, "://", 3) == 0) {
                q += 3;
                while (q < end && *q != '/' && *q != '?')
                    q++;
                p = q;
            }
        }
    }
    const char *qm = memchr(p, '?', (size_t)(end - p));
    req->path = p;
    req->path_len = (size_t)((qm ? qm : end) - p);
}

static int parse_request_line(struct scan *s, size_t max_target, struct promc__http_request *req)
{
    const char *buf = (const char *)s->p;
    size_t start = s->pos;
    for (;; s->pos++) {
        if (s->pos == s->lim)
            return more(s);
        if (!is_tchar(s->p[s->pos]))
            break;
    }
    if (s->pos == start || s->p[s->pos] != ' ')
        return PROMC__HTTP_BAD;
    req->method = buf + start;
    req->method_len = s->pos - start;
    s->pos++;

    start = s->pos;
    for (;; s->pos++) {
        if (s->pos == s->lim)
            return more(s);
        unsigned char c = s->p[s->pos];
        if (c == ' ')
            break;
        if (c < 0x21 || c > 0x7e)
            return PROMC__HTTP_BAD;
        /* This is byte max_target + 1: known too long without seeing the rest. */
        if (s->pos - start >= max_target)
            return PROMC__HTTP_URI_TOO_LONG;
    }
    if (s->pos == start) /* two spaces */
        return PROMC__HTTP_BAD;
    req->target = buf + start;
    req->target_len = s->pos - start;
    s->pos++;

    /* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive. A well-formed
     * version we do not speak is 505, anything else 400. */
    static const char proto[] = "HTTP/";
    for (int i = 0; i < 8; i++, s->pos++) {
        if (s->pos == s->lim)
            return more(s);
        unsigned char c = s->p[s->pos];
        bool ok = i < 5 ? c == (unsigned char)proto[i] : i == 6 ? c == '.' : c >= '0' && c <= '9';
        if (!ok)
            return PROMC__HTTP_BAD;
    }
    if (s->pos == s->lim)
        return more(s);
    if (s->p[s->pos] != '\r' && s->p[s->pos] != '\n')
        return PROMC__HTTP_BAD;
    unsigned char major = s->p[s->pos - 3], minor = s->p[s->pos - 1];
    if (major != '1' || minor > '1')
        return PROMC__HTTP_BAD_VERSION;
    req->minor_version = minor - '0';
    split_path(req);
    return eat_eol(s);
}

/* Content-Length = 1*DIGIT; no lists, signs or spaces inside. */
static bool parse_length(const char *v, size_t n, uint64_t *out)
{
    if (n == 0)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        unsigned d = (unsigned)(v[i] - '0');
        if (x > (UINT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *out = x;
    return true;
}

/* Transfer-Encoding = #transfer-coding, transfer-coding = token *( OWS ";"
 * OWS transfer-parameter ). Sets req->chunked when chunked is the final
 * coding; chunked anywhere but last (in this or an earlier field) is BAD, as
 * is anything that does not parse. Parameters are skipped honouring quoted
 * strings, so a quoted comma cannot fake a list element. */
static int parse_te(const char *v, size_t n, struct promc__http_request *req)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (is_ows((unsigned char)v[i]) || v[i] == ','))
            i++; /* empty list elements are allowed (RFC 9110 §5.6.1) */
        if (i == n)
            break;
        size_t t = i;
        while (i < n && is_tchar((unsigned char)v[i]))
            i++;
        if (i == t || req->chunked)
            return PROMC__HTTP_BAD;
        req->chunked = ieq(v + t, i - t, "chunked");
        while (i < n && is_ows((unsigned char)v[i]))
            i++;
        if (i < n && v[i] == ';') {
            if (req->chunked) /* chunked takes no parameters */
                return PROMC__HTTP_BAD;
            bool quoted = false;
            for (; i < n && (quoted || v[i] != ','); i++) {
                if (quoted && v[i] == '\\')
                    i++;
                else if (v[i] == '"')
                    quoted = !quoted;
            }
            if (quoted) /* unterminated, or ends in a backslash */
                return PROMC__HTTP_BAD;
        }
        if (i < n && v[i] != ',')
            return PROMC__HTTP_BAD;
    }
    return 1;
}

/* Connection = #connection-option; only close and keep-alive matter. */
static void parse_connection(const char *v, size_t n, struct fields *f)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (is_ows((unsigned char)v[i]) || v[i] == ','))
            i++;
        size_t t = i;
        while (i < n && v[i] != ',')
            i++;
        size_t e = i;
        while (e > t && is_ows((unsigned char)v[e - 1]))
            e--;
        if (ieq(v + t, e - t, "close"))
            f->conn_close = true;
        else if (ieq(v + t, e - t, "keep-alive"))
            f->conn_keep_alive = true;
    }
}

/* Folds one complete field into the derived members. Returns 1 or an error. */
static int apply_field(const struct promc__http_header *h, struct promc__http_request *req,
                       struct fields *f)
{
    const char *n = h->name, *v = h->value;
    size_t nl = h->name_len, vl = h->value_len;
    if (ieq(n, nl, "host")) {
        /* Two Hosts let a proxy and us route by different ones (§3.2). */
        if (req->has_host)
            return PROMC__HTTP_BAD;
        req->has_host = true;
    } else if (ieq(n, nl, "content-length")) {
        uint64_t x;
        if (!parse_length(v, vl, &x) || f->seen_te || (f->seen_cl && x != req->content_length))
            return PROMC__HTTP_BAD;
        f->seen_cl = true;
        req->content_length = x;
    } else if (ieq(n, nl, "transfer-encoding")) {
        /* With both, some hop may frame by the other one: smuggling (§6.3). */
        if (f->seen_cl)
            return PROMC__HTTP_BAD;
        f->seen_te = true;
        return parse_te(v, vl, req);
    } else if (ieq(n, nl, "connection")) {
        parse_connection(v, vl, f);
    } else if (ieq(n, nl, "accept")) {
        if (!req->accept) {
            req->accept = v;
            req->accept_len = vl;
        }
    } else if (ieq(n, nl, "authorization")) {
        /* A singleton; with two, which one was checked would be a guess. */
        if (req->authorization)
            return PROMC__HTTP_BAD;
        req->authorization = v;
        req->authorization_len = vl;
    }
    return 1;
}

/* Header fields through the blank line. Returns 1 or INCOMPLETE/an error. */
static int parse_fields(struct scan *s, struct promc__http_request *req, struct fields *f)
{
    const char *buf = (const char *)s->p;
    for (;;) {
        if (s->pos == s->lim)
            return more(s);
        unsigned char c = s->p[s->pos];
        if (c == '\r' || c == '\n')
            return eat_eol(s);
        /* obs-fold, or whitespace before the first field: both MUST be
         * rejected or worked around (§5.2, §2.2); rejecting is simpler. */
        if (is_ows(c))
            return PROMC__HTTP_BAD;
        if (req->nheaders == PROMC__HTTP_MAX_HEADERS)
            return PROMC__HTTP_HEADERS_TOO_LARGE;

        size_t name = s->pos;
        for (;; s->pos++) {
            if (s->pos == s->lim)
                return more(s);
            if (!is_tchar(s->p[s->pos]))
                break;
        }
        /* Includes whitespace before the colon (§5.1: MUST reject). */
        if (s->pos == name || s->p[s->pos] != ':')
            return PROMC__HTTP_BAD;
        size_t name_end = s->pos++;
        for (;; s->pos++) {
            if (s->pos == s->lim)
                return more(s);
            if (!is_ows(s->p[s->pos]))
                break;
        }
        size_t value = s->pos, value_end = s->pos;
        for (;; s->pos++) {
            if (s->pos == s->lim)
                return more(s);
            c = s->p[s->pos];
            if (c == '\r' || c == '\n')
                break;
            if (is_ows(c))
                continue;
            /* NUL, CR and LF MUST be rejected (RFC 9110 §5.5); other
             * controls are invalid too and nothing legitimate sends them. */
            if (c < 0x20 || c == 0x7f)
                return PROMC__HTTP_BAD;
            value_end = s->pos + 1;
        }
        int rc = eat_eol(s);
        if (rc <= 0)
            return rc;

        struct promc__http_header *h = &req->headers[req->nheaders++];
        h->name = buf + name;
        h->name_len = name_end - name;
        h->value = buf + value;
        h->value_len = value_end - value;
        if ((rc = apply_field(h, req, f)) <= 0)
            return rc;
    }
}

int promc__http_parse_request(const char *buf, size_t len, size_t max_target, size_t max_head,
                              struct promc__http_request *req)
{
    if (max_head > INT_MAX)
        max_head = INT_MAX; /* the head's length must fit the return value */
    struct scan s = {(const unsigned char *)buf, 0, len < max_head ? len : max_head,
                     len >= max_head};
    struct fields f = {false, false, false, false};
    req->method = req->target = req->path = NULL;
    req->method_len = req->target_len = req->path_len = 0;
    req->minor_version = 0;
    req->nheaders = 0;
    req->keep_alive = req->has_host = req->chunked = false;
    req->content_length = 0;
    req->accept = req->authorization = NULL;
    req->accept_len = req->authorization_len = 0;

    for (int n = 0;; n++) {
        if (s.pos == s.lim)
            return more(&s);
        if (s.p[s.pos] != '\r' && s.p[s.pos] != '\n')
            break;
        if (n == PROMC__HTTP_MAX_LEADING_EMPTY)
            return PROMC__HTTP_BAD;
        int rc = eat_eol(&s);
        if (rc <= 0)
            return rc;
    }
    int rc = parse_request_line(&s, max_target, req);
    if (rc <= 0)
        return rc;
    rc = parse_fields(&s, req, &f);
    if (rc <= 0)
        return rc;

    if (req->minor_version == 1 && !req->has_host)
        return PROMC__HTTP_BAD; /* RFC 9112 §3.2 */
    if (f.seen_te && (!req->chunked || req->minor_version == 0))
        return PROMC__HTTP_BAD; /* unknown framing (§6.3), or 1.0 + TE (§6.1) */
    req->keep_alive = req->minor_version == 1 ? !f.conn_close : f.conn_keep_alive && !f.conn_close;
    return (int)s.pos;
}

bool promc__http_consttime_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    /* volatile keeps the compiler from turning the loop into an early exit. */
    const volatile unsigned char *x = (const volatile unsigned char *)a;
    const volatile unsigned char *y = (const volatile unsigned char *)b;
    size_t n = alen > blen ? alen : blen;
    unsigned diff = alen != blen;
    for (size_t i = 0; i < n; i++) {
        unsigned char cx = i < alen ? x[i] : 0;
        unsigned char cy = i < blen ? y[i] : 0;
        diff |= (unsigned)(cx ^ cy);
    }
    return diff == 0;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long promc__base64_decode(const char *in, size_t len, char *out, size_t cap)
{
    size_t n = len, pad = 0;
    while (n > 0 && pad < 2 && in[n - 1] == '=') {
        n--;
        pad++;
    }
    /* Padding completes the last quantum to 4 characters, or is absent.
     * With len % 4 == 0, one '=' leaves 3 data characters and two leave 2,
     * so the amount is right whenever the total is. */
    if ((pad && len % 4 != 0) || n % 4 == 1)
        return -1;
    size_t outlen = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (outlen > cap || outlen > LONG_MAX)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    size_t i = 0;
    for (; i < n; i++) {
        int v = b64_value((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        if (i % 4 == 3) {
            out[o++] = (char)(acc >> 16 & 0xff);
            out[o++] = (char)(acc >> 8 & 0xff);
            out[o++] = (char)(acc & 0xff);
            acc = 0;
        }
    }
    /* A final 2 or 3 characters carry 12 or 18 bits for 1 or 2 bytes; the
     * rest must be zero, or two inputs would decode alike (RFC 4648 §3.5). */
    if (n % 4 == 2) {
        if (acc & 0xf)
            return -1;
        out[o++] = (char)(acc >> 4 & 0xff);
    } else if (n % 4 == 3) {
        if (acc & 0x3)
            return -1;
        out[o++] = (char)(acc >> 10 & 0xff);
        out[o++] = (char)(acc >> 2 & 0xff);
    }
    return (long)o;
}

/* ===================================================================== */
/* Query strings                                                          */
/* ===================================================================== */

static int hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long promc__http_query_decode(const char *in, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '+') {
            out[n++] = ' ';
        } else if (c != '%') {
            out[n++] = (char)c;
        } else {
            int hi = i + 1 < len ? hex_digit((unsigned char)in[i + 1]) : -1;
            int lo = i + 2 < len ? hex_digit((unsigned char)in[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            out[n++] = (char)(hi << 4 | lo);
            i += 2;
        }
    }
    return (long)n;
}
