/*
 * RFC 3339 timestamps for the example exporters: parsing the ones Kubernetes
 * and other APIs send ("2024-01-02T03:04:05Z", with fractions and offsets)
 * into Unix seconds, and formatting Unix seconds for log lines. Computed from
 * the civil date directly (timegm is not POSIX); no locale, no time zone.
 */
#ifndef EX_RFC3339_H
#define EX_RFC3339_H

#include <stddef.h>

/* Parses len bytes at s (no NUL needed) as an RFC 3339 date-time:
 * YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), 'T' and 'Z' in either
 * case, any number of fraction digits. Sets *unix_seconds (seconds since
 * 1970-01-01T00:00:00Z, fractions kept to a double's precision) and returns
 * 0; returns -1 for anything else, including impossible dates (02-30, month
 * 13, hour 24, minute 60, offset hour 24) and surrounding spaces. A leap
 * second (SS = 60) is accepted and read as SS = 59.999999: POSIX time has no
 * leap seconds, and this keeps events in order. Thread-safe. */
int ex_rfc3339_parse(const char *s, size_t len, double *unix_seconds);

/* ex_rfc3339_parse, and also the same date-time without a zone
 * (YYYY-MM-DDTHH:MM:SS[.fraction]), read as UTC: what Python's
 * datetime.isoformat() writes for a naive datetime, which some APIs send.
 * Thread-safe. */
int ex_rfc3339_parse_utc_default(const char *s, size_t len, double *unix_seconds);

/* Enough for every timestamp ex_rfc3339_format writes, NUL included. */
#define EX_RFC3339_BUFSIZE 32

/* Writes unix_seconds as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, milliseconds,
 * rounded down) into buf. Returns the length written (24), or 0 (buf = "")
 * when cap is too small or the year is outside 0000-9999 or the value is
 * not finite. Thread-safe. */
size_t ex_rfc3339_format(double unix_seconds, char *buf, size_t cap);

#endif /* EX_RFC3339_H */
