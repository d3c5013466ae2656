/*
 * Pins the process collector: exact values from the procfs fixtures under
 * tests/data/proc (tricky comm, unlimited and malformed sources, truncated
 * files), plausible values for this very process, the default registry's
 * collector, duplicate detection, concurrent scrapes and out-of-memory paths.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

#include "failalloc.h"

#define FIXTURES "tests/data/proc/"

static double clk_tck(void)
{
    long v = sysconf(_SC_CLK_TCK);
    assert_true(v > 0);
    return (double)v;
}

static double page_size(void)
{
    long v = sysconf(_SC_PAGESIZE);
    assert_true(v > 0);
    return (double)v;
}

static bool has_sample(promc_registry *r, const char *name)
{
    double v;
    int rc = promc_registry_get_sample_value(r, name, NULL, 0, &v);
    assert_true(rc == PROMC_OK || rc == PROMC_ENOENT);
    return rc == PROMC_OK;
}

/* A registry holding only a process collector reading root. */
static promc_registry *fixture(const char *root, promc_metric **out)
{
    promc_registry *r = promc_registry_new();
    assert_non_null(r);
    promc_metric *m = promc_process_collector_new(r, root);
    if (!m)
        fail_msg("process collector for %s: %s", root ? root : "(null)", promc_last_error());
    if (out)
        *out = m;
    else
        promc_metric_free(m); /* the registry keeps it */
    return r;
}

/* ===================================================================== */
/* Fixtures                                                               */
/* ===================================================================== */

static void test_basic_values(void **state)
{
    (void)state;
    promc_registry *r = fixture(FIXTURES "basic", NULL);
    /* self/stat: utime 150, stime 37, starttime 987654, vsize 123456789,
     * rss 2048 pages; the comm "(my (weird) proc) 1 2 ... 22)" would give
     * other numbers to a parser stopping at the first ')'. */
    assert_true(test_value(r, "process_cpu_seconds_total", NULL, 0) == 187.0 / clk_tck());
    assert_true(test_value(r, "process_virtual_memory_bytes", NULL, 0) == 123456789.0);
    assert_true(test_value(r, "process_resident_memory_bytes", NULL, 0) == 2048.0 * page_size());
    /* stat: btime 1700000000, after an intr line longer than any buffer
     * that holds a decoy "btime 999" at the scanner's chunk boundary. */
    assert_true(test_value(r, "process_start_time_seconds", NULL, 0) ==
                1700000000.0 + 987654.0 / clk_tck());
    /* self/fd: 0 1 2 3; self/limits: open files 1024, address space 8 GiB. */
    assert_true(test_value(r, "process_open_fds", NULL, 0) == 4);
    assert_true(test_value(r, "process_max_fds", NULL, 0) == 1024);
    assert_true(test_value(r, "process_virtual_memory_max_bytes", NULL, 0) == 8589934592.0);
    /* The counter's only sample is _total. */
    assert_false(has_sample(r, "process_cpu_seconds"));
    promc_registry_free(r);
}

/* The whole exposition; it depends on CLK_TCK and the page size only, so it
 * is compared where they have the usual values 100 and 4096. */
static void test_basic_golden(void **state)
{
    (void)state;
    if (clk_tck() != 100 || page_size() != 4096)
        skip();
    promc_registry *r = fixture(FIXTURES "basic", NULL);
    char *text = test_render(r, PROMC_FORMAT_TEXT);
    test_golden("process_basic.txt", text);
    promc_free(text);
    char *om = test_render(r, PROMC_FORMAT_OPENMETRICS);
    test_golden("process_basic.om", om);
    promc_free(om);
    test_golden_protobuf(r, "process_basic.pb");
    promc_registry_free(r);
}

static void test_unlimited_address_space_is_left_out(void **state)
{
    (void)state;
    promc_registry *r = fixture(FIXTURES "unlimited", NULL);
    assert_false(has_sample(r, "process_virtual_memory_max_bytes"));
    assert_true(test_value(r, "process_cpu_seconds_total", NULL, 0) == 5.0 / clk_tck());
    assert_true(test_value(r, "process_open_fds", NULL, 0) == 3);
    assert_true(test_value(r, "process_max_fds", NULL, 0) == 65536);
    assert_true(test_value(r, "process_virtual_memory_bytes", NULL, 0) == 4096000.0);
    assert_true(test_value(r, "process_resident_memory_bytes", NULL, 0) == 100.0 * page_size());
    assert_true(test_value(r, "process_start_time_seconds", NULL, 0) ==
                1600000000.0 + 500.0 / clk_tck());
    char *text = test_render(r, PROMC_FORMAT_TEXT);
    assert_null(strstr(text, "process_virtual_memory_max_bytes"));
    promc_free(text);
    promc_registry_free(r);
}

static const char *const all_samples[] = {
    "process_cpu_seconds_total",
    "process_open_fds",
    "process_max_fds",
    "process_virtual_memory_bytes",
    "process_virtual_memory_max_bytes",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
};

static void expect_empty(promc_registry *r)
{
    for (size_t i = 0; i < sizeof all_samples / sizeof all_samples[0]; i++)
        if (has_sample(r, all_samples[i]))
            fail_msg("%s should be left out", all_samples[i]);
    char *text = test_render(r, PROMC_FORMAT_TEXT);
    assert_string_equal(text, "");
    promc_free(text);
    char *om = test_render(r, PROMC_FORMAT_OPENMETRICS);
    assert_string_equal(om, "# EOF\n");
    promc_free(om);
}

static void test_garbage_leaves_everything_out(void **state)
{
    (void)state;
    /* No ')' in self/stat, "lots" and "-5" as limits, "btime soon", no self/fd. */
    promc_registry *r = fixture(FIXTURES "garbage", NULL);
    expect_empty(r);
    promc_registry_free(r);
}

static void test_partial_sources(void **state)
{
    (void)state;
    /* utime "1x5" and rss "-3" are malformed, open files "unlimited" and
     * address space "1234x" unusable, self/fd missing. */
    promc_registry *r = fixture(FIXTURES "partial", NULL);
    assert_false(has_sample(r, "process_cpu_seconds_total"));
    assert_false(has_sample(r, "process_resident_memory_bytes"));
    assert_false(has_sample(r, "process_max_fds"));
    assert_false(has_sample(r, "process_virtual_memory_max_bytes"));
    assert_false(has_sample(r, "process_open_fds"));
    assert_true(test_value(r, "process_virtual_memory_bytes", NULL, 0) == 777777.0);
    assert_true(test_value(r, "process_start_time_seconds", NULL, 0) ==
                1650000000.0 + 4200.0 / clk_tck());
    promc_registry_free(r);
}

static void test_truncated_sources(void **state)
{
    (void)state;
    /* self/stat stops after cstime (no newline); no stat file; an overlong
     * "Max address space" line; the last limits line has no newline. */
    promc_registry *r = fixture(FIXTURES "truncated", NULL);
    assert_true(test_value(r, "process_cpu_seconds_total", NULL, 0) == 750.0 / clk_tck());
    assert_true(test_value(r, "process_open_fds", NULL, 0) == 1);
    assert_true(test_value(r, "process_max_fds", NULL, 0) == 64);
    assert_false(has_sample(r, "process_virtual_memory_bytes"));
    assert_false(has_sample(r, "process_virtual_memory_max_bytes"));
    assert_false(has_sample(r, "process_resident_memory_bytes"));
    assert_false(has_sample(r, "process_start_time_seconds"));
    promc_registry_free(r);
}

static void test_missing_root(void **state)
{
    (void)state;
    promc_registry *r = fixture(FIXTURES "does-not-exist", NULL);
    expect_empty(r);
    promc_registry_free(r);
    /* A regular file as the root. */
    r = fixture(FIXTURES "basic/stat", NULL);
    expect_empty(r);
    promc_registry_free(r);
}

/* ===================================================================== */
/* Generated fixtures: sizes around the buffers                          */
/* ===================================================================== */

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A self/stat whose comm is comm_len bytes of 'x', ')', ' ' and '\n'. */
static size_t make_stat(char *buf, size_t cap, size_t comm_len)
{
    size_t n = (size_t)snprintf(buf, cap, "1 (");
    for (size_t i = 0; i < comm_len; i++)
        buf[n++] = "x) \nx"[i % 5];
    int k = snprintf(buf + n, cap - n,
                     ") R 0 1 1 0 -1 0 0 0 0 0 300 100 0 0 20 0 1 0 42 65536 16 0 0 0\n");
    assert_true(k > 0 && (size_t)k < cap - n);
    return n + (size_t)k;
}

static void test_long_and_huge_stat(void **state)
{
    (void)state;
    char dir[] = "/tmp/promc_proc_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char self[64], stat[96];
    snprintf(self, sizeof self, "%s/self", dir);
    snprintf(stat, sizeof stat, "%s/self/stat", dir);
    assert_int_equal(mkdir(self, 0700), 0);
    size_t cap = 200000;
    char *buf = malloc(cap);
    assert_non_null(buf);

    /* A 3000-byte comm full of ") \n" still parses. */
    write_file(stat, buf, make_stat(buf, cap, 3000));
    promc_registry *r = fixture(dir, NULL);
    assert_true(test_value(r, "process_cpu_seconds_total", NULL, 0) == 400.0 / clk_tck());
    assert_true(test_value(r, "process_virtual_memory_bytes", NULL, 0) == 65536.0);
    assert_true(test_value(r, "process_resident_memory_bytes", NULL, 0) == 16.0 * page_size());

    /* A self/stat too big for the bounded buffer is left out, not misread. */
    write_file(stat, buf, make_stat(buf, cap, 150000));
    expect_empty(r);

    /* Without the comm's parentheses it is malformed. */
    write_file(stat, "1 x R 0 1 1", 11);
    expect_empty(r);
    /* An empty file. */
    write_file(stat, "", 0);
    expect_empty(r);
    /* A stat line whose fields run together. */
    write_file(stat, "1 (a)R 0", 8);
    expect_empty(r);

    promc_registry_free(r);
    free(buf);
    assert_int_equal(unlink(stat), 0);
    assert_int_equal(rmdir(self), 0);
    assert_int_equal(rmdir(dir), 0);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    assert_null(promc_process_collector_new(PROMC_NO_REGISTRY, ""));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    char *long_root = malloc(5000);
    assert_non_null(long_root);
    memset(long_root, 'a', 4999);
    long_root[4999] = '\0';
    assert_null(promc_process_collector_new(PROMC_NO_REGISTRY, long_root));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_non_null(strstr(promc_last_error(), "too long"));
    free(long_root);
    /* Outside any registry: creates and frees cleanly. */
    promc_metric *m = promc_process_collector_new(PROMC_NO_REGISTRY, NULL);
    assert_non_null(m);
    assert_int_equal(promc_last_error_code(), PROMC_OK);
    promc_metric_free(m);
}

/* ===================================================================== */
/* This process                                                           */
/* ===================================================================== */

static void test_live_values(void **state)
{
    (void)state;
    promc_registry *r = fixture(NULL, NULL);

    double fds = test_value(r, "process_open_fds", NULL, 0);
    assert_true(fds >= 3);
    /* Five more descriptors show up exactly. */
    int extra[5];
    for (int i = 0; i < 5; i++)
        assert_true((extra[i] = dup(2)) >= 0);
    assert_true(test_value(r, "process_open_fds", NULL, 0) == fds + 5);
    for (int i = 0; i < 5; i++)
        close(extra[i]);

    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    double max_fds = test_value(r, "process_max_fds", NULL, 0);
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload"))
        /* valgrind's getrlimit hides the descriptors it keeps for itself. */
        assert_true(max_fds > (double)rl.rlim_cur && max_fds <= (double)rl.rlim_cur + 64);
    else
        assert_true(max_fds == (double)rl.rlim_cur);
    assert_int_equal(getrlimit(RLIMIT_AS, &rl), 0);
    if (rl.rlim_cur == RLIM_INFINITY)
        assert_false(has_sample(r, "process_virtual_memory_max_bytes"));
    else
        assert_true(test_value(r, "process_virtual_memory_max_bytes", NULL, 0) ==
                    (double)rl.rlim_cur);

    assert_true(test_value(r, "process_resident_memory_bytes", NULL, 0) > 0);
    assert_true(test_value(r, "process_virtual_memory_bytes", NULL, 0) >=
                test_value(r, "process_resident_memory_bytes", NULL, 0));

    double now = (double)time(NULL);
    double start = test_value(r, "process_start_time_seconds", NULL, 0);
    assert_true(start > now - 3600);
    assert_true(start < now + 5);

    double cpu = test_value(r, "process_cpu_seconds_total", NULL, 0);
    assert_true(cpu >= 0);
    /* Burn some CPU: the counter does not go down. */
    volatile double x = 0;
    for (long i = 0; i < 20000000; i++)
        x += (double)i;
    assert_true(x > 0);
    assert_true(test_value(r, "process_cpu_seconds_total", NULL, 0) >= cpu);
    promc_registry_free(r);
}

/* ===================================================================== */
/* Registries                                                             */
/* ===================================================================== */

static void test_default_registry_has_one(void **state)
{
    (void)state;
    promc_metric *m = promc_default_process_collector();
    assert_non_null(m);
    assert_ptr_equal(m, promc_default_process_collector());
    assert_true(has_sample(NULL, "process_cpu_seconds_total"));
    assert_true(has_sample(NULL, "process_open_fds"));

    /* A second one in the same registry is refused. */
    assert_null(promc_process_collector_new(NULL, NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EEXIST);

    assert_int_equal(promc_registry_unregister(NULL, m), PROMC_OK);
    assert_false(has_sample(NULL, "process_cpu_seconds_total"));
    char *text = test_render(NULL, PROMC_FORMAT_TEXT);
    assert_null(strstr(text, "process_"));
    promc_free(text);

    /* The pointer outlives unregistering and clearing: it registers again. */
    assert_int_equal(promc_registry_register(NULL, m), PROMC_OK);
    assert_true(has_sample(NULL, "process_cpu_seconds_total"));
    promc_registry_clear(NULL);
    assert_false(has_sample(NULL, "process_cpu_seconds_total"));
    assert_ptr_equal(m, promc_default_process_collector());
    assert_int_equal(promc_registry_register(NULL, m), PROMC_OK);
    assert_true(has_sample(NULL, "process_cpu_seconds_total"));
}

static void test_names_are_claimed(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    /* Each of these would emit a name the collector emits. */
    promc_gauge *g = promc_gauge_new(r, "process_max_fds", "G.", NULL);
    assert_non_null(g);
    assert_null(promc_process_collector_new(r, FIXTURES "basic"));
    assert_int_equal(promc_last_error_code(), PROMC_EEXIST);
    assert_non_null(strstr(promc_last_error(), "process_max_fds"));
    assert_int_equal(promc_registry_unregister(r, promc_gauge_metric(g)), PROMC_OK);
    promc_gauge_free(g);

    promc_metric *m = promc_process_collector_new(r, FIXTURES "basic");
    assert_non_null(m);
    const char *clash[] = {"process_cpu_seconds", "process_cpu_seconds_total", "process_open_fds",
                           "process_start_time_seconds"};
    for (size_t i = 0; i < sizeof clash / sizeof clash[0]; i++) {
        assert_null(promc_gauge_new(r, clash[i], "G.", NULL));
        assert_int_equal(promc_last_error_code(), PROMC_EEXIST);
    }
    assert_null(promc_counter_new(r, "process_cpu_seconds", "C.", NULL));
    assert_int_equal(promc_last_error_code(), PROMC_EEXIST);

    /* The same collector in a second registry scrapes the same. */
    promc_registry *r2 = promc_registry_new();
    assert_int_equal(promc_registry_register(r2, m), PROMC_OK);
    assert_true(test_value(r2, "process_open_fds", NULL, 0) == 4);
    promc_metric_free(m);
    promc_registry_free(r);
    assert_true(test_value(r2, "process_open_fds", NULL, 0) == 4);
    promc_registry_free(r2);
}

/* ===================================================================== */
/* Concurrency and out of memory                                          */
/* ===================================================================== */

struct scrape_job {
    promc_registry *reg;
    const char *want;
    int bad;
};

static void *scrape_loop(void *arg)
{
    struct scrape_job *j = arg;
    for (int i = 0; i < 200; i++) {
        char *s = promc_encode_buffer(j->reg, PROMC_FORMAT_TEXT, NULL);
        if (!s || strcmp(s, j->want) != 0)
            j->bad++;
        promc_free(s);
    }
    return NULL;
}

static void test_concurrent_scrapes(void **state)
{
    (void)state;
    promc_registry *r = fixture(FIXTURES "basic", NULL);
    char *want = test_render(r, PROMC_FORMAT_TEXT);
    enum { N = 8 };
    pthread_t t[N];
    struct scrape_job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (struct scrape_job){r, want, 0};
        assert_int_equal(pthread_create(&t[i], NULL, scrape_loop, &jobs[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(jobs[i].bad, 0);
    }
    promc_free(want);
    promc_registry_free(r);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    /* Construction and registration fail cleanly at every allocation. */
    promc_metric *m = NULL;
    long n = 1, failures = 0;
    for (;; n++) {
        promc_registry *fresh = promc_registry_new();
        assert_non_null(fresh);
        arm(n);
        m = promc_process_collector_new(fresh, FIXTURES "basic");
        disarm();
        if (m) {
            promc_metric_free(m);
            promc_registry_free(fresh);
            break;
        }
        assert_true(alloc_injected);
        assert_int_equal(promc_last_error_code(), PROMC_ENOMEM);
        failures++;
        promc_registry_free(fresh);
    }
    assert_true(failures > 3); /* data, root copy, collector, registration... */

    /* A scrape fails (or succeeds unchanged) at every allocation. */
    promc_registry *r = promc_registry_new();
    m = promc_process_collector_new(r, FIXTURES "basic");
    assert_non_null(m);
    char *want = test_render(r, PROMC_FORMAT_TEXT);
    for (n = 1;; n++) {
        arm(n);
        char *got = promc_encode_buffer(r, PROMC_FORMAT_TEXT, NULL);
        disarm();
        if (got) {
            assert_string_equal(got, want);
            promc_free(got);
            break;
        }
    }
    assert_true(n > 1);
    promc_free(want);
    promc_metric_free(m);
    promc_registry_free(r);
}

int main(void)
{
    /* Before any other promc call, as promc_set_allocator requires. */
    if (failalloc_install() != PROMC_OK)
        return 1;
    test_pin_clock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_values),
        cmocka_unit_test(test_basic_golden),
        cmocka_unit_test(test_unlimited_address_space_is_left_out),
        cmocka_unit_test(test_garbage_leaves_everything_out),
        cmocka_unit_test(test_partial_sources),
        cmocka_unit_test(test_truncated_sources),
        cmocka_unit_test(test_missing_root),
        cmocka_unit_test(test_long_and_huge_stat),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_live_values),
        cmocka_unit_test(test_default_registry_has_one),
        cmocka_unit_test(test_names_are_claimed),
        cmocka_unit_test(test_concurrent_scrapes),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
