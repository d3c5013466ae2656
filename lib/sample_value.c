/*
 * promc_registry_get_sample_value: a sink that writes nothing and looks for
 * one sample instead -- by its exposed name and exact label set, as the text
 * format would expose it (le and quantile values spelled as in text 0.0.4) --
 * walked over the registry like any scrape.
 */
#include <math.h>
#include <string.h>

#include "family.h"
#include "gather.h"
#include "internal.h"
#include "registry.h"
#include "types.h"

struct match_sink {
    struct promc__sink base;
    const char *name;
    const promc_label *labels;
    size_t n;
    const char *suffix; /* name past the current family's name, or NULL */
    bool found;
    double value;
};

static struct match_sink *ms(struct promc__sink *s)
{
    return (struct match_sink *)s;
}

static void family(struct promc__sink *s, const struct promc__desc *d)
{
    struct match_sink *q = ms(s);
    size_t blen = strlen(d->name);
    q->suffix = strncmp(q->name, d->name, blen) == 0 ? q->name + blen : NULL;
}

static const char *wanted(const struct match_sink *q, const char *name)
{
    for (size_t k = 0; k < q->n; k++)
        if (strcmp(q->labels[k].name, name) == 0)
            return q->labels[k].value;
    return NULL;
}

/* Do the series' labels plus the optional extra one equal the query's? */
static bool labels_match(const struct match_sink *q, const struct promc__labels *ls,
                         const char *xname, const char *xvalue)
{
    if (q->n != ls->n + (xname ? 1 : 0))
        return false;
    const char *p = ls->rendered;
    for (size_t i = 0; i < ls->n; i++) {
        const char *want = wanted(q, ls->names[i]);
        if (!want)
            return false;
        if (ls->values) {
            if (strcmp(want, ls->values[i]) != 0)
                return false;
            continue;
        }
        /* A child's values exist only escaped in its rendering. */
        p += strlen(ls->names[i]) + 2 + (i > 0); /* [,]name=" */
        if (!promc__escaped_equal(&p, want))
            return false;
    }
    if (xname) {
        const char *want = wanted(q, xname);
        return want && strcmp(want, xvalue) == 0;
    }
    return true;
}

static void hit(struct match_sink *q, double v)
{
    q->found = true;
    q->value = v;
}

static void match_number_label(struct match_sink *q, const struct promc__labels *ls,
                               const char *xname, double bound, double v)
{
    char text[PROMC__NUMBUF];
    promc__format_double(text, bound);
    if (labels_match(q, ls, xname, text))
        hit(q, v);
}

static void series(struct promc__sink *s, const struct promc__series *x)
{
    struct match_sink *q = ms(s);
    if (q->found || !q->suffix)
        return;
    const char *sfx = q->suffix;
    promc_type type = s->desc->type;
    bool sum = strcmp(sfx, "_sum") == 0, count = strcmp(sfx, "_count") == 0;
    uint64_t n = 0;
    double total = 0;
    switch (type) {
    case PROMC_HISTOGRAM: {
        const struct promc__histogram_data *h = x->hist;
        if (strcmp(sfx, "_bucket") == 0)
            for (size_t i = 0; i <= h->nbounds && !q->found; i++)
                match_number_label(q, x->labels, "le", i < h->nbounds ? h->bounds[i] : INFINITY,
                                   (double)(i < h->nbounds ? h->cumulative[i] : h->count));
        n = h->count;
        total = h->sum;
        break;
    }
    case PROMC_SUMMARY: {
        const struct promc__summary_data *m = x->summary;
        if (*sfx == '\0')
            for (size_t i = 0; i < m->nquantiles && !q->found; i++)
                match_number_label(q, x->labels, "quantile", m->quantiles[i], m->qvalues[i]);
        n = m->count;
        total = m->sum;
        break;
    }
    case PROMC_STATESET:
        if (*sfx == '\0')
            for (size_t i = 0; i < x->stateset->nstates && !q->found; i++)
                if (labels_match(q, x->labels, s->desc->name, x->stateset->states[i]))
                    hit(q, i == x->stateset->current);
        return;
    default:
        if (strcmp(sfx, promc__type(type)->value) == 0 && labels_match(q, x->labels, NULL, NULL))
            hit(q, promc__value_double(x->value));
        return;
    }
    if ((sum || count) && !q->found && labels_match(q, x->labels, NULL, NULL))
        hit(q, sum ? total : (double)n);
}

static int finish(struct promc__sink *s)
{
    return s->error;
}

static const struct promc__sink_ops match_ops = {family, series, finish};

int promc_registry_get_sample_value(promc_registry *reg, const char *name,
                                    const promc_label *labels, size_t nlabels, double *value)
{
    if (!name || (nlabels && !labels) || !value)
        return promc__fail(PROMC_EINVAL, "get_sample_value needs a name and a value pointer");
    for (size_t i = 0; i < nlabels; i++)
        if (!labels[i].name || !labels[i].value)
            return promc__fail(PROMC_EINVAL, "get_sample_value: label %zu is NULL", i);
    if (promc__registry_arg(reg, "promc_registry_get_sample_value", &reg) != PROMC_OK)
        return promc_last_error_code();
    struct match_sink q = {
        .base = {.ops = &match_ops}, .name = name, .labels = labels, .n = nlabels};
    int rc = promc__gather(reg, &q.base, NULL);
    if (rc != PROMC_OK)
        return rc;
    if (!q.found)
        return promc__fail(PROMC_ENOENT, "no sample \"%s\" with these labels", name);
    *value = q.value;
    return PROMC_OK;
}
