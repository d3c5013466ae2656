/*
 * A raw-socket HTTP client for the server's tests, so every byte on the
 * wire is under the test's control: connect, send all at once or slowly,
 * read and parse one response at a time (failing the test on a malformed
 * one), and see whether the server closed the connection. Also the clocks,
 * the process's descriptor count and its server-side connections. Include
 * after helpers.h (cmocka).
 */
#ifndef PROMC_TEST_RAW_HTTP_H
#define PROMC_TEST_RAW_HTTP_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HOST_HDR   "Host: t\r\n"
#define GET(path)  "GET " path " HTTP/1.1\r\n" HOST_HDR "\r\n"
#define HEAD(path) "HEAD " path " HTTP/1.1\r\n" HOST_HDR "\r\n"
/* How long to wait for what must happen (a response, a close) before the
 * test fails: only a failing test waits it out, so it is long enough for a
 * loaded machine under ThreadSanitizer. It proves nothing about speed. */
#define WAIT_MS 10000

/* ------------------------------------------------------------------ */
/* Time and small utilities                                            */
/* ------------------------------------------------------------------ */

static inline int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static inline bool ipv6_available(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static inline int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own fd */
}

/* Raises the soft RLIMIT_NOFILE to at least want descriptors (the client
 * and the server side of each connection a test holds, plus slack). */
static inline void need_fds(rlim_t want)
{
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= want)
        return;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
        fail_msg("RLIMIT_NOFILE hard limit is %llu; the slow-client tests need %llu open files "
                 "(raise it, e.g. ulimit -Hn 4096, or set PROMC_TEST_NO_SLOW_CLIENTS=1)",
                 (unsigned long long)rl.rlim_max, (unsigned long long)want);
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        fail_msg("cannot raise RLIMIT_NOFILE to %llu: %s", (unsigned long long)rl.rlim_max,
                 strerror(errno));
}

/* Open server-side connections of the listener on port in this process:
 * sockets whose local port is port and that are not listening. */
static inline int server_conns(int port)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0, self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (fd == self || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
            continue;
        int lport = ss.ss_family == AF_INET    ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                    : ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                               : -1;
        int acc = 0;
        socklen_t al = sizeof acc;
        if (lport == port && getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al) == 0 && !acc)
            n++;
    }
    closedir(d);
    return n;
}

/* ------------------------------------------------------------------ */
/* Raw-socket client                                                   */
/* ------------------------------------------------------------------ */

typedef struct client {
    int fd;
    char *buf; /* received, not yet consumed */
    size_t len, cap;
} client;

#define MAX_HDRS 32

typedef struct response {
    int status; /* -1: no complete response */
    int nhdrs;
    char name[MAX_HDRS][64];
    char value[MAX_HDRS][1280];
    long content_length;
    char *body; /* NUL-terminated, body_len bytes */
    size_t body_len;
    /* When the connection ended inside the body: the status of the head
     * that came whole (else 0), and the body bytes that came. */
    int cut_status;
    size_t cut_body_len;
    bool chunked; /* Transfer-Encoding: chunked (body: the chunks' data) */
} response;

static inline int connect_ip(int family, const char *ip, int port)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, ip, &a->sin_addr);
        sl = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, ip, &a->sin6_addr);
        sl = sizeof *a;
    }
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static inline client cli_from_fd(int fd)
{
    client c = {.fd = fd, .cap = 4096};
    c.buf = malloc(c.cap);
    assert_non_null(c.buf);
    return c;
}

static inline client cli_open_ip(int family, const char *ip, int port)
{
    int fd = connect_ip(family, ip, port);
    if (fd < 0)
        fail_msg("connect to %s port %d: %s", ip, port, strerror(errno));
    return cli_from_fd(fd);
}

static inline client cli_open(int port)
{
    return cli_open_ip(AF_INET, "127.0.0.1", port);
}

static inline void cli_close(client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
}

/* Sends everything; false when the peer is gone (EPIPE, ECONNRESET). */
static inline bool cli_send(client *c, const char *data, size_t len)
{
    while (len) {
        ssize_t w = send(c->fd, data, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return false;
        data += w;
        len -= (size_t)w;
    }
    return true;
}

static inline void cli_send_str(client *c, const char *s)
{
    if (!cli_send(c, s, strlen(s)))
        fail_msg("send: %s", strerror(errno));
}

/* Sends data in chunk-byte pieces, pausing between them, and stops early
 * once the server has answered (it may close then). */
static inline void cli_send_slowly(client *c, const char *data, size_t len, size_t chunk,
                                   int pause_ms)
{
    for (size_t off = 0; off < len; off += chunk) {
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (poll(&p, 1, 0) > 0)
            return;
        size_t n = len - off < chunk ? len - off : chunk;
        if (!cli_send(c, data + off, n))
            return;
        sleep_ms(pause_ms);
    }
}

/* Reads what is available, waiting until deadline. 1: got bytes, 0: EOF,
 * -1: reset or other error, -2: timed out. */
static inline int cli_fill(client *c, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            return -2;
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int pr = poll(&p, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr == 0)
            return -2;
        if (c->cap - c->len < 4096) {
            c->cap *= 2;
            c->buf = realloc(c->buf, c->cap);
            assert_non_null(c->buf);
        }
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        c->len += (size_t)n;
        return 1;
    }
}

static inline void resp_free(response *r)
{
    free(r->body);
    r->body = NULL;
}

static inline const char *hdr(const response *r, const char *name)
{
    for (int i = 0; i < r->nhdrs; i++)
        if (strcasecmp(r->name[i], name) == 0)
            return r->value[i];
    return NULL;
}

static inline char *find_crlfcrlf(const char *p, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if (memcmp(p + i, "\r\n\r\n", 4) == 0)
            return (char *)p + i;
    return NULL;
}

static inline char *find_crlf(const char *p, size_t len)
{
    for (size_t i = 0; i + 2 <= len; i++)
        if (p[i] == '\r' && p[i + 1] == '\n')
            return (char *)p + i;
    return NULL;
}

/* Reads until c holds at least need bytes; false when the connection
 * ended or the deadline passed first. */
static inline bool cli_wait(client *c, size_t need, int64_t deadline)
{
    while (c->len < need)
        if (cli_fill(c, deadline) != 1)
            return false;
    return true;
}

/* The body of a chunked response whose head takes c->buf[0..head_len):
 * chunks of lowercase hex size, CRLF, data, CRLF, then a zero-size chunk
 * and the final CRLF -- nothing else (no extensions, no trailers: the
 * server sends none), or the test fails. Returns false with cut_status and
 * cut_body_len (the data that came, of the last chunk too) set when the
 * connection ended before the end of the body. */
static inline bool cli_chunked_body(client *c, response *r, int status, size_t head_len,
                                    int64_t deadline)
{
    size_t pos = head_len, cap = 4096, len = 0;
    char *body = malloc(cap);
    assert_non_null(body);
    r->chunked = true;
    for (;;) {
        char *eol;
        while (!(eol = find_crlf(c->buf + pos, c->len - pos))) {
            if (c->len - pos > 18)
                fail_msg("chunk size line of over 16 hex digits");
            if (!cli_wait(c, c->len + 1, deadline))
                goto cut;
        }
        size_t size = 0, digits = (size_t)(eol - (c->buf + pos));
        if (!digits || digits > 16)
            fail_msg("malformed chunk size line (%zu bytes)", digits);
        for (size_t i = 0; i < digits; i++) {
            char d = c->buf[pos + i];
            if (!((d >= '0' && d <= '9') || (d >= 'a' && d <= 'f')))
                fail_msg("malformed chunk size '%.*s'", (int)digits, c->buf + pos);
            size = size * 16 + (size_t)(d <= '9' ? d - '0' : d - 'a' + 10);
        }
        if (size == 0 && digits != 1)
            fail_msg("zero chunk size written with %zu digits", digits);
        pos += digits + 2;
        if (!cli_wait(c, pos + size + 2, deadline)) {
            len += c->len - pos < size ? c->len - pos : size;
            goto cut;
        }
        if (memcmp(c->buf + pos + size, "\r\n", 2) != 0)
            fail_msg("chunk of %zu bytes not followed by CRLF", size);
        if (size == 0)
            break;
        if (len + size + 1 > cap) {
            while (len + size + 1 > cap)
                cap *= 2;
            body = realloc(body, cap);
            assert_non_null(body);
        }
        memcpy(body + len, c->buf + pos, size);
        len += size;
        pos += size + 2;
    }
    pos += 2;
    body[len] = '\0';
    r->body = body;
    r->body_len = len;
    r->content_length = (long)len;
    memmove(c->buf, c->buf + pos, c->len - pos);
    c->len -= pos;
    r->status = status;
    return true;
cut:
    free(body);
    r->cut_status = status;
    r->cut_body_len = len;
    return false;
}

/* Parses the next response off the connection (head_only: a HEAD's, with no
 * body whatever its Content-Length). Fails the test on a malformed one;
 * returns false (status -1) on EOF, reset or timeout before it is complete. */
static inline bool cli_response(client *c, response *r, bool head_only, int timeout_ms)
{
    memset(r, 0, sizeof *r);
    r->status = -1;
    r->content_length = -1;
    int64_t deadline = mono_ms() + timeout_ms;
    char *end;
    while (!(end = find_crlfcrlf(c->buf, c->len)))
        if (cli_fill(c, deadline) != 1)
            return false;
    size_t head_len = (size_t)(end - c->buf) + 4;
    char *head = malloc(head_len + 1);
    assert_non_null(head);
    memcpy(head, c->buf, head_len);
    head[head_len] = '\0';
    int status = 0;
    if (sscanf(head, "HTTP/1.1 %3d ", &status) != 1 || strncmp(head, "HTTP/1.1 ", 9) != 0)
        fail_msg("malformed status line in:\n%s", head);
    char *line = strstr(head, "\r\n") + 2;
    while (line < head + head_len - 2) {
        char *eol = strstr(line, "\r\n");
        *eol = '\0';
        char *colon = strchr(line, ':');
        if (!colon || r->nhdrs == MAX_HDRS)
            fail_msg("malformed header line \"%s\"", line);
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ')
            v++;
        snprintf(r->name[r->nhdrs], sizeof r->name[0], "%s", line);
        snprintf(r->value[r->nhdrs], sizeof r->value[0], "%s", v);
        r->nhdrs++;
        line = eol + 2;
    }
    free(head);
    const char *cl = hdr(r, "Content-Length");
    const char *te = hdr(r, "Transfer-Encoding");
    bool bodiless = status < 200 || status == 204 || status == 304;
    if (te && (strcmp(te, "chunked") != 0 || cl || bodiless || head_only))
        fail_msg("response %d with Transfer-Encoding \"%s\" (Content-Length %s)", status, te,
                 cl ? cl : "none");
    if (te)
        return cli_chunked_body(c, r, status, head_len, deadline);
    if (!cl && !bodiless)
        fail_msg("response %d without Content-Length", status);
    if (cl && bodiless)
        fail_msg("response %d with Content-Length", status);
    r->content_length = cl ? strtol(cl, NULL, 10) : 0;
    size_t body_len = head_only ? 0 : (size_t)r->content_length;
    while (c->len < head_len + body_len)
        if (cli_fill(c, deadline) != 1) {
            /* The head arrived, the body was cut short: say so. */
            r->cut_status = status;
            r->cut_body_len = c->len - head_len;
            return false;
        }
    r->body = malloc(body_len + 1);
    assert_non_null(r->body);
    memcpy(r->body, c->buf + head_len, body_len);
    r->body[body_len] = '\0';
    r->body_len = body_len;
    memmove(c->buf, c->buf + head_len + body_len, c->len - head_len - body_len);
    c->len -= head_len + body_len;
    r->status = status;
    return true;
}

static inline void expect_response(client *c, response *r, bool head_only)
{
    if (!cli_response(c, r, head_only, WAIT_MS))
        fail_msg("no complete response within %d ms (%zu bytes buffered)", WAIT_MS, c->len);
}

/* The next response on c, which must come whole within timeout_ms and be
 * a 200 or a 503: never a response cut short (the test fails). */
static inline int cli_whole_or_503(client *c, response *r, int timeout_ms)
{
    if (!cli_response(c, r, false, timeout_ms)) {
        if (r->cut_status)
            fail_msg("a %d response cut short: %zu of %ld body bytes", r->cut_status,
                     r->cut_body_len, r->content_length);
        fail_msg("no response within %d ms", timeout_ms);
    }
    if (r->status != 200 && r->status != 503)
        fail_msg("got %d, want 200 or 503", r->status);
    return r->status;
}

/* A client whose receive buffer is rcvbuf bytes, set before connecting so
 * that its window stays that small, as over a real network: the server
 * cannot put a large response into the socket at once. */
static inline client cli_open_rcvbuf(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        fail_msg("connect: %s", strerror(errno));
    return cli_from_fd(fd);
}

/* A client with a receive buffer of a few KB that sends raw and reads
 * nothing (or what the test reads of it): the server's output for it
 * stays pending. */
static inline client slow_reader_open(int port, const char *raw)
{
    client c = cli_open_rcvbuf(port, 4096);
    cli_send_str(&c, raw);
    return c;
}

/* Reads and drops what c receives until the server closes it; the bytes
 * read, or -1 when it is still open at timeout_ms. */
static inline long cli_drain(client *c, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    long total = (long)c->len;
    c->len = 0;
    for (;;) {
        int rc = cli_fill(c, deadline);
        total += (long)c->len;
        c->len = 0;
        if (rc == 0 || rc == -1)
            return total;
        if (rc == -2)
            return -1;
    }
}

/* Whether the server closes the connection within timeout_ms with nothing
 * more sent. */
static inline bool cli_closed(client *c, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        if (c->len)
            fail_msg("unexpected bytes after the response: %.*s", (int)c->len, c->buf);
        int rc = cli_fill(c, deadline);
        if (rc == 0 || rc == -1)
            return true;
        if (rc == -2)
            return false;
    }
}

/* One request on a new connection; the response in *r. */
static inline void request(int port, const char *raw, response *r)
{
    client c = cli_open(port);
    cli_send_str(&c, raw);
    expect_response(&c, r, strncmp(raw, "HEAD ", 5) == 0);
    cli_close(&c);
}

static inline int status_of(int port, const char *raw)
{
    response r;
    request(port, raw, &r);
    resp_free(&r);
    return r.status;
}

#endif /* PROMC_TEST_RAW_HTTP_H */
