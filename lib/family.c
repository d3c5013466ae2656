/*
 * Families: creation (validating the name, help, unit and label names, and
 * copying them), reference counting and destruction, the sample names a
 * family claims in a registry, and the public calls that work on a metric of
 * any type. The children themselves live in children.c.
 */
#include <string.h>

#include "family.h"
#include "internal.h"
#include "types.h"

/* ===================================================================== */
/* Claims: the sample names a family emits                                */
/* ===================================================================== */

char **promc__claims_new(const char *base, const char *const *suffixes)
{
    size_t n = 0;
    while (suffixes[n])
        n++;
    char **claims = promc__calloc(n + 1, sizeof *claims);
    if (!claims)
        return NULL;
    size_t blen = strlen(base);
    for (size_t i = 0; i < n; i++) {
        size_t slen = strlen(suffixes[i]);
        claims[i] = promc__malloc(blen + slen + 1);
        if (!claims[i]) {
            promc__claims_free(claims);
            return NULL;
        }
        memcpy(claims[i], base, blen);
        memcpy(claims[i] + blen, suffixes[i], slen + 1);
    }
    return claims;
}

void promc__claims_free(char **claims)
{
    if (!claims)
        return;
    for (char **c = claims; *c; c++)
        promc__free(*c);
    promc__free(claims);
}

/* ===================================================================== */
/* Creation and destruction                                               */
/* ===================================================================== */

static int check_label_names(const char *name, const char *const *label_names,
                             const char *reserved1, const char *reserved2, bool utf8, size_t *count)
{
    size_t n = 0;
    for (; label_names && label_names[n]; n++) {
        const char *l = label_names[n];
        if (!promc__valid_label(l, utf8))
            return promc__fail(PROMC_EINVAL, "metric \"%s\": invalid label name \"%s\"", name, l);
        if ((reserved1 && strcmp(l, reserved1) == 0) || (reserved2 && strcmp(l, reserved2) == 0))
            return promc__fail(PROMC_EINVAL, "metric \"%s\": label name \"%s\" is reserved", name,
                               l);
        for (size_t j = 0; j < n; j++)
            if (strcmp(label_names[j], l) == 0)
                return promc__fail(PROMC_EINVAL, "metric \"%s\": duplicate label name \"%s\"", name,
                                   l);
    }
    *count = n;
    return PROMC_OK;
}

int promc__check_pair_value(const struct promc_metric *m, const char *name, const char *value,
                            const char *fn)
{
    if (!value)
        return promc__fail(PROMC_EINVAL, "%s \"%s\": value of label \"%s\" is NULL", fn,
                           m->desc.name, name);
    if (!promc__valid_utf8(value, strlen(value)))
        return promc__fail(PROMC_EINVAL, "%s \"%s\": value of label \"%s\" is not valid UTF-8", fn,
                           m->desc.name, name);
    return PROMC_OK;
}

int promc__check_const_labels(const char *name, const char *const *label_names, size_t nlabels,
                              const promc_label *cl, size_t ncl, const char *reserved1,
                              const char *reserved2, bool utf8)
{
    if (ncl && !cl)
        return promc__fail(PROMC_EINVAL,
                           "metric \"%s\": const_labels is NULL but nconst_labels "
                           "is %zu",
                           name, ncl);
    for (size_t i = 0; i < ncl; i++) {
        const char *l = cl[i].name, *v = cl[i].value;
        if (!l)
            return promc__fail(PROMC_EINVAL, "metric \"%s\": constant label %zu has no name", name,
                               i);
        if (!promc__valid_label(l, utf8))
            return promc__fail(PROMC_EINVAL, "metric \"%s\": invalid constant label name \"%s\"",
                               name, l);
        if ((reserved1 && strcmp(l, reserved1) == 0) || (reserved2 && strcmp(l, reserved2) == 0))
            return promc__fail(PROMC_EINVAL,
                               "metric \"%s\": constant label name \"%s\" is reserved", name, l);
        for (size_t j = 0; j < nlabels; j++)
            if (strcmp(label_names[j], l) == 0)
                return promc__fail(PROMC_EINVAL,
                                   "metric \"%s\": \"%s\" is both a variable and a constant label",
                                   name, l);
        for (size_t j = 0; j < i; j++)
            if (strcmp(cl[j].name, l) == 0)
                return promc__fail(PROMC_EINVAL, "metric \"%s\": duplicate constant label \"%s\"",
                                   name, l);
        if (!v)
            return promc__fail(PROMC_EINVAL,
                               "metric \"%s\": value of constant label \"%s\" is NULL", name, l);
        if (!promc__valid_utf8(v, strlen(v)))
            return promc__fail(PROMC_EINVAL,
                               "metric \"%s\": value of constant label \"%s\" is not valid UTF-8",
                               name, l);
    }
    return PROMC_OK;
}

static size_t round_up8(size_t n)
{
    return (n + 7) / 8 * 8;
}

static void family_destroy(struct promc_metric *m)
{
    promc__children_free(m);
    if (m->ops->fini)
        m->ops->fini(m);
    promc__claims_free(m->claims);
    if (m->label_names) {
        for (size_t i = 0; i < m->nlabels + m->nconst; i++)
            promc__free(m->label_names[i]);
        promc__free(m->label_names);
    }
    promc__free_strings(m->const_values, m->nconst);
    promc__free(m->pieces);
    promc__free(m->piece_off);
    promc__free(m->label_name_len);
    promc__free(m->name);
    promc__free(m->help);
    promc__free(m->unit);
    pthread_rwlock_destroy(&m->lock);
    promc__free(m);
}

/* The parts every metric has: ops, references, lock, name, help, claims.
 * type_data belongs to the metric from the call on: released by ops->fini
 * on failure too. */
static struct promc_metric *metric_alloc(const struct promc__ops *ops, const char *name,
                                         const char *help, const char *unit,
                                         const char *const *claim_suffixes, const char *claim_base,
                                         void *type_data)
{
    struct promc_metric *m = promc__calloc(1, sizeof *m);
    if (!m) {
        struct promc_metric tmp = {.ops = ops, .type_data = type_data};
        if (ops->fini)
            ops->fini(&tmp);
        return NULL;
    }
    m->ops = ops;
    m->type_data = type_data;
    m->id = promc__new_family_id();
    atomic_init(&m->refs, 1);
    atomic_init(&m->owners, 1);
    atomic_init(&m->refused, 0);
    atomic_init(&m->gen, promc__new_family_id()); /* never 0, an empty cache entry's */
    atomic_init(&m->nlive, 0);
    promc__rwlock_init(&m->lock);
    m->name = promc__strdup(name);
    m->help = promc__strdup(help);
    m->unit = unit ? promc__strdup(unit) : NULL;
    m->claims = promc__claims_new(claim_base, claim_suffixes);
    m->desc.name = m->name;
    m->desc.help = m->help;
    m->desc.unit = m->unit;
    m->desc.type = ops->type;
    if (!m->name || !m->help || (unit && !m->unit) || !m->claims) {
        family_destroy(m);
        return NULL;
    }
    return m;
}

/* The family's share of every child's label body, made once: before each
 * variable value its piece ([,]name="), after the last its tail (the
 * constant labels, name="escaped",..., with a comma when both kinds are
 * there). A body is then piece, value, piece, value, ..., tail. */
static int render_pieces(struct promc_metric *m)
{
    size_t n = m->nlabels + m->nconst, len = 0;
    for (size_t i = 0; i < m->nlabels; i++)
        len += (i > 0) + m->label_name_len[i] + 2;
    size_t consts = 0;
    for (size_t i = m->nlabels; i < n; i++)
        consts += (i > m->nlabels) + m->label_name_len[i] + 3 +
                  promc__escaped_len(m->const_values[i - m->nlabels], true);
    size_t comma = m->nlabels && m->nconst;
    if (len + comma + consts > INT32_MAX - 1) /* a body's length stays below 2^31 */
        return promc__fail(PROMC_EINVAL, "metric \"%s\": label names and constant labels too long",
                           m->desc.name);
    char *p = m->pieces = promc__malloc(len + comma + consts + 1);
    m->piece_off = promc__malloc((m->nlabels + 1) * sizeof *m->piece_off);
    if (!p || !m->piece_off)
        return PROMC_ENOMEM;
    for (size_t i = 0; i < m->nlabels; i++) {
        m->piece_off[i] = (uint32_t)(p - m->pieces);
        if (i)
            *p++ = ',';
        memcpy(p, m->label_names[i], m->label_name_len[i]);
        p += m->label_name_len[i];
        *p++ = '=';
        *p++ = '"';
    }
    m->piece_off[m->nlabels] = (uint32_t)(p - m->pieces);
    if (comma)
        *p++ = ',';
    m->const_rendered = p;
    for (size_t i = m->nlabels; i < n; i++) {
        if (i > m->nlabels)
            *p++ = ',';
        memcpy(p, m->label_names[i], m->label_name_len[i]);
        p += m->label_name_len[i];
        *p++ = '=';
        *p++ = '"';
        p += promc__escape(p, m->const_values[i - m->nlabels], true);
        *p++ = '"';
    }
    *p = '\0';
    m->const_rendered_len = consts;
    m->labels_extra = (size_t)(p - m->pieces);
    return PROMC_OK;
}

struct promc_metric *promc__family_new(const struct promc__ops *ops, const char *name,
                                       const char *help, const char *const *label_names,
                                       const char *unit, size_t max_children, size_t child_size,
                                       const char *reserved, bool utf8,
                                       const promc_label *const_labels, size_t nconst,
                                       void *type_data)
{
    const struct promc__type_info *ti = promc__type(ops->type);
    size_t nlabels = 0;
    if (unit && !*unit)
        unit = NULL;
    if (promc__check_family(ops->type, "", name, help, unit, utf8) != PROMC_OK ||
        check_label_names(name, label_names, ti->reserved, reserved, utf8, &nlabels) != PROMC_OK ||
        promc__check_const_labels(name, label_names, nlabels, const_labels, nconst, ti->reserved,
                                  reserved, utf8) != PROMC_OK)
        goto fail;
    struct promc_metric *m = metric_alloc(ops, name, help, unit, ti->claims, name, type_data);
    if (!m)
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating metric \"%s\"", name);
    /* Children keep their values text right after the type's struct. */
    m->child_size = round_up8(child_size);
    m->max_children = max_children;
    for (size_t i = 0; i < nlabels; i++)
        if (!promc__legacy_name(label_names[i], strlen(label_names[i]), true))
            m->utf8_labels = true;
    for (size_t i = 0; i < nconst; i++)
        if (!promc__legacy_name(const_labels[i].name, strlen(const_labels[i].name), true))
            m->utf8_labels = true;
    /* A stateset's states are labelled with its name. */
    m->utf8_names = m->utf8_labels || !promc__valid_metric_name(name) ||
                    (ops->type == PROMC_STATESET && !promc__valid_label_name(name));
    if (nlabels + nconst) {
        m->label_names = promc__calloc(nlabels + nconst, sizeof(char *));
        m->label_name_len = promc__calloc(nlabels + nconst, sizeof(size_t));
        m->const_values = nconst ? promc__calloc(nconst, sizeof(char *)) : NULL;
        if (!m->label_names || !m->label_name_len || (nconst && !m->const_values))
            goto oom_destroy;
        for (; m->nlabels < nlabels; m->nlabels++) {
            m->label_names[m->nlabels] = promc__strdup(label_names[m->nlabels]);
            if (!m->label_names[m->nlabels])
                goto oom_destroy;
            m->label_name_len[m->nlabels] = strlen(label_names[m->nlabels]);
        }
        /* Counted as they are copied, so that a failure frees what was. */
        for (; m->nconst < nconst; m->nconst++) {
            size_t i = nlabels + m->nconst;
            m->label_names[i] = promc__strdup(const_labels[m->nconst].name);
            m->const_values[m->nconst] = promc__strdup(const_labels[m->nconst].value);
            if (!m->label_names[i] || !m->const_values[m->nconst]) {
                promc__free(m->label_names[i]);
                promc__free(m->const_values[m->nconst]);
                m->label_names[i] = NULL;
                m->const_values[m->nconst] = NULL;
                goto oom_destroy;
            }
            m->label_name_len[i] = strlen(m->label_names[i]);
        }
    }
    int rc = render_pieces(m);
    if (rc == PROMC_ENOMEM)
        goto oom_destroy;
    if (rc != PROMC_OK) {
        family_destroy(m);
        return NULL;
    }
    if (!nlabels) {
        /* The one series of an unlabelled family, exported from now on. */
        struct promc__child *root = promc__child_new(m, NULL, 0);
        if (!root) {
            family_destroy(m);
            return NULL;
        }
        promc__child_append(m, root);
        atomic_store_explicit(&m->nlive, 1, memory_order_relaxed);
    }
    return m;

oom_destroy:
    family_destroy(m);
    return promc__fail_null(PROMC_ENOMEM, "out of memory creating metric \"%s\"", name);
fail:
    if (ops->fini) {
        struct promc_metric tmp = {.ops = ops, .type_data = type_data};
        ops->fini(&tmp);
    }
    return NULL;
}

struct promc_metric *promc__metric_new(const struct promc__ops *ops, const char *name,
                                       const char *help, const char *const *claims, void *type_data)
{
    static const char *const none[] = {NULL};
    /* Declared names are claimed as given ("" + name). */
    struct promc_metric *m =
        metric_alloc(ops, name, help, NULL, claims ? claims : none, "", type_data);
    if (!m)
        return promc__fail_null(PROMC_ENOMEM, "out of memory creating \"%s\"", name);
    return m;
}

/* ===================================================================== */
/* References                                                             */
/* ===================================================================== */

void promc__metric_ref(struct promc_metric *m)
{
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void promc__metric_unref(struct promc_metric *m)
{
    if (m && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
        family_destroy(m);
}

int promc__metric_release(struct promc_metric *m)
{
    if (!m)
        return promc__ok();
    size_t owners = atomic_load_explicit(&m->owners, memory_order_relaxed);
    do {
        if (owners == 0)
            break;
    } while (!atomic_compare_exchange_weak_explicit(&m->owners, &owners, owners - 1,
                                                    memory_order_relaxed, memory_order_relaxed));
    if (owners == 0)
        return promc__fail(PROMC_EINVAL,
                           "metric \"%s\" was already freed (a registry still holds "
                           "it)",
                           m->desc.name);
    promc__metric_unref(m);
    return promc__ok();
}

struct promc_metric *promc__unlabelled_family(const void *series, const char *what)
{
    if (!series)
        return promc__fail_null(PROMC_EINVAL, "%s: NULL handle", what);
    struct promc_metric *m = promc__family_of(series);
    if (m->nlabels)
        return promc__fail_null(PROMC_EINVAL,
                                "%s \"%s\": this handle is a child of a labelled family: pass "
                                "the family (its *_vec handle) instead",
                                what, m->desc.name);
    return m;
}

/* ===================================================================== */
/* The shared bodies of the typed public wrappers                         */
/* ===================================================================== */

struct promc_metric *promc__series_metric(const void *series, const char *fn)
{
    struct promc_metric *m = promc__unlabelled_family(series, fn);
    if (m)
        promc__ok();
    return m;
}

int promc__series_free(const void *series, const char *fn)
{
    if (!series)
        return promc__ok();
    struct promc_metric *m = promc__unlabelled_family(series, fn);
    return m ? promc__metric_release(m) : PROMC_EINVAL;
}

/* ===================================================================== */
/* Public calls on a metric of any type                                   */
/* ===================================================================== */

int promc_metric_free(promc_metric *m)
{
    return promc__metric_release(m);
}

const char *promc_metric_name(const promc_metric *m)
{
    return m ? m->desc.name : NULL;
}

size_t promc_metric_children(const promc_metric *m)
{
    return m ? promc__family_live(m) : 0;
}

uint64_t promc_metric_refused(const promc_metric *m)
{
    return m ? atomic_load_explicit(&m->refused, memory_order_relaxed) : 0;
}

int promc_metric_reclaim_removed(promc_metric *m)
{
    if (!m)
        return promc__fail(PROMC_EINVAL, "promc_metric_reclaim_removed: NULL metric");
    return promc__family_reclaim(m);
}
