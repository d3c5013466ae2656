#!/bin/sh
# The mistakes the type system refuses: every tests/compile_fail/*.c but the
# control must fail to compile (with -Werror=incompatible-pointer-types, gcc
# 14's default), and the control must compile, with each compiler given.
set -u
dir=$(dirname "$0")/compile_fail
inc=$(dirname "$0")/../include
bad=0
for cc in "$@"; do
    command -v "$cc" >/dev/null 2>&1 || { echo "compile-fail: $cc not found, skipped" >&2; continue; }
    flags="-std=c11 -fsyntax-only -Werror=incompatible-pointer-types -I$inc"
    if ! $cc $flags "$dir/ok_control.c" 2>/dev/null; then
        echo "compile-fail: the control does not compile with $cc" >&2
        $cc $flags "$dir/ok_control.c" >&2
        bad=$((bad + 1))
    fi
    for f in "$dir"/*.c; do
        [ "$(basename "$f")" = ok_control.c ] && continue
        if out=$($cc $flags "$f" 2>&1); then
            echo "compile-fail: $f compiles with $cc but must not" >&2
            bad=$((bad + 1))
        elif ! printf '%s' "$out" | grep -q 'incompatible'; then
            # Refused for the wrong reason (a typo, a missing header).
            echo "compile-fail: $f fails with $cc, but not on the mistake:" >&2
            printf '%s\n' "$out" >&2
            bad=$((bad + 1))
        fi
    done
done
n=$(($(ls "$dir"/*.c | wc -l) - 1))
[ "$bad" -eq 0 ] && echo "compile-fail: $n mistakes refused by the compiler, control compiles"
[ "$bad" -eq 0 ]
