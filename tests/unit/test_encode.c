/*
 * Pins the exposition bytes: one registry with every type, rendered in text
 * 0.0.4 and OpenMetrics 1.0.0 and compared with golden files byte for byte;
 * plus the writer contract (chunking, errors), the FILE and buffer
 * conveniences, and locale independence of number rendering.
 */
#include <locale.h>
#include <math.h>

#include "helpers.h"

static promc_registry *build_registry(void)
{
    promc_registry *r = promc_registry_new();
    assert_non_null(r);

    promc_counter_vec *c = promc_counter_vec_new(
        r, "http_requests_total", "Total HTTP requests.\nSecond line with \\ backslash",
        PROMC_LABELS("method", "path"), NULL);
    assert_non_null(c);
    promc_counter_inc(promc_counter_vec_labels(c, "GET", "a\"b\\c\nd"));
    assert_int_equal(
        promc_counter_add(promc_counter_vec_labels(c, "POST", "/\xc3\xbc/\xe2\x98\x83"), 2.5),
        PROMC_OK);
    promc_counter *jobs = promc_counter_new(r, "jobs", "Jobs without total suffix", NULL);
    promc_counter_add_int(jobs, 9007199254740993ULL);

    promc_gauge_vec *g = promc_gauge_vec_new(r, "temperature_celsius", "Temp \"quoted\"",
                                             PROMC_LABELS("room"), NULL);
    promc_gauge_set(promc_gauge_vec_labels(g, "kitchen"), 21.5);
    promc_gauge_set(promc_gauge_vec_labels(g, "basement"), -3);
    promc_gauge_set(promc_gauge_vec_labels(g, "nan"), NAN);
    promc_gauge_set(promc_gauge_vec_labels(g, "inf"), INFINITY);
    promc_gauge_set(promc_gauge_vec_labels(g, "-inf"), -INFINITY);
    promc_gauge_set(promc_gauge_vec_labels(g, "big"), 1234567);
    promc_gauge_set(promc_gauge_vec_labels(g, "tiny"), 1e-7);
    promc_gauge_set(promc_gauge_vec_labels(g, "sum"), 0.1 + 0.2);
    promc_gauge_free(
        promc_gauge_new(r, "plain_celsius", "No labels.", &(promc_metric_opts){.unit = "celsius"}));
    promc_gauge_vec_free(promc_gauge_vec_new(r, "labelled_only", "Has labels, no children.",
                                             PROMC_LABELS("a"), NULL));

    promc_histogram_vec *h = promc_histogram_vec_new(
        r, "request_latency_seconds", "Latency", PROMC_LABELS("svc"),
        &(promc_histogram_opts){
            .unit = "seconds", .buckets = (double[]){0.005, 0.01, 0.1, 1, 2.5}, .nbuckets = 5});
    promc_histogram *api = promc_histogram_vec_labels(h, "api");
    promc_histogram_observe(api, 0.007);
    promc_histogram_observe(api, 0.5);
    promc_histogram_observe(api, 3);

    promc_summary *s = promc_summary_new(
        r, "rpc_duration_seconds", "RPC duration",
        &(promc_summary_opts){.objectives =
                                  (promc_objective[]){{0.5, 0.05}, {0.9, 0.01}, {1, 0.001}},
                              .nobjectives = 3});
    promc_summary_observe(s, 1.5);
    promc_summary_observe(s, 0.25);
    promc_summary_free(promc_summary_new(r, "empty_summary_seconds", "No objectives", NULL));

    promc_info_free(promc_info_new(r, "build", "Build info",
                                   (promc_label[]){{"version", "1.2.3"}, {"revision", "abc\"def"}},
                                   2, NULL));
    promc_enum *e = promc_enum_new(r, "task_state", "Task state",
                                   PROMC_LABELS("starting", "running", "stopped"), NULL);
    assert_int_equal(promc_enum_set(e, "running"), PROMC_OK);

    /* The registry holds a reference; the handles can go. */
    promc_counter_vec_free(c);
    promc_counter_free(jobs);
    promc_gauge_vec_free(g);
    promc_histogram_vec_free(h);
    promc_summary_free(s);
    promc_enum_free(e);
    return r;
}

static void test_text_golden(void **state)
{
    (void)state;
    promc_registry *r = build_registry();
    char *out = test_render(r, PROMC_FORMAT_TEXT);
    test_golden("every_type.txt", out);
    promc_free(out);
    promc_registry_free(r);
}

static void test_openmetrics_golden(void **state)
{
    (void)state;
    promc_registry *r = build_registry();
    char *out = test_render(r, PROMC_FORMAT_OPENMETRICS);
    test_golden("every_type.om", out);
    promc_free(out);
    promc_registry_free(r);
}

static void test_protobuf_golden(void **state)
{
    (void)state;
    promc_registry *r = build_registry();
    test_golden_protobuf(r, "every_type.pb");
    promc_registry_free(r);
}

static void test_openmetrics_without_created(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_counter *c = promc_counter_new(r, "c", "C.", NULL);
    promc_registry_set_created(r, 0);
    char *out = test_render(r, PROMC_FORMAT_OPENMETRICS);
    assert_string_equal(out, "# TYPE c counter\n# HELP c C.\nc_total 0\n# EOF\n");
    promc_free(out);
    promc_counter_free(c);
    promc_registry_free(r);
}

static void test_empty_registry(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    char *out = test_render(r, PROMC_FORMAT_TEXT);
    assert_string_equal(out, "");
    promc_free(out);
    out = test_render(r, PROMC_FORMAT_OPENMETRICS);
    assert_string_equal(out, "# EOF\n");
    promc_free(out);
    promc_registry_free(r);
}

/* ---------------------------------------------------------------- writers */

struct sink {
    char data[1 << 20];
    size_t len;
    int calls;
    int fail_at; /* fail on this call (1-based), 0 = never */
};

static int sink_write(void *ctx, const char *data, size_t len)
{
    struct sink *s = ctx;
    s->calls++;
    if (s->fail_at && s->calls == s->fail_at)
        return -1;
    assert_true(s->len + len <= sizeof s->data);
    memcpy(s->data + s->len, data, len);
    s->len += len;
    return 0;
}

static promc_registry *big_registry(int children)
{
    promc_registry *r = promc_registry_new();
    promc_counter_vec *c =
        promc_counter_vec_new(r, "many", "Many children.", PROMC_LABELS("id"), NULL);
    char id[32];
    for (int i = 0; i < children; i++) {
        snprintf(id, sizeof id, "child-%06d", i);
        promc_counter_add_int(promc_counter_vec_labels(c, id), (uint64_t)i);
    }
    promc_counter_vec_free(c);
    return r;
}

static void test_streaming_matches_buffer(void **state)
{
    (void)state;
    promc_registry *r = big_registry(5000);
    static struct sink s;
    memset(&s, 0, sizeof s);
    assert_int_equal(promc_encode(r, PROMC_FORMAT_TEXT, sink_write, &s), PROMC_OK);
    assert_true(s.calls > 1); /* streamed in chunks, not built whole */
    char *whole = test_render(r, PROMC_FORMAT_TEXT);
    assert_int_equal(strlen(whole), s.len);
    assert_memory_equal(whole, s.data, s.len);
    promc_free(whole);
    promc_registry_free(r);
}

static void test_writer_error_stops_encoding(void **state)
{
    (void)state;
    promc_registry *r = big_registry(5000);
    static struct sink s;
    memset(&s, 0, sizeof s);
    s.fail_at = 2;
    assert_int_equal(promc_encode(r, PROMC_FORMAT_TEXT, sink_write, &s), PROMC_EIO);
    assert_int_equal(s.calls, 2); /* nothing written after the failure */
    assert_int_equal(promc_last_error_code(), PROMC_EIO);
    promc_registry_free(r);
}

static void test_encode_rejects_bad_arguments(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    assert_int_equal(promc_encode(r, PROMC_FORMAT_TEXT, NULL, NULL), PROMC_EINVAL);
    assert_int_equal(promc_encode(r, (promc_format)7, sink_write, NULL), PROMC_EINVAL);
    assert_int_equal(promc_encode_file(r, PROMC_FORMAT_TEXT, NULL), PROMC_EINVAL);
    promc_registry_free(r);
}

static void test_encode_file(void **state)
{
    (void)state;
    promc_registry *r = build_registry();
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(promc_encode_file(r, PROMC_FORMAT_OPENMETRICS, f), PROMC_OK);
    long n = ftell(f);
    rewind(f);
    char *got = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(got, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    char *want = test_render(r, PROMC_FORMAT_OPENMETRICS);
    assert_string_equal(got, want);
    free(got);
    promc_free(want);
    promc_registry_free(r);
}

static void test_line_longer_than_the_buffer(void **state)
{
    (void)state;
    /* A label value bigger than the encoder's buffer takes the piecewise
     * path; the streamed bytes must equal the expected line exactly. */
    enum { BIG = 40000 };
    char *value = malloc(BIG + 1);
    assert_non_null(value);
    for (int i = 0; i < BIG; i++)
        value[i] = i % 1000 == 999 ? '"' : (char)('a' + i % 26);
    value[BIG] = '\0';
    promc_registry *r = promc_registry_new();
    promc_gauge_vec *g = promc_gauge_vec_new(r, "big", "B.", PROMC_LABELS("v"), NULL);
    promc_gauge_set(promc_gauge_vec_labels(g, value), 2);
    static struct sink s;
    memset(&s, 0, sizeof s);
    assert_int_equal(promc_encode(r, PROMC_FORMAT_TEXT, sink_write, &s), PROMC_OK);
    s.data[s.len] = '\0';
    const char *line = strstr(s.data, "big{v=\"");
    assert_non_null(line);
    const char *p = line + 7;
    for (int i = 0; i < BIG; i++) {
        if (value[i] == '"')
            assert_true(*p++ == '\\');
        assert_true(*p++ == value[i]);
    }
    assert_string_equal(p, "\"} 2\n");
    double v = 0;
    assert_int_equal(
        promc_registry_get_sample_value(r, "big", (promc_label[]){{"v", value}}, 1, &v), PROMC_OK);
    assert_true(v == 2);
    promc_gauge_vec_free(g);
    promc_registry_free(r);
    free(value);
}

/* ---------------------------------------------------------------- locale */

static void test_locale_independent(void **state)
{
    (void)state;
    const char *locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "de_DE", NULL};
    const char *got = NULL;
    for (int i = 0; locales[i] && !got; i++)
        got = setlocale(LC_ALL, locales[i]);
    if (!got) {
        /* Without a comma-decimal locale there is nothing to prove (tests/deps.sh
         * generates de_DE.UTF-8 when run as root). */
        print_message("no comma-decimal locale installed: skipped\n");
        skip();
    }
    char probe[16];
    snprintf(probe, sizeof probe, "%.1f", 0.5);
    assert_string_equal(probe, "0,5"); /* the locale really is a comma one */
    promc_registry *r = build_registry();
    char *out = test_render(r, PROMC_FORMAT_TEXT);
    test_golden("every_type.txt", out);
    promc_free(out);
    out = test_render(r, PROMC_FORMAT_OPENMETRICS);
    test_golden("every_type.om", out);
    promc_free(out);
    promc_registry_free(r);
    setlocale(LC_ALL, "C");
}

int main(void)
{
    test_pin_clock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_golden),
        cmocka_unit_test(test_openmetrics_golden),
        cmocka_unit_test(test_protobuf_golden),
        cmocka_unit_test(test_openmetrics_without_created),
        cmocka_unit_test(test_empty_registry),
        cmocka_unit_test(test_streaming_matches_buffer),
        cmocka_unit_test(test_writer_error_stops_encoding),
        cmocka_unit_test(test_encode_rejects_bad_arguments),
        cmocka_unit_test(test_encode_file),
        cmocka_unit_test(test_line_longer_than_the_buffer),
        cmocka_unit_test(test_locale_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
