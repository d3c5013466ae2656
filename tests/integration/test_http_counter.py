"""http_counter end to end: requests answered by the web application are
counted by status code once sent, through the /metrics endpoint, read with
client_python's parser. Also flags, concurrency, clean exit and valgrind."""

import os
import socket
import subprocess
import sys
import threading
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from promcheck import Checks, Proc, Scrape, free_port, get, wait_until  # noqa: E402

BIN = os.path.join(os.environ.get("PROMC_BUILD", "build"), "examples", "http_counter")
c = Checks("http_counter")
host = os.uname().nodename


def start(prefix=(), timeout=10):
    app, metrics = free_port(), free_port()
    p = Proc(list(prefix) + [BIN, "--app-listen=127.0.0.1:%d" % app,
                             "--listen=127.0.0.1:%d" % metrics])
    url = "http://127.0.0.1:%d/metrics" % metrics
    up = wait_until(lambda: get(url)[0] == 200, timeout)
    c.check("starts and serves metrics", up, p.output())
    return p, "http://127.0.0.1:%d" % app, url


def method(url, verb):
    req = urllib.request.Request(url, method=verb)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


p, app, metrics = start()
s = Scrape(metrics)
c.equal("200 child exists at 0", s.value("http_requests_total", status_code="200", instance=host), 0.0)
c.equal("404 child exists at 0", s.value("http_requests_total", status_code="404", instance=host), 0.0)
c.check("process metrics exported", s.value("process_resident_memory_bytes") is not None)
c.equal("family type", s.families["http_requests"].type, "counter")
c.equal("HELP", s.families["http_requests"].documentation, "HTTP request")

status, ctype, body = get(app + "/")
c.equal("GET / status", status, 200)
c.equal("GET / body", body, "<b> Hello World !</b>")
c.equal("GET /nope", get(app + "/nope")[0], 404)
c.equal("GET /?q=1 is /", get(app + "/?q=1")[0], 200)
c.equal("POST / answers 501", method(app + "/", "POST"), 501)
c.equal("DELETE /x answers 501", method(app + "/x", "DELETE"), 501)
wait_until(lambda: Scrape(metrics).value("http_requests_total", status_code="404", instance=host) == 1, 5)
s = Scrape(metrics)
c.equal("200 counted", s.value("http_requests_total", status_code="200", instance=host), 2.0)
c.equal("404 counted", s.value("http_requests_total", status_code="404", instance=host), 1.0)
c.equal("501 not counted", len(s.series("http_requests_total")), 2)

# Concurrent clients, exact totals.
def client(n):
    for i in range(n):
        get(app + ("/" if i % 3 else "/missing"))

threads = [threading.Thread(target=client, args=(60,)) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
want404 = 1 + 8 * 20
want200 = 2 + 8 * 40
wait_until(lambda: Scrape(metrics).value("http_requests_total", status_code="200", instance=host) == want200, 5)
s = Scrape(metrics)
c.equal("concurrent 200s exact", s.value("http_requests_total", status_code="200", instance=host), float(want200))
c.equal("concurrent 404s exact", s.value("http_requests_total", status_code="404", instance=host), float(want404))
om = Scrape(metrics, openmetrics=True)
c.check("OpenMetrics output parses", "http_requests" in om.families)

# A client that connects and says nothing does not block others.
idle = socket.create_connection(("127.0.0.1", int(app.rsplit(":", 1)[1])))
c.equal("served beside an idle client", get(app + "/")[0], 200)
idle.close()

c.equal("SIGTERM exits 0", p.stop(), 0)

# Flags.
r = subprocess.run([BIN, "--help"], capture_output=True, text=True, timeout=10)
c.check("--help exits 0 and lists flags with env names",
        r.returncode == 0 and "--web.listen-address" in r.stdout and "HTTP_COUNTER_APP_LISTEN" in r.stdout, r.stdout)
r = subprocess.run([BIN, "--version"], capture_output=True, text=True, timeout=10)
c.check("--version", r.returncode == 0 and "http_counter 1.0.0" in r.stdout, r.stdout)
r = subprocess.run([BIN, "--no-such-flag"], capture_output=True, text=True, timeout=10)
c.check("unknown flag exits 2", r.returncode == 2 and "no-such-flag" in r.stderr, r.stderr)
r = subprocess.run([BIN, "--listen=nonsense"], capture_output=True, text=True, timeout=10)
c.equal("bad listen address exits 2", r.returncode, 2)
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen(1)
r = subprocess.run([BIN, "--listen=127.0.0.1:%d" % busy.getsockname()[1],
                    "--app-listen=127.0.0.1:%d" % free_port()], capture_output=True, text=True, timeout=10)
c.check("port in use: error, exit 1", r.returncode == 1 and "cannot listen" in r.stderr, r.stderr)
busy.close()

# Environment fallback, flag wins.
app2, m2 = free_port(), free_port()
p = Proc([BIN, "--app-listen=127.0.0.1:%d" % app2],
         env={"HTTP_COUNTER_WEB_LISTEN_ADDRESS": "127.0.0.1:%d" % m2, "HTTP_COUNTER_APP_LISTEN": "127.0.0.1:1"})
c.check("env var used for the metrics address, flag wins for the app",
        wait_until(lambda: get("http://127.0.0.1:%d/metrics" % m2)[0] == 200 and get("http://127.0.0.1:%d/" % app2)[0] == 200, 10))
c.equal("exit 0", p.stop(), 0)

# Under valgrind: no error, no leak.
VG = ["valgrind", "--error-exitcode=99", "--leak-check=full",
      "--errors-for-leak-kinds=definite,indirect,possible", "--show-leak-kinds=definite,indirect,possible"]
p, app, metrics = start(VG, timeout=60)
get(app + "/")
get(app + "/nope")
Scrape(metrics)
rc = p.stop(timeout=60)
c.check("valgrind: exit 0, no errors", rc == 0, p.output()[-3000:])
c.done()
