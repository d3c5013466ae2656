/*
 * HTTP responses for the built-in server: status reasons, the Date header,
 * the response head, and getting a response onto the wire without ever
 * waiting for the client. What a slow reader does not take at once is kept
 * for the event loop to write, within one budget for the whole server.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_internal.h"
#include "internal.h"

const char *promc__http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    }
    /* The reason phrase is informative only (RFC 9112 §4): name the class. */
    static const char *const classes[] = {"Informational", "Success", "Redirection", "Client Error",
                                          "Server Error"};
    return status >= 100 && status < 600 ? classes[status / 100 - 1] : "Unknown";
}

int promc__http_error_status(int parse_error)
{
    switch (parse_error) {
    case PROMC__HTTP_URI_TOO_LONG:
        return 414;
    case PROMC__HTTP_HEADERS_TOO_LARGE:
        return 431;
    case PROMC__HTTP_BAD_VERSION:
        return 505;
    default:
        return 400;
    }
}

/* An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", 29 bytes) and its NUL. */
#define DATE_SIZE 30

/* n's last `digits` decimal digits at p; returns the end. */
static char *put_digits(char *p, int n, int digits)
{
    for (int i = digits - 1; i >= 0; i--, n /= 10)
        p[i] = (char)('0' + n % 10);
    return p + digits;
}

/* IMF-fixdate without strftime, whose day and month names follow the
 * locale, and without snprintf, whose worst case for five ints a compiler
 * without range analysis (-O0) warns does not fit. */
static void http_date(char out[DATE_SIZE])
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char *p = out;
    memcpy(p, days[tm.tm_wday % 7], 3);
    p = (char *)memcpy(p + 3, ", ", 2) + 2;
    p = put_digits(p, tm.tm_mday, 2);
    *p++ = ' ';
    p = (char *)memcpy(p, months[tm.tm_mon % 12], 3) + 3;
    *p++ = ' ';
    p = put_digits(p, tm.tm_year + 1900, 4);
    *p++ = ' ';
    p = put_digits(p, tm.tm_hour, 2);
    *p++ = ':';
    p = put_digits(p, tm.tm_min, 2);
    *p++ = ':';
    p = put_digits(p, tm.tm_sec, 2);
    memcpy(p, " GMT", 5);
}

bool promc__http_safe_header_value(const char *v)
{
    for (; v && *v; v++)
        if ((unsigned char)*v < 0x20 && *v != '\t')
            return false;
    return true;
}

/* PROMC__HTTP_HEAD_MAX, the bytes of a response head: its own lines take at
 * most 278 -- the status line with the longest reason (46), Date (37),
 * Content-Length with 20 digits (38, or Transfer-Encoding: chunked, 28),
 * Connection (24), WWW-Authenticate (58), Content-Encoding (24), Vary (23),
 * the Content-Type and Allow names (25) and the final CRLF; the two values
 * a handler chooses are at most PROMC__HTTP_HEADER_VALUE_MAX each, the
 * server's extra header lines at most PROMC__HTTP_EXTRA_HEADERS_MAX
 * together. Were it ever too small, the head would be refused (the
 * connection closes), never truncated. */
#define HEAD_MAX PROMC__HTTP_HEAD_MAX

/* 1xx, 204 and 304 carry no body and no Content-Length. */
static bool bodiless(int status)
{
    return status < 200 || status == 204 || status == 304;
}

size_t promc__http_format_head(char *h, size_t cap, const struct promc__http_reply *r)
{
    char date[DATE_SIZE];
    http_date(date);
    char length[48] = ""; /* "Content-Length: " + 20 digits + CRLF */
    if (!bodiless(r->status) && r->chunked)
        snprintf(length, sizeof length, "Transfer-Encoding: chunked\r\n");
    else if (!bodiless(r->status))
        snprintf(length, sizeof length, "Content-Length: %zu\r\n", r->body_len);
    int n = snprintf(h, cap,
                     "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: %s\r\n%s%s%s"
                     "Connection: %s\r\n%s%s%s%s%s\r\n",
                     r->status, promc__http_reason(r->status), date,
                     r->content_type ? r->content_type : "text/plain; charset=utf-8",
                     r->gzip ? "Content-Encoding: gzip\r\n" : "",
                     r->vary_encoding ? "Vary: Accept-Encoding\r\n" : "", length,
                     r->keep_alive ? "keep-alive" : "close", r->allow ? "Allow: " : "",
                     r->allow ? r->allow : "", r->allow ? "\r\n" : "",
                     r->auth_challenge ? "WWW-Authenticate: Basic realm=\"metrics\", "
                                         "charset=\"UTF-8\"\r\n"
                                       : "",
                     r->extra_headers ? r->extra_headers : "");
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* sendmsg with MSG_NOSIGNAL: a client that hung up must not SIGPIPE us. */
ssize_t promc__http_write_now(int fd, struct iovec *iov, int n)
{
    size_t total = 0;
    while (n > 0) {
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return -1;
        }
        total += (size_t)w;
        promc__iov_consume(&iov, &n, (size_t)w);
    }
    return (ssize_t)total;
}

/* ===================================================================== */
/* The budget for unsent output                                           */
/* ===================================================================== */

/* How long a worker waits for the event loop to shed slow readers when a
 * response does not fit in the budget. The loop sheds as soon as it wakes,
 * within microseconds; a second covers a loaded machine and is short beside
 * a scrape timeout (Prometheus's default is 10 s). */
#define ROOM_WAIT_NS 1000000000L

/* Takes n bytes of the budget if they fit now. */
static bool try_reserve(promc_http_server *s, size_t n)
{
    size_t max = s->opts.max_pending_bytes;
    size_t cur = atomic_load(&s->pending);
    do {
        if (cur > max || n > max - cur)
            return false;
    } while (!atomic_compare_exchange_weak(&s->pending, &cur, cur + n));
    return true;
}

/* Gives n bytes back and wakes the workers waiting for room. Both atomics
 * are sequentially consistent: either this sees a waiter's pending_wanted
 * and wakes it under its lock, or the waiter's next try (after it raised
 * pending_wanted) sees these bytes free -- no wake-up is lost. */
static void release(promc_http_server *s, size_t n)
{
    if (!n)
        return;
    atomic_fetch_sub(&s->pending, n);
    if (atomic_load(&s->pending_wanted)) {
        pthread_mutex_lock(&s->room_lock);
        pthread_cond_broadcast(&s->room_freed);
        pthread_mutex_unlock(&s->room_lock);
    }
}

/* Takes n bytes of the budget, asking the event loop, which owns the
 * connections, to shed slow readers when they do not fit, and waiting for
 * that at most ROOM_WAIT_NS. False when there is still no room, when n is
 * more than the whole budget (shedding could not help), or when the server
 * is stopping (nothing is shed any more). */
bool promc__http_reserve(promc_http_server *s, size_t n)
{
    if (try_reserve(s, n))
        return true;
    if (n > s->opts.max_pending_bytes)
        return false;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += ROOM_WAIT_NS % 1000000000L;
    until.tv_sec += ROOM_WAIT_NS / 1000000000L + until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    atomic_fetch_add(&s->pending_wanted, n);
    uint64_t one = 1;
    if (write(s->event_fd, &one, sizeof one) < 0) {
        /* cannot fail (see give_back); the loop also looks every tick */
    }
    pthread_mutex_lock(&s->room_lock);
    bool ok;
    while (!(ok = try_reserve(s, n)) && !atomic_load(&s->stopping))
        if (pthread_cond_timedwait(&s->room_freed, &s->room_lock, &until) == ETIMEDOUT) {
            ok = try_reserve(s, n);
            break;
        }
    pthread_mutex_unlock(&s->room_lock);
    atomic_fetch_sub(&s->pending_wanted, n);
    return ok;
}

void promc__http_room_wake_all(promc_http_server *s)
{
    pthread_mutex_lock(&s->room_lock);
    pthread_cond_broadcast(&s->room_freed);
    pthread_mutex_unlock(&s->room_lock);
}

/* ===================================================================== */
/* Sending                                                                */
/* ===================================================================== */

/* The blocks of a chained body one write takes at most: 4 MiB, more than a
 * socket buffer holds. */
#define SEND_BLOCKS 64

/* Sends the head, then the flat body or the chain, total bytes of which are
 * reserved in the budget: what the socket takes now is given back at once,
 * the rest goes to c->out (keeping its reservation) for the loop to write --
 * the unsent part of the head and of a flat body copied, the chain's blocks
 * handed over. The chain is empty afterwards. */
static bool send_reserved(promc_http_server *s, struct promc__http_conn *c, const char *head,
                          size_t hlen, const char *body, size_t blen, struct promc__chain *chain,
                          size_t total)
{
    size_t fixed = hlen + blen, sent = 0; /* sent: of the head and flat body */
    for (;;) {
        struct iovec iov[2 + SEND_BLOCKS];
        int n = 0;
        if (sent < hlen)
            iov[n++] = (struct iovec){(void *)(head + sent), hlen - sent};
        if (sent < fixed && blen) {
            size_t off = sent > hlen ? sent - hlen : 0;
            iov[n++] = (struct iovec){(void *)(body + off), blen - off};
        }
        if (chain)
            n += promc__chain_iov(chain, iov + n, SEND_BLOCKS);
        if (!n)
            break;
        size_t want = 0;
        for (int i = 0; i < n; i++)
            want += iov[i].iov_len;
        ssize_t w = promc__http_write_now(c->fd, iov, n);
        if (w < 0) {
            release(s, total);
            if (chain)
                promc__chain_clear(chain);
            return false;
        }
        size_t from_fixed = fixed - sent < (size_t)w ? fixed - sent : (size_t)w;
        sent += from_fixed;
        if (chain)
            promc__chain_consume(chain, (size_t)w - from_fixed);
        release(s, (size_t)w);
        total -= (size_t)w;
        if ((size_t)w < want)
            break;
    }
    if (!total)
        return true;
    /* The unsent tail: first of the head, then of the body. */
    if (sent < hlen)
        promc__chain_put_exact(&c->out, head + sent, hlen - sent);
    if (sent < fixed && blen) {
        size_t off = sent > hlen ? sent - hlen : 0;
        promc__chain_put_exact(&c->out, body + off, blen - off);
    }
    if (chain)
        promc__chain_splice(&c->out, chain);
    if (c->out.oom) {
        promc__chain_clear(&c->out);
        release(s, total);
        return false;
    }
    return true;
}

/* The answer when a response does not fit in the budget: a 503 instead,
 * before any byte of the response, and the connection closes after it. It
 * is small (a head and one line), so what the socket does not take of it is
 * kept beyond the budget: at most ~1 KB a connection, and a client always
 * learns why. */
static bool refuse(promc_http_server *s, struct promc__http_conn *c, struct promc__http_reply *r)
{
    static const char body[] = "503 Service Unavailable: too much output is waiting for slow "
                               "readers\n";
    *r = (struct promc__http_reply){.status = 503,
                                    .body = body,
                                    .body_len = sizeof body - 1,
                                    .head_only = r->head_only,
                                    .extra_headers = s->extra_headers,
                                    .sending = r->sending,
                                    .sending_ctx = r->sending_ctx};
    char head[HEAD_MAX];
    size_t hlen = promc__http_format_head(head, sizeof head, r);
    if (r->sending)
        r->sending(r->sending_ctx, r->status);
    if (!hlen)
        return false;
    size_t blen = r->head_only ? 0 : r->body_len;
    atomic_fetch_add(&s->pending, hlen + blen);
    return send_reserved(s, c, head, hlen, r->body, blen, NULL, hlen + blen);
}

/* A slow reader costs memory, within the budget, never a worker: the event
 * loop writes c->out as the client reads (within write_timeout). The whole
 * response is reserved before its first byte is sent, so it never stops
 * halfway for want of room. */
bool promc__http_deliver(promc_http_server *s, struct promc__http_conn *c,
                         struct promc__http_reply *r)
{
    r->extra_headers = s->extra_headers;
    struct promc__chain *chain = r->chain;
    r->chain = NULL;
    if (chain)
        r->body_len = chain->len;
    char head[HEAD_MAX];
    size_t hlen = promc__http_format_head(head, sizeof head, r);
    bool with_body = hlen && !r->head_only && !bodiless(r->status) && r->body_len;
    if (chain && !with_body)
        promc__chain_clear(chain); /* nothing of it is sent */
    if (chain)
        promc__chain_seal(chain); /* complete: its last block's unused pages go back */
    if (!hlen) {
        if (r->sending)
            r->sending(r->sending_ctx, r->status);
        return false;
    }
    size_t blen = with_body && !chain ? r->body_len : 0;
    size_t total = hlen + (with_body ? r->body_len : 0);
    if (!promc__http_reserve(s, total)) {
        if (chain)
            promc__chain_clear(chain);
        return refuse(s, c, r);
    }
    if (r->sending)
        r->sending(r->sending_ctx, r->status);
    return send_reserved(s, c, head, hlen, r->body, blen, with_body ? chain : NULL, total);
}

bool promc__http_write_chain(int fd, struct promc__chain *out, size_t *written)
{
    *written = 0;
    while (out->len) {
        struct iovec iov[SEND_BLOCKS];
        int n = promc__chain_iov(out, iov, SEND_BLOCKS);
        size_t want = 0;
        for (int i = 0; i < n; i++)
            want += iov[i].iov_len;
        ssize_t w = promc__http_write_now(fd, iov, n);
        if (w < 0)
            return false;
        promc__chain_consume(out, (size_t)w);
        *written += (size_t)w;
        if ((size_t)w < want)
            break;
    }
    return true;
}

bool promc__http_write_out(promc_http_server *s, struct promc__http_conn *c)
{
    size_t written;
    bool ok = promc__http_write_chain(c->fd, &c->out, &written);
    release(s, written);
    return ok;
}

void promc__http_drop_out(promc_http_server *s, struct promc__http_conn *c)
{
    size_t n = c->out.len;
    promc__chain_clear(&c->out);
    release(s, n);
}

bool promc__http_send_now(int fd, const struct promc__http_reply *r)
{
    char head[HEAD_MAX];
    size_t hlen = promc__http_format_head(head, sizeof head, r);
    if (!hlen)
        return false;
    struct iovec iov[2] = {{head, hlen}, {(void *)r->body, r->body_len}};
    int n = r->head_only || !r->body_len ? 1 : 2;
    return promc__http_write_now(fd, iov, n) == (ssize_t)(hlen + (n == 2 ? r->body_len : 0));
}

void promc__http_send_error_now(int fd, int status)
{
    char body[64]; /* "%d %s\n": an int and a reason of at most 31 bytes */
    int blen = snprintf(body, sizeof body, "%d %s\n", status, promc__http_reason(status));
    struct promc__http_reply r = {.status = status, .body = body, .body_len = (size_t)blen};
    promc__http_send_now(fd, &r);
}
