/*
 * Curried views (promc_*_vec_curry): lookups through a view pass only the
 * free values, in the family's label order, and find the family's own
 * children; views compose; every mistake (an unknown, repeated or already
 * fixed label, a wrong count, NULLs, invalid UTF-8) is refused with
 * PROMC_EINVAL and a message naming it; remove and clear through a view;
 * a view outliving its family; every vec type.
 */
#include "helpers.h"

static void reset_error(void)
{
    promc__ok();
}

/* The last failure has this code and its message contains needle. */
static void expect_error(int code, const char *needle)
{
    if (promc_last_error_code() != code)
        fail_msg("expected %s, got %s (\"%s\")", promc_errname(code),
                 promc_errname(promc_last_error_code()), promc_last_error());
    if (needle && !strstr(promc_last_error(), needle))
        fail_msg("message \"%s\" does not mention %s", promc_last_error(), needle);
}

static void expect_render(promc_registry *reg, const char *want)
{
    char *s = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(s, want);
    promc_free(s);
}

static promc_counter_vec *requests(promc_registry *reg)
{
    promc_counter_vec *v = promc_counter_vec_new(reg, "req", "Requests.",
                                                 PROMC_LABELS("method", "code", "instance"), NULL);
    assert_non_null(v);
    return v;
}

/* ------------------------------------------------------------------ */
/* Lookups                                                            */
/* ------------------------------------------------------------------ */

static void view_finds_the_familys_children(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *v = requests(reg);
    promc_counter_vec *a = promc_counter_vec_curry(v, &(promc_label){"instance", "a"}, 1);
    assert_non_null(a);
    assert_int_equal(promc_last_error_code(), PROMC_OK);
    promc_counter *c = promc_counter_vec_labels(a, "GET", "200");
    assert_non_null(c);
    assert_ptr_equal(c, promc_counter_vec_labels(v, "GET", "200", "a"));
    assert_ptr_equal(c, promc_counter_vec_labels(a, "GET", "200")); /* a cache hit */
    promc_counter_inc(c);
    promc_counter_add(promc_counter_vec_labels(a, "POST", "500"), 2);
    expect_render(reg, "# HELP req_total Requests.\n"
                       "# TYPE req_total counter\n"
                       "req_total{method=\"GET\",code=\"200\",instance=\"a\"} 1\n"
                       "req_total{method=\"POST\",code=\"500\",instance=\"a\"} 2\n");
    assert_int_equal(promc_counter_vec_free(a), PROMC_OK);
    assert_int_equal(promc_counter_vec_free(v), PROMC_OK);
    promc_registry_free(reg);
}

static void free_values_keep_the_family_order(void **state)
{
    (void)state;
    promc_counter_vec *v = requests(PROMC_NO_REGISTRY);
    /* Fixing the middle label leaves (method, instance), in that order. */
    promc_counter_vec *mid = promc_counter_vec_curry(v, &(promc_label){"code", "404"}, 1);
    assert_ptr_equal(promc_counter_vec_labels(mid, "GET", "b"),
                     promc_counter_vec_labels(v, "GET", "404", "b"));
    /* Pairs in any order; the first and last fixed leave the middle one. */
    promc_label ends[] = {{"instance", "c"}, {"method", "PUT"}};
    promc_counter_vec *e = promc_counter_vec_curry(v, ends, 2);
    assert_ptr_equal(promc_counter_vec_labels(e, "201"),
                     promc_counter_vec_labels(v, "PUT", "201", "c"));
    promc_counter_vec_free(e);
    promc_counter_vec_free(mid);
    promc_counter_vec_free(v);
}

static void views_compose(void **state)
{
    (void)state;
    promc_counter_vec *v = requests(PROMC_NO_REGISTRY);
    promc_counter_vec *a = promc_counter_vec_curry(v, &(promc_label){"instance", "a"}, 1);
    promc_counter_vec *ag = promc_counter_vec_curry(a, &(promc_label){"method", "GET"}, 1);
    assert_non_null(ag);
    assert_ptr_equal(promc_counter_vec_labels(ag, "200"),
                     promc_counter_vec_labels(v, "GET", "200", "a"));
    /* The first view is not changed by the second, and outlives it or not. */
    promc_counter_vec_free(a);
    assert_ptr_equal(promc_counter_vec_labels(ag, "301"),
                     promc_counter_vec_labels(v, "GET", "301", "a"));
    /* n 0: a view fixing the same labels. */
    promc_counter_vec *same = promc_counter_vec_curry(ag, NULL, 0);
    assert_non_null(same);
    assert_ptr_equal(promc_counter_vec_labels(same, "200"), promc_counter_vec_labels(ag, "200"));
    promc_counter_vec_free(same);
    promc_counter_vec_free(ag);
    promc_counter_vec_free(v);
}

static void currying_every_label_leaves_no_values(void **state)
{
    (void)state;
    promc_counter_vec *v = requests(PROMC_NO_REGISTRY);
    promc_label all[] = {{"code", "200"}, {"method", "GET"}, {"instance", "a"}};
    promc_counter_vec *one = promc_counter_vec_curry(v, all, 3);
    assert_non_null(one);
    promc_counter *c = promc_counter_vec_labels_n(one, NULL, 0);
    assert_non_null(c);
    assert_ptr_equal(c, promc_counter_vec_labels(v, "GET", "200", "a"));
    reset_error();
    assert_null(promc_counter_vec_labels(one, "x"));
    expect_error(PROMC_EINVAL, "expected 0 label values (the view fixes 3 of 3), got 1");
    assert_int_equal(promc_counter_vec_remove_n(one, NULL, 0), PROMC_OK);
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(v)), 0);
    promc_counter_vec_free(one);
    promc_counter_vec_free(v);
}

/* ------------------------------------------------------------------ */
/* Mistakes                                                           */
/* ------------------------------------------------------------------ */

static void bad_curries_are_refused(void **state)
{
    (void)state;
    promc_counter_vec *v = requests(PROMC_NO_REGISTRY);
    promc_counter_vec *a = promc_counter_vec_curry(v, &(promc_label){"instance", "a"}, 1);

    reset_error();
    assert_null(promc_counter_vec_curry(NULL, &(promc_label){"instance", "a"}, 1));
    expect_error(PROMC_EINVAL, "promc_counter_vec_curry: NULL family");
    reset_error();
    assert_null(promc_counter_vec_curry(v, NULL, 1));
    expect_error(PROMC_EINVAL, "label pairs missing");
    reset_error();
    assert_null(promc_counter_vec_curry(v, &(promc_label){"host", "a"}, 1));
    expect_error(PROMC_EINVAL, "no label named \"host\"");
    reset_error();
    assert_null(promc_counter_vec_curry(a, &(promc_label){"instance", "b"}, 1));
    expect_error(PROMC_EINVAL, "label \"instance\" is already curried");
    reset_error();
    assert_null(promc_counter_vec_curry(a, &(promc_label){"instance", "a"}, 1));
    expect_error(PROMC_EINVAL, "already curried");
    promc_label twice[] = {{"code", "1"}, {"code", "2"}};
    reset_error();
    assert_null(promc_counter_vec_curry(v, twice, 2));
    expect_error(PROMC_EINVAL, "label \"code\" given twice");
    reset_error();
    assert_null(promc_counter_vec_curry(v, &(promc_label){NULL, "a"}, 1));
    expect_error(PROMC_EINVAL, "label name 0 is NULL");
    reset_error();
    assert_null(promc_counter_vec_curry(v, &(promc_label){"code", NULL}, 1));
    expect_error(PROMC_EINVAL, "value of label \"code\" is NULL");
    reset_error();
    assert_null(promc_counter_vec_curry(v, &(promc_label){"code", "\xff"}, 1));
    expect_error(PROMC_EINVAL, "value of label \"code\" is not valid UTF-8");
    promc_label four[] = {{"code", "1"}, {"method", "2"}, {"instance", "3"}, {"x", "4"}};
    reset_error();
    assert_null(promc_counter_vec_curry(v, four, 4));
    expect_error(PROMC_EINVAL, "4 label pairs for 3 labels");

    /* Wrong counts and NULLs through a view. */
    reset_error();
    assert_null(promc_counter_vec_labels(a, "GET", "200", "a"));
    expect_error(PROMC_EINVAL, "expected 2 label values (the view fixes 1 of 3), got 3");
    reset_error();
    assert_null(promc_counter_vec_labels(a, "GET"));
    expect_error(PROMC_EINVAL, "got 1");
    reset_error();
    assert_null(promc_counter_vec_labels_n(a, NULL, 2));
    expect_error(PROMC_EINVAL, "got 2 (NULL)");
    reset_error();
    assert_null(promc_counter_vec_labels(a, "GET", NULL));
    expect_error(PROMC_EINVAL, "value of label \"code\" is NULL");
    reset_error();
    assert_null(promc_counter_vec_labels(a, "GET", "\xc3"));
    expect_error(PROMC_EINVAL, "value of label \"code\" is not valid UTF-8");
    reset_error();
    assert_int_equal(promc_counter_vec_remove(a, "GET"), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "(the view fixes 1 of 3)");
    reset_error();
    assert_int_equal(promc_counter_vec_remove(a, "GET", "200"), PROMC_ENOENT);
    promc_counter_vec_free(a);
    promc_counter_vec_free(v);
}

/* ------------------------------------------------------------------ */
/* Remove, clear, ownership                                           */
/* ------------------------------------------------------------------ */

static void remove_and_clear_through_a_view(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *v = requests(reg);
    promc_counter_vec *a = promc_counter_vec_curry(v, &(promc_label){"instance", "a"}, 1);
    promc_counter *get = promc_counter_vec_labels(a, "GET", "200");
    promc_counter_inc(get);
    promc_counter_inc(promc_counter_vec_labels(a, "PUT", "200"));
    promc_counter_inc(promc_counter_vec_labels(v, "GET", "200", "b"));

    assert_int_equal(promc_counter_vec_remove(a, "GET", "200"), PROMC_OK);
    assert_int_equal(promc_last_error_code(), PROMC_OK);
    promc_counter_inc(get); /* detached, still working */
    expect_render(reg, "# HELP req_total Requests.\n"
                       "# TYPE req_total counter\n"
                       "req_total{method=\"PUT\",code=\"200\",instance=\"a\"} 1\n"
                       "req_total{method=\"GET\",code=\"200\",instance=\"b\"} 1\n");
    /* Back at zero, in the same memory. */
    assert_ptr_equal(promc_counter_vec_labels(a, "GET", "200"), get);
    assert_true(promc_counter_get(get) == 0);

    /* Clear through a view: only the view's children. */
    assert_int_equal(promc_counter_vec_clear(a), PROMC_OK);
    expect_render(reg, "# HELP req_total Requests.\n"
                       "# TYPE req_total counter\n"
                       "req_total{method=\"GET\",code=\"200\",instance=\"b\"} 1\n");
    /* A view that fixes nothing clears everything. */
    promc_counter_vec *none = promc_counter_vec_curry(v, NULL, 0);
    assert_int_equal(promc_counter_vec_clear(none), PROMC_OK);
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(v)), 0);
    reset_error();
    assert_int_equal(promc_counter_vec_clear(NULL), PROMC_EINVAL);
    promc_counter_vec_free(none);
    promc_counter_vec_free(a);
    promc_counter_vec_free(v);
    promc_registry_free(reg);
}

static void a_view_is_not_a_metric(void **state)
{
    (void)state;
    promc_counter_vec *v = requests(PROMC_NO_REGISTRY);
    promc_counter_vec *a = promc_counter_vec_curry(v, &(promc_label){"instance", "a"}, 1);
    assert_null(promc_counter_vec_metric(a));
    assert_null(PROMC_METRIC(a));
    assert_non_null(PROMC_METRIC(v));
    assert_int_equal(promc_counter_add(NULL, -1), PROMC_EINVAL);
    assert_int_equal(promc_counter_vec_free(a), PROMC_OK);
    assert_int_equal(promc_last_error_code(), PROMC_OK);
    assert_int_equal(promc_counter_vec_free(NULL), PROMC_OK);
    promc_counter_vec_free(v);
}

static void the_family_may_go_first(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *v = requests(reg);
    promc_counter_vec *a = promc_counter_vec_curry(v, &(promc_label){"instance", "a"}, 1);
    promc_counter_vec *ab = promc_counter_vec_curry(a, &(promc_label){"code", "b"}, 1);
    /* The caller's reference and the registry's go; the views keep it. */
    assert_int_equal(promc_counter_vec_free(v), PROMC_OK);
    assert_int_equal(promc_registry_free(reg), PROMC_OK);
    promc_counter *c = promc_counter_vec_labels(a, "GET", "200");
    assert_non_null(c);
    promc_counter_inc(c);
    assert_ptr_equal(promc_counter_vec_labels(ab, "GET"), promc_counter_vec_labels(a, "GET", "b"));
    size_t removed = 9;
    assert_int_equal(
        promc_counter_vec_remove_partial(a, &(promc_label){"method", "GET"}, 1, &removed),
        PROMC_OK);
    assert_int_equal(removed, 2);
    promc_counter_vec_free(a);
    promc_counter_inc(promc_counter_vec_labels(ab, "PUT")); /* the last one holds it */
    promc_counter_vec_free(ab); /* destroys the family: ASan sees any leak */
}

/* ------------------------------------------------------------------ */
/* Values and types                                                    */
/* ------------------------------------------------------------------ */

static void fixed_values_are_copied_and_escaped(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_gauge_vec *v = promc_gauge_vec_new(reg, "g", "G.", PROMC_LABELS("path", "node"), NULL);
    char value[] = "a\"b\\c\nd";
    promc_gauge_vec *p = promc_gauge_vec_curry(v, &(promc_label){"path", value}, 1);
    memset(value, 'x', sizeof value - 1); /* the view kept its own copy */
    promc_gauge_set(promc_gauge_vec_labels(p, "n1"), 3);
    expect_render(reg, "# HELP g G.\n"
                       "# TYPE g gauge\n"
                       "g{path=\"a\\\"b\\\\c\\nd\",node=\"n1\"} 3\n");
    assert_ptr_equal(promc_gauge_vec_labels(p, "n1"),
                     promc_gauge_vec_labels(v, "a\"b\\c\nd", "n1"));
    promc_gauge_vec_free(p);
    promc_gauge_vec_free(v);
    promc_registry_free(reg);
}

static void every_vec_type_curries(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    const char *const *names = PROMC_LABELS("job", "op");
    promc_label job = {"job", "j"};

    promc_gauge_vec *g = promc_gauge_vec_new(reg, "g", "G.", names, NULL);
    promc_gauge_vec *gj = promc_gauge_vec_curry(g, &job, 1);
    assert_ptr_equal(promc_gauge_vec_labels(gj, "x"), promc_gauge_vec_labels(g, "j", "x"));
    assert_null(promc_gauge_vec_metric(gj));
    assert_int_equal(promc_gauge_vec_remove(gj, "x"), PROMC_OK);
    assert_int_equal(promc_gauge_vec_clear(gj), PROMC_OK);

    promc_histogram_vec *h = promc_histogram_vec_new(reg, "h", "H.", names, NULL);
    promc_histogram_vec *hj = promc_histogram_vec_curry(h, &job, 1);
    assert_ptr_equal(promc_histogram_vec_labels(hj, "x"), promc_histogram_vec_labels(h, "j", "x"));
    assert_null(promc_histogram_vec_metric(hj));
    assert_int_equal(promc_histogram_vec_remove(hj, "x"), PROMC_OK);
    assert_int_equal(promc_histogram_vec_clear(hj), PROMC_OK);

    promc_summary_vec *s = promc_summary_vec_new(reg, "s", "S.", names, NULL);
    promc_summary_vec *sj = promc_summary_vec_curry(s, &job, 1);
    assert_ptr_equal(promc_summary_vec_labels(sj, "x"), promc_summary_vec_labels(s, "j", "x"));
    assert_null(promc_summary_vec_metric(sj));
    assert_int_equal(promc_summary_vec_remove(sj, "x"), PROMC_OK);
    assert_int_equal(promc_summary_vec_clear(sj), PROMC_OK);

    promc_enum_vec *e = promc_enum_vec_new(reg, "e", "E.", names, PROMC_LABELS("up", "down"), NULL);
    promc_enum_vec *ej = promc_enum_vec_curry(e, &job, 1);
    assert_ptr_equal(promc_enum_vec_labels(ej, "x"), promc_enum_vec_labels(e, "j", "x"));
    assert_null(promc_enum_vec_metric(ej));
    assert_int_equal(promc_enum_vec_remove(ej, "x"), PROMC_OK);
    assert_int_equal(promc_enum_vec_clear(ej), PROMC_OK);

    reset_error();
    assert_null(promc_histogram_vec_curry(h, &(promc_label){"le", "1"}, 1));
    expect_error(PROMC_EINVAL, "promc_histogram_vec_curry \"h\": no label named \"le\"");
    reset_error();
    assert_null(promc_summary_vec_curry(NULL, &job, 1));
    expect_error(PROMC_EINVAL, "promc_summary_vec_curry: NULL family");

    assert_int_equal(promc_gauge_vec_free(gj), PROMC_OK);
    assert_int_equal(promc_histogram_vec_free(hj), PROMC_OK);
    assert_int_equal(promc_summary_vec_free(sj), PROMC_OK);
    assert_int_equal(promc_enum_vec_free(ej), PROMC_OK);
    promc_gauge_vec_free(g);
    promc_histogram_vec_free(h);
    promc_summary_vec_free(s);
    promc_enum_vec_free(e);
    promc_registry_free(reg);
}

/* Families of more labels than a lookup merges on the stack. */
static void wide_families_curry_too(void **state)
{
    (void)state;
    const char *names[21];
    char buf[20][16];
    for (int i = 0; i < 20; i++) {
        snprintf(buf[i], sizeof buf[i], "l%d", i);
        names[i] = buf[i];
    }
    names[20] = NULL;
    promc_counter_vec *v = promc_counter_vec_new(PROMC_NO_REGISTRY, "wide", "W.", names, NULL);
    assert_non_null(v);
    promc_counter_vec *w = promc_counter_vec_curry(v, &(promc_label){"l7", "seven"}, 1);
    const char *free_values[19], *all[20];
    for (int i = 0, j = 0; i < 20; i++) {
        all[i] = i == 7 ? "seven" : buf[i];
        if (i != 7)
            free_values[j++] = buf[i];
    }
    promc_counter *c = promc_counter_vec_labels_n(w, free_values, 19);
    assert_non_null(c);
    assert_ptr_equal(c, promc_counter_vec_labels_n(v, all, 20));
    assert_int_equal(promc_counter_vec_remove_n(w, free_values, 19), PROMC_OK);
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(v)), 0);
    promc_counter_vec_free(w);
    promc_counter_vec_free(v);
}

int main(void)
{
    test_pin_clock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(view_finds_the_familys_children),
        cmocka_unit_test(free_values_keep_the_family_order),
        cmocka_unit_test(views_compose),
        cmocka_unit_test(currying_every_label_leaves_no_values),
        cmocka_unit_test(bad_curries_are_refused),
        cmocka_unit_test(remove_and_clear_through_a_view),
        cmocka_unit_test(a_view_is_not_a_metric),
        cmocka_unit_test(the_family_may_go_first),
        cmocka_unit_test(fixed_values_are_copied_and_escaped),
        cmocka_unit_test(every_vec_type_curries),
        cmocka_unit_test(wide_families_curry_too),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
