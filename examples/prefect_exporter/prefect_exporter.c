/*
 * prefect_exporter: Prefect deployments, flows, flow runs, work pools and
 * work queues as the 14 gauge families of PrefectHQ's exporter, collected
 * from the Prefect REST API on every scrape by a custom collector. Unlike
 * the original it keeps serving when the API is down, bounds every scrape
 * by --timeout and by Prometheus's scrape timeout, shares one collection
 * among concurrent scrapes (the library's shared collections), and says in
 * prefect_up when an answer is missing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "promc_http.h"

#include "api.h"
#include "cli.h"
#include "exporter.h"
#include "collect.h"
#include "create.h"
#include "serve.h"

#define VERSION "1.0.0"

static const char *listen_address, *telemetry_path, *log_level, *api_url, *api_key, *auth_string;
static const char *log_format, *web_config_file;
static bool csrf, paginate, flow_run_name;
static long long page_limit, offset_minutes, failed_offset_minutes, failed_limit, max_retries;
static double timeout, cache_ttl;

/* LOG_LEVEL as the original takes it: Python's level names, CRITICAL
 * included (logged as error here). */
static const char *check_log_level(const char *value)
{
    return strcasecmp(value, "critical") == 0 ? NULL : ex_log_check_level(value);
}

static ex_flag flags[] = {
    {.name = "prefect.api-url",
     .env = "PREFECT_API_URL",
     .def = "http://localhost:4200/api",
     .metavar = "URL",
     .help = "Base URL of the Prefect REST API (http:// only).",
     .string = &api_url},
    {.name = "prefect.api-key",
     .env = "PREFECT_API_KEY",
     .def = "",
     .metavar = "KEY",
     .help = "API key, sent as \"Authorization: Bearer KEY\"; wins over the auth string.",
     .string = &api_key},
    {.name = "prefect.api-auth-string",
     .env = "PREFECT_API_AUTH_STRING",
     .def = "",
     .metavar = "USER:PASSWORD",
     .help = "Credentials for HTTP Basic authentication.",
     .string = &auth_string},
    {.name = "prefect.csrf-enabled",
     .env = "PREFECT_CSRF_ENABLED",
     .def = "false",
     .help = "Fetch a CSRF token and send it with every request.",
     .boolean = &csrf},
    {.name = "pagination.enabled",
     .env = "PAGINATION_ENABLED",
     .def = "true",
     .help = "Page through the results of each query; off: one request per query.",
     .boolean = &paginate},
    {.name = "pagination.limit",
     .env = "PAGINATION_LIMIT",
     .def = "200",
     .help = "Items asked for per request (the body's \"limit\").",
     .integer = &page_limit,
     .min = 1,
     .max = 100000},
    {.name = "offset-minutes",
     .env = "OFFSET_MINUTES",
     .def = "3",
     .help = "Window of the recent and ended flow-run queries, in minutes.",
     .integer = &offset_minutes,
     .min = 0,
     .max = 5256000},
    {.name = "failed-runs.offset-minutes",
     .env = "FAILED_RUNS_OFFSET_MINUTES",
     .def = "10080",
     .help = "Window of the failed-runs query, in minutes; 0 leaves "
             "prefect_deployment_failed_flow_runs empty.",
     .integer = &failed_offset_minutes,
     .min = 0,
     .max = 5256000},
    {.name = "failed-runs.limit",
     .env = "FAILED_RUNS_LIMIT",
     .def = "10",
     .help = "Failed run ids kept per deployment, flow and state name.",
     .integer = &failed_limit,
     .min = 0,
     .max = 1000000},
    {.name = "flow-run-name-label",
     .env = "ENABLE_FLOW_RUN_NAME_LABEL",
     .def = "false",
     .help = "Add the flow_run_name label to prefect_info_flow_runs and "
             "prefect_flow_runs_ongoing_run_time.",
     .boolean = &flow_run_name},
    {.name = "max-retries",
     .env = "MAX_RETRIES",
     .def = "3",
     .help = "Attempts per request (1: no retry), 1 s, 2 s, 4 s... apart, within --timeout.",
     .integer = &max_retries,
     .min = 1,
     .max = 30},
    {.name = "timeout",
     .env = "PREFECT_EXPORTER_TIMEOUT",
     .def = "8s",
     .help = "Time allowed for a scrape's collection, every request and retry included "
             "(Prometheus's scrape timeout bounds it too).",
     .duration = &timeout,
     .min = 0.01,
     .max = 3600},
    {.name = "cache-ttl",
     .env = "PREFECT_EXPORTER_CACHE_TTL",
     .def = "0",
     .help = "Serve a collection younger than this again instead of asking the API "
             "(0: collect on every scrape).",
     .duration = &cache_ttl,
     .min = 0,
     .max = 86400},
    /* No variable of its own: METRICS_ADDR and METRICS_PORT, as the
     * original, make the default (see listen_from_env). */
    {.name = "web.listen-address",
     .alias = "listen",
     .help = "Address to expose metrics on. [env: METRICS_ADDR, METRICS_PORT: host and port] "
             "[default: :8000]",
     .string = &listen_address,
     .check = ex_check_listen_address},
    EX_FLAG_SYSTEMD_SOCKET("PREFECT_EXPORTER_WEB_SYSTEMD_SOCKET"),
    EX_FLAG_TELEMETRY_PATH(&telemetry_path, "PREFECT_EXPORTER_WEB_TELEMETRY_PATH"),
    {.name = "log.level",
     .env = "LOG_LEVEL",
     .def = "info",
     .metavar = "LEVEL",
     .help = "Only log messages at or above this level: debug, info, warn(ing), error, critical.",
     .string = &log_level,
     .check = check_log_level},
    EX_FLAG_LOG_FORMAT(&log_format, "PREFECT_EXPORTER_LOG_FORMAT"),
    EX_FLAG_WEB_CONFIG_FILE(&web_config_file, "PREFECT_EXPORTER_WEB_CONFIG_FILE"),
    {0},
};

static const ex_cli cli = {
    .version = VERSION,
    .summary = "Exports Prefect deployments, flows, flow runs, work pools and work queues, asking "
               "the Prefect REST API on every scrape.",
    .flags = flags,
};

/* ===================================================================== */
/* Configuration                                                          */
/* ===================================================================== */

/* The base URL without trailing slashes; http only (libc has no TLS), no
 * credentials, query or fragment. malloc'd. */
static char *base_url(const char *url)
{
    if (strncasecmp(url, "https://", 8) == 0)
        ex_flags_fail(&cli,
                      "--prefect.api-url %s: https is not supported (promc has no TLS); run a "
                      "local TLS-terminating proxy (e.g. stunnel or nginx) in front of the API and "
                      "give its http:// address",
                      url);
    size_t hostlen = strncasecmp(url, "http://", 7) == 0 ? strcspn(url + 7, "/?#") : 0;
    if (hostlen == 0)
        ex_flags_fail(&cli, "--prefect.api-url \"%s\": expected http://host[:port][/path]", url);
    if (memchr(url + 7, '@', hostlen))
        ex_flags_fail(&cli, "--prefect.api-url: put no credentials in the URL; use "
                            "--prefect.api-key or --prefect.api-auth-string");
    if (strpbrk(url, "?#"))
        ex_flags_fail(&cli, "--prefect.api-url \"%s\": expected no query or fragment", url);
    char *base = strdup(url);
    size_t n = base ? strlen(base) : 0;
    while (n > 7 + hostlen && base[n - 1] == '/')
        base[--n] = '\0';
    return base;
}

/* The listen address from METRICS_ADDR (default: every interface) and
 * METRICS_PORT (default 8000). */
static const char *listen_from_env(char *buf, size_t cap)
{
    const char *addr = getenv("METRICS_ADDR"), *port = getenv("METRICS_PORT");
    if (!addr)
        addr = "";
    if (!port || !*port)
        port = "8000";
    bool v6 = strchr(addr, ':') && addr[0] != '[';
    snprintf(buf, cap, v6 ? "[%s]:%s" : "%s:%s", addr, port);
    const char *why = ex_check_listen_address(buf);
    if (why)
        ex_flags_fail(&cli, "METRICS_ADDR=\"%s\", METRICS_PORT=\"%s\": %s", addr, port, why);
    return buf;
}

/* ===================================================================== */
/* The collector                                                          */
/* ===================================================================== */

static int emit_result(promc_emitter *e, const pf_result *r)
{
    int first = PROMC_OK;
    for (size_t i = 0; i < PF_NFAMILIES; i++) {
        const pf_family *f = &r->families[i];
        int rc = promc_emit_family(e, f->name, f->help, PROMC_GAUGE, NULL);
        for (size_t k = 0; rc == PROMC_OK && k < f->n; k++) {
            promc_label labels[PF_MAX_LABELS];
            for (size_t l = 0; l < f->nlabels; l++)
                labels[l] = (promc_label){f->labels[l], f->series[k].values[l]};
            rc = promc_emit_sample(e, labels, f->nlabels, f->series[k].value);
        }
        if (rc != PROMC_OK) {
            ex_log(EX_LOG_ERROR, "%s: %s", f->name, promc_last_error());
            first = first != PROMC_OK ? first : rc;
        }
    }
    int rc = promc_emit_family(
        e, "prefect_up",
        "Whether the last collection got every answer from the Prefect API (1) or not (0)",
        PROMC_GAUGE, NULL);
    if (rc == PROMC_OK)
        rc = promc_emit_sample(e, NULL, 0, r->up ? 1 : 0);
    if (rc == PROMC_OK)
        rc = promc_emit_family(e, "prefect_api_errors",
                               "Requests to the Prefect API that failed, by endpoint",
                               PROMC_COUNTER, NULL);
    for (size_t i = 0; rc == PROMC_OK && i < PF_EP_COUNT; i++) {
        promc_label l = {"endpoint", pf_endpoint_names[i]};
        rc = promc_emit_sample(e, &l, 1, (double)r->errors[i]);
    }
    if (rc != PROMC_OK)
        ex_log(EX_LOG_ERROR, "prefect_up, prefect_api_errors_total: %s", promc_last_error());
    return first != PROMC_OK ? first : rc;
}

/* What the collector keeps between scrapes. The library never runs the
 * callback twice at once (concurrent scrapes share its call), so no lock:
 * each call sees what the one before it left, whatever its thread. */
struct collector_state {
    const pf_collect_config *cfg;
    pf_result *last;      /* the latest collection, for --cache-ttl */
    double last_finished; /* monotonic seconds */
};

/* The emission after a collection takes milliseconds; this much of the
 * scrape's deadline (at most a tenth of it) is left for it, so that a
 * collection ending by its own deadline is never left behind by the
 * scrape's, which would drop prefect_up with the rest. */
#define EMIT_MARGIN 0.25

/* The collection's deadline: --timeout from now, or the scrape's
 * (promc_emitter_timeout, less the margin) when that comes first. */
static double deadline_for(const promc_emitter *e, const char **why)
{
    double now = pf_monotonic(), left = promc_emitter_timeout(e);
    *why = "--timeout";
    if (isfinite(left)) {
        double margin = left / 10 < EMIT_MARGIN ? left / 10 : EMIT_MARGIN;
        if (left - margin < timeout) {
            *why = "the scrape timeout";
            return now + (left - margin);
        }
    }
    return now + timeout;
}

/* Each scrape: a collection younger than --cache-ttl, or a new one. */
static int collect(promc_emitter *e, void *userdata)
{
    struct collector_state *st = userdata;
    if (!(cache_ttl > 0 && st->last && pf_monotonic() - st->last_finished < cache_ttl)) {
        const char *why;
        double deadline = deadline_for(e, &why);
        pf_result *r = pf_collect(st->cfg, deadline, why);
        if (!r) {
            ex_log(EX_LOG_ERROR, "out of memory collecting from the Prefect API");
            return PROMC_ENOMEM;
        }
        pf_result_free(st->last);
        st->last = r;
        st->last_finished = pf_monotonic();
    }
    return emit_result(e, st->last);
}

static void free_state(void *userdata)
{
    struct collector_state *st = userdata;
    pf_result_free(st->last);
    free(st);
}

/* ===================================================================== */
/* Main                                                                   */
/* ===================================================================== */

int main(int argc, char **argv)
{
    ex_flags_parse(&cli, argc, argv);
    if (ex_exporter_start(&cli, "prefect_exporter",
                          strcasecmp(log_level, "critical") == 0 ? "error" : log_level, log_format,
                          web_config_file) != 0)
        return 1;
    char listen_buf[300], *url = base_url(api_url), *user = NULL;
    const char *password = NULL;
    if (!listen_address)
        listen_address = listen_from_env(listen_buf, sizeof listen_buf);
    if (*auth_string) {
        const char *colon = strchr(auth_string, ':');
        if (!colon)
            ex_flags_fail(&cli, "--prefect.api-auth-string: expected USER:PASSWORD");
        user = strndup(auth_string, (size_t)(colon - auth_string));
        password = colon + 1;
    }
    if (!url || (*auth_string && !user)) {
        ex_log(EX_LOG_ERROR, "out of memory");
        return 1;
    }
    ex_signals_install();

    pf_api_config api_cfg = {
        .url = url,
        .api_key = api_key,
        .basic_user = user,
        .basic_password = password,
        .csrf = csrf,
        .paginate = paginate,
        .page_limit = page_limit,
        .max_attempts = max_retries,
    };
    pf_api *api = pf_api_new(&api_cfg);
    pf_collect_config collect_cfg = {
        .api = api,
        .offset_minutes = offset_minutes,
        .failed_offset_minutes = failed_offset_minutes,
        .failed_limit = failed_limit,
        .flow_run_name = flow_run_name,
    };
    struct collector_state *state = api ? calloc(1, sizeof *state) : NULL;
    if (!state) {
        ex_log(EX_LOG_ERROR, "out of memory");
        return 1;
    }
    state->cfg = &collect_cfg;
    const char *names[PF_NFAMILIES + 3];
    for (size_t i = 0; i < PF_NFAMILIES; i++)
        names[i] = pf_family_name((enum pf_family_id)i);
    names[PF_NFAMILIES] = "prefect_up";
    names[PF_NFAMILIES + 1] = "prefect_api_errors";
    names[PF_NFAMILIES + 2] = NULL;
    promc_metric *collector = promc_collector_new_opts(NULL, collect, state, free_state, names,
                                                       &(promc_collector_opts){.name = "prefect"});
    if (!collector) {
        free_state(state);
        return ex_metric_failed("prefect_*");
    }

    /* Without Prometheus's timeout header a scrape's deadline is the
     * server's maximum: room for a whole --timeout and the emission. */
    promc_http_server *server =
        ex_serve_metrics_within(listen_address, telemetry_path, timeout + 1);
    if (!server)
        return 1;
    ex_log(EX_LOG_INFO,
           "Prefect API at %s (%s, pages of %lld%s); metrics on %s%s (port %d), each scrape "
           "collecting within %g s or the scrape timeout less 0.5 s",
           url,
           *api_key ? "API key"
           : user   ? "auth string"
                    : "no authentication",
           page_limit, paginate ? "" : ", pagination off", listen_address, telemetry_path,
           promc_http_server_port(server), timeout);
    /* The original exits when the API is not healthy at start; this one
     * says so and serves anyway: prefect_up tells when it works. */
    char why[512];
    if (pf_api_health(api, timeout, why, sizeof why) == 0)
        ex_log(EX_LOG_INFO, "the Prefect API is healthy");
    else
        ex_log(EX_LOG_WARN, "Prefect API health check failed: %s; serving anyway", why);

    while (ex_sleep_interruptible(3600))
        ;
    ex_log(EX_LOG_INFO, "stopping on signal %d", ex_stop_signal());
    promc_http_server_free(server);
    promc_metric_free(collector);
    ex_exporter_stop();
    promc_shutdown(); /* frees the collector, and with it state */
    pf_api_free(api);
    free(user);
    free(url);
    return 0;
}
