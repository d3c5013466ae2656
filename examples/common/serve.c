/*
 * The exporters' metrics endpoint, started the same way everywhere so a bind
 * failure reads the same in every program's log.
 */
#include "serve.h"

#include "exporter.h"
#include "log.h"
#include "systemd.h"

bool ex_web_systemd_socket;

/* The server on the socket systemd passed, which must be exactly one. */
static promc_http_server *serve_systemd_socket(const promc_http_opts *opts)
{
    const char *why = NULL;
    int n = ex_systemd_listen_fds(&why);
    if (n < 0) {
        ex_log(EX_LOG_ERROR, "metrics server: --web.systemd-socket: %s", why);
        return NULL;
    }
    if (n != 1) {
        ex_log(EX_LOG_ERROR,
               "metrics server: --web.systemd-socket: systemd passed %d sockets, want 1 (%s)", n,
               n == 0 ? "LISTEN_FDS and LISTEN_PID unset or meant for another process: start "
                        "it from a .socket unit or with systemd-socket-activate"
                      : "give the .socket unit a single ListenStream=");
        return NULL;
    }
    promc_http_server *s = promc_http_server_new_fd(NULL, EX_SYSTEMD_FIRST_FD, opts);
    if (!s)
        ex_log(EX_LOG_ERROR, "metrics server: %s", promc_last_error());
    else
        ex_log(EX_LOG_INFO,
               "serving on the socket systemd passed (port %d); --web.listen-address is not used",
               promc_http_server_port(s));
    return s;
}

promc_http_server *ex_serve_metrics_within(const char *listen_address, const char *telemetry_path,
                                           double max_scrape_timeout)
{
    promc_http_opts opts = {.metrics_path = telemetry_path,
                            .max_scrape_timeout = max_scrape_timeout};
    ex_exporter_web_opts(&opts); /* index page, web configuration */
    if (ex_web_systemd_socket)
        return serve_systemd_socket(&opts);
    promc_http_server *s = promc_http_server_new(NULL, listen_address, &opts);
    if (!s)
        ex_log(EX_LOG_ERROR, "metrics server: %s", promc_last_error());
    return s;
}

promc_http_server *ex_serve_metrics(const char *listen_address, const char *telemetry_path)
{
    return ex_serve_metrics_within(listen_address, telemetry_path, 0);
}
