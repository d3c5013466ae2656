#!/bin/sh
# End to end with a real Prometheus server: it scrapes a small promc program
# every second, and the values of a counter, a gauge, a labelled histogram
# (through histogram_quantile) and an info must come back through its query
# API. Prometheus asks for gzip, so this also proves the compressed answers
# are what it stored; the server's byte counters show they were compressed.
# Run three times: with Prometheus' default Accept header (2.42 prefers
# OpenMetrics, so promc answers OpenMetrics), with the target forced to the
# text format 0.0.4, and with --enable-feature=native-histograms, which makes
# 2.42 ask for protobuf first. (Prometheus 2.42 has no scrape_protocols
# setting.) Which format was parsed shows in what Prometheus stored: an info
# is "info" metadata only from OpenMetrics, and the bucket le="1" is stored
# as le="1.0" from OpenMetrics and protobuf (Prometheus formats the bound),
# as "1" from text.
#
# The OpenMetrics and protobuf rounds also run with exemplar storage: the
# counter's exemplar and the classic histogram's (bucket le="0.5") must come
# back from /api/v1/query_exemplars with their labels and values. The
# protobuf round reads the native histogram too: histogram_count and
# histogram_sum must be what was observed, and histogram_quantile(0.5) must
# lie in the native bucket that holds the true median. Of its exemplars,
# Prometheus 2.42 stores one a scrape: the first a classic bucket carries
# (for a native-only histogram the +Inf one, the latest exemplar); it does
# not know Histogram.exemplars (field 16, newer than its metrics.proto) and
# skips them. The test requires the +Inf one, accepts the others only with
# the right labels and value, and says how many it found.
#
# usage: tests/integration/prometheus_e2e.sh build/integration/e2e_target
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_pkgs prometheus=prometheus
target_bin=$1

query() { # query PROMQL: prints the first result's value, or nothing
    "$PY" - "$prom_url" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
url = sys.argv[1] + "/api/v1/query?" + urllib.parse.urlencode({"query": sys.argv[2]})
with urllib.request.urlopen(url, timeout=5) as r:
    d = json.load(r)
res = d.get("data", {}).get("result", [])
if res:
    print(res[0]["value"][1])
PY
}

# wait_value PROMQL EXPECTED: polls (bounded) until the query returns EXPECTED
# (compared as floats within 1e-9 relative).
wait_value() {
    i=0
    got=""
    while [ $i -lt 150 ]; do
        got=$(query "$1" 2>/dev/null || true)
        if [ -n "$got" ] && "$PY" -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if abs(a-b) <= 1e-9*max(1,abs(b)) else 1)" "$got" "$2"; then
            return 0
        fi
        sleep 0.2
        i=$((i + 1))
    done
    echo "query '$1': got '$got', want $2" >&2
    return 1
}

# The target's health and last scrape error from the targets API.
target_clean() {
    "$PY" - "$prom_url" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/api/v1/targets", timeout=5) as r:
    t = json.load(r)["data"]["activeTargets"][0]
if t["health"] != "up" or t["lastError"]:
    sys.exit("target health %r, lastError %r" % (t["health"], t["lastError"]))
PY
}

# metadata_is METRIC TYPE: the type Prometheus recorded, which tells which
# format it parsed (an info is "info" only in OpenMetrics).
metadata_is() {
    "$PY" - "$prom_url" "$1" "$2" <<'PY'
import json, sys, urllib.parse, urllib.request
q = urllib.parse.urlencode({"match_target": '{job="promc"}', "metric": sys.argv[2]})
with urllib.request.urlopen(sys.argv[1] + "/api/v1/targets/metadata?" + q, timeout=5) as r:
    d = json.load(r)["data"]
types = [m["type"] for m in d]
if types != [sys.argv[3]]:
    sys.exit("metadata of %s: %r, want %r" % (sys.argv[2], types, sys.argv[3]))
PY
}

# in_range PROMQL LO HI: polls (bounded) until the query returns a value in
# [LO, HI].
in_range() {
    i=0
    got=""
    while [ $i -lt 150 ]; do
        got=$(query "$1" 2>/dev/null || true)
        if [ -n "$got" ] && "$PY" -c "import sys; v,lo,hi=map(float,sys.argv[1:]); sys.exit(0 if lo <= v <= hi else 1)" "$got" "$2" "$3"; then
            return 0
        fi
        sleep 0.2
        i=$((i + 1))
    done
    echo "query '$1': got '$got', want a value in [$2, $3]" >&2
    return 1
}

# exemplars SELECTOR: prints what /api/v1/query_exemplars has for SELECTOR
# over the last hour, one JSON object an exemplar: {"series": LABELS,
# "labels": LABELS, "value": NUMBER}.
exemplars() {
    "$PY" - "$prom_url" "$1" <<'PY'
import json, sys, time, urllib.parse, urllib.request
now = time.time()
q = urllib.parse.urlencode({"query": sys.argv[2], "start": now - 3600, "end": now + 60})
with urllib.request.urlopen(sys.argv[1] + "/api/v1/query_exemplars?" + q, timeout=5) as r:
    d = json.load(r)
for s in d.get("data") or []:
    for e in s["exemplars"]:
        print(json.dumps({"series": s["seriesLabels"], "labels": e["labels"],
                          "value": float(e["value"])}))
PY
}

# wait_exemplar SELECTOR SERIES_LABELS EXEMPLAR_LABELS VALUE: polls (bounded)
# until an exemplar with exactly EXEMPLAR_LABELS and VALUE is stored for a
# series SELECTOR matches whose labels include SERIES_LABELS (label sets as
# JSON objects).
wait_exemplar() {
    i=0
    while [ $i -lt 150 ]; do
        if exemplars "$1" 2>/dev/null | "$PY" -c '
import json, sys
series, labels, value = json.loads(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3])
for line in sys.stdin:
    e = json.loads(line)
    if series.items() <= e["series"].items() and e["labels"] == labels and e["value"] == value:
        sys.exit(0)
sys.exit(1)' "$2" "$3" "$4"; then
            return 0
        fi
        sleep 0.2
        i=$((i + 1))
    done
    echo "no exemplar $3 $4 on $1 $2; stored:" >&2
    exemplars "$1" >&2 || true
    return 1
}

# native_exemplars: the native histogram's exemplars Prometheus stored.
# The latest (17, also the +Inf bucket's) must be there; any other must be
# one of the observed values with its own trace_id. Says how many of the
# eight others (only in Histogram.exemplars) it found.
native_exemplars() {
    wait_exemplar e2e_native_seconds '{}' '{"trace_id": "native-17"}' 17 || return 1
    exemplars e2e_native_seconds | "$PY" -c '
import json, sys
seen = set()
for line in sys.stdin:
    e = json.loads(line)
    v = e["value"]
    if e["labels"] != {"trace_id": "native-%g" % v} or v not in (0, 1, 2, 3, 5, 7, 11, 13, 17):
        sys.exit("unexpected native exemplar %r" % e)
    seen.add(v)
print("prometheus e2e: native histogram: %d of the 8 exemplars only in Histogram.exemplars stored"
      % len(seen - {17}))'
}

run_round() { # run_round NAME META_METRIC META_TYPE LE_ONE PROMETHEUS_FLAGS [text]
    name=$1
    meta_metric=$2
    meta_type=$3
    le_one=$4
    prom_flags=$5
    shift 5
    dir=$(new_tmpdir)
    tport=$(free_port)
    start "$target_bin" "$tport" "$@"
    target_pid=$LAST_PID
    wait_http "http://127.0.0.1:$tport/-/healthy" 10
    pport=$(free_port)
    cat >"$dir/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: promc
    static_configs:
      - targets: ['127.0.0.1:$tport']
YML
    start prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
        --web.listen-address="127.0.0.1:$pport" --log.level=warn $prom_flags 2>"$dir/prometheus.log"
    prom_pid=$LAST_PID
    prom_url="http://127.0.0.1:$pport"
    wait_http "$prom_url/-/ready" 30

    check "$name: target up" wait_value 'up{job="promc"}' 1
    check "$name: counter" wait_value 'e2e_jobs_processed_total' 42
    check "$name: gauge" wait_value 'e2e_temperature_celsius' 21.5
    check "$name: histogram count" wait_value 'e2e_request_duration_seconds_count{path="/a"}' 10
    check "$name: histogram_quantile" wait_value \
        'histogram_quantile(0.5, sum by (le) (e2e_request_duration_seconds_bucket{path="/a"}))' 0.3
    check "$name: +Inf bucket" wait_value 'e2e_request_duration_seconds_bucket{path="/b",le="+Inf"}' 1
    check "$name: info" wait_value 'e2e_build_info{version="1.2.3",branch="main"}' 1
    # Prometheus asks for gzip: what it stored above came compressed.
    check "$name: scrapes were gzip-compressed" wait_value \
        'count(promc_http_scrape_response_bytes_total < 0.8 * promc_http_scrape_exposition_bytes_total)' 1
    check "$name: target healthy, no scrape error" target_clean
    check "$name: metadata type $meta_type" metadata_is "$meta_metric" "$meta_type"
    check "$name: bucket le=\"$le_one\"" wait_value \
        "e2e_request_duration_seconds_bucket{path=\"/a\",le=\"$le_one\"}" 10
    case $prom_flags in *exemplar-storage*)
        check "$name: counter exemplar" wait_exemplar e2e_jobs_processed_total '{}' \
            '{"trace_id": "e2e-counter"}' 1
        check "$name: classic histogram exemplar" wait_exemplar \
            'e2e_request_duration_seconds_bucket{path="/a"}' '{"le": "0.5"}' \
            '{"trace_id": "e2e-classic"}' 0.3
        ;;
    esac
    case $prom_flags in *native-histograms*)
        # Observed: 0 1 2 3 5 7 11 13 17 (e2e_target.c).
        check "$name: native histogram_count" wait_value 'histogram_count(e2e_native_seconds)' 9
        check "$name: native histogram_sum" wait_value 'histogram_sum(e2e_native_seconds)' 59
        # The median, 5, is in the schema-3 bucket (2^(18/8), 2^(19/8)].
        check "$name: native histogram_quantile in the median's bucket" in_range \
            'histogram_quantile(0.5, e2e_native_seconds)' \
            "$("$PY" -c 'print(repr(2 ** (18 / 8)))')" "$("$PY" -c 'print(repr(2 ** (19 / 8)))')"
        check "$name: native histogram exemplars" native_exemplars
        ;;
    esac

    [ "$FAILED" -eq 0 ] || cat "$dir/prometheus.log" >&2
    kill "$prom_pid" "$target_pid" 2>/dev/null || true
    wait "$prom_pid" 2>/dev/null || true
    wait "$target_pid" 2>/dev/null || true
}

# The OpenMetrics and protobuf rounds' scrapes are streamed (chunked), the
# text round's whole (Content-Length): Prometheus must store both alike.
run_round openmetrics e2e_build info 1.0 --enable-feature=exemplar-storage stream
run_round text e2e_build_info gauge 1 "" text
run_round protobuf e2e_build_info gauge 1.0 --enable-feature=native-histograms,exemplar-storage \
    stream
echo "prometheus e2e: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
