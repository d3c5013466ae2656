/*
 * RFC 3339 parsing and formatting (see rfc3339.h). Days are counted from the
 * proleptic Gregorian calendar with Howard Hinnant's days_from_civil and
 * civil_from_days algorithms, exact for every year the format can hold.
 */
#include "rfc3339.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

/* Days since 1970-01-01 of y-m-d (m 1-12, d 1-31). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* n decimal digits at s[*pos] (bounds checked by the caller); -1 if any is
 * not a digit. */
static int digits(const char *s, size_t *pos, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[*pos + i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *pos += n;
    return v;
}

static int expect(const char *s, size_t *pos, char a, char b)
{
    if (s[*pos] != a && s[*pos] != b)
        return -1;
    (*pos)++;
    return 0;
}

/* Both parsers: with zone_required false, a timestamp that ends after the
 * seconds or the fraction is UTC. */
static int parse(const char *s, size_t len, int zone_required, double *unix_seconds)
{
    /* "YYYY-MM-DDTHH:MM:SS" is 19 bytes, checked once here; the fraction and
     * the zone are bounds-checked as they are read. */
    if (!s || len < 19 + (size_t)(zone_required != 0))
        return -1;
    size_t pos = 0;
    int year = digits(s, &pos, 4);
    if (year < 0 || expect(s, &pos, '-', '-'))
        return -1;
    int month = digits(s, &pos, 2);
    if (month < 0 || expect(s, &pos, '-', '-'))
        return -1;
    int day = digits(s, &pos, 2);
    if (day < 0 || expect(s, &pos, 'T', 't'))
        return -1;
    int hour = digits(s, &pos, 2);
    if (hour < 0 || expect(s, &pos, ':', ':'))
        return -1;
    int minute = digits(s, &pos, 2);
    if (minute < 0 || expect(s, &pos, ':', ':'))
        return -1;
    int second = digits(s, &pos, 2);
    if (second < 0)
        return -1;

    /* Fraction: the first 18 digits are kept exactly (more than a double
     * holds), the rest only checked. */
    double fraction = 0;
    if (pos < len && s[pos] == '.') {
        pos++;
        int64_t num = 0, den = 1;
        size_t start = pos;
        while (pos < len && s[pos] >= '0' && s[pos] <= '9') {
            if (pos - start < 18) {
                num = num * 10 + (s[pos] - '0');
                den *= 10;
            }
            pos++;
        }
        if (pos == start)
            return -1;
        fraction = (double)num / (double)den;
    }

    int offset = 0; /* seconds east of UTC */
    if (pos >= len) {
        if (zone_required)
            return -1;
    } else if (s[pos] == 'Z' || s[pos] == 'z') {
        pos++;
    } else if (s[pos] == '+' || s[pos] == '-') {
        int sign = s[pos] == '-' ? -1 : 1;
        pos++;
        if (len - pos < 5)
            return -1;
        int oh = digits(s, &pos, 2);
        if (oh < 0 || expect(s, &pos, ':', ':'))
            return -1;
        int om = digits(s, &pos, 2);
        if (om < 0 || oh > 23 || om > 59)
            return -1;
        offset = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (pos != len)
        return -1;

    if (month < 1 || month > 12 || day < 1 || (unsigned)day > days_in_month(year, (unsigned)month))
        return -1;
    if (hour > 23 || minute > 59 || second > 60)
        return -1;
    if (second == 60) {
        second = 59;
        fraction = 0.999999;
    }
    int64_t secs = days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 + hour * 3600 +
                   minute * 60 + second - offset;
    if (unix_seconds)
        *unix_seconds = (double)secs + fraction;
    return 0;
}

int ex_rfc3339_parse(const char *s, size_t len, double *unix_seconds)
{
    return parse(s, len, 1, unix_seconds);
}

int ex_rfc3339_parse_utc_default(const char *s, size_t len, double *unix_seconds)
{
    return parse(s, len, 0, unix_seconds);
}

size_t ex_rfc3339_format(double unix_seconds, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return 0;
    buf[0] = '\0';
    /* 253402300800 is 10000-01-01T00:00:00Z; -62167219200 is 0000-01-01. */
    if (!isfinite(unix_seconds) || unix_seconds < -62167219200.0 ||
        unix_seconds >= 253402300800.0 || cap < 25)
        return 0;
    int64_t ms = (int64_t)floor(unix_seconds * 1000.0);
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    unsigned milli = (unsigned)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    unsigned in_day = (unsigned)(secs - days * 86400);
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int n = snprintf(buf, cap, "%04d-%02u-%02uT%02u:%02u:%02u.%03uZ", (int)y, m, d, in_day / 3600,
                     in_day / 60 % 60, in_day % 60, milli);
    return n == 24 ? 24 : 0;
}
