/*
 * The per-thread error record (error.c) every module writes through: the
 * code and message of the most recent call that can fail.
 */
#ifndef PROMC_ERROR_H
#define PROMC_ERROR_H

/* Records code and a printf-style message as the thread's last error and
 * returns code, so that `return promc__fail(PROMC_EINVAL, "...")` reads well.
 * Every public function that can fail ends in promc__fail or promc__ok. */
int promc__fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, for constructors: records and returns NULL. */
void *promc__fail_null(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records success as the thread's last error: PROMC_OK and "". Returns
 * PROMC_OK. */
int promc__ok(void);

#endif
