/*
 * The built-in HTTP/1.1 server. One event-loop thread owns every connection
 * and reads request heads with epoll; only complete requests go to a small
 * pool of worker threads, which scrape (or call the user's handler) and write
 * the response, or hand what a slow reader has not taken back to the loop.
 * So slow or idle clients, sending or reading, cost a buffer each, never a
 * thread, and cannot crowd out Prometheus: reads are bounded in size and
 * time, the work queue is bounded (503 beyond), pending output is bounded,
 * and at the connection limit the client that has waited longest without
 * sending a request is dropped for a new one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "promc_http.h"

#include "http_server_internal.h"
#include "internal.h"

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

/* /-/healthy is answered by the loop itself, so a health check passes even
 * while every worker is busy and the queue is full. Returns false when the
 * connection was closed. */
static bool answer_health_now(promc_http_server *s, struct promc__http_conn *c)
{
    struct promc__http_reply r = promc__http_health_reply(&c->req);
    if (!promc__http_send_now(c->fd, &r) || !r.keep_alive) {
        conn_close(s, c);
        return false;
    }
    promc__http_conn_next(c);
    c->started = false;
    c->deadline = now_ns() + secs_to_ns(s->opts.idle_timeout);
    return true;
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
        epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
        c->state = PROMC__CONN_BUSY;
        if (!promc__http_enqueue(s, c)) {
            promc__http_send_error_now(c->fd, 503);
            if (promc__http_is_metrics(s, &c->req))
                promc__http_self_count(&s->self, 503);
            conn_close(s, c);
            return false;
        }
        return true;
    }
}

static void on_readable(promc_http_server *s, struct promc__http_conn *c)
{
    size_t cap = s->opts.max_head;
    size_t before = c->len;
    for (;;) {
        if (c->len == cap) {
            /* Full buffer: a complete head (to a worker), one too large
             * (431, closed), or a body being skipped. */
            if (!process_buffer(s, c) || c->state != PROMC__CONN_READING || c->len == cap)
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

static void add_conn(promc_http_server *s, int fd)
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
    for (int budget = 256; budget > 0; budget--) {
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd >= 0) {
            if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
                close(fd);
                continue;
            }
            add_conn(s, fd);
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
        if (c->out) {
            /* A slow reader: the loop writes the rest as it reads. */
            struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
            if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
                conn_close(s, c);
                continue;
            }
            c->state = PROMC__CONN_WRITING;
            c->deadline = now_ns() + secs_to_ns(s->opts.write_timeout);
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
    struct iovec iov = {c->out + c->out_off, c->out_len - c->out_off};
    ssize_t w = promc__http_write_now(c->fd, &iov, 1);
    if (w < 0) {
        conn_close(s, c);
        return;
    }
    c->out_off += (size_t)w;
    if (c->out_off < c->out_len)
        return;
    promc__http_drop_out(s, c);
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
    struct epoll_event events[64];
    int64_t next_scan = now_ns();
    while (!atomic_load(&s->stopping)) {
        int n = epoll_wait(s->epoll_fd, events, 64, 100);
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
        int64_t now = now_ns();
        if (now >= next_scan) {
            expire(s, now);
            next_scan = now + 100000000; /* every 100 ms: timeouts are seconds */
        }
        free_dead(s);
    }
    return NULL;
}

/* ===================================================================== */
/* Start and stop                                                         */
/* ===================================================================== */

static void server_free(promc_http_server *s)
{
    promc__http_self_metrics_drop(&s->self);
    while (s->first)
        conn_close(s, s->first);
    free_dead(s);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->reserve_fd >= 0)
        close(s->reserve_fd);
    if (s->epoll_fd >= 0)
        close(s->epoll_fd);
    if (s->event_fd >= 0)
        close(s->event_fd);
    pthread_mutex_destroy(&s->qlock);
    pthread_cond_destroy(&s->qcond);
    pthread_mutex_destroy(&s->rlock);
    promc__free(s->queue);
    promc__free(s->workers);
    promc__free(s->metrics_path);
    promc__free(s->auth);
    promc__free(s);
}

static void apply_defaults(promc_http_opts *o)
{
    if (!o->metrics_path || !*o->metrics_path)
        o->metrics_path = "/metrics";
    if (!o->workers)
        o->workers = 2;
    if (!o->max_queue)
        o->max_queue = 64;
    if (!o->max_connections)
        o->max_connections = 4096;
    if (!o->max_target)
        o->max_target = 8192;
    if (!o->max_head)
        o->max_head = 16384;
    if (o->max_head < 256)
        o->max_head = 256;
    if (!(o->read_timeout > 0))
        o->read_timeout = 10;
    if (!(o->idle_timeout > 0))
        o->idle_timeout = 60;
    if (!(o->write_timeout > 0))
        o->write_timeout = 30;
}

promc_http_server *promc_http_serve(promc_registry *reg, const char *addr,
                                    const promc_http_opts *opts)
{
    promc_http_opts o = opts ? *opts : (promc_http_opts){0};
    apply_defaults(&o);
    if (!!o.basic_auth_user != !!o.basic_auth_password)
        return promc__fail_null(PROMC_EINVAL, "basic auth needs both a user and a password");
    if (o.metrics_path[0] != '/')
        return promc__fail_null(PROMC_EINVAL, "metrics path must start with '/'");
    if (o.workers > 256 || o.max_queue > 65536)
        return promc__fail_null(PROMC_EINVAL, "too many workers or too long a queue");

    promc_http_server *s = promc__calloc(1, sizeof *s);
    if (!s)
        return promc__fail_null(PROMC_ENOMEM, "out of memory starting the HTTP server");
    s->listen_fd = s->reserve_fd = s->epoll_fd = s->event_fd = -1;
    pthread_mutex_init(&s->qlock, NULL);
    pthread_cond_init(&s->qcond, NULL);
    pthread_mutex_init(&s->rlock, NULL);
    s->opts = o;
    s->registry = reg == PROMC_NO_REGISTRY ? NULL : promc__registry_resolve(reg);
    s->metrics_path = promc__strdup(o.metrics_path);
    s->queue = promc__calloc(o.max_queue, sizeof *s->queue);
    s->workers = promc__calloc(o.workers, sizeof *s->workers);
    if (o.basic_auth_user) {
        size_t ul = strlen(o.basic_auth_user), pl = strlen(o.basic_auth_password);
        s->auth = promc__malloc(ul + pl + 2);
        if (s->auth) {
            memcpy(s->auth, o.basic_auth_user, ul);
            s->auth[ul] = ':';
            memcpy(s->auth + ul + 1, o.basic_auth_password, pl + 1);
        }
    }
    s->opts.metrics_path = s->metrics_path;
    s->opts.basic_auth_user = s->opts.basic_auth_password = NULL;
    if (!s->metrics_path || !s->queue || !s->workers || (o.basic_auth_user && !s->auth)) {
        server_free(s);
        return promc__fail_null(PROMC_ENOMEM, "out of memory starting the HTTP server");
    }
    s->listen_fd = promc__http_listen(addr, &s->port);
    if (s->listen_fd < 0) {
        server_free(s);
        return NULL; /* promc__http_listen said why */
    }
    s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    s->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &s->listen_fd};
    struct epoll_event eev = {.events = EPOLLIN, .data.ptr = &s->event_fd};
    if (s->epoll_fd < 0 || s->event_fd < 0 ||
        epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->listen_fd, &lev) != 0 ||
        epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->event_fd, &eev) != 0) {
        int err = errno;
        server_free(s);
        return promc__fail_null(PROMC_EIO, "cannot set up the event loop: %s", strerror(err));
    }
    if (s->registry && !o.disable_self_metrics)
        promc__http_self_metrics_add(&s->self, s->registry);

    bool workers_ok = promc__http_workers_start(s);
    if (!workers_ok || pthread_create(&s->loop_thread, NULL, loop_main, s) != 0) {
        if (workers_ok)
            promc__http_workers_stop(s);
        server_free(s);
        return promc__fail_null(PROMC_EIO, "cannot start the HTTP server's threads");
    }
    promc__ok();
    return s;
}

int promc_http_server_port(const promc_http_server *s)
{
    return s ? s->port : -1;
}

void promc_http_server_stop(promc_http_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, 1);
    uint64_t one = 1;
    if (write(s->event_fd, &one, sizeof one) < 0) {
        /* the loop also wakes every 100 ms */
    }
    pthread_join(s->loop_thread, NULL);
    /* Stop taking new connections now; requests already being answered run
     * to completion (bounded by the write timeout). Queued, not yet started
     * ones are dropped with their connection. */
    close(s->listen_fd);
    s->listen_fd = -1;
    promc__http_workers_stop(s);
    /* Responses still owed to slow readers are finished, within the write
     * timeout, before their connections close. */
    int64_t deadline = now_ns() + secs_to_ns(s->opts.write_timeout);
    for (struct promc__http_conn *c = s->first; c; c = c->next)
        while (c->out && c->out_off < c->out_len) {
            struct iovec iov = {c->out + c->out_off, c->out_len - c->out_off};
            ssize_t w = promc__http_write_now(c->fd, &iov, 1);
            int64_t left = deadline - now_ns();
            if (w < 0 || left <= 0)
                break;
            c->out_off += (size_t)w;
            struct pollfd p = {.fd = c->fd, .events = POLLOUT};
            if (c->out_off < c->out_len && poll(&p, 1, (int)(left / 1000000) + 1) < 0 &&
                errno != EINTR)
                break;
        }
    server_free(s);
}
