/* Freeing a family through the series call. */
#include "promc.h"

int main(void)
{
    promc_counter_vec *v = promc_counter_vec_new(NULL, "req", "R.", PROMC_LABELS("code"), NULL);
    promc_counter_free(v);
    return 0;
}
