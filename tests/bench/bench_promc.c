#define _GNU_SOURCE /* pthread_setaffinity_np, before any header */
/*
 * promc's side of the peer comparison (tests/bench/run_peers.sh): the same
 * workloads as tests/bench/peers/{go,cpp,python}, written against promc's
 * public API only, printing one machine-readable line per figure:
 *
 *   promc A ns_per_op 4.21
 *
 * Workloads (see docs/PERFORMANCE.md for what each peer's operation does).
 * Data, the same in every peer: xorshift64* with a fixed seed gives 65,536
 * log-uniform values over [0.001, 20), then 1,024 trace ids, then Du's
 * 65,536 values, then 65,536 numbers for C's child order. "2 threads"
 * means two threads pinned to the two CPUs on one series, timed as wall
 * time / total ops.
 *   A      unlabelled counter inc, one thread
 *   B      the same counter from 2 threads at once
 *   Bx     B after 100 short-lived threads (created and joined 4 at a time)
 *          have each incremented the same counter 1,000 times
 *   C      counter{method,code}, 12 children, the child looked up by label
 *          values on every operation, then inc; C100 counter{route,status}
 *          with 10 x 10 children, C10k with 100 x 100 ("/r/<i>", "<j>");
 *          children in a random order (65,536 precomputed indexes, cycled),
 *          all created before the warm-up
 *   Dl1/Dl2, Du1/Du2, Dc1/Dc2
 *          classic histogram observe, the 11 client_golang default buckets,
 *          1 or 2 threads: l cycles through the first 1,024 log-uniform
 *          values (the second thread from offset 512), u through 65,536
 *          values uniform over the 12 buckets (the middle of each; 15 for
 *          +Inf; the second thread from offset 32,768), c observes 0.3
 *   XA     A with an exemplar: promc_counter_inc_exemplar with
 *          {trace_id=<16 hex digits>}, cycling through 1024 fixed ids
 *   XD     histogram observe with an exemplar, cycling through the 65,536
 *          log-uniform values and the same ids
 *   S1/S2  summary observe with objectives {0.5: 0.05, 0.9: 0.01, 0.99:
 *          0.001}, promc's default window (600 s, 5 age buckets), Dl's
 *          values, 1 or 2 threads
 *   L      label churn: counter_vec{id} child for "id-<k>" (k cycling over
 *          1,024), inc, remove, every operation
 *   E10k   text render of 100 counter families x 100 children plus 10
 *          histograms x 10 children; E100k the same with 1,000 families.
 *          Memory per series: RSS, and heap in use (mallinfo2), after
 *          building minus before
 *   MPA    multi-process mode (promc_mp_counter_inc on a file in a
 *          directory under /tmp), one thread; MPB the same from 2 threads.
 *          Against A: the cost of a cell shared through a file (a CAS on
 *          the double); against client_python's multiprocess Counter.inc
 *          (tests/bench/peers/python, with PROMETHEUS_MULTIPROC_DIR set)
 *   MPE    a scrape of a multi-process directory of 100 processes x 1,000
 *          counter series each (forked writers, then the median of 11
 *          renders of promc_multiprocess_collector_new's output)
 *          MPA, MPB and MPE are promc's only and not run by default
 *   G      native histogram observe (factor 1.1, schema 3, native only):
 *          G1/G2 into existing buckets, 1 and 2 threads, cycling through
 *          1,024 log-uniform values over [0.001, 20) (all their buckets
 *          created beforehand; client_golang's program does the same);
 *          G1new/G2new, promc's only, observations that each create a bucket
 *          (2,048 powers of two a fresh histogram, 2 threads: one positive,
 *          one negative)
 *   serve PORT [SECONDS]
 *          the HTTP server with 1,000 counter series (workloads F, H and Fz;
 *          the runner drives it with wrk)
 *   serve1m PORT [SECONDS]
 *          the HTTP server with 1,000 counter families x 1,000 children
 *          (workload M: the runner times one scrape and the memory it adds)
 *   dump F|E10k|E100k
 *          an exposition in the text format on stdout
 *   gzip LABEL FILE [OUT]
 *          workload Z: FILE compressed into a gzip member in memory by the
 *          library's own compressor (lib/gzip.h, not public API), --reps
 *          times after one untimed run; prints the input and compressed
 *          sizes and MB/s (1e6 bytes of input a second) of the median run,
 *          and writes the compressed bytes to OUT when given.
 *          tests/bench/peers/zlib/zlib1.c does the same with zlib level 1.
 *
 * Usage: bench_promc [--quick] [--ops N] [--renders N] [WORKLOAD...]
 *        bench_promc [--reps N] gzip LABEL FILE [OUT]
 * With no workload, runs all of them but Z and M. --ops overrides the
 * operation count of the ns/op workloads (the runner uses it to subtract
 * setup from perf counts).
 */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h> /* mallinfo2: E's heap in use */
#endif

#include "gzip.h" /* internal: workload Z times the compressor alone */
#include "promc.h"
#include "promc_http.h"

static const char *IMPL = "promc";
static int quick;
static long long ops_override = -1;
static int renders_override = -1;
static int reps = 11;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void figure(const char *workload, const char *metric, double value)
{
    printf("%s %s %s %.10g\n", IMPL, workload, metric, value);
    fflush(stdout);
}

static void die(const char *what)
{
    fprintf(stderr, "bench_promc: %s: %s\n", what, promc_last_error());
    exit(1);
}

static long long ops_for(long long full)
{
    if (ops_override > 0)
        return ops_override;
    return quick ? full / 10 : full;
}

/* ------------------------------------------------------------------ data */

/* xorshift64* with a fixed seed: every peer computes the same sequence. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

#define NVALUES 65536
static double values[NVALUES];

/* Log-uniform over [0.001, 20): 0.001 * 20000^u, u uniform in [0, 1). */
static void fill_values(void)
{
    for (int i = 0; i < NVALUES; i++) {
        double u = (double)(rng() >> 11) * (1.0 / 9007199254740992.0);
        values[i] = 0.001 * exp(u * log(20000.0));
    }
}

static const double go_buckets[] = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
#define NGO_BUCKETS (sizeof go_buckets / sizeof go_buckets[0])

/* Drawn after the trace ids, in this order, by every peer: Du's 65,536
 * values, uniform over the 12 buckets (the middle of bucket rng() % 12; the
 * +Inf bucket's is 15), then the 65,536 numbers C's child indexes come from
 * (child = picks[i] % number of children). Dc observes dc_value. */
#define NDU    65536
#define NPICKS 65536
static double du_values[NDU];
static uint64_t picks[NPICKS];
static const double dc_value = 0.3;

static void fill_du_picks(void)
{
    for (int i = 0; i < NDU; i++) {
        int k = (int)(rng() % (NGO_BUCKETS + 1));
        du_values[i] = k == 0             ? go_buckets[0] / 2
                       : k == NGO_BUCKETS ? 15.0
                                          : (go_buckets[k - 1] + go_buckets[k]) / 2;
    }
    for (int i = 0; i < NPICKS; i++)
        picks[i] = rng();
}

static const char *const methods[4] = {"GET", "POST", "PUT", "DELETE"};
static const char *const codes[3] = {"200", "404", "500"};

static const char *const routes[10] = {
    "/api/v1/users",  "/api/v1/orders", "/api/v1/items",   "/api/v1/search", "/api/v1/login",
    "/api/v1/logout", "/api/v1/cart",   "/api/v1/payment", "/static/app.js", "/healthz"};
static const char *const statuses[10] = {"200", "201", "204", "301", "304",
                                         "400", "401", "404", "500", "503"};

static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

/* Bytes of the heap in use (glibc's mallinfo2: chunks in use in every
 * arena, their headers included, and mmapped ones), or -1 without it. Not
 * what the allocator keeps around: beside RSS, a figure that does not move
 * with it. */
static long heap_bytes(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 mi = mallinfo2();
    return (long)(mi.uordblks + mi.hblkhd);
#else
    return -1;
#endif
}

/* ------------------------------------------------------------------ A */

static void bench_a(void)
{
    promc_registry *reg = promc_registry_new();
    promc_counter *c = promc_counter_new(reg, "bench_a_total", "A.", NULL);
    if (!c)
        die("counter");
    long long n = ops_for(100000000LL);
    for (long long i = 0; i < n / 20; i++) /* warm-up */
        promc_counter_inc(c);
    double t0 = now_ns();
    for (long long i = 0; i < n; i++)
        promc_counter_inc(c);
    double t1 = now_ns();
    if (promc_counter_get(c) != (double)(n + n / 20))
        fprintf(stderr, "bench_promc: A: counter value mismatch\n");
    figure("A", "ns_per_op", (t1 - t0) / (double)n);
    promc_counter_free(c);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ B */

struct b_arg {
    promc_counter *c;
    long long n;
    atomic_int *go;
    int cpu;
};

/* Pins the calling thread to the cpu-th CPU it may run on (no privilege
 * needed): on a loaded 2-CPU machine the scheduler otherwise often puts both
 * threads on one CPU, where they take turns instead of contending. */
static void pin_to(int cpu)
{
    cpu_set_t allowed, one;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) < 2)
        return;
    int k = cpu % CPU_COUNT(&allowed);
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &allowed) && k-- == 0) {
            CPU_ZERO(&one);
            CPU_SET(i, &one);
            pthread_setaffinity_np(pthread_self(), sizeof one, &one);
            return;
        }
}

static void *b_thread(void *p)
{
    struct b_arg *a = p;
    pin_to(a->cpu);
    while (!atomic_load_explicit(a->go, memory_order_acquire))
        ;
    for (long long i = 0; i < a->n; i++)
        promc_counter_inc(a->c);
    return NULL;
}

/* Bx's short-lived threads: each increments 1,000 times and exits. */
static void *bx_thread(void *p)
{
    for (int i = 0; i < 1000; i++)
        promc_counter_inc(p);
    return NULL;
}

/* B; with churn (Bx), after 100 short-lived threads, 4 at a time, have each
 * incremented the same counter 1,000 times: what a library that hands out
 * per-thread state is left with after threads came and went. */
static void bench_b(int churn)
{
    promc_registry *reg = promc_registry_new();
    promc_counter *c = promc_counter_new(reg, "bench_b_total", "B.", NULL);
    if (!c)
        die("counter");
    long long before = 0;
    for (int i = 0; churn && i < 100; i += 4) {
        pthread_t s[4];
        for (int j = 0; j < 4; j++)
            pthread_create(&s[j], NULL, bx_thread, c);
        for (int j = 0; j < 4; j++)
            pthread_join(s[j], NULL);
        before += 4000;
    }
    long long n = ops_for(100000000LL);
    atomic_int go = 0;
    struct b_arg args[2] = {{c, n / 2, &go, 0}, {c, n - n / 2, &go, 1}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, b_thread, &args[i]);
    sleep_ms(20); /* both threads spinning on the start flag */
    double t0 = now_ns();
    atomic_store_explicit(&go, 1, memory_order_release);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    double t1 = now_ns();
    if (promc_counter_get(c) != (double)(before + n))
        fprintf(stderr, "bench_promc: %s: counter value mismatch\n", churn ? "Bx" : "B");
    figure(churn ? "Bx" : "B", "ns_per_op", (t1 - t0) / (double)n);
    promc_counter_free(c);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ C */

/* Child lookup by label values + inc over n children (C: 12 method x code,
 * C100: 10 routes x 10 statuses, C10k: 100 x 100), in the order of the
 * shared pick sequence (child = picks[i] % n); a[j], b[j] are child j's
 * values. Every child is created before the warm-up. */
static void bench_cn(const char *label, const char *na, const char *nb, const char *const *a,
                     const char *const *b, int nchildren, long long full)
{
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *c =
        promc_counter_vec_new(reg, "bench_c_requests_total", "C.", PROMC_LABELS(na, nb), NULL);
    if (!c)
        die("counter");
    int *idx = malloc(NPICKS * sizeof *idx);
    if (!idx)
        die("malloc");
    for (int i = 0; i < NPICKS; i++)
        idx[i] = (int)(picks[i] % (uint64_t)nchildren);
    for (int j = 0; j < nchildren; j++)
        promc_counter_inc(promc_counter_vec_labels(c, a[j], b[j]));
    long long n = ops_for(full);
    for (long long i = 0; i < n / 20; i++) { /* warm-up */
        int j = idx[i & (NPICKS - 1)];
        promc_counter_inc(promc_counter_vec_labels(c, a[j], b[j]));
    }
    double t0 = now_ns();
    for (long long i = 0; i < n; i++) {
        int j = idx[i & (NPICKS - 1)];
        promc_counter_inc(promc_counter_vec_labels(c, a[j], b[j]));
    }
    double t1 = now_ns();
    double total = 0;
    for (int j = 0; j < nchildren; j++)
        total += promc_counter_get(promc_counter_vec_labels(c, a[j], b[j]));
    if (total != (double)(nchildren + n + n / 20))
        fprintf(stderr, "bench_promc: %s: counter value mismatch\n", label);
    figure(label, "ns_per_op", (t1 - t0) / (double)n);
    free(idx);
    promc_counter_vec_free(c);
    promc_registry_free(reg);
}

static void bench_c(int nchildren)
{
    const char **a = malloc((size_t)nchildren * sizeof *a);
    const char **b = malloc((size_t)nchildren * sizeof *b);
    char(*text)[2][8] = malloc((size_t)nchildren * sizeof *text);
    if (!a || !b || !text)
        die("malloc");
    if (nchildren == 12) {
        for (int j = 0; j < 12; j++) {
            a[j] = methods[j % 4];
            b[j] = codes[j / 4];
        }
        bench_cn("C", "method", "code", a, b, 12, 20000000LL);
    } else if (nchildren == 100) {
        for (int j = 0; j < 100; j++) {
            a[j] = routes[j / 10];
            b[j] = statuses[j % 10];
        }
        bench_cn("C100", "route", "status", a, b, 100, 10000000LL);
    } else {
        /* route "/r/<i>", status "<j>", i, j < 100: strings made once */
        for (int j = 0; j < nchildren; j++) {
            snprintf(text[j][0], sizeof text[j][0], "/r/%d", j / 100);
            snprintf(text[j][1], sizeof text[j][1], "%d", j % 100);
            a[j] = text[j][0];
            b[j] = text[j][1];
        }
        bench_cn("C10k", "route", "status", a, b, nchildren, 10000000LL);
    }
    free(text);
    free(a);
    free(b);
}

/* ------------------------------------------------------------------ D */

/* Classic histogram observe, client_golang's 11 default buckets, from 1 or
 * 2 pinned threads on one series (wall time / total ops). Each thread
 * cycles through a stream of values; the second starts at offset off. */
struct d_arg {
    promc_histogram *h;
    const double *v;
    long long n, mask, off;
    atomic_int *go;
    int cpu;
};

static void *d_thread(void *p)
{
    struct d_arg *a = p;
    pin_to(a->cpu);
    while (!atomic_load_explicit(a->go, memory_order_acquire))
        ;
    for (long long i = a->off; i < a->n + a->off; i++)
        promc_histogram_observe(a->h, a->v[i & a->mask]);
    return NULL;
}

static void bench_d(const char *label, const double *v, long long len, int threads)
{
    promc_registry *reg = promc_registry_new();
    promc_histogram_opts o = {.buckets = go_buckets, .nbuckets = NGO_BUCKETS};
    promc_histogram *h = promc_histogram_new(reg, "bench_d_seconds", "D.", &o);
    if (!h)
        die("histogram");
    long long n = ops_for(20000000LL), per = n / threads;
    for (long long i = 0; i < n / 20; i++) /* warm-up */
        promc_histogram_observe(h, v[i & (len - 1)]);
    atomic_int go = 0;
    struct d_arg args[2] = {{h, v, per, len - 1, 0, &go, 0}, {h, v, per, len - 1, len / 2, &go, 1}};
    pthread_t t[2];
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, d_thread, &args[i]);
    sleep_ms(5);
    double t0 = now_ns();
    atomic_store_explicit(&go, 1, memory_order_release);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double t1 = now_ns();
    double count = -1;
    promc_registry_get_sample_value(reg, "bench_d_seconds_count", NULL, 0, &count);
    if (count != (double)(n / 20 + per * threads))
        fprintf(stderr, "bench_promc: %s: histogram count mismatch\n", label);
    figure(label, "ns_per_op", (t1 - t0) / (double)(per * threads));
    promc_histogram_free(h);
    promc_registry_free(reg);
}

/* ----------------------------------------------------------------- XA, XD */

/* 1024 trace ids of 16 hex digits, from the shared sequence. */
#define NIDS 1024
static char trace_ids[NIDS][17];

static void fill_trace_ids(void)
{
    for (int i = 0; i < NIDS; i++)
        snprintf(trace_ids[i], sizeof trace_ids[i], "%016llx", (unsigned long long)rng());
}

static void bench_xa(void)
{
    promc_registry *reg = promc_registry_new();
    promc_counter *c = promc_counter_new(reg, "bench_xa_total", "XA.", NULL);
    if (!c)
        die("counter");
    long long n = ops_for(10000000LL);
    for (long long i = 0; i < n / 20; i++) {
        promc_label l[] = {{"trace_id", trace_ids[i & (NIDS - 1)]}};
        promc_counter_inc_exemplar(c, l, 1);
    }
    double t0 = now_ns();
    for (long long i = 0; i < n; i++) {
        promc_label l[] = {{"trace_id", trace_ids[i & (NIDS - 1)]}};
        if (promc_counter_inc_exemplar(c, l, 1) != PROMC_OK)
            die("XA");
    }
    double t1 = now_ns();
    figure("XA", "ns_per_op", (t1 - t0) / (double)n);
    promc_counter_free(c);
    promc_registry_free(reg);
}

static void bench_xd(void)
{
    promc_registry *reg = promc_registry_new();
    promc_histogram_opts o = {.buckets = go_buckets, .nbuckets = NGO_BUCKETS};
    promc_histogram *h = promc_histogram_new(reg, "bench_xd_seconds", "XD.", &o);
    if (!h)
        die("histogram");
    long long n = ops_for(10000000LL);
    for (long long i = 0; i < n / 20; i++) {
        promc_label l[] = {{"trace_id", trace_ids[i & (NIDS - 1)]}};
        promc_histogram_observe_exemplar(h, values[i & (NVALUES - 1)], l, 1);
    }
    double t0 = now_ns();
    for (long long i = 0; i < n; i++) {
        promc_label l[] = {{"trace_id", trace_ids[i & (NIDS - 1)]}};
        if (promc_histogram_observe_exemplar(h, values[i & (NVALUES - 1)], l, 1) != PROMC_OK)
            die("XD");
    }
    double t1 = now_ns();
    figure("XD", "ns_per_op", (t1 - t0) / (double)n);
    promc_histogram_free(h);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ G */

#define G_VALUES 1024
#define G_NEW    2048

struct g_arg {
    promc_histogram *h;
    long long n;
    atomic_int *go;
    int cpu;
    double sign; /* new buckets: the powers of two of this sign */
};

static void *g_thread(void *p)
{
    struct g_arg *a = p;
    pin_to(a->cpu);
    while (!atomic_load_explicit(a->go, memory_order_acquire))
        ;
    if (a->sign == 0)
        for (long long i = 0; i < a->n; i++)
            promc_histogram_observe(a->h, values[i & (G_VALUES - 1)]);
    else
        for (long long i = 0; i < a->n; i++)
            promc_histogram_observe(a->h, a->sign * ldexp(1, (int)i - G_NEW / 2));
    return NULL;
}

/* Wall-clock ns per observation of nthreads threads running g_thread. */
static double g_run(promc_histogram *h, int nthreads, long long n, bool new_buckets)
{
    atomic_int go = 0;
    struct g_arg args[2] = {{h, n / nthreads, &go, 0, new_buckets ? 1 : 0},
                            {h, n / nthreads, &go, 1, new_buckets ? -1 : 0}};
    pthread_t t[2];
    for (int i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, g_thread, &args[i]);
    sleep_ms(5);
    double t0 = now_ns();
    atomic_store_explicit(&go, 1, memory_order_release);
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    return (now_ns() - t0) / (double)(n / nthreads * nthreads);
}

static promc_histogram *g_histogram(double factor)
{
    promc_histogram_opts o = {.native_bucket_factor = factor};
    promc_histogram *h = promc_histogram_new(PROMC_NO_REGISTRY, "bench_g_seconds", "G.", &o);
    if (!h)
        die("native histogram");
    return h;
}

static void bench_g(void)
{
    for (int threads = 1; threads <= 2; threads++) {
        promc_histogram *h = g_histogram(1.1);
        for (int i = 0; i < G_VALUES; i++)
            promc_histogram_observe(h, values[i]);
        double ns = g_run(h, threads, ops_for(50000000LL), false);
        figure(threads == 1 ? "G1" : "G2", "ns_per_op", ns);
        promc_histogram_free(h);
    }
    /* Each observation a new bucket: a fresh histogram (schema 8) every
     * G_NEW observations a thread; creation and freeing are not timed. */
    int rounds = quick ? 20 : 200;
    for (int threads = 1; threads <= 2; threads++) {
        double total = 0;
        for (int r = 0; r < rounds; r++) {
            promc_histogram *h = g_histogram(1.0001);
            total += g_run(h, threads, (long long)G_NEW * threads, true);
            promc_histogram_free(h);
        }
        figure(threads == 1 ? "G1new" : "G2new", "ns_per_op", total / rounds);
    }
}

/* ------------------------------------------------------------------ S */

/* Summary observe with quantile objectives {0.5: 0.05, 0.9: 0.01, 0.99:
 * 0.001}, promc's default window (600 s in 5 age buckets), 1 or 2 pinned
 * threads on one series, the values of Dl (G's 1,024). */
struct s_arg {
    promc_summary *s;
    long long n, off;
    atomic_int *go;
    int cpu;
};

static void *s_thread(void *p)
{
    struct s_arg *a = p;
    pin_to(a->cpu);
    while (!atomic_load_explicit(a->go, memory_order_acquire))
        ;
    for (long long i = a->off; i < a->n + a->off; i++)
        promc_summary_observe(a->s, values[i & (G_VALUES - 1)]);
    return NULL;
}

static void bench_s(int threads)
{
    static const promc_objective obj[] = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};
    promc_registry *reg = promc_registry_new();
    promc_summary_opts o = {.objectives = obj, .nobjectives = 3};
    promc_summary *s = promc_summary_new(reg, "bench_s_seconds", "S.", &o);
    if (!s)
        die("summary");
    long long n = ops_for(1000000LL), per = n / threads;
    for (long long i = 0; i < n / 20; i++) /* warm-up */
        promc_summary_observe(s, values[i & (G_VALUES - 1)]);
    atomic_int go = 0;
    struct s_arg args[2] = {{s, per, 0, &go, 0}, {s, per, G_VALUES / 2, &go, 1}};
    pthread_t t[2];
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, s_thread, &args[i]);
    sleep_ms(5);
    double t0 = now_ns();
    atomic_store_explicit(&go, 1, memory_order_release);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double t1 = now_ns();
    double count = -1, median = -1;
    promc_label q[] = {{"quantile", "0.5"}};
    promc_registry_get_sample_value(reg, "bench_s_seconds_count", NULL, 0, &count);
    promc_registry_get_sample_value(reg, "bench_s_seconds", q, 1, &median);
    if (count != (double)(n / 20 + per * threads))
        fprintf(stderr, "bench_promc: S%d: summary count mismatch\n", threads);
    /* the median of 0.001 * 20000^u, u uniform: 0.001 * sqrt(20000) = 0.141 */
    if (!(median > 0.1 && median < 0.2))
        fprintf(stderr, "bench_promc: S%d: median %g, not near 0.141\n", threads, median);
    figure(threads == 1 ? "S1" : "S2", "ns_per_op", (t1 - t0) / (double)(per * threads));
    promc_summary_free(s);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ L */

/* Label churn: per operation the child for "id-<k>" (k cycling over 1,024
 * strings made beforehand) is looked up or created, incremented and
 * removed again. */
#define L_IDS 1024

static void bench_l(void)
{
    static char ids[L_IDS][16];
    for (int k = 0; k < L_IDS; k++)
        snprintf(ids[k], sizeof ids[k], "id-%d", k);
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *v =
        promc_counter_vec_new(reg, "bench_l_total", "L.", PROMC_LABELS("id"), NULL);
    if (!v)
        die("counter");
    long long n = ops_for(2000000LL);
    for (long long i = 0; i < n / 20; i++) { /* warm-up */
        const char *s = ids[i & (L_IDS - 1)];
        promc_counter_inc(promc_counter_vec_labels(v, s));
        promc_counter_vec_remove(v, s);
    }
    double t0 = now_ns();
    for (long long i = 0; i < n; i++) {
        const char *s = ids[i & (L_IDS - 1)];
        promc_counter_inc(promc_counter_vec_labels(v, s));
        promc_counter_vec_remove(v, s);
    }
    double t1 = now_ns();
    /* Every child removed, and one made again starts from zero. */
    promc_counter *c = promc_counter_vec_labels(v, ids[0]);
    promc_counter_inc(c);
    if (promc_counter_get(c) != 1 || promc_metric_children(promc_counter_vec_metric(v)) != 1)
        fprintf(stderr, "bench_promc: L: counter value mismatch\n");
    figure("L", "ns_per_op", (t1 - t0) / (double)n);
    promc_counter_vec_free(v);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ E */

/* nfam counter families x 100 children, plus 10 histograms x 10 children
 * when hists is set. Returns the number of exposed series. */
static long build_registry(promc_registry *reg, int nfam, int hists)
{
    char name[64], help[96];
    long series = 0;
    for (int f = 0; f < nfam; f++) {
        snprintf(name, sizeof name, "bench_requests_f%04d_total", f);
        snprintf(help, sizeof help, "Requests handled by component %d.", f);
        promc_counter_vec *c =
            promc_counter_vec_new(reg, name, help, PROMC_LABELS("route", "status"), NULL);
        if (!c)
            die("counter");
        for (int k = 0; k < 100; k++) {
            promc_counter *ch = promc_counter_vec_labels(c, routes[k / 10], statuses[k % 10]);
            if (!ch)
                die("child");
            promc_counter_add_int(ch, (uint64_t)(f * 100 + k) * 7 + 1);
            series++;
        }
        promc_counter_vec_free(c); /* the registry keeps it */
    }
    if (!hists)
        return series;
    promc_histogram_opts o = {.buckets = go_buckets, .nbuckets = NGO_BUCKETS};
    int v = 0;
    for (int f = 0; f < 10; f++) {
        snprintf(name, sizeof name, "bench_latency_h%02d_seconds", f);
        snprintf(help, sizeof help, "Latency of stage %d.", f);
        promc_histogram_vec *h =
            promc_histogram_vec_new(reg, name, help, PROMC_LABELS("route"), &o);
        if (!h)
            die("histogram");
        for (int k = 0; k < 10; k++) {
            promc_histogram *ch = promc_histogram_vec_labels(h, routes[k]);
            if (!ch)
                die("child");
            for (int i = 0; i < 100; i++)
                promc_histogram_observe(ch, values[v++ & (NVALUES - 1)]);
            series += (long)NGO_BUCKETS + 1 + 2; /* buckets, +Inf, _sum, _count */
        }
        promc_histogram_vec_free(h);
    }
    return series;
}

struct out {
    char *p;
    size_t len, cap;
};

static int out_write(void *ctx, const char *data, size_t len)
{
    struct out *o = ctx;
    if (o->len + len > o->cap) {
        size_t cap = o->cap ? o->cap : 65536;
        while (cap < o->len + len)
            cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p)
            return -1;
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, data, len);
    o->len += len;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench_e(const char *label, int nfam, int renders)
{
    if (renders_override > 0)
        renders = renders_override;
    long before = rss_bytes(), heap_before = heap_bytes();
    promc_registry *reg = promc_registry_new();
    long series = build_registry(reg, nfam, 1);
    long after = rss_bytes(), heap_after = heap_bytes();

    struct out o = {0};
    double *t = malloc((size_t)renders * sizeof *t);
    /* one untimed render: buffer growth and first-touch page faults */
    if (promc_encode(reg, PROMC_FORMAT_TEXT, out_write, &o) != PROMC_OK)
        die("encode");
    for (int i = 0; i < renders; i++) {
        o.len = 0;
        double t0 = now_ns();
        if (promc_encode(reg, PROMC_FORMAT_TEXT, out_write, &o) != PROMC_OK)
            die("encode");
        t[i] = now_ns() - t0;
    }
    qsort(t, (size_t)renders, sizeof *t, cmp_double);
    double med = t[renders / 2];
    figure(label, "render_ms", med / 1e6);
    figure(label, "ns_per_series", med / (double)series);
    figure(label, "bytes", (double)o.len);
    figure(label, "series", (double)series);
    figure(label, "mem_bytes_per_series", (double)(after - before) / (double)series);
    if (heap_before >= 0)
        figure(label, "heap_bytes_per_series", (double)(heap_after - heap_before) / (double)series);
    free(t);
    free(o.p);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ F */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* Workload M's registry: 1,000 counter families x 1,000 children (label
 * id), 1,000,000 series. */
static void build_m(promc_registry *reg)
{
    char name[64], help[96], id[16];
    for (int f = 0; f < 1000; f++) {
        snprintf(name, sizeof name, "bench_m_f%04d_total", f);
        snprintf(help, sizeof help, "Requests handled by component %d.", f);
        promc_counter_vec *c = promc_counter_vec_new(reg, name, help, PROMC_LABELS("id"), NULL);
        if (!c)
            die("counter");
        for (int k = 0; k < 1000; k++) {
            snprintf(id, sizeof id, "id-%d", k);
            promc_counter *ch = promc_counter_vec_labels(c, id);
            if (!ch)
                die("child");
            promc_counter_add_int(ch, (uint64_t)(f * 1000 + k) * 7 + 1);
        }
        promc_counter_vec_free(c);
    }
}

/* F's server (1,000 series), or with million set M's (1,000,000 series);
 * room for a whole response of M in the pending-bytes budget. */
static int serve(int port, double seconds, int million)
{
    promc_registry *reg = promc_registry_new();
    if (million)
        build_m(reg);
    else
        build_registry(reg, 10, 0); /* 10 families x 100 children = 1,000 series */
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    promc_http_opts o = {.workers = 2, .max_pending_bytes = (size_t)512 << 20};
    promc_http_server *srv = promc_http_server_new(reg, addr, &o);
    if (!srv)
        die("serve");
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    fprintf(stderr, "bench_promc: serving %s series on http://%s/metrics\n",
            million ? "1,000,000" : "1,000", addr);
    double end = seconds > 0 ? now_ns() + seconds * 1e9 : 0;
    while (!stop_flag && (!end || now_ns() < end))
        sleep_ms(50);
    promc_http_server_free(srv);
    promc_registry_free(reg);
    return 0;
}

/* Writes an exposition to stdout: F's 1,000 series ("F") or E's ("E10k",
 * "E100k"), for the compression benchmark and for looking at. */
static void usage(void);

static int dump(const char *which)
{
    promc_registry *reg = promc_registry_new();
    if (strcmp(which, "F") == 0)
        build_registry(reg, 10, 0);
    else if (strcmp(which, "E10k") == 0)
        build_registry(reg, 100, 1);
    else if (strcmp(which, "E100k") == 0)
        build_registry(reg, 1000, 1);
    else
        usage();
    int rc = promc_encode_file(reg, PROMC_FORMAT_TEXT, stdout);
    promc_registry_free(reg);
    return rc == PROMC_OK ? 0 : 1;
}

/* ------------------------------------------------------------------ Z */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    size_t cap = 1 << 16, n = 0;
    char *p = malloc(cap);
    size_t got;
    while (p && (got = fread(p + n, 1, cap - n, f)) > 0)
        if ((n += got) == cap)
            p = realloc(p, cap *= 2);
    if (!p || ferror(f)) {
        fprintf(stderr, "bench_promc: cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    *len = n;
    return p;
}

/* Input bytes, compressed bytes and MB/s of the median of reps runs, each
 * a whole gzip member from start to trailer, into a reused buffer. */
static int gzip_bench(const char *label, const char *path, const char *save)
{
    size_t n;
    char *in = read_file(path, &n);
    struct promc__gzip *g = promc__gzip_new();
    double *t = malloc((size_t)reps * sizeof *t);
    if (!g || !t || reps < 1) {
        fprintf(stderr, "bench_promc: gzip: out of memory or --reps < 1\n");
        return 1;
    }
    struct out o = {0};
    for (int i = -1; i < reps; i++) { /* -1: untimed, sizes the buffer */
        o.len = 0;
        double t0 = now_ns();
        promc__gzip_start(g, out_write, &o);
        if (promc__gzip_write(g, in, n) != PROMC_OK || promc__gzip_finish(g) != PROMC_OK) {
            fprintf(stderr, "bench_promc: gzip: output failed\n");
            return 1;
        }
        if (i >= 0)
            t[i] = now_ns() - t0;
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    double med = t[reps / 2];
    figure(label, "in_bytes", (double)n);
    figure(label, "gz_bytes", (double)o.len);
    figure(label, "mb_per_s", (double)n / med * 1e3);
    if (save) {
        FILE *f = fopen(save, "wb");
        if (!f || fwrite(o.p, 1, o.len, f) != o.len || fclose(f) != 0) {
            perror(save);
            return 1;
        }
    }
    promc__gzip_free(g);
    free(o.p);
    free(t);
    free(in);
    return 0;
}

/* ------------------------------------------------------------------ MP */

static char mp_dir[64];

static void mp_cleanup(void)
{
    promc_multiprocess_shutdown();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", mp_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_promc: could not remove %s\n", mp_dir);
}

/* Multi-process mode on, in a fresh directory removed at exit. */
static void mp_setup(void)
{
    if (mp_dir[0])
        return;
    snprintf(mp_dir, sizeof mp_dir, "/tmp/bench_promc_mp_XXXXXX");
    if (!mkdtemp(mp_dir))
        die("mkdtemp");
    if (promc_multiprocess_init(mp_dir, NULL) != PROMC_OK)
        die("promc_multiprocess_init");
    atexit(mp_cleanup);
}

struct mp_arg {
    promc_mp_counter *c;
    long long n;
    atomic_int *go;
    int cpu;
};

static void *mp_thread(void *p)
{
    struct mp_arg *a = p;
    pin_to(a->cpu);
    atomic_fetch_add(a->go, 1);
    while (atomic_load(a->go) < 2)
        ;
    for (long long i = 0; i < a->n; i++)
        promc_mp_counter_inc(a->c);
    return NULL;
}

static void bench_mp(int threads)
{
    mp_setup();
    promc_mp_counter *c =
        promc_mp_counter_new(threads == 1 ? "bench_mpa" : "bench_mpb", "MP.", NULL, 0);
    if (!c)
        die("promc_mp_counter_new");
    long long n = ops_for(threads == 1 ? 50000000LL : 20000000LL);
    for (long long i = 0; i < n / 20; i++) /* warm-up */
        promc_mp_counter_inc(c);
    double t0, t1;
    if (threads == 1) {
        t0 = now_ns();
        for (long long i = 0; i < n; i++)
            promc_mp_counter_inc(c);
        t1 = now_ns();
    } else {
        atomic_int go = 0;
        pthread_t t[2];
        struct mp_arg a[2] = {{c, n / 2, &go, 0}, {c, n / 2, &go, 1}};
        t0 = now_ns();
        for (int i = 0; i < 2; i++)
            if (pthread_create(&t[i], NULL, mp_thread, &a[i]) != 0)
                die("pthread_create");
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        t1 = now_ns();
    }
    figure(threads == 1 ? "MPA" : "MPB", "ns_per_op", (t1 - t0) / (double)n);
}

static void bench_mpe(void)
{
    char dir[] = "/tmp/bench_promc_mpe_XXXXXX";
    if (!mkdtemp(dir))
        die("mkdtemp");
    int procs = quick ? 10 : 100, series = 1000;
    for (int w = 0; w < procs; w++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            char id[16];
            snprintf(id, sizeof id, "w%d", w);
            if (promc_multiprocess_init(dir, id) != PROMC_OK)
                _exit(1);
            for (int i = 0; i < series; i++) {
                char v[16];
                snprintf(v, sizeof v, "%d", i);
                promc_label l[] = {{"series", v}};
                promc_mp_counter *c = promc_mp_counter_new("bench_mpe", "MPE.", l, 1);
                if (!c)
                    _exit(1);
                promc_mp_counter_inc(c);
            }
            _exit(0);
        }
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            die("writer");
    }
    promc_registry *reg = promc_registry_new();
    promc_metric *m = promc_multiprocess_collector_new(reg, dir);
    if (!m)
        die("promc_multiprocess_collector_new");
    int renders = renders_override > 0 ? renders_override : 11;
    double *t = malloc(sizeof *t * (size_t)renders);
    size_t bytes = 0;
    for (int i = 0; i < renders; i++) {
        double t0 = now_ns();
        char *out = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, &bytes);
        t[i] = now_ns() - t0;
        if (!out)
            die("render");
        promc_free(out);
    }
    qsort(t, (size_t)renders, sizeof *t, cmp_double);
    figure("MPE", "ms_per_scrape", t[renders / 2] / 1e6);
    figure("MPE", "bytes", (double)bytes);
    free(t);
    promc_metric_free(m);
    promc_registry_free(reg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_promc: could not remove %s\n", dir);
}

/* ------------------------------------------------------------------ main */

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_promc [--quick] [--ops N] [--renders N] [WORKLOAD]...\n"
            "       (A B Bx C C100 C10k Dl1 Dl2 Du1 Du2 Dc1 Dc2 XA XD S1 S2 L E10k E100k G;\n"
            "        not by default: MPA MPB MPE)\n"
            "       bench_promc serve|serve1m PORT [SECONDS]\n"
            "       bench_promc dump F|E10k|E100k\n"
            "       bench_promc [--reps N] gzip LABEL FILE [OUT]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *work[32];
    int nwork = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
            ops_override = atoll(argv[++i]);
        else if (strcmp(argv[i], "--renders") == 0 && i + 1 < argc)
            renders_override = atoi(argv[++i]);
        else if (strcmp(argv[i], "serve") == 0 && i + 1 < argc)
            return serve(atoi(argv[i + 1]), i + 2 < argc ? atof(argv[i + 2]) : 0, 0);
        else if (strcmp(argv[i], "serve1m") == 0 && i + 1 < argc)
            return serve(atoi(argv[i + 1]), i + 2 < argc ? atof(argv[i + 2]) : 0, 1);
        else if (strcmp(argv[i], "dump") == 0 && i + 1 < argc)
            return dump(argv[i + 1]);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "gzip") == 0 && i + 2 < argc)
            return gzip_bench(argv[i + 1], argv[i + 2], i + 3 < argc ? argv[i + 3] : NULL);
        else if (argv[i][0] == '-' || nwork == 32)
            usage();
        else
            work[nwork++] = argv[i];
    }
    static const char *const all[] = {"A",   "B",   "Bx",  "C",    "C100",  "C10k", "Dl1",
                                      "Dl2", "Du1", "Du2", "Dc1",  "Dc2",   "XA",   "XD",
                                      "S1",  "S2",  "L",   "E10k", "E100k", "G"};
    if (!nwork)
        for (; nwork < (int)(sizeof all / sizeof all[0]); nwork++)
            work[nwork] = all[nwork];
    fill_values();
    fill_trace_ids();
    fill_du_picks();
    for (int i = 0; i < nwork; i++) {
        const char *w = work[i];
        if (strcmp(w, "A") == 0)
            bench_a();
        else if (strcmp(w, "B") == 0 || strcmp(w, "Bx") == 0)
            bench_b(w[1] == 'x');
        else if (strcmp(w, "C") == 0)
            bench_c(12);
        else if (strcmp(w, "C100") == 0)
            bench_c(100);
        else if (strcmp(w, "C10k") == 0)
            bench_c(10000);
        else if (strcmp(w, "Dl1") == 0 || strcmp(w, "Dl2") == 0)
            bench_d(w, values, G_VALUES, w[2] - '0');
        else if (strcmp(w, "Du1") == 0 || strcmp(w, "Du2") == 0)
            bench_d(w, du_values, NDU, w[2] - '0');
        else if (strcmp(w, "Dc1") == 0 || strcmp(w, "Dc2") == 0)
            bench_d(w, &dc_value, 1, w[2] - '0');
        else if (strcmp(w, "XA") == 0)
            bench_xa();
        else if (strcmp(w, "XD") == 0)
            bench_xd();
        else if (strcmp(w, "S1") == 0 || strcmp(w, "S2") == 0)
            bench_s(w[1] - '0');
        else if (strcmp(w, "L") == 0)
            bench_l();
        else if (strcmp(w, "E10k") == 0)
            bench_e("E10k", 100, quick ? 11 : 51);
        else if (strcmp(w, "E100k") == 0)
            bench_e("E100k", 1000, quick ? 3 : 11);
        else if (strcmp(w, "G") == 0)
            bench_g();
        else if (strcmp(w, "MPA") == 0 || strcmp(w, "MPB") == 0)
            bench_mp(w[2] == 'A' ? 1 : 2);
        else if (strcmp(w, "MPE") == 0)
            bench_mpe();
        else
            usage();
    }
    return 0;
}
