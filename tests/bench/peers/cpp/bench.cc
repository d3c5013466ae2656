// prometheus-cpp's side of the peer comparison (tests/bench/run_peers.sh):
// the same workloads as tests/bench/bench_promc.c, written against
// prometheus-cpp's normal public API, printing one line per figure:
//
//   prometheus-cpp A ns_per_op 4.21
//
// Usage: bench_cpp [--quick] [--ops N] [--renders N] [WORKLOAD]...
//        bench_cpp serve|serve1m PORT [SECONDS] [THREADS] [KEEPALIVE yes|no]
//
// Workloads, as bench_promc.c's (its comment has the shared data): A, B, Bx,
// C, C100, C10k, Dl1, Dl2, Du1, Du2, Dc1, Dc2, S1, S2 (the library's default
// window: 60 s, 5 age buckets), L, E10k, E100k; no exemplars (XA, XD) or
// native histograms (G) in this library. serve is F's server (1,000
// series), serve1m M's (1,000,000). Each ns/op workload checks the value it
// left.
//
// Build: g++ -O2 -std=c++17 bench.cc $(pkg-config --cflags --libs
// prometheus-cpp-pull prometheus-cpp-core) -pthread
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>
#include <prometheus/text_serializer.h>

#include <malloc.h> // mallinfo2: E's heap in use
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace prometheus;

static const char *IMPL = "prometheus-cpp";
static bool quick;
static long long ops_override = -1;
static int renders_override = -1;

static double now_ns()
{
    return (double)std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

static void figure(const char *workload, const char *metric, double value)
{
    std::printf("%s %s %s %.10g\n", IMPL, workload, metric, value);
    std::fflush(stdout);
}

static long long ops_for(long long full)
{
    if (ops_override > 0)
        return ops_override;
    return quick ? full / 10 : full;
}

// xorshift64* with a fixed seed: every peer computes the same sequence.
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng()
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

static const int NVALUES = 65536;
static double values[NVALUES];

static void fill_values()
{
    for (int i = 0; i < NVALUES; i++) {
        double u = (double)(rng() >> 11) * (1.0 / 9007199254740992.0);
        values[i] = 0.001 * std::exp(u * std::log(20000.0));
    }
}

static const Histogram::BucketBoundaries go_buckets = {.005, .01, .025, .05, .1, .25,
                                                       .5,   1,   2.5,  5,   10};

// Drawn after the 1,024 trace ids of the other programs (this library has
// no exemplars, but the sequence is the same), in this order: Du's 65,536
// values, uniform over the 12 buckets (the middle of bucket rng() % 12; the
// +Inf bucket's is 15), then the 65,536 numbers C's child indexes come from
// (child = picks[i] % number of children). Dc observes 0.3.
static const int NDU = 65536, NPICKS = 65536, G_VALUES = 1024;
static double du_values[NDU];
static uint64_t picks[NPICKS];
static const double dc_value = 0.3;

static void fill_du_picks()
{
    for (int i = 0; i < 1024; i++) // the trace ids
        rng();
    const uint64_t nb = go_buckets.size();
    for (int i = 0; i < NDU; i++) {
        uint64_t k = rng() % (nb + 1);
        du_values[i] = k == 0    ? go_buckets[0] / 2
                       : k == nb ? 15.0
                                 : (go_buckets[k - 1] + go_buckets[k]) / 2;
    }
    for (int i = 0; i < NPICKS; i++)
        picks[i] = rng();
}

static void mismatch(const char *workload, const char *what)
{
    std::fprintf(stderr, "bench_cpp: %s: %s mismatch\n", workload, what);
}

static const char *const methods[4] = {"GET", "POST", "PUT", "DELETE"};
static const char *const codes[3] = {"200", "404", "500"};
static const char *const routes[10] = {"/api/v1/users",  "/api/v1/orders",  "/api/v1/items",
                                       "/api/v1/search", "/api/v1/login",   "/api/v1/logout",
                                       "/api/v1/cart",   "/api/v1/payment", "/static/app.js",
                                       "/healthz"};
static const char *const statuses[10] = {"200", "201", "204", "301", "304",
                                         "400", "401", "404", "500", "503"};

static long rss_bytes()
{
    FILE *f = std::fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (!f)
        return 0;
    if (std::fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = 0;
    std::fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

// Bytes of the heap in use (glibc's mallinfo2: chunks in use in every arena,
// their headers included, and mmapped ones), as bench_promc.c counts them.
static long heap_bytes()
{
    struct mallinfo2 mi = mallinfo2();
    return (long)(mi.uordblks + mi.hblkhd);
}

static void bench_a()
{
    auto reg = std::make_shared<Registry>();
    auto &c = BuildCounter().Name("bench_a_total").Help("A.").Register(*reg).Add({});
    long long n = ops_for(100000000LL);
    for (long long i = 0; i < n / 20; i++)
        c.Increment();
    double t0 = now_ns();
    for (long long i = 0; i < n; i++)
        c.Increment();
    double t1 = now_ns();
    figure("A", "ns_per_op", (t1 - t0) / (double)n);
}

// Pins the calling thread to the k-th CPU the process may use (no privilege
// needed), as the other programs do for B: on a loaded 2-CPU machine the
// scheduler otherwise often runs both threads on one CPU, where they take
// turns instead of contending.
static void pin_to(int k)
{
    cpu_set_t allowed, one;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) < 2)
        return;
    k %= CPU_COUNT(&allowed);
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &allowed) && k-- == 0) {
            CPU_ZERO(&one);
            CPU_SET(i, &one);
            pthread_setaffinity_np(pthread_self(), sizeof one, &one);
            return;
        }
}

// B; with churn (Bx), after 100 short-lived threads, 4 at a time, have each
// incremented the same counter 1,000 times.
static void bench_b(bool churn)
{
    auto reg = std::make_shared<Registry>();
    auto &c = BuildCounter().Name("bench_b_total").Help("B.").Register(*reg).Add({});
    double before = 0;
    for (int i = 0; churn && i < 100; i += 4) {
        std::vector<std::thread> s;
        for (int j = 0; j < 4; j++)
            s.emplace_back([&c] {
                for (int k = 0; k < 1000; k++)
                    c.Increment();
            });
        for (auto &th : s)
            th.join();
        before += 4000;
    }
    long long n = ops_for(100000000LL);
    std::atomic<int> go{0};
    std::vector<std::thread> t;
    int idx = 0;
    for (long long share : {n / 2, n - n / 2})
        t.emplace_back([&c, &go, share, k = idx++] {
            pin_to(k);
            while (!go.load(std::memory_order_acquire)) {
            }
            for (long long i = 0; i < share; i++)
                c.Increment();
        });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    double t0 = now_ns();
    go.store(1, std::memory_order_release);
    for (auto &th : t)
        th.join();
    double t1 = now_ns();
    const char *label = churn ? "Bx" : "B";
    if (c.Value() != before + (double)n)
        mismatch(label, "counter value");
    figure(label, "ns_per_op", (t1 - t0) / (double)n);
}

// Child lookup by label values + inc over the children whose values are
// a[j], b[j], in the order of the shared pick sequence (child = picks[i] %
// a.size()); every child created before the warm-up.
static void bench_cn(const char *label, const char *na, const char *nb,
                     const std::vector<std::string> &a, const std::vector<std::string> &b,
                     long long full)
{
    auto reg = std::make_shared<Registry>();
    auto &fam = BuildCounter().Name("bench_c_requests_total").Help("C.").Register(*reg);
    const std::string sa = na, sb = nb;
    const size_t nc = a.size();
    std::vector<int> idx(NPICKS);
    for (int i = 0; i < NPICKS; i++)
        idx[i] = (int)(picks[i] % nc);
    for (size_t j = 0; j < nc; j++)
        fam.Add({{sa, a[j]}, {sb, b[j]}}).Increment();
    long long n = ops_for(full);
    for (long long i = 0; i < n / 20; i++) {
        int j = idx[i & (NPICKS - 1)];
        fam.Add({{sa, a[j]}, {sb, b[j]}}).Increment();
    }
    double t0 = now_ns();
    for (long long i = 0; i < n; i++) {
        // The documented way to get a child: Add() returns the existing one.
        int j = idx[i & (NPICKS - 1)];
        fam.Add({{sa, a[j]}, {sb, b[j]}}).Increment();
    }
    double t1 = now_ns();
    double total = 0;
    for (size_t j = 0; j < nc; j++)
        total += fam.Add({{sa, a[j]}, {sb, b[j]}}).Value();
    if (total != (double)((long long)nc + n + n / 20))
        mismatch(label, "counter value");
    figure(label, "ns_per_op", (t1 - t0) / (double)n);
}

static void bench_c(int nc)
{
    std::vector<std::string> a(nc), b(nc);
    if (nc == 12) {
        for (int j = 0; j < nc; j++) {
            a[j] = methods[j % 4];
            b[j] = codes[j / 4];
        }
        bench_cn("C", "method", "code", a, b, 20000000LL);
    } else if (nc == 100) {
        for (int j = 0; j < nc; j++) {
            a[j] = routes[j / 10];
            b[j] = statuses[j % 10];
        }
        bench_cn("C100", "route", "status", a, b, 10000000LL);
    } else { // route "/r/<i>", status "<j>": strings made once
        for (int j = 0; j < nc; j++) {
            a[j] = "/r/" + std::to_string(j / 100);
            b[j] = std::to_string(j % 100);
        }
        bench_cn("C10k", "route", "status", a, b, 10000000LL);
    }
}

// Runs body(t) in threads threads pinned as in B, started together; returns
// the wall time in ns until all have finished.
template <class F> static double run_pinned(int threads, F body)
{
    std::atomic<int> go{0};
    std::vector<std::thread> t;
    for (int k = 0; k < threads; k++)
        t.emplace_back([&go, &body, k] {
            pin_to(k);
            while (!go.load(std::memory_order_acquire)) {
            }
            body(k);
        });
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    double t0 = now_ns();
    go.store(1, std::memory_order_release);
    for (auto &th : t)
        th.join();
    return now_ns() - t0;
}

// Classic histogram observe, the 11 default buckets, 1 or 2 threads on one
// series (wall time / total ops), each cycling through v[0..len); the
// second from offset len / 2.
static void bench_d(const char *label, const double *v, long long len, int threads)
{
    auto reg = std::make_shared<Registry>();
    auto &h = BuildHistogram().Name("bench_d_seconds").Help("D.").Register(*reg).Add({}, go_buckets);
    long long n = ops_for(20000000LL), per = n / threads, mask = len - 1;
    for (long long i = 0; i < n / 20; i++)
        h.Observe(v[i & mask]);
    double ns = run_pinned(threads, [&](int k) {
        long long off = k * (len / 2);
        for (long long i = off; i < per + off; i++)
            h.Observe(v[i & mask]);
    });
    if (h.Collect().histogram.sample_count != (uint64_t)(n / 20 + per * threads))
        mismatch(label, "histogram count");
    figure(label, "ns_per_op", ns / (double)(per * threads));
}

// Summary observe with objectives {0.5: 0.05, 0.9: 0.01, 0.99: 0.001} and
// the library's default window (60 s in 5 age buckets), 1 or 2 threads on
// one series, Dl's values (the second thread from offset 512).
static void bench_s(int threads)
{
    auto reg = std::make_shared<Registry>();
    auto &s = BuildSummary().Name("bench_s_seconds").Help("S.").Register(*reg).Add(
        {}, Summary::Quantiles{{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}});
    long long n = ops_for(1000000LL), per = n / threads;
    for (long long i = 0; i < n / 20; i++)
        s.Observe(values[i & (G_VALUES - 1)]);
    double ns = run_pinned(threads, [&](int k) {
        long long off = k * (G_VALUES / 2);
        for (long long i = off; i < per + off; i++)
            s.Observe(values[i & (G_VALUES - 1)]);
    });
    const char *label = threads == 1 ? "S1" : "S2";
    ClientMetric m = s.Collect();
    if (m.summary.sample_count != (uint64_t)(n / 20 + per * threads))
        mismatch(label, "summary count");
    // the median of 0.001 * 20000^u, u uniform: 0.001 * sqrt(20000) = 0.141
    if (m.summary.quantile.empty() || m.summary.quantile[0].value < 0.1 ||
        m.summary.quantile[0].value > 0.2)
        mismatch(label, "median");
    figure(label, "ns_per_op", ns / (double)(per * threads));
}

// Label churn: per operation the child for "id-<k>" (k cycling over 1,024
// strings made beforehand) added (or found), incremented and removed.
static void bench_l()
{
    auto reg = std::make_shared<Registry>();
    auto &fam = BuildCounter().Name("bench_l_total").Help("L.").Register(*reg);
    std::vector<std::string> ids(1024);
    for (int k = 0; k < 1024; k++)
        ids[k] = "id-" + std::to_string(k);
    long long n = ops_for(2000000LL);
    for (long long i = 0; i < n / 20; i++) {
        auto &c = fam.Add({{"id", ids[i & 1023]}});
        c.Increment();
        fam.Remove(&c);
    }
    double t0 = now_ns();
    for (long long i = 0; i < n; i++) {
        auto &c = fam.Add({{"id", ids[i & 1023]}});
        c.Increment();
        fam.Remove(&c);
    }
    double t1 = now_ns();
    // Every child removed, and one made again starts from zero.
    auto &c = fam.Add({{"id", ids[0]}});
    c.Increment();
    if (c.Value() != 1 || fam.Collect().at(0).metric.size() != 1)
        mismatch("L", "counter value");
    figure("L", "ns_per_op", (t1 - t0) / (double)n);
}

// nfam counter families x 100 children, plus 10 histograms x 10 children when
// hists. Returns the number of exposed series.
static long build_registry(Registry &reg, int nfam, bool hists)
{
    char name[64], help[96];
    long series = 0;
    for (int f = 0; f < nfam; f++) {
        std::snprintf(name, sizeof name, "bench_requests_f%04d_total", f);
        std::snprintf(help, sizeof help, "Requests handled by component %d.", f);
        auto &fam = BuildCounter().Name(name).Help(help).Register(reg);
        for (int k = 0; k < 100; k++) {
            fam.Add({{"route", routes[k / 10]}, {"status", statuses[k % 10]}})
                .Increment((double)((f * 100 + k) * 7 + 1));
            series++;
        }
    }
    if (!hists)
        return series;
    int v = 0;
    for (int f = 0; f < 10; f++) {
        std::snprintf(name, sizeof name, "bench_latency_h%02d_seconds", f);
        std::snprintf(help, sizeof help, "Latency of stage %d.", f);
        auto &fam = BuildHistogram().Name(name).Help(help).Register(reg);
        for (int k = 0; k < 10; k++) {
            auto &h = fam.Add({{"route", routes[k]}}, go_buckets);
            for (int i = 0; i < 100; i++)
                h.Observe(values[v++ & (NVALUES - 1)]);
            series += (long)go_buckets.size() + 1 + 2;
        }
    }
    return series;
}

static void bench_e(const char *label, int nfam, int renders)
{
    if (renders_override > 0)
        renders = renders_override;
    long before = rss_bytes(), heap_before = heap_bytes();
    auto reg = std::make_shared<Registry>();
    long series = build_registry(*reg, nfam, true);
    long after = rss_bytes(), heap_after = heap_bytes();

    // What the Exposer does per scrape: Collect, then serialise to a string.
    const TextSerializer serializer;
    std::string out = serializer.Serialize(reg->Collect());
    std::vector<double> t;
    for (int i = 0; i < renders; i++) {
        double t0 = now_ns();
        out = serializer.Serialize(reg->Collect());
        t.push_back(now_ns() - t0);
    }
    std::sort(t.begin(), t.end());
    double med = t[renders / 2];
    figure(label, "render_ms", med / 1e6);
    figure(label, "ns_per_series", med / (double)series);
    figure(label, "bytes", (double)out.size());
    figure(label, "series", (double)series);
    figure(label, "mem_bytes_per_series", (double)(after - before) / (double)series);
    figure(label, "heap_bytes_per_series", (double)(heap_after - heap_before) / (double)series);
}

static volatile std::sig_atomic_t stop_flag;

static void on_signal(int) { stop_flag = 1; }

// Workload M's registry: 1,000 counter families x 1,000 children (label
// id), 1,000,000 series.
static void build_m(Registry &reg)
{
    char name[64], help[96];
    for (int f = 0; f < 1000; f++) {
        std::snprintf(name, sizeof name, "bench_m_f%04d_total", f);
        std::snprintf(help, sizeof help, "Requests handled by component %d.", f);
        auto &fam = BuildCounter().Name(name).Help(help).Register(reg);
        for (int k = 0; k < 1000; k++)
            fam.Add({{"id", "id-" + std::to_string(k)}}).Increment((double)((f * 1000 + k) * 7 + 1));
    }
}

// F's server (1,000 series), or with million M's (1,000,000).
static int serve(int port, double seconds, int threads, bool keepalive, bool million)
{
    auto reg = std::make_shared<Registry>();
    if (million)
        build_m(*reg);
    else
        build_registry(*reg, 10, false);
    // civetweb binds a thread to a connection for as long as it is open, so
    // the Exposer needs at least as many threads as concurrent scrapers.
    // Keep-alive is off in civetweb by default; the options form of the
    // Exposer constructor turns it on (what wrk and Prometheus use).
    Exposer exposer(std::vector<std::string>{"listening_ports", "127.0.0.1:" + std::to_string(port),
                                             "num_threads", std::to_string(threads),
                                             "enable_keep_alive", keepalive ? "yes" : "no"});
    exposer.RegisterCollectable(reg);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);
    double end = seconds > 0 ? now_ns() + seconds * 1e9 : 0;
    while (!stop_flag && (!end || now_ns() < end))
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return 0;
}

static void usage()
{
    std::fprintf(stderr, "usage: bench_cpp [--quick] [--ops N] [--renders N] [WORKLOAD]...\n"
                         "       bench_cpp serve|serve1m PORT [SECONDS] [THREADS] [KEEPALIVE yes|no]\n");
    std::exit(2);
}

int main(int argc, char **argv)
{
    std::vector<std::string> work;
    for (int i = 1; i < argc; i++) {
        if (std::strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (std::strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
            ops_override = std::atoll(argv[++i]);
        else if (std::strcmp(argv[i], "--renders") == 0 && i + 1 < argc)
            renders_override = std::atoi(argv[++i]);
        else if ((std::strcmp(argv[i], "serve") == 0 || std::strcmp(argv[i], "serve1m") == 0) &&
                 i + 1 < argc)
            return serve(std::atoi(argv[i + 1]), i + 2 < argc ? std::atof(argv[i + 2]) : 0,
                         i + 3 < argc ? std::atoi(argv[i + 3]) : 8,
                         i + 4 < argc ? std::strcmp(argv[i + 4], "no") != 0 : true,
                         std::strcmp(argv[i], "serve1m") == 0);
        else if (argv[i][0] == '-')
            usage();
        else
            work.push_back(argv[i]);
    }
    if (work.empty())
        work = {"A",   "B",   "Bx",  "C",  "C100", "C10k", "Dl1", "Dl2",  "Du1",
                "Du2", "Dc1", "Dc2", "S1", "S2",   "L",    "E10k", "E100k"};
    fill_values();
    fill_du_picks();
    for (const auto &w : work) {
        if (w == "A")
            bench_a();
        else if (w == "B" || w == "Bx")
            bench_b(w == "Bx");
        else if (w == "C")
            bench_c(12);
        else if (w == "C100")
            bench_c(100);
        else if (w == "C10k")
            bench_c(10000);
        else if (w == "Dl1" || w == "Dl2")
            bench_d(w.c_str(), values, G_VALUES, w[2] - '0');
        else if (w == "Du1" || w == "Du2")
            bench_d(w.c_str(), du_values, NDU, w[2] - '0');
        else if (w == "Dc1" || w == "Dc2")
            bench_d(w.c_str(), &dc_value, 1, w[2] - '0');
        else if (w == "S1" || w == "S2")
            bench_s(w[1] - '0');
        else if (w == "L")
            bench_l();
        else if (w == "E10k")
            bench_e("E10k", 100, quick ? 11 : 51);
        else if (w == "E100k")
            bench_e("E100k", 1000, quick ? 3 : 11);
        else
            usage();
    }
    return 0;
}
