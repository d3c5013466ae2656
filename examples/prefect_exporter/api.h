/*
 * prefect_exporter's requests to the Prefect REST API: the headers every
 * request carries (JSON, the key or the auth string, the CSRF pair), the
 * CSRF handshake, attempts with backoff inside a collection's deadline,
 * Retry-After on 429/503, and the paged POST .../filter queries. Failed
 * requests are counted per endpoint for prefect_api_errors_total.
 */
#ifndef PF_API_H
#define PF_API_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"

/* The endpoints of prefect_api_errors_total{endpoint}, in export order. */
enum pf_endpoint {
    PF_EP_HEALTH,
    PF_EP_CSRF,
    PF_EP_DEPLOYMENTS,
    PF_EP_FLOWS,
    PF_EP_FLOW_RUNS,
    PF_EP_WORK_POOLS,
    PF_EP_WORK_QUEUES,
    PF_EP_WORK_QUEUE_STATUS,
    PF_EP_COUNT
};
extern const char *const pf_endpoint_names[PF_EP_COUNT];

typedef struct pf_api_config {
    const char *url;            /* base, no trailing '/' */
    const char *api_key;        /* Bearer; NULL or "" for none; wins */
    const char *basic_user;     /* from the auth string, or NULL */
    const char *basic_password; /* its password */
    bool csrf;
    bool paginate;
    long long page_limit;
    long long max_attempts; /* >= 1 */
} pf_api_config;

typedef struct pf_api pf_api;

/* Copies nothing: cfg and its strings must outlive the client. NULL out
 * of memory or when no client id could be made. */
pf_api *pf_api_new(const pf_api_config *cfg);
void pf_api_free(pf_api *api);

/* Failed requests so far, per endpoint. Thread-safe. */
unsigned long long pf_api_errors(const pf_api *api, enum pf_endpoint ep);

/* One-shot GET {url}/health within timeout seconds, no retry: 0 when the
 * API answered 2xx, else -1 and why. For the log line at start. */
int pf_api_health(pf_api *api, double timeout, char *why, size_t cap);

/* CLOCK_MONOTONIC in seconds: the clock of every deadline here. */
double pf_monotonic(void);

/* ===================================================================== */
/* A collection's requests                                                */
/* ===================================================================== */

/* The requests of one collection share a deadline and stop together: once
 * the API asks to back off (Retry-After) or the deadline passes, the rest
 * fail at once. One collection at a time per client. */
#define PF_FAILURES_NAMED 8

typedef struct pf_session {
    pf_api *api;
    double deadline;          /* monotonic seconds */
    const char *deadline_why; /* what set it: "--timeout" or "the scrape timeout" */
    bool stopped;             /* no more requests in this collection */
    char stop_why[160];       /* why, e.g. "the deadline (--timeout) passed" */
    size_t bytes;             /* bytes of answers read so far */
    /* What failed, for one log line: "what: why; what: why", the first
     * PF_FAILURES_NAMED of nfailures. */
    char *failures;
    size_t nfailures;
    size_t nskipped; /* requests not made once the session stopped */
} pf_session;

/* Starts a collection that ends by deadline (monotonic seconds; why names
 * what set it, for the log): fetches the CSRF token when enabled and
 * missing or expired; or, while a Retry-After from an earlier collection
 * lasts, stops the session at once. 0, or -1 when nothing can be asked
 * (every query then fails at once, saying why). */
int pf_session_begin(pf_session *s, pf_api *api, double deadline, const char *why);
/* Records a failure of its own (what the collection makes of an answer). */
void pf_session_fail(pf_session *s, const char *what, const char *why);
void pf_session_end(pf_session *s);

/* The items of a query, across its pages. The documents stay alive until
 * pf_items_free; items[i] is a node of docs[doc_of[i]]. */
typedef struct pf_items {
    ex_json_doc **docs;
    size_t ndocs;
    ex_json_node *items;
    size_t *doc_of;
    size_t n, cap;
    bool ok; /* every page came */
} pf_items;

/* POST {url}/{resource}/filter with {filter,"limit":L,"offset":O}: one
 * page when pagination is off, else offset += L until a page is shorter
 * than L. filter is the inside of the body's object ("" for none). what
 * names the query in the log. 0, or -1 (out->ok false; the failure is
 * recorded, or counted in nskipped when the session had stopped; out holds
 * the pages that came). */
int pf_query(pf_session *s, enum pf_endpoint ep, const char *resource, const char *filter,
             const char *what, pf_items *out);

/* GET {url}/{path} as JSON. 0 and *out (free with ex_json_free), or -1. */
int pf_get_json(pf_session *s, enum pf_endpoint ep, const char *path, const char *what,
                ex_json_doc **out);

void pf_items_free(pf_items *items);

#endif /* PF_API_H */
