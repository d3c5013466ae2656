#!/bin/sh
# The native-histogram oracle (make native-interop, part of make test):
# client_golang 1.14 itself (Debian's, built offline) and promc observe the
# same value sequences with the same settings -- see native_cases.py: uniform
# and log-normal values, negatives and zeros, values around and below the
# zero threshold, subnormals and huge values, bucket boundaries, NaN and
# +-Inf, many bucket factors and zero thresholds, bucket limits that halve
# the resolution, widen the zero bucket or reset -- and every scrape's
# schema, zero threshold, zero count, spans, deltas, count, sum and classic
# buckets must be identical (native_compare.py), as must the text
# exposition. native_cases.py adds 60 cases of random settings and values
# (NATIVE_SEED and NATIVE_RANDOM_CASES change them). When the library writes
# protobuf, promc's records also carry the bytes of a protobuf scrape of the
# same series: they are decoded by python3-protobuf with Debian's
# metrics.proto, compiled here by protoc, and
# compared the same way. client_golang's answer is the expected one.
#
# usage: tests/integration/native_vs_go.sh build/integration/native_dump BUILD_DIR
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 PATH/TO/native_dump BUILD_DIR" >&2
    exit 2
fi
dump=$1
out=$2/native_go
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3

if ! command -v go >/dev/null 2>&1 ||
    [ ! -d /usr/share/gocode/src/github.com/prometheus/client_golang/prometheus ]; then
    echo "native_vs_go: needs golang-go and golang-github-prometheus-client-golang-dev" >&2
    exit 1
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
(cd "$here/native_go" && GO111MODULE=off GOPATH="$out/gopath:/usr/share/gocode" \
    GOCACHE="$out/gocache" GOFLAGS="" go build -o "$out/native_go" main.go)

"$python" "$here/native_cases.py" >"$out/input.txt"
"$out/native_go" <"$out/input.txt" >"$out/client_golang.json"
"$dump" <"$out/input.txt" >"$out/promc.json"
pb_dir=
if grep -q '"pb":' "$out/promc.json"; then
    model=/usr/share/gocode/src/github.com/prometheus/client_model
    if ! command -v protoc >/dev/null 2>&1 || ! "$python" -c 'import google.protobuf' 2>/dev/null; then
        echo "native_vs_go: needs protobuf-compiler and python3-protobuf" >&2
        exit 1
    fi
    pb_dir=$out/pb
    mkdir -p "$pb_dir"
    protoc -I"$model" --python_out="$pb_dir" io/prometheus/client/metrics.proto
    cp "$pb_dir/io/prometheus/client/metrics_pb2.py" "$pb_dir/metrics_pb2.py"
fi
"$python" "$here/native_compare.py" "$out/client_golang.json" "$out/promc.json" $pb_dir
