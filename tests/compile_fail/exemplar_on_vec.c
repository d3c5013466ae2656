/* An exemplar on a labelled family itself, counter or histogram. */
#include "promc.h"

int main(void)
{
    static const promc_label ex[] = {{"trace_id", "t"}};
    promc_counter_vec *v = promc_counter_vec_new(NULL, "req", "R.", PROMC_LABELS("code"), NULL);
    promc_histogram_vec *h = promc_histogram_vec_new(NULL, "lat", "L.", PROMC_LABELS("k"), NULL);
    promc_counter_inc_exemplar(v, ex, 1);
    promc_histogram_observe_exemplar(h, 1, ex, 1);
    return 0;
}
