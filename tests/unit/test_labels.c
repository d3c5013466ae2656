/*
 * Names and labels: metric/label name validation at creation (with the error
 * code and a message naming the offender), labels() child lookup (count,
 * UTF-8, handle identity), remove/clear, creation-order export, the child
 * limit and its self-metric, NULL-child no-ops, and label-value escaping.
 */
#include "helpers.h"

#include <math.h>
#include <time.h>

#include "metric.h" /* a child's creation time */

/* The wall clock the library starts with, before a test pins it. */
static double (*default_clock)(void);

/* Clears the thread's last error so a failure seen afterwards is this call's. */
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

/* Whether the exposition of reg in format f contains needle. */
static int render_has(promc_registry *reg, promc_format f, const char *needle)
{
    char *s = test_render(reg, f);
    int found = strstr(s, needle) != NULL;
    promc_free(s);
    return found;
}

/* ------------------------------------------------------------------ */
/* Label names at creation                                            */
/* ------------------------------------------------------------------ */

static void label_name_grammar_is_enforced(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    static const char *const bad[] = {"1a", "a-b", "", "a b", "a.b", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset_error();
        const char *const names[] = {"ok", bad[i], NULL};
        assert_null(promc_gauge_vec_new(reg, "g", "Help.", names, NULL));
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\"", bad[i]);
        expect_error(PROMC_EINVAL, quoted);
    }
    /* Accepted: leading underscore, digits after the first character. */
    promc_gauge_vec *g =
        promc_gauge_vec_new(reg, "g", "Help.", PROMC_LABELS("_a", "b9", "C_d"), NULL);
    assert_non_null(g);
    promc_registry_free(reg);
    promc_gauge_vec_free(g);
}

static void label_name_with_colon_is_rejected(void **state)
{
    (void)state;
    reset_error();
    assert_null(promc_counter_vec_new(PROMC_NO_REGISTRY, "c", "Help.", PROMC_LABELS("a:b"), NULL));
    expect_error(PROMC_EINVAL, "\"a:b\"");
}

static void double_underscore_label_is_reserved(void **state)
{
    (void)state;
    reset_error();
    assert_null(
        promc_gauge_vec_new(PROMC_NO_REGISTRY, "g", "Help.", PROMC_LABELS("__name__"), NULL));
    expect_error(PROMC_EINVAL, "\"__name__\"");
    reset_error();
    assert_null(
        promc_counter_vec_new(PROMC_NO_REGISTRY, "c", "Help.", PROMC_LABELS("a", "__x"), NULL));
    expect_error(PROMC_EINVAL, "\"__x\"");
    /* A single leading underscore is fine. */
    promc_gauge_vec *g =
        promc_gauge_vec_new(PROMC_NO_REGISTRY, "g", "Help.", PROMC_LABELS("_x"), NULL);
    assert_non_null(g);
    promc_gauge_vec_free(g);
}

static void le_is_reserved_only_for_histograms(void **state)
{
    (void)state;
    reset_error();
    assert_null(
        promc_histogram_vec_new(PROMC_NO_REGISTRY, "h", "Help.", PROMC_LABELS("a", "le"), NULL));
    expect_error(PROMC_EINVAL, "\"le\"");

    promc_gauge_vec *g =
        promc_gauge_vec_new(PROMC_NO_REGISTRY, "g", "Help.", PROMC_LABELS("le"), NULL);
    assert_non_null(g);
    promc_gauge_vec_free(g);
    promc_counter_vec *c =
        promc_counter_vec_new(PROMC_NO_REGISTRY, "c", "Help.", PROMC_LABELS("le"), NULL);
    assert_non_null(c);
    promc_counter_vec_free(c);
    promc_summary_vec *s =
        promc_summary_vec_new(PROMC_NO_REGISTRY, "s", "Help.", PROMC_LABELS("le"), NULL);
    assert_non_null(s);
    promc_summary_vec_free(s);
}

static void quantile_is_reserved_only_for_summaries(void **state)
{
    (void)state;
    reset_error();
    assert_null(
        promc_summary_vec_new(PROMC_NO_REGISTRY, "s", "Help.", PROMC_LABELS("quantile"), NULL));
    expect_error(PROMC_EINVAL, "\"quantile\"");

    promc_histogram_vec *h =
        promc_histogram_vec_new(PROMC_NO_REGISTRY, "h", "Help.", PROMC_LABELS("quantile"), NULL);
    assert_non_null(h);
    promc_histogram_vec_free(h);
    promc_gauge_vec *g =
        promc_gauge_vec_new(PROMC_NO_REGISTRY, "g", "Help.", PROMC_LABELS("quantile"), NULL);
    assert_non_null(g);
    promc_gauge_vec_free(g);
}

static void enum_own_name_is_reserved_as_label(void **state)
{
    (void)state;
    reset_error();
    assert_null(promc_enum_vec_new(PROMC_NO_REGISTRY, "state", "Help.",
                                   PROMC_LABELS("job", "state"), PROMC_LABELS("up", "down"), NULL));
    expect_error(PROMC_EINVAL, "\"state\"");
    /* le and quantile are not reserved for an enum. */
    promc_enum_vec *e =
        promc_enum_vec_new(PROMC_NO_REGISTRY, "state", "Help.", PROMC_LABELS("le", "quantile"),
                           PROMC_LABELS("up", "down"), NULL);
    assert_non_null(e);
    promc_enum_vec_free(e);
}

static void duplicate_label_names_are_rejected(void **state)
{
    (void)state;
    reset_error();
    assert_null(
        promc_gauge_vec_new(PROMC_NO_REGISTRY, "g", "Help.", PROMC_LABELS("a", "b", "a"), NULL));
    expect_error(PROMC_EINVAL, "\"a\"");
    reset_error();
    assert_null(
        promc_histogram_vec_new(PROMC_NO_REGISTRY, "h", "Help.", PROMC_LABELS("x", "x"), NULL));
    expect_error(PROMC_EINVAL, "\"x\"");
}

/* ------------------------------------------------------------------ */
/* Metric names, help, unit                                           */
/* ------------------------------------------------------------------ */

static void metric_name_grammar_is_enforced(void **state)
{
    (void)state;
    static const char *const bad[] = {"1abc", "a-b", "", "a b", "a.b", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\"", bad[i]);
        reset_error();
        assert_null(promc_gauge_new(PROMC_NO_REGISTRY, bad[i], "Help.", NULL));
        expect_error(PROMC_EINVAL, quoted);
        reset_error();
        assert_null(promc_counter_new(PROMC_NO_REGISTRY, bad[i], "Help.", NULL));
        expect_error(PROMC_EINVAL, quoted);
    }
    reset_error();
    assert_null(promc_gauge_new(PROMC_NO_REGISTRY, NULL, "Help.", NULL));
    expect_error(PROMC_EINVAL, NULL);
}

static void metric_name_with_colon_is_accepted(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_gauge *g = promc_gauge_new(reg, "a:b", "Help.", NULL);
    assert_non_null(g);
    promc_counter *c = promc_counter_new(reg, ":rule:x_total", "Help.", NULL);
    assert_non_null(c);
    char *s = test_render(reg, PROMC_FORMAT_TEXT);
    assert_non_null(strstr(s, "\na:b 0\n"));
    assert_non_null(strstr(s, "\n:rule:x_total 0\n"));
    promc_free(s);
    promc_registry_free(reg);
    promc_gauge_free(g);
    promc_counter_free(c);
}

/* HELP is required in the guidelines' sense: NULL is refused. An explicitly
 * empty help is allowed, as both formats, client_golang and client_python
 * allow it: text writes "# HELP name " with nothing after the space. */
static void help_null_is_refused_empty_is_allowed(void **state)
{
    (void)state;
    reset_error();
    assert_null(promc_gauge_new(PROMC_NO_REGISTRY, "g", NULL, NULL));
    expect_error(PROMC_EINVAL, "\"g\"");
    reset_error();
    assert_null(promc_histogram_vec_new(PROMC_NO_REGISTRY, "h", NULL, PROMC_LABELS("a"), NULL));
    expect_error(PROMC_EINVAL, "\"h\"");

    promc_registry *reg = promc_registry_new();
    promc_counter *c = promc_counter_new(reg, "c", "", NULL);
    assert_non_null(c);
    assert_int_equal(promc_last_error_code(), PROMC_OK);
    char *s = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(s, "# HELP c_total \n# TYPE c_total counter\nc_total 0\n");
    promc_free(s);
    promc_registry_set_created(reg, 0);
    s = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_string_equal(s, "# TYPE c counter\n# HELP c \nc_total 0\n# EOF\n");
    promc_free(s);
    promc_counter_free(c);
    promc_registry_free(reg);
}

static void unit_must_be_a_name_suffix(void **state)
{
    (void)state;
    promc_metric_opts secs = {.unit = "seconds"};
    promc_gauge *g = promc_gauge_new(PROMC_NO_REGISTRY, "lat_seconds", "Help.", &secs);
    assert_non_null(g);
    promc_gauge_free(g);
    /* A counter's unit precedes the folded _total. */
    promc_counter *c = promc_counter_new(PROMC_NO_REGISTRY, "busy_seconds_total", "Help.", &secs);
    assert_non_null(c);
    promc_counter_free(c);

    static const char *const bad[] = {"lat",      "latseconds", "seconds",
                                      "_seconds", "lat_second", "lat_seconds_x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset_error();
        assert_null(promc_gauge_new(PROMC_NO_REGISTRY, bad[i], "Help.", &secs));
        expect_error(PROMC_EINVAL, "seconds");
    }
}

static void counter_with_and_without_total_expose_total(void **state)
{
    (void)state;
    test_pin_clock();
    promc_registry *reg = promc_registry_new();
    promc_counter *a = promc_counter_new(reg, "a", "Help.", NULL);
    promc_counter *b = promc_counter_new(reg, "b_total", "Help.", NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(promc_metric_name(promc_counter_metric(a)), "a");
    assert_string_equal(promc_metric_name(promc_counter_metric(b)), "b");
    promc_counter_inc(a);
    promc_counter_add(b, 2);

    char *text = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(text, "# HELP a_total Help.\n"
                              "# TYPE a_total counter\n"
                              "a_total 1\n"
                              "# HELP b_total Help.\n"
                              "# TYPE b_total counter\n"
                              "b_total 2\n");
    promc_free(text);
    char *om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_non_null(strstr(om, "# TYPE a counter\n# HELP a Help.\na_total 1\n"));
    assert_non_null(strstr(om, "# TYPE b counter\n# HELP b Help.\nb_total 2\n"));
    assert_null(strstr(om, "_total_total"));
    promc_free(om);

    /* x and x_total are the same family: asked for again, the same counter
     * comes back; with another help, it is a duplicate. */
    reset_error();
    promc_counter *again = promc_counter_new(reg, "a_total", "Help.", NULL);
    assert_ptr_equal(again, a);
    assert_int_equal(promc_counter_free(again), PROMC_OK);
    assert_null(promc_counter_new(reg, "a_total", "Other help.", NULL));
    expect_error(PROMC_EEXIST, "\"a\"");
    promc_registry_free(reg);
    promc_counter_free(a);
    promc_counter_free(b);
}

/* ------------------------------------------------------------------ */
/* labels()                                                            */
/* ------------------------------------------------------------------ */

static void labels_count_must_match(void **state)
{
    (void)state;
    promc_counter_vec *c =
        promc_counter_vec_new(PROMC_NO_REGISTRY, "c", "Help.", PROMC_LABELS("a", "b"), NULL);
    assert_non_null(c);
    const char *const one[] = {"x"};
    const char *const three[] = {"x", "y", "z"};
    reset_error();
    assert_null(promc_counter_vec_labels_n(c, one, 1));
    expect_error(PROMC_EINVAL, "got 1");
    reset_error();
    assert_null(promc_counter_vec_labels_n(c, three, 3));
    expect_error(PROMC_EINVAL, "got 3");
    reset_error();
    assert_null(promc_counter_vec_labels_n(c, NULL, 0));
    expect_error(PROMC_EINVAL, "got 0");
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(c)), 0);
    promc_counter_vec_free(c);
}

static void labels_null_value_is_rejected(void **state)
{
    (void)state;
    promc_gauge_vec *g =
        promc_gauge_vec_new(PROMC_NO_REGISTRY, "g", "Help.", PROMC_LABELS("a", "b"), NULL);
    const char *const values[] = {"x", NULL};
    reset_error();
    assert_null(promc_gauge_vec_labels_n(g, values, 2));
    expect_error(PROMC_EINVAL, "\"b\"");
    assert_int_equal(promc_metric_children(promc_gauge_vec_metric(g)), 0);
    promc_gauge_vec_free(g);
}

static void labels_invalid_utf8_is_rejected(void **state)
{
    (void)state;
    promc_counter_vec *c =
        promc_counter_vec_new(PROMC_NO_REGISTRY, "c", "Help.", PROMC_LABELS("v"), NULL);
    static const char *const bad[] = {
        "\xff",             /* never valid */
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong, 3 bytes */
        "\xed\xa0\x80",     /* surrogate U+D800 */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "ok\xc3",           /* truncated */
        "\x80",             /* lone continuation */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset_error();
        assert_null(promc_counter_vec_labels(c, bad[i]));
        expect_error(PROMC_EINVAL, "UTF-8");
    }
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(c)), 0);
    /* Well-formed multi-byte sequences are fine. */
    assert_non_null(promc_counter_vec_labels(c, "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
    assert_non_null(promc_counter_vec_labels(c, ""));
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(c)), 2);
    promc_counter_vec_free(c);
}

static void labels_same_values_same_handle(void **state)
{
    (void)state;
    promc_counter_vec *c =
        promc_counter_vec_new(PROMC_NO_REGISTRY, "c", "Help.", PROMC_LABELS("a", "b"), NULL);
    promc_counter *x = promc_counter_vec_labels(c, "1", "2");
    assert_non_null(x);
    char a[] = "1", b[] = "2"; /* different pointers, same text */
    assert_ptr_equal(promc_counter_vec_labels(c, a, b), x);
    assert_ptr_equal(promc_counter_vec_labels(c, "1", "2"), x);
    /* Different values, different handles -- including values that would
     * concatenate to the same string. */
    promc_counter *y = promc_counter_vec_labels(c, "2", "1");
    promc_counter *z = promc_counter_vec_labels(c, "12", "");
    promc_counter *w = promc_counter_vec_labels(c, "", "12");
    assert_non_null(y);
    assert_non_null(z);
    assert_non_null(w);
    assert_ptr_not_equal(x, y);
    assert_ptr_not_equal(z, w);
    assert_ptr_not_equal(x, z);
    assert_ptr_not_equal(c, x);
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(c)), 4);
    /* A child is not a metric: the registry calls take the family. */
    assert_null(promc_counter_metric(x));
    expect_error(PROMC_EINVAL, "child of a labelled family");
    promc_counter_inc(x);
    promc_counter_inc(promc_counter_vec_labels(c, "1", "2"));
    assert_true(promc_counter_get(x) == 2);
    assert_true(promc_counter_get(y) == 0);
    promc_counter_vec_free(c);
}

static void labels_many_children_keep_identity(void **state)
{
    (void)state;
    /* Enough children to grow the table several times. */
    promc_gauge_vec *g =
        promc_gauge_vec_new(PROMC_NO_REGISTRY, "g", "Help.", PROMC_LABELS("i"), NULL);
    enum { N = 300 };
    promc_gauge *h[N];
    char buf[16];
    for (int i = 0; i < N; i++) {
        snprintf(buf, sizeof buf, "%d", i);
        h[i] = promc_gauge_vec_labels(g, buf);
        assert_non_null(h[i]);
        promc_gauge_set(h[i], i);
    }
    for (int i = 0; i < N; i++) {
        snprintf(buf, sizeof buf, "%d", i);
        assert_ptr_equal(promc_gauge_vec_labels(g, buf), h[i]);
        assert_true(promc_gauge_get(h[i]) == i);
    }
    assert_int_equal(promc_metric_children(promc_gauge_vec_metric(g)), N);
    promc_gauge_vec_free(g);
}

static void children_exported_in_creation_order(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_gauge_vec *g = promc_gauge_vec_new(reg, "g", "Help.", PROMC_LABELS("k"), NULL);
    promc_gauge_set(promc_gauge_vec_labels(g, "zeta"), 1);
    promc_gauge_set(promc_gauge_vec_labels(g, "alpha"), 2);
    promc_gauge_set(promc_gauge_vec_labels(g, "mu"), 3);
    promc_gauge_set(promc_gauge_vec_labels(g, "alpha"), 4); /* existing: keeps its place */
    char *s = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(s, "# HELP g Help.\n"
                           "# TYPE g gauge\n"
                           "g{k=\"zeta\"} 1\n"
                           "g{k=\"alpha\"} 4\n"
                           "g{k=\"mu\"} 3\n");
    promc_free(s);
    promc_registry_free(reg);
    promc_gauge_vec_free(g);
}

static void remove_drops_series_and_labels_recreates_at_zero(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *c = promc_counter_vec_new(reg, "c", "Help.", PROMC_LABELS("k"), NULL);
    promc_counter_add(promc_counter_vec_labels(c, "a"), 5);
    promc_counter_add(promc_counter_vec_labels(c, "b"), 7);
    assert_true(render_has(reg, PROMC_FORMAT_TEXT, "c_total{k=\"a\"} 5\n"));

    assert_int_equal(promc_counter_vec_remove(c, "a"), PROMC_OK);
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(c)), 1);
    char *s = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(s, "# HELP c_total Help.\n"
                           "# TYPE c_total counter\n"
                           "c_total{k=\"b\"} 7\n");
    promc_free(s);
    double v;
    promc_label la = {"k", "a"};
    assert_int_equal(promc_registry_get_sample_value(reg, "c_total", &la, 1, &v), PROMC_ENOENT);

    promc_counter *again = promc_counter_vec_labels(c, "a");
    assert_non_null(again);
    assert_true(promc_counter_get(again) == 0);
    s = test_render(reg, PROMC_FORMAT_TEXT);
    /* Recreated at 0, in its old place in the creation order. */
    assert_string_equal(s, "# HELP c_total Help.\n"
                           "# TYPE c_total counter\n"
                           "c_total{k=\"a\"} 0\n"
                           "c_total{k=\"b\"} 7\n");
    promc_free(s);
    promc_registry_free(reg);
    promc_counter_vec_free(c);
}

static void remove_of_missing_child_is_enoent(void **state)
{
    (void)state;
    promc_gauge_vec *g =
        promc_gauge_vec_new(PROMC_NO_REGISTRY, "g", "Help.", PROMC_LABELS("k"), NULL);
    reset_error();
    assert_int_equal(promc_gauge_vec_remove(g, "never"), PROMC_ENOENT);
    expect_error(PROMC_ENOENT, "\"g\"");
    assert_non_null(promc_gauge_vec_labels(g, "x"));
    assert_int_equal(promc_gauge_vec_remove(g, "x"), PROMC_OK);
    assert_int_equal(promc_gauge_vec_remove(g, "x"), PROMC_ENOENT);
    /* Wrong count is EINVAL, not ENOENT. */
    assert_int_equal(promc_gauge_vec_remove(g, "x", "y"), PROMC_EINVAL);
    promc_gauge_vec_free(g);
}

/* A removal looks in the lookup cache first, keyed by the values'
 * addresses: values written into one buffer must remove their own child,
 * not the one the buffer held when it was cached. */
static void remove_through_a_reused_buffer_removes_its_own_child(void **state)
{
    (void)state;
    promc_counter_vec *c =
        promc_counter_vec_new(PROMC_NO_REGISTRY, "c", "Help.", PROMC_LABELS("k"), NULL);
    char buf[16] = "x";
    promc_counter *x = promc_counter_vec_labels(c, buf);
    assert_ptr_equal(promc_counter_vec_labels(c, buf), x); /* cached under the buffer */
    strcpy(buf, "y");
    promc_counter *y = promc_counter_vec_labels(c, buf);
    assert_non_null(y);
    strcpy(buf, "x");
    assert_ptr_equal(promc_counter_vec_labels(c, buf), x);
    strcpy(buf, "y");
    assert_int_equal(promc_counter_vec_remove(c, buf), PROMC_OK); /* y, not x */
    assert_int_equal(promc_counter_vec_remove(c, buf), PROMC_ENOENT);
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(c)), 1);
    assert_ptr_equal(promc_counter_vec_labels(c, "x"), x);
    strcpy(buf, "x");
    assert_int_equal(promc_counter_vec_remove(c, buf), PROMC_OK);
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(c)), 0);
    promc_counter_vec_free(c);
}

/* Values that are not valid UTF-8 can belong to no child: remove says
 * so (EINVAL), as labels() does, rather than "no such child". */
static void remove_of_invalid_utf8_is_einval(void **state)
{
    (void)state;
    promc_counter_vec *c =
        promc_counter_vec_new(PROMC_NO_REGISTRY, "c", "Help.", PROMC_LABELS("v"), NULL);
    assert_non_null(promc_counter_vec_labels(c, "ok"));
    reset_error();
    assert_int_equal(promc_counter_vec_remove(c, "ok\xc3"), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "UTF-8");
    assert_int_equal(promc_counter_vec_remove(c, "ok"), PROMC_OK);
    reset_error();
    assert_int_equal(promc_counter_vec_remove(c, "ok"), PROMC_ENOENT); /* removed already */
    expect_error(PROMC_ENOENT, "\"c\"");
    reset_error();
    assert_int_equal(promc_counter_vec_remove(c, "\xff"), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "UTF-8");
    promc_counter_vec_free(c);
}

/* Many children of two families, looked up in a scrambled order, more than
 * a thread's lookup cache holds and enough to share its sets: every lookup
 * returns its own child, before and after removals in one family, and the
 * removed ones come back at zero with the same handle. */
static void lookups_across_families_return_their_own_child(void **state)
{
    (void)state;
    enum { N = 500 };
    promc_counter_vec *a =
        promc_counter_vec_new(PROMC_NO_REGISTRY, "a", "A.", PROMC_LABELS("i", "j"), NULL);
    promc_counter_vec *b =
        promc_counter_vec_new(PROMC_NO_REGISTRY, "b", "B.", PROMC_LABELS("i", "j"), NULL);
    static promc_counter *ha[N], *hb[N];
    char i_[16], j_[16];
    for (int k = 0; k < N; k++) {
        snprintf(i_, sizeof i_, "r%d", k / 10);
        snprintf(j_, sizeof j_, "%d", k % 10);
        ha[k] = promc_counter_vec_labels(a, i_, j_);
        hb[k] = promc_counter_vec_labels(b, i_, j_);
        assert_non_null(ha[k]);
        assert_non_null(hb[k]);
        assert_ptr_not_equal(ha[k], hb[k]);
    }
    uint32_t x = 12345;
    for (int round = 0; round < 3; round++) {
        for (int n = 0; n < 20 * N; n++) {
            x = x * 1103515245u + 12345u;
            int k = (int)((x >> 8) % N);
            snprintf(i_, sizeof i_, "r%d", k / 10);
            snprintf(j_, sizeof j_, "%d", k % 10);
            promc_counter *fa = promc_counter_vec_labels(a, i_, j_);
            assert_ptr_equal(fa, ha[k]);
            promc_counter_inc(fa);
            assert_ptr_equal(promc_counter_vec_labels(b, i_, j_), hb[k]);
        }
        /* Every third child of a goes, then is looked up again. */
        for (int k = round; k < N; k += 3) {
            snprintf(i_, sizeof i_, "r%d", k / 10);
            snprintf(j_, sizeof j_, "%d", k % 10);
            assert_int_equal(promc_counter_vec_remove(a, i_, j_), PROMC_OK);
        }
        for (int k = 0; k < N; k++) {
            snprintf(i_, sizeof i_, "r%d", k / 10);
            snprintf(j_, sizeof j_, "%d", k % 10);
            double before = promc_counter_get(ha[k]);
            assert_ptr_equal(promc_counter_vec_labels(a, i_, j_), ha[k]);
            assert_ptr_equal(promc_counter_vec_labels(b, i_, j_), hb[k]);
            if (k % 3 == round)
                assert_true(promc_counter_get(ha[k]) == 0);
            else
                assert_true(promc_counter_get(ha[k]) == before);
        }
        assert_int_equal(promc_metric_children(promc_counter_vec_metric(a)), N);
    }
    promc_counter_vec_free(a);
    promc_counter_vec_free(b);
}

/* The lookup cache finds entries by where the values are first: the same
 * pointers with other contents must find the other child, in one family or
 * across families, and values formatted into one buffer in turn must each
 * find their own. */
static void lookups_by_reused_buffers_return_their_own_child(void **state)
{
    (void)state;
    promc_counter_vec *a =
        promc_counter_vec_new(PROMC_NO_REGISTRY, "a", "A.", PROMC_LABELS("k", "v"), NULL);
    promc_counter_vec *b =
        promc_counter_vec_new(PROMC_NO_REGISTRY, "b", "B.", PROMC_LABELS("k", "v"), NULL);
    char k[16] = "key", v[16];
    enum { N = 40 };
    promc_counter *ha[N], *hb[N];
    for (int i = 0; i < N; i++) {
        snprintf(v, sizeof v, "%d", i);
        ha[i] = promc_counter_vec_labels(a, k, v);
        hb[i] = promc_counter_vec_labels(b, k, v);
        assert_non_null(ha[i]);
        assert_non_null(hb[i]);
        assert_ptr_not_equal(ha[i], hb[i]);
    }
    for (int round = 0; round < 4; round++)
        for (int i = 0; i < N; i++) {
            int j = (i * 7 + round) % N;
            snprintf(v, sizeof v, "%d", j);
            assert_ptr_equal(promc_counter_vec_labels(a, k, v), ha[j]);
            assert_ptr_equal(promc_counter_vec_labels(b, k, v), hb[j]);
            /* Same pointers, one byte changed: another child. */
            v[0] = 'x';
            promc_counter *x = promc_counter_vec_labels(a, k, v);
            assert_non_null(x);
            assert_ptr_not_equal(x, ha[j]);
            assert_ptr_equal(promc_counter_vec_labels(a, k, v), x);
            snprintf(v, sizeof v, "%d", j);
            assert_ptr_equal(promc_counter_vec_labels(a, k, v), ha[j]);
        }
    /* The same values from other pointers (literals) find the same child. */
    assert_ptr_equal(promc_counter_vec_labels(a, "key", "7"), ha[7]);
    strcpy(k, "other");
    snprintf(v, sizeof v, "%d", 7);
    promc_counter *o = promc_counter_vec_labels(a, k, v);
    assert_non_null(o);
    assert_ptr_not_equal(o, ha[7]);
    promc_counter_vec_free(a);
    promc_counter_vec_free(b);
}

/* Cache hits compare values with the child's labels (a word at a time
 * when they have nothing to escape, byte by byte otherwise) or, from an
 * entry's second hit on, with the entry's copy of the values when they
 * fit in it: values that differ only in escaped bytes, in length or in
 * one byte of a long value each keep their own child, found again from
 * the cache and from fresh copies alike. */
static void lookups_of_similar_values_keep_their_child(void **state)
{
    (void)state;
    static const char *const vals[] = {
        "",
        "x",
        "x\\",
        "x\"",
        "x\n",
        "a\"b",
        "a\\\"b",
        "a\\\\\"b",
        "abc",
        "abcd",
        "abcdefg",
        "abcdefgh",
        "abcdefghi",
        "abcdefgh\"",
        "abcdefg\\h",
        "0123456789abcdef",
        "0123456789abcdeF",
        "0123456789abcdef0",
        "\"\"\"\"\"\"\"\"\"",
        "\\\\\\\\\\\\\\\\",
        "h\xc3\xa9llo",
    };
    enum { N = sizeof vals / sizeof vals[0] };
    promc_counter_vec *c =
        promc_counter_vec_new(PROMC_NO_REGISTRY, "c", "Help.", PROMC_LABELS("a", "b"), NULL);
    promc_counter *h[N][N];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            h[i][j] = promc_counter_vec_labels(c, vals[i], vals[j]);
            assert_non_null(h[i][j]);
        }
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(c)), N * N);
    /* One buffer, so the cached entry of the first value is the one the
     * second is compared with: a backslash must not pass for the escape
     * of a quote, nor a longer or shorter value for the child's. */
    static const char *const pairs[][2] = {
        {"x\"", "x\\"},
        {"abcdefgh\"", "abcdefgh\\"},
        {"a\"b", "a\\"},
        {"abc", "abcdefghijkl"},
        {"abcdefghijkl", "abc"},
        {"abcdefghijklmnop", "abcdefghijklmnoq"},
        {"abc", "ab"},
        {"", "a"},
        /* Around the 32 bytes of a cache entry's copy of the values. */
        {"0123456789012345678901234567890", "01234567890123456789012345678901"},
        {"01234567890123456789012345678901", "0123456789012345678901234567890"},
        {"0123456789012345678901234567890", "0123456789012345678901234567891"},
    };
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
        promc_counter_vec *f =
            promc_counter_vec_new(PROMC_NO_REGISTRY, "f", "Help.", PROMC_LABELS("v"), NULL);
        char buf[64];
        strcpy(buf, pairs[k][0]);
        promc_counter *first = promc_counter_vec_labels(f, buf);
        assert_ptr_equal(promc_counter_vec_labels(f, buf), first); /* now cached */
        assert_ptr_equal(promc_counter_vec_labels(f, buf), first); /* from the copy */
        strcpy(buf, pairs[k][1]);
        promc_counter *second = promc_counter_vec_labels(f, buf);
        assert_non_null(second);
        assert_ptr_not_equal(second, first);
        assert_int_equal(promc_metric_children(promc_counter_vec_metric(f)), 2);
        promc_counter_vec_free(f);
    }
    char x[64], y[64];
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                assert_ptr_equal(promc_counter_vec_labels(c, vals[i], vals[j]), h[i][j]);
                strcpy(x, vals[i]);
                strcpy(y, vals[j]);
                assert_ptr_equal(promc_counter_vec_labels(c, x, y), h[i][j]);
            }
    promc_counter_vec_free(c);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A child's creation time comes from the coarse wall clock (a tick behind
 * at most, never ahead), for new children and for removed ones that come
 * back alike; a pinned clock still pins it. */
static void child_creation_time_is_the_wall_clock(void **state)
{
    (void)state;
    double (*saved)(void) = promc__clock;
    promc__clock = default_clock;
    promc_counter_vec *c =
        promc_counter_vec_new(PROMC_NO_REGISTRY, "c", "Help.", PROMC_LABELS("v"), NULL);
    double t0 = wall_now();
    struct promc__child *k = (struct promc__child *)promc_counter_vec_labels(c, "x");
    double t1 = wall_now();
    assert_non_null(k);
    assert_true(k->created <= t1);
    assert_true(k->created > t0 - 0.5);
    assert_int_equal(promc_counter_vec_remove(c, "x"), PROMC_OK);
    k->created = 0;
    t0 = wall_now();
    assert_ptr_equal(promc_counter_vec_labels(c, "x"), k);
    t1 = wall_now();
    assert_true(k->created <= t1);
    assert_true(k->created > t0 - 0.5);
    test_pin_clock();
    assert_non_null(promc_counter_vec_labels(c, "y"));
    k = (struct promc__child *)promc_counter_vec_labels(c, "y");
    assert_true(k->created == TEST_TIME);
    promc_counter_vec_free(c);
    promc__clock = saved;
}

static void clear_removes_all_children(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_histogram_vec *h = promc_histogram_vec_new(reg, "h", "Help.", PROMC_LABELS("k"), NULL);
    promc_histogram_observe(promc_histogram_vec_labels(h, "a"), 1);
    promc_histogram_observe(promc_histogram_vec_labels(h, "b"), 2);
    promc_histogram_observe(promc_histogram_vec_labels(h, "c"), 3);
    assert_int_equal(promc_metric_children(promc_histogram_vec_metric(h)), 3);
    promc_histogram_vec_clear(h);
    assert_int_equal(promc_metric_children(promc_histogram_vec_metric(h)), 0);
    char *s = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(s, "# HELP h Help.\n# TYPE h histogram\n");
    promc_free(s);
    /* Usable again afterwards. */
    promc_histogram *a = promc_histogram_vec_labels(h, "a");
    assert_non_null(a);
    promc_label l = {"k", "a"};
    assert_true(test_value(reg, "h_count", &l, 1) == 0);
    promc_histogram_vec_clear(h);
    promc_histogram_vec_clear(h); /* twice is harmless */
    promc_registry_free(reg);
    promc_histogram_vec_free(h);
}

static void unlabelled_metric_exported_at_zero_from_creation(void **state)
{
    (void)state;
    test_pin_clock();
    promc_registry *reg = promc_registry_new();
    promc_counter *c = promc_counter_new(reg, "c", "Help.", NULL);
    promc_gauge *g = promc_gauge_new(reg, "g", "Help.", NULL);
    assert_int_equal(promc_metric_children(promc_counter_metric(c)), 1);
    char *s = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(s, "# HELP c_total Help.\n"
                           "# TYPE c_total counter\n"
                           "c_total 0\n"
                           "# HELP g Help.\n"
                           "# TYPE g gauge\n"
                           "g 0\n");
    promc_free(s);
    s = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_string_equal(s, "# TYPE c counter\n"
                           "# HELP c Help.\n"
                           "c_total 0\n"
                           "c_created 1.700000000123e+09\n"
                           "# TYPE g gauge\n"
                           "# HELP g Help.\n"
                           "g 0.0\n"
                           "# EOF\n");
    promc_free(s);
    promc_registry_free(reg);
    promc_counter_free(c);
    promc_gauge_free(g);
}

static void labelled_metric_without_children_exports_header_only(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *c = promc_counter_vec_new(reg, "c", "Help.", PROMC_LABELS("k"), NULL);
    char *s = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(s, "# HELP c_total Help.\n# TYPE c_total counter\n");
    promc_free(s);
    s = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_string_equal(s, "# TYPE c counter\n# HELP c Help.\n# EOF\n");
    promc_free(s);
    promc_registry_free(reg);
    promc_counter_vec_free(c);
}

/* ------------------------------------------------------------------ */
/* Child limit                                                         */
/* ------------------------------------------------------------------ */

static void child_limit_refuses_beyond_max(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_metric_opts opts = {.max_children = 3};
    promc_counter_vec *c = promc_counter_vec_new(reg, "req", "Help.", PROMC_LABELS("path"), &opts);
    assert_non_null(c);
    promc_counter *a = promc_counter_vec_labels(c, "/a");
    promc_counter *b = promc_counter_vec_labels(c, "/b");
    promc_counter *d = promc_counter_vec_labels(c, "/c");
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(d);
    promc_counter_inc(a);

    reset_error();
    assert_null(promc_counter_vec_labels(c, "/d"));
    expect_error(PROMC_ELIMIT, "\"req\"");
    assert_null(promc_counter_vec_labels(c, "/e"));
    assert_null(promc_counter_vec_labels(c, "/d"));
    assert_int_equal(promc_metric_refused(promc_counter_vec_metric(c)), 3);
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(c)), 3);

    /* Existing children are still handed out. */
    assert_ptr_equal(promc_counter_vec_labels(c, "/a"), a);
    assert_ptr_equal(promc_counter_vec_labels(c, "/c"), d);
    /* Refusals only count on the slow path: hits do not touch it. */
    assert_int_equal(promc_metric_refused(promc_counter_vec_metric(c)), 3);

    /* A refused NULL child is a harmless sink. */
    promc_counter_inc(promc_counter_vec_labels(c, "/zzz"));
    assert_int_equal(promc_metric_refused(promc_counter_vec_metric(c)), 4);

    char *s = test_render(reg, PROMC_FORMAT_TEXT);
    assert_non_null(strstr(s, "# HELP promc_children_refused_total "));
    assert_non_null(strstr(s, "# TYPE promc_children_refused_total counter\n"));
    assert_non_null(strstr(s, "promc_children_refused_total{metric=\"req\"} 4\n"));
    assert_null(strstr(s, "/d"));
    assert_null(strstr(s, "/zzz"));
    promc_free(s);
    s = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_non_null(strstr(s, "# TYPE promc_children_refused counter\n"));
    assert_non_null(strstr(s, "promc_children_refused_total{metric=\"req\"} 4\n"));
    promc_free(s);
    promc_label m = {"metric", "req"};
    assert_true(test_value(reg, "promc_children_refused_total", &m, 1) == 4);

    /* Removing a child makes room for a new one. */
    assert_int_equal(promc_counter_vec_remove(c, "/b"), PROMC_OK);
    assert_non_null(promc_counter_vec_labels(c, "/d"));
    assert_null(promc_counter_vec_labels(c, "/e"));
    assert_int_equal(promc_metric_refused(promc_counter_vec_metric(c)), 5);
    promc_registry_free(reg);
    promc_counter_vec_free(c);
}

static void unlimited_metrics_have_no_refusal_sample(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_gauge_vec *g = promc_gauge_vec_new(reg, "g", "Help.", PROMC_LABELS("k"), NULL);
    for (int i = 0; i < 50; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        assert_non_null(promc_gauge_vec_labels(g, v));
    }
    assert_int_equal(promc_metric_refused(promc_gauge_vec_metric(g)), 0);
    assert_false(render_has(reg, PROMC_FORMAT_TEXT, "promc_children_refused"));
    promc_registry_free(reg);
    promc_gauge_vec_free(g);
}

static void registry_default_limit_applies_to_later_metrics(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_gauge_vec *before = promc_gauge_vec_new(reg, "before", "Help.", PROMC_LABELS("k"), NULL);
    promc_registry_set_max_children(reg, 2);
    promc_gauge_vec *after = promc_gauge_vec_new(reg, "after", "Help.", PROMC_LABELS("k"), NULL);
    promc_metric_opts own = {.max_children = 3};
    promc_gauge_vec *mine = promc_gauge_vec_new(reg, "mine", "Help.", PROMC_LABELS("k"), &own);
    /* The default is per registry: another registry stays unlimited. */
    promc_registry *other = promc_registry_new();
    promc_gauge_vec *elsewhere =
        promc_gauge_vec_new(other, "elsewhere", "Help.", PROMC_LABELS("k"), NULL);

    const char *vals[] = {"1", "2", "3", "4"};
    for (size_t i = 0; i < 4; i++) {
        assert_non_null(promc_gauge_vec_labels(before, vals[i]));
        assert_non_null(promc_gauge_vec_labels(elsewhere, vals[i]));
        if (i < 2)
            assert_non_null(promc_gauge_vec_labels(after, vals[i]));
        else
            assert_null(promc_gauge_vec_labels(after, vals[i]));
        if (i < 3)
            assert_non_null(promc_gauge_vec_labels(mine, vals[i]));
        else
            assert_null(promc_gauge_vec_labels(mine, vals[i]));
    }
    assert_int_equal(promc_metric_refused(promc_gauge_vec_metric(after)), 2);
    assert_int_equal(promc_metric_refused(promc_gauge_vec_metric(mine)), 1);
    assert_int_equal(promc_metric_refused(promc_gauge_vec_metric(before)), 0);
    char *s = test_render(reg, PROMC_FORMAT_TEXT);
    assert_non_null(strstr(s, "promc_children_refused_total{metric=\"after\"} 2\n"));
    assert_non_null(strstr(s, "promc_children_refused_total{metric=\"mine\"} 1\n"));
    assert_null(strstr(s, "metric=\"before\""));
    promc_free(s);
    promc_registry_free(reg);
    promc_registry_free(other);
    promc_gauge_vec_free(before);
    promc_gauge_vec_free(after);
    promc_gauge_vec_free(mine);
    promc_gauge_vec_free(elsewhere);
}

/* ------------------------------------------------------------------ */
/* NULL children                                                       */
/* ------------------------------------------------------------------ */

static void hot_path_calls_on_null_are_noops(void **state)
{
    (void)state;
    promc_counter_inc(NULL);
    promc_counter_add_int(NULL, 5);
    assert_int_equal(promc_counter_add(NULL, 1.5), PROMC_OK);
    assert_int_equal(promc_counter_add(NULL, -1), PROMC_EINVAL);
    assert_true(promc_counter_get(NULL) == 0);
    promc_gauge_inc(NULL);
    promc_gauge_dec(NULL);
    promc_gauge_add(NULL, 2);
    promc_gauge_sub(NULL, 2);
    promc_gauge_set(NULL, 3);
    promc_gauge_set_to_current_time(NULL);
    assert_true(promc_gauge_get(NULL) == 0);
    promc_gauge_timer gt = promc_gauge_timer_start(NULL);
    promc_gauge_timer_stop(&gt);
    promc_gauge_track_end(promc_gauge_track_inprogress(NULL));
    promc_histogram_observe(NULL, 1);
    promc_histogram_timer ht = promc_histogram_timer_start(NULL);
    promc_histogram_timer_stop(&ht);
    promc_summary_observe(NULL, 1);
    promc_summary_timer st = promc_summary_timer_start(NULL);
    promc_summary_timer_stop(&st);
    assert_int_equal(promc_enum_set(NULL, "x"), PROMC_OK);
    assert_int_equal(promc_enum_set_index(NULL, 3), PROMC_OK);
    assert_int_equal(promc_enum_get(NULL), 0);
    /* Label calls on NULL fail instead of crashing. */
    assert_null(promc_counter_vec_labels(NULL, "a"));
    assert_null(promc_gauge_vec_labels(NULL, "a"));
    promc_counter_vec_clear(NULL);
    promc_counter_free(NULL);
    assert_null(promc_counter_metric(NULL));
    assert_int_equal(promc_metric_children(NULL), 0);
    assert_int_equal(promc_metric_refused(NULL), 0);
}

/* ------------------------------------------------------------------ */
/* Escaping                                                            */
/* ------------------------------------------------------------------ */

static void label_values_escape_backslash_quote_newline_only(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_gauge_vec *g = promc_gauge_vec_new(reg, "g", "Help.", PROMC_LABELS("v"), NULL);
    promc_gauge_set(promc_gauge_vec_labels(g, "a\\b"), 1);
    promc_gauge_set(promc_gauge_vec_labels(g, "say \"hi\""), 2);
    promc_gauge_set(promc_gauge_vec_labels(g, "line1\nline2"), 3);
    promc_gauge_set(promc_gauge_vec_labels(g, "tab\there\rcr"), 4);
    promc_gauge_set(promc_gauge_vec_labels(g, "caf\xc3\xa9 \xe2\x82\xac"), 5);
    promc_gauge_set(promc_gauge_vec_labels(g, "\\n\\\"\n"), 6);

    static const char want_text[] = "# HELP g Help.\n"
                                    "# TYPE g gauge\n"
                                    "g{v=\"a\\\\b\"} 1\n"
                                    "g{v=\"say \\\"hi\\\"\"} 2\n"
                                    "g{v=\"line1\\nline2\"} 3\n"
                                    "g{v=\"tab\there\rcr\"} 4\n"
                                    "g{v=\"caf\xc3\xa9 \xe2\x82\xac\"} 5\n"
                                    "g{v=\"\\\\n\\\\\\\"\\n\"} 6\n";
    char *s = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(s, want_text);
    promc_free(s);
    s = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_non_null(strstr(s, "g{v=\"a\\\\b\"} 1.0\n"));
    assert_non_null(strstr(s, "g{v=\"say \\\"hi\\\"\"} 2.0\n"));
    assert_non_null(strstr(s, "g{v=\"line1\\nline2\"} 3.0\n"));
    assert_non_null(strstr(s, "g{v=\"tab\there\rcr\"} 4.0\n"));
    assert_non_null(strstr(s, "g{v=\"caf\xc3\xa9 \xe2\x82\xac\"} 5.0\n"));
    promc_free(s);

    /* Lookups use the raw value. */
    promc_label l = {"v", "say \"hi\""};
    assert_true(test_value(reg, "g", &l, 1) == 2);
    promc_label n = {"v", "line1\nline2"};
    assert_true(test_value(reg, "g", &n, 1) == 3);
    promc_registry_free(reg);
    promc_gauge_vec_free(g);
}

static void several_labels_render_in_declared_order(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *c =
        promc_counter_vec_new(reg, "c", "Help.", PROMC_LABELS("zz", "aa", "mm"), NULL);
    promc_counter_inc(promc_counter_vec_labels(c, "1", "2", "3"));
    assert_true(render_has(reg, PROMC_FORMAT_TEXT, "\nc_total{zz=\"1\",aa=\"2\",mm=\"3\"} 1\n"));
    promc_label q[] = {{"mm", "3"}, {"zz", "1"}, {"aa", "2"}}; /* any order */
    assert_true(test_value(reg, "c_total", q, 3) == 1);
    promc_registry_free(reg);
    promc_counter_vec_free(c);
}

/* A child keeps only its values; a scrape puts each label body together
 * from them, the family's label names and its constant labels, whatever
 * the escapes (a value ending in a backslash, quotes after backslashes)
 * and however long (past any fixed buffer). */
static void label_bodies_join_values_names_and_constants(void **state)
{
    (void)state;
    char big[1500];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[700] = '"';
    promc_registry *reg = promc_registry_new();
    promc_label consts[] = {{"zone", "eu\\\"1"}, {"tier", ""}};
    promc_metric_opts o = {.const_labels = consts, .nconst_labels = 2};
    promc_counter_vec *c = promc_counter_vec_new(reg, "c", "Help.", PROMC_LABELS("a", "bb"), &o);
    promc_counter_inc(promc_counter_vec_labels(c, "end\\", "\\\"\\"));
    promc_counter_add_int(promc_counter_vec_labels(c, big, "x"), 2);
    promc_counter_add_int(promc_counter_vec_labels(c, "", ""), 3);
    promc_gauge *g = promc_gauge_new(reg, "g", "Help.", &o);
    promc_gauge_set(g, 4);

    char *want = malloc(4096);
    char *bigq = malloc(2048);
    snprintf(bigq, 2048, "%.*s\\\"%s", 700, big, big + 701);
    snprintf(want, 4096,
             "# HELP c_total Help.\n"
             "# TYPE c_total counter\n"
             "c_total{a=\"end\\\\\",bb=\"\\\\\\\"\\\\\",zone=\"eu\\\\\\\"1\",tier=\"\"} 1\n"
             "c_total{a=\"%s\",bb=\"x\",zone=\"eu\\\\\\\"1\",tier=\"\"} 2\n"
             "c_total{a=\"\",bb=\"\",zone=\"eu\\\\\\\"1\",tier=\"\"} 3\n"
             "# HELP g Help.\n"
             "# TYPE g gauge\n"
             "g{zone=\"eu\\\\\\\"1\",tier=\"\"} 4\n",
             bigq);
    char *s = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(s, want);
    promc_free(s);
    /* The values read back from the bodies (the protobuf encoder and
     * sample lookups parse them). */
    promc_label q[] = {{"a", big}, {"bb", "x"}, {"zone", "eu\\\"1"}, {"tier", ""}};
    assert_true(test_value(reg, "c_total", q, 4) == 2);
    promc_label q2[] = {{"a", "end\\"}, {"bb", "\\\"\\"}, {"zone", "eu\\\"1"}, {"tier", ""}};
    assert_true(test_value(reg, "c_total", q2, 4) == 1);
    /* Lookups and removals compare against the values text. */
    assert_ptr_equal(promc_counter_vec_labels(c, "end\\", "\\\"\\"),
                     promc_counter_vec_labels(c, "end\\", "\\\"\\"));
    promc_counter *near = promc_counter_vec_labels(c, "end\\", "\\\"");
    assert_non_null(near);
    assert_ptr_not_equal(near, promc_counter_vec_labels(c, "end\\", "\\\"\\"));
    assert_int_equal(promc_counter_vec_remove(c, "end\\", "\\\""), PROMC_OK);
    size_t removed = 0;
    assert_int_equal(promc_counter_vec_remove_partial(c, &(promc_label){"bb", "x"}, 1, &removed),
                     PROMC_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(promc_counter_vec_remove(c, "end\\", "\\\"\\"), PROMC_OK);
    s = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_non_null(strstr(s, "\nc_total{a=\"\",bb=\"\",zone=\"eu\\\\\\\"1\",tier=\"\"} 3\n"));
    assert_null(strstr(s, "bb=\"x\""));
    assert_null(strstr(s, "a=\"end"));
    promc_free(s);
    free(want);
    free(bigq);
    promc_registry_free(reg);
    promc_counter_vec_free(c);
    promc_gauge_free(g);
}

int main(void)
{
    default_clock = promc__clock;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(label_name_grammar_is_enforced),
        cmocka_unit_test(label_name_with_colon_is_rejected),
        cmocka_unit_test(double_underscore_label_is_reserved),
        cmocka_unit_test(le_is_reserved_only_for_histograms),
        cmocka_unit_test(quantile_is_reserved_only_for_summaries),
        cmocka_unit_test(enum_own_name_is_reserved_as_label),
        cmocka_unit_test(duplicate_label_names_are_rejected),
        cmocka_unit_test(metric_name_grammar_is_enforced),
        cmocka_unit_test(metric_name_with_colon_is_accepted),
        cmocka_unit_test(help_null_is_refused_empty_is_allowed),
        cmocka_unit_test(unit_must_be_a_name_suffix),
        cmocka_unit_test(counter_with_and_without_total_expose_total),
        cmocka_unit_test(labels_count_must_match),
        cmocka_unit_test(labels_null_value_is_rejected),
        cmocka_unit_test(labels_invalid_utf8_is_rejected),
        cmocka_unit_test(labels_same_values_same_handle),
        cmocka_unit_test(labels_many_children_keep_identity),
        cmocka_unit_test(children_exported_in_creation_order),
        cmocka_unit_test(remove_drops_series_and_labels_recreates_at_zero),
        cmocka_unit_test(remove_of_missing_child_is_enoent),
        cmocka_unit_test(remove_through_a_reused_buffer_removes_its_own_child),
        cmocka_unit_test(remove_of_invalid_utf8_is_einval),
        cmocka_unit_test(lookups_across_families_return_their_own_child),
        cmocka_unit_test(lookups_by_reused_buffers_return_their_own_child),
        cmocka_unit_test(lookups_of_similar_values_keep_their_child),
        cmocka_unit_test(child_creation_time_is_the_wall_clock),
        cmocka_unit_test(clear_removes_all_children),
        cmocka_unit_test(unlabelled_metric_exported_at_zero_from_creation),
        cmocka_unit_test(labelled_metric_without_children_exports_header_only),
        cmocka_unit_test(child_limit_refuses_beyond_max),
        cmocka_unit_test(unlimited_metrics_have_no_refusal_sample),
        cmocka_unit_test(registry_default_limit_applies_to_later_metrics),
        cmocka_unit_test(hot_path_calls_on_null_are_noops),
        cmocka_unit_test(label_values_escape_backslash_quote_newline_only),
        cmocka_unit_test(several_labels_render_in_declared_order),
        cmocka_unit_test(label_bodies_join_values_names_and_constants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
