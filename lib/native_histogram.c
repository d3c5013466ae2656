/*
 * Native histogram counts: client_golang 1.14's hot/cold scheme with sparse
 * buckets, in C.
 *
 * Two count sets, each with its own bucket table, schema and zero threshold.
 * An observer increments its stripe's count_and_hot (which also says which
 * set is hot), adds to that set's classic bucket, to its stripe's sum of the
 * set and to the set's native bucket (or zero bucket), and finally, with
 * release, to its stripe's count of the set: the observation is then
 * complete. A flip (scrape, reset, bucket-limit step; all under `flip`) adds
 * the hot bit to every stripe, waits until each stripe's count of the old
 * hot set reaches the observations started on that stripe before its flip,
 * and from then on that set is quiescent: nobody writes it until the next
 * flip makes it hot again. So the cold set can be read, cleared or rebuilt
 * freely under `flip`; only the hot set is shared with observers.
 *
 * Stripes: threads are dealt one of PROMC__NATIVE_STRIPES stripes each, in
 * turn, so that two threads observing one series do not take turns on one
 * cache line for the started count, the sum and the completed count (three
 * of an observation's four atomic operations); only a bucket they both hit
 * is shared. Each stripe's counts are those of client_golang's one set of
 * them, and a stripe is flipped as client_golang flips its one: an
 * observation lands whole in the set its stripe made hot, and a flip's
 * snapshot is the union of each stripe's. The buckets, the schema, the zero
 * bucket and so the bucket limit stay shared: the limit strategy sees every
 * bucket of the series as client_golang's does, and a single-threaded
 * series (one stripe) gives its very sums.
 *
 * The bucket table of a set is open addressing over pointers to nodes
 * {key, sign, count}; nodes live in chunks that never move. Finding an
 * existing bucket is a lock-free probe (acquire loads), so an observation
 * into an existing bucket takes no lock and allocates nothing: four atomic
 * read-modify-writes, as client_golang's. A new bucket takes `grow` (never
 * held while waiting for anything), probes again, and allocates a node --
 * and, at half load, a table twice the size, published with a release store.
 * The outgrown table stays readable for observers still probing it and is
 * freed once its set is cold. A scrape folds the cold set into the hot one
 * and keeps the cold set's nodes with zero counts (as client_golang keeps its
 * map keys), so after a flip the new hot set already has every bucket.
 *
 * The snapshot: count is the number of observations started before the flip
 * (all complete), sum and every bucket belong to exactly those; count equals
 * zero_count plus the native buckets plus the NaN observations (client_golang
 * puts NaN in _count and _sum only).
 *
 * Bucket limit (client_golang's limitBuckets): after an observation, if the
 * set holds more buckets than the maximum, one step, in this order: reset
 * everything if min_reset has passed since the last reset; else widen the
 * zero bucket over the lowest bucket if that stays within max_zero_threshold;
 * else halve the resolution (schema - 1, never below -4). A step builds the
 * new state in the cold set, flips, and merges the old hot set into it. When
 * no step helps, stuck_at remembers the bucket number, so observations into
 * existing buckets do not take the lock for nothing until a bucket or a
 * flip changes the picture (or a reset becomes due).
 *
 * Exemplars (client_golang 1.21's nativeExemplars): a set of a few, beside
 * the counts, made on the first one and kept spread over the values by
 * promc__xset_add_spread under the set's own lock. A scrape copies them
 * before it flips; the bucket limit leaves them alone, as client_golang's
 * does; promc__native_reset drops them.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "native_buckets.h"
#include "native_histogram.h"
#include "thread_state.h"

#define HOT_BIT  (UINT64_C(1) << 63)
#define NSTRIPES PROMC__NATIVE_STRIPES

typedef struct promc__native_stripe stripe_t;

/* The calling thread's stripe + 1 (0: not dealt yet). */
static _Thread_local unsigned my_stripe PROMC__TLS;
static atomic_uint next_stripe;

static stripe_t *stripe_of_thread(struct promc__native *nh)
{
    unsigned i = my_stripe;
    if (!i)
        my_stripe = i =
            atomic_fetch_add_explicit(&next_stripe, 1, memory_order_relaxed) % NSTRIPES + 1;
    return &nh->stripes[i - 1];
}

struct promc__native_node {
    int32_t key;
    int32_t sign; /* +1 or -1 */
    _Atomic uint64_t count;
};

struct promc__native_chunk {
    struct promc__native_chunk *next;
    uint32_t cap, used;
    struct promc__native_node nodes[];
};

struct promc__native_table {
    struct promc__native_table *retired_next;
    uint32_t bits; /* 2^bits slots */
    uint32_t used;
    _Atomic(struct promc__native_node *) slots[];
};

struct promc__native_entry {
    int32_t key;
    int32_t sign;
    uint64_t count;
};

typedef struct promc__native_node node_t;
typedef struct promc__native_set set_t;
typedef struct promc__native_table table_t;

/* ===================================================================== */
/* Bucket table                                                           */
/* ===================================================================== */

static uint32_t slot_of(int32_t key, int32_t sign, uint32_t bits)
{
    uint32_t h = (((uint32_t)key << 1) | (sign < 0)) * UINT32_C(0x9E3779B1);
    return h >> (32 - bits);
}

/* Lock-free: nodes are fully written before their slot is published. A
 * table is at most half full, so the probe ends at an empty slot. */
static node_t *lookup(table_t *t, int32_t key, int32_t sign)
{
    if (!t)
        return NULL;
    uint32_t mask = (UINT32_C(1) << t->bits) - 1;
    for (uint32_t i = slot_of(key, sign, t->bits);; i = (i + 1) & mask) {
        node_t *n = atomic_load_explicit(&t->slots[i], memory_order_acquire);
        if (!n || (n->key == key && n->sign == sign))
            return n;
    }
}

static void place(table_t *t, node_t *n)
{
    uint32_t mask = (UINT32_C(1) << t->bits) - 1;
    uint32_t i = slot_of(n->key, n->sign, t->bits);
    while (atomic_load_explicit(&t->slots[i], memory_order_relaxed))
        i = (i + 1) & mask;
    atomic_store_explicit(&t->slots[i], n, memory_order_release);
    t->used++;
}

/* A table twice the size with the same nodes, published; the old one is
 * retired (observers may still be probing it). Under `grow`. */
static table_t *grow_table(set_t *s, table_t *old)
{
    uint32_t bits = old ? old->bits + 1 : 4;
    table_t *t = promc__calloc(1, sizeof *t + ((size_t)1 << bits) * sizeof t->slots[0]);
    if (!t)
        return NULL;
    t->bits = bits;
    if (old) {
        for (size_t i = 0; i < ((size_t)1 << old->bits); i++) {
            node_t *n = atomic_load_explicit(&old->slots[i], memory_order_relaxed);
            if (n)
                place(t, n);
        }
        old->retired_next = s->retired;
        s->retired = old;
    }
    atomic_store_explicit(&s->table, t, memory_order_release);
    return t;
}

static node_t *new_node(set_t *s, int32_t key, int32_t sign)
{
    struct promc__native_chunk *c = s->chunks;
    if (!c || c->used == c->cap) {
        uint32_t cap = c ? (c->cap < 1024 ? 2 * c->cap : 1024) : 8;
        struct promc__native_chunk *nc = promc__malloc(sizeof *nc + cap * sizeof(node_t));
        if (!nc)
            return NULL;
        nc->next = c;
        nc->cap = cap;
        nc->used = 0;
        s->chunks = c = nc;
    }
    node_t *n = &c->nodes[c->used++];
    n->key = key;
    n->sign = sign;
    atomic_init(&n->count, 0);
    return n;
}

/* The node of (key, sign), created if missing; NULL when out of memory.
 * Under `grow` (or with the set cold). */
static node_t *insert(set_t *s, int32_t key, int32_t sign)
{
    table_t *t = atomic_load_explicit(&s->table, memory_order_relaxed);
    node_t *n = lookup(t, key, sign);
    if (n)
        return n;
    if (!t || (t->used + 1) * 2 > (UINT32_C(1) << t->bits)) {
        t = grow_table(s, t);
        if (!t)
            return NULL;
    }
    n = new_node(s, key, sign);
    if (!n)
        return NULL;
    place(t, n);
    atomic_fetch_add_explicit(&s->nbuckets, 1, memory_order_relaxed);
    return n;
}

static void free_retired(set_t *s)
{
    while (s->retired) {
        table_t *next = s->retired->retired_next;
        promc__free(s->retired);
        s->retired = next;
    }
}

/* Drops every bucket of a cold set (the table keeps its size). */
static void clear_buckets(set_t *s)
{
    while (s->chunks) {
        struct promc__native_chunk *next = s->chunks->next;
        promc__free(s->chunks);
        s->chunks = next;
    }
    table_t *t = atomic_load_explicit(&s->table, memory_order_relaxed);
    if (t) {
        for (size_t i = 0; i < ((size_t)1 << t->bits); i++)
            atomic_store_explicit(&t->slots[i], NULL, memory_order_relaxed);
        t->used = 0;
    }
    free_retired(s);
    atomic_store_explicit(&s->nbuckets, 0, memory_order_relaxed);
}

/* Every count of a cold set back to zero, schema and threshold to the
 * configured ones (client_golang's resetCounts); its stripes' count and sum
 * are reset_stripes'. */
static void reset_set(set_t *s, const struct promc__native_config *cfg)
{
    clear_buckets(s);
    atomic_store_explicit(&s->zero_count, 0, memory_order_relaxed);
    atomic_store_explicit(&s->zero_threshold_bits, promc__double_to_bits(cfg->zero_threshold),
                          memory_order_relaxed);
    atomic_store_explicit(&s->schema, cfg->schema, memory_order_relaxed);
    for (size_t i = 0; i < cfg->nclassic; i++)
        atomic_store_explicit(&s->classic[i], 0, memory_order_relaxed);
}

/* The stripes' count and sum of cold set idx back to zero. */
static void reset_stripes(struct promc__native *nh, unsigned idx)
{
    for (unsigned i = 0; i < NSTRIPES; i++) {
        atomic_store_explicit(&nh->stripes[i].count[idx], 0, memory_order_relaxed);
        atomic_store_explicit(&nh->stripes[i].sum_bits[idx], 0, memory_order_relaxed);
    }
}

/* ===================================================================== */
/* Life cycle                                                             */
/* ===================================================================== */

size_t promc__native_size(size_t nclassic)
{
    return sizeof(struct promc__native) + 2 * nclassic * sizeof(uint64_t);
}

void promc__native_init(struct promc__native *nh, const struct promc__native_config *cfg)
{
    _Atomic uint64_t *classic = (_Atomic uint64_t *)(nh + 1);
    pthread_mutex_init(&nh->flip, NULL);
    pthread_mutex_init(&nh->grow, NULL);
    for (unsigned i = 0; i < NSTRIPES; i++) {
        stripe_t *st = &nh->stripes[i];
        atomic_init(&st->count_and_hot, 0);
        for (int k = 0; k < 2; k++) {
            atomic_init(&st->count[k], 0);
            atomic_init(&st->sum_bits[k], 0);
        }
    }
    atomic_init(&nh->stuck_at, 0);
    atomic_init(&nh->last_reset_ns, promc__mono_ns());
    nh->nclassic = cfg->nclassic;
    for (int i = 0; i < 2; i++) {
        set_t *s = &nh->sets[i];
        s->classic = classic + (size_t)i * cfg->nclassic;
        atomic_init(&s->zero_threshold_bits, promc__double_to_bits(cfg->zero_threshold));
        atomic_init(&s->schema, cfg->schema);
        atomic_init(&s->table, NULL);
    }
    atomic_init(&nh->exemplars, NULL);
}

void promc__native_fini(struct promc__native *nh)
{
    for (int i = 0; i < 2; i++) {
        clear_buckets(&nh->sets[i]);
        promc__free(atomic_load_explicit(&nh->sets[i].table, memory_order_relaxed));
    }
    promc__xset_free(atomic_load_explicit(&nh->exemplars, memory_order_acquire));
    pthread_mutex_destroy(&nh->flip);
    pthread_mutex_destroy(&nh->grow);
}

/* ===================================================================== */
/* Observing                                                              */
/* ===================================================================== */

static void add_native(struct promc__native *nh, set_t *s, double v)
{
    int32_t schema = atomic_load_explicit(&s->schema, memory_order_relaxed);
    double zt =
        promc__bits_to_double(atomic_load_explicit(&s->zero_threshold_bits, memory_order_relaxed));
    int32_t key;
    int sign = promc__native_locate(v, schema, zt, &key);
    if (!sign) {
        atomic_fetch_add_explicit(&s->zero_count, 1, memory_order_relaxed);
        return;
    }
    node_t *n = lookup(atomic_load_explicit(&s->table, memory_order_acquire), key, sign);
    if (!n) {
        pthread_mutex_lock(&nh->grow);
        n = insert(s, key, sign);
        pthread_mutex_unlock(&nh->grow);
    }
    /* Out of memory for a new bucket: the observation still counts in
     * _count, _sum and the classic buckets, not in a native bucket. */
    if (n)
        atomic_fetch_add_explicit(&n->count, 1, memory_order_relaxed);
}

/* client_golang's histogramCounts.observe, into set idx through stripe st.
 * NaN goes to the sum and the count (and the classic +Inf bucket) only. The
 * release on the count completes the observation: a flip waiting for it
 * then sees everything above. */
static void set_observe(struct promc__native *nh, stripe_t *st, unsigned idx, size_t classic,
                        double v)
{
    set_t *s = &nh->sets[idx];
    /* The +Inf bucket (the last) is not counted: it is count minus the
     * others, as in client_golang; a native-only histogram saves an atomic. */
    if (classic + 1 < nh->nclassic)
        atomic_fetch_add_explicit(&s->classic[classic], 1, memory_order_relaxed);
    promc__atomic_add_double(&st->sum_bits[idx], v);
    if (v == v)
        add_native(nh, s, v);
    atomic_fetch_add_explicit(&st->count[idx], 1, memory_order_release);
}

/* Waits until set idx holds all the observations started[i] started on each
 * stripe i. Observers that started before a flip finish within a few
 * instructions (or one allocation); yield rather than burn the core while
 * they do. */
static void cooldown(struct promc__native *nh, unsigned idx, const uint64_t *started)
{
    for (unsigned i = 0; i < NSTRIPES; i++)
        while (atomic_load_explicit(&nh->stripes[i].count[idx], memory_order_acquire) != started[i])
            sched_yield();
}

/* Makes the cold set hot on every stripe; returns the old hot set's index,
 * the set now cold and complete, with *total the observations it holds.
 * Under `flip`, so every stripe has the same hot set. */
static unsigned flip(struct promc__native *nh, uint64_t *total)
{
    uint64_t started[NSTRIPES], n = 0;
    *total = 0;
    for (unsigned i = 0; i < NSTRIPES; i++) {
        n = atomic_fetch_add_explicit(&nh->stripes[i].count_and_hot, HOT_BIT, memory_order_acq_rel);
        started[i] = n & ~HOT_BIT;
        *total += started[i];
    }
    unsigned cold = (unsigned)(n >> 63);
    cooldown(nh, cold, started);
    atomic_store_explicit(&nh->stuck_at, 0, memory_order_relaxed);
    return cold;
}

/* Every stripe's hot set made idx, its started count `one` on stripe 0 and
 * 0 elsewhere; then waits for the observations started in the old hot set,
 * whose index it returns (a reset: they are discarded with it). Under
 * `flip`. */
static unsigned restart(struct promc__native *nh, unsigned idx, uint64_t one)
{
    uint64_t started[NSTRIPES], n = 0;
    for (unsigned i = 0; i < NSTRIPES; i++) {
        n = atomic_exchange_explicit(&nh->stripes[i].count_and_hot,
                                     ((uint64_t)idx << 63) + (i == 0 ? one : 0),
                                     memory_order_acq_rel);
        started[i] = n & ~HOT_BIT;
    }
    unsigned old = (unsigned)(n >> 63);
    cooldown(nh, old, started);
    return old;
}

/* The hot set's index; only under `flip`, which alone moves it. */
static unsigned hot_index(struct promc__native *nh)
{
    return (unsigned)(atomic_load_explicit(&nh->stripes[0].count_and_hot, memory_order_relaxed) >>
                      63);
}

/* addAndResetCounts: count, sum, zero bucket and classic buckets of set
 * `from` (cold) moved into set `to` (hot). */
static void fold_counts(struct promc__native *nh, const struct promc__native_config *cfg,
                        unsigned to, unsigned from)
{
    set_t *hot = &nh->sets[to], *cold = &nh->sets[from];
    for (unsigned i = 0; i < NSTRIPES; i++) {
        stripe_t *st = &nh->stripes[i];
        atomic_fetch_add_explicit(
            &st->count[to], atomic_exchange_explicit(&st->count[from], 0, memory_order_relaxed),
            memory_order_relaxed);
        uint64_t bits = atomic_exchange_explicit(&st->sum_bits[from], 0, memory_order_relaxed);
        if (bits)
            promc__atomic_add_double(&st->sum_bits[to], promc__bits_to_double(bits));
    }
    atomic_fetch_add_explicit(&hot->zero_count,
                              atomic_exchange_explicit(&cold->zero_count, 0, memory_order_relaxed),
                              memory_order_relaxed);
    for (size_t i = 0; i < cfg->nclassic; i++)
        atomic_fetch_add_explicit(
            &hot->classic[i], atomic_exchange_explicit(&cold->classic[i], 0, memory_order_relaxed),
            memory_order_relaxed);
}

/* Adds c to (key, sign) in the hot set. Under `grow`. */
static void add_to(set_t *hot, int32_t key, int32_t sign, uint64_t c)
{
    node_t *n = insert(hot, key, sign);
    if (n)
        atomic_fetch_add_explicit(&n->count, c, memory_order_relaxed);
}

#define FOR_EACH_NODE(s, n)                                                                        \
    for (struct promc__native_chunk *ch_ = (s)->chunks; ch_; ch_ = ch_->next)                      \
        for (node_t *n = ch_->nodes; n < ch_->nodes + ch_->used; n++)

/* ===================================================================== */
/* Bucket limit                                                           */
/* ===================================================================== */

static bool reset_due(struct promc__native *nh, const struct promc__native_config *cfg, int64_t now)
{
    return cfg->min_reset_ns &&
           now - atomic_load_explicit(&nh->last_reset_ns, memory_order_relaxed) >=
               cfg->min_reset_ns;
}

/* maybeReset: a fresh start holding only this observation (counted on
 * stripe 0, which restart() gives the one started observation). */
static bool maybe_reset(struct promc__native *nh, const struct promc__native_config *cfg,
                        unsigned hot, unsigned cold, size_t classic, double v)
{
    int64_t now = cfg->min_reset_ns ? promc__mono_ns() : 0;
    if (!reset_due(nh, cfg, now))
        return false;
    reset_set(&nh->sets[cold], cfg);
    reset_stripes(nh, cold);
    set_observe(nh, &nh->stripes[0], cold, classic, v);
    restart(nh, cold, 1);
    reset_set(&nh->sets[hot], cfg);
    reset_stripes(nh, hot);
    atomic_store_explicit(&nh->last_reset_ns, now, memory_order_relaxed);
    atomic_store_explicit(&nh->stuck_at, 0, memory_order_relaxed);
    return true;
}

/* maybeWidenZeroBucket: the lowest bucket (of either sign) joins the zero
 * bucket, whose threshold becomes that bucket's upper bound. */
static bool maybe_widen(struct promc__native *nh, const struct promc__native_config *cfg,
                        unsigned hot_idx, unsigned cold_idx)
{
    set_t *hot = &nh->sets[hot_idx], *cold = &nh->sets[cold_idx];
    double current = promc__bits_to_double(
        atomic_load_explicit(&hot->zero_threshold_bits, memory_order_relaxed));
    if (current >= cfg->max_zero_threshold)
        return false;
    int32_t smallest = INT32_MAX;
    pthread_mutex_lock(&nh->grow);
    FOR_EACH_NODE(hot, n)
    if (n->key < smallest)
        smallest = n->key;
    pthread_mutex_unlock(&nh->grow);
    if (smallest == INT32_MAX)
        return false;
    double threshold = promc__native_upper_bound(
        smallest, atomic_load_explicit(&hot->schema, memory_order_relaxed));
    if (threshold > cfg->max_zero_threshold)
        return false;
    uint64_t bits = promc__double_to_bits(threshold);
    clear_buckets(cold);
    atomic_store_explicit(&cold->zero_threshold_bits, bits, memory_order_relaxed);
    uint64_t started;
    set_t *old = &nh->sets[flip(nh, &started)]; /* == hot */
    fold_counts(nh, cfg, cold_idx, hot_idx);
    atomic_store_explicit(&old->zero_threshold_bits, bits, memory_order_relaxed);
    pthread_mutex_lock(&nh->grow);
    FOR_EACH_NODE(old, n)
    {
        uint64_t c = atomic_load_explicit(&n->count, memory_order_relaxed);
        if (n->key == smallest)
            atomic_fetch_add_explicit(&cold->zero_count, c, memory_order_relaxed);
        else
            add_to(cold, n->key, n->sign, c);
    }
    pthread_mutex_unlock(&nh->grow);
    clear_buckets(old);
    return true;
}

/* doubleBucketWidth: schema - 1, each pair of buckets merged into one. */
static bool double_width(struct promc__native *nh, const struct promc__native_config *cfg,
                         unsigned hot_idx, unsigned cold_idx)
{
    set_t *cold = &nh->sets[cold_idx];
    int32_t schema = atomic_load_explicit(&cold->schema, memory_order_relaxed);
    if (schema == PROMC__NATIVE_SCHEMA_MIN)
        return false;
    schema--;
    clear_buckets(cold);
    atomic_store_explicit(&cold->schema, schema, memory_order_relaxed);
    uint64_t started;
    set_t *old = &nh->sets[flip(nh, &started)]; /* == hot */
    fold_counts(nh, cfg, cold_idx, hot_idx);
    atomic_store_explicit(&old->schema, schema, memory_order_relaxed);
    pthread_mutex_lock(&nh->grow);
    FOR_EACH_NODE(old, n)
    add_to(cold, promc__native_halve_key(n->key), n->sign,
           atomic_load_explicit(&n->count, memory_order_relaxed));
    pthread_mutex_unlock(&nh->grow);
    clear_buckets(old);
    return true;
}

/* limitBuckets, after an observation left its set with nbuckets buckets,
 * more than the maximum: one step of the strategy, under `flip`. */
static void limit_buckets(struct promc__native *nh, const struct promc__native_config *cfg,
                          uint32_t nbuckets, size_t classic, double v)
{
    if (nbuckets == atomic_load_explicit(&nh->stuck_at, memory_order_relaxed) &&
        !reset_due(nh, cfg, cfg->min_reset_ns ? promc__mono_ns() : 0))
        return;
    pthread_mutex_lock(&nh->flip);
    /* `flip` held: nobody else moves the hot bit. */
    unsigned hot = hot_index(nh), cold = hot ^ 1;
    uint32_t now = atomic_load_explicit(&nh->sets[hot].nbuckets, memory_order_relaxed);
    if (now > cfg->max_buckets && !maybe_reset(nh, cfg, hot, cold, classic, v) &&
        !maybe_widen(nh, cfg, hot, cold) && !double_width(nh, cfg, hot, cold))
        atomic_store_explicit(&nh->stuck_at, now, memory_order_relaxed);
    pthread_mutex_unlock(&nh->flip);
}

void promc__native_observe(struct promc__native *nh, const struct promc__native_config *cfg,
                           size_t classic, double v)
{
    stripe_t *st = stripe_of_thread(nh);
    uint64_t n = atomic_fetch_add_explicit(&st->count_and_hot, 1, memory_order_acquire);
    unsigned idx = (unsigned)(n >> 63);
    set_observe(nh, st, idx, classic, v);
    if (cfg->max_buckets && v == v) {
        uint32_t nbuckets = atomic_load_explicit(&nh->sets[idx].nbuckets, memory_order_relaxed);
        if (nbuckets > cfg->max_buckets)
            limit_buckets(nh, cfg, nbuckets, classic, v);
    }
}

/* ===================================================================== */
/* Exemplars                                                              */
/* ===================================================================== */

int promc__native_add_exemplar(struct promc__native *nh, const struct promc__native_config *cfg,
                               const struct promc__xinput *in)
{
    if (!cfg->max_exemplars)
        return PROMC_OK;
    struct promc__xset *set = atomic_load_explicit(&nh->exemplars, memory_order_acquire);
    if (!set) {
        /* The first exemplar of the series: concurrent first-timers agree
         * through a CAS and the loser frees its set. */
        struct promc__xset *mine = promc__xset_new(cfg->max_exemplars);
        if (!mine)
            return promc__fail(PROMC_ENOMEM, "out of memory for native exemplars");
        if (atomic_compare_exchange_strong_explicit(&nh->exemplars, &set, mine,
                                                    memory_order_acq_rel, memory_order_acquire))
            set = mine;
        else
            promc__xset_free(mine);
    }
    return promc__xset_add_spread(set, in, cfg->exemplar_ttl);
}

/* ===================================================================== */
/* Snapshot and reset                                                     */
/* ===================================================================== */

static void free_arrays(struct promc__native_scratch *sc)
{
    promc__free(sc->entries);
    promc__free(sc->keys);
    promc__free(sc->counts);
    promc__free(sc->spans);
    promc__free(sc->deltas);
}

void promc__native_scratch_free(struct promc__native_scratch *sc)
{
    free_arrays(sc);
    promc__xcopy_free(&sc->xcopy);
    memset(sc, 0, sizeof *sc);
}

static int scratch_reserve(struct promc__native_scratch *sc, size_t n)
{
    if (n <= sc->cap)
        return PROMC_OK;
    size_t cap = sc->cap * 2 > n ? sc->cap * 2 : n < 16 ? 16 : n;
    struct promc__native_scratch nw = {
        .cap = cap,
        .entries = promc__calloc(cap, sizeof *nw.entries),
        .keys = promc__calloc(cap, sizeof *nw.keys),
        .counts = promc__calloc(cap, sizeof *nw.counts),
        .spans = promc__calloc(cap, sizeof *nw.spans),
        .deltas = cap <= SIZE_MAX / 3 ? promc__calloc(3 * cap, sizeof *nw.deltas) : NULL};
    if (!nw.entries || !nw.keys || !nw.counts || !nw.spans || !nw.deltas) {
        free_arrays(&nw);
        return PROMC_ENOMEM;
    }
    free_arrays(sc);
    nw.xcopy = sc->xcopy;
    *sc = nw;
    return PROMC_OK;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct promc__native_entry *x = a, *y = b;
    if (x->sign != y->sign)
        return x->sign > y->sign ? -1 : 1; /* positive first */
    return (x->key > y->key) - (x->key < y->key);
}

/* Spans and deltas of entries [from, to), written at *spans and *deltas. */
static void build_side(struct promc__native_scratch *sc, size_t from, size_t to,
                       struct promc__span **spans, size_t *nspans, int64_t **deltas,
                       size_t *ndeltas)
{
    size_t n = to - from;
    for (size_t i = 0; i < n; i++) {
        sc->keys[i] = sc->entries[from + i].key;
        sc->counts[i] = sc->entries[from + i].count;
    }
    *nspans = promc__native_spans(sc->keys, sc->counts, n, *spans, *deltas, ndeltas);
}

int promc__native_snapshot(struct promc__native *nh, const struct promc__native_config *cfg,
                           struct promc__native_scratch *sc, uint64_t *classic, uint64_t *count,
                           double *sum, struct promc__native_data *out)
{
    memset(out, 0, sizeof *out);
    /* The exemplars before the counts: an observer counts, then keeps its
     * exemplar, so the counts read after include every exemplar shown. */
    struct promc__xset *ex = atomic_load_explicit(&nh->exemplars, memory_order_acquire);
    if (ex && promc__xset_read(ex, &sc->xcopy) == PROMC_OK && sc->xcopy.n) {
        out->exemplars = sc->xcopy.x;
        out->nexemplars = sc->xcopy.n;
    }
    pthread_mutex_lock(&nh->flip);
    uint64_t started;
    unsigned cold_idx = flip(nh, &started);
    set_t *cold = &nh->sets[cold_idx];
    *count = started;
    /* Stripe by stripe; a stripe's sum is never -0.0, so one stripe's sum
     * comes out bit for bit. */
    *sum = 0;
    for (unsigned i = 0; i < NSTRIPES; i++) {
        uint64_t bits =
            atomic_load_explicit(&nh->stripes[i].sum_bits[cold_idx], memory_order_relaxed);
        if (bits)
            *sum += promc__bits_to_double(bits);
    }
    uint64_t finite = 0;
    for (size_t i = 0; i + 1 < cfg->nclassic; i++)
        finite += classic[i] = atomic_load_explicit(&cold->classic[i], memory_order_relaxed);
    classic[cfg->nclassic - 1] = started - finite;
    out->schema = atomic_load_explicit(&cold->schema, memory_order_relaxed);
    out->zero_threshold = promc__bits_to_double(
        atomic_load_explicit(&cold->zero_threshold_bits, memory_order_relaxed));
    out->zero_count = atomic_load_explicit(&cold->zero_count, memory_order_relaxed);
    size_t nodes = 0;
    for (struct promc__native_chunk *c = cold->chunks; c; c = c->next)
        nodes += c->used;
    int rc = scratch_reserve(sc, nodes);
    size_t m = 0;
    /* Read the cold set, fold it into the hot one, keep its nodes at zero
     * (the next flip makes this set hot with every bucket already there). */
    set_t *hot = &nh->sets[cold_idx ^ 1];
    fold_counts(nh, cfg, cold_idx ^ 1, cold_idx);
    pthread_mutex_lock(&nh->grow);
    FOR_EACH_NODE(cold, n)
    {
        uint64_t c = atomic_exchange_explicit(&n->count, 0, memory_order_relaxed);
        if (!c)
            continue;
        if (rc == PROMC_OK)
            sc->entries[m++] = (struct promc__native_entry){n->key, n->sign, c};
        add_to(hot, n->key, n->sign, c);
    }
    pthread_mutex_unlock(&nh->grow);
    free_retired(cold);
    pthread_mutex_unlock(&nh->flip);
    if (rc != PROMC_OK)
        return rc;
    if (m == 0) /* no bucket: no span (client_golang 1.14 adds none either) */
        return PROMC_OK;
    if (m > 1)
        qsort(sc->entries, m, sizeof *sc->entries, cmp_entry);
    size_t npos = 0;
    while (npos < m && sc->entries[npos].sign > 0)
        npos++;
    struct promc__span *spans = sc->spans;
    int64_t *deltas = sc->deltas;
    build_side(sc, 0, npos, &spans, &out->npos_spans, &deltas, &out->npos);
    out->pos_spans = spans;
    out->pos_deltas = deltas;
    spans += out->npos_spans;
    deltas += out->npos;
    build_side(sc, npos, m, &spans, &out->nneg_spans, &deltas, &out->nneg);
    out->neg_spans = spans;
    out->neg_deltas = deltas;
    if (!out->npos_spans)
        out->pos_spans = NULL, out->pos_deltas = NULL;
    if (!out->nneg_spans)
        out->neg_spans = NULL, out->neg_deltas = NULL;
    return PROMC_OK;
}

void promc__native_reset(struct promc__native *nh, const struct promc__native_config *cfg)
{
    pthread_mutex_lock(&nh->flip);
    unsigned hot = hot_index(nh), cold = hot ^ 1;
    reset_set(&nh->sets[cold], cfg);
    reset_stripes(nh, cold);
    restart(nh, cold, 0);
    reset_set(&nh->sets[hot], cfg);
    reset_stripes(nh, hot);
    atomic_store_explicit(&nh->last_reset_ns, promc__mono_ns(), memory_order_relaxed);
    atomic_store_explicit(&nh->stuck_at, 0, memory_order_relaxed);
    pthread_mutex_unlock(&nh->flip);
    struct promc__xset *ex = atomic_load_explicit(&nh->exemplars, memory_order_acquire);
    if (ex)
        promc__xset_clear(ex);
}
