/*
 * The README's batch-job example: a job records when it last succeeded and
 * how much it did, then pushes that to a Pushgateway (when PUSHGATEWAY_URL is
 * set) and writes it for node_exporter's textfile collector (when
 * TEXTFILE_PATH is set).
 */
#include <stdio.h>
#include <stdlib.h>

#include "promc_http.h"

int main(void)
{
    promc_registry *reg = promc_registry_new();
    promc_gauge *last_success = promc_gauge_new(reg, "backup_last_success_timestamp_seconds",
                                                "When the backup last succeeded.", NULL);
    promc_counter *bytes = promc_counter_new(reg, "backup_written_bytes", "Bytes written.", NULL);

    promc_counter_add_int(bytes, 123456789); /* ... the job's real work ... */
    promc_gauge_set_to_current_time(last_success);

    int failed = 0;
    const char *gateway = getenv("PUSHGATEWAY_URL");
    promc_push_opts grouping = {.grouping = (promc_label[]){{"instance", "db-1"}}, .ngrouping = 1};
    if (gateway && promc_push(reg, gateway, "backup", &grouping) != PROMC_OK) {
        fprintf(stderr, "batch_job: push: %s\n", promc_last_error());
        failed = 1;
    }
    const char *textfile = getenv("TEXTFILE_PATH");
    if (textfile && promc_textfile_write(reg, textfile) != PROMC_OK) {
        fprintf(stderr, "batch_job: textfile: %s\n", promc_last_error());
        failed = 1;
    }
    promc_gauge_free(last_success);
    promc_counter_free(bytes);
    promc_registry_free(reg);
    return failed;
}
