/*
 * Wrapped registries (client_golang's WrapRegistererWith and
 * WrapRegistererWithPrefix): a promc_registry handle that is a view of
 * another one. Metrics created through it get its name prefix and its
 * constant labels and land in the registry at the end of the chain;
 * wrappers of wrappers compose as in Go (the inner prefix comes first, the
 * labels add up). A wrapper holds a reference on what it wraps, so freeing
 * the wrapped registry first is safe: it lives on until its last wrapper
 * goes. The view is flattened at creation, so creating a metric through it
 * never walks the chain.
 */
#include <string.h>

#include "family.h"
#include "internal.h"
#include "registry.h"

/* Checks the wrapper's own labels: valid names (the root registry's
 * grammar), each once, none an inner wrapper's too; UTF-8 values. The
 * names reserved per type (le, quantile) are checked when a metric is
 * created, where the type is known. */
static int check_labels(const promc_label *labels, size_t n, const struct promc__wrap *inner,
                        bool utf8)
{
    if (n && !labels)
        return promc__fail(PROMC_EINVAL, "promc_registry_wrap: labels is NULL but nlabels is %zu",
                           n);
    for (size_t i = 0; i < n; i++) {
        const char *l = labels[i].name, *v = labels[i].value;
        if (!l || !promc__valid_label(l, utf8))
            return promc__fail(PROMC_EINVAL, "promc_registry_wrap: invalid label name \"%s\"",
                               l ? l : "(null)");
        for (size_t j = 0; j < i; j++)
            if (strcmp(labels[j].name, l) == 0)
                return promc__fail(PROMC_EINVAL, "promc_registry_wrap: duplicate label \"%s\"", l);
        for (size_t j = 0; inner && j < inner->nlabels; j++)
            if (strcmp(inner->labels[j].name, l) == 0)
                return promc__fail(PROMC_EINVAL,
                                   "promc_registry_wrap: label \"%s\" is already added by the "
                                   "wrapped registry",
                                   l);
        if (!v || !promc__valid_utf8(v, strlen(v)))
            return promc__fail(PROMC_EINVAL, "promc_registry_wrap: value of label \"%s\" is %s", l,
                               v ? "not valid UTF-8" : "NULL");
    }
    return PROMC_OK;
}

static int copy_label(promc_label *dst, const promc_label *src)
{
    dst->name = promc__strdup(src->name);
    dst->value = promc__strdup(src->value);
    return dst->name && dst->value ? PROMC_OK : PROMC_ENOMEM;
}

/* The flattened view: the whole prefix and every label of the chain. */
static struct promc__wrap *flatten(promc_registry *inner, promc_registry *root, const char *prefix,
                                   const promc_label *labels, size_t nlabels)
{
    const struct promc__wrap *iw = inner->wrap;
    struct promc__wrap *w = promc__calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->inner = inner;
    w->root = root;
    size_t ilen = iw ? strlen(iw->prefix) : 0, plen = prefix ? strlen(prefix) : 0;
    w->prefix = promc__malloc(ilen + plen + 1);
    size_t total = nlabels + (iw ? iw->nlabels : 0);
    w->labels = promc__calloc(total ? total : 1, sizeof *w->labels);
    if (!w->prefix || !w->labels)
        goto oom;
    if (ilen)
        memcpy(w->prefix, iw->prefix, ilen);
    if (plen)
        memcpy(w->prefix + ilen, prefix, plen);
    w->prefix[ilen + plen] = '\0';
    for (size_t i = 0; i < total; i++) {
        const promc_label *src = i < nlabels ? &labels[i] : &iw->labels[i - nlabels];
        w->nlabels++; /* counted first: wrap_free frees a half-copied pair */
        if (copy_label(&w->labels[i], src) != PROMC_OK)
            goto oom;
    }
    return w;
oom:
    promc__wrap_free(w);
    return NULL;
}

struct promc__wrap *promc__wrap_copy(const struct promc__wrap *w)
{
    struct promc__wrap *c = promc__calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->prefix = promc__strdup(w->prefix);
    c->labels = promc__calloc(w->nlabels ? w->nlabels : 1, sizeof *c->labels);
    if (!c->prefix || !c->labels) {
        promc__wrap_free(c);
        return NULL;
    }
    for (size_t i = 0; i < w->nlabels; i++) {
        c->nlabels++;
        if (copy_label(&c->labels[i], &w->labels[i]) != PROMC_OK) {
            promc__wrap_free(c);
            return NULL;
        }
    }
    return c;
}

promc_registry *promc__wrap_new(promc_registry *inner, promc_registry *root, const char *prefix,
                                const promc_label *labels, size_t nlabels)
{
    if (prefix && !promc__valid_utf8(prefix, strlen(prefix)))
        return promc__fail_null(PROMC_EINVAL, "promc_registry_wrap: the prefix is not valid UTF-8");
    if (check_labels(labels, nlabels, inner->wrap, promc__registry_utf8(root)) != PROMC_OK)
        return NULL;
    promc_registry *w = promc__calloc(1, sizeof *w);
    if (w)
        w->wrap = flatten(inner, root, prefix, labels, nlabels);
    if (!w || !w->wrap) {
        promc__free(w);
        return promc__fail_null(PROMC_ENOMEM, "out of memory wrapping a registry");
    }
    atomic_init(&w->refs, 1);
    atomic_init(&w->released, false);
    promc__registry_ref(inner);
    promc__ok();
    return w;
}

bool promc__wrap_same(const struct promc__wrap *w, const struct promc__wrap *c)
{
    if (!c || strcmp(w->prefix, c->prefix) != 0 || w->nlabels != c->nlabels)
        return false;
    for (size_t i = 0; i < w->nlabels; i++) {
        bool found = false;
        for (size_t j = 0; j < c->nlabels && !found; j++)
            found = strcmp(w->labels[i].name, c->labels[j].name) == 0 &&
                    strcmp(w->labels[i].value, c->labels[j].value) == 0;
        if (!found)
            return false;
    }
    return true;
}

bool promc__wrap_carries(const struct promc__wrap *w, const struct promc_metric *m)
{
    size_t plen = strlen(w->prefix);
    if (strncmp(m->desc.name, w->prefix, plen) != 0)
        return false;
    for (size_t i = 0; i < w->nlabels; i++) {
        bool found = false;
        for (size_t j = 0; j < m->nconst && !found; j++)
            found = strcmp(m->label_names[m->nlabels + j], w->labels[i].name) == 0 &&
                    strcmp(m->const_values[j], w->labels[i].value) == 0;
        if (!found)
            return false;
    }
    return true;
}
