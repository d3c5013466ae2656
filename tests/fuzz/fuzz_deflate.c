/*
 * Fuzz target for the gzip writer (lib/gzip.c, lib/deflate.c, lib/crc32.c).
 * The first input byte picks how the rest is fed (piece sizes) and whether it
 * is first expanded (repeated with small changes to about 70 KB, so
 * that matches cross blocks and reach back the whole window); the result is
 * compressed and must decode, with an independent strict decoder, to exactly
 * what went in. Any difference aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/inflate.h"
#include "gzip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

struct out {
    unsigned char *p;
    size_t len, cap;
};

static int collect(void *ctx, const char *p, size_t n)
{
    struct out *o = ctx;
    if (o->len + n > o->cap) {
        o->cap = (o->len + n) * 2;
        o->p = realloc(o->p, o->cap);
        if (!o->p)
            abort();
    }
    memcpy(o->p + o->len, p, n);
    o->len += n;
    return 0;
}

static struct promc__gzip *g;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    if (!g && !(g = promc__gzip_new()))
        abort();
    unsigned mode = data[0];
    data++;
    size--;
    const unsigned char *in = data;
    unsigned char *expanded = NULL;
    size_t n = size;
    if ((mode & 0xe0) == 0xe0 && size) {
        /* repeat the input, changing one byte a copy, to just over a block */
        size_t copies = 70000 / size + 1;
        n = copies * size;
        expanded = malloc(n);
        if (!expanded)
            abort();
        for (size_t c = 0; c < copies; c++) {
            memcpy(expanded + c * size, data, size);
            expanded[c * size + c % size] ^= (unsigned char)c;
        }
        in = expanded;
    }
    static const size_t pieces[8] = {0, 1, 3, 100, 4096, 16384, 65535, 65536};
    size_t piece = pieces[mode & 7];
    struct out o = {0};
    promc__gzip_start(g, collect, &o);
    if (!piece) {
        if (promc__gzip_write(g, in, n))
            abort();
    } else {
        for (size_t off = 0; off < n; off += piece)
            if (promc__gzip_write(g, in + off, n - off < piece ? n - off : piece))
                abort();
    }
    if (promc__gzip_finish(g))
        abort();
    unsigned char *back;
    size_t backlen;
    int rc = test_inflate_gzip(o.p, o.len, &back, &backlen);
    if (rc || backlen != n || (n && memcmp(back, in, n) != 0)) {
        fprintf(stderr, "fuzz_deflate: %zu bytes (mode %u) did not come back (decoder: %d)\n", n,
                mode, rc);
        abort();
    }
    /* never much bigger than the input: stored blocks cost 5 bytes a block */
    if (o.len > n + 5 * (n / 65535 + 1) + 18) {
        fprintf(stderr, "fuzz_deflate: %zu bytes grew to %zu\n", n, o.len);
        abort();
    }
    free(back);
    free(o.p);
    free(expanded);
    return 0;
}

const char *const *fuzz_seed_inputs(size_t *n)
{
    static const char *const seeds[] = {
        "\x00",
        "\x05# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 1\n",
        "\xe6http_requests_total{route=\"/a\",status=\"200\"} 12345\n",
        "\xe1\x00\x01\x02\x03\xff\xfe",
        ("\x07"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
    };
    *n = sizeof seeds / sizeof seeds[0];
    return seeds;
}
