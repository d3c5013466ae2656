/*
 * Writes a small registry to a .prom file with promc_textfile_write, as a
 * batch job would for node_exporter's textfile collector.
 * usage: textfile_writer PATH VALUE
 */
#include <stdio.h>
#include <stdlib.h>

#include "promc_http.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PATH VALUE\n", argv[0]);
        return 2;
    }
    promc_registry *r = promc_registry_new();
    promc_gauge *last = promc_gauge_new(r, "promc_batch_last_success_timestamp_seconds",
                                        "Last successful run of the batch job.", NULL);
    promc_counter_vec *rows =
        promc_counter_vec_new(r, "promc_batch_rows_processed", "Rows processed by the batch job.",
                              PROMC_LABELS("table"), NULL);
    promc_gauge_set(last, strtod(argv[2], NULL));
    promc_counter_add_int(promc_counter_vec_labels(rows, "users \"main\""), 1234);
    int rc = promc_textfile_write(r, argv[1]);
    if (rc != PROMC_OK)
        fprintf(stderr, "textfile_writer: %s\n", promc_last_error());
    promc_gauge_free(last);
    promc_counter_vec_free(rows);
    promc_registry_free(r);
    return rc == PROMC_OK ? 0 : 1;
}
