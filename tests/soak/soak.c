/*
 * The soak (make soak SOAK_SECONDS=N; not part of make test): everything the
 * library does at once, for a long time, checking as it goes. Two threads
 * churn children (look up, count, remove, clear) of a counter, a histogram
 * and a summary family; one thread updates every unlabelled type; one
 * creates, registers, scrapes and frees a family every few milliseconds; a
 * collector emits on every scrape; two threads scrape at full speed, in both
 * formats, and check every exposition (grammar, one description per family,
 * histogram buckets cumulative with +Inf equal to _count). Removed children
 * are reclaimed while the churners are parked. It fails on the first invalid
 * exposition, and when the resident memory keeps growing after the warm-up.
 *
 *   soak SECONDS
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "promc.h"

static promc_registry *reg;
static promc_counter_vec *churn_counter;
static promc_histogram_vec *churn_hist;
static promc_summary_vec *churn_summary;
static atomic_bool stop;
static atomic_int parked, park_wanted;
static atomic_ulong scrapes, churn_ops, families_made;

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "soak: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* ------------------------------------------------------------------ */
/* Checking an exposition                                              */
/* ------------------------------------------------------------------ */

struct check {
    char family[128];
    char type[32];
    char seen[1024][128]; /* family names described so far */
    int nseen;
    double last_bucket; /* cumulative count of the previous bucket line of the series */
    char series[512];   /* the label set of the bucket lines being read */
    double inf_count;
    bool have_inf;
};

static bool valid_name(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                  (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return n > 0;
}

/* Parses `{a="x",b="y"}` at *p (escapes \\ \" \n only); copies the label
 * set without le into series. */
static bool parse_labels(const char **p, char *series, size_t cap)
{
    const char *s = *p;
    size_t out = 0;
    series[0] = '\0';
    if (*s != '{')
        return true;
    s++;
    while (*s != '}') {
        const char *name = s;
        while (*s && *s != '=')
            s++;
        if (*s != '=' || !valid_name(name, (size_t)(s - name)) || s[1] != '"')
            return false;
        bool le = s - name == 2 && strncmp(name, "le", 2) == 0;
        const char *start = name;
        s += 2;
        while (*s && *s != '"') {
            if (*s == '\\') {
                if (s[1] != '\\' && s[1] != '"' && s[1] != 'n')
                    return false;
                s++;
            }
            s++;
        }
        if (*s != '"')
            return false;
        s++;
        if (!le) {
            size_t n = (size_t)(s - start);
            if (out + n + 1 >= cap)
                return false;
            memcpy(series + out, start, n);
            out += n;
            series[out++] = ',';
            series[out] = '\0';
        }
        if (*s == ',')
            s++;
        else if (*s != '}')
            return false;
    }
    *p = s + 1;
    return true;
}

static const char *check_exposition(struct check *c, const char *text, bool om)
{
    memset(c, 0, sizeof *c);
    bool eof = false;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            return "no newline at the end";
        if (eof)
            return "data after # EOF";
        if (line[0] == '#') {
            char kind[8], name[128];
            if (strncmp(line, "# EOF\n", 6) == 0 && om) {
                eof = true;
                line = end + 1;
                continue;
            }
            if (sscanf(line, "# %7s %127s", kind, name) != 2 ||
                (strcmp(kind, "HELP") && strcmp(kind, "TYPE") && strcmp(kind, "UNIT")))
                return "bad comment line";
            if (strcmp(name, c->family) != 0) {
                for (int i = 0; i < c->nseen; i++)
                    if (strcmp(c->seen[i], name) == 0)
                        return "a family described twice";
                if (c->nseen == 1024)
                    return "too many families for the checker";
                snprintf(c->seen[c->nseen++], sizeof c->seen[0], "%s", name);
                snprintf(c->family, sizeof c->family, "%s", name);
                c->type[0] = '\0';
                c->have_inf = false;
            }
            if (strcmp(kind, "TYPE") == 0 && sscanf(line, "# TYPE %*s %31s", c->type) != 1)
                return "TYPE without a type";
            line = end + 1;
            continue;
        }
        const char *p = line;
        while (p < end && *p != '{' && *p != ' ')
            p++;
        size_t nlen = (size_t)(p - line);
        if (!valid_name(line, nlen) || strncmp(line, c->family, strlen(c->family)) != 0)
            return "a sample outside its family";
        char series[512];
        if (!parse_labels(&p, series, sizeof series) || *p != ' ')
            return "bad labels";
        char *vend;
        double v = strtod(p + 1, &vend);
        if (vend == p + 1 || (*vend != '\n' && *vend != ' '))
            return "bad value";
        bool bucket = nlen > 7 && strncmp(line + nlen - 7, "_bucket", 7) == 0;
        bool count = nlen > 6 && strncmp(line + nlen - 6, "_count", 6) == 0;
        if (strcmp(c->type, "histogram") == 0 && bucket) {
            if (strcmp(series, c->series) != 0) {
                snprintf(c->series, sizeof c->series, "%s", series);
                c->last_bucket = 0;
            }
            if (v < c->last_bucket)
                return "histogram buckets not cumulative";
            c->last_bucket = v;
            c->inf_count = v; /* the last bucket of a series is +Inf */
            c->have_inf = strstr(line, "le=\"+Inf\"") != NULL;
        } else if (strcmp(c->type, "histogram") == 0 && count && c->have_inf) {
            if (v != c->inf_count)
                return "histogram _count differs from its +Inf bucket";
        }
        line = end + 1;
    }
    if (om && !eof)
        return "no # EOF";
    return NULL;
}

/* ------------------------------------------------------------------ */
/* The threads                                                          */
/* ------------------------------------------------------------------ */

/* Churners stop between operations while removed children are reclaimed:
 * reclaiming needs that no thread holds a handle to a removed child. */
static void maybe_park(void)
{
    if (!atomic_load(&park_wanted))
        return;
    atomic_fetch_add(&parked, 1);
    while (atomic_load(&park_wanted) && !atomic_load(&stop))
        sched_yield();
    atomic_fetch_sub(&parked, 1);
}

static void *churn(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg * 0x9E3779B97F4A7C15u + 1;
    char id[16];
    while (!atomic_load(&stop)) {
        maybe_park();
        uint64_t r = next_random(&seed);
        snprintf(id, sizeof id, "id%u", (unsigned)(r % 500));
        switch ((r >> 16) % 16) {
        case 0:
            promc_counter_vec_remove(churn_counter, id);
            promc_histogram_vec_remove(churn_hist, id);
            break;
        case 1:
            snprintf(id, sizeof id, "id%u", (unsigned)(r % 40));
            if ((r >> 20) % 64 == 0)
                promc_summary_vec_clear(churn_summary);
            else
                promc_summary_vec_remove(churn_summary, id);
            break;
        default:
            promc_counter_inc(promc_counter_vec_labels(churn_counter, id));
            promc_histogram_observe(promc_histogram_vec_labels(churn_hist, id),
                                    (double)(r % 10000) / 1000);
            /* Summary children with objectives hold ~80 KB of quantile
             * streams each: fewer of them, so they do not dominate. */
            snprintf(id, sizeof id, "id%u", (unsigned)(r % 40));
            promc_summary_observe(promc_summary_vec_labels(churn_summary, id), (double)(r % 100));
        }
        atomic_fetch_add(&churn_ops, 1);
    }
    return NULL;
}

static void *update_all_types(void *arg)
{
    (void)arg;
    static const promc_objective obj[] = {{0.5, 0.05}, {0.99, 0.001}};
    promc_counter *c = promc_counter_new(reg, "soak_ops", "Ops.", NULL);
    promc_gauge *g = promc_gauge_new(reg, "soak_level", "Level.", NULL);
    promc_histogram *h = promc_histogram_new(reg, "soak_latency_seconds", "Latency.", NULL);
    promc_summary *s =
        promc_summary_new(reg, "soak_size_bytes", "Size.",
                          &(promc_summary_opts){.objectives = obj, .nobjectives = 2});
    promc_enum *e =
        promc_enum_new(reg, "soak_state", "State.", (const char *const[]){"a", "b", NULL}, NULL);
    promc_info *i = promc_info_new(reg, "soak_build", "Build.",
                                   (promc_label[]){{"version", PROMC_VERSION_STRING}}, 1, NULL);
    if (!c || !g || !h || !s || !e || !i)
        die("creating the unlabelled metrics", promc_last_error());
    uint64_t seed = 42;
    while (!atomic_load(&stop)) {
        uint64_t r = next_random(&seed);
        promc_counter_inc(c);
        promc_counter_add(c, 0.5);
        promc_gauge_set(g, (double)(r % 1000) - 500);
        promc_histogram_observe(h, (double)(r % 100000) / 10000);
        promc_summary_observe(s, (double)(r % 4096));
        promc_enum_set_index(e, r & 1);
    }
    promc_counter_free(c);
    promc_gauge_free(g);
    promc_histogram_free(h);
    promc_summary_free(s);
    promc_enum_free(e);
    promc_info_free(i);
    return NULL;
}

static void *family_lifecycle(void *arg)
{
    (void)arg;
    unsigned n = 0;
    char name[64];
    while (!atomic_load(&stop)) {
        snprintf(name, sizeof name, "soak_short_lived_%u", n++ % 8);
        promc_gauge_vec *v =
            promc_gauge_vec_new(reg, name, "Short-lived.", (const char *const[]){"k", NULL}, NULL);
        if (!v) /* the previous one of that name may still be held by a scrape: fine */
            continue;
        promc_gauge_set(promc_gauge_vec_labels(v, "x"), n);
        promc_registry_unregister(reg, promc_gauge_vec_metric(v));
        promc_gauge_vec_free(v);
        atomic_fetch_add(&families_made, 1);
        nanosleep(&(struct timespec){0, 2000000}, NULL);
    }
    return NULL;
}

static int collect(promc_emitter *e, void *ud)
{
    (void)ud;
    static const double bounds[] = {0.1, 1};
    static const uint64_t cumulative[] = {3, 5};
    promc_label l[] = {{"queue", "a \"quoted\" \\ name\n"}};
    int rc = promc_emit_family(e, "soak_collected", "Collected.", PROMC_GAUGE, NULL);
    if (rc == PROMC_OK)
        rc = promc_emit_sample(e, l, 1, 7);
    if (rc == PROMC_OK)
        rc = promc_emit_family(e, "soak_collected_seconds", "Collected.", PROMC_HISTOGRAM, NULL);
    if (rc == PROMC_OK)
        rc = promc_emit_histogram(e, l, 1, bounds, cumulative, 2, 9, 4.5);
    return rc;
}

static void *scrape(void *arg)
{
    bool om = (uintptr_t)arg & 1;
    struct check *check = malloc(sizeof *check);
    if (!check)
        die("out of memory", NULL);
    while (!atomic_load(&stop)) {
        char *text =
            promc_encode_buffer(reg, om ? PROMC_FORMAT_OPENMETRICS : PROMC_FORMAT_TEXT, NULL);
        if (!text)
            die("scrape failed", promc_last_error());
        const char *why = check_exposition(check, text, om);
        if (why) {
            fprintf(stderr, "%s\n", text);
            die(om ? "invalid OpenMetrics exposition" : "invalid text exposition", why);
        }
        promc_free(text);
        atomic_fetch_add(&scrapes, 1);
    }
    free(check);
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 60;
    if (!(seconds > 0))
        die("usage: soak SECONDS", NULL);
    reg = promc_registry_new();
    churn_counter =
        promc_counter_vec_new(reg, "soak_churn", "Churn.", (const char *const[]){"id", NULL}, NULL);
    churn_hist = promc_histogram_vec_new(reg, "soak_churn_seconds", "Churn.",
                                         (const char *const[]){"id", NULL}, NULL);
    static const promc_objective obj[] = {{0.9, 0.01}};
    churn_summary =
        promc_summary_vec_new(reg, "soak_churn_bytes", "Churn.", (const char *const[]){"id", NULL},
                              &(promc_summary_opts){.objectives = obj, .nobjectives = 1});
    promc_metric *col = promc_collector_new(reg, collect, NULL, NULL, NULL);
    if (!reg || !churn_counter || !churn_hist || !churn_summary || !col)
        die("setting up", promc_last_error());

    pthread_t t[7];
    pthread_create(&t[0], NULL, churn, (void *)1);
    pthread_create(&t[1], NULL, churn, (void *)2);
    pthread_create(&t[2], NULL, update_all_types, NULL);
    pthread_create(&t[3], NULL, family_lifecycle, NULL);
    pthread_create(&t[4], NULL, scrape, (void *)0);
    pthread_create(&t[5], NULL, scrape, (void *)1);

    /* Memory: the warm-up is the first fifth (at least 2 s); after it, the
     * resident size may not keep growing: the last samples must stay
     * within 10% (and 8 MiB) of the highest seen early after warm-up. */
    double start = now(), warm = seconds / 5 < 2 ? 2 : seconds / 5;
    long baseline = -1, last = 0;
    int reclaims = 0;
    while (now() - start < seconds) {
        nanosleep(&(struct timespec){0, 250000000}, NULL);
        /* Park the churners and reclaim what they removed. */
        atomic_store(&park_wanted, 1);
        while (atomic_load(&parked) < 2)
            sched_yield();
        promc_metric_reclaim_removed(promc_counter_vec_metric(churn_counter));
        promc_metric_reclaim_removed(promc_histogram_vec_metric(churn_hist));
        promc_metric_reclaim_removed(promc_summary_vec_metric(churn_summary));
        reclaims++;
        atomic_store(&park_wanted, 0);
        last = rss_kib();
        double t_now = now() - start;
        if (getenv("SOAK_VERBOSE") && reclaims % 20 == 0)
            printf("soak: %.0f s, RSS %ld KiB, %lu scrapes\n", t_now, last, atomic_load(&scrapes));
        if (t_now >= warm && t_now < warm + (seconds - warm) / 2 && last > baseline)
            baseline = last;
    }
    atomic_store(&stop, true);
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    printf("soak: %.0f s, %lu scrapes checked, %lu churn operations, %lu short-lived families, "
           "%d reclaims; RSS %ld KiB after warm-up, %ld KiB at the end\n",
           seconds, atomic_load(&scrapes), atomic_load(&churn_ops), atomic_load(&families_made),
           reclaims, baseline, last);
    if (baseline > 0 && last > baseline + baseline / 10 && last > baseline + 8192)
        die("resident memory kept growing after the warm-up", NULL);
    promc_metric_free(col);
    promc_counter_vec_free(churn_counter);
    promc_histogram_vec_free(churn_hist);
    promc_summary_vec_free(churn_summary);
    promc_registry_free(reg);
    return 0;
}
