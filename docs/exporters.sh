#!/bin/sh
# Writes docs/EXPORTERS.md from the example exporters' READMEs (the single
# source), one section each, headings moved one level down. `make docs`
# runs it; `make test` fails when the committed file is out of date.
set -eu
cd "$(dirname "$0")/.."
{
    cat <<'MD'
# Example exporters

Seven real exporters built on promc's public API, each a small program under `examples/<name>/` built
by `make` into `build/examples/<name>`. This page is generated from their READMEs
(`docs/exporters.sh`); edit those.

| program | what it exports | default metrics address |
|---|---|---|
| [http_counter](#http_counter--a-web-application-that-counts-its-requests) | requests its own web app answered, by status (what `make run` starts; a demo) | `:9000` |
| [jenkins_exporter](#jenkins_exporter--number-of-jenkins-jobs) | the number of Jenkins jobs | `:9118` |
| [hitl_exporter](#hitl_exporter--health-of-a-service-behind-an-http-endpoint) | an HTTP health check as an enum and a latency histogram | `:9861` |
| [prow_exporter](#prow_exporter--prow-jobs-from-the-kubernetes-api) | ProwJobs: their labels, annotations and state-transition times | `:9862` |
| [httpd_exporter](#httpd_exporter--requests-and-bytes-from-an-apachenginx-access-log) | requests and bytes from an Apache/nginx access log | `:9863` |
| [success_rate](#success_rate--a-demo-service-with-failing-requests) | a demo service failing at a chosen rate (a demo) | `:8000` |
| [prefect_exporter](#prefect_exporter--prefect-deployments-flows-runs-work-pools-and-queues) | Prefect deployments, flows, flow runs, work pools and queues, asked on every scrape | `:8000` |

What they share:

- Flags with environment-variable fallbacks (the flag wins): `<PREFIX>_<FLAG>` with the flag upper-cased
  and `.`/`-` turned into `_` (`JENKINS_INTERVAL`, `HTTPD_LOG_FILE`), except where the original
  program named its variables (`JENKINS_URL`, `JENKINS_USER`, `JENKINS_TOKEN`/`JENKINS_PASSWORD`,
  `HITL_URL`, and prefect_exporter's `PREFECT_API_URL`, `PAGINATION_LIMIT`, `METRICS_PORT`...).
  `--help` is generated from the same table and lists every variable.
- `--web.listen-address` (alias `--listen`; `host:port`, `:port` or `[v6]:port`),
  `--web.telemetry-path`, `--web.config.file` (below), `--log.level`, `--log.format` (`logfmt`,
  the default, or `json`), `--version`. Durations take seconds with fractions (`0.5`) or Go units
  (`500ms`, `15s`, `1m`).
- A version line when they start (`starting jenkins_exporter 1.0.0 (revision 1a2b3c4d5e6f, gcc
  12.2.0, promc 0.1.0)`) and the gauge `<program>_build_info{version, revision, compiler} 1`, as
  Go exporters have `…_build_info{version, revision, goversion, …}`: the revision is the git
  commit `make` built from (`unknown` outside a checkout), the compiler the C compiler.
- `/` is a landing page with the program's name, what it exports, its version and a link to the
  metrics path, as exporter-toolkit's; `/-/healthy` and `/-/ready` answer `200 OK` (without
  authentication, so health checks need no credentials).
- Exit codes: 0 on SIGINT/SIGTERM, 2 for a bad flag or configuration, 1 when the metrics address
  cannot be bound. Logs go to stderr, one `ts=… level=… msg="…"` line per event (a JSON object with
  `--log.format=json`); an upstream failure
  is logged when it starts or changes, not on every poll.
- Every upstream request is bounded in time and size, and any answer — refused, slow, 500, truncated,
  invalid JSON, huge — is a failed poll (for prefect_exporter, which asks on every scrape, a failed
  query of that scrape), never a crash. Each exporter says whether its last poll worked
  (`jenkins_up`, `prow_exporter_up`, `httpd_log_file_up`, the HITL enum, `prefect_up`) and exposes
  the standard `process_*` metrics.
- No TLS (libc has none): upstreams behind HTTPS are reached through a local TLS-terminating proxy, as
  each section explains.
- Tested end to end against fake upstreams (`tests/integration/test_<name>.py`, values read with
  client_python's parser), each once under valgrind, and all seven together behind a real Prometheus
  (`tests/integration/test_all_exporters.py`).

## Default ports

The table above is the one list of default ports. Where the original's port is part of what it
documents, it is kept: http_counter's `9000` and success_rate's `8000` come from the blog posts
that introduced them, prefect_exporter's `8000` from its README. The other real exporters each
have their own port in the range Prometheus keeps for exporters (9100–9999): jenkins_exporter
`9118`, hitl_exporter `9861`, prow_exporter `9862` and httpd_exporter `9863`. None is a port a
well-known component uses (9090–9094 are Prometheus, Pushgateway and Alertmanager, 9100
node_exporter), and no two real exporters share one, so all five run on one host with their
defaults. The demo success_rate shares `8000` with prefect_exporter: give it `--listen` to run
both on one host.
`tests/integration/test_exporter_web.py` reads the defaults from every `--help` and checks these
rules.

## Web configuration

`--web.config.file` (or `<PREFIX>_WEB_CONFIG_FILE`) reads the web configuration file of
Prometheus' exporter-toolkit, the format node_exporter and the other Go exporters take, in the
part that makes sense without TLS:

```yaml
http_server_config:
  headers:                      # added to every answer (a blank value: not sent)
    X-Frame-Options: deny       # deny or sameorigin
    X-Content-Type-Options: nosniff
    Content-Security-Policy: "default-src 'self'"
    # also X-XSS-Protection and Strict-Transport-Security
basic_auth_users:               # user: bcrypt hash; none: no authentication
  prometheus: $2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG
```

- **Hashes** are bcrypt, as `htpasswd -nbB -C 10 prometheus 'the password'` writes them after the
  colon (`$2y$`, `$2b$` and `$2a$`, costs 4 to 31). Every request to the metrics server but
  `/-/healthy` and `/-/ready` needs one of the users (the demos' own web app on `--app-listen`
  stays open, as the app it stands for would be); a missing or wrong password, or an unknown user, is a `401` with
  `WWW-Authenticate: Basic`. Passwords are checked with `crypt(3)` from libcrypt (the exporters
  link `-lcrypt`; the promc library itself stays libc-only) and compared in constant time. An
  unknown user is checked against a configured hash too, so it takes as long as a wrong password
  and the answer's time does not tell which users exist. bcrypt is slow on purpose (about 70 ms
  at cost 10): as exporter-toolkit does, a success is remembered, so the next scrape with the
  same credentials costs about a millisecond. What is remembered is a salted SHA-256-crypt hash
  of the password, never the password, and failures are never remembered, so every wrong guess
  costs a full bcrypt check. bcrypt checks run one at a time (as exporter-toolkit's), so a flood
  of wrong passwords takes one core at most; a scrape with remembered credentials does not wait
  behind them.
- **The file is read once**, at start (exporter-toolkit reads it at every request): restart the
  exporter to change it.
- **Refused, never ignored.** `tls_server_config` stops the exporter at start with exit code 2:
  promc serves plain HTTP only (libc has no TLS), so terminate TLS in front of it (nginx,
  HAProxy, stunnel, a service mesh sidecar) and let the exporter listen on `127.0.0.1`. So do
  `http_server_config.http2` (it needs TLS), `rate_limit`, any other key, a header
  exporter-toolkit does not let one set, a value that is not a bcrypt hash, and YAML the small
  reader does not understand (lists, flow style `{…}`, anchors, tags, block scalars, tabs, a
  second document): each with the file, the line and the reason. A setting misread could leave
  an exporter open.
- Basic authentication sends the password in clear text: on any network but the loopback, put
  the TLS terminator in front.

Prometheus scrapes such an exporter with `basic_auth` in its scrape configuration:

```yaml
scrape_configs:
  - job_name: jenkins
    basic_auth:
      username: prometheus
      password_file: /etc/prometheus/jenkins_exporter.password
    static_configs:
      - targets: ["localhost:9118"]
```
MD
    for name in http_counter jenkins_exporter hitl_exporter prow_exporter httpd_exporter success_rate \
        prefect_exporter; do
        printf '\n'
        # Demote headings (outside code blocks) so each README is one section.
        awk '/^```/ { code = !code } !code && /^#/ { print "#" $0; next } { print }' \
            "examples/$name/README.md"
    done
} >"${1:-docs/EXPORTERS.md}"
