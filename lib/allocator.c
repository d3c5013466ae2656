/*
 * The public allocator calls: promc_set_allocator checks its arguments and
 * installs the hooks (alloc.c), promc_free releases what the library handed
 * out. Kept apart from alloc.c so the allocator stays a leaf every module
 * (the error record included) can use.
 */
#include "alloc.h"
#include "error.h"
#include "promc.h"

int promc_set_allocator(promc_malloc_fn m, promc_realloc_fn r, promc_free_fn f)
{
    if ((m == NULL) != (r == NULL) || (m == NULL) != (f == NULL))
        return promc__fail(PROMC_EINVAL,
                           "promc_set_allocator needs all three functions, or all NULL");
    promc__alloc_set(m, r, f);
    return promc__ok();
}

void promc_free(void *ptr)
{
    promc__free(ptr);
}
