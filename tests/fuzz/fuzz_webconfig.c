/*
 * Fuzz target for the web configuration reader (examples/common/
 * webconfig.c), which parses a YAML file an operator wrote. The input is the
 * file. A refused one must come with a reason naming the file; an accepted
 * one must hold only headers exporter-toolkit lets one set, without control
 * characters, and parse the same again. Any broken invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

static void fail(const char *what, const uint8_t *data, size_t size)
{
    fprintf(stderr, "fuzz_webconfig: %s\ninput (%zu bytes): %.*s\n", what, size, (int)size,
            (const char *)data);
    abort();
}

static bool allowed(const char *line)
{
    static const char *const names[] = {
        "Content-Security-Policy: ", "X-Frame-Options: ", "X-Content-Type-Options: ",
        "X-XSS-Protection: ", "Strict-Transport-Security: "};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strncmp(line, names[i], strlen(names[i])) == 0 && line[strlen(names[i])])
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256] = "unset";
    bool tls = false;
    ex_web_config *c =
        ex_web_config_parse("f.yml", (const char *)data, size, why, sizeof why, &tls);
    if (!c) {
        if (strncmp(why, "f.yml: ", 7) != 0 || !memchr(why, '\0', sizeof why))
            fail("refused without a reason naming the file", data, size);
        if (tls && !strstr(why, "tls_server_config"))
            fail("tls set for another reason", data, size);
        return 0;
    }
    if (tls)
        fail("tls set on an accepted file", data, size);
    const char *const *h = ex_web_config_headers(c);
    size_t n = 0;
    for (; h[n]; n++) {
        if (!allowed(h[n]))
            fail("a header exporter-toolkit does not allow", data, size);
        for (const unsigned char *p = (const unsigned char *)h[n]; *p; p++)
            if (*p < 0x20 || *p == 0x7f)
                fail("a control character in a header", data, size);
    }
    ex_web_config *again =
        ex_web_config_parse("f.yml", (const char *)data, size, why, sizeof why, NULL);
    if (!again || ex_web_config_users(again) != ex_web_config_users(c))
        fail("a second parse differs", data, size);
    const char *const *h2 = ex_web_config_headers(again);
    for (size_t i = 0; i <= n; i++)
        if ((h[i] == NULL) != (h2[i] == NULL) || (h[i] && strcmp(h[i], h2[i]) != 0))
            fail("a second parse differs in its headers", data, size);
    ex_web_config_free(again);
    ex_web_config_free(c);
    return 0;
}

const char *const *fuzz_seed_inputs(size_t *n)
{
    static const char *const seeds[] = {
        "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
        "    Content-Security-Policy: \"default-src 'self'\"\n"
        "basic_auth_users:\n  alice: "
        "$2y$05$L4sqOPOV0vPN0DN2nUwaruQya88H1g2xyWZyhuwYUinQR8CXgybqC\n",
        "---\n# comment\nbasic_auth_users:\n  'bob': "
        "\"$2b$04$abcdefghijklmnopqrstuu5rN3Zs5BuhXv8dQ3Sc11NKcD6hxGbu\"\n",
        "tls_server_config:\n  cert_file: a\n",
        "http_server_config:\n  headers:\n    X-XSS-Protection: ''\n    Strict-Transport-Security: "
        "max-age=1 # c\n",
    };
    *n = sizeof seeds / sizeof seeds[0];
    return seeds;
}
