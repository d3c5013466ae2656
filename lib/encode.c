/*
 * The encoder: the only code that knows how the text 0.0.4 and OpenMetrics
 * 1.0.0 formats spell a family header and a sample line. Collectors hand it
 * structured samples; it appends bytes to a fixed buffer and flushes that to
 * the writer when full, so a scrape streams in constant memory. In match mode
 * (get_sample_value) it writes nothing and compares samples instead.
 */
#include <string.h>

#include "internal.h"

struct promc__match {
    const char *name;
    const promc_label *labels;
    size_t n;
    bool found;
    double value;
};

void promc__enc_init(promc__enc *e, promc_format format, promc_write_fn fn, void *ctx, char *buf,
                     size_t cap)
{
    memset(e, 0, sizeof *e);
    e->format = format;
    e->write = fn;
    e->ctx = ctx;
    e->buf = buf;
    e->cap = cap;
    e->created = true;
}

static void flush(promc__enc *e)
{
    if (e->len && !e->error && e->write(e->ctx, e->buf, e->len) != 0)
        e->error = PROMC_EIO;
    e->len = 0;
}

/* Makes room for n bytes by flushing, when the buffer could then hold them. */
static void flush_if_needed(promc__enc *e, size_t n)
{
    if (n > e->cap - e->len && e->len)
        flush(e);
}

void promc__enc_put(promc__enc *e, const char *s, size_t n)
{
    if (e->error || e->match)
        return;
    if (n > e->cap - e->len) {
        flush(e);
        if (n > e->cap) {
            if (!e->error && e->write(e->ctx, s, n) != 0)
                e->error = PROMC_EIO;
            return;
        }
    }
    memcpy(e->buf + e->len, s, n);
    e->len += n;
}

static void put_str(promc__enc *e, const char *s)
{
    promc__enc_put(e, s, strlen(s));
}

/* Writes s escaped, in runs between the characters that need escaping. */
static void put_escaped(promc__enc *e, const char *s, bool quote)
{
    const char *run = s;
    for (; *s; s++) {
        const char *esc = *s == '\\'           ? "\\\\"
                          : *s == '\n'         ? "\\n"
                          : quote && *s == '"' ? "\\\""
                                               : 0;
        if (esc) {
            promc__enc_put(e, run, (size_t)(s - run));
            promc__enc_put(e, esc, 2);
            run = s + 1;
        }
    }
    promc__enc_put(e, run, (size_t)(s - run));
}

/* ===================================================================== */
/* Family header                                                          */
/* ===================================================================== */

static const char *type_word(promc_format f, promc_type t)
{
    static const char *const text[] = {"counter", "gauge", "histogram", "summary",
                                       "gauge",   "gauge", "untyped"};
    static const char *const om[] = {"counter",  "gauge", "histogram", "summary",
                                     "stateset", "info",  "unknown"};
    return f == PROMC_FORMAT_TEXT ? text[t] : om[t];
}

/* The name HELP/TYPE speak of: in text 0.0.4 a counter family is named like
 * its samples (x_total) and an info is a gauge named x_info; OpenMetrics
 * names the family by its base name. */
static void put_family_name(promc__enc *e, const struct promc__desc *d)
{
    put_str(e, d->name);
    if (e->format == PROMC_FORMAT_TEXT) {
        if (d->type == PROMC_COUNTER)
            promc__enc_put(e, "_total", 6);
        else if (d->type == PROMC_INFO)
            promc__enc_put(e, "_info", 5);
    }
}

void promc__enc_family(promc__enc *e, const struct promc__desc *d)
{
    e->family = d;
    e->name_len = strlen(d->name);
    if (e->error || e->match)
        return;
    bool om = e->format == PROMC_FORMAT_OPENMETRICS;
    /* OpenMetrics recommends TYPE, UNIT, HELP; text keeps the customary
     * HELP, TYPE (client_golang and client_python order). */
    if (!om) {
        promc__enc_put(e, "# HELP ", 7);
        put_family_name(e, d);
        promc__enc_put(e, " ", 1);
        put_escaped(e, d->help, false);
        promc__enc_put(e, "\n", 1);
    }
    promc__enc_put(e, "# TYPE ", 7);
    put_family_name(e, d);
    promc__enc_put(e, " ", 1);
    put_str(e, type_word(e->format, d->type));
    promc__enc_put(e, "\n", 1);
    if (om) {
        if (d->unit) {
            promc__enc_put(e, "# UNIT ", 7);
            put_family_name(e, d);
            promc__enc_put(e, " ", 1);
            put_str(e, d->unit);
            promc__enc_put(e, "\n", 1);
        }
        promc__enc_put(e, "# HELP ", 7);
        put_family_name(e, d);
        promc__enc_put(e, " ", 1);
        put_escaped(e, d->help, true);
        promc__enc_put(e, "\n", 1);
    }
}

/* ===================================================================== */
/* Samples                                                                */
/* ===================================================================== */

static bool label_matches(const struct promc__match *q, const char *name, const char *value)
{
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->labels[i].name, name) == 0)
            return strcmp(q->labels[i].value, value) == 0;
    return false;
}

static void match_sample(promc__enc *e, const char *suffix, const struct promc__labels *ls,
                         const struct promc__extra *extra, struct promc__value v)
{
    struct promc__match *q = e->match;
    size_t blen = strlen(e->family->name);
    if (q->found || strncmp(q->name, e->family->name, blen) != 0 ||
        strcmp(q->name + blen, suffix) != 0 || q->n != ls->n + (extra ? 1 : 0))
        return;
    const char *p = ls->rendered;
    for (size_t i = 0; i < ls->n; i++) {
        if (ls->values) {
            if (!label_matches(q, ls->names[i], ls->values[i]))
                return;
            continue;
        }
        /* A child's values exist only escaped in its rendering. */
        p += strlen(ls->names[i]) + 2 + (i > 0); /* [,]name=" */
        const promc_label *want = NULL;
        for (size_t k = 0; k < q->n && !want; k++)
            if (strcmp(q->labels[k].name, ls->names[i]) == 0)
                want = &q->labels[k];
        if (!want || !promc__escaped_equal(&p, want->value))
            return;
    }
    if (extra && !label_matches(q, extra->name, extra->raw))
        return;
    q->found = true;
    q->value = v.kind == PROMC__V_UINT ? (double)v.u : v.d;
}

void promc__enc_sample(promc__enc *e, const char *suffix, const struct promc__labels *ls,
                       const struct promc__extra *extra, struct promc__value v)
{
    if (e->match) {
        match_sample(e, suffix, ls, extra, v);
        return;
    }
    if (e->error)
        return;
    char num[PROMC__NUMBUF];
    size_t numlen;
    if (v.kind == PROMC__V_UINT)
        numlen = promc__format_u64(num, v.u);
    else if (e->format == PROMC_FORMAT_OPENMETRICS)
        numlen = promc__format_canonical(num, v.d);
    else
        numlen = promc__format_double(num, v.d);

    const char *name = e->family->name;
    size_t name_len = e->name_len, suffix_len = strlen(suffix);
    const char *xname = NULL, *xvalue = NULL;
    size_t xname_len = 0, xvalue_len = 0;
    if (extra) {
        xname = extra->name;
        xvalue = e->format == PROMC_FORMAT_TEXT ? extra->text : extra->om;
        xname_len = strlen(xname);
        xvalue_len = strlen(xvalue);
    }
    bool braces = ls->rendered_len || extra;
    size_t need = name_len + suffix_len + ls->rendered_len + numlen + 2 + (braces ? 2 : 0) +
                  (extra ? xname_len + xvalue_len + 4 : 0);
    if (need > e->cap - e->len) {
        flush_if_needed(e, need);
        if (e->error)
            return;
    }
    if (need <= e->cap - e->len) {
        /* The common case: the whole line goes straight into the buffer. */
        char *p = e->buf + e->len;
        memcpy(p, name, name_len);
        p += name_len;
        memcpy(p, suffix, suffix_len);
        p += suffix_len;
        if (braces) {
            *p++ = '{';
            memcpy(p, ls->rendered, ls->rendered_len);
            p += ls->rendered_len;
            if (extra) {
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
        *p++ = '\n';
        e->len = (size_t)(p - e->buf);
        return;
    }
    /* A line longer than the whole buffer (huge label values): piecewise. */
    promc__enc_put(e, name, name_len);
    promc__enc_put(e, suffix, suffix_len);
    if (braces) {
        promc__enc_put(e, "{", 1);
        promc__enc_put(e, ls->rendered, ls->rendered_len);
        if (extra) {
            if (ls->rendered_len)
                promc__enc_put(e, ",", 1);
            promc__enc_put(e, xname, xname_len);
            promc__enc_put(e, "=\"", 2);
            promc__enc_put(e, xvalue, xvalue_len);
            promc__enc_put(e, "\"", 1);
        }
        promc__enc_put(e, "}", 1);
    }
    promc__enc_put(e, " ", 1);
    promc__enc_put(e, num, numlen);
    promc__enc_put(e, "\n", 1);
}

void promc__enc_sum_count(promc__enc *e, const struct promc__labels *ls, double sum, uint64_t count,
                          bool negative_bounds)
{
    if (e->format == PROMC_FORMAT_OPENMETRICS && (negative_bounds || !(sum >= 0)))
        return;
    promc__enc_sample(e, "_sum", ls, NULL, promc__vd(sum));
    promc__enc_sample(e, "_count", ls, NULL, promc__vu(count));
}

void promc__enc_quantile(promc__enc *e, const struct promc__labels *ls,
                         const struct promc__extra *q, double value)
{
    if (e->format == PROMC_FORMAT_OPENMETRICS && value < 0)
        return;
    promc__enc_sample(e, "", ls, q, promc__vd(value));
}

void promc__enc_created(promc__enc *e, const struct promc__labels *ls, double created)
{
    if (e->format == PROMC_FORMAT_OPENMETRICS && e->created && !e->match)
        promc__enc_sample(e, "_created", ls, NULL, promc__vd(created));
}

int promc__enc_finish(promc__enc *e)
{
    if (e->format == PROMC_FORMAT_OPENMETRICS)
        promc__enc_put(e, "# EOF\n", 6);
    flush(e);
    return e->error;
}

/* ===================================================================== */
/* Walking a registry                                                     */
/* ===================================================================== */

static void collect_refusals(promc_registry *reg, promc__enc *e)
{
    static const struct promc__desc desc = {
        "promc_children_refused", "Label sets refused because the metric reached its child limit.",
        NULL, PROMC_COUNTER};
    bool header = false;
    for (size_t i = 0; i < reg->n && !e->error; i++) {
        struct promc_metric *m = reg->items[i];
        if (!m->max_children)
            continue;
        if (!header) {
            promc__enc_family(e, &desc);
            header = true;
        }
        /* The metric name is a valid metric name, so it needs no escaping. */
        char rendered[512];
        int len = snprintf(rendered, sizeof rendered, "metric=\"%s\"", m->desc.name);
        if (len < 0 || (size_t)len >= sizeof rendered)
            continue;
        const char *names[] = {"metric"};
        const char *values[] = {m->desc.name};
        struct promc__labels ls = {rendered, (size_t)len, 1, names, values};
        promc__enc_sample(e, "_total", &ls, NULL,
                          promc__vu(atomic_load_explicit(&m->refused, memory_order_relaxed)));
    }
}

static int encode_registry(promc_registry *reg, promc__enc *e)
{
    reg = promc__registry_resolve(reg);
    if (!reg)
        return promc__fail(PROMC_ENOMEM, "out of memory creating the default registry");
    e->registry = reg;
    e->created = atomic_load(&reg->created) != 0;
    pthread_rwlock_rdlock(&reg->lock);
    for (size_t i = 0; i < reg->n && !e->error; i++)
        if (promc__family_collect(reg->items[i], e) != 0 && !e->error)
            e->error = PROMC_EIO;
    collect_refusals(reg, e);
    pthread_rwlock_unlock(&reg->lock);
    promc__free_strings(e->seen, e->nseen);
    e->seen = NULL;
    e->nseen = e->capseen = 0;
    int rc = promc__enc_finish(e);
    if (rc == PROMC_EIO)
        return promc__fail(rc, "exposition aborted by the writer or a collector");
    if (rc != PROMC_OK)
        return promc__fail(rc, "exposition failed: %s", promc_strerror(rc));
    promc__ok();
    return PROMC_OK;
}

#define ENC_BUFSIZE 16384

int promc_encode(promc_registry *reg, promc_format format, promc_write_fn fn, void *ctx)
{
    if (!fn || (format != PROMC_FORMAT_TEXT && format != PROMC_FORMAT_OPENMETRICS))
        return promc__fail(PROMC_EINVAL, "promc_encode needs a writer and a known format");
    char buf[ENC_BUFSIZE];
    promc__enc e;
    promc__enc_init(&e, format, fn, ctx, buf, sizeof buf);
    return encode_registry(reg, &e);
}

char *promc_encode_buffer(promc_registry *reg, promc_format format, size_t *len)
{
    struct promc__buf b = {0};
    int rc = promc_encode(reg, format, promc__buf_writer, &b);
    if (rc == PROMC_OK && !b.p) /* empty text exposition */
        promc__buf_put(&b, "", 0);
    if (rc != PROMC_OK || b.oom) {
        promc__free(b.p);
        if (b.oom)
            promc__fail(PROMC_ENOMEM, "out of memory building the exposition");
        return NULL;
    }
    if (len)
        *len = b.len;
    return b.p;
}

static int file_write(void *ctx, const char *data, size_t len)
{
    return fwrite(data, 1, len, ctx) == len ? 0 : -1;
}

int promc_encode_file(promc_registry *reg, promc_format format, FILE *f)
{
    if (!f)
        return promc__fail(PROMC_EINVAL, "promc_encode_file needs a FILE");
    return promc_encode(reg, format, file_write, f);
}

static int no_write(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    return 0;
}

int promc_registry_get_sample_value(promc_registry *reg, const char *name,
                                    const promc_label *labels, size_t nlabels, double *value)
{
    if (!name || (nlabels && !labels) || !value)
        return promc__fail(PROMC_EINVAL, "get_sample_value needs a name and a value pointer");
    for (size_t i = 0; i < nlabels; i++)
        if (!labels[i].name || !labels[i].value)
            return promc__fail(PROMC_EINVAL, "get_sample_value: label %zu is NULL", i);
    struct promc__match q = {name, labels, nlabels, false, 0};
    char buf[64];
    promc__enc e;
    promc__enc_init(&e, PROMC_FORMAT_TEXT, no_write, NULL, buf, sizeof buf);
    e.match = &q;
    int rc = encode_registry(reg, &e);
    if (rc != PROMC_OK)
        return rc;
    if (!q.found)
        return promc__fail(PROMC_ENOENT, "no sample \"%s\" with these labels", name);
    *value = q.value;
    return PROMC_OK;
}
