/*
 * A collection (collect.h): the requests of section "What is requested" of
 * the README in order, then the families built from their answers. Names
 * are looked up by id; run lists are de-duplicated by run id; samples that
 * share a label set are summed (series.c), so the exposition never repeats
 * a series.
 */
#include "collect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "rfc3339.h"

/* ===================================================================== */
/* The families                                                           */
/* ===================================================================== */

#define QUEUE_LABELS                                                                               \
    "is_paused", "work_queue_name", "priority", "type", "work_pool_name", "status", "healthy",     \
        "health_check_policy_maximum_late_runs",                                                   \
        "health_check_policy_maximum_seconds_since_last_polled"

static const struct family_def {
    const char *name, *help;
    const char *labels[PF_MAX_LABELS];
    bool run_name; /* gets flow_run_name with --flow-run-name-label */
} defs[PF_NFAMILIES] = {
    [PF_DEPLOYMENTS_TOTAL] = {.name = "prefect_deployments_total",
                              .help = "Prefect total deployments"},
    [PF_INFO_DEPLOYMENT] = {.name = "prefect_info_deployment",
                            .help = "Prefect deployment info",
                            .labels = {"flow_name", "is_schedule_active", "deployment_name", "path",
                                       "paused", "work_pool_name", "work_queue_name", "status",
                                       "tags"}},
    [PF_FLOWS_TOTAL] = {.name = "prefect_flows_total", .help = "Prefect total flows"},
    [PF_INFO_FLOWS] = {.name = "prefect_info_flows",
                       .help = "Prefect flow info",
                       .labels = {"flow_name"}},
    [PF_FLOW_RUNS_TOTAL] = {.name = "prefect_flow_runs_total", .help = "Prefect total flow runs"},
    [PF_FLOW_RUNS_TOTAL_RUN_TIME] = {.name = "prefect_flow_runs_total_run_time",
                                     .help = "Prefect flow-run total run time in seconds",
                                     .labels = {"flow_name"}},
    [PF_FLOW_RUNS_ONGOING_RUN_TIME] = {.name = "prefect_flow_runs_ongoing_run_time",
                                       .help = "Prefect flow runs ongoing run time in seconds",
                                       .labels = {"deployment_name", "flow_name", "state_name",
                                                  "flow_run_id"},
                                       .run_name = true},
    [PF_INFO_FLOW_RUNS] = {.name = "prefect_info_flow_runs",
                           .help = "Prefect flow runs info",
                           .labels = {"deployment_name", "flow_name", "state_name",
                                      "work_queue_name"},
                           .run_name = true},
    [PF_DEPLOYMENT_FAILED_FLOW_RUNS] = {.name = "prefect_deployment_failed_flow_runs",
                                        .help = "Last failed or crashed flow run ID per deployment "
                                                "within the FAILED_RUNS_OFFSET_MINUTES window",
                                        .labels = {"deployment_name", "flow_name",
                                                   "last_failed_run_id", "state_name"}},
    [PF_WORK_POOLS_TOTAL] = {.name = "prefect_work_pools_total",
                             .help = "Prefect total work pools"},
    [PF_INFO_WORK_POOLS] = {.name = "prefect_info_work_pools",
                            .help = "Prefect work pools info",
                            .labels = {"is_paused", "work_pool_name", "type", "status"}},
    [PF_WORK_QUEUES_TOTAL] = {.name = "prefect_work_queues_total",
                              .help = "Prefect total work queues"},
    [PF_INFO_WORK_QUEUES] = {.name = "prefect_info_work_queues",
                             .help = "Prefect work queues info",
                             .labels = {QUEUE_LABELS}},
    [PF_WORK_QUEUES_LATE_RUNS_COUNT] = {.name = "prefect_work_queues_late_runs_count",
                                        .help = "Prefect work queues late runs count",
                                        .labels = {QUEUE_LABELS}},
};

const char *pf_family_name(enum pf_family_id id)
{
    return defs[id].name;
}

static void init_families(pf_result *r, bool run_name)
{
    for (size_t i = 0; i < PF_NFAMILIES; i++) {
        pf_family *f = &r->families[i];
        f->name = defs[i].name;
        f->help = defs[i].help;
        while (f->nlabels < PF_MAX_LABELS && defs[i].labels[f->nlabels]) {
            f->labels[f->nlabels] = defs[i].labels[f->nlabels];
            f->nlabels++;
        }
        if (defs[i].run_name && run_name)
            f->labels[f->nlabels++] = "flow_run_name";
    }
}

void pf_result_free(pf_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < PF_NFAMILIES; i++)
        pf_family_free(&r->families[i]);
    free(r);
}

/* ===================================================================== */
/* Answers                                                                */
/* ===================================================================== */

static const char *const states[] = {"SCHEDULED", "PENDING",   "RUNNING", "PAUSED", "CANCELLING",
                                     "CANCELLED", "COMPLETED", "FAILED",  "CRASHED"};
#define NSTATES (sizeof states / sizeof *states)

/* One item of a query: its document and node. */
typedef struct item {
    const ex_json_doc *doc;
    ex_json_node node;
} item;

static item item_at(const pf_items *q, size_t i)
{
    return (item){q->docs[q->doc_of[i]], q->items[i]};
}

static ex_json_node field(item it, const char *key)
{
    return ex_json_get(it.doc, it.node, key);
}

static const char *text(item it, const char *key, char *small)
{
    return pf_text(it.doc, field(it, key), small);
}

/* A list of runs, de-duplicated by id. A run seen twice (it changed
 * state between two queries, or moved between pages) keeps its place and
 * takes the later answer, as the original's dict of runs by id does. */
typedef struct runs {
    item *v;
    size_t n;
    pf_map ids;
} runs;

static int runs_add(runs *r, const pf_items *q)
{
    item *more = realloc(r->v, (r->n + q->n + 1) * sizeof *more);
    if (!more)
        return -1;
    r->v = more;
    for (size_t i = 0; i < q->n; i++) {
        char small[PF_TEXT_SMALL];
        item it = item_at(q, i);
        size_t at = r->n;
        if (pf_map_add(&r->ids, text(it, "id", small), r->n, &at) < 0)
            return -1;
        r->v[at] = it;
        r->n += at == r->n;
    }
    return 0;
}

static void runs_free(runs *r)
{
    free(r->v);
    pf_map_free(&r->ids);
}

typedef struct answers {
    pf_items deployments, flows, recent[NSTATES], ended, ongoing, failed, pools, queues;
    ex_json_doc **status; /* per queue; NULL where it failed */
    pf_map deployment_by_id, flow_by_id;
    runs recent_runs, ended_runs, ongoing_runs, failed_runs;
    bool recent_ok, oom;
} answers;

/* ids of a query's items to their positions; the first of an id wins,
 * as the original's next(...) lookup. */
static int index_ids(pf_map *m, const pf_items *q)
{
    for (size_t i = 0; i < q->n; i++) {
        item it = item_at(q, i);
        ex_json_node id = field(it, "id");
        char small[PF_TEXT_SMALL];
        ex_json_kind k = ex_json_kind_of(it.doc, id);
        if (k != EX_JSON_MISSING && k != EX_JSON_NULL &&
            pf_map_add(m, pf_text(it.doc, id, small), i, NULL) < 0)
            return -1;
    }
    return 0;
}

/* The name of the object whose id is the item's key field: "null" without
 * an id or a match. */
static const char *name_by_id(const pf_items *q, const pf_map *by_id, item it, const char *key,
                              char *small)
{
    ex_json_node id = field(it, key);
    ex_json_kind k = ex_json_kind_of(it.doc, id);
    size_t at;
    if (k == EX_JSON_MISSING || k == EX_JSON_NULL ||
        !pf_map_get(by_id, pf_text(it.doc, id, small), &at))
        return "null";
    return text(item_at(q, at), "name", small);
}

static void free_answers(answers *a)
{
    pf_items *all[] = {&a->deployments, &a->flows, &a->ended, &a->ongoing,
                       &a->failed,      &a->pools, &a->queues};
    if (a->status)
        for (size_t i = 0; i < a->queues.n; i++)
            ex_json_free(a->status[i]);
    free(a->status);
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        pf_items_free(all[i]);
    for (size_t i = 0; i < NSTATES; i++)
        pf_items_free(&a->recent[i]);
    pf_map_free(&a->deployment_by_id);
    pf_map_free(&a->flow_by_id);
    runs_free(&a->recent_runs);
    runs_free(&a->ended_runs);
    runs_free(&a->ongoing_runs);
    runs_free(&a->failed_runs);
}

/* ===================================================================== */
/* Requests                                                               */
/* ===================================================================== */

/* now - minutes, UTC, as "YYYY-MM-DDTHH:MM:SS.ffffffZ". */
static void window_start(double now, long long minutes, char out[40])
{
    double t = now - (double)minutes * 60;
    time_t secs = (time_t)floor(t);
    long micros = (long)((t - (double)secs) * 1e6);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char head[32];
    strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%s.%06ldZ", head, micros);
}

/* Percent-encodes all but RFC 3986's unreserved characters (an id in a
 * path segment). out has room for 3 * strlen(s) + 1. */
static void path_escape(char *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p)) {
            *out++ = (char)*p;
        } else {
            *out++ = '%';
            *out++ = hex[*p >> 4];
            *out++ = hex[*p & 15];
        }
    }
    *out = '\0';
}

/* GET work_queues/{id}/status of every queue. */
static void ask_statuses(pf_session *s, answers *a)
{
    if (!(a->status = calloc(a->queues.n + 1, sizeof *a->status))) {
        a->oom = true;
        return;
    }
    for (size_t i = 0; i < a->queues.n; i++) {
        item q = item_at(&a->queues, i);
        const char *id = pf_string(q.doc, field(q, "id"));
        char what[160];
        snprintf(what, sizeof what, "status of work queue %.100s", id ? id : "(no id)");
        if (!id) {
            pf_session_fail(s, what, "the queue has no string \"id\"");
            continue;
        }
        char *path = malloc(3 * strlen(id) + 32);
        if (!path) {
            a->oom = true;
            continue;
        }
        strcpy(path, "work_queues/");
        path_escape(path + strlen(path), id);
        strcat(path, "/status");
        pf_get_json(s, PF_EP_WORK_QUEUE_STATUS, path, what, &a->status[i]);
        free(path);
    }
}

static void ask(const pf_collect_config *cfg, pf_session *s, answers *a)
{
    char t[40], t_failed[40], filter[512];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    window_start(now, cfg->offset_minutes, t);
    window_start(now, cfg->failed_offset_minutes, t_failed);

    pf_query(s, PF_EP_DEPLOYMENTS, "deployments", "", "deployments", &a->deployments);
    pf_query(s, PF_EP_FLOWS, "flows", "", "flows", &a->flows);
    a->recent_ok = true;
    for (size_t i = 0; i < NSTATES; i++) {
        char what[64];
        snprintf(what, sizeof what, "recent %s flow runs", states[i]);
        snprintf(filter, sizeof filter,
                 "\"flow_runs\":{\"operator\":\"and_\",\"start_time\":{\"after_\":\"%s\"},"
                 "\"state\":{\"type\":{\"any_\":[\"%s\"]}}}",
                 t, states[i]);
        a->recent_ok &= pf_query(s, PF_EP_FLOW_RUNS, "flow_runs", filter, what, &a->recent[i]) == 0;
    }
    snprintf(filter, sizeof filter,
             "\"flow_runs\":{\"operator\":\"and_\",\"end_time\":{\"after_\":\"%s\"}}", t);
    pf_query(s, PF_EP_FLOW_RUNS, "flow_runs", filter, "ended flow runs", &a->ended);
    pf_query(s, PF_EP_FLOW_RUNS, "flow_runs",
             "\"flow_runs\":{\"operator\":\"and_\",\"end_time\":{\"is_null_\":true},"
             "\"state\":{\"type\":{\"any_\":[\"RUNNING\",\"PENDING\",\"SCHEDULED\"]}}}",
             "ongoing flow runs", &a->ongoing);
    if (cfg->failed_offset_minutes > 0) {
        snprintf(filter, sizeof filter,
                 "\"flow_runs\":{\"operator\":\"and_\",\"state\":{\"type\":{\"any_\":[\"FAILED\","
                 "\"CRASHED\"]}},\"start_time\":{\"after_\":\"%s\"},\"deployment_id\":{\"is_null_"
                 "\":false}},\"sort\":\"START_TIME_DESC\"",
                 t_failed);
        pf_query(s, PF_EP_FLOW_RUNS, "flow_runs", filter, "failed flow runs", &a->failed);
    }
    pf_query(s, PF_EP_WORK_POOLS, "work_pools", "", "work pools", &a->pools);
    if (pf_query(s, PF_EP_WORK_QUEUES, "work_queues", "", "work queues", &a->queues) == 0)
        ask_statuses(s, a);
}

/* ===================================================================== */
/* Building the families                                                  */
/* ===================================================================== */

/* What the families are built from. */
typedef struct build {
    const pf_collect_config *cfg;
    const answers *a;
    pf_result *r;
    double now; /* Unix seconds, for the ongoing run time */
    bool oom;
} build;

static void add(build *b, enum pf_family_id id, const char *const *values, double value)
{
    if (pf_family_add(&b->r->families[id], values, value) != 0)
        b->oom = true;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* ",".join(sorted(tags)) for a list; any other value (a missing one:
 * "null") as pf_text shows it. malloc'd; NULL out of memory. */
static char *tags_text(item d)
{
    ex_json_node tags = field(d, "tags");
    char small[PF_TEXT_SMALL];
    if (ex_json_kind_of(d.doc, tags) != EX_JSON_ARRAY)
        return strdup(pf_text(d.doc, tags, small));
    size_t n = ex_json_count(d.doc, tags), len = 1, got = 0;
    char **v = calloc(n + 1, sizeof *v), *out = NULL;
    bool ok = v != NULL;
    ex_json_node t = EX_JSON_NONE;
    while (ok && (t = ex_json_array_next(d.doc, tags, t)) != EX_JSON_NONE) {
        ok = (v[got] = strdup(pf_text(d.doc, t, small))) != NULL;
        if (ok)
            len += strlen(v[got++]) + 1;
    }
    if (ok && (out = malloc(len))) {
        qsort(v, got, sizeof *v, cmp_str);
        char *p = out;
        for (size_t i = 0; i < got; i++) {
            size_t l = strlen(v[i]);
            if (i)
                *p++ = ',';
            memcpy(p, v[i], l);
            p += l;
        }
        *p = '\0';
    }
    for (size_t i = 0; i < got; i++)
        free(v[i]);
    free(v);
    return out;
}

static void build_deployments(build *b)
{
    const answers *a = b->a;
    if (!a->deployments.ok)
        return;
    add(b, PF_DEPLOYMENTS_TOTAL, NULL, (double)a->deployments.n);
    if (!a->flows.ok)
        return; /* no flow names */
    for (size_t i = 0; i < a->deployments.n; i++) {
        item d = item_at(&a->deployments, i);
        char s[8][PF_TEXT_SMALL];
        ex_json_node paused = field(d, "paused");
        char *tags = tags_text(d);
        if (!tags) {
            b->oom = true;
            continue;
        }
        /* is_schedule_active is deprecated in Prefect: as the original,
         * it is "not paused". */
        const char *v[] = {
            name_by_id(&a->flows, &a->flow_by_id, d, "flow_id", s[0]),
            ex_json_kind_of(d.doc, paused) == EX_JSON_MISSING ? "null"
            : pf_truthy(d.doc, paused)                        ? "False"
                                                              : "True",
            text(d, "name", s[1]),
            text(d, "path", s[2]),
            text(d, "paused", s[3]),
            text(d, "work_pool_name", s[4]),
            text(d, "work_queue_name", s[5]),
            text(d, "status", s[6]),
            tags,
        };
        add(b, PF_INFO_DEPLOYMENT, v, 1);
        free(tags);
    }
}

static void build_flows(build *b)
{
    const answers *a = b->a;
    if (!a->flows.ok)
        return;
    add(b, PF_FLOWS_TOTAL, NULL, (double)a->flows.n);
    for (size_t i = 0; i < a->flows.n; i++) {
        char s[PF_TEXT_SMALL];
        const char *v[] = {text(item_at(&a->flows, i), "name", s)};
        add(b, PF_INFO_FLOWS, v, 1);
    }
}

/* The labels of a run shared by several families: deployment and flow
 * names, then the given fields. */
static void run_names(const answers *a, item run, char s[2][PF_TEXT_SMALL], const char **v)
{
    v[0] = name_by_id(&a->deployments, &a->deployment_by_id, run, "deployment_id", s[0]);
    v[1] = name_by_id(&a->flows, &a->flow_by_id, run, "flow_id", s[1]);
}

static void build_ended(build *b)
{
    const answers *a = b->a;
    if (!a->ended.ok)
        return;
    add(b, PF_FLOW_RUNS_TOTAL, NULL, (double)a->ended_runs.n);
    for (size_t i = 0; a->flows.ok && i < a->ended_runs.n; i++) {
        item run = a->ended_runs.v[i];
        double seconds;
        char s[PF_TEXT_SMALL];
        /* Two runs of a flow share the label set: their times add up. */
        if (!ex_json_number(run.doc, field(run, "total_run_time"), &seconds))
            continue;
        const char *v[] = {name_by_id(&a->flows, &a->flow_by_id, run, "flow_id", s)};
        add(b, PF_FLOW_RUNS_TOTAL_RUN_TIME, v, seconds);
    }
}

static void build_ongoing(build *b)
{
    const answers *a = b->a;
    if (!a->ongoing.ok || !a->deployments.ok || !a->flows.ok)
        return;
    for (size_t i = 0; i < a->ongoing_runs.n; i++) {
        item run = a->ongoing_runs.v[i];
        size_t len = 0;
        const char *start = ex_json_string(run.doc, field(run, "start_time"), &len);
        double started;
        char names[2][PF_TEXT_SMALL], s[3][PF_TEXT_SMALL];
        if (!start || !*start)
            continue; /* not started (PENDING, SCHEDULED): no run time */
        if (ex_rfc3339_parse_utc_default(start, len, &started) != 0) {
            ex_log(EX_LOG_DEBUG, "flow run %s: start_time \"%.64s\" is not a timestamp: left out",
                   text(run, "id", s[0]), start);
            continue;
        }
        const char *v[5];
        run_names(a, run, names, v);
        v[2] = text(run, "state_name", s[0]);
        v[3] = text(run, "id", s[1]);
        v[4] = text(run, "name", s[2]);
        /* A run scheduled to start later is at 0, never negative. */
        add(b, PF_FLOW_RUNS_ONGOING_RUN_TIME, v, b->now > started ? b->now - started : 0);
    }
}

static void build_recent(build *b)
{
    const answers *a = b->a;
    if (!a->recent_ok || !a->deployments.ok || !a->flows.ok)
        return;
    for (size_t i = 0; i < a->recent_runs.n; i++) {
        item run = a->recent_runs.v[i];
        char names[2][PF_TEXT_SMALL], s[3][PF_TEXT_SMALL];
        const char *v[5];
        run_names(a, run, names, v);
        v[2] = text(run, "state_name", s[0]);
        v[3] = text(run, "work_queue_name", s[1]);
        v[4] = text(run, "name", s[2]);
        add(b, PF_INFO_FLOW_RUNS, v, 1);
    }
}

/* The first failed_limit runs (newest first, as asked) of each
 * deployment, flow and state name. */
static void build_failed(build *b)
{
    const answers *a = b->a;
    if (!a->failed.ok || !a->deployments.ok || !a->flows.ok)
        return;
    pf_map kept = {0};
    for (size_t i = 0; i < a->failed_runs.n && !b->oom; i++) {
        item run = a->failed_runs.v[i];
        char names[2][PF_TEXT_SMALL], s[5][PF_TEXT_SMALL];
        const char *key_parts[] = {text(run, "deployment_id", s[0]), text(run, "flow_id", s[1]),
                                   text(run, "state_name", s[2])};
        char *key = NULL;
        size_t *count = NULL;
        size_t len = strlen(key_parts[0]) + strlen(key_parts[1]) + strlen(key_parts[2]) + 3;
        if ((key = malloc(len))) {
            snprintf(key, len, "%s\xff%s\xff%s", key_parts[0], key_parts[1], key_parts[2]);
            if (pf_map_add(&kept, key, 0, NULL) >= 0)
                count = pf_map_value(&kept, key);
        }
        free(key);
        if (!count) {
            b->oom = true;
            break;
        }
        if ((long long)*count >= b->cfg->failed_limit)
            continue;
        ++*count;
        const char *v[4];
        run_names(a, run, names, v);
        v[2] = text(run, "id", s[3]);
        v[3] = text(run, "state_name", s[4]);
        add(b, PF_DEPLOYMENT_FAILED_FLOW_RUNS, v, 1);
    }
    pf_map_free(&kept);
}

static void build_pools(build *b)
{
    const answers *a = b->a;
    if (!a->pools.ok)
        return;
    add(b, PF_WORK_POOLS_TOTAL, NULL, (double)a->pools.n);
    for (size_t i = 0; i < a->pools.n; i++) {
        item p = item_at(&a->pools, i);
        char s[4][PF_TEXT_SMALL];
        const char *v[] = {text(p, "is_paused", s[0]), text(p, "name", s[1]), text(p, "type", s[2]),
                           text(p, "status", s[3])};
        add(b, PF_INFO_WORK_POOLS, v, pf_truthy(p.doc, field(p, "is_paused")) ? 0 : 1);
    }
}

/* A queue whose status did not come is left out of both families: its
 * labels would be wrong. */
static void build_queues(build *b)
{
    const answers *a = b->a;
    if (!a->queues.ok)
        return;
    add(b, PF_WORK_QUEUES_TOTAL, NULL, (double)a->queues.n);
    for (size_t i = 0; a->status && i < a->queues.n; i++) {
        if (!a->status[i])
            continue;
        item q = item_at(&a->queues, i);
        item st = {a->status[i], ex_json_root(a->status[i])};
        item policy = {st.doc, field(st, "health_check_policy")};
        char s[9][PF_TEXT_SMALL];
        const char *v[] = {
            text(q, "is_paused", s[0]),
            text(q, "name", s[1]),
            text(q, "priority", s[2]),
            text(q, "type", s[3]),
            text(q, "work_pool_name", s[4]),
            text(q, "status", s[5]),
            text(st, "healthy", s[6]),
            text(policy, "maximum_late_runs", s[7]),
            text(policy, "maximum_seconds_since_last_polled", s[8]),
        };
        add(b, PF_INFO_WORK_QUEUES, v, pf_truthy(q.doc, field(q, "is_paused")) ? 0 : 1);
        double late;
        if (ex_json_number(st.doc, field(st, "late_runs_count"), &late))
            add(b, PF_WORK_QUEUES_LATE_RUNS_COUNT, v, late);
    }
}

/* ===================================================================== */
/* A collection                                                           */
/* ===================================================================== */

/* Name lookups and de-duplicated run lists. -1 out of memory. */
static int prepare(answers *a)
{
    if (index_ids(&a->deployment_by_id, &a->deployments) != 0 ||
        index_ids(&a->flow_by_id, &a->flows) != 0)
        return -1;
    for (size_t i = 0; i < NSTATES; i++)
        if (runs_add(&a->recent_runs, &a->recent[i]) != 0)
            return -1;
    if (runs_add(&a->ended_runs, &a->ended) != 0 || runs_add(&a->ongoing_runs, &a->ongoing) != 0 ||
        runs_add(&a->failed_runs, &a->failed) != 0)
        return -1;
    return 0;
}

/* One line a collection when it fails (at error level when the failure
 * is new or changed, else at debug) or recovers; the first good one at
 * info. */
static void report(const pf_session *s, const answers *a, double seconds)
{
    static char last_kind[1024];
    static bool failing, reported;
    if (s->nfailures || s->nskipped) {
        char kind[1024], more[48] = "", skipped[224] = "";
        if (s->nfailures > PF_FAILURES_NAMED)
            snprintf(more, sizeof more, "; %zu more failed", s->nfailures - PF_FAILURES_NAMED);
        if (s->nskipped)
            snprintf(skipped, sizeof skipped, "%s%zu requests not made: %s",
                     s->nfailures ? "; " : "", s->nskipped, s->stop_why);
        ex_log_failure_kind(s->failures ? s->failures : s->stop_why, kind, sizeof kind);
        bool news = !failing || strcmp(kind, last_kind) != 0;
        ex_log(news ? EX_LOG_ERROR : EX_LOG_DEBUG,
               "collection incomplete after %.2f s, prefect_up 0: %s%s%s", seconds,
               s->failures ? s->failures : "", more, skipped);
        snprintf(last_kind, sizeof last_kind, "%s", kind);
        failing = true;
    } else {
        ex_log(failing || !reported ? EX_LOG_INFO : EX_LOG_DEBUG,
               "%s in %.2f s: %zu deployments, %zu flows, %zu recent flow runs, %zu work pools, "
               "%zu work queues",
               failing ? "collection complete again" : "collected", seconds, a->deployments.n,
               a->flows.n, a->recent_runs.n, a->pools.n, a->queues.n);
        failing = false;
    }
    reported = true;
}

pf_result *pf_collect(const pf_collect_config *cfg, double deadline, const char *why)
{
    pf_result *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    init_families(r, cfg->flow_run_name);
    double started = pf_monotonic();
    pf_session s;
    answers a = {0};
    pf_session_begin(&s, cfg->api, deadline, why);
    ask(cfg, &s, &a);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    build b = {cfg, &a, r, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9, a.oom || prepare(&a) != 0};
    if (!b.oom) {
        build_deployments(&b);
        build_flows(&b);
        build_ended(&b);
        build_ongoing(&b);
        build_recent(&b);
        build_failed(&b);
        build_pools(&b);
        build_queues(&b);
    }
    if (b.oom)
        pf_session_fail(&s, "building the metrics", "out of memory");
    r->up = s.nfailures == 0 && s.nskipped == 0;
    for (size_t i = 0; i < PF_EP_COUNT; i++)
        r->errors[i] = pf_api_errors(cfg->api, (enum pf_endpoint)i);
    report(&s, &a, pf_monotonic() - started);
    pf_session_end(&s);
    free_answers(&a);
    return r;
}
