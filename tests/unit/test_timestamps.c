/*
 * Explicit timestamps on what a custom collector emits (promc_emit_*_ts):
 * every family type in text 0.0.4 and OpenMetrics, byte for byte against
 * golden files. The text file's first five families are client_golang
 * 1.14's output for the same metrics (NewMetricWithTimestamp), verbatim;
 * the OpenMetrics file has the same sample values, with the timestamps as
 * exact decimal seconds (client_golang: 1.700000000123e+09, which python's
 * parser misreads) and promc's TYPE, HELP order. make interop reads both
 * files with client_python's parsers and promtool (check_timestamps.py);
 * protobuf is compared with client_golang's bytes by compare_golang.sh
 * (the same families), and its Metric.timestamp_ms field is checked here
 * directly. A refused series is left out, timestamp and all, and the next
 * series without _ts has none.
 */
#include "helpers.h"

static int stamped(promc_emitter *e, void *ud)
{
    (void)ud;
    const int64_t at = 1700000000123;
    promc_emit_family(e, "gc_ts_level", "Stamped gauge.", PROMC_GAUGE, NULL);
    promc_emit_sample_ts(e, (promc_label[]){{"a", "x"}}, 1, 7, at);
    promc_emit_sample_ts(e, (promc_label[]){{"a", "y"}}, 1, 8, -5);
    promc_emit_sample_ts(e, (promc_label[]){{"a", "z"}}, 1, 9, 1700000000000);
    promc_emit_family(e, "gc_ts_seconds", "Stamped histogram.", PROMC_HISTOGRAM, NULL);
    promc_emit_histogram_ts(e, NULL, 0, (double[]){0.1, 1}, (uint64_t[]){1, 2}, 2, 3, 2.5, at);
    promc_emit_family(e, "gc_ts_total", "Stamped counter.", PROMC_COUNTER, NULL);
    promc_emit_sample_ts(e, NULL, 0, 3, at);
    promc_emit_family(e, "gc_ts_untyped", "Stamped untyped.", PROMC_UNTYPED, NULL);
    promc_emit_sample_ts(e, NULL, 0, 1, 0);
    promc_emit_family(e, "gc_ts_wait_seconds", "Stamped summary.", PROMC_SUMMARY, NULL);
    promc_emit_summary_ts(e, NULL, 0, (double[]){0.5}, (double[]){1}, 1, 2, 3, at);
    return 0;
}

/* What client_golang has no counterpart for: a stateset and an info. */
static int stamped_om_only(promc_emitter *e, void *ud)
{
    (void)ud;
    promc_emit_family(e, "ts_state", "Stamped stateset.", PROMC_STATESET, NULL);
    promc_emit_stateset_ts(e, NULL, 0, PROMC_LABELS("up", "down"), 2, 1, 1700000000500);
    promc_emit_family(e, "ts_build", "Stamped info.", PROMC_INFO, NULL);
    promc_emit_sample_ts(e, (promc_label[]){{"version", "1.2"}}, 1, 1, 1700000000500);
    return 0;
}

static void every_type_as_client_golang_writes_it(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_metric *a = promc_collector_new(r, stamped, NULL, NULL, NULL);
    promc_metric *b = promc_collector_new(r, stamped_om_only, NULL, NULL, NULL);
    assert_non_null(a);
    assert_non_null(b);
    char *text = test_render(r, PROMC_FORMAT_TEXT);
    test_golden("timestamps.txt", text);
    promc_free(text);
    char *om = test_render(r, PROMC_FORMAT_OPENMETRICS);
    test_golden("timestamps.om", om);
    promc_free(om);
    promc_metric_free(a);
    promc_metric_free(b);
    promc_registry_free(r);
}

/* A refused series takes its timestamp with it; the next series emitted
 * without one has none. */
static int refused_then_plain(promc_emitter *e, void *ud)
{
    (void)ud;
    promc_emit_family(e, "c", "C.", PROMC_COUNTER, NULL);
    assert_int_equal(promc_emit_sample_ts(e, NULL, 0, -1, 42), PROMC_EINVAL);
    assert_int_equal(promc_emit_sample(e, NULL, 0, 1), PROMC_OK);
    assert_int_equal(promc_emit_sample_ts(NULL, NULL, 0, 1, 42), PROMC_EINVAL);
    return 0;
}

static void a_refused_series_leaves_no_timestamp_behind(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_metric *m = promc_collector_new(r, refused_then_plain, NULL, NULL, NULL);
    assert_non_null(m);
    size_t len;
    char *s = promc_encode_buffer(r, PROMC_FORMAT_TEXT, &len);
    assert_null(s); /* the refused sample fails the scrape */
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    char *got = NULL;
    size_t cap = 0;
    FILE *f = open_memstream(&got, &cap);
    assert_int_equal(promc_encode_file(r, PROMC_FORMAT_TEXT, f), PROMC_EINVAL);
    fclose(f);
    assert_string_equal(got, "# HELP c_total C.\n# TYPE c_total counter\nc_total 1\n");
    free(got);
    promc_metric_free(m);
    promc_registry_free(r);
}

static int one_stamped(promc_emitter *e, void *ud)
{
    promc_emit_family(e, "g", "", PROMC_GAUGE, NULL);
    return promc_emit_sample_ts(e, NULL, 0, 1, *(int64_t *)ud);
}

/* Metric.timestamp_ms (field 6, varint) closes the Metric of a gauge: the
 * bytes of a one-sample family, with the int64 as protobuf writes it
 * (two's complement for a negative one). */
static void protobuf_carries_timestamp_ms(void **state)
{
    (void)state;
    static const struct {
        int64_t ms;
        const char *tail; /* the Metric message's timestamp field */
        size_t len;
    } cases[] = {
        {1700000000123, "\x30\xfb\xd0\x95\xff\xbc\x31", 7},
        {-5, "\x30\xfb\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11},
        {0, "\x30\x00", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        promc_registry *r = promc_registry_new();
        int64_t ms = cases[i].ms;
        promc_metric *m = promc_collector_new(r, one_stamped, &ms, NULL, NULL);
        size_t len;
        char *pb = promc_encode_buffer(r, PROMC_FORMAT_PROTOBUF, &len);
        assert_non_null(pb);
        /* ...Metric{gauge{value 1.0}, timestamp_ms}: the family ends with it. */
        assert_true(len > cases[i].len);
        assert_memory_equal(pb + len - cases[i].len, cases[i].tail, cases[i].len);
        promc_free(pb);
        promc_metric_free(m);
        promc_registry_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_type_as_client_golang_writes_it),
        cmocka_unit_test(a_refused_series_leaves_no_timestamp_behind),
        cmocka_unit_test(protobuf_carries_timestamp_ms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
