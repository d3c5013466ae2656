/*
 * systemd's LISTEN_PID / LISTEN_FDS protocol as examples/common/systemd.c
 * reads it by hand: sockets only for this process, malformed variables and
 * descriptors that are not open refused, the variables unset either way,
 * the sockets made close-on-exec. tests/integration/test_systemd_socket.py
 * runs the exporters under systemd-socket-activate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "systemd.h"

/* ------------------------------------------------------------------ */
/* LISTEN_FDS                                                          */
/* ------------------------------------------------------------------ */

static void set_listen_env(const char *pid, const char *fds)
{
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (pid)
        setenv("LISTEN_PID", pid, 1);
    if (fds)
        setenv("LISTEN_FDS", fds, 1);
    setenv("LISTEN_FDNAMES", "metrics", 1);
}

static void assert_env_cleared(void)
{
    assert_null(getenv("LISTEN_PID"));
    assert_null(getenv("LISTEN_FDS"));
    assert_null(getenv("LISTEN_FDNAMES"));
}

static char *own_pid(void)
{
    static char buf[32];
    snprintf(buf, sizeof buf, "%ld", (long)getpid());
    return buf;
}

static void expect_fds(const char *pid, const char *fds, int want, const char *why_part)
{
    set_listen_env(pid, fds);
    const char *why = NULL;
    int n = ex_systemd_listen_fds(&why);
    if (n != want)
        fail_msg("LISTEN_PID=%s LISTEN_FDS=%s: got %d, want %d (%s)", pid ? pid : "(unset)",
                 fds ? fds : "(unset)", n, want, why ? why : "");
    if (why_part && (!why || !strstr(why, why_part)))
        fail_msg("LISTEN_FDS=%s: reason \"%s\" lacks \"%s\"", fds ? fds : "", why ? why : "",
                 why_part);
    assert_env_cleared();
}

static void test_listen_fds(void **state)
{
    (void)state;
    /* Descriptor 3 is a socket, as systemd would pass it. */
    int sock = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(sock >= 0);
    if (sock != EX_SYSTEMD_FIRST_FD) {
        assert_int_equal(dup2(sock, EX_SYSTEMD_FIRST_FD), EX_SYSTEMD_FIRST_FD);
        close(sock);
    }
    int fd = EX_SYSTEMD_FIRST_FD;
    assert_int_equal(fcntl(fd, F_SETFD, 0), 0);

    expect_fds(NULL, NULL, 0, NULL);                /* not socket-activated */
    expect_fds(own_pid(), NULL, 0, NULL);           /* no count */
    expect_fds(NULL, "1", 0, NULL);                 /* no pid: not for us */
    expect_fds("1", "1", 0, NULL);                  /* another process's (init's) */
    expect_fds(own_pid(), "0", 0, NULL);            /* none */
    expect_fds("12x", "1", -1, "LISTEN_PID");       /* malformed */
    expect_fds("-5", "1", -1, "LISTEN_PID");        /* malformed */
    expect_fds(own_pid(), "one", -1, "LISTEN_FDS"); /* malformed */
    expect_fds(own_pid(), "-1", -1, "LISTEN_FDS");
    expect_fds(own_pid(), "99999999999999999999", -1, "LISTEN_FDS");
    /* 3 is open, but not all of 4..66: systemd would never say so. */
    expect_fds(own_pid(), "64", -1, "not open");

    expect_fds(own_pid(), "1", 1, NULL);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC); /* not leaked to children */
    /* The variables are gone: a second call (or a child) finds nothing. */
    assert_int_equal(ex_systemd_listen_fds(NULL), 0);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listen_fds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
