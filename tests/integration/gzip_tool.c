/*
 * gzip-compresses standard input to standard output with promc's writer, in
 * pieces of the given size (default 16 KiB, as the HTTP server's encoder
 * hands them over), for the round-trip test against Debian's gzip and
 * Python's zlib. usage: gzip_tool [PIECE]
 */
#include <stdio.h>
#include <stdlib.h>

#include "gzip.h"

static int to_stdout(void *ctx, const char *p, size_t n)
{
    (void)ctx;
    return fwrite(p, 1, n, stdout) != n;
}

int main(int argc, char **argv)
{
    size_t piece = argc > 1 ? strtoul(argv[1], NULL, 10) : 16384;
    if (!piece)
        piece = 1;
    char *buf = malloc(piece);
    struct promc__gzip *g = promc__gzip_new();
    if (!buf || !g) {
        fprintf(stderr, "gzip_tool: out of memory\n");
        return 1;
    }
    promc__gzip_start(g, to_stdout, NULL);
    size_t n;
    while ((n = fread(buf, 1, piece, stdin)) > 0)
        if (promc__gzip_write(g, buf, n) != 0)
            break;
    int rc = promc__gzip_finish(g);
    promc__gzip_free(g);
    free(buf);
    if (rc || ferror(stdin) || fflush(stdout)) {
        fprintf(stderr, "gzip_tool: write failed\n");
        return 1;
    }
    return 0;
}
