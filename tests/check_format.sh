#!/bin/sh
# Fails when a C file is not formatted as .clang-format says (make format fixes it).
set -u
files=$(git ls-files 'include/*.h' 'lib/*.[ch]' 'tests/*.[ch]' 'examples/*.[ch]' 2>/dev/null)
[ -n "$files" ] || files=$(find include lib tests examples -name '*.[ch]')
bad=0
for f in $files; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f (run: make format)" >&2
        bad=$((bad + 1))
    fi
done
[ "$bad" -eq 0 ] && echo "format: all files formatted"
[ "$bad" -eq 0 ]
