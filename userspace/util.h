/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Strict parsing of command-line numbers.
 */
#ifndef MMLENS_UTIL_H
#define MMLENS_UTIL_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Parses a PID: decimal digits only, 1 to INT_MAX.  Returns 0, -EINVAL when
 * s is not a number, or -ERANGE when it is out of range.
 */
int mmlens_parse_pid(const char *s, pid_t *pid);

/*
 * Parses a u64 in decimal or, with a "0x"/"0X" prefix, in hex.  Signs,
 * whitespace and trailing characters are rejected; a leading zero does not
 * mean octal.  Returns 0, -EINVAL when s is not a number, or -ERANGE when it
 * does not fit in 64 bits.
 */
int mmlens_parse_u64(const char *s, uint64_t *val);

#endif /* MMLENS_UTIL_H */
