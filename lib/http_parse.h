/*
 * HTTP/1.x request-head parser for the built-in /metrics server, in the
 * picohttpparser style: stateless, allocation-free, and cheap enough to rerun
 * over the whole buffer after every read(). The server owns the buffer; the
 * parser only hands back pointers into it. Also the small helpers Basic auth
 * needs (base64, constant-time comparison).
 */
#ifndef PROMC_HTTP_PARSE_H
#define PROMC_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROMC__HTTP_MAX_HEADERS 64
/* Empty lines (CRLF or LF) ignored before the request-line; RFC 9112 §2.2
 * asks for at least one, for clients that send a stray CRLF after a body. */
#define PROMC__HTTP_MAX_LEADING_EMPTY 4

struct promc__http_header {
    const char *name;
    size_t name_len;
    const char *value; /* without surrounding OWS */
    size_t value_len;
};

struct promc__http_request {
    const char *method;
    size_t method_len;
    /* request-target as sent: origin-form path?query, absolute-form, "*"... */
    const char *target;
    size_t target_len;
    /* target without the query string; for absolute-form (http://host/p) the
     * /p part, empty (path_len 0, meaning "/") when it has no path. */
    const char *path;
    size_t path_len;
    int minor_version; /* HTTP/1.0 -> 0, HTTP/1.1 -> 1 */
    struct promc__http_header headers[PROMC__HTTP_MAX_HEADERS];
    size_t nheaders;
    /* Derived from the headers: */
    /* 1.1: on unless Connection lists "close"; 1.0: off unless it lists
     * "keep-alive" (and not "close"). Token lists, case-insensitive. */
    bool keep_alive;
    bool has_host;
    uint64_t content_length; /* 0 when absent */
    bool chunked;            /* Transfer-Encoding with chunked as final coding */
    const char *accept;      /* first Accept header's value; NULL if absent */
    size_t accept_len;
    const char *authorization; /* NULL if absent (a second one is an error) */
    size_t authorization_len;
};

enum {
    PROMC__HTTP_INCOMPLETE = 0,
    PROMC__HTTP_BAD = -1,               /* 400 */
    PROMC__HTTP_URI_TOO_LONG = -2,      /* 414 */
    PROMC__HTTP_HEADERS_TOO_LARGE = -3, /* 431 */
    PROMC__HTTP_BAD_VERSION = -4,       /* 505 */
};

/* Parses the request head at the start of buf[0..len). Returns the number of
 * bytes of the head (leading empty lines through the blank line) when
 * complete, PROMC__HTTP_INCOMPLETE when more bytes are needed, or a negative
 * error.
 *
 * The scan is strictly left to right and reports an error as soon as the
 * bytes seen prove one, so a prefix of an input yields either INCOMPLETE or
 * the same result as the whole input. max_target bounds the request-target
 * (exceeded -> URI_TOO_LONG once max_target + 1 target bytes are seen);
 * max_head bounds the whole head (exceeded -> HEADERS_TOO_LARGE, also when
 * len >= max_head and the head has not ended; values above INT_MAX count as
 * INT_MAX). More than PROMC__HTTP_MAX_HEADERS fields is HEADERS_TOO_LARGE.
 *
 * Rejected (BAD) per RFC 9112/9110: anything but `token SP target SP
 * HTTP/d.d` on the request-line (HTTP/d.d other than 1.0/1.1 is
 * BAD_VERSION), bare CR, more than PROMC__HTTP_MAX_LEADING_EMPTY leading empty
 * lines, obsolete line folding, whitespace before a field's colon, control
 * characters other than HTAB in field values, HTTP/1.1 without Host, several
 * Host or Authorization fields, a Content-Length that is not plain digits,
 * overflows or disagrees with an earlier one, Content-Length together with
 * Transfer-Encoding, a Transfer-Encoding whose final coding is not chunked
 * (or that applies chunked twice), and Transfer-Encoding in HTTP/1.0 (whose
 * framing RFC 9112 §6.1 says to treat as faulty).
 *
 * Never reads buf[len] or beyond, never allocates; pointers in req point into
 * buf. On any result but a positive one, req's contents are unspecified. */
int promc__http_parse_request(const char *buf, size_t len, size_t max_target, size_t max_head,
                              struct promc__http_request *req);

/* Whether a[0..alen) equals b[0..blen), taking time that depends only on the
 * lengths (for credentials). NULL is fine with length 0. */
bool promc__http_consttime_equal(const char *a, size_t alen, const char *b, size_t blen);

/* Decodes standard base64 (RFC 4648 §4 alphabet) into out[0..cap). Padding is
 * optional, but when present it must be exactly what completes the final
 * quantum ("Zg==", "Zm8="; also "Zg", "Zm8"); whitespace, '=' anywhere else,
 * a lone final character, and non-zero unused bits in the final quantum are
 * rejected, so each byte string has exactly one accepted encoding with and
 * one without padding. Returns the decoded length, or -1 on invalid input or
 * when cap is too small (out's contents are then unspecified). */
long promc__base64_decode(const char *in, size_t len, char *out, size_t cap);

/* Decodes one component of a query string (a parameter's name or value),
 * as Go's url.QueryUnescape does for promhttp's req.URL.Query(): "%XY" (two
 * hex digits, either case) is that byte, '+' is a space, every other byte
 * stands for itself. out needs room for len bytes (decoding never
 * lengthens). Returns the decoded length, or -1 at a '%' that two hex
 * digits do not follow (out's contents are then unspecified). Never reads
 * in[len] or beyond. */
long promc__http_query_decode(const char *in, size_t len, char *out);

#endif /* PROMC_HTTP_PARSE_H */
