/* Looking up children of an unlabelled metric (a series has no labels). */
#include "promc.h"

int main(void)
{
    promc_counter *c = promc_counter_new(NULL, "ops", "O.", NULL);
    promc_counter_inc(promc_counter_vec_labels(c, "x"));
    return 0;
}
