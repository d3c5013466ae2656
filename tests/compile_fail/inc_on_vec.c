/* Incrementing a labelled family itself (a hidden series nobody scrapes). */
#include "promc.h"

int main(void)
{
    promc_counter_vec *v = promc_counter_vec_new(NULL, "req", "R.", PROMC_LABELS("code"), NULL);
    promc_counter_inc(v);
    return 0;
}
