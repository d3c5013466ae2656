/*
 * Stripe ownership (stripe_owner.c): a contended series spreads its counts
 * over PROMC__STRIPES cache-line-sized stripes. Stripe 0 is shared by any
 * number of threads (atomic read-modify-writes); each of stripes 1 to
 * PROMC__STRIPES - 1 belongs to at most one thread at a time, across every
 * series, so its owner may update it with plain loads and stores. A thread
 * takes a free number on its first need and gives it back when it exits,
 * for the next thread to reuse.
 */
#ifndef PROMC_STRIPE_OWNER_H
#define PROMC_STRIPE_OWNER_H

#include "thread_state.h"

#define PROMC__STRIPES 8

/* The calling thread's stripe, 1 to PROMC__STRIPES - 1; 0 while it owns
 * none. Read on the hot path: one initial-exec thread-local load. */
extern _Thread_local unsigned promc__stripe_mine PROMC__TLS;

/* Takes a free stripe for the calling thread, or returns 0 when every one is
 * owned (the caller then takes the shared path, and asks again next time).
 * Whatever the previous owner of the stripe stored, with plain stores, is
 * visible to the caller once it returns. */
unsigned promc__stripe_take(void);

/* The calling thread's stripe, taken on first use; 0: none free. */
static inline unsigned promc__stripe(void)
{
    unsigned i = promc__stripe_mine;
    return i ? i : promc__stripe_take();
}

/* How many stripes no thread owns (for tests). */
unsigned promc__stripes_free(void);

#endif
