/*
 * promc -- checks for users' unit tests, part of the same library as promc.h
 * (nothing more to link): compare a registry's exposition with an expected
 * text in any order, count its series, and lint it with promtool's rules.
 * Reading one sample's value is promc_registry_get_sample_value, in promc.h.
 *
 * They live in their own header because they are for test programs, not for
 * the instrumented code: a program's hot code includes promc.h only, a test
 * includes this one too. client_golang keeps them apart the same way (its
 * prometheus/testutil package).
 *
 * What they read. Each works on the text format 0.0.4 (legacy metric and
 * label names; a registry's UTF-8 names are escaped with underscores, as a
 * default scrape writes them): a registry is scraped as promc_encode_ex
 * does, and the result is parsed back by the library's own parser; an
 * expected text is parsed by the same parser. A line that parser refuses
 * fails the call with PROMC_EINVAL and a message naming the line. The
 * errors, ownership and thread-safety rules of promc.h apply; each function
 * repeats its own.
 */
#ifndef PROMC_TESTUTIL_H
#define PROMC_TESTUTIL_H

#include "promc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* Compare                                                                */
/* ===================================================================== */

/* What promc_registry_compare and promc_text_compare return when both
 * parse but differ: not an error (the last error is PROMC_OK and ""), a
 * positive result distinct from every promc_error code. */
#define PROMC_DIFFERENT 1

/* Compares the registry's exposition with `expected`, a text in the text
 * format 0.0.4 (NUL-terminated), as client_golang's
 * testutil.GatherAndCompare does: the order of families and of the series
 * in a family does not matter; each family's HELP (or its absence: an
 * empty HELP is none, as client_golang's parser reads it) and TYPE must
 * match, and each sample (name, label set in any order, value, and
 * timestamp if any) must be on both sides; a bucket's le and a quantile's
 * quantile are numbers, as client_golang's parser reads them ("1.0" is
 * "1"). NaN equals NaN; 0 and -0 differ.
 * A family without samples (a labelled metric without children) is left
 * out on both sides, as client_golang leaves it out.
 * `names` (NULL-terminated, or NULL for all) keeps only the families of
 * those names on both sides, named as promc_scrape_opts.names names them
 * (a counter's with "_total", a histogram's without "_bucket").
 * reg NULL = default.
 * Returns PROMC_OK when they are the same, PROMC_DIFFERENT when not; then,
 * if diff is not NULL, *diff gets every difference, one a line, in the
 * order of family and series names: a family missing or unexpected, a
 * different HELP or TYPE, a missing series, an unexpected series, a
 * different value or timestamp. *diff is NULL otherwise.
 * Errors: PROMC_EINVAL (expected NULL; reg PROMC_NO_REGISTRY; an expected
 * text that does not parse, or repeats a series: the message names the
 * line); the errors of promc_encode (a failing collector, PROMC_ESTATE from
 * a collector or writer of a scrape of the same registry); PROMC_ENOMEM.
 * Ownership: *diff is the caller's (promc_free); nothing else is kept.
 * Any thread. */
PROMC_API int promc_registry_compare(promc_registry *reg, const char *expected,
                                     const char *const *names, char **diff);

/* promc_registry_compare for two texts: `got` (e.g. what an exporter served
 * or a textfile holds) against `expected`, both in the text format 0.0.4
 * and NUL-terminated, with the same rules, names filter and result.
 * Errors: PROMC_EINVAL (expected or got NULL, or not parsing: the message
 * says which text and line; a repeated series in either); PROMC_ENOMEM.
 * Ownership: *diff is the caller's (promc_free). Any thread. */
PROMC_API int promc_text_compare(const char *expected, const char *got, const char *const *names,
                                 char **diff);

/* ===================================================================== */
/* Count                                                                  */
/* ===================================================================== */

/* The number of series the registry exposes, into *count, as
 * client_golang's testutil.CollectAndCount counts them: one per label set
 * of a family, so a histogram series (its buckets, _sum and _count) or a
 * summary series (its quantiles, _sum and _count) is one, a counter or
 * gauge series is one, and an enum (a gauge with one series a state in
 * the text format) is as many as it has states. `name` (NULL: every
 * family) counts only the family of that name, named as
 * promc_scrape_opts.names names it ("http_requests_total", "latency_seconds");
 * a name no family has gives 0. reg NULL = default.
 * Errors: PROMC_EINVAL (count NULL, reg PROMC_NO_REGISTRY); the errors of
 * promc_encode; PROMC_ENOMEM. *count is unchanged on an error. Any
 * thread. */
PROMC_API int promc_registry_count(promc_registry *reg, const char *name, size_t *count);

/* ===================================================================== */
/* Lint                                                                   */
/* ===================================================================== */

/* One finding of the linter: the metric family it is about and what is
 * wrong, worded as promtool words it. */
typedef struct promc_lint_problem {
    const char *metric;
    const char *text;
} promc_lint_problem;

/* Lints the registry's text exposition with the rules of `promtool check
 * metrics` (client_golang's testutil/promlint; docs/API.md lists them):
 * HELP present, counters named "_total" and other types not, base units,
 * no abbreviated units, no type in the name, no "_bucket", "_count",
 * "_sum" suffixes or "le", "quantile" labels outside the types that own
 * them, no ':' and no camelCase in metric names, no camelCase in label
 * names. Findings come in promtool's order (by metric name, then text) and
 * with its repetitions (one per series with the offending label); a
 * family without samples is not linted, as promtool's parser drops it.
 * *problems gets an array of *nproblems findings followed by one whose
 * metric is NULL, in one block (NULL when there are none); reg NULL =
 * default.
 * Errors: PROMC_EINVAL (problems or nproblems NULL, reg PROMC_NO_REGISTRY);
 * the errors of promc_encode; PROMC_ENOMEM. *problems is NULL and
 * *nproblems 0 on an error.
 * Ownership: the block, strings included, is the caller's: one promc_free.
 * Any thread. */
PROMC_API int promc_registry_lint(promc_registry *reg, promc_lint_problem **problems,
                                  size_t *nproblems);

/* promc_registry_lint for a text in the text format 0.0.4 (NUL-terminated),
 * e.g. an exporter's output or a textfile: the same rules, order and
 * result.
 * Errors: PROMC_EINVAL (text, problems or nproblems NULL; a text that does
 * not parse: the message names the line); PROMC_ENOMEM. *problems is NULL
 * and *nproblems 0 on an error.
 * Ownership: as promc_registry_lint. Any thread. */
PROMC_API int promc_text_lint(const char *text, promc_lint_problem **problems, size_t *nproblems);

#ifdef __cplusplus
}
#endif

#endif /* PROMC_TESTUTIL_H */
