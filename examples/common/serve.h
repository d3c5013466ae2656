/*
 * The metrics endpoint every exporter serves: the default registry (its
 * metrics plus process_*) on --web.listen-address and --web.telemetry-path.
 */
#ifndef EX_SERVE_H
#define EX_SERVE_H

#include "promc_http.h"

/* Starts serving; on failure logs "metrics server: <reason>" and returns
 * NULL (the caller exits 1). */
promc_http_server *ex_serve_metrics(const char *listen_address, const char *telemetry_path);
/* The same, for an exporter whose collection may take longer than the
 * server's default deadline (10 s) when Prometheus sends no scrape timeout:
 * a scrape then waits for custom collectors max_scrape_timeout seconds. */
promc_http_server *ex_serve_metrics_within(const char *listen_address, const char *telemetry_path,
                                           double max_scrape_timeout);

#endif /* EX_SERVE_H */
