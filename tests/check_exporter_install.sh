#!/bin/sh
# The exporters as an operator gets them: `make install DESTDIR=... PREFIX=/usr`
# puts each real exporter where Debian's prometheus-*-exporter packages put
# theirs -- /usr/bin/prometheus-<x>-exporter, its man page, its systemd unit,
# /etc/default/prometheus-<x>-exporter -- and no demo. Each unit passes
# `systemd-analyze verify` (its ExecStart and EnvironmentFile pointed into
# DESTDIR, its man page found there) and its `systemd-analyze security`
# exposure is at most MAX_EXPOSURE; each man page renders through man(1)
# without a warning and lists every flag --help lists; each environment file
# is what the binary writes, private, and names every variable. An edited
# environment file survives install and uninstall; uninstall removes the
# rest. Usage: check_exporter_install.sh BUILD NAME...
set -eu
build=$1
shift
MAX_EXPOSURE=2.0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage
fail() {
    echo "exporter install: $*" >&2
    exit 1
}
mk() { make --no-print-directory -s BUILD="$build" PREFIX=/usr DESTDIR="$stage" "$@"; }

mk install >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log" >&2; fail "make install failed"; }

exposures=""
for name in "$@"; do
    pkg=prometheus-$(echo "$name" | tr _ -)
    bin=$stage/usr/bin/$pkg
    man=$stage/usr/share/man/man1/$pkg.1
    unit=$stage/usr/lib/systemd/system/$pkg.service
    env=$stage/etc/default/$pkg

    # The binary, under its installed name.
    [ -x "$bin" ] || fail "$bin missing or not executable"
    version=$("$bin" --version)
    case $version in "$pkg "*" (promc "*")") ;; *) fail "$pkg --version: $version" ;; esac
    "$bin" --help >"$tmp/help"
    # Every flag --help lists ("--name", "--[no-]name"), for the man page.
    sed -n 's/^  \(-h, \)\{0,1\}--\(\[no-\]\)\{0,1\}\([a-z0-9.-]*\).*/\3/p' "$tmp/help" | sort -u \
        >"$tmp/flags"
    [ -s "$tmp/flags" ] || fail "$pkg --help lists no flags"

    # The man page renders without a warning and lists every flag.
    [ -f "$man" ] || fail "$man missing"
    cmp -s "$man" "$build/dist/$name.1" || fail "$man differs from $build/dist/$name.1"
    LC_ALL=C.UTF-8 MANWIDTH=100 man -l --warnings "$man" >"$tmp/rendered" 2>"$tmp/warnings" ||
        fail "man -l $man failed: $(cat "$tmp/warnings")"
    [ -s "$tmp/warnings" ] && fail "man -l --warnings $man: $(cat "$tmp/warnings")"
    # groff writes a minus sign as U+2212 in UTF-8; flags are typed with '-'.
    sed 's/\xe2\x88\x92/-/g' "$tmp/rendered" >"$tmp/text"
    while read -r flag; do
        grep -q -- "--\(\[no-\]\)\{0,1\}$flag\b" "$tmp/text" ||
            fail "the man page of $pkg lacks --$flag"
    done <"$tmp/flags"
    grep -q "^NAME" "$tmp/text" && grep -q "^ENVIRONMENT" "$tmp/text" ||
        fail "the man page of $pkg lacks NAME or ENVIRONMENT"

    # The environment file: what the binary writes, root's only, every
    # variable of --help named.
    [ -f "$env" ] || fail "$env missing"
    [ "$(stat -c %a "$env")" = 600 ] || fail "$env is mode $(stat -c %a "$env"), want 600"
    "$bin" --help-env | cmp -s - "$env" || fail "$env differs from $pkg --help-env"
    grep -q '^ARGS=""$' "$env" || fail "$env has no ARGS=\"\""
    sed -n 's/.*\[env: \([^]]*\)\].*/\1/p' "$tmp/help" | tr ', :' '\n\n\n' |
        grep -x '[A-Z][A-Z0-9_]*' | while read -r var; do
            grep -q "\b$var\b" "$env" || fail "$env lacks $var"
        done

    # The unit, as installed, then verified with its paths in DESTDIR.
    [ -f "$unit" ] || fail "$unit missing"
    grep -qx "ExecStart=/usr/bin/$pkg \$ARGS" "$unit" || fail "$unit: unexpected ExecStart"
    grep -qx "EnvironmentFile=/etc/default/$pkg" "$unit" || fail "$unit: unexpected EnvironmentFile"
    grep -q '@[A-Z]*@' "$unit" && fail "$unit: a placeholder is left: $(grep '@[A-Z]*@' "$unit")"
    mkdir -p "$tmp/verify"
    sed -e "s|^ExecStart=/usr/bin/|ExecStart=$stage/usr/bin/|" \
        -e "s|^EnvironmentFile=/etc/|EnvironmentFile=$stage/etc/|" "$unit" >"$tmp/verify/$pkg.service"
    MANPATH=$stage/usr/share/man systemd-analyze verify "$tmp/verify/$pkg.service" \
        >"$tmp/verify.log" 2>&1 || fail "systemd-analyze verify $pkg.service: $(cat "$tmp/verify.log")"
    [ -s "$tmp/verify.log" ] && fail "systemd-analyze verify $pkg.service: $(cat "$tmp/verify.log")"
    if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
        exposure=$(systemd-analyze security --offline=yes "$tmp/verify/$pkg.service" 2>&1 |
            sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
        [ -n "$exposure" ] || fail "systemd-analyze security $pkg.service gave no exposure level"
        awk -v e="$exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }' ||
            fail "$pkg.service: exposure $exposure, more than $MAX_EXPOSURE"
        exposures="$exposures $pkg=$exposure"
    fi
done

# Nothing but the real exporters: no demo is installed.
demos=$(find "$stage" -name '*http-counter*' -o -name '*http_counter*' -o -name '*success*')
[ -z "$demos" ] || fail "demos installed: $demos"

# Uninstall removes every exporter file.
mk uninstall >"$tmp/uninstall.log" 2>&1 || { cat "$tmp/uninstall.log" >&2; fail "make uninstall failed"; }
left=$(find "$stage" -type f -o -type l)
[ -z "$left" ] || fail "uninstall left files behind: $left"

# An operator's edited environment file: install again keeps it, uninstall
# keeps it and says so; everything else goes.
mk install >"$tmp/install.log" 2>&1 || fail "second make install failed"
first=prometheus-$(echo "$1" | tr _ -)
echo 'ARGS="--log.level=debug"' >>"$stage/etc/default/$first"
cp "$stage/etc/default/$first" "$tmp/edited"
mk install >"$tmp/install.log" 2>&1 || fail "make install over an edited file failed"
grep -q "keeping $stage/etc/default/$first" "$tmp/install.log" ||
    fail "install did not say it kept the edited $first"
cmp -s "$tmp/edited" "$stage/etc/default/$first" || fail "install overwrote the edited $first"
mk uninstall >"$tmp/uninstall.log" 2>&1 || fail "make uninstall failed"
grep -q "keeping $stage/etc/default/$first" "$tmp/uninstall.log" ||
    fail "uninstall did not say it kept the edited $first"
left=$(find "$stage" -type f -o -type l)
[ "$left" = "$stage/etc/default/$first" ] || fail "after uninstall, want only the edited file: $left"

echo "exporter install: $# exporters, their man pages, units and environment files installed," \
    "verified and uninstalled; exposure:$exposures"
