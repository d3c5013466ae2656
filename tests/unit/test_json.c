/*
 * Tests for examples/common/json.c, mostly with hostile input. Every input is
 * parsed from a copy that ends exactly at a PROT_NONE page, so reading one
 * byte too far faults; every successful parse is walked completely. Also the
 * two kinds of answer the exporters read: a Kubernetes ProwJobList and a
 * Jenkins /api/json.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS with glibc under _POSIX_C_SOURCE */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"
#include "json.h"

/* A string literal with its length, NULs included. */
#define S(lit) lit, sizeof(lit) - 1

/* ------------------------------------------------------------------ */
/* Guard page                                                          */
/* ------------------------------------------------------------------ */

/* Room for the 16 MiB inputs; pages are only touched as inputs use them. */
#define GUARD_ROOM ((size_t)17 << 20)

static struct guard guard; /* GUARD_ROOM readable bytes, then a PROT_NONE page */

static void join_fixtures(void);

static int group_setup(void **state)
{
    (void)state;
    join_fixtures();
    return guard_open(&guard, GUARD_ROOM);
}

static int group_teardown(void **state)
{
    (void)state;
    return guard_close(&guard);
}

static const char *at_guard(const char *s, size_t n)
{
    return guard_place(&guard, s, n);
}

/* ------------------------------------------------------------------ */
/* Walking                                                             */
/* ------------------------------------------------------------------ */

/* Visits every value under node, checking what must hold of any parsed
 * document; returns the number of values seen. */
static size_t walk(const ex_json_doc *doc, ex_json_node node, unsigned depth)
{
    assert_true(depth <= 100000);
    ex_json_kind kind = ex_json_kind_of(doc, node);
    size_t seen = 1, n = 0, len = 99;
    double d;
    bool b;
    switch (kind) {
    case EX_JSON_MISSING:
        fail_msg("walk reached a missing node");
        break;
    case EX_JSON_NULL:
        assert_true(ex_json_is_null(doc, node));
        break;
    case EX_JSON_BOOL:
        assert_true(ex_json_bool(doc, node, &b));
        break;
    case EX_JSON_NUMBER:
        assert_true(ex_json_number(doc, node, &d));
        assert_true(isfinite(d));
        break;
    case EX_JSON_STRING: {
        const char *s = ex_json_string(doc, node, &len);
        assert_non_null(s);
        assert_int_equal(s[len], '\0');
        break;
    }
    case EX_JSON_ARRAY: {
        ex_json_node e = EX_JSON_NONE;
        while ((e = ex_json_array_next(doc, node, e)) != EX_JSON_NONE) {
            seen += walk(doc, e, depth + 1);
            n++;
        }
        assert_int_equal(n, ex_json_count(doc, node));
        break;
    }
    case EX_JSON_OBJECT: {
        ex_json_node k = EX_JSON_NONE, v;
        while ((k = ex_json_object_next(doc, node, k, &v)) != EX_JSON_NONE) {
            assert_int_equal(ex_json_kind_of(doc, k), EX_JSON_STRING);
            seen += 1 + walk(doc, v, depth + 1);
            n++;
        }
        assert_int_equal(v, EX_JSON_NONE);
        assert_int_equal(n, ex_json_count(doc, node));
        break;
    }
    }
    if (kind != EX_JSON_STRING)
        assert_null(ex_json_string(doc, node, &len));
    if (kind != EX_JSON_ARRAY && kind != EX_JSON_OBJECT)
        assert_int_equal(ex_json_count(doc, node), 0);
    return seen;
}

/* Parses s[0..n) at the guard page; the document (walked) or NULL. */
static ex_json_doc *parse_opts(const char *s, size_t n, const ex_json_options *opts,
                               ex_json_error *err)
{
    ex_json_error local;
    if (!err)
        err = &local;
    memset(err, 0x55, sizeof *err);
    ex_json_doc *doc = ex_json_parse(at_guard(s, n), n, opts, err);
    if (doc) {
        walk(doc, ex_json_root(doc), 0);
    } else {
        assert_true(err->offset <= n);
        assert_non_null(memchr(err->message, '\0', sizeof err->message));
        assert_true(err->message[0] != '\0');
    }
    return doc;
}

static ex_json_doc *parse(const char *s, size_t n)
{
    return parse_opts(s, n, NULL, NULL);
}

static void expect_ok(const char *s, size_t n)
{
    ex_json_doc *doc = parse(s, n);
    if (!doc)
        fail_msg("rejected: %.*s", (int)n, s);
    ex_json_free(doc);
}

static void expect_error(const char *s, size_t n)
{
    ex_json_doc *doc = parse(s, n);
    if (doc) {
        ex_json_free(doc);
        fail_msg("accepted: %.*s", (int)n, s);
    }
}

/* Checks the error offset and that the message contains want. */
static void expect_error_at(const char *s, size_t n, size_t offset, const char *want)
{
    ex_json_error err;
    ex_json_doc *doc = parse_opts(s, n, NULL, &err);
    if (doc) {
        ex_json_free(doc);
        fail_msg("accepted: %.*s", (int)n, s);
    }
    if (err.offset != offset || !strstr(err.message, want))
        fail_msg("%.*s: got \"%s\" at %zu, want \"%s\" at %zu", (int)n, s, err.message, err.offset,
                 want, offset);
}

static void expect_error_str(const char *s)
{
    expect_error(s, strlen(s));
}

/* The root of s, which must be a one-element array, as its element. */
static ex_json_doc *parse_one(const char *s, ex_json_node *elem)
{
    ex_json_doc *doc = parse(s, strlen(s));
    if (!doc)
        fail_msg("rejected: %s", s);
    *elem = ex_json_index(doc, ex_json_root(doc), 0);
    return doc;
}

/* ------------------------------------------------------------------ */
/* Fixtures: what the exporters read                                   */
/* ------------------------------------------------------------------ */

/* `kubectl get prowjobs -o json`, trimmed: a presubmit that succeeded, a
 * pending periodic with extra_refs, a triggered job without a startTime. */
static const char *const prowjob_parts[] = {
    "{\n"
    "    \"apiVersion\": \"prow.k8s.io/v1\",\n"
    "    \"items\": [\n"
    "        {\n"
    "            \"apiVersion\": \"prow.k8s.io/v1\",\n"
    "            \"kind\": \"ProwJob\",\n"
    "            \"metadata\": {\n"
    "                \"annotations\": {\n"
    "                    \"prow.k8s.io/context\": \"pull-test-infra-bazel\",\n"
    "                    \"prow.k8s.io/job\": \"pull-test-infra-bazel\"\n"
    "                },\n"
    "                \"creationTimestamp\": \"2024-01-02T03:04:05Z\",\n"
    "                \"generation\": 5,\n"
    "                \"labels\": {\n"
    "                    \"created-by-prow\": \"true\",\n"
    "                    \"event-GUID\": \"2b2e0a20-a9d5-11ee-8d5e-1b1f3e0c5f6a\",\n"
    "                    \"prow.k8s.io/build-id\": \"1742158049118851072\",\n"
    "                    \"prow.k8s.io/context\": \"pull-test-infra-bazel\",\n"
    "                    \"prow.k8s.io/id\": \"5d3e0e8a-a9d5-11ee-b7b5-6a5b7c7f0d1e\",\n"
    "                    \"prow.k8s.io/job\": \"pull-test-infra-bazel\",\n"
    "                    \"prow.k8s.io/refs.base_ref\": \"master\",\n"
    "                    \"prow.k8s.io/refs.org\": \"kubernetes\",\n"
    "                    \"prow.k8s.io/refs.pull\": \"31337\",\n"
    "                    \"prow.k8s.io/refs.repo\": \"test-infra\",\n"
    "                    \"prow.k8s.io/type\": \"presubmit\"\n"
    "                },\n"
    "                \"name\": \"5d3e0e8a-a9d5-11ee-b7b5-6a5b7c7f0d1e\",\n"
    "                \"namespace\": \"default\",\n"
    "                \"resourceVersion\": \"123456789\",\n"
    "                \"uid\": \"b0c1d2e3-f405-4617-8293-a4b5c6d7e8f9\"\n"
    "            },\n",
    "            \"spec\": {\n"
    "                \"agent\": \"kubernetes\",\n"
    "                \"cluster\": \"default\",\n"
    "                \"context\": \"pull-test-infra-bazel\",\n"
    "                \"decoration_config\": {\n"
    "                    \"gcs_configuration\": {\"bucket\": \"kubernetes-jenkins\", "
    "\"path_strategy\": \"legacy\"},\n"
    "                    \"grace_period\": \"15m0s\",\n"
    "                    \"timeout\": \"2h0m0s\"\n"
    "                },\n"
    "                \"job\": \"pull-test-infra-bazel\",\n"
    "                \"namespace\": \"test-pods\",\n"
    "                \"pod_spec\": {\n"
    "                    \"containers\": [\n"
    "                        {\n"
    "                            \"args\": [\"--config=ci\", \"--jobs=4\"],\n"
    "                            \"command\": [\"runner.sh\"],\n"
    "                            \"image\": "
    "\"gcr.io/k8s-staging-test-infra/bazelbuild:v20231220\",\n"
    "                            \"name\": \"\",\n"
    "                            \"resources\": {\"requests\": {\"cpu\": \"4\", \"memory\": "
    "\"8Gi\"}}\n"
    "                        }\n"
    "                    ]\n"
    "                },\n"
    "                \"refs\": {\n"
    "                    \"base_ref\": \"master\",\n"
    "                    \"base_sha\": \"0123456789abcdef0123456789abcdef01234567\",\n"
    "                    \"org\": \"kubernetes\",\n"
    "                    \"pulls\": [\n"
    "                        {\n"
    "                            \"author\": \"octocat\",\n"
    "                            \"number\": 31337,\n"
    "                            \"sha\": \"fedcba9876543210fedcba9876543210fedcba98\",\n"
    "                            \"title\": \"Fix the \\\"thing\\\" \\u2014 properly "
    "\\ud83d\\ude80\"\n"
    "                        }\n"
    "                    ],\n"
    "                    \"repo\": \"test-infra\"\n"
    "                },\n"
    "                \"report\": true,\n"
    "                \"rerun_command\": \"/test pull-test-infra-bazel\",\n"
    "                \"type\": \"presubmit\"\n"
    "            },\n"
    "            \"status\": {\n",
    "                \"build_id\": \"1742158049118851072\",\n"
    "                \"completionTime\": \"2024-01-02T03:34:06Z\",\n"
    "                \"description\": \"Job succeeded.\",\n"
    "                \"pendingTime\": \"2024-01-02T03:04:07.123456Z\",\n"
    "                \"pod_name\": \"5d3e0e8a-a9d5-11ee-b7b5-6a5b7c7f0d1e\",\n"
    "                \"prev_report_states\": {\"gerrit-reporter\": \"success\"},\n"
    "                \"startTime\": \"2024-01-02T03:04:05Z\",\n"
    "                \"state\": \"success\",\n"
    "                \"url\": \"https://prow.k8s.io/view/gs/kubernetes-jenkins/pr-logs/31337\"\n"
    "            }\n"
    "        },\n"
    "        {\n"
    "            \"apiVersion\": \"prow.k8s.io/v1\",\n"
    "            \"kind\": \"ProwJob\",\n"
    "            \"metadata\": {\n"
    "                \"creationTimestamp\": \"2024-01-02T04:00:00Z\",\n"
    "                \"labels\": {\"prow.k8s.io/job\": \"ci-kubernetes-e2e\", "
    "\"prow.k8s.io/type\": \"periodic\"},\n"
    "                \"name\": \"a1\",\n"
    "                \"namespace\": \"default\"\n"
    "            },\n"
    "            \"spec\": {\n"
    "                \"agent\": \"kubernetes\",\n"
    "                \"extra_refs\": [\n"
    "                    {\"base_ref\": \"main\", \"org\": \"kubernetes\", \"repo\": "
    "\"kubernetes\", \"workdir\": true},\n"
    "                    {\"base_ref\": \"master\", \"org\": \"kubernetes\", \"repo\": "
    "\"test-infra\"}\n"
    "                ],\n"
    "                \"job\": \"ci-kubernetes-e2e\",\n"
    "                \"type\": \"periodic\"\n"
    "            },\n"
    "            \"status\": {\n"
    "                \"pendingTime\": \"2024-01-02T04:00:01Z\",\n"
    "                \"startTime\": \"2024-01-02T04:00:00.5Z\",\n"
    "                \"state\": \"pending\"\n"
    "            }\n"
    "        },\n"
    "        {\n"
    "            \"kind\": \"ProwJob\",\n"
    "            \"metadata\": {\"name\": \"b2\", \"namespace\": \"default\", "
    "\"creationTimestamp\": \"2024-01-02T05:00:00Z\"},\n"
    "            \"spec\": {\"job\": \"post-test-infra-push\", \"type\": \"postsubmit\", "
    "\"refs\": null},\n"
    "            \"status\": {\"state\": \"triggered\"}\n"
    "        }\n"
    "    ],\n"
    "    \"kind\": \"ProwJobList\",\n"
    "    \"metadata\": {\n"
    "        \"continue\": \"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTIzLCJzdGFydCI6ImIyIn0\",\n"
    "        \"remainingItemCount\": 42,\n"
    "        \"resourceVersion\": \"123460000\"\n"
    "    }\n"
    "}",
};

/* The parts joined (a single literal would exceed what C compilers must
 * support); filled by group_setup. */
static char prowjob_list[8192];

static void join_fixtures(void)
{
    prowjob_list[0] = '\0';
    for (size_t i = 0; i < sizeof prowjob_parts / sizeof prowjob_parts[0]; i++)
        strcat(prowjob_list, prowjob_parts[i]);
}

/* GET /api/json?tree=jobs[url] (the sample in EXPORTERS.md). */
static const char jenkins_flat[] =
    "{\"_class\":\"hudson.model.Hudson\",\"jobs\":[\n"
    " {\"_class\":\"hudson.model.FreeStyleProject\",\"url\":\"http://localhost:8080/job/"
    "build-app/\"},\n"
    " {\"_class\":\"org.jenkinsci.plugins.workflow.job.WorkflowJob\",\"url\":\"http://"
    "localhost:8080/job/deploy-pipeline/\"},\n"
    " {\"_class\":\"com.cloudbees.hudson.plugins.folder.Folder\",\"url\":\"http://"
    "localhost:8080/job/team-a/\"},\n"
    " {\"_class\":\"org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject\","
    "\"url\":\"http://localhost:8080/job/webapp/\"}]}";

/* GET /api/json?tree=jobs[url,_class,jobs[url,_class]] with a folder. */
static const char jenkins_nested[] =
    "{\r\n  \"_class\" : \"hudson.model.Hudson\",\r\n  \"jobs\" : [ {\r\n"
    "    \"_class\" : \"com.cloudbees.hudson.plugins.folder.Folder\",\r\n"
    "    \"url\" : \"http://jenkins:8080/job/team-a/\",\r\n"
    "    \"jobs\" : [ {\r\n"
    "      \"_class\" : \"hudson.model.FreeStyleProject\",\r\n"
    "      \"url\" : \"http://jenkins:8080/job/team-a/job/lint/\"\r\n"
    "    }, {\r\n"
    "      \"_class\" : \"org.jenkinsci.plugins.workflow.job.WorkflowJob\",\r\n"
    "      \"url\" : \"http://jenkins:8080/job/team-a/job/r%C3%A9sum%C3%A9/\"\r\n"
    "    } ]\r\n"
    "  }, {\r\n"
    "    \"_class\" : \"hudson.model.FreeStyleProject\",\r\n"
    "    \"url\" : \"http://jenkins:8080/job/nightly/\"\r\n"
    "  } ]\r\n}";

/* ------------------------------------------------------------------ */
/* Scalars                                                             */
/* ------------------------------------------------------------------ */

static void test_top_level_scalars_accepted(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        ex_json_kind kind;
    } cases[] = {
        {"null", EX_JSON_NULL},       {"true", EX_JSON_BOOL},  {"false", EX_JSON_BOOL},
        {"0", EX_JSON_NUMBER},        {"-0", EX_JSON_NUMBER},  {"\"\"", EX_JSON_STRING},
        {" 1 ", EX_JSON_NUMBER},      {"[]", EX_JSON_ARRAY},   {"{}", EX_JSON_OBJECT},
        {"[ ]", EX_JSON_ARRAY},       {"{ }", EX_JSON_OBJECT}, {"\"x\"", EX_JSON_STRING},
        {"\n\t\r 7", EX_JSON_NUMBER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ex_json_doc *doc = parse(cases[i].text, strlen(cases[i].text));
        assert_non_null(doc);
        assert_int_equal(ex_json_kind_of(doc, ex_json_root(doc)), cases[i].kind);
        ex_json_free(doc);
    }
    ex_json_node e;
    ex_json_doc *doc = parse_one("[true, false, null]", &e);
    bool b = false;
    assert_true(ex_json_bool(doc, e, &b) && b);
    assert_true(ex_json_bool(doc, ex_json_index(doc, 0, 1), &b) && !b);
    assert_false(ex_json_bool(doc, ex_json_index(doc, 0, 2), &b));
    assert_true(ex_json_is_null(doc, ex_json_index(doc, 0, 2)));
    assert_false(ex_json_is_null(doc, ex_json_index(doc, 0, 3)));
    ex_json_free(doc);
}

static void test_numbers_values_and_integerness(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double value;
        bool integer;
        int64_t ivalue;
    } cases[] = {
        {"0", 0, true, 0},
        {"-1", -1, true, -1},
        {"42", 42, true, 42},
        {"1.5", 1.5, false, 0},
        {"-2.25e-2", -0.0225, false, 0},
        {"1e3", 1000, true, 1000},
        {"1E+3", 1000, true, 1000},
        {"2.0", 2, true, 2},
        {"1e-3", 0.001, false, 0},
        {"0.1", 0.1, false, 0},
        {"9223372036854775807", 9223372036854775807.0, true, INT64_MAX},
        {"-9223372036854775808", -9223372036854775808.0, true, INT64_MIN},
        {"9223372036854775808", 9223372036854775808.0, false, 0},
        {"123456789012345678901234567890", 1.2345678901234568e29, false, 0},
        {"1.7976931348623157e308", 1.7976931348623157e308, false, 0},
        {"-1.7976931348623157e308", -1.7976931348623157e308, false, 0},
        {"5e-324", 5e-324, false, 0},
        {"1e-400", 0, true, 0}, /* underflows to 0: accepted */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[96];
        snprintf(text, sizeof text, "[%s]", cases[i].text);
        ex_json_node e;
        ex_json_doc *doc = parse_one(text, &e);
        double d = -999;
        int64_t iv = -999;
        assert_true(ex_json_number(doc, e, &d));
        if (d != cases[i].value)
            fail_msg("%s: got %.17g want %.17g", cases[i].text, d, cases[i].value);
        assert_int_equal(ex_json_integer(doc, e, &iv), cases[i].integer);
        if (cases[i].integer)
            assert_true(iv == cases[i].ivalue);
        assert_int_equal(ex_json_integer(doc, e, NULL), cases[i].integer);
        assert_false(ex_json_bool(doc, e, NULL));
        ex_json_free(doc);
    }
    /* -0 keeps its sign. */
    ex_json_node e;
    ex_json_doc *doc = parse_one("[-0]", &e);
    double d = 1;
    assert_true(ex_json_number(doc, e, &d));
    assert_true(d == 0 && signbit(d));
    ex_json_free(doc);
    /* A 2000-digit integer and a long fraction are fine as doubles. */
    char big[2100];
    big[0] = '[';
    memset(big + 1, '9', 2000);
    strcpy(big + 2001, "e-1990]");
    doc = parse_one(big, &e);
    assert_true(ex_json_number(doc, e, &d));
    assert_true(d > 9.99e9 && d <= 1e10);
    ex_json_free(doc);
}

/* Written as an integer (no fraction, no exponent) and within int64: what
 * a program that prints numbers as their source did needs to know. */
static void test_integer_literals(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        bool literal;
        int64_t value;
    } cases[] = {
        {"0", true, 0},
        {"-1", true, -1},
        {"60", true, 60},
        {"9223372036854775807", true, INT64_MAX},
        {"-9223372036854775808", true, INT64_MIN},
        {"9223372036854775808", false, 0},
        {"2.0", false, 0},
        {"1e3", false, 0},
        {"0.5", false, 0},
        {"-0", false, 0}, /* a double, to keep its sign */
        {"\"7\"", false, 0},
        {"true", false, 0},
        {"null", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[96];
        snprintf(text, sizeof text, "[%s]", cases[i].text);
        ex_json_node e;
        ex_json_doc *doc = parse_one(text, &e);
        int64_t v = -999;
        if (ex_json_integer_literal(doc, e, &v) != cases[i].literal)
            fail_msg("%s: literal %d", cases[i].text, !cases[i].literal);
        if (cases[i].literal)
            assert_true(v == cases[i].value);
        assert_int_equal(ex_json_integer_literal(doc, e, NULL), cases[i].literal);
        ex_json_free(doc);
    }
    assert_false(ex_json_integer_literal(NULL, EX_JSON_NONE, NULL));
}

static void test_numbers_rejected(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "01",         "-01",      "00",        "+1",       ".5",   "1.",    "1.e3",
        "1e",         "1e+",      "1e-",       "-",        "--1",  "- 1",   "NaN",
        "nan",        "Infinity", "-Infinity", "inf",      "0x10", "1e400", "-1e400",
        "1e999999",   "1_000",    "1,5",       "\xd9\xa1", "[01]", "[1.]",  "[-]",
        "{\"a\":01}", "[1e]",     "0.e1",      "1.5.2",    "1ee2", "1e2e3", "[.1]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error_str(bad[i]);
    expect_error_at(S("[01]"), 2, "leading zeros");
    expect_error_at(S("[1.]"), 3, "digit after '.'");
    expect_error_at(S("[1e]"), 3, "exponent");
    expect_error_at(S("[-x]"), 2, "digit after '-'");
    expect_error_at(S("[1e400]"), 1, "out of range");
    expect_error_at(S("+1"), 0, "unexpected character '+'");
    expect_error_at(S("NaN"), 0, "unexpected character 'N'");
    expect_error_at(S("1."), 2, "unexpected end");
}

/* ------------------------------------------------------------------ */
/* Strings                                                             */
/* ------------------------------------------------------------------ */

static void expect_decoded(const char *json, const char *want, size_t want_len)
{
    ex_json_node e;
    ex_json_doc *doc = parse_one(json, &e);
    size_t len = 0;
    const char *s = ex_json_string(doc, e, &len);
    assert_non_null(s);
    if (len != want_len || memcmp(s, want, len) != 0)
        fail_msg("%s decoded to \"%.*s\" (%zu bytes)", json, (int)len, s, len);
    assert_int_equal(s[len], '\0');
    assert_null(ex_json_string(doc, ex_json_root(doc), &len));
    assert_int_equal(len, 0);
    ex_json_free(doc);
}

static void test_string_escapes_decoded(void **state)
{
    (void)state;
    expect_decoded("[\"plain\"]", S("plain"));
    expect_decoded("[\"\"]", S(""));
    expect_decoded("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", S("\"\\/\b\f\n\r\t"));
    expect_decoded("[\"\\u0041\\u00e9\\u00E9\"]", S("A\xc3\xa9\xc3\xa9"));
    expect_decoded("[\"\\u20ac\"]", S("\xe2\x82\xac"));
    expect_decoded("[\"\\uffff\"]", S("\xef\xbf\xbf"));
    expect_decoded("[\"\\ud83d\\ude00\"]", S("\xf0\x9f\x98\x80"));    /* U+1F600 */
    expect_decoded("[\"\\uD800\\uDC00\"]", S("\xf0\x90\x80\x80"));    /* U+10000 */
    expect_decoded("[\"\\udbff\\udfff\"]", S("\xf4\x8f\xbf\xbf"));    /* U+10FFFF */
    expect_decoded("[\"a\\u0000b\"]", S("a\0b"));                     /* NUL kept */
    expect_decoded("[\"\\u007f\x7f\"]", S("\x7f\x7f"));               /* DEL is no control */
    expect_decoded("[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]", /* raw UTF-8 */
                   S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
    expect_decoded("[\"x\\n\\u00e9y\xc3\xa9z\\\\\"]", S("x\n\xc3\xa9y\xc3\xa9z\\"));
}

static void test_string_invalid_escapes_rejected(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[\"\\x41\"]", "[\"\\U0041\"]", "[\"\\u12\"]", "[\"\\u12G4\"]", "[\"\\'\"]",
        "[\"\\ \"]",   "[\"\\a\"]",     "[\"\\0\"]",   "[\"\\u\"]",     "[\"\\\"]",
        "[\"\\",       "\"\\u00e\"",    "\"\\u-123\"", "'single'",      "[\"\\\xc3\xa9\"]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error_str(bad[i]);
    expect_error_at(S("[\"ab\\x\"]"), 4, "invalid escape");
    expect_error_at(S("[\"\\u12\"]"), 2, "four hex digits");
    /* An escape cut by the end of input, right before the guard page. */
    expect_error_at(S("\"\\"), 2, "unexpected end");
    expect_error_at(S("\"\\u00"), 1, "four hex digits");
}

static void test_lone_surrogates_rejected(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[\"\\ud800\"]",        /* high, then the quote */
        "[\"\\ud800x\"]",       /* high, then a character */
        "[\"\\ud800\\u0041\"]", /* high, then a non-surrogate escape */
        "[\"\\ud800\\ud800\"]", /* two highs */
        "[\"\\ud800\\n\"]",     /* high, then another escape */
        "[\"\\udc00\"]",        /* lone low */
        "[\"\\udfff\\ud800\"]", /* reversed pair */
        "[\"\\ud800\\u",        /* cut */
        "[\"\\ud800\\udc0\"]",  /* short low */
        "\"\\ud800\"",          "\"\\ud800\\",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error_str(bad[i]);
    expect_error_at(S("[\"\\udc00\"]"), 2, "lone low surrogate");
    expect_error_at(S("[\"a\\ud800b\"]"), 3, "high surrogate");
}

static void test_invalid_utf8_rejected(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
    } bad[] = {
        {S("\"\xc0\x80\"")},         /* overlong NUL */
        {S("\"\xc1\xbf\"")},         /* overlong 2-byte */
        {S("\"\xe0\x80\x80\"")},     /* overlong 3-byte */
        {S("\"\xe0\x9f\xbf\"")},     /* overlong 3-byte, top */
        {S("\"\xf0\x80\x80\x80\"")}, /* overlong 4-byte */
        {S("\"\xf0\x8f\xbf\xbf\"")}, /* overlong 4-byte, top */
        {S("\"\xed\xa0\x80\"")},     /* UTF-8 encoded surrogate U+D800 */
        {S("\"\xed\xbf\xbf\"")},     /* U+DFFF */
        {S("\"\xf4\x90\x80\x80\"")}, /* U+110000 */
        {S("\"\xf5\x80\x80\x80\"")},
        {S("\"\xf8\x88\x80\x80\x80\"")},
        {S("\"\xff\"")},
        {S("\"\xfe\"")},
        {S("\"\x80\"")}, /* lone continuation */
        {S("\"\xbf\"")},
        {S("\"\xc3\"")},         /* truncated 2-byte, then the quote */
        {S("\"\xe2\x82\"")},     /* truncated 3-byte */
        {S("\"\xf0\x9f\x98\"")}, /* truncated 4-byte */
        {S("\"\xc3")},           /* truncated by the end of input */
        {S("\"\xe2\x82")},
        {S("\"\xf0\x9f\x98")},
        {S("\"\xc3\x28\"")}, /* bad continuation */
        {S("\"\xe2\x28\xa1\"")},
        {S("\"\xf0\x9f\x28\x80\"")},
        {S("\xc3\xa9")},       /* UTF-8 outside a string */
        {S("\xef\xbb\xbf{}")}, /* byte order mark */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(bad[i].bytes, bad[i].len);
    expect_error_at(S("[\"ab\xff\"]"), 4, "invalid UTF-8");
    /* The boundaries that are valid. */
    expect_ok(S("\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf0\x90\x80\x80"
                "\xf4\x8f\xbf\xbf\""));
}

static void test_control_characters_in_strings_rejected(void **state)
{
    (void)state;
    for (int c = 0; c < 0x20; c++) {
        char s[5] = {'"', 'a', (char)c, '"', 0};
        expect_error_at(s, 4, 2, "control character");
    }
    expect_ok(S("\"\x7f\""));
}

/* ------------------------------------------------------------------ */
/* Structure                                                           */
/* ------------------------------------------------------------------ */

static void test_nul_bytes_in_input(void **state)
{
    (void)state;
    expect_error_at(S("\"a\0b\""), 2, "control character");
    expect_error_at(S("[1]\0"), 3, "trailing");
    expect_error_at(S("\0[1]"), 0, "unexpected byte 0x00");
    expect_error_at(S("[1,\0 2]"), 3, "unexpected byte 0x00");
    expect_error_at(S("{\"a\"\0:1}"), 4, "expected ':'");
    expect_error(S("\0"));
    /* No NUL terminator is needed: "[1]" out of "[1]]" parses. */
    ex_json_doc *doc = parse("[1]]", 3);
    assert_non_null(doc);
    ex_json_free(doc);
}

static void test_trailing_garbage_rejected(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "1 2",        "{} {}", "[1]]",  "nullx",  "truefalse",  "[1],",
        "\"a\"\"b\"", "{}x",   "[] //", "0 /**/", "1\n\n,",     "\"a\" :",
        "{}}",        "[]\f",  "true1", "null\v", "[]\xc2\xa0",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error_str(bad[i]);
    expect_error_at(S("[1] x"), 4, "trailing characters");
}

static void test_whitespace_variants(void **state)
{
    (void)state;
    expect_ok(S(" \t\r\n[ 1 ,\n2\t]\r\n "));
    expect_ok(S("{\"a\"\t:\r\n1\n,\"b\" : [ ] }"));
    expect_ok(S("\r\n\r\n{}\r\n"));
    expect_error_at(S(""), 0, "empty input");
    expect_error_at(S("   "), 3, "unexpected end");
    expect_error_at(S("\f1"), 0, "unexpected byte 0x0c");
    expect_error_at(S("\v1"), 0, "unexpected byte 0x0b");
    expect_error_at(S("[1,\xc2\xa0 2]"), 3, "unexpected byte 0xc2"); /* NBSP */
    expect_error_at(S("\xef\xbb\xbf[]"), 0, "unexpected byte 0xef"); /* BOM */
    expect_error(S("[1\x1c]"));
}

static void test_structural_errors_rejected(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[1,]",
        "{\"a\":1,}",
        "{,}",
        "[,1]",
        "{\"a\" 1}",
        "{\"a\":}",
        "{a:1}",
        "{'a':1}",
        "[1 2]",
        "{\"a\":1 \"b\":2}",
        "]",
        "}",
        "/* */ 1",
        "{1:2}",
        "{null:1}",
        "[}",
        "{]",
        "[1}",
        "{\"a\":1]",
        "[[]",
        "{\"a\"::1}",
        ",",
        ":",
        "{\"a\":1,,}",
        "[1,,2]",
        "tru",
        "nul",
        "fals",
        "True",
        "NULL",
        "[true false]",
        "{\"a\",1}",
        "[\"a\":1]",
        "{{}}",
        "{[]:1}",
        "undefined",
        "'a'",
        "[\"a\"",
        "{\"a\":[}",
        "\"",
        "[\"]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error_str(bad[i]);
    expect_error_at(S("[1,]"), 3, "unexpected character ']'");
    expect_error_at(S("{\"a\":1,}"), 7, "expected a string key");
    expect_error_at(S("[1 2]"), 3, "expected ',' or ']'");
    expect_error_at(S("{\"a\":1 \"b\":2}"), 7, "expected ',' or '}'");
    expect_error_at(S("{\"a\" 1}"), 5, "expected ':'");
    expect_error_at(S("[1,"), 3, "unexpected end of input");
    expect_error_at(S("tru"), 3, "unexpected end of input");
    expect_error_at(S("trux"), 0, "invalid literal");
}

/* Every proper prefix of a document ending in '}' or ']' is invalid: each
 * must be rejected with an offset inside it, read from memory that ends at
 * a guard page. */
static void check_every_prefix(const char *doc_text, size_t len)
{
    for (size_t k = 0; k < len; k++) {
        ex_json_error err;
        ex_json_doc *doc = parse_opts(doc_text, k, NULL, &err);
        if (doc) {
            ex_json_free(doc);
            fail_msg("prefix of %zu bytes accepted", k);
        }
        assert_true(err.offset <= k);
    }
    expect_ok(doc_text, len);
}

static void test_truncated_documents_rejected_at_every_prefix(void **state)
{
    (void)state;
    check_every_prefix(prowjob_list, strlen(prowjob_list));
    check_every_prefix(jenkins_flat, sizeof jenkins_flat - 1);
    check_every_prefix(jenkins_nested, sizeof jenkins_nested - 1);
    check_every_prefix(S("[\"\\ud83d\\ude00\\n\xc3\xa9\xf0\x9f\x98\x80\", -1.5e+10, true, "
                         "false, null, {\"\": []}, 0]"));
}

static void test_depth_limit(void **state)
{
    (void)state;
    char buf[300];
    for (size_t depth = 1; depth <= 130; depth++) {
        memset(buf, '[', depth);
        memset(buf + depth, ']', depth);
        ex_json_error err;
        ex_json_doc *doc = parse_opts(buf, 2 * depth, NULL, &err);
        if (depth <= EX_JSON_DEFAULT_MAX_DEPTH) {
            assert_non_null(doc);
        } else {
            assert_null(doc);
            assert_int_equal(err.offset, EX_JSON_DEFAULT_MAX_DEPTH);
            assert_non_null(strstr(err.message, "nesting deeper than 64"));
        }
        ex_json_free(doc);
    }
    /* A configured limit; objects count like arrays. */
    ex_json_options opts = {.max_depth = 3};
    ex_json_doc *doc = parse_opts(S("[{\"a\":[1]}]"), &opts, NULL);
    assert_non_null(doc);
    ex_json_free(doc);
    assert_null(parse_opts(S("[{\"a\":[[1]]}]"), &opts, NULL));
    assert_null(parse_opts(S("{\"a\":{\"b\":{\"c\":{}}}}"), &opts, NULL));

    /* 100000 '[' (and as many '{"a":'): an error, not a stack overflow. */
    size_t n = 100000;
    char *deep = malloc(6 * n + 2);
    assert_non_null(deep);
    memset(deep, '[', n);
    ex_json_error err;
    assert_null(parse_opts(deep, n, NULL, &err));
    assert_int_equal(err.offset, EX_JSON_DEFAULT_MAX_DEPTH);
    for (size_t i = 0; i < n; i++)
        memcpy(deep + 5 * i, "{\"a\":", 5);
    assert_null(parse_opts(deep, 5 * n, NULL, &err));
    assert_non_null(strstr(err.message, "nesting"));
    /* With the limit raised, depth costs heap, not stack: 100000 levels. */
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    opts.max_depth = 100000;
    /* Not through parse_opts: walk() would recurse 100000 deep. */
    doc = ex_json_parse(at_guard(deep, 2 * n), 2 * n, &opts, &err);
    assert_non_null(doc);
    ex_json_node node = ex_json_root(doc);
    for (size_t i = 1; i < n; i++)
        node = ex_json_array_next(doc, node, EX_JSON_NONE);
    assert_int_equal(ex_json_kind_of(doc, node), EX_JSON_ARRAY);
    assert_int_equal(ex_json_count(doc, node), 0);
    ex_json_free(doc);
    assert_null(parse_opts(deep, 2 * n - 1, &opts, &err)); /* one ']' short */
    assert_int_equal(err.offset, 2 * n - 1);
    free(deep);
}

static void test_duplicate_keys_first_wins(void **state)
{
    (void)state;
    ex_json_doc *doc = parse(S("{\"a\":1,\"b\":2,\"a\":3}"));
    assert_non_null(doc);
    double d = 0;
    assert_true(ex_json_number(doc, ex_json_get(doc, 0, "a"), &d));
    assert_true(d == 1);
    assert_int_equal(ex_json_count(doc, 0), 3);
    /* Iteration shows every member, in document order. */
    ex_json_node k = EX_JSON_NONE, v;
    const char *keys[3];
    double vals[3];
    size_t n = 0;
    while ((k = ex_json_object_next(doc, 0, k, &v)) != EX_JSON_NONE) {
        assert_true(n < 3);
        keys[n] = ex_json_string(doc, k, NULL);
        assert_true(ex_json_number(doc, v, &vals[n]));
        n++;
    }
    assert_int_equal(n, 3);
    assert_string_equal(keys[0], "a");
    assert_string_equal(keys[1], "b");
    assert_string_equal(keys[2], "a");
    assert_true(vals[0] == 1 && vals[1] == 2 && vals[2] == 3);
    ex_json_free(doc);
}

static void test_keys_with_escapes_and_nul(void **state)
{
    (void)state;
    ex_json_doc *doc = parse(S("{\"caf\\u00e9\":1,\"a\\u0000b\":2,\"\":3,\"a\":4}"));
    assert_non_null(doc);
    double d = 0;
    assert_true(ex_json_number(doc, ex_json_get(doc, 0, "caf\xc3\xa9"), &d) && d == 1);
    assert_true(ex_json_number(doc, ex_json_getn(doc, 0, "a\0b", 3), &d) && d == 2);
    assert_true(ex_json_number(doc, ex_json_get(doc, 0, ""), &d) && d == 3);
    assert_true(ex_json_number(doc, ex_json_get(doc, 0, "a"), &d) && d == 4);
    assert_int_equal(ex_json_get(doc, 0, "caf"), EX_JSON_NONE);
    assert_int_equal(ex_json_get(doc, 0, NULL), EX_JSON_NONE);
    ex_json_free(doc);
}

static void test_navigation_on_wrong_kinds_is_missing(void **state)
{
    (void)state;
    ex_json_doc *doc = parse(S("{\"s\":\"x\",\"n\":1,\"a\":[10,20,30],\"o\":{\"k\":[{\"z\":"
                               "true}]}}"));
    assert_non_null(doc);
    ex_json_node root = ex_json_root(doc), s = ex_json_get(doc, root, "s");
    ex_json_node a = ex_json_get(doc, root, "a");
    /* Missing steps chain to EX_JSON_NONE. */
    assert_int_equal(ex_json_get(doc, s, "x"), EX_JSON_NONE);
    assert_int_equal(ex_json_get(doc, a, "x"), EX_JSON_NONE);
    assert_int_equal(ex_json_get(doc, EX_JSON_NONE, "x"), EX_JSON_NONE);
    assert_int_equal(ex_json_get(doc, 99999, "x"), EX_JSON_NONE);
    assert_int_equal(ex_json_index(doc, root, 0), EX_JSON_NONE);
    assert_int_equal(ex_json_index(doc, a, 3), EX_JSON_NONE);
    assert_int_equal(ex_json_array_next(doc, root, EX_JSON_NONE), EX_JSON_NONE);
    assert_int_equal(ex_json_array_next(doc, s, EX_JSON_NONE), EX_JSON_NONE);
    assert_int_equal(ex_json_object_next(doc, a, EX_JSON_NONE, NULL), EX_JSON_NONE);
    assert_int_equal(ex_json_kind_of(doc, EX_JSON_NONE), EX_JSON_MISSING);
    assert_int_equal(ex_json_kind_of(NULL, 0), EX_JSON_MISSING);
    assert_false(ex_json_number(doc, s, NULL));
    assert_false(ex_json_integer(doc, s, NULL));
    assert_false(ex_json_number(doc, EX_JSON_NONE, NULL));
    assert_null(ex_json_string(doc, EX_JSON_NONE, NULL));
    assert_int_equal(ex_json_count(doc, s), 0);
    assert_int_equal(ex_json_count(doc, a), 3);
    assert_string_equal(ex_json_kind_name(ex_json_kind_of(doc, a)), "array");
    assert_string_equal(ex_json_kind_name(EX_JSON_MISSING), "missing");
    assert_string_equal(ex_json_kind_name(EX_JSON_OBJECT), "object");
    /* Indexing and paths. */
    int64_t v = 0;
    assert_true(ex_json_integer(doc, ex_json_index(doc, a, 2), &v) && v == 30);
    assert_true(ex_json_integer(doc, ex_json_path(doc, root, "a[1]"), &v) && v == 20);
    bool b = false;
    assert_true(ex_json_bool(doc, ex_json_path(doc, root, "o.k[0].z"), &b) && b);
    assert_int_equal(ex_json_path(doc, root, ""), root);
    assert_int_equal(ex_json_path(doc, a, "[0]"), ex_json_index(doc, a, 0));
    static const char *const bad_paths[] = {
        "a..b",    "a[",   "a[x]",       ".a",   "o.",  "a[99]",  "a[0",
        "a[]",     "nope", "o.k[0].z.y", "o[0]", "a.0", "o.k[1]", "a[99999999999999999999999]",
        "o.k[0]z",
    };
    for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++)
        if (ex_json_path(doc, root, bad_paths[i]) != EX_JSON_NONE)
            fail_msg("path %s found something", bad_paths[i]);
    assert_int_equal(ex_json_path(doc, root, NULL), EX_JSON_NONE);
    assert_int_equal(ex_json_path(doc, EX_JSON_NONE, "a"), EX_JSON_NONE);
    ex_json_free(doc);
    ex_json_free(NULL);
    assert_int_equal(ex_json_root(NULL), EX_JSON_NONE);
}

/* ------------------------------------------------------------------ */
/* What the exporters read                                             */
/* ------------------------------------------------------------------ */

static const char *str_at(const ex_json_doc *doc, ex_json_node node, const char *path)
{
    return ex_json_string(doc, ex_json_path(doc, node, path), NULL);
}

static void test_prowjob_list(void **state)
{
    (void)state;
    ex_json_doc *doc = parse(prowjob_list, strlen(prowjob_list));
    assert_non_null(doc);
    ex_json_node root = ex_json_root(doc);
    assert_string_equal(str_at(doc, root, "kind"), "ProwJobList");
    assert_string_equal(str_at(doc, root, "metadata.continue"),
                        "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTIzLCJzdGFydCI6ImIyIn0");
    int64_t remaining = 0;
    assert_true(
        ex_json_integer(doc, ex_json_path(doc, root, "metadata.remainingItemCount"), &remaining));
    assert_true(remaining == 42);

    ex_json_node items = ex_json_get(doc, root, "items");
    assert_int_equal(ex_json_count(doc, items), 3);
    static const char *const jobs[] = {"pull-test-infra-bazel", "ci-kubernetes-e2e",
                                       "post-test-infra-push"};
    ex_json_node pj = EX_JSON_NONE;
    size_t i = 0;
    while ((pj = ex_json_array_next(doc, items, pj)) != EX_JSON_NONE) {
        assert_true(i < 3);
        assert_string_equal(str_at(doc, pj, "spec.job"), jobs[i]);
        assert_string_equal(str_at(doc, pj, "kind"), "ProwJob");
        i++;
    }
    assert_int_equal(i, 3);

    /* The first job: labels in document order, refs, a decoded title. */
    pj = ex_json_index(doc, items, 0);
    ex_json_node labels = ex_json_path(doc, pj, "metadata.labels");
    assert_int_equal(ex_json_count(doc, labels), 11);
    ex_json_node k = EX_JSON_NONE, v;
    size_t n = 0;
    const char *prev = "";
    while ((k = ex_json_object_next(doc, labels, k, &v)) != EX_JSON_NONE) {
        const char *key = ex_json_string(doc, k, NULL);
        assert_non_null(key);
        assert_non_null(ex_json_string(doc, v, NULL));
        assert_true(strcmp(prev, key) < 0); /* kubectl sorts them */
        prev = key;
        n++;
    }
    assert_int_equal(n, 11);
    assert_string_equal(
        ex_json_string(doc, ex_json_get(doc, labels, "prow.k8s.io/refs.base_ref"), NULL), "master");
    assert_string_equal(ex_json_string(doc, ex_json_get(doc, labels, "event-GUID"), NULL),
                        "2b2e0a20-a9d5-11ee-8d5e-1b1f3e0c5f6a");
    assert_int_equal(ex_json_count(doc, ex_json_path(doc, pj, "metadata.annotations")), 2);
    assert_string_equal(str_at(doc, pj, "spec.refs.org"), "kubernetes");
    assert_string_equal(str_at(doc, pj, "spec.refs.repo"), "test-infra");
    assert_string_equal(str_at(doc, pj, "spec.refs.base_ref"), "master");
    assert_string_equal(str_at(doc, pj, "spec.agent"), "kubernetes");
    assert_string_equal(str_at(doc, pj, "status.startTime"), "2024-01-02T03:04:05Z");
    assert_string_equal(str_at(doc, pj, "status.pendingTime"), "2024-01-02T03:04:07.123456Z");
    assert_string_equal(str_at(doc, pj, "status.state"), "success");
    assert_string_equal(str_at(doc, pj, "spec.refs.pulls[0].title"),
                        "Fix the \"thing\" \xe2\x80\x94 properly \xf0\x9f\x9a\x80");
    int64_t number = 0;
    assert_true(ex_json_integer(doc, ex_json_path(doc, pj, "spec.refs.pulls[0].number"), &number));
    assert_true(number == 31337);
    bool report = false;
    assert_true(ex_json_bool(doc, ex_json_path(doc, pj, "spec.report"), &report) && report);
    assert_string_equal(str_at(doc, pj, "spec.pod_spec.containers[0].args[1]"), "--jobs=4");
    assert_string_equal(str_at(doc, pj, "spec.pod_spec.containers[0].name"), "");

    /* The second: no refs, extra_refs[0] instead. */
    pj = ex_json_index(doc, items, 1);
    assert_int_equal(ex_json_path(doc, pj, "spec.refs"), EX_JSON_NONE);
    assert_string_equal(str_at(doc, pj, "spec.extra_refs[0].org"), "kubernetes");
    assert_string_equal(str_at(doc, pj, "spec.extra_refs[0].repo"), "kubernetes");
    assert_string_equal(str_at(doc, pj, "spec.extra_refs[1].repo"), "test-infra");
    assert_int_equal(ex_json_path(doc, pj, "metadata.annotations"), EX_JSON_NONE);

    /* The third: refs is null, no startTime. */
    pj = ex_json_index(doc, items, 2);
    assert_true(ex_json_is_null(doc, ex_json_path(doc, pj, "spec.refs")));
    assert_null(str_at(doc, pj, "spec.refs.org"));
    assert_int_equal(ex_json_path(doc, pj, "status.startTime"), EX_JSON_NONE);
    assert_string_equal(str_at(doc, pj, "status.state"), "triggered");
    ex_json_free(doc);
}

/* Counts jobs as jenkins_exporter does with --depth: every item, and the
 * items of expanded folders. */
static size_t count_jobs(const ex_json_doc *doc, ex_json_node jobs)
{
    size_t n = 0;
    ex_json_node job = EX_JSON_NONE;
    while ((job = ex_json_array_next(doc, jobs, job)) != EX_JSON_NONE) {
        n++;
        n += count_jobs(doc, ex_json_get(doc, job, "jobs"));
    }
    return n;
}

static void test_jenkins_api_json(void **state)
{
    (void)state;
    ex_json_doc *doc = parse(jenkins_flat, sizeof jenkins_flat - 1);
    assert_non_null(doc);
    ex_json_node jobs = ex_json_get(doc, ex_json_root(doc), "jobs");
    assert_int_equal(ex_json_kind_of(doc, jobs), EX_JSON_ARRAY);
    assert_int_equal(ex_json_count(doc, jobs), 4);
    assert_int_equal(count_jobs(doc, jobs), 4);
    size_t folders = 0;
    ex_json_node job = EX_JSON_NONE;
    while ((job = ex_json_array_next(doc, jobs, job)) != EX_JSON_NONE) {
        size_t len;
        const char *cls = ex_json_string(doc, ex_json_get(doc, job, "_class"), &len);
        assert_non_null(cls);
        if (len >= 6 && strcmp(cls + len - 6, "Folder") == 0)
            folders++;
    }
    assert_int_equal(folders, 1);
    assert_string_equal(str_at(doc, jobs, "[3].url"), "http://localhost:8080/job/webapp/");
    ex_json_free(doc);

    doc = parse(jenkins_nested, sizeof jenkins_nested - 1);
    assert_non_null(doc);
    jobs = ex_json_get(doc, ex_json_root(doc), "jobs");
    assert_int_equal(ex_json_count(doc, jobs), 2);
    assert_int_equal(count_jobs(doc, jobs), 4);
    assert_string_equal(str_at(doc, jobs, "[0].jobs[1].url"),
                        "http://jenkins:8080/job/team-a/job/r%C3%A9sum%C3%A9/");
    ex_json_free(doc);
}

/* ------------------------------------------------------------------ */
/* Size                                                                */
/* ------------------------------------------------------------------ */

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 16 MiB inputs of several shapes parse in linear time: each well under
 * the time a quadratic parser would need (minutes), sanitizers included. */
static void test_big_inputs_parse_in_linear_time(void **state)
{
    (void)state;
    size_t cap = (size_t)16 << 20, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);

    /* An array of small objects, like a long ProwJobList. */
    n = 0;
    buf[n++] = '[';
    size_t items = 0;
    while (n + 64 < cap) {
        n += (size_t)snprintf(buf + n, cap - n, "{\"k\":\"v%zu\",\"n\":[%zu,1.5,true,null]},",
                              items, items);
        items++;
    }
    buf[n - 1] = ']';
    double t = seconds_now();
    ex_json_doc *doc = ex_json_parse(at_guard(buf, n), n, NULL, NULL);
    assert_non_null(doc);
    assert_int_equal(ex_json_count(doc, 0), items);
    assert_int_equal(walk(doc, 0, 0), 1 + items * 9);
    ex_json_free(doc);

    /* One 16 MiB string of escapes, one of plain text, one huge object. */
    buf[0] = '"';
    for (n = 1; n + 7 < cap; n += 6)
        memcpy(buf + n, "\\u00e9", 6);
    buf[n++] = '"';
    doc = ex_json_parse(at_guard(buf, n), n, NULL, NULL);
    assert_non_null(doc);
    size_t len = 0;
    assert_non_null(ex_json_string(doc, 0, &len));
    assert_int_equal(len, (n - 2) / 6 * 2);
    ex_json_free(doc);

    memset(buf + 1, 'x', cap - 2);
    buf[cap - 1] = '"';
    doc = ex_json_parse(at_guard(buf, cap), cap, NULL, NULL);
    assert_non_null(doc);
    ex_json_free(doc);

    n = 0;
    buf[n++] = '{';
    items = 0;
    while (n + 32 < cap) {
        n += (size_t)snprintf(buf + n, cap - n, "\"key%zu\":%zu,", items, items);
        items++;
    }
    buf[n - 1] = '}';
    doc = ex_json_parse(at_guard(buf, n), n, NULL, NULL);
    assert_non_null(doc);
    assert_int_equal(ex_json_count(doc, 0), items);
    ex_json_free(doc);

    /* A 16 MiB number and 16 MiB of "[0,0,...": errors or not, quick. */
    memset(buf, '7', cap);
    assert_null(ex_json_parse(at_guard(buf, cap), cap, NULL, NULL)); /* out of range */
    buf[0] = '[';
    for (n = 1; n + 1 < cap; n += 2)
        memcpy(buf + n, "0,", 2);
    doc = ex_json_parse(at_guard(buf, n), n, NULL, NULL); /* ends in ',': truncated */
    assert_null(doc);
    double elapsed = seconds_now() - t;
    if (elapsed > 30)
        fail_msg("16 MiB inputs took %.1f s", elapsed);
    free(buf);
}

/* Mutations of the fixtures, each parsed at the guard page and walked if
 * accepted: no crash, no over-read, consistent errors. Deterministic. */
static void test_mutated_inputs_never_crash(void **state)
{
    (void)state;
    static const char *const seeds[] = {prowjob_list, jenkins_flat, jenkins_nested,
                                        "[\"\\ud83d\\ude00\",1e5,-0.5,{\"a\":null}]"};
    static const char interesting[] = "\"\\[]{}:,0-.eEu\x00\x80\xc3\xed\xf0\xff tfn";
    uint64_t rng = 0x2545f4914f6cdd1dull;
    char *buf = malloc(16384);
    assert_non_null(buf);
    for (int it = 0; it < 20000; it++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        const char *seed = seeds[rng % 4];
        size_t n = strlen(seed);
        if (n > 8000)
            n = 8000;
        memcpy(buf, seed, n);
        int edits = 1 + (int)((rng >> 8) % 4);
        for (int e = 0; e < edits; e++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            size_t at = n ? (size_t)(rng >> 16) % n : 0;
            switch ((rng >> 4) % 4) {
            case 0:
                if (n)
                    buf[at] = interesting[(rng >> 40) % (sizeof interesting - 1)];
                break;
            case 1:
                if (n)
                    buf[at] ^= (char)(1u << ((rng >> 32) % 8));
                break;
            case 2:
                n = at; /* truncate */
                break;
            default:
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = interesting[(rng >> 40) % (sizeof interesting - 1)];
                n++;
            }
        }
        ex_json_doc *doc = parse(buf, n);
        ex_json_free(doc);
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top_level_scalars_accepted),
        cmocka_unit_test(test_numbers_values_and_integerness),
        cmocka_unit_test(test_integer_literals),
        cmocka_unit_test(test_numbers_rejected),
        cmocka_unit_test(test_string_escapes_decoded),
        cmocka_unit_test(test_string_invalid_escapes_rejected),
        cmocka_unit_test(test_lone_surrogates_rejected),
        cmocka_unit_test(test_invalid_utf8_rejected),
        cmocka_unit_test(test_control_characters_in_strings_rejected),
        cmocka_unit_test(test_nul_bytes_in_input),
        cmocka_unit_test(test_trailing_garbage_rejected),
        cmocka_unit_test(test_whitespace_variants),
        cmocka_unit_test(test_structural_errors_rejected),
        cmocka_unit_test(test_truncated_documents_rejected_at_every_prefix),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_duplicate_keys_first_wins),
        cmocka_unit_test(test_keys_with_escapes_and_nul),
        cmocka_unit_test(test_navigation_on_wrong_kinds_is_missing),
        cmocka_unit_test(test_prowjob_list),
        cmocka_unit_test(test_jenkins_api_json),
        cmocka_unit_test(test_big_inputs_parse_in_linear_time),
        cmocka_unit_test(test_mutated_inputs_never_crash),
    };
    return cmocka_run_group_tests_name("json", tests, group_setup, group_teardown);
}
