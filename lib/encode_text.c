/*
 * The text sinks: the only code that knows how text 0.0.4 and OpenMetrics
 * 1.0.0 spell a family header and a sample line. The two formats share the
 * line grammar and differ in a handful of places (TYPE words and family names
 * from the type table, number spelling, _created, the rules for _sum/_count
 * and negative quantiles, # EOF), so one sink serves both. Lines go into a
 * fixed buffer that is flushed to the writer when full: a scrape streams in
 * constant memory.
 */
#include <math.h>
#include <string.h>

#include "encode_text.h"
#include "internal.h"
#include "types.h"

static struct promc__text_sink *ts(struct promc__sink *s)
{
    return (struct promc__text_sink *)s;
}

/* ===================================================================== */
/* Bytes                                                                  */
/* ===================================================================== */

static void flush(struct promc__text_sink *t)
{
    if (t->len && !t->base.error && t->write(t->ctx, t->buf, t->len) != 0)
        t->base.error = PROMC_EIO;
    t->len = 0;
}

static void put(struct promc__text_sink *t, const char *s, size_t n)
{
    if (t->base.error)
        return;
    if (n > t->cap - t->len) {
        flush(t);
        if (n > t->cap) {
            if (!t->base.error && t->write(t->ctx, s, n) != 0)
                t->base.error = PROMC_EIO;
            return;
        }
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
}

static void put_str(struct promc__text_sink *t, const char *s)
{
    put(t, s, strlen(s));
}

/* Writes s escaped, in runs between the characters that need escaping. */
static void put_escaped(struct promc__text_sink *t, const char *s, bool quote)
{
    const char *run = s;
    for (; *s; s++) {
        const char *esc = *s == '\\'           ? "\\\\"
                          : *s == '\n'         ? "\\n"
                          : quote && *s == '"' ? "\\\""
                                               : 0;
        if (esc) {
            put(t, run, (size_t)(s - run));
            put(t, esc, 2);
            run = s + 1;
        }
    }
    put(t, run, (size_t)(s - run));
}

/* "name" + suffix in the quoted syntax: \\, \" and \n escaped, as in a
 * label value. */
static void put_quoted(struct promc__text_sink *t, const char *name, const char *suffix)
{
    put(t, "\"", 1);
    put_escaped(t, name, true);
    put_str(t, suffix);
    put(t, "\"", 1);
}

/* ===================================================================== */
/* Names                                                                  */
/* ===================================================================== */

/* Decides how this scrape names the family (docs/FORMATS.md, "UTF-8 names
 * and escaping"). Legacy names are used as they are, without a copy: the
 * common case costs one scan of the name. Otherwise the escaping works on
 * the text family name -- the name plus "_total" or "_info" -- as
 * prometheus/common escapes a MetricFamily's name, and the samples are named
 * from the result less that suffix (dots turns counter "a.b" into
 * a_dot_b__total, family a_dot_b_ in OpenMetrics, as client_golang writes
 * it); with allow-utf-8 the names stay as they are, quoted. */
static void set_names(struct promc__text_sink *t, const struct promc__desc *d)
{
    const char *suffix = promc__type(d->type)->text_name;
    size_t blen = strlen(d->name), slen = strlen(suffix);
    bool legacy = promc__legacy_name(d->name, blen, false);
    bool label_legacy = d->type != PROMC_STATESET || promc__legacy_name(d->name, blen, true);
    t->name = t->state_label = d->name;
    t->name_len = t->state_label_len = blen;
    t->quoted = t->state_label_quoted = t->slow = false;
    if (legacy && label_legacy)
        return;
    promc_escaping e = t->base.escaping;
    if (e == PROMC_ESCAPING_ALLOW_UTF8) {
        t->quoted = !legacy;
        t->state_label_quoted = !label_legacy;
        t->slow = true;
        return;
    }
    struct promc__buf *n = &t->names, *text_name = &t->scratch;
    promc__buf_reset(n);
    size_t name_end = 0;
    if (!legacy) {
        promc__buf_reset(text_name);
        promc__buf_put(text_name, d->name, blen);
        promc__buf_put(text_name, suffix, slen);
        if (!text_name->oom)
            promc__buf_exposed_name(n, text_name->p, text_name->len, e, false);
        name_end = n->len;
        promc__buf_put(n, "", 1); /* the state label starts after a NUL */
    }
    if (!label_legacy)
        promc__buf_exposed_name(n, d->name, blen, e, true);
    if (n->oom || text_name->oom) {
        t->base.error = PROMC_ENOMEM;
        return;
    }
    if (!legacy) {
        t->name = n->p;
        t->name_len = name_end;
        if (name_end > slen && memcmp(n->p + name_end - slen, suffix, slen) == 0)
            t->name_len -= slen;
    }
    if (!label_legacy) {
        t->state_label = n->p + (legacy ? 0 : name_end + 1);
        t->state_label_len = strlen(t->state_label);
    }
}

/* A label name as this scrape shows it. */
static void put_label_name(struct promc__text_sink *t, const char *name, size_t len)
{
    if (promc__legacy_name(name, len, true)) {
        put(t, name, len);
    } else if (t->base.escaping == PROMC_ESCAPING_ALLOW_UTF8) {
        put_quoted(t, name, "");
    } else {
        promc__buf_reset(&t->scratch);
        promc__buf_exposed_name(&t->scratch, name, len, t->base.escaping, true);
        if (t->scratch.oom)
            t->base.error = PROMC_ENOMEM;
        else
            put(t, t->scratch.p, t->scratch.len);
    }
}

/* A series' label body with the names rewritten: each value is read from the
 * rendering after its name (whose length is known, so a name may hold '='
 * or '"'), already escaped. */
static void put_labels(struct promc__text_sink *t, const struct promc__labels *ls)
{
    if (!ls->utf8_names) {
        put(t, ls->rendered, ls->rendered_len);
        return;
    }
    const char *p = ls->rendered;
    for (size_t i = 0; i < ls->n; i++) {
        size_t nl = strlen(ls->names[i]);
        p += nl + 2 + (i > 0); /* [,]name=" */
        const char *v = p;
        while (*p != '"')
            p += *p == '\\' ? 2 : 1;
        if (i)
            put(t, ",", 1);
        put_label_name(t, ls->names[i], nl);
        put(t, "=\"", 2);
        put(t, v, (size_t)(p - v));
        put(t, "\"", 1);
        p++;
    }
}

/* ===================================================================== */
/* Family header                                                          */
/* ===================================================================== */

/* The name HELP/TYPE speak of: in text 0.0.4 a counter family is named like
 * its samples (x_total) and an info is a gauge named x_info; OpenMetrics
 * names the family by its base name. */
static void put_family_name(struct promc__text_sink *t, const struct promc__desc *d)
{
    const char *suffix = t->format == PROMC_FORMAT_TEXT ? promc__type(d->type)->text_name : "";
    if (t->quoted) {
        put_quoted(t, t->name, suffix);
        return;
    }
    put(t, t->name, t->name_len);
    put_str(t, suffix);
}

static void put_meta(struct promc__text_sink *t, const char *kind, const struct promc__desc *d)
{
    put(t, kind, 7); /* "# HELP ", "# TYPE ", "# UNIT " */
    put_family_name(t, d);
    put(t, " ", 1);
}

static void family(struct promc__sink *s, const struct promc__desc *d)
{
    struct promc__text_sink *t = ts(s);
    set_names(t, d);
    const struct promc__type_info *ti = promc__type(d->type);
    bool om = t->format == PROMC_FORMAT_OPENMETRICS;
    /* OpenMetrics recommends TYPE, UNIT, HELP; text keeps the customary
     * HELP, TYPE (client_golang and client_python order). An empty help is
     * written as "# HELP name " in both, as client_golang does. */
    if (!om) {
        put_meta(t, "# HELP ", d);
        put_escaped(t, d->help, false);
        put(t, "\n", 1);
    }
    put_meta(t, "# TYPE ", d);
    put_str(t, om ? ti->om_word : ti->text_word);
    put(t, "\n", 1);
    if (om) {
        if (d->unit) {
            put_meta(t, "# UNIT ", d);
            put_str(t, d->unit);
            put(t, "\n", 1);
        }
        put_meta(t, "# HELP ", d);
        put_escaped(t, d->help, true);
        put(t, "\n", 1);
    }
}

/* ===================================================================== */
/* Sample lines                                                           */
/* ===================================================================== */

/* An exemplar after a sample, OpenMetrics only: ` # {a="x",b="y"} value`
 * and ` timestamp` (seconds) when it has one. Numbers are canonical, as in
 * client_golang; no labels is `{}` as the ABNF says (client_golang 1.14
 * writes nothing between the spaces, which parsers refuse). */
static void put_exemplar(struct promc__text_sink *t, const struct promc__exemplar *x)
{
    char num[PROMC__NUMBUF];
    put(t, " # {", 4);
    for (size_t i = 0; i < x->nlabels; i++) {
        if (i)
            put(t, ",", 1);
        put_str(t, x->names[i]);
        put(t, "=\"", 2);
        put_escaped(t, x->values[i], true);
        put(t, "\"", 1);
    }
    put(t, "} ", 2);
    put(t, num, promc__format_canonical(num, x->value));
    if (x->timestamp != 0) {
        put(t, " ", 1);
        put(t, num, promc__format_canonical(num, x->timestamp));
    }
}

/* A line whose names need the quoted syntax or rewritten label names,
 * piecewise: {"name<suffix>",labels,xname="xvalue"} or name<suffix>{...}. */
static void line_names(struct promc__text_sink *t, const char *suffix,
                       const struct promc__labels *ls, const char *xname, const char *xvalue,
                       const char *num, size_t numlen, const struct promc__exemplar *ex)
{
    char open = '{';
    if (t->quoted) {
        put(t, "{", 1);
        put_quoted(t, t->name, suffix);
        open = ',';
    } else {
        put(t, t->name, t->name_len);
        put_str(t, suffix);
    }
    if (ls->n) {
        put(t, &open, 1);
        open = ',';
        put_labels(t, ls);
    }
    if (xname) {
        put(t, &open, 1);
        open = ',';
        if (xname == t->state_label && t->state_label_quoted)
            put_quoted(t, xname, "");
        else
            put_str(t, xname);
        put(t, "=\"", 2);
        put_str(t, xvalue);
        put(t, "\"", 1);
    }
    if (open == ',')
        put(t, "}", 1);
    put(t, " ", 1);
    put(t, num, numlen);
    put(t, t->ts, t->ts_len);
    if (ex && t->format == PROMC_FORMAT_OPENMETRICS)
        put_exemplar(t, ex);
    put(t, "\n", 1);
}

/* One line: <name><suffix>{labels,xname="xvalue"} value, then the exemplar
 * ex (NULL: none) in OpenMetrics. xname may be NULL; xvalue is written as
 * given (already escaped). */
static void line_ex(struct promc__text_sink *t, const char *suffix, const struct promc__labels *ls,
                    const char *xname, const char *xvalue, struct promc__value v,
                    const struct promc__exemplar *ex)
{
    if (t->base.error)
        return;
    char num[PROMC__NUMBUF];
    size_t numlen;
    if (v.kind == PROMC__V_UINT)
        numlen = promc__format_u64(num, v.u);
    else if (t->format == PROMC_FORMAT_OPENMETRICS)
        numlen = promc__format_canonical(num, v.d);
    else
        numlen = promc__format_double(num, v.d);
    if (t->slow || ls->utf8_names) {
        line_names(t, suffix, ls, xname, xvalue, num, numlen, ex);
        return;
    }

    const char *name = t->name;
    size_t name_len = t->name_len, suffix_len = strlen(suffix);
    size_t xname_len = xname ? strlen(xname) : 0, xvalue_len = xname ? strlen(xvalue) : 0;
    bool braces = ls->rendered_len || xname;
    size_t need = name_len + suffix_len + ls->rendered_len + numlen + t->ts_len + 2 +
                  (braces ? 2 : 0) + (xname ? xname_len + xvalue_len + 4 : 0);
    if (need > t->cap - t->len && t->len)
        flush(t);
    if (t->base.error)
        return;
    if (need <= t->cap - t->len) {
        /* The common case: the whole line goes straight into the buffer. */
        char *p = t->buf + t->len;
        memcpy(p, name, name_len);
        p += name_len;
        memcpy(p, suffix, suffix_len);
        p += suffix_len;
        if (braces) {
            *p++ = '{';
            memcpy(p, ls->rendered, ls->rendered_len);
            p += ls->rendered_len;
            if (xname) {
                if (ls->rendered_len)
                    *p++ = ',';
                memcpy(p, xname, xname_len);
                p += xname_len;
                *p++ = '=';
                *p++ = '"';
                memcpy(p, xvalue, xvalue_len);
                p += xvalue_len;
                *p++ = '"';
            }
            *p++ = '}';
        }
        *p++ = ' ';
        memcpy(p, num, numlen);
        p += numlen;
        memcpy(p, t->ts, t->ts_len);
        p += t->ts_len;
        if (ex && t->format == PROMC_FORMAT_OPENMETRICS) {
            t->len = (size_t)(p - t->buf);
            put_exemplar(t, ex);
            put(t, "\n", 1);
            return;
        }
        *p++ = '\n';
        t->len = (size_t)(p - t->buf);
        return;
    }
    /* A line longer than the whole buffer (huge label values): piecewise. */
    put(t, name, name_len);
    put(t, suffix, suffix_len);
    if (braces) {
        put(t, "{", 1);
        put(t, ls->rendered, ls->rendered_len);
        if (xname) {
            if (ls->rendered_len)
                put(t, ",", 1);
            put(t, xname, xname_len);
            put(t, "=\"", 2);
            put(t, xvalue, xvalue_len);
            put(t, "\"", 1);
        }
        put(t, "}", 1);
    }
    put(t, " ", 1);
    put(t, num, numlen);
    put(t, t->ts, t->ts_len);
    if (ex && t->format == PROMC_FORMAT_OPENMETRICS)
        put_exemplar(t, ex);
    put(t, "\n", 1);
}

static void line(struct promc__text_sink *t, const char *suffix, const struct promc__labels *ls,
                 const char *xname, const char *xvalue, struct promc__value v)
{
    line_ex(t, suffix, ls, xname, xvalue, v, NULL);
}

/* A number as a label value in this format: pre-rendered, or rendered now. */
static const char *number_label(const struct promc__text_sink *t, const char *const *text,
                                const char *const *om, size_t i, double v, char buf[PROMC__NUMBUF])
{
    bool is_om = t->format == PROMC_FORMAT_OPENMETRICS;
    if (is_om && om)
        return om[i];
    if (!is_om && text)
        return text[i];
    if (is_om)
        promc__format_canonical(buf, v);
    else
        promc__format_double(buf, v);
    return buf;
}

/* _sum and _count of a histogram or summary. OpenMetrics requires Sum to be
 * a counter (never NaN or negative, and absent when a bucket bound is
 * negative) and Count present exactly when Sum is, so there both are left
 * out in those cases; text 0.0.4 always has both. */
static void sum_count(struct promc__text_sink *t, const struct promc__labels *ls, double sum,
                      uint64_t count, bool negative_bounds)
{
    if (t->format == PROMC_FORMAT_OPENMETRICS && (negative_bounds || !(sum >= 0)))
        return;
    line(t, "_sum", ls, NULL, NULL, promc__vd(sum));
    line(t, "_count", ls, NULL, NULL, promc__vu(count));
}

static void created(struct promc__text_sink *t, const struct promc__series *x)
{
    if (t->format == PROMC_FORMAT_OPENMETRICS && t->base.created && x->created != 0)
        line(t, "_created", x->labels, NULL, NULL, promc__vd(x->created));
}

static void histogram(struct promc__text_sink *t, const struct promc__series *s)
{
    const struct promc__histogram_data *x = s->hist;
    char buf[PROMC__NUMBUF];
    for (size_t i = 0; i <= x->nbounds; i++) {
        double b = i < x->nbounds ? x->bounds[i] : INFINITY;
        const char *le = number_label(t, x->le_text, x->le_om, i, b, buf);
        line_ex(t, "_bucket", s->labels, "le", le,
                promc__vu(i < x->nbounds ? x->cumulative[i] : x->count),
                x->exemplars ? x->exemplars[i] : NULL);
    }
    sum_count(t, s->labels, x->sum, x->count, x->nbounds && x->bounds[0] < 0);
    created(t, s);
}

static void summary(struct promc__text_sink *t, const struct promc__series *s)
{
    const struct promc__summary_data *x = s->summary;
    char buf[PROMC__NUMBUF];
    for (size_t i = 0; i < x->nquantiles; i++) {
        /* OpenMetrics forbids negative quantile values: left out there. */
        if (t->format == PROMC_FORMAT_OPENMETRICS && x->qvalues[i] < 0)
            continue;
        const char *q = number_label(t, x->q_text, x->q_om, i, x->quantiles[i], buf);
        line(t, "", s->labels, "quantile", q, promc__vd(x->qvalues[i]));
    }
    sum_count(t, s->labels, x->sum, x->count, false);
    created(t, s);
}

static void stateset(struct promc__text_sink *t, const struct promc__series *s)
{
    const struct promc__stateset_data *x = s->stateset;
    const char *label = t->state_label;
    for (size_t i = 0; i < x->nstates && !t->base.error; i++) {
        struct promc__value v = promc__vu(i == x->current);
        if (x->states_escaped) {
            line(t, "", s->labels, label, x->states_escaped[i], v);
            continue;
        }
        size_t elen = promc__escaped_len(x->states[i], true) + 1;
        char small[256];
        char *esc = elen <= sizeof small ? small : promc__malloc(elen);
        if (!esc) {
            t->base.error = PROMC_ENOMEM;
            return;
        }
        esc[promc__escape(esc, x->states[i], true)] = '\0';
        line(t, "", s->labels, label, esc, v);
        if (esc != small)
            promc__free(esc);
    }
}

/* The timestamp every line of series x ends with: milliseconds as an
 * integer in text 0.0.4 (as client_golang writes it), seconds in
 * OpenMetrics as an exact decimal ("1700000000.123", "1700000000",
 * "-0.005"). client_golang writes float64(ms) / 1000 in its shortest form
 * (1.700000000123e+09), which Prometheus reads as the same instant but
 * python's OpenMetrics parser misreads (as 1.7 seconds): the decimal is read
 * right by both, and needs no rounding. */
static void set_timestamp(struct promc__text_sink *t, const struct promc__series *x)
{
    t->ts_len = 0;
    if (!x->timestamped)
        return;
    int64_t ms = x->timestamp_ms;
    uint64_t mag = ms < 0 ? 0 - (uint64_t)ms : (uint64_t)ms;
    char *p = t->ts;
    *p++ = ' ';
    if (ms < 0)
        *p++ = '-';
    if (t->format != PROMC_FORMAT_OPENMETRICS) {
        p += promc__format_u64(p, mag);
        t->ts_len = (size_t)(p - t->ts);
        return;
    }
    p += promc__format_u64(p, mag / 1000);
    unsigned frac = (unsigned)(mag % 1000);
    if (frac) {
        *p++ = '.';
        *p++ = (char)('0' + frac / 100);
        if (frac % 100) {
            *p++ = (char)('0' + frac / 10 % 10);
            if (frac % 10)
                *p++ = (char)('0' + frac % 10);
        }
    }
    t->ts_len = (size_t)(p - t->ts);
}

static void series(struct promc__sink *s, const struct promc__series *x)
{
    struct promc__text_sink *t = ts(s);
    promc_type type = s->desc->type;
    set_timestamp(t, x);
    switch (type) {
    case PROMC_HISTOGRAM:
        histogram(t, x);
        break;
    case PROMC_SUMMARY:
        summary(t, x);
        break;
    case PROMC_STATESET:
        stateset(t, x);
        break;
    default: /* counter, gauge, untyped, info: one value sample */
        line_ex(t, promc__type(type)->value, x->labels, NULL, NULL, x->value,
                type == PROMC_COUNTER ? x->exemplar : NULL);
        if (type == PROMC_COUNTER)
            created(t, x);
        break;
    }
}

static int finish(struct promc__sink *s)
{
    struct promc__text_sink *t = ts(s);
    if (t->format == PROMC_FORMAT_OPENMETRICS)
        put(t, "# EOF\n", 6);
    flush(t);
    promc__text_sink_release(t);
    return t->base.error;
}

static const struct promc__sink_ops text_ops = {family, series, finish};

void promc__text_sink_init(struct promc__text_sink *t, promc_format format, promc_write_fn fn,
                           void *ctx, char *buf, size_t cap)
{
    memset(t, 0, sizeof *t);
    t->base.ops = &text_ops;
    t->base.created = true;
    t->format = format;
    t->write = fn;
    t->ctx = ctx;
    t->buf = buf;
    t->cap = cap;
}

void promc__text_sink_release(struct promc__text_sink *t)
{
    promc__free(t->names.p);
    promc__free(t->scratch.p);
    memset(&t->names, 0, sizeof t->names);
    memset(&t->scratch, 0, sizeof t->scratch);
}
