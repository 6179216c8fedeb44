/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fast text output: number formatting without printf, for tables of
 * hundreds of thousands of rows.
 */
#ifndef MMLENS_FMT_H
#define MMLENS_FMT_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * Room a formatted row may take at most, with what its formatter writes past
 * its end; every row is made in a buffer of this size (a stack one, or the
 * output's: see mmlens_stream_room()).
 */
#define MMLENS_ROW_MAX 2048

/*
 * Formatters write at p and return the end of what they wrote, without a
 * terminating NUL.
 */

/*
 * The 8 hex digits of v as 8 ASCII bytes, most significant first in memory:
 * a dozen operations instead of a loop per digit.  Each nibble is spread to
 * a byte of its own, then '0' is added, and 'a' - '0' - 10 more to those
 * that are 10 or above.
 */
static inline uint64_t mmlens_hex8(uint32_t v)
{
	uint64_t x = v, ten;

	x = (x | x << 16) & 0x0000ffff0000ffffULL;
	x = (x | x << 8) & 0x00ff00ff00ff00ffULL;
	x = (x | x << 4) & 0x0f0f0f0f0f0f0f0fULL;
	ten = ((x + 0x0606060606060606ULL) >> 4) & 0x0101010101010101ULL;
	x += 0x3030303030303030ULL + ten * ('a' - '0' - 10);
	/* Nibble i is in byte i by significance: the top one goes first. */
	return htobe64(x);
}

/* Lowercase hex without "0x", zero-padded to at least width digits. */
char *mmlens_fmt_hex(char *p, uint64_t v, unsigned int width);
/* "0x" and lowercase hex. */
char *mmlens_fmt_0x(char *p, uint64_t v);
/* Decimal; inline, as table rows print a count or two each. */
static inline char *mmlens_fmt_u64(char *p, uint64_t v)
{
	char tmp[20];
	unsigned int n = 0;

	/* Counts in tables are mostly single digits. */
	if (v < 10) {
		*p = '0' + v;
		return p + 1;
	}
	do
		tmp[n++] = '0' + v % 10;
	while (v /= 10);
	while (n)
		*p++ = tmp[--n];
	return p;
}
/* Inline, so that the length of a literal is known when compiling. */
static inline char *mmlens_fmt_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}
/* Pads with spaces until the text since start is width long, plus one. */
char *mmlens_fmt_col(char *p, const char *start, size_t width);
/* "4K", "2M", "1G": a page size, in the largest unit dividing it. */
char *mmlens_fmt_pgsize(char *p, uint64_t bytes);

/*
 * A size for people: "4 KiB", "72 KiB", "1.5 GiB", "256 GiB", "128 PiB"
 * (one decimal when not a whole number of the unit).  Returns buf.
 */
const char *mmlens_human(char *buf, size_t size, uint64_t bytes);

#endif /* MMLENS_FMT_H */
