/*
 * --web.config.file: the web configuration file of Prometheus' exporter
 * toolkit, the part that makes sense without TLS -- basic_auth_users
 * (bcrypt hashes, as `htpasswd -nbB user password` writes them) and
 * http_server_config.headers. Everything else is refused with a reason,
 * never ignored: tls_server_config (promc has no TLS), http2, rate_limit,
 * unknown keys, and the YAML this small reader does not understand.
 */
#ifndef EX_WEBCONFIG_H
#define EX_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ex_web_config ex_web_config;

/* Files larger than this are refused (a web configuration is a few lines). */
#define EX_WEB_CONFIG_MAX_BYTES (1024 * 1024)

/* Parses a configuration from text[0..len) (NUL bytes refused). Returns it,
 * or NULL with the reason in why (at most cap bytes, "line N: ..." where a
 * line is at fault); *tls (if not NULL) is set when the reason is a
 * tls_server_config section. name is used in messages (the file's path). */
ex_web_config *ex_web_config_parse(const char *name, const char *text, size_t len, char *why,
                                   size_t cap, bool *tls);
/* Reads and parses the file at path (errors as ex_web_config_parse, and
 * the file's own: missing, unreadable, too large). */
ex_web_config *ex_web_config_load(const char *path, char *why, size_t cap, bool *tls);
/* Frees it; NULL is a no-op. */
void ex_web_config_free(ex_web_config *c);

/* Number of basic_auth_users: 0 means no authentication. */
size_t ex_web_config_users(const ex_web_config *c);
/* The configured response headers as "Name: value" lines, NULL-terminated
 * (an empty list when none); owned by c. */
const char *const *ex_web_config_headers(const ex_web_config *c);

/* Whether user and password are right, as a promc_http_basic_auth_fn
 * (config is the ex_web_config): the password checked against the user's
 * bcrypt hash with crypt(3), the result compared in constant time. An
 * unknown user costs a bcrypt check too (against the first user's hash), so
 * its answer takes as long as a wrong password. A success is remembered as
 * a salted SHA-256-crypt hash of the password (never the password itself),
 * so the next request with the same credentials costs about a millisecond
 * instead of a bcrypt check; failures are never remembered. bcrypt checks
 * run one at a time, as exporter-toolkit runs them, so a flood of wrong
 * passwords uses one core at most. Thread-safe. */
int ex_web_config_check(void *config, const char *user, const char *password);

#endif /* EX_WEBCONFIG_H */
