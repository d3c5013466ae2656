/*
 * The block chain that scrapes are built and sent from: bytes come out in
 * the order they went in, across block boundaries, whatever the sizes of
 * the appends and of the takes; iovecs cover exactly what is queued; a
 * splice hands blocks over without a copy; every emptied block is freed at
 * once; and a failed allocation sets oom, keeps what was queued intact and
 * leaks nothing.
 */
#define _DEFAULT_SOURCE /* mincore */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"

#include "chain.h"
#include "failalloc.h"

#define BIG (5 * PROMC__CHAIN_BLOCK + 123)

static unsigned char pattern(size_t i)
{
    return (unsigned char)(i * 131 + (i >> 9));
}

/* Appends pattern bytes [from, to) in pieces of piece bytes. */
static void put_range(struct promc__chain *c, size_t from, size_t to, size_t piece)
{
    unsigned char tmp[4096];
    while (from < to) {
        size_t n = to - from < piece ? to - from : piece;
        if (n > sizeof tmp)
            n = sizeof tmp;
        for (size_t i = 0; i < n; i++)
            tmp[i] = pattern(from + i);
        promc__chain_put(c, tmp, n);
        from += n;
    }
}

/* Checks the queued bytes are pattern bytes [from, from + len), through the
 * iovecs, with at most max entries at a time, taking take bytes a step (each
 * byte is checked once, as it is taken). */
static void take_all(struct promc__chain *c, size_t from, size_t take, int max)
{
    while (c->len) {
        struct iovec iov[8];
        int n = promc__chain_iov(c, iov, max);
        assert_true(n > 0 && n <= max);
        size_t seen = 0;
        for (int k = 0; k < n; k++) {
            assert_true(iov[k].iov_len > 0);
            seen += iov[k].iov_len;
        }
        assert_true(seen <= c->len);
        assert_true(n == max || seen == c->len);
        size_t t = take < seen ? take : seen, checked = 0;
        for (int k = 0; k < n && checked < t; k++) {
            const unsigned char *p = iov[k].iov_base;
            for (size_t i = 0; i < iov[k].iov_len && checked < t; i++, checked++)
                if (p[i] != pattern(from + checked))
                    fail_msg("byte %zu differs", from + checked);
        }
        promc__chain_consume(c, t);
        from += t;
    }
    assert_null(c->head);
    assert_null(c->tail);
}

static void test_order_across_blocks(void **state)
{
    (void)state;
    size_t pieces[] = {1, 7, 4096, PROMC__CHAIN_BLOCK, 3 * PROMC__CHAIN_BLOCK};
    size_t takes[] = {7, 1000, PROMC__CHAIN_BLOCK - 1, PROMC__CHAIN_BLOCK + 1, BIG};
    for (size_t p = 0; p < sizeof pieces / sizeof *pieces; p++)
        for (size_t t = 0; t < sizeof takes / sizeof *takes; t++) {
            struct promc__chain c = {0};
            /* promc__chain_put takes any size; put_range caps at its buffer,
             * so large pieces also go in one direct call. */
            if (pieces[p] > 4096) {
                unsigned char *all = malloc(BIG);
                assert_non_null(all);
                for (size_t i = 0; i < BIG; i++)
                    all[i] = pattern(i);
                for (size_t off = 0; off < BIG; off += pieces[p])
                    promc__chain_put(&c, all + off, BIG - off < pieces[p] ? BIG - off : pieces[p]);
                free(all);
            } else {
                put_range(&c, 0, BIG, pieces[p]);
            }
            assert_false(c.oom);
            assert_int_equal(c.len, BIG);
            take_all(&c, 0, takes[t], t % 2 ? 8 : 3);
        }
}

static void test_interleaved_put_and_take(void **state)
{
    (void)state;
    struct promc__chain c = {0};
    size_t in = 0, out = 0;
    for (int round = 0; round < 50; round++) {
        put_range(&c, in, in + 9000 + (size_t)round * 1000, 333);
        in += 9000 + (size_t)round * 1000;
        size_t t = c.len / 2 + 1;
        struct iovec iov[4];
        int n = promc__chain_iov(&c, iov, 4);
        assert_true(n > 0);
        assert_int_equal(((unsigned char *)iov[0].iov_base)[0], pattern(out));
        promc__chain_consume(&c, t);
        out += t;
        assert_int_equal(c.len, in - out);
    }
    take_all(&c, out, 5000, 8);
}

static void test_consume_more_than_queued_and_clear(void **state)
{
    (void)state;
    struct promc__chain c = {0};
    put_range(&c, 0, 100, 100);
    promc__chain_consume(&c, 1000);
    assert_int_equal(c.len, 0);
    assert_null(c.head);
    struct iovec iov[1];
    assert_int_equal(promc__chain_iov(&c, iov, 1), 0);
    put_range(&c, 0, BIG, 4096);
    promc__chain_clear(&c);
    assert_int_equal(c.len, 0);
    assert_null(c.head);
    promc__chain_clear(&c); /* twice is fine */
}

static void test_splice_hands_blocks_over(void **state)
{
    (void)state;
    struct promc__chain a = {0}, b = {0};
    promc__chain_splice(&a, &b); /* both empty */
    assert_null(a.head);
    put_range(&a, 0, 1000, 1000);
    put_range(&b, 1000, BIG, 4096);
    promc__chain_consume(&a, 10); /* a partly taken first block */
    const void *b_first = b.head;
    promc__chain_splice(&a, &b);
    assert_null(b.head);
    assert_int_equal(b.len, 0);
    assert_int_equal(a.len, BIG - 10);
    /* Appends after a splice go to the end. */
    put_range(&a, BIG, BIG + 70000, 4096);
    struct iovec iov[8];
    int n = promc__chain_iov(&a, iov, 8);
    assert_true(n >= 2);
    assert_ptr_not_equal(iov[1].iov_base, NULL);
    assert_true((const char *)iov[1].iov_base > (const char *)b_first); /* no copy */
    take_all(&a, 10, 7777, 8);
    /* Splicing into an empty chain, with a partly taken source. */
    put_range(&b, 0, BIG, 4096);
    promc__chain_consume(&b, PROMC__CHAIN_BLOCK + 5);
    promc__chain_splice(&a, &b);
    take_all(&a, PROMC__CHAIN_BLOCK + 5, 4096, 8);
}

static void test_put(void **state)
{
    (void)state;
    struct promc__chain c = {0};
    promc__chain_put(&c, "abc", 3);
    promc__chain_put(&c, "", 0);
    assert_false(c.oom);
    assert_int_equal(c.len, 3);
    struct iovec iov[1];
    assert_int_equal(promc__chain_iov(&c, iov, 1), 1);
    assert_memory_equal(iov[0].iov_base, "abc", 3);
    promc__chain_clear(&c);
}

/* Every allocation fails in turn: oom is set, the bytes queued before the
 * failure stay whole and in order, later appends do nothing, and clearing
 * frees every block. */
static void test_allocation_failure(void **state)
{
    (void)state;
    long live = alloc_live;
    for (long n = 1; n <= 7; n++) {
        struct promc__chain c = {0};
        arm(n);
        put_range(&c, 0, BIG, 4096);
        disarm();
        assert_true(alloc_injected == (n <= 6)); /* BIG needs 6 blocks */
        if (alloc_injected) {
            assert_true(c.oom);
            assert_int_equal(c.len, (size_t)(n - 1) * (PROMC__CHAIN_BLOCK - 6 * sizeof(size_t)));
            size_t len = c.len;
            promc__chain_put(&c, "x", 1);
            assert_true(c.oom);
            assert_int_equal(c.len, len);
            struct promc__chain d = {0};
            promc__chain_splice(&d, &c);
            assert_true(d.oom);
            take_all(&d, 0, 10000, 8);
            promc__chain_clear(&d);
            assert_false(d.oom);
        } else {
            assert_false(c.oom);
            promc__chain_clear(&c);
        }
        assert_int_equal(alloc_live, live);
    }
}

/* With libc's allocator, a chain that holds PROMC__CHAIN_HUGE bytes grows
 * in huge blocks (one iovec each, of a huge block's data), and the bytes
 * stay in order across both kinds. Runs before the failing allocator is
 * installed: with a user allocator the chain never maps memory itself. */
static void test_large_chain_grows_in_huge_blocks(void **state)
{
    (void)state;
    size_t total = 4 * PROMC__CHAIN_HUGE + 12345;
    struct promc__chain c = {0};
    put_range(&c, 0, total, 4096);
    assert_int_equal(c.len, total);
    struct iovec iov[128];
    int n = promc__chain_iov(&c, iov, 128);
    size_t small = PROMC__CHAIN_BLOCK - 6 * sizeof(size_t);
    size_t huge = PROMC__CHAIN_HUGE - 6 * sizeof(size_t);
    size_t seen = 0;
    int huge_blocks = 0;
    for (int k = 0; k < n; k++) {
        if (seen < PROMC__CHAIN_HUGE)
            assert_int_equal(iov[k].iov_len, small);
        else if (k < n - 1)
            assert_int_equal(iov[k].iov_len, huge);
        huge_blocks += iov[k].iov_len > small;
        seen += iov[k].iov_len;
    }
    assert_int_equal(seen, total);
    assert_true(huge_blocks >= 3);
    take_all(&c, 0, 1 << 20, 8);
    assert_null(c.head);
    promc__chain_clear(&c);
}

/* Whether the page holding p is mapped (mincore fails with ENOMEM on a
 * range that is not). */
static bool page_mapped(const void *p)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char v;
    void *a = (void *)((uintptr_t)p / page * page);
    return mincore(a, page, &v) == 0;
}

/* A mapped block gives back what it no longer needs: the pages a slow
 * reader has taken from the head block, and, once the chain is sealed, the
 * pages after the last block's bytes. The bytes left stay whole. */
static void test_mapped_blocks_give_pages_back(void **state)
{
    (void)state;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t total = PROMC__CHAIN_HUGE + PROMC__CHAIN_HUGE / 2; /* a huge block, half full */
    struct promc__chain c = {0};
    put_range(&c, 0, total, 4096);
    struct iovec iov[64];
    int n = promc__chain_iov(&c, iov, 64);
    const char *last = iov[n - 1].iov_base; /* the huge block's data, from its start */
    size_t used = iov[n - 1].iov_len;
    assert_true(used > PROMC__CHAIN_HUGE / 4);
    assert_true(page_mapped(last + used + 2 * page));
    promc__chain_seal(&c);
    assert_false(page_mapped(last + used + 2 * page));
    assert_true(page_mapped(last + used - 1));
    /* Take all but 100 bytes: the pages taken go back, the rest is read. */
    promc__chain_consume(&c, total - 100);
    assert_int_equal(c.len, 100);
    assert_false(page_mapped(last + page));
    take_all(&c, total - 100, 7, 8);
    promc__chain_clear(&c);
}

/* Whatever byte a slow reader stops at, the page holding the next one stays
 * mapped: here the first unsent byte sits 1 to 16 bytes before a page
 * boundary of a huge block, where rounding by the header's size instead of
 * the data's offset gave its page back while it still held the bytes (a
 * send then failed with EFAULT and the response was cut short). */
static void test_pages_given_back_end_before_the_next_byte(void **state)
{
    (void)state;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t total = PROMC__CHAIN_HUGE + PROMC__CHAIN_HUGE / 2;
    struct promc__chain c = {0};
    put_range(&c, 0, total, 4096);
    struct iovec iov[64];
    int n = promc__chain_iov(&c, iov, 64);
    const char *data = iov[n - 1].iov_base; /* the huge block's first byte */
    size_t before = total - iov[n - 1].iov_len, taken = 0;
    uintptr_t first_page = ((uintptr_t)data + page - 1) / page * page;
    for (size_t k = 1; k <= 16; k++) {
        /* The first unsent byte: k bytes before the end of page k. */
        uintptr_t at = first_page + k * page - k;
        size_t to = before + (size_t)(at - (uintptr_t)data);
        promc__chain_consume(&c, to - taken);
        taken = to;
        assert_int_equal(promc__chain_iov(&c, iov, 1), 1);
        assert_ptr_equal(iov[0].iov_base, (const void *)at);
        assert_true(page_mapped(iov[0].iov_base));
        assert_int_equal(*(const unsigned char *)iov[0].iov_base, pattern(taken));
    }
    take_all(&c, taken, 1 << 20, 8);
    promc__chain_clear(&c);
}

/* An allocated head block with a small remainder left moves it into a block
 * of its exact size (one allocation), in order; puts of an exact size take
 * one allocation each. */
static void test_small_remainders_are_kept_exactly(void **state)
{
    (void)state;
    long live = alloc_live;
    struct promc__chain c = {0};
    put_range(&c, 0, 3 * PROMC__CHAIN_BLOCK, 4096);
    struct iovec head[1];
    assert_int_equal(promc__chain_iov(&c, head, 1), 1);
    size_t first = head[0].iov_len; /* the first block's bytes */
    assert_true(first < PROMC__CHAIN_BLOCK && first > PROMC__CHAIN_BLOCK - 64);
    arm(1000);
    promc__chain_consume(&c, first - 100);
    assert_int_equal(alloc_seen, 1);
    promc__chain_put_exact(&c, "tail", 4);
    assert_int_equal(alloc_seen, 2);
    disarm();
    assert_int_equal(c.len, 3 * PROMC__CHAIN_BLOCK - (first - 100) + 4);
    struct iovec iov[8];
    assert_true(promc__chain_iov(&c, iov, 8) >= 3);
    assert_int_equal(iov[0].iov_len, 100);
    promc__chain_consume(&c, c.len - 4);
    assert_int_equal(promc__chain_iov(&c, iov, 8), 1);
    assert_memory_equal(iov[0].iov_base, "tail", 4);
    promc__chain_clear(&c);
    assert_int_equal(alloc_live, live);
}

int main(void)
{
    const struct CMUnitTest libc_tests[] = {
        cmocka_unit_test(test_large_chain_grows_in_huge_blocks),
        cmocka_unit_test(test_mapped_blocks_give_pages_back),
        cmocka_unit_test(test_pages_given_back_end_before_the_next_byte),
    };
    int failed = cmocka_run_group_tests(libc_tests, NULL, NULL);
    failalloc_install();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_across_blocks),
        cmocka_unit_test(test_interleaved_put_and_take),
        cmocka_unit_test(test_consume_more_than_queued_and_clear),
        cmocka_unit_test(test_splice_hands_blocks_over),
        cmocka_unit_test(test_put),
        cmocka_unit_test(test_allocation_failure),
        cmocka_unit_test(test_small_remainders_are_kept_exactly),
    };
    return failed + cmocka_run_group_tests(tests, NULL, NULL);
}
