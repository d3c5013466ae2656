/*
 * A strict JSON reader (RFC 8259) for the example exporters. A document is
 * parsed once, in linear time and without recursion, into a flat array of
 * nodes; strings are decoded to UTF-8 in an arena owned by the document. The
 * exporters then walk objects and arrays by node handle.
 */
#ifndef EX_JSON_H
#define EX_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ===================================================================== */
/* Documents                                                              */
/* ===================================================================== */

/* A parsed document (opaque). Read-only after parsing, so several threads
 * may read one document at once; freeing it needs them all done. */
typedef struct ex_json_doc ex_json_doc;

/* A handle to one value of a document: an index, cheap to copy. Functions
 * given EX_JSON_NONE (or a value of the wrong type) answer "missing", so
 * lookups chain without checks in between. */
typedef size_t ex_json_node;
#define EX_JSON_NONE ((ex_json_node)SIZE_MAX)

typedef enum ex_json_kind {
    EX_JSON_MISSING = 0, /* EX_JSON_NONE, or an index out of range */
    EX_JSON_NULL,
    EX_JSON_BOOL,
    EX_JSON_NUMBER,
    EX_JSON_STRING,
    EX_JSON_ARRAY,
    EX_JSON_OBJECT
} ex_json_kind;

#define EX_JSON_DEFAULT_MAX_DEPTH 64

typedef struct ex_json_options {
    /* Deepest nesting of arrays and objects accepted; 0 = the default (64).
     * "[[1]]" has depth 2. Deeper documents are an error, never a stack
     * overflow: the parser keeps its own stack of this size. */
    unsigned max_depth;
} ex_json_options;

/* Why a parse failed: the byte offset into the input where the problem was
 * found (the input's length for a truncated document) and a message. */
typedef struct ex_json_error {
    size_t offset;
    char message[96];
} ex_json_error;

/* Parses exactly len bytes at data (no NUL terminator needed; no byte past
 * data + len is read). The input must be one JSON value surrounded by
 * optional whitespace; the document does not point into data afterwards.
 * opts may be NULL. Returns NULL on invalid input or out of memory and,
 * when err is not NULL, fills *err. Rejected: anything RFC 8259 does not
 * allow (leading zeros, "+1", ".5", "1.", NaN, comments, trailing commas,
 * single quotes, a byte order mark, control characters or invalid UTF-8 in
 * strings, lone surrogates in \u escapes, trailing characters), numbers
 * beyond the range of a double (e.g. 1e400), nesting deeper than max_depth,
 * and inputs of 4 GiB or more. Free with ex_json_free. */
ex_json_doc *ex_json_parse(const char *data, size_t len, const ex_json_options *opts,
                           ex_json_error *err);

/* Frees doc and every string read from it. NULL is a no-op. */
void ex_json_free(ex_json_doc *doc);

/* The top-level value (never EX_JSON_NONE for a parsed document). */
ex_json_node ex_json_root(const ex_json_doc *doc);

/* ===================================================================== */
/* Types and scalars                                                      */
/* ===================================================================== */

ex_json_kind ex_json_kind_of(const ex_json_doc *doc, ex_json_node node);
/* "missing", "null", "boolean", "number", "string", "array", "object". */
const char *ex_json_kind_name(ex_json_kind kind);

/* The decoded UTF-8 text of a string node (object keys are string nodes
 * too), NUL-terminated; *len (if len is not NULL) gets its length, which
 * differs from strlen() only when the text holds "\u0000". Returns NULL
 * (and *len = 0) when node is not a string. The text lives as long as doc. */
const char *ex_json_string(const ex_json_doc *doc, ex_json_node node, size_t *len);

/* true and *out = the value when node is a number. Integer literals up to
 * 2^63 are kept exactly; others are the nearest double (strtod). */
bool ex_json_number(const ex_json_doc *doc, ex_json_node node, double *out);

/* true and *out = the value when node is a number with an integral value in
 * [-2^63, 2^63): "42", "-7", "1e3" and "2.0" qualify, "1.5" does not. An
 * integer literal is exact; 12345678901234567890123 (beyond int64) is not
 * an integer here. out may be NULL to only test. */
bool ex_json_integer(const ex_json_doc *doc, ex_json_node node, int64_t *out);

/* true and *out = the value when node is a number written as an integer
 * literal (no fraction, no exponent) within int64: "60" and "-7" qualify,
 * "60.0", "6e1", "-0" and 2^63 do not. For printing a number the way its
 * source wrote it, as Python's str() of a parsed value does. out may be
 * NULL to only test. */
bool ex_json_integer_literal(const ex_json_doc *doc, ex_json_node node, int64_t *out);

/* true and *out = the value when node is true or false. */
bool ex_json_bool(const ex_json_doc *doc, ex_json_node node, bool *out);

/* true when node is null (not when it is missing). */
bool ex_json_is_null(const ex_json_doc *doc, ex_json_node node);

/* ===================================================================== */
/* Objects and arrays                                                     */
/* ===================================================================== */

/* The number of elements of an array or members of an object; 0 for any
 * other node. O(1). */
size_t ex_json_count(const ex_json_doc *doc, ex_json_node node);

/* The value of the member named key (NUL-terminated) of an object, or
 * EX_JSON_NONE when node is not an object or has no such member. With
 * duplicate keys the first one wins (ex_json_object_next still shows all).
 * A linear scan of the members: fine for the few keys of an API object;
 * to look at every member of a big object, iterate with
 * ex_json_object_next instead. */
ex_json_node ex_json_get(const ex_json_doc *doc, ex_json_node object, const char *key);
/* The same with a key of klen bytes (may hold NUL bytes). */
ex_json_node ex_json_getn(const ex_json_doc *doc, ex_json_node object, const char *key,
                          size_t klen);

/* Element i (from 0) of an array, or EX_JSON_NONE. O(i). */
ex_json_node ex_json_index(const ex_json_doc *doc, ex_json_node array, size_t i);

/* Follows a path of member names separated by '.' and array indices in
 * brackets from node: "metadata.continue", "spec.extra_refs[0].org",
 * "[2].name", "items". EX_JSON_NONE when any step is missing or the path is
 * malformed. Keys holding '.' or '[' (such as Kubernetes label keys) cannot
 * be named in a path: use ex_json_get for those. */
ex_json_node ex_json_path(const ex_json_doc *doc, ex_json_node node, const char *path);

/* Iterates over an array: pass EX_JSON_NONE as prev to get the first
 * element, then the element last returned; EX_JSON_NONE at the end or when
 * array is not an array. O(1) a step.
 *
 *     ex_json_node job = EX_JSON_NONE;
 *     while ((job = ex_json_array_next(doc, jobs, job)) != EX_JSON_NONE)
 *         ...
 */
ex_json_node ex_json_array_next(const ex_json_doc *doc, ex_json_node array, ex_json_node prev);

/* Iterates over the members of an object in document order, duplicates
 * included: returns the next key (a string node; read it with
 * ex_json_string) and sets *value (if not NULL) to its value. Pass
 * EX_JSON_NONE as prev_key first, then the key last returned. O(1) a step.
 *
 *     ex_json_node key = EX_JSON_NONE, value;
 *     while ((key = ex_json_object_next(doc, labels, key, &value)) != EX_JSON_NONE)
 *         printf("%s=%s\n", ex_json_string(doc, key, NULL),
 *                ex_json_string(doc, value, NULL));
 */
ex_json_node ex_json_object_next(const ex_json_doc *doc, ex_json_node object, ex_json_node prev_key,
                                 ex_json_node *value);

#endif /* EX_JSON_H */
