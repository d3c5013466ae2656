"""prefect_exporter end to end against a fake Prefect API that honours the
request bodies (state filters, time windows, sort, limit and offset), with
data relative to the time of each request: every family with its HELP and
label values, the requests themselves (order, bodies, pages, headers,
authentication, CSRF), pagination on and off, every kind of upstream
failure (each answered 200 with a valid exposition and prefect_up 0),
retries within the deadline, Retry-After, concurrent scrapes sharing one
collection, flags, clean exit on SIGTERM and a run under valgrind."""

import base64
import datetime
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from promcheck import Checks, Proc, Scrape, free_port, get, wait_until  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

BIN = os.path.join(os.environ.get("PROMC_BUILD", "build"), "examples", "prefect_exporter")
c = Checks("prefect_exporter")
ENV = ("PREFECT_API_URL", "PREFECT_API_KEY", "PREFECT_API_AUTH_STRING", "PREFECT_CSRF_ENABLED",
       "PAGINATION_ENABLED", "PAGINATION_LIMIT", "OFFSET_MINUTES", "FAILED_RUNS_OFFSET_MINUTES",
       "FAILED_RUNS_LIMIT", "ENABLE_FLOW_RUN_NAME_LABEL", "MAX_RETRIES", "METRICS_ADDR",
       "METRICS_PORT", "LOG_LEVEL")
for k in list(os.environ):
    if k in ENV or k.startswith("PREFECT_"):
        del os.environ[k]

UTC = datetime.timezone.utc
T_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
STATES = ["SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLING", "CANCELLED", "COMPLETED",
          "FAILED", "CRASHED"]


def when(value):
    """A timestamp of the API as a datetime; None when absent or unreadable
    (Python reads a missing zone as local: make it UTC, as the exporter does)."""
    if not isinstance(value, str):
        return None
    try:
        t = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


# ---------------------------------------------------------------- the data
# Section 7's sample answers, extended: flows over several pages (one name
# twice), running, failed and crashed runs, a run without a deployment, one
# scheduled in the future, start times without a zone, with an offset and
# unreadable, a failed-run history longer than FAILED_RUNS_LIMIT, queues with
# a failing status, and values of every JSON kind where labels come from.

DEPLOYMENTS = [
    {"id": "d1", "name": "etl-nightly", "flow_id": "f1", "paused": False, "status": "READY",
     "tags": ["prod", "nightly"], "work_queue_name": "default", "work_pool_name": "k8s-pool",
     "path": "."},
    {"id": "d2", "name": "monthly-report", "flow_id": "f2", "paused": True, "status": "NOT_READY",
     "tags": [], "work_queue_name": "default", "work_pool_name": "k8s-pool", "path": None},
    # Missing keys: "null"; no flow with that id: flow_name "null".
    {"id": "d3", "name": "adhoc", "flow_id": "f9", "status": "READY"},
    # JSON null: "None" (is_schedule_active: not None = True); numbers as
    # Python prints them.
    {"id": "d4", "name": "odd-values", "flow_id": None, "paused": None, "path": 1e-05,
     "status": 1e22, "tags": None, "work_pool_name": 7, "work_queue_name": -2.5e-07},
]
FLOWS = [{"id": "f1", "name": "etl"}, {"id": "f2", "name": "report-builder"},
         {"id": "f3", "name": "cleanup"}, {"id": "f4", "name": "sync"}, {"id": "f5", "name": "etl"}]
POOLS = [{"id": "p1", "name": "k8s-pool", "type": "kubernetes", "is_paused": False, "status": "READY"},
         {"id": "p2", "name": "local", "type": "process", "is_paused": True, "status": "PAUSED"}]
QUEUES = [{"id": "q1", "name": "default", "is_paused": False, "priority": 1,
           "work_pool_name": "k8s-pool", "status": "READY"},
          {"id": "q2", "name": "critical", "is_paused": True, "priority": 2.0,
           "work_pool_name": "k8s-pool", "status": "PAUSED"}]
STATUS = {"q1": {"healthy": True, "late_runs_count": 0,
                 "health_check_policy": {"maximum_late_runs": 0, "maximum_seconds_since_last_polled": 60}},
          "q2": {"healthy": False, "late_runs_count": 3,
                 "health_check_policy": {"maximum_late_runs": None,
                                         "maximum_seconds_since_last_polled": 30.5}}}


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def runs_at(now):
    """The flow runs as the API holds them at `now`."""
    def run(rid, flow, dep, state, start, end=None, total=0.0, queue="default", start_text=None,
            name=None):
        r = {"id": rid, "name": name or "run-" + rid, "flow_id": flow, "deployment_id": dep,
             "work_queue_name": queue, "state_type": state, "state_name": state.capitalize(),
             "start_time": start_text if start_text is not None else
             (iso(now + datetime.timedelta(seconds=start)) if start is not None else None),
             "end_time": iso(now + datetime.timedelta(seconds=end)) if end is not None else None,
             "total_run_time": total, "state": {"type": state, "name": state.capitalize()}}
        return r
    naive = (now - datetime.timedelta(seconds=50)).strftime("%Y-%m-%dT%H:%M:%S.%f")
    offset = (now - datetime.timedelta(seconds=40)).astimezone(
        datetime.timezone(datetime.timedelta(hours=2))).isoformat()
    runs = [
        run("r1", "f1", "d1", "COMPLETED", -150, -60, 88.146, name="crimson-otter"),
        run("r2", "f1", "d1", "COMPLETED", -120, -30, 90.0),
        run("r3", "f1", "d1", "RUNNING", -100),
        run("r4", "f2", "d2", "FAILED", -90, -10, 80.0),
        run("r5", "f2", "d2", "CRASHED", -80, -5, 75.0),
        run("r6", "f1", "d1", "PENDING", None),
        run("r7", "f3", None, "SCHEDULED", 600),
        run("r8", "f1", "d1", "COMPLETED", -10800, -10740, 60.0),
        run("r9", "f4", "d1", "RUNNING", None, queue="other-queue", start_text=naive),
        run("r10", "f4", "d1", "RUNNING", None, queue="other-queue", start_text="yesterday"),
        run("r11", "f1", "d1", "RUNNING", None, start_text=offset),
        run("rx", "f1", None, "FAILED", -7200, -7140, 60.0),
        run("rc01", "f1", "d1", "CRASHED", -2 * 86400, -2 * 86400 + 60, 60.0),
    ]
    runs += [run("rf%02d" % k, "f1", "d1", "FAILED", -k * 3600, -k * 3600 + 60, 60.0)
             for k in range(1, 13)]
    return runs


def filter_runs(runs, body):
    f = body.get("flow_runs", {})
    out = []
    for r in runs:
        if "start_time" in f:
            st = when(r["start_time"])
            if st is None or st < when(f["start_time"]["after_"]):
                continue
        e = f.get("end_time", {})
        if "after_" in e and (when(r["end_time"]) is None or when(r["end_time"]) < when(e["after_"])):
            continue
        if "is_null_" in e and (r["end_time"] is None) != e["is_null_"]:
            continue
        if "state" in f and r["state_type"] not in f["state"]["type"]["any_"]:
            continue
        if "deployment_id" in f and (r["deployment_id"] is None) != f["deployment_id"]["is_null_"]:
            continue
        out.append(r)
    if body.get("sort") == "START_TIME_DESC":
        floor = datetime.datetime.min.replace(tzinfo=UTC)
        out.sort(key=lambda r: when(r["start_time"]) or floor, reverse=True)
    return out


# ---------------------------------------------------------------- the fake API


class FakePrefect:
    """A Prefect API under /api. .fail maps a route ("deployments", "flows",
    "flow_runs", "work_pools", "work_queues", "status:q2", "csrf-token") to a
    misbehaviour; .delay to seconds to wait before answering. Every request
    is kept in .log as a dict (method, route, path, query, headers, body)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.log = []
        self.fail = {}
        self.delay = {}
        self.hang_seconds = 6
        self.deployments = list(DEPLOYMENTS)
        self.csrf = False
        self.csrf_ttl = 3600.0
        self.tokens = {}  # token -> (client, expiry)
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body, headers=()):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass

            def serve(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                owner.answer(self, raw)

            do_GET = do_POST = serve

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda *a: None  # clients hanging up are expected
        self.url = "http://127.0.0.1:%d/api" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def requests(self, route=None, since=0):
        with self.lock:
            return [r for r in self.log[since:] if route is None or r["route"] == route]

    def mark(self):
        with self.lock:
            return len(self.log)

    def answer(self, h, raw):
        split = urllib.parse.urlsplit(h.path)
        path = split.path
        parts = path.split("/")
        route = None
        if path == "/api/health":
            route = "health"
        elif path == "/api/csrf-token":
            route = "csrf-token"
        elif len(parts) == 4 and parts[3] == "filter":
            route = parts[2]
        elif len(parts) == 5 and parts[2] == "work_queues" and parts[4] == "status":
            route = "status:" + urllib.parse.unquote(parts[3])
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = "invalid: %r" % raw[:80]
        entry = {"method": h.command, "route": route, "path": path,
                 "query": urllib.parse.parse_qs(split.query), "headers": dict(h.headers), "body": body}
        with self.lock:
            self.log.append(entry)
            mode = self.fail.get(route)
            if mode == "500once":
                del self.fail[route]
                mode = "500"
            delay = self.delay.get(route, 0)
        if delay:
            time.sleep(delay)
        if route is None:
            return h.reply(404, b'{"detail":"Not Found"}')
        if mode == "hang":
            time.sleep(self.hang_seconds)
            h.close_connection = True
            return None
        if mode == "500":
            return h.reply(500, b'{"exception_message":"Internal Server Error"}')
        if mode == "429":
            return h.reply(429, b'{"detail":"slow down"}', [("Retry-After", "2")])
        if mode == "503date":  # maintenance until an HTTP-date 2 s away
            until = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 3))
            return h.reply(503, b'{"detail":"maintenance"}', [("Retry-After", until)])
        if mode == "badjson":
            return h.reply(200, b'[{"id": "x", "name": ')
        if mode == "notarray":
            return h.reply(200, b'{"detail": "an object"}')
        if mode == "huge":
            return h.reply(200, b"[" + b" " * (17 << 20) + b"]")
        if route == "health":
            return h.reply(200, b"true")
        now = datetime.datetime.now(UTC)
        if route == "csrf-token":
            client = entry["query"].get("client", [""])[0]
            with self.lock:
                token = "token-%d" % (len(self.tokens) + 1)
                self.tokens[token] = (client, time.time() + self.csrf_ttl)
            expiration = iso(now + datetime.timedelta(seconds=self.csrf_ttl))
            return h.reply(200, json.dumps({"token": token, "client": client,
                                            "expiration": expiration}).encode())
        if self.csrf and h.command == "POST":
            token = entry["headers"].get("Prefect-Csrf-Token")
            with self.lock:
                known = self.tokens.get(token)
            if (not known or known[0] != entry["headers"].get("Prefect-Csrf-Client")
                    or known[1] < time.time()):
                return h.reply(403, b'{"detail":"Invalid CSRF token"}')
        if route.startswith("status:"):
            st = STATUS.get(route[7:])
            return h.reply(200, json.dumps(st).encode()) if st else h.reply(404, b"{}")
        if h.command != "POST" or not isinstance(body, dict) or \
                not isinstance(body.get("limit"), int) or not isinstance(body.get("offset"), int):
            return h.reply(422, b'{"detail":"limit and offset required"}')
        items = {"deployments": self.deployments, "flows": FLOWS, "work_pools": POOLS,
                 "work_queues": QUEUES}.get(route)
        if route == "flow_runs":
            items = filter_runs(runs_at(now), body)
        if items is None:
            return h.reply(404, b"{}")
        page = items[body["offset"]:body["offset"] + body["limit"]]
        return h.reply(200, json.dumps(page).encode())


# ---------------------------------------------------------------- helpers


def start(api_url, args=(), env=None, prefix=(), wait=10):
    port = free_port()
    p = Proc(list(prefix) + [BIN, "--web.listen-address=127.0.0.1:%d" % port] + list(args),
             env=dict({"PREFECT_API_URL": api_url}, **(env or {})))
    url = "http://127.0.0.1:%d/metrics" % port
    # /-/healthy answers without a collection; the health check of the API
    # at start is logged either way.
    c.check("starts and serves", wait_until(
        lambda: get("http://127.0.0.1:%d/-/healthy" % port)[0] == 200, wait), p.output())
    c.check("checks the API's health at start", wait_until(
        lambda: "Prefect API is healthy" in p.output() or "health check failed" in p.output(), wait),
        p.output())
    return p, url


def run(args, env=None):
    full = dict(os.environ, **(env or {}))
    return subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=10, env=full)


# What promtool's linter says of names the original chose and dashboards
# use: gauges named *_total and *_count.
NAME_LINTS = {'%s non-counter metrics should not have "_total" suffix' % n for n in (
    "prefect_deployments_total", "prefect_flows_total", "prefect_flow_runs_total",
    "prefect_work_pools_total", "prefect_work_queues_total")} | {
    'prefect_work_queues_late_runs_count non-histogram and non-summary metrics should not have '
    '"_count" suffix'}


def promtool(body):
    """promtool check metrics: no parse error, and no complaint but those of
    the original's names."""
    r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, text=True)
    lines = [ln for ln in (r.stdout + r.stderr).splitlines() if ln.strip()]
    other = [ln for ln in lines if ln not in NAME_LINTS]
    return r.returncode in (0, 3) and not other, (r.returncode, other)


def unique_series(body):
    seen, dup = set(), []
    for fam in text_string_to_metric_families(body):
        for s in fam.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in seen:
                dup.append(key)
            seen.add(key)
    return dup


def scrape_checked(url, desc, timeout=5, headers=None):
    """A scrape that must be HTTP 200, valid for promtool and without a
    repeated series; returns (Scrape, seconds)."""
    t = time.monotonic()
    status, _, body = get(url, timeout=timeout, headers=headers)
    took = time.monotonic() - t
    c.equal("%s: HTTP 200" % desc, status, 200)
    ok, detail = promtool(body)
    c.check("%s: promtool clean" % desc, ok, detail)
    c.equal("%s: no series twice" % desc, unique_series(body), [])
    s = Scrape.__new__(Scrape)
    s.body = body
    s.families = {f.name: f for f in text_string_to_metric_families(body)}
    s.samples = {}
    for f in s.families.values():
        for smp in f.samples:
            s.samples[(smp.name, tuple(sorted(smp.labels.items())))] = smp.value
    return s, took


def near(got, want, slack=5):
    return got is not None and abs(got - want) <= slack


# ---------------------------------------------------------------- flags
r = run(["--help"])
c.check("--help exits 0 and lists flags with the original's variables",
        r.returncode == 0 and all(s in r.stdout for s in ENV + (
            "--prefect.api-url", "--prefect.api-key", "--prefect.api-auth-string",
            "--[no-]prefect.csrf-enabled", "--[no-]pagination.enabled", "--pagination.limit",
            "--offset-minutes", "--failed-runs.offset-minutes", "--failed-runs.limit",
            "--[no-]flow-run-name-label", "--max-retries", "--timeout", "--cache-ttl",
            "--web.listen-address", "--listen", "--web.telemetry-path", "--log.level")), r.stdout)
r = run(["--version"])
c.check("--version", r.returncode == 0 and r.stdout.startswith("prefect_exporter 1.0.0 (promc "),
        r.stdout)
for env, name in (({"PAGINATION_ENABLED": "Ture"}, "PAGINATION_ENABLED"),
                  ({"PREFECT_CSRF_ENABLED": "enabled"}, "PREFECT_CSRF_ENABLED"),
                  ({"ENABLE_FLOW_RUN_NAME_LABEL": "2"}, "ENABLE_FLOW_RUN_NAME_LABEL"),
                  ({"MAX_RETRIES": "0"}, "MAX_RETRIES"), ({"PAGINATION_LIMIT": "0"}, "PAGINATION_LIMIT"),
                  ({"OFFSET_MINUTES": "soon"}, "OFFSET_MINUTES"), ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
                  ({"METRICS_PORT": "99999"}, "METRICS_PORT")):
    r = run([], env=env)
    c.check("%s=%s: exit 2 naming it" % (name, env[name]), r.returncode == 2 and name in r.stderr,
            (r.returncode, r.stderr))
r = run(["--prefect.api-url=https://prefect.example.com/api"])
c.check("https URL: exit 2, explains the TLS proxy",
        r.returncode == 2 and "https" in r.stderr and "proxy" in r.stderr, r.stderr)
r = run([], env={"PREFECT_API_AUTH_STRING": "no-colon"})
c.check("auth string without ':': exit 2", r.returncode == 2 and "USER:PASSWORD" in r.stderr, r.stderr)
r = run(["--timeout=fast"])
c.equal("bad duration exits 2", r.returncode, 2)

api = FakePrefect()

# METRICS_ADDR and METRICS_PORT make the listen address, as in the original.
port = free_port()
p = Proc([BIN], env={"PREFECT_API_URL": api.url, "METRICS_ADDR": "127.0.0.1",
                     "METRICS_PORT": str(port), "LOG_LEVEL": "CRITICAL"})
c.check("METRICS_ADDR and METRICS_PORT", wait_until(
    lambda: get("http://127.0.0.1:%d/metrics" % port)[0] == 200, 10), p.output())
c.equal("LOG_LEVEL=CRITICAL: nothing but errors logged, exit 0", (p.stop(), p.output()), (0, ""))

# ---------------------------------------------------------------- the sample
before = api.mark()
p, m = start(api.url, ["--timeout=5s"],
             env={"PAGINATION_LIMIT": "2", "PREFECT_API_KEY": "pnu_key",
                  "PREFECT_API_AUTH_STRING": "alice:s3cret"})
first = api.mark()
s, took = scrape_checked(m, "sample")
log = api.requests(since=first)
now = time.time()
c.equal("prefect_up", s.value("prefect_up"), 1.0)

HELP = {
    "prefect_deployments_total": "Prefect total deployments",
    "prefect_info_deployment": "Prefect deployment info",
    "prefect_flows_total": "Prefect total flows",
    "prefect_info_flows": "Prefect flow info",
    "prefect_flow_runs_total": "Prefect total flow runs",
    "prefect_flow_runs_total_run_time": "Prefect flow-run total run time in seconds",
    "prefect_flow_runs_ongoing_run_time": "Prefect flow runs ongoing run time in seconds",
    "prefect_info_flow_runs": "Prefect flow runs info",
    "prefect_deployment_failed_flow_runs":
        "Last failed or crashed flow run ID per deployment within the FAILED_RUNS_OFFSET_MINUTES window",
    "prefect_work_pools_total": "Prefect total work pools",
    "prefect_info_work_pools": "Prefect work pools info",
    "prefect_work_queues_total": "Prefect total work queues",
    "prefect_info_work_queues": "Prefect work queues info",
    "prefect_work_queues_late_runs_count": "Prefect work queues late runs count",
}
# (prefect_exporter_build_info, the exporter's own, comes before them.)
order = [n for n in re.findall(r"^# HELP (\S+)", s.body, re.M)
         if n.startswith("prefect_") and n != "prefect_exporter_build_info"]
c.equal("the 14 families in the original's order, then up and errors", order,
        list(HELP) + ["prefect_up", "prefect_api_errors_total"])
for name, help_text in HELP.items():
    fam = s.families.get(name)
    c.check("%s: gauge with the original's HELP" % name,
            fam is not None and fam.type == "gauge" and fam.documentation == help_text,
            fam and (fam.type, fam.documentation))

c.equal("deployments_total", s.value("prefect_deployments_total"), 4.0)


def deployment(flow_name, active, name, path, paused, pool, queue, status, tags):
    return dict(flow_name=flow_name, is_schedule_active=active, deployment_name=name, path=path,
                paused=paused, work_pool_name=pool, work_queue_name=queue, status=status, tags=tags)


c.equal("info_deployment etl-nightly (sorted tags)", s.value("prefect_info_deployment", **deployment(
    "etl", "True", "etl-nightly", ".", "False", "k8s-pool", "default", "READY", "nightly,prod")), 1.0)
c.equal("info_deployment monthly-report (path None, no tags)", s.value(
    "prefect_info_deployment", **deployment("report-builder", "False", "monthly-report", "None",
                                            "True", "k8s-pool", "default", "NOT_READY", "")), 1.0)
c.equal("info_deployment with missing keys: null", s.value("prefect_info_deployment", **deployment(
    "null", "null", "adhoc", "null", "null", "null", "null", "READY", "null")), 1.0)
d4 = DEPLOYMENTS[3]
c.equal("info_deployment with JSON nulls and numbers: as Python's str()", s.value(
    "prefect_info_deployment", **deployment("null", "True", "odd-values", str(d4["path"]), "None",
                                            str(d4["work_pool_name"]), str(d4["work_queue_name"]),
                                            str(d4["status"]), "None")), 1.0)
c.equal("info_deployment: four series", len(s.series("prefect_info_deployment")), 4)
c.equal("flows_total (three pages)", s.value("prefect_flows_total"), 5.0)
c.equal("info_flows: two flows named etl count 2", sorted(
    (lb["flow_name"], v) for lb, v in s.series("prefect_info_flows")),
    [("cleanup", 1.0), ("etl", 2.0), ("report-builder", 1.0), ("sync", 1.0)])
c.equal("flow_runs_total: runs ended in the window", s.value("prefect_flow_runs_total"), 4.0)
c.equal("total_run_time: two runs of etl add up", sorted(
    (lb["flow_name"], round(v, 6)) for lb, v in s.series("prefect_flow_runs_total_run_time")),
    [("etl", 178.146), ("report-builder", 155.0)])
ongoing = {lb["flow_run_id"]: (lb, v) for lb, v in s.series("prefect_flow_runs_ongoing_run_time")}
c.equal("ongoing: started runs only (not pending, not unreadable)", sorted(ongoing),
        ["r11", "r3", "r7", "r9"])
c.check("ongoing: run time of r3 is now - start", near(ongoing.get("r3", ({}, None))[1], 100), ongoing)
c.check("ongoing: a start time without a zone is UTC", near(ongoing.get("r9", ({}, None))[1], 50),
        ongoing)
c.check("ongoing: a start time with +02:00", near(ongoing.get("r11", ({}, None))[1], 40), ongoing)
c.equal("ongoing: a start in the future is 0", ongoing.get("r7", ({}, None))[1], 0.0)
c.equal("ongoing: labels", ongoing.get("r3", ({}, None))[0], {
    "deployment_name": "etl-nightly", "flow_name": "etl", "state_name": "Running", "flow_run_id": "r3"})
c.equal("ongoing: no deployment gives null", ongoing.get("r7", ({}, None))[0].get("deployment_name"),
        "null")


def fr(dep, flow, state, queue):
    return (dep, flow, state, queue)


c.equal("info_flow_runs: counts per label set", sorted(
    ((lb["deployment_name"], lb["flow_name"], lb["state_name"], lb["work_queue_name"]), v)
    for lb, v in s.series("prefect_info_flow_runs")), sorted([
        (fr("etl-nightly", "etl", "Completed", "default"), 2.0),
        (fr("etl-nightly", "etl", "Running", "default"), 2.0),
        (fr("etl-nightly", "sync", "Running", "other-queue"), 1.0),
        (fr("monthly-report", "report-builder", "Failed", "default"), 1.0),
        (fr("monthly-report", "report-builder", "Crashed", "default"), 1.0),
        (fr("null", "cleanup", "Scheduled", "default"), 1.0)]))
failed = sorted((lb["deployment_name"], lb["flow_name"], lb["last_failed_run_id"], lb["state_name"], v)
                for lb, v in s.series("prefect_deployment_failed_flow_runs"))
c.equal("failed runs: the FAILED_RUNS_LIMIT newest per deployment, flow and state", failed, sorted(
    [("etl-nightly", "etl", "rf%02d" % k, "Failed", 1.0) for k in range(1, 11)] +
    [("etl-nightly", "etl", "rc01", "Crashed", 1.0),
     ("monthly-report", "report-builder", "r4", "Failed", 1.0),
     ("monthly-report", "report-builder", "r5", "Crashed", 1.0)]))
c.equal("work_pools_total", s.value("prefect_work_pools_total"), 2.0)
c.equal("info_work_pools: 1 when not paused", s.value(
    "prefect_info_work_pools", is_paused="False", work_pool_name="k8s-pool", type="kubernetes",
    status="READY"), 1.0)
c.equal("info_work_pools: 0 when paused", s.value(
    "prefect_info_work_pools", is_paused="True", work_pool_name="local", type="process",
    status="PAUSED"), 0.0)
c.equal("work_queues_total", s.value("prefect_work_queues_total"), 2.0)
Q1 = dict(is_paused="False", work_queue_name="default", priority="1", type="null",
          work_pool_name="k8s-pool", status="READY", healthy="True",
          health_check_policy_maximum_late_runs="0",
          health_check_policy_maximum_seconds_since_last_polled="60")
Q2 = dict(is_paused="True", work_queue_name="critical", priority="2.0", type="null",
          work_pool_name="k8s-pool", status="PAUSED", healthy="False",
          health_check_policy_maximum_late_runs="None",
          health_check_policy_maximum_seconds_since_last_polled="30.5")
c.equal("info_work_queues q1", s.value("prefect_info_work_queues", **Q1), 1.0)
c.equal("info_work_queues q2 (paused: 0)", s.value("prefect_info_work_queues", **Q2), 0.0)
c.equal("late_runs_count q1", s.value("prefect_work_queues_late_runs_count", **Q1), 0.0)
c.equal("late_runs_count q2", s.value("prefect_work_queues_late_runs_count", **Q2), 3.0)
c.equal("api errors: none", [v for _, v in s.series("prefect_api_errors_total")], [0.0] * 8)
c.check("process metrics exported", s.value("process_start_time_seconds") is not None)
c.check("OpenMetrics output parses", "prefect_up" in Scrape(m, openmetrics=True).families)

# ---------------------------------------------------------------- the requests
c.check("GET /api/health once at start", api.requests("health", before)[:1] and
        api.requests("health", before)[0]["method"] == "GET")
c.check("every request: Accept and Content-Type application/json", all(
    r["headers"].get("Accept") == "application/json" and
    r["headers"].get("Content-Type") == "application/json" for r in log), [r["headers"] for r in log[:1]])
c.check("every request: the key wins over the auth string", all(
    r["headers"].get("Authorization") == "Bearer pnu_key" for r in log))
posts = [r for r in log if r["method"] == "POST"]
c.check("every filter body carries limit 2 and an offset",
        all(r["body"].get("limit") == 2 and isinstance(r["body"].get("offset"), int) for r in posts))


def query_of(r):
    """What a request asks: (route, kind of flow-run query)."""
    if r["route"] != "flow_runs":
        return (r["route"], None)
    f = r["body"]["flow_runs"]
    if "start_time" in f and r["body"].get("sort"):
        return ("flow_runs", "failed")
    if "start_time" in f:
        return ("flow_runs", f["state"]["type"]["any_"][0])
    if "after_" in f.get("end_time", {}):
        return ("flow_runs", "ended")
    return ("flow_runs", "ongoing")


groups = []
for r in log:
    q = query_of(r)
    if groups and groups[-1][0] == q:
        groups[-1][1].append(r)
    else:
        groups.append((q, [r]))
c.equal("queries in the original's order", [q for q, _ in groups],
        [("deployments", None), ("flows", None)] + [("flow_runs", st) for st in STATES] +
        [("flow_runs", "ended"), ("flow_runs", "ongoing"), ("flow_runs", "failed"),
         ("work_pools", None), ("work_queues", None), ("status:q1", None), ("status:q2", None)])
pages = {q: [r["body"]["offset"] for r in rs] for q, rs in groups if rs[0]["method"] == "POST"}
c.equal("pages of flows: offsets 0, 2, 4 (the third is short)", pages.get(("flows", None)), [0, 2, 4])
c.equal("pages of deployments: 0, 2, 4 (the third is empty)", pages.get(("deployments", None)), [0, 2, 4])
c.equal("pages of RUNNING runs: 0, 2", pages.get(("flow_runs", "RUNNING")), [0, 2])
c.equal("pages of COMPLETED runs: 0, 2", pages.get(("flow_runs", "COMPLETED")), [0, 2])
c.equal("pages of failed runs: 7 full and an empty one", pages.get(("flow_runs", "failed")),
        list(range(0, 16, 2)))
by_kind = {q: rs[0]["body"] for q, rs in groups if rs[0]["method"] == "POST"}
recent = by_kind.get(("flow_runs", "RUNNING"), {}).get("flow_runs", {})
t = recent.get("start_time", {}).get("after_", "")
c.check("recent runs: start_time after now - OFFSET_MINUTES, as YYYY-MM-DDTHH:MM:SS.ffffffZ",
        T_FORMAT.match(t) and near(when(t).timestamp(), now - 180), t)
c.equal("recent runs: the whole filter", recent, {
    "operator": "and_", "start_time": {"after_": t}, "state": {"type": {"any_": ["RUNNING"]}}})
c.equal("ended runs: filter", by_kind.get(("flow_runs", "ended")), {
    "flow_runs": {"operator": "and_", "end_time": {"after_": t}}, "limit": 2, "offset": 0})
c.equal("ongoing runs: filter", by_kind.get(("flow_runs", "ongoing")), {
    "flow_runs": {"operator": "and_", "end_time": {"is_null_": True},
                  "state": {"type": {"any_": ["RUNNING", "PENDING", "SCHEDULED"]}}},
    "limit": 2, "offset": 0})
fb = by_kind.get(("flow_runs", "failed"), {})
tf = fb.get("flow_runs", {}).get("start_time", {}).get("after_", "")
c.check("failed runs: window of FAILED_RUNS_OFFSET_MINUTES",
        T_FORMAT.match(tf) and near(when(tf).timestamp(), now - 10080 * 60), tf)
c.equal("failed runs: filter", fb, {
    "flow_runs": {"operator": "and_", "state": {"type": {"any_": ["FAILED", "CRASHED"]}},
                  "start_time": {"after_": tf}, "deployment_id": {"is_null_": False}},
    "sort": "START_TIME_DESC", "limit": 2, "offset": 0})
c.equal("deployments: body is just limit and offset", by_kind.get(("deployments", None)),
        {"limit": 2, "offset": 0})
c.check("queue status: GET without a body", all(
    r["method"] == "GET" and r["body"] is None for r in log if r["route"].startswith("status:")))

# Duplicates: two deployments alike in every label, and (above) two flows
# of one name and two runs of one flow.
api.deployments = DEPLOYMENTS + [dict(DEPLOYMENTS[0], id="d5")]
s, _ = scrape_checked(m, "duplicate deployment")
c.equal("duplicate deployment: one series with value 2", s.value("prefect_info_deployment", **deployment(
    "etl", "True", "etl-nightly", ".", "False", "k8s-pool", "default", "READY", "nightly,prod")), 2.0)
c.equal("duplicate deployment: counted in the total", s.value("prefect_deployments_total"), 5.0)
api.deployments = list(DEPLOYMENTS)
c.equal("SIGTERM exits 0", p.stop(), 0)
c.check("the first collection is logged", "collected in" in p.output(), p.output()[-2000:])

# ---------------------------------------------------------------- Basic auth
before = api.mark()
p, m = start(api.url, env={"PREFECT_API_AUTH_STRING": "alice:s3cret:x"})
s, _ = scrape_checked(m, "basic auth")
c.equal("basic auth: up", s.value("prefect_up"), 1.0)
basic = "Basic " + base64.b64encode(b"alice:s3cret:x").decode()
c.check("basic auth: Authorization: Basic base64(auth string) on every request",
        api.requests(since=before) and all(r["headers"].get("Authorization") == basic
                                           for r in api.requests(since=before)))
c.equal("basic auth: exit 0", p.stop(), 0)

# ---------------------------------------------------------------- pagination off
for limit, flows in ((None, 5.0), ("2", 2.0)):
    env = {"PAGINATION_ENABLED": "False"}
    if limit:
        env["PAGINATION_LIMIT"] = limit
    p, m = start(api.url, env=env)
    before = api.mark()
    s, _ = scrape_checked(m, "pagination off, limit %s" % limit)
    posts = [r for r in api.requests(since=before) if r["method"] == "POST"]
    c.equal("pagination off, limit %s: one request per query" % limit,
            [query_of(r) for r in posts],
            [("deployments", None), ("flows", None)] + [("flow_runs", st) for st in STATES] +
            [("flow_runs", "ended"), ("flow_runs", "ongoing"), ("flow_runs", "failed"),
             ("work_pools", None), ("work_queues", None)])
    c.check("pagination off: offset 0, limit %s" % (limit or 200), all(
        r["body"]["offset"] == 0 and r["body"]["limit"] == int(limit or 200) for r in posts))
    c.equal("pagination off, limit %s: flows of the one page" % limit, s.value("prefect_flows_total"),
            flows)
    c.equal("pagination off: exit 0", p.stop(), 0)

# ---------------------------------------------------------------- options
p, m = start(api.url, env={"ENABLE_FLOW_RUN_NAME_LABEL": "true", "FAILED_RUNS_OFFSET_MINUTES": "0"})
before = api.mark()
s, _ = scrape_checked(m, "options")
c.check("flow_run_name label on info_flow_runs", s.value(
    "prefect_info_flow_runs", deployment_name="etl-nightly", flow_name="etl", state_name="Completed",
    work_queue_name="default", flow_run_name="crimson-otter") == 1.0, s.series("prefect_info_flow_runs"))
c.check("flow_run_name label on ongoing_run_time", all(
    "flow_run_name" in lb for lb, _ in s.series("prefect_flow_runs_ongoing_run_time")))
c.equal("FAILED_RUNS_OFFSET_MINUTES=0: no failed-runs query",
        [query_of(r) for r in api.requests("flow_runs", before) if query_of(r)[1] == "failed"], [])
c.check("FAILED_RUNS_OFFSET_MINUTES=0: family present, empty",
        "prefect_deployment_failed_flow_runs" in s.families and
        not s.series("prefect_deployment_failed_flow_runs"))
c.equal("FAILED_RUNS_OFFSET_MINUTES=0: up", s.value("prefect_up"), 1.0)
c.equal("options: exit 0", p.stop(), 0)

# ---------------------------------------------------------------- CSRF
api.csrf = True
api.csrf_ttl = 1.5
before = api.mark()
p, m = start(api.url, env={"PREFECT_CSRF_ENABLED": "True"})
mark = api.mark()
s, _ = scrape_checked(m, "csrf")
c.equal("csrf: up (the fake refuses POSTs without a valid token)", s.value("prefect_up"), 1.0)
log = api.requests(since=mark)
client = log[0]["query"].get("client", [""])[0] if log else ""
c.check("csrf: the handshake first, with a UUID client id",
        log and log[0]["route"] == "csrf-token" and
        re.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", client),
        log[:1])
c.check("csrf: token and client on every request after it", len(log) > 15 and all(
    r["headers"].get("Prefect-Csrf-Token") == "token-1" and
    r["headers"].get("Prefect-Csrf-Client") == client for r in log[1:]),
    [(r["route"], r["headers"]) for r in log[1:] if r["headers"].get("Prefect-Csrf-Token") != "token-1"][:2])
mark = api.mark()
s, _ = scrape_checked(m, "csrf again")
c.equal("csrf: a valid token is kept", api.requests("csrf-token", mark), [])
time.sleep(1.6)
mark = api.mark()
s, _ = scrape_checked(m, "csrf expired")
renewed = api.requests("csrf-token", mark)
c.check("csrf: an expired token is renewed, same client",
        len(renewed) == 1 and renewed[0]["query"].get("client") == [client], renewed)
c.equal("csrf: up with the new token", s.value("prefect_up"), 1.0)
api.fail["csrf-token"] = "500"
time.sleep(1.6)
mark = api.mark()
s, _ = scrape_checked(m, "csrf handshake fails")
c.equal("csrf handshake fails: up 0", s.value("prefect_up"), 0.0)
c.check("csrf handshake fails: logged", "requests not made: no CSRF token" in p.output(),
        p.output()[-1000:])
c.equal("csrf handshake fails: nothing else asked", [r["route"] for r in api.requests(since=mark)
                                                     if r["route"] not in ("csrf-token",)], [])
c.check("csrf handshake fails: counted", s.value("prefect_api_errors_total", endpoint="csrf-token") >= 1)
del api.fail["csrf-token"]
c.equal("csrf: exit 0", p.stop(), 0)
api.csrf = False

# ---------------------------------------------------------------- failures
# One exporter, no retries, a 1.5 s deadline; each failure answered 200
# with a valid exposition and prefect_up 0, then recovery.
p, m = start(api.url, ["--timeout=1.5s"], env={"MAX_RETRIES": "1"})
s, _ = scrape_checked(m, "before failures")
c.equal("before failures: up", s.value("prefect_up"), 1.0)
CASES = [
    ("deployments", "500", "HTTP 500", "deployments/filter"),
    ("flows", "badjson", "invalid JSON", "flows/filter"),
    ("work_pools", "huge", "larger than", "work_pools/filter"),
    ("work_queues", "notarray", "expected a JSON array", "work_queues/filter"),
    ("status:q2", "500", "HTTP 500", "work_queues/status"),
    ("flow_runs", "hang", "requests not made: the deadline (--timeout) passed", "flow_runs/filter"),
]
for route, mode, logged, endpoint in CASES:
    desc = "%s %s" % (route, mode)
    errors = s.value("prefect_api_errors_total", endpoint=endpoint)
    api.fail[route] = mode
    s, took = scrape_checked(m, desc)
    c.equal("%s: prefect_up 0" % desc, s.value("prefect_up"), 0.0)
    c.check("%s: answered within the deadline" % desc, took < 2.5, "%.2f s" % took)
    c.check("%s: error counted" % desc,
            s.value("prefect_api_errors_total", endpoint=endpoint) > errors,
            (errors, s.series("prefect_api_errors_total")))
    c.check("%s: logged" % desc, logged in p.output(), p.output()[-1500:])
    if route == "deployments":
        c.equal("%s: no deployment samples" % desc, s.value("prefect_deployments_total"), None)
        c.equal("%s: no run samples (names unknown)" % desc, s.series("prefect_info_flow_runs"), [])
        c.equal("%s: flows still there" % desc, s.value("prefect_flows_total"), 5.0)
    if route == "status:q2":
        c.equal("%s: q1 still there" % desc, s.value("prefect_info_work_queues", **Q1), 1.0)
        c.equal("%s: q2 left out" % desc, (s.value("prefect_info_work_queues", **Q2),
                                           s.value("prefect_work_queues_late_runs_count", **Q2)),
                (None, None))
        c.equal("%s: queues counted" % desc, s.value("prefect_work_queues_total"), 2.0)
    if route == "flow_runs":
        c.equal("%s: what came before the hang is there" % desc, s.value("prefect_flows_total"), 5.0)
        c.equal("%s: what came after is skipped" % desc, s.value("prefect_work_pools_total"), None)
    del api.fail[route]
    s, _ = scrape_checked(m, "%s, recovered" % desc)
    c.equal("%s: recovers" % desc, s.value("prefect_up"), 1.0)
c.equal("failures: exit 0", p.stop(), 0)
out = p.output()
c.check("failures: logged when they start, recovery logged",
        out.count("collection incomplete") == len(CASES) and
        out.count("collection complete again") == len(CASES), out[-3000:])

# Prometheus's scrape timeout comes before --timeout (8 s by default): the
# collection ends by it, less the server's 0.5 s offset and a margin for the
# emission, so prefect_up is still written, not left behind.
p, m = start(api.url)
api.fail["flows"] = "hang"
s, took = scrape_checked(m, "scrape timeout", headers={"X-Prometheus-Scrape-Timeout-Seconds": "2"})
c.check("scrape timeout: answered within Prometheus's 2 s", 1.2 < took < 2.0, "%.2f s" % took)
c.equal("scrape timeout: prefect_up 0", s.value("prefect_up"), 0.0)
c.equal("scrape timeout: what came before the hang is there",
        (s.value("prefect_deployments_total") is not None, s.value("prefect_flows_total")),
        (True, None))
c.equal("scrape timeout: the collection was not left behind",
        s.value("promc_collector_timeouts_total", collector="prefect"), 0.0)
c.check("scrape timeout: logged", "requests not made: the deadline (the scrape timeout) passed"
        in p.output(), p.output()[-1500:])
del api.fail["flows"]
s, _ = scrape_checked(m, "scrape timeout, recovered",
                      headers={"X-Prometheus-Scrape-Timeout-Seconds": "2"})
c.equal("scrape timeout: recovers", s.value("prefect_up"), 1.0)
c.equal("scrape timeout: exit 0", p.stop(), 0)

# Refused: nothing listens at the URL.
dead = "http://127.0.0.1:%d/api" % free_port()
p, m = start(dead)  # MAX_RETRIES 3: the first query tries for 1 + 2 s
s, took = scrape_checked(m, "refused", timeout=10)
c.equal("refused: up 0", s.value("prefect_up"), 0.0)
c.check("refused: the first query's retries, then no more requests", 2.9 < took < 4.5,
        "%.2f s" % took)
c.check("refused: logged once, with the requests not made",
        "deployments: connect to" in p.output() and "requests not made: the API did not answer"
        in p.output(), p.output())
c.equal("refused: failed requests counted (the start's health check, three attempts)",
        (s.value("prefect_api_errors_total", endpoint="health"),
         s.value("prefect_api_errors_total", endpoint="deployments/filter"),
         s.value("prefect_api_errors_total", endpoint="flows/filter")), (1.0, 3.0, 0.0))
c.equal("refused: no prefect samples", [k for k in s.samples if k[0].startswith("prefect_") and
                                        k[0] not in ("prefect_up", "prefect_api_errors_total",
                                                     "prefect_exporter_build_info")], [])
c.check("refused: the failed health check at start is logged, not fatal",
        "health check failed" in p.output(), p.output())
c.equal("refused: exit 0", p.stop(), 0)

# ---------------------------------------------------------------- retries
p, m = start(api.url, ["--timeout=5s"])  # MAX_RETRIES 3 by default
mark = api.mark()
api.fail["deployments"] = "500once"
s, took = scrape_checked(m, "retry")
c.equal("retry: a second attempt after a 500 gets it", s.value("prefect_up"), 1.0)
c.equal("retry: two requests", len(api.requests("deployments", mark)), 2)
c.check("retry: after a backoff of 1 s", took >= 1.0, "%.2f s" % took)
c.equal("retry: the failed attempt counted",
        s.value("prefect_api_errors_total", endpoint="deployments/filter"), 1.0)
c.equal("retry: exit 0", p.stop(), 0)

p, m = start(api.url, ["--timeout=2s"], env={"MAX_RETRIES": "5"})
mark = api.mark()
api.fail["deployments"] = "500"
s, took = scrape_checked(m, "retries bounded")
c.check("retries bounded by the deadline: 2 s, not 1 + 2 + 4 + 8", took < 3.0, "%.2f s" % took)
c.equal("retries bounded: two attempts fit", len(api.requests("deployments", mark)), 2)
c.check("retries bounded: logged", "no time left before the deadline (--timeout) for attempt 3" in p.output(), p.output())
del api.fail["deployments"]
c.equal("retries bounded: exit 0", p.stop(), 0)

# ---------------------------------------------------------------- Retry-After
p, m = start(api.url)
mark = api.mark()
api.fail["deployments"] = "429"
s, _ = scrape_checked(m, "429")
c.equal("429: up 0", s.value("prefect_up"), 0.0)
c.equal("429: not retried, and nothing more asked", [r["route"] for r in api.requests(since=mark)],
        ["deployments"])
del api.fail["deployments"]
mark = api.mark()
s, _ = scrape_checked(m, "429, within Retry-After")
c.equal("429: a scrape within Retry-After asks nothing", api.requests(since=mark), [])
c.equal("429: ... and says so", s.value("prefect_up"), 0.0)
time.sleep(2.1)
s, _ = scrape_checked(m, "429, after Retry-After")
c.equal("429: asks again after Retry-After", s.value("prefect_up"), 1.0)
c.check("429: logged", "Retry-After" in p.output(), p.output()[-1500:])
mark = api.mark()
api.fail["flows"] = "503date"
s, _ = scrape_checked(m, "503 with an HTTP-date")
c.equal("503 with an HTTP-date: up 0, not retried, nothing more asked",
        (s.value("prefect_up"), [r["route"] for r in api.requests(since=mark)]),
        (0.0, ["deployments", "flows"]))
del api.fail["flows"]
time.sleep(1)
mark = api.mark()
s, _ = scrape_checked(m, "503, within the date")
c.equal("503 with an HTTP-date: nothing asked before it", (s.value("prefect_up"), api.requests(since=mark)),
        (0.0, []))
wait_until(lambda: scrape_checked(m, "503, after the date")[0].value("prefect_up") == 1.0, 5, 0.5)
c.check("503 with an HTTP-date: asks again after it", api.requests("flows", mark))
c.equal("429: exit 0", p.stop(), 0)

# ---------------------------------------------------------------- shared collections
p, m = start(api.url)
api.delay["deployments"] = 1.0
mark = api.mark()
results = []


def scrape_into():
    results.append(get(m, timeout=10))


# Two at once: the server's two workers (a third would wait for one).
threads = [threading.Thread(target=scrape_into) for _ in range(2)]
for th in threads:
    th.start()
    time.sleep(0.3)
for th in threads:
    th.join(15)
c.equal("concurrent scrapes: both answered 200", [r[0] for r in results], [200] * 2)
c.equal("concurrent scrapes: one collection", len(api.requests("deployments", mark)), 1)
bodies = [re.sub(r"^(process_|promc_http_|promc_collector_).*\n", "", r[2], flags=re.M)
          for r in results]
c.check("concurrent scrapes: the same values", len(set(bodies)) == 1)
del api.delay["deployments"]
c.equal("concurrent scrapes: exit 0", p.stop(), 0)

p, m = start(api.url, ["--cache-ttl=30s"])
mark = api.mark()
scrape_checked(m, "cache")
scrape_checked(m, "cache again")
c.equal("--cache-ttl: a second scrape is served from the first collection",
        len(api.requests("deployments", mark)), 1)
c.equal("cache: exit 0", p.stop(), 0)

# A scrape while the API hangs, then SIGTERM: the exporter stops within the
# deadline.
api.fail["flows"] = "hang"
p, m = start(api.url, ["--timeout=3s"])
threading.Thread(target=lambda: get(m, timeout=10), daemon=True).start()
time.sleep(0.5)
t = time.monotonic()
c.equal("SIGTERM during a hung request: exit 0", p.stop(), 0)
c.check("SIGTERM during a hung request: exits within the deadline", time.monotonic() - t < 4,
        "%.2f s" % (time.monotonic() - t))
del api.fail["flows"]

# ---------------------------------------------------------------- valgrind
VG = ["valgrind", "--error-exitcode=99", "--leak-check=full",
      "--errors-for-leak-kinds=definite,indirect,possible",
      "--show-leak-kinds=definite,indirect,possible"]
p, m = start(api.url, ["--timeout=10s"], env={"PAGINATION_LIMIT": "3", "MAX_RETRIES": "1",
                                              "PREFECT_API_KEY": "k"}, prefix=VG, wait=60)
s, _ = scrape_checked(m, "valgrind", timeout=30)
c.equal("valgrind: up", s.value("prefect_up"), 1.0)
for route, mode in (("deployments", "500"), ("flows", "badjson"), ("status:q2", "500"),
                    ("work_pools", "huge")):
    api.fail[route] = mode
    s, _ = scrape_checked(m, "valgrind %s %s" % (route, mode), timeout=30)
    c.equal("valgrind %s %s: up 0" % (route, mode), s.value("prefect_up"), 0.0)
    del api.fail[route]
results = []
threads = [threading.Thread(target=scrape_into) for _ in range(2)]
for th in threads:
    th.start()
for th in threads:
    th.join(60)
c.equal("valgrind: concurrent scrapes", [r[0] for r in results], [200] * 2)
api.stop()  # refused from now on
s, _ = scrape_checked(m, "valgrind, refused", timeout=30)
c.equal("valgrind, refused: up 0", s.value("prefect_up"), 0.0)
rc = p.stop(timeout=60)
out = p.output()
c.check("valgrind: exit 0 after SIGTERM, no errors", rc == 0 and "ERROR SUMMARY: 0 errors" in out,
        out[-3000:])
c.done()
