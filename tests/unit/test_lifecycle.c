/*
 * Pins the lifetime rules of promc.h, for valgrind (make valgrind) to check:
 * a metric lives until its creator and every registry holding it have let go,
 * in either order; children die with remove, clear and their family; a full
 * create/use/scrape/free cycle of every type, in own registries and in the
 * default one (emptied with promc_registry_clear), leaves nothing allocated;
 * so does a collection that outlived its scrape's deadline and its
 * collector, once promc_shutdown joined the collector threads.
 */
#include "helpers.h"

#include <math.h>
#include <time.h>

static int userdata_frees;

static void free_userdata(void *p)
{
    userdata_frees++;
    free(p);
}

static int collect(promc_emitter *e, void *userdata)
{
    const double *depth = userdata;
    const promc_label l[] = {{"queue", "default"}};
    static const double bounds[] = {1, 2};
    static const uint64_t cumulative[] = {1, 2};
    if (promc_emit_family(e, "life_queue_depth", "Queue depth.", PROMC_GAUGE, NULL) != PROMC_OK ||
        promc_emit_sample(e, l, 1, *depth) != PROMC_OK ||
        promc_emit_family(e, "life_queue_wait_seconds", "Wait.", PROMC_HISTOGRAM, "seconds") !=
            PROMC_OK ||
        promc_emit_histogram(e, l, 1, bounds, cumulative, 2, 3, 4.5) != PROMC_OK)
        return -1;
    return 0;
}

static void want_sample(promc_registry *reg, const char *name, const promc_label *labels, size_t n,
                        double want)
{
    double got = test_value(reg, name, labels, n);
    if (got != want)
        fail_msg("%s: got %.17g, want %.17g", name, got, want);
}

static void want_absent(promc_registry *reg, const char *name, const promc_label *labels, size_t n)
{
    double v;
    assert_int_equal(promc_registry_get_sample_value(reg, name, labels, n, &v), PROMC_ENOENT);
}

/* Both formats render, and contain (or not) a sample name. */
static void want_rendered(promc_registry *reg, const char *needle, bool present)
{
    for (int f = 0; f < 2; f++) {
        char *s = test_render(reg, f ? PROMC_FORMAT_OPENMETRICS : PROMC_FORMAT_TEXT);
        if ((strstr(s, needle) != NULL) != present)
            fail_msg("\"%s\" %s the %s exposition:\n%s", needle,
                     present ? "missing from" : "still in", f ? "OpenMetrics" : "text", s);
        promc_free(s);
    }
}

static void test_every_type_created_used_scraped_and_freed_leaves_nothing(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    assert_non_null(reg);

    /* Counter: children, remove, clear, children again. */
    promc_counter_vec *c = promc_counter_vec_new(reg, "life_requests_total", "Requests.",
                                                 PROMC_LABELS("method", "code"), NULL);
    assert_non_null(c);
    promc_counter_inc(promc_counter_vec_labels(c, "GET", "200"));
    promc_counter_add_int(promc_counter_vec_labels(c, "POST", "500"), 2);
    assert_int_equal(promc_counter_add(promc_counter_vec_labels(c, "PUT", "201"), 1.5), PROMC_OK);
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(c)), 3);
    assert_int_equal(promc_counter_vec_remove(c, "POST", "500"), PROMC_OK);
    assert_int_equal(promc_counter_vec_remove(c, "POST", "500"), PROMC_ENOENT);
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(c)), 2);
    const promc_label get200[] = {{"method", "GET"}, {"code", "200"}};
    const promc_label post500[] = {{"method", "POST"}, {"code", "500"}};
    want_sample(reg, "life_requests_total", get200, 2, 1);
    want_absent(reg, "life_requests_total", post500, 2);
    promc_counter_vec_clear(c);
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(c)), 0);
    want_absent(reg, "life_requests_total", get200, 2);
    promc_counter_add_int(promc_counter_vec_labels(c, "GET", "200"), 5);
    want_sample(reg, "life_requests_total", get200, 2, 5);

    /* Gauge: unlabelled and labelled. */
    promc_gauge *g = promc_gauge_new(reg, "life_temperature", "Temperature.", NULL);
    promc_gauge_vec *gl =
        promc_gauge_vec_new(reg, "life_pool_size", "Pool size.", PROMC_LABELS("pool"), NULL);
    assert_non_null(g);
    assert_non_null(gl);
    promc_gauge_set(g, 21.5);
    promc_gauge_inc(promc_gauge_vec_labels(gl, "a"));
    promc_gauge_set(promc_gauge_vec_labels(gl, "b"), 7);
    assert_int_equal(promc_gauge_vec_remove(gl, "a"), PROMC_OK);
    want_sample(reg, "life_temperature", NULL, 0, 21.5);

    /* Histogram: default buckets, children removed and cleared. */
    promc_histogram_vec *h = promc_histogram_vec_new(reg, "life_latency_seconds", "Latency.",
                                                     PROMC_LABELS("route"), NULL);
    assert_non_null(h);
    promc_histogram_observe(promc_histogram_vec_labels(h, "/"), 0.2);
    promc_histogram_observe(promc_histogram_vec_labels(h, "/"), 3);
    promc_histogram_observe(promc_histogram_vec_labels(h, "/gone"), 1);
    assert_int_equal(promc_histogram_vec_remove(h, "/gone"), PROMC_OK);
    const promc_label root_le[] = {{"route", "/"}, {"le", "0.25"}};
    want_sample(reg, "life_latency_seconds_bucket", root_le, 2, 1);

    /* Native histogram: buckets created, the limit halving the resolution
     * and widening the zero bucket, exemplars kept (more than fit), a child
     * removed, reset and removed. */
    const promc_histogram_opts nopts = {.native_bucket_factor = 1.05,
                                        .native_max_buckets = 12,
                                        .native_max_zero_threshold = 1e-3,
                                        .buckets = (const double[]){1, 10},
                                        .nbuckets = 2};
    promc_histogram_vec *nh = promc_histogram_vec_new(reg, "life_native_seconds", "Native.",
                                                      PROMC_LABELS("route"), &nopts);
    assert_non_null(nh);
    for (int k = -30; k <= 30; k++) {
        promc_histogram_observe(promc_histogram_vec_labels(nh, "/"), ldexp(1.3, k));
        const promc_label ex[] = {{"trace_id", k % 2 ? "odd" : "an even longer trace id"}};
        assert_int_equal(promc_histogram_observe_exemplar(promc_histogram_vec_labels(nh, "/gone"),
                                                          -ldexp(1, k), ex, 1),
                         PROMC_OK);
    }
    assert_int_equal(promc_histogram_vec_remove(nh, "/gone"), PROMC_OK);
    promc_histogram_observe_exemplar(promc_histogram_vec_labels(nh, "/gone"), 2, NULL, 0);
    assert_int_equal(promc_histogram_vec_remove(nh, "/gone"), PROMC_OK);
    const promc_label native_root[] = {{"route", "/"}};
    want_sample(reg, "life_native_seconds_count", native_root, 1, 61);

    /* Summary with objectives: each child owns a quantile window. */
    static const promc_objective obj[] = {{0.5, 0.05}, {0.9, 0.01}};
    const promc_summary_opts sopts = {.objectives = obj, .nobjectives = 2};
    promc_summary_vec *s =
        promc_summary_vec_new(reg, "life_size_bytes", "Sizes.", PROMC_LABELS("kind"), &sopts);
    promc_summary *sp = promc_summary_new(reg, "life_plain_bytes", "Plain.", NULL);
    assert_non_null(s);
    assert_non_null(sp);
    for (int i = 1; i <= 1200; i++) { /* past the 500-value buffer: streams merge */
        promc_summary_observe(promc_summary_vec_labels(s, "a"), i);
        promc_summary_observe(sp, i);
    }
    promc_summary_observe(promc_summary_vec_labels(s, "b"), 1);
    assert_int_equal(promc_summary_vec_remove(s, "b"), PROMC_OK);
    const promc_label kind_a[] = {{"kind", "a"}};
    want_sample(reg, "life_size_bytes_count", kind_a, 1, 1200);
    promc_summary_vec_clear(s);
    promc_summary_observe(promc_summary_vec_labels(s, "c"), 2);

    /* Enum and info. */
    promc_enum_vec *e = promc_enum_vec_new(reg, "life_state", "State.", PROMC_LABELS("unit"),
                                           PROMC_LABELS("starting", "running"), NULL);
    assert_non_null(e);
    assert_int_equal(promc_enum_set(promc_enum_vec_labels(e, "web"), "running"), PROMC_OK);
    assert_int_equal(promc_enum_set_index(promc_enum_vec_labels(e, "db"), 0), PROMC_OK);
    assert_int_equal(promc_enum_vec_remove(e, "db"), PROMC_OK);
    const promc_label pairs[] = {{"version", "1.0"}, {"commit", "abc"}};
    promc_info *info = promc_info_new(reg, "life_build", "Build.", pairs, 2, NULL);
    assert_non_null(info);

    /* A collector owning heap userdata, freed by free_fn when destroyed. */
    double *depth = malloc(sizeof *depth);
    assert_non_null(depth);
    *depth = 4;
    int frees = userdata_frees;
    promc_metric *coll =
        promc_collector_new(reg, collect, depth, free_userdata, PROMC_LABELS("life_queue_depth"));
    assert_non_null(coll);
    const promc_label queue[] = {{"queue", "default"}};
    want_sample(reg, "life_queue_depth", queue, 1, 4);

    /* One metric in two registries; unregistered from the first, it lives
     * on in the second. */
    promc_registry *reg2 = promc_registry_new();
    assert_non_null(reg2);
    assert_int_equal(promc_registry_register(reg2, promc_counter_vec_metric(c)), PROMC_OK);
    assert_int_equal(promc_registry_register(reg2, promc_histogram_vec_metric(h)), PROMC_OK);
    assert_int_equal(promc_registry_register(reg2, promc_histogram_vec_metric(h)), PROMC_EEXIST);
    assert_int_equal(promc_registry_unregister(reg, promc_histogram_vec_metric(h)), PROMC_OK);
    assert_int_equal(promc_registry_unregister(reg, promc_histogram_vec_metric(h)), PROMC_ENOENT);
    want_rendered(reg, "life_latency_seconds", false);
    want_rendered(reg2, "life_latency_seconds_bucket", true);
    want_sample(reg2, "life_requests_total", get200, 2, 5);

    /* Scrape everything in both formats. */
    want_rendered(reg, "life_size_bytes{kind=\"c\",quantile=\"0.5\"}", true);
    want_rendered(reg, "life_queue_wait_seconds_bucket", true);
    want_rendered(reg, "life_build_info", true);
    want_rendered(reg, "life_state{unit=\"web\",life_state=\"running\"} 1", true);

    /* The creator lets go first: the registry keeps the metric alive. */
    promc_gauge_free(g);
    want_sample(reg, "life_temperature", NULL, 0, 21.5);
    /* The registries let go first: the handle stays valid. */
    assert_int_equal(promc_registry_unregister(reg2, promc_histogram_vec_metric(h)), PROMC_OK);
    promc_histogram_observe(promc_histogram_vec_labels(h, "/"), 1);
    promc_histogram_vec_free(h);
    promc_histogram_vec_free(nh);
    /* A collector freed by its creator lives on in the registry. */
    promc_metric_free(coll);
    assert_int_equal(userdata_frees, frees);
    want_sample(reg, "life_queue_depth", queue, 1, 4);

    /* The counter is in both registries: freeing one keeps it in the other. */
    promc_counter_vec_free(c);
    promc_registry_free(reg2);
    want_sample(reg, "life_requests_total", get200, 2, 5);

    promc_gauge_vec_free(gl);
    promc_summary_vec_free(s);
    promc_summary_free(sp);
    promc_enum_vec_free(e);
    promc_info_free(info);
    promc_registry_free(reg); /* the last reference to g, coll and c */
    assert_int_equal(userdata_frees, frees + 1);
}

static void test_metric_outside_any_registry_is_freed_by_its_creator(void **state)
{
    (void)state;
    promc_histogram *h = promc_histogram_new(PROMC_NO_REGISTRY, "life_free_seconds", "Free.", NULL);
    assert_non_null(h);
    promc_histogram_observe(h, 1);
    promc_registry *reg = promc_registry_new();
    assert_non_null(reg);
    assert_int_equal(promc_registry_register(reg, promc_histogram_metric(h)), PROMC_OK);
    want_sample(reg, "life_free_seconds_count", NULL, 0, 1);
    promc_registry_free(reg); /* drops the registry's reference only */
    promc_histogram_observe(h, 2);
    assert_true(promc_histogram_metric(h) != NULL);
    promc_histogram_free(h);

    /* A failed registration takes no reference: the creator's free is the last. */
    promc_registry *a = promc_registry_new();
    promc_counter *first = promc_counter_new(a, "life_dup_total", "Dup.", NULL);
    promc_counter *second = promc_counter_new(PROMC_NO_REGISTRY, "life_dup", "Dup.", NULL);
    assert_non_null(first);
    assert_non_null(second);
    assert_int_equal(promc_registry_register(a, promc_counter_metric(second)), PROMC_EEXIST);
    /* refused, nothing kept */
    assert_null(promc_counter_new(a, "life_dup", "Another help.", NULL));
    /* The same definition again: the registered one, with a reference of its own. */
    promc_counter *again = promc_counter_new(a, "life_dup", "Dup.", NULL);
    assert_ptr_equal(again, first);
    assert_int_equal(promc_counter_free(again), PROMC_OK);
    promc_counter_free(second);
    promc_counter_free(first);
    promc_registry_free(a);
}

/* Uses the default registry: metrics created with reg NULL, scraped through
 * NULL, then promc_registry_clear(promc_default_registry()) and the handles
 * freed. promc_shutdown() then frees the registry and its process collector,
 * so valgrind sees nothing at all, not even "still reachable" blocks. */
static void test_default_registry_cleared_then_handles_freed_leaves_nothing(void **state)
{
    (void)state;
    promc_counter_vec *c =
        promc_counter_vec_new(NULL, "life_default_total", "Default.", PROMC_LABELS("k"), NULL);
    promc_histogram *h = promc_histogram_new(NULL, "life_default_seconds", "Default.", NULL);
    promc_gauge *g = promc_gauge_new(NULL, "life_default_level", "Default.", NULL);
    assert_non_null(c);
    assert_non_null(h);
    assert_non_null(g);
    promc_counter_inc(promc_counter_vec_labels(c, "x"));
    promc_histogram_observe(h, 0.3);
    promc_gauge_set(g, 2);
    const promc_label x[] = {{"k", "x"}};
    want_sample(NULL, "life_default_total", x, 1, 1);
    want_rendered(NULL, "life_default_seconds_bucket", true);
    want_rendered(promc_default_registry(), "life_default_level 2", true);

    promc_registry_clear(promc_default_registry());
    want_rendered(NULL, "life_default", false);
    promc_counter_inc(promc_counter_vec_labels(c, "x")); /* the creator's handles still work */
    assert_true(promc_counter_get(promc_counter_vec_labels(c, "x")) == 2);
    promc_counter_vec_free(c);
    promc_histogram_free(h);
    promc_gauge_free(g);

    /* Usable again after the clear; cleared again at the end. */
    promc_gauge *again = promc_gauge_new(NULL, "life_default_level", "Default.", NULL);
    assert_non_null(again);
    promc_gauge_free(again); /* the default registry still holds it */
    want_rendered(NULL, "life_default_level 0", true);
    promc_registry_clear(NULL);
    want_rendered(NULL, "life_default", false);

    /* The process collector came with the default registry and survives the
     * clear (its own reference); shutdown frees both. */
    assert_non_null(promc_default_process_collector());
    promc_shutdown();
    /* A later use starts a new, empty default registry; shut down again. */
    promc_gauge *fresh = promc_gauge_new(NULL, "life_default_level", "Default.", NULL);
    assert_non_null(fresh);
    want_rendered(NULL, "life_default_level 0", true);
    promc_gauge_free(fresh);
    promc_shutdown();
}

/* Takes half a second: longer than the scrape below waits. */
static int collect_slowly(promc_emitter *e, void *userdata)
{
    struct timespec ts = {0, 500000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    if (promc_emit_family(e, "life_slow", "Slow.", PROMC_GAUGE, NULL) != PROMC_OK ||
        promc_emit_sample(e, NULL, 0, *(const double *)userdata) != PROMC_OK)
        return 1;
    return 0;
}

/* A scrape with a deadline leaves a collection running on a collector
 * thread; its collector and registry are freed meanwhile; the collection
 * ends, drops the last reference (free_fn runs) and promc_shutdown joins
 * the thread: nothing is left. */
static void test_late_collection_and_shutdown_leave_nothing(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    double *value = malloc(sizeof *value);
    assert_true(reg && value);
    *value = 3;
    int frees = userdata_frees;
    promc_metric *m =
        promc_collector_new_opts(reg, collect_slowly, value, free_userdata, NULL,
                                 &(promc_collector_opts){.name = "slowly", .max_stale = 60});
    assert_non_null(m);
    char *text =
        promc_encode_buffer_ex(reg, PROMC_FORMAT_TEXT, NULL, &(promc_scrape_opts){.timeout = 0.02});
    assert_non_null(text);
    assert_null(strstr(text, "life_slow"));
    assert_non_null(strstr(text, "promc_collector_timeouts_total{collector=\"slowly\"} 1\n"));
    promc_free(text);
    promc_metric_free(m);
    promc_registry_free(reg);
    assert_int_equal(userdata_frees, frees); /* the collection still runs */
    promc_shutdown();                        /* waits for it */
    assert_int_equal(userdata_frees, frees + 1);
}

int main(void)
{
    test_pin_clock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type_created_used_scraped_and_freed_leaves_nothing),
        cmocka_unit_test(test_metric_outside_any_registry_is_freed_by_its_creator),
        cmocka_unit_test(test_default_registry_cleared_then_handles_freed_leaves_nothing),
        cmocka_unit_test(test_late_collection_and_shutdown_leave_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
