/*
 * Multi-process mode through the ordinary API: after
 * promc_multiprocess_init, promc_counter, promc_gauge, classic
 * promc_histogram and promc_summary families write their series to the
 * mode's files. Forked workers (some SIGKILLed halfway) update them; the
 * aggregate the multi-process collector serves is exactly what was done,
 * client_python's MultiProcessCollector reads the same directory alike, the
 * families' own registry does not serve them twice, and what has no meaning
 * across processes is refused. Each scenario runs in a forked group parent,
 * so this test process never turns the mode on.
 */
#define _DEFAULT_SOURCE /* mkdtemp, usleep */
#include "helpers.h"
#include "mp_fixture.h"
#include "promc_http.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 5
#define M       20000

/* How far each worker got: an update in flight when SIGKILL lands either
 * counted or not, so the aggregate lies between done and attempted. */
struct progress {
    _Atomic long attempt, done;
};

static struct progress *progress_new(void)
{
    struct progress *pr =
        mmap(NULL, sizeof *pr * WORKERS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(pr != MAP_FAILED);
    return pr;
}

/* Forks WORKERS workers running work(w, limit, pr): the last one runs until
 * it is killed, the one before it is killed after M / 2 (it says so through
 * the pipe), the others do M and exit. Returns when all are reaped. */
static void run_workers(void (*work)(int w, long limit, struct progress *pr), struct progress *pr)
{
    int fds[2];
    CHILD_CHECK(pipe(fds) == 0);
    pid_t pids[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
        pids[w] = fork();
        CHILD_CHECK(pids[w] >= 0);
        if (pids[w] == 0) {
            long limit = w == WORKERS - 1 ? 1000L * M : (w == WORKERS - 2 ? M / 2 : M);
            work(w, limit, pr);
            if (w == WORKERS - 2) {
                CHILD_CHECK(write(fds[1], &limit, sizeof limit) == sizeof limit);
                for (;;)
                    pause();
            }
            _exit(0);
        }
    }
    long n = 0;
    CHILD_CHECK(read(fds[0], &n, sizeof n) == (ssize_t)sizeof n && n == M / 2);
    kill(pids[WORKERS - 2], SIGKILL);
    while (atomic_load(&pr[WORKERS - 1].done) < M / 4)
        usleep(1000);
    kill(pids[WORKERS - 1], SIGKILL);
    for (int w = 0; w < WORKERS; w++) {
        int st;
        CHILD_CHECK(waitpid(pids[w], &st, 0) == pids[w]);
        if (w < WORKERS - 2)
            CHILD_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        else
            CHILD_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    }
    close(fds[0]);
    close(fds[1]);
}

static void sums(const struct progress *pr, long *done, long *attempted)
{
    *done = *attempted = 0;
    for (int w = 0; w < WORKERS; w++) {
        *done += atomic_load(&pr[w].done);
        *attempted += atomic_load(&pr[w].attempt);
    }
}

/* The group parent's registry serves none of its shared families: their
 * values are in the files. */
static void check_registry_silent(promc_registry *reg, const char *name)
{
    size_t len = 0;
    char *s = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, &len);
    CHILD_CHECK(s && !strstr(s, name));
    promc_free(s);
}

/* ------------------------------------------------------------------ */
/* Counters                                                             */
/* ------------------------------------------------------------------ */

static promc_counter *g_jobs;
static promc_counter_vec *g_reqs;
static promc_counter *g_reqs_ok; /* created before fork() */

static void counter_work(int w, long limit, struct progress *pr)
{
    /* A child created after fork(), in the worker's own file. */
    promc_counter *mine = promc_counter_vec_labels(g_reqs, w % 2 ? "odd" : "even");
    CHILD_CHECK(mine);
    for (long i = 0; i < limit; i++) {
        atomic_store(&pr[w].attempt, i + 1);
        promc_counter_inc(g_jobs);
        promc_counter_inc(g_reqs_ok);
        promc_counter_add(mine, 0.5);
        atomic_store(&pr[w].done, i + 1);
    }
}

static void test_counters_across_workers(void **state)
{
    (void)state;
    char *dir = make_dir();
    struct progress *pr = progress_new();
    pid_t parent = fork();
    assert_true(parent >= 0);
    if (parent == 0) {
        CHILD_CHECK(mp_init(dir, NULL) == PROMC_OK);
        promc_registry *reg = promc_registry_new();
        g_jobs = promc_counter_new(reg, "jobs_total", "Jobs done.", NULL);
        g_reqs = promc_counter_vec_new(reg, "reqs", "Requests.", PROMC_LABELS("code"), NULL);
        CHILD_CHECK(g_jobs && g_reqs);
        g_reqs_ok = promc_counter_vec_labels(g_reqs, "ok");
        CHILD_CHECK(g_reqs_ok);
        promc_counter_add(g_jobs, 7);
        CHILD_CHECK(promc_counter_get(g_jobs) == 7);
        run_workers(counter_work, pr);
        /* The parent's own handle still counts into its own file. */
        promc_counter_inc(g_jobs);
        CHILD_CHECK(promc_counter_get(g_jobs) == 8);
        check_registry_silent(reg, "jobs");
        check_registry_silent(reg, "reqs");
        /* The simplest story: a fresh registry with the collector. */
        promc_registry *serve = promc_registry_new();
        promc_metric *col = promc_multiprocess_collector_new(serve, NULL);
        CHILD_CHECK(col);
        promc_metric_free(col);
        double v = 0;
        CHILD_CHECK(promc_registry_get_sample_value(serve, "jobs_total", NULL, 0, &v) == PROMC_OK &&
                    v >= 8);
        promc_registry_free(serve);
        /* The collector in the metrics' own registry: each family once. */
        col = promc_multiprocess_collector_new(reg, NULL);
        CHILD_CHECK(col);
        promc_metric_free(col);
        char *text = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, NULL);
        CHILD_CHECK(text);
        const char *first = strstr(text, "# TYPE jobs_total counter");
        CHILD_CHECK(first && !strstr(first + 1, "# TYPE jobs_total"));
        promc_free(text);
        promc_registry_free(reg);
        promc_multiprocess_shutdown();
        _exit(0);
    }
    wait_ok(parent);
    long done, attempted;
    sums(pr, &done, &attempted);
    assert_true(attempted - done <= 1);
    double jobs = sample(dir, "jobs_total", NULL, 0);
    assert_true(jobs >= 8.0 + (double)done && jobs <= 8.0 + (double)attempted);
    double ok = sample(dir, "reqs_total", &(promc_label){"code", "ok"}, 1);
    assert_true(ok >= (double)done && ok <= (double)attempted);
    double even = sample(dir, "reqs_total", &(promc_label){"code", "even"}, 1);
    double odd = sample(dir, "reqs_total", &(promc_label){"code", "odd"}, 1);
    /* Workers 0, 2, 4 even (4 killed while running); 1, 3 odd (3 halfway). */
    assert_true(odd == 0.5 * (double)(M + M / 2));
    long even_done = atomic_load(&pr[0].done) + atomic_load(&pr[2].done) + atomic_load(&pr[4].done);
    assert_true(even >= 0.5 * (double)even_done && even <= 0.5 * (double)(even_done + 1));
    char *text = render(dir);
    assert_null(strstr(text, "promc_multiprocess_refused_files"));
    promc_free(text);
    assert_python_agrees(dir);
    munmap(pr, sizeof *pr * WORKERS);
    remove_dir(dir);
}

/* ------------------------------------------------------------------ */
/* Gauges                                                               */
/* ------------------------------------------------------------------ */

static const char *const mode_names[] = {"all",        "liveall",       "min", "livemin",
                                         "max",        "livemax",       "sum", "livesum",
                                         "mostrecent", "livemostrecent"};
static promc_gauge *g_gauges[10];

/* The gauge modes of the tests' layout (mp_fixture.h). */
static int nmodes(void)
{
    return test_recent() ? 10 : 8;
}
static promc_gauge_vec *g_busy;

static void gauge_work(int w, long limit, struct progress *pr)
{
    promc_gauge *busy = promc_gauge_vec_labels(g_busy, "pool");
    CHILD_CHECK(busy);
    for (int m = 0; m < nmodes(); m++)
        promc_gauge_set(g_gauges[m], 10.0 * (w + 1));
    for (long i = 0; i < limit; i++) {
        atomic_store(&pr[w].attempt, i + 1);
        promc_gauge_inc(busy);
        atomic_store(&pr[w].done, i + 1);
    }
}

static void test_gauge_modes_across_workers(void **state)
{
    (void)state;
    char *dir = make_dir();
    struct progress *pr = progress_new();
    pid_t parent = fork();
    assert_true(parent >= 0);
    if (parent == 0) {
        CHILD_CHECK(mp_init(dir, "parent") == PROMC_OK);
        promc_registry *reg = promc_registry_new();
        for (int m = 0; m < nmodes(); m++) {
            char name[32];
            snprintf(name, sizeof name, "temp_%s", mode_names[m]);
            promc_metric_opts o = {.mp_mode = (promc_mp_mode)m};
            g_gauges[m] = promc_gauge_new(reg, name, "Temperature.", &o);
            CHILD_CHECK(g_gauges[m]);
            promc_gauge_set(g_gauges[m], -5); /* the parent's own value */
        }
        promc_metric_opts sum = {.mp_mode = PROMC_MP_SUM};
        g_busy = promc_gauge_vec_new(reg, "busy", "Busy.", PROMC_LABELS("pool"), &sum);
        CHILD_CHECK(g_busy);
        run_workers(gauge_work, pr);
        check_registry_silent(reg, "temp_");
        /* set_to_current_time and dec reach the file too. */
        promc_gauge_set_to_current_time(g_gauges[0]);
        CHILD_CHECK(promc_gauge_get(g_gauges[0]) > 1e9);
        promc_gauge_set(g_gauges[0], -5);
        promc_gauge_dec(g_gauges[6]);
        promc_gauge_inc(g_gauges[6]);
        promc_registry_free(reg);
        promc_multiprocess_shutdown();
        _exit(0);
    }
    wait_ok(parent);
    long done, attempted;
    sums(pr, &done, &attempted);
    /* all/liveall: each process under its pid label; the parent's id. */
    assert_true(sample(dir, "temp_all", &(promc_label){"pid", "parent"}, 1) == -5);
    assert_true(sample(dir, "temp_liveall", &(promc_label){"pid", "parent"}, 1) == -5);
    double total = -5 + 10.0 * (1 + 2 + 3 + 4 + 5);
    assert_true(sample(dir, "temp_sum", NULL, 0) == total);
    assert_true(sample(dir, "temp_livesum", NULL, 0) == total);
    assert_true(sample(dir, "temp_min", NULL, 0) == -5);
    assert_true(sample(dir, "temp_max", NULL, 0) == 50);
    double busy = sample(dir, "busy", &(promc_label){"pool", "pool"}, 1);
    assert_true(busy >= (double)done && busy <= (double)attempted);
    assert_python_agrees(dir);
    munmap(pr, sizeof *pr * WORKERS);
    remove_dir(dir);
}

/* One worker of the mostrecent test: sets (or adds to) its series of
 * version and term, in its own files; returns its pid. */
static pid_t recent_worker(const char *dir, double version, double term, bool add)
{
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        CHILD_CHECK(promc_multiprocess_init_layout(dir, NULL, PROMC_MP_LAYOUT_TIMESTAMPED) ==
                    PROMC_OK);
        promc_registry *reg = promc_registry_new();
        promc_metric_opts recent = {.mp_mode = PROMC_MP_MOSTRECENT};
        promc_metric_opts live = {.mp_mode = PROMC_MP_LIVEMOSTRECENT};
        promc_gauge_vec *v =
            promc_gauge_vec_new(reg, "config_version", "Version.", PROMC_LABELS("app"), &recent);
        promc_gauge *t = promc_gauge_new(reg, "leader_term", "Term.", &live);
        promc_gauge *web = v ? promc_gauge_vec_labels(v, "web") : NULL;
        CHILD_CHECK(web && t && promc_gauge_vec_labels(v, "never")); /* never set */
        if (add) {
            promc_gauge_add(web, version);
            promc_gauge_add(t, term);
        } else {
            promc_gauge_set(web, version);
            promc_gauge_set(t, term);
        }
        CHILD_CHECK(promc_gauge_get(web) == version);
        check_registry_silent(reg, "config_version");
        promc_registry_free(reg);
        _exit(0);
    }
    wait_ok(p);
    return p;
}

/* The mostrecent modes: the value set last by any process, dead ones
 * included (mostrecent) or only live ones (livemostrecent); an add makes
 * the process's own value the latest; a series never set is not served;
 * client_python 0.18+ agrees where installed. */
static void test_mostrecent_across_workers(void **state)
{
    (void)state;
    char *dir = make_dir();
    recent_worker(dir, 10, 1, false);
    pid_t second = recent_worker(dir, 20, 2, false);
    usleep(2000); /* timestamps: wall-clock seconds as doubles */
    pid_t third = recent_worker(dir, 30, 3, false);
    promc_label web = {"app", "web"};
    assert_true(sample(dir, "config_version", &web, 1) == 30);
    assert_true(sample(dir, "leader_term", NULL, 0) == 3);
    assert_true(isnan(sample(dir, "config_version", &(promc_label){"app", "never"}, 1)));
    assert_python_agrees_in(dir, PROMC_MP_LAYOUT_TIMESTAMPED);
    /* An add: 0 + 5 in a new process, now the latest. */
    pid_t fourth = recent_worker(dir, 5, 4, true);
    assert_true(sample(dir, "config_version", &web, 1) == 5);
    assert_true(sample(dir, "leader_term", NULL, 0) == 4);
    /* The latest dies: mostrecent keeps its value, livemostrecent falls
     * back to the latest of the others. */
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)fourth);
    assert_int_equal(promc_multiprocess_mark_process_dead(dir, pid), PROMC_OK);
    assert_true(sample(dir, "config_version", &web, 1) == 5);
    assert_true(sample(dir, "leader_term", NULL, 0) == 3);
    snprintf(pid, sizeof pid, "%d", (int)third);
    assert_int_equal(promc_multiprocess_mark_process_dead(dir, pid), PROMC_OK);
    snprintf(pid, sizeof pid, "%d", (int)second);
    assert_int_equal(promc_multiprocess_mark_process_dead(dir, pid), PROMC_OK);
    assert_true(sample(dir, "config_version", &web, 1) == 5);
    assert_true(sample(dir, "leader_term", NULL, 0) == 1);
    assert_python_agrees_in(dir, PROMC_MP_LAYOUT_TIMESTAMPED);
    /* The directory is timestamped now: a writer asking for the other
     * layout is refused; the mode needs the timestamped layout. */
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        CHILD_CHECK(promc_multiprocess_init_layout(dir, NULL, PROMC_MP_LAYOUT_VALUE) ==
                    PROMC_EINVAL);
        CHILD_CHECK(promc_multiprocess_init_layout(dir, NULL, (promc_mp_layout)7) == PROMC_EINVAL);
        char *other = make_dir();
        CHILD_CHECK(promc_multiprocess_init(other, NULL) == PROMC_OK); /* empty: value */
        promc_metric_opts recent = {.mp_mode = PROMC_MP_MOSTRECENT};
        CHILD_CHECK(!promc_gauge_new(promc_registry_new(), "v", "V.", &recent));
        CHILD_CHECK(promc_last_error_code() == PROMC_EINVAL);
        CHILD_CHECK(strstr(promc_last_error(), "PROMC_MP_LAYOUT_TIMESTAMPED") != NULL);
        CHILD_CHECK(!promc_mp_gauge_new("v", "V.", PROMC_MP_LIVEMOSTRECENT, NULL, 0));
        CHILD_CHECK(promc_last_error_code() == PROMC_EINVAL);
        promc_multiprocess_shutdown();
        remove_dir(other);
        _exit(0);
    }
    wait_ok(p);
    remove_dir(dir);
}

/* ------------------------------------------------------------------ */
/* Histograms and summaries                                             */
/* ------------------------------------------------------------------ */

static promc_histogram_vec *g_lat;
static promc_summary *g_size;

static void observe_work(int w, long limit, struct progress *pr)
{
    promc_histogram *h = promc_histogram_vec_labels(g_lat, "/x");
    CHILD_CHECK(h);
    for (long i = 0; i < limit; i++) {
        atomic_store(&pr[w].attempt, i + 1);
        promc_histogram_observe(h, (double)(i % 4)); /* 0, 1, 2, 3: buckets 0.5, 1, 2.5, +Inf */
        promc_summary_observe(g_size, 2);
        atomic_store(&pr[w].done, i + 1);
    }
}

static void test_histograms_and_summaries_across_workers(void **state)
{
    (void)state;
    char *dir = make_dir();
    struct progress *pr = progress_new();
    pid_t parent = fork();
    assert_true(parent >= 0);
    if (parent == 0) {
        CHILD_CHECK(mp_init(dir, NULL) == PROMC_OK);
        promc_registry *reg = promc_registry_new();
        const double bounds[] = {0.5, 1, 2.5};
        promc_histogram_opts ho = {.buckets = bounds, .nbuckets = 3};
        g_lat =
            promc_histogram_vec_new(reg, "latency_seconds", "Latency.", PROMC_LABELS("path"), &ho);
        g_size = promc_summary_new(reg, "size_bytes", "Sizes.", NULL);
        CHILD_CHECK(g_lat && g_size);
        run_workers(observe_work, pr);
        check_registry_silent(reg, "latency_seconds");
        check_registry_silent(reg, "size_bytes");
        promc_registry_free(reg);
        promc_multiprocess_shutdown();
        _exit(0);
    }
    wait_ok(parent);
    /* Workers 0-2 did M each, worker 3 M / 2: multiples of 4, so each
     * bucket took a quarter. Worker 4 was killed anywhere. */
    long killed = atomic_load(&pr[WORKERS - 1].done);
    double full = 3.0 * M + M / 2;
    double count = sample(dir, "latency_seconds_count", &(promc_label){"path", "/x"}, 1);
    assert_true(count >= full + (double)killed && count <= full + (double)killed + 1);
    promc_label le[2] = {{"path", "/x"}, {"le", "0.5"}};
    double b05 = sample(dir, "latency_seconds_bucket", le, 2);
    assert_true(b05 >= full / 4 + (double)((killed + 3) / 4) &&
                b05 <= full / 4 + (double)((killed + 4) / 4));
    le[1].value = "+Inf";
    assert_true(sample(dir, "latency_seconds_bucket", le, 2) == count);
    double scount = sample(dir, "size_bytes_count", NULL, 0);
    assert_true(scount >= full + (double)killed && scount <= full + (double)killed + 1);
    double ssum = sample(dir, "size_bytes_sum", NULL, 0);
    assert_true(ssum >= 2 * scount - 2 && ssum <= 2 * scount + 2);
    assert_python_agrees(dir);
    munmap(pr, sizeof *pr * WORKERS);
    remove_dir(dir);
}

/* ------------------------------------------------------------------ */
/* Threads of one process                                               */
/* ------------------------------------------------------------------ */

#define THREADS 4
#define PER     50000

static promc_counter *t_counter, *t_child;
static promc_gauge *t_gauge;
static promc_histogram *t_hist;

static void *thread_work(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER; i++) {
        promc_counter_inc(t_counter);
        promc_counter_add(t_child, 0.25);
        promc_gauge_add(t_gauge, 2);
        promc_histogram_observe(t_hist, 1);
    }
    return NULL;
}

/* A process's threads update the same shared series: a CAS on the cell,
 * nothing lost. */
static void test_threads_share_cells(void **state)
{
    (void)state;
    char *dir = make_dir();
    pid_t parent = fork();
    assert_true(parent >= 0);
    if (parent == 0) {
        CHILD_CHECK(mp_init(dir, NULL) == PROMC_OK);
        promc_registry *reg = promc_registry_new();
        t_counter = promc_counter_new(reg, "t", "T.", NULL);
        promc_counter_vec *v = promc_counter_vec_new(reg, "tv", "T.", PROMC_LABELS("k"), NULL);
        t_child = v ? promc_counter_vec_labels(v, "x") : NULL;
        t_gauge = promc_gauge_new(reg, "tg", "T.", &(promc_metric_opts){.mp_mode = PROMC_MP_SUM});
        const double b[] = {1};
        t_hist = promc_histogram_new(reg, "th", "T.",
                                     &(promc_histogram_opts){.buckets = b, .nbuckets = 1});
        CHILD_CHECK(t_counter && t_child && t_gauge && t_hist);
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++)
            CHILD_CHECK(pthread_create(&t[i], NULL, thread_work, NULL) == 0);
        for (int i = 0; i < THREADS; i++)
            pthread_join(t[i], NULL);
        CHILD_CHECK(promc_counter_get(t_counter) == (double)THREADS * PER);
        promc_registry_free(reg);
        promc_multiprocess_shutdown();
        _exit(0);
    }
    wait_ok(parent);
    assert_true(sample(dir, "t_total", NULL, 0) == (double)THREADS * PER);
    assert_true(sample(dir, "tv_total", &(promc_label){"k", "x"}, 1) == 0.25 * THREADS * PER);
    assert_true(sample(dir, "tg", NULL, 0) == 2.0 * THREADS * PER);
    assert_true(sample(dir, "th_count", NULL, 0) == (double)THREADS * PER);
    assert_true(sample(dir, "th_sum", NULL, 0) == (double)THREADS * PER);
    remove_dir(dir);
}

/* ------------------------------------------------------------------ */
/* Refusals, and the normal mode untouched                               */
/* ------------------------------------------------------------------ */

static int value_one(void *userdata, double *value)
{
    (void)userdata;
    *value = 1;
    return PROMC_OK;
}

static bool refused_naming_mode(void)
{
    return promc_last_error_code() == PROMC_EINVAL && strstr(promc_last_error(), "multi-process");
}

static void test_refusals(void **state)
{
    (void)state;
    char *dir = make_dir();
    pid_t parent = fork();
    assert_true(parent >= 0);
    if (parent == 0) {
        /* Created before the mode: stays per process; asked for again in
         * the mode, it is another definition. */
        promc_registry *reg = promc_registry_new();
        CHILD_CHECK(promc_counter_new(reg, "early", "E.", NULL));
        CHILD_CHECK(mp_init(dir, NULL) == PROMC_OK);
        CHILD_CHECK(!promc_counter_new(reg, "early", "E.", NULL));
        CHILD_CHECK(promc_last_error_code() == PROMC_EEXIST);
        /* Native buckets: no format shared by processes. */
        promc_histogram_opts native = {.native_bucket_factor = 1.1};
        CHILD_CHECK(!promc_histogram_new(reg, "n_seconds", "N.", &native));
        CHILD_CHECK(refused_naming_mode());
        /* Quantiles of several processes cannot be merged. */
        promc_objective obj[] = {{0.5, 0.05}};
        promc_summary_opts so = {.objectives = obj, .nobjectives = 1};
        CHILD_CHECK(!promc_summary_new(reg, "q_seconds", "Q.", &so));
        CHILD_CHECK(refused_naming_mode());
        /* mp_mode is a gauge's, and must be a mode. */
        promc_metric_opts bad = {.mp_mode = PROMC_MP_SUM};
        CHILD_CHECK(!promc_counter_new(reg, "c_total", "C.", &bad));
        CHILD_CHECK(promc_last_error_code() == PROMC_EINVAL);
        CHILD_CHECK(!promc_enum_new(reg, "e", "E.", PROMC_LABELS("a", "b"), &bad));
        CHILD_CHECK(promc_last_error_code() == PROMC_EINVAL);
        CHILD_CHECK(!promc_info_new(reg, "i", "I.", &(promc_label){"v", "1"}, 1, &bad));
        CHILD_CHECK(promc_last_error_code() == PROMC_EINVAL);
        CHILD_CHECK(!promc_gauge_func_new(reg, "gf", "G.", value_one, NULL, NULL, &bad));
        CHILD_CHECK(promc_last_error_code() == PROMC_EINVAL);
        CHILD_CHECK(strstr(promc_last_error(), "gauge func \"gf\"") != NULL);
        promc_metric_opts worse = {.mp_mode = (promc_mp_mode)99};
        CHILD_CHECK(!promc_gauge_new(reg, "g", "G.", &worse));
        CHILD_CHECK(promc_last_error_code() == PROMC_EINVAL);
        /* "pid" is the label all-mode gauges get. */
        CHILD_CHECK(!promc_gauge_new(
            reg, "p", "P.",
            &(promc_metric_opts){.const_labels = &(promc_label){"pid", "1"}, .nconst_labels = 1}));
        CHILD_CHECK(promc_last_error_code() == PROMC_EINVAL);
        /* Exemplars and removals on shared series. */
        promc_counter_vec *cv = promc_counter_vec_new(reg, "c", "C.", PROMC_LABELS("k"), NULL);
        CHILD_CHECK(cv);
        promc_counter *c = promc_counter_vec_labels(cv, "a");
        CHILD_CHECK(c);
        CHILD_CHECK(promc_counter_inc_exemplar(c, &(promc_label){"trace", "1"}, 1) == PROMC_EINVAL);
        CHILD_CHECK(refused_naming_mode());
        CHILD_CHECK(promc_counter_get(c) == 0); /* the refused call did nothing */
        CHILD_CHECK(promc_counter_vec_remove(cv, "a") == PROMC_EINVAL && refused_naming_mode());
        CHILD_CHECK(promc_counter_vec_clear(cv) == PROMC_EINVAL && refused_naming_mode());
        size_t removed = 7;
        CHILD_CHECK(promc_counter_vec_remove_partial(cv, &(promc_label){"k", "a"}, 1, &removed) ==
                        PROMC_EINVAL &&
                    refused_naming_mode() && removed == 0);
        promc_counter_vec *view = promc_counter_vec_curry(cv, &(promc_label){"k", "a"}, 1);
        CHILD_CHECK(view);
        CHILD_CHECK(promc_counter_vec_clear(view) == PROMC_EINVAL && refused_naming_mode());
        promc_counter_vec_free(view);
        promc_gauge_vec *gv = promc_gauge_vec_new(reg, "gv", "G.", PROMC_LABELS("k"), NULL);
        CHILD_CHECK(gv && promc_gauge_vec_labels(gv, "a"));
        CHILD_CHECK(promc_gauge_vec_remove(gv, "a") == PROMC_EINVAL && refused_naming_mode());
        const double b[] = {1};
        promc_histogram_opts ho = {.buckets = b, .nbuckets = 1};
        promc_histogram *h = promc_histogram_new(reg, "h_seconds", "H.", &ho);
        CHILD_CHECK(h);
        CHILD_CHECK(promc_histogram_observe_exemplar(h, 1, &(promc_label){"trace", "1"}, 1) ==
                        PROMC_EINVAL &&
                    refused_naming_mode());
        promc_summary_vec *sv = promc_summary_vec_new(reg, "s", "S.", PROMC_LABELS("k"), NULL);
        CHILD_CHECK(sv && promc_summary_vec_labels(sv, "a"));
        CHILD_CHECK(promc_summary_vec_clear(sv) == PROMC_EINVAL && refused_naming_mode());
        /* A name the mode knows with another help: the file's key would
         * differ, so the series is refused. */
        CHILD_CHECK(promc_mp_counter_new("other", "One help.", NULL, 0));
        promc_registry *reg2 = promc_registry_new();
        CHILD_CHECK(!promc_counter_new(reg2, "other", "Another help.", NULL));
        CHILD_CHECK(promc_last_error_code() == PROMC_EEXIST);
        promc_registry_free(reg2);
        promc_registry_free(reg);
        promc_multiprocess_shutdown();
        _exit(0);
    }
    wait_ok(parent);
    remove_dir(dir);
}

/* The metrics server's own metrics describe the serving process: created
 * in the mode, they stay normal metrics that its registry serves. */
static void test_server_metrics_stay_per_process(void **state)
{
    (void)state;
    char *dir = make_dir();
    pid_t parent = fork();
    assert_true(parent >= 0);
    if (parent == 0) {
        CHILD_CHECK(mp_init(dir, NULL) == PROMC_OK);
        promc_registry *reg = promc_registry_new();
        promc_http_server *srv = promc_http_server_new(reg, "127.0.0.1:0", NULL);
        CHILD_CHECK(srv);
        char *text = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, NULL);
        CHILD_CHECK(text && strstr(text, "# TYPE promc_http_requests_in_flight gauge") &&
                    strstr(text, "# TYPE promc_http_requests_total counter"));
        promc_free(text);
        CHILD_CHECK(promc_http_server_free(srv) == PROMC_OK);
        /* A gauge the program creates next is shared again. */
        CHILD_CHECK(promc_gauge_new(reg, "mine", "M.", NULL));
        text = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, NULL);
        CHILD_CHECK(text && !strstr(text, "mine"));
        promc_free(text);
        promc_registry_free(reg);
        promc_multiprocess_shutdown();
        _exit(0);
    }
    wait_ok(parent);
    assert_true(isnan(sample(dir, "promc_http_requests_in_flight", NULL, 0)));
    remove_dir(dir);
}

/* Series that outlive the mode (a library's metrics used after
 * promc_multiprocess_shutdown) keep working: their updates stay in the
 * process, the files keep what they had. */
static void test_series_after_shutdown(void **state)
{
    (void)state;
    char *dir = make_dir();
    pid_t parent = fork();
    assert_true(parent >= 0);
    if (parent == 0) {
        CHILD_CHECK(mp_init(dir, NULL) == PROMC_OK);
        promc_registry *reg = promc_registry_new();
        promc_counter *c = promc_counter_new(reg, "late", "L.", NULL);
        promc_gauge *g = promc_gauge_new(reg, "late_g", "L.", NULL);
        const double b[] = {1};
        promc_histogram *h = promc_histogram_new(
            reg, "late_h", "L.", &(promc_histogram_opts){.buckets = b, .nbuckets = 1});
        promc_summary *su = promc_summary_new(reg, "late_s", "L.", NULL);
        promc_mp_counter *mc = promc_mp_counter_new("late_mp", "L.", NULL, 0);
        CHILD_CHECK(c && g && h && su && mc);
        promc_counter_inc(c);
        promc_multiprocess_shutdown();
        promc_counter_inc(c);
        promc_counter_add(c, 0.5);
        promc_gauge_set(g, 3);
        promc_histogram_observe(h, 0.5);
        promc_summary_observe(su, 1);
        promc_mp_counter_inc(mc);
        CHILD_CHECK(promc_gauge_get(g) == 3);
        /* The mode again, in the same directory: new series, the old
         * handles still apart. */
        CHILD_CHECK(mp_init(dir, NULL) == PROMC_OK);
        promc_counter *again = promc_counter_new(promc_registry_new(), "late", "L.", NULL);
        CHILD_CHECK(again && again != c);
        promc_counter_add(again, 10);
        promc_counter_inc(c);
        promc_registry_free(reg);
        promc_multiprocess_shutdown();
        _exit(0);
    }
    wait_ok(parent);
    assert_true(sample(dir, "late_total", NULL, 0) == 11);
    assert_true(sample(dir, "late_mp_total", NULL, 0) == 0);
    assert_true(sample(dir, "late_h_count", NULL, 0) == 0);
    assert_true(sample(dir, "late_s_count", NULL, 0) == 0);
    remove_dir(dir);
}

/* A shared series gets its labels from the child's values text and the
 * family's constant labels: escapes undone, constants last. */
static void test_labels_and_constants_reach_the_files(void **state)
{
    (void)state;
    char *dir = make_dir();
    pid_t parent = fork();
    assert_true(parent >= 0);
    if (parent == 0) {
        CHILD_CHECK(mp_init(dir, NULL) == PROMC_OK);
        promc_registry *reg = promc_registry_new();
        promc_metric_opts o = {.const_labels = &(promc_label){"zone", "eu \"1\""},
                               .nconst_labels = 1};
        promc_counter_vec *cv = promc_counter_vec_new(reg, "lab", "L.", PROMC_LABELS("a", "b"), &o);
        CHILD_CHECK(cv);
        promc_counter_add(promc_counter_vec_labels(cv, "x\\", "q\"\n"), 2);
        promc_counter_add(promc_counter_vec_labels(cv, "", "\\\""), 3);
        promc_registry_free(reg);
        promc_counter_vec_free(cv);
        _exit(0);
    }
    wait_ok(parent);
    promc_label l1[] = {{"a", "x\\"}, {"b", "q\"\n"}, {"zone", "eu \"1\""}};
    promc_label l2[] = {{"a", ""}, {"b", "\\\""}, {"zone", "eu \"1\""}};
    assert_true(sample(dir, "lab_total", l1, 3) == 2);
    assert_true(sample(dir, "lab_total", l2, 3) == 3);
    assert_python_agrees(dir);
    remove_dir(dir);
}

/* Without the mode (never turned on, or after shutdown) the same calls
 * make normal metrics: served by their registry, removable, no files. */
static void test_normal_mode_unaffected(void **state)
{
    (void)state;
    char *dir = make_dir();
    pid_t parent = fork();
    assert_true(parent >= 0);
    if (parent == 0) {
        CHILD_CHECK(mp_init(dir, NULL) == PROMC_OK);
        promc_multiprocess_shutdown();
        promc_registry *reg = promc_registry_new();
        promc_counter_vec *cv = promc_counter_vec_new(reg, "c", "C.", PROMC_LABELS("k"), NULL);
        promc_counter *c = cv ? promc_counter_vec_labels(cv, "a") : NULL;
        CHILD_CHECK(c);
        promc_counter_inc(c);
        CHILD_CHECK(promc_counter_inc_exemplar(c, &(promc_label){"trace", "1"}, 1) == PROMC_OK);
        promc_histogram_opts native = {.native_bucket_factor = 1.1};
        CHILD_CHECK(promc_histogram_new(reg, "n_seconds", "N.", &native));
        double v = 0;
        CHILD_CHECK(promc_registry_get_sample_value(reg, "c_total", &(promc_label){"k", "a"}, 1,
                                                    &v) == PROMC_OK &&
                    v == 2);
        CHILD_CHECK(promc_counter_vec_remove(cv, "a") == PROMC_OK);
        promc_registry_free(reg);
        _exit(0);
    }
    wait_ok(parent);
    /* Nothing was written. */
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    int files = 0;
    while ((de = readdir(d)))
        files += de->d_name[0] != '.';
    closedir(d);
    assert_int_equal(files, 0);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counters_across_workers),
        cmocka_unit_test(test_gauge_modes_across_workers),
        cmocka_unit_test(test_mostrecent_across_workers),
        cmocka_unit_test(test_histograms_and_summaries_across_workers),
        cmocka_unit_test(test_threads_share_cells),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_labels_and_constants_reach_the_files),
        cmocka_unit_test(test_server_metrics_stay_per_process),
        cmocka_unit_test(test_series_after_shutdown),
        cmocka_unit_test(test_normal_mode_unaffected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
