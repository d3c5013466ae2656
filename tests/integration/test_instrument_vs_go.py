"""promc_http_instrument against client_golang's promhttp itself: the
success_rate example at --success-rate=100 and instrument_go/main.go (the
same service wrapped in promhttp.InstrumentHandlerInFlight, Duration,
Counter and ResponseSize, built offline against Debian's client_golang)
get the same requests -- standard methods in both cases, an unknown one,
HEAD, 404 and 405 answers -- and must expose the same HELP, TYPE and
samples for every instrumented family, durations' sums aside."""

import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from promcheck import Checks, Proc, free_port, get, wait_until  # noqa: E402

BUILD = os.environ.get("PROMC_BUILD", "build")
BIN = os.path.join(BUILD, "examples", "success_rate")
HERE = os.path.dirname(os.path.abspath(__file__))
GOCODE = "/usr/share/gocode"
c = Checks("instrument_vs_go")

if not os.path.isdir(GOCODE + "/src/github.com/prometheus/client_golang/prometheus/promhttp"):
    print("instrument_vs_go: needs golang-go and golang-github-prometheus-client-golang-dev",
          file=sys.stderr)
    sys.exit(1)
work = tempfile.mkdtemp(prefix="promc-instrument-go-")
go_bin = os.path.join(work, "instrument_go")
env = dict(os.environ, GO111MODULE="off", GOPATH=work + "/gopath:" + GOCODE,
           GOCACHE=work + "/gocache", GOFLAGS="")
r = subprocess.run(["go", "build", "-o", go_bin, "main.go"], cwd=os.path.join(HERE, "instrument_go"),
                   env=env, capture_output=True, text=True, timeout=600)
c.check("the Go peer builds", r.returncode == 0, r.stderr)

REQUESTS = [b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"] * 3 + [
    b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody",
    b"DELETE / HTTP/1.1\r\nHost: t\r\n\r\n",
    b"PUT /y HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
    b"OPTIONS / HTTP/1.1\r\nHost: t\r\n\r\n",
    b"PATCH / HTTP/1.1\r\nHost: t\r\n\r\n",
    b"BREW / HTTP/1.1\r\nHost: t\r\n\r\n",
    b"get / HTTP/1.1\r\nHost: t\r\n\r\n",
    b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n",
    b"HEAD /z HTTP/1.1\r\nHost: t\r\n\r\n",
]


def send_all(port):
    """Each request on its own connection; returns the status lines."""
    statuses = []
    for raw in REQUESTS:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(raw.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        statuses.append(data.split(b"\r\n", 1)[0].decode())
    return statuses


FAMILIES = ("api_requests_total", "request_duration_seconds", "response_size_bytes",
            "in_flight_requests")


def instrumented(url):
    """The instrumented families' lines, sorted (client_golang sorts series,
    promc keeps their creation order); duration sums vary and are left out."""
    status, _, text = get(url)
    c.equal("scrape " + url, status, 200)
    lines = []
    for line in text.splitlines():
        name = line.split()[2] if line.startswith("# ") else line.split("{")[0].split(" ")[0]
        if not any(name == f or name.startswith(f + "_") for f in FAMILIES):
            continue
        if name == "request_duration_seconds_sum":
            continue
        if name == "request_duration_seconds_bucket" and 'le="+Inf"' not in line:
            continue  # the finite buckets depend on the timing
        lines.append(line)
    return sorted(lines)


app, metrics = free_port(), free_port()
go = Proc([go_bin, str(app), str(metrics)], name="instrument_go")
c.check("Go peer serves", wait_until(lambda: get("http://127.0.0.1:%d/metrics" % metrics)[0] == 200, 10),
        go.output())
go_status = send_all(app)
go_lines = instrumented("http://127.0.0.1:%d/metrics" % metrics)
go.stop()

app, metrics = free_port(), free_port()
p = Proc([BIN, "--success-rate=100", "--app-listen=127.0.0.1:%d" % app,
          "--listen=127.0.0.1:%d" % metrics])
c.check("success_rate serves", wait_until(lambda: get("http://127.0.0.1:%d/metrics" % metrics)[0] == 200, 10),
        p.output())
promc_status = send_all(app)
promc_lines = instrumented("http://127.0.0.1:%d/metrics" % metrics)
c.equal("SIGTERM exits 0", p.stop(), 0)

c.equal("same status lines", [s.split(" ")[1] for s in promc_status], [s.split(" ")[1] for s in go_status])
c.check("families present", any(l.startswith("api_requests_total{") for l in go_lines), "\n".join(go_lines))
missing = [l for l in go_lines if l not in promc_lines]
extra = [l for l in promc_lines if l not in go_lines]
c.check("the same instrumented exposition as client_golang's promhttp", not missing and not extra,
        "only in client_golang:\n  %s\nonly in promc:\n  %s" % ("\n  ".join(missing), "\n  ".join(extra)))
c.done()
