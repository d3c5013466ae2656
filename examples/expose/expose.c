/*
 * The README's "expose metrics in three lines": serve the default registry
 * (with the process metrics) on :9000 until interrupted.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "promc_http.h"

int main(void)
{
    promc_counter *ticks = promc_counter_new(NULL, "ticks", "Seconds this program has run.", NULL);
    promc_http_server *srv = promc_http_server_new(NULL, ":9000", NULL);
    if (!srv) {
        fprintf(stderr, "expose: %s\n", promc_last_error());
        return 1;
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    for (;;) {
        struct timespec one_second = {1, 0};
        if (sigtimedwait(&stop, NULL, &one_second) > 0)
            break;
        promc_counter_inc(ticks);
    }
    promc_http_server_free(srv);
    return 0;
}
