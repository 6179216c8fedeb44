// SPDX-License-Identifier: GPL-2.0
/*
 * Fast text output.
 *
 * "mmlens ptes" prints a row per page table entry, 262144 of them for 1 GiB
 * of base pages.  printf parses its format for every field of every row; the
 * formatters here are plain digit loops.
 */
#include <string.h>

#include "fmt.h"

char *mmlens_fmt_hex(char *p, uint64_t v, unsigned int width)
{
	unsigned int n = v ? (67 - __builtin_clzll(v)) / 4 : 1;
	uint64_t digits[2] = { mmlens_hex8(v >> 32), mmlens_hex8(v) };

	if (n < width) {
		/* Zeros beyond the 16 digits a u64 has. */
		if (width > 16) {
			memset(p, '0', width - 16);
			p += width - 16;
			width = 16;
		}
		n = width;
	}
	memcpy(p, (char *)digits + 16 - n, n);
	return p + n;
}

char *mmlens_fmt_0x(char *p, uint64_t v)
{
	*p++ = '0';
	*p++ = 'x';
	return mmlens_fmt_hex(p, v, 1);
}

char *mmlens_fmt_col(char *p, const char *start, size_t width)
{
	while ((size_t)(p - start) < width)
		*p++ = ' ';
	*p++ = ' ';
	return p;
}

char *mmlens_fmt_pgsize(char *p, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (bytes && !(bytes & 1023) && u < 5) {
		bytes >>= 10;
		u++;
	}
	p = mmlens_fmt_u64(p, bytes);
	if (u >= 0)
		*p++ = units[u];
	return p;
}

const char *mmlens_human(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	uint64_t whole = bytes, rem = 0;
	unsigned int u = 0;

	while (whole >= 1024 && u < 6) {
		rem = whole & 1023;
		whole >>= 10;
		u++;
	}
	/* Only the last step's remainder: good enough for one decimal. */
	if (rem)
		snprintf(buf, size, "%llu.%llu %s", (unsigned long long)whole,
			 (unsigned long long)(rem * 10 / 1024), units[u]);
	else
		snprintf(buf, size, "%llu %s", (unsigned long long)whole, units[u]);
	return buf;
}
