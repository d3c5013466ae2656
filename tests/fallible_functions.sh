#!/bin/sh
# Lists the public functions that can fail: every PROMC_API function whose
# comment does not say "Cannot fail", following "as promc_x" references to
# the function whose contract it shares. Each must report through the last
# error; tests/unit/test_last_error.c has a row for each (check-contract
# compares the two lists).
set -u
/usr/bin/python3 - "$@" <<'PY'
import re, sys
contract = {}
refs = {}
for h in sys.argv[1:]:
    s = open(h).read()
    for m in re.finditer(r'PROMC_API ([^;]*?)\b(promc_\w+)\s*\(', s):
        ret, name = m.group(1).strip(), m.group(2)
        end = s.rfind('*/', 0, m.start())
        com = s[s.rfind('/*', 0, end):end]
        com = ' '.join(re.sub(r'\n\s*\*(?!/)', ' ', com).split())
        void = ret == 'void'
        if 'Cannot fail' in com or (void and 'Errors' not in com):
            contract[name] = False
            continue
        if 'Errors' in com:
            contract[name] = True
            continue
        ref = re.search(r'\bas (promc_\w+)', com)
        refs[name] = ref.group(1) if ref else None
def fallible(n, seen=()):
    if n in contract:
        return contract[n]
    r = refs.get(n)
    if r is None or n in seen:
        sys.exit("no contract for %s: say \"Errors:\", \"Cannot fail\" or \"as promc_...\"" % n)
    return fallible(r, seen + (n,))
for n in sorted(set(contract) | set(refs)):
    if fallible(n):
        print(n)
PY
