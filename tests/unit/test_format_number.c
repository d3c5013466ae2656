/*
 * Tests for lib/format_number.c. Fixed vectors pin the exact bytes client_golang emits;
 * a randomized property test checks over a million doubles against a slow reference built
 * on libc's correctly rounded snprintf/strtod (valid here because tests run in the C
 * locale); a last test shows a comma-decimal locale leaves the output alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format_number.h"

/* ------------------------------------------------------------------------ */
/* Fixed vectors                                                              */
/* ------------------------------------------------------------------------ */

struct vec {
    double v;
    const char *want;
};

/* Checks the length returned, the terminator, and that nothing is written past it. */
static void expect_format(size_t (*fn)(char *, double), double v, const char *want)
{
    char buf[PROMC__NUMBUF + 16];
    memset(buf, 0x5a, sizeof buf);
    size_t n = fn(buf, v);
    assert_true(n < PROMC__NUMBUF);
    assert_int_equal(n, strlen(buf));
    for (size_t i = n + 1; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0x5a);
    if (strcmp(buf, want) != 0)
        fail_msg("%.17g: got \"%s\", want \"%s\"", v, buf, want);
}

static void test_double_vectors(void **state)
{
    (void)state;
    static const struct vec vecs[] = {
        {0.0, "0"},
        {-0.0, "0"},
        {1.0, "1"},
        {-1.0, "-1"},
        {0.1, "0.1"},
        {1.0 / 3, "0.3333333333333333"},
        {0.1 + 0.2, "0.30000000000000004"},
        {100.0, "100"},
        {123456.0, "123456"},
        {1234567.0, "1.234567e+06"},
        {1e6, "1e+06"},
        {12345678901.0, "1.2345678901e+10"},
        {1e15, "1e+15"},
        {1e16, "1e+16"},
        {1e21, "1e+21"},
        {0x1p53, "9.007199254740992e+15"},
        {0x1p63, "9.223372036854776e+18"},
        {1e-4, "0.0001"},
        {1e-5, "1e-05"},
        {1e-7, "1e-07"},
        {2.5e-310, "2.5e-310"},
        {DBL_MAX, "1.7976931348623157e+308"},
        {-1e21, "-1e+21"},
        {-1234567.0, "-1.234567e+06"},
        {INFINITY, "+Inf"},
        {-INFINITY, "-Inf"},
        {NAN, "NaN"},
        {0x1p-1074, "5e-324"},
        {0x1p-44, "5.684341886080802e-14"},
        {0.005, "0.005"},
        {3.507, "3.507"},
        {1.7e9, "1.7e+09"},
        {1700000000.123, "1.700000000123e+09"},
        /* Beyond the reference vectors: layout edges and the integer fast path's limit. */
        {999999.0, "999999"},
        {-999999.0, "-999999"},
        {999999.5, "999999.5"},
        {100000.0, "100000"},
        {0.00012345, "0.00012345"},
        {1.5e-5, "1.5e-05"},
        {1e100, "1e+100"},
        {1e-100, "1e-100"},
        {DBL_MIN, "2.2250738585072014e-308"},
        {-DBL_MIN, "-2.2250738585072014e-308"},
        {0x1p-1073, "1e-323"},
        {-0x1p-1074, "-5e-324"},
        /* Two shortest candidates equally close: the even one wins, as in Go. */
        {1.00000762939453125, "1.0000076293945312"},
        {-NAN, "NaN"},
    };
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++)
        expect_format(promc__format_double, vecs[i].v, vecs[i].want);
}

static void test_canonical_vectors(void **state)
{
    (void)state;
    static const struct vec vecs[] = {
        {0.0, "0.0"},
        {-0.0, "0.0"},
        {1.0, "1.0"},
        {10.0, "10.0"},
        {100000.0, "100000.0"},
        {1e6, "1e+06"},
        {1e-10, "1e-10"},
        {0.005, "0.005"},
        {1e23, "1e+23"},
        {1.1e23, "1.1e+23"},
        {5.0, "5.0"},
        {-1.0, "-1.0"},
        {INFINITY, "+Inf"},
        {-INFINITY, "-Inf"},
        {NAN, "NaN"},
        {0.25, "0.25"},
        {-999999.0, "-999999.0"},
        {1234567.0, "1.234567e+06"},
    };
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++)
        expect_format(promc__format_canonical, vecs[i].v, vecs[i].want);
}

static void test_integers(void **state)
{
    (void)state;
    char buf[PROMC__NUMBUF];
    static const struct {
        uint64_t v;
        const char *want;
    } u[] = {
        {0, "0"},
        {9, "9"},
        {10, "10"},
        {99999999, "99999999"},
        {100000000, "100000000"},
        {1234567890123456789u, "1234567890123456789"},
        {UINT64_MAX, "18446744073709551615"},
    };
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
        assert_int_equal(promc__format_u64(buf, u[i].v), strlen(u[i].want));
        assert_string_equal(buf, u[i].want);
    }
    /* Walk every digit count. */
    uint64_t p = 1;
    for (int d = 1; d <= 19; d++, p *= 10) {
        char want[32];
        snprintf(want, sizeof want, "%llu", (unsigned long long)(p - 1));
        promc__format_u64(buf, p - 1);
        assert_string_equal(buf, want);
        snprintf(want, sizeof want, "%llu", (unsigned long long)p);
        promc__format_u64(buf, p);
        assert_string_equal(buf, want);
    }
}

/* ------------------------------------------------------------------------ */
/* Slow reference                                                             */
/* ------------------------------------------------------------------------ */

/* Digits with trailing zeros removed, and the decimal exponent of the first one. */
struct ref_dec {
    char digits[24];
    int x;
};

static void ref_set(struct ref_dec *r, const char *digits, int x)
{
    size_t n = strlen(digits);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    memcpy(r->digits, digits, n);
    r->digits[n] = '\0';
    r->x = x;
}

/* Is there a decimal with at most p significant digits that strtod reads back as a (> 0)?
 * libc rounds correctly, so the p-digit candidate nearest a is snprintf's; if it misses
 * (the interval is lopsided at powers of two) the only other possibility is its
 * neighbour one unit in the last place towards a, tried as mantissa +-1. */
static int ref_try(double a, int p, struct ref_dec *r)
{
    char s[64];
    snprintf(s, sizeof s, "%.*e", p - 1, a);
    char *e = strchr(s, 'e');
    int exp10 = (int)strtol(e + 1, NULL, 10);
    char digits[24];
    size_t nd = 0;
    for (const char *c = s; c < e; c++)
        if (*c != '.')
            digits[nd++] = *c;
    digits[nd] = '\0';
    if (strtod(s, NULL) == a) {
        ref_set(r, digits, exp10);
        return 1;
    }
    unsigned long long m = strtoull(digits, NULL, 10);
    for (int delta = -1; delta <= 1; delta += 2) {
        unsigned long long mm = m + (unsigned long long)(long long)delta;
        if (mm == 0)
            continue;
        int scale = exp10 - (p - 1); /* value = mm * 10^scale */
        snprintf(s, sizeof s, "%llue%d", mm, scale);
        if (strtod(s, NULL) == a) {
            snprintf(digits, sizeof digits, "%llu", mm);
            ref_set(r, digits, scale + (int)strlen(digits) - 1);
            return 1;
        }
    }
    return 0;
}

/* Go's %g layout for shortest precision. */
static void ref_layout(char *out, size_t cap, int neg, const struct ref_dec *r)
{
    const char *sign = neg ? "-" : "";
    int n = (int)strlen(r->digits);
    int x = r->x;
    if (x < -4 || x >= 6)
        snprintf(out, cap, "%s%c%s%se%c%02d", sign, r->digits[0], n > 1 ? "." : "", r->digits + 1,
                 x < 0 ? '-' : '+', abs(x));
    else if (x < 0)
        snprintf(out, cap, "%s0.%.*s%s", sign, -x - 1, "0000", r->digits);
    else if (n <= x + 1)
        snprintf(out, cap, "%s%s%.*s", sign, r->digits, x + 1 - n, "00000");
    else
        snprintf(out, cap, "%s%.*s.%s", sign, x + 1, r->digits, r->digits + x + 1);
}

/* The whole reference: first p in 1..17 with a candidate, laid out. Finite v only. */
static void ref_format(char *out, size_t cap, double v)
{
    if (v == 0) {
        snprintf(out, cap, "0");
        return;
    }
    double a = v < 0 ? -v : v;
    struct ref_dec r;
    for (int p = 1; p <= 17; p++) {
        if (ref_try(a, p, &r)) {
            ref_layout(out, cap, v < 0, &r);
            return;
        }
    }
    snprintf(out, cap, "<no candidate>");
}

/* Significant digits in one of our outputs, trailing zeros excluded. */
static int count_sig_digits(const char *s)
{
    int n = 0, pending_zeros = 0, started = 0;
    for (; *s && *s != 'e'; s++) {
        if (*s < '0' || *s > '9')
            continue;
        if (*s == '0') {
            if (started)
                pending_zeros++;
            continue;
        }
        started = 1;
        n += pending_zeros + 1;
        pending_zeros = 0;
    }
    return n;
}

static unsigned long long checked;

/* Compares promc__format_double(v) with the reference, and checks it reads back as v.
 * "Some candidate exists with <= p digits" only becomes true as p grows, so the reference's
 * scan from p = 1 stops at p = n exactly when p = n - 1 finds nothing and p = n does. Testing
 * just those two p, at our output's digit count n, gives the scan's verdict at a fraction of
 * its cost; the full scan runs only to report a mismatch. */
static void check_value(double v)
{
    if (v == 0) { /* no significant digits to count */
        expect_format(promc__format_double, v, "0");
        expect_format(promc__format_canonical, v, "0.0");
        return;
    }
    char ours[PROMC__NUMBUF], want[64];
    size_t n = promc__format_double(ours, v);
    assert_true(n < PROMC__NUMBUF - 2);
    checked++;

    if (strtod(ours, NULL) != v) {
        ref_format(want, sizeof want, v);
        fail_msg("%a: \"%s\" does not read back (reference \"%s\")", v, ours, want);
    }
    double a = v < 0 ? -v : v;
    int nd = count_sig_digits(ours);
    struct ref_dec r;
    int ok = nd >= 1 && nd <= 17 && (nd == 1 || !ref_try(a, nd - 1, &r)) && ref_try(a, nd, &r);
    if (ok) {
        ref_layout(want, sizeof want, v < 0, &r);
        ok = strcmp(want, ours) == 0;
    }
    if (!ok) {
        ref_format(want, sizeof want, v);
        fail_msg("%a: got \"%s\", want \"%s\"", v, ours, want);
    }

    /* Canonical form is the same string, ".0" added when it reads as an integer. */
    char canon[PROMC__NUMBUF];
    size_t cn = promc__format_canonical(canon, v);
    int plain = strpbrk(ours, ".e") == NULL;
    assert_int_equal(cn, n + (plain ? 2 : 0));
    assert_memory_equal(canon, ours, n);
    assert_string_equal(canon + n, plain ? ".0" : "");
}

/* ------------------------------------------------------------------------ */
/* Randomized property test                                                  */
/* ------------------------------------------------------------------------ */

static uint64_t rng_state = 0x243f6a8885a308d3u; /* fixed: failures must reproduce */

static uint64_t rng(void) /* xorshift64* */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

static double from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static uint64_t to_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

/* Checks the doubles 0..k bit patterns either side of v (same sign), staying finite. */
static void check_neighbours(double v, int k)
{
    uint64_t b = to_bits(v);
    for (int d = -k; d <= k; d++) {
        uint64_t nb = b + (uint64_t)(int64_t)d;
        if ((nb ^ b) >> 63) /* crossed zero into the other sign */
            continue;
        double nv = from_bits(nb);
        if (nv == 0 || isnan(nv) || isinf(nv))
            continue;
        check_value(nv);
    }
}

static void test_random_bit_patterns(void **state)
{
    (void)state;
    for (int i = 0; i < 350000; i++) {
        uint64_t b = rng();
        if (((b >> 52) & 0x7ff) == 0x7ff)
            b ^= (uint64_t)1 << 62; /* NaN/Inf -> finite */
        if ((b << 1) == 0)
            continue;
        check_value(from_bits(b));
    }
    /* Subnormals: an exponent field of 0 is too rare above to count on. */
    for (int i = 0; i < 100000; i++) {
        uint64_t b = rng() & ((((uint64_t)1 << 52) - 1) | ((uint64_t)1 << 63));
        if (i < 2000)
            b &= (uint64_t)0xfff; /* the very smallest ones: few digits, s < 10 */
        if ((b << 1) == 0)
            continue;
        check_value(from_bits(b));
    }
}

static void test_random_magnitudes(void **state)
{
    (void)state;
    double pow10[41]; /* 1e-20 .. 1e20 */
    for (int e = -20; e <= 20; e++) {
        char s[16];
        snprintf(s, sizeof s, "1e%d", e);
        pow10[e + 20] = strtod(s, NULL);
    }
    /* Continuous: mantissa in [1, 10), all bits random. */
    for (int i = 0; i < 200000; i++) {
        uint64_t r = rng();
        double m = 1.0 + 9.0 * (double)(r >> 11) * 0x1p-53;
        double v = m * pow10[rng() % 40];
        check_value(r & 1 ? -v : v);
    }
    /* Short decimals, as a user would write them: these exercise the branch where a
     * multiple of 10^(k+1) wins and the output has far fewer than 17 digits. */
    for (int i = 0; i < 200000; i++) {
        uint64_t r = rng();
        int ndig = 1 + (int)(r % 17);
        unsigned long long m = 0;
        for (int d = 0; d < ndig; d++)
            m = m * 10 + (rng() % 10);
        if (m == 0)
            m = 1 + r % 9;
        char s[48];
        snprintf(s, sizeof s, "%s%llue%d", (r >> 8) & 1 ? "-" : "", m,
                 (int)((r >> 16) % 41) - 20 - ndig + 1);
        check_value(strtod(s, NULL));
    }
}

static void test_powers_of_two_and_integers(void **state)
{
    (void)state;
    /* Every power of two (the lopsided rounding intervals) and its close neighbours. */
    for (int e = -1074; e <= 1023; e++)
        check_neighbours(ldexp(1.0, e), 3);
    /* Powers of ten and their neighbours: layout thresholds and exact decimals. */
    for (int e = -323; e <= 308; e++) {
        char s[16];
        snprintf(s, sizeof s, "1e%d", e);
        check_neighbours(strtod(s, NULL), 3);
        snprintf(s, sizeof s, "-5e%d", e);
        check_neighbours(strtod(s, NULL), 1);
    }
    /* Integers near 2^53, where the spacing changes from 1 to 2. */
    for (int64_t d = -50000; d <= 50000; d++)
        check_value((double)(((int64_t)1 << 53) + d));
    /* Random integers of every size, and around the 1e6 fast-path limit. */
    for (int i = 0; i < 100000; i++) {
        uint64_t r = rng();
        check_value((double)(r >> (r % 64)));
    }
    for (int i = -20000; i <= 20000; i++) {
        check_value(1e6 + i);
        check_value(-(1e6 + i * 0.25));
        check_value(1e5 + i);
    }
    check_neighbours(1e6, 50);
    check_neighbours(1e-4, 50);
    check_neighbours(1e-5, 50);
    check_neighbours(DBL_MIN, 50);
    check_neighbours(DBL_MAX, 50);
    check_neighbours(0x1p-1074, 50);
    print_message("property checks run so far: %llu\n", checked);
}

/* ------------------------------------------------------------------------ */
/* Locale independence                                                        */
/* ------------------------------------------------------------------------ */

static void test_locale_independent(void **state)
{
    (void)state;
    static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "de_DE", "fr_FR.UTF-8",
                                        "C.UTF-8",     "C.utf8",     "POSIX"};
    int tried = 0, commas = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!setlocale(LC_NUMERIC, names[i]))
            continue;
        tried++;
        char probe[16];
        snprintf(probe, sizeof probe, "%.1f", 0.5);
        commas += strchr(probe, ',') != NULL;
        expect_format(promc__format_double, 0.5, "0.5");
        expect_format(promc__format_double, -1234.5e-9, "-1.2345e-06");
        expect_format(promc__format_canonical, 0.5, "0.5");
        expect_format(promc__format_canonical, 2.0, "2.0");
    }
    setlocale(LC_NUMERIC, "C");
    if (commas == 0)
        print_message("note: no comma-decimal locale installed; checked under %d locale(s)\n",
                      tried);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_double_vectors),
        cmocka_unit_test(test_canonical_vectors),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_random_bit_patterns),
        cmocka_unit_test(test_random_magnitudes),
        cmocka_unit_test(test_powers_of_two_and_integers),
        cmocka_unit_test(test_locale_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
