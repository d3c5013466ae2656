/*
 * push_client GATEWAY ACTION: one Pushgateway call with a fixed registry, for
 * tests/integration/pushgateway.sh. Exits 0 when the call succeeded, else
 * prints "push_client: ACTION: PROMC_xxx: message" on stderr and exits 1.
 * Actions (job "promc_test"):
 *   put            PUT, group instance="a/b": promc_test_requests_total 3 and
 *                  promc_test_temperature_celsius{room="lab"} 21.5
 *   add            POST, same group: promc_test_added 7
 *   replace        PUT, same group: promc_test_requests_total 5 only
 *   delete         DELETE the group
 *   clash-counter  PUT, group instance="clash1": counter promc_clash_total 1
 *   clash-gauge    PUT, group instance="clash2": gauge promc_clash_total 1
 *                  (the gateway refuses it after clash-counter)
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "promc.h"
#include "promc_http.h"

static int die(const char *action, int rc)
{
    fprintf(stderr, "push_client: %s: %s: %s\n", action, promc_errname(rc), promc_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s GATEWAY-URL put|add|replace|delete|clash-counter|clash-gauge\n",
                argv[0]);
        return 2;
    }
    const char *gw = argv[1], *action = argv[2];
    promc_registry *reg = promc_registry_new();
    if (!reg)
        return die(action, PROMC_ENOMEM);
    promc_label group[] = {{"instance", "a/b"}};
    promc_push_opts opts = {.grouping = group, .ngrouping = 1, .timeout = 5};
    int rc = PROMC_OK;

    if (!strcmp(action, "put") || !strcmp(action, "replace")) {
        promc_counter *c = promc_counter_new(reg, "promc_test_requests", "Requests handled.", NULL);
        if (!c)
            return die(action, promc_last_error_code());
        promc_counter_add(c, !strcmp(action, "put") ? 3 : 5);
        promc_counter_free(c);
        if (!strcmp(action, "put")) {
            promc_gauge_vec *g =
                promc_gauge_vec_new(reg, "promc_test_temperature_celsius", "Room temperature.",
                                    PROMC_LABELS("room"), NULL);
            if (!g)
                return die(action, promc_last_error_code());
            promc_gauge_set(promc_gauge_vec_labels(g, "lab"), 21.5);
            promc_gauge_vec_free(g);
        }
        rc = promc_push(reg, gw, "promc_test", &opts);
    } else if (!strcmp(action, "add")) {
        promc_gauge *g = promc_gauge_new(reg, "promc_test_added", "Added by POST.", NULL);
        if (!g)
            return die(action, promc_last_error_code());
        promc_gauge_set(g, 7);
        promc_gauge_free(g);
        rc = promc_push_add(reg, gw, "promc_test", &opts);
    } else if (!strcmp(action, "delete")) {
        rc = promc_push_delete(gw, "promc_test", &opts);
    } else if (!strcmp(action, "clash-counter") || !strcmp(action, "clash-gauge")) {
        bool counter = !strcmp(action, "clash-counter");
        group[0].value = counter ? "clash1" : "clash2";
        if (counter) {
            promc_counter *c = promc_counter_new(reg, "promc_clash", "A counter.", NULL);
            if (!c)
                return die(action, promc_last_error_code());
            promc_counter_inc(c);
            promc_counter_free(c);
        } else {
            promc_gauge *g = promc_gauge_new(reg, "promc_clash_total", "A gauge.", NULL);
            if (!g)
                return die(action, promc_last_error_code());
            promc_gauge_set(g, 1);
            promc_gauge_free(g);
        }
        rc = promc_push(reg, gw, "promc_test", &opts);
    } else {
        fprintf(stderr, "push_client: unknown action \"%s\"\n", action);
        promc_registry_free(reg);
        return 2;
    }
    int status = rc == PROMC_OK ? 0 : die(action, rc);
    promc_registry_free(reg);
    return status;
}
