#!/usr/bin/python3
"""Writes the input of the native-exemplar oracle (native_exemplars.sh) to
stdout: cases of a set size, a TTL and exemplars (value, time) to add, fixed
by a seed, for native_exemplar_dump (promc) and native_exemplar_go
(client_golang's own code) to keep alike.

Lines:
  case NAME MAX TTL_SECONDS   a new set of MAX places (> 0), TTL (not 0: that
                              is an option's default, resolved before the set)
  add VALUE SECONDS ID        an exemplar SECONDS after a fixed instant, labelled ID
  show                        print the IDs kept, in order: "NAME: ID ID ..."

Times are multiples of 1/4 s and values are printed exactly, so both sides
compute with the same numbers. NaN is never added (a histogram keeps none
for NaN observations); zeros, negatives and infinities are."""
import math
import os
import random

rng = random.Random(int(os.environ.get("NATIVE_EXEMPLAR_SEED", "20260717")))
out = []


def fmt(v):
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def case(name, size, ttl, adds, every=1):
    out.append(f"case {name} {size} {ttl!r}")
    for i, (v, t) in enumerate(adds):
        out.append(f"add {fmt(v)} {t!r} x{i}")
        if (i + 1) % every == 0:
            out.append("show")
    out.append("show")


def times(n, step=0.25):
    return [i * step for i in range(n)]


# Fixed cases: the default size and TTL, latencies; exactly repeated values;
# powers of two (equal distances everywhere); every exemplar at one instant.
lat = [rng.lognormvariate(-3, 1.5) for _ in range(60)]
case("latencies", 10, 300.0, list(zip(lat, times(60))), every=5)
case("repeats", 5, 300.0, [(float(rng.randint(1, 4)), t) for t in times(40)], every=4)
case("powers_of_two", 6, 300.0, [(2.0 ** rng.randint(-5, 5), t) for t in times(40)], every=4)
case("one_instant", 4, 300.0, [(rng.uniform(0.5, 8), 0.0) for _ in range(30)], every=3)
case("expiring", 5, 2.0, list(zip(lat[:40], times(40, 0.5))), every=2)
case("always_oldest", 4, -1.0, list(zip(lat[:30], times(30))), every=3)
case("one_place", 1, 300.0, list(zip(lat[:10], times(10))), every=2)
case("zeros_and_negatives", 5, 300.0,
     [(rng.choice([0.0, -0.0, -1.5, -0.001, 0.25, 3.0, 7.0]), t) for t in times(40)], every=4)
case("infinities", 4, 300.0,
     [(rng.choice([math.inf, -math.inf, 1.0, 2.0, 100.0]), t) for t in times(30)], every=3)

# Random cases: sizes, TTLs, value shapes and clocks that jump, stall or
# step back.
for k in range(int(os.environ.get("NATIVE_EXEMPLAR_RANDOM_CASES", "120"))):
    size = rng.choice([2, 2, 3, 4, 5, 7, 10, 16])
    ttl = rng.choice([300.0, 60.0, 5.0, 2.0, 1.0, 0.25, -1.0])
    shape = rng.choice(["lognormal", "uniform", "integers", "signed", "mixed"])
    n = rng.randint(size, 8 * size + 10)
    adds, t = [], 0.0
    for _ in range(n):
        if shape == "lognormal":
            v = rng.lognormvariate(0, 2)
        elif shape == "uniform":
            v = rng.uniform(0, 10)
        elif shape == "integers":
            v = float(rng.randint(0, 6))
        elif shape == "signed":
            v = rng.choice([-1, 1]) * rng.lognormvariate(0, 1)
        else:
            v = rng.choice([rng.lognormvariate(0, 3), 0.0, 1.0, 2.0 ** rng.randint(-8, 8)])
        adds.append((v, t))
        r = rng.random()
        t += (0.0 if r < 0.15 else 0.25 if r < 0.6 else 1.0 if r < 0.85
              else 20.0 if r < 0.95 else -0.5)
    case(f"random_{k}_{shape}", size, ttl, adds, every=rng.choice([1, 2, 5, 1000]))

print("\n".join(out))
