/*
 * The exemplar half of the interop check (tests/integration/exemplars.sh):
 * fills a registry with counters and a histogram carrying exemplars -- the
 * same calls, in the same order, as tests/integration/exemplar_go/main.go
 * makes on client_golang -- and writes its OpenMetrics exposition to
 * stdout, with the wall clock pinned to the instant the Go program stamps
 * its exemplars with (float64(UnixNano)/1e9, as expfmt computes it).
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "promc.h"

static double pinned(void)
{
    return (double)1700000000123000000LL / 1e9;
}

static void check(int rc)
{
    if (rc != PROMC_OK) {
        fprintf(stderr, "exemplar_dump: %s\n", promc_last_error());
        exit(1);
    }
}

int main(void)
{
    promc__clock = pinned;
    promc_registry *reg = promc_registry_new();
    check(promc_registry_set_created(reg, 0)); /* client_golang 1.14 writes none */

    promc_counter *c = promc_counter_new(reg, "ex_requests", "Requests.", NULL);
    const promc_label t1[] = {{"trace_id", "KOO5S4vxi0o"}};
    check(promc_counter_add_exemplar(c, 2.5, t1, 1));

    promc_counter *esc = promc_counter_new(reg, "ex_escaped", "Escaping.", NULL);
    const promc_label t2[] = {{"trace_id", "a\"b\\c\nd \xc3\xbc\xe2\x98\x83"}};
    check(promc_counter_add_exemplar(esc, 0.25, t2, 1));

    promc_counter *big = promc_counter_new(reg, "ex_big", "Big values.", NULL);
    const promc_label t3[] = {{"span_id", "00f067aa0ba902b7"}, {"trace_id", "4bf92f3577b34da6"}};
    check(promc_counter_add_exemplar(big, 1e21, t3, 2));

    promc_counter_vec *v =
        promc_counter_vec_new(reg, "ex_by_code", "By code.", PROMC_LABELS("code"), NULL);
    const promc_label t4[] = {{"trace_id", "0123456789abcdef"}};
    check(promc_counter_add_exemplar(promc_counter_vec_labels(v, "200"), 3.5, t4, 1));
    check(promc_counter_add(promc_counter_vec_labels(v, "500"), 0.5));

    const double bounds[] = {0.1, 0.5, 1};
    promc_histogram_opts o = {.buckets = bounds, .nbuckets = 3};
    promc_histogram *h = promc_histogram_new(reg, "ex_latency_seconds", "Latency.", &o);
    const promc_label h1[] = {{"trace_id", "first"}};
    const promc_label h2[] = {{"trace_id", "KOO5S4vxi0o"}};
    const promc_label h3[] = {{"trace_id", "slow"}};
    check(promc_histogram_observe_exemplar(h, 0.05, h1, 1));
    check(promc_histogram_observe_exemplar(h, 0.07, h2, 1)); /* replaces "first" */
    check(promc_histogram_observe_exemplar(h, 0.67, h2, 1));
    promc_histogram_observe(h, 0.3); /* a bucket without one */
    check(promc_histogram_observe_exemplar(h, 7, h3, 1));

    char *om = promc_encode_buffer(reg, PROMC_FORMAT_OPENMETRICS, NULL);
    if (!om) {
        fprintf(stderr, "exemplar_dump: %s\n", promc_last_error());
        return 1;
    }
    fputs(om, stdout);
    promc_free(om);
    promc_counter_free(c);
    promc_counter_free(esc);
    promc_counter_free(big);
    promc_counter_vec_free(v);
    promc_histogram_free(h);
    promc_registry_free(reg);
    return 0;
}
