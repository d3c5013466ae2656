/*
 * The flag parser behind cli.h: command line first, then the environment
 * for flags not given, then defaults, each value checked as it is stored.
 * Also the shared value parsers (durations, booleans, listen addresses) and
 * the --help text generated from the table.
 */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "promc.h"

enum flag_type { T_INVALID, T_STRING, T_BOOL, T_INT, T_DURATION, T_NUMBER };

/* The program name of the last parse, for ex_flags_fail. */
static const char *last_program = "program";

static enum flag_type type_of(const ex_flag *f)
{
    int set = (f->string != NULL) + (f->boolean != NULL) + (f->integer != NULL) +
              (f->duration != NULL) + (f->number != NULL);
    if (set != 1)
        return T_INVALID;
    if (f->string)
        return T_STRING;
    if (f->boolean)
        return T_BOOL;
    if (f->integer)
        return T_INT;
    return f->duration ? T_DURATION : T_NUMBER;
}

static const char *program_name(const ex_cli *cli, int argc, char **argv)
{
    if (cli->program)
        return cli->program;
    if (argc > 0 && argv[0] && argv[0][0]) {
        const char *slash = strrchr(argv[0], '/');
        return slash ? slash + 1 : argv[0];
    }
    return "program";
}

static FILE *out_stream(const ex_cli *cli)
{
    return cli->out ? cli->out : stdout;
}

static FILE *err_stream(const ex_cli *cli)
{
    return cli->err ? cli->err : stderr;
}

/* ------------------------------------------------------------------ */
/* Value parsers                                                       */
/* ------------------------------------------------------------------ */

int ex_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};
    if (!s)
        return -1;
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
            if (out)
                *out = strcasecmp(s, yes[i]) == 0;
            return 0;
        }
    }
    return -1;
}

/* s[0..n) as a non-negative decimal "12", "1.5", ".5", "1." (at least one
 * digit, at most one point). */
static int parse_decimal(const char *s, size_t n, double *out)
{
    char buf[64];
    size_t ndigits = 0, npoints = 0;
    if (n == 0 || n >= sizeof buf)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.')
            npoints++;
        else if (s[i] >= '0' && s[i] <= '9')
            ndigits++;
        else
            return -1;
    }
    if (ndigits == 0 || npoints > 1)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    *out = strtod(buf, NULL);
    return 0;
}

int ex_parse_duration(const char *s, double *seconds)
{
    /* Sub-second units divide, so that "100us" is exactly the double 1e-4. */
    static const struct {
        const char *unit;
        double mul, div;
    } units[] = {
        /* clang-format off */
        /* "ms" before "m", so that the longest unit matches. */
        {"ns", 1, 1e9},
        {"us", 1, 1e6},
        {"\xc2\xb5s", 1, 1e6}, /* U+00B5 micro sign */
        {"\xce\xbcs", 1, 1e6}, /* U+03BC Greek small mu */
        {"ms", 1, 1e3},
        {"s", 1, 1},
        {"m", 60, 1},
        {"h", 3600, 1},
        /* clang-format on */
    };
    if (!s || !*s)
        return -1;
    const char *digits = "0123456789.";
    size_t n = strspn(s, digits);
    double total = 0;
    if (s[n] == '\0') { /* plain seconds */
        if (parse_decimal(s, n, &total) != 0)
            return -1;
    } else {
        const char *p = s;
        while (*p) {
            double v;
            n = strspn(p, digits);
            if (parse_decimal(p, n, &v) != 0)
                return -1;
            p += n;
            size_t u = 0, count = sizeof units / sizeof units[0];
            while (u < count && strncmp(p, units[u].unit, strlen(units[u].unit)) != 0)
                u++;
            if (u == count)
                return -1;
            p += strlen(units[u].unit);
            total += v * units[u].mul / units[u].div;
        }
    }
    if (!isfinite(total))
        return -1;
    if (seconds)
        *seconds = total;
    return 0;
}

static int parse_integer(const char *s, long long *out)
{
    if (!s || !((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+'))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* A finite decimal number; no hex, "inf" or "nan", no spaces. */
static int parse_number(const char *s, double *out)
{
    if (!s || !*s || s[strspn(s, "0123456789+-.eE")] != '\0')
        return -1;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int valid_hostname(const char *h, size_t n)
{
    if (n > 253)
        return 0;
    size_t label = 0, only_digits_dots = 1;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (c == '.') {
            if (label == 0)
                return 0;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
        if (!(c >= '0' && c <= '9'))
            only_digits_dots = 0;
        if (++label > 63)
            return 0;
    }
    if (label == 0)
        return 0;
    if (only_digits_dots) { /* it claims to be an IPv4 address: check it */
        char buf[16];
        unsigned char addr[4];
        if (n >= sizeof buf)
            return 0;
        memcpy(buf, h, n);
        buf[n] = '\0';
        return inet_pton(AF_INET, buf, addr) == 1;
    }
    return 1;
}

static int valid_ipv6(const char *h, size_t n)
{
    char buf[64];
    unsigned char addr[16];
    const char *zone = memchr(h, '%', n);
    size_t alen = zone ? (size_t)(zone - h) : n;
    if (alen == 0 || alen >= sizeof buf)
        return 0;
    if (zone) {
        size_t zlen = n - alen - 1;
        if (zlen == 0)
            return 0;
        for (size_t i = 0; i < zlen; i++) {
            char c = zone[1 + i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.'))
                return 0;
        }
    }
    memcpy(buf, h, alen);
    buf[alen] = '\0';
    return inet_pton(AF_INET6, buf, addr) == 1;
}

static int fail_why(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return -1;
}

int ex_parse_listen_address(const char *addr, ex_listen_address *out, const char **why)
{
    if (!addr || !*addr)
        return fail_why(why, "empty address (expected host:port or :port)");
    const char *host, *port;
    size_t hostlen;
    bool ipv6 = addr[0] == '[';
    if (ipv6) {
        const char *close = strchr(addr, ']');
        if (!close)
            return fail_why(why, "missing ']' after the IPv6 address");
        host = addr + 1;
        hostlen = (size_t)(close - host);
        if (close[1] != ':')
            return fail_why(why, "expected ':port' after ']'");
        port = close + 2;
        if (!valid_ipv6(host, hostlen))
            return fail_why(why, "invalid IPv6 address in brackets");
    } else {
        const char *colon = strrchr(addr, ':');
        if (!colon)
            return fail_why(why, "missing ':port' (e.g. :9000 or 127.0.0.1:9000)");
        host = addr;
        hostlen = (size_t)(colon - addr);
        port = colon + 1;
        if (memchr(host, ':', hostlen))
            return fail_why(why, "an IPv6 address needs brackets, e.g. [::1]:9000");
        if (hostlen > 0 && !valid_hostname(host, hostlen))
            return fail_why(why, "invalid host name or IPv4 address");
    }
    size_t plen = strlen(port);
    if (plen == 0)
        return fail_why(why, "missing port number");
    if (plen > 5 || strspn(port, "0123456789") != plen || atol(port) > 65535)
        return fail_why(why, "invalid port (expected 0-65535)");
    if (hostlen >= sizeof out->host)
        return fail_why(why, "host part too long");
    if (out) {
        memcpy(out->host, host, hostlen);
        out->host[hostlen] = '\0';
        out->port = (unsigned)atol(port);
        out->ipv6 = ipv6;
    }
    return 0;
}

const char *ex_check_listen_address(const char *value)
{
    const char *why = NULL;
    return ex_parse_listen_address(value, NULL, &why) == 0 ? NULL : why;
}

/* ------------------------------------------------------------------ */
/* Storing values                                                      */
/* ------------------------------------------------------------------ */

/* Stores value into f's storage; NULL, or why it is invalid (in why_buf
 * or static). */
static const char *assign(ex_flag *f, const char *value, char *why_buf, size_t why_cap)
{
    double d = 0;
    long long ll = 0;
    enum flag_type t = type_of(f);
    switch (t) {
    case T_STRING:
        if (f->check) {
            const char *why = f->check(value);
            if (why)
                return why;
        }
        *f->string = value;
        return NULL;
    case T_BOOL:
        if (ex_parse_bool(value, f->boolean) != 0)
            return "not a boolean (true or false)";
        return NULL;
    case T_INT:
        if (parse_integer(value, &ll) != 0)
            return "not an integer";
        d = (double)ll;
        break;
    case T_DURATION:
        if (ex_parse_duration(value, &d) != 0)
            return "not a duration (e.g. 15s, 500ms, 1m30s, 0.5)";
        break;
    case T_NUMBER:
        if (parse_number(value, &d) != 0)
            return "not a number";
        break;
    case T_INVALID:
        return "flag table entry needs exactly one storage pointer";
    }
    if (f->min < f->max && (d < f->min || d > f->max)) {
        snprintf(why_buf, why_cap, "out of range (%g to %g%s)", f->min, f->max,
                 t == T_DURATION ? " seconds" : "");
        return why_buf;
    }
    if (t == T_INT)
        *f->integer = ll;
    else if (t == T_DURATION)
        *f->duration = d;
    else
        *f->number = d;
    return NULL;
}

static void zero_value(ex_flag *f)
{
    switch (type_of(f)) {
    case T_STRING:
        *f->string = NULL;
        break;
    case T_BOOL:
        *f->boolean = false;
        break;
    case T_INT:
        *f->integer = 0;
        break;
    case T_DURATION:
        *f->duration = 0;
        break;
    case T_NUMBER:
        *f->number = 0;
        break;
    case T_INVALID:
        break;
    }
}

static ex_flag *find_flag(const ex_cli *cli, const char *name, size_t n)
{
    for (ex_flag *f = cli->flags; f && f->name; f++) {
        if (strlen(f->name) == n && strncmp(f->name, name, n) == 0)
            return f;
        if (f->alias && strlen(f->alias) == n && strncmp(f->alias, name, n) == 0)
            return f;
    }
    return NULL;
}

__attribute__((format(printf, 3, 4))) static int error_line(const ex_cli *cli, const char *prog,
                                                            const char *fmt, ...)
{
    FILE *f = err_stream(cli);
    va_list ap;
    va_start(ap, fmt);
    fprintf(f, "%s: ", prog);
    vfprintf(f, fmt, ap);
    fputs(" (see --help)\n", f);
    fflush(f);
    va_end(ap);
    return EX_FLAGS_ERROR;
}

/* The value of the first variable of the list env ("A,B") that is set and
 * not empty; *name gets its name. */
static const char *lookup_env(const char *env, char *name, size_t cap)
{
    const char *p = env;
    while (p && *p) {
        size_t n = strcspn(p, ", ");
        if (n > 0 && n < cap) {
            memcpy(name, p, n);
            name[n] = '\0';
            const char *v = getenv(name);
            if (v && *v)
                return v;
        }
        p += n;
        p += strspn(p, ", ");
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

int ex_flags_try_parse(const ex_cli *cli, int argc, char **argv)
{
    const char *prog = program_name(cli, argc, argv);
    last_program = prog;
    char why_buf[96];
    for (ex_flag *f = cli->flags; f && f->name; f++) {
        if (type_of(f) == T_INVALID)
            return error_line(cli, prog, "internal error: flag --%s needs exactly one storage",
                              f->name);
        f->source = EX_FLAG_FROM_DEFAULT;
    }

    int npos = 0;
    bool flags_done = false;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        /* Positionals move down; slot 1 + npos <= i was read already. */
        if (flags_done || a[0] != '-' || a[1] == '\0') {
            argv[1 + npos++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            flags_done = true;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            ex_flags_usage(cli, prog, out_stream(cli));
            return EX_FLAGS_EXIT;
        }
        if (strcmp(a, "--help-man") == 0) {
            ex_flags_man(cli, prog, out_stream(cli));
            return EX_FLAGS_EXIT;
        }
        if (strcmp(a, "--help-env") == 0) {
            ex_flags_env_file(cli, prog, out_stream(cli));
            return EX_FLAGS_EXIT;
        }
        if (strcmp(a, "--version") == 0) {
            fprintf(out_stream(cli), "%s %s (promc %s)\n", prog,
                    cli->version ? cli->version : "unknown", PROMC_VERSION_STRING);
            fflush(out_stream(cli));
            return EX_FLAGS_EXIT;
        }
        if (a[1] != '-')
            return error_line(cli, prog, "unknown flag %s (flags start with --)", a);
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        ex_flag *f = find_flag(cli, name, n);
        bool negated = false;
        if (!f && n > 3 && strncmp(name, "no-", 3) == 0) {
            f = find_flag(cli, name + 3, n - 3);
            if (f && type_of(f) != T_BOOL)
                f = NULL;
            negated = f != NULL;
        }
        if (!f)
            return error_line(cli, prog, "unknown flag --%.*s", (int)n, name);
        const char *value;
        if (type_of(f) == T_BOOL) {
            if (negated && eq)
                return error_line(cli, prog, "flag --%.*s takes no value", (int)n, name);
            value = negated ? "false" : eq ? eq + 1 : "true";
        } else if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return error_line(cli, prog, "flag --%.*s needs a value", (int)n, name);
        }
        const char *why = assign(f, value, why_buf, sizeof why_buf);
        if (why)
            return error_line(cli, prog, "invalid value \"%s\" for --%s: %s", value, f->name, why);
        f->source = EX_FLAG_FROM_ARG;
    }
    if (npos > cli->max_args)
        return error_line(cli, prog, "unexpected argument \"%s\"", argv[1 + cli->max_args]);

    for (ex_flag *f = cli->flags; f && f->name; f++) {
        if (f->source == EX_FLAG_FROM_ARG)
            continue;
        char env_name[128];
        const char *value = lookup_env(f->env, env_name, sizeof env_name);
        if (value) {
            const char *why = assign(f, value, why_buf, sizeof why_buf);
            if (why)
                return error_line(cli, prog, "invalid value \"%s\" in $%s for --%s: %s", value,
                                  env_name, f->name, why);
            f->source = EX_FLAG_FROM_ENV;
        } else if (f->def) {
            const char *why = assign(f, f->def, why_buf, sizeof why_buf);
            if (why)
                return error_line(cli, prog, "internal error: default \"%s\" of --%s: %s", f->def,
                                  f->name, why);
        } else {
            zero_value(f);
        }
    }
    return npos;
}

int ex_flags_parse(const ex_cli *cli, int argc, char **argv)
{
    int rc = ex_flags_try_parse(cli, argc, argv);
    if (rc == EX_FLAGS_EXIT)
        exit(0);
    if (rc == EX_FLAGS_ERROR)
        exit(2);
    return rc;
}

void ex_flags_fail(const ex_cli *cli, const char *fmt, ...)
{
    FILE *f = cli ? err_stream(cli) : stderr;
    const char *prog = cli && cli->program ? cli->program : last_program;
    va_list ap;
    va_start(ap, fmt);
    fprintf(f, "%s: ", prog);
    vfprintf(f, fmt, ap);
    fputs(" (see --help)\n", f);
    va_end(ap);
    fflush(f);
    exit(2);
}

/* ------------------------------------------------------------------ */
/* --help                                                              */
/* ------------------------------------------------------------------ */

static const char *metavar(const ex_flag *f)
{
    if (f->metavar)
        return f->metavar;
    switch (type_of(f)) {
    case T_INT:
        return "INT";
    case T_DURATION:
        return "DURATION";
    case T_NUMBER:
        return "NUMBER";
    default:
        return "STRING";
    }
}

static void usage_name(FILE *out, const ex_flag *f, const char *name)
{
    if (type_of(f) == T_BOOL)
        fprintf(out, "--[no-]%s", name);
    else
        fprintf(out, "--%s=%s", name, metavar(f));
}

void ex_flags_usage(const ex_cli *cli, const char *program, FILE *out)
{
    if (!program)
        program = cli->program ? cli->program : last_program;
    fprintf(out, "Usage: %s [FLAGS]", program);
    if (cli->max_args > 0)
        fprintf(out, " %s", cli->args_usage ? cli->args_usage : "[ARGS...]");
    fputc('\n', out);
    if (cli->summary)
        fprintf(out, "%s\n", cli->summary);
    fputs("\nFlags:\n", out);
    for (const ex_flag *f = cli->flags; f && f->name; f++) {
        fputs("  ", out);
        usage_name(out, f, f->name);
        if (f->alias) {
            fputs(", ", out);
            usage_name(out, f, f->alias);
        }
        fprintf(out, "\n      %s", f->help ? f->help : "");
        if (f->env) {
            fputs(" [env: ", out);
            const char *p = f->env;
            int first = 1;
            while (*p) {
                size_t n = strcspn(p, ", ");
                if (n)
                    fprintf(out, "%s%.*s", first ? "" : ", ", (int)n, p);
                first = first && !n;
                p += n;
                p += strspn(p, ", ");
            }
            fputc(']', out);
        }
        if (f->def)
            fprintf(out, " [default: %s]", f->def[0] ? f->def : "\"\"");
        fputc('\n', out);
    }
    fputs("  -h, --help\n      Show this help and exit.\n", out);
    fputs("  --version\n      Show the version and exit.\n", out);
    fflush(out);
}

const char *ex_check_telemetry_path(const char *value)
{
    return value[0] == '/' ? NULL : "must start with '/'";
}
