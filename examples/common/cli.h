/*
 * Command-line flags with environment-variable fallbacks for the example
 * exporters, from one table per program that also yields --help. Plus the
 * value parsers the exporters share (durations, booleans, listen
 * addresses). Includes log.h, signals.h and rfc3339.h for convenience.
 */
#ifndef EX_CLI_H
#define EX_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "log.h"
#include "rfc3339.h"
#include "signals.h"

/* ===================================================================== */
/* Flag tables                                                            */
/* ===================================================================== */

/* Where a flag's value came from; set by the parser. */
typedef enum ex_flag_source {
    EX_FLAG_FROM_DEFAULT = 0,
    EX_FLAG_FROM_ENV,
    EX_FLAG_FROM_ARG
} ex_flag_source;

/* One option. Exactly one of the storage pointers is set, and it decides
 * the type; use designated initializers:
 *
 *     static const char *url;
 *     static double interval;
 *     static ex_flag flags[] = {
 *         {.name = "jenkins.url", .env = "JENKINS_URL", .def = "http://localhost:8080",
 *          .help = "Base URL of Jenkins.", .string = &url},
 *         {.name = "interval", .def = "15s", .help = "Time between polls.",
 *          .duration = &interval, .min = 0.001, .max = 86400},
 *         {0},
 *     };
 */
typedef struct ex_flag {
    const char *name;  /* long name without "--", e.g. "web.listen-address" */
    const char *alias; /* another long name or NULL, e.g. "listen" */
    /* Environment variable(s) or NULL: "JENKINS_TOKEN,JENKINS_PASSWORD" --
     * the first one set to a non-empty value is used (empty = unset). */
    const char *env;
    /* Default, written as on the command line ("15s", "true", ":9000");
     * NULL: a NULL string, false, 0. */
    const char *def;
    const char *help;    /* one sentence for --help */
    const char *metavar; /* placeholder in --help; NULL: from the type */

    /* Storage; exactly one is set. Strings point into argv, the
     * environment or def (no copy: do not unset the variable later). */
    const char **string;
    bool *boolean;      /* --x, --no-x, --x=true|false|1|0|yes|no|on|off */
    long long *integer; /* decimal */
    double *duration;   /* seconds: "0.5", "15", "500ms", "1m30s", "2h" */
    double *number;     /* decimal floating point, finite */

    /* Accepted range of integer, duration and number values, both ends
     * included; only checked when min < max. */
    double min, max;
    /* Further check of a string value: NULL if fine, else why not (e.g.
     * ex_check_listen_address, ex_log_check_level). */
    const char *(*check)(const char *value);

    ex_flag_source source; /* out: where the value came from */
} ex_flag;

typedef struct ex_cli {
    const char *program;    /* NULL: the last component of argv[0] */
    const char *version;    /* of the program, for --version */
    const char *summary;    /* one line under "Usage:" in --help, or NULL */
    ex_flag *flags;         /* terminated by an entry with name == NULL */
    int max_args;           /* positional arguments allowed (default 0) */
    const char *args_usage; /* for --help when max_args > 0, e.g. "[PCT]" */
    FILE *out;              /* --help and --version; NULL: stdout */
    FILE *err;              /* error messages; NULL: stderr */
} ex_cli;

/* Parses argv: "--name=value", "--name value", "--bool", "--no-bool", flags
 * and positional arguments in any order, "--" ends the flags. A flag on the
 * command line wins over its environment variable, which wins over the
 * default; given twice, the last one counts. Then "--help"/"-h" prints the
 * usage built from the table and "--version" prints
 * "<program> <version> (promc <PROMC_VERSION_STRING>)", both exit 0, as do
 * the hidden "--help-man" and "--help-env" (see ex_flags_man). An
 * unknown flag, a missing or invalid value (from argv or the environment)
 * or too many positional arguments prints one line on stderr and exits 2.
 * Returns the number of positional arguments, moved to argv[1..n] in order
 * (argv itself is reordered; the strings are not copied). */
int ex_flags_parse(const ex_cli *cli, int argc, char **argv);

#define EX_FLAGS_EXIT  (-1) /* --help or --version was printed */
#define EX_FLAGS_ERROR (-2) /* an error was printed */
/* ex_flags_parse without exiting: the positional count, EX_FLAGS_EXIT or
 * EX_FLAGS_ERROR (for tests and programs that clean up first). */
int ex_flags_try_parse(const ex_cli *cli, int argc, char **argv);

/* Writes the --help text to f. program NULL: cli->program, else the name
 * found by the last parse. */
void ex_flags_usage(const ex_cli *cli, const char *program, FILE *f);

/* Writes the program's man page (roff, section 1) to f, from the same table
 * as --help: name and summary, synopsis, every flag with its environment
 * variables and default, the variables, the exit codes. The hidden flag
 * --help-man prints it (as Prometheus' Go exporters print theirs) and
 * exits 0. program NULL: cli->program, else "program". (manpage.c) */
void ex_flags_man(const ex_cli *cli, const char *program, FILE *f);

/* Writes an environment file for the program's systemd unit to f, as
 * Debian's /etc/default/prometheus-*-exporter files are: ARGS="" for extra
 * flags, then every environment variable commented out with its default and
 * help. The hidden flag --help-env prints it and exits 0. (manpage.c) */
void ex_flags_env_file(const ex_cli *cli, const char *program, FILE *f);

/* For errors found after parsing (a required flag missing, flags that
 * conflict): prints "<program>: <message> (see --help)" on stderr and
 * exits 2. */
__attribute__((format(printf, 2, 3), noreturn)) void ex_flags_fail(const ex_cli *cli,
                                                                   const char *fmt, ...);

/* The usual --log.level flag with its environment variable (e.g.
 * "JENKINS_LOG_LEVEL"): ".string = ptr", default "info", checked. After
 * parsing: ex_log_set_level_name(value). */
#define EX_FLAG_LOG_LEVEL(ptr, env_name)                                                           \
    {                                                                                              \
        .name = "log.level", .env = (env_name), .def = "info", .metavar = "LEVEL",                 \
        .help = "Only log messages at or above this level: debug, info, warn, error.",             \
        .string = (ptr), .check = ex_log_check_level                                               \
    }

/* The listen flags every exporter has: --web.listen-address (alias
 * --listen, checked) and --web.telemetry-path (must start with '/'). */
#define EX_FLAG_LISTEN_ADDRESS(ptr, env_name, default_address)                                     \
    {                                                                                              \
        .name = "web.listen-address", .alias = "listen", .env = (env_name),                        \
        .def = (default_address), .help = "Address to expose metrics on.", .string = (ptr),        \
        .check = ex_check_listen_address                                                           \
    }
#define EX_FLAG_TELEMETRY_PATH(ptr, env_name)                                                      \
    {                                                                                              \
        .name = "web.telemetry-path", .env = (env_name), .def = "/metrics",                        \
        .help = "Path under which to expose metrics.", .string = (ptr),                            \
        .check = ex_check_telemetry_path                                                           \
    }

/* The web and log flags every exporter shares beyond the listen ones (see
 * exporter.h, which acts on them): --web.config.file (exporter-toolkit's
 * web configuration; webconfig.h) and --log.format (logfmt or json). */
#define EX_FLAG_WEB_CONFIG_FILE(ptr, env_name)                                                     \
    {                                                                                              \
        .name = "web.config.file", .env = (env_name), .metavar = "FILE",                           \
        .help = "Web configuration file (basic_auth_users, http_server_config.headers), as "       \
                "exporter-toolkit reads it.",                                                      \
        .string = (ptr)                                                                            \
    }
#define EX_FLAG_LOG_FORMAT(ptr, env_name)                                                          \
    {                                                                                              \
        .name = "log.format", .env = (env_name), .def = "logfmt", .metavar = "FORMAT",             \
        .help = "Log line format: logfmt or json.", .string = (ptr), .check = ex_log_check_format  \
    }

/* ===================================================================== */
/* Value parsers                                                          */
/* ===================================================================== */

/* A duration in seconds: a plain non-negative decimal ("15", "0.5") or
 * Go-style number+unit terms ("500ms", "1.5s", "1m", "1h30m", "100us",
 * "100µs", "10ns"; units ns us µs ms s m h). No sign, no spaces, no unit
 * without a number. 0 and *seconds set, or -1. */
int ex_parse_duration(const char *s, double *seconds);

/* true/false, 1/0, yes/no, on/off (any case). 0 and *out set, or -1. */
int ex_parse_bool(const char *s, bool *out);

typedef struct ex_listen_address {
    char host[256]; /* "" for all interfaces; IPv6 without brackets */
    unsigned port;  /* 0-65535; 0 = any free port */
    bool ipv6;      /* host was given in brackets */
} ex_listen_address;

/* Validates a listen address as --web.listen-address takes it:
 * "host:port", ":port" (all interfaces) or "[v6addr]:port" (an optional
 * "%zone" allowed). Hosts are names or IPv4 addresses; an unbracketed IPv6
 * address is refused (which colon is the port's?). Returns 0 and fills *out
 * (if not NULL), or -1 and sets *why (if not NULL) to a static message. */
int ex_parse_listen_address(const char *addr, ex_listen_address *out, const char **why);

/* For ex_flag.check: NULL when value is a valid listen address. */
const char *ex_check_listen_address(const char *value);

/* For ex_flag.check: NULL when value is an HTTP path ("/metrics"). */
const char *ex_check_telemetry_path(const char *value);

#endif /* EX_CLI_H */
