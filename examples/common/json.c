/*
 * The JSON reader behind json.h. One pass over the input with an explicit
 * stack (no recursion), emitting 16-byte nodes in document order; siblings
 * are chained by index, so walking is O(1) a step. Strings are validated
 * (UTF-8, escapes, surrogates) and decoded into one arena sized up front.
 */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Nodes                                                               */
/* ------------------------------------------------------------------ */

#define FLAG_INT  1u /* number: u.i holds the exact value */
#define FLAG_TRUE 1u /* bool: true */

struct node {
    uint32_t next; /* next element of an array / next key of an object; 0 = none */
    uint8_t kind;  /* ex_json_kind */
    uint8_t flags;
    uint16_t unused;
    union {
        double num;
        int64_t i;
        struct {
            uint32_t off, len; /* into the arena */
        } str;
        uint32_t count; /* array elements / object members */
    } u;
};

/* The root is node 0 and never anyone's sibling, so next == 0 can mean
 * "none". A key is always directly followed by its value (key + 1). */
struct ex_json_doc {
    struct node *nodes;
    size_t n;
    char *arena; /* decoded strings, each NUL-terminated */
};

/* ------------------------------------------------------------------ */
/* Parser state                                                        */
/* ------------------------------------------------------------------ */

struct frame {
    uint32_t node; /* the open array or object */
    uint32_t last; /* its last element / key so far; 0 = none yet */
};

struct parser {
    const unsigned char *s;
    size_t len, pos;
    struct node *nodes;
    size_t n, cap;
    char *arena;
    size_t used; /* arena bytes written */
    struct frame *stack;
    size_t depth, stack_cap, max_depth;
    ex_json_error *err;
};

__attribute__((format(printf, 3, 4))) static int fail(struct parser *p, size_t offset,
                                                      const char *fmt, ...)
{
    if (p->err) {
        va_list ap;
        va_start(ap, fmt);
        p->err->offset = offset;
        vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int fail_eof(struct parser *p)
{
    return fail(p, p->len, "unexpected end of input");
}

static int fail_char(struct parser *p, const char *what)
{
    unsigned char c = p->s[p->pos];
    if (c >= 0x21 && c < 0x7f)
        return fail(p, p->pos, "unexpected character '%c'%s", c, what);
    return fail(p, p->pos, "unexpected byte 0x%02x%s", c, what);
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len) {
        unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        p->pos++;
    }
}

/* Appends a zeroed node; returns its index or -1 (out of memory). Every
 * node takes at least one input byte, so indices fit in 32 bits because
 * the input is shorter than 4 GiB. */
static long long new_node(struct parser *p, ex_json_kind kind)
{
    if (p->n == p->cap) {
        size_t cap = p->cap * 2;
        struct node *bigger = realloc(p->nodes, cap * sizeof *bigger);
        if (!bigger)
            return fail(p, p->pos, "out of memory");
        p->nodes = bigger;
        p->cap = cap;
    }
    struct node *nd = &p->nodes[p->n];
    memset(nd, 0, sizeof *nd);
    nd->kind = (uint8_t)kind;
    return (long long)p->n++;
}

/* Makes node idx the next child of the open container f. */
static void link_child(struct parser *p, struct frame *f, uint32_t idx)
{
    if (f->last)
        p->nodes[f->last].next = idx;
    f->last = idx;
    p->nodes[f->node].u.count++;
}

static int push(struct parser *p, uint32_t idx)
{
    if (p->depth >= p->max_depth)
        return fail(p, p->pos, "nesting deeper than %zu levels", p->max_depth);
    if (p->depth == p->stack_cap) {
        size_t cap = p->stack_cap ? p->stack_cap * 2 : 16;
        struct frame *bigger = realloc(p->stack, cap * sizeof *bigger);
        if (!bigger)
            return fail(p, p->pos, "out of memory");
        p->stack = bigger;
        p->stack_cap = cap;
    }
    p->stack[p->depth++] = (struct frame){idx, 0};
    return 0;
}

/* ------------------------------------------------------------------ */
/* Scalars                                                             */
/* ------------------------------------------------------------------ */

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int parse_literal(struct parser *p, struct node *nd)
{
    static const struct {
        const char *text;
        size_t len;
        ex_json_kind kind;
        uint8_t flags;
    } lits[] = {{"true", 4, EX_JSON_BOOL, FLAG_TRUE},
                {"false", 5, EX_JSON_BOOL, 0},
                {"null", 4, EX_JSON_NULL, 0}};
    for (size_t i = 0; i < sizeof lits / sizeof lits[0]; i++) {
        if (p->s[p->pos] != (unsigned char)lits[i].text[0])
            continue;
        size_t avail = p->len - p->pos;
        size_t cmp = avail < lits[i].len ? avail : lits[i].len;
        if (memcmp(p->s + p->pos, lits[i].text, cmp) != 0)
            break;
        if (cmp < lits[i].len)
            return fail_eof(p);
        nd->kind = (uint8_t)lits[i].kind;
        nd->flags = lits[i].flags;
        p->pos += lits[i].len;
        return 0;
    }
    return fail(p, p->pos, "invalid literal (expected true, false or null)");
}

/* The value of the integer literal s[0..n) (an optional '-' then digits),
 * if it fits an int64_t. */
static int exact_integer(const unsigned char *s, size_t n, int64_t *out)
{
    int neg = s[0] == '-';
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
    for (size_t i = (size_t)neg; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return 1;
}

static int parse_number(struct parser *p, struct node *nd)
{
    const unsigned char *s = p->s;
    size_t start = p->pos, pos = p->pos, len = p->len;
    int integral = 1;
    if (s[pos] == '-')
        pos++;
    if (pos >= len)
        return fail_eof(p);
    if (s[pos] == '0') {
        pos++;
        if (pos < len && is_digit(s[pos]))
            return fail(p, pos, "leading zeros are not allowed");
    } else if (is_digit(s[pos])) {
        while (pos < len && is_digit(s[pos]))
            pos++;
    } else {
        return fail(p, pos, "expected a digit after '-'");
    }
    if (pos < len && s[pos] == '.') {
        integral = 0;
        pos++;
        if (pos >= len)
            return fail_eof(p);
        if (!is_digit(s[pos]))
            return fail(p, pos, "expected a digit after '.'");
        while (pos < len && is_digit(s[pos]))
            pos++;
    }
    if (pos < len && (s[pos] == 'e' || s[pos] == 'E')) {
        integral = 0;
        pos++;
        if (pos < len && (s[pos] == '+' || s[pos] == '-'))
            pos++;
        if (pos >= len)
            return fail_eof(p);
        if (!is_digit(s[pos]))
            return fail(p, pos, "expected a digit in the exponent");
        while (pos < len && is_digit(s[pos]))
            pos++;
    }
    size_t n = pos - start;
    nd->kind = EX_JSON_NUMBER;
    /* "-0" stays a double so that its sign survives. */
    if (integral && !(n == 2 && s[start] == '-' && s[start + 1] == '0') &&
        exact_integer(s + start, n, &nd->u.i)) {
        nd->flags = FLAG_INT;
        p->pos = pos;
        return 0;
    }
    /* strtod wants a NUL-terminated string: copy the (validated) literal.
     * The grammar above is stricter than strtod's, so the whole copy is
     * consumed; the "C" locale's '.' is assumed (the examples never call
     * setlocale). */
    char small[64], *buf = small;
    if (n >= sizeof small && !(buf = malloc(n + 1)))
        return fail(p, start, "out of memory");
    memcpy(buf, s + start, n);
    buf[n] = '\0';
    errno = 0;
    double v = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    if (isinf(v))
        return fail(p, start, "number out of range");
    nd->u.num = v;
    p->pos = pos;
    return 0;
}

/* Length of the valid UTF-8 sequence at s (avail bytes available), or 0:
 * no overlong forms, no UTF-16 surrogates, nothing above U+10FFFF. */
static size_t utf8_sequence(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    unsigned lo = 0x80, hi = 0xbf;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c < 0xc2)
        return 0; /* continuation byte, or overlong 2-byte lead */
    if (c < 0xe0) {
        n = 2;
    } else if (c < 0xf0) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        if (c == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (c < 0xf5) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        if (c == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the XXXX of "\uXXXX" at s[pos..]; -1 if missing or not hex. */
static long hex4(const struct parser *p, size_t pos)
{
    if (p->len - pos < 4)
        return -1;
    long v = 0;
    for (size_t i = 0; i < 4; i++) {
        int h = hex_value(p->s[pos + i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static size_t utf8_encode(unsigned long cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes the escape at s[pos] == '\\' into out; advances p->pos. */
static int parse_escape(struct parser *p, char *out, size_t *outlen)
{
    size_t at = p->pos;
    if (p->len - at < 2)
        return fail_eof(p);
    unsigned char e = p->s[at + 1];
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit = e ? strchr(from, e) : NULL;
    if (hit) {
        out[0] = to[hit - from];
        *outlen = 1;
        p->pos = at + 2;
        return 0;
    }
    if (e != 'u')
        return fail(p, at, "invalid escape '\\%c'", e >= 0x21 && e < 0x7f ? e : '?');
    long cp = hex4(p, at + 2);
    if (cp < 0)
        return fail(p, at, "\\u needs four hex digits");
    size_t end = at + 6;
    if (cp >= 0xdc00 && cp <= 0xdfff)
        return fail(p, at, "lone low surrogate \\u%04lX", (unsigned long)cp);
    if (cp >= 0xd800 && cp <= 0xdbff) {
        long lo = -1;
        if (p->len - end >= 6 && p->s[end] == '\\' && p->s[end + 1] == 'u')
            lo = hex4(p, end + 2);
        if (lo < 0xdc00 || lo > 0xdfff)
            return fail(p, at, "high surrogate \\u%04lX not followed by a low one",
                        (unsigned long)cp);
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        end += 6;
    }
    *outlen = utf8_encode((unsigned long)cp, out);
    p->pos = end;
    return 0;
}

/* Parses the string at s[pos] == '"' into the arena. The decoded text plus
 * its NUL never outgrows the raw text plus its quotes (every escape shrinks,
 * other bytes are copied one for one), so an arena of len + 1 bytes holds
 * every string of the document. */
static int parse_string(struct parser *p, struct node *nd)
{
    const unsigned char *s = p->s;
    char *out = p->arena + p->used;
    size_t w = 0;
    p->pos++;
    for (;;) {
        if (p->pos >= p->len)
            return fail_eof(p);
        unsigned char c = s[p->pos];
        if (c == '"')
            break;
        if (c == '\\') {
            size_t n = 0;
            if (parse_escape(p, out + w, &n) != 0)
                return -1;
            w += n;
            continue;
        }
        if (c < 0x20)
            return fail(p, p->pos, "control character 0x%02x in string (must be escaped)", c);
        if (c < 0x80) {
            size_t run = p->pos;
            while (run < p->len && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' &&
                   s[run] != '\\')
                run++;
            memcpy(out + w, s + p->pos, run - p->pos);
            w += run - p->pos;
            p->pos = run;
            continue;
        }
        size_t n = utf8_sequence(s + p->pos, p->len - p->pos);
        if (n == 0)
            return fail(p, p->pos, "invalid UTF-8 in string");
        memcpy(out + w, s + p->pos, n);
        w += n;
        p->pos += n;
    }
    p->pos++; /* closing quote */
    out[w] = '\0';
    nd->kind = EX_JSON_STRING;
    nd->u.str.off = (uint32_t)p->used;
    nd->u.str.len = (uint32_t)w;
    p->used += w + 1;
    return 0;
}

static int parse_scalar(struct parser *p, uint32_t idx)
{
    struct node *nd = &p->nodes[idx];
    unsigned char c = p->s[p->pos];
    if (c == '"')
        return parse_string(p, nd);
    if (c == '-' || is_digit(c))
        return parse_number(p, nd);
    if (c == 't' || c == 'f' || c == 'n')
        return parse_literal(p, nd);
    return fail_char(p, "");
}

/* ------------------------------------------------------------------ */
/* Structure                                                           */
/* ------------------------------------------------------------------ */

/* The grammar as a loop over three states, with the open containers on
 * p->stack: VALUE (a value must start here), KEY (a member name must start
 * here; whitespace already skipped) and AFTER (a value just ended). */
static int parse_document(struct parser *p)
{
    enum { VALUE, KEY, AFTER } state = VALUE;
    for (;;) {
        if (state == VALUE) {
            skip_ws(p);
            if (p->pos >= p->len)
                return fail_eof(p);
            unsigned char c = p->s[p->pos];
            int open = c == '[' || c == '{';
            long long got = new_node(p, c == '[' ? EX_JSON_ARRAY : EX_JSON_OBJECT);
            if (got < 0)
                return -1;
            uint32_t idx = (uint32_t)got;
            if (p->depth > 0 && p->nodes[p->stack[p->depth - 1].node].kind == EX_JSON_ARRAY)
                link_child(p, &p->stack[p->depth - 1], idx);
            if (!open) {
                if (parse_scalar(p, idx) != 0)
                    return -1;
                state = AFTER;
                continue;
            }
            if (push(p, idx) != 0)
                return -1;
            p->pos++;
            skip_ws(p);
            if (p->pos >= p->len)
                return fail_eof(p);
            if (p->s[p->pos] == (c == '[' ? ']' : '}')) {
                p->pos++;
                p->depth--;
                state = AFTER;
            } else {
                state = c == '[' ? VALUE : KEY;
            }
        } else if (state == KEY) {
            if (p->s[p->pos] != '"')
                return fail_char(p, " (expected a string key)");
            long long got = new_node(p, EX_JSON_STRING);
            if (got < 0)
                return -1;
            uint32_t idx = (uint32_t)got;
            if (parse_string(p, &p->nodes[idx]) != 0)
                return -1;
            link_child(p, &p->stack[p->depth - 1], idx);
            skip_ws(p);
            if (p->pos >= p->len)
                return fail_eof(p);
            if (p->s[p->pos] != ':')
                return fail_char(p, " (expected ':' after a key)");
            p->pos++;
            state = VALUE;
        } else { /* AFTER */
            skip_ws(p);
            if (p->depth == 0) {
                if (p->pos < p->len)
                    return fail(p, p->pos, "trailing characters after the JSON value");
                return 0;
            }
            if (p->pos >= p->len)
                return fail_eof(p);
            int array = p->nodes[p->stack[p->depth - 1].node].kind == EX_JSON_ARRAY;
            unsigned char c = p->s[p->pos];
            if (c == ',') {
                p->pos++;
                if (!array) {
                    skip_ws(p);
                    if (p->pos >= p->len)
                        return fail_eof(p);
                }
                state = array ? VALUE : KEY;
            } else if (c == (array ? ']' : '}')) {
                p->pos++;
                p->depth--;
            } else {
                return fail_char(p, array ? " (expected ',' or ']')" : " (expected ',' or '}')");
            }
        }
    }
}

ex_json_doc *ex_json_parse(const char *data, size_t len, const ex_json_options *opts,
                           ex_json_error *err)
{
    struct parser p = {0};
    p.s = (const unsigned char *)data;
    p.len = len;
    p.err = err;
    p.max_depth = opts && opts->max_depth ? opts->max_depth : EX_JSON_DEFAULT_MAX_DEPTH;
    if (err) {
        err->offset = 0;
        err->message[0] = '\0';
    }
    if (len >= UINT32_MAX) {
        fail(&p, 0, "input too large (4 GiB or more)");
        return NULL;
    }
    if (!data && len) {
        fail(&p, 0, "no input");
        return NULL;
    }
    if (len == 0) {
        fail(&p, 0, "empty input");
        return NULL;
    }
    ex_json_doc *doc = malloc(sizeof *doc);
    p.cap = len / 8 + 16;
    p.nodes = malloc(p.cap * sizeof *p.nodes);
    p.arena = malloc(len + 1);
    if (!doc || !p.nodes || !p.arena) {
        fail(&p, 0, "out of memory");
        goto error;
    }
    if (parse_document(&p) != 0)
        goto error;
    free(p.stack);
    /* Give back what the estimates over-reserved; offsets stay valid. */
    struct node *nodes = realloc(p.nodes, p.n * sizeof *nodes);
    char *arena = realloc(p.arena, p.used ? p.used : 1);
    doc->nodes = nodes ? nodes : p.nodes;
    doc->n = p.n;
    doc->arena = arena ? arena : p.arena;
    return doc;
error:
    free(p.stack);
    free(p.nodes);
    free(p.arena);
    free(doc);
    return NULL;
}

void ex_json_free(ex_json_doc *doc)
{
    if (!doc)
        return;
    free(doc->nodes);
    free(doc->arena);
    free(doc);
}

ex_json_node ex_json_root(const ex_json_doc *doc)
{
    return doc && doc->n ? 0 : EX_JSON_NONE;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

static const struct node *at(const ex_json_doc *doc, ex_json_node node)
{
    return doc && node < doc->n ? &doc->nodes[node] : NULL;
}

ex_json_kind ex_json_kind_of(const ex_json_doc *doc, ex_json_node node)
{
    const struct node *nd = at(doc, node);
    return nd ? (ex_json_kind)nd->kind : EX_JSON_MISSING;
}

const char *ex_json_kind_name(ex_json_kind kind)
{
    switch (kind) {
    case EX_JSON_NULL:
        return "null";
    case EX_JSON_BOOL:
        return "boolean";
    case EX_JSON_NUMBER:
        return "number";
    case EX_JSON_STRING:
        return "string";
    case EX_JSON_ARRAY:
        return "array";
    case EX_JSON_OBJECT:
        return "object";
    case EX_JSON_MISSING:
        break;
    }
    return "missing";
}

const char *ex_json_string(const ex_json_doc *doc, ex_json_node node, size_t *len)
{
    const struct node *nd = at(doc, node);
    if (!nd || nd->kind != EX_JSON_STRING) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = nd->u.str.len;
    return doc->arena + nd->u.str.off;
}

bool ex_json_number(const ex_json_doc *doc, ex_json_node node, double *out)
{
    const struct node *nd = at(doc, node);
    if (!nd || nd->kind != EX_JSON_NUMBER)
        return false;
    if (out)
        *out = nd->flags & FLAG_INT ? (double)nd->u.i : nd->u.num;
    return true;
}

bool ex_json_integer(const ex_json_doc *doc, ex_json_node node, int64_t *out)
{
    const struct node *nd = at(doc, node);
    if (!nd || nd->kind != EX_JSON_NUMBER)
        return false;
    int64_t v;
    if (nd->flags & FLAG_INT) {
        v = nd->u.i;
    } else {
        double d = nd->u.num;
        /* -2^63 and 2^63 are exact doubles; the range is half-open. */
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != floor(d))
            return false;
        v = (int64_t)d;
    }
    if (out)
        *out = v;
    return true;
}

bool ex_json_integer_literal(const ex_json_doc *doc, ex_json_node node, int64_t *out)
{
    const struct node *nd = at(doc, node);
    if (!nd || nd->kind != EX_JSON_NUMBER || !(nd->flags & FLAG_INT))
        return false;
    if (out)
        *out = nd->u.i;
    return true;
}

bool ex_json_bool(const ex_json_doc *doc, ex_json_node node, bool *out)
{
    const struct node *nd = at(doc, node);
    if (!nd || nd->kind != EX_JSON_BOOL)
        return false;
    if (out)
        *out = nd->flags & FLAG_TRUE;
    return true;
}

bool ex_json_is_null(const ex_json_doc *doc, ex_json_node node)
{
    const struct node *nd = at(doc, node);
    return nd && nd->kind == EX_JSON_NULL;
}

size_t ex_json_count(const ex_json_doc *doc, ex_json_node node)
{
    const struct node *nd = at(doc, node);
    if (!nd || (nd->kind != EX_JSON_ARRAY && nd->kind != EX_JSON_OBJECT))
        return 0;
    return nd->u.count;
}

/* The first child (element or key) of a non-empty container of kind. */
static ex_json_node first_child(const ex_json_doc *doc, ex_json_node node, ex_json_kind kind)
{
    const struct node *nd = at(doc, node);
    if (!nd || nd->kind != kind || nd->u.count == 0)
        return EX_JSON_NONE;
    return node + 1;
}

static ex_json_node next_sibling(const ex_json_doc *doc, ex_json_node node)
{
    const struct node *nd = at(doc, node);
    return nd && nd->next ? (ex_json_node)nd->next : EX_JSON_NONE;
}

ex_json_node ex_json_array_next(const ex_json_doc *doc, ex_json_node array, ex_json_node prev)
{
    if (prev == EX_JSON_NONE)
        return first_child(doc, array, EX_JSON_ARRAY);
    return next_sibling(doc, prev);
}

ex_json_node ex_json_object_next(const ex_json_doc *doc, ex_json_node object, ex_json_node prev_key,
                                 ex_json_node *value)
{
    ex_json_node key = prev_key == EX_JSON_NONE ? first_child(doc, object, EX_JSON_OBJECT)
                                                : next_sibling(doc, prev_key);
    if (value)
        *value = key == EX_JSON_NONE ? EX_JSON_NONE : key + 1;
    return key;
}

ex_json_node ex_json_getn(const ex_json_doc *doc, ex_json_node object, const char *key, size_t klen)
{
    ex_json_node k = EX_JSON_NONE, value;
    while ((k = ex_json_object_next(doc, object, k, &value)) != EX_JSON_NONE) {
        const struct node *nd = &doc->nodes[k];
        if (nd->u.str.len == klen && memcmp(doc->arena + nd->u.str.off, key, klen) == 0)
            return value;
    }
    return EX_JSON_NONE;
}

ex_json_node ex_json_get(const ex_json_doc *doc, ex_json_node object, const char *key)
{
    return key ? ex_json_getn(doc, object, key, strlen(key)) : EX_JSON_NONE;
}

ex_json_node ex_json_index(const ex_json_doc *doc, ex_json_node array, size_t i)
{
    if (i >= ex_json_count(doc, array))
        return EX_JSON_NONE;
    ex_json_node e = ex_json_array_next(doc, array, EX_JSON_NONE);
    while (i-- > 0 && e != EX_JSON_NONE)
        e = next_sibling(doc, e);
    return e;
}

ex_json_node ex_json_path(const ex_json_doc *doc, ex_json_node node, const char *path)
{
    if (!path)
        return EX_JSON_NONE;
    const char *s = path;
    while (*s && node != EX_JSON_NONE) {
        if (*s == '[') {
            size_t i = 0;
            s++;
            if (!is_digit((unsigned char)*s))
                return EX_JSON_NONE;
            while (is_digit((unsigned char)*s)) {
                if (i > (SIZE_MAX - 9) / 10)
                    return EX_JSON_NONE;
                i = i * 10 + (size_t)(*s++ - '0');
            }
            if (*s++ != ']' || (*s != '\0' && *s != '.' && *s != '['))
                return EX_JSON_NONE;
            node = ex_json_index(doc, node, i);
        } else {
            size_t n = strcspn(s, ".[");
            if (n == 0)
                return EX_JSON_NONE;
            node = ex_json_getn(doc, node, s, n);
            s += n;
        }
        if (*s == '.') {
            s++;
            if (*s == '\0' || *s == '.' || *s == '[')
                return EX_JSON_NONE;
        }
    }
    return node;
}
