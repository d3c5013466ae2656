/*
 * jenkins_exporter: polls Jenkins' JSON API every --interval and exports the
 * number of jobs as jenkins_jobs_count, with jenkins_up and
 * jenkins_poll_errors_total telling whether the last poll worked. With
 * --depth N, jobs inside folders are counted too. Reimplements a small Python
 * exporter that crashed on any error; this one keeps the last count instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "promc_http.h"

#include "cli.h"
#include "exporter.h"
#include "create.h"
#include "serve.h"
#include "json.h"

#define VERSION   "1.0.0"
#define MAX_BODY  (8u * 1024 * 1024) /* a Jenkins answer larger than this is an error */
#define MAX_DEPTH 20                 /* needs 2 * (20 + 1) + 1 = 43 < 64 JSON levels */

static const char *listen_address, *telemetry_path, *log_level;
static const char *log_format, *web_config_file;
static const char *jenkins_url, *jenkins_user, *jenkins_token;
static double interval, timeout;
static long long depth;

static ex_flag flags[] = {
    {.name = "jenkins.url",
     .env = "JENKINS_URL",
     .def = "http://localhost:8080",
     .metavar = "URL",
     .help = "Base URL of Jenkins (http:// only).",
     .string = &jenkins_url},
    {.name = "jenkins.user",
     .env = "JENKINS_USER",
     .metavar = "USER",
     .help = "User for HTTP Basic authentication (none: no credentials are sent).",
     .string = &jenkins_user},
    {.name = "jenkins.token",
     .env = "JENKINS_TOKEN,JENKINS_PASSWORD",
     .metavar = "TOKEN",
     .help = "API token (or password) for HTTP Basic authentication.",
     .string = &jenkins_token},
    {.name = "interval",
     .env = "JENKINS_INTERVAL",
     .def = "15s",
     .help = "Time between polls.",
     .duration = &interval,
     .min = 0.01,
     .max = 86400},
    {.name = "timeout",
     .env = "JENKINS_TIMEOUT",
     .def = "5s",
     .help = "Limit on each request to Jenkins, connecting included.",
     .duration = &timeout,
     .min = 0.001,
     .max = 3600},
    {.name = "depth",
     .env = "JENKINS_DEPTH",
     .def = "0",
     .help = "Folder levels to descend into (0: count top-level items only).",
     .integer = &depth,
     .min = 0,
     .max = MAX_DEPTH},
    EX_FLAG_LISTEN_ADDRESS(&listen_address, "JENKINS_WEB_LISTEN_ADDRESS", ":9118"),
    EX_FLAG_SYSTEMD_SOCKET("JENKINS_WEB_SYSTEMD_SOCKET"),
    EX_FLAG_TELEMETRY_PATH(&telemetry_path, "JENKINS_WEB_TELEMETRY_PATH"),
    EX_FLAG_LOG_LEVEL(&log_level, "JENKINS_LOG_LEVEL"),
    EX_FLAG_LOG_FORMAT(&log_format, "JENKINS_LOG_FORMAT"),
    EX_FLAG_WEB_CONFIG_FILE(&web_config_file, "JENKINS_WEB_CONFIG_FILE"),
    {0},
};

static const ex_cli cli = {
    .version = VERSION,
    .summary = "Exports the number of Jenkins jobs, polled from Jenkins' JSON API.",
    .flags = flags,
};

static promc_gauge *jobs_count, *up;
static promc_counter *poll_errors;

/* ===================================================================== */
/* Request                                                                */
/* ===================================================================== */

/* {base}/api/json?tree=jobs[url,jobs[url,...]] nested depth + 1 times, the
 * brackets percent-encoded (the client sends the URL as given). */
static char *build_request_url(const char *base, int levels)
{
    size_t baselen = strlen(base);
    while (baselen > 0 && base[baselen - 1] == '/')
        baselen--;
    /* Per level: "jobs%5Burl," and "%5D"; plus the fixed parts. */
    size_t cap = baselen + 32 + (size_t)(levels + 1) * 16;
    char *url = malloc(cap);
    if (!url)
        return NULL;
    size_t n = (size_t)snprintf(url, cap, "%.*s/api/json?tree=", (int)baselen, base);
    for (int i = 0; i <= levels; i++)
        n += (size_t)snprintf(url + n, cap - n, "%sjobs%%5Burl", i ? "," : "");
    for (int i = 0; i <= levels; i++)
        n += (size_t)snprintf(url + n, cap - n, "%%5D");
    return url;
}

/* ===================================================================== */
/* Counting                                                               */
/* ===================================================================== */

/* Items of the array jobs, plus (below the depth limit) the items of every
 * folder among them, recursively: a folder counts itself and its children,
 * as the original's recursion did. Recursion is bounded by --depth. */
static double count_jobs(const ex_json_doc *doc, ex_json_node jobs, long long level)
{
    double count = 0;
    ex_json_node item = EX_JSON_NONE;
    while ((item = ex_json_array_next(doc, jobs, item)) != EX_JSON_NONE) {
        count++;
        if (level >= depth)
            continue;
        /* A folder is an item whose _class ends in "Folder" or that carries
         * a "jobs" array; only the array has anything to count, so a folder
         * Jenkins did not expand (or an empty one) counts as one item. */
        ex_json_node children = ex_json_get(doc, item, "jobs");
        if (ex_json_kind_of(doc, children) == EX_JSON_ARRAY)
            count += count_jobs(doc, children, level + 1);
    }
    return count;
}

/* ===================================================================== */
/* Polling                                                                */
/* ===================================================================== */

enum poll_result { POLL_OK, POLL_FAILED, POLL_BAD_CONFIG };

/* One poll: sets *count and returns POLL_OK, or describes the failure in why
 * (the full message) and kind (a stable category, so that a failure is
 * logged once per change rather than at every poll: a refused connection, a
 * timeout and a malformed answer are different kinds, although promc reports
 * them all as PROMC_EIO). POLL_BAD_CONFIG is a URL or credentials the client
 * refuses, which no retry can fix. */
static enum poll_result poll_once(const char *url, double *count, char *why, size_t cap, char *kind,
                                  size_t kcap)
{
    promc_http_client_opts opts = {
        .connect_timeout = timeout,
        .timeout = timeout,
        .max_body = MAX_BODY,
        .basic_user = jenkins_user,
        .basic_password = jenkins_token,
    };
    promc_http_result res;
    int rc = promc_http_fetch("GET", url, NULL, 0, &opts, &res);
    if (rc != PROMC_OK) {
        snprintf(why, cap, "%s", promc_last_error());
        ex_log_failure_kind(why, kind, kcap);
        return rc == PROMC_EINVAL ? POLL_BAD_CONFIG : POLL_FAILED;
    }
    enum poll_result result = POLL_FAILED;
    if (res.status != 200) {
        snprintf(why, cap, "Jenkins answered HTTP %d%s", res.status,
                 res.status == 401 || res.status == 403 ? " (check the user and token)" : "");
        snprintf(kind, kcap, "status %d", res.status);
        promc_http_result_free(&res);
        return POLL_FAILED;
    }
    ex_json_error err;
    ex_json_doc *doc = ex_json_parse(res.body, res.body_len, NULL, &err);
    if (!doc) {
        snprintf(why, cap, "invalid JSON from Jenkins at byte %zu: %s", err.offset, err.message);
        snprintf(kind, kcap, "invalid JSON");
    } else {
        ex_json_node jobs = ex_json_get(doc, ex_json_root(doc), "jobs");
        if (ex_json_kind_of(doc, jobs) != EX_JSON_ARRAY) {
            snprintf(why, cap, "Jenkins' answer has no \"jobs\" array");
            snprintf(kind, kcap, "no jobs");
        } else {
            *count = count_jobs(doc, jobs, 0);
            result = POLL_OK;
        }
    }
    ex_json_free(doc);
    promc_http_result_free(&res);
    return result;
}

/* Errors the client would only report at every poll, caught at startup. */
static void check_url(const char *url)
{
    if (strncasecmp(url, "https://", 8) == 0)
        ex_flags_fail(&cli,
                      "--jenkins.url %s: https is not supported (promc has no TLS); run a local "
                      "TLS-terminating proxy (e.g. stunnel or nginx) in front of Jenkins and give "
                      "its http:// address",
                      url);
    size_t hostlen = strncasecmp(url, "http://", 7) == 0 ? strcspn(url + 7, "/?#") : 0;
    if (hostlen == 0)
        ex_flags_fail(&cli, "--jenkins.url \"%s\": expected http://host[:port][/path]", url);
    if (memchr(url + 7, '@', hostlen))
        ex_flags_fail(&cli, "--jenkins.url: put no credentials in the URL; use --jenkins.user "
                            "and --jenkins.token");
    if (strpbrk(url, "?#"))
        ex_flags_fail(&cli, "--jenkins.url \"%s\": expected no query or fragment", url);
}

static double monotonic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Polls until a stop signal, every interval from start to start. Logs a
 * failure when it begins or its kind changes, and the recovery, not every
 * poll (the details of each failed poll are at debug level). Returns the
 * exit code: 0, or 2 for a URL the client refuses. */
static int poll_loop(const char *url)
{
    char last_kind[512] = "", kind[512], why[512];
    bool was_ok = false;
    while (!ex_should_stop()) {
        double start = monotonic_now(), count = 0;
        enum poll_result r = poll_once(url, &count, why, sizeof why, kind, sizeof kind);
        if (r == POLL_BAD_CONFIG) {
            ex_log(EX_LOG_ERROR, "cannot poll Jenkins, check --jenkins.url: %s", why);
            return 2;
        }
        if (r == POLL_OK) {
            promc_gauge_set(jobs_count, count);
            promc_gauge_set(up, 1);
            if (!was_ok)
                ex_log(EX_LOG_INFO, "polled Jenkins: %.0f jobs", count);
            was_ok = true;
            last_kind[0] = '\0';
        } else {
            promc_counter_inc(poll_errors);
            promc_gauge_set(up, 0);
            bool news = was_ok || strcmp(kind, last_kind) != 0;
            ex_log(news ? EX_LOG_ERROR : EX_LOG_DEBUG, "polling %s failed: %s", url, why);
            was_ok = false;
            snprintf(last_kind, sizeof last_kind, "%s", kind);
        }
        ex_sleep_interruptible(interval - (monotonic_now() - start));
    }
    ex_log(EX_LOG_INFO, "stopping on signal %d", ex_stop_signal());
    return 0;
}

int main(int argc, char **argv)
{
    ex_flags_parse(&cli, argc, argv);
    if (ex_exporter_start(&cli, "jenkins_exporter", log_level, log_format, web_config_file) != 0)
        return 1;
    check_url(jenkins_url);
    /* No default credentials: a guessed admin/admin sent to every Jenkins
     * is a security smell. Half a pair would be ignored silently. */
    if (!jenkins_user != !jenkins_token)
        ex_flags_fail(&cli, "--jenkins.user and --jenkins.token go together: give both, or "
                            "neither for anonymous access");
    if (jenkins_user && strchr(jenkins_user, ':'))
        ex_flags_fail(&cli, "--jenkins.user may not contain ':' (HTTP Basic authentication)");
    ex_signals_install();

    jobs_count = promc_gauge_new(NULL, "jenkins_jobs_count", "Number of Jenkins jobs", NULL);
    if (!jobs_count)
        return ex_metric_failed("jenkins_jobs_count");
    up = promc_gauge_new(NULL, "jenkins_up",
                         "Whether the last poll of Jenkins worked (1) or not (0)", NULL);
    if (!up)
        return ex_metric_failed("jenkins_up");
    poll_errors =
        promc_counter_new(NULL, "jenkins_poll_errors_total", "Polls of Jenkins that failed", NULL);
    if (!poll_errors)
        return ex_metric_failed("jenkins_poll_errors_total");
    char *url = build_request_url(jenkins_url, (int)depth);
    if (!url) {
        ex_log(EX_LOG_ERROR, "out of memory");
        return 1;
    }

    promc_http_server *server = ex_serve_metrics(listen_address, telemetry_path);
    if (!server)
        return 1;
    ex_log(EX_LOG_INFO, "polling %s every %gs, metrics on %s%s (port %d)", url, interval,
           listen_address, telemetry_path, promc_http_server_port(server));

    int rc = poll_loop(url);

    promc_http_server_free(server);
    free(url);
    promc_gauge_free(jobs_count);
    promc_gauge_free(up);
    promc_counter_free(poll_errors);
    ex_exporter_stop();
    promc_shutdown();
    return rc;
}
