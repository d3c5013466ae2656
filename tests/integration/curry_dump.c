/*
 * promc's half of the curried-label check (tests/integration/curry_vs_go.sh):
 * the same lookups through curried views, and the same partial-match
 * removals on the families, as curry_go/main.go does with client_golang;
 * prints each removal's count, then the registry in the text format.
 */
#include <stdio.h>

#include "promc.h"

/* Prints the count that *n got from the call that returned rc. */
static void removed(int rc, const size_t *n)
{
    if (rc != PROMC_OK) {
        fprintf(stderr, "curry_dump: %s\n", promc_last_error());
        printf("error %d\n", rc);
        return;
    }
    printf("removed %zu\n", *n);
}

int main(void)
{
    promc_registry *reg = promc_registry_new();
    promc_counter_vec *jobs = promc_counter_vec_new(reg, "jobs_total", "Jobs.",
                                                    PROMC_LABELS("job", "node", "path"), NULL);
    promc_gauge_vec *temp = promc_gauge_vec_new(reg, "temp", "Temperature.",
                                                PROMC_LABELS("room", "sensor", "unit"), NULL);
    if (!jobs || !temp)
        return 1;

    promc_counter_vec *a = promc_counter_vec_curry(jobs, &(promc_label){"job", "a"}, 1);
    promc_counter_inc(promc_counter_vec_labels(a, "i1", "/x"));
    promc_counter_add(promc_counter_vec_labels(a, "i2", "/x"), 2);
    promc_counter_add(promc_counter_vec_labels(a, "i1", "/y"), 3);
    promc_counter_add(promc_counter_vec_labels(jobs, "b", "i1", "/x"), 4);
    promc_counter_add(promc_counter_vec_labels(jobs, "ab", "i1", "/x"), 5);
    promc_counter_vec *a1 = promc_counter_vec_curry(a, &(promc_label){"node", "i1"}, 1);
    promc_counter_add(promc_counter_vec_labels(a1, "/z"), 6);
    promc_label every[] = {{"path", "/q"}, {"job", "c"}, {"node", "i9"}};
    promc_counter_vec *all = promc_counter_vec_curry(jobs, every, 3);
    promc_counter_add(promc_counter_vec_labels_n(all, NULL, 0), 7);
    promc_counter_vec *esc = promc_counter_vec_curry(jobs, &(promc_label){"job", "q\"b\\s\nn"}, 1);
    promc_counter_add(promc_counter_vec_labels(esc, "i1", "/x"), 8);
    promc_counter_add(promc_counter_vec_labels(esc, "i3", "/x"), 9);

    promc_gauge_vec *sensor = promc_gauge_vec_curry(temp, &(promc_label){"sensor", "s1"}, 1);
    promc_gauge_set(promc_gauge_vec_labels(sensor, "kitchen", "C"), 21.5);
    promc_gauge_set(promc_gauge_vec_labels(sensor, "cellar", "C"), 12);
    promc_gauge_set(promc_gauge_vec_labels(temp, "kitchen", "s2", "F"), 70);

    size_t n = 0;
    removed(promc_counter_vec_remove_partial(jobs, &(promc_label){"node", "i2"}, 1, &n), &n);
    promc_label path_job[] = {{"path", "/x"}, {"job", "a"}};
    removed(promc_counter_vec_remove_partial(jobs, path_job, 2, &n), &n);
    promc_label esc_i1[] = {{"job", "q\"b\\s\nn"}, {"node", "i1"}};
    removed(promc_counter_vec_remove_partial(jobs, esc_i1, 2, &n), &n);
    removed(promc_counter_vec_remove_partial(jobs, &(promc_label){"job", "zz"}, 1, &n), &n);
    removed(promc_counter_vec_remove_partial(jobs, &(promc_label){"job", ""}, 1, &n), &n);
    removed(promc_gauge_vec_remove_partial(temp, &(promc_label){"room", "kitchen"}, 1, &n), &n);
    int rc = promc_counter_vec_remove(a, "i1", "/y");
    printf("removed %d\n", rc == PROMC_OK);
    promc_counter_add(promc_counter_vec_labels(a, "i1", "/x"), 10); /* back, from zero */

    rc = promc_encode_file(reg, PROMC_FORMAT_TEXT, stdout);
    promc_counter_vec_free(esc);
    promc_counter_vec_free(all);
    promc_counter_vec_free(a1);
    promc_counter_vec_free(a);
    promc_gauge_vec_free(sensor);
    promc_counter_vec_free(jobs);
    promc_gauge_vec_free(temp);
    promc_registry_free(reg);
    return rc == PROMC_OK ? 0 : 1;
}
