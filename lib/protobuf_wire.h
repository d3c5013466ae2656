/*
 * Protocol buffers wire primitives (protobuf_wire.c): varints, zigzag
 * sint32/sint64, little-endian fixed64 doubles, tags, length-delimited
 * fields, and nested messages whose length is patched in when they close.
 * They append to one growable buffer that starts in the caller's storage
 * and moves to the heap only when it outgrows it, so encoding a series
 * allocates nothing; the first failed allocation sets oom and later writes
 * do nothing, so callers check once.
 */
#ifndef PROMC_PROTOBUF_WIRE_H
#define PROMC_PROTOBUF_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Wire types (the low three bits of a tag). */
enum { PROMC__PB_VARINT = 0, PROMC__PB_FIXED64 = 1, PROMC__PB_LEN = 2 };

/* The longest varint: a uint64 takes at most 10 bytes. */
#define PROMC__PB_VARINT_MAX 10

struct promc__pb {
    uint8_t *p;
    size_t len, cap;
    bool heap; /* p is ours (promc__malloc), not the caller's storage */
    bool oom;
};

/* Starts an empty buffer over storage[cap] (storage may be NULL, cap 0). */
void promc__pb_init(struct promc__pb *b, void *storage, size_t cap);
/* Frees what the buffer allocated (not the caller's storage). */
void promc__pb_free(struct promc__pb *b);
/* Makes room for n more bytes; false (and oom set) when memory ran out. */
bool promc__pb_grow(struct promc__pb *b, size_t n);

static inline bool promc__pb_room(struct promc__pb *b, size_t n)
{
    return n <= b->cap - b->len ? !b->oom : promc__pb_grow(b, n);
}

/* ---- Pure encoders (no buffer) ---------------------------------------- */

static inline size_t promc__pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Writes v at p (room for PROMC__PB_VARINT_MAX) and returns the end. */
static inline uint8_t *promc__pb_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline uint32_t promc__pb_zigzag32(int32_t v)
{
    return ((uint32_t)v << 1) ^ (0u - ((uint32_t)v >> 31));
}

static inline uint64_t promc__pb_zigzag64(int64_t v)
{
    return ((uint64_t)v << 1) ^ (UINT64_C(0) - ((uint64_t)v >> 63));
}

/* A double as fixed64: its IEEE 754 bits, least significant byte first
 * (NaN payloads, such as Prometheus's stale marker, pass through). */
static inline uint8_t *promc__pb_put_fixed64(uint8_t *p, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(u >> (8 * i));
    return p + 8;
}

static inline uint64_t promc__pb_tag(uint32_t field, unsigned wire)
{
    return (uint64_t)field << 3 | wire;
}

/* ---- Fields into a buffer -------------------------------------------- */

static inline void promc__pb_varint(struct promc__pb *b, uint64_t v)
{
    if (promc__pb_room(b, PROMC__PB_VARINT_MAX))
        b->len = (size_t)(promc__pb_put_varint(b->p + b->len, v) - b->p);
}

/* A varint field (uint32, uint64, int64, enum; negative int32/int64 are
 * passed sign-extended, as the format wants). */
static inline void promc__pb_uint_field(struct promc__pb *b, uint32_t field, uint64_t v)
{
    if (promc__pb_room(b, 2 * PROMC__PB_VARINT_MAX)) {
        uint8_t *p = promc__pb_put_varint(b->p + b->len, promc__pb_tag(field, PROMC__PB_VARINT));
        b->len = (size_t)(promc__pb_put_varint(p, v) - b->p);
    }
}

static inline void promc__pb_sint32_field(struct promc__pb *b, uint32_t field, int32_t v)
{
    promc__pb_uint_field(b, field, promc__pb_zigzag32(v));
}

static inline void promc__pb_sint64_field(struct promc__pb *b, uint32_t field, int64_t v)
{
    promc__pb_uint_field(b, field, promc__pb_zigzag64(v));
}

static inline void promc__pb_double_field(struct promc__pb *b, uint32_t field, double d)
{
    if (promc__pb_room(b, PROMC__PB_VARINT_MAX + 8)) {
        uint8_t *p = promc__pb_put_varint(b->p + b->len, promc__pb_tag(field, PROMC__PB_FIXED64));
        b->len = (size_t)(promc__pb_put_fixed64(p, d) - b->p);
    }
}

/* A string or bytes field. */
static inline void promc__pb_bytes_field(struct promc__pb *b, uint32_t field, const void *data,
                                         size_t n)
{
    if (promc__pb_room(b, 2 * PROMC__PB_VARINT_MAX + n)) {
        uint8_t *p = promc__pb_put_varint(b->p + b->len, promc__pb_tag(field, PROMC__PB_LEN));
        p = promc__pb_put_varint(p, n);
        if (n)
            memcpy(p, data, n);
        b->len = (size_t)(p + n - b->p);
    }
}

/* ---- Nested messages ---------------------------------------------------- */

/* Opens a length-delimited field (field 0: no tag, only the length prefix,
 * as a delimited stream frames its messages) and returns its mark for
 * promc__pb_close. One byte is reserved for the length: most messages are
 * shorter than 128 bytes; a longer one has its body moved up when it
 * closes, which costs a memmove of its own bytes, never an allocation per
 * message. */
static inline size_t promc__pb_open(struct promc__pb *b, uint32_t field)
{
    if (!promc__pb_room(b, PROMC__PB_VARINT_MAX + 1))
        return 0;
    uint8_t *p = b->p + b->len;
    if (field)
        p = promc__pb_put_varint(p, promc__pb_tag(field, PROMC__PB_LEN));
    b->len = (size_t)(p - b->p) + 1;
    return b->len - 1;
}

/* The slow half of promc__pb_close: a body of 128 bytes or more. */
void promc__pb_close_long(struct promc__pb *b, size_t mark, size_t n);

/* Closes the field opened at mark: writes its length. */
static inline void promc__pb_close(struct promc__pb *b, size_t mark)
{
    if (b->oom)
        return;
    size_t n = b->len - mark - 1;
    if (n < 0x80)
        b->p[mark] = (uint8_t)n;
    else
        promc__pb_close_long(b, mark, n);
}

#endif
