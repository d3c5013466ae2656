/*
 * A pre-fork HTTP server: the parent binds one socket and forks workers that
 * accept on it, as Apache's prefork MPM does. Each worker counts the requests
 * it answers with the ordinary metric types, which promc's multi-process
 * mode turns into shared ones -- by method and status code, labels that do
 * not depend on the worker -- and the parent serves the
 * aggregate of all workers, live and dead, on /metrics. A worker that exits
 * (--max-requests, like MaxRequestsPerChild, or a crash) is marked dead, its
 * files compacted, and a new one forked.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "promc.h"
#include "promc_http.h"

#define MAX_WORKERS 64

/* What every worker counts; created in the parent before fork() (after
 * promc_multiprocess_init: shared), so the series exist at zero and the
 * workers use the same handles. */
static promc_counter *ok_get, *not_found, *not_implemented;
static promc_histogram *duration;
static promc_gauge *busy;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void answer(int fd, const char *status, const char *body)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, strlen(body));
    if (write(fd, head, (size_t)n) == n)
        (void)!write(fd, body, strlen(body));
}

/* One connection: one request, one answer. */
static void serve(int fd)
{
    char req[2048];
    size_t got = 0;
    while (got < sizeof req - 1) {
        ssize_t r = read(fd, req + got, sizeof req - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    req[got] = '\0';
    double start = now();
    promc_gauge_inc(busy);
    if (strncmp(req, "GET ", 4) != 0) {
        answer(fd, "501 Not Implemented", "only GET\n");
        promc_counter_inc(not_implemented);
    } else if (strncmp(req + 4, "/ ", 2) == 0) {
        char body[64];
        snprintf(body, sizeof body, "hello from worker %ld\n", (long)getpid());
        answer(fd, "200 OK", body);
        promc_counter_inc(ok_get);
    } else {
        answer(fd, "404 Not Found", "not found\n");
        promc_counter_inc(not_found);
    }
    promc_gauge_dec(busy);
    promc_histogram_observe(duration, now() - start);
}

static void worker(int lfd, long max_requests)
{
    /* The parent blocks the stop signals for its own threads; a worker
     * ends on SIGTERM (the parent stops the group) and ignores SIGINT. */
    signal(SIGINT, SIG_IGN);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
    for (long served = 0; max_requests == 0 || served < max_requests; served++) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        serve(fd);
        close(fd);
    }
    _exit(0);
}

static pid_t spawn(int lfd, long max_requests)
{
    pid_t pid = fork();
    if (pid == 0)
        worker(lfd, max_requests);
    return pid;
}

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 128) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static long flag(const char *arg, const char *name, long dflt)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) == 0 && arg[n] == '=')
        return strtol(arg + n + 1, NULL, 10);
    return dflt;
}

int main(int argc, char **argv)
{
    long app_port = 8080, metrics_port = 9000, nworkers = 4, max_requests = 0;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        app_port = flag(argv[i], "--app-port", app_port);
        metrics_port = flag(argv[i], "--metrics-port", metrics_port);
        nworkers = flag(argv[i], "--workers", nworkers);
        max_requests = flag(argv[i], "--max-requests", max_requests);
        if (strncmp(argv[i], "--dir=", 6) == 0)
            dir = argv[i] + 6;
        else if (strncmp(argv[i], "--", 2) != 0 || !strchr(argv[i], '=')) {
            fprintf(stderr, "usage: prefork_server [--app-port=8080] [--metrics-port=9000] "
                            "[--workers=4] [--max-requests=0] [--dir=DIR]\n");
            return 2;
        }
    }
    if (nworkers < 1 || nworkers > MAX_WORKERS || max_requests < 0) {
        fprintf(stderr, "prefork_server: --workers is 1..%d, --max-requests 0 or more\n",
                MAX_WORKERS);
        return 2;
    }
    /* A fresh directory of our own unless told: counts of an earlier run
     * must not leak into this one. */
    char tmpdir[] = "/tmp/prefork_server_XXXXXX";
    if (!dir && !(dir = mkdtemp(tmpdir))) {
        perror("prefork_server: mkdtemp");
        return 1;
    }
    if (promc_multiprocess_init(dir, NULL) != PROMC_OK) {
        fprintf(stderr, "prefork_server: %s\n", promc_last_error());
        return 1;
    }
    /* The ordinary API, in the default registry: in the mode, the series
     * live in the directory's files, and the default registry (served by
     * nobody here) leaves them to the multi-process collector. */
    promc_counter_vec *requests = promc_counter_vec_new(NULL, "http_requests", "Requests answered.",
                                                        PROMC_LABELS("method", "code"), NULL);
    ok_get = requests ? promc_counter_vec_labels(requests, "GET", "200") : NULL;
    not_found = requests ? promc_counter_vec_labels(requests, "GET", "404") : NULL;
    not_implemented = requests ? promc_counter_vec_labels(requests, "other", "501") : NULL;
    const double bounds[] = {0.0001, 0.001, 0.01, 0.1, 1};
    promc_histogram_opts hopts = {.buckets = bounds, .nbuckets = 5};
    duration =
        promc_histogram_new(NULL, "http_request_duration_seconds", "Time to answer.", &hopts);
    promc_metric_opts gopts = {.mp_mode = PROMC_MP_LIVESUM};
    busy = promc_gauge_new(NULL, "http_requests_in_progress", "Requests being answered.", &gopts);
    if (!ok_get || !not_found || !not_implemented || !duration || !busy) {
        fprintf(stderr, "prefork_server: %s\n", promc_last_error());
        return 1;
    }
    int lfd = listen_on((int)app_port);
    if (lfd < 0) {
        fprintf(stderr, "prefork_server: cannot listen on 127.0.0.1:%ld: %s\n", app_port,
                strerror(errno));
        return 1;
    }
    /* Before any thread (the server's): a stop signal then waits for
     * promc_stop_signal_wait below instead of landing on a server thread,
     * where it would not wake this one. */
    promc_stop_signals_block();
    pid_t pids[MAX_WORKERS];
    for (long i = 0; i < nworkers; i++)
        pids[i] = spawn(lfd, max_requests);

    /* The parent serves the aggregate; it answers no requests itself. */
    promc_registry *reg = promc_registry_new();
    promc_metric *agg = reg ? promc_multiprocess_collector_new(reg, dir) : NULL;
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%ld", metrics_port);
    promc_http_server *srv = agg ? promc_http_server_new(reg, addr, NULL) : NULL;
    bool stopping = false;
    if (!srv) {
        fprintf(stderr, "prefork_server: %s\n", promc_last_error());
        stopping = true;
    } else {
        fprintf(stderr,
                "prefork_server: %ld workers on 127.0.0.1:%ld, metrics on %s, files in %s\n",
                nworkers, app_port, addr, dir);
    }
    long restarts = 0;
    while (!stopping) {
        /* A stop signal, or every 100 ms the workers that ended. */
        if (promc_stop_signal_wait(0.1) != 0)
            break;
        int st;
        pid_t dead = waitpid(-1, &st, WNOHANG);
        if (dead <= 0)
            continue;
        char id[24];
        snprintf(id, sizeof id, "%ld", (long)dead);
        if (promc_multiprocess_mark_process_dead(dir, id) != PROMC_OK)
            fprintf(stderr, "prefork_server: %s\n", promc_last_error());
        for (long i = 0; i < nworkers; i++)
            if (pids[i] == dead) {
                pids[i] = spawn(lfd, max_requests);
                restarts++;
            }
    }
    for (long i = 0; i < nworkers; i++)
        kill(pids[i], SIGTERM);
    for (long i = 0; i < nworkers; i++)
        waitpid(pids[i], NULL, 0);
    promc_http_server_free(srv);
    promc_metric_free(agg);
    promc_registry_free(reg);
    promc_multiprocess_shutdown();
    close(lfd);
    fprintf(stderr, "prefork_server: stopped after %ld worker restarts\n", restarts);
    return srv ? 0 : 1;
}
