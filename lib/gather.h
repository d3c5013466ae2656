/*
 * A scrape (gather.c): walking a registry's members into a sink, with the
 * state a scrape carries -- its name filter and deadline, the first
 * collection error, and the sample names custom collectors emitted so far
 * (for duplicate detection) -- and the thread-local context of scrapes
 * that a collector thread takes over (collection.c).
 */
#ifndef PROMC_GATHER_H
#define PROMC_GATHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "promc.h"
#include "sink.h"

/* The families a scrape exposes (promc_scrape_opts.names): every one unless
 * active; else those whose exposed name is among names, kept sorted for a
 * binary search. The strings are the caller's, valid during the scrape. */
struct promc__filter {
    bool active;
    size_t n;
    const char **names;
};

struct promc__members; /* registry.h */

struct promc__scrape {
    promc_registry *reg;
    struct promc__filter filter;
    int64_t deadline_ns; /* monotonic; 0: none (promc_scrape_opts.timeout) */
    struct promc__sink *sink;
    struct promc__members *members; /* what this scrape walks: */
    struct promc_metric **items;    /* members->items */
    size_t nitems;
    int error;         /* the first collection error, PROMC_OK if none */
    char message[256]; /* its message */
    char **seen;       /* sample names collectors emitted in this scrape */
    size_t nseen, capseen;
};

/* Is m one of the members this scrape walks? (A metric registered after
 * the scrape started is not: its names cannot clash with this scrape.) */
bool promc__scrape_has(const struct promc__scrape *sc, const struct promc_metric *m);

/* Does the scrape expose family d (by the name text 0.0.4 and protobuf give
 * it: base name plus the type's text_name suffix)? */
bool promc__scrape_wants(const struct promc__scrape *sc, const struct promc__desc *d);

/* Records the thread's last error (code and message) as the scrape's
 * collection error, unless one is recorded already. Returns the code. */
int promc__scrape_fail(struct promc__scrape *sc, int code);

/* What a custom collector tells the scrape about itself, for the library's
 * promc_collector_* families (promc__ops.stats). */
struct promc__collector_stats {
    double duration;   /* seconds the last complete collection took; NaN: none yet */
    uint64_t timeouts; /* scrapes that gave up waiting for it */
};

/* ---- The thread's scraping context ---- */

/* Scrapes one thread may nest (a collector or writer scraping another
 * registry); bounded so that children.c's bookkeeping holds. */
#define PROMC__MAX_NESTED_SCRAPES 8

/* What a thread is in the middle of: the registries it scrapes, innermost
 * last (scraping one of them again is refused), and the owner of the
 * callbacks it runs (an HTTP server, for promc_http_server_free to refuse
 * freeing itself from them). A collection run on a collector thread takes
 * over the context of the scrape that started it, so both refusals hold
 * there too. */
struct promc__scrape_context {
    promc_registry *scraping[PROMC__MAX_NESTED_SCRAPES];
    unsigned nscraping;
    const void *owner;
};

/* The calling thread's context. */
void promc__scrape_context_get(struct promc__scrape_context *c);
/* Makes *c the calling thread's context, and leaves the previous one in *c. */
void promc__scrape_context_swap(struct promc__scrape_context *c);
/* The owner of the callbacks the thread runs (NULL: none), and setting it
 * (returning the previous one, to put back). */
const void *promc__callback_owner(void);
const void *promc__callback_owner_set(const void *owner);

/* Walks reg into sink: every member in registration order, then the
 * library's own families; then finishes the sink. opts (may be NULL) narrows
 * the families written and sets a deadline: custom collectors then all
 * start at once, on collector threads, and one still running at the
 * deadline is left out (or stands in with its last result) and counted,
 * which is not an error of the scrape. Returns PROMC_OK, the sink's error (the writer
 * failed) or the first collection error, recorded as the thread's last
 * error. PROMC_ESTATE when this thread is already scraping reg (a collector
 * or writer scraping its own registry); PROMC_ENOMEM. */
int promc__gather(promc_registry *reg, struct promc__sink *sink, const promc_scrape_opts *opts);

#endif
