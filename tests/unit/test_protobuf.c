/*
 * The protobuf exposition: the wire primitives against the bytes the
 * protobuf encoding guide gives (varints up to 2^64-1, zigzag at the
 * extremes, NaN/Inf/-0 doubles, tags, nested lengths that need 1, 2 and 3
 * bytes, growth from the caller's storage to the heap, out of memory), the
 * sink for every type driven with hand-built series -- exemplars and native
 * buckets included, which no producer makes yet -- pinned in
 * tests/data/sink_cases.pb and decoded by python3-protobuf against
 * tests/data/sink_cases.textproto (make check-protobuf), a counter's bytes
 * worked out by hand, streaming, writer failures, and running out of memory
 * at every allocation of a large scrape.
 */
#include <math.h>

#include "helpers.h"

#include "encode_protobuf.h"
#include "failalloc.h"
#include "protobuf_wire.h"

/* ===================================================================== */
/* Wire primitives                                                        */
/* ===================================================================== */

static void expect_bytes(const struct promc__pb *b, const uint8_t *want, size_t n)
{
    assert_false(b->oom);
    if (b->len != n || memcmp(b->p, want, n) != 0) {
        fprintf(stderr, "got %zu bytes:", b->len);
        for (size_t i = 0; i < b->len; i++)
            fprintf(stderr, " %02x", b->p[i]);
        fprintf(stderr, "\n");
        fail_msg("bytes differ (want %zu)", n);
    }
}

static void varint_is(uint64_t v, const uint8_t *want, size_t n)
{
    uint8_t storage[16];
    struct promc__pb b;
    promc__pb_init(&b, storage, sizeof storage);
    promc__pb_varint(&b, v);
    expect_bytes(&b, want, n);
    assert_int_equal(promc__pb_varint_size(v), n);
    promc__pb_free(&b);
}

static void varints_are_base_128_little_endian(void **state)
{
    (void)state;
    varint_is(0, (const uint8_t[]){0x00}, 1);
    varint_is(1, (const uint8_t[]){0x01}, 1);
    varint_is(127, (const uint8_t[]){0x7f}, 1);
    varint_is(128, (const uint8_t[]){0x80, 0x01}, 2);
    varint_is(150, (const uint8_t[]){0x96, 0x01}, 2); /* the encoding guide's example */
    varint_is(300, (const uint8_t[]){0xac, 0x02}, 2);
    varint_is(16383, (const uint8_t[]){0xff, 0x7f}, 2);
    varint_is(16384, (const uint8_t[]){0x80, 0x80, 0x01}, 3);
    varint_is(UINT64_C(1) << 63,
              (const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 10);
    varint_is(UINT64_MAX,
              (const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10);
    /* A negative int64 goes sign-extended: ten bytes. */
    varint_is((uint64_t)(int64_t)-1,
              (const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10);
}

static void zigzag_maps_signed_to_unsigned(void **state)
{
    (void)state;
    assert_int_equal(promc__pb_zigzag32(0), 0);
    assert_int_equal(promc__pb_zigzag32(-1), 1);
    assert_int_equal(promc__pb_zigzag32(1), 2);
    assert_int_equal(promc__pb_zigzag32(-2), 3);
    assert_int_equal(promc__pb_zigzag32(INT32_MAX), UINT32_C(0xfffffffe));
    assert_int_equal(promc__pb_zigzag32(INT32_MIN), UINT32_C(0xffffffff));
    assert_true(promc__pb_zigzag64(0) == 0);
    assert_true(promc__pb_zigzag64(-1) == 1);
    assert_true(promc__pb_zigzag64(1) == 2);
    assert_true(promc__pb_zigzag64(INT64_MAX) == UINT64_C(0xfffffffffffffffe));
    assert_true(promc__pb_zigzag64(INT64_MIN) == UINT64_MAX);

    uint8_t storage[64];
    struct promc__pb b;
    promc__pb_init(&b, storage, sizeof storage);
    promc__pb_sint32_field(&b, 5, -1);        /* tag 0x28, zigzag 1 */
    promc__pb_sint64_field(&b, 10, -65);      /* tag 0x50, zigzag 129 */
    promc__pb_sint32_field(&b, 1, INT32_MIN); /* zigzag 2^32 - 1 */
    expect_bytes(
        &b, (const uint8_t[]){0x28, 0x01, 0x50, 0x81, 0x01, 0x08, 0xff, 0xff, 0xff, 0xff, 0x0f},
        11);
    promc__pb_free(&b);
}

static void double_is(double d, const uint8_t want[8])
{
    uint8_t storage[16];
    struct promc__pb b;
    promc__pb_init(&b, storage, sizeof storage);
    promc__pb_double_field(&b, 1, d);
    uint8_t all[9] = {0x09};
    memcpy(all + 1, want, 8);
    expect_bytes(&b, all, 9);
    promc__pb_free(&b);
}

static double from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void doubles_are_fixed64_little_endian(void **state)
{
    (void)state;
    double_is(0, (const uint8_t[]){0, 0, 0, 0, 0, 0, 0, 0});
    double_is(-0.0, (const uint8_t[]){0, 0, 0, 0, 0, 0, 0, 0x80});
    double_is(1, (const uint8_t[]){0, 0, 0, 0, 0, 0, 0xf0, 0x3f});
    double_is(0.1, (const uint8_t[]){0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f});
    double_is(INFINITY, (const uint8_t[]){0, 0, 0, 0, 0, 0, 0xf0, 0x7f});
    double_is(-INFINITY, (const uint8_t[]){0, 0, 0, 0, 0, 0, 0xf0, 0xff});
    double_is(from_bits(UINT64_C(0x7ff8000000000000)),
              (const uint8_t[]){0, 0, 0, 0, 0, 0, 0xf8, 0x7f});
    /* Prometheus's stale marker: the NaN payload survives. */
    double_is(from_bits(UINT64_C(0x7ff0000000000002)),
              (const uint8_t[]){0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f});
    double_is(5e-324, (const uint8_t[]){1, 0, 0, 0, 0, 0, 0, 0});
}

static void tags_and_strings(void **state)
{
    (void)state;
    uint8_t storage[64];
    struct promc__pb b;
    promc__pb_init(&b, storage, sizeof storage);
    promc__pb_uint_field(&b, 1, 150);           /* 08 96 01 */
    promc__pb_bytes_field(&b, 2, "testing", 7); /* 12 07 "testing" */
    promc__pb_bytes_field(&b, 16, "", 0);       /* tag 16: 82 01, length 0 */
    promc__pb_uint_field(&b, 3, 0);             /* a zero is written when asked */
    expect_bytes(&b,
                 (const uint8_t[]){0x08, 0x96, 0x01, 0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g',
                                   0x82, 0x01, 0x00, 0x18, 0x00},
                 17);
    promc__pb_free(&b);
}

/* A nested message of n body bytes: its length prefix takes
 * varint_size(n) bytes and the body follows intact. */
static void nested_of(size_t n)
{
    struct promc__pb b;
    uint8_t small[32];
    promc__pb_init(&b, small, sizeof small); /* grows to the heap for large n */
    promc__pb_uint_field(&b, 1, 7);
    size_t m = promc__pb_open(&b, 4);
    size_t inner = promc__pb_open(&b, 2);
    for (size_t i = 0; i < n; i++)
        promc__pb_varint(&b, i % 100);
    promc__pb_close(&b, inner);
    promc__pb_close(&b, m);
    assert_false(b.oom);
    size_t inner_len = promc__pb_varint_size(n) + 1 + n;
    size_t want = 2 + 1 + promc__pb_varint_size(inner_len) + inner_len;
    assert_int_equal(b.len, want);
    uint8_t *p = b.p;
    assert_int_equal(p[0], 0x08);
    assert_int_equal(p[1], 7);
    assert_int_equal(p[2], 0x22);
    p += 3;
    uint64_t len = 0;
    for (unsigned shift = 0;; shift += 7) {
        len |= (uint64_t)(*p & 0x7f) << shift;
        if (!(*p++ & 0x80))
            break;
    }
    assert_int_equal(len, inner_len);
    assert_int_equal(*p++, 0x12);
    len = 0;
    for (unsigned shift = 0;; shift += 7) {
        len |= (uint64_t)(*p & 0x7f) << shift;
        if (!(*p++ & 0x80))
            break;
    }
    assert_int_equal(len, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(p[i], i % 100);
    assert_int_equal(b.heap, b.cap > sizeof small);
    promc__pb_free(&b);
}

static void nested_lengths_of_every_size(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 126, 127, 128, 129, 16383, 16384, 70000, 2097152};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        nested_of(sizes[i]);
}

static void running_out_of_memory_stops_writing(void **state)
{
    (void)state;
    uint8_t small[8];
    struct promc__pb b;
    promc__pb_init(&b, small, sizeof small);
    arm(1);
    promc__pb_bytes_field(&b, 1, "0123456789", 10);
    disarm();
    assert_true(b.oom);
    assert_int_equal(b.len, 0);
    size_t m = promc__pb_open(&b, 1);
    promc__pb_double_field(&b, 1, 1);
    promc__pb_close(&b, m);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.p, small);
    promc__pb_free(&b);
}

/* ===================================================================== */
/* The sink, every type, hand-built series                                */
/* ===================================================================== */

static const char *const trace[] = {"trace_id"};
static const char *const t1[] = {"t1"}, *const t2[] = {"t2"}, *const abc[] = {"abc"},
                         *const n1[] = {"n1"};

/* Drives a protobuf sink through the families tests/data/sink_cases.textproto
 * describes. */
static void drive_cases(struct promc__sink *s)
{
    /* A counter: labels given raw, an exemplar, a created time; then one
     * whose labels exist only rendered with escapes. */
    static const struct promc__desc c = {"c", "A counter.", NULL, PROMC_COUNTER};
    promc__sink_family(s, &c);
    static const char *const cnames[] = {"method", "path"}, *const cvalues[] = {"GET", "/a"};
    struct promc__labels l1 = {"method=\"GET\",path=\"/a\"", 23, 2, cnames, cvalues, false};
    struct promc__exemplar ex = {1, trace, abc, 0.5, 1700000000.5};
    struct promc__series x = {
        .labels = &l1, .created = 1700000000.25, .value = promc__vu(3), .exemplar = &ex};
    promc__sink_series(s, &x);
    static const char rendered[] = "method=\"PO\\\"ST\",path=\"a\\\\b\\nc\"";
    struct promc__labels l2 = {rendered, sizeof rendered - 1, 2, cnames, NULL, false};
    struct promc__series y = {.labels = &l2, .value = promc__vd(1.5)};
    promc__sink_series(s, &y);

    static const struct promc__desc g = {"g_bytes", "A gauge.\nTwo lines", "bytes", PROMC_GAUGE};
    promc__sink_family(s, &g);
    struct promc__series gx = {.labels = &promc__no_labels, .value = promc__vd(-2.5)};
    promc__sink_series(s, &gx);

    static const struct promc__desc u = {"u", "Untyped.", NULL, PROMC_UNTYPED};
    promc__sink_family(s, &u);
    struct promc__series ux = {.labels = &promc__no_labels, .value = promc__vd(1e300)};
    promc__sink_series(s, &ux);

    /* A family without series is left out. */
    static const struct promc__desc e = {"e", "Empty.", NULL, PROMC_GAUGE};
    promc__sink_family(s, &e);

    /* A classic histogram with exemplars (+Inf included) and native buckets. */
    static const struct promc__desc h = {"h_seconds", "A histogram.", "seconds", PROMC_HISTOGRAM};
    promc__sink_family(s, &h);
    static const double bounds[] = {0.1, 1};
    static const uint64_t cum[] = {1, 3};
    struct promc__exemplar e0 = {1, trace, t1, 0.05, 1700000000.5};
    struct promc__exemplar einf = {1, trace, t2, 7, 0};
    const struct promc__exemplar *exs[] = {&e0, NULL, &einf};
    static const struct promc__span neg[] = {{-2, 1}}, pos[] = {{0, 2}, {3, 1}};
    static const int64_t negd[] = {1}, posd[] = {1, -1, 2};
    struct promc__exemplar nex[] = {{1, trace, n1, 0.3, 1700000001.75},
                                    {0, NULL, NULL, -0.2, 1700000002}};
    struct promc__native_data nat = {3, 1e-128, 2, 2, 1, pos, neg, 3, 1, posd, negd, 2, nex};
    struct promc__histogram_data hd = {2, bounds, cum, NULL, NULL, 4, 5.5, exs, &nat};
    struct promc__series hx = {.labels = &promc__no_labels, .created = 1700000000.125, .hist = &hd};
    promc__sink_series(s, &hx);

    /* A native-only histogram without observations: a no-op span. */
    static const struct promc__desc n = {"n", "Native only.", NULL, PROMC_HISTOGRAM};
    promc__sink_family(s, &n);
    struct promc__native_data nat0 = {0};
    struct promc__histogram_data nd = {.native = &nat0};
    struct promc__series nx = {.labels = &promc__no_labels, .hist = &nd};
    promc__sink_series(s, &nx);

    static const struct promc__desc sm = {"s", "A summary.", NULL, PROMC_SUMMARY};
    promc__sink_family(s, &sm);
    static const double qs[] = {0.5, 0.99}, qv[] = {1, 2};
    struct promc__summary_data sd = {2, qs, qv, NULL, NULL, 10, 12.5};
    struct promc__series sx = {
        .labels = &promc__no_labels, .created = 1700000000.125, .summary = &sd};
    promc__sink_series(s, &sx);

    static const struct promc__desc st = {"st", "", NULL, PROMC_STATESET};
    promc__sink_family(s, &st);
    static const char *const xname[] = {"x"};
    struct promc__labels lx = {"x=\"1\"", 5, 1, xname, NULL, false};
    static const char *const states[] = {"a", "b\"q"};
    struct promc__stateset_data ssd = {2, states, NULL, 1};
    struct promc__series stx = {.labels = &lx, .stateset = &ssd};
    promc__sink_series(s, &stx);

    static const struct promc__desc in = {"i", "Info.", NULL, PROMC_INFO};
    promc__sink_family(s, &in);
    static const char *const vname[] = {"version"}, *const vvalue[] = {"1.0"};
    struct promc__labels lv = {"version=\"1.0\"", 13, 1, vname, vvalue, false};
    struct promc__series ix = {.labels = &lv, .value = promc__vu(1)};
    promc__sink_series(s, &ix);
}

static struct promc__buf sunk;

static int sink_cases(struct promc__buf *out, size_t storage_size, bool created)
{
    uint8_t *storage = storage_size ? malloc(storage_size) : NULL;
    struct promc__protobuf_sink p;
    promc__protobuf_sink_init(&p, promc__buf_writer, out, storage, storage_size);
    p.base.created = created;
    drive_cases(&p.base);
    int rc = p.base.ops->finish(&p.base);
    free(storage);
    return rc;
}

static void sink_writes_every_type(void **state)
{
    (void)state;
    struct promc__buf out = {0};
    assert_int_equal(sink_cases(&out, 16384, true), PROMC_OK);
    assert_false(out.oom);
    test_golden_bin("sink_cases.pb", out.p, out.len);
    /* The same bytes whatever the buffer: none, tiny, large. */
    static const size_t sizes[] = {0, 1, 17, 300, 1 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        promc__buf_reset(&sunk);
        assert_int_equal(sink_cases(&sunk, sizes[i], true), PROMC_OK);
        assert_int_equal(sunk.len, out.len);
        assert_memory_equal(sunk.p, out.p, out.len);
    }
    /* Without created timestamps: shorter by exactly their three fields
     * (tag, length, seconds 1 + 5 bytes, nanos 1 + 4 bytes each). */
    promc__buf_reset(&sunk);
    assert_int_equal(sink_cases(&sunk, 16384, false), PROMC_OK);
    assert_int_equal(sunk.len, out.len - 3 * 13);
    promc__free(out.p);
}

/* ===================================================================== */
/* Through the public API                                                 */
/* ===================================================================== */

/* Bytes worked out by hand from metrics.proto. */
static void a_counter_byte_by_byte(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_counter *c = promc_counter_new(r, "x", "", NULL);
    promc_counter_add(c, 1);
    promc_registry_set_created(r, 0);
    size_t len = 0;
    char *s = promc_encode_buffer(r, PROMC_FORMAT_PROTOBUF, &len);
    assert_non_null(s);
    static const uint8_t want[] = {
        26,                                            /* family length */
        0x0a, 7,  'x', '_', 't', 'o', 't', 'a',  'l',  /* name "x_total" */
        0x12, 0,                                       /* help "" */
        0x18, 0,                                       /* type COUNTER */
        0x22, 11,                                      /* metric */
        0x1a, 9,                                       /* counter */
        0x09, 0,  0,   0,   0,   0,   0,   0xf0, 0x3f, /* value 1.0 */
    };
    assert_int_equal(len, sizeof want);
    assert_memory_equal(s, want, sizeof want);
    promc_free(s);

    /* created on: Counter.created_timestamp (3), seconds and nanos. */
    promc_registry_set_created(r, 1);
    s = promc_encode_buffer(r, PROMC_FORMAT_PROTOBUF, &len);
    assert_non_null(s);
    /* The double nearest 1700000000.123 is 1700000000 s and 122999907 ns. */
    static const uint8_t ts[] = {0x1a, 11,   0x08, 0x80, 0xe2, 0xcf, 0xaa,
                                 0x06, 0x10, 0xe3, 0xa8, 0xd3, 0x3a};
    assert_int_equal(len, sizeof want + sizeof ts);
    assert_int_equal((uint8_t)s[0], 26 + sizeof ts);
    assert_int_equal((uint8_t)s[15], 11 + sizeof ts);
    assert_int_equal((uint8_t)s[17], 9 + sizeof ts);
    assert_memory_equal(s + sizeof want, ts, sizeof ts);
    promc_free(s);
    promc_counter_free(c);
    promc_registry_free(r);
}

/* A registry whose families do not fit the sink's first buffer. */
static promc_registry *big_registry(void)
{
    promc_registry *r = promc_registry_new();
    promc_counter_vec *v =
        promc_counter_vec_new(r, "requests_total", "Requests.", PROMC_LABELS("path", "code"), NULL);
    promc_histogram_vec *h =
        promc_histogram_vec_new(r, "latency_seconds", "Latency.", PROMC_LABELS("path"), NULL);
    promc_gauge *g = promc_gauge_new(r, "temperature", "T.", NULL);
    char path[64];
    for (int i = 0; i < 600; i++) {
        snprintf(path, sizeof path, "/a/\"long\"\\path\n%d", i);
        promc_counter_add(promc_counter_vec_labels(v, path, "200"), i);
        promc_histogram_observe(promc_histogram_vec_labels(h, path), i / 100.0);
    }
    promc_gauge_set(g, 21);
    promc_counter_vec_free(v);
    promc_histogram_vec_free(h);
    promc_gauge_free(g);
    return r;
}

struct chunks {
    struct promc__buf all;
    size_t n, fail_at;
};

static int chunk_writer(void *ctx, const char *data, size_t len)
{
    struct chunks *c = ctx;
    if (++c->n == c->fail_at)
        return -1;
    promc__buf_put(&c->all, data, len);
    return 0;
}

static void streaming_matches_the_buffer(void **state)
{
    (void)state;
    test_pin_clock();
    promc_registry *r = big_registry();
    size_t len = 0;
    char *s = promc_encode_buffer(r, PROMC_FORMAT_PROTOBUF, &len);
    assert_non_null(s);
    assert_true(len > 100000);
    assert_int_equal(s[len], '\0');
    struct chunks c = {{0}, 0, 0};
    assert_int_equal(promc_encode(r, PROMC_FORMAT_PROTOBUF, chunk_writer, &c), PROMC_OK);
    assert_int_equal(c.all.len, len);
    assert_memory_equal(c.all.p, s, len);
    assert_true(c.n >= 2);

    /* A failing writer stops the scrape with PROMC_EIO. */
    struct chunks f = {{0}, 0, 1};
    assert_int_equal(promc_encode(r, PROMC_FORMAT_PROTOBUF, chunk_writer, &f), PROMC_EIO);
    assert_int_equal(promc_last_error_code(), PROMC_EIO);
    assert_int_equal(f.n, 1);

    /* promc_encode_file writes the same bytes. */
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    assert_int_equal(promc_encode_file(r, PROMC_FORMAT_PROTOBUF, tmp), PROMC_OK);
    assert_int_equal(ftell(tmp), (long)len);
    fclose(tmp);

    promc__free(c.all.p);
    promc__free(f.all.p);
    promc_free(s);
    promc_registry_free(r);
}

static void unknown_formats_are_refused(void **state)
{
    (void)state;
    struct promc__buf b = {0};
    assert_int_equal(promc_encode(NULL, (promc_format)3, promc__buf_writer, &b), PROMC_EINVAL);
    assert_non_null(strstr(promc_last_error(), "format"));
    assert_null(promc_encode_buffer(NULL, (promc_format)-1, NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_int_equal(promc_encode(NULL, PROMC_FORMAT_PROTOBUF, NULL, NULL), PROMC_EINVAL);
}

static void empty_registry_is_an_empty_body(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    size_t len = 99;
    char *s = promc_encode_buffer(r, PROMC_FORMAT_PROTOBUF, &len);
    assert_non_null(s);
    assert_int_equal(len, 0);
    assert_int_equal(s[0], '\0');
    promc_free(s);
    promc_registry_free(r);
}

/* Every allocation of a protobuf scrape of the big registry fails in turn:
 * the scrape reports PROMC_ENOMEM and leaks nothing, or succeeds with the
 * same bytes. */
static void out_of_memory_at_every_allocation(void **state)
{
    (void)state;
    promc_registry *r = big_registry();
    size_t want_len = 0;
    char *want = promc_encode_buffer(r, PROMC_FORMAT_PROTOBUF, &want_len);
    assert_non_null(want);
    long n = 1, failures = 0;
    for (;; n++) {
        long live = alloc_live;
        arm(n);
        size_t len = 0;
        char *got = promc_encode_buffer(r, PROMC_FORMAT_PROTOBUF, &len);
        bool injected = alloc_injected;
        disarm();
        if (got) {
            assert_int_equal(len, want_len);
            assert_memory_equal(got, want, len);
            promc_free(got);
        } else {
            assert_true(injected);
            assert_int_equal(promc_last_error_code(), PROMC_ENOMEM);
            failures++;
        }
        assert_int_equal(alloc_live, live);
        if (!injected)
            break;
    }
    printf("   protobuf scrape: N = 1..%ld exercised, %ld failures reported\n", n - 1, failures);
    assert_true(failures >= 3);
    promc_free(want);
    promc_registry_free(r);
}

int main(void)
{
    if (failalloc_install() != PROMC_OK)
        return 1;
    test_pin_clock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(varints_are_base_128_little_endian),
        cmocka_unit_test(zigzag_maps_signed_to_unsigned),
        cmocka_unit_test(doubles_are_fixed64_little_endian),
        cmocka_unit_test(tags_and_strings),
        cmocka_unit_test(nested_lengths_of_every_size),
        cmocka_unit_test(running_out_of_memory_stops_writing),
        cmocka_unit_test(sink_writes_every_type),
        cmocka_unit_test(a_counter_byte_by_byte),
        cmocka_unit_test(streaming_matches_the_buffer),
        cmocka_unit_test(unknown_formats_are_refused),
        cmocka_unit_test(empty_registry_is_an_empty_body),
        cmocka_unit_test(out_of_memory_at_every_allocation),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    promc__free(sunk.p);
    return rc;
}
