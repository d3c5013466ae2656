"""hitl_exporter end to end against a fake health endpoint: the exact number of
requests timed in the histogram, failed ones included, the enum switching
healthy -> unhealthy -> healthy (200, 500, refused, timeout), scrapes staying
fast while the endpoint hangs, a hostile endpoint (hostile.py: endless and
1 GiB bodies, bogus chunks, a redirect loop, a trickle) with bounded time and
memory, flags, clean exit on SIGTERM and valgrind."""

import http.server
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import hostile  # noqa: E402
from promcheck import Checks, FakeUpstream, Proc, Scrape, free_port, get, wait_until  # noqa: E402

BIN = os.path.join(os.environ.get("PROMC_BUILD", "build"), "examples", "hitl_exporter")
c = Checks("hitl_exporter")
for k in list(os.environ):
    if k.startswith("HITL_"):
        del os.environ[k]

H = "hitl_psql_health_request_time"
E = "hitl_psql_health_status"


class Health:
    """A fake health endpoint on /health. Answers with .script[i] for the i-th
    request (a status, or a threading.Event to wait for before answering 200),
    then with .status."""

    def __init__(self):
        self.script = []
        self.status = 200
        self.served = 0
        self.lock = threading.Lock()
        self.fake = FakeUpstream({"/health": self.answer})
        self.fake.server.handle_error = lambda *a: None
        self.url = self.fake.url + "/health"

    def answer(self, h):
        with self.lock:
            i = self.served
            self.served += 1
        step = self.script[i] if i < len(self.script) else self.status
        if isinstance(step, threading.Event):
            step.wait(20)
            step = 200
        return step, {"Content-Type": "text/plain"}, b"ok\n" if step == 200 else b"not ok\n"

    def stop(self):
        self.fake.stop()

    def restart(self):
        """Serves again on the same port (after stop)."""
        f = self.fake
        f.server = http.server.ThreadingHTTPServer(("127.0.0.1", f.port), f.server.RequestHandlerClass)
        f.server.daemon_threads = True
        f.server.handle_error = lambda *a: None
        f.thread = threading.Thread(target=f.server.serve_forever, daemon=True)
        f.thread.start()


def start(args=(), env=None, prefix=(), wait=10):
    port = free_port()
    p = Proc(list(prefix) + [BIN, "--web.listen-address=127.0.0.1:%d" % port] + list(args), env=env)
    url = "http://127.0.0.1:%d/metrics" % port
    c.check("starts and serves metrics", wait_until(lambda: get(url)[0] == 200, wait), p.output())
    return p, url


def scrape(url):
    try:
        return Scrape(url)
    except AssertionError:
        return None


def value(url, name, **labels):
    s = scrape(url)
    return s.value(name, **labels) if s else None


def state(url):
    """'healthy', 'unhealthy', or None when not exactly one state is set."""
    s = scrape(url)
    if not s:
        return None
    on = [lab[E] for lab, v in s.series(E) if v == 1.0]
    return on[0] if len(on) == 1 else None


def wait_state(url, want, timeout=5):
    wait_until(lambda: state(url) == want, timeout)
    return state(url)


def wait_more(url, name, than, timeout=5):
    wait_until(lambda: (value(url, name) or 0) > (than or 0), timeout)
    return value(url, name) or 0


def buckets(s):
    """{upper bound: cumulative count} of the histogram."""
    return {float(lab["le"]): v for lab, v in s.series(H + "_bucket")}


def run(args, env=None):
    full = dict(os.environ, **(env or {}))
    return subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=10, env=full)


# ---------------------------------------------------------------- flags
r = run(["--help"])
c.check("--help exits 0 and lists flags with env names",
        r.returncode == 0 and all(s in r.stdout for s in (
            "--hitl.url", "HITL_URL", "--interval", "HITL_INTERVAL", "--timeout", "HITL_TIMEOUT",
            "--web.listen-address", "HITL_WEB_LISTEN_ADDRESS", "--listen", "--web.telemetry-path",
            "--log.level")), r.stdout)
r = run(["--version"])
c.check("--version", r.returncode == 0 and r.stdout.startswith("hitl_exporter 1.0.0 (promc "), r.stdout)
r = run(["--no-such-flag"], env={"HITL_URL": "http://127.0.0.1:1/"})
c.check("unknown flag exits 2", r.returncode == 2 and "no-such-flag" in r.stderr, r.stderr)
r = run([], env={"HITL_URL": "http://127.0.0.1:1/", "HITL_TIMEOUT": "never"})
c.check("bad duration in the environment exits 2", r.returncode == 2 and "HITL_TIMEOUT" in r.stderr, r.stderr)
r = run([])
c.check("missing HITL_URL: exit 2 with a message", r.returncode == 2 and "HITL_URL" in r.stderr and
        "required" in r.stderr, r.stderr)
r = run([], env={"HITL_URL": ""})
c.check("empty HITL_URL: exit 2", r.returncode == 2 and "HITL_URL" in r.stderr, r.stderr)
r = run([], env={"HITL_URL": "postgres://db:5432/"})
c.check("non-http HITL_URL: exit 2", r.returncode == 2 and "http://" in r.stderr, r.stderr)
r = run([], env={"HITL_URL": "https://db.example.com/health"})
c.check("https HITL_URL: exit 2, explains the TLS proxy",
        r.returncode == 2 and "proxy" in r.stderr, r.stderr)
r = run(["--listen=127.0.0.1:0"], env={"HITL_URL": "http://127.0.0.1:99999/health"})
c.check("URL the client refuses: exit 2 at the first check",
        r.returncode == 2 and "invalid port" in r.stderr, r.stderr)

# ---------------------------------------------------------------- exact counts
# 3 answers of 200, then the 4th request waits (within the 10 s timeout) until
# released: the histogram holds exactly 3. Then 200, 500, 500 and a 7th that
# waits: exactly 6, unhealthy, 2 errors. Released, it answers 200: healthy.
hold1, hold2 = threading.Event(), threading.Event()
u = Health()
u.script = [200, 200, 200, hold1, 500, 500, hold2]
p, m = start(["--interval=0.1s", "--timeout=10s"], env={"HITL_URL": u.url})
c.check("4th request pending", wait_until(lambda: u.served == 4, 5), u.served)
s = Scrape(m)
c.equal("histogram count after 3 answers", s.value(H + "_count"), 3.0)
c.equal("+Inf bucket = count", buckets(s).get(float("inf")), 3.0)
c.check("sum of the request times > 0", (s.value(H + "_sum") or 0) > 0)
c.equal("healthy", s.value(E, **{E: "healthy"}), 1.0)
c.equal("not unhealthy", s.value(E, **{E: "unhealthy"}), 0.0)
c.equal("no errors", s.value("hitl_poll_errors_total"), 0.0)
c.equal("histogram type", s.families[H].type, "histogram")
c.equal("histogram HELP", s.families[H].documentation, "PSQL connection response time (seconds)")
c.equal("default buckets", sorted(buckets(s)), [.005, .01, .025, .05, .075, .1, .25, .5, .75, 1.0,
                                                2.5, 5.0, 7.5, 10.0, float("inf")])
c.equal("enum in the text format: a gauge", s.families[E].type, "gauge")
c.equal("enum HELP", s.families[E].documentation, "PSQL connection health")
c.check("process metrics exported", s.value("process_start_time_seconds") is not None)
om = Scrape(m, openmetrics=True)
c.equal("enum in OpenMetrics: a stateset", om.families[E].type, "stateset")
c.equal("OpenMetrics: healthy set", om.value(E, **{E: "healthy"}), 1.0)
hold1.set()
c.check("7th request pending", wait_until(lambda: u.served == 7, 5), u.served)
s = Scrape(m)
c.equal("histogram count after 6 answers, 500s included", s.value(H + "_count"), 6.0)
c.equal("unhealthy after a 500", s.value(E, **{E: "unhealthy"}), 1.0)
c.equal("not healthy", s.value(E, **{E: "healthy"}), 0.0)
c.equal("errors counted", s.value("hitl_poll_errors_total"), 2.0)
hold2.set()
c.equal("healthy again after a 200", wait_state(m, "healthy"), "healthy")
c.check("histogram goes on", wait_more(m, H + "_count", 7) > 7)

# Refused connections, then the service comes back on the same port.
u.stop()
c.equal("refused: unhealthy", wait_state(m, "unhealthy"), "unhealthy")
n = value(m, H + "_count")
e = value(m, "hitl_poll_errors_total")
c.check("refused: requests still timed", wait_more(m, H + "_count", n) > n)
c.check("refused: errors increasing", wait_more(m, "hitl_poll_errors_total", e) > e)
u.restart()
c.equal("recovered: healthy", wait_state(m, "healthy"), "healthy")
u.status = 404
c.equal("404: unhealthy", wait_state(m, "unhealthy"), "unhealthy")
u.status = 200
c.equal("healthy again", wait_state(m, "healthy"), "healthy")
c.equal("SIGTERM exits 0", p.stop(), 0)
out = p.output()
c.check("a failure is logged once per change, not every poll",
        out.count("is unhealthy: answered HTTP 500") == 1 and "healthy again" in out, out[-2000:])

# ---------------------------------------------------------------- timeout
# Every request hangs past the 0.3 s timeout: each is observed with its wall
# time (>= 0.3 s, so none in the buckets up to 0.25), scrapes stay fast.
u.fake.routes["/health"] = "hang"
u.fake.hang_seconds = 2
p, m = start(["--interval=0.1s", "--timeout=0.3s"], env={"HITL_URL": u.url})
c.equal("timeout: unhealthy", wait_state(m, "unhealthy"), "unhealthy")
wait_more(m, H + "_count", 2)
slowest = 0
for _ in range(5):
    t = time.monotonic()
    s = Scrape(m)
    slowest = max(slowest, time.monotonic() - t)
    time.sleep(0.1)
c.check("timeout: scrapes answered quickly", slowest < 1.0, "%.2fs" % slowest)
b = buckets(s)
n = s.value(H + "_count") or 0
c.check("timeout: requests observed", n >= 3, n)
c.equal("timeout: none under 0.25 s", b.get(0.25), 0.0)
c.equal("timeout: all under 1 s", b.get(1.0), n)
c.check("timeout: sum >= 0.3 s each", (s.value(H + "_sum") or 0) >= 0.29 * n, (s.value(H + "_sum"), n))
u.fake.routes["/health"] = u.answer
c.equal("timeout: recovers", wait_state(m, "healthy"), "healthy")
c.equal("timeout: exit 0", p.stop(), 0)

# ---------------------------------------------------------------- hostile endpoint
# One exporter (0.5 s timeout, 0.1 s interval) through every hostile answer
# of hostile.CASES, each followed by good answers. The body is never parsed,
# so 200s with deeply nested JSON are healthy. Limits: two checks fail within
# 2 s, scrapes within 1 s, recovery within 5 s, every check observed at 1 s
# or less, and a peak RSS (VmHWM) below 32 MiB: the body cap is 8 MiB (the
# exporter starts at about 2 MiB), so reading a 1 GiB or endless body must
# not get anywhere near it.
HITL_CASES = [case.but(fails=False) if case.log == hostile.NESTING else case
              for case in hostile.CASES]
hh = hostile.HostileServer(lambda request: (200, {"Content-Type": "text/plain"}, b"ok\n"))
p, m = start(["--interval=0.1s", "--timeout=0.5s"], env={"HITL_URL": hh.url + "/health"})
c.equal("hostile: healthy", wait_state(m, "healthy"), "healthy")
target = hostile.Target(p, m, E, "hitl_poll_errors_total", up_labels={E: "healthy"})
took = hostile.run_cases(c, hh, target, HITL_CASES, rss_limit_mib=32, fail_within=2.0,
                         label="hostile: ")
hostile.run_back_to_back(c, hh, target, [case for case in hostile.BACK_TO_BACK if case.fails
                                         and case.log != hostile.NESTING],
                         within=2.0, label="hostile: ")
s = scrape(m)
n = s.value(H + "_count") or 0 if s else 0
c.check("hostile: every check observed in the histogram", n >= 2 * len(HITL_CASES), n)
c.equal("hostile: none took over 1 s (timeout 0.5 s)", s and buckets(s).get(1.0), n)
hostile.stop_while(c, hh, p, hostile.trickle(), 1.5, label="hostile: ")
if os.environ.get("HOSTILE_VERBOSE"):
    print("hostile: %s" % took, file=sys.stderr)
hh.stop()

# ---------------------------------------------------------------- valgrind
VG = ["valgrind", "--error-exitcode=99", "--leak-check=full",
      "--errors-for-leak-kinds=definite,indirect,possible", "--show-leak-kinds=definite,indirect,possible"]
p, m = start(["--hitl.url", u.url, "--interval=0.1s", "--timeout=3s"], prefix=VG, wait=60)
c.equal("valgrind: healthy", wait_state(m, "healthy", 20), "healthy")
u.status = 500
c.equal("valgrind: unhealthy", wait_state(m, "unhealthy", 20), "unhealthy")
u.status = 200
c.equal("valgrind: healthy again", wait_state(m, "healthy", 20), "healthy")
rc = p.stop(timeout=60)
out = p.output()
c.check("valgrind: exit 0 after SIGTERM, no errors", rc == 0 and "ERROR SUMMARY: 0 errors" in out, out[-3000:])
u.stop()
c.done()
