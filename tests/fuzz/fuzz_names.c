/*
 * Fuzz target for the names of lib/names.c and what the encoders make of
 * them. The input is a name (any bytes). Checked:
 *   - the UTF-8 grammar agrees with a validator written here from RFC 3629
 *     Table 3-7, and the legacy grammars with their regular expressions;
 *   - every escaping counts what it writes, within 3 + 6 * len bytes, and
 *     gives a legacy name for a non-empty input (label grammar for labels);
 *   - underscores and values are idempotent (a legacy name stays as it is),
 *     and values reverses: prometheus/common's UnescapeName, transcribed
 *     here, gives the valid UTF-8 input back (but for code points from
 *     U+100000, which it does not take back);
 *   - a registry with UTF-8 names accepts the name exactly when it is valid
 *     UTF-8 (as a metric name, a label name, and a label value of a name
 *     that is both), and every format and escaping encodes it: escaped text
 *     has no quoted name, allow-utf-8 text quotes it exactly when it is not a
 *     legacy name, and a registry without the option refuses what is not.
 * Any broken invariant aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "promc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

static void fail(const char *what, const char *name, size_t len)
{
    fprintf(stderr, "fuzz_names: %s\nname (%zu bytes):", what, len);
    for (size_t i = 0; i < len; i++)
        fprintf(stderr, " %02x", (unsigned char)name[i]);
    fprintf(stderr, "\n");
    abort();
}

/* ------------------------------------------------------------------ */
/* References                                                          */
/* ------------------------------------------------------------------ */

/* RFC 3629 / Unicode Table 3-7, well-formed byte sequences. */
static bool reference_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        unsigned lo = 0x80, hi = 0xBF;
        size_t more;
        if (c <= 0x7F) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
        } else if (c == 0xE0) {
            more = 2;
            lo = 0xA0;
        } else if (c == 0xED) {
            more = 2;
            hi = 0x9F;
        } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
            more = 2;
        } else if (c == 0xF0) {
            more = 3;
            lo = 0x90;
        } else if (c >= 0xF1 && c <= 0xF3) {
            more = 3;
        } else if (c == 0xF4) {
            more = 3;
            hi = 0x8F;
        } else {
            return false;
        }
        if (n - i <= more || s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= more; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return false;
        i += more + 1;
    }
    return true;
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* (label: without ':'). */
static bool reference_legacy(const char *s, size_t n, bool label)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (c == ':' && !label) || (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return true;
}

/* prometheus/common model.UnescapeName for ValueEncodingEscaping: the input
 * back, or NULL where Go would return the escaped name unchanged. */
static char *unescape_values(const char *s, size_t n, size_t *out_len)
{
    if (n < 3 || memcmp(s, "U__", 3) != 0)
        return NULL;
    char *out = malloc(n + 1);
    size_t o = 0;
    for (size_t i = 3; i < n; i++) {
        if (s[i] != '_') {
            out[o++] = s[i];
            continue;
        }
        if (++i >= n)
            goto bad;
        if (s[i] == '_') {
            out[o++] = '_';
            continue;
        }
        uint32_t v = 0;
        for (size_t j = 0;; j++, i++) {
            if (j >= 6 || i >= n)
                goto bad;
            if (s[i] == '_')
                break;
            char c = (char)(s[i] | 0x20);
            if (c >= '0' && c <= '9')
                v = v * 16 + (uint32_t)(c - '0');
            else if (c >= 'a' && c <= 'f')
                v = v * 16 + (uint32_t)(c - 'a' + 10);
            else
                goto bad;
        }
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            goto bad;
        if (v < 0x80) {
            out[o++] = (char)v;
        } else if (v < 0x800) {
            out[o++] = (char)(0xC0 | (v >> 6));
            out[o++] = (char)(0x80 | (v & 0x3F));
        } else if (v < 0x10000) {
            out[o++] = (char)(0xE0 | (v >> 12));
            out[o++] = (char)(0x80 | ((v >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (v & 0x3F));
        } else {
            out[o++] = (char)(0xF0 | (v >> 18));
            out[o++] = (char)(0x80 | ((v >> 12) & 0x3F));
            out[o++] = (char)(0x80 | ((v >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (v & 0x3F));
        }
    }
    *out_len = o;
    return out;
bad:
    free(out);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Escaping                                                            */
/* ------------------------------------------------------------------ */

static char *escape(const char *name, size_t len, promc_escaping e, bool label, size_t *n)
{
    *n = promc__escape_name(NULL, name, len, e, label);
    if (*n > 3 + 6 * len)
        fail("escaped name longer than its bound", name, len);
    /* Guard bytes after the counted length catch a write past it. */
    char *out = malloc(*n + 8);
    memset(out, 0x5A, *n + 8);
    if (promc__escape_name(out, name, len, e, label) != *n)
        fail("escaping wrote another length than it counted", name, len);
    for (size_t i = *n; i < *n + 8; i++)
        if (out[i] != 0x5A)
            fail("escaping wrote past its count", name, len);
    return out;
}

static void check_escaping(const char *name, size_t len, bool utf8)
{
    for (int label = 0; label <= 1; label++) {
        bool legacy = promc__legacy_name(name, len, label);
        if (legacy != reference_legacy(name, len, label))
            fail("legacy grammar disagrees with its regular expression", name, len);
        for (int e = PROMC_ESCAPING_UNDERSCORES; e <= PROMC_ESCAPING_ALLOW_UTF8; e++) {
            size_t n;
            char *out = escape(name, len, (promc_escaping)e, label, &n);
            if (e == PROMC_ESCAPING_ALLOW_UTF8 || (legacy && e != PROMC_ESCAPING_DOTS)) {
                if (n != len || memcmp(out, name, len) != 0)
                    fail("a name that needs no escaping was changed", name, len);
            } else if (len && !reference_legacy(out, n, label)) {
                fail("escaping gave a name outside the legacy grammar", name, len);
            }
            if (e == PROMC_ESCAPING_UNDERSCORES || e == PROMC_ESCAPING_VALUES) {
                size_t n2;
                char *again = escape(out, n, (promc_escaping)e, label, &n2);
                if (n2 != n || memcmp(again, out, n) != 0)
                    fail("escaping an escaped name changed it", name, len);
                free(again);
            }
            /* Go's UnescapeName gives up on a code point of six hex digits
             * (U+100000 and above: 0xF4 leads them), so those are left out. */
            if (e == PROMC_ESCAPING_VALUES && utf8 && !legacy && len && !memchr(name, 0xF4, len)) {
                size_t back_len = 0;
                char *back = unescape_values(out, n, &back_len);
                if (!back || back_len != len || memcmp(back, name, len) != 0)
                    fail("values escaping does not reverse", name, len);
                free(back);
            }
            free(out);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Registries and expositions                                          */
/* ------------------------------------------------------------------ */

/* The first line of the exposition that is not a comment. */
static const char *first_sample(const char *s)
{
    while (*s == '#')
        s = strchr(s, '\n') + 1;
    return s;
}

/* A constructor's result: made exactly when want says so, a clash with a
 * name the library or the other metric emits aside. */
static bool made(const void *handle, bool want, const char *what, const char *name, size_t len)
{
    if (!handle && promc_last_error_code() == PROMC_EEXIST)
        return false;
    if ((handle != NULL) != want)
        fail(what, name, len);
    return handle != NULL;
}

static void check_registry(const char *name, size_t len, bool utf8)
{
    bool legacy = promc__legacy_name(name, len, false);
    bool reserved = len >= 2 && name[0] == '_' && name[1] == '_';
    bool legacy_label = promc__legacy_name(name, len, true) && !reserved;
    promc_registry *plain = promc_registry_new(), *r = promc_registry_new();
    if (!plain || !r)
        abort();
    promc_registry_set_utf8_names(r, 1);

    /* The name as a gauge's name, and as a family's label name and value;
     * a registry without the option takes them only when they are legacy. */
    promc_gauge *g = promc_gauge_new(r, name, "H.", NULL);
    if (made(g, utf8 && len > 0, "a UTF-8 registry misjudged a metric name", name, len) &&
        promc_registry_register(plain, promc_gauge_metric(g)) != (legacy ? PROMC_OK : PROMC_EINVAL))
        fail("registering into a registry without the option misjudged a name", name, len);
    promc_gauge_vec *v =
        promc_gauge_vec_new(r, "fuzz.vec", "V.", (const char *const[]){name, NULL}, NULL);
    if (made(v, utf8 && len > 0 && !reserved, "a UTF-8 registry misjudged a label name", name,
             len)) {
        if (!promc_gauge_vec_labels_n(v, (const char *const[]){name}, 1))
            fail("a valid label value was refused", name, len);
    }
    promc_gauge_vec *pv =
        promc_gauge_vec_new(plain, "fuzz_vec", "V.", (const char *const[]){name, NULL}, NULL);
    made(pv, legacy_label, "a registry without the option misjudged a label name", name, len);

    for (int f = PROMC_FORMAT_TEXT; f <= PROMC_FORMAT_PROTOBUF; f++)
        for (int e = PROMC_ESCAPING_UNDERSCORES; e <= PROMC_ESCAPING_ALLOW_UTF8; e++) {
            size_t n;
            char *out = promc_encode_buffer_escaped(r, (promc_format)f, (promc_escaping)e, &n);
            if (!out)
                fail("a registry with UTF-8 names did not encode", name, len);
            if (f == PROMC_FORMAT_TEXT && g) {
                /* The gauge is registered first: its sample comes first. */
                bool quoted = first_sample(out)[0] == '{';
                if (quoted != (e == PROMC_ESCAPING_ALLOW_UTF8 && !legacy))
                    fail("text quotes a name it must not, or not one it must", name, len);
            }
            /* Escaped, no line opens with a quoted name, and a legacy label
             * name follows the family's brace. */
            if (f == PROMC_FORMAT_TEXT && e != PROMC_ESCAPING_ALLOW_UTF8)
                for (const char *l = out; *l; l = strchr(l, '\n') + 1)
                    if (*l == '{' || strncmp(l, "fuzz_vec{\"", 10) == 0)
                        fail("escaped text holds a quoted name", name, len);
            promc_free(out);
        }
    promc_gauge_vec_free(pv);
    promc_gauge_vec_free(v);
    promc_gauge_free(g);
    promc_registry_free(r);
    promc_registry_free(plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    /* An exact-size copy: the escaping reads by length, never a NUL. */
    char *name = malloc(size ? size : 1);
    if (size)
        memcpy(name, data, size);
    bool utf8 = reference_utf8(data, size);
    if (promc__valid_utf8(name, size) != utf8)
        fail("UTF-8 validation disagrees with Table 3-7", name, size);
    check_escaping(name, size, utf8);
    /* The registries take C strings: names without a NUL. */
    if (!memchr(data, 0, size)) {
        char *cstr = malloc(size + 1);
        memcpy(cstr, data, size);
        cstr[size] = '\0';
        if (promc__valid_name(cstr, true) != (utf8 && size > 0) ||
            promc__valid_name(cstr, false) != reference_legacy(cstr, size, false))
            fail("promc__valid_name disagrees with the references", name, size);
        check_registry(cstr, size, utf8);
        free(cstr);
    }
    free(name);
    return 0;
}

/* Seeds for replay.c's random mode: the vectors of prometheus/common's
 * tests and edge cases of UTF-8. */
const char *const *fuzz_seed_inputs(size_t *n)
{
    static const char *const seeds[] = {
        "no:escaping_required",
        "mysystem.prod.west.cpu.load_total",
        "http.status:sum",
        "label with \xF0\x9F\x98\xB1",
        "\xE8\x8A\xB1\xE7\x81\xAB",
        "label with \xC4\x80",
        "a\xC5z",
        "quote\"back\\slash\nnl",
        "__reserved.name",
        "1st",
        "\xED\xA0\x80\xF4\x8F\xBF\xBF",
        "",
    };
    *n = sizeof seeds / sizeof seeds[0];
    return seeds;
}
