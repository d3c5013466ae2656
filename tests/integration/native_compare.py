#!/usr/bin/python3
"""Compares what client_golang (GO file) and promc (PROMC file) printed for
the native-histogram oracle, field by field (NaN equals NaN; the text
exposition sample by sample). When promc's records carry protobuf bytes
("pb") and PB_DIR (a directory holding metrics_pb2.py, protoc's output for
Debian's metrics.proto) is given, those bytes are decoded and compared with
client_golang's fields too. Exits 1 on the first differences (at most 20
shown).

usage: native_compare.py GO PROMC [PB_DIR]"""
import json
import math
import sys


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def samples(text):
    """The lines of a text exposition: comments as they are, samples as
    (name{labels}, value as a float)."""
    out = []
    for line in text.splitlines():
        if line.startswith("#") or not line:
            out.append(line)
            continue
        key, value = line.rsplit(" ", 1)
        out.append((key, float(value)))
    return out


def from_protobuf(hexbytes):
    """The fields of the one histogram series in a delimited protobuf
    exposition, named as in the JSON records."""
    from google.protobuf.internal.decoder import _DecodeVarint
    import metrics_pb2
    data = bytes.fromhex(hexbytes)
    n, pos = _DecodeVarint(data, 0)
    mf = metrics_pb2.MetricFamily()
    mf.ParseFromString(data[pos:pos + n])
    if pos + n != len(data) or len(mf.metric) != 1:
        raise ValueError("expected one family with one series")
    h = mf.metric[0].histogram
    rec = {"count": h.sample_count, "sum": h.sample_sum,
           "buckets": [[b.upper_bound, b.cumulative_count] for b in h.bucket
                       if not math.isinf(b.upper_bound)]}
    if h.HasField("schema"):
        rec.update({"native": True, "schema": h.schema, "zero_threshold": h.zero_threshold,
                    "zero_count": h.zero_count,
                    "pos_spans": [[s.offset, s.length] for s in h.positive_span],
                    "pos_deltas": list(h.positive_delta),
                    "neg_spans": [[s.offset, s.length] for s in h.negative_span],
                    "neg_deltas": list(h.negative_delta)})
    return rec


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


go, promc = load(sys.argv[1]), load(sys.argv[2])
pb_dir = sys.argv[3] if len(sys.argv) > 3 else None
if pb_dir:
    sys.path.insert(0, pb_dir)
errors = []
pb_compared = 0
noop_spans = 0
if len(go) != len(promc):
    errors.append(f"{len(go)} records from client_golang, {len(promc)} from promc")
fields = ["count", "sum", "buckets", "native", "schema", "zero_threshold", "zero_count",
          "pos_spans", "pos_deltas", "neg_spans", "neg_deltas"]
scrapes = 0
for g, p in zip(go, promc):
    where = f"{g.get('case')} scrape {g.get('scrape', 'text')}"
    if g.get("case") != p.get("case"):
        errors.append(f"{where}: out of step with promc's {p.get('case')}")
        break
    if "text" in g:
        gs, ps = samples(g["text"]), samples(p["text"])
        if len(gs) != len(ps) or not all(
                (x == y) if isinstance(x, str) else (x[0] == y[0] and same(x[1], y[1]))
                for x, y in zip(gs, ps)):
            errors.append(f"{where}: text differs:\n--- client_golang\n{g['text']}--- promc\n{p['text']}")
        continue
    scrapes += 1
    for k in fields:
        if not same(g.get(k), p.get(k)):
            errors.append(f"{where}: {k}: client_golang {g.get(k)!r}, promc {p.get(k)!r}")
    if pb_dir and "pb" in p:
        pb_compared += 1
        d = from_protobuf(p["pb"])
        # The one deliberate difference: for a native histogram with no
        # bucket, a zero threshold of 0 and an empty zero bucket, promc's
        # protobuf sink writes a positive span {0, 0} (the rule of
        # client_golang >= 1.15, so that readers tell it from a classic
        # histogram); client_golang 1.14 writes none. Accepted exactly there.
        if (g.get("native") and g.get("pos_spans") == [] and g.get("neg_spans") == []
                and g.get("zero_threshold") == 0 and g.get("zero_count") == 0
                and d.get("pos_spans") == [[0, 0]] and d.get("pos_deltas") == []):
            d["pos_spans"] = []
            noop_spans += 1
        for k in fields:
            if not same(g.get(k), d.get(k)):
                errors.append(f"{where}: {k} (protobuf): client_golang {g.get(k)!r}, "
                              f"promc {d.get(k)!r}")
for e in errors[:20]:
    print("native_vs_go:", e, file=sys.stderr)
if errors:
    sys.exit(1)
print(f"native_vs_go: {scrapes} scrapes ({pb_compared} also through protobuf bytes, "
      f"{noop_spans} with the empty span of client_golang >= 1.15) and "
      f"{len(go) - scrapes} text expositions identical")
