/*
 * The exporters' report of a metric they could not create: one wording, and
 * the error read at once, while it still belongs to that creation.
 */
#include "create.h"

#include "promc.h"

#include "log.h"

int ex_metric_failed(const char *name)
{
    ex_log(EX_LOG_ERROR, "cannot create metric %s: %s", name, promc_last_error());
    return 1;
}
