/*
 * Per-thread state that does not live in static TLS (thread_state.c): the
 * lookup cache of children.c and the message of error.c, in one block
 * allocated on a thread's first need and freed when the thread exits. Only a
 * pointer to it is thread-local. That keeps promc's own thread-locals, which
 * the hot path reads with the initial-exec model, small enough for the
 * static TLS a dlopen'ed library may use.
 */
#ifndef PROMC_THREAD_STATE_H
#define PROMC_THREAD_STATE_H

#include <stdatomic.h>
#include <stdint.h>

/* The model of every thread-local of the library: one instruction to reach
 * it, also in the shared library. Their total must stay small (glibc lends a
 * dlopen'ed library 512 bytes of static TLS by default); a test loads the
 * shared library with dlopen. */
#define PROMC__TLS __attribute__((tls_model("initial-exec")))

struct promc__child;

/* One remembered lookup: its family's stamp then (the family's removal
 * generation, drawn from a process-wide counter, so it also names the
 * family) and the child found; its key (the values' hash, or one made from
 * their addresses) is in the set's key[], beside the other ways' keys. */
struct promc__lookup_entry {
    uint64_t stamp;
    struct promc__child *child;
};

/* Set-associative: a lookup searches the 4 entries of the set its hash
 * picks. With direct mapping, 100 children of one family already collided
 * often enough to send one lookup in three to the family's lock. */
#define PROMC__LOOKUP_WAYS 4
#define PROMC__LOOKUP_SETS 64  /* a power of two */
#define PROMC__MESSAGE_MAX 256 /* bytes of an error message, NUL included */

/* Bytes of the copy a set keeps of an entry's values: each value and its
 * NUL, one after the other; a first byte of 0xFF (never in valid UTF-8)
 * while there is none. The copy is made on an entry's first hit, when the
 * values fit: later hits compare the caller's values with it a word at a
 * time, with no label names to step over and no escapes. */
#define PROMC__LOOKUP_RAW 32

struct promc__lookup_set {
    /* e[w]'s key: a lookup compares all four at once, without a branch. */
    uint32_t key[PROMC__LOOKUP_WAYS];
    struct promc__lookup_entry e[PROMC__LOOKUP_WAYS];
    char raw[PROMC__LOOKUP_WAYS][PROMC__LOOKUP_RAW]; /* e[w]'s values */
    unsigned next;                                   /* the way replaced next */
};

struct promc__thread_state {
    struct promc__lookup_set lookup[PROMC__LOOKUP_SETS];
    char message[PROMC__MESSAGE_MAX];
    /* grace.h: odd while the thread reads a family's table without a lock
     * (written by the thread only, read by grace periods), and the list of
     * every thread's state that grace periods walk. */
    _Atomic unsigned long reading;
    /* children.c: stamps this thread may hand out, [stamp_next, stamp_end),
     * a block drawn from the process-wide counter at a time. */
    uint64_t stamp_next, stamp_end;
    struct promc__thread_state *grace_prev, *grace_next;
};

extern _Thread_local struct promc__thread_state *promc__tls_state PROMC__TLS;

/* Allocates the calling thread's state; NULL when out of memory. */
struct promc__thread_state *promc__thread_state_new(void);

/* The calling thread's state, allocated on first use; NULL when out of
 * memory (callers then go without: no cache, a fixed message). */
static inline struct promc__thread_state *promc__thread_state(void)
{
    struct promc__thread_state *s = promc__tls_state;
    return s ? s : promc__thread_state_new();
}

#endif
