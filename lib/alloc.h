/*
 * The library's allocator. Every allocation promc makes goes through these four
 * functions so that a user-installed allocator (promc_set_allocator) sees all of
 * them, and so that tests can fail the Nth allocation to prove every caller
 * handles out-of-memory. Never call malloc/free directly inside lib/.
 */
#ifndef PROMC_ALLOC_H
#define PROMC_ALLOC_H

#include <stddef.h>

#include "promc.h"

void *promc__malloc(size_t size);
void *promc__calloc(size_t count, size_t size);
void *promc__realloc(void *ptr, size_t size);
void promc__free(void *ptr);
char *promc__strdup(const char *s);
/* Large anonymous mappings for bulk buffers (a scrape's response): with
 * libc's allocator, size bytes (a multiple of the page size) aligned to size
 * and advised for transparent huge pages, where one page fault maps 2 MiB
 * instead of 4 KiB; NULL when a user allocator is installed (it must see
 * every allocation: callers then use promc__malloc) or the mapping fails.
 * Give it back with promc__unmap(p, size). */
void *promc__map_aligned(size_t size);
void promc__unmap(void *p, size_t size);
/* Installs the hooks (NULL: libc's); the checks are promc_set_allocator's. */
void promc__alloc_set(promc_malloc_fn m, promc_realloc_fn r, promc_free_fn f);

#endif
