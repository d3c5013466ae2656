/*
 * The HTTP server's own metrics, registered in the registry it serves:
 * requests to the metrics endpoint by status, scrapes in flight, scrapes
 * whose exposition failed, slow readers shed to make room for responses,
 * the bytes of expositions and of the bodies sent for them (smaller when
 * compressed), and the duration and size of the last scrape.
 * Only the metrics endpoint is counted; a server that finds them already
 * registered goes without.
 */
#include <stdio.h>

#include "http_internal.h"
#include "mp.h"

void promc__http_self_metrics_drop(struct promc__http_self_metrics *m)
{
    if (m->requests) {
        promc_registry_unregister(m->registry, promc_counter_vec_metric(m->requests));
        promc_counter_vec_free(m->requests);
    }
    promc_counter *c[] = {m->scrape_errors, m->shed, m->exposition_bytes, m->response_bytes};
    for (size_t i = 0; i < sizeof c / sizeof *c; i++)
        if (c[i]) {
            promc_registry_unregister(m->registry, promc_counter_metric(c[i]));
            promc_counter_free(c[i]);
        }
    promc_gauge *g[] = {m->in_flight, m->scrape_seconds, m->scrape_bytes};
    for (size_t i = 0; i < sizeof g / sizeof *g; i++)
        if (g[i]) {
            promc_registry_unregister(m->registry, promc_gauge_metric(g[i]));
            promc_gauge_free(g[i]);
        }
    *m = (struct promc__http_self_metrics){0};
}

void promc__http_self_metrics_add(struct promc__http_self_metrics *m, promc_registry *reg)
{
    m->registry = reg;
    /* The metrics server's own metrics describe this process (its
     * scrapes), also in multi-process mode: not shared. */
    promc__mp_private(true);
    m->requests = promc_counter_vec_new(PROMC_NO_REGISTRY, "promc_http_requests",
                                        "Requests to the metrics endpoint by HTTP status code.",
                                        PROMC_LABELS("code"), NULL);
    m->scrape_errors = promc_counter_new(
        PROMC_NO_REGISTRY, "promc_http_scrape_errors",
        "Scrapes whose exposition failed (a collector failed, families clashed), whether "
        "answered 500 or served partially.",
        NULL);
    m->shed = promc_counter_new(
        PROMC_NO_REGISTRY, "promc_http_slow_readers_shed",
        "Connections closed before their response was whole for want of room within "
        "max_pending_bytes: the slow readers that had waited longest, to make room for "
        "another response, and streamed scrapes whose unsent end found none.",
        NULL);
    m->exposition_bytes = promc_counter_new(
        PROMC_NO_REGISTRY, "promc_http_scrape_exposition_bytes",
        "Bytes of the expositions served with status 200, before compression.", NULL);
    m->response_bytes = promc_counter_new(
        PROMC_NO_REGISTRY, "promc_http_scrape_response_bytes",
        "Bytes of the response bodies sent for them: smaller than the expositions when "
        "compressed.",
        NULL);
    m->in_flight = promc_gauge_new(PROMC_NO_REGISTRY, "promc_http_requests_in_flight",
                                   "Scrapes being served now.", NULL);
    m->scrape_seconds =
        promc_gauge_new(PROMC_NO_REGISTRY, "promc_http_last_scrape_duration_seconds",
                        "Time the last scrape took to encode, in seconds.", NULL);
    m->scrape_bytes =
        promc_gauge_new(PROMC_NO_REGISTRY, "promc_http_last_scrape_bytes",
                        "Size of the last scrape's exposition in bytes, before compression.", NULL);
    promc__mp_private(false);
    if (!m->requests || !m->scrape_errors || !m->shed || !m->exposition_bytes ||
        !m->response_bytes || !m->in_flight || !m->scrape_seconds || !m->scrape_bytes) {
        promc__http_self_metrics_drop(m);
        return;
    }
    /* Created outside the registry, then registered: a constructor would
     * hand back the metrics of another server of the registry (the same
     * definitions), while registering refuses them. */
    promc_metric *all[] = {
        promc_counter_vec_metric(m->requests),   promc_counter_metric(m->scrape_errors),
        promc_counter_metric(m->shed),           promc_counter_metric(m->exposition_bytes),
        promc_counter_metric(m->response_bytes), promc_gauge_metric(m->in_flight),
        promc_gauge_metric(m->scrape_seconds),   promc_gauge_metric(m->scrape_bytes)};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (promc_registry_register(reg, all[i]) != PROMC_OK) {
            promc__http_self_metrics_drop(m); /* unregisters only what it registered */
            return;
        }
    static const char *const codes[] = {"200", "500", "503"};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        promc_counter_vec_labels(m->requests, codes[i]);
}

void promc__http_self_count(struct promc__http_self_metrics *m, int status)
{
    if (!m->requests)
        return;
    char code[12]; /* any int */
    snprintf(code, sizeof code, "%d", status);
    promc_counter_inc(promc_counter_vec_labels(m->requests, code));
}

void promc__http_self_scrape_started(struct promc__http_self_metrics *m)
{
    if (m->in_flight)
        promc_gauge_inc(m->in_flight);
}

void promc__http_self_scrape_failed(struct promc__http_self_metrics *m)
{
    if (m->scrape_errors)
        promc_counter_inc(m->scrape_errors);
}

void promc__http_self_scrape_encoded(struct promc__http_self_metrics *m, double seconds,
                                     size_t exposition_bytes, size_t body_bytes)
{
    if (!m->scrape_seconds)
        return;
    promc_gauge_set(m->scrape_seconds, seconds);
    promc_gauge_set(m->scrape_bytes, (double)exposition_bytes);
    promc_counter_add_int(m->exposition_bytes, exposition_bytes);
    promc_counter_add_int(m->response_bytes, body_bytes);
}

void promc__http_self_scrape_finished(struct promc__http_self_metrics *m, int status)
{
    promc__http_self_count(m, status);
    if (m->in_flight)
        promc_gauge_dec(m->in_flight);
}

void promc__http_self_slow_reader_shed(struct promc__http_self_metrics *m)
{
    if (m->shed)
        promc_counter_inc(m->shed);
}
