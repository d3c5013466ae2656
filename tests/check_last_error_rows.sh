#!/bin/sh
# The last-error table (tests/unit/test_last_error.c) must have a row for
# every public function that can fail (tests/fallible_functions.sh), and no
# row for one that cannot.
set -u
bin=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$(dirname "$0")/fallible_functions.sh" "$@" >"$tmp/fallible" || exit 1
PROMC_LAST_ERROR_ROWS=$tmp/rows "$bin" >/dev/null 2>&1 || { echo "last error: $bin failed" >&2; exit 1; }
sort -o "$tmp/rows" "$tmp/rows"
if ! diff -u "$tmp/fallible" "$tmp/rows" >"$tmp/diff"; then
    echo "last error: the table differs from the functions that can fail (- no row, + not fallible):" >&2
    grep '^[-+]promc' "$tmp/diff" >&2
    exit 1
fi
echo "last error: $(wc -l <"$tmp/rows") functions that can fail, each with a row"
