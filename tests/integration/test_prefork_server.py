"""prefork_server end to end: workers forked by the parent answer requests on
one socket and count them in multi-process mode; the parent's /metrics has
the exact totals across worker restarts (--max-requests), agrees with
client_python's MultiProcessCollector reading the same directory, and the
directory stays small as workers come and go."""

import glob
import os
import shutil
import sys
import tempfile
import threading
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from promcheck import Checks, Proc, Scrape, free_port, get, wait_until  # noqa: E402

BIN = os.path.join(os.environ.get("PROMC_BUILD", "build"), "examples", "prefork_server")
c = Checks("prefork_server")

d = tempfile.mkdtemp(prefix="prefork_it_")
app, metrics = free_port(), free_port()
p = Proc([BIN, "--app-port=%d" % app, "--metrics-port=%d" % metrics, "--workers=3",
          "--max-requests=7", "--dir=" + d])
url = "http://127.0.0.1:%d/metrics" % metrics
c.check("starts and serves metrics", wait_until(lambda: get(url)[0] == 200, 10), p.output())
s = Scrape(url)
c.equal("200 series exists at 0", s.value("http_requests_total", method="GET", code="200"), 0.0)
c.equal("family type", s.families["http_requests"].type, "counter")

base = "http://127.0.0.1:%d" % app
pids = set()


def client(n):
    for i in range(n):
        status, _, body = get(base + ("/" if i % 5 else "/missing"))
        if status == 200:
            pids.add(body.split()[-1])


threads = [threading.Thread(target=client, args=(25,)) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
req = urllib.request.Request(base + "/", method="POST")
try:
    urllib.request.urlopen(req, timeout=5)
except urllib.error.HTTPError as e:
    c.equal("POST answers 501", e.code, 501)

want200, want404 = 4 * 20, 4 * 5
ok = wait_until(lambda: Scrape(url).value("http_requests_total", method="GET",
                                          code="200") == want200, 10)
s = Scrape(url)
c.equal("200s exact across workers and restarts",
        s.value("http_requests_total", method="GET", code="200"), float(want200))
c.equal("404s exact", s.value("http_requests_total", method="GET", code="404"), float(want404))
c.equal("501 counted", s.value("http_requests_total", method="other", code="501"), 1.0)
c.equal("histogram count = requests", s.value("http_request_duration_seconds_count"),
        float(want200 + want404 + 1))
c.equal("nothing in progress", s.value("http_requests_in_progress"), 0.0)
c.check("several workers answered (with restarts: 101 requests, 7 each)", len(pids) > 3, pids)
c.check("no refused file", "promc_multiprocess_refused_files" not in s.families)

# Dead workers are compacted: a parent file, one per live worker, one compacted.
counters = glob.glob(os.path.join(d, "counter_*.db"))
c.check("directory stays small (%d counter files)" % len(counters), len(counters) <= 5, counters)

# client_python reads the same directory to the same totals.
try:
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector
    reg = CollectorRegistry()
    MultiProcessCollector(reg, path=d)
    py = {(x.name, tuple(sorted(x.labels.items()))): x.value
          for f in reg.collect() for x in f.samples}
    c.equal("client_python agrees on 200s",
            py.get(("http_requests_total", (("code", "200"), ("method", "GET"))))
            , float(want200))
    c.equal("client_python agrees on the histogram count",
            py.get(("http_request_duration_seconds_count", ())), float(want200 + want404 + 1))
except ImportError:
    print("  (client_python not installed: comparison skipped)")

c.equal("exit 0 on SIGTERM", p.stop(), 0)
shutil.rmtree(d, ignore_errors=True)
c.done()
