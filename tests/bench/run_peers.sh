#!/bin/bash
# promc against client_golang, prometheus-cpp and client_python on the same
# workloads (A-H, L, M, S, XA, XD, Fz, and multi-process mode's MPA, MPB, MPE
# against client_python's alone; see docs/PERFORMANCE.md), and promc's gzip
# against zlib level 1 (Z), in interleaved rounds, then the table of medians
# [min-max] and promc/peer ratios, written into docs/PERFORMANCE.md between
# its markers (tests/bench/report.py).
#
#   tests/bench/run_peers.sh          # full run: 7 rounds, wrk -d10s (~10 min)
#   QUICK=1 tests/bench/run_peers.sh  # smoke run: 2 rounds, 1/10 of the ops, wrk -d2s;
#                                     # prints the table, leaves the doc alone
#
# Environment: ROUNDS (default 7, QUICK 2), F_SECONDS (wrk duration, default
# 10, QUICK 2), PEERS (default "client_golang prometheus-cpp client_python
# zlib"),
# NO_DOC=1 (print the table only; the default with QUICK=1, NO_DOC=0 writes), NO_INSTALL=1 (never apt-get),
# M_PYTHON=0 (leave out client_python's M, ~40 s a round), PROMC_REV
# (what to call the promc source in the report, e.g. for a `git archive` copy),
# ONLY="C C100 L" (run only these workloads -- of the lists below, F H Fz, M
# and Z; with it, NO_DOC defaults to 1: a partial run never replaces the table).
# Missing Debian packages are installed when run as root; otherwise the
# apt-get command is printed and the peers that need them are skipped.
#
# promc runs twice: "promc" is bench_promc linked against the shared library,
# as `pkg-config --libs promc` links users' programs, and the one the peers
# are compared with; "promc-static" is the same program against libpromc.a.
set -u

cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
    ROUNDS=${ROUNDS:-2}
    F_SECONDS=${F_SECONDS:-2}
    QARG=--quick
else
    ROUNDS=${ROUNDS:-7}
    F_SECONDS=${F_SECONDS:-10}
    QARG=
fi
PEERS=${PEERS:-"client_golang prometheus-cpp client_python zlib"}
OUT=$ROOT/build/bench/peers
RESULTS=$OUT/results.txt
META=$OUT/meta.txt
PY=/usr/bin/python3 # Debian's, where python3-prometheus-client installs
WORKLOADS="A B Bx C C100 C10k Dl1 Dl2 Du1 Du2 Dc1 Dc2 XA XD S1 S2 L G E10k E100k MPA MPB MPE"
HTTP_WORKLOADS="F H Fz"
RUN_M=1
RUN_Z=1
ONLY=${ONLY:-}
if [ -n "$ONLY" ]; then
    only() { # list: the words of list that ONLY names
        local w out=""
        for w in $1; do case " $ONLY " in *" $w "*) out="$out $w" ;; esac; done
        echo "${out# }"
    }
    WORKLOADS=$(only "$WORKLOADS")
    HTTP_WORKLOADS=$(only "$HTTP_WORKLOADS")
    case " $ONLY " in *" M "*) ;; *) RUN_M=0 ;; esac
    case " $ONLY " in *" Z "*) ;; *) RUN_Z=0 ;; esac
    NO_DOC=${NO_DOC:-1}
fi
PROTOBUF='application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited'

log() { printf '%s\n' "$*" >&2; }

# ------------------------------------------------------------ packages

missing=""
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
command -v make >/dev/null 2>&1 || missing="$missing make"
[ -x "$PY" ] || missing="$missing python3"
# The report's plot (docs/performance.svg); without it the report says so.
"$PY" -c 'import matplotlib' 2>/dev/null || missing="$missing python3-matplotlib"
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
for p in $PEERS; do
    case $p in
    client_golang)
        command -v go >/dev/null 2>&1 || missing="$missing golang-go"
        [ -d /usr/share/gocode/src/github.com/prometheus/client_golang/prometheus ] ||
            missing="$missing golang-github-prometheus-client-golang-dev"
        ;;
    prometheus-cpp)
        command -v g++ >/dev/null 2>&1 || missing="$missing g++"
        pkg-config --exists prometheus-cpp-pull prometheus-cpp-core 2>/dev/null ||
            missing="$missing prometheus-cpp-dev"
        ;;
    client_python)
        "$PY" -c 'import prometheus_client' 2>/dev/null || missing="$missing python3-prometheus-client"
        ;;
    zlib)
        [ -f /usr/include/zlib.h ] || missing="$missing zlib1g-dev"
        ;;
    esac
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && [ "${NO_INSTALL:-0}" != 1 ]; then
        log "== installing:$missing"
        # shellcheck disable=SC2086 # one word per package
        if ! { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2; }; then
            log "apt-get install failed; going on with what is there"
        fi
    else
        log "missing packages; as root run: apt-get install -y$missing"
    fi
fi
[ -x "$PY" ] || { log "need $PY for the report"; exit 1; }

# ------------------------------------------------------------ build

mkdir -p "$OUT"
log "== building"
make -s build/bench/bench_promc build/bench/bench_promc-shared >&2 ||
    { log "cannot build promc's benchmark"; exit 1; }
IMPLS="promc promc-static"
for p in $PEERS; do
    case $p in
    client_golang)
        if (cd tests/bench/peers/go && GO111MODULE=off GOPATH="$OUT/gopath:/usr/share/gocode" \
            GOCACHE="$OUT/gocache" GOFLAGS="" go build -o "$OUT/bench_go" main.go) >&2; then
            IMPLS="$IMPLS client_golang"
        else
            log "skipping client_golang: build failed"
        fi
        ;;
    prometheus-cpp)
        # shellcheck disable=SC2046
        if g++ -O2 -std=c++17 -Wall -Wextra tests/bench/peers/cpp/bench.cc -o "$OUT/bench_cpp" \
            $(pkg-config --cflags --libs prometheus-cpp-pull prometheus-cpp-core) -pthread >&2; then
            IMPLS="$IMPLS prometheus-cpp"
        else
            log "skipping prometheus-cpp: build failed"
        fi
        ;;
    client_python)
        if "$PY" -c 'import prometheus_client' 2>/dev/null; then
            IMPLS="$IMPLS client_python"
        else
            log "skipping client_python: prometheus_client not importable by $PY"
        fi
        ;;
    zlib)
        if cc -O2 -Wall -Wextra tests/bench/peers/zlib/zlib1.c -o "$OUT/bench_zlib" -lz >&2; then
            IMPLS="$IMPLS zlib"
        else
            log "skipping zlib: build failed"
        fi
        ;;
    *) log "unknown peer $p" ;;
    esac
done

# The command line of an implementation's benchmark program.
cmd_of() {
    case $1 in
    promc) echo "$ROOT/build/bench/bench_promc-shared" ;;
    promc-static) echo "$ROOT/build/bench/bench_promc" ;;
    client_golang) echo "$OUT/bench_go" ;;
    prometheus-cpp) echo "$OUT/bench_cpp" ;;
    client_python) echo "$PY $ROOT/tests/bench/peers/python/bench.py" ;;
    zlib) echo "$OUT/bench_zlib" ;;
    esac
}

# Whether implementation $1 has workload $2 at all: prometheus-cpp has no
# exemplars, native histograms or protobuf exposition, client_python no
# native histograms, summary quantiles or protobuf; zlib is only Z's
# reference, and Z compares promc's compressor with it alone. (Whether a
# server compresses, Fz, is checked on its first answer instead.)
# client_python's M (1,000,000 series) takes about 40 s a round here (16 s
# to build, 8 s a plain scrape, 16 s a gzip one): M_PYTHON=0 leaves it out.
# Multi-process mode (MPA, MPB, MPE): client_golang and prometheus-cpp have
# none; client_python's MPE takes about 15 s a round (100 forked writers).
supports() {
    case $1:$2 in
    zlib:Z) return 0 ;;
    zlib:* | promc-static:Z | client_golang:Z | prometheus-cpp:Z | client_python:Z) return 1 ;;
    prometheus-cpp:XA | prometheus-cpp:XD | prometheus-cpp:G | prometheus-cpp:H) return 1 ;;
    client_golang:MP* | prometheus-cpp:MP*) return 1 ;;
    client_python:G | client_python:H | client_python:S1 | client_python:S2) return 1 ;;
    client_python:M) [ "${M_PYTHON:-1}" = 1 ] ;;
    esac
    return 0
}

# The implementations rotated by $1 places, so no one always runs first.
rotated() {
    local n=$1 list
    read -r -a list <<<"$IMPLS"
    local k=${#list[@]} i out=""
    for ((i = 0; i < k; i++)); do out="$out ${list[$(((i + n) % k))]}"; done
    echo "${out# }"
}

# ------------------------------------------------------------ machine, versions

# How each program is linked (the report's conditions): link.IMPL says how,
# needs.IMPL lists the shared libraries the binary itself needs (readelf).
needed_of() { # binary
    local libs
    libs=$(readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd' ')
    echo "${libs:-no shared library}"
}
link_meta() {
    local impl bin
    for impl in $IMPLS; do
        bin=
        case $impl in
        promc)
            echo "link.promc=-L build -lpromc (libpromc.so) with an rpath to build"
            bin=$ROOT/build/bench/bench_promc-shared
            ;;
        promc-static)
            echo "link.promc-static=build/libpromc.a"
            bin=$ROOT/build/bench/bench_promc
            ;;
        client_golang)
            echo "link.client_golang=Go's linker, client_golang compiled in"
            bin=$OUT/bench_go
            ;;
        prometheus-cpp)
            echo "link.prometheus-cpp=Debian's shared prometheus-cpp (pkg-config --libs)"
            bin=$OUT/bench_cpp
            ;;
        client_python) echo "link.client_python=interpreted; Debian's python3-prometheus-client" ;;
        zlib)
            echo "link.zlib=-lz, Debian's shared libz"
            bin=$OUT/bench_zlib
            ;;
        esac
        [ -n "$bin" ] && echo "needs.$impl=$(needed_of "$bin")"
    done
}

{
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "nproc=$(nproc)"
    echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "kernel=$(uname -sr)"
    echo "memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    # shellcheck disable=SC1091
    echo "os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
    echo "gcc=$(cc --version | head -1)"
    # PROMC_REV names the source when it is not a git work tree (an export).
    rev=${PROMC_REV:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
    if [ -z "${PROMC_REV:-}" ] && ! git diff --quiet HEAD -- lib include 2>/dev/null; then
        rev="$rev, lib/include with uncommitted changes"
    fi
    echo "promc=$(sed -n 's/^#define PROMC_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' include/promc.h | paste -sd.) ($rev)"
    command -v go >/dev/null 2>&1 && echo "go=$(go version | sed 's/^go version //')"
    echo "client_golang=$(dpkg-query -W -f '${Version}' golang-github-prometheus-client-golang-dev 2>/dev/null)"
    echo "prometheus-cpp=$(pkg-config --modversion prometheus-cpp-core 2>/dev/null)"
    echo "g++=$(g++ --version 2>/dev/null | head -1)"
    echo "client_python=$("$PY" -c 'import importlib.metadata as m; print(m.version("prometheus_client"))' 2>/dev/null)"
    echo "python=$("$PY" --version 2>&1)"
    echo "wrk=$(wrk -v 2>&1 | head -1 | awk '{print $2}')"
    echo "zlib=$(dpkg-query -W -f '${Version}' zlib1g-dev 2>/dev/null)"
    echo "rounds=$ROUNDS"
    echo "quick=$QUICK"
    echo "f_seconds=$F_SECONDS"
    echo "impls=$IMPLS"
    link_meta
} >"$META"

case " $IMPLS " in *" client_python "*)
    if [ "${M_PYTHON:-1}" != 1 ]; then
        echo "absent.client_python.M=not run (M_PYTHON=0)" >>"$META"
        echo "absent.client_python.Mz=not run (M_PYTHON=0)" >>"$META"
    fi
    ;;
esac

# perf: instruction counts are steadier than time on a shared machine, when
# the machine exposes the counters (many VMs do not).
PERF_OK=0
if command -v perf >/dev/null 2>&1 &&
    perf stat -x, -e instructions true 2>&1 >/dev/null | grep -q '^[0-9][0-9]*,'; then
    PERF_OK=1
fi
if [ $PERF_OK = 1 ]; then
    echo "perf=instructions counted" >>"$META"
else
    echo "perf=perf stat -e instructions: not supported here ($(perf stat -x, -e instructions true 2>&1 >/dev/null | head -1 | cut -d, -f1-3))" >>"$META"
fi

# ------------------------------------------------------------ A-E, G, XA, XD

# Both promc programs print "promc ...": the static one's lines are renamed.
relabel() { # impl
    if [ "$1" = promc-static ]; then sed 's/^promc /promc-static /'; else cat; fi
}

: >"$RESULTS"
run_one() { # round impl workload
    local r=$1 impl=$2 w=$3 out
    # shellcheck disable=SC2046
    if out=$(timeout 600 $(cmd_of "$impl") $QARG "$w"); then
        out=$(printf '%s\n' "$out" | relabel "$impl")
        printf '%s\n' "$out" | sed "s/^/$r /" >>"$RESULTS"
        printf '%s\n' "$out" | sed "s/^/  [round $r] /" >&2
    else
        log "  [round $r] $impl $w FAILED"
    fi
}

# ------------------------------------------------------------ F, H, Fz

# Seconds of CPU (user + system, all threads) a process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
TCK=$(getconf CLK_TCK)

# Latency value as wrk prints it (12.3us, 4.5ms, 1.2s) in milliseconds.
wrk_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
        else if (v ~ /m$/) { sub(/m$/, "", v); print v * 60000 }
        else { sub(/s$/, "", v); print v * 1000 } }'
}

# Every server gets a port of its own: no run waits on the last one's.
PORT=19200

# A scrape workload against implementation $2's server: F plain text, H
# delimited protobuf (Accept), Fz text with gzip (Accept-Encoding). The first
# answer, fetched with curl and the same header, must be in the format asked
# for; its body, as it came over the wire, is the body_bytes figure.
run_http() { # round impl workload
    local r=$1 impl=$2 kind=$3 port=$PORT pid i ok=0 t0 t1 w
    PORT=$((PORT + 1))
    local hdr=()
    case $kind in
    H) hdr=(-H "Accept: $PROTOBUF") ;;
    Fz) hdr=(-H "Accept-Encoding: gzip") ;;
    esac
    local head=$OUT/head.$impl.$kind body=$OUT/body.$impl.$kind url=http://127.0.0.1:$port/metrics
    # shellcheck disable=SC2046
    $(cmd_of "$impl") serve "$port" $((F_SECONDS * 3 + 60)) >/dev/null 2>&1 &
    pid=$!
    for i in $(seq 1 100); do
        if curl -sf "${hdr[@]}" -D "$head" -o "$body" "$url"; then
            ok=1
            break
        fi
        sleep 0.1
    done
    if [ $ok = 0 ]; then
        log "  [round $r] $impl $kind: server did not come up"
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return
    fi
    local ctype cenc
    ctype=$(tr -d '\r' <"$head" | sed -n 's/^[Cc]ontent-[Tt]ype: *//p' | tail -1)
    cenc=$(tr -d '\r' <"$head" | sed -n 's/^[Cc]ontent-[Ee]ncoding: *//p' | tail -1)
    [ "$r" = 1 ] && log "  [round $r] $impl $kind: Content-Type: $ctype${cenc:+; Content-Encoding: $cenc}; $(wc -c <"$body") body bytes"
    case $kind in
    H) case $ctype in
        application/vnd.google.protobuf*proto=io.prometheus.client.MetricFamily*encoding=delimited*) ;;
        *)
            ok=0
            log "  [round $r] $impl H: answered \"$ctype\", not delimited protobuf: skipped"
            ;;
        esac ;;
    Fz) if [ "$cenc" != gzip ]; then
            ok=0
            log "  [round $r] $impl Fz: answered without gzip: skipped"
            echo "absent.$impl.Fz=does not compress" >>"$META"
        elif ! gzip -t <"$body" 2>/dev/null; then
            ok=0
            log "  [round $r] $impl Fz: the gzip body does not decompress: skipped"
        fi ;;
    esac
    if [ $ok = 0 ]; then
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return
    fi
    wrk -t2 -c8 -d1s "${hdr[@]}" "$url" >/dev/null 2>&1 # warm-up
    t0=$(cpu_ticks "$pid")
    w=$(wrk -t2 -c8 -d"${F_SECONDS}s" "${hdr[@]}" --latency "$url" 2>&1)
    t1=$(cpu_ticks "$pid")
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    local rps reqs p50 p99 non2xx timeouts
    rps=$(printf '%s\n' "$w" | awk '/^Requests\/sec:/ {print $2}')
    reqs=$(printf '%s\n' "$w" | awk '/ requests in / {print $1}')
    p50=$(wrk_ms "$(printf '%s\n' "$w" | awk '$1 == "50%" {print $2}')")
    p99=$(wrk_ms "$(printf '%s\n' "$w" | awk '$1 == "99%" {print $2}')")
    non2xx=$(printf '%s\n' "$w" | awk '/Non-2xx/ {print $NF}')
    timeouts=$(printf '%s\n' "$w" | awk '/Socket errors/ {print $NF}')
    if [ -z "$rps" ] || [ -z "$reqs" ] || [ "$reqs" = 0 ]; then
        log "  [round $r] $impl $kind: wrk failed: $w"
        return
    fi
    [ -n "$non2xx" ] && log "  [round $r] $impl $kind: $non2xx non-2xx responses"
    [ -n "$timeouts" ] && [ "$timeouts" != 0 ] && log "  [round $r] $impl $kind: $timeouts timeouts"
    local cpu_us bytes
    cpu_us=$(awk -v a="$t0" -v b="$t1" -v t="$TCK" -v n="$reqs" 'BEGIN {printf "%.4g", (b - a) / t / n * 1e6}')
    bytes=$(wc -c <"$body")
    {
        echo "$r $impl $kind rps $rps"
        echo "$r $impl $kind p50_ms $p50"
        echo "$r $impl $kind p99_ms $p99"
        echo "$r $impl $kind cpu_us_per_req $cpu_us"
        echo "$r $impl $kind body_bytes $bytes"
        # The servers' expositions differ a little (self-metrics, number
        # formats; see F's body bytes): the ratio to the decompressed size
        # compares the compression itself.
        if [ "$kind" = Fz ]; then
            local text
            text=$(gzip -dc <"$body" | wc -c)
            echo "$r $impl $kind text_bytes $text"
            echo "$r $impl $kind gz_ratio $(awk -v a="$bytes" -v b="$text" 'BEGIN {printf "%.4g", a / b}')"
        fi
    } | tee -a "$RESULTS" | sed "s/^$r /  [round $r] /" >&2
}

# ------------------------------------------------------------ M

# Kilobytes of the field $2 (VmRSS, VmHWM) of process $1.
vm_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null; }

# Workload M: implementation $2's server of 1,000,000 counter series
# (serve1m), started once a round; one scrape in plain text, then one with
# Accept-Encoding: gzip. For each: curl's time to the last byte, the body as
# sent, and the peak RSS the scrape adds -- VmHWM reset to the current RSS
# by writing 5 to /proc/PID/clear_refs, then VmHWM after the scrape minus
# VmRSS before it. The body must hold the 1,000,000 samples (and, gzipped,
# decompress). Generous bounds: building the series and a scrape can take a
# while, client_python's far longer.
M_SERIES=1000000
run_m() { # round impl
    local r=$1 impl=$2 port=$PORT pid i up=0 bound=300 kind
    PORT=$((PORT + 1))
    [ "$impl" = client_python ] && bound=1200
    local url=http://127.0.0.1:$port/metrics
    # shellcheck disable=SC2046
    $(cmd_of "$impl") serve1m "$port" $((bound * 3)) >/dev/null 2>&1 &
    pid=$!
    # Up once it accepts a connection: every server builds its series
    # before it listens, and a probing scrape would count in what is timed.
    for i in $(seq 1 $((bound * 2))); do
        if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
            up=1
            break
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if [ $up = 0 ]; then
        log "  [round $r] $impl M: server did not come up within ${bound}s"
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return
    fi
    sleep 1
    for kind in M Mz; do
        local hdr=() head=$OUT/head.$impl.$kind body=$OUT/body.$impl.$kind rss hwm t samples
        [ $kind = Mz ] && hdr=(-H "Accept-Encoding: gzip")
        rss=$(vm_kb "$pid" VmRSS)
        if ! echo 5 >"/proc/$pid/clear_refs" 2>/dev/null; then
            log "  [round $r] $impl $kind: cannot reset VmHWM (/proc/$pid/clear_refs)"
            rss=""
        fi
        if ! t=$(curl -s --max-time "$bound" "${hdr[@]}" -D "$head" -o "$body" -w '%{time_total}' "$url"); then
            log "  [round $r] $impl $kind: scrape failed or took over ${bound}s"
            continue
        fi
        hwm=$(vm_kb "$pid" VmHWM)
        if [ $kind = Mz ]; then
            if ! tr -d '\r' <"$head" | grep -qi '^content-encoding: *gzip'; then
                log "  [round $r] $impl Mz: answered without gzip: skipped"
                echo "absent.$impl.Mz=does not compress" >>"$META"
                continue
            fi
            samples=$(gzip -dc <"$body" 2>/dev/null | grep -c '^bench_m_f')
        else
            samples=$(grep -c '^bench_m_f' "$body")
        fi
        if [ "$samples" != $M_SERIES ]; then
            log "  [round $r] $impl $kind: $samples samples in the body, not $M_SERIES: skipped"
            continue
        fi
        {
            echo "$r $impl $kind time_ms $(awk -v t="$t" 'BEGIN {printf "%.4g", t * 1000}')"
            echo "$r $impl $kind body_bytes $(wc -c <"$body")"
            [ -n "$rss" ] && [ -n "$hwm" ] &&
                echo "$r $impl $kind rss_added_mib $(awk -v a="$hwm" -v b="$rss" 'BEGIN {printf "%.4g", (a - b) / 1024}')"
        } | tee -a "$RESULTS" | sed "s/^$r /  [round $r] /" >&2
    done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rm -f "$OUT/body.$impl.M" "$OUT/body.$impl.Mz"
}

# ------------------------------------------------------------ Z

# The inputs: promc's text exposition of F's 1,000 series and of E100k's
# 101,400, written once; every implementation compresses the same bytes.
# Repetitions per run: about 200 MB of input (QUICK 20 MB), 11 to 501 (5 to
# 51), the same for both.
Z_LABELS="Z1k Z100k"
z_input() { echo "$OUT/z_$1.txt"; }
if ! "$ROOT/build/bench/bench_promc" dump F >"$(z_input Z1k)" ||
    ! "$ROOT/build/bench/bench_promc" dump E100k >"$(z_input Z100k)"; then
    log "cannot write Z's inputs"
    exit 1
fi
z_reps() {
    local size
    size=$(wc -c <"$(z_input "$1")")
    if [ "$QUICK" = 1 ]; then
        awk -v s="$size" 'BEGIN {n = int(20e6 / s); print (n < 5 ? 5 : (n > 51 ? 51 : n))}'
    else
        awk -v s="$size" 'BEGIN {n = int(200e6 / s); print (n < 11 ? 11 : (n > 501 ? 501 : n))}'
    fi
}
for z in $Z_LABELS; do echo "z_reps_$z=$(z_reps "$z")" >>"$META"; done

# promc's compressor is internal (lib/gzip.h), not in the shared library's
# API: Z runs the static build's program under the name promc.
z_cmd_of() {
    case $1 in
    promc) cmd_of promc-static ;;
    *) cmd_of "$1" ;;
    esac
}

# Each compressor's output, once, must gunzip back to its input.
Z_IMPLS=""
for impl in $IMPLS; do
    supports "$impl" Z || continue
    okz=1
    for z in $Z_LABELS; do
        # shellcheck disable=SC2046
        if ! $(z_cmd_of "$impl") --reps 1 gzip "$z" "$(z_input "$z")" "$OUT/z.$impl.gz" >/dev/null ||
            ! gzip -dc <"$OUT/z.$impl.gz" | cmp -s - "$(z_input "$z")"; then
            log "skipping $impl Z: its $z output does not decompress to the input"
            okz=0
        fi
    done
    [ $okz = 1 ] && Z_IMPLS="$Z_IMPLS $impl"
done

run_z() { # round impl label
    local r=$1 impl=$2 z=$3 out
    # shellcheck disable=SC2046
    if out=$(timeout 600 $(z_cmd_of "$impl") --reps "$(z_reps "$z")" gzip "$z" "$(z_input "$z")"); then
        printf '%s\n' "$out" | sed "s/^/$r /" >>"$RESULTS"
        printf '%s\n' "$out" | sed "s/^/  [round $r] /" >&2
    else
        log "  [round $r] $impl $z FAILED"
    fi
}

# ------------------------------------------------------------ rounds

log "== $ROUNDS interleaved rounds of: $IMPLS (quick=$QUICK)"
for r in $(seq 1 "$ROUNDS"); do
    order=$(rotated $((r - 1)))
    for w in $WORKLOADS; do
        for impl in $order; do
            supports "$impl" "$w" && run_one "$r" "$impl" "$w"
        done
    done
    for w in $HTTP_WORKLOADS; do
        for impl in $order; do
            supports "$impl" "$w" && run_http "$r" "$impl" "$w"
        done
    done
    for impl in $order; do
        [ $RUN_M = 1 ] && supports "$impl" M && run_m "$r" "$impl"
    done
    [ $RUN_Z = 1 ] && for z in $Z_LABELS; do
        for impl in $order; do
            case " $Z_IMPLS " in *" $impl "*) run_z "$r" "$impl" "$z" ;; esac
        done
    done
done

# ------------------------------------------------------------ perf

if [ $PERF_OK = 1 ]; then
    log "== instructions per operation (perf stat, full minus 1/10 ops)"
    for impl in $IMPLS; do
        for w in A C Dl1; do
            case $impl in client_python) big=200000 ;; *) big=20000000 ;; esac
            small=$((big / 10))
            # shellcheck disable=SC2046
            i1=$(perf stat -x, -e instructions -- $(cmd_of "$impl") --ops $big "$w" 2>&1 >/dev/null | awk -F, '/instructions/ {print $1}')
            # shellcheck disable=SC2046
            i2=$(perf stat -x, -e instructions -- $(cmd_of "$impl") --ops $small "$w" 2>&1 >/dev/null | awk -F, '/instructions/ {print $1}')
            if [ -n "$i1" ] && [ -n "$i2" ]; then
                # the warm-up runs ops/20 more: count it
                echo "1 $impl $w instr_per_op $(awk -v a="$i1" -v b="$i2" -v n="$big" -v m="$small" 'BEGIN {printf "%.4g", (a - b) / ((n - m) * 1.05)}')" |
                    tee -a "$RESULTS" >&2
            fi
        done
    done
fi

# ------------------------------------------------------------ report

args=(--results "$RESULTS" --meta "$META")
# A smoke run only prints: its numbers must not replace the real table, nor
# its plot the real one (it goes to $OUT instead).
if [ "${NO_DOC:-$QUICK}" = 1 ]; then
    args+=(--plot "$OUT/performance.svg")
else
    args+=(--doc "$ROOT/docs/PERFORMANCE.md" --plot "$ROOT/docs/performance.svg")
fi
exec "$PY" "$ROOT/tests/bench/report.py" "${args[@]}"
