/*
 * A streaming DEFLATE compressor (RFC 1951) tuned for expositions: greedy
 * LZ77 matching over a 32 KiB window through a two-way hash table, then
 * each block of up to 64 KiB of input written with whichever of dynamic
 * Huffman codes, the fixed codes or a stored copy is smallest. Memory is
 * fixed at creation (about 700 KiB) whatever the input size. Not thread-safe:
 * one compressor per thread or per stream at a time.
 */
#ifndef PROMC_DEFLATE_H
#define PROMC_DEFLATE_H

#include <stddef.h>

#include "promc.h"

struct promc__deflate;

/* A new compressor, or NULL when out of memory. */
struct promc__deflate *promc__deflate_new(void);
void promc__deflate_free(struct promc__deflate *d);
/* Starts a new stream whose compressed bytes go to out(ctx, ...) (a
 * non-zero return stops the stream: later calls return PROMC_EIO). */
void promc__deflate_start(struct promc__deflate *d, promc_write_fn out, void *ctx);
/* Compresses n more bytes. Returns PROMC_OK or PROMC_EIO (out failed). */
int promc__deflate_write(struct promc__deflate *d, const void *p, size_t n);
/* Ends the stream (the final block, then everything buffered goes out).
 * Returns PROMC_OK or PROMC_EIO. */
int promc__deflate_finish(struct promc__deflate *d);

#endif
