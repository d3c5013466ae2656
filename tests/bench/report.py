#!/usr/bin/python3
"""Summarises tests/bench/run_peers.sh's results: per figure the median
[min-max] over rounds for each implementation, promc's ratio to each peer
(ratio of medians, with the range of the per-round ratios -- rounds are
interleaved, so a round's ratio compares runs made under the same load), and
the target for that figure, met or missed. Prints the tables -- the clients,
then promc's gzip against zlib level 1 -- and, with --doc, rewrites the
generated section of docs/PERFORMANCE.md between its markers (creating the
file when missing). With --plot, also draws the ns/op figures as an SVG
(python3-matplotlib; without it the report says the plot was skipped).

promc is the benchmark linked against the shared library, as
`pkg-config --libs promc` links users; promc-static the same program against
the archive, shown beside it. The ratios to the peers are promc's (shared).

Input lines: "ROUND IMPL WORKLOAD METRIC VALUE".
"""
import argparse
import os
import statistics
import sys

IMPLS = ["promc", "promc-static", "client_golang", "prometheus-cpp", "client_python"]
Z_IMPLS = ["promc", "zlib"]
# Implementations that are promc itself: columns, never peers to compare with.
PROMC = ("promc", "promc-static")
SHORT = {"client_golang": "golang", "prometheus-cpp": "cpp", "client_python": "python", "zlib": "zlib"}
NAME = {"zlib": "zlib level 1", "promc-static": "promc static"}

# What a library does not have at all: "—" in its cells, and a note under the
# table. (Missing results of a library that has the feature show "–".) The
# runner adds to this through meta lines "absent.IMPL.WORKLOAD=reason", e.g.
# for a server found not to compress.
ABSENT = {
    ("prometheus-cpp", "XA"): "no exemplars",
    ("prometheus-cpp", "XD"): "no exemplars",
    ("prometheus-cpp", "G1"): "no native histograms",
    ("prometheus-cpp", "G2"): "no native histograms",
    ("client_python", "G1"): "no native histograms",
    ("client_python", "G2"): "no native histograms",
    ("prometheus-cpp", "H"): "no protobuf exposition",
    ("client_python", "H"): "no protobuf exposition",
    ("client_python", "S1"): "no summary quantiles",
    ("client_python", "S2"): "no summary quantiles",
    ("client_golang", "MPA"): "no multi-process mode",
    ("client_golang", "MPB"): "no multi-process mode",
    ("client_golang", "MPE"): "no multi-process mode",
    ("prometheus-cpp", "MPA"): "no multi-process mode",
    ("prometheus-cpp", "MPB"): "no multi-process mode",
    ("prometheus-cpp", "MPE"): "no multi-process mode",
}

# (workload, metric, description, lower_is_better); lower_is_better None: no
# "better" (sizes).
FIGURES = [
    ("A", "ns_per_op", "A counter inc, 1 thread (ns/op)", True),
    ("B", "ns_per_op", "B counter inc, 2 threads (wall ns / total ops)", True),
    ("Bx", "ns_per_op", "Bx counter inc, 2 threads, after 100 short-lived threads (wall ns / total ops)", True),
    ("C", "ns_per_op", "C labels(method, code) lookup + inc, random order, 12 children (ns/op)", True),
    ("C100", "ns_per_op", "C100 labels(route, status) lookup + inc, random order, 100 children (ns/op)", True),
    ("C10k", "ns_per_op", "C10k labels(route, status) lookup + inc, random order, 10,000 children (ns/op)", True),
    ("Dl1", "ns_per_op", "Dl classic histogram observe, 11 buckets, repeating 1,024 log-uniform values, 1 thread (ns/op)", True),
    ("Dl2", "ns_per_op", "Dl classic histogram observe, 11 buckets, repeating 1,024 log-uniform values, 2 threads, one series (wall ns / total ops)", True),
    ("Du1", "ns_per_op", "Du classic histogram observe, 11 buckets, 65,536 values uniform over the 12 buckets, 1 thread (ns/op)", True),
    ("Du2", "ns_per_op", "Du classic histogram observe, 11 buckets, 65,536 values uniform over the 12 buckets, 2 threads, one series (wall ns / total ops)", True),
    ("Dc1", "ns_per_op", "Dc classic histogram observe, 11 buckets, the constant 0.3, 1 thread (ns/op)", True),
    ("Dc2", "ns_per_op", "Dc classic histogram observe, 11 buckets, the constant 0.3, 2 threads, one series (wall ns / total ops)", True),
    ("XA", "ns_per_op", "XA counter inc with exemplar {trace_id} (ns/op)", True),
    ("XD", "ns_per_op", "XD histogram observe with exemplar, 11 buckets (ns/op)", True),
    ("G1", "ns_per_op", "G native histogram observe, factor 1.1, existing buckets, 1 thread (ns/op)", True),
    ("G2", "ns_per_op", "G native histogram observe, 2 threads, one series (wall ns / total ops)", True),
    ("S1", "ns_per_op", "S summary observe, 3 quantile objectives, repeating 1,024 log-uniform values, 1 thread (ns/op)", True),
    ("S2", "ns_per_op", "S summary observe, 3 quantile objectives, repeating 1,024 log-uniform values, 2 threads, one series (wall ns / total ops)", True),
    ("L", "ns_per_op", "L label churn: child for 1 of 1,024 ids got or created, inc, removed, 1 thread (ns/op)", True),
    ("E10k", "render_ms", "E 11.4k series: text render (ms)", True),
    ("E10k", "ns_per_series", "E 11.4k series: render ns/series", True),
    ("E10k", "bytes", "E 11.4k series: output bytes", None),
    ("E10k", "mem_bytes_per_series", "E 11.4k series: RSS bytes/series", True),
    ("E10k", "heap_bytes_per_series", "E 11.4k series: heap in use bytes/series (mallinfo2)", True),
    ("E100k", "render_ms", "E 101.4k series: text render (ms)", True),
    ("E100k", "ns_per_series", "E 101.4k series: render ns/series", True),
    ("E100k", "bytes", "E 101.4k series: output bytes", None),
    ("E100k", "mem_bytes_per_series", "E 101.4k series: RSS bytes/series", True),
    ("E100k", "heap_bytes_per_series", "E 101.4k series: heap in use bytes/series (mallinfo2)", True),
    ("MPA", "ns_per_op", "MPA multi-process counter inc (a file's cell), 1 thread (ns/op)", True),
    ("MPB", "ns_per_op", "MPB multi-process counter inc, 2 threads, one series (wall ns / total ops)", True),
    ("MPE", "ms_per_scrape", "MPE multi-process scrape, 100 processes × 1,000 series (ms)", True),
    ("MPE", "bytes", "MPE output bytes", None),
    ("F", "rps", "F HTTP scrape, 1k series: requests/s", False),
    ("F", "p50_ms", "F latency p50 (ms)", True),
    ("F", "p99_ms", "F latency p99 (ms)", True),
    ("F", "cpu_us_per_req", "F server CPU per request (us)", True),
    ("F", "body_bytes", "F response body bytes", None),
    ("H", "rps", "H protobuf scrape, 1k series: requests/s", False),
    ("H", "p50_ms", "H latency p50 (ms)", True),
    ("H", "p99_ms", "H latency p99 (ms)", True),
    ("H", "cpu_us_per_req", "H server CPU per request (us)", True),
    ("H", "body_bytes", "H response body bytes", None),
    ("Fz", "rps", "Fz gzip text scrape, 1k series: requests/s", False),
    ("Fz", "p50_ms", "Fz latency p50 (ms)", True),
    ("Fz", "p99_ms", "Fz latency p99 (ms)", True),
    ("Fz", "cpu_us_per_req", "Fz server CPU per request (us)", True),
    ("Fz", "body_bytes", "Fz response body bytes, compressed", None),
    ("Fz", "text_bytes", "Fz response body bytes, decompressed", None),
    ("Fz", "gz_ratio", "Fz compressed / decompressed body", None),
    ("M", "time_ms", "M one scrape of 1M counter series (1,000 families × 1,000 children), text: time to last byte (ms)", True),
    ("M", "rss_added_mib", "M text scrape: peak RSS added (MiB)", True),
    ("M", "body_bytes", "M text scrape: response body bytes", None),
    ("Mz", "time_ms", "Mz one scrape of 1M counter series, gzip: time to last byte (ms)", True),
    ("Mz", "rss_added_mib", "Mz gzip scrape: peak RSS added (MiB)", True),
    ("Mz", "body_bytes", "Mz gzip scrape: response body bytes, compressed", None),
    ("A", "instr_per_op", "A instructions/op (perf)", True),
    ("C", "instr_per_op", "C instructions/op (perf)", True),
    ("Dl1", "instr_per_op", "Dl1 instructions/op (perf)", True),
]

# Workload Z: promc's gzip against zlib level 1 on the same text.
Z_FIGURES = [
    ("Z1k", "in_bytes", "Z 1k series: input text bytes", None),
    ("Z1k", "gz_bytes", "Z 1k series: gzip bytes", True),
    ("Z1k", "mb_per_s", "Z 1k series: compression MB/s", False),
    ("Z100k", "in_bytes", "Z 101.4k series: input text bytes", None),
    ("Z100k", "gz_bytes", "Z 101.4k series: gzip bytes", True),
    ("Z100k", "mb_per_s", "Z 101.4k series: compression MB/s", False),
]

# (workload, metric) -> (peer, comparison, bound): promc/peer must satisfy it.
# A tuple of peers means the best of them (the one with the best median):
# promc must be that much better than each.
GO_CPP = ("client_golang", "prometheus-cpp")
TARGETS = {
    ("A", "ns_per_op"): ("client_golang", "<=", 0.75),
    ("B", "ns_per_op"): ("client_golang", "<=", 0.3),
    ("Bx", "ns_per_op"): ("client_golang", "<=", 0.3),
    ("C", "ns_per_op"): ("client_golang", "<=", 0.25),
    ("C100", "ns_per_op"): ("client_golang", "<=", 0.25),
    ("C10k", "ns_per_op"): ("client_golang", "<=", 0.25),
    ("Dl1", "ns_per_op"): (GO_CPP, "<=", 0.5),
    ("Dl2", "ns_per_op"): (GO_CPP, "<=", 0.5),
    ("Du1", "ns_per_op"): (GO_CPP, "<=", 0.5),
    ("Du2", "ns_per_op"): (GO_CPP, "<=", 0.5),
    ("Dc1", "ns_per_op"): (GO_CPP, "<=", 0.5),
    ("Dc2", "ns_per_op"): (GO_CPP, "<=", 0.5),
    ("S1", "ns_per_op"): (GO_CPP, "<=", 0.5),
    ("S2", "ns_per_op"): (GO_CPP, "<=", 0.5),
    ("L", "ns_per_op"): (GO_CPP, "<=", 0.5),
    ("M", "time_ms"): ("prometheus-cpp", "<=", 0.1),
    ("Mz", "time_ms"): ("prometheus-cpp", "<=", 0.1),
    ("E10k", "ns_per_series"): ("prometheus-cpp", "<=", 0.15),
    ("E100k", "ns_per_series"): ("prometheus-cpp", "<=", 0.15),
    ("E10k", "mem_bytes_per_series"): ("prometheus-cpp", "<=", 0.4),
    ("E100k", "mem_bytes_per_series"): ("prometheus-cpp", "<=", 0.4),
    ("F", "rps"): ("prometheus-cpp", ">=", 3.0),
    ("F", "cpu_us_per_req"): ("prometheus-cpp", "<=", 0.2),
    ("XA", "ns_per_op"): ("client_golang", "<=", 0.5),
    ("XD", "ns_per_op"): ("client_golang", "<=", 0.5),
    ("G1", "ns_per_op"): ("client_golang", "<=", 0.5),
    ("G2", "ns_per_op"): ("client_golang", "<=", 0.5),
    ("H", "cpu_us_per_req"): ("client_golang", "<=", 0.2),
    ("Fz", "cpu_us_per_req"): ("client_golang", "<=", 0.3),
    ("Fz", "body_bytes"): ("client_golang", "<=", 1.1),
    ("Z1k", "gz_bytes"): ("zlib", "<=", 1.1),
    ("Z1k", "mb_per_s"): ("zlib", ">=", 1.5),
    ("Z100k", "gz_bytes"): ("zlib", "<=", 1.1),
    ("Z100k", "mb_per_s"): ("zlib", ">=", 1.5),
}

BEGIN = "<!-- BEGIN generated by tests/bench/run_peers.sh: do not edit by hand -->"
END = "<!-- END generated -->"


def fmt(v):
    if v is None:
        return "–"
    a = abs(v)
    if a >= 1e6:
        return "%.3gM" % (v / 1e6)
    if a >= 10000:
        return "%.0f" % v
    if a >= 100:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    if a >= 1:
        return "%.2f" % v
    return "%.3g" % v


def load(path):
    data = {}  # (impl, workload, metric) -> {round: value}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 5:
                continue
            r, impl, w, m, v = parts
            try:
                data.setdefault((impl, w, m), {})[int(r)] = float(v)
            except ValueError:
                continue
    return data


def load_meta(path):
    meta = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    meta[k] = v
    return meta


def cell(vals):
    """median [min–max] over the rounds, also when they agree."""
    if not vals:
        return "–"
    xs = list(vals.values())
    return "%s [%s–%s]" % (fmt(statistics.median(xs)), fmt(min(xs)), fmt(max(xs)))


def ratio(data, w, m, peer):
    p = data.get(("promc", w, m))
    q = data.get((peer, w, m))
    if not p or not q:
        return None, None, None
    pm, qm = statistics.median(p.values()), statistics.median(q.values())
    if qm == 0:
        return None, None, None
    per_round = [p[r] / q[r] for r in p if r in q and q[r] != 0]
    return pm / qm, (min(per_round) if per_round else None), (max(per_round) if per_round else None)


def ratio_cell(rt, suffix=""):
    """ratio of medians [range of the per-round ratios]."""
    r, lo, hi = rt
    if r is None:
        return "–"
    if lo is None:
        return "%.3g×%s" % (r, suffix)
    return "%.3g×%s [%.3g–%.3g]" % (r, suffix, lo, hi)


def build_table(data, impls, figures, absent, best_column=True):
    peers = [i for i in impls if i not in PROMC]
    head = (["figure"] + [NAME.get(i, i) for i in impls] + ["promc / %s" % SHORT.get(p, p) for p in peers]
            + (["promc / best peer"] if best_column else []) + ["target", "status"])
    rows = []
    results = []
    for w, m, desc, lower in figures:
        if not any((i, w, m) in data for i in impls):
            continue
        row = [desc] + ["—" if (i, w) in absent else cell(data.get((i, w, m))) for i in impls]
        row += ["—" if (p, w) in absent else ratio_cell(ratio(data, w, m, p)) for p in peers]
        if best_column:
            # best peer: the one with the best median
            best = None
            if lower is not None:
                meds = [(statistics.median(data[(p, w, m)].values()), p) for p in peers if (p, w, m) in data]
                if meds:
                    best = (min if lower else max)(meds)[1]
            if best:
                row.append(ratio_cell(ratio(data, w, m, best), " (%s)" % SHORT.get(best, best)))
            else:
                row.append("–")
        t = TARGETS.get((w, m))
        if t:
            peer, op, bound = t
            name = SHORT.get(peer, peer)
            if isinstance(peer, tuple):
                name = "best of " + "/".join(SHORT.get(p, p) for p in peer)
                meds = [(statistics.median(data[(p, w, m)].values()), p) for p in peer if (p, w, m) in data]
                peer = (min if op == "<=" else max)(meds)[1] if meds else None
                name += " (%s)" % SHORT.get(peer, peer) if peer else ""
            r, lo, hi = ratio(data, w, m, peer)
            row.append("%s %g× %s" % (op.replace("<=", "≤").replace(">=", "≥"), bound, name))
            if r is None:
                row.append("n/a")
            else:
                met = r <= bound if op == "<=" else r >= bound
                row.append("**met**" if met else "**missed**")
                results.append((desc, r, op, bound, name, met))
        else:
            row += ["", ""]
        rows.append(row)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines), results


def absent_of(meta):
    absent = dict(ABSENT)
    for k, v in meta.items():
        parts = k.split(".")
        if len(parts) == 3 and parts[0] == "absent":
            absent[(parts[1], parts[2])] = v
    return absent


def absent_note(absent, impls):
    """One sentence: which library lacks what, for the "—" cells shown."""
    by = {}  # impl -> {reason: [workloads]}
    for (impl, w), why in sorted(absent.items()):
        if impl in impls:
            ws = by.setdefault(impl, {}).setdefault(why, [])
            w = {"G1": "G", "G2": "G", "S1": "S", "S2": "S"}.get(w, w)
            if w not in ws:
                ws.append(w)
    if not by:
        return None
    return "—: not run for that library: " + "; ".join(
        "%s: %s" % (impl, ", ".join("%s (%s)" % (why, ", ".join(ws)) for why, ws in by[impl].items()))
        for impl in impls if impl in by) + "."


def generated(data, meta, impls, z_impls, plot_note=None):
    absent = absent_of(meta)
    table, results = build_table(data, impls, FIGURES, absent)
    z_table, z_results = (build_table(data, z_impls, Z_FIGURES, absent, best_column=False) if len(z_impls) > 1
                          else (None, []))
    results += z_results
    rounds = meta.get("rounds", "?")
    quick = meta.get("quick") == "1"
    out = []
    out.append("Run of %s: %s interleaved rounds%s; every cell is the median [min–max] over the rounds; "
               "a ratio is promc's median over the peer's, with the range of the per-round ratios. "
               "promc is linked against the shared library, as `pkg-config --libs promc` links it; "
               "promc static is the same program against the archive, for comparison."
               % (meta.get("date", "?"), rounds, " (QUICK smoke run: 1/10 of the operations, wrk -d%ss)" % meta.get("f_seconds") if quick else ", wrk -d%ss" % meta.get("f_seconds", "10")))
    out.append("")
    out.append(table)
    if plot_note:
        out.append("")
        out.append(plot_note)
    note = absent_note(absent, impls)
    if note:
        out.append("")
        out.append(note)
    if z_table:
        out.append("")
        out.append("Compression (Z): the same text compressed in memory into one gzip member, promc's "
                   "compressor (`lib/gzip.h`, as the HTTP server uses it; internal, so from the static build) "
                   "against zlib's deflate at level 1; MB/s is 10^6 input bytes a second of the median of %s (1k) and %s (101.4k) repetitions "
                   "a round." % (meta.get("z_reps_Z1k", "?"), meta.get("z_reps_Z100k", "?")))
        out.append("")
        out.append(z_table)
    out.append("")
    met = sum(1 for r in results if r[5])
    out.append("Targets met: %d of %d." % (met, len(results)))
    missed = [r for r in results if not r[5]]
    if missed:
        out.append("Missed: " + "; ".join("%s (%.3g×, target %s %g× %s)" % (d, r, op.replace("<=", "≤").replace(">=", "≥"), b, SHORT.get(p, p))
                                          for d, r, op, b, p, _ in missed) + ".")
    out.append("")
    out.append("Conditions: A–D, G, L, S, XA and XD in one process per implementation and workload; "
               "\"2 threads\" are two threads pinned to the two CPUs on one series, timed as wall time / "
               "total ops; G observes 1,024 log-uniform values whose buckets exist beforehand; XA and XD cycle "
               "through 1,024 trace ids; S uses each library's default window (client_golang and promc 10 min, "
               "prometheus-cpp 60 s; 5 age buckets). MPA and MPB increment a multi-process counter "
               "(promc_mp_counter; client_python's Counter with PROMETHEUS_MULTIPROC_DIR set), in a fresh "
               "directory under /tmp; MPE renders the text of a directory that 100 forked processes filled "
               "with 1,000 counter series each (promc: median of 11 renders; client_python's "
               "MultiProcessCollector: of 5). E's memory per series is RSS (`/proc/self/statm`) after "
               "building the registry minus before, and for promc and prometheus-cpp, both on glibc's "
               "malloc, the heap in use (`mallinfo2`: `uordblks` + `hblkhd`) after minus before, which "
               "leaves out what the allocator keeps around (free chunks, the top of the heap, pages "
               "not yet touched). M scrapes a server of 1,000,000 counter series once "
               "a round with curl, plain and gzip; peak RSS added = VmHWM after the scrape (reset through "
               "/proc/PID/clear_refs) minus VmRSS before. F, H and Fz scrape the same "
               "server of 1,000 counter series (10 families × 100 children) with `wrk -t2 -c8`, plain, with "
               "`Accept: %s`, and with `Accept-Encoding: gzip`; body bytes are one response's body as sent "
               "(compressed for Fz), fetched with curl before the timed run, which also checks its "
               "Content-Type and Content-Encoding." % "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited")
    out.append("")
    out.append("Machine: %s CPUs (%s), %s, kernel %s, %s. Shared and noisy: compare the ranges, not only the medians."
               % (meta.get("nproc", "?"), meta.get("cpu", "?"), meta.get("memory", "?"), meta.get("kernel", "?"), meta.get("os", "?")))
    out.append("")
    out.append("Versions: promc %s; %s; client_golang %s (%s); prometheus-cpp %s (%s); client_python %s (%s); zlib %s; wrk %s."
               % (meta.get("promc", "?"), meta.get("gcc", "?"), meta.get("client_golang", "?"), meta.get("go", "?"),
                  meta.get("prometheus-cpp", "?"), meta.get("g++", "?"), meta.get("client_python", "?"),
                  meta.get("python", "?"), meta.get("zlib", "?"), meta.get("wrk", "?")))
    out.append("")
    out.append(flags_note(meta))
    out.append("")
    out.append("Instructions per operation: %s." % meta.get("perf", "not measured"))
    return "\n".join(out), results


def flags_note(meta):
    """How each implementation was compiled and linked: the runner's link.IMPL
    (how) and needs.IMPL (the shared libraries the binary needs) meta lines."""
    def link(impl):
        how = meta.get("link." + impl, "?")
        needs = meta.get("needs." + impl)
        return "%s: %s%s" % (NAME.get(impl, impl), how,
                             " (needs %s)" % ", ".join(needs.split()) if needs else "")
    impls = [i for i in IMPLS + Z_IMPLS if "link." + i in meta]
    impls = sorted(set(impls), key=impls.index)
    out = ("Flags: promc's benchmark as `make bench-build` builds it (`-std=c11 -O2 -g`, then `-O2`; the "
           "library with `-O2 -g`); prometheus-cpp's with `g++ -O2 -std=c++17`; client_golang with "
           "`go build` defaults (GOMAXPROCS = %s); client_python on %s; the zlib program with `cc -O2`."
           % (meta.get("nproc", "?"), meta.get("python", "?")))
    if impls:
        out += " Linking (needs: the shared libraries the binary names): " + "; ".join(link(i) for i in impls) + "."
    return out


# The figures the plot draws: every one measured in ns per operation.
PLOT_METRIC = "ns_per_op"
COLORS = {"promc": "#1f77b4", "promc-static": "#aec7e8", "client_golang": "#2ca02c",
          "prometheus-cpp": "#d62728", "client_python": "#9467bd"}


def plot(data, impls, path):
    """Draws docs/performance.svg: per workload, a group of bars, one per
    implementation, at the median ns/op on a log scale, the error bar spanning
    min to max over the rounds. Returns a sentence for the report: the link,
    or why there is no plot."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "Plot skipped: python3-matplotlib is not installed."
    figs = [(w, desc) for w, m, desc, _ in FIGURES
            if m == PLOT_METRIC and any((i, w, m) in data for i in impls)]
    if not figs:
        return "Plot skipped: no ns/op figures in this run."
    # Byte-identical output for identical input: no date, fixed ids.
    matplotlib.rcParams["svg.hashsalt"] = "promc"
    matplotlib.rcParams["svg.fonttype"] = "none"
    n = len(impls)
    width = 0.8 / n
    fig, ax = plt.subplots(figsize=(max(6.0, 0.5 + 0.22 * n * len(figs) + 0.25 * len(figs)), 4.2))
    for k, impl in enumerate(impls):
        xs, meds, lo, hi = [], [], [], []
        for j, (w, _) in enumerate(figs):
            vals = data.get((impl, w, PLOT_METRIC))
            if not vals:
                continue
            v = list(vals.values())
            med = statistics.median(v)
            xs.append(j - 0.4 + width * (k + 0.5))
            meds.append(med)
            lo.append(med - min(v))
            hi.append(max(v) - med)
        if xs:
            ax.bar(xs, meds, width, yerr=[lo, hi], capsize=1.5, label=NAME.get(impl, impl),
                   color=COLORS.get(impl), error_kw={"elinewidth": 0.8, "ecolor": "#333333"})
    ax.set_yscale("log")
    ax.set_xticks(range(len(figs)))
    ax.set_xticklabels([w for w, _ in figs])
    ax.set_ylabel("ns per operation (log scale)")
    ax.set_xlabel("workload; bar: median over the rounds, line: min–max; "
                  "2 threads: wall time / total ops")
    ax.grid(axis="y", which="both", linewidth=0.3, alpha=0.5)
    ax.set_axisbelow(True)
    ax.legend(fontsize="small", ncol=min(n, 5), loc="lower center", bbox_to_anchor=(0.5, 1.0),
              frameon=False)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
    return "![ns per operation, log scale, median with min–max](%s)" % os.path.basename(path)


STATIC_HEAD = """# Performance

promc against the other Prometheus clients on the same workloads, each written
against its own library's normal public API. The table between the markers below
is generated by `make bench-peers` (`tests/bench/run_peers.sh`, then
`tests/bench/report.py`); the rest of this page is written by hand.

## Results

"""

STATIC_TAIL = """

## How to reproduce

    make bench-peers                  # ~10 min: 7 rounds, wrk -d10s per server
    QUICK=1 tests/bench/run_peers.sh  # ~1 min smoke run (prints, does not write this page)
    make bench                        # promc's own micro-benchmarks only (quick mode)

The script installs what is missing when run as root (`golang-go`,
`golang-github-prometheus-client-golang-dev`, `prometheus-cpp-dev`,
`python3-prometheus-client`, `wrk`, `curl`), builds the peers into
`build/bench/peers/` (client_golang offline: `GO111MODULE=off
GOPATH=build/bench/peers/gopath:/usr/share/gocode go build`), then runs every
implementation in interleaved rounds: for each workload, one process per
implementation, in an order rotated every round, so drift in the machine's load
hits all of them alike. Raw lines are in `build/bench/peers/results.txt`.
`ROUNDS`, `F_SECONDS`, `PEERS` and `NO_DOC=1` adjust a run.

Programs: `tests/bench/bench_promc.c`, `tests/bench/peers/go/main.go`,
`tests/bench/peers/cpp/bench.cc`, `tests/bench/peers/python/bench.py`. Each takes
`[--quick] [--ops N] [WORKLOAD...]` or `serve PORT [SECONDS]` and prints lines
like `promc A ns_per_op 4.21`.

## What each workload does

Every program builds the same data: the same metric names, help texts, label
values and counter values, and the same 65,536 observation values (xorshift64*
with a fixed seed, mapped log-uniformly onto [0.001, 20)). Each timed loop is
preceded by an untimed warm-up of 1/20 of its operations.

| workload | promc | client_golang | prometheus-cpp | client_python |
|---|---|---|---|---|
| A: 1e8 × inc of an unlabelled counter, one thread | `promc_counter_inc(c)` (a relaxed load + store on a cache-line stripe the calling thread owns; an atomic add on a shared stripe past the first 7 threads) | `c.Inc()` (atomic add on `valInt`) | `c.Increment()` (CAS loop on an `atomic<double>`) | `c.inc()` (a lock around a float), 1e6 ops |
| B: 1e8 incs of the same counter from 2 threads, each pinned to its own CPU (affinity needs no privilege; unpinned, a loaded machine often runs both on one CPU, taking turns instead of contending); wall time / total ops | as A | as A, 2 goroutines locked to their OS threads | as A, 2 `std::thread`s | as A, 2 threads serialised by the GIL, 1e6 ops |
| C: 2e7 × (child lookup by label values + inc), cycling over 12 (method, code) pairs | `promc_counter_inc(promc_counter_vec_labels(c, m, code))`: FNV-1a hash of the values, then a hit in the calling thread's lookup cache compared in place with the child's escaped label text (no lock); a miss takes the family's read lock and walks a hash chain | `cv.WithLabelValues(m, code).Inc()`: hash of the values, `RWMutex` read lock, compare | `family.Add({{"method", m}, {"code", code}}).Increment()`: builds a `std::map<string,string>`, hashes it, a mutex | `c.labels(m, code).inc()`: tuple key in a dict under a lock, 1e6 ops |
| D: 5e7 × observe on a histogram with buckets .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 | `promc_histogram_observe` (branch-free bucket count, three atomics on hot/cold counts) | `h.Observe` (binary search `sort.SearchFloat64s`, then four atomics on hot/cold counts) | `h.Observe` (bucket search, then a mutex around the sum and bucket updates) | `h.observe`, 1e6 ops |
| E: text exposition of 100 (E10k) or 1,000 (E100k) counter families × 100 children (labels route, status) plus 10 histograms × 10 children (label route), i.e. 11,400 or 101,400 series (a histogram child counts its 12 buckets, `_sum` and `_count`) | `promc_encode(reg, PROMC_FORMAT_TEXT, writer, ctx)` into a reused buffer | `reg.Gather()` + `expfmt.NewEncoder(buf, FmtText)` per family, as `promhttp` does, into a reused `bytes.Buffer` | `TextSerializer().Serialize(reg->Collect())`, as the Exposer does | `generate_latest(reg)` |
| MPA: 5e7 × inc of an unlabelled counter in multi-process mode, one thread; MPB: 2e7 from 2 threads pinned as in B (wall time / total ops); each in a fresh directory under /tmp, removed at exit | `promc_mp_counter_inc(c)` (a CAS loop on the double in the process's mapped file) | — (no multi-process mode) | — (no multi-process mode) | `c.inc()` with `PROMETHEUS_MULTIPROC_DIR` set before the import (a lock around the float in its `mmap_dict` file), 1e6 ops |
| MPE: text render of a multi-process directory that 100 forked processes filled with 1,000 counter series each (label `series`): 100 files, 100,000 entries, 1,000 series out; median of 11 renders (client_python: 5) | `promc_multiprocess_collector_new` on a registry, `promc_encode_buffer` text | — | — | `MultiProcessCollector(reg, path=dir)`, `generate_latest(reg)`; its writers are 100 forked Python processes |
| E memory | RSS (`/proc/self/statm`) after creating the series minus before, / series; and heap in use (glibc's `mallinfo2`, `uordblks` + `hblkhd`: chunks in use, their headers included) after minus before, / series | RSS as promc, after `runtime.GC()` + `debug.FreeOSMemory()` on both sides (live memory, not creation garbage); no heap figure (Go's own allocator) | both as promc (the same glibc malloc under `new`) | RSS as promc, after `gc.collect()`; no heap figure (Python's own allocator) |
| F: HTTP scrapes of 1,000 counter series, `wrk -t2 -c8 --latency` on 127.0.0.1 after a 1 s warm-up; server CPU = utime + stime of the server process from `/proc/PID/stat`, before and after, / requests | `promc_http_server_new` with 2 workers (epoll loop, keep-alive), its own self-metrics included (4 at the time of the run below; 5 since `promc_http_scrape_errors_total`) | `promhttp.HandlerFor(reg, HandlerOpts{})` on `net/http`, registry without Go/process collectors | `Exposer` with civetweb options `num_threads 8` (civetweb holds a thread per open connection, so one per wrk connection) and `enable_keep_alive yes` (off by default), its 3 exposer metrics included | `start_http_server` (wsgiref, a thread per request, HTTP/1.0: a new connection per request) |

Render times are the median of 51 (E10k) or 11 (E100k) renders (client_python:
21 and 5) after one untimed render. `_created` samples: none in any text output
(client_python's are disabled with `PROMETHEUS_DISABLE_CREATED_SERIES=True`).
wrk and the server share the machine's cores, so requests/s is bounded by both;
CPU per request is the steadier server figure.

The machine is shared and its two vCPUs are not always alike: within one run,
B of client_golang and prometheus-cpp (one contended cache line) varies by up
to 2× between rounds, as if the two vCPUs shared a physical core at some times
and not at others. Read B's ratio with its per-round range. `perf stat -e instructions` is not available in this VM (the
script reports instructions per operation for A, C and D where it is).
"""


def write_doc(path, body):
    block = BEGIN + "\n" + body + "\n" + END
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
        if BEGIN in text and END in text:
            pre = text[: text.index(BEGIN)]
            post = text[text.index(END) + len(END):]
            text = pre + block + post
        else:
            text = text.rstrip("\n") + "\n\n## Results\n\n" + block + "\n"
    else:
        text = STATIC_HEAD + block + STATIC_TAIL
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", required=True)
    ap.add_argument("--meta")
    ap.add_argument("--doc")
    ap.add_argument("--plot", help="draw the ns/op figures into this SVG file")
    a = ap.parse_args()
    data = load(a.results)
    if not data:
        sys.exit("report.py: no results in %s" % a.results)
    meta = load_meta(a.meta)
    present = {k[0] for k in data}
    impls = [i for i in IMPLS if i in present]
    z_impls = [i for i in Z_IMPLS if i in present]
    plot_note = None
    if a.plot:
        plot_note = plot(data, impls, a.plot)
        print("(plot: %s)" % (a.plot if plot_note.startswith("![") else plot_note), file=sys.stderr)
    body, _ = generated(data, meta, impls, z_impls, plot_note)
    print(body)
    if a.doc:
        write_doc(a.doc, body)
        print("\n(written to %s)" % a.doc, file=sys.stderr)


if __name__ == "__main__":
    main()
