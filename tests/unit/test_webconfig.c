/*
 * Tests for examples/common/webconfig.c: the web configuration file's YAML
 * subset (what it reads, and every construct it must refuse rather than
 * misread), exporter-toolkit's keys and their checks, and the password
 * check (bcrypt through crypt(3), the cache of successes, unknown users,
 * threads). The hashes are made here with crypt_r; the exporters are
 * checked against real `htpasswd -B` hashes by the integration tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <crypt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "webconfig.h"

static char alice_hash[CRYPT_OUTPUT_SIZE], bob_hash[CRYPT_OUTPUT_SIZE];

/* A bcrypt ($2y$, as htpasswd -B) hash of password at the given cost. */
static void make_hash(char *out, const char *password, unsigned long cost)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    assert_non_null(crypt_gensalt_rn("$2y$", cost, NULL, 0, setting, sizeof setting));
    struct crypt_data *cd = calloc(1, sizeof *cd);
    assert_non_null(cd);
    const char *h = crypt_r(password, setting, cd);
    assert_non_null(h);
    assert_int_equal(strncmp(h, "$2y$", 4), 0);
    strcpy(out, h);
    free(cd);
}

static int setup(void **state)
{
    (void)state;
    make_hash(alice_hash, "wonderland", 10);
    make_hash(bob_hash, "builder", 4);
    return 0;
}

static ex_web_config *parse(const char *text, char *why, size_t cap, bool *tls)
{
    return ex_web_config_parse("web.yml", text, strlen(text), why, cap, tls);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

static void test_full_file(void **state)
{
    (void)state;
    char text[2048], why[512];
    snprintf(text, sizeof text,
             "---\n"
             "# exporter-toolkit's format\r\n"
             "http_server_config:\n"
             "  headers:\n"
             "    X-Frame-Options: deny   # a comment\n"
             "    X-Content-Type-Options: \"nosniff\"\n"
             "    Content-Security-Policy: 'default-src ''self'''\n"
             "    Strict-Transport-Security: max-age=31536000; includeSubDomains\n"
             "    X-XSS-Protection: \"\"\n"
             "\n"
             "basic_auth_users:\n"
             "    alice: %s\n"
             "    \"bob\": '%s'\n",
             alice_hash, bob_hash);
    ex_web_config *c = parse(text, why, sizeof why, NULL);
    if (!c)
        fail_msg("%s", why);
    assert_int_equal(ex_web_config_users(c), 2);
    const char *const *h = ex_web_config_headers(c);
    assert_string_equal(h[0], "X-Frame-Options: deny");
    assert_string_equal(h[1], "X-Content-Type-Options: nosniff");
    assert_string_equal(h[2], "Content-Security-Policy: default-src 'self'");
    assert_string_equal(h[3], "Strict-Transport-Security: max-age=31536000; includeSubDomains");
    assert_null(h[4]); /* a blank value leaves the header unset */
    ex_web_config_free(c);
}

static void test_empty_and_minimal(void **state)
{
    (void)state;
    char why[512];
    static const char *const empty[] = {
        "", "\n\n", "# nothing\n", "---\n", "basic_auth_users:\n", "http_server_config:\n"};
    for (size_t i = 0; i < 6; i++) {
        ex_web_config *c = parse(empty[i], why, sizeof why, NULL);
        if (!c)
            fail_msg("\"%s\": %s", empty[i], why);
        assert_int_equal(ex_web_config_users(c), 0);
        assert_null(ex_web_config_headers(c)[0]);
        ex_web_config_free(c);
    }
    ex_web_config_free(NULL);
    assert_int_equal(ex_web_config_users(NULL), 0);
}

static void test_tls_is_refused(void **state)
{
    (void)state;
    char why[512];
    bool tls = false;
    static const char text[] = "basic_auth_users:\n"
                               "tls_server_config:\n"
                               "  cert_file: server.crt\n"
                               "  key_file: server.key\n";
    assert_null(parse(text, why, sizeof why, &tls));
    assert_true(tls);
    assert_non_null(strstr(why, "line 2: tls_server_config is not supported"));
    assert_non_null(strstr(why, "Terminate TLS in front of the exporter"));
    /* Even empty, and whatever comes first. */
    tls = false;
    assert_null(parse("foo: 1\ntls_server_config:\n", why, sizeof why, &tls));
    assert_true(tls);
    tls = true;
    assert_null(parse("foo: 1\n", why, sizeof why, &tls));
    assert_false(tls);
}

/* Each must be refused, with this text in the reason. */
static void test_refused(void **state)
{
    (void)state;
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"foo: bar\n", "line 1: unknown key \"foo\""},
        {"http_server_config:\n  http2: false\n", "line 2: http_server_config.http2 is not"},
        {"http_server_config:\n  header:\n", "unknown key http_server_config.header"},
        {"rate_limit:\n  interval: 1s\n", "rate_limit is not supported"},
        {"basic_auth_users:\n  - alice\n", "line 2: lists are not part"},
        {"basic_auth_users: {}\n", "starts YAML this reader does not support"},
        {"basic_auth_users: [a]\n", "starts YAML this reader does not support"},
        {"basic_auth_users: &x\n", "starts YAML this reader does not support"},
        {"basic_auth_users:\n  alice: *x\n", "starts YAML this reader does not support"},
        {"basic_auth_users:\n  alice: !!str x\n", "starts YAML this reader does not support"},
        {"basic_auth_users:\n  alice: |\n    x\n", "starts YAML this reader does not support"},
        {"basic_auth_users:\n\talice: x\n", "line 2: a tab in the indentation"},
        {"basic_auth_users:\n  alice: x\n    bob: y\n", "line 3: unexpected indentation"},
        {"http_server_config:\n  headers:\n    X-Frame-Options: deny\n  bad: 1\n",
         "line 4: unknown key http_server_config.bad"},
        {"basic_auth_users:\nbasic_auth_users:\n", "line 2: \"basic_auth_users\" is given twice"},
        {"basic_auth_users:\n  alice: x\n", "user \"alice\": expected a bcrypt hash"},
        {"basic_auth_users:\n  alice:\n", "user \"alice\": expected a bcrypt hash"},
        {"basic_auth_users:\n  alice: ~\n", "user \"alice\": expected a bcrypt hash"},
        {"basic_auth_users:\n  alice:\n    x: y\n", "basic_auth_users: expected a string"},
        {"basic_auth_users: alice\n", "basic_auth_users: expected a mapping"},
        {"http_server_config:\n  headers:\n    X-Powered-By: me\n",
         "header \"X-Powered-By\" cannot be configured"},
        {"http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
         "header X-Frame-Options: \"allow\" is not one of its values (deny, sameorigin)"},
        {"http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
         "is not one of its values (nosniff)"},
        {"http_server_config:\n  headers:\n    X-XSS-Protection: \"1\\tx\"\n",
         "a control character"},
        {"basic_auth_users:\n  alice: 'x\n", "single-quoted string is not closed"},
        {"basic_auth_users:\n  alice: \"x\n", "double-quoted string is not closed"},
        {"basic_auth_users:\n  alice: \"\\q\"\n", "escape \\q is not supported"},
        {"basic_auth_users:\n  alice: 'x' y\n", "unexpected text after the value"},
        {"basic_auth_users:\n  alice: a: b\n", "a mapping cannot follow a key"},
        {"basic_auth_users\n", "line 1: expected \"key: value\""},
        {"basic_auth_users:x\n", "line 1: expected \"key: value\""},
        {"basic_auth_users:\n---\nfoo:\n", "line 2: one YAML document only"},
        {"...\n", "one YAML document only"},
        {"'': 1\n", "an empty key"},
        {"a:\n b:\n  c:\n   d:\n    e:\n     f:\n      g:\n       h:\n        i:\n         j:\n",
         "nested too deep"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[512] = "";
        ex_web_config *c = parse(cases[i].text, why, sizeof why, NULL);
        if (c)
            fail_msg("accepted: %s", cases[i].text);
        if (!strstr(why, cases[i].why))
            fail_msg("%s\nwanted \"%s\", got \"%s\"", cases[i].text, cases[i].why, why);
        assert_int_equal(strncmp(why, "web.yml: ", 9), 0);
    }
    /* A user name with ':' could never log in; a NUL byte is no YAML. */
    char text[1024], why[512];
    snprintf(text, sizeof text, "basic_auth_users:\n  'a:b': %s\n", alice_hash);
    assert_null(parse(text, why, sizeof why, NULL));
    assert_non_null(strstr(why, "cannot hold ':'"));
    assert_null(ex_web_config_parse("web.yml", "a\0b", 3, why, sizeof why, NULL));
    assert_non_null(strstr(why, "NUL byte"));
    /* A bcrypt hash must be whole: cut, wrong cost, wrong prefix. */
    char cut[80];
    snprintf(cut, sizeof cut, "%.*s", 59, alice_hash);
    static const char *const hashes[] = {
        "$2y$03$abcdefghijklmnopqrstuu5rN3Zs5BuhXv8dQ3Sc11NKcD6hxGbuy", "$1$abc$def",
        "$6$rounds=5000$x$y"};
    snprintf(text, sizeof text, "basic_auth_users:\n  alice: %s\n", cut);
    assert_null(parse(text, why, sizeof why, NULL));
    for (size_t i = 0; i < 3; i++) {
        snprintf(text, sizeof text, "basic_auth_users:\n  alice: '%s'\n", hashes[i]);
        assert_null(parse(text, why, sizeof why, NULL));
        assert_non_null(strstr(why, "expected a bcrypt hash"));
    }
}

static void test_load(void **state)
{
    (void)state;
    char why[512];
    assert_null(ex_web_config_load("/nonexistent/web.yml", why, sizeof why, NULL));
    assert_non_null(strstr(why, "/nonexistent/web.yml: No such file"));
    char path[] = "/tmp/promc-webconfig-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "basic_auth_users:\n  bob: %s\n", bob_hash);
    fclose(f);
    ex_web_config *c = ex_web_config_load(path, why, sizeof why, NULL);
    if (!c)
        fail_msg("%s", why);
    assert_int_equal(ex_web_config_users(c), 1);
    ex_web_config_free(c);
    /* Over 1 MiB. */
    f = fopen(path, "w");
    for (int i = 0; i < 70000; i++)
        fputs("# ............\n", f);
    fclose(f);
    assert_null(ex_web_config_load(path, why, sizeof why, NULL));
    assert_non_null(strstr(why, "larger than 1 MiB"));
    remove(path);
}

/* ------------------------------------------------------------------ */
/* Checking passwords                                                  */
/* ------------------------------------------------------------------ */

static ex_web_config *users(void)
{
    char text[1024], why[512];
    snprintf(text, sizeof text, "basic_auth_users:\n  alice: %s\n  bob: %s\n", alice_hash,
             bob_hash);
    ex_web_config *c = parse(text, why, sizeof why, NULL);
    if (!c)
        fail_msg("%s", why);
    return c;
}

static void test_check(void **state)
{
    (void)state;
    ex_web_config *c = users();
    assert_int_equal(ex_web_config_check(c, "bob", "builder"), 1);
    assert_int_equal(ex_web_config_check(c, "bob", "builder!"), 0);
    assert_int_equal(ex_web_config_check(c, "bob", ""), 0);
    assert_int_equal(ex_web_config_check(c, "Bob", "builder"), 0);
    assert_int_equal(ex_web_config_check(c, "alice", "builder"), 0);
    /* The first user's hash stands in for unknown users: its password does
     * not let them in. */
    assert_int_equal(ex_web_config_check(c, "mallory", "wonderland"), 0);
    assert_int_equal(ex_web_config_check(c, "", ""), 0);
    assert_int_equal(ex_web_config_check(NULL, "bob", "builder"), 0);
    assert_int_equal(ex_web_config_check(c, NULL, "builder"), 0);
    /* After a success the same credentials pass from the cache, and others
     * still fail. */
    assert_int_equal(ex_web_config_check(c, "bob", "builder"), 1);
    assert_int_equal(ex_web_config_check(c, "bob", "builder2"), 0);
    ex_web_config_free(c);
}

/* A success at cost 10 (tens of milliseconds) is remembered: the next check
 * costs a SHA-256-crypt (about a millisecond); a wrong password and an
 * unknown user both still cost a bcrypt check. */
static void test_cache_and_timing(void **state)
{
    (void)state;
    ex_web_config *c = users();
    double t0 = now();
    assert_int_equal(ex_web_config_check(c, "alice", "wonderland"), 1);
    double first = now() - t0;
    t0 = now();
    assert_int_equal(ex_web_config_check(c, "alice", "wonderland"), 1);
    double cached = now() - t0;
    t0 = now();
    assert_int_equal(ex_web_config_check(c, "alice", "wrong"), 0);
    double wrong = now() - t0;
    t0 = now();
    assert_int_equal(ex_web_config_check(c, "nobody", "wrong"), 0);
    double unknown = now() - t0;
    print_message("bcrypt %.1f ms, cached %.2f ms, wrong %.1f ms, unknown user %.1f ms\n",
                  first * 1e3, cached * 1e3, wrong * 1e3, unknown * 1e3);
    assert_true(cached < first / 4);
    assert_true(wrong > first / 4 && unknown > first / 4);
    ex_web_config_free(c);
}

static void *checker(void *arg)
{
    ex_web_config *c = arg;
    for (int i = 0; i < 20; i++) {
        if (ex_web_config_check(c, "bob", "builder") != 1 ||
            ex_web_config_check(c, "bob", "nope") != 0)
            return (void *)1;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    ex_web_config *c = users();
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, checker, c), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        assert_null(r);
    }
    ex_web_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_empty_and_minimal),
        cmocka_unit_test(test_tls_is_refused),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_cache_and_timing),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
