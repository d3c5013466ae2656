/*
 * The request a request handler reads (promc_http_request): built on the
 * worker thread from the parsed head, which stays in the connection's
 * buffer, and the body the loop received; every string is a span of that
 * buffer, NUL-terminated in place, so nothing is copied. Also the query
 * string's parameters (promc_http_query_value).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "http_internal.h"
#include "internal.h"

const char *promc__http_query_of(const struct promc__http_request *q, size_t *len)
{
    const char *end = q->target + q->target_len;
    const char *p = q->path + q->path_len;
    if (p >= end || *p != '?')
        return NULL;
    *len = (size_t)(end - p - 1);
    return p + 1;
}

/* Puts a NUL over the byte after p[0..len) in c->buf: a delimiter (the SP
 * after the method or target, the '?' after the path, the ':' after a
 * header name, the whitespace or line end after a value), which nothing
 * reads again: the head is dropped once answered. */
static const char *terminate(struct promc__http_conn *c, const char *p, size_t len)
{
    size_t at = (size_t)(p - c->buf);
    c->buf[at + len] = '\0';
    return c->buf + at;
}

/* The peer as text and port: an IPv4 client of a dual-stack socket
 * (::ffff:a.b.c.d) is shown as IPv4. */
static void format_peer(struct promc_http_request *r, const struct promc__http_conn *c)
{
    r->addr[0] = '\0';
    r->port = 0;
    const struct sockaddr *sa = (const struct sockaddr *)&c->peer;
    if (c->peer_len >= sizeof(struct sockaddr_in) && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, r->addr, sizeof r->addr);
        r->port = ntohs(in->sin_port);
    } else if (c->peer_len >= sizeof(struct sockaddr_in6) && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], r->addr, sizeof r->addr);
        else
            inet_ntop(AF_INET6, &in6->sin6_addr, r->addr, sizeof r->addr);
        r->port = ntohs(in6->sin6_port);
    }
}

void promc__http_request_init(struct promc_http_request *r, struct promc__http_conn *c)
{
    const struct promc__http_request *q = &c->req;
    size_t qlen = 0;
    /* The query first: terminating the path puts its NUL over the '?'. */
    const char *query = promc__http_query_of(q, &qlen);
    r->query = query ? terminate(c, query, qlen) : "";
    r->method = terminate(c, q->method, q->method_len);
    /* An absolute-form target without a path ("http://host") means "/". */
    r->path = q->path_len ? terminate(c, q->path, q->path_len) : "/";
    for (size_t i = 0; i < q->nheaders; i++) {
        terminate(c, q->headers[i].name, q->headers[i].name_len);
        terminate(c, q->headers[i].value, q->headers[i].value_len);
    }
    r->head = q;
    r->body = c->body ? c->body : "";
    r->body_len = c->body ? c->body_len : 0;
    format_peer(r, c);
}

const char *promc_http_request_method(const promc_http_request *req)
{
    return req ? req->method : NULL;
}

const char *promc_http_request_path(const promc_http_request *req)
{
    return req ? req->path : NULL;
}

const char *promc_http_request_query(const promc_http_request *req)
{
    return req ? req->query : NULL;
}

const char *promc_http_request_header(const promc_http_request *req, const char *name)
{
    if (!req || !name)
        return NULL;
    size_t n = strlen(name);
    for (size_t i = 0; i < req->head->nheaders; i++) {
        const struct promc__http_header *h = &req->head->headers[i];
        if (h->name_len == n && strncasecmp(h->name, name, n) == 0)
            return h->value;
    }
    return NULL;
}

int promc_http_request_header_at(const promc_http_request *req, size_t i, const char **name,
                                 const char **value)
{
    bool ok = req && name && value && i < req->head->nheaders;
    if (name)
        *name = ok ? req->head->headers[i].name : NULL;
    if (value)
        *value = ok ? req->head->headers[i].value : NULL;
    return ok;
}

const char *promc_http_request_client_addr(const promc_http_request *req)
{
    return req ? req->addr : NULL;
}

int promc_http_request_client_port(const promc_http_request *req)
{
    return req ? req->port : -1;
}

const char *promc_http_request_body(const promc_http_request *req, size_t *len)
{
    if (len)
        *len = req ? req->body_len : 0;
    return req ? req->body : NULL;
}

/* ===================================================================== */
/* Query parameters                                                       */
/* ===================================================================== */

/* Whether the encoded key k[0..n) decodes to key: decoded a byte at a time
 * into a small window, so a key of any length needs no buffer. -1 for a
 * malformed escape. */
static int key_matches(const char *k, size_t n, const char *key)
{
    size_t at = 0, klen = strlen(key);
    for (size_t i = 0; i < n;) {
        size_t step = k[i] == '%' ? 3 : 1;
        if (i + step > n)
            return -1;
        char ch;
        if (promc__http_query_decode(k + i, step, &ch) != 1)
            return -1;
        if (at >= klen || ch != key[at])
            return 0;
        at++;
        i += step;
    }
    return at == klen;
}

/* Records the failure; -1, what promc_http_query_value returns then. */
__attribute__((format(printf, 2, 3))) static long query_fail(int code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    promc__fail(code, "%s", msg);
    return -1;
}

long promc_http_query_value(const char *query, const char *key, char *out, size_t cap)
{
    if (!query || !key || !out || !cap)
        return query_fail(PROMC_EINVAL, "promc_http_query_value: %s",
                          !query ? "query is NULL"
                          : !key ? "key is NULL"
                          : !out ? "out is NULL"
                                 : "cap is 0");
    const char *end = query + strlen(query);
    for (const char *p = query; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pair_end = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pair_end - p));
        const char *key_end = eq ? eq : pair_end;
        int m = key_matches(p, (size_t)(key_end - p), key);
        if (m < 0)
            return query_fail(PROMC_EINVAL,
                              "query \"%.80s\": a '%%' not followed by two hex digits", query);
        if (m) {
            const char *v = eq ? eq + 1 : pair_end;
            size_t vlen = (size_t)(pair_end - v), dlen = 0;
            /* Its decoded length first (each escape is one byte), so that a
             * value too long for out is refused before out is written. */
            for (size_t i = 0; i < vlen; dlen++) {
                i += v[i] == '%' ? 3 : 1;
                if (i > vlen)
                    return query_fail(PROMC_EINVAL,
                                      "query \"%.80s\": a '%%' not followed by two hex digits",
                                      query);
            }
            if (dlen >= cap)
                return query_fail(PROMC_ELIMIT,
                                  "query parameter \"%.80s\" has a value of %zu bytes, more "
                                  "than %zu bytes of room with its NUL",
                                  key, dlen, cap);
            if (promc__http_query_decode(v, vlen, out) != (long)dlen)
                return query_fail(PROMC_EINVAL,
                                  "query \"%.80s\": a '%%' not followed by two hex digits", query);
            out[dlen] = '\0';
            promc__ok();
            return (long)dlen;
        }
        p = pair_end + (amp != NULL);
    }
    return query_fail(PROMC_ENOENT, "query has no parameter \"%.80s\"", key);
}
