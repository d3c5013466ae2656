/*
 * What the modules of lib/ share: the family (struct promc_metric) and child
 * layout every metric type builds on, the encoder interface collectors emit
 * into, validation and escaping helpers, and the per-thread error message.
 * Nothing here is part of the public API; nothing here is exported from the
 * shared library.
 */
#ifndef PROMC_INTERNAL_H
#define PROMC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "promc.h"

#include "alloc.h"
#include "format_number.h"

/* ===================================================================== */
/* Errors                                                                 */
/* ===================================================================== */

/* Records code and a printf-style message as the thread's last error and
 * returns code, so that `return promc__fail(PROMC_EINVAL, "...")` reads well. */
int promc__fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, for constructors: records and returns NULL. */
void *promc__fail_null(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clears the thread's last error (successful calls that report status). */
void promc__ok(void);

/* ===================================================================== */
/* Validation and escaping                                                */
/* ===================================================================== */

bool promc__valid_metric_name(const char *s);
bool promc__valid_label_name(const char *s); /* grammar and no "__" prefix */
bool promc__valid_utf8(const char *s, size_t len);
/* Escaped length of a label value (\\, \", \n) or a HELP text (\\, \n and,
 * with quote, \"). */
size_t promc__escaped_len(const char *s, bool quote);
/* Writes the escaped form of s into out (sized by promc__escaped_len) and
 * returns the number of bytes written. */
size_t promc__escape(char *out, const char *s, bool quote);
/* A heap copy of v as text 0.0.4 (canonical=false) or OpenMetrics renders
 * it, for le/quantile label values computed once at creation. */
char *promc__render_number(double v, bool canonical);
/* Frees n strings and the array holding them (NULL ok). */
void promc__free_strings(char **v, size_t n);
/* Checks help (non-empty UTF-8) and records an error naming `name`. */
int promc__check_help(const char *name, const char *help);

/* ===================================================================== */
/* Growable buffer                                                        */
/* ===================================================================== */

struct promc__buf {
    char *p; /* NUL-terminated once anything was appended */
    size_t len, cap;
    bool oom; /* an append failed; later appends are no-ops */
};

void promc__buf_put(struct promc__buf *b, const char *s, size_t n);
/* Empties the buffer, keeping its memory for reuse. */
static inline void promc__buf_reset(struct promc__buf *b)
{
    b->len = 0;
    b->oom = false;
    if (b->p)
        b->p[0] = '\0';
}
void promc__buf_str(struct promc__buf *b, const char *s);
/* RFC 4648 base64 with '=' padding; url_safe selects the §5 alphabet. */
void promc__buf_base64(struct promc__buf *b, const unsigned char *s, size_t n, bool url_safe);
/* Drops the first done bytes of an iovec array after a partial write,
 * advancing *iov and decrementing *n past the vectors fully written. */
void promc__iov_consume(struct iovec **iov, int *n, size_t done);
/* A promc_write_fn appending to a struct promc__buf (ctx). */
int promc__buf_writer(void *ctx, const char *data, size_t len);

/* A read-write lock that does not starve writers (glibc: writer preference;
 * a thread must then never take the same read lock twice). */
void promc__rwlock_init(pthread_rwlock_t *lock);

/* ===================================================================== */
/* Time                                                                   */
/* ===================================================================== */

/* Wall-clock seconds since the epoch (for _created and set_to_current_time). */
double promc__now(void);
/* Monotonic nanoseconds (for timers). */
int64_t promc__mono_ns(void);
/* Tests replace the wall clock to get reproducible _created samples. */
extern double (*promc__clock)(void);

/* ===================================================================== */
/* Atomic double helpers                                                  */
/* ===================================================================== */

static inline double promc__bits_to_double(uint64_t u)
{
    union {
        uint64_t u;
        double d;
    } x = {.u = u};
    return x.d;
}

static inline uint64_t promc__double_to_bits(double d)
{
    union {
        uint64_t u;
        double d;
    } x = {.d = d};
    return x.u;
}

/* Adds v to a double kept as bits, with a CAS loop: `+=` on an _Atomic
 * double would become a libatomic call with gcc. Relaxed: a value cell orders
 * nothing else. */
static inline void promc__atomic_add_double(_Atomic uint64_t *cell, double v)
{
    uint64_t old = atomic_load_explicit(cell, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(
        cell, &old, promc__double_to_bits(promc__bits_to_double(old) + v), memory_order_relaxed,
        memory_order_relaxed))
        ;
}

/* ===================================================================== */
/* Encoder: the one place that turns samples into bytes                   */
/* ===================================================================== */

/* A label set as collectors hand it to the encoder: the pre-escaped body
 * `a="x",b="y"` (no braces; "" when there are no labels) for rendering, and
 * the names (and raw values, or NULL to read them back from the rendering)
 * for get_sample_value matching. */
struct promc__labels {
    const char *rendered;
    size_t rendered_len;
    size_t n;
    const char *const *names;
    const char *const *values;
};

/* One additional label after the set: le, quantile, or a stateset's state. */
struct promc__extra {
    const char *name;
    const char *raw;  /* unescaped value, for matching */
    const char *text; /* escaped value as written in text 0.0.4 */
    const char *om;   /* escaped value as written in OpenMetrics */
};

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

/* Family metadata as the encoder needs it. */
struct promc__desc {
    const char *name; /* base name: counters without _total, infos without _info */
    const char *help; /* raw */
    const char *unit; /* NULL or unit */
    promc_type type;
};

struct promc__match; /* get_sample_value's query */

/* An encoder writes into a buffer it flushes to a writer; in match mode it
 * writes nothing and looks for one sample instead. */
typedef struct promc__enc {
    promc_format format;
    promc_write_fn write;
    void *ctx;
    char *buf;
    size_t len, cap;
    int error; /* first error; once set, everything is a no-op */
    const struct promc__desc *family;
    size_t name_len; /* strlen(family->name) */
    struct promc__match *match;
    promc_registry *registry;
    bool created; /* emit _created in OpenMetrics */
    char **seen;  /* sample names custom collectors emitted in this scrape */
    size_t nseen, capseen;
} promc__enc;

void promc__enc_init(promc__enc *e, promc_format format, promc_write_fn fn, void *ctx, char *buf,
                     size_t cap);
/* Starts a family: HELP/TYPE(/UNIT) lines. */
void promc__enc_family(promc__enc *e, const struct promc__desc *d);
/* One sample line: <name><suffix>{labels,extra} value. suffix may be "". */
void promc__enc_sample(promc__enc *e, const char *suffix, const struct promc__labels *ls,
                       const struct promc__extra *extra, struct promc__value v);
/* _sum and _count of a histogram or summary child. OpenMetrics requires Sum
 * to be a counter (never NaN or negative, and absent when a bucket bound is
 * negative) and Count present exactly when Sum is, so there both are left
 * out in those cases; text 0.0.4 always has both. */
void promc__enc_sum_count(promc__enc *e, const struct promc__labels *ls, double sum, uint64_t count,
                          bool negative_bounds);
/* One summary quantile sample; OpenMetrics forbids negative quantile values,
 * so those are left out there. */
void promc__enc_quantile(promc__enc *e, const struct promc__labels *ls,
                         const struct promc__extra *q, double value);
/* _created for the current child, OpenMetrics only (no-op in text). */
void promc__enc_created(promc__enc *e, const struct promc__labels *ls, double created);
/* Ends the exposition (# EOF in OpenMetrics) and flushes. Returns the error. */
int promc__enc_finish(promc__enc *e);
/* Appends raw bytes. */
void promc__enc_put(promc__enc *e, const char *s, size_t n);

/* ===================================================================== */
/* Families (metrics) and children                                       */
/* ===================================================================== */

struct promc__child {
    struct promc_metric *family;
    struct promc__child *hnext; /* hash chain */
    struct promc__child *next;  /* creation order */
    uint32_t hash;
    uint32_t rendered_len; /* the escaped label body follows the type's struct */
    double created;
};

struct promc__ops {
    promc_type type;
    /* Prepares a freshly zeroed child (allocating what it needs). */
    int (*init_child)(struct promc_metric *m, struct promc__child *c);
    /* Releases what init_child allocated (not the child itself). */
    void (*fini_child)(struct promc_metric *m, struct promc__child *c);
    /* Emits one child's samples; the family header is already written. */
    void (*collect_child)(struct promc_metric *m, struct promc__child *c, promc__enc *e,
                          const struct promc__labels *ls);
    /* Emits the whole family (custom collectors); when set, replaces the
     * header + collect_child walk. Returns 0 or non-zero on failure. */
    int (*collect)(struct promc_metric *m, promc__enc *e);
    /* Releases the type's family data. */
    void (*fini)(struct promc_metric *m);
};

struct promc_metric {
    const struct promc__ops *ops;
    atomic_size_t refs;
    struct promc__desc desc;
    char *name, *help, *unit; /* owned copies behind desc */
    size_t nlabels;
    char **label_names;
    size_t *label_name_len;
    size_t child_size; /* bytes of a child of this type, a multiple of 8 */

    uint64_t id;           /* unique for the process, never reused */
    atomic_uint gen;       /* bumped by every removal (lookup caches) */
    pthread_rwlock_t lock; /* children table and list */
    struct promc__child **table;
    size_t table_size; /* power of two */
    size_t nchildren;
    struct promc__child *first, *last;
    struct promc__child *root; /* the handle *_new returned */
    size_t max_children;
    atomic_uint_fast64_t refused;

    /* Names this family emits, for duplicate detection (NULL-terminated). */
    char **claims;

    void *type_data; /* per type: buckets, objectives, states, collector */
};

/* Creates a family: validates name/help/labels (reserved: a label name the
 * type reserves, or NULL), copies them, registers in reg. The root child is
 * created (and, for an unlabelled family, is its one series). */
struct promc_metric *promc__family_new(promc_registry *reg, const struct promc__ops *ops,
                                       const char *name, const char *help,
                                       const char *const *label_names, const char *unit,
                                       size_t max_children, size_t child_size, const char *reserved,
                                       void *type_data);
/* A new family id (families of collectors too). */
uint64_t promc__new_family_id(void);
/* Child lookup/creation by label values (the warm path). */
struct promc__child *promc__family_labels(struct promc_metric *m, const char *const *values,
                                          size_t n);
int promc__family_remove(struct promc_metric *m, const char *const *values, size_t n);
void promc__family_clear(struct promc_metric *m);
void promc__metric_ref(struct promc_metric *m);
void promc__metric_unref(struct promc_metric *m);
/* Writes the family header and every child. */
int promc__family_collect(struct promc_metric *m, promc__enc *e);
/* Empty labels for unlabelled samples. */
extern const struct promc__labels promc__no_labels;
/* A child's rendered label body: name="escaped",... (NUL-terminated). */
static inline const char *promc__child_rendered(const struct promc__child *c)
{
    return (const char *)c + c->family->child_size;
}

/* The labels view of a child (values NULL: read them from the rendering). */
static inline struct promc__labels promc__child_labels(const struct promc__child *c)
{
    struct promc__labels ls = {promc__child_rendered(c), c->rendered_len, c->family->nlabels,
                               (const char *const *)c->family->label_names, NULL};
    return ls;
}

/* Compares raw with the escaped label value at *pp (just after its opening
 * quote); when equal, advances *pp past the closing quote. */
bool promc__escaped_equal(const char **pp, const char *raw);

/* Resolves a typed handle to its family, or NULL. */
static inline struct promc_metric *promc__family_of(const void *handle)
{
    return handle ? ((const struct promc__child *)handle)->family : NULL;
}

/* The suffixes a type's samples add to the family name ("", "_total"...). */
const char *const *promc__type_suffixes(promc_type type);
/* Builds a claim list from suffixes ("", "_total", ...) for base name. */
char **promc__claims_new(const char *base, const char *const *suffixes);
void promc__claims_free(char **claims);

struct promc__claim {
    const char *name; /* points into the owner's claims */
    struct promc_metric *owner;
};

struct promc_registry {
    pthread_rwlock_t lock;       /* writers: (un)register; readers: scrapes */
    struct promc_metric **items; /* registration order */
    size_t n, cap;
    struct promc__claim *claims; /* open addressing, power-of-two size */
    size_t claims_size, claims_used;
    size_t default_max_children;
    atomic_int created;
};

/* Is `name` claimed by a metric of this registry other than `self`?
 * Returns the owner's name for messages, or NULL. Caller holds reg's lock. */
const char *promc__registry_claimed(promc_registry *reg, const char *name,
                                    const struct promc_metric *self);
promc_registry *promc__registry_resolve(promc_registry *reg);

/* Histogram-style hot/cold counts, shared by histogram and summary: buckets
 * (non-cumulative, the last is +Inf), a count and a sum, double-buffered so a
 * scrape reads a consistent snapshot while observers keep going. */
struct promc__hotcold {
    _Atomic uint64_t count_and_hot; /* bit 63: hot index; low bits: observations started */
    struct promc__counts *counts[2];
};

struct promc__counts {
    _Atomic uint64_t sum_bits;
    _Atomic uint64_t buckets[]; /* their total is the completed observations */
};

size_t promc__hotcold_size(size_t nbuckets);
/* Lays the two count arrays out in mem (promc__hotcold_size bytes, zeroed). */
void promc__hotcold_init(struct promc__hotcold *hc, void *mem, size_t nbuckets);
void promc__hotcold_observe(struct promc__hotcold *hc, size_t bucket, double v);
/* Snapshot into buckets (nbuckets, non-cumulative), count and sum. Callers of
 * the same hotcold must serialise (the family's snapshot mutex). */
void promc__hotcold_snapshot(struct promc__hotcold *hc, size_t nbuckets, uint64_t *buckets,
                             uint64_t *count, double *sum);

#endif /* PROMC_INTERNAL_H */
