/*
 * Read sections and grace periods (grace.c): how a family's lookups read
 * its hash table without a lock while writers free what they unlinked.
 *
 * A thread reading shared index structures (a family's table and hash
 * chains) brackets the reads with promc__read_begin/promc__read_end; the
 * bracket writes only the thread's own counter. A writer that unlinked
 * memory calls promc__grace_wait before freeing it: it returns once every
 * section that was open when it was called has ended, so no reader can
 * still hold what was unlinked before the call. Sections do not nest, take
 * no lock and call nothing that waits; a thread in a section never calls
 * promc__grace_wait.
 */
#ifndef PROMC_GRACE_H
#define PROMC_GRACE_H

#include <stdatomic.h>
#include <stdbool.h>

#include "thread_state.h"

/* The full fence both sides need. ThreadSanitizer does not take a
 * sequentially consistent fence; there, an exchange on a line of one's
 * own stands in (a full barrier on x86 and arm64 all the same), and the
 * sanitizer checks the happens-before the counters give. */
#if defined(__SANITIZE_THREAD__)
#define PROMC__GRACE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PROMC__GRACE_TSAN 1
#endif
#endif

static inline void promc__grace_fence(_Atomic unsigned long *own)
{
#ifdef PROMC__GRACE_TSAN
    atomic_fetch_add_explicit(own, 0, memory_order_seq_cst);
#else
    (void)own;
    atomic_thread_fence(memory_order_seq_cst);
#endif
}

/* Whether grace periods make every thread of the process execute a full
 * barrier (Linux's membarrier, private expedited: about a microsecond a
 * call), so that read sections need no fence of their own. Set once, in
 * grace.c's one-time initialisation, which every thread passes before its
 * first section (its state is registered there first); constant after,
 * but in the child of a fork, where the one thread left sets it again. */
extern int promc__grace_light;

/* Opens a read section. The fence orders the counter's store before the
 * reads that follow it, against promc__grace_wait's: either the waiter
 * sees the section open, or the section's reads see what the waiter
 * unlinked before it waited. With light grace periods, the waiter's
 * membarrier puts that fence into this thread for it, and the compiler
 * only must keep the store before the reads. */
static inline void promc__read_begin(struct promc__thread_state *ts)
{
    unsigned long v = atomic_load_explicit(&ts->reading, memory_order_relaxed);
    atomic_store_explicit(&ts->reading, v + 1, memory_order_relaxed); /* odd: inside */
    if (promc__grace_light)
        atomic_signal_fence(memory_order_seq_cst);
    else
        promc__grace_fence(&ts->reading);
}

/* Closes it: the reads before are done before a waiter sees it closed. */
static inline void promc__read_end(struct promc__thread_state *ts)
{
    unsigned long v = atomic_load_explicit(&ts->reading, memory_order_relaxed);
    atomic_store_explicit(&ts->reading, v + 1, memory_order_release); /* even: outside */
}

/* A read section for a thread without a state (thread_state.h: out of
 * memory), for readers that cannot go to a lock instead: one such section
 * at a time in the process (a mutex held only for the section, so it waits
 * only for another section), on a counter of grace.c's own, with a fence
 * always. The same rules as above. */
void promc__read_begin_spare(void);
void promc__read_end_spare(void);

/* Waits until every read section open at the call has ended; true then.
 * False (at once, and for every call after) only if a light grace period's
 * membarrier failed, which a registered process's does not short of a
 * kernel bug: the caller must then not free what it unlinked. */
bool promc__grace_wait(void);

/* Called by thread_state.c: a thread's state joins the states a grace
 * period looks at when made, and leaves when freed. */
void promc__grace_register(struct promc__thread_state *ts);
void promc__grace_unregister(struct promc__thread_state *ts);

#endif
