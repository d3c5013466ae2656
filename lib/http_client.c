/*
 * A small HTTP/1.1 client over plain sockets (promc_http_fetch), for the
 * Pushgateway client and the examples: one request per connection, bodies by
 * Content-Length, chunked or until close, redirects reported but not
 * followed. Bounded in time (one deadline for the whole exchange) and in size
 * (response head and body caps). No TLS: libc has none.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "promc_http.h"

#include "internal.h"

#define HEAD_MAX       (64 * 1024) /* response head bytes, interim 1xx heads included */
#define TRAILER_MAX    (64 * 1024) /* trailer section of a chunked body */
#define CHUNK_LINE_MAX 4096        /* chunk-size line, extensions included */
#define MAX_INTERIM    16          /* 1xx responses skipped before the final one */
#define READ_STEP      (64 * 1024) /* bytes asked of one recv() into the body */
#define DEFAULT_MAX    (16u * 1024 * 1024)
#define MAX_SECONDS    1e8 /* longer timeouts are clamped (no int64 overflow) */
#define EXCERPT_MAX    40

/* ===================================================================== */
/* Small helpers                                                          */
/* ===================================================================== */

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* RFC 9110 tchar. */
static bool is_tchar(int c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_ctl(int c)
{
    return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

static bool span_ieq(const char *p, size_t n, const char *s)
{
    return strlen(s) == n && strncasecmp(p, s, n) == 0;
}

static int64_t secs_to_ns(double s, double dflt)
{
    if (!(s > 0))
        s = dflt;
    if (s > MAX_SECONDS)
        s = MAX_SECONDS;
    return (int64_t)(s * 1e9);
}

/* A printable excerpt of bytes from the network for an error message. */
static void excerpt(char out[EXCERPT_MAX + 4], const char *p, size_t n)
{
    size_t k = n < EXCERPT_MAX ? n : EXCERPT_MAX;
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)p[i];
        out[i] = c >= 0x20 && c < 0x7f && c != '"' ? (char)c : '?';
    }
    if (n > k) {
        memcpy(out + k, "...", 4);
    } else {
        out[k] = '\0';
    }
}

/* A growable string for the request head. */
/* ===================================================================== */
/* URL                                                                    */
/* ===================================================================== */

struct target {
    char host[256];      /* as getaddrinfo wants it: no brackets */
    char port[6];        /* digits */
    char authority[272]; /* Host header: host[:port], brackets for IPv6 */
    char where[272];     /* host:port for messages, brackets for IPv6 */
    const char *path;    /* origin-form target inside the URL (path?query) */
    size_t path_len;
    bool add_slash; /* the URL has a query but no path: send "/" first */
};

static bool host_char(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '.' || c == '_';
}

static int parse_url(const char *url, struct target *t)
{
    if (!url)
        return promc__fail(PROMC_EINVAL, "URL is NULL");
    for (size_t i = 0; url[i]; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c >= 0x7f)
            return promc__fail(PROMC_EINVAL, "invalid URL: %s at offset %zu (percent-encode it)",
                               c == ' '    ? "space"
                               : c >= 0x80 ? "non-ASCII byte"
                                           : "control character",
                               i);
    }
    if (strncasecmp(url, "https://", 8) == 0)
        return promc__fail(PROMC_EINVAL,
                           "\"%.100s\": https is not available (promc has no TLS); put a TLS "
                           "terminator in front and use http://",
                           url);
    if (strncasecmp(url, "http://", 7) != 0)
        return promc__fail(PROMC_EINVAL, "\"%.100s\": only http:// URLs are supported", url);

    const char *auth = url + 7;
    size_t alen = strcspn(auth, "/?#");
    const char *rest = auth + alen;
    if (memchr(auth, '@', alen))
        return promc__fail(PROMC_EINVAL,
                           "\"%.100s\": credentials in the URL are not supported (use the "
                           "basic_user/basic_password options)",
                           url);
    const char *host = auth, *colon;
    size_t hlen;
    bool v6 = false;
    if (alen && auth[0] == '[') {
        const char *end = memchr(auth, ']', alen);
        if (!end)
            return promc__fail(PROMC_EINVAL, "\"%.100s\": unterminated IPv6 address", url);
        host = auth + 1;
        hlen = (size_t)(end - host);
        v6 = true;
        colon = end + 1 < rest ? end + 1 : NULL;
        if (colon && *colon != ':')
            return promc__fail(PROMC_EINVAL, "\"%.100s\": junk after the IPv6 address", url);
    } else {
        colon = memchr(auth, ':', alen);
        hlen = colon ? (size_t)(colon - auth) : alen;
        if (colon && memchr(colon + 1, ':', (size_t)(rest - colon - 1)))
            return promc__fail(PROMC_EINVAL,
                               "\"%.100s\": invalid host (IPv6 addresses go in brackets)", url);
    }
    if (hlen == 0)
        return promc__fail(PROMC_EINVAL, "\"%.100s\": no host in the URL", url);
    if (hlen >= sizeof t->host)
        return promc__fail(PROMC_EINVAL, "\"%.100s\": host name too long", url);
    memcpy(t->host, host, hlen);
    t->host[hlen] = '\0';
    if (v6) {
        struct in6_addr a6;
        if (inet_pton(AF_INET6, t->host, &a6) != 1)
            return promc__fail(PROMC_EINVAL, "\"%.100s\": invalid IPv6 address", url);
    } else {
        for (size_t i = 0; i < hlen; i++)
            if (!host_char((unsigned char)host[i]))
                return promc__fail(PROMC_EINVAL, "\"%.100s\": invalid character in the host", url);
    }

    if (colon) {
        const char *p = colon + 1;
        size_t pl = (size_t)(rest - p);
        unsigned long port = 0;
        for (size_t i = 0; i < pl && pl <= 5; i++)
            port = is_digit((unsigned char)p[i]) ? port * 10 + (unsigned long)(p[i] - '0') : 100000;
        if (pl == 0 || pl > 5 || port == 0 || port > 65535)
            return promc__fail(PROMC_EINVAL, "\"%.100s\": invalid port", url);
        snprintf(t->port, sizeof t->port, "%lu", port);
    } else {
        memcpy(t->port, "80", 3);
    }
    const char *lb = v6 ? "[" : "", *rb = v6 ? "]" : "";
    bool dflt = strcmp(t->port, "80") == 0;
    snprintf(t->authority, sizeof t->authority, "%s%s%s%s%s", lb, t->host, rb, dflt ? "" : ":",
             dflt ? "" : t->port);
    snprintf(t->where, sizeof t->where, "%s%s%s:%s", lb, t->host, rb, t->port);

    /* The fragment is the client's business; it is never sent. */
    t->path = rest;
    t->path_len = strcspn(rest, "#");
    t->add_slash = t->path_len == 0 || rest[0] == '?';
    return PROMC_OK;
}

/* ===================================================================== */
/* Request                                                                */
/* ===================================================================== */

static int check_value(const char *what, const char *v)
{
    for (const char *p = v; *p; p++)
        if (is_ctl((unsigned char)*p))
            return promc__fail(PROMC_EINVAL, "%s contains a control character", what);
    return PROMC_OK;
}

/* An extra header must be one "Name: value" line: CR or LF inside would let
 * it smuggle more headers (or a second request) into ours. */
static int check_header(const char *h)
{
    const char *colon = strchr(h, ':');
    size_t nl = colon ? (size_t)(colon - h) : 0;
    for (size_t i = 0; i < nl; i++)
        if (!is_tchar((unsigned char)h[i])) {
            nl = 0;
            break;
        }
    if (nl == 0)
        return promc__fail(PROMC_EINVAL,
                           "extra header %zu bytes long is not \"Name: value\" (or the name "
                           "has a character a token may not have)",
                           strlen(h));
    int shown = nl > 60 ? 60 : (int)nl;
    for (const char *p = colon + 1; *p; p++)
        if (is_ctl((unsigned char)*p))
            return promc__fail(PROMC_EINVAL,
                               "extra header \"%.*s\": control character in the value (CR and "
                               "LF are not allowed)",
                               shown, h);
    static const char *const reserved[] = {"Host", "Content-Length", "Transfer-Encoding",
                                           "Connection"};
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
        if (span_ieq(h, nl, reserved[i]))
            return promc__fail(PROMC_EINVAL, "extra header \"%s\" is set by the client itself",
                               reserved[i]);
    return PROMC_OK;
}

static int check_opts(const char *method, const char *body, size_t body_len,
                      const promc_http_client_opts *o)
{
    size_t ml = method ? strlen(method) : 0;
    if (ml == 0 || ml > 32)
        return promc__fail(PROMC_EINVAL, "invalid HTTP method");
    for (size_t i = 0; i < ml; i++)
        if (!is_tchar((unsigned char)method[i]))
            return promc__fail(PROMC_EINVAL, "invalid HTTP method");
    if (!body && body_len)
        return promc__fail(PROMC_EINVAL, "body is NULL but body_len is %zu", body_len);
    if (!!o->basic_user != !!o->basic_password)
        return promc__fail(PROMC_EINVAL, "basic auth needs both a user and a password");
    if (o->basic_user && o->bearer_token)
        return promc__fail(PROMC_EINVAL, "basic auth and a bearer token are exclusive");
    if (o->basic_user && strchr(o->basic_user, ':'))
        return promc__fail(PROMC_EINVAL, "basic auth user may not contain ':'");
    int rc = PROMC_OK;
    if (o->bearer_token && !o->bearer_token[0])
        rc = promc__fail(PROMC_EINVAL, "bearer token is empty");
    if (rc == PROMC_OK && o->bearer_token)
        rc = check_value("bearer token", o->bearer_token);
    if (rc == PROMC_OK && o->content_type)
        rc = check_value("content type", o->content_type);
    for (const char *const *h = o->headers; rc == PROMC_OK && h && *h; h++)
        rc = check_header(*h);
    return rc;
}

/* Whether the caller's extra headers have one named name (any case). */
static bool has_header(const char *const *headers, const char *name)
{
    for (const char *const *h = headers; h && *h; h++)
        if (span_ieq(*h, strcspn(*h, ":"), name))
            return true;
    return false;
}

static bool wants_length(const char *method)
{
    return !strcmp(method, "PUT") || !strcmp(method, "POST") || !strcmp(method, "PATCH");
}

static int build_request(struct promc__buf *b, const char *method, const struct target *t,
                         const char *body, size_t body_len, const promc_http_client_opts *o)
{
    promc__buf_str(b, method);
    promc__buf_str(b, t->add_slash ? " /" : " ");
    promc__buf_put(b, t->path, t->path_len);
    promc__buf_str(b, " HTTP/1.1\r\nHost: ");
    promc__buf_str(b, t->authority);
    promc__buf_str(b, "\r\nUser-Agent: promc/" PROMC_VERSION_STRING "\r\n");
    if (!has_header(o->headers, "Accept"))
        promc__buf_str(b, "Accept: */*\r\n");
    promc__buf_str(b, "Connection: close\r\n");
    if (o->basic_user) {
        struct promc__buf cred = {0};
        promc__buf_str(&cred, o->basic_user);
        promc__buf_str(&cred, ":");
        promc__buf_str(&cred, o->basic_password);
        promc__buf_str(b, "Authorization: Basic ");
        if (cred.oom)
            b->oom = true;
        else
            promc__buf_base64(b, (const unsigned char *)cred.p, cred.len, false);
        promc__buf_str(b, "\r\n");
        if (cred.p)
            memset(cred.p, 0, cred.len);
        promc__free(cred.p);
    } else if (o->bearer_token) {
        promc__buf_str(b, "Authorization: Bearer ");
        promc__buf_str(b, o->bearer_token);
        promc__buf_str(b, "\r\n");
    }
    if (body) {
        promc__buf_str(b, "Content-Type: ");
        promc__buf_str(b, o->content_type ? o->content_type : "text/plain");
        promc__buf_str(b, "\r\n");
    }
    if (body || wants_length(method)) {
        char cl[48];
        snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", body_len);
        promc__buf_str(b, cl);
    }
    for (const char *const *h = o->headers; h && *h; h++) {
        promc__buf_str(b, *h);
        promc__buf_str(b, "\r\n");
    }
    promc__buf_str(b, "\r\n");
    return b->oom ? promc__fail(PROMC_ENOMEM, "out of memory building the request") : PROMC_OK;
}

/* ===================================================================== */
/* Connection and I/O, all against one deadline                           */
/* ===================================================================== */

struct xfer {
    int fd;
    int64_t deadline; /* monotonic ns */
    double timeout;   /* seconds, for messages */
    const char *where;
    char *buf; /* read buffer: HEAD_MAX bytes, unread ones are buf[pos..len) */
    size_t pos, len;
    int send_errno;
};

static int timed_out(const struct xfer *x, const char *doing)
{
    return promc__fail(PROMC_EIO, "timeout after %.1f s %s %s", x->timeout, doing, x->where);
}

static int poll_ms(int64_t left_ns)
{
    int64_t ms = left_ns / 1000000 + 1;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Waits until fd is ready for events or the deadline passes. */
static int wait_io(struct xfer *x, short events, const char *doing)
{
    for (;;) {
        int64_t left = x->deadline - promc__mono_ns();
        if (left <= 0)
            return timed_out(x, doing);
        struct pollfd p = {.fd = x->fd, .events = events};
        int n = poll(&p, 1, poll_ms(left));
        if (n > 0)
            return PROMC_OK;
        if (n < 0 && errno != EINTR)
            return promc__fail(PROMC_EIO, "poll %s %s: %s", doing, x->where, strerror(errno));
    }
}

static int dial(struct xfer *x, const struct target *t, double connect_s)
{
    int64_t connect_ns = secs_to_ns(connect_s, 5);
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(t->host, t->port, &hints, &res);
    if (gai != 0)
        return promc__fail(PROMC_EIO, "resolve %s: %s", t->where,
                           gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
    int err = 0, fd = -1;
    bool slow = false; /* the last failure was a connect timeout */
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        int64_t now = promc__mono_ns();
        if (now >= x->deadline)
            break;
        int64_t end = now + connect_ns < x->deadline ? now + connect_ns : x->deadline;
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            slow = false;
            continue;
        }
        int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc != 0 && (errno == EINPROGRESS || errno == EINTR)) {
            rc = -1;
            err = ETIMEDOUT;
            for (;;) {
                int64_t left = end - promc__mono_ns();
                if (left <= 0)
                    break;
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                int n = poll(&p, 1, poll_ms(left));
                if (n < 0 && errno == EINTR)
                    continue;
                if (n < 0) {
                    err = errno;
                    break;
                }
                if (n == 0)
                    continue;
                int soerr = 0;
                socklen_t sl = sizeof soerr;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
                    soerr = errno;
                if (soerr == 0)
                    rc = 0;
                else
                    err = soerr;
                break;
            }
            slow = rc != 0 && err == ETIMEDOUT;
        } else if (rc != 0) {
            err = errno;
            slow = false;
        }
        if (rc != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (promc__mono_ns() >= x->deadline)
            return timed_out(x, "connecting to");
        if (slow)
            return promc__fail(PROMC_EIO, "connect to %s: timed out after %.1f s", x->where,
                               connect_s > 0 ? connect_s : 5);
        return promc__fail(PROMC_EIO, "connect to %s: %s", x->where,
                           err ? strerror(err) : "no usable address");
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    x->fd = fd;
    return PROMC_OK;
}

/* Writes all iovecs. sendmsg with MSG_NOSIGNAL: a server that hung up must
 * not SIGPIPE the application. */
static int send_all(struct xfer *x, struct iovec *iov, int n)
{
    while (n > 0) {
        if (promc__mono_ns() >= x->deadline)
            return timed_out(x, "sending to");
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t w = sendmsg(x->fd, &msg, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                int rc = wait_io(x, POLLOUT, "sending to");
                if (rc != PROMC_OK)
                    return rc;
                continue;
            }
            x->send_errno = errno;
            return promc__fail(PROMC_EIO, "sending to %s: %s", x->where, strerror(errno));
        }
        promc__iov_consume(&iov, &n, (size_t)w);
    }
    return PROMC_OK;
}

/* One recv() into dst, waiting for data until the deadline. *got = 0 at EOF. */
static int recv_some(struct xfer *x, char *dst, size_t n, size_t *got)
{
    for (;;) {
        if (promc__mono_ns() >= x->deadline)
            return timed_out(x, "reading from");
        ssize_t r = recv(x->fd, dst, n, 0);
        if (r >= 0) {
            *got = (size_t)r;
            return PROMC_OK;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return promc__fail(PROMC_EIO, "reading from %s: %s", x->where, strerror(errno));
        int rc = wait_io(x, POLLIN, "reading from");
        if (rc != PROMC_OK)
            return rc;
    }
}

/* Up to n bytes: buffered ones first, else one recv straight into dst. */
static int take(struct xfer *x, char *dst, size_t n, size_t *got)
{
    if (x->pos < x->len) {
        size_t k = x->len - x->pos < n ? x->len - x->pos : n;
        memcpy(dst, x->buf + x->pos, k);
        x->pos += k;
        *got = k;
        return PROMC_OK;
    }
    return recv_some(x, dst, n, got);
}

enum { LINE_OK = 0, LINE_EOF = 1, LINE_LONG = 2 };

/* The next line, without its LF (or CRLF), as a span of x->buf valid until
 * the next read. *used is what it took, terminator included, which may not
 * exceed max. Returns LINE_OK, LINE_EOF (connection closed first; *used says
 * how many bytes of a partial line there were), LINE_LONG, or an error. */
static int read_line(struct xfer *x, size_t max, const char **line, size_t *n, size_t *used)
{
    size_t scanned = 0;
    for (;;) {
        const char *start = x->buf + x->pos;
        const char *nl = memchr(start + scanned, '\n', x->len - x->pos - scanned);
        if (nl) {
            size_t k = (size_t)(nl - start);
            if (k + 1 > max)
                return LINE_LONG;
            *used = k + 1;
            x->pos += k + 1;
            if (k && start[k - 1] == '\r')
                k--;
            *line = start;
            *n = k;
            return LINE_OK;
        }
        scanned = x->len - x->pos;
        if (scanned >= max)
            return LINE_LONG;
        if (x->len == HEAD_MAX) { /* max <= HEAD_MAX, so pos > 0 here */
            memmove(x->buf, x->buf + x->pos, scanned);
            x->len = scanned;
            x->pos = 0;
        }
        if (x->pos == x->len) /* all consumed: start over at the front */
            x->pos = x->len = 0;
        size_t got;
        int rc = recv_some(x, x->buf + x->len, HEAD_MAX - x->len, &got);
        if (rc != PROMC_OK)
            return rc;
        if (got == 0) {
            *used = scanned;
            return LINE_EOF;
        }
        x->len += got;
    }
}

/* ===================================================================== */
/* Response                                                               */
/* ===================================================================== */

struct head {
    int status;
    bool chunked;
    bool has_length;
    uint64_t length;
    char *content_type;
    char *location;
    char *retry_after;
};

static void head_reset(struct head *h)
{
    promc__free(h->content_type);
    promc__free(h->location);
    promc__free(h->retry_after);
    memset(h, 0, sizeof *h);
}

static int malformed(const struct xfer *x, const char *what, const char *p, size_t n)
{
    char ex[EXCERPT_MAX + 4];
    excerpt(ex, p, n);
    return promc__fail(PROMC_EIO, "malformed response from %s: %s \"%s\"", x->where, what, ex);
}

static int dup_value(char **dst, const char *v, size_t n)
{
    if (*dst)
        return PROMC_OK; /* the first one counts */
    *dst = promc__malloc(n + 1);
    if (!*dst)
        return promc__fail(PROMC_ENOMEM, "out of memory reading a response");
    memcpy(*dst, v, n);
    (*dst)[n] = '\0';
    return PROMC_OK;
}

static int header_field(struct xfer *x, struct head *h, const char *line, size_t n)
{
    if (line[0] == ' ' || line[0] == '\t')
        return malformed(x, "obsolete line folding in", line, n);
    const char *colon = memchr(line, ':', n);
    size_t nl = colon ? (size_t)(colon - line) : 0;
    for (size_t i = 0; i < nl; i++)
        if (!is_tchar((unsigned char)line[i]))
            nl = 0;
    if (nl == 0)
        return malformed(x, "invalid header line", line, n);
    const char *v = colon + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vl = (size_t)(end - v);
    for (size_t i = 0; i < vl; i++)
        if (is_ctl((unsigned char)v[i]))
            return malformed(x, "control character in header", line, n);

    if (span_ieq(line, nl, "Content-Length")) {
        uint64_t len = 0;
        bool ok = vl > 0;
        for (size_t i = 0; ok && i < vl; i++) {
            unsigned d = (unsigned)(v[i] - '0');
            if (d > 9 || len > (UINT64_MAX - d) / 10)
                ok = false;
            else
                len = len * 10 + d;
        }
        if (!ok || (h->has_length && h->length != len))
            return malformed(x, "invalid or conflicting Content-Length", line, n);
        h->has_length = true;
        h->length = len;
    } else if (span_ieq(line, nl, "Transfer-Encoding")) {
        /* Only chunked (once): no decompression here, and we never send
         * TE or Accept-Encoding. */
        if (h->chunked || !span_ieq(v, vl, "chunked"))
            return malformed(x, "unsupported transfer coding in", line, n);
        h->chunked = true;
    } else if (span_ieq(line, nl, "Content-Type")) {
        return dup_value(&h->content_type, v, vl);
    } else if (span_ieq(line, nl, "Location")) {
        return dup_value(&h->location, v, vl);
    } else if (span_ieq(line, nl, "Retry-After")) {
        return dup_value(&h->retry_after, v, vl);
    }
    return PROMC_OK;
}

/* Reads one response head (status line and fields) within *budget bytes. */
static int read_head(struct xfer *x, struct head *h, size_t *budget, bool first)
{
    const char *line;
    size_t n, used;
    int rc = read_line(x, *budget, &line, &n, &used);
    if (rc == LINE_EOF && used == 0 && first)
        return promc__fail(PROMC_EIO, "%s closed the connection without answering", x->where);
    for (bool status_line = true;; status_line = false) {
        if (rc == LINE_EOF)
            return promc__fail(
                PROMC_EIO, "connection closed by %s in the response head (truncated)", x->where);
        if (rc == LINE_LONG)
            return promc__fail(PROMC_EIO, "response head too large from %s (over %d bytes)",
                               x->where, HEAD_MAX);
        if (rc != LINE_OK)
            return rc;
        *budget -= used;
        if (status_line) {
            /* HTTP/1.x SP 3DIGIT [SP reason] */
            if (n < 12 || memcmp(line, "HTTP/1.", 7) != 0 || !is_digit(line[7]) || line[8] != ' ' ||
                line[9] < '1' || line[9] > '5' || !is_digit(line[10]) || !is_digit(line[11]) ||
                (n > 12 && line[12] != ' '))
                return malformed(x, "invalid status line", line, n);
            for (size_t i = 13; i < n; i++)
                if (is_ctl((unsigned char)line[i]))
                    return malformed(x, "invalid status line", line, n);
            h->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        } else if (n == 0) {
            return PROMC_OK;
        } else {
            rc = header_field(x, h, line, n);
            if (rc != PROMC_OK)
                return rc;
        }
        rc = read_line(x, *budget, &line, &n, &used);
    }
}

struct body {
    char *p;
    size_t len, cap;
    size_t max; /* growth never goes past max + 1 bytes */
};

/* Room for need more bytes and the NUL, growing geometrically but never past
 * max + 1. The caller has checked that len + need <= max. */
static int body_reserve(struct body *b, size_t need)
{
    size_t want = b->len + need + 1;
    if (want <= b->cap)
        return PROMC_OK;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *p = promc__realloc(b->p, cap);
    if (!p)
        return promc__fail(PROMC_ENOMEM, "out of memory reading a response body");
    b->p = p;
    b->cap = cap;
    return PROMC_OK;
}

static int too_large(const struct xfer *x, size_t max)
{
    return promc__fail(PROMC_ELIMIT, "response body from %s larger than max_body (%zu bytes)",
                       x->where, max);
}

/* Exactly n more body bytes; EOF first is a truncated body. */
static int read_exact(struct xfer *x, struct body *b, uint64_t n, const char *what)
{
    uint64_t start = b->len;
    while (b->len - start < n) {
        uint64_t left = n - (b->len - start);
        size_t step = left < READ_STEP ? (size_t)left : READ_STEP;
        int rc = body_reserve(b, step);
        if (rc != PROMC_OK)
            return rc;
        size_t got;
        rc = take(x, b->p + b->len, step, &got);
        if (rc != PROMC_OK)
            return rc;
        if (got == 0)
            return promc__fail(
                PROMC_EIO, "truncated %s from %s: connection closed after %llu of %llu bytes", what,
                x->where, (unsigned long long)(b->len - start), (unsigned long long)n);
        b->len += got;
    }
    return PROMC_OK;
}

static int read_until_close(struct xfer *x, struct body *b)
{
    for (;;) {
        size_t got;
        if (b->len == b->max) {
            char c;
            int rc = take(x, &c, 1, &got);
            if (rc != PROMC_OK)
                return rc;
            return got ? too_large(x, b->max) : PROMC_OK;
        }
        size_t step = b->max - b->len < READ_STEP ? b->max - b->len : READ_STEP;
        int rc = body_reserve(b, step);
        if (rc == PROMC_OK)
            rc = take(x, b->p + b->len, step, &got);
        if (rc != PROMC_OK)
            return rc;
        if (got == 0)
            return PROMC_OK;
        b->len += got;
    }
}

static int chunk_eof(const struct xfer *x)
{
    return promc__fail(PROMC_EIO,
                       "truncated chunked body from %s: connection closed before the "
                       "final chunk",
                       x->where);
}

static int read_chunked(struct xfer *x, struct body *b)
{
    const char *line;
    size_t n, used;
    for (;;) {
        int rc = read_line(x, CHUNK_LINE_MAX, &line, &n, &used);
        if (rc == LINE_EOF)
            return chunk_eof(x);
        if (rc == LINE_LONG)
            return promc__fail(PROMC_EIO, "malformed response from %s: chunk-size line too long",
                               x->where);
        if (rc != LINE_OK)
            return rc;
        /* chunk-size [BWS ; ext...] */
        uint64_t size = 0;
        size_t i = 0;
        for (; i < n && hex_value((unsigned char)line[i]) >= 0; i++) {
            if (size > (UINT64_MAX >> 4))
                return malformed(x, "chunk size overflows in", line, n);
            size = size << 4 | (uint64_t)hex_value((unsigned char)line[i]);
        }
        size_t digits = i;
        while (i < n && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (digits == 0 || (i < n && line[i] != ';'))
            return malformed(x, "invalid chunk-size line", line, n);
        for (; i < n; i++)
            if (is_ctl((unsigned char)line[i]))
                return malformed(x, "invalid chunk extension", line, n);
        if (size == 0)
            break;
        if (size > b->max - b->len)
            return too_large(x, b->max);
        rc = read_exact(x, b, size, "chunked body");
        if (rc != PROMC_OK)
            return rc;
        rc = read_line(x, 2, &line, &n, &used);
        if (rc == LINE_EOF)
            return chunk_eof(x);
        if (rc == LINE_LONG || (rc == LINE_OK && n != 0))
            return promc__fail(PROMC_EIO,
                               "malformed response from %s: chunk data not followed "
                               "by CRLF",
                               x->where);
        if (rc != LINE_OK)
            return rc;
    }
    /* Trailer fields, skipped, up to the empty line. */
    size_t budget = TRAILER_MAX;
    for (;;) {
        int rc = read_line(x, budget, &line, &n, &used);
        if (rc == LINE_EOF)
            return chunk_eof(x);
        if (rc == LINE_LONG)
            return promc__fail(PROMC_EIO, "malformed response from %s: trailers over %d bytes",
                               x->where, TRAILER_MAX);
        if (rc != LINE_OK)
            return rc;
        if (n == 0)
            return PROMC_OK;
        budget -= used;
        if (!memchr(line, ':', n))
            return malformed(x, "invalid trailer line", line, n);
    }
}

static int read_response(struct xfer *x, bool head_request, size_t max_body, struct head *h,
                         struct body *b)
{
    size_t budget = HEAD_MAX;
    int rc = read_head(x, h, &budget, true);
    /* Interim 1xx responses (100 Continue, 103 Early Hints...) come before
     * the real one; 101 would switch protocols, so it is final. */
    for (int interim = 0; rc == PROMC_OK && h->status < 200 && h->status != 101; interim++) {
        if (interim == MAX_INTERIM)
            return promc__fail(PROMC_EIO, "%s sent over %d interim responses", x->where,
                               MAX_INTERIM);
        head_reset(h);
        rc = read_head(x, h, &budget, false);
    }
    if (rc != PROMC_OK)
        return rc;
    b->max = max_body;
    if (head_request || h->status < 200 || h->status == 204 || h->status == 304)
        rc = PROMC_OK;
    else if (h->chunked) /* chunked wins over Content-Length (RFC 9112 §6.3) */
        rc = read_chunked(x, b);
    else if (h->has_length && h->length > max_body)
        rc = too_large(x, max_body);
    else if (h->has_length) {
        b->max = (size_t)h->length; /* allocate no more than announced */
        rc = read_exact(x, b, h->length, "response body");
    } else
        rc = read_until_close(x, b);
    if (rc == PROMC_OK)
        rc = body_reserve(b, 0); /* room for the NUL, also for an empty body */
    if (rc == PROMC_OK)
        b->p[b->len] = '\0';
    return rc;
}

/* ===================================================================== */
/* API                                                                    */
/* ===================================================================== */

int promc_http_fetch(const char *method, const char *url, const char *body, size_t body_len,
                     const promc_http_client_opts *opts, promc_http_result *out)
{
    if (!out)
        return promc__fail(PROMC_EINVAL, "result pointer is NULL");
    memset(out, 0, sizeof *out);
    promc_http_client_opts o = opts ? *opts : (promc_http_client_opts){0};
    struct target t;
    int rc = check_opts(method, body, body_len, &o);
    if (rc == PROMC_OK)
        rc = parse_url(url, &t);
    if (rc != PROMC_OK)
        return rc;
    size_t max_body = o.max_body ? o.max_body : DEFAULT_MAX;
    if (max_body > SIZE_MAX - 1)
        max_body = SIZE_MAX - 1;

    struct promc__buf req = {0};
    rc = build_request(&req, method, &t, body, body_len, &o);
    if (rc != PROMC_OK) {
        promc__free(req.p);
        return rc;
    }
    struct xfer x = {.fd = -1, .where = t.where};
    x.timeout = o.timeout > 0 ? (o.timeout < MAX_SECONDS ? o.timeout : MAX_SECONDS) : 10;
    x.deadline = promc__mono_ns() + secs_to_ns(o.timeout, 10);
    struct head h = {0};
    struct body b = {0};
    x.buf = promc__malloc(HEAD_MAX);
    rc = x.buf ? dial(&x, &t, o.connect_timeout)
               : promc__fail(PROMC_ENOMEM, "out of memory for a request to %s", t.where);
    if (rc == PROMC_OK) {
        struct iovec iov[2] = {{req.p, req.len}, {(void *)body, body_len}};
        rc = send_all(&x, iov, body_len ? 2 : 1);
        if (rc == PROMC_OK) {
            rc = read_response(&x, !strcmp(method, "HEAD"), max_body, &h, &b);
        } else if (x.send_errno == EPIPE || x.send_errno == ECONNRESET) {
            /* The server may have answered before reading everything (say,
             * 413) and closed: its answer is worth more than our error. */
            char saved[256];
            snprintf(saved, sizeof saved, "%s", promc_last_error());
            rc = read_response(&x, !strcmp(method, "HEAD"), max_body, &h, &b);
            if (rc != PROMC_OK)
                rc = promc__fail(PROMC_EIO, "%s", saved);
        }
    }
    if (x.fd >= 0)
        close(x.fd);
    promc__free(x.buf);
    promc__free(req.p);
    if (rc != PROMC_OK) {
        head_reset(&h);
        promc__free(b.p);
        return rc;
    }
    out->status = h.status;
    out->body = b.p;
    out->body_len = b.len;
    out->content_type = h.content_type;
    out->location = h.location;
    out->retry_after = h.retry_after;
    promc__ok();
    return PROMC_OK;
}

void promc_http_result_free(promc_http_result *r)
{
    if (!r)
        return;
    promc__free(r->body);
    promc__free(r->content_type);
    promc__free(r->location);
    promc__free(r->retry_after);
    memset(r, 0, sizeof *r);
}
