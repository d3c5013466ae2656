/*
 * The block chain: a singly linked list of blocks, each with the span
 * [start, end) of its data still queued. Appends fill the last block and
 * add one when it is full (a huge one once the chain is large, see
 * chain.h); taking from the front advances the first block's start and
 * frees it once empty.
 */
#include <string.h>

#include "alloc.h"
#include "chain.h"

struct promc__chain_block {
    struct promc__chain_block *next;
    size_t start, end; /* the queued bytes are data[start..end) */
    size_t size;       /* of the whole block; PROMC__CHAIN_HUGE: a mapping */
    char data[];
};

#define HEAD sizeof(struct promc__chain_block)

static void block_free(struct promc__chain_block *b)
{
    if (b->size == PROMC__CHAIN_HUGE)
        promc__unmap(b, b->size);
    else
        promc__free(b);
}

/* A huge block once the chain is large (when the mapping can be had), else
 * an ordinary one; NULL when out of memory. */
static struct promc__chain_block *block_new(const struct promc__chain *c)
{
    struct promc__chain_block *b = NULL;
    size_t size = PROMC__CHAIN_HUGE;
    if (c->len >= PROMC__CHAIN_HUGE)
        b = promc__map_aligned(size);
    if (!b) {
        size = PROMC__CHAIN_BLOCK;
        b = promc__malloc(size);
        if (!b)
            return NULL;
    }
    b->next = NULL;
    b->start = b->end = 0;
    b->size = size;
    return b;
}

void promc__chain_put(struct promc__chain *c, const void *p, size_t n)
{
    const char *s = p;
    while (n && !c->oom) {
        struct promc__chain_block *b = c->tail;
        if (!b || b->end == b->size - HEAD) {
            b = block_new(c);
            if (!b) {
                c->oom = true;
                return;
            }
            if (c->tail)
                c->tail->next = b;
            else
                c->head = b;
            c->tail = b;
        }
        size_t room = b->size - HEAD - b->end;
        size_t k = room < n ? room : n;
        memcpy(b->data + b->end, s, k);
        b->end += k;
        c->len += k;
        s += k;
        n -= k;
    }
}

int promc__chain_writer(void *ctx, const char *data, size_t len)
{
    struct promc__chain *c = ctx;
    promc__chain_put(c, data, len);
    return c->oom ? -1 : 0;
}

int promc__chain_iov(const struct promc__chain *c, struct iovec *iov, int max)
{
    int n = 0;
    for (const struct promc__chain_block *b = c->head; b && n < max; b = b->next)
        if (b->end > b->start)
            iov[n++] = (struct iovec){(void *)(b->data + b->start), b->end - b->start};
    return n;
}

void promc__chain_consume(struct promc__chain *c, size_t n)
{
    if (n > c->len)
        n = c->len;
    c->len -= n;
    /* Every block emptied goes at once, the last one too: a chain that has
     * been sent holds no memory. */
    while (c->head) {
        struct promc__chain_block *b = c->head;
        size_t k = b->end - b->start < n ? b->end - b->start : n;
        b->start += k;
        n -= k;
        if (b->start < b->end)
            break;
        c->head = b->next;
        if (!c->head)
            c->tail = NULL;
        block_free(b);
    }
}

void promc__chain_splice(struct promc__chain *dst, struct promc__chain *src)
{
    if (src->head) {
        if (dst->tail)
            dst->tail->next = src->head;
        else
            dst->head = src->head;
        dst->tail = src->tail;
        dst->len += src->len;
    }
    dst->oom = dst->oom || src->oom;
    *src = (struct promc__chain){0};
}

void promc__chain_clear(struct promc__chain *c)
{
    while (c->head) {
        struct promc__chain_block *b = c->head;
        c->head = b->next;
        block_free(b);
    }
    *c = (struct promc__chain){0};
}
