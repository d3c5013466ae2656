/*
 * Tests for the exporters' shared command-line code in examples/common:
 * flag/environment/default precedence, every flag and duration form, listen
 * addresses, --help generated from the table, exit codes (in forked
 * children), RFC 3339 vectors with exact Unix times, the log line format,
 * and stop signals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "promc.h"

/* ------------------------------------------------------------------ */
/* A flag table like an exporter's                                     */
/* ------------------------------------------------------------------ */

static const char *v_url, *v_listen, *v_token, *v_level, *v_empty;
static bool v_start;
static long long v_depth;
static double v_interval, v_rate;

static ex_flag table[] = {
    {.name = "jenkins.url",
     .env = "EXT_URL",
     .def = "http://localhost:8080",
     .metavar = "URL",
     .help = "Base URL of Jenkins.",
     .string = &v_url},
    {.name = "web.listen-address",
     .alias = "listen",
     .env = "EXT_LISTEN",
     .def = ":9000",
     .metavar = "ADDRESS",
     .help = "Address to serve metrics on.",
     .string = &v_listen,
     .check = ex_check_listen_address},
    {.name = "jenkins.token",
     .env = "EXT_TOKEN, EXT_PASSWORD",
     .def = "admin",
     .help = "API token.",
     .string = &v_token},
    {.name = "from-start",
     .env = "EXT_FROM_START",
     .help = "Read from the start.",
     .boolean = &v_start},
    {.name = "depth",
     .env = "EXT_DEPTH",
     .def = "0",
     .help = "Folder depth.",
     .integer = &v_depth,
     .min = 0,
     .max = 10},
    {.name = "interval",
     .env = "EXT_INTERVAL",
     .def = "15s",
     .help = "Time between polls.",
     .duration = &v_interval,
     .min = 0.001,
     .max = 86400},
    {.name = "success-rate",
     .def = "50",
     .help = "Percent.",
     .number = &v_rate,
     .min = 0,
     .max = 100},
    {.name = "empty", .def = "", .help = "Empty default.", .string = &v_empty},
    EX_FLAG_LOG_LEVEL(&v_level, "T_LOG_LEVEL"),
    {0},
};

static ex_cli cli = {
    .program = "test_prog",
    .version = "1.2.3",
    .summary = "Exports things for tests.",
    .flags = table,
};

static const char *const env_names[] = {"EXT_URL",      "EXT_LISTEN",     "EXT_TOKEN",
                                        "EXT_PASSWORD", "EXT_FROM_START", "EXT_DEPTH",
                                        "EXT_INTERVAL"};

static int clear_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof env_names / sizeof env_names[0]; i++)
        unsetenv(env_names[i]);
    cli.max_args = 0;
    return 0;
}

/* Runs ex_flags_try_parse on "test_prog" + args (NULL-terminated); the
 * error and output streams are captured into *err_text / *out_text (free
 * them; may be NULL). Returns the parser's result. */
static char *argv_store[64];

static int parse_args(const char *const *args, char **err_text, char **out_text)
{
    int argc = 0;
    argv_store[argc++] = (char *)"test_prog";
    for (; *args; args++) {
        assert_true(argc < 63);
        argv_store[argc++] = (char *)*args;
    }
    argv_store[argc] = NULL;
    char *ebuf = NULL, *obuf = NULL;
    size_t elen = 0, olen = 0;
    cli.err = open_memstream(&ebuf, &elen);
    cli.out = open_memstream(&obuf, &olen);
    assert_non_null(cli.err);
    assert_non_null(cli.out);
    int rc = ex_flags_try_parse(&cli, argc, argv_store);
    fclose(cli.err);
    fclose(cli.out);
    cli.err = cli.out = NULL;
    if (err_text)
        *err_text = ebuf;
    else
        free(ebuf);
    if (out_text)
        *out_text = obuf;
    else
        free(obuf);
    return rc;
}

#define PARSE(...) parse_args((const char *const[]){__VA_ARGS__, NULL}, NULL, NULL)

/* ------------------------------------------------------------------ */
/* Precedence and syntax                                               */
/* ------------------------------------------------------------------ */

static void test_defaults_apply_without_flags_or_env(void **state)
{
    (void)state;
    assert_int_equal(parse_args((const char *const[]){NULL}, NULL, NULL), 0);
    assert_string_equal(v_url, "http://localhost:8080");
    assert_string_equal(v_listen, ":9000");
    assert_string_equal(v_token, "admin");
    assert_false(v_start);
    assert_true(v_depth == 0);
    assert_true(v_interval == 15);
    assert_true(v_rate == 50);
    assert_string_equal(v_empty, "");
    assert_string_equal(v_level, "info");
    for (ex_flag *f = table; f->name; f++)
        assert_int_equal(f->source, EX_FLAG_FROM_DEFAULT);
}

static void test_flag_wins_over_env_wins_over_default(void **state)
{
    (void)state;
    setenv("EXT_URL", "http://env:8080", 1);
    setenv("EXT_INTERVAL", "1m", 1);
    setenv("EXT_FROM_START", "yes", 1);
    setenv("EXT_DEPTH", "3", 1);
    assert_int_equal(PARSE("--jenkins.url=http://flag:1"), 0);
    assert_string_equal(v_url, "http://flag:1");
    assert_int_equal(table[0].source, EX_FLAG_FROM_ARG);
    assert_true(v_interval == 60);
    assert_int_equal(table[5].source, EX_FLAG_FROM_ENV);
    assert_true(v_start);
    assert_true(v_depth == 3);
    assert_string_equal(v_token, "admin");
    assert_int_equal(table[2].source, EX_FLAG_FROM_DEFAULT);

    /* An invalid variable does not matter when the flag is given... */
    setenv("EXT_INTERVAL", "soon", 1);
    assert_int_equal(PARSE("--interval", "2s", "--no-from-start"), 0);
    assert_true(v_interval == 2);
    assert_false(v_start);
    /* ...and is an error when it is used. */
    char *err = NULL;
    assert_int_equal(parse_args((const char *const[]){NULL}, &err, NULL), EX_FLAGS_ERROR);
    assert_string_equal(err, "test_prog: invalid value \"soon\" in $EXT_INTERVAL for --interval: "
                             "not a duration (e.g. 15s, 500ms, 1m30s, 0.5) (see --help)\n");
    free(err);
}

static void test_env_lists_take_the_first_non_empty(void **state)
{
    (void)state;
    setenv("EXT_PASSWORD", "pw", 1);
    assert_int_equal(PARSE("--depth=1"), 0);
    assert_string_equal(v_token, "pw");
    setenv("EXT_TOKEN", "", 1); /* empty counts as unset */
    assert_int_equal(PARSE("--depth=1"), 0);
    assert_string_equal(v_token, "pw");
    setenv("EXT_TOKEN", "tok", 1);
    assert_int_equal(PARSE("--depth=1"), 0);
    assert_string_equal(v_token, "tok");
    assert_int_equal(PARSE("--jenkins.token", "arg"), 0);
    assert_string_equal(v_token, "arg");
    setenv("EXT_URL", "", 1);
    assert_int_equal(PARSE("--depth=1"), 0);
    assert_string_equal(v_url, "http://localhost:8080");
}

static void test_flag_syntax_forms(void **state)
{
    (void)state;
    assert_int_equal(PARSE("--depth=4", "--interval", "500ms", "--listen", "127.0.0.1:1",
                           "--from-start", "--success-rate=12.5", "--log.level=debug"),
                     0);
    assert_true(v_depth == 4);
    assert_true(v_interval == 0.5);
    assert_string_equal(v_listen, "127.0.0.1:1");
    assert_int_equal(table[1].source, EX_FLAG_FROM_ARG);
    assert_true(v_start);
    assert_true(v_rate == 12.5);
    assert_string_equal(v_level, "debug");

    /* Booleans: --x, --no-x, --x=value; the last one given wins. */
    assert_int_equal(PARSE("--from-start", "--no-from-start"), 0);
    assert_false(v_start);
    assert_int_equal(PARSE("--from-start=false", "--from-start=TRUE"), 0);
    assert_true(v_start);
    assert_int_equal(PARSE("--from-start=0"), 0);
    assert_false(v_start);
    /* A boolean does not take the next argument as its value. */
    cli.max_args = 1;
    assert_int_equal(PARSE("--from-start", "false"), 1);
    assert_true(v_start);
    assert_string_equal(argv_store[1], "false");

    /* Values that look like flags, empty values, repeated flags. */
    assert_int_equal(PARSE("--jenkins.token", "--not-a-flag", "--jenkins.url=", "--depth=1",
                           "--depth=2", "--web.listen-address=[::1]:9"),
                     0);
    assert_string_equal(v_token, "--not-a-flag");
    assert_string_equal(v_url, "");
    assert_true(v_depth == 2);
    assert_string_equal(v_listen, "[::1]:9");
}

static void test_positional_arguments_and_double_dash(void **state)
{
    (void)state;
    cli.max_args = 4;
    assert_int_equal(PARSE("a", "--depth=1", "b", "--", "--depth=9", "-"), 4);
    assert_true(v_depth == 1);
    assert_string_equal(argv_store[1], "a");
    assert_string_equal(argv_store[2], "b");
    assert_string_equal(argv_store[3], "--depth=9");
    assert_string_equal(argv_store[4], "-");
    cli.max_args = 3;
    assert_int_equal(PARSE("a", "--depth=1", "b", "--", "--depth=9", "-"), EX_FLAGS_ERROR);
    assert_int_equal(PARSE("--"), 0);

    char *err = NULL;
    cli.max_args = 0;
    assert_int_equal(parse_args((const char *const[]){"--depth=1", "extra", NULL}, &err, NULL),
                     EX_FLAGS_ERROR);
    assert_string_equal(err, "test_prog: unexpected argument \"extra\" (see --help)\n");
    free(err);
}

/* Each bad command line gives exactly this one line on stderr. */
static void test_errors_are_one_clear_line(void **state)
{
    (void)state;
    static const struct {
        const char *args[4];
        const char *message;
    } cases[] = {
        {{"--bogus"}, "unknown flag --bogus"},
        {{"--bogus=1"}, "unknown flag --bogus"},
        {{"-x"}, "unknown flag -x (flags start with --)"},
        {{"--no-depth"}, "unknown flag --no-depth"},
        {{"--no-from-start=1"}, "flag --no-from-start takes no value"},
        {{"--depth"}, "flag --depth needs a value"},
        {{"--interval"}, "flag --interval needs a value"},
        {{"--depth=x"}, "invalid value \"x\" for --depth: not an integer"},
        {{"--depth=1.5"}, "invalid value \"1.5\" for --depth: not an integer"},
        {{"--depth", " 1"}, "invalid value \" 1\" for --depth: not an integer"},
        {{"--depth=11"}, "invalid value \"11\" for --depth: out of range (0 to 10)"},
        {{"--depth=-1"}, "invalid value \"-1\" for --depth: out of range (0 to 10)"},
        {{"--depth=99999999999999999999"},
         "invalid value \"99999999999999999999\" for --depth: not an integer"},
        {{"--interval=-1s"},
         "invalid value \"-1s\" for --interval: not a duration (e.g. 15s, 500ms, 1m30s, 0.5)"},
        {{"--interval=0"},
         "invalid value \"0\" for --interval: out of range (0.001 to 86400 "
         "seconds)"},
        {{"--interval=25h"},
         "invalid value \"25h\" for --interval: out of range (0.001 to 86400 "
         "seconds)"},
        {{"--from-start=maybe"},
         "invalid value \"maybe\" for --from-start: not a boolean (true or false)"},
        {{"--success-rate=nan"}, "invalid value \"nan\" for --success-rate: not a number"},
        {{"--success-rate=0x10"}, "invalid value \"0x10\" for --success-rate: not a number"},
        {{"--success-rate=101"},
         "invalid value \"101\" for --success-rate: out of range (0 to 100)"},
        {{"--listen=9000"},
         "invalid value \"9000\" for --web.listen-address: missing ':port' "
         "(e.g. :9000 or 127.0.0.1:9000)"},
        {{"--log.level=verbose"},
         "invalid value \"verbose\" for --log.level: not a log level (debug, info, warn, error)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = NULL, *out = NULL;
        int rc = parse_args(cases[i].args, &err, &out);
        char want[512];
        snprintf(want, sizeof want, "test_prog: %s (see --help)\n", cases[i].message);
        if (rc != EX_FLAGS_ERROR || strcmp(err, want) != 0)
            fail_msg("%s: rc %d, got %s want %s", cases[i].args[0], rc, err, want);
        assert_string_equal(out, "");
        free(err);
        free(out);
    }
}

static void test_help_is_generated_from_the_table(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    assert_int_equal(
        parse_args((const char *const[]){"--depth=1", "--help", "--bogus", NULL}, &err, &out),
        EX_FLAGS_EXIT);
    assert_string_equal(err, "");
    static const char *const want[] = {
        "Usage: test_prog [FLAGS]\nExports things for tests.\n\nFlags:\n",
        "  --jenkins.url=URL\n      Base URL of Jenkins. [env: EXT_URL] [default: "
        "http://localhost:8080]\n",
        "  --web.listen-address=ADDRESS, --listen=ADDRESS\n      Address to serve metrics on. "
        "[env: EXT_LISTEN] [default: :9000]\n",
        "  --jenkins.token=STRING\n      API token. [env: EXT_TOKEN, EXT_PASSWORD] [default: "
        "admin]\n",
        "  --[no-]from-start\n      Read from the start. [env: EXT_FROM_START]\n",
        "  --depth=INT\n      Folder depth. [env: EXT_DEPTH] [default: 0]\n",
        "  --interval=DURATION\n      Time between polls. [env: EXT_INTERVAL] [default: 15s]\n",
        "  --success-rate=NUMBER\n      Percent. [default: 50]\n",
        "  --empty=STRING\n      Empty default. [default: \"\"]\n",
        "  --log.level=LEVEL\n      Only log messages at or above this level: debug, info, warn, "
        "error. [env: T_LOG_LEVEL] [default: info]\n",
        "  -h, --help\n      Show this help and exit.\n",
        "  --version\n      Show the version and exit.\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(out, want[i]))
            fail_msg("--help lacks:\n%s\nin:\n%s", want[i], out);
    free(out);
    free(err);

    /* Positional arguments show up in the usage line; -h works too. */
    cli.max_args = 1;
    cli.args_usage = "[PCT]";
    assert_int_equal(parse_args((const char *const[]){"-h", NULL}, NULL, &out), EX_FLAGS_EXIT);
    assert_non_null(strstr(out, "Usage: test_prog [FLAGS] [PCT]\n"));
    free(out);
    cli.args_usage = NULL;

    assert_int_equal(parse_args((const char *const[]){"--version", NULL}, NULL, &out),
                     EX_FLAGS_EXIT);
    assert_string_equal(out, "test_prog 1.2.3 (promc " PROMC_VERSION_STRING ")\n");
    free(out);
}

/* Runs ex_flags_parse (the exiting one) in a child with args; returns its
 * exit status and what it wrote to stdout and stderr. */
static int run_child(const char *const *args, char **out_text, char **err_text)
{
    int out_pipe[2], err_pipe[2];
    assert_int_equal(pipe(out_pipe), 0);
    assert_int_equal(pipe(err_pipe), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        close(out_pipe[0]);
        close(err_pipe[0]);
        char *argv[16];
        int argc = 0;
        argv[argc++] = (char *)"/usr/local/bin/child_prog";
        while (*args && argc < 15)
            argv[argc++] = (char *)*args++;
        argv[argc] = NULL;
        ex_cli c = {.version = "9.9", .flags = table}; /* program from argv[0] */
        ex_flags_parse(&c, argc, argv);
        _exit(77); /* parsed fine */
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    char *bufs[2] = {NULL, NULL};
    int fds[2] = {out_pipe[0], err_pipe[0]};
    for (int k = 0; k < 2; k++) {
        size_t len = 0, cap = 8192;
        bufs[k] = malloc(cap);
        assert_non_null(bufs[k]);
        ssize_t n;
        while ((n = read(fds[k], bufs[k] + len, cap - 1 - len)) > 0)
            len += (size_t)n;
        bufs[k][len] = '\0';
        close(fds[k]);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    *out_text = bufs[0];
    *err_text = bufs[1];
    return WEXITSTATUS(status);
}

static void test_exit_codes_in_a_child(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(run_child((const char *const[]){"--bogus", NULL}, &out, &err), 2);
    assert_string_equal(out, "");
    assert_string_equal(err, "child_prog: unknown flag --bogus (see --help)\n");
    free(out);
    free(err);

    setenv("EXT_DEPTH", "deep", 1);
    assert_int_equal(run_child((const char *const[]){NULL}, &out, &err), 2);
    assert_string_equal(err, "child_prog: invalid value \"deep\" in $EXT_DEPTH for --depth: not "
                             "an integer (see --help)\n");
    free(out);
    free(err);
    unsetenv("EXT_DEPTH");

    assert_int_equal(run_child((const char *const[]){"--help", NULL}, &out, &err), 0);
    assert_non_null(strstr(out, "Usage: child_prog [FLAGS]\n"));
    assert_non_null(strstr(out, "--jenkins.url=URL"));
    assert_string_equal(err, "");
    free(out);
    free(err);

    assert_int_equal(run_child((const char *const[]){"--version", NULL}, &out, &err), 0);
    assert_string_equal(out, "child_prog 9.9 (promc " PROMC_VERSION_STRING ")\n");
    free(out);
    free(err);

    assert_int_equal(run_child((const char *const[]){"--depth=2", NULL}, &out, &err), 77);
    free(out);
    free(err);
}

/* ------------------------------------------------------------------ */
/* Value parsers                                                       */
/* ------------------------------------------------------------------ */

static void test_durations_every_form(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double seconds;
    } good[] = {
        {"0", 0},
        {"15", 15},
        {"0.5", 0.5},
        {".5", 0.5},
        {"1.", 1},
        {"007", 7},
        {"500ms", 0.5},
        {"15s", 15},
        {"1.5s", 1.5},
        {"1m", 60},
        {"2h", 7200},
        {"1h30m", 5400},
        {"1m30s", 90},
        {"0s", 0},
        {"100us", 1e-4},
        {"100\xc2\xb5s", 1e-4},
        {"100\xce\xbcs", 1e-4},
        {"10ns", 1e-8},
        {"1h1m1s1ms", 3661.001},
        {"0.25h", 900},
        {"1s500ms", 1.5},
        {"90m", 5400},
        {"2m2m", 240},
        {"1.5m", 90},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double d = -1;
        if (ex_parse_duration(good[i].text, &d) != 0)
            fail_msg("duration %s rejected", good[i].text);
        if (fabs(d - good[i].seconds) > 1e-12 * (1 + good[i].seconds))
            fail_msg("duration %s: got %.17g want %.17g", good[i].text, d, good[i].seconds);
    }
    double d = 0;
    assert_int_equal(ex_parse_duration("100us", &d), 0);
    assert_true(d == 1e-4); /* exactly */
    assert_int_equal(ex_parse_duration("500ms", &d), 0);
    assert_true(d == 0.5);

    static const char *const bad[] = {
        "",          "-1",     "+1",
        "-1s",       "1d",     "s",
        "ms",        "1 s",    " 1",
        "1s ",       "1.2.3",  "abc",
        "1h30",      "1e3",    "nan",
        "inf",       "1sm",    ".",
        "..5s",      "1.5.s",  "1S",
        "1H",        "1hh",    "1m-5s",
        "0x10s",     "1,5s",   "1_000",
        "\xc2\xb5s", "1\xc2s", "99999999999999999999999999999999999999999999999999999999999999999h",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ex_parse_duration(bad[i], &d) == 0)
            fail_msg("duration \"%s\" accepted as %g", bad[i], d);
    assert_int_equal(ex_parse_duration(NULL, &d), -1);
}

static void test_bool_values(void **state)
{
    (void)state;
    static const char *const yes[] = {"true", "TRUE", "True", "1", "yes", "on", "ON"};
    static const char *const no[] = {"false", "FALSE", "0", "no", "off", "Off"};
    static const char *const bad[] = {"", "2", "t", "y", "nope", " true", "true "};
    bool b;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        b = false;
        assert_int_equal(ex_parse_bool(yes[i], &b), 0);
        assert_true(b);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        b = true;
        assert_int_equal(ex_parse_bool(no[i], &b), 0);
        assert_false(b);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ex_parse_bool(bad[i], &b), -1);
}

static void test_listen_addresses(void **state)
{
    (void)state;
    static const struct {
        const char *text, *host;
        unsigned port;
        bool ipv6;
    } good[] = {
        {":9000", "", 9000, false},
        {"127.0.0.1:8080", "127.0.0.1", 8080, false},
        {"0.0.0.0:65535", "0.0.0.0", 65535, false},
        {"localhost:80", "localhost", 80, false},
        {"my-host.example.com:1", "my-host.example.com", 1, false},
        {"host_1:0", "host_1", 0, false},
        {"[::1]:9090", "::1", 9090, true},
        {"[::]:0", "::", 0, true},
        {"[2001:db8::1]:443", "2001:db8::1", 443, true},
        {"[fe80::1%eth0]:9000", "fe80::1%eth0", 9000, true},
        {"[::ffff:192.0.2.1]:80", "::ffff:192.0.2.1", 80, true},
        {":00080", "", 80, false},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ex_listen_address a;
        const char *why = "unset";
        if (ex_parse_listen_address(good[i].text, &a, &why) != 0)
            fail_msg("%s rejected: %s", good[i].text, why);
        assert_string_equal(a.host, good[i].host);
        assert_int_equal(a.port, good[i].port);
        assert_int_equal(a.ipv6, good[i].ipv6);
        assert_null(ex_check_listen_address(good[i].text));
    }
    static const char *const bad[] = {
        "",
        "9000",
        ":",
        "localhost:",
        ":65536",
        ":-1",
        ":+80",
        ":99999",
        ":123456",
        "::1:9000",
        "::9000",
        "[::1]9000",
        "[::1",
        "[]:80",
        "[zz::1]:80",
        "256.1.1.1:80",
        "1.2.3:80",
        "host name:80",
        "a..b:80",
        ".a:80",
        "a.:80",
        ":80x",
        "[::1]:",
        "[fe80::1%]:80",
        "[1.2.3.4]:80",
        "*:80",
        "host:port",
        "h\xc3\xa9:80",
        "[::1]:80:81",
        ":8 0",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        if (ex_parse_listen_address(bad[i], NULL, &why) == 0)
            fail_msg("listen address \"%s\" accepted", bad[i]);
        assert_non_null(why);
        assert_non_null(ex_check_listen_address(bad[i]));
    }
    const char *why = NULL;
    ex_parse_listen_address("::1:9000", NULL, &why);
    assert_string_equal(why, "an IPv6 address needs brackets, e.g. [::1]:9000");
    assert_int_equal(ex_parse_listen_address(NULL, NULL, NULL), -1);

    /* An IPv6 zone longer than the host field: refused, not copied past it. */
    char zone[400] = "[fe80::1%";
    memset(zone + 9, 'z', 300);
    strcpy(zone + 309, "]:9000");
    ex_listen_address a;
    why = NULL;
    assert_int_equal(ex_parse_listen_address(zone, &a, &why), -1);
    assert_string_equal(why, "host part too long");
}

/* ------------------------------------------------------------------ */
/* RFC 3339                                                            */
/* ------------------------------------------------------------------ */

static void test_rfc3339_valid_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double unix_seconds;
    } good[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"1970-01-01t00:00:00z", 0},
        {"1970-01-01T00:00:00+00:00", 0},
        {"1970-01-01T00:00:00-00:00", 0},
        {"1970-01-01T05:30:00+05:30", 0},
        {"1969-12-31T16:00:00-08:00", 0},
        {"1969-12-31T23:59:59Z", -1},
        {"1970-01-01T00:00:00.5Z", 0.5},
        /* 12:00 at +01:00 is 11:00Z. */
        {"2000-02-29T12:00:00.5+01:00", 951822000.5},
        {"2000-03-01T00:00:00Z", 951868800},
        {"2024-01-02T03:04:05Z", 1704164645},
        {"2024-01-02T03:04:05-08:00", 1704193445},
        {"2024-01-02T03:04:05.123456789Z", 1704164645.123456789},
        {"2024-01-02T03:04:05.000000000000000000001Z", 1704164645},
        {"2024-02-29T23:59:59Z", 1709251199},
        {"2016-12-31T23:59:59Z", 1483228799},
        {"2016-12-31T23:59:60Z", 1483228799.999999}, /* leap second */
        {"2038-01-19T03:14:08Z", 2147483648.0},
        {"1900-01-01T00:00:00Z", -2208988800.0},
        {"0000-01-01T00:00:00Z", -62167219200.0},
        {"9999-12-31T23:59:59Z", 253402300799.0},
        {"2024-01-02T00:00:00+23:59", 1704067260},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double t = -12345;
        if (ex_rfc3339_parse(good[i].text, strlen(good[i].text), &t) != 0)
            fail_msg("%s rejected", good[i].text);
        if (t != good[i].unix_seconds)
            fail_msg("%s: got %.9f want %.9f", good[i].text, t, good[i].unix_seconds);
    }
    /* Only len bytes are read: no NUL needed. */
    double t = -1;
    assert_int_equal(ex_rfc3339_parse("1970-01-01T00:00:00Zjunk", 20, &t), 0);
    assert_true(t == 0);
    assert_int_equal(ex_rfc3339_parse("1970-01-01T00:00:01.25Z", 23, &t), 0);
    assert_true(t == 1.25);
}

static void test_rfc3339_invalid_vectors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2023-02-29T00:00:00Z", /* not a leap year */
        "1900-02-29T00:00:00Z", /* not a leap year either */
        "2000-02-30T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-00-10T00:00:00Z",
        "2024-01-00T00:00:00Z",
        "2024-01-32T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "2024-01-02T24:00:00Z",
        "2024-01-02T23:60:00Z",
        "2024-01-02T23:59:61Z",
        "2024-01-02T03:04:05+24:00",
        "2024-01-02T03:04:05+05:60",
        "2024-01-02T03:04:05",
        "2024-01-02 03:04:05Z",
        "2024-1-02T03:04:05Z",
        "2024-01-02T3:04:05Z",
        "2024-01-02T03:04:05Zjunk",
        "2024-01-02T03:04:05.Z",
        "2024-01-02T03:04:05,5Z",
        "2024-01-02T03:04:05+0530",
        "2024-01-02T03:04:05+05",
        "2024-01-02T03:04:05+05:3",
        "2024-01-02T03:04:05 Z",
        " 2024-01-02T03:04:05Z",
        "2024-01-02T03:04:05Z ",
        "+2024-01-02T03:04:05Z",
        "20240102T030405Z",
        "2024-01-02",
        "2024-01-02T03:04:05.123",
        "2024/01/02T03:04:05Z",
        "2024-01-02X03:04:05Z",
        "2024-01-02T03-04-05Z",
        "abcd-01-02T03:04:05Z",
        "2024-01-02T03:04:05UTC",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double t = 0;
        if (ex_rfc3339_parse(bad[i], strlen(bad[i]), &t) == 0)
            fail_msg("\"%s\" accepted as %f", bad[i], t);
    }
    /* Cut by len: every proper prefix of a valid timestamp is invalid. */
    const char *full = "2024-01-02T03:04:05.25+01:00";
    for (size_t k = 0; k < strlen(full); k++)
        assert_int_equal(ex_rfc3339_parse(full, k, NULL), -1);
    assert_int_equal(ex_rfc3339_parse(NULL, 20, NULL), -1);
}

/* The same timestamps, and the ones without a zone that Python's
 * datetime.isoformat() writes for a naive datetime, read as UTC. */
static void test_rfc3339_zone_optional(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double unix_seconds;
    } good[] = {
        {"2024-01-02T03:04:05", 1704164645},
        {"2024-01-02t03:04:05", 1704164645},
        {"2024-01-02T03:04:05.123456", 1704164645.123456},
        {"2024-01-02T03:04:05.5", 1704164645.5},
        {"2016-12-31T23:59:60", 1483228799.999999},
        {"2024-01-02T03:04:05Z", 1704164645},
        {"2024-01-02T03:04:05-08:00", 1704193445},
        {"2026-07-08T10:58:02.104000Z", 1783508282.104},
        {"2026-07-08T10:58:02.104000+00:00", 1783508282.104},
        {"2026-07-08T12:58:02.104000+02:00", 1783508282.104},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double t = -12345;
        const char *text = good[i].text;
        if (ex_rfc3339_parse_utc_default(text, strlen(text), &t) != 0)
            fail_msg("%s rejected", text);
        if (t != good[i].unix_seconds)
            fail_msg("%s: got %.9f want %.9f", text, t, good[i].unix_seconds);
    }
    static const char *const bad[] = {
        "",
        "2024-01-02",
        "2024-01-02T03:04",
        "2024-01-02T03:04:05.",
        "2024-01-02T03:04:05 ",
        "2024-01-02 03:04:05",
        "2024-01-02T03:04:05+05",
        "2024-01-02T03:04:05UTC",
        "2024-01-02T24:00:00",
        "2023-02-29T00:00:00",
        "2024-01-02T03:04:05.5Zjunk",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double t = 0;
        if (ex_rfc3339_parse_utc_default(bad[i], strlen(bad[i]), &t) == 0)
            fail_msg("\"%s\" accepted as %f", bad[i], t);
    }
    /* Cut by len: a prefix is valid exactly where it ends after the seconds
     * or a fraction digit. */
    const char *full = "2024-01-02T03:04:05.25+01:00";
    for (size_t k = 0; k < strlen(full); k++)
        assert_int_equal(ex_rfc3339_parse_utc_default(full, k, NULL),
                         k == 19 || k == 21 || k == 22 ? 0 : -1);
    assert_int_equal(ex_rfc3339_parse_utc_default(NULL, 20, NULL), -1);
    /* The strict parser still wants the zone. */
    assert_int_equal(ex_rfc3339_parse("2024-01-02T03:04:05", 19, NULL), -1);
}

static void test_rfc3339_format(void **state)
{
    (void)state;
    char buf[EX_RFC3339_BUFSIZE];
    assert_int_equal(ex_rfc3339_format(0, buf, sizeof buf), 24);
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
    ex_rfc3339_format(-0.5, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.500Z");
    ex_rfc3339_format(951822000.5, buf, sizeof buf);
    assert_string_equal(buf, "2000-02-29T11:00:00.500Z");
    ex_rfc3339_format(1704164645.25, buf, sizeof buf);
    assert_string_equal(buf, "2024-01-02T03:04:05.250Z");
    ex_rfc3339_format(253402300799.0, buf, sizeof buf);
    assert_string_equal(buf, "9999-12-31T23:59:59.000Z");
    assert_int_equal(ex_rfc3339_format(253402300800.0, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    assert_int_equal(ex_rfc3339_format(NAN, buf, sizeof buf), 0);
    assert_int_equal(ex_rfc3339_format(0, buf, 24), 0);

    /* Round trip over whole seconds from year 0 to 9999. */
    uint64_t rng = 88172645463325252ull;
    for (int i = 0; i < 100000; i++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        double t = -62167219200.0 + (double)(rng % 315569520000ull);
        assert_int_equal(ex_rfc3339_format(t, buf, sizeof buf), 24);
        double back = -1;
        assert_int_equal(ex_rfc3339_parse(buf, 24, &back), 0);
        if (back != t)
            fail_msg("%s: %.0f came back as %.0f", buf, t, back);
    }
}

/* ------------------------------------------------------------------ */
/* Logging                                                             */
/* ------------------------------------------------------------------ */

static double fixed_clock(void)
{
    return 1704164645.25;
}

/* Runs fn with the logger writing to a temporary file (a pipe could fill
 * up); returns what it wrote. */
static char *capture_log(void (*fn)(void))
{
    FILE *f = tmpfile();
    assert_non_null(f);
    ex_log_set_fd(fileno(f));
    ex_log_set_clock(fixed_clock);
    fn();
    ex_log_set_fd(2);
    ex_log_set_clock(NULL);
    ex_log_set_level(EX_LOG_INFO);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    buf[size] = '\0';
    fclose(f);
    return buf;
}

static void log_some_lines(void)
{
    ex_log(EX_LOG_INFO, "listening on %s", ":9000");
    ex_log(EX_LOG_DEBUG, "not shown at info");
    ex_log(EX_LOG_WARN, "quote \" backslash \\ newline\nline2\ttab\x01 del\x7f end");
    ex_log(EX_LOG_ERROR, "poll failed: %d", 500);
    ex_log_set_level(EX_LOG_DEBUG);
    ex_log(EX_LOG_DEBUG, "now shown");
    assert_int_equal(ex_log_set_level_name("WARNING"), 0);
    ex_log(EX_LOG_INFO, "hidden");
    ex_log(EX_LOG_WARN, "%s", "");
    assert_int_equal(ex_log_set_level_name("loud"), -1);
    assert_int_equal(ex_log_get_level(), EX_LOG_WARN);
    errno = 42;
    ex_log(EX_LOG_ERROR, "errno kept");
    assert_int_equal(errno, 42);
}

static void log_a_long_line(void)
{
    char big[10000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ex_log(EX_LOG_INFO, "%s", big);
}

static void test_log_line_format(void **state)
{
    (void)state;
    char *got = capture_log(log_some_lines);
    assert_string_equal(
        got, "ts=2024-01-02T03:04:05.250Z level=info msg=\"listening on :9000\"\n"
             "ts=2024-01-02T03:04:05.250Z level=warn msg=\"quote \\\" backslash \\\\ newline\\n"
             "line2\\ttab\\u0001 del\\u007f end\"\n"
             "ts=2024-01-02T03:04:05.250Z level=error msg=\"poll failed: 500\"\n"
             "ts=2024-01-02T03:04:05.250Z level=debug msg=\"now shown\"\n"
             "ts=2024-01-02T03:04:05.250Z level=warn msg=\"\"\n"
             "ts=2024-01-02T03:04:05.250Z level=error msg=\"errno kept\"\n");
    free(got);

    got = capture_log(log_a_long_line);
    size_t len = strlen(got);
    assert_true(len > 4000 && len < 4300);
    assert_string_equal(got + len - 5, "...\"\n");
    assert_int_equal(strchr(got, '\n') - got, (long)len - 1); /* one line */
    free(got);

    ex_log_level level = EX_LOG_ERROR;
    assert_int_equal(ex_log_parse_level("debug", &level), 0);
    assert_int_equal(level, EX_LOG_DEBUG);
    assert_int_equal(ex_log_parse_level("Error", &level), 0);
    assert_int_equal(level, EX_LOG_ERROR);
    assert_int_equal(ex_log_parse_level("", &level), -1);
    assert_int_equal(ex_log_parse_level(NULL, &level), -1);
    assert_string_equal(ex_log_level_name(EX_LOG_WARN), "warn");
    assert_null(ex_log_check_level("info"));
    assert_non_null(ex_log_check_level("chatty"));
    assert_true(ex_log_enabled(EX_LOG_INFO));
    assert_false(ex_log_enabled(EX_LOG_DEBUG));
}

static void log_json_lines(void)
{
    assert_int_equal(ex_log_set_format_name("JSON"), 0);
    ex_log(EX_LOG_INFO, "listening on %s", ":9000");
    ex_log(EX_LOG_WARN, "quote \" backslash \\ newline\nline2\ttab\x01 end");
    /* UTF-8 passes; bytes that are not UTF-8 become U+FFFD. */
    ex_log(EX_LOG_ERROR, "caf\xc3\xa9 \xff \xc3( \xed\xa0\x80 \xf0\x9f\x98\x80");
    ex_log_set_level(EX_LOG_DEBUG);
    assert_int_equal(ex_log_set_format_name("yaml"), -1); /* unchanged */
    ex_log(EX_LOG_DEBUG, "%s", "");
    assert_int_equal(ex_log_set_format_name("logfmt"), 0);
    ex_log(EX_LOG_INFO, "back to logfmt");
}

static void test_log_json_format(void **state)
{
    (void)state;
    char *got = capture_log(log_json_lines);
    assert_string_equal(
        got, "{\"ts\":\"2024-01-02T03:04:05.250Z\",\"level\":\"info\",\"msg\":\"listening on "
             ":9000\"}\n"
             "{\"ts\":\"2024-01-02T03:04:05.250Z\",\"level\":\"warn\",\"msg\":\"quote \\\" "
             "backslash \\\\ newline\\nline2\\ttab\\u0001 end\"}\n"
             "{\"ts\":\"2024-01-02T03:04:05.250Z\",\"level\":\"error\",\"msg\":\"caf\xc3\xa9 "
             "\\ufffd \\ufffd( \\ufffd\\ufffd\\ufffd \xf0\x9f\x98\x80\"}\n"
             "{\"ts\":\"2024-01-02T03:04:05.250Z\",\"level\":\"debug\",\"msg\":\"\"}\n"
             "ts=2024-01-02T03:04:05.250Z level=info msg=\"back to logfmt\"\n");
    free(got);
    assert_null(ex_log_check_format("logfmt"));
    assert_null(ex_log_check_format("json"));
    assert_non_null(ex_log_check_format("text"));
    assert_non_null(ex_log_check_format(NULL));
}

/* Lines from several threads at once stay whole. */
static void *log_from_thread(void *arg)
{
    for (int i = 0; i < 200; i++)
        ex_log(EX_LOG_INFO, "thread %ld line %d %s", (long)(intptr_t)arg, i,
               "padding padding padding padding padding padding padding padding");
    return NULL;
}

static void log_from_threads(void)
{
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, log_from_thread, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
}

static void test_log_lines_from_threads_stay_whole(void **state)
{
    (void)state;
    char *got = capture_log(log_from_threads);
    size_t lines = 0;
    for (char *line = got, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        *nl = '\0';
        assert_true(strncmp(line, "ts=2024-01-02T03:04:05.250Z level=info msg=\"thread ", 51) == 0);
        assert_non_null(strstr(line, "padding padding\""));
        lines++;
    }
    assert_int_equal(lines, 800);
    free(got);
}

/* ------------------------------------------------------------------ */
/* Signals                                                             */
/* ------------------------------------------------------------------ */

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_sleep_runs_its_full_time(void **state)
{
    (void)state;
    double t = monotonic();
    assert_true(ex_sleep_interruptible(0.12));
    double dt = monotonic() - t;
    assert_true(dt >= 0.12 && dt < 1.0);
    assert_true(ex_sleep_interruptible(0));
    assert_true(ex_sleep_interruptible(-1));
    assert_false(ex_should_stop());
    assert_int_equal(ex_stop_signal(), 0);
}

static void *send_sigterm_later(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
    kill(getpid(), SIGTERM);
    return NULL;
}

/* In a child: the process-wide stop flag cannot be reset. */
static int child_sigterm_wakes_sleep(void)
{
    if (ex_signals_install() != 0 || ex_should_stop())
        return 10;
    pthread_t t;
    if (pthread_create(&t, NULL, send_sigterm_later, NULL) != 0)
        return 11;
    double start = monotonic();
    bool full = ex_sleep_interruptible(30);
    double dt = monotonic() - start;
    pthread_join(t, NULL);
    if (full)
        return 12;
    if (dt < 0.05 || dt > 2)
        return 13;
    if (!ex_should_stop() || ex_stop_signal() != SIGTERM)
        return 14;
    if (ex_sleep_interruptible(5)) /* once stopped, sleeps end at once */
        return 15;
    /* SIGPIPE is ignored: writing to a closed pipe is EPIPE, not death. */
    int p[2];
    if (pipe(p) != 0)
        return 16;
    close(p[0]);
    if (write(p[1], "x", 1) != -1 || errno != EPIPE)
        return 17;
    return 0;
}

static int child_sigint(void)
{
    if (ex_signals_install() != 0)
        return 10;
    raise(SIGINT);
    return ex_should_stop() && ex_stop_signal() == SIGINT ? 0 : 11;
}

static int child_request_stop(void)
{
    ex_request_stop();
    if (!ex_should_stop() || ex_stop_signal() != -1)
        return 10;
    return ex_sleep_interruptible(1) ? 11 : 0;
}

static void run_in_child(int (*fn)(void))
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fn());
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("child failed: status 0x%x", status);
}

static void test_stop_signals(void **state)
{
    (void)state;
    run_in_child(child_sigterm_wakes_sleep);
    run_in_child(child_sigint);
    run_in_child(child_request_stop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults_apply_without_flags_or_env, clear_env),
        cmocka_unit_test_setup(test_flag_wins_over_env_wins_over_default, clear_env),
        cmocka_unit_test_setup(test_env_lists_take_the_first_non_empty, clear_env),
        cmocka_unit_test_setup(test_flag_syntax_forms, clear_env),
        cmocka_unit_test_setup(test_positional_arguments_and_double_dash, clear_env),
        cmocka_unit_test_setup(test_errors_are_one_clear_line, clear_env),
        cmocka_unit_test_setup(test_help_is_generated_from_the_table, clear_env),
        cmocka_unit_test_setup(test_exit_codes_in_a_child, clear_env),
        cmocka_unit_test(test_durations_every_form),
        cmocka_unit_test(test_bool_values),
        cmocka_unit_test(test_listen_addresses),
        cmocka_unit_test(test_rfc3339_valid_vectors),
        cmocka_unit_test(test_rfc3339_invalid_vectors),
        cmocka_unit_test(test_rfc3339_zone_optional),
        cmocka_unit_test(test_rfc3339_format),
        cmocka_unit_test(test_log_line_format),
        cmocka_unit_test(test_log_json_format),
        cmocka_unit_test(test_log_lines_from_threads_stay_whole),
        cmocka_unit_test(test_sleep_runs_its_full_time),
        cmocka_unit_test(test_stop_signals),
    };
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
