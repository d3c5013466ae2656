/*
 * Fuzz target for prefect_exporter's mapping from the Prefect API's answers
 * to its families (examples/prefect_exporter/collect.c and series.c). The
 * exporter's files are included whole, its main() renamed, so the static
 * builders run as the exporter runs them, and the families are emitted
 * through a collector by the exporter's own emit_result().
 *
 * The input is the answers of one collection, separated by 0x1e bytes (a
 * byte JSON never holds raw), in the order the exporter asks: deployments,
 * flows, recent runs, ended runs, ongoing runs, failed runs, work pools,
 * work queues, then the status every queue gets. A part that is not a JSON
 * list (for the status: not JSON) is a failed query; a missing part is an
 * empty list. Each input runs with and without the flow_run_name label.
 *
 * Checks: the scrape encodes (promc refuses a repeated series and invalid
 * labels, so the exposition is valid); a failed query leaves the families
 * built from it empty; the totals count their query's items (runs once per
 * id); the info families add up to their items; failed runs are kept at
 * most --failed-runs.limit per group, each once; no ongoing run time is
 * negative. Any broken invariant aborts.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../examples/prefect_exporter/series.c"
#include "../../examples/prefect_exporter/api.c"
#include "../../examples/prefect_exporter/collect.c"
int prefect_exporter_main(int argc, char **argv);
#define main prefect_exporter_main
#include "../../examples/prefect_exporter/prefect_exporter.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

#define FAILED_LIMIT 2
#define MAX_QUEUES   64 /* statuses parsed per input, to bound the work */

enum part {
    P_DEPLOYMENTS,
    P_FLOWS,
    P_RECENT,
    P_ENDED,
    P_ONGOING,
    P_FAILED,
    P_POOLS,
    P_QUEUES,
    P_STATUS,
    NPARTS
};

__attribute__((format(printf, 1, 2), noreturn)) static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz_prefect: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* A query's answer from one part, as pf_query keeps it: ok when the part
 * is a JSON list. */
static void answer_from(pf_items *q, const char *p, size_t n)
{
    memset(q, 0, sizeof *q);
    if (n == 0) {
        q->ok = true; /* no part: an empty list */
        return;
    }
    ex_json_doc *doc = ex_json_parse(p, n, NULL, NULL);
    if (!doc)
        return;
    bool list = ex_json_kind_of(doc, ex_json_root(doc)) == EX_JSON_ARRAY;
    if (add_page(q, doc) == 0)
        q->ok = list;
}

static double sum(const pf_family *f)
{
    double total = 0;
    for (size_t i = 0; i < f->n; i++)
        total += f->series[i].value;
    return total;
}

/* A total family: one series with the query's count, or none. */
static void check_total(const pf_result *r, enum pf_family_id id, bool ok, size_t count)
{
    const pf_family *f = &r->families[id];
    if (!ok && f->n != 0)
        fail("%s: samples from a failed query", f->name);
    if (ok && (f->n != 1 || f->series[0].value != (double)count))
        fail("%s: %zu series, value %g, want %zu", f->name, f->n, f->n ? f->series[0].value : -1.0,
             count);
}

static void check_info(const pf_result *r, enum pf_family_id id, bool ok, size_t count)
{
    const pf_family *f = &r->families[id];
    if (!ok && f->n != 0)
        fail("%s: samples from a failed query", f->name);
    if (ok && sum(f) != (double)count)
        fail("%s: values add up to %g, want %zu", f->name, sum(f), count);
}

static int emit_fuzz(promc_emitter *e, void *userdata)
{
    return emit_result(e, userdata);
}

/* The families must encode without an error: every label valid, no series
 * twice. */
static void check_encodes(pf_result *r)
{
    promc_registry *reg = promc_registry_new();
    if (!reg)
        fail("out of memory");
    promc_metric *m = promc_collector_new(reg, emit_fuzz, r, NULL, NULL);
    if (!m)
        fail("collector: %s", promc_last_error());
    size_t len;
    char *text = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, &len);
    if (!text)
        fail("the families do not encode: %s", promc_last_error());
    promc_free(text);
    promc_metric_free(m);
    promc_registry_free(reg);
}

static void run(const char *const parts[NPARTS], const size_t lens[NPARTS], bool run_name)
{
    answers a = {0};
    pf_items *queries[] = {&a.deployments, &a.flows,  &a.recent[0], &a.ended,
                           &a.ongoing,     &a.failed, &a.pools,     &a.queues};
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++)
        answer_from(queries[i], parts[i], lens[i]);
    for (size_t i = 1; i < NSTATES; i++)
        a.recent[i].ok = true; /* the other states: no runs */
    a.recent_ok = a.recent[0].ok;
    size_t nstatus = a.queues.n < MAX_QUEUES ? a.queues.n : MAX_QUEUES;
    a.status = calloc(a.queues.n + 1, sizeof *a.status);
    if (!a.status)
        fail("out of memory");
    for (size_t i = 0; i < nstatus && lens[P_STATUS]; i++)
        a.status[i] = ex_json_parse(parts[P_STATUS], lens[P_STATUS], NULL, NULL);

    pf_collect_config cfg = {
        .offset_minutes = 3,
        .failed_offset_minutes = 1,
        .failed_limit = FAILED_LIMIT,
        .flow_run_name = run_name,
    };
    pf_result *r = calloc(1, sizeof *r);
    if (!r)
        fail("out of memory");
    init_families(r, run_name);
    build b = {&cfg, &a, r, 1.7e9, prepare(&a) != 0};
    if (b.oom)
        fail("out of memory preparing");
    build_deployments(&b);
    build_flows(&b);
    build_ended(&b);
    build_ongoing(&b);
    build_recent(&b);
    build_failed(&b);
    build_pools(&b);
    build_queues(&b);
    if (b.oom)
        fail("out of memory building");
    r->up = true;
    check_encodes(r);

    bool names = a.deployments.ok && a.flows.ok;
    check_total(r, PF_DEPLOYMENTS_TOTAL, a.deployments.ok, a.deployments.n);
    check_info(r, PF_INFO_DEPLOYMENT, names, a.deployments.n);
    check_total(r, PF_FLOWS_TOTAL, a.flows.ok, a.flows.n);
    check_info(r, PF_INFO_FLOWS, a.flows.ok, a.flows.n);
    check_total(r, PF_FLOW_RUNS_TOTAL, a.ended.ok, a.ended_runs.n);
    if (a.ended_runs.n > a.ended.n)
        fail("more ended runs after de-duplication than answered");
    check_info(r, PF_INFO_FLOW_RUNS, a.recent_ok && names, a.recent_runs.n);
    check_total(r, PF_WORK_POOLS_TOTAL, a.pools.ok, a.pools.n);
    check_total(r, PF_WORK_QUEUES_TOTAL, a.queues.ok, a.queues.n);

    const pf_family *failed = &r->families[PF_DEPLOYMENT_FAILED_FLOW_RUNS];
    if (failed->n > a.failed_runs.n || (!(a.failed.ok && names) && failed->n))
        fail("%zu failed runs kept of %zu", failed->n, a.failed_runs.n);
    for (size_t i = 0; i < failed->n; i++)
        if (failed->series[i].value != 1)
            fail("failed run %s kept %g times", failed->series[i].values[2],
                 failed->series[i].value);
    /* At most FAILED_LIMIT per group of deployment id, flow id and state. */
    pf_map groups = {0};
    for (size_t i = 0; i < failed->n; i++) {
        size_t at;
        if (!pf_map_get(&a.failed_runs.ids, failed->series[i].values[2], &at))
            fail("failed run %s was not answered", failed->series[i].values[2]);
        item run = a.failed_runs.v[at];
        char s[3][PF_TEXT_SMALL], key[3 * PF_TEXT_SMALL + 8];
        const char *dep = text(run, "deployment_id", s[0]), *flow = text(run, "flow_id", s[1]),
                   *state = text(run, "state_name", s[2]);
        if (strlen(dep) + strlen(flow) + strlen(state) + 3 > sizeof key)
            continue; /* a long id: its group is not checked */
        snprintf(key, sizeof key, "%s\xff%s\xff%s", dep, flow, state);
        if (pf_map_add(&groups, key, 0, NULL) < 0)
            fail("out of memory");
        size_t *count = pf_map_value(&groups, key);
        if (++*count > FAILED_LIMIT)
            fail("more than %d failed runs kept for %s/%s/%s", FAILED_LIMIT, dep, flow, state);
    }
    pf_map_free(&groups);

    const pf_family *ongoing = &r->families[PF_FLOW_RUNS_ONGOING_RUN_TIME];
    if (ongoing->n > a.ongoing_runs.n || (!(a.ongoing.ok && names) && ongoing->n))
        fail("%zu ongoing series of %zu runs", ongoing->n, a.ongoing_runs.n);
    for (size_t i = 0; i < ongoing->n; i++)
        if (!(ongoing->series[i].value >= 0) || isinf(ongoing->series[i].value))
            fail("ongoing run time %g", ongoing->series[i].value);
    const pf_family *queues = &r->families[PF_INFO_WORK_QUEUES],
                    *late = &r->families[PF_WORK_QUEUES_LATE_RUNS_COUNT];
    if (queues->n > a.queues.n || late->n > queues->n)
        fail("%zu queue series, %zu late-run series, %zu queues", queues->n, late->n, a.queues.n);

    pf_result_free(r);
    free_answers(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    if (!copy)
        abort();
    if (size)
        memcpy(copy, data, size);
    const char *parts[NPARTS];
    size_t lens[NPARTS], k = 0, start = 0;
    for (size_t i = 0; i <= size && k < NPARTS; i++) {
        if (i == size || copy[i] == '\x1e') {
            parts[k] = copy + start;
            lens[k++] = i - start;
            start = i + 1;
        }
    }
    for (; k < NPARTS; k++) {
        parts[k] = copy;
        lens[k] = 0;
    }
    run(parts, lens, false);
    run(parts, lens, true);
    free(copy);
    return 0;
}

const char *const *fuzz_seed_inputs(size_t *n)
{
    static const char *const seeds[] = {
        /* Section 7's sample, with runs of every kind. */
        "[{\"id\":\"d1\",\"name\":\"etl-nightly\",\"flow_id\":\"f1\",\"paused\":false,\"status\":"
        "\"READY\",\"tags\":[\"prod\",\"nightly\"],\"work_queue_name\":\"default\",\"work_pool_"
        "name\":\"k8s-pool\",\"path\":\".\"},{\"id\":\"d2\",\"name\":\"monthly-report\",\"flow_"
        "id\":\"f2\",\"paused\":true,\"tags\":[],\"path\":null}]\x1e"
        "[{\"id\":\"f1\",\"name\":\"etl\"},{\"id\":\"f2\",\"name\":\"report-builder\"},{\"id\":"
        "\"f3\",\"name\":\"etl\"}]\x1e"
        "[{\"id\":\"r1\",\"flow_id\":\"f1\",\"deployment_id\":\"d1\",\"state_name\":\"Running\","
        "\"work_queue_name\":\"default\",\"name\":\"a\"},{\"id\":\"r2\",\"flow_id\":\"f1\","
        "\"deployment_id\":\"d1\",\"state_name\":\"Running\",\"work_queue_name\":\"default\"}]\x1e"
        "[{\"id\":\"r3\",\"flow_id\":\"f1\",\"total_run_time\":88.146},{\"id\":\"r4\",\"flow_id\":"
        "\"f1\",\"total_run_time\":90},{\"id\":\"r3\",\"flow_id\":\"f2\",\"total_run_time\":1}]\x1e"
        "[{\"id\":\"r1\",\"flow_id\":\"f1\",\"deployment_id\":\"d1\",\"state_name\":\"Running\","
        "\"start_time\":\"2023-11-14T22:11:20.5Z\"},{\"id\":\"r5\",\"start_time\":\"2030-01-01T00:"
        "00:00\"},{\"id\":\"r6\",\"start_time\":\"yesterday\"},{\"id\":\"r7\",\"start_time\":"
        "null}]\x1e"
        "[{\"id\":\"f1\",\"deployment_id\":\"d1\",\"flow_id\":\"f1\",\"state_name\":\"Failed\"},{"
        "\"id\":\"f2\",\"deployment_id\":\"d1\",\"flow_id\":\"f1\",\"state_name\":\"Failed\"},{"
        "\"id\":\"f3\",\"deployment_id\":\"d1\",\"flow_id\":\"f1\",\"state_name\":\"Failed\"},{"
        "\"id\":\"f4\",\"deployment_id\":\"d2\",\"flow_id\":\"f2\",\"state_name\":\"Crashed\"}]\x1e"
        "[{\"id\":\"p1\",\"name\":\"k8s-pool\",\"type\":\"kubernetes\",\"is_paused\":false,"
        "\"status\":\"READY\"}]\x1e"
        "[{\"id\":\"q1\",\"name\":\"default\",\"is_paused\":false,\"priority\":1,\"work_pool_"
        "name\":"
        "\"k8s-pool\"},{\"id\":\"q2\",\"name\":\"default\",\"priority\":1.0}]\x1e"
        "{\"healthy\":true,\"late_runs_count\":0,\"health_check_policy\":{\"maximum_late_runs\":0,"
        "\"maximum_seconds_since_last_polled\":60}}",
        /* Values of every kind where labels come from. */
        "[{\"id\":1,\"name\":null,\"flow_id\":1,\"paused\":0,\"tags\":[3,\"b\",null,[],{}],"
        "\"path\":"
        "1e-05,\"status\":1e22},{\"name\":\"x\",\"tags\":\"abc\"},{\"id\":1,\"name\":\"dup\"}]\x1e"
        "[{\"id\":1,\"name\":-0.0},{\"id\":true}]\x1e[{},{\"id\":null}]\x1e[1,\"x\",[]]\x1e{}\x1e"
        "[{\"deployment_id\":1,\"flow_id\":1}]\x1e[{\"is_paused\":\"no\"}]\x1e[{\"id\":\"q/\\u00e9"
        "\"}]\x1e[]",
        /* Failed queries. */
        "{}\x1e[\x1e\x1e\x1e\x1e\x1enull\x1e[{\"id\":\"q\"}]\x1e",
    };
    *n = sizeof seeds / sizeof seeds[0];
    return seeds;
}
