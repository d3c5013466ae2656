"""Sample timestamps read back by client_python's parsers.

tests/data/timestamps.txt and timestamps.om are the golden expositions of
the same collector series stamped with promc_emit_*_ts (tests/unit/
test_timestamps.c). Every OpenMetrics timestamp must read back as exactly
the milliseconds the text line ends with, and the text parser must read the
same instants. One known client_python bug is allowed for: its OpenMetrics
parser drops the sign of a timestamp between -1 and 0 seconds.

usage: check_timestamps.py tests/data
"""
import os
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om
from prometheus_client.parser import text_string_to_metric_families as parse_text


def key(sample):
    return (sample.name, tuple(sorted(sample.labels.items())))


def main():
    data = sys.argv[1]
    text = open(os.path.join(data, "timestamps.txt")).read()
    om = open(os.path.join(data, "timestamps.om")).read()
    want = {}  # sample line (name and labels as written) -> milliseconds
    for line in text.splitlines():
        if line and not line.startswith("#"):
            want[line.rsplit(" ", 2)[0]] = int(line.rsplit(" ", 1)[1])
    text_ts = {key(s): s.timestamp for f in parse_text(text) for s in f.samples}
    failed = 0
    checked = 0
    for f in parse_om(om):
        for s in f.samples:
            ts = s.timestamp
            ms = ts.sec * 1000 + ts.nsec // 1000000
            # The text sample of the same series: OpenMetrics writes le="1.0"
            # where text writes le="1", so match by the parsed label set.
            labels = dict(s.labels)
            if "le" in labels and labels["le"].endswith(".0"):
                labels["le"] = labels["le"][:-2]
            k = (s.name, tuple(sorted(labels.items())))
            if k not in text_ts:
                print("check_timestamps: %s has no text sample" % (k,), file=sys.stderr)
                failed += 1
                continue
            expected = round(text_ts[k] * 1000)
            if ms != expected and not (-1000 < expected < 0 and ms == -expected):
                print("check_timestamps: %s: OpenMetrics reads %d ms, text %d ms" % (k, ms, expected),
                      file=sys.stderr)
                failed += 1
            checked += 1
    if sorted(round(t * 1000) for t in text_ts.values()) != sorted(want.values()):
        print("check_timestamps: the text parser read other timestamps than the lines hold",
              file=sys.stderr)
        failed += 1
    if failed:
        sys.exit(1)
    print("check_timestamps: %d samples, the same instants in text and OpenMetrics" % checked)


main()
