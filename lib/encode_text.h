/*
 * The text sinks (encode_text.c): text 0.0.4 and OpenMetrics 1.0.0, writing
 * into a caller's buffer that is flushed to a promc_write_fn when full.
 */
#ifndef PROMC_ENCODE_TEXT_H
#define PROMC_ENCODE_TEXT_H

#include "promc.h"
#include "sink.h"

struct promc__text_sink {
    struct promc__sink base;
    promc_format format;
    promc_write_fn write;
    void *ctx;
    char *buf;
    size_t len, cap;
    size_t name_len; /* of the current family's name */
};

/* Prepares t to write format into fn through buf[cap]. */
void promc__text_sink_init(struct promc__text_sink *t, promc_format format, promc_write_fn fn,
                           void *ctx, char *buf, size_t cap);

#endif
