/*
 * Grace periods (grace.h): the states of all threads that ever read a
 * family's table without a lock are on one list; a grace period looks at
 * each one's section counter and waits, for a counter that shows an open
 * section, until it moves on. Counters only grow, so a section that opened
 * after the wait began (it cannot hold what was unlinked before) is not
 * waited for beyond the one that was open.
 */
#define _GNU_SOURCE /* syscall */
#include <pthread.h>
#include <sched.h>

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "grace.h"

bool promc__grace_asymmetric;
static pthread_once_t grace_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t states_lock = PTHREAD_MUTEX_INITIALIZER;
static struct promc__thread_state *states; /* linked through grace_next */
static _Atomic unsigned long waiter_fence; /* see promc__grace_fence */

static void asymmetric_init(void);

/* In the child of a fork only the forking thread lives on: the other
 * threads' states would show their sections open for ever (a grace period
 * would wait for good), and the list's lock may have been held. The
 * child keeps its own state only, and registers for the barrier again in
 * case its new address space did not inherit the registration. */
static void after_fork_child(void)
{
    pthread_mutex_init(&states_lock, NULL);
    states = promc__tls_state;
    if (states)
        states->grace_prev = states->grace_next = NULL;
    promc__grace_asymmetric = false;
    asymmetric_init();
}

/* Linux 4.14 and later can run a barrier on every running thread of the
 * process (the expedited private membarrier, after the process registered
 * for it): a grace period, rare, then pays for the fence every read
 * section would otherwise make. Without it (older kernels, a seccomp
 * filter, other systems, ThreadSanitizer, which cannot see it), sections
 * fence. */
static void asymmetric_init(void)
{
#if defined(__linux__) && defined(SYS_membarrier) && !defined(PROMC__GRACE_TSAN)
    long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
        syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0)
        promc__grace_asymmetric = true;
#endif
}

/* A full barrier on every thread of the process, the caller's included;
 * false when there is none to be had (then readers fence themselves). */
static bool barrier_everywhere(void)
{
#if defined(__linux__) && defined(SYS_membarrier) && !defined(PROMC__GRACE_TSAN)
    if (promc__grace_asymmetric)
        return syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
#endif
    return false;
}

static void grace_init(void)
{
    pthread_atfork(NULL, NULL, after_fork_child);
    asymmetric_init();
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

bool promc__grace_wait(void)
{
    /* Pairs with the fence of promc__read_begin (grace.h), or stands for
     * the fence readers did not make. The once makes the flag final. A
     * registered process whose barrier fails (it cannot, short of a
     * kernel bug) has readers that did not fence: nothing is then known
     * safe to free, and the caller keeps it. */
    pthread_once(&grace_once, grace_init);
    promc__grace_fence(&waiter_fence);
    if (promc__grace_asymmetric && !barrier_everywhere())
        return false;
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
    return true;
}
