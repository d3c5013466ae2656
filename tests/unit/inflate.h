/*
 * A small, slow and strict gzip/DEFLATE decoder for the tests: it shares no
 * code with lib/ (its own bit reader, Huffman decoding bit by bit, its own
 * bitwise CRC-32) and refuses what zlib refuses and more: over-subscribed or
 * incomplete codes, distances before the start, bad stored lengths, trailing
 * bytes, a wrong CRC or length. Header only, for the unit tests and the fuzz
 * target. test_inflate_gzip() returns 0 and a malloc'd output, or a negative
 * code saying what was wrong.
 */
#ifndef PROMC_TEST_INFLATE_H
#define PROMC_TEST_INFLATE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct tinf {
    const unsigned char *in;
    size_t inlen, pos;
    uint32_t bitbuf;
    int bitcnt;
    unsigned char *out;
    size_t outlen, outcap;
    int err;
};

struct thuff {
    short count[16];
    short symbol[288];
};

static int tinf_bits(struct tinf *s, int need)
{
    uint32_t val = s->bitbuf;
    while (s->bitcnt < need) {
        if (s->pos >= s->inlen) {
            s->err = -1; /* ran out of input */
            return 0;
        }
        val |= (uint32_t)s->in[s->pos++] << s->bitcnt;
        s->bitcnt += 8;
    }
    s->bitbuf = need == 32 ? 0 : val >> need;
    s->bitcnt -= need;
    return (int)(val & ((need == 32 ? 0u : 1u << need) - 1u));
}

static int tinf_put(struct tinf *s, unsigned char c)
{
    if (s->outlen == s->outcap) {
        size_t cap = s->outcap ? s->outcap * 2 : 4096;
        unsigned char *p = realloc(s->out, cap);
        if (!p)
            return s->err = -2;
        s->out = p;
        s->outcap = cap;
    }
    s->out[s->outlen++] = c;
    return 0;
}

/* Builds a decoding table; returns 0 for a complete code, else an error. */
static int tinf_construct(struct thuff *h, const short *length, int n)
{
    memset(h->count, 0, sizeof h->count);
    for (int i = 0; i < n; i++)
        h->count[length[i]]++;
    if (h->count[0] == n)
        return -3; /* no codes */
    int left = 1;
    for (int len = 1; len < 16; len++) {
        left <<= 1;
        left -= h->count[len];
        if (left < 0)
            return -4; /* over-subscribed */
    }
    if (left > 0)
        return -5; /* incomplete */
    short offs[16];
    offs[1] = 0;
    for (int len = 1; len < 15; len++)
        offs[len + 1] = (short)(offs[len] + h->count[len]);
    for (int i = 0; i < n; i++)
        if (length[i])
            h->symbol[offs[length[i]]++] = (short)i;
    return 0;
}

static int tinf_decode(struct tinf *s, const struct thuff *h)
{
    int code = 0, first = 0, index = 0;
    for (int len = 1; len < 16; len++) {
        code |= tinf_bits(s, 1);
        if (s->err)
            return s->err;
        int count = h->count[len];
        if (code - count < first)
            return h->symbol[index + (code - first)];
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    return -6; /* ran out of codes */
}

static int tinf_codes(struct tinf *s, const struct thuff *lencode, const struct thuff *distcode)
{
    static const short lbase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                    31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const short lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                   2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static const short dbase[30] = {1,    2,    3,    4,    5,    7,    9,    13,    17,    25,
                                    33,   49,   65,   97,   129,  193,  257,  385,   513,   769,
                                    1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static const short dext[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                   6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
        int sym = tinf_decode(s, lencode);
        if (sym < 0)
            return sym;
        if (sym < 256) {
            if (tinf_put(s, (unsigned char)sym))
                return s->err;
        } else if (sym == 256) {
            return 0;
        } else {
            sym -= 257;
            if (sym >= 29)
                return -7; /* invalid length symbol */
            int len = lbase[sym] + tinf_bits(s, lext[sym]);
            int dsym = tinf_decode(s, distcode);
            if (dsym < 0)
                return dsym;
            if (dsym >= 30)
                return -8; /* invalid distance symbol */
            size_t dist = (size_t)(dbase[dsym] + tinf_bits(s, dext[dsym]));
            if (s->err)
                return s->err;
            if (dist > s->outlen || dist > 32768)
                return -9; /* distance too far back */
            for (int i = 0; i < len; i++)
                if (tinf_put(s, s->out[s->outlen - dist]))
                    return s->err;
        }
    }
}

static int tinf_stored(struct tinf *s)
{
    s->bitbuf = 0;
    s->bitcnt = 0;
    if (s->pos + 4 > s->inlen)
        return -1;
    unsigned len = s->in[s->pos] | (unsigned)s->in[s->pos + 1] << 8;
    unsigned nlen = s->in[s->pos + 2] | (unsigned)s->in[s->pos + 3] << 8;
    s->pos += 4;
    if (len != (~nlen & 0xffff))
        return -10; /* stored length does not match its complement */
    if (s->pos + len > s->inlen)
        return -1;
    for (unsigned i = 0; i < len; i++)
        if (tinf_put(s, s->in[s->pos + i]))
            return s->err;
    s->pos += len;
    return 0;
}

static int tinf_fixed(struct tinf *s)
{
    struct thuff lencode, distcode;
    short lengths[288];
    for (int i = 0; i < 288; i++)
        lengths[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
    tinf_construct(&lencode, lengths, 288);
    for (int i = 0; i < 30; i++)
        lengths[i] = 5;
    /* The fixed distance code is incomplete by design (30 of 32 codes). */
    memset(distcode.count, 0, sizeof distcode.count);
    distcode.count[5] = 30;
    for (int i = 0; i < 30; i++)
        distcode.symbol[i] = (short)i;
    return tinf_codes(s, &lencode, &distcode);
}

static int tinf_dynamic(struct tinf *s)
{
    static const short order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                    11, 4,  12, 3, 13, 2, 14, 1, 15};
    short lengths[320];
    int nlen = tinf_bits(s, 5) + 257, ndist = tinf_bits(s, 5) + 1, ncode = tinf_bits(s, 4) + 4;
    if (s->err)
        return s->err;
    if (nlen > 286 || ndist > 30)
        return -11; /* bad counts */
    int i;
    for (i = 0; i < ncode; i++)
        lengths[order[i]] = (short)tinf_bits(s, 3);
    for (; i < 19; i++)
        lengths[order[i]] = 0;
    struct thuff lencode, distcode;
    if (tinf_construct(&lencode, lengths, 19))
        return -12; /* bad code-length code */
    int index = 0;
    while (index < nlen + ndist) {
        int sym = tinf_decode(s, &lencode);
        if (sym < 0)
            return sym;
        if (sym < 16) {
            lengths[index++] = (short)sym;
            continue;
        }
        int len = 0, rep;
        if (sym == 16) {
            if (index == 0)
                return -13; /* repeat with no previous length */
            len = lengths[index - 1];
            rep = 3 + tinf_bits(s, 2);
        } else if (sym == 17) {
            rep = 3 + tinf_bits(s, 3);
        } else {
            rep = 11 + tinf_bits(s, 7);
        }
        if (index + rep > nlen + ndist)
            return -14; /* too many lengths */
        while (rep--)
            lengths[index++] = (short)len;
    }
    if (lengths[256] == 0)
        return -15; /* no end-of-block code */
    if (tinf_construct(&lencode, lengths, nlen))
        return -16; /* bad literal/length code */
    if (tinf_construct(&distcode, lengths + nlen, ndist))
        return -17; /* bad distance code */
    return tinf_codes(s, &lencode, &distcode);
}

static uint32_t tinf_crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
}

/* Decodes one gzip member filling in[0..inlen) exactly. */
static int test_inflate_gzip(const unsigned char *in, size_t inlen, unsigned char **out,
                             size_t *outlen)
{
    struct tinf s = {0};
    *out = NULL;
    *outlen = 0;
    if (inlen < 18 || in[0] != 0x1f || in[1] != 0x8b || in[2] != 8 || in[3] != 0)
        return -20; /* not a plain gzip header */
    s.in = in;
    s.inlen = inlen - 8;
    s.pos = 10;
    int last, rc = 0;
    do {
        last = tinf_bits(&s, 1);
        int type = tinf_bits(&s, 2);
        if (s.err) {
            rc = s.err;
            break;
        }
        rc = type == 0   ? tinf_stored(&s)
             : type == 1 ? tinf_fixed(&s)
             : type == 2 ? tinf_dynamic(&s)
                         : -18;
    } while (!rc && !last);
    if (!rc && s.pos != s.inlen)
        rc = -21; /* bytes between the last block and the trailer */
    if (!rc) {
        const unsigned char *t = in + inlen - 8;
        uint32_t crc = t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
        uint32_t size = t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
        if (crc != tinf_crc32(s.out, s.outlen))
            rc = -22;
        else if (size != (uint32_t)s.outlen)
            rc = -23;
    }
    if (rc) {
        free(s.out);
        return rc;
    }
    *out = s.out ? s.out : malloc(1);
    *outlen = s.outlen;
    return 0;
}

#endif
