// prometheus-cpp's side of the peer comparison (tests/bench/run_peers.sh):
// the same workloads as tests/bench/bench_promc.c, written against
// prometheus-cpp's normal public API, printing one line per figure:
//
//   prometheus-cpp A ns_per_op 4.21
//
// Usage: bench_cpp [--quick] [--ops N] [--renders N] [A|B|C|D|E10k|E100k]...
//        bench_cpp serve PORT [SECONDS] [THREADS] [KEEPALIVE yes|no]
//
// Build: g++ -O2 -std=c++17 bench.cc $(pkg-config --cflags --libs
// prometheus-cpp-pull prometheus-cpp-core) -pthread
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

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

static void bench_b()
{
    auto reg = std::make_shared<Registry>();
    auto &c = BuildCounter().Name("bench_b_total").Help("B.").Register(*reg).Add({});
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
    figure("B", "ns_per_op", (t1 - t0) / (double)n);
}

static void bench_c()
{
    auto reg = std::make_shared<Registry>();
    auto &fam = BuildCounter().Name("bench_c_requests_total").Help("C.").Register(*reg);
    std::string m[12], k[12];
    for (int i = 0; i < 12; i++) {
        m[i] = methods[i % 4];
        k[i] = codes[i / 4];
    }
    long long n = ops_for(20000000LL);
    int j = 0;
    for (long long i = 0; i < n / 20; i++) {
        fam.Add({{"method", m[j]}, {"code", k[j]}}).Increment();
        if (++j == 12)
            j = 0;
    }
    j = 0;
    double t0 = now_ns();
    for (long long i = 0; i < n; i++) {
        // The documented way to get a child: Add() returns the existing one.
        fam.Add({{"method", m[j]}, {"code", k[j]}}).Increment();
        if (++j == 12)
            j = 0;
    }
    double t1 = now_ns();
    figure("C", "ns_per_op", (t1 - t0) / (double)n);
}

static void bench_d()
{
    auto reg = std::make_shared<Registry>();
    auto &h = BuildHistogram().Name("bench_d_seconds").Help("D.").Register(*reg).Add({}, go_buckets);
    long long n = ops_for(50000000LL);
    for (long long i = 0; i < n / 20; i++)
        h.Observe(values[i & (NVALUES - 1)]);
    double t0 = now_ns();
    for (long long i = 0; i < n; i++)
        h.Observe(values[i & (NVALUES - 1)]);
    double t1 = now_ns();
    figure("D", "ns_per_op", (t1 - t0) / (double)n);
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
    long before = rss_bytes();
    auto reg = std::make_shared<Registry>();
    long series = build_registry(*reg, nfam, true);
    long after = rss_bytes();

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
}

static volatile std::sig_atomic_t stop_flag;

static void on_signal(int) { stop_flag = 1; }

static int serve(int port, double seconds, int threads, bool keepalive)
{
    auto reg = std::make_shared<Registry>();
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
    std::fprintf(stderr, "usage: bench_cpp [--quick] [--ops N] [--renders N] [A|B|C|D|E10k|E100k]...\n"
                         "       bench_cpp serve PORT [SECONDS] [THREADS] [KEEPALIVE yes|no]\n");
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
        else if (std::strcmp(argv[i], "serve") == 0 && i + 1 < argc)
            return serve(std::atoi(argv[i + 1]), i + 2 < argc ? std::atof(argv[i + 2]) : 0,
                         i + 3 < argc ? std::atoi(argv[i + 3]) : 8,
                         i + 4 < argc ? std::strcmp(argv[i + 4], "no") != 0 : true);
        else if (argv[i][0] == '-')
            usage();
        else
            work.push_back(argv[i]);
    }
    if (work.empty())
        work = {"A", "B", "C", "D", "E10k", "E100k"};
    fill_values();
    for (const auto &w : work) {
        if (w == "A")
            bench_a();
        else if (w == "B")
            bench_b();
        else if (w == "C")
            bench_c();
        else if (w == "D")
            bench_d();
        else if (w == "E10k")
            bench_e("E10k", 100, quick ? 11 : 51);
        else if (w == "E100k")
            bench_e("E100k", 1000, quick ? 3 : 11);
        else
            usage();
    }
    return 0;
}
