/*
 * Fuzz target for examples/common/json.c. Each input is parsed from an
 * exact-size heap copy (so ASan sees any over-read); an accepted document is
 * walked completely, written back as canonical JSON and parsed again, which
 * must give the same tree; limits must only ever refuse more. Any broken
 * invariant aborts. Seeds for replay.c's random mode come from
 * fuzz_seed_inputs().
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_json: %s\n", what);
    abort();
}

/* Whether s[0..n) is valid UTF-8 (NUL bytes allowed: "\u0000"). */
static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c < 0xe0) {
            k = 1, cp = c & 0x1f;
        } else if (c >= 0xe0 && c < 0xf0) {
            k = 2, cp = c & 0x0f;
        } else if (c >= 0xf0 && c < 0xf5) {
            k = 3, cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i <= k)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* Canonical output                                                    */
/* ------------------------------------------------------------------ */

struct out {
    char *buf;
    size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len + n > o->cap) {
        size_t cap = (o->cap ? o->cap * 2 : 256) + n;
        char *bigger = realloc(o->buf, cap);
        if (!bigger)
            fail("out of memory");
        o->buf = bigger;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void put_string(struct out *o, const char *s, size_t n)
{
    put(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            put(o, esc, 2);
        } else if (c < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(o, esc, 6);
        } else {
            put(o, s + i, 1);
        }
    }
    put(o, "\"", 1);
}

/* Writes node as compact JSON; checks what must hold of every node on the
 * way. Recursion depth is bounded by the parser's max_depth (64). */
static void emit(const ex_json_doc *doc, ex_json_node node, struct out *o, unsigned depth)
{
    char num[40];
    size_t len = 0, count = 0;
    double d;
    int64_t i;
    bool b;
    if (depth > EX_JSON_DEFAULT_MAX_DEPTH)
        fail("deeper than the limit");
    switch (ex_json_kind_of(doc, node)) {
    case EX_JSON_NULL:
        put(o, "null", 4);
        break;
    case EX_JSON_BOOL:
        if (!ex_json_bool(doc, node, &b))
            fail("bool");
        put(o, b ? "true" : "false", b ? 4 : 5);
        break;
    case EX_JSON_NUMBER:
        if (!ex_json_number(doc, node, &d) || !isfinite(d))
            fail("number");
        if (ex_json_integer(doc, node, &i)) {
            if ((double)i != d)
                fail("integer disagrees with number");
            if (d == 0 && signbit(d))
                snprintf(num, sizeof num, "-0");
            else
                snprintf(num, sizeof num, "%lld", (long long)i);
        } else {
            if (d == floor(d) && fabs(d) < 9.2e18)
                fail("integral value not an integer");
            snprintf(num, sizeof num, "%.17g", d);
        }
        put(o, num, strlen(num));
        break;
    case EX_JSON_STRING: {
        const char *s = ex_json_string(doc, node, &len);
        if (!s || s[len] != '\0' || !valid_utf8((const unsigned char *)s, len))
            fail("string");
        put_string(o, s, len);
        break;
    }
    case EX_JSON_ARRAY: {
        put(o, "[", 1);
        ex_json_node e = EX_JSON_NONE;
        while ((e = ex_json_array_next(doc, node, e)) != EX_JSON_NONE) {
            if (count < 16 && ex_json_index(doc, node, count) != e)
                fail("index disagrees with iteration");
            if (count++)
                put(o, ",", 1);
            emit(doc, e, o, depth + 1);
        }
        if (count != ex_json_count(doc, node))
            fail("array count");
        if (ex_json_index(doc, node, count) != EX_JSON_NONE)
            fail("index past the end");
        put(o, "]", 1);
        break;
    }
    case EX_JSON_OBJECT: {
        put(o, "{", 1);
        ex_json_node k = EX_JSON_NONE, v;
        while ((k = ex_json_object_next(doc, node, k, &v)) != EX_JSON_NONE) {
            const char *key = ex_json_string(doc, k, &len);
            if (!key || v == EX_JSON_NONE)
                fail("member");
            /* Lookup finds a member with this key: this one or an earlier
             * duplicate. Bounded, so big objects stay linear overall. */
            if (count < 16) {
                ex_json_node found = ex_json_getn(doc, node, key, len);
                if (found == EX_JSON_NONE || found > v)
                    fail("lookup by key");
            }
            if (count++)
                put(o, ",", 1);
            put_string(o, key, len);
            put(o, ":", 1);
            emit(doc, v, o, depth + 1);
        }
        if (count != ex_json_count(doc, node))
            fail("object count");
        put(o, "}", 1);
        break;
    }
    case EX_JSON_MISSING:
        fail("missing node inside a document");
    }
    if (ex_json_kind_of(doc, node) != EX_JSON_STRING && ex_json_string(doc, node, NULL))
        fail("string of a non-string");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    if (size)
        memcpy(copy, data, size);

    ex_json_error err;
    ex_json_doc *doc = ex_json_parse(copy, size, NULL, &err);
    if (!doc && (err.offset > size || !err.message[0]))
        fail("error report");

    /* A higher limit refuses nothing the default accepts; a lower one
     * accepts nothing the default refuses. */
    ex_json_options deep = {.max_depth = 1000}, shallow = {.max_depth = 2};
    ex_json_error err2;
    ex_json_doc *d2 = ex_json_parse(copy, size, &deep, &err2);
    if (doc && !d2)
        fail("a higher depth limit refused a document");
    if (!doc && !d2 && (err.offset != err2.offset || strcmp(err.message, err2.message) != 0) &&
        !strstr(err.message, "nesting"))
        fail("a higher depth limit changed the error");
    ex_json_free(d2);
    d2 = ex_json_parse(copy, size, &shallow, &err2);
    if (d2 && !doc)
        fail("a lower depth limit accepted a refused document");
    ex_json_free(d2);

    if (doc) {
        /* Canonical form, parsed again: the same canonical form. */
        struct out a = {0}, b = {0};
        emit(doc, ex_json_root(doc), &a, 0);
        ex_json_doc *again = ex_json_parse(a.buf, a.len, NULL, &err2);
        if (!again) {
            fprintf(stderr, "fuzz_json: %s at %zu in: %.*s\n", err2.message, err2.offset,
                    (int)a.len, a.buf);
            fail("canonical form refused");
        }
        emit(again, ex_json_root(again), &b, 0);
        if (a.len != b.len || memcmp(a.buf, b.buf, a.len) != 0)
            fail("canonical form changed on a second parse");
        ex_json_free(again);
        free(a.buf);
        free(b.buf);
        /* Paths never go wrong on any document. */
        static const char *const paths[] = {"a",    "items[0].spec.job", "[0]",  "[0][0]",
                                            "jobs", "metadata.continue", "a..b", "[",
                                            ""};
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
            ex_json_node n = ex_json_path(doc, ex_json_root(doc), paths[i]);
            if (n != EX_JSON_NONE && ex_json_kind_of(doc, n) == EX_JSON_MISSING)
                fail("path");
        }
    }
    ex_json_free(doc);
    free(copy);
    return 0;
}

const char *const *fuzz_seed_inputs(size_t *n)
{
    static const char *const seeds[] = {
        "{\"apiVersion\":\"prow.k8s.io/v1\",\"items\":[{\"metadata\":{\"name\":\"a1\","
        "\"labels\":{\"prow.k8s.io/job\":\"ci-e2e\",\"event-GUID\":\"x\"},"
        "\"creationTimestamp\":\"2024-01-02T03:04:05Z\"},\"spec\":{\"job\":\"ci-e2e\","
        "\"agent\":\"kubernetes\",\"refs\":{\"org\":\"k\",\"repo\":\"t\",\"base_ref\":"
        "\"main\"},\"extra_refs\":[]},\"status\":{\"state\":\"success\",\"startTime\":"
        "\"2024-01-02T03:04:05.5Z\"}}],\"kind\":\"ProwJobList\",\"metadata\":{\"continue\":"
        "\"eyJ2Ijo\"}}",
        "{\"_class\":\"hudson.model.Hudson\",\"jobs\":[{\"_class\":\"com.cloudbees.hudson."
        "plugins.folder.Folder\",\"url\":\"http://j/job/a/\",\"jobs\":[{\"url\":\"http://j/"
        "job/a/job/b/\"}]},{\"_class\":\"hudson.model.FreeStyleProject\",\"url\":\"u\"}]}",
        "[\"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\\b\\f\\r\\t\\u0000\", \"caf\xc3\xa9 "
        "\xf0\x9f\x98\x80\", \"\\uDBFF\\uDFFF\"]",
        "[0, -0, 1.5e-3, 9223372036854775807, -9223372036854775808, 9223372036854775808, "
        "1E+308, 5e-324, 123456789012345678901234567890, 2.0, true, false, null]",
        "{\"a\":{\"a\":{\"a\":[[[[{\"b\":[]}]]]]}},\"a\":1,\"\":{}}",
    };
    *n = sizeof seeds / sizeof seeds[0];
    return seeds;
}
