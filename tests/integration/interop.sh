#!/bin/sh
# Interop check (make interop): the expositions promc writes must be read back
# by other implementations exactly as the program that filled the registry
# expects. interop_dump writes text.txt, om.txt and expected.json; then
#   - client_python's text parser reads text.txt      (check_parse.py text)
#   - client_python's OpenMetrics parser reads om.txt (check_parse.py openmetrics)
#   - promtool check metrics parses and lints text.txt
#   - proto.pb, decoded by python3-protobuf (metrics.proto compiled by
#     check_protobuf.sh into PROTO_DIR), holds the samples text.txt holds
#   - the escaped UTF-8-name goldens (tests/data/utf8_names.*) parse with
#     client_python's parsers and promtool, which know only legacy names,
#     and hold the samples of the quoted one (check_escaped.py)
#   - the sample-timestamp goldens (tests/data/timestamps.*) read back as the
#     same instants by both client_python parsers (check_timestamps.py), and
#     promtool lints the text one
# Always Debian's /usr/bin/python3 (python3-prometheus-client), never the
# python3 on PATH.
#
# usage: tests/integration/interop.sh build/integration/interop_dump [PROTO_DIR]
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 PATH/TO/interop_dump [PROTO_DIR]" >&2
    exit 2
fi
dump=$1
proto_dir=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3

missing=""
if ! "$python" -c 'import prometheus_client.parser, prometheus_client.openmetrics.parser' \
    >/dev/null 2>&1; then
    missing="$missing python3-prometheus-client"
fi
if ! command -v promtool >/dev/null 2>&1; then
    missing="$missing prometheus"
fi
if [ -n "$missing" ]; then
    echo "interop: missing packages:$missing" >&2
    echo "interop: install them (as root) with:" \
        "apt-get update && apt-get install -y --no-install-recommends$missing" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

passed=0
failed=0
pass() {
    passed=$((passed + 1))
}
fail() {
    failed=$((failed + 1))
    echo "interop: FAILED: $1" >&2
}

# 1. The dump itself (it also cross-checks promc_registry_get_sample_value).
if "$dump" "$tmp"; then
    pass
else
    fail "$dump $tmp"
    echo "interop: $passed passed, $failed failed"
    exit 1
fi

# 2, 3. client_python's parsers.
if "$python" "$here/check_parse.py" text "$tmp/text.txt" "$tmp/expected.json"; then
    pass
else
    fail "client_python text parser (text.txt)"
fi
if "$python" "$here/check_parse.py" openmetrics "$tmp/om.txt" "$tmp/expected.json"; then
    pass
else
    fail "client_python OpenMetrics parser (om.txt)"
fi

# 4. promtool: parses and lints; any complaint on stderr is a failure too.
status=0
promtool check metrics <"$tmp/text.txt" >"$tmp/promtool.out" 2>"$tmp/promtool.err" || status=$?
if [ "$status" -eq 0 ] && [ ! -s "$tmp/promtool.err" ]; then
    echo "promtool: check metrics clean"
    pass
else
    cat "$tmp/promtool.out" "$tmp/promtool.err" >&2
    fail "promtool check metrics < text.txt (exit $status)"
fi

# 5. The protobuf exposition: the same samples as text.txt, created
# timestamps and units as om.txt.
if [ -n "$proto_dir" ]; then
    if "$python" "$here/check_protobuf.py" "$proto_dir" samples "$tmp/proto.pb" "$tmp/text.txt" \
        "$tmp/om.txt"; then
        pass
    else
        fail "protobuf decode of proto.pb"
    fi
fi

# 6. Names escaped for scrapers without UTF-8 support read back as legacy
# names, with the samples of the quoted exposition; promtool lints them.
data=$here/../data
if "$python" "$here/check_escaped.py" "$data"; then
    pass
else
    fail "client_python parsers on the escaped tests/data/utf8_names.*"
fi
for f in "$data"/utf8_names.underscores.txt "$data"/utf8_names.dots.txt \
    "$data"/utf8_names.values.txt; do
    status=0
    promtool check metrics <"$f" >"$tmp/promtool.out" 2>"$tmp/promtool.err" || status=$?
    if [ "$status" -eq 0 ] && [ ! -s "$tmp/promtool.err" ]; then
        pass
    else
        cat "$tmp/promtool.out" "$tmp/promtool.err" >&2
        fail "promtool check metrics < $f (exit $status)"
    fi
done

# 7. Sample timestamps (tests/data/timestamps.*): client_python's parsers
# read the same instants from both formats; promtool lints the text.
if "$python" "$here/check_timestamps.py" "$data"; then
    pass
else
    fail "client_python parsers on tests/data/timestamps.*"
fi
status=0
promtool check metrics <"$data/timestamps.txt" >"$tmp/promtool.out" 2>"$tmp/promtool.err" ||
    status=$?
if [ "$status" -eq 0 ] && [ ! -s "$tmp/promtool.err" ]; then
    pass
else
    cat "$tmp/promtool.out" "$tmp/promtool.err" >&2
    fail "promtool check metrics < $data/timestamps.txt (exit $status)"
fi

echo "interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
