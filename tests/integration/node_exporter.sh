#!/bin/sh
# The textfile writer against a real node_exporter: it must re-export what
# promc wrote, with no textfile scrape error, and pick up a rewrite.
# usage: tests/integration/node_exporter.sh build/integration/textfile_writer
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_pkgs prometheus-node-exporter=prometheus-node-exporter
writer=$1
dir=$(new_tmpdir)
logs=$(new_tmpdir)
port=$(free_port)
start prometheus-node-exporter --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$dir" --web.listen-address="127.0.0.1:$port" \
    2>"$logs/node_exporter.log"
url="http://127.0.0.1:$port/metrics"
wait_http "$url" 10

# value SAMPLE LABELS_JSON: the sample's value as node_exporter exposes it,
# read with client_python's parser.
value() {
    http_get "$url" | "$PY" -c '
import json, sys
from prometheus_client.parser import text_string_to_metric_families
name, labels = sys.argv[1], json.loads(sys.argv[2])
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        if s.name == name and s.labels == labels:
            print(repr(s.value)); sys.exit(0)
sys.exit("no sample %s %s" % (name, labels))' "$1" "$2"
}

is() { [ "$(value "$1" "$2")" = "$3" ]; }

check "write the file" "$writer" "$dir/promc.prom" 1700000000
check "gauge re-exported" is promc_batch_last_success_timestamp_seconds '{}' 1700000000.0
check "counter with escaped label re-exported" \
    is promc_batch_rows_processed_total '{"table": "users \"main\""}' 1234.0
check "no textfile scrape error" is node_textfile_scrape_error '{}' 0.0
check "rewrite" "$writer" "$dir/promc.prom" 1700000100
check "rewritten value re-exported" is promc_batch_last_success_timestamp_seconds '{}' 1700000100.0
check "no temporary files left" test "$(ls "$dir")" = promc.prom
[ "$FAILED" -eq 0 ] || cat "$logs/node_exporter.log" >&2
echo "node_exporter textfile: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
