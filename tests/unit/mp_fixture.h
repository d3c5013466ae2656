/*
 * What the multi-process tests (test_multiprocess.c, test_mp_mode.c) share:
 * a temporary directory for the files, the layout the tests write, promc's
 * aggregate of a directory (as text, or one sample), the comparison with
 * client_python's MultiProcessCollector reading the same directory, and
 * checks for forked workers. Include after helpers.h.
 *
 * The layout: PROMC_TEST_MP_LAYOUT=value or =timestamped in the
 * environment (check-unit runs both programs in each), else the layout of
 * the client_python that /usr/bin/python3 imports (Debian 12's 0.16:
 * value; with PYTHONPATH at a checkout of client_python 0.18 or later:
 * timestamped). client_python's reader is compared only when it reads the
 * layout written.
 */
#ifndef PROMC_TEST_MP_FIXTURE_H
#define PROMC_TEST_MP_FIXTURE_H

#include <dirent.h>
#include <math.h>
#include <sys/wait.h>
#include <unistd.h>

#define PY        "/usr/bin/python3"
#define PY_HELPER "tests/unit/mp_client_python.py"

static char *make_dir(void)
{
    char *d = strdup("/tmp/promc_mp_XXXXXX");
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    return d;
}

static void remove_dir(char *d)
{
    DIR *dd = opendir(d);
    if (dd) {
        struct dirent *de;
        char path[512];
        while ((de = readdir(dd)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                snprintf(path, sizeof path, "%s/%s", d, de->d_name);
                unlink(path);
            }
        closedir(dd);
    }
    rmdir(d);
    free(d);
}

static bool have_client_python(void)
{
    static int have = -1;
    if (have < 0)
        have = system(PY " -c 'import prometheus_client.multiprocess' 2>/dev/null") == 0;
    return have;
}

/* The layout of the client_python installed (0.18 and later write a
 * timestamp after each value); VALUE without one. */
static promc_mp_layout python_layout(void)
{
    static int layout = -1;
    if (layout < 0)
        layout = have_client_python() &&
                         system(PY " -c 'import sys, prometheus_client.mmap_dict as m; "
                                   "sys.exit(0 if hasattr(m, \"_pack_two_doubles\") else 1)' "
                                   "2>/dev/null") == 0
                     ? PROMC_MP_LAYOUT_TIMESTAMPED
                     : PROMC_MP_LAYOUT_VALUE;
    return (promc_mp_layout)layout;
}

/* The layout the tests write (see the top of this file). */
static promc_mp_layout test_layout(void)
{
    const char *e = getenv("PROMC_TEST_MP_LAYOUT");
    if (e && strcmp(e, "timestamped") == 0)
        return PROMC_MP_LAYOUT_TIMESTAMPED;
    if (e && strcmp(e, "value") == 0)
        return PROMC_MP_LAYOUT_VALUE;
    return python_layout();
}

/* Whether the mostrecent gauge modes are written (they need timestamps). */
static inline bool test_recent(void)
{
    return test_layout() == PROMC_MP_LAYOUT_TIMESTAMPED;
}

/* client_python is installed and reads the layout the tests write. */
static inline bool python_reads(void)
{
    return have_client_python() && python_layout() == test_layout();
}

/* promc_multiprocess_init in the tests' layout. */
static int mp_init(const char *dir, const char *id)
{
    return promc_multiprocess_init_layout(dir, id, test_layout());
}

/* The aggregate of dir as text. */
static char *render(const char *dir)
{
    promc_registry *reg = promc_registry_new();
    assert_non_null(reg);
    promc_metric *m = promc_multiprocess_collector_new(reg, dir);
    assert_non_null(m);
    promc_metric_free(m); /* the registry keeps it */
    char *s = test_render(reg, PROMC_FORMAT_TEXT);
    promc_registry_free(reg);
    return s;
}

/* A sample of the aggregate of dir (NAN when absent). */
static double sample(const char *dir, const char *name, const promc_label *l, size_t n)
{
    promc_registry *reg = promc_registry_new();
    promc_metric *m = promc_multiprocess_collector_new(reg, dir);
    assert_non_null(m);
    promc_metric_free(m);
    double v = NAN;
    if (promc_registry_get_sample_value(reg, name, l, n, &v) != PROMC_OK)
        v = NAN;
    promc_registry_free(reg);
    return v;
}

/* client_python's MultiProcessCollector on dir, written in layout,
 * agrees with promc's aggregate (skipped without a client_python that
 * reads the layout). */
static void assert_python_agrees_in(const char *dir, promc_mp_layout layout)
{
    if (!have_client_python() || python_layout() != layout) {
        fprintf(stderr, "  (no client_python for this layout: comparison skipped)\n");
        return;
    }
    char *text = render(dir);
    char out[128];
    snprintf(out, sizeof out, "%s.prom", dir);
    FILE *f = fopen(out, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd, PY " " PY_HELPER " compare %s %s", dir, out);
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "promc's aggregate:\n%s", text);
    promc_free(text);
    unlink(out);
    assert_int_equal(rc, 0);
}

/* The same for a directory written in the tests' layout. */
static void assert_python_agrees(const char *dir)
{
    assert_python_agrees_in(dir, test_layout());
}

static void wait_ok(pid_t pid)
{
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

#define CHILD_CHECK(cond)                                                                          \
    do                                                                                             \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #cond, promc_last_error());     \
            _exit(1);                                                                              \
        }                                                                                          \
    while (0)

#endif
