/* Incrementing a curried view: it is a family handle, not a series. */
#include "promc.h"

int main(void)
{
    promc_counter_vec *v =
        promc_counter_vec_new(NULL, "req", "R.", PROMC_LABELS("code", "host"), NULL);
    promc_counter_inc(promc_counter_vec_curry(v, &(promc_label){"host", "a"}, 1));
    return 0;
}
