/*
 * The consumer program of the packaging tests (tests/check_packaging.sh):
 * copied as main.c beside each build file of tests/packaging/, it counts one
 * event, writes the exposition, compares it with the expected one (through
 * promc_testutil.h, so every installed header is used) and checks that the
 * library it runs with is the version its headers name. Exit 0 when all
 * holds.
 */
#include <promc.h>
#include <promc_http.h>
#include <promc_testutil.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    promc_registry *reg = promc_registry_new();
    promc_counter *events = promc_counter_new(reg, "events", "Events seen.", NULL);
    if (!reg || !events) {
        fprintf(stderr, "consumer: %s\n", promc_last_error());
        return 1;
    }
    promc_counter_inc(events);
    char *text = promc_encode_buffer(reg, PROMC_FORMAT_TEXT, NULL);
    int ok = text && strstr(text, "events_total 1\n") &&
             promc_registry_compare(reg,
                                    "# HELP events_total Events seen.\n"
                                    "# TYPE events_total counter\n"
                                    "events_total 1\n",
                                    NULL, NULL) == PROMC_OK &&
             promc_version() == PROMC_VERSION_HEX &&
             strcmp(promc_version_string(), PROMC_VERSION_STRING) == 0;
    if (ok)
        printf("consumer: promc %s works\n", promc_version_string());
    else
        fprintf(stderr, "consumer: promc %s (headers %s) failed\n", promc_version_string(),
                PROMC_VERSION_STRING);
    promc_free(text);
    promc_counter_free(events);
    promc_registry_free(reg);
    return ok ? 0 : 1;
}
