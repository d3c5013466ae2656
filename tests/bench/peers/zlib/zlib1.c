/*
 * zlib's side of workload Z (tests/bench/run_peers.sh): a file compressed in
 * memory into one gzip member with deflate level 1 (windowBits 15 + 16 for
 * the gzip wrapper, memLevel 8, the default strategy), --reps times after
 * one untimed run, as `bench_promc gzip` does with promc's compressor.
 * Prints the input and compressed sizes and MB/s (1e6 bytes of input a
 * second) of the median run, and writes the compressed bytes to OUT when
 * given:
 *
 *   zlib Z1k gz_bytes 9876
 *
 * Usage: bench_zlib [--reps N] gzip LABEL FILE [OUT]
 * Build: cc -O2 zlib1.c -o bench_zlib -lz (Debian's zlib1g-dev); not part of
 * the library, which has no dependency on zlib.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fail(const char *what)
{
    fprintf(stderr, "bench_zlib: %s\n", what);
    exit(1);
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    size_t cap = 1 << 16, n = 0, got;
    unsigned char *p = malloc(cap);
    while (p && (got = fread(p + n, 1, cap - n, f)) > 0)
        if ((n += got) == cap)
            p = realloc(p, cap *= 2);
    if (!p || ferror(f))
        fail("cannot read the input");
    fclose(f);
    *len = n;
    return p;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_zlib [--reps N] gzip LABEL FILE [OUT]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int reps = 11, i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--reps") == 0) {
        reps = atoi(argv[i + 1]);
        i += 2;
    }
    if (argc - i < 3 || argc - i > 4 || strcmp(argv[i], "gzip") != 0 || reps < 1)
        usage();
    const char *label = argv[i + 1], *save = argc - i == 4 ? argv[i + 3] : NULL;
    size_t n;
    unsigned char *in = read_file(argv[i + 2], &n);

    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        fail("deflateInit2");
    uLong cap = deflateBound(&z, (uLong)n);
    unsigned char *out = malloc(cap);
    double *t = malloc((size_t)reps * sizeof *t);
    if (!out || !t)
        fail("out of memory");
    for (int r = -1; r < reps; r++) { /* -1: untimed */
        double t0 = now_ns();
        deflateReset(&z);
        z.next_in = in;
        z.avail_in = (uInt)n;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        if (deflate(&z, Z_FINISH) != Z_STREAM_END)
            fail("deflate did not finish");
        if (r >= 0)
            t[r] = now_ns() - t0;
    }
    size_t len = (size_t)z.total_out;
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    double med = t[reps / 2];
    printf("zlib %s in_bytes %zu\n", label, n);
    printf("zlib %s gz_bytes %zu\n", label, len);
    printf("zlib %s mb_per_s %.10g\n", label, (double)n / med * 1e3);
    if (save) {
        FILE *f = fopen(save, "wb");
        if (!f || fwrite(out, 1, len, f) != len || fclose(f) != 0) {
            perror(save);
            return 1;
        }
    }
    deflateEnd(&z);
    free(out);
    free(t);
    free(in);
    return 0;
}
