/*
 * systemd socket activation for the exporters, without libsystemd: the
 * LISTEN_PID / LISTEN_FDS protocol of sd_listen_fds(3), read by hand.
 */
#ifndef EX_SYSTEMD_H
#define EX_SYSTEMD_H

/* The first descriptor systemd passes (SD_LISTEN_FDS_START). */
#define EX_SYSTEMD_FIRST_FD 3

/* The number of sockets systemd passed to this process: descriptors
 * EX_SYSTEMD_FIRST_FD onwards, each then made close-on-exec. 0 when there
 * are none for this process (LISTEN_PID unset or another process's, as
 * after a fork, or LISTEN_FDS unset). LISTEN_PID, LISTEN_FDS and
 * LISTEN_FDNAMES are unset either way, so that no child takes the sockets
 * for its own. -1 with *why (static text) when a variable is malformed or a
 * descriptor it names is not open.
 *
 * Thread safety: changes the environment; call it once, from main, before
 * starting threads. */
int ex_systemd_listen_fds(const char **why);

#endif /* EX_SYSTEMD_H */
