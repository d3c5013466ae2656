/*
 * A family's hash table of children (child_table.c): open addressing with
 * linear probing, each slot one 64-bit word holding a child's address and
 * 16 bits of its hash, so a lookup among many children touches the table
 * and the one child it wants -- not, as chains did, every child before it
 * in its chain, each a cache miss in a large family.
 *
 * Writers (under the family's write lock) fill empty slots, turn a freed
 * child's slot into a tombstone, and replace the whole table when it fills
 * up; lookups read it without a lock, inside a read section (grace.h), so
 * a replaced table and freed children wait for a grace period. A slot is
 * one atomic word: a probe sees it empty, a tombstone, or a whole entry.
 */
#ifndef PROMC_CHILD_TABLE_H
#define PROMC_CHILD_TABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metric.h"

#define PROMC__SLOT_EMPTY UINT64_C(0)
#define PROMC__SLOT_GONE  UINT64_C(1) /* a tombstone: a child was here; probes go on */

struct promc__table {
    size_t size;   /* slots, a power of two */
    size_t filled; /* slots not empty (children and tombstones); writers only */
    /* Slots hold bare addresses, no hash bits: a child's address needed
     * more than 48 bits (never on Linux's x86-64 and arm64 user space,
     * possible elsewhere). Probes then compare each child's own hash. */
    bool wide;
    _Atomic uint64_t slot[];
};

/* The 16 hash bits a slot keeps (bits 14 to 29 of the 30-bit hash; the
 * slot index takes the low bits), in place in the slot word. */
static inline uint64_t promc__slot_tag(uint32_t hash)
{
    return (uint64_t)((hash >> 14) & 0xFFFF) << 48;
}

/* A walk over the slots a hash's children can be in. */
struct promc__probe {
    const struct promc__table *t;
    size_t i, left;
    uint64_t tag;
};

static inline void promc__probe_start(struct promc__probe *p, const struct promc__table *t,
                                      uint32_t hash)
{
    p->t = t;
    p->i = hash & (t->size - 1);
    p->left = t->size;
    p->tag = t->wide ? 0 : promc__slot_tag(hash);
}

/* The next child whose slot carries the hash's bits (any child, in a wide
 * table), or NULL at the first empty slot: none further has the hash. The
 * caller compares the child's hash and values. Acquire loads (the caller
 * may be a lock-free probe): a child is seen as its creator wrote it
 * before putting it in. */
static inline struct promc__child *promc__probe_next(struct promc__probe *p)
{
    while (p->left) {
        uint64_t e = atomic_load_explicit(&p->t->slot[p->i], memory_order_acquire);
        p->i = (p->i + 1) & (p->t->size - 1);
        p->left--;
        if (e == PROMC__SLOT_EMPTY)
            break;
        if (e == PROMC__SLOT_GONE)
            continue;
        if (p->t->wide)
            return (struct promc__child *)(uintptr_t)e;
        if ((e & UINT64_C(0xFFFF000000000000)) == p->tag)
            return (struct promc__child *)(uintptr_t)(e & UINT64_C(0x0000FFFFFFFFFFFF));
    }
    return NULL;
}

/* Puts c (its hash in hash_removed) in a free slot; false when the table
 * is too full for another child (filled past 7/8 of its slots) or c's
 * address does not fit a narrow table: the caller makes a new one. Under
 * the write lock; published to probes by a release store. */
bool promc__table_put(struct promc__table *t, struct promc__child *c);

/* Turns c's slot into a tombstone (c must be in t). Under the write lock. */
void promc__table_drop(struct promc__table *t, const struct promc__child *c);

/* A new table holding the children of the list that starts at first
 * (through next) and extra (NULL: none), sized so that they fill at most
 * 7/8 of it and at least min_size slots; NULL when out of memory. */
struct promc__table *promc__table_build(const struct promc__child *first,
                                        struct promc__child *extra, size_t min_size);

/* Test hook: when set, new tables are wide (bare addresses), as on a
 * machine with addresses above 48 bits. */
extern bool promc__table_force_wide;

#endif
