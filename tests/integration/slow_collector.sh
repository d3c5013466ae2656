#!/bin/sh
# The scrape deadline with a real Prometheus: it scrapes a promc program
# every 2 s with scrape_timeout 2s, and two of the program's collectors
# sleep 5 s (tests/integration/slow_target.c). The target must stay up with
# no scrape error, the fast family must arrive, the slow collector's family
# must not, the "stale" collector's last result must stand in for it, and
# promc_collector_timeouts_total must count both. Everything on 127.0.0.1,
# every wait bounded.
#
# usage: tests/integration/slow_collector.sh build/integration/slow_target
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

# wait_value PROMQL EXPECTED: polls (at most 30 s) until the query returns
# EXPECTED.
wait_value() {
    i=0
    got=""
    while [ $i -lt 150 ]; do
        got=$(query "$1" 2>/dev/null || true)
        if [ -n "$got" ] && "$PY" -c "import sys; sys.exit(0 if float(sys.argv[1]) == float(sys.argv[2]) else 1)" "$got" "$2"; then
            return 0
        fi
        sleep 0.2
        i=$((i + 1))
    done
    echo "query '$1': got '$got', want $2" >&2
    return 1
}

# The target's health, last error and last scrape duration (under 2 s).
target_clean() {
    "$PY" - "$prom_url" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/api/v1/targets", timeout=5) as r:
    t = json.load(r)["data"]["activeTargets"][0]
if t["health"] != "up" or t["lastError"] or not t["lastScrapeDuration"] < 2:
    sys.exit("target health %r, lastError %r, lastScrapeDuration %r"
             % (t["health"], t["lastError"], t["lastScrapeDuration"]))
PY
}

dir=$(new_tmpdir)
tport=$(free_port)
start "$target_bin" "$tport" 5
target_pid=$LAST_PID
wait_http "http://127.0.0.1:$tport/-/healthy" 10
pport=$(free_port)
cat >"$dir/prometheus.yml" <<YML
global:
  scrape_interval: 2s
  scrape_timeout: 2s
scrape_configs:
  - job_name: slow
    static_configs:
      - targets: ['127.0.0.1:$tport']
YML
start prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$pport" --log.level=warn 2>"$dir/prometheus.log"
prom_pid=$LAST_PID
prom_url="http://127.0.0.1:$pport"
wait_http "$prom_url/-/ready" 30

check "target up" wait_value 'up{job="slow"}' 1
check "the fast family arrives" wait_value 'e2e_fast_value' 7
check "the slow collector's timeouts are counted" wait_value \
    'promc_collector_timeouts_total{collector="slow"} > bool 0' 1
check "the stale collector timed out too" wait_value \
    'promc_collector_timeouts_total{collector="stale"} > bool 0' 1
check "its last result stood in" wait_value 'e2e_stale_value' 1
check "the slow family is absent" wait_value 'absent(e2e_slow_value)' 1
check "every scrape answered within the timeout" wait_value \
    'max_over_time(scrape_duration_seconds{job="slow"}[1m]) < bool 2' 1
check "target healthy, no scrape error" target_clean

[ "$FAILED" -eq 0 ] || cat "$dir/prometheus.log" >&2
kill "$prom_pid" "$target_pid" 2>/dev/null || true
wait "$prom_pid" 2>/dev/null || true
wait "$target_pid" 2>/dev/null || true
echo "slow collector e2e: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
