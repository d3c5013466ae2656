/*
 * Rough cost of promc__format_double per call, next to snprintf("%.17g") in the same run,
 * so a regression in the encoders' hottest helper shows up as a number. Not part of the
 * test suite. Build: cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Ilib -Iinclude
 * lib/format_number.c tests/bench/bench_format.c -o bench_format
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "format_number.h"

#define NVALUES 4096 /* small enough to stay in L1/L2: we time formatting, not memory */
#define MIN_NS  200000000.0

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void) /* xorshift64*: fixed seed, same values every run */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Summed output lengths, kept so the compiler cannot drop the calls. */
static volatile size_t sink;

static size_t call_ours(char *buf, double v)
{
    return promc__format_double(buf, v);
}

static size_t call_snprintf(char *buf, double v)
{
    return (size_t)snprintf(buf, PROMC__NUMBUF, "%.17g", v);
}

/* Repeats passes over vals until at least MIN_NS have elapsed; returns ns per call. */
static double time_calls(size_t (*fn)(char *, double), const double *vals)
{
    char buf[PROMC__NUMBUF];
    size_t total = 0;
    long calls = 0;
    double start = now_ns(), elapsed;
    do {
        for (int i = 0; i < NVALUES; i++)
            total += fn(buf, vals[i]);
        calls += NVALUES;
        elapsed = now_ns() - start;
    } while (elapsed < MIN_NS);
    sink += total;
    return elapsed / (double)calls;
}

static double time_u64(const uint64_t *vals)
{
    char buf[PROMC__NUMBUF];
    size_t total = 0;
    long calls = 0;
    double start = now_ns(), elapsed;
    do {
        for (int i = 0; i < NVALUES; i++)
            total += promc__format_u64(buf, vals[i]);
        calls += NVALUES;
        elapsed = now_ns() - start;
    } while (elapsed < MIN_NS);
    sink += total;
    return elapsed / (double)calls;
}

static double small_int[NVALUES], random_bits[NVALUES], random_mag[NVALUES], typical[NVALUES];
static uint64_t counters[NVALUES];

static void fill(void)
{
    /* What real exposition mostly holds: bucket bounds, latencies, ratios, byte counts. */
    static const double samples[] = {0.005,
                                     0.01,
                                     0.025,
                                     0.05,
                                     0.1,
                                     0.25,
                                     0.5,
                                     1,
                                     2.5,
                                     5,
                                     10,
                                     0.0012345,
                                     3.507,
                                     42,
                                     1e6,
                                     1.7e9,
                                     1700000000.123,
                                     0.3333333333333333,
                                     65536,
                                     1e-7,
                                     123456,
                                     0.30000000000000004};
    for (int i = 0; i < NVALUES; i++) {
        small_int[i] = (double)(rng() % 1000000);
        uint64_t b;
        do
            b = rng();
        while (((b >> 52) & 0x7ff) == 0x7ff);
        memcpy(&random_bits[i], &b, sizeof b);
        /* Uniform mantissa bits, magnitude between about 1e-20 and 1e20. */
        b = (rng() & ((((uint64_t)1 << 52) - 1))) | ((uint64_t)(1023 - 66 + rng() % 133) << 52);
        memcpy(&random_mag[i], &b, sizeof b);
        typical[i] = samples[rng() % (sizeof samples / sizeof samples[0])];
        counters[i] = rng() >> (rng() % 64);
    }
}

int main(void)
{
    static const struct {
        const char *name;
        const double *vals;
    } sets[] = {
        {"small integers (0..999999)", small_int},
        {"random doubles (all finite bit patterns)", random_bits},
        {"random doubles (1e-20..1e20)", random_mag},
        {"typical metric values", typical},
    };
    fill();
    printf("%-42s %12s %16s\n", "values", "promc ns/call", "%.17g ns/call");
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        double ours = time_calls(call_ours, sets[i].vals);
        double libc = time_calls(call_snprintf, sets[i].vals);
        printf("%-42s %12.1f %16.1f\n", sets[i].name, ours, libc);
    }
    printf("%-42s %12.1f\n", "promc__format_u64 (random widths)", time_u64(counters));
    return 0;
}
