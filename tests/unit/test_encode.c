/*
 * Pins the exposition bytes: one registry with every type, rendered in text
 * 0.0.4 and OpenMetrics 1.0.0 and compared with golden files byte for byte;
 * plus the writer contract (chunking, errors), the FILE and buffer
 * conveniences, and locale independence of number rendering; and names
 * outside the legacy grammars, quoted or escaped, against the vectors of
 * prometheus/common v0.70.1's expfmt and model tests.
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

/* ---------------------------------------------------------------- UTF-8 names */

static char *render_escaped(promc_registry *r, promc_format f, promc_escaping e)
{
    size_t len = 0;
    char *s = promc_encode_buffer_escaped(r, f, e, &len);
    assert_non_null(s);
    assert_int_equal(strlen(s), len);
    return s;
}

/* expfmt/text_create_test.go case 2 and openmetrics_create_test.go case 4:
 * a gauge whose metric and label names need the quoted syntax. */
static promc_registry *go_quoted_gauge(const char *name)
{
    promc_registry *r = promc_registry_new();
    promc_registry_set_utf8_names(r, 1);
    promc_gauge_vec *g = promc_gauge_vec_new(r, name, "gauge\ndoc\nstr\"ing",
                                             PROMC_LABELS("name.1", "name*2"), NULL);
    assert_non_null(g);
    promc_gauge_set(
        promc_gauge_vec_labels(g, "val with\nnew line", "val with \\backslash and \"quotes\""),
        INFINITY);
    promc_gauge_set(promc_gauge_vec_labels(g, "Bj\xC3\xB6rn", "\xE4\xBD\x96\xE4\xBD\xA5"), 3.14e42);
    promc_gauge_vec_free(g);
    return r;
}

static void test_quoted_names_text_match_go(void **state)
{
    (void)state;
    promc_registry *r = go_quoted_gauge("gauge.name");
    char *out = render_escaped(r, PROMC_FORMAT_TEXT, PROMC_ESCAPING_ALLOW_UTF8);
    assert_string_equal(out, "# HELP \"gauge.name\" gauge\\ndoc\\nstr\"ing\n"
                             "# TYPE \"gauge.name\" gauge\n"
                             "{\"gauge.name\",\"name.1\"=\"val with\\nnew line\",\"name*2\"=\"val "
                             "with \\\\backslash and \\\"quotes\\\"\"} +Inf\n"
                             "{\"gauge.name\",\"name.1\"=\"Bj\xC3\xB6rn\",\"name*2\"=\"\xE4\xBD\x96"
                             "\xE4\xBD\xA5\"} 3.14e+42\n");
    promc_free(out);
    promc_registry_free(r);
}

/* Go writes HELP before TYPE in OpenMetrics; promc the recommended TYPE
 * first. The lines themselves are Go's. */
static void test_quoted_names_openmetrics_match_go(void **state)
{
    (void)state;
    promc_registry *r = go_quoted_gauge("gauge.name\"");
    char *out = render_escaped(r, PROMC_FORMAT_OPENMETRICS, PROMC_ESCAPING_ALLOW_UTF8);
    assert_string_equal(out, "# TYPE \"gauge.name\\\"\" gauge\n"
                             "# HELP \"gauge.name\\\"\" gauge\\ndoc\\nstr\\\"ing\n"
                             "{\"gauge.name\\\"\",\"name.1\"=\"val with\\nnew line\",\"name*2\"="
                             "\"val with \\\\backslash and \\\"quotes\\\"\"} +Inf\n"
                             "{\"gauge.name\\\"\",\"name.1\"=\"Bj\xC3\xB6rn\",\"name*2\"=\"\xE4\xBD"
                             "\x96\xE4\xBD\xA5\"} 3.14e+42\n"
                             "# EOF\n");
    promc_free(out);
    promc_registry_free(r);
}

/* model/metric_test.go TestEscapeMetricFamily's families (gauges here),
 * written out in text 0.0.4. */
static void test_escaped_families_match_go(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_registry_set_utf8_names(r, 1);
    promc_gauge_vec *g =
        promc_gauge_vec_new(r, "my.metric", "some help text", PROMC_LABELS("some?label"), NULL);
    promc_gauge_set(promc_gauge_vec_labels(g, "label??value"), 34.2);
    char *out = render_escaped(r, PROMC_FORMAT_TEXT, PROMC_ESCAPING_VALUES);
    assert_string_equal(out, "# HELP U__my_2e_metric some help text\n"
                             "# TYPE U__my_2e_metric gauge\n"
                             "U__my_2e_metric{U__some_3f_label=\"label??value\"} 34.2\n");
    promc_free(out);
    promc_gauge_vec_free(g);
    promc_registry_clear(r);
    g = promc_gauge_vec_new(r, "unicode.and.dots.\xE8\x8A\xB1\xE7\x81\xAB", "some help text",
                            PROMC_LABELS("some_label"), NULL);
    promc_gauge_set(promc_gauge_vec_labels(g, "label??value"), 34.2);
    out = render_escaped(r, PROMC_FORMAT_TEXT, PROMC_ESCAPING_DOTS);
    assert_string_equal(out,
                        "# HELP unicode_dot_and_dot_dots_dot_____ some help text\n"
                        "# TYPE unicode_dot_and_dot_dots_dot_____ gauge\n"
                        "unicode_dot_and_dot_dots_dot_____{some_label=\"label??value\"} 34.2\n");
    promc_free(out);
    promc_gauge_vec_free(g);
    promc_registry_free(r);
}

/* A counter's name is escaped with its _total, as client_golang's family
 * name carries it; OpenMetrics takes the family name from that less _total
 * (dots: a_dot_b_, samples a_dot_b__total and a_dot_b__created, what
 * expfmt writes for that family). */
static void test_counter_suffix_before_escaping(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_registry_set_utf8_names(r, 1);
    promc_counter *c = promc_counter_new(r, "a.b", "C.", NULL);
    char *out = render_escaped(r, PROMC_FORMAT_TEXT, PROMC_ESCAPING_ALLOW_UTF8);
    assert_string_equal(out, "# HELP \"a.b_total\" C.\n# TYPE \"a.b_total\" counter\n"
                             "{\"a.b_total\"} 0\n");
    promc_free(out);
    out = render_escaped(r, PROMC_FORMAT_OPENMETRICS, PROMC_ESCAPING_ALLOW_UTF8);
    assert_string_equal(out, "# TYPE \"a.b\" counter\n# HELP \"a.b\" C.\n{\"a.b_total\"} 0\n"
                             "{\"a.b_created\"} 1.700000000123e+09\n# EOF\n");
    promc_free(out);
    out = render_escaped(r, PROMC_FORMAT_TEXT, PROMC_ESCAPING_DOTS);
    assert_string_equal(out, "# HELP a_dot_b__total C.\n# TYPE a_dot_b__total counter\n"
                             "a_dot_b__total 0\n");
    promc_free(out);
    out = render_escaped(r, PROMC_FORMAT_OPENMETRICS, PROMC_ESCAPING_DOTS);
    assert_string_equal(out, "# TYPE a_dot_b_ counter\n# HELP a_dot_b_ C.\na_dot_b__total 0\n"
                             "a_dot_b__created 1.700000000123e+09\n# EOF\n");
    promc_free(out);
    out = render_escaped(r, PROMC_FORMAT_OPENMETRICS, PROMC_ESCAPING_UNDERSCORES);
    assert_string_equal(out, "# TYPE a_b counter\n# HELP a_b C.\na_b_total 0\n"
                             "a_b_created 1.700000000123e+09\n# EOF\n");
    promc_free(out);
    /* promc_encode is underscores. */
    out = test_render(r, PROMC_FORMAT_TEXT);
    assert_string_equal(out, "# HELP a_b_total C.\n# TYPE a_b_total counter\na_b_total 0\n");
    promc_free(out);
    promc_counter_free(c);
    promc_registry_free(r);
}

static int utf8_collect(promc_emitter *e, void *ud)
{
    (void)ud;
    promc_emit_family(e, "coll.family", "From a collector.", PROMC_GAUGE, NULL);
    promc_emit_sample(e, (promc_label[]){{"x.y", "1"}, {"plain", "p"}}, 2, 7);
    promc_emit_family(e, "coll.state", "A stateset.", PROMC_STATESET, NULL);
    promc_emit_stateset(e, NULL, 0, (const char *const[]){"on", "off"}, 2, 1);
    return 0;
}

/* Every type with names outside the legacy grammars, for the golden files. */
static promc_registry *utf8_registry(void)
{
    promc_registry *r = promc_registry_new();
    promc_registry_set_utf8_names(r, 1);
    promc_counter_vec *c = promc_counter_vec_new(r, "http.requests_total", "Requests.",
                                                 PROMC_LABELS("http.method", "code"), NULL);
    promc_counter_inc(promc_counter_vec_labels(c, "GET", "200"));
    promc_counter *jobs = promc_counter_new(r, "jobs.done", "Jobs.", NULL);
    promc_counter_add(jobs, 2);
    promc_gauge_vec *g =
        promc_gauge_vec_new(r, "temp.room_celsius", "Temperature.", PROMC_LABELS("room.name"),
                            &(promc_metric_opts){.unit = "celsius", .max_children = 100});
    promc_gauge_set(promc_gauge_vec_labels(g, "kitchen \"K\""), 21.5);
    promc_gauge *fire = promc_gauge_new(r, "\xE8\x8A\xB1\xE7\x81\xAB", "Fireworks.", NULL);
    promc_gauge_set(fire, 3);
    promc_gauge *odd = promc_gauge_new(r, "quote\"back\\slash\nnl", "Odd.", NULL);
    promc_gauge_vec *colon =
        promc_gauge_vec_new(r, "colon_label", "Colon label.", PROMC_LABELS("a:b", "ok"), NULL);
    promc_gauge_set(promc_gauge_vec_labels(colon, "1", "2"), 1);
    promc_histogram_vec *h = promc_histogram_vec_new(
        r, "request.latency_seconds", "Latency.", PROMC_LABELS("svc.name"),
        &(promc_histogram_opts){.unit = "seconds", .buckets = (double[]){0.1, 1}, .nbuckets = 2});
    promc_histogram_observe(promc_histogram_vec_labels(h, "api"), 0.5);
    promc_summary *s = promc_summary_new(
        r, "rpc.duration_seconds", "RPC.",
        &(promc_summary_opts){.objectives = (promc_objective[]){{0.5, 0.05}}, .nobjectives = 1});
    promc_summary_observe(s, 1.5);
    promc_info *i = promc_info_new(r, "app.build", "Build.",
                                   (promc_label[]){{"git.sha", "abc"}, {"version", "1"}}, 2, NULL);
    promc_enum *e = promc_enum_new(r, "task.state", "State.", PROMC_LABELS("up", "down"), NULL);
    promc_gauge *plain = promc_gauge_new(r, "plain_value", "Legacy names only.", NULL);
    promc_metric *col = promc_collector_new(r, utf8_collect, NULL, NULL, NULL);
    assert_true(c && jobs && g && fire && odd && colon && h && s && i && e && plain && col);
    promc_counter_vec_free(c);
    promc_counter_free(jobs);
    promc_gauge_vec_free(g);
    promc_gauge_free(fire);
    promc_gauge_free(odd);
    promc_gauge_vec_free(colon);
    promc_histogram_vec_free(h);
    promc_summary_free(s);
    promc_info_free(i);
    promc_enum_free(e);
    promc_gauge_free(plain);
    promc_metric_free(col);
    return r;
}

static void test_utf8_names_golden(void **state)
{
    (void)state;
    static const struct {
        promc_format f;
        promc_escaping e;
        const char *golden;
    } cases[] = {
        {PROMC_FORMAT_TEXT, PROMC_ESCAPING_ALLOW_UTF8, "utf8_names.txt"},
        {PROMC_FORMAT_OPENMETRICS, PROMC_ESCAPING_ALLOW_UTF8, "utf8_names.om"},
        {PROMC_FORMAT_TEXT, PROMC_ESCAPING_UNDERSCORES, "utf8_names.underscores.txt"},
        {PROMC_FORMAT_TEXT, PROMC_ESCAPING_DOTS, "utf8_names.dots.txt"},
        {PROMC_FORMAT_TEXT, PROMC_ESCAPING_VALUES, "utf8_names.values.txt"},
        {PROMC_FORMAT_OPENMETRICS, PROMC_ESCAPING_VALUES, "utf8_names.values.om"},
    };
    promc_registry *r = utf8_registry();
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *out = render_escaped(r, cases[k].f, cases[k].e);
        test_golden(cases[k].golden, out);
        /* Streamed through a writer and into a FILE, the same bytes. */
        static struct sink sk;
        memset(&sk, 0, sizeof sk);
        assert_int_equal(promc_encode_escaped(r, cases[k].f, cases[k].e, sink_write, &sk),
                         PROMC_OK);
        assert_int_equal(sk.len, strlen(out));
        assert_memory_equal(sk.data, out, sk.len);
        FILE *f = tmpfile();
        assert_int_equal(promc_encode_file_escaped(r, cases[k].f, cases[k].e, f), PROMC_OK);
        assert_int_equal(ftell(f), (long)strlen(out));
        fclose(f);
        promc_free(out);
    }
    promc_registry_free(r);
}

/* Legacy names come out the same in every escaping, and as before. */
static void test_legacy_names_unchanged_by_escaping(void **state)
{
    (void)state;
    promc_registry *r = build_registry();
    char *want = test_render(r, PROMC_FORMAT_TEXT);
    for (int e = PROMC_ESCAPING_UNDERSCORES; e <= PROMC_ESCAPING_ALLOW_UTF8; e++) {
        char *got = render_escaped(r, PROMC_FORMAT_TEXT, (promc_escaping)e);
        assert_string_equal(got, want);
        promc_free(got);
    }
    promc_free(want);
    promc_registry_free(r);
}

static bool has_bytes(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

/* Protobuf names are plain strings: escaped unless allow-utf-8, where they
 * are as given (a field tag, a length, the bytes). */
static void test_protobuf_names(void **state)
{
    (void)state;
    promc_registry *r = utf8_registry();
    size_t n;
    char *pb = promc_encode_buffer_escaped(r, PROMC_FORMAT_PROTOBUF, PROMC_ESCAPING_ALLOW_UTF8, &n);
    assert_non_null(pb);
    assert_true(has_bytes(pb, n, "\x0a\x13http.requests_total"));    /* MetricFamily.name */
    assert_true(has_bytes(pb, n, "\x0a\x0bhttp.method\x12\x03GET")); /* LabelPair */
    assert_true(has_bytes(pb, n,
                          "\x0a\x03"
                          "a:b\x12\x01"
                          "1"));
    assert_true(has_bytes(pb, n,
                          "\x0a\x0b"
                          "coll.family"));
    assert_true(has_bytes(pb, n,
                          "\x0a\x03x.y\x12\x01"
                          "1"));
    assert_true(has_bytes(pb, n, "\x0a\x0atask.state\x12\x02up"));
    promc_free(pb);
    pb = promc_encode_buffer_escaped(r, PROMC_FORMAT_PROTOBUF, PROMC_ESCAPING_VALUES, &n);
    assert_non_null(pb);
    assert_true(has_bytes(pb, n, "\x0a\x1aU__http_2e_requests__total"));
    assert_true(has_bytes(pb, n, "\x0a\x11U__http_2e_method\x12\x03GET"));
    assert_true(has_bytes(pb, n,
                          "\x0a\x09U__a_3a_b\x12\x01"
                          "1"));
    assert_true(has_bytes(pb, n, "\x0a\x10U__task_2e_state\x12\x02up"));
    assert_false(has_bytes(pb, n, "http.requests"));
    promc_free(pb);
    /* promc_encode_buffer escapes with underscores. */
    pb = promc_encode_buffer(r, PROMC_FORMAT_PROTOBUF, &n);
    assert_true(has_bytes(pb, n, "\x0a\x13http_requests_total"));
    assert_true(has_bytes(pb, n, "\x0a\x0bhttp_method"));
    promc_free(pb);
    promc_registry_free(r);
}

static void test_encode_escaped_rejects_unknown_escaping(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    assert_int_equal(
        promc_encode_escaped(r, PROMC_FORMAT_TEXT, (promc_escaping)9, sink_write, NULL),
        PROMC_EINVAL);
    assert_null(promc_encode_buffer_escaped(r, PROMC_FORMAT_TEXT, (promc_escaping)-1, NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_int_equal(promc_encode_file_escaped(r, PROMC_FORMAT_TEXT, (promc_escaping)4, stdout),
                     PROMC_EINVAL);
    promc_registry_free(r);
}

/* promc_scrape_opts.escaping is the escaping of the _escaped calls, and it
 * combines with the name filter (which matches the name as registered). */
static void test_scrape_opts_escaping(void **state)
{
    (void)state;
    promc_registry *r = utf8_registry();
    const promc_escaping all[] = {PROMC_ESCAPING_UNDERSCORES, PROMC_ESCAPING_DOTS,
                                  PROMC_ESCAPING_VALUES, PROMC_ESCAPING_ALLOW_UTF8};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        size_t n1, n2;
        char *a = promc_encode_buffer_escaped(r, PROMC_FORMAT_OPENMETRICS, all[i], &n1);
        char *b = promc_encode_buffer_ex(r, PROMC_FORMAT_OPENMETRICS, &n2,
                                         &(promc_scrape_opts){.escaping = all[i]});
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(n1, n2);
        assert_memory_equal(a, b, n1);
        promc_free(a);
        promc_free(b);
    }
    size_t n;
    char *dots =
        promc_encode_buffer_ex(r, PROMC_FORMAT_TEXT, &n,
                               &(promc_scrape_opts){.names = PROMC_LABELS("jobs.done_total"),
                                                    .escaping = PROMC_ESCAPING_DOTS});
    assert_non_null(dots);
    assert_string_equal(dots, "# HELP jobs_dot_done__total Jobs.\n"
                              "# TYPE jobs_dot_done__total counter\n"
                              "jobs_dot_done__total 2\n");
    promc_free(dots);
    assert_null(promc_encode_buffer_ex(r, PROMC_FORMAT_TEXT, &n,
                                       &(promc_scrape_opts){.escaping = (promc_escaping)7}));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    promc_registry_free(r);
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
        cmocka_unit_test(test_quoted_names_text_match_go),
        cmocka_unit_test(test_quoted_names_openmetrics_match_go),
        cmocka_unit_test(test_escaped_families_match_go),
        cmocka_unit_test(test_counter_suffix_before_escaping),
        cmocka_unit_test(test_utf8_names_golden),
        cmocka_unit_test(test_legacy_names_unchanged_by_escaping),
        cmocka_unit_test(test_protobuf_names),
        cmocka_unit_test(test_encode_escaped_rejects_unknown_escaping),
        cmocka_unit_test(test_scrape_opts_escaping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
