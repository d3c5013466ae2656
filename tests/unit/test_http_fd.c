/*
 * promc_http_server_new_fd: serving on a socket the program already has
 * (systemd socket activation, a Unix socket). A TCP listener and a Unix one
 * serve scrapes; every descriptor that is not a listening stream socket is
 * refused with PROMC_EINVAL and left open; the server closes the one it
 * was given when freed.
 */
#include "promc_http.h"

#include "helpers.h"
#include "raw_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A TCP socket bound to 127.0.0.1 on a free port; listening if asked. */
static int tcp_socket(bool listening, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    if (listening)
        assert_int_equal(listen(fd, 16), 0);
    socklen_t sl = sizeof sin;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
    if (port)
        *port = ntohs(sin.sin_port);
    return fd;
}

static bool fd_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

/* GET /metrics over c: the status, and whether the body holds want. */
static int scrape(client *c, const char *want)
{
    cli_send_str(c, GET("/metrics"));
    response r = {0};
    expect_response(c, &r, false);
    int status = r.status;
    if (want && !strstr(r.body, want))
        fail_msg("the scrape lacks \"%s\":\n%s", want, r.body);
    resp_free(&r);
    return status;
}

static promc_registry *registry_with_counter(promc_counter **counter)
{
    promc_registry *reg = promc_registry_new();
    assert_non_null(reg);
    *counter = promc_counter_new(reg, "activated", "Requests.", NULL);
    assert_non_null(*counter);
    promc_counter_add(*counter, 7);
    return reg;
}

static void test_tcp_listener(void **state)
{
    (void)state;
    promc_counter *counter;
    promc_registry *reg = registry_with_counter(&counter);
    int port;
    int fd = tcp_socket(true, &port);
    promc_http_server *srv = promc_http_server_new_fd(reg, fd, NULL);
    if (!srv)
        fail_msg("promc_http_server_new_fd: %s", promc_last_error());
    assert_int_equal(promc_last_error_code(), PROMC_OK);
    assert_int_equal(promc_http_server_port(srv), port);
    /* Made non-blocking and close-on-exec, as the event loop needs. */
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    client c = cli_open(port);
    assert_int_equal(scrape(&c, "activated_total 7\n"), 200);
    /* The rest of the server is the usual one: health check, 404. */
    cli_send_str(&c, GET("/-/healthy"));
    response r = {0};
    expect_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cli_close(&c);
    assert_int_equal(promc_http_server_free(srv), PROMC_OK);
    /* The server owned the socket and closed it. */
    assert_false(fd_open(fd));
    assert_int_equal(promc_registry_free(reg), PROMC_OK);
    assert_int_equal(promc_counter_free(counter), PROMC_OK);
}

static void test_unix_listener(void **state)
{
    (void)state;
    promc_counter *counter;
    promc_registry *reg = registry_with_counter(&counter);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof sun.sun_path, "/tmp/promc-test-fd-%ld.sock", (long)getpid());
    unlink(sun.sun_path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
    assert_int_equal(listen(fd, 16), 0);
    promc_http_server *srv = promc_http_server_new_fd(reg, fd, NULL);
    if (!srv)
        fail_msg("promc_http_server_new_fd: %s", promc_last_error());
    assert_int_equal(promc_http_server_port(srv), 0); /* no port */
    int cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(cfd >= 0);
    assert_int_equal(connect(cfd, (struct sockaddr *)&sun, sizeof sun), 0);
    client c = cli_from_fd(cfd);
    assert_int_equal(scrape(&c, "activated_total 7\n"), 200);
    cli_close(&c);
    assert_int_equal(promc_http_server_free(srv), PROMC_OK);
    assert_false(fd_open(fd));
    unlink(sun.sun_path);
    assert_int_equal(promc_registry_free(reg), PROMC_OK);
    assert_int_equal(promc_counter_free(counter), PROMC_OK);
}

/* fd is refused with PROMC_EINVAL, a message containing why, and (when it
 * is open) stays open. */
static void expect_refused(int fd, const char *why)
{
    bool was_open = fd >= 0 && fd_open(fd);
    promc_http_server *srv = promc_http_server_new_fd(NULL, fd, NULL);
    if (srv)
        fail_msg("fd %d (%s) was accepted", fd, why);
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    if (!strstr(promc_last_error(), why))
        fail_msg("message \"%s\" does not say \"%s\"", promc_last_error(), why);
    if (was_open)
        assert_true(fd_open(fd));
}

static void test_refused(void **state)
{
    (void)state;
    expect_refused(-1, "negative");
    int spare = dup(2);
    assert_true(spare >= 0);
    close(spare); /* a number nothing has open now */
    expect_refused(spare, "not open");
    int file = open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true(file >= 0);
    expect_refused(file, "not a socket");
    close(file);
    int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(udp >= 0);
    expect_refused(udp, "not a stream socket");
    close(udp);
    int bound = tcp_socket(false, NULL);
    expect_refused(bound, "not listening");
    close(bound);
    /* A connected socket is a stream socket, but not a listener. */
    int port;
    int listener = tcp_socket(true, &port);
    int conn = connect_ip(AF_INET, "127.0.0.1", port);
    assert_true(conn >= 0);
    expect_refused(conn, "not listening");
    close(conn);
    close(listener);
}

/* An option error leaves the socket open and the caller's: the same fd then
 * serves with valid options. */
static void test_option_error_keeps_fd(void **state)
{
    (void)state;
    int port;
    int fd = tcp_socket(true, &port);
    promc_http_server *srv =
        promc_http_server_new_fd(PROMC_NO_REGISTRY, fd, &(promc_http_opts){.workers = 100000});
    assert_null(srv);
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_true(fd_open(fd));
    srv = promc_http_server_new_fd(PROMC_NO_REGISTRY, fd, NULL);
    assert_null(srv); /* PROMC_NO_REGISTRY without disable_metrics */
    assert_int_equal(promc_last_error_code(), PROMC_EINVAL);
    assert_true(fd_open(fd));
    srv = promc_http_server_new_fd(PROMC_NO_REGISTRY, fd, &(promc_http_opts){.disable_metrics = 1});
    if (!srv)
        fail_msg("promc_http_server_new_fd: %s", promc_last_error());
    client c = cli_open(port);
    assert_int_equal(scrape(&c, NULL), 404);
    cli_close(&c);
    assert_int_equal(promc_http_server_free(srv), PROMC_OK);
    assert_false(fd_open(fd));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_listener),
        cmocka_unit_test(test_unix_listener),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_option_error_keeps_fd),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    promc_shutdown();
    return failed;
}
