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

#endif /* EX_SERVE_H */
