/*
 * Shared by the cmocka unit tests: includes in the order cmocka needs, a
 * fixed wall clock for reproducible _created samples, and helpers to render a
 * registry to a string and compare it with a golden file.
 */
#ifndef PROMC_TEST_HELPERS_H
#define PROMC_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "promc.h"

#define TEST_TIME 1700000000.123

static inline double test_fixed_clock(void)
{
    return TEST_TIME;
}

/* Pins the wall clock so _created and set_to_current_time are reproducible. */
static inline void test_pin_clock(void)
{
    promc__clock = test_fixed_clock;
}

/* The exposition of reg as a heap string (free with promc_free). */
static inline char *test_render(promc_registry *reg, promc_format f)
{
    size_t len = 0;
    char *s = promc_encode_buffer(reg, f, &len);
    assert_non_null(s);
    assert_int_equal(strlen(s), len);
    return s;
}

static inline char *test_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = '\0';
    fclose(f);
    return s;
}

/* Compares got with tests/data/<name> byte for byte. With PROMC_UPDATE_GOLDEN=1
 * in the environment it rewrites the file instead (then review the diff). */
static inline void test_golden(const char *name, const char *got)
{
    char path[512];
    snprintf(path, sizeof path, "tests/data/%s", name);
    if (getenv("PROMC_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(got, f);
        fclose(f);
        return;
    }
    char *want = test_read_file(path);
    if (!want)
        fail_msg("golden file %s missing (run with PROMC_UPDATE_GOLDEN=1)", path);
    if (strcmp(want, got) != 0) {
        fprintf(stderr, "--- want %s\n%s--- got\n%s---\n", path, want, got);
        free(want);
        fail_msg("output differs from %s", path);
    }
    free(want);
}

/* Compares the binary got[0..len) with tests/data/<name> byte for byte
 * (PROMC_UPDATE_GOLDEN=1 rewrites it, as test_golden). */
static inline void test_golden_bin(const char *name, const char *got, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "tests/data/%s", name);
    if (getenv("PROMC_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(got, 1, len, f), len);
        fclose(f);
        return;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("golden file %s missing (run with PROMC_UPDATE_GOLDEN=1)", path);
    char *want = malloc(len + 1);
    assert_non_null(want);
    size_t n = fread(want, 1, len + 1, f);
    fclose(f);
    if (n != len || memcmp(want, got, len) != 0) {
        free(want);
        fail_msg("output differs from %s (%zu bytes, want %zu)", path, len, n);
    }
    free(want);
}

/* The protobuf exposition of reg compared with the golden tests/data/<name>
 * (tests/integration/check_protobuf.sh decodes each one and compares its
 * samples with those client_python reads from the text golden file). */
static inline void test_golden_protobuf(promc_registry *reg, const char *name)
{
    size_t len = 0;
    char *s = promc_encode_buffer(reg, PROMC_FORMAT_PROTOBUF, &len);
    assert_non_null(s);
    assert_int_equal(s[len], '\0');
    test_golden_bin(name, s, len);
    promc_free(s);
}

/* The value of one sample, failing the test when it is missing. */
static inline double test_value(promc_registry *reg, const char *name, const promc_label *labels,
                                size_t n)
{
    double v = -12345;
    int rc = promc_registry_get_sample_value(reg, name, labels, n, &v);
    if (rc != PROMC_OK)
        fail_msg("sample %s not found: %s", name, promc_last_error());
    return v;
}

#endif
