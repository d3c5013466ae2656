/*
 * What the files of the built-in HTTP server share: the server and
 * connection structures, the limits several files rely on, and the
 * functions each file offers the ones above it. Nothing here is public.
 *
 * How the server works. One event-loop thread owns every connection and
 * reads request heads with epoll; only complete requests go to a small pool
 * of worker threads, which scrape (or call the user's handler) and write the
 * response, or hand what a slow reader has not taken back to the loop. So
 * slow or idle clients, sending or reading, cost a buffer each, never a
 * thread, and cannot crowd out Prometheus: reads are bounded in size and
 * time, the work queue is bounded (503 beyond), and at the connection limit
 * the client that has waited longest without sending a request is dropped
 * for a new one. Pending output is bounded too (max_pending_bytes): a worker
 * reserves room for a whole response before sending any of it; when there
 * is none, the loop closes the slow readers whose responses have waited
 * longest until there is, and the worker waits for that a short while,
 * else answers 503. So a response is never cut short for want of room --
 * except a scrape past stream_threshold, sent while it is rendered
 * (chunked), which reserves only what its reader has not taken when the
 * render ends, and is cut short when even that finds no room.
 *
 * Which file does which job; each calls only the ones listed after it:
 *   http_server.c        public start and stop, options and their defaults
 *   http_loop.c          the event loop: accept, read, timeouts, shedding
 *   http_workers.c       the work queue, worker threads, pipelining
 *   http_routes.c        what each path answers, authentication
 *   http_request.c       the request a request handler reads
 *   http_instrument.c    the handler's request metrics (opts.instrument)
 *   http_stream.c        a large scrape sent while it is rendered (chunked)
 *   http_reply.c         response heads, sending, the pending-output budget
 *   http_self_metrics.c  the server's own metrics
 *   http_listen.c        listen addresses and binding, or a socket given
 */
#ifndef PROMC_HTTP_INTERNAL_H
#define PROMC_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "promc_http.h"

#include "chain.h"
#include "http_parse.h"
#include "internal.h"

/* ===================================================================== */
/* Limits more than one file relies on                                    */
/* ===================================================================== */

/* Bytes of the Content-Type and Allow values a handler may answer with
 * (longer ones become a 500): far more than any real media type, and small
 * enough that a response head always fits its fixed buffer (http_reply.c). */
#define PROMC__HTTP_HEADER_VALUE_MAX 256
/* Bytes of Basic credentials ("user:password") the server checks: longer
 * ones are refused at start, so an Authorization header that decodes to
 * more cannot match and is not decoded further. Real credentials are tens
 * of bytes; 512 leaves room for long generated secrets. */
#define PROMC__HTTP_AUTH_MAX 512
/* Extra header lines (promc_http_opts.headers): at most this many, and this
 * many bytes formatted ("Name: value\r\n" each), so that a response head
 * has a fixed bound (http_reply.c's HEAD_MAX). */
#define PROMC__HTTP_EXTRA_HEADERS     32
#define PROMC__HTTP_EXTRA_HEADERS_MAX 4096
/* Bytes of each index page text (promc_http_opts.index_*). */
#define PROMC__HTTP_INDEX_TEXT_MAX 1024

/* ===================================================================== */
/* The server's own metrics (http_self_metrics.c)                         */
/* ===================================================================== */

/* All NULL when the server has none (disabled, no metrics endpoint, or
 * another server registered them first); every function is then a no-op. */
struct promc__http_self_metrics {
    promc_registry *registry;
    promc_counter_vec *requests;  /* promc_http_requests_total{code} */
    promc_counter *scrape_errors; /* promc_http_scrape_errors_total */
    promc_counter *shed;          /* promc_http_slow_readers_shed_total */
    promc_gauge *in_flight;
    promc_gauge *scrape_seconds;
    promc_gauge *scrape_bytes;
    promc_counter *exposition_bytes; /* promc_http_scrape_exposition_bytes_total */
    promc_counter *response_bytes;   /* promc_http_scrape_response_bytes_total */
};

/* Registers the metrics in reg; when any of them cannot be (already there),
 * the server goes without all of them. */
void promc__http_self_metrics_add(struct promc__http_self_metrics *m, promc_registry *reg);
/* Unregisters and frees them. */
void promc__http_self_metrics_drop(struct promc__http_self_metrics *m);
/* Counts one answer of the metrics endpoint by status. */
void promc__http_self_count(struct promc__http_self_metrics *m, int status);
/* A scrape starts (in flight), its exposition failed, it was encoded (what
 * is served), and it was answered with status. */
void promc__http_self_scrape_started(struct promc__http_self_metrics *m);
void promc__http_self_scrape_failed(struct promc__http_self_metrics *m);
/* A scrape was encoded in seconds: exposition bytes before compression,
 * body bytes as sent (the same when not compressed). */
void promc__http_self_scrape_encoded(struct promc__http_self_metrics *m, double seconds,
                                     size_t exposition_bytes, size_t body_bytes);
void promc__http_self_scrape_finished(struct promc__http_self_metrics *m, int status);
/* A slow reader was closed before its response was whole, to make room, or
 * a streamed scrape because its unsent end found none. */
void promc__http_self_slow_reader_shed(struct promc__http_self_metrics *m);

/* ===================================================================== */
/* The server and its connections                                        */
/* ===================================================================== */

enum promc__http_conn_state {
    PROMC__CONN_READING, /* the loop reads its next request head */
    PROMC__CONN_BUSY,    /* a worker owns it (queued or answering) */
    PROMC__CONN_WRITING, /* the loop writes what a slow reader has not taken */
};

struct promc__http_conn {
    int fd;
    /* The loop's list, oldest activity first: a connection moves to its end
     * when it is accepted, starts waiting for a request, or starts having
     * its pending output written. */
    struct promc__http_conn *prev, *next;
    struct promc__http_conn *rnext; /* the list of connections handed back by workers */
    enum promc__http_conn_state state;
    bool started;         /* part of a request head arrived: read_timeout applies */
    bool close_me;        /* set by a worker: the loop closes it */
    bool close_after_out; /* close once the pending output is written */
    int64_t deadline;     /* monotonic ns, while READING or WRITING */
    /* Response bytes a slow reader has not taken yet, each reserved in the
     * pending-output budget until it is written. */
    struct promc__chain out;
    uint64_t skip; /* request-body bytes still to discard */
    /* The body a request handler gets (NULL: none), body_len bytes and a
     * NUL, body_have of them received so far; reserved in the server's
     * body budget (body_held) while body_counted: from when it is taken
     * until its answer goes out (the memory lives until the request is
     * done). body_taken: the request's body bytes are here, not in buf
     * (nothing to skip after it). */
    char *body;
    size_t body_len, body_have;
    bool body_counted;
    bool body_taken;
    /* The client's address, from accept(). */
    struct sockaddr_storage peer;
    socklen_t peer_len;
    size_t len;
    struct promc__http_request req;
    size_t head_len;
    char buf[]; /* max_head bytes */
};

struct promc_http_server {
    /* Set by promc_http_server_new, read-only while the server runs. */
    promc_registry *registry; /* NULL: no metrics endpoint (disable_metrics) */
    promc_http_opts opts;     /* defaults applied; its strings are these: */
    char *metrics_path;
    char *auth; /* "user:password" or NULL */
    /* The extra header lines, formatted ("Name: value\r\n"...), or "". */
    char *extra_headers;
    /* The index page's texts (NULL: left out; index_name: the default). */
    char *index_name, *index_description, *index_version;
    int port;
    int listen_fd; /* bound by http_listen.c, watched by the loop */

    /* The event loop (http_loop.c). */
    int reserve_fd; /* spare fd, released to shed a connection on EMFILE */
    int epoll_fd;
    int event_fd; /* wakes the loop: stop, or connections returned */
    atomic_int stopping;
    pthread_t loop_thread;

    /* The loop thread's own state. */
    struct promc__http_conn *first, *last;
    unsigned nconns;
    /* Closed during the current batch of events, freed after it: a later
     * event of the same batch may still point at one. */
    struct promc__http_conn *dead;

    /* The workers and their queue of complete requests (http_workers.c). */
    pthread_t *workers;
    unsigned nworkers;
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    struct promc__http_conn **queue;
    unsigned qhead, qlen;
    bool workers_stop;

    /* Connections handed back by workers (linked by rnext, newest first). */
    pthread_mutex_t rlock;
    struct promc__http_conn *returned;

    /* The budget for unsent output (opts.max_pending_bytes) that
     * http_reply.c keeps: bytes reserved for responses being sent and kept
     * for slow readers, all connections. */
    atomic_size_t pending;
    /* Bytes workers wait to reserve: while non-zero, the loop sheds slow
     * readers until they fit. */
    atomic_size_t pending_wanted;
    /* Bytes of request bodies held (opts.max_body_total bounds them). */
    atomic_size_t body_held;
    /* Signalled, while workers wait, when bytes of the budget come back
     * (and when the server stops). Its clock is CLOCK_MONOTONIC. */
    pthread_mutex_t room_lock;
    pthread_cond_t room_freed;

    struct promc__http_self_metrics self;
};

/* ===================================================================== */
/* Responses (http_reply.c)                                               */
/* ===================================================================== */

struct promc__http_reply {
    int status;
    const char *content_type; /* NULL: text/plain; charset=utf-8 */
    const char *body;
    size_t body_len;
    /* Or the body in blocks (body_len its length): the reply takes them,
     * sending what the socket takes and handing the rest to the connection
     * without a copy; the chain is empty afterwards, whatever happened. */
    struct promc__chain *chain;
    bool head_only; /* HEAD: Content-Length of the body, no body */
    /* Transfer-Encoding: chunked instead of a Content-Length: the body
     * follows in chunks (http_stream.c sends them; body_len is unused). */
    bool chunked;
    bool keep_alive;           /* Connection: keep-alive, else close */
    const char *allow;         /* an Allow header, or NULL */
    bool auth_challenge;       /* a WWW-Authenticate header for Basic */
    bool gzip;                 /* Content-Encoding: gzip (the body is compressed) */
    bool vary_encoding;        /* Vary: Accept-Encoding (the body depends on it) */
    const char *extra_headers; /* formatted lines to add, or NULL */
    /* Called once with the status being sent (503 when there was no room
     * for the reply) just before its first byte goes out -- so that what it
     * counts is counted when the client has the answer -- or when nothing
     * can be sent (a head too long); NULL: nothing to call. */
    void (*sending)(void *ctx, int status);
    void *sending_ctx;
};

/* Bytes a response head takes at most: its fixed lines, the two values a
 * handler chooses and the server's extra header lines. */
#define PROMC__HTTP_HEAD_MAX                                                                       \
    (320 + 2 * PROMC__HTTP_HEADER_VALUE_MAX + PROMC__HTTP_EXTRA_HEADERS_MAX)

/* Formats r's head (the extra header lines it points at included) into
 * h[0..cap); returns its length, or 0 when it does not fit. */
size_t promc__http_format_head(char *h, size_t cap, const struct promc__http_reply *r);
/* Takes n bytes of the pending-output budget, asking the loop to shed slow
 * readers when they do not fit and waiting for that at most a second;
 * false when there is still no room. Worker threads only. */
bool promc__http_reserve(promc_http_server *s, size_t n);
/* The reason phrase of a status code (its class for unknown codes). */
const char *promc__http_reason(int status);
/* The status answering a promc__http_parse_request error. */
int promc__http_error_status(int parse_error);
/* Whether a handler's header value is safe to send: no control characters
 * but HTAB, so it cannot smuggle in header lines of its own. NULL is safe. */
bool promc__http_safe_header_value(const char *v);
/* Writes what the socket takes now, without waiting; returns the bytes
 * written, or -1 when the connection failed. */
ssize_t promc__http_write_now(int fd, struct iovec *iov, int n);
/* Sends r on c without waiting for the client: room for all of r is
 * reserved in the pending-output budget first (waiting at most a second
 * for the loop to shed slow readers), what the socket takes at once is
 * given back, and the rest goes to c->out for the loop to write (a body in
 * blocks is handed over; a flat one is copied). When
 * no room comes, *r becomes the 503 (Connection: close) sent instead, so
 * the caller counts what was sent. Returns false when c must close (the
 * client is gone, or out of memory). Worker threads only (c is theirs). */
bool promc__http_deliver(promc_http_server *s, struct promc__http_conn *c,
                         struct promc__http_reply *r);
/* Writes what the socket takes now of out, without waiting, and drops
 * those bytes from it, *written of them; false when the connection failed
 * (after *written bytes). */
bool promc__http_write_chain(int fd, struct promc__chain *out, size_t *written);
/* Writes what the socket takes now of c's pending output and gives those
 * bytes back to the budget; false when the connection failed. */
bool promc__http_write_out(promc_http_server *s, struct promc__http_conn *c);
/* Drops c's pending output and gives its bytes back to the budget. */
void promc__http_drop_out(promc_http_server *s, struct promc__http_conn *c);
/* Wakes every worker waiting for room, to see that the server is stopping. */
void promc__http_room_wake_all(promc_http_server *s);
/* From the loop thread: one non-blocking attempt to send r on fd; true if
 * it all went. */
bool promc__http_send_now(int fd, const struct promc__http_reply *r);
/* From the loop thread: one non-blocking attempt to send an error page
 * (the caller closes the connection right after). */
void promc__http_send_error_now(int fd, int status);

/* ===================================================================== */
/* A large scrape sent while it is rendered (http_stream.c)               */
/* ===================================================================== */

struct promc__http_stream {
    promc_http_server *s;
    struct promc__http_conn *c; /* its output holds what is not sent yet */
    struct promc__chain *body;  /* rendered, not yet a chunk */
    struct promc__http_reply *r;
    size_t threshold;  /* body bytes that start streaming; SIZE_MAX: never */
    size_t body_bytes; /* body bytes made into chunks so far (0: none yet) */
    bool started;      /* the head went out: the reply is chunked */
    bool gone;         /* a write failed: the client is gone */
};

/* Prepares st to render a scrape of reply r into body (empty) for c:
 * streamed once body holds threshold bytes (0: never), else kept whole.
 * r is borrowed until promc__http_stream_end returns; its head must not
 * be bodiless or a HEAD's. */
void promc__http_stream_init(struct promc__http_stream *st, promc_http_server *s,
                             struct promc__http_conn *c, struct promc__chain *body,
                             struct promc__http_reply *r, size_t threshold);
/* The promc_write_fn the scrape renders into (ctx: the stream). Below the
 * threshold it appends to the body (non-zero when memory ran out); past it
 * the head goes out (r->chunked set, r->extra_headers the server's), and
 * each further FLUSH bytes become a chunk written as far as the socket
 * takes at once. Non-zero, stopping the render, when memory ran out or the
 * client is gone. */
int promc__http_stream_write(void *ctx, const char *data, size_t len);
/* After the render, once st->started: ends the body when whole (the last
 * chunk and the zero-size one), calls r->sending with r->status, sends
 * what the socket takes and reserves the rest in the budget for the loop.
 * Not whole, or nothing can be kept (out of memory, the client gone, no
 * room within a second: counted as a slow reader shed), the output is
 * dropped before the end of the body. Returns false when the connection
 * must close, the response cut short. */
bool promc__http_stream_end(struct promc__http_stream *st, bool whole);

/* ===================================================================== */
/* Event loop (http_loop.c)                                               */
/* ===================================================================== */

/* Creates the loop's descriptors and watches the listener (s->listen_fd);
 * PROMC_EIO (recorded) on failure. */
int promc__http_loop_init(promc_http_server *s);
/* Starts the loop thread; false when it cannot be created. */
bool promc__http_loop_start(promc_http_server *s);
/* Tells the loop to stop and joins it: no connection is accepted or read
 * after it returns. */
void promc__http_loop_stop(promc_http_server *s);
/* After the loop and the workers stopped: writes what slow readers are still
 * owed, within write_timeout. */
void promc__http_loop_finish_writes(promc_http_server *s);
/* Closes every connection and the loop's descriptors (the loop thread is
 * not running). Safe on a partly initialised server. */
void promc__http_loop_free(promc_http_server *s);

/* ===================================================================== */
/* Workers (http_workers.c)                                               */
/* ===================================================================== */

/* Drops request-body bytes still owed (c->skip) from the front of c->buf. */
void promc__http_conn_skip_body(struct promc__http_conn *c);
/* Drops the answered request from c->buf: its head, and as much of its body
 * as has arrived; the rest of the body is left in c->skip. */
void promc__http_conn_next(struct promc__http_conn *c);
/* Gives the bytes of the request body c holds back to the body budget,
 * once; the body itself stays until promc__http_conn_drop_body. */
void promc__http_conn_uncount_body(promc_http_server *s, struct promc__http_conn *c);
/* Frees the request body c holds, if any, and gives its bytes back to the
 * body budget if they are still counted. */
void promc__http_conn_drop_body(promc_http_server *s, struct promc__http_conn *c);
/* Queues c, whose complete request head is in c->buf[0..head_len), for a
 * worker; false when the queue is full. */
bool promc__http_enqueue(promc_http_server *s, struct promc__http_conn *c);
/* Starts the worker threads; false (none left running) when one cannot be
 * created. */
bool promc__http_workers_start(promc_http_server *s);
/* Lets each worker finish the connection it serves and joins them; queued
 * connections stay queued (the loop's list still holds them). */
void promc__http_workers_stop(promc_http_server *s);

/* ===================================================================== */
/* Routing (http_routes.c)                                                */
/* ===================================================================== */

/* What a worker thread keeps from one request to the next. */
struct promc__http_scratch {
    struct promc__buf body;     /* small response bodies are built here */
    struct promc__chain scrape; /* and scrapes here, whatever their size */
    struct promc__gzip *gz;     /* made on the first compressed scrape */
    /* A scrape's ?name[]= values: decoded one after another, each
     * NUL-terminated, and the NULL-terminated list of them. */
    char *names;
    size_t names_cap;
    const char **name_list;
    size_t name_list_cap;
};

/* Answers the request parsed in c->req (its head is c->buf[0..head_len)) on
 * a worker thread, building bodies in the worker's scratch. Returns false
 * when the connection must close. */
bool promc__http_answer(promc_http_server *s, struct promc__http_conn *c,
                        struct promc__http_scratch *w);
/* Whether q asks for the metrics endpoint (the server has one). */
bool promc__http_is_metrics(const promc_http_server *s, const struct promc__http_request *q);
/* Whether the loop may answer q itself: GET or HEAD /-/healthy without a
 * chunked body (which only a worker can skip), on a server without a
 * handler (which owns /-/healthy). */
bool promc__http_is_health_check(const promc_http_server *s, const struct promc__http_request *q);
/* The health check's answer to q. */
struct promc__http_reply promc__http_health_reply(const struct promc__http_request *q);
/* Whether the server has a handler of either kind (which then owns every
 * path but the metrics one). */
bool promc__http_has_handler(const promc_http_server *s);
/* Whether q goes to a request handler with a body to read first
 * (Content-Length above 0, or chunked): the loop receives it before
 * queueing the request. */
bool promc__http_wants_body(const promc_http_server *s, const struct promc__http_request *q);
/* Whether the calling thread is running one of s's callbacks: its handler,
 * its on_sent, or a collector its scrape called. */
bool promc__http_in_callback_of(const promc_http_server *s);

/* ===================================================================== */
/* The request a request handler reads (http_request.c)                   */
/* ===================================================================== */

struct promc_http_request {
    const char *method, *path, *query;
    const struct promc__http_request *head; /* its header spans, NUL-terminated */
    const char *body;
    size_t body_len;
    char addr[64]; /* INET6_ADDRSTRLEN and more */
    int port;
};

/* Builds r from the request parsed in c->req (head in c->buf), for the
 * duration of one handler call: NUL-terminates method, path, query and
 * every header name and value in place (each is followed by a delimiter
 * the parser no longer needs), formats the client's address, and points
 * at c's body. */
void promc__http_request_init(struct promc_http_request *r, struct promc__http_conn *c);
/* The query string of q (after the path's '?'), or NULL; *len its bytes. */
const char *promc__http_query_of(const struct promc__http_request *q, size_t *len);

/* ===================================================================== */
/* Handler metrics (http_instrument.c)                                    */
/* ===================================================================== */

/* A handler call starts (in flight). */
void promc__http_instrument_begin(promc_http_instrument *inst);
/* It ended: the response was handed over with status and body_bytes of
 * body (the handler's, 0 for a status without one), seconds after it
 * started. */
void promc__http_instrument_end(promc_http_instrument *inst, const char *method, int status,
                                size_t body_bytes, double seconds);

/* ===================================================================== */
/* Listening (http_listen.c)                                              */
/* ===================================================================== */

/* Binds a non-blocking listening socket on addr ("host:port", ":port" for
 * all interfaces, "[v6]:port"); returns it and the bound port in *port, or
 * -1 with the error recorded (PROMC_EINVAL for the address, PROMC_EIO when
 * it cannot be bound). */
int promc__http_listen(const char *addr, int *port);
/* Checks that fd is a listening stream socket (one the caller bound, or
 * systemd passed), makes it non-blocking and close-on-exec, and sets *port
 * to its port (0 without one, as for a Unix socket). PROMC_EINVAL with the
 * reason when it is not one. */
int promc__http_check_listener(int fd, int *port);

#endif /* PROMC_HTTP_INTERNAL_H */
