// SPDX-License-Identifier: GPL-2.0
/*
 * Everything at once, for MMLENS_STRESS_SECONDS (default 10):
 *
 *  - targets: processes whose threads map, unmap, remap, protect and advise
 *    memory (DONTNEED, PAGEOUT, HUGEPAGE/NOHUGEPAGE, COLLAPSE), fault THPs
 *    in and split them, while their main thread forks children that write
 *    and exit; a recycler starts short-lived processes and hands the PIDs of
 *    dead ones to new ones (ns_last_pid);
 *  - dumpers: threads asking GET_PTE (whole space and ranges, with and
 *    without runs), TRANSLATE, GET_VMA, GET_FRAME and GET_MM about the
 *    targets, their threads, and PIDs that are gone or reused;
 *  - watchers: threads watching the targets (one following their children),
 *    reading the events group and asking GET_STATS, closing and reopening
 *    their sockets now and then;
 *  - a reloader unloading and loading mmlens.ko under all of them.
 *
 * Pass: every request ends with data that parses and holds together, or
 * with an errno the module documents for what was happening (outcome()
 * lists them); dumps flagged NLM_F_DUMP_INTR are retried until they come
 * back whole or the target is gone; and every target's stable region --
 * written once, mlocked, never touched again -- translates throughout to the
 * frames pagemap shows at the same moment.  Kernel reports in the log are
 * for the VM runner to count.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>

#include "kselftest_harness.h"
#include "mmtest.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define NTARGETS 3
#define NCHURN 2		/* churn threads per target */
#define NSLOTS 6		/* regions each churn thread keeps */
#define STABLE_PAGES 32
#define COW_PAGES 16
#define RING 64			/* PIDs of short-lived processes, alive or not */
#define NDUMPERS 3
#define NWATCHERS 2
#define DUMP_TRIES 200		/* attempts of one dump before it counts as never whole */
#define STABLE_TRIES 8		/* attempts to see pagemap hold still around a request */
#define MAX_REPORTS 30		/* failures printed; all are counted */
#define RW (PROT_READ | PROT_WRITE)

enum op {
	OP_MMAP, OP_MUNMAP, OP_MREMAP, OP_MPROTECT, OP_DONTNEED, OP_PAGEOUT, OP_HUGEPAGE,
	OP_NOHUGEPAGE, OP_COLLAPSE, OP_THP_FAULT, OP_SPLIT, OP_FORK, OP_SPAWN, OP_RECYCLE,
	NR_OPS
};

static const char *const op_names[NR_OPS] = {
	"mmap", "munmap", "mremap", "mprotect", "dontneed", "pageout", "hugepage",
	"nohugepage", "collapse", "thp-fault", "split", "fork", "spawn", "pid-reuse",
};

enum req_kind {
	REQ_PTE, REQ_TRANSLATE, REQ_VMA, REQ_FRAME, REQ_MM, REQ_WATCH_ADD, REQ_WATCH_DEL,
	REQ_STATS, NR_REQS
};

static const char *const req_names[NR_REQS] = {
	"GET_PTE", "TRANSLATE", "GET_VMA", "GET_FRAME", "GET_MM", "WATCH_ADD", "WATCH_DEL",
	"GET_STATS",
};

struct target {
	pid_t pid;
	_Atomic pid_t tid[NCHURN];
	uint64_t stable;			/* the stable region */
	uint64_t ref[STABLE_PAGES];		/* its frames after setup (pagemap) */
	_Atomic uint64_t slot[NCHURN][NSLOTS];	/* churn regions as last mapped: hints */
	_Atomic int ready;
	_Atomic int quiet;			/* churn paused: dumps can complete */
};

/* Shared by the test and its target processes (MAP_SHARED). */
struct shared {
	_Atomic int stop;
	/* Odd while the reloader has the module out (or is taking it out). */
	_Atomic unsigned int reload_seq;
	/* Set while an unload has waited UNLOAD_PATIENCE_NS: new dumps wait. */
	_Atomic int hold_dumps;
	struct target t[NTARGETS];
	_Atomic uint64_t ring[RING];		/* pid << 1 | exited */
	_Atomic unsigned int ring_next;
	_Atomic uint64_t ops[NR_OPS];
	_Atomic uint64_t reqs[NR_REQS];
	_Atomic uint64_t slowest_ms[NR_REQS];
	_Atomic uint64_t errs[256];		/* clean errors by errno */
	_Atomic uint64_t retried, absent, unwatched, dead_ok, reused, kthread;
	_Atomic uint64_t stable_checks, stable_moved, pmd_leaves, frames;
	_Atomic uint64_t events, lost, overruns, reloads, unload_busy, dumps_held;
	_Atomic uint64_t fails;
};

static struct shared *sh;
static int levels;

static void cnt(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static bool stopping(void)
{
	return atomic_load_explicit(&sh->stop, memory_order_relaxed);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Worker threads cannot use the harness's ASSERTs: they count and print. */
static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	char buf[768];
	va_list ap;

	if (atomic_fetch_add(&sh->fails, 1) >= MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# stress: FAIL: %s\n", buf);
}

static unsigned int rnd(unsigned int *seed, unsigned int n)
{
	return rand_r(seed) % n;
}

static unsigned int stress_seconds(void)
{
	const char *s = getenv("MMLENS_STRESS_SECONDS");
	int n = s ? atoi(s) : 0;

	return n > 0 ? n : 10;
}

/* ---- targets ------------------------------------------------------------ */

static unsigned int ring_add(pid_t pid)
{
	unsigned int i = atomic_fetch_add(&sh->ring_next, 1) % RING;

	atomic_store(&sh->ring[i], (uint64_t)pid << 1);
	return i;
}

static void ring_exited(unsigned int i, pid_t pid)
{
	uint64_t alive = (uint64_t)pid << 1;

	/* Unless a newer PID took the place meanwhile. */
	atomic_compare_exchange_strong(&sh->ring[i], &alive, alive | 1);
}

struct slot {
	char *addr;
	size_t len;
	bool thp;	/* PMD-aligned and advised MADV_HUGEPAGE */
};

struct churner {
	struct target *t;
	int idx;
	unsigned int seed;
	bool collapse;	/* this kernel has MADV_COLLAPSE */
	struct slot s[NSLOTS];
};

static void slot_touch(struct slot *s)
{
	size_t off;

	for (off = 0; off < s->len; off += MMT_PAGE_SIZE)
		s->addr[off] = (char)(off >> 12);
}

static void slot_map(struct churner *ch, struct slot *s)
{
	s->thp = !rnd(&ch->seed, 3);
	if (s->thp) {
		s->len = 2 * MMT_PMD_SIZE;
		s->addr = mmt_map_aligned(s->len, MMT_PMD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS,
					  -1, 0);
	} else {
		s->len = (1 + rnd(&ch->seed, 64)) * MMT_PAGE_SIZE;
		s->addr = mmap(NULL, s->len, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	cnt(&sh->ops[OP_MMAP]);
	if (s->addr == MAP_FAILED) {
		s->addr = NULL;
		return;
	}
	if (s->thp) {
		madvise(s->addr, s->len, MADV_HUGEPAGE);
		cnt(&sh->ops[OP_HUGEPAGE]);
		cnt(&sh->ops[OP_THP_FAULT]);
	}
	slot_touch(s);
}

/* A random page-aligned part of s. */
static void slot_part(struct churner *ch, const struct slot *s, char **p, size_t *len)
{
	size_t pages = s->len / MMT_PAGE_SIZE, first = rnd(&ch->seed, pages);

	*p = s->addr + first * MMT_PAGE_SIZE;
	*len = (1 + rnd(&ch->seed, pages - first)) * MMT_PAGE_SIZE;
}

/* Split the first PMD of a THP slot: by a VMA split, or by zapping part of it. */
static void slot_split(struct churner *ch, struct slot *s)
{
	char *mid = s->addr + MMT_PMD_SIZE / 2;

	if (rnd(&ch->seed, 2)) {
		mprotect(mid, MMT_PAGE_SIZE, PROT_READ);
		usleep(rnd(&ch->seed, 500));
		mprotect(mid, MMT_PAGE_SIZE, RW);
	} else {
		madvise(mid, 16 * MMT_PAGE_SIZE, MADV_DONTNEED);
		slot_touch(s);
	}
	cnt(&sh->ops[OP_SPLIT]);
}

static void churn_once(struct churner *ch, struct slot *s)
{
	size_t len;
	char *p;

	if (!s->addr) {
		slot_map(ch, s);
		return;
	}
	switch (rnd(&ch->seed, 9)) {
	case 0:
		munmap(s->addr, s->len);
		s->addr = NULL;
		cnt(&sh->ops[OP_MUNMAP]);
		return;
	case 1:
		len = s->thp ? (1 + 2 * rnd(&ch->seed, 2)) * MMT_PMD_SIZE :
			       (1 + rnd(&ch->seed, 64)) * MMT_PAGE_SIZE;
		p = mremap(s->addr, s->len, len, MREMAP_MAYMOVE);
		cnt(&sh->ops[OP_MREMAP]);
		if (p == MAP_FAILED)
			return;
		s->addr = p;
		s->len = len;
		s->thp = s->thp && !((uintptr_t)p & (MMT_PMD_SIZE - 1));
		slot_touch(s);
		return;
	case 2:
		slot_part(ch, s, &p, &len);
		mprotect(p, len, rnd(&ch->seed, 2) ? PROT_NONE : PROT_READ);
		usleep(rnd(&ch->seed, 500));
		mprotect(p, len, RW);
		cnt(&sh->ops[OP_MPROTECT]);
		return;
	case 3:
		slot_part(ch, s, &p, &len);
		madvise(p, len, MADV_DONTNEED);
		cnt(&sh->ops[OP_DONTNEED]);
		slot_touch(s);
		return;
	case 4:
		madvise(s->addr, s->len, MADV_PAGEOUT);
		cnt(&sh->ops[OP_PAGEOUT]);
		return;
	case 5:
		madvise(s->addr, s->len, MADV_HUGEPAGE);
		cnt(&sh->ops[OP_HUGEPAGE]);
		if (!((uintptr_t)s->addr & (MMT_PMD_SIZE - 1)) && s->len >= MMT_PMD_SIZE) {
			s->thp = true;
			cnt(&sh->ops[OP_THP_FAULT]);
		}
		slot_touch(s);
		return;
	case 6:
		madvise(s->addr, s->len, MADV_NOHUGEPAGE);
		s->thp = false;
		cnt(&sh->ops[OP_NOHUGEPAGE]);
		return;
	case 7:
		/* Only where MADV_HUGEPAGE allows it: elsewhere it fails EINVAL by design. */
		if (ch->collapse && s->thp) {
			madvise(s->addr, s->len, MADV_COLLAPSE);
			cnt(&sh->ops[OP_COLLAPSE]);
			return;
		}
		/* fall through */
	default:
		if (s->thp)
			slot_split(ch, s);
		else
			slot_touch(s);
		return;
	}
}

static void * __attribute__((noreturn)) churn_thread(void *arg)
{
	struct churner *ch = arg;
	int i;

	atomic_store(&ch->t->tid[ch->idx], gettid());
	/* Never ends: the TID stays a target until the test kills the process. */
	for (;;) {
		if (atomic_load(&ch->t->quiet) || stopping()) {
			usleep(1000);
			continue;
		}
		i = rnd(&ch->seed, NSLOTS);
		churn_once(ch, &ch->s[i]);
		atomic_store(&ch->t->slot[ch->idx][i], (uint64_t)ch->s[i].addr);
		usleep(rnd(&ch->seed, 300));
	}
}

/*
 * Does this kernel know MADV_COLLAPSE?  Asked of a PMD of touched 4 KiB
 * pages that MADV_HUGEPAGE allows: EINVAL then means unknown advice.
 */
static bool collapse_supported(void)
{
	struct slot s = { .len = MMT_PMD_SIZE, .thp = true };
	bool ok;

	s.addr = mmt_map_aligned(s.len, MMT_PMD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s.addr == MAP_FAILED)
		return false;
	madvise(s.addr, s.len, MADV_NOHUGEPAGE);
	slot_touch(&s);
	madvise(s.addr, s.len, MADV_HUGEPAGE);
	ok = !madvise(s.addr, s.len, MADV_COLLAPSE) || errno != EINVAL;
	munmap(s.addr, s.len);
	return ok;
}

/* A child of a target: copies some pages on write, then exits. */
static void target_fork(struct target *t, char *cow, unsigned int *seed)
{
	unsigned int slot;
	pid_t pid = fork();
	int i;

	if (pid == 0) {
		for (i = 0; i < COW_PAGES; i++)
			cow[i * MMT_PAGE_SIZE] = (char)i;
		_exit(rnd(seed, 3));
	}
	cnt(&sh->ops[OP_FORK]);
	if (pid < 0)
		return;
	slot = ring_add(pid);
	waitpid(pid, NULL, 0);
	ring_exited(slot, pid);
}

static void __attribute__((noreturn)) target_run(int n)
{
	static struct churner ch[NCHURN];
	struct target *t = &sh->t[n];
	unsigned int seed = getpid();
	pthread_t th[NCHURN];
	char *stable, *cow;
	bool collapse;
	uint64_t end;
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/*
	 * The stable region: 4 KiB pages (no THP to collapse or split), not
	 * inherited by children (no COW), mlocked (no reclaim; the test keeps
	 * compaction off unevictable pages), distinct contents (no KSM).
	 */
	stable = mmap(NULL, STABLE_PAGES * MMT_PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cow = mmap(NULL, COW_PAGES * MMT_PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stable == MAP_FAILED || cow == MAP_FAILED ||
	    madvise(stable, STABLE_PAGES * MMT_PAGE_SIZE, MADV_NOHUGEPAGE) ||
	    madvise(stable, STABLE_PAGES * MMT_PAGE_SIZE, MADV_DONTFORK))
		_exit(1);
	for (i = 0; i < STABLE_PAGES; i++)
		memset(stable + i * MMT_PAGE_SIZE, n * STABLE_PAGES + i + 1, MMT_PAGE_SIZE);
	memset(cow, 1, COW_PAGES * MMT_PAGE_SIZE);
	if (mlock(stable, STABLE_PAGES * MMT_PAGE_SIZE))
		_exit(1);
	t->stable = (uint64_t)stable;
	t->pid = getpid();

	collapse = collapse_supported();
	for (i = 0; i < NCHURN; i++) {
		ch[i] = (struct churner){ .t = t, .idx = i, .seed = seed + i, .collapse = collapse };
		if (pthread_create(&th[i], NULL, churn_thread, &ch[i]))
			_exit(1);
	}
	for (i = 0; i < NCHURN; i++)
		while (!atomic_load(&t->tid[i]))
			usleep(1000);
	atomic_store(&t->ready, 1);

	/*
	 * Busy spells of churn and forks, then quiet ones: an address space
	 * that never holds still would interrupt every dump of more than one
	 * message, and "retried until whole" could not be checked.
	 */
	while (!stopping()) {
		end = now_ns() + (50 + rnd(&seed, 250)) * 1000000ULL;
		while (!stopping() && now_ns() < end) {
			target_fork(t, cow, &seed);
			usleep(rnd(&seed, 30000));
		}
		atomic_store(&t->quiet, 1);
		usleep((20 + rnd(&seed, 180)) * 1000);
		atomic_store(&t->quiet, 0);
	}
	/* Alive until the test has ended its requests: it kills us then. */
	for (;;)
		pause();
}

/*
 * Short-lived processes, half of them started with the PID of one that
 * already exited (ns_last_pid: the next PID is that plus one, if free).
 */
static void __attribute__((noreturn)) recycler_run(void)
{
	unsigned int seed = getpid(), slot, ndead = 0;
	pid_t dead[16], want, pid;
	char last[16];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (!stopping()) {
		want = 0;
		if (ndead && rnd(&seed, 2)) {
			want = dead[rnd(&seed, ndead < 16 ? ndead : 16)];
			snprintf(last, sizeof(last), "%d", want - 1);
			if (mmt_write_file("/proc/sys/kernel/ns_last_pid", last))
				want = 0;
		}
		pid = fork();
		if (pid == 0) {
			char *p = mmap(NULL, 16 * MMT_PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p != MAP_FAILED)
				memset(p, 1, 16 * MMT_PAGE_SIZE);
			usleep(rnd(&seed, 20000));
			_exit(0);
		}
		if (pid < 0) {
			usleep(10000);
			continue;
		}
		cnt(&sh->ops[OP_SPAWN]);
		if (want && pid == want)
			cnt(&sh->ops[OP_RECYCLE]);
		slot = ring_add(pid);
		waitpid(pid, NULL, 0);
		ring_exited(slot, pid);
		dead[ndead++ % 16] = pid;
		usleep(rnd(&seed, 20000));
	}
	_exit(0);
}

/* ---- clients -------------------------------------------------------------- */

struct client {
	struct mmlens_nl nl;
	bool open;
	unsigned int seq;	/* reload_seq when nl resolved the family */
	unsigned int seed;
	const char *name;
	/* The request under way, for the report of one that never ends. */
	_Atomic(const char *) doing;
	_Atomic pid_t doing_pid;
	_Atomic uint64_t since_ns;
	pthread_t thread;
	_Atomic bool done;
};

/* Who a request is about. */
struct req {
	int kind;		/* enum req_kind */
	pid_t pid;
	struct target *t;	/* a long-lived target (or one of its threads), or NULL */
	bool watch_may_end;	/* short-lived: not watched any more is a clean ENOENT */
	bool watched;		/* long-lived, watched by this socket since watch_seq */
	unsigned int watch_seq;	/* (its watch ends only with the module) */
	uint64_t a, b;		/* address or range, for reports */
};

/* Was the module out, or reloaded, since reload_seq was seq0? */
static bool reload_since(unsigned int seq0)
{
	unsigned int seq1 = atomic_load(&sh->reload_seq);

	return (seq0 & 1) || (seq1 & 1) || seq1 != seq0;
}

/* ... or since c resolved the family? */
static bool reloaded(const struct client *c, unsigned int seq0)
{
	return reload_since(seq0) || reload_since(c->seq);
}

static void client_close(struct client *c)
{
	if (c->open)
		mmlens_nl_close(&c->nl);
	c->open = false;
}

/*
 * An open socket with the family resolved.  While the module is out, the
 * family is missing (-ENOENT): clean if a reload is under way or happened.
 */
static bool client_ready(struct client *c)
{
	unsigned int seq0 = atomic_load(&sh->reload_seq);
	int ret;

	if (c->open)
		return true;
	ret = mmlens_nl_open(&c->nl);
	if (!ret) {
		c->open = true;
		c->seq = seq0;
		return true;
	}
	if (ret == -ENOENT && reload_since(seq0)) {
		cnt(&sh->errs[ENOENT]);
		cnt(&sh->absent);
	} else {
		fail("%s: resolving the family: %d (%s)", c->name, ret, strerror(-ret));
	}
	usleep(20000);
	return false;
}

static unsigned int begin(struct client *c, const struct req *q)
{
	/* The reloader's turn (bounded: it gives up after UNLOAD_GIVE_UP_NS). */
	while ((q->kind == REQ_PTE || q->kind == REQ_VMA) && atomic_load(&sh->hold_dumps) &&
	       !stopping())
		usleep(1000);
	cnt(&sh->reqs[q->kind]);
	atomic_store(&c->doing_pid, q->pid);
	atomic_store(&c->since_ns, now_ns());
	atomic_store(&c->doing, req_names[q->kind]);
	return atomic_load(&sh->reload_seq);
}

enum { DONE_OK, DONE_RETRY, DONE_ERROR };

/*
 * What a request ended with.  Clean errors, from the UAPI header and the
 * module's code, for what the test does:
 *
 *  - -ESRCH: the target exited and its PID is free or taken by a process
 *    that is exiting; only short-lived processes exit, the long-lived
 *    targets and their threads never do before the clients stop;
 *  - -EINVAL "process is a kernel thread": a dead PID reused by a kthread;
 *  - -ENOENT with a message: GET_STATS and WATCH_DEL of a process no longer
 *    watched (it exited, or the module reloaded since WATCH_ADD);
 *  - the family gone with the module: -ENOENT without a message (genetlink
 *    itself answers for an unknown family), and -EPROTONOSUPPORT for a dump
 *    that started while the module was on its way out (netlink cannot take a
 *    reference on a module going away) -- only around a reload;
 *  - -ESHUTDOWN for a WATCH_ADD while the module unloads, around a reload;
 *  - -EAGAIN for a dump the kernel flagged NLM_F_DUMP_INTR: retried.
 *
 * No -EINTR (nothing sends fatal signals to the clients) nor -ENOMEM: the VM
 * has memory to spare, and either would deserve a look.
 */
static int outcome(struct client *c, const struct req *q, int ret,
		   const struct mmlens_nl_err *err, unsigned int seq0)
{
	bool dump = q->kind == REQ_PTE || q->kind == REQ_VMA;
	uint64_t ms = (now_ns() - atomic_load(&c->since_ns)) / 1000000;
	uint64_t max = atomic_load(&sh->slowest_ms[q->kind]);

	atomic_store(&c->doing, NULL);
	while (ms > max && !atomic_compare_exchange_weak(&sh->slowest_ms[q->kind], &max, ms))
		;
	if (!ret)
		return DONE_OK;
	if (ret == -EAGAIN && dump) {
		cnt(&sh->retried);
		return DONE_RETRY;
	}
	if (((ret == -ENOENT && !err->msg[0]) || (ret == -EPROTONOSUPPORT && dump) ||
	     (ret == -ESHUTDOWN && q->kind == REQ_WATCH_ADD)) &&
	    reloaded(c, seq0)) {
		cnt(&sh->errs[-ret]);
		cnt(&sh->absent);
		client_close(c);
		return DONE_ERROR;
	}
	if (ret == -ESRCH && q->pid && !q->t) {
		cnt(&sh->errs[ESRCH]);
		cnt(&sh->dead_ok);
		return DONE_ERROR;
	}
	if (ret == -EINVAL && q->pid && !q->t && !strcmp(err->msg, "process is a kernel thread")) {
		cnt(&sh->errs[EINVAL]);
		cnt(&sh->kthread);
		return DONE_ERROR;
	}
	if (ret == -ENOENT && err->msg[0] &&
	    (q->watch_may_end || (q->watched && reload_since(q->watch_seq)))) {
		cnt(&sh->errs[ENOENT]);
		cnt(&sh->unwatched);
		return DONE_ERROR;
	}
	fail("%s: %s of pid %d (%s) [%#llx, %#llx): %d (%s), extack \"%s\"%s%s", c->name,
	     req_names[q->kind], q->pid, q->t ? "long-lived" : "short-lived",
	     (unsigned long long)q->a, (unsigned long long)q->b, ret, strerror(-ret), err->msg,
	     ret == -EBADMSG ? ", reply: " : "", ret == -EBADMSG ? mmt_parse_error : "");
	return DONE_ERROR;
}

/* A long-lived target, one of its threads, or a PID from the ring. */
static void pick(struct client *c, struct req *q, int kind)
{
	uint64_t e = atomic_load(&sh->ring[rnd(&c->seed, RING)]);

	memset(q, 0, sizeof(*q));
	q->kind = kind;
	if (!rnd(&c->seed, 4) && e) {
		q->pid = e >> 1;
		return;
	}
	q->t = &sh->t[rnd(&c->seed, NTARGETS)];
	q->pid = rnd(&c->seed, 3) ? q->t->pid : atomic_load(&q->t->tid[rnd(&c->seed, NCHURN)]);
}

/* ---- dumpers ---------------------------------------------------------------- */

struct dumper {
	struct client c;
	struct mmt_ptes ptes;
	struct mmt_vmas vmas;
	uint64_t pfns[32];	/* frames seen, for GET_FRAME */
	unsigned int npfns;
};

static void saw_frame(struct dumper *d, uint64_t pfn)
{
	d->pfns[d->npfns++ % 32] = pfn;
}

/* GET_PTE (or GET_VMA) until it comes back whole or fails. */
static int dump(struct dumper *d, struct req *q, bool runs)
{
	struct mmlens_nl_err err = {};
	unsigned int seq0;
	int tries, ret, r = DONE_RETRY;

	for (tries = 0; tries < DUMP_TRIES && r == DONE_RETRY; tries++) {
		if (!client_ready(&d->c))
			return DONE_ERROR;
		seq0 = begin(&d->c, q);
		if (q->kind == REQ_PTE)
			ret = mmt_get_ptes_once(&d->c.nl, q->pid, q->a, q->b, runs, &d->ptes, &err);
		else
			ret = mmt_get_vmas_once(&d->c.nl, q->pid, q->a, q->b, &d->vmas, &err);
		r = outcome(&d->c, q, ret, &err, seq0);
	}
	if (r == DONE_RETRY) {
		fail("%s: %s of pid %d [%#llx, %#llx) still interrupted after %d tries",
		     d->c.name, req_names[q->kind], q->pid, (unsigned long long)q->a,
		     (unsigned long long)q->b, DUMP_TRIES);
		return DONE_ERROR;
	}
	return r;
}

/* Records in address order, each a leaf that overlaps the range asked. */
static void check_ptes(struct dumper *d, const struct req *q, bool runs)
{
	uint64_t start = q->a == MMT_NONE ? 0 : q->a, end = q->b, prev_end = 0;
	size_t i;

	for (i = 0; i < d->ptes.n; i++) {
		const struct mmlens_pte *r = &d->ptes.rec[i];
		uint64_t size = mmt_level_size(r->level);

		if (!size || r->kind == MMLENS_KIND_NONE || r->kind > MMLENS_KIND_HWPOISON ||
		    !r->nr || (!runs && r->nr != 1) || (r->va & (size - 1)) || r->va < prev_end ||
		    r->va >= end || r->va + size * r->nr <= start) {
			fail("%s: GET_PTE of pid %d [%#llx, %#llx)%s: record %zu at %#llx: level %s kind %s nr %u after %#llx",
			     d->c.name, q->pid, (unsigned long long)start, (unsigned long long)end,
			     runs ? " runs" : "", i, (unsigned long long)r->va,
			     mmt_level_name(r->level), mmt_kind_name(r->kind), r->nr,
			     (unsigned long long)prev_end);
			return;
		}
		prev_end = r->va + size * r->nr;
		if (r->flags & MMLENS_F_HAS_FRAME)
			saw_frame(d, r->pfn);
		if (r->level == MMLENS_LEVEL_PMD && r->kind == MMLENS_KIND_PRESENT)
			cnt(&sh->pmd_leaves);
	}
}

static void check_vmas(struct dumper *d, const struct req *q)
{
	uint64_t start = q->a == MMT_NONE ? 0 : q->a, end = q->b, prev_end = 0;
	int i;

	for (i = 0; i < d->vmas.n; i++) {
		const struct mmt_attrs *v = &d->vmas.vma[i];
		bool have = VHAS(v, START) && VHAS(v, END) && VHAS(v, FLAGS) && VHAS(v, PGOFF) &&
			    VHAS(v, KIND) && VHAS(v, PAGE_SIZE) && VHAS(v, RESIDENT) &&
			    VHAS(v, SWAPPED) && VHAS(v, PMD_LEAVES) && VHAS(v, PUD_LEAVES);

		if (!have || VV(v, START) >= VV(v, END) || VV(v, START) < prev_end ||
		    VV(v, START) >= end || VV(v, END) <= start || VV(v, KIND) > MMLENS_VMA_SPECIAL ||
		    VV(v, RESIDENT) > (VV(v, END) - VV(v, START)) / MMT_PAGE_SIZE) {
			fail("%s: GET_VMA of pid %d [%#llx, %#llx): VMA %d [%#llx, %#llx) after %#llx, kind %llu, resident %llu, attributes %#llx",
			     d->c.name, q->pid, (unsigned long long)start, (unsigned long long)end, i,
			     (unsigned long long)VV(v, START), (unsigned long long)VV(v, END),
			     (unsigned long long)prev_end, (unsigned long long)VV(v, KIND),
			     (unsigned long long)VV(v, RESIDENT), (unsigned long long)v->have);
			return;
		}
		prev_end = VV(v, END);
	}
}

/* A TRANSLATE reply holds together (mmt_expect_walk_sane() needs the harness). */
static const char *walk_insane(const struct mmt_walk *w, pid_t pid, uint64_t va)
{
	uint64_t size = mmt_level_size(WV(w, LEAF_LEVEL));

	if (WV(w, PID) != (uint64_t)pid || WV(w, VA) != va ||
	    WV(w, PAGING_LEVELS) != (uint64_t)levels)
		return "pid, va or paging levels not as asked";
	if (!WHAS(w, LEAF_LEVEL) || !WHAS(w, KIND) || !WHAS(w, ENTRY) || !WHAS(w, FLAGS))
		return "a mandatory attribute is missing";
	if (WHAS(w, VMA_START) && (WV(w, VMA_START) > va || WV(w, VMA_END) <= va))
		return "the VMA does not cover va";
	if (WHAS(w, VMA_START) && !w->nlevels)
		return "no level walked inside a VMA";
	if (WV(w, KIND) != MMLENS_KIND_PRESENT)
		return NULL;
	/* No frame nest for special entries (vvar, PFNMAP): one that is there must fit. */
	if (!size || !WHAS(w, PFN) || WV(w, PAGE_SIZE) != size ||
	    WV(w, PA) != (WV(w, PFN) << 12) + (va & (size - 1)) ||
	    (w->nframes && FV(&w->frame, PFN) != WV(w, PFN) + ((va & (size - 1)) >> 12)))
		return "present leaf with inconsistent pfn, page size, pa or frame";
	return NULL;
}

static void do_translate(struct dumper *d)
{
	struct mmlens_nl_err err = {};
	struct mmt_walk w;
	const char *why;
	unsigned int seq0;
	uint64_t base;
	struct req q;
	int ret;

	pick(&d->c, &q, REQ_TRANSLATE);
	/* In a churn region (maybe gone by now) of a long-lived target, or anywhere. */
	base = q.t ? atomic_load(&q.t->slot[rnd(&d->c.seed, NCHURN)][rnd(&d->c.seed, NSLOTS)]) : 0;
	q.a = base ? base + rnd(&d->c.seed, 2 * MMT_PMD_SIZE) : (uint64_t)&w;
	q.b = q.a + 1;
	seq0 = begin(&d->c, &q);
	ret = mmt_translate(&d->c.nl, q.pid, q.a, &w, &err);
	if (outcome(&d->c, &q, ret, &err, seq0) != DONE_OK)
		return;
	why = walk_insane(&w, q.pid, q.a);
	if (why)
		fail("%s: TRANSLATE of pid %d va %#llx: %s", d->c.name, q.pid,
		     (unsigned long long)q.a, why);
	else if (w.nframes)
		saw_frame(d, FV(&w.frame, PFN));
}

static void do_ptes(struct dumper *d)
{
	bool runs = rnd(&d->c.seed, 2);
	uint64_t base = 0;
	struct req q;

	pick(&d->c, &q, REQ_PTE);
	if (q.t && rnd(&d->c.seed, 3))
		base = atomic_load(&q.t->slot[rnd(&d->c.seed, NCHURN)][rnd(&d->c.seed, NSLOTS)]);
	q.a = base ? base - rnd(&d->c.seed, 64) * MMT_PAGE_SIZE : MMT_NONE;
	q.b = base ? base + rnd(&d->c.seed, 2 * MMT_PMD_SIZE) : MMT_NONE;
	if (dump(d, &q, runs) != DONE_OK)
		return;
	check_ptes(d, &q, runs);
}

static void do_vmas(struct dumper *d)
{
	uint64_t base = 0;
	struct req q;

	pick(&d->c, &q, REQ_VMA);
	if (q.t && rnd(&d->c.seed, 2))
		base = atomic_load(&q.t->slot[rnd(&d->c.seed, NCHURN)][rnd(&d->c.seed, NSLOTS)]);
	q.a = base ? base : MMT_NONE;
	q.b = base ? base + MMT_PUD_SIZE : MMT_NONE;
	if (dump(d, &q, false) == DONE_OK)
		check_vmas(d, &q);
}

static void do_frame(struct dumper *d)
{
	struct mmlens_nl_err err = {};
	struct req q = { .kind = REQ_FRAME };
	struct mmt_attrs f;
	unsigned int seq0;
	int ret;

	if (!d->npfns)
		return;
	/* Frames seen in replies have a memory map: nothing but data is right. */
	q.a = d->pfns[rnd(&d->c.seed, d->npfns < 32 ? d->npfns : 32)];
	seq0 = begin(&d->c, &q);
	ret = mmt_get_frame(&d->c.nl, q.a, &f, &err);
	if (outcome(&d->c, &q, ret, &err, seq0) != DONE_OK)
		return;
	cnt(&sh->frames);
	if (FV(&f, PFN) != q.a || !FHAS(&f, REFCOUNT) || !FHAS(&f, FLAGS) || !FHAS(&f, ORDER))
		fail("%s: GET_FRAME of pfn %#llx: pfn %#llx, attributes %#llx", d->c.name,
		     (unsigned long long)q.a, (unsigned long long)FV(&f, PFN),
		     (unsigned long long)f.have);
}

static void do_mm(struct dumper *d)
{
	struct mmlens_nl_err err = {};
	unsigned int seq0;
	struct mmt_mm m;
	struct req q;
	int ret;

	pick(&d->c, &q, REQ_MM);
	seq0 = begin(&d->c, &q);
	ret = mmt_get_mm(&d->c.nl, q.pid, &m, &err);
	if (outcome(&d->c, &q, ret, &err, seq0) != DONE_OK)
		return;
	/* A short-lived PID may name a thread of whoever reused it: no TGID check there. */
	if (MV(&m, PID) != (uint64_t)q.pid || MV(&m, PAGING_LEVELS) != (uint64_t)levels ||
	    (q.t && MV(&m, TGID) != (uint64_t)q.t->pid) || !MV(&m, MAP_COUNT) || m.npt != 1)
		fail("%s: GET_MM of pid %d: pid %llu tgid %llu levels %llu map count %llu", d->c.name,
		     q.pid, (unsigned long long)MV(&m, PID), (unsigned long long)MV(&m, TGID),
		     (unsigned long long)MV(&m, PAGING_LEVELS), (unsigned long long)MV(&m, MAP_COUNT));
}

/*
 * pagemap before and after a request about the stable region: when both
 * agree (nothing moved in between), the module must say the same.
 */
static bool pagemap_still(const uint64_t *before, const uint64_t *after, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((before[i] ^ after[i]) & (PM_PRESENT | PM_PFN_MASK))
			return false;
	return true;
}

static void stable_translate(struct dumper *d)
{
	uint64_t pm[2], va;
	struct mmlens_nl_err err = {};
	struct mmt_walk w;
	const char *why;
	unsigned int seq0;
	struct req q;
	int page, tries, ret;

	memset(&q, 0, sizeof(q));
	q.kind = REQ_TRANSLATE;
	q.t = &sh->t[rnd(&d->c.seed, NTARGETS)];
	q.pid = q.t->pid;
	page = rnd(&d->c.seed, STABLE_PAGES);
	va = q.t->stable + page * MMT_PAGE_SIZE + rnd(&d->c.seed, MMT_PAGE_SIZE);
	q.a = va;
	q.b = va + 1;
	for (tries = 0; tries < STABLE_TRIES; tries++) {
		if (mmt_pagemap(q.pid, va, &pm[0]))
			break;
		seq0 = begin(&d->c, &q);
		ret = mmt_translate(&d->c.nl, q.pid, va, &w, &err);
		if (outcome(&d->c, &q, ret, &err, seq0) != DONE_OK)
			return;
		if (mmt_pagemap(q.pid, va, &pm[1]))
			break;
		if (!pagemap_still(&pm[0], &pm[1], 1))
			continue;
		cnt(&sh->stable_checks);
		why = walk_insane(&w, q.pid, va);
		if (!why && !(pm[0] & PM_PRESENT))
			why = "pagemap: not present";
		else if (!why && (WV(&w, KIND) != MMLENS_KIND_PRESENT ||
				  WV(&w, LEAF_LEVEL) != MMLENS_LEVEL_PTE || WV(&w, PFN) != PM_PFN(pm[0])))
			why = "module and pagemap disagree";
		if (why)
			fail("%s: stable region of pid %d, page %d (va %#llx): %s: pagemap %#llx (pfn %#llx, at setup %#llx), module kind %s level %s pfn %#llx",
			     d->c.name, q.pid, page, (unsigned long long)va, why,
			     (unsigned long long)pm[0], (unsigned long long)PM_PFN(pm[0]),
			     (unsigned long long)q.t->ref[page], mmt_kind_name(WV(&w, KIND)),
			     mmt_level_name(WV(&w, LEAF_LEVEL)), (unsigned long long)WV(&w, PFN));
		else if (PM_PFN(pm[0]) != q.t->ref[page])
			cnt(&sh->stable_moved);
		return;
	}
	fail("%s: stable region of pid %d, va %#llx: %s", d->c.name, q.pid, (unsigned long long)va,
	     tries < STABLE_TRIES ? "pagemap unreadable" : "pagemap never held still around TRANSLATE");
}

static void stable_ptes(struct dumper *d)
{
	uint64_t pm[2][STABLE_PAGES];
	bool runs = rnd(&d->c.seed, 2);
	const struct mmlens_pte *r;
	struct req q;
	int tries, i;

	memset(&q, 0, sizeof(q));
	q.kind = REQ_PTE;
	q.t = &sh->t[rnd(&d->c.seed, NTARGETS)];
	q.pid = q.t->pid;
	q.a = q.t->stable;
	q.b = q.a + STABLE_PAGES * MMT_PAGE_SIZE;
	for (tries = 0; tries < STABLE_TRIES; tries++) {
		if (mmt_pagemap_range(q.pid, q.a, STABLE_PAGES, pm[0]))
			break;
		if (dump(d, &q, runs) != DONE_OK)
			return;
		if (mmt_pagemap_range(q.pid, q.a, STABLE_PAGES, pm[1]))
			break;
		if (!pagemap_still(pm[0], pm[1], STABLE_PAGES))
			continue;
		cnt(&sh->stable_checks);
		check_ptes(d, &q, runs);
		for (i = 0; i < STABLE_PAGES; i++) {
			uint64_t va = q.a + i * MMT_PAGE_SIZE;

			r = mmt_ptes_find(&d->ptes, va);
			if (!r || r->kind != MMLENS_KIND_PRESENT || r->level != MMLENS_LEVEL_PTE ||
			    !(pm[0][i] & PM_PRESENT) ||
			    r->pfn + (va - r->va) / MMT_PAGE_SIZE != PM_PFN(pm[0][i])) {
				fail("%s: stable region of pid %d, page %d (va %#llx)%s: pagemap %#llx (at setup pfn %#llx), record %s level %s pfn %#llx at %#llx",
				     d->c.name, q.pid, i, (unsigned long long)va, runs ? ", runs" : "",
				     (unsigned long long)pm[0][i], (unsigned long long)q.t->ref[i],
				     r ? mmt_kind_name(r->kind) : "missing",
				     r ? mmt_level_name(r->level) : "-",
				     r ? (unsigned long long)r->pfn : 0ULL,
				     r ? (unsigned long long)r->va : 0ULL);
				return;
			}
			if (PM_PFN(pm[0][i]) != q.t->ref[i])
				cnt(&sh->stable_moved);
		}
		if (d->ptes.n > STABLE_PAGES || (!runs && d->ptes.n != STABLE_PAGES))
			fail("%s: stable region of pid %d: %zu records for %d pages%s", d->c.name,
			     q.pid, d->ptes.n, STABLE_PAGES, runs ? " (runs)" : "");
		return;
	}
	fail("%s: stable region of pid %d: %s", d->c.name, q.pid,
	     tries < STABLE_TRIES ? "pagemap unreadable" : "pagemap never held still around GET_PTE");
}

static void *dumper_thread(void *arg)
{
	struct dumper *d = arg;
	unsigned int r;

	while (!stopping()) {
		if (!client_ready(&d->c))
			continue;
		r = rnd(&d->c.seed, 100);
		if (r < 20)
			stable_translate(d);
		else if (r < 30)
			stable_ptes(d);
		else if (r < 45)
			do_translate(d);
		else if (r < 65)
			do_ptes(d);
		else if (r < 80)
			do_vmas(d);
		else if (r < 90)
			do_frame(d);
		else
			do_mm(d);
	}
	client_close(&d->c);
	mmt_ptes_free(&d->ptes);
	mmt_vmas_free(&d->vmas);
	atomic_store(&d->c.done, true);
	return NULL;
}

/* ---- watchers --------------------------------------------------------------- */

struct watcher {
	struct client c;
	bool follow;
	int fd;				/* events socket, -1 when closed */
	int ev_family;			/* family id when fd joined the group */
	unsigned int fd_seq;		/* reload_seq then */
	bool watched[NTARGETS];
	unsigned int watch_seq[NTARGETS];	/* reload_seq at WATCH_ADD */
	uint64_t reopen_ns;
	unsigned int round;
	char buf[1 << 16];
};

/* Attribute types of the replies parsed here (0: unknown, a failure). */
enum { A_U32 = 1, A_U64, A_FLAG, A_NEST, A_PAD };

static const unsigned char event_types[MMLENS_A_EVENT_MAX + 1] = {
	[MMLENS_A_EVENT_PAD] = A_PAD,
	[MMLENS_A_EVENT_PID] = A_U32, [MMLENS_A_EVENT_TID] = A_U32,
	[MMLENS_A_EVENT_VA] = A_U64, [MMLENS_A_EVENT_ACCESS] = A_U32,
	[MMLENS_A_EVENT_FAULT_FLAGS] = A_U32, [MMLENS_A_EVENT_CLASS] = A_U32,
	[MMLENS_A_EVENT_LEVEL] = A_U32, [MMLENS_A_EVENT_ENTRY_BEFORE] = A_U64,
	[MMLENS_A_EVENT_ENTRY_AFTER] = A_U64, [MMLENS_A_EVENT_PFN_BEFORE] = A_U64,
	[MMLENS_A_EVENT_PFN_AFTER] = A_U64, [MMLENS_A_EVENT_MAPCOUNT_BEFORE] = A_U32,
	[MMLENS_A_EVENT_RESULT] = A_U32, [MMLENS_A_EVENT_DURATION_NS] = A_U64,
	[MMLENS_A_EVENT_TIMESTAMP_NS] = A_U64, [MMLENS_A_EVENT_LOST] = A_U64,
	[MMLENS_A_EVENT_CHILD] = A_U32, [MMLENS_A_EVENT_FOLLOWED] = A_FLAG,
	[MMLENS_A_EVENT_EXIT_CODE] = A_U32, [MMLENS_A_EVENT_SIGNAL] = A_U32,
	[MMLENS_A_EVENT_SIGNAL_CODE] = A_U32, [MMLENS_A_EVENT_SEQ] = A_U64,
};

static const unsigned char stats_types[MMLENS_A_STATS_MAX + 1] = {
	[MMLENS_A_STATS_PAD] = A_PAD, [MMLENS_A_STATS_PID] = A_U32,
	[MMLENS_A_STATS_TLB_GEN] = A_U64, [MMLENS_A_STATS_WATCHED_NS] = A_U64,
	[MMLENS_A_STATS_FAULTS] = A_NEST, [MMLENS_A_STATS_TLB] = A_NEST,
	[MMLENS_A_STATS_EVENTS] = A_U64, [MMLENS_A_STATS_LOST] = A_U64,
	[MMLENS_A_STATS_SEQ] = A_U64,
};

/*
 * Checks the attributes in [head, head + len) against types; returns a
 * bitmap of those present, values of integers in v (if not NULL), or 0 with
 * the reason in why.
 */
static uint64_t check_attrs(struct nlattr *head, int len, const unsigned char *types, int max,
			    uint64_t *v, const char **why)
{
	static const int size[] = { [A_U32] = 4, [A_U64] = 8, [A_FLAG] = 0 };
	uint64_t have = 1;	/* bit 0: parsed */
	struct nlattr *a;
	int rem;

	nla_for_each_attr(a, head, len, rem) {
		int t = nla_type(a);

		if (t <= 0 || t > max || !types[t]) {
			*why = "unknown attribute";
			return 0;
		}
		if (types[t] == A_PAD)
			continue;
		if ((have >> t) & 1) {
			*why = "attribute twice";
			return 0;
		}
		if (types[t] != A_NEST && nla_len(a) != size[types[t]]) {
			*why = "attribute of the wrong size";
			return 0;
		}
		have |= 1ULL << t;
		if (v && types[t] == A_U32)
			v[t] = nla_get_u32(a);
		else if (v && types[t] == A_U64)
			v[t] = nla_get_u64(a);
	}
	if (rem) {
		*why = "trailing bytes";
		return 0;
	}
	return have;
}

#define HAVE(h, X) (((h) >> MMLENS_A_EVENT_##X) & 1)

static void parse_events(struct watcher *w, int len)
{
	const struct nlmsghdr *nlh;
	uint64_t v[MMLENS_A_EVENT_MAX + 1], h;
	const char *why = NULL;

	for (nlh = (void *)w->buf; NLMSG_OK(nlh, (unsigned int)len); nlh = NLMSG_NEXT(nlh, len)) {
		const struct genlmsghdr *g = NLMSG_DATA(nlh);

		if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) {
			why = "message too short";
			break;
		}
		/* Events of the module we joined, unless it was reloaded since. */
		if (nlh->nlmsg_type != w->ev_family && !reload_since(w->fd_seq)) {
			why = "message of another family";
			break;
		}
		h = check_attrs((struct nlattr *)((char *)g + GENL_HDRLEN),
				nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, event_types,
				MMLENS_A_EVENT_MAX, v, &why);
		if (!h)
			break;
		if (!HAVE(h, PID) || !HAVE(h, TIMESTAMP_NS) || !HAVE(h, LOST) || !HAVE(h, SEQ)) {
			why = "pid, timestamp, lost or seq missing";
			break;
		}
		if (g->cmd == MMLENS_CMD_FAULT_NTF) {
			if (!HAVE(h, TID) || !HAVE(h, VA) || !HAVE(h, ACCESS) || !HAVE(h, CLASS) ||
			    !HAVE(h, FAULT_FLAGS) || v[MMLENS_A_EVENT_CLASS] > MMLENS_FAULT_CLASS_MAX ||
			    v[MMLENS_A_EVENT_ACCESS] > MMLENS_ACCESS_EXEC)
				why = "fault event without tid, va, access, flags or a known class";
		} else if (g->cmd == MMLENS_CMD_FORK_NTF) {
			if (!HAVE(h, TID) || !HAVE(h, CHILD))
				why = "fork event without tid or child";
		} else if (g->cmd == MMLENS_CMD_EXIT_NTF) {
			if (!HAVE(h, EXIT_CODE))
				why = "exit event without exit code";
		} else if (g->cmd == MMLENS_CMD_END_NTF) {
			/* The watches of an unloading module end with it. */
			if (!reload_since(w->fd_seq))
				why = "end event without an unload";
		} else {
			why = "unknown command";
		}
		if (why)
			break;
		cnt(&sh->events);
	}
	if (why)
		fail("%s: event (type %u): %s", w->c.name, nlh->nlmsg_type, why);
}

/* Reads what the group sent, for up to wait_ms after the last datagram (and 100 ms at most). */
static void events_read(struct watcher *w, int wait_ms)
{
	struct pollfd p = { .fd = w->fd, .events = POLLIN };
	uint64_t end = now_ns() + 100000000ULL;
	ssize_t n;

	while (now_ns() < end && poll(&p, 1, wait_ms) > 0) {
		n = recv(w->fd, w->buf, sizeof(w->buf), MSG_DONTWAIT | MSG_TRUNC);
		/* The kernel dropped datagrams for us (NETLINK_BROADCAST_ERROR): counted lost. */
		if (n < 0 && errno == ENOBUFS) {
			cnt(&sh->overruns);
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0 || n > (ssize_t)sizeof(w->buf)) {
			fail("%s: events recv: %zd (%s)", w->c.name, n, strerror(errno));
			return;
		}
		parse_events(w, n);
	}
}

/* What is queued is read first: a stream ends with its last event, not with the socket. */
static void events_close(struct watcher *w)
{
	if (w->fd < 0)
		return;
	events_read(w, 0);
	close(w->fd);
	w->fd = -1;
}

/* A socket in the events group, as events_test makes one. */
static void events_open(struct watcher *w)
{
	unsigned int seq0 = atomic_load(&sh->reload_seq);
	int grp = -1, one = 1, rcvbuf = 1 << 20;
	struct nl_sock *sk = nl_socket_alloc();

	w->ev_family = -1;
	if (sk && !genl_connect(sk)) {
		w->ev_family = genl_ctrl_resolve(sk, MMLENS_GENL_NAME);
		grp = genl_ctrl_resolve_grp(sk, MMLENS_GENL_NAME, MMLENS_MCGRP_EVENTS);
	}
	if (w->ev_family >= 0 && grp >= 0)
		w->fd = dup(nl_socket_get_fd(sk));
	nl_socket_free(sk);
	if (w->fd >= 0 &&
	    (setsockopt(w->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) ||
	     setsockopt(w->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) ||
	     setsockopt(w->fd, SOL_NETLINK, NETLINK_BROADCAST_ERROR, &one, sizeof(one)))) {
		close(w->fd);
		w->fd = -1;
	}
	w->fd_seq = seq0;
	if (w->fd >= 0)
		return;
	if (reload_since(seq0)) {
		cnt(&sh->absent);
		return;
	}
	fail("%s: cannot join the events group (family %d, group %d): %s", w->c.name,
	     w->ev_family, grp, strerror(errno));
}

static int no_reply_cb(struct nl_msg *msg, void *arg)
{
	snprintf(mmt_parse_error, sizeof(mmt_parse_error), "a reply where only an ACK belongs");
	return -EBADMSG;
}

struct stats_reply {
	int replies;
	uint64_t v[MMLENS_A_STATS_MAX + 1];
};

/* WATCH_ADD's one reply: the process and where its events for the watch begin. */
static int watch_add_cb(struct nl_msg *msg, void *arg)
{
	static const unsigned char watch_types[MMLENS_A_WATCH_MAX + 1] = {
		[MMLENS_A_WATCH_PID] = A_U32, [MMLENS_A_WATCH_PAD] = A_PAD,
		[MMLENS_A_WATCH_SEQ] = A_U64,
	};
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct stats_reply *s = arg;
	const char *why = "two replies";
	uint64_t v[MMLENS_A_WATCH_MAX + 1], h;

	h = s->replies++ ? 0 : check_attrs(genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0),
					   watch_types, MMLENS_A_WATCH_MAX, v, &why);
	if (!h || !((h >> MMLENS_A_WATCH_PID) & 1) || !((h >> MMLENS_A_WATCH_SEQ) & 1)) {
		snprintf(mmt_parse_error, sizeof(mmt_parse_error), "watch: %s",
			 h ? "pid or seq missing" : why);
		return -EBADMSG;
	}
	return 0;
}

static int stats_cb(struct nl_msg *msg, void *arg)
{
	static const unsigned char faults[MMLENS_A_FAULTS_MAX + 1] = {
		[MMLENS_A_FAULTS_PAD] = A_PAD,
		[MMLENS_A_FAULTS_FIRST ... MMLENS_A_FAULTS_MAX] = A_U64,
	};
	static const unsigned char tlb[MMLENS_A_TLB_MAX + 1] = {
		[MMLENS_A_TLB_FIRST ... MMLENS_A_TLB_MAX] = A_NEST,
	};
	static const unsigned char counts[MMLENS_A_TLB_COUNT_MAX + 1] = {
		[MMLENS_A_TLB_COUNT_PAD] = A_PAD,
		[MMLENS_A_TLB_COUNT_FLUSHES ... MMLENS_A_TLB_COUNT_FULL] = A_U64,
	};
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct stats_reply *s = arg;
	const char *why = NULL;
	struct nlattr *a, *r;
	int rem, rem2;
	uint64_t h;

	h = s->replies++ ? 0 : check_attrs(genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0),
					   stats_types, MMLENS_A_STATS_MAX, s->v, &why);
	if (!h || !((h >> MMLENS_A_STATS_FAULTS) & 1) || !((h >> MMLENS_A_STATS_TLB) & 1) ||
	    !((h >> MMLENS_A_STATS_EVENTS) & 1) || !((h >> MMLENS_A_STATS_LOST) & 1)) {
		snprintf(mmt_parse_error, sizeof(mmt_parse_error), "stats: %s",
			 why ? why : s->replies > 1 ? "two replies" : "counters missing");
		return -EBADMSG;
	}
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		if (nla_type(a) == MMLENS_A_STATS_FAULTS &&
		    !check_attrs(nla_data(a), nla_len(a), faults, MMLENS_A_FAULTS_MAX, NULL, &why))
			break;
		if (nla_type(a) != MMLENS_A_STATS_TLB)
			continue;
		if (!check_attrs(nla_data(a), nla_len(a), tlb, MMLENS_A_TLB_MAX, NULL, &why))
			break;
		nla_for_each_nested(r, a, rem2)
			if (!check_attrs(nla_data(r), nla_len(r), counts, MMLENS_A_TLB_COUNT_MAX,
					 NULL, &why))
				break;
		if (why)
			break;
	}
	if (why) {
		snprintf(mmt_parse_error, sizeof(mmt_parse_error), "stats nest: %s", why);
		return -EBADMSG;
	}
	return 0;
}

/* WATCH_ADD, WATCH_DEL or GET_STATS; DONE_* */
static int watch_req(struct watcher *w, struct req *q)
{
	static const uint8_t cmd[NR_REQS] = {
		[REQ_WATCH_ADD] = MMLENS_CMD_WATCH_ADD, [REQ_WATCH_DEL] = MMLENS_CMD_WATCH_DEL,
		[REQ_STATS] = MMLENS_CMD_GET_STATS,
	};
	struct nl_msg *msg = mmlens_nl_request(&w->c.nl, cmd[q->kind], 0);
	struct mmlens_nl_err err = {};
	struct stats_reply s = {};
	unsigned int seq0;
	int ret;

	if (!msg) {
		fail("%s: out of memory", w->c.name);
		return DONE_ERROR;
	}
	if (q->pid)
		nla_put_u32(msg, q->kind == REQ_STATS ? MMLENS_A_STATS_PID : MMLENS_A_WATCH_PID,
			    q->pid);
	if (q->kind == REQ_WATCH_ADD && w->follow)
		nla_put_flag(msg, MMLENS_A_WATCH_FOLLOW);
	seq0 = begin(&w->c, q);
	mmt_parse_error[0] = '\0';
	ret = mmlens_nl_transact(&w->c.nl, msg, q->kind == REQ_STATS ? stats_cb :
				 q->kind == REQ_WATCH_ADD ? watch_add_cb : no_reply_cb, &s, &err);
	if (!ret && q->kind != REQ_WATCH_DEL && s.replies != 1) {
		snprintf(mmt_parse_error, sizeof(mmt_parse_error), "%d replies", s.replies);
		ret = -EBADMSG;
	}
	ret = outcome(&w->c, q, ret, &err, seq0);
	if (ret != DONE_OK || q->kind != REQ_STATS)
		return ret;
	if (q->t && s.v[MMLENS_A_STATS_PID] != (uint64_t)q->t->pid)
		fail("%s: GET_STATS of pid %d: stats of %llu", w->c.name, q->pid,
		     (unsigned long long)s.v[MMLENS_A_STATS_PID]);
	if (!q->pid)
		atomic_store(&sh->lost, s.v[MMLENS_A_STATS_LOST]);
	return ret;
}

static void watcher_close(struct watcher *w)
{
	client_close(&w->c);
	events_close(w);
	memset(w->watched, 0, sizeof(w->watched));
}

static void watcher_round(struct watcher *w)
{
	struct req q;
	int i;

	for (i = 0; i < NTARGETS; i++) {
		if (w->watched[i] || !w->c.open)
			continue;
		memset(&q, 0, sizeof(q));
		q.kind = REQ_WATCH_ADD;
		q.t = &sh->t[i];
		q.pid = q.t->pid;
		w->watch_seq[i] = atomic_load(&sh->reload_seq);
		w->watched[i] = watch_req(w, &q) == DONE_OK;
	}
	if (!w->c.open)
		return;
	events_read(w, 20);

	/* In turn rather than at random: each kind is asked, however slow the machine. */
	i = rnd(&w->c.seed, NTARGETS);
	switch (w->round++ % 6) {
	case 0:
		/* Global counters: always there. */
		memset(&q, 0, sizeof(q));
		q.kind = REQ_STATS;
		watch_req(w, &q);
		return;
	case 1:
	case 2:
		if (!w->watched[i])
			return;
		memset(&q, 0, sizeof(q));
		q.kind = REQ_STATS;
		q.t = &sh->t[i];
		q.pid = q.t->pid;
		q.watched = true;
		q.watch_seq = w->watch_seq[i];
		if (watch_req(w, &q) != DONE_OK)
			w->watched[i] = false;
		return;
	case 3:
		if (!w->watched[i])
			return;
		memset(&q, 0, sizeof(q));
		q.kind = REQ_WATCH_DEL;
		q.t = &sh->t[i];
		q.pid = q.t->pid;
		q.watched = true;
		q.watch_seq = w->watch_seq[i];
		watch_req(w, &q);
		w->watched[i] = false;
		return;
	default:
		/* A short-lived process: gone, reused, or watched until it exits. */
		pick(&w->c, &q, rnd(&w->c.seed, 2) ? REQ_WATCH_ADD : REQ_STATS);
		if (q.t)
			return;
		q.watch_may_end = true;
		watch_req(w, &q);
		return;
	}
}

static void *watcher_thread(void *arg)
{
	struct watcher *w = arg;

	w->fd = -1;
	while (!stopping()) {
		/* Now and then everything closed (its watches end) and opened again. */
		if (now_ns() > w->reopen_ns) {
			watcher_close(w);
			w->reopen_ns = now_ns() + (2000 + rnd(&w->c.seed, 4000)) * 1000000ULL;
		}
		/*
		 * The group went with the module (and the watches with it):
		 * join the new one.  A client closed for a missing family has
		 * lost its watches too.
		 */
		if ((w->fd >= 0 && reload_since(w->fd_seq)) || !w->c.open)
			watcher_close(w);
		if (!client_ready(&w->c))
			continue;
		if (w->fd < 0)
			events_open(w);
		if (w->fd < 0) {
			usleep(20000);
			continue;
		}
		watcher_round(w);
	}
	watcher_close(w);
	atomic_store(&w->c.done, true);
	return NULL;
}

/* ---- reloader --------------------------------------------------------------- */

struct reloader {
	struct client c;	/* only for the hang report */
	const char *path;
	unsigned int seconds;
};

static int load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static bool module_loaded(void)
{
	return !access("/sys/module/mmlens", F_OK);
}

/*
 * rmmod and insmod, as the syscalls they make.  A dump in progress holds the
 * module (netlink takes a reference for it): unloading waits for a moment
 * between dumps, as rmmod run again would.  On the debug kernel a dump takes
 * up to 2 s and the dumpers start one after another, so that moment may not
 * come: after UNLOAD_PATIENCE_NS the reloader holds new dumps back until the
 * module is out (the sockets, the watches and every other request go on), as
 * an administrator would stop the tools that keep it busy.
 */
#define UNLOAD_PATIENCE_NS 2000000000ULL
#define UNLOAD_GIVE_UP_NS 10000000000ULL

static void *reloader_thread(void *arg)
{
	struct reloader *rl = arg;
	uint64_t interval = (rl->seconds >= 20 ? rl->seconds / 5 : rl->seconds / 4 + 1) * 1000000000ULL;
	uint64_t next = now_ns() + interval / 2, start;
	int ret;

	while (!stopping()) {
		if (now_ns() < next) {
			usleep(10000);
			continue;
		}
		next = now_ns() + interval;
		atomic_fetch_add(&sh->reload_seq, 1);
		atomic_store(&rl->c.doing, "unloading mmlens");
		atomic_store(&rl->c.since_ns, now_ns());
		start = now_ns();
		while ((ret = syscall(SYS_delete_module, "mmlens", O_NONBLOCK)) &&
		       (errno == EWOULDBLOCK || errno == EBUSY) &&
		       now_ns() - start < UNLOAD_GIVE_UP_NS) {
			cnt(&sh->unload_busy);
			if (now_ns() - start >= UNLOAD_PATIENCE_NS && !atomic_exchange(&sh->hold_dumps, 1))
				cnt(&sh->dumps_held);
			usleep(1000);
		}
		atomic_store(&sh->hold_dumps, 0);
		if (ret) {
			fail("reloader: delete_module: %s%s", strerror(errno),
			     errno == EWOULDBLOCK ? " for 10 s" : "");
		} else {
			/* Long enough for the clients to find the family gone. */
			usleep(200000);
			atomic_store(&rl->c.doing, "loading mmlens");
			ret = load_module(rl->path);
			if (ret)
				fail("reloader: finit_module(%s): %s", rl->path, strerror(-ret));
			else
				cnt(&sh->reloads);
		}
		atomic_store(&rl->c.doing, NULL);
		atomic_fetch_add(&sh->reload_seq, 1);
	}
	atomic_store(&rl->c.done, true);
	return NULL;
}

/* ---- the test ----------------------------------------------------------------- */

static const char *counts_str(char *buf, size_t size, const char *const *names,
			      _Atomic uint64_t *v, int n, bool errnos)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && len < size; i++) {
		uint64_t x = atomic_load(&v[i]);

		if (!x)
			continue;
		len += snprintf(buf + len, size - len, "%s%s %llu", len ? ", " : "",
				errnos ? strerrorname_np(i) ?: "?" : names[i], (unsigned long long)x);
	}
	return buf;
}

static uint64_t total(_Atomic uint64_t *v, int n)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += atomic_load(&v[i]);
	return sum;
}

FIXTURE(stress) {
	pid_t kids[NTARGETS + 1];
	char compact[16];	/* vm.compact_unevictable_allowed before, "" if none */
	char kmod[4096];	/* the module to reload, "" if unknown */
	struct dumper dumpers[NDUMPERS];
	struct watcher watchers[NWATCHERS];
	struct reloader reloader;
};

#define COMPACT "/proc/sys/vm/compact_unevictable_allowed"

FIXTURE_SETUP(stress)
{
	int i;

	sh = mmap(NULL, sizeof(*sh), RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	levels = mmt_paging_levels();
	if (mmt_module_path(self->kmod, sizeof(self->kmod)))
		self->kmod[0] = '\0';
	/* Compaction would move the stable regions' mlocked pages (legitimately). */
	if (mmt_read_file(COMPACT, self->compact, sizeof(self->compact)) ||
	    mmt_write_file(COMPACT, "0"))
		self->compact[0] = '\0';
	for (i = 0; i < NTARGETS + 1; i++) {
		self->kids[i] = fork();
		ASSERT_LE(0, self->kids[i]);
		if (self->kids[i] == 0) {
			if (i < NTARGETS)
				target_run(i);
			recycler_run();
		}
	}
}

FIXTURE_TEARDOWN(stress)
{
	int i;

	atomic_store(&sh->stop, 1);
	for (i = 0; i < NTARGETS + 1; i++) {
		if (self->kids[i] <= 0)
			continue;
		kill(self->kids[i], SIGKILL);
		waitpid(self->kids[i], NULL, 0);
	}
	if (self->compact[0])
		mmt_write_file(COMPACT, self->compact);
	/* The suite goes on with the module loaded, whatever happened here. */
	if (self->kmod[0] && !module_loaded())
		load_module(self->kmod);
}

/* Threads still in a request when they should have ended: requests that never end. */
static int join_all(FIXTURE_DATA(stress) *self, uint64_t deadline)
{
	struct client *all[NDUMPERS + NWATCHERS + 1];
	int i, n = 0, stuck = 0;

	for (i = 0; i < NDUMPERS; i++)
		all[n++] = &self->dumpers[i].c;
	for (i = 0; i < NWATCHERS; i++)
		all[n++] = &self->watchers[i].c;
	if (self->kmod[0])
		all[n++] = &self->reloader.c;
	for (i = 0; i < n; i++) {
		while (!atomic_load(&all[i]->done) && now_ns() < deadline)
			usleep(10000);
		if (atomic_load(&all[i]->done)) {
			pthread_join(all[i]->thread, NULL);
			continue;
		}
		stuck++;
		fail("%s: %s of pid %d has not ended after %llu s", all[i]->name,
		     atomic_load(&all[i]->doing) ?: "(between requests)",
		     atomic_load(&all[i]->doing_pid),
		     (unsigned long long)((now_ns() - atomic_load(&all[i]->since_ns)) / 1000000000ULL));
	}
	return stuck;
}

TEST_F(stress, churn_dump_watch_and_reload)
{
	unsigned int seconds = stress_seconds();
	char reqs[512], errs[512], ops[512], slow[512];
	uint64_t start, deadline, pme[STABLE_PAGES];
	struct mmlens_nl nl;
	struct mmt_status st;
	struct mmlens_nl_err err;
	int i, k, stuck;

	for (i = 0; i < NTARGETS; i++) {
		for (k = 0; k < 3000 && !atomic_load(&sh->t[i].ready); k++)
			usleep(10000);
		ASSERT_TRUE(atomic_load(&sh->t[i].ready));
		ASSERT_EQ(0, mmt_pagemap_range(sh->t[i].pid, sh->t[i].stable, STABLE_PAGES, pme));
		for (k = 0; k < STABLE_PAGES; k++) {
			ASSERT_TRUE(pme[k] & PM_PRESENT);
			sh->t[i].ref[k] = PM_PFN(pme[k]);
		}
	}
	if (!self->kmod[0])
		TH_LOG("module path unknown (no mmlens_kmod= on the kernel command line): no reloads");

	start = now_ns();
	for (i = 0; i < NDUMPERS; i++) {
		struct dumper *d = &self->dumpers[i];

		d->c.name = "dumper";
		d->c.seed = i + 1;
		mmt_ptes_reserve(&d->ptes, 4096);
		ASSERT_EQ(0, pthread_create(&d->c.thread, NULL, dumper_thread, d));
	}
	for (i = 0; i < NWATCHERS; i++) {
		struct watcher *w = &self->watchers[i];

		w->c.name = i ? "watcher" : "follower";
		w->c.seed = 100 + i;
		w->follow = !i;
		ASSERT_EQ(0, pthread_create(&w->c.thread, NULL, watcher_thread, w));
	}
	if (self->kmod[0]) {
		self->reloader.c.name = "reloader";
		self->reloader.path = self->kmod;
		self->reloader.seconds = seconds;
		ASSERT_EQ(0, pthread_create(&self->reloader.c.thread, NULL, reloader_thread,
					    &self->reloader));
	}

	while (now_ns() - start < seconds * 1000000000ULL)
		usleep(100000);
	atomic_store(&sh->stop, 1);
	/* Whole-space dumps under emulation take seconds; a minute is a hang. */
	deadline = now_ns() + 60000000000ULL;
	stuck = join_all(self, deadline);

	fprintf(stderr, "# stress: %u s, %llu requests (%s), %llu dumps interrupted and retried, "
		"%llu clean errors (%s), %llu events, %llu module reloads, %llu target ops (%s)\n",
		seconds, (unsigned long long)total(sh->reqs, NR_REQS),
		counts_str(reqs, sizeof(reqs), req_names, sh->reqs, NR_REQS, false),
		(unsigned long long)sh->retried, (unsigned long long)total(sh->errs, 256),
		counts_str(errs, sizeof(errs), NULL, sh->errs, 256, true),
		(unsigned long long)sh->events, (unsigned long long)sh->reloads,
		(unsigned long long)total(sh->ops, NR_OPS),
		counts_str(ops, sizeof(ops), op_names, sh->ops, NR_OPS, false));
	fprintf(stderr, "# stress: clean errors: %llu family absent, %llu gone, %llu reused by a kernel thread, %llu no longer watched; "
		"%llu stable-region checks (%llu pages moved); %llu THP leaves, %llu frames looked up; "
		"%llu event overruns, %llu events lost (last GET_STATS); %llu unload attempts while busy, "
		"%llu unloads that held new dumps back\n",
		(unsigned long long)sh->absent, (unsigned long long)sh->dead_ok,
		(unsigned long long)sh->kthread, (unsigned long long)sh->unwatched,
		(unsigned long long)sh->stable_checks, (unsigned long long)sh->stable_moved,
		(unsigned long long)sh->pmd_leaves, (unsigned long long)sh->frames,
		(unsigned long long)sh->overruns, (unsigned long long)sh->lost,
		(unsigned long long)sh->unload_busy, (unsigned long long)sh->dumps_held);
	fprintf(stderr, "# stress: slowest request of each kind, ms: %s\n",
		counts_str(slow, sizeof(slow), req_names, sh->slowest_ms, NR_REQS, false));
	if (stuck)
		mmt_system("dmesg | tail -60 | sed 's/^/# /' >&2");
	ASSERT_EQ(0, stuck);

	/* Left loaded and answering. */
	if (self->kmod[0] && !module_loaded())
		EXPECT_EQ(0, load_module(self->kmod));
	ASSERT_EQ(0, mmlens_nl_open(&nl));
	EXPECT_EQ(0, mmt_get_status(&nl, &st, &err));
	mmlens_nl_close(&nl);

	/* Each part did its work (how much depends on the machine: see the summary). */
	EXPECT_LT(0, atomic_load(&sh->stable_checks));
	EXPECT_LT(0, atomic_load(&sh->events));
	if (self->kmod[0])
		EXPECT_LT(0, atomic_load(&sh->reloads));
	EXPECT_EQ(0, atomic_load(&sh->fails));
	if (atomic_load(&sh->fails))
		mmt_system("dmesg | tail -40 | sed 's/^/# /' >&2");
}

/*
 * The harness kills a test after a fixed time; this one runs as long as it
 * is asked to, plus time to start and wind down under emulation.
 */
static void __attribute__((constructor(KSELFTEST_PRIO_TEST_F + 1))) stress_timeout(void)
{
	_stress_churn_dump_watch_and_reload_object->timeout = stress_seconds() + 240;
}

TEST_HARNESS_MAIN
