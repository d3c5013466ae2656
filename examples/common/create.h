/*
 * Reporting a metric an exporter could not create, the same way in every
 * program. promc_last_error() describes only the most recent promc call that
 * can fail, so each creation is checked right after it, before the next one
 * overwrites its error.
 */
#ifndef EX_CREATE_H
#define EX_CREATE_H

/* Logs "cannot create metric <name>: <promc_last_error()>" at error level
 * and returns 1, the exit code, for use right after the failed call:
 *
 *     up = promc_gauge_new(NULL, "jenkins_up", "...", NULL);
 *     if (!up)
 *         return ex_metric_failed("jenkins_up");
 */
int ex_metric_failed(const char *name);

#endif /* EX_CREATE_H */
