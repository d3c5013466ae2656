#!/bin/sh
# Code in the docs is real code: a ```c block that follows a line saying
# "This is [`examples/<dir>/<file>.c`]" must equal that file from its first
# #include on (the file's purpose comment is not repeated). When the page
# then says "Its output:", the next ``` block must be what the built program
# prints (build directory as $1). `make test` runs this through check-docs.
set -u
build=${1:-}
cd "$(dirname "$0")/.."
status=0
checked=0
for md in README.md docs/*.md; do
    # Each example file named in a "This is [`...`]" line of this page.
    for f in $(sed -n 's/^This is \[`\(examples\/[^`]*\.c\)`\].*/\1/p' "$md"); do
        checked=$((checked + 1))
        want=$(mktemp)
        got=$(mktemp)
        sed -n '/^#include/,$p' "$f" >"$want"
        # The first ```c block after the line naming the file.
        awk -v f="$f" '
            index($0, "This is [`" f "`]") == 1 { seen = 1; next }
            seen && /^```c$/ { inblock = 1; next }
            inblock && /^```$/ { exit }
            inblock { print }' "$md" >"$got"
        if ! diff -u "$want" "$got" >/dev/null; then
            echo "$md: the code shown for $f differs from the file:" >&2
            diff -u "$want" "$got" >&2
            status=1
        fi
        # The output shown after "Its output:", if any, against a real run.
        awk -v f="$f" '
            index($0, "This is [`" f "`]") == 1 { seen = 1; next }
            seen && /^```c$/ { code = 1; next }
            code && /^```$/ { code = 0; after = 1; next }
            after && /^Its output:$/ { want = 1; next }
            after && !want && NF { exit }
            want && /^```$/ { if (open) exit; open = 1; next }
            open { print }' "$md" >"$want"
        if [ -s "$want" ] && [ -n "$build" ]; then
            prog=$build/examples/$(basename "$(dirname "$f")")
            checked=$((checked + 1))
            if ! "$prog" >"$got" 2>&1 || ! diff -u "$want" "$got" >/dev/null; then
                echo "$md: the output shown for $f differs from what $prog prints:" >&2
                diff -u "$want" "$got" >&2
                status=1
            fi
        fi
        rm -f "$want" "$got"
    done
done
[ "$status" -eq 0 ] && echo "docs: $checked code examples and outputs match their files"
exit "$status"
