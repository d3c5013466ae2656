/*
 * Stripes (stripe_owner.c): a thread's stripe goes back when it exits, so
 * threads that come later still own one; resets are not lost beside owners
 * updating their stripes with plain stores; striped histograms stay exact
 * and every scrape of them a consistent snapshot, with more threads than
 * stripes, while scrapes and resets run. Run under ThreadSanitizer too.
 */
#include <pthread.h>
#include <sched.h>

#include "helpers.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stripes_go_back_when_threads_exit),
        cmocka_unit_test(test_counter_reset_beside_an_owner_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
