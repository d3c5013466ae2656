/*
 * The exporters' metrics endpoint, started the same way everywhere so a bind
 * failure reads the same in every program's log.
 */
#include "serve.h"

#include "exporter.h"
#include "log.h"

promc_http_server *ex_serve_metrics_within(const char *listen_address, const char *telemetry_path,
                                           double max_scrape_timeout)
{
    promc_http_opts opts = {.metrics_path = telemetry_path,
                            .max_scrape_timeout = max_scrape_timeout};
    ex_exporter_web_opts(&opts); /* index page, web configuration */
    promc_http_server *s = promc_http_server_new(NULL, listen_address, &opts);
    if (!s)
        ex_log(EX_LOG_ERROR, "metrics server: %s", promc_last_error());
    return s;
}

promc_http_server *ex_serve_metrics(const char *listen_address, const char *telemetry_path)
{
    return ex_serve_metrics_within(listen_address, telemetry_path, 0);
}
