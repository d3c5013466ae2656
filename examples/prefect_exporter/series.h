/*
 * What prefect_exporter builds a scrape's answer from: a string map (ids to
 * names, run ids seen, label sets), families of gauge series whose repeated
 * label sets add up instead of repeating, and the label-value rules of the
 * original (Python's str() of a JSON value, "null" for a missing key).
 */
#ifndef PF_SERIES_H
#define PF_SERIES_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"

/* ===================================================================== */
/* String map                                                             */
/* ===================================================================== */

/* Keys (copied, any bytes but NUL) to size_t values; open addressing. */
typedef struct pf_map {
    char **keys;
    size_t *values;
    size_t cap, n; /* cap: 0 or a power of two */
} pf_map;

/* Looks key up: true and *value (if not NULL) set when present. */
bool pf_map_get(const pf_map *m, const char *key, size_t *value);
/* Adds key with value unless present. Returns 1 when added, 0 when it was
 * there (*existing, if not NULL, gets the value it has), -1 out of
 * memory. */
int pf_map_add(pf_map *m, const char *key, size_t value, size_t *existing);
/* The value of key, to read or change; NULL when absent. Valid until the
 * next pf_map_add. */
size_t *pf_map_value(pf_map *m, const char *key);
void pf_map_free(pf_map *m);

/* ===================================================================== */
/* Families                                                               */
/* ===================================================================== */

#define PF_MAX_LABELS 10

typedef struct pf_series {
    char **values; /* nlabels strings, one allocation with the pointers */
    double value;
} pf_series;

/* A gauge family being built: samples with the same label values are
 * summed into one series, kept in the order each label set first came. */
typedef struct pf_family {
    const char *name, *help;
    const char *labels[PF_MAX_LABELS];
    size_t nlabels;
    pf_series *series;
    size_t n, cap;
    pf_map index; /* label values joined by 0xff -> position in series */
} pf_family;

/* Adds value to the series with these label values (nlabels of them),
 * creating it. 0, or -1 out of memory (the family is unchanged). */
int pf_family_add(pf_family *f, const char *const *values, double value);
void pf_family_free(pf_family *f);

/* ===================================================================== */
/* Label values                                                           */
/* ===================================================================== */

/* Room for any value pf_text writes into its buffer, NUL included. */
#define PF_TEXT_SMALL 40

/* The label value the original gives a JSON value, str(obj.get(key,
 * "null")): "null" for a missing node, "None" for null, "True"/"False",
 * a string as it is, an integer literal as written, other numbers as
 * Python's repr of a float ("0.5", "60.0", "1e-05"), and "[...]" or
 * "{...}" for an array or an object (never seen where labels come from).
 * Returns the document's string or small (PF_TEXT_SMALL bytes), filled. */
const char *pf_text(const ex_json_doc *doc, ex_json_node node, char *small);

/* Python's truthiness of a JSON value as obj.get(key) gives it: missing
 * and null are false, so are false, 0, "", [] and {}. */
bool pf_truthy(const ex_json_doc *doc, ex_json_node node);

/* The value's string, or NULL when it is not a string. */
const char *pf_string(const ex_json_doc *doc, ex_json_node node);

#endif /* PF_SERIES_H */
