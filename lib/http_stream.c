/*
 * A large scrape sent while it is rendered. The worker renders into its
 * scratch chain as for any scrape; once that holds stream_threshold bytes,
 * the head goes out with Transfer-Encoding: chunked, and from then on every
 * FLUSH bytes rendered become a chunk, written as far as the socket takes
 * without waiting. So the client reads while the server renders, instead
 * of after, and the blocks it has taken go back to the allocator to hold
 * the next ones, instead of the whole response being written into fresh
 * pages the kernel must zero first.
 *
 * What the socket has not taken stays in the connection's output, owned by
 * the worker while it renders and not yet reserved in the pending-output
 * budget -- as a response being rendered in full is not. When the render
 * ends, the last chunk and the end of the body are added, and what is
 * still unsent is reserved before the connection goes back to the loop,
 * which writes it. A worker still never waits for a reader.
 *
 * The price of not knowing the length in advance: a scrape that fails
 * after its head went out (a collector failed, memory ran out, or there is
 * no room left to keep the unsent end) cannot become a 500 or a 503; the
 * connection is closed before the end of the body, which every HTTP client
 * reports as an incomplete response, so the scrape fails as visibly.
 */
#include <stdio.h>
#include <stdint.h>

#include "http_internal.h"
#include "internal.h"

/* Bytes rendered between two chunks once streaming: a few of the chain's
 * blocks, so that a chunk costs one small allocation for its size line and
 * one write, and the partly filled block a chunk ends on wastes little. */
#define FLUSH (256u * 1024)

void promc__http_stream_init(struct promc__http_stream *st, promc_http_server *s,
                             struct promc__http_conn *c, struct promc__chain *body,
                             struct promc__http_reply *r, size_t threshold)
{
    *st = (struct promc__http_stream){
        .s = s, .c = c, .body = body, .r = r, .threshold = threshold ? threshold : SIZE_MAX};
}

/* Writes what the socket takes now of the connection's output. The bytes
 * are not in the budget yet, so nothing is given back. False when the
 * connection failed. */
static bool send_some(struct promc__http_stream *st)
{
    size_t written;
    return promc__http_write_chain(st->c->fd, &st->c->out, &written);
}

/* Moves what is rendered to the output as one chunk: its size line (after
 * the CRLF that ends the chunk before), then its blocks, without a copy. */
static void add_chunk(struct promc__http_stream *st)
{
    size_t n = st->body->len;
    if (!n)
        return;
    char line[2 + 16 + 2 + 1];
    int k = snprintf(line, sizeof line, "%s%zx\r\n", st->body_bytes ? "\r\n" : "", n);
    promc__chain_put_exact(&st->c->out, line, (size_t)k);
    promc__chain_splice(&st->c->out, st->body);
    st->body_bytes += n;
}

/* Sends the head, once the body is large enough to stream; false (and the
 * scrape goes on in full, as below the threshold) when it cannot be
 * formatted or kept. */
static bool start(struct promc__http_stream *st)
{
    st->threshold = SIZE_MAX; /* one attempt */
    struct promc__http_reply *r = st->r;
    r->chunked = true;
    r->extra_headers = st->s->extra_headers;
    char head[PROMC__HTTP_HEAD_MAX];
    size_t hlen = promc__http_format_head(head, sizeof head, r);
    promc__chain_put_exact(&st->c->out, head, hlen);
    if (!hlen || st->c->out.oom) {
        r->chunked = false;
        promc__chain_clear(&st->c->out);
        return false;
    }
    st->started = true;
    return true;
}

int promc__http_stream_write(void *ctx, const char *data, size_t len)
{
    struct promc__http_stream *st = ctx;
    if (st->gone)
        return -1;
    promc__chain_put(st->body, data, len);
    if (st->body->oom)
        return -1;
    if (!st->started) {
        if (st->body->len < st->threshold || !start(st))
            return 0;
    } else if (st->body->len < FLUSH) {
        return 0;
    }
    add_chunk(st);
    if (st->c->out.oom)
        return -1;
    if (!send_some(st)) {
        st->gone = true;
        return -1;
    }
    return 0;
}

bool promc__http_stream_end(struct promc__http_stream *st, bool whole)
{
    promc_http_server *s = st->s;
    struct promc__chain *out = &st->c->out;
    if (whole) {
        add_chunk(st);
        promc__chain_put_exact(out, "\r\n0\r\n\r\n", 7); /* the last chunk's CRLF, the end */
        whole = !out->oom && !st->gone;
    }
    if (st->r->sending)
        st->r->sending(st->r->sending_ctx, st->r->status);
    if (whole && !send_some(st))
        st->gone = true, whole = false;
    if (whole && out->len && !promc__http_reserve(s, out->len)) {
        promc__http_self_slow_reader_shed(&s->self);
        whole = false;
    }
    if (!whole) {
        promc__chain_clear(out);
        promc__chain_clear(st->body);
    }
    return whole;
}
