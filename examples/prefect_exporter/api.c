/*
 * The Prefect API client of prefect_exporter (api.h). Every request gets
 * what is left of the collection's deadline as its timeout; a failed
 * attempt (no answer, a timeout, a status other than 2xx) is retried after
 * 1 s, 2 s, 4 s... while the wait still ends before the deadline. A 429 or
 * 503 with a Retry-After ends the collection instead and keeps later ones
 * from asking until then.
 */
#include "api.h"

#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "promc_http.h"

#include "log.h"
#include "rfc3339.h"
#include "signals.h"

#define MAX_BODY        ((size_t)16 << 20)  /* one answer */
#define MAX_BYTES       ((size_t)256 << 20) /* all answers of one collection */
#define MAX_RETRY_AFTER 3600.0              /* longest Retry-After honoured, seconds */

const char *const pf_endpoint_names[PF_EP_COUNT] = {
    "health",           "csrf-token",        "deployments/filter", "flows/filter",
    "flow_runs/filter", "work_pools/filter", "work_queues/filter", "work_queues/status",
};

struct pf_api {
    const pf_api_config *cfg;
    char client_id[37]; /* the CSRF client, a UUID made at start */
    _Atomic unsigned long long errors[PF_EP_COUNT];
    /* Touched by one collection at a time (the library never runs a
     * collector twice at once). */
    char *csrf_token;
    double csrf_expires;  /* Unix seconds */
    double backoff_until; /* Unix seconds: Retry-After */
    char csrf_header[2][512];
};

double pf_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double unix_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A version 4 UUID from /dev/urandom (time and pid if it cannot be read:
 * the id only tells this exporter's tokens apart). */
static void make_uuid(char out[37])
{
    unsigned char b[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, b, sizeof b) : -1;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)sizeof b) {
        uint64_t x = (uint64_t)(unix_now() * 1e6) ^ ((uint64_t)getpid() << 32);
        for (size_t i = 0; i < sizeof b; i++) {
            x = x * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
            b[i] = (unsigned char)(x >> 56);
        }
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

pf_api *pf_api_new(const pf_api_config *cfg)
{
    pf_api *api = calloc(1, sizeof *api);
    if (!api)
        return NULL;
    api->cfg = cfg;
    make_uuid(api->client_id);
    return api;
}

void pf_api_free(pf_api *api)
{
    if (!api)
        return;
    free(api->csrf_token);
    free(api);
}

unsigned long long pf_api_errors(const pf_api *api, enum pf_endpoint ep)
{
    return atomic_load(&api->errors[ep]);
}

/* ===================================================================== */
/* Failures                                                               */
/* ===================================================================== */

void pf_session_fail(pf_session *s, const char *what, const char *why)
{
    s->nfailures++;
    if (s->nfailures > PF_FAILURES_NAMED)
        return; /* counted; the log line says how many more */
    size_t old = s->failures ? strlen(s->failures) : 0;
    size_t add = strlen(what) + strlen(why) + 5;
    char *more = realloc(s->failures, old + add);
    if (!more)
        return;
    snprintf(more + old, add, "%s%s: %s", old ? "; " : "", what, why);
    s->failures = more;
}

/* Ends the session's requests: later ones are not made, for the reason
 * fmt says. */
__attribute__((format(printf, 2, 3))) static void stop(pf_session *s, const char *fmt, ...)
{
    if (s->stopped)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->stop_why, sizeof s->stop_why, fmt, ap);
    va_end(ap);
    s->stopped = true;
}

/* ===================================================================== */
/* One request, with its attempts                                         */
/* ===================================================================== */

/* Retry-After as seconds from now: delta-seconds, or an HTTP-date
 * (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"; one in the past is 0).
 * -1 when absent or unreadable: the answer is then retried as any other
 * failure. */
static double retry_after_seconds(const char *v)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    size_t n = v ? strlen(v) : 0;
    if (n == 0)
        return -1;
    if (strspn(v, "0123456789") == n)
        return n > 9 ? 1e9 : atof(v);
    char mon[4], stamp[40];
    int day, year, hour, minute, second, used = 0;
    if (sscanf(v, "%*3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n", &day, mon, &year, &hour,
               &minute, &second, &used) != 6 ||
        (size_t)used != n)
        return -1;
    const char *m = strstr(months, mon);
    if (!m || (m - months) % 3 != 0)
        return -1;
    snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, (int)(m - months) / 3 + 1,
             day, hour, minute, second);
    double when;
    if (ex_rfc3339_parse(stamp, strlen(stamp), &when) != 0)
        return -1;
    return when > unix_now() ? when - unix_now() : 0;
}

/* What every request carries: Accept and Content-Type (given as the
 * body's type when there is a body, else as a line of its own), the
 * Authorization of the key or else the auth string, and the CSRF pair once
 * there is a token. lines gets the extra header lines, NULL-ended. */
static void request_opts(const pf_api *api, bool csrf, bool has_body, const char *lines[5],
                         promc_http_client_opts *opts)
{
    const pf_api_config *cfg = api->cfg;
    size_t n = 0;
    *opts = (promc_http_client_opts){.headers = lines};
    lines[n++] = "Accept: application/json";
    if (has_body)
        opts->content_type = "application/json";
    else
        lines[n++] = "Content-Type: application/json";
    if (csrf && api->csrf_token) {
        lines[n++] = api->csrf_header[0];
        lines[n++] = api->csrf_header[1];
    }
    lines[n] = NULL;
    if (cfg->api_key && *cfg->api_key) {
        opts->bearer_token = cfg->api_key;
    } else if (cfg->basic_user) {
        opts->basic_user = cfg->basic_user;
        opts->basic_password = cfg->basic_password;
    }
}

/* Why an attempt failed, into why; whether another attempt may help. A
 * 429 or 503 with a Retry-After stops the session instead. */
static bool attempt_failed(pf_session *s, int rc, promc_http_result *res, size_t max_body,
                           char *why, size_t cap)
{
    pf_api *api = s->api;
    if (rc != PROMC_OK) {
        if (rc == PROMC_ELIMIT)
            snprintf(why, cap, "answer larger than %zu bytes", max_body);
        else if (pf_monotonic() >= s->deadline)
            snprintf(why, cap, "no answer before the deadline (%s)", s->deadline_why);
        else
            snprintf(why, cap, "%s", promc_last_error());
        /* A URL the client refuses or a body over the cap fails again. */
        return rc != PROMC_EINVAL && rc != PROMC_ELIMIT;
    }
    int status = res->status;
    double wait = retry_after_seconds(res->retry_after);
    promc_http_result_free(res);
    if ((status == 429 || status == 503) && wait >= 0) {
        wait = wait < MAX_RETRY_AFTER ? wait : MAX_RETRY_AFTER;
        api->backoff_until = unix_now() + wait;
        snprintf(why, cap, "HTTP %d with Retry-After (%.0f s)", status, wait);
        stop(s, "the API asked to wait %.0f s", wait);
        return false;
    }
    if (status == 403 && api->cfg->csrf) {
        /* The token may have been revoked: the next collection asks for a
         * new one. */
        free(api->csrf_token);
        api->csrf_token = NULL;
    }
    snprintf(why, cap, "HTTP %d", status);
    return true;
}

/* One request with its attempts. 0 and *out (a 2xx answer), or -1 with
 * the failure recorded under what (or, when the session had stopped before
 * it, counted as not made). */
static int request(pf_session *s, enum pf_endpoint ep, const char *method, const char *url,
                   const char *body, const char *what, promc_http_result *out)
{
    pf_api *api = s->api;
    const char *lines[5];
    promc_http_client_opts opts;
    request_opts(api, ep != PF_EP_CSRF, body != NULL, lines, &opts);
    char why[512] = "";
    long long attempt = 0;
    bool transport = false;
    for (;;) {
        if (ex_should_stop())
            stop(s, "the exporter is stopping");
        if (s->bytes >= MAX_BYTES)
            stop(s, "%zu bytes read in this collection already", s->bytes);
        double left = s->deadline - pf_monotonic();
        if (left <= 0)
            stop(s, "the deadline (%s) passed", s->deadline_why);
        if (s->stopped && attempt == 0) {
            s->nskipped++;
            return -1;
        }
        if (s->stopped)
            break;
        attempt++;
        size_t room = MAX_BYTES - s->bytes;
        opts.timeout = opts.connect_timeout = left;
        opts.max_body = room < MAX_BODY ? room : MAX_BODY;
        int rc = promc_http_fetch(method, url, body, body ? strlen(body) : 0, &opts, out);
        if (rc == PROMC_OK && out->status >= 200 && out->status < 300) {
            s->bytes += out->body_len;
            return 0;
        }
        atomic_fetch_add(&api->errors[ep], 1);
        transport = rc == PROMC_EIO;
        bool again = attempt_failed(s, rc, out, opts.max_body, why, sizeof why);
        ex_log(EX_LOG_DEBUG, "%s %s: attempt %lld failed: %s", method, url, attempt, why);
        if (!again || attempt >= api->cfg->max_attempts)
            break;
        double backoff = ldexp(1, attempt - 1 < 30 ? (int)attempt - 1 : 30);
        if (pf_monotonic() + backoff >= s->deadline) {
            if (pf_monotonic() < s->deadline)
                snprintf(why + strlen(why), sizeof why - strlen(why),
                         "; no time left before the deadline (%s) for attempt %lld",
                         s->deadline_why, attempt + 1);
            break;
        }
        ex_sleep_interruptible(backoff);
    }
    if (attempt > 1)
        snprintf(why + strlen(why), sizeof why - strlen(why), " (%lld attempts)", attempt);
    pf_session_fail(s, what, why);
    /* No answer at all (refused, reset, timed out): the other queries
     * would only spend the deadline the same way. An HTTP error may be one
     * endpoint's: the others are still asked. */
    if (transport) {
        if (pf_monotonic() >= s->deadline)
            stop(s, "the deadline (%s) passed", s->deadline_why);
        else
            stop(s, "the API did not answer");
    }
    return -1;
}

/* Parses a 2xx answer as JSON; frees it. An answer that is not JSON is a
 * failed request too. */
static ex_json_doc *parse_answer(pf_session *s, enum pf_endpoint ep, const char *what,
                                 promc_http_result *res)
{
    ex_json_error err;
    ex_json_doc *doc = ex_json_parse(res->body, res->body_len, NULL, &err);
    if (!doc) {
        char why[160];
        snprintf(why, sizeof why, "invalid JSON at byte %zu: %s", err.offset, err.message);
        pf_session_fail(s, what, why);
        atomic_fetch_add(&s->api->errors[ep], 1);
    }
    promc_http_result_free(res);
    return doc;
}

static char *url_of(const pf_api *api, const char *path)
{
    size_t n = strlen(api->cfg->url) + strlen(path) + 2;
    char *url = malloc(n);
    if (url)
        snprintf(url, n, "%s/%s", api->cfg->url, path);
    return url;
}

int pf_get_json(pf_session *s, enum pf_endpoint ep, const char *path, const char *what,
                ex_json_doc **out)
{
    *out = NULL;
    char *url = url_of(s->api, path);
    promc_http_result res;
    if (!url) {
        pf_session_fail(s, what, "out of memory");
        return -1;
    }
    int rc = request(s, ep, "GET", url, NULL, what, &res);
    free(url);
    if (rc == 0)
        *out = parse_answer(s, ep, what, &res);
    return *out ? 0 : -1;
}

/* ===================================================================== */
/* Paged queries                                                          */
/* ===================================================================== */

/* Appends a page's items; takes doc (freed on failure). */
static int add_page(pf_items *it, ex_json_doc *doc)
{
    ex_json_doc **docs = realloc(it->docs, (it->ndocs + 1) * sizeof *docs);
    if (!docs) {
        ex_json_free(doc);
        return -1;
    }
    it->docs = docs;
    it->docs[it->ndocs++] = doc;
    ex_json_node root = ex_json_root(doc), item = EX_JSON_NONE;
    size_t need = it->n + ex_json_count(doc, root);
    if (need > it->cap) {
        size_t cap = it->cap ? it->cap : 64;
        while (cap < need)
            cap *= 2;
        ex_json_node *items = realloc(it->items, cap * sizeof *items);
        if (items)
            it->items = items;
        size_t *doc_of = realloc(it->doc_of, cap * sizeof *doc_of);
        if (doc_of)
            it->doc_of = doc_of;
        if (!items || !doc_of)
            return -1;
        it->cap = cap;
    }
    while ((item = ex_json_array_next(doc, root, item)) != EX_JSON_NONE) {
        it->items[it->n] = item;
        it->doc_of[it->n++] = it->ndocs - 1;
    }
    return 0;
}

int pf_query(pf_session *s, enum pf_endpoint ep, const char *resource, const char *filter,
             const char *what, pf_items *out)
{
    memset(out, 0, sizeof *out);
    const pf_api_config *cfg = s->api->cfg;
    char path[64];
    snprintf(path, sizeof path, "%s/filter", resource);
    char *url = url_of(s->api, path);
    size_t cap = strlen(filter) + 64;
    char *body = malloc(cap);
    if (!url || !body) {
        free(url);
        free(body);
        pf_session_fail(s, what, "out of memory");
        return -1;
    }
    for (long long offset = 0;; offset += cfg->page_limit) {
        snprintf(body, cap, "{%s%s\"limit\":%lld,\"offset\":%lld}", filter, *filter ? "," : "",
                 cfg->page_limit, offset);
        promc_http_result res;
        if (request(s, ep, "POST", url, body, what, &res) != 0)
            break;
        ex_json_doc *doc = parse_answer(s, ep, what, &res);
        if (!doc)
            break;
        ex_json_node root = ex_json_root(doc);
        if (ex_json_kind_of(doc, root) != EX_JSON_ARRAY) {
            char why[96];
            snprintf(why, sizeof why, "expected a JSON array, got %s",
                     ex_json_kind_name(ex_json_kind_of(doc, root)));
            pf_session_fail(s, what, why);
            atomic_fetch_add(&s->api->errors[ep], 1);
            ex_json_free(doc);
            break;
        }
        size_t got = ex_json_count(doc, root);
        if (add_page(out, doc) != 0) {
            pf_session_fail(s, what, "out of memory");
            break;
        }
        if (!cfg->paginate || got < (size_t)cfg->page_limit) {
            out->ok = true;
            break;
        }
    }
    free(url);
    free(body);
    return out->ok ? 0 : -1;
}

void pf_items_free(pf_items *it)
{
    for (size_t i = 0; i < it->ndocs; i++)
        ex_json_free(it->docs[i]);
    free(it->docs);
    free(it->items);
    free(it->doc_of);
    memset(it, 0, sizeof *it);
}

/* ===================================================================== */
/* Sessions and CSRF                                                      */
/* ===================================================================== */

/* GET {url}/csrf-token?client=<id>: {"token", "client", "expiration"}. */
static int fetch_csrf(pf_session *s)
{
    pf_api *api = s->api;
    char path[96];
    snprintf(path, sizeof path, "csrf-token?client=%s", api->client_id);
    ex_json_doc *doc;
    if (pf_get_json(s, PF_EP_CSRF, path, "csrf-token", &doc) != 0)
        return -1;
    ex_json_node root = ex_json_root(doc);
    const char *token = ex_json_string(doc, ex_json_get(doc, root, "token"), NULL);
    size_t elen = 0;
    const char *exp = ex_json_string(doc, ex_json_get(doc, root, "expiration"), &elen);
    double expires = 0;
    int rc = -1;
    if (!token || !*token || strpbrk(token, "\r\n") || strlen(token) > 400) {
        pf_session_fail(s, "csrf-token", "no usable \"token\" in the answer");
    } else if (!(api->csrf_token = strdup(token))) {
        pf_session_fail(s, "csrf-token", "out of memory");
    } else {
        /* An expiration that cannot be read makes the token good for this
         * collection only. */
        if (!exp || ex_rfc3339_parse_utc_default(exp, elen, &expires) != 0)
            expires = 0;
        api->csrf_expires = expires;
        snprintf(api->csrf_header[0], sizeof api->csrf_header[0], "Prefect-Csrf-Token: %s", token);
        snprintf(api->csrf_header[1], sizeof api->csrf_header[1], "Prefect-Csrf-Client: %s",
                 api->client_id);
        ex_log(EX_LOG_DEBUG, "new CSRF token, expires %s", exp ? exp : "(not said)");
        rc = 0;
    }
    ex_json_free(doc);
    return rc;
}

int pf_session_begin(pf_session *s, pf_api *api, double deadline, const char *why)
{
    *s = (pf_session){.api = api, .deadline = deadline, .deadline_why = why};
    double now = unix_now();
    if (now < api->backoff_until) {
        stop(s, "the API asked to wait %.0f s more (Retry-After)", ceil(api->backoff_until - now));
        return -1;
    }
    if (!api->cfg->csrf || (api->csrf_token && now < api->csrf_expires))
        return 0;
    free(api->csrf_token);
    api->csrf_token = NULL;
    if (fetch_csrf(s) == 0)
        return 0;
    stop(s, "no CSRF token");
    return -1;
}

void pf_session_end(pf_session *s)
{
    free(s->failures);
    s->failures = NULL;
}

int pf_api_health(pf_api *api, double timeout, char *why, size_t cap)
{
    char *url = url_of(api, "health");
    const char *lines[5];
    promc_http_client_opts opts;
    request_opts(api, false, false, lines, &opts);
    opts.timeout = opts.connect_timeout = timeout;
    opts.max_body = 65536;
    promc_http_result res;
    int rc = url ? promc_http_fetch("GET", url, NULL, 0, &opts, &res) : PROMC_ENOMEM;
    free(url);
    if (rc == PROMC_OK && res.status >= 200 && res.status < 300) {
        promc_http_result_free(&res);
        return 0;
    }
    if (rc == PROMC_OK)
        snprintf(why, cap, "HTTP %d", res.status);
    else
        snprintf(why, cap, "%s", rc == PROMC_ENOMEM ? "out of memory" : promc_last_error());
    promc_http_result_free(&res);
    atomic_fetch_add(&api->errors[PF_EP_HEALTH], 1);
    return -1;
}
