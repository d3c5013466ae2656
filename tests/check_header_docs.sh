#!/bin/sh
# Every public declaration has a comment of its own: each function
# (PROMC_API), typedef, enum and public macro at the top level of the given
# headers must directly follow a comment, or carry one on its first line.
# The comment states what it does, its errors, ownership and thread safety
# (by review); this check makes sure none is forgotten.
set -u
status=0
for h in "$@"; do
    awk -v file="$h" '
    function report(what) {
        printf "%s:%d: no comment of its own: %s\n", file, NR, what > "/dev/stderr"
        bad++
    }
    {
        line = $0
        if (cont) { cont = (line ~ /\\$/); next }   # continuation of a macro
        trimmed = line; sub(/[ \t]+$/, "", trimmed)
        if (depth == 0 && trimmed != "") {
            decl = (line ~ /^PROMC_API / || line ~ /^typedef / || \
                    line ~ /^#define (PROMC|promc)/)
            guard = (line ~ /^#define PROMC(_[A-Z]+)?_H$/)
            # A section banner (/* ==== */) is not a comment of the declaration.
            commented = (prev ~ /\*\/$/ && prev !~ /^\/\* =+ \*\/$/)
            if (decl && !guard && !commented && !(line ~ /\/\*/))
                report(line)
        }
        cont = (line ~ /^#/ && line ~ /\\$/)
        # extern "C" { ... } between #ifdef __cplusplus lines is no block.
        if (line ~ /^#ifdef __cplusplus/) cpp = 1
        else if (cpp && line ~ /^#endif/) cpp = 0
        else if (!cpp) {
            n = gsub(/\{/, "{", line); m = gsub(/\}/, "}", line)
            depth += n - m
        }
        if (trimmed != "") prev = trimmed
    }
    END { exit bad > 0 }' "$h" || status=1
done
[ "$status" -eq 0 ] && echo "header docs: every public declaration has its own comment"
exit "$status"
