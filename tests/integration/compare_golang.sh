#!/bin/sh
# promc's protobuf bytes against client_golang 1.14's (Debian's, built
# offline): golang_peer/main.go and protobuf_peer.c fill a registry the same
# way -- a labelled counter with escapes in help and label values, a gauge
# with an empty help, an untyped, a labelled histogram (one child without
# observations), a summary, a counter and a histogram with exemplars (+Inf
# bucket included), and a native histogram -- and each writes it in
# the delimited protobuf format. Every family must be byte for byte the same
# (client_golang sorts families by name, promc keeps registration order, so
# families are matched by name); a difference is shown decoded.
#
# usage: tests/integration/compare_golang.sh BUILD_DIR PROTOBUF_PEER PROTO_DIR
set -eu

if [ $# -ne 3 ]; then
    echo "usage: $0 BUILD_DIR PROTOBUF_PEER PROTO_DIR" >&2
    exit 2
fi
build=$1
peer=$2
proto_dir=$3
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3

missing=""
command -v go >/dev/null 2>&1 || missing="$missing golang-go"
[ -d /usr/share/gocode/src/github.com/prometheus/client_golang/prometheus ] ||
    missing="$missing golang-github-prometheus-client-golang-dev"
if [ -n "$missing" ]; then
    echo "compare-golang: missing packages:$missing (run tests/deps.sh as root)" >&2
    exit 1
fi

mkdir -p "$build/golang_peer"
out=$(cd "$build/golang_peer" && pwd)
(cd "$here/golang_peer" && GO111MODULE=off GOPATH="$out/gopath:/usr/share/gocode" \
    GOCACHE="$out/gocache" GOFLAGS="" go build -o "$out/golang_peer" main.go)
"$out/golang_peer" >"$out/go.pb"
"$peer" >"$out/promc.pb"

"$python" - "$proto_dir" "$out/go.pb" "$out/promc.pb" <<'PY'
import importlib.util, os, sys
from google.protobuf.internal.decoder import _DecodeVarint

spec = importlib.util.spec_from_file_location(
    "metrics_pb2", os.path.join(sys.argv[1], "io", "prometheus", "client", "metrics_pb2.py"))
pb2 = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pb2)

def families(path):
    data, pos, out = open(path, "rb").read(), 0, {}
    while pos < len(data):
        n, pos = _DecodeVarint(data, pos)
        raw = data[pos:pos + n]
        pos += n
        mf = pb2.MetricFamily()
        mf.ParseFromString(raw)
        out[mf.name] = (raw, mf)
    return out

go, promc = families(sys.argv[2]), families(sys.argv[3])
failed = 0
for name in sorted(set(go) | set(promc)):
    if name not in go or name not in promc:
        print("compare-golang: %s only in %s" % (name, "client_golang" if name in go else "promc"),
              file=sys.stderr)
        failed += 1
    elif go[name][0] != promc[name][0]:
        print("compare-golang: %s differs\n--- client_golang\n%s--- promc\n%s"
              % (name, go[name][1], promc[name][1]), file=sys.stderr)
        failed += 1
if failed:
    sys.exit(1)
print("compare-golang: %d families byte for byte as client_golang 1.14 writes them" % len(go))
PY
