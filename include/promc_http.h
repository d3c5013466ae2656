/*
 * promc bridges: the built-in HTTP server for /metrics, the Pushgateway
 * client and the textfile writer for node_exporter. libc + pthreads only.
 *
 * Thread safety: every function here may be called from any thread. A
 * server runs its own threads; handlers you give it are called from them.
 */
#ifndef PROMC_HTTP_H
#define PROMC_HTTP_H

#include "promc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* HTTP server                                                            */
/* ===================================================================== */

/* A running HTTP/1.1 server: one event-loop thread that owns every
 * connection and a few worker threads that scrape and call the handler.
 * Opaque; created by promc_http_server_new, freed by promc_http_server_free.
 * See docs/HTTP.md for what it answers, its limits and its own metrics. */
typedef struct promc_http_server promc_http_server;

/* What a custom handler answers; the handler fills it in, starting from
 * all zeroes but status 200.
 *
 * Ownership: the server only borrows body, content_type and allow. It
 * writes them after the handler returns, copying what the client does not
 * take at once, and calls on_sent after that, when it no longer needs
 * them. So they must stay valid until on_sent is called: static storage,
 * or memory the handler allocated (remember it in context) and on_sent
 * frees. Without an on_sent they must outlive the server's use of them, in
 * practice be static.
 *
 * Validation: status must be in 100..999, content_type and allow at most
 * 256 bytes without control characters (they become header lines);
 * otherwise the client gets a 500 and the connection closes, and on_sent
 * sees status 500. 1xx, 204 and 304 are sent without a body. For a HEAD
 * request only the head is sent, with the body's Content-Length. */
typedef struct promc_http_response {
    int status;               /* default 200 */
    const char *content_type; /* NULL: "text/plain; charset=utf-8" */
    const char *body;         /* may be NULL (an empty body) */
    size_t body_len;          /* bytes of body (it may hold NULs) */
    const char *allow;        /* an Allow header value (for a 405), or NULL */
    void *context;            /* the handler's own, e.g. what on_sent must free;
                                 the server never reads it */
} promc_http_response;

/* Answers a request the server does not answer itself. With a handler,
 * only the metrics path (and authentication) is built in: the handler gets
 * every other path, /, /-/healthy and /-/ready included, with any method.
 * (promc_http_request_handler does the same and also sees the query
 * string, the headers, the client's address and the body.)
 *
 * method and path (without the query string) are whole and NUL-terminated;
 * the server owns them and they stay valid until on_sent returns. userdata
 * is opts.handler_data. Fill in *response (see promc_http_response).
 *
 * Thread safety: runs on a worker thread, and with more than one worker
 * several calls run at once. It must not call promc_http_server_free on its
 * own server (refused with PROMC_ESTATE). */
typedef void (*promc_http_handler)(void *userdata, const char *method, const char *path,
                                   promc_http_response *response);

/* Called once per handler call, after the response was handed to the
 * connection (written_ok = 1: sent, or the rest queued behind a slow
 * reader, already copied) or failed to be (written_ok = 0: the client is
 * gone), with the same method, path and response; response->status is what
 * was sent (500 for an invalid response, 503 when max_pending_bytes had no
 * room for it). The place to count the request and free what the response
 * holds.
 *
 * Thread safety: as for the handler, on the same worker thread right after
 * it. It must not call promc_http_server_free on its own server. */
typedef void (*promc_http_sent_fn)(void *userdata, const char *method, const char *path,
                                   const promc_http_response *response, int written_ok);

/* A request a promc_http_request_handler answers: what the client sent,
 * read through the promc_http_request_* functions below. Opaque.
 *
 * Ownership: the server owns it and everything its functions return; all
 * of it is valid during the handler call only (copy what must outlive it).
 * Thread safety: read it on the thread that runs the handler. */
typedef struct promc_http_request promc_http_request;

/* The request's method as sent ("GET", "POST", any token), NUL-terminated.
 * NULL for NULL req. Cannot fail otherwise. Valid during the handler call. */
PROMC_API const char *promc_http_request_method(const promc_http_request *req);
/* The request's path, without the query string, as sent (not
 * percent-decoded), NUL-terminated; "/" for an absolute-form target
 * without one. NULL for NULL req. Cannot fail otherwise. Valid during the
 * handler call. */
PROMC_API const char *promc_http_request_path(const promc_http_request *req);
/* The raw query string: what follows the path's '?', not decoded
 * (promc_http_query_value decodes one parameter), NUL-terminated; "" when
 * the target has no '?'. NULL for NULL req. Cannot fail otherwise. Valid
 * during the handler call. */
PROMC_API const char *promc_http_request_query(const promc_http_request *req);
/* The value of the first header named name, compared case-insensitively
 * ("content-type" finds "Content-Type"), without surrounding whitespace,
 * NUL-terminated; NULL when the request has none, or req or name is NULL.
 * Cannot fail otherwise. Valid during the handler call. */
PROMC_API const char *promc_http_request_header(const promc_http_request *req, const char *name);
/* The request's i-th header (from 0, in the order sent): its name and
 * value, NUL-terminated, in *name and *value. Returns 1, or 0 (and both
 * NULL) when i is past the last header or an argument is NULL. Cannot fail
 * otherwise. Valid during the handler call. */
PROMC_API int promc_http_request_header_at(const promc_http_request *req, size_t i,
                                           const char **name, const char **value);
/* The client's address as text: "192.0.2.1" for IPv4 (also an IPv4 client
 * of a dual-stack socket), "2001:db8::1" for IPv6, "" for a Unix socket.
 * The peer of the connection, not X-Forwarded-For (read that header behind
 * a proxy you trust). NULL for NULL req. Cannot fail otherwise. Valid
 * during the handler call. */
PROMC_API const char *promc_http_request_client_addr(const promc_http_request *req);
/* The client's port; 0 for a Unix socket, -1 for NULL req. Cannot fail
 * otherwise. */
PROMC_API int promc_http_request_client_port(const promc_http_request *req);
/* The request's body and its length in *len (len may be NULL): all of it,
 * as sent with Content-Length (it may hold NULs), followed by a NUL byte
 * that is not counted; "" with *len 0 without a body. The server reads the
 * whole body before calling the handler, up to opts.max_body bytes (see
 * there for what happens beyond, and to chunked bodies). NULL (and *len 0)
 * for NULL req. Cannot fail otherwise. Valid during the handler call. */
PROMC_API const char *promc_http_request_body(const promc_http_request *req, size_t *len);

/* Decodes the value of the query parameter key in query (e.g.
 * promc_http_request_query's "a=1&b=x%20y"), as Go's url.Query().Get does:
 * the first pair whose key decodes to key; "%XY" is that byte and '+' a
 * space, in keys and values. A key without '=' has the value "".
 *
 * Writes the value NUL-terminated into out[0..cap) and returns its length;
 * returns -1 when the parameter is absent, with promc_last_error_code()
 * PROMC_ENOENT.
 * Errors (-1): PROMC_EINVAL for query, key or out NULL, cap 0, or a '%'
 * not followed by two hex digits in a pair looked at; PROMC_ELIMIT when the
 * value and its NUL do not fit in cap (out then holds nothing usable);
 * PROMC_ENOENT when absent. Any thread. */
PROMC_API long promc_http_query_value(const char *query, const char *key, char *out, size_t cap);

/* Answers a request the server does not answer itself, as promc_http_handler
 * does, but sees the whole request: method, path, query string, headers,
 * client address and body (see promc_http_request). userdata is
 * opts.handler_data. Fill in *response (see promc_http_response).
 *
 * Thread safety: as promc_http_handler: on a worker thread, several calls
 * at once with more than one worker; it must not call
 * promc_http_server_free on its own server. */
typedef void (*promc_http_request_handler)(void *userdata, const promc_http_request *req,
                                           promc_http_response *response);

/* Counts and times the requests a custom handler answers, as client_golang's
 * promhttp.InstrumentHandlerCounter, ...Duration, ...InFlight and
 * ...ResponseSize do together. Created by promc_http_instrument_new, given
 * to servers in promc_http_opts.instrument, freed by
 * promc_http_instrument_free. Opaque. */
typedef struct promc_http_instrument promc_http_instrument;

/* Options of promc_http_instrument_new; all optional (zero = default), the
 * pointer may be NULL. Read during the call only. */
typedef struct promc_http_instrument_opts {
    /* Metric names; defaults as client_golang's promhttp examples:
     * "api_requests_total" (counter, labels code and method),
     * "request_duration_seconds" (histogram, code and method),
     * "in_flight_requests" (gauge) and "response_size_bytes" (histogram,
     * code and method). A counter's name may be given with or without
     * "_total". */
    const char *requests_name;
    const char *duration_name;
    const char *in_flight_name;
    const char *response_size_name;
    /* Bucket upper bounds (as promc_histogram_opts.buckets); NULL: the
     * default buckets for the duration, {200, 500, 900, 1500} bytes for the
     * response size (promhttp's example). */
    const double *duration_buckets;
    size_t duration_nbuckets;
    const double *response_size_buckets;
    size_t response_size_nbuckets;
} promc_http_instrument_opts;

/* Creates the four metrics in reg (NULL: the default registry) and returns
 * them as one instrument for promc_http_opts.instrument. A server given it
 * counts every request its handler (either kind) answered, once the answer
 * was handed to the connection: the requests counter by code and method,
 * and the duration (from the handler's call until then) and response body
 * size (bytes of the handler's body, as promhttp counts what a handler
 * writes: also for HEAD, whose head carries its length; 0 for 1xx, 204 and
 * 304, which have none) by code and method, with the in-flight gauge up
 * while the handler runs. The metrics path is not included (the server's
 * own promc_http_* metrics count it), nor what the server answers without
 * calling the handler (401, 411, 413, 503, malformed requests).
 *
 * Label values are bounded: code is the status sent ("200", "503"; the
 * handler's status is 100..999), method is the standard method in lower
 * case ("get", "post", "put", "delete", "head", "options", "patch",
 * "connect", "trace", "notify") and "unknown" for any other, as
 * client_golang's sanitizeMethod.
 *
 * Several servers may share one instrument. Errors: NULL with the last
 * error: PROMC_EINVAL for PROMC_NO_REGISTRY (the metrics would be exposed
 * nowhere), and the errors of promc_counter_vec_new,
 * promc_histogram_vec_new and promc_gauge_new for these names and buckets
 * (PROMC_EINVAL for an invalid name or buckets, PROMC_EEXIST when one is
 * taken), PROMC_ENOMEM. Nothing stays registered on failure. Any thread. */
PROMC_API promc_http_instrument *promc_http_instrument_new(promc_registry *reg,
                                                           const promc_http_instrument_opts *opts);
/* Unregisters the instrument's metrics and frees it. Every server given it
 * must have been freed first. NULL is a no-op. Cannot fail: returns
 * PROMC_OK. Thread safety: any thread, once. */
PROMC_API int promc_http_instrument_free(promc_http_instrument *inst);

/* Decides whether HTTP Basic credentials may use the server (see
 * promc_http_opts.basic_auth_check): returns non-zero to let the request
 * through, 0 to answer it 401.
 *
 * user and password are what the client's "Authorization: Basic" header
 * decodes to, split at the first ':', each NUL-terminated; the server owns
 * them and they are valid during the call only. userdata is
 * opts.basic_auth_data. It is never called for a request without Basic
 * credentials, or with credentials that are not base64, have no ':', hold
 * a NUL byte or are over 512 bytes decoded: those get the 401 at once.
 *
 * Compare secrets in constant time: the server cannot hide how long this
 * call takes. Thread safety: runs on worker threads, several at once with
 * more than one worker. It must not call promc_http_server_free on its own
 * server. */
typedef int (*promc_http_basic_auth_fn)(void *userdata, const char *user, const char *password);

/* Options of promc_http_server_new. Zero-initialise and set what you need
 * (designated initializers): every zero field means its default. The
 * server copies the strings it keeps (metrics_path, the credentials), so
 * the struct and its strings may be freed once promc_http_server_new
 * returns; handler_data is borrowed until promc_http_server_free returns. */
typedef struct promc_http_opts {
    /* --- What is served --------------------------------------------- */
    /* The metrics path; default "/metrics". It must start with '/', be at
     * most max_target bytes, and hold only visible ASCII without '?' (what a
     * request path can be); otherwise promc_http_server_new fails. */
    const char *metrics_path;
    /* Non-zero: no metrics endpoint at all, e.g. for an application server
     * with a handler; the registry argument is then ignored (NULL is fine),
     * no self-metrics are registered and metrics_path is not checked. */
    int disable_metrics;
    /* Non-zero: do not register the server's own metrics. */
    int disable_self_metrics;
    /* Non-zero: always answer in the text format 0.0.4, whatever Accept says
     * -- no OpenMetrics, no protobuf (client_golang's default; both are on
     * here by default). */
    int disable_openmetrics;
    /* What a scrape whose exposition fails (a collector failed, families
     * clashed) gets. 0 (default, client_golang's HTTPErrorOnError): 500 with
     * a text/plain body "500 exposition failed: <reason>". Non-zero
     * (client_golang's ContinueOnError): 200 with what was encoded.
     * Running out of memory is a 500 either way. Both are counted in
     * promc_http_scrape_errors_total. */
    int serve_partial_on_error;
    /* Non-zero: never compress. By default a scrape whose Accept-Encoding
     * allows gzip (by q-value, over identity) is answered gzip-compressed,
     * and every metrics response says "Vary: Accept-Encoding". */
    int disable_gzip;

    /* --- Scrape deadline (docs/HTTP.md) ------------------------------ */
    /* Seconds a scrape may wait for custom collectors at most; a scrape's
     * deadline is its X-Prometheus-Scrape-Timeout-Seconds (which Prometheus
     * sends) less scrape_timeout_offset, within this; without the header,
     * this. A collector still running then is left behind (see
     * promc_scrape_opts.timeout): the answer has everything else and
     * promc_collector_timeouts_total counts it. Default 10 (Prometheus's
     * default scrape_timeout); negative or +INFINITY: no maximum (without
     * the header, no deadline at all). NaN is refused. */
    double max_scrape_timeout;
    /* Seconds taken off the header's timeout to leave time for encoding and
     * sending, never more than half of it (as blackbox_exporter's
     * --timeout-offset). Default 0.5; negative: none. NaN and infinity are
     * refused. */
    double scrape_timeout_offset;

    /* --- Threads and queue ------------------------------------------- */
    /* Worker threads that run scrapes and handlers; default 2, at most 256. */
    unsigned workers;
    /* Complete requests queued for the workers; beyond this the server
     * answers 503 at once. Default 64, at most 65536. */
    unsigned max_queue;

    /* --- Connections and requests ------------------------------------ */
    /* Open connections; past this, the connection idle or waiting longest
     * for its request is closed to make room. Default 4096. */
    unsigned max_connections;
    /* Request-target bytes (414 beyond); default 8192. */
    size_t max_target;
    /* Request head bytes, request line included (431 beyond); default
     * 16384, at least 256 (a smaller value is raised to it). Each open
     * connection holds a buffer of this size. */
    size_t max_head;
    /* Seconds to receive a whole request head once it started (and for a
     * new connection to send one); default 10. Zero, negative or NaN means
     * the default, for all three timeouts. */
    double read_timeout;
    /* Seconds a keep-alive connection may sit idle between requests;
     * default 60. */
    double idle_timeout;
    /* Seconds a slow reader may take to read the rest of a response (also
     * the bound on finishing responses when the server is freed); default
     * 30. */
    double write_timeout;
    /* Bytes of responses not yet sent (being written, or waiting for slow
     * readers), all connections together; default 64 MiB. A response
     * reserves its whole size before its first byte is sent and gives back
     * what the socket takes at once, so none is ever cut short for want of
     * room. When one does not fit, the connections whose responses have
     * waited longest for their readers are closed to make room (counted in
     * promc_http_slow_readers_shed_total); if there is still none within a
     * second, the request gets a 503 and nothing else. A response larger
     * than this is always a 503. A streamed scrape (stream_threshold)
     * reserves, once rendered, only what its reader has not taken yet;
     * without room for that, its connection is closed before the end of
     * the body and counted in the same counter. */
    size_t max_pending_bytes;
    /* Bytes of a scrape's body (compressed, when it is) past which it is
     * sent while it is rendered, in chunks (Transfer-Encoding: chunked), as
     * client_golang does: the client reads while the server renders, and
     * the server never holds the whole body. Default 1 MiB; SIZE_MAX:
     * never (every body whole, with a Content-Length). Below it, and for
     * HTTP/1.0 requests, the body is rendered whole first; a HEAD only
     * counts the bytes of its Content-Length, keeping none. Once a
     * body is streamed its status (200) is sent: when the scrape then fails
     * (a collector, unless serve_partial_on_error, or memory), the
     * connection is closed before the end of the body instead of a 500,
     * which clients, Prometheus included, report as a failed scrape. */
    size_t stream_threshold;

    /* --- Authentication ---------------------------------------------- */
    /* HTTP Basic authentication for everything but /-/healthy and
     * /-/ready: both set,
     * or both NULL; at most 512 bytes as "user:password". Compared in
     * constant time. A failure is a 401 with WWW-Authenticate. */
    const char *basic_auth_user;
    const char *basic_auth_password;
    /* HTTP Basic authentication decided by the application instead (e.g.
     * against bcrypt hashes, as exporter-toolkit's basic_auth_users): the
     * same routes are protected, a request without acceptable credentials
     * gets the same 401, and every other one is given to this callback
     * (see promc_http_basic_auth_fn). Not together with basic_auth_user
     * (refused). basic_auth_data is passed to it, borrowed until
     * promc_http_server_free returns. */
    promc_http_basic_auth_fn basic_auth_check;
    void *basic_auth_data;

    /* --- Response headers and index page ----------------------------- */
    /* Extra header lines "Name: value", NULL-terminated, sent with every
     * response the server gives (not with the errors its event loop sends
     * itself for a malformed or oversized request or a full queue); e.g.
     * exporter-toolkit's http_server_config.headers. Names are HTTP
     * tokens, values at most 256 bytes without control characters, at
     * most 32 lines and 4096 bytes in all; a name may not repeat, nor be
     * one the server sets itself (Date, Content-Type, Content-Length,
     * Content-Encoding, Transfer-Encoding, Connection, Vary, Allow,
     * WWW-Authenticate). Copied. */
    const char *const *headers;
    /* The index page at "/" (exporter-toolkit's landing page): a title
     * (default "promc exporter"), a line of description and a version, each
     * at most 1024 bytes, shown HTML-escaped; NULL leaves a line out.
     * Copied. */
    const char *index_name;
    const char *index_description;
    const char *index_version;

    /* --- Custom requests (see promc_http_handler) -------------------- */
    /* NULL (and no request_handler): the built-in /, /-/healthy,
     * /-/ready and 404. */
    promc_http_handler handler;
    promc_http_sent_fn on_sent; /* may be NULL */
    void *handler_data;         /* passed to all three; borrowed */
    /* A handler that sees the whole request (see promc_http_request); it
     * takes the place of handler, which must then be NULL (refused). */
    promc_http_request_handler request_handler;
    /* Bytes of one request body a request_handler may get; default 1 MiB.
     * The server reads a body (Content-Length) in full before it calls the
     * handler, within read_timeout of the request's first byte. A larger
     * Content-Length is answered 413 at once and the connection closed,
     * without reading the body or calling the handler (a client that sent
     * "Expect: 100-continue" gets "100 Continue" once its body is accepted,
     * so it sends none that would be refused). A chunked body
     * (Transfer-Encoding: chunked, whose size is not known in advance) is
     * answered 411 Length Required the same way. Bodies of requests to the
     * metrics path, or for the older handler, are not kept: they are read
     * and discarded as before. */
    size_t max_body;
    /* Bytes of request bodies held at once, all connections together,
     * being received, waiting for a worker or read by the handler (a body
     * is back in the budget before its answer goes out); default 16 MiB,
     * and at least max_body (refused otherwise). A body that does not fit
     * is answered 503 at once and the connection closed. */
    size_t max_body_total;
    /* Counts the handler's requests (see promc_http_instrument_new); NULL:
     * not counted. Borrowed until promc_http_server_free returns. */
    promc_http_instrument *instrument;
} promc_http_opts;

/* Binds addr and starts serving reg on it: the registry's exposition on the
 * metrics path, a health check, an index page (or the handler's answers).
 * Returns when the server is accepting connections.
 *
 * reg: the registry to serve, NULL for the default one. PROMC_NO_REGISTRY
 * is refused: a server without a metrics endpoint sets opts->disable_metrics
 * instead, and reg is then ignored. The server holds a reference to the
 * registry until it is freed, so the registry may be freed first.
 * addr: "host:port" (a name or an IPv4 address), ":port" (all interfaces,
 * dual-stack where the machine has IPv6), "[v6]:port"; port 0 picks a free
 * one (see promc_http_server_port). opts may be NULL (all defaults).
 *
 * Self-metrics: unless disabled, promc_http_requests_total{code},
 * promc_http_scrape_errors_total, promc_http_slow_readers_shed_total,
 * promc_http_requests_in_flight, promc_http_last_scrape_duration_seconds,
 * promc_http_last_scrape_bytes, promc_http_scrape_exposition_bytes_total and
 * promc_http_scrape_response_bytes_total are registered in reg, and unregistered by
 * promc_http_server_free. A second server on the same registry goes without them.
 *
 * Returns the server (free it with promc_http_server_free). Errors: NULL
 * with promc_last_error_code() and a message in promc_last_error():
 *   PROMC_EINVAL  PROMC_NO_REGISTRY without disable_metrics; addr NULL,
 *                 malformed or not resolvable; only one of the Basic
 *                 credentials, or credentials over 512 bytes;
 *                 basic_auth_check together with basic_auth_user; a header
 *                 line or index text that breaks its rules; a metrics
 *                 path that no request could ask for; workers or max_queue
 *                 above their bounds; a NaN max_scrape_timeout, a NaN or
 *                 infinite scrape_timeout_offset; both handler and
 *                 request_handler; max_body above max_body_total
 *   PROMC_EIO     addr cannot be bound (in use, no permission), or the
 *                 event loop or the threads cannot be set up
 *   PROMC_ENOMEM  out of memory
 *
 * Thread safety: may be called from any thread. */
PROMC_API promc_http_server *promc_http_server_new(promc_registry *reg, const char *addr,
                                                   const promc_http_opts *opts);

/* promc_http_server_new on a socket that is already listening instead of
 * an address: one systemd passed to a socket-activated service (the
 * LISTEN_FDS protocol, fds from 3 on), inetd gave, or the program bound
 * itself (a Unix socket, say). Everything else -- reg, opts, what is served,
 * the self-metrics -- is as for promc_http_server_new.
 *
 * fd: a listening stream socket of any family (IPv4, IPv6, Unix). It is
 * made non-blocking and close-on-exec.
 *
 * Ownership: on success the server owns fd and closes it in
 * promc_http_server_free; do not close it, or give it to another server.
 * On failure fd stays open and the caller's.
 *
 * Returns the server (free it with promc_http_server_free); its
 * promc_http_server_port is the socket's port (0 for a Unix socket).
 * Errors: NULL with promc_last_error_code() and a message in
 * promc_last_error():
 *   PROMC_EINVAL  fd negative, not open, not a socket, not a stream
 *                 socket, or not listening (listen() not called); and
 *                 every option error of promc_http_server_new
 *   PROMC_EIO     the event loop or the threads cannot be set up
 *   PROMC_ENOMEM  out of memory
 *
 * Thread safety: may be called from any thread. */
PROMC_API promc_http_server *promc_http_server_new_fd(promc_registry *reg, int fd,
                                                      const promc_http_opts *opts);

/* The port srv listens on: the one chosen by the system for port 0; 0 for a
 * socket without a port (a Unix socket given to promc_http_server_new_fd).
 * -1 for NULL. Cannot fail otherwise.
 *
 * Thread safety: any thread, while srv has not been freed. */
PROMC_API int promc_http_server_port(const promc_http_server *srv);

/* Stops srv and frees it: stops accepting, lets requests being answered
 * finish and finishes responses owed to slow readers (each bounded by
 * write_timeout), drops queued requests, closes every connection, joins
 * the threads and unregisters the self-metrics. srv is invalid afterwards.
 *
 * Returns PROMC_OK; NULL is a no-op returning PROMC_OK. Errors: called from
 * one of srv's own callbacks (its handler, its on_sent, or a collector its
 * scrape runs), which it would have to wait for, it returns PROMC_ESTATE
 * with a message and leaves srv running.
 *
 * Thread safety: any other thread, once; no other call on srv may run or
 * follow. It blocks until the server's threads have ended. */
PROMC_API int promc_http_server_free(promc_http_server *srv);

/* ===================================================================== */
/* HTTP client                                                            */
/* ===================================================================== */

/* A small HTTP/1.1 client over plain sockets, used by the Pushgateway client
 * and the example exporters: one request per connection, Content-Length and
 * chunked bodies, redirects reported but not followed, bounded in time and
 * size. No TLS (libc has none): put a local TLS terminator in front. */
typedef struct promc_http_client_opts {
    double connect_timeout; /* seconds; default 5 */
    double timeout;         /* seconds for the whole exchange; default 10 */
    size_t max_body;        /* response body cap in bytes; default 16 MiB */
    /* Authorization: Basic (user and password both set) or Bearer. */
    const char *basic_user;
    const char *basic_password;
    const char *bearer_token;
    const char *content_type; /* of the request body; default text/plain */
    /* Extra "Name: value" lines, NULL-terminated. An Accept line among them
     * replaces the default Accept (any type); Host, Content-Length,
     * Transfer-Encoding and Connection are the client's own (refused). */
    const char *const *headers;
} promc_http_client_opts;

/* A response promc_http_fetch received; owned by the caller, released with
 * promc_http_result_free. */
typedef struct promc_http_result {
    int status; /* the response's status code */
    char *body; /* NUL-terminated (binary-safe with body_len) */
    size_t body_len;
    char *content_type; /* NULL if absent */
    char *location;     /* Location header of a redirect, NULL if absent */
    /* Retry-After header as sent (delta-seconds or an HTTP-date), NULL if
     * absent; with a 429 or 503, how long the server asks callers to wait. */
    char *retry_after;
} promc_http_result;

/* Performs one request to an http:// URL ("http://host[:port]/path?query",
 * IPv6 hosts in brackets). Returns PROMC_OK when a response arrived, whatever
 * its status, and fills *out (release with promc_http_result_free). Errors:
 * PROMC_EINVAL (bad URL, https), PROMC_EIO (resolve, connect, reset, timeout,
 * malformed response -- the message says which), PROMC_ELIMIT (body larger
 * than max_body), PROMC_ENOMEM. *out is zeroed on error. */
PROMC_API int promc_http_fetch(const char *method, const char *url, const char *body,
                               size_t body_len, const promc_http_client_opts *opts,
                               promc_http_result *out);
/* Frees what a promc_http_result holds and zeroes it; NULL and a zeroed
 * result are no-ops. Cannot fail; any thread. */
PROMC_API void promc_http_result_free(promc_http_result *r);

/* ===================================================================== */
/* Pushgateway                                                            */
/* ===================================================================== */

/* Options of the push calls; all optional (zero = default), the pointer
 * itself may be NULL. Strings and the grouping array are read during the
 * call only. */
typedef struct promc_push_opts {
    /* Grouping labels beside job, e.g. {{"instance", "host1"}}; values with
     * '/' or empty ones are sent in the "@base64" form. */
    const promc_label *grouping;
    size_t ngrouping;
    double timeout; /* seconds; default 10 */
    const char *basic_user;
    const char *basic_password;
    /* What the pushed scrape exposes (e.g. only some families); NULL: the
     * whole registry. */
    const promc_scrape_opts *scrape;
} promc_push_opts;

/* PUT: replaces every metric of the group (job + grouping) with reg's (NULL
 * = the default registry). The gateway URL is its base, e.g.
 * "http://127.0.0.1:9091".
 * Errors: PROMC_EINVAL (bad gateway URL, https, empty job, bad grouping,
 * PROMC_NO_REGISTRY); PROMC_EIO for no connection, a timeout, or a non-2xx
 * answer (the message has the status and the start of the gateway's text);
 * the scrape's errors (as promc_encode); PROMC_ENOMEM. Blocks for at most
 * opts->timeout; any thread. */
PROMC_API int promc_push(promc_registry *reg, const char *gateway, const char *job,
                         const promc_push_opts *opts);
/* POST: replaces only the metrics of the same names in the group.
 * Errors: as promc_push. */
PROMC_API int promc_push_add(promc_registry *reg, const char *gateway, const char *job,
                             const promc_push_opts *opts);
/* DELETE: removes the whole group. Errors: as promc_push. */
PROMC_API int promc_push_delete(const char *gateway, const char *job, const promc_push_opts *opts);

/* ===================================================================== */
/* Textfile (node_exporter)                                               */
/* ===================================================================== */

/* Writes reg (NULL = default) in the text format to path atomically, for
 * node_exporter's textfile collector (path should end in ".prom"): a
 * temporary file in the same directory, fsync, rename, fsync of the
 * directory. A reader sees the old file or the new one, never a part.
 * Errors: PROMC_EINVAL (path NULL, PROMC_NO_REGISTRY); PROMC_EIO (create,
 * write, fsync or rename failed: the message names the file and errno's
 * text; the temporary file is removed); the scrape's errors (as
 * promc_encode); PROMC_ENOMEM. Any thread. */
PROMC_API int promc_textfile_write(promc_registry *reg, const char *path);
/* promc_textfile_write with scrape options (e.g. only some families; see
 * promc_scrape_opts); opts NULL is promc_textfile_write.
 * Errors: as promc_textfile_write. Any thread. */
PROMC_API int promc_textfile_write_ex(promc_registry *reg, const char *path,
                                      const promc_scrape_opts *opts);

/* ===================================================================== */
/* Stopping on SIGTERM and SIGINT                                         */
/* ===================================================================== */

/* The pattern for a program that serves, pushes or writes a textfile until
 * it is told to stop (docs/HTTP.md, "Shutdown"): block the stop signals
 * first, so no thread ever runs a signal handler, then take them
 * synchronously where it is safe to call promc:
 *
 *     promc_stop_signals_block();          first in main, before threads
 *     srv = promc_http_server_new(...);
 *     while (promc_stop_signal_wait(15) == 0)
 *         ... periodic work ...
 *     promc_http_server_free(srv);         then the final push or textfile
 */

/* Blocks SIGINT and SIGTERM in the calling thread. Threads created after
 * it inherit the mask, so call it first in main, before anything starts a
 * thread (a server, a collector, a library of yours): a stop signal then
 * stays pending for promc_stop_signal_wait instead of ending the process
 * or running a handler on some thread. Calling it again is harmless.
 * Cannot fail: returns PROMC_OK. Thread safety: any thread (it changes that
 * thread's mask only). */
PROMC_API int promc_stop_signals_block(void);

/* Waits until SIGINT or SIGTERM is pending for the calling thread or the
 * process and takes it, at most timeout seconds: 0 does not wait,
 * negative or +INFINITY waits for ever. Returns the signal taken (SIGINT
 * or SIGTERM), 0 when the time passed without one.
 * Errors (a negative code): PROMC_EINVAL for a NaN timeout; PROMC_ESTATE
 * when the calling thread does not block both signals (call
 * promc_stop_signals_block first: otherwise a signal could end the process
 * or go to another thread instead). Thread safety: any thread that blocks
 * them; with several waiting, one of them takes each signal. */
PROMC_API int promc_stop_signal_wait(double timeout);

#ifdef __cplusplus
}
#endif

#endif /* PROMC_HTTP_H */
