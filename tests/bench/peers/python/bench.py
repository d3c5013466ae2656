#!/usr/bin/python3
"""client_python's side of the peer comparison (tests/bench/run_peers.sh).

The same workloads as tests/bench/bench_promc.c, written against
prometheus_client's normal public API, printing one line per figure:

    client_python A ns_per_op 412.3

Usage: bench.py [--quick] [--ops N] [--renders N] [WORKLOAD]...
       bench.py serve|serve1m PORT [SECONDS]

Workloads, as bench_promc.c's (its comment has the shared data): A, B, Bx, C,
C100, C10k, Dl1, Dl2, Du1, Du2, Dc1, Dc2, XA, XD, L, E10k, E100k, and in
multi-process mode MPA, MPB, MPE (alone, not by default); no summary
quantiles (S1, S2) or native histograms (G) in this library. serve is F's
server (1,000 series), serve1m M's (1,000,000; slow to build, which is why
the runner leaves it out by default). Each ns/op workload checks the value it
left.

Operation counts are 10x to 100x smaller than the compiled peers' (an
operation costs hundreds of nanoseconds here). Two threads (B, Bx, the D
workloads ending in 2) are serialised by the GIL.
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

# MPA, MPB and MPE run client_python in multi-process mode, which 0.16 chooses
# at import time from PROMETHEUS_MULTIPROC_DIR: a fresh directory is set here,
# before the import, when they are asked for (alone: the other workloads
# measure the normal mode), and removed at exit.
MP_WORKLOADS = ("MPA", "MPB", "MPE")
MP_DIR = None
if any(a in MP_WORKLOADS for a in sys.argv[1:]):
    import atexit
    import shutil
    import tempfile

    if any(a not in MP_WORKLOADS and not a.startswith("-") and not a.isdigit()
           for a in sys.argv[1:]):
        sys.exit("bench.py: MPA, MPB and MPE run alone (multi-process mode is per process)")
    MP_DIR = tempfile.mkdtemp(prefix="bench_python_mp_")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = MP_DIR
    _parent = os.getpid()
    atexit.register(lambda: os.getpid() == _parent and shutil.rmtree(MP_DIR, ignore_errors=True))

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

# Drawn after the trace ids, in this order, as in bench_promc.c: Du's 65,536
# values, uniform over the 12 buckets (the middle of bucket rng() % 12; the
# +Inf bucket's is 15), then the 65,536 numbers C's child indexes come from
# (child = picks[i] % number of children). Dc observes 0.3.
NDU = 65536
NPICKS = 65536
G_VALUES = 1024
DU_VALUES = []
PICKS = []
DC_VALUES = [0.3]


def fill_du_picks():
    nb = len(GO_BUCKETS)
    for _ in range(NDU):
        k = rng() % (nb + 1)
        DU_VALUES.append(GO_BUCKETS[0] / 2 if k == 0 else 15.0 if k == nb
                         else (GO_BUCKETS[k - 1] + GO_BUCKETS[k]) / 2)
    for _ in range(NPICKS):
        PICKS.append(rng())


def mismatch(workload, what):
    sys.stderr.write("bench.py: %s: %s mismatch\n" % (workload, what))
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


def run_pinned(threads, body):
    """body(t) in threads threads pinned as in B, started together; the wall
    time in ns until all have finished (the GIL serialises them)."""
    go = threading.Event()
    cpus = sorted(os.sched_getaffinity(0))

    def work(t):
        # Pinned like the other programs' threads (no privilege needed).
        if len(cpus) >= 2:
            os.sched_setaffinity(0, {cpus[t % len(cpus)]})
        go.wait()
        body(t)

    ts = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    time.sleep(0.02)
    t0 = time.perf_counter_ns()
    go.set()
    for t in ts:
        t.join()
    return time.perf_counter_ns() - t0


def bench_b(churn):
    """B; with churn (Bx), after 100 short-lived threads, 4 at a time, have
    each incremented the same counter 1,000 times."""
    reg = CollectorRegistry()
    c = Counter("bench_b_total", "B.", registry=reg)
    before = 0

    def short():
        for _ in range(1000):
            c.inc()

    for _ in range(25 if churn else 0):
        ts = [threading.Thread(target=short) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        before += 4000
    n = ops_for(1000000)
    shares = (n // 2, n - n // 2)

    def body(t):
        inc = c.inc
        for _ in range(shares[t]):
            inc()

    el = run_pinned(2, body)
    label = "Bx" if churn else "B"
    if reg.get_sample_value("bench_b_total") != before + n:
        mismatch(label, "counter value")
    figure(label, "ns_per_op", el / n)


def bench_cn(label, na, nb, a, b, full):
    """Child lookup by label values + inc over the children whose values are
    a[j], b[j], in the order of the shared pick sequence (child = picks[i] %
    len(a)); every child created before the warm-up."""
    reg = CollectorRegistry()
    c = Counter("bench_c_requests_total", "C.", [na, nb], registry=reg)
    nc = len(a)
    idx = [p % nc for p in PICKS]
    labels = c.labels
    for j in range(nc):
        labels(a[j], b[j]).inc()
    n = ops_for(full)
    for i in range(n // 20):
        j = idx[i & (NPICKS - 1)]
        labels(a[j], b[j]).inc()
    t0 = time.perf_counter_ns()
    for i in range(n):
        j = idx[i & (NPICKS - 1)]
        labels(a[j], b[j]).inc()
    el = time.perf_counter_ns() - t0
    total = sum(s.value for m in reg.collect() for s in m.samples if s.name == "bench_c_requests_total")
    if total != nc + n + n // 20:
        mismatch(label, "counter value")
    figure(label, "ns_per_op", el / n)


def bench_c(nc):
    if nc == 12:
        bench_cn("C", "method", "code", [METHODS[j % 4] for j in range(12)],
                 [CODES[j // 4] for j in range(12)], 1000000)
    elif nc == 100:
        bench_cn("C100", "route", "status", [ROUTES[j // 10] for j in range(100)],
                 [STATUSES[j % 10] for j in range(100)], 500000)
    else:  # route "/r/<i>", status "<j>": strings made once
        bench_cn("C10k", "route", "status", ["/r/%d" % (j // 100) for j in range(nc)],
                 ["%d" % (j % 100) for j in range(nc)], 500000)


def bench_d(label, v, threads):
    """Classic histogram observe, the 11 default buckets, 1 or 2 threads on
    one series (wall time / total ops), each cycling through v; the second
    from offset len(v) // 2."""
    reg = CollectorRegistry()
    h = Histogram("bench_d_seconds", "D.", buckets=GO_BUCKETS, registry=reg)
    n = ops_for(1000000)
    per, mask = n // threads, len(v) - 1
    observe = h.observe
    for i in range(n // 20):
        observe(v[i & mask])

    def body(t):
        off = t * (len(v) // 2)
        for i in range(off, per + off):
            observe(v[i & mask])

    el = run_pinned(threads, body)
    if reg.get_sample_value("bench_d_seconds_count") != n // 20 + per * threads:
        mismatch(label, "histogram count")
    figure(label, "ns_per_op", el / (per * threads))


def bench_l():
    """Label churn: per operation the child for "id-<k>" (k cycling over
    1,024 strings made beforehand) got or created, incremented and removed."""
    reg = CollectorRegistry()
    c = Counter("bench_l_total", "L.", ["id"], registry=reg)
    ids = ["id-%d" % k for k in range(1024)]
    n = ops_for(200000)
    labels, remove = c.labels, c.remove
    for i in range(n // 20):
        s = ids[i & 1023]
        labels(s).inc()
        remove(s)
    t0 = time.perf_counter_ns()
    for i in range(n):
        s = ids[i & 1023]
        labels(s).inc()
        remove(s)
    el = time.perf_counter_ns() - t0
    # Every child removed, and one made again starts from zero.
    labels(ids[0]).inc()
    if reg.get_sample_value("bench_l_total", {"id": ids[0]}) != 1 or \
            reg.get_sample_value("bench_l_total", {"id": ids[1]}) is not None:
        mismatch("L", "counter value")
    figure("L", "ns_per_op", el / n)


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


def bench_mp(threads):
    """MPA (1 thread) and MPB (2 threads, serialised by the GIL): inc of an
    unlabelled counter in multi-process mode, a float in the process's
    mmap'ed file under a lock (bench_promc.c's MPA and MPB)."""
    label = "MPA" if threads == 1 else "MPB"
    reg = CollectorRegistry()
    c = Counter("bench_mpa" if threads == 1 else "bench_mpb", "MP.", registry=reg)
    n = ops_for(1000000)
    inc = c.inc
    for _ in range(n // 20):
        inc()
    if threads == 1:
        t0 = time.perf_counter_ns()
        for _ in range(n):
            inc()
        el = time.perf_counter_ns() - t0
    else:
        shares = (n // 2, n - n // 2)

        def body(t):
            for _ in range(shares[t]):
                inc()

        el = run_pinned(2, body)
    name = "bench_mpa_total" if threads == 1 else "bench_mpb_total"
    if reg.get_sample_value(name) != n + n // 20:
        mismatch(label, "counter value")
    figure(label, "ns_per_op", el / n)


def bench_mpe():
    """MPE: a scrape of a multi-process directory of 100 processes (10 with
    --quick) x 1,000 counter series each, written by forked processes, read
    by MultiProcessCollector; the median of 5 renders (3 with --quick)."""
    from prometheus_client.multiprocess import MultiProcessCollector

    import tempfile
    d = tempfile.mkdtemp(prefix="mpe_", dir=MP_DIR)
    procs, series = (10 if QUICK else 100), 1000
    for w in range(procs):
        pid = os.fork()
        if pid == 0:
            try:
                os.environ["PROMETHEUS_MULTIPROC_DIR"] = d
                c = Counter("bench_mpe", "MPE.", ["series"], registry=CollectorRegistry())
                for i in range(series):
                    c.labels("%d" % i).inc()
                os._exit(0)
            except BaseException:
                os._exit(1)
        _, st = os.waitpid(pid, 0)
        if st != 0:
            sys.exit("bench.py: MPE writer failed")
    reg = CollectorRegistry()
    MultiProcessCollector(reg, path=d)
    renders = RENDERS_OVERRIDE if RENDERS_OVERRIDE > 0 else (3 if QUICK else 5)
    t = []
    out = b""
    for _ in range(renders):
        t0 = time.perf_counter_ns()
        out = generate_latest(reg)
        t.append(time.perf_counter_ns() - t0)
    if out.count(b"\nbench_mpe_total{") != series:
        mismatch("MPE", "series")
    if reg.get_sample_value("bench_mpe_total", {"series": "7"}) != procs:
        mismatch("MPE", "counter value")
    t.sort()
    figure("MPE", "ms_per_scrape", t[renders // 2] / 1e6)
    figure("MPE", "bytes", len(out))


def build_m(reg):
    """Workload M's registry: 1,000 counter families x 1,000 children (label
    id), 1,000,000 series."""
    for f in range(1000):
        c = Counter("bench_m_f%04d_total" % f, "Requests handled by component %d." % f, ["id"],
                    registry=reg)
        for k in range(1000):
            c.labels("id-%d" % k).inc((f * 1000 + k) * 7 + 1)


def serve(port, seconds, million=False):
    """F's server (1,000 series), or with million M's (1,000,000)."""
    reg = CollectorRegistry()
    if million:
        build_m(reg)
    else:
        build_registry(reg, 10, False)
    gc.collect()
    start_http_server(port, addr="127.0.0.1", registry=reg)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    end = time.monotonic() + seconds if seconds > 0 else None
    while not stop.is_set() and (end is None or time.monotonic() < end):
        stop.wait(0.05)


def usage():
    sys.stderr.write("usage: bench.py [--quick] [--ops N] [--renders N] [WORKLOAD]...\n"
                     "       bench.py serve|serve1m PORT [SECONDS]\n")
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
        elif a in ("serve", "serve1m") and i + 1 < len(argv):
            serve(int(argv[i + 1]), float(argv[i + 2]) if i + 2 < len(argv) else 0, a == "serve1m")
            return
        elif a.startswith("-"):
            usage()
        else:
            work.append(a)
        i += 1
    if not work:
        work = ["A", "B", "Bx", "C", "C100", "C10k", "Dl1", "Dl2", "Du1", "Du2", "Dc1", "Dc2",
                "XA", "XD", "L", "E10k", "E100k"]
    fill_values()
    fill_trace_ids()
    fill_du_picks()
    streams = {"l": VALUES[:G_VALUES], "u": DU_VALUES, "c": DC_VALUES}
    for w in work:
        if w == "A":
            bench_a()
        elif w in ("B", "Bx"):
            bench_b(w == "Bx")
        elif w == "C":
            bench_c(12)
        elif w == "C100":
            bench_c(100)
        elif w == "C10k":
            bench_c(10000)
        elif w in ("Dl1", "Dl2", "Du1", "Du2", "Dc1", "Dc2"):
            bench_d(w, streams[w[1]], int(w[2]))
        elif w == "L":
            bench_l()
        elif w == "XA":
            bench_xa()
        elif w == "XD":
            bench_xd()
        elif w == "E10k":
            bench_e("E10k", 100, 5 if QUICK else 21)
        elif w == "E100k":
            bench_e("E100k", 1000, 1 if QUICK else 5)
        elif w in ("MPA", "MPB"):
            bench_mp(1 if w == "MPA" else 2)
        elif w == "MPE":
            bench_mpe()
        else:
            usage()


if __name__ == "__main__":
    main(sys.argv[1:])
