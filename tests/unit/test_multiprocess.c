/*
 * Multi-process mode: forked workers writing one directory, the aggregate a
 * collector serves, crash safety under SIGKILL, gauge modes, restarts,
 * compaction, bad files and a full disk -- and, wherever client_python is
 * installed (Debian's python3-prometheus-client), the same directory read
 * by its MultiProcessCollector, which must agree sample for sample.
 */
#define _DEFAULT_SOURCE /* mkdtemp, usleep */
#include "helpers.h"
#include "mp_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp_key.h"

static const char *const modes[] = {"all",        "liveall",       "min", "livemin",
                                    "max",        "livemax",       "sum", "livesum",
                                    "mostrecent", "livemostrecent"};

/* The gauge modes the tests' layout has (mp_fixture.h). */
static int nmodes(void)
{
    return test_recent() ? 10 : 8;
}

/* The metric set the Python writer writes too (mp_client_python.py). */
static void write_shared_set(int i)
{
    promc_mp_counter *a =
        promc_mp_counter_new("jobs", "Jobs done.", &(promc_label){"kind", "a"}, 1);
    promc_mp_counter *b =
        promc_mp_counter_new("jobs_total", "Jobs done.", &(promc_label){"kind", "b"}, 1);
    CHILD_CHECK(a && b);
    CHILD_CHECK(promc_mp_counter_add(a, 3) == PROMC_OK);
    CHILD_CHECK(promc_mp_counter_add(b, 1.5) == PROMC_OK);
    for (int m = 0; m < nmodes(); m++) {
        char name[32];
        snprintf(name, sizeof name, "temp_%s", modes[m]);
        promc_mp_gauge *g = promc_mp_gauge_new(name, "Temperature.", (promc_mp_mode)m, NULL, 0);
        CHILD_CHECK(g);
        promc_mp_gauge_set(g, 10 * (i + 1));
    }
    const double bounds[] = {0.005, 0.1, 1, 2.5};
    promc_mp_histogram *h = promc_mp_histogram_new("latency_seconds", "Latency.", bounds, 4,
                                                   &(promc_label){"path", "/x"}, 1);
    CHILD_CHECK(h);
    promc_mp_histogram_observe(h, 0.003);
    promc_mp_histogram_observe(h, 0.5);
    promc_mp_histogram_observe(h, 7);
    promc_mp_summary *s = promc_mp_summary_new("size_bytes", "Sizes.", NULL, 0);
    CHILD_CHECK(s);
    promc_mp_summary_observe(s, 12);
}

static pid_t c_writer(const char *dir, const char *id, int i)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        CHILD_CHECK(mp_init(dir, id) == PROMC_OK);
        write_shared_set(i);
        _exit(0);
    }
    return pid;
}

static void python_writers(const char *dir, int n)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, PY " " PY_HELPER " write %s %d", dir, n);
    assert_int_equal(system(cmd), 0);
}

/* ------------------------------------------------------------------ */
/* Format                                                               */
/* ------------------------------------------------------------------ */

/* The keys and le texts are byte for byte client_python's. */
static void test_keys_match_client_python(void **state)
{
    (void)state;
    if (!have_client_python())
        skip();
    FILE *p = popen(PY " " PY_HELPER " keys", "r");
    assert_non_null(p);
    char line[1024];
    struct promc__buf b = {0};

    promc_label l1[] = {{"at", "b"}, {"kind", "a"}};
    promc__mp_key(&b, "jobs", "jobs_total", l1, 2, "Jobs done.");
    assert_non_null(fgets(line, sizeof line, p));
    line[strcspn(line, "\n")] = '\0';
    assert_string_equal(b.p, line);

    promc__buf_reset(&b);
    promc_label l2[] = {{"z", "caf\xc3\xa9 \"x\"\\\n\t\xe2\x82\xac\xf0\x9f\x98\x80\x01\x7f"}};
    promc__mp_key(&b, "q", "q", l2, 1, "Help with \"quotes\" and \xc3\xbc.");
    assert_non_null(fgets(line, sizeof line, p));
    line[strcspn(line, "\n")] = '\0';
    assert_string_equal(b.p, line);

    /* And it parses back to what was written. */
    struct promc__mp_parsed k;
    bool oom;
    assert_true(promc__mp_parse_key(b.p, b.len, &k, &oom));
    assert_string_equal(k.labels[0].value, l2[0].value);
    assert_string_equal(k.help, "Help with \"quotes\" and \xc3\xbc.");
    promc__free(k.block);

    promc__buf_reset(&b);
    promc_label l3[] = {{"le", "0.5"}, {"path", "/x"}};
    promc__mp_key(&b, "h", "h_bucket", l3, 2, "");
    assert_non_null(fgets(line, sizeof line, p));
    line[strcspn(line, "\n")] = '\0';
    assert_string_equal(b.p, line);

    const double bounds[] = {
        0.005, 0.1,       1,        2.5,      10,  1e-05, 123456789.0, 1e16,
        1e22,  1234567.0, 0.25e-10, INFINITY, 100, 1e6,   5e-324,      1.7976931348623157e308};
    for (size_t i = 0; i < sizeof bounds / sizeof *bounds; i++) {
        char text[40];
        promc__mp_float_text(bounds[i], text);
        assert_non_null(fgets(line, sizeof line, p));
        line[strcspn(line, "\n")] = '\0';
        assert_string_equal(text, line);
    }
    promc__free(b.p);
    assert_int_equal(pclose(p), 0);
}

/* Keys that are not client_python's shape are refused by the parser. */
static void test_bad_keys_refused(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "[]",
                         "[\"a\", \"b\", {}, \"h\"",
                         "[\"a\", \"b\", {}, \"h\"] x",
                         "[\"a\", \"b\", [], \"h\"]",
                         "[\"a\", \"b\", {\"x\": 1}, \"h\"]",
                         "[\"a\", \"b\", {}, \"\\ud800\"]",
                         "[\"a\", \"b\", {}, \"\\u0000\"]",
                         "[\"a\", \"b\", {}, \"h\", 1]",
                         "{\"a\": \"b\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct promc__mp_parsed k;
        bool oom;
        assert_false(promc__mp_parse_key(bad[i], strlen(bad[i]), &k, &oom));
        assert_false(oom);
    }
}

/* ------------------------------------------------------------------ */
/* Both directions against client_python                                */
/* ------------------------------------------------------------------ */

static void check_shared_totals(const char *dir, int writers)
{
    assert_true(sample(dir, "jobs_total", &(promc_label){"kind", "a"}, 1) == 3.0 * writers);
    assert_true(sample(dir, "jobs_total", &(promc_label){"kind", "b"}, 1) == 1.5 * writers);
    assert_true(sample(dir, "latency_seconds_count", &(promc_label){"path", "/x"}, 1) ==
                3.0 * writers);
    assert_true(sample(dir, "latency_seconds_bucket",
                       (promc_label[]){{"path", "/x"}, {"le", "0.1"}}, 2) == 1.0 * writers);
    assert_true(sample(dir, "size_bytes_sum", NULL, 0) == 12.0 * writers);
    assert_true(sample(dir, "temp_max", NULL, 0) == 10.0 * writers);
    assert_true(sample(dir, "temp_min", NULL, 0) == 10.0);
}

static void test_c_writes_python_reads(void **state)
{
    (void)state;
    char *dir = make_dir();
    pid_t p[3];
    for (int i = 0; i < 3; i++)
        p[i] = c_writer(dir, NULL, i);
    for (int i = 0; i < 3; i++)
        wait_ok(p[i]);
    check_shared_totals(dir, 3);
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)p[1]);
    assert_true(sample(dir, "temp_all", &(promc_label){"pid", pid}, 1) == 20.0);
    assert_python_agrees(dir);
    remove_dir(dir);
}

static void test_python_writes_c_reads(void **state)
{
    (void)state;
    if (!python_reads())
        skip();
    char *dir = make_dir();
    python_writers(dir, 3);
    check_shared_totals(dir, 3);
    assert_python_agrees(dir);
    remove_dir(dir);
}

static void test_mixed_directory(void **state)
{
    (void)state;
    if (!python_reads())
        skip();
    char *dir = make_dir();
    python_writers(dir, 2);
    pid_t p = c_writer(dir, NULL, 2);
    wait_ok(p);
    check_shared_totals(dir, 3);
    assert_python_agrees(dir);
    remove_dir(dir);
}

/* ------------------------------------------------------------------ */
/* Crash safety                                                         */
/* ------------------------------------------------------------------ */

#define WORKERS 6
#define M       20000

struct progress {
    _Atomic long attempt, done;
};

static void crash_worker(const char *dir, int w, struct progress *pr, int pipefd)
{
    CHILD_CHECK(mp_init(dir, NULL) == PROMC_OK);
    promc_mp_counter *c = promc_mp_counter_new("work", "Work.", NULL, 0);
    const double bounds[] = {0.1, 1};
    promc_mp_histogram *h =
        promc_mp_histogram_new("work_seconds", "Work time.", bounds, 2, NULL, 0);
    CHILD_CHECK(c && h);
    long limit = w == WORKERS - 1 ? 100L * M : (w == WORKERS - 2 ? M / 2 : M);
    for (long i = 0; i < limit; i++) {
        atomic_store(&pr[w].attempt, i + 1);
        promc_mp_counter_inc(c);
        promc_mp_histogram_observe(h, (double)(i % 3) * 0.5);
        atomic_store(&pr[w].done, i + 1);
        if (w == WORKERS - 1 && i % 8 == 0) {
            /* New series all the time: a kill may land in an append or a
             * growth of the file. */
            char v[24];
            snprintf(v, sizeof v, "%ld", i);
            promc_mp_gauge *g =
                promc_mp_gauge_new("series", "S.", PROMC_MP_SUM, &(promc_label){"n", v}, 1);
            CHILD_CHECK(g);
            promc_mp_gauge_set(g, 1);
        }
    }
    if (w == WORKERS - 2) {
        long n = limit;
        CHILD_CHECK(write(pipefd, &n, sizeof n) == sizeof n);
        for (;;)
            pause();
    }
    _exit(0);
}

static void test_sigkill_halfway(void **state)
{
    (void)state;
    char *dir = make_dir();
    struct progress *pr =
        mmap(NULL, sizeof *pr * WORKERS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(pr != MAP_FAILED);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pids[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0)
            crash_worker(dir, w, pr, fds[1]);
    }
    /* The worker that stops halfway says how far it got, then is killed. */
    long n = 0;
    assert_int_equal(read(fds[0], &n, sizeof n), (ssize_t)sizeof n);
    assert_int_equal(n, M / 2);
    kill(pids[WORKERS - 2], SIGKILL);
    /* The last one is killed while it runs, wherever it is. */
    while (atomic_load(&pr[WORKERS - 1].done) < 30000)
        usleep(1000);
    kill(pids[WORKERS - 1], SIGKILL);
    for (int w = 0; w < WORKERS; w++) {
        int st;
        assert_int_equal(waitpid(pids[w], &st, 0), pids[w]);
        if (w < WORKERS - 2)
            assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        else
            assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    }
    long done = 0, attempted = 0;
    for (int w = 0; w < WORKERS; w++) {
        done += atomic_load(&pr[w].done);
        attempted += atomic_load(&pr[w].attempt);
    }
    assert_true(attempted - done <= 1);
    double total = sample(dir, "work_total", NULL, 0);
    double count = sample(dir, "work_seconds_count", NULL, 0);
    /* Exactly what was done: an increment in flight either landed or not. */
    assert_true(total >= (double)done && total <= (double)attempted);
    assert_true(count >= (double)done - 1 && count <= (double)attempted);
    assert_true(total == (double)(4L * M + M / 2 + atomic_load(&pr[WORKERS - 1].done)) ||
                total == (double)(4L * M + M / 2 + atomic_load(&pr[WORKERS - 1].attempt)));
    /* No file was refused, and client_python reads them all alike. */
    char *text = render(dir);
    assert_null(strstr(text, "promc_multiprocess_refused_files"));
    promc_free(text);
    assert_python_agrees(dir);
    munmap(pr, sizeof *pr * WORKERS);
    close(fds[0]);
    close(fds[1]);
    remove_dir(dir);
}

/* Scrapes while a writer appends entries and grows its files: no file is
 * ever refused as truncated, and counts never go down. */
static void test_scrape_while_growing(void **state)
{
    (void)state;
    char *dir = make_dir();
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        CHILD_CHECK(mp_init(dir, "grower") == PROMC_OK);
        promc_mp_counter *total = promc_mp_counter_new("made", "Made.", NULL, 0);
        CHILD_CHECK(total);
        CHILD_CHECK(write(ready[1], "x", 1) == 1);
        for (long i = 0; i < 40000; i++) {
            char v[24];
            snprintf(v, sizeof v, "%ld", i);
            promc_mp_counter *c = promc_mp_counter_new("grown", "G.", &(promc_label){"n", v}, 1);
            CHILD_CHECK(c);
            promc_mp_counter_inc(c);
            promc_mp_counter_inc(total);
        }
        _exit(0);
    }
    char x;
    assert_int_equal(read(ready[0], &x, 1), 1);
    double last = 0;
    int scrapes = 0;
    for (;;) {
        int st;
        bool over = waitpid(p, &st, WNOHANG) == p;
        char *text = render(dir);
        assert_null(strstr(text, "refused"));
        promc_free(text);
        double made = sample(dir, "made_total", NULL, 0);
        assert_true(made >= last);
        last = made;
        scrapes++;
        if (over) {
            assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
            break;
        }
    }
    assert_true(last == 40000);
    assert_true(scrapes > 1);
    close(ready[0]);
    close(ready[1]);
    remove_dir(dir);
}

/* ------------------------------------------------------------------ */
/* fork() after creation, threads                                       */
/* ------------------------------------------------------------------ */

#define THREADS 4
#define PER     20000

static void *inc_thread(void *arg)
{
    for (int i = 0; i < PER; i++)
        promc_mp_counter_inc(arg);
    return NULL;
}

static void test_fork_after_create_and_threads(void **state)
{
    (void)state;
    char *dir = make_dir();
    pid_t parent = fork();
    assert_true(parent >= 0);
    if (parent == 0) {
        CHILD_CHECK(mp_init(dir, NULL) == PROMC_OK);
        promc_mp_counter *c = promc_mp_counter_new("forked", "F.", NULL, 0);
        promc_mp_gauge *g = promc_mp_gauge_new("g", "G.", PROMC_MP_ALL, NULL, 0);
        CHILD_CHECK(c && g);
        promc_mp_counter_add(c, 3);
        promc_mp_gauge_set(g, 7);
        pid_t kids[2];
        for (int k = 0; k < 2; k++) {
            kids[k] = fork();
            CHILD_CHECK(kids[k] >= 0);
            if (kids[k] == 0) {
                /* The parent's handles, the child's own files. */
                pthread_t t[THREADS];
                for (int i = 0; i < THREADS; i++)
                    CHILD_CHECK(pthread_create(&t[i], NULL, inc_thread, c) == 0);
                for (int i = 0; i < THREADS; i++)
                    pthread_join(t[i], NULL);
                promc_mp_gauge_set(g, 100 + k);
                /* A series created in the child goes to the child's file. */
                promc_mp_counter *own = promc_mp_counter_new("own", "O.", NULL, 0);
                CHILD_CHECK(own);
                promc_mp_counter_inc(own);
                CHILD_CHECK(promc_multiprocess_fork_failures() == 0);
                _exit(0);
            }
        }
        for (int k = 0; k < 2; k++) {
            int st;
            CHILD_CHECK(waitpid(kids[k], &st, 0) == kids[k] && WIFEXITED(st) &&
                        WEXITSTATUS(st) == 0);
        }
        promc_mp_counter_inc(c);
        /* Each file holds only its own process's counts. */
        promc_multiprocess_shutdown();
        _exit(0);
    }
    wait_ok(parent);
    assert_true(sample(dir, "forked_total", NULL, 0) == 4.0 + 2.0 * THREADS * PER);
    assert_true(sample(dir, "own_total", NULL, 0) == 2.0);
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)parent);
    assert_true(sample(dir, "g", &(promc_label){"pid", pid}, 1) == 7.0);
    assert_python_agrees(dir);
    remove_dir(dir);
}

/* ------------------------------------------------------------------ */
/* Gauge modes, restarts, compaction                                    */
/* ------------------------------------------------------------------ */

static void gauge_writer(const char *dir, const char *id, double v)
{
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        CHILD_CHECK(mp_init(dir, id) == PROMC_OK);
        for (int m = 0; m < nmodes(); m++) {
            char name[32];
            snprintf(name, sizeof name, "g_%s", modes[m]);
            promc_mp_gauge *g =
                promc_mp_gauge_new(name, "G.", (promc_mp_mode)m, &(promc_label){"x", "1"}, 1);
            CHILD_CHECK(g);
            promc_mp_gauge_set(g, v);
        }
        promc_mp_counter *c = promc_mp_counter_new("restarts", "R.", NULL, 0);
        CHILD_CHECK(c);
        promc_mp_counter_add(c, v);
        _exit(0);
    }
    wait_ok(p);
}

static double g(const char *dir, const char *mode, const char *pid)
{
    char name[32];
    snprintf(name, sizeof name, "g_%s", mode);
    promc_label l[] = {{"x", "1"}, {"pid", pid}};
    return sample(dir, name, l, pid ? 2 : 1);
}

static void test_gauge_modes_and_mark_dead(void **state)
{
    (void)state;
    char *dir = make_dir();
    gauge_writer(dir, "w1", 1);
    gauge_writer(dir, "w2", 5);
    gauge_writer(dir, "w3", 3);
    assert_true(g(dir, "min", NULL) == 1 && g(dir, "livemin", NULL) == 1);
    assert_true(g(dir, "max", NULL) == 5 && g(dir, "livemax", NULL) == 5);
    assert_true(g(dir, "sum", NULL) == 9 && g(dir, "livesum", NULL) == 9);
    assert_true(g(dir, "all", "w2") == 5 && g(dir, "liveall", "w2") == 5);
    if (test_recent()) /* w3 set last */
        assert_true(g(dir, "mostrecent", NULL) == 3 && g(dir, "livemostrecent", NULL) == 3);
    assert_python_agrees(dir);
    char *before = render(dir);

    assert_int_equal(promc_multiprocess_mark_process_dead(dir, "w2"), PROMC_OK);
    assert_true(g(dir, "min", NULL) == 1 && g(dir, "livemin", NULL) == 1);
    assert_true(g(dir, "max", NULL) == 5 && g(dir, "livemax", NULL) == 3);
    assert_true(g(dir, "sum", NULL) == 9 && g(dir, "livesum", NULL) == 4);
    /* A dead process's all-mode gauges go too (client_python keeps them). */
    assert_true(isnan(g(dir, "all", "w2")) && isnan(g(dir, "liveall", "w2")));
    assert_true(g(dir, "all", "w1") == 1 && g(dir, "liveall", "w3") == 3);
    assert_true(sample(dir, "restarts_total", NULL, 0) == 9);
    if (test_recent())
        assert_true(g(dir, "mostrecent", NULL) == 3 && g(dir, "livemostrecent", NULL) == 3);
    assert_python_agrees(dir);

    /* Compaction: w2's files are gone, folded into *_compacted.db. */
    assert_int_equal(access("/nonexistent", F_OK), -1);
    char path[256];
    snprintf(path, sizeof path, "%s/counter_w2.db", dir);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "%s/counter_compacted.db", dir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/gauge_all_w2.db", dir);
    assert_int_equal(access(path, F_OK), -1);

    /* Everyone dies: counters and min/max/sum gauges are as before, the
     * per-process gauges are gone. */
    assert_int_equal(promc_multiprocess_mark_process_dead(dir, "w1"), PROMC_OK);
    assert_int_equal(promc_multiprocess_mark_process_dead(dir, "w3"), PROMC_OK);
    assert_true(sample(dir, "restarts_total", NULL, 0) == 9);
    assert_true(g(dir, "min", NULL) == 1 && g(dir, "max", NULL) == 5 && g(dir, "sum", NULL) == 9);
    assert_true(isnan(g(dir, "livesum", NULL)));
    if (test_recent()) { /* compaction kept the latest of the dead */
        assert_true(g(dir, "mostrecent", NULL) == 3);
        assert_true(isnan(g(dir, "livemostrecent", NULL)));
    }
    assert_true(isnan(g(dir, "all", "w1")) && isnan(g(dir, "all", "w3")));
    assert_python_agrees(dir);
    promc_free(before);
    remove_dir(dir);
}

/* A restarted worker with the same id (or a reused pid) continues the
 * file; thousands of restarts with mark_process_dead keep one file. */
static void test_restarts_and_compaction(void **state)
{
    (void)state;
    char *dir = make_dir();
    gauge_writer(dir, "slot1", 10);
    gauge_writer(dir, "slot1", 5); /* the same id again: counts continue */
    assert_true(sample(dir, "restarts_total", NULL, 0) == 15);
    assert_true(g(dir, "all", "slot1") == 5);
    for (int i = 0; i < 20; i++) {
        char id[16];
        snprintf(id, sizeof id, "r%d", i);
        gauge_writer(dir, id, 1);
        assert_int_equal(promc_multiprocess_mark_process_dead(dir, id), PROMC_OK);
    }
    assert_true(sample(dir, "restarts_total", NULL, 0) == 35);
    assert_true(g(dir, "sum", NULL) == 25);
    /* counter: slot1 + compacted; no r* files at all. */
    int counters = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, "counter_", 8) == 0)
            counters++;
    closedir(d);
    assert_int_equal(counters, 2);
    assert_python_agrees(dir);
    remove_dir(dir);
}

static size_t count_files(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void copy_file(const char *dir, const char *from, const char *to)
{
    char a[256], b[256];
    snprintf(a, sizeof a, "%s/%s", dir, from);
    snprintf(b, sizeof b, "%s/%s", dir, to);
    int in = open(a, O_RDONLY), out = open(b, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(in >= 0 && out >= 0);
    char buf[65536];
    ssize_t r;
    while ((r = read(in, buf, sizeof buf)) > 0)
        assert_int_equal(write(out, buf, (size_t)r), r);
    assert_int_equal(r, 0);
    close(in);
    close(out);
}

/* 1,000 worker restarts, each marked dead: the directory keeps one
 * compacted file per type whatever the number of restarts (all-mode gauge
 * files go with their process, as live ones do), and the scrape holds the
 * counts of all 1,000 and no series of a dead process's gauge -- as
 * client_python's reader of the same directory says too. Restarts are
 * simulated: one worker's files copied under the ids "1".."1000", plus
 * one file kept aside by a child of fork() that got a dead pid. */
static void test_thousand_restarts_bounded(void **state)
{
    (void)state;
    char *dir = make_dir();
    gauge_writer(dir, "tmpl", 2);
    static const char *const prefixes[] = {
        "counter",       "gauge_all",        "gauge_liveall",       "gauge_min",
        "gauge_livemin", "gauge_max",        "gauge_livemax",       "gauge_sum",
        "gauge_livesum", "gauge_mostrecent", "gauge_livemostrecent"};
    const size_t np = test_recent() ? 11 : 9;
    /* counter, gauge_{min,max,sum}_compacted, and gauge_mostrecent's */
    const size_t ncompacted = test_recent() ? 5 : 4;
    char from[64], to[64];
    for (int i = 1; i <= 1000; i++)
        for (size_t t = 0; t < np; t++) {
            snprintf(from, sizeof from, "%s_tmpl.db", prefixes[t]);
            snprintf(to, sizeof to, "%s_%d.db", prefixes[t], i);
            copy_file(dir, from, to);
        }
    for (size_t t = 0; t < np; t++) {
        snprintf(from, sizeof from, "%s_tmpl.db", prefixes[t]);
        snprintf(to, sizeof to, "%s_7+1.db", prefixes[t]); /* kept aside */
        copy_file(dir, from, to);
    }
    assert_int_equal(promc_multiprocess_mark_process_dead(dir, "tmpl"), PROMC_OK);
    assert_true(sample(dir, "restarts_total", NULL, 0) == 2004);
    assert_true(g(dir, "all", "500") == 2 && g(dir, "all", "7+1") == 2);
    for (int i = 1; i <= 1000; i++) {
        char id[8];
        snprintf(id, sizeof id, "%d", i);
        assert_int_equal(promc_multiprocess_mark_process_dead(dir, id), PROMC_OK);
        if (i == 500) /* those of 501..1000, the compacted ones; 7+1's went with 7 */
            assert_int_equal(count_files(dir), 500 * np + ncompacted);
    }
    assert_int_equal(count_files(dir), ncompacted);
    assert_true(sample(dir, "restarts_total", NULL, 0) == 2004);
    assert_true(g(dir, "sum", NULL) == 2004);
    assert_true(g(dir, "min", NULL) == 2 && g(dir, "max", NULL) == 2);
    if (test_recent())
        assert_true(g(dir, "mostrecent", NULL) == 2);
    char *text = render(dir);
    assert_null(strstr(text, "g_all"));
    assert_null(strstr(text, "g_live"));
    promc_free(text);
    assert_python_agrees(dir);
    remove_dir(dir);
}

/* Process ids may hold dots, and a dead process's files set aside by a
 * child of fork() that got its pid carry a number after it: marking "w"
 * dead must not take the files of a live process "w.3" for set-aside
 * files of "w" (it used to compact them away under the live writer, whose
 * later counts then went into an unlinked file). */
static void test_dotted_id_not_taken_for_set_aside(void **state)
{
    (void)state;
    char *dir = make_dir();
    gauge_writer(dir, "w", 5);
    int go[2], ready[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(ready), 0);
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        close(go[1]); /* a parent that fails ends the wait below */
        close(ready[0]);
        CHILD_CHECK(mp_init(dir, "w.3") == PROMC_OK);
        promc_mp_counter *c = promc_mp_counter_new("restarts", "R.", NULL, 0);
        promc_mp_gauge *gs =
            promc_mp_gauge_new("g_sum", "G.", PROMC_MP_SUM, &(promc_label){"x", "1"}, 1);
        CHILD_CHECK(c && gs);
        promc_mp_counter_add(c, 7);
        promc_mp_gauge_set(gs, 7);
        char b = 0;
        CHILD_CHECK(write(ready[1], &b, 1) == 1 && read(go[0], &b, 1) == 1);
        promc_mp_counter_inc(c); /* after "w" was marked dead */
        promc_mp_gauge_add(gs, 1);
        _exit(0);
    }
    close(go[0]);
    close(ready[1]);
    char b = 0;
    assert_int_equal(read(ready[0], &b, 1), 1);
    assert_int_equal(promc_multiprocess_mark_process_dead(dir, "w"), PROMC_OK);
    char path[256];
    snprintf(path, sizeof path, "%s/counter_w.3.db", dir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/gauge_sum_w.3.db", dir);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(write(go[1], &b, 1), 1);
    wait_ok(p);
    close(go[1]);
    close(ready[0]);
    assert_true(sample(dir, "restarts_total", NULL, 0) == 13);
    assert_true(g(dir, "sum", NULL) == 13);
    assert_python_agrees(dir);
    remove_dir(dir);
}

/* A child of fork() whose pid is that of a dead process with files left:
 * that file is kept aside (its counts stay), the child gets a new one.
 * Choosing the pid needs /proc/sys/kernel/ns_last_pid (root): skipped
 * without it. */
static void test_fork_child_reuses_dead_pid(void **state)
{
    (void)state;
    FILE *last = fopen("/proc/sys/kernel/ns_last_pid", "r+");
    if (!last)
        skip();
    long now = 0;
    assert_int_equal(fscanf(last, "%ld", &now), 1);
    fclose(last);
    long x = now + 300 < 32000 ? now + 300 : 2000;
    while (kill((pid_t)x, 0) == 0 || errno != ESRCH)
        x++;
    char *dir = make_dir();
    char id[24];
    snprintf(id, sizeof id, "%ld", x);
    /* The dead process with pid x. */
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        CHILD_CHECK(mp_init(dir, id) == PROMC_OK);
        promc_mp_counter *c = promc_mp_counter_new("reuse", "R.", NULL, 0);
        CHILD_CHECK(c);
        promc_mp_counter_add(c, 5);
        _exit(0);
    }
    wait_ok(p);
    p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        CHILD_CHECK(mp_init(dir, NULL) == PROMC_OK);
        promc_mp_counter *c = promc_mp_counter_new("reuse", "R.", NULL, 0);
        CHILD_CHECK(c);
        promc_mp_counter_inc(c);
        FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
        CHILD_CHECK(f);
        fprintf(f, "%ld", x - 1);
        fclose(f);
        pid_t k = fork();
        CHILD_CHECK(k >= 0);
        if (k == 0) {
            promc_mp_counter_add(c, 10);
            _exit(getpid() == (pid_t)x ? 0 : 3);
        }
        int st;
        CHILD_CHECK(waitpid(k, &st, 0) == k && WIFEXITED(st));
        _exit(WEXITSTATUS(st));
    }
    int st;
    assert_int_equal(waitpid(p, &st, 0), p);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) == 3) { /* another process took the pid first */
        remove_dir(dir);
        skip();
    }
    assert_int_equal(WEXITSTATUS(st), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/counter_%ld+1.db", dir, x);
    assert_int_equal(access(path, F_OK), 0);
    assert_true(sample(dir, "reuse_total", NULL, 0) == 16);
    assert_python_agrees(dir);
    /* Marking pid x dead compacts both of its files. */
    assert_int_equal(promc_multiprocess_mark_process_dead(dir, id), PROMC_OK);
    assert_int_equal(access(path, F_OK), -1);
    assert_true(sample(dir, "reuse_total", NULL, 0) == 16);
    remove_dir(dir);
}

/* ------------------------------------------------------------------ */
/* Bad files, full disk, misuse                                         */
/* ------------------------------------------------------------------ */

static void put_file(const char *dir, const char *name, const void *data, size_t len, size_t size)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    if (size > len)
        assert_int_equal(ftruncate(fd, (off_t)size), 0);
    close(fd);
}

static void test_garbage_and_truncated_files(void **state)
{
    (void)state;
    char *dir = make_dir();
    pid_t p = c_writer(dir, "good", 0);
    wait_ok(p);
    /* Garbage of every sort beside the good files. */
    char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 7 + 3);
    put_file(dir, "counter_junk.db", junk, sizeof junk, 0);
    put_file(dir, "counter_tiny.db", "\x08\0\0", 3, 0);
    /* A valid file cut short: used says more than the file has. */
    char path[256];
    snprintf(path, sizeof path, "%s/counter_good.db", dir);
    char *good = test_read_file(path);
    assert_non_null(good);
    put_file(dir, "counter_cut.db", good, 40, 0);
    /* The layout, but a key that is not JSON. */
    unsigned char bad[64] = {0};
    int32_t used = 8 + 4 + 12 + 8, len = 11;
    memcpy(bad, &used, 4);
    memcpy(bad + 8, &len, 4);
    memcpy(bad + 12, "not a key!!", 11);
    bad[23] = ' ';
    put_file(dir, "gauge_all_nk.db", bad, sizeof bad, 65536);
    put_file(dir, "weird_1.db", "x", 1, 0);
    free(good);

    char *text = render(dir);
    assert_non_null(strstr(text, "file=\"counter_junk.db\""));
    assert_non_null(strstr(text, "file=\"counter_tiny.db\""));
    assert_non_null(strstr(text, "file=\"counter_cut.db\""));
    assert_non_null(strstr(text, "file=\"gauge_all_nk.db\""));
    assert_non_null(strstr(text, "file=\"weird_1.db\""));
    promc_free(text);
    /* The good file is still served. */
    assert_true(sample(dir, "jobs_total", &(promc_label){"kind", "a"}, 1) == 3);

    /* A writer refuses to continue a bad file, naming it. */
    pid_t w = fork();
    assert_true(w >= 0);
    if (w == 0) {
        CHILD_CHECK(mp_init(dir, "junk") == PROMC_OK);
        CHILD_CHECK(promc_mp_counter_new("x", "X.", NULL, 0) == NULL);
        CHILD_CHECK(promc_last_error_code() == PROMC_EIO);
        CHILD_CHECK(strstr(promc_last_error(), "counter_junk.db") != NULL);
        _exit(0);
    }
    wait_ok(w);
    /* Compaction leaves a bad file alone and says so. */
    assert_int_equal(promc_multiprocess_mark_process_dead(dir, "junk"), PROMC_EIO);
    assert_non_null(strstr(promc_last_error(), "counter_junk.db"));
    snprintf(path, sizeof path, "%s/counter_junk.db", dir);
    assert_int_equal(access(path, F_OK), 0);
    remove_dir(dir);
}

/* A file of one entry: key (JSON text) and value, in the layout. */
static void put_entry_file(const char *dir, const char *name, const char *key, double value)
{
    int32_t len = (int32_t)strlen(key);
    size_t pad = 8 - ((size_t)len + 4) % 8;
    int32_t used = (int32_t)(8 + 4 + (size_t)len + pad + 8);
    unsigned char *buf = calloc(1, (size_t)used);
    assert_non_null(buf);
    memcpy(buf, &used, 4);
    memcpy(buf + 8, &len, 4);
    memcpy(buf + 12, key, (size_t)len);
    memset(buf + 12 + len, ' ', pad);
    memcpy(buf + 12 + (size_t)len + pad, &value, 8);
    put_file(dir, name, buf, (size_t)used, (size_t)used > 65536 ? 0 : 65536);
    free(buf);
}

#define KEY_HEAD "[\"k\", \"k_total\", {\"a\": \""
#define KEY_TAIL "\"}, \"K.\"]"

/* The value of label a that makes the key of counter k (help "K.") exactly
 * len bytes long: KEY_HEAD value KEY_TAIL. */
static char *value_for_key_len(size_t len)
{
    size_t n = len - strlen(KEY_HEAD) - strlen(KEY_TAIL);
    char *v = malloc(n + 1);
    assert_non_null(v);
    memset(v, 'x', n);
    v[n] = '\0';
    return v;
}

static char *key_of_len(size_t len)
{
    char *v = value_for_key_len(len);
    char *k = malloc(len + 1);
    assert_non_null(k);
    snprintf(k, len + 1, KEY_HEAD "%s" KEY_TAIL, v);
    free(v);
    return k;
}

static double k_total(const char *dir)
{
    char *v = value_for_key_len(65536);
    double r = sample(dir, "k_total", &(promc_label){"a", v}, 1);
    free(v);
    return r;
}

/* A file of entries (keys, values) in the layout, each value followed by
 * a timestamp of ts when ts_too (client_python 0.18+'s layout). */
static void put_entries(const char *dir, const char *name, const char *const *keys,
                        const double *values, size_t n, bool ts_too, double ts)
{
    unsigned char buf[4096] = {0};
    size_t at = 8;
    for (size_t i = 0; i < n; i++) {
        int32_t len = (int32_t)strlen(keys[i]);
        size_t pad = 8 - ((size_t)len + 4) % 8;
        assert_true(at + 4 + (size_t)len + pad + 16 <= sizeof buf);
        memcpy(buf + at, &len, 4);
        memcpy(buf + at + 4, keys[i], (size_t)len);
        memset(buf + at + 4 + len, ' ', pad);
        at += 4 + (size_t)len + pad;
        memcpy(buf + at, &values[i], 8);
        at += 8;
        if (ts_too) {
            memcpy(buf + at, &ts, 8);
            at += 8;
        }
    }
    int32_t used = (int32_t)at;
    memcpy(buf, &used, 4);
    put_file(dir, name, buf, at, 65536);
}

/* client_python 0.18+ files (a timestamp after every value, in every file:
 * the mostrecent gauge modes' change) are read as well as 0.16's, each
 * file in its own layout; mostrecent takes the value with the latest
 * timestamp and leaves out a series never set; a writer continues a file
 * of its directory's layout only, and compaction keeps the timestamps. */
static void test_client_python_018_layout_read(void **state)
{
    (void)state;
    char *dir = make_dir();
    const char *const keys[] = {"[\"c18\", \"c18_total\", {\"a\": \"1\"}, \"C.\"]",
                                "[\"c18\", \"c18_total\", {\"a\": \"2\"}, \"C.\"]"};
    const double values[] = {3, 4};
    put_entries(dir, "counter_py18.db", keys, values, 2, true, 0);
    put_entries(dir, "counter_one18.db", keys, values, 1, true, 0);
    const char *const gk[] = {"[\"g18\", \"g18\", {}, \"G.\"]",
                              "[\"g18\", \"g18\", {\"unset\": \"1\"}, \"G.\"]"};
    const char *const lk[] = {"[\"l18\", \"l18\", {}, \"L.\"]"};
    const double old[] = {7, 0}, young[] = {9, 0};
    put_entries(dir, "gauge_mostrecent_p1.db", gk, old, 1, true, 1.7e9);
    put_entries(dir, "gauge_mostrecent_p2.db", gk, young, 1, true, 1.7e9 + 1);
    put_entries(dir, "gauge_mostrecent_p3.db", gk + 1, young, 1, true, 0);
    put_entries(dir, "gauge_livemostrecent_p1.db", lk, young, 1, true, 1.7e9 + 1);
    put_entries(dir, "gauge_livemostrecent_p2.db", lk, old, 1, true, 1.7e9);
    /* The same counters in 0.16's layout, beside them. */
    put_entries(dir, "counter_py16.db", keys, values, 2, false, 0);
    char *text = render(dir);
    assert_null(strstr(text, "promc_multiprocess_refused_files"));
    /* The timestamp of a series never set is 0: no candidate. */
    assert_null(strstr(text, "unset"));
    promc_free(text);
    assert_true(sample(dir, "c18_total", &(promc_label){"a", "1"}, 1) == 9);
    assert_true(sample(dir, "c18_total", &(promc_label){"a", "2"}, 1) == 8);
    assert_true(sample(dir, "g18", NULL, 0) == 9);
    assert_true(sample(dir, "l18", NULL, 0) == 9);

    /* A writer of the directory's layout continues such a file; a writer
     * asking for the other layout is refused, naming a file. */
    pid_t w = fork();
    assert_true(w >= 0);
    if (w == 0) {
        CHILD_CHECK(promc_multiprocess_init_layout(dir, "py18", PROMC_MP_LAYOUT_VALUE) ==
                    PROMC_EINVAL);
        CHILD_CHECK(strstr(promc_last_error(), "both layouts") != NULL);
        _exit(0);
    }
    wait_ok(w);
    char path[256];
    snprintf(path, sizeof path, "%s/counter_py16.db", dir);
    assert_int_equal(unlink(path), 0);
    w = fork();
    assert_true(w >= 0);
    if (w == 0) {
        CHILD_CHECK(promc_multiprocess_init_layout(dir, "py18", PROMC_MP_LAYOUT_VALUE) ==
                    PROMC_EINVAL);
        CHILD_CHECK(strstr(promc_last_error(), "timestamped") != NULL);
        CHILD_CHECK(promc_multiprocess_init(dir, "py18") == PROMC_OK); /* follows the files */
        promc_mp_counter *c = promc_mp_counter_new("c18", "C.", &(promc_label){"a", "2"}, 1);
        CHILD_CHECK(c);
        promc_mp_counter_inc(c);
        promc_mp_gauge *g = promc_mp_gauge_new("l18", "L.", PROMC_MP_LIVEMOSTRECENT, NULL, 0);
        CHILD_CHECK(g);
        promc_mp_gauge_set(g, 11);
        _exit(0);
    }
    wait_ok(w);
    assert_true(sample(dir, "c18_total", &(promc_label){"a", "2"}, 1) == 5);
    assert_true(sample(dir, "l18", NULL, 0) == 11); /* set now: the latest */

    /* Compaction folds timestamped files into timestamped ones; a dead
     * process's livemostrecent file goes. */
    assert_int_equal(promc_multiprocess_mark_process_dead(dir, "py18"), PROMC_OK);
    assert_int_equal(promc_multiprocess_mark_process_dead(dir, "p2"), PROMC_OK);
    assert_true(sample(dir, "c18_total", &(promc_label){"a", "2"}, 1) == 5);
    assert_true(sample(dir, "g18", NULL, 0) == 9); /* p2's, from the compacted file */
    assert_true(sample(dir, "l18", NULL, 0) == 9); /* p1's: the live one left */
    snprintf(path, sizeof path, "%s/gauge_mostrecent_compacted.db", dir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/gauge_livemostrecent_p2.db", dir);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(promc_multiprocess_mark_process_dead(dir, "p1"), PROMC_OK);
    assert_true(sample(dir, "g18", NULL, 0) == 9);
    assert_true(isnan(sample(dir, "l18", NULL, 0)));
    text = render(dir);
    assert_null(strstr(text, "promc_multiprocess_refused_files"));
    promc_free(text);
    remove_dir(dir);
}

/* Compaction keeps what the collector serves for a mostrecent gauge: an
 * entry whose timestamp is no candidate (NaN, 0) does not hide a later
 * one that is. */
static void test_compaction_keeps_most_recent(void **state)
{
    (void)state;
    char *dir = make_dir();
    const char *const key[] = {"[\"v\", \"v\", {}, \"V.\"]"};
    put_entries(dir, "gauge_mostrecent_compacted.db", key, (const double[]){1}, 1, true, NAN);
    put_entries(dir, "gauge_mostrecent_d.db", key, (const double[]){2}, 1, true, 1.7e9);
    assert_true(sample(dir, "v", NULL, 0) == 2);
    assert_int_equal(promc_multiprocess_mark_process_dead(dir, "d"), PROMC_OK);
    assert_true(sample(dir, "v", NULL, 0) == 2);
    remove_dir(dir);
}

/* Keys are capped at 64 KiB: a writer refuses a longer one (nothing
 * written), a reader refuses a file holding one whole -- naming it in
 * promc_multiprocess_refused_files -- and so does compaction; a key of
 * exactly 64 KiB is fine everywhere. */
static void test_key_length_limit(void **state)
{
    (void)state;
    char *dir = make_dir();
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        CHILD_CHECK(mp_init(dir, "w") == PROMC_OK);
        char *big = value_for_key_len(70000); /* past 64 KiB as help too */
        CHILD_CHECK(!promc_mp_counter_new("k", "K.", &(promc_label){"a", big}, 1));
        CHILD_CHECK(promc_last_error_code() == PROMC_ELIMIT);
        CHILD_CHECK(strstr(promc_last_error(), "64 KiB") != NULL);
        CHILD_CHECK(!promc_mp_gauge_new("g", big, PROMC_MP_SUM, NULL, 0));
        CHILD_CHECK(promc_last_error_code() == PROMC_ELIMIT);
        CHILD_CHECK(!promc_mp_histogram_new("h", big, (double[]){1}, 1, NULL, 0));
        CHILD_CHECK(promc_last_error_code() == PROMC_ELIMIT);
        char *v = value_for_key_len(65536);
        promc_mp_counter *c = promc_mp_counter_new("k", "K.", &(promc_label){"a", v}, 1);
        CHILD_CHECK(c);
        promc_mp_counter_add(c, 2);
        _exit(0);
    }
    wait_ok(p);
    /* The counter file holds the one 64 KiB entry and nothing else. */
    char path[256];
    snprintf(path, sizeof path, "%s/counter_w.db", dir);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    int32_t used = 0;
    assert_int_equal(read(fd, &used, 4), 4);
    close(fd);
    assert_int_equal(used, 8 + 4 + 65536 + 4 + (test_recent() ? 16 : 8));
    assert_true(k_total(dir) == 2);

    /* A file (written by someone else) with a key one byte longer. */
    char *k = key_of_len(65537);
    put_entry_file(dir, "counter_long.db", k, 1);
    free(k);
    char *text = render(dir);
    assert_non_null(strstr(text, "promc_multiprocess_refused_files{file=\"counter_long.db\","
                                 "reason=\"a key is longer than 64 KiB, the limit for keys\"} 1"));
    promc_free(text);
    assert_true(k_total(dir) == 2);
    assert_int_equal(promc_multiprocess_mark_process_dead(dir, "long"), PROMC_EIO);
    assert_non_null(strstr(promc_last_error(), "longer than 64 KiB"));
    snprintf(path, sizeof path, "%s/counter_long.db", dir);
    assert_int_equal(access(path, F_OK), 0);
    unlink(path);
    /* The writer's own file, with its 64 KiB key, compacts. */
    assert_int_equal(promc_multiprocess_mark_process_dead(dir, "w"), PROMC_OK);
    assert_true(k_total(dir) == 2);
    assert_python_agrees(dir);
    remove_dir(dir);
}

/* Keys that parse but that no scrape could serve (a bad name, a label
 * twice or reserved, a negative count) are refused with their file: the
 * rest of the directory is still served, the scrape does not fail. */
/* A directory without files (a group that has not written yet) is served
 * as nothing, not refused. */
static void test_empty_directory(void **state)
{
    (void)state;
    char *dir = make_dir();
    char *text = render(dir);
    assert_string_equal(text, "");
    promc_free(text);
    remove_dir(dir);
}

static void test_unservable_keys_refused(void **state)
{
    (void)state;
    char *dir = make_dir();
    pid_t p = c_writer(dir, "good", 0);
    wait_ok(p);
    put_entry_file(dir, "counter_n1.db", "[\"bad name\", \"bad name_total\", {}, \"H.\"]", 1);
    put_entry_file(dir, "counter_n2.db", "[\"\", \"_total\", {}, \"H.\"]", 1);
    put_entry_file(dir, "counter_l1.db", "[\"c\", \"c_total\", {\"1x\": \"v\"}, \"H.\"]", 1);
    put_entry_file(dir, "counter_l2.db", "[\"c\", \"c_total\", {\"__a\": \"v\"}, \"H.\"]", 1);
    put_entry_file(dir, "counter_l3.db",
                   "[\"c\", \"c_total\", {\"a\": \"v\", \"a\": \"w\"}, \"H.\"]", 1);
    put_entry_file(dir, "gauge_all_7.db", "[\"g\", \"g\", {\"pid\": \"v\"}, \"H.\"]", 1);
    put_entry_file(dir, "summary_q.db", "[\"s\", \"s_count\", {\"quantile\": \"1\"}, \"H.\"]", 1);
    put_entry_file(dir, "histogram_le.db",
                   "[\"h\", \"h_bucket\", {\"le\": \"1.0\", \"le\": \"2.0\"}, \"H.\"]", 1);
    put_entry_file(dir, "counter_neg.db", "[\"c\", \"c_total\", {}, \"H.\"]", -5);
    put_entry_file(dir, "counter_nan.db", "[\"c\", \"c_total\", {}, \"H.\"]", NAN);
    put_entry_file(dir, "histogram_neg.db", "[\"h\", \"h_bucket\", {\"le\": \"1.0\"}, \"H.\"]", -1);
    put_entry_file(dir, "counter_own.db",
                   "[\"promc_multiprocess_refused_files\", "
                   "\"promc_multiprocess_refused_files_total\", {}, \"H.\"]",
                   1);
    /* A gauge's sample is named as its metric (client_python's); another
     * sample name with the same labels would make the family hold one
     * label set twice, and the scrape fail. */
    const char *const two[] = {"[\"g2\", \"g2)\", {\"x\": \"1\"}, \"G.\"]",
                               "[\"g2\", \"g2\", {\"x\": \"1\"}, \"G.\"]"};
    put_entries(dir, "gauge_max_s.db", two, (const double[]){-2, 5}, 2, false, 0);
    /* A count too large for a uint64_t is served, clamped. */
    put_entry_file(dir, "histogram_huge.db",
                   "[\"big\", \"big_bucket\", {\"le\": \"+Inf\"}, \"H.\"]", 1e300);
    const char *refused[] = {
        "counter_n1.db",    "counter_n2.db",  "counter_l1.db",   "counter_l2.db",  "counter_l3.db",
        "gauge_all_7.db",   "summary_q.db",   "histogram_le.db", "counter_neg.db", "counter_nan.db",
        "histogram_neg.db", "counter_own.db", "gauge_max_s.db"};
    promc_registry *reg = promc_registry_new();
    assert_non_null(reg);
    promc_metric *m = promc_multiprocess_collector_new(reg, dir);
    assert_non_null(m);
    promc_metric_free(m);
    size_t len = 0;
    char *text = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, &len);
    if (!text)
        fprintf(stderr, "scrape failed: %s\n", promc_last_error());
    assert_non_null(text);
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char want[64];
        snprintf(want, sizeof want, "file=\"%s\"", refused[i]);
        if (!strstr(text, want))
            fprintf(stderr, "not refused: %s\n%s", refused[i], text);
        assert_non_null(strstr(text, want));
    }
    assert_null(strstr(text, "file=\"histogram_huge.db\""));
    assert_non_null(strstr(text, "big_count 18446744073709551615\n"));
    promc_free(text);
    double v = 0;
    assert_int_equal(
        promc_registry_get_sample_value(reg, "jobs_total", &(promc_label){"kind", "a"}, 1, &v),
        PROMC_OK);
    assert_true(v == 3);
    promc_registry_free(reg);
    remove_dir(dir);
}

/* Compaction refuses a file the collector would refuse (its layout is
 * right, a key is not client_python's JSON): folded into the compacted
 * file, it would have the collector refuse that file whole, and every
 * count of the processes compacted before would leave the scrape. */
static void test_compaction_refuses_bad_keys(void **state)
{
    (void)state;
    char *dir = make_dir();
    pid_t p = c_writer(dir, "good", 0);
    wait_ok(p);
    assert_int_equal(promc_multiprocess_mark_process_dead(dir, "good"), PROMC_OK);
    assert_true(sample(dir, "jobs_total", &(promc_label){"kind", "a"}, 1) == 3);
    put_entry_file(dir, "counter_bad.db", "not a key!!", 1);
    /* Keys that parse, but that the collector refuses. */
    put_entry_file(dir, "counter_bad2.db", "[\"bad name\", \"bad name_total\", {}, \"H.\"]", 1);
    put_entry_file(dir, "counter_bad3.db", "[\"c\", \"c_total\", {}, \"H.\"]", -1);
    put_entry_file(dir, "summary_bad4.db", "[\"s\", \"s_sum\", {\"quantile\": \"1\"}, \"H.\"]", 1);
    const char *const bad[] = {"bad", "bad2", "bad3", "bad4"};
    const char *const files[] = {"counter_bad.db", "counter_bad2.db", "counter_bad3.db",
                                 "summary_bad4.db"};
    char path[256];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(promc_multiprocess_mark_process_dead(dir, bad[i]), PROMC_EIO);
        assert_non_null(strstr(promc_last_error(), files[i]));
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        assert_int_equal(access(path, F_OK), 0);
    }
    char *text = render(dir);
    assert_null(strstr(text, "file=\"counter_compacted.db\""));
    assert_null(strstr(text, "file=\"summary_compacted.db\""));
    promc_free(text);
    assert_true(sample(dir, "jobs_total", &(promc_label){"kind", "a"}, 1) == 3);
    remove_dir(dir);
}

/* A file that is not a regular file (a FIFO nobody writes to) is refused,
 * not waited on: opening it for reading would block every scrape and
 * compaction. The scrape runs in a child that an alarm would kill. */
static void test_fifo_refused(void **state)
{
    (void)state;
    char *dir = make_dir();
    pid_t p = c_writer(dir, "good", 0);
    wait_ok(p);
    char path[256];
    snprintf(path, sizeof path, "%s/counter_fifo.db", dir);
    assert_int_equal(mkfifo(path, 0644), 0);
    pid_t c = fork();
    assert_true(c >= 0);
    if (c == 0) {
        alarm(10);
        char *text = render(dir);
        CHILD_CHECK(strstr(text, "file=\"counter_fifo.db\"") != NULL);
        CHILD_CHECK(strstr(text, "jobs_total{kind=\"a\"} 3\n") != NULL);
        promc_free(text);
        CHILD_CHECK(promc_multiprocess_mark_process_dead(dir, "fifo") == PROMC_EIO);
        _exit(0);
    }
    wait_ok(c);
    remove_dir(dir);
}

/* A file whose name is not UTF-8 is refused under a name that is (its bad
 * bytes as U+FFFD): a label value must be UTF-8, and one that is not would
 * fail the whole scrape. */
static void test_name_not_utf8_refused(void **state)
{
    (void)state;
    char *dir = make_dir();
    pid_t p = c_writer(dir, "good", 0);
    wait_ok(p);
    put_file(dir, "counter_\xff.db", "junk", 4, 0);
    put_file(dir, "weird\xc3.db", "junk", 4, 0);
    /* A valid file: its pid would be a label. */
    char path[256];
    snprintf(path, sizeof path, "%s/gauge_all_good.db", dir);
    char *good = test_read_file(path);
    assert_non_null(good);
    put_file(dir, "gauge_all_\xfe.db", good, 65536, 0);
    free(good);
    char *text = render(dir);
    assert_non_null(
        strstr(text, "file=\"gauge_all_\xef\xbf\xbd.db\",reason=\"its name is not UTF-8\""));
    assert_non_null(strstr(text, "file=\"counter_\xef\xbf\xbd.db\""));
    assert_non_null(strstr(text, "file=\"weird\xef\xbf\xbd.db\""));
    assert_non_null(strstr(text, "jobs_total{kind=\"a\"} 3\n"));
    promc_free(text);
    remove_dir(dir);
}

/* A full disk, by RLIMIT_FSIZE (no root, no tmpfs needed): series creation
 * fails naming the file; what was written stays valid. */
static void test_full_disk(void **state)
{
    (void)state;
    char *dir = make_dir();
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {65536, 65536};
        CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
        CHILD_CHECK(mp_init(dir, "full") == PROMC_OK);
        int made = 0;
        for (int i = 0; i < 100000; i++) {
            char v[24];
            snprintf(v, sizeof v, "%d", i);
            promc_mp_counter *c = promc_mp_counter_new("many", "M.", &(promc_label){"n", v}, 1);
            if (!c) {
                CHILD_CHECK(promc_last_error_code() == PROMC_EIO);
                CHILD_CHECK(strstr(promc_last_error(), "counter_full.db") != NULL);
                break;
            }
            promc_mp_counter_inc(c);
            made++;
        }
        CHILD_CHECK(made > 100 && made < 100000);
        /* The series made before still work. */
        promc_mp_counter *c = promc_mp_counter_new("many", "M.", &(promc_label){"n", "0"}, 1);
        CHILD_CHECK(c);
        promc_mp_counter_inc(c);
        _exit(0);
    }
    wait_ok(p);
    char *text = render(dir);
    assert_null(strstr(text, "refused"));
    promc_free(text);
    assert_true(sample(dir, "many_total", &(promc_label){"n", "0"}, 1) == 2);
    assert_python_agrees(dir);
    remove_dir(dir);
}

/* A file to continue whose size is not a power of two (another writer's,
 * or a copy) never grows past the 1 GiB reserved for it: mapping it there
 * would map over whatever the process has beyond the reservation. The
 * file is sparse, one entry filling it, and RLIMIT_FSIZE stops the growth
 * before the disk is used; the message names the size asked for. */
static void test_growth_stays_in_reservation(void **state)
{
    (void)state;
    char *dir = make_dir();
    const size_t size = (512u << 20) + 65536; /* doubled: past 1 GiB */
    int32_t used = (int32_t)(size - 8);
    char path[256];
    snprintf(path, sizeof path, "%s/counter_big.db", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    assert_int_equal(pwrite(fd, &used, 4, 0), 4);
    /* Entries of 64 KiB (keys are capped at 64 KiB), the last shorter;
     * their keys are zeros, which only a reader's parse would refuse. */
    const int32_t vs = test_recent() ? 16 : 8; /* the layout's bytes after a key */
    for (off_t at = 8; at < used;) {
        int32_t len = used - at >= 65536 ? 65520 : (int32_t)(used - at) - 8 - vs;
        int32_t pad = 8 - (len + 4) % 8;
        assert_int_equal(pwrite(fd, &len, 4, at), 4);
        assert_int_equal(pwrite(fd, "        ", (size_t)pad, at + 4 + len), pad);
        at += 4 + len + pad + vs;
        assert_true(at <= used);
    }
    close(fd);
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {size + (64u << 20), size + (64u << 20)};
        CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
        CHILD_CHECK(mp_init(dir, "big") == PROMC_OK);
        CHILD_CHECK(promc_mp_counter_new("x", "X.", NULL, 0) == NULL);
        CHILD_CHECK(promc_last_error_code() == PROMC_EIO);
        CHILD_CHECK(strstr(promc_last_error(), "to 1073741824 bytes") != NULL);
        _exit(0);
    }
    wait_ok(p);
    remove_dir(dir);
}

static void test_misuse(void **state)
{
    (void)state;
    /* Off: creation refused. */
    assert_null(promc_mp_counter_new("x", "X.", NULL, 0));
    assert_int_equal(promc_last_error_code(), PROMC_ESTATE);
    assert_int_equal(promc_multiprocess_init("/nonexistent/dir", NULL), PROMC_EINVAL);
    assert_int_equal(promc_multiprocess_mark_process_dead("/tmp", NULL), PROMC_EINVAL);
    assert_int_equal(promc_multiprocess_mark_process_dead("/tmp", "a/b"), PROMC_EINVAL);
    assert_null(promc_multiprocess_collector_new(NULL, "/nonexistent/dir"));
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    char *dir = make_dir();
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        CHILD_CHECK(promc_multiprocess_init(dir, "a_b") == PROMC_EINVAL);
        CHILD_CHECK(promc_multiprocess_init(dir, "compacted") == PROMC_EINVAL);
        CHILD_CHECK(mp_init(dir, NULL) == PROMC_OK);
        CHILD_CHECK(promc_multiprocess_init(dir, NULL) == PROMC_ESTATE);
        CHILD_CHECK(!promc_mp_counter_new("1x", "X.", NULL, 0) &&
                    promc_last_error_code() == PROMC_EINVAL);
        CHILD_CHECK(!promc_mp_counter_new("x", NULL, NULL, 0));
        CHILD_CHECK(!promc_mp_counter_new("x", "X.", NULL, 1));
        CHILD_CHECK(!promc_mp_counter_new("x", "X.", (promc_label[]){{"a", "1"}, {"a", "2"}}, 2));
        CHILD_CHECK(!promc_mp_gauge_new("g", "G.", (promc_mp_mode)99, NULL, 0));
        CHILD_CHECK(!promc_mp_gauge_new("g", "G.", PROMC_MP_ALL, &(promc_label){"pid", "1"}, 1));
        CHILD_CHECK(!promc_mp_histogram_new("h", "H.", NULL, 0, NULL, 0));
        CHILD_CHECK(!promc_mp_histogram_new("h", "H.", (double[]){2, 1}, 2, NULL, 0));
        CHILD_CHECK(
            !promc_mp_histogram_new("h", "H.", (double[]){1}, 1, &(promc_label){"le", "1"}, 1));
        CHILD_CHECK(promc_mp_counter_new("x", "X.", NULL, 0));
        CHILD_CHECK(promc_mp_counter_new("x", "X.", NULL, 0) ==
                    promc_mp_counter_new("x_total", "X.", NULL, 0));
        CHILD_CHECK(!promc_mp_gauge_new("x", "X.", PROMC_MP_ALL, NULL, 0) &&
                    promc_last_error_code() == PROMC_EEXIST);
        CHILD_CHECK(!promc_mp_counter_new("x", "Other help.", NULL, 0) &&
                    promc_last_error_code() == PROMC_EEXIST);
        CHILD_CHECK(promc_mp_counter_add(NULL, -1) == PROMC_EINVAL);
        CHILD_CHECK(promc_mp_counter_add(NULL, NAN) == PROMC_EINVAL);
        promc_mp_counter_inc(NULL);
        promc_mp_gauge_set(NULL, 1);
        promc_mp_gauge_add(NULL, 1);
        promc_mp_histogram_observe(NULL, 1);
        promc_mp_summary_observe(NULL, 1);
        promc_multiprocess_shutdown();
        /* Off again: a new directory may be chosen. */
        CHILD_CHECK(mp_init(dir, "again") == PROMC_OK);
        promc_multiprocess_shutdown();
        _exit(0);
    }
    wait_ok(p);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_match_client_python),
        cmocka_unit_test(test_bad_keys_refused),
        cmocka_unit_test(test_c_writes_python_reads),
        cmocka_unit_test(test_python_writes_c_reads),
        cmocka_unit_test(test_mixed_directory),
        cmocka_unit_test(test_sigkill_halfway),
        cmocka_unit_test(test_scrape_while_growing),
        cmocka_unit_test(test_fork_after_create_and_threads),
        cmocka_unit_test(test_gauge_modes_and_mark_dead),
        cmocka_unit_test(test_restarts_and_compaction),
        cmocka_unit_test(test_thousand_restarts_bounded),
        cmocka_unit_test(test_dotted_id_not_taken_for_set_aside),
        cmocka_unit_test(test_fork_child_reuses_dead_pid),
        cmocka_unit_test(test_garbage_and_truncated_files),
        cmocka_unit_test(test_empty_directory),
        cmocka_unit_test(test_unservable_keys_refused),
        cmocka_unit_test(test_compaction_refuses_bad_keys),
        cmocka_unit_test(test_key_length_limit),
        cmocka_unit_test(test_client_python_018_layout_read),
        cmocka_unit_test(test_compaction_keeps_most_recent),
        cmocka_unit_test(test_fifo_refused),
        cmocka_unit_test(test_name_not_utf8_refused),
        cmocka_unit_test(test_full_disk),
        cmocka_unit_test(test_growth_stays_in_reservation),
        cmocka_unit_test(test_misuse),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    promc_shutdown();
    return rc;
}
