"""Hostile upstreams for the exporters' integration tests (run with /usr/bin/python3).

HostileServer is a small threaded socket server: each connection reads one
request, then gets the behaviour set when the request arrived -- the fake
upstream's normal answer (`.behaviour = None`), or one of the scripted
misbehaviours below: a body that never ends, a 1 GiB body (Content-Length or
chunked), bogus chunk sizes, a redirect to itself, a trickle of one byte a
second, deeply nested JSON. Every behaviour stops when the client hangs up,
when the server stops, or after LIFETIME seconds, so no thread outlives a
test by more than that.

run_cases() drives a running exporter through a list of Cases against one
server and checks what each must show: the failure is visible (the up metric
drops, the error counter grows, a log line names it once) within a bound,
scrapes stay fast meanwhile, the process lives and its peak RSS (VmHWM) stays
under a limit, and it recovers once the upstream behaves again.
run_back_to_back() chains failures with no recovery in between, each of which
must be logged; stop_while() sends SIGTERM while a request is stuck. Every
wait is bounded.
"""

import json
import os
import re
import socket
import threading
import time

from promcheck import Scrape

LIFETIME = 30  # seconds a misbehaving exchange may last at most
SEND_TIMEOUT = 2  # a client that stops reading without hanging up: give up after this
REQUEST_MAX = 64 * 1024
GIB = 1 << 30
# Added to every RSS limit: a sanitizer build's shadow memory and quarantine
# take tens of MiB more (e.g. PROMC_RSS_SLACK_MIB=300 for ASan).
RSS_SLACK_MIB = int(os.environ.get("PROMC_RSS_SLACK_MIB", "0"))
FILLER = b" " * (64 * 1024)  # whitespace: valid between JSON tokens


class Request:
    def __init__(self, method, path, headers):
        self.method = method
        self.path = path
        self.headers = headers


class Exchange:
    """One connection: the request read, and sending bounded by the server's
    stop, the client hanging up and LIFETIME."""

    def __init__(self, server, conn, request):
        self.server = server
        self.conn = conn
        self.request = request
        self.deadline = time.monotonic() + LIFETIME

    def alive(self):
        return not self.server.stopping.is_set() and time.monotonic() < self.deadline

    def send(self, data):
        """True when all of data went out; False once the client is gone."""
        if not self.alive():
            return False
        try:
            self.conn.sendall(data)
            return True
        except OSError:  # reset, broken pipe, or SEND_TIMEOUT without progress
            return False

    def pause(self, seconds):
        """Sleeps unless the server stops first; False when it did."""
        return not self.server.stopping.wait(seconds) and self.alive()

    def head(self, status=200, reason="OK", headers=()):
        lines = ["HTTP/1.1 %d %s" % (status, reason)] + list(headers) + ["Connection: close"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


class HostileServer:
    """Serves normal(request) -> (status, headers dict, body bytes) while
    .behaviour is None, else calls .behaviour(exchange) for each request.
    .requests lists (method, path) of every request, in order."""

    def __init__(self, normal):
        self.normal = normal
        self.behaviour = None
        self.requests = []
        self.stopping = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)  # so the accept loop sees a stop
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        self.sock.close()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            conn.settimeout(SEND_TIMEOUT)
            request = self._read_request(conn)
            if request:
                self.requests.append((request.method, request.path))
                ex = Exchange(self, conn, request)
                (self.behaviour or self._normal)(ex)
        except OSError:
            pass
        finally:
            conn.close()

    @staticmethod
    def _read_request(conn):
        data = b""
        while b"\r\n\r\n" not in data:
            if len(data) > REQUEST_MAX:
                return None
            got = conn.recv(4096)
            if not got:
                return None
            data += got
        lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            return None
        headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
        return Request(parts[0], parts[1], {k.strip(): v.strip() for k, v in headers.items()})

    def _normal(self, ex):
        status, headers, body = self.normal(ex.request)
        lines = ["%s: %s" % kv for kv in headers.items() if kv[0].lower() != "content-length"]
        ex.send(ex.head(status, "Whatever", lines + ["Content-Length: %d" % len(body)]) + body)


# ------------------------------------------------------------------ behaviours
# Each is a function(exchange); the factories below build them.

def endless(piece=FILLER, prefix=b"", chunked=False):
    """200 and a body that never ends: prefix, then piece for ever, without a
    length (read until close) or in chunks."""
    def run(ex):
        if chunked:
            framed = b"%x\r\n%s\r\n" % (len(piece), piece)
            first = b"%x\r\n%s\r\n" % (len(prefix), prefix) if prefix else b""
            hdr = ["Content-Type: application/json", "Transfer-Encoding: chunked"]
        else:
            framed, first = piece, prefix
            hdr = ["Content-Type: application/json"]
        if ex.send(ex.head(headers=hdr) + first):
            while ex.send(framed):
                pass
    return run


def huge_length(size=GIB):
    """200 announcing size bytes by Content-Length, then sending them (until the
    client hangs up)."""
    def run(ex):
        sent = 0
        if ex.send(ex.head(headers=["Content-Type: application/json",
                                    "Content-Length: %d" % size])):
            while sent < size and ex.send(FILLER[:min(len(FILLER), size - sent)]):
                sent += len(FILLER)
    return run


def huge_chunked(size=GIB):
    """A chunked body of size bytes in 64 KiB chunks (until the client hangs up)."""
    def run(ex):
        hdr = ["Content-Type: application/json", "Transfer-Encoding: chunked"]
        framed = b"%x\r\n%s\r\n" % (len(FILLER), FILLER)
        sent = 0
        if ex.send(ex.head(headers=hdr)):
            while sent < size and ex.send(framed):
                sent += len(FILLER)
            ex.send(b"0\r\n\r\n")
    return run


def huge_chunk(size=GIB):
    """A chunked body whose first chunk announces size bytes."""
    def run(ex):
        hdr = ["Content-Type: application/json", "Transfer-Encoding: chunked"]
        if ex.send(ex.head(headers=hdr) + b"%x\r\n" % size):
            while ex.send(FILLER):
                pass
    return run


def raw_chunks(data, then_hold=False):
    """A chunked answer whose body is data as given (bogus sizes and all);
    then_hold keeps the connection open afterwards instead of closing."""
    def run(ex):
        hdr = ["Content-Type: application/json", "Transfer-Encoding: chunked"]
        if ex.send(ex.head(headers=hdr) + data) and then_hold:
            ex.pause(LIFETIME)
    return run


def endless_line(byte=b"1"):
    """A chunked answer whose chunk-size line never ends (no CRLF, ever)."""
    def run(ex):
        hdr = ["Content-Type: application/json", "Transfer-Encoding: chunked"]
        if ex.send(ex.head(headers=hdr)):
            while ex.send(byte * 4096):
                pass
    return run


def redirect_to_self(status=302):
    """A redirect whose Location is the very URL requested: a loop for a client
    that follows redirects."""
    def run(ex):
        where = "http://127.0.0.1:%d%s" % (ex.server.port, ex.request.path)
        ex.send(ex.head(status, "Found", ["Location: " + where, "Content-Length: 0"]))
    return run


def trickle(body=b'{"jobs":[]}', every=1.0):
    """A valid 200 answer, head included, one byte every `every` seconds."""
    def run(ex):
        data = ex.head(headers=["Content-Type: application/json",
                                "Content-Length: %d" % len(body)]) + body
        for i in range(len(data)):
            if not ex.send(data[i:i + 1]) or not ex.pause(every):
                return
    return run


def answer(status, body, headers=("Content-Type: application/json",)):
    """A plain answer with a Content-Length."""
    def run(ex):
        ex.send(ex.head(status, "Whatever", list(headers) + ["Content-Length: %d" % len(body)])
                + body)
    return run


def nested_arrays(depth=100000):
    return b'{"jobs":' + b"[" * depth + b"]" * depth + b"}"


def nested_objects(depth=100000):
    return b'{"jobs":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"


# ------------------------------------------------------------------ cases

class Case:
    """A misbehaviour and what an exporter must log for it (a regular
    expression searched in the log lines written during the case). fails=False
    for an answer the exporter may accept (hitl does not read bodies)."""

    def __init__(self, name, behaviour, log, fails=True):
        self.name = name
        self.behaviour = behaviour
        self.log = log
        self.fails = fails

    def but(self, **changes):
        """A copy with some fields changed (a log message of one exporter)."""
        c = Case(self.name, self.behaviour, self.log, self.fails)
        c.__dict__.update(changes)
        return c


TOO_LARGE = r"larger than max_body"
MALFORMED_CHUNK = r"malformed response from [^ ]+: (invalid chunk-size line|chunk size overflows)"
TIMEOUT = r"timeout after [0-9.]+ s (reading from|connecting to)"
NESTING = r"nesting deeper than 64 levels"

CASES = [
    Case("endless body (until close)", endless(), TOO_LARGE),
    Case("endless body (chunked)", endless(chunked=True), TOO_LARGE),
    Case("1 GiB body (Content-Length)", huge_length(), TOO_LARGE),
    Case("1 GiB body (one chunk)", huge_chunk(), TOO_LARGE),
    Case("1 GiB body (64 KiB chunks)", huge_chunked(), TOO_LARGE),
    Case("negative chunk size", raw_chunks(b"-5\r\nhello\r\n0\r\n\r\n"), MALFORMED_CHUNK),
    Case("hex garbage chunk size", raw_chunks(b"zz\r\nhello\r\n0\r\n\r\n"), MALFORMED_CHUNK),
    Case("chunk size over 64 bits", raw_chunks(b"1" + b"0" * 20 + b"\r\nx\r\n0\r\n\r\n"),
         MALFORMED_CHUNK),
    Case("huge chunk size (2^63 - 1)", raw_chunks(b"7fffffffffffffff\r\n{}\r\n0\r\n\r\n"),
         TOO_LARGE),
    Case("chunk data without CRLF", raw_chunks(b"2\r\n{}XX0\r\n\r\n", then_hold=True),
         r"chunk data not followed by CRLF"),
    Case("chunk-size line without CRLF", endless_line(), r"chunk-size line too long"),
    Case("truncated chunked body, connection held", raw_chunks(b"10\r\n{}", then_hold=True),
         TIMEOUT),
    Case("redirect to itself", redirect_to_self(), r"\b302\b"),
    Case("one byte a second", trickle(), TIMEOUT),
    Case("100,000 nested arrays", answer(200, nested_arrays()), NESTING),
    Case("100,000 nested objects", answer(200, nested_objects()), NESTING),
]


def named(*names):
    """The CASES of these names, in this order."""
    by_name = {case.name: case for case in CASES}
    return [by_name[n] for n in names]


# Failures one after the other, each a different kind of transport error
# (the HTTP client reports them all as PROMC_EIO) or answer.
BACK_TO_BACK = named("negative chunk size", "one byte a second", "chunk data without CRLF",
                     "1 GiB body (Content-Length)", "redirect to itself",
                     "100,000 nested arrays")


# ------------------------------------------------------------------ driving an exporter

def proc_status_kib(pid, field):
    """VmRSS, VmHWM... of a process in KiB, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def timed_scrape(url):
    """(seconds, Scrape or None)."""
    t = time.monotonic()
    try:
        s = Scrape(url)
    except AssertionError:
        s = None
    return time.monotonic() - t, s


class Target:
    """A running exporter as run_cases sees it: its Proc, metrics URL, the up
    sample (name, labels; 1 when the last poll worked) and the error counter."""

    def __init__(self, proc, url, up, errors, up_labels=None):
        self.proc = proc
        self.url = url
        self.up = up
        self.up_labels = up_labels or {}
        self.errors = errors

    def up_value(self, s):
        return s.value(self.up, **self.up_labels) if s else None

    def errors_value(self, s):
        return s.value(self.errors) if s else None


def run_cases(c, server, target, cases, rss_limit_mib, fail_within, recover_within=5.0,
              scrape_bound=1.0, label=""):
    """Runs each case on target: switch the server to it, wait for two failed
    polls (fail_within seconds at most), scraping all the while, then back to
    normal and wait for up (recover_within). Checks per case: failure visible
    (up 0, errors + 2, the log line), every scrape within scrape_bound
    seconds, process alive, VmHWM below rss_limit_mib, recovery. Stops early
    (killing the exporter) when its RSS passes the limit, so a regression
    cannot eat the machine. Returns {case name: (seconds it took, VmHWM KiB)}."""
    rss_limit_mib += RSS_SLACK_MIB
    limit_kib = rss_limit_mib * 1024
    pid = target.proc.p.pid
    took = {}
    for case in cases:
        what = label + case.name
        t0 = time.monotonic()
        _, s = timed_scrape(target.url)
        errors0 = target.errors_value(s) or 0
        log_at = len(target.proc.output())
        requests0 = len(server.requests)
        server.behaviour = case.behaviour
        slowest = 0.0
        why = None
        end = time.monotonic() + (fail_within if case.fails else fail_within / 4)
        while time.monotonic() < end:
            if target.proc.p.poll() is not None:
                why = "exited with %s" % target.proc.p.returncode
                break
            rss = proc_status_kib(pid, "VmRSS") or 0
            if rss > limit_kib:
                why = "VmRSS %d KiB" % rss
                target.proc.p.kill()
                break
            dt, s = timed_scrape(target.url)
            slowest = max(slowest, dt)
            if case.fails and (target.errors_value(s) or 0) >= errors0 + 2:
                break
            time.sleep(0.02)
        failed_after = time.monotonic() - t0
        peak = proc_status_kib(pid, "VmHWM")
        log = target.proc.output()[log_at:]
        c.check(what + ": process alive", why is None, why)
        if case.fails:
            c.check(what + ": two polls fail within %g s" % fail_within,
                    (target.errors_value(s) or 0) >= errors0 + 2,
                    "%.2f s, errors %s -> %s\n%s" % (failed_after, errors0,
                                                     target.errors_value(s), log[-1500:]))
            c.equal(what + ": up 0", target.up_value(s), 0.0)
            c.equal(what + ": a log line names the failure (/%s/), once, not every poll"
                    % case.log, len(re.findall(case.log, log)), 1)
        else:
            c.equal(what + ": accepted, no error", target.errors_value(s), errors0)
            c.equal(what + ": still up", target.up_value(s), 1.0)
        c.check(what + ": scrapes answered within %g s" % scrape_bound, slowest < scrape_bound,
                "slowest %.2f s" % slowest)
        c.check(what + ": peak RSS (VmHWM) below %d MiB" % rss_limit_mib,
                peak is not None and peak < limit_kib, "VmHWM %s KiB" % peak)
        if case.fails:
            # Two polls may overlap the switch: the one in flight and the next.
            n_requests = len(server.requests) - requests0
            polls = (target.errors_value(s) or 0) - errors0
            c.check(what + ": one request a poll (no retry, no redirect followed)",
                    n_requests <= polls + 2, "%d requests, %s failed polls" % (n_requests, polls))
        server.behaviour = None
        if why is None:
            ok = None
            end = time.monotonic() + recover_within
            while time.monotonic() < end and not ok:
                dt, s = timed_scrape(target.url)
                slowest = max(slowest, dt)
                ok = target.up_value(s) == 1.0
                if not ok:
                    time.sleep(0.02)
            c.check(what + ": recovers within %g s" % recover_within, ok,
                    target.proc.output()[-1500:])
        took[case.name] = (round(time.monotonic() - t0, 2), peak)
        if why is not None:
            break
    return took


def run_back_to_back(c, server, target, cases, within, recover_within=5.0, label=""):
    """Goes from one failing case to the next with no good answer in between:
    each change must be logged within `within` seconds although the exporter
    never recovered (else its log goes on naming a cause that is gone). Ends
    on normal answers and checks the recovery."""
    for case in cases:
        what = label + "back to back: " + case.name
        log_at = len(target.proc.output())
        server.behaviour = case.behaviour
        end = time.monotonic() + within
        found = None
        while time.monotonic() < end and not found and target.proc.p.poll() is None:
            found = re.search(case.log, target.proc.output()[log_at:])
            time.sleep(0.02)
        c.check(what + ": the new failure is logged (/%s/)" % case.log, found,
                target.proc.output()[log_at:][-1500:])
    server.behaviour = None
    ok = None
    end = time.monotonic() + recover_within
    while time.monotonic() < end and not ok:
        ok = target.up_value(timed_scrape(target.url)[1]) == 1.0
        time.sleep(0.02)
    c.check(label + "back to back: recovers within %g s" % recover_within, ok)


def stop_while(c, server, proc, behaviour, within, label=""):
    """SIGTERM while a request is stuck on behaviour (say, a trickle): the
    exporter must exit 0 within `within` seconds (its timeout and a margin),
    not wait for the server. Returns the exit code."""
    n = len(server.requests)
    server.behaviour = behaviour
    end = time.monotonic() + 5
    while len(server.requests) == n and time.monotonic() < end:
        time.sleep(0.01)
    t = time.monotonic()
    rc = proc.stop()
    took = time.monotonic() - t
    c.check(label + "SIGTERM during a request: exit 0 within %g s" % within,
            len(server.requests) > n and rc == 0 and took < within,
            "exit %s after %.2f s" % (rc, took))
    server.behaviour = None
    out = proc.output()
    c.check(label + "no sanitizer report", "Sanitizer" not in out and "runtime error" not in out,
            out[-2000:])
    return rc


def json_answer(doc):
    body = json.dumps(doc).encode()
    return lambda request: (200, {"Content-Type": "application/json"}, body)
