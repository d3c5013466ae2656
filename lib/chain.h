/*
 * A byte queue kept in a chain of fixed-size blocks: appended at the end,
 * taken from the front. A scrape's response is built in one and sent from
 * it, so a large response never needs one contiguous allocation: it grows
 * a block at a time (no doubling, no copy of what is already there), moves
 * from the worker to the connection by handing over the blocks, and gives
 * each block back as soon as the client has taken its bytes. Appends never
 * fail loudly: the first allocation failure sets `oom` and later appends do
 * nothing, so callers check once at the end. Not thread-safe: one owner at
 * a time.
 */
#ifndef PROMC_CHAIN_H
#define PROMC_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

/* Bytes of one block's allocation, header included: small enough that the
 * partly filled last block bounds the waste, large enough that a response
 * of tens of megabytes is a few hundred blocks and a write takes many of
 * them at once. */
#define PROMC__CHAIN_BLOCK 65536
/* Once a chain holds this much, its next blocks are this large, mapped on
 * their own and advised for transparent huge pages (alloc.h), when libc's
 * allocator is in use: filling tens of megabytes of fresh 4 KiB pages costs
 * a page fault each, which on a virtual machine can take longer than
 * rendering the text. Small responses never get one. */
#define PROMC__CHAIN_HUGE (2u << 20)

struct promc__chain_block;

/* Start zeroed. */
struct promc__chain {
    struct promc__chain_block *head, *tail;
    size_t len; /* bytes queued */
    bool oom;   /* an append failed; later appends are no-ops */
};

/* Appends n bytes. */
void promc__chain_put(struct promc__chain *c, const void *p, size_t n);
/* Points iov[0..max) at the queued bytes from the front, one entry a block;
 * returns how many it filled (0 when empty). */
int promc__chain_iov(const struct promc__chain *c, struct iovec *iov, int max);
/* Drops the first n bytes (at most len), freeing the blocks they emptied. */
void promc__chain_consume(struct promc__chain *c, size_t n);
/* Appends n bytes in a block of their own, of exactly their size (for the
 * few unsent bytes of a head or a short body). */
void promc__chain_put_exact(struct promc__chain *c, const void *p, size_t n);
/* Gives back the unused pages of the last block when it is a mapping: for a
 * chain that is complete, before it waits for a slow reader (appends after
 * still work, into what is left of the block or new blocks). */
void promc__chain_seal(struct promc__chain *c);
/* Moves every block of src to the end of dst, without copying; src is left
 * empty. dst's oom is src's or its own. */
void promc__chain_splice(struct promc__chain *dst, struct promc__chain *src);
/* Frees every block and empties c (oom cleared). */
void promc__chain_clear(struct promc__chain *c);

#endif
