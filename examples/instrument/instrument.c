/*
 * The README's instrumentation example: a counter with labels, a gauge, a
 * histogram and an info, then the exposition printed in the text format.
 */
#include <stdio.h>

#include "promc.h"

/* promc_last_error() describes the most recent call that can fail, so each
 * constructor is checked right after it. */
static int fail(const char *what)
{
    fprintf(stderr, "instrument: %s: %s\n", what, promc_last_error());
    return 1;
}

int main(void)
{
    promc_counter_vec *requests = promc_counter_vec_new(
        NULL, "http_requests", "HTTP requests by status.", PROMC_LABELS("method", "code"), NULL);
    if (!requests)
        return fail("http_requests");
    promc_gauge *in_flight = promc_gauge_new(NULL, "jobs_in_flight", "Jobs running now.", NULL);
    if (!in_flight)
        return fail("jobs_in_flight");
    promc_histogram *latency =
        promc_histogram_new(NULL, "request_duration_seconds", "Request latency.",
                            &(promc_histogram_opts){.unit = "seconds"});
    if (!latency)
        return fail("request_duration_seconds");
    if (!promc_info_new(NULL, "build", "Build information.",
                        (promc_label[]){{"version", PROMC_VERSION_STRING}}, 1, NULL))
        return fail("build");

    promc_counter *ok = promc_counter_vec_labels(requests, "GET", "200"); /* cache the child */
    promc_counter_inc(ok);
    promc_counter_add(promc_counter_vec_labels(requests, "POST", "500"), 2);
    promc_gauge_set(in_flight, 3);
    promc_histogram_observe(latency, 0.042);

    return promc_encode_file(NULL, PROMC_FORMAT_TEXT, stdout) == PROMC_OK ? 0 : 1;
}
