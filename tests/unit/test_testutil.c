/*
 * promc_testutil.h: comparing expositions in any order (and what the
 * difference says), counting series, linting with promtool's rules, and the
 * parser under them refusing bad expected text with the line's number. The
 * linter's agreement with promtool itself is tests/integration/lint_vs_promtool.sh.
 */
#include "helpers.h"

#include <locale.h>

#include "failalloc.h"
#include "promc_testutil.h"

#include "testutil_fixture.h"

static void compare_ignores_order(void **state)
{
    (void)state;
    promc_registry *r = fixture();
    char *diff = (char *)"untouched";
    assert_int_equal(promc_registry_compare(r, shuffled, NULL, &diff), PROMC_OK);
    assert_null(diff);
    assert_int_equal(promc_last_error_code(), PROMC_OK);
    /* The exposition itself compares equal to itself. */
    char *text = test_render(r, PROMC_FORMAT_TEXT);
    assert_int_equal(promc_registry_compare(r, text, NULL, NULL), PROMC_OK);
    assert_int_equal(promc_text_compare(shuffled, text, NULL, NULL), PROMC_OK);
    promc_free(text);
    promc_registry_free(r);
}

static void compare_lists_every_difference(void **state)
{
    (void)state;
    promc_registry *r = fixture();
    const char *expected = "# HELP requests_total Requests.\n"
                           "# TYPE requests_total gauge\n"
                           "requests_total{code=\"200\"} 4\n"
                           "requests_total{code=\"404\"} 1\n"
                           "# HELP absent Not there.\n"
                           "# TYPE absent gauge\n"
                           "absent 1\n";
    char *diff = NULL;
    assert_int_equal(promc_registry_compare(r, expected, NULL, &diff), PROMC_DIFFERENT);
    assert_int_equal(promc_last_error_code(), PROMC_OK);
    assert_string_equal(diff,
                        "missing metric family absent (expected line 5)\n"
                        "unexpected metric family latency_seconds\n"
                        "unexpected metric family queue_depth\n"
                        "requests_total: HELP \"Requests.\" expected, \"Requests by code.\" got\n"
                        "requests_total: TYPE gauge expected, counter got\n"
                        "requests_total{code=\"200\"}: value 4 expected, 3 got\n"
                        "missing series requests_total{code=\"404\"} 1 (expected line 4)\n"
                        "unexpected series requests_total{code=\"500\"} 1\n");
    promc_free(diff);
    /* Without a diff pointer, the result alone. */
    assert_int_equal(promc_registry_compare(r, expected, NULL, NULL), PROMC_DIFFERENT);
    promc_registry_free(r);
}

static void compare_filters_by_family_name(void **state)
{
    (void)state;
    promc_registry *r = fixture();
    const char *expected = "# HELP queue_depth Jobs \"waiting\"\\\\now.\n"
                           "# TYPE queue_depth gauge\n"
                           "queue_depth 7\n"
                           "# HELP other Ignored: not in the list.\n"
                           "# TYPE other gauge\n"
                           "other 1\n";
    assert_int_equal(promc_registry_compare(r, expected, PROMC_LABELS("queue_depth"), NULL),
                     PROMC_OK);
    assert_int_equal(promc_registry_compare(r, expected, NULL, NULL), PROMC_DIFFERENT);
    /* A histogram by its family name, a counter with _total. */
    char *diff = NULL;
    assert_int_equal(
        promc_registry_compare(r, "", PROMC_LABELS("latency_seconds", "requests_total"), &diff),
        PROMC_DIFFERENT);
    assert_string_equal(diff, "unexpected metric family latency_seconds\n"
                              "unexpected metric family requests_total\n");
    promc_free(diff);
    promc_registry_free(r);
}

static void compare_values_help_and_timestamps(void **state)
{
    (void)state;
    char *diff = NULL;
    /* NaN equals NaN, +Inf spelled either way; -0 is not 0. */
    assert_int_equal(promc_text_compare("a NaN\nb +Inf\n", "b Inf\na NaN\n", NULL, NULL), PROMC_OK);
    assert_int_equal(promc_text_compare("a 0\n", "a -0\n", NULL, &diff), PROMC_DIFFERENT);
    assert_string_equal(diff, "a: value 0 expected, -0 got\n");
    promc_free(diff);
    /* A HELP line on one side only. */
    assert_int_equal(promc_text_compare("# HELP a x\na 1\n", "a 1\n", NULL, &diff),
                     PROMC_DIFFERENT);
    assert_string_equal(diff, "a: HELP \"x\" expected, none got\n");
    promc_free(diff);
    /* A family without samples is no family, on either side. */
    assert_int_equal(promc_text_compare("# HELP a x\n# TYPE a gauge\n", "", NULL, NULL), PROMC_OK);
    assert_int_equal(promc_text_compare("", "# TYPE b counter\n", NULL, NULL), PROMC_OK);
    /* An empty HELP is none. */
    assert_int_equal(promc_text_compare("# HELP a \na 1\n", "a 1\n", NULL, NULL), PROMC_OK);
    assert_int_equal(promc_text_compare("a 1 1000\n", "a 1\n", NULL, &diff), PROMC_DIFFERENT);
    assert_string_equal(diff, "a: timestamp 1000 expected, none got\n");
    promc_free(diff);
    /* Label values are shown escaped. */
    assert_int_equal(promc_text_compare("a{l=\"x\\\"\\n\"} 1\n", "", NULL, &diff), PROMC_DIFFERENT);
    assert_string_equal(diff, "missing metric family a (expected line 1)\n");
    promc_free(diff);
    assert_int_equal(promc_text_compare("# TYPE a gauge\na 1\n",
                                        "# TYPE a gauge\na 1\na{l=\"x\\\"\"} 1\n", NULL, &diff),
                     PROMC_DIFFERENT);
    assert_string_equal(diff, "unexpected series a{l=\"x\\\"\"} 1\n");
    promc_free(diff);
}

/* A bucket's le and a quantile's quantile are numbers, as client_golang's
 * parser reads them into its protobuf: "1.0" and "1" are one bucket,
 * "0.50" and "5e-1" one quantile; in a label of no bucket, "1.0" is text. */
static void compare_bounds_as_numbers(void **state)
{
    (void)state;
    char *diff = NULL;
    assert_int_equal(promc_text_compare("# TYPE h histogram\n"
                                        "h_bucket{le=\"1.0\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
                                        "h_sum 3\nh_count 2\n",
                                        "# TYPE h histogram\n"
                                        "h_bucket{le=\"1\"} 1\nh_bucket{le=\"Inf\"} 2\n"
                                        "h_sum 3\nh_count 2\n",
                                        NULL, &diff),
                     PROMC_OK);
    assert_null(diff);
    assert_int_equal(promc_text_compare("# TYPE s summary\ns{quantile=\"0.50\"} 1\ns_sum 3\n"
                                        "s_count 2\n",
                                        "# TYPE s summary\ns{quantile=\"5e-1\"} 1\ns_sum 3\n"
                                        "s_count 2\n",
                                        NULL, NULL),
                     PROMC_OK);
    /* A difference names the bound as client_golang writes it. */
    assert_int_equal(promc_text_compare("# TYPE h histogram\nh_bucket{le=\"2.50\"} 1\n"
                                        "h_bucket{le=\"+Inf\"} 1\nh_sum 3\nh_count 1\n",
                                        "# TYPE h histogram\nh_bucket{le=\"2.5\"} 0\n"
                                        "h_bucket{le=\"+Inf\"} 1\nh_sum 3\nh_count 1\n",
                                        NULL, &diff),
                     PROMC_DIFFERENT);
    assert_string_equal(diff, "h_bucket{le=\"2.5\"}: value 1 expected, 0 got\n");
    promc_free(diff);
    assert_int_equal(promc_text_compare("# TYPE g gauge\ng{le=\"1.0\"} 1\n",
                                        "# TYPE g gauge\ng{le=\"1\"} 1\n", NULL, NULL),
                     PROMC_DIFFERENT);
}

/* Each bad expected text, and the line the message must name. */
static void bad_expected_text_names_the_line(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"ok 1\n1bad 2\n", "expected text line 2: expected a metric name"},
        {"a{l=\"x} 1\n", "expected text line 1: label value without its closing quote"},
        {"a{l=\"\\t\"} 1\n", "expected text line 1: invalid escape in a label value"},
        {"a{l=\"x\",l=\"y\"} 1\n", "expected text line 1: label name repeated in one sample"},
        {"a{l=\"x\" m=\"y\"} 1\n", "expected text line 1: expected ',' or '}' after a label value"},
        {"a{l} 1\n", "expected text line 1: expected '=' after a label name"},
        {"a{l=\"\xff\"} 1\n", "expected text line 1: label value not valid UTF-8"},
        {"a\n", "expected text line 1: sample without a value"},
        {"a 1,5\n", "expected text line 1: invalid sample value"},
        {"a 1 2.5\n", "expected text line 1: invalid timestamp"},
        {"a 1 2 3\n", "expected text line 1: unexpected text after the timestamp"},
        {"# TYPE a countr\n", "expected text line 1: unknown metric type"},
        {"# HELP a x\n# HELP a y\n", "expected text line 2: second HELP line"},
        {"# TYPE a gauge\n# TYPE a gauge\n", "expected text line 2: second TYPE line"},
        {"a 1\n# TYPE a gauge\n", "expected text line 2: TYPE line after samples"},
        {"# HELP a bad \\escape\n", "expected text line 1: invalid escape in HELP"},
        {"# TYPE h histogram\nh_bucket 1\n", "expected text line 2: histogram bucket without"},
        {"# TYPE s summary\ns{quantile=\"x\"} 1\n", "expected text line 2: summary quantile"},
        {"a 1\n\na 2\n", "expected text line 3 repeats the series a of line 1"},
        {"{\"utf8.name\"} 1\n", "expected text line 1: expected a metric name"},
    };
    promc_registry *r = promc_registry_new();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *diff = (char *)"untouched";
        int rc = promc_registry_compare(r, cases[i].text, NULL, &diff);
        if (rc != PROMC_EINVAL || diff ||
            strncmp(promc_last_error(), cases[i].message, strlen(cases[i].message)) != 0)
            fail_msg("case %zu: %s, \"%s\"", i, promc_errname(rc), promc_last_error());
    }
    /* The got side of promc_text_compare is named as such. */
    assert_int_equal(promc_text_compare("a 1\n", "a 1\nb\n", NULL, NULL), PROMC_EINVAL);
    assert_string_equal(promc_last_error(), "got text line 2: sample without a value");
    promc_registry_free(r);
}

static void misuse_is_refused(void **state)
{
    (void)state;
    char *diff = (char *)"untouched";
    size_t n = 99;
    promc_lint_problem *p = (promc_lint_problem *)1;
    assert_int_equal(promc_registry_compare(NULL, NULL, NULL, &diff), PROMC_EINVAL);
    assert_null(diff);
    assert_int_equal(promc_registry_compare(PROMC_NO_REGISTRY, "", NULL, NULL), PROMC_EINVAL);
    assert_non_null(strstr(promc_last_error(), "promc_registry_compare"));
    assert_int_equal(promc_text_compare("", NULL, NULL, NULL), PROMC_EINVAL);
    assert_int_equal(promc_text_compare(NULL, "", NULL, NULL), PROMC_EINVAL);
    assert_int_equal(promc_registry_count(NULL, NULL, NULL), PROMC_EINVAL);
    assert_int_equal(promc_registry_count(PROMC_NO_REGISTRY, NULL, &n), PROMC_EINVAL);
    assert_int_equal(n, 99);
    assert_int_equal(promc_registry_lint(NULL, NULL, &n), PROMC_EINVAL);
    assert_int_equal(n, 0);
    assert_int_equal(promc_registry_lint(NULL, &p, NULL), PROMC_EINVAL);
    assert_null(p);
    assert_int_equal(promc_registry_lint(PROMC_NO_REGISTRY, &p, &n), PROMC_EINVAL);
    assert_int_equal(promc_text_lint(NULL, &p, &n), PROMC_EINVAL);
    assert_int_equal(promc_text_lint("a{", &p, &n), PROMC_EINVAL);
    assert_string_equal(promc_last_error(), "text line 1: expected a label name");
    assert_null(p);
    assert_int_equal(n, 0);
}

static void count_series_as_client_golang(void **state)
{
    (void)state;
    promc_registry *r = fixture();
    size_t n = 0;
    assert_int_equal(promc_registry_count(r, NULL, &n), PROMC_OK);
    assert_int_equal(n, 4); /* 2 counter series, 1 gauge, 1 histogram */
    assert_int_equal(promc_registry_count(r, "requests_total", &n), PROMC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(promc_registry_count(r, "latency_seconds", &n), PROMC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(promc_registry_count(r, "requests", &n), PROMC_OK);
    assert_int_equal(n, 0); /* the family is requests_total */
    /* A labelled summary: one series a label set, whatever its quantiles. */
    promc_summary_vec *s = promc_summary_vec_new(
        r, "rpc_seconds", "RPC latency.", PROMC_LABELS("method"),
        &(promc_summary_opts){.objectives = (const promc_objective[]){{0.5, 0.05}, {0.9, 0.01}},
                              .nobjectives = 2});
    assert_non_null(s);
    promc_summary_observe(promc_summary_vec_labels(s, "get"), 1);
    promc_summary_observe(promc_summary_vec_labels(s, "put"), 1);
    assert_int_equal(promc_registry_count(r, "rpc_seconds", &n), PROMC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(promc_registry_count(r, NULL, &n), PROMC_OK);
    assert_int_equal(n, 6);
    promc_metric_free(PROMC_METRIC(s));
    promc_registry_free(r);
}

static void lint_returns_promtool_findings(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_gauge_vec *g =
        promc_gauge_vec_new(r, "cacheSize_kilobytes", "Cache size.", PROMC_LABELS("shardId"), NULL);
    promc_gauge_set(promc_gauge_vec_labels(g, "1"), 1);
    promc_gauge_set(promc_gauge_vec_labels(g, "2"), 1);
    promc_counter *c = promc_counter_new(r, "jobs", "Jobs.", NULL);
    assert_non_null(g);
    assert_non_null(c);
    promc_lint_problem *p = NULL;
    size_t n = 0;
    assert_int_equal(promc_registry_lint(r, &p, &n), PROMC_OK);
    assert_int_equal(n, 4);
    static const char *const want[][2] = {
        {"cacheSize_kilobytes", "label names should be written in 'snake_case' not 'camelCase'"},
        {"cacheSize_kilobytes", "label names should be written in 'snake_case' not 'camelCase'"},
        {"cacheSize_kilobytes", "metric names should be written in 'snake_case' not 'camelCase'"},
        {"cacheSize_kilobytes", "use base unit \"bytes\" instead of \"kilobytes\""},
    };
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(p[i].metric, want[i][0]);
        assert_string_equal(p[i].text, want[i][1]);
    }
    assert_null(p[n].metric);
    assert_null(p[n].text);
    promc_free(p);
    /* A clean registry: no block at all. Its labelled metric without
     * children is not linted (nor compared), as promtool drops it. */
    promc_registry *clean = promc_registry_new();
    promc_counter *ok = promc_counter_new(clean, "jobs_processed", "Jobs.", NULL);
    promc_gauge_vec *unused =
        promc_gauge_vec_new(clean, "unusedGauge_ms", "", PROMC_LABELS("someLabel"), NULL);
    assert_non_null(unused);
    assert_int_equal(promc_registry_compare(clean,
                                            "# HELP jobs_processed_total Jobs.\n"
                                            "# TYPE jobs_processed_total counter\n"
                                            "jobs_processed_total 0\n",
                                            NULL, NULL),
                     PROMC_OK);
    p = (promc_lint_problem *)1;
    assert_int_equal(promc_registry_lint(clean, &p, &n), PROMC_OK);
    assert_null(p);
    assert_int_equal(n, 0);
    promc_counter_free(ok);
    promc_metric_free(PROMC_METRIC(unused));
    promc_registry_free(clean);
    promc_metric_free(PROMC_METRIC(g));
    promc_counter_free(c);
    promc_registry_free(r);
}

static void lint_text_rules(void **state)
{
    (void)state;
    const char *text = "# TYPE requests counter\n"
                       "requests 1\n"
                       "# HELP temp_gauge_celsius x\n"
                       "# TYPE temp_gauge_celsius gauge\n"
                       "temp_gauge_celsius{le=\"1\",quantile=\"2\"} 1\n"
                       "# HELP h_ms x\n"
                       "# TYPE h_ms histogram\n"
                       "h_ms_bucket{le=\"+Inf\"} 1\n"
                       "h_ms_count 1\n"
                       "h_ms_sum 1\n";
    promc_lint_problem *p = NULL;
    size_t n = 0;
    assert_int_equal(promc_text_lint(text, &p, &n), PROMC_OK);
    static const char *const want[][2] = {
        {"h_ms", "metric names should not contain abbreviated units"},
        {"requests", "counter metrics should have \"_total\" suffix"},
        {"requests", "no help text"},
        {"temp_gauge_celsius", "metric name should not include type 'gauge'"},
        {"temp_gauge_celsius", "non-histogram metrics should not have \"le\" label"},
        {"temp_gauge_celsius", "non-summary metrics should not have \"quantile\" label"},
    };
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(p[i].metric, want[i][0]);
        assert_string_equal(p[i].text, want[i][1]);
    }
    promc_free(p);
}

/* Numbers are read in the C locale whatever the process's is: "1.5" is
 * one and a half, "1,5" is no number, with a comma-decimal locale set. */
static void numbers_ignore_the_locale(void **state)
{
    (void)state;
    const char *locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "de_DE", NULL};
    const char *got = NULL;
    for (int i = 0; locales[i] && !got; i++)
        got = setlocale(LC_ALL, locales[i]);
    if (!got) {
        print_message("no comma-decimal locale installed: skipped\n");
        skip();
    }
    char probe[16];
    snprintf(probe, sizeof probe, "%.1f", 0.5);
    assert_string_equal(probe, "0,5");
    promc_registry *r = fixture();
    assert_int_equal(promc_registry_compare(r, shuffled, NULL, NULL), PROMC_OK);
    assert_int_equal(promc_text_compare("a 1.5\n", "a 15e-1\n", NULL, NULL), PROMC_OK);
    assert_int_equal(promc_text_compare("a 1,5\n", "a 1\n", NULL, NULL), PROMC_EINVAL);
    /* The thread's locale is the program's again afterwards. */
    snprintf(probe, sizeof probe, "%.1f", 0.5);
    assert_string_equal(probe, "0,5");
    promc_registry_free(r);
    setlocale(LC_ALL, "C");
}

/* Out of memory at every allocation: an error, never a crash or a leak
 * (ASan's leak check is the judge). */
static void every_allocation_failure_is_reported(void **state)
{
    (void)state;
    promc_registry *r = fixture();
    for (int k = 1; k < 400; k++) {
        char *diff = NULL;
        promc_lint_problem *p = NULL;
        size_t n = 0;
        arm(k);
        int a = promc_registry_compare(r, "# HELP x y\nx{a=\"b\"} 1\n", NULL, &diff);
        disarm();
        assert_true(a == PROMC_DIFFERENT || a == PROMC_ENOMEM);
        assert_true((a == PROMC_DIFFERENT) == (diff != NULL));
        promc_free(diff);
        arm(k);
        int b = promc_registry_lint(r, &p, &n);
        disarm();
        assert_true(b == PROMC_OK || b == PROMC_ENOMEM);
        promc_free(p);
        arm(k);
        int c = promc_text_lint("# TYPE fooBar_ms gauge\nfooBar_ms{aB=\"x\"} 1\n", &p, &n);
        disarm();
        assert_true(c == PROMC_OK || c == PROMC_ENOMEM);
        assert_true((c == PROMC_OK) == (p != NULL));
        promc_free(p);
        arm(k);
        int d = promc_registry_count(r, NULL, &n);
        disarm();
        assert_true(d == PROMC_OK || d == PROMC_ENOMEM);
    }
    promc_registry_free(r);
}

int main(void)
{
    if (failalloc_install() != PROMC_OK)
        return 1;
    test_pin_clock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compare_ignores_order),
        cmocka_unit_test(compare_lists_every_difference),
        cmocka_unit_test(compare_filters_by_family_name),
        cmocka_unit_test(compare_values_help_and_timestamps),
        cmocka_unit_test(compare_bounds_as_numbers),
        cmocka_unit_test(bad_expected_text_names_the_line),
        cmocka_unit_test(misuse_is_refused),
        cmocka_unit_test(count_series_as_client_golang),
        cmocka_unit_test(lint_returns_promtool_findings),
        cmocka_unit_test(lint_text_rules),
        cmocka_unit_test(numbers_ignore_the_locale),
        cmocka_unit_test(every_allocation_failure_is_reported),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    promc_shutdown();
    return failed;
}
