/*
 * A family's hash table of children, on its own: a probe returns, in slot
 * order, exactly the children whose slots carry its hash's bits (every
 * child, in a wide table), up to the first empty slot, going on through
 * tombstones and past the table's end. Checked against the plain
 * definition, a walk over the slots read directly, on tables crowded on
 * purpose: few distinct hashes, so that slots, hash bits and runs collide.
 */
#include <stdint.h>
#include <stdlib.h>

#include "helpers.h"

#include "alloc.h"
#include "child_table.h"

#define MAX_CHILDREN 64

/* The children a probe for hash meets, by definition: from the slot the
 * hash points at, one slot at a time, to the first empty slot, skipping
 * tombstones and (in a narrow table) slots without the hash's bits. */
static size_t expected_walk(const struct promc__table *t, uint32_t hash, struct promc__child **out)
{
    size_t n = 0, i = hash & (t->size - 1);
    for (size_t left = t->size; left; left--, i = (i + 1) & (t->size - 1)) {
        uint64_t e = atomic_load(&t->slot[i]);
        if (e == PROMC__SLOT_EMPTY)
            break;
        if (e == PROMC__SLOT_GONE)
            continue;
        if (t->wide)
            out[n++] = (struct promc__child *)(uintptr_t)e;
        else if ((e >> 48) == ((hash >> 14) & 0xFFFF))
            out[n++] = (struct promc__child *)(uintptr_t)(e & UINT64_C(0x0000FFFFFFFFFFFF));
    }
    return n;
}

static size_t probe_walk(const struct promc__table *t, uint32_t hash, struct promc__child **out)
{
    struct promc__probe p;
    size_t n = 0;
    promc__probe_start(&p, t, hash);
    for (struct promc__child *c; (c = promc__probe_next(&p));) {
        assert_true(n < MAX_CHILDREN + 1);
        out[n++] = c;
    }
    return n;
}

/* Every hash of a small set of probes, and every child's own, walks as the
 * definition says. */
static void check_walks(const struct promc__table *t, struct promc__child **kids, size_t nkids,
                        const uint32_t *hashes, size_t nhashes)
{
    struct promc__child *want[MAX_CHILDREN + 1], *got[MAX_CHILDREN + 1];
    for (size_t k = 0; k < nhashes + nkids; k++) {
        uint32_t h = k < nhashes ? hashes[k] : promc__child_hash(kids[k - nhashes]);
        size_t nw = expected_walk(t, h, want);
        size_t ng = probe_walk(t, h, got);
        assert_int_equal(ng, nw);
        for (size_t j = 0; j < nw; j++)
            assert_ptr_equal(got[j], want[j]);
    }
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

/* A hash of 30 bits from a slot index (low bits) and 16 tag bits. */
static uint32_t make_hash(uint32_t slot, uint32_t tag)
{
    return (slot & 0x3FFF) | (tag & 0xFFFF) << 14;
}

static struct promc__child *new_child(uint32_t hash)
{
    struct promc__child *c = calloc(1, sizeof *c);
    assert_non_null(c);
    atomic_store(&c->hash_removed, hash);
    return c;
}

/* Many crowded tables: children whose hashes are drawn from a handful of
 * slots and tags (so groups hold several candidates, children with the
 * probe's bits sit behind other children and behind an empty slot, and
 * runs reach the table's end and wrap), some of them dropped to tombstones
 * -- narrow and wide. */
static void test_probe_walks_as_defined(void **state)
{
    (void)state;
    for (int round = 0; round < 3000; round++) {
        bool wide = round % 3 == 2;
        size_t nkids = 1 + rnd() % 13; /* 16 slots hold 14 (7/8) */
        size_t size = 16;
        struct promc__child *kids[MAX_CHILDREN];
        /* Slots near the start and the end (wrapping), a few tags. */
        static const uint32_t slots[] = {0, 1, 2, 11, 12, 13, 14, 15};
        for (size_t k = 0; k < nkids; k++)
            kids[k] = new_child(make_hash(slots[rnd() % 8] + (rnd() % 2) * 16, rnd() % 3));
        promc__table_force_wide = wide;
        struct promc__table *t = promc__table_build(NULL, NULL, size);
        promc__table_force_wide = false;
        assert_non_null(t);
        assert_int_equal(t->size, size);
        for (size_t k = 0; k < nkids; k++)
            assert_true(promc__table_put(t, kids[k]));
        size_t dropped = rnd() % (nkids + 1);
        for (size_t k = 0; k < dropped; k++)
            promc__table_drop(t, kids[k]);
        uint32_t hashes[24];
        size_t nh = 0;
        for (uint32_t s = 0; s < 16; s += 5)
            for (uint32_t tag = 0; tag < 4; tag++)
                hashes[nh++] = make_hash(s, tag);
        check_walks(t, kids, nkids, hashes, nh);
        promc__free(t);
        for (size_t k = 0; k < nkids; k++)
            free(kids[k]);
    }
}

/* A run of five children from one slot, four with the probe's bits and
 * one without: the probe returns the four in slot order. An empty slot
 * ends a walk: a child with the bits after it is not returned; a
 * tombstone does not. */
static void test_runs_empty_slots_and_tombstones(void **state)
{
    (void)state;
    struct promc__table *t = promc__table_build(NULL, NULL, 16);
    assert_non_null(t);
    uint32_t h = make_hash(4, 7);
    struct promc__child *a = new_child(h), *b = new_child(h), *other = new_child(make_hash(4, 8)),
                        *c = new_child(h), *d = new_child(h);
    struct promc__child *in[] = {a, other, b, c, d};
    for (size_t k = 0; k < 5; k++)
        assert_true(promc__table_put(t, in[k])); /* slots 4, 5, 6, 7, 8 */
    struct promc__child *got[8];
    assert_int_equal(probe_walk(t, h, got), 4);
    assert_ptr_equal(got[0], a);
    assert_ptr_equal(got[1], b);
    assert_ptr_equal(got[2], c);
    assert_ptr_equal(got[3], d);

    /* A probe from slot 2, two empty slots before the run: nothing. */
    assert_int_equal(probe_walk(t, make_hash(2, 7), got), 0);
    /* From slot 3 (empty): nothing either. */
    assert_int_equal(probe_walk(t, make_hash(3, 7), got), 0);
    promc__free(t);

    /* [x, empty, y, z] from slot 0, y and z with the probe's bits: only
     * what comes before the empty slot counts. */
    t = promc__table_build(NULL, NULL, 16);
    assert_non_null(t);
    struct promc__child *x = new_child(make_hash(0, 7)), *y = new_child(make_hash(2, 7)),
                        *z = new_child(make_hash(3, 7));
    assert_true(promc__table_put(t, x));
    assert_true(promc__table_put(t, y));
    assert_true(promc__table_put(t, z));
    assert_int_equal(probe_walk(t, make_hash(0, 7), got), 1);
    assert_ptr_equal(got[0], x);
    /* A tombstone where x was: the walk goes on through it, to the empty
     * slot after, and finds none. */
    promc__table_drop(t, x);
    assert_int_equal(probe_walk(t, make_hash(0, 7), got), 0);
    promc__free(t);
    struct promc__child *all[] = {a, b, c, d, other, x, y, z};
    for (size_t k = 0; k < 8; k++)
        free(all[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_walks_as_defined),
        cmocka_unit_test(test_runs_empty_slots_and_tombstones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
