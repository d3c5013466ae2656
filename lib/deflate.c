/*
 * DEFLATE (RFC 1951) compression in one pass per block. Input collects in a
 * buffer behind up to 32 KiB of history; when a block's worth is pending and
 * more arrives, the block is matched and written, then the history slides.
 * The last block is only known at finish, so the pending block is never
 * written early.
 *
 * Matching is greedy with two candidates per hash of four bytes (the most
 * recent two positions), extended eight bytes at a time; after a run of
 * misses the matcher steps over more bytes at a time, so incompressible
 * input costs little. Expositions repeat whole line prefixes, so matches are
 * long and a deeper search buys little.
 *
 * Each block's code lengths come from the optimal (Moffat-Katajainen)
 * lengths, limited to 15 bits (7 for the code-length code) by moving leaves
 * down the tree until the code is complete again; the block is then written
 * with dynamic codes, the fixed codes or stored, whichever costs fewest bits.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "deflate.h"

#define WSIZE     32768u /* the farthest a match may reach back */
#define BLOCK     65535u /* input bytes a block (a stored block's limit) */
#define HASH_BITS 15
#define HASH_SIZE (1u << HASH_BITS)
#define MAX_MATCH 258u
#define MIN_MATCH 4u              /* shorter matches rarely pay for their codes */
#define OUTCAP    (BLOCK + 4096u) /* one block, however written, fits */
#define REBASE    (1u << 24)      /* positions restart long before uint32 wraps */

#define NLIT  286
#define NDIST 30
#define NCL   19

struct promc__deflate {
    promc_write_fn out;
    void *ctx;
    int error;
    uint32_t base; /* stream position of buf[0] */
    size_t len;    /* bytes in buf */
    size_t done;   /* buf[done..len) is pending */
    uint64_t bits; /* bit writer: low nbits are pending output */
    unsigned nbits;
    size_t outlen;
    size_t nsym;
    uint32_t lfreq[NLIT + 2], dfreq[NDIST + 2];
    uint32_t head[HASH_SIZE][2]; /* stream position + 1 of the newest two; 0 = none */
    uint16_t sym_len[BLOCK];     /* 0: a literal; else a match length */
    uint16_t sym_val[BLOCK];     /* the literal, or the match distance */
    unsigned char out_buf[OUTCAP];
    unsigned char buf[WSIZE + BLOCK + 16]; /* 16: room for wide loads at the end */
};

/* ===================================================================== */
/* Tables                                                                 */
/* ===================================================================== */

static const uint16_t len_base[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                      15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                      67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {
    1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
    193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
static const uint8_t cl_order[NCL] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                      11, 4,  12, 3, 13, 2, 14, 1, 15};

static uint8_t len_code[MAX_MATCH + 1]; /* match length -> index into len_base */
static uint8_t dist_code_lo[512];       /* (distance - 1) < 256, then 256 + ((distance - 1) >> 7) */
static uint8_t fixed_llen[288], fixed_dlen[32];
static uint16_t fixed_lcode[288], fixed_dcode[32];

static unsigned reverse_bits(unsigned code, unsigned n)
{
    unsigned r = 0;
    for (unsigned i = 0; i < n; i++, code >>= 1)
        r = (r << 1) | (code & 1);
    return r;
}

/* Canonical codes (RFC 1951 3.2.2), bit-reversed for LSB-first output. */
static void make_codes(const uint8_t *lens, unsigned n, uint16_t *codes)
{
    unsigned count[16] = {0}, next[16];
    for (unsigned i = 0; i < n; i++)
        count[lens[i]]++;
    count[0] = 0;
    unsigned code = 0;
    for (unsigned b = 1; b < 16; b++) {
        code = (code + count[b - 1]) << 1;
        next[b] = code;
    }
    for (unsigned i = 0; i < n; i++)
        codes[i] = lens[i] ? (uint16_t)reverse_bits(next[lens[i]]++, lens[i]) : 0;
}

static void build_tables(void)
{
    for (unsigned c = 0; c < 29; c++) {
        unsigned top = c == 28 ? MAX_MATCH : len_base[c] + (1u << len_extra[c]) - 1;
        for (unsigned l = len_base[c]; l <= top && l <= MAX_MATCH; l++)
            len_code[l] = (uint8_t)c;
    }
    len_code[MAX_MATCH] = 28; /* 258 has its own code, not 227 + 31 */
    for (unsigned c = 0; c < 30; c++) {
        unsigned lo = dist_base[c] - 1u, hi = lo + (1u << dist_extra[c]);
        for (unsigned d = lo; d < hi; d++) {
            if (d < 256)
                dist_code_lo[d] = (uint8_t)c;
            else
                dist_code_lo[256 + (d >> 7)] = (uint8_t)c;
        }
    }
    for (unsigned i = 0; i < 288; i++)
        fixed_llen[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
    for (unsigned i = 0; i < 32; i++)
        fixed_dlen[i] = 5;
    make_codes(fixed_llen, 288, fixed_lcode);
    make_codes(fixed_dlen, 32, fixed_dcode);
}

static unsigned dist_code(unsigned dist)
{
    unsigned d = dist - 1;
    return d < 256 ? dist_code_lo[d] : dist_code_lo[256 + (d >> 7)];
}

/* ===================================================================== */
/* Huffman code lengths                                                   */
/* ===================================================================== */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Moffat and Katajainen's in-place computation of optimal code lengths:
 * a[0..n) holds frequencies in ascending order and ends up holding the code
 * length of each (n >= 2). */
static void optimal_lengths(uint32_t *a, int n)
{
    int root = 0, leaf = 2, next;
    a[0] += a[1];
    for (next = 1; next < n - 1; next++) {
        if (leaf >= n || a[root] < a[leaf]) {
            a[next] = a[root];
            a[root++] = (uint32_t)next;
        } else {
            a[next] = a[leaf++];
        }
        if (leaf >= n || (root < next && a[root] < a[leaf])) {
            a[next] += a[root];
            a[root++] = (uint32_t)next;
        } else {
            a[next] += a[leaf++];
        }
    }
    a[n - 2] = 0;
    for (next = n - 3; next >= 0; next--)
        a[next] = a[a[next]] + 1;
    int avail = 1, used = 0, depth = 0;
    root = n - 2;
    next = n - 1;
    while (avail > 0) {
        while (root >= 0 && (int)a[root] == depth) {
            used++;
            root--;
        }
        while (avail > used) {
            a[next--] = (uint32_t)depth;
            avail--;
        }
        avail = 2 * used;
        depth++;
        used = 0;
    }
}

/* Code lengths of at most maxbits for n symbols with the given frequencies,
 * forming a complete code: symbols with frequency 0 get length 0, and when
 * fewer than two symbols occur, dummies are added (a single-symbol code is
 * not complete, and zlib refuses incomplete codes). */
static void code_lengths(const uint32_t *freq, unsigned n, unsigned maxbits, uint8_t *lens)
{
    uint32_t key[NLIT + 2], a[NLIT + 2];
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++)
        if (freq[i])
            key[m++] = freq[i] << 9 | i;
    for (unsigned i = 0; m < 2; i++)
        if (!freq[i])
            key[m++] = i; /* frequency 0 sorts first: the dummy costs nothing */
    qsort(key, m, sizeof key[0], cmp_u32);
    for (unsigned i = 0; i < m; i++)
        a[i] = key[i] >> 9 ? key[i] >> 9 : 1;
    optimal_lengths(a, (int)m);

    /* Count codes a length, folding the too-long ones into maxbits; then,
     * while the code is over-full, move a leaf from the deepest level above
     * maxbits down one level (its sibling slot takes a maxbits leaf). */
    unsigned count[NLIT + 2] = {0};
    for (unsigned i = 0; i < m; i++)
        count[a[i] > maxbits ? maxbits : a[i]]++;
    uint32_t total = 0;
    for (unsigned b = 1; b <= maxbits; b++)
        total += count[b] << (maxbits - b);
    while (total > (1u << maxbits)) {
        count[maxbits]--;
        for (unsigned b = maxbits - 1; b > 0; b--) {
            if (count[b]) {
                count[b]--;
                count[b + 1] += 2;
                break;
            }
        }
        total--;
    }
    /* The least frequent symbols (first in key) take the longest codes. */
    memset(lens, 0, n);
    unsigned k = 0;
    for (unsigned b = maxbits; b > 0; b--)
        for (unsigned c = 0; c < count[b]; c++)
            lens[key[k++] & 511] = (uint8_t)b;
}

/* ===================================================================== */
/* Bit output                                                             */
/* ===================================================================== */

static void put(struct promc__deflate *d, uint32_t v, unsigned n)
{
    d->bits |= (uint64_t)v << d->nbits;
    d->nbits += n;
    if (d->nbits >= 32) {
        unsigned char *o = d->out_buf + d->outlen;
        o[0] = (unsigned char)d->bits;
        o[1] = (unsigned char)(d->bits >> 8);
        o[2] = (unsigned char)(d->bits >> 16);
        o[3] = (unsigned char)(d->bits >> 24);
        d->outlen += 4;
        d->bits >>= 32;
        d->nbits -= 32;
    }
}

/* Writes out the whole bytes of the bit buffer (all of it after an align). */
static void put_bytes_of_bits(struct promc__deflate *d)
{
    while (d->nbits >= 8) {
        d->out_buf[d->outlen++] = (unsigned char)d->bits;
        d->bits >>= 8;
        d->nbits -= 8;
    }
}

static void flush_out(struct promc__deflate *d)
{
    if (d->outlen && !d->error && d->out(d->ctx, (const char *)d->out_buf, d->outlen) != 0)
        d->error = PROMC_EIO;
    d->outlen = 0;
}

/* ===================================================================== */
/* Blocks                                                                 */
/* ===================================================================== */

struct codes {
    uint8_t llen[NLIT + 2], dlen[NDIST + 2];
    uint16_t lcode[NLIT + 2], dcode[NDIST + 2];
    /* the code-length code and the run-length encoded lengths */
    uint8_t cllen[NCL];
    uint16_t clcode[NCL];
    uint8_t rle_sym[NLIT + NDIST], rle_extra[NLIT + NDIST];
    unsigned nrle, hlit, hdist, hclen;
};

/* Run-length encodes the literal/length and distance code lengths with the
 * code-length alphabet (16: repeat the previous 3-6 times, 17: 3-10 zeros,
 * 18: 11-138 zeros) and counts the symbols. */
static void rle_lengths(struct codes *c, uint32_t *clfreq)
{
    uint8_t all[NLIT + NDIST];
    memcpy(all, c->llen, c->hlit);
    memcpy(all + c->hlit, c->dlen, c->hdist);
    unsigned n = c->hlit + c->hdist, i = 0;
    c->nrle = 0;
    while (i < n) {
        unsigned v = all[i], run = 1;
        while (i + run < n && all[i + run] == v)
            run++;
        i += run;
        if (v == 0) {
            while (run >= 11) {
                unsigned r = run > 138 ? 138 : run;
                c->rle_sym[c->nrle] = 18;
                c->rle_extra[c->nrle++] = (uint8_t)(r - 11);
                clfreq[18]++;
                run -= r;
            }
            if (run >= 3) {
                c->rle_sym[c->nrle] = 17;
                c->rle_extra[c->nrle++] = (uint8_t)(run - 3);
                clfreq[17]++;
                run = 0;
            }
        } else {
            c->rle_sym[c->nrle] = (uint8_t)v;
            c->rle_extra[c->nrle++] = 0;
            clfreq[v]++;
            run--;
            while (run >= 3) {
                unsigned r = run > 6 ? 6 : run;
                c->rle_sym[c->nrle] = 16;
                c->rle_extra[c->nrle++] = (uint8_t)(r - 3);
                clfreq[16]++;
                run -= r;
            }
        }
        for (; run; run--) {
            c->rle_sym[c->nrle] = (uint8_t)v;
            c->rle_extra[c->nrle++] = 0;
            clfreq[v]++;
        }
    }
}

/* Bits of the symbols (codes plus extra bits) with the given lengths. */
static uint64_t symbol_bits(const struct promc__deflate *d, const uint8_t *llen,
                            const uint8_t *dlen)
{
    uint64_t bits = 0;
    for (unsigned i = 0; i < NLIT; i++)
        bits += (uint64_t)d->lfreq[i] * (llen[i] + (i > 256 ? len_extra[i - 257] : 0));
    for (unsigned i = 0; i < NDIST; i++)
        bits += (uint64_t)d->dfreq[i] * (dlen[i] + dist_extra[i]);
    return bits;
}

/* Dynamic codes for the block and the bits they cost, header included. */
static uint64_t dynamic_codes(const struct promc__deflate *d, struct codes *c)
{
    code_lengths(d->lfreq, NLIT, 15, c->llen);
    code_lengths(d->dfreq, NDIST, 15, c->dlen);
    make_codes(c->llen, NLIT, c->lcode);
    make_codes(c->dlen, NDIST, c->dcode);
    for (c->hlit = NLIT; c->hlit > 257 && !c->llen[c->hlit - 1]; c->hlit--)
        ;
    for (c->hdist = NDIST; c->hdist > 1 && !c->dlen[c->hdist - 1]; c->hdist--)
        ;
    uint32_t clfreq[NCL] = {0};
    rle_lengths(c, clfreq);
    code_lengths(clfreq, NCL, 7, c->cllen);
    make_codes(c->cllen, NCL, c->clcode);
    for (c->hclen = NCL; c->hclen > 4 && !c->cllen[cl_order[c->hclen - 1]]; c->hclen--)
        ;
    uint64_t bits = 3 + 5 + 5 + 4 + 3 * (uint64_t)c->hclen;
    for (unsigned i = 0; i < NCL; i++)
        bits += (uint64_t)clfreq[i] * c->cllen[i];
    bits += 2 * (uint64_t)clfreq[16] + 3 * (uint64_t)clfreq[17] + 7 * (uint64_t)clfreq[18];
    return bits + symbol_bits(d, c->llen, c->dlen);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The whole bytes of the bit buffer, stored eight at a time: the buffer's
 * bytes are the output's in this byte order, and the out buffer has room
 * past its end (OUTCAP's slack), so one unaligned store and a shift replace
 * a loop. Leaves fewer than 8 bits pending; *nbits must be below 64. */
static inline unsigned char *spill(unsigned char *o, uint64_t *bits, unsigned *nbits)
{
    memcpy(o, bits, 8);
    o += *nbits >> 3;
    *bits >>= *nbits & ~7u; /* *nbits < 64: callers keep it so */
    *nbits &= 7;
    return o;
}

/* The block's symbols with the given codes, then end-of-block. The bit
 * buffer lives in registers: before each symbol fewer than 8 bits are
 * pending, and a symbol adds at most 48 (a 15-bit length code, 5 extra
 * bits, a 15-bit distance code, 13 extra bits), so one spill a symbol
 * keeps it within 64 bits. */
static void put_symbols(struct promc__deflate *d, const uint8_t *llen, const uint16_t *lcode,
                        const uint8_t *dlen, const uint16_t *dcode)
{
    uint64_t bits = d->bits;
    unsigned nbits = d->nbits;
    unsigned char *o = spill(d->out_buf + d->outlen, &bits, &nbits);
    const uint16_t *sl = d->sym_len, *sv = d->sym_val;
    for (size_t i = 0, n = d->nsym; i < n; i++) {
        unsigned l = sl[i], v = sv[i];
        if (!l) {
            bits |= (uint64_t)lcode[v] << nbits;
            nbits += llen[v];
        } else {
            unsigned lc = len_code[l], dc = dist_code(v);
            bits |= (uint64_t)lcode[257 + lc] << nbits;
            nbits += llen[257 + lc];
            bits |= (uint64_t)(l - len_base[lc]) << nbits; /* 0 when no extra bits */
            nbits += len_extra[lc];
            bits |= (uint64_t)dcode[dc] << nbits;
            nbits += dlen[dc];
            bits |= (uint64_t)(v - dist_base[dc]) << nbits;
            nbits += dist_extra[dc];
        }
        o = spill(o, &bits, &nbits);
    }
    d->bits = bits;
    d->nbits = nbits;
    d->outlen = (size_t)(o - d->out_buf);
    put(d, lcode[256], llen[256]);
}
#else
static void put_symbols(struct promc__deflate *d, const uint8_t *llen, const uint16_t *lcode,
                        const uint8_t *dlen, const uint16_t *dcode)
{
    for (size_t i = 0; i < d->nsym; i++) {
        unsigned l = d->sym_len[i], v = d->sym_val[i];
        if (!l) {
            put(d, lcode[v], llen[v]);
            continue;
        }
        unsigned lc = len_code[l], dc = dist_code(v);
        put(d, lcode[257 + lc], llen[257 + lc]);
        if (len_extra[lc])
            put(d, l - len_base[lc], len_extra[lc]);
        put(d, dcode[dc], dlen[dc]);
        if (dist_extra[dc])
            put(d, v - dist_base[dc], dist_extra[dc]);
    }
    put(d, lcode[256], llen[256]);
}
#endif

static void put_dynamic_header(struct promc__deflate *d, const struct codes *c)
{
    put(d, c->hlit - 257, 5);
    put(d, c->hdist - 1, 5);
    put(d, c->hclen - 4, 4);
    for (unsigned i = 0; i < c->hclen; i++)
        put(d, c->cllen[cl_order[i]], 3);
    static const uint8_t rle_extra_bits[NCL] = {[16] = 2, [17] = 3, [18] = 7};
    for (unsigned i = 0; i < c->nrle; i++) {
        unsigned s = c->rle_sym[i];
        put(d, c->clcode[s], c->cllen[s]);
        if (rle_extra_bits[s])
            put(d, c->rle_extra[i], rle_extra_bits[s]);
    }
}

static void put_stored(struct promc__deflate *d, const unsigned char *p, size_t n, bool final)
{
    put(d, final, 3); /* BTYPE 00 */
    d->nbits = (d->nbits + 7) & ~7u;
    put_bytes_of_bits(d);
    unsigned char h[4] = {(unsigned char)n, (unsigned char)(n >> 8), (unsigned char)~n,
                          (unsigned char)(~n >> 8)};
    memcpy(d->out_buf + d->outlen, h, 4);
    memcpy(d->out_buf + d->outlen + 4, p, n);
    d->outlen += 4 + n;
}

/* Writes the symbols of buf[start..end) as one block. */
static void write_block(struct promc__deflate *d, size_t start, size_t end, bool final)
{
    d->lfreq[256] = 1;
    struct codes c;
    uint64_t dyn = dynamic_codes(d, &c);
    uint64_t fixed = 3 + symbol_bits(d, fixed_llen, fixed_dlen);
    uint64_t stored = 3 + ((8 - (d->nbits + 3) % 8) % 8) + 32 + 8 * (uint64_t)(end - start);
    if (d->outlen + (stored + 7) / 8 + 16 > OUTCAP)
        flush_out(d);
    if (stored <= dyn && stored <= fixed) {
        put_stored(d, d->buf + start, end - start, final);
    } else if (fixed <= dyn) {
        put(d, final | 1u << 1, 3);
        put_symbols(d, fixed_llen, fixed_lcode, fixed_dlen, fixed_dcode);
    } else {
        put(d, final | 2u << 1, 3);
        put_dynamic_header(d, &c);
        put_symbols(d, c.llen, c.lcode, c.dlen, c.dcode);
    }
    if (d->outlen >= OUTCAP / 2)
        flush_out(d);
}

/* ===================================================================== */
/* Matching                                                               */
/* ===================================================================== */

static uint32_t load32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint32_t hash4(uint32_t v)
{
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* Length of the common prefix of a and b, at most max. */
static unsigned match_length(const unsigned char *a, const unsigned char *b, unsigned max)
{
    unsigned n = 0;
    while (n + 8 <= max) {
        uint64_t x = load64(a + n) ^ load64(b + n);
        if (x)
            return n + (unsigned)(__builtin_ctzll(x) >> 3);
        n += 8;
    }
    while (n < max && a[n] == b[n])
        n++;
    return n;
}

static void literal(struct promc__deflate *d, unsigned char c)
{
    d->sym_len[d->nsym] = 0;
    d->sym_val[d->nsym++] = c;
    d->lfreq[c]++;
}

/* Matches buf[start..end) into symbols and writes them as a block. */
static void compress_block(struct promc__deflate *d, size_t start, size_t end, bool final)
{
    memset(d->lfreq, 0, sizeof d->lfreq);
    memset(d->dfreq, 0, sizeof d->dfreq);
    d->nsym = 0;
    const unsigned char *b = d->buf;
    size_t p = start;
    unsigned misses = 0;
    while (p + MIN_MATCH <= end) {
        uint32_t v = load32(b + p);
        uint32_t *slot = d->head[hash4(v)];
        uint32_t cur = d->base + (uint32_t)p;
        uint32_t c0 = slot[0], c1 = slot[1];
        slot[1] = c0;
        slot[0] = cur + 1;
        unsigned best = 0, best_dist = 0;
        unsigned max = end - p > MAX_MATCH ? MAX_MATCH : (unsigned)(end - p);
        for (int k = 0; k < 2; k++) {
            uint32_t cand = k ? c1 : c0;
            if (!cand--)
                break;
            uint32_t dist = cur - cand;
            if (dist - 1 >= WSIZE || cand < d->base)
                continue;
            const unsigned char *q = b + (cand - d->base);
            if (load32(q) != v || (best && (best >= max || q[best] != b[p + best])))
                continue;
            unsigned l =
                MIN_MATCH + match_length(q + MIN_MATCH, b + p + MIN_MATCH, max - MIN_MATCH);
            if (l > best) {
                best = l;
                best_dist = dist;
            }
        }
        if (best) {
            d->sym_len[d->nsym] = (uint16_t)best;
            d->sym_val[d->nsym++] = (uint16_t)best_dist;
            d->lfreq[257 + len_code[best]]++;
            d->dfreq[dist_code(best_dist)]++;
            /* The match's last position seeds the next line's search. */
            if (best > 8 && p + best + MIN_MATCH <= end) {
                size_t q = p + best - 1;
                uint32_t *s2 = d->head[hash4(load32(b + q))];
                s2[1] = s2[0];
                s2[0] = d->base + (uint32_t)q + 1;
            }
            p += best;
            misses = 0;
        } else {
            size_t step = 1 + (misses++ >> 5);
            if (step > end - p)
                step = end - p;
            for (size_t i = 0; i < step; i++)
                literal(d, b[p + i]);
            p += step;
        }
    }
    while (p < end)
        literal(d, b[p++]);
    write_block(d, start, end, final);
}

/* ===================================================================== */
/* Streams                                                                */
/* ===================================================================== */

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

struct promc__deflate *promc__deflate_new(void)
{
    pthread_once(&tables_once, build_tables);
    return promc__calloc(1, sizeof(struct promc__deflate));
}

void promc__deflate_free(struct promc__deflate *d)
{
    promc__free(d);
}

void promc__deflate_start(struct promc__deflate *d, promc_write_fn out, void *ctx)
{
    d->out = out;
    d->ctx = ctx;
    d->error = PROMC_OK;
    /* Positions of an earlier stream all lie below the new base, so they
     * never match: no need to clear the 256 KiB table for every stream. */
    d->base += (uint32_t)d->len;
    d->len = d->done = 0;
    d->bits = 0;
    d->nbits = 0;
    d->outlen = 0;
    if (d->base >= REBASE) {
        memset(d->head, 0, sizeof d->head);
        d->base = 0;
    }
}

/* Compresses the pending block (full) and slides the history. */
static void flush_block(struct promc__deflate *d)
{
    compress_block(d, d->done, d->len, false);
    if (d->len > WSIZE) {
        size_t drop = d->len - WSIZE;
        memmove(d->buf, d->buf + drop, WSIZE);
        d->base += (uint32_t)drop;
        d->len = WSIZE;
    }
    d->done = d->len;
    if (d->base >= REBASE) { /* forget old positions before they could wrap */
        memset(d->head, 0, sizeof d->head);
        d->base = 0;
    }
}

int promc__deflate_write(struct promc__deflate *d, const void *p, size_t n)
{
    const unsigned char *s = p;
    while (n && !d->error) {
        if (d->len - d->done == BLOCK)
            flush_block(d);
        size_t room = d->done + BLOCK - d->len;
        size_t take = n < room ? n : room;
        memcpy(d->buf + d->len, s, take);
        d->len += take;
        s += take;
        n -= take;
    }
    return d->error;
}

int promc__deflate_finish(struct promc__deflate *d)
{
    if (d->error)
        return d->error;
    compress_block(d, d->done, d->len, true);
    d->nbits = (d->nbits + 7) & ~7u;
    put_bytes_of_bits(d);
    flush_out(d);
    d->done = d->len;
    return d->error;
}
