/*
 * Metrics of a custom handler's requests (promc_http_instrument), as
 * client_golang's promhttp.InstrumentHandler{Counter,Duration,InFlight,
 * ResponseSize} keep them: requests by code and method, their duration and
 * response size in histograms by code and method, and those in flight.
 * Label values are bounded: the status is 100..999, and a method that is
 * not a standard one is "unknown" (promhttp's sanitizeMethod).
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "http_internal.h"
#include "internal.h"
#include "metric.h"
#include "registry.h"

struct promc_http_instrument {
    promc_registry *registry;
    promc_counter_vec *requests;
    promc_histogram_vec *duration;
    promc_histogram_vec *size;
    promc_gauge *in_flight;
};

/* promhttp's example buckets for response sizes. */
static const double size_buckets[] = {200, 500, 900, 1500};

static void drop(promc_http_instrument *in)
{
    promc_metric *m[] = {promc_counter_vec_metric(in->requests),
                         promc_histogram_vec_metric(in->duration),
                         promc_histogram_vec_metric(in->size), promc_gauge_metric(in->in_flight)};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        if (m[i])
            promc_registry_unregister(in->registry, m[i]);
    promc_counter_vec_free(in->requests);
    promc_histogram_vec_free(in->duration);
    promc_histogram_vec_free(in->size);
    promc_gauge_free(in->in_flight);
    promc__registry_unref(in->registry);
    promc__free(in);
}

/* A constructor hands back a metric already registered with the same
 * definition; an instrument unregisters its metrics when freed, so it must
 * not share one. True when the call that returned m made it. */
static bool fresh(promc_metric *m)
{
    return atomic_load_explicit(&m->owners, memory_order_relaxed) == 1;
}

/* Releases a shared metric's reference (without unregistering it) and
 * records the clash; free(handle) would reset the last error, so the
 * message is recorded after it. */
#define SHARED(handle, free_fn, metric_fn)                                                         \
    do {                                                                                           \
        if ((handle) && !fresh(metric_fn(handle))) {                                               \
            char name_[128];                                                                       \
            snprintf(name_, sizeof name_, "%s", metric_fn(handle)->desc.name);                     \
            free_fn(handle);                                                                       \
            (handle) = NULL;                                                                       \
            promc__fail(PROMC_EEXIST, "promc_http_instrument_new: \"%s\" is already registered",   \
                        name_);                                                                    \
        }                                                                                          \
    } while (0)

promc_http_instrument *promc_http_instrument_new(promc_registry *reg,
                                                 const promc_http_instrument_opts *opts)
{
    /* NULL -> the default registry; PROMC_NO_REGISTRY is refused: the
     * metrics would be exposed nowhere. */
    if (promc__registry_arg(reg, "promc_http_instrument_new", &reg) != PROMC_OK)
        return NULL;
    promc_http_instrument_opts o = opts ? *opts : (promc_http_instrument_opts){0};
    promc_http_instrument *in = promc__calloc(1, sizeof *in);
    if (!in)
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating an HTTP instrument");
    /* Held until freed, for the unregistering then. */
    promc__registry_ref(reg);
    in->registry = reg;
    promc_histogram_opts dh = {.buckets = o.duration_buckets, .nbuckets = o.duration_nbuckets};
    promc_histogram_opts sh = {.buckets = o.response_size_buckets,
                               .nbuckets = o.response_size_nbuckets};
    if (!sh.buckets) {
        sh.buckets = size_buckets;
        sh.nbuckets = sizeof size_buckets / sizeof *size_buckets;
    }
    /* Each step stops at the first failure, whose error stays recorded; a
     * metric shared with an earlier caller is released, not unregistered. */
    in->requests = promc_counter_vec_new(
        reg, o.requests_name ? o.requests_name : "api_requests_total",
        "A counter for requests to the wrapped handler.", PROMC_LABELS("code", "method"), NULL);
    SHARED(in->requests, promc_counter_vec_free, promc_counter_vec_metric);
    if (in->requests)
        in->duration = promc_histogram_vec_new(
            reg, o.duration_name ? o.duration_name : "request_duration_seconds",
            "A histogram of latencies for requests.", PROMC_LABELS("code", "method"), &dh);
    SHARED(in->duration, promc_histogram_vec_free, promc_histogram_vec_metric);
    if (in->duration)
        in->size = promc_histogram_vec_new(
            reg, o.response_size_name ? o.response_size_name : "response_size_bytes",
            "A histogram of response sizes for requests.", PROMC_LABELS("code", "method"), &sh);
    SHARED(in->size, promc_histogram_vec_free, promc_histogram_vec_metric);
    if (in->size)
        in->in_flight = promc_gauge_new(
            reg, o.in_flight_name ? o.in_flight_name : "in_flight_requests",
            "A gauge of requests currently being served by the wrapped handler.", NULL);
    SHARED(in->in_flight, promc_gauge_free, promc_gauge_metric);
    if (!in->in_flight) {
        /* Keep the first failure's record across the cleanup. */
        int code = promc_last_error_code();
        char msg[256];
        snprintf(msg, sizeof msg, "%s", promc_last_error());
        drop(in);
        return promc__fail_null(code, "%s", msg);
    }
    promc__ok();
    return in;
}

int promc_http_instrument_free(promc_http_instrument *inst)
{
    if (inst)
        drop(inst);
    return promc__ok();
}

/* promhttp's sanitizeMethod: the standard methods in lower case, anything
 * else one value, so a client cannot make up label values. */
static const char *method_label(const char *m)
{
    static const char *const known[][2] = {
        {"GET", "get"},       {"PUT", "put"},         {"HEAD", "head"},       {"POST", "post"},
        {"DELETE", "delete"}, {"CONNECT", "connect"}, {"OPTIONS", "options"}, {"NOTIFY", "notify"},
        {"TRACE", "trace"},   {"PATCH", "patch"}};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(m, known[i][0]) == 0 || strcmp(m, known[i][1]) == 0)
            return known[i][1];
    return "unknown";
}

void promc__http_instrument_begin(promc_http_instrument *inst)
{
    if (inst)
        promc_gauge_inc(inst->in_flight);
}

void promc__http_instrument_end(promc_http_instrument *inst, const char *method, int status,
                                size_t body_bytes, double seconds)
{
    if (!inst)
        return;
    char code[12];
    snprintf(code, sizeof code, "%d", status);
    const char *values[] = {code, method_label(method)};
    /* A child refused (its family's limit) is counted by the library in
     * promc_children_refused_total; the request goes uncounted. The
     * counter comes last: once it shows a request, the rest does too. */
    promc_histogram_observe(promc_histogram_vec_labels_n(inst->duration, values, 2), seconds);
    promc_histogram_observe(promc_histogram_vec_labels_n(inst->size, values, 2),
                            (double)body_bytes);
    promc_gauge_dec(inst->in_flight);
    promc_counter_inc(promc_counter_vec_labels_n(inst->requests, values, 2));
}
