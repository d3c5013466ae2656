"""jenkins_exporter end to end against a fake Jenkins: the job count (depth 0
and nested folders), the request it sends (tree parameter, Basic auth), every
kind of upstream failure (refused, 500, hang, invalid JSON, no "jobs", huge
body, 401) with recovery, a hostile Jenkins (hostile.py: endless and 1 GiB
bodies, bogus chunks, a redirect loop, a trickle, deep nesting, endless
folders) with bounded time and memory, flags, clean exit on SIGTERM and a run
under valgrind."""

import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import hostile  # noqa: E402
from promcheck import Checks, FakeUpstream, Proc, Scrape, free_port, get, wait_until  # noqa: E402

BIN = os.path.join(os.environ.get("PROMC_BUILD", "build"), "examples", "jenkins_exporter")
c = Checks("jenkins_exporter")
for k in list(os.environ):
    if k.startswith("JENKINS_"):
        del os.environ[k]

SAMPLE = {"_class": "hudson.model.Hudson", "jobs": [
    {"_class": "hudson.model.FreeStyleProject", "url": "http://localhost:8080/job/build-app/"},
    {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob",
     "url": "http://localhost:8080/job/deploy-pipeline/"},
    {"_class": "com.cloudbees.hudson.plugins.folder.Folder", "url": "http://localhost:8080/job/team-a/"},
    {"_class": "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject",
     "url": "http://localhost:8080/job/webapp/"}]}


def job(name, cls="hudson.model.FreeStyleProject", **extra):
    return dict({"_class": cls, "url": "http://j/job/%s/" % name}, **extra)


# Folders at two levels: depth 0 counts 5, depth 1 adds 3 + 2 + 0 (= 10),
# depth 2 adds the 1 job of team-a/sub (= 11).
NESTED = {"_class": "hudson.model.Hudson", "jobs": [
    job("a"),
    job("team-a", "com.cloudbees.hudson.plugins.folder.Folder", jobs=[
        job("x"), job("y"),
        job("sub", "com.cloudbees.hudson.plugins.folder.Folder", jobs=[job("z")])]),
    job("webapp", "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject",
        jobs=[job("main"), job("dev")]),
    job("empty", "com.cloudbees.hudson.plugins.folder.Folder", jobs=[]),
    job("unexpanded", "com.cloudbees.hudson.plugins.folder.Folder")]}


class Jenkins:
    """A fake Jenkins whose answer is switched by setting .mode."""

    def __init__(self):
        self.mode = "ok"
        self.doc = SAMPLE
        self.fake = FakeUpstream({"/api/json": self.answer})
        self.fake.server.handle_error = lambda *a: None  # clients hanging up are expected
        self.url = self.fake.url

    def answer(self, h):
        m = self.mode
        if m == "ok":
            return 200, {"Content-Type": "application/json"}, json.dumps(self.doc).encode()
        if m == "500":
            return 500, {}, b"Internal Server Error\n"
        if m == "401":
            return 401, {"WWW-Authenticate": 'Basic realm="Jenkins"'}, b"Unauthorized\n"
        if m == "badjson":
            return 200, {"Content-Type": "application/json"}, b'{"jobs": [{"url": "x"},'
        if m == "nojobs":
            return 200, {"Content-Type": "application/json"}, b'{"_class": "hudson.model.Hudson"}'
        if m == "huge":  # 9 MiB announced by Content-Length
            return 200, {"Content-Type": "application/json"}, b'{"jobs":["' + b"x" * (9 << 20) + b'"]}'
        if m == "hugechunked":  # 9 MiB in chunks, no length known up front
            chunk = b"x" * (1 << 20)
            body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(9)) + b"0\r\n\r\n"
            return 200, {"Transfer-Encoding": "chunked"}, body
        raise AssertionError(m)

    def requests(self):
        return list(self.fake.requests)

    def stop(self):
        self.fake.stop()

    def restart(self):
        """Serves again on the same port (after stop), same routes and log."""
        f = self.fake
        f.server = http.server.ThreadingHTTPServer(("127.0.0.1", f.port), f.server.RequestHandlerClass)
        f.server.daemon_threads = True
        f.server.handle_error = lambda *a: None
        f.thread = threading.Thread(target=f.server.serve_forever, daemon=True)
        f.thread.start()


def start(args=(), env=None, prefix=(), wait=10):
    port = free_port()
    p = Proc(list(prefix) + [BIN, "--web.listen-address=127.0.0.1:%d" % port, "--interval=0.2s",
                             "--timeout=0.5s"] + list(args), env=env)
    url = "http://127.0.0.1:%d/metrics" % port
    c.check("starts and serves metrics", wait_until(lambda: get(url)[0] == 200, wait), p.output())
    return p, url


def value(url, name, **labels):
    try:
        return Scrape(url).value(name, **labels)
    except AssertionError:
        return None


def wait_for(url, name, want, timeout=5):
    wait_until(lambda: value(url, name) == want, timeout)
    return value(url, name)


def wait_more(url, name, than, timeout=5):
    """Waits until the value exceeds than; returns it."""
    wait_until(lambda: (value(url, name) or 0) > (than or 0), timeout)
    return value(url, name) or 0


def tree_of(path):
    q = urllib.parse.urlsplit(path).query
    return urllib.parse.parse_qs(q).get("tree", [None])[0]


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def run(args, env=None):
    full = dict(os.environ, **(env or {}))
    return subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=10, env=full)


# ---------------------------------------------------------------- flags
r = run(["--help"])
c.check("--help exits 0 and lists flags with env names",
        r.returncode == 0 and all(s in r.stdout for s in (
            "--jenkins.url", "JENKINS_URL", "--jenkins.user", "JENKINS_USER", "--jenkins.token",
            "JENKINS_TOKEN, JENKINS_PASSWORD", "--interval", "JENKINS_INTERVAL", "--timeout",
            "--depth", "--web.listen-address", "--listen", "--web.telemetry-path", "--log.level")),
        r.stdout)
r = run(["--version"])
c.check("--version", r.returncode == 0 and r.stdout.startswith("jenkins_exporter 1.0.0 (promc "), r.stdout)
r = run(["--no-such-flag"])
c.check("unknown flag exits 2", r.returncode == 2 and "no-such-flag" in r.stderr, r.stderr)
r = run(["--interval=soon"])
c.equal("bad duration exits 2", r.returncode, 2)
r = run([], env={"JENKINS_DEPTH": "-1"})
c.check("bad value in the environment exits 2", r.returncode == 2 and "JENKINS_DEPTH" in r.stderr, r.stderr)
r = run(["--jenkins.url=https://jenkins.example.com"])
c.check("https URL: exit 2, explains the TLS proxy",
        r.returncode == 2 and "https" in r.stderr and "proxy" in r.stderr, r.stderr)
r = run(["--jenkins.url=ftp://jenkins"])
c.equal("non-http URL exits 2", r.returncode, 2)
r = run(["--jenkins.url=http://jenkins:99999", "--listen=127.0.0.1:0"])
c.check("URL the client refuses: exit 2 at the first poll",
        r.returncode == 2 and "invalid port" in r.stderr, r.stderr)
r = run(["--jenkins.user=a:b", "--jenkins.token=t"])
c.equal("user with ':' exits 2", r.returncode, 2)
r = run(["--jenkins.user=alice"])
c.check("a user without a token exits 2", r.returncode == 2 and "go together" in r.stderr, r.stderr)
r = run([], env={"JENKINS_PASSWORD": "s3cret"})
c.check("a token without a user exits 2", r.returncode == 2 and "go together" in r.stderr, r.stderr)

# ---------------------------------------------------------------- happy path
j = Jenkins()
p, m = start(env={"JENKINS_URL": j.url + "/", "JENKINS_USER": "alice", "JENKINS_TOKEN": "s3cret",
                  "JENKINS_PASSWORD": "not-this-one"})
c.equal("count of the sample answer", wait_for(m, "jenkins_jobs_count", 4.0), 4.0)
s = Scrape(m)
c.equal("up after a good poll", s.value("jenkins_up"), 1.0)
c.equal("no poll errors", s.value("jenkins_poll_errors_total"), 0.0)
c.equal("count type", s.families["jenkins_jobs_count"].type, "gauge")
c.equal("count HELP", s.families["jenkins_jobs_count"].documentation, "Number of Jenkins jobs")
c.equal("up type", s.families["jenkins_up"].type, "gauge")
c.equal("errors type", s.families["jenkins_poll_errors"].type, "counter")
c.check("process metrics exported", s.value("process_start_time_seconds") is not None)
c.check("OpenMetrics output parses", "jenkins_jobs_count" in Scrape(m, openmetrics=True).families)
method, path, headers = j.requests()[0]
c.equal("request method", method, "GET")
c.equal("request path (trailing slash of the URL dropped)", urllib.parse.urlsplit(path).path, "/api/json")
c.equal("tree parameter", tree_of(path), "jobs[url]")
c.check("brackets percent-encoded", "%5B" in path and "[" not in path, path)
c.equal("Basic auth sent, JENKINS_TOKEN wins over JENKINS_PASSWORD",
        headers.get("Authorization"), basic("alice", "s3cret"))

# Errors of every kind, each followed by recovery; the count keeps its value.
j.doc = dict(SAMPLE, jobs=SAMPLE["jobs"][:3])
c.equal("count follows Jenkins", wait_for(m, "jenkins_jobs_count", 3.0), 3.0)
for mode, desc in (("500", "HTTP 500"), ("badjson", "invalid JSON"), ("nojobs", "no jobs array"),
                   ("huge", "9 MiB body (Content-Length)"), ("hugechunked", "9 MiB chunked body")):
    errors = value(m, "jenkins_poll_errors_total")
    j.mode = mode
    c.equal("%s: up 0" % desc, wait_for(m, "jenkins_up", 0.0), 0.0)
    e1 = wait_more(m, "jenkins_poll_errors_total", errors)
    e2 = wait_more(m, "jenkins_poll_errors_total", e1)
    c.check("%s: errors counter increasing" % desc, e1 > errors and e2 > e1, (errors, e1, e2))
    c.equal("%s: count kept" % desc, value(m, "jenkins_jobs_count"), 3.0)
    c.equal("%s: still answers scrapes" % desc, get(m)[0], 200)
    j.mode = "ok"
    c.equal("%s: recovers" % desc, wait_for(m, "jenkins_up", 1.0), 1.0)

# Refused connections, then Jenkins comes back on the same port.
j.stop()
c.equal("refused: up 0", wait_for(m, "jenkins_up", 0.0), 0.0)
errors = value(m, "jenkins_poll_errors_total")
c.check("refused: errors counter increasing", wait_more(m, "jenkins_poll_errors_total", errors) > errors)
c.equal("refused: count kept", value(m, "jenkins_jobs_count"), 3.0)
j.doc = SAMPLE
j.restart()
c.equal("recovery: up 1", wait_for(m, "jenkins_up", 1.0), 1.0)
c.equal("recovery: new count", wait_for(m, "jenkins_jobs_count", 4.0), 4.0)
c.equal("SIGTERM exits 0", p.stop(), 0)
out = p.output()
c.check("a failure is logged once per change, not every poll",
        out.count("failed: Jenkins answered HTTP 500") == 1, out[-2000:])

# ---------------------------------------------------------------- depth
j.doc = NESTED
for depth, want, tree in ((0, 5.0, "jobs[url]"), (1, 10.0, "jobs[url,jobs[url]]"),
                          (2, 11.0, "jobs[url,jobs[url,jobs[url]]]")):
    before = len(j.requests())
    p, m = start(["--jenkins.url", j.url, "--depth=%d" % depth])
    c.equal("depth %d: count" % depth, wait_for(m, "jenkins_jobs_count", want), want)
    c.equal("depth %d: tree parameter" % depth, tree_of(j.requests()[before][1]), tree)
    c.equal("depth %d: no credentials configured, none sent" % depth,
            j.requests()[before][2].get("Authorization"), None)
    c.equal("depth %d: exit 0" % depth, p.stop(), 0)

# ---------------------------------------------------------------- 401
j.doc, j.mode = SAMPLE, "401"
before = len(j.requests())
p, m = start(["--jenkins.url", j.url, "--jenkins.user=bob", "--jenkins.token=wrong"],
             env={"JENKINS_USER": "alice"})
c.check("401: errors counted", wait_more(m, "jenkins_poll_errors_total", 0) > 0)
s = Scrape(m)
c.equal("401: up 0", s.value("jenkins_up"), 0.0)
c.equal("401: count never set", s.value("jenkins_jobs_count"), 0.0)
c.equal("401: the fake got Basic base64(user:token), flag over env",
        j.requests()[before][2].get("Authorization"), basic("bob", "wrong"))
c.equal("401: exit 0", p.stop(), 0)
c.check("401: logged with a hint", "HTTP 401 (check the user and token)" in p.output(), p.output())

# ---------------------------------------------------------------- hang
j.mode = "ok"
j.fake.routes["/api/json"] = "hang"
j.fake.hang_seconds = 3
p, m = start(["--jenkins.url", j.url])
s = Scrape(m)
c.equal("hang: up 0 before the first poll ends", s.value("jenkins_up"), 0.0)
c.check("hang: errors counted after the timeout", wait_more(m, "jenkins_poll_errors_total", 0) > 0)
slowest = 0
for _ in range(5):
    t = time.monotonic()
    s = Scrape(m)
    slowest = max(slowest, time.monotonic() - t)
    time.sleep(0.1)
c.check("hang: scrapes answered quickly", slowest < 1.0, "%.2fs" % slowest)
c.equal("hang: up 0", s.value("jenkins_up"), 0.0)
j.fake.routes["/api/json"] = j.answer
c.equal("hang: recovers", wait_for(m, "jenkins_up", 1.0), 1.0)
t = time.monotonic()
c.equal("hang: exit 0", p.stop(), 0)
c.check("hang: exits promptly", time.monotonic() - t < 2, "%.2fs" % (time.monotonic() - t))

# ---------------------------------------------------------------- hostile Jenkins
# One exporter (--depth 20, the most; 0.5 s timeout, 0.1 s interval) through
# every hostile answer of hostile.CASES and endless folder nesting, each
# followed by good answers. Limits: two polls fail within 2 s (a poll takes
# at most the 0.5 s timeout), scrapes within 1 s, recovery within 5 s, and a
# peak RSS (VmHWM) below 32 MiB: the body cap is 8 MiB (the exporter starts
# at about 2 MiB), so reading a 1 GiB or endless body must not get anywhere
# near it.


def folder_chain(levels):
    """Jenkins' answer with folders nested `levels` deep, each holding a job
    and the next folder."""
    inner = [job("leaf")]
    for i in range(levels):
        inner = [job("j%d" % i), job("f%d" % i, "com.cloudbees.hudson.plugins.folder.Folder",
                                     jobs=inner)]
    return {"_class": "hudson.model.Hudson", "jobs": inner}


def reference_count(jobs, depth, level=0):
    """The count as the exporter must compute it (EXPORTERS.md, jenkins)."""
    n = 0
    for item in jobs:
        n += 1
        if level < depth and isinstance(item.get("jobs"), list):
            n += reference_count(item["jobs"], depth, level + 1)
    return n


FOLDER = (b'{"_class":"com.cloudbees.hudson.plugins.folder.Folder","url":"http://j/job/f/",'
          b'"jobs":[')
JENKINS_CASES = hostile.CASES + [
    hostile.Case("endless folder nesting", hostile.endless(FOLDER * 1000, prefix=b'{"jobs":['),
                 hostile.TOO_LARGE),
    hostile.Case("100,000 nested folders",
                 hostile.answer(200, b'{"jobs":[' * 100001 + b"]}" * 100001),
                 hostile.NESTING),
]
hj = hostile.HostileServer(hostile.json_answer(NESTED))
t_hostile = time.monotonic()
p, m = start(["--jenkins.url", hj.url, "--depth=20", "--interval=0.1s"])
c.equal("hostile: first poll", wait_for(m, "jenkins_jobs_count", 11.0), 11.0)
target = hostile.Target(p, m, "jenkins_up", "jenkins_poll_errors_total")
took = hostile.run_cases(c, hj, target, JENKINS_CASES, rss_limit_mib=32, fail_within=2.0,
                         label="hostile: ")
hostile.run_back_to_back(c, hj, target, hostile.BACK_TO_BACK, within=2.0, label="hostile: ")
c.equal("hostile: count kept through every failure", value(m, "jenkins_jobs_count"), 11.0)

# Folders nested deeper than asked (a real Jenkins follows the tree
# parameter, this one does not): counted down to --depth levels and no
# further; 30 levels still fit the JSON reader's 64.
deep = folder_chain(30)
hj.normal = hostile.json_answer(deep)
want = float(reference_count(deep["jobs"], 20))
c.equal("hostile: folders 30 deep counted to --depth 20 only",
        wait_for(m, "jenkins_jobs_count", want), want)
c.check("hostile: ... which is fewer than all of them", want < reference_count(deep["jobs"], 99))
c.equal("hostile: up", value(m, "jenkins_up"), 1.0)
hostile.stop_while(c, hj, p, hostile.trickle(), 1.5, label="hostile: ")
if os.environ.get("HOSTILE_VERBOSE"):
    print("hostile: %.1f s: %s" % (time.monotonic() - t_hostile, took), file=sys.stderr)
hj.stop()

# ---------------------------------------------------------------- valgrind
VG = ["valgrind", "--error-exitcode=99", "--leak-check=full",
      "--errors-for-leak-kinds=definite,indirect,possible", "--show-leak-kinds=definite,indirect,possible"]
j.doc, j.mode = NESTED, "ok"
p, m = start(["--jenkins.url", j.url, "--depth=1", "--timeout=3s"], prefix=VG, wait=60)
c.equal("valgrind: count", wait_for(m, "jenkins_jobs_count", 10.0, timeout=20), 10.0)
j.mode = "badjson"
c.equal("valgrind: invalid JSON", wait_for(m, "jenkins_up", 0.0, timeout=20), 0.0)
j.mode = "500"
wait_more(m, "jenkins_poll_errors_total", value(m, "jenkins_poll_errors_total"), timeout=20)
j.mode = "ok"
c.equal("valgrind: recovers", wait_for(m, "jenkins_up", 1.0, timeout=20), 1.0)
rc = p.stop(timeout=60)
out = p.output()
c.check("valgrind: exit 0 after SIGTERM, no errors", rc == 0 and "ERROR SUMMARY: 0 errors" in out, out[-3000:])
j.stop()
c.done()
