/*
 * The block chain: a singly linked list of blocks, each with the span
 * [start, end) of its data still queued. Appends fill the last block and
 * add one when it is full; taking from the front advances the first
 * block's start and frees it once empty.
 */
#include <string.h>

#include "alloc.h"
#include "chain.h"

struct promc__chain_block {
    struct promc__chain_block *next;
    size_t start, end; /* the queued bytes are data[start..end) */
    char data[];
};

#define BLOCK_DATA (PROMC__CHAIN_BLOCK - sizeof(struct promc__chain_block))

void promc__chain_put(struct promc__chain *c, const void *p, size_t n)
{
    const char *s = p;
    while (n && !c->oom) {
        struct promc__chain_block *b = c->tail;
        if (!b || b->end == BLOCK_DATA) {
            b = promc__malloc(PROMC__CHAIN_BLOCK);
            if (!b) {
                c->oom = true;
                return;
            }
            b->next = NULL;
            b->start = b->end = 0;
            if (c->tail)
                c->tail->next = b;
            else
                c->head = b;
            c->tail = b;
        }
        size_t k = BLOCK_DATA - b->end < n ? BLOCK_DATA - b->end : n;
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
        promc__free(b);
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
        promc__free(b);
    }
    *c = (struct promc__chain){0};
}
