/*
 * Pins the textfile writer: the file holds exactly the text exposition, no
 * temporary file is left behind, errors name the path, and a reader polling
 * the file while it is rewritten only ever sees a complete version.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "promc_http.h"

#include "helpers.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/promc-textfile-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
    rmdir(dir);
    return 0;
}

static int count_entries(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void test_writes_text_exposition(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_gauge *g = promc_gauge_new(r, "batch_last_success_seconds", "Last success.", NULL);
    promc_gauge_set(g, 1700000000);
    char path[512];
    snprintf(path, sizeof path, "%s/batch.prom", dir);
    assert_int_equal(promc_textfile_write(r, path), PROMC_OK);
    char *got = test_read_file(path);
    char *want = test_render(r, PROMC_FORMAT_TEXT);
    assert_string_equal(got, want);
    free(got);
    promc_free(want);
    /* Overwrite with a new value; still one file in the directory. */
    promc_gauge_set(g, 1700000001);
    assert_int_equal(promc_textfile_write(r, path), PROMC_OK);
    got = test_read_file(path);
    assert_non_null(strstr(got, "batch_last_success_seconds 1.700000001e+09\n"));
    free(got);
    assert_int_equal(count_entries(), 1);
    promc_gauge_free(g);
    promc_registry_free(r);
}

static void test_errors_name_the_path(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    assert_int_equal(promc_textfile_write(r, "/nonexistent-dir/x.prom"), PROMC_EIO);
    assert_non_null(strstr(promc_last_error(), "/nonexistent-dir/x.prom"));
    assert_int_equal(promc_textfile_write(r, NULL), PROMC_EINVAL);
    assert_int_equal(promc_textfile_write(r, ""), PROMC_EINVAL);
    /* The target is a directory: the rename fails and the temp file goes. */
    char path[512];
    snprintf(path, sizeof path, "%s/sub.prom", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(promc_textfile_write(r, path), PROMC_EIO);
    assert_int_equal(count_entries(), 1);
    rmdir(path);
    promc_registry_free(r);
}

static int failing_collector(promc_emitter *e, void *ud)
{
    (void)e;
    (void)ud;
    return -1;
}

static void test_failed_scrape_leaves_old_file(void **state)
{
    (void)state;
    promc_registry *r = promc_registry_new();
    promc_gauge *g = promc_gauge_new(r, "g", "G.", NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/keep.prom", dir);
    assert_int_equal(promc_textfile_write(r, path), PROMC_OK);
    promc_metric *bad = promc_collector_new(r, failing_collector, NULL, NULL, NULL);
    assert_int_equal(promc_textfile_write(r, path), PROMC_EIO);
    char *got = test_read_file(path);
    assert_string_equal(got, "# HELP g G.\n# TYPE g gauge\ng 0\n");
    free(got);
    assert_int_equal(count_entries(), 1);
    promc_metric_free(bad);
    promc_gauge_free(g);
    promc_registry_free(r);
}

struct reader {
    char path[512];
    atomic_int stop;
    int reads, bad;
};

static void *reader_main(void *arg)
{
    struct reader *rd = arg;
    while (!atomic_load(&rd->stop)) {
        char *s = test_read_file(rd->path);
        if (!s)
            continue;
        rd->reads++;
        /* Every version ends with the last family's sample line. */
        size_t n = strlen(s);
        if (n < 4 || strcmp(s + n - 4, " 42\n") != 0 || !strstr(s, "# HELP z Z.\n"))
            rd->bad++;
        free(s);
    }
    return NULL;
}

static void test_reader_never_sees_partial_file(void **state)
{
    (void)state;
    struct reader rd = {.reads = 0};
    snprintf(rd.path, sizeof rd.path, "%s/live.prom", dir);
    promc_registry *r = promc_registry_new();
    promc_gauge_vec *many = promc_gauge_vec_new(r, "many", "Many.", PROMC_LABELS("i"), NULL);
    promc_gauge *z = promc_gauge_new(r, "z", "Z.", NULL);
    promc_gauge_set(z, 42);
    assert_int_equal(promc_textfile_write(r, rd.path), PROMC_OK);
    pthread_t t;
    pthread_create(&t, NULL, reader_main, &rd);
    char id[32];
    for (int i = 0; i < 200; i++) {
        /* Growing file: a torn read would lack the trailing "z 42". */
        for (int k = 0; k < 20; k++) {
            snprintf(id, sizeof id, "%d-%d", i, k);
            promc_gauge_set(promc_gauge_vec_labels(many, id), i);
        }
        assert_int_equal(promc_textfile_write(r, rd.path), PROMC_OK);
    }
    atomic_store(&rd.stop, 1);
    pthread_join(t, NULL);
    print_message("reader saw %d complete versions\n", rd.reads);
    assert_true(rd.reads > 0);
    assert_int_equal(rd.bad, 0);
    assert_int_equal(count_entries(), 1);
    promc_gauge_vec_free(many);
    promc_gauge_free(z);
    promc_registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_writes_text_exposition, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_name_the_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_scrape_leaves_old_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_never_sees_partial_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
