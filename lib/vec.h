/*
 * The shared bodies of the typed *_vec_* public wrappers (vec.c): the same
 * for every metric type, for a handle that is a family or a curried view of
 * one. fn names the public call in messages.
 */
#ifndef PROMC_VEC_H
#define PROMC_VEC_H

#include <stddef.h>

#include "promc.h"

void *promc__vec_labels(void *vec, const char *const *values, size_t n, const char *fn);
int promc__vec_remove(void *vec, const char *const *values, size_t n, const char *fn);
int promc__vec_clear(void *vec, const char *fn);
/* The family as a metric; NULL for NULL and for a view. */
promc_metric *promc__vec_metric(void *vec);
/* Releases the caller's reference to a family, or a view. */
int promc__vec_free(void *vec);
void *promc__vec_curry(void *vec, const promc_label *fixed, size_t n, const char *fn);
int promc__vec_remove_partial(void *vec, const promc_label *match, size_t n, size_t *removed,
                              const char *fn);

#endif
