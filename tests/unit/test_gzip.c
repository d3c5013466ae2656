/*
 * The gzip writer and its parts: CRC-32 against known values and against
 * itself (the carry-less multiply path against the table path over every
 * length and alignment that matters), and compression round trips through an
 * independent strict decoder (inflate.h) for the golden expositions, empty,
 * tiny, repetitive, random and block-straddling inputs, written in one call
 * and in odd-sized pieces, with the compressor reused across streams. A
 * writer that fails stops the stream with PROMC_EIO.
 */
#include "helpers.h"

#include "crc32.h"
#include "gzip.h"
#include "inflate.h"

/* ------------------------------------------------------------------ */

struct sink {
    unsigned char *p;
    size_t len, cap;
    size_t fail_after; /* 0: never fail */
    size_t calls;
};

static int sink_write(void *ctx, const char *data, size_t n)
{
    struct sink *s = ctx;
    s->calls++;
    if (s->fail_after && s->calls >= s->fail_after)
        return -1;
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->p = realloc(s->p, s->cap);
        assert_non_null(s->p);
    }
    memcpy(s->p + s->len, data, n);
    s->len += n;
    return 0;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Compresses in[0..n) in pieces of at most piece bytes (0: one call) and
 * checks the decoder gives the input back. Returns the compressed size. */
static size_t round_trip(struct promc__gzip *g, const unsigned char *in, size_t n, size_t piece)
{
    struct sink s = {0};
    promc__gzip_start(g, sink_write, &s);
    if (!piece) {
        assert_int_equal(promc__gzip_write(g, in, n), PROMC_OK);
    } else {
        for (size_t off = 0; off < n;) {
            size_t k = 1 + next_random() % piece;
            if (k > n - off)
                k = n - off;
            assert_int_equal(promc__gzip_write(g, in + off, k), PROMC_OK);
            off += k;
        }
    }
    assert_int_equal(promc__gzip_finish(g), PROMC_OK);
    assert_int_equal(promc__gzip_in_bytes(g), n);
    unsigned char *out;
    size_t outlen;
    int rc = test_inflate_gzip(s.p, s.len, &out, &outlen);
    if (rc)
        fail_msg("decoder refused the stream of %zu bytes: %d", n, rc);
    assert_int_equal(outlen, n);
    assert_true(n == 0 || memcmp(out, in, n) == 0);
    free(out);
    free(s.p);
    return s.len;
}

/* ------------------------------------------------------------------ CRC */

static void test_crc32_known_values(void **state)
{
    (void)state;
    assert_int_equal(promc__crc32(0, "", 0), 0);
    assert_int_equal(promc__crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(promc__crc32(0, "a", 1), 0xE8B7BE43u);
    /* continuing a CRC equals computing it in one go */
    uint32_t c = promc__crc32(0, "12345", 5);
    assert_int_equal(promc__crc32(c, "6789", 4), 0xCBF43926u);
}

static void test_crc32_every_length_and_alignment(void **state)
{
    (void)state;
    static unsigned char buf[4096 + 16];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)next_random();
    for (size_t off = 0; off < 16; off++) {
        for (size_t n = 0; n <= 1100; n += off ? 7 : 1) {
            uint32_t want = tinf_crc32(buf + off, n);
            if (promc__crc32(0, buf + off, n) != want)
                fail_msg("crc32 of %zu bytes at offset %zu", n, off);
            if (promc__crc32_portable(0, buf + off, n) != want)
                fail_msg("table crc32 of %zu bytes at offset %zu", n, off);
            /* split at an arbitrary point */
            size_t cut = n / 3;
            uint32_t c = promc__crc32(0, buf + off, cut);
            assert_int_equal(promc__crc32(c, buf + off + cut, n - cut), want);
        }
    }
    assert_int_equal(promc__crc32(0, buf, 4096), tinf_crc32(buf, 4096));
}

/* ------------------------------------------------------------------ round trips */

static void test_empty_and_tiny_inputs(void **state)
{
    (void)state;
    struct promc__gzip *g = promc__gzip_new();
    assert_non_null(g);
    /* an empty member is a header, one final empty block and the trailer */
    assert_int_equal(round_trip(g, (const unsigned char *)"", 0, 0), 20);
    round_trip(g, (const unsigned char *)"a", 1, 0);
    round_trip(g, (const unsigned char *)"abc", 3, 0);
    round_trip(g, (const unsigned char *)"abcabcabcabc", 12, 0);
    promc__gzip_free(g);
}

static void test_golden_expositions(void **state)
{
    (void)state;
    static const char *const files[] = {"every_type.txt", "every_type.om",     "collector.txt",
                                        "collector.om",   "process_basic.txt", "process_basic.om"};
    struct promc__gzip *g = promc__gzip_new();
    assert_non_null(g);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "tests/data/%s", files[i]);
        char *text = test_read_file(path);
        assert_non_null(text);
        size_t n = strlen(text);
        size_t z = round_trip(g, (const unsigned char *)text, n, 0);
        assert_true(z < n); /* text this repetitive compresses */
        round_trip(g, (const unsigned char *)text, n, 61);
        free(text);
    }
    promc__gzip_free(g);
}

/* An exposition-like text of about n bytes. */
static unsigned char *exposition(size_t n)
{
    unsigned char *p = malloc(n + 200);
    size_t len = 0;
    for (unsigned i = 0; len < n; i++)
        len += (size_t)sprintf((char *)p + len,
                               "app_requests_total{route=\"/api/v%u/item\",status=\"%u\"} %llu\n",
                               i % 97, 200 + i % 5, (unsigned long long)(next_random() % 100000));
    return p;
}

static void test_large_inputs_in_pieces(void **state)
{
    (void)state;
    struct promc__gzip *g = promc__gzip_new();
    assert_non_null(g);
    size_t n = 3 * 65535 + 12345; /* several blocks, the last one partial */
    unsigned char *text = exposition(n);
    size_t whole = round_trip(g, text, n, 0);
    assert_true(whole < n / 5);
    round_trip(g, text, n, 70000); /* pieces larger and smaller than a block */
    round_trip(g, text, n, 13);
    round_trip(g, text, 65535, 0); /* exactly one block */
    round_trip(g, text, 65536, 0);
    free(text);
    promc__gzip_free(g);
}

static void test_random_and_repetitive_inputs(void **state)
{
    (void)state;
    struct promc__gzip *g = promc__gzip_new();
    assert_non_null(g);
    size_t n = 300000;
    unsigned char *p = malloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)next_random();
    /* incompressible: stored blocks, at most a few bytes a block bigger */
    size_t z = round_trip(g, p, n, 0);
    assert_true(z <= n + 5 * (n / 65535 + 1) + 18);
    round_trip(g, p, n, 1000);
    /* one byte repeated: distance 1, the longest matches */
    memset(p, 'x', n);
    assert_true(round_trip(g, p, n, 0) < 2000);
    /* a 32 KiB random block repeated: distances of exactly the window */
    for (size_t i = 0; i < 32768; i++)
        p[i] = (unsigned char)next_random();
    for (size_t i = 32768; i < n; i++)
        p[i] = p[i - 32768];
    assert_true(round_trip(g, p, n, 0) < n / 2);
    /* every byte value, few repeats: skewed literal codes */
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(next_random() % 7 == 0 ? next_random() : 'e' + i % 3);
    round_trip(g, p, n, 0);
    free(p);
    promc__gzip_free(g);
}

static void test_many_streams_reuse_one_compressor(void **state)
{
    (void)state;
    /* Positions keep growing across streams until they restart: run past the
     * restart point (16 MiB) with streams of varied size. */
    struct promc__gzip *g = promc__gzip_new();
    assert_non_null(g);
    size_t n = 400000;
    unsigned char *text = exposition(n);
    size_t total = 0;
    for (int i = 0; total < (17u << 20); i++) {
        size_t k = n - (size_t)i * 997 % 50000;
        if (i % 8 == 0 || total > (16u << 20) - 2 * n)
            round_trip(g, text, k, 0);
        else {
            struct sink s = {0};
            promc__gzip_start(g, sink_write, &s);
            assert_int_equal(promc__gzip_write(g, text, k), PROMC_OK);
            assert_int_equal(promc__gzip_finish(g), PROMC_OK);
            free(s.p);
        }
        total += k;
    }
    free(text);
    promc__gzip_free(g);
}

static void test_failing_writer_stops_the_stream(void **state)
{
    (void)state;
    struct promc__gzip *g = promc__gzip_new();
    assert_non_null(g);
    size_t n = 200000;
    unsigned char *text = exposition(n);
    for (size_t fail = 1; fail <= 4; fail++) {
        struct sink s = {.fail_after = fail};
        promc__gzip_start(g, sink_write, &s);
        int rc = promc__gzip_write(g, text, n);
        int rc2 = promc__gzip_finish(g);
        assert_true(rc == PROMC_EIO || rc2 == PROMC_EIO);
        assert_int_equal(promc__gzip_write(g, text, 10), PROMC_EIO);
        free(s.p);
    }
    /* and the next stream works again */
    round_trip(g, text, n, 0);
    free(text);
    promc__gzip_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_known_values),
        cmocka_unit_test(test_crc32_every_length_and_alignment),
        cmocka_unit_test(test_empty_and_tiny_inputs),
        cmocka_unit_test(test_golden_expositions),
        cmocka_unit_test(test_large_inputs_in_pieces),
        cmocka_unit_test(test_random_and_repetitive_inputs),
        cmocka_unit_test(test_many_streams_reuse_one_compressor),
        cmocka_unit_test(test_failing_writer_stops_the_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
