/*
 * A parser of the text format 0.0.4 (text_parse.c), for the test checks of
 * promc_testutil.h: a whole exposition into families and samples, grouped
 * as client_golang's expfmt.TextParser (which promtool lints) groups them,
 * with every refusal naming its line.
 */
#ifndef PROMC_TEXT_PARSE_H
#define PROMC_TEXT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "promc.h"

struct promc__tp_arena;

/* One label of a sample, unescaped. */
struct promc__tp_label {
    const char *name;
    const char *value;
};

/* One sample line. */
struct promc__tp_sample {
    size_t family; /* index into families */
    const char *name;
    struct promc__tp_label *labels; /* sorted by name */
    size_t nlabels;
    double value;
    bool has_ts;
    int64_t ts;
    size_t line;
};

/* A family: named by its HELP or TYPE line, or by its first sample when it
 * has neither. Samples of a histogram's _bucket, _sum and _count, and of a
 * summary's _sum and _count, belong to the histogram or summary, as
 * expfmt's parser has it; any other sample name is a family of its own. */
struct promc__tp_family {
    const char *name;
    const char *help; /* unescaped; NULL without a HELP line or with "" */
    bool helped;      /* a HELP line was seen */
    promc_type type;  /* PROMC_UNTYPED without a TYPE line */
    bool typed;       /* a TYPE line was seen */
    size_t line;      /* where it was first named */
    size_t nsamples;
};

struct promc__text {
    struct promc__tp_family *families;
    size_t nfamilies, fcap;
    struct promc__tp_sample *samples;
    size_t nsamples, scap;
    struct promc__tp_arena *arena; /* owns every string and label array */
};

/* Parses text[0..len) into t (zeroed by the caller). `what` names the text
 * in messages ("expected text line 3: ..."). Returns PROMC_OK, or records
 * and returns PROMC_EINVAL (a line that does not parse) or PROMC_ENOMEM;
 * free t with promc__text_free either way. */
int promc__text_parse(struct promc__text *t, const char *text, size_t len, const char *what);
/* Frees what t holds (t itself is the caller's); zeroed t is fine. */
void promc__text_free(struct promc__text *t);
/* Scrapes reg in the text format (only the families `names` lists, or
 * all), and parses the exposition into t. `fn` names the public function
 * in messages. Records and returns the scrape's or the parser's error. */
int promc__text_scrape(promc_registry *reg, const char *const *names, struct promc__text *t,
                       const char *fn);
/* n bytes in t's arena, freed with it; NULL when out of memory. */
void *promc__tp_alloc(struct promc__text *t, size_t n);
/* The label of a sample named `name`, or NULL. */
const char *promc__tp_label_value(const struct promc__tp_sample *s, const char *name);
/* Is the sample one of a histogram's buckets or a summary's quantiles (its
 * le or quantile label is then part of the series, not of its identity)? */
bool promc__tp_is_bucket(const struct promc__text *t, const struct promc__tp_sample *s);

/* The sample as `name{a="x",b="y"}` (labels sorted, values escaped as the
 * text format escapes them; no braces without labels), in t's arena; with
 * series, the name of its family and without the le or quantile label of a
 * bucket or quantile: what all samples of one series share. NULL when out
 * of memory (recorded). */
const char *promc__tp_render(struct promc__text *t, const struct promc__tp_sample *s, bool series);
/* The series of t, as client_golang's parser groups samples into metrics
 * (a histogram's or summary's samples of one label set together; any
 * other sample line alone): *first gets the index of one sample of each (promc__malloc'd,
 * sorted by family and label set), *n their number. Records and returns
 * PROMC_ENOMEM on failure. */
int promc__text_series(struct promc__text *t, size_t **first, size_t *n);

#endif
