/*
 * The built-in HTTP/1.1 server's public face: starting a server (its
 * options, their defaults and validation), its port, and stopping it. How
 * the server works, and which file does which job, is described in
 * http_internal.h.
 */
#include <math.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "promc_http.h"

#include "http_internal.h"
#include "internal.h"
#include "registry.h"

/* ===================================================================== */
/* Start and stop                                                         */
/* ===================================================================== */

static void server_free(promc_http_server *s)
{
    promc__http_self_metrics_drop(&s->self);
    if (s->registry)
        promc__registry_unref(s->registry);
    promc__http_loop_free(s);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    pthread_mutex_destroy(&s->qlock);
    pthread_cond_destroy(&s->qcond);
    pthread_mutex_destroy(&s->rlock);
    pthread_mutex_destroy(&s->room_lock);
    pthread_cond_destroy(&s->room_freed);
    promc__free(s->queue);
    promc__free(s->workers);
    promc__free(s->metrics_path);
    promc__free(s->auth);
    promc__free(s->extra_headers);
    promc__free(s->index_name);
    promc__free(s->index_description);
    promc__free(s->index_version);
    promc__free(s);
}

/* The defaults of promc_http_opts, as its header documents them. */
#define DEFAULT_METRICS_PATH    "/metrics"
#define DEFAULT_WORKERS         2
#define DEFAULT_MAX_QUEUE       64
#define DEFAULT_MAX_CONNECTIONS 4096
#define DEFAULT_MAX_TARGET      8192
#define DEFAULT_MAX_HEAD        16384
#define DEFAULT_READ_TIMEOUT    10.0
#define DEFAULT_IDLE_TIMEOUT    60.0
#define DEFAULT_WRITE_TIMEOUT   30.0
/* Prometheus's own default scrape_timeout; what a scrape without the
 * header may take. */
#define DEFAULT_MAX_SCRAPE_TIMEOUT 10.0
/* blackbox_exporter's default --timeout-offset: time left for encoding and
 * the network after the collectors. */
#define DEFAULT_SCRAPE_TIMEOUT_OFFSET 0.5
/* 64 MiB holds a few large expositions (100,000 series are ~10 MB) behind
 * slow readers, yet bounds what many stalled readers can pin. */
#define DEFAULT_MAX_PENDING ((size_t)64 << 20)
/* Past 1 MiB a body is streamed: the size where rendering it whole before
 * sending starts to show in the time to its last byte (a few ms here), and
 * far above what most exporters serve, which keep their Content-Length. */
#define DEFAULT_STREAM_THRESHOLD ((size_t)1 << 20)

/* A request handler's body: 1 MiB is far more than a form or a JSON
 * request of an exporter's web app; 16 MiB of them at once bounds what
 * clients sending bodies slowly can pin. */
#define DEFAULT_MAX_BODY       ((size_t)1 << 20)
#define DEFAULT_MAX_BODY_TOTAL ((size_t)16 << 20)

/* A smaller max_head is raised to this: below it, a request line with a
 * short path and a Host header would not fit. */
#define MIN_HEAD 256
/* Upper bounds on what the options may ask for, so that a mistake (a
 * negative number stored in an unsigned) is refused instead of starting
 * billions of threads or allocating a queue of gigabytes. */
#define MAX_WORKERS 256
#define MAX_QUEUE   65536

/* Whether a request can ever ask for path: it fits in max_target, and has
 * only the bytes a request path can (visible ASCII, no '?': the query
 * starts there). Reports which rule it breaks. */
static int check_metrics_path(const char *path, size_t max_target)
{
    size_t len = strlen(path);
    if (path[0] != '/')
        return promc__fail(PROMC_EINVAL, "metrics path must start with '/'");
    if (len > max_target)
        return promc__fail(PROMC_EINVAL,
                           "metrics path of %zu bytes is longer than max_target (%zu bytes)", len,
                           max_target);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)path[i];
        if (ch < 0x21 || ch > 0x7e || ch == '?')
            return promc__fail(PROMC_EINVAL,
                               "metrics path has a byte no request path can have (0x%02x at %zu)",
                               ch, i);
    }
    return PROMC_OK;
}

static void apply_defaults(promc_http_opts *o)
{
    if (!o->metrics_path || !*o->metrics_path)
        o->metrics_path = DEFAULT_METRICS_PATH;
    if (!o->workers)
        o->workers = DEFAULT_WORKERS;
    if (!o->max_queue)
        o->max_queue = DEFAULT_MAX_QUEUE;
    if (!o->max_connections)
        o->max_connections = DEFAULT_MAX_CONNECTIONS;
    if (!o->max_target)
        o->max_target = DEFAULT_MAX_TARGET;
    if (!o->max_head)
        o->max_head = DEFAULT_MAX_HEAD;
    if (o->max_head < MIN_HEAD)
        o->max_head = MIN_HEAD;
    if (!(o->read_timeout > 0))
        o->read_timeout = DEFAULT_READ_TIMEOUT;
    if (!(o->idle_timeout > 0))
        o->idle_timeout = DEFAULT_IDLE_TIMEOUT;
    if (!(o->write_timeout > 0))
        o->write_timeout = DEFAULT_WRITE_TIMEOUT;
    if (!o->max_pending_bytes)
        o->max_pending_bytes = DEFAULT_MAX_PENDING;
    if (!o->stream_threshold)
        o->stream_threshold = DEFAULT_STREAM_THRESHOLD;
    if (!o->max_body)
        o->max_body = DEFAULT_MAX_BODY;
    if (!o->max_body_total)
        o->max_body_total = DEFAULT_MAX_BODY_TOTAL;
    /* Internally 0 means none for both (a NaN is refused by check_opts). */
    if (o->max_scrape_timeout == 0)
        o->max_scrape_timeout = DEFAULT_MAX_SCRAPE_TIMEOUT;
    else if (o->max_scrape_timeout < 0 || isinf(o->max_scrape_timeout))
        o->max_scrape_timeout = 0;
    if (o->scrape_timeout_offset == 0)
        o->scrape_timeout_offset = DEFAULT_SCRAPE_TIMEOUT_OFFSET;
    else if (o->scrape_timeout_offset < 0 && !isinf(o->scrape_timeout_offset))
        o->scrape_timeout_offset = 0;
}

/* ===================================================================== */
/* Extra headers and the index page's texts                               */
/* ===================================================================== */

/* RFC 9110's tchar: what a header name is made of. */
static bool is_tchar(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* The headers the server writes itself: an extra line may not repeat or
 * contradict them. */
static bool server_header(const char *name, size_t len)
{
    static const char *const own[] = {
        "Date",       "Content-Type", "Content-Length", "Content-Encoding", "Transfer-Encoding",
        "Connection", "Vary",         "Allow",          "WWW-Authenticate"};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (strlen(own[i]) == len && strncasecmp(own[i], name, len) == 0)
            return true;
    return false;
}

/* One extra header line "Name: value" (optional whitespace around the
 * value): the name's span and the value's; false (recorded) when it breaks
 * a rule. */
static bool split_header(const char *line, const char **name, size_t *nlen, const char **value,
                         size_t *vlen)
{
    const char *colon = strchr(line, ':');
    size_t n = colon ? (size_t)(colon - line) : 0;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)line[i]))
            n = 0;
    if (!n || n > 64) {
        promc__fail(PROMC_EINVAL,
                    "header line \"%.80s\": expected \"Name: value\" with a name of "
                    "1 to 64 token characters",
                    line);
        return false;
    }
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t vl = strlen(v);
    while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
        vl--;
    for (size_t i = 0; i < vl; i++) {
        unsigned char ch = (unsigned char)v[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            promc__fail(PROMC_EINVAL, "header %.*s: the value holds a control character", (int)n,
                        line);
            return false;
        }
    }
    if (vl > PROMC__HTTP_HEADER_VALUE_MAX) {
        promc__fail(PROMC_EINVAL, "header %.*s: the value is over %d bytes", (int)n, line,
                    PROMC__HTTP_HEADER_VALUE_MAX);
        return false;
    }
    if (server_header(line, n)) {
        promc__fail(PROMC_EINVAL, "header %.*s is the server's own and cannot be set", (int)n,
                    line);
        return false;
    }
    *name = line;
    *nlen = n;
    *value = v;
    *vlen = vl;
    return true;
}

/* Checks opts->headers and formats them into out (PROMC__HTTP_EXTRA_HEADERS_MAX
 * + 1 bytes, or NULL to check only). */
static int format_extra_headers(const char *const *headers, char *out)
{
    size_t used = 0, count = 0;
    const char *names[PROMC__HTTP_EXTRA_HEADERS];
    size_t lens[PROMC__HTTP_EXTRA_HEADERS];
    for (; headers && headers[count]; count++) {
        if (count == PROMC__HTTP_EXTRA_HEADERS)
            return promc__fail(PROMC_EINVAL, "more than %d extra header lines",
                               PROMC__HTTP_EXTRA_HEADERS);
        const char *name, *value;
        size_t nlen, vlen;
        if (!split_header(headers[count], &name, &nlen, &value, &vlen))
            return PROMC_EINVAL;
        for (size_t j = 0; j < count; j++)
            if (lens[j] == nlen && strncasecmp(names[j], name, nlen) == 0)
                return promc__fail(PROMC_EINVAL, "header %.*s is given twice", (int)nlen, name);
        names[count] = name;
        lens[count] = nlen;
        size_t line = nlen + 2 + vlen + 2;
        if (line > PROMC__HTTP_EXTRA_HEADERS_MAX - used)
            return promc__fail(PROMC_EINVAL, "the extra header lines are over %d bytes in all",
                               PROMC__HTTP_EXTRA_HEADERS_MAX);
        if (out) {
            memcpy(out + used, name, nlen);
            memcpy(out + used + nlen, ": ", 2);
            memcpy(out + used + nlen + 2, value, vlen);
            memcpy(out + used + nlen + 2 + vlen, "\r\n", 2);
        }
        used += line;
    }
    if (out)
        out[used] = '\0';
    return PROMC_OK;
}

static int check_index_text(const char *field, const char *text)
{
    if (text && strlen(text) > PROMC__HTTP_INDEX_TEXT_MAX)
        return promc__fail(PROMC_EINVAL, "%s is over %d bytes", field, PROMC__HTTP_INDEX_TEXT_MAX);
    return PROMC_OK;
}

/* Checks reg and the options (with their defaults applied); records and
 * returns the first problem. */
static int check_opts(promc_registry *reg, const promc_http_opts *o)
{
    if (!o->disable_metrics && reg == PROMC_NO_REGISTRY)
        return promc__fail(PROMC_EINVAL,
                           "PROMC_NO_REGISTRY cannot be served: for a server without a metrics "
                           "endpoint, set disable_metrics in promc_http_opts");
    if (!!o->basic_auth_user != !!o->basic_auth_password)
        return promc__fail(PROMC_EINVAL, "basic auth needs both a user and a password");
    if (o->basic_auth_user &&
        strlen(o->basic_auth_user) + 1 + strlen(o->basic_auth_password) > PROMC__HTTP_AUTH_MAX)
        return promc__fail(PROMC_EINVAL,
                           "basic auth user and password are too long (at most %d bytes with "
                           "the colon between them)",
                           PROMC__HTTP_AUTH_MAX);
    if (o->basic_auth_check && o->basic_auth_user)
        return promc__fail(PROMC_EINVAL, "basic_auth_check and basic_auth_user are two ways to "
                                         "authenticate: set one");
    if (format_extra_headers(o->headers, NULL) != PROMC_OK ||
        check_index_text("index_name", o->index_name) != PROMC_OK ||
        check_index_text("index_description", o->index_description) != PROMC_OK ||
        check_index_text("index_version", o->index_version) != PROMC_OK)
        return PROMC_EINVAL; /* they said why */
    if (!o->disable_metrics && check_metrics_path(o->metrics_path, o->max_target) != PROMC_OK)
        return PROMC_EINVAL; /* check_metrics_path said why */
    if (isnan(o->max_scrape_timeout) || !isfinite(o->scrape_timeout_offset))
        return promc__fail(PROMC_EINVAL, "max_scrape_timeout is NaN, or scrape_timeout_offset "
                                         "is NaN or infinite");
    if (o->handler && o->request_handler)
        return promc__fail(PROMC_EINVAL, "handler and request_handler are two ways to answer "
                                         "requests: set one");
    if (o->max_body > o->max_body_total)
        return promc__fail(PROMC_EINVAL,
                           "max_body (%zu bytes) is more than max_body_total (%zu bytes): no "
                           "body that large could be received",
                           o->max_body, o->max_body_total);
    if (o->workers > MAX_WORKERS || o->max_queue > MAX_QUEUE)
        return promc__fail(PROMC_EINVAL, "too many workers or too long a queue (at most %d and %d)",
                           MAX_WORKERS, MAX_QUEUE);
    return PROMC_OK;
}

/* "user:password", the form Authorization headers decode to. */
static char *join_credentials(const char *user, const char *password)
{
    size_t ul = strlen(user), pl = strlen(password);
    char *auth = promc__malloc(ul + pl + 2);
    if (auth) {
        memcpy(auth, user, ul);
        auth[ul] = ':';
        memcpy(auth + ul + 1, password, pl + 1);
    }
    return auth;
}

/* The server, not yet listening, with its own copies of what it keeps of
 * o; NULL (recorded) when out of memory. */
static promc_http_server *server_alloc(const promc_http_opts *o, promc_registry *registry)
{
    promc_http_server *s = promc__calloc(1, sizeof *s);
    if (!s)
        return promc__fail_null(PROMC_ENOMEM, "out of memory starting the HTTP server");
    s->listen_fd = s->reserve_fd = s->epoll_fd = s->event_fd = -1;
    pthread_mutex_init(&s->qlock, NULL);
    pthread_cond_init(&s->qcond, NULL);
    pthread_mutex_init(&s->rlock, NULL);
    pthread_mutex_init(&s->room_lock, NULL);
    /* Workers wait for room until a deadline on the monotonic clock. */
    pthread_condattr_t monotonic;
    pthread_condattr_init(&monotonic);
    pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
    pthread_cond_init(&s->room_freed, &monotonic);
    pthread_condattr_destroy(&monotonic);
    s->opts = *o;
    s->registry = registry;
    s->metrics_path = promc__strdup(o->metrics_path);
    s->queue = promc__calloc(o->max_queue, sizeof *s->queue);
    s->workers = promc__calloc(o->workers, sizeof *s->workers);
    if (o->basic_auth_user)
        s->auth = join_credentials(o->basic_auth_user, o->basic_auth_password);
    s->extra_headers = promc__malloc(PROMC__HTTP_EXTRA_HEADERS_MAX + 1);
    if (s->extra_headers)
        format_extra_headers(o->headers, s->extra_headers); /* checked already */
    bool texts_ok = true;
    const char *texts[] = {o->index_name ? o->index_name : "promc exporter", o->index_description,
                           o->index_version};
    char **copies[] = {&s->index_name, &s->index_description, &s->index_version};
    for (int i = 0; i < 3; i++)
        if (texts[i] && !(*copies[i] = promc__strdup(texts[i])))
            texts_ok = false;
    /* The caller's strings are not kept. */
    s->opts.metrics_path = s->metrics_path;
    s->opts.basic_auth_user = s->opts.basic_auth_password = NULL;
    s->opts.headers = NULL;
    s->opts.index_name = s->opts.index_description = s->opts.index_version = NULL;
    if (!s->metrics_path || !s->queue || !s->workers || (o->basic_auth_user && !s->auth) ||
        !s->extra_headers || !texts_ok) {
        server_free(s);
        return promc__fail_null(PROMC_ENOMEM, "out of memory starting the HTTP server");
    }
    return s;
}

/* Starts a server on a listening socket: addr is bound here, or (addr NULL)
 * fd is one the caller gave, listening on port, which stays the caller's if
 * this fails. fn names the public call in messages. */
static promc_http_server *server_start(promc_registry *reg, const char *addr, int fd, int port,
                                       const promc_http_opts *opts, const char *fn)
{
    promc_http_opts o = opts ? *opts : (promc_http_opts){0};
    apply_defaults(&o);
    if (check_opts(reg, &o) != PROMC_OK)
        return NULL;
    promc_registry *registry = NULL;
    if (!o.disable_metrics && promc__registry_arg(reg, fn, &registry) != PROMC_OK)
        return NULL;
    /* The server keeps the registry alive while it serves it. */
    if (registry)
        promc__registry_ref(registry);
    promc_http_server *s = server_alloc(&o, registry);
    if (!s) {
        if (registry)
            promc__registry_unref(registry);
        return NULL;
    }
    s->listen_fd = addr ? promc__http_listen(addr, &s->port) : fd;
    if (!addr)
        s->port = port;
    if (s->listen_fd < 0 || promc__http_loop_init(s) != PROMC_OK) {
        if (!addr)
            s->listen_fd = -1; /* not ours to close */
        server_free(s);
        return NULL; /* promc__http_listen or promc__http_loop_init said why */
    }
    if (s->registry && !o.disable_self_metrics)
        promc__http_self_metrics_add(&s->self, s->registry);
    bool workers_ok = promc__http_workers_start(s);
    if (!workers_ok || !promc__http_loop_start(s)) {
        if (workers_ok)
            promc__http_workers_stop(s);
        if (!addr)
            s->listen_fd = -1;
        server_free(s);
        return promc__fail_null(PROMC_EIO, "cannot start the HTTP server's threads");
    }
    promc__ok();
    return s;
}

promc_http_server *promc_http_server_new(promc_registry *reg, const char *addr,
                                         const promc_http_opts *opts)
{
    if (!addr)
        return promc__fail_null(PROMC_EINVAL, "listen address is NULL");
    return server_start(reg, addr, -1, 0, opts, "promc_http_server_new");
}

promc_http_server *promc_http_server_new_fd(promc_registry *reg, int fd,
                                            const promc_http_opts *opts)
{
    int port;
    if (promc__http_check_listener(fd, &port) != PROMC_OK)
        return NULL; /* it said why */
    return server_start(reg, NULL, fd, port, opts, "promc_http_server_new_fd");
}

int promc_http_server_port(const promc_http_server *s)
{
    return s ? s->port : -1;
}

int promc_http_server_free(promc_http_server *s)
{
    promc__ok();
    if (!s)
        return PROMC_OK;
    /* Freeing joins the worker threads, and this is one of them. */
    if (promc__http_in_callback_of(s))
        return promc__fail(PROMC_ESTATE,
                           "promc_http_server_free called from the server's own handler, "
                           "on_sent or scrape, which it would wait for: free it from another "
                           "thread");
    promc__http_loop_stop(s);
    /* Stop taking new connections now; requests already being answered run
     * to completion (bounded by the write timeout). Queued, not yet started
     * ones are dropped with their connection. */
    close(s->listen_fd);
    s->listen_fd = -1;
    promc__http_workers_stop(s);
    /* Responses still owed to slow readers are finished, within the write
     * timeout, before their connections close. */
    promc__http_loop_finish_writes(s);
    server_free(s);
    return PROMC_OK;
}
