/*
 * Native histograms: what a scrape hands the sinks (the structured
 * promc__native_data, read here through a sink of the test's own), the text
 * formats of a native-only histogram, a removed child coming back at zero,
 * the exemplars a native histogram keeps and where they show, and
 * snapshots that stay consistent while threads observe, new buckets
 * appear and the bucket limit halves the resolution and widens the zero
 * bucket. The bucket arithmetic itself is checked against client_golang by
 * tests/integration/native_vs_go.sh.
 */
#include "helpers.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "children.h"
#include "metric.h"
#include "sink.h"

/* ------------------------------------------------------------------ */
/* A sink that keeps one histogram series                              */
/* ------------------------------------------------------------------ */

#define MAXB 256

struct snap {
    uint64_t count;
    double sum;
    size_t nbounds;
    uint64_t cumulative[64];
    bool native;
    int32_t schema;
    double zero_threshold;
    uint64_t zero_count;
    uint64_t buckets; /* total of the native buckets, from the deltas */
    size_t npos_spans, nneg_spans, npos, nneg;
    struct promc__span pos_spans[MAXB];
    int64_t pos_deltas[MAXB];
    /* the native exemplars: value, first label's value, timestamp */
    size_t nex;
    double ex_value[64];
    char ex_id[64][32];
    double ex_time[64];
};

struct keep_sink {
    struct promc__sink base;
    struct snap *out;
};

static void keep_family(struct promc__sink *s, const struct promc__desc *d)
{
    (void)s;
    (void)d;
}

static uint64_t total(const int64_t *deltas, size_t n)
{
    int64_t count = 0;
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++) {
        count += deltas[i];
        if (count < 0)
            fail_msg("a bucket count below zero");
        t += (uint64_t)count;
    }
    return t;
}

static void keep_series(struct promc__sink *s, const struct promc__series *x)
{
    struct snap *o = ((struct keep_sink *)s)->out;
    const struct promc__histogram_data *h = x->hist;
    memset(o, 0, sizeof *o);
    o->count = h->count;
    o->sum = h->sum;
    o->nbounds = h->nbounds;
    for (size_t i = 0; i < h->nbounds && i < 64; i++)
        o->cumulative[i] = h->cumulative[i];
    const struct promc__native_data *n = h->native;
    if (!n)
        return;
    o->native = true;
    o->schema = n->schema;
    o->zero_threshold = n->zero_threshold;
    o->zero_count = n->zero_count;
    o->npos_spans = n->npos_spans;
    o->nneg_spans = n->nneg_spans;
    o->npos = n->npos;
    o->nneg = n->nneg;
    for (size_t i = 0; i < n->npos_spans && i < MAXB; i++)
        o->pos_spans[i] = n->pos_spans[i];
    for (size_t i = 0; i < n->npos && i < MAXB; i++)
        o->pos_deltas[i] = n->pos_deltas[i];
    o->buckets = total(n->pos_deltas, n->npos) + total(n->neg_deltas, n->nneg);
    assert_true(n->nexemplars <= 64);
    assert_true((n->exemplars == NULL) == (n->nexemplars == 0));
    o->nex = n->nexemplars;
    for (size_t i = 0; i < n->nexemplars; i++) {
        const struct promc__exemplar *e = &n->exemplars[i];
        o->ex_value[i] = e->value;
        o->ex_time[i] = e->timestamp;
        snprintf(o->ex_id[i], sizeof o->ex_id[i], "%s", e->nlabels ? e->values[0] : "");
    }
}

/* The first labels' values of the native exemplars, space-separated. */
static const char *ex_ids(const struct snap *s)
{
    static char out[64 * 33];
    out[0] = '\0';
    for (size_t i = 0; i < s->nex; i++) {
        if (i)
            strcat(out, " ");
        strcat(out, s->ex_id[i]);
    }
    return out;
}

static int keep_finish(struct promc__sink *s)
{
    return s->error;
}

static const struct promc__sink_ops keep_ops = {keep_family, keep_series, keep_finish};

/* One scrape of series h, as the registry's scrape would take it. */
static void take(promc_histogram *h, struct snap *out)
{
    struct promc__child *c = (struct promc__child *)h;
    struct promc_metric *m = c->family;
    struct keep_sink s = {.base = {.ops = &keep_ops, .desc = &m->desc}, .out = out};
    char body[256];
    assert_true(promc__child_labels_size(c) <= sizeof body);
    struct promc__labels ls = promc__child_labels(c, body);
    m->ops->child_series(m, c, &s.base, &ls);
    assert_int_equal(s.base.error, PROMC_OK);
}

/* ------------------------------------------------------------------ */
/* Formats and options                                                 */
/* ------------------------------------------------------------------ */

static void test_native_only_histogram_shows_inf_sum_and_count(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_histogram_opts o = {.native_bucket_factor = 1.1};
    promc_histogram *h = promc_histogram_new(reg, "lat_seconds", "Latency.", &o);
    assert_non_null(h);
    promc_histogram_observe(h, 0.5);
    promc_histogram_observe(h, -2);
    promc_histogram_observe(h, 0);
    char *text = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(text, "# HELP lat_seconds Latency.\n"
                              "# TYPE lat_seconds histogram\n"
                              "lat_seconds_bucket{le=\"+Inf\"} 3\n"
                              "lat_seconds_sum -1.5\n"
                              "lat_seconds_count 3\n");
    promc_free(text);
    char *om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_string_equal(om, "# TYPE lat_seconds histogram\n"
                            "# HELP lat_seconds Latency.\n"
                            "lat_seconds_bucket{le=\"+Inf\"} 3\n"
                            "lat_seconds_created 1.700000000123e+09\n"
                            "# EOF\n");
    promc_free(om);
    struct snap s;
    take(h, &s);
    assert_true(s.native);
    assert_int_equal(s.nbounds, 0);
    assert_int_equal(s.schema, 3);
    assert_true(s.zero_threshold == 2.938735877055719e-39);
    assert_int_equal(s.zero_count, 1);
    assert_int_equal(s.npos_spans, 1);
    assert_int_equal(s.nneg_spans, 1);
    /* 0.5 = 2^-1: the bucket (2^(-9/8), 2^-1] at schema 3, index -8. */
    assert_int_equal(s.pos_spans[0].offset, -8);
    assert_int_equal(s.pos_spans[0].length, 1);
    assert_int_equal(s.pos_deltas[0], 1);
    assert_int_equal(s.buckets + s.zero_count, s.count);
    promc_histogram_free(h);
    promc_registry_free(reg);
}

static void test_classic_buckets_stay_beside_native_ones(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_histogram_opts o = {
        .buckets = (double[]){1, 2}, .nbuckets = 2, .native_bucket_factor = 2};
    promc_histogram *h = promc_histogram_new(reg, "h", "H.", &o);
    assert_non_null(h);
    promc_histogram_observe(h, 1.5);
    promc_histogram_observe(h, NAN);
    char *text = test_render(reg, PROMC_FORMAT_TEXT);
    assert_string_equal(text,
                        "# HELP h H.\n# TYPE h histogram\n"
                        "h_bucket{le=\"1\"} 0\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
                        "h_sum NaN\nh_count 2\n");
    promc_free(text);
    struct snap s;
    take(h, &s);
    assert_int_equal(s.schema, 0);
    /* NaN is in _count and _sum only, as client_golang has it. */
    assert_int_equal(s.count, 2);
    assert_int_equal(s.buckets + s.zero_count, 1);
    promc_histogram_free(h);
    promc_registry_free(reg);
}

static void test_zero_threshold_zero_keeps_only_exact_zeros(void **state)
{
    (void)state;
    promc_histogram_opts o = {.native_bucket_factor = 1.1,
                              .native_zero_threshold = PROMC_NATIVE_ZERO_THRESHOLD_ZERO};
    promc_histogram *h = promc_histogram_new(PROMC_NO_REGISTRY, "h", "H.", &o);
    assert_non_null(h);
    promc_histogram_observe(h, 0.0);
    promc_histogram_observe(h, -0.0);
    promc_histogram_observe(h, 5e-324);
    struct snap s;
    take(h, &s);
    assert_true(s.zero_threshold == 0);
    assert_int_equal(s.zero_count, 2);
    assert_int_equal(s.buckets, 1);
    promc_histogram_free(h);
}

static void test_removed_child_comes_back_at_zero_and_initial_schema(void **state)
{
    (void)state;
    promc_histogram_opts o = {.native_bucket_factor = 1.1, .native_max_buckets = 2};
    promc_histogram_vec *v =
        promc_histogram_vec_new(PROMC_NO_REGISTRY, "h", "H.", PROMC_LABELS("k"), &o);
    assert_non_null(v);
    promc_histogram *h = promc_histogram_vec_labels(v, "a");
    for (int k = -20; k <= 20; k++)
        promc_histogram_observe(h, ldexp(1, k));
    struct snap s;
    take(h, &s);
    assert_true(s.schema < 3); /* the limit halved the resolution */
    assert_int_equal(s.count, 41);
    assert_int_equal(promc_histogram_vec_remove(v, "a"), PROMC_OK);
    promc_histogram_observe(h, 1); /* detached: counted, not exported */
    assert_ptr_equal(promc_histogram_vec_labels(v, "a"), h);
    take(h, &s);
    assert_int_equal(s.count, 0);
    assert_true(s.sum == 0);
    assert_int_equal(s.schema, 3);
    assert_int_equal(s.npos_spans + s.nneg_spans, 0);
    promc_histogram_observe(h, 1);
    take(h, &s);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.buckets, 1);
    promc_histogram_vec_free(v);
}

/* client_golang keeps a native histogram's exemplars in its classic buckets
 * too: the +Inf one for a native-only histogram. */
static void test_exemplars_of_a_native_only_histogram_go_to_inf(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_histogram_opts o = {.native_bucket_factor = 2};
    promc_histogram_vec *v = promc_histogram_vec_new(reg, "n", "N.", PROMC_LABELS("k"), &o);
    promc_histogram *h = promc_histogram_vec_labels(v, "a");
    static const promc_label ex[] = {{"trace_id", "abc"}};
    assert_int_equal(promc_histogram_observe_exemplar(h, 3, ex, 1), PROMC_OK);
    char *om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_non_null(strstr(om, "n_bucket{k=\"a\",le=\"+Inf\"} 1 # {trace_id=\"abc\"} 3.0 "));
    promc_free(om);
    struct snap s;
    take(h, &s);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.buckets, 1);
    assert_string_equal(ex_ids(&s), "abc"); /* and in the native ones */
    /* Removed and back: no exemplar, no count. */
    assert_int_equal(promc_histogram_vec_remove(v, "a"), PROMC_OK);
    assert_ptr_equal(promc_histogram_vec_labels(v, "a"), h);
    om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_non_null(strstr(om, "n_bucket{k=\"a\",le=\"+Inf\"} 0\n"));
    promc_free(om);
    take(h, &s);
    assert_int_equal(s.nex, 0);
    promc_histogram_vec_free(v);
    promc_registry_free(reg);
}

/* Observes v with the exemplar {trace_id=id}. */
static void observe_ex(promc_histogram *h, double v, const char *id)
{
    const promc_label l[] = {{"trace_id", id}};
    assert_int_equal(promc_histogram_observe_exemplar(h, v, l, 1), PROMC_OK);
}

/* As client_golang (1.21 and later): by default the 10 exemplars a native
 * histogram keeps, by value, spread as its nativeExemplars keeps them
 * (tests/integration/native_exemplars.sh checks the choice itself); NaN
 * observations keep none there. The classic buckets keep theirs as ever,
 * and only they show in the text formats. */
static void test_native_exemplars_are_kept_by_value_and_only_in_protobuf(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_histogram_opts o = {.native_bucket_factor = 2};
    promc_histogram *h = promc_histogram_new(reg, "n", "N.", &o);
    assert_non_null(h);
    static const char *const ids[] = {"t0", "t1", "t2", "t3", "t4", "t5",
                                      "t6", "t7", "t8", "t9", "t10"};
    for (int i = 9; i >= 0; i--)
        observe_ex(h, i + 1, ids[i]);
    struct snap s;
    take(h, &s);
    assert_string_equal(ex_ids(&s), "t0 t1 t2 t3 t4 t5 t6 t7 t8 t9");
    for (size_t i = 0; i < s.nex; i++) {
        assert_true(s.ex_value[i] == (double)i + 1);
        assert_true(s.ex_time[i] == TEST_TIME);
    }
    /* Full: a value equal to a kept one replaces it (at distance 0). */
    observe_ex(h, 5, ids[10]);
    observe_ex(h, NAN, "nan");
    take(h, &s);
    assert_string_equal(ex_ids(&s), "t0 t1 t2 t3 t10 t5 t6 t7 t8 t9");
    assert_int_equal(s.count, 12);

    char *om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_string_equal(om, "# TYPE n histogram\n"
                            "# HELP n N.\n"
                            "n_bucket{le=\"+Inf\"} 12 # {trace_id=\"nan\"} NaN 1.700000000123e+09\n"
                            "n_created 1.700000000123e+09\n"
                            "# EOF\n");
    promc_free(om);
    char *text = test_render(reg, PROMC_FORMAT_TEXT);
    assert_null(strstr(text, "trace_id"));
    promc_free(text);
    promc_histogram_free(h);
    promc_registry_free(reg);
}

/* The golden scrape: a native-only histogram and one with classic buckets
 * beside, both with native exemplars, in protobuf (Histogram.exemplars,
 * field 16, after created_timestamp); tests/data/native_exemplars_scrape
 * .textproto is what python3-protobuf must decode from it (make
 * check-protobuf). */
static void test_native_exemplars_protobuf_golden(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_histogram *n = promc_histogram_new(reg, "rpc_seconds", "Native only.",
                                             &(promc_histogram_opts){.native_bucket_factor = 1.1});
    promc_histogram *b = promc_histogram_new(reg, "io_bytes", "Both kinds.",
                                             &(promc_histogram_opts){.buckets = (double[]){1024},
                                                                     .nbuckets = 1,
                                                                     .native_bucket_factor = 2,
                                                                     .native_max_exemplars = 2});
    assert_non_null(n);
    assert_non_null(b);
    observe_ex(n, 0.25, "a1");
    const promc_label two[] = {{"trace_id", "a2"}, {"span_id", "s\"2"}};
    assert_int_equal(promc_histogram_observe_exemplar(n, 0.125, two, 2), PROMC_OK);
    assert_int_equal(promc_histogram_observe_exemplar(n, 3, NULL, 0), PROMC_OK);
    promc_histogram_observe(n, 0.5);
    observe_ex(b, 100, "b1");
    observe_ex(b, 4096, "b2");
    observe_ex(b, 2000, "b3"); /* full: 4096 is the nearer neighbour */
    test_golden_protobuf(reg, "native_exemplars_scrape.pb");
    promc_histogram_free(n);
    promc_histogram_free(b);
    promc_registry_free(reg);
}

/* native_max_exemplars and native_exemplar_ttl_seconds, as client_golang's
 * NativeHistogramMaxExemplars and NativeHistogramExemplarTTL: a negative
 * maximum keeps none (the classic buckets still do); a negative TTL always
 * replaces the oldest (all equally old here: the first, the lowest). */
static void test_native_exemplar_options(void **state)
{
    (void)state;
    promc_histogram_opts o = {
        .native_bucket_factor = 2, .native_max_exemplars = 3, .native_exemplar_ttl_seconds = -1};
    promc_histogram *h = promc_histogram_new(PROMC_NO_REGISTRY, "h", "H.", &o);
    assert_non_null(h);
    observe_ex(h, 1, "a");
    observe_ex(h, 2, "b");
    observe_ex(h, 3, "c");
    observe_ex(h, 1.5, "d");
    struct snap s;
    take(h, &s);
    assert_string_equal(ex_ids(&s), "d b c");
    promc_histogram_free(h);

    o.native_max_exemplars = -1;
    o.native_exemplar_ttl_seconds = 0;
    h = promc_histogram_new(PROMC_NO_REGISTRY, "h", "H.", &o);
    assert_non_null(h);
    observe_ex(h, 1, "a");
    take(h, &s);
    assert_int_equal(s.nex, 0);
    assert_int_equal(s.count, 1);
    promc_histogram_free(h);
}

/* A reset by the bucket limit forgets the counts, not the exemplars (as in
 * client_golang, whose maybeReset leaves nativeExemplars alone). */
static void test_native_exemplars_outlive_a_bucket_limit_reset(void **state)
{
    (void)state;
    promc_histogram_opts o = {
        .native_bucket_factor = 2, .native_max_buckets = 1, .native_min_reset_seconds = 1e-9};
    promc_histogram *h = promc_histogram_new(PROMC_NO_REGISTRY, "h", "H.", &o);
    assert_non_null(h);
    observe_ex(h, 1, "a");
    observe_ex(h, 100, "b"); /* a second bucket: reset */
    struct snap s;
    take(h, &s);
    assert_int_equal(s.count, 1);
    assert_string_equal(ex_ids(&s), "a b");
    promc_histogram_free(h);
}

/* A minimum reset duration not yet passed: the limit halves the resolution
 * instead, keeping every count; one that has always passed (1 ns) resets,
 * keeping only the observation that crossed the limit. */
static void test_the_limit_resets_only_after_the_minimum_duration(void **state)
{
    (void)state;
    promc_histogram_opts o = {
        .native_bucket_factor = 1.1, .native_max_buckets = 4, .native_min_reset_seconds = 3600};
    promc_histogram *h = promc_histogram_new(PROMC_NO_REGISTRY, "h", "H.", &o);
    for (int k = 0; k < 10; k++)
        promc_histogram_observe(h, ldexp(1, k * 3));
    struct snap s;
    take(h, &s);
    assert_int_equal(s.count, 10);
    assert_int_equal(s.buckets, 10);
    assert_true(s.schema < 3);
    promc_histogram_free(h);

    o.native_min_reset_seconds = 1e-9;
    h = promc_histogram_new(PROMC_NO_REGISTRY, "h", "H.", &o);
    for (int k = 0; k < 5; k++)
        promc_histogram_observe(h, ldexp(1, k * 3));
    take(h, &s);
    assert_int_equal(s.count, 1); /* the fifth bucket reset everything */
    assert_true(s.sum == ldexp(1, 12));
    assert_int_equal(s.schema, 3);
    promc_histogram_free(h);
}

/* ------------------------------------------------------------------ */
/* Concurrency                                                         */
/* ------------------------------------------------------------------ */

/* Observers write 2^k (k = -10..10), 0 and -1 in a stream whose range grows,
 * so new buckets appear all along and the limit of 8 buckets halves the
 * resolution (and, for the second histogram, widens the zero bucket) while
 * scrapes run. Classic buckets at -1, 0 and every 2^k count each value
 * apart, so a snapshot's sum can be checked exactly against its buckets
 * (every partial sum is exact in a double). */
#define OBSERVERS    2
#define PER_OBSERVER 200000
#define NCLASSIC     23

static double classic_bounds[NCLASSIC];
static atomic_int observers_left;

struct observer {
    promc_histogram *h[2];
    int id;
    uint64_t n; /* observations into each; 0: PER_OBSERVER */
};

static double value_for(uint64_t i, int id)
{
    uint64_t span = 1 + i * 23 / PER_OBSERVER; /* how many of the 23 values so far */
    uint64_t pick = (i * 7 + (uint64_t)id) % span;
    return classic_bounds[NCLASSIC - 1 - pick];
}

static void *observer_main(void *arg)
{
    struct observer *o = arg;
    uint64_t n = o->n ? o->n : PER_OBSERVER;
    for (uint64_t i = 0; i < n; i++) {
        double v = value_for(i * (PER_OBSERVER / n), o->id);
        promc_histogram_observe(o->h[0], v);
        promc_histogram_observe(o->h[1], v);
    }
    atomic_fetch_sub(&observers_left, 1);
    return NULL;
}

static void check_snapshot(const struct snap *s)
{
    assert_true(s->native);
    assert_int_equal(s->zero_count + s->buckets, s->count);
    assert_int_equal(s->nbounds, NCLASSIC);
    double sum = 0;
    uint64_t prev = 0;
    for (size_t i = 0; i < NCLASSIC; i++) {
        sum += (double)(s->cumulative[i] - prev) * classic_bounds[i];
        prev = s->cumulative[i];
    }
    assert_int_equal(prev, s->count);
    if (sum != s->sum)
        fail_msg("sum %.17g does not belong to the buckets (%.17g)", s->sum, sum);
    assert_true(s->schema >= -4 && s->schema <= 3);
}

static void test_snapshots_stay_consistent_while_the_limit_reshapes_buckets(void **state)
{
    (void)state;
    classic_bounds[0] = -1;
    classic_bounds[1] = 0;
    for (int k = -10; k <= 10; k++)
        classic_bounds[k + 12] = ldexp(1, k);
    promc_histogram_opts halve = {.buckets = classic_bounds,
                                  .nbuckets = NCLASSIC,
                                  .native_bucket_factor = 1.1,
                                  .native_max_buckets = 8};
    promc_histogram_opts widen = halve;
    widen.native_max_zero_threshold = 0.5;
    widen.native_zero_threshold = PROMC_NATIVE_ZERO_THRESHOLD_ZERO;
    promc_histogram *h[2] = {promc_histogram_new(PROMC_NO_REGISTRY, "a", "A.", &halve),
                             promc_histogram_new(PROMC_NO_REGISTRY, "b", "B.", &widen)};
    assert_non_null(h[0]);
    assert_non_null(h[1]);
    pthread_t t[OBSERVERS];
    struct observer o[OBSERVERS];
    atomic_store(&observers_left, OBSERVERS);
    for (int i = 0; i < OBSERVERS; i++) {
        o[i] = (struct observer){{h[0], h[1]}, i, 0};
        assert_int_equal(pthread_create(&t[i], NULL, observer_main, &o[i]), 0);
    }
    struct snap s;
    long scrapes = 0;
    while (atomic_load(&observers_left) > 0) {
        take(h[scrapes & 1], &s);
        check_snapshot(&s);
        scrapes++;
    }
    for (int i = 0; i < OBSERVERS; i++)
        pthread_join(t[i], NULL);
    assert_true(scrapes > 0);
    print_message("%ld scrapes while observing\n", scrapes);
    for (int i = 0; i < 2; i++) {
        take(h[i], &s);
        check_snapshot(&s);
        assert_int_equal(s.count, (uint64_t)OBSERVERS * PER_OBSERVER);
        assert_true(s.schema < 3);
    }
    assert_true(s.zero_threshold > 0); /* the second one widened its zero bucket */
    assert_true(s.zero_threshold <= 0.5);
    promc_histogram_free(h[0]);
    promc_histogram_free(h[1]);
}

/* The same, with a vec child removed and looked up again (reset while
 * observers write into it) every few scrapes. */
static void test_a_child_reset_while_observed_keeps_snapshots_consistent(void **state)
{
    (void)state;
    promc_histogram_opts opts = {.buckets = classic_bounds,
                                 .nbuckets = NCLASSIC,
                                 .native_bucket_factor = 1.5,
                                 .native_max_buckets = 6,
                                 .native_max_zero_threshold = 0.25};
    promc_histogram_vec *v =
        promc_histogram_vec_new(PROMC_NO_REGISTRY, "v", "V.", PROMC_LABELS("k"), &opts);
    assert_non_null(v);
    promc_histogram *h = promc_histogram_vec_labels(v, "a");
    pthread_t t[OBSERVERS];
    struct observer o[OBSERVERS];
    atomic_store(&observers_left, OBSERVERS);
    for (int i = 0; i < OBSERVERS; i++) {
        o[i] = (struct observer){{h, h}, i, 0};
        assert_int_equal(pthread_create(&t[i], NULL, observer_main, &o[i]), 0);
    }
    struct snap s;
    long resets = 0;
    for (long i = 0; atomic_load(&observers_left) > 0; i++) {
        take(h, &s);
        check_snapshot(&s);
        if (i % 16 == 15) {
            assert_int_equal(promc_histogram_vec_remove(v, "a"), PROMC_OK);
            assert_ptr_equal(promc_histogram_vec_labels(v, "a"), h);
            resets++;
        }
    }
    for (int i = 0; i < OBSERVERS; i++)
        pthread_join(t[i], NULL);
    take(h, &s);
    check_snapshot(&s);
    print_message("%ld resets while observing\n", resets);
    promc_histogram_vec_free(v);
}

/* More observers than the stripes that keep _count and _sum (so stripes
 * are shared too), into a histogram whose limit halves the resolution and
 * one that resets whenever it is over the limit: snapshots stay consistent
 * across the stripes, and the first loses no observation. */
#define MANY_OBSERVERS 12
#define MANY_PER       20000

static void test_more_threads_than_stripes_keep_snapshots_consistent(void **state)
{
    (void)state;
    promc_histogram_opts halve = {.buckets = classic_bounds,
                                  .nbuckets = NCLASSIC,
                                  .native_bucket_factor = 1.1,
                                  .native_max_buckets = 8};
    promc_histogram_opts reset = halve;
    reset.native_min_reset_seconds = 1e-9;
    promc_histogram *h[2] = {promc_histogram_new(PROMC_NO_REGISTRY, "a", "A.", &halve),
                             promc_histogram_new(PROMC_NO_REGISTRY, "r", "R.", &reset)};
    assert_non_null(h[0]);
    assert_non_null(h[1]);
    pthread_t t[MANY_OBSERVERS];
    struct observer o[MANY_OBSERVERS];
    atomic_store(&observers_left, MANY_OBSERVERS);
    for (int i = 0; i < MANY_OBSERVERS; i++) {
        o[i] = (struct observer){{h[0], h[1]}, i, MANY_PER};
        assert_int_equal(pthread_create(&t[i], NULL, observer_main, &o[i]), 0);
    }
    struct snap s;
    long scrapes = 0;
    while (atomic_load(&observers_left) > 0) {
        take(h[scrapes & 1], &s);
        check_snapshot(&s);
        scrapes++;
    }
    for (int i = 0; i < MANY_OBSERVERS; i++)
        pthread_join(t[i], NULL);
    take(h[0], &s);
    check_snapshot(&s);
    assert_int_equal(s.count, (uint64_t)MANY_OBSERVERS * MANY_PER);
    take(h[1], &s);
    check_snapshot(&s);
    assert_true(s.count < (uint64_t)MANY_OBSERVERS * MANY_PER); /* resets dropped some */
    print_message("%ld scrapes while %d threads observed\n", scrapes, MANY_OBSERVERS);
    promc_histogram_free(h[0]);
    promc_histogram_free(h[1]);
}

/* Observers keep exemplars while scrapes run: every snapshot holds at most
 * the maximum, in value order, each exemplar whole (its label spells its
 * value), and none of an observation the snapshot's count leaves out. */
#define EX_OBSERVERS    2
#define EX_PER_OBSERVER 20000

static void *exemplar_observer_main(void *arg)
{
    struct observer *o = arg;
    for (uint64_t i = 0; i < EX_PER_OBSERVER; i++) {
        double v = (double)(i * EX_OBSERVERS + (uint64_t)o->id + 1);
        char id[32];
        snprintf(id, sizeof id, "%.17g", v);
        const promc_label l[] = {{"trace_id", id}};
        assert_int_equal(promc_histogram_observe_exemplar(o->h[0], v, l, 1), PROMC_OK);
    }
    atomic_fetch_sub(&observers_left, 1);
    return NULL;
}

static void check_exemplars(const struct snap *s, size_t max)
{
    assert_true(s->nex <= max);
    assert_true(s->nex <= s->count);
    for (size_t i = 0; i < s->nex; i++) {
        char want[32];
        snprintf(want, sizeof want, "%.17g", s->ex_value[i]);
        assert_string_equal(s->ex_id[i], want);
        /* Value v is observer (v - 1) % N's observation (v - 1) / N: the
         * count includes at least that many + 1. */
        assert_true((uint64_t)(s->ex_value[i] - 1) / EX_OBSERVERS + 1 <= s->count);
        if (i)
            assert_true(s->ex_value[i - 1] <= s->ex_value[i]);
    }
}

static void test_native_exemplars_stay_whole_while_observed(void **state)
{
    (void)state;
    promc_histogram_opts opts = {
        .native_bucket_factor = 1.5, .native_max_buckets = 16, .native_max_exemplars = 5};
    promc_histogram *h = promc_histogram_new(PROMC_NO_REGISTRY, "x", "X.", &opts);
    assert_non_null(h);
    pthread_t t[EX_OBSERVERS];
    struct observer o[EX_OBSERVERS];
    atomic_store(&observers_left, EX_OBSERVERS);
    for (int i = 0; i < EX_OBSERVERS; i++) {
        o[i] = (struct observer){{h, h}, i, 0};
        assert_int_equal(pthread_create(&t[i], NULL, exemplar_observer_main, &o[i]), 0);
    }
    struct snap s;
    long scrapes = 0;
    while (atomic_load(&observers_left) > 0) {
        take(h, &s);
        check_exemplars(&s, 5);
        scrapes++;
    }
    for (int i = 0; i < EX_OBSERVERS; i++)
        pthread_join(t[i], NULL);
    take(h, &s);
    check_exemplars(&s, 5);
    assert_int_equal(s.nex, 5);
    assert_int_equal(s.count, EX_OBSERVERS * EX_PER_OBSERVER);
    print_message("%ld scrapes while keeping exemplars\n", scrapes);
    promc_histogram_free(h);
}

int main(void)
{
    test_pin_clock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_native_only_histogram_shows_inf_sum_and_count),
        cmocka_unit_test(test_classic_buckets_stay_beside_native_ones),
        cmocka_unit_test(test_zero_threshold_zero_keeps_only_exact_zeros),
        cmocka_unit_test(test_removed_child_comes_back_at_zero_and_initial_schema),
        cmocka_unit_test(test_the_limit_resets_only_after_the_minimum_duration),
        cmocka_unit_test(test_exemplars_of_a_native_only_histogram_go_to_inf),
        cmocka_unit_test(test_native_exemplars_are_kept_by_value_and_only_in_protobuf),
        cmocka_unit_test(test_native_exemplars_protobuf_golden),
        cmocka_unit_test(test_native_exemplar_options),
        cmocka_unit_test(test_native_exemplars_outlive_a_bucket_limit_reset),
        cmocka_unit_test(test_snapshots_stay_consistent_while_the_limit_reshapes_buckets),
        cmocka_unit_test(test_a_child_reset_while_observed_keeps_snapshots_consistent),
        cmocka_unit_test(test_more_threads_than_stripes_keep_snapshots_consistent),
        cmocka_unit_test(test_native_exemplars_stay_whole_while_observed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
