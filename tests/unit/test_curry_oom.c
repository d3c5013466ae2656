/*
 * Out of memory in curried views and partial-match removal is an error,
 * never a crash or a leak: a counting allocator fails the Nth allocation of
 * a scenario (currying, lookups through views, wide families whose lookups
 * through a view allocate, partial removal), for N = 1, 2, ... until a run
 * sees no failure. The failing call must report PROMC_ENOMEM, the same call
 * retried must succeed, the exposition must equal a clean run's, and every
 * block must be freed at the end.
 */
#include "helpers.h"

#include "failalloc.h"

/* Runs call; if it fails, it must be the injected failure, and the call
 * retried without one must succeed. */
#define TRY(ok, call)                                                                              \
    do {                                                                                           \
        long before_ = alloc_seen;                                                                 \
        if (!(ok = (call))) {                                                                      \
            if (promc_last_error_code() != PROMC_ENOMEM || !alloc_injected ||                      \
                alloc_fail_at <= before_)                                                          \
                fail_msg("%s failed at N=%ld without the injected failure: %s", #call,             \
                         alloc_fail_at, promc_last_error());                                       \
            long fail_at_ = alloc_fail_at;                                                         \
            disarm();                                                                              \
            ok = (call);                                                                           \
            assert_true(ok);                                                                       \
            alloc_fail_at = fail_at_;                                                              \
        }                                                                                          \
    } while (0)

#define NWIDE 20

static char *scenario(long n)
{
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *v = promc_counter_vec_new(reg, "jobs_total", "Jobs.",
                                                 PROMC_LABELS("job", "instance", "path"), NULL);
    const char *names[NWIDE + 1];
    char buf[NWIDE][16];
    for (int i = 0; i < NWIDE; i++) {
        snprintf(buf[i], sizeof buf[i], "l%d", i);
        names[i] = buf[i];
    }
    names[NWIDE] = NULL;
    promc_gauge_vec *wide = promc_gauge_vec_new(reg, "wide", "Wide.", names, NULL);
    assert_non_null(reg);
    assert_non_null(v);
    assert_non_null(wide);

    arm(n);
    bool ok;
    promc_counter_vec *a = NULL, *a1 = NULL;
    promc_gauge_vec *w = NULL;
    promc_counter *c = NULL;
    promc_gauge *g = NULL;
    TRY(ok, (a = promc_counter_vec_curry(v, &(promc_label){"job", "a"}, 1)) != NULL);
    TRY(ok, (c = promc_counter_vec_labels(a, "i1", "/x")) != NULL);
    promc_counter_inc(c);
    TRY(ok, (c = promc_counter_vec_labels(a, "i2", "/x")) != NULL);
    promc_counter_add(c, 2);
    TRY(ok, (a1 = promc_counter_vec_curry(a, &(promc_label){"instance", "i3"}, 1)) != NULL);
    TRY(ok, (c = promc_counter_vec_labels(a1, "/y")) != NULL);
    promc_counter_add(c, 3);
    TRY(ok, (w = promc_gauge_vec_curry(wide, &(promc_label){"l5", "five"}, 1)) != NULL);
    const char *values[NWIDE - 1];
    for (int i = 0; i < NWIDE - 1; i++)
        values[i] = "v";
    TRY(ok, (g = promc_gauge_vec_labels_n(w, values, NWIDE - 1)) != NULL);
    promc_gauge_set(g, 4);
    TRY(ok, (g = promc_gauge_vec_labels_n(w, values, NWIDE - 1)) != NULL); /* allocates again */
    size_t removed = 0;
    TRY(ok, promc_counter_vec_remove_partial(v, &(promc_label){"instance", "i2"}, 1, &removed) ==
                PROMC_OK);
    assert_int_equal(removed, 1);
    TRY(ok, promc_counter_vec_remove_partial(a, &(promc_label){"path", "/nothing"}, 1, NULL) ==
                PROMC_OK);
    TRY(ok, promc_gauge_vec_remove_n(w, values, NWIDE - 1) == PROMC_OK);
    TRY(ok, promc_counter_vec_clear(a1) == PROMC_OK);
    disarm();

    char *text = test_render(reg, PROMC_FORMAT_TEXT);
    promc_counter_vec_free(a1);
    promc_counter_vec_free(a);
    promc_gauge_vec_free(w);
    promc_counter_vec_free(v);
    promc_gauge_vec_free(wide);
    promc_registry_free(reg);
    return text;
}

static void out_of_memory_is_an_error_not_a_leak(void **state)
{
    (void)state;
    /* A clean run first: it also makes what lives as long as the thread. */
    char *want = scenario(0);
    char *copy = strdup(want);
    promc_free(want);
    long live = alloc_live;
    long n = 1;
    for (;; n++) {
        char *got = scenario(n);
        bool injected = alloc_injected;
        if (strcmp(copy, got) != 0)
            fail_msg("N=%ld: the exposition differs from a clean run's:\n%s\n---\n%s", n, copy,
                     got);
        promc_free(got);
        if (alloc_live != live)
            fail_msg("N=%ld: %ld blocks leaked", n, alloc_live - live);
        if (!injected)
            break;
    }
    assert_true(n > 10);
    free(copy);
}

int main(void)
{
    if (failalloc_install() != PROMC_OK)
        return 1;
    test_pin_clock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(out_of_memory_is_an_error_not_a_leak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
