/*
 * Stripes (stripe_owner.c): a thread's stripe goes back when it exits, so
 * threads that come later still own one; resets are not lost beside owners
 * updating their stripes with plain stores; striped histograms stay exact
 * and every scrape of them a consistent snapshot, with more threads than
 * stripes, while scrapes and resets run. Run under ThreadSanitizer too.
 */
#include <math.h>
#include <pthread.h>
#include <sched.h>

#include "helpers.h"
#include "hist_stripes.h"
#include "stripe_owner.h"

/* ===================================================================== */
/* Stripe numbers are reused                                              */
/* ===================================================================== */

#define SHORT_LIVED 100
#define SHORT_INCS  1000

struct inc_arg {
    promc_counter *c;
    long n;
    pthread_barrier_t *together; /* NULL, or waited on after counting */
    unsigned stripe;             /* the stripe the thread owned after counting */
};

static void *inc_thread(void *p)
{
    struct inc_arg *a = p;
    for (long i = 0; i < a->n; i++)
        promc_counter_inc(a->c);
    a->stripe = promc__stripe_mine;
    if (a->together) /* both alive: their stripes differ */
        pthread_barrier_wait(a->together);
    return NULL;
}

static void test_stripes_go_back_when_threads_exit(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_counter *c = promc_counter_new(r, "x_total", "X.", NULL);
    assert_non_null(c);
    unsigned before = promc__stripes_free();
    /* B after short-lived threads: 100 of them, 4 at a time. */
    for (int t = 0; t < SHORT_LIVED; t += 4) {
        pthread_t th[4];
        struct inc_arg a[4];
        for (int k = 0; k < 4; k++) {
            a[k] = (struct inc_arg){c, SHORT_INCS, NULL, 0};
            assert_int_equal(pthread_create(&th[k], NULL, inc_thread, &a[k]), 0);
        }
        for (int k = 0; k < 4; k++) {
            assert_int_equal(pthread_join(th[k], NULL), 0);
            assert_int_not_equal(a[k].stripe, 0);
        }
    }
    assert_int_equal(promc__stripes_free(), before);
    pthread_t th[2];
    struct inc_arg a[2];
    pthread_barrier_t together;
    pthread_barrier_init(&together, NULL, 2);
    for (int k = 0; k < 2; k++) {
        a[k] = (struct inc_arg){c, 100000, &together, 0};
        assert_int_equal(pthread_create(&th[k], NULL, inc_thread, &a[k]), 0);
    }
    for (int k = 0; k < 2; k++)
        assert_int_equal(pthread_join(th[k], NULL), 0);
    assert_int_not_equal(a[0].stripe, 0);
    assert_int_not_equal(a[1].stripe, 0);
    assert_int_not_equal(a[0].stripe, a[1].stripe);
    pthread_barrier_destroy(&together);
    assert_true(promc_counter_get(c) == SHORT_LIVED * SHORT_INCS + 200000.0);
    promc_counter_free(c);
    promc_registry_free(r);
}

/* ===================================================================== */
/* A reset beside an owner is not lost                                    */
/* ===================================================================== */

struct counting {
    promc_counter *c;
    atomic_ulong done; /* increments completed, published after each */
    atomic_bool stop;
};

static void *count_until_stopped(void *p)
{
    struct counting *k = p;
    unsigned long n = 0;
    while (!atomic_load_explicit(&k->stop, memory_order_relaxed)) {
        promc_counter_inc(k->c);
        atomic_store_explicit(&k->done, ++n, memory_order_release);
    }
    return NULL;
}

static void *contend(void *p)
{
    for (int i = 0; i < 200000; i++)
        promc_counter_inc(p);
    return NULL;
}

/* A removed child looked up again is reset while a thread that kept its
 * handle increments it on its own stripe: the reset must hold, that is the
 * value right after it counts no more than the increments made since. */
static void test_counter_reset_beside_an_owner_holds(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_counter_vec *v = promc_counter_vec_new(r, "r_total", "R.", PROMC_LABELS("k"), NULL);
    promc_counter *c = promc_counter_vec_labels(v, "a");
    /* Two threads colliding spread the child over its stripes. */
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, contend, c), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    struct counting k = {.c = c};
    pthread_t owner;
    assert_int_equal(pthread_create(&owner, NULL, count_until_stopped, &k), 0);
    while (atomic_load(&k.done) < 1000)
        sched_yield();
    int lost = 0;
    for (int round = 0; round < 200000 && !lost; round++) {
        unsigned long before = atomic_load_explicit(&k.done, memory_order_acquire);
        assert_int_equal(promc_counter_vec_remove(v, "a"), PROMC_OK);
        assert_ptr_equal(promc_counter_vec_labels(v, "a"), c); /* reset here */
        double got = promc_counter_get(c);
        unsigned long after = atomic_load_explicit(&k.done, memory_order_acquire);
        /* +1: an increment made but not yet published */
        if (got > (double)(after - before) + 1) {
            print_message("round %d: %.0f after a reset, %lu increments since\n", round, got,
                          after - before);
            lost = 1;
        }
    }
    atomic_store(&k.stop, true);
    assert_int_equal(pthread_join(owner, NULL), 0);
    assert_false(lost);
    promc_counter_vec_free(v);
    promc_registry_free(r);
}

/* A labelled child keeps its fractional part in its own word until it
 * spreads, then in its stripes: the part made before carries over, and
 * fractional adds racing with the spreading are neither lost nor counted
 * twice. Two threads colliding spread the child; each adds halves between
 * its increments, so some land while the other thread spreads it. */
#define FRAC_INCS 200000

static void *contend_with_halves(void *p)
{
    for (int i = 0; i < FRAC_INCS; i++) {
        promc_counter_inc(p);
        if (i % 100 == 0)
            promc_counter_add(p, 0.5);
    }
    return NULL;
}

static void test_counter_fraction_carries_over_when_it_spreads(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_counter_vec *v = promc_counter_vec_new(r, "f_total", "F.", PROMC_LABELS("k"), NULL);
    /* One thread, no stripes: a reset zeroes the fraction in the child. */
    promc_counter *q = promc_counter_vec_labels(v, "quiet");
    assert_int_equal(promc_counter_add(q, 2.5), PROMC_OK);
    assert_int_equal(promc_counter_vec_remove(v, "quiet"), PROMC_OK);
    assert_ptr_equal(promc_counter_vec_labels(v, "quiet"), q);
    assert_true(promc_counter_get(q) == 0);
    assert_int_equal(promc_counter_add(q, 0.25), PROMC_OK);
    assert_true(promc_counter_get(q) == 0.25);
    for (int round = 0; round < 20; round++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", round);
        promc_counter *c = promc_counter_vec_labels(v, key);
        assert_non_null(c);
        assert_int_equal(promc_counter_add(c, 0.25), PROMC_OK);
        pthread_t th[2];
        for (int i = 0; i < 2; i++)
            assert_int_equal(pthread_create(&th[i], NULL, contend_with_halves, c), 0);
        for (int i = 0; i < 2; i++)
            assert_int_equal(pthread_join(th[i], NULL), 0);
        /* Every term a multiple of 1/4 far below 2^52: the sum is exact. */
        double want = 2.0 * FRAC_INCS + 0.25 + 2 * (FRAC_INCS / 100) * 0.5;
        assert_true(promc_counter_get(c) == want);
        const promc_label l = {"k", key};
        assert_true(test_value(r, "f_total", &l, 1) == want);
        /* Removed and looked up again: zero, fraction included, and the
         * fraction counts again from there. */
        assert_int_equal(promc_counter_vec_remove(v, key), PROMC_OK);
        assert_ptr_equal(promc_counter_vec_labels(v, key), c);
        assert_true(promc_counter_get(c) == 0);
        assert_int_equal(promc_counter_add(c, 1.5), PROMC_OK);
        assert_true(promc_counter_get(c) == 1.5);
    }
    promc_counter_vec_free(v);
    promc_registry_free(r);
}

/* ===================================================================== */
/* Striped histograms                                                     */
/* ===================================================================== */

/* Buckets 1..10 and +Inf, observed with the integers 1..11: bucket k holds
 * the value k + 1 only, so a consistent snapshot's sum follows from its
 * buckets, and every partial sum is exact. */
#define HB         10
#define THREADS    12 /* more than the stripes: some take the shared path */
#define PER_THREAD 60000

static const double hbounds[HB] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

struct snap {
    uint64_t cum[HB + 1];
    uint64_t count;
    double sum;
    int lines; /* HB + 3 when the series was there */
};

/* Parses the one histogram series "h" of a text exposition. */
static void parse_snap(const char *text, struct snap *sn)
{
    memset(sn, 0, sizeof *sn);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        const char *end = strchr(p, '\n');
        const char *sp = p;
        while (sp < end && *sp != ' ')
            sp++;
        if (sp >= end)
            continue;
        if (strncmp(p, "h_bucket", 8) == 0) {
            const char *le = strstr(p, "le=\"");
            if (!le || le > end)
                continue;
            le += 4;
            int k = strncmp(le, "+Inf", 4) == 0 ? HB : atoi(le) - 1;
            sn->cum[k] = strtoull(sp + 1, NULL, 10);
            sn->lines++;
        } else if (strncmp(p, "h_sum", 5) == 0) {
            sn->sum = strtod(sp + 1, NULL);
            sn->lines++;
        } else if (strncmp(p, "h_count", 7) == 0) {
            sn->count = strtoull(sp + 1, NULL, 10);
            sn->lines++;
        }
    }
}

/* count == +Inf, cumulative buckets never decrease, the sum is that of the
 * observations the buckets hold. */
static bool consistent(const struct snap *sn)
{
    if (sn->count != sn->cum[HB])
        return false;
    double sum = 0;
    uint64_t prev = 0;
    for (int k = 0; k <= HB; k++) {
        if (sn->cum[k] < prev)
            return false;
        sum += (double)(k + 1) * (double)(sn->cum[k] - prev);
        prev = sn->cum[k];
    }
    return sum == sn->sum;
}

struct hist_run {
    promc_registry *reg;
    promc_histogram *h;
    atomic_bool stop;
    atomic_long scrapes;
    atomic_long bad;
    atomic_ulong done; /* observations completed, all threads */
};

struct observer {
    struct hist_run *run;
    long n; /* 0: until stopped */
    pthread_t th;
};

static void *observe_thread(void *p)
{
    struct observer *o = p;
    for (long i = 0; o->n ? i < o->n : !atomic_load_explicit(&o->run->stop, memory_order_relaxed);
         i++) {
        promc_histogram_observe(o->run->h, (double)(1 + i % (HB + 1)));
        atomic_fetch_add_explicit(&o->run->done, 1, memory_order_release);
    }
    return NULL;
}

static void *scrape_thread(void *p)
{
    struct hist_run *run = p;
    while (!atomic_load(&run->stop)) {
        char *text = test_render(run->reg, PROMC_FORMAT_TEXT);
        struct snap sn;
        parse_snap(text, &sn);
        if (sn.lines == HB + 3 && !consistent(&sn)) {
            if (atomic_fetch_add(&run->bad, 1) == 0)
                print_message("inconsistent scrape:\n%s", text);
        }
        promc_free(text);
        atomic_fetch_add(&run->scrapes, 1);
    }
    return NULL;
}

/* The exposition of h, parsed; fails the test when it is inconsistent. */
static struct snap snap_of(promc_registry *reg)
{
    char *text = test_render(reg, PROMC_FORMAT_TEXT);
    struct snap sn;
    parse_snap(text, &sn);
    promc_free(text);
    assert_int_equal(sn.lines, HB + 3);
    assert_true(consistent(&sn));
    return sn;
}

/* After threads * PER_THREAD observations of 1..11 in turn from each. */
static void assert_exact(const struct snap *sn, int threads, long per_thread)
{
    uint64_t prev = 0;
    for (int k = 0; k <= HB; k++) {
        uint64_t want = (uint64_t)threads *
                        (uint64_t)(per_thread / (HB + 1) + (k < per_thread % (HB + 1) ? 1 : 0));
        assert_int_equal(sn->cum[k] - prev, want);
        prev = sn->cum[k];
    }
    assert_int_equal(sn->count, (uint64_t)threads * (uint64_t)per_thread);
}

static void start_observers(struct observer *o, int n, struct hist_run *run, long per_thread)
{
    for (int i = 0; i < n; i++) {
        o[i] = (struct observer){.run = run, .n = per_thread};
        assert_int_equal(pthread_create(&o[i].th, NULL, observe_thread, &o[i]), 0);
    }
}

static void join_observers(struct observer *o, int n)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(pthread_join(o[i].th, NULL), 0);
}

static void test_striped_histogram_is_exact_and_scrapes_consistent(void **state)
{
    (void)state;
    struct hist_run run = {.reg = promc_registry_new()};
    const promc_histogram_opts opts = {.buckets = hbounds, .nbuckets = HB};
    run.h = promc_histogram_new(run.reg, "h", "H.", &opts);
    assert_non_null(run.h);
    pthread_t scraper;
    assert_int_equal(pthread_create(&scraper, NULL, scrape_thread, &run), 0);
    struct observer o[THREADS];
    start_observers(o, THREADS, &run, PER_THREAD);
    join_observers(o, THREADS);
    /* Threads that come later reuse the stripes of those that exited. */
    start_observers(o, THREADS, &run, PER_THREAD);
    join_observers(o, THREADS);
    while (atomic_load(&run.scrapes) < 3)
        sched_yield();
    atomic_store(&run.stop, true);
    assert_int_equal(pthread_join(scraper, NULL), 0);
    print_message("%ld scrapes beside the observers\n", atomic_load(&run.scrapes));
    assert_int_equal(atomic_load(&run.bad), 0);
    struct snap sn = snap_of(run.reg);
    assert_exact(&sn, 2 * THREADS, PER_THREAD);
    promc_histogram_free(run.h);
    promc_registry_free(run.reg);
}

/* Resets (a removed child looked up again) while owners observe and scrapes
 * run: every scrape consistent, each reset holds (no more observations
 * right after it than were made since), and once the observers are gone a
 * reset leaves zero and later observations count exactly. */
static void test_striped_histogram_resets_beside_owners(void **state)
{
    (void)state;
    struct hist_run run = {.reg = promc_registry_new()};
    const promc_histogram_opts opts = {.buckets = hbounds, .nbuckets = HB};
    promc_histogram_vec *v = promc_histogram_vec_new(run.reg, "h", "H.", PROMC_LABELS("k"), &opts);
    run.h = promc_histogram_vec_labels(v, "a");
    assert_non_null(run.h);
    pthread_t scraper;
    assert_int_equal(pthread_create(&scraper, NULL, scrape_thread, &run), 0);
    struct observer o[THREADS];
    start_observers(o, THREADS, &run, 0);
    while (atomic_load(&run.done) < 10000)
        sched_yield();
    int lost = 0;
    for (int round = 0; round < 500 && !lost; round++) {
        unsigned long before = atomic_load_explicit(&run.done, memory_order_acquire);
        assert_int_equal(promc_histogram_vec_remove(v, "a"), PROMC_OK);
        assert_ptr_equal(promc_histogram_vec_labels(v, "a"), run.h); /* reset here */
        struct snap sn = snap_of(run.reg);
        unsigned long after = atomic_load_explicit(&run.done, memory_order_acquire);
        /* + THREADS: observations made but not yet published */
        if (sn.count > after - before + THREADS) {
            print_message("round %d: %lu after a reset, %lu observations since\n", round,
                          (unsigned long)sn.count, after - before);
            lost = 1;
        }
    }
    atomic_store(&run.stop, true);
    join_observers(o, THREADS);
    assert_int_equal(pthread_join(scraper, NULL), 0);
    assert_false(lost);
    assert_int_equal(atomic_load(&run.bad), 0);
    print_message("%ld scrapes beside the observers and resets\n", atomic_load(&run.scrapes));
    assert_int_equal(promc_histogram_vec_remove(v, "a"), PROMC_OK);
    assert_ptr_equal(promc_histogram_vec_labels(v, "a"), run.h);
    struct snap sn = snap_of(run.reg);
    assert_int_equal(sn.count, 0);
    assert_true(sn.sum == 0);
    atomic_store(&run.stop, false);
    start_observers(o, THREADS, &run, PER_THREAD);
    join_observers(o, THREADS);
    sn = snap_of(run.reg);
    assert_exact(&sn, THREADS, PER_THREAD);
    promc_histogram_vec_free(v);
    promc_registry_free(run.reg);
}

/* A reset leaves the sum of the observations since, exactly: not the
 * difference of two larger sums, and not NaN after a NaN before it. */
static void test_sum_after_a_reset_is_exact(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_histogram_vec *v = promc_histogram_vec_new(r, "h", "H.", PROMC_LABELS("k"), NULL);
    promc_histogram *h = promc_histogram_vec_labels(v, "a");
    promc_label a[] = {{"k", "a"}};
    promc_histogram_observe(h, 0.2);
    promc_histogram_observe(h, 0.3);
    promc_histogram_observe(h, 0.4);
    assert_int_equal(promc_histogram_vec_remove(v, "a"), PROMC_OK);
    assert_ptr_equal(promc_histogram_vec_labels(v, "a"), h);
    assert_true(test_value(r, "h_count", a, 1) == 0);
    assert_true(test_value(r, "h_sum", a, 1) == 0);
    promc_histogram_observe(h, 0.5);
    assert_true(test_value(r, "h_sum", a, 1) == 0.5);
    promc_histogram_observe(h, NAN);
    assert_true(isnan(test_value(r, "h_sum", a, 1)));
    assert_int_equal(promc_histogram_vec_remove(v, "a"), PROMC_OK);
    assert_ptr_equal(promc_histogram_vec_labels(v, "a"), h);
    assert_true(test_value(r, "h_sum", a, 1) == 0);
    promc_histogram_observe(h, 0.7);
    assert_true(test_value(r, "h_sum", a, 1) == 0.7);
    assert_true(test_value(r, "h_count", a, 1) == 1);
    promc_histogram_vec_free(v);
    promc_registry_free(r);
}

/* ===================================================================== */
/* Summaries with objectives use the same stripes                         */
/* ===================================================================== */

#define SUM_PER_THREAD 700 /* more than one 500-value buffer */

static void *observe_summary(void *p)
{
    promc_summary *s = p;
    for (int i = 1; i <= SUM_PER_THREAD; i++)
        promc_summary_observe(s, (double)i);
    return promc__stripe_mine ? p : NULL; /* it owned a stripe */
}

static void test_summary_stripes_go_back_and_count_exactly(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    const promc_objective obj[] = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};
    promc_summary_opts o = {.objectives = obj, .nobjectives = 3};
    promc_summary *s = promc_summary_new(r, "s", "S.", &o);
    assert_non_null(s);
    unsigned before = promc__stripes_free();
    for (int t = 0; t < SHORT_LIVED; t += 4) {
        pthread_t th[4];
        for (int k = 0; k < 4; k++)
            assert_int_equal(pthread_create(&th[k], NULL, observe_summary, s), 0);
        for (int k = 0; k < 4; k++) {
            void *owned = NULL;
            assert_int_equal(pthread_join(th[k], &owned), 0);
            assert_non_null(owned); /* every short-lived thread found a stripe */
        }
    }
    assert_int_equal(promc__stripes_free(), before);
    double n = SHORT_LIVED * (double)SUM_PER_THREAD;
    assert_true(test_value(r, "s_count", NULL, 0) == n);
    assert_true(test_value(r, "s_sum", NULL, 0) ==
                SHORT_LIVED * (SUM_PER_THREAD * (SUM_PER_THREAD + 1.0) / 2));
    /* Every thread observed 1..700: the median is 350 within 5 % of ranks. */
    promc_label q = {"quantile", "0.5"};
    double median = test_value(r, "s", &q, 1);
    assert_true(median >= 350 - 0.05 * SUM_PER_THREAD && median <= 350 + 0.05 * SUM_PER_THREAD);
    promc_summary_free(s);
    promc_registry_free(r);
}

/* A reset of a summary series whose stripe summed to an infinity: the sum
 * since the reset starts again from 0, whatever the stripe held (Inf - Inf
 * would be NaN for good), and two resets in a row leave exactly 0. */
static void test_summary_sum_after_reset_of_an_infinity(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    const promc_objective obj[] = {{0.5, 0.05}};
    promc_summary_opts o = {.objectives = obj, .nobjectives = 1};
    promc_summary_vec *v = promc_summary_vec_new(r, "s", "S.", PROMC_LABELS("k"), &o);
    assert_non_null(v);
    promc_summary *s = promc_summary_vec_labels(v, "a");
    promc_summary_observe(s, INFINITY);
    promc_summary_observe(s, 0.1);
    promc_label a[] = {{"k", "a"}};
    assert_true(isinf(test_value(r, "s_sum", a, 1)));
    /* Removed and looked up again: the same child, reset. */
    assert_int_equal(promc_summary_vec_remove(v, "a"), PROMC_OK);
    s = promc_summary_vec_labels(v, "a");
    assert_true(test_value(r, "s_sum", a, 1) == 0);
    assert_true(test_value(r, "s_count", a, 1) == 0);
    promc_summary_observe(s, 2);
    promc_summary_observe(s, 3);
    assert_true(test_value(r, "s_sum", a, 1) == 5);
    assert_true(test_value(r, "s_count", a, 1) == 2);
    /* Two resets before the owner observes again. */
    promc_summary_observe(s, 0.1);
    assert_int_equal(promc_summary_vec_remove(v, "a"), PROMC_OK);
    s = promc_summary_vec_labels(v, "a");
    assert_int_equal(promc_summary_vec_remove(v, "a"), PROMC_OK);
    s = promc_summary_vec_labels(v, "a");
    assert_true(test_value(r, "s_sum", a, 1) == 0);
    promc_summary_observe(s, 4);
    assert_true(test_value(r, "s_sum", a, 1) == 4);
    assert_true(test_value(r, "s_count", a, 1) == 1);
    promc_summary_vec_free(v);
    promc_registry_free(r);
}

int main(void)
{
    /* Blocks from a series' first observation: the tests below are about
     * them, not about the shared counts a new series starts on. */
    promc__hstripe_after = 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stripes_go_back_when_threads_exit),
        cmocka_unit_test(test_counter_reset_beside_an_owner_holds),
        cmocka_unit_test(test_counter_fraction_carries_over_when_it_spreads),
        cmocka_unit_test(test_striped_histogram_is_exact_and_scrapes_consistent),
        cmocka_unit_test(test_striped_histogram_resets_beside_owners),
        cmocka_unit_test(test_sum_after_a_reset_is_exact),
        cmocka_unit_test(test_summary_stripes_go_back_and_count_exactly),
        cmocka_unit_test(test_summary_sum_after_reset_of_an_infinity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
