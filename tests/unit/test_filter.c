/*
 * Name filters: a scrape that exposes only the families asked for, through
 * the library (promc_scrape_opts.names on promc_encode_ex and the calls
 * built on it) and through the HTTP server (GET /metrics?name[]=a&name[]=b,
 * percent-encoded or not), matching family names as client_golang's promhttp
 * does: the name text 0.0.4 and protobuf give the family.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "promc_http.h"

#include "helpers.h"
#include "raw_http.h"

/* ------------------------------------------------------------------ */
/* Fixture: one family of every kind, and a collector                  */
/* ------------------------------------------------------------------ */

static int collect_two(promc_emitter *e, void *ud)
{
    (void)ud;
    promc_emit_family(e, "col_events", "Collected counter.", PROMC_COUNTER, NULL);
    promc_emit_sample(e, NULL, 0, 7);
    promc_emit_family(e, "col_depth", "Collected gauge.", PROMC_GAUGE, NULL);
    promc_emit_sample(e, NULL, 0, 3);
    return 0;
}

typedef struct fixture {
    promc_registry *reg;
    promc_counter *jobs;
    promc_gauge *temp;
    promc_histogram *lat;
    promc_summary *rpc;
    promc_info *build;
    promc_gauge_vec *limited; /* a child limit: promc_children_refused_total */
    promc_metric *col;
} fixture;

static fixture fixture_new(void)
{
    test_pin_clock();
    fixture f = {.reg = promc_registry_new()};
    assert_non_null(f.reg);
    f.jobs = promc_counter_new(f.reg, "jobs", "Jobs.", NULL);
    f.temp = promc_gauge_new(f.reg, "temp_celsius", "Temperature.", NULL);
    f.lat = promc_histogram_new(f.reg, "lat_seconds", "Latency.", NULL);
    f.rpc = promc_summary_new(f.reg, "rpc_seconds", "RPC.", NULL);
    f.build = promc_info_new(f.reg, "build", "Build.", (promc_label[]){{"version", "1"}}, 1, NULL);
    f.limited = promc_gauge_vec_new(f.reg, "limited", "Limited.", PROMC_LABELS("k"),
                                    &(promc_metric_opts){.max_children = 1});
    f.col = promc_collector_new(f.reg, collect_two, NULL, NULL, NULL);
    assert_true(f.jobs && f.temp && f.lat && f.rpc && f.build && f.limited && f.col);
    promc_counter_add_int(f.jobs, 5);
    promc_gauge_set(f.temp, 21.5);
    promc_histogram_observe(f.lat, 0.2);
    promc_summary_observe(f.rpc, 1);
    promc_gauge_set(promc_gauge_vec_labels(f.limited, "a"), 1);
    return f;
}

static void fixture_free(fixture *f)
{
    promc_counter_free(f->jobs);
    promc_gauge_free(f->temp);
    promc_histogram_free(f->lat);
    promc_summary_free(f->rpc);
    promc_info_free(f->build);
    promc_gauge_vec_free(f->limited);
    promc_metric_free(f->col);
    promc_registry_free(f->reg);
}

/* Whether needle occurs in hay[0..len) (binary-safe). */
static bool has_bytes(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return true;
    return false;
}

/* The exposition of reg restricted to names, as a heap string. */
static char *render(promc_registry *reg, promc_format fmt, const char *const *names)
{
    size_t len = 0;
    char *s = promc_encode_buffer_ex(reg, fmt, &len, &(promc_scrape_opts){.names = names});
    if (!s)
        fail_msg("promc_encode_buffer_ex: %s", promc_last_error());
    return s;
}

/* The families (TYPE lines) of a text exposition, in order, one a line. */
static void family_list(const char *text, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = strstr(text, "# TYPE "); p; p = strstr(p + 1, "\n# TYPE ")) {
        if (*p == '\n')
            p++;
        p += 7;
        size_t len = strcspn(p, " ");
        assert_true(n + len + 2 < cap);
        memcpy(out + n, p, len);
        n += len;
        out[n++] = '\n';
        out[n] = '\0';
    }
}

static void expect_families(promc_registry *reg, const char *const *names, const char *want)
{
    char *text = render(reg, PROMC_FORMAT_TEXT, names);
    char got[1024];
    family_list(text, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("families:\n%swant:\n%s", got, want);
    promc_free(text);
}

/* ------------------------------------------------------------------ */
/* Library API                                                         */
/* ------------------------------------------------------------------ */

/* A family matches by the name text 0.0.4 and protobuf give it, which is
 * client_golang's MetricFamily name: a counter's with _total, an info's with
 * _info, the others' plain. Sample names (x_bucket, x_count) and the folded
 * base of a counter do not match, as in client_golang. */
static void test_matches_family_names(void **state)
{
    (void)state;
    fixture f = fixture_new();
    expect_families(f.reg, PROMC_LABELS("jobs_total"), "jobs_total\n");
    expect_families(f.reg, PROMC_LABELS("jobs"), "");
    expect_families(f.reg, PROMC_LABELS("jobs_created"), "");
    expect_families(f.reg, PROMC_LABELS("lat_seconds"), "lat_seconds\n");
    expect_families(f.reg, PROMC_LABELS("lat_seconds_bucket", "lat_seconds_count"), "");
    expect_families(f.reg, PROMC_LABELS("rpc_seconds"), "rpc_seconds\n");
    expect_families(f.reg, PROMC_LABELS("build_info"), "build_info\n");
    expect_families(f.reg, PROMC_LABELS("build"), "");
    /* Collector families too, and the library's own. */
    expect_families(f.reg, PROMC_LABELS("col_events_total"), "col_events_total\n");
    expect_families(f.reg, PROMC_LABELS("col_depth"), "col_depth\n");
    expect_families(f.reg, PROMC_LABELS("promc_children_refused_total"),
                    "promc_children_refused_total\n");
    /* Several names: the registry's order, whatever the order asked. */
    expect_families(f.reg,
                    PROMC_LABELS("col_depth", "temp_celsius", "nope", "jobs_total", "temp_celsius"),
                    "jobs_total\ntemp_celsius\ncol_depth\n");
    fixture_free(&f);
}

/* A filtered family is byte for byte what the full exposition has. */
static void test_filtered_output_is_the_same_bytes(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_format fmts[] = {PROMC_FORMAT_TEXT, PROMC_FORMAT_OPENMETRICS};
    for (size_t i = 0; i < 2; i++) {
        char *all = test_render(f.reg, fmts[i]);
        char *one = render(f.reg, fmts[i], PROMC_LABELS("lat_seconds"));
        /* Text starts a family with HELP, OpenMetrics with TYPE. */
        bool om = fmts[i] == PROMC_FORMAT_OPENMETRICS;
        const char *from = strstr(all, om ? "# TYPE lat_seconds " : "# HELP lat_seconds ");
        const char *to = strstr(all, om ? "# TYPE rpc_seconds " : "# HELP rpc_seconds ");
        assert_true(from && to);
        size_t n = (size_t)(to - from);
        const char *tail = om ? "# EOF\n" : "";
        assert_int_equal(strlen(one), n + strlen(tail));
        assert_memory_equal(one, from, n);
        assert_string_equal(one + n, tail);
        promc_free(all);
        promc_free(one);
    }
    fixture_free(&f);
}

/* Nothing matched: a valid empty exposition in every format. */
static void test_unknown_name_is_an_empty_exposition(void **state)
{
    (void)state;
    fixture f = fixture_new();
    char *s = render(f.reg, PROMC_FORMAT_TEXT, PROMC_LABELS("no_such_family"));
    assert_string_equal(s, "");
    promc_free(s);
    s = render(f.reg, PROMC_FORMAT_OPENMETRICS, PROMC_LABELS("no_such_family"));
    assert_string_equal(s, "# EOF\n");
    promc_free(s);
    size_t len = 1;
    s = promc_encode_buffer_ex(f.reg, PROMC_FORMAT_PROTOBUF, &len,
                               &(promc_scrape_opts){.names = PROMC_LABELS("no_such_family")});
    assert_non_null(s);
    assert_int_equal(len, 0);
    promc_free(s);
    /* An empty list asks for no family at all; NULL for every family. */
    static const char *const none[] = {NULL};
    s = render(f.reg, PROMC_FORMAT_OPENMETRICS, none);
    assert_string_equal(s, "# EOF\n");
    promc_free(s);
    char *all = test_render(f.reg, PROMC_FORMAT_OPENMETRICS);
    s = render(f.reg, PROMC_FORMAT_OPENMETRICS, NULL);
    assert_string_equal(s, all);
    promc_free(s);
    s = promc_encode_buffer_ex(f.reg, PROMC_FORMAT_OPENMETRICS, NULL, NULL);
    assert_string_equal(s, all);
    promc_free(s);
    promc_free(all);
    fixture_free(&f);
}

/* Protobuf: the same families, by the same names. */
static void test_protobuf_filtered(void **state)
{
    (void)state;
    fixture f = fixture_new();
    size_t all_len = 0, one_len = 0;
    char *all = promc_encode_buffer(f.reg, PROMC_FORMAT_PROTOBUF, &all_len);
    char *one = promc_encode_buffer_ex(f.reg, PROMC_FORMAT_PROTOBUF, &one_len,
                                       &(promc_scrape_opts){.names = PROMC_LABELS("jobs_total")});
    assert_true(all && one);
    assert_true(one_len > 0 && one_len < all_len);
    /* The first family of the registry is the counter: the same bytes. */
    assert_memory_equal(all, one, one_len);
    assert_true(has_bytes(one, one_len, "jobs_total"));
    assert_false(has_bytes(one, one_len, "temp_celsius"));
    promc_free(all);
    promc_free(one);
    fixture_free(&f);
}

/* A collector's errors still fail the scrape when its families are not
 * asked for (client_golang gathers everything before it filters). */
static atomic_int col_fail;

static int collect_maybe_failing(promc_emitter *e, void *ud)
{
    (void)ud;
    promc_emit_family(e, "other", "Other.", PROMC_GAUGE, NULL);
    promc_emit_sample(e, NULL, 0, 1);
    return atomic_load(&col_fail);
}

static void test_collector_errors_are_not_filtered_away(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_gauge *g = promc_gauge_new(reg, "wanted", "Wanted.", NULL);
    promc_metric *m = promc_collector_new(reg, collect_maybe_failing, NULL, NULL, NULL);
    assert_true(g && m);
    atomic_store(&col_fail, 1);
    promc_scrape_opts o = {.names = PROMC_LABELS("wanted")};
    struct promc__buf b = {0};
    assert_int_equal(promc_encode_ex(reg, PROMC_FORMAT_TEXT, promc__buf_writer, &b, &o), PROMC_EIO);
    assert_non_null(strstr(promc_last_error(), "failed"));
    /* The valid part is the filtered one. */
    assert_non_null(strstr(b.p, "wanted 0\n"));
    assert_null(strstr(b.p, "other"));
    promc__free(b.p);
    atomic_store(&col_fail, 0);
    char *s = promc_encode_buffer_ex(reg, PROMC_FORMAT_TEXT, NULL, &o);
    assert_non_null(s);
    assert_string_equal(s, "# HELP wanted Wanted.\n# TYPE wanted gauge\nwanted 0\n");
    promc_free(s);
    promc_gauge_free(g);
    promc_metric_free(m);
    promc_registry_free(reg);
}

/* The errors and the old calls: promc_encode_ex with opts NULL is
 * promc_encode; the file and textfile variants filter too. */
static void test_ex_calls(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_scrape_opts o = {.names = PROMC_LABELS("temp_celsius")};
    assert_int_equal(promc_encode_ex(f.reg, PROMC_FORMAT_TEXT, NULL, NULL, &o), PROMC_EINVAL);
    assert_int_equal(promc_encode_ex(PROMC_NO_REGISTRY, PROMC_FORMAT_TEXT, promc__buf_writer,
                                     &(struct promc__buf){0}, &o),
                     PROMC_EINVAL);
    assert_int_equal(promc_encode_file_ex(f.reg, PROMC_FORMAT_TEXT, NULL, &o), PROMC_EINVAL);

    char path[] = "/tmp/promc-filter-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w+");
    assert_non_null(fp);
    assert_int_equal(promc_encode_file_ex(f.reg, PROMC_FORMAT_TEXT, fp, &o), PROMC_OK);
    fclose(fp);
    char *got = test_read_file(path);
    assert_string_equal(got, "# HELP temp_celsius Temperature.\n# TYPE temp_celsius gauge\n"
                             "temp_celsius 21.5\n");
    free(got);

    assert_int_equal(promc_textfile_write_ex(f.reg, path, &o), PROMC_OK);
    got = test_read_file(path);
    assert_string_equal(got, "# HELP temp_celsius Temperature.\n# TYPE temp_celsius gauge\n"
                             "temp_celsius 21.5\n");
    free(got);
    assert_int_equal(promc_textfile_write_ex(f.reg, NULL, &o), PROMC_EINVAL);
    /* NULL opts: the whole registry, as promc_textfile_write. */
    assert_int_equal(promc_textfile_write_ex(f.reg, path, NULL), PROMC_OK);
    got = test_read_file(path);
    char *all = test_render(f.reg, PROMC_FORMAT_TEXT);
    assert_string_equal(got, all);
    free(got);
    promc_free(all);
    unlink(path);
    fixture_free(&f);
}

/* ------------------------------------------------------------------ */
/* HTTP: ?name[]=                                                      */
/* ------------------------------------------------------------------ */

/* Without a scrape deadline, so that a scrape is byte for byte what
 * promc_encode writes (no promc_collector_* families). */
static promc_http_server *serve(promc_registry *reg)
{
    promc_http_server *s = promc_http_server_new(
        reg, "127.0.0.1:0",
        &(promc_http_opts){.disable_self_metrics = 1, .max_scrape_timeout = -1});
    if (!s)
        fail_msg("promc_http_server_new: %s", promc_last_error());
    return s;
}

/* The families of GET target, which must answer 200. */
static void expect_http_families(int port, const char *target, const char *want)
{
    char req[2048];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", target);
    response r;
    request(port, req, &r);
    if (r.status != 200)
        fail_msg("GET %s: %d %s", target, r.status, r.body);
    char got[1024];
    family_list(r.body, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("GET %s families:\n%swant:\n%s", target, got, want);
    resp_free(&r);
}

static void test_http_name_filter(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_http_server *s = serve(f.reg);
    int port = promc_http_server_port(s);
    expect_http_families(port, "/metrics?name[]=jobs_total", "jobs_total\n");
    expect_http_families(port, "/metrics?name[]=jobs_total&name[]=col_depth",
                         "jobs_total\ncol_depth\n");
    /* Percent-encoded brackets (what Prometheus' params: sends) and names. */
    expect_http_families(port, "/metrics?name%5B%5D=temp_celsius&name%5b%5d=build%5Finfo",
                         "temp_celsius\nbuild_info\n");
    expect_http_families(port, "/metrics?name[]=lat%5fseconds", "lat_seconds\n");
    /* Other parameters are ignored; empty pairs too. */
    expect_http_families(port, "/metrics?x=1&&name[]=jobs_total&name=temp_celsius&y",
                         "jobs_total\n");
    /* No name[]: everything. */
    char *all = test_render(f.reg, PROMC_FORMAT_TEXT);
    response r;
    request(port, GET("/metrics?name=jobs_total"), &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, all);
    resp_free(&r);
    promc_free(all);
    /* Unknown names, an empty name and a name with a NUL: a valid, empty
     * exposition. */
    expect_http_families(port, "/metrics?name[]=nope", "");
    expect_http_families(port, "/metrics?name[]=", "");
    expect_http_families(port, "/metrics?name[]=jobs_total%00x", "");
    request(port,
            "GET /metrics?name[]=nope HTTP/1.1\r\nHost: t\r\nAccept: "
            "application/openmetrics-text\r\n\r\n",
            &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "# EOF\n");
    resp_free(&r);
    /* HEAD: the length of what GET would send. */
    request(port, HEAD("/metrics?name[]=temp_celsius"), &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.content_length, (long)strlen("# HELP temp_celsius Temperature.\n"
                                                    "# TYPE temp_celsius gauge\n"
                                                    "temp_celsius 21.5\n"));
    resp_free(&r);
    promc_http_server_free(s);
    fixture_free(&f);
}

/* A percent sign that does not start an escape of two hex digits is a
 * malformed query: 400, wherever it is. */
static void test_http_malformed_query(void **state)
{
    (void)state;
    fixture f = fixture_new();
    promc_http_server *s = serve(f.reg);
    int port = promc_http_server_port(s);
    static const char *const bad[] = {
        "/metrics?name[]=%",       "/metrics?name[]=a%2", "/metrics?name[]=a%zz",
        "/metrics?name%5=x",       "/metrics?other=%G0",  "/metrics?name[]=ok&x=%",
        "/metrics?name%5B%5D=%4g",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char req[256];
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", bad[i]);
        response r;
        request(port, req, &r);
        if (r.status != 400)
            fail_msg("GET %s: %d, want 400", bad[i], r.status);
        assert_non_null(strstr(r.body, "query"));
        resp_free(&r);
    }
    promc_http_server_free(s);
    fixture_free(&f);
}

/* The filter applies to the server's own metrics too, and the request is
 * counted as any scrape. */
static void test_http_filter_self_metrics(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_http_server *s =
        promc_http_server_new(reg, "127.0.0.1:0", &(promc_http_opts){.workers = 1});
    assert_non_null(s);
    int port = promc_http_server_port(s);
    expect_http_families(port, "/metrics?name[]=promc_http_requests_total",
                         "promc_http_requests_total\n");
    response r;
    request(port, GET("/metrics?name[]=%"), &r);
    assert_int_equal(r.status, 400);
    resp_free(&r);
    /* One worker: it counted both answers before it takes the next
     * request (a client may read an answer before it is counted). */
    request(port, GET("/metrics?name[]=promc_http_requests_total"), &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "promc_http_requests_total{code=\"200\"} 1\n"));
    assert_non_null(strstr(r.body, "promc_http_requests_total{code=\"400\"} 1\n"));
    resp_free(&r);
    promc_http_server_free(s);
    promc_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_family_names),
        cmocka_unit_test(test_filtered_output_is_the_same_bytes),
        cmocka_unit_test(test_unknown_name_is_an_empty_exposition),
        cmocka_unit_test(test_protobuf_filtered),
        cmocka_unit_test(test_collector_errors_are_not_filtered_away),
        cmocka_unit_test(test_ex_calls),
        cmocka_unit_test(test_http_name_filter),
        cmocka_unit_test(test_http_malformed_query),
        cmocka_unit_test(test_http_filter_self_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
