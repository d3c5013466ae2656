#!/bin/sh
# Calls between the library's own exported functions bind inside the shared
# library (-fno-semantic-interposition, -Wl,-Bsymbolic-functions; see
# docs/BUILDING.md): no promc_* function may be called through its PLT.
set -eu
lib=$1
plt=$(objdump -d "$lib" | grep -oE '<promc_[a-z_0-9]*@plt>' | sort -u)
if [ -n "$plt" ]; then
    echo "$lib calls its own functions through the PLT (interposable):" >&2
    echo "$plt" >&2
    exit 1
fi
echo "plt: no promc_* call through the PLT in $lib"
