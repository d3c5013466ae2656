#!/bin/sh
# promc's gzip writer against the real decoders: every golden exposition,
# empty input, one byte, random (incompressible) data, a long run of one
# byte and about 100 MB of exposition are compressed by gzip_tool (in pieces
# of several sizes) and must come back byte for byte through Debian's gzip
# (which also checks the CRC and length) and Python's zlib.
#
# usage: tests/integration/gzip_roundtrip.sh build/integration/gzip_tool
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tool=$1
dir=$(new_tmpdir)

# roundtrip NAME FILE PIECE: compress, then decode with both decoders.
roundtrip() {
    "$tool" "$3" <"$2" >"$dir/z.gz" &&
        gzip -dc <"$dir/z.gz" | cmp -s - "$2" &&
        "$PY" -c '
import sys, zlib
data = open(sys.argv[1], "rb").read()
want = open(sys.argv[2], "rb").read()
d = zlib.decompressobj(wbits=31)
got = d.decompress(data) + d.flush()
sys.exit(0 if got == want and d.eof and not d.unused_data else 1)' "$dir/z.gz" "$2"
}

for f in "$here"/../data/*.txt "$here"/../data/*.om; do
    for piece in 16384 7 100000; do
        check "$(basename "$f") in pieces of $piece" roundtrip "$f" "$f" "$piece"
    done
done
: >"$dir/empty"
check "empty input" roundtrip empty "$dir/empty" 16384
printf x >"$dir/one"
check "one byte" roundtrip one "$dir/one" 16384
head -c 3000000 /dev/urandom >"$dir/random"
check "3 MB of random bytes" roundtrip random "$dir/random" 16384
"$PY" -c 'import sys; sys.stdout.write("a" * 2000000)' >"$dir/run"
check "a run of 2 MB of one byte" roundtrip run "$dir/run" 65536
"$PY" - "$dir/big" <<'PY'
import random, sys
random.seed(7)
routes = ["/api/v1/items", "/api/v1/users", "/healthz", "/metrics", "/login"]
with open(sys.argv[1], "w") as f:
    n = 0
    i = 0
    while n < 100_000_000:
        line = 'app_http_requests_total{route="%s",status="%d",instance="i-%05d"} %d\n' % (
            routes[i % 5], 200 + (i // 5) % 5, i // 25 % 40000, random.randrange(10**9))
        if i % 1000 == 0:
            line = "# HELP app_family_%d Something.\n# TYPE app_family_%d counter\n" % (i, i) + line
        f.write(line)
        n += len(line)
        i += 1
PY
check "100 MB of exposition" roundtrip big "$dir/big" 16384
ratio=$(awk -v a="$(wc -c <"$dir/z.gz")" -v b="$(wc -c <"$dir/big")" 'BEGIN {printf "%.3f", a / b}')
echo "  (100 MB of exposition compressed to $ratio of its size)"

echo "gzip round trips: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
