/*
 * Lookups and removals read a family's hash table without a lock, while
 * other threads create children (the table grows and is replaced), remove
 * and bring them back, clear the family and reclaim removed children
 * (freed after a grace period). These stress tests check, in the normal
 * suite and under ThreadSanitizer and AddressSanitizer, that every handle
 * a lookup returns is the child of the values asked for, that every remove
 * of a live child succeeds exactly once, that counts and scrapes agree,
 * and that nothing is used after it was freed (the sanitizers report such
 * a use; without them, a probe through a freed child follows whatever the
 * allocator wrote over it). Every phase runs for a fixed time.
 */
#include "helpers.h"

#include "child_table.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PHASE_SECONDS 0.3

static atomic_bool stop;
static atomic_int failures; /* threads count; the test thread asserts */
static char first_failure[200];
static pthread_mutex_t failure_lock = PTHREAD_MUTEX_INITIALIZER;

static void check(bool ok, const char *what, const char *value)
{
    if (ok)
        return;
    if (atomic_fetch_add(&failures, 1) == 0) {
        pthread_mutex_lock(&failure_lock);
        snprintf(first_failure, sizeof first_failure, "%s (%s)", what, value ? value : "");
        pthread_mutex_unlock(&failure_lock);
    }
}

static void run_for(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
    atomic_store(&stop, true);
}

static bool stopping(void)
{
    return atomic_load_explicit(&stop, memory_order_relaxed);
}

static void begin_phase(void)
{
    atomic_store(&stop, false);
    atomic_store(&failures, 0);
    first_failure[0] = '\0';
}

static void end_phase(void)
{
    if (atomic_load(&failures))
        fail_msg("%d failed checks, first: %s", atomic_load(&failures), first_failure);
}

static void start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    assert_int_equal(pthread_create(t, NULL, fn, arg), 0);
}

static void join(pthread_t t)
{
    assert_int_equal(pthread_join(t, NULL), 0);
}

/* ------------------------------------------------------------------ */
/* Lookups while the table grows                                       */
/* ------------------------------------------------------------------ */

/* A writer creates children one after another (the table doubles again
 * and again and each old one is freed); readers look up children made
 * before and children the writer has just published, formatting the
 * values into one buffer (so the per-thread cache keys them by hash and
 * mostly misses: the probe does the work). Each must be the handle the
 * creator got. */
#define GROW_STEADY 300
#define GROW_MAX    40000

struct grow {
    promc_counter_vec *vec;
    promc_counter *steady[GROW_STEADY];
    promc_counter *made[GROW_MAX];
    atomic_int nmade; /* made[0..nmade) published (release) */
};

static void *grow_writer(void *arg)
{
    struct grow *g = arg;
    char v[32];
    for (int i = 0; i < GROW_MAX && !stopping(); i++) {
        snprintf(v, sizeof v, "new-%d", i);
        g->made[i] = promc_counter_vec_labels(g->vec, v);
        check(g->made[i] != NULL, "create", v);
        atomic_store_explicit(&g->nmade, i + 1, memory_order_release);
    }
    return NULL;
}

static void *grow_reader(void *arg)
{
    struct grow *g = arg;
    char v[32];
    for (unsigned i = 1; !stopping(); i++) {
        unsigned k = (i * 2654435761u) % GROW_STEADY;
        snprintf(v, sizeof v, "steady-%u", k);
        promc_counter *h = promc_counter_vec_labels(g->vec, v);
        check(h == g->steady[k], "steady child", v);
        promc_counter_inc(h);
        int n = atomic_load_explicit(&g->nmade, memory_order_acquire);
        if (n) {
            int j = (int)(i % (unsigned)n);
            snprintf(v, sizeof v, "new-%d", j);
            check(promc_counter_vec_labels(g->vec, v) == g->made[j], "new child", v);
        }
    }
    return NULL;
}

static void grow_phase(void)
{
    begin_phase();
    struct grow *g = calloc(1, sizeof *g);
    assert_non_null(g);
    g->vec = promc_counter_vec_new(PROMC_NO_REGISTRY, "grow", "Grow.", PROMC_LABELS("id"), NULL);
    assert_non_null(g->vec);
    char v[32];
    for (int k = 0; k < GROW_STEADY; k++) {
        snprintf(v, sizeof v, "steady-%d", k);
        g->steady[k] = promc_counter_vec_labels(g->vec, v);
        assert_non_null(g->steady[k]);
    }
    pthread_t t[3];
    start(&t[0], grow_writer, g);
    start(&t[1], grow_reader, g);
    start(&t[2], grow_reader, g);
    run_for(PHASE_SECONDS);
    for (int i = 0; i < 3; i++)
        join(t[i]);
    end_phase();
    int n = atomic_load(&g->nmade);
    assert_true(n > 1000); /* the table grew several times */
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(g->vec)),
                     (size_t)(GROW_STEADY + n));
    promc_counter_vec_free(g->vec);
    free(g);
}

static void test_lookups_find_their_child_while_the_table_grows(void **state)
{
    (void)state;
    grow_phase();
}

/* The same with tables of bare addresses (no hash bits in a slot), what a
 * machine whose addresses pass 48 bits gets. */
static void test_wide_tables_find_their_child_while_they_grow(void **state)
{
    (void)state;
    promc__table_force_wide = true;
    grow_phase();
    promc__table_force_wide = false;
}

/* ------------------------------------------------------------------ */
/* Lookups beside children that are removed and reclaimed            */
/* ------------------------------------------------------------------ */

/* Churners each own values of their own: create, increment, remove, so a
 * handle is only used while its child is live, as reclaim requires. A
 * reclaimer frees the removed children in a loop; their memory goes back
 * to the allocator while readers probe the table that held them (their
 * slots become tombstones among the steady children's).
 * Readers check every steady handle and count their increments. In the
 * clear variant, the family is cleared instead of reclaimed (a reclaim
 * would free steady children whose handles the readers use): lookups
 * bring the steady children back, with the same handles. */
#define CHURN_STEADY 200
#define CHURN_OWN    64

struct churn {
    promc_counter_vec *vec;
    promc_counter *steady[CHURN_STEADY];
    bool clear;               /* one thread also clears the family now and then */
    struct churner *churners; /* the two */
};

struct churner {
    struct churn *c;
    int id;
    _Atomic uint64_t cycles; /* read by child_counter */
};

static void *churner_main(void *arg)
{
    struct churner *ch = arg;
    char v[32];
    for (uint64_t i = 0; !stopping(); i++) {
        snprintf(v, sizeof v, "c%d-%d", ch->id, (int)(i % CHURN_OWN));
        promc_counter *h = promc_counter_vec_labels(ch->c->vec, v);
        check(h != NULL, "churned child", v);
        if (!h)
            continue;
        promc_counter_inc(h);
        int rc = promc_counter_vec_remove(ch->c->vec, v);
        /* A clear may have removed it first, never anyone else. */
        check(rc == PROMC_OK || (ch->c->clear && rc == PROMC_ENOENT), "remove", v);
        ch->cycles++;
    }
    return NULL;
}

static void *reclaimer_main(void *arg)
{
    struct churn *c = arg;
    for (unsigned i = 0; !stopping(); i++) {
        if (!c->clear)
            check(promc_metric_reclaim_removed(promc_counter_vec_metric(c->vec)) == PROMC_OK,
                  "reclaim", NULL);
        else if (i % 16 == 0)
            check(promc_counter_vec_clear(c->vec) == PROMC_OK, "clear", NULL);
    }
    return NULL;
}

struct reader {
    struct churn *c;
    uint64_t incs[CHURN_STEADY];
};

static void *steady_reader(void *arg)
{
    struct reader *r = arg;
    char v[32];
    for (unsigned i = 1; !stopping(); i++) {
        unsigned k = (i * 2654435761u) % CHURN_STEADY;
        snprintf(v, sizeof v, "s-%u", k);
        promc_counter *h = promc_counter_vec_labels(r->c->vec, v);
        check(h == r->c->steady[k], "steady child", v);
        if (r->c->clear) /* it may have been cleared: its count restarts */
            continue;
        promc_counter_inc(h);
        r->incs[k]++;
    }
    return NULL;
}

/* Counts the family's children over and over: a family without a child
 * limit is counted by walking its children, without a lock, while the
 * reclaimer unlinks and frees them. The count is not of one instant
 * (promc.h): it has every child live throughout the walk and only children
 * live at some moment of it. Each churner has at most one child live at a
 * time (a cleared steady child may be away), so a churner adds at most its
 * child live when the walk begins and one for each cycle it begins during
 * the walk (those it finished, and one in progress). */
static uint64_t churned(const struct churn *c)
{
    return atomic_load(&c->churners[0].cycles) + atomic_load(&c->churners[1].cycles);
}

static void *child_counter(void *arg)
{
    struct churn *c = arg;
    promc_metric *m = promc_counter_vec_metric(c->vec);
    char n[64];
    while (!stopping()) {
        uint64_t before = churned(c);
        size_t live = promc_metric_children(m);
        uint64_t during = churned(c) - before;
        snprintf(n, sizeof n, "%zu with %llu cycles during the count", live,
                 (unsigned long long)during);
        check(live <= CHURN_STEADY + 4 + during && (c->clear || live >= CHURN_STEADY), "live count",
              n);
    }
    return NULL;
}

static void churn_phase(bool clear)
{
    begin_phase();
    struct churn *c = calloc(1, sizeof *c);
    struct reader *r = calloc(2, sizeof *r);
    assert_non_null(c);
    assert_non_null(r);
    c->clear = clear;
    c->vec = promc_counter_vec_new(PROMC_NO_REGISTRY, "churn", "Churn.", PROMC_LABELS("id"), NULL);
    assert_non_null(c->vec);
    char v[32];
    for (int k = 0; k < CHURN_STEADY; k++) {
        snprintf(v, sizeof v, "s-%d", k);
        c->steady[k] = promc_counter_vec_labels(c->vec, v);
        assert_non_null(c->steady[k]);
    }
    struct churner ch[2] = {{c, 0, 0}, {c, 1, 0}};
    c->churners = ch;
    r[0].c = r[1].c = c;
    pthread_t t[6];
    start(&t[0], churner_main, &ch[0]);
    start(&t[1], churner_main, &ch[1]);
    start(&t[2], reclaimer_main, c);
    start(&t[3], steady_reader, &r[0]);
    start(&t[4], steady_reader, &r[1]);
    start(&t[5], child_counter, c);
    run_for(PHASE_SECONDS);
    for (int i = 0; i < 6; i++)
        join(t[i]);
    end_phase();
    assert_true(ch[0].cycles > 0 && ch[1].cycles > 0);
    promc_metric *m = promc_counter_vec_metric(c->vec);
    if (!clear) {
        for (int k = 0; k < CHURN_STEADY; k++)
            assert_true(promc_counter_get(c->steady[k]) == (double)(r[0].incs[k] + r[1].incs[k]));
        assert_int_equal(promc_metric_children(m), CHURN_STEADY);
    }
    /* The count agrees with what a scrape shows. */
    assert_int_equal(promc_metric_reclaim_removed(m), PROMC_OK);
    promc_registry *reg = promc_registry_new();
    assert_int_equal(promc_registry_register(reg, m), PROMC_OK);
    char *text = test_render(reg, PROMC_FORMAT_TEXT);
    size_t series = 0;
    for (const char *p = text; (p = strstr(p, "churn_total{")) != NULL; p++)
        series++;
    assert_int_equal(series, promc_metric_children(m));
    promc_free(text);
    promc_registry_free(reg);
    promc_counter_vec_free(c->vec);
    free(r);
    free(c);
}

static void test_lookups_beside_remove_and_reclaim_find_their_child(void **state)
{
    (void)state;
    churn_phase(false);
}

static void test_lookups_beside_clear_and_reclaim_find_their_child(void **state)
{
    (void)state;
    churn_phase(true);
}

static void test_wide_tables_beside_remove_and_reclaim_find_their_child(void **state)
{
    (void)state;
    promc__table_force_wide = true;
    churn_phase(false);
    promc__table_force_wide = false;
}

/* ------------------------------------------------------------------ */
/* Removals racing removals and lookups                                */
/* ------------------------------------------------------------------ */

/* Two threads remove the same children while a third brings them back:
 * each removal of a live child succeeds for exactly one remover, so the
 * successful removals never outnumber the times a child was live, and the
 * live count ends right. While they run, the count may be above the truth
 * by the removals in flight (a removal marks the child, then counts it
 * down), never below it: no wrap below zero. */
#define RACE_VALUES 8

struct race {
    promc_counter_vec *vec;
    atomic_ulong removed, revived;
};

static void *race_remover(void *arg)
{
    struct race *r = arg;
    char v[32];
    for (unsigned i = 0; !stopping(); i++) {
        snprintf(v, sizeof v, "r-%u", i % RACE_VALUES);
        int rc = promc_counter_vec_remove(r->vec, v);
        check(rc == PROMC_OK || rc == PROMC_ENOENT, "remove", v);
        if (rc == PROMC_OK)
            atomic_fetch_add(&r->removed, 1);
    }
    return NULL;
}

static void *race_reviver(void *arg)
{
    struct race *r = arg;
    char v[32];
    for (unsigned i = 0; !stopping(); i++) {
        snprintf(v, sizeof v, "r-%u", i % RACE_VALUES);
        size_t before = promc_metric_children(promc_counter_vec_metric(r->vec));
        check(before <= RACE_VALUES + 2, "live count in range", v);
        check(promc_counter_vec_labels(r->vec, v) != NULL, "revive", v);
        atomic_fetch_add(&r->revived, 1); /* at most: it may have been live */
    }
    return NULL;
}

static void test_each_live_child_is_removed_once(void **state)
{
    (void)state;
    begin_phase();
    struct race r = {
        .vec = promc_counter_vec_new(PROMC_NO_REGISTRY, "race", "Race.", PROMC_LABELS("id"), NULL)};
    assert_non_null(r.vec);
    pthread_t t[3];
    start(&t[0], race_remover, &r);
    start(&t[1], race_remover, &r);
    start(&t[2], race_reviver, &r);
    run_for(PHASE_SECONDS);
    for (int i = 0; i < 3; i++)
        join(t[i]);
    end_phase();
    assert_true(atomic_load(&r.removed) <= atomic_load(&r.revived));
    /* Count the live children one by one: remove each that is there. */
    size_t live = promc_metric_children(promc_counter_vec_metric(r.vec)), found = 0;
    char v[32];
    for (int k = 0; k < RACE_VALUES; k++) {
        snprintf(v, sizeof v, "r-%d", k);
        if (promc_counter_vec_remove(r.vec, v) == PROMC_OK)
            found++;
    }
    assert_int_equal(live, found);
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(r.vec)), 0);
    promc_counter_vec_free(r.vec);
}

/* Threads bring removed children back side by side, without the family's
 * lock, against a child limit: the live count never passes the limit by
 * more than the operations in flight (a removal counts down after marking,
 * a refused revival counts up and back down), and once they stop, the
 * children live are within the limit and as many as the count says. */
#define LIMIT_VALUES 8
#define LIMIT_MAX    3

struct limited {
    promc_counter_vec *vec;
    atomic_ulong refused;
};

static void *limit_reviver(void *arg)
{
    struct limited *l = arg;
    char v[32];
    for (unsigned i = 0; !stopping(); i++) {
        snprintf(v, sizeof v, "l-%u", (i * 5 + (unsigned)(uintptr_t)&v) % LIMIT_VALUES);
        size_t live = promc_metric_children(promc_counter_vec_metric(l->vec));
        check(live <= LIMIT_MAX + 4, "live count within the limit and the calls in flight", v);
        promc_counter *c = promc_counter_vec_labels(l->vec, v);
        if (c)
            promc_counter_inc(c);
        else {
            check(promc_last_error_code() == PROMC_ELIMIT, "refused at the limit", v);
            atomic_fetch_add(&l->refused, 1);
        }
    }
    return NULL;
}

static void *limit_remover(void *arg)
{
    struct limited *l = arg;
    char v[32];
    for (unsigned i = 0; !stopping(); i++) {
        snprintf(v, sizeof v, "l-%u", i % LIMIT_VALUES);
        int rc = promc_counter_vec_remove(l->vec, v);
        check(rc == PROMC_OK || rc == PROMC_ENOENT, "remove", v);
    }
    return NULL;
}

static void test_revivals_side_by_side_keep_the_child_limit(void **state)
{
    (void)state;
    begin_phase();
    promc_metric_opts opts = {.max_children = LIMIT_MAX};
    struct limited l = {.vec = promc_counter_vec_new(PROMC_NO_REGISTRY, "limited", "Limited.",
                                                     PROMC_LABELS("id"), &opts)};
    assert_non_null(l.vec);
    pthread_t t[4];
    for (int i = 0; i < 3; i++)
        start(&t[i], limit_reviver, &l);
    start(&t[3], limit_remover, &l);
    run_for(PHASE_SECONDS);
    for (int i = 0; i < 4; i++)
        join(t[i]);
    end_phase();
    assert_true(atomic_load(&l.refused) > 0);
    assert_int_equal(promc_metric_refused(promc_counter_vec_metric(l.vec)),
                     atomic_load(&l.refused));
    size_t live = promc_metric_children(promc_counter_vec_metric(l.vec)), found = 0;
    assert_true(live <= LIMIT_MAX);
    char v[32];
    for (int k = 0; k < LIMIT_VALUES; k++) {
        snprintf(v, sizeof v, "l-%d", k);
        if (promc_counter_vec_remove(l.vec, v) == PROMC_OK)
            found++;
    }
    assert_int_equal(live, found);
    promc_counter_vec_free(l.vec);
}

/* ------------------------------------------------------------------ */
/* Counting children from inside a writer                              */
/* ------------------------------------------------------------------ */

/* A scrape's writer runs while the scrape holds the family's read lock;
 * another thread then waits for the write lock to add a child. The
 * family's locks prefer writers, so a count that took the read lock again
 * would wait behind that thread, which waits for the scrape: the count
 * must take no lock. */
#define WRITTEN_CHILDREN 2000

struct counting_writer {
    promc_counter_vec *vec;
    pthread_t adder;
    bool started;
    size_t counted;
};

static void *add_child(void *arg)
{
    struct counting_writer *w = arg;
    check(promc_counter_vec_labels(w->vec, "added") != NULL, "added child", NULL);
    return NULL;
}

static int count_in_writer(void *ctx, const char *data, size_t len)
{
    (void)data;
    (void)len;
    struct counting_writer *w = ctx;
    if (w->started)
        return 0;
    w->started = true;
    start(&w->adder, add_child, w);
    struct timespec ts = {0, 50 * 1000 * 1000}; /* long enough for it to wait */
    nanosleep(&ts, NULL);
    w->counted = promc_metric_children(promc_counter_vec_metric(w->vec));
    return 0;
}

static void test_a_writer_counts_children_while_a_new_child_waits(void **state)
{
    (void)state;
    begin_phase();
    promc_registry *reg = promc_registry_new();
    struct counting_writer w = {0};
    w.vec = promc_counter_vec_new(reg, "written", "Written.", PROMC_LABELS("id"), NULL);
    assert_non_null(w.vec);
    char v[32];
    for (int k = 0; k < WRITTEN_CHILDREN; k++) {
        snprintf(v, sizeof v, "w-%d", k);
        assert_non_null(promc_counter_vec_labels(w.vec, v));
    }
    assert_int_equal(promc_encode(reg, PROMC_FORMAT_TEXT, count_in_writer, &w), PROMC_OK);
    assert_true(w.started);
    join(w.adder);
    end_phase();
    /* The new child came after the count, or (no wait at all) before. */
    assert_true(w.counted == WRITTEN_CHILDREN || w.counted == WRITTEN_CHILDREN + 1);
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(w.vec)), WRITTEN_CHILDREN + 1);
    promc_counter_vec_free(w.vec);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ */
/* Families freed and made again                                       */
/* ------------------------------------------------------------------ */

/* Threads make a family, look children up through the same value
 * pointers (the cache keys them by address), free it and start again: a
 * new family often gets the old one's memory, and a lookup must never
 * hand out a child of a freed family from the cache. */
static void *family_cycler(void *arg)
{
    (void)arg;
    static const char *const values[] = {"GET", "POST", "PUT"};
    while (!stopping()) {
        promc_counter_vec *v =
            promc_counter_vec_new(PROMC_NO_REGISTRY, "cyc", "Cycle.", PROMC_LABELS("m"), NULL);
        check(v != NULL, "new family", NULL);
        if (!v)
            continue;
        for (int round = 0; round < 3; round++)
            for (int k = 0; k < 3; k++) {
                promc_counter *h = promc_counter_vec_labels(v, values[k]);
                check(h != NULL && promc_counter_get(h) == round, "fresh child", values[k]);
                promc_counter_inc(h);
            }
        promc_counter_vec_free(v);
    }
    return NULL;
}

static void test_lookups_never_return_a_child_of_a_freed_family(void **state)
{
    (void)state;
    begin_phase();
    pthread_t t[2];
    start(&t[0], family_cycler, NULL);
    start(&t[1], family_cycler, NULL);
    run_for(PHASE_SECONDS);
    join(t[0]);
    join(t[1]);
    end_phase();
}

/* ------------------------------------------------------------------ */
/* fork while lookups run                                              */
/* ------------------------------------------------------------------ */

/* Threads look children up (missing their caches, so they are in read
 * sections most of the time) while the main thread forks: in the child,
 * only the forking thread lives on, and a grace period (table growth,
 * reclaim) must not wait for the sections the other threads had open.
 * The child gives itself 10 seconds (SIGALRM kills it otherwise). */
struct forky {
    promc_counter_vec *vec;
};

static void *fork_reader(void *arg)
{
    struct forky *f = arg;
    char v[32];
    for (unsigned i = 1; !stopping(); i++) {
        snprintf(v, sizeof v, "f-%u", (i * 2654435761u) % 2000);
        check(promc_counter_vec_labels(f->vec, v) != NULL, "lookup", v);
    }
    return NULL;
}

static void test_a_forked_child_does_not_wait_for_lost_threads(void **state)
{
    (void)state;
    begin_phase();
    struct forky f = {
        promc_counter_vec_new(PROMC_NO_REGISTRY, "fork", "Fork.", PROMC_LABELS("id"), NULL)};
    assert_non_null(f.vec);
    char v[32];
    for (int k = 0; k < 2000; k++) {
        snprintf(v, sizeof v, "f-%d", k);
        assert_non_null(promc_counter_vec_labels(f.vec, v));
    }
    pthread_t t[2];
    start(&t[0], fork_reader, &f);
    start(&t[1], fork_reader, &f);
    for (int round = 0; round < 20; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            alarm(10);
            for (int k = 0; k < 5000; k++) { /* the table doubles: grace periods */
                snprintf(v, sizeof v, "child-%d", k);
                if (!promc_counter_vec_labels(f.vec, v))
                    _exit(2);
            }
            if (promc_counter_vec_remove(f.vec, "child-1") != PROMC_OK ||
                promc_metric_reclaim_removed(promc_counter_vec_metric(f.vec)) != PROMC_OK)
                _exit(3);
            _exit(0);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("round %d: child %s %d", round, WIFEXITED(status) ? "exited" : "killed by",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
    atomic_store(&stop, true);
    join(t[0]);
    join(t[1]);
    end_phase();
    promc_counter_vec_free(f.vec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups_find_their_child_while_the_table_grows),
        cmocka_unit_test(test_wide_tables_find_their_child_while_they_grow),
        cmocka_unit_test(test_lookups_beside_remove_and_reclaim_find_their_child),
        cmocka_unit_test(test_lookups_beside_clear_and_reclaim_find_their_child),
        cmocka_unit_test(test_wide_tables_beside_remove_and_reclaim_find_their_child),
        cmocka_unit_test(test_each_live_child_is_removed_once),
        cmocka_unit_test(test_revivals_side_by_side_keep_the_child_limit),
        cmocka_unit_test(test_a_writer_counts_children_while_a_new_child_waits),
        cmocka_unit_test(test_lookups_never_return_a_child_of_a_freed_family),
        cmocka_unit_test(test_a_forked_child_does_not_wait_for_lost_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
