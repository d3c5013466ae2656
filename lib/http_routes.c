/*
 * What the HTTP server answers: the metrics endpoint (negotiated format,
 * self-metrics), /-/healthy, the index page, the application's handler, and
 * the 401/404/405 errors, after Basic authentication. Runs on worker
 * threads, except the health check, which the event loop answers itself.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_server_internal.h"
#include "internal.h"

static bool span_eq(const char *p, size_t n, const char *str)
{
    return strlen(str) == n && memcmp(p, str, n) == 0;
}

static bool path_is(const struct promc__http_request *q, const char *path)
{
    return q->path_len ? span_eq(q->path, q->path_len, path) : strcmp(path, "/") == 0;
}

bool promc__http_is_metrics(const promc_http_server *s, const struct promc__http_request *q)
{
    return s->registry && path_is(q, s->metrics_path);
}

/* With a handler, the application owns /-/healthy. */
bool promc__http_is_health_check(const promc_http_server *s, const struct promc__http_request *q)
{
    bool get_or_head =
        span_eq(q->method, q->method_len, "GET") || span_eq(q->method, q->method_len, "HEAD");
    return !s->opts.handler && get_or_head && !q->chunked && path_is(q, "/-/healthy");
}

struct promc__http_reply promc__http_health_reply(const struct promc__http_request *q)
{
    struct promc__http_reply r = {.status = 200,
                                  .body = "OK\n",
                                  .body_len = 3,
                                  .keep_alive = q->keep_alive,
                                  .head_only = span_eq(q->method, q->method_len, "HEAD")};
    return r;
}

static bool authorized(promc_http_server *s, const struct promc__http_request *req)
{
    if (!s->auth)
        return true;
    const char *a = req->authorization;
    size_t n = req->authorization_len;
    if (!a || n < 6 || strncasecmp(a, "basic ", 6) != 0)
        return false;
    a += 6;
    n -= 6;
    while (n && *a == ' ') {
        a++;
        n--;
    }
    char decoded[512];
    long dlen = promc__base64_decode(a, n, decoded, sizeof decoded);
    if (dlen < 0)
        return false;
    return promc__http_consttime_equal(decoded, (size_t)dlen, s->auth, strlen(s->auth));
}

/* Answers one parsed request. Returns false when the connection must close. */
bool promc__http_answer(promc_http_server *s, struct promc__http_conn *c, struct promc__buf *wb)
{
    const struct promc__http_request *req = &c->req;
    bool get = span_eq(req->method, req->method_len, "GET");
    bool head = span_eq(req->method, req->method_len, "HEAD");
    const char *path = req->path;
    size_t path_len = req->path_len;
    if (path_len == 0) {
        path = "/";
        path_len = 1;
    }
    struct promc__http_reply r = {
        .status = 200, .keep_alive = req->keep_alive && !req->chunked, .head_only = head};
    bool metrics = s->registry && span_eq(path, path_len, s->metrics_path);
    /* With a handler, the application owns every path but the metrics one. */
    bool healthy = !s->opts.handler && span_eq(path, path_len, "/-/healthy");

    if (!healthy && !authorized(s, req)) {
        r.status = 401;
        r.auth_challenge = true;
        r.body = "401 Unauthorized\n";
        r.body_len = strlen(r.body);
        if (metrics)
            promc__http_self_count(&s->self, 401);
        return promc__http_deliver(s, c, &r) && r.keep_alive;
    }
    bool builtin = metrics || healthy || (!s->opts.handler && span_eq(path, path_len, "/"));
    if (builtin) {
        if (!get && !head) {
            r.status = 405;
            r.allow = "GET, HEAD";
            r.body = "405 Method Not Allowed\n";
            r.body_len = strlen(r.body);
            if (metrics)
                promc__http_self_count(&s->self, 405);
            return promc__http_deliver(s, c, &r) && r.keep_alive;
        }
    }
    if (metrics) {
        promc__http_self_scrape_started(&s->self);
        char accept[1024];
        size_t alen = req->accept
                          ? (req->accept_len < sizeof accept ? req->accept_len : sizeof accept - 1)
                          : 0;
        if (alen)
            memcpy(accept, req->accept, alen);
        accept[alen] = '\0';
        promc_format f =
            promc_negotiate(s->opts.disable_openmetrics ? NULL : accept, &r.content_type);
        promc__buf_reset(wb);
        int64_t t0 = promc__mono_ns();
        int rc = promc_encode(s->registry, f, promc__buf_writer, wb);
        if (rc != PROMC_OK) {
            r.status = 500;
            r.content_type = NULL;
            promc__buf_reset(wb);
            promc__buf_writer(wb, "500 exposition failed: ", 23);
            promc__buf_writer(wb, promc_last_error(), strlen(promc_last_error()));
            promc__buf_writer(wb, "\n", 1);
        } else {
            promc__http_self_scrape_encoded(&s->self, (double)(promc__mono_ns() - t0) / 1e9,
                                            wb->len);
        }
        r.body = wb->p;
        r.body_len = wb->len;
        bool ok = promc__http_deliver(s, c, &r);
        promc__http_self_scrape_finished(&s->self, r.status);
        return ok && r.keep_alive;
    }
    if (healthy) {
        r.body = "OK\n";
        r.body_len = 3;
        return promc__http_deliver(s, c, &r) && r.keep_alive;
    }
    if (s->opts.handler) {
        char method[32], p[1024];
        size_t ml = req->method_len < sizeof method ? req->method_len : sizeof method - 1;
        size_t pl = path_len < sizeof p ? path_len : sizeof p - 1;
        memcpy(method, req->method, ml);
        method[ml] = '\0';
        memcpy(p, path, pl);
        p[pl] = '\0';
        promc_http_response resp = {.status = 200};
        s->opts.handler(s->opts.handler_data, method, p, &resp);
        r.status = resp.status ? resp.status : 200;
        r.content_type = resp.content_type;
        r.body = resp.body;
        r.body_len = resp.body ? resp.body_len : 0;
        r.allow = resp.allow;
        bool valid = r.status >= 100 && r.status <= 999 &&
                     promc__http_safe_header_value(r.content_type) &&
                     promc__http_safe_header_value(r.allow) &&
                     (!r.content_type || strlen(r.content_type) <= 256) &&
                     (!r.allow || strlen(r.allow) <= 256);
        if (!valid) {
            /* A handler bug must not become a malformed response. */
            r = (struct promc__http_reply){.status = 500,
                                           .keep_alive = false,
                                           .head_only = head,
                                           .body = "500 invalid handler response\n"};
            r.body_len = strlen(r.body);
        }
        bool ok = promc__http_deliver(s, c, &r);
        if (s->opts.on_sent) {
            resp.status = r.status; /* what was sent (500 for an invalid response) */
            s->opts.on_sent(s->opts.handler_data, method, p, &resp, ok);
        }
        return ok && r.keep_alive;
    }
    if (span_eq(path, path_len, "/")) {
        const char *mp = s->registry ? s->metrics_path : "";
        char page[1024];
        int n = snprintf(page, sizeof page,
                         "<!DOCTYPE html>\n<html><head><title>promc exporter</title></head>\n"
                         "<body><h1>promc exporter</h1>\n<p><a href=\"%s\">Metrics</a></p>\n"
                         "</body></html>\n",
                         mp);
        r.content_type = "text/html; charset=utf-8";
        r.body = page;
        r.body_len = n > 0 && (size_t)n < sizeof page ? (size_t)n : 0;
        return promc__http_deliver(s, c, &r) && r.keep_alive;
    }
    r.status = 404;
    r.body = "404 Not Found\n";
    r.body_len = strlen(r.body);
    return promc__http_deliver(s, c, &r) && r.keep_alive;
}
