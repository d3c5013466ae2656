/*
 * Curried views (client_golang's CurryWith): a view fixes some label values
 * of a family once, and its lookups pass only the others, in the order of
 * the family's label names. A view is one allocation, immutable once made
 * (so any thread may use it without a lock), and holds a reference to its
 * family, so freeing the family first leaves the view working. A lookup
 * merges the fixed and the passed values into one array and is then an
 * ordinary lookup: the fixed values are the view's own copies, at the same
 * addresses every time, so the per-thread lookup cache keeps hitting.
 */
#include <string.h>

#include "curry.h"
#include "family.h"
#include "internal.h"

const struct promc__ops promc__view_ops = {.type = PROMC_UNTYPED};

/* Families with at most this many labels merge values on the stack; larger
 * ones (rare) allocate for each lookup through a view. */
#define STACK_LABELS 16

/* Checks the new pairs against the family and the values base fixes
 * already, and puts each pair's index in idx[]. */
static int check_fixed(const struct promc_metric *m, const char *const *base,
                       const promc_label *fixed, size_t n, size_t *idx, const char *fn)
{
    if (n && !fixed)
        return promc__fail(PROMC_EINVAL, "%s \"%s\": label pairs missing", fn, m->desc.name);
    for (size_t i = 0; i < n; i++) {
        const char *name = fixed[i].name, *value = fixed[i].value;
        if (!name)
            return promc__fail(PROMC_EINVAL, "%s \"%s\": label name %zu is NULL", fn, m->desc.name,
                               i);
        idx[i] = promc__label_index(m, name);
        if (idx[i] == SIZE_MAX)
            return promc__fail(PROMC_EINVAL, "%s \"%s\": no label named \"%s\"", fn, m->desc.name,
                               name);
        if (base && base[idx[i]])
            return promc__fail(PROMC_EINVAL, "%s \"%s\": label \"%s\" is already curried", fn,
                               m->desc.name, name);
        for (size_t j = 0; j < i; j++)
            if (idx[j] == idx[i])
                return promc__fail(PROMC_EINVAL, "%s \"%s\": label \"%s\" given twice", fn,
                                   m->desc.name, name);
        if (promc__check_pair_value(m, name, value, fn) != PROMC_OK)
            return PROMC_EINVAL;
    }
    return PROMC_OK;
}

struct promc__view *promc__view_new(void *vec, const promc_label *fixed, size_t n, const char *fn)
{
    const struct promc__view *base = promc__is_view(vec) ? vec : NULL;
    struct promc_metric *m = base ? base->family : vec;
    size_t nl = m->nlabels;
    if (n > nl) /* also keeps idx below small */
        return promc__fail_null(PROMC_EINVAL, "%s \"%s\": %zu label pairs for %zu labels", fn,
                                m->desc.name, n, nl);
    size_t *idx = promc__calloc(n ? n : 1, sizeof *idx);
    if (!idx)
        return promc__fail_null(PROMC_ENOMEM, "%s \"%s\": out of memory", fn, m->desc.name);
    if (check_fixed(m, base ? base->values : NULL, fixed, n, idx, fn) != PROMC_OK) {
        promc__free(idx);
        return NULL;
    }

    /* One block: the view, free_index[nl], values[nl], then the strings. */
    const char *const *merged_from = base ? base->values : NULL;
    size_t strings = 0;
    for (size_t i = 0; i < nl; i++)
        if (merged_from && merged_from[i])
            strings += strlen(merged_from[i]) + 1;
    for (size_t i = 0; i < n; i++)
        strings += strlen(fixed[i].value) + 1;
    size_t size = sizeof(struct promc__view) + nl * sizeof(size_t) + nl * sizeof(char *) + strings;
    struct promc__view *v = promc__calloc(1, size);
    if (!v) {
        promc__free(idx);
        return promc__fail_null(PROMC_ENOMEM, "%s \"%s\": out of memory", fn, m->desc.name);
    }
    v->ops = &promc__view_ops;
    v->family = m;
    v->nlabels = nl;
    v->free_index = (size_t *)(v + 1);
    v->values = (const char **)(v->free_index + nl);
    char *s = (char *)(v->values + nl);
    for (size_t i = 0; i < nl; i++)
        if (merged_from && merged_from[i]) {
            size_t len = strlen(merged_from[i]) + 1;
            v->values[i] = memcpy(s, merged_from[i], len);
            s += len;
        }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(fixed[i].value) + 1;
        v->values[idx[i]] = memcpy(s, fixed[i].value, len);
        s += len;
    }
    for (size_t i = 0; i < nl; i++)
        if (!v->values[i])
            v->free_index[v->nfree++] = i;
    promc__free(idx);
    promc__metric_ref(m);
    promc__ok();
    return v;
}

void promc__view_free(struct promc__view *v)
{
    if (!v)
        return;
    promc__metric_unref(v->family);
    promc__free(v);
}

/* The family's values for the view's free ones into all[] (nlabels). */
static int merge(const struct promc__view *v, const char *const *values, size_t n, const char **all,
                 const char *fn)
{
    if (n != v->nfree || (n && !values))
        return promc__fail(PROMC_EINVAL,
                           "%s \"%s\": expected %zu label values (the view fixes %zu of %zu), got "
                           "%zu%s",
                           fn, v->family->desc.name, v->nfree, v->nlabels - v->nfree, v->nlabels, n,
                           n && !values ? " (NULL)" : "");
    const char *const *fixed = v->values;
    for (size_t i = 0, j = 0, nl = v->nlabels; i < nl; i++)
        all[i] = fixed[i] ? fixed[i] : values[j++];
    return PROMC_OK;
}

/* promc__view_labels for a wrong count (the error) or a wide family; out
 * of line, so that the warm path saves no registers for it. */
__attribute__((noinline)) static struct promc__child *
view_labels_slow(const struct promc__view *v, const char *const *values, size_t n, const char *fn)
{
    const char **all = promc__malloc(v->nlabels * sizeof *all);
    if (!all)
        return promc__fail_null(PROMC_ENOMEM, "%s \"%s\": out of memory", fn, v->family->desc.name);
    struct promc__child *c = NULL;
    if (merge(v, values, n, all, fn) == PROMC_OK)
        c = promc__family_labels(v->family, all, v->nlabels);
    promc__free(all);
    return c;
}

struct promc__child *promc__view_labels(struct promc__view *v, const char *const *values, size_t n,
                                        const char *fn)
{
    /* The warm path: the merge inline, a few pointers on the stack. */
    const size_t nl = v->nlabels;
    if (n != v->nfree || (n && !values) || nl > STACK_LABELS)
        return view_labels_slow(v, values, n, fn);
    const char *all[STACK_LABELS];
    const char *const *fixed = v->values;
    for (size_t i = 0, j = 0; i < nl; i++)
        all[i] = fixed[i] ? fixed[i] : values[j++];
    return promc__family_labels(v->family, all, nl);
}

int promc__view_remove(struct promc__view *v, const char *const *values, size_t n, const char *fn)
{
    size_t nl = v->nlabels;
    const char *stack[STACK_LABELS];
    const char **all = nl <= STACK_LABELS ? stack : promc__malloc(nl * sizeof *all);
    if (!all)
        return promc__fail(PROMC_ENOMEM, "%s \"%s\": out of memory", fn, v->family->desc.name);
    int rc = merge(v, values, n, all, fn);
    if (rc == PROMC_OK)
        rc = promc__family_remove(v->family, all, nl);
    if (all != stack)
        promc__free(all);
    return rc;
}
