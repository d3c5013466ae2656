/*
 * Shared families: a counter, gauge, histogram or summary created while
 * multi-process mode is on keeps its values in the mode's files, so that
 * the multi-process collector aggregates them over every process of the
 * group. When such a family creates a child (the cold path), this file
 * reads the child's label values back from its rendering and asks mp.c for
 * the series of the same name, help and labels -- the key client_python
 * writes -- whose cells the type file then updates on its hot path.
 */
#include <string.h>

#include "internal.h"
#include "mp_series.h"

/* The child's labels, raw: variable ones, unescaped from its values text
 * into one block that *block owns, then the family's constant ones. */
static promc_label *child_labels(struct promc_metric *m, struct promc__child *c, size_t *n,
                                 char **block)
{
    *n = m->nlabels + m->nconst;
    *block = NULL;
    promc_label *ls = promc__malloc((*n ? *n : 1) * sizeof *ls);
    /* The unescaped values are never longer than the values text. */
    char *out = promc__malloc(c->rendered_len + 1);
    if (!ls || !out) {
        promc__free(ls);
        promc__free(out);
        return promc__fail_null(PROMC_ENOMEM, "metric \"%s\": out of memory", m->desc.name);
    }
    const char *p = promc__child_values(c);
    char *o = out;
    for (size_t i = 0; i < m->nlabels; i++) {
        ls[i].name = m->label_names[i];
        ls[i].value = o;
        for (; *p != '"'; p++) {
            if (*p == '\\') {
                p++;
                *o++ = *p == 'n' ? '\n' : *p;
            } else {
                *o++ = *p;
            }
        }
        *o++ = '\0';
        p++; /* the closing quote */
    }
    for (size_t i = 0; i < m->nconst; i++) {
        ls[m->nlabels + i].name = m->label_names[m->nlabels + i];
        ls[m->nlabels + i].value = m->const_values[i];
    }
    *block = out;
    return ls;
}

promc_mp_counter *promc__mp_shared_counter(struct promc_metric *m, struct promc__child *c)
{
    size_t n, len = strlen(m->desc.name);
    char *block, *name = promc__malloc(len + sizeof "_total");
    promc_label *ls = name ? child_labels(m, c, &n, &block) : NULL;
    if (!ls) {
        promc__free(name);
        return name ? NULL : promc__fail_null(PROMC_ENOMEM, "out of memory");
    }
    /* With _total, which mp.c takes off again: a base name that itself
     * ends in _total stays whole. */
    memcpy(name, m->desc.name, len);
    memcpy(name + len, "_total", sizeof "_total");
    promc_mp_counter *h = promc_mp_counter_new(name, m->desc.help, ls, n);
    promc__free(name);
    promc__free(block);
    promc__free(ls);
    return h;
}

promc_mp_gauge *promc__mp_shared_gauge(struct promc_metric *m, struct promc__child *c,
                                       promc_mp_mode mode)
{
    size_t n;
    char *block;
    promc_label *ls = child_labels(m, c, &n, &block);
    if (!ls)
        return NULL;
    promc_mp_gauge *h = promc_mp_gauge_new(m->desc.name, m->desc.help, mode, ls, n);
    promc__free(block);
    promc__free(ls);
    return h;
}

promc_mp_histogram *promc__mp_shared_histogram(struct promc_metric *m, struct promc__child *c,
                                               const double *bounds, size_t nbounds)
{
    size_t n;
    char *block;
    promc_label *ls = child_labels(m, c, &n, &block);
    if (!ls)
        return NULL;
    promc_mp_histogram *h =
        promc_mp_histogram_new(m->desc.name, m->desc.help, bounds, nbounds, ls, n);
    promc__free(block);
    promc__free(ls);
    return h;
}

promc_mp_summary *promc__mp_shared_summary(struct promc_metric *m, struct promc__child *c)
{
    size_t n;
    char *block;
    promc_label *ls = child_labels(m, c, &n, &block);
    if (!ls)
        return NULL;
    promc_mp_summary *h = promc_mp_summary_new(m->desc.name, m->desc.help, ls, n);
    promc__free(block);
    promc__free(ls);
    return h;
}

int promc__mp_refuse(const struct promc_metric *m, const char *fn)
{
    return promc__fail(PROMC_EINVAL,
                       "%s: \"%s\" is a multi-process metric (created in multi-process mode): its "
                       "series live in files shared by the processes, which cannot remove a "
                       "series or keep exemplars",
                       fn, m ? m->desc.name : "(null)");
}

int promc__mp_no_mode(const promc_metric_opts *opts, const char *what, const char *name)
{
    if (!opts || opts->mp_mode == PROMC_MP_ALL)
        return PROMC_OK;
    return promc__fail(PROMC_EINVAL,
                       "%s \"%s\": mp_mode is only for promc_gauge (multi-process mode)", what,
                       name ? name : "(null)");
}

void promc__mp_no_series(struct promc_metric *m, struct promc__child *c, struct promc__sink *s,
                         const struct promc__labels *ls)
{
    (void)m;
    (void)c;
    (void)s;
    (void)ls;
}
