// SPDX-License-Identifier: GPL-2.0
/*
 * Strict parsing of command-line numbers.
 *
 * strtoul() and friends skip leading whitespace, accept a sign (and negate
 * "-1" into ULONG_MAX), treat a leading zero as octal and need extra care to
 * catch trailing junk.  An address or PID mistyped on the command line must be
 * refused rather than silently turned into a different one, so parse by hand.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>

#include "util.h"

/* Value of digit c in base 10 or 16, or -1. */
static int digit(char c, unsigned int base)
{
	int d = -1;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	return d < (int)base ? d : -1;
}

int mmlens_parse_u64(const char *s, uint64_t *val)
{
	unsigned int base = 10;
	bool overflow = false;
	uint64_t v = 0;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;

	/* Keep scanning after an overflow: junk is -EINVAL wherever it is. */
	for (; *s; s++) {
		d = digit(*s, base);
		if (d < 0)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			overflow = true;
		else
			v = v * base + d;
	}
	if (overflow)
		return -ERANGE;

	*val = v;
	return 0;
}

int mmlens_parse_pid(const char *s, pid_t *pid)
{
	uint64_t v;
	int ret;

	/* PIDs are always decimal: "0x10" is a typo, not PID 16. */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return -EINVAL;

	ret = mmlens_parse_u64(s, &v);
	if (ret)
		return ret;
	if (v == 0 || v > INT_MAX)
		return -ERANGE;

	*pid = (pid_t)v;
	return 0;
}
