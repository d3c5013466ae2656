/*
 * The sink interface: how samples travel from what produces them (families
 * of the built-in types, custom collectors, the library's own series) to what
 * consumes them (the text and OpenMetrics encoders, get_sample_value's
 * matcher). A producer hands over a family header, then one structured
 * series at a time -- a counter's value, a histogram's buckets with their
 * bounds, a summary's quantiles, a stateset's states -- and the sink decides
 * what that looks like. A new exposition format is a new sink; nothing that
 * produces samples changes.
 */
#ifndef PROMC_SINK_H
#define PROMC_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "promc.h"

/* Family metadata. */
struct promc__desc {
    const char *name; /* base name: counters without _total, infos without _info */
    const char *help; /* raw, may be "" */
    const char *unit; /* NULL or the unit */
    promc_type type;
};

/* A label set: the pre-escaped body `a="x",b="y"` (no braces; "" when there
 * are no labels) for the text sinks, and the names with their raw values
 * (values NULL: read them back from the rendering) for matching. The body
 * holds the names as given: when utf8_names says one of them is not a
 * legacy label name, a sink writes the names itself (escaped or quoted),
 * reading each value after its name, whose length it knows. */
struct promc__labels {
    const char *rendered;
    size_t rendered_len;
    size_t n;
    const char *const *names;
    const char *const *values;
    bool utf8_names;
};

extern const struct promc__labels promc__no_labels;

/* A sample value: an exact integer or a double. */
enum promc__vkind { PROMC__V_DOUBLE, PROMC__V_UINT };

struct promc__value {
    enum promc__vkind kind;
    uint64_t u;
    double d;
};

static inline struct promc__value promc__vd(double d)
{
    struct promc__value v = {PROMC__V_DOUBLE, 0, d};
    return v;
}

static inline struct promc__value promc__vu(uint64_t u)
{
    struct promc__value v = {PROMC__V_UINT, u, 0};
    return v;
}

static inline double promc__value_double(struct promc__value v)
{
    return v.kind == PROMC__V_UINT ? (double)v.u : v.d;
}

/* An exemplar: a small label set (raw names and values, UTF-8), the value
 * it was recorded with and when (seconds since the epoch; 0 = no timestamp). */
struct promc__exemplar {
    size_t nlabels;
    const char *const *names;
    const char *const *values;
    double value;
    double timestamp;
};

/* A run of consecutive native-histogram buckets: offset is the gap to the
 * previous span's end (for the first span, the index of its first bucket). */
struct promc__span {
    int32_t offset;
    uint32_t length;
};

/* The sparse (native, exponential) buckets of a histogram series: the
 * schema, the zero bucket, and per sign the spans and the count deltas of the
 * buckets they cover (each bucket's count minus the previous one's, the first
 * against 0), in increasing bucket index, as the protobuf format carries them.
 * exemplars: the most recent ones kept for the native buckets, oldest first. */
struct promc__native_data {
    int32_t schema;
    double zero_threshold;
    uint64_t zero_count;
    size_t npos_spans, nneg_spans;
    const struct promc__span *pos_spans, *neg_spans;
    size_t npos, nneg;
    const int64_t *pos_deltas, *neg_deltas;
    size_t nexemplars;
    const struct promc__exemplar *exemplars;
};

/* A histogram series: nbounds finite upper bounds and their cumulative
 * counts; the +Inf bucket is count. le_text/le_om: the nbounds + 1 le values
 * as each format writes them, pre-rendered, or NULL to render from bounds.
 * A native-only histogram has nbounds 0 (the text formats show the +Inf
 * bucket, _count and _sum, as client_golang does). exemplars: NULL, or
 * nbounds + 1 entries (the last for +Inf), each NULL when the bucket has
 * none. native: NULL for a classic-only histogram. */
struct promc__histogram_data {
    size_t nbounds;
    const double *bounds;
    const uint64_t *cumulative;
    const char *const *le_text;
    const char *const *le_om;
    uint64_t count;
    double sum;
    const struct promc__exemplar *const *exemplars;
    const struct promc__native_data *native;
};

/* A summary series: nquantiles quantiles and their values (q_text/q_om as
 * le_*), count and sum. */
struct promc__summary_data {
    size_t nquantiles;
    const double *quantiles;
    const double *qvalues;
    const char *const *q_text;
    const char *const *q_om;
    uint64_t count;
    double sum;
};

/* A stateset series: the states (raw, and escaped as label values or NULL
 * to escape on the fly) and the index of the current one; the state label is
 * named after the family. */
struct promc__stateset_data {
    size_t nstates;
    const char *const *states;
    const char *const *states_escaped;
    size_t current;
};

/* One series of the current family: what every type has, and a pointer to
 * what the family's type adds (small, because a scrape builds one for every
 * series). Pointers are valid during the call. */
struct promc__series {
    const struct promc__labels *labels;
    double created; /* seconds since the epoch; 0 = none */
    /* An explicit timestamp on every sample of the series (custom
     * collectors' *_ts emit calls only), milliseconds since the epoch. */
    bool timestamped;
    int64_t timestamp_ms;
    /* counter, gauge, untyped (info: always 1) */
    struct promc__value value;
    /* counter: its exemplar, or NULL */
    const struct promc__exemplar *exemplar;
    union {
        const struct promc__histogram_data *hist;
        const struct promc__summary_data *summary;
        const struct promc__stateset_data *stateset;
    };
};

struct promc__sink;

struct promc__sink_ops {
    /* Starts a family; its series follow. */
    void (*family)(struct promc__sink *s, const struct promc__desc *d);
    /* One series of the current family. */
    void (*series)(struct promc__sink *s, const struct promc__series *x);
    /* Ends the exposition (flushes what is buffered); returns the sink's
     * error (PROMC_OK, or PROMC_EIO when the writer failed). */
    int (*finish)(struct promc__sink *s);
};

/* The part every sink shares; a sink embeds it first. */
struct promc__sink {
    const struct promc__sink_ops *ops;
    int error;                      /* the first failure of the sink; once set, it writes nothing */
    bool created;                   /* the registry wants _created samples */
    promc_escaping escaping;        /* how names outside the legacy grammars are written */
    const struct promc__desc *desc; /* the current family */
};

static inline void promc__sink_family(struct promc__sink *s, const struct promc__desc *d)
{
    s->desc = d;
    s->ops->family(s, d);
}

static inline void promc__sink_series(struct promc__sink *s, const struct promc__series *x)
{
    if (!s->error)
        s->ops->series(s, x);
}

#endif
