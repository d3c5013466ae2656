/*
 * Stopping on SIGTERM and SIGINT without a signal handler: the signals are
 * blocked in every thread (the mask is inherited) and taken synchronously
 * with sigtimedwait by the thread that waits for them, where calling promc
 * -- freeing a server, a final push or textfile -- is safe. Nothing runs
 * in signal context, so nothing has to be async-signal-safe.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <time.h>

#include "promc_http.h"

#include "internal.h"

static void stop_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

int promc_stop_signals_block(void)
{
    sigset_t set;
    stop_set(&set);
    /* Fails only for an invalid first argument. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    return promc__ok();
}

/* Seconds to wait at most in one sigtimedwait: far beyond any real
 * timeout, and small enough for a time_t. */
#define MAX_WAIT 1e9

int promc_stop_signal_wait(double timeout)
{
    if (isnan(timeout))
        return promc__fail(PROMC_EINVAL, "promc_stop_signal_wait: the timeout is NaN");
    sigset_t set, current;
    stop_set(&set);
    pthread_sigmask(SIG_BLOCK, NULL, &current);
    if (!sigismember(&current, SIGINT) || !sigismember(&current, SIGTERM))
        return promc__fail(PROMC_ESTATE,
                           "promc_stop_signal_wait: SIGINT and SIGTERM are not blocked in this "
                           "thread; call promc_stop_signals_block first in main, before any "
                           "thread starts");
    bool forever = timeout < 0 || timeout > MAX_WAIT;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    if (!forever) {
        double whole = floor(timeout);
        deadline.tv_sec += (time_t)whole;
        deadline.tv_nsec += (long)((timeout - whole) * 1e9);
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    for (;;) {
        struct timespec left = {(time_t)MAX_WAIT, 0};
        if (!forever) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            left.tv_sec = deadline.tv_sec - now.tv_sec;
            left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
            if (left.tv_nsec < 0) {
                left.tv_sec--;
                left.tv_nsec += 1000000000L;
            }
            if (left.tv_sec < 0)
                left.tv_sec = left.tv_nsec = 0;
        }
        int sig = sigtimedwait(&set, NULL, &left);
        if (sig > 0) {
            promc__ok();
            return sig;
        }
        /* EINTR: another signal (with a handler) arrived; wait on. */
        if (errno == EAGAIN && !forever) {
            promc__ok();
            return 0;
        }
    }
}
