#!/bin/sh
# Protobuf check (make check-protobuf): every protobuf golden file in
# tests/data is decoded by python3-protobuf with metrics.proto compiled by
# protoc here, twice:
#   debian/    Debian's client_model 0.3.0 metrics.proto as installed
#   upstream/  the same file with the fields newer upstream versions add
#              (MetricFamily.unit 5, Counter.created_timestamp 3,
#              Summary.created_timestamp 4, Histogram.created_timestamp 15,
#              Histogram.exemplars 16), inserted here by field number
# X.pb with a text golden X.txt must yield exactly the samples client_python
# reads from X.txt (and, decoded with upstream/, the created timestamps and
# units it reads from X.om); X.pb with X.textproto must decode to exactly
# those families.
# Always Debian's /usr/bin/python3 (python3-protobuf), never the python3 on PATH.
#
# usage: tests/integration/check_protobuf.sh BUILD_DIR
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
out=$1/proto
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../data
python=/usr/bin/python3
model=/usr/share/gocode/src/github.com/prometheus/client_model
rel=io/prometheus/client/metrics.proto

missing=""
command -v protoc >/dev/null 2>&1 || missing="$missing protobuf-compiler"
[ -f /usr/include/google/protobuf/timestamp.proto ] || missing="$missing libprotobuf-dev"
"$python" -c 'import google.protobuf' >/dev/null 2>&1 || missing="$missing python3-protobuf"
[ -f "$model/$rel" ] || missing="$missing golang-github-prometheus-client-model-dev"
if [ -n "$missing" ]; then
    echo "check-protobuf: missing packages:$missing (run tests/deps.sh as root)" >&2
    exit 1
fi

rm -rf "$out"
mkdir -p "$out/debian" "$out/upstream-src/io/prometheus/client" "$out/upstream"
protoc -I"$model" -I/usr/include --python_out="$out/debian" "$rel"

"$python" - "$model/$rel" "$out/upstream-src/$rel" <<'EOF'
import re
import sys

src = open(sys.argv[1]).read()
adds = [
    # (the line after which to insert, the field)
    (r"optional Exemplar exemplar = 2;",
     "optional google.protobuf.Timestamp created_timestamp = 3;"),
    (r"repeated Quantile quantile\s*= 3;",
     "optional google.protobuf.Timestamp created_timestamp = 4;"),
    (r"repeated double positive_count\s*= 14;.*",
     "optional google.protobuf.Timestamp created_timestamp = 15;\n"
     "  repeated Exemplar exemplars = 16;"),
    (r"repeated Metric\s+metric = 4;", "optional string unit = 5;"),
]
for after, field in adds:
    src, n = re.subn("(" + after + ")", lambda m: m.group(1) + "\n  " + field, src, count=1)
    if n != 1:
        sys.exit("check-protobuf: cannot find %r in %s" % (after, sys.argv[1]))
open(sys.argv[2], "w").write(src)
EOF
protoc -I"$out/upstream-src" -I/usr/include --python_out="$out/upstream" "$rel"

passed=0
failed=0
run() {
    if "$python" "$here/check_protobuf.py" "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
}
for pb in "$data"/*.pb; do
    base=${pb%.pb}
    for proto in debian upstream; do
        if [ -f "$base.txt" ]; then
            om=
            [ -f "$base.om" ] && om=$base.om
            run "$out/$proto" samples "$pb" "$base.txt" $om
        elif [ -f "$base.textproto" ] && [ "$proto" = upstream ]; then
            run "$out/$proto" expect "$pb" "$base.textproto"
        fi
    done
done
echo "check-protobuf: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
