/*
 * Coalesced collection and the scrape deadline: concurrent scrapes share one
 * collection of a custom collector (ten scrapes of a collector taking 1 s
 * make one call and take about 1 s, not 10); no collector ever runs twice at
 * once; a scrape with a deadline answers in time with everything else, the
 * late collector's last result if it is recent enough, and the
 * promc_collector_* families; the collector learns its deadline through the
 * emitter; a collection that outlives its scrape, and a collector freed
 * while it runs late, touch no freed memory; collectors that wait for each
 * other get PROMC_ESTATE instead of a deadlock; the HTTP server takes its
 * deadline from X-Prometheus-Scrape-Timeout-Seconds within its maximum.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "promc_http.h"

#include "helpers.h"
#include "raw_http.h"

/* ------------------------------------------------------------------ */
/* A collector that counts its calls and takes as long as it is told    */
/* ------------------------------------------------------------------ */

typedef struct slow {
    atomic_int calls;
    atomic_int running;     /* calls in progress now */
    atomic_int max_running; /* most ever in progress at once */
    atomic_int sleep_ms;    /* how long a call takes */
    atomic_int value;       /* what it emits */
    atomic_int hold;        /* non-zero: a call waits until it is 0 */
    atomic_int fail;        /* the callback's return value */
    atomic_int freed;       /* free_fn ran */
    atomic_int finished;    /* calls that returned */
    atomic_int in_callback_after_free;
    double timeout_seen; /* promc_emitter_timeout at the last call's start */
    pthread_mutex_t mu;
} slow;

static void slow_init(slow *s, int sleep_ms)
{
    memset(s, 0, sizeof *s);
    atomic_store(&s->sleep_ms, sleep_ms);
    atomic_store(&s->value, 1);
    pthread_mutex_init(&s->mu, NULL);
}

static int collect_slow(promc_emitter *e, void *ud)
{
    slow *s = ud;
    if (atomic_load(&s->freed))
        atomic_store(&s->in_callback_after_free, 1);
    double t = promc_emitter_timeout(e);
    pthread_mutex_lock(&s->mu);
    s->timeout_seen = t;
    pthread_mutex_unlock(&s->mu);
    atomic_fetch_add(&s->calls, 1);
    int now = atomic_fetch_add(&s->running, 1) + 1;
    int max = atomic_load(&s->max_running);
    while (now > max && !atomic_compare_exchange_weak(&s->max_running, &max, now))
        ;
    int ms = atomic_load(&s->sleep_ms);
    if (ms)
        sleep_ms(ms);
    while (atomic_load(&s->hold))
        sleep_ms(2);
    promc_emit_family(e, "slow_value", "From the slow collector.", PROMC_GAUGE, NULL);
    promc_emit_sample(e, NULL, 0, atomic_load(&s->value));
    atomic_fetch_sub(&s->running, 1);
    atomic_fetch_add(&s->finished, 1);
    return atomic_load(&s->fail);
}

static void slow_free(void *ud)
{
    slow *s = ud;
    atomic_store(&s->freed, 1);
}

static double timeout_seen(slow *s)
{
    pthread_mutex_lock(&s->mu);
    double t = s->timeout_seen;
    pthread_mutex_unlock(&s->mu);
    return t;
}

/* Waits (bounded) until the collector finished n calls. */
static void await_finished(slow *s, int n)
{
    int64_t end = mono_ms() + WAIT_MS;
    while (atomic_load(&s->finished) < n && mono_ms() < end)
        sleep_ms(2);
    if (atomic_load(&s->finished) < n)
        fail_msg("collector finished %d calls, want %d", atomic_load(&s->finished), n);
}

/* Waits (bounded) until free_fn ran: a collector thread may drop the last
 * reference a little after the scrapes returned, and a test's slow struct
 * must outlive that. */
static void await_freed(slow *s)
{
    int64_t end = mono_ms() + WAIT_MS;
    while (!atomic_load(&s->freed) && mono_ms() < end)
        sleep_ms(1);
    assert_int_equal(atomic_load(&s->freed), 1);
}

/* A registry with a gauge "fast" at 42 and the slow collector named "slow". */
static promc_registry *slow_registry(slow *s, const promc_collector_opts *o, promc_metric **col)
{
    promc_registry *reg = promc_registry_new();
    assert_non_null(reg);
    promc_gauge *g = promc_gauge_new(reg, "fast", "Always there.", NULL);
    assert_non_null(g);
    promc_gauge_set(g, 42);
    promc_gauge_free(g); /* the registry keeps it */
    promc_collector_opts def = {.name = "slow"};
    *col = promc_collector_new_opts(reg, collect_slow, s, slow_free, NULL, o ? o : &def);
    if (!*col)
        fail_msg("promc_collector_new_opts: %s", promc_last_error());
    return reg;
}

static char *scrape(promc_registry *reg, double timeout, int *rc)
{
    struct promc__buf b = {0};
    promc_scrape_opts o = {.timeout = timeout};
    *rc = promc_encode_ex(reg, PROMC_FORMAT_TEXT, promc__buf_writer, &b, &o);
    if (!b.p)
        promc__buf_put(&b, "", 0);
    return b.p;
}

/* ------------------------------------------------------------------ */
/* Coalescing                                                          */
/* ------------------------------------------------------------------ */

typedef struct scraper {
    promc_registry *reg;
    double timeout;
    pthread_barrier_t *start;
    char *out;
    int rc;
} scraper;

static void *scrape_thread(void *arg)
{
    scraper *sc = arg;
    pthread_barrier_wait(sc->start);
    sc->out = scrape(sc->reg, sc->timeout, &sc->rc);
    return NULL;
}

/* Ten scrapes at once of a collector that takes 1 s: one call, about 1 s,
 * the same output everywhere -- with and without a deadline. */
static void ten_scrapes_share_one_collection(double timeout)
{
    slow s;
    slow_init(&s, 1000);
    promc_metric *col;
    promc_registry *reg = slow_registry(&s, NULL, &col);
    enum { N = 10 };
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, N);
    scraper sc[N];
    pthread_t t[N];
    int64_t t0 = mono_ms();
    for (int i = 0; i < N; i++) {
        sc[i] = (scraper){.reg = reg, .timeout = timeout, .start = &start};
        assert_int_equal(pthread_create(&t[i], NULL, scrape_thread, &sc[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    int64_t took = mono_ms() - t0;
    print_message("ten scrapes (timeout %g): %d call(s), %lld ms\n", timeout, atomic_load(&s.calls),
                  (long long)took);
    assert_int_equal(atomic_load(&s.calls), 1);
    assert_int_equal(atomic_load(&s.max_running), 1);
    assert_true(took >= 1000);
    assert_true(took < 3000); /* ten calls one after the other: 10 s */
    for (int i = 0; i < N; i++) {
        assert_int_equal(sc[i].rc, PROMC_OK);
        assert_non_null(strstr(sc[i].out, "\nslow_value 1\n"));
        assert_non_null(strstr(sc[i].out, "\nfast 42\n"));
        free(sc[i].out);
    }
    pthread_barrier_destroy(&start);
    promc_metric_free(col);
    promc_registry_free(reg);
    await_freed(&s);
}

static void test_ten_scrapes_one_collection(void **state)
{
    (void)state;
    ten_scrapes_share_one_collection(0);
}

static void test_ten_scrapes_one_collection_with_deadline(void **state)
{
    (void)state;
    ten_scrapes_share_one_collection(30);
}

/* Scrapes from many threads, one after the other and overlapping, with
 * and without deadlines: the collector is never in two calls at once, and a
 * scrape that starts after a collection ended gets a new one. */
typedef struct hammer {
    promc_registry *reg;
    int iterations;
    double timeout;
} hammer;

static void *hammer_thread(void *arg)
{
    hammer *h = arg;
    for (int i = 0; i < h->iterations; i++) {
        int rc;
        free(scrape(h->reg, (i % 2) ? h->timeout : 0, &rc));
        assert_int_equal(rc, PROMC_OK);
    }
    return NULL;
}

static void test_never_twice_at_once(void **state)
{
    (void)state;
    slow s;
    slow_init(&s, 3);
    promc_metric *col;
    promc_registry *reg = slow_registry(&s, NULL, &col);
    enum { N = 6 };
    pthread_t t[N];
    hammer h = {.reg = reg, .iterations = 30, .timeout = 20};
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer_thread, &h), 0);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&s.max_running), 1);
    /* Coalesced, but not cached: some scrapes shared, none was skipped. */
    assert_true(atomic_load(&s.calls) >= 30);
    assert_true(atomic_load(&s.calls) <= N * 30);
    /* One more, alone: a fresh collection. */
    int before = atomic_load(&s.calls), rc;
    free(scrape(reg, 0, &rc));
    assert_int_equal(atomic_load(&s.calls), before + 1);
    promc_metric_free(col);
    promc_registry_free(reg);
    await_freed(&s);
}

/* A failing collection fails every scrape that shares it. */
static void test_shared_failure(void **state)
{
    (void)state;
    slow s;
    slow_init(&s, 300);
    atomic_store(&s.fail, 3);
    promc_metric *col;
    promc_registry *reg = slow_registry(&s, NULL, &col);
    enum { N = 4 };
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, N);
    scraper sc[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        sc[i] = (scraper){.reg = reg, .timeout = i % 2 ? 10 : 0, .start = &start};
        assert_int_equal(pthread_create(&t[i], NULL, scrape_thread, &sc[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&s.calls), 1);
    for (int i = 0; i < N; i++) {
        assert_int_equal(sc[i].rc, PROMC_EIO);
        assert_non_null(strstr(sc[i].out, "\nslow_value 1\n")); /* the valid part */
        free(sc[i].out);
    }
    pthread_barrier_destroy(&start);
    promc_metric_free(col);
    promc_registry_free(reg);
    await_freed(&s);
}

/* ------------------------------------------------------------------ */
/* The deadline                                                        */
/* ------------------------------------------------------------------ */

/* The collector learns its deadline; without one it has none. */
static void test_emitter_timeout(void **state)
{
    (void)state;
    slow s;
    slow_init(&s, 0);
    promc_metric *col;
    promc_registry *reg = slow_registry(&s, NULL, &col);
    int rc;
    free(scrape(reg, 0, &rc));
    assert_int_equal(rc, PROMC_OK);
    assert_true(isinf(timeout_seen(&s)) && timeout_seen(&s) > 0);
    free(scrape(reg, 2.5, &rc));
    assert_int_equal(rc, PROMC_OK);
    double t = timeout_seen(&s);
    assert_true(t > 1.0 && t <= 2.5);
    assert_true(isinf(promc_emitter_timeout(NULL)));
    promc_metric_free(col);
    promc_registry_free(reg);
    await_freed(&s);
}

/* A collector still running at the deadline does not hold the scrape: the
 * rest is there, the late family is not, and the timeout is counted. */
static void test_deadline_answers_in_time(void **state)
{
    (void)state;
    slow s;
    slow_init(&s, 0);
    atomic_store(&s.hold, 1);
    promc_metric *col;
    promc_registry *reg = slow_registry(&s, NULL, &col);
    int rc;
    int64_t t0 = mono_ms();
    char *out = scrape(reg, 0.2, &rc);
    int64_t took = mono_ms() - t0;
    print_message("scrape with a 200 ms deadline, collector held: %lld ms\n", (long long)took);
    assert_int_equal(rc, PROMC_OK);
    assert_true(took >= 190 && took < 2000);
    assert_non_null(strstr(out, "\nfast 42\n"));
    assert_null(strstr(out, "slow_value"));
    assert_non_null(strstr(out, "# TYPE promc_collector_timeouts_total counter\n"
                                "promc_collector_timeouts_total{collector=\"slow\"} 1\n"));
    /* Never completed: no duration yet. */
    assert_null(strstr(out, "promc_collector_duration_seconds{"));
    free(out);

    /* A second scrape joins the same late collection and times out too. */
    out = scrape(reg, 0.1, &rc);
    assert_int_equal(atomic_load(&s.calls), 1);
    assert_non_null(strstr(out, "promc_collector_timeouts_total{collector=\"slow\"} 2\n"));
    free(out);

    /* Released, it completes; the next scrape runs it again and has it. */
    atomic_store(&s.hold, 0);
    await_finished(&s, 1);
    out = scrape(reg, 5, &rc);
    assert_int_equal(rc, PROMC_OK);
    assert_int_equal(atomic_load(&s.calls), 2);
    assert_non_null(strstr(out, "\nslow_value 1\n"));
    assert_non_null(strstr(out, "# TYPE promc_collector_duration_seconds gauge\n"));
    assert_non_null(strstr(out, "promc_collector_duration_seconds{collector=\"slow\"} "));
    assert_non_null(strstr(out, "promc_collector_timeouts_total{collector=\"slow\"} 2\n"));
    free(out);
    /* Without a deadline, the promc_collector_* families are not written. */
    out = scrape(reg, 0, &rc);
    assert_null(strstr(out, "promc_collector_"));
    free(out);
    promc_metric_free(col);
    promc_registry_free(reg);
    await_freed(&s);
}

/* The last complete result stands in for a late collection while it is
 * at most max_stale seconds old; by default it does not. */
static void test_stale_result(void **state)
{
    (void)state;
    for (int mode = 0; mode < 3; mode++) {
        slow s;
        slow_init(&s, 0);
        promc_metric *col;
        double max_stale = mode == 0 ? 0 : mode == 1 ? 60 : 0.05;
        promc_registry *reg = slow_registry(
            &s, &(promc_collector_opts){.name = "slow", .max_stale = max_stale}, &col);
        int rc;
        atomic_store(&s.value, 7);
        free(scrape(reg, 5, &rc)); /* one complete collection: value 7 */
        assert_int_equal(atomic_load(&s.calls), 1);
        atomic_store(&s.value, 8);
        atomic_store(&s.hold, 1);
        if (mode == 2)
            sleep_ms(100); /* older than max_stale */
        char *out = scrape(reg, 0.1, &rc);
        assert_int_equal(rc, PROMC_OK);
        assert_non_null(strstr(out, "\nfast 42\n"));
        if (mode == 1)
            assert_non_null(strstr(out, "\nslow_value 7\n"));
        else
            assert_null(strstr(out, "slow_value"));
        assert_non_null(strstr(out, "promc_collector_timeouts_total{collector=\"slow\"} 1\n"));
        free(out);
        atomic_store(&s.hold, 0);
        await_finished(&s, 2);
        out = scrape(reg, 5, &rc);
        assert_non_null(strstr(out, "\nslow_value 8\n"));
        free(out);
        promc_metric_free(col);
        promc_registry_free(reg);
        await_freed(&s);
    }
}

/* A collection that outlives its scrape writes into memory of its own; the
 * collector unregistered and freed while it runs late stays alive until it
 * ends, and only then is free_fn called. */
static void test_late_collection_outlives_everything(void **state)
{
    (void)state;
    slow s;
    slow_init(&s, 0);
    atomic_store(&s.hold, 1);
    promc_metric *col;
    promc_registry *reg = slow_registry(&s, NULL, &col);
    int rc;
    free(scrape(reg, 0.05, &rc));
    assert_int_equal(rc, PROMC_OK);
    assert_int_equal(atomic_load(&s.running), 1);
    assert_int_equal(promc_registry_unregister(reg, col), PROMC_OK);
    assert_int_equal(promc_metric_free(col), PROMC_OK);
    assert_int_equal(promc_registry_free(reg), PROMC_OK);
    sleep_ms(20);
    assert_int_equal(atomic_load(&s.freed), 0); /* still running: still alive */
    atomic_store(&s.hold, 0);
    await_freed(&s);
    assert_int_equal(atomic_load(&s.finished), 1);
    assert_int_equal(atomic_load(&s.in_callback_after_free), 0);
}

/* ------------------------------------------------------------------ */
/* Names and self-metrics                                              */
/* ------------------------------------------------------------------ */

static int collect_nothing(promc_emitter *e, void *ud)
{
    (void)e;
    (void)ud;
    return 0;
}

static void test_collector_names(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    /* Explicit, the first declared family, or collector_<n>. */
    promc_metric *a = promc_collector_new_opts(reg, collect_nothing, NULL, NULL, NULL,
                                               &(promc_collector_opts){.name = "upstream \"a\""});
    promc_metric *b =
        promc_collector_new(reg, collect_nothing, NULL, NULL, PROMC_LABELS("b_family", "b_other"));
    promc_metric *c = promc_collector_new(reg, collect_nothing, NULL, NULL, NULL);
    promc_metric *d = promc_collector_new(reg, collect_nothing, NULL, NULL, NULL);
    assert_true(a && b && c && d);
    assert_string_equal(promc_metric_name(a), "upstream \"a\"");
    assert_string_equal(promc_metric_name(b), "b_family");
    assert_int_equal(strncmp(promc_metric_name(c), "collector_", 10), 0);
    assert_string_not_equal(promc_metric_name(c), promc_metric_name(d));
    /* Two collectors of one name in one registry: refused, naming both. */
    promc_metric *dup = promc_collector_new_opts(reg, collect_nothing, NULL, NULL, NULL,
                                                 &(promc_collector_opts){.name = "b_family"});
    assert_null(dup);
    assert_int_equal(promc_last_error_code(), PROMC_EEXIST);
    assert_non_null(strstr(promc_last_error(), "\"b_family\""));
    /* ... but fine in another registry. */
    promc_registry *other = promc_registry_new();
    dup = promc_collector_new_opts(other, collect_nothing, NULL, NULL, NULL,
                                   &(promc_collector_opts){.name = "b_family"});
    assert_non_null(dup);
    /* Bad names and options. */
    assert_null(promc_collector_new_opts(reg, collect_nothing, NULL, NULL, NULL,
                                         &(promc_collector_opts){.name = ""}));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_collector_new_opts(reg, collect_nothing, NULL, NULL, NULL,
                                         &(promc_collector_opts){.name = "\xff"}));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_collector_new_opts(reg, collect_nothing, NULL, NULL, NULL,
                                         &(promc_collector_opts){.max_stale = -1}));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_collector_new_opts(reg, collect_nothing, NULL, NULL, NULL,
                                         &(promc_collector_opts){.max_stale = NAN}));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);

    /* The names label the promc_collector_* series, escaped. */
    int rc;
    char *out = scrape(reg, 5, &rc);
    assert_int_equal(rc, PROMC_OK);
    assert_non_null(strstr(out, "promc_collector_timeouts_total{collector=\"upstream \\\"a\\\"\"} "
                                "0\n"));
    assert_non_null(strstr(out, "promc_collector_timeouts_total{collector=\"b_family\"} 0\n"));
    assert_non_null(strstr(out, "promc_collector_duration_seconds{collector=\"b_family\"} "));
    /* The names are the library's: a metric cannot take them. */
    assert_null(promc_gauge_new(reg, "promc_collector_duration_seconds", "x", NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EEXIST);
    assert_null(promc_counter_new(reg, "promc_collector_timeouts", "x", NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EEXIST);
    /* The name filter applies to them too. */
    struct promc__buf buf = {0};
    promc_scrape_opts so = {.timeout = 5, .names = PROMC_LABELS("promc_collector_timeouts_total")};
    assert_int_equal(promc_encode_ex(reg, PROMC_FORMAT_TEXT, promc__buf_writer, &buf, &so),
                     PROMC_OK);
    assert_non_null(strstr(buf.p, "# TYPE promc_collector_timeouts_total counter\n"));
    assert_null(strstr(buf.p, "promc_collector_duration_seconds"));
    promc__free(buf.p);
    free(out);
    promc_metric_free(a);
    promc_metric_free(b);
    promc_metric_free(c);
    promc_metric_free(d);
    promc_metric_free(dup);
    promc_registry_free(other);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ */
/* Collectors that scrape                                              */
/* ------------------------------------------------------------------ */

/* A collector scraping the registry it is collected for gets PROMC_ESTATE
 * at once, also when it runs on a collector thread (a deadline). */
static atomic_int self_scrape_rc;

static int collect_self_scrape(promc_emitter *e, void *ud)
{
    (void)e;
    promc_registry *reg = ud;
    char *s =
        promc_encode_buffer_ex(reg, PROMC_FORMAT_TEXT, NULL, &(promc_scrape_opts){.timeout = 5});
    atomic_store(&self_scrape_rc, s ? PROMC_OK : promc_last_error_code());
    promc_free(s);
    return 0;
}

static void test_self_scrape_refused(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_metric *m = promc_collector_new(reg, collect_self_scrape, reg, NULL, NULL);
    assert_non_null(m);
    for (int i = 0; i < 2; i++) {
        atomic_store(&self_scrape_rc, 99);
        int rc;
        int64_t t0 = mono_ms();
        free(scrape(reg, i ? 5 : 0, &rc));
        assert_int_equal(rc, PROMC_OK);
        assert_int_equal(atomic_load(&self_scrape_rc), PROMC_ESTATE);
        assert_true(mono_ms() - t0 < 2000);
    }
    promc_metric_free(m);
    promc_registry_free(reg);
}

/* Two collectors, each in its own registry, each scraping the other's
 * registry while the other is collected: a circle of waits. One of the
 * nested scrapes gets PROMC_ESTATE, and everything ends. */
typedef struct pair {
    promc_registry *r1, *r2;
    atomic_int entered;
    atomic_int nested_estate;
} pair;

static int collect_crossing(promc_emitter *e, void *ud, bool first)
{
    (void)e;
    pair *p = ud;
    atomic_fetch_add(&p->entered, 1);
    int64_t end = mono_ms() + WAIT_MS;
    while (atomic_load(&p->entered) < 2 && mono_ms() < end)
        sleep_ms(1);
    char *s = promc_encode_buffer(first ? p->r2 : p->r1, PROMC_FORMAT_TEXT, NULL);
    if (!s && promc_last_error_code() == PROMC_ESTATE)
        atomic_fetch_add(&p->nested_estate, 1);
    promc_free(s);
    return 0;
}

static int collect_first(promc_emitter *e, void *ud)
{
    return collect_crossing(e, ud, true);
}

static int collect_second(promc_emitter *e, void *ud)
{
    return collect_crossing(e, ud, false);
}

typedef struct crossing_scrape {
    promc_registry *reg;
    double timeout;
    int rc;
    atomic_int done;
} crossing_scrape;

static void *crossing_thread(void *arg)
{
    crossing_scrape *c = arg;
    free(scrape(c->reg, c->timeout, &c->rc));
    atomic_store(&c->done, 1);
    return NULL;
}

static void test_waiting_circle_is_refused(void **state)
{
    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        pair p = {.r1 = promc_registry_new(), .r2 = promc_registry_new()};
        promc_metric *c1 = promc_collector_new(p.r1, collect_first, &p, NULL, NULL);
        promc_metric *c2 = promc_collector_new(p.r2, collect_second, &p, NULL, NULL);
        assert_true(c1 && c2);
        double timeout = mode ? 30 : 0;
        crossing_scrape a = {.reg = p.r1, .timeout = timeout};
        crossing_scrape b = {.reg = p.r2, .timeout = timeout};
        pthread_t ta, tb;
        int64_t t0 = mono_ms();
        assert_int_equal(pthread_create(&ta, NULL, crossing_thread, &a), 0);
        assert_int_equal(pthread_create(&tb, NULL, crossing_thread, &b), 0);
        int64_t end = mono_ms() + WAIT_MS;
        while ((!atomic_load(&a.done) || !atomic_load(&b.done)) && mono_ms() < end)
            sleep_ms(5);
        if (!atomic_load(&a.done) || !atomic_load(&b.done)) {
            fprintf(stderr, "collectors waiting for each other deadlocked\n");
            abort();
        }
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        print_message("crossing collectors (timeout %g): %lld ms, %d refused\n", timeout,
                      (long long)(mono_ms() - t0), atomic_load(&p.nested_estate));
        assert_true(atomic_load(&p.nested_estate) >= 1);
        assert_true(mono_ms() - t0 < 5000);
        promc_metric_free(c1);
        promc_metric_free(c2);
        promc_registry_free(p.r1);
        promc_registry_free(p.r2);
    }
}

/* ------------------------------------------------------------------ */
/* HTTP: X-Prometheus-Scrape-Timeout-Seconds                           */
/* ------------------------------------------------------------------ */

static int64_t timed_request(int port, const char *raw, response *r)
{
    int64_t t0 = mono_ms();
    request(port, raw, r);
    return mono_ms() - t0;
}

#define SCRAPE_WITH_TIMEOUT(t)                                                                     \
    "GET /metrics HTTP/1.1\r\nHost: t\r\nX-Prometheus-Scrape-Timeout-Seconds: " t "\r\n\r\n"

static void test_http_scrape_timeout_header(void **state)
{
    (void)state;
    slow s;
    slow_init(&s, 0);
    atomic_store(&s.hold, 1);
    promc_metric *col;
    promc_registry *reg = slow_registry(&s, NULL, &col);
    promc_http_server *srv = promc_http_server_new(reg, "127.0.0.1:0", NULL);
    assert_non_null(srv);
    int port = promc_http_server_port(srv);

    /* The collector is held: an answer comes only at a deadline, so the
     * lower bounds check the deadline and the upper ones are only there to
     * fail fast. 1 s from Prometheus, less the 0.5 s offset: about 0.5 s. */
    response r;
    int64_t took = timed_request(port, SCRAPE_WITH_TIMEOUT("1"), &r);
    print_message("header 1 s, collector held: answered in %lld ms\n", (long long)took);
    assert_int_equal(r.status, 200);
    assert_true(took >= 450 && took < 3000);
    assert_non_null(strstr(r.body, "\nfast 42\n"));
    assert_null(strstr(r.body, "slow_value"));
    assert_non_null(strstr(r.body, "promc_collector_timeouts_total{collector=\"slow\"} 1\n"));
    resp_free(&r);
    /* The offset never takes more than half: 0.4 s becomes 0.2 s. */
    took = timed_request(port, SCRAPE_WITH_TIMEOUT("0.4"), &r);
    assert_int_equal(r.status, 200);
    assert_true(took >= 180 && took < 3000);
    resp_free(&r);
    /* Not a positive number of seconds: 400. */
    static const char *const bad[] = {"", "x", "-1", "0", "1e999", "nan", "1,5", " 1 2", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char req[256];
        snprintf(req, sizeof req, SCRAPE_WITH_TIMEOUT("%s"), bad[i]);
        response b;
        request(port, req, &b);
        if (b.status != 400)
            fail_msg("timeout header \"%s\": %d, want 400", bad[i], b.status);
        assert_non_null(strstr(b.body, "X-Prometheus-Scrape-Timeout-Seconds"));
        resp_free(&b);
    }
    promc_http_server_free(srv);

    /* The server's maximum caps the header and stands in when it is absent. */
    srv = promc_http_server_new(reg, "127.0.0.1:0", &(promc_http_opts){.max_scrape_timeout = 0.3});
    assert_non_null(srv);
    port = promc_http_server_port(srv);
    took = timed_request(port, SCRAPE_WITH_TIMEOUT("100"), &r);
    assert_int_equal(r.status, 200);
    assert_true(took >= 280 && took < 3000);
    resp_free(&r);
    took = timed_request(port, GET("/metrics"), &r);
    assert_int_equal(r.status, 200);
    assert_true(took >= 280 && took < 3000);
    resp_free(&r);
    promc_http_server_free(srv);

    /* No maximum (negative) and no header: the scrape waits for the
     * collector; an offset of its own. */
    srv = promc_http_server_new(
        reg, "127.0.0.1:0",
        &(promc_http_opts){.max_scrape_timeout = -1, .scrape_timeout_offset = 0.1});
    assert_non_null(srv);
    port = promc_http_server_port(srv);
    took = timed_request(port, SCRAPE_WITH_TIMEOUT("0.5"), &r);
    assert_true(took >= 380 && took < 3000);
    resp_free(&r);
    atomic_store(&s.hold, 0);
    await_finished(&s, 1);
    atomic_store(&s.sleep_ms, 300);
    took = timed_request(port, GET("/metrics"), &r);
    assert_int_equal(r.status, 200);
    assert_true(took >= 280);
    assert_non_null(strstr(r.body, "\nslow_value 1\n"));
    assert_null(strstr(r.body, "promc_collector_")); /* no deadline */
    resp_free(&r);
    promc_http_server_free(srv);

    /* Options out of range. */
    assert_null(
        promc_http_server_new(reg, "127.0.0.1:0", &(promc_http_opts){.max_scrape_timeout = NAN}));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_null(promc_http_server_new(reg, "127.0.0.1:0",
                                      &(promc_http_opts){.scrape_timeout_offset = INFINITY}));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    promc_metric_free(col);
    promc_registry_free(reg);
    await_freed(&s);
}

/* A collector run by an HTTP scrape, on a collector thread, still cannot
 * free the server whose scrape waits for it. */
static atomic_int free_rc;
static promc_http_server *free_target;

static int collect_freeing_server(promc_emitter *e, void *ud)
{
    (void)e;
    (void)ud;
    promc_http_server *s = free_target;
    if (s)
        atomic_store(&free_rc, promc_http_server_free(s));
    return 0;
}

static void test_http_collector_cannot_free_its_server(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_metric *m = promc_collector_new(reg, collect_freeing_server, NULL, NULL, NULL);
    promc_http_server *srv = promc_http_server_new(reg, "127.0.0.1:0", NULL);
    assert_true(m && srv);
    atomic_store(&free_rc, 99);
    free_target = srv;
    response r;
    request(promc_http_server_port(srv), SCRAPE_WITH_TIMEOUT("10"), &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    assert_int_equal(atomic_load(&free_rc), PROMC_ESTATE);
    free_target = NULL;
    assert_int_equal(promc_http_server_free(srv), PROMC_OK);
    promc_metric_free(m);
    promc_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ten_scrapes_one_collection),
        cmocka_unit_test(test_ten_scrapes_one_collection_with_deadline),
        cmocka_unit_test(test_never_twice_at_once),
        cmocka_unit_test(test_shared_failure),
        cmocka_unit_test(test_emitter_timeout),
        cmocka_unit_test(test_deadline_answers_in_time),
        cmocka_unit_test(test_stale_result),
        cmocka_unit_test(test_late_collection_outlives_everything),
        cmocka_unit_test(test_collector_names),
        cmocka_unit_test(test_self_scrape_refused),
        cmocka_unit_test(test_waiting_circle_is_refused),
        cmocka_unit_test(test_http_scrape_timeout_header),
        cmocka_unit_test(test_http_collector_cannot_free_its_server),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    promc_shutdown(); /* joins the collector threads */
    return failed;
}
