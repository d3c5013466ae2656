/*
 * A family's hash table of children (child_table.h): putting a child in,
 * leaving a tombstone for a freed one, building a new table.
 *
 * Linear probing up to 7/8 full: a lookup that finds its child reads 1.4
 * slots on average at the lowest fill after the table doubled (7/16) and
 * 4.5 at the highest, eight slots to a cache line, and only the child whose slot
 * carries its hash bits (one in 65,536 others does). 8 bytes a slot at
 * 7/16 to 7/8 full is 9 to 18 bytes a child, where chains took a pointer
 * in the child and half a slot pointer, 12 to 16.
 */
#include "child_table.h"

#include "internal.h"

bool promc__table_force_wide;

/* Whether c's address fits the 48 bits a narrow slot keeps for it. */
static inline bool fits(const struct promc__child *c)
{
    return ((uint64_t)(uintptr_t)c >> 48) == 0;
}

/* Puts c in the first slot free for it (empty, or a tombstone: the caller
 * knows no child with c's values is in t). */
static void put(struct promc__table *t, struct promc__child *c)
{
    uint32_t hash = promc__child_hash(c);
    uint64_t e = t->wide ? (uint64_t)(uintptr_t)c : promc__slot_tag(hash) | (uintptr_t)c;
    for (size_t i = hash & (t->size - 1);; i = (i + 1) & (t->size - 1)) {
        uint64_t old = atomic_load_explicit(&t->slot[i], memory_order_relaxed);
        if (old == PROMC__SLOT_EMPTY || old == PROMC__SLOT_GONE) {
            if (old == PROMC__SLOT_EMPTY)
                t->filled++;
            atomic_store_explicit(&t->slot[i], e, memory_order_release);
            return;
        }
    }
}

static inline bool too_full(size_t filled, size_t size)
{
    return filled > size - size / 8;
}

bool promc__table_put(struct promc__table *t, struct promc__child *c)
{
    if (too_full(t->filled + 1, t->size) || (!t->wide && !fits(c)))
        return false;
    put(t, c);
    return true;
}

void promc__table_drop(struct promc__table *t, const struct promc__child *c)
{
    uint64_t mask = t->wide ? ~UINT64_C(0) : UINT64_C(0x0000FFFFFFFFFFFF);
    for (size_t i = promc__child_hash(c) & (t->size - 1);; i = (i + 1) & (t->size - 1)) {
        uint64_t e = atomic_load_explicit(&t->slot[i], memory_order_relaxed);
        if (e != PROMC__SLOT_GONE && (e & mask) == (uint64_t)(uintptr_t)c) {
            atomic_store_explicit(&t->slot[i], PROMC__SLOT_GONE, memory_order_release);
            return;
        }
    }
}

struct promc__table *promc__table_build(const struct promc__child *first,
                                        struct promc__child *extra, size_t min_size)
{
    size_t n = extra ? 1 : 0;
    bool wide = promc__table_force_wide || (extra && !fits(extra));
    for (struct promc__child *c = (struct promc__child *)first; c;
         c = atomic_load_explicit(&c->next, memory_order_relaxed)) {
        n++;
        wide |= !fits(c);
    }
    size_t size = min_size < 16 ? 16 : min_size;
    while (too_full(n, size))
        size *= 2;
    struct promc__table *t = promc__calloc(1, sizeof *t + size * sizeof t->slot[0]);
    if (!t)
        return NULL;
    t->size = size;
    t->wide = wide;
    for (struct promc__child *c = (struct promc__child *)first; c;
         c = atomic_load_explicit(&c->next, memory_order_relaxed))
        put(t, c);
    if (extra)
        put(t, extra);
    return t;
}
