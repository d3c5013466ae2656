/*
 * The string-keyed hash table of the multi-process modules: open
 * addressing with linear probing, at most half full.
 */
#include <string.h>

#include "alloc.h"
#include "mp_table.h"

uint32_t promc__mp_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

void *promc__mp_table_get(const struct promc__mp_table *t, const char *key)
{
    if (!t->size)
        return NULL;
    for (size_t i = promc__mp_hash(key) & (t->size - 1); t->e[i].key; i = (i + 1) & (t->size - 1))
        if (strcmp(t->e[i].key, key) == 0)
            return t->e[i].value;
    return NULL;
}

bool promc__mp_table_put(struct promc__mp_table *t, char *key, void *value)
{
    if ((t->n + 1) * 2 > t->size) {
        size_t n = t->size ? t->size * 2 : 64;
        struct promc__mp_table_entry *e = promc__calloc(n, sizeof *e);
        if (!e)
            return false;
        for (size_t i = 0; i < t->size; i++)
            if (t->e[i].key) {
                size_t j = promc__mp_hash(t->e[i].key) & (n - 1);
                while (e[j].key)
                    j = (j + 1) & (n - 1);
                e[j] = t->e[i];
            }
        promc__free(t->e);
        t->e = e;
        t->size = n;
    }
    size_t i = promc__mp_hash(key) & (t->size - 1);
    while (t->e[i].key)
        i = (i + 1) & (t->size - 1);
    t->e[i] = (struct promc__mp_table_entry){key, value};
    t->n++;
    return true;
}

void promc__mp_table_free(struct promc__mp_table *t, void (*free_value)(void *))
{
    for (size_t i = 0; i < t->size; i++)
        if (t->e[i].key) {
            promc__free(t->e[i].key);
            if (free_value)
                free_value(t->e[i].value);
        }
    promc__free(t->e);
    memset(t, 0, sizeof *t);
}
