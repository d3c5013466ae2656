#!/usr/bin/python3
"""Writes the input of the native-histogram oracle (native_vs_go.sh) to
stdout: cases of settings and value sequences, fixed by a seed, for
native_go/main.go (client_golang) and native_dump (promc) to observe alike.
Line format: see native_go/main.go."""
import math
import os
import random
import struct
import sys

rng = random.Random(int(os.environ.get("NATIVE_SEED", "20260101")))
ZERO = -1  # PROMC_NATIVE_ZERO_THRESHOLD_ZERO / NativeHistogramZeroThresholdZero
out = []


def fmt(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def case(name, values, factor, zt=0, maxb=0, reset=0, maxzt=0, buckets=None, every=0):
    b = ",".join(repr(x) for x in buckets) if buckets else "-"
    out.append(f"case {name} {factor!r} {zt!r} {maxb} {reset!r} {maxzt!r} {b}")
    for i, v in enumerate(values):
        out.append(fmt(v))
        if every and (i + 1) % every == 0:
            out.append("scrape")
    out.append("end")


def lognormal(n, mu=0.0, sigma=2.0):
    return [rng.lognormvariate(mu, sigma) for _ in range(n)]


def signed(vals):
    return [v if rng.random() < 0.5 else -v for v in vals]


def next_up(x):
    return struct.unpack("<d", struct.pack("<q", struct.unpack("<q", struct.pack("<d", x))[0] + 1))[0]


FACTORS = [1.0001, 1.00001, 1.001, 1.01, 1.1, 1.2, 1.5, 2, 3, 4, 16, 256, 65536, 1e10]

uniform = [rng.uniform(0, 10) for _ in range(3000)]
logn = lognormal(3000)
for f in FACTORS:
    tag = repr(f).replace(".", "_")
    case(f"uniform_f{tag}", uniform, f, every=1000)
    case(f"lognormal_f{tag}", logn, f, every=700)

# Negatives and exact zeros (-0.0 too), for several zero thresholds.
mixed = signed(lognormal(2000, -2, 3)) + [0.0, -0.0] * 50
rng.shuffle(mixed)
for f in (1.1, 2, 65536):
    for zt in (0, ZERO, 1e-3, 0.5):
        case(f"mixed_f{f}_zt{zt}", mixed, f, zt=zt, every=500)

# Around the default zero threshold and below it; subnormals; huge values.
DZT = 2.938735877055719e-39
tiny = [DZT, -DZT, next_up(DZT), -next_up(DZT), 1e-40, -1e-40, 5e-324, -5e-324, 1e-310,
        2.2250738585072014e-308, 1e-300, 1e300, -1e300, 1.7976931348623157e308,
        -1.7976931348623157e308, 8.98846567431158e307, 2.0 ** 1023, 0.5, 1.0, 2.0]
for f in (1.0001, 1.1, 2, 4, 65536):
    for zt in (0, ZERO):
        case(f"extreme_f{f}_zt{zt}", tiny * 3, f, zt=zt)

# Bucket boundaries: powers of two and the schema-8 fractions scaled, both
# signs, for positive and negative schemas (Go's rounding for keys < 0).
bounds = []
for k in range(-40, 41):
    for frac in (0.5, 0.7071067811865475, 0.5946035575013605, 0.8408964152537144,
                 0.5452538663326288, 0.9972960560854698):
        x = math.ldexp(frac, k)
        bounds += [x, next_up(x), -x]
for f in (1.0001, 1.01, 1.1, 1.5, 2, 4, 16, 256, 65536):
    case(f"boundaries_f{f}", bounds, f, zt=ZERO, every=200)

# NaN and infinities, classic buckets beside.
special = lognormal(300) + [math.nan, math.inf, -math.inf] * 5 + signed(lognormal(300))
rng.shuffle(special)
for f in (1.1, 2, 4, 65536):
    case(f"special_f{f}", special, f, every=100)
    case(f"special_classic_f{f}", special, f, buckets=[0.01, 0.1, 1, 10, 100], every=100)
case("only_nan", [math.nan] * 3, 1.1)
case("only_inf", [math.inf, -math.inf, math.inf], 1.1, zt=ZERO)

# Empty histograms: no buckets, zero thresholds 0 and default.
case("empty_zt_zero", [], 1.1, zt=ZERO)
case("empty_default", [], 1.1)
case("empty_classic", [], 2, buckets=[1, 2])

# The bucket limit: resolution halved (min reset 0, no widening), down to
# schema -4 and stuck there, with scrapes in between or not.
wide = signed(lognormal(3000, 0, 4)) + [0.0] * 10
rng.shuffle(wide)
for f in (1.0001, 1.1, 2):
    for maxb in (1, 3, 10, 50, 160):
        case(f"limit_f{f}_max{maxb}", wide, f, maxb=maxb, every=0)
        case(f"limit_scraped_f{f}_max{maxb}", wide, f, maxb=maxb, every=250)
spread = [math.ldexp(1, k) for k in range(-1074, 1024, 7)] + [math.inf, -math.inf, 5e-324]
rng.shuffle(spread)
case("limit_stuck_at_min_schema", spread, 1.1, zt=ZERO, maxb=4, every=50)

# Widening the zero bucket (up to a max), then halving when it cannot widen.
small = lognormal(2000, -3, 2) + signed(lognormal(500, -6, 3))
rng.shuffle(small)
for maxzt in (1e-3, 0.05, 1, 1e6):
    for maxb in (5, 20, 80):
        case(f"widen_max{maxb}_maxzt{maxzt}", small, 1.1, maxb=maxb, maxzt=maxzt, every=400)
        case(f"widen_zt_zero_max{maxb}_maxzt{maxzt}", small, 1.5, zt=ZERO, maxb=maxb, maxzt=maxzt)

# Resets: a minimum reset duration of 1 ns has always passed by the time the
# limit is exceeded, so both reset at every excess.
case("reset_1ns", wide[:1500], 1.1, maxb=20, reset=1e-9, every=300)
case("reset_1ns_classic", wide[:1500], 1.1, maxb=20, reset=1e-9, buckets=[1, 10], every=300)

# Random settings and value mixes (NATIVE_RANDOM_CASES of them, 60 by
# default; NATIVE_SEED changes them all).
def random_value():
    r = rng.random()
    if r < 0.02:
        return rng.choice([math.nan, math.inf, -math.inf, 0.0, -0.0])
    if r < 0.1:
        return rng.choice([-1, 1]) * math.ldexp(rng.choice([0.5, 0.7071067811865475, 1.0]),
                                                rng.randint(-1074, 1023))
    v = math.exp(rng.gauss(rng.choice([-20, -3, 0, 5]), rng.choice([0.1, 2, 8])))
    return -v if rng.random() < 0.3 else v


for i in range(int(os.environ.get("NATIVE_RANDOM_CASES", "60"))):
    f = rng.choice([1 + 10 ** rng.uniform(-6, 0.5), rng.choice(FACTORS)])
    zt = rng.choice([0, ZERO, 10 ** rng.uniform(-40, 0)])
    maxb = rng.choice([0, 0, rng.randint(1, 300)])
    maxzt = rng.choice([0, 10 ** rng.uniform(-30, 2)])
    reset = rng.choice([0, 0, 0, 1e-9])
    buckets = rng.choice([None, None, sorted({round(rng.uniform(-5, 50), 3) for _ in range(6)})])
    vals = [random_value() for _ in range(rng.randint(0, 1500))]
    case(f"random{i}", vals, f, zt=zt, maxb=maxb, reset=reset, maxzt=maxzt, buckets=buckets,
         every=rng.choice([0, 97, 500]))

sys.stdout.write("\n".join(out) + "\n")
