/*
 * Fuzz target for the protobuf exposition (lib/encode_protobuf.c,
 * lib/protobuf_wire.c). The input is a small program that builds families
 * of every type and their series by hand -- names, help, units, labels given
 * raw or only as the escaped rendering, values and their bit patterns,
 * created times, exemplars on counters and buckets (+Inf too), native
 * buckets with spans, deltas and exemplars, summaries, statesets, infos,
 * families without series -- and drives a protobuf sink with them through a
 * buffer of a size the input picks; a second part puts a labelled counter,
 * a gauge and a collector's families in a registry and scrapes it through
 * promc_encode. A decoder written here from metrics.proto (it knows
 * nothing of the encoder: generic tags, varints up to ten bytes, lengths
 * that must fit, no unknown fields, no trailing bytes) reads the stream back
 * into a canonical listing, which must equal the listing the model gives
 * for what was put in: families as the text format names and types them,
 * empty ones left out, the +Inf bucket only with an exemplar, a no-op span
 * for an empty native histogram, created timestamps only when on. Any
 * difference aborts.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode_protobuf.h"
#include "internal.h"
#include "promc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

#define MAX_FAMILIES 6
#define MAX_SERIES   4
#define MAX_LABELS   3
#define MAX_VALUE    24
#define MAX_BOUNDS   6
#define MAX_SPANS    3
#define MAX_DELTAS   8
#define MAX_EX       3
#define MAX_STATES   3

/* ===================================================================== */
/* Input                                                                  */
/* ===================================================================== */

struct input {
    const uint8_t *p;
    size_t n;
};

static unsigned byte(struct input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static unsigned pick(struct input *in, unsigned n)
{
    return byte(in) % n;
}

static uint64_t u64(struct input *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | byte(in);
    return v;
}

static double any_double(struct input *in)
{
    static const double special[] = {0, -0.0, 1, -1, 0.5, 1e300, -1e-300, 5e-324, 1700000000.25};
    unsigned k = pick(in, 12);
    if (k < sizeof special / sizeof special[0])
        return special[k];
    if (k == 9)
        return INFINITY;
    if (k == 10)
        return -INFINITY;
    uint64_t bits = u64(in); /* any bit pattern, NaN payloads included */
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* A time: none, exact, fractional, negative, or beyond what a Timestamp
 * holds (then left out). */
static double any_time(struct input *in)
{
    switch (pick(in, 7)) {
    case 0:
        return 0;
    case 1:
        return 1700000000.0 + byte(in) / 1024.0;
    case 2:
        return -1.5 - byte(in);
    case 3:
        return 1e300;
    case 4:
        return NAN;
    case 5:
        return byte(in) + 0.9999999999; /* the nanoseconds round up into the next second */
    default:
        return (double)(u64(in) >> 30) + byte(in) / 7.0;
    }
}

/* ===================================================================== */
/* The model                                                              */
/* ===================================================================== */

struct text {
    char s[MAX_VALUE + 1];
};

struct exemplar_m {
    size_t n;
    const char *names[MAX_LABELS];
    const char *values[MAX_LABELS];
    struct text store[MAX_LABELS];
    struct promc__exemplar e;
};

struct series_m {
    size_t nlabels;
    const char *names[MAX_LABELS];
    const char *values[MAX_LABELS];
    struct text vstore[MAX_LABELS];
    char rendered[MAX_LABELS * (8 + 2 * MAX_VALUE + 4) + 1];
    bool raw; /* values given, or only the rendering */
    struct promc__labels ls;
    struct promc__series x;
    bool has_ex;
    struct exemplar_m ex;
    /* histogram */
    double bounds[MAX_BOUNDS];
    uint64_t cum[MAX_BOUNDS];
    struct exemplar_m bex[MAX_BOUNDS + 1];
    const struct promc__exemplar *bexp[MAX_BOUNDS + 1];
    bool with_bex;
    struct promc__histogram_data hd;
    bool native;
    struct promc__native_data nd;
    struct promc__span pos[MAX_SPANS], neg[MAX_SPANS];
    int64_t posd[MAX_DELTAS], negd[MAX_DELTAS];
    struct exemplar_m nex[MAX_EX];
    struct promc__exemplar nexv[MAX_EX];
    /* summary */
    double qs[MAX_BOUNDS], qv[MAX_BOUNDS];
    struct promc__summary_data sd;
    /* stateset */
    const char *states[MAX_STATES];
    struct text sstore[MAX_STATES];
    struct promc__stateset_data ssd;
};

struct family_m {
    char name[16];
    struct text help;
    char unit[8];
    struct promc__desc d;
    size_t nseries;
    struct series_m s[MAX_SERIES];
};

static struct family_m fams[MAX_FAMILIES];
static size_t nfams;

static const char *const label_names[] = {"a", "path", "le_x", "code", "trace_id", "_z"};

static void any_text(struct input *in, struct text *t)
{
    size_t n = pick(in, MAX_VALUE + 1);
    static const char alphabet[] = "ab\\\"\n=,{} \xc3\xa9\x01\xff";
    for (size_t i = 0; i < n; i++) {
        unsigned b = byte(in);
        t->s[i] = b < 128 ? alphabet[b % (sizeof alphabet - 1)] : (char)(1 + b % 255);
    }
    t->s[n] = '\0';
}

static void any_exemplar(struct input *in, struct exemplar_m *m)
{
    m->n = pick(in, MAX_LABELS + 1);
    for (size_t i = 0; i < m->n; i++) {
        m->names[i] = label_names[pick(in, 6)];
        any_text(in, &m->store[i]);
        m->values[i] = m->store[i].s;
    }
    m->e = (struct promc__exemplar){m->n, m->names, m->values, any_double(in), any_time(in)};
}

/* The escaped rendering a family's child carries: a="x",b="y". */
static void render(struct series_m *s)
{
    char *p = s->rendered;
    for (size_t i = 0; i < s->nlabels; i++) {
        p += sprintf(p, "%s%s=\"", i ? "," : "", s->names[i]);
        for (const char *v = s->values[i]; *v; v++) {
            if (*v == '\\' || *v == '"' || *v == '\n') {
                *p++ = '\\';
                *p++ = *v == '\n' ? 'n' : *v;
            } else {
                *p++ = *v;
            }
        }
        *p++ = '"';
    }
    *p = '\0';
}

static void any_series(struct input *in, promc_type type, struct series_m *s)
{
    memset(s, 0, sizeof *s);
    s->nlabels = pick(in, MAX_LABELS + 1);
    for (size_t i = 0; i < s->nlabels; i++) {
        s->names[i] = label_names[i * 2 + pick(in, 2)];
        any_text(in, &s->vstore[i]);
        s->values[i] = s->vstore[i].s;
    }
    render(s);
    s->raw = pick(in, 2);
    s->ls = (struct promc__labels){s->rendered, strlen(s->rendered),       s->nlabels,
                                   s->names,    s->raw ? s->values : NULL, false};
    s->x.labels = &s->ls;
    s->x.created = pick(in, 2) ? any_time(in) : 0;
    if (pick(in, 2))
        s->x.value = promc__vu(u64(in) >> pick(in, 64));
    else
        s->x.value = promc__vd(any_double(in));
    switch (type) {
    case PROMC_COUNTER:
        s->has_ex = pick(in, 2);
        if (s->has_ex) {
            any_exemplar(in, &s->ex);
            s->x.exemplar = &s->ex.e;
        }
        break;
    case PROMC_INFO:
        s->x.value = promc__vu(1);
        break;
    case PROMC_HISTOGRAM: {
        size_t nb = pick(in, MAX_BOUNDS + 1);
        uint64_t c = 0;
        for (size_t i = 0; i < nb; i++) {
            s->bounds[i] = (i ? s->bounds[i - 1] : -2.0) + 0.25 + byte(in);
            c += byte(in);
            s->cum[i] = c;
        }
        s->with_bex = pick(in, 2);
        for (size_t i = 0; s->with_bex && i <= nb; i++) {
            if (pick(in, 2)) {
                any_exemplar(in, &s->bex[i]);
                s->bexp[i] = &s->bex[i].e;
            }
        }
        s->hd = (struct promc__histogram_data){
            nb,   s->bounds,    s->cum,         NULL,
            NULL, c + byte(in), any_double(in), s->with_bex ? s->bexp : NULL,
            NULL};
        s->native = pick(in, 2);
        if (s->native) {
            struct promc__native_data *n = &s->nd;
            n->schema = (int32_t)(pick(in, 13)) - 4;
            if (pick(in, 4) == 0)
                n->schema = (int32_t)(uint32_t)u64(in);
            n->zero_threshold = pick(in, 2) ? any_double(in) : 0;
            n->zero_count = pick(in, 2) ? u64(in) >> pick(in, 64) : 0;
            n->nneg_spans = pick(in, MAX_SPANS + 1);
            n->npos_spans = pick(in, MAX_SPANS + 1);
            for (size_t i = 0; i < MAX_SPANS; i++) {
                s->neg[i] = (struct promc__span){(int32_t)(uint32_t)u64(in), byte(in)};
                s->pos[i] = (struct promc__span){(int32_t)(int8_t)byte(in), byte(in) % 4};
            }
            n->nneg = pick(in, MAX_DELTAS + 1);
            n->npos = pick(in, MAX_DELTAS + 1);
            for (size_t i = 0; i < MAX_DELTAS; i++) {
                s->negd[i] = (int64_t)u64(in);
                s->posd[i] = (int64_t)(int8_t)byte(in);
            }
            n->neg_spans = s->neg;
            n->pos_spans = s->pos;
            n->neg_deltas = s->negd;
            n->pos_deltas = s->posd;
            n->nexemplars = pick(in, MAX_EX + 1);
            for (size_t i = 0; i < n->nexemplars; i++) {
                any_exemplar(in, &s->nex[i]);
                s->nexv[i] = s->nex[i].e;
            }
            n->exemplars = s->nexv;
            s->hd.native = n;
        }
        s->x.hist = &s->hd;
        break;
    }
    case PROMC_SUMMARY: {
        size_t nq = pick(in, MAX_BOUNDS + 1);
        for (size_t i = 0; i < nq; i++) {
            s->qs[i] = byte(in) / 255.0;
            s->qv[i] = any_double(in);
        }
        s->sd = (struct promc__summary_data){nq, s->qs, s->qv, NULL, NULL, u64(in), any_double(in)};
        s->x.summary = &s->sd;
        break;
    }
    case PROMC_STATESET: {
        size_t ns = 1 + pick(in, MAX_STATES);
        for (size_t i = 0; i < ns; i++) {
            any_text(in, &s->sstore[i]);
            s->states[i] = s->sstore[i].s;
        }
        s->ssd = (struct promc__stateset_data){ns, s->states, NULL, pick(in, (unsigned)ns + 1)};
        s->x.stateset = &s->ssd;
        break;
    }
    default:
        break;
    }
}

static void build(struct input *in)
{
    static const promc_type types[] = {PROMC_COUNTER,  PROMC_GAUGE, PROMC_HISTOGRAM, PROMC_SUMMARY,
                                       PROMC_STATESET, PROMC_INFO,  PROMC_UNTYPED};
    nfams = pick(in, MAX_FAMILIES + 1);
    for (size_t f = 0; f < nfams; f++) {
        struct family_m *m = &fams[f];
        memset(m, 0, sizeof *m);
        promc_type t = types[pick(in, 7)];
        snprintf(m->name, sizeof m->name, "f%zu_%c", f, "xyz"[pick(in, 3)]);
        any_text(in, &m->help);
        bool unit = pick(in, 3) == 0;
        if (unit)
            snprintf(m->unit, sizeof m->unit, "u%u", pick(in, 10));
        m->d = (struct promc__desc){m->name, m->help.s, unit ? m->unit : NULL, t};
        m->nseries = pick(in, MAX_SERIES + 1);
        for (size_t i = 0; i < m->nseries; i++)
            any_series(in, t, &m->s[i]);
    }
}

/* ===================================================================== */
/* Listings                                                               */
/* ===================================================================== */

struct listing {
    char *p;
    size_t len, cap;
};

static void put(struct listing *l, const char *s, size_t n)
{
    if (l->len + n + 1 > l->cap) {
        size_t cap = l->cap ? l->cap : 4096;
        while (l->len + n + 1 > cap)
            cap *= 2;
        l->p = realloc(l->p, cap);
        if (!l->p)
            abort();
        l->cap = cap;
    }
    memcpy(l->p + l->len, s, n);
    l->len += n;
    l->p[l->len] = '\0';
}

static void putf(struct listing *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct listing *l, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put(l, buf, (size_t)n);
}

/* A string with its length, so any byte may appear. */
static void put_str(struct listing *l, const char *tag, const char *s, size_t n)
{
    putf(l, "%s%zu:", tag, n);
    put(l, s, n);
    put(l, "\n", 1);
}

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* ---- what the model says ------------------------------------------------ */

static void model_time(struct listing *l, const char *tag, double t)
{
    /* google.protobuf.Timestamp: whole seconds (floor) and nanoseconds in
     * [0, 1e9); times outside years 1..9999 are not written. */
    if (!(t > -62135596800.0 && t < 253402300800.0))
        return;
    double sec = floor(t);
    long long s = (long long)sec, ns = llround((t - sec) * 1e9);
    if (ns == 1000000000) {
        s++;
        ns = 0;
    }
    putf(l, "%s %lld %lld\n", tag, s, ns);
}

static void model_exemplar(struct listing *l, const char *tag, const struct promc__exemplar *e)
{
    putf(l, "%s\n", tag);
    for (size_t i = 0; i < e->nlabels; i++) {
        put_str(l, " l", e->names[i], strlen(e->names[i]));
        put_str(l, " v", e->values[i], strlen(e->values[i]));
    }
    putf(l, " value %016llx\n", (unsigned long long)bits(e->value));
    if (e->timestamp != 0)
        model_time(l, " ts", e->timestamp);
}

static void model_labels(struct listing *l, const struct series_m *s)
{
    for (size_t i = 0; i < s->nlabels; i++) {
        put_str(l, "l", s->names[i], strlen(s->names[i]));
        put_str(l, "v", s->values[i], strlen(s->values[i]));
    }
}

static double value_of(struct promc__value v)
{
    return v.kind == PROMC__V_UINT ? (double)v.u : v.d;
}

static void model(struct listing *l, bool created)
{
    for (size_t f = 0; f < nfams; f++) {
        const struct family_m *m = &fams[f];
        if (!m->nseries)
            continue;
        promc_type t = m->d.type;
        char name[32];
        size_t nl = strlen(m->name);
        const char *suffix = t == PROMC_COUNTER ? "_total" : t == PROMC_INFO ? "_info" : "";
        memcpy(name, m->name, nl);
        memcpy(name + nl, suffix, strlen(suffix) + 1);
        int pt = t == PROMC_COUNTER     ? 0
                 : t == PROMC_SUMMARY   ? 2
                 : t == PROMC_UNTYPED   ? 3
                 : t == PROMC_HISTOGRAM ? 4
                                        : 1;
        put_str(l, "family ", name, strlen(name));
        put_str(l, "help ", m->help.s, strlen(m->help.s));
        putf(l, "type %d\n", pt);
        if (m->d.unit)
            put_str(l, "unit ", m->d.unit, strlen(m->d.unit));
        for (size_t i = 0; i < m->nseries; i++) {
            const struct series_m *s = &m->s[i];
            if (t == PROMC_STATESET) {
                for (size_t k = 0; k < s->ssd.nstates; k++) {
                    put(l, "metric\n", 7);
                    model_labels(l, s);
                    put_str(l, "l", m->name, strlen(m->name));
                    put_str(l, "v", s->states[k], strlen(s->states[k]));
                    putf(l, "gauge %016llx\n",
                         (unsigned long long)bits(k == s->ssd.current ? 1.0 : 0.0));
                }
                continue;
            }
            put(l, "metric\n", 7);
            model_labels(l, s);
            bool ct = created && s->x.created != 0;
            switch (t) {
            case PROMC_COUNTER:
                putf(l, "counter %016llx\n", (unsigned long long)bits(value_of(s->x.value)));
                if (s->has_ex)
                    model_exemplar(l, " exemplar", &s->ex.e);
                if (ct)
                    model_time(l, " created", s->x.created);
                break;
            case PROMC_UNTYPED:
                putf(l, "untyped %016llx\n", (unsigned long long)bits(value_of(s->x.value)));
                break;
            case PROMC_SUMMARY:
                putf(l, "summary %llu %016llx\n", (unsigned long long)s->sd.count,
                     (unsigned long long)bits(s->sd.sum));
                for (size_t k = 0; k < s->sd.nquantiles; k++)
                    putf(l, " q %016llx %016llx\n", (unsigned long long)bits(s->qs[k]),
                         (unsigned long long)bits(s->qv[k]));
                if (ct)
                    model_time(l, " created", s->x.created);
                break;
            case PROMC_HISTOGRAM: {
                const struct promc__histogram_data *h = &s->hd;
                putf(l, "histogram %llu %016llx\n", (unsigned long long)h->count,
                     (unsigned long long)bits(h->sum));
                for (size_t k = 0; k < h->nbounds; k++) {
                    putf(l, " bucket %llu %016llx\n", (unsigned long long)h->cumulative[k],
                         (unsigned long long)bits(h->bounds[k]));
                    if (h->exemplars && h->exemplars[k])
                        model_exemplar(l, "  exemplar", h->exemplars[k]);
                }
                if (h->exemplars && h->exemplars[h->nbounds]) {
                    putf(l, " bucket %llu %016llx\n", (unsigned long long)h->count,
                         (unsigned long long)bits(INFINITY));
                    model_exemplar(l, "  exemplar", h->exemplars[h->nbounds]);
                }
                if (h->native) {
                    const struct promc__native_data *n = h->native;
                    putf(l, " schema %d zt %016llx zc %llu\n", n->schema,
                         (unsigned long long)bits(n->zero_threshold),
                         (unsigned long long)n->zero_count);
                    for (size_t k = 0; k < n->nneg_spans; k++)
                        putf(l, " nspan %d %u\n", n->neg_spans[k].offset, n->neg_spans[k].length);
                    for (size_t k = 0; k < n->nneg; k++)
                        putf(l, " ndelta %lld\n", (long long)n->neg_deltas[k]);
                    for (size_t k = 0; k < n->npos_spans; k++)
                        putf(l, " pspan %d %u\n", n->pos_spans[k].offset, n->pos_spans[k].length);
                    if (!n->npos_spans && !n->nneg_spans && n->zero_threshold == 0 &&
                        n->zero_count == 0)
                        putf(l, " pspan 0 0\n");
                    for (size_t k = 0; k < n->npos; k++)
                        putf(l, " pdelta %lld\n", (long long)n->pos_deltas[k]);
                }
                if (ct)
                    model_time(l, " created", s->x.created);
                if (h->native)
                    for (size_t k = 0; k < h->native->nexemplars; k++)
                        model_exemplar(l, " nexemplar", &h->native->exemplars[k]);
                break;
            }
            default: /* gauge, info */
                putf(l, "gauge %016llx\n", (unsigned long long)bits(value_of(s->x.value)));
                break;
            }
        }
    }
}

/* ---- what the decoder reads --------------------------------------------- */

/* A cursor over one message's bytes. */
struct msg {
    const uint8_t *p, *end;
};

static void bad(const char *what)
{
    fprintf(stderr, "fuzz_protobuf: invalid stream: %s\n", what);
    abort();
}

static uint64_t rd_varint(struct msg *m)
{
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (m->p >= m->end)
            bad("varint runs past the end");
        uint8_t b = *m->p++;
        if (i == 9 && b > 1)
            bad("varint over 64 bits");
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            if (i > 0 && b == 0)
                bad("varint not in its shortest form");
            return v;
        }
    }
    bad("varint longer than ten bytes");
    return 0;
}

/* The next field: its number and wire type; false at the end. */
static bool rd_tag(struct msg *m, uint32_t *field, unsigned *wire)
{
    if (m->p == m->end)
        return false;
    uint64_t t = rd_varint(m);
    *field = (uint32_t)(t >> 3);
    *wire = (unsigned)(t & 7);
    if (t >> 3 == 0 || t >> 32)
        bad("field number");
    return true;
}

static void want_wire(unsigned wire, unsigned want)
{
    if (wire != want)
        bad("wire type");
}

static double rd_double(struct msg *m, unsigned wire)
{
    want_wire(wire, 1);
    if (m->end - m->p < 8)
        bad("fixed64 runs past the end");
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = u << 8 | m->p[i];
    m->p += 8;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static struct msg rd_len(struct msg *m, unsigned wire)
{
    want_wire(wire, 2);
    uint64_t n = rd_varint(m);
    if (n > (uint64_t)(m->end - m->p))
        bad("length runs past the end");
    struct msg sub = {m->p, m->p + n};
    m->p += n;
    return sub;
}

static int64_t unzig(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static void dec_label(struct listing *l, struct msg m, const char *indent)
{
    struct msg name = {0}, value = {0};
    bool hn = false, hv = false;
    uint32_t f;
    unsigned w;
    while (rd_tag(&m, &f, &w)) {
        if (f == 1 && !hn) {
            name = rd_len(&m, w);
            hn = true;
        } else if (f == 2 && !hv) {
            value = rd_len(&m, w);
            hv = true;
        } else {
            bad("LabelPair field");
        }
    }
    if (!hn || !hv)
        bad("LabelPair without name or value");
    char tag[8];
    snprintf(tag, sizeof tag, "%sl", indent);
    put_str(l, tag, (const char *)name.p, (size_t)(name.end - name.p));
    snprintf(tag, sizeof tag, "%sv", indent);
    put_str(l, tag, (const char *)value.p, (size_t)(value.end - value.p));
}

static void dec_time(struct listing *l, const char *tag, struct msg m)
{
    long long s = 0, ns = 0;
    uint32_t f;
    unsigned w;
    while (rd_tag(&m, &f, &w)) {
        want_wire(w, 0);
        if (f == 1)
            s = (long long)rd_varint(&m);
        else if (f == 2)
            ns = (long long)rd_varint(&m);
        else
            bad("Timestamp field");
    }
    if (ns < 0 || ns > 999999999)
        bad("Timestamp nanos out of range");
    putf(l, "%s %lld %lld\n", tag, s, ns);
}

static void dec_exemplar(struct listing *l, const char *tag, struct msg m)
{
    putf(l, "%s\n", tag);
    struct listing labels = {0};
    double value = 0;
    bool ts = false;
    struct msg tm = {0};
    uint32_t f;
    unsigned w;
    while (rd_tag(&m, &f, &w)) {
        if (f == 1)
            dec_label(&labels, rd_len(&m, w), " ");
        else if (f == 2)
            value = rd_double(&m, w);
        else if (f == 3 && !ts) {
            tm = rd_len(&m, w);
            ts = true;
        } else
            bad("Exemplar field");
    }
    if (labels.len)
        put(l, labels.p, labels.len);
    free(labels.p);
    putf(l, " value %016llx\n", (unsigned long long)bits(value));
    if (ts)
        dec_time(l, " ts", tm);
}

/* Counter, Gauge, Untyped. */
static void dec_value(struct listing *l, const char *kind, struct msg m, bool counter)
{
    double v = 0;
    struct msg ex = {0}, ct = {0};
    bool hex = false, hct = false;
    uint32_t f;
    unsigned w;
    while (rd_tag(&m, &f, &w)) {
        if (f == 1)
            v = rd_double(&m, w);
        else if (counter && f == 2 && !hex) {
            ex = rd_len(&m, w);
            hex = true;
        } else if (counter && f == 3 && !hct) {
            ct = rd_len(&m, w);
            hct = true;
        } else
            bad("value message field");
    }
    putf(l, "%s %016llx\n", kind, (unsigned long long)bits(v));
    if (hex)
        dec_exemplar(l, " exemplar", ex);
    if (hct)
        dec_time(l, " created", ct);
}

static void dec_summary(struct listing *l, struct msg m)
{
    uint64_t count = 0;
    double sum = 0;
    struct listing qs = {0};
    struct msg ct = {0};
    bool hct = false;
    uint32_t f;
    unsigned w;
    while (rd_tag(&m, &f, &w)) {
        if (f == 1) {
            want_wire(w, 0);
            count = rd_varint(&m);
        } else if (f == 2) {
            sum = rd_double(&m, w);
        } else if (f == 3) {
            struct msg q = rd_len(&m, w);
            double qq = 0, qv = 0;
            uint32_t qf;
            unsigned qw;
            while (rd_tag(&q, &qf, &qw)) {
                if (qf == 1)
                    qq = rd_double(&q, qw);
                else if (qf == 2)
                    qv = rd_double(&q, qw);
                else
                    bad("Quantile field");
            }
            putf(&qs, " q %016llx %016llx\n", (unsigned long long)bits(qq),
                 (unsigned long long)bits(qv));
        } else if (f == 4 && !hct) {
            ct = rd_len(&m, w);
            hct = true;
        } else {
            bad("Summary field");
        }
    }
    putf(l, "summary %llu %016llx\n", (unsigned long long)count, (unsigned long long)bits(sum));
    if (qs.len)
        put(l, qs.p, qs.len);
    free(qs.p);
    if (hct)
        dec_time(l, " created", ct);
}

static void dec_span(struct listing *l, const char *tag, struct msg m)
{
    int32_t off = 0;
    uint32_t len = 0;
    uint32_t f;
    unsigned w;
    while (rd_tag(&m, &f, &w)) {
        want_wire(w, 0);
        uint64_t v = rd_varint(&m);
        if (f == 1) {
            if (v > UINT32_MAX)
                bad("sint32 over 32 bits");
            off = (int32_t)unzig(v);
        } else if (f == 2) {
            if (v > UINT32_MAX)
                bad("uint32 over 32 bits");
            len = (uint32_t)v;
        } else {
            bad("BucketSpan field");
        }
    }
    putf(l, " %s %d %u\n", tag, off, len);
}

static void dec_histogram(struct listing *l, struct msg m)
{
    uint64_t count = 0, zc = 0;
    double sum = 0, zt = 0;
    int32_t schema = 0;
    bool native = false, hct = false;
    struct listing buckets = {0}, nspan = {0}, ndelta = {0}, pspan = {0}, pdelta = {0}, nex = {0};
    struct msg ct = {0};
    uint32_t f;
    unsigned w;
    while (rd_tag(&m, &f, &w)) {
        switch (f) {
        case 1:
            want_wire(w, 0);
            count = rd_varint(&m);
            break;
        case 2:
            sum = rd_double(&m, w);
            break;
        case 3: {
            struct msg b = rd_len(&m, w);
            uint64_t cc = 0;
            double ub = 0;
            struct msg ex = {0};
            bool hex = false;
            uint32_t bf;
            unsigned bw;
            while (rd_tag(&b, &bf, &bw)) {
                if (bf == 1) {
                    want_wire(bw, 0);
                    cc = rd_varint(&b);
                } else if (bf == 2) {
                    ub = rd_double(&b, bw);
                } else if (bf == 3 && !hex) {
                    ex = rd_len(&b, bw);
                    hex = true;
                } else {
                    bad("Bucket field");
                }
            }
            putf(&buckets, " bucket %llu %016llx\n", (unsigned long long)cc,
                 (unsigned long long)bits(ub));
            if (hex)
                dec_exemplar(&buckets, "  exemplar", ex);
            break;
        }
        case 5: {
            want_wire(w, 0);
            uint64_t v = rd_varint(&m);
            if (v > UINT32_MAX)
                bad("sint32 over 32 bits");
            schema = (int32_t)unzig(v);
            native = true;
            break;
        }
        case 6:
            zt = rd_double(&m, w);
            native = true;
            break;
        case 7:
            want_wire(w, 0);
            zc = rd_varint(&m);
            native = true;
            break;
        case 9:
            dec_span(&nspan, "nspan", rd_len(&m, w));
            native = true;
            break;
        case 10:
            want_wire(w, 0);
            putf(&ndelta, " ndelta %lld\n", (long long)unzig(rd_varint(&m)));
            native = true;
            break;
        case 12:
            dec_span(&pspan, "pspan", rd_len(&m, w));
            native = true;
            break;
        case 13:
            want_wire(w, 0);
            putf(&pdelta, " pdelta %lld\n", (long long)unzig(rd_varint(&m)));
            native = true;
            break;
        case 15:
            if (hct)
                bad("created twice");
            ct = rd_len(&m, w);
            hct = true;
            break;
        case 16:
            dec_exemplar(&nex, " nexemplar", rd_len(&m, w));
            break;
        default:
            bad("Histogram field");
        }
    }
    putf(l, "histogram %llu %016llx\n", (unsigned long long)count, (unsigned long long)bits(sum));
    struct listing *parts[] = {&buckets, NULL, &nspan, &ndelta, &pspan, &pdelta};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (!parts[i]) {
            if (native)
                putf(l, " schema %d zt %016llx zc %llu\n", schema, (unsigned long long)bits(zt),
                     (unsigned long long)zc);
            continue;
        }
        if (parts[i]->len)
            put(l, parts[i]->p, parts[i]->len);
        free(parts[i]->p);
    }
    if (hct)
        dec_time(l, " created", ct);
    if (nex.len)
        put(l, nex.p, nex.len);
    free(nex.p);
}

static void dec_metric(struct listing *l, struct msg m, int type)
{
    put(l, "metric\n", 7);
    struct msg body = {0};
    int kind = 0;
    uint32_t f;
    unsigned w;
    while (rd_tag(&m, &f, &w)) {
        if (f == 1) {
            if (kind)
                bad("label after the value");
            dec_label(l, rd_len(&m, w), "");
        } else if (f == 2 || f == 3 || f == 4 || f == 5 || f == 7) {
            if (kind)
                bad("two values in a Metric");
            kind = (int)f;
            body = rd_len(&m, w);
        } else {
            bad("Metric field"); /* timestamp_ms is never written */
        }
    }
    static const int kind_of_type[] = {3, 2, 4, 5, 7};
    if (type < 0 || type > 4 || kind != kind_of_type[type])
        bad("value does not match the family type");
    switch (kind) {
    case 2:
        dec_value(l, "gauge", body, false);
        break;
    case 3:
        dec_value(l, "counter", body, true);
        break;
    case 4:
        dec_summary(l, body);
        break;
    case 5:
        dec_value(l, "untyped", body, false);
        break;
    default:
        dec_histogram(l, body);
        break;
    }
}

static void dec_family(struct listing *l, struct msg m)
{
    struct msg name = {0}, help = {0}, unit = {0};
    bool hn = false, hh = false, ht = false, hu = false;
    int type = -1;
    struct listing metrics = {0};
    uint32_t f;
    unsigned w;
    while (rd_tag(&m, &f, &w)) {
        if (f == 1 && !hn) {
            name = rd_len(&m, w);
            hn = true;
        } else if (f == 2 && !hh) {
            help = rd_len(&m, w);
            hh = true;
        } else if (f == 3 && !ht) {
            want_wire(w, 0);
            type = (int)rd_varint(&m);
            ht = true;
        } else if (f == 4 && ht) {
            dec_metric(&metrics, rd_len(&m, w), type);
        } else if (f == 5 && !hu) {
            unit = rd_len(&m, w);
            hu = true;
        } else {
            bad("MetricFamily field");
        }
    }
    if (!hn || !hh || !ht || !metrics.len)
        bad("MetricFamily without name, help, type or metrics");
    put_str(l, "family ", (const char *)name.p, (size_t)(name.end - name.p));
    put_str(l, "help ", (const char *)help.p, (size_t)(help.end - help.p));
    putf(l, "type %d\n", type);
    if (hu)
        put_str(l, "unit ", (const char *)unit.p, (size_t)(unit.end - unit.p));
    put(l, metrics.p, metrics.len);
    free(metrics.p);
}

/* The delimited stream: (uvarint length, MetricFamily)*. */
static void decode(struct listing *l, const uint8_t *p, size_t n)
{
    if (!n)
        return;
    struct msg all = {p, p + n};
    while (all.p < all.end)
        dec_family(l, rd_len(&all, 2));
}

/* ===================================================================== */
/* The target                                                             */
/* ===================================================================== */

static void compare(const char *what, const struct listing *want, const struct listing *got)
{
    if (want->len == got->len && (!want->len || memcmp(want->p, got->p, want->len) == 0))
        return;
    fprintf(stderr, "fuzz_protobuf: %s differs\n--- model\n%.6000s\n--- decoded\n%.6000s\n", what,
            want->p ? want->p : "", got->p ? got->p : "");
    abort();
}

/* Part 2: a registry scraped through the public API. */
static int collect(promc_emitter *e, void *ud)
{
    const struct family_m *m = ud;
    if (promc_emit_family(e, "c_gauge", m->help.s, PROMC_GAUGE, NULL) != PROMC_OK)
        return 0;
    for (size_t i = 0; i < m->nseries; i++) {
        promc_label l[MAX_LABELS];
        for (size_t k = 0; k < m->s[i].nlabels; k++)
            l[k] = (promc_label){m->s[i].names[k], m->s[i].values[k]};
        promc_emit_sample(e, l, m->s[i].nlabels, value_of(m->s[i].x.value));
    }
    return 0;
}

static void public_api(struct input *in)
{
    promc_registry *r = promc_registry_new();
    if (!r)
        abort();
    promc_registry_set_created(r, 0);
    promc_counter_vec *v = promc_counter_vec_new(r, "p", "P \\ \"h\"\n", PROMC_LABELS("k"), NULL);
    struct text vals[3];
    for (size_t i = 0; i < 3; i++)
        any_text(in, &vals[i]);
    double adds[3] = {byte(in), byte(in) / 4.0, 0};
    struct listing want = {0}, got = {0};
    for (size_t i = 0; i < 3; i++) {
        promc_counter *c = promc_counter_vec_labels(v, vals[i].s);
        if (c)
            promc_counter_add(c, adds[i]);
    }
    /* The model: children in creation order, the same value once per label
     * value (a repeated value adds to the first child). */
    double sum[3] = {0};
    size_t order[3], n = 0;
    for (size_t i = 0; i < 3; i++) {
        size_t k = 0;
        while (k < n && strcmp(vals[order[k]].s, vals[i].s) != 0)
            k++;
        if (k == n)
            order[n++] = i;
        sum[k] += adds[i];
    }
    put_str(&want, "family ", "p_total", 7);
    put_str(&want, "help ", "P \\ \"h\"\n", 8);
    putf(&want, "type 0\n");
    for (size_t k = 0; k < n; k++) {
        put(&want, "metric\n", 7);
        put_str(&want, "l", "k", 1);
        put_str(&want, "v", vals[order[k]].s, strlen(vals[order[k]].s));
        putf(&want, "counter %016llx\n", (unsigned long long)bits(sum[k]));
    }
    /* A collector's gauges with distinct label sets (the first family's
     * series when it has labels to tell them apart, else none). */
    struct family_m *cm = nfams ? &fams[0] : NULL;
    promc_metric *col = NULL;
    if (cm && cm->nseries == 1) {
        col = promc_collector_new(r, collect, cm, NULL, NULL);
        if (col) {
            bool dup_names = false;
            for (size_t a = 0; a < cm->s[0].nlabels; a++)
                for (size_t b = a + 1; b < cm->s[0].nlabels; b++)
                    dup_names |= strcmp(cm->s[0].names[a], cm->s[0].names[b]) == 0;
            bool valid = promc__valid_utf8(cm->help.s, strlen(cm->help.s)) && !dup_names;
            for (size_t a = 0; a < cm->s[0].nlabels; a++)
                valid &= promc__valid_utf8(cm->s[0].values[a], strlen(cm->s[0].values[a]));
            if (valid) {
                put_str(&want, "family ", "c_gauge", 7);
                put_str(&want, "help ", cm->help.s, strlen(cm->help.s));
                putf(&want, "type 1\n");
                put(&want, "metric\n", 7);
                /* In the order given, as the text format shows them. */
                for (size_t a = 0; a < cm->s[0].nlabels; a++) {
                    const char *nm = cm->s[0].names[a], *vv = cm->s[0].values[a];
                    put_str(&want, "l", nm, strlen(nm));
                    put_str(&want, "v", vv, strlen(vv));
                }
                putf(&want, "gauge %016llx\n",
                     (unsigned long long)bits(value_of(cm->s[0].x.value)));
            }
        }
    }
    size_t len = 0;
    char *body = promc_encode_buffer(r, PROMC_FORMAT_PROTOBUF, &len);
    if (body) {
        decode(&got, (const uint8_t *)body, len);
        /* Invalid UTF-8 label values are refused at lookup; the model only
         * holds what was accepted when every value is valid. */
        bool all_valid = true;
        for (size_t i = 0; i < 3; i++)
            all_valid &= promc__valid_utf8(vals[i].s, strlen(vals[i].s));
        if (all_valid)
            compare("registry scrape", &want, &got);
        promc_free(body);
    }
    free(want.p);
    free(got.p);
    promc_metric_free(col);
    promc_counter_vec_free(v);
    promc_registry_free(r);
}

static int writer(void *ctx, const char *data, size_t len)
{
    put(ctx, data, len);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size};
    size_t storage_size = (size_t[]){0, 1, 64, 1000, 16384}[pick(&in, 5)];
    bool created = pick(&in, 2);
    build(&in);

    struct listing bytes = {0};
    void *storage = storage_size ? malloc(storage_size) : NULL;
    struct promc__protobuf_sink p;
    promc__protobuf_sink_init(&p, writer, &bytes, storage, storage_size);
    p.base.created = created;
    for (size_t f = 0; f < nfams; f++) {
        promc__sink_family(&p.base, &fams[f].d);
        for (size_t i = 0; i < fams[f].nseries; i++)
            promc__sink_series(&p.base, &fams[f].s[i].x);
    }
    if (p.base.ops->finish(&p.base) != PROMC_OK)
        abort();
    free(storage);

    struct listing want = {0}, got = {0};
    model(&want, created);
    decode(&got, (const uint8_t *)bytes.p, bytes.len);
    compare("sink output", &want, &got);
    free(want.p);
    free(got.p);
    free(bytes.p);

    public_api(&in);
    return 0;
}

/* Seeds for replay.c's random mode: byte programs that reach every type. */
const char *const *fuzz_seed_inputs(size_t *n)
{
    static const char *const seeds[] = {
        "\x04\x01\x06\x00\x03"
        "ab\x01\x02\x01\x01"
        "x\x01\x05\x01\x09\x09\x09\x09\x09\x09\x09\x09",
        "\x02\x01\x05\x02\x02"
        "hh\x00\x02\x02\x01\x02"
        "a\"\x01\x01\x07\x01\x01\x01\x01\x01\x01\x01"
        "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01",
        "\x03\x00\x06\x03\x03\x05\x05\x03\x02\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c"
        "\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f",
        "\x01\x01\x01\x04\x01\x01\x01\x03\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e"
        "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01",
        "\x00\x01\x06\x05\x01\x00\x04\x06\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01",
        "",
    };
    *n = sizeof seeds / sizeof seeds[0];
    return seeds;
}
