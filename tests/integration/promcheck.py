"""Shared by the example exporters' integration tests (run with /usr/bin/python3).

Starts programs and fake upstreams on 127.0.0.1, stops them by PID, scrapes
/metrics and reads it with prometheus_client's parsers (never by grepping),
and counts checks. Every wait is bounded.
"""

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse
from prometheus_client.parser import text_string_to_metric_families as text_parse

OM_ACCEPT = "application/openmetrics-text;version=1.0.0"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Proc:
    """A program under test: started with its output captured to a file, stopped
    by PID (SIGTERM, then SIGKILL after a bound)."""

    count = 0

    def __init__(self, args, env=None, name=None):
        self.name = name or os.path.basename(args[0])
        Proc.count += 1
        self.log_path = "/tmp/promc-it-%s-%d-%d.log" % (self.name, os.getpid(), Proc.count)
        self.log = open(self.log_path, "wb")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.p = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=full_env)

    def stop(self, timeout=10):
        """SIGTERM and wait; returns the exit code (SIGKILL after timeout)."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self.log.close()
        return self.p.returncode

    def remove_log(self):
        try:
            os.unlink(self.log_path)
        except OSError:
            pass

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def get(url, accept=None, timeout=5, headers=None):
    """(status, content_type, body) of a GET; status 0 when nothing answered."""
    req = urllib.request.Request(url)
    if accept:
        req.add_header("Accept", accept)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return 0, None, ""


def wait_until(pred, timeout=10, step=0.05):
    """Polls pred() until it is truthy (returns its value) or timeout (returns None)."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= end:
            return None
        time.sleep(step)


class Scrape:
    """One scrape, parsed with client_python's text or OpenMetrics parser."""

    def __init__(self, url, openmetrics=False):
        status, ctype, body = get(url, OM_ACCEPT if openmetrics else None)
        if status != 200:
            raise AssertionError("scrape %s: status %s" % (url, status))
        self.content_type = ctype
        self.body = body
        parse = om_parse if openmetrics else text_parse
        self.families = {f.name: f for f in parse(body)}
        self.samples = {}
        for f in self.families.values():
            for s in f.samples:
                self.samples[(s.name, tuple(sorted(s.labels.items())))] = s.value

    def value(self, name, **labels):
        """The sample's value, or None when absent."""
        return self.samples.get((name, tuple(sorted(labels.items()))))

    def series(self, name):
        """[(labels dict, value)] of every sample with this name."""
        return [(dict(k[1]), v) for k, v in self.samples.items() if k[0] == name]


def wait_value(url, name, want, timeout=10, **labels):
    """Scrapes until sample name{labels} == want; returns the last value seen."""
    last = [None]

    def ok():
        try:
            last[0] = Scrape(url).value(name, **labels)
        except AssertionError:
            return False
        return last[0] == want

    wait_until(ok, timeout, 0.1)
    return last[0]


class FakeUpstream:
    """A scripted HTTP server in a thread. `routes` maps a path (without the
    query) to a function(handler) -> (status, headers dict, body bytes), or the
    special value "hang" (never answer), "close" (close without answering).
    Requests seen are kept in .requests as (method, path, headers)."""

    def __init__(self, routes=None):
        self.routes = routes or {}
        self.requests = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _serve(self):
                path = self.path.split("?", 1)[0]
                owner.requests.append((self.command, self.path, dict(self.headers)))
                route = owner.routes.get(path, owner.routes.get("*"))
                if route is None:
                    self._reply(404, {}, b"not found\n")
                    return
                if route == "hang":
                    time.sleep(owner.hang_seconds)
                    self.close_connection = True
                    return
                if route == "close":
                    self.close_connection = True
                    return
                status, headers, body = route(self)
                self._reply(status, headers, body)

            def _reply(self, status, headers, body):
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self.hang_seconds = 30
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # Clients hanging up mid-answer (timeouts, size caps) are expected.
        self.server.handle_error = lambda *args: None
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def json_route(obj, status=200):
    body = json.dumps(obj).encode()
    return lambda h: (status, {"Content-Type": "application/json"}, body)


class Checks:
    """Counts checks and prints the closing line 'N passed, M failed'."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, desc, cond, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: %s %s" % (desc, detail), file=sys.stderr)
        return cond

    def equal(self, desc, got, want):
        return self.check(desc, got == want, "(got %r, want %r)" % (got, want))

    def done(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed, self.failed))
        sys.exit(1 if self.failed else 0)
