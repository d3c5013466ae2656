/*
 * Guard pages for the parser tests: an input is copied so that its last byte
 * is the last readable one before a PROT_NONE page, so any read past the end
 * of the input faults instead of passing unnoticed. Include after cmocka.h.
 */
#ifndef PROMC_TEST_GUARD_H
#define PROMC_TEST_GUARD_H

#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct guard {
    char *map;   /* room readable bytes, then one PROT_NONE page */
    char *end;   /* first byte of the PROT_NONE page */
    size_t room; /* readable bytes before it */
    size_t size; /* of the whole mapping */
};

/* Maps at least room readable bytes (rounded up to pages) before the guard
 * page; untouched pages cost nothing. 0, or -1 on failure. */
static inline int guard_open(struct guard *g, size_t room)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    g->room = (room + pg - 1) / pg * pg;
    g->size = g->room + pg;
#ifdef MAP_ANONYMOUS
    void *m = mmap(NULL, g->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#else
    void *m = mmap(NULL, g->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
#endif
    if (m == MAP_FAILED)
        return -1;
    g->map = m;
    g->end = g->map + g->room;
    return mprotect(g->end, pg, PROT_NONE);
}

static inline int guard_close(struct guard *g)
{
    return munmap(g->map, g->size);
}

/* Copies s[0..n) so that its last byte is the last readable one. */
static inline const char *guard_place(struct guard *g, const char *s, size_t n)
{
    assert_true(n <= g->room);
    char *p = g->end - n;
    if (n)
        memmove(p, s, n);
    return p;
}

#endif /* PROMC_TEST_GUARD_H */
