/*
 * Tests for lib/http_client.c and lib/push.c against a fake server inside
 * the test: a thread on 127.0.0.1 (or [::1]) port 0 that accepts one
 * connection, records the request it got and answers with scripted raw
 * bytes -- whole, in small pieces, or not at all.
 */
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "promc_http.h"

#define UA "User-Agent: promc/" PROMC_VERSION_STRING "\r\n"

/* ------------------------------------------------------------------ */
/* The fake server                                                     */
/* ------------------------------------------------------------------ */

struct fake {
    int lfd;
    int port;
    bool v6;
    pthread_t thread;
    const char *reply; /* raw bytes sent after the request arrived */
    size_t reply_len;
    size_t piece;  /* send the reply this many bytes at a time (0: at once) */
    bool no_reply; /* read the request, then wait for the client to hang up */
    bool linger;   /* after the reply, keep the connection until the client closes */
    char req[65536];
    size_t req_len;
    char url[128];
};

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool wait_in(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) > 0;
}

/* Whether req holds a whole request: head and Content-Length body. */
static bool request_complete(const struct fake *f)
{
    const char *end = strstr(f->req, "\r\n\r\n");
    if (!end)
        return false;
    size_t head = (size_t)(end - f->req) + 4, body = 0;
    const char *cl = strstr(f->req, "\r\nContent-Length: ");
    if (cl && cl < end)
        body = strtoul(cl + 18, NULL, 10);
    return f->req_len >= head + body;
}

static void *fake_main(void *arg)
{
    struct fake *f = arg;
    if (!wait_in(f->lfd, 5000))
        return NULL;
    int c = accept(f->lfd, NULL, NULL);
    if (c < 0)
        return NULL;
    while (!request_complete(f) && f->req_len < sizeof f->req - 1 && wait_in(c, 5000)) {
        ssize_t n = recv(c, f->req + f->req_len, sizeof f->req - 1 - f->req_len, 0);
        if (n <= 0)
            break;
        f->req_len += (size_t)n;
        f->req[f->req_len] = '\0';
    }
    if (!f->no_reply) {
        size_t step = f->piece ? f->piece : f->reply_len;
        for (size_t off = 0; off < f->reply_len; off += step) {
            size_t k = f->reply_len - off < step ? f->reply_len - off : step;
            if (send(c, f->reply + off, k, MSG_NOSIGNAL) < 0)
                break;
            if (f->piece)
                pause_ms(2);
        }
    }
    if (f->no_reply || f->linger) {
        char sink[4096];
        while (wait_in(c, 5000) && recv(c, sink, sizeof sink, 0) > 0)
            ;
    }
    close(c);
    return NULL;
}

/* A fake server answering reply (NUL-terminated) to one connection. NULL
 * when the address family is not available (IPv6). */
static struct fake *fake_new(bool v6, const char *reply)
{
    struct fake *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->v6 = v6;
    f->reply = reply;
    f->reply_len = reply ? strlen(reply) : 0;
    f->lfd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    int ok = f->lfd >= 0;
    if (ok && v6) {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        ok = bind(f->lfd, (struct sockaddr *)&a, sizeof a) == 0;
    } else if (ok) {
        struct sockaddr_in a = {.sin_family = AF_INET};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ok = bind(f->lfd, (struct sockaddr *)&a, sizeof a) == 0;
    }
    if (!ok || listen(f->lfd, 4) != 0) {
        if (f->lfd >= 0)
            close(f->lfd);
        free(f);
        assert_true(v6); /* IPv4 loopback must work */
        return NULL;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&ss, &sl), 0);
    f->port =
        ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    snprintf(f->url, sizeof f->url, v6 ? "http://[::1]:%d" : "http://127.0.0.1:%d", f->port);
    return f;
}

static void fake_start(struct fake *f)
{
    assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static struct fake *fake(const char *reply)
{
    struct fake *f = fake_new(false, reply);
    fake_start(f);
    return f;
}

static void fake_end(struct fake *f)
{
    pthread_join(f->thread, NULL);
    close(f->lfd);
    free(f);
}

static char *url_of(const struct fake *f, const char *path)
{
    static char u[256];
    snprintf(u, sizeof u, "%s%s", f->url, path);
    return u;
}

static double since(int64_t t0)
{
    return (double)(promc__mono_ns() - t0) / 1e9;
}

/* fetch with a 5 s timeout and whatever else opts says. */
static int get(struct fake *f, const char *path, promc_http_client_opts *opts, promc_http_result *r)
{
    promc_http_client_opts o = opts ? *opts : (promc_http_client_opts){0};
    if (!o.timeout)
        o.timeout = 5;
    return promc_http_fetch("GET", url_of(f, path), NULL, 0, &o, r);
}

static void assert_error(int rc, int want, const char *needle)
{
    if (rc != want || !strstr(promc_last_error(), needle))
        fail_msg("got %s \"%s\", want %s with \"%s\"", promc_errname(rc), promc_last_error(),
                 promc_errname(want), needle);
}

static void assert_zeroed(const promc_http_result *r)
{
    assert_int_equal(r->status, 0);
    assert_null(r->body);
    assert_int_equal(r->body_len, 0);
    assert_null(r->content_type);
    assert_null(r->location);
    assert_null(r->retry_after);
}

/* ------------------------------------------------------------------ */
/* Responses                                                           */
/* ------------------------------------------------------------------ */

static void test_get_content_length(void **state)
{
    (void)state;
    struct fake *f = fake("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                          "content-length: 11\r\nX-Other:  spaced  \r\n\r\nhello world");
    f->linger = true; /* the body must end by its length, not by a close */
    promc_http_result r;
    int64_t t0 = promc__mono_ns();
    assert_int_equal(get(f, "/metrics?x=1&y=%20", NULL, &r), PROMC_OK);
    assert_true(since(t0) < 2);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 11);
    assert_string_equal(r.body, "hello world");
    assert_string_equal(r.content_type, "text/plain; version=0.0.4");
    assert_null(r.location);
    assert_null(r.retry_after);
    promc_http_result_free(&r);
    assert_null(r.body);
    pthread_join(f->thread, NULL);
    const char *line = "GET /metrics?x=1&y=%20 HTTP/1.1\r\n";
    assert_memory_equal(f->req, line, strlen(line));
    close(f->lfd);
    free(f);
}

/* The exact request head of a plain GET (default path "/", query kept,
 * fragment dropped). */
static void test_request_head(void **state)
{
    (void)state;
    static const char *const paths[][2] = {
        {"", "/"}, {"/", "/"}, {"?q=1", "/?q=1"}, {"/a/b?c=d#frag", "/a/b?c=d"}, {"#f", "/"}};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        struct fake *f = fake("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        promc_http_result r;
        assert_int_equal(get(f, paths[i][0], NULL, &r), PROMC_OK);
        promc_http_result_free(&r);
        pthread_join(f->thread, NULL);
        char want[512];
        snprintf(want, sizeof want,
                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" UA
                 "Accept: */*\r\nConnection: close\r\n\r\n",
                 paths[i][1], f->port);
        assert_string_equal(f->req, want);
        close(f->lfd);
        free(f);
    }
}

static void test_chunked(void **state)
{
    (void)state;
    static const char reply[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "5;name=value\r\nhello\r\n"
                                "1\r\n \r\n"
                                "00A ; ext=\"quoted\"\r\n0123456789\r\n"
                                "0\r\nX-Trailer: yes\r\nX-More: 1\r\n\r\n";
    for (size_t piece = 0; piece <= 3; piece += 3) {
        struct fake *f = fake_new(false, reply);
        f->piece = piece; /* every line and chunk split across reads */
        f->linger = true;
        fake_start(f);
        promc_http_result r;
        assert_int_equal(get(f, "/", NULL, &r), PROMC_OK);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, 16);
        assert_string_equal(r.body, "hello 0123456789");
        promc_http_result_free(&r);
        fake_end(f);
    }
    /* Bare LF line ends are read too; an empty chunked body is "". */
    struct fake *f = fake("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n0\n\n");
    promc_http_result r;
    assert_int_equal(get(f, "/", NULL, &r), PROMC_OK);
    assert_int_equal(r.body_len, 0);
    assert_string_equal(r.body, "");
    promc_http_result_free(&r);
    fake_end(f);
}

static void test_body_until_close(void **state)
{
    (void)state;
    struct fake *f = fake("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n"
                          "no length, read until the server closes");
    f->piece = 7;
    promc_http_result r;
    assert_int_equal(get(f, "/", NULL, &r), PROMC_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "no length, read until the server closes");
    assert_string_equal(r.content_type, "text/html");
    promc_http_result_free(&r);
    fake_end(f);
}

static void test_error_status_is_ok(void **state)
{
    (void)state;
    struct fake *f = fake("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\noops\n");
    promc_http_result r;
    assert_int_equal(get(f, "/", NULL, &r), PROMC_OK);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.body, "oops\n");
    promc_http_result_free(&r);
    fake_end(f);
}

static void test_redirect_not_followed(void **state)
{
    (void)state;
    struct fake *f = fake("HTTP/1.1 302 Found\r\nLocation: http://elsewhere.invalid/x\r\n"
                          "Content-Length: 0\r\n\r\n");
    promc_http_result r;
    assert_int_equal(get(f, "/old", NULL, &r), PROMC_OK);
    assert_int_equal(r.status, 302);
    assert_string_equal(r.location, "http://elsewhere.invalid/x");
    assert_non_null(r.body);
    assert_int_equal(r.body_len, 0);
    assert_null(r.content_type);
    promc_http_result_free(&r);
    fake_end(f); /* and elsewhere.invalid was never resolved: the call was OK */
}

/* Retry-After comes back as sent (delta-seconds or an HTTP-date: the
 * caller decides what it means), the first one if repeated, whatever the
 * status. */
static void test_retry_after_kept(void **state)
{
    (void)state;
    static const struct {
        const char *reply, *want;
    } cases[] = {
        {"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n", "120"},
        {"HTTP/1.1 503 Service Unavailable\r\nretry-after:  Wed, 21 Oct 2015 07:28:00 GMT \r\n"
         "Retry-After: 5\r\nContent-Length: 0\r\n\r\n",
         "Wed, 21 Oct 2015 07:28:00 GMT"},
        {"HTTP/1.1 200 OK\r\nRetry-After: 1\r\nContent-Length: 2\r\n\r\nok", "1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct fake *f = fake(cases[i].reply);
        promc_http_result r;
        assert_int_equal(get(f, "/", NULL, &r), PROMC_OK);
        assert_non_null(r.retry_after);
        assert_string_equal(r.retry_after, cases[i].want);
        promc_http_result_free(&r);
        assert_null(r.retry_after);
        fake_end(f);
    }
}

/* HEAD, 1xx, 204 and 304 have no body whatever the headers say; interim
 * 1xx responses are skipped. linger: waiting for a body would time out. */
static void test_no_body(void **state)
{
    (void)state;
    static const struct {
        const char *method, *reply;
        int status;
    } cases[] = {
        {"HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 200},
        {"GET", "HTTP/1.1 204 No Content\r\n\r\n", 204},
        {"GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", 304},
        {"GET",
         "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n"
         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
         200},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct fake *f = fake_new(false, cases[i].reply);
        f->linger = true;
        fake_start(f);
        promc_http_result r;
        promc_http_client_opts o = {.timeout = 5};
        int64_t t0 = promc__mono_ns();
        assert_int_equal(promc_http_fetch(cases[i].method, url_of(f, "/"), NULL, 0, &o, &r),
                         PROMC_OK);
        assert_true(since(t0) < 2);
        assert_int_equal(r.status, cases[i].status);
        assert_string_equal(r.body, cases[i].status == 200 && i == 3 ? "ok" : "");
        promc_http_result_free(&r);
        fake_end(f);
    }
}

/* ------------------------------------------------------------------ */
/* What the request carries                                            */
/* ------------------------------------------------------------------ */

static const char *request_of(const char *method, const char *body, size_t len,
                              promc_http_client_opts *o, int *port)
{
    static char got[65536];
    struct fake *f = fake("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    promc_http_result r;
    o->timeout = 5;
    int rc = promc_http_fetch(method, url_of(f, "/p"), body, len, o, &r);
    if (rc != PROMC_OK)
        fail_msg("fetch: %s", promc_last_error());
    promc_http_result_free(&r);
    pthread_join(f->thread, NULL);
    memcpy(got, f->req, f->req_len + 1);
    *port = f->port;
    close(f->lfd);
    free(f);
    return got;
}

static void test_auth_headers(void **state)
{
    (void)state;
    int port;
    char want[512];
    promc_http_client_opts o = {.basic_user = "user", .basic_password = "p\xc3\xa4ss:word"};
    const char *got = request_of("GET", NULL, 0, &o, &port);
    snprintf(want, sizeof want,
             "GET /p HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" UA "Accept: */*\r\nConnection: close\r\n"
             "Authorization: Basic dXNlcjpww6Rzczp3b3Jk\r\n\r\n",
             port);
    assert_string_equal(got, want);

    o = (promc_http_client_opts){.bearer_token = "tok.en-123_~+/="};
    got = request_of("GET", NULL, 0, &o, &port);
    snprintf(want, sizeof want,
             "GET /p HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" UA
             "Accept: */*\r\nConnection: close\r\nAuthorization: Bearer tok.en-123_~+/=\r\n\r\n",
             port);
    assert_string_equal(got, want);
}

static void test_request_bodies(void **state)
{
    (void)state;
    int port;
    char want[1024];
    const char *const extra[] = {"X-One: 1", "X-Two:two words", NULL};
    promc_http_client_opts o = {.headers = extra};
    const char *got = request_of("PUT", "a 1\n", 4, &o, &port);
    snprintf(want, sizeof want,
             "PUT /p HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" UA
             "Accept: */*\r\nConnection: close\r\nContent-Type: text/plain\r\n"
             "Content-Length: 4\r\nX-One: 1\r\nX-Two:two words\r\n\r\na 1\n",
             port);
    assert_string_equal(got, want);

    /* An Accept of the caller's replaces the default one, whatever its
     * case. */
    const char *const accept[] = {"accept: application/json", "X-One: 1", NULL};
    o = (promc_http_client_opts){.headers = accept};
    got = request_of("GET", NULL, 0, &o, &port);
    snprintf(want, sizeof want,
             "GET /p HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" UA
             "Connection: close\r\naccept: application/json\r\nX-One: 1\r\n\r\n",
             port);
    assert_string_equal(got, want);

    /* PUT and POST say Content-Length: 0 even without a body. */
    o = (promc_http_client_opts){0};
    got = request_of("POST", NULL, 0, &o, &port);
    assert_non_null(strstr(got, "\r\nContent-Length: 0\r\n\r\n"));
    assert_null(strstr(got, "Content-Type"));
    got = request_of("PUT", "", 0, &o, &port);
    assert_non_null(strstr(got, "\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n"));
    got = request_of("DELETE", NULL, 0, &o, &port);
    assert_null(strstr(got, "Content-Length"));

    /* A large body with a content type of its own arrives whole. */
    size_t n = 60000;
    char *big = malloc(n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    o = (promc_http_client_opts){.content_type = "application/octet-stream"};
    got = request_of("POST", big, n, &o, &port);
    const char *body = strstr(got, "\r\n\r\n");
    assert_non_null(body);
    assert_non_null(strstr(got, "Content-Type: application/octet-stream\r\n"));
    assert_non_null(strstr(got, "Content-Length: 60000\r\n"));
    assert_int_equal(strlen(body + 4), n);
    assert_memory_equal(body + 4, big, n);
    free(big);
}

/* ------------------------------------------------------------------ */
/* Failures                                                            */
/* ------------------------------------------------------------------ */

static void test_connection_refused(void **state)
{
    (void)state;
    struct fake *f = fake_new(false, NULL); /* bound, then closed: nobody listens */
    int port = f->port;
    close(f->lfd);
    free(f);
    char url[64], want[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    snprintf(want, sizeof want, "connect to 127.0.0.1:%d: Connection refused", port);
    promc_http_result r = {.status = 7};
    int64_t t0 = promc__mono_ns();
    int rc = promc_http_fetch("GET", url, NULL, 0, NULL, &r);
    assert_true(since(t0) < 1);
    assert_error(rc, PROMC_EIO, want);
    assert_zeroed(&r);
}

static void test_no_answer_times_out(void **state)
{
    (void)state;
    struct fake *f = fake_new(false, NULL);
    f->no_reply = true;
    fake_start(f);
    promc_http_result r;
    promc_http_client_opts o = {.timeout = 0.3};
    char want[64];
    snprintf(want, sizeof want, "timeout after 0.3 s reading from 127.0.0.1:%d", f->port);
    int64_t t0 = promc__mono_ns();
    int rc = promc_http_fetch("GET", url_of(f, "/"), NULL, 0, &o, &r);
    double took = since(t0);
    assert_error(rc, PROMC_EIO, want);
    assert_true(took >= 0.25);
    assert_true(took < 2);
    assert_zeroed(&r);
    fake_end(f);

    /* A server that trickles a body stays under the same deadline. */
    char slow[1024];
    int n = snprintf(slow, sizeof slow, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
    memset(slow + n, 'x', 500); /* 2 ms a byte: a second for the whole */
    slow[n + 500] = '\0';
    f = fake_new(false, slow);
    f->piece = 1;
    f->linger = true;
    fake_start(f);
    t0 = promc__mono_ns();
    rc = promc_http_fetch("GET", url_of(f, "/"), NULL, 0, &o, &r);
    took = since(t0);
    assert_error(rc, PROMC_EIO, "timeout after 0.3 s reading from");
    assert_true(took < 2);
    fake_end(f);
}

static void test_max_body(void **state)
{
    (void)state;
    static const char *const over[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world",
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
         "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
        "HTTP/1.1 200 OK\r\n\r\nhello world",
        /* a chunk size far beyond the cap is refused before any allocation */
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffff\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof over / sizeof *over; i++) {
        struct fake *f = fake(over[i]);
        promc_http_result r;
        promc_http_client_opts o = {.max_body = 10};
        assert_error(get(f, "/", &o, &r), PROMC_ELIMIT, "larger than max_body (10 bytes)");
        assert_zeroed(&r);
        fake_end(f);
    }
    static const char *const exact[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhelloworld",
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
         "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"),
        "HTTP/1.1 200 OK\r\n\r\nhelloworld",
    };
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++) {
        struct fake *f = fake(exact[i]);
        promc_http_result r;
        promc_http_client_opts o = {.max_body = 10};
        assert_int_equal(get(f, "/", &o, &r), PROMC_OK);
        assert_string_equal(r.body, "helloworld");
        promc_http_result_free(&r);
        fake_end(f);
    }
}

static void test_truncated(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct fake *f = fake(cases[i]);
        promc_http_result r;
        assert_error(get(f, "/", NULL, &r), PROMC_EIO, "truncated");
        assert_zeroed(&r);
        fake_end(f);
    }
    struct fake *f = fake("");
    promc_http_result r;
    assert_error(get(f, "/", NULL, &r), PROMC_EIO, "closed the connection without answering");
    fake_end(f);
}

static void test_malformed(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "HTTX/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 600 Odd\r\n\r\n",
        "garbage\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-Bad: a\001b\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct fake *f = fake(cases[i]);
        promc_http_result r;
        assert_error(get(f, "/", NULL, &r), PROMC_EIO, "malformed response from 127.0.0.1:");
        assert_zeroed(&r);
        fake_end(f);
    }
}

static void test_huge_head(void **state)
{
    (void)state;
    size_t n = 70000;
    char *reply = malloc(n + 64);
    assert_non_null(reply);
    strcpy(reply, "HTTP/1.1 200 OK\r\nX-Big: ");
    size_t at = strlen(reply);
    memset(reply + at, 'a', n);
    strcpy(reply + at + n, "\r\n\r\n");
    struct fake *f = fake(reply);
    promc_http_result r;
    assert_error(get(f, "/", NULL, &r), PROMC_EIO, "response head too large");
    fake_end(f);

    /* Many small headers add up the same way. */
    size_t lines = 8000;
    char *many = malloc(lines * 9 + 64), *w = many;
    assert_non_null(many);
    w += sprintf(w, "HTTP/1.1 200 OK\r\n");
    for (size_t i = 0; i < lines; i++)
        w += sprintf(w, "X-H: 12\r\n");
    strcpy(w, "\r\n");
    f = fake(many);
    assert_error(get(f, "/", NULL, &r), PROMC_EIO, "response head too large");
    fake_end(f);
    free(many);
    free(reply);
}

static void test_bad_urls(void **state)
{
    (void)state;
    static const struct {
        const char *url, *needle;
    } cases[] = {
        {"https://127.0.0.1/", "TLS"},
        {"HTTPS://example.com/metrics", "TLS terminator"},
        {"ftp://example.com/", "only http://"},
        {"example.com/metrics", "only http://"},
        {"http://", "no host"},
        {"http:///metrics", "no host"},
        {"http://:8080/", "no host"},
        {"http://exa mple.com/", "space"},
        {"http://example.com/a b", "space"},
        {"http://example.com/\x01", "control character"},
        {"http://example.com/\xc3\xa4", "non-ASCII"},
        {"http://example.com:99999/", "invalid port"},
        {"http://example.com:0/", "invalid port"},
        {"http://example.com:abc/", "invalid port"},
        {"http://example.com:/", "invalid port"},
        {"http://example.com:123456/", "invalid port"},
        {"http://[::1/", "unterminated"},
        {"http://[::1]x/", "junk"},
        {"http://[zz::1]/", "invalid IPv6"},
        {"http://::1/", "brackets"},
        {"http://user:pw@example.com/", "credentials"},
        {"http://exa%6dple.com/", "invalid character"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        promc_http_result r = {.status = 1};
        assert_error(promc_http_fetch("GET", cases[i].url, NULL, 0, NULL, &r), PROMC_EINVAL,
                     cases[i].needle);
        assert_zeroed(&r);
    }
    promc_http_result r;
    assert_error(promc_http_fetch("GET", NULL, NULL, 0, NULL, &r), PROMC_EINVAL, "NULL");
    assert_int_equal(promc_http_fetch("GET", "http://127.0.0.1/", NULL, 0, NULL, NULL),
                     PROMC_EINVAL);
}

static void test_bad_options(void **state)
{
    (void)state;
    const char *u = "http://127.0.0.1:1/";
    promc_http_result r;
    const char *const crlf[] = {"X-A: 1\r\nX-Injected: 2", NULL};
    const char *const lf[] = {"X-A: 1\nGET / HTTP/1.1", NULL};
    const char *const nocolon[] = {"X-A 1", NULL};
    const char *const badname[] = {"X A: 1", NULL};
    const char *const host[] = {"host: other", NULL};
    const char *const length[] = {"Content-Length: 5", NULL};
    struct {
        promc_http_client_opts o;
        const char *needle;
    } cases[] = {
        {{.headers = crlf}, "CR and LF"},
        {{.headers = lf}, "CR and LF"},
        {{.headers = nocolon}, "Name: value"},
        {{.headers = badname}, "Name: value"},
        {{.headers = host}, "set by the client"},
        {{.headers = length}, "set by the client"},
        {{.basic_user = "u"}, "both"},
        {{.basic_password = "p"}, "both"},
        {{.basic_user = "a:b", .basic_password = "p"}, "':'"},
        {{.basic_user = "u", .basic_password = "p", .bearer_token = "t"}, "exclusive"},
        {{.bearer_token = "t\r\nX: y"}, "control"},
        {{.content_type = "text/plain\r\nX: y"}, "control"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_error(promc_http_fetch("GET", u, NULL, 0, &cases[i].o, &r), PROMC_EINVAL,
                     cases[i].needle);
    assert_error(promc_http_fetch("G ET", u, NULL, 0, NULL, &r), PROMC_EINVAL, "method");
    assert_error(promc_http_fetch("", u, NULL, 0, NULL, &r), PROMC_EINVAL, "method");
    assert_error(promc_http_fetch(NULL, u, NULL, 0, NULL, &r), PROMC_EINVAL, "method");
    assert_error(promc_http_fetch("PUT", u, NULL, 3, NULL, &r), PROMC_EINVAL, "body is NULL");
}

static void test_ipv6(void **state)
{
    (void)state;
    struct fake *f = fake_new(true, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6");
    if (!f) {
        print_message("no IPv6 loopback here; skipping\n");
        skip();
    }
    fake_start(f);
    promc_http_result r;
    assert_int_equal(get(f, "/six", NULL, &r), PROMC_OK);
    assert_string_equal(r.body, "v6");
    promc_http_result_free(&r);
    pthread_join(f->thread, NULL);
    char want[128];
    snprintf(want, sizeof want, "GET /six HTTP/1.1\r\nHost: [::1]:%d\r\n", f->port);
    assert_memory_equal(f->req, want, strlen(want));
    close(f->lfd);
    free(f);
}

/* ------------------------------------------------------------------ */
/* Pushgateway                                                         */
/* ------------------------------------------------------------------ */

static promc_registry *push_registry(void)
{
    promc_registry *reg = promc_registry_new();
    assert_non_null(reg);
    promc_counter *c = promc_counter_new(reg, "jobs_done", "Jobs done.", NULL);
    assert_non_null(c);
    promc_counter_add(c, 3);
    promc_counter_free(c);
    return reg;
}

/* Runs one push call against a fake answering reply; returns the rc and
 * copies the request the fake got into got. */
static int push_against(const char *reply, int which, promc_registry *reg, const char *job,
                        const promc_push_opts *opts, char *got, size_t cap, bool slash)
{
    struct fake *f = fake(reply);
    char gw[160];
    snprintf(gw, sizeof gw, "%s%s", f->url, slash ? "/" : "");
    int rc = which == 0   ? promc_push(reg, gw, job, opts)
             : which == 1 ? promc_push_add(reg, gw, job, opts)
                          : promc_push_delete(gw, job, opts);
    pthread_join(f->thread, NULL);
    snprintf(got, cap, "%s", f->req);
    close(f->lfd);
    free(f);
    return rc;
}

static void test_push_url_and_body(void **state)
{
    (void)state;
    promc_registry *reg = push_registry();
    promc_label grouping[] = {{"instance", "host:9100"}, {"path", "/x/y"}, {"empty", ""}};
    promc_push_opts o = {.grouping = grouping, .ngrouping = 3, .timeout = 5};
    static char got[65536];
    int rc = push_against("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, reg, "a/b", &o, got,
                          sizeof got, true);
    if (rc != PROMC_OK)
        fail_msg("push: %s", promc_last_error());
    const char *line = "PUT /metrics/job@base64/YS9i/instance/host%3A9100/path@base64/L3gveQ==/"
                       "empty@base64/= HTTP/1.1\r\n";
    assert_memory_equal(got, line, strlen(line));
    assert_non_null(strstr(got, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    size_t len;
    char *want = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, &len);
    assert_non_null(want);
    char cl[64];
    snprintf(cl, sizeof cl, "\r\nContent-Length: %zu\r\n", len);
    assert_non_null(strstr(got, cl));
    const char *body = strstr(got, "\r\n\r\n");
    assert_non_null(body);
    assert_string_equal(body + 4, want);
    assert_non_null(strstr(want, "jobs_done_total 3"));
    promc_free(want);
    promc_registry_free(reg);
}

static void test_push_methods(void **state)
{
    (void)state;
    promc_registry *reg = push_registry();
    static char got[65536];
    static const char ok[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
    promc_push_opts o = {.timeout = 5};
    assert_int_equal(push_against(ok, 0, reg, "j", &o, got, sizeof got, false), PROMC_OK);
    assert_memory_equal(got, "PUT /metrics/job/j HTTP/1.1\r\n", 29);
    assert_int_equal(push_against(ok, 1, reg, "j", NULL, got, sizeof got, false), PROMC_OK);
    assert_memory_equal(got, "POST /metrics/job/j HTTP/1.1\r\n", 30);
    assert_non_null(strstr(got, "jobs_done_total 3"));
    assert_int_equal(push_against(ok, 2, NULL, "j", &o, got, sizeof got, false), PROMC_OK);
    assert_memory_equal(got, "DELETE /metrics/job/j HTTP/1.1\r\n", 32);
    assert_null(strstr(got, "Content-Length"));
    assert_true(strlen(got) > 4 && !strcmp(got + strlen(got) - 4, "\r\n\r\n"));

    /* Percent-encoding, "." segments and URL-safe base64 with '-' and '_'. */
    promc_label g[] = {
        {"a", "b:c%"}, {"d", "."}, {"e", "/~~~"}, {"f", "a/\xc3\xbf"}, {"g", "\xc3\xa4-_.~"}};
    o = (promc_push_opts){.grouping = g, .ngrouping = 5, .timeout = 5};
    assert_int_equal(push_against(ok, 2, NULL, "my job", &o, got, sizeof got, false), PROMC_OK);
    const char *line = "DELETE /metrics/job/my%20job/a/b%3Ac%25/d@base64/Lg==/e@base64/L35-fg==/"
                       "f@base64/YS_Dvw==/g/%C3%A4-_.~ HTTP/1.1\r\n";
    assert_memory_equal(got, line, strlen(line));

    /* Basic auth reaches the gateway. */
    o = (promc_push_opts){.basic_user = "user", .basic_password = "p\xc3\xa4ss:word"};
    assert_int_equal(push_against(ok, 0, reg, "j", &o, got, sizeof got, false), PROMC_OK);
    assert_non_null(strstr(got, "\r\nAuthorization: Basic dXNlcjpww6Rzczp3b3Jk\r\n"));
    promc_registry_free(reg);
}

/* The scrape options reach the body: only the families asked for. */
static void test_push_name_filter(void **state)
{
    (void)state;
    promc_registry *reg = push_registry();
    promc_gauge *g = promc_gauge_new(reg, "queue_depth", "Queue depth.", NULL);
    assert_non_null(g);
    static char got[65536];
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    promc_push_opts o = {.timeout = 5,
                         .scrape = &(promc_scrape_opts){.names = PROMC_LABELS("queue_depth")}};
    assert_int_equal(push_against(ok, 0, reg, "j", &o, got, sizeof got, false), PROMC_OK);
    const char *body = strstr(got, "\r\n\r\n");
    assert_non_null(body);
    assert_string_equal(body + 4, "# HELP queue_depth Queue depth.\n# TYPE queue_depth gauge\n"
                                  "queue_depth 0\n");
    promc_gauge_free(g);
    promc_registry_free(reg);
}

static void test_push_errors(void **state)
{
    (void)state;
    promc_registry *reg = push_registry();
    static char got[65536];
    promc_push_opts o = {.timeout = 5};
    static const char msg[] = "pushed metrics are invalid:\n\tcollected metric \"x\" bad\n\n";
    char reply[1024];
    snprintf(reply, sizeof reply,
             "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
             "\r\n%s",
             strlen(msg), msg);
    int rc = push_against(reply, 0, reg, "j", &o, got, sizeof got, false);
    assert_int_equal(rc, PROMC_EIO);
    assert_string_equal(promc_last_error(),
                        "pushgateway answered 400: pushed metrics are invalid:  collected metric "
                        "\"x\" bad");

    /* A long answer is cut to about 200 bytes. */
    int n =
        snprintf(reply, sizeof reply, "HTTP/1.1 503 Unavailable\r\nContent-Length: 600\r\n\r\n");
    memset(reply + n, 'z', 600);
    reply[n + 600] = '\0';
    rc = push_against(reply, 1, reg, "j", &o, got, sizeof got, false);
    assert_error(rc, PROMC_EIO, "pushgateway answered 503: zzzz");
    assert_true(strlen(promc_last_error()) < 240);
    assert_non_null(strstr(promc_last_error(), "zzz..."));

    rc = push_against("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 2, NULL, "j", &o, got,
                      sizeof got, false);
    assert_error(rc, PROMC_EIO, "pushgateway answered 404: (empty body)");

    /* Bytes that are not UTF-8 never reach the message: each is a '?'. */
    static const char bad[] = "bad \xff\xfe bytes \xe2\x82 \xc3\xa9";
    snprintf(reply, sizeof reply, "HTTP/1.1 400 Bad\r\nContent-Length: %zu\r\n\r\n%s", strlen(bad),
             bad);
    rc = push_against(reply, 3, reg, "j", &o, got, sizeof got, false);
    assert_int_equal(rc, PROMC_EIO);
    assert_true(promc__valid_utf8(promc_last_error(), strlen(promc_last_error())));
    assert_string_equal(promc_last_error(), "pushgateway answered 400: bad ?? bytes ?? \xc3\xa9");

    /* Transport errors come through as they are. */
    assert_error(promc_push(reg, "https://gw:9091", "j", NULL), PROMC_EINVAL, "TLS");
    promc_registry_free(reg);
}

static void test_push_invalid(void **state)
{
    (void)state;
    const char *gw = "http://127.0.0.1:1";
    promc_label dup[] = {{"a", "1"}, {"a", "2"}};
    promc_label job[] = {{"job", "x"}};
    promc_label bad[] = {{"1x", "v"}};
    promc_label reserved[] = {{"__x", "v"}};
    promc_label nullv[] = {{"a", NULL}};
    promc_label utf8[] = {{"a", "\xff"}};
    struct {
        promc_push_opts o;
        const char *needle;
    } cases[] = {
        {{.grouping = dup, .ngrouping = 2}, "duplicate"},
        {{.grouping = job, .ngrouping = 1}, "\"job\""},
        {{.grouping = bad, .ngrouping = 1}, "invalid grouping label name \"1x\""},
        {{.grouping = reserved, .ngrouping = 1}, "invalid grouping label name"},
        {{.grouping = nullv, .ngrouping = 1}, "NULL value"},
        {{.grouping = utf8, .ngrouping = 1}, "UTF-8"},
        {{.grouping = NULL, .ngrouping = 1}, "grouping is NULL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_error(promc_push_delete(gw, "j", &cases[i].o), PROMC_EINVAL, cases[i].needle);
    assert_error(promc_push_delete(gw, "", NULL), PROMC_EINVAL, "job name is empty");
    assert_error(promc_push_delete(gw, NULL, NULL), PROMC_EINVAL, "job name is empty");
    assert_error(promc_push_delete(NULL, "j", NULL), PROMC_EINVAL, "gateway URL is empty");
    assert_error(promc_push_delete("", "j", NULL), PROMC_EINVAL, "gateway URL is empty");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_content_length),
        cmocka_unit_test(test_request_head),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_body_until_close),
        cmocka_unit_test(test_error_status_is_ok),
        cmocka_unit_test(test_redirect_not_followed),
        cmocka_unit_test(test_retry_after_kept),
        cmocka_unit_test(test_no_body),
        cmocka_unit_test(test_auth_headers),
        cmocka_unit_test(test_request_bodies),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_no_answer_times_out),
        cmocka_unit_test(test_max_body),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_huge_head),
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_push_url_and_body),
        cmocka_unit_test(test_push_methods),
        cmocka_unit_test(test_push_name_filter),
        cmocka_unit_test(test_push_errors),
        cmocka_unit_test(test_push_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
