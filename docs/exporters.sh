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
| [http_counter](#http_counter--a-web-application-that-counts-its-requests) | requests its own web app answered, by status (what `make run` starts) | `:9000` |
| [jenkins_exporter](#jenkins_exporter--number-of-jenkins-jobs) | the number of Jenkins jobs | `:9000` |
| [hitl_exporter](#hitl_exporter--health-of-a-service-behind-an-http-endpoint) | an HTTP health check as an enum and a latency histogram | `:9000` |
| [prow_exporter](#prow_exporter--prow-jobs-from-the-kubernetes-api) | ProwJobs: their labels, annotations and state-transition times | `:9090` |
| [httpd_exporter](#httpd_exporter--requests-and-bytes-from-an-apachenginx-access-log) | requests and bytes from an Apache/nginx access log | `:8000` |
| [success_rate](#success_rate--a-demo-service-with-failing-requests) | a demo service failing at a chosen rate | `:8000` |
| [prefect_exporter](#prefect_exporter--prefect-deployments-flows-runs-work-pools-and-queues) | Prefect deployments, flows, flow runs, work pools and queues, asked on every scrape | `:8000` |

What they share:

- Flags with environment-variable fallbacks (the flag wins): `<PREFIX>_<FLAG>` with the flag upper-cased
  and `.`/`-` turned into `_` (`JENKINS_INTERVAL`, `HTTPD_LOG_FILE`), except where the original
  program named its variables (`JENKINS_URL`, `JENKINS_USER`, `JENKINS_TOKEN`/`JENKINS_PASSWORD`,
  `HITL_URL`, and prefect_exporter's `PREFECT_API_URL`, `PAGINATION_LIMIT`, `METRICS_PORT`...).
  `--help` is generated from the same table and lists every variable.
- `--web.listen-address` (alias `--listen`; `host:port`, `:port` or `[v6]:port`),
  `--web.telemetry-path`, `--log.level`, `--version`. Durations take seconds with fractions (`0.5`)
  or Go units (`500ms`, `15s`, `1m`).
- Exit codes: 0 on SIGINT/SIGTERM, 2 for a bad flag or configuration, 1 when the metrics address
  cannot be bound. Logs go to stderr, one `ts=… level=… msg="…"` line per event; an upstream failure
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
MD
    for name in http_counter jenkins_exporter hitl_exporter prow_exporter httpd_exporter success_rate \
        prefect_exporter; do
        printf '\n'
        # Demote headings (outside code blocks) so each README is one section.
        awk '/^```/ { code = !code } !code && /^#/ { print "#" $0; next } { print }' \
            "examples/$name/README.md"
    done
} >"${1:-docs/EXPORTERS.md}"
