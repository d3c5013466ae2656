/*
 * Partial-match removal (promc_*_vec_remove_partial): every child whose
 * labels include the given values goes, as with *_vec_remove (handles stay
 * valid, looking up again brings a child back at zero); values are matched
 * exactly, escapes included; mistakes are refused with nothing removed;
 * through a curried view the view's values join the match; from a writer of
 * the family's scrape it is refused; and lookups, increments and scrapes
 * racing it are safe (also under ThreadSanitizer: make tsan).
 */
#include "helpers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static void reset_error(void)
{
    promc__ok();
}

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

static const char *const job_names[] = {"job", "instance", "path", NULL};

/* (a,1,x) (a,2,x) (b,1,x) (ab,1,x) (a,1,y) (,1,x), each at 1. */
static promc_gauge_vec *jobs(promc_registry *reg, promc_gauge *kept[6])
{
    promc_gauge_vec *v = promc_gauge_vec_new(reg, "up", "Up.", job_names, NULL);
    assert_non_null(v);
    static const char *const rows[6][3] = {{"a", "1", "x"},  {"a", "2", "x"}, {"b", "1", "x"},
                                           {"ab", "1", "x"}, {"a", "1", "y"}, {"", "1", "x"}};
    for (int i = 0; i < 6; i++) {
        kept[i] = promc_gauge_vec_labels_n(v, rows[i], 3);
        assert_non_null(kept[i]);
        promc_gauge_set(kept[i], 1);
    }
    return v;
}

static void removes_every_child_with_the_values(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_gauge *g[6];
    promc_gauge_vec *v = jobs(reg, g);
    size_t removed = 99;
    assert_int_equal(promc_gauge_vec_remove_partial(v, &(promc_label){"job", "a"}, 1, &removed),
                     PROMC_OK);
    assert_int_equal(promc_last_error_code(), PROMC_OK);
    assert_int_equal(removed, 3);
    expect_render(reg, "# HELP up Up.\n"
                       "# TYPE up gauge\n"
                       "up{job=\"b\",instance=\"1\",path=\"x\"} 1\n"
                       "up{job=\"ab\",instance=\"1\",path=\"x\"} 1\n"
                       "up{job=\"\",instance=\"1\",path=\"x\"} 1\n");
    /* Removed handles keep working, detached; looked up again: back at 0. */
    promc_gauge_inc(g[0]);
    assert_true(promc_gauge_get(g[0]) == 2);
    assert_ptr_equal(promc_gauge_vec_labels(v, "a", "1", "x"), g[0]);
    assert_true(promc_gauge_get(g[0]) == 0);

    /* Two labels, the empty value, and no match at all. */
    promc_label two[] = {{"path", "x"}, {"instance", "1"}};
    assert_int_equal(promc_gauge_vec_remove_partial(v, two, 2, &removed), PROMC_OK);
    assert_int_equal(removed, 4); /* (a,1,x) again, b, ab, "" */
    assert_int_equal(promc_gauge_vec_remove_partial(v, &(promc_label){"job", ""}, 1, &removed),
                     PROMC_OK);
    assert_int_equal(removed, 0);
    assert_int_equal(promc_gauge_vec_remove_partial(v, &(promc_label){"job", "zz"}, 1, NULL),
                     PROMC_OK);
    expect_render(reg, "# HELP up Up.\n# TYPE up gauge\n");
    assert_int_equal(promc_metric_children(promc_gauge_vec_metric(v)), 0);
    /* Their memory goes when the caller says no handle is in use. */
    assert_int_equal(promc_metric_reclaim_removed(promc_gauge_vec_metric(v)), PROMC_OK);
    promc_gauge_vec_free(v);
    promc_registry_free(reg);
}

static void values_match_exactly(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *v = promc_counter_vec_new(reg, "c", "C.", PROMC_LABELS("k", "z"), NULL);
    static const char *const vals[] = {"a\"b", "a\\", "a\nb", "a", "a\\\"", "\xc3\xa9t\xc3\xa9"};
    for (int i = 0; i < 6; i++)
        promc_counter_inc(promc_counter_vec_labels(v, vals[i], "z"));
    for (int i = 0; i < 6; i++) {
        size_t removed = 0;
        assert_int_equal(
            promc_counter_vec_remove_partial(v, &(promc_label){"k", vals[i]}, 1, &removed),
            PROMC_OK);
        if (removed != 1)
            fail_msg("value %d: removed %zu", i, removed);
        assert_int_equal(promc_metric_children(promc_counter_vec_metric(v)), (size_t)(5 - i));
    }
    /* A prefix or an extension of a value is another value. */
    promc_counter_inc(promc_counter_vec_labels(v, "abc", "z"));
    size_t removed = 0;
    static const char *const near[] = {"ab", "abcd", "", "abc\\", "ABC"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(
            promc_counter_vec_remove_partial(v, &(promc_label){"k", near[i]}, 1, &removed),
            PROMC_OK);
        assert_int_equal(removed, 0);
    }
    promc_counter_vec_free(v);
    promc_registry_free(reg);
}

static void mistakes_remove_nothing(void **state)
{
    (void)state;
    promc_gauge *g[6];
    promc_gauge_vec *v = jobs(PROMC_NO_REGISTRY, g);
    size_t removed = 7;
    promc_label ok = {"job", "a"};

    reset_error();
    assert_int_equal(promc_gauge_vec_remove_partial(NULL, &ok, 1, &removed), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "promc_gauge_vec_remove_partial: NULL family");
    assert_int_equal(removed, 0);
    removed = 7;
    reset_error();
    assert_int_equal(promc_gauge_vec_remove_partial(v, &ok, 0, &removed), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "no label to match");
    assert_int_equal(removed, 0);
    reset_error();
    assert_int_equal(promc_gauge_vec_remove_partial(v, NULL, 1, NULL), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "label pairs missing");
    reset_error();
    assert_int_equal(promc_gauge_vec_remove_partial(v, &(promc_label){"host", "a"}, 1, NULL),
                     PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "promc_gauge_vec_remove_partial \"up\": no label named \"host\"");
    /* A valid pair first, then a bad one: still nothing removed. */
    promc_label twice[] = {{"job", "a"}, {"job", "b"}};
    reset_error();
    assert_int_equal(promc_gauge_vec_remove_partial(v, twice, 2, NULL), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "label \"job\" given twice");
    promc_label null_name[] = {{"job", "a"}, {NULL, "b"}};
    reset_error();
    assert_int_equal(promc_gauge_vec_remove_partial(v, null_name, 2, NULL), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "label name 1 is NULL");
    reset_error();
    assert_int_equal(promc_gauge_vec_remove_partial(v, &(promc_label){"job", NULL}, 1, NULL),
                     PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "value of label \"job\" is NULL");
    reset_error();
    assert_int_equal(promc_gauge_vec_remove_partial(v, &(promc_label){"job", "\xe2\x82"}, 1, NULL),
                     PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "not valid UTF-8");
    assert_int_equal(promc_metric_children(promc_gauge_vec_metric(v)), 6);
    promc_gauge_vec_free(v);
}

static void a_view_adds_its_values(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_gauge *g[6];
    promc_gauge_vec *v = jobs(reg, g);
    promc_gauge_vec *a = promc_gauge_vec_curry(v, &(promc_label){"job", "a"}, 1);
    size_t removed = 0;
    assert_int_equal(promc_gauge_vec_remove_partial(a, &(promc_label){"path", "x"}, 1, &removed),
                     PROMC_OK);
    assert_int_equal(removed, 2);
    expect_render(reg, "# HELP up Up.\n"
                       "# TYPE up gauge\n"
                       "up{job=\"b\",instance=\"1\",path=\"x\"} 1\n"
                       "up{job=\"ab\",instance=\"1\",path=\"x\"} 1\n"
                       "up{job=\"a\",instance=\"1\",path=\"y\"} 1\n"
                       "up{job=\"\",instance=\"1\",path=\"x\"} 1\n");
    reset_error();
    assert_int_equal(promc_gauge_vec_remove_partial(a, &(promc_label){"job", "a"}, 1, &removed),
                     PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "label \"job\" is curried in this view");
    /* Fixing the rest too: the match completes the view's values. */
    promc_gauge_vec *a1 = promc_gauge_vec_curry(a, &(promc_label){"instance", "1"}, 1);
    assert_int_equal(promc_gauge_vec_remove_partial(a1, &(promc_label){"path", "y"}, 1, &removed),
                     PROMC_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(promc_metric_children(promc_gauge_vec_metric(v)), 3);
    promc_gauge_vec_free(a1);
    promc_gauge_vec_free(a);
    promc_gauge_vec_free(v);
    promc_registry_free(reg);
}

static void every_vec_type_removes(void **state)
{
    (void)state;
    const char *const *names = PROMC_LABELS("job", "op");
    promc_label job = {"job", "j"};
    size_t removed = 0;

    promc_counter_vec *c = promc_counter_vec_new(PROMC_NO_REGISTRY, "c", "C.", names, NULL);
    promc_counter_vec_labels(c, "j", "1");
    promc_counter_vec_labels(c, "j", "2");
    promc_counter_vec_labels(c, "k", "1");
    assert_int_equal(promc_counter_vec_remove_partial(c, &job, 1, &removed), PROMC_OK);
    assert_int_equal(removed, 2);

    promc_histogram_vec *h = promc_histogram_vec_new(PROMC_NO_REGISTRY, "h", "H.", names, NULL);
    promc_histogram_vec_labels(h, "j", "1");
    promc_histogram_vec_labels(h, "k", "1");
    assert_int_equal(promc_histogram_vec_remove_partial(h, &job, 1, &removed), PROMC_OK);
    assert_int_equal(removed, 1);

    promc_summary_vec *s = promc_summary_vec_new(PROMC_NO_REGISTRY, "s", "S.", names, NULL);
    promc_summary_vec_labels(s, "j", "1");
    assert_int_equal(promc_summary_vec_remove_partial(s, &job, 1, &removed), PROMC_OK);
    assert_int_equal(removed, 1);

    promc_enum_vec *e =
        promc_enum_vec_new(PROMC_NO_REGISTRY, "e", "E.", names, PROMC_LABELS("on"), NULL);
    promc_enum_vec_labels(e, "k", "1");
    assert_int_equal(promc_enum_vec_remove_partial(e, &job, 1, &removed), PROMC_OK);
    assert_int_equal(removed, 0);
    assert_int_equal(promc_enum_vec_remove_partial(e, &(promc_label){"op", "1"}, 1, &removed),
                     PROMC_OK);
    assert_int_equal(removed, 1);

    reset_error();
    assert_int_equal(promc_histogram_vec_remove_partial(h, &(promc_label){"le", "1"}, 1, NULL),
                     PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "no label named \"le\"");
    promc_counter_vec_free(c);
    promc_histogram_vec_free(h);
    promc_summary_vec_free(s);
    promc_enum_vec_free(e);
}

/* ------------------------------------------------------------------ */
/* From a writer                                                       */
/* ------------------------------------------------------------------ */

struct writer_try {
    promc_gauge_vec *v;
    int rc;
    size_t removed;
    bool done;
};

static int remove_from_writer(void *ctx, const char *data, size_t len)
{
    (void)data;
    (void)len;
    struct writer_try *t = ctx;
    if (t->done)
        return 0;
    t->done = true;
    t->rc = promc_gauge_vec_remove_partial(t->v, &(promc_label){"job", "a"}, 1, &t->removed);
    return 0;
}

static void refused_from_a_writer_of_the_family(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_gauge *g[6];
    struct writer_try t = {jobs(reg, g), PROMC_OK, 5, false};
    /* Enough children that the writer runs while the family is written. */
    for (int i = 0; i < 2000; i++) {
        char instance[16];
        snprintf(instance, sizeof instance, "i%d", i);
        promc_gauge_set(promc_gauge_vec_labels(t.v, "big", instance, "x"), 1);
    }
    assert_int_equal(promc_encode(reg, PROMC_FORMAT_TEXT, remove_from_writer, &t), PROMC_OK);
    assert_int_equal(t.rc, PROMC_ESTATE);
    assert_int_equal(t.removed, 0);
    assert_true(t.done);
    assert_int_equal(promc_metric_children(promc_gauge_vec_metric(t.v)), 2006);
    promc_gauge_vec_free(t.v);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ */
/* Concurrency                                                         */
/* ------------------------------------------------------------------ */

#define NWORKERS 4

static atomic_bool stop;

struct worker {
    promc_counter_vec *family, *doomed; /* doomed: the view of job "gone" */
    const char *instance;
    uint64_t kept_incs; /* increments of job "kept" children, never removed */
    uint64_t lookups;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    static const char *const paths[] = {"/a", "/b", "/c"};
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        const char *path = paths[w->lookups % 3];
        promc_counter *c = promc_counter_vec_labels(w->doomed, w->instance, path);
        assert_non_null(c);
        promc_counter_inc(c);
        promc_counter *k = promc_counter_vec_labels(w->family, "kept", w->instance, path);
        assert_non_null(k);
        promc_counter_inc(k);
        w->kept_incs++;
        w->lookups++;
    }
    return NULL;
}

static void lookups_race_partial_removal(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *v =
        promc_counter_vec_new(reg, "hits", "Hits.", PROMC_LABELS("job", "instance", "path"), NULL);
    promc_counter_vec *gone = promc_counter_vec_curry(v, &(promc_label){"job", "gone"}, 1);
    static const char *const instances[NWORKERS] = {"i0", "i1", "i2", "i3"};
    struct worker w[NWORKERS];
    pthread_t t[NWORKERS];
    atomic_store(&stop, false);
    for (int i = 0; i < NWORKERS; i++) {
        w[i] = (struct worker){v, gone, instances[i], 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    size_t total_removed = 0, rounds = 0;
    do {
        size_t removed = 0;
        assert_int_equal(promc_counter_vec_clear(gone), PROMC_OK);
        assert_int_equal(
            promc_counter_vec_remove_partial(v, &(promc_label){"job", "gone"}, 1, &removed),
            PROMC_OK);
        total_removed += removed;
        char *s = test_render(reg, PROMC_FORMAT_TEXT);
        promc_free(s);
        rounds++;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 <
             0.4);
    atomic_store(&stop, true);
    uint64_t kept = 0;
    for (int i = 0; i < NWORKERS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        kept += w[i].kept_incs;
    }
    (void)total_removed;
    assert_true(rounds > 0);
    /* The children never matched were never touched: every increment counts. */
    double sum = 0;
    for (int i = 0; i < NWORKERS; i++)
        for (int p = 0; p < 3; p++) {
            static const char *const paths[] = {"/a", "/b", "/c"};
            sum += promc_counter_get(promc_counter_vec_labels(v, "kept", instances[i], paths[p]));
        }
    assert_true(sum == (double)kept);
    /* Only job "kept" is left after a last removal, and gone's children come back on use. */
    assert_int_equal(promc_counter_vec_remove_partial(gone, &(promc_label){"path", "/a"}, 1, NULL),
                     PROMC_OK);
    assert_int_equal(promc_counter_vec_clear(gone), PROMC_OK);
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(v)), NWORKERS * 3);
    promc_counter_vec_free(gone);
    promc_counter_vec_free(v);
    promc_registry_free(reg);
}

int main(void)
{
    test_pin_clock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(removes_every_child_with_the_values),
        cmocka_unit_test(values_match_exactly),
        cmocka_unit_test(mistakes_remove_nothing),
        cmocka_unit_test(a_view_adds_its_values),
        cmocka_unit_test(every_vec_type_removes),
        cmocka_unit_test(refused_from_a_writer_of_the_family),
        cmocka_unit_test(lookups_race_partial_removal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
