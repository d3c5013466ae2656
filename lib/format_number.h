/*
 * Number to text for the exposition encoders. Scrapers compare our output with
 * client_golang's byte for byte (and parse it back), so floats must be Go's shortest
 * round-trip form, independent of the process locale, and cheap enough to call once
 * per sample without allocating.
 */
#ifndef PROMC_FORMAT_NUMBER_H
#define PROMC_FORMAT_NUMBER_H

#include <stddef.h>
#include <stdint.h>

#define PROMC__NUMBUF 32 /* enough for any output below plus NUL */

/* Go's strconv.FormatFloat(v, 'g', -1, 64) as client_golang's text encoder uses it:
 * "NaN", "+Inf", "-Inf", -0 and 0 -> "0"; otherwise the SHORTEST decimal digits that read back
 * (round to nearest) to exactly v, choosing the digit string closest to v when several shortest
 * exist (exactly what Go/Ryu produce); exponent form iff decimal exponent x < -4 || x >= 6
 * (d.ddde+XX, exponent sign always, at least 2 exponent digits: 1e+06,
 * 1e-05, 1.7976931348623157e+308, 2.5e-310), else fixed notation (123456, 0.0001,
 * 0.30000000000000004). Writes a NUL-terminated string into buf (>= PROMC__NUMBUF bytes); returns
 * its length. */
size_t promc__format_double(char *buf, double v);
/* OpenMetrics canonical number (for le/quantile labels and OM float values): the string above, with
 * ".0" appended when it contains none of '.', 'e', and is not NaN/+Inf/-Inf ("1.0", "0.0",
 * "100000.0", "1e+06", "0.005"). -0 gives "0.0" too. */
size_t promc__format_canonical(char *buf, double v);
/* Unsigned decimal, exact. */
size_t promc__format_u64(char *buf, uint64_t v);

#endif
