/*
 * promc's side of the native-histogram oracle (tests/integration/
 * native_vs_go.sh): reads the same input as native_go/main.go, observes it
 * with promc and prints every scrape as the same JSON object a line. A scrape
 * goes through a sink of this program's own that prints the structured
 * series promc__histogram_data (with its native part) the library hands to
 * every sink; the last one of a case also prints the text exposition. When
 * the library has the protobuf format, every scrape also carries the bytes a
 * protobuf scrape of the same series writes ("pb", hex), which the compare
 * script decodes with python3-protobuf and checks like the rest.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "children.h"
#include "metric.h"
#include "promc.h"
#include "sink.h"

static const char *num(double x, char buf[40])
{
    if (isnan(x))
        return "NaN";
    if (isinf(x))
        return x > 0 ? "Infinity" : "-Infinity";
    snprintf(buf, 40, "%.17g", x);
    return buf;
}

struct dump_sink {
    struct promc__sink base;
    const char *name;
    int idx;
};

static void family(struct promc__sink *s, const struct promc__desc *d)
{
    (void)s;
    (void)d;
}

static void spans(const char *what, const struct promc__span *sp, size_t n, const int64_t *d,
                  size_t nd)
{
    printf(",\"%s_spans\":[", what);
    for (size_t i = 0; i < n; i++)
        printf("%s[%d,%u]", i ? "," : "", (int)sp[i].offset, (unsigned)sp[i].length);
    printf("],\"%s_deltas\":[", what);
    for (size_t i = 0; i < nd; i++)
        printf("%s%lld", i ? "," : "", (long long)d[i]);
    printf("]");
}

static void series(struct promc__sink *s, const struct promc__series *x)
{
    struct dump_sink *ds = (struct dump_sink *)s;
    const struct promc__histogram_data *h = x->hist;
    char b1[40], b2[40];
    printf("{\"case\":\"%s\",\"scrape\":%d,\"count\":%llu,\"sum\":%s,\"buckets\":[", ds->name,
           ds->idx, (unsigned long long)h->count, num(h->sum, b1));
    for (size_t i = 0; i < h->nbounds; i++)
        printf("%s[%s,%llu]", i ? "," : "", num(h->bounds[i], b1),
               (unsigned long long)h->cumulative[i]);
    printf("]");
    const struct promc__native_data *n = h->native;
    if (n) {
        printf(",\"native\":true,\"schema\":%d,\"zero_threshold\":%s,\"zero_count\":%llu",
               (int)n->schema, num(n->zero_threshold, b2), (unsigned long long)n->zero_count);
        spans("pos", n->pos_spans, n->npos_spans, n->pos_deltas, n->npos);
        spans("neg", n->neg_spans, n->nneg_spans, n->neg_deltas, n->nneg);
        if (n->nexemplars || n->exemplars)
            fprintf(stderr, "native_dump: unexpected exemplars\n"), exit(1);
    }
}

static int finish(struct promc__sink *s)
{
    return s->error;
}

static const struct promc__sink_ops dump_ops = {family, series, finish};

/* The protobuf exposition of h alone, as hex, or nothing when the library
 * has no protobuf format. */
static void protobuf(promc_histogram *h)
{
#ifdef PROMC_CONTENT_TYPE_PROTOBUF
    promc_registry *reg = promc_registry_new();
    if (promc_registry_register(reg, promc_histogram_metric(h)) != PROMC_OK)
        fprintf(stderr, "native_dump: %s\n", promc_last_error()), exit(1);
    size_t len = 0;
    char *pb = promc_encode_buffer(reg, PROMC_FORMAT_PROTOBUF, &len);
    if (!pb)
        fprintf(stderr, "native_dump: %s\n", promc_last_error()), exit(1);
    printf(",\"pb\":\"");
    for (size_t i = 0; i < len; i++)
        printf("%02x", (unsigned char)pb[i]);
    printf("\"");
    promc_free(pb);
    promc_registry_free(reg);
#else
    (void)h;
#endif
}

static void scrape(promc_histogram *h, const char *name, int idx)
{
    struct promc_metric *m = (struct promc_metric *)promc_histogram_metric(h);
    struct promc__child *c = (struct promc__child *)h;
    struct dump_sink s = {.base = {.ops = &dump_ops, .desc = &m->desc}, .name = name, .idx = idx};
    char body[256];
    if (promc__child_labels_size(c) > sizeof body)
        fprintf(stderr, "native_dump: labels too long\n"), exit(1);
    struct promc__labels ls = promc__child_labels(c, body);
    m->ops->child_series(m, c, &s.base, &ls);
    if (s.base.error)
        fprintf(stderr, "native_dump: scrape failed: %s\n", promc_last_error()), exit(1);
    protobuf(h);
    printf("}\n");
}

static void text(promc_histogram *h, const char *name)
{
    promc_registry *reg = promc_registry_new();
    if (promc_registry_register(reg, promc_histogram_metric(h)) != PROMC_OK)
        fprintf(stderr, "native_dump: %s\n", promc_last_error()), exit(1);
    char *t = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, NULL);
    if (!t)
        fprintf(stderr, "native_dump: %s\n", promc_last_error()), exit(1);
    printf("{\"case\":\"%s\",\"text\":\"", name);
    for (const char *p = t; *p; p++) {
        if (*p == '\n')
            printf("\\n");
        else if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else
            putchar(*p);
    }
    printf("\"}\n");
    promc_free(t);
    promc_registry_free(reg);
}

int main(void)
{
    char line[1 << 16], name[256] = "";
    promc_histogram *h = NULL;
    double *bounds = NULL;
    int idx = 0;
    while (fgets(line, sizeof line, stdin)) {
        if (strncmp(line, "case ", 5) == 0) {
            if (h)
                promc_histogram_free(h);
            free(bounds);
            bounds = NULL;
            promc_histogram_opts o = {0};
            char bucket_list[1 << 14];
            double maxb;
            if (sscanf(line, "case %255s %lf %lf %lf %lf %lf %16383s", name,
                       &o.native_bucket_factor, &o.native_zero_threshold, &maxb,
                       &o.native_min_reset_seconds, &o.native_max_zero_threshold, bucket_list) != 7)
                fprintf(stderr, "native_dump: bad line %s", line), exit(1);
            o.native_max_buckets = (uint32_t)maxb;
            if (strcmp(bucket_list, "-") != 0) {
                bounds = calloc(strlen(bucket_list), sizeof *bounds);
                size_t n = 0;
                for (char *tok = strtok(bucket_list, ","); tok; tok = strtok(NULL, ","))
                    bounds[n++] = strtod(tok, NULL);
                o.buckets = bounds;
                o.nbuckets = n;
            }
            h = promc_histogram_new(PROMC_NO_REGISTRY, "h", "H.", &o);
            if (!h)
                fprintf(stderr, "native_dump: %s\n", promc_last_error()), exit(1);
            idx = 0;
        } else if (strncmp(line, "scrape", 6) == 0) {
            scrape(h, name, idx++);
        } else if (strncmp(line, "end", 3) == 0) {
            scrape(h, name, idx++);
            text(h, name);
        } else if (line[0] != '\n') {
            promc_histogram_observe(h, strtod(line, NULL));
        }
    }
    if (h)
        promc_histogram_free(h);
    free(bounds);
    return 0;
}
