/*
 * Pins constant labels (promc_metric_opts.const_labels) on every type, in
 * every format (golden files; tests/data/const_labels.pb is decoded by make
 * check-protobuf and compared with what client_python reads from
 * const_labels.txt), and their validation; wrapped registries
 * (promc_registry_wrap): prefix and labels, wrappers of wrappers,
 * collisions, what refuses a wrapper, and freeing in either order; and a
 * constructor getting an already registered metric back.
 */
#include "helpers.h"

#include <pthread.h>

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const promc_label env[] = {{"env", "prod"}, {"note", "a\"b\\c\nd"}};

static void expect_error(int code, const char *mentions)
{
    assert_int_equal(promc_last_error_code(), code);
    if (mentions && !strstr(promc_last_error(), mentions))
        fail_msg("error \"%s\" does not mention \"%s\"", promc_last_error(), mentions);
}

/* ===================================================================== */
/* Constant labels                                                        */
/* ===================================================================== */

static promc_registry *every_type(void)
{
    promc_registry *r = promc_registry_new();
    promc_metric_opts o = {.const_labels = env, .nconst_labels = 2};
    promc_counter *c = promc_counter_new(r, "jobs_total", "Jobs.", &o);
    promc_counter_add(c, 3);
    promc_counter_vec *cv = promc_counter_vec_new(r, "req", "Requests.", PROMC_LABELS("code"), &o);
    promc_counter_inc(promc_counter_vec_labels(cv, "200"));
    promc_counter_inc(promc_counter_vec_labels(cv, "500"));
    promc_gauge *g = promc_gauge_new(
        r, "temp_celsius", "Temperature.",
        &(promc_metric_opts){.unit = "celsius", .const_labels = env, .nconst_labels = 1});
    promc_gauge_set(g, 21.5);
    static const double b[] = {1, 2};
    promc_histogram_vec *h = promc_histogram_vec_new(
        r, "lat_seconds", "Latency.", PROMC_LABELS("path"),
        &(promc_histogram_opts){
            .buckets = b, .nbuckets = 2, .const_labels = env, .nconst_labels = 1});
    promc_histogram_observe(promc_histogram_vec_labels(h, "/a"), 1.5);
    static const promc_objective obj[] = {{0.5, 0.05}};
    promc_summary *s = promc_summary_new(
        r, "size_bytes", "Sizes.",
        &(promc_summary_opts){
            .objectives = obj, .nobjectives = 1, .const_labels = env, .nconst_labels = 1});
    promc_summary_observe(s, 10);
    promc_enum *e = promc_enum_new(r, "mode", "Mode.", PROMC_LABELS("on", "off"), &o);
    promc_enum_set(e, "off");
    static const promc_label pairs[] = {{"version", "1.2"}};
    promc_info *i = promc_info_new(r, "build", "Build.", pairs, 1,
                                   &(promc_metric_opts){.const_labels = env, .nconst_labels = 1});
    assert_non_null(i);
    /* Handles stay alive through the registry's references. */
    promc_counter_free(c);
    promc_counter_vec_free(cv);
    promc_gauge_free(g);
    promc_histogram_vec_free(h);
    promc_summary_free(s);
    promc_enum_free(e);
    promc_info_free(i);
    return r;
}

static void test_const_labels_on_every_type_in_every_format(void **state)
{
    (void)state;
    promc_registry *r = every_type();
    promc_registry_set_created(r, 0);
    char *out = test_render(r, PROMC_FORMAT_TEXT);
    test_golden("const_labels.txt", out);
    promc_free(out);
    out = test_render(r, PROMC_FORMAT_OPENMETRICS);
    test_golden("const_labels.om", out);
    promc_free(out);
    test_golden_protobuf(r, "const_labels.pb");

    /* get_sample_value sees them as labels like any other. */
    promc_label want[] = {{"code", "200"}, {"env", "prod"}, {"note", "a\"b\\c\nd"}};
    assert_true(test_value(r, "req_total", want, 3) == 1);
    promc_label want_le[] = {{"path", "/a"}, {"env", "prod"}, {"le", "2"}};
    assert_true(test_value(r, "lat_seconds_bucket", want_le, 3) == 1);
    double v;
    assert_int_equal(promc_registry_get_sample_value(r, "req_total", want, 1, &v), PROMC_ENOENT);
    promc_registry_free(r);
}

static void test_const_labels_are_validated(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    struct {
        promc_label l[2];
        size_t n;
        const char *mentions;
    } bad[] = {
        {{{"1x", "v"}}, 1, "invalid constant label name \"1x\""},
        {{{"__x", "v"}}, 1, "\"__x\""},
        {{{NULL, "v"}}, 1, "no name"},
        {{{"a", NULL}}, 1, "NULL"},
        {{{"a", "\xff"}}, 1, "UTF-8"},
        {{{"a", "1"}, {"a", "2"}}, 2, "duplicate constant label \"a\""},
        {{{"k", "v"}}, 1, "both a variable and a constant label"},
    };
    for (size_t i = 0; i < NELEMS(bad); i++) {
        promc_metric_opts o = {.const_labels = bad[i].l, .nconst_labels = bad[i].n};
        assert_null(promc_counter_vec_new(r, "c", "C.", PROMC_LABELS("k"), &o));
        expect_error(PROMC_EINVAL, bad[i].mentions);
    }
    assert_null(promc_counter_new(r, "c", "C.", &(promc_metric_opts){.nconst_labels = 1}));
    expect_error(PROMC_EINVAL, "const_labels is NULL");
    /* The names a type reserves. */
    assert_null(promc_histogram_new(
        r, "h", "H.", &(promc_histogram_opts){.const_labels = &(promc_label){"le", "1"}, 1}));
    expect_error(PROMC_EINVAL, "\"le\" is reserved");
    assert_null(promc_summary_new(
        r, "s", "S.", &(promc_summary_opts){.const_labels = &(promc_label){"quantile", "1"}, 1}));
    expect_error(PROMC_EINVAL, "\"quantile\" is reserved");
    assert_null(promc_enum_new(
        r, "mode", "M.", PROMC_LABELS("a"),
        &(promc_metric_opts){.const_labels = &(promc_label){"mode", "x"}, .nconst_labels = 1}));
    expect_error(PROMC_EINVAL, "\"mode\" is reserved");
    static const promc_label pairs[] = {{"version", "1"}};
    assert_null(promc_info_new(r, "build", "B.", pairs, 1,
                               &(promc_metric_opts){.const_labels = pairs, .nconst_labels = 1}));
    expect_error(PROMC_EINVAL, "\"version\"");
    /* Nothing was registered by the failures. */
    char *out = test_render(r, PROMC_FORMAT_TEXT);
    assert_string_equal(out, "");
    promc_free(out);
    promc_registry_free(r);
}

/* ===================================================================== */
/* Wrapped registries                                                     */
/* ===================================================================== */

static void test_wrapper_prefixes_and_labels(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_registry *w = promc_registry_wrap(r, "app_", &(promc_label){"component", "db"}, 1);
    assert_non_null(w);
    promc_registry *ww = promc_registry_wrap(w, "pool_", &(promc_label){"pool", "main"}, 1);
    assert_non_null(ww);

    promc_counter *c =
        promc_counter_new(w, "queries_total", "Queries.",
                          &(promc_metric_opts){.const_labels = env, .nconst_labels = 1});
    promc_counter_inc(c);
    promc_gauge_vec *g =
        promc_gauge_vec_new(ww, "conns", "Connections.", PROMC_LABELS("state"), NULL);
    promc_gauge_set(promc_gauge_vec_labels(g, "idle"), 4);
    promc_info *i = promc_info_new(w, "build", "Build.", &(promc_label){"version", "2"}, 1, NULL);
    assert_non_null(c);
    assert_non_null(g);
    assert_non_null(i);
    assert_string_equal(promc_metric_name(promc_counter_metric(c)), "app_queries");
    char *out = test_render(r, PROMC_FORMAT_TEXT);
    assert_string_equal(out, "# HELP app_queries_total Queries.\n"
                             "# TYPE app_queries_total counter\n"
                             "app_queries_total{env=\"prod\",component=\"db\"} 1\n"
                             "# HELP app_pool_conns Connections.\n"
                             "# TYPE app_pool_conns gauge\n"
                             "app_pool_conns{state=\"idle\",pool=\"main\",component=\"db\"} 4\n"
                             "# HELP app_build_info Build.\n"
                             "# TYPE app_build_info gauge\n"
                             "app_build_info{version=\"2\",component=\"db\"} 1\n");
    promc_free(out);

    /* Collisions are checked on the final names. */
    assert_null(promc_gauge_new(r, "app_queries_total", "Clash.", NULL));
    expect_error(PROMC_EEXIST, "app_queries");
    assert_null(promc_gauge_new(w, "queries_created", "Clash.", NULL));
    expect_error(PROMC_EEXIST, "app_queries");
    /* A label the wrapper adds cannot be the metric's own too, nor one
     * its type reserves. */
    assert_null(promc_gauge_vec_new(w, "x", "X.", PROMC_LABELS("component"), NULL));
    expect_error(PROMC_EINVAL, "\"component\"");
    promc_registry *wle = promc_registry_wrap(r, NULL, &(promc_label){"le", "x"}, 1);
    assert_non_null(wle);
    assert_null(promc_histogram_new(wle, "h", "H.", NULL));
    expect_error(PROMC_EINVAL, "\"le\" is reserved");
    promc_gauge *fine = promc_gauge_new(wle, "fine_with_le", "G.", NULL);
    assert_non_null(fine);
    promc_gauge_free(fine);
    promc_registry_free(wle);

    /* Unregister and register again through the wrapper. */
    assert_int_equal(promc_registry_unregister(w, promc_counter_metric(c)), PROMC_OK);
    assert_int_equal(promc_registry_register(w, promc_counter_metric(c)), PROMC_OK);
    promc_counter *plain = promc_counter_new(PROMC_NO_REGISTRY, "plain", "P.", NULL);
    assert_int_equal(promc_registry_register(w, promc_counter_metric(plain)), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "create it through the wrapper");
    assert_int_equal(promc_registry_unregister(w, promc_counter_metric(plain)), PROMC_ENOENT);
    promc_counter_free(plain);

    promc_counter_free(c);
    promc_gauge_vec_free(g);
    promc_info_free(i);
    promc_registry_free(ww);
    promc_registry_free(w);
    promc_registry_free(r);
}

static int collect_jobs(promc_emitter *e, void *userdata)
{
    (void)userdata;
    promc_emit_family(e, "jobs", "Jobs.", PROMC_GAUGE, NULL);
    promc_emit_sample(e, &(promc_label){"state", "ok"}, 1, 3);
    promc_emit_sample(e, NULL, 0, 4);
    promc_emit_family(e, "runs_total", "Runs.", PROMC_COUNTER, NULL);
    promc_emit_sample(e, NULL, 0, 5);
    return 0;
}

static int collect_clash(promc_emitter *e, void *userdata)
{
    (void)userdata;
    promc_emit_family(e, "clash", "Clash.", PROMC_GAUGE, NULL);
    /* The wrapper adds "component" itself. */
    assert_int_equal(promc_emit_sample(e, &(promc_label){"component", "x"}, 1, 1), PROMC_EINVAL);
    promc_emit_family(e, "lat", "Lat.", PROMC_HISTOGRAM, NULL);
    return 0;
}

static void test_collector_through_a_wrapper(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_registry *w = promc_registry_wrap(r, "app_", &(promc_label){"component", "db"}, 1);
    promc_registry *ww = promc_registry_wrap(w, "pool_", NULL, 0);
    promc_metric *c =
        promc_collector_new(ww, collect_jobs, NULL, NULL, PROMC_LABELS("jobs", "runs_total"));
    assert_non_null(c);
    assert_string_equal(promc_metric_name(c), "app_pool_jobs");
    char *out = test_render(r, PROMC_FORMAT_TEXT);
    assert_string_equal(out, "# HELP app_pool_jobs Jobs.\n"
                             "# TYPE app_pool_jobs gauge\n"
                             "app_pool_jobs{state=\"ok\",component=\"db\"} 3\n"
                             "app_pool_jobs{component=\"db\"} 4\n"
                             "# HELP app_pool_runs_total Runs.\n"
                             "# TYPE app_pool_runs_total counter\n"
                             "app_pool_runs_total{component=\"db\"} 5\n");
    promc_free(out);
    /* The declared names are claimed with the prefix. */
    assert_null(promc_gauge_new(r, "app_pool_jobs", "G.", NULL));
    expect_error(PROMC_EEXIST, "app_pool_jobs");
    promc_gauge *unprefixed = promc_gauge_new(r, "jobs", "Unprefixed: no clash.", NULL);
    assert_non_null(unprefixed);
    promc_gauge_free(unprefixed);
    /* Unregistered and registered again through a wrapper like it only. */
    assert_int_equal(promc_registry_unregister(w, c), PROMC_ENOENT);
    assert_int_equal(promc_registry_unregister(ww, c), PROMC_OK);
    assert_int_equal(promc_registry_register(w, c), PROMC_EINVAL);
    assert_int_equal(promc_registry_register(ww, c), PROMC_OK);
    promc_metric *plain = promc_collector_new(PROMC_NO_REGISTRY, collect_jobs, NULL, NULL, NULL);
    assert_int_equal(promc_registry_register(ww, plain), PROMC_EINVAL);
    promc_metric_free(plain);

    /* A sample label the wrapper adds too is the collection's error. */
    promc_metric *bad = promc_collector_new(w, collect_clash, NULL, NULL, NULL);
    assert_non_null(bad);
    size_t len;
    assert_null(promc_encode_buffer(r, PROMC_FORMAT_TEXT, &len));
    expect_error(PROMC_EINVAL, "\"component\"");
    promc_metric_free(bad);
    promc_metric_free(c);
    promc_registry_free(ww);
    promc_registry_free(w);
    promc_registry_free(r);
}

static void test_wrapper_refuses_what_it_cannot_do(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_registry *w = promc_registry_wrap(r, "p_", NULL, 0);
    double v;
    size_t len;
    assert_null(promc_encode_buffer(w, PROMC_FORMAT_TEXT, &len));
    expect_error(PROMC_EINVAL, "wrapped registry");
    assert_int_equal(promc_registry_get_sample_value(w, "x", NULL, 0, &v), PROMC_EINVAL);
    assert_int_equal(promc_registry_clear(w), PROMC_EINVAL);
    assert_int_equal(promc_registry_set_created(w, 0), PROMC_EINVAL);
    assert_int_equal(promc_registry_set_max_children(w, 3), PROMC_EINVAL);
    assert_int_equal(promc_registry_set_utf8_names(w, 1), PROMC_EINVAL);
    assert_null(promc_process_collector_new(w, NULL));
    expect_error(PROMC_EINVAL, "wrapped registry");

    /* Bad wrappers. */
    assert_null(promc_registry_wrap(PROMC_NO_REGISTRY, "p_", NULL, 0));
    expect_error(PROMC_EINVAL, "PROMC_NO_REGISTRY");
    assert_null(promc_registry_wrap(r, "\xff", NULL, 0));
    expect_error(PROMC_EINVAL, "UTF-8");
    assert_null(promc_registry_wrap(r, NULL, NULL, 1));
    expect_error(PROMC_EINVAL, "NULL");
    assert_null(promc_registry_wrap(r, NULL, &(promc_label){"__a", "x"}, 1));
    expect_error(PROMC_EINVAL, "\"__a\"");
    assert_null(promc_registry_wrap(r, NULL, &(promc_label){"a", NULL}, 1));
    expect_error(PROMC_EINVAL, "NULL");
    promc_label two[] = {{"a", "1"}, {"a", "2"}};
    assert_null(promc_registry_wrap(r, NULL, two, 2));
    expect_error(PROMC_EINVAL, "duplicate");
    promc_registry *wa = promc_registry_wrap(r, NULL, two, 1);
    assert_null(promc_registry_wrap(wa, NULL, two + 1, 1));
    expect_error(PROMC_EINVAL, "already added");
    /* A prefix that makes an invalid name fails at creation. */
    promc_registry *bad = promc_registry_wrap(r, "1", NULL, 0);
    assert_non_null(bad);
    assert_null(promc_counter_new(bad, "x", "X.", NULL));
    expect_error(PROMC_EINVAL, "\"1x\"");
    assert_int_equal(promc_registry_free(bad), PROMC_OK);
    assert_int_equal(promc_registry_free(wa), PROMC_OK);
    assert_int_equal(promc_registry_free(w), PROMC_OK);
    promc_registry_free(r);
}

static void test_registry_freed_before_its_wrapper(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_registry *w = promc_registry_wrap(r, "late_", NULL, 0);
    promc_counter *c = promc_counter_new(w, "a", "A.", NULL);
    assert_int_equal(promc_registry_free(r), PROMC_OK);
    /* The wrapper keeps the registry alive: creating through it still works. */
    promc_counter *d = promc_counter_new(w, "b", "B.", NULL);
    assert_non_null(d);
    promc_counter_inc(c);
    promc_counter_free(c);
    promc_counter_free(d);
    assert_int_equal(promc_registry_free(w), PROMC_OK);

    /* The default registry can be wrapped too. */
    promc_registry *wd = promc_registry_wrap(NULL, "wrapped_default_", NULL, 0);
    promc_gauge *g = promc_gauge_new(wd, "g", "G.", NULL);
    promc_gauge_set(g, 7);
    assert_true(test_value(NULL, "wrapped_default_g", NULL, 0) == 7);
    assert_int_equal(promc_registry_unregister(wd, promc_gauge_metric(g)), PROMC_OK);
    promc_gauge_free(g);
    promc_registry_free(wd);
}

/* ===================================================================== */
/* Getting the existing metric back                                       */
/* ===================================================================== */

static void test_same_definition_returns_the_registered_metric(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_metric_opts o = {.const_labels = env, .nconst_labels = 2};
    promc_counter_vec *a = promc_counter_vec_new(r, "hits", "Hits.", PROMC_LABELS("k"), &o);
    /* The same definition (constant labels in another order): the same one. */
    promc_label swapped[] = {env[1], env[0]};
    promc_counter_vec *b = promc_counter_vec_new(
        r, "hits_total", "Hits.", PROMC_LABELS("k"),
        &(promc_metric_opts){.const_labels = swapped, .nconst_labels = 2, .max_children = 9});
    assert_ptr_equal(a, b);
    assert_int_equal(promc_last_error_code(), PROMC_OK);
    promc_counter_inc(promc_counter_vec_labels(b, "x"));
    assert_true(promc_counter_get(promc_counter_vec_labels(a, "x")) == 1);

    /* Each call owns a reference: two frees, then a third is refused. */
    assert_int_equal(promc_counter_vec_free(a), PROMC_OK);
    assert_int_equal(promc_counter_vec_free(b), PROMC_OK);
    assert_int_equal(promc_counter_vec_free(b), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "already freed");
    /* Still registered: asking again gives it back once more. */
    promc_counter_vec *c = promc_counter_vec_new(r, "hits", "Hits.", PROMC_LABELS("k"), &o);
    assert_ptr_equal(c, a);
    assert_int_equal(promc_counter_vec_free(c), PROMC_OK);

    /* A different definition stays an error that says what differs. */
    struct {
        promc_counter_vec *got;
        const char *why;
    } diff[] = {
        {promc_counter_vec_new(r, "hits", "Other.", PROMC_LABELS("k"), &o), "another help text"},
        {promc_counter_vec_new(r, "hits", "Hits.", PROMC_LABELS("j"), &o), "other label names"},
        {promc_counter_vec_new(r, "hits", "Hits.", PROMC_LABELS("k"), NULL),
         "other constant labels"},
    };
    for (size_t i = 0; i < NELEMS(diff); i++) {
        assert_null(diff[i].got);
        (void)diff[i].why;
    }
    assert_null(promc_counter_vec_new(r, "hits", "Other.", PROMC_LABELS("k"), &o));
    expect_error(PROMC_EEXIST, "counter \"hits\" is already registered with another help text");
    assert_null(promc_gauge_vec_new(r, "hits", "Hits.", PROMC_LABELS("k"), &o));
    expect_error(PROMC_EEXIST, "already emitted by counter \"hits\"");

    /* Unlabelled types, and what each type adds to its definition. */
    static const double b1[] = {1, 2}, b2[] = {1, 3};
    promc_histogram *h1 =
        promc_histogram_new(r, "lat", "L.", &(promc_histogram_opts){.buckets = b1, .nbuckets = 2});
    promc_histogram *h2 =
        promc_histogram_new(r, "lat", "L.", &(promc_histogram_opts){.buckets = b1, .nbuckets = 2});
    assert_ptr_equal(h1, h2);
    assert_null(
        promc_histogram_new(r, "lat", "L.", &(promc_histogram_opts){.buckets = b2, .nbuckets = 2}));
    expect_error(PROMC_EEXIST, "other buckets");
    static const promc_objective q1[] = {{0.5, 0.05}}, q2[] = {{0.9, 0.01}};
    promc_summary *s1 =
        promc_summary_new(r, "sz", "S.", &(promc_summary_opts){.objectives = q1, .nobjectives = 1});
    assert_ptr_equal(s1,
                     promc_summary_new(r, "sz", "S.",
                                       &(promc_summary_opts){.objectives = q1, .nobjectives = 1}));
    assert_null(promc_summary_new(r, "sz", "S.",
                                  &(promc_summary_opts){.objectives = q2, .nobjectives = 1}));
    expect_error(PROMC_EEXIST, "other objectives");
    promc_enum *e1 = promc_enum_new(r, "mode", "M.", PROMC_LABELS("a", "b"), NULL);
    assert_ptr_equal(e1, promc_enum_new(r, "mode", "M.", PROMC_LABELS("a", "b"), NULL));
    assert_null(promc_enum_new(r, "mode", "M.", PROMC_LABELS("b", "a"), NULL));
    expect_error(PROMC_EEXIST, "other states");
    promc_info *i1 = promc_info_new(r, "build", "B.", &(promc_label){"v", "1"}, 1, NULL);
    assert_ptr_equal(i1, promc_info_new(r, "build", "B.", &(promc_label){"v", "1"}, 1, NULL));
    assert_null(promc_info_new(r, "build", "B.", &(promc_label){"v", "2"}, 1, NULL));
    expect_error(PROMC_EEXIST, "other pairs");
    promc_gauge *g1 =
        promc_gauge_new(r, "t_celsius", "T.", &(promc_metric_opts){.unit = "celsius"});
    assert_ptr_equal(
        g1, promc_gauge_new(r, "t_celsius", "T.", &(promc_metric_opts){.unit = "celsius"}));
    assert_null(promc_gauge_new(r, "t_celsius", "T.", NULL));
    expect_error(PROMC_EEXIST, "another unit");
    /* Through a wrapper: the final definition is compared. */
    promc_registry *w = promc_registry_wrap(r, "w_", &(promc_label){"z", "1"}, 1);
    promc_gauge *wg = promc_gauge_new(w, "g", "G.", NULL);
    assert_ptr_equal(wg,
                     promc_gauge_new(r, "w_g", "G.",
                                     &(promc_metric_opts){.const_labels = &(promc_label){"z", "1"},
                                                          .nconst_labels = 1}));
    /* register() of the same metric twice stays an error. */
    assert_int_equal(promc_registry_register(r, promc_gauge_metric(g1)), PROMC_EEXIST);
    char *out = test_render(r, PROMC_FORMAT_TEXT);
    assert_non_null(strstr(out, "lat_count 0\n"));
    promc_free(out);

    /* Two references each; the registry holds the metrics either way. */
    for (int k = 0; k < 2; k++) {
        assert_int_equal(promc_histogram_free(h1), PROMC_OK);
        assert_int_equal(promc_summary_free(s1), PROMC_OK);
        assert_int_equal(promc_enum_free(e1), PROMC_OK);
        assert_int_equal(promc_info_free(i1), PROMC_OK);
        assert_int_equal(promc_gauge_free(g1), PROMC_OK);
        assert_int_equal(promc_gauge_free(wg), PROMC_OK);
    }
    assert_int_equal(promc_gauge_free(g1), PROMC_EINVAL);
    promc_registry_free(w);
    promc_registry_free(r);
}

/* ===================================================================== */
/* Labelled infos                                                         */
/* ===================================================================== */

static void test_info_vec_children_carry_their_own_pairs(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_registry_set_created(r, 0);
    promc_info_vec *v = promc_info_vec_new(
        r, "target_info", "Target metadata.", PROMC_LABELS("instance"),
        &(promc_metric_opts){.const_labels = &(promc_label){"job", "node"}, .nconst_labels = 1});
    assert_non_null(v);
    assert_string_equal(promc_metric_name(promc_info_vec_metric(v)), "target");
    promc_label a[] = {{"version", "1.0"}, {"os", "linux \"x\""}};
    assert_int_equal(promc_info_vec_set(v, a, 2, "host1:9100"), PROMC_OK);
    promc_label b[] = {{"version", "2.0"}};
    assert_int_equal(promc_info_vec_set(v, b, 1, "host2:9100"), PROMC_OK);
    assert_int_equal(promc_info_vec_set(v, NULL, 0, "host3:9100"), PROMC_OK);
    /* Replaced pairs: only the new ones are exposed. */
    promc_label b2[] = {{"version", "2.1"}};
    assert_int_equal(promc_info_vec_set(v, b2, 1, "host2:9100"), PROMC_OK);
    char *out = test_render(r, PROMC_FORMAT_TEXT);
    test_golden("info_vec.txt", out);
    promc_free(out);
    out = test_render(r, PROMC_FORMAT_OPENMETRICS);
    test_golden("info_vec.om", out);
    promc_free(out);
    test_golden_protobuf(r, "info_vec.pb");
    promc_label want[] = {{"instance", "host2:9100"}, {"job", "node"}, {"version", "2.1"}};
    assert_true(test_value(r, "target_info", want, 3) == 1);

    /* Bad pairs change nothing. */
    promc_label dup[] = {{"k", "1"}, {"k", "2"}};
    assert_int_equal(promc_info_vec_set(v, dup, 2, "host1:9100"), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "duplicate key \"k\"");
    promc_label bad[] = {{"instance", "x"}, {"job", "x"}, {"__k", "x"}, {"k", "\xff"}, {"k", NULL}};
    assert_int_equal(promc_info_vec_set(v, bad, 1, "host1:9100"), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "is a label name");
    for (size_t i = 1; i < NELEMS(bad); i++)
        assert_int_equal(promc_info_vec_set(v, bad + i, 1, "host1:9100"), PROMC_EINVAL);
    assert_int_equal(promc_info_vec_set(v, NULL, 1, "host1:9100"), PROMC_EINVAL);
    assert_int_equal(promc_info_vec_set_n(v, NULL, 0, NULL, 0), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "expected 1 label values, got 0");
    assert_int_equal(promc_info_vec_set_n(NULL, NULL, 0, NULL, 0), PROMC_EINVAL);
    assert_null(promc_info_vec_new(r, "other", "O.", NULL, NULL));
    expect_error(PROMC_EINVAL, "at least one label name");
    assert_null(promc_info_vec_new(r, "other", "O.", PROMC_LABELS("a"),
                                   &(promc_metric_opts){.unit = "seconds"}));
    expect_error(PROMC_EINVAL, NULL);
    out = test_render(r, PROMC_FORMAT_TEXT);
    test_golden("info_vec.txt", out);
    promc_free(out);

    /* Removed: gone until its pairs are set again. */
    assert_int_equal(promc_info_vec_remove(v, "host1:9100"), PROMC_OK);
    assert_int_equal(promc_info_vec_remove(v, "host1:9100"), PROMC_ENOENT);
    out = test_render(r, PROMC_FORMAT_TEXT);
    assert_null(strstr(out, "host1"));
    promc_free(out);
    assert_int_equal(promc_info_vec_set(v, b, 1, "host1:9100"), PROMC_OK);
    out = test_render(r, PROMC_FORMAT_TEXT);
    assert_non_null(strstr(out, "target_info{instance=\"host1:9100\",job=\"node\",version=\"2.0\"} "
                                "1\n"));
    assert_null(strstr(out, "linux"));
    promc_free(out);
    assert_int_equal(promc_metric_children(promc_info_vec_metric(v)), 3);
    assert_int_equal(promc_info_vec_clear(v), PROMC_OK);
    assert_int_equal(promc_metric_children(PROMC_METRIC(v)), 0);
    assert_int_equal(promc_info_vec_clear(NULL), PROMC_EINVAL);
    assert_int_equal(promc_info_vec_remove_n(NULL, NULL, 0), PROMC_EINVAL);
    assert_int_equal(promc_metric_reclaim_removed(PROMC_METRIC(v)), PROMC_OK);

    /* The same definition comes back; an unlabelled info of the name clashes. */
    promc_info_vec *again = promc_info_vec_new(
        r, "target", "Target metadata.", PROMC_LABELS("instance"),
        &(promc_metric_opts){.const_labels = &(promc_label){"job", "node"}, .nconst_labels = 1});
    assert_ptr_equal(again, v);
    assert_null(promc_info_new(r, "target", "Target metadata.", NULL, 0, NULL));
    expect_error(PROMC_EEXIST, "target");
    assert_int_equal(promc_info_vec_free(again), PROMC_OK);
    assert_int_equal(promc_info_vec_free(v), PROMC_OK);
    assert_int_equal(promc_info_vec_free(NULL), PROMC_OK);
    assert_null(promc_info_vec_metric(NULL));
    promc_registry_free(r);
}

/* ===================================================================== */
/* Threads                                                                */
/* ===================================================================== */

struct race {
    promc_registry *reg;
    promc_info_vec *info;
    int id;
};

static void *race_set_pairs(void *arg)
{
    struct race *r = arg;
    char v[16];
    for (int i = 0; i < 2000; i++) {
        snprintf(v, sizeof v, "%d", i);
        promc_label pairs[] = {{"version", v}, {"thread", r->id ? "b" : "a"}};
        assert_int_equal(promc_info_vec_set(r->info, pairs, 2, r->id ? "h2" : "h1"), PROMC_OK);
        if (i % 100 == 0)
            promc_info_vec_remove(r->info, r->id ? "h2" : "h1");
    }
    return NULL;
}

static void *race_scrape(void *arg)
{
    struct race *r = arg;
    for (int i = 0; i < 200; i++) {
        size_t len;
        char *out = promc_encode_buffer(r->reg, PROMC_FORMAT_OPENMETRICS, &len);
        assert_non_null(out);
        promc_free(out);
    }
    return NULL;
}

/* Constructors racing for one definition all get the one metric, each with
 * a reference of its own. */
static void *race_create(void *arg)
{
    struct race *r = arg;
    promc_registry *w = promc_registry_wrap(r->reg, "race_", &(promc_label){"k", "v"}, 1);
    for (int i = 0; i < 500; i++) {
        promc_counter *c = promc_counter_new(w, "hits", "Hits.", NULL);
        assert_non_null(c);
        promc_counter_inc(c);
        assert_int_equal(promc_counter_free(c), PROMC_OK);
    }
    promc_registry_free(w);
    return NULL;
}

static void test_threads_set_pairs_create_and_scrape(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_info_vec *info = promc_info_vec_new(reg, "target", "T.", PROMC_LABELS("instance"), NULL);
    promc_counter *keep = promc_counter_new(
        reg, "race_hits", "Hits.",
        &(promc_metric_opts){.const_labels = &(promc_label){"k", "v"}, .nconst_labels = 1});
    struct race rs[5];
    pthread_t t[5];
    void *(*fn[5])(void *) = {race_set_pairs, race_set_pairs, race_scrape, race_create,
                              race_create};
    for (int i = 0; i < 5; i++) {
        rs[i] = (struct race){reg, info, i % 2};
        assert_int_equal(pthread_create(&t[i], NULL, fn[i], &rs[i]), 0);
    }
    for (int i = 0; i < 5; i++)
        pthread_join(t[i], NULL);
    assert_true(promc_counter_get(keep) == 1000);
    promc_label want[] = {{"instance", "h1"}, {"version", "1999"}, {"thread", "a"}};
    assert_true(test_value(reg, "target_info", want, 3) == 1);
    promc_counter_free(keep);
    promc_info_vec_free(info);
    promc_registry_free(reg);
}

int main(void)
{
    test_pin_clock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_const_labels_on_every_type_in_every_format),
        cmocka_unit_test(test_const_labels_are_validated),
        cmocka_unit_test(test_wrapper_prefixes_and_labels),
        cmocka_unit_test(test_wrapper_refuses_what_it_cannot_do),
        cmocka_unit_test(test_collector_through_a_wrapper),
        cmocka_unit_test(test_registry_freed_before_its_wrapper),
        cmocka_unit_test(test_same_definition_returns_the_registered_metric),
        cmocka_unit_test(test_info_vec_children_carry_their_own_pairs),
        cmocka_unit_test(test_threads_set_pairs_create_and_scrape),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    promc_shutdown();
    return rc;
}
