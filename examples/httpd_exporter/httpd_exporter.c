/*
 * httpd_exporter: follows an Apache/nginx access log (Common or Combined Log
 * Format) and counts requests by status code and bytes sent; lines in other
 * formats are counted as unparsed. Survives a missing file, rotation and
 * truncation. Reimplements a classic Python log-tailing exporter.
 */
#include <stdio.h>
#include <string.h>

#include "promc_http.h"

#include "cli.h"
#include "exporter.h"
#include "create.h"
#include "serve.h"
#include "logline.h"
#include "tail.h"

#define VERSION "1.0.0"

static const char *listen_address, *telemetry_path, *log_file, *log_level;
static const char *log_format, *web_config_file;
static bool from_start;
static double poll_interval;

static const char *check_log_file(const char *value)
{
    return value && value[0] ? NULL : "must not be empty";
}

static ex_flag flags[] = {
    EX_FLAG_LISTEN_ADDRESS(&listen_address, "HTTPD_WEB_LISTEN_ADDRESS", ":9863"),
    EX_FLAG_SYSTEMD_SOCKET("HTTPD_WEB_SYSTEMD_SOCKET"),
    EX_FLAG_TELEMETRY_PATH(&telemetry_path, "HTTPD_WEB_TELEMETRY_PATH"),
    {.name = "log-file",
     .env = "HTTPD_LOG_FILE",
     .def = "/var/log/apache2/access.log",
     .metavar = "PATH",
     .help = "Access log to follow (Common or Combined Log Format).",
     .string = &log_file,
     .check = check_log_file},
    {.name = "from-start",
     .env = "HTTPD_FROM_START",
     .def = "false",
     .help = "Count the lines already in the file at startup instead of starting at its end.",
     .boolean = &from_start},
    {.name = "poll-interval",
     .env = "HTTPD_POLL_INTERVAL",
     .def = "0.5s",
     .help = "How often to check the file for new lines, rotation and truncation.",
     .duration = &poll_interval,
     .min = 0.001,
     .max = 3600},
    EX_FLAG_LOG_LEVEL(&log_level, "HTTPD_LOG_LEVEL"),
    EX_FLAG_LOG_FORMAT(&log_format, "HTTPD_LOG_FORMAT"),
    EX_FLAG_WEB_CONFIG_FILE(&web_config_file, "HTTPD_WEB_CONFIG_FILE"),
    {0},
};

static const ex_cli cli = {
    .version = VERSION,
    .summary = "Counts the requests in an Apache/nginx access log by status code, and bytes sent.",
    .flags = flags,
};

typedef struct counters {
    promc_counter_vec *requests;
    promc_counter *bytes, *unparsed;
    promc_counter *by_status[1000]; /* children of requests, created on first use */
    bool child_failed;              /* logged once */
} counters;

static void on_line(void *userdata, const char *line, size_t len)
{
    counters *c = userdata;
    /* Blank lines carry no request; they are neither counted nor unparsed. */
    if (len == 0 || (len == 1 && line[0] == '\r'))
        return;
    httpd_logline l;
    if (!httpd_logline_parse(line, len, &l)) {
        promc_counter_inc(c->unparsed);
        if (ex_log_enabled(EX_LOG_DEBUG))
            ex_log(EX_LOG_DEBUG, "unparsed line: %.*s", len > 200 ? 200 : (int)len, line);
        return;
    }
    int code = (l.status[0] - '0') * 100 + (l.status[1] - '0') * 10 + (l.status[2] - '0');
    if (!c->by_status[code]) {
        c->by_status[code] = promc_counter_vec_labels(c->requests, l.status);
        if (!c->by_status[code] && !c->child_failed) {
            c->child_failed = true;
            ex_log(EX_LOG_ERROR, "cannot count status %s: %s", l.status, promc_last_error());
        }
    }
    promc_counter_inc(c->by_status[code]);
    if (l.has_bytes)
        promc_counter_add_int(c->bytes, l.bytes);
}

static void on_too_long(void *userdata)
{
    counters *c = userdata;
    promc_counter_inc(c->unparsed);
    ex_log(EX_LOG_DEBUG, "skipping a line longer than %d bytes", HTTPD_TAIL_MAX_LINE);
}

/* Creates the metrics; 0, or 1 with the failure logged (the caller frees
 * those created). */
static int create_metrics(counters *c, promc_gauge **up)
{
    c->requests = promc_counter_vec_new(NULL, "httpd_requests", "http request",
                                        PROMC_LABELS("status_code"), NULL);
    if (!c->requests)
        return ex_metric_failed("httpd_requests");
    c->bytes = promc_counter_new(NULL, "httpd_bytes_sent", "Total bytes sent by httpd", NULL);
    if (!c->bytes)
        return ex_metric_failed("httpd_bytes_sent");
    c->unparsed =
        promc_counter_new(NULL, "httpd_lines_unparsed_total",
                          "Log lines that were not in Common or Combined Log Format.", NULL);
    if (!c->unparsed)
        return ex_metric_failed("httpd_lines_unparsed_total");
    *up = promc_gauge_new(
        NULL, "httpd_log_file_up",
        "Whether the log file is open and being read (0 while it is missing or unreadable).", NULL);
    if (!*up)
        return ex_metric_failed("httpd_log_file_up");
    return 0;
}

int main(int argc, char **argv)
{
    ex_flags_parse(&cli, argc, argv);
    if (ex_exporter_start(&cli, "httpd_exporter", log_level, log_format, web_config_file) != 0)
        return 1;
    ex_signals_install();

    static counters c;
    promc_gauge *up = NULL;
    httpd_tail tail;
    int rc = 1;
    if (create_metrics(&c, &up) != 0)
        goto free_metrics;
    if (httpd_tail_init(&tail, log_file, from_start, on_line, on_too_long, &c) != 0) {
        ex_log(EX_LOG_ERROR, "out of memory");
        goto free_tail;
    }

    promc_http_server *metrics = ex_serve_metrics(listen_address, telemetry_path);
    if (!metrics)
        goto free_tail;
    ex_log(EX_LOG_INFO, "reading %s every %gs, metrics on %s%s (port %d)", log_file, poll_interval,
           listen_address, telemetry_path, promc_http_server_port(metrics));

    while (!ex_should_stop()) {
        httpd_tail_poll(&tail);
        promc_gauge_set(up, httpd_tail_is_open(&tail) ? 1 : 0);
        ex_sleep_interruptible(poll_interval);
    }

    ex_log(EX_LOG_INFO, "stopping on signal %d", ex_stop_signal());
    promc_http_server_free(metrics);
    rc = 0;
free_tail:
    httpd_tail_close(&tail);
free_metrics:
    promc_counter_vec_free(c.requests);
    promc_counter_free(c.bytes);
    promc_counter_free(c.unparsed);
    promc_gauge_free(up);
    ex_exporter_stop();
    promc_shutdown();
    return rc;
}
