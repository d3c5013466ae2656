#!/bin/sh
# The test entry point's first step: make sure every tool the tests use is on
# the machine. Missing Debian packages are installed when running as root;
# otherwise the exact command is printed and the run stops.
set -u

missing=""
need() { # need PACKAGE TEST-COMMAND...
    pkg=$1
    shift
    if ! "$@" >/dev/null 2>&1; then
        missing="$missing $pkg"
    fi
}

need libcmocka-dev test -f /usr/include/cmocka.h
need pkg-config command -v pkg-config
need valgrind command -v valgrind
need clang-format command -v clang-format
need clang command -v clang
need prometheus command -v promtool
need python3-prometheus-client /usr/bin/python3 -c 'import prometheus_client'
need python3-yaml /usr/bin/python3 -c 'import yaml'
need golang-go command -v go
need golang-github-prometheus-client-golang-dev \
    test -d /usr/share/gocode/src/github.com/prometheus/client_golang/prometheus
need prometheus-node-exporter command -v prometheus-node-exporter
need prometheus-pushgateway command -v prometheus-pushgateway
# The protobuf format: protoc compiles Debian's metrics.proto (with the
# well-known timestamp.proto from libprotobuf-dev) for python3-protobuf.
need protobuf-compiler command -v protoc
need libprotobuf-dev test -f /usr/include/google/protobuf/timestamp.proto
need python3-protobuf /usr/bin/python3 -c 'import google.protobuf'
need golang-github-prometheus-client-model-dev \
    test -f /usr/share/gocode/src/github.com/prometheus/client_model/io/prometheus/client/metrics.proto
# client_golang 1.14, built offline, writes the protobuf bytes promc's are
# compared with (tests/integration/compare_golang.sh), and is the oracle of
# native histograms (tests/integration/native_vs_go.sh).
need golang-go command -v go
need golang-github-prometheus-client-golang-dev \
    test -d /usr/share/gocode/src/github.com/prometheus/client_golang/prometheus
# The exporters check --web.config.file passwords with crypt(3) (libcrypt's
# header comes with libc6-dev); their tests hash them with htpasswd -B.
need libcrypt-dev test -f /usr/include/crypt.h
need apache2-utils command -v htpasswd

# The CMake and Meson builds and their consumers (tests/check_packaging.sh).
need cmake command -v cmake
need meson command -v meson
need ninja-build command -v ninja

# The installed exporters: units checked by systemd-analyze, socket
# activation through systemd-socket-activate, man pages rendered by man(1),
# static binaries told apart by file(1).
need systemd command -v systemd-socket-activate
need man-db command -v man
need groff-base command -v groff
need file command -v file

# A comma-decimal locale lets the encoder tests prove number rendering
# ignores LC_NUMERIC; generate one when we can (glibc's locales data is there).
if [ "$(id -u)" -eq 0 ] && command -v localedef >/dev/null 2>&1 &&
    ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\{0,1\}8$'; then
    localedef -i de_DE -f UTF-8 de_DE.UTF-8 >/dev/null 2>&1 || true
fi

[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing$missing"
    # The prometheus packages start their daemons when a service manager runs;
    # tests start their own on free ports, so keep packaged services from
    # starting during the install.
    policy=/usr/sbin/policy-rc.d
    created_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
    fi
    status=0
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive $cmd -qq; } >/tmp/promc-deps.log 2>&1 || status=$?
    [ -n "$created_policy" ] && rm -f "$policy"
    if [ "$status" -ne 0 ]; then
        echo "deps: '$cmd' failed; log in /tmp/promc-deps.log" >&2
        tail -20 /tmp/promc-deps.log >&2
        exit 1
    fi
    exit 0
fi
echo "deps: missing packages:$missing" >&2
echo "deps: run as root: apt-get update && $cmd" >&2
exit 1
