/*
 * Fuzz target for the reading side of multi-process mode (lib/mp_file.c,
 * lib/mp_key.c, lib/mp_collect.c, lib/mp_compact.c): the files of a
 * multi-process directory come from any process of the group, or from
 * client_python, and a collector must serve or refuse them, never crash.
 *
 * The input describes one file: byte 0 picks its name (a type, a gauge
 * mode), byte 1 its layout (bit 0: a timestamp after each value, as
 * client_python 0.18+) and whether it is raw (bit 1: the rest of the input
 * is the file itself, garbage included); otherwise the rest is lines
 * "key<TAB>value<TAB>timestamp" built into a well-formed file, and an
 * optional line "!<offset> <byte>..." then overwrites bytes of it.
 *
 * Invariants, beyond no crash or sanitizer report:
 * - the same entries written in the other layout are served byte for byte
 *   the same (a file's layout is found from its entries; timestamps only
 *   matter to the mostrecent modes, left out of this check);
 * - compaction (promc_multiprocess_mark_process_dead) succeeds only for a
 *   file the collector served without refusing it, and what it writes is
 *   served without a refusal.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "promc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

static const char *const names[] = {
    "counter_x.db",          "histogram_x.db",           "summary_x.db",   "gauge_all_x.db",
    "gauge_min_x.db",        "gauge_max_x.db",           "gauge_sum_x.db", "gauge_livesum_x.db",
    "gauge_mostrecent_x.db", "gauge_livemostrecent_x.db"};
#define NNAMES (sizeof names / sizeof *names)

static char dir[64];
static const uint8_t *input; /* the input being run, for messages */
static size_t input_size;

static void fail(const char *what, const char *a, const char *b)
{
    fprintf(stderr, "fuzz_mp_file: %s\n--- first:\n%s\n--- second:\n%s\n--- input:\n", what,
            a ? a : "", b ? b : "");
    for (size_t i = 0; i < input_size; i++)
        fprintf(stderr, input[i] >= 32 && input[i] < 127 ? "%c" : "\\x%02x", input[i]);
    fprintf(stderr, "\n");
    abort();
}

static void clear_dir(void)
{
    DIR *d = opendir(dir);
    if (!d)
        abort();
    struct dirent *de;
    char path[512];
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            unlink(path);
        }
    closedir(d);
}

static void put(const char *name, const unsigned char *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
        abort();
}

/* The collector's text for the directory (owned by the caller). */
static char *render(void)
{
    promc_registry *reg = promc_registry_new();
    if (!reg)
        abort();
    promc_metric *m = promc_multiprocess_collector_new(reg, dir);
    if (!m)
        fail("collector refused the directory", promc_last_error(), NULL);
    promc_metric_free(m);
    char *s = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, NULL);
    if (!s)
        fail("scrape failed", promc_last_error(), NULL);
    promc_registry_free(reg);
    return s;
}

/* Whether a text holds a sample of the refused-files gauge (a line that
 * starts with its name: help texts and label values cannot hold a raw
 * newline). */
static bool has_refusal(const char *text)
{
    static const char name[] = "promc_multiprocess_refused_files{";
    return strncmp(text, name, sizeof name - 1) == 0 ||
           strstr(text, "\npromc_multiprocess_refused_files{");
}

/* A file being built: header, then entries. */
struct file {
    unsigned char *p;
    size_t n, cap;
};

static void grow(struct file *f, size_t more)
{
    if (f->n + more <= f->cap)
        return;
    while (f->n + more > f->cap)
        f->cap = f->cap ? f->cap * 2 : 256;
    f->p = realloc(f->p, f->cap);
    if (!f->p)
        abort();
}

static void add(struct file *f, const void *p, size_t n)
{
    if (n == 0)
        return;
    grow(f, n);
    memcpy(f->p + f->n, p, n);
    f->n += n;
}

static void entry(struct file *f, bool stamped, const char *key, size_t len, double v, double ts)
{
    int32_t l = (int32_t)len;
    add(f, &l, 4);
    add(f, key, len);
    add(f, "        ", 8 - (len + 4) % 8);
    add(f, &v, 8);
    if (stamped)
        add(f, &ts, 8);
}

static void finish(struct file *f)
{
    int32_t used = (int32_t)f->n;
    memcpy(f->p, &used, 4);
}

/* Builds the file of the lines in text, in a layout; the edits of a "!"
 * line are applied when edit. Returns whether any entry was built. */
static bool build(struct file *f, const char *text, bool stamped, bool edit)
{
    f->n = 0;
    add(f, "\0\0\0\0\0\0\0\0", 8);
    bool any = false;
    const char *edits = NULL;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (line[0] == '!') {
            edits = line + 1;
        } else if (n > 0) {
            const char *tab = memchr(line, '\t', n);
            size_t klen = tab ? (size_t)(tab - line) : n;
            double v = tab ? strtod(tab + 1, NULL) : 1;
            const char *tab2 = tab ? memchr(tab + 1, '\t', n - klen - 1) : NULL;
            double ts = tab2 ? strtod(tab2 + 1, NULL) : 0;
            if (klen > 0) {
                entry(f, stamped, line, klen, v, ts);
                any = true;
            }
        }
        line += n + (end ? 1 : 0);
    }
    finish(f);
    while (edit && edits) {
        char *e;
        unsigned long off = strtoul(edits, &e, 10);
        if (e == edits)
            break;
        unsigned long byte = strtoul(e, &e, 10);
        if (off < f->n)
            f->p[off] = (unsigned char)byte;
        edits = *e == ' ' ? e + 1 : NULL;
    }
    return any;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 1 << 16)
        return 0;
    input = data;
    input_size = size;
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/promc_fuzz_mp_XXXXXX");
        if (!mkdtemp(dir))
            abort();
    }
    clear_dir();
    const char *name = names[data[0] % NNAMES];
    bool stamped = data[1] & 1, raw = data[1] & 2;
    bool recent = strstr(name, "mostrecent") != NULL;
    bool compacted = strncmp(name, "gauge_all", 9) && strncmp(name, "gauge_live", 10);
    char *text = malloc(size - 1);
    if (!text)
        abort();
    memcpy(text, data + 2, size - 2);
    text[size - 2] = '\0';
    struct file f = {0};
    bool edited = raw || strchr(text, '!');
    if (raw)
        add(&f, data + 2, size - 2);
    else
        build(&f, text, stamped, true);
    put(name, f.p, f.n);
    char *first = render();
    bool refused = has_refusal(first);

    /* The same entries in the other layout read alike. */
    if (!edited && !recent && !refused) {
        clear_dir();
        struct file o = {0};
        build(&o, text, !stamped, false);
        put(name, o.p, o.n);
        char *second = render();
        if (strcmp(first, second) != 0)
            fail("the same entries read differently in the two layouts", first, second);
        free(o.p);
        promc_free(second);
        clear_dir();
        put(name, f.p, f.n);
    }

    /* Compaction folds only what the collector serves. */
    int rc = promc_multiprocess_mark_process_dead(dir, "x");
    if (rc == PROMC_OK && compacted && refused)
        fail("compaction took a file the collector refuses", first, NULL);
    if (rc != PROMC_OK && rc != PROMC_EIO)
        fail("compaction failed otherwise than with PROMC_EIO", promc_last_error(), NULL);
    char *after = render();
    if (rc == PROMC_OK && has_refusal(after))
        fail("the compacted file is refused", first, after);
    promc_free(after);
    promc_free(first);
    free(f.p);
    free(text);
    return 0;
}

const char *const *fuzz_seed_inputs(size_t *n)
{
    /* Byte 0: the name (its index modulo ten: 0 counter, 1 histogram, 2
     * summary, 3 all, 4 min, 5 max, 6 sum, 7 livesum, 8 mostrecent, 9
     * livemostrecent); byte 1: 0x10 plus the flags (no NUL in a seed). */
    static const char *const seeds[] = {
        "\x14\x11[\"c\", \"c_total\", {\"a\": \"1\"}, \"C.\"]\t3\n"
        "[\"c\", \"c_total\", {\"a\": \"2\"}, \"C.\"]\t4\n",
        "\x01\x10[\"h\", \"h_bucket\", {\"le\": \"0.5\"}, \"H.\"]\t1\n"
        "[\"h\", \"h_bucket\", {\"le\": \"+Inf\"}, \"H.\"]\t2\n[\"h\", \"h_sum\", {}, \"H.\"]\t3\n",
        "\x02\x11[\"s\", \"s_count\", {}, \"S.\"]\t2\n[\"s\", \"s_sum\", {}, \"S.\"]\t7.5\n",
        "\x08\x11[\"g\", \"g\", {}, \"G.\"]\t7\t1700000000\n[\"g\", \"g\", {\"x\": \"y\"}, "
        "\"G.\"]\t9\t0\n",
        "\x05\x10[\"g\", \"g\", {\"x\": \"1\"}, \"G.\"]\t-2\n[\"g\", \"g\", {\"x\": \"1\"}, "
        "\"G.\"]\t5\n",
        "\x03\x11[\"g\", \"g\", {\"pid\": \"1\"}, \"G.\"]\t1\n",
        "\x06\x10[\"g\", \"g\", {}, \"G.\"]\t1\n[\"g\", \"g\", {}, \"G.\"]\t2\n",
        "\x14\x10[\"c\", \"c_total\", {}, \"C.\"]\t1\n!0 40 4 0\n",
        "\x14\x13\x10\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01",
    };
    *n = sizeof seeds / sizeof *seeds;
    return seeds;
}
