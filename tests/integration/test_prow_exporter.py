"""prow_exporter end to end against a fake Kubernetes API (and --from-file):
one series per .spec.job with exact label values, key sanitising, collisions
and the denylist; state transitions observed as exact histogram buckets;
paging through metadata.continue; the bearer token; every kind of upstream
failure keeping the last good list; a poll bounded in time, items and bytes
against an API that never stops paging (with the peak RSS checked); a hostile
API (hostile.py: endless and 1 GiB bodies, bogus chunks, a redirect loop, a
trickle, deep nesting) with bounded time and memory; flags, clean exit and
valgrind."""

import json
import os
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import hostile  # noqa: E402
from promcheck import (Checks, FakeUpstream, Proc, Scrape, free_port, get,  # noqa: E402
                       wait_until)

BIN = os.path.join(os.environ.get("PROMC_BUILD", "build"), "examples", "prow_exporter")
NS = "test-ns"
API_PATH = "/apis/prow.k8s.io/v1/namespaces/%s/prowjobs" % NS
TOKENS = ["tok/1+ &=?", "tök2%"]  # need URL-encoding; UTF-8 too
PAGE_LIMIT = 5
BOUNDS = [30, 60, 120, 300, 600, 1800, 3600, 7200] + [3600.0 * h for h in range(3, 11)]
c = Checks("prow_exporter")
tmp = tempfile.mkdtemp(prefix="promc-prow-")


# ------------------------------------------------------------------ fixtures

def pj(name, job, state="success", start=None, labels=None, annotations=None, created=None,
       pending=None, completed=None, refs=None, extra_refs=None, type_="periodic"):
    meta = {"name": name, "namespace": NS, "uid": "uid-" + name}
    if labels is not None:
        meta["labels"] = labels
    if annotations is not None:
        meta["annotations"] = annotations
    if created:
        meta["creationTimestamp"] = created
    spec = {"job": job, "agent": "kubernetes", "type": type_}
    if refs is not None:
        spec["refs"] = refs
    if extra_refs is not None:
        spec["extra_refs"] = extra_refs
    status = {"state": state}
    for k, v in (("startTime", start), ("pendingTime", pending), ("completionTime", completed)):
        if v:
            status[k] = v
    return {"apiVersion": "prow.k8s.io/v1", "kind": "ProwJob", "metadata": meta, "spec": spec,
            "status": status}


# The winner of "build": keys to sanitise, a collision ("a-b" < "a.b" in byte
# order, so a-b's value wins although a.b comes first here), denylisted keys,
# and values that need escaping.
BUILD_LABELS = {
    "a.b": "dot", "a-b": "dash",
    "created-by-prow": "true", "prow.k8s.io/type": "periodic", "prow.k8s.io/refs.pull": "7",
    # Denylisted before collisions: prow.k8s.io/job sorts first but is dropped,
    # so prow_k8s_io_job is not a loser of a collision.
    "prow.k8s.io/job": "build", "prow_k8s_io_job": "kept",
    "prow.k8s.io/refs.base_ref": "main", "event-GUID": "guid-1",
    "quote": 'say "hi"', "back\\slash": "C:\\dir\\", "multi": "line1\nline2",
    "utf8": "h\u00e9llo \u2014 \u2713 \u65e5\u672c", "\u00e9t\u00e9": "summer",
}
BUILD_ANNOTATIONS = {
    "prow.k8s.io/job": "build",  # the denylist is for labels only
    "note": 'a "quoted" \\ value\nnext line', "x.y": "1", "x-y": "2",
}
WANT_BUILD_LABELS = {
    "job_name": "build", "job_namespace": NS, "job_agent": "kubernetes",
    "label_a_b": "dash", "label_prow_k8s_io_job": "kept", "label_prow_k8s_io_refs_base_ref": "main",
    "label_event_GUID": "guid-1", "label_quote": 'say "hi"', "label_back_slash": "C:\\dir\\",
    "label_multi": "line1\nline2", "label_utf8": "h\u00e9llo \u2014 \u2713 \u65e5\u672c",
    "label__t_": "summer",
}
WANT_BUILD_ANNOTATIONS = {
    "job_name": "build", "job_namespace": NS, "job_agent": "kubernetes",
    "annotation_prow_k8s_io_job": "build", "annotation_note": 'a "quoted" \\ value\nnext line',
    "annotation_x_y": "2",
}


def dataset(second):
    jobs = [
        # Ranking: no start time ranks last even when first in the list; the
        # latest start wins; a tie goes to the first in list order.
        pj("b-none", "build", labels={"which": "none"}),
        pj("b-old", "build", start="2024-05-01T10:00:00Z", labels={"which": "old"}),
        pj("b-new", "build", start="2024-05-01T10:05:00.25Z", labels=BUILD_LABELS,
           annotations=BUILD_ANNOTATIONS),
        pj("b-tie", "build", start="2024-05-01T10:05:00.250000Z", labels={"which": "tie"}),
        pj("l-none", "lint", labels={"which": "none"}),
        pj("l-start", "lint", start="2024-05-01T12:00:00+02:00", labels={"which": "start"}),
        pj("n-1", "nostart", labels={"which": "first"}),
        pj("n-2", "nostart", labels={"which": "second"}),
        pj("same-1", "same", state="pending", pending="2024-05-01T11:00:00Z"),
    ]
    if not second:
        jobs += [
            pj("tr-1", "deploy", state="triggered", created="2024-05-01T12:00:00Z",
               type_="presubmit", refs={"org": "kubernetes", "repo": "test-infra",
                                        "base_ref": "master"}),
            pj("pe-1", "unit", state="pending", created="2024-05-01T11:00:00Z",
               pending="2024-05-01T11:01:40.5Z", type_="postsubmit",
               extra_refs=[{"org": "prow", "repo": "prow", "base_ref": "main"},
                           {"org": "other", "repo": "other", "base_ref": "x"}]),
            pj("neg-1", "neg", state="triggered", created="2024-05-01T13:00:00Z"),
            pj("ab-1", "abort", state="pending", pending="2024-05-01T11:00:00Z"),
        ]
    else:
        jobs += [
            # triggered -> pending: creation to pending, 45 s.
            pj("tr-1", "deploy", state="pending", created="2024-05-01T12:00:00Z",
               pending="2024-05-01T12:00:45Z", type_="presubmit",
               refs={"org": "kubernetes", "repo": "test-infra", "base_ref": "master"}),
            # pending -> success: pending to completion, 300 s (le="300" counts it).
            pj("pe-1", "unit", state="success", created="2024-05-01T11:00:00Z",
               pending="2024-05-01T11:01:40.5Z", completed="2024-05-01T11:06:40.5Z",
               type_="postsubmit", extra_refs=[{"org": "prow", "repo": "prow", "base_ref": "main"}]),
            # A negative duration (pending before creation) is not observed.
            pj("neg-1", "neg", state="pending", created="2024-05-01T13:00:00Z",
               pending="2024-05-01T12:59:00Z"),
            # No completionTime: nothing to observe.
            pj("ab-1", "abort", state="aborted", pending="2024-05-01T11:00:00Z"),
            # New in this poll: only remembered.
            pj("new-1", "fresh", state="success", created="2024-05-01T11:00:00Z",
               completed="2024-05-01T11:30:00Z"),
        ]
    return jobs


GOOD1, GOOD2 = dataset(False), dataset(True)


def as_list(items):
    return {"apiVersion": "prow.k8s.io/v1", "kind": "ProwJobList",
            "metadata": {"resourceVersion": "1"}, "items": items}


# ------------------------------------------------------------------ fake API

# Pages of a hostile API, which never stops paging. A page's continue token
# goes where "@TOKEN@" is, so a body is built once and stamped per request.
HOSTILE_ITEMS = [pj("h-%d" % i, "hostile-%d" % (i % 50), start="2024-05-01T10:00:00Z",
                    labels={"prow.k8s.io/context": "unit", "event-GUID": "guid-%d" % i},
                    annotations={"prow.k8s.io/job": "hostile-%d" % (i % 50)})
                 for i in range(500)]
HOSTILE_LABELS = 200000  # labels on one job: small on the wire, big in memory


def hostile_page(items, **metadata):
    body = as_list(items)
    body["metadata"].update(metadata)
    body["metadata"]["continue"] = "@TOKEN@"
    return json.dumps(body).encode()


HOSTILE_PAGES = {
    "alternate": hostile_page(HOSTILE_ITEMS),  # tokens A, B, A, B, ...
    "distinct": hostile_page(HOSTILE_ITEMS),  # tokens d-1, d-2, ... for ever
    "slow": hostile_page([]),  # empty pages, distinct tokens, 0.1 s each
    "padded": hostile_page([], padding="x" * (1 << 20)),  # 1 MiB pages, distinct tokens
}


class Api:
    """The list endpoint, paged by `limit` with TOKENS as continue tokens."""

    def __init__(self):
        self.mode = "good1"
        self.seen = []  # (limit, continue) of every list request
        self.labels_page = None
        self.up = FakeUpstream({API_PATH: self.route})
        self.up.server.handle_error = lambda *a: None  # the over-cap client hangs up

    def route(self, h):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(h.path).query, keep_blank_values=True)
        limit = int(q.get("limit", ["0"])[0])
        cont = q.get("continue", [None])[0]
        self.seen.append((limit, cont))
        mode = self.mode
        if mode == "hang":  # past --timeout, then an answer nobody reads
            time.sleep(5)
            return 500, {}, b"too late\n"
        if mode == "500":
            return 500, {}, b"internal error\n"
        if mode == "badjson":
            return 200, {"Content-Type": "application/json"}, b'{"items": [}'
        if mode == "notlist":
            return 200, {}, json.dumps({"kind": "Status", "status": "Failure"}).encode()
        if mode == "truncated":
            h.close_connection = True
            return 200, {"Content-Length": "100000"}, b'{"items": ['
        if mode == "big":  # chunked, so the client must count: 65 MiB > 64 MiB
            chunk = b"100000\r\n" + b" " * 0x100000 + b"\r\n"
            return 200, {"Transfer-Encoding": "chunked"}, chunk * 65 + b"0\r\n\r\n"
        if mode in HOSTILE_PAGES:
            if mode == "alternate":
                token = "B" if cont == "A" else "A"
            else:
                token = "d-%d" % (int(cont[2:]) + 1 if cont and cont.startswith("d-") else 1)
            if mode == "slow":
                time.sleep(0.1)
            body = HOSTILE_PAGES[mode].replace(b'"@TOKEN@"', json.dumps(token).encode())
            return 200, {"Content-Type": "application/json"}, body
        if mode == "labels":  # one job, HOSTILE_LABELS labels, no further page
            if not self.labels_page:  # built once: it takes Python a while
                labels = {"k%d" % i: "v" for i in range(HOSTILE_LABELS)}
                self.labels_page = json.dumps(as_list([pj("many", "many", labels=labels)]))
            return 200, {}, self.labels_page.encode()
        page = 0 if cont is None else TOKENS.index(cont) + 1 if cont in TOKENS else -1
        if page < 0:
            return 410, {}, b"expired continue token\n"
        if mode == "page2fail" and page == 1:
            return 500, {}, b"page 2 fails\n"
        items = GOOD2 if mode == "good2" else GOOD1
        n = limit or len(items)
        body = as_list(items[page * n:(page + 1) * n])
        if (page + 1) * n < len(items):
            body["metadata"]["continue"] = TOKENS[page]
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


# ------------------------------------------------------------------ helpers

def scrape(url):
    try:
        return Scrape(url)
    except AssertionError:
        return None


def value(url, name, **labels):
    s = scrape(url)
    return s.value(name, **labels) if s else None


def wait_errors_grow(url, by, timeout=15):
    start = value(url, "prow_exporter_poll_errors_total") or 0
    return wait_until(lambda: (value(url, "prow_exporter_poll_errors_total") or 0) >= start + by,
                      timeout)


def series_of(s, family, job):
    found = [lab for lab, v in s.series(family) if lab.get("job_name") == job]
    return found[0] if len(found) == 1 else found


def histogram(s, **labels):
    buckets = {}
    for lab, v in s.series("prow_job_runtime_seconds_bucket"):
        le = lab.pop("le")
        if lab == labels:
            buckets[float(le)] = v
    return (buckets, s.value("prow_job_runtime_seconds_count", **labels),
            s.value("prow_job_runtime_seconds_sum", **labels))


def want_histogram(v):
    b = {float(x): (1.0 if v <= x else 0.0) for x in BOUNDS}
    b[float("inf")] = 1.0
    return b, 1.0, float(v)


def check_labels(s, what):
    c.equal(what + ": build labels (latest start, sanitised, collision, denylist, escaping)",
            series_of(s, "prow_job_labels", "build"), WANT_BUILD_LABELS)
    c.equal(what + ": build annotations", series_of(s, "prow_job_annotations", "build"),
            WANT_BUILD_ANNOTATIONS)
    c.equal(what + ": lint: a job without startTime ranks last",
            series_of(s, "prow_job_labels", "lint").get("label_which"), "start")
    c.equal(what + ": nostart: first in list order", series_of(s, "prow_job_labels", "nostart")
            .get("label_which"), "first")
    jobs = sorted(lab["job_name"] for lab, _ in s.series("prow_job_labels"))
    c.check(what + ": one series per .spec.job", len(jobs) == len(set(jobs)), jobs)


DEPLOY = dict(job_namespace=NS, job_name="deploy", type="presubmit", last_state="triggered",
              state="pending", org="kubernetes", repo="test-infra", base_ref="master")
UNIT = dict(job_namespace=NS, job_name="unit", type="postsubmit", last_state="pending",
            state="success", org="prow", repo="prow", base_ref="main")


def check_transitions(s, what):
    c.equal(what + ": triggered->pending observed (creation to pending, 45 s)",
            histogram(s, **DEPLOY), want_histogram(45))
    c.equal(what + ": pending->success observed (pending to completion, 300 s)",
            histogram(s, **UNIT), want_histogram(300))
    names = sorted({lab["job_name"] for lab, _ in s.series("prow_job_runtime_seconds_count")})
    c.equal(what + ": nothing else observed (negative, no end, new job)", names,
            ["deploy", "unit"])


token_file = os.path.join(tmp, "token")
with open(token_file, "w") as f:
    f.write("s3cr3t-token\n")

# ------------------------------------------------------------------ flags

r = Proc([BIN, "--help"], name="prow-help")
c.equal("--help exits 0", r.p.wait(10), 0)
help_text = r.output()
r.stop()
for flag, env in (("--web.listen-address", "PROW_WEB_LISTEN_ADDRESS"), ("--listen", None),
                  ("--web.telemetry-path", "PROW_WEB_TELEMETRY_PATH"),
                  ("--api-server", "PROW_API_SERVER"), ("--namespace", "PROW_NAMESPACE"),
                  ("--token-file", "PROW_TOKEN_FILE"), ("--from-file", "PROW_FROM_FILE"),
                  ("--page-limit", "PROW_PAGE_LIMIT"), ("--interval", "PROW_INTERVAL"),
                  ("--timeout", "PROW_TIMEOUT"), ("--poll-timeout", "PROW_POLL_TIMEOUT"),
                  ("--poll-max-items", "PROW_POLL_MAX_ITEMS"),
                  ("--poll-max-bytes", "PROW_POLL_MAX_BYTES"), ("--log.level", "PROW_LOG_LEVEL")):
    c.check("--help lists " + flag, flag in help_text and (env is None or env in help_text),
            help_text)
r = Proc([BIN, "--version"], name="prow-version")
c.equal("--version exits 0", r.p.wait(10), 0)
c.check("--version says 1.0.0", "1.0.0" in r.output(), r.output())
r.stop()
for bad in (["--no-such-flag"], ["--interval=soon"], ["--listen=nohost"], ["--page-limit=-1"],
            ["--api-server=https://kubernetes.default.svc"], ["--poll-timeout=0"],
            ["--poll-max-items=0"], ["--poll-max-bytes=1000"]):
    r = Proc([BIN] + bad, name="prow-bad")
    c.equal("%s exits 2" % bad[0], r.p.wait(10), 2)
    r.stop()

# ------------------------------------------------------------------ the API, paged


def start_api(api, prefix=(), timeout=10, env=None):
    port = free_port()
    env = dict(env or {})
    env.setdefault("PROW_NAMESPACE", NS)  # through the environment
    # The poll's own bound is raised above --timeout (its default, the
    # interval, is shorter) so that each request's timeout and size cap are
    # what these tests meet; the poll's bounds have tests of their own.
    p = Proc(list(prefix) + [BIN, "--listen=127.0.0.1:%d" % port, "--api-server=" + api.up.url + "/",
                             "--page-limit=%d" % PAGE_LIMIT, "--interval=0.2s", "--timeout=3s",
                             "--poll-timeout=4s", "--token-file=" + token_file], env=env)
    url = "http://127.0.0.1:%d/metrics" % port
    ok = wait_until(lambda: value(url, "prow_exporter_up") == 1, timeout)
    c.check("starts and polls the API", ok, p.output())
    return p, url


api = Api()
p, url = start_api(api)
s = Scrape(url)
check_labels(s, "first poll")
c.equal("every page read: one series per .spec.job",
        sorted(lab["job_name"] for lab, _ in s.series("prow_job_labels")),
        sorted({j["spec"]["job"] for j in GOOD1}))
c.equal("up 1", s.value("prow_exporter_up"), 1.0)
c.equal("no errors", s.value("prow_exporter_poll_errors_total"), 0.0)
c.equal("first poll only remembers", s.series("prow_job_runtime_seconds_count"), [])
c.check("process metrics exported", s.value("process_resident_memory_bytes") is not None)
c.equal("labels HELP", s.families["prow_job_labels"].documentation,
        "Kubernetes labels converted to Prometheus labels.")
c.equal("annotations HELP", s.families["prow_job_annotations"].documentation,
        "Kubernetes annotations converted to Prometheus labels.")
c.equal("labels type", s.families["prow_job_labels"].type, "gauge")
c.equal("runtime HELP", s.families["prow_job_runtime_seconds"].documentation,
        "Time spent between ProwJob state transitions, in seconds.")
c.equal("3 pages per poll, continue tokens URL-encoded", api.seen[:3],
        [(PAGE_LIMIT, None), (PAGE_LIMIT, TOKENS[0]), (PAGE_LIMIT, TOKENS[1])])
heads = [r[2] for r in api.up.requests]
c.check("every request has Authorization: Bearer <token>",
        heads and all({k.lower(): v for k, v in h.items()}.get("authorization")
                      == "Bearer s3cr3t-token" for h in heads), heads[:1])
c.check("requests are GETs of the list path",
        all(m == "GET" and p_.split("?")[0] == API_PATH for m, p_, _ in api.up.requests))

# Failures: each keeps the last good list and counts; the mode must have run
# in at least one whole poll, hence two more errors.
for mode in ("500", "badjson", "notlist", "truncated", "big", "page2fail", "hang"):
    api.mode = mode
    c.check("%s counted as poll errors" % mode, wait_errors_grow(url, 2), p.output()[-2000:])
    s = Scrape(url)
    c.equal("%s: up 0" % mode, s.value("prow_exporter_up"), 0.0)
    c.equal("%s: last good series still exported" % mode,
            series_of(s, "prow_job_labels", "build"), WANT_BUILD_LABELS)
log = p.output()
c.check("body over the cap refused by size", "larger than max_body" in log, log[-3000:])
c.check("hang ended by the timeout", "timeout" in log, log[-3000:])
c.check("a failure is logged once per change, not every poll",
        log.count("HTTP status 500") in (1, 2), log.count("HTTP status 500"))

# Recovery with changed states: compared with the last GOOD list (good1).
api.mode = "good2"
c.check("recovers: up 1", wait_until(lambda: value(url, "prow_exporter_up") == 1, 10))
wait_until(lambda: value(url, "prow_job_runtime_seconds_count", **UNIT), 5)
s = Scrape(url)
check_transitions(s, "api")
check_labels(s, "after recovery")
errors = s.value("prow_exporter_poll_errors_total")
wait_until(lambda: False, 0.6)
s = Scrape(url)
c.equal("no more errors once recovered", s.value("prow_exporter_poll_errors_total"), errors)
c.equal("same list again: no new observations", histogram(s, **DEPLOY), want_histogram(45))
om = Scrape(url, openmetrics=True)
c.check("OpenMetrics output parses", "prow_job_labels" in om.families and
        om.families["prow_job_runtime_seconds"].type == "histogram")
c.equal("OpenMetrics: same label values", series_of(om, "prow_job_labels", "build"),
        WANT_BUILD_LABELS)
c.equal("SIGTERM: exit 0", p.stop(), 0)

api.seen.clear()
api.mode = "good1"
p, url = start_api(api, env={"PROW_PAGE_LIMIT": "7"})  # the flag wins over the environment
c.equal("flag wins over env: limit=%d" % PAGE_LIMIT, api.seen[0], (PAGE_LIMIT, None))
c.equal("SIGTERM: exit 0", p.stop(), 0)

# ------------------------------------------------------------------ a poll is bounded
#
# A hostile (or broken) API that never stops paging must not grow the
# exporter without bound: the poll ends as an error once it repeats a
# continue token or passes its time, item or byte bound, the last good list
# stays exported, and the process's peak RSS (VmHWM) stays below a limit.
# Each case starts on a good list, then switches the fake to the mode.


def proc_status_kib(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def bounded_poll(what, mode, args, reason, within, rss_mib, env=None, at_least=0):
    """Runs the exporter on mode; the next poll must fail within `within`
    seconds of the switch (and not before `at_least`) with `reason` in the
    log, RSS below rss_mib, every scrape meanwhile answered within 1 s, and
    the exporter must recover once the API behaves (within the interval and
    5 s). Stops the exporter early (and fails) as soon as its RSS passes the
    limit, so a regression cannot eat the machine."""
    api.mode = "good1"
    port = free_port()
    p = Proc([BIN, "--listen=127.0.0.1:%d" % port, "--api-server=" + api.up.url,
              "--namespace=" + NS, "--page-limit=%d" % PAGE_LIMIT] + args, env=env,
             name="prow-bounded")
    url = "http://127.0.0.1:%d/metrics" % port
    c.check(what + ": first poll works",
            wait_until(lambda: value(url, "prow_exporter_up") == 1, 10), p.output()[-2000:])
    errors = value(url, "prow_exporter_poll_errors_total") or 0
    api.mode = mode
    start = time.monotonic()
    limit_kib = (rss_mib + hostile.RSS_SLACK_MIB) * 1024
    slowest = [0.0]

    def ended():
        if p.p.poll() is not None:
            return "exited with %d" % p.p.returncode
        rss = proc_status_kib(p.p.pid, "VmRSS") or 0
        if rss > limit_kib:
            return "rss %d KiB" % rss
        t = time.monotonic()
        errors_now = value(url, "prow_exporter_poll_errors_total")
        slowest[0] = max(slowest[0], time.monotonic() - t)
        return (errors_now or 0) > errors

    ended_how = wait_until(ended, within + 5, 0.02)
    elapsed = time.monotonic() - start
    peak = proc_status_kib(p.p.pid, "VmHWM")
    log = p.output()
    c.check(what + ": the poll ends as an error", ended_how is True, (ended_how, log[-2000:]))
    c.check(what + ": within %g s" % within, at_least <= elapsed <= within, "took %.2f s" % elapsed)
    if os.environ.get("PROW_BOUNDS_VERBOSE"):
        print("%s: %.2f s, VmHWM %s KiB" % (what, elapsed, peak), file=sys.stderr)
    c.check(what + ": peak RSS below %d MiB" % rss_mib, peak is not None and peak < limit_kib,
            "VmHWM %s KiB" % peak)
    c.check(what + ": the log names the reason (%s)" % reason, reason in log, log[-2000:])
    c.check(what + ": scrapes answered within 1 s meanwhile", slowest[0] < 1.0,
            "slowest %.2f s" % slowest[0])
    if ended_how is True:
        s = Scrape(url)
        c.equal(what + ": up 0", s.value("prow_exporter_up"), 0.0)
        c.equal(what + ": last good series still exported",
                series_of(s, "prow_job_labels", "build"), WANT_BUILD_LABELS)
        api.mode = "good1"
        c.check(what + ": recovers", wait_until(lambda: value(url, "prow_exporter_up") == 1, 5),
                p.output()[-2000:])
    c.equal(what + ": SIGTERM exit 0", p.stop(), 0)
    api.mode = "good1"
    return peak


# Tokens A, B, A, B: the third page repeats the first page's token (an
# earlier one, not the previous one). Before the fix the poll never ended,
# counted no error and passed 64 MiB within a second, growing on.
bounded_poll("alternating tokens", "alternate", ["--interval=0.5s"],
             "repeats the continue token of page", 2.5, 64, env={"PROW_POLL_TIMEOUT": "10s"})
# Distinct tokens for ever, 500 jobs a page, default item and byte bounds:
# 100 000 jobs end the poll. The poll's time is raised so that the item
# bound is what ends it.
bounded_poll("endless pages, default bounds", "distinct",
             ["--interval=0.5s", "--poll-timeout=60s"],
             "more than --poll-max-items=100000 ProwJobs", 30, 192)
bounded_poll("endless pages, items from the environment", "distinct", ["--interval=0.5s"],
             "more than --poll-max-items=2000 ProwJobs", 3, 64,
             env={"PROW_POLL_MAX_ITEMS": "2000", "PROW_POLL_TIMEOUT": "60s"})
# Empty pages, 0.1 s each: only the time bound ends the poll.
bounded_poll("slow endless pages", "slow", ["--interval=0.5s", "--poll-timeout=1s"],
             "longer than --poll-timeout=1s", 0.5 + 1 + 1.5, 64, at_least=0.95)
# One request that hangs for 5 s, --timeout 10 s: the poll's own bound (the
# interval, 1 s, by default) cuts the request.
bounded_poll("a hanging page, poll bound from the interval", "hang",
             ["--interval=1s", "--timeout=10s"], "longer than --poll-timeout=1s", 1 + 1 + 1.5, 64,
             at_least=0.95)
# Bytes: a single 65 MiB page, and 1 MiB pages for ever, against 8 MiB.
bounded_poll("one huge page", "big",
             ["--interval=0.5s", "--poll-timeout=10s", "--poll-max-bytes=8388608"],
             "more than --poll-max-bytes=8388608 bytes read", 5, 64)
bounded_poll("endless 1 MiB pages", "padded", ["--interval=0.5s", "--poll-timeout=60s"],
             "more than --poll-max-bytes=8388608 bytes read", 5, 64,
             env={"PROW_POLL_MAX_BYTES": "8388608"})
# A page small on the wire (about 3 MiB) that takes more memory than the
# 8 MiB bound once read (200 000 labels, about 48 bytes each in the list).
bounded_poll("a page that grows in memory", "labels",
             ["--interval=0.5s", "--poll-timeout=10s", "--poll-max-bytes=8388608"],
             "more than --poll-max-bytes=8388608 bytes of memory", 4, 96)

# ------------------------------------------------------------------ hostile API
#
# One exporter through every hostile answer of hostile.CASES (an API that
# never stops paging is the section above), each followed by good answers:
# 0.5 s timeout, 0.1 s interval, a poll at most 2 s and 8 MiB
# (--poll-max-bytes, so that a body is cut after 8 MiB rather than the
# default 64 MiB a page; "big" above meets the default). Limits: two polls
# fail within 2.5 s, scrapes within 1 s, recovery within 5 s, and a peak RSS
# (VmHWM) below 40 MiB: reading a 1 GiB or endless body must not get near it.
MAX_BYTES = r"more than --poll-max-bytes=8388608 bytes read in one poll"
PROW_CASES = [case.but(log=MAX_BYTES) if case.log == hostile.TOO_LARGE else case
              for case in hostile.CASES]
good_list = json.dumps(as_list(GOOD1)).encode()
hp = hostile.HostileServer(lambda request: (200, {"Content-Type": "application/json"}, good_list))
port = free_port()
p = Proc([BIN, "--listen=127.0.0.1:%d" % port, "--api-server=" + hp.url, "--namespace=" + NS,
          "--interval=0.1s", "--timeout=0.5s", "--poll-timeout=2s", "--poll-max-bytes=8388608"],
         name="prow-hostile")
url = "http://127.0.0.1:%d/metrics" % port
c.check("hostile: first poll works", wait_until(lambda: value(url, "prow_exporter_up") == 1, 10),
        p.output()[-2000:])
target = hostile.Target(p, url, "prow_exporter_up", "prow_exporter_poll_errors_total")
took = hostile.run_cases(c, hp, target, PROW_CASES, rss_limit_mib=40, fail_within=2.5,
                         label="hostile: ")
hostile.run_back_to_back(c, hp, target, [case.but(log=MAX_BYTES) if case.log == hostile.TOO_LARGE
                                         else case for case in hostile.BACK_TO_BACK],
                         within=2.5, label="hostile: ")
s = scrape(url)
c.equal("hostile: last good series exported throughout",
        s and series_of(s, "prow_job_labels", "build"), WANT_BUILD_LABELS)
hostile.stop_while(c, hp, p, hostile.trickle(), 1.5, label="hostile: ")
if os.environ.get("HOSTILE_VERBOSE"):
    print("hostile: %s" % took, file=sys.stderr)
hp.stop()

# ------------------------------------------------------------------ refused

port = free_port()
p = Proc([BIN, "--listen=127.0.0.1:%d" % port, "--api-server=http://127.0.0.1:%d" % free_port(),
          "--interval=0.1s", "--timeout=1s"], name="prow-refused")
url = "http://127.0.0.1:%d/metrics" % port
c.check("refused: errors counted", wait_until(
    lambda: (value(url, "prow_exporter_poll_errors_total") or 0) >= 3, 10), p.output())
s = Scrape(url)
c.equal("refused: up 0", s.value("prow_exporter_up"), 0.0)
c.equal("refused: no job series before a good poll", s.series("prow_job_labels"), [])
c.equal("refused: logged once", p.output().count("poll failed"), 1)
c.equal("refused: SIGTERM exit 0", p.stop(), 0)

# ------------------------------------------------------------------ --from-file

list_file = os.path.join(tmp, "prowjobs.json")


def write_list(text):
    with open(list_file + ".tmp", "w") as f:
        f.write(text)
    os.replace(list_file + ".tmp", list_file)


write_list(json.dumps(as_list(GOOD1), indent=2))
port = free_port()
p = Proc([BIN, "--listen=127.0.0.1:%d" % port, "--from-file=" + list_file, "--interval=0.1s"],
         env={"PROW_INTERVAL": "1h"}, name="prow-file")
url = "http://127.0.0.1:%d/metrics" % port
c.check("from-file: polls", wait_until(lambda: value(url, "prow_exporter_up") == 1, 10), p.output())
check_labels(Scrape(url), "from-file")
write_list("{not json")
c.check("from-file: invalid JSON counted", wait_errors_grow(url, 2))
c.equal("from-file: up 0", value(url, "prow_exporter_up"), 0.0)
os.unlink(list_file)
c.check("from-file: missing file counted", wait_errors_grow(url, 2))
write_list(json.dumps(as_list(GOOD2)))
c.check("from-file: re-read, recovers", wait_until(lambda: value(url, "prow_exporter_up") == 1, 10))
check_transitions(Scrape(url), "from-file")
c.equal("from-file: SIGTERM exit 0", p.stop(), 0)

# The item and byte bounds hold for a saved list too.
for what, args, reason in (
        ("items", ["--poll-max-items=5"], "more than --poll-max-items=5 ProwJobs"),
        ("bytes", ["--poll-max-bytes=65536"], "larger than 65536 bytes")):
    write_list(json.dumps(as_list(GOOD2 * 20)))  # 280 jobs, about 100 KB
    port = free_port()
    p = Proc([BIN, "--listen=127.0.0.1:%d" % port, "--from-file=" + list_file,
              "--interval=0.1s"] + args, name="prow-file-bounds")
    url = "http://127.0.0.1:%d/metrics" % port
    c.check("from-file, %s bound: poll fails" % what, wait_errors_grow(url, 1), p.output())
    c.equal("from-file, %s bound: up 0" % what, value(url, "prow_exporter_up"), 0.0)
    c.check("from-file, %s bound: reason logged" % what, reason in p.output(), p.output())
    c.equal("from-file, %s bound: SIGTERM exit 0" % what, p.stop(), 0)

# ------------------------------------------------------------------ valgrind

VALGRIND = ["valgrind", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect,possible",
            "--show-leak-kinds=definite,indirect,possible"]
api.mode = "good1"
api.seen.clear()
p, url = start_api(api, prefix=VALGRIND, timeout=30)
Scrape(url)
Scrape(url, openmetrics=True)
api.mode = "500"
c.check("valgrind: failure counted", wait_errors_grow(url, 1, 30))
api.mode = "good2"
c.check("valgrind: recovers", wait_until(lambda: value(url, "prow_exporter_up") == 1, 30))
s = Scrape(url)
check_transitions(s, "valgrind")
Scrape(url, openmetrics=True)
rc = p.stop(60)
c.equal("valgrind: exit 0, no errors or leaks", rc, 0)
c.check("valgrind: ran and reported no errors", "ERROR SUMMARY: 0 errors" in p.output())
if rc != 0:
    print(p.output()[-4000:], file=sys.stderr)

api.up.stop()
c.done()
