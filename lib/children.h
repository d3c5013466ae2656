/*
 * The children of a family (children.c): lookup by label values, removal
 * that only detaches, reclaiming detached ones, and the walk a scrape makes.
 */
#ifndef PROMC_CHILDREN_H
#define PROMC_CHILDREN_H

#include <stddef.h>
#include <stdint.h>

#include "metric.h"

/* Child lookup by label values (the warm path), creating or reattaching it
 * when needed; records the outcome as the thread's last error. */
struct promc__child *promc__family_labels(struct promc_metric *m, const char *const *values,
                                          size_t n);
/* Detaches the live child with these values. */
int promc__family_remove(struct promc_metric *m, const char *const *values, size_t n);
/* Detaches every child. */
int promc__family_clear(struct promc_metric *m);
/* Whether a live child is one to remove (called under the write lock: it
 * may read the child's values text, and must call no promc function). */
typedef bool (*promc__child_match_fn)(const struct promc_metric *m, const struct promc__child *c,
                                      void *ctx);
/* Detaches every live child match accepts, as promc__family_remove does
 * one; *removed gets how many (0 on failure). */
int promc__family_remove_if(struct promc_metric *m, promc__child_match_fn match, void *ctx,
                            size_t *removed);
/* Frees the detached children. */
int promc__family_reclaim(struct promc_metric *m);
/* The number of live children. */
size_t promc__family_live(const struct promc_metric *m);
/* The labels view of a child for a sink: its label body (name="escaped",
 * ..., the constant labels last) written to buf, which has room for
 * promc__child_labels_size(c) bytes (metric.h), or the family's own text
 * when the child has no values. values NULL: sinks read them from the
 * body. */
struct promc__labels promc__child_labels(const struct promc__child *c, char *buf);
/* Writes the family header and every live child to the sink. */
void promc__family_collect(struct promc_metric *m, struct promc__sink *s);
/* A new child (not yet in the table or list) for these values (NULL for an
 * unlabelled family); records an error and returns NULL on failure. */
struct promc__child *promc__child_new(struct promc_metric *m, const char *const *values,
                                      uint32_t hash);
void promc__child_free(struct promc_metric *m, struct promc__child *c);
/* Appends a new child to the creation-order list (the caller counts it
 * live: nlive). */
void promc__child_append(struct promc_metric *m, struct promc__child *c);
/* Frees every child and the table. */
void promc__children_free(struct promc_metric *m);

/* The closing quote of the escaped label value at p, in a values text
 * that ends at end (promc__child_values, rendered_len bytes). */
const char *promc__value_end(const char *p, const char *end);

/* Compares raw with the escaped label value at *pp (just after its opening
 * quote, or in a values text); when equal, advances *pp past the closing
 * quote. */
bool promc__escaped_equal(const char **pp, const char *raw);

/* A new family id (families of collectors too). */
uint64_t promc__new_family_id(void);

#endif
