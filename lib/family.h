/*
 * Families (family.c): creating one (validating and copying its name, help,
 * unit and label names), its references, the sample names it claims, and the
 * shared bodies of the typed public wrappers.
 */
#ifndef PROMC_FAMILY_H
#define PROMC_FAMILY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "children.h"
#include "metric.h"

/* Creates a family, unregistered: validates name (already folded), help,
 * unit and label names (reserved: a label name the type reserves beyond the
 * table's, or NULL; utf8: the names may be UTF-8) and constant labels, copies them. Without label
 * names (NULL or empty) the family is unlabelled and gets its one child at once. type_data belongs
 * to the family from the call on (ops->fini releases it, on failure too). */
struct promc_metric *promc__family_new(const struct promc__ops *ops, const char *name,
                                       const char *help, const char *const *label_names,
                                       const char *unit, size_t max_children, size_t child_size,
                                       const char *reserved, bool utf8,
                                       const promc_label *const_labels, size_t nconst,
                                       void *type_data);
/* A bare metric for a custom collector: name, help and claims only. */
struct promc_metric *promc__metric_new(const struct promc__ops *ops, const char *name,
                                       const char *help, const char *const *claims,
                                       void *type_data);

/* Takes and drops a reference; the last unref destroys the family. */
void promc__metric_ref(struct promc_metric *m);
void promc__metric_unref(struct promc_metric *m);
/* Releases the caller's reference (the public *_free): refuses a second
 * release the counts can see. */
int promc__metric_release(struct promc_metric *m);

/* The handle checks of the public wrappers: the family of a series handle,
 * or NULL with PROMC_EINVAL when it is NULL or a child of a labelled family
 * (what names the call in the message). */
struct promc_metric *promc__unlabelled_family(const void *series, const char *what);

/* The bodies of the typed public wrappers promc_counter_metric and
 * promc_counter_free, the same for every type (vec.c has the *_vec ones);
 * fn names the public call in messages. */
struct promc_metric *promc__series_metric(const void *series, const char *fn);
int promc__series_free(const void *series, const char *fn);

/* Builds a claim list from suffixes ("", "_total", ...) for base name. */
char **promc__claims_new(const char *base, const char *const *suffixes);
void promc__claims_free(char **claims);

/* Constant labels (promc_metric_opts.const_labels) of metric name: valid
 * names, each once, none of the nlabels variable label names nor reserved1
 * or reserved2 (either may be NULL); values UTF-8. PROMC_OK, or
 * PROMC_EINVAL recorded with a message naming the label. */
int promc__check_const_labels(const char *name, const char *const *label_names, size_t nlabels,
                              const promc_label *cl, size_t ncl, const char *reserved1,
                              const char *reserved2, bool utf8);

/* The value given for label name in a pair of m (curried views, partial
 * removal): PROMC_OK, or PROMC_EINVAL recorded for a NULL value or one that
 * is not valid UTF-8; fn names the public call. */
int promc__check_pair_value(const struct promc_metric *m, const char *name, const char *value,
                            const char *fn);

/* The place of the variable label called name among m's label names, or
 * SIZE_MAX when m has none of that name (constant labels are not looked at). */
static inline size_t promc__label_index(const struct promc_metric *m, const char *name)
{
    for (size_t i = 0; i < m->nlabels; i++)
        if (strcmp(m->label_names[i], name) == 0)
            return i;
    return SIZE_MAX;
}

#endif
