/*
 * Pins the semantics of each metric type as the client-library guidelines
 * name them: counters start at 0, reject negative and NaN increments and stay
 * exact past 2^53; gauge operations and helpers; histogram buckets (inclusive
 * upper bounds, generators, validation, +Inf, NaN); summaries; enums; infos.
 */
#include <math.h>
#include <time.h>

#include "helpers.h"

static promc_registry *reg;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    (void)state;
    reg = promc_registry_new();
    return reg ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    promc_registry_free(reg);
    return 0;
}

/* ---------------------------------------------------------------- counter */

static void test_counter_starts_at_zero_and_counts(void **state)
{
    (void)state;
    promc_counter *c = promc_counter_new(reg, "hits", "Hits.", NULL);
    assert_non_null(c);
    assert_true(test_value(reg, "hits_total", NULL, 0) == 0);
    promc_counter_inc(c);
    assert_int_equal(promc_counter_add(c, 2.5), PROMC_OK);
    assert_true(promc_counter_get(c) == 3.5);
    assert_true(test_value(reg, "hits_total", NULL, 0) == 3.5);
    promc_counter_free(c);
}

static void test_counter_rejects_negative_and_nan(void **state)
{
    (void)state;
    promc_counter *c = promc_counter_new(reg, "hits", "Hits.", NULL);
    promc_counter_add(c, 1);
    assert_int_equal(promc_counter_add(c, -1), PROMC_EINVAL);
    assert_non_null(strstr(promc_last_error(), "hits"));
    assert_int_equal(promc_counter_add(c, NAN), PROMC_EINVAL);
    assert_int_equal(promc_counter_add(c, -INFINITY), PROMC_EINVAL);
    assert_true(promc_counter_get(c) == 1);
    assert_int_equal(promc_counter_add(c, 0), PROMC_OK);
    assert_true(promc_counter_get(c) == 1);
    promc_counter_free(c);
}

static void test_counter_exact_past_2_pow_53(void **state)
{
    (void)state;
    promc_counter *c = promc_counter_new(reg, "big", "Big.", NULL);
    promc_counter_add_int(c, 9007199254740992ULL); /* 2^53 */
    promc_counter_inc(c);                          /* 2^53 + 1: not a double */
    assert_int_equal(promc_counter_add(c, 2), PROMC_OK);
    char *out = test_render(reg, PROMC_FORMAT_TEXT);
    assert_non_null(strstr(out, "\nbig_total 9007199254740995\n"));
    promc_free(out);
    promc_counter_free(c);
}

static void test_counter_never_wraps(void **state)
{
    (void)state;
    promc_counter *c = promc_counter_new(reg, "huge", "Huge.", NULL);
    for (int i = 0; i < 3; i++)
        promc_counter_add_int(c, INT64_MAX);
    assert_true(promc_counter_get(c) >= 3.0 * (double)INT64_MAX * 0.999);
    promc_counter_inc(c);
    assert_true(test_value(reg, "huge_total", NULL, 0) > 2.7e19);
    promc_counter_free(c);
}

/* Every step of a run of huge whole increments keeps the value rising, in
 * get() and in the exposition, for an unlabelled (striped) counter and a
 * labelled child (one cell until contention): 2^62 - 1 five times used to
 * wrap to 4.6e18. */
static void check_monotonic_huge_adds(promc_counter *c, const char *sample,
                                      const promc_label *labels, size_t n)
{
    const uint64_t steps[] = {(UINT64_C(1) << 62) - 1,
                              (UINT64_C(1) << 62) - 1,
                              (UINT64_C(1) << 62) - 1,
                              (UINT64_C(1) << 62) - 1,
                              (UINT64_C(1) << 62) - 1,
                              UINT64_MAX,
                              (UINT64_C(1) << 40),
                              (UINT64_C(1) << 32) + 7,
                              1,
                              UINT64_MAX};
    double before = promc_counter_get(c), want = before;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        promc_counter_add_int(c, steps[i]);
        want += (double)steps[i];
        double got = promc_counter_get(c), exposed = test_value(reg, sample, labels, n);
        if (!(got >= before) || !(exposed >= before) || got < want * (1 - 1e-12) ||
            got > want * (1 + 1e-12))
            fail_msg("step %zu: %.17g after %.17g (want %.17g, exposed %.17g)", i, got, before,
                     want, exposed);
        before = got;
    }
}

static void test_counter_huge_whole_increments_never_wrap(void **state)
{
    (void)state;
    promc_counter *c = promc_counter_new(reg, "wrap", "Wrap.", NULL);
    check_monotonic_huge_adds(c, "wrap_total", NULL, 0);
    promc_counter_free(c);
    promc_counter_vec *v = promc_counter_vec_new(reg, "wrapv", "Wrap.", PROMC_LABELS("k"), NULL);
    const promc_label k[] = {{"k", "a"}};
    check_monotonic_huge_adds(promc_counter_vec_labels(v, "a"), "wrapv_total", k, 1);
    promc_counter_vec_free(v);
}

static void test_counter_total_suffix_folded(void **state)
{
    (void)state;
    promc_counter *a = promc_counter_new(reg, "a_total", "A.", NULL);
    promc_counter *b = promc_counter_new(reg, "b", "B.", NULL);
    assert_string_equal(promc_metric_name(promc_counter_metric(a)), "a");
    char *out = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(out, "# HELP a_total A.\n# TYPE a_total counter\na_total 0\n"
                             "# HELP b_total B.\n# TYPE b_total counter\nb_total 0\n");
    promc_free(out);
    promc_counter_free(a);
    promc_counter_free(b);
}

static void test_counter_vec_without_children_exports_header(void **state)
{
    (void)state;
    promc_counter_vec *c = promc_counter_vec_new(reg, "lab", "L.", PROMC_LABELS("x"), NULL);
    char *out = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(out, "# HELP lab_total L.\n# TYPE lab_total counter\n");
    promc_free(out);
    promc_counter_vec_free(c);
}

/* ---------------------------------------------------------------- gauge */

static void test_gauge_operations(void **state)
{
    (void)state;
    promc_gauge *g = promc_gauge_new(reg, "g", "G.", NULL);
    assert_true(promc_gauge_get(g) == 0);
    promc_gauge_inc(g);
    promc_gauge_inc(g);
    promc_gauge_dec(g);
    promc_gauge_add(g, 10.5);
    promc_gauge_sub(g, 0.25);
    assert_true(promc_gauge_get(g) == 11.25);
    promc_gauge_set(g, -7);
    assert_true(test_value(reg, "g", NULL, 0) == -7);
    promc_gauge_set_to_current_time(g);
    assert_true(promc_gauge_get(g) == TEST_TIME);
    promc_gauge_free(g);
}

static void test_gauge_timer_and_inprogress(void **state)
{
    (void)state;
    promc_gauge *g = promc_gauge_new(reg, "duration_seconds", "D.", NULL);
    promc_gauge_timer t = promc_gauge_timer_start(g);
    sleep_ms(20);
    double s = promc_gauge_timer_stop(&t);
    assert_true(s >= 0.02 && s < 5);
    assert_true(promc_gauge_get(g) == s);

    promc_gauge *busy = promc_gauge_new(reg, "busy", "B.", NULL);
    promc_gauge *tok = promc_gauge_track_inprogress(busy);
    assert_true(promc_gauge_get(busy) == 1);
    promc_gauge_track_inprogress(busy);
    assert_true(promc_gauge_get(busy) == 2);
    promc_gauge_track_end(tok);
    promc_gauge_track_end(busy);
    assert_true(promc_gauge_get(busy) == 0);
    promc_gauge_free(g);
    promc_gauge_free(busy);
}

/* ---------------------------------------------------------------- histogram */

static void test_histogram_default_buckets(void **state)
{
    (void)state;
    static const double want[] = {.005, .01, .025, .05, .075, .1, .25, .5, .75, 1, 2.5, 5, 7.5, 10};
    assert_int_equal(PROMC_DEFAULT_BUCKETS_COUNT, 14);
    for (size_t i = 0; i < 14; i++)
        assert_true(promc_default_buckets[i] == want[i]);
    promc_histogram *h = promc_histogram_new(reg, "d_seconds", "D.", NULL);
    promc_histogram_observe(h, 0.3);
    assert_true(test_value(reg, "d_seconds_bucket", (promc_label[]){{"le", "0.25"}}, 1) == 0);
    assert_true(test_value(reg, "d_seconds_bucket", (promc_label[]){{"le", "0.5"}}, 1) == 1);
    assert_true(test_value(reg, "d_seconds_bucket", (promc_label[]){{"le", "10"}}, 1) == 1);
    assert_true(test_value(reg, "d_seconds_bucket", (promc_label[]){{"le", "+Inf"}}, 1) == 1);
    assert_true(test_value(reg, "d_seconds_count", NULL, 0) == 1);
    assert_true(test_value(reg, "d_seconds_sum", NULL, 0) == 0.3);
    promc_histogram_free(h);
}

static void test_histogram_upper_bound_inclusive(void **state)
{
    (void)state;
    promc_histogram *h = promc_histogram_new(
        reg, "h", "H.", &(promc_histogram_opts){.buckets = (double[]){1, 2}, .nbuckets = 2});
    promc_histogram_observe(h, 1);
    promc_histogram_observe(h, 2.0000001);
    char *out = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(out, "# HELP h H.\n# TYPE h histogram\n"
                             "h_bucket{le=\"1\"} 1\nh_bucket{le=\"2\"} 1\n"
                             "h_bucket{le=\"+Inf\"} 2\nh_sum 3.0000001\nh_count 2\n");
    promc_free(out);
    promc_histogram_free(h);
}

static void test_histogram_nan_counts_in_inf(void **state)
{
    (void)state;
    promc_histogram *h = promc_histogram_new(
        reg, "h", "H.", &(promc_histogram_opts){.buckets = (double[]){1}, .nbuckets = 1});
    promc_histogram_observe(h, NAN);
    char *out = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(out,
                        "# HELP h H.\n# TYPE h histogram\n"
                        "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_sum NaN\nh_count 1\n");
    promc_free(out);
    promc_histogram_free(h);
}

static void test_histogram_bucket_validation(void **state)
{
    (void)state;
    const struct {
        double b[3];
        size_t n;
    } bad[] = {
        {{1, 0.5}, 2}, {{1, 1}, 2}, {{NAN}, 1}, {{-INFINITY, 1}, 2}, {{1, INFINITY, 2}, 3},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        promc_histogram *h = promc_histogram_new(
            reg, "bad", "B.", &(promc_histogram_opts){.buckets = bad[i].b, .nbuckets = bad[i].n});
        assert_null(h);
        assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
        assert_non_null(strstr(promc_last_error(), "bad"));
    }
    /* A trailing +Inf is folded into the implicit one: no duplicate line. */
    promc_histogram *h = promc_histogram_new(
        reg, "h", "H.", &(promc_histogram_opts){.buckets = (double[]){1, INFINITY}, .nbuckets = 2});
    assert_non_null(h);
    char *out = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(out, "# HELP h H.\n# TYPE h histogram\n"
                             "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n");
    promc_free(out);
    promc_histogram_free(h);
    /* No finite bound at all: just +Inf. */
    h = promc_histogram_new(
        reg, "only_inf", "O.",
        &(promc_histogram_opts){.buckets = (double[]){INFINITY}, .nbuckets = 1});
    assert_non_null(h);
    promc_histogram_observe(h, 5);
    assert_true(test_value(reg, "only_inf_bucket", (promc_label[]){{"le", "+Inf"}}, 1) == 1);
    promc_histogram_free(h);
}

static void test_bucket_generators(void **state)
{
    (void)state;
    double b[4];
    assert_int_equal(promc_buckets_linear(b, 1, 2, 4), PROMC_OK);
    assert_true(b[0] == 1 && b[1] == 3 && b[2] == 5 && b[3] == 7);
    assert_int_equal(promc_buckets_exponential(b, 1, 2, 4), PROMC_OK);
    assert_true(b[0] == 1 && b[1] == 2 && b[2] == 4 && b[3] == 8);
    assert_int_equal(promc_buckets_linear(b, 1, 0, 4), PROMC_EINVAL);
    assert_int_equal(promc_buckets_linear(b, 1, -1, 4), PROMC_EINVAL);
    assert_int_equal(promc_buckets_linear(b, NAN, 1, 4), PROMC_EINVAL);
    assert_int_equal(promc_buckets_linear(b, 1, 1, 0), PROMC_EINVAL);
    assert_int_equal(promc_buckets_exponential(b, 0, 2, 4), PROMC_EINVAL);
    assert_int_equal(promc_buckets_exponential(b, 1, 1, 4), PROMC_EINVAL);
    assert_int_equal(promc_buckets_exponential(b, 1e300, 1e10, 4), PROMC_EINVAL);
}

static void test_histogram_timer(void **state)
{
    (void)state;
    promc_histogram *h = promc_histogram_new(reg, "t_seconds", "T.", NULL);
    promc_histogram_timer t = promc_histogram_timer_start(h);
    sleep_ms(10);
    double s = promc_histogram_timer_stop(&t);
    assert_true(s >= 0.01);
    assert_true(test_value(reg, "t_seconds_count", NULL, 0) == 1);
    assert_true(test_value(reg, "t_seconds_sum", NULL, 0) == s);
    promc_histogram_free(h);
}

static void test_histogram_many_buckets_binary_search(void **state)
{
    (void)state;
    double b[40];
    promc_buckets_linear(b, 1, 1, 40);
    promc_histogram *h = promc_histogram_new(reg, "wide", "W.",
                                             &(promc_histogram_opts){.buckets = b, .nbuckets = 40});
    for (int v = 0; v <= 41; v++)
        promc_histogram_observe(h, v);
    promc_histogram_observe(h, NAN);
    /* le=k holds 0..k: k+1 observations. */
    assert_true(test_value(reg, "wide_bucket", (promc_label[]){{"le", "1"}}, 1) == 2);
    assert_true(test_value(reg, "wide_bucket", (promc_label[]){{"le", "17"}}, 1) == 18);
    assert_true(test_value(reg, "wide_bucket", (promc_label[]){{"le", "40"}}, 1) == 41);
    assert_true(test_value(reg, "wide_bucket", (promc_label[]){{"le", "+Inf"}}, 1) == 43);
    promc_histogram_free(h);
}

static void test_openmetrics_sum_rules(void **state)
{
    (void)state;
    /* OpenMetrics: Sum is a counter (never NaN or negative) and absent with
     * negative bucket bounds, and Count goes with it; text keeps both. */
    promc_histogram *neg = promc_histogram_new(
        reg, "neg", "N.", &(promc_histogram_opts){.buckets = (double[]){-1, 1}, .nbuckets = 2});
    promc_histogram *nan = promc_histogram_new(
        reg, "nan", "N.", &(promc_histogram_opts){.buckets = (double[]){1}, .nbuckets = 1});
    promc_summary *s = promc_summary_new(
        reg, "sneg", "S.",
        &(promc_summary_opts){.objectives = (promc_objective[]){{0.5, 0.05}}, .nobjectives = 1});
    promc_histogram_observe(neg, -2);
    promc_histogram_observe(nan, NAN);
    promc_summary_observe(s, -3);
    promc_registry_set_created(reg, 0);
    char *om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_string_equal(om, "# TYPE neg histogram\n# HELP neg N.\n"
                            "neg_bucket{le=\"-1.0\"} 1\nneg_bucket{le=\"1.0\"} 1\n"
                            "neg_bucket{le=\"+Inf\"} 1\n"
                            "# TYPE nan histogram\n# HELP nan N.\n"
                            "nan_bucket{le=\"1.0\"} 0\nnan_bucket{le=\"+Inf\"} 1\n"
                            "# TYPE sneg summary\n# HELP sneg S.\n# EOF\n");
    promc_free(om);
    char *text = test_render(reg, PROMC_FORMAT_TEXT);
    assert_non_null(strstr(text, "\nneg_sum -2\nneg_count 1\n"));
    assert_non_null(strstr(text, "\nnan_sum NaN\nnan_count 1\n"));
    assert_non_null(strstr(text, "\nsneg{quantile=\"0.5\"} -3\nsneg_sum -3\nsneg_count 1\n"));
    promc_free(text);
    promc_histogram_free(neg);
    promc_histogram_free(nan);
    promc_summary_free(s);
}

/* ---------------------------------------------------------------- summary */

static void test_summary_count_sum(void **state)
{
    (void)state;
    promc_summary *s = promc_summary_new(reg, "s_seconds", "S.", NULL);
    promc_summary_observe(s, 1.5);
    promc_summary_observe(s, 0.25);
    char *out = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(out, "# HELP s_seconds S.\n# TYPE s_seconds summary\n"
                             "s_seconds_sum 1.75\ns_seconds_count 2\n");
    promc_free(out);
    promc_summary_timer t = promc_summary_timer_start(s);
    assert_true(promc_summary_timer_stop(&t) >= 0);
    assert_true(test_value(reg, "s_seconds_count", NULL, 0) == 3);
    promc_summary_free(s);
}

static void test_summary_quantiles(void **state)
{
    (void)state;
    promc_summary_vec *s = promc_summary_vec_new(
        reg, "q", "Q.", PROMC_LABELS("k"),
        &(promc_summary_opts){.objectives = (promc_objective[]){{0.5, 0.05}, {0.99, 0.001}},
                              .nobjectives = 2});
    promc_summary *k = promc_summary_vec_labels(s, "v");
    for (int i = 1; i <= 1000; i++)
        promc_summary_observe(k, i);
    double median = test_value(reg, "q", (promc_label[]){{"k", "v"}, {"quantile", "0.5"}}, 2);
    double p99 = test_value(reg, "q", (promc_label[]){{"k", "v"}, {"quantile", "0.99"}}, 2);
    assert_true(median >= 450 && median <= 550);
    assert_true(p99 >= 989 && p99 <= 991);
    promc_summary_vec_free(s);
}

static void test_summary_validation(void **state)
{
    (void)state;
    assert_null(promc_summary_new(
        reg, "q", "Q.",
        &(promc_summary_opts){.objectives = (promc_objective[]){{1.5, 0.05}}, .nobjectives = 1}));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_summary_new(
        reg, "q", "Q.",
        &(promc_summary_opts){.objectives = (promc_objective[]){{0.5, 0}}, .nobjectives = 1}));
    assert_null(promc_summary_new(
        reg, "q", "Q.",
        &(promc_summary_opts){.objectives = (promc_objective[]){{0.9, 0.01}, {0.5, 0.05}},
                              .nobjectives = 2}));
    assert_null(promc_summary_new(reg, "q", "Q.", &(promc_summary_opts){.max_age = -1}));
    assert_null(promc_summary_vec_new(reg, "q", "Q.", PROMC_LABELS("quantile"), NULL));
    assert_non_null(strstr(promc_last_error(), "quantile"));
}

/* ---------------------------------------------------------------- enum, info */

static void test_enum_states(void **state)
{
    (void)state;
    promc_enum_vec *e = promc_enum_vec_new(reg, "task_state", "T.", PROMC_LABELS("task"),
                                           PROMC_LABELS("starting", "running", "stopped"), NULL);
    promc_enum *a = promc_enum_vec_labels(e, "a");
    assert_int_equal(promc_enum_get(a), 0); /* the first state is the initial one */
    assert_int_equal(promc_enum_set(a, "stopped"), PROMC_OK);
    assert_int_equal(promc_enum_get(a), 2);
    assert_int_equal(promc_enum_set(a, "flying"), PROMC_EINVAL);
    assert_non_null(strstr(promc_last_error(), "flying"));
    assert_int_equal(promc_enum_set_index(a, 3), PROMC_EINVAL);
    assert_int_equal(promc_enum_get(a), 2);
    assert_true(test_value(reg, "task_state",
                           (promc_label[]){{"task", "a"}, {"task_state", "stopped"}}, 2) == 1);
    assert_true(test_value(reg, "task_state",
                           (promc_label[]){{"task", "a"}, {"task_state", "running"}}, 2) == 0);
    promc_enum_vec_free(e);

    assert_null(promc_enum_new(reg, "e", "E.", PROMC_LABELS("a", "a"), NULL));
    assert_null(promc_enum_new(reg, "e", "E.", PROMC_LABELS(""), NULL));
    assert_null(promc_enum_new(reg, "e", "E.", NULL, NULL));
    assert_null(promc_enum_new(reg, "e:x", "E.", PROMC_LABELS("a"), NULL));
    assert_null(promc_enum_vec_new(reg, "e", "E.", PROMC_LABELS("e"), PROMC_LABELS("a"), NULL));
}

static void test_info_pairs(void **state)
{
    (void)state;
    promc_info *i =
        promc_info_new(reg, "build_info", "Build.",
                       (promc_label[]){{"version", "1.0"}, {"commit", "x\"y"}}, 2, NULL);
    assert_non_null(i);
    assert_string_equal(promc_metric_name(promc_info_metric(i)), "build");
    char *out = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(out, "# HELP build_info Build.\n# TYPE build_info gauge\n"
                             "build_info{version=\"1.0\",commit=\"x\\\"y\"} 1\n");
    promc_free(out);
    out = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_string_equal(out, "# TYPE build info\n# HELP build Build.\n"
                             "build_info{version=\"1.0\",commit=\"x\\\"y\"} 1\n# EOF\n");
    promc_free(out);
    promc_info_free(i);
    assert_null(promc_info_new(reg, "bad", "B.", (promc_label[]){{"__x", "1"}}, 1, NULL));
    assert_null(promc_info_new(reg, "bad", "B.", (promc_label[]){{"a", "\xff"}}, 1, NULL));
    assert_null(promc_info_new(reg, "bad", "B.", (promc_label[]){{"a", "1"}, {"a", "2"}}, 2, NULL));
    promc_info *none = promc_info_new(reg, "empty", "E.", NULL, 0, NULL);
    assert_true(test_value(reg, "empty_info", NULL, 0) == 1);
    promc_info_free(none);
}

/* ---------------------------------------------------------------- misc */

static void test_null_handles_are_noops(void **state)
{
    (void)state;
    promc_counter_inc(NULL);
    promc_counter_add_int(NULL, 1);
    assert_int_equal(promc_counter_add(NULL, 1), PROMC_OK);
    promc_gauge_set(NULL, 1);
    promc_gauge_inc(NULL);
    promc_histogram_observe(NULL, 1);
    promc_summary_observe(NULL, 1);
    assert_int_equal(promc_enum_set(NULL, "x"), PROMC_OK);
    assert_null(promc_counter_vec_labels(NULL, "a"));
    assert_null(promc_counter_metric(NULL));
    promc_counter_free(NULL);
    promc_gauge_free(NULL);
    promc_histogram_free(NULL);
    promc_summary_free(NULL);
    promc_enum_free(NULL);
    promc_info_free(NULL);
    promc_metric_free(NULL);
    promc_registry_free(NULL);
}

static void test_errors_and_version(void **state)
{
    (void)state;
    assert_string_equal(promc_strerror(PROMC_ENOMEM), "out of memory");
    assert_string_equal(promc_errname(PROMC_ELIMIT), "PROMC_ELIMIT");
    assert_string_equal(promc_strerror(12345), "unknown error");
    assert_string_equal(promc_errname(12345), "PROMC_UNKNOWN");
    assert_int_equal(promc_version(), PROMC_VERSION_HEX);
    assert_string_equal(promc_version_string(), PROMC_VERSION_STRING);
    assert_null(promc_gauge_new(reg, "1abc", "x", NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_string_equal(promc_last_error(), "invalid metric name \"1abc\"");
    promc_gauge *g = promc_gauge_new(reg, "ok", "x", NULL);
    assert_int_equal(promc_last_error_code(), PROMC_OK); /* success clears it */
    assert_string_equal(promc_last_error(), "");
    promc_gauge_free(g);
    assert_int_equal(promc_set_allocator(malloc, NULL, NULL), PROMC_EINVAL);
}

int main(void)
{
    test_pin_clock();
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_counter_starts_at_zero_and_counts),
        T(test_counter_rejects_negative_and_nan),
        T(test_counter_exact_past_2_pow_53),
        T(test_counter_never_wraps),
        T(test_counter_huge_whole_increments_never_wrap),
        T(test_counter_total_suffix_folded),
        T(test_counter_vec_without_children_exports_header),
        T(test_gauge_operations),
        T(test_gauge_timer_and_inprogress),
        T(test_histogram_default_buckets),
        T(test_histogram_upper_bound_inclusive),
        T(test_histogram_nan_counts_in_inf),
        T(test_histogram_bucket_validation),
        T(test_bucket_generators),
        T(test_histogram_timer),
        T(test_histogram_many_buckets_binary_search),
        T(test_openmetrics_sum_rules),
        T(test_summary_count_sum),
        T(test_summary_quantiles),
        T(test_summary_validation),
        T(test_enum_states),
        T(test_info_pairs),
        T(test_null_handles_are_noops),
        T(test_errors_and_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
