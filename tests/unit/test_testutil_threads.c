/*
 * promc_testutil.h from several threads at once, while the registry they
 * check changes (make tsan runs it under ThreadSanitizer). Apart from
 * test_testutil.c because that one counts allocations, single-threaded.
 */
#include "helpers.h"

#include <pthread.h>

#include "promc_testutil.h"

#include "testutil_fixture.h"

/* The checks from several threads at once, while the registry changes:
 * each sees a consistent exposition (ThreadSanitizer: make tsan). */
struct worker {
    promc_registry *r;
    promc_counter *c;
    int failures;
};

static void *check_loop(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 200; i++) {
        size_t n = 0;
        promc_lint_problem *p = NULL;
        if (promc_registry_compare(w->r, shuffled, PROMC_LABELS("queue_depth"), NULL) != PROMC_OK ||
            promc_registry_count(w->r, NULL, &n) != PROMC_OK || n < 4 ||
            promc_registry_lint(w->r, &p, &n) != PROMC_OK)
            w->failures++;
        promc_free(p);
    }
    return NULL;
}

static void *update_loop(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 20000; i++)
        promc_counter_inc(w->c);
    return NULL;
}

static void checks_run_concurrently(void **state)
{
    (void)state;
    promc_registry *r = fixture();
    struct worker w = {r, promc_counter_new(r, "ticks", "Ticks.", NULL), 0};
    assert_non_null(w.c);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, i ? check_loop : update_loop, &w), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(w.failures, 0);
    double v = 0;
    assert_int_equal(promc_registry_get_sample_value(r, "ticks_total", NULL, 0, &v), PROMC_OK);
    assert_true(v == 20000);
    promc_counter_free(w.c);
    promc_registry_free(r);
}

int main(void)
{
    test_pin_clock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checks_run_concurrently),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    promc_shutdown();
    return failed;
}
