/*
 * The string map, the summing families and the label-value rules of
 * series.h. Python's repr of a float is rebuilt from the shortest "%.*e"
 * that reads back to the same double, then laid out as Python does (fixed
 * notation for exponents -4 to 15, else d.ddde+XX).
 */
#include "series.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ===================================================================== */
/* String map                                                             */
/* ===================================================================== */

static uint64_t hash(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037); /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    return h;
}

/* The slot of key, or of the empty slot where it would go. */
static size_t slot_of(const pf_map *m, const char *key)
{
    size_t i = (size_t)hash(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

bool pf_map_get(const pf_map *m, const char *key, size_t *value)
{
    if (m->cap == 0)
        return false;
    size_t i = slot_of(m, key);
    if (!m->keys[i])
        return false;
    if (value)
        *value = m->values[i];
    return true;
}

/* Doubles the table (at most half full afterwards). */
static int grow(pf_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    pf_map bigger = {calloc(cap, sizeof(char *)), calloc(cap, sizeof(size_t)), cap, m->n};
    if (!bigger.keys || !bigger.values) {
        free(bigger.keys);
        free(bigger.values);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = slot_of(&bigger, m->keys[i]);
        bigger.keys[j] = m->keys[i];
        bigger.values[j] = m->values[i];
    }
    free(m->keys);
    free(m->values);
    *m = bigger;
    return 0;
}

int pf_map_add(pf_map *m, const char *key, size_t value, size_t *existing)
{
    if ((m->n + 1) * 2 > m->cap && grow(m) != 0)
        return -1;
    size_t i = slot_of(m, key);
    if (m->keys[i]) {
        if (existing)
            *existing = m->values[i];
        return 0;
    }
    if (!(m->keys[i] = strdup(key)))
        return -1;
    m->values[i] = value;
    m->n++;
    return 1;
}

size_t *pf_map_value(pf_map *m, const char *key)
{
    if (m->cap == 0)
        return NULL;
    size_t i = slot_of(m, key);
    return m->keys[i] ? &m->values[i] : NULL;
}

void pf_map_free(pf_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->values);
    memset(m, 0, sizeof *m);
}

/* ===================================================================== */
/* Families                                                               */
/* ===================================================================== */

/* The series' values in one block: the pointers, then the strings. */
static char **copy_values(const char *const *values, size_t n)
{
    size_t bytes = n * sizeof(char *);
    for (size_t i = 0; i < n; i++)
        bytes += strlen(values[i]) + 1;
    char **out = malloc(bytes ? bytes : 1);
    if (!out)
        return NULL;
    char *p = (char *)(out + n);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(values[i]) + 1;
        memcpy(p, values[i], len);
        out[i] = p;
        p += len;
    }
    return out;
}

/* values joined by 0xff, a byte UTF-8 never has: distinct label sets give
 * distinct keys. */
static char *join_key(const char *const *values, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(values[i]) + 1;
    char *key = malloc(len), *p = key;
    if (!key)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(values[i]);
        memcpy(p, values[i], l);
        p += l;
        *p++ = '\xff';
    }
    *p = '\0';
    return key;
}

static int grow_series(pf_family *f)
{
    size_t cap = f->cap ? f->cap * 2 : 8;
    pf_series *more = realloc(f->series, cap * sizeof *more);
    if (!more)
        return -1;
    f->series = more;
    f->cap = cap;
    return 0;
}

int pf_family_add(pf_family *f, const char *const *values, double value)
{
    char *key = join_key(values, f->nlabels);
    if (!key)
        return -1;
    size_t at;
    int rc = -1;
    if (pf_map_get(&f->index, key, &at)) {
        f->series[at].value += value;
        rc = 0;
    } else if (f->n < f->cap || grow_series(f) == 0) {
        /* The series first, then its key: a failure leaves both as they were. */
        char **copy = copy_values(values, f->nlabels);
        if (copy && pf_map_add(&f->index, key, f->n, NULL) == 1) {
            f->series[f->n++] = (pf_series){copy, value};
            rc = 0;
        } else {
            free(copy);
        }
    }
    free(key);
    return rc;
}

void pf_family_free(pf_family *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->series[i].values);
    free(f->series);
    pf_map_free(&f->index);
    f->series = NULL;
    f->n = f->cap = 0;
}

/* ===================================================================== */
/* Label values                                                           */
/* ===================================================================== */

/* Python's repr() of a finite double into out (PF_TEXT_SMALL bytes). */
static void python_float(double v, char *out)
{
    if (v == 0) {
        strcpy(out, signbit(v) ? "-0.0" : "0.0");
        return;
    }
    /* The shortest mantissa that reads back to v: "d.ddde+XX". */
    char e[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, v);
        if (strtod(e, NULL) == v)
            break;
    }
    const char *p = e;
    char *o = out;
    if (*p == '-')
        *o++ = *p++;
    char digits[20];
    size_t nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    int exp10 = atoi(p + 1);
    if (exp10 >= -4 && exp10 < 16) {
        int point = exp10 + 1; /* digits before the decimal point */
        if (point <= 0) {
            o += sprintf(o, "0.");
            for (int i = 0; i < -point; i++)
                *o++ = '0';
            memcpy(o, digits, nd);
            o += nd;
        } else if ((size_t)point >= nd) {
            memcpy(o, digits, nd);
            o += nd;
            for (size_t i = nd; i < (size_t)point; i++)
                *o++ = '0';
            o += sprintf(o, ".0");
        } else {
            memcpy(o, digits, (size_t)point);
            o += point;
            *o++ = '.';
            memcpy(o, digits + point, nd - (size_t)point);
            o += nd - (size_t)point;
        }
        *o = '\0';
        return;
    }
    *o++ = digits[0];
    if (nd > 1) {
        *o++ = '.';
        memcpy(o, digits + 1, nd - 1);
        o += nd - 1;
    }
    sprintf(o, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
}

const char *pf_text(const ex_json_doc *doc, ex_json_node node, char *small)
{
    bool b;
    int64_t i;
    double d;
    switch (ex_json_kind_of(doc, node)) {
    case EX_JSON_MISSING:
        return "null";
    case EX_JSON_NULL:
        return "None";
    case EX_JSON_BOOL:
        ex_json_bool(doc, node, &b);
        return b ? "True" : "False";
    case EX_JSON_STRING:
        return ex_json_string(doc, node, NULL);
    case EX_JSON_NUMBER:
        small[0] = '\0';
        if (ex_json_integer_literal(doc, node, &i))
            snprintf(small, PF_TEXT_SMALL, "%lld", (long long)i);
        else if (ex_json_number(doc, node, &d))
            python_float(d, small);
        return small;
    case EX_JSON_ARRAY:
        return "[...]";
    case EX_JSON_OBJECT:
        return "{...}";
    }
    return "null";
}

bool pf_truthy(const ex_json_doc *doc, ex_json_node node)
{
    bool b = false;
    double d = 0;
    size_t len = 0;
    switch (ex_json_kind_of(doc, node)) {
    case EX_JSON_BOOL:
        ex_json_bool(doc, node, &b);
        return b;
    case EX_JSON_NUMBER:
        ex_json_number(doc, node, &d);
        return d != 0;
    case EX_JSON_STRING:
        ex_json_string(doc, node, &len);
        return len > 0;
    case EX_JSON_ARRAY:
    case EX_JSON_OBJECT:
        return ex_json_count(doc, node) > 0;
    default:
        return false;
    }
}

const char *pf_string(const ex_json_doc *doc, ex_json_node node)
{
    return ex_json_string(doc, node, NULL);
}
