/*
 * A scrape: walks a registry's members in registration order into a sink --
 * the built-in families child by child, custom collectors through their
 * callbacks -- then the library's own families (label sets refused by child
 * limits; with a deadline, what each collector took and how often a scrape
 * gave up on it), then finishes the sink. The member list is copied (with
 * references) under the registry's read lock and walked without it, so a
 * collector may create, register and unregister metrics, itself included,
 * while it runs. A collector's failure does not stop the walk: the valid
 * families are all written, and the first error is returned at the end.
 * With a deadline every collector is started before the walk, so that they
 * run side by side on collector threads and the scrape waits for the
 * slowest, not their sum (emitter.c, collection.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "family.h"
#include "gather.h"
#include "internal.h"
#include "registry.h"
#include "thread_state.h"
#include "types.h"

/* The registries this thread is scraping, innermost last: a collector or
 * writer that scrapes the registry it is called for would recurse forever,
 * and nesting is bounded so the family bookkeeping of children.c holds. */
static _Thread_local promc_registry *scraping[PROMC__MAX_NESTED_SCRAPES] PROMC__TLS;
static _Thread_local unsigned nscraping PROMC__TLS;
/* The owner of the callbacks this thread runs (an HTTP server). */
static _Thread_local const void *callback_owner PROMC__TLS;

bool promc__scrape_has(const struct promc__scrape *sc, const struct promc_metric *m)
{
    return promc__members_has(sc->members, m);
}

void promc__scrape_context_get(struct promc__scrape_context *c)
{
    memcpy(c->scraping, scraping, nscraping * sizeof scraping[0]);
    c->nscraping = nscraping;
    c->owner = callback_owner;
}

void promc__scrape_context_swap(struct promc__scrape_context *c)
{
    struct promc__scrape_context old;
    promc__scrape_context_get(&old);
    memcpy(scraping, c->scraping, c->nscraping * sizeof scraping[0]);
    nscraping = c->nscraping;
    callback_owner = c->owner;
    *c = old;
}

const void *promc__callback_owner(void)
{
    return callback_owner;
}

const void *promc__callback_owner_set(const void *owner)
{
    const void *old = callback_owner;
    callback_owner = owner;
    return old;
}

/* ===================================================================== */
/* Name filters                                                           */
/* ===================================================================== */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Orders want against the exposed name base + suffix as strcmp would order
 * want against their concatenation, without building it. */
static int cmp_exposed(const char *want, const char *base, size_t blen, const char *suffix)
{
    int c = strncmp(want, base, blen);
    return c ? c : strcmp(want + blen, suffix);
}

bool promc__scrape_wants(const struct promc__scrape *sc, const struct promc__desc *d)
{
    const struct promc__filter *f = &sc->filter;
    if (!f->active)
        return true;
    const char *suffix = promc__type(d->type)->text_name;
    size_t blen = strlen(d->name);
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_exposed(f->names[mid], d->name, blen, suffix);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* The filter of opts: the names copied (pointers only) and sorted. */
static int filter_init(struct promc__filter *f, const promc_scrape_opts *opts)
{
    *f = (struct promc__filter){0};
    if (!opts || !opts->names)
        return PROMC_OK;
    f->active = true;
    while (opts->names[f->n])
        f->n++;
    if (!f->n)
        return PROMC_OK;
    f->names = promc__calloc(f->n, sizeof *f->names);
    if (!f->names)
        return promc__fail(PROMC_ENOMEM, "out of memory for %zu family names", f->n);
    memcpy(f->names, opts->names, f->n * sizeof *f->names);
    qsort(f->names, f->n, sizeof *f->names, cmp_names);
    return PROMC_OK;
}

/* ===================================================================== */
/* Walking the registry                                                   */
/* ===================================================================== */

int promc__scrape_fail(struct promc__scrape *sc, int code)
{
    if (sc->error == PROMC_OK) {
        sc->error = code;
        snprintf(sc->message, sizeof sc->message, "%s", promc_last_error());
    }
    return code;
}

/* promc_children_refused_total{metric}: one series per member with a child
 * limit. Its names are reserved in every registry (registry.c). */
static void collect_refusals(const struct promc__scrape *sc, struct promc__sink *s)
{
    struct promc_metric **items = sc->items;
    size_t n = sc->nitems;
    static const struct promc__desc desc = {
        PROMC__REFUSED_FAMILY, "Label sets refused because the metric reached its child limit.",
        NULL, PROMC_COUNTER};
    static const char *const names[] = {"metric"};
    if (!promc__scrape_wants(sc, &desc))
        return;
    bool header = false;
    for (size_t i = 0; i < n && !s->error; i++) {
        struct promc_metric *m = items[i];
        if (!m->max_children || !m->nlabels) /* the limit is for labelled families */
            continue;
        if (!header) {
            promc__sink_family(s, &desc);
            header = true;
        }
        /* The name as given, escaped as a label value: a UTF-8 name may
         * hold a quote or a backslash. */
        size_t len = promc__escaped_len(m->desc.name, true) + sizeof "metric=\"\"" - 1;
        char small[256];
        char *rendered = len < sizeof small ? small : promc__malloc(len + 1);
        if (!rendered) {
            s->error = PROMC_ENOMEM;
            break;
        }
        char *p = rendered;
        memcpy(p, "metric=\"", 8);
        p += 8;
        p += promc__escape(p, m->desc.name, true);
        memcpy(p, "\"", 2);
        const char *values[] = {m->desc.name};
        struct promc__labels ls = {rendered, len, 1, names, values, false};
        struct promc__series x = {
            .labels = &ls,
            .value = promc__vu(atomic_load_explicit(&m->refused, memory_order_relaxed))};
        promc__sink_series(s, &x);
        if (rendered != small)
            promc__free(rendered);
    }
}

/* One series of a promc_collector_* family: {collector="<name>"}. */
static void collector_series(struct promc__sink *s, const char *name, struct promc__value v)
{
    static const char *const names[] = {"collector"};
    size_t len = sizeof "collector=\"\"" - 1 + promc__escaped_len(name, true);
    char small[256];
    char *rendered = len < sizeof small ? small : promc__malloc(len + 1);
    if (!rendered) {
        s->error = PROMC_ENOMEM;
        return;
    }
    char *p = rendered;
    memcpy(p, "collector=\"", 11);
    p += 11;
    p += promc__escape(p, name, true);
    *p++ = '"';
    *p = '\0';
    const char *values[] = {name};
    struct promc__labels ls = {rendered, len, 1, names, values, false};
    struct promc__series x = {.labels = &ls, .value = v};
    promc__sink_series(s, &x);
    if (rendered != small)
        promc__free(rendered);
}

/* promc_collector_duration_seconds{collector} and
 * promc_collector_timeouts_total{collector}: how long each custom collector
 * of the scrape took last time, and how often a scrape gave up waiting for
 * it. Written by scrapes with a deadline, the only ones that can give up;
 * their names are reserved in every registry (registry.c). */
static void collect_collector_stats(const struct promc__scrape *sc, struct promc__sink *s)
{
    static const struct promc__desc duration = {
        PROMC__COLLECTOR_DURATION_FAMILY,
        "Seconds the last complete collection of each custom collector took.", "seconds",
        PROMC_GAUGE};
    static const struct promc__desc timeouts = {
        PROMC__COLLECTOR_TIMEOUTS_FAMILY,
        "Scrapes that answered without waiting for a custom collector still running at their "
        "deadline.",
        NULL, PROMC_COUNTER};
    for (int pass = 0; pass < 2; pass++) {
        const struct promc__desc *d = pass ? &timeouts : &duration;
        if (!promc__scrape_wants(sc, d))
            continue;
        bool header = false;
        for (size_t i = 0; i < sc->nitems && !s->error; i++) {
            struct promc_metric *m = sc->items[i];
            if (!m->ops->stats)
                continue;
            struct promc__collector_stats st;
            m->ops->stats(m, &st);
            if (!pass && isnan(st.duration)) /* never completed: nothing to say */
                continue;
            if (!header) {
                promc__sink_family(s, d);
                header = true;
            }
            collector_series(s, m->desc.name,
                             pass ? promc__vu(st.timeouts) : promc__vd(st.duration));
        }
    }
}

/* The monotonic deadline of a scrape given timeout seconds from now; 0 for
 * none (0, negative, NaN, infinite). Beyond a year is no deadline either:
 * the nanoseconds would not fit. */
static int64_t deadline_of(const promc_scrape_opts *opts)
{
    double t = opts ? opts->timeout : 0;
    if (!(t > 0) || !(t < 365.0 * 86400))
        return 0;
    int64_t d = promc__mono_ns() + (int64_t)(t * 1e9);
    return d ? d : 1;
}

static int walk(promc_registry *reg, struct promc__sink *sink, const promc_scrape_opts *opts)
{
    sink->created = atomic_load(&reg->created) != 0;
    struct promc__scrape sc = {.reg = reg, .sink = sink, .deadline_ns = deadline_of(opts)};
    if (filter_init(&sc.filter, opts) != PROMC_OK)
        return PROMC_ENOMEM;
    sc.members = promc__registry_members(reg);
    void **started = NULL;
    if (sc.members && sc.deadline_ns)
        started = promc__calloc(sc.members->n ? sc.members->n : 1, sizeof *started);
    if (!sc.members || (sc.deadline_ns && !started)) {
        promc__members_unref(sc.members);
        promc__free(sc.filter.names);
        return promc__fail(PROMC_ENOMEM, "out of memory starting a scrape");
    }
    sc.items = sc.members->items;
    sc.nitems = sc.members->n;
    size_t n = sc.nitems;
    for (size_t i = 0; started && i < n; i++)
        if (sc.items[i]->ops->start)
            started[i] = sc.items[i]->ops->start(sc.items[i], &sc);
    for (size_t i = 0; i < n && !sink->error; i++) {
        struct promc_metric *m = sc.items[i];
        if (m->ops->collect) {
            m->ops->collect(m, &sc, started ? started[i] : NULL);
            if (started)
                started[i] = NULL;
        } else if (!m->ops->mp_shared && promc__scrape_wants(&sc, &m->desc)) {
            /* A shared family's values are in the multi-process files:
             * the multi-process collector serves them, once. */
            promc__family_collect(m, sink);
        }
    }
    for (size_t i = 0; started && i < n; i++) /* the walk stopped early */
        if (started[i])
            sc.items[i]->ops->abandon(sc.items[i], started[i]);
    promc__free(started);
    collect_refusals(&sc, sink);
    if (sc.deadline_ns)
        collect_collector_stats(&sc, sink);
    promc__members_unref(sc.members);
    promc__free_strings(sc.seen, sc.nseen);
    promc__free(sc.filter.names);
    int rc = sink->ops->finish(sink);
    if (rc == PROMC_EIO)
        return promc__fail(rc, "exposition aborted by the writer");
    if (rc != PROMC_OK)
        return promc__fail(rc, "exposition failed: %s", promc_strerror(rc));
    if (sc.error != PROMC_OK)
        return promc__fail(sc.error, "%s", sc.message);
    return promc__ok();
}

int promc__gather(promc_registry *reg, struct promc__sink *sink, const promc_scrape_opts *opts)
{
    for (unsigned i = 0; i < nscraping; i++)
        if (scraping[i] == reg)
            return promc__fail(PROMC_ESTATE, "a registry cannot be scraped from inside its own "
                                             "scrape (a collector or writer called back into it)");
    if (nscraping == PROMC__MAX_NESTED_SCRAPES)
        return promc__fail(PROMC_ESTATE, "scrapes nested more than %d deep",
                           PROMC__MAX_NESTED_SCRAPES);
    /* The registry outlives the scrape even if its owner frees it meanwhile. */
    promc__registry_ref(reg);
    scraping[nscraping++] = reg;
    int rc = walk(reg, sink, opts);
    nscraping--;
    promc__registry_unref(reg);
    return rc;
}
