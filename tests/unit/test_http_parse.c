/*
 * Tests for lib/http_parse.c. Every input is parsed from a copy that ends
 * exactly at a PROT_NONE page, so reading one byte too far faults; every
 * input is also parsed at every prefix length and through simulated reads of
 * several sizes, which must agree with the all-at-once result (INCOMPLETE
 * until the head is complete, or the same error, reported no later than the
 * whole input reports it).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS with glibc under _POSIX_C_SOURCE */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard.h"
#include "http_parse.h"
#include "promc.h"

enum {
    INCOMPLETE = PROMC__HTTP_INCOMPLETE,
    BAD = PROMC__HTTP_BAD,
    URI_TOO_LONG = PROMC__HTTP_URI_TOO_LONG,
    TOO_LARGE = PROMC__HTTP_HEADERS_TOO_LARGE,
    BAD_VERSION = PROMC__HTTP_BAD_VERSION,
};

#define MAXT 1024 /* default limits, far above every input unless a test says */
#define MAXH 8192

/* A string literal with its length, NULs included. */
#define S(lit) lit, sizeof(lit) - 1

/* ------------------------------------------------------------------ */
/* Guard page                                                          */
/* ------------------------------------------------------------------ */

#define GUARD_PAGES 16

/* The header named name (case-insensitive) of a parsed request, or NULL. */
static const struct promc__http_header *find_header(const struct promc__http_request *req,
                                                    const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < req->nheaders; i++) {
        const struct promc__http_header *h = &req->headers[i];
        if (h->name_len != n)
            continue;
        size_t j = 0;
        for (; j < n; j++) {
            unsigned char a = (unsigned char)h->name[j], b = (unsigned char)name[j];
            if (a >= 'A' && a <= 'Z')
                a = (unsigned char)(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z')
                b = (unsigned char)(b - 'A' + 'a');
            if (a != b)
                break;
        }
        if (j == n)
            return h;
    }
    return NULL;
}

static struct guard guard; /* GUARD_PAGES readable pages, then a PROT_NONE one */

static int group_setup(void **state)
{
    (void)state;
    return guard_open(&guard, GUARD_PAGES * (size_t)sysconf(_SC_PAGESIZE));
}

static int group_teardown(void **state)
{
    (void)state;
    return guard_close(&guard);
}

static const char *at_guard(const char *s, size_t n)
{
    return guard_place(&guard, s, n);
}

/* ------------------------------------------------------------------ */
/* Parsing every way                                                   */
/* ------------------------------------------------------------------ */

static bool inside(const char *p, size_t plen, const char *base, size_t len)
{
    return p >= base && plen <= len && (size_t)(p - base) <= len - plen;
}

/* What any successful parse must satisfy, whatever the input. */
static void check_invariants(const char *base, int rc, const struct promc__http_request *r)
{
    size_t n = (size_t)rc;
    assert_true(base[n - 1] == '\n');
    assert_true(r->method_len > 0 && inside(r->method, r->method_len, base, n));
    assert_true(r->target_len > 0 && inside(r->target, r->target_len, base, n));
    assert_true(inside(r->path, r->path_len, r->target, r->target_len));
    assert_true(r->minor_version == 0 || r->minor_version == 1);
    assert_true(r->nheaders <= PROMC__HTTP_MAX_HEADERS);
    for (size_t i = 0; i < r->nheaders; i++) {
        const struct promc__http_header *h = &r->headers[i];
        assert_true(h->name_len > 0 && inside(h->name, h->name_len, base, n));
        assert_true(inside(h->value, h->value_len, base, n));
        assert_null(memchr(h->value, '\r', h->value_len));
        assert_null(memchr(h->value, '\n', h->value_len));
        assert_null(memchr(h->value, '\0', h->value_len));
    }
    if (r->accept)
        assert_true(inside(r->accept, r->accept_len, base, n));
    if (r->authorization)
        assert_true(inside(r->authorization, r->authorization_len, base, n));
    assert_true(!(r->chunked && r->content_length));
    if (r->minor_version == 1)
        assert_true(r->has_host);
}

/* Parses raw[0..n) from a copy ending at the guard page. */
static int parse_guarded(const char *raw, size_t n, size_t maxt, size_t maxh,
                         struct promc__http_request *r, const char **base)
{
    const char *p = at_guard(raw, n);
    int rc = promc__http_parse_request(p, n, maxt, maxh, r);
    assert_true(rc >= BAD_VERSION);
    assert_true(rc <= 0 || (size_t)rc <= n);
    if (rc > 0)
        check_invariants(p, rc, r);
    *base = p;
    return rc;
}

#define SAME_OFS(field)                                                                            \
    assert_int_equal(a->field - abase, b->field - bbase);                                          \
    assert_int_equal(a->field##_len, b->field##_len)

/* Two parses of the same bytes at different addresses agree. */
static void assert_same_req(const struct promc__http_request *a, const char *abase,
                            const struct promc__http_request *b, const char *bbase)
{
    SAME_OFS(method);
    SAME_OFS(target);
    SAME_OFS(path);
    assert_int_equal(a->minor_version, b->minor_version);
    assert_int_equal(a->nheaders, b->nheaders);
    for (size_t i = 0; i < a->nheaders; i++) {
        SAME_OFS(headers[i].name);
        SAME_OFS(headers[i].value);
    }
    assert_int_equal(a->keep_alive, b->keep_alive);
    assert_int_equal(a->has_host, b->has_host);
    assert_int_equal(a->content_length, b->content_length);
    assert_int_equal(a->chunked, b->chunked);
    assert_int_equal(a->accept == NULL, b->accept == NULL);
    if (a->accept)
        SAME_OFS(accept);
    assert_int_equal(a->authorization == NULL, b->authorization == NULL);
    if (a->authorization)
        SAME_OFS(authorization);
}

static struct promc__http_request req; /* the whole-input parse tests inspect */
static const char *req_base;

/* Parses raw[0..n) whole, at every prefix length (byte by byte, as a server
 * reading one byte at a time would) and through simulated reads of 2, 3, 7
 * and 61 bytes, requiring them to agree. Leaves the whole parse in req and
 * req_base (valid until the next parse) and returns its result; *first_error
 * (if not NULL) is the shortest prefix already giving the error. */
static int parse_all(const char *raw, size_t n, size_t maxt, size_t maxh, size_t *first_error)
{
    struct promc__http_request whole, part;
    const char *wbase, *pbase;
    int want = parse_guarded(raw, n, maxt, maxh, &whole, &wbase);
    size_t err_at = n;

    for (size_t k = 0; k < n; k++) {
        int rc = parse_guarded(raw, k, maxt, maxh, &part, &pbase);
        if (want > 0 && k < (size_t)want) {
            if (rc != INCOMPLETE)
                fail_msg("prefix %zu of %zu gave %d, want INCOMPLETE", k, n, rc);
        } else if (want > 0) {
            assert_int_equal(rc, want);
            assert_same_req(&whole, wbase, &part, pbase);
        } else if (rc != INCOMPLETE) {
            /* An error on a prefix must be the whole input's, and stay. */
            if (rc != want)
                fail_msg("prefix %zu of %zu gave %d, whole input %d", k, n, rc, want);
            if (err_at == n)
                err_at = k;
        } else if (err_at != n) {
            fail_msg("prefix %zu gave INCOMPLETE after an error at %zu", k, err_at);
        }
    }

    static const size_t reads[] = {2, 3, 7, 61};
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        size_t have = 0;
        int rc;
        do { /* at least one read, even of nothing */
            have = have + reads[i] < n ? have + reads[i] : n;
            rc = parse_guarded(raw, have, maxt, maxh, &part, &pbase);
        } while (have < n && rc == INCOMPLETE);
        assert_int_equal(rc, want);
        if (rc > 0)
            assert_same_req(&whole, wbase, &part, pbase);
    }

    int rc = parse_guarded(raw, n, maxt, maxh, &req, &req_base);
    assert_int_equal(rc, want);
    if (first_error)
        *first_error = want < 0 ? err_at : n;
    return rc;
}

/* A complete, valid request: the result is its whole length. */
static void parse_ok(const char *raw, size_t n)
{
    int rc = parse_all(raw, n, MAXT, MAXH, NULL);
    if (rc != (int)n)
        fail_msg("\"%.*s\": got %d, want %zu", (int)n, raw, rc, n);
}

static void parse_err(const char *raw, size_t n, int want)
{
    int rc = parse_all(raw, n, MAXT, MAXH, NULL);
    if (rc != want)
        fail_msg("\"%.*s\": got %d, want %d", (int)n, raw, rc, want);
}

static void assert_span(const char *p, size_t n, const char *want)
{
    if (n != strlen(want) || memcmp(p, want, n) != 0)
        fail_msg("got \"%.*s\", want \"%s\"", (int)n, p ? p : "", want);
}

static void assert_header(const char *name, const char *value)
{
    const struct promc__http_header *h = find_header(&req, name);
    if (!h)
        fail_msg("header %s missing", name);
    assert_span(h->value, h->value_len, value);
}

/* ------------------------------------------------------------------ */
/* Valid requests                                                      */
/* ------------------------------------------------------------------ */

static void test_get_11(void **state)
{
    (void)state;
    parse_ok(S("GET /metrics HTTP/1.1\r\nHost: localhost:9100\r\n\r\n"));
    assert_span(req.method, req.method_len, "GET");
    assert_span(req.target, req.target_len, "/metrics");
    assert_span(req.path, req.path_len, "/metrics");
    assert_int_equal(req.minor_version, 1);
    assert_int_equal(req.nheaders, 1);
    assert_span(req.headers[0].name, req.headers[0].name_len, "Host");
    assert_span(req.headers[0].value, req.headers[0].value_len, "localhost:9100");
    assert_true(req.keep_alive);
    assert_true(req.has_host);
    assert_int_equal(req.content_length, 0);
    assert_false(req.chunked);
    assert_null(req.accept);
    assert_null(req.authorization);
    assert_ptr_equal(req.method, req_base);
}

static void test_head_11(void **state)
{
    (void)state;
    parse_ok(S("HEAD /metrics?name[]=up&x=%20 HTTP/1.1\r\nhost: h\r\n\r\n"));
    assert_span(req.method, req.method_len, "HEAD");
    assert_span(req.target, req.target_len, "/metrics?name[]=up&x=%20");
    assert_span(req.path, req.path_len, "/metrics");
    assert_int_equal(req.minor_version, 1);
    assert_true(req.has_host);
}

static void test_get_10(void **state)
{
    (void)state;
    /* No Host needed in 1.0; no headers at all is fine. */
    parse_ok(S("GET /metrics HTTP/1.0\r\n\r\n"));
    assert_span(req.method, req.method_len, "GET");
    assert_int_equal(req.minor_version, 0);
    assert_int_equal(req.nheaders, 0);
    assert_false(req.has_host);
    assert_false(req.keep_alive);

    parse_ok(S("GET / HTTP/1.0\r\nHost: example.com\r\nUser-Agent: curl/7.88.1\r\n\r\n"));
    assert_span(req.path, req.path_len, "/");
    assert_true(req.has_host);
    assert_header("user-agent", "curl/7.88.1");
}

static void test_head_10(void **state)
{
    (void)state;
    parse_ok(S("HEAD /metrics?x HTTP/1.0\r\n\r\n"));
    assert_span(req.method, req.method_len, "HEAD");
    assert_span(req.path, req.path_len, "/metrics");
    assert_span(req.target, req.target_len, "/metrics?x");
    assert_int_equal(req.minor_version, 0);
}

static void test_other_methods_and_targets(void **state)
{
    (void)state;
    /* Methods are just tokens; the server decides which it allows. */
    parse_ok(S("POST /metrics HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_span(req.method, req.method_len, "POST");
    parse_ok(S("get /metrics HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_span(req.method, req.method_len, "get");
    parse_ok(S("X-MY_M!#$%&'*+.^`|~1 / HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_int_equal(req.method_len, 20);

    parse_ok(S("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_span(req.path, req.path_len, "*");
    parse_ok(S("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n"));
    assert_span(req.path, req.path_len, "h:443");
    parse_ok(S("GET /? HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_span(req.path, req.path_len, "/");
    parse_ok(S("GET /a?b?c HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_span(req.path, req.path_len, "/a");
    parse_ok(S("GET /!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_span(req.path, req.path_len, "/!\"#$%&'()*+,-./:;<=>");
}

static void test_absolute_form(void **state)
{
    (void)state;
    parse_ok(S("GET http://localhost:9100/metrics?a=1 HTTP/1.1\r\nHost: localhost:9100\r\n\r\n"));
    assert_span(req.target, req.target_len, "http://localhost:9100/metrics?a=1");
    assert_span(req.path, req.path_len, "/metrics");
    parse_ok(S("GET HTTPS://u@h/p HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_span(req.path, req.path_len, "/p");
    /* No path: empty, meaning "/", pointing inside the target. */
    parse_ok(S("GET http://h HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_int_equal(req.path_len, 0);
    assert_ptr_equal(req.path, req.target + req.target_len);
    parse_ok(S("GET http://h?q HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_int_equal(req.path_len, 0);
    assert_ptr_equal(req.path, req.target + 8);
    parse_ok(S("GET svn+SSH.2-x://h:1/p/q HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_span(req.path, req.path_len, "/p/q");
    /* Not a scheme: taken as is. */
    parse_ok(S("GET ab:/ HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_span(req.path, req.path_len, "ab:/");
    parse_ok(S("GET a:b/c HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_span(req.path, req.path_len, "a:b/c");
    parse_ok(S("GET 1http://h/p HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_span(req.path, req.path_len, "1http://h/p");
}

static void test_keep_alive(void **state)
{
    (void)state;
    static const struct {
        const char *raw;
        bool want;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: ,, close ,\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nconnection: close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: closed, xclose, close-x\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: h\r\nX-Connection: close\r\n\r\n", true},
        {"GET / HTTP/1.0\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: keep-alive, Upgrade\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: Upgrade,keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive-x\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection:\r\n\r\n", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        parse_ok(cases[i].raw, strlen(cases[i].raw));
        if (req.keep_alive != cases[i].want)
            fail_msg("case %zu: keep_alive %d, want %d", i, req.keep_alive, cases[i].want);
    }
}

/* What Prometheus 2.42.0 sends (Go's net/http: Host, User-Agent, then the
 * rest sorted by name). */
static const char prometheus_scrape[] =
    "GET /metrics HTTP/1.1\r\n"
    "Host: 10.0.0.7:9100\r\n"
    "User-Agent: Prometheus/2.42.0\r\n"
    "Accept: application/openmetrics-text;version=1.0.0,application/"
    "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
    "Accept-Encoding: gzip\r\n"
    "X-Prometheus-Scrape-Timeout-Seconds: 10\r\n"
    "\r\n";

static void test_prometheus_scrape(void **state)
{
    (void)state;
    parse_ok(prometheus_scrape, sizeof prometheus_scrape - 1);
    assert_span(req.path, req.path_len, "/metrics");
    assert_int_equal(req.minor_version, 1);
    assert_int_equal(req.nheaders, 5);
    assert_true(req.keep_alive);
    assert_true(req.has_host);
    assert_header("Host", "10.0.0.7:9100");
    assert_header("user-agent", "Prometheus/2.42.0");
    assert_header("ACCEPT-ENCODING", "gzip");
    assert_header("x-prometheus-scrape-timeout-seconds", "10");
    assert_span(req.accept, req.accept_len,
                "application/openmetrics-text;version=1.0.0,application/"
                "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
    assert_ptr_equal(req.accept, find_header(&req, "accept")->value);

    /* Several Accept fields: the first one is reported. */
    parse_ok(S("GET / HTTP/1.1\r\nHost: h\r\nAccept: text/plain\r\nAccept: */*\r\n\r\n"));
    assert_span(req.accept, req.accept_len, "text/plain");
    parse_ok(prometheus_scrape, sizeof prometheus_scrape - 1);

    /* The server hands the value on to negotiation (which wants a C string). */
    char accept[256];
    assert_true(req.accept_len < sizeof accept);
    memcpy(accept, req.accept, req.accept_len);
    accept[req.accept_len] = '\0';
    assert_int_equal(promc_negotiate(accept, NULL), PROMC_FORMAT_OPENMETRICS);
}

static void test_line_endings(void **state)
{
    (void)state;
    parse_ok(S("GET / HTTP/1.1\nHost: h\n\n"));
    assert_span(req.headers[0].value, req.headers[0].value_len, "h");
    parse_ok(S("GET / HTTP/1.1\r\nHost: h\n\r\n"));
    parse_ok(S("GET / HTTP/1.0\n\n"));
    parse_ok(S("GET / HTTP/1.0\n\r\n"));
}

static void test_leading_empty_lines(void **state)
{
    (void)state;
    parse_ok(S("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_span(req.method, req.method_len, "GET");
    assert_ptr_equal(req.method, req_base + 2);
    parse_ok(S("\n\r\n\n\r\nGET / HTTP/1.0\r\n\r\n"));
    assert_ptr_equal(req.method, req_base + 6);
    parse_err(S("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.0\r\n\r\n"), BAD);
    parse_err(S("\n\n\n\n\nGET / HTTP/1.0\r\n\r\n"), BAD);
    parse_err(S("\rGET / HTTP/1.0\r\n\r\n"), BAD);
    parse_err(S("\r\r\nGET / HTTP/1.0\r\n\r\n"), BAD);
}

static void test_field_values(void **state)
{
    (void)state;
    parse_ok(S("GET / HTTP/1.1\r\n"
               "Host:h\r\n"
               "A:   spaced  out \t \r\n"
               "B:\tx\ty\t\r\n"
               "Empty:\r\n"
               "Blank:  \t \r\n"
               "Obs-Text: caf\xc3\xa9 \x80\xff\r\n"
               "Quote: \"a, b\" (c)\r\n"
               "Colons: a:b: c\r\n"
               "\r\n"));
    assert_int_equal(req.nheaders, 8);
    assert_header("host", "h");
    assert_header("a", "spaced  out");
    assert_header("b", "x\ty");
    assert_header("empty", "");
    assert_header("blank", "");
    assert_header("obs-text", "caf\xc3\xa9 \x80\xff");
    assert_header("quote", "\"a, b\" (c)");
    assert_header("colons", "a:b: c");
    /* Empty values still point into the buffer. */
    const struct promc__http_header *h = find_header(&req, "blank");
    assert_true(h->value > req_base && h->value < req_base + 200);
}

static void test_authorization(void **state)
{
    (void)state;
    parse_ok(S("GET / HTTP/1.1\r\nHost: h\r\nAuthorization:  Basic dXNlcjpwYXNz \r\n\r\n"));
    assert_span(req.authorization, req.authorization_len, "Basic dXNlcjpwYXNz");
    char out[32];
    long n =
        promc__base64_decode(req.authorization + 6, req.authorization_len - 6, out, sizeof out);
    assert_int_equal(n, 9);
    assert_true(promc__http_consttime_equal(out, (size_t)n, "user:pass", 9));
    parse_err(S("GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Basic a\r\n"
                "authorization: Basic b\r\n\r\n"),
              BAD);
}

static void test_pipelined(void **state)
{
    (void)state;
#define REQ_A "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
    static const char two[] = REQ_A "HEAD /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    size_t n = sizeof two - 1, first = sizeof REQ_A - 1;
    /* Every prefix from the first head's end on yields the first head. */
    assert_int_equal(parse_all(two, n, MAXT, MAXH, NULL), first);
    assert_span(req.path, req.path_len, "/a");
    assert_int_equal(parse_all(two + first, n - first, MAXT, MAXH, NULL), n - first);
    assert_span(req.method, req.method_len, "HEAD");
    assert_span(req.path, req.path_len, "/b");
    assert_true(req.keep_alive);

    /* With a body in between: the server skips content_length bytes. */
    static const char body[] = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"
                               "helloGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    n = sizeof body - 1;
    int rc = parse_all(body, n, MAXT, MAXH, NULL);
    assert_int_equal(rc, 48);
    assert_int_equal(req.content_length, 5);
    size_t next = (size_t)rc + req.content_length;
    assert_int_equal(parse_all(body + next, n - next, MAXT, MAXH, NULL), n - next);
    assert_span(req.path, req.path_len, "/b");

    /* The second head's errors do not touch the first. */
    static const char bad2[] = REQ_A "GET /b HTTP/9.9\r\n\r\n";
    assert_int_equal(parse_all(bad2, sizeof bad2 - 1, MAXT, MAXH, NULL), first);
    parse_err(bad2 + first, sizeof bad2 - 1 - first, BAD_VERSION);
#undef REQ_A
}

static void test_content_length(void **state)
{
    (void)state;
    parse_ok(S("GET /metrics HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"));
    assert_int_equal(req.content_length, 5);
    assert_false(req.chunked);
    parse_ok(S("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"));
    assert_int_equal(req.content_length, 0);
    parse_ok(S("GET / HTTP/1.1\r\nHost: h\r\ncontent-length:  007 \r\nContent-Length: 7\r\n\r\n"));
    assert_int_equal(req.content_length, 7);
    parse_ok(S("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615\r\n\r\n"));
    assert_int_equal(req.content_length, UINT64_MAX);

    static const char *const bad[] = {
        "",
        "abc",
        "-1",
        "+5",
        "5 5",
        "5,5",
        "0x10",
        "5;",
        "1e3",
        "\xd9\xa5" /* Arabic-Indic five */,
        "18446744073709551616",
        "99999999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char raw[128];
        int n = snprintf(raw, sizeof raw, "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: %s\r\n\r\n",
                         bad[i]);
        parse_err(raw, (size_t)n, BAD);
    }
    parse_err(S("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
              BAD);
    parse_err(S("GET / HTTP/1.0\r\nContent-Length: 1\r\ncontent-length: 10\r\n\r\n"), BAD);
}

static void test_transfer_encoding(void **state)
{
    (void)state;
    parse_ok(S("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"));
    assert_true(req.chunked);
    assert_int_equal(req.content_length, 0);
    parse_ok(S("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"));
    assert_true(req.chunked);
    parse_ok(S("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: x;a=1;b=\"q,\\\"\" , ,chunked ,"
               "\r\n\r\n"));
    assert_true(req.chunked);
    parse_ok(S("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n"
               "Transfer-Encoding: chunked\r\n\r\n"));
    assert_true(req.chunked);

    static const char *const bad[] = {
        "gzip",        "",          ",",         "chunked, gzip",        "chunked, chunked",
        "chunked;x=1", "chunked x", "chunked\"", "gzip;q=\"a,chunked\"", "gzip;q=\"a,chunked",
        "x;q=\"\\",    "chunked/1", ";chunked",  "\"chunked\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char raw[128];
        int n = snprintf(raw, sizeof raw,
                         "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: %s\r\n\r\n", bad[i]);
        parse_err(raw, (size_t)n, BAD);
    }
    parse_err(S("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                "Transfer-Encoding: gzip\r\n\r\n"),
              BAD);
    parse_err(S("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"),
              BAD);
    /* Smuggling: both framings, either order. */
    parse_err(S("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"),
              BAD);
    parse_err(S("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                "Content-Length: 5\r\n\r\n"),
              BAD);
    /* HTTP/1.0 has no transfer codings: faulty framing. */
    parse_err(S("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), BAD);
}

/* ------------------------------------------------------------------ */
/* Invalid requests                                                    */
/* ------------------------------------------------------------------ */

struct bad_case {
    const char *raw;
    size_t len;
    int want;
};

#define BADC(lit, want)                                                                            \
    {                                                                                              \
        S(lit), want                                                                               \
    }

static void run_bad(const struct bad_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = parse_all(c[i].raw, c[i].len, MAXT, MAXH, NULL);
        if (rc != c[i].want)
            fail_msg("case %zu \"%.*s\": got %d, want %d", i, (int)c[i].len, c[i].raw, rc,
                     c[i].want);
    }
}

static void test_bad_request_line(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        BADC("GET /metrics\r\nHost: h\r\n\r\n", BAD), /* no version (HTTP/0.9) */
        BADC("GET /metrics \r\nHost: h\r\n\r\n", BAD),
        BADC("GET\r\n\r\n", BAD),
        BADC("GET  /metrics HTTP/1.1\r\nHost: h\r\n\r\n", BAD),
        BADC("GET /metrics  HTTP/1.1\r\nHost: h\r\n\r\n", BAD),
        BADC("GET /metrics HTTP/1.1 \r\nHost: h\r\n\r\n", BAD),
        BADC(" GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n", BAD),
        BADC(" /metrics HTTP/1.1\r\nHost: h\r\n\r\n", BAD), /* empty method */
        BADC("GET\t/metrics HTTP/1.1\r\nHost: h\r\n\r\n", BAD),
        BADC("GET /metrics\tHTTP/1.1\r\nHost: h\r\n\r\n", BAD),
        BADC("GE(T / HTTP/1.1\r\nHost: h\r\n\r\n", BAD),
        BADC("G\xc3\x89T / HTTP/1.1\r\nHost: h\r\n\r\n", BAD),
        BADC("GET / http/1.1\r\nHost: h\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1x\r\nHost: h\r\n\r\n", BAD),
        BADC("GET / HTTP/1\r\nHost: h\r\n\r\n", BAD),
        BADC("GET / HTTP/1.\r\nHost: h\r\n\r\n", BAD),
        BADC("GET / HTTP/1.10\r\nHost: h\r\n\r\n", BAD),
        BADC("GET / HTTP/11\r\nHost: h\r\n\r\n", BAD),
        BADC("GET / HTTP/a.1\r\nHost: h\r\n\r\n", BAD),
        BADC("GET / HTTP 1.1\r\nHost: h\r\n\r\n", BAD),
        BADC("GET / HTTP/2\r\nHost: h\r\n\r\n", BAD),
        BADC("GET /a\x01z HTTP/1.1\r\nHost: h\r\n\r\n", BAD),
        BADC("GET /a\x7fz HTTP/1.1\r\nHost: h\r\n\r\n", BAD),
        BADC("GET /a\x00z HTTP/1.1\r\nHost: h\r\n\r\n", BAD),
        BADC("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", BAD),
        BADC("GET /a\rz HTTP/1.1\r\nHost: h\r\n\r\n", BAD),
        BADC("GET /a\nz HTTP/1.1\r\nHost: h\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\rHost: h\r\n\r\n", BAD), /* bare CR */
        BADC("GET / HTTP/1.1\r\r\nHost: h\r\n\r\n", BAD),
        BADC("\x00GET / HTTP/1.1\r\nHost: h\r\n\r\n", BAD),
        BADC("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", BAD), /* TLS ClientHello */
        BADC("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", BAD_VERSION),     /* h2 preface */
        BADC("GET / HTTP/2.0\r\nHost: h\r\n\r\n", BAD_VERSION),
        BADC("GET / HTTP/1.2\r\nHost: h\r\n\r\n", BAD_VERSION),
        BADC("GET / HTTP/1.9\r\nHost: h\r\n\r\n", BAD_VERSION),
        BADC("GET / HTTP/0.9\r\nHost: h\r\n\r\n", BAD_VERSION),
        BADC("GET / HTTP/3.0\n\n", BAD_VERSION),
    };
    run_bad(cases, sizeof cases / sizeof cases[0]);
}

static void test_bad_fields(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        BADC("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost: h\r\nNo Colon here\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost : h\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost: h\r\nX-A : 1\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost: h\r\n: empty name\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost: h\r\nX(a): 1\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost: h\r\nX\xc3\xa9: 1\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n continued\r\n\r\n", BAD), /* obs-fold */
        BADC("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\tcontinued\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\n Host: h\r\n\r\n", BAD), /* space before first field */
        BADC("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x00z\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost: h\r\nX-A: \x00\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x01z\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x1fz\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x7fz\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rz\r\n\r\n", BAD), /* bare CR */
        BADC("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n\r\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost: h\r\n\r\r\n", BAD),
        BADC("GET / HTTP/1.1\r\n\r\n", BAD), /* 1.1 without Host */
        BADC("GET / HTTP/1.1\r\nX-Host: h\r\nHosts: h\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", BAD),
        BADC("GET / HTTP/1.1\r\nHost: a\r\nhOST: b\r\n\r\n", BAD),
        BADC("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", BAD),
    };
    run_bad(cases, sizeof cases / sizeof cases[0]);
    /* Host may be empty (RFC 9112 §3.2, no authority) but must be there. */
    parse_ok(S("GET / HTTP/1.1\r\nHost:\r\n\r\n"));
    assert_true(req.has_host);
}

/* Every byte value in the target, a field name and a field value. */
static void test_every_byte(void **state)
{
    (void)state;
    static const char tchar_punct[] = "!#$%&'*+-.^_`|~";
    for (int c = 0; c < 256; c++) {
        char raw[64];
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        bool tchar = alnum || (c != 0 && strchr(tchar_punct, c));

        int n = snprintf(raw, sizeof raw, "GET /a%cz HTTP/1.1\r\nHost: h\r\n\r\n", 'Q');
        raw[6] = (char)c;
        int rc = parse_all(raw, (size_t)n, MAXT, MAXH, NULL);
        bool ok = c >= 0x21 && c <= 0x7e;
        if (ok ? rc != n : rc >= 0)
            fail_msg("target byte 0x%02x: got %d", c, rc);

        n = snprintf(raw, sizeof raw, "GET / HTTP/1.1\r\nHost: h\r\nXQz: v\r\n\r\n");
        raw[26] = (char)c;
        rc = parse_all(raw, (size_t)n, MAXT, MAXH, NULL);
        ok = tchar || c == ':'; /* "X:z: v" is field X with value "z: v" */
        if (ok ? rc != n : rc >= 0)
            fail_msg("name byte 0x%02x: got %d", c, rc);

        n = snprintf(raw, sizeof raw, "GET / HTTP/1.1\r\nHost: h\r\nX: aQz\r\n\r\n");
        raw[29] = (char)c;
        rc = parse_all(raw, (size_t)n, MAXT, MAXH, NULL);
        ok = c == '\t' || (c >= 0x20 && c != 0x7f);
        if (ok ? rc != n : rc >= 0)
            fail_msg("value byte 0x%02x: got %d", c, rc);
        if (ok)
            assert_int_equal(req.headers[1].value_len, 3);

        n = snprintf(raw, sizeof raw, "QET / HTTP/1.1\r\nHost: h\r\n\r\n");
        raw[0] = (char)c;
        rc = parse_all(raw, (size_t)n, MAXT, MAXH, NULL);
        /* Leading CR/LF are empty lines; "\nET" then is a method. */
        ok = tchar || c == '\n';
        if (ok ? rc != n : rc >= 0)
            fail_msg("method byte 0x%02x: got %d", c, rc);
    }
}

/* ------------------------------------------------------------------ */
/* Limits                                                              */
/* ------------------------------------------------------------------ */

static void test_uri_too_long(void **state)
{
    (void)state;
    char raw[256];
    const size_t maxt = 100;
    /* "GET /aaa... HTTP/1.1\r\nHost: h\r\n\r\n" with a target of t bytes. */
    for (size_t t = 98; t <= 102; t++) {
        memcpy(raw, "GET /", 5);
        memset(raw + 5, 'a', t - 1);
        int n = 4 + (int)t;
        n += snprintf(raw + n, sizeof raw - (size_t)n, " HTTP/1.1\r\nHost: h\r\n\r\n");
        size_t first_error;
        int rc = parse_all(raw, (size_t)n, maxt, MAXH, &first_error);
        if (t <= maxt) {
            assert_int_equal(rc, n);
            assert_int_equal(req.target_len, t);
        } else {
            assert_int_equal(rc, URI_TOO_LONG);
            /* Known as soon as byte maxt + 1 of the target is in. */
            assert_int_equal(first_error, 4 + maxt + 1);
        }
    }
    /* A client that never ends its target is stopped early too. */
    memset(raw, 'x', sizeof raw);
    memcpy(raw, "GET /", 5);
    size_t first_error;
    assert_int_equal(parse_all(raw, sizeof raw, maxt, MAXH, &first_error), URI_TOO_LONG);
    assert_int_equal(first_error, 4 + maxt + 1);
    /* Absolute-form counts whole. */
    assert_int_equal(parse_all(S("GET http://h/abc HTTP/1.1\r\nHost: h\r\n\r\n"), 11, MAXH, NULL),
                     URI_TOO_LONG);
    /* Limits at the extremes. */
    assert_int_equal(parse_all(S("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 0, MAXH, NULL),
                     URI_TOO_LONG);
    assert_int_equal(parse_all(S("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 1, MAXH, NULL), 27);
    assert_int_equal(parse_all(S("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), SIZE_MAX, SIZE_MAX, NULL),
                     27);
}

static void test_head_too_large(void **state)
{
    (void)state;
    static const char raw[] = "GET / HTTP/1.1\r\nHost: h\r\nX: 0123456789\r\n\r\n";
    size_t n = sizeof raw - 1, first_error;
    /* Exactly max_head bytes is fine; bytes after the head do not count. */
    assert_int_equal(parse_all(raw, n, MAXT, n, NULL), (int)n);
    assert_int_equal(parse_all(raw, n, MAXT, n + 1, NULL), (int)n);
    char more[128];
    memcpy(more, raw, n);
    memset(more + n, 'b', sizeof more - n);
    assert_int_equal(parse_all(more, sizeof more, MAXT, n, NULL), (int)n);
    /* One byte more: known once max_head bytes are in without the end. */
    assert_int_equal(parse_all(raw, n, MAXT, n - 1, &first_error), TOO_LARGE);
    assert_int_equal(first_error, n - 1);
    assert_int_equal(parse_all(raw, n, MAXT, 20, &first_error), TOO_LARGE);
    assert_int_equal(first_error, 20);
    /* A client dribbling an endless field: stopped at max_head. */
    char endless[600];
    int k = snprintf(endless, sizeof endless, "GET / HTTP/1.1\r\nHost: h\r\nCookie: ");
    memset(endless + k, 'c', sizeof endless - (size_t)k);
    assert_int_equal(parse_all(endless, sizeof endless, MAXT, 512, &first_error), TOO_LARGE);
    assert_int_equal(first_error, 512);
    /* ...or endless short fields. */
    for (size_t i = (size_t)k - 8; i + 4 <= sizeof endless; i += 4)
        memcpy(endless + i, "A:\r\n", 4);
    assert_int_equal(parse_all(endless, sizeof endless, MAXT, 128, &first_error), TOO_LARGE);
    assert_int_equal(first_error, 128);
    /* Errors before the cap win; errors after it are never seen. */
    assert_int_equal(parse_all(S("GET / HTTP/9.9\r\n\r\n"), MAXT, 16, NULL), BAD_VERSION);
    assert_int_equal(parse_all(S("GET / HTTP/1.1\r\nHost: h\r\nX: \x01\r\n\r\n"), MAXT, 20, NULL),
                     TOO_LARGE);
    /* The target limit is checked before the head limit when it comes first. */
    assert_int_equal(parse_all(S("GET /abcdef HTTP/1.1\r\nHost: h\r\n\r\n"), 3, 8, NULL),
                     URI_TOO_LONG);
    assert_int_equal(parse_all(S("GET /abcdef HTTP/1.1\r\nHost: h\r\n\r\n"), 3, 7, NULL),
                     TOO_LARGE);
    /* Zero: nothing fits, not even nothing. */
    assert_int_equal(parse_all(S(""), MAXT, 0, NULL), TOO_LARGE);
    assert_int_equal(parse_all(S(""), MAXT, MAXH, NULL), INCOMPLETE);
    /* A CR at the cap whose LF would be past it. */
    assert_int_equal(parse_all(S("GET / HTTP/1.0\r\n\r\n"), MAXT, 17, NULL), TOO_LARGE);
    assert_int_equal(parse_all(S("GET / HTTP/1.0\r\n\r\n"), MAXT, 18, NULL), 18);
}

static void test_too_many_headers(void **state)
{
    (void)state;
    char raw[2048];
    for (int count = PROMC__HTTP_MAX_HEADERS - 1; count <= PROMC__HTTP_MAX_HEADERS + 2; count++) {
        int n = snprintf(raw, sizeof raw, "GET / HTTP/1.1\r\nHost: h\r\n");
        size_t last_start = 0;
        for (int i = 1; i < count; i++) {
            last_start = (size_t)n;
            n += snprintf(raw + n, sizeof raw - (size_t)n, "X-%d: %d\r\n", i, i);
        }
        n += snprintf(raw + n, sizeof raw - (size_t)n, "\r\n");
        size_t first_error;
        int rc = parse_all(raw, (size_t)n, MAXT, MAXH, &first_error);
        if (count <= PROMC__HTTP_MAX_HEADERS) {
            assert_int_equal(rc, n);
            assert_int_equal(req.nheaders, count);
            assert_header("x-62", "62");
        } else {
            assert_int_equal(rc, TOO_LARGE);
            if (count == PROMC__HTTP_MAX_HEADERS + 1) /* once the 65th field starts */
                assert_int_equal(first_error, last_start + 1);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static void test_find_header(void **state)
{
    (void)state;
    parse_ok(S("GET / HTTP/1.1\r\nHost: h\r\nX-Dup: 1\r\nx-dup: 2\r\nX-Empty:\r\n\r\n"));
    assert_header("HOST", "h");
    assert_header("x-DUP", "1"); /* the first */
    assert_header("X-Empty", "");
    assert_null(find_header(&req, "Hos"));
    assert_null(find_header(&req, "Hostx"));
    assert_null(find_header(&req, "X-Du"));
    assert_null(find_header(&req, ""));
    assert_null(find_header(&req, "Accept"));
    /* Case folding is ASCII only and exact otherwise. */
    assert_null(find_header(&req, "X_Dup"));
    parse_ok(S("GET / HTTP/1.0\r\n\r\n"));
    assert_null(find_header(&req, "host"));
}

static void test_consttime_equal(void **state)
{
    (void)state;
    assert_true(promc__http_consttime_equal("secret", 6, "secret", 6));
    assert_true(promc__http_consttime_equal("", 0, "", 0));
    assert_true(promc__http_consttime_equal(NULL, 0, NULL, 0));
    assert_true(promc__http_consttime_equal(NULL, 0, "", 0));
    assert_true(promc__http_consttime_equal("a\0b", 3, "a\0b", 3));
    assert_false(promc__http_consttime_equal("secret", 6, "Secret", 6));
    assert_false(promc__http_consttime_equal("secret", 6, "secreT", 6));
    assert_false(promc__http_consttime_equal("secret", 6, "secret2", 7));
    assert_false(promc__http_consttime_equal("secret2", 7, "secret", 6));
    assert_false(promc__http_consttime_equal("", 0, "x", 1));
    assert_false(promc__http_consttime_equal("x", 1, NULL, 0));
    assert_false(promc__http_consttime_equal("a\0b", 3, "a\0c", 3));
    /* A shorter string padded with what the longer one has is still unequal. */
    assert_false(promc__http_consttime_equal("ab", 2, "ab\0", 3));
    /* Inputs at the guard page: nothing past the given lengths is read. */
    const char *g = at_guard("user:pass", 9);
    assert_true(promc__http_consttime_equal(g, 9, "user:pass", 9));
    assert_false(promc__http_consttime_equal(g, 9, "user:passw", 10));
    assert_false(promc__http_consttime_equal("user:passw", 10, g, 9));
}

static void expect_b64(const char *in, const char *want)
{
    char out[64];
    memset(out, 0x5a, sizeof out);
    size_t n = strlen(in), wn = strlen(want);
    long got = promc__base64_decode(at_guard(in, n), n, out, sizeof out);
    if (got != (long)wn || memcmp(out, want, wn) != 0)
        fail_msg("decode \"%s\": got %ld", in, got);
    assert_int_equal(out[wn], 0x5a);
    /* Exactly enough room works; one byte less fails. */
    assert_int_equal(promc__base64_decode(at_guard(in, n), n, out, wn), (long)wn);
    if (wn)
        assert_int_equal(promc__base64_decode(at_guard(in, n), n, out, wn - 1), -1);
}

static void expect_b64_bad(const char *in, size_t n)
{
    char out[64];
    long got = promc__base64_decode(at_guard(in, n), n, out, sizeof out);
    if (got != -1)
        fail_msg("decode \"%.*s\": got %ld, want -1", (int)n, in, got);
}

static void test_base64(void **state)
{
    (void)state;
    /* RFC 4648 §10, padded and not. */
    expect_b64("", "");
    expect_b64("Zg==", "f");
    expect_b64("Zm8=", "fo");
    expect_b64("Zm9v", "foo");
    expect_b64("Zm9vYg==", "foob");
    expect_b64("Zm9vYmE=", "fooba");
    expect_b64("Zm9vYmFy", "foobar");
    expect_b64("Zg", "f");
    expect_b64("Zm8", "fo");
    expect_b64("Zm9vYg", "foob");
    expect_b64("Zm9vYmE", "fooba");
    /* Basic auth, the whole alphabet, binary output. */
    expect_b64("dXNlcjpwYXNz", "user:pass");
    expect_b64("QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin:open sesame");
    expect_b64("+/+/", "\xfb\xff\xbf");
    char out[64];
    assert_int_equal(promc__base64_decode(S("AAA="), out, sizeof out), 2);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 0);
    char all[48];
    assert_int_equal(promc__base64_decode(S("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvw"
                                            "xyz0123456789+/"),
                                          all, sizeof all),
                     48);
    assert_int_equal((unsigned char)all[0], 0x00);
    assert_int_equal((unsigned char)all[47], 0xbf);
    assert_int_equal(promc__base64_decode(NULL, 0, NULL, 0), 0);

    expect_b64_bad(S("Z"));
    expect_b64_bad(S("Z="));
    expect_b64_bad(S("Z==="));
    expect_b64_bad(S("Zg="));
    expect_b64_bad(S("Zg==="));
    expect_b64_bad(S("Zm9v="));
    expect_b64_bad(S("Zm9v===="));
    expect_b64_bad(S("Zm9vY"));
    expect_b64_bad(S("="));
    expect_b64_bad(S("=="));
    expect_b64_bad(S("===="));
    expect_b64_bad(S("=Zg="));
    expect_b64_bad(S("Zm=v"));
    expect_b64_bad(S("Zg==Zg=="));
    expect_b64_bad(S("Zh==")); /* non-zero unused bits */
    expect_b64_bad(S("Zh"));
    expect_b64_bad(S("Zm9="));
    expect_b64_bad(S("Zm9"));
    expect_b64_bad(S("Zm 9v"));
    expect_b64_bad(S("Zm9v\n"));
    expect_b64_bad(S(" Zm9v"));
    expect_b64_bad(S("Zm9v\r\n"));
    expect_b64_bad(S("Zm-_")); /* base64url alphabet */
    expect_b64_bad(S("Zm9\x00"));
    expect_b64_bad(S("Zm9\xc3\xa9"));
    expect_b64_bad(S("Zm.v"));
}

/* ------------------------------------------------------------------ */
/* Query components                                                    */
/* ------------------------------------------------------------------ */

static void expect_query(const char *in, size_t n, const char *want, size_t wn)
{
    char out[64];
    memset(out, 0x5a, sizeof out);
    long got = promc__http_query_decode(at_guard(in, n), n, out);
    if (got != (long)wn || memcmp(out, want, wn) != 0)
        fail_msg("query-decode \"%.*s\": got %ld", (int)n, in, got);
    assert_int_equal(out[wn], 0x5a); /* nothing written past the result */
}

static void expect_query_bad(const char *in, size_t n)
{
    char out[64];
    long got = promc__http_query_decode(at_guard(in, n), n, out);
    if (got != -1)
        fail_msg("query-decode \"%.*s\": got %ld, want -1", (int)n, in, got);
}

/* As Go's url.QueryUnescape (what promhttp's req.URL.Query() applies):
 * %XY in either case, '+' a space, other bytes as they are. */
static void test_query_decode(void **state)
{
    (void)state;
    expect_query(S(""), S(""));
    expect_query(S("name[]"), S("name[]"));
    expect_query(S("name%5B%5D"), S("name[]"));
    expect_query(S("name%5b%5d"), S("name[]"));
    expect_query(S("a+b"), S("a b"));
    expect_query(S("a%2Bb"), S("a+b"));
    expect_query(S("%25"), S("%"));
    expect_query(S("%00"), S("\0"));
    expect_query(S("%C3%A4"), S("\xc3\xa4"));
    expect_query(S("\xc3\xa4"), S("\xc3\xa4"));
    expect_query(S("x%2e_%2E"), S("x._."));
    expect_query_bad(S("%"));
    expect_query_bad(S("%2"));
    expect_query_bad(S("a%"));
    expect_query_bad(S("a%g1"));
    expect_query_bad(S("a%1g"));
    expect_query_bad(S("%%41"));
    expect_query_bad(S("ok%2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_11),
        cmocka_unit_test(test_head_11),
        cmocka_unit_test(test_get_10),
        cmocka_unit_test(test_head_10),
        cmocka_unit_test(test_other_methods_and_targets),
        cmocka_unit_test(test_absolute_form),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_prometheus_scrape),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_leading_empty_lines),
        cmocka_unit_test(test_field_values),
        cmocka_unit_test(test_authorization),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_transfer_encoding),
        cmocka_unit_test(test_bad_request_line),
        cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_uri_too_long),
        cmocka_unit_test(test_head_too_large),
        cmocka_unit_test(test_too_many_headers),
        cmocka_unit_test(test_find_header),
        cmocka_unit_test(test_consttime_equal),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_query_decode),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
