#!/bin/sh
# Pushgateway check: starts the real Debian prometheus-pushgateway on a free
# loopback port (in memory, no persistence) and drives it with push_client:
# PUT, POST (add), PUT again (replace), DELETE, and a push the gateway must
# refuse (a type clash), reading the gateway's /metrics after each step.
# Everything is bounded in time; the gateway is killed by PID on exit.
#
# usage: tests/integration/pushgateway.sh [build/integration/push_client]
set -u

client=${1:-build/integration/push_client}
gateway_bin=/usr/bin/prometheus-pushgateway
python=/usr/bin/python3

if [ ! -x "$gateway_bin" ]; then
    echo "pushgateway: $gateway_bin is missing; install it (as root) with:" \
        "apt-get update && apt-get install -y --no-install-recommends prometheus-pushgateway" >&2
    exit 1
fi
if [ ! -x "$client" ]; then
    echo "pushgateway: $client is not built (make $client)" >&2
    exit 1
fi
if command -v curl >/dev/null 2>&1; then
    fetcher=curl
elif [ -x "$python" ]; then
    fetcher=python
else
    echo "pushgateway: neither curl nor $python to read the gateway; install one with:" \
        "apt-get update && apt-get install -y --no-install-recommends curl" >&2
    exit 1
fi

tmp=$(mktemp -d)
gw_pid=
cleanup() {
    if [ -n "$gw_pid" ]; then
        kill "$gw_pid" 2>/dev/null
        wait "$gw_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# GET url > stdout; fails on connection errors and non-2xx answers.
fetch() {
    if [ "$fetcher" = curl ]; then
        curl -sf --max-time 5 "$1"
    else
        "$python" -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1" \
            2>/dev/null
    fi
}

free_port() {
    if [ -x "$python" ]; then
        "$python" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
    else
        echo $((20000 + ($$ + $1 * 7919) % 30000))
    fi
}

# Start the gateway; a port taken between choosing and binding is retried.
port=
for attempt in 1 2 3; do
    p=$(free_port "$attempt")
    "$gateway_bin" --web.listen-address="127.0.0.1:$p" --persistence.file="" \
        --log.level=warn >"$tmp/gateway.log" 2>&1 &
    gw_pid=$!
    i=0
    while [ $i -lt 100 ]; do
        if fetch "http://127.0.0.1:$p/-/ready" >/dev/null; then
            port=$p
            break
        fi
        kill -0 "$gw_pid" 2>/dev/null || break
        sleep 0.1
        i=$((i + 1))
    done
    [ -n "$port" ] && break
    kill "$gw_pid" 2>/dev/null
    wait "$gw_pid" 2>/dev/null
    gw_pid=
done
if [ -z "$port" ]; then
    echo "pushgateway: the gateway did not become ready; its log:" >&2
    cat "$tmp/gateway.log" >&2
    exit 1
fi
gw="http://127.0.0.1:$port"

passed=0
failed=0
pass() {
    passed=$((passed + 1))
}
fail() {
    failed=$((failed + 1))
    echo "pushgateway: FAILED: $1" >&2
}

# push ACTION: runs push_client, its stderr kept in $tmp/err.
push() {
    "$client" "$gw" "$1" 2>"$tmp/err"
}

scrape() {
    if ! fetch "$gw/metrics" >"$tmp/metrics"; then
        echo "pushgateway: cannot read $gw/metrics" >&2
        : >"$tmp/metrics"
    fi
}

# has LINE / lacks PATTERN in the last scrape.
has() {
    grep -qxF "$1" "$tmp/metrics"
}
lacks() {
    ! grep -qF "$1" "$tmp/metrics"
}

G='instance="a/b",job="promc_test"'
REQ="promc_test_requests_total{$G}"
TEMP="promc_test_temperature_celsius{$G,room=\"lab\"}"
ADDED="promc_test_added{$G}"

# 1. PUT: a counter and a labelled gauge arrive with job and grouping labels.
if push put; then
    scrape
    if has "$REQ 3" && has "$TEMP 21.5" && has "# TYPE promc_test_requests_total counter" &&
        has "# TYPE promc_test_temperature_celsius gauge"; then
        pass
    else
        fail "PUT: values or labels missing from /metrics"
        grep promc_test "$tmp/metrics" >&2
    fi
else
    fail "PUT: $(cat "$tmp/err")"
fi

# 2. POST adds a metric and keeps the others.
if push add; then
    scrape
    if has "$ADDED 7" && has "$REQ 3" && has "$TEMP 21.5"; then
        pass
    else
        fail "POST: expected all three metrics"
        grep promc_test "$tmp/metrics" >&2
    fi
else
    fail "POST: $(cat "$tmp/err")"
fi

# 3. PUT replaces the whole group.
if push replace; then
    scrape
    if has "$REQ 5" && lacks "promc_test_temperature_celsius{" && lacks "promc_test_added{"; then
        pass
    else
        fail "PUT (replace): expected only promc_test_requests_total 5"
        grep promc_test "$tmp/metrics" >&2
    fi
else
    fail "PUT (replace): $(cat "$tmp/err")"
fi

# 4. DELETE removes the group, the gateway's push_time_seconds with it.
if push delete; then
    scrape
    if lacks "$G" && grep -q '^pushgateway_' "$tmp/metrics"; then
        pass
    else
        fail "DELETE: the group is still there"
        grep promc_test "$tmp/metrics" >&2
    fi
else
    fail "DELETE: $(cat "$tmp/err")"
fi

# 5. A push the gateway refuses: its 400 message comes back.
if push clash-counter; then
    if push clash-gauge; then
        fail "type clash: the gateway accepted a gauge named like an existing counter"
    elif grep -q "pushgateway answered 400: .*inconsistent with existing metrics" "$tmp/err"; then
        echo "pushgateway: refused as expected: $(cat "$tmp/err")"
        pass
    else
        fail "type clash: unexpected error: $(cat "$tmp/err")"
    fi
else
    fail "type clash, first push: $(cat "$tmp/err")"
fi

# 6. Nothing listening: a quick, named connection error.
closed=$(free_port 9)
if "$client" "http://127.0.0.1:$closed" delete 2>"$tmp/err"; then
    fail "push to a closed port succeeded"
elif grep -q "PROMC_EIO: connect to 127.0.0.1:$closed: Connection refused" "$tmp/err"; then
    pass
else
    fail "push to a closed port: unexpected error: $(cat "$tmp/err")"
fi

echo "pushgateway: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
