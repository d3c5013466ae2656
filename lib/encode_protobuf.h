/*
 * The protobuf sink (encode_protobuf.c): the exposition as a stream of
 * io.prometheus.client.MetricFamily messages, each preceded by its length
 * as a varint (the "delimited" encoding Prometheus asks for).
 */
#ifndef PROMC_ENCODE_PROTOBUF_H
#define PROMC_ENCODE_PROTOBUF_H

#include "internal.h"
#include "promc.h"
#include "protobuf_wire.h"
#include "sink.h"

struct promc__protobuf_sink {
    struct promc__sink base;
    promc_write_fn write;
    void *ctx;
    struct promc__pb b;
    size_t family_mark;               /* the open family's length byte */
    bool family_open;                 /* the current family's header is written */
    struct promc__buf names, scratch; /* names outside the legacy grammars, escaped */
};

/* Prepares p to write into fn, buffering in storage[cap] first (a family is
 * written whole, so a family larger than cap moves the buffer to the heap). */
void promc__protobuf_sink_init(struct promc__protobuf_sink *p, promc_write_fn fn, void *ctx,
                               void *storage, size_t cap);
/* Frees what the sink allocated; finish does it too, this is for a scrape
 * that never reached finish. Safe to call twice. */
void promc__protobuf_sink_release(struct promc__protobuf_sink *p);

#endif
