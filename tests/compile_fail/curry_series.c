/* Currying a series (a child) instead of its family. */
#include "promc.h"

int main(void)
{
    promc_counter_vec *v =
        promc_counter_vec_new(NULL, "req", "R.", PROMC_LABELS("code", "host"), NULL);
    promc_counter *c = promc_counter_vec_labels(v, "200", "a");
    promc_counter_vec_curry(c, &(promc_label){"host", "a"}, 1);
    return 0;
}
