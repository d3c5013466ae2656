/* Observing into a labelled histogram family instead of one of its children. */
#include "promc.h"

int main(void)
{
    promc_histogram_vec *h = promc_histogram_vec_new(NULL, "lat", "L.", PROMC_LABELS("k"), NULL);
    promc_histogram_observe(h, 0.5);
    return 0;
}
