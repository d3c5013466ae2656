/*
 * Clean shutdown for the example exporters: SIGINT and SIGTERM set a stop
 * flag that the main loop checks, sleeps wake up within 50 ms of it, and
 * SIGPIPE is ignored so a client that hangs up cannot kill the process.
 */
#ifndef EX_SIGNALS_H
#define EX_SIGNALS_H

#include <stdbool.h>

/* Installs the SIGINT/SIGTERM handlers (sigaction, no SA_RESTART: blocking
 * calls in the main thread return EINTR) and ignores SIGPIPE. Call once,
 * early in main, before starting threads. Returns 0, or -1 with errno. */
int ex_signals_install(void);

/* true once SIGINT or SIGTERM arrived (or ex_request_stop was called).
 * Async-signal-safe and thread-safe. */
bool ex_should_stop(void);

/* The signal that asked to stop (SIGINT, SIGTERM), -1 for
 * ex_request_stop, 0 while running. For the "received SIGTERM" log line. */
int ex_stop_signal(void);

/* Asks the program to stop as a signal would, e.g. after a fatal error in a
 * thread. Thread-safe. */
void ex_request_stop(void);

/* Sleeps about seconds (fractions allowed; <= 0 returns at once), in steps
 * of at most 50 ms against a monotonic deadline, so a stop request ends it
 * early whichever thread the signal hit. Returns true when the whole time
 * passed, false when stopped. */
bool ex_sleep_interruptible(double seconds);

#endif /* EX_SIGNALS_H */
