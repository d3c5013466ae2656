/*
 * The README's "expose metrics in three lines": serve the default registry
 * (with the process metrics) on :9000 until SIGINT or SIGTERM.
 */
#include <stdio.h>

#include "promc_http.h"

int main(void)
{
    /* First, before the server starts its threads: they inherit the mask,
     * so a stop signal waits for promc_stop_signal_wait below instead of
     * ending the process on whichever thread it hits. */
    promc_stop_signals_block();
    promc_counter *ticks = promc_counter_new(NULL, "ticks", "Seconds this program has run.", NULL);
    promc_http_server *srv = promc_http_server_new(NULL, ":9000", NULL);
    if (!srv) {
        fprintf(stderr, "expose: %s\n", promc_last_error());
        return 1;
    }
    while (promc_stop_signal_wait(1) == 0)
        promc_counter_inc(ticks);
    promc_http_server_free(srv);
    return 0;
}
