/*
 * Fuzz target for jenkins_exporter's JSON mapper: count_jobs(), which turns
 * Jenkins' /api/json answer into jenkins_jobs_count. It is static in
 * examples/jenkins_exporter/jenkins_exporter.c, so that file is included
 * whole with its main() renamed (nothing else of it runs). The input is the
 * JSON answer, parsed from an exact-size copy as poll_once() does; its
 * "jobs" array is counted at every --depth from 0 to MAX_DEPTH. The count
 * must match a reference walk written from the documented rule (an item
 * counts one, a "jobs" array inside it is counted below the depth limit),
 * never shrink as the depth grows, and stay below the number of array
 * elements in the document. Any broken invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jenkins_exporter_main(int argc, char **argv);
#define main jenkins_exporter_main
#include "../../examples/jenkins_exporter/jenkins_exporter.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

static void fail(const char *what, long long at_depth, double got, double want)
{
    fprintf(stderr, "fuzz_jenkins: %s (depth %lld: got %.17g, want %.17g)\n", what, at_depth, got,
            want);
    abort();
}

/* The documented rule, walked with an explicit stack instead of recursion:
 * every element of a counted array counts one; below the limit, the
 * elements of its "jobs" member are counted too, when that is an array. */
static double reference(const ex_json_doc *doc, ex_json_node jobs, long long limit)
{
    struct frame {
        ex_json_node array, item;
        long long level;
    } stack[MAX_DEPTH + 2];
    size_t top = 0;
    double count = 0;
    stack[top++] = (struct frame){jobs, EX_JSON_NONE, 0};
    while (top) {
        struct frame *f = &stack[top - 1];
        f->item = ex_json_array_next(doc, f->array, f->item);
        if (f->item == EX_JSON_NONE) {
            top--;
            continue;
        }
        count++;
        ex_json_node children = ex_json_get(doc, f->item, "jobs");
        if (f->level < limit && ex_json_kind_of(doc, children) == EX_JSON_ARRAY) {
            if (top == sizeof stack / sizeof stack[0])
                fail("reference stack", limit, 0, 0);
            stack[top] = (struct frame){children, EX_JSON_NONE, f->level + 1};
            top++;
        }
    }
    return count;
}

/* Elements of every array in the document: no count can exceed it. */
static double all_elements(const ex_json_doc *doc, ex_json_node node, unsigned level)
{
    double n = 0;
    ex_json_node e = EX_JSON_NONE, v;
    if (level > EX_JSON_DEFAULT_MAX_DEPTH)
        fail("document deeper than the parser's limit", level, 0, 0);
    if (ex_json_kind_of(doc, node) == EX_JSON_ARRAY) {
        while ((e = ex_json_array_next(doc, node, e)) != EX_JSON_NONE)
            n += 1 + all_elements(doc, e, level + 1);
    } else if (ex_json_kind_of(doc, node) == EX_JSON_OBJECT) {
        while ((e = ex_json_object_next(doc, node, e, &v)) != EX_JSON_NONE)
            n += all_elements(doc, v, level + 1);
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    if (!body)
        abort();
    if (size)
        memcpy(body, data, size);
    ex_json_error err;
    ex_json_doc *doc = ex_json_parse(body, size, NULL, &err);
    if (doc) {
        ex_json_node jobs = ex_json_get(doc, ex_json_root(doc), "jobs");
        if (ex_json_kind_of(doc, jobs) == EX_JSON_ARRAY) {
            double top = (double)ex_json_count(doc, jobs), total = all_elements(doc, jobs, 1);
            double previous = 0;
            for (depth = 0; depth <= MAX_DEPTH; depth++) {
                double got = count_jobs(doc, jobs, 0), want = reference(doc, jobs, depth);
                if (got != want)
                    fail("count differs from the reference", depth, got, want);
                if (got < previous || got < top || got > total)
                    fail("count out of its bounds", depth, got, previous);
                previous = got;
            }
        }
    }
    ex_json_free(doc);
    free(body);
    return 0;
}

const char *const *fuzz_seed_inputs(size_t *n)
{
    static const char *const seeds[] = {
        "{\"_class\":\"hudson.model.Hudson\",\"jobs\":[{\"_class\":\"com.cloudbees.hudson.plugins."
        "folder.Folder\",\"url\":\"http://j/job/a/\",\"jobs\":[{\"url\":\"http://j/job/a/job/b/\","
        "\"jobs\":[{\"url\":\"c\"},{\"url\":\"d\"}]}]},{\"_class\":\"hudson.model."
        "FreeStyleProject\","
        "\"url\":\"u\"}]}",
        "{\"jobs\":[]}",
        "{\"jobs\":[{\"jobs\":{}},{\"jobs\":null},{\"jobs\":[[],[[]]]},1,\"x\",{\"jobs\":[{}]}],"
        "\"jobs\":2}",
        "{\"jobs\":[{\"jobs\":[{\"jobs\":[{\"jobs\":[{\"jobs\":[{\"jobs\":[{\"jobs\":[{}]}]}]}]}]}]"
        "}"
        "]}",
        "[{\"jobs\":[1]}]",
    };
    *n = sizeof seeds / sizeof seeds[0];
    return seeds;
}
