#!/bin/sh
# Curried labels and partial-match removal against client_golang 1.14
# (part of make interop): curry_dump.c and curry_go/main.go make the same
# lookups through curried vectors and the same partial-match deletions on
# the base vectors; the deletion counts must be equal, and so must the text
# exposition, compared as sets of lines (client_golang sorts series by
# label values, promc keeps creation order).
#
# Only the base vectors delete by partial match here: on a curried vector,
# client_golang's DeletePartialMatch ignores the curried values (it deletes
# across all of them), where promc adds them to the match (docs/API.md).
#
# usage: tests/integration/curry_vs_go.sh build/integration/curry_dump
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 PATH/TO/curry_dump" >&2
    exit 2
fi
dump=$1
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v go >/dev/null 2>&1 ||
    [ ! -d /usr/share/gocode/src/github.com/prometheus/client_golang/prometheus ]; then
    echo "curry: missing packages: golang-go golang-github-prometheus-client-golang-dev" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

(cd "$here/curry_go" && GO111MODULE=off GOPATH="$tmp/gopath:/usr/share/gocode" \
    GOCACHE="$tmp/gocache" GOFLAGS="" go build -o "$tmp/curry_go" main.go)
"$dump" >"$tmp/promc.txt"
"$tmp/curry_go" >"$tmp/go.txt"

LC_ALL=C sort "$tmp/promc.txt" >"$tmp/promc.sorted"
LC_ALL=C sort "$tmp/go.txt" >"$tmp/go.sorted"
if ! diff -u "$tmp/go.sorted" "$tmp/promc.sorted" >&2; then
    echo "curry: FAILED: counts or series differ from client_golang's (- Go, + promc)" >&2
    exit 1
fi
echo "curry: $(grep -c '^removed' "$tmp/promc.txt") removal counts and" \
    "$(grep -vc -e '^#' -e '^removed' "$tmp/promc.txt") series as client_golang's"
