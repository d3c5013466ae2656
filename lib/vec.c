/*
 * The shared bodies of the typed *_vec_* public wrappers (counter.c, ...).
 * A *_vec handle is a family or a curried view of one (curry.c): each call
 * tells them apart by the first word and goes to the family's children
 * (children.c), the view, or partial-match removal (remove_partial.c).
 */
#include "vec.h"

#include "children.h"
#include "curry.h"
#include "family.h"
#include "internal.h"
#include "mp_series.h"
#include "remove_partial.h"

/* The family behind a vec handle (a family or a view of one). */
static struct promc_metric *family_behind(void *vec)
{
    return promc__is_view(vec) ? ((struct promc__view *)vec)->family : vec;
}

/* A shared family's series (multi-process mode) live in files that every
 * process of the group reads and writes: none can be taken out. */
static bool shared(void *vec)
{
    return family_behind(vec)->ops->mp_shared;
}

void *promc__vec_labels(void *vec, const char *const *values, size_t n, const char *fn)
{
    if (!vec)
        return promc__fail_null(PROMC_EINVAL, "%s: NULL family", fn);
    if (promc__is_view(vec))
        return promc__view_labels(vec, values, n, fn);
    return promc__family_labels(vec, values, n);
}

int promc__vec_remove(void *vec, const char *const *values, size_t n, const char *fn)
{
    if (!vec)
        return promc__fail(PROMC_EINVAL, "%s: NULL family", fn);
    if (shared(vec))
        return promc__mp_refuse(family_behind(vec), fn);
    if (promc__is_view(vec))
        return promc__view_remove(vec, values, n, fn);
    return promc__family_remove(vec, values, n);
}

int promc__vec_clear(void *vec, const char *fn)
{
    if (!vec)
        return promc__fail(PROMC_EINVAL, "%s: NULL family", fn);
    if (shared(vec))
        return promc__mp_refuse(family_behind(vec), fn);
    if (!promc__is_view(vec))
        return promc__family_clear(vec);
    /* A view clears the children it sees: those with its fixed values. */
    struct promc__view *v = vec;
    if (v->nfree == v->family->nlabels)
        return promc__family_clear(v->family);
    size_t removed;
    return promc__remove_matching(v->family, v->values, &removed);
}

promc_metric *promc__vec_metric(void *vec)
{
    return vec && !promc__is_view(vec) ? vec : NULL;
}

int promc__vec_free(void *vec)
{
    if (vec && promc__is_view(vec)) {
        promc__view_free(vec);
        return promc__ok();
    }
    return promc__metric_release(vec);
}

void *promc__vec_curry(void *vec, const promc_label *fixed, size_t n, const char *fn)
{
    if (!vec)
        return promc__fail_null(PROMC_EINVAL, "%s: NULL family", fn);
    return promc__view_new(vec, fixed, n, fn);
}

int promc__vec_remove_partial(void *vec, const promc_label *match, size_t n, size_t *removed,
                              const char *fn)
{
    if (removed)
        *removed = 0;
    if (!vec)
        return promc__fail(PROMC_EINVAL, "%s: NULL family", fn);
    if (shared(vec))
        return promc__mp_refuse(family_behind(vec), fn);
    if (!promc__is_view(vec))
        return promc__remove_partial(vec, NULL, match, n, removed, fn);
    struct promc__view *v = vec;
    return promc__remove_partial(v->family, v->values, match, n, removed, fn);
}
