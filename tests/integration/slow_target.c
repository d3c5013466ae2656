/*
 * A promc program with slow custom collectors, for the scrape-deadline test
 * against a real Prometheus: a gauge e2e_fast_value (7), a collector "slow"
 * whose every call sleeps SLEEP seconds before emitting e2e_slow_value, and
 * a collector "stale" (max_stale 60 s) whose first call answers at once and
 * every later one sleeps SLEEP seconds. Served over HTTP with the default
 * options (the scrape deadline from X-Prometheus-Scrape-Timeout-Seconds)
 * until SIGTERM. usage: slow_target PORT [SLEEP]
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "promc_http.h"

static volatile sig_atomic_t stop;
static double sleep_seconds = 5;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void sleep_for(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static int collect_slow(promc_emitter *e, void *ud)
{
    (void)ud;
    sleep_for(sleep_seconds);
    int rc = promc_emit_family(e, "e2e_slow_value", "Only after a long wait.", PROMC_GAUGE, NULL);
    return rc ? rc : promc_emit_sample(e, NULL, 0, 1);
}

static int collect_stale(promc_emitter *e, void *ud)
{
    atomic_int *calls = ud;
    if (atomic_fetch_add(calls, 1) > 0)
        sleep_for(sleep_seconds);
    int rc =
        promc_emit_family(e, "e2e_stale_value", "Its last result stands in.", PROMC_GAUGE, NULL);
    return rc ? rc : promc_emit_sample(e, NULL, 0, 1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [SLEEP]\n", argv[0]);
        return 2;
    }
    if (argc > 2)
        sleep_seconds = atof(argv[2]);
    static atomic_int stale_calls;
    promc_registry *r = promc_registry_new();
    promc_gauge *fast = promc_gauge_new(r, "e2e_fast_value", "Always there.", NULL);
    promc_metric *slow = promc_collector_new_opts(r, collect_slow, NULL, NULL, NULL,
                                                  &(promc_collector_opts){.name = "slow"});
    promc_metric *stale =
        promc_collector_new_opts(r, collect_stale, &stale_calls, NULL, NULL,
                                 &(promc_collector_opts){.name = "stale", .max_stale = 60});
    if (!fast || !slow || !stale) {
        fprintf(stderr, "slow_target: %s\n", promc_last_error());
        return 1;
    }
    promc_gauge_set(fast, 7);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%s", argv[1]);
    promc_http_server *srv = promc_http_server_new(r, addr, NULL);
    if (!srv) {
        fprintf(stderr, "slow_target: %s\n", promc_last_error());
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    while (!stop)
        sleep_for(0.05);
    promc_http_server_free(srv);
    promc_gauge_free(fast);
    promc_metric_free(slow);
    promc_metric_free(stale);
    promc_registry_free(r);
    /* Collections still sleeping end before this returns. */
    promc_shutdown();
    return 0;
}
