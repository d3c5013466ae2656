/*
 * Callback metrics (promc_gauge_func_new, promc_counter_func_new and their
 * labelled forms): golden expositions in text and OpenMetrics, the value
 * read at every scrape, what a failing callback, a bad counter value and
 * every bad report (wrong count, invalid UTF-8, a label set twice) do to the
 * scrape, name clashes at creation, userdata's lifetime, a callback scraping
 * its own registry, scrapes with a deadline, and concurrent scrapes that
 * never run one callback twice at once.
 */
#include "helpers.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

/* The exposition of reg in format f whatever the scrape's outcome, and that
 * outcome in *rc. */
static char *render_any(promc_registry *reg, promc_format f, int *rc)
{
    char *got = NULL;
    size_t cap = 0;
    FILE *out = open_memstream(&got, &cap);
    assert_non_null(out);
    *rc = promc_encode_file(reg, f, out);
    fclose(out);
    return got;
}

/* ------------------------------------------------------------------ */
/* Unlabelled                                                          */
/* ------------------------------------------------------------------ */

static int read_double(void *ud, double *v)
{
    *v = *(double *)ud;
    return 0;
}

static void gauge_and_counter_read_at_every_scrape(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    double temp = 21.5, bytes = 1024;
    promc_metric *g =
        promc_gauge_func_new(r, "room_temperature_celsius", "Temperature.", read_double, &temp,
                             NULL, &(promc_metric_opts){.unit = "celsius"});
    promc_metric *c = promc_counter_func_new(r, "disk_read_bytes_total", "Bytes \"read\".",
                                             read_double, &bytes, NULL, NULL);
    assert_non_null(g);
    assert_non_null(c);
    assert_string_equal(promc_metric_name(g), "room_temperature_celsius");
    assert_string_equal(promc_metric_name(c), "disk_read_bytes");
    char *text = test_render(r, PROMC_FORMAT_TEXT);
    test_golden("callback.txt", text);
    promc_free(text);
    char *om = test_render(r, PROMC_FORMAT_OPENMETRICS);
    test_golden("callback.om", om);
    promc_free(om);

    temp = -3;
    bytes = 2048;
    double v;
    assert_int_equal(promc_registry_get_sample_value(r, "room_temperature_celsius", NULL, 0, &v),
                     PROMC_OK);
    assert_true(v == -3);
    assert_int_equal(promc_registry_get_sample_value(r, "disk_read_bytes_total", NULL, 0, &v),
                     PROMC_OK);
    assert_true(v == 2048);
    /* A gauge exposes any double. */
    temp = NAN;
    assert_int_equal(promc_registry_get_sample_value(r, "room_temperature_celsius", NULL, 0, &v),
                     PROMC_OK);
    assert_true(isnan(v));
    /* A counter that went down is exposed as it is (a reset). */
    bytes = 10;
    assert_int_equal(promc_registry_get_sample_value(r, "disk_read_bytes_total", NULL, 0, &v),
                     PROMC_OK);
    assert_true(v == 10);
    promc_metric_free(g);
    promc_metric_free(c);
    promc_registry_free(r);
}

/* Exposed as the built-in type with the same name, help and unit (and no
 * _created): every format byte for byte, the name filter included. */
static void exposed_as_the_type_it_imitates(void **state)
{
    (void)state;
    promc_registry *cb = promc_registry_new(), *plain = promc_registry_new();
    promc_registry_set_created(plain, 0);
    /* Not a whole number: promc_counter_add keeps whole counts as integers
     * (OpenMetrics "1024"), a callback's value is a double ("1024.0", as
     * client_golang's CounterFunc writes it). */
    double temp = 21.5, bytes = 1024.5;
    promc_metric *g = promc_gauge_func_new(cb, "temp_celsius", "T.", read_double, &temp, NULL,
                                           &(promc_metric_opts){.unit = "celsius"});
    promc_metric *c = promc_counter_func_new(cb, "read_bytes", "R.", read_double, &bytes, NULL,
                                             &(promc_metric_opts){.unit = "bytes"});
    assert_non_null(g);
    assert_non_null(c);
    promc_gauge *pg =
        promc_gauge_new(plain, "temp_celsius", "T.", &(promc_metric_opts){.unit = "celsius"});
    promc_counter *pc =
        promc_counter_new(plain, "read_bytes", "R.", &(promc_metric_opts){.unit = "bytes"});
    promc_gauge_set(pg, 21.5);
    promc_counter_add(pc, 1024.5);
    const promc_scrape_opts filters[] = {
        {.names = NULL},
        {.names = PROMC_LABELS("read_bytes_total")},
        {.timeout = 5},
    };
    for (int f = PROMC_FORMAT_TEXT; f <= PROMC_FORMAT_PROTOBUF; f++) {
        for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
            size_t la, lb;
            char *a = promc_encode_buffer_ex(cb, (promc_format)f, &la, &filters[i]);
            char *b = promc_encode_buffer_ex(plain, (promc_format)f, &lb, &filters[i]);
            assert_non_null(a);
            assert_non_null(b);
            /* With a deadline the library's promc_collector_* families
             * follow (before "# EOF" in OpenMetrics): the rest is the same. */
            size_t same = f == PROMC_FORMAT_OPENMETRICS && filters[i].timeout > 0 ? lb - 6 : lb;
            if (filters[i].timeout > 0)
                assert_true(la >= same);
            else
                assert_int_equal(la, lb);
            assert_memory_equal(a, b, same);
            promc_free(a);
            promc_free(b);
        }
    }
    promc_metric_free(g);
    promc_metric_free(c);
    promc_gauge_free(pg);
    promc_counter_free(pc);
    promc_registry_free(cb);
    promc_registry_free(plain);
}

static int failing(void *ud, double *v)
{
    (void)ud;
    (void)v;
    return 7;
}

static void a_failing_callback_fails_the_scrape_after_the_rest(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_gauge *ok = promc_gauge_new(r, "ok", "Fine.", NULL);
    promc_metric *bad = promc_gauge_func_new(r, "upstream_up", "Up.", failing, NULL, NULL, NULL);
    assert_non_null(bad);
    promc_gauge_set(ok, 1);
    int rc;
    char *got = render_any(r, PROMC_FORMAT_TEXT, &rc);
    assert_int_equal(rc, PROMC_EIO);
    assert_string_equal(promc_last_error(),
                        "gauge func \"upstream_up\": the callback failed (returned 7)");
    assert_string_equal(got, "# HELP ok Fine.\n# TYPE ok gauge\nok 1\n");
    free(got);
    assert_null(promc_encode_buffer(r, PROMC_FORMAT_OPENMETRICS, NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EIO);
    promc_gauge_free(ok);
    promc_metric_free(bad);
    promc_registry_free(r);
}

static void a_counter_refuses_negative_and_nan(void **state)
{
    (void)state;
    double bad[] = {-1, NAN};
    const char *msg[] = {"counter func \"c\": the callback gave -1, and a counter cannot be "
                         "negative or NaN",
                         "counter func \"c\": the callback gave nan, and a counter cannot be "
                         "negative or NaN"};
    for (int i = 0; i < 2; i++) {
        promc_registry *r = promc_registry_new();
        double v = bad[i];
        promc_metric *c = promc_counter_func_new(r, "c", "C.", read_double, &v, NULL, NULL);
        promc_gauge *g = promc_gauge_new(r, "after", "", NULL);
        int rc;
        char *got = render_any(r, PROMC_FORMAT_TEXT, &rc);
        assert_int_equal(rc, PROMC_EINVAL);
        assert_string_equal(promc_last_error(), msg[i]);
        assert_string_equal(got, "# HELP after \n# TYPE after gauge\nafter 0\n");
        free(got);
        v = INFINITY; /* +Inf is a valid counter value */
        got = render_any(r, PROMC_FORMAT_TEXT, &rc);
        assert_int_equal(rc, PROMC_OK);
        assert_non_null(strstr(got, "c_total +Inf\n"));
        free(got);
        promc_metric_free(c);
        promc_gauge_free(g);
        promc_registry_free(r);
    }
}

/* ------------------------------------------------------------------ */
/* Creation                                                            */
/* ------------------------------------------------------------------ */

static int freed;
static void count_free(void *p)
{
    (void)p;
    freed++;
}

static void creation_errors_leave_userdata_to_the_caller(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    double v = 1;
    freed = 0;
    assert_null(promc_gauge_func_new(r, "g", "G.", NULL, &v, count_free, NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_gauge_func_new(r, NULL, "G.", read_double, &v, count_free, NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_gauge_func_new(r, "g", NULL, read_double, &v, count_free, NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_gauge_func_new(r, "1g", "G.", read_double, &v, count_free, NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_gauge_func_new(r, "g", "G.", read_double, &v, count_free,
                                     &(promc_metric_opts){.unit = "seconds"}));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(
        promc_gauge_func_vec_new(r, "g", "G.", PROMC_LABELS("a", "a"), NULL, NULL, NULL, NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_gauge_func_new(PROMC_NO_REGISTRY, "g", "G.", NULL, NULL, NULL, NULL));

    /* Clashes with what the registry emits, either way round. */
    promc_gauge *x = promc_gauge_new(r, "x_total", "X.", NULL);
    assert_null(promc_counter_func_new(r, "x", "X.", read_double, &v, count_free, NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EEXIST);
    assert_non_null(strstr(promc_last_error(), "x_total"));
    promc_metric *y = promc_gauge_func_new(r, "y", "Y.", read_double, &v, count_free, NULL);
    assert_non_null(y);
    assert_null(promc_counter_new(r, "y_total", "Y.", NULL)); /* would emit y too */
    assert_null(promc_gauge_new(r, "y", "Y.", NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EEXIST);
    assert_null(promc_gauge_func_new(r, "y", "Y2.", read_double, &v, count_free, NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EEXIST);
    assert_int_equal(freed, 0);

    /* userdata lives until the metric is destroyed: the creator and every
     * registry let go. */
    assert_int_equal(promc_metric_free(y), PROMC_OK);
    assert_int_equal(freed, 0);
    assert_int_equal(promc_registry_unregister(r, y), PROMC_OK);
    assert_int_equal(freed, 1);
    promc_gauge_free(x);
    promc_registry_free(r);
}

static void works_outside_registries_and_in_several(void **state)
{
    (void)state;
    double v = 5;
    promc_metric *g =
        promc_gauge_func_new(PROMC_NO_REGISTRY, "shared", "Shared.", read_double, &v, NULL, NULL);
    assert_non_null(g);
    promc_registry *a = promc_registry_new(), *b = promc_registry_new();
    assert_int_equal(promc_registry_register(a, g), PROMC_OK);
    assert_int_equal(promc_registry_register(b, g), PROMC_OK);
    double got;
    assert_int_equal(promc_registry_get_sample_value(b, "shared", NULL, 0, &got), PROMC_OK);
    assert_true(got == 5);
    promc_registry_free(a);
    promc_registry_free(b);
    promc_metric_free(g);
}

/* ------------------------------------------------------------------ */
/* Labelled                                                            */
/* ------------------------------------------------------------------ */

struct queues {
    size_t n;
    const char *names[4];
    double depth[4];
};

static int report_queues(promc_reporter *r, void *ud)
{
    const struct queues *q = ud;
    for (size_t i = 0; i < q->n; i++)
        assert_int_equal(promc_reporter_add(r, q->depth[i], q->names[i], "eu"), PROMC_OK);
    return 0;
}

static void labelled_family_lists_its_series(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    struct queues q = {3, {"mail", "print\n\"jobs\"", "idle"}, {4, 0.5, 0}};
    promc_metric *g =
        promc_gauge_func_vec_new(r, "queue_depth", "Jobs waiting.", PROMC_LABELS("queue", "region"),
                                 report_queues, &q, NULL, NULL);
    promc_metric *c =
        promc_counter_func_vec_new(r, "queue_done", "Jobs done.", PROMC_LABELS("queue", "region"),
                                   report_queues, &q, NULL, NULL);
    assert_non_null(g);
    assert_non_null(c);
    char *text = test_render(r, PROMC_FORMAT_TEXT);
    test_golden("callback_vec.txt", text);
    promc_free(text);
    char *om = test_render(r, PROMC_FORMAT_OPENMETRICS);
    test_golden("callback_vec.om", om);
    promc_free(om);
    /* No series: the family's header alone, as a vec without children. */
    q.n = 0;
    text = test_render(r, PROMC_FORMAT_TEXT);
    assert_string_equal(text, "# HELP queue_depth Jobs waiting.\n# TYPE queue_depth gauge\n"
                              "# HELP queue_done_total Jobs done.\n"
                              "# TYPE queue_done_total counter\n");
    promc_free(text);
    promc_metric_free(g);
    promc_metric_free(c);
    promc_registry_free(r);
}

static int report_mail(promc_reporter *r, void *ud)
{
    (void)ud;
    return promc_reporter_add(r, 4, "mail");
}

static int read_seven(void *ud, double *v)
{
    (void)ud;
    *v = 7;
    return 0;
}

/* Constant labels from the options, after the variable ones, as an
 * ordinary metric writes them; bad ones refused at creation. */
static void constant_labels_as_ordinary_metrics_have_them(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    const promc_label cl[] = {{"instance", "a:1"}, {"zone", "x"}};
    promc_metric_opts o = {.const_labels = cl, .nconst_labels = 2};
    promc_metric *g = promc_gauge_func_vec_new(r, "cb_depth", "Jobs.", PROMC_LABELS("queue"),
                                               report_mail, NULL, NULL, &o);
    promc_metric *c = promc_counter_func_new(r, "cb_done", "Done.", read_seven, NULL, NULL, &o);
    promc_gauge_vec *pv = promc_gauge_vec_new(r, "plain_depth", "Jobs.", PROMC_LABELS("queue"), &o);
    promc_counter *pc = promc_counter_new(r, "plain_done", "Done.", &o);
    assert_non_null(g);
    assert_non_null(c);
    promc_gauge_set(promc_gauge_vec_labels(pv, "mail"), 4);
    promc_counter_add(pc, 7);
    char *text = test_render(r, PROMC_FORMAT_TEXT);
    assert_string_equal(text, "# HELP cb_depth Jobs.\n# TYPE cb_depth gauge\n"
                              "cb_depth{queue=\"mail\",instance=\"a:1\",zone=\"x\"} 4\n"
                              "# HELP cb_done_total Done.\n# TYPE cb_done_total counter\n"
                              "cb_done_total{instance=\"a:1\",zone=\"x\"} 7\n"
                              "# HELP plain_depth Jobs.\n# TYPE plain_depth gauge\n"
                              "plain_depth{queue=\"mail\",instance=\"a:1\",zone=\"x\"} 4\n"
                              "# HELP plain_done_total Done.\n# TYPE plain_done_total counter\n"
                              "plain_done_total{instance=\"a:1\",zone=\"x\"} 7\n");
    promc_free(text);
    const promc_label clash[] = {{"queue", "a"}};
    promc_metric_opts bad = {.const_labels = clash, .nconst_labels = 1};
    assert_null(promc_gauge_func_vec_new(r, "cb_bad", "x", PROMC_LABELS("queue"), report_mail, NULL,
                                         NULL, &bad));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    const promc_label badname[] = {{"__x", "a"}};
    bad.const_labels = badname;
    assert_null(promc_gauge_func_new(r, "cb_bad", "x", read_seven, NULL, NULL, &bad));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    bad.const_labels = NULL;
    assert_null(promc_gauge_func_new(r, "cb_bad", "x", read_seven, NULL, NULL, &bad));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    promc_metric_free(g);
    promc_metric_free(c);
    promc_gauge_vec_free(pv);
    promc_counter_free(pc);
    promc_registry_free(r);
}

static int report_nine(promc_reporter *r, void *ud)
{
    (void)ud;
    return promc_reporter_add(r, 9, "1", "2", "3", "4", "5", "6", "7", "8", "9");
}

static void many_label_names(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_metric *g = promc_gauge_func_vec_new(
        r, "wide", "W.", PROMC_LABELS("a", "b", "c", "d", "e", "f", "g", "h", "i"), report_nine,
        NULL, NULL, NULL);
    assert_non_null(g);
    char *text = test_render(r, PROMC_FORMAT_TEXT);
    assert_string_equal(text, "# HELP wide W.\n# TYPE wide gauge\nwide{a=\"1\",b=\"2\",c=\"3\","
                              "d=\"4\",e=\"5\",f=\"6\",g=\"7\",h=\"8\",i=\"9\"} 9\n");
    promc_free(text);
    promc_metric_free(g);
    promc_registry_free(r);
}

/* Each case reports a good series, a bad one, and a good one again. */
static int bad_case;
static int bad_rc;
static int report_bad(promc_reporter *r, void *ud)
{
    (void)ud;
    promc_reporter_add(r, 1, "a", "x");
    switch (bad_case) {
    case 0:
        bad_rc = promc_reporter_add(r, 2, "only-one");
        break;
    case 1:
        bad_rc = promc_reporter_add(r, 2, "b", "\xff");
        break;
    case 2:
        bad_rc = promc_reporter_add(r, 2, "a", "x");
        break;
    case 3:
        bad_rc = promc_reporter_add_n(r, NULL, 2, 2);
        break;
    case 4:
        bad_rc = promc_reporter_add(r, 2, "b", NULL);
        break;
    case 5:
        bad_rc = promc_reporter_add(r, -2, "b", "y");
        break;
    default:
        bad_rc = promc_reporter_add_n(NULL, (const char *const[]){"b", "y"}, 2, 2);
        break;
    }
    promc_reporter_add(r, 3, "c", "z");
    return 0;
}

static void bad_reports_are_left_out_and_fail_the_scrape(void **state)
{
    (void)state;
    static const struct {
        int rc;
        const char *message;
    } want[] = {
        {PROMC_EINVAL, "counter func vec \"q\": 1 label values reported for 2 label names"},
        {PROMC_EINVAL, "collector: \"q\": value of label \"region\" is NULL or not UTF-8"},
        {PROMC_EEXIST,
         "collector: \"q\": the same label set twice in one family: {queue=\"a\",region=\"x\"}"},
        {PROMC_EINVAL, "counter func vec \"q\": 0 label values reported for 2 label names"},
        {PROMC_EINVAL, "collector: \"q\": value of label \"region\" is NULL or not UTF-8"},
        {PROMC_EINVAL, "counter func vec \"q\": the callback gave -2, and a counter cannot be "
                       "negative or NaN"},
    };
    for (bad_case = 0; bad_case < 7; bad_case++) {
        promc_registry *r = promc_registry_new();
        promc_metric *c = promc_counter_func_vec_new(r, "q", "Q.", PROMC_LABELS("queue", "region"),
                                                     report_bad, NULL, NULL, NULL);
        assert_non_null(c);
        int rc;
        char *got = render_any(r, PROMC_FORMAT_TEXT, &rc);
        assert_string_equal(got, "# HELP q_total Q.\n# TYPE q_total counter\n"
                                 "q_total{queue=\"a\",region=\"x\"} 1\n"
                                 "q_total{queue=\"c\",region=\"z\"} 3\n");
        free(got);
        if (bad_case < 6) {
            assert_int_equal(bad_rc, want[bad_case].rc);
            assert_int_equal(rc, want[bad_case].rc);
            assert_string_equal(promc_last_error(), want[bad_case].message);
        } else { /* a NULL reporter records nothing in any collection */
            assert_int_equal(bad_rc, PROMC_EINVAL);
            assert_int_equal(rc, PROMC_OK);
        }
        promc_metric_free(c);
        promc_registry_free(r);
    }
}

static int report_then_fail(promc_reporter *r, void *ud)
{
    (void)ud;
    promc_reporter_add(r, 1, "kept");
    return -1;
}

static void a_failing_report_callback_keeps_what_it_reported(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_metric *g = promc_gauge_func_vec_new(r, "conn", "C.", PROMC_LABELS("peer"),
                                               report_then_fail, NULL, NULL, NULL);
    int rc;
    char *got = render_any(r, PROMC_FORMAT_TEXT, &rc);
    assert_int_equal(rc, PROMC_EIO);
    assert_string_equal(promc_last_error(),
                        "gauge func vec \"conn\": the callback failed (returned -1)");
    assert_string_equal(got, "# HELP conn C.\n# TYPE conn gauge\nconn{peer=\"kept\"} 1\n");
    free(got);
    promc_metric_free(g);
    promc_registry_free(r);
}

/* ------------------------------------------------------------------ */
/* Calls into promc from the callback; threads                         */
/* ------------------------------------------------------------------ */

static promc_registry *self_reg;
static int self_rc;
static int scrape_self(void *ud, double *v)
{
    (void)ud;
    char *s = promc_encode_buffer(self_reg, PROMC_FORMAT_TEXT, NULL);
    self_rc = s ? PROMC_OK : promc_last_error_code();
    promc_free(s);
    *v = 1;
    return 0;
}

static void scraping_its_own_registry_is_refused_not_a_deadlock(void **state)
{
    (void)state;
    self_reg = promc_registry_new();
    promc_metric *g = promc_gauge_func_new(self_reg, "g", "G.", scrape_self, NULL, NULL, NULL);
    double v;
    assert_int_equal(promc_registry_get_sample_value(self_reg, "g", NULL, 0, &v), PROMC_OK);
    assert_int_equal(self_rc, PROMC_ESTATE);
    /* With a deadline the callback runs on a collector thread: refused too. */
    self_rc = 0;
    char *s = promc_encode_buffer_ex(self_reg, PROMC_FORMAT_TEXT, NULL,
                                     &(promc_scrape_opts){.timeout = 10});
    assert_non_null(s);
    assert_non_null(strstr(s, "\ng 1\n"));
    promc_free(s);
    assert_int_equal(self_rc, PROMC_ESTATE);
    promc_metric_free(g);
    promc_registry_free(self_reg);
}

static atomic_int inside, overlaps, calls;
static int slow_value(void *ud, double *v)
{
    (void)ud;
    if (atomic_fetch_add(&inside, 1) != 0)
        atomic_fetch_add(&overlaps, 1);
    atomic_fetch_add(&calls, 1);
    for (volatile int i = 0; i < 20000; i++)
        ;
    atomic_fetch_sub(&inside, 1);
    *v = 1;
    return 0;
}

static void *scrape_loop(void *p)
{
    for (int i = 0; i < 200; i++) {
        char *s = promc_encode_buffer(p, PROMC_FORMAT_TEXT, NULL);
        if (!s)
            return p;
        promc_free(s);
    }
    return NULL;
}

static void concurrent_scrapes_never_run_it_twice_at_once(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_metric *g = promc_gauge_func_new(r, "busy", "B.", slow_value, NULL, NULL, NULL);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, scrape_loop, r), 0);
    for (int i = 0; i < 4; i++) {
        void *failed;
        pthread_join(t[i], &failed);
        assert_null(failed);
    }
    assert_int_equal(atomic_load(&overlaps), 0);
    assert_true(atomic_load(&calls) > 0 && atomic_load(&calls) <= 800);
    promc_metric_free(g);
    promc_registry_free(r);
}

int main(void)
{
    test_pin_clock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gauge_and_counter_read_at_every_scrape),
        cmocka_unit_test(constant_labels_as_ordinary_metrics_have_them),
        cmocka_unit_test(exposed_as_the_type_it_imitates),
        cmocka_unit_test(a_failing_callback_fails_the_scrape_after_the_rest),
        cmocka_unit_test(a_counter_refuses_negative_and_nan),
        cmocka_unit_test(creation_errors_leave_userdata_to_the_caller),
        cmocka_unit_test(works_outside_registries_and_in_several),
        cmocka_unit_test(labelled_family_lists_its_series),
        cmocka_unit_test(many_label_names),
        cmocka_unit_test(bad_reports_are_left_out_and_fail_the_scrape),
        cmocka_unit_test(a_failing_report_callback_keeps_what_it_reported),
        cmocka_unit_test(scraping_its_own_registry_is_refused_not_a_deadlock),
        cmocka_unit_test(concurrent_scrapes_never_run_it_twice_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
