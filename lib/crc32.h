/*
 * CRC-32 (the IEEE 802.3 polynomial, reflected, as gzip and zlib use it),
 * computed eight bytes at a time from eight 256-entry tables built once.
 */
#ifndef PROMC_CRC32_H
#define PROMC_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC of p[0..n) continuing from crc (0 to start a new one). Any thread. */
uint32_t promc__crc32(uint32_t crc, const void *p, size_t n);
/* The same with the table method only, whatever the processor (for tests
 * comparing the two methods). */
uint32_t promc__crc32_portable(uint32_t crc, const void *p, size_t n);

#endif
