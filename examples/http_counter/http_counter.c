/*
 * http_counter: a small web application that counts the requests it answers.
 * GET / answers a greeting, other GET paths 404, both counted in
 * http_requests_total{status_code, instance} once the answer is sent; other
 * methods get 501 and are not counted. Metrics on --web.listen-address.
 * Reimplements the classic Python prometheus_client tutorial program.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "promc_http.h"

#include "cli.h"
#include "exporter.h"
#include "create.h"
#include "serve.h"

#define VERSION "1.0.0"

static const char *listen_address, *telemetry_path, *app_listen, *log_level;
static const char *log_format, *web_config_file;

static ex_flag flags[] = {
    EX_FLAG_LISTEN_ADDRESS(&listen_address, "HTTP_COUNTER_WEB_LISTEN_ADDRESS", ":9000"),
    EX_FLAG_TELEMETRY_PATH(&telemetry_path, "HTTP_COUNTER_WEB_TELEMETRY_PATH"),
    {.name = "app-listen",
     .env = "HTTP_COUNTER_APP_LISTEN",
     .def = "127.0.0.1:8080",
     .help = "Address of the web application.",
     .string = &app_listen,
     .check = ex_check_listen_address},
    EX_FLAG_LOG_LEVEL(&log_level, "HTTP_COUNTER_LOG_LEVEL"),
    EX_FLAG_LOG_FORMAT(&log_format, "HTTP_COUNTER_LOG_FORMAT"),
    EX_FLAG_WEB_CONFIG_FILE(&web_config_file, "HTTP_COUNTER_WEB_CONFIG_FILE"),
    {0},
};

static const ex_cli cli = {
    .version = VERSION,
    .summary = "A web application on --app-listen that counts its requests by status code.",
    .flags = flags,
};

static promc_counter *ok_requests, *missing_requests;

static const char hello[] = "<b> Hello World !</b>";
static const char not_found[] = "<b> Not Found</b>";

static void app(void *userdata, const promc_http_request *req, promc_http_response *r)
{
    (void)userdata;
    if (strcmp(promc_http_request_method(req), "GET") != 0) {
        r->status = 501;
        r->body = "Not Implemented\n";
        r->body_len = strlen(r->body);
        return;
    }
    bool root = strcmp(promc_http_request_path(req), "/") == 0;
    r->status = root ? 200 : 404;
    r->content_type = "text/html; charset=utf-8";
    r->body = root ? hello : not_found;
    r->body_len = root ? sizeof hello - 1 : sizeof not_found - 1;
}

/* Counted once the answer went out, as the original counts after replying. */
static void sent(void *userdata, const char *method, const char *path, const promc_http_response *r,
                 int written_ok)
{
    (void)userdata;
    (void)path;
    if (!written_ok || strcmp(method, "GET") != 0)
        return;
    if (r->status == 200)
        promc_counter_inc(ok_requests);
    else if (r->status == 404)
        promc_counter_inc(missing_requests);
}

int main(int argc, char **argv)
{
    ex_flags_parse(&cli, argc, argv);
    if (ex_exporter_start(&cli, "http_counter", log_level, log_format, web_config_file) != 0)
        return 1;
    ex_signals_install();

    struct utsname u;
    const char *instance = uname(&u) == 0 ? u.nodename : "unknown";
    /* The host name is the same on every series: a constant label. */
    promc_metric_opts opts = {.const_labels = &(promc_label){"instance", instance},
                              .nconst_labels = 1};
    promc_counter_vec *requests = promc_counter_vec_new(NULL, "http_requests", "HTTP request",
                                                        PROMC_LABELS("status_code"), &opts);
    if (!requests)
        return ex_metric_failed("http_requests");
    /* Both children exist from the start, so rate() works from the first
     * scrape (the original created them on first use). */
    ok_requests = promc_counter_vec_labels(requests, "200");
    if (!ok_requests)
        return ex_metric_failed("http_requests{status_code=\"200\"}");
    missing_requests = promc_counter_vec_labels(requests, "404");
    if (!missing_requests)
        return ex_metric_failed("http_requests{status_code=\"404\"}");

    promc_http_server *metrics = ex_serve_metrics(listen_address, telemetry_path);
    if (!metrics)
        return 1;
    /* The application itself: no metrics endpoint of its own. */
    promc_http_opts app_opts = {.disable_metrics = 1,
                                .request_handler = app,
                                .on_sent = sent,
                                .workers = 4,
                                .idle_timeout = 5};
    promc_http_server *web = promc_http_server_new(NULL, app_listen, &app_opts);
    if (!web) {
        ex_log(EX_LOG_ERROR, "web application: %s", promc_last_error());
        promc_http_server_free(metrics);
        return 1;
    }
    ex_log(EX_LOG_INFO, "web application on %s (port %d), metrics on %s%s (port %d)", app_listen,
           promc_http_server_port(web), listen_address, telemetry_path,
           promc_http_server_port(metrics));

    while (!ex_should_stop())
        ex_sleep_interruptible(3600);

    ex_log(EX_LOG_INFO, "stopping on signal %d", ex_stop_signal());
    promc_http_server_free(web);
    promc_http_server_free(metrics);
    promc_counter_vec_free(requests);
    ex_exporter_stop();
    promc_shutdown();
    return 0;
}
