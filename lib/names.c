/*
 * Metric and label names: the legacy grammars every registry applies by
 * default, the UTF-8 names a registry may allow instead, and the escaping
 * schemes that turn a UTF-8 name into a legacy one for a scraper that did
 * not ask for escaping=allow-utf-8. The escaping is prometheus/common's
 * model.EscapeName (v0.70.1) transcribed rune for rune, so the vectors of its
 * tests hold byte for byte (tests/unit/test_names.c); the one deliberate
 * difference is that label names are escaped with the label grammar, where
 * ':' is not allowed (docs/FORMATS.md, "UTF-8 names").
 */
#include <string.h>

#include "internal.h"

/* ===================================================================== */
/* Grammars                                                               */
/* ===================================================================== */

/* The legacy grammars a character at byte offset i: letters, '_', ':' (not
 * in label names), digits except first. Go's isValidLegacyRune, whose index
 * is the byte offset too. */
static bool legacy_char(uint32_t c, size_t i, bool label)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c == ':' && !label) ||
           (c >= '0' && c <= '9' && i > 0);
}

bool promc__legacy_name(const char *s, size_t len, bool label)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!legacy_char((unsigned char)s[i], i, label))
            return false;
    return true;
}

bool promc__valid_metric_name(const char *s)
{
    return s && promc__legacy_name(s, strlen(s), false);
}

bool promc__valid_label_name(const char *s)
{
    return s && !(s[0] == '_' && s[1] == '_') && promc__legacy_name(s, strlen(s), true);
}

bool promc__valid_name(const char *s, bool utf8)
{
    if (!utf8)
        return promc__valid_metric_name(s);
    return s && *s && promc__valid_utf8(s, strlen(s));
}

bool promc__valid_label(const char *s, bool utf8)
{
    if (!utf8)
        return promc__valid_label_name(s);
    return s && *s && !(s[0] == '_' && s[1] == '_') && promc__valid_utf8(s, strlen(s));
}

/* ===================================================================== */
/* Escaping                                                               */
/* ===================================================================== */

/* The code point at s (len > 0) and its length in bytes. Anything that is
 * not a well-formed sequence decodes as U+FFFD of length 1, as Go's
 * utf8.DecodeRuneInString (and so its range over a string) does. */
static size_t decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    size_t n = promc__utf8_decode(s, len, cp);
    if (n)
        return n;
    *cp = 0xFFFD;
    return 1;
}

/* Appends n bytes to out at *at (out NULL: counts only). */
static void emit(char *out, size_t *at, const char *s, size_t n)
{
    if (out)
        memcpy(out + *at, s, n);
    *at += n;
}

/* "_<hex>_", lower case without leading zeros: Go's strconv.FormatInt(cp, 16). */
static void emit_hex(char *out, size_t *at, uint32_t cp)
{
    char tmp[10];
    size_t n = sizeof tmp;
    tmp[--n] = '_';
    do {
        tmp[--n] = "0123456789abcdef"[cp & 15];
        cp >>= 4;
    } while (cp);
    tmp[--n] = '_';
    emit(out, at, tmp + n, sizeof tmp - n);
}

size_t promc__escape_name(char *out, const char *name, size_t len, promc_escaping scheme,
                          bool label)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t at = 0;
    /* Underscores and values leave a legacy name alone; dots does not (it
     * doubles the underscores of any name it is given). */
    if (scheme == PROMC_ESCAPING_ALLOW_UTF8 ||
        ((scheme == PROMC_ESCAPING_UNDERSCORES || scheme == PROMC_ESCAPING_VALUES) &&
         promc__legacy_name(name, len, label)) ||
        len == 0) {
        emit(out, &at, name, len);
        return at;
    }
    if (scheme == PROMC_ESCAPING_VALUES)
        emit(out, &at, "U__", 3);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t w = decode(s + i, len - i, &cp);
        bool ok = legacy_char(cp, i, label); /* only ASCII: w is 1 */
        switch (scheme) {
        case PROMC_ESCAPING_DOTS:
            if (cp == '_')
                emit(out, &at, "__", 2);
            else if (cp == '.')
                emit(out, &at, "_dot_", 5);
            else if (ok)
                emit(out, &at, name + i, 1);
            else
                emit(out, &at, "__", 2);
            break;
        case PROMC_ESCAPING_VALUES:
            /* Go's branch for a rune utf8.ValidRune refuses never runs: a
             * range over a string yields only valid runes and U+FFFD. */
            if (cp == '_')
                emit(out, &at, "__", 2);
            else if (ok)
                emit(out, &at, name + i, 1);
            else
                emit_hex(out, &at, cp);
            break;
        default: /* underscores */
            emit(out, &at, ok ? name + i : "_", 1);
            break;
        }
        i += w;
    }
    return at;
}

bool promc__buf_exposed_name(struct promc__buf *b, const char *s, size_t len, promc_escaping scheme,
                             bool label)
{
    bool legacy = promc__legacy_name(s, len, label);
    if (legacy || scheme == PROMC_ESCAPING_ALLOW_UTF8) {
        promc__buf_put(b, s, len);
        return legacy;
    }
    size_t n = promc__escape_name(NULL, s, len, scheme, label);
    char *at = promc__buf_extend(b, n);
    if (at)
        promc__escape_name(at, s, len, scheme, label);
    return true; /* every scheme but allow-utf-8 yields a legacy name */
}
