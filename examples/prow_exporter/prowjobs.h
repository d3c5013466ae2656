/*
 * ProwJob lists for prow_exporter: parsing pages of a ProwJobList into an
 * immutable, reference-counted snapshot (labels and annotations already
 * turned into Prometheus labels), ranking the jobs to one per .spec.job, and
 * finding the state transitions between two snapshots.
 */
#ifndef PROWJOBS_H
#define PROWJOBS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "promc.h"

/* One ProwJob, reduced to what the metrics need. Strings are never NULL
 * ("" when the field is missing or not a string). */
typedef struct prow_job {
    const char *key; /* "<metadata.namespace>/<metadata.name>": identity across polls */
    const char *job; /* .spec.job */
    const char *ns;  /* .metadata.namespace */
    const char *agent, *type, *state;
    const char *org, *repo, *base_ref; /* spec.refs, else spec.extra_refs[0] */
    /* Timestamps in Unix seconds; has_* false when missing or not RFC 3339. */
    bool has_start, has_creation, has_pending, has_completion;
    double start, creation, pending, completion;
    /* "label_<key>" / "annotation_<key>" pairs, denylisted label keys
     * dropped, collisions resolved, values valid UTF-8. */
    promc_label *labels;
    size_t nlabels;
    promc_label *annotations;
    size_t nannotations;
} prow_job;

/* A list of jobs, in the order of the pages. Read-only once built, so scrape
 * threads can share it through references. */
typedef struct prow_list {
    atomic_uint refs;
    prow_job *jobs;
    size_t njobs, capjobs;
    struct prow_block *arena; /* every string and label array of the list */
    /* Bounds on the list while pages are added (0: none), set by the caller
     * after prow_list_new. bytes counts what the list holds: its arena
     * blocks and its job array. over_bytes is set when an allocation was
     * refused for max_bytes (not for want of memory). */
    size_t max_jobs, max_bytes, bytes;
    bool over_bytes;
} prow_list;

/* What prow_list_add_page returns. */
enum {
    PROW_PAGE_OK = 0,
    PROW_PAGE_FAILED = -1,    /* not a ProwJobList, or out of memory; why says */
    PROW_PAGE_MAX_JOBS = -2,  /* the list would hold more than max_jobs jobs */
    PROW_PAGE_MAX_BYTES = -3, /* the list would take more than max_bytes */
};

/* A new, empty list with one reference; NULL on out of memory. */
prow_list *prow_list_new(void);
/* Takes one more reference (NULL is a no-op); returns l. */
prow_list *prow_list_ref(prow_list *l);
/* Drops a reference; the last one frees the list. NULL is a no-op. */
void prow_list_unref(prow_list *l);

/* Parses one JSON ProwJobList (a page of the API, or a whole saved list) and
 * appends its items to l. On success returns PROW_PAGE_OK and, when cont is
 * not NULL, sets *cont to a malloc'd copy of metadata.continue (NULL when
 * absent or empty). On failure returns PROW_PAGE_FAILED, or
 * PROW_PAGE_MAX_JOBS / PROW_PAGE_MAX_BYTES when the page would take l past
 * its bounds (it stops there, so l never holds more), with the reason in
 * why; l may have been extended: discard it. */
int prow_list_add_page(prow_list *l, const char *body, size_t len, char **cont, char *why,
                       size_t whycap);

/* The jobs to export, one per .spec.job: the latest status.startTime wins,
 * the first in list order on a tie, and a job without a start time ranks
 * below every job that has one. Writes indices into l->jobs to out (room for
 * l->njobs) and returns how many; -1 on out of memory. */
long prow_list_latest(const prow_list *l, size_t *out);

/* Called for every job of a new list whose state differs from the job with
 * the same key in the old list, with the duration of the transition:
 * creationTimestamp (old state triggered) or pendingTime (old state pending)
 * of the old job to completionTime (new state success, failure, error,
 * aborted) or pendingTime (new state pending) of the new one. Transitions
 * without both ends, or with a negative duration, are not reported. */
typedef void (*prow_transition_fn)(void *ctx, const prow_job *old_job, const prow_job *new_job,
                                   double seconds);
/* Reports the transitions from old_list to new_list; -1 on out of memory. */
int prow_list_transitions(const prow_list *old_list, const prow_list *new_list,
                          prow_transition_fn fn, void *ctx);

/* Whether len bytes at s are well-formed UTF-8. */
bool prow_valid_utf8(const char *s, size_t len);

#endif /* PROWJOBS_H */
