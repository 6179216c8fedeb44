/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fast text output: a buffered writer and number formatting without printf,
 * for tables of hundreds of thousands of rows.
 */
#ifndef MMLENS_FMT_H
#define MMLENS_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * Room a formatted row may take at most; every row is built in a buffer
 * of this size (a stack one, or the output's, see mmlens_out_room()).
 */
#define MMLENS_ROW_MAX 2048

struct mmlens_out {
	FILE *f;
	size_t len;
	int error;		/* errno of the first failed write, or 0 */
	char buf[256 * 1024];
};

void mmlens_out_init(struct mmlens_out *o, FILE *f);
void mmlens_out_write(struct mmlens_out *o, const char *s, size_t len);
/*
 * Room for len bytes (at most the buffer's size) at the end of the buffer,
 * flushing first if need be: text formatted there directly is kept with
 * mmlens_out_commit(), without going through a copy.
 */
char *mmlens_out_room(struct mmlens_out *o, size_t len);
static inline void mmlens_out_commit(struct mmlens_out *o, size_t len)
{
	o->len += len;
}
/* Writes what is buffered; returns 0 or the first write error (-errno). */
int mmlens_out_flush(struct mmlens_out *o);

/*
 * Formatters write at p and return the end of what they wrote, without a
 * terminating NUL.
 */

/* Lowercase hex without "0x", zero-padded to at least width digits. */
char *mmlens_fmt_hex(char *p, uint64_t v, unsigned int width);
/* "0x" and lowercase hex. */
char *mmlens_fmt_0x(char *p, uint64_t v);
char *mmlens_fmt_u64(char *p, uint64_t v);
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
