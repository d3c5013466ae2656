#!/bin/sh
# Run by `make install`: says what to do when the dynamic loader will not
# find the shared library in LIBDIR ($1) by itself. A directory the loader
# searches by default (ld.so --help: "system search path") needs nothing; one
# listed in /etc/ld.so.conf needs its cache refreshed by ldconfig; any other
# needs to be added there, or LD_LIBRARY_PATH, or an rpath. Prints nothing
# when nothing is needed; never fails the install.
libdir=${1%/}
soname=$2

# The dynamic loader's own search path, else glibc's usual one.
system_dirs() {
    for ld in /lib64/ld-linux-*.so.* /lib/ld-linux-*.so.* /lib/*/ld-linux-*.so.*; do
        [ -x "$ld" ] || continue
        dirs=$("$ld" --help 2>/dev/null | sed -n 's/^ *\(\/[^ ]*\) (system search path)$/\1/p')
        if [ -n "$dirs" ]; then
            echo "$dirs"
            return
        fi
    done
    printf '%s\n' /lib /usr/lib
}

# The directories of /etc/ld.so.conf and the files it includes.
conf_dirs() { # conf_dirs FILE...
    for f in "$@"; do
        [ -f "$f" ] || continue
        sed -e 's/#.*//' -e 's/^[ \t]*//' -e 's/[ \t]*$//' "$f" | while read -r line; do
            case $line in
            '') ;;
            include\ *)
                # shellcheck disable=SC2086 # the pattern is meant to expand
                conf_dirs ${line#include } ;;
            *) echo "${line%/}" ;;
            esac
        done
    done
}

# Same directory: same name, or the same one through a symbolic link
# (/lib and /usr/lib on a merged-/usr system).
among() { # among DIR LIST
    echo "$2" | while read -r d; do
        # shellcheck disable=SC3013 # dash, bash and busybox sh have -ef
        if [ "$d" = "$1" ] || { [ -d "$d" ] && [ "$d" -ef "$1" ]; }; then
            echo yes
            break
        fi
    done
}

if [ -n "$(among "$libdir" "$(system_dirs)")" ]; then
    exit 0
fi
if [ -n "$(among "$libdir" "$(conf_dirs /etc/ld.so.conf)")" ]; then
    echo "install: $libdir is in /etc/ld.so.conf: run ldconfig (as root) so that programs find $soname"
    exit 0
fi
cat <<MSG
install: the dynamic loader does not search $libdir, so programs linked with
install: -lpromc will not find $soname at run time. Either
install:   echo $libdir > /etc/ld.so.conf.d/promc.conf && ldconfig   (as root), or
install:   link with -Wl,-rpath,$libdir, or run them with LD_LIBRARY_PATH=$libdir
MSG
