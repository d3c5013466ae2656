/*
 * What an installed exporter ships beside its binary, written from the same
 * flag table as --help so the three never drift: the man page (--help-man,
 * as Prometheus' Go exporters print theirs) and the environment file its
 * systemd unit reads (--help-env), listing every variable with its default.
 */
#include "cli.h"

#include <stdint.h>
#include <string.h>

#include "promc.h"

/* ------------------------------------------------------------------ */
/* roff                                                                */
/* ------------------------------------------------------------------ */

/* Writes s as roff text: backslashes escaped, "--" and the hyphens of a
 * word that starts with '-' as minus signs (what a command line has, so a
 * copied flag works), other non-ASCII characters as \[uXXXX] (so the page
 * renders the same in every locale), control characters as spaces. */
static void roff_escape(FILE *f, const char *s, int all_minus)
{
    int in_option = all_minus; /* inside a word that started with '-' */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned c = *p;
        if (c == ' ' || c == '\t' || c == '\n')
            in_option = all_minus;
        else if (c == '-' && (p == (const unsigned char *)s || p[-1] == ' ' || p[-1] == '(' ||
                              p[-1] == '[' || p[-1] == '"' || p[-1] == '`'))
            in_option = 1;
        if (c == '\\') {
            fputs("\\e", f);
        } else if (c == '-') {
            fputs(in_option || p[1] == '-' || (p > (const unsigned char *)s && p[-1] == '-') ? "\\-"
                                                                                             : "-",
                  f);
        } else if (c < 0x20 || c == 0x7f) {
            fputc(' ', f);
        } else if (c < 0x80) {
            fputc((int)c, f);
        } else {
            /* UTF-8: decode one code point; a malformed byte is U+FFFD. */
            uint32_t cp = 0xfffd;
            int extra = c >= 0xf5 ? -1 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : -1;
            if (extra > 0) {
                uint32_t v = c & (0x3fu >> extra);
                int i = 1;
                for (; i <= extra && (p[i] & 0xc0) == 0x80; i++)
                    v = (v << 6) | (p[i] & 0x3f);
                if (i > extra) {
                    cp = v;
                    p += extra;
                }
            }
            fprintf(f, "\\[u%04X]", (unsigned)cp);
        }
    }
}

static void roff_text(FILE *f, const char *s)
{
    roff_escape(f, s, 0);
}

/* A flag's name or an environment variable's: every hyphen a minus sign. */
static void roff_option(FILE *f, const char *s)
{
    roff_escape(f, s, 1);
}

/* A text line: "\&" first, so that text starting with '.' or '\'' is never
 * taken for a request. */
static void roff_line(FILE *f, const char *s)
{
    fputs("\\&", f);
    roff_text(f, s);
    fputc('\n', f);
}

/* ------------------------------------------------------------------ */
/* The flag table                                                      */
/* ------------------------------------------------------------------ */

static int is_bool(const ex_flag *f)
{
    return f->boolean != NULL;
}

static const char *metavar(const ex_flag *f)
{
    if (f->metavar)
        return f->metavar;
    if (f->integer)
        return "INT";
    if (f->duration)
        return "DURATION";
    if (f->number)
        return "NUMBER";
    return "STRING";
}

/* Calls fn for each variable of the list env ("A,B" or "A, B"). */
static void each_env(const char *env, void (*fn)(FILE *, const char *, size_t, int, void *),
                     FILE *f, void *ctx)
{
    int index = 0;
    for (const char *p = env; p && *p;) {
        size_t n = strcspn(p, ", ");
        if (n)
            fn(f, p, n, index++, ctx);
        p += n;
        p += strspn(p, ", ");
    }
}

static void roff_flag_name(FILE *f, const ex_flag *flag, const char *name)
{
    fputs("\\fB", f);
    roff_option(f, is_bool(flag) ? "--[no-]" : "--");
    roff_option(f, name);
    fputs("\\fR", f);
    if (!is_bool(flag)) {
        fputs("=\\fI", f);
        roff_text(f, metavar(flag));
        fputs("\\fR", f);
    }
}

static void man_env_name(FILE *f, const char *name, size_t n, int index, void *ctx)
{
    (void)ctx;
    fprintf(f, "%s\\fB%.*s\\fR", index ? ", then " : "", (int)n, name);
}

static void man_env_entry(FILE *f, const char *name, size_t n, int index, void *ctx)
{
    const ex_flag *flag = ctx;
    fprintf(f, ".TP\n.B %.*s\n\\&Sets \\fB", (int)n, name);
    roff_option(f, "--");
    roff_option(f, flag->name);
    fputs("\\fR", f);
    if (index > 0)
        fputs(" when the variable before it is unset or empty", f);
    fputs(".\n", f);
}

/* ------------------------------------------------------------------ */
/* --help-man                                                          */
/* ------------------------------------------------------------------ */

void ex_flags_man(const ex_cli *cli, const char *program, FILE *f)
{
    if (!program)
        program = cli->program ? cli->program : "program";
    const char *version = cli->version ? cli->version : "unknown";
    fprintf(f, ".\\\" Written by %s --help-man from its flag table, as --help is.\n", program);
    /* The title in capitals, as man pages have it. */
    fputs(".TH \"", f);
    for (const char *p = program; *p; p++) {
        char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
        if (c == '-')
            fputs("\\-", f);
        else if (c != '"' && c != '\\' && (unsigned char)c >= 0x20)
            fputc(c, f);
    }
    fputs("\" 1 \"\" \"", f);
    roff_option(f, program);
    fputc(' ', f);
    roff_text(f, version);
    fputs("\" \"User Commands\"\n", f);
    /* No hyphenation: flag names, variables and defaults are copied as typed. */
    fputs(".nh\n", f);

    fputs(".SH NAME\n", f);
    roff_option(f, program);
    if (cli->summary) {
        /* "name \- what it does", without the sentence's final period. */
        size_t n = strlen(cli->summary);
        char what[512];
        snprintf(what, sizeof what, "%.*s", (int)(n && cli->summary[n - 1] == '.' ? n - 1 : n),
                 cli->summary);
        if (what[0] >= 'A' && what[0] <= 'Z' && !(what[1] >= 'A' && what[1] <= 'Z'))
            what[0] = (char)(what[0] - 'A' + 'a');
        fputs(" \\- ", f);
        roff_text(f, what);
    }
    fputc('\n', f);

    fputs(".SH SYNOPSIS\n.B ", f);
    roff_option(f, program);
    fputs("\n[\\fIFLAGS\\fR]", f);
    if (cli->max_args > 0) {
        fputc(' ', f);
        roff_text(f, cli->args_usage ? cli->args_usage : "[ARGS...]");
    }
    fputc('\n', f);

    fputs(".SH DESCRIPTION\n", f);
    if (cli->summary)
        roff_line(f, cli->summary);
    roff_line(f, "Every flag can also be set through the environment variable listed with it; "
                 "a flag on the command line wins over its variable, which wins over the "
                 "default. A boolean flag is given as --name or --no-name, or with a value "
                 "(true, false, 1, 0, yes, no, on, off). Durations are seconds (0.5, 15) or Go "
                 "durations (500ms, 1m30s).");
    fprintf(f, ".PP\n\\&Version %s, built on promc %s.\n", version, PROMC_VERSION_STRING);

    fputs(".SH OPTIONS\n", f);
    int nenv = 0;
    for (const ex_flag *flag = cli->flags; flag && flag->name; flag++) {
        fputs(".TP\n", f);
        roff_flag_name(f, flag, flag->name);
        if (flag->alias) {
            fputs(", ", f);
            roff_flag_name(f, flag, flag->alias);
        }
        fputc('\n', f);
        roff_line(f, flag->help ? flag->help : "");
        if (flag->env) {
            fputs("Environment: ", f);
            each_env(flag->env, man_env_name, f, NULL);
            fputs(".\n", f);
            nenv++;
        }
        if (flag->def) {
            fputs("Default: ", f);
            if (flag->def[0]) {
                fputs("\\fB", f);
                roff_text(f, flag->def);
                fputs("\\fR", f);
            } else {
                fputs("empty", f);
            }
            fputs(".\n", f);
        }
    }
    fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nShow the help and exit.\n", f);
    fputs(".TP\n\\fB\\-\\-version\\fR\nShow the version and exit.\n", f);

    if (nenv > 0) {
        fputs(".SH ENVIRONMENT\n", f);
        for (const ex_flag *flag = cli->flags; flag && flag->name; flag++)
            each_env(flag->env, man_env_entry, f, (void *)flag);
    }

    fputs(".SH EXIT STATUS\n"
          ".TP\n.B 0\nStopped by SIGINT or SIGTERM, or the help or version printed.\n"
          ".TP\n.B 1\nIt could not start, e.g. the metrics address could not be bound.\n"
          ".TP\n.B 2\nAn invalid flag, environment variable or configuration.\n",
          f);
    fflush(f);
}

/* ------------------------------------------------------------------ */
/* --help-env                                                          */
/* ------------------------------------------------------------------ */

/* A value as systemd's EnvironmentFile= reads it: bare when it is plain,
 * else in double quotes with '\\' and '"' escaped. */
static void env_value(FILE *f, const char *v)
{
    if (v[strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.,:/@%+=-")] ==
        '\0') {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '"')
            fputc('\\', f);
        fputc((unsigned char)*p < 0x20 ? ' ' : *p, f);
    }
    fputc('"', f);
}

static void env_entry(FILE *f, const char *name, size_t n, int index, void *ctx)
{
    const ex_flag *flag = ctx;
    if (index > 0) { /* read only when the first is unset: say so, once */
        fprintf(f, "# (%.*s is read when the variable above is unset or empty.)\n", (int)n, name);
        return;
    }
    fprintf(f, "\n# --%s: %s\n#%.*s=", flag->name, flag->help ? flag->help : "", (int)n, name);
    if (flag->def)
        env_value(f, flag->def);
    fputc('\n', f);
}

/* The version stays out: the file changes only when the flags do, so that
 * an upgrade finds an untouched file equal to the new one. */
void ex_flags_env_file(const ex_cli *cli, const char *program, FILE *f)
{
    if (!program)
        program = cli->program ? cli->program : "program";
    fprintf(f,
            "# Settings of %s, read by its systemd unit (EnvironmentFile=).\n"
            "# Written by %s --help-env from its flags; see %s(1) or --help.\n"
            "\n"
            "# Command-line flags, passed as $ARGS (systemd splits them at spaces):\n"
            "# ARGS=\"--log.level=debug\"\n"
            "ARGS=\"\"\n"
            "\n"
            "# Or the environment variables it reads, a flag in ARGS winning over its\n"
            "# variable. Uncomment what you change; the values shown are the defaults.\n",
            program, program, program);
    for (const ex_flag *flag = cli->flags; flag && flag->name; flag++) {
        if (flag->env)
            each_env(flag->env, env_entry, f, (void *)flag);
        else
            fprintf(f, "\n# --%s: %s (A flag only: give it in ARGS.)\n", flag->name,
                    flag->help ? flag->help : "");
    }
    fflush(f);
}
