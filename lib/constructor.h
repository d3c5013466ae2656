/*
 * The steps every typed constructor shares (constructor.c).
 */
#ifndef PROMC_CONSTRUCTOR_H
#define PROMC_CONSTRUCTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "promc.h"

struct promc__ops;
struct promc__wrap;

struct promc__new_args {
    promc_registry *reg; /* as the user gave it */
    const struct promc__ops *ops;
    const char *name; /* as the user gave it: folded here */
    const char *help;
    const char *const *label_names; /* a vec's; NULL for an unlabelled metric */
    bool vec;                       /* a *_vec_new: at least one label name */
    const char *unit;
    size_t max_children;
    size_t child_size;
    const char *reserved;            /* a label name reserved beyond the type's, or NULL */
    bool utf8_names;                 /* UTF-8 names allowed even if reg does not say so */
    const promc_label *const_labels; /* the opts' constant labels */
    size_t nconst;
    /* A wrapper to apply when reg is PROMC_NO_REGISTRY (a constructor that
     * registers the metric itself later, as infos do); NULL: none. */
    const struct promc__wrap *wrap;
    bool reserve_name; /* the family's own (final) name is a reserved label name */
    void *type_data;   /* owned by the metric from the call on */
};

/* Resolves the registry (a wrapper: its prefix goes before the name, its
 * labels after the constant ones), folds the name (counter x_total -> x),
 * applies the registry's child limit and name rules (no registry: the
 * legacy grammars),
 * creates the family and registers it. Returns it,
 * or NULL with the error recorded (type_data released). */
struct promc_metric *promc__metric_create(const struct promc__new_args *a);

#endif
