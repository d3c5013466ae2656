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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "promc_http.h"

#include "cli.h"
#include "exporter.h"
#include "create.h"
#include "serve.h"
#include "prowjobs.h"

#define VERSION "1.0.0"

/* Largest list page (or saved list) accepted: about 50 000 typical jobs. */
#define MAX_BODY ((size_t)64 << 20)
/* Pages followed in one poll, against a server that never stops paging.
 * Also bounds the continue tokens remembered (8 bytes a page). */
#define MAX_PAGES 10000

static const char *listen_address, *telemetry_path, *api_server, *namespace, *token_file,
    *from_file, *log_level;
static const char *log_format, *web_config_file;
static double interval, timeout, poll_timeout;
static long long page_limit, poll_max_items, poll_max_bytes;

static ex_flag flags[] = {
    EX_FLAG_LISTEN_ADDRESS(&listen_address, "PROW_WEB_LISTEN_ADDRESS", ":9862"),
    EX_FLAG_SYSTEMD_SOCKET("PROW_WEB_SYSTEMD_SOCKET"),
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
    /* A poll's bounds. Without them a server that keeps paging (repeating
     * continue tokens, or new ones for ever) grows the list without end,
     * and the poll never ends to count an error. */
    {.name = "poll-timeout",
     .env = "PROW_POLL_TIMEOUT",
     .help = "Time allowed for a whole poll, every page included; a request that would end "
             "later gets less than --timeout (default: the --interval).",
     .duration = &poll_timeout,
     .min = 0.001,
     .max = 86400},
    {.name = "poll-max-items",
     .env = "PROW_POLL_MAX_ITEMS",
     .def = "100000",
     .help = "Most ProwJobs one poll may read; more fail the poll.",
     .integer = &poll_max_items,
     .min = 1,
     .max = 100000000},
    {.name = "poll-max-bytes",
     .env = "PROW_POLL_MAX_BYTES",
     .def = "268435456",
     .help = "Most bytes (256 MiB) one poll may read from the API, and most memory the list it "
             "builds may take; more fail the poll.",
     .integer = &poll_max_bytes,
     .min = 65536,
     .max = 1099511627776.0},
    EX_FLAG_LOG_LEVEL(&log_level, "PROW_LOG_LEVEL"),
    EX_FLAG_LOG_FORMAT(&log_format, "PROW_LOG_FORMAT"),
    EX_FLAG_WEB_CONFIG_FILE(&web_config_file, "PROW_WEB_CONFIG_FILE"),
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
    const char *name = annotations ? "annotations" : "labels"; /* after the wrapper's prefix */
    const char *help = annotations ? "Kubernetes annotations converted to Prometheus labels."
                                   : "Kubernetes labels converted to Prometheus labels.";
    if (promc_emit_family(e, name, help, PROMC_GAUGE, NULL) != PROMC_OK) {
        ex_log(EX_LOG_ERROR, "prow_job_%s: %s", name, promc_last_error());
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
            ex_log(EX_LOG_DEBUG, "prow_job_%s: %s", name, promc_last_error());
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

static promc_histogram_vec *runtime;

static void observe(void *ctx, const prow_job *old_job, const prow_job *new_job, double seconds)
{
    (void)ctx;
    promc_histogram *h = promc_histogram_vec_labels(runtime, new_job->ns, new_job->job,
                                                    new_job->type, old_job->state, new_job->state,
                                                    new_job->org, new_job->repo, new_job->base_ref);
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

/* A poll's bounds on items and bytes, from the flags. */
static size_t max_items, max_bytes;

static double now_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* FNV-1a, 64 bits. A poll remembers its continue tokens as hashes: 8 bytes
 * a page whatever a token's length (the server chooses it), and one integer
 * comparison per earlier page. Two distinct tokens of a poll collide with
 * odds below MAX_PAGES^2 / 2^65 (about 3e-12), and a collision only fails
 * that poll; a token that does repeat is never missed. */
static uint64_t token_hash(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    return h;
}

/* Why prow_list_add_page failed, naming the flag when a bound was hit, else
 * "<what><where>: <reason>". */
static void page_failed(int added, const char *what, const char *where, const char *reason,
                        char *why, size_t whycap)
{
    if (added == PROW_PAGE_MAX_JOBS)
        snprintf(why, whycap, "more than --poll-max-items=%zu ProwJobs in one poll", max_items);
    else if (added == PROW_PAGE_MAX_BYTES)
        snprintf(why, whycap, "the list would take more than --poll-max-bytes=%zu bytes of memory",
                 max_bytes);
    else
        snprintf(why, whycap, "%s%s: %s", what, where, reason);
}

/* One page: 0 and the page's jobs appended to l, *next set to the continue
 * token (or NULL), *bytes_read grown by the page's size; -1 and why on failure.
 * The request gets what is left of the poll's time (at most --timeout) and
 * of its bytes (at most MAX_BODY), so the poll's bounds hold within a page
 * too: a hanging server or an endless body is cut at the poll's bound. */
static int fetch_page(prow_list *l, const char *url, promc_http_client_opts *opts, double deadline,
                      size_t *bytes_read, char **next, char *why, size_t whycap)
{
    double left = deadline - now_monotonic();
    if (left <= 0) {
        snprintf(why, whycap, "the poll took longer than --poll-timeout=%gs", poll_timeout);
        return -1;
    }
    if (*bytes_read >= max_bytes) {
        snprintf(why, whycap, "more than --poll-max-bytes=%zu bytes read in one poll", max_bytes);
        return -1;
    }
    opts->connect_timeout = opts->timeout = left < timeout ? left : timeout;
    opts->max_body = max_bytes - *bytes_read < MAX_BODY ? max_bytes - *bytes_read : MAX_BODY;
    promc_http_result res;
    char reason[512];
    int rc = -1;
    int fetched = promc_http_fetch("GET", url, NULL, 0, opts, &res);
    if (fetched != PROMC_OK && now_monotonic() >= deadline) {
        snprintf(why, whycap, "the poll took longer than --poll-timeout=%gs", poll_timeout);
    } else if (fetched == PROMC_ELIMIT && opts->max_body < MAX_BODY) {
        snprintf(why, whycap, "more than --poll-max-bytes=%zu bytes read in one poll", max_bytes);
    } else if (fetched != PROMC_OK) {
        snprintf(why, whycap, "GET %s: %s", url, promc_last_error());
    } else if (res.status != 200) {
        snprintf(why, whycap, "GET %s: HTTP status %d", url, res.status);
    } else {
        *bytes_read += res.body_len;
        int added = prow_list_add_page(l, res.body, res.body_len, next, reason, sizeof reason);
        if (added == PROW_PAGE_OK)
            rc = 0;
        else
            page_failed(added, "GET ", url, reason, why, whycap);
    }
    promc_http_result_free(&res);
    return rc;
}

/* GETs every page of the list, following metadata.continue. Any failing page
 * fails the whole poll: half a list would look like deleted jobs. A server
 * that keeps paging, with tokens it repeats or new ones for ever, would grow
 * the list without end, so the poll as a whole is bounded: in time
 * (--poll-timeout), in bytes read and memory held (--poll-max-bytes), in
 * jobs (--poll-max-items) and in pages (MAX_PAGES), and a continue token
 * that any earlier page of the poll sent ends it. */
static prow_list *poll_api(char *why, size_t whycap)
{
    double deadline = now_monotonic() + poll_timeout;
    char *token = NULL;
    if (token_file && *token_file && !(token = read_token(why, whycap)))
        return NULL;
    static const char *const headers[] = {"Accept: application/json", NULL};
    promc_http_client_opts opts = {.bearer_token = token, .headers = headers};
    prow_list *l = prow_list_new();
    uint64_t *seen = malloc(MAX_PAGES * sizeof *seen); /* seen[i]: page i + 1's token */
    char *cont = NULL;
    size_t bytes_read = 0;
    unsigned pages = 0;
    bool ok = false;
    if (l && seen) {
        l->max_jobs = max_items;
        l->max_bytes = max_bytes;
    } else {
        snprintf(why, whycap, "out of memory");
    }
    while (l && seen) {
        char *url = list_url(cont), *next = NULL;
        if (!url) {
            snprintf(why, whycap, "out of memory");
            break;
        }
        int rc = fetch_page(l, url, &opts, deadline, &bytes_read, &next, why, whycap);
        free(url);
        if (rc != 0)
            break;
        pages++;
        if (!next) {
            ok = true;
            break;
        }
        uint64_t h = token_hash(next);
        unsigned first = 0;
        for (unsigned i = 0; i + 1 < pages && !first; i++)
            if (seen[i] == h)
                first = i + 1;
        if (first) {
            snprintf(why, whycap, "page %u repeats the continue token of page %u", pages, first);
            free(next);
            break;
        }
        seen[pages - 1] = h;
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
    if (!ok && l)
        ex_log(EX_LOG_DEBUG, "poll stopped after %u pages, %zu ProwJobs, %zu bytes read, %zu held",
               pages, l->njobs, bytes_read, l->bytes);
    free(seen);
    free(cont);
    free(token);
    if (!ok) {
        prow_list_unref(l);
        return NULL;
    }
    return l;
}

/* The saved list: one page, under the same item and byte bounds as a poll
 * of the API (time aside: a file is local). */
static prow_list *poll_file(char *why, size_t whycap)
{
    size_t len;
    char *body =
        read_file(from_file, max_bytes < MAX_BODY ? max_bytes : MAX_BODY, &len, why, whycap);
    if (!body)
        return NULL;
    prow_list *l = prow_list_new();
    char reason[512];
    int added = PROW_PAGE_FAILED;
    if (!l) {
        snprintf(why, whycap, "out of memory");
    } else {
        l->max_jobs = max_items;
        l->max_bytes = max_bytes;
        added = prow_list_add_page(l, body, len, NULL, reason, sizeof reason);
        if (added != PROW_PAGE_OK)
            page_failed(added, "", from_file, reason, why, whycap);
    }
    if (added != PROW_PAGE_OK) {
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
    if (ex_exporter_start(&cli, "prow_exporter", log_level, log_format, web_config_file) != 0)
        return 1;
    ex_signals_install();
    if (from_file && !*from_file)
        from_file = NULL;
    if (poll_timeout == 0) /* not set: 0 is out of the flag's range */
        poll_timeout = interval;
    max_items = (size_t)poll_max_items;
    max_bytes = (unsigned long long)poll_max_bytes > SIZE_MAX ? SIZE_MAX : (size_t)poll_max_bytes;
    char *base = NULL;
    if (!from_file) {
        if (!(base = api_base())) {
            ex_log(EX_LOG_ERROR, "out of memory");
            return 1;
        }
        api_server = base;
    }

    /* As the original, the job metrics go through a wrapped registry: here
     * it gives them their common "prow_job_" prefix (the original's wrapper
     * added a collector_name label instead, left out: see the README), and
     * another gives the exporter's own metrics theirs. */
    promc_registry *jobs_reg = promc_registry_wrap(NULL, "prow_job_", NULL, 0);
    promc_registry *self_reg = promc_registry_wrap(NULL, "prow_exporter_", NULL, 0);
    if (!jobs_reg || !self_reg) {
        ex_log(EX_LOG_ERROR, "registry: %s", promc_last_error());
        return 1;
    }
    static const double buckets[] = {30,    60,    120,   300,   600,   1800,  3600,  7200,
                                     10800, 14400, 18000, 21600, 25200, 28800, 32400, 36000};
    runtime = promc_histogram_vec_new(
        jobs_reg, "runtime_seconds", "Time spent between ProwJob state transitions, in seconds.",
        PROMC_LABELS("job_namespace", "job_name", "type", "last_state", "state", "org", "repo",
                     "base_ref"),
        &(promc_histogram_opts){.buckets = buckets, .nbuckets = sizeof buckets / sizeof *buckets});
    if (!runtime)
        return ex_metric_failed("prow_job_runtime_seconds");
    up = promc_gauge_new(self_reg, "up",
                         "Whether the last poll of the ProwJobs worked (1) or not (0).", NULL);
    if (!up)
        return ex_metric_failed("prow_exporter_up");
    poll_errors = promc_counter_new(self_reg, "poll_errors_total",
                                    "Polls of the ProwJobs that failed.", NULL);
    if (!poll_errors)
        return ex_metric_failed("prow_exporter_poll_errors_total");
    promc_metric *jobs =
        promc_collector_new(jobs_reg, collect, NULL, NULL, PROMC_LABELS("labels", "annotations"));
    if (!jobs)
        return ex_metric_failed("prow_job_labels/prow_job_annotations");

    promc_http_server *server = ex_serve_metrics(listen_address, telemetry_path);
    if (!server)
        return 1;
    if (from_file)
        ex_log(EX_LOG_INFO, "reading %s every %g s; metrics on %s%s (port %d)", from_file, interval,
               listen_address, telemetry_path, promc_http_server_port(server));
    else
        ex_log(EX_LOG_INFO,
               "polling %s namespace %s every %g s (a poll at most %g s, %zu ProwJobs, %zu "
               "bytes); metrics on %s%s (port %d)",
               api_server, namespace, interval, poll_timeout, max_items, max_bytes, listen_address,
               telemetry_path, promc_http_server_port(server));

    while (!ex_should_stop()) {
        double start = now_monotonic();
        poll_once();
        ex_sleep_interruptible(interval - (now_monotonic() - start));
    }

    ex_log(EX_LOG_INFO, "stopping on signal %d", ex_stop_signal());
    promc_http_server_free(server);
    current_set(NULL);
    promc_metric_free(jobs);
    promc_histogram_vec_free(runtime);
    promc_gauge_free(up);
    promc_counter_free(poll_errors);
    promc_registry_free(jobs_reg);
    promc_registry_free(self_reg);
    ex_exporter_stop();
    promc_shutdown();
    free(base);
    return 0;
}
