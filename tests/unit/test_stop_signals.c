/*
 * Stopping on SIGTERM and SIGINT (promc_stop_signals_block,
 * promc_stop_signal_wait): a child process serving metrics gets SIGTERM and
 * ends cleanly, its final textfile and push whole; and the wait's own
 * contract (timeouts, a signal already pending, one sent to the process
 * while other threads run, the errors).
 */
#include "promc_http.h"

#include "helpers.h"
#include "raw_http.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the child's registry holds at the end: its work, and the signal. */
static const char final_text[] = "# HELP jobs_done_total Jobs done.\n"
                                 "# TYPE jobs_done_total counter\n"
                                 "jobs_done_total 3\n"
                                 "# HELP stopped_by_signal The signal that stopped the program.\n"
                                 "# TYPE stopped_by_signal gauge\n"
                                 "stopped_by_signal 15\n";

/* The program under test, in the pattern docs/HTTP.md shows: block the
 * signals first, serve, wait, then stop the server and flush. Reads the
 * gateway's port from in, writes its own port to out. */
static int child_main(int in, int out, const char *textfile)
{
    if (promc_stop_signals_block() != PROMC_OK)
        return 10;
    promc_registry *reg = promc_registry_new();
    promc_counter *jobs = promc_counter_new(reg, "jobs_done_total", "Jobs done.", NULL);
    promc_gauge *stopped =
        promc_gauge_new(reg, "stopped_by_signal", "The signal that stopped the program.", NULL);
    promc_http_opts o = {.disable_self_metrics = 1};
    promc_http_server *srv = promc_http_server_new(reg, "127.0.0.1:0", &o);
    if (!reg || !jobs || !stopped || !srv)
        return 11;
    int gateway_port = 0, port = promc_http_server_port(srv);
    if (read(in, &gateway_port, sizeof gateway_port) != sizeof gateway_port ||
        write(out, &port, sizeof port) != sizeof port)
        return 12;
    int sig;
    while ((sig = promc_stop_signal_wait(0.01)) == 0)
        if (promc_counter_get(jobs) < 3)
            promc_counter_inc(jobs);
    if (sig < 0)
        return 13;
    if (promc_http_server_free(srv) != PROMC_OK)
        return 14;
    promc_gauge_set(stopped, sig);
    char gateway[64];
    snprintf(gateway, sizeof gateway, "http://127.0.0.1:%d", gateway_port);
    if (promc_textfile_write(reg, textfile) != PROMC_OK || promc_push(reg, gateway, "job", NULL))
        return 15;
    promc_counter_free(jobs);
    promc_gauge_free(stopped);
    promc_registry_free(reg);
    return 0;
}

/* The parent's stand-in for a Pushgateway: keeps the last PUT's body. */
static struct {
    pthread_mutex_t mu;
    char body[4096];
    char path[256];
    int puts;
} gw = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void gateway(void *ud, const promc_http_request *req, promc_http_response *resp)
{
    (void)ud;
    size_t len;
    const char *body = promc_http_request_body(req, &len);
    pthread_mutex_lock(&gw.mu);
    if (strcmp(promc_http_request_method(req), "PUT") == 0) {
        snprintf(gw.body, sizeof gw.body, "%.*s", (int)len, body);
        snprintf(gw.path, sizeof gw.path, "%s", promc_http_request_path(req));
        gw.puts++;
    }
    pthread_mutex_unlock(&gw.mu);
    resp->status = 200;
}

static void test_sigterm_flushes_final_push_and_textfile(void **state)
{
    (void)state;
    char dir[] = "/tmp/promc_stop_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char textfile[64];
    snprintf(textfile, sizeof textfile, "%s/final.prom", dir);
    int to_child[2], from_child[2];
    assert_int_equal(pipe(to_child), 0);
    assert_int_equal(pipe(from_child), 0);
    /* Forked before this process starts any thread. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(to_child[1]);
        close(from_child[0]);
        _exit(child_main(to_child[0], from_child[1], textfile));
    }
    close(to_child[0]);
    close(from_child[1]);

    promc_http_opts o = {.disable_metrics = 1, .request_handler = gateway};
    promc_http_server *gws = promc_http_server_new(NULL, "127.0.0.1:0", &o);
    assert_non_null(gws);
    int gateway_port = promc_http_server_port(gws), port = 0;
    assert_int_equal(write(to_child[1], &gateway_port, sizeof gateway_port), sizeof gateway_port);
    assert_int_equal(read(from_child[0], &port, sizeof port), sizeof port);

    /* Serving: a scrape, then SIGTERM once the work is done. */
    response r;
    for (int64_t deadline = mono_ms() + WAIT_MS;; sleep_ms(10)) {
        request(port, GET("/metrics"), &r);
        assert_int_equal(r.status, 200);
        bool done = strstr(r.body, "jobs_done_total 3\n") != NULL;
        resp_free(&r);
        if (done)
            break;
        assert_true(mono_ms() < deadline);
    }
    assert_int_equal(kill(pid, SIGTERM), 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    char *text = test_read_file(textfile);
    assert_non_null(text);
    assert_string_equal(text, final_text);
    free(text);
    pthread_mutex_lock(&gw.mu);
    assert_int_equal(gw.puts, 1);
    assert_string_equal(gw.path, "/metrics/job/job");
    assert_string_equal(gw.body, final_text);
    pthread_mutex_unlock(&gw.mu);
    /* The server stopped: nothing listens on its port any more. */
    assert_int_equal(connect_ip(AF_INET, "127.0.0.1", port), -1);

    promc_http_server_free(gws);
    unlink(textfile);
    rmdir(dir);
    close(to_child[1]);
    close(from_child[0]);
}

static void test_wait_errors_before_block(void **state)
{
    (void)state;
    /* Not blocked yet: a signal could go elsewhere. */
    assert_int_equal(promc_stop_signal_wait(0), PROMC_ESTATE);
    assert_int_equal(promc_last_error_code(), PROMC_ESTATE);
    assert_non_null(strstr(promc_last_error(), "promc_stop_signals_block"));
    assert_int_equal(promc_stop_signals_block(), PROMC_OK);
    assert_int_equal(promc_stop_signals_block(), PROMC_OK); /* again: harmless */
    assert_int_equal(promc_stop_signal_wait(NAN), PROMC_EINVAL);
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
}

static void *send_sigint_later(void *arg)
{
    (void)arg;
    sleep_ms(50);
    kill(getpid(), SIGINT); /* to the process: any thread blocking it may take it */
    return NULL;
}

static void test_wait(void **state)
{
    (void)state;
    assert_int_equal(promc_stop_signals_block(), PROMC_OK);
    /* Nothing pending: 0 at once, or after the timeout. */
    assert_int_equal(promc_stop_signal_wait(0), 0);
    assert_int_equal(promc_last_error_code(), PROMC_OK);
    int64_t t0 = mono_ms();
    assert_int_equal(promc_stop_signal_wait(0.1), 0);
    int64_t waited = mono_ms() - t0;
    assert_true(waited >= 95 && waited < 5000);
    /* A signal already pending is taken at once. */
    raise(SIGTERM);
    assert_int_equal(promc_stop_signal_wait(-1), SIGTERM);
    assert_int_equal(promc_stop_signal_wait(0), 0);
    /* One sent to the process while another thread runs (it inherited the
     * mask): taken by the waiter, which waits for ever. */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_sigint_later, NULL), 0);
    assert_int_equal(promc_stop_signal_wait(INFINITY), SIGINT);
    pthread_join(t, NULL);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        /* First: it forks, and no thread may run yet. */
        cmocka_unit_test(test_sigterm_flushes_final_push_and_textfile),
        cmocka_unit_test(test_wait_errors_before_block),
        cmocka_unit_test(test_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
