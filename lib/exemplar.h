/*
 * Exemplars (exemplar.c): validating the labels a caller gives, the compact
 * form an exemplar is stored in, and the two containers that keep them: a
 * set of slots under one lock (a histogram child's buckets, or the few a
 * native histogram keeps spread over its values) and a per-family table keyed by
 * child (counters, whose children must not grow). Readers copy under the
 * lock and decode outside it, so a scrape never renders a torn exemplar and
 * never holds the lock while it writes.
 */
#ifndef PROMC_EXEMPLAR_H
#define PROMC_EXEMPLAR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "promc.h"
#include "sink.h"

/* Every name has at least one character, so the rune limit bounds the label
 * count, and the bytes: at most 4 per character plus a NUL after each name
 * and each value. */
#define PROMC__EXEMPLAR_MAX_LABELS PROMC_EXEMPLAR_MAX_RUNES
#define PROMC__EXEMPLAR_MAX_TEXT   (4 * PROMC_EXEMPLAR_MAX_RUNES + 2 * PROMC__EXEMPLAR_MAX_LABELS)

/* A validated exemplar, ready to store: the caller's labels (borrowed for
 * the call), the bytes their stored text takes, the value and when. */
struct promc__xinput {
    const promc_label *labels;
    size_t nlabels;
    size_t text_len;
    double value;
    double timestamp;
};

/* Checks labels (see promc_counter_add_exemplar) and fills *in, stamping it
 * with the wall clock. kind/name ("counter", the family's name) start the
 * message. Returns PROMC_OK or PROMC_EINVAL with the reason recorded. */
int promc__exemplar_check(struct promc__xinput *in, const promc_label *labels, size_t nlabels,
                          double value, const char *kind, const char *name);

/* The stored form: one allocation, "name\0value\0" per label. */
struct promc__xrec {
    double value, timestamp;
    uint32_t nlabels;
    uint32_t len; /* bytes of text in use */
    uint32_t cap; /* bytes of text allocated */
    char text[];
};

/* A reader's decoded copy of one exemplar, sized for the largest (about
 * 3 KiB: fine on a scrape's stack). x points into the arrays. */
struct promc__xview {
    struct promc__exemplar x;
    const char *names[PROMC__EXEMPLAR_MAX_LABELS];
    const char *values[PROMC__EXEMPLAR_MAX_LABELS];
    char text[PROMC__EXEMPLAR_MAX_TEXT];
};

/* ===================================================================== */
/* A set of slots                                                         */
/* ===================================================================== */

/* n slots under one lock: put keeps the most recent exemplar per slot
 * (classic histogram buckets, +Inf last); add_spread keeps up to n in order
 * of value, replacing as client_golang does (native histograms). Use one
 * way per set. */
struct promc__xset {
    pthread_mutex_t lock;
    size_t n;
    size_t used; /* add_spread: slots [0, used) hold exemplars, by value */
    struct promc__xrec *slot[];
};

/* NULL when out of memory. */
struct promc__xset *promc__xset_new(size_t n);
void promc__xset_free(struct promc__xset *set); /* NULL ok */
/* Drops every exemplar (a removed series that comes back starts without). */
void promc__xset_clear(struct promc__xset *set);
/* Stores in slot i (< n), replacing what it held. PROMC_ENOMEM (message
 * recorded) leaves the slot as it was. */
int promc__xset_put(struct promc__xset *set, size_t i, const struct promc__xinput *in);
/* Keeps in among up to n exemplars sorted by value, as client_golang's
 * nativeExemplars.addExemplar (v1.21 and later) does: while there is room,
 * in joins in value order; once full, one goes -- the oldest if it is more
 * than ttl seconds older than in (a negative ttl: always the oldest), else
 * the older of the two values closest together on a log scale, or a
 * neighbour of in's place when in would be closer to it than that pair.
 * PROMC_ENOMEM (message recorded) leaves the set as it was. */
int promc__xset_add_spread(struct promc__xset *set, const struct promc__xinput *in, double ttl);

/* Where a reader copies a set to: reused from scrape to scrape by one
 * reader at a time (the owner serialises), freed by promc__xcopy_free. */
struct promc__xcopy {
    size_t n;                               /* exemplars read */
    struct promc__exemplar *x;              /* n, in slot order */
    const struct promc__exemplar **by_slot; /* slot order, NULL where empty */
    const char **strs;
    char *text;
    size_t x_cap, slots_cap, strs_cap, text_cap;
};

/* Copies the set under its lock and decodes it outside: by_slot (set->n
 * entries) for a set of slots; x (in slot order: by value for add_spread)
 * for both. PROMC_ENOMEM
 * leaves copy empty (n 0, by_slot entries NULL if it has them). */
int promc__xset_read(struct promc__xset *set, struct promc__xcopy *copy);
void promc__xcopy_free(struct promc__xcopy *copy);

/* ===================================================================== */
/* A table keyed by child                                                 */
/* ===================================================================== */

/* The most recent exemplar of each child that has one, for types whose
 * children must not grow: empty (no memory but the struct) until the first
 * exemplar. */
struct promc__xtable {
    pthread_mutex_t lock;
    size_t cap, n; /* cap: 0 or a power of two, at most half full */
    struct promc__xentry *e;
    atomic_bool used; /* ever held an exemplar: readers of tables never
                         used (most counters) skip the lock */
};

void promc__xtable_init(struct promc__xtable *t);
/* Frees the entries (the struct itself is the caller's). */
void promc__xtable_fini(struct promc__xtable *t);
int promc__xtable_put(struct promc__xtable *t, const void *key, const struct promc__xinput *in);
/* Forgets key's exemplar (removed series, freed child). */
void promc__xtable_drop(struct promc__xtable *t, const void *key);
/* Whether the table ever held an exemplar: scrapes of a family that never
 * had one skip the call (and its lock) with one load. */
static inline bool promc__xtable_used(struct promc__xtable *t)
{
    return atomic_load_explicit(&t->used, memory_order_acquire);
}
/* Copies key's exemplar into *view: &view->x, or NULL when it has none. */
const struct promc__exemplar *promc__xtable_read(struct promc__xtable *t, const void *key,
                                                 struct promc__xview *view);

#endif
