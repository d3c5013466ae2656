#!/usr/bin/python3
"""Reads the escaped expositions of tests/data/utf8_names.* back with
client_python's parsers (which know only the legacy name grammars) and checks
that they hold the samples of the quoted one, utf8_names.txt, in the same
order with the same values, every name a legacy one.

usage: check_escaped.py DATA_DIR

Prints "escaped: N expositions, M samples each" and exits 0, or lists every
difference and exits 1.
"""

import math
import re
import sys

METRIC = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def quoted_values(path):
    """The values of the quoted exposition, read off the end of its lines."""
    values = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                values.append(float(line.rstrip("\n").rsplit(" ", 1)[1]))
    return values


def parsed(fmt, path):
    if fmt == "text":
        from prometheus_client.parser import text_string_to_metric_families
    else:
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
    with open(path, encoding="utf-8") as f:
        return [s for fam in text_string_to_metric_families(f.read()) for s in fam.samples]


def main():
    data = sys.argv[1]
    want = quoted_values(data + "/utf8_names.txt")
    errors = []
    cases = [("text", "utf8_names.underscores.txt"), ("text", "utf8_names.dots.txt"),
             ("text", "utf8_names.values.txt"), ("openmetrics", "utf8_names.values.om")]
    for fmt, name in cases:
        samples = parsed(fmt, data + "/" + name)
        if fmt == "openmetrics":  # _created samples are OpenMetrics only
            samples = [s for s in samples if not s.name.endswith("_created")]
        got = [s.value for s in samples]
        if len(got) != len(want) or any(
                not (a == b or (math.isnan(a) and math.isnan(b))) for a, b in zip(got, want)):
            errors.append("%s: values %r, want %r" % (name, got, want))
        for s in samples:
            if not METRIC.match(s.name) or any(not LABEL.match(k) for k in s.labels):
                errors.append("%s: not a legacy name: %s %r" % (name, s.name, s.labels))
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)
    print("escaped: %d expositions, %d samples each" % (len(cases), len(want)))


if __name__ == "__main__":
    main()
