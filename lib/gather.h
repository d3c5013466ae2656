/*
 * A scrape (gather.c): walking a registry's members into a sink, with the
 * state a scrape carries -- the first collection error, and the sample
 * names custom collectors emitted so far (for duplicate detection).
 */
#ifndef PROMC_GATHER_H
#define PROMC_GATHER_H

#include <stdbool.h>
#include <stddef.h>

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

struct promc__scrape {
    promc_registry *reg;
    struct promc__filter filter;
    struct promc__sink *sink;
    struct promc_metric **items; /* the members this scrape walks */
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

/* Walks reg into sink: every member in registration order, then the
 * library's own family; then finishes the sink. opts (may be NULL) narrows
 * the families written. Returns PROMC_OK, the sink's error (the writer
 * failed) or the first collection error, recorded as the thread's last
 * error. PROMC_ESTATE when this thread is already scraping reg (a collector
 * or writer scraping its own registry); PROMC_ENOMEM. */
int promc__gather(promc_registry *reg, struct promc__sink *sink, const promc_scrape_opts *opts);

#endif
