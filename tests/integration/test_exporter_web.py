"""What every exporter shares on the web and in its logs, checked on all seven
programs: --web.config.file in exporter-toolkit's format with real
`htpasswd -B` hashes (right password 200, wrong 401 with WWW-Authenticate,
none 401, an unknown user as slow as a wrong password, the configured
headers on every answer, a tls_server_config section refused with exit 2),
the <name>_build_info gauge, the version line, --log.format=json, the
landing page, /-/healthy and /-/ready, and the default ports."""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from promcheck import Checks, Proc, Scrape, free_port, get, wait_until  # noqa: E402

BUILD = os.environ.get("PROMC_BUILD", "build")
c = Checks("exporter_web")
tmp = tempfile.mkdtemp(prefix="promc-web-")
for k in list(os.environ):
    if re.match(r"(JENKINS|HITL|PROW|HTTPD|HTTP_COUNTER|SUCCESS_RATE|PREFECT)_", k):
        del os.environ[k]


def binary(name):
    return os.path.join(BUILD, "examples", name)


def htpasswd(user, password, cost=5):
    """The bcrypt hash `htpasswd -nbB` writes for user (after the colon)."""
    out = subprocess.run(["htpasswd", "-nbB", "-C", str(cost), user, password],
                         capture_output=True, text=True, check=True).stdout.strip()
    name, _, hash_ = out.partition(":")
    assert name == user and hash_.startswith("$2y$"), out
    return hash_


def write(name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def basic(user, password):
    import base64
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


# Each program with what it needs to start on its own: upstreams that refuse
# at once (port 1), files that do not exist yet.
def programs(port):
    listen = "--web.listen-address=127.0.0.1:%d" % port
    return {
        "http_counter": ([listen, "--app-listen=127.0.0.1:%d" % free_port()], {}),
        "jenkins_exporter": ([listen, "--jenkins.url=http://127.0.0.1:1"], {}),
        "hitl_exporter": ([listen], {"HITL_URL": "http://127.0.0.1:1/health"}),
        "prow_exporter": ([listen, "--api-server=http://127.0.0.1:1"], {}),
        "httpd_exporter": ([listen, "--log-file=" + os.path.join(tmp, "none.log")], {}),
        "success_rate": ([listen, "--app-listen=127.0.0.1:%d" % free_port()], {}),
        "prefect_exporter": ([listen], {"PREFECT_API_URL": "http://127.0.0.1:1/api",
                                        "MAX_RETRIES": "1"}),
    }


def start(name, extra=(), env=None):
    port = free_port()
    args, penv = programs(port)[name]
    penv = dict(penv, **(env or {}))
    p = Proc([binary(name)] + args + list(extra), env=penv)
    base = "http://127.0.0.1:%d" % port
    ok = wait_until(lambda: get(base + "/-/healthy")[0] == 200 or p.p.poll() is not None, 10)
    c.check("%s: starts" % name, ok and p.p.poll() is None, p.output()[-1500:])
    return p, base


def run(name, extra, env=None):
    args, penv = programs(free_port())[name]
    full = dict(os.environ, **penv, **(env or {}))
    return subprocess.run([binary(name)] + args + list(extra), capture_output=True, text=True,
                          timeout=15, env=full)


NAMES = list(programs(0))
alice = htpasswd("alice", "wonderland")
HEADERS = {"X-Frame-Options": "deny", "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'self'"}
web_yml = write("web.yml", """# as in exporter-toolkit's docs
http_server_config:
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    Content-Security-Policy: "default-src 'self'"
basic_auth_users:
  alice: %s
""" % alice)
tls_yml = write("tls.yml", "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n")

# ---------------------------------------------------------------- every program
for name in NAMES:
    # The default port, from --help: no two real exporters share one, and
    # none is Prometheus's (9090-9094) or node_exporter's (9100).
    r = run(name, ["--help"])
    m = re.search(r"--web\.listen-address[^\n]*(?:\n[^-\n][^\n]*)*?\[default: :(\d+)\]", r.stdout)
    c.check("%s: --help shows the default port" % name, r.returncode == 0 and m, r.stdout[-1500:])
    c.check("%s: --help lists --web.config.file and --log.format" % name,
            "--web.config.file" in r.stdout and "--log.format" in r.stdout)

    p, base = start(name, ["--web.config.file=" + web_yml, "--log.format=json"])
    metrics = base + "/metrics"
    auth = {"Authorization": basic("alice", "wonderland")}
    status, _, body = get(metrics, headers=auth)
    c.equal("%s: right password: 200" % name, status, 200)
    c.equal("%s: no credentials: 401" % name, get(metrics)[0], 401)
    c.equal("%s: wrong password: 401" % name,
            get(metrics, headers={"Authorization": basic("alice", "alice")})[0], 401)
    c.equal("%s: /-/healthy without credentials" % name, get(base + "/-/healthy")[0], 200)
    c.equal("%s: /-/ready without credentials" % name, get(base + "/-/ready")[0], 200)
    status, ctype, page = get(base + "/", headers=auth)
    c.check("%s: / names the exporter, its version, links the metrics" % name,
            status == 200 and "<h1>%s</h1>" % name in page and "Version: 1.0.0" in page
            and '<a href="/metrics">' in page, page)
    # build_info, read with client_python's parser (through a scrape with
    # credentials: Scrape has no headers, so parse the body fetched above).
    from prometheus_client.parser import text_string_to_metric_families as parse
    fams = {f.name: f for f in parse(body)}
    info = fams.get("%s_build_info" % name)
    sample = info.samples[0] if info and info.samples else None
    c.check("%s: %s_build_info{version,revision,compiler} 1" % (name, name),
            info is not None and info.type == "gauge" and sample.value == 1.0
            and sample.labels.get("version") == "1.0.0"
            and re.match(r"^([0-9a-f]{7,40}|unknown)$", sample.labels.get("revision", ""))
            and re.match(r"^(gcc|clang) \d", sample.labels.get("compiler", "")),
            sample)
    c.equal("%s: SIGTERM exits 0" % name, p.stop(), 0)
    lines = [ln for ln in p.output().splitlines() if ln.strip()]
    try:
        logs = [json.loads(ln) for ln in lines]
    except ValueError:
        logs = []
    c.check("%s: --log.format=json: every line a JSON object with ts, level, msg" % name,
            logs and all(set(o) == {"ts", "level", "msg"} for o in logs), lines[:5])
    c.check("%s: a version line at start" % name,
            logs and re.match(r"starting %s 1\.0\.0 \(revision \S+, (gcc|clang) .*promc " % name,
                              logs[0]["msg"]), logs[:2])

    r = run(name, ["--web.config.file=" + tls_yml])
    c.check("%s: tls_server_config refused: exit 2, points to a TLS terminator" % name,
            r.returncode == 2 and "tls_server_config is not supported" in r.stderr
            and "Terminate TLS in front" in r.stderr, r.stderr)
    r = run(name, ["--log.format=xml"])
    c.check("%s: --log.format=xml refused: exit 2" % name, r.returncode == 2, r.stderr)

# The default ports: distinct for the real exporters, none well-known.
ports = {}
for name in NAMES:
    m = re.search(r"\[default: :(\d+)\]", run(name, ["--help"]).stdout.split("--web.listen-address")[1])
    ports[name] = int(m.group(1)) if m else None
real = ["jenkins_exporter", "hitl_exporter", "prow_exporter", "httpd_exporter", "prefect_exporter"]
c.equal("real exporters' default ports are distinct",
        len({ports[n] for n in real}), len(real))
c.check("no default port is Prometheus's, Pushgateway's, Alertmanager's or node_exporter's",
        not set(ports.values()) & {9090, 9091, 9092, 9093, 9094, 9100}, ports)
c.equal("the ports the blogs and READMEs documented are kept",
        (ports["http_counter"], ports["success_rate"], ports["prefect_exporter"]), (9000, 8000, 8000))
c.check("the others are in the exporters' range 9100-9999",
        all(9100 < ports[n] <= 9999 for n in real[:4]), ports)

# ---------------------------------------------------------------- web configuration in depth
slow = htpasswd("alice", "wonderland", cost=10)
deep = write("deep.yml", "basic_auth_users:\n  alice: %s\n  bob: %s\n"
             "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
             "    X-Content-Type-Options: nosniff\n"
             "    Content-Security-Policy: \"default-src 'self'\"\n"
             % (slow, htpasswd("bob", "builder")))
p, base = start("jenkins_exporter", ["--web.config.file=" + deep])
metrics = base + "/metrics"


def timed(headers):
    t0 = time.monotonic()
    status = get(metrics, headers=headers)[0]
    return status, time.monotonic() - t0


for who, (user, pw) in (("alice", ("alice", "wonderland")), ("bob", ("bob", "builder"))):
    c.equal("%s's right password: 200" % who, get(metrics, headers={"Authorization": basic(user, pw)})[0], 200)
# Wrong password and unknown user: each a bcrypt check at alice's cost.
wrong = [timed({"Authorization": basic("alice", "nope")}) for _ in range(3)]
unknown = [timed({"Authorization": basic("mallory", "nope")}) for _ in range(3)]
c.check("wrong password and unknown user: 401", all(s == 401 for s, _ in wrong + unknown),
        wrong + unknown)
tw, tu = min(t for _, t in wrong), min(t for _, t in unknown)
c.check("unknown user takes about as long as a wrong password (%.0f ms vs %.0f ms)"
        % (tu * 1e3, tw * 1e3), tu > 0.5 * tw and tw > 0.5 * tu, (tw, tu))
# The right password is checked with bcrypt once, then from the cache.
first = timed({"Authorization": basic("alice", "wonderland")})
again = [timed({"Authorization": basic("alice", "wonderland")}) for _ in range(3)]
c.check("a remembered success is much faster than bcrypt (%.1f ms vs %.0f ms)"
        % (min(t for _, t in again) * 1e3, tw * 1e3),
        all(s == 200 for s, _ in again) and min(t for _, t in again) < tw / 3, again)
for path, want in (("/metrics", 401), ("/metrics", 200), ("/", 200), ("/nope", 404),
                   ("/-/healthy", 200), ("/-/ready", 200)):
    headers = {} if want == 401 or path.startswith("/-/") else {"Authorization": basic("bob", "builder")}
    import urllib.request
    req = urllib.request.Request(base + path, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            status, h = r.status, r.headers
    except urllib.error.HTTPError as e:
        status, h = e.code, e.headers
    c.equal("%s (%d): status" % (path, want), status, want)
    c.check("%s (%d): the configured headers" % (path, want),
            all(h.get(k) == v for k, v in HEADERS.items()), dict(h))
    if status == 401:
        c.check("401 asks for Basic credentials", (h.get("WWW-Authenticate") or "").startswith("Basic"),
                dict(h))
c.equal("SIGTERM exits 0", p.stop(), 0)

# A bad configuration of any kind stops the exporter at start with exit 2.
for desc, text in (("unknown key", "basic_auth_user:\n  alice: x\n"),
                   ("not a bcrypt hash", "basic_auth_users:\n  alice: wonderland\n"),
                   ("a header it cannot set", "http_server_config:\n  headers:\n    Server: x\n"),
                   ("http2", "http_server_config:\n  http2: true\n"),
                   ("a list", "basic_auth_users:\n  - alice\n")):
    r = run("jenkins_exporter", ["--web.config.file=" + write("bad.yml", text)])
    c.check("%s: exit 2 with the line" % desc,
            r.returncode == 2 and "bad.yml: line " in r.stderr, r.stderr)
r = run("jenkins_exporter", ["--web.config.file=" + os.path.join(tmp, "missing.yml")])
c.check("a missing file: exit 2", r.returncode == 2 and "missing.yml" in r.stderr, r.stderr)
r = run("jenkins_exporter", [], env={"JENKINS_WEB_CONFIG_FILE": tls_yml})
c.check("from the environment too", r.returncode == 2 and "tls_server_config" in r.stderr, r.stderr)

# Under valgrind: the reader, bcrypt through crypt_r, the cache, and the
# frees at exit (a cost-4 hash keeps bcrypt quick there).
VG = ["valgrind", "--error-exitcode=99", "--leak-check=full",
      "--errors-for-leak-kinds=definite,indirect,possible", "--show-leak-kinds=definite,indirect,possible"]
vg_yml = write("vg.yml", "basic_auth_users:\n  alice: %s\nhttp_server_config:\n  headers:\n"
               "    X-Frame-Options: sameorigin\n" % htpasswd("alice", "wonderland", cost=4))
port = free_port()
p = Proc(VG + [binary("jenkins_exporter"), "--web.listen-address=127.0.0.1:%d" % port,
               "--jenkins.url=http://127.0.0.1:1", "--web.config.file=" + vg_yml])
metrics = "http://127.0.0.1:%d/metrics" % port
c.check("valgrind: starts", wait_until(lambda: get(metrics)[0] == 401, 60), p.output()[-2000:])
statuses = [get(metrics, headers={"Authorization": basic(u, pw)}, timeout=30)[0]
            for u, pw in (("alice", "wonderland"), ("alice", "wonderland"), ("alice", "nope"),
                          ("mallory", "wonderland"))]
c.equal("valgrind: right, right again (cached), wrong, unknown", statuses, [200, 200, 401, 401])
rc = p.stop(timeout=60)
out = p.output()
c.check("valgrind: exit 0 after SIGTERM, no errors", rc == 0 and "ERROR SUMMARY: 0 errors" in out,
        out[-3000:])

c.done()
