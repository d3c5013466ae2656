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

typedef struct promc_http_server promc_http_server;

/* What a custom handler answers. The server writes it after the handler
 * returns, so body, content_type and allow must stay valid until then: use
 * static storage, or memory the handler allocated and on_sent frees.
 * content_type and allow must be at most 256 bytes without control
 * characters, and status in 100..999; otherwise the client gets a 500. */
typedef struct promc_http_response {
    int status;               /* default 200 */
    const char *content_type; /* default "text/plain; charset=utf-8" */
    const char *body;         /* may be NULL */
    size_t body_len;
    const char *allow; /* an Allow header value (for 405), or NULL */
    void *context;     /* for the handler's own use, e.g. what on_sent must free */
} promc_http_response;

/* Called for every request the server does not answer itself: with a
 * handler, only the metrics path is built in (not /, nor /-/healthy). method and
 * path (without the query) are whole and NUL-terminated, valid until on_sent
 * returns. Runs on a worker thread; several calls may run at once. */
typedef void (*promc_http_handler)(void *userdata, const char *method, const char *path,
                                   promc_http_response *response);
/* Called once a handler's response was handed to the connection
 * (written_ok = 1: sent, or queued behind a slow reader) or failed to be,
 * with the same response: count the request, free what it holds (its bytes
 * have been copied by then). */
typedef void (*promc_http_sent_fn)(void *userdata, const char *method, const char *path,
                                   const promc_http_response *response, int written_ok);

typedef struct promc_http_opts {
    /* Where metrics are served; default "/metrics". */
    const char *metrics_path;
    /* Worker threads that run scrapes and handlers; default 2. */
    unsigned workers;
    /* Complete requests queued for the workers; beyond this the server
     * answers 503 at once. Default 64. */
    unsigned max_queue;
    /* Open connections; past this, the connection idle or waiting longest
     * for its request is closed to make room. Default 4096. */
    unsigned max_connections;
    /* Request-target bytes (414 beyond); default 8192. */
    size_t max_target;
    /* Request head bytes, request line included (431 beyond); default 16384. */
    size_t max_head;
    /* Seconds to receive a whole request head once it started; default 10. */
    double read_timeout;
    /* Seconds a keep-alive connection may sit idle; default 60. */
    double idle_timeout;
    /* Seconds a slow reader may take to read a response; default 30. */
    double write_timeout;
    /* HTTP Basic authentication for everything but /-/healthy (both set, or
     * both NULL). Compared in constant time. */
    const char *basic_auth_user;
    const char *basic_auth_password;
    /* Non-zero: do not register the server's own metrics. */
    int disable_self_metrics;
    /* Non-zero: no metrics endpoint at all, e.g. for an application server
     * with a handler; the registry argument is then ignored (NULL is fine)
     * and no self-metrics are registered. */
    int disable_metrics;
    /* Non-zero: always answer in the text format 0.0.4, whatever Accept says
     * (client_golang's default; OpenMetrics is on here by default). */
    int disable_openmetrics;
    /* What a scrape whose exposition fails (a collector failed, families
     * clashed) gets. 0 (default, client_golang's HTTPErrorOnError): 500 with
     * a text/plain body "500 exposition failed: <reason>". Non-zero
     * (client_golang's ContinueOnError): 200 with what was encoded.
     * Running out of memory is a 500 either way. Both are counted in
     * promc_http_scrape_errors_total. */
    int serve_partial_on_error;
    /* Custom requests (see promc_http_handler). */
    promc_http_handler handler;
    promc_http_sent_fn on_sent;
    void *handler_data;
} promc_http_opts;

/* Starts serving reg (NULL = default registry; for a server without a
 * metrics endpoint set opts->disable_metrics instead) on addr:
 * "host:port", ":port" (all interfaces), "[::1]:port", port 0 = ephemeral.
 * opts may be NULL. Returns NULL with the reason in promc_last_error() when
 * the address is invalid or cannot be bound. The server's own metrics
 * (promc_http_requests_total{code}, promc_http_scrape_errors_total,
 * promc_http_requests_in_flight,
 * promc_http_last_scrape_duration_seconds, promc_http_last_scrape_bytes) are
 * registered in reg unless disabled. Free it with promc_http_server_free. */
/* PROMC_NO_REGISTRY is refused with PROMC_EINVAL. */
PROMC_API promc_http_server *promc_http_server_new(promc_registry *reg, const char *addr,
                                                   const promc_http_opts *opts);
/* The port the server listens on (the chosen one for port 0). */
PROMC_API int promc_http_server_port(const promc_http_server *srv);
/* Stops accepting, lets in-flight requests finish, closes every connection,
 * joins the threads, unregisters the server's metrics and frees srv; returns
 * PROMC_OK. NULL is a no-op returning PROMC_OK. Called from one of srv's
 * own callbacks (its handler, its on_sent, or a collector its scrape runs),
 * which it would wait for, it returns PROMC_ESTATE and leaves srv running. */
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
    const char *content_type;   /* of the request body; default text/plain */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated */
} promc_http_client_opts;

typedef struct promc_http_result {
    int status; /* the response's status code */
    char *body; /* NUL-terminated (binary-safe with body_len) */
    size_t body_len;
    char *content_type; /* NULL if absent */
    char *location;     /* Location header of a redirect, NULL if absent */
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
PROMC_API void promc_http_result_free(promc_http_result *r);

/* ===================================================================== */
/* Pushgateway                                                            */
/* ===================================================================== */

typedef struct promc_push_opts {
    /* Grouping labels beside job, e.g. {{"instance", "host1"}}; values with
     * '/' or empty ones are sent in the "@base64" form. */
    const promc_label *grouping;
    size_t ngrouping;
    double timeout; /* seconds; default 10 */
    const char *basic_user;
    const char *basic_password;
} promc_push_opts;

/* PUT: replaces every metric of the group (job + grouping) with reg's. The
 * gateway URL is its base, e.g. "http://127.0.0.1:9091". Non-2xx answers are
 * PROMC_EIO with the status and the start of the gateway's message. */
PROMC_API int promc_push(promc_registry *reg, const char *gateway, const char *job,
                         const promc_push_opts *opts);
/* POST: replaces only the metrics of the same names in the group. */
PROMC_API int promc_push_add(promc_registry *reg, const char *gateway, const char *job,
                             const promc_push_opts *opts);
/* DELETE: removes the whole group. */
PROMC_API int promc_push_delete(const char *gateway, const char *job, const promc_push_opts *opts);

/* ===================================================================== */
/* Textfile (node_exporter)                                               */
/* ===================================================================== */

/* Writes reg in the text format to path atomically, for node_exporter's
 * textfile collector (path should end in ".prom"): a temporary file in the
 * same directory, fsync, rename, fsync of the directory. A reader sees the
 * old file or the new one, never a part. */
PROMC_API int promc_textfile_write(promc_registry *reg, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* PROMC_HTTP_H */
