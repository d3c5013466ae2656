/*
 * What the multi-process tests (test_multiprocess.c, test_mp_mode.c) share:
 * a temporary directory for the files, promc's aggregate of a directory
 * (as text, or one sample), the comparison with client_python's
 * MultiProcessCollector reading the same directory, and checks for forked
 * workers. Include after helpers.h.
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

/* client_python's MultiProcessCollector on dir agrees with promc's
 * aggregate (skipped without client_python). */
static void assert_python_agrees(const char *dir)
{
    if (!have_client_python()) {
        fprintf(stderr, "  (client_python not installed: comparison skipped)\n");
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
