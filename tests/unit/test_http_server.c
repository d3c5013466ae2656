/*
 * The built-in HTTP server, driven over raw sockets so every byte is under
 * control: routing, negotiation, keep-alive and pipelining, request errors,
 * timeouts, Basic auth, the work queue and handlers (whole paths, header
 * limits), self metrics, scrape errors, freeing from callbacks, listen
 * addresses and options, stop, and slow clients (1000 stalled connections
 * must not delay a scrape; slow readers filling the budget for unsent
 * output are shed, never a scrape cut short).
 * PROMC_TEST_NO_SLOW_CLIENTS=1 skips the 1000-connection cases (valgrind).
 */
#include "promc_http.h"

#include "helpers.h"
#include "raw_http.h"
#include "inflate.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <math.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Every scrape's Content-Type names the escaping applied (underscores unless
 * the scraper asks for another), as client_golang's does. */
#define CT_TEXT        PROMC_CONTENT_TYPE_TEXT "; escaping=underscores"
#define CT_OPENMETRICS PROMC_CONTENT_TYPE_OPENMETRICS "; escaping=underscores"
#define CT_PROTOBUF    PROMC_CONTENT_TYPE_PROTOBUF "; escaping=underscores"

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */
/* ------------------------------------------------------------------ */

typedef struct fixture {
    promc_registry *reg;
    promc_counter_vec *jobs;
    promc_gauge *temp;
    promc_histogram *lat;
} fixture;

static fixture fixture_new(void)
{
    fixture f = {.reg = promc_registry_new()};
    assert_non_null(f.reg);
    f.jobs = promc_counter_vec_new(f.reg, "jobs", "Jobs done.", PROMC_LABELS("kind"), NULL);
    f.temp = promc_gauge_new(f.reg, "temperature_celsius", "Temperature.", NULL);
    f.lat = promc_histogram_new(f.reg, "latency_seconds", "Latency.", NULL);
    assert_true(f.jobs && f.temp && f.lat);
    promc_counter_add(promc_counter_vec_labels(f.jobs, "a\"b\\c\nd"), 3);
    promc_counter_inc(promc_counter_vec_labels(f.jobs, "plain"));
    promc_gauge_set(f.temp, -12.5);
    promc_histogram_observe(f.lat, 0.042);
    return f;
}

static void fixture_free(fixture *f)
{
    promc_registry_free(f->reg);
    promc_counter_vec_free(f->jobs);
    promc_gauge_free(f->temp);
    promc_histogram_free(f->lat);
}

/* A server without a metrics endpoint (reg is then ignored). */
static const promc_http_opts no_metrics = {.disable_metrics = 1};

static promc_http_server *serve_on(promc_registry *reg, const char *addr, const promc_http_opts *o)
{
    promc_http_server *s = promc_http_server_new(reg, addr, o);
    if (!s)
        fail_msg("promc_http_server_new(%s): %s", addr, promc_last_error());
    assert_true(promc_http_server_port(s) > 0);
    return s;
}

static promc_http_server *serve(promc_registry *reg, const promc_http_opts *o)
{
    return serve_on(reg, "127.0.0.1:0", o);
}

/* A handler that blocks until released, and records on_sent calls. */
typedef struct hstate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int entered;
    bool release;
    int sent;
    int sent_status[16];
    int sent_ok[16];
    char sent_path[16][32];
    const char *body; /* must outlive the handler call: it is written after */
    size_t body_len;
    int release_after_ms;
    int64_t released_at; /* mono_ms() when releaser released the handler */
} hstate;

static void hstate_init(hstate *h)
{
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    h->body = "done\n";
    h->body_len = 5;
}

static void hstate_destroy(hstate *h)
{
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
}

static void blocking_handler(void *ud, const char *method, const char *path,
                             promc_http_response *resp)
{
    hstate *h = ud;
    (void)method;
    pthread_mutex_lock(&h->mu);
    h->entered++;
    pthread_cond_broadcast(&h->cv);
    while (!h->release)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
    if (strcmp(path, "/teapot") == 0) {
        resp->status = 418;
        resp->content_type = "application/x-tea";
    }
    if (strcmp(path, "/long") == 0) { /* longer than the server allows */
        static char ct[1200];
        memset(ct, 0, sizeof ct);
        strcpy(ct, "text/plain; x=");
        memset(ct + strlen(ct), 'c', 1000);
        resp->status = 405;
        resp->content_type = ct;
        resp->allow = "GET";
    }
    if (strcmp(path, "/crlf") == 0) /* would inject a header */
        resp->content_type = "text/plain\r\nX-Injected: 1";
    if (strcmp(path, "/nocontent") == 0)
        resp->status = 204;
    resp->body = h->body;
    resp->body_len = h->body_len;
}

static void on_sent(void *ud, const char *method, const char *path, const promc_http_response *resp,
                    int written_ok)
{
    hstate *h = ud;
    (void)method;
    pthread_mutex_lock(&h->mu);
    if (h->sent < 16) {
        h->sent_status[h->sent] = resp->status;
        h->sent_ok[h->sent] = written_ok;
        snprintf(h->sent_path[h->sent], sizeof h->sent_path[0], "%s", path);
    }
    h->sent++;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

static void h_release(hstate *h)
{
    pthread_mutex_lock(&h->mu);
    h->release = true;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* Waits until *counter (entered or sent) reaches n. */
static void h_wait(hstate *h, int *counter, int n)
{
    int64_t deadline = mono_ms() + WAIT_MS;
    pthread_mutex_lock(&h->mu);
    while (*counter < n && mono_ms() < deadline) {
        pthread_mutex_unlock(&h->mu);
        sleep_ms(2);
        pthread_mutex_lock(&h->mu);
    }
    int got = *counter;
    pthread_mutex_unlock(&h->mu);
    if (got < n)
        fail_msg("waited for %d handler events, saw %d", n, got);
}

/* Blocks the next handler calls again, answering with body. */
static void h_rearm(hstate *h, const char *body, size_t len)
{
    pthread_mutex_lock(&h->mu);
    h->release = false;
    h->body = body;
    h->body_len = len;
    pthread_mutex_unlock(&h->mu);
}

static void *releaser(void *arg)
{
    hstate *h = arg;
    sleep_ms(h->release_after_ms);
    h->released_at = mono_ms(); /* read after the join */
    h_release(h);
    return NULL;
}

static promc_http_opts handler_opts(hstate *h)
{
    promc_http_opts o = {
        .handler = blocking_handler, .on_sent = on_sent, .handler_data = h, .disable_metrics = 1};
    return o;
}

/* ------------------------------------------------------------------ */
/* Date header                                                         */
/* ------------------------------------------------------------------ */

static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* IMF-fixdate (RFC 9110 §5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT", with a
 * consistent weekday and within a minute of now. */
static void check_imf_fixdate(const char *v)
{
    static const char *const days[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    assert_non_null(v);
    if (strlen(v) != 29)
        fail_msg("Date \"%s\" is not 29 characters", v);
    char wd[4], mon[4];
    int d, y, hh, mm, ss;
    char tail[8];
    if (sscanf(v, "%3c, %2d %3c %4d %2d:%2d:%2d %7s", wd, &d, mon, &y, &hh, &mm, &ss, tail) != 8)
        fail_msg("Date \"%s\" is not IMF-fixdate", v);
    wd[3] = mon[3] = '\0';
    assert_string_equal(tail, "GMT");
    assert_true(v[3] == ',' && v[4] == ' ' && v[7] == ' ' && v[11] == ' ' && v[16] == ' ' &&
                v[19] == ':' && v[22] == ':' && v[25] == ' ');
    int m = 0;
    while (m < 12 && strcmp(months[m], mon) != 0)
        m++;
    if (m == 12)
        fail_msg("bad month in Date \"%s\"", v);
    int64_t days_n = days_from_civil(y, m + 1, d);
    assert_string_equal(wd, days[((days_n % 7) + 7) % 7]);
    int64_t t = days_n * 86400 + hh * 3600 + mm * 60 + ss;
    int64_t now = (int64_t)time(NULL);
    if (t < now - 60 || t > now + 60)
        fail_msg("Date \"%s\" is not now", v);
}

/* ------------------------------------------------------------------ */
/* Routing and negotiation                                             */
/* ------------------------------------------------------------------ */

static void test_get_metrics(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_http_opts o = {.disable_self_metrics = 1};
    promc_http_server *s = serve(f.reg, &o);
    int port = promc_http_server_port(s);

    response r;
    request(port, GET("/metrics"), &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Content-Type"), CT_TEXT);
    assert_int_equal(r.content_length, (long)r.body_len);
    assert_string_equal(hdr(&r, "Connection"), "keep-alive");
    check_imf_fixdate(hdr(&r, "Date"));
    char *want = test_render(f.reg, PROMC_FORMAT_TEXT);
    assert_string_equal(r.body, want);
    assert_non_null(strstr(r.body, "jobs_total{kind=\"a\\\"b\\\\c\\nd\"} 3"));
    promc_free(want);
    resp_free(&r);

    /* A query string does not change the path. */
    assert_int_equal(status_of(port, GET("/metrics?x=1&y")), 200);

    promc_http_server_free(s);
    fixture_free(&f);
}

static void test_negotiation(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_http_opts o = {.disable_self_metrics = 1};
    promc_http_server *s = serve(f.reg, &o);
    int port = promc_http_server_port(s);
    char *om = test_render(f.reg, PROMC_FORMAT_OPENMETRICS);

#define PROMETHEUS_2_42_ACCEPT                                                                     \
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"       \
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    static const char *const accepts[] = {
        "application/openmetrics-text",
        "application/openmetrics-text; version=1.0.0",
        /* Prometheus 2.42's scrape Accept header */
        PROMETHEUS_2_42_ACCEPT,
    };
    for (size_t i = 0; i < sizeof accepts / sizeof *accepts; i++) {
        char req[512];
        snprintf(req, sizeof req, "GET /metrics HTTP/1.1\r\nHost: t\r\nAccept: %s\r\n\r\n",
                 accepts[i]);
        response r;
        request(port, req, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(hdr(&r, "Content-Type"), CT_OPENMETRICS);
        assert_true(r.body_len >= 6);
        assert_string_equal(r.body + r.body_len - 6, "# EOF\n");
        assert_string_equal(r.body, om);
        resp_free(&r);
    }
    /* An Accept header longer than 1 KiB with OpenMetrics at its end is read
     * whole, not cut before that entry. */
    char *long_accept = malloc(4096);
    assert_non_null(long_accept);
    size_t n = 0;
    for (int i = 0; n < 1500; i++)
        n += (size_t)sprintf(long_accept + n, "application/x-other-%d;q=0.2, ", i);
    strcpy(long_accept + n, "application/openmetrics-text;version=1.0.0");
    char *req = malloc(4200);
    assert_non_null(req);
    snprintf(req, 4200, "GET /metrics HTTP/1.1\r\nHost: t\r\nAccept: %s\r\n\r\n", long_accept);
    response lr;
    request(port, req, &lr);
    assert_int_equal(lr.status, 200);
    assert_string_equal(hdr(&lr, "Content-Type"), CT_OPENMETRICS);
    assert_string_equal(lr.body, om);
    resp_free(&lr);
    free(req);
    free(long_accept);

    /* text wins when asked for first or alone */
    response r;
    request(port,
            "GET /metrics HTTP/1.1\r\nHost: t\r\nAccept: text/plain;version=0.0.4;q=0.9,"
            "application/openmetrics-text;q=0.5\r\n\r\n",
            &r);
    assert_string_equal(hdr(&r, "Content-Type"), CT_TEXT);
    resp_free(&r);

    promc_free(om);
    promc_http_server_free(s);

    /* disable_openmetrics: text whatever the Accept header says. */
    o.disable_openmetrics = 1;
    s = serve(f.reg, &o);
    request(promc_http_server_port(s),
            "GET /metrics HTTP/1.1\r\nHost: t\r\nAccept: "
            "application/openmetrics-text;version=1.0.0\r\n\r\n",
            &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Content-Type"), CT_TEXT);
    char *text = test_render(f.reg, PROMC_FORMAT_TEXT);
    assert_string_equal(r.body, text);
    promc_free(text);
    resp_free(&r);
    promc_http_server_free(s);
    fixture_free(&f);
}

/* Prometheus 2.42 with --enable-feature=native-histograms gets the
 * delimited protobuf stream: binary, NUL bytes and all, exactly what
 * promc_encode_buffer makes, with its Content-Type and length. */
static void test_protobuf_scrape(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_http_opts o = {.disable_self_metrics = 1};
    promc_http_server *s = serve(f.reg, &o);
    int port = promc_http_server_port(s);
    size_t want_len = 0;
    char *want = promc_encode_buffer(f.reg, PROMC_FORMAT_PROTOBUF, &want_len);
    assert_non_null(want);
    assert_non_null(memchr(want, '\0', want_len)); /* the body really is binary */

    response r;
    request(port,
            "GET /metrics HTTP/1.1\r\nHost: t\r\nAccept: "
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
            "encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,"
            "application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,"
            "*/*;q=0.1\r\n\r\n",
            &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Content-Type"), CT_PROTOBUF);
    assert_int_equal(r.content_length, (long)want_len);
    assert_int_equal(r.body_len, want_len);
    assert_memory_equal(r.body, want, want_len);
    resp_free(&r);

    /* HEAD: the same head, no body. */
    client c = cli_open(port);
    cli_send_str(&c, "HEAD /metrics HTTP/1.1\r\nHost: t\r\nAccept: application/vnd.google."
                     "protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited\r\n\r\n");
    expect_response(&c, &r, true);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Content-Type"), CT_PROTOBUF);
    assert_int_equal(r.content_length, (long)want_len);
    resp_free(&r);
    cli_close(&c);

    /* Prometheus 2.42 without the feature flag still gets OpenMetrics. */
    request(port, "GET /metrics HTTP/1.1\r\nHost: t\r\nAccept: " PROMETHEUS_2_42_ACCEPT "\r\n\r\n",
            &r);
    assert_string_equal(hdr(&r, "Content-Type"), CT_OPENMETRICS);
    resp_free(&r);
    promc_free(want);
    promc_http_server_free(s);
    fixture_free(&f);
}

/* A registry with UTF-8 names: Prometheus 3 asks for escaping=allow-utf-8
 * and gets the names quoted; Prometheus 2.42 asks for nothing and gets them
 * escaped with underscores; each response says which. */
static void test_utf8_names_scrape(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_registry_set_utf8_names(reg, 1);
    promc_gauge_vec *g =
        promc_gauge_vec_new(reg, "my.metric", "M.", PROMC_LABELS("error.message"), NULL);
    promc_gauge_set(promc_gauge_vec_labels(g, "Not Found"), 1);
    promc_http_opts o = {.disable_self_metrics = 1};
    promc_http_server *s = serve(reg, &o);
    int port = promc_http_server_port(s);
    response r;
    request(port,
            "GET /metrics HTTP/1.1\r\nHost: t\r\nAccept: "
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
            "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;"
            "escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1\r\n\r\n",
            &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Content-Type"),
                        PROMC_CONTENT_TYPE_OPENMETRICS "; escaping=allow-utf-8");
    assert_string_equal(r.body, "# TYPE \"my.metric\" gauge\n# HELP \"my.metric\" M.\n"
                                "{\"my.metric\",\"error.message\"=\"Not Found\"} 1.0\n# EOF\n");
    resp_free(&r);
    request(port, "GET /metrics HTTP/1.1\r\nHost: t\r\nAccept: " PROMETHEUS_2_42_ACCEPT "\r\n\r\n",
            &r);
    assert_string_equal(hdr(&r, "Content-Type"), CT_OPENMETRICS);
    assert_string_equal(r.body, "# TYPE my_metric gauge\n# HELP my_metric M.\n"
                                "my_metric{error_message=\"Not Found\"} 1.0\n# EOF\n");
    resp_free(&r);
    request(port,
            "GET /metrics HTTP/1.1\r\nHost: t\r\nAccept: text/plain;escaping=values\r\n"
            "Accept-Encoding: gzip\r\n\r\n",
            &r);
    assert_string_equal(hdr(&r, "Content-Type"), PROMC_CONTENT_TYPE_TEXT "; escaping=values");
    assert_string_equal(hdr(&r, "Content-Encoding"), "gzip");
    resp_free(&r);
    promc_http_server_free(s);
    promc_gauge_vec_free(g);
    promc_registry_free(reg);
}

static void test_head(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_http_opts o = {.disable_self_metrics = 1};
    promc_http_server *s = serve(f.reg, &o);
    int port = promc_http_server_port(s);

    response get;
    request(port, GET("/metrics"), &get);
    assert_int_equal(get.status, 200);

    /* HEAD then GET in one write: the GET's response must start right after
     * the HEAD's headers. */
    client c = cli_open(port);
    cli_send_str(&c, HEAD("/metrics") GET("/-/healthy"));
    response r;
    expect_response(&c, &r, true);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.content_length, (long)get.body_len);
    assert_string_equal(hdr(&r, "Content-Type"), CT_TEXT);
    resp_free(&r);
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "OK\n");
    resp_free(&r);
    cli_close(&c);
    resp_free(&get);

    promc_http_server_free(s);
    fixture_free(&f);
}

static void test_methods_and_paths(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_http_opts o = {.disable_self_metrics = 1};
    promc_http_server *s = serve(f.reg, &o);
    int port = promc_http_server_port(s);

    static const char *const reqs[] = {
        "POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc",
        "PUT /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
        "DELETE /metrics HTTP/1.1\r\nHost: t\r\n\r\n",
    };
    for (size_t i = 0; i < 3; i++) {
        response r;
        request(port, reqs[i], &r);
        assert_int_equal(r.status, 405);
        assert_string_equal(hdr(&r, "Allow"), "GET, HEAD");
        resp_free(&r);
    }

    response r;
    request(port, "POST /nope HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", &r);
    assert_int_equal(r.status, 404); /* unknown path: 404 whatever the method */
    resp_free(&r);

    request(port, GET("/"), &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Content-Type"), "text/html; charset=utf-8");
    assert_non_null(strstr(r.body, "<a href=\"/metrics\">"));
    resp_free(&r);

    request(port, GET("/-/healthy"), &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "OK\n");
    resp_free(&r);

    assert_int_equal(status_of(port, GET("/nope")), 404);
    assert_int_equal(status_of(port, GET("/metrics/")), 404);
    assert_int_equal(status_of(port, GET("/metricsx")), 404);
    assert_int_equal(status_of(port, HEAD("/nope")), 404);
    /* absolute-form targets route by their path */
    assert_int_equal(status_of(port, "GET http://t/metrics HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    promc_http_server_free(s);

    /* A custom metrics path. */
    o.metrics_path = "/m";
    s = serve(f.reg, &o);
    port = promc_http_server_port(s);
    request(port, GET("/m"), &r);
    assert_int_equal(r.status, 200);
    char *want = test_render(f.reg, PROMC_FORMAT_TEXT);
    assert_string_equal(r.body, want);
    promc_free(want);
    resp_free(&r);
    assert_int_equal(status_of(port, GET("/metrics")), 404);
    request(port, GET("/"), &r);
    assert_non_null(strstr(r.body, "<a href=\"/m\">"));
    resp_free(&r);
    promc_http_server_free(s);

    /* No metrics endpoint, no handler: only / and /-/healthy. */
    s = serve(NULL, &no_metrics);
    port = promc_http_server_port(s);
    assert_int_equal(status_of(port, GET("/metrics")), 404);
    assert_int_equal(status_of(port, GET("/-/healthy")), 200);
    promc_http_server_free(s);
    fixture_free(&f);
}

/* A metrics path is refused at start when no request could ask for it (too
 * long for max_target, a '?' or a space in it), and otherwise served and
 * linked from the index page whole, escaped for HTML, however long. */
static void test_metrics_path_limits(void **state)
{
    (void)state;
    fixture f = fixture_new();
    char path[80], long_path[2001];
    strcpy(path, "/a&b'c\"<d>");
    memset(path + strlen(path), 'x', 64 - strlen(path));
    path[64] = '\0';
    promc_http_opts o = {.metrics_path = path, .max_target = 64, .disable_self_metrics = 1};
    promc_http_server *s = serve(f.reg, &o);
    int port = promc_http_server_port(s);
    char req[256];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
    assert_int_equal(status_of(port, req), 200);
    response r;
    request(port, GET("/"), &r);
    assert_int_equal(r.status, 200);
    char want[256];
    snprintf(want, sizeof want, "<a href=\"/a&amp;b&#39;c&quot;&lt;d&gt;%s\">", path + 10);
    if (!strstr(r.body, want))
        fail_msg("index page without %s:\n%s", want, r.body);
    resp_free(&r);
    promc_http_server_free(s);

    /* One byte more than max_target can never be requested. */
    path[64] = 'x';
    path[65] = '\0';
    assert_null(promc_http_server_new(f.reg, "127.0.0.1:0", &o));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_non_null(strstr(promc_last_error(), "max_target"));
    static const char *const bad[] = {"/m?x", "/m x", "/m\x7f", "/m\xc3\xa9", "m"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        o.metrics_path = bad[i];
        if (promc_http_server_new(f.reg, "127.0.0.1:0", &o))
            fail_msg("metrics path \"%s\" accepted", bad[i]);
        assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    }
    /* Without a metrics endpoint, the path is not looked at. */
    o.disable_metrics = 1;
    s = serve(NULL, &o);
    promc_http_server_free(s);

    /* A path longer than the old fixed page buffer is linked whole. */
    long_path[0] = '/';
    memset(long_path + 1, 'p', 1999);
    long_path[2000] = '\0';
    o = (promc_http_opts){.metrics_path = long_path, .disable_self_metrics = 1};
    s = serve(f.reg, &o);
    request(promc_http_server_port(s), GET("/"), &r);
    assert_int_equal(r.status, 200);
    char *link = strstr(r.body, "<a href=\"/ppp");
    assert_non_null(link);
    assert_int_equal(strspn(link + 10, "p"), 1999);
    assert_memory_equal(link + 10 + 1999, "\">Metrics</a>", 13);
    resp_free(&r);
    promc_http_server_free(s);
    fixture_free(&f);
}

/* disable_metrics ignores the registry given (no endpoint, no self-metrics
 * registered in it); PROMC_NO_REGISTRY is not a way to say so: it is
 * refused, with a message that names the option. */
static void test_disable_metrics(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_http_server *s = serve(f.reg, &no_metrics);
    assert_int_equal(status_of(promc_http_server_port(s), GET("/metrics")), 404);
    response r; /* the index page links to no metrics */
    request(promc_http_server_port(s), GET("/"), &r);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "<a href"));
    resp_free(&r);
    char *text = test_render(f.reg, PROMC_FORMAT_TEXT);
    assert_null(strstr(text, "promc_http_"));
    promc_free(text);
    promc_http_server_free(s);

    assert_null(promc_http_server_new(PROMC_NO_REGISTRY, "127.0.0.1:0", NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    if (!strstr(promc_last_error(), "PROMC_NO_REGISTRY") ||
        !strstr(promc_last_error(), "disable_metrics"))
        fail_msg("unhelpful message: \"%s\"", promc_last_error());
    /* Also with other options set: the registry is checked first. */
    promc_http_opts o = {.handler = blocking_handler};
    assert_null(promc_http_server_new(PROMC_NO_REGISTRY, "127.0.0.1:0", &o));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    fixture_free(&f);
}

/* ------------------------------------------------------------------ */
/* Connections                                                         */
/* ------------------------------------------------------------------ */

static void test_keep_alive_and_pipelining(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_http_opts o = {.disable_self_metrics = 1};
    promc_http_server *s = serve(f.reg, &o);
    int port = promc_http_server_port(s);
    char *want = test_render(f.reg, PROMC_FORMAT_TEXT);

    client c = cli_open(port);
    response r;
    for (int i = 0; i < 5; i++) {
        cli_send_str(&c, GET("/metrics"));
        expect_response(&c, &r, false);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, want);
        resp_free(&r);
    }
    /* Three requests in one write come back in order. */
    cli_send_str(&c, GET("/metrics") GET("/nope") GET("/-/healthy"));
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, want);
    resp_free(&r);
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 404);
    resp_free(&r);
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "OK\n");
    resp_free(&r);
    /* A stray CRLF between requests is tolerated (RFC 9112 §2.2). */
    cli_send_str(&c, "\r\n" GET("/-/healthy"));
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    /* Still open. */
    assert_false(cli_closed(&c, 50));
    cli_close(&c);

    promc_free(want);
    promc_http_server_free(s);
    fixture_free(&f);
}

static void test_connection_close(void **state)
{
    (void)state;
    promc_http_server *s = serve(NULL, &no_metrics);
    int port = promc_http_server_port(s);
    response r;

    /* HTTP/1.0 without keep-alive. */
    client c = cli_open(port);
    cli_send_str(&c, "GET /-/healthy HTTP/1.0\r\n\r\n");
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Connection"), "close");
    resp_free(&r);
    assert_true(cli_closed(&c, WAIT_MS));
    cli_close(&c);

    /* HTTP/1.0 asking for keep-alive gets it. */
    c = cli_open(port);
    cli_send_str(&c, "GET /-/healthy HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    expect_response(&c, &r, false);
    assert_string_equal(hdr(&r, "Connection"), "keep-alive");
    resp_free(&r);
    cli_send_str(&c, "GET /-/healthy HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cli_close(&c);

    /* HTTP/1.1 Connection: close; a pipelined request after it is ignored. */
    c = cli_open(port);
    cli_send_str(&c, "GET /-/healthy HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" GET("/"));
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Connection"), "close");
    resp_free(&r);
    assert_true(cli_closed(&c, WAIT_MS));
    cli_close(&c);

    /* A client that half-closes after its request still gets the answer,
     * also when the request and the FIN arrive together (TCP_CORK holds the
     * data back until shutdown sends it in the FIN's segment). */
    c = cli_open(port);
#ifdef TCP_CORK
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_CORK, &one, sizeof one);
#endif
    cli_send_str(&c, "GET /-/healthy HTTP/1.0\r\n\r\n");
    shutdown(c.fd, SHUT_WR);
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    assert_true(cli_closed(&c, WAIT_MS));
    cli_close(&c);

    promc_http_server_free(s);
}

static void test_request_bodies(void **state)
{
    (void)state;
    promc_http_server *s = serve(NULL, &no_metrics);
    int port = promc_http_server_port(s);
    response r;

    /* GET with a body, then another request, in one write. */
    client c = cli_open(port);
    cli_send_str(
        &c, "GET /-/healthy HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" GET("/nope"));
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 404);
    resp_free(&r);

    /* The body split across writes, the next request glued to its end. */
    cli_send_str(&c, "GET /-/healthy HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhe");
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    sleep_ms(20);
    cli_send_str(&c, "l");
    sleep_ms(20);
    cli_send_str(&c, "lo" GET("/nope"));
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 404);
    resp_free(&r);

    /* A body bigger than the head buffer is skipped too. */
    size_t big = 40000;
    char head[128];
    snprintf(head, sizeof head, "PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", big);
    char *body = malloc(big);
    assert_non_null(body);
    memset(body, 'G', big); /* looks like a request if it were parsed */
    cli_send_str(&c, head);
    assert_true(cli_send(&c, body, big));
    cli_send_str(&c, GET("/-/healthy"));
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 404); /* an unknown path, whatever the method */
    resp_free(&r);
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "OK\n");
    resp_free(&r);
    free(body);
    cli_close(&c);

    promc_http_server_free(s);
}

/* ------------------------------------------------------------------ */
/* Request errors                                                      */
/* ------------------------------------------------------------------ */

static void expect_error(int port, const char *raw, size_t len, int status, bool slowly)
{
    client c = cli_open(port);
    if (slowly)
        cli_send_slowly(&c, raw, len, len / 16 + 1, 3);
    else
        (void)cli_send(&c, raw, len);
    response r;
    if (!cli_response(&c, &r, false, WAIT_MS))
        fail_msg("no %d response (%s)", status, slowly ? "slow" : "one write");
    if (r.status != status)
        fail_msg("got %d, want %d (%s) for: %.60s", r.status, status, slowly ? "slow" : "one write",
                 raw);
    assert_string_equal(hdr(&r, "Connection"), "close");
    resp_free(&r);
    assert_true(cli_closed(&c, WAIT_MS));
    cli_close(&c);
}

static void test_request_errors(void **state)
{
    (void)state;
    promc_http_opts o = {.max_target = 64, .max_head = 1024, .disable_metrics = 1};
    promc_http_server *s = serve(NULL, &o);
    int port = promc_http_server_port(s);

    char long_target[256];
    snprintf(long_target, sizeof long_target, "GET /%0100d HTTP/1.1\r\nHost: t\r\n\r\n", 0);
    char big_head[3000];
    int n = snprintf(big_head, sizeof big_head, "GET / HTTP/1.1\r\nHost: t\r\nX-Big: ");
    memset(big_head + n, 'a', 2000);
    memcpy(big_head + n + 2000, "\r\n\r\n", 5);
    /* Exactly max_head bytes without the end of the head: all read, 431. */
    char edge_head[1100];
    n = snprintf(edge_head, sizeof edge_head, "GET / HTTP/1.1\r\nHost: t\r\nX-Big: ");
    memset(edge_head + n, 'a', 1024 - (size_t)n);
    edge_head[1024] = '\0';

    struct {
        const char *raw;
        int status;
    } cases[] = {
        {"GET /a b HTTP/1.1\r\nHost: t\r\n\r\n", 400},
        {"\x01\x02 nonsense\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n", 400},
        {long_target, 414},
        {big_head, 431},
        {edge_head, 431},
        {"GET / HTTP/1.1\r\n\r\n", 400},
        {"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        for (int slowly = 0; slowly < 2; slowly++)
            expect_error(port, cases[i].raw, strlen(cases[i].raw), cases[i].status, slowly);

    /* An error after a good pipelined request: the first is still answered. */
    client c = cli_open(port);
    cli_send_str(&c, GET("/-/healthy") "BAD\r\n\r\n");
    response r;
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 400);
    resp_free(&r);
    assert_true(cli_closed(&c, WAIT_MS));
    cli_close(&c);

    promc_http_server_free(s);
}

/* ------------------------------------------------------------------ */
/* Timeouts                                                            */
/* ------------------------------------------------------------------ */

/* The timeouts. A deadline cannot fire early, so "not before" bounds are
 * exact (t0 is taken before connecting, so every deadline the server sets
 * is later than t0 + the timeout); "by then" bounds are only how long a failing test
 * waits (WAIT_MS). */
static void test_timeouts(void **state)
{
    (void)state;
    /* read_timeout: a request head that stalls. The idle timeout is long, so
     * a keep-alive connection between requests survives meanwhile. */
    promc_http_opts o = {.read_timeout = 0.3, .idle_timeout = 30, .disable_metrics = 1};
    promc_http_server *s = serve(NULL, &o);
    int port = promc_http_server_port(s);
    client idle = cli_open(port);
    cli_send_str(&idle, GET("/-/healthy"));
    response r;
    expect_response(&idle, &r, false);
    resp_free(&r);
    int64_t t0 = mono_ms();
    client c = cli_open(port);
    cli_send_str(&c, "GET /met");
    assert_true(cli_closed(&c, WAIT_MS));
    assert_true(mono_ms() - t0 >= 300);
    cli_close(&c);
    /* A head trickled a byte every 25 ms: the deadline is not extended by
     * each byte, so the server closes while bytes are still coming. Were it
     * extended, it could only close 0.3 s after the last byte, and the
     * trickle goes on for up to 10 s. */
    t0 = mono_ms();
    c = cli_open(port);
    static char trickle[512];
    snprintf(trickle, sizeof trickle, "GET /metrics HTTP/1.1\r\nHost: t\r\nX: ");
    memset(trickle + strlen(trickle), 'x', sizeof trickle - 1 - strlen(trickle));
    bool closed_while_trickling = false;
    for (const char *p = trickle; *p && mono_ms() - t0 < 10000; p++) {
        struct pollfd pf = {.fd = c.fd, .events = POLLIN};
        if (poll(&pf, 1, 0) > 0 || !cli_send(&c, p, 1)) {
            closed_while_trickling = true;
            break;
        }
        sleep_ms(25);
    }
    assert_true(closed_while_trickling);
    assert_true(cli_closed(&c, WAIT_MS));
    assert_true(mono_ms() - t0 >= 300);
    cli_close(&c);
    /* The keep-alive connection was idle, not reading: still served. */
    cli_send_str(&idle, GET("/-/healthy"));
    expect_response(&idle, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cli_close(&idle);
    promc_http_server_free(s);

    /* idle_timeout: a keep-alive connection with nothing to say. */
    o = (promc_http_opts){.read_timeout = 30, .idle_timeout = 0.3, .disable_metrics = 1};
    s = serve(NULL, &o);
    port = promc_http_server_port(s);
    t0 = mono_ms();
    c = cli_open(port);
    cli_send_str(&c, GET("/-/healthy"));
    expect_response(&c, &r, false);
    resp_free(&r);
    assert_true(cli_closed(&c, WAIT_MS));
    assert_true(mono_ms() - t0 >= 300);
    cli_close(&c);
    promc_http_server_free(s);
}

/* ------------------------------------------------------------------ */
/* Basic auth                                                          */
/* ------------------------------------------------------------------ */

/* Standard base64 of s, with padding, into out. */
static void test_base64(char *out, const char *s)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = '\0';
}

static int auth_status(int port, const char *path, const char *authorization)
{
    char req[1024];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\n%s%s%s\r\n", path,
             authorization ? "Authorization: " : "", authorization ? authorization : "",
             authorization ? "\r\n" : "");
    return status_of(port, req);
}

static void test_basic_auth(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_http_opts o = {.basic_auth_user = "u", .basic_auth_password = "p:w"};
    promc_http_server *s = serve(f.reg, &o);
    int port = promc_http_server_port(s);

    response r;
    request(port, GET("/metrics"), &r);
    assert_int_equal(r.status, 401);
    const char *www = hdr(&r, "WWW-Authenticate");
    assert_non_null(www);
    assert_int_equal(strncmp(www, "Basic", 5), 0);
    resp_free(&r);

    /* base64("u:p:w") = "dTpwOnc=", base64("u:p") = "dTpw" */
    assert_int_equal(auth_status(port, "/metrics", "Basic dTpwOnc="), 200);
    assert_int_equal(auth_status(port, "/metrics", "basic dTpwOnc="), 200);
    assert_int_equal(auth_status(port, "/metrics", "Basic dTpwOnc"), 200);
    assert_int_equal(auth_status(port, "/metrics", "Basic dTpw"), 401);
    assert_int_equal(auth_status(port, "/metrics", "Basic dTpwOnd4"), 401); /* "u:p:wx" */
    assert_int_equal(auth_status(port, "/metrics", "Basic !!!!"), 401);
    assert_int_equal(auth_status(port, "/metrics", "Basic dTpwOnc=="), 401);
    assert_int_equal(auth_status(port, "/metrics", "Basic"), 401);
    assert_int_equal(auth_status(port, "/metrics", "Bearer dTpwOnc="), 401);
    assert_int_equal(auth_status(port, "/", NULL), 401);
    assert_int_equal(auth_status(port, "/", "Basic dTpwOnc="), 200);
    assert_int_equal(auth_status(port, "/-/healthy", NULL), 200);
    /* A 401 keeps the connection usable. */
    client c = cli_open(port);
    cli_send_str(&c, GET("/metrics"));
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 401);
    resp_free(&r);
    cli_send_str(&c, "GET /metrics HTTP/1.1\r\nHost: t\r\nAuthorization: Basic dTpwOnc=\r\n\r\n");
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cli_close(&c);
    promc_http_server_free(s);

    promc_http_opts only_user = {.basic_auth_user = "u"};
    assert_null(promc_http_server_new(f.reg, "127.0.0.1:0", &only_user));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    promc_http_opts only_pw = {.basic_auth_password = "p"};
    assert_null(promc_http_server_new(f.reg, "127.0.0.1:0", &only_pw));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);

    /* Credentials of 512 bytes ("u:" and 510 more) work; one byte more is
     * refused at start rather than never matching. */
    char password[512], credentials[520], header[800];
    memset(password, 'p', 510);
    password[510] = '\0';
    o = (promc_http_opts){.basic_auth_user = "u", .basic_auth_password = password};
    s = serve(f.reg, &o);
    snprintf(credentials, sizeof credentials, "u:%s", password);
    strcpy(header, "Basic ");
    test_base64(header + 6, credentials);
    assert_int_equal(auth_status(promc_http_server_port(s), "/metrics", header), 200);
    header[strlen(header) - 4] = '\0'; /* the last two bytes cut */
    assert_int_equal(auth_status(promc_http_server_port(s), "/metrics", header), 401);
    promc_http_server_free(s);
    password[510] = 'p';
    password[511] = '\0';
    assert_null(promc_http_server_new(f.reg, "127.0.0.1:0", &o));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    fixture_free(&f);
}

/* What the application's check saw, and what it answers. */
static struct {
    atomic_int calls;
    char user[600], password[600];
} checked;

static int check_alice(void *ud, const char *user, const char *password)
{
    assert_ptr_equal(ud, &checked);
    atomic_fetch_add(&checked.calls, 1);
    snprintf(checked.user, sizeof checked.user, "%s", user);
    snprintf(checked.password, sizeof checked.password, "%s", password);
    return strcmp(user, "alice") == 0 && strcmp(password, "s3:cret") == 0;
}

static void test_basic_auth_check(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_http_opts o = {.basic_auth_check = check_alice, .basic_auth_data = &checked};
    promc_http_server *s = serve(f.reg, &o);
    int port = promc_http_server_port(s);
    char header[128];

    /* No credentials, or ones that are not Basic: 401 without a call. */
    response r;
    request(port, GET("/metrics"), &r);
    assert_int_equal(r.status, 401);
    assert_non_null(hdr(&r, "WWW-Authenticate"));
    resp_free(&r);
    assert_int_equal(auth_status(port, "/metrics", "Bearer abc"), 401);
    assert_int_equal(auth_status(port, "/metrics", "Basic !!!!"), 401);
    test_base64(header, "no colon");
    char full[160];
    snprintf(full, sizeof full, "Basic %s", header);
    assert_int_equal(auth_status(port, "/metrics", full), 401);
    assert_int_equal(atomic_load(&checked.calls), 0);

    /* The user and the password split at the first ':' (the password may
     * hold more); the callback decides. */
    test_base64(header, "alice:s3:cret");
    snprintf(full, sizeof full, "Basic %s", header);
    assert_int_equal(auth_status(port, "/metrics", full), 200);
    assert_string_equal(checked.user, "alice");
    assert_string_equal(checked.password, "s3:cret");
    assert_int_equal(auth_status(port, "/", full), 200);
    test_base64(header, "alice:wrong");
    snprintf(full, sizeof full, "Basic %s", header);
    assert_int_equal(auth_status(port, "/metrics", full), 401);
    assert_string_equal(checked.password, "wrong");
    test_base64(header, ":");
    snprintf(full, sizeof full, "Basic %s", header);
    assert_int_equal(auth_status(port, "/metrics", full), 401);
    assert_string_equal(checked.user, "");
    int calls = atomic_load(&checked.calls);
    /* A NUL byte in the credentials ("a\0:b" = YQA6Yg==) never reaches it. */
    assert_int_equal(auth_status(port, "/metrics", "Basic YQA6Yg=="), 401);
    assert_int_equal(atomic_load(&checked.calls), calls);
    /* Health checks stay open. */
    assert_int_equal(auth_status(port, "/-/healthy", NULL), 200);
    assert_int_equal(auth_status(port, "/-/ready", NULL), 200);
    promc_http_server_free(s);

    /* Two ways to authenticate at once are refused. */
    o.basic_auth_user = "u";
    o.basic_auth_password = "p";
    assert_null(promc_http_server_new(f.reg, "127.0.0.1:0", &o));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_non_null(strstr(promc_last_error(), "basic_auth_check"));
    fixture_free(&f);
}

static void test_extra_headers(void **state)
{
    (void)state;
    fixture f = fixture_new();
    static const char *const headers[] = {"X-Frame-Options: deny",
                                          "Content-Security-Policy:  default-src 'self'  ",
                                          "X-Content-Type-Options:nosniff", NULL};
    promc_http_opts o = {.headers = headers, .basic_auth_user = "u", .basic_auth_password = "p"};
    promc_http_server *s = serve(f.reg, &o);
    int port = promc_http_server_port(s);
    /* base64("u:p") = "dTpw" */
    static const char *const reqs[] = {
        "GET /metrics HTTP/1.1\r\nHost: t\r\nAuthorization: Basic dTpw\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: t\r\nAuthorization: Basic dTpw\r\n\r\n",
        "GET /nope HTTP/1.1\r\nHost: t\r\nAuthorization: Basic dTpw\r\n\r\n",
        GET("/metrics"),   /* 401 */
        GET("/-/healthy"), /* answered by the event loop */
        GET("/-/ready"),
    };
    static const int want[] = {200, 200, 404, 401, 200, 200};
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        response r;
        request(port, reqs[i], &r);
        assert_int_equal(r.status, want[i]);
        assert_string_equal(hdr(&r, "X-Frame-Options"), "deny");
        assert_string_equal(hdr(&r, "Content-Security-Policy"), "default-src 'self'");
        assert_string_equal(hdr(&r, "X-Content-Type-Options"), "nosniff");
        resp_free(&r);
    }
    promc_http_server_free(s);

    /* Lines that would make a malformed or contradictory head. */
    static const char *const bad[][2] = {
        {"NoColon", NULL},
        {": value", NULL},
        {"Bad Name: x", NULL},
        {"X-A: line\r\nInjected: 1", NULL},
        {"Content-Length: 5", NULL},
        {"connection: close", NULL},
        {"WWW-Authenticate: Basic", NULL},
        {"X-A: 1", "x-a: 2"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *list[] = {bad[i][0], bad[i][1], NULL};
        promc_http_opts b = {.headers = list};
        assert_null(promc_http_server_new(f.reg, "127.0.0.1:0", &b));
        assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    }
    /* Too long a value, too many lines. */
    char value[300];
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    memcpy(value, "X-A: ", 5);
    const char *one[] = {value, NULL};
    assert_null(promc_http_server_new(f.reg, "127.0.0.1:0", &(promc_http_opts){.headers = one}));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    char names[33][24];
    const char *many[34];
    for (int i = 0; i < 33; i++) {
        snprintf(names[i], sizeof names[i], "X-H%d: 1", i);
        many[i] = names[i];
    }
    many[33] = NULL;
    assert_null(promc_http_server_new(f.reg, "127.0.0.1:0", &(promc_http_opts){.headers = many}));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    many[32] = NULL; /* 32 lines are fine */
    s = serve(f.reg, &(promc_http_opts){.headers = many});
    promc_http_server_free(s);
    fixture_free(&f);
}

static void test_index_page(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_http_opts o = {.index_name = "jenkins_exporter",
                         .index_description = "Counts <jobs> & more",
                         .index_version = "1.2.3"};
    promc_http_server *s = serve(f.reg, &o);
    int port = promc_http_server_port(s);
    response r;
    request(port, GET("/"), &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "<title>jenkins_exporter</title>"));
    assert_non_null(strstr(r.body, "<h1>jenkins_exporter</h1>"));
    assert_non_null(strstr(r.body, "Counts &lt;jobs&gt; &amp; more"));
    assert_non_null(strstr(r.body, "Version: 1.2.3"));
    assert_non_null(strstr(r.body, "<a href=\"/metrics\">Metrics</a>"));
    resp_free(&r);
    request(port, GET("/-/ready"), &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "OK\n");
    resp_free(&r);
    assert_int_equal(status_of(port, "POST /-/ready HTTP/1.1\r\nHost: t\r\n\r\n"), 405);
    promc_http_server_free(s);

    /* The defaults: a generic title, no description or version. */
    s = serve(f.reg, NULL);
    request(promc_http_server_port(s), GET("/"), &r);
    assert_non_null(strstr(r.body, "<h1>promc exporter</h1>"));
    assert_null(strstr(r.body, "Version"));
    resp_free(&r);
    promc_http_server_free(s);

    char text[1026];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    assert_null(
        promc_http_server_new(f.reg, "127.0.0.1:0", &(promc_http_opts){.index_version = text}));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    text[1024] = '\0'; /* 1024 bytes are fine */
    s = serve(f.reg, &(promc_http_opts){.index_description = text});
    promc_http_server_free(s);
    fixture_free(&f);
}

/* ------------------------------------------------------------------ */
/* Work queue and handlers                                             */
/* ------------------------------------------------------------------ */

static void test_queue_limit(void **state)
{
    (void)state;
    hstate h;
    hstate_init(&h);
    promc_http_opts o = handler_opts(&h);
    o.workers = 1;
    o.max_queue = 1;
    promc_http_server *s = serve(NULL, &o);
    int port = promc_http_server_port(s);

    client a = cli_open(port), b = cli_open(port), c = cli_open(port);
    cli_send_str(&a, GET("/slow"));
    h_wait(&h, &h.entered, 1); /* the worker is busy with a */
    /* Two more: the first the loop reads fills the queue, the second gets
     * a 503 at once. Which is which is up to the loop, not to timing: the
     * one that answers while the worker is held is the refused one. */
    cli_send_str(&b, GET("/teapot"));
    cli_send_str(&c, GET("/teapot"));
    struct pollfd pf[2] = {{.fd = b.fd, .events = POLLIN}, {.fd = c.fd, .events = POLLIN}};
    assert_true(poll(pf, 2, WAIT_MS) > 0);
    if (pf[0].revents) { /* b was refused: c waits in the queue */
        client t = b;
        b = c;
        c = t;
    }
    response r;
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 503);
    resp_free(&r);
    assert_true(cli_closed(&c, WAIT_MS));
    /* The built-in /-/healthy also goes through the queue. */
    cli_close(&c);
    assert_int_equal(status_of(port, GET("/-/healthy")), 503);

    h_release(&h);
    expect_response(&a, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "done\n");
    assert_string_equal(hdr(&r, "Content-Type"), "text/plain; charset=utf-8");
    resp_free(&r);
    expect_response(&b, &r, false);
    assert_int_equal(r.status, 418);
    assert_string_equal(hdr(&r, "Content-Type"), "application/x-tea");
    resp_free(&r);

    h_wait(&h, &h.sent, 2);
    assert_int_equal(h.sent, 2);
    assert_int_equal(h.sent_status[0], 200);
    assert_string_equal(h.sent_path[0], "/slow");
    assert_int_equal(h.sent_ok[0], 1);
    assert_int_equal(h.sent_status[1], 418);
    assert_string_equal(h.sent_path[1], "/teapot");
    assert_int_equal(h.sent_ok[1], 1);

    /* The handler answers everything but the built-ins, any method. */
    cli_send_str(&a, "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi" GET("/"));
    expect_response(&a, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    expect_response(&a, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    h_wait(&h, &h.sent, 4);
    assert_string_equal(h.sent_path[3], "/");

    /* Handler responses that would make a malformed head become 500s (and
     * close); 204 goes without Content-Length and body. */
    static const char *const invalid[] = {"/long", "/crlf"};
    for (int i = 0; i < 2; i++) {
        client e = cli_open(port);
        cli_send_str(&e, GET("/x"));
        cli_send_str(&e, i == 0 ? GET("/long") : GET("/crlf"));
        expect_response(&e, &r, false);
        assert_int_equal(r.status, 200);
        resp_free(&r);
        expect_response(&e, &r, false);
        assert_int_equal(r.status, 500);
        assert_null(hdr(&r, "X-Injected"));
        assert_string_equal(hdr(&r, "Connection"), "close");
        resp_free(&r);
        assert_true(cli_closed(&e, WAIT_MS));
        cli_close(&e);
        h_wait(&h, &h.sent, 6 + 2 * i);
        assert_int_equal(h.sent_status[5 + 2 * i], 500);
        assert_string_equal(h.sent_path[5 + 2 * i], invalid[i]);
    }
    cli_send_str(&a, GET("/nocontent") GET("/x"));
    expect_response(&a, &r, false);
    assert_int_equal(r.status, 204);
    assert_null(hdr(&r, "Content-Length"));
    resp_free(&r);
    expect_response(&a, &r, false); /* starts right after the 204's head */
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "done\n");
    resp_free(&r);
    h_wait(&h, &h.sent, 10);
    assert_int_equal(h.sent_status[8], 204);

    /* written_ok is 0 when the client has gone. */
    static char big[1 << 20];
    memset(big, 'x', sizeof big);
    h_rearm(&h, big, sizeof big);
    client d = cli_open(port);
    struct linger lg = {1, 0};
    setsockopt(d.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    cli_send_str(&d, GET("/big"));
    h_wait(&h, &h.entered, 11);
    cli_close(&d); /* reset */
    h_release(&h);
    h_wait(&h, &h.sent, 11);
    assert_int_equal(h.sent_ok[10], 0);

    cli_close(&a);
    cli_close(&b);
    promc_http_server_free(s);
    hstate_destroy(&h);
}

/* Content-Type and Allow of up to 256 bytes each (the documented limit) are
 * sent whole, in one head; one byte more is a 500. */
static void header_limits_handler(void *ud, const char *method, const char *path,
                                  promc_http_response *resp)
{
    (void)ud;
    (void)method;
    static char ct[300], allow[300];
    size_t ct_len = strcmp(path, "/too-long") == 0 ? 257 : 256;
    memset(ct, 0, sizeof ct);
    strcpy(ct, "text/plain; x=");
    memset(ct + strlen(ct), 'c', ct_len - strlen(ct));
    memset(allow, 0, sizeof allow);
    strcpy(allow, "GET, HEAD, X");
    memset(allow + strlen(allow), 'X', 256 - strlen(allow));
    resp->status = 405;
    resp->content_type = ct;
    resp->allow = allow;
    resp->body = "no\n";
    resp->body_len = 3;
}

static void test_handler_header_limits(void **state)
{
    (void)state;
    promc_http_opts o = {.disable_metrics = 1, .handler = header_limits_handler};
    promc_http_server *s = serve(NULL, &o);
    int port = promc_http_server_port(s);
    response r;
    request(port, GET("/longest"), &r);
    assert_int_equal(r.status, 405);
    assert_int_equal(strlen(hdr(&r, "Content-Type")), 256);
    assert_int_equal(strlen(hdr(&r, "Allow")), 256);
    assert_string_equal(r.body, "no\n");
    resp_free(&r);
    assert_int_equal(status_of(port, GET("/too-long")), 500);
    promc_http_server_free(s);
}

/* A handler that keeps copies of the method and path it was given, and of
 * those on_sent was given. */
static struct {
    pthread_mutex_t mu;
    char *method, *path, *sent_method, *sent_path;
} seen = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void seen_reset(void)
{
    pthread_mutex_lock(&seen.mu);
    free(seen.method);
    free(seen.path);
    free(seen.sent_method);
    free(seen.sent_path);
    seen.method = seen.path = seen.sent_method = seen.sent_path = NULL;
    pthread_mutex_unlock(&seen.mu);
}

static void recording_handler(void *ud, const char *method, const char *path,
                              promc_http_response *resp)
{
    (void)ud;
    pthread_mutex_lock(&seen.mu);
    seen.method = strdup(method);
    seen.path = strdup(path);
    pthread_mutex_unlock(&seen.mu);
    resp->body = "seen\n";
    resp->body_len = 5;
}

static void recording_sent(void *ud, const char *method, const char *path,
                           const promc_http_response *resp, int written_ok)
{
    (void)ud;
    (void)resp;
    (void)written_ok;
    pthread_mutex_lock(&seen.mu);
    seen.sent_method = strdup(method);
    seen.sent_path = strdup(path);
    pthread_mutex_unlock(&seen.mu);
}

/* The handler and on_sent get the whole method and path, however long
 * (within max_head and max_target), never a truncated copy; the path stops
 * at the query. */
static void test_handler_gets_whole_path(void **state)
{
    (void)state;
    promc_http_opts o = {
        .disable_metrics = 1, .handler = recording_handler, .on_sent = recording_sent};
    promc_http_server *s = serve(NULL, &o);
    int port = promc_http_server_port(s);
    enum { PATH_LEN = 8000, METHOD_LEN = 100 };
    char *path = malloc(PATH_LEN + 1), *method = malloc(METHOD_LEN + 1);
    char *raw = malloc(PATH_LEN + METHOD_LEN + 100);
    assert_true(path && method && raw);
    path[0] = '/';
    for (size_t i = 1; i < PATH_LEN; i++)
        path[i] = (char)('a' + i % 26);
    path[PATH_LEN] = '\0';
    memset(method, 'M', METHOD_LEN);
    method[METHOD_LEN] = '\0';
    static const char *const methods[] = {"GET", NULL};
    for (int k = 0; k < 2; k++) {
        const char *m = methods[k] ? methods[k] : method;
        sprintf(raw, "%s %s?q=1 HTTP/1.1\r\nHost: t\r\n\r\n", m, path);
        response r;
        request(port, raw, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "seen\n");
        resp_free(&r);
        int64_t deadline = mono_ms() + WAIT_MS;
        for (;;) { /* on_sent runs after the response went out */
            pthread_mutex_lock(&seen.mu);
            bool done = seen.sent_path != NULL;
            pthread_mutex_unlock(&seen.mu);
            if (done || mono_ms() > deadline)
                break;
            sleep_ms(2);
        }
        pthread_mutex_lock(&seen.mu);
        assert_non_null(seen.path);
        assert_non_null(seen.sent_path);
        assert_int_equal(strlen(seen.path), PATH_LEN);
        assert_string_equal(seen.path, path);
        assert_string_equal(seen.sent_path, path);
        assert_string_equal(seen.method, m);
        assert_string_equal(seen.sent_method, m);
        pthread_mutex_unlock(&seen.mu);
        seen_reset();
    }
    free(path);
    free(method);
    free(raw);
    promc_http_server_free(s);
}

/* Many clients pipelining against one worker and a tiny queue: every request
 * gets 200 or 503, nothing else (and nothing overflows inside). */
static void test_many_clients_small_queue(void **state)
{
    (void)state;
    promc_http_opts o = {.workers = 1, .max_queue = 2, .disable_metrics = 1};
    promc_http_server *s = serve(NULL, &o);
    int port = promc_http_server_port(s);
    enum { N = 120, ROUNDS = 10 };
    static client cs[N];
    int ok = 0, busy = 0;
    for (int i = 0; i < N; i++)
        cs[i] = cli_open(port);
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < N; i++)
            if (!cli_send(&cs[i], GET("/-/healthy") GET("/-/healthy"),
                          2 * strlen(GET("/-/healthy")))) {
                cli_close(&cs[i]);
                cs[i] = cli_open(port);
                cli_send_str(&cs[i], GET("/-/healthy") GET("/-/healthy"));
            }
        for (int i = 0; i < N; i++) {
            for (int k = 0; k < 2; k++) {
                response r;
                if (!cli_response(&cs[i], &r, false, WAIT_MS))
                    fail_msg("client %d round %d: no response", i, round);
                if (r.status == 200) {
                    ok++;
                } else {
                    assert_int_equal(r.status, 503);
                    busy++;
                    resp_free(&r);
                    assert_true(cli_closed(&cs[i], WAIT_MS));
                    cli_close(&cs[i]);
                    cs[i] = cli_open(port);
                    break;
                }
                resp_free(&r);
            }
        }
    }
    for (int i = 0; i < N; i++)
        cli_close(&cs[i]);
    assert_true(ok > 0);
    (void)busy;
    promc_http_server_free(s);
}

/* At the connection limit, a new connection sheds the oldest one just as
 * that one's request arrives: both events land in one epoll batch, and the
 * shed connection must not be touched after it was closed (ASan's job). */
static void test_shed_with_pending_event(void **state)
{
    (void)state;
    promc_http_opts o = {.max_connections = 1, .disable_metrics = 1};
    promc_http_server *s = serve(NULL, &o);
    int port = promc_http_server_port(s);
    for (int i = 0; i < 200; i++) {
        client a = cli_open(port);
        cli_send_str(&a, "GET /-/healthy HTTP/1.1\r\n");
        sleep_ms(1);
        client b = cli_open(port);
        (void)cli_send(&a, HOST_HDR "\r\n", strlen(HOST_HDR "\r\n")); /* a may be shed */
        response r;
        /* a is answered (its request won) or shed; either way it ends. */
        if (cli_response(&a, &r, false, WAIT_MS))
            assert_int_equal(r.status, 200);
        resp_free(&r);
        cli_close(&a);
        cli_close(&b);
    }
    assert_int_equal(status_of(port, GET("/-/healthy")), 200);
    promc_http_server_free(s);
}

/* ------------------------------------------------------------------ */
/* Self metrics                                                        */
/* ------------------------------------------------------------------ */

/* A client that has an answer finds it counted: the server counts a
 * status before sending its first byte, not after (a test reading the
 * count right after the answer used to see it missing, now and then). */
static void test_self_metrics_counted_before_answer(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_http_server *s = serve(f.reg, NULL);
    int port = promc_http_server_port(s);
    client c = cli_open(port);
    response r;
    for (int i = 1; i <= 300; i++) {
        cli_send_str(&c, "POST /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
        expect_response(&c, &r, false);
        assert_int_equal(r.status, 405);
        resp_free(&r);
        double n = test_value(f.reg, "promc_http_requests_total", &(promc_label){"code", "405"}, 1);
        if (n != i)
            fprintf(stderr, "answer %d: counted %g\n", i, n);
        assert_true(n == i);
        cli_send_str(&c, GET("/metrics"));
        expect_response(&c, &r, false);
        assert_int_equal(r.status, 200);
        resp_free(&r);
        assert_true(
            test_value(f.reg, "promc_http_requests_total", &(promc_label){"code", "200"}, 1) == i);
    }
    cli_close(&c);
    promc_http_server_free(s);
    fixture_free(&f);
}

static void test_self_metrics(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_http_server *s = serve(f.reg, NULL);
    int port = promc_http_server_port(s);

    client c = cli_open(port);
    response r;
    for (int i = 0; i < 2; i++) {
        cli_send_str(&c, GET("/metrics"));
        expect_response(&c, &r, false);
        assert_int_equal(r.status, 200);
        if (i == 1) {
            assert_non_null(strstr(r.body, "promc_http_requests_total{code=\"200\"} 1\n"));
            assert_non_null(strstr(r.body, "promc_http_requests_in_flight 1\n"));
        }
        resp_free(&r);
    }
    cli_close(&c);
    /* Counted before the first byte of the answer went out. */
    double v = test_value(f.reg, "promc_http_requests_total", &(promc_label){"code", "200"}, 1);
    assert_true(v == 2);
    assert_true(test_value(f.reg, "promc_http_requests_total", &(promc_label){"code", "503"}, 1) ==
                0);
    (void)test_value(f.reg, "promc_http_requests_in_flight", NULL, 0);
    assert_true(test_value(f.reg, "promc_http_scrape_errors_total", NULL, 0) == 0);
    assert_true(test_value(f.reg, "promc_http_slow_readers_shed_total", NULL, 0) == 0);
    assert_true(test_value(f.reg, "promc_http_last_scrape_bytes", NULL, 0) > 0);
    assert_true(test_value(f.reg, "promc_http_last_scrape_duration_seconds", NULL, 0) >= 0);
    /* Only the metrics endpoint is counted. */
    assert_int_equal(status_of(port, "POST /metrics HTTP/1.1\r\nHost: t\r\n\r\n"), 405);
    assert_int_equal(status_of(port, GET("/nope")), 404);
    assert_true(test_value(f.reg, "promc_http_requests_total", &(promc_label){"code", "405"}, 1) ==
                1);
    double dummy;
    assert_int_equal(promc_registry_get_sample_value(f.reg, "promc_http_requests_total",
                                                     &(promc_label){"code", "404"}, 1, &dummy),
                     PROMC_ENOENT);

    /* A second server on the same registry starts, without metrics of its own. */
    promc_http_server *s2 = serve(f.reg, NULL);
    assert_int_equal(status_of(promc_http_server_port(s2), GET("/metrics")), 200);
    promc_http_server_free(s2);
    (void)test_value(f.reg, "promc_http_requests_in_flight", NULL, 0);

    /* Stopping the owner unregisters them. */
    promc_http_server_free(s);
    char *text = test_render(f.reg, PROMC_FORMAT_TEXT);
    assert_null(strstr(text, "promc_http_"));
    assert_non_null(strstr(text, "temperature_celsius"));
    promc_free(text);
    /* ...so the next server can register them again. */
    s = serve(f.reg, NULL);
    text = test_render(f.reg, PROMC_FORMAT_TEXT);
    assert_non_null(strstr(text, "promc_http_requests_total"));
    promc_free(text);
    promc_http_server_free(s);
    fixture_free(&f);
}

/* ------------------------------------------------------------------ */
/* Scrape errors                                                       */
/* ------------------------------------------------------------------ */

static atomic_int collector_fails;

/* Emits one family, or fails the scrape while collector_fails is set. */
static int failing_collector(promc_emitter *e, void *ud)
{
    (void)ud;
    if (atomic_load(&collector_fails))
        return -1;
    promc_emit_family(e, "sometimes_failing", "Fails on demand.", PROMC_GAUGE, NULL);
    return promc_emit_sample(e, NULL, 0, 1);
}

/* A registry whose exposition fails while collector_fails is set: about
 * 40 KB of a gauge family, then the failing collector. */
static promc_registry *failing_registry(promc_gauge_vec **padding, promc_metric **col)
{
    promc_registry *reg = promc_registry_new();
    *padding = promc_gauge_vec_new(reg, "padding", "Comes first.", PROMC_LABELS("id"), NULL);
    char id[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "series-%04d", i);
        promc_gauge_set(promc_gauge_vec_labels(*padding, id), i);
    }
    *col = promc_collector_new(reg, failing_collector, NULL, NULL, NULL);
    assert_true(*padding && *col);
    return reg;
}

/* By default a failed exposition is a 500 whose text/plain body says why
 * (client_golang's HTTPErrorOnError), counted under code="500". */
static void test_scrape_error_answers_500(void **state)
{
    (void)state;
    promc_gauge_vec *padding;
    promc_metric *col;
    promc_registry *reg = failing_registry(&padding, &col);
    /* One worker: it has counted a scrape before it takes the next. */
    promc_http_server *s = serve(reg, &(promc_http_opts){.workers = 1});
    int port = promc_http_server_port(s);

    atomic_store(&collector_fails, 1);
    response r;
    request(port, GET("/metrics"), &r);
    assert_int_equal(r.status, 500);
    assert_string_equal(hdr(&r, "Content-Type"), "text/plain; charset=utf-8");
    static const char prefix[] = "500 exposition failed: ";
    assert_int_equal(strncmp(r.body, prefix, strlen(prefix)), 0);
    assert_true(r.body_len > strlen(prefix) + 1); /* a reason follows */
    assert_int_equal(r.body[r.body_len - 1], '\n');
    assert_null(strstr(r.body, "# HELP"));
    resp_free(&r);

    atomic_store(&collector_fails, 0);
    assert_int_equal(status_of(port, GET("/metrics")), 200);
    assert_true(test_value(reg, "promc_http_requests_total", &(promc_label){"code", "500"}, 1) ==
                1);
    assert_true(test_value(reg, "promc_http_scrape_errors_total", NULL, 0) == 1);
    promc_http_server_free(s);
    promc_metric_free(col);
    promc_gauge_vec_free(padding);
    promc_registry_free(reg);
}

/* serve_partial_on_error (client_golang's ContinueOnError): a failed
 * exposition is served with 200 as far as it was encoded, and counted in
 * promc_http_scrape_errors_total. */
static void test_scrape_error_serves_partial(void **state)
{
    (void)state;
    promc_gauge_vec *padding;
    promc_metric *col;
    promc_registry *reg = failing_registry(&padding, &col);
    /* One worker: it has counted a scrape before it takes the next. */
    promc_http_opts o = {.serve_partial_on_error = 1, .workers = 1};
    promc_http_server *s = serve(reg, &o);
    int port = promc_http_server_port(s);
    assert_true(test_value(reg, "promc_http_scrape_errors_total", NULL, 0) == 0);

    atomic_store(&collector_fails, 1);
    for (int i = 0; i < 2; i++) {
        response r;
        request(port, GET("/metrics"), &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(hdr(&r, "Content-Type"), CT_TEXT);
        assert_int_equal(r.content_length, (long)r.body_len);
        /* Every valid family, before and after the failing collector (the
         * encoder goes on past a collector's failure), and no error text. */
        assert_int_equal(strncmp(r.body, "# HELP padding Comes first.\n", 28), 0);
        assert_non_null(strstr(r.body, "\n# TYPE promc_http_requests_total counter\n"));
        assert_null(strstr(r.body, "500 exposition failed"));
        assert_null(strstr(r.body, "sometimes_failing"));
        resp_free(&r);
    }

    atomic_store(&collector_fails, 0);
    response r;
    request(port, GET("/metrics"), &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "promc_http_scrape_errors_total 2\n"));
    assert_non_null(strstr(r.body, "promc_http_requests_total{code=\"200\"} 2\n"));
    assert_non_null(strstr(r.body, "sometimes_failing 1\n"));
    resp_free(&r);
    assert_true(test_value(reg, "promc_http_requests_total", &(promc_label){"code", "500"}, 1) ==
                0);
    promc_http_server_free(s);
    promc_metric_free(col);
    promc_gauge_vec_free(padding);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ */
/* Compression                                                         */
/* ------------------------------------------------------------------ */

#define GET_ENC(path, enc) "GET " path " HTTP/1.1\r\n" HOST_HDR "Accept-Encoding: " enc "\r\n\r\n"

/* The body of r decoded: gzip when the response says so, else as sent. */
static char *decoded_body(const response *r)
{
    const char *ce = hdr(r, "Content-Encoding");
    if (!ce) {
        char *s = malloc(r->body_len + 1);
        memcpy(s, r->body, r->body_len);
        s[r->body_len] = '\0';
        return s;
    }
    assert_string_equal(ce, "gzip");
    unsigned char *out;
    size_t n;
    int rc = test_inflate_gzip((const unsigned char *)r->body, r->body_len, &out, &n);
    if (rc)
        fail_msg("gzip body of %zu bytes does not decode: %d", r->body_len, rc);
    char *s = realloc(out, n + 1);
    s[n] = '\0';
    return s;
}

/* What each Accept-Encoding gets: gzip by q-value over identity. */
static void test_gzip_negotiation(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_http_server *s = serve(f.reg, &(promc_http_opts){.disable_self_metrics = 1});
    int port = promc_http_server_port(s);
    char *want = test_render(f.reg, PROMC_FORMAT_TEXT);
    static const struct {
        const char *raw;
        bool gzip;
    } cases[] = {
        {GET("/metrics"), false},
        {GET_ENC("/metrics", "gzip"), true},
        {GET_ENC("/metrics", "gzip, deflate, br"), true}, /* what browsers send */
        {GET_ENC("/metrics", "x-gzip"), true},
        {GET_ENC("/metrics", "GZIP;q=0.5"), true},
        {GET_ENC("/metrics", "gzip;q=0"), false},
        {GET_ENC("/metrics", "gzip ; q=0.000"), false},
        {GET_ENC("/metrics", "identity;q=1, gzip;q=0.5"), false},
        {GET_ENC("/metrics", "identity;q=0.5, gzip;q=0.5"), true}, /* a tie goes to gzip */
        {GET_ENC("/metrics", "identity;q=0, gzip;q=0.1"), true},
        {GET_ENC("/metrics", "*"), true},
        {GET_ENC("/metrics", "*;q=0"), false}, /* nothing acceptable: identity anyway */
        {GET_ENC("/metrics", "*, gzip;q=0"), false},
        {GET_ENC("/metrics", "br, deflate"), false},
        {GET_ENC("/metrics", ""), false},
        {GET_ENC("/metrics", ",,; ;q=,gzip"), true},
        /* two headers are one list */
        {"GET /metrics HTTP/1.1\r\n" HOST_HDR "Accept-Encoding: identity;q=0.2\r\n"
         "Accept-Encoding: gzip\r\n\r\n",
         true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        response r;
        request(port, cases[i].raw, &r);
        assert_int_equal(r.status, 200);
        if ((hdr(&r, "Content-Encoding") != NULL) != cases[i].gzip)
            fail_msg("case %zu: Content-Encoding %s", i, hdr(&r, "Content-Encoding"));
        assert_string_equal(hdr(&r, "Vary"), "Accept-Encoding");
        assert_int_equal(r.content_length, (long)r.body_len);
        char *body = decoded_body(&r);
        assert_string_equal(body, want);
        free(body);
        resp_free(&r);
    }
    promc_free(want);
    promc_http_server_free(s);
    fixture_free(&f);
}

/* A compressed body in every format, HEAD with the compressed length, and
 * no compression at all with disable_gzip. */
static void test_gzip_formats_head_and_off(void **state)
{
    (void)state;
    fixture f = fixture_new();
    /* Enough series that compression shows. */
    promc_counter_vec *many =
        promc_counter_vec_new(f.reg, "many", "Many.", PROMC_LABELS("i"), NULL);
    for (int i = 0; i < 500; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        promc_counter_add_int(promc_counter_vec_labels(many, v), (uint64_t)i * 7);
    }
    promc_http_server *s = serve(f.reg, &(promc_http_opts){.disable_self_metrics = 1});
    int port = promc_http_server_port(s);
    char *text = test_render(f.reg, PROMC_FORMAT_TEXT);
    char *om = test_render(f.reg, PROMC_FORMAT_OPENMETRICS);

    response r;
    request(port, GET_ENC("/metrics", "gzip"), &r);
    assert_string_equal(hdr(&r, "Content-Encoding"), "gzip");
    assert_true(r.body_len * 4 < strlen(text));
    long gz_len = (long)r.body_len;
    char *body = decoded_body(&r);
    assert_string_equal(body, text);
    free(body);
    resp_free(&r);

    request(port,
            "GET /metrics HTTP/1.1\r\n" HOST_HDR "Accept: application/openmetrics-text; "
            "version=1.0.0\r\nAccept-Encoding: gzip\r\n\r\n",
            &r);
    assert_string_equal(hdr(&r, "Content-Type"), CT_OPENMETRICS);
    body = decoded_body(&r);
    assert_string_equal(body, om);
    free(body);
    resp_free(&r);

    request(port, "HEAD /metrics HTTP/1.1\r\n" HOST_HDR "Accept-Encoding: gzip\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Content-Encoding"), "gzip");
    assert_int_equal(r.content_length, gz_len);
    resp_free(&r);

    /* keep-alive: several compressed scrapes on one connection, each whole */
    client c = cli_open(port);
    for (int i = 0; i < 3; i++) {
        cli_send_str(&c, GET_ENC("/metrics", "gzip"));
        expect_response(&c, &r, false);
        body = decoded_body(&r);
        assert_string_equal(body, text);
        free(body);
        resp_free(&r);
    }
    cli_close(&c);
    promc_http_server_free(s);

    s = serve(f.reg, &(promc_http_opts){.disable_self_metrics = 1, .disable_gzip = 1});
    port = promc_http_server_port(s);
    request(port, GET_ENC("/metrics", "gzip"), &r);
    assert_null(hdr(&r, "Content-Encoding"));
    assert_null(hdr(&r, "Vary"));
    assert_string_equal(r.body, text);
    resp_free(&r);
    promc_http_server_free(s);
    promc_free(text);
    promc_free(om);
    promc_counter_vec_free(many);
    fixture_free(&f);
}

/* An error body is never compressed; a partial exposition served on error
 * is a whole gzip stream. */
static void test_gzip_on_scrape_errors(void **state)
{
    (void)state;
    promc_gauge_vec *padding;
    promc_metric *col;
    promc_registry *reg = failing_registry(&padding, &col);
    promc_http_server *s = serve(reg, &(promc_http_opts){.workers = 1});
    int port = promc_http_server_port(s);
    atomic_store(&collector_fails, 1);
    response r;
    request(port, GET_ENC("/metrics", "gzip"), &r);
    assert_int_equal(r.status, 500);
    assert_null(hdr(&r, "Content-Encoding"));
    assert_int_equal(strncmp(r.body, "500 exposition failed: ", 23), 0);
    resp_free(&r);
    promc_http_server_free(s);

    s = serve(reg, &(promc_http_opts){.workers = 1, .serve_partial_on_error = 1});
    port = promc_http_server_port(s);
    request(port, GET_ENC("/metrics", "gzip"), &r);
    assert_int_equal(r.status, 200);
    char *body = decoded_body(&r);
    assert_int_equal(strncmp(body, "# HELP padding Comes first.\n", 28), 0);
    assert_null(strstr(body, "sometimes_failing"));
    free(body);
    resp_free(&r);
    atomic_store(&collector_fails, 0);
    promc_http_server_free(s);
    promc_metric_free(col);
    promc_gauge_vec_free(padding);
    promc_registry_free(reg);
}

/* The self-metrics count the exposition's bytes and the bytes sent. */
static void test_gzip_self_metrics(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_http_server *s = serve(f.reg, &(promc_http_opts){.workers = 1});
    int port = promc_http_server_port(s);
    response r;
    request(port, GET_ENC("/metrics", "gzip"), &r);
    size_t sent = r.body_len;
    char *body = decoded_body(&r);
    size_t plain = strlen(body);
    free(body);
    resp_free(&r);
    /* One worker: once it answers the next request, it has counted this one. */
    assert_int_equal(status_of(port, GET("/")), 200);
    assert_true(sent < plain);
    assert_true(test_value(f.reg, "promc_http_scrape_exposition_bytes_total", NULL, 0) ==
                (double)plain);
    assert_true(test_value(f.reg, "promc_http_scrape_response_bytes_total", NULL, 0) ==
                (double)sent);
    assert_true(test_value(f.reg, "promc_http_last_scrape_bytes", NULL, 0) == (double)plain);
    /* uncompressed: both grow by the same */
    request(port, GET("/metrics"), &r);
    assert_int_equal(status_of(port, GET("/")), 200);
    double before = (double)plain;
    assert_true(test_value(f.reg, "promc_http_scrape_exposition_bytes_total", NULL, 0) ==
                before + (double)r.body_len);
    assert_true(test_value(f.reg, "promc_http_scrape_response_bytes_total", NULL, 0) ==
                (double)sent + (double)r.body_len);
    resp_free(&r);
    promc_http_server_free(s);
    fixture_free(&f);
}

/* ------------------------------------------------------------------ */
/* Freeing a server from its own callbacks                             */
/* ------------------------------------------------------------------ */

/* The server the callbacks below free, and what the call returned. */
static struct {
    pthread_mutex_t mu;
    promc_http_server *target;
    int calls, rc, code;
    char message[256];
} self_free = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void self_free_target(promc_http_server *s)
{
    pthread_mutex_lock(&self_free.mu);
    self_free.target = s;
    self_free.calls = 0;
    self_free.rc = self_free.code = 1;
    self_free.message[0] = '\0';
    pthread_mutex_unlock(&self_free.mu);
}

static void self_free_call(void)
{
    pthread_mutex_lock(&self_free.mu);
    promc_http_server *s = self_free.target;
    pthread_mutex_unlock(&self_free.mu);
    int rc = promc_http_server_free(s);
    int code = promc_last_error_code();
    pthread_mutex_lock(&self_free.mu);
    self_free.calls++;
    self_free.rc = rc;
    self_free.code = code;
    snprintf(self_free.message, sizeof self_free.message, "%s", promc_last_error());
    pthread_mutex_unlock(&self_free.mu);
}

static void freeing_handler(void *ud, const char *method, const char *path,
                            promc_http_response *resp)
{
    (void)ud;
    (void)method;
    if (strcmp(path, "/free") == 0)
        self_free_call();
    resp->body = "ok\n";
    resp->body_len = 3;
}

static void freeing_on_sent(void *ud, const char *method, const char *path,
                            const promc_http_response *resp, int written_ok)
{
    (void)ud;
    (void)method;
    (void)resp;
    (void)written_ok;
    if (strcmp(path, "/free-after") == 0)
        self_free_call();
}

static int freeing_collector(promc_emitter *e, void *ud)
{
    (void)ud;
    self_free_call();
    promc_emit_family(e, "freeing_collector", "Frees its server.", PROMC_GAUGE, NULL);
    return promc_emit_sample(e, NULL, 0, 1);
}

/* Waits until a callback has called free n times in all, and checks that
 * it was refused with PROMC_ESTATE and a message. */
static void expect_refused(int n)
{
    int64_t deadline = mono_ms() + WAIT_MS;
    for (;;) {
        pthread_mutex_lock(&self_free.mu);
        int calls = self_free.calls;
        pthread_mutex_unlock(&self_free.mu);
        if (calls >= n || mono_ms() > deadline)
            break;
        sleep_ms(2);
    }
    pthread_mutex_lock(&self_free.mu);
    assert_int_equal(self_free.calls, n);
    assert_int_equal(self_free.rc, PROMC_ESTATE);
    assert_int_equal(self_free.code, PROMC_ESTATE);
    if (!strstr(self_free.message, "promc_http_server_free"))
        fail_msg("unhelpful message: \"%s\"", self_free.message);
    pthread_mutex_unlock(&self_free.mu);
}

/* A handler, an on_sent callback or a collector run by a scrape that frees
 * its own server is refused with PROMC_ESTATE (the call would wait for its
 * own thread), and the server keeps running; freeing another server from a
 * callback works. */
static void test_free_from_own_callback(void **state)
{
    (void)state;
    promc_http_opts o = {
        .disable_metrics = 1, .handler = freeing_handler, .on_sent = freeing_on_sent};
    promc_http_server *s = serve(NULL, &o);
    int port = promc_http_server_port(s);
    self_free_target(s);
    assert_int_equal(status_of(port, GET("/free")), 200);
    expect_refused(1);
    assert_int_equal(status_of(port, GET("/free-after")), 200);
    expect_refused(2);
    assert_int_equal(status_of(port, GET("/other")), 200); /* still serving */

    /* A collector, when the server's own scrape runs it. */
    promc_registry *reg = promc_registry_new();
    promc_metric *col = promc_collector_new(reg, freeing_collector, NULL, NULL, NULL);
    promc_http_server *m = serve(reg, &(promc_http_opts){.disable_self_metrics = 1});
    self_free_target(m);
    response r;
    request(promc_http_server_port(m), GET("/metrics"), &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "freeing_collector 1\n"));
    resp_free(&r);
    expect_refused(1);
    assert_int_equal(status_of(promc_http_server_port(m), GET("/-/healthy")), 200);

    /* Another server's handler may free it: it is not waiting for itself. */
    self_free_target(m);
    assert_int_equal(status_of(port, GET("/free")), 200);
    pthread_mutex_lock(&self_free.mu);
    assert_int_equal(self_free.calls, 1);
    assert_int_equal(self_free.rc, PROMC_OK);
    pthread_mutex_unlock(&self_free.mu);
    assert_int_equal(promc_http_server_free(s), PROMC_OK);
    promc_metric_free(col);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ */
/* Addresses and options                                               */
/* ------------------------------------------------------------------ */

static void check_healthy(int family, const char *ip, int port)
{
    client c = cli_open_ip(family, ip, port);
    cli_send_str(&c, GET("/-/healthy"));
    response r;
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cli_close(&c);
}

static void test_addresses(void **state)
{
    (void)state;
    bool v6 = ipv6_available();
    promc_http_server *s = serve_on(NULL, "127.0.0.1:0", &no_metrics);
    check_healthy(AF_INET, "127.0.0.1", promc_http_server_port(s));
    promc_http_server_free(s);

    s = serve_on(NULL, ":0", &no_metrics);
    check_healthy(AF_INET, "127.0.0.1", promc_http_server_port(s));
    if (v6)
        check_healthy(AF_INET6, "::1", promc_http_server_port(s));
    promc_http_server_free(s);

    if (v6) {
        s = serve_on(NULL, "[::1]:0", &no_metrics);
        check_healthy(AF_INET6, "::1", promc_http_server_port(s));
        promc_http_server_free(s);
    } else {
        fprintf(stderr, "  (no IPv6: [::1]:0 not tested)\n");
    }

    /* localhost: whichever of its addresses the server bound. */
    s = serve_on(NULL, "localhost:0", &no_metrics);
    int port = promc_http_server_port(s);
    int family = AF_INET;
    const char *ip = "127.0.0.1";
    int fd = connect_ip(family, ip, port);
    if (fd < 0 && v6) {
        family = AF_INET6;
        ip = "::1";
        fd = connect_ip(family, ip, port);
    }
    assert_true(fd >= 0);
    close(fd);
    check_healthy(family, ip, port);
    promc_http_server_free(s);

    static const char *const bad[] = {"",          "nocolon", "1.2.3.4:99999", "::1:80",
                                      "[::1]80",   "[::1",    "127.0.0.1:",    "127.0.0.1:-1",
                                      "1.2.3.4:x", ":123456"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (promc_http_server_new(NULL, bad[i], &no_metrics) != NULL)
            fail_msg("\"%s\" accepted", bad[i]);
        if (promc_last_error_code() != PROMC_EINVAL)
            fail_msg("\"%s\": %s (%s)", bad[i], promc_errname(promc_last_error_code()),
                     promc_last_error());
    }
    assert_null(promc_http_server_new(NULL, NULL, &no_metrics));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);

    /* A port already in use. */
    s = serve(NULL, &no_metrics);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", promc_http_server_port(s));
    assert_null(promc_http_server_new(NULL, addr, &no_metrics));
    assert_int_equal(promc_last_error_code(), PROMC_EIO);
    if (!strstr(promc_last_error(), addr))
        fail_msg("message \"%s\" does not name %s", promc_last_error(), addr);
    promc_http_server_free(s);

    /* NULL opts and nonsense fields fall back to the defaults. */
    fixture f = fixture_new();
    s = serve(f.reg, NULL);
    assert_int_equal(status_of(promc_http_server_port(s), GET("/metrics")), 200);
    promc_http_server_free(s);
    promc_http_opts o = {.metrics_path = "",
                         .workers = 0,
                         .max_queue = 0,
                         .max_connections = 0,
                         .max_target = 0,
                         .max_head = 1,
                         .read_timeout = -1,
                         .idle_timeout = NAN,
                         .write_timeout = -5,
                         .disable_self_metrics = 1};
    s = serve(f.reg, &o);
    port = promc_http_server_port(s);
    assert_int_equal(status_of(port, GET("/metrics")), 200);
    client c = cli_open(port);
    cli_send_str(&c, "GET /metr");
    assert_false(cli_closed(&c, 300)); /* not a zero read timeout */
    cli_close(&c);
    promc_http_server_free(s);
    o = (promc_http_opts){.metrics_path = "metrics"};
    assert_null(promc_http_server_new(f.reg, "127.0.0.1:0", &o));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_int_equal(promc_http_server_free(NULL), PROMC_OK);
    assert_int_equal(promc_http_server_port(NULL), -1);
    fixture_free(&f);
}

/* ------------------------------------------------------------------ */
/* Stop                                                                */
/* ------------------------------------------------------------------ */

struct fetch_arg {
    int port;
    response r;
    bool ok;
};

static void *fetch_thread(void *arg)
{
    struct fetch_arg *a = arg;
    int fd = connect_ip(AF_INET, "127.0.0.1", a->port);
    if (fd < 0)
        return NULL;
    client c = cli_from_fd(fd);
    if (cli_send(&c, GET("/slow"), strlen(GET("/slow"))))
        a->ok = cli_response(&c, &a->r, false, 10000);
    cli_close(&c);
    return NULL;
}

/* A collector that blocks the scrape until released. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool released;
    int entered; /* scrapes that reached the collector */
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0};

static int gated_collector(promc_emitter *e, void *ud)
{
    (void)ud;
    pthread_mutex_lock(&gate.mu);
    gate.entered++;
    pthread_cond_broadcast(&gate.cv);
    while (!gate.released)
        pthread_cond_wait(&gate.cv, &gate.mu);
    pthread_mutex_unlock(&gate.mu);
    promc_emit_family(e, "gated", "Gated.", PROMC_GAUGE, NULL);
    return promc_emit_sample(e, NULL, 0, 1);
}

/* With the only worker stuck in a scrape and the queue full, scrapes get
 * 503 but the health check is still answered: the loop answers it itself.
 * No time bound is needed: the worker stays stuck until the test releases
 * it, so a server that needed a worker could not answer at all. */
static void test_healthy_while_workers_are_busy(void **state)
{
    (void)state;
    pthread_mutex_lock(&gate.mu);
    gate.released = false;
    gate.entered = 0;
    pthread_mutex_unlock(&gate.mu);
    promc_registry *reg = promc_registry_new();
    promc_metric *col = promc_collector_new(reg, gated_collector, NULL, NULL, NULL);
    promc_http_opts o = {.workers = 1, .max_queue = 1, .disable_self_metrics = 1};
    promc_http_server *s = serve(reg, &o);
    int port = promc_http_server_port(s);
    client a = cli_open(port), b = cli_open(port), c = cli_open(port);
    cli_send_str(&a, GET("/metrics")); /* holds the worker */
    int64_t deadline = mono_ms() + WAIT_MS;
    pthread_mutex_lock(&gate.mu);
    while (!gate.entered && mono_ms() < deadline) {
        pthread_mutex_unlock(&gate.mu);
        sleep_ms(2);
        pthread_mutex_lock(&gate.mu);
    }
    assert_int_equal(gate.entered, 1);
    pthread_mutex_unlock(&gate.mu);
    /* One of these fills the queue, the other is refused. */
    cli_send_str(&b, GET("/metrics"));
    cli_send_str(&c, GET("/metrics"));
    struct pollfd pf[2] = {{.fd = b.fd, .events = POLLIN}, {.fd = c.fd, .events = POLLIN}};
    assert_true(poll(pf, 2, WAIT_MS) > 0);
    if (pf[0].revents) { /* b was refused: c waits in the queue */
        client t = b;
        b = c;
        c = t;
    }
    response r;
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 503);
    resp_free(&r);
    cli_close(&c);
    assert_int_equal(status_of(port, GET("/metrics")), 503);
    assert_int_equal(status_of(port, GET("/-/healthy")), 200);
    /* Keep-alive health checks on one connection, HEAD included. */
    client h = cli_open(port);
    cli_send_str(&h, GET("/-/healthy") HEAD("/-/healthy") GET("/-/healthy"));
    expect_response(&h, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "OK\n");
    resp_free(&r);
    expect_response(&h, &r, true);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    expect_response(&h, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cli_close(&h);
    pthread_mutex_lock(&gate.mu);
    assert_int_equal(gate.entered, 1); /* all of it while the worker was held */
    gate.released = true;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
    expect_response(&a, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    expect_response(&b, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cli_close(&a);
    cli_close(&b);
    promc_http_server_free(s);
    promc_metric_free(col);
    promc_registry_free(reg);
}

/* A registry with one gauge family of n series of about 61 bytes each in
 * the text format (150,000 make 9 MB). */
static promc_registry *padded_registry(int n, promc_gauge_vec **g)
{
    promc_registry *reg = promc_registry_new();
    *g = promc_gauge_vec_new(reg, "padding", "Many series.", PROMC_LABELS("id"), NULL);
    assert_true(reg && *g);
    char id[64];
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "series-%06d-with-a-longish-label-value", i);
        promc_gauge_set(promc_gauge_vec_labels(*g, id), i);
    }
    return reg;
}

/* padded_registry's 60,000 series (about 3.6 MB of text, past the default
 * stream_threshold and the size where the chain's blocks become mappings)
 * and their text exposition, *len bytes, to compare responses with. */
static char *padded_exposition(promc_registry **reg, promc_gauge_vec **g, size_t *len)
{
    *reg = padded_registry(60000, g);
    char *want = promc_encode_buffer(*reg, PROMC_FORMAT_TEXT, len);
    assert_non_null(want);
    assert_true(*len > (size_t)3 << 20);
    return want;
}

/* A client that asks for a large exposition and does not read it must not
 * hold a worker: with one worker, another scrape is answered while the slow
 * reader reads nothing, and the slow reader still gets its whole response
 * when it finally reads. A server whose worker waited for the slow reader
 * could answer the scrape only once the reader's write_timeout (30 s)
 * ended; the bound is half of it, which a loaded machine encoding 9 MB
 * under ThreadSanitizer (1-3 s a scrape) always meets. */
static void slow_reader_does_not_hold_a_worker(size_t stream_threshold)
{
    enum { WRITE_TIMEOUT_S = 30, BOUND_MS = WRITE_TIMEOUT_S * 1000 / 2 };
    promc_gauge_vec *g;
    /* Bigger than the socket buffers on both sides can hold (~8 MB). */
    promc_registry *reg = padded_registry(150000, &g);
    promc_http_opts o = {.workers = 1,
                         .write_timeout = WRITE_TIMEOUT_S,
                         .disable_self_metrics = 1,
                         .stream_threshold = stream_threshold};
    promc_http_server *s = serve(reg, &o);
    int port = promc_http_server_port(s);

    int64_t t0 = mono_ms();
    client c = cli_open(port);
    cli_send_str(&c, GET("/metrics"));
    response r;
    if (!cli_response(&c, &r, false, BOUND_MS))
        fail_msg("no scrape within %d ms", BOUND_MS);
    int64_t alone = mono_ms() - t0;
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cli_close(&c);

    /* The slow reader: a tiny receive window, and it reads nothing. Its
     * first bytes arrive once the worker writes as far as the socket takes:
     * after the render, or during it when the response is streamed. */
    client slow = slow_reader_open(port, GET("/metrics"));
    struct pollfd p = {.fd = slow.fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, BOUND_MS), 1);

    t0 = mono_ms();
    c = cli_open(port);
    cli_send_str(&c, GET("/metrics"));
    if (!cli_response(&c, &r, false, BOUND_MS))
        fail_msg("no scrape within %d ms beside a slow reader: it holds the worker", BOUND_MS);
    int64_t took = mono_ms() - t0;
    cli_close(&c);
    print_message("  scrape beside a slow reader: %lld ms (alone: %lld ms), %zu bytes\n",
                  (long long)took, (long long)alone, r.body_len);
    assert_int_equal(r.status, 200);
    size_t want = r.body_len;
    resp_free(&r);

    if (!cli_response(&slow, &r, false, BOUND_MS))
        fail_msg("the slow reader did not get its response");
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, want);
    resp_free(&r);
    cli_close(&slow);
    promc_http_server_free(s);
    promc_gauge_vec_free(g);
    promc_registry_free(reg);
}

/* Whether the response is streamed (the default at this size) or not. */
static void test_slow_reader_does_not_hold_a_worker(void **state)
{
    (void)state;
    slow_reader_does_not_hold_a_worker(0);
}

static void test_slow_reader_does_not_hold_a_worker_unstreamed(void **state)
{
    (void)state;
    slow_reader_does_not_hold_a_worker(SIZE_MAX);
}

/* A response larger than the size where its blocks become mappings of
 * their own (2 MiB), taken by clients with small receive windows, goes out
 * in hundreds of partial writes, the loop giving back each block's pages
 * as the client takes them: every byte must arrive, in order, as the
 * exposition has them. (Where a partial write ends is the kernel's choice;
 * a write ending in a page's last bytes, where the pages given back once
 * went one too far, has its own exact test in test_chain.c.) */
static void test_large_response_in_small_pieces(void **state)
{
    (void)state;
    promc_gauge_vec *g;
    promc_registry *reg;
    size_t want_len;
    char *want = padded_exposition(&reg, &g, &want_len);
    promc_http_opts o = {.workers = 1, .disable_self_metrics = 1};
    promc_http_server *s = serve(reg, &o);
    int port = promc_http_server_port(s);
    for (int round = 0; round < 4; round++) {
        client c = cli_open_rcvbuf(port, 2048 << (round % 3));
        cli_send_str(&c, GET("/metrics"));
        response r;
        if (!cli_response(&c, &r, false, 60000))
            fail_msg("round %d: no whole response (%zu bytes received)", round, c.len);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, want_len);
        assert_memory_equal(r.body, want, want_len);
        resp_free(&r);
        cli_close(&c);
    }
    promc_free(want);
    promc_http_server_free(s);
    promc_gauge_vec_free(g);
    promc_registry_free(reg);
}

/* Reads one byte of c's response into its buffer. */
static void read_one_byte(client *c)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, WAIT_MS), 1);
    if (c->cap - c->len < 2) {
        c->cap *= 2;
        c->buf = realloc(c->buf, c->cap);
        assert_non_null(c->buf);
    }
    assert_int_equal(recv(c->fd, c->buf + c->len, 1, 0), 1);
    c->len++;
}

/* A slow reader of a compressed scrape, reading one byte at a time, holds
 * neither a worker nor a lock: while it reads, with one worker, another
 * scrape is answered, a new series and a new family are made in the
 * registry it scraped; and it still gets the whole body it asked for --
 * the blocks handed from the worker to the loop, in order, as they were
 * when it asked -- which decodes to the exposition of that moment. */
static void test_slow_gzip_reader_holds_no_worker_nor_lock(void **state)
{
    (void)state;
    promc_gauge_vec *g;
    promc_registry *reg = padded_registry(150000, &g);
    char *want = test_render(reg, PROMC_FORMAT_TEXT);
    promc_http_opts o = {.workers = 1, .disable_self_metrics = 1};
    promc_http_server *s = serve(reg, &o);
    int port = promc_http_server_port(s);

    client slow = slow_reader_open(port, GET_ENC("/metrics", "gzip"));
    for (int i = 0; i < 5; i++) {
        read_one_byte(&slow);
        sleep_ms(100);
    }
    /* Meanwhile: no registry or family lock is held, no worker is busy. */
    promc_gauge_set(promc_gauge_vec_labels(g, "a-new-series"), 1);
    promc_counter *later = promc_counter_new(reg, "later", "Made while a reader is slow.", NULL);
    assert_non_null(later);
    client c = cli_open(port);
    cli_send_str(&c, GET_ENC("/metrics", "gzip"));
    response r;
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    char *now = decoded_body(&r);
    assert_non_null(strstr(now, "a-new-series"));
    assert_non_null(strstr(now, "later_total"));
    free(now);
    resp_free(&r);
    cli_close(&c);
    for (int i = 0; i < 5; i++) {
        read_one_byte(&slow);
        sleep_ms(100);
    }

    expect_response(&slow, &r, false);
    assert_int_equal(r.status, 200);
    print_message("  slow gzip reader: %zu bytes compressed, %zu of text\n", r.body_len,
                  strlen(want));
    char *got = decoded_body(&r);
    assert_string_equal(got, want);
    free(got);
    resp_free(&r);
    cli_close(&slow);
    promc_http_server_free(s);
    promc_free(want);
    promc_counter_free(later);
    promc_gauge_vec_free(g);
    promc_registry_free(reg);
}

/* Waits until the sample's value is want: a worker counts a response after
 * sending it, so the client may see it first. Fails after WAIT_MS. */
static void await_value(promc_registry *reg, const char *name, const promc_label *labels, size_t n,
                        double want)
{
    int64_t deadline = mono_ms() + WAIT_MS;
    double v;
    while ((v = test_value(reg, name, labels, n)) != want && mono_ms() < deadline)
        sleep_ms(5);
    if (v != want)
        fail_msg("%s is %g, want %g", name, v, want);
}

/* Lines of s that start with prefix. */
static long count_lines(const char *s, const char *prefix)
{
    long n = 0;
    size_t len = strlen(prefix);
    for (const char *p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, prefix, len) == 0)
            n++;
    return n;
}

/* Slow readers that fill the budget for unsent output (max_pending_bytes)
 * must not cut a scrape short: the scrape gets its whole body or a 503
 * sent before anything else, never a 200 with a short body; the slow
 * readers are the ones closed, oldest first, and counted. The budget holds
 * two responses: the third slow reader already needs one shed. */
static void test_slow_readers_are_shed_not_the_scrape(void **state)
{
    (void)state;
    enum { NSERIES = 100000, NSLOW = 6, NSCRAPES = 3 };
    promc_gauge_vec *g;
    promc_registry *reg = padded_registry(NSERIES, &g); /* about 6 MB */
    char *text = test_render(reg, PROMC_FORMAT_TEXT);
    size_t exposition = strlen(text);
    promc_free(text);
    size_t budget = 8u << 20;
    size_t holders = budget / exposition; /* slow readers the budget holds */
    /* write_timeout far off: only shedding closes the slow readers here.
     * Not streamed: each response reserves its whole size (a streamed
     * one, what the sockets did not take; see the streamed tests). */
    promc_http_opts o = {
        .max_pending_bytes = budget, .write_timeout = 120, .stream_threshold = SIZE_MAX};
    promc_http_server *s = serve(reg, &o);
    int port = promc_http_server_port(s);
    int fds_before = count_fds();

    static client slow[NSLOW];
    int slow_503 = 0;
    for (int i = 0; i < NSLOW; i++) {
        slow[i] = slow_reader_open(port, GET("/metrics"));
        /* Its first bytes come once its response is being written. */
        struct pollfd p = {.fd = slow[i].fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, 30000), 1);
        char status[13] = "";
        assert_int_equal(recv(slow[i].fd, status, 12, MSG_PEEK), 12);
        slow_503 += strncmp(status, "HTTP/1.1 503", 12) == 0;
        /* Half of them read one byte at a time. */
        for (int k = 1; k <= i; k += 2) {
            char byte;
            (void)recv(slow[k].fd, &byte, 1, MSG_DONTWAIT);
        }
    }

    /* Scrapes that read as fast as they can, through a window of 4 KB:
     * the server has to keep most of each response for later. */
    int ok = 0, busy = 0;
    for (int i = 0; i < NSCRAPES; i++) {
        client c = cli_open_rcvbuf(port, 4096);
        cli_send_str(&c, GET("/metrics"));
        response r;
        if (cli_whole_or_503(&c, &r, 30000) == 200) {
            ok++;
            assert_int_equal(r.content_length, (long)r.body_len);
            assert_int_equal(count_lines(r.body, "padding{"), NSERIES);
            assert_int_equal(r.body[r.body_len - 1], '\n');
        } else {
            busy++;
            assert_string_equal(hdr(&r, "Connection"), "close");
        }
        resp_free(&r);
        cli_close(&c);
    }
    print_message("  %d scrapes whole, %d answered 503, beside %d slow readers (%d got 503)\n", ok,
                  busy, NSLOW, slow_503);

    /* The oldest slow reader was closed before its response was whole. */
    long got = cli_drain(&slow[0], 10000);
    if (got < 0)
        fail_msg("the oldest slow reader is still open");
    assert_true((size_t)got < exposition);
    /* At most the budget's worth of slow readers is left: the others were
     * shed (or answered 503), and counted. */
    double shed = test_value(reg, "promc_http_slow_readers_shed_total", NULL, 0);
    print_message("  %.0f slow readers shed\n", shed);
    assert_true(shed >= (double)(NSLOW - (int)holders - slow_503));
    assert_true(shed <= NSLOW);
    int64_t deadline = mono_ms() + 10000;
    while (server_conns(port) > (int)holders && mono_ms() < deadline)
        sleep_ms(10);
    assert_true(server_conns(port) <= (int)holders);
    assert_true(count_fds() <= fds_before + NSLOW + (int)holders);
    /* What was counted is what was sent. */
    await_value(reg, "promc_http_requests_total", &(promc_label){"code", "503"}, 1,
                busy + slow_503);
    await_value(reg, "promc_http_requests_total", &(promc_label){"code", "200"}, 1,
                NSLOW + NSCRAPES - busy - slow_503);

    /* Once the slow readers are gone, the whole budget is free again. */
    for (int i = 0; i < NSLOW; i++)
        cli_close(&slow[i]);
    deadline = mono_ms() + 10000;
    while (server_conns(port) > 0 && mono_ms() < deadline)
        sleep_ms(10);
    assert_int_equal(server_conns(port), 0);
    client c = cli_open(port);
    cli_send_str(&c, GET("/metrics"));
    response r;
    assert_int_equal(cli_whole_or_503(&c, &r, 30000), 200);
    resp_free(&r);
    cli_close(&c);

    promc_http_server_free(s);
    promc_gauge_vec_free(g);
    promc_registry_free(reg);
}

/* A response larger than the whole budget could never be kept for a slow
 * reader: it is a 503 sent before any of it, counted as a 503, whatever
 * the client (a HEAD, without the body, fits); handlers' on_sent sees the
 * 503 too. */
static void test_response_larger_than_the_budget_is_503(void **state)
{
    (void)state;
    promc_gauge_vec *g;
    promc_registry *reg = padded_registry(100, &g); /* about 6 KB */
    promc_http_server *s = serve(reg, &(promc_http_opts){.max_pending_bytes = 4096});
    int port = promc_http_server_port(s);
    assert_true(test_value(reg, "promc_http_slow_readers_shed_total", NULL, 0) == 0);
    client c = cli_open(port);
    cli_send_str(&c, GET("/metrics"));
    response r;
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 503);
    assert_string_equal(hdr(&r, "Connection"), "close");
    assert_non_null(strstr(r.body, "slow readers"));
    resp_free(&r);
    assert_true(cli_closed(&c, WAIT_MS));
    cli_close(&c);
    /* HEAD sends no body: its head fits. */
    request(port, HEAD("/metrics"), &r);
    assert_int_equal(r.status, 200);
    assert_true(r.content_length > 4096);
    resp_free(&r);
    assert_int_equal(status_of(port, GET("/-/healthy")), 200);
    await_value(reg, "promc_http_requests_total", &(promc_label){"code", "503"}, 1, 1);
    await_value(reg, "promc_http_requests_total", &(promc_label){"code", "200"}, 1, 1);
    assert_true(test_value(reg, "promc_http_slow_readers_shed_total", NULL, 0) == 0);
    promc_http_server_free(s);

    hstate h;
    hstate_init(&h);
    static char big[8192];
    memset(big, 'x', sizeof big);
    h.body = big;
    h.body_len = sizeof big;
    h.release = true;
    promc_http_opts o = handler_opts(&h);
    o.max_pending_bytes = 4096;
    s = serve(NULL, &o);
    assert_int_equal(status_of(promc_http_server_port(s), GET("/big")), 503);
    h_wait(&h, &h.sent, 1);
    assert_int_equal(h.sent_status[0], 503);
    assert_int_equal(h.sent_ok[0], 1);
    promc_http_server_free(s);
    hstate_destroy(&h);
    promc_gauge_vec_free(g);
    promc_registry_free(reg);
}

static void test_stop(void **state)
{
    (void)state;
    int fds_before = count_fds();

    hstate h;
    hstate_init(&h);
    size_t big = 4u << 20; /* more than the socket buffers hold */
    char *body = malloc(big);
    assert_non_null(body);
    for (size_t i = 0; i < big; i++)
        body[i] = (char)('a' + i % 26);
    h.body = body;
    h.body_len = big;
    h.release_after_ms = 200;
    promc_http_opts o = handler_opts(&h);
    o.write_timeout = 20;
    promc_http_server *s = serve(NULL, &o);
    int port = promc_http_server_port(s);

    /* Some connections in various states (with a handler, every path but
     * the metrics one is the handler's, so none is answered here). */
    client idle = cli_open(port), partial = cli_open(port), done = cli_open(port);
    cli_send_str(&partial, "GET /-/hea");
    cli_send_str(&done, "GET / HTTP/1.1\r\n");

    struct fetch_arg fa = {.port = port};
    pthread_t ft, rt;
    assert_int_equal(pthread_create(&ft, NULL, fetch_thread, &fa), 0);
    h_wait(&h, &h.entered, 1);
    assert_int_equal(pthread_create(&rt, NULL, releaser, &h), 0);
    int64_t t0 = mono_ms();
    assert_int_equal(promc_http_server_free(s), PROMC_OK);
    int64_t freed_at = mono_ms(), took = freed_at - t0;
    assert_int_equal(pthread_join(ft, NULL), 0);
    assert_int_equal(pthread_join(rt, NULL), 0);
    assert_true(fa.ok);
    assert_int_equal(fa.r.status, 200);
    assert_int_equal(fa.r.body_len, big);
    assert_memory_equal(fa.r.body, body, big);
    resp_free(&fa.r);
    /* Free waited for the handler it could not interrupt, and returned
     * once the response was written: not at write_timeout (20 s), the
     * least a free stuck on a client would take. */
    assert_true(freed_at >= h.released_at);
    if (took >= 10000)
        fail_msg("freeing took %lld ms", (long long)took);
    h_wait(&h, &h.sent, 1);
    assert_int_equal(h.sent_ok[0], 1);

    /* The other connections were closed, and the port refuses. */
    assert_true(cli_closed(&idle, WAIT_MS));
    assert_true(cli_closed(&partial, WAIT_MS));
    assert_true(cli_closed(&done, WAIT_MS));
    cli_close(&idle);
    cli_close(&partial);
    cli_close(&done);
    errno = 0;
    assert_int_equal(connect_ip(AF_INET, "127.0.0.1", port), -1);
    assert_int_equal(errno, ECONNREFUSED);

    free(body);
    hstate_destroy(&h);
    assert_int_equal(count_fds(), fds_before);
}

/* ------------------------------------------------------------------ */
/* Slow clients                                                        */
/* ------------------------------------------------------------------ */

#define NSTALLED 1000
/* The stalled connections' read_timeout: none is dropped by it during a
 * test. A server that let them hold it up could answer a scrape only once
 * their read_timeout freed it, so STALL_BOUND_MS, half of it, is a bound
 * such a server could never meet, and a loaded machine under
 * ThreadSanitizer always does (a scrape there takes milliseconds). */
#define STALL_TIMEOUT_S 40
#define STALL_BOUND_MS  (STALL_TIMEOUT_S * 1000 / 2)

static bool skip_slow_clients(void)
{
    const char *e = getenv("PROMC_TEST_NO_SLOW_CLIENTS");
    return e && *e && strcmp(e, "0") != 0;
}

/* A whole scrape on a new connection, in milliseconds; it fails after
 * STALL_BOUND_MS. */
static int64_t timed_scrape(int port, const char *want)
{
    int64_t t0 = mono_ms();
    client c = cli_open(port);
    cli_send_str(&c, GET("/metrics"));
    response r;
    if (!cli_response(&c, &r, false, STALL_BOUND_MS))
        fail_msg("no scrape response within %d ms", STALL_BOUND_MS);
    int64_t took = mono_ms() - t0;
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, want);
    resp_free(&r);
    cli_close(&c);
    return took;
}

static void test_slow_clients(void **state)
{
    (void)state;
    if (skip_slow_clients())
        skip();
    need_fds(2 * NSTALLED + 100);
    fixture f = fixture_new();
    promc_http_opts o = {.disable_self_metrics = 1, .read_timeout = STALL_TIMEOUT_S};
    promc_http_server *s = serve(f.reg, &o);
    int port = promc_http_server_port(s);
    char *want = test_render(f.reg, PROMC_FORMAT_TEXT);

    static int stalled[NSTALLED];
    for (int i = 0; i < NSTALLED; i++) {
        stalled[i] = connect_ip(AF_INET, "127.0.0.1", port);
        if (stalled[i] < 0)
            fail_msg("connection %d: %s", i, strerror(errno));
        if (send(stalled[i], "GET /metr", 9, MSG_NOSIGNAL) != 9)
            fail_msg("send on connection %d: %s", i, strerror(errno));
    }
    int64_t took = timed_scrape(port, want);
    fprintf(stderr, "  scrape with %d stalled connections: %lld ms\n", NSTALLED, (long long)took);
    /* The stalled ones are still there and can finish their request. */
    int last = server_conns(port);
    assert_true(last >= NSTALLED);
    client c = cli_from_fd(stalled[NSTALLED / 2]);
    cli_send_str(&c, "ics HTTP/1.1\r\nHost: t\r\n\r\n");
    response r;
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, want);
    resp_free(&r);
    cli_close(&c);
    stalled[NSTALLED / 2] = -1;

    for (int i = 0; i < NSTALLED; i++)
        if (stalled[i] >= 0)
            close(stalled[i]);
    promc_free(want);
    promc_http_server_free(s);
    fixture_free(&f);
}

static void test_max_connections(void **state)
{
    (void)state;
    if (skip_slow_clients())
        skip();
    need_fds(2 * NSTALLED + 100);
    enum { LIMIT = 500 };
    fixture f = fixture_new();
    promc_http_opts o = {
        .disable_self_metrics = 1, .max_connections = LIMIT, .read_timeout = STALL_TIMEOUT_S};
    promc_http_server *s = serve(f.reg, &o);
    int port = promc_http_server_port(s);
    char *want = test_render(f.reg, PROMC_FORMAT_TEXT);

    static int stalled[NSTALLED];
    int most = 0;
    for (int i = 0; i < NSTALLED; i++) {
        stalled[i] = connect_ip(AF_INET, "127.0.0.1", port);
        if (stalled[i] < 0)
            fail_msg("connection %d: %s", i, strerror(errno));
        if (send(stalled[i], "GET /metr", 9, MSG_NOSIGNAL) != 9)
            fail_msg("send on connection %d: %s", i, strerror(errno));
        if (i % 25 == 24) {
            int n = server_conns(port);
            most = n > most ? n : most;
        }
    }
    /* Once the loop has accepted them all, the limit holds exactly. */
    int n;
    int64_t deadline = mono_ms() + WAIT_MS;
    while ((n = server_conns(port)) > LIMIT && mono_ms() < deadline)
        sleep_ms(10);
    most = n > most ? n : most;
    if (n > LIMIT)
        fail_msg("%d server-side connections with max_connections %d", n, LIMIT);
    int64_t took = timed_scrape(port, want);
    fprintf(stderr, "  scrape at the connection limit: %lld ms; at most %d connections\n",
            (long long)took, most);
    n = server_conns(port);
    most = n > most ? n : most;
    /* One more than the limit may exist for an instant: accepted, not yet
     * counted in, while the oldest is being shed. */
    if (most > LIMIT + 1)
        fail_msg("%d server-side connections with max_connections %d", most, LIMIT);
    assert_true(n >= LIMIT - 10);

    /* The oldest were shed, the newest are still open. */
    client c = cli_from_fd(stalled[0]);
    assert_true(cli_closed(&c, WAIT_MS));
    cli_close(&c);
    stalled[0] = -1;
    c = cli_from_fd(stalled[NSTALLED - 1]);
    assert_false(cli_closed(&c, 20));
    cli_send_str(&c, "ics HTTP/1.1\r\nHost: t\r\n\r\n");
    response r;
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cli_close(&c);
    stalled[NSTALLED - 1] = -1;

    for (int i = 0; i < NSTALLED; i++)
        if (stalled[i] >= 0)
            close(stalled[i]);
    promc_free(want);
    promc_http_server_free(s);
    fixture_free(&f);
}

/* ------------------------------------------------------------------ */
/* Streamed scrapes                                                    */
/* ------------------------------------------------------------------ */

#define GET_10(path) "GET " path " HTTP/1.0\r\n" HOST_HDR "\r\n"

/* Expects r to be the whole exposition want, in chunks or not. */
static void expect_exposition(const response *r, bool chunked, const char *want, size_t want_len)
{
    assert_int_equal(r->status, 200);
    assert_int_equal(r->chunked, chunked);
    assert_int_equal(hdr(r, "Content-Length") == NULL, chunked);
    char *body = decoded_body(r);
    assert_int_equal(strlen(body), want_len);
    assert_memory_equal(body, want, want_len);
    free(body);
}

/* A scrape past stream_threshold goes out while it is rendered, in chunks:
 * the same bytes as the exposition rendered whole, plain and gzip, and the
 * connection goes on after it (pipelined requests included). Below the
 * threshold, for HEAD and HTTP/1.0, and with streaming off, the body comes
 * whole with its Content-Length. */
static void test_large_scrape_is_streamed(void **state)
{
    (void)state;
    promc_gauge_vec *g;
    promc_registry *reg;
    size_t want_len;
    char *want = padded_exposition(&reg, &g, &want_len);
    /* 64 KiB: the gzipped body (~300 KB) streams too. */
    promc_http_opts o = {.workers = 1, .disable_self_metrics = 1, .stream_threshold = 64 << 10};
    promc_http_server *s = serve(reg, &o);
    int port = promc_http_server_port(s);

    client c = cli_open(port);
    cli_send_str(&c, GET("/metrics") GET_ENC("/metrics", "gzip") GET("/-/healthy"));
    response r;
    expect_response(&c, &r, false);
    expect_exposition(&r, true, want, want_len);
    assert_null(hdr(&r, "Content-Encoding"));
    resp_free(&r);
    expect_response(&c, &r, false);
    assert_string_equal(hdr(&r, "Content-Encoding"), "gzip");
    expect_exposition(&r, true, want, want_len);
    size_t gz_len = r.body_len;
    resp_free(&r);
    expect_response(&c, &r, false);
    assert_false(r.chunked);
    assert_string_equal(r.body, "OK\n");
    resp_free(&r);
    cli_close(&c);

    /* A HEAD tells the whole length (counted, not kept), compressed too;
     * HTTP/1.0 has no chunks. */
    request(port, HEAD("/metrics"), &r);
    assert_int_equal(r.status, 200);
    assert_false(r.chunked);
    assert_int_equal(r.content_length, (long)want_len);
    resp_free(&r);
    request(port, "HEAD /metrics HTTP/1.1\r\n" HOST_HDR "Accept-Encoding: gzip\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Content-Encoding"), "gzip");
    assert_int_equal(r.content_length, (long)gz_len);
    resp_free(&r);
    request(port, GET_10("/metrics"), &r);
    expect_exposition(&r, false, want, want_len);
    resp_free(&r);
    promc_http_server_free(s);

    /* Streaming off: whole. */
    o.stream_threshold = SIZE_MAX;
    s = serve(reg, &o);
    port = promc_http_server_port(s);
    request(port, GET("/metrics"), &r);
    expect_exposition(&r, false, want, want_len);
    resp_free(&r);
    promc_http_server_free(s);
    promc_free(want);
    promc_gauge_vec_free(g);
    promc_registry_free(reg);

    /* A small exposition is whole by default, streamed past a threshold
     * of one byte. */
    reg = padded_registry(100, &g); /* about 6 KB */
    want = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, &want_len);
    assert_non_null(want);
    for (int streamed = 0; streamed < 2; streamed++) {
        o.stream_threshold = streamed ? 1 : 0;
        s = serve(reg, &o);
        request(promc_http_server_port(s), GET("/metrics"), &r);
        expect_exposition(&r, streamed, want, want_len);
        resp_free(&r);
        promc_http_server_free(s);
    }
    promc_free(want);
    promc_gauge_vec_free(g);
    promc_registry_free(reg);
}

/* Once a streamed scrape's head is out, a collector failing after it
 * cannot make it a 500: the connection closes before the end of the body,
 * which every client reports as an incomplete response. With
 * serve_partial_on_error the body ends as rendered. Both are scrape
 * errors, and the status counted is the 200 that was sent. */
static void test_streamed_scrape_error_is_cut_short(void **state)
{
    (void)state;
    promc_gauge_vec *padding;
    promc_metric *col;
    promc_registry *reg = failing_registry(&padding, &col); /* ~40 KB, then the collector */
    for (int partial = 0; partial < 2; partial++) {
        atomic_store(&collector_fails, 1);
        promc_http_opts o = {.workers = 1, .stream_threshold = 4096};
        o.serve_partial_on_error = partial;
        promc_http_server *s = serve(reg, &o);
        int port = promc_http_server_port(s);
        client c = cli_open(port);
        cli_send_str(&c, GET("/metrics"));
        response r;
        if (partial) {
            expect_response(&c, &r, false);
            assert_int_equal(r.status, 200);
            assert_true(r.chunked);
            assert_int_equal(strncmp(r.body, "# HELP padding Comes first.\n", 28), 0);
            assert_null(strstr(r.body, "sometimes_failing"));
            assert_int_equal(r.body[r.body_len - 1], '\n');
            resp_free(&r);
        } else {
            assert_false(cli_response(&c, &r, false, WAIT_MS));
            assert_int_equal(r.cut_status, 200);
            assert_true(r.cut_body_len >= 4096);
            c.len = 0; /* what came of the body */
            assert_true(cli_closed(&c, WAIT_MS));
        }
        cli_close(&c);
        atomic_store(&collector_fails, 0); /* so that the registry can be read */
        await_value(reg, "promc_http_scrape_errors_total", NULL, 0, 1);
        await_value(reg, "promc_http_requests_total", &(promc_label){"code", "200"}, 1, 1);
        assert_true(
            test_value(reg, "promc_http_requests_total", &(promc_label){"code", "500"}, 1) == 0);
        promc_http_server_free(s);
    }
    promc_metric_free(col);
    promc_gauge_vec_free(padding);
    promc_registry_free(reg);
}

/* What a streamed scrape keeps for its reader when the render ends must
 * fit in max_pending_bytes: a reader that keeps up gets a body larger than
 * the whole budget (which unstreamed would be a 503), and one that takes
 * nothing is cut short, its connection closed and counted as shed. */
static void test_streamed_scrape_within_the_budget(void **state)
{
    (void)state;
    promc_gauge_vec *g;
    promc_registry *reg = padded_registry(60000, &g); /* about 3.6 MB */
    promc_http_opts o = {.workers = 1, .max_pending_bytes = 3u << 20};
    promc_http_server *s = serve(reg, &o);
    response r;
    request(promc_http_server_port(s), GET("/metrics"), &r);
    assert_int_equal(r.status, 200);
    assert_true(r.chunked);
    assert_true(r.body_len > (size_t)o.max_pending_bytes);
    assert_int_equal(count_lines(r.body, "padding{"), 60000);
    resp_free(&r);
    promc_http_server_free(s);
    promc_gauge_vec_free(g);
    promc_registry_free(reg);

    /* Nothing read until the server has given up on it: about 9 MB, of
     * which the sockets hold one or two, and room for 3. */
    reg = padded_registry(150000, &g);
    s = serve(reg, &o);
    client slow = slow_reader_open(promc_http_server_port(s), GET("/metrics"));
    await_value(reg, "promc_http_slow_readers_shed_total", NULL, 0, 1);
    long got = cli_drain(&slow, WAIT_MS);
    if (got < 0)
        fail_msg("a streamed reader that took nothing is still open");
    print_message("  streamed to a reader that took nothing: %ld bytes, then closed\n", got);
    assert_true((size_t)got < (size_t)6 << 20);
    cli_close(&slow);
    await_value(reg, "promc_http_requests_total", &(promc_label){"code", "200"}, 1, 1);
    promc_http_server_free(s);
    promc_gauge_vec_free(g);
    promc_registry_free(reg);
}

/* A client that goes away while its scrape streams stops the render (its
 * writes fail) and costs nothing more: no scrape error, and the next
 * scrape is whole. */
static void test_streamed_scrape_client_gone(void **state)
{
    (void)state;
    promc_gauge_vec *g;
    promc_registry *reg = padded_registry(60000, &g); /* about 3.6 MB */
    promc_http_server *s = serve(reg, &(promc_http_opts){.workers = 1});
    int port = promc_http_server_port(s);
    for (int i = 0; i < 3; i++) {
        client c = cli_open_rcvbuf(port, 4096);
        cli_send_str(&c, GET("/metrics"));
        struct pollfd p = {.fd = c.fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, WAIT_MS), 1);
        /* A reset, not a polite close: the next write fails at once. */
        struct linger l = {.l_onoff = 1, .l_linger = 0};
        assert_int_equal(setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
        cli_close(&c);
    }
    response r;
    request(port, GET("/metrics"), &r);
    assert_int_equal(r.status, 200);
    assert_true(r.chunked);
    assert_int_equal(count_lines(r.body, "padding{"), 60000);
    resp_free(&r);
    assert_true(test_value(reg, "promc_http_scrape_errors_total", NULL, 0) == 0);
    promc_http_server_free(s);
    promc_gauge_vec_free(g);
    promc_registry_free(reg);
}

/* One client of test_streamed_scrapes_side_by_side: four scrapes, every
 * other one read whole and checked, the others reset after their first
 * bytes. Counts what each got (the main thread asserts). */
struct stream_client {
    int port, id;
    const char *want;
    size_t want_len;
    int whole, cut, reset, bad;
};

static void *streamed_scrapes(void *arg)
{
    struct stream_client *a = arg;
    for (int i = 0; i < 4; i++) {
        /* A small window: most of a response is still to send when its
         * render ends, kept within the budget and written by the loop. */
        client c = cli_open_rcvbuf(a->port, 16384);
        cli_send_str(&c, GET("/metrics"));
        if ((a->id + i) % 2) {
            struct pollfd p = {.fd = c.fd, .events = POLLIN};
            (void)poll(&p, 1, WAIT_MS);
            struct linger l = {.l_onoff = 1, .l_linger = 0};
            (void)setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            a->reset++;
        } else {
            response r;
            if (cli_response(&c, &r, false, 60000)) {
                bool same = r.status == 200 && r.chunked && r.body_len == a->want_len &&
                            memcmp(r.body, a->want, a->want_len) == 0;
                *(same ? &a->whole : &a->bad) += 1;
                resp_free(&r);
            } else {
                *(r.cut_status == 200 ? &a->cut : &a->bad) += 1;
            }
        }
        cli_close(&c);
    }
    return NULL;
}

/* Streamed scrapes side by side on two workers, within a budget of one
 * exposition: every response is the exposition byte for byte or cut short
 * after its 200 (no room for its unsent end beside the others), never
 * anything else; clients resetting mid-body cost nothing; and once all are
 * gone every byte kept for them is back in the budget -- an unstreamed
 * response (HTTP/1.0) of the whole exposition fits again. */
static void test_streamed_scrapes_side_by_side(void **state)
{
    (void)state;
    enum { NCLIENTS = 6 };
    promc_gauge_vec *g;
    promc_registry *reg;
    size_t want_len;
    char *want = padded_exposition(&reg, &g, &want_len);
    promc_http_opts o = {
        .workers = 2, .disable_self_metrics = 1, .max_pending_bytes = want_len + 4096};
    promc_http_server *s = serve(reg, &o);
    int port = promc_http_server_port(s);

    pthread_t t[NCLIENTS];
    struct stream_client a[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++) {
        a[i] = (struct stream_client){.port = port, .id = i, .want = want, .want_len = want_len};
        assert_int_equal(pthread_create(&t[i], NULL, streamed_scrapes, &a[i]), 0);
    }
    int whole = 0, cut = 0, reset = 0, bad = 0;
    for (int i = 0; i < NCLIENTS; i++) {
        pthread_join(t[i], NULL);
        whole += a[i].whole;
        cut += a[i].cut;
        reset += a[i].reset;
        bad += a[i].bad;
    }
    print_message("  %d whole, %d cut short for want of room, %d reset by their clients\n", whole,
                  cut, reset);
    assert_int_equal(bad, 0);
    assert_int_equal(whole + cut, NCLIENTS * 2);
    assert_true(whole > 0);

    int64_t deadline = mono_ms() + WAIT_MS;
    while (server_conns(port) > 0 && mono_ms() < deadline)
        sleep_ms(10);
    assert_int_equal(server_conns(port), 0);
    response r;
    request(port, GET_10("/metrics"), &r);
    expect_exposition(&r, false, want, want_len);
    resp_free(&r);
    promc_http_server_free(s);
    promc_free(want);
    promc_gauge_vec_free(g);
    promc_registry_free(reg);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_metrics),
        cmocka_unit_test(test_negotiation),
        cmocka_unit_test(test_protobuf_scrape),
        cmocka_unit_test(test_utf8_names_scrape),
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_methods_and_paths),
        cmocka_unit_test(test_metrics_path_limits),
        cmocka_unit_test(test_disable_metrics),
        cmocka_unit_test(test_keep_alive_and_pipelining),
        cmocka_unit_test(test_connection_close),
        cmocka_unit_test(test_request_bodies),
        cmocka_unit_test(test_request_errors),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_basic_auth),
        cmocka_unit_test(test_basic_auth_check),
        cmocka_unit_test(test_extra_headers),
        cmocka_unit_test(test_index_page),
        cmocka_unit_test(test_queue_limit),
        cmocka_unit_test(test_handler_header_limits),
        cmocka_unit_test(test_handler_gets_whole_path),
        cmocka_unit_test(test_many_clients_small_queue),
        cmocka_unit_test(test_shed_with_pending_event),
        cmocka_unit_test(test_self_metrics),
        cmocka_unit_test(test_self_metrics_counted_before_answer),
        cmocka_unit_test(test_scrape_error_answers_500),
        cmocka_unit_test(test_scrape_error_serves_partial),
        cmocka_unit_test(test_gzip_negotiation),
        cmocka_unit_test(test_gzip_formats_head_and_off),
        cmocka_unit_test(test_gzip_on_scrape_errors),
        cmocka_unit_test(test_gzip_self_metrics),
        cmocka_unit_test(test_free_from_own_callback),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_slow_reader_does_not_hold_a_worker),
        cmocka_unit_test(test_slow_reader_does_not_hold_a_worker_unstreamed),
        cmocka_unit_test(test_large_response_in_small_pieces),
        cmocka_unit_test(test_slow_gzip_reader_holds_no_worker_nor_lock),
        cmocka_unit_test(test_slow_readers_are_shed_not_the_scrape),
        cmocka_unit_test(test_large_scrape_is_streamed),
        cmocka_unit_test(test_streamed_scrape_error_is_cut_short),
        cmocka_unit_test(test_streamed_scrape_within_the_budget),
        cmocka_unit_test(test_streamed_scrape_client_gone),
        cmocka_unit_test(test_streamed_scrapes_side_by_side),
        cmocka_unit_test(test_response_larger_than_the_budget_is_503),
        cmocka_unit_test(test_healthy_while_workers_are_busy),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_slow_clients),
        cmocka_unit_test(test_max_connections),
    };
    const char *only = getenv("PROMC_TEST_FILTER"); /* e.g. "test_stop", "*queue*" */
    if (only && *only)
        cmocka_set_test_filter(only);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
