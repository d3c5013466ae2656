#!/usr/bin/python3
"""Decodes promc's protobuf expositions with the real protobuf runtime
(python3-protobuf) and checks them against what other parsers read.

usage:
  check_protobuf.py PROTO_DIR samples EXPOSITION.pb TEXT.txt [OPENMETRICS.om]
  check_protobuf.py PROTO_DIR expect  EXPOSITION.pb EXPECTED.textproto

PROTO_DIR holds io/prometheus/client/metrics_pb2.py, compiled by protoc at
test time (tests/integration/check_protobuf.sh): from Debian's client_model
0.3.0 metrics.proto, or from that file with the fields newer upstream
versions add (MetricFamily.unit, created_timestamp, Histogram.exemplars).

samples: the .pb, decoded and expanded into the samples the text format
shows (x_total, x_bucket{le}, x_sum, x_count, quantiles...), must hold
exactly the samples client_python's text parser reads from TEXT.txt -- same
names, label sets and values (NaN matches NaN) -- and the same family names,
types and help texts. With OPENMETRICS.om (and a proto that knows the newer
fields), created timestamps and units must match the _created samples and
UNIT lines client_python's OpenMetrics parser reads from it.

expect: the .pb's families must equal those written in protobuf text format
in EXPECTED.textproto (families separated by lines holding only "---").

Prints one line and exits 0, or lists every difference and exits 1.
"""

import importlib.util
import math
import os
import sys

from google.protobuf import text_format
from google.protobuf.internal.decoder import _DecodeVarint


def load_pb2(proto_dir):
    path = os.path.join(proto_dir, "io", "prometheus", "client", "metrics_pb2.py")
    spec = importlib.util.spec_from_file_location("metrics_pb2", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def decode(pb2, data):
    """The delimited stream: (uvarint length, MetricFamily)*, nothing after."""
    fams, pos = [], 0
    while pos < len(data):
        n, pos = _DecodeVarint(data, pos)
        if pos + n > len(data):
            raise ValueError("family at byte %d runs past the end" % pos)
        mf = pb2.MetricFamily()
        mf.ParseFromString(data[pos:pos + n])
        fams.append(mf)
        pos += n
    return fams


def num_label(v):
    """le and quantile label values compared as numbers ("1" == "1.0")."""
    return float(v)


def norm_labels(labels):
    out = []
    for k, v in labels.items():
        out.append((k, num_label(v) if k in ("le", "quantile") else v))
    return tuple(sorted(out))


def norm_value(v):
    v = float(v)
    return "NaN" if math.isnan(v) else v


TYPE_WORDS = {0: "counter", 1: "gauge", 2: "summary", 3: "unknown", 4: "histogram"}


def expand(fams, pb2):
    """The samples the text format shows for these families."""
    samples = []
    for mf in fams:
        name = mf.name
        for m in mf.metric:
            base = {lp.name: lp.value for lp in m.label}

            def add(n, extra, v):
                labels = dict(base)
                labels.update(extra)
                samples.append((n, norm_labels(labels), norm_value(v)))

            if mf.type == pb2.COUNTER:
                add(name, {}, m.counter.value)
            elif mf.type == pb2.GAUGE:
                add(name, {}, m.gauge.value)
            elif mf.type == pb2.UNTYPED:
                add(name, {}, m.untyped.value)
            elif mf.type == pb2.SUMMARY:
                for q in m.summary.quantile:
                    add(name, {"quantile": repr(q.quantile)}, q.value)
                add(name + "_sum", {}, m.summary.sample_sum)
                add(name + "_count", {}, m.summary.sample_count)
            elif mf.type == pb2.HISTOGRAM:
                h = m.histogram
                inf = False
                for b in h.bucket:
                    add(name + "_bucket", {"le": repr(b.upper_bound)}, b.cumulative_count)
                    inf = inf or math.isinf(b.upper_bound)
                if not inf:
                    add(name + "_bucket", {"le": "inf"}, h.sample_count)
                add(name + "_sum", {}, h.sample_sum)
                add(name + "_count", {}, h.sample_count)
            else:
                raise ValueError("family %s: unexpected type %d" % (name, mf.type))
    return samples


def family_key(mf, pb2):
    """The family name client_python's text parser gives it."""
    if mf.type == pb2.COUNTER and mf.name.endswith("_total"):
        return mf.name[: -len("_total")]
    return mf.name


def show(s):
    name, labels, value = s
    return "%s{%s} %r" % (name, ",".join("%s=%r" % kv for kv in labels), value)


def check_samples(pb2, pb_path, txt_path, om_path):
    from prometheus_client.parser import text_string_to_metric_families

    fams = decode(pb2, open(pb_path, "rb").read())
    text = open(txt_path, encoding="utf-8").read()
    tfams = list(text_string_to_metric_families(text))
    errors = []

    want = sorted((s.name, norm_labels(s.labels), norm_value(s.value))
                  for f in tfams for s in f.samples)
    got = sorted(expand(fams, pb2))
    wset, gset = list(want), list(got)
    for s in want:
        if s in gset:
            gset.remove(s)
        else:
            errors.append("missing from protobuf: " + show(s))
    for s in got:
        if s in wset:
            wset.remove(s)
        else:
            errors.append("only in protobuf: " + show(s))

    # Families: a text family without samples has no protobuf family.
    tmeta = {f.name: (f.type, f.documentation) for f in tfams if f.samples}
    pmeta = {family_key(mf, pb2): (TYPE_WORDS[mf.type], mf.help) for mf in fams}
    if tmeta != pmeta:
        for k in sorted(set(tmeta) | set(pmeta)):
            if tmeta.get(k) != pmeta.get(k):
                errors.append("family %s: text %r, protobuf %r" % (k, tmeta.get(k), pmeta.get(k)))
    if len(fams) != len(pmeta):
        errors.append("a family name appears twice in the protobuf stream")

    checked = "%d samples, %d families" % (len(got), len(fams))
    if om_path and "created_timestamp" in pb2.Counter.DESCRIPTOR.fields_by_name:
        from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse

        ofams = list(om_parse(open(om_path, encoding="utf-8").read()))
        want_c = sorted((s.name, norm_labels(s.labels), round(s.value, 6))
                        for f in ofams for s in f.samples if s.name.endswith("_created"))
        got_c = []
        for mf in fams:
            base = family_key(mf, pb2)
            for m in mf.metric:
                kind = {pb2.COUNTER: m.counter, pb2.SUMMARY: m.summary,
                        pb2.HISTOGRAM: m.histogram}.get(mf.type)
                if kind is not None and kind.HasField("created_timestamp"):
                    ts = kind.created_timestamp
                    got_c.append((base + "_created", norm_labels({lp.name: lp.value for lp in m.label}),
                                  round(ts.seconds + ts.nanos / 1e9, 6)))
        got_c.sort()
        if want_c != got_c:
            errors.append("created timestamps differ:\n  openmetrics %r\n  protobuf    %r"
                          % (want_c, got_c))
        want_u = {f.name: f.unit for f in ofams if f.unit and f.samples}
        got_u = {family_key(mf, pb2): mf.unit for mf in fams if mf.unit}
        if want_u != got_u:
            errors.append("units differ: openmetrics %r, protobuf %r" % (want_u, got_u))
        checked += ", %d created timestamps, %d units" % (len(got_c), len(got_u))
    return errors, checked


def check_expect(pb2, pb_path, expect_path):
    fams = decode(pb2, open(pb_path, "rb").read())
    blocks = open(expect_path, encoding="utf-8").read().split("\n---\n")
    want = [text_format.Parse(b, pb2.MetricFamily()) for b in blocks if b.strip()]
    errors = []
    if len(want) != len(fams):
        errors.append("%d families, expected %d" % (len(fams), len(want)))
    for i, (w, g) in enumerate(zip(want, fams)):
        if w != g:
            errors.append("family %d differs:\n--- expected\n%s--- decoded\n%s"
                          % (i, text_format.MessageToString(w), text_format.MessageToString(g)))
    return errors, "%d families" % len(fams)


def main(argv):
    if len(argv) < 5 or argv[2] not in ("samples", "expect"):
        print(__doc__, file=sys.stderr)
        return 2
    pb2 = load_pb2(argv[1])
    if argv[2] == "samples":
        errors, checked = check_samples(pb2, argv[3], argv[4], argv[5] if len(argv) > 5 else None)
    else:
        errors, checked = check_expect(pb2, argv[3], argv[4])
    label = "%s (%s)" % (os.path.basename(argv[3]), os.path.basename(os.path.normpath(argv[1])))
    if errors:
        for e in errors:
            print("protobuf: %s: %s" % (label, e), file=sys.stderr)
        return 1
    print("protobuf: %s: %s match" % (label, checked))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
