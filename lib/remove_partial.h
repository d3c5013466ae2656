/*
 * Partial-match removal (remove_partial.c): detaching every child of a
 * family whose labels include given values, as client_golang's
 * DeletePartialMatch does.
 */
#ifndef PROMC_REMOVE_PARTIAL_H
#define PROMC_REMOVE_PARTIAL_H

#include <stddef.h>

#include "metric.h"

/* Removes every live child whose values equal want[i] wherever want[i] is
 * not NULL (want has one slot a label name); *removed gets how many. */
int promc__remove_matching(struct promc_metric *m, const char *const *want, size_t *removed);

/* Removes every live child whose labels include the n pairs of match and
 * the values fixed[] holds (one slot a label name, NULL where not fixed;
 * fixed itself may be NULL); *removed (if not NULL) gets how many, 0 on
 * failure. fn names the public call in messages.
 * Errors: PROMC_EINVAL (no pairs, NULL pairs, a NULL name or value, an
 * unknown or repeated name, one fixed already, a value not UTF-8),
 * PROMC_ENOMEM, PROMC_ESTATE (as promc__family_remove). */
int promc__remove_partial(struct promc_metric *m, const char *const *fixed,
                          const promc_label *match, size_t n, size_t *removed, const char *fn);

#endif
