"""The exporters' alerting rules and Grafana dashboards against a real
Prometheus (run by test_all_exporters.py, which starts the exporters).

For each real exporter: `promtool check rules` accepts examples/<name>/rules.yml,
and examples/<name>/dashboard.json is well formed. Then a second Prometheus
scrapes the running exporters under the job names the rules expect, with
every rules.yml loaded; the fake upstreams are made to produce the events the
panels show (Prow state transitions, 4xx/5xx and unparsed log lines, a failed
Prefect flow run). Every rule must evaluate without error, every recording
rule must produce a series, the one alert without a `for` that these events
trigger must fire, and every panel query of every dashboard (its template
variables resolved through the series API, Grafana's interval variables
substituted) must return at least one number that is not NaN. Every wait is
bounded.
"""

import json
import math
import os
import re
import subprocess
import time
import urllib.parse

from promcheck import Proc, free_port, get, wait_until

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
# Exporter -> the scrape job name its rules.yml selects (as in its README).
JOBS = {"jenkins_exporter": "jenkins", "hitl_exporter": "hitl", "prow_exporter": "prow-exporter",
        "httpd_exporter": "httpd", "prefect_exporter": "prefect"}
# What Grafana puts in place of its own variables; the windows are wider than
# this Prometheus' whole life, so they hold all of its samples.
GRAFANA_VARS = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}
DASHBOARD_SCHEMA = 42


def example(name, file):
    return os.path.normpath(os.path.join(ROOT, "examples", name, file))


def check_rule_files(c):
    for name in JOBS:
        r = subprocess.run(["promtool", "check", "rules", example(name, "rules.yml")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        c.check("promtool check rules %s/rules.yml" % name, r.returncode == 0,
                r.stdout.decode("utf-8", "replace"))


VAR_RE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def panel_targets(dashboard):
    """[(panel title, expr)] of every panel, rows' nested panels included."""
    out = []
    for p in dashboard.get("panels", []):
        for inner in [p] + p.get("panels", []):
            for t in inner.get("targets", []):
                out.append((inner.get("title"), t.get("expr")))
    return out


def check_dashboard_shape(c, name, d):
    """The structure Grafana needs, and one data source variable for everything."""
    c.equal("%s dashboard: schemaVersion" % name, d.get("schemaVersion"), DASHBOARD_SCHEMA)
    c.check("%s dashboard: uid and title" % name, d.get("uid") and d.get("title"))
    variables = {v["name"]: v for v in d.get("templating", {}).get("list", [])}
    ds = variables.get("datasource", {})
    c.check("%s dashboard: a Prometheus data source variable" % name,
            ds.get("type") == "datasource" and ds.get("query") == "prometheus")
    ids = [p.get("id") for p in d.get("panels", [])]
    c.check("%s dashboard: panel ids unique" % name, len(ids) == len(set(ids)) and None not in ids, ids)
    titles = [p.get("title") for p in d.get("panels", [])]
    c.check("%s dashboard: panel titles unique" % name, len(titles) == len(set(titles)), titles)
    for p in d.get("panels", []):
        where = "%s dashboard, panel %r" % (name, p.get("title"))
        c.check(where + ": type, title and gridPos",
                p.get("type") and p.get("title") and set(p.get("gridPos", {})) >= {"x", "y", "w", "h"})
        c.check(where + ": fits the 24-column grid",
                p["gridPos"]["x"] + p["gridPos"]["w"] <= 24, p.get("gridPos"))
        uses = [p.get("datasource")] + [t.get("datasource") for t in p.get("targets", [])]
        c.check(where + ": queries the ${datasource} variable",
                all(u == {"type": "prometheus", "uid": "${datasource}"} for u in uses), uses)
        c.check(where + ": has queries", p.get("targets") and
                all(t.get("expr") and t.get("refId") for t in p["targets"]))
    for title, expr in panel_targets(d):
        unknown = {a or b for a, b in VAR_RE.findall(expr or "")} - set(variables) - set(GRAFANA_VARS)
        c.check("%s dashboard, panel %r: variables defined" % (name, title), not unknown, unknown)
    return variables


def substitute(expr, values):
    def repl(m):
        key = m.group(1) or m.group(2)
        return values.get(key, m.group(0))
    return VAR_RE.sub(repl, expr)


class Prom:
    def __init__(self, url):
        self.url = url

    def api(self, path, **params):
        status, _, body = get(self.url + path + "?" + urllib.parse.urlencode(params, doseq=True))
        if status != 200:
            return None
        return json.loads(body).get("data")

    def query(self, q):
        return self.api("/api/v1/query", query=q)

    def label_values(self, definition):
        """Grafana's label_values(selector, label) through the series API."""
        m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", definition.strip())
        if not m:
            return []
        series = self.api("/api/v1/series", **{"match[]": m.group(1)}) or []
        return sorted({s[m.group(2)] for s in series if m.group(2) in s})


def has_number(data):
    """True when an instant query's result holds a sample that is not NaN."""
    if not data:
        return False
    if data["resultType"] == "scalar":
        return not math.isnan(float(data["result"][1]))
    return any(not math.isnan(float(r["value"][1])) for r in data["result"])


def write_json_atomically(path, obj):
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f)
    os.replace(path + ".tmp", path)


def prowjob(name, job, state, **times):
    status = {"state": state}
    status.update({k: v for k, v in times.items() if k != "creationTimestamp"})
    return {"metadata": {"name": name, "namespace": "default", "labels": {"team": "infra"},
                         "creationTimestamp": times.get("creationTimestamp", "2024-01-01T00:00:00Z")},
            "spec": {"job": job, "agent": "kubernetes", "type": "periodic"}, "status": status}


def make_events(prow_file, access_log, prefect, pause):
    """What the panels show: Prow transitions (triggered -> pending -> success
    for one job, pending -> failure for another), 404, 500 and unparsed log
    lines, and a failed Prefect flow run. Counters that appear at 1 have no
    rate, so each event happens twice, `pause` (longer than a scrape and a
    poll) apart."""
    with open(prow_file) as f:
        base = json.load(f)
    done = []
    for hour, run in enumerate(("a", "b")):
        at = "2024-01-02T%02d:%%s:00Z" % hour
        t = {"creationTimestamp": at % "00", "startTime": at % "00"}
        pending = dict(t, pendingTime=at % "01")
        e2e, integ = "e2e-" + run, "integration-" + run
        steps = [
            [prowjob(e2e, "e2e", "triggered", **t), prowjob(integ, "integration", "pending", **pending)],
            [prowjob(e2e, "e2e", "pending", **pending),
             prowjob(integ, "integration", "failure", completionTime=at % "03", **pending)],
            [prowjob(e2e, "e2e", "success", completionTime=at % "08", **pending),
             prowjob(integ, "integration", "failure", completionTime=at % "03", **pending)],
        ]
        for items in steps:
            write_json_atomically(prow_file, dict(base, items=base["items"] + done + items))
            time.sleep(pause)
        done += steps[-1]
        with open(access_log, "a") as f:
            f.write('127.0.0.1 - - [10/Oct/2024:13:55:37 +0000] "GET /missing HTTP/1.1" 404 209\n')
            f.write('::1 - - [10/Oct/2024:13:55:38 +0000] "POST /api HTTP/1.1" 500 512\n')
            f.write('127.0.0.1 - - [10/Oct/2024:13:55:39 +0000] "GET / HTTP/1.1" 200 2326\n')
            f.write("this is not an access log line\n")
    now = time.time()
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(t))  # noqa: E731
    run = {"id": "r1", "name": "crimson-otter", "flow_id": "f1", "deployment_id": "d1",
           "work_queue_name": "default", "state_type": "FAILED", "state_name": "Failed",
           "state": {"type": "FAILED", "name": "Failed"}, "start_time": iso(now - 90),
           "end_time": iso(now - 5), "total_run_time": 85.0}

    def flow_runs(h):
        """Every flow-run query answers this run, paged as the API does."""
        req = json.loads(h.rfile.read(int(h.headers.get("Content-Length") or 0)) or b"{}")
        offset = req.get("offset", 0)
        page = [run][offset:offset + req.get("limit", 200)]
        return 200, {"Content-Type": "application/json"}, json.dumps(page).encode()

    prefect.routes["/api/flow_runs/filter"] = flow_runs


def check(c, tmp, ports, prow_file, access_log, prefect, pause=2.5, basic_auth=None):
    """basic_auth: exporter name -> (username, password file) for the
    exporters that ask for Basic authentication."""
    basic_auth = basic_auth or {}
    check_rule_files(c)
    dashboards = {}
    for name in JOBS:
        with open(example(name, "dashboard.json")) as f:
            d = json.load(f)
        dashboards[name] = (d, check_dashboard_shape(c, name, d))

    prom_port = free_port()
    config = os.path.join(tmp, "prometheus-rules.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n")
        f.write("rule_files:\n")
        for name in JOBS:
            f.write("  - %s\n" % example(name, "rules.yml"))
        f.write("scrape_configs:\n")
        for name, job in JOBS.items():
            f.write("  - job_name: %s\n" % job)
            if name in basic_auth:
                f.write("    basic_auth:\n      username: %s\n      password_file: %s\n"
                        % basic_auth[name])
            f.write("    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % ports[name])
    proc = Proc(["prometheus", "--config.file=" + config,
                 "--storage.tsdb.path=" + os.path.join(tmp, "data-rules"),
                 "--web.listen-address=127.0.0.1:%d" % prom_port, "--log.level=warn"],
                name="prometheus-rules")
    prom = Prom("http://127.0.0.1:%d" % prom_port)
    c.check("rules: prometheus ready", wait_until(lambda: get(prom.url + "/-/ready")[0] == 200, 30),
            proc.output())
    n = len(JOBS)
    up = 'count(up{job=~"%s"} == 1)' % "|".join(JOBS.values())
    c.check("rules: all %d targets up" % n,
            wait_until(lambda: has_number(prom.query(up)) and
                       float(prom.query(up)["result"][0]["value"][1]) == n, 30, 0.25),
            prom.query(up))

    make_events(prow_file, access_log, prefect, pause)

    # Every rule loaded and evaluated without error.
    def rules():
        data = prom.api("/api/v1/rules") or {}
        return [r for g in data.get("groups", []) for r in g["rules"]]

    def all_evaluated():
        rs = rules()
        return rs and all(r.get("health") == "ok" for r in rs)

    c.check("rules: every rule evaluates", wait_until(all_evaluated, 30, 0.25),
            [(r["name"], r.get("health"), r.get("lastError")) for r in rules()
             if r.get("health") != "ok"])
    groups = (prom.api("/api/v1/rules") or {}).get("groups", [])
    c.equal("rules: groups loaded", len(groups), 2 * n)
    for r in rules():
        if r["type"] == "recording":
            c.check("rules: %s has data" % r["name"],
                    wait_until(lambda: has_number(prom.query(r["name"])), 30, 0.25),
                    prom.query(r["name"]))

    # The failed flow run fires the alert that has no `for`.
    def failed_run_alert():
        for a in (prom.api("/api/v1/alerts") or {}).get("alerts", []):
            if a["labels"].get("alertname") == "PrefectFlowRunsFailed" and a["state"] == "firing":
                return a
        return None

    alert = wait_until(failed_run_alert, 30, 0.25)
    c.check("rules: PrefectFlowRunsFailed fires for the failed run",
            alert and alert["labels"].get("deployment_name") == "etl-nightly"
            and alert["labels"].get("flow_name") == "etl", alert)

    # Every panel query returns a number.
    for name, (d, variables) in dashboards.items():
        values = dict(GRAFANA_VARS)
        for v in d["templating"]["list"]:
            if v["type"] != "query":
                continue
            definition = substitute(v["definition"], values)
            got = wait_until(lambda: prom.label_values(definition), 15, 0.25) or []
            c.check("%s dashboard: variable %s has values (%s)" % (name, v["name"], definition), got)
            values[v["name"]] = got[0] if got else ""
        c.equal("%s dashboard: $job is the rules' job" % name, values.get("job"), JOBS[name])
        for title, expr in panel_targets(d):
            q = substitute(expr, values)
            c.check("%s dashboard, panel %r returns data" % (name, title),
                    wait_until(lambda: has_number(prom.query(q)), 20, 0.25),
                    "(query %s = %r)" % (q, prom.query(q)))

    c.equal("rules: prometheus exits 0", proc.stop(), 0)
