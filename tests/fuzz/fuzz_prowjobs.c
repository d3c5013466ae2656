/*
 * Fuzz target for prow_exporter's JSON mapper (examples/prow_exporter/
 * prowjobs.c, included). The input is up to four ProwJobList pages separated
 * by form feeds (never valid between JSON tokens): the first page is the
 * previous poll, the others are appended to the current one, as paging does.
 * The current list gets job and byte bounds for some input lengths, which
 * it must never pass. Every job must come out with non-NULL strings and
 * labels that promc accepts (checked by emitting them through a collector
 * as the exporter does); the ranking must pick exactly the latest job of
 * each name; the transitions must pair jobs of one key in two states with a
 * duration >= 0. Any broken invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../examples/prow_exporter/prowjobs.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

#define MAX_PAGES 4

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_prowjobs: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

/* ------------------------------------------------------------------ */
/* Jobs                                                                */
/* ------------------------------------------------------------------ */

static void check_labels(const promc_label *labels, size_t n, const char *prefix)
{
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < n; i++) {
        const char *name = labels[i].name, *value = labels[i].value;
        if (!name || !value || strncmp(name, prefix, pl) != 0)
            fail("label name", name);
        for (const char *c = name; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '_'))
                fail("character outside [a-zA-Z0-9_] in a label name", name);
        if (!prow_valid_utf8(value, strlen(value)))
            fail("label value not UTF-8", name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(labels[j].name, name) == 0)
                fail("duplicate label name", name);
    }
}

static void check_list(const prow_list *l)
{
    for (size_t i = 0; i < l->njobs; i++) {
        const prow_job *j = &l->jobs[i];
        const char *s[] = {j->key,   j->job, j->ns,   j->agent,   j->type,
                           j->state, j->org, j->repo, j->base_ref};
        for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
            if (!s[k])
                fail("NULL string in a job", NULL);
        size_t nl = strlen(j->ns);
        if (strncmp(j->key, j->ns, nl) != 0 || j->key[nl] != '/')
            fail("key is not namespace/name", j->key);
        check_labels(j->labels, j->nlabels, "label_");
        check_labels(j->annotations, j->nannotations, "annotation_");
    }
}

/* Is job a ranked above job b of the same name (prowjobs.h's order)? */
static bool ranks_above(const prow_list *l, size_t a, size_t b)
{
    const prow_job *x = &l->jobs[a], *y = &l->jobs[b];
    if (x->has_start != y->has_start)
        return x->has_start;
    if (x->has_start && x->start != y->start)
        return x->start > y->start;
    return a < b;
}

static void check_latest(const prow_list *l, size_t *chosen, long n)
{
    if (n < 0)
        fail("prow_list_latest out of memory", NULL);
    size_t names = 0;
    for (size_t i = 0; i < l->njobs; i++) {
        size_t k = 0;
        while (k < i && strcmp(l->jobs[k].job, l->jobs[i].job) != 0)
            k++;
        names += k == i;
    }
    if ((size_t)n != names)
        fail("prow_list_latest: not one job per name", NULL);
    for (long c = 0; c < n; c++) {
        size_t a = chosen[c];
        if (a >= l->njobs)
            fail("prow_list_latest: index out of range", NULL);
        for (size_t b = 0; b < l->njobs; b++)
            if (b != a && strcmp(l->jobs[a].job, l->jobs[b].job) == 0 && ranks_above(l, b, a))
                fail("prow_list_latest: a later job of the same name exists", l->jobs[a].job);
    }
}

/* ------------------------------------------------------------------ */
/* Transitions                                                         */
/* ------------------------------------------------------------------ */

struct lists {
    const prow_list *old_list, *new_list;
    size_t count;
};

static bool in_list(const prow_list *l, const prow_job *j)
{
    return l->njobs && j >= l->jobs && j < l->jobs + l->njobs;
}

static void on_transition(void *ctx, const prow_job *old_job, const prow_job *new_job,
                          double seconds)
{
    struct lists *t = ctx;
    t->count++;
    if (!in_list(t->old_list, old_job) || !in_list(t->new_list, new_job))
        fail("transition: job of the wrong list", NULL);
    if (strcmp(old_job->key, new_job->key) != 0 || strcmp(old_job->state, new_job->state) == 0)
        fail("transition: different keys or the same state", new_job->key);
    if (!(seconds >= 0))
        fail("transition: negative or NaN duration", new_job->key);
    /* The exporter labels a histogram with these. */
    const char *v[] = {new_job->ns,    new_job->job, new_job->type, old_job->state,
                       new_job->state, new_job->org, new_job->repo, new_job->base_ref};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (!prow_valid_utf8(v[i], strlen(v[i])))
            fail("transition: label value not UTF-8", new_job->key);
}

/* ------------------------------------------------------------------ */
/* Emitting as the exporter does                                       */
/* ------------------------------------------------------------------ */

struct emit_ctx {
    const prow_list *l;
    const size_t *chosen;
    size_t n;
};

static int collect(promc_emitter *e, void *userdata)
{
    const struct emit_ctx *c = userdata;
    for (int annotations = 0; annotations < 2; annotations++) {
        if (promc_emit_family(e, annotations ? "prow_job_annotations" : "prow_job_labels", "",
                              PROMC_GAUGE, NULL) != PROMC_OK)
            fail("emit_family", promc_last_error());
        for (size_t i = 0; i < c->n; i++) {
            const prow_job *j = &c->l->jobs[c->chosen[i]];
            size_t nextra = annotations ? j->nannotations : j->nlabels;
            promc_label *ls = malloc((nextra + 3) * sizeof *ls);
            if (!ls)
                abort();
            ls[0] = (promc_label){"job_name", j->job};
            ls[1] = (promc_label){"job_namespace", j->ns};
            ls[2] = (promc_label){"job_agent", j->agent};
            if (nextra)
                memcpy(ls + 3, annotations ? j->annotations : j->labels, nextra * sizeof *ls);
            if (promc_emit_sample(e, ls, nextra + 3, 1) != PROMC_OK)
                fail("promc refused a job's labels", promc_last_error());
            free(ls);
        }
    }
    return 0;
}

static int discard(void *ctx, const char *data, size_t len)
{
    (void)ctx, (void)data, (void)len;
    return 0;
}

static void emit(const prow_list *l, const size_t *chosen, size_t n)
{
    promc_registry *reg = promc_registry_new();
    struct emit_ctx c = {l, chosen, n};
    promc_metric *m = reg ? promc_collector_new(reg, collect, &c, NULL, NULL) : NULL;
    if (!m)
        abort();
    int rc = promc_encode(reg, PROMC_FORMAT_TEXT, discard, NULL);
    if (rc != PROMC_OK)
        fail("scrape of the jobs failed", promc_last_error());
    promc_metric_free(m);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ */
/* The target                                                          */
/* ------------------------------------------------------------------ */

/* Parses one page from an exact-size copy; 0 or -1 as prow_list_add_page. */
static int add_page(prow_list *l, const uint8_t *p, size_t len)
{
    char *copy = malloc(len ? len : 1), why[256] = "", *cont = NULL;
    if (!copy)
        abort();
    if (len)
        memcpy(copy, p, len);
    size_t before = l->njobs;
    int rc = prow_list_add_page(l, copy, len, &cont, why, sizeof why);
    free(copy);
    if (rc != 0 && (!why[0] || cont))
        fail("failure without a reason, or with a continue token", NULL);
    if (rc == 0 && (l->njobs < before || (cont && !*cont)))
        fail("success: jobs lost or an empty continue token", NULL);
    free(cont);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *page[MAX_PAGES];
    size_t len[MAX_PAGES], npages = 0;
    for (const uint8_t *p = data, *end = data + size; npages < MAX_PAGES;) {
        const uint8_t *ff = npages < MAX_PAGES - 1 ? memchr(p, '\f', (size_t)(end - p)) : NULL;
        page[npages] = p;
        len[npages++] = (size_t)((ff ? ff : end) - p);
        if (!ff)
            break;
        p = ff + 1;
    }
    prow_list *old_list = prow_list_new(), *new_list = prow_list_new();
    if (!old_list || !new_list)
        abort();
    /* The current poll's bounds, from the input's length so that the
     * bytes stay plain JSON: 2 jobs, and (just over) one arena block, which
     * a job's strings may cross anywhere (bug 3 of docs/FUZZING.md: the
     * namespace's block refused). */
    new_list->max_jobs = size % 3 == 1 ? 2 : 0;
    new_list->max_bytes = size % 5 == 1 ? 70000 : 0;
    int ok_old = add_page(old_list, page[0], len[0]);
    int ok_new = npages > 1 ? 0 : -1;
    for (size_t i = 1; i < npages && ok_new == 0; i++)
        ok_new = add_page(new_list, page[i], len[i]);
    if ((ok_new == PROW_PAGE_MAX_JOBS && !new_list->max_jobs) ||
        (ok_new == PROW_PAGE_MAX_BYTES && (!new_list->max_bytes || !new_list->over_bytes)))
        fail("a bound reported that was not set", NULL);
    if ((new_list->max_jobs && new_list->njobs > new_list->max_jobs) ||
        (new_list->max_bytes && new_list->bytes > new_list->max_bytes))
        fail("the list grew past its bounds", NULL);

    const prow_list *lists[] = {ok_old == 0 ? old_list : NULL, ok_new == 0 ? new_list : NULL};
    for (size_t k = 0; k < 2; k++) {
        const prow_list *l = lists[k];
        if (!l)
            continue;
        check_list(l);
        size_t *chosen = malloc((l->njobs + 1) * sizeof *chosen);
        if (!chosen)
            abort();
        long n = prow_list_latest(l, chosen);
        check_latest(l, chosen, n);
        emit(l, chosen, (size_t)n);
        free(chosen);
    }
    if (lists[0] && lists[1]) {
        struct lists t = {old_list, new_list, 0};
        if (prow_list_transitions(old_list, new_list, on_transition, &t) != 0)
            fail("prow_list_transitions out of memory", NULL);
    }
    /* The reference counting: one more reference, two drops. */
    prow_list_unref(prow_list_ref(old_list));
    prow_list_unref(old_list);
    prow_list_unref(new_list);
    return 0;
}

const char *const *fuzz_seed_inputs(size_t *n)
{
    static const char *const seeds[] = {
        "{\"items\":[{\"metadata\":{\"name\":\"a1\",\"namespace\":\"ci\",\"labels\":{"
        "\"prow.k8s.io/job\":\"e2e\",\"app.kubernetes.io/x\":\"1\",\"caf\xc3\xa9\":\"\\u00e9\","
        "\"caf_\":\"2\"},\"annotations\":{\"a\":\"b\",\"n\":1},\"creationTimestamp\":"
        "\"2024-01-02T03:04:05Z\"},\"spec\":{\"job\":\"e2e\",\"agent\":\"kubernetes\","
        "\"type\":\"periodic\",\"refs\":{\"org\":\"k\",\"repo\":\"t\",\"base_ref\":\"main\"}},"
        "\"status\":{\"state\":\"triggered\",\"startTime\":\"2024-01-02T03:04:05.5Z\"}}],"
        "\"metadata\":{\"continue\":\"eyJ2Ijo\"}}"
        "\f"
        "{\"items\":[{\"metadata\":{\"name\":\"a1\",\"namespace\":\"ci\",\"creationTimestamp\":"
        "\"2024-01-02T03:04:05Z\"},\"spec\":{\"job\":\"e2e\",\"extra_refs\":[{\"org\":\"o\"}]},"
        "\"status\":{\"state\":\"success\",\"startTime\":\"2024-01-02T03:04:06+01:00\","
        "\"pendingTime\":\"2024-01-02T03:04:07Z\",\"completionTime\":\"2024-01-02T03:10:00Z\"}}]}",
        "{\"items\":null}\f{\"items\":[1,{},{\"spec\":{\"job\":\"x\"},\"status\":{\"startTime\":"
        "\"1999-12-31T23:59:60Z\"}},{\"spec\":{\"job\":\"x\"},\"status\":{\"startTime\":"
        "\"2000-01-01T00:00:00.000000001-00:00\"}}]}\f{\"items\":[]}",
        "{\"items\":[{\"metadata\":{\"name\":\"p\",\"labels\":{\"a-b\":\"1\",\"a.b\":\"2\","
        "\"a_b\":\"3\",\"created-by-prow\":\"true\"}},\"status\":{\"state\":\"pending\","
        "\"pendingTime\":\"2024-02-29T00:00:00Z\"}}]}\f{\"items\":[{\"metadata\":{\"name\":"
        "\"p\"},\"status\":{\"state\":\"failure\",\"completionTime\":\"2024-02-29T00:00:01Z\"}}]}",
        "[\"not a list\"]",
    };
    *n = sizeof seeds / sizeof seeds[0];
    return seeds;
}
