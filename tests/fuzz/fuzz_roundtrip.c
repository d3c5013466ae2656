/*
 * Fuzz target for the exposition encoders and everything that feeds them: a
 * round trip through the public API. The input is a small program: create
 * metrics of every type (names, help, units, label names and values,
 * buckets, objectives, states drawn from the input), look children up,
 * update, remove and clear them, ask for a registered metric again (it must
 * come back), unregister and register again, change the registry's
 * defaults, and register custom collectors that emit a scripted
 * list of families and samples. The target keeps a model of what the API
 * accepted. The registry is then encoded in text 0.0.4 and OpenMetrics
 * 1.0.0, and a strict parser written here from docs/FORMATS.md reads each
 * output back: it must hold exactly the model -- families in registration
 * order, series in creation order, the same labels and values, every
 * number spelt as Go's shortest form (canonical in OpenMetrics), nothing
 * invalid or duplicated, a collector's series repeated in one family
 * refused with PROMC_EEXIST and left out -- and the scrape must return the
 * first error of the collectors' emit calls (PROMC_OK if none), having
 * written every valid family all the same. Some values are also looked up
 * with promc_registry_get_sample_value. Any broken invariant aborts.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "promc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

#define MAX_OPS           64
#define MAX_FAMILIES      12
#define MAX_LABELS        3
#define MAX_CHILDREN      8
#define MAX_BOUNDS        16 /* the 14 default buckets fit */
#define MAX_OBJECTIVES    3
#define MAX_STATES        4
#define MAX_OBS           64
#define MAX_CALLS         10
#define MAX_SERIES_LABELS (MAX_LABELS + 1) /* and le, quantile or the state */
#define ARENA_BYTES       (16u << 20)

/* The exposition being checked, shown when a check fails. */
static const char *current_output;

/* Wall-clock seconds, as the library reads them for _created (time() may
 * lag a clock tick behind). */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *what, const char *detail)
{
    if (current_output)
        fprintf(stderr, "fuzz_roundtrip: output:\n%.4000s\n", current_output);
    fprintf(stderr, "fuzz_roundtrip: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

/* ===================================================================== */
/* Per-input memory                                                       */
/* ===================================================================== */

/* Every string of one input (model and parsed output) lives here; reset
 * before each input. */
static char arena[ARENA_BYTES];
static size_t arena_used;

static char *arena_alloc(size_t n)
{
    if (n > ARENA_BYTES - arena_used)
        fail("arena exhausted", NULL);
    char *p = arena + arena_used;
    arena_used += n;
    return p;
}

static const char *arena_strndup(const char *s, size_t n)
{
    char *p = arena_alloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* ===================================================================== */
/* Reading the input                                                      */
/* ===================================================================== */

struct input {
    const uint8_t *p;
    size_t n;
};

/* The next byte, less one (so that a seed meaning 0 is written 1, and
 * seeds are C strings without NULs); 0 once the input is used up. */
static unsigned byte(struct input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return (uint8_t)(*in->p++ - 1);
}

static unsigned pick(struct input *in, unsigned n)
{
    return byte(in) % n;
}

/* A string from the pool, or (for bytes from 0xe0) up to 31 raw bytes. */
static const char *string(struct input *in, const char *const *pool, size_t npool)
{
    unsigned b = byte(in);
    if (b < 0xe0)
        return pool[b % npool];
    size_t len = b & 0x1f;
    if (len > in->n)
        len = in->n;
    const char *s = arena_strndup((const char *)in->p, len); /* a NUL ends it early */
    in->p += len;
    in->n -= len;
    return s;
}

#define STRING(in, pool) string((in), (pool), sizeof(pool) / sizeof(pool)[0])

/* clang-format off */
static const char *const metric_names[] = {"a", "a_total", "a_info", "b", "b_seconds",
    "c_bytes_total", "x:y", "_", ":", "le", "a_created", "a_bucket", "a_count", "a_sum", "a_b",
    "9a", "", "a-b", "_total", "b_info", "quantile", "state", "promc_children_refused"};
/* clang-format on */
static const char *const label_names[] = {"a",  "b",  "le", "quantile", "__a", "_",
                                          "a9", "9a", "",   "x:y",      "job", "state"};
static const char *const label_values[] = {"",     "GET", "a\"b\\c\nd", "\xc3\xa9",    "\xff",
                                           "\r\t", "200", "x",          "\xed\xa0\x80"};
static const char *const helps[] = {"",         "Help.",  "a \\ b\nc \"d\"\\n", "\xe2\x82\xac",
                                    "\xc0\xaf", " lead ", "# HELP x y"};
static const char *const units[] = {"", "seconds", "bytes", "total", "info", "a:b", "s-", "b_c"};
static const char *const state_names[] = {"ok", "failed", "a\"b\\", "", "\xc3\xa9", "x", "\n"};

/* 2^62, 2^63 and 2^64 among them, and the edges of the double range. */
/* clang-format off */
static const double numbers[] = {0, -0.0, 1, -1, 0.5, 0.1, 2.5, 7, 100, 0.005, 1e-5, 1e-4, 123456,
    1234567, 1e6, 1e21, 1e-7, 0.3, 1e-300, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
    -1.7976931348623157e308, INFINITY, -INFINITY, NAN, 9007199254740993.0, 4611686018427387904.0,
    9223372036854775808.0, 18446744073709551616.0, 0.30000000000000004, 3.0e-5, -2.5e-10, 1e22,
    1e23, 8.41e21, 5e-310, 0.9, 0.99, 0.01};
/* clang-format on */

/* A double from the table, or (for bytes from 0xf0) eight raw bytes. */
static double number(struct input *in)
{
    unsigned b = byte(in);
    if (b < 0xf0)
        return numbers[b % (sizeof numbers / sizeof numbers[0])];
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits = bits << 8 | byte(in);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static uint64_t integer(struct input *in)
{
    static const uint64_t table[] = {0,
                                     1,
                                     2,
                                     1000,
                                     UINT64_C(9007199254740993),
                                     (UINT64_C(1) << 62) - 1,
                                     UINT64_C(1) << 62,
                                     UINT64_MAX};
    unsigned b = byte(in);
    if (b < 0xf0)
        return table[b % (sizeof table / sizeof table[0])];
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | byte(in);
    return v;
}

/* ===================================================================== */
/* Rules the output must follow, written independently of lib/            */
/* ===================================================================== */

static bool valid_utf8(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        unsigned c = *s, n, cp;
        if (c < 0x80) {
            s++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, cp = c & 0x07;
        } else {
            return false;
        }
        for (unsigned k = 1; k <= n; k++) {
            if ((s[k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[k] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        s += n + 1;
    }
    return true;
}

static bool name_char(char c, bool first, bool colon)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
           (!first && c >= '0' && c <= '9');
}

/* [a-zA-Z_:][a-zA-Z0-9_:]*; label names without ':' and "__". */
static bool valid_name(const char *s, size_t n, bool label)
{
    if (n == 0 || (label && n >= 2 && s[0] == '_' && s[1] == '_'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!name_char(s[i], i == 0, !label))
            return false;
    return true;
}

/* ------------------------------------------------------------------ */
/* Numbers: Go's strconv.FormatFloat(v, 'g', -1, 64), from printf       */
/* ------------------------------------------------------------------ */

static bool same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0 || (a == 0 && b == 0);
}

/* The shortest digits (in digits[], no point) that read back to v > 0, and
 * the decimal exponent of the first one. The correctly rounded string of
 * each length is tried, and its neighbours one unit above and below: at a
 * power of two the rounding interval is lopsided and a neighbour may read
 * back where the nearest does not. Returns false when two candidates of the
 * shortest length read back (the spelling is then not checked). */
static bool shortest_digits(double v, char digits[24], int *exp10)
{
    for (int prec = 1; prec <= 17; prec++) {
        char buf[40];
        snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
        uint64_t m = (uint64_t)(buf[0] - '0');
        for (int i = 2; i <= prec; i++)
            m = m * 10 + (uint64_t)(buf[i] - '0');
        int e = atoi(strchr(buf, 'e') + 1) - (prec - 1); /* v ~ m * 10^e */
        uint64_t cand[3] = {m, m + 1, m - 1};
        bool ok[3];
        for (int c = 0; c < 3; c++) {
            char t[48];
            snprintf(t, sizeof t, "%llue%d", (unsigned long long)cand[c], e);
            ok[c] = strtod(t, NULL) == v;
        }
        int c = ok[0] ? 0 : ok[1] && ok[2] ? -2 : ok[1] ? 1 : ok[2] ? 2 : -1;
        if (c == -1)
            continue;
        if (c == -2)
            return false;
        int len = snprintf(digits, 24, "%llu", (unsigned long long)cand[c]);
        *exp10 = e + len - 1; /* m + 1 may have gained a digit, m - 1 lost one */
        while (len > 1 && digits[len - 1] == '0')
            digits[--len] = '\0';
        return true;
    }
    fail("no shortest form", NULL);
    return false;
}

/* v as docs/FORMATS.md spells it (om: OpenMetrics canonical). False when
 * shortest_digits cannot decide. */
static bool spell(double v, bool om, char out[48])
{
    if (isnan(v)) {
        strcpy(out, "NaN");
        return true;
    }
    if (isinf(v)) {
        strcpy(out, v > 0 ? "+Inf" : "-Inf");
        return true;
    }
    if (v == 0) {
        strcpy(out, om ? "0.0" : "0");
        return true;
    }
    char d[24];
    int x;
    if (!shortest_digits(fabs(v), d, &x))
        return false;
    int nd = (int)strlen(d);
    char *p = out;
    if (v < 0)
        *p++ = '-';
    if (x < -4 || x >= 6) {
        *p++ = d[0];
        if (nd > 1) {
            *p++ = '.';
            memcpy(p, d + 1, (size_t)nd - 1);
            p += nd - 1;
        }
        p += sprintf(p, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
    } else if (x < 0) {
        *p++ = '0';
        *p++ = '.';
        for (int i = -1; i > x; i--)
            *p++ = '0';
        memcpy(p, d, (size_t)nd);
        p += nd;
    } else {
        for (int i = 0; i <= x; i++)
            *p++ = i < nd ? d[i] : '0';
        if (nd > x + 1) {
            *p++ = '.';
            memcpy(p, d + x + 1, (size_t)(nd - x - 1));
            p += nd - x - 1;
        }
    }
    *p = '\0';
    if (om && !strpbrk(out, ".e"))
        strcat(out, ".0");
    return true;
}

/* ===================================================================== */
/* The model                                                              */
/* ===================================================================== */

enum kind { K_COUNTER, K_GAUGE, K_HISTOGRAM, K_SUMMARY, K_ENUM, K_INFO, K_COLLECTOR };

struct child {
    const char *values[MAX_LABELS];
    void *handle;
    bool live;
    unsigned long order; /* creation sequence (a revival keeps it): the output order */
    bool exact;          /* counter: only whole increments, summed in whole */
    bool unsure;         /* counter: exact or not, depending on striping */
    uint64_t whole;
    bool known; /* gauge: value is what the calls made it */
    double value;
    uint64_t count, buckets[MAX_BOUNDS + 1]; /* histogram, summary */
    double sum;
    double obs[MAX_OBS]; /* summary */
    size_t nobs;
    bool many;
    double qtext[MAX_OBJECTIVES]; /* quantile values the text output gave */
    size_t state;                 /* enum */
};

enum call_kind { C_FAMILY, C_SAMPLE, C_HISTOGRAM, C_SUMMARY, C_STATESET };

/* One promc_emit_* call of a collector's script. */
struct call {
    enum call_kind what;
    const char *name, *help, *unit;
    promc_type type;
    promc_label labels[MAX_LABELS];
    size_t nlabels;
    double value;
    double bounds[4], quantiles[4], qvalues[4];
    uint64_t cumulative[4], count;
    size_t n; /* bounds, quantiles or states */
    double sum;
    const char *states[4];
    size_t current;
    int rc[3]; /* per scrape slot */
};

struct family {
    enum kind kind;
    promc_metric *metric;
    void *vec; /* the *_vec handle; NULL when unlabelled */
    const char *base, *help, *unit;
    const char *labels[MAX_LABELS];
    size_t nlabels;
    double bounds[MAX_BOUNDS];
    size_t nbounds;
    double quantiles[MAX_OBJECTIVES];
    size_t nq;
    const char *states[MAX_STATES];
    size_t nstates;
    struct child children[MAX_CHILDREN];
    size_t nchildren;
    size_t max_children;
    uint64_t refused;
    bool registered;
    unsigned long reg_order;
    struct call calls[MAX_CALLS]; /* collector */
    size_t ncalls;
    int ret;
};

static promc_registry *reg;
static struct family fams[MAX_FAMILIES];
static size_t nfams;
static unsigned long order_seq;
static size_t default_max;
static bool created_on;
static int slot; /* which scrape the collectors record their results for */
static double t_start;

static const char *fold(enum kind k, const char *name)
{
    const char *suffix = k == K_COUNTER ? "_total" : k == K_INFO ? "_info" : NULL;
    size_t len = strlen(name), sl = suffix ? strlen(suffix) : 0;
    if (suffix && len > sl && strcmp(name + len - sl, suffix) == 0)
        return arena_strndup(name, len - sl);
    return name;
}

static void child_reset(struct family *f, struct child *c)
{
    const char *values[MAX_LABELS];
    void *handle = c->handle;
    unsigned long order = c->order; /* a revived child keeps its place */
    memcpy(values, c->values, sizeof values);
    memset(c, 0, sizeof *c);
    memcpy(c->values, values, sizeof values);
    c->handle = handle;
    c->exact = c->known = c->live = true;
    c->order = order;
    (void)f;
}

static struct child *child_add(struct family *f, const char *const *values, void *handle)
{
    struct child *c = &f->children[f->nchildren++];
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < f->nlabels; i++)
        c->values[i] = values[i];
    c->handle = handle;
    child_reset(f, c);
    return c;
}

static size_t live_children(const struct family *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->nchildren; i++)
        n += f->children[i].live;
    return n;
}

static struct child *child_by_values(struct family *f, const char *const *values)
{
    for (size_t i = 0; i < f->nchildren; i++) {
        size_t k = 0;
        while (k < f->nlabels && strcmp(f->children[i].values[k], values[k]) == 0)
            k++;
        if (k == f->nlabels)
            return &f->children[i];
    }
    return NULL;
}

/* ===================================================================== */
/* Calls                                                                  */
/* ===================================================================== */

static bool labelled(enum kind k)
{
    return k == K_COUNTER || k == K_GAUGE || k == K_HISTOGRAM || k == K_SUMMARY || k == K_ENUM;
}

/* A whole increment of a counter (lib/counter.c): it goes to the integer
 * cell while cell and increment are below SPILL, and to the double cell
 * otherwise, after which the value prints as a double. */
#define SPILL (UINT64_C(1) << 61)

static void whole_add(struct child *c, uint64_t n)
{
    if (n && (n >= SPILL || c->whole >= SPILL))
        c->exact = false;
    else
        c->whole += n;
}

/* One update of a child through its handle (possibly a removed one). */
static void update(struct input *in, struct family *f, struct child *c)
{
    void *h = c->handle;
    double v;
    switch (f->kind) {
    case K_COUNTER: {
        unsigned op = pick(in, 3);
        if (op == 0) {
            promc_counter_inc(h);
            /* +1 on a thread's own stripe is unchecked, elsewhere it
             * spills at SPILL: which one depends on the striping. */
            if (c->whole >= SPILL)
                c->unsure = true;
            c->whole++;
        } else if (op == 1) {
            v = number(in);
            int rc = promc_counter_add(h, v);
            if ((rc == PROMC_OK) != (v >= 0))
                fail("promc_counter_add accepted a negative or NaN, or refused a value", NULL);
            if (rc == PROMC_OK && v < 9223372036854775808.0 && v == floor(v))
                whole_add(c, (uint64_t)v);
            else if (rc == PROMC_OK)
                c->exact = false;
        } else {
            uint64_t n = integer(in);
            promc_counter_add_int(h, n);
            whole_add(c, n);
        }
        break;
    }
    case K_GAUGE:
        switch (pick(in, 6)) {
        case 0:
            promc_gauge_set(h, v = number(in));
            c->value = v;
            c->known = true;
            break;
        case 1:
            promc_gauge_add(h, v = number(in));
            c->value += v;
            break;
        case 2:
            promc_gauge_sub(h, v = number(in));
            c->value -= v;
            break;
        case 3:
            promc_gauge_inc(h);
            c->value += 1;
            break;
        case 4:
            promc_gauge_dec(h);
            c->value -= 1;
            break;
        default:
            promc_gauge_set_to_current_time(h);
            c->known = false;
        }
        break;
    case K_HISTOGRAM:
        for (unsigned k = 1 + pick(in, 3); k; k--) {
            promc_histogram_observe(h, v = number(in));
            size_t b = 0;
            while (b < f->nbounds && !(v <= f->bounds[b]))
                b++;
            c->buckets[b]++;
            c->count++;
            c->sum += v;
        }
        break;
    case K_SUMMARY:
        for (unsigned k = 1 + pick(in, 3); k; k--) {
            promc_summary_observe(h, v = number(in));
            c->count++;
            c->sum += v;
            if (c->nobs < MAX_OBS)
                c->obs[c->nobs++] = v;
            else
                c->many = true;
        }
        break;
    case K_ENUM:
        if (byte(in) & 1) {
            const char *s = STRING(in, state_names);
            size_t i = 0;
            while (i < f->nstates && strcmp(f->states[i], s) != 0)
                i++;
            int rc = promc_enum_set(h, s);
            if ((rc == PROMC_OK) != (i < f->nstates))
                fail("promc_enum_set", s);
            if (rc == PROMC_OK)
                c->state = i;
        } else {
            size_t i = pick(in, MAX_STATES + 2);
            int rc = promc_enum_set_index(h, i);
            if ((rc == PROMC_OK) != (i < f->nstates))
                fail("promc_enum_set_index", NULL);
            if (rc == PROMC_OK)
                c->state = i;
        }
        break;
    default:
        break;
    }
}

static void *vec_labels(struct family *f, const char *const *values)
{
    switch (f->kind) {
    case K_COUNTER:
        return promc_counter_vec_labels_n(f->vec, values, f->nlabels);
    case K_GAUGE:
        return promc_gauge_vec_labels_n(f->vec, values, f->nlabels);
    case K_HISTOGRAM:
        return promc_histogram_vec_labels_n(f->vec, values, f->nlabels);
    case K_SUMMARY:
        return promc_summary_vec_labels_n(f->vec, values, f->nlabels);
    default:
        return promc_enum_vec_labels_n(f->vec, values, f->nlabels);
    }
}

static int vec_remove(struct family *f, const char *const *values)
{
    switch (f->kind) {
    case K_COUNTER:
        return promc_counter_vec_remove_n(f->vec, values, f->nlabels);
    case K_GAUGE:
        return promc_gauge_vec_remove_n(f->vec, values, f->nlabels);
    case K_HISTOGRAM:
        return promc_histogram_vec_remove_n(f->vec, values, f->nlabels);
    case K_SUMMARY:
        return promc_summary_vec_remove_n(f->vec, values, f->nlabels);
    default:
        return promc_enum_vec_remove_n(f->vec, values, f->nlabels);
    }
}

static int vec_clear(struct family *f)
{
    switch (f->kind) {
    case K_COUNTER:
        return promc_counter_vec_clear(f->vec);
    case K_GAUGE:
        return promc_gauge_vec_clear(f->vec);
    case K_HISTOGRAM:
        return promc_histogram_vec_clear(f->vec);
    case K_SUMMARY:
        return promc_summary_vec_clear(f->vec);
    default:
        return promc_enum_vec_clear(f->vec);
    }
}

static struct family *pick_family(struct input *in, bool vec)
{
    if (!nfams)
        return NULL;
    struct family *f = &fams[pick(in, (unsigned)nfams)];
    if (vec && !f->vec)
        return NULL;
    return f;
}

static void lookup(struct input *in)
{
    struct family *f = pick_family(in, true);
    if (!f || f->nchildren == MAX_CHILDREN)
        return;
    const char *values[MAX_LABELS];
    bool utf8 = true;
    for (size_t i = 0; i < f->nlabels; i++) {
        values[i] = STRING(in, label_values);
        utf8 &= valid_utf8(values[i]);
    }
    struct child *known = child_by_values(f, values);
    size_t nlive = live_children(f);
    void *h = vec_labels(f, values);
    if (!h) {
        int code = promc_last_error_code();
        if (code == PROMC_ELIMIT && f->max_children && nlive >= f->max_children &&
            !(known && known->live))
            f->refused++;
        else if (!(code == PROMC_EINVAL && !utf8))
            fail("a child lookup failed", promc_last_error());
        return;
    }
    if (!utf8)
        fail("a child lookup accepted invalid UTF-8", NULL);
    if (known && known->handle != h)
        fail("a child came back in other memory, or two handles for one label set", NULL);
    for (size_t i = 0; i < f->nchildren; i++)
        if (f->children[i].handle == h && &f->children[i] != known)
            fail("one handle for two label sets", NULL);
    if (!known && f->max_children && nlive >= f->max_children)
        fail("a child beyond the limit", NULL);
    struct child *c = known ? known : child_add(f, values, h);
    if (known && !known->live) {
        if (f->max_children && nlive >= f->max_children)
            fail("a child revived beyond the limit", NULL);
        child_reset(f, c);
    }
    update(in, f, c);
}

static void remove_child(struct input *in)
{
    struct family *f = pick_family(in, true);
    if (!f)
        return;
    const char *values[MAX_LABELS];
    bool utf8 = true;
    if (f->nchildren && byte(in) & 1) {
        memcpy(values, f->children[pick(in, (unsigned)f->nchildren)].values, sizeof values);
    } else {
        for (size_t i = 0; i < f->nlabels; i++)
            values[i] = STRING(in, label_values);
    }
    for (size_t i = 0; i < f->nlabels; i++)
        utf8 &= valid_utf8(values[i]);
    struct child *c = child_by_values(f, values);
    int rc = vec_remove(f, values);
    /* Values that are not UTF-8 are refused as by a lookup (promc.h:
     * "PROMC_EINVAL (as for labels)"), not merely not found. */
    int want = c && c->live ? PROMC_OK : utf8 ? PROMC_ENOENT : PROMC_EINVAL;
    if (rc != want)
        fail("remove: unexpected result", promc_last_error());
    if (c)
        c->live = false;
}

/* Releases removed children's memory: their handles die, so the model
 * forgets them. */
static void reclaim(struct family *f)
{
    if (promc_metric_reclaim_removed(f->metric) != PROMC_OK)
        fail("reclaim_removed", promc_last_error());
    size_t k = 0;
    for (size_t i = 0; i < f->nchildren; i++)
        if (f->children[i].live)
            f->children[k++] = f->children[i];
    f->nchildren = k;
}

static void registry_op(struct input *in)
{
    struct family *f = pick_family(in, false);
    int rc;
    switch (pick(in, 5)) {
    case 0:
        if (!f)
            break;
        rc = promc_registry_unregister(reg, f->metric);
        if (rc != (f->registered ? PROMC_OK : PROMC_ENOENT))
            fail("unregister", promc_last_error());
        f->registered = false;
        break;
    case 1:
        if (!f)
            break;
        rc = promc_registry_register(reg, f->metric);
        if (f->registered ? rc != PROMC_EEXIST : rc != PROMC_OK && rc != PROMC_EEXIST)
            fail("register", promc_last_error());
        if (!f->registered && rc == PROMC_OK) {
            f->registered = true;
            f->reg_order = ++order_seq;
        }
        break;
    case 2:
        default_max = pick(in, 4);
        if (promc_registry_set_max_children(reg, default_max) != PROMC_OK)
            fail("set_max_children", NULL);
        break;
    case 3:
        created_on = byte(in) & 1;
        if (promc_registry_set_created(reg, created_on) != PROMC_OK)
            fail("set_created", NULL);
        break;
    default:
        if (f && f->kind != K_COLLECTOR && f->kind != K_INFO)
            reclaim(f);
    }
}

/* ------------------------------------------------------------------ */
/* Creating metrics                                                    */
/* ------------------------------------------------------------------ */

static void create(struct input *in, enum kind k)
{
    if (nfams == MAX_FAMILIES)
        return;
    struct family *f = &fams[nfams];
    memset(f, 0, sizeof *f);
    f->kind = k;
    const char *name = STRING(in, metric_names);
    const char *help = byte(in) == 0xff ? NULL : STRING(in, helps);
    const char *unit = STRING(in, units);
    size_t max = pick(in, 4);
    bool vec = k != K_INFO && byte(in) & 1;
    const char *label_list[MAX_LABELS + 1] = {0};
    if (vec) {
        f->nlabels = 1 + pick(in, MAX_LABELS);
        for (size_t i = 0; i < f->nlabels; i++)
            label_list[i] = f->labels[i] = STRING(in, label_names);
    }
    promc_metric_opts mo = {.unit = unit, .max_children = max};
    void *h = NULL;
    switch (k) {
    case K_COUNTER:
        h = vec ? (void *)promc_counter_vec_new(reg, name, help, label_list, &mo)
                : (void *)promc_counter_new(reg, name, help, &mo);
        f->metric = !h ? NULL : vec ? promc_counter_vec_metric(h) : promc_counter_metric(h);
        break;
    case K_GAUGE:
        h = vec ? (void *)promc_gauge_vec_new(reg, name, help, label_list, &mo)
                : (void *)promc_gauge_new(reg, name, help, &mo);
        f->metric = !h ? NULL : vec ? promc_gauge_vec_metric(h) : promc_gauge_metric(h);
        break;
    case K_HISTOGRAM: {
        double b[MAX_BOUNDS];
        size_t nb = pick(in, 7);
        for (size_t i = 0; i < nb; i++)
            b[i] = number(in);
        bool dflt = byte(in) % 4 == 0;
        promc_histogram_opts ho = {
            .unit = unit, .max_children = max, .buckets = dflt ? NULL : b, .nbuckets = nb};
        h = vec ? (void *)promc_histogram_vec_new(reg, name, help, label_list, &ho)
                : (void *)promc_histogram_new(reg, name, help, &ho);
        f->metric = !h ? NULL : vec ? promc_histogram_vec_metric(h) : promc_histogram_metric(h);
        if (dflt) {
            memcpy(f->bounds, promc_default_buckets, sizeof promc_default_buckets);
            f->nbounds = PROMC_DEFAULT_BUCKETS_COUNT;
        } else {
            memcpy(f->bounds, b, nb * sizeof *b);
            f->nbounds = nb && isinf(b[nb - 1]) && b[nb - 1] > 0 ? nb - 1 : nb;
        }
        break;
    }
    case K_SUMMARY: {
        static const double qs[] = {0, 0.5, 0.9, 0.99, 1}, es[] = {0.05, 0.01, 0.001, 0.5};
        promc_objective obj[MAX_OBJECTIVES];
        size_t n = pick(in, MAX_OBJECTIVES + 1);
        for (size_t i = 0; i < n; i++) {
            unsigned b = byte(in);
            obj[i].quantile = b < 0x80 ? qs[b % 5] : number(in);
            obj[i].error = b & 1 ? es[(b >> 1) % 4] : number(in);
            f->quantiles[i] = obj[i].quantile;
        }
        f->nq = n;
        promc_summary_opts so = {
            .unit = unit, .max_children = max, .objectives = obj, .nobjectives = n};
        h = vec ? (void *)promc_summary_vec_new(reg, name, help, label_list, &so)
                : (void *)promc_summary_new(reg, name, help, &so);
        f->metric = !h ? NULL : vec ? promc_summary_vec_metric(h) : promc_summary_metric(h);
        break;
    }
    case K_ENUM: {
        const char *list[MAX_STATES + 1] = {0};
        f->nstates = pick(in, MAX_STATES + 1);
        for (size_t i = 0; i < f->nstates; i++)
            list[i] = f->states[i] = STRING(in, state_names);
        h = vec ? (void *)promc_enum_vec_new(reg, name, help, label_list, list, &mo)
                : (void *)promc_enum_new(reg, name, help, list, &mo);
        f->metric = !h ? NULL : vec ? promc_enum_vec_metric(h) : promc_enum_metric(h);
        break;
    }
    case K_INFO: {
        promc_label pairs[MAX_LABELS];
        f->nlabels = pick(in, MAX_LABELS + 1);
        for (size_t i = 0; i < f->nlabels; i++) {
            pairs[i].name = f->labels[i] = STRING(in, label_names);
            pairs[i].value = STRING(in, label_values);
        }
        h = promc_info_new(reg, name, help, pairs, f->nlabels, &mo);
        f->metric = promc_info_metric(h);
        if (h) {
            const char *values[MAX_LABELS];
            for (size_t i = 0; i < f->nlabels; i++)
                values[i] = pairs[i].value;
            child_add(f, values, h);
        }
        break;
    }
    default:
        break;
    }
    if (!h) {
        int code = promc_last_error_code();
        if (code != PROMC_EINVAL && code != PROMC_EEXIST)
            fail("a constructor failed with an unexpected code", promc_last_error());
        return;
    }
    if (!f->metric)
        fail("no metric for a new handle", NULL);
    /* Asked for again with the same definition: the registered metric
     * comes back, with a reference of this caller's own to release. */
    for (size_t i = 0; i < nfams; i++)
        if (fams[i].metric == f->metric) {
            if (!fams[i].registered || fams[i].kind != k)
                fail("a constructor handed back a metric that is not registered as this type",
                     name);
            if (promc_metric_free(f->metric) != PROMC_OK)
                fail("releasing a metric asked for again", promc_last_error());
            return;
        }
    f->base = fold(k, name);
    f->help = help;
    f->unit = *unit ? unit : NULL;
    /* A child limit is for labelled families: an unlabelled metric or an
     * info ignores it, and gets no promc_children_refused_total series. */
    f->max_children = k == K_INFO || !vec ? 0 : max ? max : default_max;
    f->registered = true;
    f->reg_order = ++order_seq;
    if (vec)
        f->vec = h;
    else if (k != K_INFO)
        update(in, f, child_add(f, NULL, h));
    nfams++;
}

/* ------------------------------------------------------------------ */
/* Collectors                                                          */
/* ------------------------------------------------------------------ */

static void call_labels(struct input *in, struct call *c)
{
    c->nlabels = pick(in, MAX_LABELS + 1);
    for (size_t i = 0; i < c->nlabels; i++) {
        c->labels[i].name = STRING(in, label_names);
        c->labels[i].value = STRING(in, label_values);
    }
}

static int collect(promc_emitter *e, void *userdata)
{
    struct family *f = userdata;
    for (size_t i = 0; i < f->ncalls; i++) {
        struct call *c = &f->calls[i];
        int rc;
        switch (c->what) {
        case C_FAMILY:
            rc = promc_emit_family(e, c->name, c->help, c->type, c->unit);
            break;
        case C_SAMPLE:
            rc = promc_emit_sample(e, c->labels, c->nlabels, c->value);
            break;
        case C_HISTOGRAM:
            rc = promc_emit_histogram(e, c->labels, c->nlabels, c->bounds, c->cumulative, c->n,
                                      c->count, c->sum);
            break;
        case C_SUMMARY:
            rc = promc_emit_summary(e, c->labels, c->nlabels, c->quantiles, c->qvalues, c->n,
                                    c->count, c->sum);
            break;
        default:
            rc = promc_emit_stateset(e, c->labels, c->nlabels, c->states, c->n, c->current);
            break;
        }
        if (slot < 3)
            c->rc[slot] = rc;
    }
    return f->ret;
}

static void create_collector(struct input *in)
{
    if (nfams == MAX_FAMILIES)
        return;
    struct family *f = &fams[nfams];
    memset(f, 0, sizeof *f);
    f->kind = K_COLLECTOR;
    f->ncalls = 1 + pick(in, MAX_CALLS);
    for (size_t i = 0; i < f->ncalls; i++) {
        struct call *c = &f->calls[i];
        c->what = i == 0 ? C_FAMILY : (enum call_kind)pick(in, 5);
        switch (c->what) {
        case C_FAMILY:
            c->name = STRING(in, metric_names);
            c->help = STRING(in, helps);
            c->unit = byte(in) & 1 ? STRING(in, units) : NULL;
            c->type = (promc_type)pick(in, 8); /* 7: no such type */
            break;
        case C_SAMPLE:
            call_labels(in, c);
            c->value = number(in);
            break;
        case C_HISTOGRAM: {
            call_labels(in, c);
            c->n = pick(in, 4);
            uint64_t cum = 0;
            for (size_t k = 0; k < c->n; k++) {
                c->bounds[k] = number(in);
                c->cumulative[k] = cum += pick(in, 3);
            }
            c->count = cum + pick(in, 3);
            if (byte(in) == 0xff) /* sometimes wrong on purpose */
                c->count = 0;
            c->sum = number(in);
            break;
        }
        case C_SUMMARY:
            call_labels(in, c);
            c->n = pick(in, 4);
            for (size_t k = 0; k < c->n; k++) {
                c->quantiles[k] = byte(in) & 1 ? number(in) : (double)(k + 1) / 4;
                c->qvalues[k] = number(in);
            }
            c->count = integer(in);
            c->sum = number(in);
            break;
        default:
            call_labels(in, c);
            c->n = pick(in, 4);
            for (size_t k = 0; k < c->n; k++)
                c->states[k] = STRING(in, state_names);
            c->current = pick(in, 4);
            break;
        }
    }
    f->ret = byte(in) == 0xff;
    f->metric = promc_collector_new(reg, collect, f, NULL, NULL);
    if (!f->metric) {
        if (promc_last_error_code() != PROMC_EEXIST)
            fail("promc_collector_new", promc_last_error());
        return;
    }
    f->registered = true;
    f->reg_order = ++order_seq;
    nfams++;
}

static void run(struct input *in)
{
    for (int op = 0; op < MAX_OPS && in->n; op++) {
        unsigned what = pick(in, 12);
        if (what <= K_INFO) {
            create(in, (enum kind)what);
        } else if (what == 6) {
            create_collector(in);
        } else if (what == 7 || what == 8) {
            lookup(in);
        } else if (what == 9) {
            struct family *f = pick_family(in, false);
            if (f && f->nchildren && labelled(f->kind)) /* maybe a removed child */
                update(in, f, &f->children[pick(in, (unsigned)f->nchildren)]);
        } else if (what == 10) {
            if (byte(in) & 1) {
                remove_child(in);
            } else {
                struct family *f = pick_family(in, true);
                if (f && vec_clear(f) != PROMC_OK)
                    fail("clear", promc_last_error());
                for (size_t i = 0; f && i < f->nchildren; i++)
                    f->children[i].live = false;
            }
        } else {
            registry_op(in);
        }
    }
}

/* ===================================================================== */
/* Expositions: the one the model expects, the one the parser reads       */
/* ===================================================================== */

enum vkind { V_UINT, V_DOUBLE, V_CREATED, V_QUANTILE };

struct sample {
    const char *name;
    const char *lname[MAX_SERIES_LABELS + 4], *lvalue[MAX_SERIES_LABELS + 4];
    size_t nlabels;
    /* expected */
    enum vkind kind;
    uint64_t u;
    double d;
    struct child *child; /* V_QUANTILE */
    size_t qi;
    bool either; /* V_DOUBLE that may also be written as an integer */
    /* read */
    const char *text;
    double value;
};

struct fam {
    const char *name, *type, *help, *unit;
    size_t first, count;
};

struct expo {
    struct fam fams[MAX_FAMILIES * MAX_CALLS + 2];
    size_t nfams;
    struct sample *s;
    size_t ns, cap;
};

static struct fam *new_fam(struct expo *e, const char *name, const char *type, const char *help,
                           const char *unit)
{
    if (e->nfams == sizeof e->fams / sizeof e->fams[0])
        fail("too many families", NULL);
    struct fam *f = &e->fams[e->nfams++];
    *f = (struct fam){name, type, help, unit, e->ns, 0};
    return f;
}

static struct sample *new_sample(struct expo *e, const char *name)
{
    if (e->ns == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 256;
        e->s = realloc(e->s, e->cap * sizeof *e->s);
        if (!e->s)
            abort();
    }
    struct sample *s = &e->s[e->ns++];
    memset(s, 0, sizeof *s);
    s->name = name;
    e->fams[e->nfams - 1].count++;
    return s;
}

static const char *concat(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = arena_alloc(la + lb + 1);
    memcpy(p, a, la);
    memcpy(p + la, b, lb + 1);
    return p;
}

/* ------------------------------------------------------------------ */
/* The expected one                                                    */
/* ------------------------------------------------------------------ */

static const char *spelt(double v, bool om)
{
    char buf[48];
    if (!spell(v, om, buf))
        snprintf(buf, sizeof buf, "%.17g", v); /* undecided: compared by value */
    return arena_strndup(buf, strlen(buf));
}

/* A sample with labels, plus an extra one (le, quantile, state) if xname. */
static struct sample *expect(struct expo *e, const char *name, const char *const *lnames,
                             const char *const *lvalues, size_t n, const char *xname,
                             const char *xvalue)
{
    struct sample *s = new_sample(e, name);
    for (size_t i = 0; i < n; i++) {
        s->lname[i] = lnames[i];
        s->lvalue[i] = lvalues[i];
    }
    s->nlabels = n;
    if (xname) {
        s->lname[n] = xname;
        s->lvalue[n] = xvalue;
        s->nlabels++;
    }
    return s;
}

static void set_u(struct sample *s, uint64_t u)
{
    s->kind = V_UINT;
    s->u = u;
}

static void set_d(struct sample *s, double d)
{
    s->kind = V_DOUBLE;
    s->d = d;
}

/* Text words and family names by type (docs/FORMATS.md). */
static const char *type_word(promc_type t, bool om)
{
    static const char *const text[] = {"counter", "gauge", "histogram", "summary",
                                       "gauge",   "gauge", "untyped"};
    static const char *const omw[] = {"counter",  "gauge", "histogram", "summary",
                                      "stateset", "info",  "unknown"};
    return om ? omw[t] : text[t];
}

static const char *family_name(const char *base, promc_type t, bool om)
{
    if (!om && t == PROMC_COUNTER)
        return concat(base, "_total");
    if (!om && t == PROMC_INFO)
        return concat(base, "_info");
    return base;
}

static void expect_histogram(struct expo *e, const char *base, const char *const *ln,
                             const char *const *lv, size_t n, const double *bounds, size_t nb,
                             const uint64_t *cumulative, uint64_t count, double sum, bool om)
{
    const char *bucket = concat(base, "_bucket");
    for (size_t i = 0; i <= nb; i++)
        set_u(expect(e, bucket, ln, lv, n, "le", spelt(i < nb ? bounds[i] : INFINITY, om)),
              i < nb ? cumulative[i] : count);
    if (om && ((nb && bounds[0] < 0) || !(sum >= 0)))
        return;
    set_d(expect(e, concat(base, "_sum"), ln, lv, n, NULL, NULL), sum);
    set_u(expect(e, concat(base, "_count"), ln, lv, n, NULL, NULL), count);
}

static void expect_created(struct expo *e, const char *base, const char *const *ln,
                           const char *const *lv, size_t n, bool om)
{
    if (om && created_on)
        expect(e, concat(base, "_created"), ln, lv, n, NULL, NULL)->kind = V_CREATED;
}

static void expect_metric(struct expo *e, struct family *f, bool om)
{
    static const promc_type types[] = {PROMC_COUNTER, PROMC_GAUGE,    PROMC_HISTOGRAM,
                                       PROMC_SUMMARY, PROMC_STATESET, PROMC_INFO};
    promc_type t = types[f->kind];
    new_fam(e, family_name(f->base, t, om), type_word(t, om), f->help, om ? f->unit : NULL);
    /* Live children in creation order. */
    struct child *order[MAX_CHILDREN];
    size_t n = 0;
    for (size_t i = 0; i < f->nchildren; i++)
        if (f->children[i].live) {
            size_t k = n++;
            while (k && order[k - 1]->order > f->children[i].order) {
                order[k] = order[k - 1];
                k--;
            }
            order[k] = &f->children[i];
        }
    const char *const *ln = f->labels;
    for (size_t i = 0; i < n; i++) {
        struct child *c = order[i];
        const char *const *lv = c->values;
        switch (f->kind) {
        case K_COUNTER: {
            struct sample *s = expect(e, concat(f->base, "_total"), ln, lv, f->nlabels, NULL, NULL);
            if (c->exact && !c->unsure)
                set_u(s, c->whole);
            else
                set_d(s, promc_counter_get(c->handle));
            s->either = c->exact && c->unsure;
            expect_created(e, f->base, ln, lv, f->nlabels, om);
            break;
        }
        case K_GAUGE: {
            double v = promc_gauge_get(c->handle);
            if (c->known && !same_double(v, c->value))
                fail("promc_gauge_get differs from the calls made", NULL);
            set_d(expect(e, f->base, ln, lv, f->nlabels, NULL, NULL), v);
            break;
        }
        case K_HISTOGRAM: {
            uint64_t cum[MAX_BOUNDS], total = 0;
            for (size_t b = 0; b < f->nbounds; b++)
                cum[b] = total += c->buckets[b];
            expect_histogram(e, f->base, ln, lv, f->nlabels, f->bounds, f->nbounds, cum, c->count,
                             c->sum, om);
            expect_created(e, f->base, ln, lv, f->nlabels, om);
            break;
        }
        case K_SUMMARY:
            for (size_t q = 0; q < f->nq; q++) {
                /* OpenMetrics leaves out negative quantile values: the text
                 * output, read first, said which. */
                if (om && c->qtext[q] < 0)
                    continue;
                struct sample *s =
                    expect(e, f->base, ln, lv, f->nlabels, "quantile", spelt(f->quantiles[q], om));
                if (om) {
                    set_d(s, c->qtext[q]);
                } else {
                    s->kind = V_QUANTILE;
                    s->child = c;
                    s->qi = q;
                }
            }
            if (!om || c->sum >= 0) {
                set_d(expect(e, concat(f->base, "_sum"), ln, lv, f->nlabels, NULL, NULL), c->sum);
                set_u(expect(e, concat(f->base, "_count"), ln, lv, f->nlabels, NULL, NULL),
                      c->count);
            }
            expect_created(e, f->base, ln, lv, f->nlabels, om);
            break;
        case K_ENUM:
            for (size_t st = 0; st < f->nstates; st++)
                set_u(expect(e, f->base, ln, lv, f->nlabels, f->base, f->states[st]),
                      st == c->state);
            break;
        default: /* info */
            set_u(expect(e, concat(f->base, "_info"), ln, lv, f->nlabels, NULL, NULL), 1);
            break;
        }
    }
}

static void expect_collector(struct expo *e, const struct family *f, bool om)
{
    const char *base = NULL;
    promc_type type = PROMC_UNTYPED;
    for (size_t i = 0; i < f->ncalls; i++) {
        const struct call *c = &f->calls[i];
        if (c->rc[om] != PROMC_OK)
            continue;
        const char *ln[MAX_LABELS], *lv[MAX_LABELS];
        for (size_t k = 0; k < c->nlabels; k++) {
            ln[k] = c->labels[k].name;
            lv[k] = c->labels[k].value;
        }
        size_t n = c->nlabels;
        if (c->what != C_FAMILY && !base)
            fail("a sample accepted outside a family", NULL);
        switch (c->what) {
        case C_FAMILY: {
            type = c->type;
            base = fold(type == PROMC_COUNTER ? K_COUNTER
                        : type == PROMC_INFO  ? K_INFO
                                              : K_GAUGE,
                        c->name);
            const char *unit = c->unit && *c->unit ? c->unit : NULL;
            new_fam(e, family_name(base, type, om), type_word(type, om), c->help, om ? unit : NULL);
            break;
        }
        case C_SAMPLE:
            if (type == PROMC_INFO)
                set_u(expect(e, concat(base, "_info"), ln, lv, n, NULL, NULL), 1);
            else
                set_d(expect(e, type == PROMC_COUNTER ? concat(base, "_total") : base, ln, lv, n,
                             NULL, NULL),
                      c->value);
            break;
        case C_HISTOGRAM:
            expect_histogram(e, base, ln, lv, n, c->bounds, c->n, c->cumulative, c->count, c->sum,
                             om);
            break;
        case C_SUMMARY:
            for (size_t q = 0; q < c->n; q++)
                if (!om || !(c->qvalues[q] < 0))
                    set_d(expect(e, base, ln, lv, n, "quantile", spelt(c->quantiles[q], om)),
                          c->qvalues[q]);
            if (!om || c->sum >= 0) {
                set_d(expect(e, concat(base, "_sum"), ln, lv, n, NULL, NULL), c->sum);
                set_u(expect(e, concat(base, "_count"), ln, lv, n, NULL, NULL), c->count);
            }
            break;
        default:
            for (size_t st = 0; st < c->n; st++)
                set_u(expect(e, base, ln, lv, n, base, c->states[st]), st == c->current);
            break;
        }
    }
}

static void expect_all(struct expo *e, bool om)
{
    struct family *order[MAX_FAMILIES];
    size_t n = 0;
    for (size_t i = 0; i < nfams; i++)
        if (fams[i].registered) {
            size_t k = n++;
            while (k && order[k - 1]->reg_order > fams[i].reg_order) {
                order[k] = order[k - 1];
                k--;
            }
            order[k] = &fams[i];
        }
    for (size_t i = 0; i < n; i++) {
        if (order[i]->kind == K_COLLECTOR)
            expect_collector(e, order[i], om);
        else
            expect_metric(e, order[i], om);
    }
    /* The library's own family, for members with a child limit. */
    bool header = false;
    for (size_t i = 0; i < n; i++) {
        if (!order[i]->max_children)
            continue;
        if (!header)
            new_fam(e, om ? "promc_children_refused" : "promc_children_refused_total", "counter",
                    "Label sets refused because the metric reached its child limit.", NULL);
        header = true;
        static const char *const metric[] = {"metric"};
        set_u(expect(e, "promc_children_refused_total", metric, &order[i]->base, 1, NULL, NULL),
              order[i]->refused);
    }
}

/* ------------------------------------------------------------------ */
/* The strict parser                                                   */
/* ------------------------------------------------------------------ */

struct parser {
    const char *p, *end; /* the current line */
    const char *line;
    bool om;
};

static void bad(const struct parser *ps, const char *what)
{
    const char *nl = memchr(ps->line, '\n', (size_t)(ps->end - ps->line));
    char excerpt[200];
    snprintf(excerpt, sizeof excerpt, "%.*s", (int)(nl ? nl - ps->line : ps->end - ps->line),
             ps->line);
    fail(what, excerpt);
}

static const char *name_token(struct parser *ps, bool label)
{
    const char *start = ps->p;
    while (ps->p < ps->end && name_char(*ps->p, ps->p == start, !label))
        ps->p++;
    if (!valid_name(start, (size_t)(ps->p - start), label))
        bad(ps, label ? "invalid label name" : "invalid metric name");
    return arena_strndup(start, (size_t)(ps->p - start));
}

static void expect_char(struct parser *ps, char c, const char *what)
{
    if (ps->p >= ps->end || *ps->p != c)
        bad(ps, what);
    ps->p++;
}

/* Unescapes up to stop ('"' for label values, '\n' for HELP). Allowed:
 * \\ and \n, and \" where quote. */
static const char *unescape(struct parser *ps, char stop, bool quote)
{
    char *out = arena_alloc((size_t)(ps->end - ps->p) + 1), *o = out;
    while (ps->p < ps->end && *ps->p != stop) {
        char c = *ps->p++;
        if (c == '\n' || (c == '"' && quote))
            bad(ps, "raw newline, or raw quote where it must be escaped");
        if (c != '\\') {
            *o++ = c;
            continue;
        }
        char x = ps->p < ps->end ? *ps->p++ : 0;
        if (x == '\\' || (x == '"' && quote))
            *o++ = x;
        else if (x == 'n')
            *o++ = '\n';
        else
            bad(ps, "invalid escape");
    }
    *o = '\0';
    if (!valid_utf8(out))
        bad(ps, "not UTF-8");
    return out;
}

static void read_value(struct parser *ps, struct sample *s)
{
    const char *start = ps->p;
    while (ps->p < ps->end && *ps->p != '\n')
        ps->p++;
    size_t n = (size_t)(ps->p - start);
    s->text = arena_strndup(start, n);
    if (!strcmp(s->text, "NaN"))
        s->value = NAN;
    else if (!strcmp(s->text, "+Inf"))
        s->value = INFINITY;
    else if (!strcmp(s->text, "-Inf"))
        s->value = -INFINITY;
    else {
        char *end;
        if (!n || strspn(s->text, "0123456789.e+-") != n)
            bad(ps, "invalid value");
        s->value = strtod(s->text, &end);
        if (*end)
            bad(ps, "invalid value");
    }
}

/* Does a sample name belong to the family (by type and format)? */
static bool belongs(const struct fam *f, const char *name, bool om)
{
    static const char *const plain[] = {"", NULL};
    static const char *const histogram[] = {"_bucket", "_sum", "_count", "_created", NULL};
    static const char *const summary[] = {"", "_sum", "_count", "_created", NULL};
    static const char *const counter[] = {"_total", "_created", NULL};
    static const char *const info[] = {"_info", NULL};
    const char *const *sfx = !strcmp(f->type, "histogram")       ? histogram
                             : !strcmp(f->type, "summary")       ? summary
                             : om && !strcmp(f->type, "counter") ? counter
                             : om && !strcmp(f->type, "info")    ? info
                                                                 : plain;
    size_t len = strlen(f->name);
    if (strncmp(name, f->name, len) != 0)
        return false;
    for (; *sfx; sfx++)
        if ((om || strcmp(*sfx, "_created") != 0) && !strcmp(name + len, *sfx))
            return true;
    return false;
}

/* The label a sample of this family must carry last (le, quantile, the
 * state), or NULL. */
static const char *extra_label(const struct fam *f, const char *name, bool om)
{
    size_t len = strlen(f->name);
    if (!strcmp(f->type, "histogram") && !strcmp(name + len, "_bucket"))
        return "le";
    if (!strcmp(f->type, "summary") && !name[len])
        return "quantile";
    if (om && !strcmp(f->type, "stateset"))
        return f->name;
    return NULL;
}

static void parse_sample(struct parser *ps, struct expo *e)
{
    struct fam *f = e->nfams ? &e->fams[e->nfams - 1] : NULL;
    const char *name = name_token(ps, false);
    if (!f || !f->help || !f->type)
        bad(ps, "sample before its family's header");
    if (!belongs(f, name, ps->om))
        bad(ps, "sample name not of its family");
    struct sample *s = new_sample(e, name);
    if (ps->p < ps->end && *ps->p == '{') {
        ps->p++;
        while (1) {
            if (s->nlabels == sizeof s->lname / sizeof s->lname[0])
                bad(ps, "too many labels");
            s->lname[s->nlabels] = name_token(ps, true);
            expect_char(ps, '=', "expected =");
            expect_char(ps, '"', "expected \"");
            s->lvalue[s->nlabels] = unescape(ps, '"', true);
            expect_char(ps, '"', "unterminated label value");
            for (size_t i = 0; i < s->nlabels; i++)
                if (!strcmp(s->lname[i], s->lname[s->nlabels]))
                    bad(ps, "duplicate label name");
            s->nlabels++;
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                continue;
            }
            expect_char(ps, '}', "expected , or }");
            break;
        }
    }
    const char *x = extra_label(f, name, ps->om);
    if (x && (!s->nlabels || strcmp(s->lname[s->nlabels - 1], x) != 0))
        bad(ps, "le, quantile or state label missing");
    expect_char(ps, ' ', "expected a space before the value");
    read_value(ps, s);
}

static void parse_meta(struct parser *ps, struct expo *e)
{
    static const char *const text_words[] = {"counter", "gauge", "histogram", "summary", "untyped"};
    static const char *const om_words[] = {"counter",  "gauge", "histogram", "summary",
                                           "stateset", "info",  "unknown"};
    const char *kind = ps->p + 2;
    ps->p += 7;
    if (ps->p > ps->end || (strncmp(kind, "HELP ", 5) && strncmp(kind, "TYPE ", 5) &&
                            (!ps->om || strncmp(kind, "UNIT ", 5))))
        bad(ps, "unknown comment line");
    const char *name = name_token(ps, false);
    expect_char(ps, ' ', "expected a space after the name");
    struct fam *f = e->nfams ? &e->fams[e->nfams - 1] : NULL;
    bool starts = ps->om ? kind[0] == 'T' : kind[0] == 'H';
    if (starts) {
        for (size_t i = 0; i < e->nfams; i++)
            if (!strcmp(e->fams[i].name, name))
                bad(ps, "family twice");
        f = new_fam(e, name, NULL, NULL, NULL);
    } else if (!f || strcmp(f->name, name) != 0 || f->count) {
        bad(ps, "metadata line of another family, or after samples");
    }
    if (kind[0] == 'H') {
        if (f->help || (!ps->om && f->type))
            bad(ps, "HELP out of order");
        f->help = unescape(ps, '\n', ps->om);
    } else if (kind[0] == 'T') {
        if (f->type || (!ps->om && !f->help))
            bad(ps, "TYPE out of order");
        const char *w = ps->p;
        while (ps->p < ps->end && *ps->p != '\n')
            ps->p++;
        size_t n = (size_t)(ps->p - w), count = ps->om ? 7 : 5;
        const char *const *words = ps->om ? om_words : text_words;
        for (size_t i = 0; i < count; i++)
            if (strlen(words[i]) == n && !memcmp(words[i], w, n))
                f->type = words[i];
        if (!f->type)
            bad(ps, "unknown type");
    } else {
        if (f->unit || f->help)
            bad(ps, "UNIT out of order");
        const char *u = ps->p;
        while (ps->p < ps->end && *ps->p != '\n')
            ps->p++;
        f->unit = arena_strndup(u, (size_t)(ps->p - u));
        size_t nl = strlen(f->name), ul = strlen(f->unit);
        if (!ul || nl <= ul || f->name[nl - ul - 1] != '_' || strcmp(f->name + nl - ul, f->unit))
            bad(ps, "family name does not end with its unit");
    }
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "len:name" then "len:label len:value" for each label, sorted by name
 * (malloc'd): the lengths keep values holding any byte apart. */
static char *series_key(const struct sample *s)
{
    const char *ln[MAX_SERIES_LABELS + 4], *lv[MAX_SERIES_LABELS + 4];
    size_t len = strlen(s->name) + 24;
    for (size_t a = 0; a < s->nlabels; a++) {
        size_t b = a;
        while (b && strcmp(ln[b - 1], s->lname[a]) > 0) {
            ln[b] = ln[b - 1];
            lv[b] = lv[b - 1];
            b--;
        }
        ln[b] = s->lname[a];
        lv[b] = s->lvalue[a];
        len += strlen(s->lname[a]) + strlen(s->lvalue[a]) + 48;
    }
    char *key = malloc(len), *p = key;
    if (!key)
        abort();
    p += sprintf(p, "%zu:%s", strlen(s->name), s->name);
    for (size_t a = 0; a < s->nlabels; a++)
        p += sprintf(p, " %zu:%s %zu:%s", strlen(ln[a]), ln[a], strlen(lv[a]), lv[a]);
    return key;
}

/* No series twice (a collector's repeat included: the emitter refuses it),
 * no sample name in two families. */
static void check_unique(const struct expo *e)
{
    if (!e->ns)
        return;
    char **keys = malloc(e->ns * sizeof *keys), **names = malloc(e->ns * sizeof *names);
    if (!keys || !names)
        abort();
    size_t k = 0;
    for (size_t fi = 0; fi < e->nfams; fi++) {
        const struct fam *f = &e->fams[fi];
        for (size_t i = f->first; i < f->first + f->count; i++, k++) {
            keys[k] = series_key(&e->s[i]);
            names[k] = malloc(strlen(e->s[i].name) + 24);
            if (!names[k])
                abort();
            sprintf(names[k], "%s\1%zu", e->s[i].name, fi);
        }
    }
    qsort(keys, k, sizeof *keys, by_string);
    qsort(names, k, sizeof *names, by_string);
    for (size_t i = 1; i < k; i++) {
        if (!strcmp(keys[i], keys[i - 1]))
            fail("the same series twice", keys[i]);
        size_t a = strcspn(names[i], "\1"), b = strcspn(names[i - 1], "\1");
        if (a == b && !memcmp(names[i], names[i - 1], a) && strcmp(names[i], names[i - 1]))
            fail("one sample name in two families", names[i]);
    }
    for (size_t i = 0; i < k; i++) {
        free(keys[i]);
        free(names[i]);
    }
    free(keys);
    free(names);
}

static void parse(const char *buf, size_t len, bool om, struct expo *e)
{
    if (len && buf[len - 1] != '\n')
        fail("output does not end with a newline", NULL);
    struct parser ps = {buf, buf + len, buf, om};
    bool eof = false;
    while (ps.p < ps.end) {
        ps.line = ps.p;
        if (eof)
            bad(&ps, "output after # EOF");
        if (om && (size_t)(ps.end - ps.p) >= 6 && !memcmp(ps.p, "# EOF\n", 6)) {
            eof = true;
            ps.p += 6;
            continue;
        }
        if (*ps.p == '#') {
            if (ps.end - ps.p < 8 || ps.p[1] != ' ')
                bad(&ps, "invalid comment line");
            parse_meta(&ps, e);
        } else {
            parse_sample(&ps, e);
        }
        expect_char(&ps, '\n', "junk at the end of the line");
    }
    if (om && !eof)
        fail("OpenMetrics output without # EOF", NULL);
    for (size_t i = 0; i < e->nfams; i++)
        if (!e->fams[i].type || !e->fams[i].help)
            fail("family without TYPE or HELP", e->fams[i].name);
}

/* ------------------------------------------------------------------ */
/* Comparing                                                           */
/* ------------------------------------------------------------------ */

static bool streq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check_value(struct sample *want, const struct sample *got, bool om)
{
    char buf[48];
    switch (want->kind) {
    case V_UINT:
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)want->u);
        if (strcmp(buf, got->text))
            fail("integer value", got->text);
        break;
    case V_DOUBLE:
        if (want->either && strspn(got->text, "0123456789") == strlen(got->text) &&
            same_double(want->d, got->value))
            break;
        if (spell(want->d, om, buf) ? strcmp(buf, got->text) != 0
                                    : !same_double(want->d, got->value))
            fail(spell(want->d, om, buf) ? "value, or its spelling" : "value", got->text);
        break;
    case V_CREATED:
    case V_QUANTILE:
        if (spell(got->value, om, buf) && strcmp(buf, got->text) != 0)
            fail("spelling of a value", got->text);
        if (want->kind == V_CREATED) {
            if (!(got->value >= t_start - 1 && got->value <= now() + 1))
                fail("_created is not the time the series was created", got->text);
        } else {
            const struct child *c = want->child;
            bool seen = isnan(got->value) || c->many;
            for (size_t i = 0; i < c->nobs && !seen; i++)
                seen = same_double(c->obs[i], got->value);
            if (!seen)
                fail("a quantile that was never observed", got->text);
            want->child->qtext[want->qi] = got->value;
        }
        break;
    }
}

static void compare(struct expo *want, const struct expo *got, bool om)
{
    const char *fmt = om ? "OpenMetrics" : "text";
    if (want->nfams != got->nfams)
        fail("number of families", fmt);
    for (size_t i = 0; i < want->nfams; i++) {
        const struct fam *w = &want->fams[i], *g = &got->fams[i];
        if (!streq(w->name, g->name) || !streq(w->type, g->type) || !streq(w->help, g->help) ||
            !streq(w->unit, g->unit))
            fail("family header", g->name);
        if (w->count != g->count)
            fail("number of samples in the family", g->name);
        for (size_t k = 0; k < w->count; k++) {
            struct sample *ws = &want->s[w->first + k];
            const struct sample *gs = &got->s[g->first + k];
            if (strcmp(ws->name, gs->name) || ws->nlabels != gs->nlabels)
                fail("sample name or label count", gs->name);
            for (size_t l = 0; l < ws->nlabels; l++)
                if (strcmp(ws->lname[l], gs->lname[l]) || strcmp(ws->lvalue[l], gs->lvalue[l]))
                    fail("label", gs->lname[l]);
            check_value(ws, gs, om);
        }
    }
}

/* ===================================================================== */
/* The target                                                             */
/* ===================================================================== */

struct out {
    char *p;
    size_t len, cap;
};

static int writer(void *ctx, const char *data, size_t len)
{
    struct out *o = ctx;
    if (o->len + len + 1 > o->cap) {
        o->cap = 2 * (o->len + len + 1);
        o->p = realloc(o->p, o->cap);
        if (!o->p)
            abort();
    }
    memcpy(o->p + o->len, data, len);
    o->len += len;
    o->p[o->len] = '\0';
    return 0;
}

/* The same label set, in any order (a's names are distinct)? */
static bool same_label_set(const struct call *a, const struct call *b)
{
    if (a->nlabels != b->nlabels)
        return false;
    for (size_t i = 0; i < a->nlabels; i++) {
        size_t k = 0;
        while (k < b->nlabels && strcmp(a->labels[i].name, b->labels[k].name) != 0)
            k++;
        if (k == b->nlabels || strcmp(a->labels[i].value, b->labels[k].value) != 0)
            return false;
    }
    return true;
}

/* Checks a collector's results in scrape s against the one-series-per-
 * label-set rule: a sample, histogram, summary or stateset call whose label
 * set the open family already emitted must give PROMC_EEXIST (and is left
 * out: expect_collector writes only the calls that gave PROMC_OK), one whose
 * label set is new never does. The other refusals come first (an invalid
 * repeat gets their code), so only the accepted calls count as emitted. */
static void check_series_once(const struct family *f, int s)
{
    const struct call *emitted[MAX_CALLS];
    size_t n = 0;
    for (size_t i = 0; i < f->ncalls; i++) {
        const struct call *c = &f->calls[i];
        if (c->what == C_FAMILY) {
            n = 0; /* a new family, or none open */
            continue;
        }
        bool again = false;
        for (size_t k = 0; k < n && !again; k++)
            again = same_label_set(c, emitted[k]);
        if (c->rc[s] == PROMC_OK && again)
            fail("a collector's series accepted twice in one family", NULL);
        if (c->rc[s] == PROMC_EEXIST && !again)
            fail("PROMC_EEXIST for a collector's series emitted once", NULL);
        if (c->rc[s] == PROMC_OK)
            emitted[n++] = c;
    }
}

/* The error scrape s must return: the first refused emit call or failed
 * callback (PROMC_EIO) of the registered collectors in registration order,
 * PROMC_OK if none. Collectors run after each other whatever fails, so the
 * families after a failure are all written. */
static int first_error(int s)
{
    const struct family *first = NULL;
    int rc = PROMC_OK;
    for (size_t i = 0; i < nfams; i++) {
        const struct family *f = &fams[i];
        if (f->kind != K_COLLECTOR || !f->registered)
            continue;
        check_series_once(f, s);
        int frc = PROMC_OK;
        for (size_t k = 0; k < f->ncalls && frc == PROMC_OK; k++)
            frc = f->calls[k].rc[s];
        if (frc == PROMC_OK && f->ret)
            frc = PROMC_EIO;
        if (frc != PROMC_OK && (!first || f->reg_order < first->reg_order)) {
            first = f;
            rc = frc;
        }
    }
    return rc;
}

static void roundtrip(bool om, struct out *o)
{
    slot = om;
    int rc = promc_encode(reg, om ? PROMC_FORMAT_OPENMETRICS : PROMC_FORMAT_TEXT, writer, o);
    int want_rc = first_error(om);
    if (rc != want_rc)
        fail(rc == PROMC_OK        ? "scrape succeeded though an emit call failed"
             : want_rc == PROMC_OK ? "scrape failed though the API accepted everything"
                                   : "scrape failed, but not with its first error",
             promc_last_error());
    struct expo want = {0}, got = {0};
    current_output = o->p ? o->p : "";
    if (getenv("FUZZ_VERBOSE")) /* to see what a seed does */
        fprintf(stderr, "== %s (rc %d)\n%s", om ? "OpenMetrics" : "text", rc, current_output);
    parse(current_output, o->len, om, &got);
    expect_all(&want, om);
    compare(&want, &got, om);
    check_unique(&got);

    /* A second look through promc_registry_get_sample_value. */
    if (!om && rc == PROMC_OK) {
        slot = 2;
        for (size_t i = 0; i < got.ns; i += 1 + got.ns / 6) {
            const struct sample *s = &got.s[i];
            promc_label ls[MAX_SERIES_LABELS + 4];
            for (size_t l = 0; l < s->nlabels; l++)
                ls[l] = (promc_label){s->lname[l], s->lvalue[l]};
            double v;
            if (promc_registry_get_sample_value(reg, s->name, ls, s->nlabels, &v) != PROMC_OK ||
                !same_double(v, s->value))
                fail("promc_registry_get_sample_value disagrees with the text", s->name);
        }
    }
    free(want.s);
    free(got.s);
    current_output = NULL;
}

static void release(void)
{
    for (size_t i = 0; i < nfams; i++)
        if (promc_metric_free(fams[i].metric) != PROMC_OK)
            fail("promc_metric_free", promc_last_error());
    if (promc_registry_free(reg) != PROMC_OK)
        fail("promc_registry_free", promc_last_error());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size};
    arena_used = 0;
    nfams = 0;
    order_seq = 0;
    default_max = 0;
    created_on = true;
    t_start = now();
    reg = promc_registry_new();
    if (!reg)
        abort();
    run(&in);

    struct out text = {0}, om = {0};
    roundtrip(false, &text);
    roundtrip(true, &om);
    if (first_error(0) == PROMC_OK) {
        /* The same bytes on every scrape. */
        size_t len;
        char *again = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, &len);
        if (!again || len != text.len || (len && memcmp(again, text.p, len) != 0))
            fail("a second text scrape differs", NULL);
        promc_free(again);
    }
    free(text.p);
    free(om.p);
    release();
    return 0;
}

/* Seeds for replay.c's random mode: the files of tests/fuzz/corpus/roundtrip
 * but the regress-* reproducers, which make fuzz-smoke replays as files
 * (several literals a seed, parenthesised for -Wstring-concatenation). */
const char *const *fuzz_seed_inputs(size_t *n)
{
    static const char *const seeds[] = {
        /* children, a child limit, remove and revive, register again
           (corpus/roundtrip/children_limits_reregister) */
        ("\x01\x01\x01\x02\x01\x03\x02\x02\x01\x02\x08\x01\x02\x07\x01\x08\x01\x03\x04\x03"
         "\x05\x08\x01\x08\x08\x0b\x02\x01\x02\x01\x08\x01\x02\x07\x02\x05\x03\x05\x01\x01"
         "\x02\x01\x02\x01\x0b\x01\x01\x08\x02\x02\x02\x0a\x10\x0c\x01\x01\x0c\x01\x02\x0c"
         "\x01\x03\x02\x02\x07\x01\x06\x01\x01\x02\x01\x0c\x08\x03\x06\x02\x12\x08\x03\x01"),
        /* a collector emitting every kind of series (corpus/roundtrip/collector_every_kind) */
        ("\x07\x09\x06\x02\x02\x03\x01\x02\x02\x0b\x04\x08\x02\x01\x05\x01\x16\x01\x01\x05"
         "\x05\x01\x03\x01\x03\x02\x01\x05\x03\x02\x02\x03\x03\x02\x0b\x02\x03\x06\x02\x07"
         "\x03\x02\x01\x07\x01\x03\x01\x01\x06\x02\x03\x01\x02\x02\x03\x01\x01"),
        /* enum children removed and reclaimed, info pairs, clear
           (corpus/roundtrip/enum_info_reclaim) */
        ("\x05\x08\x01\x02\x01\x01\x02\x01\x01\x03\x01\x05\x08\x01\x02\x01\x02\x09\x01\x04"
         "\x02\x05\x0b\x02\x01\x02\x01\x0c\x01\x05\x08\x01\x02\x01\x01\x06\x07\x01\x01\x01"
         "\x01\x04\x01\x08\x02\x01\x0b\x06\x0b\x01\x01"),
        /* every type unlabelled, a collector with a failing family
           (corpus/roundtrip/every_type_unlabelled) */
        ("\x01\x02\x01\x02\x01\x01\x01\x02\x05\x02\x04\x01\x03\x01\x01\x01\x01\x0d\x03\x05"
         "\x01\x02\x02\x01\x01\x04\x05\x03\x09\x02\x03\x06\x03\x1a\x04\x0f\x01\x01\x01\x01"
         "\x01\x03\x02\x04\x03\x03\x04\x07\x05\x08\x01\x02\x01\x01\x01\x04\x01\x02\x05\x02"
         "\x02\x06\x07\x01\x04\x01\x01\x03\x0b\x02\x01\x03\x07\x05\x06\x01\x02\x02\x03\x01"
         "\x02\x02\x0b\x04\x08\x02\x01\x05\x01\x16\x01\x01\x05\x05\x01\x03\x01\x03\x02\x01"),
        /* negative bounds and sums, negative quantiles: OpenMetrics omissions
           (corpus/roundtrip/openmetrics_omissions) */
        ("\x03\x04\x01\x01\x01\x01\x01\x03\x04\x03\x02\x01\x04\x04\x0f\x01\x03\x01\x01\x01"
         "\x04\x01\x06\x03\x06\x0a\x03\x04\x19\x03\x07\x06\x01\x01\x02\x01\x03\x03\x01\x03"
         "\x04\x02\x03\x02\x02\x01\x08\x01\x16\x01\x01\x04\x04\x01\x03\x01\x04\x01\x03\x03"
         "\x04\x01\x0a\x01\x01\x07\x02\x02\x0b\x09\x08\x01\x0c\x01\x04\x01"),
        /* collectors repeating a series: labels in another order, a histogram and a
           stateset again, an invalid repeat, the same labels in the next family
           (corpus/roundtrip/collector_series_repeated) */
        ("\x07\x0a\x01\x01\x01\x02\x02\x03\x01\x02\x02\x08\x03\x02\x03\x02\x08\x01\x02\x04"
         "\x02\x03\x01\x02\x02\x01\x03\x02\x01\x01\x02\x03\x01\x02\x01\x02\x01\x01\x04\x02"
         "\x01\x03\x03\x02\x01\x02\x02\x05\x02\x01\x01\x03\x03\x02\x01\x02\x02\x05\x02\x01"
         "\x01\x03\x03\x02\x01\x02\x02\x1a\x02\x01\x01\x03\x01\x07\x05\x16\x01\x01\x05\x05"
         "\x02\x0b\x07\x03\x01\x02\x02\x05\x02\x0b\x07\x03\x01\x02\x02\x01\x05\x01\x01\x04"
         "\x04\x01\x02\x01\x03\x02\x03\x01"),
    };
    *n = sizeof seeds / sizeof seeds[0];
    return seeds;
}
