/*
 * Grace periods (grace.h): the states of all threads that ever read a
 * family's table without a lock are on one list; a grace period looks at
 * each one's section counter and waits, for a counter that shows an open
 * section, until it moves on. Counters only grow, so a section that opened
 * after the wait began (it cannot hold what was unlinked before) is not
 * waited for beyond the one that was open.
 */
#include <pthread.h>
#include <sched.h>

#include "grace.h"

static pthread_once_t grace_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t states_lock = PTHREAD_MUTEX_INITIALIZER;
static struct promc__thread_state *states; /* linked through grace_next */
static _Atomic unsigned long waiter_fence; /* see promc__grace_fence */

/* In the child of a fork only the forking thread lives on: the other
 * threads' states would show their sections open for ever (a grace period
 * would wait for good), and the list's lock may have been held. The
 * child keeps its own state only. */
static void after_fork_child(void)
{
    pthread_mutex_init(&states_lock, NULL);
    states = promc__tls_state;
    if (states)
        states->grace_prev = states->grace_next = NULL;
}

static void grace_init(void)
{
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

void promc__grace_wait(void)
{
    /* Pairs with the fence of promc__read_begin (grace.h). */
    pthread_once(&grace_once, grace_init);
    promc__grace_fence(&waiter_fence);
    pthread_mutex_lock(&states_lock);
    for (struct promc__thread_state *s = states; s; s = s->grace_next) {
        unsigned long v = atomic_load_explicit(&s->reading, memory_order_acquire);
        if (!(v & 1))
            continue;
        /* A section is a few hundred instructions: spin a little, then
         * let the reader's thread run (it may be waiting for this CPU). */
        for (unsigned spins = 0; atomic_load_explicit(&s->reading, memory_order_acquire) == v;
             spins++)
            if (spins >= 64)
                sched_yield();
    }
    pthread_mutex_unlock(&states_lock);
}
