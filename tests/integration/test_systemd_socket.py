"""Socket activation of the real exporters, through Debian's systemd-socket-activate.

systemd-socket-activate listens on a port, and on the first connection execs
the exporter with the socket as fd 3, LISTEN_FDS=1 and LISTEN_PID set, as
systemd does for a .socket unit. With --web.systemd-socket each exporter
answers that first connection and the next ones on that socket (its own
--web.listen-address unused), and stops with 0 on SIGTERM. Without a socket,
with another process's, with two, or with fd 3 not a socket, it exits 1 and
says why. Run with /usr/bin/python3; PROMC_BUILD names the build directory.
"""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from promcheck import Checks, Proc, Scrape, free_port, get, wait_until  # noqa: E402

BUILD = os.environ.get("PROMC_BUILD", "build")
ACTIVATE = shutil.which("systemd-socket-activate") or "/usr/bin/systemd-socket-activate"
# Each exporter with an upstream that refuses (port 1), and a metric of its own.
EXPORTERS = {
    "jenkins_exporter": (["--jenkins.url", "http://127.0.0.1:1"], {}, "jenkins_up"),
    "hitl_exporter": ([], {"HITL_URL": "http://127.0.0.1:1/health"}, "hitl_psql_health_status"),
    "prow_exporter": (["--api-server", "http://127.0.0.1:1"], {}, "prow_exporter_up"),
    "httpd_exporter": (["--log-file", "/nonexistent/access.log"], {}, "httpd_bytes_sent_total"),
    "prefect_exporter": ([], {"PREFECT_API_URL": "http://127.0.0.1:1/api", "MAX_RETRIES": "1"},
                         "prefect_up"),
}

c = Checks("systemd socket activation")


def activated(name, extra, env, sockets=1):
    """systemd-socket-activate on `sockets` free ports, running the exporter."""
    ports = [free_port() for _ in range(sockets)]
    args = [ACTIVATE]
    for p in ports:
        args += ["-l", "127.0.0.1:%d" % p]
    # It passes on only the environment it is told to, as systemd does.
    for k, v in env.items():
        args += ["-E", "%s=%s" % (k, v)]
    # The exporter's own address is never bound: the socket comes from systemd.
    args += [os.path.join(BUILD, "examples", name), "--web.systemd-socket",
             "--web.listen-address", "127.0.0.1:%d" % free_port()] + extra
    return Proc(args, name=name), ports


for name, (extra, env, metric) in EXPORTERS.items():
    proc, (port,) = activated(name, extra, env)
    url = "http://127.0.0.1:%d/metrics" % port
    # The first connection starts the exporter, which answers it.
    first = wait_until(lambda: get(url, timeout=10)[0] or None, 10)
    c.equal("%s: first scrape through the activation socket" % name, first, 200)
    if first == 200:
        s = Scrape(url)
        c.check("%s: %s exported" % (name, metric), s.series(metric), proc.output())
        c.check("%s: process metrics exported" % name, s.series("process_cpu_seconds_total"))
        c.equal("%s: a second scrape" % name, get(url)[0], 200)
        c.check("%s: logs that it serves on systemd's socket" % name,
                "socket systemd passed" in proc.output(), proc.output())
    c.equal("%s: exit code on SIGTERM" % name, proc.stop(), 0)
    proc.remove_log()

name, (extra, env, _) = "jenkins_exporter", EXPORTERS["jenkins_exporter"]
binary = os.path.join(BUILD, "examples", name)

# No socket passed (started by hand): a clear error, exit 1.
proc = Proc([binary, "--web.systemd-socket"] + extra, name=name)
c.equal("no socket: exit code", wait_until(lambda: proc.p.poll(), 10), 1)
c.check("no socket: says so", "systemd passed 0 sockets" in proc.output(), proc.output())
proc.stop()
proc.remove_log()

# Variables meant for another process (pid 1), as a child inherits them.
proc = Proc([binary, "--web.systemd-socket"] + extra, env={"LISTEN_PID": "1", "LISTEN_FDS": "1"},
            name=name)
c.equal("another process's socket: exit code", wait_until(lambda: proc.p.poll(), 10), 1)
c.check("another process's socket: ignored", "passed 0 sockets" in proc.output(), proc.output())
proc.stop()
proc.remove_log()

# Two sockets: which one would Prometheus scrape? Refused.
proc, ports = activated(name, extra, env, sockets=2)
wait_until(lambda: get("http://127.0.0.1:%d/metrics" % ports[0], timeout=2)[0] or
           proc.p.poll() is not None, 10)
c.equal("two sockets: exit code", wait_until(lambda: proc.p.poll(), 10), 1)
c.check("two sockets: says so", "passed 2 sockets, want 1" in proc.output(), proc.output())
proc.stop()
proc.remove_log()

# fd 3 is not a socket (a shell's $$ is the pid the exec keeps).
proc = Proc(["/bin/sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" --web.systemd-socket "$@" '
             '3</dev/null', binary] + extra, name=name)
c.equal("fd 3 not a socket: exit code", wait_until(lambda: proc.p.poll(), 10), 1)
c.check("fd 3 not a socket: says so", "not a socket" in proc.output(), proc.output())
proc.stop()
proc.remove_log()

c.done()
