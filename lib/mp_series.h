/*
 * Shared families (mp_series.c): the ordinary metric types created while
 * multi-process mode is on keep each child's values in the mode's files,
 * through the mp series (mp.c) of the same name, help and labels.
 */
#ifndef PROMC_MP_SERIES_H
#define PROMC_MP_SERIES_H

#include "metric.h"
#include "promc.h"

/* The mp series of child c of the shared family m, created (or found) in
 * this process's file: the family's name and help, its variable and
 * constant labels with the child's values. NULL with the error recorded
 * (PROMC_EINVAL, PROMC_EEXIST, PROMC_EIO, PROMC_ENOMEM, PROMC_ESTATE as
 * promc_mp_counter_new & co.). Called when the child is created. */
promc_mp_counter *promc__mp_shared_counter(struct promc_metric *m, struct promc__child *c);
promc_mp_gauge *promc__mp_shared_gauge(struct promc_metric *m, struct promc__child *c,
                                       promc_mp_mode mode);
promc_mp_histogram *promc__mp_shared_histogram(struct promc_metric *m, struct promc__child *c,
                                               const double *bounds, size_t nbounds);
promc_mp_summary *promc__mp_shared_summary(struct promc_metric *m, struct promc__child *c);

/* PROMC_EINVAL naming the call and the family: what fn asked for has no
 * meaning across processes (an exemplar, removing a series). */
int promc__mp_refuse(const struct promc_metric *m, const char *fn);

/* The child_series of a shared family: nothing. Scrapes of its registry
 * skip it (gather.c); the multi-process collector serves its series. */
void promc__mp_no_series(struct promc_metric *m, struct promc__child *c, struct promc__sink *s,
                         const struct promc__labels *ls);

/* PROMC_EINVAL when opts set mp_mode for a type that has no multi-process
 * mode of its own (all but gauges); PROMC_OK otherwise. */
int promc__mp_no_mode(const promc_metric_opts *opts, const char *what, const char *name);

#endif
