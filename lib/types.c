/*
 * The type table (types.h): what each metric type means, once. The sample
 * suffixes are what a registry claims at registration; the words and name
 * suffixes are what the encoders write; the fold and unit rules are what
 * every constructor and collector family checks.
 */
#include <string.h>

#include "internal.h"
#include "types.h"

static const char *const counter_claims[] = {"", "_total", "_created", NULL};
static const char *const gauge_claims[] = {"", NULL};
static const char *const histogram_claims[] = {"", "_bucket", "_count", "_sum", "_created", NULL};
static const char *const summary_claims[] = {"", "_count", "_sum", "_created", NULL};
static const char *const info_claims[] = {"", "_info", NULL};

static const struct promc__type_info types[] = {
    [PROMC_COUNTER] = {"counter", "counter", "counter", "_total", "_total", "_total",
                       counter_claims, NULL, true, 0},
    [PROMC_GAUGE] = {"gauge", "gauge", "gauge", NULL, "", "", gauge_claims, NULL, true, 1},
    [PROMC_HISTOGRAM] = {"histogram", "histogram", "histogram", NULL, "", "", histogram_claims,
                         "le", true, 4},
    [PROMC_SUMMARY] = {"summary", "summary", "summary", NULL, "", "", summary_claims, "quantile",
                       true, 2},
    /* The stateset's reserved label is its own name: checked where the name is known. */
    [PROMC_STATESET] = {"stateset", "gauge", "stateset", NULL, "", "", gauge_claims, NULL, false,
                        1},
    [PROMC_INFO] = {"info", "gauge", "info", "_info", "_info", "_info", info_claims, NULL, false,
                    1},
    [PROMC_UNTYPED] = {"untyped", "untyped", "unknown", NULL, "", "", gauge_claims, NULL, true, 3},
};

const struct promc__type_info *promc__type(promc_type t)
{
    return (unsigned)t < sizeof types / sizeof types[0] ? &types[t] : NULL;
}

size_t promc__base_len(promc_type t, const char *name)
{
    size_t len = strlen(name);
    const char *fold = promc__type(t)->fold;
    if (fold) {
        size_t fl = strlen(fold);
        if (len > fl && strcmp(name + len - fl, fold) == 0)
            return len - fl;
    }
    return len;
}

/* OpenMetrics: a unit is *metricname-char (letters, digits, '_' and ':'). */
static bool valid_unit(const char *u)
{
    for (; *u; u++)
        if (!((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') || (*u >= '0' && *u <= '9') ||
              *u == '_' || *u == ':'))
            return false;
    return true;
}

int promc__check_family(promc_type t, const char *prefix, const char *base, const char *help,
                        const char *unit, bool utf8)
{
    const struct promc__type_info *ti = promc__type(t);
    if (!ti)
        return promc__fail(PROMC_EINVAL, "%sunknown metric type %d", prefix, (int)t);
    if (!promc__valid_name(base, utf8))
        return promc__fail(PROMC_EINVAL, "%sinvalid metric name \"%s\"", prefix,
                           base ? base : "(null)");
    if (!help)
        return promc__fail(PROMC_EINVAL, "%smetric \"%s\": help is NULL (\"\" is allowed)", prefix,
                           base);
    if (!promc__valid_utf8(help, strlen(help)))
        return promc__fail(PROMC_EINVAL, "%smetric \"%s\": help text is not valid UTF-8", prefix,
                           base);
    if (!unit || !*unit)
        return PROMC_OK;
    if (!ti->unit_allowed)
        return promc__fail(PROMC_EINVAL, "%smetric \"%s\": a %s has no unit", prefix, base,
                           ti->name);
    size_t ul = strlen(unit), nl = strlen(base);
    if (!valid_unit(unit))
        return promc__fail(PROMC_EINVAL, "%smetric \"%s\": invalid unit \"%s\"", prefix, base,
                           unit);
    if (nl <= ul + 1 || base[nl - ul - 1] != '_' || strcmp(base + nl - ul, unit) != 0)
        return promc__fail(PROMC_EINVAL, "%smetric \"%s\": name must end with \"_%s\" (its unit)",
                           prefix, base, unit);
    return PROMC_OK;
}
