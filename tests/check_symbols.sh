#!/bin/sh
# The shared library must export exactly the public API: every promc_*
# function and variable declared with PROMC_API in the public headers, and
# nothing else (internal promc__ helpers stay hidden).
set -eu
lib=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Declared: the identifier before the first '(' (functions) or the last
# identifier before '[' / ';' (variables) on PROMC_API lines, joined across
# line breaks.
for h in "$@"; do
    tr '\n' ' ' <"$h" | sed 's/;/;\n/g' | grep 'PROMC_API' | sed 's/.*PROMC_API//' |
        sed -n -e 's/^[^(]*[^a-z_0-9]\(promc_[a-z_0-9]*\) *(.*/\1/p' \
            -e 's/^[^(]*[^a-z_0-9]\(promc_[a-z_0-9]*\) *\[.*/\1/p'
done | sort -u >"$tmp/declared"
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDRB]$/ {print $3}' | sort -u >"$tmp/exported"
if ! diff -u "$tmp/declared" "$tmp/exported" >"$tmp/diff"; then
    echo "exported symbols differ from the public headers (- declared only, + exported only):" >&2
    cat "$tmp/diff" >&2
    exit 1
fi
# Docs stay true to the code: every public symbol is named in docs/API.md.
undocumented=$(while read -r sym; do
    grep -q "\b$sym\b" docs/API.md || echo "$sym"
done <"$tmp/exported")
if [ -n "$undocumented" ]; then
    echo "public symbols missing from docs/API.md:" >&2
    echo "$undocumented" >&2
    exit 1
fi
echo "symbols: $(wc -l <"$tmp/exported") exported, all declared public and documented"
