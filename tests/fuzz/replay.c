/*
 * The main() fuzz targets get when built without libFuzzer (any compiler):
 * replays files, and every file in directories, named on the command line
 * through LLVMFuzzerTestOneInput -- to rerun a crash or a corpus -- and with
 * no arguments runs reproducible pseudo-random mutations of the seeds the
 * target offers through fuzz_seed_inputs(), so the binary alone is a smoke
 * test. Generic: shared by every tests/fuzz target.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional, defined by a target that has seeds: NUL-terminated inputs to
 * mutate in the random mode (*n of them). Weak, so targets without it link;
 * random byte strings are used then. */
const char *const *fuzz_seed_inputs(size_t *n) __attribute__((weak));

#define DEFAULT_ITERATIONS 20000
#define DEFAULT_SEED       0x9e3779b97f4a7c15u

static const char *prog = "replay";

/* Runs one input from an exact-size heap copy, so that a target reading
 * past its input trips ASan or valgrind even if it forgets to copy. */
static void run_one(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(2);
    }
    if (size)
        memcpy(copy, data, size);
    LLVMFuzzerTestOneInput(copy, size);
    free(copy);
}

/* ------------------------------------------------------------------ */
/* Replaying files                                                     */
/* ------------------------------------------------------------------ */

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    size_t len = 0, cap = 4096;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap *= 2);
            if (!bigger)
                free(buf);
            buf = bigger;
        }
    }
    int err = !buf || ferror(f);
    fclose(f);
    if (err) {
        fprintf(stderr, "%s: %s: read failed\n", prog, path);
        free(buf);
        return -1;
    }
    run_one(buf, len);
    free(buf);
    return 0;
}

/* Replays path (a file, or each regular file in a directory, not
 * recursively); adds the inputs run to *count. Returns 0 or -1. */
static int replay_path(const char *path, size_t *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (replay_file(path) != 0)
            return -1;
        ++*count;
        return 0;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') /* ".", "..", and hidden files */
            continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *full = malloc(n);
        if (!full) {
            rc = -1;
            break;
        }
        snprintf(full, n, "%s/%s", path, e->d_name);
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(full) != 0)
                rc = -1;
            else
                ++*count;
        }
        free(full);
    }
    closedir(d);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Random mode                                                         */
/* ------------------------------------------------------------------ */

static uint64_t rng = DEFAULT_SEED;

/* xorshift64: fixed seed, so every run exercises the same inputs. */
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static size_t below(size_t n)
{
    return n ? (size_t)(next() % n) : 0;
}

/* Bytes that tend to matter to parsers of text formats. */
static const uint8_t interesting[] = {0,    '\r', '\n', ' ',  '\t', ':', ',', ';', '=', '"',
                                      '\\', '/',  '?',  '#',  '%',  '.', '-', '0', '9', 'A',
                                      'z',  0x7f, 0x80, 0xc3, 0xff, '{', '}', '(', ')', '*'};

/* Applies 1-8 random edits to buf[0..*len) (capacity cap); pieces of other
 * seeds are spliced in, so seeds double as a dictionary. */
static void mutate(uint8_t *buf, size_t *len, size_t cap, const char *const *seeds, size_t nseeds)
{
    size_t edits = 1 + below(8);
    for (size_t e = 0; e < edits; e++) {
        size_t n = *len, at = below(n + 1);
        switch (below(8)) {
        case 0: /* flip a bit */
            if (n)
                buf[below(n)] ^= (uint8_t)(1u << below(8));
            break;
        case 1: /* overwrite with a random byte */
            if (n)
                buf[below(n)] = (uint8_t)next();
            break;
        case 2: /* overwrite with an interesting byte */
            if (n)
                buf[below(n)] = interesting[below(sizeof interesting)];
            break;
        case 3: /* insert an interesting byte */
            if (n < cap) {
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = interesting[below(sizeof interesting)];
                *len = n + 1;
            }
            break;
        case 4: { /* delete a run */
            size_t k = at < n ? 1 + below(n - at < 16 ? n - at : 16) : 0;
            memmove(buf + at, buf + at + k, n - at - k);
            *len = n - k;
            break;
        }
        case 5: { /* duplicate a run of the input elsewhere */
            if (!n)
                break;
            size_t from = below(n), k = 1 + below(n - from < 32 ? n - from : 32);
            if (n + k > cap)
                break;
            uint8_t tmp[32];
            memcpy(tmp, buf + from, k);
            memmove(buf + at + k, buf + at, n - at);
            memcpy(buf + at, tmp, k);
            *len = n + k;
            break;
        }
        case 6: { /* insert a piece of a seed */
            const char *s = seeds[below(nseeds)];
            size_t sl = strlen(s);
            if (!sl)
                break;
            size_t from = below(sl), k = 1 + below(sl - from < 48 ? sl - from : 48);
            if (n + k > cap)
                break;
            memmove(buf + at + k, buf + at, n - at);
            memcpy(buf + at, s + from, k);
            *len = n + k;
            break;
        }
        default: /* truncate */
            *len = at;
            break;
        }
    }
}

static void random_mode(unsigned long iterations)
{
    static const char *const fallback[] = {""};
    const char *const *seeds = fallback;
    size_t nseeds = 1;
    if (fuzz_seed_inputs) {
        size_t n = 0;
        const char *const *s = fuzz_seed_inputs(&n);
        if (s && n) {
            seeds = s;
            nseeds = n;
        }
    }
    size_t longest = 0;
    for (size_t i = 0; i < nseeds; i++) {
        size_t l = strlen(seeds[i]);
        longest = l > longest ? l : longest;
        run_one((const uint8_t *)seeds[i], l); /* each seed as is, first */
    }
    size_t cap = 2 * longest + 256;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(2);
    }
    for (unsigned long it = 0; it < iterations; it++) {
        const char *s = seeds[below(nseeds)];
        size_t len = strlen(s);
        memcpy(buf, s, len);
        if (len == 0) { /* nothing to mutate: start from random bytes */
            len = below(64);
            for (size_t j = 0; j < len; j++)
                buf[j] = (uint8_t)next();
        }
        mutate(buf, &len, cap, seeds, nseeds);
        run_one(buf, len);
    }
    free(buf);
    printf("%s: %lu mutated inputs from %zu seed(s) ok\n", prog, iterations, nseeds);
}

int main(int argc, char **argv)
{
    if (argc > 0 && argv[0])
        prog = argv[0];
    if (argc <= 1) {
        /* FUZZ_ITERATIONS / FUZZ_SEED change the run; defaults reproduce CI. */
        const char *it = getenv("FUZZ_ITERATIONS"), *seed = getenv("FUZZ_SEED");
        unsigned long iterations = it ? strtoul(it, NULL, 0) : DEFAULT_ITERATIONS;
        if (seed && strtoull(seed, NULL, 0))
            rng = strtoull(seed, NULL, 0);
        random_mode(iterations);
        return 0;
    }
    size_t count = 0;
    int failed = 0;
    for (int i = 1; i < argc; i++)
        if (replay_path(argv[i], &count) != 0)
            failed = 1;
    printf("%s: replayed %zu input(s)%s\n", prog, count, failed ? ", some unreadable" : "");
    return failed;
}
