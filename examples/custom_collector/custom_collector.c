/*
 * docs/COLLECTORS.md's worked example: a custom collector exporting the state
 * of an application's own data structure (a set of work queues) at scrape
 * time, without mirroring it into metrics on every change.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "promc.h"

/* The application's own state, guarded by its own lock. */
struct queue {
    const char *name;
    unsigned depth;           /* items waiting now */
    unsigned long long done;  /* items processed since start */
    double wait_seconds_sum;  /* total time items waited */
    unsigned long long waits; /* items whose wait is in the sum */
};

struct queues {
    pthread_mutex_t lock;
    struct queue q[2];
};

/* Called when a scrape needs the numbers: on the scraping thread or a
 * collector thread, never twice at once (concurrent scrapes share a call).
 * The application's own threads change the queues meanwhile, so it copies
 * what it needs under the application's lock, then emits without it. */
static int collect_queues(promc_emitter *e, void *userdata)
{
    struct queues *qs = userdata;
    struct queue snap[2];
    pthread_mutex_lock(&qs->lock);
    for (int i = 0; i < 2; i++)
        snap[i] = qs->q[i];
    pthread_mutex_unlock(&qs->lock);

    /* A failed emit call also fails the scrape (after everything valid is
     * written); returning its code makes the callback stop at once. */
    int rc = promc_emit_family(e, "queue_depth", "Items waiting in the queue.", PROMC_GAUGE, NULL);
    for (int i = 0; i < 2 && rc == PROMC_OK; i++) {
        promc_label l[] = {{"queue", snap[i].name}};
        rc = promc_emit_sample(e, l, 1, snap[i].depth);
    }
    if (rc == PROMC_OK)
        rc =
            promc_emit_family(e, "queue_items_done_total", "Items processed.", PROMC_COUNTER, NULL);
    for (int i = 0; i < 2 && rc == PROMC_OK; i++) {
        promc_label l[] = {{"queue", snap[i].name}};
        rc = promc_emit_sample(e, l, 1, (double)snap[i].done);
    }
    if (rc == PROMC_OK)
        rc = promc_emit_family(e, "queue_wait_seconds", "Time items waited.", PROMC_SUMMARY,
                               "seconds");
    for (int i = 0; i < 2 && rc == PROMC_OK; i++) {
        promc_label l[] = {{"queue", snap[i].name}};
        rc = promc_emit_summary(e, l, 1, NULL, NULL, 0, snap[i].waits, snap[i].wait_seconds_sum);
    }
    return rc;
}

/* The collector owns its userdata from creation: freed with it. */
static void free_queues(void *userdata)
{
    struct queues *qs = userdata;
    pthread_mutex_destroy(&qs->lock);
    free(qs);
}

int main(void)
{
    struct queues *qs = calloc(1, sizeof *qs);
    if (!qs)
        return 1;
    pthread_mutex_init(&qs->lock, NULL);
    qs->q[0] = (struct queue){"email", 3, 120, 42.5, 120};
    qs->q[1] = (struct queue){"billing", 0, 7, 0.75, 7};

    promc_registry *reg = promc_registry_new();
    if (!reg)
        return 1;
    /* Declaring the family names lets registration catch a clash at once. */
    promc_metric *m =
        promc_collector_new(reg, collect_queues, qs, free_queues,
                            PROMC_LABELS("queue_depth", "queue_items_done", "queue_wait_seconds"));
    if (!m) {
        fprintf(stderr, "custom_collector: %s\n", promc_last_error());
        free_queues(qs); /* on failure, userdata stays ours */
        promc_registry_free(reg);
        return 1;
    }
    int rc = promc_encode_file(reg, PROMC_FORMAT_TEXT, stdout);
    if (rc != PROMC_OK)
        fprintf(stderr, "custom_collector: %s\n", promc_last_error());
    promc_metric_free(m);     /* the registry still holds it */
    promc_registry_free(reg); /* releases it: free_queues runs */
    return rc == PROMC_OK ? 0 : 1;
}
