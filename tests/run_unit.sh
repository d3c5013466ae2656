#!/bin/sh
# Runs unit test binaries from the repository root (golden files are found
# relative to it) and prints one summary line; fails if any test failed.
passed=0
failed=0
for t in "$@"; do
    if "$t"; then
        passed=$((passed + 1))
    else
        echo "FAILED: $t" >&2
        failed=$((failed + 1))
    fi
done
echo "unit programs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
