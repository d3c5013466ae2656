#!/bin/sh
# Exemplar interop (part of make interop): the OpenMetrics that promc writes
# for counters and a histogram with exemplars (exemplar_dump) against what
# client_golang's expfmt writes for the same calls (exemplar_go/main.go,
# built offline from Debian's packages):
#   1. every sample line, exemplar included, byte for byte (the families are
#      compared as sets of lines: Go sorts them by name and writes HELP
#      before TYPE, which OpenMetrics leaves free);
#   2. client_python's OpenMetrics parser reads both and finds the same
#      samples with the same exemplars (labels, value, timestamp).
#
# usage: tests/integration/exemplars.sh build/integration/exemplar_dump
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 PATH/TO/exemplar_dump" >&2
    exit 2
fi
dump=$1
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3

if ! command -v go >/dev/null 2>&1 ||
    [ ! -d /usr/share/gocode/src/github.com/prometheus/client_golang/prometheus ]; then
    echo "exemplars: missing packages: golang-go golang-github-prometheus-client-golang-dev" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

passed=0
failed=0

(cd "$here/exemplar_go" && GO111MODULE=off GOPATH="$tmp/gopath:/usr/share/gocode" \
    GOCACHE="$tmp/gocache" GOFLAGS="" go build -o "$tmp/exemplar_go" main.go)
"$dump" >"$tmp/promc.om"
"$tmp/exemplar_go" >"$tmp/go.om"

grep -v '^#' "$tmp/promc.om" | LC_ALL=C sort >"$tmp/promc.samples"
grep -v '^#' "$tmp/go.om" | LC_ALL=C sort >"$tmp/go.samples"
if [ "$(grep -c ' # {' "$tmp/promc.samples")" -ne 7 ]; then
    echo "exemplars: FAILED: expected 7 exemplars in promc's output" >&2
    cat "$tmp/promc.om" >&2
    failed=$((failed + 1))
elif ! diff -u "$tmp/go.samples" "$tmp/promc.samples" >&2; then
    echo "exemplars: FAILED: sample lines differ from client_golang's (- Go, + promc)" >&2
    failed=$((failed + 1))
else
    echo "exemplars: sample lines identical to client_golang's"
    passed=$((passed + 1))
fi

if "$python" - "$tmp/promc.om" "$tmp/go.om" <<'PY'; then
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families


def read(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    out = set()
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            e = s.exemplar
            ex = None if e is None else (tuple(sorted(e.labels.items())), e.value, str(e.timestamp))
            out.add((s.name, tuple(sorted(s.labels.items())), s.value, ex))
    return out


promc, go = read(sys.argv[1]), read(sys.argv[2])
n = sum(1 for x in promc if x[3] is not None)
if promc != go or n != 7:
    print("exemplars: client_python reads them differently (%d exemplars)" % n, file=sys.stderr)
    for x in sorted(promc - go, key=repr):
        print("  promc only:", x, file=sys.stderr)
    for x in sorted(go - promc, key=repr):
        print("  Go only:   ", x, file=sys.stderr)
    sys.exit(1)
print("exemplars: client_python parses promc's %d exemplars as it parses Go's" % n)
PY
    passed=$((passed + 1))
else
    echo "exemplars: FAILED: client_python's OpenMetrics parser" >&2
    failed=$((failed + 1))
fi

echo "exemplars: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
