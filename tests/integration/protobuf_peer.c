/*
 * protobuf_peer: writes to stdout, in the delimited protobuf format, a
 * registry filled exactly as tests/integration/golang_peer/main.go fills
 * client_golang's (children created in the order Go sorts them, label names
 * given in sorted order, created samples off: client_golang 1.14 has none),
 * then a native histogram holding the buckets client_golang computes for
 * the same observations, driven through the protobuf sink by hand (promc
 * has no native histograms of its own yet). Exemplars are stamped with the
 * wall clock pinned to the instant the Go program gives its own.
 * compare_golang.sh compares the two outputs family by family, byte for
 * byte.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "encode_protobuf.h"
#include "internal.h"
#include "promc.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "protobuf_peer: %s: %s\n", what, promc_last_error());
        exit(1);
    }
}

static double pinned(void)
{
    return 1700000000.125;
}

static int untyped(promc_emitter *e, void *ud)
{
    (void)ud;
    promc_emit_family(e, "gc_untyped", "Untyped.", PROMC_UNTYPED, NULL);
    return promc_emit_sample(e, NULL, 0, 7);
}

/* The families golang_peer's stamped collector sends, through the *_ts
 * calls. */
static int stamped(promc_emitter *e, void *ud)
{
    (void)ud;
    const int64_t at = 1700000000123;
    promc_emit_family(e, "gc_ts_level", "Stamped gauge.", PROMC_GAUGE, NULL);
    promc_emit_sample_ts(e, (promc_label[]){{"a", "x"}}, 1, 7, at);
    promc_emit_sample_ts(e, (promc_label[]){{"a", "y"}}, 1, 8, -5);
    promc_emit_family(e, "gc_ts_total", "Stamped counter.", PROMC_COUNTER, NULL);
    promc_emit_sample_ts(e, NULL, 0, 3, at);
    promc_emit_family(e, "gc_ts_seconds", "Stamped histogram.", PROMC_HISTOGRAM, NULL);
    promc_emit_histogram_ts(e, NULL, 0, (double[]){0.1, 1}, (uint64_t[]){1, 2}, 2, 3, 2.5, at);
    promc_emit_family(e, "gc_ts_wait_seconds", "Stamped summary.", PROMC_SUMMARY, NULL);
    return promc_emit_summary_ts(e, NULL, 0, (double[]){0.5}, (double[]){1}, 1, 2, 3, at);
}

static int out(void *ctx, const char *data, size_t len)
{
    return fwrite(data, 1, len, ctx) == len ? 0 : -1;
}

int main(void)
{
    promc_registry *r = promc_registry_new();
    check(r != NULL, "registry");
    promc_registry_set_created(r, 0);

    promc_metric *st = promc_collector_new(r, stamped, NULL, NULL, NULL);
    check(st != NULL, "stamped collector");

    promc_counter_vec *c =
        promc_counter_vec_new(r, "gc_requests_total", "Requests \\ \"served\".\nTwo lines.",
                              PROMC_LABELS("code", "method"), NULL);
    check(c != NULL, "counter");
    promc_counter_add(promc_counter_vec_labels(c, "200", "GET"), 3);
    promc_counter_add(promc_counter_vec_labels(c, "500", "P\"O\\ST\n"), 1.5);

    promc_gauge *g = promc_gauge_new(r, "gc_temperature_celsius", "", NULL);
    check(g != NULL, "gauge");
    promc_gauge_set(g, -12.5);

    promc_metric *u = promc_collector_new(r, untyped, NULL, NULL, NULL);
    check(u != NULL, "collector");

    promc_histogram_vec *h = promc_histogram_vec_new(
        r, "gc_latency_seconds", "Latency.", PROMC_LABELS("path"),
        &(promc_histogram_opts){.buckets = (double[]){0.1, 0.5, 1}, .nbuckets = 3});
    check(h != NULL, "histogram");
    promc_histogram *a = promc_histogram_vec_labels(h, "/a");
    promc_histogram_observe(a, 0.05);
    promc_histogram_observe(a, 0.3);
    promc_histogram_observe(a, 0.3);
    promc_histogram_observe(a, 2);
    check(promc_histogram_vec_labels(h, "/b") != NULL, "histogram child");

    promc_summary *s = promc_summary_new(
        r, "gc_rpc_seconds", "RPC.",
        &(promc_summary_opts){.objectives = (promc_objective[]){{0.5, 0.05}, {0.9, 0.01}},
                              .nobjectives = 2});
    check(s != NULL, "summary");
    promc_summary_observe(s, 1);
    promc_summary_observe(s, 2);
    promc_summary_observe(s, 3);

    promc__clock = pinned;
    promc_counter *ec = promc_counter_new(r, "gc_exemplar_total", "With an exemplar.", NULL);
    check(ec != NULL, "exemplar counter");
    const promc_label t1[] = {{"trace_id", "KOO5S4vxi0o"}};
    check(promc_counter_add_exemplar(ec, 2.5, t1, 1) == PROMC_OK, "counter exemplar");
    promc_histogram *eh = promc_histogram_new(
        r, "gc_exemplar_seconds", "Bucket exemplars.",
        &(promc_histogram_opts){.buckets = (double[]){0.1, 0.5, 1}, .nbuckets = 3});
    check(eh != NULL, "exemplar histogram");
    const promc_label t2[] = {{"trace_id", "a\"b\\c\nd"}}, t3[] = {{"trace_id", "slow"}};
    check(promc_histogram_observe_exemplar(eh, 0.07, t2, 1) == PROMC_OK, "bucket exemplar");
    promc_histogram_observe(eh, 0.3);
    /* Above every bound: client_golang writes the +Inf bucket for it. */
    check(promc_histogram_observe_exemplar(eh, 7, t3, 1) == PROMC_OK, "+Inf exemplar");

    check(promc_encode(r, PROMC_FORMAT_PROTOBUF, out, stdout) == PROMC_OK, "encode");

    /* Observations 1.5, 3, -0.5 and 0 at schema 3 (bucket factor 1.1):
     * bucket index ceil(8 log2 |v|) -- 5 and 13, and -8 for -0.5 -- and 0
     * in the zero bucket (threshold 2^-128, client_golang's default). */
    static const struct promc__span pos[] = {{5, 1}, {7, 1}}, neg[] = {{-8, 1}};
    static const int64_t posd[] = {1, 0}, negd[] = {1};
    struct promc__native_data nd = {3, ldexp(1, -128), 1,    2, 1,   pos, neg, 2,
                                    1, posd,           negd, 0, NULL};
    struct promc__histogram_data hd = {.count = 4, .sum = 4, .native = &nd};
    static const struct promc__desc d = {"gc_native_seconds", "Native.", NULL, PROMC_HISTOGRAM};
    struct promc__series x = {.labels = &promc__no_labels, .hist = &hd};
    char buf[256];
    struct promc__protobuf_sink p;
    promc__protobuf_sink_init(&p, out, stdout, buf, sizeof buf);
    promc__sink_family(&p.base, &d);
    promc__sink_series(&p.base, &x);
    check(p.base.ops->finish(&p.base) == PROMC_OK, "native histogram");

    promc_counter_vec_free(c);
    promc_gauge_free(g);
    promc_metric_free(u);
    promc_metric_free(st);
    promc_histogram_vec_free(h);
    promc_summary_free(s);
    promc_counter_free(ec);
    promc_histogram_free(eh);
    promc_registry_free(r);
    return fflush(stdout) == 0 ? 0 : 1;
}
