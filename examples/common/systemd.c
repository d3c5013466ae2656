/*
 * The sockets systemd hands a socket-activated service, found as
 * sd_listen_fds(3) finds them: LISTEN_PID names the process they are for
 * (so that a child that inherited the environment does not take them),
 * LISTEN_FDS how many there are, from descriptor 3 on. No libsystemd: the
 * exporters depend on libc alone.
 */
#include "systemd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A whole decimal number in 1..max; -1 otherwise. */
static long parse_positive(const char *s, long max)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 1 || v > max)
        return -1;
    return v;
}

static void unset_all(void)
{
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
}

static int fail(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    unset_all();
    return -1;
}

int ex_systemd_listen_fds(const char **why)
{
    const char *pid_text = getenv("LISTEN_PID");
    const char *fds_text = getenv("LISTEN_FDS");
    if (!pid_text || !fds_text) {
        unset_all();
        return 0;
    }
    long pid = parse_positive(pid_text, LONG_MAX);
    if (pid < 0)
        return fail(why, "LISTEN_PID is not a process id");
    if ((pid_t)pid != getpid()) {
        unset_all(); /* they were meant for another process */
        return 0;
    }
    if (strcmp(fds_text, "0") == 0) {
        unset_all();
        return 0;
    }
    long n = parse_positive(fds_text, INT_MAX - EX_SYSTEMD_FIRST_FD);
    if (n < 0)
        return fail(why, "LISTEN_FDS is not a count");
    for (long i = 0; i < n; i++) {
        int fd = EX_SYSTEMD_FIRST_FD + (int)i;
        int flags = fcntl(fd, F_GETFD);
        if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0)
            return fail(why, "LISTEN_FDS names a descriptor that is not open");
    }
    unset_all();
    return (int)n;
}
