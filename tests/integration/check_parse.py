#!/usr/bin/python3
"""Reads an exposition back with client_python's parser and compares it with
the expectations interop_dump wrote.

usage: check_parse.py text|openmetrics EXPOSITION EXPECTED_JSON

Every expected sample must be parsed back with the same name, label set and
value (NaN matches NaN; "created" samples must be a Unix time inside the
dump's run; "min"/"max" samples a number in that range; "exact" samples must
also be written with exactly those digits), no other sample may appear, and
the families must have the expected names, types, units and help texts.
Prints "<format>: N samples match" and exits 0, or lists every difference and
exits 1.
"""

import json
import math
import sys

FORMATS = ("text", "openmetrics")


def parse(fmt, text):
    if fmt == "text":
        from prometheus_client.parser import text_string_to_metric_families
    else:
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
    return list(text_string_to_metric_families(text))


def show(name, labels):
    if not labels:
        return name
    body = ",".join("%s=%s" % (k, json.dumps(v, ensure_ascii=False)) for k, v in sorted(labels.items()))
    return "%s{%s}" % (name, body)


def show_value(v):
    if isinstance(v, float) and math.isnan(v):
        return "NaN"
    return repr(v)


def key(name, labels):
    return (name, tuple(sorted(labels.items())))


def to_number(v):
    """expected.json spells non-finite values as strings."""
    if isinstance(v, str):
        return {"NaN": math.nan, "+Inf": math.inf, "-Inf": -math.inf}[v]
    return v


def same_value(want, got):
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return False
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    if isinstance(want, int) and isinstance(got, int):
        return want == got  # exact, even past 2^53 (the OpenMetrics parser keeps ints)
    return float(want) == float(got)


def sample_line(name, labels, digits):
    """The line an unescaped-label sample must appear as, for "exact" checks."""
    for v in labels.values():
        if any(c in v for c in '\\"\n'):
            raise ValueError("exact check needs plain label values: " + show(name, labels))
    body = ",".join('%s="%s"' % kv for kv in labels.items())
    return "%s%s %s" % (name, "{%s}" % body if labels else "", digits)


def check(fmt, exposition_path, expected_path):
    with open(expected_path, encoding="utf-8") as f:
        expected_all = json.load(f)
    expected = expected_all[fmt]
    t0, t1 = expected_all["created_window"]
    problems = []

    # Bytes, strictly decoded: no newline translation, invalid UTF-8 fails.
    with open(exposition_path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return ["exposition is not valid UTF-8: %s" % e], 0
    try:
        fams = parse(fmt, text)
    except Exception as e:  # the parsers raise ValueError, KeyError, IndexError...
        return ["the %s parser rejected the exposition: %s: %s" % (fmt, type(e).__name__, e)], 0

    # Samples.
    got = {}
    for fam in fams:
        for s in fam.samples:
            k = key(s.name, s.labels)
            if k in got:
                problems.append("duplicate sample: %s" % show(s.name, s.labels))
            got[k] = s
            if s.timestamp is not None:
                problems.append("unexpected timestamp on %s: %r" % (show(s.name, s.labels), s.timestamp))
            if getattr(s, "exemplar", None) is not None:
                problems.append("unexpected exemplar on %s" % show(s.name, s.labels))

    want = {}
    for e in expected["samples"]:
        k = key(e["name"], e["labels"])
        if k in want:
            problems.append("expected.json lists %s twice" % show(e["name"], e["labels"]))
        want[k] = e

    lines = set(text.split("\n"))
    matched = 0
    for k, e in want.items():
        where = show(e["name"], e["labels"])
        s = got.get(k)
        if s is None:
            problems.append("missing: %s" % where)
            continue
        v = s.value
        if "value" in e:
            ok = same_value(to_number(e["value"]), v)
            detail = "expected %s" % e["value"]
        elif e.get("created"):
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and t0 - 1 <= v <= t1 + 1
            detail = "expected a Unix time in [%r, %r]" % (t0 - 1, t1 + 1)
        else:
            lo, hi = to_number(e["min"]), to_number(e["max"])
            ok = isinstance(v, (int, float)) and lo <= v <= hi  # NaN fails
            detail = "expected a value in [%r, %r]" % (lo, hi)
        if ok and "exact" in e:
            line = sample_line(e["name"], e["labels"], e["exact"])
            if line not in lines:
                ok = False
                detail = "expected the line %r" % line
        if ok:
            matched += 1
        else:
            problems.append("wrong value: %s = %s, %s" % (where, show_value(v), detail))
    for k, s in got.items():
        if k not in want:
            problems.append("unexpected: %s = %s" % (show(s.name, s.labels), show_value(s.value)))

    # Families.
    seen = {}
    for fam in fams:
        if fam.name in seen:
            problems.append("family %s appears twice" % fam.name)
        seen[fam.name] = fam
    want_fams = {f["name"]: f for f in expected["families"]}
    for name, f in want_fams.items():
        fam = seen.get(name)
        if fam is None:
            problems.append("missing family: %s (%s)" % (name, f["type"]))
            continue
        if fam.type != f["type"]:
            problems.append("family %s: type %r, expected %r" % (name, fam.type, f["type"]))
        if "unit" in f and fam.unit != f["unit"]:
            problems.append("family %s: unit %r, expected %r" % (name, fam.unit, f["unit"]))
        if "help" in f and fam.documentation != f["help"]:
            problems.append("family %s: help %r, expected %r" % (name, fam.documentation, f["help"]))
    for name, fam in seen.items():
        if name not in want_fams:
            problems.append("unexpected family: %s (%s)" % (name, fam.type))
    if not problems:
        print("%s: %d samples match, %d families match" % (fmt, matched, len(want_fams)))
    return problems, matched


def main(argv):
    if len(argv) != 4 or argv[1] not in FORMATS:
        sys.stderr.write("usage: check_parse.py text|openmetrics EXPOSITION EXPECTED_JSON\n")
        return 2
    fmt = argv[1]
    problems, _ = check(fmt, argv[2], argv[3])
    if problems:
        for p in problems:
            sys.stderr.write("%s: %s\n" % (fmt, p))
        sys.stderr.write("%s: %d problem(s)\n" % (fmt, len(problems)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
