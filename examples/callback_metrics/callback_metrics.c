/*
 * docs/API.md's callback metrics example: an application's work queues
 * exported at scrape time -- the total backlog as a gauge, and one series
 * per queue as a labelled family -- without a collector to write and
 * without mirroring the queues into metrics on every change.
 */
#include <pthread.h>
#include <stdio.h>

#include "promc.h"

/* The application's own state, guarded by its own lock. */
struct queues {
    pthread_mutex_t lock;
    size_t n;
    const char *name[3];
    unsigned depth[3];
};

/* Called at every scrape, never twice at once, possibly on another thread
 * than the one changing the queues: hence the application's lock. */
static int backlog(void *userdata, double *value)
{
    struct queues *qs = userdata;
    pthread_mutex_lock(&qs->lock);
    unsigned total = 0;
    for (size_t i = 0; i < qs->n; i++)
        total += qs->depth[i];
    pthread_mutex_unlock(&qs->lock);
    *value = total;
    return 0; /* non-zero: the value could not be read (the scrape fails) */
}

/* Lists the series: one per queue that exists now. */
static int depth_by_queue(promc_reporter *r, void *userdata)
{
    struct queues *qs = userdata;
    pthread_mutex_lock(&qs->lock);
    for (size_t i = 0; i < qs->n; i++)
        promc_reporter_add(r, qs->depth[i], qs->name[i]);
    pthread_mutex_unlock(&qs->lock);
    return 0;
}

int main(void)
{
    static struct queues qs = {PTHREAD_MUTEX_INITIALIZER, 2, {"email", "billing"}, {3, 1}};
    promc_registry *reg = promc_registry_new();
    if (!reg)
        return 1;
    /* qs is borrowed until the metrics are destroyed (no free_fn: static). */
    promc_metric *total = promc_gauge_func_new(reg, "queue_backlog", "Items waiting in all queues.",
                                               backlog, &qs, NULL, NULL);
    promc_metric *depth =
        promc_gauge_func_vec_new(reg, "queue_depth", "Items waiting, by queue.",
                                 PROMC_LABELS("queue"), depth_by_queue, &qs, NULL, NULL);
    if (!total || !depth) {
        fprintf(stderr, "callback_metrics: %s\n", promc_last_error());
        return 1;
    }
    /* A queue appears: the next scrape shows it, nothing else to do. */
    pthread_mutex_lock(&qs.lock);
    qs.name[2] = "reports";
    qs.depth[2] = 5;
    qs.n = 3;
    pthread_mutex_unlock(&qs.lock);

    int rc = promc_encode_file(reg, PROMC_FORMAT_TEXT, stdout);
    if (rc != PROMC_OK)
        fprintf(stderr, "callback_metrics: %s\n", promc_last_error());
    promc_metric_free(total);
    promc_metric_free(depth);
    promc_registry_free(reg);
    return rc == PROMC_OK ? 0 : 1;
}
