/*
 * Allocator indirection. The hooks are plain function pointers read without
 * synchronisation: promc_set_allocator() (allocator.c) is documented to be
 * called before any other promc function, while the process is still
 * single-threaded.
 */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "promc.h"

static promc_malloc_fn hook_malloc = malloc;
static promc_realloc_fn hook_realloc = realloc;
static promc_free_fn hook_free = free;

void promc__alloc_set(promc_malloc_fn m, promc_realloc_fn r, promc_free_fn f)
{
    hook_malloc = m ? m : malloc;
    hook_realloc = r ? r : realloc;
    hook_free = f ? f : free;
}

void *promc__malloc(size_t size)
{
    return hook_malloc(size ? size : 1);
}

void *promc__calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = promc__malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *promc__realloc(void *ptr, size_t size)
{
    return hook_realloc(ptr, size ? size : 1);
}

void promc__free(void *ptr)
{
    if (ptr)
        hook_free(ptr);
}

char *promc__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = promc__malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}
