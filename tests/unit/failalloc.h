/*
 * The fail-the-Nth-allocation allocator every out-of-memory test shares.
 * Install it once, before any other promc call (promc_set_allocator's rule);
 * then arm(N) makes the Nth allocation attempt from then on fail, once, and
 * the counters tell whether the failure happened and whether blocks leaked.
 * Single-threaded use only.
 */
#ifndef PROMC_TEST_FAILALLOC_H
#define PROMC_TEST_FAILALLOC_H

#include <stdbool.h>
#include <stdlib.h>

#include "promc.h"

static long alloc_fail_at;  /* 1-based allocation to fail once armed; 0 = never */
static long alloc_seen;     /* allocation attempts since arming */
static long alloc_live;     /* blocks handed out and not yet freed */
static bool alloc_injected; /* the armed failure happened */

static bool failalloc_should_fail(void)
{
    alloc_seen++;
    if (alloc_fail_at && alloc_seen == alloc_fail_at) {
        alloc_injected = true;
        return true;
    }
    return false;
}

static void *failalloc_malloc(size_t n)
{
    if (failalloc_should_fail())
        return NULL;
    void *p = malloc(n);
    if (p)
        alloc_live++;
    return p;
}

static void *failalloc_realloc(void *old, size_t n)
{
    if (failalloc_should_fail())
        return NULL;
    void *p = realloc(old, n);
    if (p && !old)
        alloc_live++;
    return p;
}

static void failalloc_free(void *p)
{
    if (p)
        alloc_live--;
    free(p);
}

/* Routes promc's allocations through the counting allocator; call first. */
static inline int failalloc_install(void)
{
    return promc_set_allocator(failalloc_malloc, failalloc_realloc, failalloc_free);
}

/* Fails the nth allocation attempt from now on (n >= 1), once. */
static inline void arm(long n)
{
    alloc_seen = 0;
    alloc_fail_at = n;
    alloc_injected = false;
}

static inline void disarm(void)
{
    alloc_fail_at = 0;
}

#endif
