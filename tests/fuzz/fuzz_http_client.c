/*
 * Fuzz target for the HTTP client (lib/http_client.c, included: its parser
 * is static and reads from a socket). The first input byte picks the mode.
 *
 * Response mode (top bit clear): the rest is what a server answers. It is
 * written into one end of a socketpair, which is then shut down, and the
 * client's own read_response() reads it from the other end -- the code
 * promc_http_fetch runs after sending, minus the network. Bit 0 makes it the
 * answer to a HEAD request, bits 1-3 pick max_body. An accepted response must
 * have a final status, a NUL-terminated body within max_body and header
 * values without control characters; a body of n bytes must fail with
 * PROMC_ELIMIT under max_body n-1 and come back the same under n. Error
 * messages must stay valid UTF-8.
 *
 * Request mode (top bit set): the rest is lines -- URL, method, basic-auth
 * user, password (or bearer token without a user), extra headers -- checked
 * and built into a request head as promc_http_fetch does; bit 0 adds a body.
 * The server's parser (lib/http_parse.c) must read the head back whole, with
 * the method, target, Host, Content-Length and credentials that went in.
 *
 * Bounded: responses over MAX_RESPONSE bytes are cut (the socket buffer must
 * hold them, nothing else writes), and every read has a 10 s deadline.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/http_client.c"
#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

#define MAX_RESPONSE (128 * 1024)

static void fail(const char *what, int rc)
{
    fprintf(stderr, "fuzz_http_client: %s (rc %d: %s)\n", what, rc, promc_last_error());
    abort();
}

/* As fail(), showing the request head built. */
static void fail_request(const char *what, const struct promc__buf *req, int rc)
{
    fprintf(stderr, "fuzz_http_client: request:\n%.*s\n", (int)req->len, req->p);
    fail(what, rc);
}

static bool valid_utf8(const char *s)
{
    size_t n = strlen(s);
    return promc__valid_utf8(s, n);
}

/* ------------------------------------------------------------------ */
/* Response mode                                                       */
/* ------------------------------------------------------------------ */

struct response {
    int rc;
    struct head h;
    struct body b;
};

/* Feeds data[0..size) to read_response() through a socketpair. */
static void read_from_socket(const uint8_t *data, size_t size, bool head_request, size_t max_body,
                             struct response *r)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        abort();
    int sndbuf = 4 * MAX_RESPONSE;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    for (size_t off = 0; off < size;) {
        ssize_t w = send(sv[1], data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w <= 0) {
            fprintf(stderr, "fuzz_http_client: socketpair took only %zu of %zu bytes\n", off, size);
            abort();
        }
        off += (size_t)w;
    }
    shutdown(sv[1], SHUT_WR);
    close(sv[1]);

    memset(r, 0, sizeof *r);
    struct xfer x = {.fd = sv[0], .timeout = 10, .where = "fuzz:80"};
    x.deadline = promc__mono_ns() + secs_to_ns(10, 10);
    x.buf = promc__malloc(HEAD_MAX);
    if (!x.buf)
        abort();
    r->rc = read_response(&x, head_request, max_body, &r->h, &r->b);
    promc__free(x.buf);
    close(sv[0]);
    if (r->rc != PROMC_OK && !valid_utf8(promc_last_error()))
        fail("error message not valid UTF-8", r->rc);
}

static void response_free(struct response *r)
{
    head_reset(&r->h);
    promc__free(r->b.p);
}

static bool clean_value(const char *v)
{
    for (; v && *v; v++)
        if (is_ctl((unsigned char)*v))
            return false;
    return true;
}

static void response_mode(uint8_t mode, const uint8_t *data, size_t size)
{
    static const size_t max_bodies[] = {1, 2, 7, 100, 4096, 65536, 1 << 20, 16u << 20};
    bool head_request = mode & 1;
    size_t max_body = max_bodies[(mode >> 1) & 7];
    if (size > MAX_RESPONSE)
        size = MAX_RESPONSE;
    struct response r;
    read_from_socket(data, size, head_request, max_body, &r);
    if (r.rc != PROMC_OK) {
        if (r.rc != PROMC_EIO && r.rc != PROMC_ELIMIT && r.rc != PROMC_ENOMEM)
            fail("unexpected error code", r.rc);
        response_free(&r);
        return;
    }
    if (r.h.status < 100 || r.h.status > 599 || (r.h.status < 200 && r.h.status != 101))
        fail("status of a final response", r.h.status);
    if (!r.b.p || r.b.p[r.b.len] != '\0' || r.b.len > max_body)
        fail("body", (int)r.b.len);
    if (r.b.len && (head_request || r.h.status == 204 || r.h.status == 304 || r.h.status < 200))
        fail("a body where none may be", r.h.status);
    if (!clean_value(r.h.content_type) || !clean_value(r.h.location) ||
        !clean_value(r.h.retry_after))
        fail("control character in a header value", 0);

    if (r.b.len) {
        /* max_body is exact: one byte less refuses, the length itself
         * gives the same response. */
        struct response less, exact;
        read_from_socket(data, size, head_request, r.b.len - 1, &less);
        if (less.rc != PROMC_ELIMIT)
            fail("max_body one below the body length did not give PROMC_ELIMIT", less.rc);
        read_from_socket(data, size, head_request, r.b.len, &exact);
        if (exact.rc != PROMC_OK || exact.h.status != r.h.status || exact.b.len != r.b.len ||
            memcmp(exact.b.p, r.b.p, r.b.len) != 0 || !exact.h.content_type != !r.h.content_type ||
            (r.h.content_type && strcmp(exact.h.content_type, r.h.content_type) != 0))
            fail("max_body equal to the body length changed the response", exact.rc);
        response_free(&less);
        response_free(&exact);
    }
    response_free(&r);
}

/* ------------------------------------------------------------------ */
/* Request mode                                                        */
/* ------------------------------------------------------------------ */

#define MAX_LINES 12

static bool span_eq(const char *p, size_t n, const char *s)
{
    return strlen(s) == n && memcmp(p, s, n) == 0;
}

static const struct promc__http_header *find_header(const struct promc__http_request *r,
                                                    const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (span_ieq(r->headers[i].name, r->headers[i].name_len, name))
            return &r->headers[i];
    return NULL;
}

static void request_mode(uint8_t mode, const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    const char *line[MAX_LINES + 1] = {0};
    size_t nlines = 0;
    for (char *p = text; p && nlines < MAX_LINES;) {
        line[nlines++] = p;
        if ((p = strchr(p, '\n')))
            *p++ = '\0';
    }
    const char *url = line[0], *method = line[1] ? line[1] : "GET";
    promc_http_client_opts o = {0};
    if (line[2] && *line[2]) {
        o.basic_user = line[2];
        o.basic_password = line[3] ? line[3] : "";
    } else if (line[3]) {
        o.bearer_token = line[3];
    }
    o.headers = nlines > 4 ? &line[4] : NULL;
    const char *body = mode & 1 ? "body" : NULL;
    size_t body_len = body ? 4 : 0;

    struct target t;
    struct promc__buf req = {0};
    int rc = check_opts(method, body, body_len, &o);
    if (rc == PROMC_OK)
        rc = parse_url(url, &t);
    if (rc == PROMC_OK)
        rc = build_request(&req, method, &t, body, body_len, &o);
    if (rc != PROMC_OK) {
        if (rc != PROMC_EINVAL || !valid_utf8(promc_last_error()))
            fail("refused request: error code or message", rc);
        promc__free(req.p);
        free(text);
        return;
    }

    /* An extra Authorization header beside the client's own makes two,
     * which the server refuses; the client does not check for it. */
    bool second_auth = false;
    for (const char *const *h = o.headers; h && *h && (o.basic_user || o.bearer_token); h++)
        second_auth |= strncasecmp(*h, "Authorization:", 14) == 0;

    static struct promc__http_request r;
    int n = promc__http_parse_request(req.p, req.len, 1 << 20, 1 << 20, &r);
    if (n != (int)req.len) {
        if (n == PROMC__HTTP_BAD && second_auth) {
            promc__free(req.p);
            free(text);
            return;
        }
        fail_request("the server's parser does not read the request head back", &req, n);
    }
    size_t plen = t.path_len + t.add_slash;
    const struct promc__http_header *host = find_header(&r, "Host");
    if (!span_eq(r.method, r.method_len, method) || r.minor_version != 1 || r.target_len != plen ||
        (t.add_slash && r.target[0] != '/') ||
        memcmp(r.target + t.add_slash, t.path, t.path_len) != 0 || !host ||
        !span_eq(host->value, host->value_len, t.authority) || r.keep_alive ||
        r.content_length != body_len || r.chunked)
        fail_request("request head read back differently", &req, n);
    if (o.basic_user) {
        char decoded[512], want[512];
        int wl = snprintf(want, sizeof want, "%s:%s", o.basic_user, o.basic_password);
        if (!r.authorization || r.authorization_len < 6 ||
            memcmp(r.authorization, "Basic ", 6) != 0)
            fail_request("no Basic authorization", &req, n);
        long dl = promc__base64_decode(r.authorization + 6, r.authorization_len - 6, decoded,
                                       sizeof decoded);
        if (wl < (int)sizeof want && (dl != wl || memcmp(decoded, want, (size_t)wl) != 0))
            fail_request("Basic credentials read back differently", &req, (int)dl);
    } else if (o.bearer_token) {
        /* Trailing blanks of a token are OWS to the server: not its value. */
        size_t tl = strlen(o.bearer_token);
        while (tl && (o.bearer_token[tl - 1] == ' ' || o.bearer_token[tl - 1] == '\t'))
            tl--;
        size_t want = tl ? 7 + tl : 6; /* "Bearer" alone when nothing is left */
        if (!r.authorization || r.authorization_len != want ||
            memcmp(r.authorization, "Bearer ", want < 7 ? want : 7) != 0 ||
            memcmp(r.authorization + 7, o.bearer_token, tl) != 0)
            fail_request("bearer token read back differently", &req, n);
    }
    promc__free(req.p);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 0x80)
        request_mode(data[0], data + 1, size - 1);
    else
        response_mode(data[0], data + 1, size - 1);
    return 0;
}

/* Seeds for replay.c's random mode; the first byte is the mode ('>' is a
 * response with max_body 16 MiB, '&' one with 100 bytes, '?' the answer
 * to a HEAD request). */
const char *const *fuzz_seed_inputs(size_t *n)
{
    static const char *const seeds[] = {
        ">HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
        /* seeds of several literals are parenthesised for -Wstring-concatenation */
        (">HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
         "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n"
         "5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n"),
        "&HTTP/1.0 200\nLocation: /x\n\nbody until close",
        "?HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
        (">HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n"
         "Content-Length: 3\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n"),
        "\x80http://127.0.0.1:9091/metrics/job/x?y=1#frag\nPUT\nuser\npa:ss\nX-A: 1",
        "\x81http://[::1]:8080?q\nPOST\n\ntoken\nAuthorization: Basic eA==",
        "\x80http://h\nGET",
    };
    *n = sizeof seeds / sizeof seeds[0];
    return seeds;
}
