/*
 * What the multi-process modules share (mp.c owns the state): the mode
 * names, in client_python's spelling, and the directory in use.
 */
#ifndef PROMC_MP_H
#define PROMC_MP_H

#include "promc.h"

/* "all", "liveall", ... for a valid mode; NULL otherwise. */
const char *promc__mp_mode_name(promc_mp_mode mode);
/* A copy of the directory promc_multiprocess_init chose, or NULL (the
 * caller frees it). */
char *promc__mp_dir(void);

#endif

/* mp_collect.c: the directory a NULL dir argument means -- the one of
 * promc_multiprocess_init, else PROMETHEUS_MULTIPROC_DIR -- as a copy the
 * caller frees; NULL with PROMC_EINVAL or PROMC_ENOMEM recorded. */
char *promc__mp_resolve_dir(const char *dir);
