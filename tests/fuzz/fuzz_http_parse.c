/*
 * Fuzz target for lib/http_parse.c. Each input is parsed from an exact-size
 * heap copy (so ASan sees any over-read), under generous and tight limits,
 * and again at up to 64 of its prefixes, which must agree with the whole:
 * INCOMPLETE before the head ends, the same head after, the same error.
 * Any broken invariant aborts. Also feeds Authorization to the base64 and
 * constant-time helpers, and the target's query to the query decoder.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

#define MAX_PREFIXES 64

static void fail(const char *what, size_t size, size_t k, int rc)
{
    fprintf(stderr, "fuzz_http_parse: %s (input %zu bytes, prefix %zu, rc %d)\n", what, size, k,
            rc);
    abort();
}

static int inside(const char *p, size_t plen, const char *base, size_t len)
{
    return p >= base && plen <= len && (size_t)(p - base) <= len - plen;
}

/* Invariants of a successful parse of buf (head of rc bytes). */
static void check_ok(const char *buf, size_t size, int rc, const struct promc__http_request *r)
{
    size_t n = (size_t)rc;
    if (n > size || buf[n - 1] != '\n')
        fail("head length", size, size, rc);
    if (!r->method_len || !inside(r->method, r->method_len, buf, n) || !r->target_len ||
        !inside(r->target, r->target_len, buf, n) ||
        !inside(r->path, r->path_len, r->target, r->target_len))
        fail("request-line pointers", size, size, rc);
    if (r->minor_version != 0 && r->minor_version != 1)
        fail("minor version", size, size, rc);
    if (r->nheaders > PROMC__HTTP_MAX_HEADERS)
        fail("nheaders", size, size, rc);
    for (size_t i = 0; i < r->nheaders; i++) {
        const struct promc__http_header *h = &r->headers[i];
        if (!h->name_len || !inside(h->name, h->name_len, buf, n) ||
            !inside(h->value, h->value_len, buf, n))
            fail("header pointers", size, size, rc);
        if (memchr(h->value, '\r', h->value_len) || memchr(h->value, '\n', h->value_len) ||
            memchr(h->value, '\0', h->value_len) || memchr(h->name, ':', h->name_len))
            fail("header bytes", size, size, rc);
    }
    if ((r->accept && !inside(r->accept, r->accept_len, buf, n)) ||
        (r->authorization && !inside(r->authorization, r->authorization_len, buf, n)))
        fail("derived pointers", size, size, rc);
    if ((r->chunked && r->content_length) || (r->minor_version == 1 && !r->has_host) ||
        (r->minor_version == 0 && r->chunked))
        fail("derived fields", size, size, rc);

    if (r->authorization) {
        char out[256];
        long d = promc__base64_decode(r->authorization, r->authorization_len, out, sizeof out);
        if (d < -1 || d > (long)sizeof out || (d >= 0 && (size_t)d > r->authorization_len))
            fail("base64 length", size, size, rc);
        bool same = promc__http_consttime_equal(r->authorization, r->authorization_len,
                                                r->authorization, r->authorization_len);
        if (!same)
            fail("consttime_equal", size, size, rc);
    }

    /* The query after the path decodes to no more bytes than it has, or
     * is refused. */
    const char *tend = r->target + r->target_len, *q = r->path + r->path_len;
    if (q < tend && *q == '?') {
        size_t qlen = (size_t)(tend - q - 1);
        char *out = malloc(qlen ? qlen : 1);
        if (!out)
            abort();
        long d = promc__http_query_decode(q + 1, qlen, out);
        if (d < -1 || (d >= 0 && (size_t)d > qlen))
            fail("query decode length", size, size, rc);
        free(out);
    }
}

/* Parses data[0..k) from an exact-size heap copy, which *base receives
 * (the caller frees it once done with r). */
static int parse_copy(const uint8_t *data, size_t k, size_t maxt, size_t maxh,
                      struct promc__http_request *r, char **base)
{
    /* malloc(0) may return NULL; the parser must not touch buf then. */
    char *buf = malloc(k ? k : 1);
    if (!buf)
        abort();
    if (k)
        memcpy(buf, data, k);
    int rc = promc__http_parse_request(buf, k, maxt, maxh, r);
    if (rc < PROMC__HTTP_BAD_VERSION || (rc > 0 && (size_t)rc > k))
        fail("result range", k, k, rc);
    if (rc > 0)
        check_ok(buf, k, rc, r);
    *base = buf;
    return rc;
}

/* Do two parses of the same bytes (at different addresses) agree? */
static int same_req(const struct promc__http_request *a, const char *ab,
                    const struct promc__http_request *b, const char *bb)
{
#define OFS(f) (a->f - ab == b->f - bb && a->f##_len == b->f##_len)
    if (!OFS(method) || !OFS(target) || !OFS(path) || a->minor_version != b->minor_version ||
        a->nheaders != b->nheaders || a->keep_alive != b->keep_alive ||
        a->has_host != b->has_host || a->content_length != b->content_length ||
        a->chunked != b->chunked || !a->accept != !b->accept ||
        !a->authorization != !b->authorization)
        return 0;
    for (size_t i = 0; i < a->nheaders; i++)
        if (!OFS(headers[i].name) || !OFS(headers[i].value))
            return 0;
    if ((a->accept && !OFS(accept)) || (a->authorization && !OFS(authorization)))
        return 0;
#undef OFS
    return 1;
}

static void check_limits(const uint8_t *data, size_t size, size_t maxt, size_t maxh)
{
    static struct promc__http_request whole, part;
    char *wb, *pb;
    int want = parse_copy(data, size, maxt, maxh, &whole, &wb);
    if (want > 0 && (size_t)want > maxh)
        fail("head over max_head", size, size, want);
    if (want > 0 && whole.target_len > maxt)
        fail("target over max_target", size, size, want);

    size_t step = size / MAX_PREFIXES + 1;
    int seen_error = 0;
    for (size_t k = 0; k < size; k += step) {
        int rc = parse_copy(data, k, maxt, maxh, &part, &pb);
        if (want > 0 && k < (size_t)want) {
            if (rc != PROMC__HTTP_INCOMPLETE)
                fail("prefix of a complete head not INCOMPLETE", size, k, rc);
        } else if (want > 0) {
            if (rc != want || !same_req(&whole, wb, &part, pb))
                fail("prefix past the head differs", size, k, rc);
        } else if (rc != PROMC__HTTP_INCOMPLETE) {
            if (rc != want)
                fail("prefix error differs from the whole", size, k, rc);
            seen_error = 1;
        } else if (seen_error) {
            fail("INCOMPLETE after an error", size, k, rc);
        }
        free(pb);
    }
    free(wb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_limits(data, size, 1 << 20, 1 << 20);
    check_limits(data, size, 32, 256);
    return 0;
}

/* Seeds for replay.c's built-in random mode. */
const char *const *fuzz_seed_inputs(size_t *n)
{
    static const char *const seeds[] = {
        "GET /metrics HTTP/1.1\r\nHost: localhost:9100\r\n\r\n",
        "GET /metrics HTTP/1.1\r\n"
        "Host: 10.0.0.7:9100\r\n"
        "User-Agent: Prometheus/2.42.0\r\n"
        "Accept: application/openmetrics-text;version=1.0.0,application/"
        "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
        "Accept-Encoding: gzip\r\n"
        "X-Prometheus-Scrape-Timeout-Seconds: 10\r\n"
        "\r\n",
        "HEAD /metrics?name[]=up HTTP/1.0\nConnection: keep-alive, Upgrade\n\n",
        "\r\nPOST http://h:1/p?q HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
        "Content-Length: 5\r\n\r\nhello",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip;q=\"a,b\", chunked\r\n"
        "Connection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Basic dXNlcjpwYXNz\r\n\r\n"
        "GET /b HTTP/1.1\r\nHost: h\r\n\r\n",
    };
    *n = sizeof seeds / sizeof seeds[0];
    return seeds;
}
