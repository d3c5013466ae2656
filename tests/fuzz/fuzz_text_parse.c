/*
 * Fuzz target for lib/text_parse.c, the text format parser under the checks
 * of promc_testutil.h, through the public calls. The input is an exposition
 * (any bytes). Checked:
 *   - promc_text_lint either succeeds, with findings sorted by metric then
 *     text and a terminator after them, or refuses the text with
 *     PROMC_EINVAL and a message naming a line the text has;
 *   - a text the linter accepts compares equal to itself (or is refused for
 *     a repeated series, naming both lines), and when its comment lines all
 *     come before its samples (so that each sample's family is the same in
 *     any order), the same text with its sample lines reversed compares
 *     equal to it too;
 *   - promc_text_compare never reports a difference between a text and a
 *     copy of it, and always gives a difference text with PROMC_DIFFERENT.
 * Any broken invariant aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promc.h"
#include "promc_testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

static void fail(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_text_parse: %s (%s)\ntext:\n%s\n", what, promc_last_error(), text);
    abort();
}

static size_t count_lines(const char *s)
{
    size_t n = 1;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static bool is_comment(const char *line, size_t n)
{
    size_t i = 0;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    return i < n && line[i] == '#';
}

/* The comment lines first, in their order, then the others reversed; NULL
 * when a comment line follows a sample line (a family's samples could then
 * go to another family when moved before its TYPE line). */
static char *reorder(const char *text)
{
    size_t len = strlen(text), nlines = count_lines(text), k = 0;
    const char **start = malloc(nlines * sizeof *start);
    size_t *length = malloc(nlines * sizeof *length);
    char *out = malloc(len + nlines + 1), *p = out;
    if (!start || !length || !out)
        abort();
    for (const char *s = text;; k++) {
        const char *nl = strchr(s, '\n');
        start[k] = s;
        length[k] = nl ? (size_t)(nl - s) : strlen(s);
        if (!nl)
            break;
        s = nl + 1;
    }
    k++;
    bool samples = false, late_comment = false;
    for (size_t i = 0; i < k; i++) {
        bool c = is_comment(start[i], length[i]);
        late_comment |= c && samples;
        samples |= !c && length[i] > 0;
    }
    if (late_comment) {
        free(start);
        free(length);
        free(out);
        return NULL;
    }
    for (size_t i = 0; i < k; i++)
        if (is_comment(start[i], length[i])) {
            memcpy(p, start[i], length[i]);
            p += length[i];
            *p++ = '\n';
        }
    for (size_t i = k; i-- > 0;)
        if (!is_comment(start[i], length[i])) {
            memcpy(p, start[i], length[i]);
            p += length[i];
            *p++ = '\n';
        }
    *p = '\0';
    free(start);
    free(length);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0'; /* an embedded NUL ends the text, as for any C string */

    promc_lint_problem *p = NULL;
    size_t n = 0;
    int rc = promc_text_lint(text, &p, &n);
    if (rc == PROMC_EINVAL) {
        size_t line = 0;
        if (p || n || sscanf(promc_last_error(), "text line %zu:", &line) != 1 || line == 0 ||
            line > count_lines(text))
            fail("a refusal without the line, or with results", text);
        free(text);
        return 0;
    }
    if (rc != PROMC_OK)
        fail("lint failed otherwise than PROMC_EINVAL", text);
    for (size_t i = 0; i < n; i++) {
        if (!p[i].metric || !p[i].text)
            fail("a NULL finding", text);
        if (i &&
            (strcmp(p[i - 1].metric, p[i].metric) > 0 ||
             (strcmp(p[i - 1].metric, p[i].metric) == 0 && strcmp(p[i - 1].text, p[i].text) > 0)))
            fail("findings out of order", text);
    }
    if ((n == 0) != (p == NULL) || (p && p[n].metric))
        fail("no terminator, or a block without findings", text);
    promc_free(p);

    char *diff = NULL;
    rc = promc_text_compare(text, text, NULL, &diff);
    if (rc == PROMC_EINVAL) {
        if (diff || !strstr(promc_last_error(), "repeats the series"))
            fail("a text the linter reads refused by compare", text);
        free(text);
        return 0;
    }
    if (rc != PROMC_OK || diff)
        fail("a text differs from itself", text);

    /* Reordered samples: the same exposition. */
    char *other = reorder(text);
    if (!other) {
        free(text);
        return 0;
    }
    rc = promc_text_compare(text, other, NULL, &diff);
    if (rc == PROMC_DIFFERENT)
        fail(diff ? diff : "different without a difference", other);
    if (rc != PROMC_OK && rc != PROMC_EINVAL)
        fail("compare of a reordered text failed", other);
    promc_free(diff);
    free(other);
    free(text);
    return 0;
}

const char *const *fuzz_seed_inputs(size_t *n)
{
    static const char *const seeds[] = {
        "# HELP a_total A.\n# TYPE a_total counter\na_total{code=\"200\"} 3\na_total 1 1000\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n",
        "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 1\ns_count 1\n",
        "fooBar_ms{aB=\"x\\\\\\\"\\n\"} NaN\n  x -Inf\n# comment\n",
        "a{le=\"1\",quantile=\"2\",} 1e-3\n",
    };
    *n = sizeof seeds / sizeof seeds[0];
    return seeds;
}
