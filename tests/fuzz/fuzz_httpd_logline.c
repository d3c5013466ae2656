/*
 * Fuzz target for httpd_exporter's access-log line parser
 * (examples/httpd_exporter/logline.c, included as its unit test does). Each
 * input is one line, parsed from an exact-size heap copy that is not
 * NUL-terminated, and compared with an independent reading of the grammar
 * in logline.h; a trailing "\r" must not matter, and an accepted line
 * rebuilt from its fields must parse to the same fields. Any broken
 * invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../examples/httpd_exporter/logline.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *const *fuzz_seed_inputs(size_t *n);

static void fail(const char *what, const uint8_t *data, size_t size)
{
    fprintf(stderr, "fuzz_httpd_logline: %s\nline (%zu bytes): %.*s\n", what, size, (int)size,
            (const char *)data);
    abort();
}

/* ------------------------------------------------------------------ */
/* The reference, from the grammar in logline.h                        */
/* ------------------------------------------------------------------ */

struct ref {
    const uint8_t *s;
    size_t i, n;
};

static bool at(const struct ref *r, uint8_t c)
{
    return r->i < r->n && r->s[r->i] == c;
}

static bool spaces(struct ref *r)
{
    size_t start = r->i;
    while (at(r, ' '))
        r->i++;
    return r->i > start;
}

static bool field(struct ref *r)
{
    size_t start = r->i;
    while (r->i < r->n && r->s[r->i] != ' ')
        r->i++;
    return r->i > start;
}

/* The date: "[", then at least one byte up to the first "]". */
static bool date(struct ref *r)
{
    if (!at(r, '['))
        return false;
    size_t j = r->i + 1;
    while (j < r->n && r->s[j] != ']')
        j++;
    if (j >= r->n || j == r->i + 1)
        return false;
    r->i = j + 1;
    return true;
}

static bool quoted_field(struct ref *r)
{
    if (!at(r, '"'))
        return false;
    for (size_t j = r->i + 1; j < r->n; j++) {
        if (r->s[j] == '\\')
            j++;
        else if (r->s[j] == '"') {
            r->i = j + 1;
            return true;
        }
    }
    return false;
}

/* After a field: the end of the line or a space. */
static bool field_end(const struct ref *r)
{
    return r->i == r->n || r->s[r->i] == ' ';
}

static bool reference(const uint8_t *s, size_t n, httpd_logline *out)
{
    if (n && s[n - 1] == '\r')
        n--;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] == 0x7f)
            return false;
    struct ref r = {s, 0, n};
    memset(out, 0, sizeof *out);
    for (int k = 0; k < 3; k++) /* host ident authuser */
        if (!field(&r) || !spaces(&r))
            return false;
    if (!date(&r) || !spaces(&r) || !quoted_field(&r) || !spaces(&r))
        return false;
    for (int k = 0; k < 3; k++, r.i++)
        if (r.i >= n || s[r.i] < '0' || s[r.i] > '9')
            return false;
    memcpy(out->status, s + r.i - 3, 3);
    if (!field_end(&r) || !spaces(&r))
        return false;
    if (at(&r, '-')) {
        r.i++;
    } else {
        /* Digits, compared as a decimal string with INT64_MAX. */
        size_t start = r.i;
        while (r.i < n && s[r.i] >= '0' && s[r.i] <= '9')
            r.i++;
        if (r.i == start)
            return false;
        size_t first = start;
        while (first < r.i - 1 && s[first] == '0')
            first++;
        static const char max[] = "9223372036854775807";
        size_t digits = r.i - first;
        if (digits > sizeof max - 1 ||
            (digits == sizeof max - 1 && memcmp(s + first, max, digits) > 0))
            return false;
        out->has_bytes = true;
        for (size_t j = first; j < r.i; j++)
            out->bytes = out->bytes * 10 + (uint64_t)(s[j] - '0');
    }
    if (!field_end(&r))
        return false;
    spaces(&r);
    if (r.i == n)
        return true;
    /* Combined: "referer" "user-agent", then the end or a space. */
    if (!quoted_field(&r) || !spaces(&r) || !quoted_field(&r) || !field_end(&r))
        return false;
    out->combined = true;
    return true;
}

/* ------------------------------------------------------------------ */
/* The target                                                          */
/* ------------------------------------------------------------------ */

static bool same(const httpd_logline *a, const httpd_logline *b)
{
    return memcmp(a->status, b->status, 4) == 0 && a->has_bytes == b->has_bytes &&
           a->bytes == b->bytes && a->combined == b->combined;
}

/* Parses data[0..size) from an exact-size copy; the fields are filled with
 * garbage first, so every one must be written. */
static bool parse(const uint8_t *data, size_t size, httpd_logline *out)
{
    char *copy = malloc(size ? size : 1);
    if (!copy)
        abort();
    if (size)
        memcpy(copy, data, size);
    memset(out, 0x5a, sizeof *out);
    bool ok = httpd_logline_parse(copy, size, out);
    free(copy);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    httpd_logline got, want;
    bool ok = parse(data, size, &got);
    if (ok != reference(data, size, &want))
        fail(ok ? "accepted a line the grammar refuses" : "refused a line the grammar accepts",
             data, size);
    if (!ok)
        return 0;
    if (!same(&got, &want))
        fail("fields differ from the reference", data, size);
    if (!got.has_bytes && got.bytes != 0)
        fail("bytes set without has_bytes", data, size);
    if (got.bytes > (uint64_t)HTTPD_LOGLINE_MAX_BYTES)
        fail("bytes over the limit", data, size);

    /* One trailing CR is ignored (unless the line already ends in one). */
    if (size == 0 || data[size - 1] != '\r') {
        uint8_t *cr = malloc(size + 1);
        if (!cr)
            abort();
        memcpy(cr, data, size);
        cr[size] = '\r';
        httpd_logline again;
        if (!parse(cr, size + 1, &again) || !same(&got, &again))
            fail("a trailing CR changed the result", data, size);
        free(cr);
    }

    /* The fields, written back as a minimal line, parse the same. */
    char line[128];
    char bytes[24];
    if (got.has_bytes)
        snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)got.bytes);
    else
        snprintf(bytes, sizeof bytes, "-");
    int len = snprintf(line, sizeof line, "h - - [d] \"r\" %s %s%s", got.status, bytes,
                       got.combined ? " \"\" \"\"" : "");
    httpd_logline again;
    if (!parse((const uint8_t *)line, (size_t)len, &again) || !same(&got, &again))
        fail("the fields written back parse differently", data, size);
    return 0;
}

const char *const *fuzz_seed_inputs(size_t *n)
{
    static const char *const seeds[] = {
        "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326",
        "2001:db8::1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 304 - "
        "\"http://example.com/\" \"Mozilla/5.0 (X11; Linux x86_64)\"",
        "host.example ident user [d] \"say \\\"hi\\\" \\\\\" 404 9223372036854775807 \"\" \"\" "
        "extra 0.003\r",
        "10.0.0.1 - - [x]   \"\"   500   0   ",
        "a b c [] \"\" 200 1",
    };
    *n = sizeof seeds / sizeof seeds[0];
    return seeds;
}
