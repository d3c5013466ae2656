/*
 * The keys of multi-process files (mp_key.c): each series is stored under
 * the JSON text client_python's mmap_key() writes, [metric, sample,
 * {labels}, help] with sorted label names, ", " and ": " separators and
 * every non-ASCII or control character as \uXXXX, so that a C process and a
 * Python process writing the same series produce the same key. Also the
 * le label text client_python writes (its floatToGoString).
 */
#ifndef PROMC_MP_KEY_H
#define PROMC_MP_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include "promc.h"

struct promc__buf;

/* Appends the key of a series; labels must be sorted by name (strcmp). */
void promc__mp_key(struct promc__buf *b, const char *metric, const char *sample,
                   const promc_label *labels, size_t nlabels, const char *help);

/* A key taken apart: every string NUL-terminated in one block (owned). */
struct promc__mp_parsed {
    char *metric, *sample, *help;
    size_t nlabels;
    promc_label *labels; /* in the order of the key */
    void *block;         /* promc__free(block) releases everything */
};

/* Parses s[0..len); false (nothing allocated) when it is not the JSON text
 * of [string, string, {string: string, ...}, string] in valid UTF-8, or
 * when out of memory (*oom set). */
bool promc__mp_parse_key(const char *s, size_t len, struct promc__mp_parsed *out, bool *oom);

/* Why a parsed key of a file of this type ("counter", "gauge",
 * "histogram", "summary"; pid_reserved for an all/liveall gauge file),
 * with its value, cannot be served by a collector (NULL when it can): an
 * invalid metric or label name (UTF-8 names when utf8), a label twice or
 * reserved for the type, a gauge sample not named as its metric, a
 * negative or NaN count, the name of the collector's own refused-files
 * gauge. Sorts the key's labels by name. */
const char *promc__mp_key_unservable(struct promc__mp_parsed *k, double value, const char *type,
                                     bool pid_reserved, bool utf8);

/* v as client_python's floatToGoString writes it (Python's repr, with Go's
 * exponent form for large values; "+Inf", "-Inf", "NaN"). out holds 40. */
void promc__mp_float_text(double v, char *out);

#endif
