/*
 * The cases of tests/integration/lint_vs_promtool.sh: metric sets that break
 * promtool's lint rules on purpose (and clean ones), each written to DIR as
 * NAME.txt, the text exposition promtool reads, and NAME.promc, the findings
 * of promc's linter, one "metric text" line each, as promtool prints them.
 * Registries built through the API are linted with promc_registry_lint;
 * the hand-written texts (what the API refuses to build: a missing HELP, an
 * "le" label on a gauge) with promc_text_lint.
 *
 * usage: lint_cases DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promc.h"
#include "promc_testutil.h"

static const char *dir;
static int failures;

static void write_case(const char *name, const char *text, const promc_lint_problem *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.txt", dir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
        fprintf(stderr, "lint_cases: cannot write %s\n", path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s.promc", dir, name);
    f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "lint_cases: cannot write %s\n", path);
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s %s\n", p[i].metric, p[i].text);
    fclose(f);
}

static void text_case(const char *name, const char *text)
{
    promc_lint_problem *p = NULL;
    size_t n = 0;
    if (promc_text_lint(text, &p, &n) != PROMC_OK) {
        fprintf(stderr, "lint_cases: %s: %s\n", name, promc_last_error());
        failures++;
        return;
    }
    write_case(name, text, p, n);
    promc_free(p);
}

static void registry_case(const char *name, promc_registry *r)
{
    promc_lint_problem *p = NULL;
    size_t n = 0;
    char *text = promc_encode_buffer(r, PROMC_FORMAT_TEXT, NULL);
    if (!text || promc_registry_lint(r, &p, &n) != PROMC_OK) {
        fprintf(stderr, "lint_cases: %s: %s\n", name, promc_last_error());
        failures++;
    } else {
        write_case(name, text, p, n);
    }
    promc_free(text);
    promc_free(p);
    promc_registry_free(r);
}

/* A registry with one gauge of each name (unlabelled, or with the label
 * names given after a '|': "name|label1,label2" gets two children). */
static promc_registry *gauges(const char *const *specs)
{
    promc_registry *r = promc_registry_new();
    for (; *specs; specs++) {
        char spec[256], *bar;
        snprintf(spec, sizeof spec, "%s", *specs);
        if (!(bar = strchr(spec, '|'))) {
            promc_gauge *g = promc_gauge_new(r, spec, "A gauge.", NULL);
            if (!g) {
                fprintf(stderr, "lint_cases: gauge %s: %s\n", spec, promc_last_error());
                failures++;
            }
            promc_gauge_free(g);
            continue;
        }
        *bar = '\0';
        const char *labels[2] = {bar + 1, NULL};
        promc_gauge_vec *v = promc_gauge_vec_new(r, spec, "A gauge.", labels, NULL);
        if (!v) {
            fprintf(stderr, "lint_cases: gauge %s: %s\n", spec, promc_last_error());
            failures++;
            continue;
        }
        promc_gauge_set(promc_gauge_vec_labels(v, "a"), 1);
        promc_gauge_set(promc_gauge_vec_labels(v, "b"), 2);
        promc_metric_free(PROMC_METRIC(v));
    }
    return r;
}

static int untyped(promc_emitter *e, void *userdata)
{
    (void)userdata;
    promc_emit_family(e, "legacy_total", "Untyped may end in _total.", PROMC_UNTYPED, NULL);
    promc_emit_sample(e, NULL, 0, 1);
    promc_emit_family(e, "legacyThing_count", "Untyped, camelCase.", PROMC_UNTYPED, NULL);
    promc_emit_sample(e, &(promc_label){"someLabel", "x"}, 1, 1);
    promc_emit_family(e, "copied_hours", "A counter from elsewhere.", PROMC_COUNTER, NULL);
    promc_emit_sample(e, NULL, 0, 1);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: lint_cases DIR\n");
        return 2;
    }
    dir = argv[1];

    /* ---- registries built through the API ---- */
    registry_case(
        "units",
        gauges((const char *const[]){
            "cache_kilobytes",   "disk_gigabytes",   "uptime_minutes",    "job_hours",
            "retention_days",    "window_weeks",     "link_bits",         "temperature_fahrenheit",
            "temp_rankine",      "color_kelvins",    "reach_miles",       "screen_inches",
            "field_yards",       "food_calories",    "cargo_pounds",      "dose_ounces",
            "wire_milliamperes", "rpc_milliseconds", "sleep_nanoseconds", "jitter_microseconds",
            "mass_kilograms",    "span_centimeters", "span_kilometres",   "power_kilojoules",
            "cell_millivolts",   "memory_mebibytes", "thermometers_ok",   NULL}));
    registry_case("abbreviations",
                  gauges((const char *const[]){"latency_ms", "timeout_s", "wait_us", "gc_ns",
                                               "ttl_sec", "blob_b", "blob_kb", "heap_mb", "disk_gb",
                                               "tape_tb", "lake_pb", "dist_m", "age_h", "age_d",
                                               "Age_MS", "time_ms_total_count", NULL}));
    registry_case("suffixes", gauges((const char *const[]){
                                  "requests_total", "queue_count", "latency_sum", "latency_bucket",
                                  "widget_counter", "pressure_gauge", "size_histogram",
                                  "rpc_summary", "gauge_histogram_thing", "my_Gauge", NULL}));
    registry_case("names_and_labels",
                  gauges((const char *const[]){"job:errors:rate5m", "cacheSize", "HTTPServer",
                                               "cache_size|shardId", "x_y|snake_case",
                                               "mixed_Case|Upper", NULL}));
    {
        promc_registry *r = promc_registry_new();
        promc_counter_vec *c = promc_counter_vec_new(r, "httpRequests", "Requests.",
                                                     PROMC_LABELS("statusCode", "method"), NULL);
        promc_counter_inc(promc_counter_vec_labels(c, "200", "GET"));
        promc_counter_inc(promc_counter_vec_labels(c, "500", "POST"));
        promc_histogram_vec *h = promc_histogram_vec_new(
            r, "rpc_duration_milliseconds", "RPC latency.", PROMC_LABELS("rpcMethod"), NULL);
        promc_histogram_observe(promc_histogram_vec_labels(h, "get"), 3);
        promc_summary_vec *s = promc_summary_vec_new(
            r, "payload_kilobytes", "Payloads.", PROMC_LABELS("peerId"),
            &(promc_summary_opts){.objectives = (const promc_objective[]){{0.5, 0.05}},
                                  .nobjectives = 1});
        promc_summary_observe(promc_summary_vec_labels(s, "a"), 3);
        promc_summary_observe(promc_summary_vec_labels(s, "b"), 3);
        promc_info *i = promc_info_new(r, "buildInfo", "Build.",
                                       (const promc_label[]){{"goVersion", "1"}}, 1, NULL);
        promc_enum *e =
            promc_enum_new(r, "task_state", "State.", PROMC_LABELS("idle", "busy"), NULL);
        promc_metric *u = promc_collector_new(r, untyped, NULL, NULL, NULL);
        if (!c || !h || !s || !i || !e || !u) {
            fprintf(stderr, "lint_cases: types: %s\n", promc_last_error());
            failures++;
        }
        promc_metric_free(PROMC_METRIC(c));
        promc_metric_free(PROMC_METRIC(h));
        promc_metric_free(PROMC_METRIC(s));
        promc_metric_free(PROMC_METRIC(i));
        promc_metric_free(PROMC_METRIC(e));
        promc_metric_free(u);
        registry_case("types", r);
    }
    {
        /* Clean: what a well-named registry looks like. */
        promc_registry *r = promc_registry_new();
        promc_counter *c = promc_counter_new(r, "http_requests", "Requests.", NULL);
        promc_gauge *g = promc_gauge_new(r, "queue_depth", "Jobs waiting.", NULL);
        promc_histogram *h = promc_histogram_new(r, "request_duration_seconds", "Latency.", NULL);
        promc_metric *p = promc_process_collector_new(r, NULL);
        /* No children: written as HELP and TYPE alone, which promtool drops. */
        promc_counter_vec *v =
            promc_counter_vec_new(r, "unusedCounter_ms", "", PROMC_LABELS("aB"), NULL);
        promc_metric_free(PROMC_METRIC(v));
        promc_counter_free(c);
        promc_gauge_free(g);
        promc_histogram_free(h);
        promc_metric_free(p);
        registry_case("clean", r);
    }

    /* ---- texts the API would not build ---- */
    text_case("no_help", "# TYPE requests counter\nrequests 1\nbare_metric 2\n"
                         "# HELP empty_help \n# TYPE empty_help gauge\nempty_help 1\n");
    text_case("reserved_labels",
              "# HELP g A gauge.\n# TYPE g gauge\ng{le=\"1\"} 1\ng{le=\"2\"} 1\n"
              "# HELP c_total A counter.\n# TYPE c_total counter\nc_total{quantile=\"0.5\"} 1\n"
              "# HELP u Untyped: no rule.\n# TYPE u untyped\nu{le=\"1\",quantile=\"1\"} 1\n"
              "# HELP s A summary.\n# TYPE s summary\n"
              "s{le=\"1\",quantile=\"0.5\"} 1\ns_sum{le=\"1\"} 1\ns_count{le=\"1\"} 1\n"
              "# HELP h A histogram.\n# TYPE h histogram\n"
              "h_bucket{quantile=\"1\",le=\"+Inf\"} 1\nh_sum{quantile=\"1\"} 1\n"
              "h_count{quantile=\"1\"} 1\n");
    text_case("counter_suffix", "# HELP jobs Jobs.\n# TYPE jobs counter\njobs 1\n"
                                "# HELP jobs_done_total Done.\n# TYPE jobs_done_total gauge\n"
                                "jobs_done_total 1\n"
                                "# HELP lat_sum x\n# TYPE lat_sum summary\nlat_sum_sum 1\n"
                                "lat_sum_count 1\n"
                                "# HELP h_count x\n# TYPE h_count histogram\n"
                                "h_count_bucket{le=\"+Inf\"} 1\nh_count_sum 1\nh_count_count 1\n"
                                "# HELP s_bucket x\n# TYPE s_bucket summary\ns_bucket_sum 1\n"
                                "s_bucket_count 1\n");
    text_case("orphan_suffixes", "# HELP g A gauge.\n# TYPE g gauge\ng 1\ng_count 1\ng_sum 2\n"
                                 "# HELP hist_seconds x\n# TYPE hist_seconds histogram\n"
                                 "hist_seconds_bucket{le=\"+Inf\",someLabel=\"a\"} 1\n"
                                 "hist_seconds_bucket{le=\"1\",someLabel=\"a\"} 1\n"
                                 "hist_seconds_sum{someLabel=\"a\"} 1\n"
                                 "hist_seconds_count{someLabel=\"a\"} 1\n"
                                 "hist_seconds_bucket{le=\"+Inf\",someLabel=\"b\"} 1\n"
                                 "hist_seconds_sum{someLabel=\"b\"} 1\n"
                                 "hist_seconds_count{someLabel=\"b\"} 1\n");
    text_case("mixed_case_units", "# HELP x_MilliSeconds x\n# TYPE x_MilliSeconds gauge\n"
                                  "x_MilliSeconds 1\n# HELP y_Ms_total y\n"
                                  "# TYPE y_Ms_total counter\ny_Ms_total 1\n");
    text_case("empty", "");
    text_case("repeated_lines", "# HELP a x\n# TYPE a gauge\na{aB=\"x\"} 1\na{aB=\"x\"} 2\n"
                                "# HELP s x\n# TYPE s summary\ns_sum{aB=\"x\"} 1\n"
                                "s_count{aB=\"x\"} 1\ns{aB=\"x\",quantile=\"0.5\"} 1\n"
                                "big_number "
                                "0.00000000000000000000000000000000000000000000000000000000000000"
                                "000000000000000000000000000000000000000000000000000000000000000"
                                "00000000000000000000001\n");
    text_case("families_without_samples", "# HELP fooBar_ms X\n# TYPE fooBar_ms gauge\n"
                                          "# TYPE c counter\n# HELP x_total x\n"
                                          "# TYPE x_total counter\nx_total 1\n");
    return failures ? 1 : 0;
}
