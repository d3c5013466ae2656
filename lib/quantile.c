/*
 * CKMS targeted-quantile streams in a ring of age buckets, following perks'
 * quantile/stream.go and client_golang's summary.go decision for decision, but
 * with O(n) in-place merge and compress instead of perks' O(n^2) slice shifting.
 * Not thread-safe: summary.c holds its own lock around every call.
 */
#include "quantile.h"

#include <float.h>
#include <stdbool.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "promc.h"

/* client_golang's DefBufCap: also the point where a perks stream stops
 * answering exactly from its buffer and starts compressing. */
#define QW_BUFCAP 500

struct sample {
    double value;
    double width; /* observations this sample stands for (perks' Width) */
    double delta; /* rank uncertainty (perks' Delta) */
};

struct stream {
    struct sample *s;
    size_t len, cap;
    double n;      /* observations merged since the last reset */
    uint64_t born; /* the first epoch this stream covers */
};

struct target {
    double q, e;
    /* 2e/q and 2e/(1-q) (0 where q is 0 or 1): invariant_near()'s slopes. */
    double lo, hi;
};

struct promc__qwindow {
    struct target *t;
    size_t nt;
    double *buf;
    size_t nbuf;
    struct stream *st;
    unsigned nst;
    unsigned head;
    double t0, inv_dur;
    /* Epoch k is the period (t0+(k-1)*dur, t0+k*dur]. Integers rather than
     * times so that "has the head caught up" is an exact comparison. */
    uint64_t buf_epoch, head_epoch;
};

/*
 * perks' newTargeted invariant: the rank error allowed at rank r among n.
 * Same operations in the same order as the Go code, so the floor() and <=
 * decisions built on it round exactly as in client_golang. The one deviation
 * is q == 0 at r == 0: Go computes 0/0 = NaN there, which silently drops the
 * target and lets the minimum be compressed away; here it allows no error.
 */
static double invariant(const promc__qwindow *w, double r, double n)
{
    double m = DBL_MAX;
    for (size_t i = 0; i < w->nt; i++) {
        const struct target *t = &w->t[i];
        double f;
        if (t->q * n <= r)
            f = t->q > 0 ? 2 * t->e * r / t->q : (r > 0 ? INFINITY : 0);
        else
            f = t->q < 1 ? 2 * t->e * (n - r) / (1 - t->q) : INFINITY;
        if (f < m)
            m = f;
    }
    return m;
}

/*
 * invariant() within a relative NEAR of the exact value, with multiplications
 * instead of its three divisions, which were a third of the cost of merging
 * and compressing. Each product is a few rounding errors from the quotient
 * invariant() divides out; the branches are taken on the same comparison.
 * Callers decide from it when the decision is clear either side of NEAR, and
 * ask invariant() only in the rare near tie, so every decision (and every
 * estimate) stays exactly what the divisions would give.
 */
#define NEAR 1e-12

static inline double invariant_near(const promc__qwindow *w, double r, double n)
{
    double m = DBL_MAX;
    for (size_t i = 0; i < w->nt; i++) {
        const struct target *t = &w->t[i];
        double f;
        if (t->q * n <= r)
            f = t->q > 0 ? t->lo * r : (r > 0 ? INFINITY : 0);
        else
            f = t->q < 1 ? t->hi * (n - r) : INFINITY;
        if (f < m)
            m = f;
    }
    return m;
}

/* invariant(w, r, n) >= x, the same answer. */
static inline int invariant_allows(const promc__qwindow *w, double x, double r, double n)
{
    double m = invariant_near(w, r, n);
    if (x <= m * (1 - NEAR))
        return 1;
    if (x > m * (1 + NEAR))
        return 0;
    return x <= invariant(w, r, n);
}

/* floor(invariant(w, r, n)), the same answer. */
static inline double invariant_floor(const promc__qwindow *w, double r, double n)
{
    double m = invariant_near(w, r, n);
    double f = floor(m * (1 - NEAR));
    if (f == floor(m * (1 + NEAR)))
        return f;
    return floor(invariant(w, r, n));
}

/*
 * LSD radix sort, bytewise, on the doubles' bits mapped to unsigned integers
 * that order like the values (NaN never gets here). Sorting the buffer was a
 * third of observe()'s cost with a comparison sort (mispredicted branches on
 * random data); this is two to three times faster, and unlike glibc's qsort()
 * it never mallocs behind the library allocator's back. Bytes that are equal
 * in every key (high exponent bytes, usually) are skipped.
 * scratch: room for 2*n keys.
 */
static void sort_doubles(double *a, size_t n, uint64_t *scratch)
{
    uint64_t *src = scratch, *dst = scratch + n;
    for (size_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, &a[i], sizeof(u));
        src[i] = u >> 63 ? ~u : u | (uint64_t)1 << 63;
    }
    for (unsigned shift = 0; shift < 64; shift += 8) {
        size_t pos[256] = {0};
        for (size_t i = 0; i < n; i++)
            pos[(src[i] >> shift) & 255]++;
        if (pos[(src[0] >> shift) & 255] == n)
            continue;
        for (size_t b = 0, sum = 0; b < 256; b++) {
            size_t c = pos[b];
            pos[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[pos[(src[i] >> shift) & 255]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t u = src[i] >> 63 ? src[i] & ~((uint64_t)1 << 63) : ~src[i];
        memcpy(&a[i], &u, sizeof(u));
    }
}

static int stream_reserve(struct stream *st, size_t need)
{
    if (need <= st->cap)
        return 0;
    size_t cap = st->cap + st->cap / 2;
    if (cap < need)
        cap = need;
    if (cap > SIZE_MAX / sizeof(struct sample))
        return PROMC_ENOMEM;
    struct sample *s = promc__realloc(st->s, cap * sizeof(struct sample));
    if (!s)
        return PROMC_ENOMEM;
    st->s = s;
    st->cap = cap;
    return 0;
}

/*
 * perks' stream.merge, run back to front so it needs no scratch array and no
 * per-insert shifting. Each new sample gets exactly the rank r and count n
 * perks would see when inserting it front to back: r = old widths <= value
 * plus earlier batch samples, n = old n plus earlier batch samples.
 * While the stream is still exact (below QW_BUFCAP, where perks would not
 * have merged yet) every rank is known, so deltas stay 0.
 */
static void stream_merge(const promc__qwindow *w, struct stream *st, const double *b, size_t nb)
{
    struct sample *s = st->s;
    size_t i = st->len, out = st->len + nb;
    double n_old = st->n, moved = 0;
    int exact = n_old < QW_BUFCAP;
    for (size_t k = nb; k-- > 0;) {
        double v = b[k];
        while (i > 0 && s[i - 1].value > v) {
            s[--out] = s[--i];
            moved += s[out].width;
        }
        double delta = 0;
        /* perks appends samples above every old one with delta 0. */
        if (!exact && i < st->len) {
            delta = invariant_floor(w, n_old - moved + (double)k, n_old + (double)k) - 1;
            if (delta < 0)
                delta = 0;
        }
        s[--out] = (struct sample){v, 1, delta};
    }
    st->len += nb;
    st->n += (double)nb;
}

/*
 * stream_merge() then perks' stream.compress (back to front, each sample
 * absorbed into its upper neighbour while the invariant allows), in one pass:
 * both walk the merged samples from the top, so each sample the merge
 * produces goes straight to the compress step instead of to memory and back. Samples and
 * decisions are exactly those of the two passes. The compress writes at or
 * above the slot the merge would have written, and the merge reads only below
 * that slot, so the one array serves both.
 */
static void stream_merge_compress(const promc__qwindow *w, struct stream *st, const double *b,
                                  size_t nb)
{
    struct sample *s = st->s;
    size_t i = st->len, total = st->len + nb;
    double n_old = st->n, moved = 0, n = st->n + (double)nb;
    int exact = n_old < QW_BUFCAP;
    size_t x = total; /* s[x] absorbs; total until the first sample */
    double r = 0;
    for (size_t k = nb;;) {
        struct sample c;
        /* A new sample's delta counts only if it is kept (the compress step
         * reads the delta of the sample absorbing, never of the one
         * absorbed), so it is worked out only then, at the rank and count
         * the merge saw: most new samples are absorbed at once. */
        double dr = -1, dn = 0;
        if (i > 0 && (k == 0 || s[i - 1].value > b[k - 1])) {
            c = s[--i];
            moved += c.width;
        } else if (k > 0) {
            k--;
            c = (struct sample){b[k], 1, 0};
            if (!exact && i < st->len) {
                dr = n_old - moved + (double)k;
                dn = n_old + (double)k;
            }
        } else {
            break;
        }
        if (x != total && invariant_allows(w, c.width + s[x].width + s[x].delta, r, n)) {
            s[x].width += c.width;
        } else {
            if (dr >= 0) {
                c.delta = invariant_floor(w, dr, dn) - 1;
                if (c.delta < 0)
                    c.delta = 0;
            }
            s[--x] = c;
            if (x == total - 1) {
                r = n - 1 - c.width;
                continue;
            }
        }
        r -= c.width;
    }
    st->len = total - x;
    st->n = n;
    memmove(s, s + x, st->len * sizeof(*s));
}

/* The batch b into st, compressed once the stream is past exact answers. */
static void stream_add(const promc__qwindow *w, struct stream *st, const double *b, size_t nb)
{
    if (st->n + (double)nb >= QW_BUFCAP)
        stream_merge_compress(w, st, b, nb);
    else
        stream_merge(w, st, b, nb);
}

static double stream_query(const promc__qwindow *w, const struct stream *st, double q)
{
    const struct sample *s = st->s;
    if (st->n < QW_BUFCAP) {
        /* perks' fast path for a stream that never flushed: exact, with
         * the same index rule. */
        double i = ceil(st->n * q);
        if (i > 0)
            i -= 1;
        if (i > (double)(st->len - 1))
            i = (double)(st->len - 1);
        return s[(size_t)i].value;
    }
    /* CKMS' query threshold r + f(r, n)/2 with r = ceil(q*n). perks also
     * rounds f/2 up, which costs one or two ranks beyond the bound when e*n
     * is small; the paper's real-valued threshold does not. */
    double t = ceil(q * st->n);
    t += invariant(w, t, st->n) / 2;
    double r = 0;
    for (size_t i = 1; i < st->len; i++) {
        r += s[i - 1].width;
        if (r + s[i].width + s[i].delta > t)
            return s[i - 1].value;
    }
    return s[st->len - 1].value;
}

/*
 * The buffer goes into every stream or into none: all growth is done before
 * anything is merged, so on OOM the buffer is kept intact for the next try and
 * no stream is left missing observations the others have.
 */
static int merge_buffer(promc__qwindow *w)
{
    if (w->nbuf == 0)
        return 0;
    for (unsigned i = 0; i < w->nst; i++)
        if (stream_reserve(&w->st[i], w->st[i].len + w->nbuf))
            return PROMC_ENOMEM;
    /* Scratch for the sort: the tail of stream 0 that the merge is about to
     * fill, which the reserve just made at least nbuf samples (3*nbuf keys). */
    sort_doubles(w->buf, w->nbuf, (uint64_t *)(void *)(w->st[0].s + w->st[0].len));
    for (unsigned i = 0; i < w->nst; i++) {
        struct stream *st = &w->st[i];
        stream_add(w, st, w->buf, w->nbuf);
    }
    w->nbuf = 0;
    return 0;
}

/* The epoch whose end is the first period boundary at or after now, as Go's
 * "for now.After(exp) { exp = exp.Add(dur) }" would find it; never earlier
 * than the current one, so a clock stepping back changes nothing. */
static uint64_t epoch_at(const promc__qwindow *w, double now)
{
    if (!isfinite(now)) /* a broken clock must not expire everything for good */
        return w->buf_epoch;
    double e = ceil((now - w->t0) * w->inv_dur);
    if (!(e > (double)w->buf_epoch))
        return w->buf_epoch;
    if (e >= 0x1p62) /* absurd clocks: far enough to expire everything */
        return (uint64_t)1 << 62;
    return (uint64_t)e;
}

/* summary.go's swapBufs + flushColdBuf + maybeRotateStreams. Rotation runs
 * even when the merge failed: reporting expired data is worse than the kept
 * buffer later landing in a bucket slightly too new. */
static int flush(promc__qwindow *w, double now)
{
    int rc = merge_buffer(w);
    w->buf_epoch = epoch_at(w, now);
    uint64_t steps = w->buf_epoch - w->head_epoch;
    if (steps >= w->nst) {
        /* Whatever a failed merge left buffered is now older than the
         * whole window. */
        w->nbuf = 0;
        w->head = (unsigned)((w->head + steps % w->nst) % w->nst);
        /* As if rotated one step at a time: counted from the new head,
         * the streams were started in the last nst epochs, oldest first. */
        for (unsigned j = 0; j < w->nst; j++) {
            struct stream *st = &w->st[(w->head + j) % w->nst];
            st->len = 0;
            st->n = 0;
            st->born = w->buf_epoch - (w->nst - 1) + j;
        }
    } else {
        /* The stream reset on the step into epoch e starts covering e. */
        for (uint64_t k = 0; k < steps; k++) {
            w->st[w->head].len = 0;
            w->st[w->head].n = 0;
            w->st[w->head].born = w->head_epoch + k + 1;
            w->head = (w->head + 1) % w->nst;
        }
    }
    w->head_epoch = w->buf_epoch;
    return rc;
}

/*
 * Room for one full buffer on top of what the stream compresses to, so a
 * summary in steady state never allocates. A target's compressed size is about
 * H(q)/e samples (H = binary entropy in nats: the integral of 2/f(r) over the
 * ranks); twice the sum covered every measured stream. Capped because a tiny
 * error would otherwise preallocate megabytes that growth can provide later.
 */
static size_t initial_capacity(const struct promc__objective *obj, size_t n)
{
    double est = 16;
    for (size_t i = 0; i < n; i++) {
        double q = obj[i].quantile, h = 0;
        if (q > 0 && q < 1)
            h = -q * log(q) - (1 - q) * log(1 - q);
        est += 2 * h / (obj[i].error / 2); /* the stream runs at half the error */
    }
    if (!(est < 4 * QW_BUFCAP))
        est = 4 * QW_BUFCAP;
    return QW_BUFCAP + (size_t)est;
}

void promc__qwindow_free(promc__qwindow *w)
{
    if (!w)
        return;
    if (w->st)
        for (unsigned i = 0; i < w->nst; i++)
            promc__free(w->st[i].s);
    promc__free(w->st);
    promc__free(w->buf);
    promc__free(w->t);
    promc__free(w);
}

promc__qwindow *promc__qwindow_new(const struct promc__objective *obj, size_t n, double max_age,
                                   unsigned age_buckets, double now)
{
    if (!obj || n == 0 || n > SIZE_MAX / sizeof(struct target) || age_buckets == 0)
        return NULL;
    /* Written as negations so that NaN fails every check. */
    if (!(max_age > 0) || !isfinite(max_age) || !isfinite(now))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!(obj[i].quantile >= 0 && obj[i].quantile <= 1))
            return NULL;
        if (!(obj[i].error > 0 && obj[i].error < 1))
            return NULL;
    }
    double dur = max_age / age_buckets;
    if (!(dur > 0))
        return NULL;

    promc__qwindow *w = promc__calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->t = promc__malloc(n * sizeof(*w->t));
    w->buf = promc__malloc(QW_BUFCAP * sizeof(*w->buf));
    w->st = promc__calloc(age_buckets, sizeof(*w->st));
    if (!w->t || !w->buf || !w->st)
        goto oom;
    w->nst = age_buckets;
    size_t cap = initial_capacity(obj, n);
    for (unsigned i = 0; i < age_buckets; i++)
        if (stream_reserve(&w->st[i], cap))
            goto oom;

    /* The stream runs at half the requested error. perks' invariant and
     * query (which this reproduces) do not keep CKMS' e*n promise: measured
     * up to 1.25*e*n (descending input) plus rank rounding. At e/2 the
     * estimate stays within the requested e*n in every tested distribution,
     * so the objective the user states is the guarantee they get; the price
     * is about twice the samples kept. */
    for (size_t i = 0; i < n; i++) {
        w->t[i].q = obj[i].quantile;
        w->t[i].e = obj[i].error / 2;
        w->t[i].lo = w->t[i].q > 0 ? 2 * w->t[i].e / w->t[i].q : 0;
        w->t[i].hi = w->t[i].q < 1 ? 2 * w->t[i].e / (1 - w->t[i].q) : 0;
    }
    w->nt = n;
    w->t0 = now;
    w->inv_dur = 1 / dur;
    w->buf_epoch = w->head_epoch = 1;
    return w;
oom:
    promc__qwindow_free(w);
    return NULL;
}

int promc__qwindow_observe(promc__qwindow *w, double v, double now)
{
    if (isnan(v))
        return 0;
    /* Go flushes as soon as the buffer is full; flushing just before the
     * next value instead gives the same streams and lets a failed flush drop
     * only the value that could not be buffered. */
    if (w->nbuf == QW_BUFCAP || epoch_at(w, now) != w->buf_epoch)
        if (flush(w, now))
            return PROMC_ENOMEM;
    w->buf[w->nbuf++] = v;
    return 0;
}

void promc__qwindow_reset(promc__qwindow *w, double now)
{
    w->nbuf = 0;
    for (unsigned i = 0; i < w->nst; i++) {
        w->st[i].len = 0;
        w->st[i].n = 0;
        w->st[i].born = 0;
    }
    w->head = 0;
    if (isfinite(now))
        w->t0 = now;
    w->buf_epoch = w->head_epoch = 1;
}

uint64_t promc__qwindow_epoch(promc__qwindow *w, double now, double *end)
{
    uint64_t e = epoch_at(w, now);
    /* The same product epoch_at() inverts: times up to end give e. */
    *end = w->t0 + (double)e / w->inv_dur;
    return e;
}

int promc__qwindow_insert(promc__qwindow *w, double *v, size_t n, uint64_t epoch, double now)
{
    int rc = flush(w, now);
    if (n == 0)
        return rc;
    /* Only the streams started at or before the batch's epoch would have
     * seen these values had they been merged then; none means the batch is
     * older than the whole window. */
    bool any = false;
    for (unsigned i = 0; i < w->nst; i++) {
        struct stream *st = &w->st[i];
        if (st->born <= epoch) {
            if (stream_reserve(st, st->len + n))
                return PROMC_ENOMEM;
            any = true;
        }
    }
    if (!any)
        return rc;
    struct stream *scratch = NULL;
    for (unsigned i = 0; i < w->nst && !scratch; i++)
        if (w->st[i].born <= epoch)
            scratch = &w->st[i];
    sort_doubles(v, n, (uint64_t *)(void *)(scratch->s + scratch->len));
    for (unsigned i = 0; i < w->nst; i++) {
        struct stream *st = &w->st[i];
        if (st->born > epoch)
            continue;
        stream_add(w, st, v, n);
    }
    return rc;
}

int promc__qwindow_query(promc__qwindow *w, double now, double *out)
{
    int rc = flush(w, now);
    const struct stream *head = &w->st[w->head];
    for (size_t i = 0; i < w->nt; i++)
        out[i] = head->n > 0 ? stream_query(w, head, w->t[i].q) : NAN;
    return rc;
}
