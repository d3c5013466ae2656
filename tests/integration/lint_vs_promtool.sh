#!/bin/sh
# promc's linter (promc_registry_lint, promc_text_lint) against `promtool
# check metrics` on the same expositions: lint_cases writes each case's text
# exposition and promc's findings; promtool lints the text; the two lists
# must be the same, line for line (promtool prints "metric text" lines on
# stderr, sorted by metric then text). Skipped, saying so, without promtool.
#
# usage: tests/integration/lint_vs_promtool.sh build/integration/lint_cases
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 PATH/TO/lint_cases" >&2
    exit 2
fi
cases=$1
if ! command -v promtool >/dev/null 2>&1; then
    echo "lint vs promtool: SKIPPED: promtool is not installed (Debian package prometheus;" \
        "tests/deps.sh installs it)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cases" "$tmp"

n=0
findings=0
failed=0
for txt in "$tmp"/*.txt; do
    name=$(basename "$txt" .txt)
    status=0
    promtool check metrics <"$txt" >"$tmp/$name.stdout" 2>"$tmp/$name.promtool" || status=$?
    # 0: clean; 3: lint problems. Anything else (a parse error) is a failure.
    if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
        echo "lint vs promtool: $name: promtool exit $status" >&2
        cat "$tmp/$name.stdout" "$tmp/$name.promtool" >&2
        failed=1
        continue
    fi
    if ! diff -u "$tmp/$name.promtool" "$tmp/$name.promc" >"$tmp/$name.diff"; then
        echo "lint vs promtool: $name: findings differ (- promtool, + promc):" >&2
        cat "$tmp/$name.diff" >&2
        failed=1
    fi
    n=$((n + 1))
    findings=$((findings + $(wc -l <"$tmp/$name.promtool")))
done
[ "$failed" -eq 0 ] || exit 1
echo "lint vs promtool: $n expositions, $findings findings, the same as promtool's"
