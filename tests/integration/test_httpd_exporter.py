"""Integration test of examples/httpd_exporter against a temporary access log.

Writes Common/Combined lines, garbage, partial lines; rotates (rename and
re-create) and truncates the file; checks exact counts per status code, bytes
and unparsed lines from scrapes parsed by client_python. Run with
/usr/bin/python3; PROMC_BUILD names the build directory (default "build").
"""

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from promcheck import Checks, Proc, Scrape, free_port, get, wait_until, wait_value  # noqa: E402

BIN = os.path.join(os.environ.get("PROMC_BUILD", "build"), "examples", "httpd_exporter")
VALGRIND = ["valgrind", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect,possible",
            "--show-leak-kinds=definite,indirect,possible"]
DATE = "[10/Oct/2000:13:55:36 -0700]"
POLL = "0.05s"
SETTLE = 0.4  # several poll intervals: long enough for a double count to show

c = Checks("httpd_exporter")
tmp = tempfile.mkdtemp(prefix="promc-httpd-")


def clf(status, size, host="192.0.2.7", request="GET / HTTP/1.1"):
    return '%s - - %s "%s" %s %s\n' % (host, DATE, request, status, size)


def combined(status, size, host="192.0.2.7", request="GET / HTTP/1.1"):
    return clf(status, size, host, request)[:-1] + ' "http://example.com/" "Mozilla/5.0 (X11)"\n'


def write(path, text, mode="ab"):
    with open(path, mode) as f:
        f.write(text.encode() if isinstance(text, str) else text)


class Exporter:
    """httpd_exporter on an ephemeral port, polling every 0.05 s."""

    def __init__(self, log_file=None, extra=(), env=None, valgrind=False, path="/metrics"):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d%s" % (self.port, path)
        args = [BIN, "--listen", "127.0.0.1:%d" % self.port, "--poll-interval", POLL]
        if log_file:
            args += ["--log-file", log_file]
        args += list(extra)
        if valgrind:
            args = VALGRIND + args
        self.proc = Proc(args, env=env, name="httpd_exporter")
        up = wait_until(lambda: get(self.url)[0] == 200, 30 if valgrind else 10)
        c.check("exporter answers on %s" % self.url, up, self.proc.output())

    def scrape(self):
        return Scrape(self.url)

    def wait(self, name, want, timeout=10, **labels):
        got = wait_value(self.url, name, want, timeout, **labels)
        return c.equal("%s%s" % (name, labels or ""), got, want)

    def expect(self, desc, requests, nbytes, unparsed):
        """Waits for the unparsed count and every status count, then checks
        the whole state twice (now and after SETTLE) against the expectation:
        nothing missing, nothing counted twice, no other status."""
        for status, n in requests.items():
            wait_value(self.url, "httpd_requests_total", n, status_code=status)
        wait_value(self.url, "httpd_lines_unparsed_total", unparsed)
        wait_value(self.url, "httpd_bytes_sent_total", nbytes)
        for when in ("", " (settled)"):
            if when:
                time.sleep(SETTLE)
            s = self.scrape()
            got = {l["status_code"]: v for l, v in s.series("httpd_requests_total")}
            c.equal(desc + ": requests" + when, got, {k: float(v) for k, v in requests.items()})
            c.equal(desc + ": bytes" + when, s.value("httpd_bytes_sent_total"), float(nbytes))
            c.equal(desc + ": unparsed" + when, s.value("httpd_lines_unparsed_total"),
                    float(unparsed))

    def stop(self, desc):
        rc = self.proc.stop(30)
        c.equal(desc + ": exit code after SIGTERM", rc, 0)
        return rc


# ------------------------------------------------------------------ CLI

def test_cli():
    r = subprocess.run([BIN, "--help"], capture_output=True, text=True, timeout=10)
    c.equal("--help exit code", r.returncode, 0)
    for word in ["--web.listen-address", "--listen", "HTTPD_WEB_LISTEN_ADDRESS",
                 "--web.telemetry-path", "HTTPD_WEB_TELEMETRY_PATH", "--log-file", "HTTPD_LOG_FILE",
                 "/var/log/apache2/access.log", "from-start", "HTTPD_FROM_START",
                 "--poll-interval", "HTTPD_POLL_INTERVAL", "0.5s", ":9863", "--log.level"]:
        c.check("--help mentions %s" % word, word in r.stdout, r.stdout)
    r = subprocess.run([BIN, "--version"], capture_output=True, text=True, timeout=10)
    c.check("--version", r.returncode == 0 and "1.0.0" in r.stdout, r.stdout)
    r = subprocess.run([BIN, "--no-such-flag"], capture_output=True, text=True, timeout=10)
    c.equal("unknown flag exit code", r.returncode, 2)
    r = subprocess.run([BIN, "--poll-interval", "soon"], capture_output=True, text=True,
                       timeout=10)
    c.equal("bad duration exit code", r.returncode, 2)
    env = dict(os.environ, HTTPD_FROM_START="maybe")
    r = subprocess.run([BIN], capture_output=True, text=True, timeout=10, env=env)
    c.equal("bad HTTPD_FROM_START exit code", r.returncode, 2)
    r = subprocess.run([BIN, "--listen", "2001:db8::1:80"], capture_output=True, text=True,
                       timeout=10)
    c.equal("unbracketed IPv6 listen address exit code", r.returncode, 2)


# ------------------------------------------------------------------ formats

def test_formats():
    """From the start (by environment): Common, Combined, IPv6, "-" sizes,
    escaped quotes, CRLF, garbage, NUL bytes, invalid UTF-8, a too-long line;
    then a line written in two pieces."""
    log = os.path.join(tmp, "formats.log")
    lines = [
        clf(200, 100),
        clf(200, 200, host="www.example.com"),
        combined(200, 300),
        combined(404, 10),
        clf(404, "-"),
        clf(200, 5, host="::1"),
        combined(200, "-", host="2001:db8::1"),
        clf(500, 7, request='GET /a\\"b\\" HTTP/1.1'),
        clf(301, 1).replace("\n", "\r\n"),
        "\n",  # blank: ignored
        "garbage\n",
        clf(200, 1).replace("200", "2000"),  # bad status
        clf(200, "99999999999999999999"),  # size overflow
        "x" * 70000 + "\n",  # too long
    ]
    data = "".join(lines).encode()
    data += b"1.2.3.4 - - " + DATE.encode() + b' "GET /\x00 HTTP/1.1" 200 3\n'  # NUL inside
    data += b"\xff\xfe\xfd not utf-8 \xc3\x28\n"
    data += clf(200, 11, request="GET /\xe9t\xe9 HTTP/1.1").encode("latin-1")  # bytes >= 0x80 ok
    write(log, data, "wb")
    e = Exporter(extra=[], env={"HTTPD_LOG_FILE": log, "HTTPD_FROM_START": "true"})
    e.expect("formats", {"200": 6, "404": 2, "500": 1, "301": 1}, 634, 6)
    s = e.scrape()
    c.equal("HELP of httpd_requests", s.families["httpd_requests"].documentation, "http request")
    c.equal("HELP of httpd_bytes_sent", s.families["httpd_bytes_sent"].documentation,
            "Total bytes sent by httpd")
    c.equal("type of httpd_lines_unparsed", s.families["httpd_lines_unparsed"].type, "counter")
    c.equal("httpd_log_file_up", s.value("httpd_log_file_up"), 1.0)
    c.check("process_* metrics", any(n.startswith("process_") for n in s.families), s.families)

    # A line written in two pieces counts once, and only when complete.
    line = clf(201, 50, request='GET /piece\\" HTTP/1.1').encode()
    write(log, line[:25])
    time.sleep(SETTLE)
    write(log, line[25:-1])
    time.sleep(SETTLE)
    s = e.scrape()
    c.equal("half a line: not counted", s.value("httpd_requests_total", status_code="201"), None)
    c.equal("half a line: not unparsed", s.value("httpd_lines_unparsed_total"), 6.0)
    write(log, b"\n")
    e.expect("completed line", {"200": 6, "404": 2, "500": 1, "301": 1, "201": 1}, 684, 6)
    # A final line without newline at exit is dropped (not counted, no crash).
    write(log, clf(200, 1)[:-1])
    e.stop("formats")


# ------------------------------------------------------------------ start at end

def test_start_at_end():
    """Default (the flag wins over HTTPD_FROM_START=true): existing lines are
    skipped, including the rest of a line being written at startup."""
    log = os.path.join(tmp, "end.log")
    write(log, clf(200, 1) + clf(404, 2) + "garbage\n" + clf(200, 3)[:-3], "wb")
    e = Exporter(log, ["--no-from-start"], env={"HTTPD_FROM_START": "true"})
    e.wait("httpd_log_file_up", 1)
    write(log, clf(200, 3)[-3:])  # completes the line cut at startup: skipped
    time.sleep(SETTLE)
    e.expect("start at end, nothing new", {}, 0, 0)
    write(log, clf(200, 10) + combined(503, 20) + "garbage\n")
    e.expect("start at end, new lines", {"200": 1, "503": 1}, 30, 1)
    e.stop("start at end")


# ------------------------------------------------------------------ missing file

def test_missing_file():
    """The file is missing at startup: up is 0; once it appears it is read
    from its start, even without --from-start. Custom telemetry path."""
    log = os.path.join(tmp, "sub", "late.log")
    e = Exporter(log, ["--web.telemetry-path", "/custom"], path="/custom")
    e.wait("httpd_log_file_up", 0)
    time.sleep(SETTLE)
    e.expect("missing file", {}, 0, 0)
    os.makedirs(os.path.dirname(log))
    write(log, clf(200, 4) + clf(302, "-") + "junk\n", "wb")
    e.expect("file appeared", {"200": 1, "302": 1}, 4, 1)
    e.wait("httpd_log_file_up", 1)
    write(log, clf(302, 6))
    e.expect("appeared file grows", {"200": 1, "302": 2}, 10, 1)
    e.stop("missing file")


# ------------------------------------------------------------------ rotation

def test_rotation():
    """logrotate's create: rename, the server writes its old descriptor a
    little longer, a new file is created; everything counted exactly once."""
    log = os.path.join(tmp, "rot.log")
    server = open(log, "ab", buffering=0)  # the web server's descriptor
    server.write((clf(200, 1) + clf(200, 2)).encode())
    e = Exporter(log, ["--from-start"])
    e.expect("before rotation", {"200": 2}, 3, 0)
    os.rename(log, log + ".1")
    server.write(clf(200, 4).encode())  # renamed, not yet re-created
    time.sleep(0.2)
    write(log, clf(404, 10) + clf(404, 20), "wb")
    server.write(clf(200, 8).encode())  # old descriptor, new file exists
    e.expect("after rotation", {"200": 4, "404": 2}, 45, 0)
    server.close()
    write(log, clf(404, 100))
    e.expect("new file grows", {"200": 4, "404": 3}, 145, 0)
    # A second rotation, by rename only and a re-create later, with a line
    # left incomplete in the old file (dropped) and one completed there.
    server = open(log, "ab", buffering=0)
    server.write(clf(201, 1)[:-5].encode())
    os.rename(log, log + ".2")
    time.sleep(SETTLE)
    server.write(clf(201, 1)[-5:].encode())
    e.expect("renamed away", {"200": 4, "404": 3, "201": 1}, 146, 0)
    server.write(clf(201, 1)[:-1].encode())  # never completed
    write(log, clf(204, "-"), "wb")
    e.expect("re-created", {"200": 4, "404": 3, "201": 1, "204": 1}, 146, 0)
    server.close()
    e.wait("httpd_log_file_up", 1)
    e.stop("rotation")


# ------------------------------------------------------------------ truncation

def test_truncation():
    """copytruncate: the file is truncated in place and written again, by an
    O_APPEND writer and by one that keeps its offset (NUL-filled hole)."""
    log = os.path.join(tmp, "trunc.log")
    write(log, clf(200, 1) + clf(200, 2) + clf(200, 3), "wb")
    e = Exporter(log, ["--from-start"])
    e.expect("before truncation", {"200": 3}, 6, 0)
    # O_APPEND writer, new content shorter than what was read.
    with open(log, "r+b") as f:
        f.truncate(0)
    write(log, clf(404, 10))
    e.expect("truncated, appended", {"200": 3, "404": 1}, 16, 0)
    # A writer without O_APPEND continues at its offset: a hole of NULs.
    holder = open(log, "r+b", buffering=0)
    holder.seek(0, os.SEEK_END)
    os.truncate(log, 0)
    time.sleep(SETTLE)
    holder.write(clf(201, 5).encode())
    holder.close()
    e.expect("truncated, NUL hole", {"200": 3, "404": 1, "201": 1}, 21, 0)
    e.stop("truncation")


# ------------------------------------------------------------------ volume

def test_many_lines():
    """20000 lines plus garbage, written in random slices that cut lines."""
    log = os.path.join(tmp, "many.log")
    write(log, "", "wb")
    e = Exporter(log)
    e.wait("httpd_log_file_up", 1)
    statuses = ["200", "404", "500", "301"]
    want = {}
    nbytes = 0
    garbage = 0
    parts = []
    for i in range(20000):
        st = statuses[i % 4]
        want[st] = want.get(st, 0) + 1
        size = "-" if i % 7 == 0 else str(i)
        if size != "-":
            nbytes += i
        parts.append(combined(st, size) if i % 2 else clf(st, size, host="2001:db8::%x" % i))
        if i % 1000 == 999:
            parts.append("not a log line %d\n" % i)
            garbage += 1
    data = "".join(parts).encode()
    rnd = random.Random(7)
    with open(log, "ab", buffering=0) as f:
        pos = 0
        while pos < len(data):
            n = rnd.randint(1, 200000)
            f.write(data[pos:pos + n])
            pos += n
            if rnd.random() < 0.3:
                time.sleep(0.01)
    e.expect("20000 lines", want, nbytes, garbage)
    e.stop("many lines")


# ------------------------------------------------------------------ valgrind

def test_valgrind():
    """Garbage, a too-long line, rotation and truncation under valgrind; a
    clean exit (no errors, no leaks) on SIGTERM."""
    if not shutil.which("valgrind"):
        c.check("valgrind installed", False)
        return
    log = os.path.join(tmp, "vg.log")
    write(log, clf(200, 1) + combined(404, "-", host="::1") + "garbage\n" + "y" * 70000 + "\n",
          "wb")
    e = Exporter(log, ["--from-start", "--log.level", "debug"], valgrind=True)
    e.expect("valgrind: initial", {"200": 1, "404": 1}, 1, 2)
    os.rename(log, log + ".1")
    write(log, clf(500, 9), "wb")
    e.expect("valgrind: rotated", {"200": 1, "404": 1, "500": 1}, 10, 2)
    with open(log, "r+b") as f:
        f.truncate(0)
    write(log, clf(201, 2)[:30])
    time.sleep(SETTLE)
    write(log, clf(201, 2)[30:])
    e.expect("valgrind: truncated", {"200": 1, "404": 1, "500": 1, "201": 1}, 12, 2)
    rc = e.stop("valgrind")
    out = e.proc.output()
    c.check("valgrind: ERROR SUMMARY: 0 errors", "ERROR SUMMARY: 0 errors" in out, out[-3000:])
    if rc != 0:
        print(e.proc.output()[-3000:], file=sys.stderr)


def main():
    if not os.access(BIN, os.X_OK):
        c.check("binary %s exists (make %s)" % (BIN, BIN), False)
        c.done()
    started = time.monotonic()
    try:
        for t in (test_cli, test_formats, test_start_at_end, test_missing_file, test_rotation,
                  test_truncation, test_many_lines, test_valgrind):
            try:
                t()
            except Exception as ex:  # a broken scenario must not hide the others
                c.check("%s ran" % t.__name__, False, repr(ex))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("httpd_exporter: %.1f s" % (time.monotonic() - started), file=sys.stderr)
    c.done()


if __name__ == "__main__":
    main()
