/*
 * gzip members (RFC 1952) written around the DEFLATE stream: the header
 * (no name, no modification time, "unknown" operating system, as Go's
 * compress/gzip writes it), the deflated input, and the trailer with the
 * input's CRC-32 and its length modulo 2^32.
 */
#include "gzip.h"
#include "alloc.h"
#include "crc32.h"
#include "deflate.h"

struct promc__gzip {
    struct promc__deflate *z;
    promc_write_fn out;
    void *ctx;
    uint32_t crc;
    uint64_t in_bytes;
    int error;
};

struct promc__gzip *promc__gzip_new(void)
{
    struct promc__gzip *g = promc__calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->z = promc__deflate_new();
    if (!g->z) {
        promc__free(g);
        return NULL;
    }
    return g;
}

void promc__gzip_free(struct promc__gzip *g)
{
    if (!g)
        return;
    promc__deflate_free(g->z);
    promc__free(g);
}

void promc__gzip_start(struct promc__gzip *g, promc_write_fn out, void *ctx)
{
    static const char header[10] = {0x1f, (char)0x8b, 8, 0, 0, 0, 0, 0, 0, (char)0xff};
    g->out = out;
    g->ctx = ctx;
    g->crc = 0;
    g->in_bytes = 0;
    g->error = out(ctx, header, sizeof header) ? PROMC_EIO : PROMC_OK;
    promc__deflate_start(g->z, out, ctx);
}

int promc__gzip_write(struct promc__gzip *g, const void *p, size_t n)
{
    if (g->error)
        return g->error;
    g->crc = promc__crc32(g->crc, p, n);
    g->in_bytes += n;
    return g->error = promc__deflate_write(g->z, p, n);
}

int promc__gzip_finish(struct promc__gzip *g)
{
    if (g->error)
        return g->error;
    g->error = promc__deflate_finish(g->z);
    if (g->error)
        return g->error;
    char t[8];
    uint32_t size = (uint32_t)g->in_bytes;
    for (int i = 0; i < 4; i++) {
        t[i] = (char)(g->crc >> (8 * i));
        t[4 + i] = (char)(size >> (8 * i));
    }
    if (g->out(g->ctx, t, sizeof t))
        g->error = PROMC_EIO;
    return g->error;
}

uint64_t promc__gzip_in_bytes(const struct promc__gzip *g)
{
    return g->in_bytes;
}
