/*
 * The registry the promc_testutil.h tests check, and its exposition
 * written in another order: shared by test_testutil.c and
 * test_testutil_threads.c.
 */
#ifndef PROMC_TEST_TESTUTIL_FIXTURE_H
#define PROMC_TEST_TESTUTIL_FIXTURE_H

#include "helpers.h"

static promc_registry *fixture(void)
{
    promc_registry *r = promc_registry_new();
    assert_non_null(r);
    promc_counter_vec *c =
        promc_counter_vec_new(r, "requests", "Requests by code.", PROMC_LABELS("code"), NULL);
    promc_counter_add(promc_counter_vec_labels(c, "200"), 3);
    promc_counter_inc(promc_counter_vec_labels(c, "500"));
    promc_gauge *g = promc_gauge_new(r, "queue_depth", "Jobs \"waiting\"\\now.", NULL);
    promc_gauge_set(g, 7);
    promc_histogram *h = promc_histogram_new(
        r, "latency_seconds", "Latency.",
        &(promc_histogram_opts){.buckets = (const double[]){0.1, 1}, .nbuckets = 2});
    promc_histogram_observe(h, 0.5);
    assert_non_null(c);
    assert_non_null(g);
    assert_non_null(h);
    promc_metric_free(PROMC_METRIC(c));
    promc_metric_free(PROMC_METRIC(g));
    promc_metric_free(PROMC_METRIC(h));
    return r;
}

/* The fixture's families in another order, series reordered, blank lines
 * and extra blanks added. */
static const char shuffled[] = "# HELP latency_seconds Latency.\n"
                               "# TYPE latency_seconds histogram\n"
                               "latency_seconds_sum 0.5\n"
                               "latency_seconds_bucket{le=\"+Inf\"} 1\n"
                               "latency_seconds_bucket{le=\"1\"} 1\n"
                               "latency_seconds_bucket{le=\"0.1\"} 0\n"
                               "latency_seconds_count 1\n"
                               "\n"
                               "# TYPE queue_depth gauge\n"
                               "# HELP queue_depth Jobs \"waiting\"\\\\now.\n"
                               "queue_depth 7\n"
                               "# HELP requests_total Requests by code.\n"
                               "# TYPE requests_total counter\n"
                               "  requests_total { code = \"500\" , } 1\n"
                               "requests_total{code=\"200\"}\t3e0\n";

#endif
