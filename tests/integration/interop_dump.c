/*
 * interop_dump DIR: builds a registry holding every metric type and the
 * awkward values and label values an exposition has to survive, then writes
 *
 *   DIR/text.txt       the registry in text 0.0.4 (promc_encode_file)
 *   DIR/om.txt         the registry in OpenMetrics 1.0.0
 *   DIR/proto.pb       the registry in the delimited protobuf format
 *   DIR/expected.json  what a parser must read back from each, as this
 *                      program knows it from what it did to the metrics --
 *                      never from the encoder's output
 *
 * tests/integration/interop.sh feeds the two files to client_python's parsers
 * (tests/integration/check_parse.py compares them with expected.json) and to
 * promtool. Before writing, the program also asks
 * promc_registry_get_sample_value for every text sample it expects.
 *
 * expected.json:
 *   {"created_window": [t0, t1],            wall clock around the whole run
 *    "text": {"samples": [...], "families": [...]},
 *    "openmetrics": {"samples": [...], "families": [...]}}
 * A sample is {"name", "labels": {...}} plus one of
 *   "value": number, or "NaN" / "+Inf" / "-Inf"
 *   "created": true          a _created sample: a Unix time within the window
 *   "min": a, "max": b       a quantile estimate: a number within [a, b]
 * and, optionally, "exact": the digits the value must be written with.
 * A family is {"name", "type"} plus "unit" and "help" when they are checked.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "promc.h"

#define IN_TEXT 1u
#define IN_OM   2u
#define IN_BOTH (IN_TEXT | IN_OM)

#define MAX_LABELS   8
#define MAX_EXPECT   512
#define MAX_FAMILIES 64

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ===================================================================== */
/* Expectations                                                           */
/* ===================================================================== */

enum kind { K_DOUBLE, K_UINT, K_CREATED, K_RANGE };

struct expect {
    unsigned formats;
    const char *base;
    const char *suffix;
    size_t n;
    promc_label labels[MAX_LABELS];
    enum kind kind;
    double d, lo, hi;
    uint64_t u;
    const char *exact;
};

struct family {
    unsigned formats;
    const char *name;
    const char *type;
    const char *unit; /* OpenMetrics only; NULL = none */
    const char *help; /* NULL = not checked */
};

static struct expect expects[MAX_EXPECT];
static size_t nexpects;
static struct family families[MAX_FAMILIES];
static size_t nfamilies;

static void die(const char *what)
{
    fprintf(stderr, "interop_dump: %s failed: %s (%s)\n", what, promc_last_error(),
            promc_errname(promc_last_error_code()));
    exit(1);
}

/* Aborts with the library's message when a constructor returned NULL. */
#define NN(expr)                                                                                   \
    do {                                                                                           \
        if (!(expr))                                                                               \
            die(#expr);                                                                            \
    } while (0)
/* Same for calls returning a promc_error. */
#define OK(expr)                                                                                   \
    do {                                                                                           \
        if ((expr) != PROMC_OK)                                                                    \
            die(#expr);                                                                            \
    } while (0)

/* Records one sample: base+suffix, labels, then the extra label (le,
 * quantile, a stateset's state) when xname is not NULL. */
static struct expect *expect(unsigned formats, const char *base, const char *suffix,
                             const promc_label *labels, size_t n, const char *xname,
                             const char *xvalue)
{
    if (nexpects == MAX_EXPECT || n + 1 > MAX_LABELS) {
        fprintf(stderr, "interop_dump: too many expectations\n");
        exit(1);
    }
    struct expect *e = &expects[nexpects++];
    memset(e, 0, sizeof *e);
    e->formats = formats;
    e->base = base;
    e->suffix = suffix;
    for (size_t i = 0; i < n; i++)
        e->labels[i] = labels[i];
    e->n = n;
    if (xname) {
        e->labels[n].name = xname;
        e->labels[n].value = xvalue;
        e->n++;
    }
    return e;
}

static void expect_d(unsigned formats, const char *base, const char *suffix,
                     const promc_label *labels, size_t n, const char *xname, const char *xvalue,
                     double v)
{
    struct expect *e = expect(formats, base, suffix, labels, n, xname, xvalue);
    e->kind = K_DOUBLE;
    e->d = v;
}

static struct expect *expect_u(unsigned formats, const char *base, const char *suffix,
                               const promc_label *labels, size_t n, const char *xname,
                               const char *xvalue, uint64_t v)
{
    struct expect *e = expect(formats, base, suffix, labels, n, xname, xvalue);
    e->kind = K_UINT;
    e->u = v;
    return e;
}

static void expect_created(const char *base, const promc_label *labels, size_t n)
{
    expect(IN_OM, base, "_created", labels, n, NULL, NULL)->kind = K_CREATED;
}

static void expect_range(const char *base, const promc_label *labels, size_t n,
                         const char *quantile, double lo, double hi)
{
    struct expect *e = expect(IN_BOTH, base, "", labels, n, "quantile", quantile);
    e->kind = K_RANGE;
    e->lo = lo;
    e->hi = hi;
}

static void family(unsigned formats, const char *name, const char *type, const char *unit,
                   const char *help)
{
    if (nfamilies == MAX_FAMILIES) {
        fprintf(stderr, "interop_dump: too many families\n");
        exit(1);
    }
    struct family f = {formats, name, type, unit, help};
    families[nfamilies++] = f;
}

/* ===================================================================== */
/* The registry                                                           */
/* ===================================================================== */

/* Label values an encoder must escape or pass through untouched. */
static const char *const awkward[] = {
    "C:\\dir\\",            /* backslashes, one of them last */
    "say \"hi\"",           /* double quotes */
    "line1\nline2",         /* newline */
    "col1\tcol2",           /* tab, written raw */
    "\xc3\xbc\xe2\x98\x83", /* "ü☃": two- and three-byte UTF-8 */
    "",                     /* empty */
    "a,b=c}{ # x",          /* the characters naive parsers split on */
    "bell\a",               /* a control character, written raw */
};

static const char *const requests_help = "Requests handled, by method and path.";
static const char *const reading_help =
    "Edge-case readings: backslash \\ and \"quotes\"\nsecond line \xe2\x98\x83.";

struct pool_stats {
    double total, db, idle, busy;
};

/* The custom collector: a gauge family whose samples carry different label
 * sets, then a counter family. */
static int collect(promc_emitter *em, void *userdata)
{
    const struct pool_stats *s = userdata;
    if (promc_emit_family(em, "interop_pool_connections", "Open connections per pool.", PROMC_GAUGE,
                          NULL) != PROMC_OK)
        return 1;
    promc_label db[] = {{"pool", "db"}};
    promc_label idle[] = {{"pool", "cache"}, {"state", "idle"}};
    promc_label busy[] = {{"state", "busy"}, {"pool", "q\"\\\n"}};
    if (promc_emit_sample(em, NULL, 0, s->total) != PROMC_OK ||
        promc_emit_sample(em, db, COUNT(db), s->db) != PROMC_OK ||
        promc_emit_sample(em, idle, COUNT(idle), s->idle) != PROMC_OK ||
        promc_emit_sample(em, busy, COUNT(busy), s->busy) != PROMC_OK)
        return 1;
    if (promc_emit_family(em, "interop_collected_jobs_total", "Jobs collected, by queue.",
                          PROMC_COUNTER, NULL) != PROMC_OK)
        return 1;
    promc_label fast[] = {{"queue", "fast"}};
    promc_label slow[] = {{"queue", "slow"}};
    if (promc_emit_sample(em, fast, 1, 10) != PROMC_OK ||
        promc_emit_sample(em, slow, 1, 2.5) != PROMC_OK)
        return 1;
    return 0;
}

/* Handles kept to drop our references at the end. */
struct handles {
    promc_counter_vec *requests, *bytes, *logins;
    promc_gauge_vec *reading;
    promc_histogram_vec *duration;
    promc_summary_vec *size;
    promc_summary *wait;
    promc_enum_vec *state;
    promc_info *build;
    promc_metric *collector;
};

static void add_counters(promc_registry *reg, struct handles *h)
{
    /* Created without _total: the samples get it. */
    static const char *const methods[] = {"GET", "GET", "POST", "PUT", "GET",
                                          "GET", "",    "GET",  "GET"};
    static const char *const paths[] = {"/"};
    static promc_label sets[COUNT(methods)][2];
    NN(h->requests = promc_counter_vec_new(reg, "interop_requests", requests_help,
                                           PROMC_LABELS("method", "path"), NULL));
    family(IN_BOTH, "interop_requests", "counter", NULL, requests_help);
    for (size_t i = 0; i < COUNT(methods); i++) {
        const char *path = i == 0 ? paths[0] : awkward[i - 1];
        promc_counter *c;
        NN(c = promc_counter_vec_labels(h->requests, methods[i], path));
        uint64_t n = i == 6 ? 0 : i + 1; /* the empty-valued child stays at 0 */
        for (uint64_t k = 0; k < n; k++)
            promc_counter_inc(c);
        sets[i][0] = (promc_label){"method", methods[i]};
        sets[i][1] = (promc_label){"path", path};
        expect_u(IN_BOTH, "interop_requests", "_total", sets[i], 2, NULL, NULL, n);
        expect_created("interop_requests", sets[i], 2);
    }

    /* Created with _total; one child past 2^53 on the integer path, one on
     * the fractional path. */
    static const promc_label in[] = {{"direction", "in"}};
    static const promc_label out[] = {{"direction", "out"}};
    NN(h->bytes = promc_counter_vec_new(reg, "interop_transferred_bytes_total",
                                        "Bytes transferred.", PROMC_LABELS("direction"), NULL));
    family(IN_BOTH, "interop_transferred_bytes", "counter", NULL, "Bytes transferred.");
    promc_counter *c;
    NN(c = promc_counter_vec_labels(h->bytes, "in"));
    promc_counter_add_int(c, UINT64_C(9007199254740993)); /* 2^53 + 1: not a double */
    expect_u(IN_BOTH, "interop_transferred_bytes", "_total", in, 1, NULL, NULL,
             UINT64_C(9007199254740993))
        ->exact = "9007199254740993";
    expect_created("interop_transferred_bytes", in, 1);
    NN(c = promc_counter_vec_labels(h->bytes, "out"));
    OK(promc_counter_add(c, 1.5));
    promc_counter_add_int(c, 2);
    expect_d(IN_BOTH, "interop_transferred_bytes", "_total", out, 1, NULL, NULL, 3.5);
    expect_created("interop_transferred_bytes", out, 1);

    /* A child limit, so that the library's own refusal counter appears. */
    static const promc_label alice[] = {{"user", "alice"}};
    static const promc_label bob[] = {{"user", "bob"}};
    static const promc_label refused[] = {{"metric", "interop_logins"}};
    promc_metric_opts opts = {.max_children = 2};
    NN(h->logins =
           promc_counter_vec_new(reg, "interop_logins", "Logins.", PROMC_LABELS("user"), &opts));
    family(IN_BOTH, "interop_logins", "counter", NULL, "Logins.");
    NN(c = promc_counter_vec_labels(h->logins, "alice"));
    promc_counter_inc(c);
    NN(c = promc_counter_vec_labels(h->logins, "bob"));
    promc_counter_add_int(c, 2);
    if (promc_counter_vec_labels(h->logins, "carol") != NULL ||
        promc_last_error_code() != PROMC_ELIMIT) {
        fprintf(stderr, "interop_dump: a third child of interop_logins was not refused\n");
        exit(1);
    }
    expect_u(IN_BOTH, "interop_logins", "_total", alice, 1, NULL, NULL, 1);
    expect_created("interop_logins", alice, 1);
    expect_u(IN_BOTH, "interop_logins", "_total", bob, 1, NULL, NULL, 2);
    expect_created("interop_logins", bob, 1);
    /* Emitted after every registered metric; its help is the library's. */
    family(IN_BOTH, "promc_children_refused", "counter", NULL, NULL);
    expect_u(IN_BOTH, "promc_children_refused", "_total", refused, 1, NULL, NULL, 1);
}

static void add_gauges(promc_registry *reg, struct handles *h)
{
    static const struct {
        const char *name;
        double v;
    } cases[] = {
        {"pos_inf", INFINITY},
        {"neg_inf", -INFINITY},
        {"nan", NAN},
        {"neg_zero", -0.0},
        {"tiny", 1e-7},
        {"huge", 1e21},
        {"sum", 0.1 + 0.2},
        {"int", 42},
        {"million", 1234567},
        {"negative", -2.5},
        {"max", 1.7976931348623157e308},
    };
    static promc_label sets[COUNT(cases)][1];
    NN(h->reading =
           promc_gauge_vec_new(reg, "interop_reading", reading_help, PROMC_LABELS("case"), NULL));
    family(IN_BOTH, "interop_reading", "gauge", NULL, reading_help);
    for (size_t i = 0; i < COUNT(cases); i++) {
        promc_gauge *g;
        NN(g = promc_gauge_vec_labels(h->reading, cases[i].name));
        promc_gauge_set(g, cases[i].v);
        sets[i][0] = (promc_label){"case", cases[i].name};
        expect_d(IN_BOTH, "interop_reading", "", sets[i], 1, NULL, NULL, cases[i].v);
    }
}

static void add_histogram(promc_registry *reg, struct handles *h)
{
    /* Bounds with their le label as each format writes it. */
    static const double bounds[] = {0.005, 0.1, 0.5, 1, 2.5, 10};
    static const char *const le_text[] = {"0.005", "0.1", "0.5", "1", "2.5", "10", "+Inf"};
    static const char *const le_om[] = {"0.005", "0.1", "0.5", "1.0", "2.5", "10.0", "+Inf"};
    static const double get[] = {0.001, 0.1, 0.25, 0.75, 3, 42}; /* 0.1: on a bound */
    static const double post[] = {0.5, 0.004};
    static const struct {
        const char *method;
        const double *obs;
        size_t n;
    } series[] = {{"GET", get, COUNT(get)}, {"POST", post, COUNT(post)}, {"\xc3\xbc", NULL, 0}};
    static promc_label sets[COUNT(series)][1];
    const char *name = "interop_request_duration_seconds";
    const char *help = "Request duration.";
    promc_histogram_opts opts = {.unit = "seconds", .buckets = bounds, .nbuckets = COUNT(bounds)};
    NN(h->duration = promc_histogram_vec_new(reg, name, help, PROMC_LABELS("method"), &opts));
    family(IN_TEXT, name, "histogram", NULL, help);
    family(IN_OM, name, "histogram", "seconds", help);
    for (size_t s = 0; s < COUNT(series); s++) {
        promc_histogram *c;
        NN(c = promc_histogram_vec_labels(h->duration, series[s].method));
        double sum = 0;
        for (size_t i = 0; i < series[s].n; i++) {
            promc_histogram_observe(c, series[s].obs[i]);
            sum += series[s].obs[i];
        }
        sets[s][0] = (promc_label){"method", series[s].method};
        for (size_t b = 0; b <= COUNT(bounds); b++) {
            uint64_t cumulative = 0;
            for (size_t i = 0; i < series[s].n; i++)
                if (b == COUNT(bounds) || series[s].obs[i] <= bounds[b])
                    cumulative++;
            expect_u(IN_TEXT, name, "_bucket", sets[s], 1, "le", le_text[b], cumulative);
            expect_u(IN_OM, name, "_bucket", sets[s], 1, "le", le_om[b], cumulative);
        }
        expect_d(IN_BOTH, name, "_sum", sets[s], 1, NULL, NULL, sum);
        expect_u(IN_BOTH, name, "_count", sets[s], 1, NULL, NULL, series[s].n);
        expect_created(name, sets[s], 1);
    }
}

static void add_summaries(promc_registry *reg, struct handles *h)
{
    /* With objectives: the estimates are checked to lie within the observed
     * range, an empty window must give NaN. */
    static const promc_objective obj[] = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};
    static const char *const qlabel[] = {"0.5", "0.9", "0.99"};
    static const promc_label api[] = {{"handler", "/api"}};
    static const promc_label idle[] = {{"handler", "/idle"}};
    const char *name = "interop_response_size_bytes";
    promc_summary_opts opts = {.objectives = obj, .nobjectives = COUNT(obj)};
    NN(h->size =
           promc_summary_vec_new(reg, name, "Response size.", PROMC_LABELS("handler"), &opts));
    family(IN_BOTH, name, "summary", NULL, "Response size.");
    promc_summary *c;
    NN(c = promc_summary_vec_labels(h->size, "/api"));
    double sum = 0;
    for (int i = 1; i <= 100; i++) {
        promc_summary_observe(c, i);
        sum += i;
    }
    for (size_t q = 0; q < COUNT(obj); q++)
        expect_range(name, api, 1, qlabel[q], 1, 100);
    expect_d(IN_BOTH, name, "_sum", api, 1, NULL, NULL, sum);
    expect_u(IN_BOTH, name, "_count", api, 1, NULL, NULL, 100);
    expect_created(name, api, 1);
    NN(c = promc_summary_vec_labels(h->size, "/idle"));
    for (size_t q = 0; q < COUNT(obj); q++)
        expect_d(IN_BOTH, name, "", idle, 1, "quantile", qlabel[q], NAN);
    expect_d(IN_BOTH, name, "_sum", idle, 1, NULL, NULL, 0);
    expect_u(IN_BOTH, name, "_count", idle, 1, NULL, NULL, 0);
    expect_created(name, idle, 1);

    /* Without objectives, unlabelled. */
    name = "interop_queue_wait_seconds";
    NN(h->wait = promc_summary_new(reg, name, "Time spent queued.", NULL));
    family(IN_BOTH, name, "summary", NULL, "Time spent queued.");
    promc_summary_observe(h->wait, 0.5);
    promc_summary_observe(h->wait, 1.5);
    promc_summary_observe(h->wait, 2);
    expect_d(IN_BOTH, name, "_sum", NULL, 0, NULL, NULL, 4);
    expect_u(IN_BOTH, name, "_count", NULL, 0, NULL, NULL, 3);
    expect_created(name, NULL, 0);
}

static void add_enum_and_info(promc_registry *reg, struct handles *h)
{
    static const char *const states[] = {"starting", "running", "stopped", "waiting \"io\"", NULL};
    static const promc_label a[] = {{"shard", "a"}};
    static const promc_label b[] = {{"shard", "b"}};
    const char *name = "interop_state";
    NN(h->state =
           promc_enum_vec_new(reg, name, "Shard state.", PROMC_LABELS("shard"), states, NULL));
    family(IN_TEXT, name, "gauge", NULL, "Shard state.");
    family(IN_OM, name, "stateset", NULL, "Shard state.");
    promc_enum *e;
    NN(e = promc_enum_vec_labels(h->state, "a"));
    OK(promc_enum_set(e, "running"));
    NN(e = promc_enum_vec_labels(h->state, "b")); /* stays in the first state */
    for (size_t i = 0; states[i]; i++) {
        expect_u(IN_BOTH, name, "", a, 1, name, states[i], i == 1);
        expect_u(IN_BOTH, name, "", b, 1, name, states[i], i == 0);
    }

    /* Created without _info: the sample gets it. */
    static const promc_label pairs[] = {
        {"version", "1.2.3"}, {"revision", "abc\\def\"g"}, {"branch", "\xc3\xbc"}};
    NN(h->build =
           promc_info_new(reg, "interop_build", "Build information.", pairs, COUNT(pairs), NULL));
    family(IN_TEXT, "interop_build_info", "gauge", NULL, "Build information.");
    family(IN_OM, "interop_build", "info", NULL, "Build information.");
    expect_u(IN_BOTH, "interop_build", "_info", pairs, COUNT(pairs), NULL, NULL, 1);
}

static void add_collector(promc_registry *reg, struct handles *h, struct pool_stats *stats)
{
    static const promc_label db[] = {{"pool", "db"}};
    static const promc_label idle[] = {{"pool", "cache"}, {"state", "idle"}};
    static const promc_label busy[] = {{"state", "busy"}, {"pool", "q\"\\\n"}};
    static const promc_label fast[] = {{"queue", "fast"}};
    static const promc_label slow[] = {{"queue", "slow"}};
    *stats = (struct pool_stats){3, 5, 2, 0.25};
    NN(h->collector = promc_collector_new(
           reg, collect, stats, NULL,
           PROMC_LABELS("interop_pool_connections", "interop_collected_jobs_total")));
    family(IN_BOTH, "interop_pool_connections", "gauge", NULL, "Open connections per pool.");
    expect_d(IN_BOTH, "interop_pool_connections", "", NULL, 0, NULL, NULL, stats->total);
    expect_d(IN_BOTH, "interop_pool_connections", "", db, 1, NULL, NULL, stats->db);
    expect_d(IN_BOTH, "interop_pool_connections", "", idle, 2, NULL, NULL, stats->idle);
    expect_d(IN_BOTH, "interop_pool_connections", "", busy, 2, NULL, NULL, stats->busy);
    family(IN_BOTH, "interop_collected_jobs", "counter", NULL, "Jobs collected, by queue.");
    expect_d(IN_BOTH, "interop_collected_jobs", "_total", fast, 1, NULL, NULL, 10);
    expect_d(IN_BOTH, "interop_collected_jobs", "_total", slow, 1, NULL, NULL, 2.5);
}

/* ===================================================================== */
/* Self-check through promc_registry_get_sample_value                     */
/* ===================================================================== */

static int self_check(promc_registry *reg)
{
    int bad = 0, good = 0;
    for (size_t i = 0; i < nexpects; i++) {
        const struct expect *e = &expects[i];
        if (!(e->formats & IN_TEXT) || (e->kind != K_DOUBLE && e->kind != K_UINT))
            continue;
        char name[256];
        snprintf(name, sizeof name, "%s%s", e->base, e->suffix);
        double got;
        int rc = promc_registry_get_sample_value(reg, name, e->labels, e->n, &got);
        double want = e->kind == K_UINT ? (double)e->u : e->d;
        if (rc != PROMC_OK) {
            fprintf(stderr, "self-check: %s (%zu labels): %s\n", name, e->n, promc_last_error());
            bad++;
        } else if (!(got == want || (isnan(got) && isnan(want)))) {
            fprintf(stderr, "self-check: %s (%zu labels): got %.17g, want %.17g\n", name, e->n, got,
                    want);
            bad++;
        } else {
            good++;
        }
    }
    if (bad)
        fprintf(stderr, "self-check: %d of %d samples wrong\n", bad, bad + good);
    else
        printf("self-check: %d samples agree with promc_registry_get_sample_value\n", good);
    return bad;
}

/* ===================================================================== */
/* Output                                                                 */
/* ===================================================================== */

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", (unsigned)*p);
            else
                fputc(*p, f); /* UTF-8 passes through */
        }
    }
    fputc('"', f);
}

static void json_number(FILE *f, double v)
{
    if (isnan(v))
        fputs("\"NaN\"", f);
    else if (isinf(v))
        fputs(v > 0 ? "\"+Inf\"" : "\"-Inf\"", f);
    else
        fprintf(f, "%.17g", v); /* round-trips; the C locale is in force */
}

static void json_sample(FILE *f, const struct expect *e)
{
    fputs("    {\"name\": ", f);
    fputc('"', f);
    fputs(e->base, f); /* metric names need no escaping */
    fputs(e->suffix, f);
    fputs("\", \"labels\": {", f);
    for (size_t i = 0; i < e->n; i++) {
        if (i)
            fputs(", ", f);
        json_string(f, e->labels[i].name);
        fputs(": ", f);
        json_string(f, e->labels[i].value);
    }
    fputs("}, ", f);
    switch (e->kind) {
    case K_DOUBLE:
        fputs("\"value\": ", f);
        json_number(f, e->d);
        break;
    case K_UINT:
        fprintf(f, "\"value\": %" PRIu64, e->u);
        break;
    case K_CREATED:
        fputs("\"created\": true", f);
        break;
    case K_RANGE:
        fputs("\"min\": ", f);
        json_number(f, e->lo);
        fputs(", \"max\": ", f);
        json_number(f, e->hi);
        break;
    }
    if (e->exact) {
        fputs(", \"exact\": ", f);
        json_string(f, e->exact);
    }
    fputc('}', f);
}

static void json_format(FILE *f, const char *key, unsigned format)
{
    fprintf(f, "  \"%s\": {\n   \"samples\": [\n", key);
    int first = 1;
    for (size_t i = 0; i < nexpects; i++) {
        if (!(expects[i].formats & format))
            continue;
        if (!first)
            fputs(",\n", f);
        first = 0;
        json_sample(f, &expects[i]);
    }
    fputs("\n   ],\n   \"families\": [\n", f);
    first = 1;
    for (size_t i = 0; i < nfamilies; i++) {
        const struct family *fam = &families[i];
        if (!(fam->formats & format))
            continue;
        if (!first)
            fputs(",\n", f);
        first = 0;
        fprintf(f, "    {\"name\": \"%s\", \"type\": \"%s\"", fam->name, fam->type);
        if (format == IN_OM) {
            fputs(", \"unit\": ", f);
            json_string(f, fam->unit ? fam->unit : "");
        }
        if (fam->help) {
            fputs(", \"help\": ", f);
            json_string(f, fam->help);
        }
        fputc('}', f);
    }
    fputs("\n   ]\n  }", f);
}

static FILE *open_out(const char *dir, const char *file)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path) {
        fprintf(stderr, "interop_dump: path too long\n");
        exit(1);
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "interop_dump: cannot create %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return f;
}

static void close_out(FILE *f, const char *file)
{
    if (ferror(f) | fclose(f)) {
        fprintf(stderr, "interop_dump: writing %s failed\n", file);
        exit(1);
    }
}

static void dump(promc_registry *reg, const char *dir, const char *file, promc_format format)
{
    FILE *f = open_out(dir, file);
    OK(promc_encode_file(reg, format, f));
    close_out(f, file);
}

static double wall_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    double t0 = wall_clock();

    promc_registry *reg;
    NN(reg = promc_registry_new());
    struct handles h = {0};
    struct pool_stats stats;
    add_counters(reg, &h);
    add_gauges(reg, &h);
    add_histogram(reg, &h);
    add_summaries(reg, &h);
    add_enum_and_info(reg, &h);
    add_collector(reg, &h, &stats);

    int bad = self_check(reg);
    dump(reg, dir, "text.txt", PROMC_FORMAT_TEXT);
    dump(reg, dir, "om.txt", PROMC_FORMAT_OPENMETRICS);
    dump(reg, dir, "proto.pb", PROMC_FORMAT_PROTOBUF);
    double t1 = wall_clock();

    FILE *f = open_out(dir, "expected.json");
    fputs("{\n  \"created_window\": [", f);
    json_number(f, t0);
    fputs(", ", f);
    json_number(f, t1);
    fputs("],\n", f);
    json_format(f, "text", IN_TEXT);
    fputs(",\n", f);
    json_format(f, "openmetrics", IN_OM);
    fputs("\n}\n", f);
    close_out(f, "expected.json");

    promc_counter_vec_free(h.requests);
    promc_counter_vec_free(h.bytes);
    promc_counter_vec_free(h.logins);
    promc_gauge_vec_free(h.reading);
    promc_histogram_vec_free(h.duration);
    promc_summary_vec_free(h.size);
    promc_summary_free(h.wait);
    promc_enum_vec_free(h.state);
    promc_info_free(h.build);
    promc_metric_free(h.collector);
    promc_registry_free(reg);
    return bad ? 1 : 0;
}
