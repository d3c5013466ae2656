/*
 * The HTTP server's workers: a bounded queue of connections with a complete
 * request, and the threads that take them, answer every request complete in
 * the buffer (pipelining), and hand the connection back to the event loop.
 * Workers never wait for a client: what a slow reader has not taken goes
 * back to the loop with the connection.
 */
#include <string.h>
#include <unistd.h>

#include "gzip.h"
#include "http_internal.h"
#include "internal.h"

/* ===================================================================== */
/* The connection's buffer                                                */
/* ===================================================================== */

/* Drops request-body bytes still owed from the front of the buffer. */
void promc__http_conn_skip_body(struct promc__http_conn *c)
{
    if (!c->skip || !c->len)
        return;
    size_t drop = c->skip < c->len ? (size_t)c->skip : c->len;
    memmove(c->buf, c->buf + drop, c->len - drop);
    c->len -= drop;
    c->skip -= drop;
}

void promc__http_conn_next(struct promc__http_conn *c)
{
    memmove(c->buf, c->buf + c->head_len, c->len - c->head_len);
    c->len -= c->head_len;
    c->head_len = 0;
    /* A body the loop received for a handler is no longer in buf. */
    c->skip = c->body_taken ? 0 : c->req.content_length;
    c->body_taken = false;
    promc__http_conn_skip_body(c);
}

void promc__http_conn_uncount_body(promc_http_server *s, struct promc__http_conn *c)
{
    if (!c->body || !c->body_counted)
        return;
    atomic_fetch_sub(&s->body_held, c->body_len);
    c->body_counted = false;
}

void promc__http_conn_drop_body(promc_http_server *s, struct promc__http_conn *c)
{
    if (!c->body)
        return;
    promc__http_conn_uncount_body(s, c);
    promc__free(c->body);
    c->body = NULL;
    c->body_len = c->body_have = 0;
}

/* ===================================================================== */
/* Queue and threads                                                      */
/* ===================================================================== */

bool promc__http_enqueue(promc_http_server *s, struct promc__http_conn *c)
{
    pthread_mutex_lock(&s->qlock);
    bool ok = s->qlen < s->opts.max_queue;
    if (ok) {
        s->queue[(s->qhead + s->qlen) % s->opts.max_queue] = c;
        s->qlen++;
        pthread_cond_signal(&s->qcond);
    }
    pthread_mutex_unlock(&s->qlock);
    return ok;
}

static void give_back(promc_http_server *s, struct promc__http_conn *c)
{
    pthread_mutex_lock(&s->rlock);
    c->rnext = s->returned;
    s->returned = c;
    pthread_mutex_unlock(&s->rlock);
    uint64_t one = 1;
    if (write(s->event_fd, &one, sizeof one) < 0) {
        /* eventfd writes only fail on counter overflow, which cannot happen */
    }
}

/* Serves a connection's requests while they are complete in its buffer
 * (pipelining), then hands it back to the loop. */
static void serve(promc_http_server *s, struct promc__http_conn *c, struct promc__http_scratch *w)
{
    for (;;) {
        bool keep = promc__http_answer(s, c, w);
        promc__http_conn_next(c);
        promc__http_conn_drop_body(s, c);
        if (!keep || atomic_load(&s->stopping)) {
            /* A response still being written is finished before closing. */
            if (c->out.len && !atomic_load(&s->stopping))
                c->close_after_out = true;
            else
                c->close_me = true;
            break;
        }
        /* Behind a slow reader, later requests wait until it has read. */
        if (c->out.len || c->len == 0 || c->skip)
            break;
        int rc = promc__http_parse_request(c->buf, c->len, s->opts.max_target, s->opts.max_head,
                                           &c->req);
        if (rc == PROMC__HTTP_INCOMPLETE)
            break;
        if (rc < 0) {
            struct promc__http_reply r = {.status = promc__http_error_status(rc)};
            if (promc__http_deliver(s, c, &r) && c->out.len)
                c->close_after_out = true;
            else
                c->close_me = true;
            break;
        }
        /* A body for the handler is the loop's to receive: it parses this
         * head again when the connection comes back. */
        if (promc__http_wants_body(s, &c->req))
            break;
        c->head_len = (size_t)rc;
    }
    give_back(s, c);
}

static void *worker_main(void *arg)
{
    promc_http_server *s = arg;
    struct promc__http_scratch w = {0};
    for (;;) {
        pthread_mutex_lock(&s->qlock);
        while (!s->qlen && !s->workers_stop)
            pthread_cond_wait(&s->qcond, &s->qlock);
        if (s->workers_stop) {
            pthread_mutex_unlock(&s->qlock);
            break;
        }
        struct promc__http_conn *c = s->queue[s->qhead];
        s->qhead = (s->qhead + 1) % s->opts.max_queue;
        s->qlen--;
        pthread_mutex_unlock(&s->qlock);
        serve(s, c, &w);
    }
    promc__free(w.body.p);
    promc__chain_clear(&w.scrape);
    promc__gzip_free(w.gz);
    promc__free(w.names);
    promc__free(w.name_list);
    return NULL;
}

bool promc__http_workers_start(promc_http_server *s)
{
    unsigned started = 0;
    for (; started < s->opts.workers; started++)
        if (pthread_create(&s->workers[started], NULL, worker_main, s) != 0)
            break;
    s->nworkers = started;
    if (started == s->opts.workers)
        return true;
    promc__http_workers_stop(s);
    return false;
}

void promc__http_workers_stop(promc_http_server *s)
{
    pthread_mutex_lock(&s->qlock);
    s->workers_stop = true;
    pthread_cond_broadcast(&s->qcond);
    pthread_mutex_unlock(&s->qlock);
    for (unsigned i = 0; i < s->nworkers; i++)
        pthread_join(s->workers[i], NULL);
    s->nworkers = 0;
}
