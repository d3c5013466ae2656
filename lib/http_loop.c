/*
 * The HTTP server's event loop: one thread that owns every connection. It
 * accepts, reads request heads with epoll into each connection's buffer,
 * hands complete requests to the workers (answering health checks itself),
 * writes what slow readers have not taken yet, and closes connections past
 * their deadlines, to make room at the connection limit, or to make room in
 * the pending-output budget for a worker's response.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_internal.h"
#include "internal.h"

/* How often the loop wakes without events, to expire deadlines and see the
 * stop flag: timeouts are whole seconds or tenths, so 100 ms is precise
 * enough, and 10 idle wake-ups a second cost nothing measurable. */
#define LOOP_TICK_MS 100
/* Readiness events taken per epoll_wait; more simply wait for the next call. */
#define LOOP_EVENTS 64
/* Connections accepted per wake-up before the loop serves the ones it has:
 * a flood of new connections cannot starve reads of established ones. */
#define ACCEPT_BATCH 256

static int64_t now_ns(void)
{
    return promc__mono_ns();
}

static int64_t secs_to_ns(double s)
{
    return (int64_t)(s * 1e9);
}

/* ===================================================================== */
/* Connections (loop thread only)                                         */
/* ===================================================================== */

static void list_remove(promc_http_server *s, struct promc__http_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        s->first = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        s->last = c->prev;
    c->prev = c->next = NULL;
}

static void list_append(promc_http_server *s, struct promc__http_conn *c)
{
    c->prev = s->last;
    c->next = NULL;
    if (s->last)
        s->last->next = c;
    else
        s->first = c;
    s->last = c;
}

/* Closes c now and frees it after the current batch of events (free_dead);
 * events still pending for it see fd == -1 and are skipped. */
static void conn_close(promc_http_server *s, struct promc__http_conn *c)
{
    promc__http_drop_out(s, c);
    promc__http_conn_drop_body(s, c);
    list_remove(s, c);
    close(c->fd); /* also removes it from the epoll set */
    c->fd = -1;
    c->next = s->dead;
    s->dead = c;
    s->nconns--;
}

static void free_dead(promc_http_server *s)
{
    while (s->dead) {
        struct promc__http_conn *c = s->dead;
        s->dead = c->next;
        promc__free(c);
    }
}

/* Closes the connection that has waited longest for a request, to make room
 * for a new one. Busy connections (a worker is answering) are never shed. */
static bool shed_one(promc_http_server *s)
{
    for (struct promc__http_conn *c = s->first; c; c = c->next)
        if (c->state == PROMC__CONN_READING) {
            conn_close(s, c);
            return true;
        }
    return false;
}

/* While workers wait for room in the pending-output budget, closes the
 * connections whose responses have waited longest for their readers (the
 * list is in order of activity, and a connection moves to its end when the
 * loop starts writing its output) until what the workers want fits. A
 * reader shed gets a reset, not the rest of its response: the kernel's copy
 * of the output goes too, and the client sees an error, not an early end. */
static void shed_slow_readers(promc_http_server *s)
{
    size_t max = s->opts.max_pending_bytes;
    struct promc__http_conn *c = s->first;
    for (;;) {
        size_t wanted = atomic_load(&s->pending_wanted);
        size_t pending = atomic_load(&s->pending);
        if (!wanted || (pending <= max && wanted <= max - pending))
            return;
        while (c && c->state != PROMC__CONN_WRITING)
            c = c->next;
        if (!c)
            return;
        struct promc__http_conn *next = c->next;
        struct linger reset = {.l_onoff = 1, .l_linger = 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        conn_close(s, c);
        promc__http_self_slow_reader_shed(&s->self);
        c = next;
    }
}

/* A connection back from a worker waits for its next request: the idle
 * timeout applies until bytes of it arrive (then the read timeout). */
static void arm_reading(promc_http_server *s, struct promc__http_conn *c)
{
    c->state = PROMC__CONN_READING;
    c->started = c->len > 0;
    c->deadline = now_ns() + secs_to_ns(c->started ? s->opts.read_timeout : s->opts.idle_timeout);
    list_remove(s, c);
    list_append(s, c);
}

/* /-/healthy and /-/ready are answered by the loop itself, so a health
 * check passes even while every worker is busy and the queue is full.
 * Returns false when the connection was closed. */
static bool answer_health_now(promc_http_server *s, struct promc__http_conn *c)
{
    struct promc__http_reply r = promc__http_health_reply(&c->req);
    r.extra_headers = s->extra_headers;
    if (!promc__http_send_now(c->fd, &r) || !r.keep_alive) {
        conn_close(s, c);
        return false;
    }
    promc__http_conn_next(c);
    c->started = false;
    c->deadline = now_ns() + secs_to_ns(s->opts.idle_timeout);
    return true;
}

/* Hands c, whose request is complete (its body received, if it goes to a
 * request handler), to a worker; a full queue is a 503. Returns false when
 * c was closed. */
static bool dispatch(promc_http_server *s, struct promc__http_conn *c)
{
    epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    c->state = PROMC__CONN_BUSY;
    if (!promc__http_enqueue(s, c)) {
        /* Counted first, as every reply is (http_reply.c). */
        if (promc__http_is_metrics(s, &c->req))
            promc__http_self_count(&s->self, 503);
        promc__http_send_error_now(c->fd, 503);
        conn_close(s, c);
        return false;
    }
    return true;
}

/* Starts receiving the body of c's request for the request handler: room
 * for it in the body budget, and the body bytes already in buf moved to
 * it (buf keeps the head and whatever follows the body). Returns 0, or the
 * status to refuse the request with: 411 for a chunked body, 413 for one
 * over max_body, 503 when the budget or memory has no room. */
static int take_body(promc_http_server *s, struct promc__http_conn *c)
{
    if (c->req.chunked)
        return 411;
    if (c->req.content_length > s->opts.max_body)
        return 413;
    size_t n = (size_t)c->req.content_length;
    size_t held = atomic_fetch_add(&s->body_held, n);
    if (held > s->opts.max_body_total || n > s->opts.max_body_total - held) {
        atomic_fetch_sub(&s->body_held, n);
        return 503;
    }
    c->body = promc__malloc(n + 1);
    if (!c->body) {
        atomic_fetch_sub(&s->body_held, n);
        return 503;
    }
    c->body_len = n;
    c->body_counted = true;
    c->body[n] = '\0';
    size_t after = c->len - c->head_len;
    size_t have = after < n ? after : n;
    memcpy(c->body, c->buf + c->head_len, have);
    memmove(c->buf + c->head_len, c->buf + c->head_len + have, after - have);
    c->len -= have;
    c->body_have = have;
    c->body_taken = true;
    return 0;
}

/* Whether the request asks for "100 Continue" before it sends its body
 * (RFC 9110 §10.1.1; curl does for large bodies, and waits a second
 * without it). Only HTTP/1.1 clients may get a 1xx. */
static bool expects_continue(const struct promc__http_request *q)
{
    if (q->minor_version < 1)
        return false;
    for (size_t i = 0; i < q->nheaders; i++) {
        const struct promc__http_header *h = &q->headers[i];
        if (h->name_len == 6 && strncasecmp(h->name, "expect", 6) == 0 && h->value_len == 12 &&
            strncasecmp(h->value, "100-continue", 12) == 0)
            return true;
    }
    return false;
}

/* Tells a client that waits for it to send its body: one small write on a
 * connection with nothing else pending, so it goes whole (or the
 * connection is given up). False when c was closed. */
static bool send_continue(promc_http_server *s, struct promc__http_conn *c)
{
    static const char line[] = "HTTP/1.1 100 Continue\r\n\r\n";
    ssize_t n;
    do
        n = write(c->fd, line, sizeof line - 1);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)(sizeof line - 1)) {
        conn_close(s, c);
        return false;
    }
    return true;
}

/* Whether c is receiving a request handler's body (its head is complete). */
static bool receiving_body(const struct promc__http_conn *c)
{
    return c->body && c->body_have < c->body_len;
}

/* Reads what has arrived of c's body; once it is whole, the request goes
 * to a worker. Returns false when c was closed. */
static bool read_body(promc_http_server *s, struct promc__http_conn *c)
{
    while (receiving_body(c)) {
        ssize_t n = read(c->fd, c->body + c->body_have, c->body_len - c->body_have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (n <= 0) {
            /* The client hung up, or failed, before its body was whole. */
            conn_close(s, c);
            return false;
        }
        c->body_have += (size_t)n;
    }
    return dispatch(s, c);
}

/* Looks at the buffered bytes: a complete head goes to a worker, an invalid
 * one gets its error and the connection closes, a partial one waits.
 * Returns false when c was closed. */
static bool process_buffer(promc_http_server *s, struct promc__http_conn *c)
{
    for (;;) {
        promc__http_conn_skip_body(c);
        if (c->len == 0)
            return true;
        if (!c->started) {
            c->started = true;
            c->deadline = now_ns() + secs_to_ns(s->opts.read_timeout);
        }
        int rc = promc__http_parse_request(c->buf, c->len, s->opts.max_target, s->opts.max_head,
                                           &c->req);
        if (rc == PROMC__HTTP_INCOMPLETE)
            return true;
        if (rc < 0) {
            promc__http_send_error_now(c->fd, promc__http_error_status(rc));
            conn_close(s, c);
            return false;
        }
        c->head_len = (size_t)rc;
        if (promc__http_is_health_check(s, &c->req)) {
            if (!answer_health_now(s, c))
                return false;
            continue;
        }
        if (promc__http_wants_body(s, &c->req)) {
            /* The whole request must be here within read_timeout of its
             * first byte, body included (c->deadline runs on). */
            int refused = take_body(s, c);
            if (refused) {
                promc__http_send_error_now(c->fd, refused);
                conn_close(s, c);
                return false;
            }
            if (receiving_body(c)) {
                /* Refusals above went out without it: such a client sends
                 * no body at all. */
                if (c->body_have == 0 && c->len == c->head_len && expects_continue(&c->req))
                    return send_continue(s, c);
                return true;
            }
        }
        return dispatch(s, c);
    }
}

static void on_readable(promc_http_server *s, struct promc__http_conn *c)
{
    if (receiving_body(c)) {
        read_body(s, c);
        return;
    }
    size_t cap = s->opts.max_head;
    size_t before = c->len;
    for (;;) {
        if (c->len == cap) {
            /* Full buffer: a complete head (to a worker), one too large
             * (431, closed), or a body being skipped. */
            if (!process_buffer(s, c) || c->state != PROMC__CONN_READING)
                return;
            if (receiving_body(c)) {
                read_body(s, c);
                return;
            }
            if (c->len == cap)
                return;
        }
        ssize_t n = read(c->fd, c->buf + c->len, cap - c->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n == 0) {
            /* The client is done sending -- perhaps a half-close right after
             * its request: answer what is complete (the worker hands the
             * connection back, which then reads EOF again and closes). */
            if (process_buffer(s, c) && c->state == PROMC__CONN_READING)
                conn_close(s, c);
            return;
        }
        if (n < 0) {
            conn_close(s, c);
            return;
        }
        c->len += (size_t)n;
    }
    /* The parser rescans the whole head, so only call it when the new bytes
     * can change its verdict: a line ended, or a limit may have been passed.
     * A client trickling one byte at a time then costs O(head) per line,
     * not O(head^2). */
    if (c->skip || memchr(c->buf + before, '\n', c->len - before) || c->len > s->opts.max_target ||
        c->len >= cap)
        process_buffer(s, c);
    else if (!c->started && c->len) {
        c->started = true;
        c->deadline = now_ns() + secs_to_ns(s->opts.read_timeout);
    }
}

static void add_conn(promc_http_server *s, int fd, const struct sockaddr_storage *peer,
                     socklen_t peer_len)
{
    if (s->nconns >= s->opts.max_connections && !shed_one(s)) {
        close(fd);
        return;
    }
    struct promc__http_conn *c = promc__malloc(sizeof *c + s->opts.max_head);
    if (!c) {
        close(fd);
        return;
    }
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->peer = *peer;
    c->peer_len = peer_len;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        promc__free(c);
        return;
    }
    s->nconns++;
    c->state = PROMC__CONN_READING;
    c->deadline = now_ns() + secs_to_ns(s->opts.read_timeout);
    list_append(s, c);
}

static void on_accept(promc_http_server *s)
{
    for (int budget = ACCEPT_BATCH; budget > 0; budget--) {
        struct sockaddr_storage peer;
        socklen_t peer_len = sizeof peer;
        int fd = accept(s->listen_fd, (struct sockaddr *)&peer, &peer_len);
        if (fd >= 0) {
            if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
                close(fd);
                continue;
            }
            add_conn(s, fd, &peer, peer_len);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if ((errno == EMFILE || errno == ENFILE) && shed_one(s))
            continue;
        if ((errno == EMFILE || errno == ENFILE) && s->reserve_fd >= 0) {
            /* No fd to spare and nothing to shed: accept and drop the
             * connection with the reserve fd, so the listener does not spin. */
            close(s->reserve_fd);
            fd = accept(s->listen_fd, NULL, NULL);
            if (fd >= 0)
                close(fd);
            s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        }
        return;
    }
}

static void take_returned(promc_http_server *s)
{
    uint64_t v;
    if (read(s->event_fd, &v, sizeof v) < 0) {
        /* EAGAIN: another wake-up already drained it. */
    }
    pthread_mutex_lock(&s->rlock);
    struct promc__http_conn *list = s->returned;
    s->returned = NULL;
    pthread_mutex_unlock(&s->rlock);
    struct promc__http_conn *fifo = NULL; /* oldest first */
    while (list) {
        struct promc__http_conn *c = list;
        list = c->rnext;
        c->rnext = fifo;
        fifo = c;
    }
    while (fifo) {
        struct promc__http_conn *c = fifo;
        fifo = c->rnext;
        c->rnext = NULL;
        if (c->close_me) {
            conn_close(s, c);
            continue;
        }
        if (c->out.len) {
            /* A slow reader: the loop writes the rest as it reads. */
            struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
            if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
                conn_close(s, c);
                continue;
            }
            c->state = PROMC__CONN_WRITING;
            c->deadline = now_ns() + secs_to_ns(s->opts.write_timeout);
            list_remove(s, c);
            list_append(s, c);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
        if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
            conn_close(s, c);
            continue;
        }
        arm_reading(s, c);
        if (c->len)
            process_buffer(s, c);
    }
}

/* Writes more of a slow reader's pending response; when it is all out, the
 * connection goes back to reading (or closes, if the response said so). */
static void on_writable(promc_http_server *s, struct promc__http_conn *c)
{
    if (!promc__http_write_out(s, c)) {
        conn_close(s, c);
        return;
    }
    if (c->out.len)
        return;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    if (c->close_after_out || epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
        conn_close(s, c);
        return;
    }
    arm_reading(s, c);
    if (c->len)
        process_buffer(s, c);
}

static void expire(promc_http_server *s, int64_t now)
{
    struct promc__http_conn *c = s->first;
    while (c) {
        struct promc__http_conn *next = c->next;
        if ((c->state == PROMC__CONN_READING || c->state == PROMC__CONN_WRITING) &&
            c->deadline <= now)
            conn_close(s, c);
        c = next;
    }
}

static void *loop_main(void *arg)
{
    promc_http_server *s = arg;
    struct epoll_event events[LOOP_EVENTS];
    int64_t next_scan = now_ns();
    while (!atomic_load(&s->stopping)) {
        int n = epoll_wait(s->epoll_fd, events, LOOP_EVENTS, LOOP_TICK_MS);
        for (int i = 0; i < n; i++) {
            void *p = events[i].data.ptr;
            if (p == &s->listen_fd) {
                on_accept(s);
            } else if (p == &s->event_fd) {
                take_returned(s);
            } else {
                struct promc__http_conn *c = p;
                /* fd -1: closed earlier in this batch (e.g. shed). */
                if (c->fd >= 0 && c->state == PROMC__CONN_READING)
                    on_readable(s, c);
                else if (c->fd >= 0 && c->state == PROMC__CONN_WRITING)
                    on_writable(s, c);
            }
        }
        shed_slow_readers(s);
        int64_t now = now_ns();
        if (now >= next_scan) {
            expire(s, now);
            next_scan = now + (int64_t)LOOP_TICK_MS * 1000000;
        }
        free_dead(s);
    }
    return NULL;
}

/* ===================================================================== */
/* Setting up and tearing down                                            */
/* ===================================================================== */

int promc__http_loop_init(promc_http_server *s)
{
    s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    s->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &s->listen_fd};
    struct epoll_event eev = {.events = EPOLLIN, .data.ptr = &s->event_fd};
    if (s->epoll_fd < 0 || s->event_fd < 0 ||
        epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->listen_fd, &lev) != 0 ||
        epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->event_fd, &eev) != 0)
        return promc__fail(PROMC_EIO, "cannot set up the event loop: %s", strerror(errno));
    return PROMC_OK;
}

bool promc__http_loop_start(promc_http_server *s)
{
    return pthread_create(&s->loop_thread, NULL, loop_main, s) == 0;
}

void promc__http_loop_stop(promc_http_server *s)
{
    atomic_store(&s->stopping, 1);
    /* Workers waiting for room stop waiting: nothing is shed any more. */
    promc__http_room_wake_all(s);
    uint64_t one = 1;
    if (write(s->event_fd, &one, sizeof one) < 0) {
        /* the loop also wakes every LOOP_TICK_MS */
    }
    pthread_join(s->loop_thread, NULL);
}

void promc__http_loop_finish_writes(promc_http_server *s)
{
    int64_t deadline = now_ns() + secs_to_ns(s->opts.write_timeout);
    for (struct promc__http_conn *c = s->first; c; c = c->next)
        while (c->out.len) {
            bool ok = promc__http_write_out(s, c);
            int64_t left = deadline - now_ns();
            if (!ok || left <= 0)
                break;
            struct pollfd p = {.fd = c->fd, .events = POLLOUT};
            if (c->out.len && poll(&p, 1, (int)(left / 1000000) + 1) < 0 && errno != EINTR)
                break;
        }
}

void promc__http_loop_free(promc_http_server *s)
{
    while (s->first)
        conn_close(s, s->first);
    free_dead(s);
    int *fds[] = {&s->reserve_fd, &s->epoll_fd, &s->event_fd};
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
}
