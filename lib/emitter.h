/*
 * Custom collectors inside the library (emitter.c): creating one without
 * registering it, for the public constructor (collector.c) and the process
 * collector (process.c).
 */
#ifndef PROMC_EMITTER_H
#define PROMC_EMITTER_H

#include <stdbool.h>

#include "promc.h"

struct promc_metric;
struct promc__wrap;

/* A collector metric, unregistered; its declared names may be UTF-8 when
 * utf8 says so (opts may be NULL). On failure (NULL, error recorded) free_fn
 * is not called: userdata stays the caller's. */
struct promc_metric *promc__collector_create(promc_collect_fn fn, void *userdata,
                                             void (*free_fn)(void *), const char *const *names,
                                             bool utf8, const promc_collector_opts *opts);
/* Gives a collector created through a wrapper the wrapper's prefix and
 * labels (w: a copy it owns from now on, promc__wrap_copy), applied to
 * every family and sample it emits. */
void promc__collector_wrap(struct promc_metric *m, struct promc__wrap *w);
/* The wrapper copy of a collector (NULL: created without one). */
const struct promc__wrap *promc__collector_wrap_of(const struct promc_metric *m);
/* Makes sure free_fn is not called when the collector is destroyed (for a
 * constructor whose registration failed: userdata goes back to the caller). */
void promc__collector_disarm(struct promc_metric *m);
/* Whether the registry of the collection em records takes UTF-8 names
 * (for a collector that checks names before emitting them). */
bool promc__emitter_utf8(const promc_emitter *em);

/* Records the calling thread's last error (code and message) as the failure
 * of the collection e records, as a refused emit call does, for code that
 * collects through an emitter (callback.c); returns code. */
int promc__emit_fail(promc_emitter *e, int code);

#endif
