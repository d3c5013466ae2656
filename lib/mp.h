/*
 * What the multi-process modules share (mp.c owns the state): the mode
 * names, in client_python's spelling, and the directory in use.
 */
#ifndef PROMC_MP_H
#define PROMC_MP_H

#include "promc.h"

/* "all", "liveall", ... "livemostrecent" for a valid mode; NULL
 * otherwise. */
const char *promc__mp_mode_name(promc_mp_mode mode);
/* Whether a gauge mode takes the value set last (MOSTRECENT and its LIVE
 * variant): the modes that need a timestamp per value. */
bool promc__mp_mode_recent(promc_mp_mode mode);
/* A copy of the directory promc_multiprocess_init chose, or NULL (the
 * caller frees it). */
char *promc__mp_dir(void);
/* Whether promc_multiprocess_init turned the mode on (and no shutdown
 * since): metrics created now are shared families (mp_series.h). */
bool promc__mp_active(void);
/* Between promc__mp_private(true) and promc__mp_private(false) (nested
 * calls count), the calling thread creates normal metrics even in the
 * mode: the library's own metrics that describe this process (the metrics
 * server's), not the process group. */
void promc__mp_private(bool on);
/* This process's value of a series, read from its file cell. */
double promc__mp_counter_value(const promc_mp_counter *c);
/* Adds v to a counter's cell without touching the error record: the
 * shared families' hot paths (mp_series.h). */
void promc__mp_counter_add(promc_mp_counter *c, double v);
double promc__mp_gauge_value(const promc_mp_gauge *g);

#endif

/* mp_collect.c: the directory a NULL dir argument means -- the one of
 * promc_multiprocess_init, else PROMETHEUS_MULTIPROC_DIR -- as a copy the
 * caller frees; NULL with PROMC_EINVAL or PROMC_ENOMEM recorded. */
char *promc__mp_resolve_dir(const char *dir);
