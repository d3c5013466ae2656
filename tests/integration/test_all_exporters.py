"""All seven example exporters at once behind a real Prometheus server: each
runs against a fake upstream (or its own web app), Prometheus scrapes them
every second, and one value from each must come back through the query API."""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from promcheck import (Checks, FakeUpstream, Proc, free_port, get, json_route,  # noqa: E402
                       wait_until)
import rules_dashboards  # noqa: E402

BUILD = os.environ.get("PROMC_BUILD", "build")
c = Checks("all_exporters")
tmp = tempfile.mkdtemp(prefix="promc-all-")


def binary(name):
    return os.path.join(BUILD, "examples", name)


jenkins = FakeUpstream({"/api/json": json_route({"jobs": [{"url": "a"}, {"url": "b"}, {"url": "c"}]})})
hitl = FakeUpstream({"/health": lambda h: (200, {}, b"ok")})
prowjobs = {"apiVersion": "prow.k8s.io/v1", "kind": "ProwJobList", "metadata": {}, "items": [
    {"metadata": {"name": "j1", "namespace": "default", "labels": {"team": "infra"},
                  "creationTimestamp": "2024-01-01T00:00:00Z"},
     "spec": {"job": "unit-tests", "agent": "kubernetes", "type": "presubmit"},
     "status": {"state": "success", "startTime": "2024-01-01T00:00:01Z"}}]}
prow_file = os.path.join(tmp, "prowjobs.json")
with open(prow_file, "w") as f:
    json.dump(prowjobs, f)


def prefect_route(items):
    """A Prefect filter endpoint: reads the JSON body, answers its page."""
    def answer(h):
        body = json.loads(h.rfile.read(int(h.headers.get("Content-Length") or 0)) or b"{}")
        page = items[body.get("offset", 0):body.get("offset", 0) + body.get("limit", 200)]
        return 200, {"Content-Type": "application/json"}, json.dumps(page).encode()
    return answer


prefect = FakeUpstream({
    "/api/health": json_route(True),
    "/api/deployments/filter": prefect_route([
        {"id": "d1", "name": "etl-nightly", "flow_id": "f1", "paused": False, "status": "READY",
         "tags": ["prod"], "work_queue_name": "default", "work_pool_name": "k8s-pool", "path": "."}]),
    "/api/flows/filter": prefect_route([{"id": "f1", "name": "etl"}]),
    "/api/flow_runs/filter": prefect_route([]),
    "/api/work_pools/filter": prefect_route([
        {"id": "p1", "name": "k8s-pool", "type": "kubernetes", "is_paused": False, "status": "READY"}]),
    "/api/work_queues/filter": prefect_route([
        {"id": "q1", "name": "default", "is_paused": False, "priority": 1,
         "work_pool_name": "k8s-pool", "status": "READY"}]),
    "/api/work_queues/q1/status": json_route(
        {"healthy": True, "late_runs_count": 2,
         "health_check_policy": {"maximum_late_runs": 0, "maximum_seconds_since_last_polled": 60}}),
})
access_log = os.path.join(tmp, "access.log")
with open(access_log, "w") as f:
    for _ in range(3):
        f.write('127.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET / HTTP/1.1" 200 2326\n')

hashed = subprocess.run(["htpasswd", "-nbB", "prometheus", "scrape-s3cret"], capture_output=True,
                        text=True, check=True).stdout.strip().partition(":")[2]
web_config = os.path.join(tmp, "web.yml")
with open(web_config, "w") as f:
    f.write("basic_auth_users:\n  prometheus: %s\n" % hashed)
password_file = os.path.join(tmp, "password")
with open(password_file, "w") as f:
    f.write("scrape-s3cret")

ports = {name: free_port() for name in
         ("http_counter", "jenkins_exporter", "hitl_exporter", "prow_exporter", "httpd_exporter",
          "success_rate", "prefect_exporter")}
apps = {"http_counter": free_port(), "success_rate": free_port()}
procs = [
    Proc([binary("http_counter"), "--listen=127.0.0.1:%d" % ports["http_counter"],
          "--app-listen=127.0.0.1:%d" % apps["http_counter"]]),
    # Behind Basic authentication from a web configuration file, with a
    # real htpasswd hash: Prometheus scrapes it with basic_auth.
    Proc([binary("jenkins_exporter"), "--listen=127.0.0.1:%d" % ports["jenkins_exporter"],
          "--jenkins.url=" + jenkins.url, "--interval=0.5s", "--web.config.file=" + web_config]),
    Proc([binary("hitl_exporter"), "--listen=127.0.0.1:%d" % ports["hitl_exporter"],
          "--interval=0.5s"], env={"HITL_URL": hitl.url + "/health"}),
    Proc([binary("prow_exporter"), "--listen=127.0.0.1:%d" % ports["prow_exporter"],
          "--from-file=" + prow_file, "--interval=0.5s"]),
    Proc([binary("httpd_exporter"), "--listen=127.0.0.1:%d" % ports["httpd_exporter"],
          "--log-file=" + access_log, "--from-start"]),
    Proc([binary("success_rate"), "--listen=127.0.0.1:%d" % ports["success_rate"],
          "--app-listen=127.0.0.1:%d" % apps["success_rate"], "--seed=1", "100"]),
    # Collects on every scrape: within Prometheus' scrape_timeout of 1 s.
    Proc([binary("prefect_exporter"), "--listen=127.0.0.1:%d" % ports["prefect_exporter"],
          "--timeout=0.8s"], env={"PREFECT_API_URL": prefect.url + "/api"}),
]
for name, port in ports.items():
    want = 401 if name == "jenkins_exporter" else 200
    c.check("%s serves metrics" % name,
            wait_until(lambda: get("http://127.0.0.1:%d/metrics" % port)[0] == want, 15))
get("http://127.0.0.1:%d/" % apps["http_counter"])
get("http://127.0.0.1:%d/" % apps["success_rate"])

prom_port = free_port()
targets = ",".join("'127.0.0.1:%d'" % p for n, p in ports.items() if n != "jenkins_exporter")
config = os.path.join(tmp, "prometheus.yml")
with open(config, "w") as f:
    f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
            "  - job_name: examples\n    static_configs:\n      - targets: [%s]\n"
            "  - job_name: examples_auth\n    basic_auth:\n      username: prometheus\n"
            "      password_file: %s\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n"
            % (targets, password_file, ports["jenkins_exporter"]))
prom = Proc(["prometheus", "--config.file=" + config, "--storage.tsdb.path=" + os.path.join(tmp, "data"),
             "--web.listen-address=127.0.0.1:%d" % prom_port, "--log.level=warn"])
prom_url = "http://127.0.0.1:%d" % prom_port
c.check("prometheus ready", wait_until(lambda: get(prom_url + "/-/ready")[0] == 200, 30), prom.output())


def query(q):
    status, _, body = get(prom_url + "/api/v1/query?" + urllib.parse.urlencode({"query": q}))
    if status != 200:
        return None
    result = json.loads(body)["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def expect(desc, q, want):
    got = wait_until(lambda: query(q) == want and want, 30, 0.25)
    c.check(desc, got, "(query %s = %r, want %r)" % (q, query(q), want))


expect("every target up, jenkins_exporter behind basic auth too",
       'count(up{job=~"examples|examples_auth"} == 1)',
       7.0)
expect("every exporter's build_info", 'count({__name__=~".+_build_info",version="1.0.0"} == 1)', 7.0)
expect("http_counter", 'sum(http_requests_total{status_code="200"})', 1.0)
expect("jenkins_exporter", "jenkins_jobs_count", 3.0)
expect("hitl_exporter", 'hitl_psql_health_status{hitl_psql_health_status="healthy"}', 1.0)
expect("prow_exporter", 'prow_job_labels{job_name="unit-tests",label_team="infra"}', 1.0)
expect("httpd_exporter", 'httpd_requests_total{status_code="200"}', 3.0)
expect("success_rate", 'requests_total{http_code="200"}', 1.0)
expect("prefect_exporter", 'prefect_work_queues_late_runs_count{work_queue_name="default",healthy="True"}',
       2.0)
expect("prefect_exporter: up", 'prefect_up', 1.0)

# The exporters' rules.yml and dashboard.json behind a second Prometheus
# (tests/integration/rules_dashboards.py); it changes the fixtures, so it
# comes after the checks above.
rules_dashboards.check(c, tmp, ports, prow_file=prow_file, access_log=access_log, prefect=prefect,
                       basic_auth={"jenkins_exporter": ("prometheus", password_file)})

c.equal("prometheus exits 0", prom.stop(), 0)
for p in procs:
    c.equal("%s exits 0 on SIGTERM" % p.name, p.stop(), 0)
jenkins.stop()
hitl.stop()
prefect.stop()
c.done()
