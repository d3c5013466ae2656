/*
 * The comparison and counting checks of promc_testutil.h: both sides are
 * parsed by text_parse.c into families and samples, then compared as sets
 * -- families by name, samples by name and label set -- so that neither
 * order matters, as client_golang's testutil compares normalized families.
 * Every difference is listed, one a line, in name order, so that a failing
 * test shows all of them at once.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "text_parse.h"

#include "promc_testutil.h"

/* ===================================================================== */
/* One side of a comparison: its families and samples in name order       */
/* ===================================================================== */

struct side {
    struct promc__text t;
    const char *what;
    size_t *families; /* indices kept by the names filter, by name */
    size_t nfamilies;
    struct sample_key *samples; /* of the kept families, by family name then key */
    size_t nsamples;
};

struct sample_key {
    const char *family;
    const char *key; /* name{labels} */
    const struct promc__tp_sample *s;
};

static bool listed(const char *const *names, const char *name)
{
    if (!names)
        return true;
    for (; *names; names++)
        if (strcmp(*names, name) == 0)
            return true;
    return false;
}

static _Thread_local const struct promc__text *sort_text;

static int family_cmp(const void *a, const void *b)
{
    return strcmp(sort_text->families[*(const size_t *)a].name,
                  sort_text->families[*(const size_t *)b].name);
}

static int key_cmp(const void *a, const void *b)
{
    const struct sample_key *x = a, *y = b;
    int c = strcmp(x->family, y->family);
    return c ? c : strcmp(x->key, y->key);
}

static int oom(void)
{
    return promc__fail(PROMC_ENOMEM, "out of memory comparing expositions");
}

/* Keeps the listed families, sorts both levels, and refuses a series that
 * appears twice (the comparison would be ambiguous). */
static int prepare(struct side *d, const char *const *names)
{
    struct promc__text *t = &d->t;
    d->families = promc__malloc((t->nfamilies + 1) * sizeof *d->families);
    d->samples = promc__malloc((t->nsamples + 1) * sizeof *d->samples);
    if (!d->families || !d->samples)
        return oom();
    /* A family without samples is left out, as client_golang's Gather and
     * text parser leave it out: an unused labelled metric need not be in
     * the expected text. */
    for (size_t i = 0; i < t->nfamilies; i++)
        if (t->families[i].nsamples && listed(names, t->families[i].name))
            d->families[d->nfamilies++] = i;
    for (size_t i = 0; i < t->nsamples; i++) {
        const struct promc__tp_sample *s = &t->samples[i];
        if (!listed(names, t->families[s->family].name))
            continue;
        const char *key = promc__tp_render(t, s, false);
        if (!key)
            return PROMC_ENOMEM;
        d->samples[d->nsamples++] = (struct sample_key){t->families[s->family].name, key, s};
    }
    sort_text = t;
    qsort(d->families, d->nfamilies, sizeof *d->families, family_cmp);
    qsort(d->samples, d->nsamples, sizeof *d->samples, key_cmp);
    for (size_t i = 1; i < d->nsamples; i++)
        if (key_cmp(&d->samples[i - 1], &d->samples[i]) == 0) {
            size_t a = d->samples[i - 1].s->line, b = d->samples[i].s->line;
            return promc__fail(PROMC_EINVAL, "%s line %zu repeats the series %s of line %zu",
                               d->what, a > b ? a : b, d->samples[i].key, a < b ? a : b);
        }
    return PROMC_OK;
}

static void side_free(struct side *d)
{
    promc__text_free(&d->t);
    promc__free(d->families);
    promc__free(d->samples);
}

/* ===================================================================== */
/* The differences                                                        */
/* ===================================================================== */

static void put(struct promc__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct promc__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *at = n >= 0 ? promc__buf_extend(b, (size_t)n) : NULL;
    if (!at)
        return;
    char keep = at[n]; /* the NUL promc__buf_extend wrote */
    va_start(ap, fmt);
    vsnprintf(at, (size_t)n + 1, fmt, ap);
    va_end(ap);
    at[n] = keep;
}

/* A HELP text (or its absence) for a message, quoted and escaped. */
static void put_help(struct promc__buf *b, const char *help)
{
    if (!help) {
        promc__buf_str(b, "none");
        return;
    }
    char *at = promc__buf_extend(b, promc__escaped_len(help, true) + 2);
    if (!at)
        return;
    *at++ = '"';
    at += promc__escape(at, help, true);
    *at = '"';
}

static const char *type_name(promc_type type)
{
    switch (type) {
    case PROMC_COUNTER:
        return "counter";
    case PROMC_GAUGE:
        return "gauge";
    case PROMC_HISTOGRAM:
        return "histogram";
    case PROMC_SUMMARY:
        return "summary";
    default:
        return "untyped";
    }
}

static bool same_value(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return a == b && signbit(a) == signbit(b);
}

static void put_value(struct promc__buf *b, double v)
{
    char num[PROMC__NUMBUF];
    promc__format_double(num, v);
    if (v == 0 && signbit(v))
        strcpy(num, "-0");
    promc__buf_str(b, num);
}

static void put_sample(struct promc__buf *b, const struct sample_key *k)
{
    promc__buf_str(b, k->key);
    promc__buf_str(b, " ");
    put_value(b, k->s->value);
    if (k->s->has_ts)
        put(b, " %lld", (long long)k->s->ts);
}

static void compare_family(struct promc__buf *b, const struct promc__tp_family *x,
                           const struct promc__tp_family *y)
{
    if (!(x->help && y->help ? strcmp(x->help, y->help) == 0 : x->help == y->help)) {
        put(b, "%s: HELP ", x->name);
        put_help(b, x->help);
        promc__buf_str(b, " expected, ");
        put_help(b, y->help);
        promc__buf_str(b, " got\n");
    }
    if (x->type != y->type)
        put(b, "%s: TYPE %s expected, %s got\n", x->name, type_name(x->type), type_name(y->type));
}

static void compare_sample(struct promc__buf *b, const struct sample_key *x,
                           const struct sample_key *y)
{
    if (!same_value(x->s->value, y->s->value)) {
        put(b, "%s: value ", x->key);
        put_value(b, x->s->value);
        promc__buf_str(b, " expected, ");
        put_value(b, y->s->value);
        promc__buf_str(b, " got\n");
    }
    if (x->s->has_ts != y->s->has_ts || (x->s->has_ts && x->s->ts != y->s->ts)) {
        put(b, "%s: timestamp ", x->key);
        x->s->has_ts ? put(b, "%lld", (long long)x->s->ts) : promc__buf_str(b, "none");
        promc__buf_str(b, " expected, ");
        y->s->has_ts ? put(b, "%lld", (long long)y->s->ts) : promc__buf_str(b, "none");
        promc__buf_str(b, " got\n");
    }
}

/* Does the side keep a family of this name? (A family missing on one side
 * is reported once, without each of its series.) */
static bool has_family(const struct side *d, const char *name)
{
    size_t lo = 0, hi = d->nfamilies;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(d->t.families[d->families[mid]].name, name);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Walks both sides in name order, writing each difference into b. */
static void differences(struct promc__buf *b, const struct side *e, const struct side *g)
{
    size_t i = 0, j = 0;
    while (i < e->nfamilies || j < g->nfamilies) {
        const struct promc__tp_family *x = i < e->nfamilies ? &e->t.families[e->families[i]] : NULL;
        const struct promc__tp_family *y = j < g->nfamilies ? &g->t.families[g->families[j]] : NULL;
        int c = !x ? 1 : !y ? -1 : strcmp(x->name, y->name);
        if (c < 0)
            put(b, "missing metric family %s (expected line %zu)\n", x->name, x->line);
        else if (c > 0)
            put(b, "unexpected metric family %s\n", y->name);
        else
            compare_family(b, x, y);
        i += c <= 0;
        j += c >= 0;
    }
    i = j = 0;
    while (i < e->nsamples || j < g->nsamples) {
        const struct sample_key *x = i < e->nsamples ? &e->samples[i] : NULL;
        const struct sample_key *y = j < g->nsamples ? &g->samples[j] : NULL;
        int c = !x ? 1 : !y ? -1 : key_cmp(x, y);
        if (c < 0 && !has_family(g, x->family)) {
            /* reported with its family */
        } else if (c > 0 && !has_family(e, y->family)) {
            /* reported with its family */
        } else if (c < 0) {
            promc__buf_str(b, "missing series ");
            put_sample(b, x);
            put(b, " (expected line %zu)\n", x->s->line);
        } else if (c > 0) {
            promc__buf_str(b, "unexpected series ");
            put_sample(b, y);
            promc__buf_str(b, "\n");
        } else {
            compare_sample(b, x, y);
        }
        i += c <= 0;
        j += c >= 0;
    }
}

/* Compares two parsed sides; *diff as promc_registry_compare says. */
static int compare(struct side *e, struct side *g, const char *const *names, char **diff)
{
    int rc = prepare(e, names);
    if (rc == PROMC_OK)
        rc = prepare(g, names);
    if (rc != PROMC_OK)
        return rc;
    struct promc__buf b = {0};
    differences(&b, e, g);
    if (b.oom) {
        promc__free(b.p);
        return oom();
    }
    promc__ok();
    if (b.len == 0) {
        promc__free(b.p);
        return PROMC_OK;
    }
    if (diff)
        *diff = b.p;
    else
        promc__free(b.p);
    return PROMC_DIFFERENT;
}

int promc_registry_compare(promc_registry *reg, const char *expected, const char *const *names,
                           char **diff)
{
    if (diff)
        *diff = NULL;
    if (!expected)
        return promc__fail(PROMC_EINVAL, "promc_registry_compare: expected is NULL");
    struct side e = {.what = "expected text"}, g = {.what = "exposition"};
    int rc = promc__text_parse(&e.t, expected, strlen(expected), e.what);
    if (rc == PROMC_OK)
        rc = promc__text_scrape(reg, names, &g.t, "promc_registry_compare");
    if (rc == PROMC_OK)
        rc = compare(&e, &g, names, diff);
    side_free(&e);
    side_free(&g);
    return rc;
}

int promc_text_compare(const char *expected, const char *got, const char *const *names, char **diff)
{
    if (diff)
        *diff = NULL;
    if (!expected || !got)
        return promc__fail(PROMC_EINVAL, "promc_text_compare: %s is NULL",
                           expected ? "got" : "expected");
    struct side e = {.what = "expected text"}, g = {.what = "got text"};
    int rc = promc__text_parse(&e.t, expected, strlen(expected), e.what);
    if (rc == PROMC_OK)
        rc = promc__text_parse(&g.t, got, strlen(got), g.what);
    if (rc == PROMC_OK)
        rc = compare(&e, &g, names, diff);
    side_free(&e);
    side_free(&g);
    return rc;
}

/* ===================================================================== */
/* Count                                                                  */
/* ===================================================================== */

int promc_registry_count(promc_registry *reg, const char *name, size_t *count)
{
    if (!count)
        return promc__fail(PROMC_EINVAL, "promc_registry_count: count is NULL");
    const char *only[2] = {name, NULL};
    struct promc__text t = {0};
    size_t *first = NULL, n = 0;
    int rc = promc__text_scrape(reg, name ? only : NULL, &t, "promc_registry_count");
    if (rc == PROMC_OK)
        rc = promc__text_series(&t, &first, &n);
    promc__free(first);
    promc__text_free(&t);
    if (rc != PROMC_OK)
        return rc;
    *count = n;
    return promc__ok();
}
