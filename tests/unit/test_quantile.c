/*
 * Tests for the Summary quantile estimator (lib/quantile.c): answers equal a
 * literal transcription of perks bit for bit, stay within the rank error of
 * exact quantiles, follow client_golang's age-bucket rotation, and survive
 * edge inputs and out-of-memory at every allocation. Fixed seeds throughout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promc.h"
#include "quantile.h"

#define TWO_PI 6.283185307179586

/* ------------------------------------------------------------------ */
/* Reproducible random numbers (xorshift64*)                          */
/* ------------------------------------------------------------------ */

static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
    rng_state = s ? s : 1;
}

static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static double rng_unit(void) /* [0, 1) */
{
    return (double)(rng_next() >> 11) * 0x1p-53;
}

static double rng_normal(void)
{
    double u1 = 1 - rng_unit(); /* (0, 1]: log() stays finite */
    double u2 = rng_unit();
    return sqrt(-2 * log(u1)) * cos(TWO_PI * u2);
}

enum dist {
    D_UNIFORM,
    D_EXPONENTIAL,
    D_NORMAL,
    D_LOGNORMAL, /* heavy right tail: values span ~12 orders of magnitude */
    D_ASCENDING,
    D_DESCENDING,
    D_SAWTOOTH, /* sorted runs: many merges land in the middle of the stream */
    D_FEW_VALUES,
    D_CONSTANT,
};

static double gen(enum dist d, size_t i, size_t n)
{
    switch (d) {
    case D_UNIFORM:
        return rng_unit();
    case D_EXPONENTIAL:
        return -log(1 - rng_unit());
    case D_NORMAL: /* centred on 0: negative values too */
        return 3 * rng_normal();
    case D_LOGNORMAL:
        return exp(3 * rng_normal());
    case D_ASCENDING:
        return (double)i;
    case D_DESCENDING:
        return (double)(n - i);
    case D_SAWTOOTH:
        return (double)(i % 1000);
    case D_FEW_VALUES:
        return (double)(rng_next() % 5);
    case D_CONSTANT:
        return 42;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ------------------------------------------------------------------ */
/* The rank error check                                               */
/* ------------------------------------------------------------------ */

/*
 * The guarantee being checked: for objective (q, e) over n observations the
 * estimate must be an observed value whose rank is close to q*n.
 *
 * How close: within the requested e*n ranks, which is the guarantee the
 * summary documents. perks (client_golang) does not quite keep CKMS' e*n
 * promise -- its batch merge gives inserted samples deltas that later mislead
 * query(), and query() rounds t up twice; measured up to 1.25*e*n plus two
 * ranks -- so the window runs its streams at e/2 (test_matches_perks checks
 * that, at the same internal error, the answers are perks' bit for bit).
 *
 * A value can occupy a run of ranks when it is duplicated, so the check is:
 * the 1-based ranks v occupies in the sorted data, [lo, hi] with lo = (count
 * of values < v) + 1 and hi = count of values <= v, must intersect
 * [floor((q-TOL_FACTOR*e)*n) - TOL_RANKS, ceil((q+TOL_FACTOR*e)*n) + TOL_RANKS]
 * clamped to [1, n]. An estimate that is not one of the observations (lo > hi),
 * or NaN, fails outright. test_rank_check_rejects proves the check has teeth.
 */
#define TOL_FACTOR 1.0
#define TOL_RANKS  0

static int rank_ok(const double *sorted, size_t n, double v, double q, double e, const char *what)
{
    if (isnan(v) || n == 0) {
        print_error("%s: q=%g e=%g n=%zu: got %g\n", what, q, e, n, v);
        return 0;
    }
    size_t a = 0, b = n; /* first index with sorted[i] >= v */
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (sorted[m] < v)
            a = m + 1;
        else
            b = m;
    }
    size_t lo = a + 1;
    b = n; /* first index with sorted[i] > v */
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (sorted[m] <= v)
            a = m + 1;
        else
            b = m;
    }
    size_t hi = a;
    double amin = floor((q - TOL_FACTOR * e) * (double)n) - TOL_RANKS;
    double amax = ceil((q + TOL_FACTOR * e) * (double)n) + TOL_RANKS;
    if (amin < 1)
        amin = 1;
    if (amax > (double)n)
        amax = (double)n;
    if (lo > hi || (double)hi < amin || (double)lo > amax) {
        print_error("%s: q=%g e=%g n=%zu: got %.17g at ranks [%zu,%zu], allowed [%.0f,%.0f]\n",
                    what, q, e, n, v, lo, hi, amin, amax);
        return 0;
    }
    return 1;
}

static void test_rank_check_rejects(void **state)
{
    (void)state;
    double d[1000];
    for (int i = 0; i < 1000; i++)
        d[i] = i + 1; /* value == rank */
    /* 500 +- 10 */
    assert_true(rank_ok(d, 1000, 500, 0.5, 0.01, "exact"));
    assert_true(rank_ok(d, 1000, 490, 0.5, 0.01, "low edge"));
    assert_true(rank_ok(d, 1000, 510, 0.5, 0.01, "high edge"));
    print_error("   (the next 5 errors are expected)\n");
    assert_false(rank_ok(d, 1000, 489, 0.5, 0.01, "too low"));
    assert_false(rank_ok(d, 1000, 511, 0.5, 0.01, "too high"));
    assert_false(rank_ok(d, 1000, 500.5, 0.5, 0.01, "not observed"));
    assert_false(rank_ok(d, 1000, NAN, 0.5, 0.01, "NaN"));
    /* A duplicated value counts wherever its run of ranks overlaps. */
    for (int i = 0; i < 1000; i++)
        d[i] = i < 600 ? 1 : 2;
    assert_true(rank_ok(d, 1000, 1, 0.5, 0.01, "dup"));
    assert_true(rank_ok(d, 1000, 2, 0.61, 0.01, "dup high"));
    assert_true(rank_ok(d, 1000, 1, 0.61, 0.01, "dup below"));
    assert_false(rank_ok(d, 1000, 1, 0.63, 0.01, "dup too low"));
}

/* ------------------------------------------------------------------ */
/* Accuracy                                                           */
/* ------------------------------------------------------------------ */

static const struct promc__objective OBJ_GO[] = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};
static const struct promc__objective OBJ_LOW[] = {{0.01, 0.001}, {0.1, 0.01}};
/* q = 0 and q = 1 are where perks divides by zero; for q = 0 this code
 * deliberately differs (exact minimum), so OBJ_EDGE is not in test_matches_perks. */
static const struct promc__objective OBJ_EDGE[] = {{0, 0.01}, {0.25, 0.02}, {1, 0.01}};
static const struct promc__objective OBJ_TIGHT[] = {{0.999, 0.0001}, {0.5, 0.001}};

#define NOBJ(a)  (sizeof(a) / sizeof((a)[0]))
#define NSAMPLES 100000

/* Checkpoints straddle QW_BUFCAP (500), where a stream switches from exact
 * answers to compressed CKMS ones. */
static const size_t checkpoints[] = {1, 2, 3, 10, 499, 500, 501, 999, 1000, 4321, 25000, NSAMPLES};

/* query_every: also query (flushing a partial buffer) that often, so merges
 * of every size happen, not only full 500-value batches. */
static void run_accuracy(enum dist d, const struct promc__objective *obj, size_t nobj,
                         size_t query_every)
{
    double *data = malloc(NSAMPLES * sizeof(double));
    double *sorted = malloc(NSAMPLES * sizeof(double));
    double out[8];
    char what[96];
    assert_non_null(data);
    assert_non_null(sorted);
    assert_true(nobj <= 8);
    rng_seed(0x9E3779B97F4A7C15ULL + (uint64_t)d);

    /* Time stands still: everything stays in the head stream. */
    promc__qwindow *w = promc__qwindow_new(obj, nobj, 600, 5, 0);
    assert_non_null(w);
    size_t cp = 0;
    for (size_t i = 0; i < NSAMPLES; i++) {
        data[i] = gen(d, i, NSAMPLES);
        assert_int_equal(promc__qwindow_observe(w, data[i], 1), 0);
        size_t n = i + 1;
        if (query_every && n % query_every == 0)
            assert_int_equal(promc__qwindow_query(w, 1, out), 0);
        if (n != checkpoints[cp])
            continue;
        cp++;
        memcpy(sorted, data, n * sizeof(double));
        qsort(sorted, n, sizeof(double), cmp_double);
        assert_int_equal(promc__qwindow_query(w, 1, out), 0);
        for (size_t k = 0; k < nobj; k++) {
            snprintf(what, sizeof(what), "dist %d, every %zu", (int)d, query_every);
            assert_true(rank_ok(sorted, n, out[k], obj[k].quantile, obj[k].error, what));
            /* Where perks loses the minimum (see invariant()), this keeps it. */
            if (obj[k].quantile == 0)
                assert_true(out[k] == sorted[0]);
        }
    }
    assert_int_equal(cp, NOBJ(checkpoints));
    promc__qwindow_free(w);
    free(sorted);
    free(data);
}

static void run_all_objectives(enum dist d)
{
    run_accuracy(d, OBJ_GO, NOBJ(OBJ_GO), 0);
    run_accuracy(d, OBJ_LOW, NOBJ(OBJ_LOW), 0);
    run_accuracy(d, OBJ_EDGE, NOBJ(OBJ_EDGE), 0);
    run_accuracy(d, OBJ_TIGHT, NOBJ(OBJ_TIGHT), 0);
    run_accuracy(d, OBJ_GO, NOBJ(OBJ_GO), 137);
}

#define ACCURACY_TEST(name, d)                                                                     \
    static void name(void **state)                                                                 \
    {                                                                                              \
        (void)state;                                                                               \
        run_all_objectives(d);                                                                     \
    }
ACCURACY_TEST(test_accuracy_uniform, D_UNIFORM)
ACCURACY_TEST(test_accuracy_exponential, D_EXPONENTIAL)
ACCURACY_TEST(test_accuracy_normal, D_NORMAL)
ACCURACY_TEST(test_accuracy_lognormal, D_LOGNORMAL)
ACCURACY_TEST(test_accuracy_ascending, D_ASCENDING)
ACCURACY_TEST(test_accuracy_descending, D_DESCENDING)
ACCURACY_TEST(test_accuracy_sawtooth, D_SAWTOOTH)
ACCURACY_TEST(test_accuracy_few_values, D_FEW_VALUES)
ACCURACY_TEST(test_accuracy_constant, D_CONSTANT)

/* ------------------------------------------------------------------ */
/* Batches merged from per-thread buffers                             */
/* ------------------------------------------------------------------ */

/*
 * What summary.c does with its observers' buffers: two buffers take the
 * values in turns (runs of random length, so each holds an interleaved share
 * of the stream), each is merged as one batch when it holds 500 values, and
 * "scrapes" at random points merge both, partial, before querying. Every
 * checkpoint must be within the error bounds of the exact quantiles.
 */
static void run_batches(enum dist d, const struct promc__objective *obj, size_t nobj)
{
    double *data = malloc(NSAMPLES * sizeof(double));
    double *sorted = malloc(NSAMPLES * sizeof(double));
    double buf[2][500], out[8];
    size_t len[2] = {0, 0}, cp = 0, mine = 0;
    unsigned who = 0;
    char what[96];
    assert_non_null(data);
    assert_non_null(sorted);
    assert_true(nobj <= 8);
    rng_seed(0xB47C4E5ULL + (uint64_t)d);
    promc__qwindow *w = promc__qwindow_new(obj, nobj, 600, 5, 0);
    assert_non_null(w);
    double end;
    uint64_t e = promc__qwindow_epoch(w, 1, &end);
    assert_true(e == 1 && end == 120);
    for (size_t i = 0; i < NSAMPLES; i++) {
        data[i] = gen(d, i, NSAMPLES);
        if (mine-- == 0) { /* the other buffer's turn, for 1 to 64 values */
            who ^= 1;
            mine = rng_next() % 64;
        }
        buf[who][len[who]++] = data[i];
        if (len[who] == 500) {
            assert_int_equal(promc__qwindow_insert(w, buf[who], 500, e, 1), 0);
            len[who] = 0;
        }
        size_t n = i + 1;
        bool scrape = n == checkpoints[cp] || rng_next() % 700 == 0;
        if (!scrape)
            continue;
        for (unsigned b = 0; b < 2; b++) {
            assert_int_equal(promc__qwindow_insert(w, buf[b], len[b], e, 1), 0);
            len[b] = 0;
        }
        assert_int_equal(promc__qwindow_query(w, 1, out), 0);
        if (n != checkpoints[cp])
            continue;
        cp++;
        memcpy(sorted, data, n * sizeof(double));
        qsort(sorted, n, sizeof(double), cmp_double);
        for (size_t k = 0; k < nobj; k++) {
            snprintf(what, sizeof(what), "batches, dist %d", (int)d);
            assert_true(rank_ok(sorted, n, out[k], obj[k].quantile, obj[k].error, what));
            if (obj[k].quantile == 0)
                assert_true(out[k] == sorted[0]);
        }
    }
    assert_int_equal(cp, NOBJ(checkpoints));
    promc__qwindow_free(w);
    free(sorted);
    free(data);
}

static void test_batches_within_error(void **state)
{
    (void)state;
    for (enum dist d = D_UNIFORM; d <= D_CONSTANT; d++) {
        run_batches(d, OBJ_GO, NOBJ(OBJ_GO));
        run_batches(d, OBJ_LOW, NOBJ(OBJ_LOW));
        run_batches(d, OBJ_EDGE, NOBJ(OBJ_EDGE));
        run_batches(d, OBJ_TIGHT, NOBJ(OBJ_TIGHT));
    }
}

/* One thread's buffer merged every 500 values makes the batches the
 * window's own buffer would: the same answers, bit for bit. */
static void test_batches_of_500_match_observe(void **state)
{
    (void)state;
    for (enum dist d = D_UNIFORM; d <= D_CONSTANT; d++) {
        promc__qwindow *a = promc__qwindow_new(OBJ_GO, 3, 600, 5, 0);
        promc__qwindow *b = promc__qwindow_new(OBJ_GO, 3, 600, 5, 0);
        assert_non_null(a);
        assert_non_null(b);
        double buf[500], oa[3], ob[3];
        size_t len = 0;
        rng_seed(99 + (uint64_t)d);
        for (size_t i = 0; i < 20000; i++) {
            double v = gen(d, i, 20000);
            assert_int_equal(promc__qwindow_observe(a, v, 1), 0);
            buf[len++] = v;
            if (len == 500) {
                assert_int_equal(promc__qwindow_insert(b, buf, len, 1, 1), 0);
                len = 0;
            }
            if ((i + 1) % 2500 == 0) {
                assert_int_equal(promc__qwindow_query(a, 1, oa), 0);
                assert_int_equal(promc__qwindow_query(b, 1, ob), 0);
                for (int k = 0; k < 3; k++)
                    assert_true(oa[k] == ob[k]);
            }
        }
        promc__qwindow_free(a);
        promc__qwindow_free(b);
    }
}

/* A batch merged late counts in the age buckets that had started by its
 * epoch, and in none once that epoch has left the window: it expires when it
 * would have, had it been merged at once. */
static void test_late_batches_follow_the_window(void **state)
{
    (void)state;
    /* 10 s in 5 buckets: epoch k is (2(k-1), 2k]. */
    promc__qwindow *w = promc__qwindow_new(OBJ_GO, 3, 10, 5, 0);
    assert_non_null(w);
    double out[3], end, v;
    assert_true(promc__qwindow_epoch(w, 1, &end) == 1 && end == 2);
    assert_true(promc__qwindow_epoch(w, 5, &end) == 3 && end == 6);
    v = 100;
    assert_int_equal(promc__qwindow_insert(w, &v, 1, 1, 1), 0);
    /* At 5 s, a value buffered in epoch 1 and one in epoch 3. */
    v = 200;
    assert_int_equal(promc__qwindow_insert(w, &v, 1, 1, 5), 0);
    v = 300;
    assert_int_equal(promc__qwindow_insert(w, &v, 1, 3, 5), 0);
    assert_int_equal(promc__qwindow_query(w, 5, out), 0);
    assert_true(out[0] == 200 && out[2] == 300); /* all three, head started in epoch 1 */
    /* At 7 s (epoch 4) the head still started in epoch 0. */
    assert_int_equal(promc__qwindow_query(w, 7, out), 0);
    assert_true(out[0] == 200);
    /* At 11 s (epoch 6) the head covers epochs 2..6: only 300 is left. */
    assert_int_equal(promc__qwindow_query(w, 11, out), 0);
    assert_true(out[0] == 300 && out[2] == 300);
    /* A batch from epoch 1 is older than the window: dropped. One from
     * epoch 2 is still in it. */
    v = 50;
    assert_int_equal(promc__qwindow_insert(w, &v, 1, 1, 11), 0);
    v = 400;
    assert_int_equal(promc__qwindow_insert(w, &v, 1, 2, 11), 0);
    assert_int_equal(promc__qwindow_query(w, 11, out), 0);
    assert_true(out[0] == 300 && out[2] == 400);
    /* At 13 s (epoch 7) epoch 2 has gone too. */
    assert_int_equal(promc__qwindow_query(w, 13, out), 0);
    assert_true(out[0] == 300 && out[2] == 300);
    /* Far in the future nothing is left, and late batches stay out. */
    v = 1;
    assert_int_equal(promc__qwindow_insert(w, &v, 1, 6, 1000), 0);
    assert_int_equal(promc__qwindow_query(w, 1000, out), 0);
    assert_true(isnan(out[0]));
    promc__qwindow_free(w);
}

/* ------------------------------------------------------------------ */
/* Bit-for-bit agreement with perks                                   */
/* ------------------------------------------------------------------ */

/*
 * A deliberately literal transcription of perks' quantile/stream.go (Stream
 * with its 500-sample buffer, stream.merge inserting one sample at a time,
 * compress removing one at a time): slow and obviously faithful, unlike
 * lib/quantile.c's single-pass versions. With the clock frozen a qwindow is a
 * perks Stream, so every answer must be identical, not merely close.
 */
struct ref_sample {
    double v, w, d;
};

struct ref_stream {
    const struct promc__objective *t;
    size_t nt;
    double n;
    struct ref_sample *l;
    size_t len, cap;
    double b[500];
    size_t nb;
};

static double ref_f(const struct ref_stream *s, double r)
{
    double m = 1.7976931348623157e308, f;
    for (size_t i = 0; i < s->nt; i++) {
        double q = s->t[i].quantile, e = s->t[i].error;
        if (q * s->n <= r)
            f = (2 * e * r) / q;
        else if (q < 1)
            f = (2 * e * (s->n - r)) / (1 - q);
        else
            f = INFINITY; /* Go's x/0 for x > 0, spelled out for -fsanitize */
        if (f < m)
            m = f;
    }
    return m;
}

static void ref_insert_at(struct ref_stream *s, size_t i, struct ref_sample x)
{
    if (s->len == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->l = realloc(s->l, s->cap * sizeof(*s->l));
        assert_non_null(s->l);
    }
    memmove(s->l + i + 1, s->l + i, (s->len - i) * sizeof(*s->l));
    s->l[i] = x;
    s->len++;
}

static void ref_compress(struct ref_stream *s)
{
    if (s->len < 2)
        return;
    struct ref_sample x = s->l[s->len - 1];
    size_t xi = s->len - 1;
    double r = s->n - 1 - x.w;
    for (size_t i = s->len - 1; i-- > 0;) {
        struct ref_sample c = s->l[i];
        if (c.w + x.w + x.d <= ref_f(s, r)) {
            x.w += c.w;
            s->l[xi] = x;
            memmove(s->l + i, s->l + i + 1, (s->len - i - 1) * sizeof(*s->l));
            s->len--;
            xi--;
        } else {
            x = c;
            xi = i;
        }
        r -= c.w;
    }
}

static void ref_flush(struct ref_stream *s)
{
    qsort(s->b, s->nb, sizeof(double), cmp_double);
    double r = 0;
    size_t i = 0;
    for (size_t k = 0; k < s->nb; k++) {
        double v = s->b[k];
        int inserted = 0;
        for (; i < s->len; i++) {
            struct ref_sample c = s->l[i];
            if (c.v > v) {
                ref_insert_at(s, i, (struct ref_sample){v, 1, fmax(0, floor(ref_f(s, r)) - 1)});
                i++;
                inserted = 1;
                break;
            }
            r += c.w;
        }
        if (!inserted) {
            ref_insert_at(s, s->len, (struct ref_sample){v, 1, 0});
            i++;
        }
        s->n += 1;
        r += 1;
    }
    s->nb = 0;
    ref_compress(s);
}

static void ref_insert(struct ref_stream *s, double v)
{
    s->b[s->nb++] = v;
    if (s->nb == 500)
        ref_flush(s);
}

static double ref_query(struct ref_stream *s, double q)
{
    if (s->len == 0) { /* not flushed yet: exact, from the buffer */
        qsort(s->b, s->nb, sizeof(double), cmp_double);
        double i = ceil((double)s->nb * q);
        return s->b[(size_t)(i > 0 ? i - 1 : 0)];
    }
    ref_flush(s);
    double t = ceil(q * s->n);
    t += ref_f(s, t) / 2; /* perks rounds this up; see stream_query */
    struct ref_sample p = s->l[0];
    double r = 0;
    for (size_t i = 1; i < s->len; i++) {
        struct ref_sample c = s->l[i];
        r += p.w;
        if (r + c.w + c.d > t)
            return p.v;
        p = c;
    }
    return p.v;
}

static void run_matches_perks(enum dist d, const struct promc__objective *obj, size_t nobj)
{
    enum { N = 20000 };
    /* The reference gets the error the window's streams really run at. */
    struct promc__objective half[4];
    assert_true(nobj <= 4);
    for (size_t k = 0; k < nobj; k++) {
        half[k] = obj[k];
        half[k].error /= 2;
    }
    struct ref_stream ref = {.t = half, .nt = nobj};
    double out[4];
    assert_true(nobj <= 4);
    rng_seed(1234 + (uint64_t)d);
    promc__qwindow *w = promc__qwindow_new(obj, nobj, 600, 5, 0);
    assert_non_null(w);
    size_t next = 1, compared = 0;
    for (size_t i = 0; i < N; i++) {
        double v = gen(d, i, N);
        ref_insert(&ref, v);
        assert_int_equal(promc__qwindow_observe(w, v, 0), 0);
        size_t n = i + 1;
        /* Go queries a stream below 500 without merging it, this code merges
         * it exactly; either way the answer is exact, but the later batches
         * would be cut differently, so compare only from 500 on. */
        if (n < next || n < 500)
            continue;
        next = n + 1 + (rng_next() % 1500);
        assert_int_equal(promc__qwindow_query(w, 0, out), 0);
        for (size_t k = 0; k < nobj; k++) {
            double want = ref_query(&ref, obj[k].quantile);
            if (out[k] != want)
                print_error("dist %d n=%zu q=%g: perks %.17g, promc %.17g\n", (int)d, n,
                            obj[k].quantile, want, out[k]);
            assert_true(out[k] == want);
            compared++;
        }
    }
    assert_true(compared > 10 * nobj);
    promc__qwindow_free(w);
    free(ref.l);
}

static void test_matches_perks(void **state)
{
    (void)state;
    static const struct promc__objective with_one[] = {{0.2, 0.02}, {0.75, 0.005}, {1, 0.01}};
    for (enum dist d = D_UNIFORM; d <= D_CONSTANT; d++) {
        run_matches_perks(d, OBJ_GO, NOBJ(OBJ_GO));
        run_matches_perks(d, OBJ_LOW, NOBJ(OBJ_LOW));
        run_matches_perks(d, OBJ_TIGHT, NOBJ(OBJ_TIGHT));
        run_matches_perks(d, with_one, NOBJ(with_one));
    }
}

/* Below 500 observations a stream answers exactly, with perks' index rule
 * ceil(n*q)-1 into the sorted values, as Go does. */
static void test_small_counts_exact(void **state)
{
    (void)state;
    promc__qwindow *w = promc__qwindow_new(OBJ_GO, 3, 600, 5, 0);
    assert_non_null(w);
    double out[3];
    for (int i = 10; i >= 1; i--)
        assert_int_equal(promc__qwindow_observe(w, i, 0), 0);
    assert_int_equal(promc__qwindow_query(w, 0, out), 0);
    assert_true(out[0] == 5); /* ceil(10*0.5)-1 = index 4 */
    assert_true(out[1] == 9);
    assert_true(out[2] == 10);
    promc__qwindow_free(w);
}

/* ------------------------------------------------------------------ */
/* Sliding window                                                     */
/* ------------------------------------------------------------------ */

/* client_golang's rotation, restated: the period (t0+(k-1)*dur, t0+k*dur] is
 * epoch k (at least 1); the head stream at epoch K holds what was observed in
 * epochs K-age_buckets+1 .. K. */
static double model_epoch(double t, double t0, double dur)
{
    double e = ceil((t - t0) * (1 / dur));
    return e < 1 ? 1 : e;
}

struct window_run {
    double *t, *v, *sorted;
    size_t n;
    double t0, dur, max_age;
    unsigned ab;
    double K; /* epochs only move forward */
};

static void check_window(promc__qwindow *w, struct window_run *r, double now)
{
    double out[3];
    double e = model_epoch(now, r->t0, r->dur);
    if (e > r->K)
        r->K = e;
    size_t m = 0;
    for (size_t i = 0; i < r->n; i++)
        if (model_epoch(r->t[i], r->t0, r->dur) > r->K - r->ab)
            r->sorted[m++] = r->v[i];
    qsort(r->sorted, m, sizeof(double), cmp_double);
    assert_int_equal(promc__qwindow_query(w, now, out), 0);
    for (size_t k = 0; k < 3; k++) {
        if (m == 0)
            assert_true(isnan(out[k]));
        else
            assert_true(
                rank_ok(r->sorted, m, out[k], OBJ_GO[k].quantile, OBJ_GO[k].error, "window"));
    }
}

/* Values live in [100*p, 100*p+1) during the p-th max_age period, so a
 * window that kept expired data would be off by whole blocks of ranks. */
static void run_window(double max_age, unsigned ab)
{
    const size_t total = 30000;
    struct window_run r = {.t0 = 1000, .max_age = max_age, .ab = ab, .K = 1};
    r.dur = max_age / ab;
    r.t = malloc(total * sizeof(double));
    r.v = malloc(total * sizeof(double));
    r.sorted = malloc(total * sizeof(double));
    assert_true(r.t && r.v && r.sorted);
    rng_seed(ab * 1000003ULL + (uint64_t)max_age);

    promc__qwindow *w = promc__qwindow_new(OBJ_GO, 3, max_age, ab, r.t0);
    assert_non_null(w);
    double step = 3 * max_age / (double)total, now = r.t0;
    for (size_t i = 0; i < total; i++) {
        now += step * 2 * rng_unit(); /* irregular arrivals, mean = step */
        double period = floor((now - r.t0) / max_age);
        r.t[i] = now;
        r.v[i] = 100 * period + rng_unit();
        r.n = i + 1;
        assert_int_equal(promc__qwindow_observe(w, r.v[i], now), 0);
        if (r.n % 701 == 0)
            check_window(w, &r, now);
    }
    check_window(w, &r, now);
    /* Queries with no observations in between still rotate. */
    for (double dt = r.dur / 3; dt < max_age + 2 * r.dur; dt += r.dur / 3)
        check_window(w, &r, now + dt);
    double out[3];
    assert_int_equal(promc__qwindow_query(w, now + max_age + r.dur, out), 0);
    assert_true(isnan(out[0]) && isnan(out[1]) && isnan(out[2]));
    promc__qwindow_free(w);
    free(r.sorted);
    free(r.v);
    free(r.t);
}

static void test_window_default(void **state)
{
    (void)state;
    run_window(600, 5);
}

static void test_window_one_bucket(void **state)
{
    (void)state;
    run_window(60, 1);
}

static void test_window_three_buckets(void **state)
{
    (void)state;
    run_window(90, 3);
}

/* The sliding-window scenario spelled out: 0..1 for ten minutes, then 100..101; once
 * the first block is older than max_age only the second one is reported. */
static void test_window_forgets_old_data(void **state)
{
    (void)state;
    promc__qwindow *w = promc__qwindow_new(OBJ_GO, 3, 600, 5, 0);
    assert_non_null(w);
    double out[3];
    rng_seed(7);
    for (int i = 0; i < 6000; i++)
        assert_int_equal(promc__qwindow_observe(w, rng_unit(), i * 0.1), 0);
    assert_int_equal(promc__qwindow_query(w, 599.9, out), 0);
    for (int k = 0; k < 3; k++)
        assert_true(out[k] >= 0 && out[k] < 1);
    for (int i = 0; i < 9000; i++)
        assert_int_equal(promc__qwindow_observe(w, 100 + rng_unit(), 600 + i * 0.1), 0);
    /* At 1500 s the head holds epochs 9..13, i.e. (960, 1500]. */
    assert_int_equal(promc__qwindow_query(w, 1500, out), 0);
    for (int k = 0; k < 3; k++)
        assert_true(out[k] >= 100 && out[k] < 101);
    assert_true(out[0] < out[1] && out[1] < out[2]);
    promc__qwindow_free(w);
}

/* Clocks that step back, jump or break must neither crash nor hang. */
static void test_window_odd_clocks(void **state)
{
    (void)state;
    promc__qwindow *w = promc__qwindow_new(OBJ_GO, 3, 600, 5, 100);
    assert_non_null(w);
    double out[3];
    assert_int_equal(promc__qwindow_observe(w, 1, 100), 0);
    assert_int_equal(promc__qwindow_observe(w, 2, 50), 0); /* back in time: current epoch */
    assert_int_equal(promc__qwindow_observe(w, 3, NAN), 0);
    assert_int_equal(promc__qwindow_observe(w, 4, INFINITY), 0);
    assert_int_equal(promc__qwindow_query(w, -INFINITY, out), 0);
    assert_true(out[0] == 2 && out[2] == 4);
    assert_int_equal(promc__qwindow_query(w, 1e300, out), 0); /* no loop to 1e300 */
    assert_true(isnan(out[0]));
    assert_int_equal(promc__qwindow_observe(w, 5, 1e300), 0);
    assert_int_equal(promc__qwindow_query(w, 1e300, out), 0);
    assert_true(out[0] == 5 && out[1] == 5 && out[2] == 5);
    promc__qwindow_free(w);
}

/* ------------------------------------------------------------------ */
/* Edge inputs                                                        */
/* ------------------------------------------------------------------ */

static void test_empty_returns_nan(void **state)
{
    (void)state;
    promc__qwindow *w = promc__qwindow_new(OBJ_GO, 3, 600, 5, 0);
    assert_non_null(w);
    double out[3] = {0, 0, 0};
    assert_int_equal(promc__qwindow_query(w, 0, out), 0);
    assert_true(isnan(out[0]) && isnan(out[1]) && isnan(out[2]));
    promc__qwindow_free(w);
    promc__qwindow_free(NULL);
}

static void test_nan_ignored(void **state)
{
    (void)state;
    promc__qwindow *a = promc__qwindow_new(OBJ_GO, 3, 600, 5, 0);
    promc__qwindow *b = promc__qwindow_new(OBJ_GO, 3, 600, 5, 0);
    assert_true(a && b);
    double oa[3], ob[3];
    for (int i = 0; i < 2000; i++)
        assert_int_equal(promc__qwindow_observe(a, NAN, 1), 0);
    assert_int_equal(promc__qwindow_query(a, 1, oa), 0);
    assert_true(isnan(oa[0]) && isnan(oa[1]) && isnan(oa[2]));

    /* Only NaN so far, then one value: every quantile is that value. */
    assert_int_equal(promc__qwindow_observe(a, 3.5, 1), 0);
    assert_int_equal(promc__qwindow_query(a, 1, oa), 0);
    assert_true(oa[0] == 3.5 && oa[1] == 3.5 && oa[2] == 3.5);

    /* With NaN interleaved, the result is bit-identical to without (b is
     * queried where a was, so both merge the same batches). */
    assert_int_equal(promc__qwindow_observe(b, 3.5, 1), 0);
    assert_int_equal(promc__qwindow_query(b, 1, ob), 0);
    rng_seed(11);
    for (int i = 0; i < 20000; i++) {
        double v = rng_unit();
        assert_int_equal(promc__qwindow_observe(a, v, 1), 0);
        assert_int_equal(promc__qwindow_observe(a, NAN, 1), 0);
        assert_int_equal(promc__qwindow_observe(b, v, 1), 0);
    }
    assert_int_equal(promc__qwindow_query(a, 1, oa), 0);
    assert_int_equal(promc__qwindow_query(b, 1, ob), 0);
    assert_memory_equal(oa, ob, sizeof(oa));
    assert_false(isnan(oa[0]));
    promc__qwindow_free(a);
    promc__qwindow_free(b);
}

static void test_single_observation(void **state)
{
    (void)state;
    static const struct promc__objective all[] = {{0, 0.01}, {0.5, 0.05}, {0.99, 0.001}, {1, 0.01}};
    promc__qwindow *w = promc__qwindow_new(all, 4, 600, 5, 0);
    assert_non_null(w);
    double out[4];
    assert_int_equal(promc__qwindow_observe(w, -7.25, 0), 0);
    assert_int_equal(promc__qwindow_query(w, 0, out), 0);
    for (int k = 0; k < 4; k++)
        assert_true(out[k] == -7.25);
    promc__qwindow_free(w);
}

static void test_infinities(void **state)
{
    (void)state;
    promc__qwindow *w = promc__qwindow_new(OBJ_EDGE, 3, 600, 5, 0);
    assert_non_null(w);
    double out[3];
    for (int i = 0; i < 3000; i++)
        assert_int_equal(promc__qwindow_observe(w, i % 3 ? 1 : (i % 2 ? INFINITY : -INFINITY), 0),
                         0);
    assert_int_equal(promc__qwindow_query(w, 0, out), 0);
    assert_true(out[0] == -INFINITY && out[1] == 1 && out[2] == INFINITY);
    promc__qwindow_free(w);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    struct promc__objective ok[] = {{0.5, 0.05}};
    struct promc__objective bad[][2] = {
        {{0.5, 0.05}, {-0.01, 0.01}}, {{0.5, 0.05}, {1.01, 0.01}}, {{0.5, 0.05}, {0.5, 0}},
        {{0.5, 0.05}, {0.5, -0.1}},   {{0.5, 0.05}, {0.5, 1}},     {{0.5, 0.05}, {NAN, 0.01}},
        {{0.5, 0.05}, {0.5, NAN}},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_null(promc__qwindow_new(bad[i], 2, 600, 5, 0));
    assert_null(promc__qwindow_new(ok, 0, 600, 5, 0));
    assert_null(promc__qwindow_new(NULL, 1, 600, 5, 0));
    assert_null(promc__qwindow_new(ok, 1, 0, 5, 0));
    assert_null(promc__qwindow_new(ok, 1, -1, 5, 0));
    assert_null(promc__qwindow_new(ok, 1, NAN, 5, 0));
    assert_null(promc__qwindow_new(ok, 1, INFINITY, 5, 0));
    assert_null(promc__qwindow_new(ok, 1, 600, 0, 0));
    assert_null(promc__qwindow_new(ok, 1, 600, 5, NAN));

    /* The boundaries themselves are valid. */
    struct promc__objective edge[] = {{0, 0.5}, {1, 1e-9}};
    promc__qwindow *w = promc__qwindow_new(edge, 2, 1e-9, 1, 0);
    assert_non_null(w);
    promc__qwindow_free(w);
}

/* ------------------------------------------------------------------ */
/* Out of memory                                                      */
/* ------------------------------------------------------------------ */

static long alloc_calls, alloc_fail_at, alloc_injected, alloc_live;
static int alloc_persistent; /* fail every call from fail_at on, not just that one */

static int alloc_should_fail(void)
{
    alloc_calls++;
    if (alloc_calls == alloc_fail_at || (alloc_persistent && alloc_calls > alloc_fail_at)) {
        alloc_injected++;
        return 1;
    }
    return 0;
}

static void *t_malloc(size_t n)
{
    if (alloc_should_fail())
        return NULL;
    void *p = malloc(n);
    if (p)
        alloc_live++;
    return p;
}

static void *t_realloc(void *p, size_t n)
{
    if (alloc_should_fail())
        return NULL;
    void *q = realloc(p, n);
    if (q && !p)
        alloc_live++;
    return q;
}

static void t_free(void *p)
{
    if (p)
        alloc_live--;
    free(p);
}

/* Teardown: a failed assertion must not leave the failing allocator (or its
 * leak count) behind for the tests that follow. */
static int restore_allocator(void **state)
{
    (void)state;
    alloc_persistent = 0;
    alloc_fail_at = 0;
    alloc_live = 0; /* whatever a failed test leaked is its own failure */
    return promc_set_allocator(NULL, NULL, NULL);
}

/*
 * One scenario under a failing allocator. Time is frozen (no rotation) when
 * `still`, so the final answer can be checked against exactly the values
 * observe() accepted: a failed call must lose nothing else. Returns 1 when
 * the scenario ran without any failure being injected.
 */
static int run_oom_scenario(long fail_at, int persistent, int still)
{
    enum { N = 5000 };
    static double kept[N];
    size_t nkept = 0;
    int errors = 0;
    double out[3], now = 0;

    alloc_calls = alloc_injected = 0;
    alloc_fail_at = fail_at;
    alloc_persistent = persistent;
    promc__qwindow *w = promc__qwindow_new(OBJ_GO, 3, 600, 5, now);
    if (!w) {
        assert_true(alloc_injected > 0);
        assert_int_equal(alloc_live, 0);
        return 0;
    }
    rng_seed(5);
    for (int i = 0; i < N; i++) {
        double v = rng_unit();
        if (!still)
            now += 0.1; /* 500 s: rotates streams four times */
        int rc = promc__qwindow_observe(w, v, now);
        assert_true(rc == 0 || rc == PROMC_ENOMEM);
        if (rc == 0)
            kept[nkept++] = v;
        else
            errors++;
        /* Query while streams are still exact: the next flush must grow them. */
        if (i == 498 || i == N / 2) {
            rc = promc__qwindow_query(w, now, out);
            assert_true(rc == 0 || rc == PROMC_ENOMEM);
            errors += rc != 0;
            for (int k = 0; k < 3; k++)
                assert_false(isnan(out[k])); /* filled from what is there */
        }
    }
    int rc = promc__qwindow_query(w, now, out);
    assert_true(rc == 0 || rc == PROMC_ENOMEM);
    errors += rc != 0;
    if (alloc_injected > 0)
        assert_true(errors > 0); /* every failure reached the caller */
    else
        assert_int_equal(errors, 0);

    if (still && !persistent) {
        /* A single failure: the kept buffer is merged on the next flush. */
        assert_int_equal(promc__qwindow_query(w, now, out), 0);
        qsort(kept, nkept, sizeof(double), cmp_double);
        for (int k = 0; k < 3; k++)
            assert_true(rank_ok(kept, nkept, out[k], OBJ_GO[k].quantile, OBJ_GO[k].error, "oom"));
    }
    promc__qwindow_free(w);
    assert_int_equal(alloc_live, 0);
    return alloc_injected == 0;
}

static void test_out_of_memory(void **state)
{
    (void)state;
    assert_int_equal(promc_set_allocator(t_malloc, t_realloc, t_free), PROMC_OK);
    long clean_calls = 0;
    for (int persistent = 0; persistent <= 1; persistent++) {
        for (int still = 0; still <= 1; still++) {
            long n = 1;
            while (!run_oom_scenario(n, persistent, still))
                n++;
            clean_calls = alloc_calls;
        }
    }
    assert_int_equal(promc_set_allocator(NULL, NULL, NULL), PROMC_OK);
    /* Nine allocations at creation: more means growth paths were exercised. */
    assert_true(clean_calls > 9);
}

/* Out of memory must not freeze the window: expired data still goes away,
 * and a stream that needs no growth keeps working. */
static void test_oom_still_rotates(void **state)
{
    (void)state;
    double out[3];
    assert_int_equal(promc_set_allocator(t_malloc, t_realloc, t_free), PROMC_OK);
    alloc_calls = alloc_injected = 0;
    alloc_fail_at = 0;
    alloc_persistent = 0;
    promc__qwindow *w = promc__qwindow_new(OBJ_GO, 3, 600, 5, 0);
    assert_non_null(w);
    for (int i = 0; i < 499; i++)
        assert_int_equal(promc__qwindow_observe(w, i, 0), 0);
    assert_int_equal(promc__qwindow_query(w, 0, out), 0); /* 499 exact samples */
    for (int i = 0; i < 500; i++)
        assert_int_equal(promc__qwindow_observe(w, 1000 + i, 1), 0); /* buffer now full */

    alloc_fail_at = alloc_calls + 1;
    alloc_persistent = 1;
    /* Merging the full buffer needs room for 999 samples: grow fails. */
    assert_int_equal(promc__qwindow_observe(w, 5, 2), PROMC_ENOMEM);
    assert_int_equal(promc__qwindow_query(w, 2, out), PROMC_ENOMEM);
    assert_true(out[0] == 249 && out[1] == 449 && out[2] == 494); /* from what is there */
    /* Everything expires even though the buffer could not be merged. */
    assert_int_equal(promc__qwindow_query(w, 10000, out), PROMC_ENOMEM);
    assert_true(isnan(out[0]) && isnan(out[1]) && isnan(out[2]));
    /* The expired buffer was dropped, so there is nothing left to grow for. */
    assert_int_equal(promc__qwindow_query(w, 10000, out), 0);
    assert_true(isnan(out[0]));
    assert_int_equal(promc__qwindow_observe(w, 7, 10000), 0);
    assert_int_equal(promc__qwindow_query(w, 10000, out), 0);
    assert_true(out[0] == 7 && out[1] == 7 && out[2] == 7);

    alloc_persistent = 0;
    promc__qwindow_free(w);
    assert_int_equal(alloc_live, 0);
    assert_int_equal(promc_set_allocator(NULL, NULL, NULL), PROMC_OK);
}

/* Once the streams have grown, observing and querying allocate nothing. */
static void test_steady_state_allocates_nothing(void **state)
{
    (void)state;
    assert_int_equal(promc_set_allocator(t_malloc, t_realloc, t_free), PROMC_OK);
    alloc_calls = alloc_injected = 0;
    alloc_fail_at = 0;
    alloc_persistent = 0;
    promc__qwindow *w = promc__qwindow_new(OBJ_GO, 3, 600, 5, 0);
    assert_non_null(w);
    double out[3], now = 0;
    rng_seed(3);
    for (int i = 0; i < 20000; i++) {
        assert_int_equal(promc__qwindow_observe(w, exp(3 * rng_normal()), now += 0.01), 0);
        if (i % 1000 == 0)
            assert_int_equal(promc__qwindow_query(w, now, out), 0);
    }
    long before = alloc_calls;
    for (int i = 0; i < 200000; i++) {
        assert_int_equal(promc__qwindow_observe(w, exp(3 * rng_normal()), now += 0.01), 0);
        if (i % 1000 == 0)
            assert_int_equal(promc__qwindow_query(w, now, out), 0);
    }
    assert_int_equal(alloc_calls, before);
    promc__qwindow_free(w);
    assert_int_equal(alloc_live, 0);
    assert_int_equal(promc_set_allocator(NULL, NULL, NULL), PROMC_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank_check_rejects),
        cmocka_unit_test(test_accuracy_uniform),
        cmocka_unit_test(test_accuracy_exponential),
        cmocka_unit_test(test_accuracy_normal),
        cmocka_unit_test(test_accuracy_lognormal),
        cmocka_unit_test(test_accuracy_ascending),
        cmocka_unit_test(test_accuracy_descending),
        cmocka_unit_test(test_accuracy_sawtooth),
        cmocka_unit_test(test_accuracy_few_values),
        cmocka_unit_test(test_accuracy_constant),
        cmocka_unit_test(test_batches_within_error),
        cmocka_unit_test(test_batches_of_500_match_observe),
        cmocka_unit_test(test_late_batches_follow_the_window),
        cmocka_unit_test(test_matches_perks),
        cmocka_unit_test(test_small_counts_exact),
        cmocka_unit_test(test_window_default),
        cmocka_unit_test(test_window_one_bucket),
        cmocka_unit_test(test_window_three_buckets),
        cmocka_unit_test(test_window_forgets_old_data),
        cmocka_unit_test(test_window_odd_clocks),
        cmocka_unit_test(test_empty_returns_nan),
        cmocka_unit_test(test_nan_ignored),
        cmocka_unit_test(test_single_observation),
        cmocka_unit_test(test_infinities),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test_teardown(test_out_of_memory, restore_allocator),
        cmocka_unit_test_teardown(test_oom_still_rotates, restore_allocator),
        cmocka_unit_test_teardown(test_steady_state_allocates_nothing, restore_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
