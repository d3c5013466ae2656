#!/bin/sh
# `make STATIC=1`: every exporter is a fully static executable (file(1) says
# so, ldd finds nothing to load), answers --version, and one serves a scrape
# with an empty environment, as it would in a FROM scratch image.
# Usage: check_static.sh BUILD NAME...
set -eu
build=$1
shift
fail() {
    echo "static: $*" >&2
    exit 1
}
for name in "$@"; do
    bin=$build/examples/$name
    [ -x "$bin" ] || fail "$bin missing"
    file -b "$bin" | grep -q 'statically linked' || fail "$name: $(file -b "$bin")"
    if ldd "$bin" >/dev/null 2>&1; then
        fail "$name: ldd lists libraries: $(ldd "$bin")"
    fi
    env -i "$bin" --version >/dev/null || fail "$name --version failed"
done

# One of them serving: httpd_exporter on a free port, with no environment
# and its log file missing (it waits for it).
log=$(mktemp)
trap 'rm -f "$log"; [ -z "${pid:-}" ] || kill "$pid" 2>/dev/null || true' EXIT
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env -i "$build/examples/httpd_exporter" --web.listen-address="127.0.0.1:$port" \
    --log-file=/nonexistent/access.log 2>"$log" &
pid=$!
/usr/bin/python3 - "$port" <<'PY' || { cat "$log" >&2; fail "the static httpd_exporter did not serve"; }
import sys, time, urllib.request
url = "http://127.0.0.1:%s/metrics" % sys.argv[1]
for _ in range(100):  # 10 s at most
    try:
        body = urllib.request.urlopen(url, timeout=2).read().decode()
        sys.exit(0 if "httpd_requests_total" in body or "process_cpu_seconds_total" in body else 1)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
kill "$pid"
wait "$pid" || fail "the static httpd_exporter did not stop cleanly on SIGTERM"
pid=
echo "static: $# exporters fully static (file, ldd), one served a scrape with no environment"
