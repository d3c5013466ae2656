"""success_rate end to end: GET / fails at the chosen rate, reproducibly for
a seed; requests_total counts answers by code and rate_requests is the
percentage of 500s so far, read with client_python's parser."""

import os
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from promcheck import Checks, Proc, Scrape, free_port, get, wait_until  # noqa: E402

BIN = os.path.join(os.environ.get("PROMC_BUILD", "build"), "examples", "success_rate")
c = Checks("success_rate")


def start(*args, prefix=(), timeout=10):
    app, metrics = free_port(), free_port()
    p = Proc(list(prefix) + [BIN, "--app-listen=127.0.0.1:%d" % app,
                             "--listen=127.0.0.1:%d" % metrics] + list(args))
    url = "http://127.0.0.1:%d/metrics" % metrics
    c.check("starts", wait_until(lambda: get(url)[0] == 200, timeout), p.output())
    return p, "http://127.0.0.1:%d" % app, url


def codes(app, n):
    return [get(app + "/")[0] for _ in range(n)]


def counted(url, total):
    def done():
        s = Scrape(url)
        return (s.value("requests_total", http_code="200") or 0) + \
            (s.value("requests_total", http_code="500") or 0) == total
    return wait_until(done, 5)


# Before any request: both children at 0, the gauge 0.
p, app, url = start("--seed=42", "--success-rate=70")
s = Scrape(url)
c.equal("200 at 0", s.value("requests_total", http_code="200"), 0.0)
c.equal("500 at 0", s.value("requests_total", http_code="500"), 0.0)
c.equal("rate_requests 0 before any request", s.value("rate_requests"), 0.0)
c.equal("HELP", s.families["requests"].documentation, "Number of requests served, by http code")
first = codes(app, 200)
counted(url, 200)
s = Scrape(url)
n500 = first.count(500)
c.equal("200s counted", s.value("requests_total", http_code="200"), float(first.count(200)))
c.equal("500s counted", s.value("requests_total", http_code="500"), float(n500))
c.equal("rate_requests is the percentage of 500s", s.value("rate_requests"), 100.0 * n500 / 200)
c.check("about 70% succeed", 110 <= first.count(200) <= 170, first.count(200))
c.equal("other path 404", get(app + "/x")[0], 404)
req = urllib.request.Request(app + "/", method="POST")
try:
    urllib.request.urlopen(req, timeout=5)
    status = 200
except urllib.error.HTTPError as e:
    status = e.code
c.equal("POST 405", status, 405)
# Counted once the answer was handed over, so perhaps after the client read it.
wait_until(lambda: Scrape(url).value("api_requests_total", code="405", method="post") == 1.0, 5)
s = Scrape(url)
c.equal("404/405 not counted", s.value("requests_total", http_code="200") + s.value("requests_total", http_code="500"), 200.0)
# Every answer in the instrumented metrics, by code and method.
c.equal("instrumented 200s", s.value("api_requests_total", code="200", method="get"), float(first.count(200)))
c.equal("instrumented 500s", s.value("api_requests_total", code="500", method="get"), float(n500))
c.equal("instrumented 404", s.value("api_requests_total", code="404", method="get"), 1.0)
c.equal("instrumented 405", s.value("api_requests_total", code="405", method="post"), 1.0)
c.equal("latency observed for each", s.value("request_duration_seconds_count", code="200", method="get"),
        float(first.count(200)))
c.equal("size of each body", s.value("response_size_bytes_sum", code="500", method="get"),
        float(n500 * len("Internal Server Error\n")))
c.equal("none in flight", s.value("in_flight_requests"), 0.0)
c.equal("SIGTERM exits 0", p.stop(), 0)

# Same seed, same sequence; the rate also as the first argument.
p, app, url = start("--seed=42", "70")
c.equal("same seed reproduces the sequence", codes(app, 200), first)
p.stop()
p, app, url = start("100")
c.equal("rate 100: all succeed", set(codes(app, 50)), {200})
counted(url, 50)
c.equal("rate 100: gauge 0", Scrape(url).value("rate_requests"), 0.0)
p.stop()
p, app, url = start("--success-rate=0")
c.equal("rate 0: all fail", set(codes(app, 50)), {500})
counted(url, 50)
c.equal("rate 0: gauge 100", Scrape(url).value("rate_requests"), 100.0)
p.stop()

for bad in (["--success-rate=101"], ["abc"], ["50", "60"], ["--seed=-1"]):
    r = subprocess.run([BIN] + bad, capture_output=True, text=True, timeout=10)
    c.check("bad arguments %s exit 2" % bad, r.returncode == 2, r.stderr)
r = subprocess.run([BIN, "--help"], capture_output=True, text=True, timeout=10)
c.check("--help", r.returncode == 0 and "SUCCESS_RATE_SEED" in r.stdout and "[PCT]" in r.stdout, r.stdout)

VG = ["valgrind", "--error-exitcode=99", "--leak-check=full",
      "--errors-for-leak-kinds=definite,indirect,possible", "--show-leak-kinds=definite,indirect,possible"]
p, app, url = start("--seed=7", prefix=VG, timeout=60)
codes(app, 20)
Scrape(url)
rc = p.stop(timeout=60)
c.check("valgrind: exit 0, no errors", rc == 0, p.output()[-3000:])
c.done()
