/*
 * Exemplars: what OpenMetrics shows for counters and histogram buckets (and
 * that text 0.0.4 shows nothing), every refusal of a bad exemplar with the
 * increment or observation still recorded, series that come back without
 * their exemplars, many children in one family's table, exemplars beside
 * concurrent scrapes, and the set native histograms keep, case by case as
 * client_golang keeps it (out of memory: test_oom.c).
 */
#include "helpers.h"

#include <math.h>
#include <pthread.h>

#include "exemplar.h"

static const promc_label trace[] = {{"trace_id", "KOO5S4vxi0o"}};

/* The line of s that starts with prefix, up to its newline (static copy). */
static const char *line_of(const char *s, const char *prefix)
{
    static char out[4096];
    size_t n = strlen(prefix);
    for (const char *p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, prefix, n) && (p[n] == ' ' || p[n] == '{')) {
            size_t len = strcspn(p, "\n");
            snprintf(out, sizeof out, "%.*s", (int)len, p);
            return out;
        }
    return "(no such line)";
}

static void test_counter_openmetrics(void **state)
{
    (void)state;
    test_pin_clock();
    promc_registry *reg = promc_registry_new();
    promc_counter *c = promc_counter_new(reg, "requests", "R.", NULL);
    assert_int_equal(promc_counter_inc_exemplar(c, trace, 1), PROMC_OK);
    assert_string_equal(promc_last_error(), "");
    char *om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_string_equal(line_of(om, "requests_total"),
                        "requests_total 1 # {trace_id=\"KOO5S4vxi0o\"} 1.0 1.700000000123e+09");
    /* _created follows the sample with the exemplar, without one. */
    assert_non_null(strstr(om, "\nrequests_created 1.700000000123e+09\n"));
    promc_free(om);

    /* The most recent wins; escaping as in label values; fractional values. */
    const promc_label two[] = {{"span", "a\"b\\c\nd"}, {"trace_id", "x"}};
    assert_int_equal(promc_counter_add_exemplar(c, 0.5, two, 2), PROMC_OK);
    om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_string_equal(line_of(om, "requests_total"),
                        "requests_total 1.5 # {span=\"a\\\"b\\\\c\\nd\",trace_id=\"x\"} 0.5 "
                        "1.700000000123e+09");
    promc_free(om);

    /* No labels: an empty set, as the ABNF has it. */
    assert_int_equal(promc_counter_add_exemplar(c, 2, NULL, 0), PROMC_OK);
    om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_string_equal(line_of(om, "requests_total"),
                        "requests_total 3.5 # {} 2.0 1.700000000123e+09");
    promc_free(om);

    /* Text 0.0.4 never carries exemplars. */
    char *text = test_render(reg, PROMC_FORMAT_TEXT);
    assert_null(strstr(text, " # {"));
    assert_string_equal(line_of(text, "requests_total"), "requests_total 3.5");
    promc_free(text);
    promc_counter_free(c);
    promc_registry_free(reg);
}

static void test_histogram_openmetrics(void **state)
{
    (void)state;
    test_pin_clock();
    promc_registry *reg = promc_registry_new();
    const double b[] = {0.1, 1};
    promc_histogram_opts o = {.buckets = b, .nbuckets = 2};
    promc_histogram_vec *v =
        promc_histogram_vec_new(reg, "lat_seconds", "L.", PROMC_LABELS("svc"), &o);
    promc_histogram *h = promc_histogram_vec_labels(v, "api");
    assert_int_equal(promc_histogram_observe_exemplar(h, 0.05, trace, 1), PROMC_OK);
    const promc_label t2[] = {{"trace_id", "t2"}};
    assert_int_equal(promc_histogram_observe_exemplar(h, 7, t2, 1), PROMC_OK);
    promc_histogram_observe(h, 0.5);
    char *om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    const char *want = "# TYPE lat_seconds histogram\n"
                       "# HELP lat_seconds L.\n"
                       "lat_seconds_bucket{svc=\"api\",le=\"0.1\"} 1 # {trace_id=\"KOO5S4vxi0o\"} "
                       "0.05 1.700000000123e+09\n"
                       "lat_seconds_bucket{svc=\"api\",le=\"1.0\"} 2\n"
                       "lat_seconds_bucket{svc=\"api\",le=\"+Inf\"} 3 # {trace_id=\"t2\"} 7.0 "
                       "1.700000000123e+09\n"
                       "lat_seconds_sum{svc=\"api\"} 7.55\n"
                       "lat_seconds_count{svc=\"api\"} 3\n"
                       "lat_seconds_created{svc=\"api\"} 1.700000000123e+09\n"
                       "# EOF\n";
    assert_string_equal(om, want);
    promc_free(om);
    char *text = test_render(reg, PROMC_FORMAT_TEXT);
    assert_null(strstr(text, " # {"));
    promc_free(text);

    /* NaN goes to +Inf, as its count does. */
    assert_int_equal(promc_histogram_observe_exemplar(h, NAN, trace, 1), PROMC_OK);
    om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_non_null(strstr(om, "le=\"+Inf\"} 4 # {trace_id=\"KOO5S4vxi0o\"} NaN "));
    promc_free(om);

    /* No labels (the fuzzer found NULL + 0 in reading these back). */
    assert_int_equal(promc_histogram_observe_exemplar(h, 0.5, NULL, 0), PROMC_OK);
    om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_non_null(strstr(om, "le=\"1.0\"} 3 # {} 0.5 1.700000000123e+09\n"));
    promc_free(om);
    promc_histogram_vec_free(v);
    promc_registry_free(reg);
}

/* Each refusal: PROMC_EINVAL, a message saying why, the count recorded, the
 * previous exemplar kept. */
static void test_refusals(void **state)
{
    (void)state;
    test_pin_clock();
    promc_registry *reg = promc_registry_new();
    promc_counter *c = promc_counter_new(reg, "c", "C.", NULL);
    promc_histogram *h = promc_histogram_new(reg, "h", "H.", NULL);
    assert_int_equal(promc_counter_inc_exemplar(c, trace, 1), PROMC_OK);
    assert_int_equal(promc_histogram_observe_exemplar(h, 0.001, trace, 1), PROMC_OK);

    char big[200];
    memset(big, 'x', sizeof big);
    big[120] = '\0'; /* "trace_id" (8) + 120 = 128: the limit */
    const promc_label at_limit[] = {{"trace_id", big}};
    char big2[200];
    memset(big2, 'x', sizeof big2);
    big2[123] = '\0'; /* 131 */
    const promc_label over[] = {{"trace_id", big2}};
    /* 3-byte characters count once each: 8 + 40 = 48 characters. */
    char snow[121] = "";
    for (int i = 0; i < 40; i++)
        strcat(snow, "\xe2\x98\x83");
    const promc_label wide[] = {{"trace_id", snow}};
    const struct {
        const promc_label *labels;
        size_t n;
        const char *why;
    } bad[] = {
        {NULL, 1, "exemplar labels are NULL but nlabels is 1"},
        {(const promc_label[]){{"1x", "v"}}, 1, "exemplar label name \"1x\" is invalid"},
        {(const promc_label[]){{"__x", "v"}}, 1, "exemplar label name \"__x\" is invalid"},
        {(const promc_label[]){{NULL, "v"}}, 1, "exemplar label name \"(null)\" is invalid"},
        {(const promc_label[]){{"a", NULL}}, 1, "exemplar label \"a\" has a NULL value"},
        {(const promc_label[]){{"a", "\xff"}}, 1,
         "exemplar label \"a\" has a value that is not UTF-8"},
        {(const promc_label[]){{"a", "1"}, {"b", "2"}, {"a", "3"}}, 3,
         "exemplar label \"a\" is given twice"},
        {over, 1, "exemplar labels are 131 characters, at most 128"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (promc_counter_add_exemplar(c, 1, bad[i].labels, bad[i].n) != PROMC_EINVAL)
            fail_msg("case %zu accepted", i);
        if (!strstr(promc_last_error(), bad[i].why))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, promc_last_error(), bad[i].why);
        assert_non_null(strstr(promc_last_error(), "counter \"c\""));
        assert_int_equal(promc_histogram_observe_exemplar(h, 2, bad[i].labels, bad[i].n),
                         PROMC_EINVAL);
        assert_non_null(strstr(promc_last_error(), bad[i].why));
        assert_non_null(strstr(promc_last_error(), "histogram \"h\""));
    }
    size_t nbad = sizeof bad / sizeof bad[0];
    assert_true(promc_counter_get(c) == 1.0 + (double)nbad);

    /* Too many labels to fit is refused before anything is looked at. */
    promc_label many[130];
    for (int i = 0; i < 130; i++)
        many[i] = (promc_label){"a", ""};
    assert_int_equal(promc_counter_inc_exemplar(c, many, 130), PROMC_EINVAL);
    assert_non_null(strstr(promc_last_error(), "130 exemplar labels"));

    /* Negative and NaN adds: nothing recorded at all. */
    double before = promc_counter_get(c);
    assert_int_equal(promc_counter_add_exemplar(c, -1, trace, 1), PROMC_EINVAL);
    assert_non_null(strstr(promc_last_error(), "cannot add -1"));
    assert_int_equal(promc_counter_add_exemplar(c, NAN, trace, 1), PROMC_EINVAL);
    assert_true(promc_counter_get(c) == before);

    char *om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_non_null(strstr(om, "c_total 10 # {trace_id=\"KOO5S4vxi0o\"} 1.0 "));
    assert_non_null(strstr(om, "h_bucket{le=\"0.005\"} 1 # {trace_id=\"KOO5S4vxi0o\"} 0.001 "));
    assert_non_null(strstr(om, "h_count 9\n"));
    promc_free(om);

    /* At the limit, and multi-byte characters counted as characters. */
    assert_int_equal(promc_counter_inc_exemplar(c, at_limit, 1), PROMC_OK);
    assert_int_equal(promc_histogram_observe_exemplar(h, 1, wide, 1), PROMC_OK);
    om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_non_null(strstr(om, big));
    assert_non_null(strstr(om, snow));
    promc_free(om);

    /* NULL handles: no-ops, but the arguments are still checked. */
    assert_int_equal(promc_counter_inc_exemplar(NULL, trace, 1), PROMC_OK);
    assert_int_equal(promc_counter_add_exemplar(NULL, -1, trace, 1), PROMC_EINVAL);
    assert_int_equal(promc_counter_inc_exemplar(NULL, NULL, 1), PROMC_EINVAL);
    assert_int_equal(promc_histogram_observe_exemplar(NULL, 1, trace, 1), PROMC_OK);
    assert_int_equal(promc_histogram_observe_exemplar(NULL, 1, over, 1), PROMC_EINVAL);
    promc_counter_free(c);
    promc_histogram_free(h);
    promc_registry_free(reg);
}

/* A removed child that comes back is a new series: no exemplar; clear and
 * free release them (the leak checkers watch). */
static void test_removed_children_come_back_without(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *cv = promc_counter_vec_new(reg, "cv", "C.", PROMC_LABELS("k"), NULL);
    promc_histogram_vec *hv = promc_histogram_vec_new(reg, "hv", "H.", PROMC_LABELS("k"), NULL);
    assert_int_equal(promc_counter_inc_exemplar(promc_counter_vec_labels(cv, "a"), trace, 1),
                     PROMC_OK);
    assert_int_equal(
        promc_histogram_observe_exemplar(promc_histogram_vec_labels(hv, "a"), 0.2, trace, 1),
        PROMC_OK);
    char *om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_non_null(strstr(om, "cv_total{k=\"a\"} 1 # "));
    assert_non_null(strstr(om, "hv_bucket{k=\"a\",le=\"0.25\"} 1 # "));
    promc_free(om);
    assert_int_equal(promc_counter_vec_remove(cv, "a"), PROMC_OK);
    assert_int_equal(promc_histogram_vec_remove(hv, "a"), PROMC_OK);
    promc_counter_inc(promc_counter_vec_labels(cv, "a"));
    promc_histogram_observe(promc_histogram_vec_labels(hv, "a"), 0.2);
    om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    assert_string_equal(line_of(om, "cv_total"), "cv_total{k=\"a\"} 1");
    assert_non_null(strstr(om, "hv_bucket{k=\"a\",le=\"0.25\"} 1\n"));
    promc_free(om);

    /* Exemplars on children that are then cleared, reclaimed and freed. */
    for (int i = 0; i < 50; i++) {
        char k[24];
        snprintf(k, sizeof k, "%d", i);
        promc_counter_inc_exemplar(promc_counter_vec_labels(cv, k), trace, 1);
        promc_histogram_observe_exemplar(promc_histogram_vec_labels(hv, k), i, trace, 1);
    }
    assert_int_equal(promc_counter_vec_clear(cv), PROMC_OK);
    assert_int_equal(promc_metric_reclaim_removed(promc_counter_vec_metric(cv)), PROMC_OK);
    promc_counter_inc_exemplar(promc_counter_vec_labels(cv, "b"), trace, 1);
    assert_int_equal(promc_histogram_vec_clear(hv), PROMC_OK);
    promc_counter_vec_free(cv);
    promc_histogram_vec_free(hv);
    promc_registry_free(reg);
}

/* Many children in one family's table, some removed: every other child
 * keeps exactly its own exemplar (the table grows and deletes by shifting). */
static void test_many_children(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *cv = promc_counter_vec_new(reg, "cv", "C.", PROMC_LABELS("k"), NULL);
    enum { N = 300 };
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < N; i++) {
            char k[24];
            snprintf(k, sizeof k, "%d", i);
            promc_label l[] = {{"trace_id", k}};
            assert_int_equal(promc_counter_inc_exemplar(promc_counter_vec_labels(cv, k), l, 1),
                             PROMC_OK);
        }
    for (int i = 0; i < N; i += 3) {
        char k[24];
        snprintf(k, sizeof k, "%d", i);
        assert_int_equal(promc_counter_vec_remove(cv, k), PROMC_OK);
    }
    assert_int_equal(promc_metric_reclaim_removed(promc_counter_vec_metric(cv)), PROMC_OK);
    char *om = test_render(reg, PROMC_FORMAT_OPENMETRICS);
    for (int i = 0; i < N; i++) {
        char want[96];
        snprintf(want, sizeof want, "cv_total{k=\"%d\"} 2 # {trace_id=\"%d\"} 1.0 ", i, i);
        if ((i % 3 == 0) != (strstr(om, want) == NULL))
            fail_msg("child %d: %s", i, line_of(om, "cv_total"));
    }
    promc_free(om);
    promc_counter_vec_free(cv);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ */
/* Concurrency: exemplars whose two labels always agree; a scrape that   */
/* saw a torn one would see them differ.                                */
/* ------------------------------------------------------------------ */

struct shared {
    promc_registry *reg;
    promc_counter *c;
    promc_histogram *h;
    promc_counter_vec *cv;
    int id;
};

static void *writer(void *p)
{
    struct shared *s = p;
    char a[64], b[64];
    for (int i = 0; i < 3000; i++) {
        /* Lengths vary, so records are reused and reallocated. */
        int len = 1 + (i * 7 + s->id) % 40;
        memset(a, 'a' + (char)(i % 26), (size_t)len);
        a[len] = '\0';
        memcpy(b, a, (size_t)len + 1);
        promc_label l[] = {{"x", a}, {"y", b}};
        promc_counter_inc_exemplar(s->c, l, 2);
        promc_histogram_observe_exemplar(s->h, (double)(i % 20) / 10, l, 2);
        char k[24];
        snprintf(k, sizeof k, "%d", i % 5);
        promc_counter_add_exemplar(promc_counter_vec_labels(s->cv, k), 0.5, l, 2);
        if (i % 500 == 0)
            promc_counter_vec_remove(s->cv, k);
    }
    return NULL;
}

static void check_consistent(const char *om)
{
    for (const char *p = strstr(om, "# {x=\""); p; p = strstr(p + 1, "# {x=\"")) {
        const char *x = p + 6;
        size_t n = strcspn(x, "\"");
        const char *y = strstr(x, ",y=\"");
        assert_non_null(y);
        y += 4;
        if (strncmp(x, y, n) != 0 || y[n] != '"')
            fail_msg("torn exemplar: %.80s", p);
    }
}

static void *scraper(void *p)
{
    struct shared *s = p;
    for (int i = 0; i < 200; i++) {
        char *om = promc_encode_buffer(s->reg, PROMC_FORMAT_OPENMETRICS, NULL);
        assert_non_null(om);
        check_consistent(om);
        promc_free(om);
    }
    return NULL;
}

static void test_concurrent_scrapes(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter *c = promc_counter_new(reg, "c", "C.", NULL);
    promc_histogram *h = promc_histogram_new(reg, "h", "H.", NULL);
    promc_counter_vec *cv = promc_counter_vec_new(reg, "cv", "C.", PROMC_LABELS("k"), NULL);
    struct shared s[3];
    pthread_t t[5];
    for (int i = 0; i < 3; i++) {
        s[i] = (struct shared){reg, c, h, cv, i};
        assert_int_equal(pthread_create(&t[i], NULL, writer, &s[i]), 0);
    }
    for (int i = 3; i < 5; i++)
        assert_int_equal(pthread_create(&t[i], NULL, scraper, &s[0]), 0);
    for (int i = 0; i < 5; i++)
        pthread_join(t[i], NULL);
    assert_true(promc_counter_get(c) == 9000);
    promc_counter_free(c);
    promc_histogram_free(h);
    promc_counter_vec_free(cv);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ */
/* The set native histograms keep (client_golang's nativeExemplars)    */
/* ------------------------------------------------------------------ */

/* The cases below are worked by hand from client_golang's
 * nativeExemplars.addExemplar (prometheus/histogram.go, v1.21 and later);
 * tests/integration/native_exemplars.sh checks many random ones against
 * the answers client_golang's own code gave. Times are whole seconds, so
 * every difference is exact. */

static double spread_time;

static double spread_clock(void)
{
    return spread_time;
}

/* Adds value at time t (seconds after TEST_TIME), labelled {id=id}. */
static void spread_add(struct promc__xset *set, double value, double t, const char *id, double ttl)
{
    promc_label l[] = {{"id", id}};
    struct promc__xinput in;
    spread_time = TEST_TIME + t;
    promc__clock = spread_clock;
    assert_int_equal(promc__exemplar_check(&in, l, 1, value, "histogram", "h"), PROMC_OK);
    assert_int_equal(promc__xset_add_spread(set, &in, ttl), PROMC_OK);
    test_pin_clock();
}

/* The ids of what set keeps, in order, space-separated (static copy). */
static const char *spread_ids(struct promc__xset *set)
{
    static char out[256];
    struct promc__xcopy copy = {0};
    assert_int_equal(promc__xset_read(set, &copy), PROMC_OK);
    out[0] = '\0';
    for (size_t i = 0; i < copy.n; i++) {
        assert_int_equal(copy.x[i].nlabels, 1);
        assert_string_equal(copy.x[i].names[0], "id");
        if (i)
            strcat(out, " ");
        strcat(out, copy.x[i].values[0]);
        if (i)
            assert_true(copy.x[i - 1].value <= copy.x[i].value);
    }
    promc__xcopy_free(&copy);
    return out;
}

/* Four exemplars valued 1, 2, 10, 100 (ids a b c d) at the given times. */
static struct promc__xset *spread_four(double ta, double tb, double tc, double td, double ttl)
{
    struct promc__xset *set = promc__xset_new(4);
    assert_non_null(set);
    spread_add(set, 100, td, "d", ttl);
    spread_add(set, 1, ta, "a", ttl);
    spread_add(set, 10, tc, "c", ttl);
    spread_add(set, 2, tb, "b", ttl);
    assert_string_equal(spread_ids(set), "a b c d");
    return set;
}

/* Until full, every exemplar is kept, in order of value; one equal to a kept
 * value goes after it. */
static void test_spread_keeps_all_in_value_order_until_full(void **state)
{
    (void)state;
    struct promc__xset *set = promc__xset_new(4);
    assert_non_null(set);
    assert_string_equal(spread_ids(set), "");
    spread_add(set, 5, 0, "a", 300);
    spread_add(set, 1, 1, "b", 300);
    spread_add(set, 3, 2, "c", 300);
    assert_string_equal(spread_ids(set), "b c a");
    spread_add(set, 3, 3, "d", 300);
    assert_string_equal(spread_ids(set), "b c d a");
    promc__xset_clear(set);
    assert_string_equal(spread_ids(set), "");
    spread_add(set, 7, 4, "e", 300);
    assert_string_equal(spread_ids(set), "e");
    promc__xset_free(set);
}

/* Full, nothing expired: of the two values closest together on a log scale
 * (1 and 2), the older goes, and the new one takes its place in value order. */
static void test_spread_drops_the_older_of_the_closest_pair(void **state)
{
    (void)state;
    struct promc__xset *set = spread_four(0, 1, 2, 3, 300);
    spread_add(set, 40, 4, "e", 300);
    assert_string_equal(spread_ids(set), "b c e d");
    /* Now 40 and 100 are closest (a factor 2.5); 100 is the older. */
    spread_add(set, 0.5, 5, "f", 300);
    assert_string_equal(spread_ids(set), "f b c e");
    promc__xset_free(set);

    /* The same pair, 2 older than 1: 2 goes. */
    set = spread_four(1, 0, 2, 3, 300);
    spread_add(set, 40, 4, "e", 300);
    assert_string_equal(spread_ids(set), "a c e d");
    promc__xset_free(set);

    /* The pair's two exemplars equally old: the lower one goes. */
    set = spread_four(1, 1, 2, 3, 300);
    spread_add(set, 40, 4, "e", 300);
    assert_string_equal(spread_ids(set), "b c e d");
    promc__xset_free(set);
}

/* Full, nothing expired, and the new value lies closer to a neighbour than
 * the closest pair: that neighbour goes, however recent, so the values stay
 * spread out. */
static void test_spread_replaces_a_neighbour_closer_than_the_closest_pair(void **state)
{
    (void)state;
    struct promc__xset *set = spread_four(0, 1, 9, 3, 300);
    spread_add(set, 11, 10, "e", 300); /* 10 (c, the newest) is nearer than 2 is to 1 */
    assert_string_equal(spread_ids(set), "a b e d");
    promc__xset_free(set);

    set = spread_four(0, 1, 2, 9, 300);
    spread_add(set, 90, 10, "e", 300); /* 100 (d) is nearer */
    assert_string_equal(spread_ids(set), "a b c e");
    promc__xset_free(set);

    set = spread_four(0, 1, 2, 3, 300);
    spread_add(set, 1, 10, "e", 300); /* equal to 1 (a): at distance 0, a goes */
    assert_string_equal(spread_ids(set), "e b c d");
    promc__xset_free(set);
}

/* Full and the oldest older than the TTL (strictly): the oldest goes,
 * whatever the values. A negative TTL: always the oldest. */
static void test_spread_drops_the_oldest_once_expired(void **state)
{
    (void)state;
    struct promc__xset *set = spread_four(10, 20, 30, 0, 60);
    spread_add(set, 11, 60, "e", 60); /* d is exactly 60 s old: not expired */
    assert_string_equal(spread_ids(set), "a b e d");
    spread_add(set, 12, 61, "f", 60); /* now it is */
    assert_string_equal(spread_ids(set), "a b e f");
    promc__xset_free(set);

    set = spread_four(3, 2, 1, 0, -1);
    spread_add(set, 1.5, 4, "e", -1);
    assert_string_equal(spread_ids(set), "a e b c");
    spread_add(set, 1.5, 5, "f", -1);
    assert_string_equal(spread_ids(set), "a f e b");
    promc__xset_free(set);
}

/* One place: the newest replaces it. */
static void test_spread_of_one_keeps_the_newest(void **state)
{
    (void)state;
    struct promc__xset *set = promc__xset_new(1);
    assert_non_null(set);
    spread_add(set, 5, 0, "a", 300);
    spread_add(set, 1, 1, "b", 300);
    assert_string_equal(spread_ids(set), "b");
    promc__xset_free(set);
}

/* Values at or below zero have no logarithm (-Inf, NaN): client_golang's
 * comparisons then fall as IEEE arithmetic has them. Here the first pair's
 * distance is NaN, which no later distance is below: that pair's older
 * member goes. */
static void test_spread_with_a_negative_value_follows_ieee(void **state)
{
    (void)state;
    struct promc__xset *set = promc__xset_new(3);
    assert_non_null(set);
    spread_add(set, -1, 0, "a", 300);
    spread_add(set, 1, 1, "b", 300);
    spread_add(set, 2, 2, "c", 300);
    spread_add(set, 2.1, 3, "d", 300); /* near 2, but the NaN pair goes */
    assert_string_equal(spread_ids(set), "b c d");
    /* Zero: log is -Inf, distances to it infinite, never the closest. */
    spread_add(set, 0, 4, "e", 300);
    assert_string_equal(spread_ids(set), "e b d");
    promc__xset_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_openmetrics),
        cmocka_unit_test(test_histogram_openmetrics),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_removed_children_come_back_without),
        cmocka_unit_test(test_many_children),
        cmocka_unit_test(test_concurrent_scrapes),
        cmocka_unit_test(test_spread_keeps_all_in_value_order_until_full),
        cmocka_unit_test(test_spread_drops_the_older_of_the_closest_pair),
        cmocka_unit_test(test_spread_replaces_a_neighbour_closer_than_the_closest_pair),
        cmocka_unit_test(test_spread_drops_the_oldest_once_expired),
        cmocka_unit_test(test_spread_of_one_keeps_the_newest),
        cmocka_unit_test(test_spread_with_a_negative_value_follows_ieee),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
