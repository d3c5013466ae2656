/*
 * The text sinks (encode_text.c): text 0.0.4 and OpenMetrics 1.0.0, writing
 * into a caller's buffer that is flushed to a promc_write_fn when full.
 */
#ifndef PROMC_ENCODE_TEXT_H
#define PROMC_ENCODE_TEXT_H

#include "internal.h"
#include "promc.h"
#include "sink.h"

struct promc__text_sink {
    struct promc__sink base;
    promc_format format;
    promc_write_fn write;
    void *ctx;
    char *buf;
    size_t len, cap;
    /* The current family's names as this scrape shows them: name is what
     * its sample names start with (the family name in OpenMetrics), quoted
     * says it goes in the quoted syntax, state_label names a stateset's
     * label (quoted likewise). They point at the family's own name, or into
     * names when escaping or quoting changed them. */
    const char *name, *state_label;
    size_t name_len, state_label_len;
    bool quoted, state_label_quoted;
    bool slow; /* some name of the family needs the piecewise path */
    /* The current series' timestamp as each of its lines ends with it
     * (" 1700000000123" in text, " 1.700000000123e+09" in OpenMetrics), or
     * "" (ts_len 0) for none. */
    char ts[PROMC__NUMBUF + 1];
    size_t ts_len;
    struct promc__buf names, scratch;
};

/* Prepares t to write format into fn through buf[cap]. */
void promc__text_sink_init(struct promc__text_sink *t, promc_format format, promc_write_fn fn,
                           void *ctx, char *buf, size_t cap);
/* Frees what the sink allocated (names outside the legacy grammars need a
 * little memory); finish does it too. Safe to call twice. */
void promc__text_sink_release(struct promc__text_sink *t);

#endif
