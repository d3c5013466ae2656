/*
 * The API page's example of curried labels and partial-match removal: a
 * program that reports the builds of several CI jobs fixes each job's name
 * once (a curried view of the family), and when a job disappears upstream,
 * removes every series of it with one call.
 */
#include <stdio.h>

#include "promc.h"

struct job {
    const char *name;
    promc_gauge_vec *builds; /* the family, with this job's name fixed */
};

static int fail(const char *what)
{
    fprintf(stderr, "ci_jobs: %s: %s\n", what, promc_last_error());
    return 1;
}

/* The code of one job passes only the labels that vary. */
static void record(const struct job *j, const char *branch, const char *result, double seconds)
{
    promc_gauge_set(promc_gauge_vec_labels(j->builds, branch, result), seconds);
}

int main(void)
{
    promc_registry *reg = promc_registry_new();
    promc_gauge_vec *builds =
        promc_gauge_vec_new(reg, "ci_build_duration_seconds", "Duration of the last build.",
                            PROMC_LABELS("job", "branch", "result"), NULL);
    if (!builds)
        return fail("ci_build_duration_seconds");
    struct job jobs[] = {{"deploy", NULL}, {"lint", NULL}};
    for (size_t i = 0; i < 2; i++) {
        jobs[i].builds = promc_gauge_vec_curry(builds, &(promc_label){"job", jobs[i].name}, 1);
        if (!jobs[i].builds)
            return fail(jobs[i].name);
    }
    record(&jobs[0], "main", "success", 42.5);
    record(&jobs[0], "release", "failure", 3);
    record(&jobs[1], "main", "success", 7.25);

    /* "deploy" disappeared upstream: every series of it goes at once. */
    size_t removed;
    if (promc_gauge_vec_remove_partial(builds, &(promc_label){"job", "deploy"}, 1, &removed) !=
        PROMC_OK)
        return fail("remove deploy");
    printf("removed %zu series of job deploy\n", removed);
    int rc = promc_encode_file(reg, PROMC_FORMAT_TEXT, stdout);

    for (size_t i = 0; i < 2; i++)
        promc_gauge_vec_free(jobs[i].builds); /* the views: the family stays */
    promc_gauge_vec_free(builds);
    promc_registry_free(reg);
    return rc == PROMC_OK ? 0 : 1;
}
