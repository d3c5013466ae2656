/*
 * Pins that the hot path allocates nothing: a counting allocator sees no
 * allocation during a million inc/add/set/observe calls and child lookups
 * that hit, and the values afterwards are exact.
 */
#include "helpers.h"

static atomic_ulong allocations;

static void *count_malloc(size_t n)
{
    atomic_fetch_add(&allocations, 1);
    return malloc(n);
}

static void *count_realloc(void *p, size_t n)
{
    atomic_fetch_add(&allocations, 1);
    return realloc(p, n);
}

#define CALLS             1000000
#define WARM_OBSERVATIONS 300

static void test_hot_path_allocates_nothing(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_counter *c = promc_counter_new(r, "c", "C.", NULL);
    promc_counter_vec *lc =
        promc_counter_vec_new(r, "lc", "LC.", PROMC_LABELS("method", "code"), NULL);
    promc_gauge *g = promc_gauge_new(r, "g", "G.", NULL);
    promc_histogram *h = promc_histogram_new(r, "h", "H.", NULL);
    promc_summary *s = promc_summary_new(r, "s", "S.", NULL);
    promc_summary *q = promc_summary_new(
        r, "q", "Q.",
        &(promc_summary_opts){.objectives = (promc_objective[]){{0.5, 0.05}, {0.99, 0.001}},
                              .nobjectives = 2});
    promc_enum *e = promc_enum_new(r, "e", "E.", PROMC_LABELS("a", "b"), NULL);
    static const char *const methods[] = {"GET", "POST", "PUT"};
    static const char *const codes[] = {"200", "404", "500", "503"};
    /* Warm up: children exist, the quantile stream has grown to its size,
     * this thread's block of the histogram's counts exists (allocated once a
     * series has seen 256 observations). */
    for (int i = 0; i < 12; i++)
        promc_counter_vec_labels(lc, methods[i % 3], codes[i % 4]);
    for (int i = 0; i < WARM_OBSERVATIONS; i++)
        promc_histogram_observe(h, 0);
    for (int i = 0; i < 200000; i++)
        promc_summary_observe(q, i % 1000);
    char *warm = test_render(r, PROMC_FORMAT_TEXT);
    promc_free(warm);

    unsigned long before = atomic_load(&allocations);
    for (int i = 0; i < CALLS; i++) {
        promc_counter_inc(c);
        promc_counter_add(c, 0.5);
        promc_counter_add_int(c, 2);
        promc_counter_inc(promc_counter_vec_labels(lc, methods[i % 3], codes[i % 4]));
        promc_gauge_set(g, i);
        promc_gauge_inc(g);
        promc_histogram_observe(h, (i % 100) / 10.0);
        promc_summary_observe(s, i % 7);
        promc_summary_observe(q, i % 1000);
        promc_enum_set_index(e, (size_t)(i & 1));
    }
    unsigned long during = atomic_load(&allocations) - before;
    print_message("allocations during %d rounds of hot-path calls: %lu\n", CALLS, during);
    assert_int_equal(during, 0);

    assert_true(promc_counter_get(c) == 3.5 * CALLS);
    assert_true(test_value(r, "h_count", NULL, 0) == CALLS + WARM_OBSERVATIONS);
    assert_true(test_value(r, "s_count", NULL, 0) == CALLS);
    assert_true(test_value(r, "q_count", NULL, 0) == CALLS + 200000);
    double lsum = 0;
    for (int i = 0; i < 12; i++) {
        promc_label l[] = {{"method", methods[i % 3]}, {"code", codes[i % 4]}};
        lsum += test_value(r, "lc_total", l, 2);
    }
    assert_true(lsum == CALLS);

    promc_counter_free(c);
    promc_counter_vec_free(lc);
    promc_gauge_free(g);
    promc_histogram_free(h);
    promc_summary_free(s);
    promc_summary_free(q);
    promc_enum_free(e);
    promc_registry_free(r);
}

/* A classic histogram series observed now and then never pays for a block
 * of its own: its first 256 observations go through the shared counts, and
 * only then does an observing thread allocate its block, once. */
static void test_rarely_observed_histogram_allocates_no_block(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_histogram *h = promc_histogram_new(r, "h", "H.", NULL);
    unsigned long before = atomic_load(&allocations);
    for (int i = 0; i < 255; i++)
        promc_histogram_observe(h, i / 100.0);
    assert_int_equal(atomic_load(&allocations) - before, 0);
    for (int i = 0; i < 1000; i++)
        promc_histogram_observe(h, i / 100.0);
    assert_int_equal(atomic_load(&allocations) - before, 1);
    assert_true(test_value(r, "h_count", NULL, 0) == 1255);
    promc_histogram_free(h);
    promc_registry_free(r);
}

int main(void)
{
    promc_set_allocator(count_malloc, count_realloc, free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hot_path_allocates_nothing),
        cmocka_unit_test(test_rarely_observed_histogram_allocates_no_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
