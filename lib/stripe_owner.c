/*
 * Stripe ownership (stripe_owner.h). The free stripes are a bitmask taken
 * from with a CAS. A thread that takes one also stores its number as the
 * value of a pthread key, whose destructor gives it back when the thread
 * exits: short-lived threads (a pool that recycles its workers, a test
 * harness) do not use the stripes up, so the threads that run later still
 * find one free.
 *
 * The owner of a stripe updates its cells with plain (relaxed) loads and
 * stores, so the next owner must see the last ones: the release is a
 * release operation on the mask, the take an acquire one.
 *
 * A key destructor of another library may count something after this one
 * ran: the thread then takes a stripe again and stores the key's value
 * again, so the destructor runs once more (glibc repeats the destructors of
 * keys set again up to PTHREAD_DESTRUCTOR_ITERATIONS times; a stripe taken
 * in the very last round stays taken, costing later threads the shared
 * path, never a count). When the shared library is unloaded (dlclose) the
 * key is deleted first, as thread_state.c does, so no thread's exit calls
 * into unloaded code.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "stripe_owner.h"

_Static_assert(PROMC__STRIPES <= 32, "the free stripes fit an unsigned mask");

_Thread_local unsigned promc__stripe_mine PROMC__TLS;

/* Bit i set: stripe i is free. Stripe 0, the shared one, is never owned. */
#define ALL_OWNABLE ((1u << PROMC__STRIPES) - 2)
static atomic_uint free_mask = ALL_OWNABLE;

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static atomic_bool key_made; /* read by any thread, cleared at unload */

static void give_back(unsigned i)
{
    atomic_fetch_or_explicit(&free_mask, 1u << i, memory_order_release);
}

/* The key's destructor: the exiting thread's stripe goes back. */
static void release_stripe(void *value)
{
    unsigned i = (unsigned)(uintptr_t)value;
    if (i == promc__stripe_mine)
        promc__stripe_mine = 0;
    give_back(i);
}

static void make_key(void)
{
    atomic_store(&key_made, pthread_key_create(&key, release_stripe) == 0);
}

unsigned promc__stripe_take(void)
{
    /* All owned is the common answer once it is the answer at all: one
     * load, before anything else. */
    unsigned m = atomic_load_explicit(&free_mask, memory_order_relaxed);
    if (!m)
        return 0;
    pthread_once(&key_once, make_key);
    if (!atomic_load(&key_made))
        return 0; /* no way to give it back: do not take one */
    for (;;) {
        if (!m)
            return 0;
        unsigned i = (unsigned)__builtin_ctz(m);
        if (atomic_compare_exchange_weak_explicit(&free_mask, &m, m & ~(1u << i),
                                                  memory_order_acquire, memory_order_relaxed)) {
            if (pthread_setspecific(key, (void *)(uintptr_t)i) != 0) {
                give_back(i);
                return 0;
            }
            promc__stripe_mine = i;
            return i;
        }
    }
}

unsigned promc__stripes_free(void)
{
    return (unsigned)__builtin_popcount(atomic_load(&free_mask));
}

/* At exit or dlclose: the key is deleted, so threads still running keep
 * their stripes and never call a destructor that is gone. */
__attribute__((destructor)) static void delete_key(void)
{
    if (atomic_exchange(&key_made, false))
        pthread_key_delete(key);
}
