/*
 * The protobuf sink: the exposition as Prometheus's protobuf format, a
 * stream of (uvarint length, io.prometheus.client.MetricFamily) -- the only
 * code that knows the message layout. Families are named and typed as the
 * text format shows them (x_total counters, infos and statesets as gauges)
 * so a scrape stores the same series whichever format it negotiated. A
 * family is built whole in one buffer (its length prefix comes first), nested
 * messages get their lengths patched in as they close, and the buffer goes to
 * the writer once enough families have accumulated: no allocation per series,
 * memory bounded by the largest family. Field numbers follow the newest
 * upstream metrics.proto (docs/FORMATS.md has the table).
 */
#include <math.h>
#include <string.h>

#include "encode_protobuf.h"
#include "internal.h"
#include "types.h"

/* Field numbers of io.prometheus.client (metrics.proto). */
enum {
    FAMILY_NAME = 1,
    FAMILY_HELP = 2,
    FAMILY_TYPE = 3,
    FAMILY_METRIC = 4,
    FAMILY_UNIT = 5, /* newer than client_model 0.3.0 */

    METRIC_LABEL = 1,
    METRIC_GAUGE = 2,
    METRIC_COUNTER = 3,
    METRIC_SUMMARY = 4,
    METRIC_UNTYPED = 5,
    METRIC_TIMESTAMP_MS = 6,
    METRIC_HISTOGRAM = 7,

    LABEL_NAME = 1,
    LABEL_VALUE = 2,

    VALUE_VALUE = 1, /* Gauge.value, Counter.value, Untyped.value */
    COUNTER_EXEMPLAR = 2,
    COUNTER_CREATED = 3, /* newer than 0.3.0 */

    SUMMARY_COUNT = 1,
    SUMMARY_SUM = 2,
    SUMMARY_QUANTILE = 3,
    SUMMARY_CREATED = 4, /* newer than 0.3.0 */
    QUANTILE_QUANTILE = 1,
    QUANTILE_VALUE = 2,

    HISTOGRAM_COUNT = 1,
    HISTOGRAM_SUM = 2,
    HISTOGRAM_BUCKET = 3,
    HISTOGRAM_SCHEMA = 5,
    HISTOGRAM_ZERO_THRESHOLD = 6,
    HISTOGRAM_ZERO_COUNT = 7,
    HISTOGRAM_NEGATIVE_SPAN = 9,
    HISTOGRAM_NEGATIVE_DELTA = 10,
    HISTOGRAM_POSITIVE_SPAN = 12,
    HISTOGRAM_POSITIVE_DELTA = 13,
    HISTOGRAM_CREATED = 15,   /* newer than 0.3.0 */
    HISTOGRAM_EXEMPLARS = 16, /* newer than 0.3.0 */
    BUCKET_COUNT = 1,
    BUCKET_UPPER_BOUND = 2,
    BUCKET_EXEMPLAR = 3,
    SPAN_OFFSET = 1,
    SPAN_LENGTH = 2,

    EXEMPLAR_LABEL = 1,
    EXEMPLAR_VALUE = 2,
    EXEMPLAR_TIMESTAMP = 3,

    TIMESTAMP_SECONDS = 1, /* google.protobuf.Timestamp */
    TIMESTAMP_NANOS = 2,
};

/* Families accumulate in the buffer until it holds this much, then go to
 * the writer in one call. */
#define FLUSH_AT 8192

static struct promc__protobuf_sink *ps(struct promc__sink *s)
{
    return (struct promc__protobuf_sink *)s;
}

/* ===================================================================== */
/* Labels, timestamps, exemplars                                          */
/* ===================================================================== */

/* A LabelPair from a name and a value given raw. */
static void label_pair(struct promc__pb *b, uint32_t field, const char *name, size_t nl,
                       const char *value, size_t vl)
{
    size_t body = 2 + promc__pb_varint_size(nl) + nl + promc__pb_varint_size(vl) + vl;
    if (!promc__pb_room(b, 2 * PROMC__PB_VARINT_MAX + body))
        return;
    uint8_t *p = promc__pb_put_varint(b->p + b->len, promc__pb_tag(field, PROMC__PB_LEN));
    p = promc__pb_put_varint(p, body);
    *p++ = (uint8_t)promc__pb_tag(LABEL_NAME, PROMC__PB_LEN);
    p = promc__pb_put_varint(p, nl);
    memcpy(p, name, nl);
    p += nl;
    *p++ = (uint8_t)promc__pb_tag(LABEL_VALUE, PROMC__PB_LEN);
    p = promc__pb_put_varint(p, vl);
    if (vl)
        memcpy(p, value, vl);
    b->len = (size_t)(p + vl - b->p);
}

/* A LabelPair from a name and a value as the text format escapes it
 * (elen bytes, vl once unescaped: \\, \" and \n undone). */
static void label_pair_escaped(struct promc__pb *b, const char *name, size_t nl,
                               const char *escaped, size_t elen, size_t vl)
{
    if (vl == elen) {
        label_pair(b, METRIC_LABEL, name, nl, escaped, vl);
        return;
    }
    size_t body = 2 + promc__pb_varint_size(nl) + nl + promc__pb_varint_size(vl) + vl;
    if (!promc__pb_room(b, 2 * PROMC__PB_VARINT_MAX + body))
        return;
    uint8_t *p = promc__pb_put_varint(b->p + b->len, promc__pb_tag(METRIC_LABEL, PROMC__PB_LEN));
    p = promc__pb_put_varint(p, body);
    *p++ = (uint8_t)promc__pb_tag(LABEL_NAME, PROMC__PB_LEN);
    p = promc__pb_put_varint(p, nl);
    memcpy(p, name, nl);
    p += nl;
    *p++ = (uint8_t)promc__pb_tag(LABEL_VALUE, PROMC__PB_LEN);
    p = promc__pb_put_varint(p, vl);
    for (const char *e = escaped, *end = escaped + elen; e < end; e++) {
        if (*e == '\\' && e + 1 < end) {
            e++;
            *p++ = (uint8_t)(*e == 'n' ? '\n' : *e);
        } else {
            *p++ = (uint8_t)*e;
        }
    }
    b->len = (size_t)(p - b->p);
}

/* A label name as this scrape shows it: as given when the label set has only
 * legacy names (plain), when it is a legacy one or when the escaping is
 * allow-utf-8 (names are plain strings here); else escaped into the sink's
 * scratch buffer. Sets *len. */
static const char *label_name(struct promc__protobuf_sink *p, const char *name, bool plain,
                              size_t *len)
{
    *len = strlen(name);
    promc_escaping e = p->base.escaping;
    if (plain || e == PROMC_ESCAPING_ALLOW_UTF8 || promc__legacy_name(name, *len, true))
        return name;
    promc__buf_reset(&p->scratch);
    promc__buf_exposed_name(&p->scratch, name, *len, e, true);
    if (p->scratch.oom) {
        p->b.oom = true; /* reported as PROMC_ENOMEM with the family */
        *len = 0;
        return "";
    }
    *len = p->scratch.len;
    return p->scratch.p;
}

/* The series' labels, in the order the text format writes them. A family's
 * own children carry only the rendered text `a="x",b="y"`, which is read
 * back here: each value after its name, whose length is known (a UTF-8 name
 * may hold '=' or '"'); values have \\, \" and \n. */
static void labels(struct promc__protobuf_sink *sink, const struct promc__labels *ls)
{
    struct promc__pb *b = &sink->b;
    bool plain = !ls->utf8_names;
    if (ls->values) {
        for (size_t i = 0; i < ls->n; i++) {
            size_t nl;
            const char *name = label_name(sink, ls->names[i], plain, &nl);
            label_pair(b, METRIC_LABEL, name, nl, ls->values[i], strlen(ls->values[i]));
        }
        return;
    }
    const char *p = ls->rendered, *end = p + ls->rendered_len;
    for (size_t i = 0; i < ls->n && p < end; i++) {
        const char *eq = p + strlen(ls->names[i]);
        size_t nl;
        const char *name = label_name(sink, ls->names[i], plain, &nl);
        if (end - eq < 3)
            return;
        const char *v = eq + 2;
        /* Most values hold no escape: the first quote ends them. */
        const char *q = memchr(v, '"', (size_t)(end - v));
        size_t vl;
        if (q && !memchr(v, '\\', (size_t)(q - v))) {
            vl = (size_t)(q - v);
        } else {
            for (q = v, vl = 0; q < end && *q != '"'; vl++)
                q += *q == '\\' ? 2 : 1;
            if (q > end)
                q = end;
        }
        label_pair_escaped(b, name, nl, v, (size_t)(q - v), vl);
        p = q + 1;
        if (p < end && *p == ',')
            p++;
    }
}

/* A google.protobuf.Timestamp from seconds since the epoch: whole seconds
 * (floor) and non-negative nanoseconds, zero fields left out (proto3). A
 * time no Timestamp can hold is left out entirely. */
static void timestamp(struct promc__pb *b, uint32_t field, double t)
{
    if (!(t > -62135596800.0 && t < 253402300800.0)) /* years 1 to 9999 */
        return;
    int64_t s = (int64_t)t; /* floor, without a libm call on every series */
    if ((double)s > t)
        s--;
    int64_t ns = (int64_t)((t - (double)s) * 1e9 + 0.5); /* nearest: the operand is >= 0 */
    if (ns >= 1000000000) {
        s++;
        ns -= 1000000000;
    }
    size_t m = promc__pb_open(b, field);
    if (s)
        promc__pb_uint_field(b, TIMESTAMP_SECONDS, (uint64_t)s);
    if (ns)
        promc__pb_uint_field(b, TIMESTAMP_NANOS, (uint64_t)ns);
    promc__pb_close(b, m);
}

static void exemplar(struct promc__pb *b, uint32_t field, const struct promc__exemplar *e)
{
    size_t m = promc__pb_open(b, field);
    for (size_t i = 0; i < e->nlabels; i++)
        label_pair(b, EXEMPLAR_LABEL, e->names[i], strlen(e->names[i]), e->values[i],
                   strlen(e->values[i]));
    promc__pb_double_field(b, EXEMPLAR_VALUE, e->value);
    if (e->timestamp != 0)
        timestamp(b, EXEMPLAR_TIMESTAMP, e->timestamp);
    promc__pb_close(b, m);
}

/* ===================================================================== */
/* Families                                                               */
/* ===================================================================== */

static void flush(struct promc__protobuf_sink *p)
{
    if (p->b.len && !p->base.error && p->write(p->ctx, (const char *)p->b.p, p->b.len) != 0)
        p->base.error = PROMC_EIO;
    p->b.len = 0;
}

static void check_oom(struct promc__protobuf_sink *p)
{
    if (p->b.oom && !p->base.error)
        p->base.error = PROMC_ENOMEM;
}

/* Ends the open family: its length goes in, and the buffer goes out when
 * enough has gathered. */
static void close_family(struct promc__protobuf_sink *p)
{
    if (!p->family_open)
        return;
    p->family_open = false;
    promc__pb_close(&p->b, p->family_mark);
    check_oom(p);
    if (p->b.len >= FLUSH_AT)
        flush(p);
}

/* Writes the current family's header: at its first series, so a family
 * without series is left out, as client_golang's gatherer does (the text
 * format still shows its HELP and TYPE). The unit comes before the metrics
 * rather than in field order, because the family's description is only
 * known to be valid while its series are being written. */
static void open_family(struct promc__protobuf_sink *p)
{
    const struct promc__desc *d = p->base.desc;
    const struct promc__type_info *ti = promc__type(d->type);
    struct promc__pb *b = &p->b;
    p->family_mark = promc__pb_open(b, 0);
    p->family_open = true;
    size_t nl = strlen(d->name), sl = strlen(ti->text_name), hl = strlen(d->help);
    if (p->base.escaping != PROMC_ESCAPING_ALLOW_UTF8 && !promc__legacy_name(d->name, nl, false)) {
        /* Escaped as the text format's family name is: the whole name,
         * "_total" or "_info" included (docs/FORMATS.md). */
        struct promc__buf *n = &p->scratch;
        promc__buf_reset(n);
        promc__buf_put(n, d->name, nl);
        promc__buf_put(n, ti->text_name, sl);
        promc__buf_reset(&p->names);
        if (!n->oom)
            promc__buf_exposed_name(&p->names, n->p, n->len, p->base.escaping, false);
        if (n->oom || p->names.oom)
            b->oom = true;
        else
            promc__pb_bytes_field(b, FAMILY_NAME, p->names.p, p->names.len);
    } else if (promc__pb_room(b, 2 * PROMC__PB_VARINT_MAX + nl + sl)) {
        uint8_t *q = promc__pb_put_varint(b->p + b->len, promc__pb_tag(FAMILY_NAME, PROMC__PB_LEN));
        q = promc__pb_put_varint(q, nl + sl);
        memcpy(q, d->name, nl);
        memcpy(q + nl, ti->text_name, sl);
        b->len = (size_t)(q + nl + sl - b->p);
    }
    /* client_golang always sets help, "" included. */
    promc__pb_bytes_field(b, FAMILY_HELP, d->help, hl);
    promc__pb_uint_field(b, FAMILY_TYPE, (uint64_t)ti->proto_type);
    if (d->unit && *d->unit)
        promc__pb_bytes_field(b, FAMILY_UNIT, d->unit, strlen(d->unit));
}

static void family(struct promc__sink *s, const struct promc__desc *d)
{
    (void)d;
    close_family(ps(s));
}

/* ===================================================================== */
/* Series                                                                 */
/* ===================================================================== */

/* One Metric holding a single value message (gauge, counter, untyped). */
/* Metric.timestamp_ms, when the series has one (an int64: a negative value
 * is its two's complement, as protobuf encodes int64). client_golang writes
 * fields in number order: after the value message, before a histogram. */
static void timestamp_ms(struct promc__pb *b, const struct promc__series *x)
{
    if (x->timestamped)
        promc__pb_uint_field(b, METRIC_TIMESTAMP_MS, (uint64_t)x->timestamp_ms);
}

static void value_metric(struct promc__protobuf_sink *p, const struct promc__series *x,
                         uint32_t kind, const struct promc__labels *ls, const char *xname,
                         const char *xvalue, double v)
{
    struct promc__pb *b = &p->b;
    size_t m = promc__pb_open(b, FAMILY_METRIC);
    labels(p, ls);
    if (xname) { /* a stateset's label, named after the family */
        size_t xl;
        const char *shown = label_name(p, xname, false, &xl);
        label_pair(b, METRIC_LABEL, shown, xl, xvalue, strlen(xvalue));
    }
    size_t k = promc__pb_open(b, kind);
    promc__pb_double_field(b, VALUE_VALUE, v);
    if (kind == METRIC_COUNTER) {
        if (x->exemplar)
            exemplar(b, COUNTER_EXEMPLAR, x->exemplar);
        if (p->base.created && x->created != 0)
            timestamp(b, COUNTER_CREATED, x->created);
    }
    promc__pb_close(b, k);
    timestamp_ms(b, x);
    promc__pb_close(b, m);
}

static void summary(struct promc__protobuf_sink *p, const struct promc__series *s)
{
    const struct promc__summary_data *x = s->summary;
    struct promc__pb *b = &p->b;
    size_t m = promc__pb_open(b, FAMILY_METRIC);
    labels(p, s->labels);
    size_t k = promc__pb_open(b, METRIC_SUMMARY);
    promc__pb_uint_field(b, SUMMARY_COUNT, x->count);
    promc__pb_double_field(b, SUMMARY_SUM, x->sum);
    for (size_t i = 0; i < x->nquantiles; i++) {
        size_t q = promc__pb_open(b, SUMMARY_QUANTILE);
        promc__pb_double_field(b, QUANTILE_QUANTILE, x->quantiles[i]);
        promc__pb_double_field(b, QUANTILE_VALUE, x->qvalues[i]);
        promc__pb_close(b, q);
    }
    if (p->base.created && s->created != 0)
        timestamp(b, SUMMARY_CREATED, s->created);
    promc__pb_close(b, k);
    timestamp_ms(b, s);
    promc__pb_close(b, m);
}

static void bucket(struct promc__pb *b, uint64_t count, double bound,
                   const struct promc__exemplar *e)
{
    size_t k = promc__pb_open(b, HISTOGRAM_BUCKET);
    promc__pb_uint_field(b, BUCKET_COUNT, count);
    promc__pb_double_field(b, BUCKET_UPPER_BOUND, bound);
    if (e)
        exemplar(b, BUCKET_EXEMPLAR, e);
    promc__pb_close(b, k);
}

static void spans(struct promc__pb *b, uint32_t field, const struct promc__span *sp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = promc__pb_open(b, field);
        promc__pb_sint32_field(b, SPAN_OFFSET, sp[i].offset);
        promc__pb_uint_field(b, SPAN_LENGTH, sp[i].length);
        promc__pb_close(b, k);
    }
}

/* Repeated sint64 deltas, one tag each (unpacked, as proto2 and client_golang
 * write them; every decoder reads both forms). */
static void deltas(struct promc__pb *b, uint32_t field, const int64_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        promc__pb_sint64_field(b, field, d[i]);
}

static void native(struct promc__pb *b, const struct promc__native_data *n)
{
    promc__pb_sint32_field(b, HISTOGRAM_SCHEMA, n->schema);
    promc__pb_double_field(b, HISTOGRAM_ZERO_THRESHOLD, n->zero_threshold);
    promc__pb_uint_field(b, HISTOGRAM_ZERO_COUNT, n->zero_count);
    spans(b, HISTOGRAM_NEGATIVE_SPAN, n->neg_spans, n->nneg_spans);
    deltas(b, HISTOGRAM_NEGATIVE_DELTA, n->neg_deltas, n->nneg);
    spans(b, HISTOGRAM_POSITIVE_SPAN, n->pos_spans, n->npos_spans);
    /* A native histogram with no buckets and no zero bucket width would
     * read as a classic one: upstream's rule is a no-op span (0, 0). */
    if (!n->npos_spans && !n->nneg_spans && n->zero_threshold == 0 && n->zero_count == 0) {
        static const struct promc__span noop = {0, 0};
        spans(b, HISTOGRAM_POSITIVE_SPAN, &noop, 1);
    }
    deltas(b, HISTOGRAM_POSITIVE_DELTA, n->pos_deltas, n->npos);
}

/* As client_golang 1.14: the finite buckets, cumulative; the +Inf bucket
 * only when it carries an exemplar (its count is sample_count). */
static void histogram(struct promc__protobuf_sink *p, const struct promc__series *s)
{
    const struct promc__histogram_data *x = s->hist;
    struct promc__pb *b = &p->b;
    size_t m = promc__pb_open(b, FAMILY_METRIC);
    labels(p, s->labels);
    timestamp_ms(b, s);
    size_t k = promc__pb_open(b, METRIC_HISTOGRAM);
    promc__pb_uint_field(b, HISTOGRAM_COUNT, x->count);
    promc__pb_double_field(b, HISTOGRAM_SUM, x->sum);
    for (size_t i = 0; i < x->nbounds; i++)
        bucket(b, x->cumulative[i], x->bounds[i], x->exemplars ? x->exemplars[i] : NULL);
    if (x->exemplars && x->exemplars[x->nbounds])
        bucket(b, x->count, INFINITY, x->exemplars[x->nbounds]);
    if (x->native)
        native(b, x->native);
    if (p->base.created && s->created != 0)
        timestamp(b, HISTOGRAM_CREATED, s->created);
    if (x->native)
        for (size_t i = 0; i < x->native->nexemplars; i++)
            exemplar(b, HISTOGRAM_EXEMPLARS, &x->native->exemplars[i]);
    promc__pb_close(b, k);
    promc__pb_close(b, m);
}

/* A stateset is a gauge per state, labelled <family name>="<state>", 1 for
 * the current state -- the samples the text format shows. */
static void stateset(struct promc__protobuf_sink *p, const struct promc__series *s)
{
    const struct promc__stateset_data *x = s->stateset;
    for (size_t i = 0; i < x->nstates; i++)
        value_metric(p, s, METRIC_GAUGE, s->labels, p->base.desc->name, x->states[i],
                     i == x->current ? 1 : 0);
}

static void series(struct promc__sink *s, const struct promc__series *x)
{
    struct promc__protobuf_sink *p = ps(s);
    if (!p->family_open)
        open_family(p);
    switch (s->desc->type) {
    case PROMC_HISTOGRAM:
        histogram(p, x);
        break;
    case PROMC_SUMMARY:
        summary(p, x);
        break;
    case PROMC_STATESET:
        stateset(p, x);
        break;
    case PROMC_COUNTER:
        value_metric(p, x, METRIC_COUNTER, x->labels, NULL, NULL, promc__value_double(x->value));
        break;
    case PROMC_UNTYPED:
        value_metric(p, x, METRIC_UNTYPED, x->labels, NULL, NULL, promc__value_double(x->value));
        break;
    default: /* gauge, info */
        value_metric(p, x, METRIC_GAUGE, x->labels, NULL, NULL, promc__value_double(x->value));
        break;
    }
    check_oom(p);
}

static int finish(struct promc__sink *s)
{
    struct promc__protobuf_sink *p = ps(s);
    close_family(p);
    flush(p);
    promc__protobuf_sink_release(p);
    return p->base.error;
}

static const struct promc__sink_ops protobuf_ops = {family, series, finish};

void promc__protobuf_sink_init(struct promc__protobuf_sink *p, promc_write_fn fn, void *ctx,
                               void *storage, size_t cap)
{
    memset(p, 0, sizeof *p);
    p->base.ops = &protobuf_ops;
    p->base.created = true;
    p->write = fn;
    p->ctx = ctx;
    promc__pb_init(&p->b, storage, cap);
}

void promc__protobuf_sink_release(struct promc__protobuf_sink *p)
{
    promc__pb_free(&p->b);
    promc__free(p->names.p);
    promc__free(p->scratch.p);
    memset(&p->names, 0, sizeof p->names);
    memset(&p->scratch, 0, sizeof p->scratch);
}
