/* The control: correct use of the same calls compiles, so a failure of the
 * other files is the mistake they make, not a broken harness. */
#include "promc.h"

int main(void)
{
    promc_counter_vec *v = promc_counter_vec_new(NULL, "req", "R.", PROMC_LABELS("code"), NULL);
    promc_counter *c = promc_counter_new(NULL, "ops", "O.", NULL);
    promc_histogram_vec *h = promc_histogram_vec_new(NULL, "lat", "L.", PROMC_LABELS("k"), NULL);
    promc_counter_inc(promc_counter_vec_labels(v, "200"));
    promc_counter_inc(c);
    promc_histogram_observe(promc_histogram_vec_labels(h, "a"), 1);
    static const promc_label ex[] = {{"trace_id", "t"}};
    promc_counter_inc_exemplar(promc_counter_vec_labels(v, "200"), ex, 1);
    promc_counter_add_exemplar(c, 2, ex, 1);
    promc_histogram_observe_exemplar(promc_histogram_vec_labels(h, "a"), 1, ex, 1);
    promc_counter_vec *view = promc_counter_vec_curry(v, NULL, 0);
    promc_counter_inc(promc_counter_vec_labels(view, "200"));
    promc_counter_vec_remove_partial(v, ex, 0, NULL);
    promc_counter_vec_free(view);
    promc_counter_vec_free(v);
    promc_counter_free(c);
    promc_histogram_vec_free(h);
    return 0;
}
