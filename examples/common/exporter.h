/*
 * What every exporter does at start beside its own work, the same way in
 * each: log level and format, a version line, the <name>_build_info gauge,
 * the web configuration (--web.config.file) and the index page that the
 * metrics server (serve.h) then uses.
 */
#ifndef EX_EXPORTER_H
#define EX_EXPORTER_H

#include "promc_http.h"

#include "cli.h"

/* The revision the exporters were built from (the Makefile passes
 * `git rev-parse --short=12 HEAD`), or "unknown". */
const char *ex_build_revision(void);
/* The compiler that built them, e.g. "gcc 12.2.0" (Go's goversion). */
const char *ex_build_compiler(void);

/* Call once after ex_flags_parse, before serving: sets the log level and
 * format from the flags' values, logs "starting <name> <version> (revision
 * R, compiler C, promc P)", registers the gauge <name>_build_info{version,
 * revision, compiler} 1 in the default registry, and loads web_config_file
 * (NULL or "": none). A configuration that cannot be read, is invalid or
 * has a tls_server_config section ends the program through ex_flags_fail
 * (the reason on stderr, exit 2). Returns 0, or 1 (logged) when the gauge
 * cannot be created. name is the program's, a valid metric name prefix
 * ("jenkins_exporter"); the version is cli->version. */
int ex_exporter_start(const ex_cli *cli, const char *name, const char *log_level,
                      const char *log_format, const char *web_config_file);

/* Adds to opts what ex_exporter_start set up: the index page (name,
 * cli->summary, version), and with a web configuration its Basic
 * authentication check and response headers. opts must not be used after
 * ex_exporter_stop. Without ex_exporter_start, leaves opts alone. */
void ex_exporter_web_opts(promc_http_opts *opts);

/* Frees what ex_exporter_start made (after the metrics server is freed). */
void ex_exporter_stop(void);

#endif /* EX_EXPORTER_H */
