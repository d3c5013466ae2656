/*
 * Pins what concurrent use guarantees, in the normal suite and under
 * ThreadSanitizer (make tsan): every scrape of a histogram is a consistent
 * snapshot (cumulative buckets, +Inf == _count, nothing goes backwards) while
 * writers observe; counters, gauges and summaries stay exact under
 * contention; registering, unregistering and removing children beside
 * scrapes is safe, and does not starve while scrapes run back to back.
 * Every phase runs for a fixed time, not a fixed op count.
 */
#include "helpers.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

/* Per phase. Op counts vary with the machine and TSan's slowdown; time does not. */
#define PHASE_SECONDS 0.4
#define NWRITERS      4
#define NSCRAPERS     2

static atomic_bool stop;

static void run_for(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
    atomic_store(&stop, true);
}

static bool stopping(void)
{
    return atomic_load_explicit(&stop, memory_order_relaxed);
}

static void start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    assert_int_equal(pthread_create(t, NULL, fn, arg), 0);
}

static void join(pthread_t t)
{
    assert_int_equal(pthread_join(t, NULL), 0);
}

/* ------------------------------------------------------------------ */
/* Scrapers: render, parse, check every histogram and summary series   */
/* ------------------------------------------------------------------ */

#define MAX_SERIES 256
#define MAX_LE     8
#define KEY_MAX    272 /* family{labels}: 96 + 160 + 3, rounded up */

/* The last values one scraper saw for a series, to check nothing decreases. */
struct seen {
    char key[KEY_MAX];
    uint64_t count;
    uint64_t buckets[MAX_LE];
    size_t nbuckets;
};

struct scraper {
    promc_registry *reg;
    double lo, hi; /* every observed value lies in [lo, hi] */
    long scrapes;
    long series; /* histogram/summary series checked */
    struct seen seen[MAX_SERIES];
    size_t nseen;
    bool failed;
    char error[512];
    /* the series being parsed */
    char family[96];
    promc_type type;
    char cur[KEY_MAX];
    double last_le;
    uint64_t buckets[MAX_LE];
    size_t nbuckets;
    bool has_inf, has_sum;
    uint64_t inf;
    double sum;
};

__attribute__((format(printf, 2, 3))) static void scrape_fail(struct scraper *s, const char *fmt,
                                                              ...)
{
    if (s->failed)
        return;
    s->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->error, sizeof s->error, fmt, ap);
    va_end(ap);
}

struct line {
    char name[96];
    char labels[160]; /* without le/quantile: the series key part */
    char le[32];      /* le or quantile value, "" when absent */
    double value;
};

/* Parses `name{a="x",le="1"} value`; label values here need no unescaping
 * beyond skipping escaped characters. */
static bool parse_sample(const char *p, const char *end, struct line *l)
{
    size_t n = 0;
    while (p < end && *p != '{' && *p != ' ' && n + 1 < sizeof l->name)
        l->name[n++] = *p++;
    l->name[n] = '\0';
    l->labels[0] = l->le[0] = '\0';
    size_t ln = 0;
    if (p < end && *p == '{') {
        p++;
        while (p < end && *p != '}') {
            const char *k = p;
            while (p < end && *p != '=')
                p++;
            size_t klen = (size_t)(p - k);
            if (p + 1 >= end || p[1] != '"')
                return false;
            p += 2;
            const char *v = p;
            while (p < end && *p != '"')
                p += *p == '\\' ? 2 : 1;
            if (p >= end)
                return false;
            size_t vlen = (size_t)(p - v);
            p++;
            bool extra = (klen == 2 && memcmp(k, "le", 2) == 0) ||
                         (klen == 8 && memcmp(k, "quantile", 8) == 0);
            if (extra) {
                if (vlen >= sizeof l->le)
                    return false;
                memcpy(l->le, v, vlen);
                l->le[vlen] = '\0';
            } else {
                if (ln + klen + vlen + 4 >= sizeof l->labels)
                    return false;
                ln += (size_t)snprintf(l->labels + ln, sizeof l->labels - ln, "%s%.*s=\"%.*s\"",
                                       ln ? "," : "", (int)klen, k, (int)vlen, v);
            }
            if (p < end && *p == ',')
                p++;
        }
        if (p >= end)
            return false;
        p++;
    }
    if (p >= end || *p != ' ')
        return false;
    char num[64];
    size_t len = (size_t)(end - p - 1);
    if (len == 0 || len >= sizeof num)
        return false;
    memcpy(num, p + 1, len);
    num[len] = '\0';
    char *stop_at;
    l->value = strtod(num, &stop_at);
    return *stop_at == '\0';
}

static struct seen *lookup(struct scraper *s, const char *key)
{
    for (size_t i = 0; i < s->nseen; i++)
        if (strcmp(s->seen[i].key, key) == 0)
            return &s->seen[i];
    if (s->nseen == MAX_SERIES)
        return NULL;
    struct seen *n = &s->seen[s->nseen++];
    memset(n, 0, sizeof *n);
    snprintf(n->key, sizeof n->key, "%s", key);
    return n;
}

static bool has_suffix(const char *name, const char *family, const char *suffix)
{
    size_t f = strlen(family);
    return strncmp(name, family, f) == 0 && strcmp(name + f, suffix) == 0;
}

static void begin_series(struct scraper *s, const char *key)
{
    snprintf(s->cur, sizeof s->cur, "%s", key);
    s->nbuckets = 0;
    s->last_le = -INFINITY;
    s->has_inf = s->has_sum = false;
}

/* The end of a series (its _count): snapshot and cross-scrape checks. */
static void end_series(struct scraper *s, const char *key, double count_d)
{
    uint64_t count = (uint64_t)count_d;
    if (strcmp(key, s->cur) != 0 || !s->has_sum) {
        scrape_fail(s, "%s: _count without its buckets/_sum", key);
        return;
    }
    if (s->type == PROMC_HISTOGRAM && (!s->has_inf || s->inf != count))
        scrape_fail(s, "%s: +Inf bucket %llu != _count %llu", key, (unsigned long long)s->inf,
                    (unsigned long long)count);
    /* _sum belongs to the same observations as _count. */
    if (!(s->sum >= s->lo * count_d && s->sum <= s->hi * count_d))
        scrape_fail(s, "%s: _sum %.17g impossible for _count %llu of values in [%g, %g]", key,
                    s->sum, (unsigned long long)count, s->lo, s->hi);
    struct seen *prev = lookup(s, key);
    if (!prev) {
        scrape_fail(s, "too many series");
        return;
    }
    if (count < prev->count)
        scrape_fail(s, "%s: _count went back from %llu to %llu", key,
                    (unsigned long long)prev->count, (unsigned long long)count);
    if (prev->nbuckets && prev->nbuckets != s->nbuckets)
        scrape_fail(s, "%s: bucket count changed", key);
    for (size_t i = 0; i < s->nbuckets && i < prev->nbuckets; i++)
        if (s->buckets[i] < prev->buckets[i])
            scrape_fail(s, "%s: bucket %zu went back from %llu to %llu", key, i,
                        (unsigned long long)prev->buckets[i], (unsigned long long)s->buckets[i]);
    s->series++;
    prev->count = count;
    prev->nbuckets = s->nbuckets;
    memcpy(prev->buckets, s->buckets, sizeof s->buckets);
}

static void check_line(struct scraper *s, const char *p, const char *end)
{
    if (*p == '#') {
        char name[96], type[32];
        if (sscanf(p, "# TYPE %95s %31s", name, type) == 2) {
            snprintf(s->family, sizeof s->family, "%s", name);
            s->type = strcmp(type, "histogram") == 0 ? PROMC_HISTOGRAM
                      : strcmp(type, "summary") == 0 ? PROMC_SUMMARY
                                                     : PROMC_UNTYPED;
        }
        return;
    }
    struct line l;
    if (!parse_sample(p, end, &l)) {
        scrape_fail(s, "unparsable line: %.*s", (int)(end - p), p);
        return;
    }
    if (s->type != PROMC_HISTOGRAM && s->type != PROMC_SUMMARY)
        return;
    char key[KEY_MAX];
    snprintf(key, sizeof key, "%s{%s}", s->family, l.labels);
    if (s->type == PROMC_HISTOGRAM && has_suffix(l.name, s->family, "_bucket")) {
        if (strcmp(key, s->cur) != 0 || s->has_sum)
            begin_series(s, key);
        double le = strtod(l.le, NULL);
        if (!(le > s->last_le))
            scrape_fail(s, "%s: le %s out of order", key, l.le);
        uint64_t v = (uint64_t)l.value;
        if (s->nbuckets && v < s->buckets[s->nbuckets - 1])
            scrape_fail(s, "%s: bucket le=%s (%llu) below the previous one (%llu)", key, l.le,
                        (unsigned long long)v, (unsigned long long)s->buckets[s->nbuckets - 1]);
        if (s->nbuckets < MAX_LE)
            s->buckets[s->nbuckets++] = v;
        s->last_le = le;
        if (isinf(le)) {
            s->has_inf = true;
            s->inf = v;
        }
    } else if (s->type == PROMC_SUMMARY && strcmp(l.name, s->family) == 0) {
        if (strcmp(key, s->cur) != 0 || s->has_sum)
            begin_series(s, key);
        if (!isnan(l.value) && !(l.value >= s->lo && l.value <= s->hi))
            scrape_fail(s, "%s: quantile %s = %g outside the observed range [%g, %g]", key, l.le,
                        l.value, s->lo, s->hi);
    } else if (has_suffix(l.name, s->family, "_sum")) {
        if (strcmp(key, s->cur) != 0)
            begin_series(s, key); /* a summary without objectives starts here */
        s->sum = l.value;
        s->has_sum = true;
    } else if (has_suffix(l.name, s->family, "_count")) {
        end_series(s, key, l.value);
    }
}

static void check_exposition(struct scraper *s, const char *text, size_t len, promc_format f)
{
    s->family[0] = s->cur[0] = '\0';
    s->type = PROMC_UNTYPED;
    const char *p = text, *end = text + len;
    if (f == PROMC_FORMAT_OPENMETRICS && (len < 6 || strcmp(end - 6, "# EOF\n") != 0))
        scrape_fail(s, "OpenMetrics exposition does not end with # EOF");
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            scrape_fail(s, "exposition does not end with a newline");
            return;
        }
        if (nl > p)
            check_line(s, p, nl);
        p = nl + 1;
    }
}

static void scrape_once(struct scraper *s, promc_format f)
{
    size_t len = 0;
    char *text = promc_encode_buffer(s->reg, f, &len);
    if (!text) {
        scrape_fail(s, "scrape failed: %s", promc_last_error());
        return;
    }
    check_exposition(s, text, len, f);
    promc_free(text);
    s->scrapes++;
}

static void *scraper_main(void *arg)
{
    struct scraper *s = arg;
    for (long i = 0; !stopping(); i++)
        scrape_once(s, i % 2 ? PROMC_FORMAT_OPENMETRICS : PROMC_FORMAT_TEXT);
    return NULL;
}

static void scraper_init(struct scraper *s, promc_registry *reg, double lo, double hi)
{
    memset(s, 0, sizeof *s);
    s->reg = reg;
    s->lo = lo;
    s->hi = hi;
}

static void scraper_check(struct scraper *s, bool has_series)
{
    if (s->failed)
        fail_msg("scraper: %s", s->error);
    assert_true(s->scrapes >= 2);
    if (has_series)
        assert_true(s->series >= s->scrapes);
}

/* The checker itself: each inconsistency it exists to catch is caught. */
static void test_snapshot_checker_rejects_inconsistent_expositions(void **state)
{
    (void)state;
    static const char *const bad[] = {
        /* buckets not cumulative */
        "# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"2\"} 2\n"
        "h_bucket{le=\"+Inf\"} 3\nh_sum 1\nh_count 3\n",
        /* +Inf != _count */
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\n"
        "h_count 3\n",
        /* le out of order */
        "# TYPE h histogram\nh_bucket{a=\"x\",le=\"2\"} 1\nh_bucket{a=\"x\",le=\"1\"} 1\n"
        "h_bucket{a=\"x\",le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
        /* _sum impossible for _count (values in [0, 1]) */
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\n"
        "h_count 1\n",
        /* quantile outside the observed range */
        "# TYPE s summary\ns{quantile=\"0.5\"} 7\ns_sum 1\ns_count 1\n",
        /* OpenMetrics without # EOF (checked as OpenMetrics below) */
        "# TYPE g gauge\ng 1\n",
        /* garbage */
        "h_bucket{le=\"1\" 3\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct scraper s;
        scraper_init(&s, NULL, 0, 1);
        check_exposition(&s, bad[i], strlen(bad[i]),
                         i == 5 ? PROMC_FORMAT_OPENMETRICS : PROMC_FORMAT_TEXT);
        if (!s.failed)
            fail_msg("inconsistent exposition %zu accepted", i);
    }
    /* Going backwards between two scrapes of the same scraper. */
    static const char *const first = "# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                                     "h_bucket{le=\"+Inf\"} 3\nh_sum 1\nh_count 3\n";
    static const char *const second = "# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
                                      "h_bucket{le=\"+Inf\"} 3\nh_sum 1\nh_count 3\n";
    struct scraper s;
    scraper_init(&s, NULL, 0, 1);
    check_exposition(&s, first, strlen(first), PROMC_FORMAT_TEXT);
    assert_false(s.failed);
    assert_int_equal(s.series, 1);
    check_exposition(&s, second, strlen(second), PROMC_FORMAT_TEXT);
    assert_true(s.failed);
}

/* ------------------------------------------------------------------ */
/* (a) histogram snapshots while 4 writers observe                    */
/* ------------------------------------------------------------------ */

#define NB       5 /* 0.5, 1, 2.5, 5, +Inf */
#define MAX_NEW  16
#define S_PLAIN  0
#define S_SHARED 1
#define S_OWN    2                  /* + writer id */
#define S_NEW    (S_OWN + NWRITERS) /* + id * MAX_NEW + j */
#define NSERIES  (S_NEW + NWRITERS * MAX_NEW)

static const double hist_bounds[NB - 1] = {0.5, 1, 2.5, 5};
static const char *const le_text[NB] = {"0.5", "1", "2.5", "5", "+Inf"};

struct hist_writer {
    int id;
    promc_histogram_vec *labelled;
    promc_histogram *plain;
    int created; /* new children made, "t<id>_<j>" for j < created */
    bool failed;
    uint64_t count[NSERIES][NB];
    uint64_t halves[NSERIES]; /* sum of observed values, in units of 0.5 */
};

static size_t bucket_of(double v)
{
    size_t b = 0;
    while (b < NB - 1 && !(v <= hist_bounds[b]))
        b++;
    return b;
}

static void observe(struct hist_writer *w, promc_histogram *h, int series, uint64_t i)
{
    double v = (double)(i % 12) * 0.5; /* 0 .. 5.5: every bucket, exact sums */
    promc_histogram_observe(h, v);
    w->count[series][bucket_of(v)]++;
    w->halves[series] += i % 12;
}

static void *hist_writer_main(void *arg)
{
    struct hist_writer *w = arg;
    char own[32];
    snprintf(own, sizeof own, "w%d", w->id);
    promc_histogram *mine = promc_histogram_vec_labels(w->labelled, own); /* cached */
    if (!mine) {
        w->failed = true;
        return NULL;
    }
    for (uint64_t i = 0; !stopping(); i++) {
        observe(w, mine, S_OWN + w->id, i);
        observe(w, w->plain, S_PLAIN, i + 3);
        if (i % 4 == 0) /* looked up every time, shared by all writers */
            observe(w, promc_histogram_vec_labels(w->labelled, "shared"), S_SHARED, i + 5);
        if (i % 512 == 0 && w->created < MAX_NEW) {
            /* A new child, created here: counted only once it exists, so
             * stopping at any moment leaves the count right. */
            char id[32];
            snprintf(id, sizeof id, "t%d_%d", w->id, w->created);
            if (!promc_histogram_vec_labels(w->labelled, id)) {
                w->failed = true;
                return NULL;
            }
            w->created++;
        }
        if (i % 8 == 0 && w->created) {
            int j = (int)((i / 8) % (uint64_t)w->created);
            char id[32];
            snprintf(id, sizeof id, "t%d_%d", w->id, j);
            promc_histogram *h = promc_histogram_vec_labels(w->labelled, id);
            if (!h) {
                w->failed = true;
                return NULL;
            }
            observe(w, h, S_NEW + w->id * MAX_NEW + j, i + 7);
        }
    }
    return NULL;
}

/* Exact totals of one series against the sum of what the writers did. */
static void check_hist_series(promc_registry *reg, const char *family, const promc_label *label,
                              struct hist_writer *w, int series)
{
    uint64_t count[NB] = {0}, halves = 0;
    for (int t = 0; t < NWRITERS; t++) {
        for (int b = 0; b < NB; b++)
            count[b] += w[t].count[series][b];
        halves += w[t].halves[series];
    }
    char name[128];
    size_t n = label ? 1 : 0;
    uint64_t cumulative = 0;
    for (int b = 0; b < NB; b++) {
        cumulative += count[b];
        promc_label labels[2] = {{"le", le_text[b]}};
        if (label) {
            labels[0] = *label;
            labels[1] = (promc_label){"le", le_text[b]};
        }
        snprintf(name, sizeof name, "%s_bucket", family);
        assert_true(test_value(reg, name, labels, n + 1) == (double)cumulative);
    }
    snprintf(name, sizeof name, "%s_count", family);
    assert_true(test_value(reg, name, label, n) == (double)cumulative);
    snprintf(name, sizeof name, "%s_sum", family);
    assert_true(test_value(reg, name, label, n) == (double)halves * 0.5);
}

static void test_histogram_scrapes_are_consistent_snapshots_while_observed(void **state)
{
    (void)state;
    const promc_histogram_opts opts = {.buckets = hist_bounds, .nbuckets = NB - 1};
    promc_registry *reg = promc_registry_new();
    assert_non_null(reg);
    promc_histogram_vec *labelled = promc_histogram_vec_new(reg, "conc_latency_seconds", "Latency.",
                                                            PROMC_LABELS("worker"), &opts);
    promc_histogram *plain = promc_histogram_new(reg, "conc_plain_seconds", "Plain.", &opts);
    assert_non_null(labelled);
    assert_non_null(plain);

    static struct hist_writer w[NWRITERS];
    static struct scraper s[NSCRAPERS];
    pthread_t wt[NWRITERS], st[NSCRAPERS];
    atomic_store(&stop, false);
    for (int i = 0; i < NSCRAPERS; i++) {
        scraper_init(&s[i], reg, 0, 5.5);
        start(&st[i], scraper_main, &s[i]);
    }
    for (int i = 0; i < NWRITERS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].id = i;
        w[i].labelled = labelled;
        w[i].plain = plain;
        start(&wt[i], hist_writer_main, &w[i]);
    }
    run_for(PHASE_SECONDS);
    for (int i = 0; i < NWRITERS; i++)
        join(wt[i]);
    for (int i = 0; i < NSCRAPERS; i++)
        join(st[i]);
    for (int i = 0; i < NSCRAPERS; i++) {
        scrape_once(&s[i], PROMC_FORMAT_TEXT); /* once more, quiescent */
        scraper_check(&s[i], true);
    }

    uint64_t observations = 0;
    size_t children = NWRITERS + 1;
    for (int i = 0; i < NWRITERS; i++) {
        assert_false(w[i].failed);
        children += (size_t)w[i].created;
        for (int k = 0; k < NSERIES; k++)
            for (int b = 0; b < NB; b++)
                observations += w[i].count[k][b];
    }
    assert_int_equal(promc_metric_children(promc_histogram_vec_metric(labelled)), children);
    check_hist_series(reg, "conc_plain_seconds", NULL, w, S_PLAIN);
    const promc_label shared = {"worker", "shared"};
    check_hist_series(reg, "conc_latency_seconds", &shared, w, S_SHARED);
    for (int i = 0; i < NWRITERS; i++) {
        char id[32];
        snprintf(id, sizeof id, "w%d", i);
        const promc_label own = {"worker", id};
        check_hist_series(reg, "conc_latency_seconds", &own, w, S_OWN + i);
        for (int j = 0; j < w[i].created; j++) {
            snprintf(id, sizeof id, "t%d_%d", i, j);
            const promc_label made = {"worker", id};
            check_hist_series(reg, "conc_latency_seconds", &made, w, S_NEW + i * MAX_NEW + j);
        }
    }
    printf("   %llu observations, %ld + %ld scrapes\n", (unsigned long long)observations,
           s[0].scrapes, s[1].scrapes);
    promc_histogram_vec_free(labelled);
    promc_histogram_free(plain);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ */
/* (b) counters and gauges under contention                           */
/* ------------------------------------------------------------------ */

struct count_worker {
    promc_counter *ops, *halves;
    promc_counter_vec *labelled;
    promc_gauge *level;
    uint64_t iterations;
    bool failed;
};

static void *count_worker_main(void *arg)
{
    struct count_worker *w = arg;
    while (!stopping()) {
        promc_counter_inc(w->ops);
        promc_counter_add_int(w->ops, 3);
        if (promc_counter_add(w->ops, 2.0) != PROMC_OK || /* whole: the integer path */
            promc_counter_add(w->halves, 0.5) != PROMC_OK) {
            w->failed = true;
            return NULL;
        }
        promc_counter *c = promc_counter_vec_labels(w->labelled, "same");
        if (!c) {
            w->failed = true;
            return NULL;
        }
        promc_counter_inc(c);
        promc_gauge_inc(w->level);
        promc_gauge_add(w->level, 0.5);
        promc_gauge_dec(w->level);
        promc_gauge_sub(w->level, 0.5);
        w->iterations++;
    }
    return NULL;
}

static void test_counters_and_gauges_are_exact_under_contention(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    assert_non_null(reg);
    struct count_worker base = {
        .ops = promc_counter_new(reg, "conc_ops_total", "Ops.", NULL),
        .halves = promc_counter_new(reg, "conc_halves_total", "Halves.", NULL),
        .labelled =
            promc_counter_vec_new(reg, "conc_labelled_total", "Labelled.", PROMC_LABELS("k"), NULL),
        .level = promc_gauge_new(reg, "conc_level", "Level.", NULL),
    };
    assert_non_null(base.ops);
    assert_non_null(base.halves);
    assert_non_null(base.labelled);
    assert_non_null(base.level);

    struct count_worker w[NWRITERS];
    static struct scraper s;
    pthread_t wt[NWRITERS], st;
    atomic_store(&stop, false);
    scraper_init(&s, reg, 0, 0);
    start(&st, scraper_main, &s);
    for (int i = 0; i < NWRITERS; i++) {
        w[i] = base;
        start(&wt[i], count_worker_main, &w[i]);
    }
    run_for(PHASE_SECONDS);
    for (int i = 0; i < NWRITERS; i++)
        join(wt[i]);
    join(st);
    scraper_check(&s, false);

    uint64_t n = 0;
    for (int i = 0; i < NWRITERS; i++) {
        assert_false(w[i].failed);
        n += w[i].iterations;
    }
    assert_true(n > 0);
    assert_true(promc_counter_get(base.ops) == (double)(6 * n));
    assert_true(test_value(reg, "conc_ops_total", NULL, 0) == (double)(6 * n));
    assert_true(promc_counter_get(base.halves) == (double)n * 0.5);
    const promc_label same = {"k", "same"};
    assert_true(test_value(reg, "conc_labelled_total", &same, 1) == (double)n);
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(base.labelled)), 1);
    assert_true(promc_gauge_get(base.level) == 0);
    printf("   %llu iterations\n", (unsigned long long)n);
    promc_counter_free(base.ops);
    promc_counter_free(base.halves);
    promc_counter_vec_free(base.labelled);
    promc_gauge_free(base.level);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ */
/* (c) summaries observed from threads while scraped                  */
/* ------------------------------------------------------------------ */

struct summary_worker {
    int id;
    promc_summary *plain, *quantiles;
    promc_summary_vec *labelled;
    uint64_t n, sum; /* per summary series: each observes the same values */
    bool failed;
};

static void *summary_worker_main(void *arg)
{
    struct summary_worker *w = arg;
    char id[32];
    snprintf(id, sizeof id, "w%d", w->id);
    promc_summary *mine = promc_summary_vec_labels(w->labelled, id);
    if (!mine) {
        w->failed = true;
        return NULL;
    }
    for (uint64_t i = 0; !stopping(); i++) {
        double v = (double)(1 + (i * 37 + (uint64_t)w->id) % 100); /* 1 .. 100 */
        promc_summary_observe(w->plain, v);
        promc_summary_observe(w->quantiles, v);
        promc_summary_observe(mine, v);
        w->n++;
        w->sum += (uint64_t)v;
    }
    return NULL;
}

/* Huge whole increments from several threads carry a counter past 2^64:
 * every reading stays at or above the one before, and the total is what was
 * added (as exact as a double). */
struct huge {
    promc_counter *plain, *child;
    atomic_ulong adds;
};

#define HUGE_STEP (UINT64_C(1) << 50)

static void *huge_writer(void *arg)
{
    struct huge *h = arg;
    while (!atomic_load(&stop)) {
        promc_counter_add_int(h->plain, HUGE_STEP);
        promc_counter_add_int(h->child, HUGE_STEP);
        promc_counter_inc(h->plain);
        atomic_fetch_add(&h->adds, 1);
    }
    return NULL;
}

static void *huge_reader(void *arg)
{
    struct huge *h = arg;
    double last_plain = 0, last_child = 0;
    while (!atomic_load(&stop)) {
        double p = promc_counter_get(h->plain), c = promc_counter_get(h->child);
        if (p < last_plain || c < last_child) {
            fprintf(stderr, "went down: %.17g after %.17g, %.17g after %.17g\n", p, last_plain, c,
                    last_child);
            abort();
        }
        last_plain = p;
        last_child = c;
    }
    return NULL;
}

static void test_huge_increments_from_threads_never_wrap(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *v = promc_counter_vec_new(reg, "huge_c", "H.", PROMC_LABELS("k"), NULL);
    struct huge h = {.plain = promc_counter_new(reg, "huge_p", "H.", NULL),
                     .child = promc_counter_vec_labels(v, "a")};
    atomic_init(&h.adds, 0);
    atomic_store(&stop, false);
    pthread_t w[NWRITERS], r;
    for (int i = 0; i < NWRITERS; i++)
        pthread_create(&w[i], NULL, huge_writer, &h);
    pthread_create(&r, NULL, huge_reader, &h);
    /* Until the counters are well past 2^64 (bounded: 10 s at most). */
    for (int i = 0; i < 200 && promc_counter_get(h.child) < 4e19; i++)
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    atomic_store(&stop, true);
    for (int i = 0; i < NWRITERS; i++)
        pthread_join(w[i], NULL);
    pthread_join(r, NULL);
    double adds = (double)atomic_load(&h.adds), want = adds * (double)HUGE_STEP;
    printf("   %.0f huge adds per counter, %.3g each\n", adds, promc_counter_get(h.child));
    assert_true(promc_counter_get(h.child) > 1.9e19); /* past 2^64 */
    assert_true(fabs(promc_counter_get(h.child) - want) <= want * 1e-9);
    assert_true(fabs(promc_counter_get(h.plain) - want - adds) <= want * 1e-9);
    promc_counter_vec_free(v);
    promc_counter_free(h.plain);
    promc_registry_free(reg);
}

static void test_summaries_count_exactly_and_quantiles_stay_in_range(void **state)
{
    (void)state;
    static const promc_objective obj[] = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};
    const promc_summary_opts opts = {.objectives = obj, .nobjectives = 3};
    promc_registry *reg = promc_registry_new();
    assert_non_null(reg);
    promc_summary *plain = promc_summary_new(reg, "conc_plain_bytes", "Plain.", NULL);
    promc_summary *quantiles = promc_summary_new(reg, "conc_q_bytes", "Quantiles.", &opts);
    promc_summary_vec *labelled =
        promc_summary_vec_new(reg, "conc_lq_bytes", "Labelled.", PROMC_LABELS("worker"), &opts);
    assert_non_null(plain);
    assert_non_null(quantiles);
    assert_non_null(labelled);

    struct summary_worker w[NWRITERS];
    static struct scraper s[NSCRAPERS];
    pthread_t wt[NWRITERS], st[NSCRAPERS];
    atomic_store(&stop, false);
    for (int i = 0; i < NSCRAPERS; i++) {
        scraper_init(&s[i], reg, 1, 100);
        start(&st[i], scraper_main, &s[i]);
    }
    for (int i = 0; i < NWRITERS; i++) {
        w[i] = (struct summary_worker){i, plain, quantiles, labelled, 0, 0, false};
        start(&wt[i], summary_worker_main, &w[i]);
    }
    run_for(PHASE_SECONDS);
    for (int i = 0; i < NWRITERS; i++)
        join(wt[i]);
    for (int i = 0; i < NSCRAPERS; i++)
        join(st[i]);
    for (int i = 0; i < NSCRAPERS; i++) {
        scrape_once(&s[i], PROMC_FORMAT_OPENMETRICS);
        scraper_check(&s[i], true);
    }

    uint64_t n = 0, sum = 0;
    for (int i = 0; i < NWRITERS; i++) {
        assert_false(w[i].failed);
        n += w[i].n;
        sum += w[i].sum;
        char id[32];
        snprintf(id, sizeof id, "w%d", i);
        const promc_label own = {"worker", id};
        assert_true(test_value(reg, "conc_lq_bytes_count", &own, 1) == (double)w[i].n);
        assert_true(test_value(reg, "conc_lq_bytes_sum", &own, 1) == (double)w[i].sum);
    }
    assert_true(n > 0);
    assert_true(test_value(reg, "conc_plain_bytes_count", NULL, 0) == (double)n);
    assert_true(test_value(reg, "conc_plain_bytes_sum", NULL, 0) == (double)sum);
    assert_true(test_value(reg, "conc_q_bytes_count", NULL, 0) == (double)n);
    assert_true(test_value(reg, "conc_q_bytes_sum", NULL, 0) == (double)sum);
    const char *const qs[] = {"0.5", "0.9", "0.99"};
    for (int i = 0; i < 3; i++) {
        const promc_label q = {"quantile", qs[i]};
        double v = test_value(reg, "conc_q_bytes", &q, 1);
        assert_true(v >= 1 && v <= 100);
    }
    printf("   %llu observations per summary, %ld + %ld scrapes\n", (unsigned long long)n,
           s[0].scrapes, s[1].scrapes);
    promc_summary_free(plain);
    promc_summary_free(quantiles);
    promc_summary_vec_free(labelled);
    promc_registry_free(reg);
}

/*
 * Observers buffer quantile values in their own stripes; a scrape must merge
 * them so that it reflects every observation completed before it started.
 * Two threads observe 1, 2, 3... and -1, -2, -3... (480 in all: below 500 a
 * stream answers exactly, so the 0 and 1 quantiles are the exact minimum and
 * maximum) and publish each count after the observation returns; a scraper
 * that read counts a and b must see a maximum of at least a and a minimum of
 * at most -b.
 */
#define SEEN_EACH 240

struct seen_writer {
    promc_summary *s;
    double sign;
    atomic_int done;
};

static void *seen_writer_main(void *arg)
{
    struct seen_writer *w = arg;
    for (int i = 1; i <= SEEN_EACH; i++) {
        promc_summary_observe(w->s, w->sign * i);
        atomic_store_explicit(&w->done, i, memory_order_release);
        sched_yield();
    }
    return NULL;
}

static void test_summary_scrapes_see_every_completed_observation(void **state)
{
    (void)state;
    static const promc_objective obj[] = {{0, 0.01}, {1, 0.01}};
    const promc_summary_opts opts = {.objectives = obj, .nobjectives = 2};
    promc_registry *reg = promc_registry_new();
    assert_non_null(reg);
    promc_summary *s = promc_summary_new(reg, "conc_seen", "Seen.", &opts);
    assert_non_null(s);
    struct seen_writer w[2] = {{.s = s, .sign = 1}, {.s = s, .sign = -1}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        atomic_init(&w[i].done, 0);
        start(&t[i], seen_writer_main, &w[i]);
    }
    const promc_label lo = {"quantile", "0"}, hi = {"quantile", "1"};
    long scrapes = 0;
    for (;;) {
        int a = atomic_load_explicit(&w[0].done, memory_order_acquire);
        int b = atomic_load_explicit(&w[1].done, memory_order_acquire);
        double max = test_value(reg, "conc_seen", &hi, 1);
        double min = test_value(reg, "conc_seen", &lo, 1);
        scrapes++;
        if (a > 0 && !(max >= a)) {
            fprintf(stderr, "maximum %g after %d observations\n", max, a);
            fail();
        }
        if (b > 0 && !(min <= -b)) {
            fprintf(stderr, "minimum %g after %d observations\n", min, b);
            fail();
        }
        if (a == SEEN_EACH && b == SEEN_EACH)
            break;
    }
    for (int i = 0; i < 2; i++)
        join(t[i]);
    assert_true(test_value(reg, "conc_seen_count", NULL, 0) == 2 * SEEN_EACH);
    assert_true(test_value(reg, "conc_seen_sum", NULL, 0) == 0);
    assert_true(test_value(reg, "conc_seen", &hi, 1) == SEEN_EACH);
    assert_true(test_value(reg, "conc_seen", &lo, 1) == -SEEN_EACH);
    printf("   %ld scrapes\n", scrapes);
    promc_summary_free(s);
    promc_registry_free(reg);
}

/* A removed child looked up again starts at zero: values still buffered in
 * an observer's stripe when it was removed are gone with the rest, and the
 * stripe goes on collecting for the new series. */
static void test_summary_reattached_child_forgets_buffered_values(void **state)
{
    (void)state;
    static const promc_objective obj[] = {{0, 0.01}, {1, 0.01}};
    const promc_summary_opts opts = {.objectives = obj, .nobjectives = 2};
    promc_registry *reg = promc_registry_new();
    assert_non_null(reg);
    promc_summary_vec *v =
        promc_summary_vec_new(reg, "conc_reattach", "Reattach.", PROMC_LABELS("k"), &opts);
    assert_non_null(v);
    const promc_label a = {"k", "a"}, hi[2] = {{"k", "a"}, {"quantile", "1"}};
    promc_summary *s = promc_summary_vec_labels(v, "a");
    for (int i = 1; i <= 10; i++)
        promc_summary_observe(s, 1000 + i);
    assert_int_equal(promc_summary_vec_remove(v, "a"), PROMC_OK);
    assert_true(promc_summary_vec_labels(v, "a") == s);
    assert_true(isnan(test_value(reg, "conc_reattach", hi, 2)));
    promc_summary_observe(s, 7);
    assert_true(test_value(reg, "conc_reattach", hi, 2) == 7);
    assert_true(test_value(reg, "conc_reattach_count", &a, 1) == 1);
    assert_true(test_value(reg, "conc_reattach_sum", &a, 1) == 7);
    promc_summary_vec_free(v);
    promc_registry_free(reg);
}

/* Values still buffered in a stripe when their age bucket leaves the window
 * expire as if they had been merged at once: a scrape after max_age reports
 * none of them, and a newer value only. */
static void test_summary_buffered_values_expire_with_their_bucket(void **state)
{
    (void)state;
    static const promc_objective obj[] = {{0, 0.01}, {1, 0.01}};
    const promc_summary_opts opts = {
        .objectives = obj, .nobjectives = 2, .max_age = 0.2, .age_buckets = 2};
    promc_registry *reg = promc_registry_new();
    assert_non_null(reg);
    promc_summary *s = promc_summary_new(reg, "conc_expire", "Expire.", &opts);
    assert_non_null(s);
    const promc_label lo = {"quantile", "0"}, hi = {"quantile", "1"};
    for (int i = 1; i <= 10; i++)
        promc_summary_observe(s, i);
    run_for(0.5); /* no scrape meanwhile: the values wait in the stripe */
    assert_true(isnan(test_value(reg, "conc_expire", &hi, 1)));
    assert_true(test_value(reg, "conc_expire_count", NULL, 0) == 10);
    promc_summary_observe(s, 99);
    assert_true(test_value(reg, "conc_expire", &lo, 1) == 99);
    assert_true(test_value(reg, "conc_expire", &hi, 1) == 99);
    promc_summary_free(s);
    promc_registry_free(reg);
}

/* More threads than a series has stripes: the later ones count through the
 * hot/cold sets and insert under the mutex, beside the stripe owners, and
 * the totals still add up exactly. */
#define MANY_THREADS 12
#define MANY_EACH    3000

static void *many_main(void *arg)
{
    promc_summary *s = arg;
    for (int i = 0; i < MANY_EACH; i++)
        promc_summary_observe(s, (double)(i % 50));
    return NULL;
}

static void test_summary_threads_beyond_the_stripes_count_exactly(void **state)
{
    (void)state;
    static const promc_objective obj[] = {{0.5, 0.05}, {0.99, 0.001}};
    const promc_summary_opts opts = {.objectives = obj, .nobjectives = 2};
    promc_registry *reg = promc_registry_new();
    assert_non_null(reg);
    promc_summary *s = promc_summary_new(reg, "conc_many", "Many.", &opts);
    assert_non_null(s);
    pthread_t t[MANY_THREADS];
    for (int i = 0; i < MANY_THREADS; i++)
        start(&t[i], many_main, s);
    for (int i = 0; i < 20; i++) /* scrapes meanwhile */
        (void)test_value(reg, "conc_many_count", NULL, 0);
    for (int i = 0; i < MANY_THREADS; i++)
        join(t[i]);
    double each = 0;
    for (int i = 0; i < MANY_EACH; i++)
        each += i % 50;
    assert_true(test_value(reg, "conc_many_count", NULL, 0) == MANY_THREADS * MANY_EACH);
    assert_true(test_value(reg, "conc_many_sum", NULL, 0) == MANY_THREADS * each);
    const promc_label q = {"quantile", "0.5"};
    double median = test_value(reg, "conc_many", &q, 1);
    assert_true(median >= 22 && median <= 27);
    promc_summary_free(s);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ */
/* (d) registry churn beside scrapes                                  */
/* ------------------------------------------------------------------ */

struct churn {
    promc_registry *reg;
    promc_counter_vec *children; /* labelled, registered for the whole phase */
    promc_counter *stable;       /* child used by the steady writer */
    uint64_t rounds, stable_incs;
    bool failed;
    char error[256];
};

static int churn_collect(promc_emitter *e, void *userdata)
{
    (void)userdata;
    const promc_label l = {"source", "churn"};
    if (promc_emit_family(e, "conc_churn_collected", "Collected.", PROMC_GAUGE, NULL) != PROMC_OK ||
        promc_emit_sample(e, &l, 1, 1) != PROMC_OK)
        return -1;
    return 0;
}

static void churn_fail(struct churn *c, const char *what)
{
    c->failed = true;
    snprintf(c->error, sizeof c->error, "%s: %s", what, promc_last_error());
}

/* Registers and unregisters metrics and creates and removes children that
 * only this thread uses, while the scrapers walk the same registry. */
static void *churn_main(void *arg)
{
    struct churn *c = arg;
    for (uint64_t i = 0; !stopping(); i++) {
        char name[64], value[32];
        snprintf(name, sizeof name, "conc_churn_gauge_%u", (unsigned)(i % 8));
        promc_gauge *g = promc_gauge_new(c->reg, name, "Churned gauge.", NULL);
        snprintf(name, sizeof name, "conc_churn_seconds_%u", (unsigned)(i % 8));
        promc_histogram_vec *h = promc_histogram_vec_new(
            PROMC_NO_REGISTRY, name, "Churned histogram.", PROMC_LABELS("k"), NULL);
        promc_metric *coll = promc_collector_new(c->reg, churn_collect, NULL, NULL,
                                                 PROMC_LABELS("conc_churn_collected"));
        if (!g || !h || !coll) {
            churn_fail(c, "create");
            return NULL;
        }
        promc_gauge_set(g, (double)i);
        /* Observed before it is registered: every scrape sees _count 1, so
         * the scrapers' nothing-goes-back check holds across incarnations. */
        promc_histogram_observe(promc_histogram_vec_labels(h, "x"), 0.1);
        if (promc_registry_register(c->reg, promc_histogram_vec_metric(h)) != PROMC_OK) {
            churn_fail(c, "register");
            return NULL;
        }

        snprintf(value, sizeof value, "v%u", (unsigned)(i % 64));
        promc_counter *child = promc_counter_vec_labels(c->children, value);
        if (!child) {
            churn_fail(c, "labels");
            return NULL;
        }
        promc_counter_inc(child);
        if (i % 3 == 0 && promc_counter_vec_remove(c->children, value) != PROMC_OK) {
            churn_fail(c, "remove");
            return NULL;
        }

        /* Alternate who lets go first: the creator or the registry. */
        promc_metric *gm = promc_gauge_metric(g), *hm = promc_histogram_vec_metric(h);
        if (i % 2)
            promc_gauge_free(g);
        if (promc_registry_unregister(c->reg, gm) != PROMC_OK ||
            promc_registry_unregister(c->reg, hm) != PROMC_OK ||
            promc_registry_unregister(c->reg, coll) != PROMC_OK) {
            churn_fail(c, "unregister");
            return NULL;
        }
        if (i % 2 == 0)
            promc_gauge_free(g);
        promc_histogram_vec_free(h);
        promc_metric_free(coll);
        c->rounds++;
    }
    return NULL;
}

static void *steady_main(void *arg)
{
    struct churn *c = arg;
    while (!stopping()) {
        promc_counter_inc(c->stable);
        c->stable_incs++;
    }
    return NULL;
}

static void test_registry_churn_beside_scrapes_is_safe(void **state)
{
    (void)state;
    struct churn c = {0};
    c.reg = promc_registry_new();
    assert_non_null(c.reg);
    c.children = promc_counter_vec_new(c.reg, "conc_churn_children_total", "Children.",
                                       PROMC_LABELS("v"), NULL);
    assert_non_null(c.children);
    c.stable = promc_counter_vec_labels(c.children, "stable");
    assert_non_null(c.stable);

    /* One scraper: beside several back to back the churn thread starves (see
     * test_writers_are_not_starved_by_back_to_back_scrapes). */
    static struct scraper s;
    pthread_t ct, wt, st;
    atomic_store(&stop, false);
    scraper_init(&s, c.reg, 0.1, 0.1);
    start(&st, scraper_main, &s);
    start(&ct, churn_main, &c);
    start(&wt, steady_main, &c);
    run_for(PHASE_SECONDS);
    join(ct);
    join(wt);
    join(st);
    scraper_check(&s, false);
    if (c.failed)
        fail_msg("churn thread: %s", c.error);
    assert_true(c.rounds > 0);

    const promc_label stable = {"v", "stable"};
    assert_true(test_value(c.reg, "conc_churn_children_total", &stable, 1) ==
                (double)c.stable_incs);
    /* Only the labelled counter is left registered. */
    char *text = test_render(c.reg, PROMC_FORMAT_TEXT);
    assert_null(strstr(text, "conc_churn_gauge"));
    assert_null(strstr(text, "conc_churn_seconds"));
    assert_null(strstr(text, "conc_churn_collected"));
    promc_free(text);
    printf("   %llu churn rounds, %ld scrapes\n", (unsigned long long)c.rounds, s.scrapes);
    promc_counter_vec_free(c.children);
    promc_registry_free(c.reg);
}

/* ------------------------------------------------------------------ */
/* (e) writers make progress while scrapes never pause                */
/* ------------------------------------------------------------------ */

#define NBUSY        3
#define MIN_PROGRESS 20   /* rounds in PHASE_SECONDS; unstarved, thousands */
#define MAX_NEW_KIDS 2000 /* keeps the scraped family small */

/* A thread taking a write lock in a loop: register + unregister (registry
 * lock), or a new child (the family's lock). */
struct writer {
    promc_registry *reg;
    promc_histogram_vec *family;
    long rounds;
    double worst; /* seconds, one round */
    bool failed;
};

/* A scraper that only renders, as an endpoint writing to a socket does: the
 * lock is free only between one scrape's end and the next one's start. */
static void *busy_scraper_main(void *arg)
{
    struct scraper *s = arg;
    while (!stopping()) {
        char *text = promc_encode_buffer(s->reg, PROMC_FORMAT_TEXT, NULL);
        if (!text) {
            scrape_fail(s, "scrape failed: %s", promc_last_error());
            return NULL;
        }
        promc_free(text);
        s->scrapes++;
    }
    return NULL;
}

static double mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void timed(struct writer *w, double t0)
{
    double dt = mono_seconds() - t0;
    if (dt > w->worst)
        w->worst = dt;
    w->rounds++;
}

static void *registrar_main(void *arg)
{
    struct writer *w = arg;
    while (!stopping()) {
        double t0 = mono_seconds();
        promc_gauge *g = promc_gauge_new(w->reg, "conc_busy_gauge", "Busy.", NULL);
        if (!g || promc_registry_unregister(w->reg, promc_gauge_metric(g)) != PROMC_OK) {
            w->failed = true;
            return NULL;
        }
        promc_gauge_free(g);
        timed(w, t0);
    }
    return NULL;
}

static void *child_maker_main(void *arg)
{
    struct writer *w = arg;
    while (!stopping() && w->rounds < MAX_NEW_KIDS) {
        char k[32];
        snprintf(k, sizeof k, "new%ld", w->rounds);
        double t0 = mono_seconds();
        promc_histogram *c = promc_histogram_vec_labels(w->family, k);
        if (!c) {
            w->failed = true;
            return NULL;
        }
        promc_histogram_observe(c, 0.1);
        timed(w, t0);
    }
    return NULL;
}

/* Prints the writer's progress; false when it starved. */
static bool progressed(const struct writer *w, const char *what)
{
    assert_false(w->failed);
    printf("   %ld %s beside %d scrapers, worst %.3f s\n", w->rounds, what, NBUSY, w->worst);
    return w->rounds >= MIN_PROGRESS;
}

/* A metrics endpoint scraped by several clients at once must not block
 * register/unregister, or the first use of a label set in instrumented code,
 * indefinitely: a writer waiting for a lock has to get it once the scrapes
 * holding it now finish, even if more scrapes keep arriving.
 *
 * Time is counted in scrapes, not seconds, so the machine's speed (or
 * ThreadSanitizer's) cannot decide: a writer that is not starved waits at
 * most for the scrapes in progress, about a scrape's time a round, so a
 * phase in which every scraper finished more than MIN_PROGRESS scrapes
 * leaves it at least MIN_PROGRESS rounds; a starved writer completes next
 * to none however long the phase.
 * A phase of PHASE_SECONDS usually shows that at once; when the scrapers
 * are too slow for it (a loaded machine: each scrape renders up to
 * MAX_NEW_KIDS children), the phase is doubled until they are not. */
static void test_writers_are_not_starved_by_back_to_back_scrapes(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    assert_non_null(reg);
    promc_histogram_vec *h =
        promc_histogram_vec_new(reg, "conc_busy_seconds", "Busy.", PROMC_LABELS("k"), NULL);
    assert_non_null(h);
    for (int i = 0; i < 50; i++) {
        char k[32];
        snprintf(k, sizeof k, "k%d", i);
        promc_histogram_observe(promc_histogram_vec_labels(h, k), 0.1);
    }
    static struct scraper s[NBUSY];
    struct writer reg_writer = {reg, h, 0, 0, false}, kid_writer = {reg, h, 0, 0, false};
    for (int i = 0; i < NBUSY; i++)
        scraper_init(&s[i], reg, 0.1, 0.1);
    double phase = PHASE_SECONDS;
    for (int attempt = 0;; attempt++, phase *= 2) {
        /* Counters read before the threads start and after they are joined. */
        long scrapes_before[NBUSY], reg_before = reg_writer.rounds, kid_before = kid_writer.rounds;
        for (int i = 0; i < NBUSY; i++)
            scrapes_before[i] = s[i].scrapes;
        pthread_t st[NBUSY], rt, kt;
        atomic_store(&stop, false);
        for (int i = 0; i < NBUSY; i++)
            start(&st[i], busy_scraper_main, &s[i]);
        start(&rt, registrar_main, &reg_writer);
        start(&kt, child_maker_main, &kid_writer);
        run_for(phase);
        for (int i = 0; i < NBUSY; i++)
            join(st[i]);
        join(rt); /* a starved writer gets its lock once the scrapers stop */
        join(kt);
        for (int i = 0; i < NBUSY; i++)
            if (s[i].failed)
                fail_msg("scraper: %s", s[i].error);
        assert_false(reg_writer.failed || kid_writer.failed);
        long fewest = s[0].scrapes - scrapes_before[0];
        for (int i = 1; i < NBUSY; i++)
            if (s[i].scrapes - scrapes_before[i] < fewest)
                fewest = s[i].scrapes - scrapes_before[i];
        long reg_rounds = reg_writer.rounds - reg_before;
        long kid_rounds = kid_writer.rounds - kid_before;
        /* The child maker stops for good at MAX_NEW_KIDS. */
        bool reg_ok = reg_rounds >= MIN_PROGRESS;
        bool kid_ok = kid_rounds >= MIN_PROGRESS || kid_writer.rounds >= MAX_NEW_KIDS;
        printf("   %.1f s: %ld register+unregister rounds (worst %.3f s) and %ld new children "
               "(worst %.3f s) beside %d scrapers of at least %ld scrapes\n",
               phase, reg_rounds, reg_writer.worst, kid_rounds, kid_writer.worst, NBUSY, fewest);
        if (reg_ok && kid_ok && fewest >= 2)
            break;
        if (fewest > MIN_PROGRESS || attempt == 5)
            fail_msg("writers starve beside %d back-to-back scrapers: %s%s(fewer than %d rounds "
                     "while each scraper finished at least %ld scrapes in %.1f s)",
                     NBUSY, reg_ok ? "" : "register/unregister (registry rwlock) ",
                     kid_ok ? "" : "new children (family rwlock) ", MIN_PROGRESS, fewest, phase);
    }
    (void)progressed(&reg_writer, "register+unregister rounds in all");
    (void)progressed(&kid_writer, "new children in all");
    promc_histogram_vec_free(h);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ */
/* Label churn beside reclaim                                          */
/* ------------------------------------------------------------------ */

/* Churners create, increment and remove children of their own values (so
 * a handle is used only while its child is live, as reclaim requires)
 * while another thread reclaims the removed ones and a reader looks up
 * children that stay. A lookup that finds a removed child and brings it
 * back must not use one reclaim freed meanwhile (a stress test: under ASan
 * such a use is reported when the timing hits that window), every lookup
 * must return its own child, and the steady children count exactly. */
#define CHURN_VALUES 16

/* Threads count what went wrong; the test thread asserts (cmocka's asserts
 * belong to it). */
static atomic_int churn_failures;

static void churn_check(bool ok)
{
    if (!ok)
        atomic_fetch_add(&churn_failures, 1);
}

struct churner {
    promc_counter_vec *vec;
    int id;
    uint64_t cycles;
};

static void *churner_main(void *arg)
{
    struct churner *c = arg;
    char v[32];
    for (uint64_t i = 0; !stopping(); i++) {
        snprintf(v, sizeof v, "c%d-%d", c->id, (int)(i % 2));
        promc_counter *h = promc_counter_vec_labels(c->vec, v);
        churn_check(h != NULL);
        promc_counter_inc(h);
        churn_check(promc_counter_get(h) == 1);
        churn_check(promc_counter_vec_remove(c->vec, v) == PROMC_OK);
        c->cycles++;
    }
    return NULL;
}

static void *reclaimer_main(void *arg)
{
    promc_counter_vec *vec = arg;
    while (!stopping()) {
        churn_check(promc_metric_reclaim_removed(promc_counter_vec_metric(vec)) == PROMC_OK);
    }
    return NULL;
}

struct steady_reader {
    promc_counter_vec *vec;
    promc_counter *h[CHURN_VALUES];
    uint64_t incs[CHURN_VALUES];
};

static void *steady_reader_main(void *arg)
{
    struct steady_reader *r = arg;
    char v[32];
    for (uint64_t i = 0; !stopping(); i++) {
        int k = (int)((i * 7) % CHURN_VALUES);
        snprintf(v, sizeof v, "s-%d", k);
        promc_counter *h = promc_counter_vec_labels(r->vec, v);
        churn_check(h == r->h[k]);
        promc_counter_inc(h);
        r->incs[k]++;
    }
    return NULL;
}

static void test_label_churn_beside_reclaim_is_safe(void **state)
{
    (void)state;
    atomic_store(&stop, false);
    promc_counter_vec *vec =
        promc_counter_vec_new(PROMC_NO_REGISTRY, "churn", "Churn.", PROMC_LABELS("id"), NULL);
    struct steady_reader r = {.vec = vec};
    char v[32];
    for (int k = 0; k < CHURN_VALUES; k++) {
        snprintf(v, sizeof v, "s-%d", k);
        r.h[k] = promc_counter_vec_labels(vec, v);
        assert_non_null(r.h[k]);
    }
    struct churner c[2] = {{vec, 0, 0}, {vec, 1, 0}};
    pthread_t t[4];
    start(&t[0], churner_main, &c[0]);
    start(&t[1], churner_main, &c[1]);
    start(&t[2], reclaimer_main, vec);
    start(&t[3], steady_reader_main, &r);
    run_for(0.3);
    for (int i = 0; i < 4; i++)
        join(t[i]);
    assert_int_equal(atomic_load(&churn_failures), 0);
    assert_true(c[0].cycles > 0 && c[1].cycles > 0);
    for (int k = 0; k < CHURN_VALUES; k++)
        assert_true(promc_counter_get(r.h[k]) == (double)r.incs[k]);
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(vec)), CHURN_VALUES);
    promc_counter_vec_free(vec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_checker_rejects_inconsistent_expositions),
        cmocka_unit_test(test_histogram_scrapes_are_consistent_snapshots_while_observed),
        cmocka_unit_test(test_counters_and_gauges_are_exact_under_contention),
        cmocka_unit_test(test_huge_increments_from_threads_never_wrap),
        cmocka_unit_test(test_summaries_count_exactly_and_quantiles_stay_in_range),
        cmocka_unit_test(test_summary_scrapes_see_every_completed_observation),
        cmocka_unit_test(test_summary_reattached_child_forgets_buffered_values),
        cmocka_unit_test(test_summary_buffered_values_expire_with_their_bucket),
        cmocka_unit_test(test_summary_threads_beyond_the_stripes_count_exactly),
        cmocka_unit_test(test_registry_churn_beside_scrapes_is_safe),
        cmocka_unit_test(test_writers_are_not_starved_by_back_to_back_scrapes),
        cmocka_unit_test(test_label_churn_beside_reclaim_is_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
