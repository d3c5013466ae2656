#!/bin/bash
# promc against an earlier revision of itself: builds tests/bench/bench_promc
# from REV (a git archive of it, into build/bench/rev-REV) and from the work
# tree, runs workloads A-E of both in interleaved rounds (the order swapped
# every round, so drift in the machine's load hits both alike), and prints
# the median [min-max] of each figure and the ratio now/REV. A workload one
# side lacks (the D streams before they replaced D, say) is left out of the
# table. A performance change is judged on this before the peer comparison
# (make bench-peers).
#
#   tests/bench/compare_revs.sh REV [NEW]      # NEW: a second revision instead of the work tree
#   ROUNDS=N (default 7), WORKLOADS="A D ..." (the workloads to run)
#
# Lower is better for every figure but E's RSS, which is compared the same way.
set -u
cd "$(dirname "$0")/../.." || exit 1
rev=${1:?usage: compare_revs.sh REV [NEW]}
rounds=${ROUNDS:-7}
short=$(git rev-parse --short "$rev") || exit 1

# The benchmark of a revision, built once from a git archive of it.
build_rev() {
    local dir=build/bench/rev-$1
    if [ ! -x "$dir/build/bench/bench_promc" ]; then
        rm -rf "$dir" && mkdir -p "$dir"
        git archive "$1" | tar -x -C "$dir" || exit 1
        make -s -C "$dir" build/bench/bench_promc >&2 || { echo "cannot build $1" >&2; exit 1; }
    fi
    echo "$dir/build/bench/bench_promc"
}
oldbin=$(build_rev "$short") || exit 1
if [ -n "${2:-}" ]; then
    newname=$(git rev-parse --short "$2") || exit 1
    newbin=$(build_rev "$newname") || exit 1
else
    newname=now
    newbin=build/bench/bench_promc
    make -s "$newbin" >&2 || exit 1
fi

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for ((r = 1; r <= rounds; r++)); do
    for w in ${WORKLOADS:-A B C Dl1 Dl2 Du1 Du2 Dc1 Dc2 E10k E100k}; do
        if ((r % 2)); then order="old new"; else order="new old"; fi
        for who in $order; do
            if [ "$who" = old ]; then bin=$oldbin; else bin=$newbin; fi
            "$bin" "$w" | sed "s/^promc/$who/" >>"$results" || { echo "$who $w failed" >&2; exit 1; }
        done
    done
    echo "round $r of $rounds done" >&2
done

/usr/bin/python3 - "$results" "$short" "$newname" <<'PY'
import statistics, sys
path, short, newname = sys.argv[1], sys.argv[2], sys.argv[3]
vals = {}
for line in open(path):
    who, w, metric, v = line.split()
    vals.setdefault((w, metric), {}).setdefault(who, []).append(float(v))
print(f"| figure | {short} (before) | {newname} | {newname} / {short} |")
print("|---|---|---|---|")
def cell(xs):
    return f"{statistics.median(xs):.4g} [{min(xs):.4g}-{max(xs):.4g}]"
for (w, metric), d in vals.items():
    if "old" not in d or "new" not in d:
        continue
    ratios = [n / o for n, o in zip(d["new"], d["old"]) if o]
    r = statistics.median(d["new"]) / statistics.median(d["old"])
    rng = f" [{min(ratios):.3g}-{max(ratios):.3g}]" if ratios else ""
    print(f"| {w} {metric} | {cell(d['old'])} | {cell(d['new'])} | {r:.3f}x{rng} |")
PY
