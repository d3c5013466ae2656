/*
 * One collection at a time (coalesce.h). A scrape that finds a collection
 * running waits on a condition variable for it to finish and takes its
 * result; results are reference-counted under the same mutex, so the last
 * scrape still emitting one frees it. The wait is bounded because the
 * collection is: it ends by its deadline.
 */
#include "coalesce.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct pf_shared_result {
    void *value;
    unsigned refs;
    double finished; /* monotonic seconds */
};

struct pf_coalesce {
    pf_collect_fn collect;
    void (*free_result)(void *);
    void *ctx;
    double timeout, cache_ttl;

    pthread_mutex_t lock;
    pthread_cond_t done;
    bool running;
    unsigned long generation; /* collections finished */
    pf_shared_result *last;   /* the latest result, with a reference */
};

double pf_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

pf_coalesce *pf_coalesce_new(pf_collect_fn collect, void (*free_result)(void *), void *ctx,
                             double timeout, double cache_ttl)
{
    pf_coalesce *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    *c = (pf_coalesce){.collect = collect,
                       .free_result = free_result,
                       .ctx = ctx,
                       .timeout = timeout,
                       .cache_ttl = cache_ttl};
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->done, NULL);
    return c;
}

/* Called with the lock held. */
static pf_shared_result *hold(pf_shared_result *r)
{
    if (r)
        r->refs++;
    return r;
}

/* Called with the lock held; the value is freed after unlocking. */
static void *drop(pf_shared_result *r)
{
    if (!r || --r->refs > 0)
        return NULL;
    void *value = r->value;
    free(r);
    return value;
}

pf_shared_result *pf_coalesce_get(pf_coalesce *c)
{
    pthread_mutex_lock(&c->lock);
    if (c->running) {
        unsigned long gen = c->generation;
        while (c->running && c->generation == gen)
            pthread_cond_wait(&c->done, &c->lock);
        pf_shared_result *r = hold(c->last);
        pthread_mutex_unlock(&c->lock);
        return r;
    }
    if (c->cache_ttl > 0 && c->last && pf_monotonic() - c->last->finished < c->cache_ttl) {
        pf_shared_result *r = hold(c->last);
        pthread_mutex_unlock(&c->lock);
        return r;
    }
    c->running = true;
    pthread_mutex_unlock(&c->lock);

    void *value = c->collect(c->ctx, pf_monotonic() + c->timeout);
    pf_shared_result *r = value ? malloc(sizeof *r) : NULL;
    if (r)
        *r = (pf_shared_result){value, 1, pf_monotonic()};
    else if (value)
        c->free_result(value);

    pthread_mutex_lock(&c->lock);
    void *old = drop(c->last);
    c->last = r;
    hold(r); /* the caller's reference */
    c->running = false;
    c->generation++;
    pthread_cond_broadcast(&c->done);
    pthread_mutex_unlock(&c->lock);
    if (old)
        c->free_result(old);
    return r;
}

const void *pf_shared_value(const pf_shared_result *r)
{
    return r ? r->value : NULL;
}

void pf_coalesce_release(pf_coalesce *c, pf_shared_result *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&c->lock);
    void *value = drop(r);
    pthread_mutex_unlock(&c->lock);
    if (value)
        c->free_result(value);
}

void pf_coalesce_free(pf_coalesce *c)
{
    if (!c)
        return;
    void *value = drop(c->last);
    if (value)
        c->free_result(value);
    pthread_cond_destroy(&c->done);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
