/*
 * A string-keyed hash table (mp_table.c) for the multi-process modules:
 * families by name, series by key, merged entries by key.
 */
#ifndef PROMC_MP_TABLE_H
#define PROMC_MP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct promc__mp_table_entry {
    char *key;
    void *value;
};

struct promc__mp_table {
    struct promc__mp_table_entry *e;
    size_t size, n; /* size: a power of two, or 0 */
};

uint32_t promc__mp_hash(const char *s);
/* The value under key, or NULL. */
void *promc__mp_table_get(const struct promc__mp_table *t, const char *key);
/* Adds key (its ownership passes to the table on success); false when out
 * of memory. The key must not be present. */
bool promc__mp_table_put(struct promc__mp_table *t, char *key, void *value);
/* Frees the keys, each value with free_value (may be NULL), and the table. */
void promc__mp_table_free(struct promc__mp_table *t, void (*free_value)(void *));

#endif
