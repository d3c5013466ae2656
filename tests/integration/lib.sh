# Shared by the integration scripts (sourced, POSIX sh): free ports, bounded
# waits, process cleanup by PID, and HTTP GETs without depending on curl.
# Everything talks to 127.0.0.1 only and every loop has a bound.

PY=/usr/bin/python3
PIDS=""
TMPDIRS=""

cleanup() {
    for pid in $PIDS; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $PIDS; do
        # bounded: SIGKILL after ~5 s
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -9 "$pid" 2>/dev/null || true
    done
    for d in $TMPDIRS; do
        rm -rf "$d"
    done
}
trap cleanup EXIT INT TERM

# start CMD...: runs CMD in the background, remembers its PID in $LAST_PID.
start() {
    "$@" &
    LAST_PID=$!
    PIDS="$PIDS $LAST_PID"
}

new_tmpdir() {
    d=$(mktemp -d)
    TMPDIRS="$TMPDIRS $d"
    echo "$d"
}

# A port nothing listens on right now (bound and released by the kernel's pick).
free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# http_get URL [ACCEPT]: prints the body; non-zero exit on error or non-2xx.
http_get() {
    "$PY" - "$@" <<'PY'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1])
if len(sys.argv) > 2:
    req.add_header("Accept", sys.argv[2])
try:
    with urllib.request.urlopen(req, timeout=5) as r:
        sys.stdout.write(r.read().decode("utf-8"))
except Exception as e:
    sys.stderr.write("GET %s: %s\n" % (sys.argv[1], e))
    sys.exit(1)
PY
}

# wait_http URL SECONDS: polls until URL answers 2xx, at most SECONDS.
wait_http() {
    n=$(($2 * 10))
    i=0
    while [ $i -lt $n ]; do
        if http_get "$1" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    echo "timed out after $2 s waiting for $1" >&2
    return 1
}

# need_pkgs PKG=COMMAND...: fails with the apt-get line for what is missing.
need_pkgs() {
    missing=""
    for pair in "$@"; do
        pkg=${pair%%=*}
        cmd=${pair#*=}
        command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
    done
    if [ -n "$missing" ]; then
        echo "missing packages:$missing" >&2
        echo "install with: apt-get update && apt-get install -y --no-install-recommends$missing" >&2
        exit 1
    fi
}

PASSED=0
FAILED=0
check() { # check DESCRIPTION COMMAND...
    desc=$1
    shift
    if "$@"; then
        PASSED=$((PASSED + 1))
    else
        FAILED=$((FAILED + 1))
        echo "FAIL: $desc" >&2
    fi
}
