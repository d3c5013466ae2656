/*
 * Signal handling behind signals.h. The handler only stores the signal
 * number in a lock-free atomic (async-signal-safe in C11); everything else
 * polls it. Sleeping in short steps, rather than waiting on a self-pipe,
 * keeps this free of file descriptors and works from any thread.
 */
#include "signals.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define STEP_NS 50000000L /* 50 ms: how late a sleeper may notice a stop */

static atomic_int stop_signal;

static void on_stop_signal(int sig)
{
    atomic_store(&stop_signal, sig);
}

int ex_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop_signal;
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return -1;
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

bool ex_should_stop(void)
{
    return atomic_load(&stop_signal) != 0;
}

int ex_stop_signal(void)
{
    return atomic_load(&stop_signal);
}

void ex_request_stop(void)
{
    int expected = 0;
    atomic_compare_exchange_strong(&stop_signal, &expected, -1);
}

static double monotonic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool ex_sleep_interruptible(double seconds)
{
    if (ex_should_stop())
        return false;
    if (!(seconds > 0)) /* also NaN */
        return true;
    if (seconds > 1e9) /* ~31 years: keeps the arithmetic finite */
        seconds = 1e9;
    double deadline = monotonic_now() + seconds;
    for (;;) {
        if (ex_should_stop())
            return false;
        double left = deadline - monotonic_now();
        if (left <= 0)
            return true;
        long ns = left * 1e9 < (double)STEP_NS ? (long)ceil(left * 1e9) : STEP_NS;
        struct timespec step = {0, ns};
        /* EINTR (a signal hit this thread) just loops to check the flag. */
        nanosleep(&step, NULL);
    }
}
