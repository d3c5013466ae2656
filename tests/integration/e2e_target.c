/*
 * A small program on promc for the end-to-end test: a counter, a gauge, a
 * labelled histogram, a native-only histogram and an info with known
 * values, exemplars on the counter and on both histograms, served over HTTP
 * until SIGTERM. usage: e2e_target PORT [text|stream]  ("text" disables
 * OpenMetrics; "stream" sends every scrape while it is rendered, chunked,
 * which the library does by default only past 1 MiB).
 * tests/integration/prometheus_e2e.sh knows every value.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "promc_http.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [text|stream]\n", argv[0]);
        return 2;
    }
    promc_registry *r = promc_registry_new();
    promc_counter *jobs = promc_counter_new(r, "e2e_jobs_processed", "Jobs processed.", NULL);
    promc_gauge *temp = promc_gauge_new(r, "e2e_temperature_celsius", "Temperature.", NULL);
    double b[] = {0.1, 0.5, 1};
    promc_histogram_vec *lat = promc_histogram_vec_new(
        r, "e2e_request_duration_seconds", "Request latency.", PROMC_LABELS("path"),
        &(promc_histogram_opts){.buckets = b, .nbuckets = 3});
    promc_info *info =
        promc_info_new(r, "e2e_build", "Build information.",
                       (promc_label[]){{"version", "1.2.3"}, {"branch", "main"}}, 2, NULL);
    /* Native only, schema 3 (factor 1.1). */
    promc_histogram *native =
        promc_histogram_new(r, "e2e_native_seconds", "Native latency.",
                            &(promc_histogram_opts){.native_bucket_factor = 1.1});
    if (!jobs || !temp || !lat || !info || !native) {
        fprintf(stderr, "e2e_target: %s\n", promc_last_error());
        return 1;
    }
    int rc = PROMC_OK;
    promc_counter_add_int(jobs, 41);
    rc |= promc_counter_inc_exemplar(jobs, (promc_label[]){{"trace_id", "e2e-counter"}}, 1);
    promc_gauge_set(temp, 21.5);
    promc_histogram *a = promc_histogram_vec_labels(lat, "/a");
    for (int i = 0; i < 9; i++)
        promc_histogram_observe(a, 0.3); /* all in (0.1, 0.5]: median 0.3 */
    rc |= promc_histogram_observe_exemplar(a, 0.3, (promc_label[]){{"trace_id", "e2e-classic"}}, 1);
    promc_histogram_observe(promc_histogram_vec_labels(lat, "/b"), 2);
    /* Count 9, sum 59, median 5; every value with an exemplar, 17 last
     * (so also the +Inf bucket's). */
    static const double nv[] = {0, 1, 2, 3, 5, 7, 11, 13, 17};
    for (size_t i = 0; i < sizeof nv / sizeof nv[0]; i++) {
        char id[32];
        snprintf(id, sizeof id, "native-%g", nv[i]);
        rc |= promc_histogram_observe_exemplar(native, nv[i], (promc_label[]){{"trace_id", id}}, 1);
    }
    if (rc != PROMC_OK) {
        fprintf(stderr, "e2e_target: %s\n", promc_last_error());
        return 1;
    }

    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%s", argv[1]);
    const char *mode = argc > 2 ? argv[2] : "";
    promc_http_opts opts = {.disable_openmetrics = strcmp(mode, "text") == 0,
                            .stream_threshold = strcmp(mode, "stream") == 0 ? 1 : 0};
    promc_http_server *srv = promc_http_server_new(r, addr, &opts);
    if (!srv) {
        fprintf(stderr, "e2e_target: %s\n", promc_last_error());
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    while (!stop) {
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    promc_http_server_free(srv);
    promc_counter_free(jobs);
    promc_gauge_free(temp);
    promc_histogram_vec_free(lat);
    promc_info_free(info);
    promc_histogram_free(native);
    promc_registry_free(r);
    return 0;
}
