/*
 * success_rate: a demo service for canary analysis. GET / answers 200 with
 * probability --success-rate percent and 500 otherwise; requests_total
 * counts answers by code and rate_requests holds the percentage of 500
 * answers so far (the original's meaning, kept despite the gauge's name).
 * Other paths 404 and other methods 405, neither counted there; every
 * answer is in api_requests_total{code,method} and the latency and size
 * histograms beside it (promc_http_instrument).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "promc_http.h"

#include "cli.h"
#include "exporter.h"
#include "create.h"
#include "serve.h"

#define VERSION "1.0.0"

static const char *listen_address, *telemetry_path, *app_listen, *log_level;
static const char *log_format, *web_config_file;
static double success_rate;
static long long seed;

static ex_flag flags[] = {
    {.name = "success-rate",
     .env = "SUCCESS_RATE_SUCCESS_RATE",
     .def = "50",
     .metavar = "PCT",
     .help = "Percentage of requests answered 200 (the rest get 500); also the first argument.",
     .number = &success_rate,
     .min = 0,
     .max = 100},
    {.name = "seed",
     .env = "SUCCESS_RATE_SEED",
     .def = "0",
     .help = "Seed of the random sequence (0: from the clock).",
     .integer = &seed,
     .min = 0,
     .max = 9.2e18},
    EX_FLAG_LISTEN_ADDRESS(&listen_address, "SUCCESS_RATE_WEB_LISTEN_ADDRESS", ":8000"),
    EX_FLAG_TELEMETRY_PATH(&telemetry_path, "SUCCESS_RATE_WEB_TELEMETRY_PATH"),
    {.name = "app-listen",
     .env = "SUCCESS_RATE_APP_LISTEN",
     .def = "127.0.0.1:8080",
     .help = "Address of the demo service.",
     .string = &app_listen,
     .check = ex_check_listen_address},
    EX_FLAG_LOG_LEVEL(&log_level, "SUCCESS_RATE_LOG_LEVEL"),
    EX_FLAG_LOG_FORMAT(&log_format, "SUCCESS_RATE_LOG_FORMAT"),
    EX_FLAG_WEB_CONFIG_FILE(&web_config_file, "SUCCESS_RATE_WEB_CONFIG_FILE"),
    {0},
};

static const ex_cli cli = {
    .version = VERSION,
    .summary = "A demo service whose GET / fails with HTTP 500 at a chosen rate.",
    .flags = flags,
    .max_args = 1,
    .args_usage = "[PCT]",
};

static struct {
    pthread_mutex_t lock;
    uint64_t rng; /* xorshift64 state */
    uint64_t ok, failed;
} state = {.lock = PTHREAD_MUTEX_INITIALIZER};

static promc_counter *ok_total, *failed_total;
static promc_gauge *failure_percent;

static uint64_t next_random(void)
{
    uint64_t x = state.rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return state.rng = x;
}

static void app(void *userdata, const promc_http_request *req, promc_http_response *r)
{
    (void)userdata;
    if (strcmp(promc_http_request_path(req), "/") != 0) {
        r->status = 404;
        r->body = "Not Found\n";
    } else if (strcmp(promc_http_request_method(req), "GET") != 0) {
        r->status = 405;
        r->allow = "GET";
        r->body = "Method Not Allowed\n";
    } else {
        pthread_mutex_lock(&state.lock);
        /* 53 random bits as a uniform number in [0, 100). */
        double draw = (double)(next_random() >> 11) / 9007199254740992.0 * 100;
        pthread_mutex_unlock(&state.lock);
        bool success = draw < success_rate;
        r->status = success ? 200 : 500;
        r->body = success ? "OK\n" : "Internal Server Error\n";
    }
    r->body_len = strlen(r->body);
}

/* Counted once answered. The gauge is the share of 500s among all answers
 * so far, in percent, updated with the counts under one lock. */
static void sent(void *userdata, const char *method, const char *path, const promc_http_response *r,
                 int written_ok)
{
    (void)userdata;
    (void)method;
    (void)path;
    if (!written_ok || (r->status != 200 && r->status != 500))
        return;
    pthread_mutex_lock(&state.lock);
    if (r->status == 200) {
        state.ok++;
        promc_counter_inc(ok_total);
    } else {
        state.failed++;
        promc_counter_inc(failed_total);
    }
    promc_gauge_set(failure_percent,
                    100.0 * (double)state.failed / (double)(state.ok + state.failed));
    pthread_mutex_unlock(&state.lock);
}

int main(int argc, char **argv)
{
    int nargs = ex_flags_parse(&cli, argc, argv);
    if (nargs == 1) {
        char *end;
        double pct = strtod(argv[1], &end);
        if (*end || end == argv[1] || !(pct >= 0 && pct <= 100))
            ex_flags_fail(&cli, "success rate \"%s\" is not a percentage from 0 to 100", argv[1]);
        success_rate = pct;
    }
    if (ex_exporter_start(&cli, "success_rate", log_level, log_format, web_config_file) != 0)
        return 1;
    ex_signals_install();
    state.rng = seed ? (uint64_t)seed : (uint64_t)time(NULL) ^ 0x9E3779B97F4A7C15ULL;
    if (!state.rng)
        state.rng = 1;

    promc_counter_vec *requests =
        promc_counter_vec_new(NULL, "requests", "Number of requests served, by http code",
                              PROMC_LABELS("http_code"), NULL);
    if (!requests)
        return ex_metric_failed("requests");
    failure_percent = promc_gauge_new(NULL, "rate_requests", "Rate of success requests", NULL);
    if (!failure_percent)
        return ex_metric_failed("rate_requests");
    ok_total = promc_counter_vec_labels(requests, "200");
    if (!ok_total)
        return ex_metric_failed("requests{http_code=\"200\"}");
    failed_total = promc_counter_vec_labels(requests, "500");
    if (!failed_total)
        return ex_metric_failed("requests{http_code=\"500\"}");
    /* Every answer of the service, by code and method, with its latency
     * and size: what a canary analysis compares (promhttp's metrics). */
    promc_http_instrument *instrument = promc_http_instrument_new(NULL, NULL);
    if (!instrument)
        return ex_metric_failed("api_requests_total");
    promc_http_server *metrics = ex_serve_metrics(listen_address, telemetry_path);
    if (!metrics)
        return 1;
    /* The application itself: no metrics endpoint of its own. */
    promc_http_opts app_opts = {.disable_metrics = 1,
                                .request_handler = app,
                                .on_sent = sent,
                                .instrument = instrument,
                                .workers = 4,
                                .idle_timeout = 5};
    promc_http_server *web = promc_http_server_new(NULL, app_listen, &app_opts);
    if (!web) {
        ex_log(EX_LOG_ERROR, "demo service: %s", promc_last_error());
        promc_http_server_free(metrics);
        return 1;
    }
    ex_log(EX_LOG_INFO, "demo service on %s answering %g%% of requests with 200; metrics on %s%s",
           app_listen, success_rate, listen_address, telemetry_path);

    while (!ex_should_stop())
        ex_sleep_interruptible(3600);

    ex_log(EX_LOG_INFO, "stopping on signal %d", ex_stop_signal());
    promc_http_server_free(web);
    promc_http_server_free(metrics);
    promc_http_instrument_free(instrument);
    promc_counter_vec_free(requests);
    promc_gauge_free(failure_percent);
    ex_exporter_stop();
    promc_shutdown();
    return 0;
}
