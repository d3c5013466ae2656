#!/bin/sh
# The ways C projects consume promc, each proven by building and running the
# consumer of tests/packaging/ (main.c beside each build file):
#   - `make install`: promc.pc relative to ${prefix}, the ldconfig hint;
#   - CMake: add_subdirectory, FetchContent from a local path, and
#     find_package(promc CONFIG) after `make install` and after CMake's own
#     install, with its version rules;
#   - Meson: a subproject, and dependency('promc') through pkg-config.
# The CMake and Meson builds must make the Makefile's library: same soname,
# same exported symbols (nm -D), same global symbols in the archive. Shared
# consumers must need libpromc.so.MAJOR, static ones must not. The build
# files shown in docs/BUILDING.md must be these files. Everything is built and
# installed under $1/packaging (default build/packaging), never in /usr.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
build=${1:-build}
case $build in /*) out=$build/packaging ;; *) out=$root/$build/packaging ;; esac
jobs=${PACKAGING_JOBS:-2}
rm -rf "$out"
mkdir -p "$out"

v() { sed -n "s/^#define PROMC_VERSION_$1 \\([0-9]*\\)$/\\1/p" include/promc.h; }
major=$(v MAJOR)
minor=$(v MINOR)
patch=$(v PATCH)
version=$major.$minor.$patch
soname=libpromc.so.$major
passed=0
step() {
    passed=$((passed + 1))
    echo "packaging: $*"
}
fail() {
    echo "packaging: FAILED: $*" >&2
    exit 1
}
# Quiet unless it fails; then its output, and stop.
run() { # run LOG COMMAND...
    log=$1
    shift
    mkdir -p "$(dirname "$log")"
    if ! "$@" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        fail "$* (log: $log)"
    fi
}

# The symbols a library exports: type and name of every defined dynamic one.
dynsyms() { nm -D --defined-only "$1" | awk 'NF == 3 {print $2, $3}' | sort; }
# The global symbols an archive defines.
archsyms() { nm -g --defined-only "$1" | awk 'NF == 3 {print $2, $3}' | sort; }
soname_of() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }

same_library() { # same_library WHAT SHARED STATIC
    [ "$(soname_of "$2")" = "$soname" ] || fail "$1: soname $(soname_of "$2"), not $soname"
    tests/check_plt.sh "$2" >/dev/null || fail "$1: $2 calls promc_* through its PLT"
    dynsyms "$2" >"$out/syms.other"
    if ! diff -u "$out/syms.make" "$out/syms.other" >"$out/syms.diff"; then
        cat "$out/syms.diff" >&2
        fail "$1: $2 exports other symbols than the Makefile's library"
    fi
    archsyms "$3" >"$out/arsyms.other"
    if ! diff -u "$out/arsyms.make" "$out/arsyms.other" >"$out/syms.diff"; then
        cat "$out/syms.diff" >&2
        fail "$1: $3 defines other symbols than the Makefile's archive"
    fi
}

# Runs a consumer pair: consumer needs libpromc.so.MAJOR, consumer_static
# no libpromc at all. LD_LIBRARY_PATH as given by the caller, if any.
check_consumers() { # check_consumers WHAT DIR
    "$2/consumer" >/dev/null || fail "$1: consumer failed"
    "$2/consumer_static" >/dev/null || fail "$1: consumer_static failed"
    readelf -d "$2/consumer" | grep -q "NEEDED.*\\[$soname\\]" ||
        fail "$1: consumer does not need $soname"
    if readelf -d "$2/consumer_static" | grep -q 'NEEDED.*libpromc'; then
        fail "$1: consumer_static needs libpromc.so"
    fi
}

# A consumer's source tree, $out/DEST/src: its build file and main.c.
consumer_src() { # consumer_src NAME [DEST] -> prints the directory
    d=$out/${2:-$1}/src
    mkdir -p "$d"
    cp tests/packaging/"$1"/* "$d"/
    cp tests/packaging/main.c "$d"/main.c
    echo "$d"
}
prefix_of() { # prefix_of make|cmake
    if [ "$1" = make ]; then echo "$mprefix"; else echo "$cprefix"; fi
}

cmake_build() { # cmake_build NAME SRC ARGS...
    name=$1
    src=$2
    shift 2
    mkdir -p "$out/$name"
    run "$out/$name/configure.log" cmake -S "$src" -B "$out/$name/build" -G Ninja "$@"
    run "$out/$name/build.log" cmake --build "$out/$name/build" -j "$jobs"
}

# ------------------------------------------------------------ the docs

for f in tests/packaging/*/*; do
    python3 - "$f" <<'PY' || fail "docs/BUILDING.md does not show $f as it is"
import sys
path = sys.argv[1]
code = open(path).read()
lang = "meson" if path.endswith("meson.build") else "cmake"
sys.exit(0 if "```%s\n%s```\n" % (lang, code) in open("docs/BUILDING.md").read() else 1)
PY
done
set -- tests/packaging/*/*
step "docs/BUILDING.md shows the $# build files as they are"

# ------------------------------------------------------------ make install

make --no-print-directory -s BUILD="$build" lib
dynsyms "$build/libpromc.so.$version" >"$out/syms.make"
archsyms "$build/libpromc.a" >"$out/arsyms.make"
[ -s "$out/syms.make" ] || fail "no symbols in $build/libpromc.so.$version"

mprefix=$out/make-prefix
run "$out/make-install.log" make --no-print-directory BUILD="$build" install PREFIX="$mprefix"
pc=$mprefix/lib/pkgconfig/promc.pc
grep -qx "prefix=$mprefix" "$pc" || fail "promc.pc: prefix"
# shellcheck disable=SC2016 # the ${...} are promc.pc's own
{ grep -qx 'exec_prefix=${prefix}' "$pc" && grep -qx 'libdir=${exec_prefix}/lib' "$pc" &&
    grep -qx 'includedir=${prefix}/include' "$pc" &&
    grep -qx 'Libs.private: -pthread -lm' "$pc"; } || fail "promc.pc is not relative to \${prefix}"
[ "$(PKG_CONFIG_PATH=$mprefix/lib/pkgconfig pkg-config --variable=libdir promc)" = "$mprefix/lib" ] ||
    fail "pkg-config does not resolve libdir"
# Moved elsewhere, the .pc follows with --define-prefix.
mkdir -p "$out/moved/lib/pkgconfig"
cp "$pc" "$out/moved/lib/pkgconfig/"
[ "$(PKG_CONFIG_PATH=$out/moved/lib/pkgconfig pkg-config --define-prefix --variable=includedir promc)" = \
    "$out/moved/include" ] || fail "promc.pc does not relocate with --define-prefix"
# A libdir outside the prefix stays absolute.
make --no-print-directory -s BUILD="$out/pc" LIBDIR=/srv/promc/lib "$out/pc/promc.pc"
grep -qx 'libdir=/srv/promc/lib' "$out/pc/promc.pc" || fail "promc.pc: absolute libdir"
step "make install: promc.pc relative to \${prefix} (pkg-config resolves and relocates it)"

grep -q "does not search $mprefix/lib" "$out/make-install.log" ||
    fail "make install into $mprefix printed no ldconfig hint"
run "$out/make-install-usr.log" make --no-print-directory BUILD="$build" install PREFIX=/usr \
    DESTDIR="$out/stage"
if grep -q '^install: ' "$out/make-install-usr.log"; then
    fail "make install PREFIX=/usr printed an ldconfig hint"
fi
[ -z "$(pkgconfig/ldconfig_hint.sh /usr/lib/ "$soname")" ] || fail "ldconfig hint for /usr/lib/"
step "make install: the ldconfig hint for $mprefix/lib, none for /usr/lib"

# ------------------------------------------------------------ CMake

cprefix=$out/cmake-prefix
cmake_build cmake-standalone "$root" -DCMAKE_INSTALL_PREFIX="$cprefix" -DCMAKE_INSTALL_LIBDIR=lib
run "$out/cmake-standalone/install.log" cmake --install "$out/cmake-standalone/build"
same_library "CMake" "$out/cmake-standalone/build/libpromc.so.$version" \
    "$out/cmake-standalone/build/libpromc.a"
step "CMake builds libpromc.so.$version ($soname) and libpromc.a with the Makefile's $(wc -l <"$out/syms.make") exported symbols"

# Both installs hold the same library files (make install also installs the
# exporters), and the same promc.pc but for prefix=.
lib_files() {
    (cd "$1" && find . \( -type f -o -type l \) -print) |
        grep -E '^\./(include/promc|lib/libpromc|lib/pkgconfig/promc|lib/cmake/promc/)' | sort
}
lib_files "$mprefix" >"$out/files.make"
lib_files "$cprefix" | grep -v 'promcTargets-' >"$out/files.cmake"
diff -u "$out/files.make" "$out/files.cmake" >&2 || fail "make install and cmake --install install other files"
sed 1d "$pc" >"$out/pc.make"
sed 1d "$cprefix/lib/pkgconfig/promc.pc" >"$out/pc.cmake"
diff -u "$out/pc.make" "$out/pc.cmake" >&2 || fail "CMake's promc.pc differs from the Makefile's"
step "cmake --install installs the files of make install, and the same promc.pc"

for kind in make cmake; do
    prefix=$(prefix_of $kind)
    src=$(consumer_src cmake_find_package "find-$kind")
    cmake_build "find-$kind" "$src" -DCMAKE_PREFIX_PATH="$prefix"
    grep -qx "promc_DIR:PATH=$prefix/lib/cmake/promc" "$out/find-$kind/build/CMakeCache.txt" ||
        fail "find_package found another promc than $prefix's"
    check_consumers "find_package after $kind install" "$out/find-$kind/build"
    step "find_package(promc CONFIG REQUIRED) after $kind install: promc::promc and promc::promc_static"
done

# Which requested versions the installed version satisfies: while the major
# version is 0, the same minor only, and never a newer one.
mkdir -p "$out/versions/src"
cat >"$out/versions/src/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.14)
project(versions C)
foreach(want IN LISTS WANTS)
    find_package(promc ${want} CONFIG QUIET)
    if(promc_FOUND)
        message(STATUS "want ${want}: 1")
    else()
        message(STATUS "want ${want}: 0")
    endif()
endforeach()
CMAKE
if [ "$major" -eq 0 ]; then
    yes="0.$minor;0.$minor.$patch;0.$minor...0.$((minor + 1))"
    no="0.$((minor + 1));1.0;0.$minor.$((patch + 1));0.$((minor + 1))...0.$((minor + 2))"
    [ "$minor" -gt 0 ] && no="$no;0.$((minor - 1))"
else
    yes="$major;$major.$minor;$version"
    no="$((major + 1));$major.$((minor + 1));$((major - 1)).0"
fi
for kind in make cmake; do
    prefix=$(prefix_of $kind)
    rm -rf "$out/versions/build"
    run "$out/versions/$kind.log" cmake -S "$out/versions/src" -B "$out/versions/build" \
        -DCMAKE_PREFIX_PATH="$prefix" "-DWANTS=$no;$yes"
    echo "$no" | tr ';' '\n' | while read -r want; do
        grep -q -- "-- want $want: 0$" "$out/versions/$kind.log" ||
            fail "$kind install: find_package(promc $want) accepted $version"
    done
    echo "$yes" | tr ';' '\n' | while read -r want; do
        grep -q -- "-- want $want: 1$" "$out/versions/$kind.log" ||
            fail "$kind install: find_package(promc $want) refused $version"
    done
done
step "find_package(promc VERSION): $version satisfies $yes; not $no"

src=$(consumer_src cmake_subdirectory)
ln -s "$root" "$src/promc"
cmake_build cmake_subdirectory "$src" -DCMAKE_BUILD_TYPE=Debug
check_consumers "add_subdirectory" "$out/cmake_subdirectory/build"
if [ -n "$(find "$out/cmake_subdirectory/build" -name cmake_install.cmake -exec grep -lE 'promcTargets|libpromc' {} +)" ]; then
    fail "add_subdirectory: promc installs itself into the parent project"
fi
step "add_subdirectory(promc): promc::promc and promc::promc_static"

src=$(consumer_src cmake_fetchcontent)
cmake_build cmake_fetchcontent "$src" -DCMAKE_BUILD_TYPE=Debug -DPROMC_SOURCE_DIR="$root"
check_consumers "FetchContent" "$out/cmake_fetchcontent/build"
step "FetchContent from a local path: promc::promc and promc::promc_static"

# ------------------------------------------------------------ Meson

[ "$(sed -n "s/^  version: '\\(.*\\)',$/\\1/p" meson.build)" = "$version" ] ||
    fail "meson.build's version is not include/promc.h's $version"
sed -n "s/^  '\\(lib\\/[a-z_0-9]*\\.c\\)',$/\\1/p" meson.build >"$out/meson.sources"
printf '%s\n' lib/*.c | diff -u - "$out/meson.sources" >&2 || fail "meson.build's sources are not lib/*.c"

src=$(consumer_src meson_subproject)
mkdir -p "$src/subprojects"
ln -s "$root" "$src/subprojects/promc"
run "$out/meson_subproject/setup.log" meson setup --force-fallback-for=promc \
    "$out/meson_subproject/build" "$src"
run "$out/meson_subproject/build.log" ninja -C "$out/meson_subproject/build" -j "$jobs"
check_consumers "Meson subproject" "$out/meson_subproject/build"
same_library "Meson" "$out/meson_subproject/build/subprojects/promc/libpromc.so.$version" \
    "$out/meson_subproject/build/subprojects/promc/libpromc.a"
step "Meson subproject (promc_dep, dependency('promc')): the Makefile's library and symbols"

src=$(consumer_src meson_pkgconfig)
run "$out/meson_pkgconfig/setup.log" env PKG_CONFIG_PATH="$mprefix/lib/pkgconfig" \
    meson setup "$out/meson_pkgconfig/build" "$src"
grep -q "Run-time dependency promc found: YES $version" "$out/meson_pkgconfig/setup.log" ||
    fail "Meson did not find promc $version through pkg-config"
run "$out/meson_pkgconfig/build.log" ninja -C "$out/meson_pkgconfig/build" -j "$jobs"
export LD_LIBRARY_PATH="$mprefix/lib"
check_consumers "Meson dependency('promc')" "$out/meson_pkgconfig/build"
unset LD_LIBRARY_PATH
step "Meson dependency('promc') through pkg-config after make install, shared and static"

echo "packaging: $passed passed, 0 failed"
