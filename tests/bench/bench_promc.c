#define _GNU_SOURCE /* pthread_setaffinity_np, before any header */
/*
 * promc's side of the peer comparison (tests/bench/run_peers.sh): the same
 * workloads as tests/bench/peers/{go,cpp,python}, written against promc's
 * public API only, printing one machine-readable line per figure:
 *
 *   promc A ns_per_op 4.21
 *
 * Workloads (see docs/PERFORMANCE.md for what each peer's operation does):
 *   A      unlabelled counter inc, one thread
 *   B      the same counter from 2 threads at once (wall time / total ops)
 *   C      counter{method,code} over 12 label combinations, child looked up
 *          by label values on every operation, then inc
 *   D      histogram observe, the 11 client_golang default buckets, cycling
 *          through 65536 fixed log-uniform values over [0.001, 20)
 *   XA     A with an exemplar: promc_counter_inc_exemplar with
 *          {trace_id=<16 hex digits>}, cycling through 1024 fixed ids
 *   XD     D with an exemplar: promc_histogram_observe_exemplar, the same ids
 *   E10k   text render of 100 counter families x 100 children plus 10
 *          histograms x 10 children; E100k the same with 1,000 families
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
 * With no workload, runs A B C D XA XD E10k E100k G. --ops overrides the operation
 * count of A-D (the runner uses it to subtract setup from perf counts).
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
#include <time.h>
#include <unistd.h>

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

static void bench_b(void)
{
    promc_registry *reg = promc_registry_new();
    promc_counter *c = promc_counter_new(reg, "bench_b_total", "B.", NULL);
    if (!c)
        die("counter");
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
    if (promc_counter_get(c) != (double)n)
        fprintf(stderr, "bench_promc: B: counter value mismatch\n");
    figure("B", "ns_per_op", (t1 - t0) / (double)n);
    promc_counter_free(c);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ C */

static void bench_c(void)
{
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *c = promc_counter_vec_new(reg, "bench_c_requests_total", "C.",
                                                 PROMC_LABELS("method", "code"), NULL);
    if (!c)
        die("counter");
    const char *m[12], *k[12];
    for (int i = 0; i < 12; i++) {
        m[i] = methods[i % 4];
        k[i] = codes[i / 4];
    }
    long long n = ops_for(20000000LL);
    int j = 0;
    for (long long i = 0; i < n / 20; i++) { /* warm-up; creates the children */
        promc_counter_inc(promc_counter_vec_labels(c, m[j], k[j]));
        if (++j == 12)
            j = 0;
    }
    j = 0;
    double t0 = now_ns();
    for (long long i = 0; i < n; i++) {
        promc_counter_inc(promc_counter_vec_labels(c, m[j], k[j]));
        if (++j == 12)
            j = 0;
    }
    double t1 = now_ns();
    double total = 0;
    for (int i = 0; i < 12; i++)
        total += promc_counter_get(promc_counter_vec_labels(c, m[i], k[i]));
    if (total != (double)(n + n / 20))
        fprintf(stderr, "bench_promc: C: counter value mismatch\n");
    figure("C", "ns_per_op", (t1 - t0) / (double)n);
    promc_counter_vec_free(c);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ D */

static void bench_d(void)
{
    promc_registry *reg = promc_registry_new();
    promc_histogram_opts o = {.buckets = go_buckets, .nbuckets = NGO_BUCKETS};
    promc_histogram *h = promc_histogram_new(reg, "bench_d_seconds", "D.", &o);
    if (!h)
        die("histogram");
    long long n = ops_for(50000000LL);
    for (long long i = 0; i < n / 20; i++)
        promc_histogram_observe(h, values[i & (NVALUES - 1)]);
    double t0 = now_ns();
    for (long long i = 0; i < n; i++)
        promc_histogram_observe(h, values[i & (NVALUES - 1)]);
    double t1 = now_ns();
    figure("D", "ns_per_op", (t1 - t0) / (double)n);
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
    long before = rss_bytes();
    promc_registry *reg = promc_registry_new();
    long series = build_registry(reg, nfam, 1);
    long after = rss_bytes();

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

static int serve(int port, double seconds)
{
    promc_registry *reg = promc_registry_new();
    build_registry(reg, 10, 0); /* 10 families x 100 children = 1,000 series */
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    promc_http_opts o = {.workers = 2};
    promc_http_server *srv = promc_http_server_new(reg, addr, &o);
    if (!srv)
        die("serve");
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    fprintf(stderr, "bench_promc: serving 1,000 series on http://%s/metrics\n", addr);
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

/* ------------------------------------------------------------------ main */

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_promc [--quick] [--ops N] [--renders N] [A|B|C|D|XA|XD|E10k|E100k|G]...\n"
            "       bench_promc serve PORT [SECONDS]\n"
            "       bench_promc dump F|E10k|E100k\n"
            "       bench_promc [--reps N] gzip LABEL FILE [OUT]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *work[16];
    int nwork = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
            ops_override = atoll(argv[++i]);
        else if (strcmp(argv[i], "--renders") == 0 && i + 1 < argc)
            renders_override = atoi(argv[++i]);
        else if (strcmp(argv[i], "serve") == 0 && i + 1 < argc)
            return serve(atoi(argv[i + 1]), i + 2 < argc ? atof(argv[i + 2]) : 0);
        else if (strcmp(argv[i], "dump") == 0 && i + 1 < argc)
            return dump(argv[i + 1]);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "gzip") == 0 && i + 2 < argc)
            return gzip_bench(argv[i + 1], argv[i + 2], i + 3 < argc ? argv[i + 3] : NULL);
        else if (argv[i][0] == '-' || nwork == 16)
            usage();
        else
            work[nwork++] = argv[i];
    }
    static const char *const all[] = {"A", "B", "C", "D", "XA", "XD", "E10k", "E100k", "G"};
    if (!nwork)
        for (; nwork < (int)(sizeof all / sizeof all[0]); nwork++)
            work[nwork] = all[nwork];
    fill_values();
    fill_trace_ids();
    for (int i = 0; i < nwork; i++) {
        if (strcmp(work[i], "A") == 0)
            bench_a();
        else if (strcmp(work[i], "B") == 0)
            bench_b();
        else if (strcmp(work[i], "C") == 0)
            bench_c();
        else if (strcmp(work[i], "D") == 0)
            bench_d();
        else if (strcmp(work[i], "XA") == 0)
            bench_xa();
        else if (strcmp(work[i], "XD") == 0)
            bench_xd();
        else if (strcmp(work[i], "E10k") == 0)
            bench_e("E10k", 100, quick ? 11 : 51);
        else if (strcmp(work[i], "E100k") == 0)
            bench_e("E100k", 1000, quick ? 3 : 11);
        else if (strcmp(work[i], "G") == 0)
            bench_g();
        else
            usage();
    }
    return 0;
}
