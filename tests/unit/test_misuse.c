/*
 * Runs every row of docs/API.md's table "Mistakes and what they return": each
 * plausible misuse of the API, and that the library answers it with the
 * documented error (code and message) instead of a crash, a hang, a leak or a
 * silent success. `make test` runs this program under AddressSanitizer and
 * UndefinedBehaviorSanitizer, valgrind-free, and under ThreadSanitizer for the
 * threaded rows. The mistakes the type system refuses are in
 * tests/compile_fail/, which must not compile.
 */
#include "helpers.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>

#include "metric.h"
#include "promc_http.h"

/* The last error must be exactly this code, and mention `mentions`. */
static void expect_error(int code, const char *mentions)
{
    if (promc_last_error_code() != code)
        fail_msg("last error is %s (%s), want %s", promc_errname(promc_last_error_code()),
                 promc_last_error(), promc_errname(code));
    if (mentions && !strstr(promc_last_error(), mentions))
        fail_msg("message \"%s\" does not mention \"%s\"", promc_last_error(), mentions);
}

static void expect_ok(void)
{
    assert_int_equal(promc_last_error_code(), PROMC_OK);
    assert_string_equal(promc_last_error(), "");
}

/* The text exposition of reg must pass (promc_encode returns PROMC_OK). */
static char *scrape_ok(promc_registry *reg)
{
    char *s = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, NULL);
    if (!s)
        fail_msg("scrape failed: %s", promc_last_error());
    return s;
}

/* ------------------------------------------------------------------ */
/* Handles                                                             */
/* ------------------------------------------------------------------ */

static void child_freed_as_a_metric_is_refused(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *v = promc_counter_vec_new(reg, "jobs", "Jobs.", PROMC_LABELS("k"), NULL);
    promc_counter *child = promc_counter_vec_labels(v, "a");
    promc_counter_inc(child);
    assert_int_equal(promc_counter_free(child), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "child of a labelled family");
    assert_null(promc_counter_metric(child));
    expect_error(PROMC_EINVAL, "\"jobs\"");
    /* The family is untouched: still scraped, still counting. */
    promc_counter_inc(child);
    assert_true(test_value(reg, "jobs_total", (promc_label[]){{"k", "a"}}, 1) == 2);
    /* The same for every type. */
    promc_gauge_vec *g = promc_gauge_vec_new(reg, "g", "G.", PROMC_LABELS("k"), NULL);
    promc_histogram_vec *h = promc_histogram_vec_new(reg, "h", "H.", PROMC_LABELS("k"), NULL);
    promc_summary_vec *s = promc_summary_vec_new(reg, "s", "S.", PROMC_LABELS("k"), NULL);
    promc_enum_vec *e =
        promc_enum_vec_new(reg, "e", "E.", PROMC_LABELS("k"), PROMC_LABELS("on", "off"), NULL);
    assert_int_equal(promc_gauge_free(promc_gauge_vec_labels(g, "a")), PROMC_EINVAL);
    assert_int_equal(promc_histogram_free(promc_histogram_vec_labels(h, "a")), PROMC_EINVAL);
    assert_int_equal(promc_summary_free(promc_summary_vec_labels(s, "a")), PROMC_EINVAL);
    assert_int_equal(promc_enum_free(promc_enum_vec_labels(e, "a")), PROMC_EINVAL);
    assert_null(promc_gauge_metric(promc_gauge_vec_labels(g, "a")));
    assert_null(promc_histogram_metric(promc_histogram_vec_labels(h, "a")));
    assert_null(promc_summary_metric(promc_summary_vec_labels(s, "a")));
    assert_null(promc_enum_metric(promc_enum_vec_labels(e, "a")));
    assert_null(PROMC_METRIC(promc_gauge_vec_labels(g, "a")));
    free(scrape_ok(reg));
    promc_gauge_vec_free(g);
    promc_histogram_vec_free(h);
    promc_summary_vec_free(s);
    promc_enum_vec_free(e);
    assert_int_equal(promc_counter_vec_free(v), PROMC_OK);
    promc_registry_free(reg);
}

static void double_free_seen_by_the_counts_is_reported(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter *c = promc_counter_new(reg, "c", "C.", NULL);
    assert_int_equal(promc_counter_free(c), PROMC_OK); /* the registry still holds it */
    assert_int_equal(promc_counter_free(c), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "already freed");
    promc_counter_vec *v = promc_counter_vec_new(reg, "v", "V.", PROMC_LABELS("k"), NULL);
    assert_int_equal(promc_counter_vec_free(v), PROMC_OK);
    assert_int_equal(promc_metric_free(promc_counter_vec_metric(v)), PROMC_EINVAL);
    /* Still exported and intact. */
    char *s = scrape_ok(reg);
    assert_non_null(strstr(s, "c_total 0\n"));
    free(s);
    promc_registry_free(reg);
}

static void vec_without_label_names_is_refused(void **state)
{
    (void)state;
    assert_null(promc_counter_vec_new(PROMC_NO_REGISTRY, "c", "C.", NULL, NULL));
    expect_error(PROMC_EINVAL, "at least one label name");
    const char *const none[] = {NULL};
    assert_null(promc_gauge_vec_new(PROMC_NO_REGISTRY, "g", "G.", none, NULL));
    expect_error(PROMC_EINVAL, "at least one label name");
}

static void hot_path_calls_on_null_are_no_ops(void **state)
{
    (void)state;
    promc_counter_inc(NULL);
    promc_counter_add_int(NULL, 5);
    assert_int_equal(promc_counter_add(NULL, 1), PROMC_OK);
    promc_gauge_set(NULL, 1);
    promc_gauge_inc(NULL);
    promc_histogram_observe(NULL, 1);
    promc_summary_observe(NULL, 1);
    assert_int_equal(promc_enum_set(NULL, "x"), PROMC_OK);
    assert_true(promc_counter_get(NULL) == 0);
    assert_true(promc_gauge_get(NULL) == 0);
    assert_int_equal(promc_enum_get(NULL), 0);
    /* A failed lookup returns NULL: the increment that follows is harmless
     * and the reason stays readable. */
    promc_counter_vec *v =
        promc_counter_vec_new(PROMC_NO_REGISTRY, "v", "V.", PROMC_LABELS("k"), NULL);
    promc_counter_inc(promc_counter_vec_labels(v, "\xff"));
    expect_error(PROMC_EINVAL, "UTF-8");
    promc_counter_vec_free(v);
    assert_int_equal(promc_counter_free(NULL), PROMC_OK);
    assert_int_equal(promc_metric_free(NULL), PROMC_OK);
    assert_int_equal(promc_registry_free(NULL), PROMC_OK);
}

/* ------------------------------------------------------------------ */
/* PROMC_NO_REGISTRY is not a registry                                 */
/* ------------------------------------------------------------------ */

static int sink_write(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    return 0;
}

static void no_registry_is_refused_everywhere_but_constructors(void **state)
{
    (void)state;
    promc_registry *none = PROMC_NO_REGISTRY;
    promc_counter *c = promc_counter_new(none, "c", "C.", NULL);
    assert_non_null(c); /* constructors: "in no registry" */
    promc_metric *m = promc_counter_metric(c);
    double v;
    size_t len;
    assert_int_equal(promc_registry_register(none, m), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "PROMC_NO_REGISTRY");
    assert_int_equal(promc_registry_unregister(none, m), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "PROMC_NO_REGISTRY");
    assert_int_equal(promc_registry_clear(none), PROMC_EINVAL);
    assert_int_equal(promc_registry_set_max_children(none, 3), PROMC_EINVAL);
    assert_int_equal(promc_registry_set_created(none, 0), PROMC_EINVAL);
    assert_int_equal(promc_registry_get_sample_value(none, "c_total", NULL, 0, &v), PROMC_EINVAL);
    assert_int_equal(promc_encode(none, PROMC_FORMAT_TEXT, sink_write, NULL), PROMC_EINVAL);
    assert_null(promc_encode_buffer(none, PROMC_FORMAT_TEXT, &len));
    expect_error(PROMC_EINVAL, "PROMC_NO_REGISTRY");
    assert_int_equal(promc_encode_file(none, PROMC_FORMAT_TEXT, stderr), PROMC_EINVAL);
    assert_int_equal(promc_registry_free(none), PROMC_EINVAL);
    assert_int_equal(promc_textfile_write(none, "/tmp/promc_misuse.prom"), PROMC_EINVAL);
    assert_int_equal(promc_push(none, "http://127.0.0.1:1", "job", NULL), PROMC_EINVAL);
    assert_int_equal(promc_counter_free(c), PROMC_OK);
}

static void default_registry_is_not_freed_by_registry_free(void **state)
{
    (void)state;
    promc_registry *def = promc_default_registry();
    assert_non_null(def);
    assert_int_equal(promc_registry_free(def), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "promc_shutdown");
    free(scrape_ok(NULL));
    promc_shutdown();
}

/* ------------------------------------------------------------------ */
/* Re-entry from callbacks                                             */
/* ------------------------------------------------------------------ */

struct reenter {
    promc_registry *reg;
    promc_gauge *created; /* made by the collector during the scrape */
    int scrape_rc;        /* of a scrape of its own registry, from inside */
    int other_rc;         /* of a scrape of another registry, from inside */
    promc_registry *other;
    int calls;
};

static int collect_reenter(promc_emitter *e, void *ud)
{
    struct reenter *r = ud;
    r->calls++;
    if (!r->created) /* creating a metric in the registry being scraped */
        r->created = promc_gauge_new(r->reg, "made_in_collector", "Made.", NULL);
    double v;
    r->scrape_rc = promc_registry_get_sample_value(r->reg, "x", NULL, 0, &v);
    size_t len;
    char *s = promc_encode_buffer(r->other, PROMC_FORMAT_TEXT, &len);
    r->other_rc = s ? PROMC_OK : promc_last_error_code();
    free(s);
    promc_emit_family(e, "from_collector", "F.", PROMC_GAUGE, NULL);
    return promc_emit_sample(e, NULL, 0, 1);
}

static void collector_creating_and_scraping_never_hangs(void **state)
{
    (void)state;
    struct reenter r = {.reg = promc_registry_new(), .other = promc_registry_new()};
    promc_gauge *o = promc_gauge_new(r.other, "other", "O.", NULL);
    promc_metric *m = promc_collector_new(r.reg, collect_reenter, &r, NULL, NULL);
    assert_non_null(m);
    char *s = scrape_ok(r.reg);
    free(s);
    /* Creating worked (it is in the next scrape), scraping the registry
     * being scraped was refused at once, another registry was fine. */
    assert_non_null(r.created);
    assert_int_equal(r.scrape_rc, PROMC_ESTATE);
    assert_int_equal(r.other_rc, PROMC_OK);
    s = scrape_ok(r.reg);
    assert_non_null(strstr(s, "made_in_collector 0\n"));
    free(s);
    promc_gauge_free(r.created);
    promc_gauge_free(o);
    promc_metric_free(m);
    promc_registry_free(r.reg);
    promc_registry_free(r.other);
}

static int collect_unregisters_itself(promc_emitter *e, void *ud)
{
    promc_registry *reg = ud;
    promc_metric *self = promc_collector_new(PROMC_NO_REGISTRY, collect_unregisters_itself, NULL,
                                             NULL, NULL); /* a distinct object: fine */
    promc_metric_free(self);
    (void)e;
    return 0;
    (void)reg;
}

struct self_remover {
    promc_registry *reg;
    promc_metric *me;
    int unregister_rc, free_rc, registry_free_rc;
};

static int collect_removes_itself(promc_emitter *e, void *ud)
{
    struct self_remover *r = ud;
    r->unregister_rc = promc_registry_unregister(r->reg, r->me);
    r->free_rc = promc_metric_free(r->me);
    r->registry_free_rc = promc_registry_free(r->reg); /* the scrape keeps it alive */
    promc_emit_family(e, "last_words", "L.", PROMC_GAUGE, NULL);
    return promc_emit_sample(e, NULL, 0, 1);
}

static int frees_counted;

static void count_free(void *p)
{
    (void)p;
    frees_counted++;
}

static void collector_unregistering_and_freeing_itself_is_safe(void **state)
{
    (void)state;
    struct self_remover r = {.reg = promc_registry_new()};
    r.me = promc_collector_new(r.reg, collect_removes_itself, &r, count_free, NULL);
    promc_gauge *g = promc_gauge_new(r.reg, "after", "A.", NULL);
    promc_gauge_free(g); /* the registry holds it */
    frees_counted = 0;
    char *s = promc_encode_buffer(r.reg, PROMC_FORMAT_TEXT, NULL);
    assert_non_null(s);
    /* The scrape that was running finished with everything it started with. */
    assert_non_null(strstr(s, "last_words 1\n"));
    assert_non_null(strstr(s, "after 0\n"));
    free(s);
    assert_int_equal(r.unregister_rc, PROMC_OK);
    assert_int_equal(r.free_rc, PROMC_OK);
    assert_int_equal(r.registry_free_rc, PROMC_OK);
    /* Everything was released when the scrape let go (ASan: no leak). */
    assert_int_equal(frees_counted, 1);
    promc_metric *other =
        promc_collector_new(PROMC_NO_REGISTRY, collect_unregisters_itself, NULL, NULL, NULL);
    promc_metric_free(other);
}

struct writer_ctx {
    promc_registry *reg;
    promc_counter_vec *vec;
    promc_counter_vec *other; /* a family the writer may change */
    bool other_ok;
    int new_child_rc, existing_child_ok, remove_rc, clear_rc, reclaim_rc, scrape_rc, children;
    bool done;
};

static int writer_reenters(void *ctx, const char *data, size_t len)
{
    (void)data;
    (void)len;
    struct writer_ctx *w = ctx;
    if (w->done)
        return 0;
    w->done = true;
    /* The scrape holds the family's read lock while the writer runs. */
    w->new_child_rc = promc_counter_vec_labels(w->vec, "new") ? PROMC_OK : promc_last_error_code();
    w->existing_child_ok = promc_counter_vec_labels(w->vec, "old") != NULL;
    w->remove_rc = promc_counter_vec_remove(w->vec, "old");
    w->clear_rc = promc_counter_vec_clear(w->vec);
    w->reclaim_rc = promc_metric_reclaim_removed(promc_counter_vec_metric(w->vec));
    w->children = (int)promc_metric_children(promc_counter_vec_metric(w->vec));
    /* Another family's lock is free: changing it works (a busy one would be
     * PROMC_ESTATE rather than a wait). */
    w->other_ok = promc_counter_vec_labels(w->other, "from_writer") != NULL;
    double v;
    w->scrape_rc = promc_registry_get_sample_value(w->reg, "v_total", NULL, 0, &v);
    return 0;
}

static void writer_changing_the_family_being_written_gets_estate(void **state)
{
    (void)state;
    struct writer_ctx w = {.reg = promc_registry_new()};
    w.vec = promc_counter_vec_new(w.reg, "v", "V.", PROMC_LABELS("k"), NULL);
    w.other = promc_counter_vec_new(PROMC_NO_REGISTRY, "o", "O.", PROMC_LABELS("k"), NULL);
    promc_counter_vec_labels(w.vec, "old");
    /* A one-byte buffer is not possible through the API, so use a family
     * large enough that the writer runs while it is being written. */
    for (int i = 0; i < 2000; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        promc_counter_inc(promc_counter_vec_labels(w.vec, k));
    }
    assert_int_equal(promc_encode(w.reg, PROMC_FORMAT_TEXT, writer_reenters, &w), PROMC_OK);
    assert_true(w.done);
    assert_int_equal(w.new_child_rc, PROMC_ESTATE);
    assert_true(w.existing_child_ok); /* a read, under the lock it holds */
    assert_int_equal(w.remove_rc, PROMC_ESTATE);
    assert_int_equal(w.clear_rc, PROMC_ESTATE);
    assert_int_equal(w.reclaim_rc, PROMC_ESTATE);
    assert_int_equal(w.children, 2001);
    assert_int_equal(w.scrape_rc, PROMC_ESTATE);
    assert_true(w.other_ok);
    promc_counter_vec_free(w.other);
    promc_counter_vec_free(w.vec);
    promc_registry_free(w.reg);
}

/* ------------------------------------------------------------------ */
/* Collection errors are never silent                                  */
/* ------------------------------------------------------------------ */

static int collect_clashing(promc_emitter *e, void *ud)
{
    (void)ud;
    promc_emit_family(e, "taken", "Clash.", PROMC_GAUGE, NULL); /* return value ignored */
    promc_emit_sample(e, NULL, 0, 1);
    promc_emit_family(e, "fine", "Fine.", PROMC_GAUGE, NULL);
    promc_emit_sample(e, NULL, 0, 2);
    return 0;
}

static void collector_clash_fails_the_scrape(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_gauge *taken = promc_gauge_new(reg, "taken", "Taken.", NULL);
    promc_metric *m = promc_collector_new(reg, collect_clashing, NULL, NULL, NULL);
    struct promc__buf b = {0};
    assert_int_equal(promc_encode(reg, PROMC_FORMAT_TEXT, promc__buf_writer, &b), PROMC_EEXIST);
    expect_error(PROMC_EEXIST, "\"taken\"");
    /* What was valid was written, once. */
    assert_non_null(strstr(b.p, "fine 2\n"));
    assert_non_null(strstr(b.p, "\ntaken 0\n"));
    assert_null(strstr(b.p, "Clash."));
    promc__free(b.p);
    assert_null(promc_encode_buffer(reg, PROMC_FORMAT_OPENMETRICS, NULL));
    expect_error(PROMC_EEXIST, "\"taken\"");
    double v;
    assert_int_equal(promc_registry_get_sample_value(reg, "fine", NULL, 0, &v), PROMC_EEXIST);
    promc_metric_free(m);
    promc_gauge_free(taken);
    promc_registry_free(reg);
}

static int collect_twice(promc_emitter *e, void *ud)
{
    (void)ud;
    promc_label ab[] = {{"a", "1"}, {"b", "2"}}, ba[] = {{"b", "2"}, {"a", "1"}};
    promc_emit_family(e, "twice", "T.", PROMC_GAUGE, NULL);
    assert_int_equal(promc_emit_sample(e, ab, 2, 1), PROMC_OK);
    assert_int_equal(promc_emit_sample(e, ba, 2, 2), PROMC_EEXIST); /* the same series */
    assert_int_equal(promc_emit_sample(e, ab, 1, 3), PROMC_OK);     /* {a} is another one */
    promc_emit_family(e, "twice_h", "T.", PROMC_HISTOGRAM, NULL);
    assert_int_equal(promc_emit_histogram(e, NULL, 0, NULL, NULL, 0, 1, 1), PROMC_OK);
    assert_int_equal(promc_emit_histogram(e, NULL, 0, NULL, NULL, 0, 2, 2), PROMC_EEXIST);
    return 0;
}

static void collector_series_twice_is_refused(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_metric *m = promc_collector_new(reg, collect_twice, NULL, NULL, NULL);
    struct promc__buf b = {0};
    assert_int_equal(promc_encode(reg, PROMC_FORMAT_TEXT, promc__buf_writer, &b), PROMC_EEXIST);
    expect_error(PROMC_EEXIST, "same label set twice");
    assert_non_null(strstr(b.p, "twice{a=\"1\",b=\"2\"} 1\n"));
    assert_null(strstr(b.p, "} 2\n"));
    assert_non_null(strstr(b.p, "twice{a=\"1\"} 3\n"));
    assert_non_null(strstr(b.p, "twice_h_count 1\n"));
    assert_null(strstr(b.p, "twice_h_count 2\n"));
    promc__free(b.p);
    promc_metric_free(m);
    promc_registry_free(reg);
}

static void reserved_library_names_are_refused(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    assert_null(promc_counter_new(reg, "promc_children_refused_total", "Mine.", NULL));
    expect_error(PROMC_EEXIST, "reserves");
    assert_null(promc_gauge_new(reg, "promc_children_refused", "Mine.", NULL));
    expect_error(PROMC_EEXIST, "promc_children_refused");
    promc_counter_vec *v = promc_counter_vec_new(reg, "lim", "L.", PROMC_LABELS("k"),
                                                 &(promc_metric_opts){.max_children = 1});
    promc_counter_vec_labels(v, "a");
    assert_null(promc_counter_vec_labels(v, "b"));
    expect_error(PROMC_ELIMIT, "limit of 1");
    /* A limit on an unlabelled metric means nothing: no refusal series. */
    promc_counter *u = promc_counter_new(reg, "unl", "U.", &(promc_metric_opts){.max_children = 3});
    char *s = scrape_ok(reg);
    assert_non_null(strstr(s, "promc_children_refused_total{metric=\"lim\"} 1\n"));
    assert_null(strstr(s, "metric=\"unl\""));
    promc_counter_free(u);
    free(s);
    promc_counter_vec_free(v);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ */
/* Removed children                                                    */
/* ------------------------------------------------------------------ */

static void child_used_after_remove_keeps_working_unexported(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_histogram_vec *v = promc_histogram_vec_new(reg, "lat", "L.", PROMC_LABELS("k"), NULL);
    promc_histogram *h = promc_histogram_vec_labels(v, "a");
    promc_histogram_observe(h, 0.2);
    assert_int_equal(promc_histogram_vec_remove(v, "a"), PROMC_OK);
    promc_histogram_observe(h, 0.3); /* detached: safe, not exported */
    double x;
    assert_int_equal(
        promc_registry_get_sample_value(reg, "lat_count", (promc_label[]){{"k", "a"}}, 1, &x),
        PROMC_ENOENT);
    assert_int_equal(promc_histogram_vec_clear(v), PROMC_OK);
    promc_histogram_observe(h, 0.4);
    /* Looked up again: a fresh series in the same memory. */
    assert_ptr_equal(promc_histogram_vec_labels(v, "a"), h);
    assert_true(test_value(reg, "lat_count", (promc_label[]){{"k", "a"}}, 1) == 0);
    promc_histogram_observe(h, 0.5);
    assert_true(test_value(reg, "lat_count", (promc_label[]){{"k", "a"}}, 1) == 1);
    assert_true(test_value(reg, "lat_sum", (promc_label[]){{"k", "a"}}, 1) == 0.5);
    /* Reclaiming frees the removed ones only. */
    promc_histogram_vec_labels(v, "b");
    promc_histogram_vec_remove(v, "b");
    assert_int_equal(promc_metric_reclaim_removed(promc_histogram_vec_metric(v)), PROMC_OK);
    assert_int_equal(promc_metric_children(promc_histogram_vec_metric(v)), 1);
    promc_histogram_observe(h, 0.5);
    assert_true(test_value(reg, "lat_count", (promc_label[]){{"k", "a"}}, 1) == 2);
    promc_histogram_vec_free(v);
    promc_registry_free(reg);
}

/* The per-thread lookup cache trusts an entry while its family's removal
 * generation is unchanged. A 32-bit generation wrapped after 2^32 removals
 * and handed back a freed child; the test jumps the generation by 2^32
 * instead of removing that often. */
static void lookup_cache_survives_a_generation_jump_of_2_pow_32(void **state)
{
    (void)state;
    promc_counter_vec *v =
        promc_counter_vec_new(PROMC_NO_REGISTRY, "g", "G.", PROMC_LABELS("k"), NULL);
    struct promc_metric *m = (struct promc_metric *)promc_counter_vec_metric(v);
    assert_non_null(promc_counter_vec_labels(v, "a")); /* created */
    assert_non_null(promc_counter_vec_labels(v, "a")); /* found, and cached by this thread */
    uint64_t cached = atomic_load(&m->gen);
    assert_int_equal(promc_counter_vec_remove(v, "a"), PROMC_OK);
    assert_int_equal(promc_metric_reclaim_removed(promc_counter_vec_metric(v)), PROMC_OK);
    atomic_store(&m->gen, cached + (UINT64_C(1) << 32)); /* as after 2^32 more removals */
    promc_counter *again = promc_counter_vec_labels(v, "a");
    assert_non_null(again);
    /* A new child, not the freed one out of the cache. */
    assert_int_equal(promc_metric_children(promc_counter_vec_metric(v)), 1);
    promc_counter_inc(again);
    assert_true(promc_counter_get(again) == 1);
    /* Nothing removed, nothing bumped: a clear of no live child, a reclaim
     * of nothing and a failed remove leave the generation alone. */
    promc_counter_vec_remove(v, "a");
    promc_metric_reclaim_removed(promc_counter_vec_metric(v));
    uint64_t g = atomic_load(&m->gen);
    promc_counter_vec_clear(v);
    promc_metric_reclaim_removed(promc_counter_vec_metric(v));
    assert_int_equal(promc_counter_vec_remove(v, "zz"), PROMC_ENOENT);
    assert_true(atomic_load(&m->gen) == g);
    promc_counter_vec_free(v);
}

struct remover {
    promc_counter_vec *vec;
    promc_counter *child;
    atomic_int stop;
    atomic_ulong incs;
};

static void *keep_incrementing(void *arg)
{
    struct remover *r = arg;
    while (!atomic_load(&r->stop)) {
        promc_counter_inc(r->child);                              /* the handle it holds */
        promc_counter_inc(promc_counter_vec_labels(r->vec, "x")); /* and fresh lookups */
        atomic_fetch_add(&r->incs, 1);
    }
    return NULL;
}

static void removing_a_child_another_thread_increments_is_safe(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    struct remover r = {.vec = promc_counter_vec_new(reg, "rm", "R.", PROMC_LABELS("k"), NULL)};
    r.child = promc_counter_vec_labels(r.vec, "x");
    atomic_init(&r.stop, 0);
    atomic_init(&r.incs, 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, keep_incrementing, &r), 0);
    /* Let the other thread get going (bounded: a few seconds at most). */
    for (int i = 0; i < 100000 && atomic_load(&r.incs) == 0; i++)
        sched_yield();
    for (int i = 0; i < 2000; i++) {
        promc_counter_vec_remove(r.vec, "x");
        if (i % 3 == 0)
            promc_counter_vec_clear(r.vec);
        free(scrape_ok(reg));
        promc_counter_vec_labels(r.vec, "x");
        if (i % 100 == 0)
            sched_yield();
    }
    atomic_store(&r.stop, 1);
    pthread_join(t, NULL);
    assert_true(atomic_load(&r.incs) > 0);
    /* The child is live (the last call looked it up), and the handle and a
     * fresh lookup agree. */
    assert_ptr_equal(promc_counter_vec_labels(r.vec, "x"), r.child);
    promc_counter_vec_free(r.vec);
    promc_registry_free(reg);
}

/* ------------------------------------------------------------------ */
/* Arguments                                                            */
/* ------------------------------------------------------------------ */

static void null_strings_are_refused(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    assert_null(promc_counter_new(reg, NULL, "H.", NULL));
    expect_error(PROMC_EINVAL, "name is NULL");
    assert_null(promc_gauge_new(reg, "g", NULL, NULL));
    expect_error(PROMC_EINVAL, "help is NULL");
    promc_gauge_vec *v = promc_gauge_vec_new(reg, "v", "V.", PROMC_LABELS("a", "b"), NULL);
    assert_null(promc_gauge_vec_labels(v, "x", NULL));
    expect_error(PROMC_EINVAL, "\"b\" is NULL");
    assert_null(promc_gauge_vec_labels_n(v, NULL, 2));
    expect_error(PROMC_EINVAL, "missing");
    assert_null(promc_enum_new(reg, "e", "E.", NULL, NULL));
    expect_error(PROMC_EINVAL, "at least one state");
    assert_int_equal(promc_registry_get_sample_value(reg, NULL, NULL, 0, NULL), PROMC_EINVAL);
    assert_null(promc_info_new(reg, "i", "I.", (promc_label[]){{NULL, "v"}}, 1, NULL));
    expect_error(PROMC_EINVAL, "no key");
    assert_int_equal(promc_registry_register(reg, NULL), PROMC_EINVAL);
    assert_int_equal(promc_encode(reg, PROMC_FORMAT_TEXT, NULL, NULL), PROMC_EINVAL);
    assert_null(promc_collector_new(reg, NULL, NULL, NULL, NULL));
    expect_error(PROMC_EINVAL, "callback");
    promc_gauge_vec_free(v);
    promc_registry_free(reg);
}

/* UTF-8 names where the registry does not allow them: refused, naming the
 * name; where it does, invalid UTF-8 is still refused. */
static void utf8_names_without_the_option_are_refused(void **state)
{
    (void)state;
    promc_registry *legacy = promc_registry_new(), *u = promc_registry_new();
    promc_registry_set_utf8_names(u, 1);
    assert_null(promc_gauge_new(legacy, "my.metric", "M.", NULL));
    expect_error(PROMC_EINVAL, "\"my.metric\"");
    assert_null(promc_gauge_vec_new(legacy, "g", "G.", PROMC_LABELS("error.message"), NULL));
    expect_error(PROMC_EINVAL, "\"error.message\"");
    promc_gauge *g = promc_gauge_new(u, "my.metric", "M.", NULL);
    assert_non_null(g);
    assert_int_equal(promc_registry_register(legacy, promc_gauge_metric(g)), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "promc_registry_set_utf8_names");
    assert_null(promc_gauge_new(u, "my.\xff", "M.", NULL));
    expect_error(PROMC_EINVAL, "invalid metric name");
    promc_gauge_free(g);
    promc_registry_free(u);
    promc_registry_free(legacy);
}

static void wrong_label_counts_and_bad_utf8_are_refused(void **state)
{
    (void)state;
    /* A message quoting what the caller gave stays valid UTF-8, whatever
     * bytes that was, and a message cut at its size ends on a character. */
    assert_null(promc_gauge_vec_new(PROMC_NO_REGISTRY, "g", "G.", PROMC_LABELS("a\xff\xc3"), NULL));
    expect_error(PROMC_EINVAL, "\"a??\"");
    char longname[600];
    memset(longname, 'x', sizeof longname);
    memcpy(longname + 200, "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 12);
    longname[sizeof longname - 1] = '\0';
    for (int shift = 0; shift < 4; shift++) {
        assert_null(promc_gauge_vec_new(PROMC_NO_REGISTRY, "g", "G.",
                                        PROMC_LABELS(longname + shift), NULL));
        assert_true(promc__valid_utf8(promc_last_error(), strlen(promc_last_error())));
    }
    promc_summary_vec *v =
        promc_summary_vec_new(PROMC_NO_REGISTRY, "s", "S.", PROMC_LABELS("a", "b"), NULL);
    assert_null(promc_summary_vec_labels(v, "x"));
    expect_error(PROMC_EINVAL, "expected 2 label values, got 1");
    assert_null(promc_summary_vec_labels(v, "x", "y", "z"));
    expect_error(PROMC_EINVAL, "got 3");
    assert_null(promc_summary_vec_labels(v, "x", "\xc0\xaf"));
    expect_error(PROMC_EINVAL, "not valid UTF-8");
    assert_int_equal(promc_summary_vec_remove(v, "x"), PROMC_EINVAL);
    /* Removing values no child can have is the same mistake as looking them
     * up: EINVAL, not "not found". */
    assert_int_equal(promc_summary_vec_remove(v, "x", "\xff"), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "not valid UTF-8");
    assert_int_equal(promc_summary_vec_remove(v, "x", "y"), PROMC_ENOENT);
    assert_int_equal(promc_metric_children(promc_summary_vec_metric(v)), 0);
    promc_summary_vec_free(v);
}

static void registering_twice_and_clashing_names_are_refused(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter *c = promc_counter_new(reg, "req", "R.", NULL);
    assert_int_equal(promc_registry_register(reg, promc_counter_metric(c)), PROMC_EEXIST);
    expect_error(PROMC_EEXIST, "already registered");
    assert_null(promc_gauge_new(reg, "req_total", "G.", NULL));
    expect_error(PROMC_EEXIST, "\"req\"");
    assert_null(promc_histogram_new(reg, "req", "H.", NULL));
    expect_error(PROMC_EEXIST, "already emitted by counter \"req\"");
    promc_counter_free(c);
    promc_registry_free(reg);
}

static void bad_options_are_refused_not_ignored(void **state)
{
    (void)state;
    assert_null(
        promc_histogram_new(PROMC_NO_REGISTRY, "h", "H.", &(promc_histogram_opts){.nbuckets = 3}));
    expect_error(PROMC_EINVAL, "buckets is NULL");
    assert_null(
        promc_histogram_new(PROMC_NO_REGISTRY, "h", "H.",
                            &(promc_histogram_opts){.buckets = (double[]){2, 1}, .nbuckets = 2}));
    expect_error(PROMC_EINVAL, "increasing");
    /* Native-bucket options: each bad value refused, naming the histogram. */
    static const struct {
        promc_histogram_opts o;
        const char *mentions;
    } native[] = {
        {{.native_bucket_factor = 1}, "native_bucket_factor"},
        {{.native_bucket_factor = 0.5}, "native_bucket_factor"},
        {{.native_bucket_factor = -2}, "native_bucket_factor"},
        {{.native_bucket_factor = NAN}, "native_bucket_factor"},
        {{.native_bucket_factor = INFINITY}, "native_bucket_factor"},
        {{.native_bucket_factor = 1.1, .native_zero_threshold = -0.5}, "native_zero_threshold"},
        {{.native_bucket_factor = 1.1, .native_zero_threshold = NAN}, "native_zero_threshold"},
        {{.native_bucket_factor = 1.1, .native_zero_threshold = INFINITY}, "native_zero_threshold"},
        {{.native_bucket_factor = 1.1, .native_min_reset_seconds = -1}, "native_min_reset_seconds"},
        {{.native_bucket_factor = 1.1, .native_min_reset_seconds = NAN},
         "native_min_reset_seconds"},
        {{.native_bucket_factor = 1.1, .native_min_reset_seconds = 1e10},
         "native_min_reset_seconds"},
        {{.native_bucket_factor = 1.1, .native_max_zero_threshold = -1},
         "native_max_zero_threshold"},
        {{.native_bucket_factor = 1.1, .native_max_zero_threshold = INFINITY},
         "native_max_zero_threshold"},
        {{.native_max_buckets = 100}, "need native_bucket_factor"},
        {{.native_zero_threshold = 1e-9}, "need native_bucket_factor"},
        {{.native_min_reset_seconds = 60}, "need native_bucket_factor"},
        {{.native_max_zero_threshold = 1e-3}, "need native_bucket_factor"},
        {{.native_bucket_factor = 1.1, .native_max_exemplars = 1001}, "native_max_exemplars"},
        {{.native_bucket_factor = 1.1, .native_exemplar_ttl_seconds = NAN},
         "native_exemplar_ttl_seconds"},
        {{.native_bucket_factor = 1.1, .native_exemplar_ttl_seconds = INFINITY},
         "native_exemplar_ttl_seconds"},
        {{.native_bucket_factor = 1.1, .native_exemplar_ttl_seconds = -2e9},
         "native_exemplar_ttl_seconds"},
        {{.native_max_exemplars = 5}, "need native_bucket_factor"},
        {{.native_max_exemplars = -1}, "need native_bucket_factor"},
        {{.native_exemplar_ttl_seconds = 60}, "need native_bucket_factor"},
    };
    for (size_t i = 0; i < sizeof native / sizeof native[0]; i++) {
        assert_null(promc_histogram_new(PROMC_NO_REGISTRY, "nh", "H.", &native[i].o));
        expect_error(PROMC_EINVAL, native[i].mentions);
        expect_error(PROMC_EINVAL, "\"nh\"");
        assert_null(promc_histogram_vec_new(PROMC_NO_REGISTRY, "nv", "H.", PROMC_LABELS("k"),
                                            &native[i].o));
        expect_error(PROMC_EINVAL, "\"nv\"");
    }
    /* The limits themselves are accepted. */
    static const promc_histogram_opts edges[] = {
        {.native_bucket_factor = 1.1, .native_max_exemplars = 1000},
        {.native_bucket_factor = 1.1, .native_max_exemplars = -1000000},
        {.native_bucket_factor = 1.1, .native_exemplar_ttl_seconds = 1e9},
        {.native_bucket_factor = 1.1, .native_exemplar_ttl_seconds = -1e9},
    };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        promc_histogram *h = promc_histogram_new(PROMC_NO_REGISTRY, "nh", "H.", &edges[i]);
        assert_non_null(h);
        promc_histogram_free(h);
    }
    assert_null(
        promc_summary_new(PROMC_NO_REGISTRY, "s", "S.", &(promc_summary_opts){.nobjectives = 2}));
    expect_error(PROMC_EINVAL, "objectives is NULL");
    assert_null(promc_gauge_new(PROMC_NO_REGISTRY, "g_bytes", "G.",
                                &(promc_metric_opts){.unit = "seconds"}));
    expect_error(PROMC_EINVAL, "_seconds");
    assert_null(promc_enum_new(PROMC_NO_REGISTRY, "e", "E.", PROMC_LABELS("a"),
                               &(promc_metric_opts){.unit = "e"}));
    expect_error(PROMC_EINVAL, "no unit");
    assert_null(promc_histogram_vec_new(PROMC_NO_REGISTRY, "h", "H.", PROMC_LABELS("le"), NULL));
    expect_error(PROMC_EINVAL, "reserved");
    assert_null(
        promc_summary_vec_new(PROMC_NO_REGISTRY, "s", "S.", PROMC_LABELS("quantile"), NULL));
    expect_error(PROMC_EINVAL, "reserved");
    assert_null(promc_gauge_vec_new(PROMC_NO_REGISTRY, "g", "G.", PROMC_LABELS("__x"), NULL));
    expect_error(PROMC_EINVAL, "\"__x\"");
    promc_counter *c = promc_counter_new(PROMC_NO_REGISTRY, "c", "C.", NULL);
    assert_int_equal(promc_counter_add(c, -1), PROMC_EINVAL);
    assert_int_equal(promc_counter_add(c, NAN), PROMC_EINVAL);
    assert_true(promc_counter_get(c) == 0);
    promc_counter_free(c);
    assert_int_equal(promc_set_allocator(malloc, NULL, NULL), PROMC_EINVAL);
    expect_error(PROMC_EINVAL, "all three");
}

/* ------------------------------------------------------------------ */
/* The last error describes the most recent call                       */
/* ------------------------------------------------------------------ */

static void last_error_is_cleared_by_the_next_success(void **state)
{
    (void)state;
    promc_registry *reg = promc_registry_new();
    promc_counter *a = promc_counter_new(PROMC_NO_REGISTRY, "a", "A.", NULL);
    promc_counter *dup = promc_counter_new(PROMC_NO_REGISTRY, "a", "A.", NULL);
    assert_int_equal(promc_registry_register(reg, promc_counter_metric(a)), PROMC_OK);
    assert_int_equal(promc_registry_register(reg, promc_counter_metric(dup)), PROMC_EEXIST);
    expect_error(PROMC_EEXIST, NULL);
    promc_gauge *b = promc_gauge_new(PROMC_NO_REGISTRY, "b", "B.", NULL);
    assert_int_equal(promc_registry_register(reg, promc_gauge_metric(b)), PROMC_OK);
    expect_ok();
    promc_gauge_free(b);
    promc_counter_free(a);
    promc_counter_free(dup);
    promc_registry_free(reg);
}

int main(void)
{
    test_pin_clock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(child_freed_as_a_metric_is_refused),
        cmocka_unit_test(double_free_seen_by_the_counts_is_reported),
        cmocka_unit_test(vec_without_label_names_is_refused),
        cmocka_unit_test(hot_path_calls_on_null_are_no_ops),
        cmocka_unit_test(no_registry_is_refused_everywhere_but_constructors),
        cmocka_unit_test(default_registry_is_not_freed_by_registry_free),
        cmocka_unit_test(collector_creating_and_scraping_never_hangs),
        cmocka_unit_test(collector_unregistering_and_freeing_itself_is_safe),
        cmocka_unit_test(writer_changing_the_family_being_written_gets_estate),
        cmocka_unit_test(collector_clash_fails_the_scrape),
        cmocka_unit_test(collector_series_twice_is_refused),
        cmocka_unit_test(reserved_library_names_are_refused),
        cmocka_unit_test(child_used_after_remove_keeps_working_unexported),
        cmocka_unit_test(removing_a_child_another_thread_increments_is_safe),
        cmocka_unit_test(lookup_cache_survives_a_generation_jump_of_2_pow_32),
        cmocka_unit_test(null_strings_are_refused),
        cmocka_unit_test(wrong_label_counts_and_bad_utf8_are_refused),
        cmocka_unit_test(utf8_names_without_the_option_are_refused),
        cmocka_unit_test(registering_twice_and_clashing_names_are_refused),
        cmocka_unit_test(bad_options_are_refused_not_ignored),
        cmocka_unit_test(last_error_is_cleared_by_the_next_success),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
