/*
 * hitl_exporter: every --interval, GETs HITL_URL (a health endpoint in front
 * of a PostgreSQL connection), times the request in the histogram
 * hitl_psql_health_request_time and sets the enum hitl_psql_health_status to
 * healthy (200) or unhealthy (anything else). Reimplements a small Python
 * exporter; unlike it, this one goes back to healthy when the service recovers.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "promc_http.h"

#include "cli.h"
#include "exporter.h"
#include "create.h"
#include "serve.h"

#define VERSION  "1.0.0"
#define MAX_BODY (8u * 1024 * 1024) /* a larger answer counts as a failure */

static const char *hitl_url, *listen_address, *telemetry_path, *log_level;
static const char *log_format, *web_config_file;
static double interval, timeout;

static ex_flag flags[] = {
    {.name = "hitl.url",
     .env = "HITL_URL",
     .metavar = "URL",
     .help = "URL to check (http:// only); required.",
     .string = &hitl_url},
    {.name = "interval",
     .env = "HITL_INTERVAL",
     .def = "1s",
     .help = "Time between checks.",
     .duration = &interval,
     .min = 0.01,
     .max = 86400},
    {.name = "timeout",
     .env = "HITL_TIMEOUT",
     .def = "5s",
     .help = "Limit on each check, connecting included.",
     .duration = &timeout,
     .min = 0.001,
     .max = 3600},
    EX_FLAG_LISTEN_ADDRESS(&listen_address, "HITL_WEB_LISTEN_ADDRESS", ":9861"),
    EX_FLAG_SYSTEMD_SOCKET("HITL_WEB_SYSTEMD_SOCKET"),
    EX_FLAG_TELEMETRY_PATH(&telemetry_path, "HITL_WEB_TELEMETRY_PATH"),
    EX_FLAG_LOG_LEVEL(&log_level, "HITL_LOG_LEVEL"),
    EX_FLAG_LOG_FORMAT(&log_format, "HITL_LOG_FORMAT"),
    EX_FLAG_WEB_CONFIG_FILE(&web_config_file, "HITL_WEB_CONFIG_FILE"),
    {0},
};

static const ex_cli cli = {
    .version = VERSION,
    .summary = "Checks an HTTP health endpoint every --interval and exports its state and "
               "response time.",
    .flags = flags,
};

enum { HEALTHY, UNHEALTHY }; /* indices into the enum's states */

static promc_enum *status;
static promc_histogram *request_time;
static promc_counter *poll_errors;

static double monotonic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A missing or unusable URL is a configuration error, not an unhealthy
 * service: refuse to start. */
static void check_url(const char *url)
{
    if (!url)
        ex_flags_fail(&cli, "HITL_URL (or --hitl.url) is required, e.g. "
                            "HITL_URL=http://127.0.0.1:8080/health");
    if (strncasecmp(url, "https://", 8) == 0)
        ex_flags_fail(&cli,
                      "HITL_URL %s: https is not supported (promc has no TLS); run a local "
                      "TLS-terminating proxy (e.g. stunnel or nginx) and give its http:// address",
                      url);
    size_t hostlen = strncasecmp(url, "http://", 7) == 0 ? strcspn(url + 7, "/?#") : 0;
    if (hostlen == 0)
        ex_flags_fail(&cli,
                      "HITL_URL \"%s\": expected an http:// URL, e.g. "
                      "http://127.0.0.1:8080/health",
                      url);
    if (memchr(url + 7, '@', hostlen))
        ex_flags_fail(&cli, "HITL_URL: credentials in the URL are not supported");
}

enum check_result { CHECK_HEALTHY, CHECK_UNHEALTHY, CHECK_BAD_CONFIG };

/* One check: CHECK_HEALTHY for a 200. The time observed covers the whole
 * request, failed ones included. A failure is described in why (the full
 * message) and kind (a stable category, so that it is logged once per
 * change rather than at every check: a refused connection, a timeout and a
 * malformed answer are different kinds, although promc reports them all as
 * PROMC_EIO). CHECK_BAD_CONFIG is a URL the client refuses (PROMC_EINVAL
 * never comes from the service, so no retry can fix it). */
static enum check_result check_once(char *why, size_t cap, char *kind, size_t kcap)
{
    promc_http_client_opts opts = {
        .connect_timeout = timeout,
        .timeout = timeout,
        .max_body = MAX_BODY,
    };
    promc_http_result res;
    double start = monotonic_now();
    int rc = promc_http_fetch("GET", hitl_url, NULL, 0, &opts, &res);
    promc_histogram_observe(request_time, monotonic_now() - start);
    if (rc != PROMC_OK) {
        snprintf(why, cap, "%s", promc_last_error());
        ex_log_failure_kind(why, kind, kcap);
        return rc == PROMC_EINVAL ? CHECK_BAD_CONFIG : CHECK_UNHEALTHY;
    }
    int code = res.status;
    promc_http_result_free(&res);
    if (code != 200) {
        snprintf(why, cap, "answered HTTP %d", code);
        snprintf(kind, kcap, "status %d", code);
        return CHECK_UNHEALTHY;
    }
    return CHECK_HEALTHY;
}

/* Checks until a stop signal, every interval from start to start. A failure
 * is logged when it begins or its kind changes. Returns the exit code: 0, or
 * 2 for a URL the client refuses. */
static int check_loop(void)
{
    char why[512], kind[512], last_kind[512] = "";
    bool was_ok = true;
    while (!ex_should_stop()) {
        double start = monotonic_now();
        enum check_result r = check_once(why, sizeof why, kind, sizeof kind);
        if (r == CHECK_BAD_CONFIG) {
            ex_log(EX_LOG_ERROR, "cannot check HITL_URL: %s", why);
            return 2;
        }
        if (r == CHECK_HEALTHY) {
            promc_enum_set_index(status, HEALTHY);
            if (!was_ok)
                ex_log(EX_LOG_INFO, "%s is healthy again", hitl_url);
            was_ok = true;
            last_kind[0] = '\0';
        } else {
            promc_enum_set_index(status, UNHEALTHY);
            promc_counter_inc(poll_errors);
            bool news = was_ok || strcmp(kind, last_kind) != 0;
            ex_log(news ? EX_LOG_WARN : EX_LOG_DEBUG, "%s is unhealthy: %s", hitl_url, why);
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
    if (ex_exporter_start(&cli, "hitl_exporter", log_level, log_format, web_config_file) != 0)
        return 1;
    check_url(hitl_url);
    ex_signals_install();

    /* The first state is the initial one, as in the original: healthy
     * until the first check says otherwise (it runs at once). */
    status = promc_enum_new(NULL, "hitl_psql_health_status", "PSQL connection health",
                            PROMC_LABELS("healthy", "unhealthy"), NULL);
    if (!status)
        return ex_metric_failed("hitl_psql_health_status");
    request_time = promc_histogram_new(NULL, "hitl_psql_health_request_time",
                                       "PSQL connection response time (seconds)", NULL);
    if (!request_time)
        return ex_metric_failed("hitl_psql_health_request_time");
    poll_errors = promc_counter_new(NULL, "hitl_poll_errors_total",
                                    "Checks that did not get a 200 answer", NULL);
    if (!poll_errors)
        return ex_metric_failed("hitl_poll_errors_total");

    promc_http_server *server = ex_serve_metrics(listen_address, telemetry_path);
    if (!server)
        return 1;
    ex_log(EX_LOG_INFO, "checking %s every %gs, metrics on %s%s (port %d)", hitl_url, interval,
           listen_address, telemetry_path, promc_http_server_port(server));

    int rc = check_loop();

    promc_http_server_free(server);
    promc_enum_free(status);
    promc_histogram_free(request_time);
    promc_counter_free(poll_errors);
    ex_exporter_stop();
    promc_shutdown();
    return rc;
}
