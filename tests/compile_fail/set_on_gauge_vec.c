/* Setting a labelled gauge family instead of one of its children. */
#include "promc.h"

int main(void)
{
    promc_gauge_vec *g = promc_gauge_vec_new(NULL, "temp", "T.", PROMC_LABELS("room"), NULL);
    promc_gauge_set(g, 21);
    return 0;
}
