/*
 * Content negotiation (promc_negotiate): the Accept headers real Prometheus
 * versions send, q-value ordering, exclusion by q=0, case and whitespace
 * tolerance, ties, unsupported versions falling back to text, the protobuf
 * parameters, and robustness against huge and random headers. Also the exact
 * Content-Type strings, and the escaping= parameter (promc_negotiate_escaping)
 * against prometheus/common v0.70.1's expfmt/encode_test.go.
 */
#include "helpers.h"

static const char PROM_242_DEFAULT[] =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

static const char PROM_242_PROTOBUF[] =
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,"
    "application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

static const char PROM_3_DEFAULT[] =
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/"
    "openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
    "text/plain;version=0.0.4;q=0.2,*/*;q=0.1";

static const char *format_name(promc_format f)
{
    return f == PROMC_FORMAT_TEXT          ? "text"
           : f == PROMC_FORMAT_OPENMETRICS ? "OpenMetrics"
           : f == PROMC_FORMAT_PROTOBUF    ? "protobuf"
                                           : "?";
}

/* Negotiates accept and checks both the format and the Content-Type. */
static void expect_format(const char *accept, promc_format want)
{
    const char *ct = NULL;
    promc_format got = promc_negotiate(accept, &ct);
    if (got != want)
        fail_msg("Accept \"%s\": got %s, want %s", accept ? accept : "(null)", format_name(got),
                 format_name(want));
    assert_non_null(ct);
    assert_string_equal(ct, want == PROMC_FORMAT_TEXT          ? PROMC_CONTENT_TYPE_TEXT
                            : want == PROMC_FORMAT_OPENMETRICS ? PROMC_CONTENT_TYPE_OPENMETRICS
                                                               : PROMC_CONTENT_TYPE_PROTOBUF);
    /* content_type is optional. */
    assert_int_equal(promc_negotiate(accept, NULL), want);
}

static void content_type_strings_are_exact(void **state)
{
    (void)state;
    assert_string_equal(PROMC_CONTENT_TYPE_TEXT, "text/plain; version=0.0.4; charset=utf-8");
    assert_string_equal(PROMC_CONTENT_TYPE_OPENMETRICS,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assert_string_equal(promc_content_type(PROMC_FORMAT_TEXT),
                        "text/plain; version=0.0.4; charset=utf-8");
    assert_string_equal(promc_content_type(PROMC_FORMAT_OPENMETRICS),
                        "application/openmetrics-text; version=1.0.0; charset=utf-8");
    /* What client_golang's expfmt sends (FmtProtoDelim). */
    assert_string_equal(promc_content_type(PROMC_FORMAT_PROTOBUF),
                        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
                        "encoding=delimited");
    assert_string_equal(PROMC_CONTENT_TYPE_PROTOBUF, promc_content_type(PROMC_FORMAT_PROTOBUF));
}

static void missing_or_garbage_header_gives_text(void **state)
{
    (void)state;
    expect_format(NULL, PROMC_FORMAT_TEXT);
    expect_format("", PROMC_FORMAT_TEXT);
    expect_format("garbage", PROMC_FORMAT_TEXT);
    expect_format(";;;,,,;=;=,", PROMC_FORMAT_TEXT);
    expect_format("application/json", PROMC_FORMAT_TEXT);
    expect_format("   ", PROMC_FORMAT_TEXT);
    expect_format(",", PROMC_FORMAT_TEXT);
    expect_format("application/openmetrics-text-but-not", PROMC_FORMAT_TEXT);
}

static void prometheus_2_42_default_header_gives_openmetrics(void **state)
{
    (void)state;
    expect_format(PROM_242_DEFAULT, PROMC_FORMAT_OPENMETRICS);
}

static void prometheus_3_default_header_gives_openmetrics(void **state)
{
    (void)state;
    expect_format(PROM_3_DEFAULT, PROMC_FORMAT_OPENMETRICS);
}

/* Prometheus 2.42 with --enable-feature=native-histograms (scrape.go's
 * scrapeAcceptHeaderWithProtobuf). */
static void prometheus_2_42_native_histograms_header_gives_protobuf(void **state)
{
    (void)state;
    expect_format(PROM_242_PROTOBUF, PROMC_FORMAT_PROTOBUF);
    expect_format("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                  "encoding=delimited",
                  PROMC_FORMAT_PROTOBUF);
}

static void protobuf_needs_both_parameters(void **state)
{
    (void)state;
    /* Parameter order is free, whitespace and quoting as RFC 9110 allows. */
    expect_format("application/vnd.google.protobuf;encoding=delimited;"
                  "proto=io.prometheus.client.MetricFamily",
                  PROMC_FORMAT_PROTOBUF);
    expect_format(
        "application/vnd.google.protobuf ; proto = \"io.prometheus.client.MetricFamily\" ;"
        " encoding=\"delimited\" ; q=0.9, text/plain;q=0.5",
        PROMC_FORMAT_PROTOBUF);
    expect_format("Application/Vnd.Google.Protobuf;PROTO=io.prometheus.client.MetricFamily;"
                  "Encoding=delimited",
                  PROMC_FORMAT_PROTOBUF);
    /* Anything else is not the delimited stream: the next choice, or text. */
    expect_format("application/vnd.google.protobuf", PROMC_FORMAT_TEXT);
    expect_format("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily",
                  PROMC_FORMAT_TEXT);
    expect_format("application/vnd.google.protobuf;encoding=delimited", PROMC_FORMAT_TEXT);
    expect_format("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                  "encoding=text",
                  PROMC_FORMAT_TEXT);
    expect_format("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                  "encoding=compact-text,application/openmetrics-text;q=0.5",
                  PROMC_FORMAT_OPENMETRICS);
    expect_format("application/vnd.google.protobuf;proto=io.prometheus.write.WriteRequest;"
                  "encoding=delimited",
                  PROMC_FORMAT_TEXT);
    expect_format("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamilyX;"
                  "encoding=delimited",
                  PROMC_FORMAT_TEXT);
    expect_format("application/x-protobuf;proto=io.prometheus.client.MetricFamily;"
                  "encoding=delimited",
                  PROMC_FORMAT_TEXT);
}

static void protobuf_competes_by_q_value(void **state)
{
    (void)state;
    static const char pb[] = "application/vnd.google.protobuf;proto=io.prometheus.client."
                             "MetricFamily;encoding=delimited";
    char h[512];
    snprintf(h, sizeof h, "%s;q=0.5,application/openmetrics-text;q=0.6", pb);
    expect_format(h, PROMC_FORMAT_OPENMETRICS);
    snprintf(h, sizeof h, "text/plain;q=0.5,%s;q=0.6", pb);
    expect_format(h, PROMC_FORMAT_PROTOBUF);
    /* Ties go to the earlier entry. */
    snprintf(h, sizeof h, "text/plain;q=0.5,%s;q=0.5", pb);
    expect_format(h, PROMC_FORMAT_TEXT);
    snprintf(h, sizeof h, "%s;q=0.5,text/plain;q=0.5", pb);
    expect_format(h, PROMC_FORMAT_PROTOBUF);
    snprintf(h, sizeof h, "%s;q=0,text/plain;q=0.1", pb);
    expect_format(h, PROMC_FORMAT_TEXT);
    /* Wildcards never get protobuf. */
    expect_format("*/*", PROMC_FORMAT_TEXT);
    expect_format("application/*", PROMC_FORMAT_OPENMETRICS);
    snprintf(h, sizeof h, "application/*,%s", pb);
    expect_format(h, PROMC_FORMAT_OPENMETRICS);
}

static void plain_text_requests_give_text(void **state)
{
    (void)state;
    expect_format("text/plain;version=0.0.4", PROMC_FORMAT_TEXT);
    expect_format("text/plain", PROMC_FORMAT_TEXT);
    expect_format("*/*", PROMC_FORMAT_TEXT);
    expect_format("text/plain;version=0.0.4;q=0.5,*/*;q=0.1", PROMC_FORMAT_TEXT);
}

static void openmetrics_versions(void **state)
{
    (void)state;
    expect_format("application/openmetrics-text", PROMC_FORMAT_OPENMETRICS);
    expect_format("application/openmetrics-text;version=1.0.0", PROMC_FORMAT_OPENMETRICS);
    expect_format("application/openmetrics-text;version=0.0.1", PROMC_FORMAT_OPENMETRICS);
    /* An unsupported version is not OpenMetrics 1.0: fall back to text. */
    expect_format("application/openmetrics-text;version=2.0.0", PROMC_FORMAT_TEXT);
    expect_format("application/openmetrics-text;version=2.0.0,text/plain;q=0.1", PROMC_FORMAT_TEXT);
    /* ... but a supported one later in the list still wins. */
    expect_format("application/openmetrics-text;version=2.0.0,application/openmetrics-text;"
                  "version=1.0.0;q=0.2",
                  PROMC_FORMAT_OPENMETRICS);
    /* text/plain 1.0.0 (UTF-8 names) is not produced. */
    expect_format("text/plain;version=1.0.0,application/openmetrics-text;q=0.1",
                  PROMC_FORMAT_OPENMETRICS);
}

static void q_values_order_the_choice(void **state)
{
    (void)state;
    expect_format("text/plain;q=0.9, application/openmetrics-text;q=0.5", PROMC_FORMAT_TEXT);
    expect_format("text/plain;q=0.5, application/openmetrics-text;q=0.9", PROMC_FORMAT_OPENMETRICS);
    /* No q means 1. */
    expect_format("text/plain;q=0.999,application/openmetrics-text", PROMC_FORMAT_OPENMETRICS);
    expect_format("application/openmetrics-text;q=0.999,text/plain", PROMC_FORMAT_TEXT);
    /* Three digits of precision are honoured. */
    expect_format("text/plain;q=0.501,application/openmetrics-text;q=0.5", PROMC_FORMAT_TEXT);
    expect_format("text/plain;q=0.5,application/openmetrics-text;q=0.501",
                  PROMC_FORMAT_OPENMETRICS);
    /* q=1.0 and q=1 are both the maximum. */
    expect_format("text/plain;q=0.9,application/openmetrics-text;q=1.0", PROMC_FORMAT_OPENMETRICS);
    expect_format("text/plain;q=0.9,application/openmetrics-text;q=1", PROMC_FORMAT_OPENMETRICS);
    /* The wildcard loses to an explicit, better-rated type. */
    expect_format("*/*;q=0.1,application/openmetrics-text;q=0.2", PROMC_FORMAT_OPENMETRICS);
}

static void q_zero_excludes(void **state)
{
    (void)state;
    expect_format("application/openmetrics-text;q=0", PROMC_FORMAT_TEXT);
    expect_format("application/openmetrics-text;q=0.000", PROMC_FORMAT_TEXT);
    expect_format("application/openmetrics-text;version=1.0.0;q=0,text/plain;q=0.1",
                  PROMC_FORMAT_TEXT);
    expect_format("text/plain;q=0,application/openmetrics-text;q=0.01", PROMC_FORMAT_OPENMETRICS);
    expect_format("text/plain;q=0,*/*;q=0,application/openmetrics-text;q=0.001",
                  PROMC_FORMAT_OPENMETRICS);
}

static void type_and_parameters_are_case_insensitive(void **state)
{
    (void)state;
    expect_format("Application/OpenMetrics-Text;Version=1.0.0", PROMC_FORMAT_OPENMETRICS);
    expect_format("APPLICATION/OPENMETRICS-TEXT;VERSION=1.0.0;Q=0.9,TEXT/PLAIN;Q=0.5",
                  PROMC_FORMAT_OPENMETRICS);
    expect_format("TEXT/PLAIN;Q=0.9,application/openmetrics-text;q=0.5", PROMC_FORMAT_TEXT);
    expect_format("text/plain;q=0.5,application/openmetrics-text;Q=0", PROMC_FORMAT_TEXT);
}

static void whitespace_around_separators_is_ignored(void **state)
{
    (void)state;
    expect_format("  application/openmetrics-text ; version = 1.0.0 ; q = 0.9 ,  text/plain ; "
                  "q=0.5  ",
                  PROMC_FORMAT_OPENMETRICS);
    expect_format("text/plain\t;\tq=0.9\t,\tapplication/openmetrics-text\t;\tq=0.5",
                  PROMC_FORMAT_TEXT);
    expect_format("text/plain ;q=0.1, application/openmetrics-text ;version=2.0.0 ",
                  PROMC_FORMAT_TEXT);
    expect_format(" , ,application/openmetrics-text, ,", PROMC_FORMAT_OPENMETRICS);
}

static void ties_go_to_the_earlier_entry(void **state)
{
    (void)state;
    expect_format("text/plain,application/openmetrics-text", PROMC_FORMAT_TEXT);
    expect_format("application/openmetrics-text,text/plain", PROMC_FORMAT_OPENMETRICS);
    expect_format("text/plain;q=0.5,application/openmetrics-text;q=0.5", PROMC_FORMAT_TEXT);
    expect_format("application/openmetrics-text;q=0.5,text/plain;q=0.5", PROMC_FORMAT_OPENMETRICS);
    /* Unsupported entries do not take part in the tie. */
    expect_format("application/json;q=0.5,application/openmetrics-text;q=0.5,text/plain;q=0.5",
                  PROMC_FORMAT_OPENMETRICS);
}

static void very_long_header_is_handled(void **state)
{
    (void)state;
    static const char filler[] = "text/plain;version=0.0.4;q=0.1, ";
    size_t reps = 50000;
    size_t flen = strlen(filler);
    const char tail[] = "application/openmetrics-text;version=1.0.0;q=0.2";
    char *h = malloc(reps * flen + sizeof tail);
    assert_non_null(h);
    for (size_t i = 0; i < reps; i++)
        memcpy(h + i * flen, filler, flen);
    memcpy(h + reps * flen, tail, sizeof tail);
    expect_format(h, PROMC_FORMAT_OPENMETRICS);

    /* One huge entry with a huge parameter value. */
    size_t n = 1 << 20;
    char *big = malloc(n + 64);
    assert_non_null(big);
    strcpy(big, "application/openmetrics-text;version=");
    size_t at = strlen(big);
    memset(big + at, '1', n);
    big[at + n] = '\0';
    expect_format(big, PROMC_FORMAT_TEXT);
    strcpy(big, "text/plain;q=0.");
    at = strlen(big);
    memset(big + at, '9', n);
    big[at + n] = '\0';
    expect_format(big, PROMC_FORMAT_TEXT);
    free(big);
    free(h);
}

/* xorshift64*: reproducible pseudo-random input. */
static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t next_rand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

static void random_headers_never_crash(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "application/openmetrics-text",
        "text/plain",
        "*/*",
        "application/*",
        "text/*",
        ";",
        ",",
        "=",
        " ",
        "\t",
        "q",
        "q=",
        "0",
        "1",
        ".",
        "0.5",
        "version",
        "1.0.0",
        "0.0.4",
        "\"",
        "\"0.3\"",
        "Q",
        ";;",
        ",,",
        "escaping=allow-utf-8",
        "application/vnd.google.protobuf",
        "proto=io.prometheus.client.MetricFamily",
        "encoding=delimited",
        "\\",
        "\xff",
        "\xc3\xa9",
    };
    const size_t npieces = sizeof pieces / sizeof pieces[0];
    char buf[512];
    for (int iter = 0; iter < 200000; iter++) {
        size_t len = 0;
        if (iter % 2) {
            /* Raw bytes 1..255. */
            size_t n = next_rand() % (sizeof buf - 1);
            for (size_t i = 0; i < n; i++)
                buf[len++] = (char)(1 + next_rand() % 255);
        } else {
            /* Plausible tokens glued at random, to reach every parser branch. */
            size_t n = next_rand() % 24;
            for (size_t i = 0; i < n; i++) {
                const char *p = pieces[next_rand() % npieces];
                size_t pl = strlen(p);
                if (len + pl >= sizeof buf)
                    break;
                memcpy(buf + len, p, pl);
                len += pl;
            }
        }
        buf[len] = '\0';
        /* An exactly sized heap copy lets ASan catch any read past the NUL. */
        char *h = malloc(len + 1);
        assert_non_null(h);
        memcpy(h, buf, len + 1);
        const char *ct = NULL;
        promc_format f = promc_negotiate(h, &ct);
        assert_true(f == PROMC_FORMAT_TEXT || f == PROMC_FORMAT_OPENMETRICS ||
                    f == PROMC_FORMAT_PROTOBUF);
        assert_ptr_equal(ct, promc_content_type(f));
        free(h);
    }
}

/* ---------------------------------------------------------------- escaping */

static void expect_escaping(const char *accept, promc_format want_format, promc_escaping want,
                            const char *want_ct)
{
    promc_escaping e = (promc_escaping)-1;
    const char *ct = NULL;
    promc_format f = promc_negotiate_escaping(accept, &e, &ct);
    if (f != want_format || e != want || !ct || strcmp(ct, want_ct) != 0)
        fail_msg("Accept \"%s\": got %s, escaping %d, \"%s\"; want %s, %d, \"%s\"", accept,
                 format_name(f), (int)e, ct ? ct : "(null)", format_name(want_format), (int)want,
                 want_ct);
    assert_int_equal(promc_negotiate_escaping(accept, NULL, NULL), want_format);
    /* The old call chooses the same format and keeps its Content-Types. */
    assert_int_equal(promc_negotiate(accept, &ct), want_format);
    assert_string_equal(ct, promc_content_type(want_format));
}

#define PB_DELIMITED                                                                               \
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"

/* expfmt/encode_test.go TestNegotiate and TestNegotiateOpenMetrics, where
 * the format is one promc writes: the same Content-Type, escaping included
 * (the default scheme is underscores, as model.NameEscapingScheme's). */
static void escaping_content_types_match_go(void **state)
{
    (void)state;
    const char *pb = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily";
    char accept[256];
    snprintf(accept, sizeof accept, "%s;encoding=delimited", pb);
    expect_escaping(accept, PROMC_FORMAT_PROTOBUF, PROMC_ESCAPING_UNDERSCORES,
                    PB_DELIMITED "; escaping=underscores");
    snprintf(accept, sizeof accept, "%s;encoding=delimited; escaping=allow-utf-8;", pb);
    expect_escaping(accept, PROMC_FORMAT_PROTOBUF, PROMC_ESCAPING_ALLOW_UTF8,
                    PB_DELIMITED "; escaping=allow-utf-8");
    snprintf(accept, sizeof accept, "%s;encoding=delimited; escaping=underscores;", pb);
    expect_escaping(accept, PROMC_FORMAT_PROTOBUF, PROMC_ESCAPING_UNDERSCORES,
                    PB_DELIMITED "; escaping=underscores");
    expect_escaping("text/plain;version=0.0.4", PROMC_FORMAT_TEXT, PROMC_ESCAPING_UNDERSCORES,
                    "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
    expect_escaping("text/plain;version=0.0.4;", PROMC_FORMAT_TEXT, PROMC_ESCAPING_UNDERSCORES,
                    "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
    expect_escaping("text/plain;version=0.0.4; escaping=values;", PROMC_FORMAT_TEXT,
                    PROMC_ESCAPING_VALUES,
                    "text/plain; version=0.0.4; charset=utf-8; escaping=values");
    expect_escaping("text/plain;version=0.0.4; escaping=allow-utf-8", PROMC_FORMAT_TEXT,
                    PROMC_ESCAPING_ALLOW_UTF8,
                    "text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8");
    expect_escaping("application/openmetrics-text;version=1.0.0; escaping=values;",
                    PROMC_FORMAT_OPENMETRICS, PROMC_ESCAPING_VALUES,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=values");
    /* Go answers 0.0.1 here; promc writes OpenMetrics 1.0.0, the same bytes. */
    expect_escaping(
        "application/openmetrics-text;version=0.0.1; escaping=underscores",
        PROMC_FORMAT_OPENMETRICS, PROMC_ESCAPING_UNDERSCORES,
        "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores");
    expect_escaping(NULL, PROMC_FORMAT_TEXT, PROMC_ESCAPING_UNDERSCORES,
                    "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
    expect_escaping("text/plain;version=0.0.4;escaping=dots", PROMC_FORMAT_TEXT,
                    PROMC_ESCAPING_DOTS, "text/plain; version=0.0.4; charset=utf-8; escaping=dots");
}

/* What Prometheus 3 sends by default, and protobuf first: its acceptHeader
 * (scrape/scrape.go) puts escaping= on the text 1.0.0 and OpenMetrics 1.0.0
 * ranges only, so a protobuf scrape gets underscores, from Go's expfmt too
 * (the protobuf range comes first: there is nothing to carry over). */
static void prometheus_3_gets_utf8_names(void **state)
{
    (void)state;
    expect_escaping(
        PROM_3_DEFAULT, PROMC_FORMAT_OPENMETRICS, PROMC_ESCAPING_ALLOW_UTF8,
        "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8");
    expect_escaping(
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding="
        "delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
        "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping="
        "allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
        PROMC_FORMAT_PROTOBUF, PROMC_ESCAPING_UNDERSCORES, PB_DELIMITED "; escaping=underscores");
    /* A scrape configured with another escaping scheme sends that one. */
    expect_escaping(
        "application/openmetrics-text;version=1.0.0;escaping=dots;q=0.5,application/"
        "openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=dots;q=0.3,"
        "text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
        PROMC_FORMAT_OPENMETRICS, PROMC_ESCAPING_DOTS,
        "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=dots");
    /* Prometheus 2.42 asks for no escaping: underscores. */
    expect_escaping(
        PROM_242_DEFAULT, PROMC_FORMAT_OPENMETRICS, PROMC_ESCAPING_UNDERSCORES,
        "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores");
}

/* The escaping is the chosen range's own: a parameter of a range promc does
 * not serve says nothing of the one it serves (Go's NegotiateAccept would
 * carry allow-utf-8 over from the text 1.0.0 range here). */
static void escaping_comes_from_the_chosen_range(void **state)
{
    (void)state;
    expect_escaping("text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;"
                    "q=0.2",
                    PROMC_FORMAT_TEXT, PROMC_ESCAPING_UNDERSCORES,
                    "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
    expect_escaping("application/openmetrics-text;escaping=dots;q=0.5,text/plain;escaping=values",
                    PROMC_FORMAT_TEXT, PROMC_ESCAPING_VALUES,
                    "text/plain; version=0.0.4; charset=utf-8; escaping=values");
    expect_escaping(
        "application/openmetrics-text;escaping=dots;q=0.5,text/plain;escaping=values;q=0",
        PROMC_FORMAT_OPENMETRICS, PROMC_ESCAPING_DOTS,
        "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=dots");
    /* A wildcard range's parameter counts too. */
    expect_escaping("*/*;escaping=allow-utf-8", PROMC_FORMAT_TEXT, PROMC_ESCAPING_ALLOW_UTF8,
                    "text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8");
}

static void escaping_values_unknown_case_and_quotes(void **state)
{
    (void)state;
    /* Unknown values are ignored, as Go ignores them: the default. */
    expect_escaping("text/plain;escaping=utf-8", PROMC_FORMAT_TEXT, PROMC_ESCAPING_UNDERSCORES,
                    "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
    expect_escaping("text/plain;escaping=", PROMC_FORMAT_TEXT, PROMC_ESCAPING_UNDERSCORES,
                    "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
    expect_escaping("text/plain;escaping=allow-utf8", PROMC_FORMAT_TEXT, PROMC_ESCAPING_UNDERSCORES,
                    "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
    /* Names and values in any ASCII case; a quoted-string value. */
    expect_escaping("TEXT/PLAIN;ESCAPING=Allow-UTF-8", PROMC_FORMAT_TEXT, PROMC_ESCAPING_ALLOW_UTF8,
                    "text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8");
    expect_escaping("text/plain; escaping = \"dots\"", PROMC_FORMAT_TEXT, PROMC_ESCAPING_DOTS,
                    "text/plain; version=0.0.4; charset=utf-8; escaping=dots");
    /* The last of two escaping parameters counts, as with version. */
    expect_escaping("text/plain;escaping=dots;escaping=values", PROMC_FORMAT_TEXT,
                    PROMC_ESCAPING_VALUES,
                    "text/plain; version=0.0.4; charset=utf-8; escaping=values");
    assert_string_equal(promc_content_type_escaped((promc_format)9, (promc_escaping)9),
                        "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
    assert_string_equal(promc_content_type_escaped(PROMC_FORMAT_PROTOBUF, PROMC_ESCAPING_DOTS),
                        PB_DELIMITED "; escaping=dots");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(content_type_strings_are_exact),
        cmocka_unit_test(missing_or_garbage_header_gives_text),
        cmocka_unit_test(prometheus_2_42_default_header_gives_openmetrics),
        cmocka_unit_test(prometheus_3_default_header_gives_openmetrics),
        cmocka_unit_test(prometheus_2_42_native_histograms_header_gives_protobuf),
        cmocka_unit_test(protobuf_needs_both_parameters),
        cmocka_unit_test(protobuf_competes_by_q_value),
        cmocka_unit_test(plain_text_requests_give_text),
        cmocka_unit_test(openmetrics_versions),
        cmocka_unit_test(q_values_order_the_choice),
        cmocka_unit_test(q_zero_excludes),
        cmocka_unit_test(type_and_parameters_are_case_insensitive),
        cmocka_unit_test(whitespace_around_separators_is_ignored),
        cmocka_unit_test(ties_go_to_the_earlier_entry),
        cmocka_unit_test(very_long_header_is_handled),
        cmocka_unit_test(random_headers_never_crash),
        cmocka_unit_test(escaping_content_types_match_go),
        cmocka_unit_test(prometheus_3_gets_utf8_names),
        cmocka_unit_test(escaping_comes_from_the_chosen_range),
        cmocka_unit_test(escaping_values_unknown_case_and_quotes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
