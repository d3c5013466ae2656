/*
 * One collection of prefect_exporter: the queries of a scrape, in the
 * original's order, turned into the 14 gauge families (plus prefect_up and
 * the error counts). A query that failed leaves out the samples built from
 * it and sets prefect_up to 0; the collection logs what failed.
 */
#ifndef PF_COLLECT_H
#define PF_COLLECT_H

#include <stdbool.h>

#include "api.h"
#include "series.h"

enum pf_family_id {
    PF_DEPLOYMENTS_TOTAL,
    PF_INFO_DEPLOYMENT,
    PF_FLOWS_TOTAL,
    PF_INFO_FLOWS,
    PF_FLOW_RUNS_TOTAL,
    PF_FLOW_RUNS_TOTAL_RUN_TIME,
    PF_FLOW_RUNS_ONGOING_RUN_TIME,
    PF_INFO_FLOW_RUNS,
    PF_DEPLOYMENT_FAILED_FLOW_RUNS,
    PF_WORK_POOLS_TOTAL,
    PF_INFO_WORK_POOLS,
    PF_WORK_QUEUES_TOTAL,
    PF_INFO_WORK_QUEUES,
    PF_WORK_QUEUES_LATE_RUNS_COUNT,
    PF_NFAMILIES
};

typedef struct pf_collect_config {
    pf_api *api;
    long long offset_minutes;        /* window of the recent and ended runs */
    long long failed_offset_minutes; /* window of the failed runs; 0: not asked */
    long long failed_limit;          /* run ids kept per deployment, flow, state */
    bool flow_run_name;              /* the flow_run_name label */
} pf_collect_config;

typedef struct pf_result {
    pf_family families[PF_NFAMILIES];
    bool up; /* every request of the collection worked */
    unsigned long long errors[PF_EP_COUNT];
} pf_result;

/* A family's name (for promc_collector_new's list). */
const char *pf_family_name(enum pf_family_id id);

/* Runs one collection ending by deadline (monotonic seconds, see
 * pf_monotonic; why names what set it, for the log). A pf_result, or NULL
 * out of memory. One at a time per cfg->api. */
pf_result *pf_collect(const pf_collect_config *cfg, double deadline, const char *why);
/* Frees a pf_result; NULL is a no-op. */
void pf_result_free(pf_result *r);

#endif /* PF_COLLECT_H */
