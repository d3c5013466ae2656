/*
 * Fuzz target for the exporters' command-line code (examples/common/cli.c).
 * The input is split at newlines. The first line goes to each value parser:
 * ex_parse_duration (compared with an independent reading of its grammar),
 * ex_parse_bool, ex_parse_listen_address (which must round-trip and fit its
 * output) and ex_check_telemetry_path. Then all lines are an argv for
 * ex_flags_try_parse over a table with a flag of every type; a first line
 * "env=V" instead puts V in the environment variable of the duration flag.
 * An accepted command line must leave every value in its range and checked.
 * Any broken invariant aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

#define MAX_ARGS 64

static void fail(const char *what, const char *input)
{
    fprintf(stderr, "fuzz_cli: %s\ninput: \"%s\"\n", what, input);
    abort();
}

/* ------------------------------------------------------------------ */
/* Durations: the grammar of cli.h, read independently                 */
/* ------------------------------------------------------------------ */

/* A decimal of s[0..n): digits with at most one point, at least one digit,
 * shorter than the parser's 64-byte buffer. */
static bool decimal(const char *s, size_t n, double *out)
{
    size_t digits = 0, points = 0;
    char buf[64];
    for (size_t i = 0; i < n; i++)
        s[i] == '.' ? points++ : digits++;
    if (!digits || points > 1 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    *out = strtod(buf, NULL);
    return true;
}

static bool duration_reference(const char *s, double *out)
{
    static const struct {
        const char *unit;
        double mul, div;
    } units[] = {{"h", 3600, 1}, {"ms", 1, 1e3},        {"m", 60, 1},   {"s", 1, 1},
                 {"us", 1, 1e6}, {"\xc2\xb5s", 1, 1e6}, {"ns", 1, 1e9}, {"\xce\xbcs", 1, 1e6}};
    size_t n = strspn(s, "0123456789.");
    if (!*s)
        return false;
    if (!s[n]) /* plain seconds */
        return decimal(s, n, out) && isfinite(*out);
    double total = 0;
    while (*s) {
        n = strspn(s, "0123456789.");
        double v;
        if (!decimal(s, n, &v))
            return false;
        s += n;
        /* The longest unit that matches ("ms" rather than "m"). */
        size_t best = 0, best_len = 0;
        for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
            size_t len = strlen(units[u].unit);
            if (len > best_len && strncmp(s, units[u].unit, len) == 0)
                best = u, best_len = len;
        }
        if (!best_len)
            return false;
        s += best_len;
        total += v * units[best].mul / units[best].div;
    }
    *out = total;
    return isfinite(total);
}

static void check_duration(const char *s)
{
    double got = -1, want = -1;
    int rc = ex_parse_duration(s, &got);
    bool ok = duration_reference(s, &want);
    if ((rc == 0) != ok)
        fail(ok ? "duration refused" : "duration accepted", s);
    if (rc != 0)
        return;
    if (!(got >= 0) || !isfinite(got))
        fail("duration negative, NaN or infinite", s);
    if (memcmp(&got, &want, sizeof got) != 0)
        fail("duration value differs from the reference", s);
    if (ex_parse_duration(s, NULL) != 0)
        fail("duration refused without an output", s);
}

/* ------------------------------------------------------------------ */
/* Booleans, listen addresses, paths                                   */
/* ------------------------------------------------------------------ */

static void check_bool(const char *s)
{
    static const char *const words[] = {"true", "1", "yes", "on", "false", "0", "no", "off"};
    int want = -1;
    for (int i = 0; i < 8; i++)
        if (strcasecmp(s, words[i]) == 0)
            want = i < 4;
    bool b = !want;
    int rc = ex_parse_bool(s, &b);
    if ((rc == 0) != (want >= 0) || (rc == 0 && b != (want == 1)))
        fail("boolean", s);
}

static void check_listen(const char *s)
{
    /* On the heap and alone, so that ASan sees a write past the struct. */
    ex_listen_address *a = malloc(sizeof *a);
    if (!a)
        abort();
    const char *why = NULL;
    int rc = ex_parse_listen_address(s, a, &why);
    if ((rc == 0) != (ex_check_listen_address(s) == NULL))
        fail("parse and check disagree", s);
    if (rc != 0) {
        if (!why || !*why)
            fail("refused without a reason", s);
        free(a);
        return;
    }
    /* The host is the text before the port (inside the brackets), and it
     * must have fit: a longer one was written past a->host. */
    size_t hostlen = s[0] == '[' ? (size_t)(strchr(s, ']') - s - 1) : (size_t)(strrchr(s, ':') - s);
    if (hostlen >= sizeof a->host)
        fail("accepted a host longer than ex_listen_address.host", s);
    if (strlen(a->host) != hostlen || memcmp(a->host, s + (s[0] == '['), hostlen) != 0 ||
        a->port > 65535 || a->ipv6 != (s[0] == '['))
        fail("listen address fields", s);
    char again[300];
    snprintf(again, sizeof again, a->ipv6 ? "[%s]:%u" : "%s:%u", a->host, a->port);
    ex_listen_address b;
    if (ex_parse_listen_address(again, &b, NULL) != 0 || strcmp(a->host, b.host) != 0 ||
        a->port != b.port || a->ipv6 != b.ipv6)
        fail("listen address does not round-trip", s);
    free(a);
}

static void check_path(const char *s)
{
    if ((ex_check_telemetry_path(s) == NULL) != (s[0] == '/'))
        fail("telemetry path", s);
}

/* ------------------------------------------------------------------ */
/* Flag tables                                                         */
/* ------------------------------------------------------------------ */

static const char *v_url, *v_listen, *v_level;
static bool v_start;
static long long v_depth;
static double v_interval, v_rate;

static ex_flag table[] = {
    {.name = "url", .def = "http://localhost:8080", .help = "URL.", .string = &v_url},
    EX_FLAG_LISTEN_ADDRESS(&v_listen, NULL, ":9000"),
    EX_FLAG_LOG_LEVEL(&v_level, NULL),
    {.name = "from-start", .help = "Boolean.", .boolean = &v_start},
    {.name = "depth", .def = "0", .help = "Integer.", .integer = &v_depth, .min = 0, .max = 20},
    {.name = "interval",
     .alias = "i",
     .env = "FUZZ_CLI_UNSET, FUZZ_CLI_INTERVAL",
     .def = "15s",
     .help = "Duration.",
     .duration = &v_interval,
     .min = 0.001,
     .max = 86400},
    {.name = "rate", .help = "Number.", .number = &v_rate, .min = -1, .max = 1},
    {0},
};

static void check_flags(char **argv, int argc, const char *input)
{
    static FILE *devnull;
    if (!devnull && !(devnull = fopen("/dev/null", "w")))
        abort();
    ex_cli cli = {.version = "1.0", .flags = table, .max_args = 2, .out = devnull, .err = devnull};
    int rc = ex_flags_try_parse(&cli, argc, argv);
    if (rc == EX_FLAGS_EXIT || rc == EX_FLAGS_ERROR)
        return;
    if (rc < 0 || rc > cli.max_args)
        fail("positional count out of range", input);
    for (int i = 1; i <= rc; i++)
        if (!argv[i])
            fail("positional argument NULL", input);
    if (!v_url || !v_listen || ex_check_listen_address(v_listen) || !v_level ||
        ex_log_check_level(v_level))
        fail("string flag unset or unchecked", input);
    if (v_depth < 0 || v_depth > 20 || !(v_interval >= 0.001 && v_interval <= 86400) ||
        !(v_rate >= -1 && v_rate <= 1))
        fail("value out of its range", input);
    for (const ex_flag *f = table; f->name; f++)
        if (f->source != EX_FLAG_FROM_DEFAULT && f->source != EX_FLAG_FROM_ENV &&
            f->source != EX_FLAG_FROM_ARG)
            fail("flag source", input);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* NULs end arguments early, as they would in a real argv. */
    char *copy = malloc(size + 1);
    char *argv[MAX_ARGS + 2];
    if (!copy)
        abort();
    memcpy(copy, data, size);
    copy[size] = '\0';
    char *first = copy, *nl = memchr(copy, '\n', size);
    if (nl)
        *nl = '\0';
    check_duration(first);
    check_bool(first);
    check_listen(first);
    check_path(first);

    int argc = 0;
    argv[argc++] = "fuzz_cli";
    bool env = strncmp(first, "env=", 4) == 0;
    if (env)
        setenv("FUZZ_CLI_INTERVAL", first + 4, 1);
    else
        argv[argc++] = first;
    for (char *p = nl ? nl + 1 : NULL; p && argc < MAX_ARGS; argc++) {
        argv[argc] = p;
        p = memchr(p, '\n', size - (size_t)(p - copy));
        if (p)
            *p++ = '\0';
    }
    argv[argc] = NULL;
    check_flags(argv, argc, first);
    if (env)
        unsetenv("FUZZ_CLI_INTERVAL");
    free(copy);
    return 0;
}

const char *const *fuzz_seed_inputs(size_t *n)
{
    static const char *const seeds[] = {
        "1h30m0.5s\n--interval=500ms\n--depth\n3\n--no-from-start\npos",
        "100\xc2\xb5s\n--listen=[fe80::1%eth0]:9100\n--rate=-0.5e-1",
        "[::1]:0\n--web.listen-address\n127.0.0.1:65535\n--log.level=debug",
        "env=2h\n--i\n1.\n--\n--url",
        "On\n--from-start=off\n--help",
        "/metrics\n--bogus=1\n-x\n--version",
        "host.example:9000\n--interval=.5ns10us\n--rate\n1e0",
    };
    *n = sizeof seeds / sizeof seeds[0];
    return seeds;
}
