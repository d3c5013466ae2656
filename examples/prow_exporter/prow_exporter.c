/*
 * prow_exporter: metrics about Prow jobs, read from the Kubernetes API (or a
 * saved `kubectl get prowjobs -o json`) every --interval. prow_job_labels and
 * prow_job_annotations come from a collector over the last good list;
 * prow_job_runtime_seconds observes state transitions between polls.
 * Reimplements the Prow project's exporter (cmd/exporter).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "promc_http.h"

#include "cli.h"
#include "serve.h"
#include "prowjobs.h"

#define VERSION "1.0.0"

/* Largest list page (or saved list) accepted: about 50 000 typical jobs. */
#define MAX_BODY ((size_t)64 << 20)
/* Pages followed in one poll, against a server that never stops paging. */
#define MAX_PAGES 10000

static const char *listen_address, *telemetry_path, *api_server, *namespace, *token_file,
    *from_file, *log_level;
static double interval, timeout;
static long long page_limit;

static ex_flag flags[] = {
    EX_FLAG_LISTEN_ADDRESS(&listen_address, "PROW_WEB_LISTEN_ADDRESS", ":9090"),
    EX_FLAG_TELEMETRY_PATH(&telemetry_path, "PROW_WEB_TELEMETRY_PATH"),
    {.name = "api-server",
     .env = "PROW_API_SERVER",
     .def = "http://127.0.0.1:8001",
     .metavar = "URL",
     .help = "Base URL of the Kubernetes API (http only: kubectl proxy or a local TLS "
             "terminator).",
     .string = &api_server},
    {.name = "namespace",
     .env = "PROW_NAMESPACE",
     .def = "default",
     .help = "Namespace of the ProwJobs.",
     .string = &namespace},
    {.name = "token-file",
     .env = "PROW_TOKEN_FILE",
     .metavar = "PATH",
     .help = "File holding a bearer token for the API, re-read at every poll.",
     .string = &token_file},
    {.name = "from-file",
     .env = "PROW_FROM_FILE",
     .metavar = "PATH",
     .help = "Read a saved list (kubectl get prowjobs -o json) every interval instead of the API.",
     .string = &from_file},
    {.name = "page-limit",
     .env = "PROW_PAGE_LIMIT",
     .def = "500",
     .help = "ProwJobs per page of the API's list (limit); 0 asks for all at once.",
     .integer = &page_limit,
     .min = 0,
     .max = 1000000},
    {.name = "interval",
     .env = "PROW_INTERVAL",
     .def = "30s",
     .help = "Time between polls.",
     .duration = &interval,
     .min = 0.01,
     .max = 86400},
    {.name = "timeout",
     .env = "PROW_TIMEOUT",
     .def = "10s",
     .help = "Time allowed for each request to the API.",
     .duration = &timeout,
     .min = 0.001,
     .max = 3600},
    EX_FLAG_LOG_LEVEL(&log_level, "PROW_LOG_LEVEL"),
    {0},
};

static const ex_cli cli = {
    .version = VERSION,
    .summary = "Exports Prow jobs (labels, annotations, state transition times) from the "
               "Kubernetes API.",
    .flags = flags,
};

/* ===================================================================== */
/* The shared list                                                        */
/* ===================================================================== */

/* The last good list. Scrapes run on the server's worker threads: they take
 * a reference under the mutex and read the list without it, so a poll never
 * waits for a scrape and a list is freed by whoever drops it last. Only the
 * main thread replaces it. */
static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static prow_list *current;

static prow_list *current_get(void)
{
    pthread_mutex_lock(&current_lock);
    prow_list *l = prow_list_ref(current);
    pthread_mutex_unlock(&current_lock);
    return l;
}

static void current_set(prow_list *l)
{
    pthread_mutex_lock(&current_lock);
    prow_list *old = current;
    current = l;
    pthread_mutex_unlock(&current_lock);
    prow_list_unref(old);
}

/* ===================================================================== */
/* Collector: prow_job_labels, prow_job_annotations                       */
/* ===================================================================== */

/* Emits one family: a series per ranked job, job_name, job_namespace and
 * job_agent first, then the job's converted labels or annotations. */
static void emit_family(promc_emitter *e, const prow_list *l, const size_t *chosen, size_t n,
                        bool annotations, promc_label *scratch)
{
    const char *name = annotations ? "prow_job_annotations" : "prow_job_labels";
    const char *help = annotations ? "Kubernetes annotations converted to Prometheus labels."
                                   : "Kubernetes labels converted to Prometheus labels.";
    if (promc_emit_family(e, name, help, PROMC_GAUGE, NULL) != PROMC_OK) {
        ex_log(EX_LOG_ERROR, "%s: %s", name, promc_last_error());
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const prow_job *j = &l->jobs[chosen[i]];
        const promc_label fixed[] = {
            {"job_name", j->job}, {"job_namespace", j->ns}, {"job_agent", j->agent}};
        size_t k = 0;
        for (size_t f = 0; f < 3; f++) {
            if (prow_valid_utf8(fixed[f].value, strlen(fixed[f].value)))
                scratch[k++] = fixed[f];
            else
                ex_log(EX_LOG_DEBUG, "%s: %s is not UTF-8: left out", j->key, fixed[f].name);
        }
        const promc_label *extra = annotations ? j->annotations : j->labels;
        size_t nextra = annotations ? j->nannotations : j->nlabels;
        if (nextra)
            memcpy(scratch + k, extra, nextra * sizeof *extra);
        if (promc_emit_sample(e, scratch, k + nextra, 1) != PROMC_OK)
            ex_log(EX_LOG_DEBUG, "%s: %s", name, promc_last_error());
    }
}

static int collect(promc_emitter *e, void *userdata)
{
    (void)userdata;
    prow_list *l = current_get();
    if (!l || l->njobs == 0) {
        prow_list_unref(l);
        return 0;
    }
    size_t *chosen = malloc(l->njobs * sizeof *chosen);
    long n = chosen ? prow_list_latest(l, chosen) : -1;
    size_t width = 0;
    for (long i = 0; i < n; i++) {
        const prow_job *j = &l->jobs[chosen[i]];
        size_t w = j->nlabels > j->nannotations ? j->nlabels : j->nannotations;
        width = w > width ? w : width;
    }
    promc_label *scratch = n >= 0 ? malloc((width + 3) * sizeof *scratch) : NULL;
    int rc = -1;
    if (scratch) {
        emit_family(e, l, chosen, (size_t)n, false, scratch);
        emit_family(e, l, chosen, (size_t)n, true, scratch);
        rc = 0;
    } else {
        ex_log(EX_LOG_ERROR, "out of memory collecting %zu ProwJobs", l->njobs);
    }
    free(scratch);
    free(chosen);
    prow_list_unref(l);
    return rc;
}

/* ===================================================================== */
/* prow_job_runtime_seconds                                               */
/* ===================================================================== */

static promc_histogram *runtime;

static void observe(void *ctx, const prow_job *old_job, const prow_job *new_job, double seconds)
{
    (void)ctx;
    promc_histogram *h =
        promc_histogram_labels(runtime, new_job->ns, new_job->job, new_job->type, old_job->state,
                               new_job->state, new_job->org, new_job->repo, new_job->base_ref);
    if (!h) {
        ex_log(EX_LOG_DEBUG, "%s: cannot observe %s -> %s: %s", new_job->key, old_job->state,
               new_job->state, promc_last_error());
        return;
    }
    ex_log(EX_LOG_DEBUG, "%s: %s -> %s in %.3f s", new_job->key, old_job->state, new_job->state,
           seconds);
    promc_histogram_observe(h, seconds);
}

/* ===================================================================== */
/* Reading the list                                                       */
/* ===================================================================== */

/* Reads a whole file of at most cap bytes into a malloc'd, NUL-terminated
 * buffer. O_NONBLOCK: a FIFO without a writer reads as empty, never blocks. */
static char *read_file(const char *path, size_t cap, size_t *len, char *why, size_t whycap)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whycap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t size = 0, alloc = cap < 65536 ? cap + 1 : 65536;
    char *buf = malloc(alloc + 1);
    for (;;) {
        if (!buf) {
            snprintf(why, whycap, "%s: out of memory", path);
            break;
        }
        if (size == alloc) {
            if (alloc > cap) {
                snprintf(why, whycap, "%s: larger than %zu bytes", path, cap);
                break;
            }
            size_t want = alloc * 2 > cap + 1 ? cap + 1 : alloc * 2;
            char *more = realloc(buf, want + 1);
            if (!more) {
                snprintf(why, whycap, "%s: out of memory", path);
                break;
            }
            buf = more;
            alloc = want;
        }
        ssize_t got = read(fd, buf + size, alloc - size);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(why, whycap, "%s: %s", path, strerror(errno));
            break;
        }
        if (got == 0) {
            close(fd);
            buf[size] = '\0';
            *len = size;
            return buf;
        }
        size += (size_t)got;
    }
    close(fd);
    free(buf);
    return NULL;
}

/* Appends s to the URL, percent-encoding all but RFC 3986's unreserved
 * characters (safe in a path segment and in a query value). */
static size_t url_escape(char *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p)) {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    out[n] = '\0';
    return n;
}

static char *list_url(const char *cont)
{
    size_t cap = strlen(api_server) + 3 * strlen(namespace) + (cont ? 3 * strlen(cont) : 0) + 128;
    char *url = malloc(cap);
    if (!url)
        return NULL;
    size_t n = (size_t)snprintf(url, cap, "%s/apis/prow.k8s.io/v1/namespaces/", api_server);
    n += url_escape(url + n, namespace);
    n += (size_t)snprintf(url + n, cap - n, "/prowjobs");
    char sep = '?';
    if (page_limit > 0) {
        n += (size_t)snprintf(url + n, cap - n, "?limit=%lld", page_limit);
        sep = '&';
    }
    if (cont) {
        n += (size_t)snprintf(url + n, cap - n, "%ccontinue=", sep);
        url_escape(url + n, cont);
    }
    return url;
}

/* The token, without the trailing newline editors and Kubernetes add. */
static char *read_token(char *why, size_t whycap)
{
    size_t len;
    char *token = read_file(token_file, 65536, &len, why, whycap);
    if (!token)
        return NULL;
    while (len && strchr(" \t\r\n", token[len - 1]))
        token[--len] = '\0';
    if (len == 0 || strpbrk(token, "\r\n")) {
        snprintf(why, whycap, "%s: %s", token_file,
                 len ? "the token spans several lines" : "the file is empty");
        free(token);
        return NULL;
    }
    return token;
}

/* One page: 0 and the page's jobs appended to l, *next set to the continue
 * token (or NULL); -1 and why on failure. */
static int fetch_page(prow_list *l, const char *url, const promc_http_client_opts *opts,
                      char **next, char *why, size_t whycap)
{
    promc_http_result res;
    char reason[512];
    int rc = -1;
    if (promc_http_fetch("GET", url, NULL, 0, opts, &res) != PROMC_OK)
        snprintf(why, whycap, "GET %s: %s", url, promc_last_error());
    else if (res.status != 200)
        snprintf(why, whycap, "GET %s: HTTP status %d", url, res.status);
    else if (prow_list_add_page(l, res.body, res.body_len, next, reason, sizeof reason) != 0)
        snprintf(why, whycap, "GET %s: %s", url, reason);
    else
        rc = 0;
    promc_http_result_free(&res);
    return rc;
}

/* GETs every page of the list, following metadata.continue. Any failing page
 * fails the whole poll: half a list would look like deleted jobs. */
static prow_list *poll_api(char *why, size_t whycap)
{
    char *token = NULL;
    if (token_file && *token_file && !(token = read_token(why, whycap)))
        return NULL;
    static const char *const headers[] = {"Accept: application/json", NULL};
    promc_http_client_opts opts = {
        .connect_timeout = timeout,
        .timeout = timeout,
        .max_body = MAX_BODY,
        .bearer_token = token,
        .headers = headers,
    };
    prow_list *l = prow_list_new();
    char *cont = NULL;
    bool ok = false;
    if (!l)
        snprintf(why, whycap, "out of memory");
    for (unsigned pages = 1; l; pages++) {
        char *url = list_url(cont), *next = NULL;
        if (!url) {
            snprintf(why, whycap, "out of memory");
            break;
        }
        int rc = fetch_page(l, url, &opts, &next, why, whycap);
        free(url);
        if (rc != 0)
            break;
        if (!next) {
            ok = true;
            break;
        }
        if (cont && strcmp(cont, next) == 0) {
            snprintf(why, whycap, "the API sent the same continue token twice");
            free(next);
            break;
        }
        free(cont);
        cont = next;
        if (pages >= MAX_PAGES) {
            snprintf(why, whycap, "more than %d pages", MAX_PAGES);
            break;
        }
        if (ex_should_stop()) {
            snprintf(why, whycap, "stopping");
            break;
        }
    }
    free(cont);
    free(token);
    if (!ok) {
        prow_list_unref(l);
        return NULL;
    }
    return l;
}

static prow_list *poll_file(char *why, size_t whycap)
{
    size_t len;
    char *body = read_file(from_file, MAX_BODY, &len, why, whycap);
    if (!body)
        return NULL;
    prow_list *l = prow_list_new();
    char reason[512];
    if (!l) {
        snprintf(why, whycap, "out of memory");
    } else if (prow_list_add_page(l, body, len, NULL, reason, sizeof reason) != 0) {
        snprintf(why, whycap, "%s: %s", from_file, reason);
        prow_list_unref(l);
        l = NULL;
    }
    free(body);
    return l;
}

/* ===================================================================== */
/* Main                                                                   */
/* ===================================================================== */

static promc_gauge *up;
static promc_counter *poll_errors;

/* One poll. A failure keeps the last good list (its series stay exported)
 * and is logged once per change of state, not at every interval. */
static void poll_once(void)
{
    static char last_failure[1024];
    static bool failing, polled;
    char why[1024] = "";
    prow_list *l = from_file ? poll_file(why, sizeof why) : poll_api(why, sizeof why);
    if (!l) {
        promc_gauge_set(up, 0);
        promc_counter_inc(poll_errors);
        if (!failing || strcmp(why, last_failure) != 0)
            ex_log(EX_LOG_ERROR, "poll failed: %s", why);
        else
            ex_log(EX_LOG_DEBUG, "poll failed: %s", why);
        snprintf(last_failure, sizeof last_failure, "%s", why);
        failing = true;
        return;
    }
    /* Transitions against the last good list, which only this thread
     * replaces: reading `current` without the lock is safe here. */
    if (prow_list_transitions(current, l, observe, NULL) != 0)
        ex_log(EX_LOG_ERROR, "out of memory comparing %zu ProwJobs", l->njobs);
    if (failing)
        ex_log(EX_LOG_INFO, "poll works again: %zu ProwJobs", l->njobs);
    else
        ex_log(polled ? EX_LOG_DEBUG : EX_LOG_INFO, "%s: %zu ProwJobs",
               polled ? "poll" : "first poll", l->njobs);
    current_set(l);
    promc_gauge_set(up, 1);
    failing = false;
    polled = true;
}

static double now_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The API URL without trailing slashes; http only (libc has no TLS). */
static char *api_base(void)
{
    if (strncmp(api_server, "http://", 7) != 0)
        ex_flags_fail(&cli,
                      "--api-server must be an http:// URL, got \"%s\" (for https, use "
                      "kubectl proxy or a local TLS terminator)",
                      api_server);
    char *base = strdup(api_server);
    size_t n = base ? strlen(base) : 0;
    while (n > 7 && base[n - 1] == '/')
        base[--n] = '\0';
    return base;
}

int main(int argc, char **argv)
{
    ex_flags_parse(&cli, argc, argv);
    ex_log_set_level_name(log_level);
    ex_signals_install();
    if (from_file && !*from_file)
        from_file = NULL;
    char *base = NULL;
    if (!from_file) {
        if (!(base = api_base())) {
            ex_log(EX_LOG_ERROR, "out of memory");
            return 1;
        }
        api_server = base;
    }

    static const double buckets[] = {30,    60,    120,   300,   600,   1800,  3600,  7200,
                                     10800, 14400, 18000, 21600, 25200, 28800, 32400, 36000};
    runtime = promc_histogram_new(
        NULL, "prow_job_runtime_seconds",
        "Time spent between ProwJob state transitions, in seconds.",
        PROMC_LABELS("job_namespace", "job_name", "type", "last_state", "state", "org", "repo",
                     "base_ref"),
        &(promc_histogram_opts){.buckets = buckets, .nbuckets = sizeof buckets / sizeof *buckets});
    up = promc_gauge_new(NULL, "prow_exporter_up",
                         "Whether the last poll of the ProwJobs worked (1) or not (0).", NULL);
    poll_errors = promc_counter_new(NULL, "prow_exporter_poll_errors_total",
                                    "Polls of the ProwJobs that failed.", NULL);
    promc_metric *jobs = promc_collector_new(
        NULL, collect, NULL, NULL, PROMC_LABELS("prow_job_labels", "prow_job_annotations"));
    if (!runtime || !up || !poll_errors || !jobs) {
        ex_log(EX_LOG_ERROR, "cannot create metrics: %s", promc_last_error());
        return 1;
    }

    promc_http_server *server = ex_serve_metrics(listen_address, telemetry_path);
    if (!server)
        return 1;
    if (from_file)
        ex_log(EX_LOG_INFO, "reading %s every %g s; metrics on %s%s (port %d)", from_file, interval,
               listen_address, telemetry_path, promc_http_server_port(server));
    else
        ex_log(EX_LOG_INFO, "polling %s namespace %s every %g s; metrics on %s%s (port %d)",
               api_server, namespace, interval, listen_address, telemetry_path,
               promc_http_server_port(server));

    while (!ex_should_stop()) {
        double start = now_monotonic();
        poll_once();
        ex_sleep_interruptible(interval - (now_monotonic() - start));
    }

    ex_log(EX_LOG_INFO, "stopping on signal %d", ex_stop_signal());
    promc_http_server_free(server);
    current_set(NULL);
    promc_metric_free(jobs);
    promc_histogram_free(runtime);
    promc_gauge_free(up);
    promc_counter_free(poll_errors);
    promc_shutdown();
    free(base);
    return 0;
}
