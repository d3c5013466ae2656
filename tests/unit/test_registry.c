/*
 * Pins registry behaviour: duplicate detection over every sample name a
 * family emits (with both names in the message), registering one metric in
 * several registries, unregister and clear, the reference counting that
 * decides when a metric dies, the default registry, get_sample_value, and
 * the registry's UTF-8 names option.
 */
#include "helpers.h"

static void expect_conflict(promc_registry *r, promc_metric *m, const char *mentions1,
                            const char *mentions2)
{
    assert_int_equal(promc_registry_register(r, m), PROMC_EEXIST);
    assert_non_null(strstr(promc_last_error(), mentions1));
    assert_non_null(strstr(promc_last_error(), mentions2));
}

static void test_duplicates_cover_every_emitted_name(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_counter *x = promc_counter_new(r, "x", "X.", NULL);
    promc_histogram *h = promc_histogram_new(r, "lat", "L.", NULL);
    promc_info *i = promc_info_new(r, "build", "B.", NULL, 0, NULL);
    promc_gauge *s = promc_gauge_new(r, "sz", "S.", NULL);
    assert_non_null(x);
    assert_non_null(h);
    assert_non_null(i);

    /* Each of these would emit a name an existing family already emits. */
    const struct {
        const char *name;
        const char *existing;
    } clash[] = {
        {"x", "x"},         {"x_total", "x"},       {"x_created", "x"},
        {"lat", "lat"},     {"lat_bucket", "lat"},  {"lat_count", "lat"},
        {"lat_sum", "lat"}, {"lat_created", "lat"}, {"build_info", "build"},
        {"build", "build"}, {"sz", "sz"},
    };
    for (size_t k = 0; k < sizeof clash / sizeof clash[0]; k++) {
        promc_gauge *g = promc_gauge_new(PROMC_NO_REGISTRY, clash[k].name, "G.", NULL);
        assert_non_null(g);
        expect_conflict(r, promc_gauge_metric(g), clash[k].name, clash[k].existing);
        promc_gauge_free(g);
    }
    /* And the other way round: a counter "sz" would emit sz, a histogram
     * "x" would emit x_count... */
    promc_counter *c2 = promc_counter_new(PROMC_NO_REGISTRY, "sz_total", "C.", NULL);
    expect_conflict(r, promc_counter_metric(c2), "sz", "gauge");
    promc_counter_free(c2);
    promc_summary *s2 = promc_summary_new(PROMC_NO_REGISTRY, "lat", "S.", NULL);
    expect_conflict(r, promc_summary_metric(s2), "lat", "histogram");
    promc_summary_free(s2);

    /* Creating straight into the registry fails the same way and leaks nothing. */
    assert_null(promc_gauge_new(r, "x_total", "G.", NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EEXIST);

    /* Unrelated names are fine. */
    promc_gauge *ok = promc_gauge_new(r, "x_totals", "G.", NULL);
    assert_non_null(ok);

    promc_counter_free(x);
    promc_histogram_free(h);
    promc_info_free(i);
    promc_gauge_free(s);
    promc_gauge_free(ok);
    promc_registry_free(r);
}

static void test_same_metric_twice_is_refused(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_gauge *g = promc_gauge_new(r, "g", "G.", NULL);
    assert_int_equal(promc_registry_register(r, promc_gauge_metric(g)), PROMC_EEXIST);
    assert_non_null(strstr(promc_last_error(), "already registered"));
    promc_gauge_free(g);
    promc_registry_free(r);
}

static void test_one_metric_in_several_registries(void **state)
{
    (void)state;
    promc_registry *a = promc_registry_new(), *b = promc_registry_new();
    promc_counter *c = promc_counter_new(a, "shared", "S.", NULL);
    assert_int_equal(promc_registry_register(b, promc_counter_metric(c)), PROMC_OK);
    promc_counter_inc(c);
    assert_true(test_value(a, "shared_total", NULL, 0) == 1);
    assert_true(test_value(b, "shared_total", NULL, 0) == 1);

    /* Dropping the creator's reference and one registry's keeps it alive in b. */
    promc_counter_free(c);
    promc_registry_free(a);
    assert_true(test_value(b, "shared_total", NULL, 0) == 1);
    promc_registry_free(b);
}

static void test_unregister_and_clear(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_gauge *g = promc_gauge_new(r, "g", "G.", NULL);
    promc_gauge *h = promc_gauge_new(r, "h", "H.", NULL);
    assert_int_equal(promc_registry_unregister(r, promc_gauge_metric(g)), PROMC_OK);
    assert_int_equal(promc_registry_unregister(r, promc_gauge_metric(g)), PROMC_ENOENT);
    char *out = test_render(r, PROMC_FORMAT_TEXT);
    assert_string_equal(out, "# HELP h H.\n# TYPE h gauge\nh 0\n");
    promc_free(out);
    /* Its names are free again. */
    promc_gauge *g2 = promc_gauge_new(r, "g", "G again.", NULL);
    assert_non_null(g2);
    /* Re-registering the unregistered one conflicts with its replacement. */
    assert_int_equal(promc_registry_register(r, promc_gauge_metric(g)), PROMC_EEXIST);

    promc_registry_clear(r);
    out = test_render(r, PROMC_FORMAT_TEXT);
    assert_string_equal(out, "");
    promc_free(out);
    assert_int_equal(promc_registry_register(r, promc_gauge_metric(g)), PROMC_OK);
    promc_gauge_free(g);
    promc_gauge_free(h);
    promc_gauge_free(g2);
    promc_registry_free(r);
}

static void test_registration_order_is_exposition_order(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_gauge *z = promc_gauge_new(r, "z", "Z.", NULL);
    promc_gauge *a = promc_gauge_new(r, "a", "A.", NULL);
    char *out = test_render(r, PROMC_FORMAT_TEXT);
    assert_string_equal(out,
                        "# HELP z Z.\n# TYPE z gauge\nz 0\n# HELP a A.\n# TYPE a gauge\na 0\n");
    promc_free(out);
    promc_gauge_free(z);
    promc_gauge_free(a);
    promc_registry_free(r);
}

static void test_default_registry(void **state)
{
    (void)state;
    promc_registry *d = promc_default_registry();
    assert_non_null(d);
    assert_ptr_equal(d, promc_default_registry());
    promc_gauge *g = promc_gauge_new(NULL, "default_g", "G.", NULL);
    promc_gauge_set(g, 4);
    assert_true(test_value(NULL, "default_g", NULL, 0) == 4);
    promc_registry_free(d); /* a no-op: the default registry is never freed */
    assert_true(test_value(d, "default_g", NULL, 0) == 4);
    promc_registry_clear(NULL);
    double v;
    assert_int_equal(promc_registry_get_sample_value(NULL, "default_g", NULL, 0, &v), PROMC_ENOENT);
    promc_gauge_free(g);
}

static void test_get_sample_value(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_counter_vec *c =
        promc_counter_vec_new(r, "req", "R.", PROMC_LABELS("method", "code"), NULL);
    promc_counter_add(promc_counter_vec_labels(c, "GET", "200"), 3);
    double v = 0;
    /* Label order does not matter. */
    assert_int_equal(
        promc_registry_get_sample_value(r, "req_total",
                                        (promc_label[]){{"code", "200"}, {"method", "GET"}}, 2, &v),
        PROMC_OK);
    assert_true(v == 3);
    /* A subset, a wrong value, the family name, or extra labels do not match. */
    assert_int_equal(
        promc_registry_get_sample_value(r, "req_total", (promc_label[]){{"method", "GET"}}, 1, &v),
        PROMC_ENOENT);
    assert_int_equal(
        promc_registry_get_sample_value(r, "req_total",
                                        (promc_label[]){{"code", "500"}, {"method", "GET"}}, 2, &v),
        PROMC_ENOENT);
    assert_int_equal(promc_registry_get_sample_value(
                         r, "req", (promc_label[]){{"code", "200"}, {"method", "GET"}}, 2, &v),
                     PROMC_ENOENT);
    assert_int_equal(promc_registry_get_sample_value(r, NULL, NULL, 0, &v), PROMC_EINVAL);
    assert_int_equal(promc_registry_get_sample_value(r, "req_total", NULL, 0, NULL), PROMC_EINVAL);
    assert_int_equal(
        promc_registry_get_sample_value(r, "req_total", (promc_label[]){{NULL, "x"}}, 1, &v),
        PROMC_EINVAL);
    promc_counter_vec_free(c);
    promc_registry_free(r);
}

static void test_metric_outlives_its_handle_while_registered(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_gauge_vec *g = promc_gauge_vec_new(r, "kept", "K.", PROMC_LABELS("a"), NULL);
    promc_gauge *child = promc_gauge_vec_labels(g, "1");
    promc_gauge_vec_free(g); /* the registry still holds it: the child stays valid */
    promc_gauge_set(child, 9);
    assert_true(test_value(r, "kept", (promc_label[]){{"a", "1"}}, 1) == 9);
    promc_registry_free(r);
}

/* ---------------------------------------------------------------- UTF-8 names */

static int utf8_collect(promc_emitter *e, void *ud)
{
    (void)ud;
    promc_emit_family(e, "my.family", "F.", PROMC_GAUGE, NULL);
    promc_emit_sample(e, (promc_label[]){{"a.b", "1"}}, 1, 2);
    return 0;
}

static void test_utf8_names_refused_by_default(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    assert_null(promc_counter_new(r, "my.metric", "M.", NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_non_null(strstr(promc_last_error(), "my.metric"));
    assert_null(promc_gauge_vec_new(r, "g", "G.", PROMC_LABELS("error.message"), NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_gauge_vec_new(r, "g", "G.", PROMC_LABELS("a:b"), NULL));
    assert_null(promc_info_new(r, "i", "I.", (promc_label[]){{"k.e.y", "v"}}, 1, NULL));
    assert_null(promc_collector_new(r, utf8_collect, NULL, NULL, PROMC_LABELS("my.family")));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    /* A collector's family with such names is a scrape error. */
    promc_metric *c = promc_collector_new(r, utf8_collect, NULL, NULL, NULL);
    assert_non_null(c);
    size_t len;
    assert_null(promc_encode_buffer(r, PROMC_FORMAT_TEXT, &len));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_non_null(strstr(promc_last_error(), "my.family"));
    promc_metric_free(c);
    promc_registry_free(r);
}

static void test_utf8_names_allowed_when_enabled(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    assert_int_equal(promc_registry_set_utf8_names(r, 1), PROMC_OK);
    promc_counter_vec *c = promc_counter_vec_new(r, "my.metric_total", "M.",
                                                 PROMC_LABELS("error.message", "a:b"), NULL);
    assert_non_null(c);
    assert_string_equal(promc_metric_name(promc_counter_vec_metric(c)), "my.metric");
    promc_counter_add(promc_counter_vec_labels(c, "Not Found", "x"), 2);
    /* Samples are found by the names as given. */
    assert_true(test_value(r, "my.metric_total",
                           (promc_label[]){{"error.message", "Not Found"}, {"a:b", "x"}}, 2) == 2);
    promc_gauge *g = promc_gauge_new(r, "\xE8\x8A\xB1\xE7\x81\xAB", "Fireworks.", NULL);
    assert_non_null(g);
    promc_histogram *h = promc_histogram_new(r, "1 histogram", "H.", NULL);
    assert_non_null(h);
    promc_info *i =
        promc_info_new(r, "build.info", "B.", (promc_label[]){{"git.sha", "abc"}}, 1, NULL);
    assert_non_null(i);
    promc_enum *e = promc_enum_new(r, "my.state", "S.", PROMC_LABELS("up", "down"), NULL);
    assert_non_null(e);
    promc_metric *col = promc_collector_new(r, utf8_collect, NULL, NULL, PROMC_LABELS("my.family"));
    assert_non_null(col);
    assert_true(test_value(r, "my.family", (promc_label[]){{"a.b", "1"}}, 1) == 2);
    promc_metric_free(col);
    promc_enum_free(e);
    promc_info_free(i);
    promc_histogram_free(h);
    promc_gauge_free(g);
    promc_counter_vec_free(c);
    promc_registry_free(r);
}

/* Invalid UTF-8 and the reserved names stay refused with UTF-8 names. */
static void test_utf8_names_still_refuse_invalid_and_reserved(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_registry_set_utf8_names(r, 1);
    assert_null(promc_gauge_new(r, "bad\xC5", "B.", NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_gauge_new(r, "", "B.", NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_gauge_vec_new(r, "g", "G.", PROMC_LABELS("bad\xFF"), NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_gauge_vec_new(r, "g", "G.", PROMC_LABELS("__a.b"), NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_histogram_vec_new(r, "h.x", "H.", PROMC_LABELS("le"), NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_summary_vec_new(r, "s.x", "S.", PROMC_LABELS("quantile"), NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_info_new(r, "i", "I.", (promc_label[]){{"__k", "v"}}, 1, NULL));
    assert_null(promc_collector_new(r, utf8_collect, NULL, NULL, PROMC_LABELS("x\xC0")));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    promc_registry_free(r);
}

/* A metric with such names goes only into registries that allow them;
 * turning the option off keeps what is registered. */
static void test_utf8_metric_only_in_utf8_registries(void **state)
{
    (void)state;
    promc_registry *u = promc_registry_new(), *legacy = promc_registry_new(),
                   *u2 = promc_registry_new();
    promc_registry_set_utf8_names(u, 1);
    promc_registry_set_utf8_names(u2, 1);
    promc_gauge_vec *g = promc_gauge_vec_new(u, "g", "G.", PROMC_LABELS("a.b"), NULL);
    assert_non_null(g);
    promc_metric *m = promc_gauge_vec_metric(g);
    assert_int_equal(promc_registry_register(legacy, m), PROMC_EINVAL);
    assert_non_null(strstr(promc_last_error(), "\"g\""));
    assert_int_equal(promc_registry_register(u2, m), PROMC_OK);
    /* Legacy names go anywhere. */
    promc_gauge *plain = promc_gauge_new(u, "plain", "P.", NULL);
    assert_int_equal(promc_registry_register(legacy, promc_gauge_metric(plain)), PROMC_OK);
    /* Constructors without a registry apply the legacy rules. */
    assert_null(promc_gauge_new(PROMC_NO_REGISTRY, "a.b", "A.", NULL));
    assert_int_equal(promc_registry_set_utf8_names(u, 0), PROMC_OK);
    assert_null(promc_gauge_new(u, "c.d", "C.", NULL));
    assert_true(test_value(u, "plain", NULL, 0) == 0);
    promc_gauge_set(promc_gauge_vec_labels(g, "1"), 5);
    assert_true(test_value(u, "g", (promc_label[]){{"a.b", "1"}}, 1) == 5);
    assert_int_equal(promc_registry_set_utf8_names(PROMC_NO_REGISTRY, 1), PROMC_EINVAL);
    promc_gauge_free(plain);
    promc_gauge_vec_free(g);
    promc_registry_free(u);
    promc_registry_free(u2);
    promc_registry_free(legacy);
}

int main(void)
{
    test_pin_clock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duplicates_cover_every_emitted_name),
        cmocka_unit_test(test_same_metric_twice_is_refused),
        cmocka_unit_test(test_one_metric_in_several_registries),
        cmocka_unit_test(test_unregister_and_clear),
        cmocka_unit_test(test_registration_order_is_exposition_order),
        cmocka_unit_test(test_default_registry),
        cmocka_unit_test(test_get_sample_value),
        cmocka_unit_test(test_metric_outlives_its_handle_while_registered),
        cmocka_unit_test(test_utf8_names_refused_by_default),
        cmocka_unit_test(test_utf8_names_allowed_when_enabled),
        cmocka_unit_test(test_utf8_names_still_refuse_invalid_and_reserved),
        cmocka_unit_test(test_utf8_metric_only_in_utf8_registries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
