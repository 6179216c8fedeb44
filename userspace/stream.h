/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The output of the commands that print a stream of lines (watch, run, stats,
 * ptes): whole lines, gathered in batches, written to a file descriptor.
 *
 * Another process may write to the same pipe or file: mmlens run's command
 * shares its standard output.  A line that reaches the descriptor in two
 * write(2)s can get the other writer's output in its middle, and stdio
 * flushes its buffer in blocks that end anywhere.  Here every write(2) holds
 * whole lines only: to a pipe or a socket at most PIPE_BUF bytes of them
 * (POSIX makes a write of at most PIPE_BUF bytes to a pipe atomic; a longer
 * one may be split, and another writer's data land between the pieces), a
 * line longer than that in one write(2) of its own.  To a file or a device,
 * where Linux lets no other write into the middle of one (a regular file's
 * inode lock and shared offset, a terminal's write lock), batches of
 * MMLENS_STREAM_BATCH_MAX: 4 KiB writes cost ptes a system call per 18 rows.
 */
#ifndef MMLENS_STREAM_H
#define MMLENS_STREAM_H

#include <limits.h>
#include <stddef.h>

#include "fmt.h"

/* Bytes of lines one write(2) to a file or a device takes at most. */
#define MMLENS_STREAM_BATCH_MAX (64 * 1024)

struct mmlens_stream {
	int fd;
	int error;		/* errno of the first failed write, or 0 */
	size_t batch;		/* bytes of lines one write(2) takes at most */
	size_t len;		/* bytes of whole lines waiting, at most a batch */
	/* A batch, and room for a row made after it (mmlens_stream_room()). */
	char buf[MMLENS_STREAM_BATCH_MAX + MMLENS_ROW_MAX];
};

_Static_assert(MMLENS_ROW_MAX <= PIPE_BUF, "a row made in place fits in a batch of its own");

/* A stream to fd, whose batches suit what fd is (see above). */
void mmlens_stream_init(struct mmlens_stream *s, int fd);

/*
 * Appends the lines of text (len bytes), which end at its newlines; the last
 * one gets a newline if it has none.  A line that does not fit in the batch
 * starts the next one.  Returns 0 or -errno of the first failed write: after
 * one, nothing more is written.
 */
int mmlens_stream_lines(struct mmlens_stream *s, const char *text, size_t len);

/* The same for the lines printf would make of fmt. */
int mmlens_stream_printf(struct mmlens_stream *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Writes the batch now (0 or -errno, as above). */
int mmlens_stream_flush(struct mmlens_stream *s);

/*
 * Rows made in place, for tables of hundreds of thousands of them: up to
 * MMLENS_ROW_MAX bytes may be written at mmlens_stream_room(), and the first
 * len of them, whole lines, kept with mmlens_stream_commit().  Inline: they
 * run for every row.
 */
static inline char *mmlens_stream_room(struct mmlens_stream *s)
{
	return s->buf + s->len;
}

/* Writes the batch and moves the len bytes after it to the next one. */
void mmlens_stream_carry(struct mmlens_stream *s, size_t len);

static inline void mmlens_stream_commit(struct mmlens_stream *s, size_t len)
{
	if (s->len + len > s->batch)
		mmlens_stream_carry(s, len);
	else
		s->len += len;
}

#endif /* MMLENS_STREAM_H */
