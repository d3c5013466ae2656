/*
 * The text format 0.0.4 read back, for the test checks (promc_testutil.h):
 * a whole exposition into families and samples. It follows client_golang's
 * expfmt.TextParser, which promtool lints with: blanks before a line and
 * around its parts are skipped, "# HELP" and "# TYPE" name a family (each
 * once, TYPE before the family's samples), other comments are ignored, and
 * a sample belongs to the family of its name -- or, for a histogram's
 * _bucket, _sum and _count and a summary's _sum and _count, to that
 * histogram or summary. Numbers are read in the C locale, whatever the
 * process's is. Names are the legacy grammars only; the quoted UTF-8 syntax
 * is refused like any other line that does not parse, with its number.
 */
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format_number.h"
#include "internal.h"
#include "registry.h"
#include "text_parse.h"

/* ===================================================================== */
/* Arena: every string and label array of one parse, freed at once        */
/* ===================================================================== */

struct promc__tp_arena {
    struct promc__tp_arena *next;
    size_t used, cap;
    _Alignas(max_align_t) char data[];
};

static void *arena_alloc(struct promc__text *t, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct promc__tp_arena *a = t->arena;
    if (!a || a->cap - a->used < n) {
        size_t cap = n > 8192 ? n : 8192;
        a = promc__malloc(sizeof *a + cap);
        if (!a)
            return NULL;
        a->next = t->arena;
        a->used = 0;
        a->cap = cap;
        t->arena = a;
    }
    void *p = a->data + a->used;
    a->used += n;
    return p;
}

void *promc__tp_alloc(struct promc__text *t, size_t n)
{
    return arena_alloc(t, n);
}

void promc__text_free(struct promc__text *t)
{
    while (t->arena) {
        struct promc__tp_arena *next = t->arena->next;
        promc__free(t->arena);
        t->arena = next;
    }
    promc__free(t->families);
    promc__free(t->samples);
    memset(t, 0, sizeof *t);
}

/* ===================================================================== */
/* Lexing one line                                                        */
/* ===================================================================== */

struct line {
    const char *p, *end; /* the rest of the line, without its '\n' */
    size_t number;
    const char *what;
    struct promc__text *t;
    struct promc__buf scratch; /* unescaping */
};

static int bad(const struct line *l, const char *why)
{
    return promc__fail(PROMC_EINVAL, "%s line %zu: %s", l->what, l->number, why);
}

static int oom(void)
{
    return promc__fail(PROMC_ENOMEM, "out of memory parsing an exposition");
}

static void skip_blanks(struct line *l)
{
    while (l->p < l->end && (*l->p == ' ' || *l->p == '\t'))
        l->p++;
}

static bool name_char(char c, bool first, bool metric)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
        return true;
    if (c == ':' && metric)
        return true;
    return !first && c >= '0' && c <= '9';
}

/* A copy of the name at l->p (legacy grammar), or NULL: *rc says why. */
static const char *take_name(struct line *l, bool metric, int *rc)
{
    const char *s = l->p;
    while (l->p < l->end && name_char(*l->p, l->p == s, metric))
        l->p++;
    if (l->p == s) {
        *rc = bad(l, metric ? "expected a metric name" : "expected a label name");
        return NULL;
    }
    char *out = arena_alloc(l->t, (size_t)(l->p - s) + 1);
    if (!out) {
        *rc = oom();
        return NULL;
    }
    memcpy(out, s, (size_t)(l->p - s));
    out[l->p - s] = '\0';
    return out;
}

/* The token up to the next blank or the end of the line. */
static size_t token(struct line *l, const char **start)
{
    *start = l->p;
    while (l->p < l->end && *l->p != ' ' && *l->p != '\t')
        l->p++;
    return (size_t)(l->p - *start);
}

/* Unescapes up to the closing quote (label values: \\ \" \n) or the end of
 * the line (HELP: \\ \n), into an arena copy. */
static const char *take_escaped(struct line *l, bool quoted, int *rc)
{
    promc__buf_reset(&l->scratch);
    promc__buf_put(&l->scratch, "", 0);
    for (;;) {
        if (l->p == l->end) {
            if (!quoted)
                break;
            *rc = bad(l, "label value without its closing quote");
            return NULL;
        }
        char c = *l->p++;
        if (quoted && c == '"')
            break;
        if (c == '\\') {
            char e = l->p < l->end ? *l->p++ : '\0';
            if (e == 'n')
                c = '\n';
            else if (e == '\\' || (quoted && e == '"'))
                c = e;
            else {
                *rc = bad(l, quoted ? "invalid escape in a label value (\\\\, \\\" and \\n only)"
                                    : "invalid escape in HELP (\\\\ and \\n only)");
                return NULL;
            }
        }
        promc__buf_put(&l->scratch, &c, 1);
    }
    char *out = l->scratch.oom ? NULL : arena_alloc(l->t, l->scratch.len + 1);
    if (!out) {
        *rc = oom();
        return NULL;
    }
    memcpy(out, l->scratch.p, l->scratch.len + 1);
    return out;
}

/* A float as strconv.ParseFloat reads it, in the C locale: the parse
 * switches the calling thread to it (uselocale is per thread: no other
 * thread sees the switch) and back when done. */
static bool parse_float(const char *s, size_t n, double *out)
{
    char small[128], *buf = n < sizeof small ? small : promc__malloc(n + 1);
    if (n == 0 || !buf || memchr(s, '(', n)) {
        if (buf != small)
            promc__free(buf);
        return false;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    /* Go reads overflow as +-Inf with an error; underflow to 0 is fine. */
    bool ok = end == buf + n && !(errno == ERANGE && (v > 1 || v < -1));
    if (buf != small)
        promc__free(buf);
    if (ok)
        *out = v;
    return ok;
}

static bool parse_int64(const char *s, size_t n, int64_t *out)
{
    size_t i = (n > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (i == n)
        return false;
    uint64_t v = 0, limit = s[0] == '-' ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = s[0] == '-' ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    return true;
}

/* ===================================================================== */
/* Families                                                               */
/* ===================================================================== */

static struct promc__tp_family *find_family(struct promc__text *t, const char *name, size_t len)
{
    /* Backwards: a sample's family is nearly always the latest one. */
    for (size_t i = t->nfamilies; i-- > 0;)
        if (strncmp(t->families[i].name, name, len) == 0 && t->families[i].name[len] == '\0')
            return &t->families[i];
    return NULL;
}

static struct promc__tp_family *new_family(struct line *l, const char *name, int *rc)
{
    struct promc__text *t = l->t;
    if (t->nfamilies == t->fcap) {
        size_t cap = t->fcap ? t->fcap * 2 : 16;
        void *p = promc__realloc(t->families, cap * sizeof *t->families);
        if (!p) {
            *rc = oom();
            return NULL;
        }
        t->families = p;
        t->fcap = cap;
    }
    struct promc__tp_family *f = &t->families[t->nfamilies++];
    *f = (struct promc__tp_family){.name = name, .type = PROMC_UNTYPED, .line = l->number};
    return f;
}

static bool ends_with(const char *s, size_t n, const char *suffix, size_t *base)
{
    size_t k = strlen(suffix);
    if (n <= k || memcmp(s + n - k, suffix, k) != 0)
        return false;
    *base = n - k;
    return true;
}

/* The family a sample named `name` belongs to, as expfmt's
 * setOrCreateCurrentMF decides it; created when there is none. */
static struct promc__tp_family *sample_family(struct line *l, const char *name, int *rc)
{
    size_t n = strlen(name), base;
    struct promc__tp_family *f = find_family(l->t, name, n);
    if (f)
        return f;
    if ((ends_with(name, n, "_sum", &base) || ends_with(name, n, "_count", &base)) &&
        (f = find_family(l->t, name, base)) && f->type == PROMC_SUMMARY)
        return f;
    if ((ends_with(name, n, "_sum", &base) || ends_with(name, n, "_count", &base) ||
         ends_with(name, n, "_bucket", &base)) &&
        (f = find_family(l->t, name, base)) && f->type == PROMC_HISTOGRAM)
        return f;
    return new_family(l, name, rc);
}

bool promc__tp_is_bucket(const struct promc__text *t, const struct promc__tp_sample *s)
{
    const struct promc__tp_family *f = &t->families[s->family];
    size_t n = strlen(f->name);
    if (f->type == PROMC_HISTOGRAM)
        return strncmp(s->name, f->name, n) == 0 && strcmp(s->name + n, "_bucket") == 0;
    return f->type == PROMC_SUMMARY && strcmp(s->name, f->name) == 0;
}

const char *promc__tp_label_value(const struct promc__tp_sample *s, const char *name)
{
    for (size_t i = 0; i < s->nlabels; i++)
        if (strcmp(s->labels[i].name, name) == 0)
            return s->labels[i].value;
    return NULL;
}

/* ===================================================================== */
/* Lines                                                                  */
/* ===================================================================== */

static int comment(struct line *l)
{
    l->p++; /* '#' */
    skip_blanks(l);
    const char *kw;
    size_t n = token(l, &kw);
    bool help = n == 4 && memcmp(kw, "HELP", 4) == 0;
    if (!help && !(n == 4 && memcmp(kw, "TYPE", 4) == 0))
        return PROMC_OK; /* a plain comment */
    skip_blanks(l);
    int rc = PROMC_OK;
    const char *name = take_name(l, true, &rc);
    if (!name)
        return rc;
    if (l->p < l->end && *l->p != ' ' && *l->p != '\t')
        return bad(l, "invalid character in a metric name");
    struct promc__tp_family *f = find_family(l->t, name, strlen(name));
    if (!f && !(f = new_family(l, name, &rc)))
        return rc;
    skip_blanks(l);
    if (help) {
        if (f->helped)
            return bad(l, "second HELP line for this metric name");
        const char *text = take_escaped(l, false, &rc);
        if (!text)
            return rc;
        /* An empty HELP is no HELP, as expfmt's parser reads it. */
        f->help = *text ? text : NULL;
        f->helped = true;
        return PROMC_OK;
    }
    static const struct {
        const char *name;
        promc_type type;
    } types[] = {{"counter", PROMC_COUNTER},
                 {"gauge", PROMC_GAUGE},
                 {"histogram", PROMC_HISTOGRAM},
                 {"summary", PROMC_SUMMARY},
                 {"untyped", PROMC_UNTYPED}};
    const char *word;
    n = token(l, &word);
    skip_blanks(l);
    size_t i = 0;
    while (i < sizeof types / sizeof types[0] &&
           !(strlen(types[i].name) == n && strncasecmp(types[i].name, word, n) == 0))
        i++;
    if (i == sizeof types / sizeof types[0] || l->p != l->end)
        return bad(l, "unknown metric type (counter, gauge, histogram, summary or untyped)");
    if (f->nsamples)
        return bad(l, "TYPE line after samples of this metric");
    if (f->typed)
        return bad(l, "second TYPE line for this metric name");
    f->type = types[i].type;
    f->typed = true;
    return PROMC_OK;
}

static int label_cmp(const void *a, const void *b)
{
    return strcmp(((const struct promc__tp_label *)a)->name,
                  ((const struct promc__tp_label *)b)->name);
}

/* The {...} of a sample, into an arena array sorted by name. */
static int labels(struct line *l, struct promc__tp_sample *s)
{
    struct promc__tp_label tmp[64], *v = tmp;
    size_t n = 0, cap = sizeof tmp / sizeof tmp[0];
    int rc = PROMC_OK;
    l->p++; /* '{' */
    for (;;) {
        skip_blanks(l);
        if (l->p < l->end && *l->p == '}') {
            l->p++;
            break;
        }
        const char *name = take_name(l, false, &rc);
        if (!name)
            goto out;
        skip_blanks(l);
        if (l->p == l->end || *l->p != '=') {
            rc = bad(l, "expected '=' after a label name");
            goto out;
        }
        l->p++;
        skip_blanks(l);
        if (l->p == l->end || *l->p != '"') {
            rc = bad(l, "expected '\"' to start a label value");
            goto out;
        }
        l->p++;
        const char *value = take_escaped(l, true, &rc);
        if (!value)
            goto out;
        if (!promc__valid_utf8(value, strlen(value))) {
            rc = bad(l, "label value not valid UTF-8");
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            if (strcmp(v[i].name, name) == 0) {
                rc = bad(l, "label name repeated in one sample");
                goto out;
            }
        if (n == cap) {
            /* Beyond the stack array: grow in the arena (old copies stay,
             * freed with it). */
            struct promc__tp_label *w = arena_alloc(l->t, 2 * cap * sizeof *w);
            if (!w) {
                rc = oom();
                goto out;
            }
            memcpy(w, v, n * sizeof *w);
            v = w;
            cap *= 2;
        }
        v[n++] = (struct promc__tp_label){name, value};
        skip_blanks(l);
        if (l->p < l->end && *l->p == ',') {
            l->p++;
            continue;
        }
        if (l->p < l->end && *l->p == '}') {
            l->p++;
            break;
        }
        rc = bad(l, "expected ',' or '}' after a label value");
        goto out;
    }
    s->nlabels = n;
    s->labels = n ? arena_alloc(l->t, n * sizeof *s->labels) : NULL;
    if (n && !s->labels)
        return oom();
    if (n) {
        memcpy(s->labels, v, n * sizeof *v);
        qsort(s->labels, n, sizeof *s->labels, label_cmp);
    }
out:
    return rc;
}

static int sample(struct line *l)
{
    struct promc__text *t = l->t;
    int rc = PROMC_OK;
    struct promc__tp_sample s = {.line = l->number};
    if (!(s.name = take_name(l, true, &rc)))
        return rc;
    skip_blanks(l);
    if (l->p < l->end && *l->p == '{' && (rc = labels(l, &s)) != PROMC_OK)
        return rc;
    skip_blanks(l);
    const char *tok;
    size_t n = token(l, &tok);
    if (n == 0)
        return bad(l, "sample without a value");
    if (!parse_float(tok, n, &s.value))
        return bad(l, "invalid sample value");
    skip_blanks(l);
    if (l->p < l->end) {
        n = token(l, &tok);
        if (!parse_int64(tok, n, &s.ts))
            return bad(l, "invalid timestamp (milliseconds as an integer)");
        s.has_ts = true;
        skip_blanks(l);
        if (l->p < l->end)
            return bad(l, "unexpected text after the timestamp");
    }
    struct promc__tp_family *f = sample_family(l, s.name, &rc);
    if (!f)
        return rc;
    s.family = (size_t)(f - t->families);
    if (promc__tp_is_bucket(t, &s)) {
        const char *key = f->type == PROMC_HISTOGRAM ? "le" : "quantile";
        const char *bound = promc__tp_label_value(&s, key);
        double v;
        if (!bound || !parse_float(bound, strlen(bound), &v))
            return bad(l, f->type == PROMC_HISTOGRAM
                              ? "histogram bucket without a valid \"le\" label"
                              : "summary quantile without a valid \"quantile\" label");
        /* A number, as client_golang's parser keeps it: "1.0" and "1" are
         * one bucket. Written back as its encoder writes it. */
        char *text = arena_alloc(t, PROMC__NUMBUF);
        if (!text)
            return oom();
        promc__format_double(text, v);
        for (size_t i = 0; i < s.nlabels; i++)
            if (strcmp(s.labels[i].name, key) == 0)
                s.labels[i].value = text;
    }
    if (t->nsamples == t->scap) {
        size_t cap = t->scap ? t->scap * 2 : 64;
        void *p = promc__realloc(t->samples, cap * sizeof *t->samples);
        if (!p)
            return oom();
        t->samples = p;
        t->scap = cap;
    }
    t->samples[t->nsamples++] = s;
    f->nsamples++;
    return PROMC_OK;
}

int promc__text_parse(struct promc__text *t, const char *text, size_t len, const char *what)
{
    struct line l = {.what = what, .t = t};
    const char *p = text, *end = text + len;
    /* The whole C locale: glibc hands out its static one, no allocation. */
    locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (c == (locale_t)0)
        return oom();
    locale_t old = uselocale(c);
    int rc = PROMC_OK;
    while (p < end && rc == PROMC_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        l.p = p;
        l.end = nl ? nl : end;
        l.number++;
        p = nl ? nl + 1 : end;
        if (memchr(l.p, '\0', (size_t)(l.end - l.p))) {
            rc = bad(&l, "NUL byte");
            break;
        }
        skip_blanks(&l);
        if (l.p == l.end)
            continue;
        rc = *l.p == '#' ? comment(&l) : sample(&l);
    }
    uselocale(old);
    freelocale(c);
    promc__free(l.scratch.p);
    return rc;
}

int promc__text_scrape(promc_registry *reg, const char *const *names, struct promc__text *t,
                       const char *fn)
{
    if (promc__registry_arg(reg, fn, &reg) != PROMC_OK)
        return promc_last_error_code();
    size_t len = 0;
    promc_scrape_opts opts = {.names = names};
    char *text = promc_encode_buffer_ex(reg, PROMC_FORMAT_TEXT, &len, &opts);
    if (!text)
        return promc_last_error_code();
    int rc = promc__text_parse(t, text, len, "exposition");
    promc_free(text);
    return rc;
}

/* ===================================================================== */
/* Rendering and series                                                   */
/* ===================================================================== */

const char *promc__tp_render(struct promc__text *t, const struct promc__tp_sample *s, bool series)
{
    const char *name = series ? t->families[s->family].name : s->name;
    const char *skip = NULL;
    if (series && promc__tp_is_bucket(t, s))
        skip = t->families[s->family].type == PROMC_HISTOGRAM ? "le" : "quantile";
    size_t len = strlen(name) + 3, kept = 0;
    for (size_t i = 0; i < s->nlabels; i++)
        if (!skip || strcmp(s->labels[i].name, skip) != 0) {
            len += strlen(s->labels[i].name) + 4 + promc__escaped_len(s->labels[i].value, true);
            kept++;
        }
    char *out = arena_alloc(t, len);
    if (!out) {
        oom();
        return NULL;
    }
    char *p = out;
    p += strlen(strcpy(p, name));
    if (kept) {
        *p++ = '{';
        bool first = true;
        for (size_t i = 0; i < s->nlabels; i++) {
            if (skip && strcmp(s->labels[i].name, skip) == 0)
                continue;
            if (!first)
                *p++ = ',';
            first = false;
            p += strlen(strcpy(p, s->labels[i].name));
            *p++ = '=';
            *p++ = '"';
            p += promc__escape(p, s->labels[i].value, true);
            *p++ = '"';
        }
        *p++ = '}';
    }
    *p = '\0';
    return out;
}

struct keyed {
    size_t family;
    const char *key;
    size_t sample;
};

static int keyed_cmp(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->family != y->family)
        return x->family < y->family ? -1 : 1;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->sample < y->sample ? -1 : x->sample > y->sample;
}

/* expfmt's parser gathers the samples of a histogram or summary series by
 * their labels; any other sample line is a series of its own, even when
 * its labels repeat another's. */
static bool grouped(promc_type type)
{
    return type == PROMC_HISTOGRAM || type == PROMC_SUMMARY;
}

int promc__text_series(struct promc__text *t, size_t **first, size_t *n)
{
    *first = NULL;
    *n = 0;
    if (t->nsamples == 0)
        return PROMC_OK;
    struct keyed *k = promc__malloc(t->nsamples * sizeof *k);
    size_t *out = promc__malloc(t->nsamples * sizeof *out);
    if (!k || !out)
        goto fail;
    for (size_t i = 0; i < t->nsamples; i++) {
        k[i] = (struct keyed){t->samples[i].family, promc__tp_render(t, &t->samples[i], true), i};
        if (!k[i].key)
            goto fail;
    }
    qsort(k, t->nsamples, sizeof *k, keyed_cmp);
    size_t m = 0;
    for (size_t i = 0; i < t->nsamples; i++)
        if (i == 0 || k[i].family != k[i - 1].family || strcmp(k[i].key, k[i - 1].key) != 0 ||
            !grouped(t->families[k[i].family].type))
            out[m++] = k[i].sample;
    promc__free(k);
    *first = out;
    *n = m;
    return PROMC_OK;
fail:
    promc__free(k);
    promc__free(out);
    return oom();
}
