/*
 * The metrics endpoint every exporter serves: the default registry (its
 * metrics plus process_*) on --web.listen-address and --web.telemetry-path.
 */
#ifndef EX_SERVE_H
#define EX_SERVE_H

#include <stdbool.h>

#include "promc_http.h"

/* --web.systemd-socket: serve on the socket systemd passes (socket
 * activation, see systemd.h) instead of binding --web.listen-address. Set
 * by the flag below, read by ex_serve_metrics. */
extern bool ex_web_systemd_socket;
#define EX_FLAG_SYSTEMD_SOCKET(env_name)                                                           \
    {                                                                                              \
        .name = "web.systemd-socket", .env = (env_name), .def = "false",                           \
        .help = "Use the listening socket systemd passes (socket activation) instead of "          \
                "--web.listen-address.",                                                           \
        .boolean = &ex_web_systemd_socket                                                          \
    }

/* Starts serving, on listen_address or, with --web.systemd-socket, on the
 * one socket systemd passed; on failure logs "metrics server: <reason>" and
 * returns NULL (the caller exits 1). */
promc_http_server *ex_serve_metrics(const char *listen_address, const char *telemetry_path);
/* The same, for an exporter whose collection may take longer than the
 * server's default deadline (10 s) when Prometheus sends no scrape timeout:
 * a scrape then waits for custom collectors max_scrape_timeout seconds. */
promc_http_server *ex_serve_metrics_within(const char *listen_address, const char *telemetry_path,
                                           double max_scrape_timeout);

#endif /* EX_SERVE_H */
