/*
 * The block chain: a singly linked list of blocks, each with the span
 * [start, end) of its data still queued. Appends fill the last block and
 * add one when it is full (a huge one once the chain is large, see
 * chain.h); taking from the front advances the first block's start and
 * frees it once empty.
 */
#include <stdalign.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"
#include "chain.h"

struct promc__chain_block {
    struct promc__chain_block *next;
    size_t start, end; /* the queued bytes are data[start..end) */
    size_t size;       /* bytes of the block from its start, header included */
    size_t unmapped;   /* mapped: pages of [page, unmapped) already given back */
    bool mapped;       /* a mapping of its own (alloc.h), else promc__malloc'd */
    alignas(8) char data[];
};

/* Where a block's data starts. Every offset into a block counts from here:
 * pages given back by rounding an offset down must end before the first
 * byte still queued. data is aligned so that this is also the block's
 * sizeof: unaligned, it started 7 bytes before it (41 against 48 on LP64),
 * and a page holding unsent bytes could go back. */
#define HEAD offsetof(struct promc__chain_block, data)
_Static_assert(offsetof(struct promc__chain_block, data) == sizeof(struct promc__chain_block),
               "a block's data starts at its sizeof");

static void block_free(struct promc__chain_block *b)
{
    if (b->mapped)
        promc__unmap(b, b->size); /* holes in the range are fine for munmap */
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
    b->unmapped = 0;
    b->mapped = size == PROMC__CHAIN_HUGE;
    return b;
}

static size_t page_size(void)
{
    static size_t page;
    if (!page) {
        long p = sysconf(_SC_PAGESIZE);
        page = p > 0 ? (size_t)p : 4096;
    }
    return page;
}

/* Appends b as the last block. */
static void link_block(struct promc__chain *c, struct promc__chain_block *b)
{
    if (c->tail)
        c->tail->next = b;
    else
        c->head = b;
    c->tail = b;
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
            link_block(c, b);
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

int promc__chain_iov(const struct promc__chain *c, struct iovec *iov, int max)
{
    int n = 0;
    for (const struct promc__chain_block *b = c->head; b && n < max; b = b->next)
        if (b->end > b->start)
            iov[n++] = (struct iovec){(void *)(b->data + b->start), b->end - b->start};
    return n;
}

/* A block of exactly n bytes holding a copy of p, not linked; NULL when
 * out of memory. */
static struct promc__chain_block *exact_block(const void *p, size_t n)
{
    struct promc__chain_block *b = promc__malloc(HEAD + n);
    if (!b)
        return NULL;
    memcpy(b->data, p, n);
    b->next = NULL;
    b->start = 0;
    b->end = n;
    b->size = HEAD + n;
    b->unmapped = 0;
    b->mapped = false;
    return b;
}

/* A head block partly taken holds memory nobody will read again, which
 * the budget for unsent output no longer counts: a mapping gives the pages
 * already taken back (all but the header's), and a small remainder of an
 * allocated block moves into a block of its exact size. Either way, what
 * a slow reader holds stays near the bytes it has not taken. */
static void give_back_front(struct promc__chain *c, struct promc__chain_block *b)
{
    if (b->mapped) {
        size_t page = page_size();
        size_t to = (HEAD + b->start) / page * page;
        size_t from = b->unmapped > page ? b->unmapped : page;
        if (to > from && munmap((char *)b + from, to - from) == 0)
            b->unmapped = to;
        return;
    }
    size_t left = b->end - b->start;
    if (left > (b->size - HEAD) / 4 || b->next == NULL)
        return; /* mostly unsent, or still being appended to */
    struct promc__chain_block *e = exact_block(b->data + b->start, left);
    if (!e)
        return; /* keep the old one: nothing lost */
    e->next = b->next;
    c->head = e;
    promc__free(b);
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
        if (b->start < b->end) {
            give_back_front(c, b);
            break;
        }
        c->head = b->next;
        if (!c->head)
            c->tail = NULL;
        block_free(b);
    }
}

void promc__chain_put_exact(struct promc__chain *c, const void *p, size_t n)
{
    if (!n || c->oom)
        return;
    struct promc__chain_block *b = exact_block(p, n);
    if (!b) {
        c->oom = true;
        return;
    }
    link_block(c, b);
    c->len += n;
}

void promc__chain_seal(struct promc__chain *c)
{
    struct promc__chain_block *b = c->tail;
    if (!b || !b->mapped)
        return;
    size_t page = page_size();
    size_t keep = (HEAD + b->end + page - 1) / page * page;
    if (keep < b->size && munmap((char *)b + keep, b->size - keep) == 0)
        b->size = keep;
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
