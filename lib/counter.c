/*
 * Counters. A child keeps an exact 64-bit integer for whole increments (so a
 * counter stays exact past 2^53) and a double for fractional ones, updated
 * by a CAS loop; the exposed value is their sum, and while the double is zero
 * the integer prints exactly. A child that sees two threads collide on its
 * integer spreads whole increments over cache-line-sized stripes chosen per
 * thread (as Java's LongAdder does), so contended counters scale while quiet
 * ones stay one word. Unlabelled counters, one series shared by the whole
 * process, are striped from creation. Exemplars live outside the children,
 * in a per-family table (exemplar.h) that stays empty until the first one:
 * a child costs the same with or without them.
 *
 * A counter created in multi-process mode is a shared family
 * (mp_series.h): its children keep their value in the mode's file instead,
 * reached through the cold path of the normal ones (see SHARED below), so
 * promc_counter_inc of a normal counter is the same code with the mode or
 * without it.
 */
#include <math.h>
#include <stdalign.h>
#include <string.h>

#include "constructor.h"
#include "exemplar.h"
#include "family.h"
#include "internal.h"
#include "mp.h"
#include "mp_series.h"
#include "stripe_owner.h"
#include "vec.h"

/* Stripe 0 is shared (atomic adds); stripes 1..STRIPES-1 each belong to one
 * thread at a time (stripe_owner.h), which updates its cell with a plain
 * load and store. */
#define STRIPES PROMC__STRIPES

/* A reset cannot store zero into an owned cell: the owner's store of the
 * value it loaded before could land after it and undo the reset. So cells
 * only grow, and a reset records the cell's value as its base instead, to
 * be subtracted when the value is read. The base shares the owner's cache
 * line, which only resets and reads touch. */
struct stripe {
    alignas(64) _Atomic uint64_t n;
    _Atomic uint64_t base; /* n at the last reset */
};

struct stripes {
    struct stripe cell[STRIPES];
    _Atomic uint64_t frac_bits; /* the child's double cell, moved here (below) */
    void *raw;                  /* what promc__malloc returned, before alignment */
};

/* One word holds the double cell's bits until the child has stripes, then
 * STRIPED and the stripes' address, and the double cell lives in the
 * stripes (its value carried over by the same CAS that publishes them).
 * A counter's double cell only ever holds a sum of values >= 0 (+0, never
 * -0), so its sign bit is free to say which; the address, 64-aligned, is
 * kept shifted right by one, so it fits below the tag whatever bits a
 * platform sets in its pointers. 16 bytes of cells, not 24: with the
 * 32-byte header and a typical label text (route="/api/v1/orders",
 * status="200"), a child is a 96-byte chunk of malloc, not 112. */
struct counter_child {
    struct promc__child base;
    _Atomic uint64_t whole;
    _Atomic uint64_t frac; /* double bits, or STRIPED | stripes >> 1 */
};

#define STRIPED (UINT64_C(1) << 63)

static inline uint64_t striped_word(const struct stripes *sp)
{
    return STRIPED | ((uint64_t)(uintptr_t)sp >> 1);
}

/* The stripes of a word with STRIPED set. */
static inline struct stripes *stripes_in(uint64_t w)
{
    return (struct stripes *)(uintptr_t)(w << 1);
}

/* The child's stripes, or NULL; acquire pairs with spread's publishing
 * CAS, so the stripes' initial contents are seen. */
static inline struct stripes *stripes_of(struct counter_child *k)
{
    uint64_t w = atomic_load_explicit(&k->frac, memory_order_acquire);
    return (w & STRIPED) ? stripes_in(w) : NULL;
}

/* The family's data: the exemplars of its children. */
struct counter_data {
    struct promc__xtable exemplars;
};

static struct counter_data *cdata(const struct promc_metric *m)
{
    return m->type_data;
}

static struct counter_child *cc(promc_counter *c)
{
    return (struct counter_child *)c;
}

/* Counts a thread's unstriped increments, to try a CAS every 64th. */
static _Thread_local unsigned my_tick PROMC__TLS;

/* No integer cell ever wraps: a whole increment goes to a cell only while
 * the cell is below SPILL, and to the double cell otherwise (and always when
 * n itself is SPILL or more). A cell below SPILL plus one increment below
 * SPILL stays below 2^62; on the unchecked fetch_add paths (increments
 * below 2^32, see add_whole) concurrent threads can push a cell past SPILL by
 * at most 2^32 each before every later one sees it. So the value stays
 * monotonic and exact while the total fits 64 bits, then as exact as a
 * double allows. Only promc_counter_inc (+1, the hot path) skips the check:
 * a cell would need 2^63 increments, centuries at a billion a second. */
#define SPILL (UINT64_C(1) << 61)
#define SMALL (UINT64_C(1) << 32) /* increments that may take an unchecked add */

/* The owner of stripe i (0 < i < STRIPES) is its only writer: a plain
 * (relaxed) load and store, no locked instruction; scrapes read it with
 * relaxed loads. Returns false (nothing added) when the cell is full. A
 * cell is never reset, so SPILL bounds what it ever received. */
static inline bool owned_add(struct stripes *sp, unsigned i, uint64_t n)
{
    _Atomic uint64_t *cell = &sp->cell[i].n;
    uint64_t v = atomic_load_explicit(cell, memory_order_relaxed);
    if (v >= SPILL)
        return false;
    atomic_store_explicit(cell, v + n, memory_order_relaxed);
    return true;
}

/* An atomic add to a cell shared by several threads; false when full. */
static inline bool shared_add(_Atomic uint64_t *cell, uint64_t n)
{
    uint64_t v = atomic_load_explicit(cell, memory_order_relaxed);
    if (n < SMALL) {
        if (v >= SPILL)
            return false;
        atomic_fetch_add_explicit(cell, n, memory_order_relaxed);
        return true;
    }
    /* A large increment is checked against the value it replaces. */
    do
        if (v >= SPILL)
            return false;
    while (!atomic_compare_exchange_weak_explicit(cell, &v, v + n, memory_order_relaxed,
                                                  memory_order_relaxed));
    return true;
}

static bool stripe_add(struct stripes *sp, uint64_t n)
{
    unsigned i = promc__stripe(); /* 0 when none is free: the shared one */
    if (i)
        return owned_add(sp, i, n);
    return shared_add(&sp->cell[0].n, n);
}

/* Allocates a child's stripes: at creation for an unlabelled counter, else
 * the first time an increment loses a race, when concurrent first-timers
 * agree through a CAS and the loser frees its block. The CAS moves the
 * double cell's value into the stripes as it publishes them; a concurrent
 * fractional add either lands before (and is carried over, or makes the
 * CAS fail and retry with it) or finds the word striped. Out of memory
 * leaves the child on its single cell. */
static struct stripes *spread(struct counter_child *k)
{
    void *raw = promc__malloc(sizeof(struct stripes) + 63);
    if (!raw)
        return NULL;
    struct stripes *sp = (struct stripes *)(((uintptr_t)raw + 63) & ~(uintptr_t)63);
    for (int i = 0; i < STRIPES; i++) {
        atomic_init(&sp->cell[i].n, 0);
        atomic_init(&sp->cell[i].base, 0);
    }
    atomic_init(&sp->frac_bits, 0);
    sp->raw = raw;
    uint64_t w = atomic_load_explicit(&k->frac, memory_order_acquire);
    do {
        if (w & STRIPED) { /* another thread's came first */
            promc__free(raw);
            return stripes_in(w);
        }
        atomic_store_explicit(&sp->frac_bits, w, memory_order_relaxed); /* not yet published */
    } while (!atomic_compare_exchange_weak_explicit(&k->frac, &w, striped_word(sp),
                                                    memory_order_acq_rel, memory_order_acquire));
    return sp;
}

/* The integer cell of a shared family's child (multi-process mode): no
 * normal child's cell comes near it (they stay below SPILL plus 2^32 per
 * thread), and a shared child never gets stripes, so every increment of it
 * fails the SPILL checks of add_whole and arrives in add_double -- the
 * cold path the normal children take only past 2^61 or for fractions. Its
 * double cell then holds the mp handle (shifted right by one, as stripes
 * are, so STRIPED stays clear), whose file cell takes the increment. No
 * extra field in the child and no extra test on the hot path of normal
 * counters. */
#define SHARED UINT64_MAX

static promc_mp_counter *shared_of(const struct counter_child *k)
{
    struct counter_child *m = (struct counter_child *)k; /* atomic loads only */
    return (promc_mp_counter *)(uintptr_t)(atomic_load_explicit(&m->frac, memory_order_relaxed)
                                           << 1);
}

static bool is_shared(const struct counter_child *k)
{
    struct counter_child *m = (struct counter_child *)k; /* atomic loads only */
    return atomic_load_explicit(&m->whole, memory_order_relaxed) == SHARED;
}

/* Adds v (>= 0) to the double cell: the child's word until it has
 * stripes, then theirs. */
static void add_frac(struct counter_child *k, double v)
{
    uint64_t w = atomic_load_explicit(&k->frac, memory_order_acquire);
    do
        if (w & STRIPED) {
            promc__atomic_add_double(&stripes_in(w)->frac_bits, v);
            return;
        }
    while (!atomic_compare_exchange_weak_explicit(
        &k->frac, &w, promc__double_to_bits(promc__bits_to_double(w) + v), memory_order_acquire,
        memory_order_acquire));
}

/* Adds v to the double cell (or a shared child's file cell). */
static void add_double(struct counter_child *k, double v)
{
    if (__builtin_expect(is_shared(k), 0))
        promc__mp_counter_add(shared_of(k), v);
    else
        add_frac(k, v);
}

/* A shared child's whole increment. Out of line: inlined into add_whole,
 * the file's add made gcc lay out the quiet path with one more jump. */
__attribute__((noinline, cold)) static void shared_add_spilled(struct counter_child *k, uint64_t n)
{
    promc__mp_counter_add(shared_of(k), (double)n);
}

/* Whole increments that fit no integer cell (and every one of a shared
 * child). */
static void add_spilled(struct counter_child *k, uint64_t n)
{
    if (__builtin_expect(is_shared(k), 0)) {
        shared_add_spilled(k, n);
        return;
    }
    add_frac(k, (double)n);
}

__attribute__((noinline)) static void add_whole(struct counter_child *k, uint64_t n)
{
    if (n >= SPILL) {
        add_spilled(k, n);
        return;
    }
    struct stripes *sp = stripes_of(k);
    if (!sp) {
        /* One atomic add, except that every 64th increment of a thread is a
         * CAS instead: a failed CAS is how contention shows itself, and a CAS
         * on every increment would cost a dependent load on the quiet path. */
        if ((++my_tick & 63) || n >= SMALL) {
            if (!shared_add(&k->whole, n))
                add_spilled(k, n);
            return;
        }
        uint64_t old = atomic_load_explicit(&k->whole, memory_order_relaxed);
        if (old < SPILL &&
            atomic_compare_exchange_strong_explicit(&k->whole, &old, old + n, memory_order_relaxed,
                                                    memory_order_relaxed))
            return;
        sp = old < SPILL ? spread(k) : NULL;
        if (!sp) {
            if (!shared_add(&k->whole, n))
                add_spilled(k, n);
            return;
        }
    }
    if (!stripe_add(sp, n))
        add_spilled(k, n);
}

/* The value: the integer cells summed exactly while the sum fits 64 bits
 * (the cells are each below 2^62, but nine of them may not fit), plus the
 * double cell. A cell's base is loaded first (acquire, pairing with the
 * reset's release): the cell loaded after is then at least that base, which
 * the reset read from it, and a cell never decreases. */
static struct promc__value counter_value(const struct counter_child *k)
{
    if (is_shared(k))
        return promc__vd(promc__mp_counter_value(shared_of(k)));
    struct counter_child *m = (struct counter_child *)k; /* atomic loads only */
    uint64_t sum = atomic_load_explicit(&m->whole, memory_order_relaxed);
    double wide = (double)sum; /* the same sum in doubles, used once it overflows */
    bool fits = true;
    uint64_t w = atomic_load_explicit(&m->frac, memory_order_acquire);
    struct stripes *sp = (w & STRIPED) ? stripes_in(w) : NULL;
    if (sp)
        for (int i = 0; i < STRIPES; i++) {
            uint64_t base = atomic_load_explicit(&sp->cell[i].base, memory_order_acquire);
            uint64_t c = atomic_load_explicit(&sp->cell[i].n, memory_order_relaxed) - base;
            fits = fits && c <= UINT64_MAX - sum;
            sum += c;
            wide += (double)c;
        }
    double frac =
        promc__bits_to_double(sp ? atomic_load_explicit(&sp->frac_bits, memory_order_relaxed) : w);
    if (!fits)
        return promc__vd(wide + frac);
    return frac == 0 ? promc__vu(sum) : promc__vd((double)sum + frac);
}

/* An unlabelled counter is one series for the whole process, the kind many
 * threads increment: it is striped from creation. A child of a labelled
 * counter starts as one word and spreads when contention shows. */
static int init_child(struct promc_metric *m, struct promc__child *c)
{
    if (m->nlabels == 0 && !spread((struct counter_child *)c))
        return PROMC_ENOMEM;
    return PROMC_OK;
}

/* A shared family's child: its series in this process's file. Never
 * striped, never reset (removal is refused), nothing to free: the mp
 * handle lives as long as the process (mp.c). */
static int shared_init_child(struct promc_metric *m, struct promc__child *c)
{
    struct counter_child *k = (struct counter_child *)c;
    promc_mp_counter *h = promc__mp_shared_counter(m, c);
    if (!h)
        return promc_last_error_code();
    atomic_init(&k->whole, SHARED);
    atomic_init(&k->frac, (uint64_t)(uintptr_t)h >> 1); /* aligned: bit 0 is clear */
    return PROMC_OK;
}

static void reset_child(struct promc_metric *m, struct promc__child *c)
{
    promc__xtable_drop(&cdata(m)->exemplars, c);
    struct counter_child *k = (struct counter_child *)c;
    atomic_store_explicit(&k->whole, 0, memory_order_relaxed);
    /* The integer and double cells take atomic read-modify-writes only, so
     * zero holds there; the stripes get a base (struct stripe). Increments
     * that race with the reset count or not, as with any reset. The
     * child's double cell is zeroed by a CAS, never a store, which could
     * overwrite the stripes' address a concurrent spread just put there;
     * and not at all while it reads zero (no fraction was ever added, the
     * common case): no locked instruction more on a removal and return. */
    uint64_t w = atomic_load_explicit(&k->frac, memory_order_acquire);
    while (w != 0 && !(w & STRIPED) &&
           !atomic_compare_exchange_weak_explicit(&k->frac, &w, 0, memory_order_acquire,
                                                  memory_order_acquire))
        ;
    if (w & STRIPED) {
        struct stripes *sp = stripes_in(w);
        atomic_store_explicit(&sp->frac_bits, 0, memory_order_relaxed);
        for (int i = 0; i < STRIPES; i++) {
            uint64_t n = atomic_load_explicit(&sp->cell[i].n, memory_order_relaxed);
            atomic_store_explicit(&sp->cell[i].base, n, memory_order_release);
        }
    }
}

static void fini_child(struct promc_metric *m, struct promc__child *c)
{
    promc__xtable_drop(&cdata(m)->exemplars, c);
    struct stripes *sp = stripes_of((struct counter_child *)c);
    if (sp)
        promc__free(sp->raw);
}

static void child_series(struct promc_metric *m, struct promc__child *c, struct promc__sink *s,
                         const struct promc__labels *ls)
{
    struct promc__series x = {.labels = ls, .created = promc__child_created(c)};
    struct promc__xtable *t = &cdata(m)->exemplars;
    if (!promc__xtable_used(t)) {
        x.value = counter_value((struct counter_child *)c);
        promc__sink_series(s, &x);
        return;
    }
    /* The exemplar before the value: a writer adds, then stores its
     * exemplar, so the value read after includes the exemplar's increment. */
    struct promc__xview view; /* about 3 KiB: only on this path */
    x.exemplar = promc__xtable_read(t, c, &view);
    x.value = counter_value((struct counter_child *)c);
    promc__sink_series(s, &x);
}

static void fini(struct promc_metric *m)
{
    struct counter_data *d = cdata(m);
    if (!d)
        return;
    promc__xtable_fini(&d->exemplars);
    promc__free(d);
}

static const struct promc__ops counter_ops = {
    .type = PROMC_COUNTER,
    .init_child = init_child,
    .reset_child = reset_child,
    .fini_child = fini_child,
    .child_series = child_series,
    .fini = fini,
};

static const struct promc__ops counter_shared_ops = {
    .type = PROMC_COUNTER,
    .init_child = shared_init_child,
    .child_series = promc__mp_no_series, /* the multi-process collector serves it */
    .fini = fini,
    .mp_shared = true,
};

/* ===================================================================== */
/* Public calls                                                           */
/* ===================================================================== */

static struct promc_metric *create(promc_registry *reg, const char *name, const char *help,
                                   const char *const *label_names, bool vec,
                                   const promc_metric_opts *opts)
{
    if (promc__mp_no_mode(opts, "counter", name) != PROMC_OK)
        return NULL;
    struct counter_data *d = promc__malloc(sizeof *d);
    if (!d)
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating counter \"%s\"",
                                name ? name : "(null)");
    promc__xtable_init(&d->exemplars);
    struct promc__new_args a = {.reg = reg,
                                .ops = promc__mp_active() ? &counter_shared_ops : &counter_ops,
                                .name = name,
                                .help = help,
                                .label_names = label_names,
                                .vec = vec,
                                .unit = opts ? opts->unit : NULL,
                                .max_children = opts ? opts->max_children : 0,
                                .const_labels = opts ? opts->const_labels : NULL,
                                .nconst = opts ? opts->nconst_labels : 0,
                                .child_size = sizeof(struct counter_child),
                                .type_data = d};
    return promc__metric_create(&a);
}

promc_counter *promc_counter_new(promc_registry *reg, const char *name, const char *help,
                                 const promc_metric_opts *opts)
{
    struct promc_metric *m = create(reg, name, help, NULL, false, opts);
    return m ? (promc_counter *)promc__family_root(m) : NULL;
}

promc_counter_vec *promc_counter_vec_new(promc_registry *reg, const char *name, const char *help,
                                         const char *const *label_names,
                                         const promc_metric_opts *opts)
{
    return (promc_counter_vec *)create(reg, name, help, label_names, true, opts);
}

PROMC__HOT_ALIGN void promc_counter_inc(promc_counter *c)
{
    if (!c)
        return;
    /* The common case flattened: a striped counter and a thread that owns a
     * stripe update it with a plain load and store. */
    uint64_t w = atomic_load_explicit(&cc(c)->frac, memory_order_acquire);
    unsigned i = promc__stripe_mine;
    if ((w & STRIPED) && i) {
        struct stripes *sp = stripes_in(w);
        /* +1 on an owned stripe: the cell cannot come near SPILL (below). */
        _Atomic uint64_t *cell = &sp->cell[i].n;
        atomic_store_explicit(cell, atomic_load_explicit(cell, memory_order_relaxed) + 1,
                              memory_order_relaxed);
        return;
    }
    add_whole(cc(c), 1);
}

void promc_counter_add_int(promc_counter *c, uint64_t n)
{
    if (c)
        add_whole(cc(c), n);
}

/* The body of promc_counter_add and the exemplar calls: v >= 0, c set. */
static inline void add_value(promc_counter *c, double v)
{
    /* Whole increments below 2^63 take the exact integer path. */
    if (v < 9223372036854775808.0 && v == (double)(uint64_t)v)
        add_whole(cc(c), (uint64_t)v);
    else
        add_double(cc(c), v);
}

static int refuse_value(promc_counter *c, double v)
{
    return promc__fail(PROMC_EINVAL, "counter \"%s\": cannot add %g (negative or NaN)",
                       c ? promc__family_of(c)->desc.name : "(null)", v);
}

int promc_counter_add(promc_counter *c, double v)
{
    if (!(v >= 0)) /* also catches NaN */
        return refuse_value(c, v);
    if (c)
        add_value(c, v);
    return promc__ok();
}

int promc_counter_add_exemplar(promc_counter *c, double v, const promc_label *labels,
                               size_t nlabels)
{
    if (!(v >= 0)) /* also catches NaN */
        return refuse_value(c, v);
    if (c && promc__family_of(c)->ops->mp_shared)
        return promc__mp_refuse(promc__family_of(c), "promc_counter_add_exemplar");
    /* The increment first: a bad exemplar never costs the count. */
    if (c)
        add_value(c, v);
    struct promc_metric *m = promc__family_of(c);
    struct promc__xinput in;
    int rc = promc__exemplar_check(&in, labels, nlabels, v, "counter", m ? m->desc.name : "(null)");
    if (rc != PROMC_OK || !c)
        return rc == PROMC_OK ? promc__ok() : rc;
    rc = promc__xtable_put(&cdata(m)->exemplars, c, &in);
    return rc == PROMC_OK ? promc__ok() : rc;
}

int promc_counter_inc_exemplar(promc_counter *c, const promc_label *labels, size_t nlabels)
{
    return promc_counter_add_exemplar(c, 1, labels, nlabels);
}

double promc_counter_get(const promc_counter *c)
{
    return c ? promc__value_double(counter_value((const struct counter_child *)c)) : 0;
}

promc_metric *promc_counter_metric(promc_counter *c)
{
    return promc__series_metric(c, "promc_counter_metric");
}

int promc_counter_free(promc_counter *c)
{
    return promc__series_free(c, "promc_counter_free");
}

promc_counter *promc_counter_vec_labels_n(promc_counter_vec *v, const char *const *values, size_t n)
{
    return promc__vec_labels(v, values, n, "promc_counter_vec_labels");
}

int promc_counter_vec_remove_n(promc_counter_vec *v, const char *const *values, size_t n)
{
    return promc__vec_remove(v, values, n, "promc_counter_vec_remove");
}

int promc_counter_vec_clear(promc_counter_vec *v)
{
    return promc__vec_clear(v, "promc_counter_vec_clear");
}

promc_metric *promc_counter_vec_metric(promc_counter_vec *v)
{
    return promc__vec_metric(v);
}

int promc_counter_vec_free(promc_counter_vec *v)
{
    return promc__vec_free(v);
}

promc_counter_vec *promc_counter_vec_curry(promc_counter_vec *v, const promc_label *fixed, size_t n)
{
    return promc__vec_curry(v, fixed, n, "promc_counter_vec_curry");
}

int promc_counter_vec_remove_partial(promc_counter_vec *v, const promc_label *match, size_t n,
                                     size_t *removed)
{
    return promc__vec_remove_partial(v, match, n, removed, "promc_counter_vec_remove_partial");
}
