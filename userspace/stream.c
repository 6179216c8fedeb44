// SPDX-License-Identifier: GPL-2.0
/*
 * Whole lines to a file descriptor, in batches of at most PIPE_BUF bytes to
 * a pipe or a socket.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "stream.h"

void mmlens_stream_init(struct mmlens_stream *s, int fd)
{
	struct stat st;

	/* What cannot be told is taken for a pipe. */
	s->batch = fstat(fd, &st) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ?
		   PIPE_BUF : MMLENS_STREAM_BATCH_MAX;
	s->fd = fd;
	s->error = 0;
	s->len = 0;
}

/*
 * Writes all of iov.  A write to a pipe or a file that ends early (a signal,
 * a full disk) leaves the rest for the next write; a descriptor another
 * process made non-blocking is waited for.
 */
static void write_all(struct mmlens_stream *s, struct iovec *iov, int n)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
	ssize_t done;

	while (n && !s->error) {
		done = writev(s->fd, iov, n);
		if (done < 0) {
			if (errno == EAGAIN)
				poll(&pfd, 1, -1);
			else if (errno != EINTR)
				s->error = errno;
			continue;
		}
		for (; n && (size_t)done >= iov->iov_len; iov++, n--)
			done -= iov->iov_len;
		if (n) {
			iov->iov_base = (char *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
}

int mmlens_stream_flush(struct mmlens_stream *s)
{
	struct iovec iov = { .iov_base = s->buf, .iov_len = s->len };

	if (s->len)
		write_all(s, &iov, 1);
	s->len = 0;
	return -s->error;
}

void mmlens_stream_carry(struct mmlens_stream *s, size_t len)
{
	char *made = s->buf + s->len;

	mmlens_stream_flush(s);
	memmove(s->buf, made, len);
	s->len = len;
}

/* One line of len bytes, and its newline. */
static void put_line(struct mmlens_stream *s, const char *line, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = (char *)line, .iov_len = len },
		{ .iov_base = "\n", .iov_len = 1 },
	};

	if (len + 1 > s->batch) {
		/* What comes before it first: lines go out in order. */
		mmlens_stream_flush(s);
		write_all(s, iov, 2);
		return;
	}
	if (s->len + len + 1 > s->batch)
		mmlens_stream_flush(s);
	memcpy(s->buf + s->len, line, len);
	s->buf[s->len + len] = '\n';
	s->len += len + 1;
}

int mmlens_stream_lines(struct mmlens_stream *s, const char *text, size_t len)
{
	const char *nl;
	size_t n;

	while (len && !s->error) {
		nl = memchr(text, '\n', len);
		n = nl ? (size_t)(nl - text) : len;
		put_line(s, text, n);
		n += nl != NULL;
		text += n;
		len -= n;
	}
	return -s->error;
}

int mmlens_stream_printf(struct mmlens_stream *s, const char *fmt, ...)
{
	char small[512], *text = small;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(small)) {
		text = malloc(n + 1);
		if (!text)
			return -ENOMEM;
		va_start(ap, fmt);
		vsnprintf(text, n + 1, fmt, ap);
		va_end(ap);
	}
	mmlens_stream_lines(s, text, n);
	if (text != small)
		free(text);
	return -s->error;
}
