/*
 * The last-error rule, over the whole API, one table row per public function
 * that can fail (tests/fallible_functions.sh lists them from the headers;
 * check-contract fails when a row is missing): promc_last_error_code() and
 * promc_last_error() describe the most recent call that can fail. For each
 * function, a call that fails must leave its own code and a message; a call
 * that succeeds, made right after another failure, must leave PROMC_OK and "".
 */
#include "helpers.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "failalloc.h"
#include "promc_http.h"
#include "promc_testutil.h"

/* What a call left behind, read right after it (before any cleanup). */
struct outcome {
    int rc;
    int code;
    bool message_empty;
};

static struct outcome seen(int rc)
{
    struct outcome o = {rc, promc_last_error_code(), promc_last_error()[0] == '\0'};
    return o;
}

static struct outcome seen_ptr(const void *p)
{
    return seen(p ? PROMC_OK : promc_last_error_code());
}

/* Leaves a failure behind, so that a success has something to clear. */
static void dirty(void)
{
    assert_int_equal(promc_counter_add(NULL, -1), PROMC_EINVAL);
}

static promc_registry *reg;

/* A fresh, valid metric name each call. */
static const char *fresh(void)
{
    static char name[32];
    static int n;
    snprintf(name, sizeof name, "m%d", ++n);
    return name;
}

/* ------------------------------------------------------------------ */
/* Rows: fail_X makes X fail, ok_X makes it succeed after a failure     */
/* ------------------------------------------------------------------ */

#define ROW(fn)                                                                                    \
    {                                                                                              \
#fn, fail_##fn, ok_##fn                                                                    \
    }

static struct outcome fail_promc_set_allocator(void)
{
    return seen(promc_set_allocator(malloc, NULL, NULL));
}
static struct outcome ok_promc_set_allocator(void)
{
    dirty();
    return seen(failalloc_install()); /* the same hooks again */
}

static struct outcome fail_promc_registry_new(void)
{
    arm(1);
    promc_registry *r = promc_registry_new();
    disarm();
    return seen_ptr(r);
}
static struct outcome ok_promc_registry_new(void)
{
    dirty();
    promc_registry *r = promc_registry_new();
    struct outcome o = seen_ptr(r);
    promc_registry_free(r);
    return o;
}

static struct outcome fail_promc_registry_free(void)
{
    return seen(promc_registry_free(PROMC_NO_REGISTRY));
}
static struct outcome ok_promc_registry_free(void)
{
    promc_registry *r = promc_registry_new();
    dirty();
    return seen(promc_registry_free(r));
}

static struct outcome fail_promc_default_registry(void)
{
    promc_shutdown();
    arm(1);
    promc_registry *r = promc_default_registry();
    disarm();
    return seen_ptr(r);
}
static struct outcome ok_promc_default_registry(void)
{
    dirty();
    return seen_ptr(promc_default_registry());
}

static struct outcome fail_promc_default_process_collector(void)
{
    promc_shutdown();
    arm(1);
    promc_metric *m = promc_default_process_collector();
    disarm();
    return seen_ptr(m);
}
static struct outcome ok_promc_default_process_collector(void)
{
    dirty();
    return seen_ptr(promc_default_process_collector());
}

static struct outcome fail_promc_registry_register(void)
{
    return seen(promc_registry_register(reg, NULL));
}
static struct outcome ok_promc_registry_register(void)
{
    promc_gauge *g = promc_gauge_new(PROMC_NO_REGISTRY, fresh(), "G.", NULL);
    dirty();
    struct outcome o = seen(promc_registry_register(reg, promc_gauge_metric(g)));
    promc_gauge_free(g);
    return o;
}

static struct outcome fail_promc_registry_unregister(void)
{
    promc_gauge *g = promc_gauge_new(PROMC_NO_REGISTRY, fresh(), "G.", NULL);
    struct outcome o = seen(promc_registry_unregister(reg, promc_gauge_metric(g)));
    promc_gauge_free(g);
    return o;
}
static struct outcome ok_promc_registry_unregister(void)
{
    promc_gauge *g = promc_gauge_new(reg, fresh(), "G.", NULL);
    dirty();
    struct outcome o = seen(promc_registry_unregister(reg, promc_gauge_metric(g)));
    promc_gauge_free(g);
    return o;
}

static struct outcome fail_promc_registry_clear(void)
{
    return seen(promc_registry_clear(PROMC_NO_REGISTRY));
}
static struct outcome ok_promc_registry_clear(void)
{
    promc_registry *r = promc_registry_new();
    dirty();
    struct outcome o = seen(promc_registry_clear(r));
    promc_registry_free(r);
    return o;
}

static struct outcome fail_promc_registry_set_max_children(void)
{
    return seen(promc_registry_set_max_children(PROMC_NO_REGISTRY, 1));
}
static struct outcome ok_promc_registry_set_max_children(void)
{
    dirty();
    return seen(promc_registry_set_max_children(reg, 0));
}

static struct outcome fail_promc_registry_set_created(void)
{
    return seen(promc_registry_set_created(PROMC_NO_REGISTRY, 1));
}
static struct outcome ok_promc_registry_set_created(void)
{
    dirty();
    return seen(promc_registry_set_created(reg, 1));
}

static struct outcome fail_promc_registry_wrap(void)
{
    return seen_ptr(promc_registry_wrap(reg, NULL, &(promc_label){"__x", "v"}, 1));
}
static struct outcome ok_promc_registry_wrap(void)
{
    dirty();
    promc_registry *w = promc_registry_wrap(reg, "p_", &(promc_label){"x", "v"}, 1);
    struct outcome o = seen_ptr(w);
    promc_registry_free(w);
    return o;
}

static struct outcome fail_promc_registry_set_utf8_names(void)
{
    return seen(promc_registry_set_utf8_names(PROMC_NO_REGISTRY, 1));
}
static struct outcome ok_promc_registry_set_utf8_names(void)
{
    dirty();
    return seen(promc_registry_set_utf8_names(reg, 0));
}

static struct outcome fail_promc_registry_get_sample_value(void)
{
    double v;
    return seen(promc_registry_get_sample_value(reg, "no_such_sample", NULL, 0, &v));
}
static struct outcome ok_promc_registry_get_sample_value(void)
{
    double v;
    const char *name = fresh();
    promc_gauge *g = promc_gauge_new(reg, name, "G.", NULL);
    dirty();
    struct outcome o = seen(promc_registry_get_sample_value(reg, name, NULL, 0, &v));
    promc_gauge_free(g);
    return o;
}

static struct outcome fail_promc_registry_compare(void)
{
    return seen(promc_registry_compare(reg, "bad{", NULL, NULL));
}
static struct outcome ok_promc_registry_compare(void)
{
    dirty();
    return seen(promc_registry_compare(reg, "", PROMC_LABELS("no_such_family"), NULL));
}

static struct outcome fail_promc_text_compare(void)
{
    return seen(promc_text_compare("a 1\n", NULL, NULL, NULL));
}
static struct outcome ok_promc_text_compare(void)
{
    dirty();
    return seen(promc_text_compare("a 1\n", "a 1\n", NULL, NULL));
}

static struct outcome fail_promc_registry_count(void)
{
    return seen(promc_registry_count(reg, NULL, NULL));
}
static struct outcome ok_promc_registry_count(void)
{
    size_t n;
    dirty();
    return seen(promc_registry_count(reg, NULL, &n));
}

static struct outcome fail_promc_registry_lint(void)
{
    size_t n;
    return seen(promc_registry_lint(reg, NULL, &n));
}
static struct outcome ok_promc_registry_lint(void)
{
    promc_lint_problem *p;
    size_t n;
    dirty();
    struct outcome o = seen(promc_registry_lint(reg, &p, &n));
    promc_free(p);
    return o;
}

static struct outcome fail_promc_text_lint(void)
{
    promc_lint_problem *p;
    size_t n;
    return seen(promc_text_lint("a{", &p, &n));
}
static struct outcome ok_promc_text_lint(void)
{
    promc_lint_problem *p;
    size_t n;
    dirty();
    struct outcome o =
        seen(promc_text_lint("# HELP a_total A.\n# TYPE a_total counter\na_total 1\n", &p, &n));
    promc_free(p);
    return o;
}

static struct outcome fail_promc_metric_free(void)
{
    promc_gauge *g = promc_gauge_new(reg, fresh(), "G.", NULL);
    promc_gauge_free(g); /* the registry still holds it */
    return seen(promc_metric_free(promc_gauge_metric(g)));
}
static struct outcome ok_promc_metric_free(void)
{
    promc_gauge *g = promc_gauge_new(PROMC_NO_REGISTRY, fresh(), "G.", NULL);
    dirty();
    return seen(promc_metric_free(promc_gauge_metric(g)));
}

static struct outcome fail_promc_metric_reclaim_removed(void)
{
    return seen(promc_metric_reclaim_removed(NULL));
}
static struct outcome ok_promc_metric_reclaim_removed(void)
{
    promc_gauge_vec *v =
        promc_gauge_vec_new(PROMC_NO_REGISTRY, fresh(), "G.", PROMC_LABELS("k"), NULL);
    promc_gauge_vec_labels(v, "a");
    promc_gauge_vec_remove(v, "a");
    dirty();
    struct outcome o = seen(promc_metric_reclaim_removed(promc_gauge_vec_metric(v)));
    promc_gauge_vec_free(v);
    return o;
}

static struct outcome fail_promc_counter_add(void)
{
    promc_counter *c = promc_counter_new(PROMC_NO_REGISTRY, fresh(), "C.", NULL);
    struct outcome o = seen(promc_counter_add(c, NAN));
    promc_counter_free(c);
    return o;
}
static struct outcome ok_promc_counter_add(void)
{
    promc_counter *c = promc_counter_new(PROMC_NO_REGISTRY, fresh(), "C.", NULL);
    dirty();
    struct outcome o = seen(promc_counter_add(c, 1.5));
    promc_counter_free(c);
    return o;
}

static const promc_label trace[] = {{"trace_id", "0af7651916cd43dd"}};
static const promc_label bad_trace[] = {{"trace id", "x"}};

static struct outcome fail_promc_counter_add_exemplar(void)
{
    promc_counter *c = promc_counter_new(PROMC_NO_REGISTRY, fresh(), "C.", NULL);
    struct outcome o = seen(promc_counter_add_exemplar(c, 1, bad_trace, 1));
    promc_counter_free(c);
    return o;
}
static struct outcome ok_promc_counter_add_exemplar(void)
{
    promc_counter *c = promc_counter_new(PROMC_NO_REGISTRY, fresh(), "C.", NULL);
    dirty();
    struct outcome o = seen(promc_counter_add_exemplar(c, 1.5, trace, 1));
    promc_counter_free(c);
    return o;
}

static struct outcome fail_promc_counter_inc_exemplar(void)
{
    promc_counter *c = promc_counter_new(PROMC_NO_REGISTRY, fresh(), "C.", NULL);
    struct outcome o = seen(promc_counter_inc_exemplar(c, NULL, 1));
    promc_counter_free(c);
    return o;
}
static struct outcome ok_promc_counter_inc_exemplar(void)
{
    promc_counter *c = promc_counter_new(PROMC_NO_REGISTRY, fresh(), "C.", NULL);
    dirty();
    struct outcome o = seen(promc_counter_inc_exemplar(c, trace, 1));
    promc_counter_free(c);
    return o;
}

static struct outcome fail_promc_histogram_observe_exemplar(void)
{
    promc_histogram *h = promc_histogram_new(PROMC_NO_REGISTRY, fresh(), "H.", NULL);
    struct outcome o = seen(promc_histogram_observe_exemplar(h, 0.1, bad_trace, 1));
    promc_histogram_free(h);
    return o;
}
static struct outcome ok_promc_histogram_observe_exemplar(void)
{
    promc_histogram *h = promc_histogram_new(PROMC_NO_REGISTRY, fresh(), "H.", NULL);
    dirty();
    struct outcome o = seen(promc_histogram_observe_exemplar(h, 0.1, trace, 1));
    promc_histogram_free(h);
    return o;
}

static struct outcome fail_promc_buckets_linear(void)
{
    double b[2];
    return seen(promc_buckets_linear(b, 0, 0, 2));
}
static struct outcome ok_promc_buckets_linear(void)
{
    double b[2];
    dirty();
    return seen(promc_buckets_linear(b, 0, 1, 2));
}

static struct outcome fail_promc_buckets_exponential(void)
{
    double b[2];
    return seen(promc_buckets_exponential(b, 1, 1, 2));
}
static struct outcome ok_promc_buckets_exponential(void)
{
    double b[2];
    dirty();
    return seen(promc_buckets_exponential(b, 1, 2, 2));
}

/* The constructors, each failing on a bad name; FREE releases what the
 * successful call made (the registry keeps its own reference). */
#define CONSTRUCTOR_ROWS(T, CALL_BAD, CALL_OK, FREE)                                               \
    static struct outcome fail_promc_##T##_new(void)                                               \
    {                                                                                              \
        return seen_ptr(CALL_BAD);                                                                 \
    }                                                                                              \
    static struct outcome ok_promc_##T##_new(void)                                                 \
    {                                                                                              \
        dirty();                                                                                   \
        promc_##T *p = (CALL_OK);                                                                  \
        struct outcome o = seen_ptr(p);                                                            \
        FREE(p);                                                                                   \
        return o;                                                                                  \
    }

CONSTRUCTOR_ROWS(counter, promc_counter_new(reg, "1bad", "C.", NULL),
                 promc_counter_new(reg, fresh(), "C.", NULL), promc_counter_free)
CONSTRUCTOR_ROWS(gauge, promc_gauge_new(reg, "1bad", "G.", NULL),
                 promc_gauge_new(reg, fresh(), "G.", NULL), promc_gauge_free)
CONSTRUCTOR_ROWS(histogram, promc_histogram_new(reg, "1bad", "H.", NULL),
                 promc_histogram_new(reg, fresh(), "H.", NULL), promc_histogram_free)
CONSTRUCTOR_ROWS(summary, promc_summary_new(reg, "1bad", "S.", NULL),
                 promc_summary_new(reg, fresh(), "S.", NULL), promc_summary_free)
CONSTRUCTOR_ROWS(enum, promc_enum_new(reg, "1bad", "E.", PROMC_LABELS("a"), NULL),
                 promc_enum_new(reg, fresh(), "E.", PROMC_LABELS("a"), NULL), promc_enum_free)
CONSTRUCTOR_ROWS(info, promc_info_new(reg, "1bad", "I.", NULL, 0, NULL),
                 promc_info_new(reg, fresh(), "I.", NULL, 0, NULL), promc_info_free)
CONSTRUCTOR_ROWS(counter_vec, promc_counter_vec_new(reg, fresh(), "C.", NULL, NULL),
                 promc_counter_vec_new(reg, fresh(), "C.", PROMC_LABELS("k"), NULL),
                 promc_counter_vec_free)
CONSTRUCTOR_ROWS(gauge_vec, promc_gauge_vec_new(reg, fresh(), "G.", NULL, NULL),
                 promc_gauge_vec_new(reg, fresh(), "G.", PROMC_LABELS("k"), NULL),
                 promc_gauge_vec_free)
CONSTRUCTOR_ROWS(histogram_vec, promc_histogram_vec_new(reg, fresh(), "H.", NULL, NULL),
                 promc_histogram_vec_new(reg, fresh(), "H.", PROMC_LABELS("k"), NULL),
                 promc_histogram_vec_free)
CONSTRUCTOR_ROWS(summary_vec, promc_summary_vec_new(reg, fresh(), "S.", NULL, NULL),
                 promc_summary_vec_new(reg, fresh(), "S.", PROMC_LABELS("k"), NULL),
                 promc_summary_vec_free)
CONSTRUCTOR_ROWS(enum_vec, promc_enum_vec_new(reg, fresh(), "E.", NULL, PROMC_LABELS("a"), NULL),
                 promc_enum_vec_new(reg, fresh(), "E.", PROMC_LABELS("k"), PROMC_LABELS("a"), NULL),
                 promc_enum_vec_free)

/* Per type: the series calls (metric, free: failing on a child) and the
 * family calls (labels, remove, clear, free). */
#define TYPE_ROWS(T, MAKE_VEC, MAKE_SERIES)                                                        \
    static struct outcome fail_promc_##T##_metric(void)                                            \
    {                                                                                              \
        promc_##T##_vec *v = MAKE_VEC;                                                             \
        struct outcome o = seen_ptr(promc_##T##_metric(promc_##T##_vec_labels(v, "a")));           \
        promc_##T##_vec_free(v);                                                                   \
        return o;                                                                                  \
    }                                                                                              \
    static struct outcome ok_promc_##T##_metric(void)                                              \
    {                                                                                              \
        promc_##T *x = MAKE_SERIES;                                                                \
        dirty();                                                                                   \
        struct outcome o = seen_ptr(promc_##T##_metric(x));                                        \
        promc_##T##_free(x);                                                                       \
        return o;                                                                                  \
    }                                                                                              \
    static struct outcome fail_promc_##T##_free(void)                                              \
    {                                                                                              \
        promc_##T##_vec *v = MAKE_VEC;                                                             \
        struct outcome o = seen(promc_##T##_free(promc_##T##_vec_labels(v, "a")));                 \
        promc_##T##_vec_free(v);                                                                   \
        return o;                                                                                  \
    }                                                                                              \
    static struct outcome ok_promc_##T##_free(void)                                                \
    {                                                                                              \
        dirty();                                                                                   \
        return seen(promc_##T##_free(NULL));                                                       \
    }                                                                                              \
    static struct outcome fail_promc_##T##_vec_labels_n(void)                                      \
    {                                                                                              \
        promc_##T##_vec *v = MAKE_VEC;                                                             \
        struct outcome o = seen_ptr(promc_##T##_vec_labels(v, "a", "b"));                          \
        promc_##T##_vec_free(v);                                                                   \
        return o;                                                                                  \
    }                                                                                              \
    static struct outcome ok_promc_##T##_vec_labels_n(void)                                        \
    {                                                                                              \
        promc_##T##_vec *v = MAKE_VEC;                                                             \
        dirty();                                                                                   \
        struct outcome o = seen_ptr(promc_##T##_vec_labels(v, "a"));                               \
        promc_##T##_vec_free(v);                                                                   \
        return o;                                                                                  \
    }                                                                                              \
    static struct outcome fail_promc_##T##_vec_remove_n(void)                                      \
    {                                                                                              \
        promc_##T##_vec *v = MAKE_VEC;                                                             \
        struct outcome o = seen(promc_##T##_vec_remove(v, "absent"));                              \
        promc_##T##_vec_free(v);                                                                   \
        return o;                                                                                  \
    }                                                                                              \
    static struct outcome ok_promc_##T##_vec_remove_n(void)                                        \
    {                                                                                              \
        promc_##T##_vec *v = MAKE_VEC;                                                             \
        promc_##T##_vec_labels(v, "a");                                                            \
        dirty();                                                                                   \
        struct outcome o = seen(promc_##T##_vec_remove(v, "a"));                                   \
        promc_##T##_vec_free(v);                                                                   \
        return o;                                                                                  \
    }                                                                                              \
    static struct outcome fail_promc_##T##_vec_clear(void)                                         \
    {                                                                                              \
        return seen(promc_##T##_vec_clear(NULL));                                                  \
    }                                                                                              \
    static struct outcome ok_promc_##T##_vec_clear(void)                                           \
    {                                                                                              \
        promc_##T##_vec *v = MAKE_VEC;                                                             \
        dirty();                                                                                   \
        struct outcome o = seen(promc_##T##_vec_clear(v));                                         \
        promc_##T##_vec_free(v);                                                                   \
        return o;                                                                                  \
    }                                                                                              \
    static struct outcome fail_promc_##T##_vec_free(void)                                          \
    {                                                                                              \
        promc_##T##_vec *v = MAKE_VEC;                                                             \
        promc_registry_register(reg, promc_##T##_vec_metric(v));                                   \
        promc_##T##_vec_free(v);                                                                   \
        return seen(promc_##T##_vec_free(v)); /* the registry still holds it */                    \
    }                                                                                              \
    static struct outcome ok_promc_##T##_vec_free(void)                                            \
    {                                                                                              \
        promc_##T##_vec *v = MAKE_VEC;                                                             \
        dirty();                                                                                   \
        return seen(promc_##T##_vec_free(v));                                                      \
    }

TYPE_ROWS(counter, promc_counter_vec_new(PROMC_NO_REGISTRY, fresh(), "C.", PROMC_LABELS("k"), NULL),
          promc_counter_new(PROMC_NO_REGISTRY, fresh(), "C.", NULL))
TYPE_ROWS(gauge, promc_gauge_vec_new(PROMC_NO_REGISTRY, fresh(), "G.", PROMC_LABELS("k"), NULL),
          promc_gauge_new(PROMC_NO_REGISTRY, fresh(), "G.", NULL))
TYPE_ROWS(histogram,
          promc_histogram_vec_new(PROMC_NO_REGISTRY, fresh(), "H.", PROMC_LABELS("k"), NULL),
          promc_histogram_new(PROMC_NO_REGISTRY, fresh(), "H.", NULL))
TYPE_ROWS(summary, promc_summary_vec_new(PROMC_NO_REGISTRY, fresh(), "S.", PROMC_LABELS("k"), NULL),
          promc_summary_new(PROMC_NO_REGISTRY, fresh(), "S.", NULL))
TYPE_ROWS(enum,
          promc_enum_vec_new(PROMC_NO_REGISTRY, fresh(), "E.", PROMC_LABELS("k"),
                             PROMC_LABELS("x", "y"), NULL),
          promc_enum_new(PROMC_NO_REGISTRY, fresh(), "E.", PROMC_LABELS("x"), NULL))

/* Per type: curried views and partial-match removal. */
#define VIEW_ROWS(T, MAKE_VEC)                                                                     \
    static struct outcome fail_promc_##T##_vec_curry(void)                                         \
    {                                                                                              \
        promc_##T##_vec *v = MAKE_VEC;                                                             \
        struct outcome o = seen_ptr(promc_##T##_vec_curry(v, &(promc_label){"nope", "a"}, 1));     \
        promc_##T##_vec_free(v);                                                                   \
        return o;                                                                                  \
    }                                                                                              \
    static struct outcome ok_promc_##T##_vec_curry(void)                                           \
    {                                                                                              \
        promc_##T##_vec *v = MAKE_VEC;                                                             \
        dirty();                                                                                   \
        promc_##T##_vec *view = promc_##T##_vec_curry(v, &(promc_label){"k", "a"}, 1);             \
        struct outcome o = seen_ptr(view);                                                         \
        promc_##T##_vec_free(view);                                                                \
        promc_##T##_vec_free(v);                                                                   \
        return o;                                                                                  \
    }                                                                                              \
    static struct outcome fail_promc_##T##_vec_remove_partial(void)                                \
    {                                                                                              \
        promc_##T##_vec *v = MAKE_VEC;                                                             \
        struct outcome o =                                                                         \
            seen(promc_##T##_vec_remove_partial(v, &(promc_label){"nope", "a"}, 1, NULL));         \
        promc_##T##_vec_free(v);                                                                   \
        return o;                                                                                  \
    }                                                                                              \
    static struct outcome ok_promc_##T##_vec_remove_partial(void)                                  \
    {                                                                                              \
        promc_##T##_vec *v = MAKE_VEC;                                                             \
        promc_##T##_vec_labels(v, "a");                                                            \
        dirty();                                                                                   \
        struct outcome o =                                                                         \
            seen(promc_##T##_vec_remove_partial(v, &(promc_label){"k", "a"}, 1, NULL));            \
        promc_##T##_vec_free(v);                                                                   \
        return o;                                                                                  \
    }

VIEW_ROWS(counter, promc_counter_vec_new(PROMC_NO_REGISTRY, fresh(), "C.", PROMC_LABELS("k"), NULL))
VIEW_ROWS(gauge, promc_gauge_vec_new(PROMC_NO_REGISTRY, fresh(), "G.", PROMC_LABELS("k"), NULL))
VIEW_ROWS(histogram,
          promc_histogram_vec_new(PROMC_NO_REGISTRY, fresh(), "H.", PROMC_LABELS("k"), NULL))
VIEW_ROWS(summary, promc_summary_vec_new(PROMC_NO_REGISTRY, fresh(), "S.", PROMC_LABELS("k"), NULL))
VIEW_ROWS(enum, promc_enum_vec_new(PROMC_NO_REGISTRY, fresh(), "E.", PROMC_LABELS("k"),
                                   PROMC_LABELS("x", "y"), NULL))

static struct outcome fail_promc_enum_set(void)
{
    promc_enum *e = promc_enum_new(PROMC_NO_REGISTRY, fresh(), "E.", PROMC_LABELS("x"), NULL);
    struct outcome o = seen(promc_enum_set(e, "nope"));
    promc_enum_free(e);
    return o;
}
static struct outcome ok_promc_enum_set(void)
{
    promc_enum *e = promc_enum_new(PROMC_NO_REGISTRY, fresh(), "E.", PROMC_LABELS("x"), NULL);
    dirty();
    struct outcome o = seen(promc_enum_set(e, "x"));
    promc_enum_free(e);
    return o;
}

static struct outcome fail_promc_enum_set_index(void)
{
    promc_enum *e = promc_enum_new(PROMC_NO_REGISTRY, fresh(), "E.", PROMC_LABELS("x"), NULL);
    struct outcome o = seen(promc_enum_set_index(e, 1));
    promc_enum_free(e);
    return o;
}
static struct outcome ok_promc_enum_set_index(void)
{
    promc_enum *e = promc_enum_new(PROMC_NO_REGISTRY, fresh(), "E.", PROMC_LABELS("x"), NULL);
    dirty();
    struct outcome o = seen(promc_enum_set_index(e, 0));
    promc_enum_free(e);
    return o;
}

static struct outcome fail_promc_info_free(void)
{
    promc_info *i = promc_info_new(reg, fresh(), "I.", NULL, 0, NULL);
    promc_info_free(i);
    return seen(promc_info_free(i));
}
static struct outcome ok_promc_info_free(void)
{
    promc_info *i = promc_info_new(PROMC_NO_REGISTRY, fresh(), "I.", NULL, 0, NULL);
    dirty();
    return seen(promc_info_free(i));
}

/* Labelled infos. */
static promc_info_vec *info_vec(void)
{
    return promc_info_vec_new(PROMC_NO_REGISTRY, fresh(), "I.", PROMC_LABELS("k"), NULL);
}
static struct outcome fail_promc_info_vec_new(void)
{
    return seen_ptr(promc_info_vec_new(reg, fresh(), "I.", NULL, NULL));
}
static struct outcome ok_promc_info_vec_new(void)
{
    dirty();
    promc_info_vec *v = info_vec();
    struct outcome o = seen_ptr(v);
    promc_info_vec_free(v);
    return o;
}
static struct outcome fail_promc_info_vec_set_n(void)
{
    promc_info_vec *v = info_vec();
    promc_label bad = {"__k", "v"};
    struct outcome o = seen(promc_info_vec_set(v, &bad, 1, "a"));
    promc_info_vec_free(v);
    return o;
}
static struct outcome ok_promc_info_vec_set_n(void)
{
    promc_info_vec *v = info_vec();
    promc_label good = {"version", "1"};
    dirty();
    struct outcome o = seen(promc_info_vec_set(v, &good, 1, "a"));
    promc_info_vec_free(v);
    return o;
}
static struct outcome fail_promc_info_vec_remove_n(void)
{
    promc_info_vec *v = info_vec();
    struct outcome o = seen(promc_info_vec_remove(v, "a"));
    promc_info_vec_free(v);
    return o;
}
static struct outcome ok_promc_info_vec_remove_n(void)
{
    promc_info_vec *v = info_vec();
    promc_info_vec_set(v, NULL, 0, "a");
    dirty();
    struct outcome o = seen(promc_info_vec_remove(v, "a"));
    promc_info_vec_free(v);
    return o;
}
static struct outcome fail_promc_info_vec_clear(void)
{
    return seen(promc_info_vec_clear(NULL));
}
static struct outcome ok_promc_info_vec_clear(void)
{
    promc_info_vec *v = info_vec();
    dirty();
    struct outcome o = seen(promc_info_vec_clear(v));
    promc_info_vec_free(v);
    return o;
}
static struct outcome fail_promc_info_vec_free(void)
{
    promc_info_vec *v = promc_info_vec_new(reg, fresh(), "I.", PROMC_LABELS("k"), NULL);
    promc_info_vec_free(v);
    return seen(promc_info_vec_free(v)); /* the registry still holds it */
}
static struct outcome ok_promc_info_vec_free(void)
{
    promc_info_vec *v = info_vec();
    dirty();
    return seen(promc_info_vec_free(v));
}

static int collect_nothing(promc_emitter *e, void *ud)
{
    (void)e;
    (void)ud;
    return 0;
}

static struct outcome fail_promc_collector_new(void)
{
    return seen_ptr(promc_collector_new(reg, NULL, NULL, NULL, NULL));
}
static struct outcome ok_promc_collector_new(void)
{
    dirty();
    promc_metric *m = promc_collector_new(PROMC_NO_REGISTRY, collect_nothing, NULL, NULL, NULL);
    struct outcome o = seen_ptr(m);
    promc_metric_free(m);
    return o;
}

static struct outcome fail_promc_collector_new_opts(void)
{
    return seen_ptr(promc_collector_new_opts(reg, collect_nothing, NULL, NULL, NULL,
                                             &(promc_collector_opts){.max_stale = -1}));
}
static struct outcome ok_promc_collector_new_opts(void)
{
    dirty();
    promc_metric *m = promc_collector_new_opts(PROMC_NO_REGISTRY, collect_nothing, NULL, NULL, NULL,
                                               &(promc_collector_opts){.name = "named"});
    struct outcome o = seen_ptr(m);
    promc_metric_free(m);
    return o;
}

static struct outcome fail_promc_process_collector_new(void)
{
    return seen_ptr(promc_process_collector_new(PROMC_NO_REGISTRY, ""));
}
static struct outcome ok_promc_process_collector_new(void)
{
    dirty();
    promc_metric *m = promc_process_collector_new(PROMC_NO_REGISTRY, NULL);
    struct outcome o = seen_ptr(m);
    promc_metric_free(m);
    return o;
}

static int value_one(void *ud, double *v)
{
    (void)ud;
    *v = 1;
    return 0;
}

#define FUNC_ROW(fn)                                                                               \
    static struct outcome fail_##fn(void)                                                          \
    {                                                                                              \
        return seen_ptr(fn(reg, "1bad", "F.", value_one, NULL, NULL, NULL));                       \
    }                                                                                              \
    static struct outcome ok_##fn(void)                                                            \
    {                                                                                              \
        dirty();                                                                                   \
        promc_metric *m = fn(PROMC_NO_REGISTRY, fresh(), "F.", value_one, NULL, NULL, NULL);       \
        struct outcome o = seen_ptr(m);                                                            \
        promc_metric_free(m);                                                                      \
        return o;                                                                                  \
    }
FUNC_ROW(promc_gauge_func_new)
FUNC_ROW(promc_counter_func_new)

static int report_nothing(promc_reporter *r, void *ud)
{
    (void)r;
    (void)ud;
    return 0;
}

#define FUNC_VEC_ROW(fn)                                                                           \
    static struct outcome fail_##fn(void)                                                          \
    {                                                                                              \
        return seen_ptr(                                                                           \
            fn(reg, fresh(), "F.", PROMC_LABELS("a", "a"), report_nothing, NULL, NULL, NULL));     \
    }                                                                                              \
    static struct outcome ok_##fn(void)                                                            \
    {                                                                                              \
        dirty();                                                                                   \
        promc_metric *m = fn(PROMC_NO_REGISTRY, fresh(), "F.", PROMC_LABELS("a"), report_nothing,  \
                             NULL, NULL, NULL);                                                    \
        struct outcome o = seen_ptr(m);                                                            \
        promc_metric_free(m);                                                                      \
        return o;                                                                                  \
    }
FUNC_VEC_ROW(promc_gauge_func_vec_new)
FUNC_VEC_ROW(promc_counter_func_vec_new)

/* The reporter runs inside a labelled callback: both outcomes in one
 * collection. */
static struct outcome report_fail, report_ok;
static int report_rows(promc_reporter *r, void *ud)
{
    (void)ud;
    report_fail = seen(promc_reporter_add(r, 1, "a", "too many"));
    dirty();
    report_ok = seen(promc_reporter_add(r, 1, "a"));
    return 0;
}

static struct outcome run_report_rows(bool ok)
{
    promc_registry *r = promc_registry_new();
    promc_metric *m = promc_gauge_func_vec_new(r, "reported", "R.", PROMC_LABELS("a"), report_rows,
                                               NULL, NULL, NULL);
    free(promc_encode_buffer(r, PROMC_FORMAT_TEXT, NULL)); /* fails: the refused report */
    promc_metric_free(m);
    promc_registry_free(r);
    return ok ? report_ok : report_fail;
}
static struct outcome fail_promc_reporter_add_n(void)
{
    return run_report_rows(false);
}
static struct outcome ok_promc_reporter_add_n(void)
{
    return run_report_rows(true);
}

/* The emit calls run inside a collector: the callback runs the row that
 * the test selected and keeps what it saw. */
static struct {
    int which; /* index into emit_rows */
    struct outcome fail, ok;
} emit_run;

static struct outcome emit_family_fail(promc_emitter *e)
{
    return seen(promc_emit_family(e, "1bad", "F.", PROMC_GAUGE, NULL));
}
static struct outcome emit_family_ok(promc_emitter *e)
{
    dirty();
    return seen(promc_emit_family(e, fresh(), "F.", PROMC_GAUGE, NULL));
}
static struct outcome emit_sample_fail(promc_emitter *e)
{
    return seen(promc_emit_sample(e, NULL, 0, 1)); /* no family open */
}
static struct outcome emit_sample_ok(promc_emitter *e)
{
    promc_emit_family(e, fresh(), "F.", PROMC_GAUGE, NULL);
    dirty();
    return seen(promc_emit_sample(e, NULL, 0, 1));
}
static struct outcome emit_histogram_fail(promc_emitter *e)
{
    promc_emit_family(e, fresh(), "F.", PROMC_GAUGE, NULL);
    return seen(promc_emit_histogram(e, NULL, 0, NULL, NULL, 0, 1, 1)); /* not a histogram */
}
static struct outcome emit_histogram_ok(promc_emitter *e)
{
    promc_emit_family(e, fresh(), "F.", PROMC_HISTOGRAM, NULL);
    dirty();
    return seen(promc_emit_histogram(e, NULL, 0, NULL, NULL, 0, 1, 1));
}
static struct outcome emit_summary_fail(promc_emitter *e)
{
    promc_emit_family(e, fresh(), "F.", PROMC_GAUGE, NULL);
    return seen(promc_emit_summary(e, NULL, 0, NULL, NULL, 0, 1, 1));
}
static struct outcome emit_summary_ok(promc_emitter *e)
{
    promc_emit_family(e, fresh(), "F.", PROMC_SUMMARY, NULL);
    dirty();
    return seen(promc_emit_summary(e, NULL, 0, NULL, NULL, 0, 1, 1));
}
static struct outcome emit_stateset_fail(promc_emitter *e)
{
    promc_emit_family(e, fresh(), "F.", PROMC_STATESET, NULL);
    return seen(promc_emit_stateset(e, NULL, 0, NULL, 0, 0));
}
static struct outcome emit_stateset_ok(promc_emitter *e)
{
    promc_emit_family(e, fresh(), "F.", PROMC_STATESET, NULL);
    dirty();
    return seen(promc_emit_stateset(e, NULL, 0, PROMC_LABELS("a"), 1, 0));
}

static struct outcome emit_sample_ts_fail(promc_emitter *e)
{
    promc_emit_family(e, fresh(), "F.", PROMC_COUNTER, NULL);
    return seen(promc_emit_sample_ts(e, NULL, 0, -1, 1700000000123)); /* negative counter */
}
static struct outcome emit_sample_ts_ok(promc_emitter *e)
{
    promc_emit_family(e, fresh(), "F.", PROMC_GAUGE, NULL);
    dirty();
    return seen(promc_emit_sample_ts(e, NULL, 0, 1, 1700000000123));
}
static struct outcome emit_histogram_ts_fail(promc_emitter *e)
{
    promc_emit_family(e, fresh(), "F.", PROMC_HISTOGRAM, NULL);
    return seen(promc_emit_histogram_ts(e, NULL, 0, NULL, NULL, 1, 1, 1, 0)); /* no bounds */
}
static struct outcome emit_histogram_ts_ok(promc_emitter *e)
{
    promc_emit_family(e, fresh(), "F.", PROMC_HISTOGRAM, NULL);
    dirty();
    return seen(promc_emit_histogram_ts(e, NULL, 0, NULL, NULL, 0, 1, 1, 0));
}
static struct outcome emit_summary_ts_fail(promc_emitter *e)
{
    promc_emit_family(e, fresh(), "F.", PROMC_SUMMARY, NULL);
    return seen(promc_emit_summary_ts(e, NULL, 0, NULL, NULL, 1, 1, 1, 0)); /* no quantiles */
}
static struct outcome emit_summary_ts_ok(promc_emitter *e)
{
    promc_emit_family(e, fresh(), "F.", PROMC_SUMMARY, NULL);
    dirty();
    return seen(promc_emit_summary_ts(e, NULL, 0, NULL, NULL, 0, 1, 1, 0));
}
static struct outcome emit_stateset_ts_fail(promc_emitter *e)
{
    promc_emit_family(e, fresh(), "F.", PROMC_STATESET, NULL);
    return seen(promc_emit_stateset_ts(e, NULL, 0, NULL, 0, 0, 0));
}
static struct outcome emit_stateset_ts_ok(promc_emitter *e)
{
    promc_emit_family(e, fresh(), "F.", PROMC_STATESET, NULL);
    dirty();
    return seen(promc_emit_stateset_ts(e, NULL, 0, PROMC_LABELS("a"), 1, 0, 0));
}

static const struct {
    struct outcome (*failing)(promc_emitter *);
    struct outcome (*succeeding)(promc_emitter *);
} emit_rows[] = {
    {emit_family_fail, emit_family_ok},
    {emit_sample_fail, emit_sample_ok},
    {emit_histogram_fail, emit_histogram_ok},
    {emit_summary_fail, emit_summary_ok},
    {emit_stateset_fail, emit_stateset_ok},
    {emit_sample_ts_fail, emit_sample_ts_ok},
    {emit_histogram_ts_fail, emit_histogram_ts_ok},
    {emit_summary_ts_fail, emit_summary_ts_ok},
    {emit_stateset_ts_fail, emit_stateset_ts_ok},
};

static int collect_emit_row(promc_emitter *e, void *ud)
{
    (void)ud;
    emit_run.fail = emit_rows[emit_run.which].failing(e);
    emit_run.ok = emit_rows[emit_run.which].succeeding(e);
    return 0;
}

static struct outcome run_emit_row(int which, bool ok)
{
    promc_registry *r = promc_registry_new();
    promc_metric *m = promc_collector_new(r, collect_emit_row, NULL, NULL, NULL);
    emit_run.which = which;
    free(promc_encode_buffer(r, PROMC_FORMAT_TEXT, NULL)); /* fails: a refused emit call */
    promc_metric_free(m);
    promc_registry_free(r);
    return ok ? emit_run.ok : emit_run.fail;
}

#define EMIT_ROW(fn, i)                                                                            \
    static struct outcome fail_##fn(void)                                                          \
    {                                                                                              \
        return run_emit_row(i, false);                                                             \
    }                                                                                              \
    static struct outcome ok_##fn(void)                                                            \
    {                                                                                              \
        return run_emit_row(i, true);                                                              \
    }
EMIT_ROW(promc_emit_family, 0)
EMIT_ROW(promc_emit_sample, 1)
EMIT_ROW(promc_emit_histogram, 2)
EMIT_ROW(promc_emit_summary, 3)
EMIT_ROW(promc_emit_stateset, 4)
EMIT_ROW(promc_emit_sample_ts, 5)
EMIT_ROW(promc_emit_histogram_ts, 6)
EMIT_ROW(promc_emit_summary_ts, 7)
EMIT_ROW(promc_emit_stateset_ts, 8)

static int write_nothing(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    return 0;
}

static struct outcome fail_promc_encode(void)
{
    return seen(promc_encode(reg, PROMC_FORMAT_TEXT, NULL, NULL));
}
static struct outcome ok_promc_encode(void)
{
    dirty();
    return seen(promc_encode(reg, PROMC_FORMAT_TEXT, write_nothing, NULL));
}

static struct outcome fail_promc_encode_buffer(void)
{
    return seen_ptr(promc_encode_buffer(reg, (promc_format)7, NULL));
}
static struct outcome ok_promc_encode_buffer(void)
{
    dirty();
    char *s = promc_encode_buffer(reg, PROMC_FORMAT_OPENMETRICS, NULL);
    struct outcome o = seen_ptr(s);
    promc_free(s);
    return o;
}

static struct outcome fail_promc_encode_file(void)
{
    return seen(promc_encode_file(reg, PROMC_FORMAT_TEXT, NULL));
}
static struct outcome ok_promc_encode_file(void)
{
    FILE *f = fopen("/dev/null", "w");
    dirty();
    struct outcome o = seen(promc_encode_file(reg, PROMC_FORMAT_TEXT, f));
    fclose(f);
    return o;
}

static struct outcome fail_promc_encode_escaped(void)
{
    return seen(
        promc_encode_escaped(reg, PROMC_FORMAT_TEXT, (promc_escaping)9, write_nothing, NULL));
}
static struct outcome ok_promc_encode_escaped(void)
{
    dirty();
    return seen(promc_encode_escaped(reg, PROMC_FORMAT_TEXT, PROMC_ESCAPING_ALLOW_UTF8,
                                     write_nothing, NULL));
}

static struct outcome fail_promc_encode_buffer_escaped(void)
{
    return seen_ptr(promc_encode_buffer_escaped(reg, PROMC_FORMAT_TEXT, (promc_escaping)9, NULL));
}
static struct outcome ok_promc_encode_buffer_escaped(void)
{
    dirty();
    char *s = promc_encode_buffer_escaped(reg, PROMC_FORMAT_PROTOBUF, PROMC_ESCAPING_DOTS, NULL);
    struct outcome o = seen_ptr(s);
    promc_free(s);
    return o;
}

static struct outcome fail_promc_encode_file_escaped(void)
{
    return seen(promc_encode_file_escaped(reg, PROMC_FORMAT_TEXT, PROMC_ESCAPING_VALUES, NULL));
}
static struct outcome ok_promc_encode_file_escaped(void)
{
    FILE *f = fopen("/dev/null", "w");
    dirty();
    struct outcome o =
        seen(promc_encode_file_escaped(reg, PROMC_FORMAT_TEXT, PROMC_ESCAPING_VALUES, f));
    fclose(f);
    return o;
}

static struct outcome fail_promc_textfile_write(void)
{
    return seen(promc_textfile_write(reg, "/nonexistent-dir/x.prom"));
}
static struct outcome ok_promc_textfile_write(void)
{
    char path[] = "/tmp/promc-last-error-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    dirty();
    struct outcome o = seen(promc_textfile_write(reg, path));
    unlink(path);
    return o;
}

static const promc_scrape_opts only_jobs = {.names = PROMC_LABELS("jobs_total")};

static struct outcome fail_promc_encode_ex(void)
{
    return seen(promc_encode_ex(reg, PROMC_FORMAT_TEXT, NULL, NULL, &only_jobs));
}
static struct outcome ok_promc_encode_ex(void)
{
    dirty();
    return seen(promc_encode_ex(reg, PROMC_FORMAT_TEXT, write_nothing, NULL, &only_jobs));
}

static struct outcome fail_promc_encode_buffer_ex(void)
{
    return seen_ptr(promc_encode_buffer_ex(reg, (promc_format)7, NULL, &only_jobs));
}
static struct outcome ok_promc_encode_buffer_ex(void)
{
    dirty();
    char *s = promc_encode_buffer_ex(reg, PROMC_FORMAT_OPENMETRICS, NULL, &only_jobs);
    struct outcome o = seen_ptr(s);
    promc_free(s);
    return o;
}

static struct outcome fail_promc_encode_file_ex(void)
{
    return seen(promc_encode_file_ex(reg, PROMC_FORMAT_TEXT, NULL, &only_jobs));
}
static struct outcome ok_promc_encode_file_ex(void)
{
    FILE *f = fopen("/dev/null", "w");
    dirty();
    struct outcome o = seen(promc_encode_file_ex(reg, PROMC_FORMAT_TEXT, f, &only_jobs));
    fclose(f);
    return o;
}

static struct outcome fail_promc_textfile_write_ex(void)
{
    return seen(promc_textfile_write_ex(reg, "/nonexistent-dir/x.prom", &only_jobs));
}
static struct outcome ok_promc_textfile_write_ex(void)
{
    char path[] = "/tmp/promc-last-error-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    dirty();
    struct outcome o = seen(promc_textfile_write_ex(reg, path, &only_jobs));
    unlink(path);
    return o;
}

static struct outcome fail_promc_http_fetch(void)
{
    promc_http_result r;
    return seen(promc_http_fetch("GET", "ftp://x/", NULL, 0, NULL, &r));
}

/* One HTTP server of the library's own answers the successful fetch and
 * pushes: a handler that says 200 to everything. */
static void answer_ok(void *ud, const char *method, const char *path, promc_http_response *r)
{
    (void)ud;
    (void)method;
    (void)path;
    r->status = 200;
    r->body = "ok\n";
    r->body_len = 3;
}

static char server_url[64];

static struct outcome ok_promc_http_fetch(void)
{
    char url[96];
    snprintf(url, sizeof url, "%s/anything", server_url);
    promc_http_result r;
    dirty();
    struct outcome o = seen(promc_http_fetch("GET", url, NULL, 0, NULL, &r));
    promc_http_result_free(&r);
    return o;
}

static struct outcome fail_promc_http_server_new(void)
{
    return seen_ptr(promc_http_server_new(reg, "no-port", NULL));
}
static struct outcome ok_promc_http_server_new(void)
{
    dirty();
    promc_http_server *srv = promc_http_server_new(reg, "127.0.0.1:0", NULL);
    struct outcome o = seen_ptr(srv);
    promc_http_server_free(srv);
    return o;
}

static struct outcome fail_promc_http_server_new_fd(void)
{
    return seen_ptr(promc_http_server_new_fd(reg, -1, NULL));
}
static struct outcome ok_promc_http_server_new_fd(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(fd, 8) != 0)
        return (struct outcome){.rc = PROMC_EIO, .code = PROMC_EIO};
    dirty();
    promc_http_server *srv = promc_http_server_new_fd(reg, fd, NULL);
    struct outcome o = seen_ptr(srv);
    promc_http_server_free(srv); /* closes fd */
    return o;
}

static struct outcome fail_promc_http_query_value(void)
{
    char out[8];
    long n = promc_http_query_value("a=1", "b", out, sizeof out);
    return seen(n < 0 ? promc_last_error_code() : PROMC_OK);
}
static struct outcome ok_promc_http_query_value(void)
{
    char out[8];
    dirty();
    long n = promc_http_query_value("a=1", "a", out, sizeof out);
    return seen(n == 1 ? PROMC_OK : PROMC_EINVAL);
}

static struct outcome fail_promc_http_instrument_new(void)
{
    return seen_ptr(promc_http_instrument_new(PROMC_NO_REGISTRY, NULL));
}
static struct outcome ok_promc_http_instrument_new(void)
{
    promc_registry *r = promc_registry_new();
    dirty();
    promc_http_instrument *in = promc_http_instrument_new(r, NULL);
    struct outcome o = seen_ptr(in);
    promc_http_instrument_free(in);
    promc_registry_free(r);
    return o;
}

static struct outcome fail_promc_stop_signal_wait(void)
{
    return seen(promc_stop_signal_wait(NAN));
}
static struct outcome ok_promc_stop_signal_wait(void)
{
    sigset_t old;
    pthread_sigmask(SIG_SETMASK, NULL, &old);
    promc_stop_signals_block();
    dirty();
    struct outcome o = seen(promc_stop_signal_wait(0)); /* none pending: 0 */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return o;
}

/* The server's own handler freeing it is refused (and the server is freed
 * by main later). */
static promc_http_server *self_freeing;
static struct outcome self_free; /* what the handler's call left in its thread */

static void free_me(void *ud, const char *method, const char *path, promc_http_response *r)
{
    (void)ud;
    (void)method;
    (void)path;
    self_free = seen(promc_http_server_free(self_freeing));
    r->status = 200;
}

static struct outcome fail_promc_http_server_free(void)
{
    self_freeing =
        promc_http_server_new(PROMC_NO_REGISTRY, "127.0.0.1:0",
                              &(promc_http_opts){.disable_metrics = 1, .handler = free_me});
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", promc_http_server_port(self_freeing));
    promc_http_result r;
    promc_http_fetch("GET", url, NULL, 0, NULL, &r);
    promc_http_result_free(&r);
    return self_free;
}
static struct outcome ok_promc_http_server_free(void)
{
    dirty();
    struct outcome o = seen(promc_http_server_free(self_freeing));
    self_freeing = NULL;
    return o;
}

#define PUSH_ROW(fn, CALL)                                                                         \
    static struct outcome fail_##fn(void)                                                          \
    {                                                                                              \
        promc_registry *r = reg;                                                                   \
        (void)r;                                                                                   \
        const char *gw = "https://tls.example";                                                    \
        return seen(CALL);                                                                         \
    }                                                                                              \
    static struct outcome ok_##fn(void)                                                            \
    {                                                                                              \
        promc_registry *r = promc_registry_new();                                                  \
        const char *gw = server_url;                                                               \
        dirty();                                                                                   \
        struct outcome o = seen(CALL);                                                             \
        promc_registry_free(r);                                                                    \
        return o;                                                                                  \
    }
PUSH_ROW(promc_push, promc_push(r, gw, "job", NULL))
PUSH_ROW(promc_push_add, promc_push_add(r, gw, "job", NULL))
PUSH_ROW(promc_push_delete, promc_push_delete(gw, "job", NULL))

/* Multi-process mode: each succeeding row turns it on in a directory of
 * its own and off again before returning. */
static char *mp_on(const char *id)
{
    char *d = strdup("/tmp/promc_le_XXXXXX");
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    assert_int_equal(promc_multiprocess_init(d, id), PROMC_OK);
    return d;
}
static void mp_off(char *d)
{
    promc_multiprocess_shutdown();
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", d);
    assert_int_equal(system(cmd), 0);
    free(d);
}

static struct outcome fail_promc_multiprocess_init(void)
{
    return seen(promc_multiprocess_init("/nonexistent/promc", NULL));
}
/* Turns the mode on in a fresh directory with a layout (-1: through
 * promc_multiprocess_init), then off again; the outcome of turning it on. */
static struct outcome init_in_fresh_dir(int layout)
{
    char *d = strdup("/tmp/promc_le_XXXXXX");
    assert_non_null(mkdtemp(d));
    dirty();
    struct outcome o =
        seen(layout < 0 ? promc_multiprocess_init(d, NULL)
                        : promc_multiprocess_init_layout(d, NULL, (promc_mp_layout)layout));
    promc_multiprocess_shutdown();
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", d);
    assert_int_equal(system(cmd), 0);
    free(d);
    return o;
}
static struct outcome ok_promc_multiprocess_init(void)
{
    return init_in_fresh_dir(-1);
}

static struct outcome fail_promc_multiprocess_init_layout(void)
{
    return seen(promc_multiprocess_init_layout("/tmp", NULL, (promc_mp_layout)9));
}
static struct outcome ok_promc_multiprocess_init_layout(void)
{
    return init_in_fresh_dir(PROMC_MP_LAYOUT_TIMESTAMPED);
}

static struct outcome fail_promc_mp_counter_new(void)
{
    return seen_ptr(promc_mp_counter_new("c", "C.", NULL, 0)); /* mode off */
}
static struct outcome ok_promc_mp_counter_new(void)
{
    char *d = mp_on("c");
    dirty();
    struct outcome o = seen_ptr(promc_mp_counter_new("c", "C.", NULL, 0));
    mp_off(d);
    return o;
}

static struct outcome fail_promc_mp_counter_add(void)
{
    return seen(promc_mp_counter_add(NULL, NAN));
}
static struct outcome ok_promc_mp_counter_add(void)
{
    dirty();
    return seen(promc_mp_counter_add(NULL, 1));
}

static struct outcome fail_promc_mp_gauge_new(void)
{
    return seen_ptr(promc_mp_gauge_new("g", "G.", (promc_mp_mode)42, NULL, 0));
}
static struct outcome ok_promc_mp_gauge_new(void)
{
    char *d = mp_on("g");
    dirty();
    struct outcome o = seen_ptr(promc_mp_gauge_new("g", "G.", PROMC_MP_LIVESUM, NULL, 0));
    mp_off(d);
    return o;
}

static struct outcome fail_promc_mp_histogram_new(void)
{
    return seen_ptr(promc_mp_histogram_new("h", "H.", NULL, 0, NULL, 0));
}
static struct outcome ok_promc_mp_histogram_new(void)
{
    char *d = mp_on("h");
    dirty();
    struct outcome o = seen_ptr(promc_mp_histogram_new("h", "H.", (double[]){1}, 1, NULL, 0));
    mp_off(d);
    return o;
}

static struct outcome fail_promc_mp_summary_new(void)
{
    return seen_ptr(promc_mp_summary_new("1s", "S.", NULL, 0));
}
static struct outcome ok_promc_mp_summary_new(void)
{
    char *d = mp_on("s");
    dirty();
    struct outcome o = seen_ptr(promc_mp_summary_new("s", "S.", NULL, 0));
    mp_off(d);
    return o;
}

static struct outcome fail_promc_multiprocess_collector_new(void)
{
    return seen_ptr(promc_multiprocess_collector_new(reg, "/nonexistent/promc"));
}
static struct outcome ok_promc_multiprocess_collector_new(void)
{
    dirty();
    promc_metric *m = promc_multiprocess_collector_new(PROMC_NO_REGISTRY, "/tmp");
    struct outcome o = seen_ptr(m);
    promc_metric_free(m);
    return o;
}

static struct outcome fail_promc_multiprocess_mark_process_dead(void)
{
    return seen(promc_multiprocess_mark_process_dead("/tmp", "../x"));
}
static struct outcome ok_promc_multiprocess_mark_process_dead(void)
{
    char *d = mp_on("dead");
    dirty();
    struct outcome o = seen(promc_multiprocess_mark_process_dead(d, "dead"));
    mp_off(d);
    return o;
}

static const struct row {
    const char *fn;
    struct outcome (*failing)(void);
    struct outcome (*succeeding)(void);
} rows[] = {
    ROW(promc_set_allocator),
    ROW(promc_registry_new),
    ROW(promc_registry_free),
    ROW(promc_default_registry),
    ROW(promc_default_process_collector),
    ROW(promc_registry_register),
    ROW(promc_registry_unregister),
    ROW(promc_registry_clear),
    ROW(promc_registry_set_max_children),
    ROW(promc_registry_set_created),
    ROW(promc_registry_set_utf8_names),
    ROW(promc_registry_wrap),
    ROW(promc_registry_get_sample_value),
    ROW(promc_registry_compare),
    ROW(promc_text_compare),
    ROW(promc_registry_count),
    ROW(promc_registry_lint),
    ROW(promc_text_lint),
    ROW(promc_metric_free),
    ROW(promc_metric_reclaim_removed),
    ROW(promc_counter_new),
    ROW(promc_counter_add),
    ROW(promc_counter_add_exemplar),
    ROW(promc_counter_inc_exemplar),
    ROW(promc_counter_metric),
    ROW(promc_counter_free),
    ROW(promc_counter_vec_new),
    ROW(promc_counter_vec_labels_n),
    ROW(promc_counter_vec_remove_n),
    ROW(promc_counter_vec_clear),
    ROW(promc_counter_vec_free),
    ROW(promc_counter_vec_curry),
    ROW(promc_counter_vec_remove_partial),
    ROW(promc_gauge_new),
    ROW(promc_gauge_metric),
    ROW(promc_gauge_free),
    ROW(promc_gauge_vec_new),
    ROW(promc_gauge_vec_labels_n),
    ROW(promc_gauge_vec_remove_n),
    ROW(promc_gauge_vec_clear),
    ROW(promc_gauge_vec_free),
    ROW(promc_gauge_vec_curry),
    ROW(promc_gauge_vec_remove_partial),
    ROW(promc_buckets_linear),
    ROW(promc_buckets_exponential),
    ROW(promc_histogram_new),
    ROW(promc_histogram_observe_exemplar),
    ROW(promc_histogram_metric),
    ROW(promc_histogram_free),
    ROW(promc_histogram_vec_new),
    ROW(promc_histogram_vec_labels_n),
    ROW(promc_histogram_vec_remove_n),
    ROW(promc_histogram_vec_clear),
    ROW(promc_histogram_vec_free),
    ROW(promc_histogram_vec_curry),
    ROW(promc_histogram_vec_remove_partial),
    ROW(promc_summary_new),
    ROW(promc_summary_metric),
    ROW(promc_summary_free),
    ROW(promc_summary_vec_new),
    ROW(promc_summary_vec_labels_n),
    ROW(promc_summary_vec_remove_n),
    ROW(promc_summary_vec_clear),
    ROW(promc_summary_vec_free),
    ROW(promc_summary_vec_curry),
    ROW(promc_summary_vec_remove_partial),
    ROW(promc_enum_new),
    ROW(promc_enum_set),
    ROW(promc_enum_set_index),
    ROW(promc_enum_metric),
    ROW(promc_enum_free),
    ROW(promc_enum_vec_new),
    ROW(promc_enum_vec_labels_n),
    ROW(promc_enum_vec_remove_n),
    ROW(promc_enum_vec_clear),
    ROW(promc_enum_vec_free),
    ROW(promc_enum_vec_curry),
    ROW(promc_enum_vec_remove_partial),
    ROW(promc_info_new),
    ROW(promc_info_free),
    ROW(promc_info_vec_new),
    ROW(promc_info_vec_set_n),
    ROW(promc_info_vec_remove_n),
    ROW(promc_info_vec_clear),
    ROW(promc_info_vec_free),
    ROW(promc_collector_new),
    ROW(promc_collector_new_opts),
    ROW(promc_emit_family),
    ROW(promc_emit_sample),
    ROW(promc_emit_histogram),
    ROW(promc_emit_summary),
    ROW(promc_emit_stateset),
    ROW(promc_emit_sample_ts),
    ROW(promc_emit_histogram_ts),
    ROW(promc_emit_summary_ts),
    ROW(promc_emit_stateset_ts),
    ROW(promc_gauge_func_new),
    ROW(promc_counter_func_new),
    ROW(promc_gauge_func_vec_new),
    ROW(promc_counter_func_vec_new),
    ROW(promc_reporter_add_n),
    ROW(promc_process_collector_new),
    ROW(promc_multiprocess_init),
    ROW(promc_multiprocess_init_layout),
    ROW(promc_mp_counter_new),
    ROW(promc_mp_counter_add),
    ROW(promc_mp_gauge_new),
    ROW(promc_mp_histogram_new),
    ROW(promc_mp_summary_new),
    ROW(promc_multiprocess_collector_new),
    ROW(promc_multiprocess_mark_process_dead),
    ROW(promc_encode),
    ROW(promc_encode_buffer),
    ROW(promc_encode_file),
    ROW(promc_encode_escaped),
    ROW(promc_encode_buffer_escaped),
    ROW(promc_encode_file_escaped),
    ROW(promc_textfile_write),
    ROW(promc_encode_ex),
    ROW(promc_encode_buffer_ex),
    ROW(promc_encode_file_ex),
    ROW(promc_textfile_write_ex),
    ROW(promc_http_server_new),
    ROW(promc_http_server_new_fd),
    ROW(promc_http_server_free),
    ROW(promc_http_query_value),
    ROW(promc_http_instrument_new),
    ROW(promc_stop_signal_wait),
    ROW(promc_http_fetch),
    ROW(promc_push),
    ROW(promc_push_add),
    ROW(promc_push_delete),
};

static void every_fallible_function_follows_the_rule(void **state)
{
    (void)state;
    size_t n = sizeof rows / sizeof rows[0];
    for (size_t i = 0; i < n; i++) {
        struct outcome f = rows[i].failing();
        if (f.rc == PROMC_OK || f.code != f.rc || f.message_empty)
            fail_msg("%s: a failing call returned %s, left %s and %s message", rows[i].fn,
                     promc_errname(f.rc), promc_errname(f.code), f.message_empty ? "no" : "a");
        struct outcome o = rows[i].succeeding();
        if (o.rc != PROMC_OK || o.code != PROMC_OK || !o.message_empty)
            fail_msg("%s: a successful call after a failure returned %s and left %s (\"%s\")",
                     rows[i].fn, promc_errname(o.rc), promc_errname(o.code), promc_last_error());
    }
    print_message("%zu functions: failure recorded, success clears it\n", n);
    /* The table's names, for check-contract to compare with the headers. */
    FILE *f = getenv("PROMC_LAST_ERROR_ROWS") ? fopen(getenv("PROMC_LAST_ERROR_ROWS"), "w") : NULL;
    for (size_t i = 0; f && i < n; i++)
        fprintf(f, "%s\n", rows[i].fn);
    if (f)
        fclose(f);
}

int main(void)
{
    if (failalloc_install() != PROMC_OK)
        return 1;
    test_pin_clock();
    reg = promc_registry_new();
    promc_http_server *srv =
        promc_http_server_new(PROMC_NO_REGISTRY, "127.0.0.1:0",
                              &(promc_http_opts){.disable_metrics = 1, .handler = answer_ok});
    if (!reg || !srv)
        return 1;
    snprintf(server_url, sizeof server_url, "http://127.0.0.1:%d", promc_http_server_port(srv));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_fallible_function_follows_the_rule),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    promc_http_server_free(srv);
    promc_registry_free(reg);
    promc_shutdown();
    return failed;
}
