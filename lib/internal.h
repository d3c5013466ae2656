/*
 * The leaf helpers every module of lib/ shares: the per-thread error record,
 * name and UTF-8 validation, escaping, the growable buffer, clocks and atomic
 * doubles. Nothing here is part of the public API or exported from the shared
 * library. The larger shared structures have their own headers: sink.h (the
 * sink interface), family.h (families and children), registry.h, gather.h
 * (a scrape), types.h (what each metric type means), hotcold.h.
 */
#ifndef PROMC_INTERNAL_H
#define PROMC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "promc.h"

#include "alloc.h"
#include "error.h"
#include "format_number.h"

/* On the definition of the hottest calls (a counter's inc): start them on a
 * cache line of their own, so the few instructions of the common case sit
 * in one line whatever the rest of the library's layout -- moved across a
 * line boundary by unrelated code, an inc measured a cycle slower. */
#if defined(__GNUC__)
#define PROMC__HOT_ALIGN __attribute__((aligned(64)))
#else
#define PROMC__HOT_ALIGN
#endif

/* ===================================================================== */
/* Validation and escaping                                                */
/* ===================================================================== */

struct promc__buf;

/* names.c: the legacy grammars (metric names [a-zA-Z_:][a-zA-Z0-9_:]*,
 * label names [a-zA-Z_][a-zA-Z0-9_]* and no "__" prefix), and the UTF-8
 * names a registry may allow (utf8: any non-empty valid UTF-8, label names
 * still without the "__" prefix). NULL is never valid. */
bool promc__valid_metric_name(const char *s);
bool promc__valid_label_name(const char *s);
bool promc__valid_name(const char *s, bool utf8);
bool promc__valid_label(const char *s, bool utf8);
/* Is s[0..len) a legacy metric name (label: a legacy label name, the "__"
 * prefix allowed)? The escaping schemes leave those as they are. */
bool promc__legacy_name(const char *s, size_t len, bool label);
/* Escapes s[0..len) exactly as prometheus/common's model.EscapeName does
 * with this scheme (label: as for a label name, where ':' must be escaped
 * too), into out (NULL: only count); returns the length. Invalid UTF-8 is
 * taken byte by byte as U+FFFD, as Go's range over a string does. At most
 * 3 + 6 * len bytes. */
size_t promc__escape_name(char *out, const char *s, size_t len, promc_escaping scheme, bool label);
/* Appends the name a scrape with this escaping shows for s[0..len): s itself
 * when it is a legacy name or the escaping is allow-utf-8, its escaped form
 * otherwise. Returns whether what it appended is a legacy name (false: it
 * must be written in the quoted syntax). */
bool promc__buf_exposed_name(struct promc__buf *b, const char *s, size_t len, promc_escaping scheme,
                             bool label);
bool promc__valid_utf8(const char *s, size_t len);
/* The code point at s (len > 0) into *cp, and its length in bytes; 0 when s
 * does not start with a well-formed RFC 3629 sequence (no overlong, no
 * surrogate, nothing above U+10FFFF). Never reads past len. */
size_t promc__utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);
/* Escaped length of a label value (\\, \", \n) or a HELP text (\\, \n and,
 * with quote, \"). */
size_t promc__escaped_len(const char *s, bool quote);
/* Writes the escaped form of s into out (sized by promc__escaped_len) and
 * returns the number of bytes written. */
size_t promc__escape(char *out, const char *s, bool quote);
/* A heap copy of v as text 0.0.4 (canonical=false) or OpenMetrics renders
 * it, for le/quantile label values computed once at creation. */
char *promc__render_number(double v, bool canonical);
/* Frees n strings and the array holding them (NULL ok). */
void promc__free_strings(char **v, size_t n);

/* ===================================================================== */
/* Growable buffer                                                        */
/* ===================================================================== */

struct promc__buf {
    char *p; /* NUL-terminated once anything was appended */
    size_t len, cap;
    bool oom; /* an append failed; later appends are no-ops */
};

void promc__buf_put(struct promc__buf *b, const char *s, size_t n);
/* Makes room for n more bytes at the end and returns where they go (the
 * length grows by n; the caller writes them), or NULL once out of memory. */
char *promc__buf_extend(struct promc__buf *b, size_t n);
/* Empties the buffer, keeping its memory for reuse. */
static inline void promc__buf_reset(struct promc__buf *b)
{
    b->len = 0;
    b->oom = false;
    if (b->p)
        b->p[0] = '\0';
}
void promc__buf_str(struct promc__buf *b, const char *s);
/* RFC 4648 base64 with '=' padding; url_safe selects the §5 alphabet. */
void promc__buf_base64(struct promc__buf *b, const unsigned char *s, size_t n, bool url_safe);
/* Drops the first done bytes of an iovec array after a partial write,
 * advancing *iov and decrementing *n past the vectors fully written. */
void promc__iov_consume(struct iovec **iov, int *n, size_t done);
/* A promc_write_fn appending to a struct promc__buf (ctx). */
int promc__buf_writer(void *ctx, const char *data, size_t len);

/* What Accept-Encoding headers allow (negotiate.c): start zeroed, add
 * each header's value, then ask whether to answer with gzip. q-values are
 * in thousandths. */
struct promc__accept_encoding {
    int gzip_q, identity_q, star_q;
    bool gzip_named, identity_named, star_named;
};
void promc__accept_encoding_add(struct promc__accept_encoding *ae, const char *value, size_t len);
bool promc__accept_encoding_gzip(const struct promc__accept_encoding *ae);

/* A read-write lock that does not starve writers (glibc: writer preference;
 * a thread must then never take the same read lock twice: family.c and
 * gather.c make sure a callback cannot make it). */
void promc__rwlock_init(pthread_rwlock_t *lock);

/* ===================================================================== */
/* Time                                                                   */
/* ===================================================================== */

/* Wall-clock seconds since the epoch (for _created and set_to_current_time). */
double promc__now(void);
/* The same to a few milliseconds, cheaper: for a child's creation time,
 * which label churn reads once per new or returning child. */
double promc__now_coarse(void);
/* Monotonic nanoseconds (for timers). */
int64_t promc__mono_ns(void);
/* Tests replace the wall clock to get reproducible _created samples. */
extern double (*promc__clock)(void);

/* ===================================================================== */
/* Atomic double helpers                                                  */
/* ===================================================================== */

static inline double promc__bits_to_double(uint64_t u)
{
    union {
        uint64_t u;
        double d;
    } x = {.u = u};
    return x.d;
}

/* A sum kept as bits minus a base kept as bits (a reset's): exactly 0 while
 * the bits are the base's, also when both are an infinity or NaN that no
 * observation since has changed (the difference would be NaN). */
static inline double promc__sum_since(uint64_t sum_bits, uint64_t base_bits)
{
    if (sum_bits == base_bits)
        return 0;
    return promc__bits_to_double(sum_bits) - promc__bits_to_double(base_bits);
}

static inline uint64_t promc__double_to_bits(double d)
{
    union {
        uint64_t u;
        double d;
    } x = {.d = d};
    return x.u;
}

/* Adds v to a double kept as bits, with a CAS loop: `+=` on an _Atomic
 * double would become a libatomic call with gcc. Relaxed: a value cell orders
 * nothing else. */
static inline void promc__atomic_add_double(_Atomic uint64_t *cell, double v)
{
    uint64_t old = atomic_load_explicit(cell, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(
        cell, &old, promc__double_to_bits(promc__bits_to_double(old) + v), memory_order_relaxed,
        memory_order_relaxed))
        ;
}

#endif /* PROMC_INTERNAL_H */
