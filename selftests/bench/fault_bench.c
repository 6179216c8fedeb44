// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: what live events cost the process that faults, all measured
 * in this one run.
 *
 *   fault_bench
 *
 * A child writes one byte to each 4 KiB page of 256 MiB of fresh anonymous
 * memory (65536 faults, each filling a new frame), timed around that loop
 * alone, in six cases:
 *
 *   - nothing is watched anywhere: the probes are disarmed;
 *   - another, idle process is watched: the probes are armed, and each fault
 *     of the unwatched toucher pays the module's lookup;
 *   - the toucher itself is watched, and nobody listens to the events: what
 *     the fault probe costs the faulting process by itself (classing and
 *     counting each fault, no event to send);
 *   - the toucher itself is watched from its first write, and a thread of
 *     this process drains the events as mmlens watch would;
 *   - nothing is watched, and the kernel's own probe event on
 *     handle_mm_fault() (tracefs) is enabled with tracing off, so that its
 *     handler gives up at the ring buffer, in two cases: an entry probe, the
 *     floor of looking at each fault at all, and a return probe, the floor of
 *     seeing its result - what the mechanisms cost before mmlens does anything.
 *
 * The cases take turns, ROUNDS times, so that drift of the host spreads over
 * all of them.  Prints the median ns/page of each, the events delivered and
 * lost, the ratios and the targets.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "live.h"

#define REGION_SIZE (256UL << 20)
#define PAGE 4096UL
#define NPAGES (REGION_SIZE / PAGE)
#define ROUNDS 7
/* Datagrams the reader takes between two looks at the lock, as mmlens watch. */
#define READ_BATCH 256
/* A drain that makes no progress for this long is reported, not waited for. */
#define DRAIN_STALL_NS 10e9

/* WATCHED comes last: its run's events are what main looks at after a round. */
enum bench_case { BASELINE, OTHER, UNHEARD, ENTRY_FLOOR, RETURN_FLOOR, WATCHED, NR_CASES };

#define TRACEFS "/sys/kernel/tracing"
/* The kernel's own probes of the floor cases (tracefs kprobe events). */
#define ENTRY_EVENT "mmlens_bench/fault_entry"
#define RETURN_EVENT "mmlens_bench/fault_return"

static bool is_floor(enum bench_case c)
{
	return c == ENTRY_FLOOR || c == RETURN_FLOOR;
}

/*
 * The reader thread and what it saw of the watched toucher.  The lock is
 * held while the reader takes a batch of datagrams and while main looks.
 */
struct reader {
	struct mmlens_live lv;
	pthread_mutex_t lock;
	uint32_t target;	/* the toucher watched now, 0 for none */
	uint64_t received;	/* its FAULT_NTF events */
	double last_ns;		/* when the last of them came */
	uint64_t overruns;	/* ENOBUFS on the event socket */
	uint64_t datagrams;	/* all it read */
};

/* A child process: commands on its stdin, answers on its stdout. */
struct child {
	pid_t pid;
	int cmd, res;
};

/* The events of one watched run. */
struct events {
	uint64_t delivered, lost;
	double span_ns;		/* from the first write to the last event received */
};

static struct mmlens_nl ctl;	/* owns the watches */
static struct reader rd = { .lock = PTHREAD_MUTEX_INITIALIZER };

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fault_bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void die(const char *what)
{
	fail("%s: %s", what, strerror(errno));
}

static void nl_fail(const char *what, pid_t pid, const struct mmlens_nl_err *err)
{
	fail("%s %d: %s%s%s", what, pid, strerror(-err->error), err->msg[0] ? ": " : "", err->msg);
}

/* Keeps the child, and its watch if it has one, until the parent closes its stdin. */
static void wait_eof(void)
{
	char c;

	while (read(0, &c, 1) > 0)
		;
	_exit(0);
}

/*
 * The toucher: maps the region, says it is ready, and on the word writes a
 * byte to each page, then reports when it started and ended.  The mapping
 * exists before any watch, so the watched run's events are the writes'.
 */
static void toucher(void)
{
	double t[2];
	char *region, go;
	unsigned long off;

	region = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		die("mmap");
	/* 4 KiB pages only: a THP would take 512 pages in one fault. */
	if (madvise(region, REGION_SIZE, MADV_NOHUGEPAGE))
		die("madvise");
	if (write(1, "r", 1) != 1 || read(0, &go, 1) != 1)
		_exit(1);
	t[0] = now_ns();
	for (off = 0; off < REGION_SIZE; off += PAGE)
		region[off] = 1;
	t[1] = now_ns();
	if (write(1, t, sizeof(t)) != sizeof(t))
		_exit(1);
	wait_eof();
}

static void spawn(struct child *c, void (*body)(void))
{
	int in[2], out[2];

	if (pipe(in) || pipe(out))
		die("pipe");
	/* Nothing buffered may be written twice, by the child too. */
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0)
		die("fork");
	if (c->pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			die("dup2");
		/*
		 * No other child's pipe: each sees EOF as soon as the parent
		 * closes its own end (or dies).
		 */
		closefrom(3);
		body();
	}
	close(in[0]);
	close(out[1]);
	c->cmd = in[1];
	c->res = out[0];
}

static void finish(struct child *c)
{
	int status;

	close(c->cmd);
	close(c->res);
	if (waitpid(c->pid, &status, 0) != c->pid)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail("child %d failed (wait status 0x%x)", c->pid, status);
}

static void watch(pid_t pid)
{
	struct mmlens_nl_err err;
	uint64_t seq;

	if (mmlens_watch_add(&ctl, pid, false, &seq, &err))
		nl_fail("WATCH_ADD", pid, &err);
}

static void get_stats(pid_t pid, struct mmlens_stats *st)
{
	struct mmlens_nl_err err;

	if (mmlens_stats_get(&ctl, pid, st, &err))
		nl_fail("GET_STATS", pid, &err);
}

/*
 * The probes stay armed until a worker sees that the last watch ended.
 * Then the global watched time, how long they have been armed, stands still
 * (and GET_STATS, which reads it under the arming lock, waits for a disarm
 * under way).
 */
static void wait_disarmed(void)
{
	struct mmlens_stats st;
	uint64_t before;
	int i;

	get_stats(0, &st);
	for (i = 0; i < 500; i++) {
		before = st.watched_ns;
		usleep(10000);
		get_stats(0, &st);
		if (st.watched_ns == before)
			return;
	}
	fail("probes still armed 5 s after the last watch ended");
}

static int take_event(const struct nlmsghdr *nlh, void *arg)
{
	struct reader *r = arg;
	struct mmlens_event ev;
	int ret;

	ret = mmlens_event_parse(nlh, &ev);
	if (ret)
		return ret;
	if (ev.cmd == MMLENS_CMD_FAULT_NTF && ev.pid == r->target) {
		r->received++;
		r->last_ns = now_ns();
	}
	return 0;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct pollfd pfd = { .fd = r->lv.fd, .events = POLLIN };
	int n;

	for (;;) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			die("poll");
		pthread_mutex_lock(&r->lock);
		n = mmlens_live_read(&r->lv, READ_BATCH, take_event, r, &r->overruns);
		if (n > 0)
			r->datagrams += n;
		pthread_mutex_unlock(&r->lock);
		if (n < 0)
			fail("reading events: %s", strerror(-n));
	}
	return NULL;
}

static void reader_follow(pid_t pid)
{
	pthread_mutex_lock(&rd.lock);
	rd.target = pid;
	rd.received = 0;
	rd.last_ns = 0;
	pthread_mutex_unlock(&rd.lock);
}

static uint64_t sum(const uint64_t *v, int n)
{
	uint64_t s = 0;

	while (n--)
		s += v[n];
	return s;
}

/*
 * Waits until the module has sent or counted as lost an event for every
 * fault of pid it saw, and the reader has taken every event sent; pid must
 * still be watched (alive).  A stalled drain is noted, and what came counts.
 */
static void drain(pid_t pid, double start_ns, struct events *e)
{
	double stalled_since = now_ns();
	uint64_t progress = 0, p;
	struct mmlens_stats st;

	for (;;) {
		get_stats(pid, &st);
		pthread_mutex_lock(&rd.lock);
		e->delivered = rd.received;
		e->span_ns = rd.received ? rd.last_ns - start_ns : 0;
		pthread_mutex_unlock(&rd.lock);
		e->lost = st.lost;
		if (st.events + st.lost >= sum(st.faults, MMLENS_NR_CLASSES) &&
		    e->delivered >= st.events)
			return;
		p = st.events + st.lost + e->delivered;
		if (p != progress) {
			progress = p;
			stalled_since = now_ns();
		} else if (now_ns() - stalled_since > DRAIN_STALL_NS) {
			printf("  note: events of %d stalled: %llu faults, %llu sent, %llu lost, %llu received\n",
			       pid, (unsigned long long)sum(st.faults, MMLENS_NR_CLASSES),
			       (unsigned long long)st.events, (unsigned long long)st.lost,
			       (unsigned long long)e->delivered);
			return;
		}
		usleep(10000);
	}
}

/* The reader's socket joins or leaves the events group (the module sends nothing without listeners). */
static void listen_events(bool on)
{
	int opt = on ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP;

	if (setsockopt(rd.lv.fd, SOL_NETLINK, opt, &rd.lv.group, sizeof(rd.lv.group)))
		die("setsockopt on the event socket");
}

/* Writes text to a tracefs file; returns 0 or -errno. */
static int tracefs_write(const char *file, const char *text, int flags)
{
	char path[256];
	ssize_t len = strlen(text);
	int fd, ret = 0;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	fd = open(path, O_WRONLY | flags);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Sets up the kernel's own entry and return probes on handle_mm_fault(),
 * disabled, and stops tracing so that their handlers find the ring buffer
 * off.  Returns false (saying why) where tracefs or kprobe events are missing.
 */
static bool floor_probe_add(void)
{
	struct stat st;
	int ret;

	if (stat(TRACEFS "/kprobe_events", &st) &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		printf("  note: no tracefs (%s): the probe floors are not measured\n", strerror(errno));
		return false;
	}
	ret = tracefs_write("tracing_on", "0", O_TRUNC);
	if (!ret)
		ret = tracefs_write("kprobe_events", "p:" ENTRY_EVENT " handle_mm_fault\n", O_APPEND);
	if (!ret) {
		ret = tracefs_write("kprobe_events", "r:" RETURN_EVENT " handle_mm_fault\n", O_APPEND);
		/* Leave nothing behind: one floor without the other is not measured. */
		if (ret)
			tracefs_write("kprobe_events", "-:" ENTRY_EVENT "\n", O_APPEND);
	}
	if (ret) {
		tracefs_write("tracing_on", "1", O_TRUNC);
		printf("  note: no kprobe events (%s): the probe floors are not measured\n",
		       strerror(-ret));
		return false;
	}
	return true;
}

static void floor_probe_enable(enum bench_case which, bool on)
{
	const char *event = which == ENTRY_FLOOR ? ENTRY_EVENT : RETURN_EVENT;
	char file[128];
	int ret;

	snprintf(file, sizeof(file), "events/%s/enable", event);
	ret = tracefs_write(file, on ? "1" : "0", O_TRUNC);
	if (ret)
		fail("%s %s: %s", on ? "enabling" : "disabling", event, strerror(-ret));
}

static void floor_probe_remove(void)
{
	if (tracefs_write("kprobe_events", "-:" ENTRY_EVENT "\n", O_APPEND) ||
	    tracefs_write("kprobe_events", "-:" RETURN_EVENT "\n", O_APPEND) ||
	    tracefs_write("tracing_on", "1", O_TRUNC))
		die("removing the probe events");
}

/* One run of the toucher in case which; returns its ns per page. */
static double run(enum bench_case which, struct events *e)
{
	struct child t, idle;
	double times[2];
	char ready;

	if (which == BASELINE || is_floor(which))
		wait_disarmed();
	if (which == OTHER) {
		spawn(&idle, wait_eof);
		watch(idle.pid);
	}
	spawn(&t, toucher);
	if (read(t.res, &ready, 1) != 1)
		fail("toucher %d did not start", t.pid);
	if (which == UNHEARD) {
		listen_events(false);
		watch(t.pid);
	}
	if (which == WATCHED) {
		reader_follow(t.pid);
		watch(t.pid);
	}
	if (is_floor(which))
		floor_probe_enable(which, true);
	if (write(t.cmd, "g", 1) != 1 || read(t.res, times, sizeof(times)) != sizeof(times))
		fail("toucher %d did not finish", t.pid);
	if (is_floor(which))
		floor_probe_enable(which, false);
	if (which == WATCHED)
		drain(t.pid, times[0], e);
	/* Its exit ends its watch, or the sleeper's ends the other one. */
	finish(&t);
	if (which == OTHER)
		finish(&idle);
	if (which == UNHEARD)
		listen_events(true);
	return (times[1] - times[0]) / NPAGES;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts v and returns its median. */
static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Prints the median of the runs and their spread; returns the median. */
static double row(const char *name, double *ns)
{
	double m = median(ns, ROUNDS);

	printf("  %-42s %10.1f ns/page  (runs %.1f to %.1f)\n", name, m, ns[0], ns[ROUNDS - 1]);
	return m;
}

static void verdict(const char *what, double ratio, const char *target, int ok)
{
	printf("  %-50s %7.2fx  target %-8s %s\n", what, ratio, target, ok ? "met" : "MISSED");
}

int main(void)
{
	static const char *const names[NR_CASES] = {
		[BASELINE] = "unwatched, nothing watched",
		[OTHER] = "unwatched, another process watched",
		[UNHEARD] = "watched, nobody listening",
		[ENTRY_FLOOR] = "kernel's own entry kprobe, tracing off",
		[RETURN_FLOOR] = "kernel's own return kprobe, tracing off",
		[WATCHED] = "watched, a thread draining the events",
	};
	bool floor;
	uint64_t delivered = 0, lost = 0, overruns, datagrams;
	double ns[NR_CASES][ROUNDS], med[NR_CASES], span = 0;
	struct events e;
	pthread_t thread;
	int i, c, ret;

	ret = mmlens_nl_open(&ctl);
	if (ret)
		fail("cannot talk to mmlens.ko: %s", strerror(-ret));
	/* The CLI's buffer: what mmlens watch would lose, this loses. */
	ret = mmlens_live_open(&rd.lv, MMLENS_GENL_NAME, MMLENS_MCGRP_EVENTS, MMLENS_LIVE_RCVBUF);
	if (ret)
		fail("cannot join the events group: %s", strerror(-ret));
	ret = pthread_create(&thread, NULL, reader_main, &rd);
	if (ret)
		fail("pthread_create: %s", strerror(ret));

	floor = floor_probe_add();
	printf("\nmmlens fault bench: %lu fresh 4 KiB anonymous pages (256 MiB) written per run, median of %d\n",
	       NPAGES, ROUNDS);
	for (i = 0; i < ROUNDS; i++) {
		for (c = 0; c < NR_CASES; c++)
			if (!is_floor(c) || floor)
				ns[c][i] = run(c, &e);
		if (e.delivered + e.lost < NPAGES)
			printf("  note: run %d: %llu events delivered + %llu lost < %lu pages written\n",
			       i + 1, (unsigned long long)e.delivered, (unsigned long long)e.lost, NPAGES);
		delivered += e.delivered;
		lost += e.lost;
		span += e.span_ns;
	}
	for (c = 0; c < NR_CASES; c++)
		if (!is_floor(c) || floor)
			med[c] = row(names[c], ns[c]);
	if (floor)
		floor_probe_remove();
	pthread_mutex_lock(&rd.lock);
	overruns = rd.overruns;
	datagrams = rd.datagrams;
	pthread_mutex_unlock(&rd.lock);
	printf("  %-42s %10.0f events/s delivered (%llu delivered, %llu lost, %llu receive buffer overruns)\n",
	       "events of the watched runs", span ? delivered / (span / 1e9) : 0,
	       (unsigned long long)delivered, (unsigned long long)lost, (unsigned long long)overruns);
	/* Fork and exit events of the other cases come in datagrams of their own: a few. */
	printf("  %-42s %10.1f events per datagram read\n", "", datagrams ? (double)delivered / datagrams : 0);

	printf("\nratios (measured above):\n");
	verdict("another process watched / nothing watched", med[OTHER] / med[BASELINE], "<= 1.05",
		med[OTHER] <= 1.05 * med[BASELINE]);
	verdict("watched and drained / nothing watched", med[WATCHED] / med[BASELINE], "<= 1.3",
		med[WATCHED] <= 1.3 * med[BASELINE]);
	printf("  %-50s %7.2fx  (the fault probe alone)\n", "watched, nobody listening / nothing watched",
	       med[UNHEARD] / med[BASELINE]);
	if (floor) {
		printf("  %-50s %7.2fx  (the floor of looking at each fault)\n",
		       "kernel's own entry kprobe / nothing watched", med[ENTRY_FLOOR] / med[BASELINE]);
		printf("  %-50s %7.2fx  (the floor of seeing each fault's result)\n",
		       "kernel's own return kprobe / nothing watched",
		       med[RETURN_FLOOR] / med[BASELINE]);
	}
	/* The reader thread still polls the event socket: exit closes both. */
	return 0;
}
