/*
 * Partial-match removal: every live child whose labels include the given
 * values is detached, as *_vec_remove detaches one (handles stay valid).
 * The values are matched against each child's escaped values under the
 * family's write lock, in one walk of its children: work proportional to
 * the family's size, taken by an exporter when something upstream goes
 * away, not on a warm path.
 */
#include <string.h>

#include "children.h"
#include "family.h"
#include "internal.h"
#include "remove_partial.h"

struct match {
    const char *const *want; /* one slot a label name; NULL: any value */
    size_t last;             /* the last label with a wanted value */
};

static bool child_matches(const struct promc_metric *m, const struct promc__child *c, void *ctx)
{
    const struct match *mt = ctx;
    (void)m;
    const char *p = promc__child_values(c), *end = p + c->rendered_len;
    for (size_t i = 0; i <= mt->last; i++) {
        if (!mt->want[i])
            p = promc__value_end(p, end) + 1; /* past its closing quote */
        else if (!promc__escaped_equal(&p, mt->want[i]))
            return false;
    }
    return true;
}

int promc__remove_matching(struct promc_metric *m, const char *const *want, size_t *removed)
{
    struct match mt = {want, 0};
    for (size_t i = 0; i < m->nlabels; i++)
        if (want[i])
            mt.last = i;
    return promc__family_remove_if(m, child_matches, &mt, removed);
}

/* Fills want[] (nlabels slots, fixed values already in) from the pairs. */
static int fill_want(const struct promc_metric *m, const char *const *fixed,
                     const promc_label *match, size_t n, const char **want, const char *fn)
{
    for (size_t i = 0; i < n; i++) {
        const char *name = match[i].name, *value = match[i].value;
        if (!name)
            return promc__fail(PROMC_EINVAL, "%s \"%s\": label name %zu is NULL", fn, m->desc.name,
                               i);
        size_t k = promc__label_index(m, name);
        if (k == SIZE_MAX)
            return promc__fail(PROMC_EINVAL, "%s \"%s\": no label named \"%s\"", fn, m->desc.name,
                               name);
        if (fixed && fixed[k])
            return promc__fail(PROMC_EINVAL, "%s \"%s\": label \"%s\" is curried in this view", fn,
                               m->desc.name, name);
        if (want[k])
            return promc__fail(PROMC_EINVAL, "%s \"%s\": label \"%s\" given twice", fn,
                               m->desc.name, name);
        if (promc__check_pair_value(m, name, value, fn) != PROMC_OK)
            return PROMC_EINVAL;
        want[k] = value;
    }
    return PROMC_OK;
}

int promc__remove_partial(struct promc_metric *m, const char *const *fixed,
                          const promc_label *match, size_t n, size_t *removed, const char *fn)
{
    size_t dummy;
    if (!removed)
        removed = &dummy;
    *removed = 0;
    /* An empty match would remove every child: most likely a list built
     * empty by mistake, so it is refused; clear says it on purpose. */
    if (n == 0)
        return promc__fail(PROMC_EINVAL,
                           "%s \"%s\": no label to match (to remove every child, clear the family "
                           "or view)",
                           fn, m->desc.name);
    if (!match)
        return promc__fail(PROMC_EINVAL, "%s \"%s\": label pairs missing", fn, m->desc.name);
    const char **want = promc__calloc(m->nlabels ? m->nlabels : 1, sizeof *want);
    if (!want)
        return promc__fail(PROMC_ENOMEM, "%s \"%s\": out of memory", fn, m->desc.name);
    if (fixed)
        memcpy(want, fixed, m->nlabels * sizeof *want);
    int rc = fill_want(m, fixed, match, n, want, fn);
    if (rc == PROMC_OK)
        rc = promc__remove_matching(m, want, removed);
    promc__free(want);
    return rc;
}
