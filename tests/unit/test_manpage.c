/*
 * The man page and the environment file an installed exporter ships,
 * written from its flag table (examples/common/manpage.c: --help-man,
 * --help-env): every flag and variable present, roff escaped so that no
 * text becomes a request, values quoted as systemd's EnvironmentFile=
 * reads them. tests/check_exporter_install.sh renders the real pages with
 * man(1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ------------------------------------------------------------------ */
/* --help-man and --help-env                                           */
/* ------------------------------------------------------------------ */

static const char *v_url, *v_path, *v_listen;
static bool v_socket;
static double v_interval;

static ex_flag table[] = {
    {.name = "jenkins.url",
     .env = "T_URL",
     .def = "http://localhost:8080",
     .metavar = "URL",
     .help = ".Starts with a dot, has a back\\slash, µs and --web.listen-address.",
     .string = &v_url},
    {.name = "log-file",
     .env = "T_TOKEN, T_PASSWORD",
     .def = "/var/log/a b\"c",
     .help = "'Starts with a quote.",
     .string = &v_path},
    {.name = "web.listen-address",
     .alias = "listen",
     .help = "No variable of its own.",
     .string = &v_listen},
    {.name = "web.systemd-socket",
     .env = "T_SYSTEMD_SOCKET",
     .def = "false",
     .help = "Socket activation.",
     .boolean = &v_socket},
    {.name = "interval", .env = "T_INTERVAL", .help = "No default.", .duration = &v_interval},
    {0},
};

static const ex_cli cli = {
    .program = "prometheus-test-exporter",
    .version = "1.2.3",
    .summary = "Exports a test.",
    .flags = table,
};

/* What fn writes for the table, as a string (free it). */
static char *written(void (*fn)(const ex_cli *, const char *, FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fn(&cli, NULL, f);
    fclose(f);
    return buf;
}

static void expect_in(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("lacks:\n%s\nin:\n%s", want, text);
}

static void test_man_page(void **state)
{
    (void)state;
    char *man = written(ex_flags_man);
    expect_in(man, ".TH \"PROMETHEUS\\-TEST\\-EXPORTER\" 1 \"\" "
                   "\"prometheus\\-test\\-exporter 1.2.3\" \"User Commands\"\n");
    expect_in(man, ".SH NAME\nprometheus\\-test\\-exporter \\- exports a test\n");
    expect_in(man, ".SH SYNOPSIS\n.B prometheus\\-test\\-exporter\n[\\fIFLAGS\\fR]\n");
    /* Each flag: its names, value, help, variables and default. */
    expect_in(man, ".TP\n\\fB\\-\\-jenkins.url\\fR=\\fIURL\\fR\n"
                   "\\&.Starts with a dot, has a back\\eslash, \\[u00B5]s and "
                   "\\-\\-web.listen\\-address.\n"
                   "Environment: \\fBT_URL\\fR.\n"
                   "Default: \\fBhttp://localhost:8080\\fR.\n");
    expect_in(man, "\\&'Starts with a quote.\n"
                   "Environment: \\fBT_TOKEN\\fR, then \\fBT_PASSWORD\\fR.\n");
    expect_in(man, ".TP\n\\fB\\-\\-web.listen\\-address\\fR=\\fISTRING\\fR, "
                   "\\fB\\-\\-listen\\fR=\\fISTRING\\fR\n\\&No variable of its own.\n.TP\n");
    expect_in(man, ".TP\n\\fB\\-\\-[no\\-]web.systemd\\-socket\\fR\n\\&Socket activation.\n");
    expect_in(man, "\\fB\\-\\-interval\\fR=\\fIDURATION\\fR\n\\&No default.\n"
                   "Environment: \\fBT_INTERVAL\\fR.\n.TP\n");
    expect_in(man, ".SH ENVIRONMENT\n.TP\n.B T_URL\n\\&Sets \\fB\\-\\-jenkins.url\\fR.\n");
    expect_in(man, ".B T_PASSWORD\n\\&Sets \\fB\\-\\-log\\-file\\fR when the variable before "
                   "it is unset or empty.\n");
    expect_in(man, ".SH EXIT STATUS\n");
    /* No line a reader would take for a request but the page's own. */
    for (const char *line = man; *line; line = strchr(line, '\n') + 1) {
        if (*line == '.' || *line == '\'') {
            static const char *const ok[] = {".\\\"", ".TH ", ".nh\n", ".SH ",
                                             ".TP\n", ".B ",  ".PP\n"};
            bool known = false;
            for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
                known = known || strncmp(line, ok[i], strlen(ok[i])) == 0;
            if (!known)
                fail_msg("unexpected request line: %.40s", line);
        }
        if (!strchr(line, '\n'))
            break;
    }
    free(man);
}

static void test_env_file(void **state)
{
    (void)state;
    char *env = written(ex_flags_env_file);
    expect_in(env, "\nARGS=\"\"\n");
    expect_in(env, "\n# --jenkins.url: .Starts with a dot, has a back\\slash, µs and "
                   "--web.listen-address.\n#T_URL=http://localhost:8080\n");
    /* Quoted as EnvironmentFile= reads it; the second variable named. */
    expect_in(env, "\n#T_TOKEN=\"/var/log/a b\\\"c\"\n"
                   "# (T_PASSWORD is read when the variable above is unset or empty.)\n");
    expect_in(env, "\n#T_SYSTEMD_SOCKET=false\n");
    expect_in(env, "\n#T_INTERVAL=\n");
    /* A flag without a variable is only for ARGS, and said to be. */
    expect_in(env, "\n# --web.listen-address: No variable of its own. (A flag only: give it in "
                   "ARGS.)\n");
    /* No version: an upgrade finds an untouched file equal to the new one. */
    assert_null(strstr(env, "1.2.3"));
    /* Every line a comment, blank, or the one assignment. */
    for (const char *line = env; *line;) {
        const char *end = strchr(line, '\n');
        assert_non_null(end);
        if (!(line[0] == '#' || line[0] == '\n' || strncmp(line, "ARGS=\"\"\n", 8) == 0))
            fail_msg("unexpected line: %.*s", (int)(end - line), line);
        line = end + 1;
    }
    free(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_man_page),
        cmocka_unit_test(test_env_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
