/*
 * The process collector (process.c), created unregistered: the public
 * constructor and the default registry (default_registry.c) register it.
 */
#ifndef PROMC_PROCESS_H
#define PROMC_PROCESS_H

struct promc_metric;

/* The process collector reading proc_root (NULL: "/proc"), unregistered;
 * NULL with the error recorded on failure. */
struct promc_metric *promc__process_collector_create(const char *proc_root);

#endif
