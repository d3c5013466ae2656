/*
 * The exporters' metrics endpoint, started the same way everywhere so a bind
 * failure reads the same in every program's log.
 */
#include "serve.h"

#include "log.h"

promc_http_server *ex_serve_metrics(const char *listen_address, const char *telemetry_path)
{
    promc_http_server *s = promc_http_server_new(
        NULL, listen_address, &(promc_http_opts){.metrics_path = telemetry_path});
    if (!s)
        ex_log(EX_LOG_ERROR, "metrics server: %s", promc_last_error());
    return s;
}
