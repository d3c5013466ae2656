/*
 * What the HTTP server answers: the metrics endpoint (negotiated format,
 * self-metrics), /-/healthy, the index page, the application's handler, and
 * the 401/404/405 errors, after Basic authentication. Runs on worker
 * threads, except the health check, which the event loop answers itself.
 */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "gather.h"
#include "gzip.h"
#include "http_internal.h"
#include "internal.h"

/* ===================================================================== */
/* Callbacks and request tests                                            */
/* ===================================================================== */

/* The server whose callback this thread is running (a handler, on_sent, or
 * the collectors of a scrape) is the thread's callback owner (gather.c),
 * so that promc_http_server_free can refuse to be called from it: it would
 * wait for this very thread to finish. A collection that runs on a
 * collector thread for the scrape takes the owner along. */
static const void *enter_callbacks(const promc_http_server *s)
{
    return promc__callback_owner_set(s);
}

static void leave_callbacks(const void *outer)
{
    promc__callback_owner_set(outer);
}

bool promc__http_in_callback_of(const promc_http_server *s)
{
    return promc__callback_owner() == s;
}

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

/* /-/healthy and /-/ready (Prometheus's own pair): the server is up, and
 * once it answers at all it is ready to be scraped. */
static bool path_is_health(const struct promc__http_request *q)
{
    return path_is(q, "/-/healthy") || path_is(q, "/-/ready");
}

bool promc__http_has_handler(const promc_http_server *s)
{
    return s->opts.handler || s->opts.request_handler;
}

bool promc__http_wants_body(const promc_http_server *s, const struct promc__http_request *q)
{
    return s->opts.request_handler && (q->content_length > 0 || q->chunked) &&
           !promc__http_is_metrics(s, q);
}

/* With a handler, the application owns /-/healthy and /-/ready. */
bool promc__http_is_health_check(const promc_http_server *s, const struct promc__http_request *q)
{
    bool get_or_head =
        span_eq(q->method, q->method_len, "GET") || span_eq(q->method, q->method_len, "HEAD");
    return !promc__http_has_handler(s) && get_or_head && !q->chunked && path_is_health(q);
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
    if (!s->auth && !s->opts.basic_auth_check)
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
    char decoded[PROMC__HTTP_AUTH_MAX + 1]; /* room for a NUL */
    long dlen = promc__base64_decode(a, n, decoded, PROMC__HTTP_AUTH_MAX);
    if (dlen < 0)
        return false;
    if (s->auth)
        return promc__http_consttime_equal(decoded, (size_t)dlen, s->auth, strlen(s->auth));
    /* The application's check: user and password NUL-terminated apart. */
    char *colon = memchr(decoded, ':', (size_t)dlen);
    if (!colon || memchr(decoded, '\0', (size_t)dlen))
        return false;
    *colon = '\0';
    decoded[dlen] = '\0';
    const void *outer = enter_callbacks(s);
    int ok = s->opts.basic_auth_check(s->opts.basic_auth_data, decoded, colon + 1);
    leave_callbacks(outer);
    return ok != 0;
}

/* ===================================================================== */
/* Route handlers                                                         */
/* ===================================================================== */

/* One request being answered, as every route handler sees it. */
struct route {
    promc_http_server *s;
    struct promc__http_conn *c;
    const struct promc__http_request *req;
    bool get, head;
    bool metrics; /* the metrics endpoint: its answers are counted */
    struct promc__http_scratch *w;
    struct promc__buf *wb; /* &w->body */
};

/* The reply every route starts from: 200, keep-alive as the client asked
 * (not after a chunked body, which is not read), no body for HEAD. */
static struct promc__http_reply base_reply(const struct route *rt)
{
    struct promc__http_reply r = {.status = 200,
                                  .keep_alive = rt->req->keep_alive && !rt->req->chunked,
                                  .head_only = rt->head};
    return r;
}

/* Sends r (or the 503 that replaces it when there is no room for it);
 * returns whether the connection stays open. */
static bool respond(const struct route *rt, struct promc__http_reply *r)
{
    return promc__http_deliver(rt->s, rt->c, r) && r->keep_alive;
}

/* An error with its status line as the body (counted on the metrics path,
 * as sent). */
/* Counts a reply's status in the server's own metrics as it is sent. */
static void count_sent(void *self, int status)
{
    promc__http_self_count(self, status);
}

static bool answer_error(const struct route *rt, int status, const char *body)
{
    struct promc__http_reply r = base_reply(rt);
    r.status = status;
    r.body = body;
    r.body_len = strlen(body);
    r.auth_challenge = status == 401;
    r.allow = status == 405 ? "GET, HEAD" : NULL;
    if (rt->metrics) {
        r.sending = count_sent;
        r.sending_ctx = &rt->s->self;
    }
    return respond(rt, &r);
}

/* The span p[0..len) of the request head in c->buf, NUL-terminated in
 * place: the NUL goes over the byte after it, which is a delimiter inside
 * the head (the SP after the method, the '?' or SP after the path, the
 * whitespace or line end after a header value). The head is dropped once
 * answered and never parsed again, so nothing reads that byte afterwards.
 * No copy, so nothing to truncate, whatever max_target and max_head allow. */
static const char *terminate(struct promc__http_conn *c, const char *p, size_t len)
{
    size_t at = (size_t)(p - c->buf);
    c->buf[at + len] = '\0';
    return c->buf + at;
}

/* Whether the client's Accept-Encoding headers (all of them, as one list)
 * let the scrape be answered with gzip. */
static bool wants_gzip(const struct promc__http_request *req)
{
    struct promc__accept_encoding ae = {0};
    for (size_t i = 0; i < req->nheaders; i++) {
        const struct promc__http_header *h = &req->headers[i];
        if (h->name_len == 15 && strncasecmp(h->name, "accept-encoding", 15) == 0)
            promc__accept_encoding_add(&ae, h->value, h->value_len);
    }
    return promc__accept_encoding_gzip(&ae);
}

/* Feeds the exposition to the gzip stream (ctx). */
static int gzip_writer(void *ctx, const char *data, size_t len)
{
    return promc__gzip_write(ctx, data, len);
}

/* Whether the worker has its compressor (made on its first compressed
 * scrape; without one, scrapes go out uncompressed). */
static bool gzip_ready(struct promc__http_scratch *w)
{
    if (!w->gz)
        w->gz = promc__gzip_new();
    return w->gz != NULL;
}

/* Counts the bytes of a HEAD's body (ctx: a size_t), which is not sent:
 * its Content-Length without keeping it. */
static int count_writer(void *ctx, const char *data, size_t len)
{
    (void)data;
    *(size_t *)ctx += len;
    return 0;
}

/* Encodes the exposition into out(ctx) -- the stream of a GET, the
 * counter of a HEAD -- compressed through w->gz when gzip is set. The
 * encoder hands its text over in chunks of its fixed buffer, which go
 * straight into the compressor: only the compressed body is kept, never
 * the whole text beside it. Returns the encoder's code. */
static int encode_body(promc_http_server *s, struct promc__http_scratch *w, promc_format f,
                       const promc_scrape_opts *so, bool gzip, promc_write_fn out, void *ctx)
{
    if (!gzip)
        return promc_encode_ex(s->registry, f, out, ctx, so);
    promc__gzip_start(w->gz, out, ctx);
    int rc = promc_encode_ex(s->registry, f, gzip_writer, w->gz, so);
    /* The stream is ended whatever the encoder said, so that a partial
     * exposition served on error is still a whole gzip member; a failed
     * compressor write can only be the body running out of memory or the
     * client gone, which the body and the stream show. */
    promc__gzip_finish(w->gz);
    return rc;
}

/* Makes room for cap bytes (or elements of size elem) in *p. */
static bool reserve(void **p, size_t *have, size_t want, size_t elem)
{
    if (*have >= want)
        return true;
    void *q = promc__realloc(*p, want * elem);
    if (!q)
        return false;
    *p = q;
    *have = want;
    return true;
}

/* The values of the query's name[] parameters (client_golang's promhttp
 * filter), percent-decoded into the worker's scratch, as a NULL-terminated
 * list in *names; *names NULL when the query has none. Every parameter is
 * decoded, so a malformed escape anywhere is PROMC_EINVAL; PROMC_ENOMEM. A
 * value with a NUL byte cannot name a family: it is left out of the list,
 * but still makes it a filter. */
static int query_names(struct promc__http_scratch *w, const struct promc__http_request *req,
                       const char *const **names)
{
    *names = NULL;
    size_t qlen = 0;
    const char *q = promc__http_query_of(req, &qlen);
    if (!q)
        return PROMC_OK;
    /* Each pair decodes to at most its own length plus a NUL, and there is
     * at most one pair a byte, plus one. */
    if (!reserve((void **)&w->names, &w->names_cap, 2 * qlen + 2, 1) ||
        !reserve((void **)&w->name_list, &w->name_list_cap, qlen + 2, sizeof(char *)))
        return PROMC_ENOMEM;
    size_t used = 0, n = 0;
    bool filter = false;
    for (const char *p = q, *end = q + qlen; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pair_end = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pair_end - p));
        const char *key_end = eq ? eq : pair_end;
        const char *value = eq ? eq + 1 : pair_end;
        char *out = w->names + used;
        long klen = promc__http_query_decode(p, (size_t)(key_end - p), out);
        if (klen < 0)
            return PROMC_EINVAL;
        bool is_name = klen == 6 && memcmp(out, "name[]", 6) == 0;
        long vlen = promc__http_query_decode(value, (size_t)(pair_end - value), out);
        if (vlen < 0)
            return PROMC_EINVAL;
        if (is_name) {
            filter = true;
            if (!memchr(out, '\0', (size_t)vlen)) {
                out[vlen] = '\0';
                w->name_list[n++] = out;
                used += (size_t)vlen + 1;
            }
        }
        p = pair_end + (amp != NULL);
    }
    w->name_list[n] = NULL;
    if (filter)
        *names = w->name_list;
    return PROMC_OK;
}

/* Parses a decimal number of seconds as Prometheus writes it ("10",
 * "1.5"): digits with at most one '.', at least one digit. Locale-free,
 * unlike strtod. False for anything else, or not above 0. */
static bool parse_seconds(const char *p, size_t n, double *out)
{
    double v = 0, scale = 1;
    bool dot = false, digit = false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '.' && !dot) {
            dot = true;
        } else if (p[i] >= '0' && p[i] <= '9') {
            digit = true;
            if (dot)
                v += (p[i] - '0') * (scale /= 10);
            else
                v = v * 10 + (p[i] - '0');
        } else {
            return false;
        }
    }
    *out = v;
    return digit && v > 0 && isfinite(v);
}

/* The seconds the scrape may wait for collectors: the client's
 * X-Prometheus-Scrape-Timeout-Seconds less the offset (at most half of it),
 * within the server's maximum; 0 for no limit. False for a header that is
 * not a positive number. */
static bool scrape_timeout(const promc_http_server *s, const struct promc__http_request *req,
                           double *timeout)
{
    static const char name[] = "x-prometheus-scrape-timeout-seconds";
    *timeout = 0;
    for (size_t i = 0; i < req->nheaders; i++) {
        const struct promc__http_header *h = &req->headers[i];
        if (h->name_len != sizeof name - 1 || strncasecmp(h->name, name, sizeof name - 1) != 0)
            continue;
        double t;
        if (!parse_seconds(h->value, h->value_len, &t))
            return false;
        double offset = s->opts.scrape_timeout_offset;
        *timeout = t - (offset < t / 2 ? offset : t / 2);
        break;
    }
    double max = s->opts.max_scrape_timeout;
    if (max > 0 && (*timeout == 0 || *timeout > max))
        *timeout = max;
    return true;
}

/* What a scrape counts when its reply goes out. */
struct scrape_sent {
    promc_http_server *s;
    bool serving;
    double seconds;
    size_t exposition_bytes, body_bytes;
};

/* Counts a scrape in the server's own metrics as its reply is sent: a
 * 503 instead when there was no room for the body. */
static void scrape_sending(void *ctx, int status)
{
    struct scrape_sent *x = ctx;
    if (x->serving && status == 200)
        promc__http_self_scrape_encoded(&x->s->self, x->seconds, x->exposition_bytes,
                                        x->body_bytes);
    promc__http_self_scrape_finished(&x->s->self, status);
}

static bool answer_metrics(const struct route *rt)
{
    promc_http_server *s = rt->s;
    const struct promc__http_request *req = rt->req;
    struct promc__buf *wb = rt->wb;
    struct promc__http_reply r = base_reply(rt);
    promc_scrape_opts so = {0};
    int qrc = query_names(rt->w, req, &so.names);
    if (qrc == PROMC_EINVAL)
        return answer_error(rt, 400, "400 malformed query: a '%' not followed by two hex digits\n");
    if (qrc != PROMC_OK)
        return answer_error(rt, 500, "500 out of memory\n");
    if (!scrape_timeout(s, req, &so.timeout))
        return answer_error(rt, 400,
                            "400 X-Prometheus-Scrape-Timeout-Seconds is not a positive number "
                            "of seconds\n");
    promc__http_self_scrape_started(&s->self);
    const char *accept = req->accept && !s->opts.disable_openmetrics
                             ? terminate(rt->c, req->accept, req->accept_len)
                             : NULL;
    promc_format f = promc_negotiate_escaping(accept, &so.escaping, &r.content_type);
    bool gzip = !s->opts.disable_gzip && wants_gzip(req) && gzip_ready(rt->w);
    r.gzip = gzip;
    r.vary_encoding = !s->opts.disable_gzip;
    /* What is counted as the reply goes out; filled in once encoded. */
    struct scrape_sent sent = {s, false, 0, 0, 0};
    r.sending = scrape_sending;
    r.sending_ctx = &sent;
    struct promc__chain *body = &rt->w->scrape;
    promc__chain_clear(body);
    /* A HEAD has no body to stream, HTTP/1.0 no chunked bodies. */
    struct promc__http_stream st;
    promc__http_stream_init(&st, s, rt->c, body, &r,
                            rt->head || req->minor_version == 0 ? 0 : s->opts.stream_threshold);
    int64_t t0 = promc__mono_ns();
    const void *outer = enter_callbacks(s);
    size_t head_bytes = 0; /* a HEAD's body: counted, not kept */
    int rc = rt->head ? encode_body(s, rt->w, f, &so, gzip, count_writer, &head_bytes)
                      : encode_body(s, rt->w, f, &so, gzip, promc__http_stream_write, &st);
    leave_callbacks(outer);
    size_t body_bytes = rt->head ? head_bytes : st.body_bytes + body->len;
    size_t exposition_bytes = gzip ? (size_t)promc__gzip_in_bytes(rt->w->gz) : body_bytes;
    /* Partial output is served only when it is what the encoder meant to
     * write: not when memory ran out, in it or in the body buffer. */
    bool partial_ok = s->opts.serve_partial_on_error && rc != PROMC_ENOMEM && !body->oom;
    double seconds = (double)(promc__mono_ns() - t0) / 1e9;
    bool serving = rc == PROMC_OK || partial_ok;
    if (rc != PROMC_OK && !st.gone)
        promc__http_self_scrape_failed(&s->self);
    sent.serving = serving;
    sent.seconds = seconds;
    sent.exposition_bytes = exposition_bytes;
    if (st.started) {
        sent.body_bytes = body_bytes;
        return promc__http_stream_end(&st, serving) && r.keep_alive;
    }
    if (serving) {
        r.chain = rt->head ? NULL : body;
        r.body_len = body_bytes;
    } else {
        r.gzip = false;
        r.status = 500;
        r.content_type = NULL;
        promc__chain_clear(body);
        promc__buf_reset(wb);
        promc__buf_str(wb, "500 exposition failed: ");
        promc__buf_str(wb, promc_last_error());
        promc__buf_str(wb, "\n");
        r.body = wb->p;
        r.body_len = wb->len;
    }
    sent.body_bytes = r.body_len;
    bool ok = promc__http_deliver(s, rt->c, &r);
    return ok && r.keep_alive;
}

/* The loop answers most health checks itself; a worker gets those that
 * were pipelined behind another request, or came with a chunked body. */
static bool answer_health(const struct route *rt)
{
    struct promc__http_reply r = base_reply(rt);
    r.body = "OK\n";
    r.body_len = 3;
    return respond(rt, &r);
}

/* Appends s with the characters that mean something in HTML escaped. */
static void put_html(struct promc__buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            promc__buf_str(b, "&amp;");
            break;
        case '<':
            promc__buf_str(b, "&lt;");
            break;
        case '>':
            promc__buf_str(b, "&gt;");
            break;
        case '"':
            promc__buf_str(b, "&quot;");
            break;
        case '\'':
            promc__buf_str(b, "&#39;");
            break;
        default:
            promc__buf_put(b, s, 1);
        }
    }
}

/* A page linking to the metrics path, built in the worker's buffer: it
 * grows with the path, which may be as long as max_target. */
static bool answer_index(const struct route *rt)
{
    promc_http_server *s = rt->s;
    struct promc__buf *wb = rt->wb;
    promc__buf_reset(wb);
    promc__buf_str(wb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"UTF-8\">"
                       "<title>");
    put_html(wb, s->index_name);
    promc__buf_str(wb, "</title></head>\n<body>\n<header><h1>");
    put_html(wb, s->index_name);
    promc__buf_str(wb, "</h1></header>\n<main>\n");
    if (s->index_description) {
        promc__buf_str(wb, "<h2>");
        put_html(wb, s->index_description);
        promc__buf_str(wb, "</h2>\n");
    }
    if (s->index_version) {
        promc__buf_str(wb, "<div>Version: ");
        put_html(wb, s->index_version);
        promc__buf_str(wb, "</div>\n");
    }
    if (s->registry) {
        promc__buf_str(wb, "<div><ul><li><a href=\"");
        put_html(wb, s->metrics_path);
        promc__buf_str(wb, "\">Metrics</a></li></ul></div>\n");
    }
    promc__buf_str(wb, "</main>\n</body></html>\n");
    if (wb->oom)
        return answer_error(rt, 500, "500 out of memory\n");
    struct promc__http_reply r = base_reply(rt);
    r.content_type = "text/html; charset=utf-8";
    r.body = wb->p;
    r.body_len = wb->len;
    return respond(rt, &r);
}

/* What a handler answered, unless it would make a malformed response. */
static bool valid_response(const promc_http_response *resp)
{
    int status = resp->status ? resp->status : 200;
    return status >= 100 && status <= 999 && promc__http_safe_header_value(resp->content_type) &&
           promc__http_safe_header_value(resp->allow) &&
           (!resp->content_type || strlen(resp->content_type) <= PROMC__HTTP_HEADER_VALUE_MAX) &&
           (!resp->allow || strlen(resp->allow) <= PROMC__HTTP_HEADER_VALUE_MAX);
}

/* Bytes of body a response has, as promhttp's ResponseSize counts what the
 * handler writes: none for 1xx, 204 and 304 (net/http refuses those
 * writes), the body's for HEAD (net/http accepts and drops them, and the
 * head carries its Content-Length). */
static size_t response_size(const struct promc__http_reply *r)
{
    bool bodiless = r->status < 200 || r->status == 204 || r->status == 304;
    return bodiless ? 0 : r->body_len;
}

static bool answer_handler(const struct route *rt)
{
    promc_http_server *s = rt->s;
    promc_http_instrument *inst = s->opts.instrument;
    struct promc_http_request request;
    promc__http_request_init(&request, rt->c);
    promc_http_response resp = {.status = 200};
    int64_t t0 = inst ? promc__mono_ns() : 0;
    promc__http_instrument_begin(inst);
    const void *outer = enter_callbacks(s);
    if (s->opts.request_handler)
        s->opts.request_handler(s->opts.handler_data, &request, &resp);
    else
        s->opts.handler(s->opts.handler_data, request.method, request.path, &resp);
    leave_callbacks(outer);
    /* The body's bytes go back to the budget before the answer goes out, so
     * a client that sends its next body once it has the answer finds room;
     * its memory lives until the request is done (the response may point
     * into it, however briefly the contract allows). */
    promc__http_conn_uncount_body(s, rt->c);
    struct promc__http_reply r = base_reply(rt);
    if (valid_response(&resp)) {
        r.status = resp.status ? resp.status : 200;
        r.content_type = resp.content_type;
        r.body = resp.body;
        r.body_len = resp.body ? resp.body_len : 0;
        r.allow = resp.allow;
    } else {
        /* A handler bug must not become a malformed response. */
        r.status = 500;
        r.keep_alive = false;
        r.body = "500 invalid handler response\n";
        r.body_len = strlen(r.body);
    }
    bool ok = promc__http_deliver(s, rt->c, &r);
    if (inst)
        promc__http_instrument_end(inst, request.method, r.status, response_size(&r),
                                   (double)(promc__mono_ns() - t0) / 1e9);
    if (s->opts.on_sent) {
        /* What was sent: 500 for an invalid response, 503 without room. */
        resp.status = r.status;
        outer = enter_callbacks(s);
        s->opts.on_sent(s->opts.handler_data, request.method, request.path, &resp, ok);
        leave_callbacks(outer);
    }
    return ok && r.keep_alive;
}

/* ===================================================================== */
/* Dispatch                                                               */
/* ===================================================================== */

bool promc__http_answer(promc_http_server *s, struct promc__http_conn *c,
                        struct promc__http_scratch *w)
{
    const struct promc__http_request *req = &c->req;
    struct route rt = {.s = s,
                       .c = c,
                       .req = req,
                       .get = span_eq(req->method, req->method_len, "GET"),
                       .head = span_eq(req->method, req->method_len, "HEAD"),
                       .metrics = promc__http_is_metrics(s, req),
                       .w = w,
                       .wb = &w->body};
    /* With a handler, the application owns every path but the metrics one. */
    bool handler = promc__http_has_handler(s);
    bool healthy = !handler && path_is_health(req);
    bool index = !handler && path_is(req, "/");

    bool authed = healthy || authorized(s, req);
    /* Only a handler reads a body: for any other answer, its bytes go back
     * to the budget before the answer goes out. */
    if (!(authed && handler && !rt.metrics))
        promc__http_conn_uncount_body(s, c);
    if (!authed)
        return answer_error(&rt, 401, "401 Unauthorized\n");
    if ((rt.metrics || healthy || index) && !rt.get && !rt.head)
        return answer_error(&rt, 405, "405 Method Not Allowed\n");
    if (rt.metrics)
        return answer_metrics(&rt);
    if (healthy)
        return answer_health(&rt);
    if (index)
        return answer_index(&rt);
    if (handler)
        return answer_handler(&rt);
    return answer_error(&rt, 404, "404 Not Found\n");
}
