/*
 * Curried views of a labelled family (curry.c): some label values fixed
 * once, the others passed at each lookup. A *_vec handle is either a family
 * (struct promc_metric) or a view (struct promc__view); both start with an
 * ops pointer, and a view's is &promc__view_ops.
 */
#ifndef PROMC_CURRY_H
#define PROMC_CURRY_H

#include <stdbool.h>
#include <stddef.h>

#include "metric.h"

struct promc__view {
    const struct promc__ops *ops; /* &promc__view_ops; first, as a family's ops */
    struct promc_metric *family;  /* a reference of the view's own */
    size_t nlabels;               /* the family's */
    size_t nfree;                 /* label values a lookup through the view passes */
    size_t *free_index;           /* their places among the family's label names */
    /* One slot a label name of the family: the fixed value (the view's own
     * copy), NULL for a label left free. */
    const char **values;
};

/* The ops of no family: what marks a view. */
extern const struct promc__ops promc__view_ops;

/* Whether a *_vec handle (not NULL) is a view: both structs start with the
 * ops pointer, which a pointer to either may be read as (C11 6.7.2.1). */
static inline bool promc__is_view(const void *vec)
{
    return *(const struct promc__ops *const *)vec == &promc__view_ops;
}

/* A view of vec (a family or a view, not NULL) with these label values
 * fixed besides those vec fixes; fn names the public call in messages.
 * Errors: NULL with PROMC_EINVAL (NULL pairs, an unknown, repeated or
 * already fixed name, a value that is not UTF-8), PROMC_ENOMEM. */
struct promc__view *promc__view_new(void *vec, const promc_label *fixed, size_t n, const char *fn);
/* Releases the view and its reference to the family. NULL is a no-op. */
void promc__view_free(struct promc__view *v);
/* The child for the free values, in order (n of them). Errors as
 * promc__family_labels, and PROMC_EINVAL for a wrong count. */
struct promc__child *promc__view_labels(struct promc__view *v, const char *const *values, size_t n,
                                        const char *fn);
/* Removes the child of the free values; as promc__family_remove. */
int promc__view_remove(struct promc__view *v, const char *const *values, size_t n, const char *fn);

#endif
