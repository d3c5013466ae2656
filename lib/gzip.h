/*
 * The gzip container (RFC 1952) around the DEFLATE compressor: a 10-byte
 * header, the compressed stream, then the CRC-32 and the length of the input.
 * Streaming, with the compressor's fixed memory. Not thread-safe: one stream
 * at a time per object.
 */
#ifndef PROMC_GZIP_H
#define PROMC_GZIP_H

#include <stddef.h>
#include <stdint.h>

#include "promc.h"

struct promc__gzip;

/* A new gzip writer, or NULL when out of memory. */
struct promc__gzip *promc__gzip_new(void);
void promc__gzip_free(struct promc__gzip *g);
/* Starts a member whose bytes go to out(ctx, ...); a non-zero return from
 * out ends the stream with PROMC_EIO. */
void promc__gzip_start(struct promc__gzip *g, promc_write_fn out, void *ctx);
/* Adds n bytes of input. PROMC_OK or PROMC_EIO. */
int promc__gzip_write(struct promc__gzip *g, const void *p, size_t n);
/* Writes the rest and the trailer. PROMC_OK or PROMC_EIO. */
int promc__gzip_finish(struct promc__gzip *g);
/* Input bytes of the current or last stream. */
uint64_t promc__gzip_in_bytes(const struct promc__gzip *g);

#endif
