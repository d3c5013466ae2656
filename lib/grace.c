/*
 * Grace periods (grace.h): the states of all threads that ever read a
 * family's table without a lock are on one list; a grace period looks at
 * each one's section counter and waits, for a counter that shows an open
 * section, until it moves on. Counters only grow, so a section that opened
 * after the wait began (it cannot hold what was unlinked before) is not
 * waited for beyond the one that was open.
 */
#define _DEFAULT_SOURCE /* syscall, before any header */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "grace.h"

static pthread_once_t grace_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t states_lock = PTHREAD_MUTEX_INITIALIZER;
static struct promc__thread_state *states; /* linked through grace_next */
static _Atomic unsigned long waiter_fence; /* see promc__grace_fence */

/* The section of threads without a state (promc__read_begin_spare). */
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic unsigned long spare_reading;

int promc__grace_light;
static atomic_bool broken; /* a light barrier failed: no grace period ends */

/* Registers the process for private expedited membarrier; true when
 * grace periods can use it. Never under ThreadSanitizer, which does not
 * see the barrier the kernel puts into other threads. A kernel without it
 * (before 4.14), a seccomp filter or valgrind refusing the call: read
 * sections keep their fence. */
static bool light_register(void)
{
#if defined(__linux__) && defined(SYS_membarrier) && !defined(PROMC__GRACE_TSAN)
    long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
        return false;
    return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
#else
    return false;
#endif
}

/* A full barrier in every running thread of the process; false when the
 * call failed (the caller then cannot rely on it). */
static bool light_barrier(void)
{
#if defined(__linux__) && defined(SYS_membarrier) && !defined(PROMC__GRACE_TSAN)
    return syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
#else
    return false;
#endif
}

/* In the child of a fork only the forking thread lives on: the other
 * threads' states would show their sections open for ever (a grace period
 * would wait for good), and the list's lock may have been held. The
 * child keeps its own state only. */
static void after_fork_child(void)
{
    pthread_mutex_init(&states_lock, NULL);
    /* A thread gone with the fork may have been inside the spare section. */
    pthread_mutex_init(&spare_lock, NULL);
    unsigned long v = atomic_load_explicit(&spare_reading, memory_order_relaxed);
    if (v & 1)
        atomic_store_explicit(&spare_reading, v + 1, memory_order_relaxed);
    states = promc__tls_state;
    if (states)
        states->grace_prev = states->grace_next = NULL;
    /* Whether the registration carries over a fork is the kernel's
     * business: the child registers again (a no-op if it did) and falls
     * back to fences if it cannot. */
    if (promc__grace_light)
        promc__grace_light = light_register();
}

static void grace_init(void)
{
    promc__grace_light = light_register();
    pthread_atfork(NULL, NULL, after_fork_child);
}

void promc__grace_register(struct promc__thread_state *ts)
{
    pthread_once(&grace_once, grace_init);
    pthread_mutex_lock(&states_lock);
    ts->grace_prev = NULL;
    ts->grace_next = states;
    if (states)
        states->grace_prev = ts;
    states = ts;
    pthread_mutex_unlock(&states_lock);
}

void promc__grace_unregister(struct promc__thread_state *ts)
{
    pthread_mutex_lock(&states_lock);
    if (ts->grace_prev)
        ts->grace_prev->grace_next = ts->grace_next;
    else
        states = ts->grace_next;
    if (ts->grace_next)
        ts->grace_next->grace_prev = ts->grace_prev;
    pthread_mutex_unlock(&states_lock);
}

void promc__read_begin_spare(void)
{
    pthread_once(&grace_once, grace_init);
    pthread_mutex_lock(&spare_lock);
    unsigned long v = atomic_load_explicit(&spare_reading, memory_order_relaxed);
    atomic_store_explicit(&spare_reading, v + 1, memory_order_relaxed); /* odd: inside */
    promc__grace_fence(&spare_reading);
}

void promc__read_end_spare(void)
{
    unsigned long v = atomic_load_explicit(&spare_reading, memory_order_relaxed);
    atomic_store_explicit(&spare_reading, v + 1, memory_order_release); /* even: outside */
    pthread_mutex_unlock(&spare_lock);
}

/* Waits while the section whose counter is at reading is open. */
static void wait_section(_Atomic unsigned long *reading)
{
    unsigned long v = atomic_load_explicit(reading, memory_order_acquire);
    if (!(v & 1))
        return;
    /* A section is a few hundred instructions: spin a little, then let the
     * reader's thread run (it may be waiting for this CPU). */
    for (unsigned spins = 0; atomic_load_explicit(reading, memory_order_acquire) == v; spins++)
        if (spins >= 64)
            sched_yield();
}

bool promc__grace_wait(void)
{
    /* Pairs with the fence of promc__read_begin (grace.h). */
    pthread_once(&grace_once, grace_init);
    /* With light grace periods, the barrier is put into every thread: a
     * section that opened before it is seen open below. Should the call
     * fail after registering (it does not, short of a kernel bug), a
     * section without its fence could hide from the look below: nothing
     * is freed after that (a leak, not a use after free). */
    if (atomic_load_explicit(&broken, memory_order_relaxed))
        return false;
    if (promc__grace_light) {
        if (!light_barrier()) {
            atomic_store_explicit(&broken, true, memory_order_relaxed);
            return false;
        }
    } else {
        promc__grace_fence(&waiter_fence);
    }
    pthread_mutex_lock(&states_lock);
    for (struct promc__thread_state *s = states; s; s = s->grace_next)
        wait_section(&s->reading);
    pthread_mutex_unlock(&states_lock);
    wait_section(&spare_reading);
    return true;
}
