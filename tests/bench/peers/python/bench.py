#!/usr/bin/python3
"""client_python's side of the peer comparison (tests/bench/run_peers.sh).

The same workloads as tests/bench/bench_promc.c, written against
prometheus_client's normal public API, printing one line per figure:

    client_python A ns_per_op 412.3

Usage: bench.py [--quick] [--ops N] [--renders N] [A|B|C|D|XA|XD|E10k|E100k]...
       bench.py serve PORT [SECONDS]

Operation counts are 100x smaller than the compiled peers' (an operation costs
hundreds of nanoseconds here). B runs two threads, which the GIL serialises.
_created samples are off (PROMETHEUS_DISABLE_CREATED_SERIES, set below before
the import, as client_python 0.16 reads it at import time).
"""
import gc
import math
import os
import signal
import sys
import threading
import time

os.environ.setdefault("PROMETHEUS_DISABLE_CREATED_SERIES", "True")

from prometheus_client import (  # noqa: E402
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)

IMPL = "client_python"
QUICK = False
OPS_OVERRIDE = -1
RENDERS_OVERRIDE = -1
MASK = (1 << 64) - 1


def figure(workload, metric, value):
    print("%s %s %s %.10g" % (IMPL, workload, metric, value), flush=True)


def ops_for(full):
    if OPS_OVERRIDE > 0:
        return OPS_OVERRIDE
    return full // 10 if QUICK else full


# xorshift64* with a fixed seed: every peer computes the same sequence.
_state = 0x9E3779B97F4A7C15


def rng():
    global _state
    s = _state
    s ^= s >> 12
    s ^= (s << 25) & MASK
    s ^= s >> 27
    _state = s
    return (s * 0x2545F4914F6CDD1D) & MASK


NVALUES = 65536
VALUES = []


def fill_values():
    log = math.log(20000.0)
    for _ in range(NVALUES):
        u = (rng() >> 11) * (1.0 / 9007199254740992.0)
        VALUES.append(0.001 * math.exp(u * log))


GO_BUCKETS = [.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10]
METHODS = ["GET", "POST", "PUT", "DELETE"]
CODES = ["200", "404", "500"]
ROUTES = ["/api/v1/users", "/api/v1/orders", "/api/v1/items", "/api/v1/search",
          "/api/v1/login", "/api/v1/logout", "/api/v1/cart", "/api/v1/payment",
          "/static/app.js", "/healthz"]
STATUSES = ["200", "201", "204", "301", "304", "400", "401", "404", "500", "503"]


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGESIZE")


def bench_a():
    reg = CollectorRegistry()
    c = Counter("bench_a_total", "A.", registry=reg)
    n = ops_for(1000000)
    inc = c.inc
    for _ in range(n // 20):
        inc()
    t0 = time.perf_counter_ns()
    for _ in range(n):
        inc()
    el = time.perf_counter_ns() - t0
    figure("A", "ns_per_op", el / n)


def bench_b():
    reg = CollectorRegistry()
    c = Counter("bench_b_total", "B.", registry=reg)
    n = ops_for(1000000)
    go = threading.Event()

    cpus = sorted(os.sched_getaffinity(0))

    def work(t, k):
        # Pinned like the other programs' B threads (no privilege needed).
        if len(cpus) >= 2:
            os.sched_setaffinity(0, {cpus[t % len(cpus)]})
        inc = c.inc
        go.wait()
        for _ in range(k):
            inc()

    threads = [threading.Thread(target=work, args=(t, k))
               for t, k in enumerate((n // 2, n - n // 2))]
    for t in threads:
        t.start()
    time.sleep(0.02)
    t0 = time.perf_counter_ns()
    go.set()
    for t in threads:
        t.join()
    el = time.perf_counter_ns() - t0
    figure("B", "ns_per_op", el / n)


def bench_c():
    reg = CollectorRegistry()
    c = Counter("bench_c_requests_total", "C.", ["method", "code"], registry=reg)
    m = [METHODS[i % 4] for i in range(12)]
    k = [CODES[i // 4] for i in range(12)]
    n = ops_for(1000000)
    labels = c.labels
    j = 0
    for _ in range(n // 20):
        labels(m[j], k[j]).inc()
        j = j + 1 if j < 11 else 0
    j = 0
    t0 = time.perf_counter_ns()
    for _ in range(n):
        labels(m[j], k[j]).inc()
        j = j + 1 if j < 11 else 0
    el = time.perf_counter_ns() - t0
    figure("C", "ns_per_op", el / n)


def bench_d():
    reg = CollectorRegistry()
    h = Histogram("bench_d_seconds", "D.", buckets=GO_BUCKETS, registry=reg)
    n = ops_for(1000000)
    observe = h.observe
    values = VALUES
    for i in range(n // 20):
        observe(values[i & (NVALUES - 1)])
    t0 = time.perf_counter_ns()
    for i in range(n):
        observe(values[i & (NVALUES - 1)])
    el = time.perf_counter_ns() - t0
    figure("D", "ns_per_op", el / n)


# 1024 trace ids of 16 hex digits, from the shared sequence (drawn after the
# observation values, as the other programs do).
NIDS = 1024
TRACE_IDS = []


def fill_trace_ids():
    for _ in range(NIDS):
        TRACE_IDS.append("%016x" % rng())


def bench_xa():
    """A with an exemplar {trace_id=<16 hex>}, as a caller writes it."""
    reg = CollectorRegistry()
    c = Counter("bench_xa_total", "XA.", registry=reg)
    n = ops_for(1000000)
    inc = c.inc
    ids = TRACE_IDS
    for i in range(n // 20):
        inc(1, {"trace_id": ids[i & (NIDS - 1)]})
    t0 = time.perf_counter_ns()
    for i in range(n):
        inc(1, {"trace_id": ids[i & (NIDS - 1)]})
    el = time.perf_counter_ns() - t0
    figure("XA", "ns_per_op", el / n)


def bench_xd():
    """D with an exemplar."""
    reg = CollectorRegistry()
    h = Histogram("bench_xd_seconds", "XD.", buckets=GO_BUCKETS, registry=reg)
    n = ops_for(1000000)
    observe = h.observe
    values = VALUES
    ids = TRACE_IDS
    for i in range(n // 20):
        observe(values[i & (NVALUES - 1)], {"trace_id": ids[i & (NIDS - 1)]})
    t0 = time.perf_counter_ns()
    for i in range(n):
        observe(values[i & (NVALUES - 1)], {"trace_id": ids[i & (NIDS - 1)]})
    el = time.perf_counter_ns() - t0
    figure("XD", "ns_per_op", el / n)


def build_registry(reg, nfam, hists):
    series = 0
    for f in range(nfam):
        c = Counter("bench_requests_f%04d_total" % f, "Requests handled by component %d." % f,
                    ["route", "status"], registry=reg)
        for k in range(100):
            c.labels(ROUTES[k // 10], STATUSES[k % 10]).inc((f * 100 + k) * 7 + 1)
            series += 1
    if not hists:
        return series
    v = 0
    for f in range(10):
        h = Histogram("bench_latency_h%02d_seconds" % f, "Latency of stage %d." % f, ["route"],
                      buckets=GO_BUCKETS, registry=reg)
        for k in range(10):
            ch = h.labels(ROUTES[k])
            for _ in range(100):
                ch.observe(VALUES[v & (NVALUES - 1)])
                v += 1
            series += len(GO_BUCKETS) + 1 + 2
    return series


def bench_e(label, nfam, renders):
    if RENDERS_OVERRIDE > 0:
        renders = RENDERS_OVERRIDE
    gc.collect()
    before = rss_bytes()
    reg = CollectorRegistry()
    series = build_registry(reg, nfam, True)
    gc.collect()
    after = rss_bytes()
    out = generate_latest(reg)
    t = []
    for _ in range(renders):
        t0 = time.perf_counter_ns()
        out = generate_latest(reg)
        t.append(time.perf_counter_ns() - t0)
    t.sort()
    med = t[renders // 2]
    figure(label, "render_ms", med / 1e6)
    figure(label, "ns_per_series", med / series)
    figure(label, "bytes", len(out))
    figure(label, "series", series)
    figure(label, "mem_bytes_per_series", (after - before) / series)


def serve(port, seconds):
    reg = CollectorRegistry()
    build_registry(reg, 10, False)
    start_http_server(port, addr="127.0.0.1", registry=reg)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    end = time.monotonic() + seconds if seconds > 0 else None
    while not stop.is_set() and (end is None or time.monotonic() < end):
        stop.wait(0.05)


def usage():
    sys.stderr.write("usage: bench.py [--quick] [--ops N] [--renders N] [A|B|C|D|XA|XD|E10k|E100k]...\n"
                     "       bench.py serve PORT [SECONDS]\n")
    sys.exit(2)


def main(argv):
    global QUICK, OPS_OVERRIDE, RENDERS_OVERRIDE
    work = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--quick":
            QUICK = True
        elif a == "--ops" and i + 1 < len(argv):
            i += 1
            OPS_OVERRIDE = int(argv[i])
        elif a == "--renders" and i + 1 < len(argv):
            i += 1
            RENDERS_OVERRIDE = int(argv[i])
        elif a == "serve" and i + 1 < len(argv):
            serve(int(argv[i + 1]), float(argv[i + 2]) if i + 2 < len(argv) else 0)
            return
        elif a.startswith("-"):
            usage()
        else:
            work.append(a)
        i += 1
    if not work:
        work = ["A", "B", "C", "D", "XA", "XD", "E10k", "E100k"]
    fill_values()
    fill_trace_ids()
    for w in work:
        if w == "A":
            bench_a()
        elif w == "B":
            bench_b()
        elif w == "C":
            bench_c()
        elif w == "D":
            bench_d()
        elif w == "XA":
            bench_xa()
        elif w == "XD":
            bench_xd()
        elif w == "E10k":
            bench_e("E10k", 100, 5 if QUICK else 21)
        elif w == "E100k":
            bench_e("E100k", 1000, 1 if QUICK else 5)
        else:
            usage()


if __name__ == "__main__":
    main(sys.argv[1:])
