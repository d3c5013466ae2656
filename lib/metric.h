/*
 * The layout every metric type builds on: a family (struct promc_metric)
 * with its name, help, unit, label names and children, a child (struct
 * promc__child) with its label values, and the operations a type file
 * (counter.c, ...) provides. Only structures and small inline accessors are
 * here; family.c creates and destroys families, children.c manages their
 * children.
 */
#ifndef PROMC_METRIC_H
#define PROMC_METRIC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "promc.h"
#include "sink.h"

struct promc__scrape;          /* gather.h */
struct promc__collector_stats; /* gather.h */

struct promc__child {
    struct promc_metric *family;
    /* Creation order: every child, removed ones too. Written under the
     * family's write lock; read without it, inside a read section (grace.h),
     * by promc__family_live's count, so a child a reclaim unlinks keeps it
     * until it is freed. */
    _Atomic(struct promc__child *) next;
    /* The values' hash (30 bits) and the child's state in the two bits
     * above: PROMC__CHILD_REMOVED, not exported (handle still valid), and
     * with it PROMC__CHILD_BUSY, held by one thread that brings the child
     * back or frees it (children.c). One word, so a child stays 32 bytes;
     * every change of state is one atomic operation on it, none needs the
     * family's lock. */
    _Atomic uint32_t hash_removed;
    uint32_t rendered_len; /* of the values text that follows the type's struct */
    /* Set again when a removed child comes back, without the family's lock
     * (children.c), while a scrape may read it: read with
     * promc__child_created. */
    _Atomic double created;
};

#define PROMC__CHILD_REMOVED UINT32_C(0x80000000)
#define PROMC__CHILD_BUSY    UINT32_C(0x40000000)
#define PROMC__CHILD_HASH    UINT32_C(0x3FFFFFFF)

struct promc__table; /* child_table.h */

struct promc__ops {
    promc_type type;
    /* Prepares a freshly zeroed child (allocating what it needs). */
    int (*init_child)(struct promc_metric *m, struct promc__child *c);
    /* Zeroes a removed child that comes back (its values looked up again);
     * handles to it may be in use. NULL: nothing to zero. */
    void (*reset_child)(struct promc_metric *m, struct promc__child *c);
    /* Releases what init_child allocated (not the child itself). */
    void (*fini_child)(struct promc_metric *m, struct promc__child *c);
    /* Hands one child to the sink as a series; the family header is sent. */
    void (*child_series)(struct promc_metric *m, struct promc__child *c, struct promc__sink *s,
                         const struct promc__labels *ls);
    /* Custom collectors; when collect is set, it replaces the header +
     * child_series walk. start, for a scrape with a deadline, starts (or
     * joins) a collection ahead of the walk so that collectors run side by
     * side, and returns what collect gets as started (NULL: it failed, the
     * error is the scrape's). collect writes the family's output (waiting
     * for it as long as the scrape's deadline allows); abandon releases
     * what start returned when the walk stopped before collect. stats
     * reports for the library's promc_collector_* families. Errors go to
     * the scrape. */
    void *(*start)(struct promc_metric *m, struct promc__scrape *sc);
    void (*collect)(struct promc_metric *m, struct promc__scrape *sc, void *started);
    void (*abandon)(struct promc_metric *m, void *started);
    void (*stats)(struct promc_metric *m, struct promc__collector_stats *st);
    /* Releases the type's family data. */
    void (*fini)(struct promc_metric *m);
    /* Whether two families of this type have the same type data (buckets,
     * objectives, states...), for handing an existing metric back to a
     * constructor asked for the same one (definition.c). NULL: nothing to
     * compare. */
    bool (*same_data)(const struct promc_metric *a, const struct promc_metric *b);
    /* A shared family's ops (multi-process mode, mp_series.h): its values
     * are in the mode's files, so scrapes of its registry skip it (the
     * multi-process collector serves them) and its children cannot be
     * removed. */
    bool mp_shared;
};

struct promc_metric {
    const struct promc__ops *ops;
    atomic_size_t refs;   /* the caller's, each registry's, each running scrape's */
    atomic_size_t owners; /* callers' references among refs: the creator's, and one for
                             each constructor call that got this metric back */
    struct promc__desc desc;
    char *name, *help, *unit; /* owned copies behind desc */
    size_t nlabels;           /* the variable labels: the values a child is looked up by */
    size_t nconst;            /* constant labels, rendered after them on every child */
    char **label_names;       /* nlabels variable names, then nconst constant ones */
    size_t *label_name_len;   /* the same nlabels + nconst */
    char **const_values;      /* the nconst constant values, raw */
    /* A child's label body is pieces[piece_off[i]..piece_off[i + 1]) ([,]name=")
     * before each value i, then the tail from piece_off[nlabels] (a comma
     * when needed, then const_rendered: the constant labels, name="escaped",
     * ...); labels_extra is all of it, what a body adds to the values. */
    char *pieces;
    uint32_t *piece_off;
    const char *const_rendered; /* inside pieces; "" if none */
    size_t const_rendered_len;
    size_t labels_extra;
    size_t child_size; /* bytes of a child of this type, a multiple of 8 */

    uint64_t id;                          /* unique for the process, never reused */
    _Atomic uint64_t gen;                 /* stamp, new at every removal (lookup caches); unique */
    pthread_rwlock_t lock;                /* writers of the table and list; scrapes read the list */
    _Atomic(struct promc__table *) table; /* read by lookups without the lock */
    /* Children not removed, counted only where it costs nothing or is
     * needed: an unlabelled family (its one series) and a family with a
     * child limit. Others are counted by walking them (children.c). */
    atomic_size_t nlive;
    size_t ntotal;                        /* children in the table, removed ones included */
    _Atomic(struct promc__child *) first; /* see next; last: writers only */
    struct promc__child *last;
    size_t max_children;
    atomic_uint_fast64_t refused;

    /* Sample names this family emits, for duplicate detection (NULL-terminated). */
    char **claims;
    bool utf8_names;  /* a name of it (metric, label, declared) is not a legacy one */
    bool utf8_labels; /* a label name is not a legacy one: the sinks rewrite them */

    void *type_data; /* per type: buckets, objectives, states, collector */
};

/* The single series of an unlabelled family. */
static inline struct promc__child *promc__family_root(struct promc_metric *m)
{
    return atomic_load_explicit(&m->first, memory_order_relaxed);
}

/* A child's values text: each variable label's value escaped and closed by
 * a quote, NUL-terminated ("" for an unlabelled family). Label names and
 * constant labels are the family's, not repeated in every child; a scrape
 * puts the label body together (promc__child_labels). */
static inline const char *promc__child_values(const struct promc__child *c)
{
    return (const char *)c + c->family->child_size;
}

/* The child's hash, without its state bits. */
static inline uint32_t promc__child_hash(const struct promc__child *c)
{
    return atomic_load_explicit(&((struct promc__child *)c)->hash_removed, memory_order_relaxed) &
           PROMC__CHILD_HASH;
}

/* When the child was created (or came back), for _created. */
static inline double promc__child_created(const struct promc__child *c)
{
    return atomic_load_explicit(&((struct promc__child *)c)->created, memory_order_relaxed);
}

/* The bytes promc__child_labels needs for c's label body, its NUL included. */
static inline size_t promc__child_labels_size(const struct promc__child *c)
{
    return c->rendered_len + c->family->labels_extra + 1;
}

/* The family of a series handle (children point at their family). */
static inline struct promc_metric *promc__family_of(const void *series)
{
    return series ? ((const struct promc__child *)series)->family : NULL;
}

#endif
