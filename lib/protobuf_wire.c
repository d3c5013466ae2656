/*
 * The out-of-line half of the protobuf wire primitives (protobuf_wire.h):
 * growing the buffer (from the caller's storage to the heap, then by
 * doubling) and closing a nested message longer than 127 bytes, whose length
 * needs more than the one byte reserved for it.
 */
#include <string.h>

#include "internal.h"
#include "protobuf_wire.h"

void promc__pb_init(struct promc__pb *b, void *storage, size_t cap)
{
    b->p = storage;
    b->len = 0;
    b->cap = storage ? cap : 0;
    b->heap = false;
    b->oom = false;
}

void promc__pb_free(struct promc__pb *b)
{
    if (b->heap)
        promc__free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->heap = false;
}

bool promc__pb_grow(struct promc__pb *b, size_t n)
{
    if (b->oom)
        return false;
    if (n <= b->cap - b->len)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (n > cap - b->len) {
        if (cap > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    uint8_t *p;
    if (b->heap) {
        p = promc__realloc(b->p, cap);
    } else {
        p = promc__malloc(cap);
        if (p && b->len)
            memcpy(p, b->p, b->len);
    }
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    b->heap = true;
    return true;
}

void promc__pb_close_long(struct promc__pb *b, size_t mark, size_t n)
{
    size_t k = promc__pb_varint_size(n);
    if (!promc__pb_room(b, k - 1))
        return;
    memmove(b->p + mark + k, b->p + mark + 1, n);
    promc__pb_put_varint(b->p + mark, n);
    b->len += k - 1;
}
