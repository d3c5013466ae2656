/*
 * What each metric type means, written once: the words its TYPE line uses in
 * each format, the suffix folded off a name given with one ("_total",
 * "_info"), the suffixes of the samples it emits (which a registry claims),
 * whether it may have a unit, the label name it reserves, and its protobuf
 * MetricType. Every other file asks here instead of keeping its own table.
 */
#ifndef PROMC_TYPES_H
#define PROMC_TYPES_H

#include <stdbool.h>

#include "promc.h"

struct promc__type_info {
    const char *name;          /* for messages: "counter" */
    const char *text_word;     /* TYPE word in text 0.0.4 */
    const char *om_word;       /* TYPE word in OpenMetrics */
    const char *fold;          /* suffix a given name may carry and loses, or NULL */
    const char *value;         /* suffix of the value sample: "_total", "_info", "" */
    const char *text_name;     /* suffix of the family name in text HELP/TYPE lines */
    const char *const *claims; /* every sample-name suffix the family may emit */
    const char *reserved;      /* the label name it reserves ("le"), or NULL */
    bool unit_allowed;
    int proto_type; /* MetricFamily.type in the protobuf format (io.prometheus.client.MetricType) */
};

/* The entry for t; NULL for a value outside promc_type. */
const struct promc__type_info *promc__type(promc_type t);

/* The family name for a name given by the user: name without the type's
 * fold suffix ("x_total" -> "x" for counters). Returns the length of the
 * base; the base is name[0..len). */
size_t promc__base_len(promc_type t, const char *name);

/* Checks a family's base name, help and unit against the rules every
 * family shares (name grammar -- with utf8, any non-empty UTF-8 -- help not
 * NULL and UTF-8, unit grammar, unit a "_<unit>" suffix of the name, no unit
 * where the type has none) and records an error, its message starting with
 * prefix ("", "collector: "), on failure. */
int promc__check_family(promc_type t, const char *prefix, const char *base, const char *help,
                        const char *unit, bool utf8);

#endif
