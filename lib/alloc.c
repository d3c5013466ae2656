/*
 * Allocator indirection. The hooks are plain function pointers read without
 * synchronisation: promc_set_allocator() (allocator.c) is documented to be
 * called before any other promc function, while the process is still
 * single-threaded.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS and MADV_HUGEPAGE, before any header */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

void *promc__map_aligned(size_t size)
{
    if (hook_malloc != malloc)
        return NULL;
    /* Twice the size, then the unaligned ends unmapped: what is left starts
     * on a multiple of size, which a huge page needs. */
    char *raw = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    char *p = (char *)(((uintptr_t)raw + size - 1) & ~(uintptr_t)(size - 1));
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    if (p + size < raw + 2 * size)
        munmap(p + size, (size_t)(raw + 2 * size - (p + size)));
#ifdef MADV_HUGEPAGE
    /* Advice only: without transparent huge pages it changes nothing. */
    madvise(p, size, MADV_HUGEPAGE);
#endif
    return p;
}

void promc__unmap(void *p, size_t size)
{
    if (p)
        munmap(p, size);
}
