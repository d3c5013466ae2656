/*
 * The metric linter of promc_testutil.h: the rules of `promtool check
 * metrics` (client_golang's prometheus/testutil/promlint, as promtool 2.42
 * ships it), run over an exposition parsed by text_parse.c, which groups
 * samples into families and series as the parser promtool uses does. The
 * wording of each finding is promtool's, and so are its order (by metric,
 * then text) and its repetitions (a label rule fires once a series), so
 * that tests/integration/lint_vs_promtool.sh can compare the two line for
 * line. One deliberate difference: for a name with several unit words
 * ("foo_bytes_milliseconds"), promtool reports whichever its map iteration
 * meets first, which varies from run to run; here it is the first word.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "text_parse.h"

#include "promc_testutil.h"

struct finding {
    const char *metric;
    const char *text;
    size_t order; /* for a stable sort */
};

struct findings {
    struct finding *v;
    size_t n, cap;
    bool oom;
    struct promc__text *t; /* its arena holds formatted texts */
};

static void add(struct findings *f, const char *metric, const char *text)
{
    if (f->oom)
        return;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        void *p = promc__realloc(f->v, cap * sizeof *f->v);
        if (!p) {
            f->oom = true;
            return;
        }
        f->v = p;
        f->cap = cap;
    }
    f->v[f->n] = (struct finding){metric, text, f->n};
    f->n++;
}

/* ===================================================================== */
/* The rules, in promlint's order                                         */
/* ===================================================================== */

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Does the lower-cased name contain "_<word>_" or end with "_<word>"? */
static bool has_word(const char *lower, const char *word)
{
    size_t k = strlen(word);
    for (const char *p = strchr(lower, '_'); p; p = strchr(p + 1, '_'))
        if (strncmp(p + 1, word, k) == 0 && (p[1 + k] == '_' || p[1 + k] == '\0'))
            return true;
    return false;
}

static bool camel_case(const char *s)
{
    for (; s[0] && s[1]; s++)
        if (s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'A' && s[1] <= 'Z')
            return true;
    return false;
}

/* Units and the base unit each should be, and the prefixes recognized
 * before them (promlint's tables). */
static const char *const units[][2] = {
    {"amperes", "amperes"},    {"bytes", "bytes"},     {"celsius", "celsius"},
    {"grams", "grams"},        {"joules", "joules"},   {"kelvin", "kelvin"},
    {"meters", "meters"},      {"metres", "metres"},   {"seconds", "seconds"},
    {"volts", "volts"},        {"minutes", "seconds"}, {"hours", "seconds"},
    {"days", "seconds"},       {"weeks", "seconds"},   {"kelvins", "kelvin"},
    {"fahrenheit", "celsius"}, {"rankine", "celsius"}, {"inches", "meters"},
    {"yards", "meters"},       {"miles", "meters"},    {"bits", "bytes"},
    {"calories", "joules"},    {"pounds", "grams"},    {"ounces", "grams"},
};
static const char *const prefixes[] = {"pico",  "nano", "micro", "milli", "centi", "deci", "deca",
                                       "hecto", "kilo", "kibi",  "mega",  "mibi",  "giga", "gibi",
                                       "tera",  "tebi", "peta",  "pebi",  ""};
static const char *const abbreviations[] = {"s",  "ms", "us", "ns", "sec", "b", "kb",
                                            "mb", "gb", "tb", "pb", "m",   "h", "d"};

/* The first word of the name (split at '_', case kept) that is a known
 * unit with a known prefix, and its base unit. */
static bool metric_unit(const char *name, char *unit, size_t unit_size, const char **base)
{
    for (const char *w = name;; w++) {
        size_t len = strcspn(w, "_");
        for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
            for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
                size_t pl = strlen(prefixes[p]), ul = strlen(units[u][0]);
                if (pl + ul == len && len < unit_size && strncmp(w, prefixes[p], pl) == 0 &&
                    strncmp(w + pl, units[u][0], ul) == 0) {
                    memcpy(unit, w, len);
                    unit[len] = '\0';
                    *base = units[u][1];
                    return true;
                }
            }
        w += len;
        if (!*w)
            return false;
    }
}

static void lint_family(struct findings *f, const struct promc__tp_family *mf)
{
    const char *n = mf->name;
    promc_type t = mf->type;
    if (!mf->help)
        add(f, n, "no help text");

    char unit[64];
    const char *base;
    if (metric_unit(n, unit, sizeof unit, &base) && strcmp(unit, base) != 0) {
        size_t len = strlen(unit) + strlen(base) + 40;
        char *text = promc__tp_alloc(f->t, len);
        if (!text) {
            f->oom = true;
            return;
        }
        snprintf(text, len, "use base unit \"%s\" instead of \"%s\"", base, unit);
        add(f, n, text);
    }

    bool total = has_suffix(n, "_total");
    if (t == PROMC_COUNTER && !total)
        add(f, n, "counter metrics should have \"_total\" suffix");
    else if (t != PROMC_UNTYPED && t != PROMC_COUNTER && total)
        add(f, n, "non-counter metrics should not have \"_total\" suffix");

    if (t != PROMC_UNTYPED) {
        if (t != PROMC_HISTOGRAM && has_suffix(n, "_bucket"))
            add(f, n, "non-histogram metrics should not have \"_bucket\" suffix");
        if (t != PROMC_HISTOGRAM && t != PROMC_SUMMARY && has_suffix(n, "_count"))
            add(f, n, "non-histogram and non-summary metrics should not have \"_count\" suffix");
        if (t != PROMC_HISTOGRAM && t != PROMC_SUMMARY && has_suffix(n, "_sum"))
            add(f, n, "non-histogram and non-summary metrics should not have \"_sum\" suffix");
    }

    size_t len = strlen(n);
    char *lower = promc__malloc(len + 1);
    if (!lower) {
        f->oom = true;
        return;
    }
    for (size_t i = 0; i <= len; i++)
        lower[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] - 'A' + 'a' : n[i]);
    static const char *const types[][2] = {
        {"counter", "metric name should not include type 'counter'"},
        {"gauge", "metric name should not include type 'gauge'"},
        {"histogram", "metric name should not include type 'histogram'"},
        {"summary", "metric name should not include type 'summary'"},
        {"gauge_histogram", "metric name should not include type 'gauge_histogram'"},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (has_word(lower, types[i][0]))
            add(f, n, types[i][1]);
    if (strchr(n, ':'))
        add(f, n, "metric names should not contain ':'");
    if (camel_case(n))
        add(f, n, "metric names should be written in 'snake_case' not 'camelCase'");
    for (size_t i = 0; i < sizeof abbreviations / sizeof abbreviations[0]; i++)
        if (has_word(lower, abbreviations[i]))
            add(f, n, "metric names should not contain abbreviated units");
    promc__free(lower);
}

/* The label rules, once for each label of each series. */
static void lint_series(struct findings *f, const struct promc__text *t,
                        const struct promc__tp_sample *s)
{
    const struct promc__tp_family *mf = &t->families[s->family];
    const char *skip = NULL;
    if (promc__tp_is_bucket(t, s))
        skip = mf->type == PROMC_HISTOGRAM ? "le" : "quantile";
    for (size_t i = 0; i < s->nlabels; i++) {
        const char *ln = s->labels[i].name;
        if (skip && strcmp(ln, skip) == 0)
            continue;
        if (mf->type != PROMC_UNTYPED) {
            if (mf->type != PROMC_HISTOGRAM && strcmp(ln, "le") == 0)
                add(f, mf->name, "non-histogram metrics should not have \"le\" label");
            if (mf->type != PROMC_SUMMARY && strcmp(ln, "quantile") == 0)
                add(f, mf->name, "non-summary metrics should not have \"quantile\" label");
        }
        if (camel_case(ln))
            add(f, mf->name, "label names should be written in 'snake_case' not 'camelCase'");
    }
}

/* ===================================================================== */
/* Sorting and packing                                                    */
/* ===================================================================== */

static int finding_cmp(const void *a, const void *b)
{
    const struct finding *x = a, *y = b;
    int c = strcmp(x->metric, y->metric);
    if (!c)
        c = strcmp(x->text, y->text);
    if (!c)
        c = x->order < y->order ? -1 : 1;
    return c;
}

static void findings_free(struct findings *f)
{
    promc__free(f->v);
}

/* The findings as one block: the array, its terminator, then the strings. */
static promc_lint_problem *pack(const struct findings *f)
{
    size_t size = (f->n + 1) * sizeof(promc_lint_problem);
    for (size_t i = 0; i < f->n; i++)
        size += strlen(f->v[i].metric) + strlen(f->v[i].text) + 2;
    promc_lint_problem *out = promc__malloc(size);
    if (!out)
        return NULL;
    char *p = (char *)(out + f->n + 1);
    for (size_t i = 0; i < f->n; i++) {
        out[i].metric = p;
        p += strlen(strcpy(p, f->v[i].metric)) + 1;
        out[i].text = p;
        p += strlen(strcpy(p, f->v[i].text)) + 1;
    }
    out[f->n] = (promc_lint_problem){NULL, NULL};
    return out;
}

static int lint(struct promc__text *t, promc_lint_problem **problems, size_t *nproblems)
{
    struct findings f = {.t = t};
    size_t *first = NULL, nseries = 0;
    int rc = promc__text_series(t, &first, &nseries);
    if (rc != PROMC_OK)
        return rc;
    /* A family without samples is no family to expfmt's parser (it drops
     * them), so promtool never sees it. */
    for (size_t i = 0; i < t->nfamilies; i++)
        if (t->families[i].nsamples)
            lint_family(&f, &t->families[i]);
    for (size_t i = 0; i < nseries; i++)
        lint_series(&f, t, &t->samples[first[i]]);
    promc__free(first);
    if (f.oom) {
        findings_free(&f);
        return promc__fail(PROMC_ENOMEM, "out of memory linting an exposition");
    }
    if (f.n) {
        qsort(f.v, f.n, sizeof *f.v, finding_cmp);
        *problems = pack(&f);
        if (!*problems) {
            findings_free(&f);
            return promc__fail(PROMC_ENOMEM, "out of memory linting an exposition");
        }
        *nproblems = f.n;
    }
    findings_free(&f);
    return promc__ok();
}

int promc_registry_lint(promc_registry *reg, promc_lint_problem **problems, size_t *nproblems)
{
    if (problems)
        *problems = NULL;
    if (nproblems)
        *nproblems = 0;
    if (!problems || !nproblems)
        return promc__fail(PROMC_EINVAL, "promc_registry_lint: %s is NULL",
                           problems ? "nproblems" : "problems");
    struct promc__text t = {0};
    int rc = promc__text_scrape(reg, NULL, &t, "promc_registry_lint");
    if (rc == PROMC_OK)
        rc = lint(&t, problems, nproblems);
    promc__text_free(&t);
    return rc;
}

int promc_text_lint(const char *text, promc_lint_problem **problems, size_t *nproblems)
{
    if (problems)
        *problems = NULL;
    if (nproblems)
        *nproblems = 0;
    if (!problems || !nproblems || !text)
        return promc__fail(PROMC_EINVAL, "promc_text_lint: %s is NULL",
                           !text      ? "text"
                           : problems ? "nproblems"
                                      : "problems");
    struct promc__text t = {0};
    int rc = promc__text_parse(&t, text, strlen(text), "text");
    if (rc == PROMC_OK)
        rc = lint(&t, problems, nproblems);
    promc__text_free(&t);
    return rc;
}
