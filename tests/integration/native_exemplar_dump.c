/*
 * promc's side of the native-exemplar oracle (tests/integration/
 * native_exemplars.sh): reads the cases native_exemplar_cases.py writes,
 * adds each exemplar to a set as a native histogram keeps them
 * (promc__xset_add_spread) with the wall clock pinned at the case's time,
 * and prints the IDs kept, in order, at every "show".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exemplar.h"
#include "internal.h"

#define BASE_TIME 1700000000.0

static double now;

static double case_clock(void)
{
    return now;
}

static void show(const char *name, struct promc__xset *set, struct promc__xcopy *copy)
{
    if (promc__xset_read(set, copy) != PROMC_OK) {
        fprintf(stderr, "native_exemplar_dump: %s\n", promc_last_error());
        exit(1);
    }
    printf("%s:", name);
    for (size_t i = 0; i < copy->n; i++)
        printf(" %s", copy->x[i].values[0]);
    printf("\n");
}

int main(void)
{
    char line[512], name[256] = "", id[64];
    struct promc__xset *set = NULL;
    struct promc__xcopy copy = {0};
    double ttl = 0;
    promc__clock = case_clock;
    while (fgets(line, sizeof line, stdin)) {
        size_t max;
        double v, t;
        if (sscanf(line, "case %255s %zu %lf", name, &max, &ttl) == 3) {
            promc__xset_free(set);
            set = promc__xset_new(max);
        } else if (sscanf(line, "add %lf %lf %63s", &v, &t, id) == 3 && set) {
            promc_label l = {"id", id};
            struct promc__xinput in;
            now = BASE_TIME + t;
            if (promc__exemplar_check(&in, &l, 1, v, "histogram", name) != PROMC_OK ||
                promc__xset_add_spread(set, &in, ttl) != PROMC_OK) {
                fprintf(stderr, "native_exemplar_dump: %s\n", promc_last_error());
                return 1;
            }
        } else if (!strncmp(line, "show", 4) && set) {
            show(name, set, &copy);
        } else {
            fprintf(stderr, "native_exemplar_dump: bad line: %s", line);
            return 1;
        }
    }
    promc__xset_free(set);
    promc__xcopy_free(&copy);
    return 0;
}
