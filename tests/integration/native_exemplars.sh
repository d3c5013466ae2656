#!/bin/sh
# The native-exemplar oracle (make native-interop, part of make test): the
# exemplars a native histogram keeps, case by case as client_golang keeps
# them (nativeExemplars in prometheus/histogram.go, v1.21 to v1.24 at least;
# native exemplars came in v1.20 with another replacement rule). The
# cases (native_exemplar_cases.py: sizes, TTLs, latencies, repeated values,
# powers of two, one instant, expiry, zeros, negatives, infinities, clocks
# that stall or step back) go through promc's set and the IDs kept after
# each step must be those in tests/data/native_exemplars.golden, which
# client_golang v1.24.1's own code wrote.
#
# Debian's client_golang is 1.14, older than native exemplars, so make test
# compares with the committed answers. Given a client_golang checkout, this
# script copies nativeExemplars out of it (the only edit: dto.Exemplar
# becomes native_exemplar_go's Exemplar), builds it offline with Debian's
# Go packages, runs it on the same cases and compares it with promc and with
# the golden file; with UPDATE=1 it rewrites the golden file from it.
#
# usage: tests/integration/native_exemplars.sh build/integration/native_exemplar_dump BUILD_DIR
#            [CLIENT_GOLANG_CHECKOUT]
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 PATH/TO/native_exemplar_dump BUILD_DIR [CLIENT_GOLANG_CHECKOUT]" >&2
    exit 2
fi
dump=$1
out=$2/native_exemplars
here=$(cd "$(dirname "$0")" && pwd)
golden=$here/../data/native_exemplars.golden
mkdir -p "$out"
out=$(cd "$out" && pwd)

/usr/bin/python3 "$here/native_exemplar_cases.py" >"$out/input.txt"
"$dump" <"$out/input.txt" >"$out/promc.txt"
if [ $# -eq 3 ]; then
    src=$3/prometheus/histogram.go
    if [ ! -f "$src" ]; then
        echo "native_exemplars: no $src" >&2
        exit 1
    fi
    gosrc=$out/go
    rm -rf "$gosrc"
    mkdir -p "$gosrc"
    cp "$here/native_exemplar_go/main.go" "$gosrc/main.go"
    {
        printf 'package main\n\nimport (\n\t"math"\n\t"sync"\n\t"time"\n)\n\n'
        awk '/^type nativeExemplars struct/ { on = 1 }
             on { print }
             /^func \(n \*nativeExemplars\) addExemplar/ { last = 1 }
             last && /^}/ { exit }' "$src" | sed 's/dto\.Exemplar/Exemplar/g'
    } >"$gosrc/client_golang.go"
    if ! grep -q '^func (n \*nativeExemplars) addExemplar' "$gosrc/client_golang.go"; then
        echo "native_exemplars: no nativeExemplars.addExemplar in $src" >&2
        exit 1
    fi
    (cd "$gosrc" && GO111MODULE=off GOPATH="$out/gopath:/usr/share/gocode" \
        GOCACHE="$out/gocache" GOFLAGS="" go build -o "$out/native_exemplar_go" .)
    "$out/native_exemplar_go" <"$out/input.txt" >"$out/client_golang.txt"
    if [ "${UPDATE:-0}" = 1 ]; then
        cp "$out/client_golang.txt" "$golden"
    fi
    if ! cmp -s "$out/client_golang.txt" "$golden"; then
        diff "$golden" "$out/client_golang.txt" | head -20 >&2
        echo "native_exemplars: the checkout's answers differ from $golden" >&2
        exit 1
    fi
fi
if ! cmp -s "$out/promc.txt" "$golden"; then
    diff "$golden" "$out/promc.txt" | head -20 >&2
    echo "native_exemplars: promc keeps other exemplars than client_golang (above: < client_golang, > promc)" >&2
    exit 1
fi
echo "native_exemplars: $(grep -c . "$golden") sets, as client_golang keeps them"
