#!/bin/sh
# Installs into a temporary prefix (once directly, once staged with DESTDIR),
# builds a small program against it with pkg-config -- shared and --static --
# runs both, then uninstalls and checks nothing is left behind.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
make --no-print-directory -s install PREFIX="$prefix" >/dev/null

cat >"$tmp/hello.c" <<'C'
#include <promc.h>
#include <string.h>
int main(void)
{
    promc_registry *r = promc_registry_new();
    promc_counter *c = promc_counter_new(r, "hello", "Hellos.", NULL);
    promc_counter_inc(c);
    char *out = promc_encode_buffer(r, PROMC_FORMAT_TEXT, NULL);
    int ok = out && strstr(out, "hello_total 1\n") && promc_version() == PROMC_VERSION_HEX;
    promc_free(out);
    promc_counter_free(c);
    promc_registry_free(r);
    return ok ? 0 : 1;
}
C
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
v() { sed -n "s/^#define PROMC_VERSION_$1 \\([0-9]*\\)$/\\1/p" include/promc.h; }
[ "$(pkg-config --modversion promc)" = "$(v MAJOR).$(v MINOR).$(v PATCH)" ]
# shellcheck disable=SC2046
cc -o "$tmp/hello-shared" "$tmp/hello.c" $(pkg-config --cflags --libs promc)
LD_LIBRARY_PATH="$prefix/lib" "$tmp/hello-shared"
readelf -d "$tmp/hello-shared" | grep -q 'NEEDED.*libpromc.so.[0-9]'
# --static, with the archive forced over the shared library beside it.
# shellcheck disable=SC2046
cc -o "$tmp/hello-static" "$tmp/hello.c" $(pkg-config --cflags promc) \
    $(pkg-config --static --libs promc | sed 's/-lpromc/-l:libpromc.a/')
"$tmp/hello-static"
if readelf -d "$tmp/hello-static" | grep -q 'libpromc'; then
    echo "install: static build still needs libpromc.so" >&2
    exit 1
fi
make --no-print-directory -s uninstall PREFIX="$prefix" >/dev/null
left=$(find "$prefix" -type f -o -type l)
if [ -n "$left" ]; then
    echo "install: uninstall left files behind:" >&2
    echo "$left" >&2
    exit 1
fi

# Staged install: files land under DESTDIR, promc.pc still names PREFIX.
make --no-print-directory -s install PREFIX=/opt/promc DESTDIR="$tmp/stage" >/dev/null
for h in include/*.h; do
    test -f "$tmp/stage/opt/promc/$h" || { echo "install: $h not installed" >&2; exit 1; }
done
test -L "$tmp/stage/opt/promc/lib/libpromc.so"
grep -q '^prefix=/opt/promc$' "$tmp/stage/opt/promc/lib/pkgconfig/promc.pc"
echo "install: 1 passed, 0 failed (pkg-config shared + static, uninstall, DESTDIR)"
