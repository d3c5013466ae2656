/* A counter's child passed to a gauge call. */
#include "promc.h"

int main(void)
{
    promc_counter_vec *v = promc_counter_vec_new(NULL, "req", "R.", PROMC_LABELS("code"), NULL);
    promc_gauge_set(promc_counter_vec_labels(v, "200"), 1);
    return 0;
}
