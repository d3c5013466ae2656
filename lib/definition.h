/*
 * Comparing metric definitions (definition.c), for constructors that ask
 * for a metric already registered.
 */
#ifndef PROMC_DEFINITION_H
#define PROMC_DEFINITION_H

#include <stdbool.h>
#include <stddef.h>

#include "metric.h"

/* Whether want (a new, unregistered metric) is defined exactly as have (a
 * registered one). When not, why[cap] says what differs ("another help
 * text"), for the message that names both. */
bool promc__same_definition(const struct promc_metric *have, const struct promc_metric *want,
                            char *why, size_t cap);

#endif
