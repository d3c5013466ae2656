/*
 * Pins that out of memory is an error, never a crash or a leak. A counting
 * allocator fails the Nth allocation of a scenario, for N = 1, 2, ... until a
 * run sees no failure: the failing call must report PROMC_ENOMEM (PROMC_EIO if
 * it hit a collector's callback), the live-block count must return to its
 * start after cleanup, and what was left behind must stay usable -- the failed
 * call retried succeeds and the final exposition is byte-identical to a clean
 * run. Scenarios: every type, 40 children, a second registry, scrapes, the
 * default registry, and a thread whose own state cannot be allocated.
 */
#include "helpers.h"

#include "failalloc.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>

static long alloc_surfaced; /* injected failures a call reported */

/* A call returned an error: it must be the injected failure, hit during this
 * very call (allocation index in (before, now]), reported as ENOMEM -- also
 * when the allocation failed inside a collector's callback: the emit call
 * that failed is the scrape's first error, before the callback's non-zero
 * return. */
static void expect_oom(const char *what, long before, int rc)
{
    if (!(alloc_injected && alloc_fail_at > before && alloc_fail_at <= alloc_seen))
        fail_msg("%s failed without an injected failure (N=%ld): %s (%s)", what, alloc_fail_at,
                 promc_errname(rc), promc_last_error());
    int want = PROMC_ENOMEM;
    if (rc != want)
        fail_msg("%s at N=%ld: got %s, want %s (%s)", what, alloc_fail_at, promc_errname(rc),
                 promc_errname(want), promc_last_error());
    if (promc_last_error_code() != rc)
        fail_msg("%s at N=%ld: returned %s but promc_last_error_code() is %s", what, alloc_fail_at,
                 promc_errname(rc), promc_errname(promc_last_error_code()));
    alloc_surfaced++;
    disarm();
}

/* var = expr (a constructor); on NULL the failure must be the injected one,
 * and the same call retried must then succeed. */
#define NEW(var, expr)                                                                             \
    do {                                                                                           \
        long before_ = alloc_seen;                                                                 \
        (var) = (expr);                                                                            \
        if (!(var)) {                                                                              \
            expect_oom(#expr, before_, promc_last_error_code());                                   \
            (var) = (expr);                                                                        \
            if (!(var))                                                                            \
                fail_msg("retry of %s failed: %s", #expr, promc_last_error());                     \
        }                                                                                          \
    } while (0)

/* Same for a call returning a promc_error. */
#define OK(expr)                                                                                   \
    do {                                                                                           \
        long before_ = alloc_seen;                                                                 \
        int rc_ = (expr);                                                                          \
        if (rc_ != PROMC_OK) {                                                                     \
            expect_oom(#expr, before_, rc_);                                                       \
            rc_ = (expr);                                                                          \
            if (rc_ != PROMC_OK)                                                                   \
                fail_msg("retry of %s failed: %s", #expr, promc_last_error());                     \
        }                                                                                          \
    } while (0)

/* Runs one scenario for N = 1, 2, ... until a run sees no injected failure;
 * returns how many N were exercised. */
static long exhaust(const char *name, void (*run)(long n))
{
    alloc_surfaced = 0;
    long n = 1;
    for (;; n++) {
        long live = alloc_live;
        run(n);
        disarm();
        if (alloc_live != live)
            fail_msg("%s, N=%ld: %ld block(s) leaked", name, n, alloc_live - live);
        if (!alloc_injected)
            break;
    }
    /* Absorbed: the call still succeeded (e.g. a children table that could
     * not grow keeps its longer chains). */
    printf("   %s: N = 1..%ld exercised (%ld failures reported, %ld absorbed)\n", name, n - 1,
           alloc_surfaced, n - 1 - alloc_surfaced);
    return n - 1;
}

static void expect_same(const char *what, long n, const char *want, const char *got)
{
    if (strcmp(want, got) != 0) {
        fprintf(stderr, "--- want\n%s--- got\n%s---\n", want, got);
        fail_msg("%s at N=%ld differs from the run without failures", what, n);
    }
}

/* ------------------------------------------------------------------ */
/* A registry with one of each type                                   */
/* ------------------------------------------------------------------ */

static int collector_frees;    /* free_fn calls */
static int collector_failures; /* promc_collector_new runs that ran out of memory */

static void collector_free(void *userdata)
{
    (void)userdata;
    collector_frees++;
}

/* Propagates every emit error, as a careful collector does. */
static int collect(promc_emitter *e, void *userdata)
{
    (void)userdata;
    const promc_label high[] = {{"queue", "high"}}, low[] = {{"queue", "lo\"w"}};
    static const double bounds[] = {0.5, 1};
    static const uint64_t cumulative[] = {1, 3};
    if (promc_emit_family(e, "oom_queue_depth", "Queue depth.", PROMC_GAUGE, NULL) != PROMC_OK ||
        promc_emit_sample(e, high, 1, 3) != PROMC_OK || promc_emit_sample(e, low, 1, 5) != PROMC_OK)
        return -1;
    if (promc_emit_family(e, "oom_wait_seconds", "Wait.", PROMC_HISTOGRAM, "seconds") != PROMC_OK ||
        promc_emit_histogram(e, high, 1, bounds, cumulative, 2, 4, 3.5) != PROMC_OK)
        return -1;
    return 0;
}

struct all {
    promc_registry *reg;
    promc_counter_vec *counter;
    promc_counter *child;
    promc_gauge *gauge;
    promc_histogram *hist;
    promc_summary *summary;
    promc_enum *state;
    promc_info *info;
    promc_metric *collector;
};

static void build_all(struct all *a)
{
    static const double bounds[] = {0.1, 0.5, 1};
    static const promc_objective objectives[] = {{0.5, 0.05}, {0.9, 0.01}};
    const promc_metric_opts gopts = {.unit = "celsius"};
    const promc_histogram_opts hopts = {.unit = "seconds", .buckets = bounds, .nbuckets = 3};
    const promc_summary_opts sopts = {.objectives = objectives, .nobjectives = 2};
    const promc_label pairs[] = {{"version", "1.2.3"}, {"commit", "abc\\def"}};

    memset(a, 0, sizeof *a);
    NEW(a->reg, promc_registry_new());
    NEW(a->counter, promc_counter_vec_new(a->reg, "oom_requests_total", "Requests.",
                                          PROMC_LABELS("method", "code"), NULL));
    NEW(a->child, promc_counter_vec_labels(a->counter, "GET", "200"));
    promc_counter_add_int(a->child, 7);
    /* A label body longer than a scrape's buffer on the stack: the scrape
     * allocates one. */
    char wide[600];
    memset(wide, 'w', sizeof wide - 1);
    wide[sizeof wide - 1] = '\0';
    promc_counter *wide_child;
    NEW(wide_child, promc_counter_vec_labels(a->counter, wide, "500"));
    promc_counter_inc(wide_child);
    NEW(a->gauge, promc_gauge_new(a->reg, "oom_temperature_celsius", "Temperature.", &gopts));
    promc_gauge_set(a->gauge, 21.5);
    NEW(a->hist, promc_histogram_new(a->reg, "oom_latency_seconds", "Latency.", &hopts));
    /* Values whose sums are exact: an observation whose stripe block could
     * not be allocated goes to the shared counts, and a sum of partial sums
     * may round differently from the sum in order. */
    promc_histogram_observe(a->hist, 0.0625);
    promc_histogram_observe(a->hist, 0.25);
    promc_histogram_observe(a->hist, 2);
    NEW(a->summary, promc_summary_new(a->reg, "oom_size_bytes", "Sizes.", &sopts));
    for (int i = 1; i <= 10; i++)
        promc_summary_observe(a->summary, i);
    NEW(a->state, promc_enum_new(a->reg, "oom_state", "State.",
                                 PROMC_LABELS("starting", "running", "stopped"), NULL));
    OK(promc_enum_set(a->state, "running"));
    NEW(a->info, promc_info_new(a->reg, "oom_build", "Build.", pairs, 2, NULL));

    /* A failed promc_collector_new never calls free_fn (promc.h: userdata
     * stays the caller's), whichever allocation failed. */
    long before = alloc_seen;
    int frees = collector_frees;
    a->collector = promc_collector_new(a->reg, collect, NULL, collector_free,
                                       PROMC_LABELS("oom_queue_depth", "oom_wait_seconds"));
    if (!a->collector) {
        expect_oom("promc_collector_new", before, promc_last_error_code());
        collector_failures++;
        if (collector_frees != frees)
            fail_msg("promc_collector_new at N=%ld failed but called free_fn (userdata must "
                     "stay the caller's when creation fails)",
                     alloc_fail_at);
        a->collector = promc_collector_new(a->reg, collect, NULL, collector_free,
                                           PROMC_LABELS("oom_queue_depth", "oom_wait_seconds"));
        assert_non_null(a->collector);
    }
}

static void free_all(struct all *a)
{
    promc_counter_vec_free(a->counter);
    promc_gauge_free(a->gauge);
    promc_histogram_free(a->hist);
    promc_summary_free(a->summary);
    promc_enum_free(a->state);
    promc_info_free(a->info);
    promc_metric_free(a->collector);
    promc_registry_free(a->reg);
}

/* Renders reg in both formats with failures off; free with free_pair. */
static void render_pair(promc_registry *reg, char **text, char **om)
{
    disarm();
    *text = test_render(reg, PROMC_FORMAT_TEXT);
    *om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
}

static void free_pair(char *text, char *om)
{
    promc_free(text);
    promc_free(om);
}

/* ------------------------------------------------------------------ */
/* (a) creating a registry and one metric of each type                */
/* ------------------------------------------------------------------ */

static char *ref_all_text, *ref_all_om;

static void run_create(long n)
{
    struct all a;
    int frees = collector_frees;
    arm(n);
    build_all(&a);
    char *text, *om;
    render_pair(a.reg, &text, &om);
    expect_same("text exposition after creation", n, ref_all_text, text);
    expect_same("OpenMetrics exposition after creation", n, ref_all_om, om);
    free_pair(text, om);
    free_all(&a);
    /* free_fn ran once: for the collector destroyed by free_all. */
    assert_int_equal(collector_frees - frees, 1);
}

static void test_oom_creating_every_type_is_an_error_not_a_leak(void **state)
{
    (void)state;
    struct all a;
    build_all(&a); /* reference, no failures */
    render_pair(a.reg, &ref_all_text, &ref_all_om);
    free_all(&a);

    collector_failures = 0;
    long live = alloc_live;
    long runs = exhaust("(a) create every type", run_create);
    assert_true(runs > 30);
    assert_int_equal(alloc_live, live);
    free_pair(ref_all_text, ref_all_om);

    assert_true(collector_failures > 0);
}

/* ------------------------------------------------------------------ */
/* (b) children, enough to grow the children hash table               */
/* ------------------------------------------------------------------ */

#define NCHILDREN 40

struct kids {
    promc_registry *reg;
    promc_counter_vec *counter;
    promc_histogram_vec *hist;
    promc_summary_vec *summary;
};

static void kids_setup(struct kids *k)
{
    static const promc_objective objectives[] = {{0.5, 0.05}, {0.9, 0.01}};
    const promc_summary_opts sopts = {.objectives = objectives, .nobjectives = 2};
    disarm();
    k->reg = promc_registry_new();
    k->counter = promc_counter_vec_new(k->reg, "oom_kids_total", "Kids.", PROMC_LABELS("id"), NULL);
    k->hist = promc_histogram_vec_new(k->reg, "oom_kid_seconds", "Kid latency.", PROMC_LABELS("id"),
                                      NULL);
    k->summary =
        promc_summary_vec_new(k->reg, "oom_kid_bytes", "Kid sizes.", PROMC_LABELS("id"), &sopts);
    assert_non_null(k->reg);
    assert_non_null(k->counter);
    assert_non_null(k->hist);
    assert_non_null(k->summary);
}

static void kids_create(struct kids *k)
{
    for (int i = 0; i < NCHILDREN; i++) {
        char id[32];
        snprintf(id, sizeof id, "k%02d", i);
        promc_counter *c;
        promc_histogram *h;
        promc_summary *s;
        NEW(c, promc_counter_vec_labels(k->counter, id));
        promc_counter_add_int(c, (uint64_t)i + 1);
        NEW(h, promc_histogram_vec_labels(k->hist, id));
        promc_histogram_observe(h, i * 0.25);
        NEW(s, promc_summary_vec_labels(k->summary, id));
        promc_summary_observe(s, i);
    }
    /* Remove a few and create them again: lookups of the others must hit. */
    for (int i = 0; i < NCHILDREN; i += 7) {
        char id[32];
        snprintf(id, sizeof id, "k%02d", i);
        OK(promc_counter_vec_remove(k->counter, id));
        promc_counter *c;
        NEW(c, promc_counter_vec_labels(k->counter, id));
        promc_counter_add_int(c, (uint64_t)i + 1);
    }
}

static void kids_free(struct kids *k)
{
    promc_counter_vec_free(k->counter);
    promc_histogram_vec_free(k->hist);
    promc_summary_vec_free(k->summary);
    promc_registry_free(k->reg);
}

static char *ref_kids_text, *ref_kids_om;

static void run_children(long n)
{
    struct kids k;
    kids_setup(&k);
    arm(n);
    kids_create(&k);
    disarm();
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(k.counter)), NCHILDREN);
    assert_int_equal(promc_metric_children(promc_histogram_vec_metric(k.hist)), NCHILDREN);
    assert_int_equal(promc_metric_children(promc_summary_vec_metric(k.summary)), NCHILDREN);
    char *text, *om;
    render_pair(k.reg, &text, &om);
    expect_same("text exposition after children", n, ref_kids_text, text);
    expect_same("OpenMetrics exposition after children", n, ref_kids_om, om);
    free_pair(text, om);
    kids_free(&k);
}

static void test_oom_creating_children_is_an_error_not_a_leak(void **state)
{
    (void)state;
    struct kids k;
    kids_setup(&k);
    kids_create(&k);
    render_pair(k.reg, &ref_kids_text, &ref_kids_om);
    kids_free(&k);

    long runs = exhaust("(b) create 40 children x 3 types", run_children);
    assert_true(runs > NCHILDREN * 3);
    free_pair(ref_kids_text, ref_kids_om);
}

/* ------------------------------------------------------------------ */
/* (c) registering into a second registry                             */
/* ------------------------------------------------------------------ */

/* Enough gauges to grow the second registry's item array and claims table. */
#define NEXTRA 40

struct two {
    promc_registry *reg1, *reg2;
    promc_histogram_vec *hist;
    promc_gauge *extra[NEXTRA];
};

static void two_setup(struct two *t)
{
    disarm();
    memset(t, 0, sizeof *t);
    t->reg1 = promc_registry_new();
    assert_non_null(t->reg1);
    t->hist = promc_histogram_vec_new(t->reg1, "oom_shared_seconds", "Shared.",
                                      PROMC_LABELS("path"), NULL);
    assert_non_null(t->hist);
    promc_histogram_observe(promc_histogram_vec_labels(t->hist, "/"), 0.2);
    for (int i = 0; i < NEXTRA; i++) {
        char name[48];
        snprintf(name, sizeof name, "oom_extra_%d", i);
        t->extra[i] = promc_gauge_new(PROMC_NO_REGISTRY, name, "Extra.", NULL);
        assert_non_null(t->extra[i]);
        promc_gauge_set(t->extra[i], i);
    }
}

static void two_register(struct two *t)
{
    NEW(t->reg2, promc_registry_new());
    OK(promc_registry_register(t->reg2, promc_histogram_vec_metric(t->hist)));
    for (int i = 0; i < NEXTRA; i++)
        OK(promc_registry_register(t->reg2, promc_gauge_metric(t->extra[i])));
}

static void two_free(struct two *t)
{
    promc_histogram_vec_free(t->hist);
    for (int i = 0; i < NEXTRA; i++)
        promc_gauge_free(t->extra[i]);
    promc_registry_free(t->reg1);
    promc_registry_free(t->reg2);
}

static char *ref_reg1_text, *ref_reg1_om, *ref_reg2_text, *ref_reg2_om;

static void run_register(long n)
{
    struct two t;
    two_setup(&t);
    arm(n);
    two_register(&t);
    char *text, *om;
    render_pair(t.reg1, &text, &om);
    expect_same("first registry (text)", n, ref_reg1_text, text);
    expect_same("first registry (OpenMetrics)", n, ref_reg1_om, om);
    free_pair(text, om);
    render_pair(t.reg2, &text, &om);
    expect_same("second registry (text)", n, ref_reg2_text, text);
    expect_same("second registry (OpenMetrics)", n, ref_reg2_om, om);
    free_pair(text, om);
    /* Registered twice: still exactly once in the second registry. */
    assert_int_equal(promc_registry_register(t.reg2, promc_histogram_vec_metric(t.hist)),
                     PROMC_EEXIST);
    assert_int_equal(promc_registry_unregister(t.reg2, promc_histogram_vec_metric(t.hist)),
                     PROMC_OK);
    two_free(&t);
}

static void test_oom_registering_in_a_second_registry_is_an_error_not_a_leak(void **state)
{
    (void)state;
    struct two t;
    two_setup(&t);
    two_register(&t);
    render_pair(t.reg1, &ref_reg1_text, &ref_reg1_om);
    render_pair(t.reg2, &ref_reg2_text, &ref_reg2_om);
    two_free(&t);

    long runs = exhaust("(c) register into a second registry", run_register);
    assert_true(runs >= 4);
    free_pair(ref_reg1_text, ref_reg1_om);
    free_pair(ref_reg2_text, ref_reg2_om);
}

/* ------------------------------------------------------------------ */
/* (d) scraping                                                       */
/* ------------------------------------------------------------------ */

static char *ref_scrape_text, *ref_scrape_om;

/* get_sample_value, retried once after an injected failure. */
static double get_value(promc_registry *reg, const char *name, const promc_label *labels, size_t n)
{
    double v = -1;
    long before = alloc_seen;
    int rc = promc_registry_get_sample_value(reg, name, labels, n, &v);
    if (rc != PROMC_OK) {
        expect_oom("promc_registry_get_sample_value", before, rc);
        rc = promc_registry_get_sample_value(reg, name, labels, n, &v);
        if (rc != PROMC_OK)
            fail_msg("retry of get_sample_value(%s) failed: %s", name, promc_last_error());
    }
    return v;
}

static void run_scrape(long n)
{
    struct all a;
    disarm();
    build_all(&a);
    arm(n);
    char *text, *om;
    NEW(text, promc_encode_buffer(a.reg, PROMC_FORMAT_TEXT, NULL));
    NEW(om, promc_encode_buffer(a.reg, PROMC_FORMAT_OPENMETRICS, NULL));
    const promc_label get200[] = {{"method", "GET"}, {"code", "200"}};
    const promc_label le05[] = {{"le", "0.5"}};
    const promc_label low[] = {{"queue", "lo\"w"}};
    const promc_label high[] = {{"queue", "high"}};
    assert_true(get_value(a.reg, "oom_requests_total", get200, 2) == 7);
    assert_true(get_value(a.reg, "oom_latency_seconds_bucket", le05, 1) == 2);
    assert_true(get_value(a.reg, "oom_queue_depth", low, 1) == 5);
    assert_true(get_value(a.reg, "oom_wait_seconds_count", high, 1) == 4);
    disarm();
    expect_same("text scrape", n, ref_scrape_text, text);
    expect_same("OpenMetrics scrape", n, ref_scrape_om, om);
    free_pair(text, om);
    /* And the registry still scrapes the same afterwards. */
    render_pair(a.reg, &text, &om);
    expect_same("text scrape after the failure", n, ref_scrape_text, text);
    expect_same("OpenMetrics scrape after the failure", n, ref_scrape_om, om);
    free_pair(text, om);
    free_all(&a);
}

static void test_oom_scraping_is_an_error_not_a_leak(void **state)
{
    (void)state;
    struct all a;
    build_all(&a);
    render_pair(a.reg, &ref_scrape_text, &ref_scrape_om);
    free_all(&a);

    long runs = exhaust("(d) encode_buffer x2 + get_sample_value", run_scrape);
    assert_true(runs >= 4);
    free_pair(ref_scrape_text, ref_scrape_om);
}

/* UTF-8 names: escaping and quoting take a little memory per scrape (for
 * the escaped names); with the nth allocation failing, each format and
 * escaping gives the whole exposition or PROMC_ENOMEM, and leaks nothing. */
static promc_registry *utf8_reg;
static char *utf8_ref[3][4];

static void run_utf8_scrape(long n)
{
    arm(n);
    for (int f = PROMC_FORMAT_TEXT; f <= PROMC_FORMAT_PROTOBUF; f++)
        for (int e = PROMC_ESCAPING_UNDERSCORES; e <= PROMC_ESCAPING_ALLOW_UTF8; e++) {
            size_t len = 0;
            long before = alloc_seen;
            char *s =
                promc_encode_buffer_escaped(utf8_reg, (promc_format)f, (promc_escaping)e, &len);
            if (!s) {
                expect_oom("promc_encode_buffer_escaped", before, promc_last_error_code());
                continue;
            }
            assert_memory_equal(s, utf8_ref[f][e], len);
            promc_free(s);
        }
}

static void test_oom_scraping_utf8_names_is_an_error_not_a_leak(void **state)
{
    (void)state;
    utf8_reg = promc_registry_new();
    promc_registry_set_utf8_names(utf8_reg, 1);
    promc_counter_vec *c =
        promc_counter_vec_new(utf8_reg, "a.b", "C.", PROMC_LABELS("c.d", "e"), NULL);
    promc_counter_inc(promc_counter_vec_labels(c, "x", "y"));
    promc_enum *st = promc_enum_new(utf8_reg, "s.t", "S.", PROMC_LABELS("on", "off"), NULL);
    assert_true(c && st);
    for (int f = PROMC_FORMAT_TEXT; f <= PROMC_FORMAT_PROTOBUF; f++)
        for (int e = PROMC_ESCAPING_UNDERSCORES; e <= PROMC_ESCAPING_ALLOW_UTF8; e++) {
            utf8_ref[f][e] =
                promc_encode_buffer_escaped(utf8_reg, (promc_format)f, (promc_escaping)e, NULL);
            assert_non_null(utf8_ref[f][e]);
        }
    long runs = exhaust("(d') UTF-8 names, 3 formats x 4 escapings", run_utf8_scrape);
    assert_true(runs >= 4);
    for (int f = PROMC_FORMAT_TEXT; f <= PROMC_FORMAT_PROTOBUF; f++)
        for (int e = PROMC_ESCAPING_UNDERSCORES; e <= PROMC_ESCAPING_ALLOW_UTF8; e++)
            promc_free(utf8_ref[f][e]);
    promc_counter_vec_free(c);
    promc_enum_free(st);
    promc_registry_free(utf8_reg);
}

/* ------------------------------------------------------------------ */
/* Exemplars                                                           */
/* ------------------------------------------------------------------ */

/* An exemplar on a counter child and on a histogram, then a scrape, with
 * the nth allocation failing: each call succeeds or returns PROMC_ENOMEM
 * with the count recorded all the same, and what the scrape shows matches
 * what was accepted. */
static void run_exemplars(long n)
{
    static const promc_label trace[] = {{"trace_id", "KOO5S4vxi0o"}};
    promc_registry *reg = promc_registry_new();
    assert_non_null(reg);
    promc_counter_vec *cv = promc_counter_vec_new(reg, "cv", "C.", PROMC_LABELS("k"), NULL);
    promc_histogram *h = promc_histogram_new(reg, "h", "H.", NULL);
    promc_counter *c = promc_counter_vec_labels(cv, "a");
    assert_non_null(c);
    assert_non_null(h);
    arm(n);
    int rc1 = promc_counter_inc_exemplar(c, trace, 1);
    int rc2 = promc_histogram_observe_exemplar(h, 1, trace, 1);
    char *om = promc_encode_buffer(reg, PROMC_FORMAT_OPENMETRICS, NULL);
    disarm();
    assert_true(rc1 == PROMC_OK || rc1 == PROMC_ENOMEM);
    assert_true(rc2 == PROMC_OK || rc2 == PROMC_ENOMEM);
    alloc_surfaced += (rc1 != PROMC_OK) + (rc2 != PROMC_OK) + !om;
    assert_true(promc_counter_get(c) == 1);
    if (om) {
        assert_true((rc1 == PROMC_OK) == (strstr(om, "cv_total{k=\"a\"} 1 # ") != NULL));
        assert_non_null(strstr(om, "h_count 1\n"));
        promc_free(om);
    }
    promc_counter_vec_free(cv);
    promc_histogram_free(h);
    promc_registry_free(reg);
}

static void test_oom_recording_exemplars_is_an_error_not_a_leak(void **state)
{
    (void)state;
    long runs = exhaust("(f) exemplars on a counter child and a histogram + scrape", run_exemplars);
    assert_true(runs >= 3);
}

/* ------------------------------------------------------------------ */
/* (d2) native histogram buckets                                       */
/* ------------------------------------------------------------------ */

/* A new native bucket that cannot be allocated loses only that bucket: the
 * observation still counts in _count and _sum; a scrape that cannot grow its
 * space fails with ENOMEM and loses nothing; nothing leaks. */
static void test_oom_in_native_buckets_loses_no_count_and_no_memory(void **state)
{
    (void)state;
    long start = alloc_live;
    bool injected = true;
    for (long n = 1; injected; n++) {
        promc_registry *reg = promc_registry_new();
        assert_non_null(reg);
        promc_histogram_opts o = {.native_bucket_factor = 1.1, .native_max_buckets = 2};
        promc_histogram *h = promc_histogram_new(reg, "nh", "H.", &o);
        assert_non_null(h);
        arm(n);
        for (int k = 0; k < 6; k++)
            promc_histogram_observe(h, ldexp(1, k * 9));
        char *text = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, NULL);
        if (!text)
            assert_int_equal(promc_last_error_code(), PROMC_ENOMEM);
        injected = alloc_injected;
        disarm();
        promc_free(text);
        text = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, NULL);
        assert_non_null(text);
        assert_non_null(strstr(text, "nh_count 6\n"));
        promc_free(text);
        promc_histogram_free(h);
        promc_registry_free(reg);
        assert_int_equal(alloc_live, start);
    }
}

/* A native histogram's exemplars with the nth allocation failing: each
 * call succeeds or returns PROMC_ENOMEM with the observation counted; a
 * scrape succeeds or fails with PROMC_ENOMEM; nothing leaks. */
static void test_oom_in_native_exemplars_loses_no_count_and_no_memory(void **state)
{
    (void)state;
    static const promc_label trace[] = {{"trace_id", "KOO5S4vxi0o"}};
    long start = alloc_live;
    bool injected = true;
    for (long n = 1; injected; n++) {
        promc_registry *reg = promc_registry_new();
        assert_non_null(reg);
        promc_histogram_opts o = {.native_bucket_factor = 2, .native_max_exemplars = 2};
        promc_histogram *h = promc_histogram_new(reg, "nh", "H.", &o);
        assert_non_null(h);
        arm(n);
        int failed = 0;
        for (int k = 0; k < 4; k++) {
            int rc = promc_histogram_observe_exemplar(h, k + 1, trace, 1);
            assert_true(rc == PROMC_OK || rc == PROMC_ENOMEM);
            failed += rc != PROMC_OK;
        }
        size_t len = 0;
        char *pb = promc_encode_buffer(reg, PROMC_FORMAT_PROTOBUF, &len);
        if (!pb)
            assert_int_equal(promc_last_error_code(), PROMC_ENOMEM);
        injected = alloc_injected;
        disarm();
        assert_true(injected || failed == 0);
        promc_free(pb);
        char *text = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, NULL);
        assert_non_null(text);
        assert_non_null(strstr(text, "nh_count 4\n"));
        promc_free(text);
        promc_histogram_free(h);
        promc_registry_free(reg);
        assert_int_equal(alloc_live, start);
    }
}

/* ------------------------------------------------------------------ */
/* (e) the lazily created default registry                            */
/* ------------------------------------------------------------------ */

/* The first use of the default registry runs out of memory creating it: that
 * call fails with ENOMEM, and the next one (memory available again) must get
 * a default registry -- a transient OOM must not break it for good. This must
 * be the process's first use of the default registry. */
static void test_oom_creating_the_default_registry_is_not_permanent(void **state)
{
    (void)state;
    arm(1); /* "oom_default" needs no copy before the registry's allocation */
    promc_counter *c = promc_counter_new(NULL, "oom_default", "Default.", NULL);
    disarm();
    assert_null(c);
    assert_true(alloc_injected);
    assert_int_equal(promc_last_error_code(), PROMC_ENOMEM);

    c = promc_counter_new(NULL, "oom_default", "Default.", NULL);
    if (!c)
        fail_msg("default registry unusable after one failed allocation: %s", promc_last_error());
    assert_non_null(promc_default_registry());
    promc_registry_clear(NULL);
    promc_counter_free(c);
    promc_shutdown();
}

/* Every allocation of the default registry's creation (registry, process
 * collector, registering it) and of a first metric in it: promc_shutdown()
 * afterwards must give back everything. */
static void run_default(long n)
{
    promc_counter_vec *c;
    arm(n);
    NEW(c, promc_counter_vec_new(NULL, "oom_default", "Default.", PROMC_LABELS("k"), NULL));
    promc_counter *child;
    NEW(child, promc_counter_vec_labels(c, "x"));
    promc_counter_inc(child);
    disarm();
    const promc_label x[] = {{"k", "x"}};
    assert_true(test_value(NULL, "oom_default_total", x, 1) == 1);
    promc_registry_clear(NULL);
    promc_counter_vec_free(c);
    promc_shutdown();
}

static void test_oom_in_the_default_registry_is_an_error_not_a_leak(void **state)
{
    (void)state;
    long runs = exhaust("(e) default registry + first metric", run_default);
    assert_true(runs > 5);
}

/* ------------------------------------------------------------------ */
/* (g) a thread without its state                                      */
/* ------------------------------------------------------------------ */

/* promc_metric_children cannot fail: in a thread whose per-thread state
 * cannot be allocated, it still counts the children of a family without a
 * child limit (walking them without a lock, in the one read section kept
 * for such threads), and a reclaim's grace period after it ends. */
struct stateless_count {
    promc_metric *m;
    size_t counted;
    bool injected;
};

static void *count_without_state(void *arg)
{
    struct stateless_count *a = arg;
    arm(1); /* the thread's state, its first allocation */
    a->counted = promc_metric_children(a->m);
    a->injected = alloc_injected;
    disarm();
    return NULL;
}

static void test_oom_for_a_thread_state_still_counts_children(void **state)
{
    (void)state;
    promc_counter_vec *v =
        promc_counter_vec_new(PROMC_NO_REGISTRY, "stateless", "S.", PROMC_LABELS("k"), NULL);
    assert_non_null(v);
    char k[16];
    for (int i = 0; i < 10; i++) {
        snprintf(k, sizeof k, "k%d", i);
        assert_non_null(promc_counter_vec_labels(v, k));
    }
    assert_int_equal(promc_counter_vec_remove(v, "k3"), PROMC_OK);
    assert_int_equal(promc_counter_vec_remove(v, "k7"), PROMC_OK);
    struct stateless_count a = {.m = promc_counter_vec_metric(v)};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, count_without_state, &a), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(a.injected);
    assert_int_equal(a.counted, 8);
    assert_int_equal(promc_metric_reclaim_removed(a.m), PROMC_OK);
    assert_int_equal(promc_metric_children(a.m), 8);
    promc_counter_vec_free(v);
}

int main(void)
{
    /* Before any other promc call, as promc_set_allocator requires. */
    if (failalloc_install() != PROMC_OK)
        return 1;
    test_pin_clock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom_creating_every_type_is_an_error_not_a_leak),
        cmocka_unit_test(test_oom_creating_children_is_an_error_not_a_leak),
        cmocka_unit_test(test_oom_registering_in_a_second_registry_is_an_error_not_a_leak),
        cmocka_unit_test(test_oom_scraping_is_an_error_not_a_leak),
        cmocka_unit_test(test_oom_scraping_utf8_names_is_an_error_not_a_leak),
        cmocka_unit_test(test_oom_recording_exemplars_is_an_error_not_a_leak),
        cmocka_unit_test(test_oom_in_native_buckets_loses_no_count_and_no_memory),
        cmocka_unit_test(test_oom_in_native_exemplars_loses_no_count_and_no_memory),
        cmocka_unit_test(test_oom_creating_the_default_registry_is_not_permanent),
        cmocka_unit_test(test_oom_in_the_default_registry_is_an_error_not_a_leak),
        cmocka_unit_test(test_oom_for_a_thread_state_still_counts_children),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
