/*
 * The children of a family: one allocation each (the type's struct, then the
 * label values, escaped), found by label values through a hash table and a
 * per-thread cache, and walked in creation order by scrapes. Removing a child
 * only detaches it -- no longer exported, its handle still valid and working
 * -- so a handle held anywhere can never dangle; the same values looked up
 * again reattach it. promc_metric_reclaim_removed frees detached children
 * when the caller says no handle to them is in use.
 *
 * Lookups and removals read the hash table without a lock, inside a read
 * section (grace.h); whatever leaves the table (an old table after it grew,
 * reclaimed children) is freed only after a grace period. Creating a child,
 * clear and reclaim take the family's write lock, which also keeps them
 * apart from scrapes walking the creation-order list; bringing a removed
 * child back does not (it keeps its place in the list), see child_take.
 */
#include <sched.h>
#include <string.h>

#include "child_table.h"
#include "children.h"
#include "grace.h"
#include "internal.h"
#include "thread_state.h"

const struct promc__labels promc__no_labels = {"", 0, 0, NULL, NULL, false};

/* ===================================================================== */
/* Families this thread is writing to a sink                              */
/* ===================================================================== */

/* A scrape holds a family's read lock while its children go to the sink,
 * and the sink may call the user's writer. A writer that changes the same
 * family (a new child, remove, clear) would wait for its own read lock to go
 * away: forever. So the families a thread is collecting are remembered here,
 * and those calls return PROMC_ESTATE at once; lookups take no lock (or,
 * without a thread state, skip the one the thread already holds). Nesting
 * is bounded by gather.c's scrape depth. */
#define MAX_COLLECTING 8 /* gather.c nests scrapes at most 8 deep */

static _Thread_local const struct promc_metric *collecting[MAX_COLLECTING] PROMC__TLS;
static _Thread_local unsigned ncollecting PROMC__TLS;

static bool is_collecting(const struct promc_metric *m)
{
    for (unsigned i = 0; i < ncollecting; i++)
        if (collecting[i] == m)
            return true;
    return false;
}

static int refuse_in_writer(const struct promc_metric *m, const char *what)
{
    return promc__fail(PROMC_ESTATE, "metric \"%s\": cannot %s while this thread writes it out",
                       m->desc.name, what);
}

/* Inside a writer the thread holds a family's read lock, so waiting for
 * another family's lock could close a circle with another thread doing the
 * same the other way round. There, a lock that is not free at once is a
 * PROMC_ESTATE instead of a wait; everywhere else, a plain wait. Returns
 * PROMC_OK with the lock held. */
static int lock_family(struct promc_metric *m, bool write, const char *what)
{
    if (ncollecting == 0) {
        if (write)
            pthread_rwlock_wrlock(&m->lock);
        else
            pthread_rwlock_rdlock(&m->lock);
        return PROMC_OK;
    }
    if (is_collecting(m) && write)
        return refuse_in_writer(m, what);
    int rc = write ? pthread_rwlock_trywrlock(&m->lock) : pthread_rwlock_tryrdlock(&m->lock);
    if (rc != 0)
        return promc__fail(PROMC_ESTATE,
                           "metric \"%s\": cannot %s from inside a writer while it is busy",
                           m->desc.name, what);
    return PROMC_OK;
}

/* ===================================================================== */
/* Children                                                               */
/* ===================================================================== */

/* FNV-1a over the values, each followed by 0xFF (a byte valid UTF-8 never
 * contains), so ("ab","c") and ("a","bc") hash apart; folded to the 30 bits
 * a child keeps. */
static uint32_t hash_values(const char *const *values, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        for (const unsigned char *p = (const unsigned char *)values[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0xFF) * 1099511628211ULL;
    }
    return (uint32_t)(h ^ (h >> 32)) & PROMC__CHILD_HASH; /* 30 bits */
}

/* A child's state, in the two bits above its hash (metric.h):
 *   live      neither bit    exported, found by lookups
 *   removed   REMOVED        not exported; a lookup brings it back, a
 *                            reclaim frees it
 *   busy      REMOVED|BUSY   held by the one thread that won it from
 *                            removed: a lookup bringing it back (it resets
 *                            the child, then makes it live) or a reclaim
 *                            (which unlinks and frees it)
 * A removal sets REMOVED on a live child (one atomic OR: it has no effect
 * on a removed or busy one); every other change is a compare-and-swap from
 * the state it leaves, so exactly one thread makes it. A busy child is not
 * live for anyone else: a removal finds nothing to remove, a scrape skips
 * it, a lookup waits for it (bringing back) or does not find it
 * (reclaimed: no longer in the table once the reclaim's lock is free).
 * The hash below the bits: promc__child_hash (metric.h). */

/* Acquire: a child seen back (bit clear) is seen reset. */
static inline bool child_removed(const struct promc__child *c)
{
    return atomic_load_explicit(&c->hash_removed, memory_order_acquire) & PROMC__CHILD_REMOVED;
}

/* Sets the removed bit; whether this call set it (the child was live). */
static inline bool child_mark_removed(struct promc__child *c)
{
    return !(
        atomic_fetch_or_explicit(&c->hash_removed, PROMC__CHILD_REMOVED, memory_order_acq_rel) &
        PROMC__CHILD_REMOVED);
}

/* Makes a removed child busy; whether this call did (false: it was live,
 * or busy already). */
static inline bool child_take(struct promc__child *c)
{
    uint32_t removed = promc__child_hash(c) | PROMC__CHILD_REMOVED;
    return atomic_compare_exchange_strong_explicit(&c->hash_removed, &removed,
                                                   removed | PROMC__CHILD_BUSY,
                                                   memory_order_acquire, memory_order_relaxed);
}

/* Bytes of a raw label value that are not copied as they are: the end, and
 * the three the exposition escapes. */
static const unsigned char special[256] = {[0] = 1, ['\\'] = 2, ['"'] = 2, ['\n'] = 2};

/* Matches raw against the escaped value at p (just after its opening quote);
 * returns the position after the closing quote, or NULL on a mismatch. */
static inline const char *match_escaped(const char *p, const char *raw)
{
    for (;; raw++) {
        unsigned char c = (unsigned char)*raw;
        if (!special[c]) {
            if (*p++ != (char)c)
                return NULL;
        } else if (c == 0) {
            return *p == '"' ? p + 1 : NULL;
        } else {
            if (p[0] != '\\' || p[1] != (c == '\n' ? 'n' : (char)c))
                return NULL;
            p += 2;
        }
    }
}

bool promc__escaped_equal(const char **pp, const char *raw)
{
    const char *p = match_escaped(*pp, raw);
    if (!p)
        return false;
    *pp = p;
    return true;
}

static inline uint64_t load64(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static inline uint64_t load32(const char *p)
{
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

/* Whether a byte of w is b (exact: the classic test for a zero byte). */
static inline uint64_t has_byte(uint64_t w, unsigned char b)
{
    uint64_t x = w ^ (UINT64_C(0x0101010101010101) * b);
    return (x - UINT64_C(0x0101010101010101)) & ~x & UINT64_C(0x8080808080808080);
}

/* Whether the len bytes at p and raw are equal and hold no backslash or
 * quote, a word at a time (loads stay inside both: the last word overlaps
 * the one before, short runs go in halves or bytes). */
static inline bool same_plain(const char *p, const char *raw, size_t len)
{
    uint64_t a, b, bad = 0;
    if (len >= 8) {
        for (size_t j = 0; j + 8 < len; j += 8) {
            a = load64(p + j);
            b = load64(raw + j);
            if (a != b)
                return false;
            bad |= has_byte(a, '"') | has_byte(a, '\\');
        }
        a = load64(p + len - 8);
        b = load64(raw + len - 8);
    } else if (len >= 4) {
        a = load32(p) | load32(p + len - 4) << 32;
        b = load32(raw) | load32(raw + len - 4) << 32;
    } else {
        /* Up to three bytes ("GET", "200"): compared one by one. */
        for (size_t j = 0; j < len; j++) {
            char x = p[j];
            if (x != raw[j] || x == '"' || x == '\\')
                return false;
        }
        return true;
    }
    return a == b && !(bad | has_byte(a, '"') | has_byte(a, '\\'));
}

/* A child keeps only its values text (each value escaped, closed by a
 * quote), so the values are compared against their escaped form, without
 * a copy: label values are short and rarely need escaping. A table chain
 * compares byte by byte (same_values_chain); a cache hit, where the values
 * nearly always match, like this: a value without a backslash or quote
 * whose bytes the values text repeats, followed by the closing quote, is
 * equal (a quote after a byte that is not a backslash closes the value).
 * strlen and a compare a word at a time beat going byte by byte for values
 * of a dozen bytes, not for mismatches. Other values (a newline escapes to
 * the same bytes plus a backslash, so it cannot pass) go byte by byte. */
static bool same_values_hit(const struct promc_metric *m, const struct promc__child *c,
                            const char *const *values, size_t n)
{
    const char *p = (const char *)c + m->child_size; /* its values text */
    const char *end = p + c->rendered_len;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(values[i]);
        if ((size_t)(end - p) > len && p[len] == '"' && same_plain(p, values[i], len)) {
            p += len + 1;
            continue;
        }
        p = match_escaped(p, values[i]);
        if (!p)
            return false;
    }
    return true;
}

/* The values compared with a child's values text byte by byte, cheaper than
 * same_values_hit's strlen for the short values ids and routes have. */
static inline __attribute__((always_inline)) bool same_values_chain(const struct promc_metric *m,
                                                                    const struct promc__child *c,
                                                                    const char *const *values,
                                                                    size_t n)
{
    const char *p = (const char *)c + m->child_size; /* its values text */
    for (size_t i = 0; i < n && p; i++)
        p = match_escaped(p, values[i]);
    return p != NULL;
}

/* Whether the n bytes at a and b are equal (n > 0), a word at a time
 * (loads stay inside both: the last word overlaps the one before). */
static inline bool same_bytes(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        for (size_t j = 0; j + 8 < n; j += 8)
            if (load64(a + j) != load64(b + j))
                return false;
        return load64(a + n - 8) == load64(b + n - 8);
    }
    if (n >= 4)
        return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
    for (size_t j = 0; j < n; j++)
        if (a[j] != b[j])
            return false;
    return true;
}

/* Whether the values are the ones a cache set copied (raw: each value and
 * its NUL, for the family's number of values). Each value is compared
 * with its NUL, so a match is exact and the next value starts where the
 * copy's does; nothing is read past the copy's bytes. strlen and a
 * compare a word at a time, not a byte loop: with values of mixed lengths
 * in random order, a loop's exit branch mispredicts on most lookups. */
static inline bool same_values_raw(const char *raw, const char *const *values, size_t n)
{
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(values[i]) + 1;
        if (len > PROMC__LOOKUP_RAW - off || !same_bytes(raw + off, values[i], len))
            return false;
        off += len;
    }
    return true;
}

/* Copies the values into raw when they fit (0xFF first when not). */
static void copy_values_raw(char *raw, const char *const *values, size_t n)
{
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(values[i]) + 1;
        if (len > PROMC__LOOKUP_RAW - off) {
            raw[0] = (char)0xFF;
            return;
        }
        memcpy(raw + off, values[i], len);
        off += len;
    }
}

/* One allocation per child: the type's struct (child_size), then its
 * values text. Nothing else per series, to keep memory per series small:
 * neither the raw values (lookups compare the escaped form) nor the label
 * names and constant labels (the family's; a scrape adds them). */
struct promc__child *promc__child_new(struct promc_metric *m, const char *const *values,
                                      uint32_t hash)
{
    size_t text = 0;
    for (size_t i = 0; i < m->nlabels; i++)
        text += promc__escaped_len(values[i], true) + 1; /* the value, its closing quote */
    /* rendered_len, and a label body, stay below 2^31, as they always have */
    if (text + m->labels_extra > INT32_MAX - 1) {
        promc__fail(PROMC_EINVAL, "metric \"%s\": label values too long", m->desc.name);
        return NULL;
    }
    struct promc__child *c = promc__calloc(1, m->child_size + text + 1);
    if (!c) {
        promc__fail(PROMC_ENOMEM, "metric \"%s\": out of memory for a new child", m->desc.name);
        return NULL;
    }
    c->family = m;
    atomic_init(&c->hash_removed, hash);
    char *start = (char *)c + m->child_size, *p = start;
    for (size_t i = 0; i < m->nlabels; i++) {
        p += promc__escape(p, values[i], true);
        *p++ = '"';
    }
    *p = '\0';
    c->rendered_len = (uint32_t)(p - start);
    atomic_init(&c->created, promc__now_coarse());
    int rc = m->ops->init_child ? m->ops->init_child(m, c) : PROMC_OK;
    if (rc != PROMC_OK) { /* other than ENOMEM, init_child recorded it */
        promc__free(c);
        if (rc == PROMC_ENOMEM)
            promc__fail(rc, "metric \"%s\": out of memory for a new child", m->desc.name);
        return NULL;
    }
    return c;
}

void promc__child_free(struct promc_metric *m, struct promc__child *c)
{
    if (m->ops->fini_child)
        m->ops->fini_child(m, c);
    promc__free(c);
}

void promc__children_free(struct promc_metric *m)
{
    struct promc__child *c = atomic_load_explicit(&m->first, memory_order_relaxed);
    while (c) {
        struct promc__child *next = atomic_load_explicit(&c->next, memory_order_relaxed);
        promc__child_free(m, c);
        c = next;
    }
    atomic_store_explicit(&m->first, NULL, memory_order_relaxed);
    m->last = NULL;
    /* The family is going: nobody can be looking it up. */
    promc__free(atomic_load_explicit(&m->table, memory_order_relaxed));
    atomic_store_explicit(&m->table, NULL, memory_order_relaxed);
}

void promc__child_append(struct promc_metric *m, struct promc__child *c)
{
    /* Release: a count walking the list sees c as it was made. */
    atomic_init(&c->next, NULL);
    if (m->last)
        atomic_store_explicit(&m->last->next, c, memory_order_release);
    else
        atomic_store_explicit(&m->first, c, memory_order_release);
    m->last = c;
    m->ntotal++;
}

/* The child with these values in the table, removed or not, or NULL.
 * Under the write lock, or inside a read section without it (a probe): a
 * table being replaced may not have a child just added (the caller then
 * asks under the lock), but a child found is always the values' (they
 * are compared). Inlined by force: a lookup that misses its cache (label
 * churn, large families) saves the call and its saved registers. */
static inline __attribute__((always_inline)) struct promc__child *
table_find(struct promc_metric *m, const char *const *values, uint32_t hash)
{
    const struct promc__table *t = atomic_load_explicit(&m->table, memory_order_acquire);
    if (!t)
        return NULL;
    struct promc__probe p;
    promc__probe_start(&p, t, hash);
    for (struct promc__child *c; (c = promc__probe_next(&p));)
        if (promc__child_hash(c) == hash && same_values_chain(m, c, values, m->nlabels))
            return c;
    return NULL;
}

/* Puts a new child (not yet in the creation-order list) in the table; when
 * it is full, a new table holding every child and c goes in its place, and the
 * old one to *old, for the caller to free after a grace period (probes may
 * still be reading it). PROMC_ENOMEM when there is no room and no memory
 * for a new table. Under the write lock. */
static int table_add(struct promc_metric *m, struct promc__child *c, struct promc__table **old)
{
    struct promc__table *cur = atomic_load_explicit(&m->table, memory_order_relaxed);
    *old = NULL;
    if (cur && promc__table_put(cur, c))
        return PROMC_OK;
    struct promc__table *t = promc__table_build(
        atomic_load_explicit(&m->first, memory_order_relaxed), c, cur ? cur->size : 0);
    if (!t)
        return PROMC_ENOMEM;
    atomic_store_explicit(&m->table, t, memory_order_release);
    *old = cur;
    return PROMC_OK;
}

static int check_values(struct promc_metric *m, const char *const *values, size_t n)
{
    if (n && !values)
        return promc__fail(PROMC_EINVAL, "metric \"%s\": label values missing", m->desc.name);
    if (n != m->nlabels)
        return promc__fail(PROMC_EINVAL, "metric \"%s\": expected %zu label values, got %zu",
                           m->desc.name, m->nlabels, n);
    for (size_t i = 0; i < n; i++)
        if (!values[i])
            return promc__fail(PROMC_EINVAL, "metric \"%s\": value of label \"%s\" is NULL",
                               m->desc.name, m->label_names[i]);
    return PROMC_OK;
}

/* ===================================================================== */
/* Per-thread lookup cache                                               */
/* ===================================================================== */

/* Each thread remembers the children it looked up last (thread_state.h), so
 * a hit costs a hash and a compare: no lock, no atomic read-modify-write,
 * no shared line written. An entry is trusted only while its family's
 * stamp is unchanged; every removal gives the family a new one (after
 * setting the removed bit), so a cached entry never hands out a child
 * another thread detached since. Stamps are drawn from one process-wide
 * 64-bit counter, the one family ids come from (in blocks of 1,024 per
 * thread): no two families ever hold the same stamp, so the stamp also
 * tells the family, and at a billion removals a second the counter would
 * wrap in five centuries, so an entry cannot outlive its child by
 * wrapping around. */
static atomic_uint_fast64_t next_family_id = 1;

uint64_t promc__new_family_id(void)
{
    return atomic_fetch_add_explicit(&next_family_id, 1, memory_order_relaxed);
}

/* Called after children were detached: every entry cached for the family
 * goes stale. Removals run side by side without a lock, so the stamp is
 * exchanged, not stored: each exchange reads the one before, so a thread
 * that reads the last stamp sees every removal made before any of them
 * (a plain store could replace a stamp whose removal the storing thread
 * has not seen, and let a lookup cache that removed child under it). */
static void new_stamp(struct promc_metric *m)
{
    /* Stamps come in blocks, so that label churn on several threads does
     * not share the counter's line: blocks are disjoint, stamps unique. */
    enum { BLOCK = 1024 };
    struct promc__thread_state *ts = promc__thread_state();
    uint64_t stamp;
    if (!ts)
        stamp = promc__new_family_id();
    else {
        if (ts->stamp_next == ts->stamp_end) {
            ts->stamp_next =
                atomic_fetch_add_explicit(&next_family_id, BLOCK, memory_order_relaxed);
            ts->stamp_end = ts->stamp_next + BLOCK;
        }
        stamp = ts->stamp_next++;
    }
    atomic_exchange_explicit(&m->gen, stamp, memory_order_acq_rel);
}

/* An entry is found by one of two keys. Most callers pass the same strings
 * (literals, a table of routes) for the same child every time, so the
 * first key is where the values are: no byte of them is hashed, which for
 * values of a dozen bytes is half the cost of a hit. A caller that formats
 * values into the same buffer each time gets the same pointers for
 * different values: its entries go under the second key, the values' hash.
 * Whatever the key, an entry is trusted only when its stamp is the
 * family's and its child's values are the ones asked for. */
static inline uint32_t pointer_key(const char *const *values, size_t n)
{
    uint64_t k = UINT64_C(0x9E3779B97F4A7C15) ^ n;
    for (size_t i = 0; i < n; i++) {
        k = (k ^ (uintptr_t)values[i]) * UINT64_C(0xBF58476D1CE4E5B9);
        k ^= k >> 31;
    }
    return (uint32_t)(k ^ (k >> 32));
}

/* The child cached under key for these values, or NULL; *reused (if not
 * NULL) tells whether an entry of this family had the key with other
 * values, so the pointers were reused; makes the copy of the values on a
 * first hit. Inlined by force: gcc made it a call (six registers saved and
 * restored), a fifth of a cache hit's instructions. */
static inline __attribute__((always_inline)) struct promc__child *
cache_find(struct promc_metric *m, struct promc__lookup_set *set, const char *const *values,
           size_t n, uint32_t key, bool *reused)
{
    uint64_t stamp = atomic_load_explicit(&m->gen, memory_order_acquire);
    /* The ways whose key matches, found without a branch: which way holds
     * a child is as random as the lookups' order, and a search that
     * stopped at it mispredicted most hits of a family of 100 children. */
    _Static_assert(PROMC__LOOKUP_WAYS == 4, "the ways compared below");
    unsigned ways = (unsigned)(set->key[0] == key) | (unsigned)(set->key[1] == key) << 1 |
                    (unsigned)(set->key[2] == key) << 2 | (unsigned)(set->key[3] == key) << 3;
    for (; ways; ways &= ways - 1) {
        unsigned w = (unsigned)__builtin_ctz(ways);
        if (set->e[w].stamp != stamp)
            continue;
        if ((unsigned char)set->raw[w][0] != 0xFF) {
            if (same_values_raw(set->raw[w], values, n))
                return set->e[w].child;
        } else if (same_values_hit(m, set->e[w].child, values, n)) {
            copy_values_raw(set->raw[w], values, n); /* for the next hit */
            return set->e[w].child;
        }
        if (reused)
            *reused = true;
    }
    return NULL;
}

/* The child a removal finds cached under key for these values, or NULL:
 * as cache_find, but from the set's newest entry backwards, comparing
 * values byte by byte, and without a copy (the entry goes stale with the
 * removal). Label churn removes the child the lookup before just put
 * there: a search from the first way ended at a different way every
 * cycle, a mispredicted branch, and same_values_hit's strlen call
 * lengthened what the removal's atomic OR waits for (together 6 ns of 57
 * a cycle). Apart from cache_find, so that lookups' hits compile as they
 * did. */
static struct promc__child *cache_find_removal(struct promc_metric *m,
                                               const struct promc__lookup_set *set,
                                               const char *const *values, size_t n, uint32_t key)
{
    uint64_t stamp = atomic_load_explicit(&m->gen, memory_order_acquire);
    for (unsigned i = 1; i <= PROMC__LOOKUP_WAYS; i++) {
        unsigned w = (set->next - i) % PROMC__LOOKUP_WAYS;
        if (set->key[w] == key && set->e[w].stamp == stamp &&
            ((unsigned char)set->raw[w][0] != 0xFF
                 ? same_values_raw(set->raw[w], values, n)
                 : same_values_chain(m, set->e[w].child, values, n)))
            return set->e[w].child;
    }
    return NULL;
}

/* Remembers a lookup in its set, the entry there longest making way. */
static inline void cache_put(struct promc__lookup_set *set, uint64_t stamp, struct promc__child *c,
                             uint32_t h)
{
    unsigned w = set->next++ % PROMC__LOOKUP_WAYS;
    set->key[w] = h;
    set->e[w] = (struct promc__lookup_entry){stamp, c};
    set->raw[w][0] = (char)0xFF; /* copied on the first hit */
}

/* Counts one more live child, unless the family is at its limit
 * (PROMC_ELIMIT, counted as refused). The count goes up first and back
 * down when over, so threads bringing children back side by side, without
 * the lock, never take a family past its limit together. Only a family
 * with a limit keeps the count (metric.h): for the others, label churn
 * saves two atomic read-modify-writes a cycle, and promc__family_live
 * counts by walking. */
static int reserve_live(struct promc_metric *m)
{
    if (!m->max_children)
        return PROMC_OK;
    size_t live = atomic_fetch_add_explicit(&m->nlive, 1, memory_order_relaxed);
    if (live >= m->max_children) {
        atomic_fetch_sub_explicit(&m->nlive, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&m->refused, 1, memory_order_relaxed);
        return promc__fail(PROMC_ELIMIT, "metric \"%s\": child limit of %zu reached", m->desc.name,
                           m->max_children);
    }
    return PROMC_OK;
}

/* Counts n children fewer live (removed, or never made live). */
static void unreserve_live(struct promc_metric *m, size_t n)
{
    if (m->max_children)
        atomic_fetch_sub_explicit(&m->nlive, n, memory_order_relaxed);
}

/* A removed child looked up again comes back as a new series would: at
 * zero, created now -- client_golang's behaviour for a deleted child
 * created again -- but with the same memory, in its old place in the
 * creation order, so that removing and recreating children (label churn, a
 * collector that clears and refills a family on every poll) does not add
 * up, and a handle kept from before counts into the series again. c is
 * busy, taken by this thread (child_take), so no other thread resets,
 * frees or removes it meanwhile, and it need not hold the family's lock:
 * resetting may take the type's own locks, and may not run inside a read
 * section (grace.h). The count goes up before the child is live, so a
 * removal racing in after cannot take it below zero. Returns c, or NULL at
 * the child limit (c is removed again). Inlined by force, as table_find:
 * label churn takes both on every cycle (with both calls, 1.5 ns more of
 * 51). */
static inline __attribute__((always_inline)) struct promc__child *revive(struct promc_metric *m,
                                                                         struct promc__child *c)
{
    uint32_t hash = promc__child_hash(c);
    if (reserve_live(m) != PROMC_OK) {
        atomic_store_explicit(&c->hash_removed, hash | PROMC__CHILD_REMOVED, memory_order_release);
        return NULL;
    }
    if (m->ops->reset_child)
        m->ops->reset_child(m, c);
    atomic_store_explicit(&c->created, promc__now_coarse(), memory_order_relaxed);
    atomic_store_explicit(&c->hash_removed, hash, memory_order_release);
    promc__ok();
    return c;
}

/* Waits while c is busy. Called under the family's lock, where no reclaim
 * can hold it: another thread is bringing it back, which takes a reset, a
 * few hundred instructions; spin a little, then let that thread run. */
static void wait_not_busy(const struct promc__child *c)
{
    for (unsigned spins = 0;
         atomic_load_explicit(&c->hash_removed, memory_order_acquire) & PROMC__CHILD_BUSY; spins++)
        if (spins >= 64)
            sched_yield();
}

/* PROMC_EINVAL when a value is not valid UTF-8. Only values that match no
 * child need the check: every child's values passed it. */
static int check_utf8(struct promc_metric *m, const char *const *values)
{
    for (size_t i = 0; i < m->nlabels; i++)
        if (!promc__valid_utf8(values[i], strlen(values[i])))
            return promc__fail(PROMC_EINVAL,
                               "metric \"%s\": value of label \"%s\" is not valid UTF-8",
                               m->desc.name, m->label_names[i]);
    return PROMC_OK;
}

/* The slow path of a lookup, under the write lock: creates the child, or
 * brings back a removed one the probe could not take (revive, after the
 * lock is released). seen: the removed child with these values the probe
 * found, read after the family's stamp was seen_stamp; NULL if it
 * found none. While the stamp is unchanged, nothing was reclaimed since
 * (reclaim gives a new stamp before it frees), so seen is still the
 * values' child and need not be looked for again (label churn brings
 * removed children back all the time). */
static struct promc__child *insert(struct promc_metric *m, const char *const *values, uint32_t h,
                                   struct promc__child *seen, uint64_t seen_stamp)
{
    if (!seen && check_utf8(m, values) != PROMC_OK)
        return NULL;
    if (lock_family(m, true, "add a child") != PROMC_OK)
        return NULL;
    struct promc__table *old = NULL;
    struct promc__child *c =
        seen && atomic_load_explicit(&m->gen, memory_order_relaxed) == seen_stamp
            ? seen
            : table_find(m, values, h);
    if (c) {
        /* Live, removed, or being brought back by another thread. */
        for (;;) {
            if (!child_removed(c)) {
                promc__ok();
                break;
            }
            if (child_take(c)) {
                pthread_rwlock_unlock(&m->lock);
                return revive(m, c);
            }
            wait_not_busy(c);
        }
        goto out;
    }
    if (reserve_live(m) != PROMC_OK)
        goto out;
    c = promc__child_new(m, values, h);
    if (c && table_add(m, c, &old) != PROMC_OK) {
        promc__child_free(m, c);
        c = NULL;
        promc__fail(PROMC_ENOMEM, "metric \"%s\": out of memory for a new child", m->desc.name);
    }
    if (!c) {
        unreserve_live(m, 1);
        goto out;
    }
    promc__child_append(m, c);
    promc__ok();
out:
    pthread_rwlock_unlock(&m->lock);
    if (old && promc__grace_wait()) /* else leaked: see promc__grace_wait */
        promc__free(old);
    return c;
}

struct promc__child *promc__family_labels(struct promc_metric *m, const char *const *values,
                                          size_t n)
{
    /* The hit path: count and NULLs checked inline, errors explained below. */
    if (n != m->nlabels || (n && !values)) {
        check_values(m, values, n);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!values[i]) {
            check_values(m, values, n);
            return NULL;
        }

    struct promc__thread_state *ts = promc__thread_state();
    uint32_t pk = 0;
    bool reused = false;
    if (ts) {
        pk = pointer_key(values, n);
        struct promc__child *c =
            cache_find(m, &ts->lookup[pk & (PROMC__LOOKUP_SETS - 1)], values, n, pk, &reused);
        if (c) {
            promc__ok();
            return c;
        }
    }
    uint32_t h = hash_values(values, n);
    struct promc__lookup_set *set = ts ? &ts->lookup[h & (PROMC__LOOKUP_SETS - 1)] : NULL;
    if (set && reused) { /* entries go under the hash only when pointers are reused */
        struct promc__child *c = cache_find(m, set, values, n, h, NULL);
        if (c) {
            promc__ok();
            return c;
        }
    }

    /* The stamp is read before the probe: see insert(), and an entry put
     * under it goes stale with any removal the probe did not see. */
    uint64_t stamp = atomic_load_explicit(&m->gen, memory_order_acquire);
    struct promc__child *c;
    if (ts) {
        promc__read_begin(ts);
        c = table_find(m, values, h);
    } else {                           /* no thread state (out of memory): under the read lock */
        bool lock = !is_collecting(m); /* a writer of its scrape holds it already */
        if (lock && lock_family(m, false, "look up a child") != PROMC_OK)
            return NULL;
        c = table_find(m, values, h);
        if (lock)
            pthread_rwlock_unlock(&m->lock);
    }
    struct promc__child *seen = NULL, *taken = NULL;
    if (c && child_removed(c)) {
        /* Removed: taken here, inside the section (a reclaim cannot free
         * it meanwhile, and once busy it cannot take it), it is brought
         * back after, without the family's lock. Failing that, it is
         * busy, or live again: the lock decides. */
        if (ts && child_take(c))
            taken = c;
        else
            seen = c;
        c = NULL;
    }
    if (c && set) {
        if (reused)
            cache_put(set, stamp, c, h);
        else
            cache_put(&ts->lookup[pk & (PROMC__LOOKUP_SETS - 1)], stamp, c, pk);
    }
    if (ts)
        promc__read_end(ts);
    if (c) {
        promc__ok();
        return c;
    }
    c = taken ? revive(m, taken) : insert(m, values, h, seen, stamp);
    /* Live since the stamp was read: remembered, for the next lookup and
     * for a removal (label churn removes what it just made). */
    if (c && set) {
        if (reused)
            cache_put(set, stamp, c, h);
        else
            cache_put(&ts->lookup[pk & (PROMC__LOOKUP_SETS - 1)], stamp, c, pk);
    }
    return c;
}

/* Marks the child with these values removed; PROMC_ENOENT when there is
 * no live one. The probe decides without the lock when it finds the child
 * live; anything else is decided under the lock (the probe may have met a
 * table being rebuilt, or a removed child that a reclaim and a new child
 * replaced while it looked). */
static int remove_child(struct promc_metric *m, const char *const *values, size_t n)
{
    struct promc__thread_state *ts = promc__thread_state();
    struct promc__child *c = NULL;
    bool removed = false, hashed = false;
    uint32_t h = 0;
    if (ts) {
        /* The cache first (read inside the section: a reclaim gives a new
         * stamp before its grace period, so an entry still trusted here
         * holds a child not yet freed), then the table. */
        promc__read_begin(ts);
        uint32_t pk = pointer_key(values, n);
        c = cache_find_removal(m, &ts->lookup[pk & (PROMC__LOOKUP_SETS - 1)], values, n, pk);
        if (!c) {
            h = hash_values(values, n);
            hashed = true;
            c = table_find(m, values, h);
        }
        removed = c && child_mark_removed(c);
        promc__read_end(ts);
    }
    if (!removed) {
        if (!hashed)
            h = hash_values(values, n);
        int rc = lock_family(m, true, "remove a child");
        if (rc != PROMC_OK)
            return rc;
        c = table_find(m, values, h);
        removed = c && child_mark_removed(c);
        pthread_rwlock_unlock(&m->lock);
    }
    if (removed) {
        unreserve_live(m, 1);
        new_stamp(m);
        return promc__ok();
    }
    if (!c && check_utf8(m, values) != PROMC_OK) /* as labels() */
        return PROMC_EINVAL;
    return promc__fail(PROMC_ENOENT, "metric \"%s\": no child with these label values",
                       m->desc.name);
}

int promc__family_remove(struct promc_metric *m, const char *const *values, size_t n)
{
    int rc = check_values(m, values, n);
    if (rc != PROMC_OK)
        return rc;
    /* A writer of this family's scrape may not change it (see lock_family). */
    if (ncollecting && is_collecting(m))
        return refuse_in_writer(m, "remove a child");
    return remove_child(m, values, n);
}

int promc__family_clear(struct promc_metric *m)
{
    int rc = lock_family(m, true, "clear it");
    if (rc != PROMC_OK)
        return rc;
    size_t removed = 0;
    for (struct promc__child *c = atomic_load_explicit(&m->first, memory_order_relaxed); c;
         c = atomic_load_explicit(&c->next, memory_order_relaxed))
        if (child_mark_removed(c))
            removed++;
    if (removed) {
        unreserve_live(m, removed);
        new_stamp(m);
    }
    pthread_rwlock_unlock(&m->lock);
    return promc__ok();
}

int promc__family_remove_if(struct promc_metric *m, promc__child_match_fn match, void *ctx,
                            size_t *removed)
{
    *removed = 0;
    int rc = lock_family(m, true, "remove children");
    if (rc != PROMC_OK)
        return rc;
    size_t n = 0;
    for (struct promc__child *c = atomic_load_explicit(&m->first, memory_order_relaxed); c;
         c = atomic_load_explicit(&c->next, memory_order_relaxed))
        if (!child_removed(c) && match(m, c, ctx) && child_mark_removed(c))
            n++;
    if (n) {
        unreserve_live(m, n);
        new_stamp(m);
    }
    pthread_rwlock_unlock(&m->lock);
    *removed = n;
    return promc__ok();
}

int promc__family_reclaim(struct promc_metric *m)
{
    int rc = lock_family(m, true, "reclaim removed children");
    if (rc != PROMC_OK)
        return rc;
    struct promc__table *t = atomic_load_explicit(&m->table, memory_order_relaxed);
    /* The unlinked children are kept on a list through their family
     * pointer, not next: a count walking the list without the lock may
     * stand on one, and goes on from there through its next (the child
     * after it, whether or not it is unlinked too). Nothing else reads the
     * family pointer of a child with no handle in use. */
    struct promc__child *dead = NULL;
    struct promc__child *prev = NULL, *c = atomic_load_explicit(&m->first, memory_order_relaxed);
    while (c) {
        struct promc__child *next = atomic_load_explicit(&c->next, memory_order_relaxed);
        /* Taken (busy), a removed child is this reclaim's: no lookup brings
         * it back now (one that tries goes to the lock, and finds it gone). */
        if (t && child_take(c)) {
            /* A probe that read c's slot before still holds c, not freed
             * until after the grace period. */
            promc__table_drop(t, c);
            if (prev)
                atomic_store_explicit(&prev->next, next, memory_order_release);
            else
                atomic_store_explicit(&m->first, next, memory_order_release);
            if (m->last == c)
                m->last = prev;
            m->ntotal--;
            c->family = (struct promc_metric *)dead;
            dead = c;
        } else {
            prev = c;
        }
        c = next;
    }
    if (dead) /* entries of detached children are stale already; this is belt and braces */
        new_stamp(m);
    pthread_rwlock_unlock(&m->lock);
    /* Probes may still stand on them; if no grace period can end, they are
     * leaked (see promc__grace_wait). */
    if (dead && !promc__grace_wait())
        dead = NULL;
    while (dead) {
        struct promc__child *next = (struct promc__child *)dead->family;
        dead->family = m;
        promc__child_free(m, dead);
        dead = next;
    }
    return promc__ok();
}

/* The children not removed, one by one (a busy child is removed). */
static size_t count_live(struct promc_metric *m)
{
    size_t n = 0;
    for (struct promc__child *c = atomic_load_explicit(&m->first, memory_order_acquire); c;
         c = atomic_load_explicit(&c->next, memory_order_acquire))
        n += !child_removed(c);
    return n;
}

size_t promc__family_live(const struct promc_metric *m)
{
    /* Never waits: the count is read without a lock, or the children are
     * walked inside a read section (reclaim frees what it unlinks after a
     * grace period; a thread writing a family out holds its read lock, and
     * could not take it again). */
    if (m->max_children || !m->nlabels)
        return atomic_load_explicit(&m->nlive, memory_order_relaxed);
    struct promc_metric *fm = (struct promc_metric *)m;
    struct promc__thread_state *ts = promc__thread_state();
    size_t n;
    if (ts) {
        promc__read_begin(ts);
        n = count_live(fm);
        promc__read_end(ts);
    } else {
        promc__read_begin_spare();
        n = count_live(fm);
        promc__read_end_spare();
    }
    return n;
}

/* ===================================================================== */
/* Scrape                                                                 */
/* ===================================================================== */

/* Copies n bytes (short label values and pieces, mostly) without a call:
 * overlapping words for up to 16 bytes, memcpy beyond. */
static inline void copy_short(char *dst, const char *src, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t a = load64(src), b = load64(src + n - 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a = (uint32_t)load32(src), b = (uint32_t)load32(src + n - 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else if (n < 4) {
        for (size_t j = 0; j < n; j++)
            dst[j] = src[j];
    } else {
        memcpy(dst, src, n);
    }
}

/* The first quote at or after q, which comes before end or is at it: a
 * word at a time while a whole word is left (the classic byte test finds
 * the lowest match exactly, so on a little-endian machine), then byte by
 * byte. */
static inline const char *find_quote(const char *q, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; end - q >= 8; q += 8) {
        uint64_t hit = has_byte(load64(q), '"');
        if (hit)
            return q + (__builtin_ctzll(hit) >> 3);
    }
#endif
    while (*q != '"')
        q++;
    return q;
}

/* The closing quote of the escaped value at p, whose values text ends at
 * end: the first quote after an even number of backslashes. */
static inline const char *value_end(const char *p, const char *end)
{
    for (const char *q = p;; q++) {
        q = find_quote(q, end);
        size_t bs = 0;
        while (q - bs > p && q[-1 - (ptrdiff_t)bs] == '\\')
            bs++;
        if (!(bs & 1))
            return q;
    }
}

const char *promc__value_end(const char *p, const char *end)
{
    return value_end(p, end);
}

/* The labels view of a family's children, their label body aside: for an
 * unlabelled family the constant labels, which are its body. */
static struct promc__labels family_labels(const struct promc_metric *m)
{
    struct promc__labels ls = {m->const_rendered,
                               m->const_rendered_len,
                               m->nlabels + m->nconst,
                               (const char *const *)m->label_names,
                               NULL,
                               m->utf8_labels};
    return ls;
}

/* Writes the label body of c, a child of a labelled family, to buf (room
 * for promc__child_labels_size(c) bytes) and returns its length. Inlined
 * into the scrape's walk. */
static inline __attribute__((always_inline)) size_t
child_body(const struct promc_metric *m, const struct promc__child *c, char *buf)
{
    const char *v = promc__child_values(c), *end = v + c->rendered_len;
    char *p = buf;
    size_t last = m->nlabels - 1;
    for (size_t i = 0; i < last; i++) {
        size_t piece = m->piece_off[i + 1] - m->piece_off[i];
        copy_short(p, m->pieces + m->piece_off[i], piece);
        p += piece;
        size_t len = (size_t)(value_end(v, end) - v) + 1; /* with its quote */
        copy_short(p, v, len);
        p += len;
        v += len;
    }
    /* The last value runs to the end of the values text. */
    size_t piece = m->piece_off[last + 1] - m->piece_off[last];
    copy_short(p, m->pieces + m->piece_off[last], piece);
    p += piece;
    copy_short(p, v, (size_t)(end - v));
    p += end - v;
    size_t tail = m->labels_extra - m->piece_off[last + 1];
    if (tail) {
        copy_short(p, m->pieces + m->piece_off[last + 1], tail);
        p += tail;
    }
    *p = '\0';
    return (size_t)(p - buf);
}

struct promc__labels promc__child_labels(const struct promc__child *c, char *buf)
{
    const struct promc_metric *m = c->family;
    struct promc__labels ls = family_labels(m);
    if (m->nlabels) {
        ls.rendered_len = child_body(m, c, buf);
        ls.rendered = buf;
    }
    return ls;
}

void promc__family_collect(struct promc_metric *m, struct promc__sink *s)
{
    promc__sink_family(s, &m->desc);
    /* A nested scrape (from a writer) of a registry that also holds this
     * family walks it under the read lock the thread already has. */
    bool lock = !is_collecting(m);
    if (lock && lock_family(m, false, "write it out") != PROMC_OK) {
        s->error = PROMC_ESTATE;
        return;
    }
    bool pushed = ncollecting < MAX_COLLECTING;
    if (pushed)
        collecting[ncollecting++] = m;
    /* Each child's label body is put together here, in a buffer that grows
     * to the longest. */
    char small[512], *buf = small;
    size_t cap = sizeof small;
    struct promc__labels ls = family_labels(m);
    for (struct promc__child *c = atomic_load_explicit(&m->first, memory_order_relaxed);
         c && !s->error; c = atomic_load_explicit(&c->next, memory_order_relaxed)) {
        if (child_removed(c))
            continue;
        if (m->nlabels) {
            size_t need = promc__child_labels_size(c);
            if (need > cap) {
                char *bigger = promc__malloc(need);
                if (!bigger) {
                    s->error =
                        promc__fail(PROMC_ENOMEM, "metric \"%s\": out of memory for a label body",
                                    m->desc.name);
                    break;
                }
                if (buf != small)
                    promc__free(buf);
                buf = bigger;
                cap = need;
            }
            ls.rendered_len = child_body(m, c, buf);
            ls.rendered = buf;
        }
        m->ops->child_series(m, c, s, &ls);
    }
    if (buf != small)
        promc__free(buf);
    if (pushed)
        ncollecting--;
    if (lock)
        pthread_rwlock_unlock(&m->lock);
}
