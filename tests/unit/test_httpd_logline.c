/*
 * Tests for httpd_exporter's access-log line parser (examples/httpd_exporter/
 * logline.c, included directly since unit tests link only the library):
 * Common and Combined lines, IPv6 and named hosts, "-" sizes, escaped quotes,
 * and lines that must stay unparsed (garbage, short, bad status, overflow).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../examples/httpd_exporter/logline.c"

#define DATE "[10/Oct/2000:13:55:36 -0700]"

static bool parse(const char *s, httpd_logline *l)
{
    memset(l, 0x5a, sizeof *l); /* garbage in: every field must be written */
    return httpd_logline_parse(s, strlen(s), l);
}

static void expect(const char *s, const char *status, bool has_bytes, uint64_t bytes, bool combined)
{
    httpd_logline l;
    if (!parse(s, &l))
        fail_msg("not parsed: %s", s);
    assert_string_equal(l.status, status);
    assert_int_equal(l.has_bytes, has_bytes);
    assert_true(l.bytes == bytes);
    assert_int_equal(l.combined, combined);
}

static void expect_unparsed(const char *s)
{
    httpd_logline l;
    if (parse(s, &l))
        fail_msg("parsed but should not be: %s", s);
}

static void test_common(void **state)
{
    (void)state;
    expect("127.0.0.1 - frank " DATE " \"GET /apache_pb.gif HTTP/1.0\" 200 2326", "200", true, 2326,
           false);
    expect("10.0.0.1 - - " DATE " \"POST /login HTTP/1.1\" 302 0", "302", true, 0, false);
    /* Trailing spaces and runs of spaces between fields are fine. */
    expect("10.0.0.1  -  -  " DATE "  \"GET / HTTP/1.1\"  500  12  ", "500", true, 12, false);
    /* An empty request (Apache logs "" for some 408s). */
    expect("10.0.0.1 - - " DATE " \"\" 408 -", "408", false, 0, false);
}

static void test_combined(void **state)
{
    (void)state;
    expect("127.0.0.1 - frank " DATE " \"GET /apache_pb.gif HTTP/1.0\" 200 2326 "
           "\"http://www.example.com/start.html\" \"Mozilla/4.08 [en] (Win98; I ;Nav)\"",
           "200", true, 2326, true);
    expect("192.168.1.20 - - " DATE " \"GET /x HTTP/1.1\" 404 153 \"-\" \"curl/8.0\"", "404", true,
           153, true);
    /* Empty referer and user agent. */
    expect("192.168.1.20 - - " DATE " \"GET /x HTTP/1.1\" 404 153 \"\" \"\"", "404", true, 153,
           true);
    /* Further fields after the user agent (nginx's $http_x_forwarded_for). */
    expect("192.168.1.20 - - " DATE " \"GET / HTTP/1.1\" 200 5 \"-\" \"ua\" \"10.1.1.1\" 0.003",
           "200", true, 5, true);
    /* Invalid UTF-8 in the user agent is just bytes. */
    expect("192.168.1.20 - - " DATE " \"GET / HTTP/1.1\" 200 5 \"-\" \"\xff\xfe\xc3(\"", "200",
           true, 5, true);
}

static void test_hosts(void **state)
{
    (void)state;
    expect("2001:db8::1 - - " DATE " \"GET / HTTP/1.1\" 200 10", "200", true, 10, false);
    expect("::1 - - " DATE " \"GET / HTTP/1.1\" 201 10 \"-\" \"ua\"", "201", true, 10, true);
    expect("fe80::1%eth0 - - " DATE " \"GET / HTTP/1.1\" 204 -", "204", false, 0, false);
    expect("::ffff:192.0.2.1 - - " DATE " \"GET / HTTP/1.1\" 200 1", "200", true, 1, false);
    expect("www.example.com - - " DATE " \"GET / HTTP/1.1\" 301 7", "301", true, 7, false);
}

static void test_dash_size(void **state)
{
    (void)state;
    expect("1.2.3.4 - - " DATE " \"HEAD / HTTP/1.1\" 304 -", "304", false, 0, false);
    expect("1.2.3.4 - - " DATE " \"HEAD / HTTP/1.1\" 304 - \"-\" \"ua\"", "304", false, 0, true);
    expect_unparsed("1.2.3.4 - - " DATE " \"HEAD / HTTP/1.1\" 304 --");
    expect_unparsed("1.2.3.4 - - " DATE " \"HEAD / HTTP/1.1\" 304 -5");
}

static void test_escaped_quotes(void **state)
{
    (void)state;
    expect("1.2.3.4 - - " DATE " \"GET /a\\\"b HTTP/1.1\" 400 226", "400", true, 226, false);
    expect("1.2.3.4 - - " DATE " \"\\\"\" 400 226 \"-\" \"x\\\"y\\\\\"", "400", true, 226, true);
    /* A request ending in an escaped backslash. */
    expect("1.2.3.4 - - " DATE " \"GET /\\\\\" 200 1", "200", true, 1, false);
    /* Status-like text inside the request does not confuse the parser. */
    expect("1.2.3.4 - - " DATE " \"GET /\\\" 200 999 \\\" HTTP/1.1\" 404 3", "404", true, 3, false);
    /* An unterminated quote. */
    expect_unparsed("1.2.3.4 - - " DATE " \"GET /\\\" 200 1");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / 200 1\\");
}

static void test_garbage(void **state)
{
    (void)state;
    expect_unparsed("");
    expect_unparsed("garbage");
    expect_unparsed("hello world this is not a log line at all");
    expect_unparsed("{\"json\": true, \"status\": 200}");
    expect_unparsed("1.2.3.4 - - 10/Oct/2000:13:55:36 -0700 \"GET / HTTP/1.1\" 200 1");
    expect_unparsed("1.2.3.4 - - [] \"GET / HTTP/1.1\" 200 1");
    expect_unparsed("1.2.3.4 - - [10/Oct/2000 \"GET / HTTP/1.1\" 200 1");
    expect_unparsed("1.2.3.4 - - " DATE " GET / HTTP/1.1 200 1");
    /* Four fields before the date (vhost_combined) is another format. */
    expect_unparsed("www:80 1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 1");
    /* Junk after the size, half a Combined tail, junk after it. */
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 1 junk");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 1 \"-\"");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"x");
    /* Control characters: a tab, an escape. */
    expect_unparsed("1.2.3.4\t- - " DATE " \"GET / HTTP/1.1\" 200 1");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET /\x1b HTTP/1.1\" 200 1");
    /* A NUL byte inside (length given explicitly). */
    static const char nul[] = "1.2.3.4 - - " DATE " \"GET /\0 HTTP/1.1\" 200 1";
    httpd_logline l;
    assert_false(httpd_logline_parse(nul, sizeof nul - 1, &l));
    assert_false(httpd_logline_parse(NULL, 0, &l));
}

static void test_too_short(void **state)
{
    (void)state;
    const char *full = "1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 1234";
    httpd_logline l;
    /* Every prefix shorter than the whole line (up to the size) is refused;
     * the prefixes ending inside the size are valid smaller sizes. */
    size_t n = strlen(full);
    size_t size_at = n - 4;
    for (size_t i = 0; i < size_at; i++)
        assert_false(httpd_logline_parse(full, i, &l));
    for (size_t i = size_at + 1; i <= n; i++)
        assert_true(httpd_logline_parse(full, i, &l));
    expect_unparsed("1.2.3.4");
    expect_unparsed("1.2.3.4 - -");
    expect_unparsed("1.2.3.4 - - " DATE);
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\"");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 ");
}

static void test_bad_status(void **state)
{
    (void)state;
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 20 1");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 2000 1");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 2x0 1");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" OK 1");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" - 1");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" -200 1");
    expect("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 499 0", "499", true, 0, false);
}

static void test_sizes(void **state)
{
    (void)state;
    expect("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 9223372036854775807", "200", true,
           UINT64_C(9223372036854775807), false);
    expect("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 0009", "200", true, 9, false);
    /* Beyond int64, beyond uint64, absurdly long: unparsed. */
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 9223372036854775808");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 18446744073709551616");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 "
                    "99999999999999999999999999999999999999999999999999");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 12ab");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 1.5");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 +1");
}

static void test_carriage_return(void **state)
{
    (void)state;
    expect("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 17\r", "200", true, 17, false);
    expect("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 -\r", "200", false, 0, false);
    expect("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 17 \"-\" \"ua\"\r", "200", true, 17, true);
    /* Only one, and only at the end. */
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\" 200 17\r\r");
    expect_unparsed("1.2.3.4 - - " DATE " \"GET / HTTP/1.1\"\r200 17");
    expect_unparsed("\r");
}

static void test_huge_line(void **state)
{
    (void)state;
    /* A 1 MiB request and a 1 MiB run of garbage: linear, no crash. */
    size_t n = 1 << 20;
    char *s = malloc(n + 200);
    assert_non_null(s);
    int k = snprintf(s, 200, "1.2.3.4 - - %s \"GET /", DATE);
    memset(s + k, 'a', n);
    strcpy(s + k + n, " HTTP/1.1\" 200 5");
    expect(s, "200", true, 5, false);
    memset(s, '"', n + 100);
    s[n + 100] = '\0';
    expect_unparsed(s);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_common),         cmocka_unit_test(test_combined),
        cmocka_unit_test(test_hosts),          cmocka_unit_test(test_dash_size),
        cmocka_unit_test(test_escaped_quotes), cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_too_short),      cmocka_unit_test(test_bad_status),
        cmocka_unit_test(test_sizes),          cmocka_unit_test(test_carriage_return),
        cmocka_unit_test(test_huge_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
