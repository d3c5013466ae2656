/*
 * Custom collectors: every family type through the emitter (golden files in
 * both formats), every rule the emitter enforces (each refusal's code, and an
 * exposition that stays valid without the refused part), callback failure,
 * declared-name conflicts, userdata lifetime, lookups, and per-scrape calls.
 */
#include "helpers.h"

#include "promc_testutil.h"

#include <math.h>

/* ------------------------------------------------------------------ */
/* A small exposition checker                                          */
/* ------------------------------------------------------------------ */

/* Checks what a scraper relies on: every line is a HELP/TYPE/UNIT line or a
 * sample; each family is described once, before its samples, and samples
 * carry one of the names its type allows; label names are valid and unique
 * per sample, values correctly escaped UTF-8; every series appears once; OM
 * ends with exactly one "# EOF". Returns NULL or what is wrong. */
struct lint {
    char families[64][128];
    size_t nfamilies;
    char *series[512];
    size_t nseries;
};

static bool name_char(char c, bool first, bool colon)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
           (!first && c >= '0' && c <= '9');
}

static const char *const *allowed_suffixes(promc_format f, const char *type)
{
    static const char *const exact[] = {"", NULL};
    static const char *const om_counter[] = {"_total", "_created", NULL};
    static const char *const histogram[] = {"_bucket", "_sum", "_count", "_created", NULL};
    static const char *const summary[] = {"", "_sum", "_count", "_created", NULL};
    static const char *const info[] = {"_info", NULL};
    if (strcmp(type, "histogram") == 0)
        return histogram;
    if (strcmp(type, "summary") == 0)
        return summary;
    if (f == PROMC_FORMAT_OPENMETRICS && strcmp(type, "counter") == 0)
        return om_counter;
    if (f == PROMC_FORMAT_OPENMETRICS && strcmp(type, "info") == 0)
        return info;
    return exact;
}

static const char *lint_exposition(const char *s, promc_format f)
{
    static char why[2048];
    static struct lint L;
    memset(&L, 0, sizeof L);
    const char *err = NULL;
    char family[128] = "", type[256] = "";
    bool have_type = false, seen_eof = false;
    size_t len = strlen(s);
    if (len && s[len - 1] != '\n')
        return "does not end with a newline";
    if (!promc__valid_utf8(s, len))
        return "not UTF-8";
    for (const char *line = s; *line;) {
        const char *end = strchr(line, '\n');
        size_t ll = (size_t)(end - line);
        char buf[1024];
        if (ll >= sizeof buf) {
            err = "line too long for the checker";
            break;
        }
        memcpy(buf, line, ll);
        buf[ll] = '\0';
        line = end + 1;
        if (seen_eof) {
            err = "data after # EOF";
            break;
        }
        if (ll == 0) {
            err = "empty line";
            break;
        }
        if (strchr(buf, '\r')) {
            err = "CR in line";
            break;
        }
        if (buf[0] == '#') {
            char name[128], rest[256];
            if (strcmp(buf, "# EOF") == 0 && f == PROMC_FORMAT_OPENMETRICS) {
                seen_eof = true;
                continue;
            }
            if (strncmp(buf, "# HELP ", 7) != 0 && strncmp(buf, "# TYPE ", 7) != 0 &&
                strncmp(buf, "# UNIT ", 7) != 0) {
                err = "unknown comment line";
                break;
            }
            if (sscanf(buf + 7, "%127s %255[^\n]", name, rest) < 1) {
                err = "bad metadata line";
                break;
            }
            if (strcmp(name, family) != 0) {
                /* A new family: must not have been seen before. */
                for (size_t i = 0; i < L.nfamilies; i++)
                    if (strcmp(L.families[i], name) == 0) {
                        snprintf(why, sizeof why, "family %s described twice", name);
                        err = why;
                        goto done;
                    }
                if (L.nfamilies == 64) {
                    err = "too many families for the checker";
                    break;
                }
                strcpy(L.families[L.nfamilies++], name);
                strcpy(family, name);
                have_type = false;
                type[0] = '\0';
            }
            if (strncmp(buf, "# TYPE ", 7) == 0) {
                if (have_type) {
                    err = "second TYPE";
                    break;
                }
                have_type = true;
                snprintf(type, sizeof type, "%s", rest);
                static const char *const text_types[] = {"counter", "gauge",   "histogram",
                                                         "summary", "untyped", NULL};
                static const char *const om_types[] = {"counter",  "gauge", "histogram", "summary",
                                                       "stateset", "info",  "unknown",   NULL};
                const char *const *ok = f == PROMC_FORMAT_TEXT ? text_types : om_types;
                bool known = false;
                for (; *ok; ok++)
                    known |= strcmp(*ok, type) == 0;
                if (!known) {
                    err = "unknown type word";
                    break;
                }
            }
            continue;
        }
        /* A sample: name, labels, value. */
        const char *p = buf;
        if (!name_char(*p, true, true)) {
            err = "sample name";
            break;
        }
        while (name_char(*p, false, true))
            p++;
        char sname[128];
        snprintf(sname, sizeof sname, "%.*s", (int)(p - buf), buf);
        if (!have_type || strncmp(sname, family, strlen(family)) != 0) {
            snprintf(why, sizeof why, "sample %s outside its family (%s)", sname, family);
            err = why;
            break;
        }
        bool suffix_ok = false;
        for (const char *const *sx = allowed_suffixes(f, type); *sx; sx++)
            suffix_ok |= strcmp(sname + strlen(family), *sx) == 0;
        if (!suffix_ok) {
            snprintf(why, sizeof why, "sample %s not allowed in %s family %s", sname, type, family);
            err = why;
            break;
        }
        char lnames[16][64];
        size_t nl = 0;
        if (*p == '{') {
            p++;
            while (*p != '}') {
                const char *n0 = p;
                if (!name_char(*p, true, false)) {
                    err = "label name";
                    break;
                }
                while (name_char(*p, false, false))
                    p++;
                if (nl == 16 || p - n0 >= 64) {
                    err = "too many labels for the checker";
                    break;
                }
                snprintf(lnames[nl], 64, "%.*s", (int)(p - n0), n0);
                if (strncmp(lnames[nl], "__", 2) == 0) {
                    err = "reserved label name";
                    break;
                }
                for (size_t j = 0; j < nl; j++)
                    if (strcmp(lnames[j], lnames[nl]) == 0) {
                        err = "duplicate label name";
                        break;
                    }
                if (err)
                    break;
                nl++;
                if (p[0] != '=' || p[1] != '"') {
                    err = "label syntax";
                    break;
                }
                p += 2;
                while (*p && *p != '"') {
                    if (*p == '\\') {
                        if (p[1] != '\\' && p[1] != '"' && p[1] != 'n') {
                            err = "bad escape";
                            break;
                        }
                        p++;
                    }
                    p++;
                }
                if (err)
                    break;
                if (*p != '"') {
                    err = "unterminated label value";
                    break;
                }
                p++;
                if (*p == ',')
                    p++;
                else if (*p != '}') {
                    err = "label separator";
                    break;
                }
            }
            if (err)
                break;
            p++;
        }
        if (*p != ' ') {
            err = "no space before value";
            break;
        }
        p++;
        char *vend;
        strtod(p, &vend);
        if (vend == p || *vend != '\0') {
            snprintf(why, sizeof why, "bad value in \"%s\"", buf);
            err = why;
            break;
        }
        /* The series: everything before the value. */
        size_t klen = (size_t)(p - 1 - buf);
        for (size_t i = 0; i < L.nseries; i++)
            if (strlen(L.series[i]) == klen && memcmp(L.series[i], buf, klen) == 0) {
                snprintf(why, sizeof why, "series %.*s twice", (int)klen, buf);
                err = why;
                goto done;
            }
        if (L.nseries == 512) {
            err = "too many series for the checker";
            break;
        }
        L.series[L.nseries] = malloc(klen + 1);
        memcpy(L.series[L.nseries], buf, klen);
        L.series[L.nseries++][klen] = '\0';
    }
done:
    for (size_t j = 0; j < L.nseries; j++)
        free(L.series[j]);
    if (err)
        return err;
    if (f == PROMC_FORMAT_OPENMETRICS && !seen_eof)
        return "no # EOF";
    return NULL;
}

/* Renders reg in format f, checks it and returns it (free with promc_free). */
static char *render_valid(promc_registry *reg, promc_format f)
{
    char *s = test_render(reg, f);
    const char *why = lint_exposition(s, f);
    if (why) {
        fprintf(stderr, "--- invalid exposition:\n%s---\n", s);
        fail_msg("invalid %s exposition: %s", f == PROMC_FORMAT_TEXT ? "text" : "OpenMetrics", why);
    }
    return s;
}

/* Renders reg in format f through promc_encode, which must fail with want
 * (a collector's error) after writing every valid family: checks that the
 * output is a valid exposition and returns it (free with promc_free). */
static char *render_failing(promc_registry *reg, promc_format f, int want)
{
    struct promc__buf b = {0};
    int rc = promc_encode(reg, f, promc__buf_writer, &b);
    if (rc != want)
        fail_msg("promc_encode returned %s, want %s (%s)", promc_errname(rc), promc_errname(want),
                 promc_last_error());
    assert_int_equal(promc_last_error_code(), want);
    assert_non_null(b.p);
    const char *why = lint_exposition(b.p, f);
    if (why) {
        fprintf(stderr, "--- invalid exposition:\n%s---\n", b.p);
        fail_msg("invalid %s exposition: %s", f == PROMC_FORMAT_TEXT ? "text" : "OpenMetrics", why);
    }
    return b.p;
}

static void reset_error(void)
{
    promc__ok();
}

/* ------------------------------------------------------------------ */
/* The everything collector (golden files)                             */
/* ------------------------------------------------------------------ */

struct calls {
    int n;
};

static int collect_all_types(promc_emitter *e, void *ud)
{
    struct calls *c = ud;
    if (c)
        c->n++;
    /* Gauge with a different label set per sample (the Prow exporter). */
    assert_int_equal(
        promc_emit_family(e, "prowjob_state", "Prow jobs by state.", PROMC_GAUGE, NULL), PROMC_OK);
    promc_label s1[] = {{"job", "unit"}, {"state", "success"}};
    promc_label s2[] = {{"job", "e2e"}, {"state", "failure"}, {"cluster", "build01"}};
    promc_label s3[] = {{"type", "periodic"}};
    assert_int_equal(promc_emit_sample(e, s1, 2, 3), PROMC_OK);
    assert_int_equal(promc_emit_sample(e, s2, 3, 1), PROMC_OK);
    assert_int_equal(promc_emit_sample(e, s3, 1, 0.5), PROMC_OK);
    assert_int_equal(promc_emit_sample(e, NULL, 0, -2), PROMC_OK);

    /* A help text with every character that needs escaping somewhere. */
    assert_int_equal(promc_emit_family(e, "temperature_celsius",
                                       "Line one.\nSays \"hi\" with a \\ backslash.", PROMC_GAUGE,
                                       "celsius"),
                     PROMC_OK);
    promc_label room[] = {{"room", "a\\b \"c\"\nd"}};
    assert_int_equal(promc_emit_sample(e, room, 1, 21.5), PROMC_OK);

    /* Counters, named without and with _total: samples <base>_total. */
    assert_int_equal(promc_emit_family(e, "jobs_started", "Jobs started.", PROMC_COUNTER, NULL),
                     PROMC_OK);
    promc_label pre[] = {{"kind", "presubmit"}};
    promc_label per[] = {{"kind", "periodic"}};
    assert_int_equal(promc_emit_sample(e, pre, 1, 10), PROMC_OK);
    assert_int_equal(promc_emit_sample(e, per, 1, 2.5), PROMC_OK);
    assert_int_equal(
        promc_emit_family(e, "jobs_finished_total", "Jobs finished.", PROMC_COUNTER, NULL),
        PROMC_OK);
    assert_int_equal(promc_emit_sample(e, NULL, 0, 4), PROMC_OK);
    assert_int_equal(
        promc_emit_family(e, "busy_seconds_total", "Busy time.", PROMC_COUNTER, "seconds"),
        PROMC_OK);
    assert_int_equal(promc_emit_sample(e, NULL, 0, 0.25), PROMC_OK);

    /* Untyped. */
    assert_int_equal(promc_emit_family(e, "legacy_value", "Legacy.", PROMC_UNTYPED, NULL),
                     PROMC_OK);
    assert_int_equal(promc_emit_sample(e, NULL, 0, 42), PROMC_OK);
    promc_label odd[] = {{"k", "nan"}};
    assert_int_equal(promc_emit_sample(e, odd, 1, NAN), PROMC_OK);

    /* Info, named without and with _info; the value is ignored. */
    assert_int_equal(promc_emit_family(e, "exporter_build", "Build.", PROMC_INFO, NULL), PROMC_OK);
    promc_label build[] = {{"version", "1.2.3"}, {"revision", "abc\"def"}};
    assert_int_equal(promc_emit_sample(e, build, 2, 99), PROMC_OK);
    assert_int_equal(promc_emit_family(e, "target_info", "Target.", PROMC_INFO, NULL), PROMC_OK);
    promc_label target[] = {{"env", "prod"}};
    assert_int_equal(promc_emit_sample(e, target, 1, 0), PROMC_OK);

    /* Stateset. */
    assert_int_equal(promc_emit_family(e, "job_phase", "Phase.", PROMC_STATESET, NULL), PROMC_OK);
    static const char *const phases[] = {"pending", "running", "done"};
    promc_label ja[] = {{"job", "a"}};
    promc_label jb[] = {{"job", "b"}};
    assert_int_equal(promc_emit_stateset(e, ja, 1, phases, 3, 1), PROMC_OK);
    assert_int_equal(promc_emit_stateset(e, jb, 1, phases, 3, 2), PROMC_OK);

    /* Histograms: with bounds, and with only the implied +Inf. */
    assert_int_equal(promc_emit_family(e, "req_duration_seconds", "Request duration.",
                                       PROMC_HISTOGRAM, "seconds"),
                     PROMC_OK);
    static const double bounds[] = {0.1, 0.5, 1};
    static const uint64_t cumulative[] = {1, 3, 4};
    promc_label path[] = {{"path", "/x"}};
    assert_int_equal(promc_emit_histogram(e, path, 1, bounds, cumulative, 3, 5, 3.25), PROMC_OK);
    assert_int_equal(promc_emit_histogram(e, NULL, 0, NULL, NULL, 0, 2, 7), PROMC_OK);

    /* Summaries: with quantiles, and without. */
    assert_int_equal(
        promc_emit_family(e, "rpc_latency_seconds", "RPC latency.", PROMC_SUMMARY, "seconds"),
        PROMC_OK);
    static const double qs[] = {0.5, 0.9, 0.99};
    static const double qv[] = {0.2, 0.7, 1.125};
    promc_label svc[] = {{"service", "api"}};
    assert_int_equal(promc_emit_summary(e, svc, 1, qs, qv, 3, 10, 5.5), PROMC_OK);
    promc_label svc2[] = {{"service", "db"}};
    assert_int_equal(promc_emit_summary(e, svc2, 1, NULL, NULL, 0, 0, 0), PROMC_OK);
    return 0;
}

static void collector_all_types_match_golden_files(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_metric *m = promc_collector_new(reg, collect_all_types, NULL, NULL, NULL);
    assert_non_null(m);
    char *text = render_valid(reg, PROMC_FORMAT_TEXT);
    test_golden("collector.txt", text);
    promc_free(text);
    char *om = render_valid(reg, PROMC_FORMAT_OPENMETRICS);
    test_golden("collector.om", om);
    promc_free(om);
    test_golden_protobuf(reg, "collector.pb");
    promc_metric_free(m);
    promc_registry_free(reg);
}

static void collector_samples_are_found_by_get_sample_value(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_metric *m = promc_collector_new(reg, collect_all_types, NULL, NULL, NULL);
    promc_label s1[] = {{"state", "success"}, {"job", "unit"}}; /* any order */
    assert_true(test_value(reg, "prowjob_state", s1, 2) == 3);
    assert_true(test_value(reg, "prowjob_state", NULL, 0) == -2);
    promc_label pre[] = {{"kind", "presubmit"}};
    assert_true(test_value(reg, "jobs_started_total", pre, 1) == 10);
    assert_true(test_value(reg, "jobs_finished_total", NULL, 0) == 4);
    promc_label build[] = {{"revision", "abc\"def"}, {"version", "1.2.3"}};
    assert_true(test_value(reg, "exporter_build_info", build, 2) == 1);
    promc_label run[] = {{"job", "a"}, {"job_phase", "running"}};
    assert_true(test_value(reg, "job_phase", run, 2) == 1);
    promc_label done[] = {{"job", "a"}, {"job_phase", "done"}};
    assert_true(test_value(reg, "job_phase", done, 2) == 0);
    promc_label b05[] = {{"path", "/x"}, {"le", "0.5"}};
    assert_true(test_value(reg, "req_duration_seconds_bucket", b05, 2) == 3);
    promc_label binf[] = {{"path", "/x"}, {"le", "+Inf"}};
    assert_true(test_value(reg, "req_duration_seconds_bucket", binf, 2) == 5);
    promc_label path[] = {{"path", "/x"}};
    assert_true(test_value(reg, "req_duration_seconds_sum", path, 1) == 3.25);
    assert_true(test_value(reg, "req_duration_seconds_count", path, 1) == 5);
    promc_label q9[] = {{"service", "api"}, {"quantile", "0.9"}};
    assert_true(test_value(reg, "rpc_latency_seconds", q9, 2) == 0.7);
    promc_label room[] = {{"room", "a\\b \"c\"\nd"}};
    assert_true(test_value(reg, "temperature_celsius", room, 1) == 21.5);

    double v;
    assert_int_equal(promc_registry_get_sample_value(reg, "jobs_started", pre, 1, &v),
                     PROMC_ENOENT);
    assert_int_equal(promc_registry_get_sample_value(reg, "prowjob_state", s1, 1, &v),
                     PROMC_ENOENT);
    promc_metric_free(m);
    promc_registry_free(reg);
}

static void collector_runs_on_every_scrape(void **state)
{
    (void)state;
    struct calls calls = {0};
    promc_registry *reg = promc_registry_new();
    promc_metric *m = promc_collector_new(reg, collect_all_types, &calls, NULL, NULL);
    assert_int_equal(calls.n, 0); /* not at creation */
    for (int i = 1; i <= 3; i++) {
        promc_free(test_render(reg, i % 2 ? PROMC_FORMAT_TEXT : PROMC_FORMAT_OPENMETRICS));
        assert_int_equal(calls.n, i);
    }
    (void)test_value(reg, "jobs_finished_total", NULL, 0);
    assert_int_equal(calls.n, 4);
    /* Unregistered: no longer called. */
    assert_int_equal(promc_registry_unregister(reg, m), PROMC_OK);
    promc_free(test_render(reg, PROMC_FORMAT_TEXT));
    assert_int_equal(calls.n, 4);
    promc_metric_free(m);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ */
/* What the emitter refuses                                            */
/* ------------------------------------------------------------------ */

enum { MAXR = 128 };

struct rejections {
    int rc[MAXR];
    int want[MAXR];
    int line[MAXR];
    size_t n;
};

#define EXPECT(rs, code, call)                                                                     \
    do {                                                                                           \
        assert_true((rs)->n < MAXR);                                                               \
        (rs)->rc[(rs)->n] = (call);                                                                \
        (rs)->want[(rs)->n] = (code);                                                              \
        (rs)->line[(rs)->n] = __LINE__;                                                            \
        (rs)->n++;                                                                                 \
    } while (0)

static int collect_bad(promc_emitter *e, void *ud)
{
    struct rejections *r = ud;
    r->n = 0;
    promc_label ok[] = {{"a", "ok"}};

    EXPECT(r, PROMC_ESTATE, promc_emit_sample(e, ok, 1, 1)); /* before any family */
    EXPECT(r, PROMC_EINVAL, promc_emit_family(e, "1bad", "Help.", PROMC_GAUGE, NULL));
    EXPECT(r, PROMC_ESTATE, promc_emit_sample(e, ok, 1, 1)); /* after a rejected family */
    EXPECT(r, PROMC_EINVAL, promc_emit_family(e, "a-b", "Help.", PROMC_GAUGE, NULL));
    EXPECT(r, PROMC_EINVAL, promc_emit_family(e, "", "Help.", PROMC_GAUGE, NULL));
    EXPECT(r, PROMC_EINVAL, promc_emit_family(e, NULL, "Help.", PROMC_GAUGE, NULL));
    EXPECT(r, PROMC_EINVAL, promc_emit_family(e, "nohelp", NULL, PROMC_GAUGE, NULL));
    EXPECT(r, PROMC_ESTATE, promc_emit_sample(e, NULL, 0, 1));
    EXPECT(r, PROMC_EINVAL, promc_emit_family(e, "badtype", "Help.", (promc_type)42, NULL));
    EXPECT(r, PROMC_EINVAL, promc_emit_family(e, "x_bytes", "Help.", PROMC_GAUGE, "seconds"));
    EXPECT(r, PROMC_EINVAL, promc_emit_family(e, "i_info", "Help.", PROMC_INFO, "info"));
    EXPECT(r, PROMC_EINVAL, promc_emit_family(e, "st:ate", "Help.", PROMC_STATESET, NULL));

    /* An empty help is allowed, as in the formats and the other clients. */
    EXPECT(r, PROMC_OK, promc_emit_family(e, "emptyhelp", "", PROMC_GAUGE, NULL));
    EXPECT(r, PROMC_OK, promc_emit_sample(e, NULL, 0, 2));

    /* Labels of a sample. */
    EXPECT(r, PROMC_OK, promc_emit_family(e, "good_g", "Good gauge.", PROMC_GAUGE, NULL));
    promc_label badname[] = {{"1x", "v"}};
    promc_label colon[] = {{"a:b", "v"}};
    promc_label reserved[] = {{"__x", "v"}};
    promc_label dup[] = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
    promc_label utf8[] = {{"a", "\xff"}};
    promc_label overlong[] = {{"a", "\xc0\xaf"}};
    promc_label nullv[] = {{"a", NULL}};
    promc_label nulln[] = {{NULL, "v"}};
    EXPECT(r, PROMC_EINVAL, promc_emit_sample(e, badname, 1, 1));
    EXPECT(r, PROMC_EINVAL, promc_emit_sample(e, colon, 1, 1));
    EXPECT(r, PROMC_EINVAL, promc_emit_sample(e, reserved, 1, 1));
    EXPECT(r, PROMC_EINVAL, promc_emit_sample(e, dup, 3, 1));
    EXPECT(r, PROMC_EINVAL, promc_emit_sample(e, utf8, 1, 1));
    EXPECT(r, PROMC_EINVAL, promc_emit_sample(e, overlong, 1, 1));
    EXPECT(r, PROMC_EINVAL, promc_emit_sample(e, nullv, 1, 1));
    EXPECT(r, PROMC_EINVAL, promc_emit_sample(e, nulln, 1, 1));
    EXPECT(r, PROMC_EINVAL, promc_emit_sample(e, NULL, 2, 1));
    EXPECT(r, PROMC_OK, promc_emit_sample(e, ok, 1, 1));
    /* A gauge family takes no histogram, summary or stateset series. */
    EXPECT(r, PROMC_ESTATE, promc_emit_histogram(e, NULL, 0, NULL, NULL, 0, 0, 0));
    EXPECT(r, PROMC_ESTATE, promc_emit_summary(e, NULL, 0, NULL, NULL, 0, 0, 0));
    static const char *const st[] = {"x", "y"};
    EXPECT(r, PROMC_ESTATE, promc_emit_stateset(e, NULL, 0, st, 2, 0));

    /* Histogram rules. */
    EXPECT(r, PROMC_OK, promc_emit_family(e, "good_h", "Good histogram.", PROMC_HISTOGRAM, NULL));
    static const double b[] = {1, 2};
    static const double bdown[] = {2, 1};
    static const double binf[] = {1, INFINITY};
    static const uint64_t cum[] = {1, 2};
    static const uint64_t cumdown[] = {2, 1};
    promc_label le[] = {{"le", "1"}};
    EXPECT(r, PROMC_EINVAL, promc_emit_histogram(e, le, 1, b, cum, 2, 3, 1));
    EXPECT(r, PROMC_EINVAL, promc_emit_histogram(e, NULL, 0, bdown, cum, 2, 3, 1));
    EXPECT(r, PROMC_EINVAL, promc_emit_histogram(e, NULL, 0, binf, cum, 2, 3, 1));
    EXPECT(r, PROMC_EINVAL, promc_emit_histogram(e, NULL, 0, b, cumdown, 2, 3, 1));
    EXPECT(r, PROMC_EINVAL, promc_emit_histogram(e, NULL, 0, b, cum, 2, 1, 1)); /* > count */
    EXPECT(r, PROMC_EINVAL, promc_emit_histogram(e, NULL, 0, NULL, cum, 2, 3, 1));
    EXPECT(r, PROMC_ESTATE, promc_emit_sample(e, NULL, 0, 1));
    EXPECT(r, PROMC_OK, promc_emit_histogram(e, ok, 1, b, cum, 2, 3, 1.5));

    /* Summary rules. */
    EXPECT(r, PROMC_OK, promc_emit_family(e, "good_s", "Good summary.", PROMC_SUMMARY, NULL));
    static const double q[] = {0.5, 0.9};
    static const double qdown[] = {0.9, 0.5};
    static const double qbig[] = {0.5, 1.5};
    static const double qv[] = {1, 2};
    promc_label quantile[] = {{"quantile", "0.5"}};
    EXPECT(r, PROMC_EINVAL, promc_emit_summary(e, quantile, 1, q, qv, 2, 3, 1));
    EXPECT(r, PROMC_EINVAL, promc_emit_summary(e, NULL, 0, qdown, qv, 2, 3, 1));
    EXPECT(r, PROMC_EINVAL, promc_emit_summary(e, NULL, 0, qbig, qv, 2, 3, 1));
    EXPECT(r, PROMC_OK, promc_emit_summary(e, ok, 1, q, qv, 2, 3, 1.5));

    /* Stateset rules. */
    EXPECT(r, PROMC_OK, promc_emit_family(e, "good_state", "Good stateset.", PROMC_STATESET, NULL));
    promc_label own[] = {{"good_state", "x"}};
    static const char *const dupst[] = {"x", "x"};
    static const char *const emptyst[] = {"x", ""};
    static const char *const badst[] = {"x", "\xff"};
    EXPECT(r, PROMC_EINVAL, promc_emit_stateset(e, own, 1, st, 2, 0));
    EXPECT(r, PROMC_EINVAL, promc_emit_stateset(e, NULL, 0, dupst, 2, 0));
    EXPECT(r, PROMC_EINVAL, promc_emit_stateset(e, NULL, 0, emptyst, 2, 0));
    EXPECT(r, PROMC_EINVAL, promc_emit_stateset(e, NULL, 0, badst, 2, 0));
    EXPECT(r, PROMC_EINVAL, promc_emit_stateset(e, NULL, 0, st, 2, 2));
    EXPECT(r, PROMC_EINVAL, promc_emit_stateset(e, NULL, 0, st, 0, 0));
    EXPECT(r, PROMC_OK, promc_emit_stateset(e, ok, 1, st, 2, 1));

    /* Counter values. */
    EXPECT(r, PROMC_OK, promc_emit_family(e, "good_c", "Good counter.", PROMC_COUNTER, NULL));
    EXPECT(r, PROMC_EINVAL, promc_emit_sample(e, NULL, 0, -1));
    EXPECT(r, PROMC_EINVAL, promc_emit_sample(e, NULL, 0, NAN));
    EXPECT(r, PROMC_EINVAL, promc_emit_sample(e, NULL, 0, -INFINITY));
    EXPECT(r, PROMC_OK, promc_emit_sample(e, ok, 1, 5));

    /* A family twice in one collect (also through the _total fold). */
    EXPECT(r, PROMC_EEXIST, promc_emit_family(e, "good_g", "Again.", PROMC_GAUGE, NULL));
    EXPECT(r, PROMC_ESTATE, promc_emit_sample(e, NULL, 0, 7));
    EXPECT(r, PROMC_EEXIST, promc_emit_family(e, "good_c_total", "Again.", PROMC_COUNTER, NULL));
    EXPECT(r, PROMC_EEXIST, promc_emit_family(e, "good_h", "Again.", PROMC_SUMMARY, NULL));

    /* Sample names a registered metric emits (counter "foo": foo_total, foo_created). */
    EXPECT(r, PROMC_EEXIST, promc_emit_family(e, "foo_total", "Clash.", PROMC_GAUGE, NULL));
    EXPECT(r, PROMC_ESTATE, promc_emit_sample(e, NULL, 0, 8));
    EXPECT(r, PROMC_EEXIST, promc_emit_family(e, "foo", "Clash.", PROMC_GAUGE, NULL));
    EXPECT(r, PROMC_EEXIST, promc_emit_family(e, "foo_created", "Clash.", PROMC_GAUGE, NULL));
    EXPECT(r, PROMC_EEXIST, promc_emit_family(e, "foo", "Clash.", PROMC_COUNTER, NULL));
    /* ... and the other way round: histogram "hist" emits hist_bucket. */
    EXPECT(r, PROMC_EEXIST, promc_emit_family(e, "hist_bucket", "Clash.", PROMC_GAUGE, NULL));
    EXPECT(r, PROMC_EEXIST, promc_emit_family(e, "hist", "Clash.", PROMC_SUMMARY, NULL));

    /* Still usable after all that. */
    EXPECT(r, PROMC_OK, promc_emit_family(e, "last", "Last.", PROMC_GAUGE, NULL));
    EXPECT(r, PROMC_OK, promc_emit_sample(e, NULL, 0, 9));
    return 0;
}

/* NULL when every call returned what it should, else the first mismatch. */
static const char *rejection_mismatch(const struct rejections *r)
{
    static char why[128];
    for (size_t i = 0; i < r->n; i++)
        if (r->rc[i] != r->want[i]) {
            snprintf(why, sizeof why, "line %d: got %s, want %s", r->line[i],
                     promc_errname(r->rc[i]), promc_errname(r->want[i]));
            return why;
        }
    return NULL;
}

static void check_rejections(const struct rejections *r)
{
    const char *why = rejection_mismatch(r);
    if (why)
        fail_msg("%s", why);
}

static void emitter_refusals_keep_exposition_valid(void **state)
{
    (void)state;
    test_pin_clock();
    struct rejections r = {{0}, {0}, {0}, 0};
    promc_registry *reg = promc_registry_new();
    promc_counter *foo = promc_counter_new(reg, "foo", "Registered counter.", NULL);
    promc_histogram *hist = promc_histogram_new(reg, "hist", "Registered histogram.", NULL);
    promc_metric *m = promc_collector_new(reg, collect_bad, &r, NULL, NULL);
    assert_non_null(m);

    /* Every refusal fails the scrape with the first one's error (a sample
     * before any family), after writing every valid family. */
    char *text = render_failing(reg, PROMC_FORMAT_TEXT, PROMC_ESTATE);
    check_rejections(&r);
    assert_non_null(strstr(promc_last_error(), "sample outside a valid family"));
    char *om = render_failing(reg, PROMC_FORMAT_OPENMETRICS, PROMC_ESTATE);
    check_rejections(&r);
    /* The text exposition is exactly the accepted families (in any order),
     * as the registered metrics and the collector left them: every refused
     * family and sample absent, none written twice. */
    char *diff = NULL;
    int same = promc_text_compare("# HELP foo_total Registered counter.\n"
                                  "# TYPE foo_total counter\n"
                                  "foo_total 0\n"
                                  "# HELP hist Registered histogram.\n"
                                  "# TYPE hist histogram\n"
                                  "hist_bucket{le=\"0.005\"} 0\n"
                                  "hist_bucket{le=\"0.01\"} 0\n"
                                  "hist_bucket{le=\"0.025\"} 0\n"
                                  "hist_bucket{le=\"0.05\"} 0\n"
                                  "hist_bucket{le=\"0.075\"} 0\n"
                                  "hist_bucket{le=\"0.1\"} 0\n"
                                  "hist_bucket{le=\"0.25\"} 0\n"
                                  "hist_bucket{le=\"0.5\"} 0\n"
                                  "hist_bucket{le=\"0.75\"} 0\n"
                                  "hist_bucket{le=\"1\"} 0\n"
                                  "hist_bucket{le=\"2.5\"} 0\n"
                                  "hist_bucket{le=\"5\"} 0\n"
                                  "hist_bucket{le=\"7.5\"} 0\n"
                                  "hist_bucket{le=\"10\"} 0\n"
                                  "hist_bucket{le=\"+Inf\"} 0\n"
                                  "hist_sum 0\n"
                                  "hist_count 0\n"
                                  "# HELP emptyhelp \n"
                                  "# TYPE emptyhelp gauge\n"
                                  "emptyhelp 2\n"
                                  "# HELP good_g Good gauge.\n"
                                  "# TYPE good_g gauge\n"
                                  "good_g{a=\"ok\"} 1\n"
                                  "# HELP good_h Good histogram.\n"
                                  "# TYPE good_h histogram\n"
                                  "good_h_bucket{a=\"ok\",le=\"1\"} 1\n"
                                  "good_h_bucket{a=\"ok\",le=\"2\"} 2\n"
                                  "good_h_bucket{a=\"ok\",le=\"+Inf\"} 3\n"
                                  "good_h_sum{a=\"ok\"} 1.5\n"
                                  "good_h_count{a=\"ok\"} 3\n"
                                  "# HELP good_s Good summary.\n"
                                  "# TYPE good_s summary\n"
                                  "good_s{a=\"ok\",quantile=\"0.5\"} 1\n"
                                  "good_s{a=\"ok\",quantile=\"0.9\"} 2\n"
                                  "good_s_sum{a=\"ok\"} 1.5\n"
                                  "good_s_count{a=\"ok\"} 3\n"
                                  "# HELP good_state Good stateset.\n"
                                  "# TYPE good_state gauge\n"
                                  "good_state{a=\"ok\",good_state=\"x\"} 0\n"
                                  "good_state{a=\"ok\",good_state=\"y\"} 1\n"
                                  "# HELP good_c_total Good counter.\n"
                                  "# TYPE good_c_total counter\n"
                                  "good_c_total{a=\"ok\"} 5\n"
                                  "# HELP last Last.\n"
                                  "# TYPE last gauge\n"
                                  "last 9\n",
                                  text, NULL, &diff);
    if (same != PROMC_OK)
        fail_msg("text exposition: %s", diff ? diff : promc_last_error());
    /* The same in OpenMetrics: refused families and samples absent ... */
    assert_null(strstr(om, "1bad"));
    assert_null(strstr(om, "nohelp"));
    assert_null(strstr(om, "badtype"));
    assert_null(strstr(om, "x_bytes"));
    assert_null(strstr(om, "st:ate"));
    assert_null(strstr(om, "Again."));
    assert_null(strstr(om, "Clash."));
    assert_null(strstr(om, "__x"));
    assert_null(strstr(om, "1x"));
    assert_null(strstr(om, "a:b"));
    assert_null(strstr(om, "{quantile=\"0.5\",quantile"));
    assert_null(strstr(om, "good_h_bucket{le="));
    assert_null(strstr(om, "good_state=\"x\",good_state"));
    assert_null(strstr(om, "\xff"));
    /* ... and the accepted ones present, as is the registered counter. */
    assert_non_null(strstr(om, "good_g{a=\"ok\"} 1"));
    assert_non_null(strstr(om, "good_c_total{a=\"ok\"} 5"));
    assert_non_null(strstr(om, "good_h_count{a=\"ok\"} 3\n"));
    assert_non_null(strstr(om, "good_s_count{a=\"ok\"} 3\n"));
    assert_non_null(strstr(om, "good_state{a=\"ok\",good_state=\"y\"} 1\n"));
    assert_non_null(strstr(om, "\nfoo_total 0\n"));
    assert_non_null(strstr(om, "\nlast 9"));
    assert_non_null(strstr(om, "\nemptyhelp 2"));
    /* An empty HELP is written as "# HELP name " in both formats. */
    assert_non_null(strstr(text, "# HELP emptyhelp \n"));
    assert_non_null(strstr(om, "# HELP emptyhelp \n"));
    promc_free(text);
    promc_free(om);
    promc_metric_free(m);
    promc_counter_free(foo);
    promc_histogram_free(hist);
    promc_registry_free(reg);
}

/* The message of a refusal names the offender. */
static int collect_messages(promc_emitter *e, void *ud)
{
    (void)ud;
    assert_int_equal(promc_emit_family(e, "1bad", "Help.", PROMC_GAUGE, NULL), PROMC_EINVAL);
    assert_non_null(strstr(promc_last_error(), "\"1bad\""));
    assert_int_equal(promc_emit_family(e, "foo_total", "Help.", PROMC_GAUGE, NULL), PROMC_EEXIST);
    assert_non_null(strstr(promc_last_error(), "\"foo_total\""));
    assert_non_null(strstr(promc_last_error(), "\"foo\""));
    assert_int_equal(promc_emit_family(e, "g", "Help.", PROMC_GAUGE, NULL), PROMC_OK);
    promc_label bad[] = {{"__reserved", "v"}};
    assert_int_equal(promc_emit_sample(e, bad, 1, 1), PROMC_EINVAL);
    assert_non_null(strstr(promc_last_error(), "\"__reserved\""));
    return 0;
}

static void emitter_refusal_messages_name_the_offender(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter *foo = promc_counter_new(reg, "foo", "Registered counter.", NULL);
    promc_metric *m = promc_collector_new(reg, collect_messages, NULL, NULL, NULL);
    /* The scrape reports the first refusal, with its message. */
    promc_free(render_failing(reg, PROMC_FORMAT_TEXT, PROMC_EINVAL));
    assert_non_null(strstr(promc_last_error(), "\"1bad\""));
    promc_metric_free(m);
    promc_counter_free(foo);
    promc_registry_free(reg);
}

/* Families of one collect whose sample names collide although their family
 * names differ: gauge "dup_total" vs counter "dup" (both write dup_total),
 * info "tool" vs gauge "tool_info", histogram "h" vs gauge "h_count". */
static int collect_colliding_names(promc_emitter *e, void *ud)
{
    struct rejections *r = ud;
    r->n = 0;
    EXPECT(r, PROMC_OK, promc_emit_family(e, "dup_total", "Gauge.", PROMC_GAUGE, NULL));
    EXPECT(r, PROMC_OK, promc_emit_sample(e, NULL, 0, 1));
    EXPECT(r, PROMC_EEXIST, promc_emit_family(e, "dup", "Counter.", PROMC_COUNTER, NULL));
    promc_emit_sample(e, NULL, 0, 2);
    EXPECT(r, PROMC_OK, promc_emit_family(e, "tool", "Info.", PROMC_INFO, NULL));
    promc_label v[] = {{"v", "1"}};
    EXPECT(r, PROMC_OK, promc_emit_sample(e, v, 1, 1));
    EXPECT(r, PROMC_EEXIST, promc_emit_family(e, "tool_info", "Gauge.", PROMC_GAUGE, NULL));
    promc_emit_sample(e, v, 1, 3);
    EXPECT(r, PROMC_OK, promc_emit_family(e, "h", "Histogram.", PROMC_HISTOGRAM, NULL));
    EXPECT(r, PROMC_OK, promc_emit_histogram(e, NULL, 0, NULL, NULL, 0, 1, 1));
    EXPECT(r, PROMC_EEXIST, promc_emit_family(e, "h_count", "Gauge.", PROMC_GAUGE, NULL));
    promc_emit_sample(e, NULL, 0, 4);
    return 0;
}

static void emitter_refuses_sample_names_of_an_earlier_family(void **state)
{
    (void)state;
    struct rejections r = {{0}, {0}, {0}, 0};
    promc_registry *reg = promc_registry_new();
    promc_metric *m = promc_collector_new(reg, collect_colliding_names, &r, NULL, NULL);
    char *text = render_failing(reg, PROMC_FORMAT_TEXT, PROMC_EEXIST);
    promc_free(text);
    const char *mismatch = rejection_mismatch(&r);
    promc_metric_free(m);
    promc_registry_free(reg);
    if (mismatch)
        fail_msg("%s", mismatch);
}

/* ------------------------------------------------------------------ */
/* Callback failure                                                    */
/* ------------------------------------------------------------------ */

static int collect_fails(promc_emitter *e, void *ud)
{
    (void)ud;
    promc_emit_family(e, "partial", "Partial.", PROMC_GAUGE, NULL);
    promc_emit_sample(e, NULL, 0, 1);
    return 1;
}

struct sink {
    size_t bytes;
};

static int sink_write(void *ctx, const char *data, size_t len)
{
    (void)data;
    ((struct sink *)ctx)->bytes += len;
    return 0;
}

static void failing_callback_makes_encode_return_eio(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_gauge *g = promc_gauge_new(reg, "before", "Before.", NULL);
    promc_metric *m = promc_collector_new(reg, collect_fails, NULL, NULL, NULL);
    struct sink sink = {0};
    reset_error();
    assert_int_equal(promc_encode(reg, PROMC_FORMAT_TEXT, sink_write, &sink), PROMC_EIO);
    assert_int_equal(promc_last_error_code(), PROMC_EIO);
    reset_error();
    assert_int_equal(promc_encode(reg, PROMC_FORMAT_OPENMETRICS, sink_write, &sink), PROMC_EIO);
    assert_int_equal(promc_last_error_code(), PROMC_EIO);
    double v;
    assert_int_equal(promc_registry_get_sample_value(reg, "before", NULL, 0, &v), PROMC_EIO);
    promc_metric_free(m);
    promc_gauge_free(g);
    promc_registry_free(reg);
}

static void failing_callback_makes_encode_buffer_report_eio(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_metric *m = promc_collector_new(reg, collect_fails, NULL, NULL, NULL);
    reset_error();
    size_t len = 123;
    assert_null(promc_encode_buffer(reg, PROMC_FORMAT_TEXT, &len));
    int code = promc_last_error_code();
    char msg[256];
    snprintf(msg, sizeof msg, "%s", promc_last_error());
    promc_metric_free(m);
    promc_registry_free(reg);
    /* A collector failure is not an out-of-memory condition. */
    if (code != PROMC_EIO)
        fail_msg("promc_encode_buffer after a collector failure: %s (\"%s\"), want PROMC_EIO",
                 promc_errname(code), msg);
}

/* ------------------------------------------------------------------ */
/* Creation, declared names, lifetime                                  */
/* ------------------------------------------------------------------ */

static int collect_nothing(promc_emitter *e, void *ud)
{
    (void)e;
    (void)ud;
    return 0;
}

static void collector_creation_validates_arguments(void **state)
{
    (void)state;
    reset_error();
    assert_null(promc_collector_new(PROMC_NO_REGISTRY, NULL, NULL, NULL, NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    reset_error();
    assert_null(promc_collector_new(PROMC_NO_REGISTRY, collect_nothing, NULL, NULL,
                                    PROMC_LABELS("ok", "not-ok")));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_non_null(strstr(promc_last_error(), "\"not-ok\""));

    /* A collector that emits nothing leaves an empty, valid exposition. */
    promc_registry *reg = promc_registry_new();
    promc_metric *m = promc_collector_new(reg, collect_nothing, NULL, NULL, NULL);
    assert_non_null(m);
    char *s = render_valid(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(s, "");
    promc_free(s);
    s = render_valid(reg, PROMC_FORMAT_OPENMETRICS);
    assert_string_equal(s, "# EOF\n");
    promc_free(s);
    promc_metric_free(m);
    promc_registry_free(reg);
}

static void declared_names_conflict_at_registration(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_gauge *g = promc_gauge_new(reg, "foo", "Gauge.", NULL);

    reset_error();
    assert_null(promc_collector_new(reg, collect_nothing, NULL, NULL, PROMC_LABELS("foo")));
    assert_int_equal(promc_last_error_code(), PROMC_EEXIST);
    assert_non_null(strstr(promc_last_error(), "\"foo\""));

    promc_metric *a = promc_collector_new(reg, collect_nothing, NULL, NULL, PROMC_LABELS("bar"));
    assert_non_null(a);
    reset_error();
    assert_null(promc_collector_new(reg, collect_nothing, NULL, NULL, PROMC_LABELS("baz", "bar")));
    assert_int_equal(promc_last_error_code(), PROMC_EEXIST);

    /* A declared sample name blocks a later metric that would emit it. */
    promc_metric *b =
        promc_collector_new(reg, collect_nothing, NULL, NULL, PROMC_LABELS("qux_total"));
    assert_non_null(b);
    reset_error();
    assert_null(promc_counter_new(reg, "qux", "Counter.", NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EEXIST);
    reset_error();
    assert_null(promc_gauge_new(reg, "bar", "Gauge.", NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EEXIST);

    /* Collectors without declared names never conflict at registration. */
    promc_metric *c = promc_collector_new(reg, collect_nothing, NULL, NULL, NULL);
    promc_metric *d = promc_collector_new(reg, collect_nothing, NULL, NULL, NULL);
    assert_non_null(c);
    assert_non_null(d);

    /* The same collector cannot be registered twice in one registry. */
    assert_int_equal(promc_registry_register(reg, a), PROMC_EEXIST);
    /* After unregistering, the name is free again. */
    assert_int_equal(promc_registry_unregister(reg, a), PROMC_OK);
    promc_gauge *bar = promc_gauge_new(reg, "bar", "Gauge.", NULL);
    assert_non_null(bar);

    promc_metric_free(a);
    promc_metric_free(b);
    promc_metric_free(c);
    promc_metric_free(d);
    promc_gauge_free(g);
    promc_gauge_free(bar);
    promc_registry_free(reg);
}

static int free_calls;

static void count_free(void *p)
{
    free_calls++;
    free(p);
}

static void free_fn_called_once_when_destroyed(void **state)
{
    (void)state;
    /* In no registry: destroyed by the caller's free. */
    free_calls = 0;
    promc_metric *m =
        promc_collector_new(PROMC_NO_REGISTRY, collect_nothing, malloc(16), count_free, NULL);
    assert_non_null(m);
    assert_int_equal(free_calls, 0);
    promc_metric_free(m);
    assert_int_equal(free_calls, 1);

    /* In two registries: destroyed when the last reference goes. */
    free_calls = 0;
    promc_registry *r1 = promc_registry_new();
    promc_registry *r2 = promc_registry_new();
    m = promc_collector_new(r1, collect_nothing, malloc(16), count_free, PROMC_LABELS("c"));
    assert_non_null(m);
    assert_int_equal(promc_registry_register(r2, m), PROMC_OK);
    promc_metric_free(m);
    assert_int_equal(free_calls, 0);
    promc_free(render_valid(r2, PROMC_FORMAT_TEXT));
    promc_registry_free(r1);
    assert_int_equal(free_calls, 0);
    assert_int_equal(promc_registry_unregister(r2, m), PROMC_OK);
    assert_int_equal(free_calls, 1);
    promc_registry_free(r2);
    assert_int_equal(free_calls, 1);

    /* Registry cleared while the caller still holds it. */
    free_calls = 0;
    promc_registry *r3 = promc_registry_new();
    m = promc_collector_new(r3, collect_nothing, malloc(16), count_free, NULL);
    promc_registry_clear(r3);
    assert_int_equal(free_calls, 0);
    promc_metric_free(m);
    assert_int_equal(free_calls, 1);
    promc_registry_free(r3);
    assert_int_equal(free_calls, 1);

    /* free_fn may be NULL. */
    m = promc_collector_new(PROMC_NO_REGISTRY, collect_nothing, &free_calls, NULL, NULL);
    promc_metric_free(m);
}

static void failed_creation_calls_free_fn_at_most_once(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_gauge *g = promc_gauge_new(reg, "taken", "Gauge.", NULL);
    free_calls = 0;
    void *ud = malloc(16);
    assert_null(promc_collector_new(reg, collect_nothing, ud, count_free, PROMC_LABELS("taken")));
    assert_int_equal(promc_last_error_code(), PROMC_EEXIST);
    assert_true(free_calls <= 1);
    if (free_calls == 0)
        free(ud);
    promc_gauge_free(g);
    promc_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(collector_all_types_match_golden_files),
        cmocka_unit_test(collector_samples_are_found_by_get_sample_value),
        cmocka_unit_test(collector_runs_on_every_scrape),
        cmocka_unit_test(emitter_refusals_keep_exposition_valid),
        cmocka_unit_test(emitter_refusal_messages_name_the_offender),
        cmocka_unit_test(emitter_refuses_sample_names_of_an_earlier_family),
        cmocka_unit_test(failing_callback_makes_encode_return_eio),
        cmocka_unit_test(failing_callback_makes_encode_buffer_report_eio),
        cmocka_unit_test(collector_creation_validates_arguments),
        cmocka_unit_test(declared_names_conflict_at_registration),
        cmocka_unit_test(free_fn_called_once_when_destroyed),
        cmocka_unit_test(failed_creation_calls_free_fn_at_most_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
