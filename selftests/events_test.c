// SPDX-License-Identifier: GPL-2.0
/*
 * Live events of watched processes, checked against what the processes did
 * and against the kernel's own accounts: pagemap before and after each
 * fault, /proc/PID/stat's minflt and majflt, the mm's tlb_gen, kprobes/list.
 *
 * Targets are child processes driven step by step over pipes, so that the
 * test knows exactly which pages each step touches.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json.h>
#include <netlink/genl/ctrl.h>

#include "audit.h"
#include "kselftest_harness.h"
#include "mmtest.h"

#define NPAGES 16
#define KPAGES 5
#define VM_FAULT_MAJOR 0x4

/* One received event: its command and attributes (MMLENS_A_EVENT_*). */
struct ev {
	int cmd;
	uint64_t have;
	uint64_t v[MMLENS_A_EVENT_MAX + 1];
};

#define EV(e, X) ((e)->v[MMLENS_A_EVENT_##X])
#define EVHAS(e, X) (((e)->have >> MMLENS_A_EVENT_##X) & 1)

struct evlist {
	struct ev *e;
	size_t n, cap;
	unsigned long overruns;	/* ENOBUFS from recv: the socket dropped datagrams */
};

/* A socket in the "events" group (not the one that owns the watches). */
static int events_socket(int rcvbuf)
{
	struct nl_sock *sk = nl_socket_alloc();
	int family, grp, fd, one = 1;

	if (!sk || genl_connect(sk))
		return -1;
	family = genl_ctrl_resolve(sk, MMLENS_GENL_NAME);
	grp = genl_ctrl_resolve_grp(sk, MMLENS_GENL_NAME, MMLENS_MCGRP_EVENTS);
	if (family < 0 || grp < 0)
		return -1;
	fd = dup(nl_socket_get_fd(sk));
	nl_socket_free(sk);
	if (fd < 0)
		return -1;
	if (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		return -1;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)))
		return -1;
	/* Without it the kernel cannot tell the module this socket dropped events. */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_BROADCAST_ERROR, &one, sizeof(one)))
		return -1;
	return fd;
}

static void parse_datagram(struct evlist *l, const char *buf, int len)
{
	const struct nlmsghdr *nlh;

	for (nlh = (const void *)buf; NLMSG_OK(nlh, (unsigned int)len); nlh = NLMSG_NEXT(nlh, len)) {
		const struct genlmsghdr *g = NLMSG_DATA(nlh);
		struct nlattr *a;
		struct ev *e;
		int rem;

		/* Read here, not by libmmlens: audit them as it audits replies. */
		mmlens_audit(nlh);
		if (l->n == l->cap) {
			l->cap = l->cap ? 2 * l->cap : 1024;
			l->e = realloc(l->e, l->cap * sizeof(*l->e));
		}
		e = &l->e[l->n++];
		memset(e, 0, sizeof(*e));
		e->cmd = g->cmd;
		nla_for_each_attr(a, (struct nlattr *)((char *)g + GENL_HDRLEN),
				  nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, rem) {
			int t = nla_type(a);

			if (t > MMLENS_A_EVENT_MAX)
				continue;
			e->have |= 1ULL << t;
			if (nla_len(a) == 8)
				e->v[t] = nla_get_u64(a);
			else if (nla_len(a) == 4)
				e->v[t] = nla_get_u32(a);
		}
	}
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Reads what is queued, waiting up to quiet_ms for more after the last
 * datagram, and for 5 s at most (a stream may never pause).
 */
static void drain(int fd, struct evlist *l, int quiet_ms)
{
	static char buf[1 << 16];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	double end = now_ms() + 5000;

	while (now_ms() < end && poll(&p, 1, quiet_ms) > 0) {
		int n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == ENOBUFS) {
			l->overruns++;
			continue;
		}
		if (n <= 0)
			break;
		parse_datagram(l, buf, n);
	}
}

static int watch(struct mmlens_nl *nl, int cmd, pid_t pid, bool follow, struct mmlens_nl_err *err)
{
	struct nl_msg *msg = mmlens_nl_request(nl, cmd, 0);

	nla_put_u32(msg, MMLENS_A_WATCH_PID, pid);
	if (follow)
		nla_put_flag(msg, MMLENS_A_WATCH_FOLLOW);
	return mmlens_nl_transact(nl, msg, NULL, NULL, err);
}

/* GET_STATS: faults by class, TLB counters by reason, events and lost. */
struct stats {
	uint64_t have;
	uint64_t faults[MMLENS_FAULT_CLASS_MAX + 1];
	uint64_t tlb[MMLENS_TLB_REASON_MAX + 1][MMLENS_A_TLB_COUNT_MAX + 1];
	uint64_t tlb_gen, events, lost;
};

static int stats_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MMLENS_A_STATS_MAX + 1], *a, *b;
	struct stats *s = arg;
	int rem, rem2;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MMLENS_A_STATS_MAX, NULL))
		return -EBADMSG;
	s->have = 1;
	if (tb[MMLENS_A_STATS_TLB_GEN])
		s->tlb_gen = nla_get_u64(tb[MMLENS_A_STATS_TLB_GEN]);
	s->events = nla_get_u64(tb[MMLENS_A_STATS_EVENTS]);
	s->lost = nla_get_u64(tb[MMLENS_A_STATS_LOST]);
	nla_for_each_nested(a, tb[MMLENS_A_STATS_FAULTS], rem)
		if (nla_type(a) >= MMLENS_A_FAULTS_FIRST && nla_type(a) <= MMLENS_A_FAULTS_MAX)
			s->faults[nla_type(a) - MMLENS_A_FAULTS_FIRST] = nla_get_u64(a);
	nla_for_each_nested(a, tb[MMLENS_A_STATS_TLB], rem) {
		int r = nla_type(a) - MMLENS_A_TLB_FIRST;

		if (r < 0 || r > MMLENS_TLB_REASON_MAX)
			continue;
		nla_for_each_nested(b, a, rem2)
			if (nla_type(b) <= MMLENS_A_TLB_COUNT_MAX)
				s->tlb[r][nla_type(b)] = nla_get_u64(b);
	}
	return 0;
}

static int get_stats(struct mmlens_nl *nl, pid_t pid, struct stats *s, struct mmlens_nl_err *err)
{
	struct nl_msg *msg = mmlens_nl_request(nl, MMLENS_CMD_GET_STATS, 0);

	memset(s, 0, sizeof(*s));
	if (pid)
		nla_put_u32(msg, MMLENS_A_STATS_PID, pid);
	return mmlens_nl_transact(nl, msg, stats_cb, s, err);
}

static uint64_t total_faults(const struct stats *s)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i <= MMLENS_FAULT_CLASS_MAX; i++)
		n += s->faults[i];
	return n;
}

/* minflt and majflt of pid (fields 10 and 12 of /proc/PID/stat). */
static void faults_of(pid_t pid, uint64_t *minflt, uint64_t *majflt)
{
	uint64_t f[53];

	*minflt = *majflt = 0;
	if (!mmt_read_stat(pid, f, NULL)) {
		*minflt = f[10];
		*majflt = f[12];
	}
}

/*
 * A target process: maps NPAGES of private anon memory, then obeys
 * one-byte commands on its pipe and answers each with one byte (or with a
 * child's PID for 'f'):
 *   'W' write every page   'w' write pages [0, KPAGES)   'r' read every page
 *   'f' fork a child that obeys the child pipe the same way
 *   'o' MADV_PAGEOUT every page   'd' MADV_DONTNEED every page
 *   'L' write and drop every page forever (answers once, first)
 */
struct puppet {
	pid_t pid;
	int cmd, ack;
	char *map;
};

static void __attribute__((noreturn))
obey(char *map, int cmd, int ack, int child_cmd, int child_ack)
{
	volatile char sink;
	unsigned char c;
	int i;

	while (read(cmd, &c, 1) == 1) {
		switch (c) {
		case 'W':
			for (i = 0; i < NPAGES; i++)
				map[i * MMT_PAGE_SIZE] = 'W';
			break;
		case 'w':
			for (i = 0; i < KPAGES; i++)
				map[i * MMT_PAGE_SIZE + 1] = 'w';
			break;
		case 'r':
			for (i = 0; i < NPAGES; i++)
				sink = map[i * MMT_PAGE_SIZE];
			(void)sink;
			break;
		case 'o':
			madvise(map, NPAGES * MMT_PAGE_SIZE, MADV_PAGEOUT);
			break;
		case 'd':
			madvise(map, NPAGES * MMT_PAGE_SIZE, MADV_DONTNEED);
			break;
		case 'L':
			if (write(ack, &c, 1) != 1)
				_exit(1);
			for (;;) {
				for (i = 0; i < NPAGES; i++)
					map[i * MMT_PAGE_SIZE] = 'L';
				madvise(map, NPAGES * MMT_PAGE_SIZE, MADV_DONTNEED);
			}
		case 'f': {
			pid_t child = fork();

			if (child == 0)
				obey(map, child_cmd, child_ack, -1, -1);
			if (write(ack, &child, sizeof(child)) != sizeof(child))
				_exit(1);
			continue;
		}
		}
		if (write(ack, &c, 1) != 1)
			break;
	}
	_exit(0);
}

/* Starts a puppet; the child pipe pair goes to cp (if not NULL) for 'f'. */
static int puppet_start(struct puppet *p, struct puppet *cp)
{
	int to[2], from[2], cto[2] = { -1, -1 }, cfrom[2] = { -1, -1 };

	p->map = mmap(NULL, NPAGES * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->map == MAP_FAILED)
		return -1;
	/* 4 KiB pages, and an anon_vma before anything is measured. */
	madvise(p->map, NPAGES * MMT_PAGE_SIZE, MADV_NOHUGEPAGE);
	if (pipe(to) || pipe(from) || (cp && (pipe(cto) || pipe(cfrom))))
		return -1;
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		/* Only the test may hold the write ends: EOF tells a puppet to exit. */
		close(to[1]);
		close(from[0]);
		if (cp) {
			close(cto[1]);
			close(cfrom[0]);
		}
		obey(p->map, to[0], from[1], cto[0], cfrom[1]);
	}
	close(to[0]);
	close(from[1]);
	p->cmd = to[1];
	p->ack = from[0];
	if (cp) {
		close(cto[0]);
		close(cfrom[1]);
		cp->cmd = cto[1];
		cp->ack = cfrom[0];
		cp->map = p->map;
		cp->pid = -1;
	}
	return 0;
}

static int puppet_do(struct puppet *p, char c)
{
	unsigned char r;

	if (write(p->cmd, &c, 1) != 1 || read(p->ack, &r, 1) != 1)
		return -1;
	return r == (unsigned char)c ? 0 : -1;
}

static pid_t puppet_fork(struct puppet *p)
{
	pid_t child;

	if (write(p->cmd, "f", 1) != 1 || read(p->ack, &child, sizeof(child)) != sizeof(child))
		return -1;
	return child;
}

static void puppet_end(struct puppet *p)
{
	if (p->pid > 0) {
		close(p->cmd);
		close(p->ack);
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = -1;
	}
}

/* Fault events of pid at addresses in [start, start + len). */
static size_t faults_in(const struct evlist *l, pid_t pid, const char *start, size_t len,
			int class, const struct ev **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++) {
		const struct ev *e = &l->e[i];

		if (e->cmd != MMLENS_CMD_FAULT_NTF || EV(e, PID) != (uint64_t)pid ||
		    EV(e, VA) < (uint64_t)start || EV(e, VA) >= (uint64_t)start + len)
			continue;
		if (class >= 0 && EV(e, CLASS) != (uint64_t)class)
			continue;
		if (n < max)
			out[n] = e;
		n++;
	}
	return n;
}

static uint64_t pfn_at(pid_t pid, const char *va)
{
	uint64_t pme = 0;

	mmt_pagemap(pid, (uint64_t)va, &pme);
	return (pme & PM_PRESENT) ? PM_PFN(pme) : 0;
}

FIXTURE(events) {
	struct mmlens_nl nl;
	struct mmlens_nl_err err;
	struct evlist ev;
	int fd;
	struct puppet p, c;
};

FIXTURE_SETUP(events)
{
	memset(&self->ev, 0, sizeof(self->ev));
	self->p.pid = self->c.pid = -1;
	ASSERT_EQ(0, mmlens_nl_open(&self->nl));
	self->fd = events_socket(4 << 20);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(events)
{
	puppet_end(&self->c);
	puppet_end(&self->p);
	close(self->fd);
	mmlens_nl_close(&self->nl);
	free(self->ev.e);
}

/*
 * The parent writes its pages, forks; the child writes K of them: K COW
 * copies in the child, each from the parent's frame (pagemap before) to the
 * child's new one (pagemap after), the old frame mapped twice.  Then the
 * parent writes the same K pages: K COW reuses, the frame kept.
 */
TEST_F(events, fork_cow_copy_in_child_then_cow_reuse_in_parent)
{
	const struct ev *copy[NPAGES], *reuse[NPAGES], *forks = NULL;
	uint64_t ppfn[NPAGES], cpfn[NPAGES];
	size_t i, n;

	/*
	 * One CPU: a new frame stays referenced by its CPU's LRU batch (31
	 * folios on 6.12), and a write fault drains only its own CPU's batch
	 * before deciding to reuse; with the parent's first writes on one CPU
	 * and its later ones on another, 6.12 copies instead.
	 */
	ASSERT_EQ(0, mmt_pin_cpu());
	ASSERT_EQ(0, puppet_start(&self->p, &self->c));
	ASSERT_EQ(0, puppet_do(&self->p, 'W'));
	for (i = 0; i < NPAGES; i++) {
		ppfn[i] = pfn_at(self->p.pid, self->p.map + i * MMT_PAGE_SIZE);
		ASSERT_NE(0, ppfn[i]);
	}
	ASSERT_EQ(0, watch(&self->nl, MMLENS_CMD_WATCH_ADD, self->p.pid, true, &self->err)) {
		TH_LOG("WATCH_ADD: %s", self->err.msg);
	}
	self->c.pid = puppet_fork(&self->p);
	ASSERT_LT(0, self->c.pid);
	ASSERT_EQ(0, puppet_do(&self->c, 'w'));
	for (i = 0; i < KPAGES; i++)
		cpfn[i] = pfn_at(self->c.pid, self->c.map + i * MMT_PAGE_SIZE);
	ASSERT_EQ(0, puppet_do(&self->p, 'w'));
	drain(self->fd, &self->ev, 500);

	for (i = 0; i < self->ev.n; i++)
		if (self->ev.e[i].cmd == MMLENS_CMD_FORK_NTF && EV(&self->ev.e[i], PID) == self->p.pid)
			forks = &self->ev.e[i];
	ASSERT_NE(NULL, forks);
	EXPECT_EQ(self->c.pid, EV(forks, CHILD));
	EXPECT_TRUE(EVHAS(forks, FOLLOWED));

	n = faults_in(&self->ev, self->c.pid, self->c.map, NPAGES * MMT_PAGE_SIZE,
		      MMLENS_FAULT_COW_COPY, copy, NPAGES);
	ASSERT_EQ(KPAGES, n);
	EXPECT_EQ(KPAGES, faults_in(&self->ev, self->c.pid, self->c.map, NPAGES * MMT_PAGE_SIZE,
				    -1, copy + KPAGES, NPAGES - KPAGES)) {
		TH_LOG("the child's writes caused other faults than its COW copies");
	}
	for (i = 0; i < n; i++) {
		size_t page = (EV(copy[i], VA) - (uint64_t)self->c.map) / MMT_PAGE_SIZE;

		EXPECT_LT(page, KPAGES);
		if (page >= KPAGES)
			continue;
		EXPECT_EQ(ppfn[page], EV(copy[i], PFN_BEFORE));
		EXPECT_EQ(cpfn[page], EV(copy[i], PFN_AFTER));
		EXPECT_NE(EV(copy[i], PFN_BEFORE), EV(copy[i], PFN_AFTER));
		EXPECT_EQ(2, EV(copy[i], MAPCOUNT_BEFORE));
		EXPECT_EQ(MMLENS_ACCESS_WRITE, EV(copy[i], ACCESS));
		EXPECT_TRUE(EV(copy[i], FAULT_FLAGS) & MMLENS_FAULT_F_USER);
		EXPECT_EQ(self->c.pid, EV(copy[i], TID));
	}

	n = faults_in(&self->ev, self->p.pid, self->p.map, NPAGES * MMT_PAGE_SIZE,
		      MMLENS_FAULT_COW_REUSE, reuse, NPAGES);
	ASSERT_EQ(KPAGES, n);
	for (i = 0; i < n; i++) {
		size_t page = (EV(reuse[i], VA) - (uint64_t)self->p.map) / MMT_PAGE_SIZE;

		EXPECT_LT(page, KPAGES);
		if (page >= KPAGES)
			continue;
		EXPECT_EQ(ppfn[page], EV(reuse[i], PFN_BEFORE));
		EXPECT_EQ(ppfn[page], EV(reuse[i], PFN_AFTER));
		EXPECT_EQ(ppfn[page], pfn_at(self->p.pid, self->p.map + page * MMT_PAGE_SIZE));
		EXPECT_EQ(1, EV(reuse[i], MAPCOUNT_BEFORE));
	}
}

/*
 * First write of untouched anon memory fills a zeroed frame; a read maps
 * the zero page; a write after that read replaces the zero page.
 */
TEST_F(events, anon_zero_fill_zero_page_and_write_after_zero_page)
{
	const struct ev *e[NPAGES];
	uint64_t pfn_read, kpf = 0;
	size_t i;

	ASSERT_EQ(0, puppet_start(&self->p, NULL));
	ASSERT_EQ(0, watch(&self->nl, MMLENS_CMD_WATCH_ADD, self->p.pid, false, &self->err));

	ASSERT_EQ(0, puppet_do(&self->p, 'r'));
	pfn_read = pfn_at(self->p.pid, self->p.map);
	ASSERT_EQ(0, mmt_kpageflags(pfn_read, &kpf));
	EXPECT_TRUE(kpf & KPFB(KPF_ZERO_PAGE));
	ASSERT_EQ(0, puppet_do(&self->p, 'W'));
	drain(self->fd, &self->ev, 500);

	ASSERT_EQ(NPAGES, faults_in(&self->ev, self->p.pid, self->p.map, NPAGES * MMT_PAGE_SIZE,
				    MMLENS_FAULT_ZERO_PAGE, e, NPAGES));
	for (i = 0; i < NPAGES; i++) {
		EXPECT_EQ(MMLENS_ACCESS_READ, EV(e[i], ACCESS));
		EXPECT_EQ(pfn_read, EV(e[i], PFN_AFTER));
		EXPECT_FALSE(EVHAS(e[i], PFN_BEFORE));
	}
	ASSERT_EQ(NPAGES, faults_in(&self->ev, self->p.pid, self->p.map, NPAGES * MMT_PAGE_SIZE,
				    MMLENS_FAULT_ZERO_PAGE_COW, e, NPAGES));
	for (i = 0; i < NPAGES; i++) {
		size_t page = (EV(e[i], VA) - (uint64_t)self->p.map) / MMT_PAGE_SIZE;

		EXPECT_EQ(pfn_read, EV(e[i], PFN_BEFORE));
		EXPECT_EQ(pfn_at(self->p.pid, self->p.map + page * MMT_PAGE_SIZE), EV(e[i], PFN_AFTER));
	}
	EXPECT_EQ(2 * NPAGES, faults_in(&self->ev, self->p.pid, self->p.map, NPAGES * MMT_PAGE_SIZE,
					-1, e, 0));

	/* Fresh memory, written first: zero-fill. */
	puppet_end(&self->p);
	ASSERT_EQ(0, puppet_start(&self->p, NULL));
	ASSERT_EQ(0, watch(&self->nl, MMLENS_CMD_WATCH_ADD, self->p.pid, false, &self->err));
	self->ev.n = 0;
	ASSERT_EQ(0, puppet_do(&self->p, 'W'));
	drain(self->fd, &self->ev, 500);
	ASSERT_EQ(NPAGES, faults_in(&self->ev, self->p.pid, self->p.map, NPAGES * MMT_PAGE_SIZE,
				    MMLENS_FAULT_ANON_ZERO_FILL, e, NPAGES));
	for (i = 0; i < NPAGES; i++) {
		size_t page = (EV(e[i], VA) - (uint64_t)self->p.map) / MMT_PAGE_SIZE;

		EXPECT_EQ(MMLENS_ACCESS_WRITE, EV(e[i], ACCESS));
		EXPECT_EQ(pfn_at(self->p.pid, self->p.map + page * MMT_PAGE_SIZE), EV(e[i], PFN_AFTER));
		EXPECT_EQ(0, EV(e[i], ENTRY_BEFORE));
	}
}

static bool zram_swap_on(void)
{
	if (access("/sys/block/zram0", F_OK) &&
	    mmt_system("modprobe zram num_devices=1 >/dev/null 2>&1"))
		return false;
	mmt_system("swapoff /dev/zram0 >/dev/null 2>&1");
	mmt_write_file("/sys/block/zram0/reset", "1");
	return !mmt_write_file("/sys/block/zram0/disksize", "64M") &&
	       !mmt_system("mkswap /dev/zram0 >/dev/null 2>&1") &&
	       !mmt_system("swapon /dev/zram0 >/dev/null 2>&1");
}

/*
 * Pages paged out and touched again come back through swap-in faults, one
 * per page; whether each counted as major agrees with /proc/PID/stat.
 */
TEST_F(events, swap_in_after_pageout_agrees_with_proc_stat)
{
	const struct ev *e[NPAGES];
	uint64_t min0, maj0, min1, maj1, major = 0;
	size_t i, n;

	if (!zram_swap_on())
		SKIP(return, "cannot set up swap on zram");
	/* One CPU: MADV_PAGEOUT drains only its own CPU's LRU batches. */
	ASSERT_EQ(0, mmt_pin_cpu());
	ASSERT_EQ(0, puppet_start(&self->p, NULL));
	ASSERT_EQ(0, puppet_do(&self->p, 'W'));
	ASSERT_EQ(0, puppet_do(&self->p, 'o'));
	for (i = 0; i < NPAGES; i++) {
		uint64_t pme = 0;

		mmt_pagemap(self->p.pid, (uint64_t)self->p.map + i * MMT_PAGE_SIZE, &pme);
		ASSERT_TRUE(pme & PM_SWAP) {
			TH_LOG("page %zu not swapped out (pagemap %#llx)", i, (unsigned long long)pme);
		}
	}
	ASSERT_EQ(0, watch(&self->nl, MMLENS_CMD_WATCH_ADD, self->p.pid, false, &self->err));
	faults_of(self->p.pid, &min0, &maj0);
	ASSERT_EQ(0, puppet_do(&self->p, 'r'));
	faults_of(self->p.pid, &min1, &maj1);
	drain(self->fd, &self->ev, 500);
	mmt_system("swapoff /dev/zram0 >/dev/null 2>&1");

	n = faults_in(&self->ev, self->p.pid, self->p.map, NPAGES * MMT_PAGE_SIZE, -1, e, NPAGES);
	ASSERT_EQ(NPAGES, n);
	for (i = 0; i < n; i++) {
		EXPECT_TRUE(EV(e[i], CLASS) == MMLENS_FAULT_SWAP_IN_MINOR ||
			    EV(e[i], CLASS) == MMLENS_FAULT_SWAP_IN_MAJOR) {
			TH_LOG("class %llu at %#llx", (unsigned long long)EV(e[i], CLASS),
			       (unsigned long long)EV(e[i], VA));
		}
		/* Major as the kernel counts it: I/O done, or the second try after waiting. */
		EXPECT_EQ(EV(e[i], CLASS) == MMLENS_FAULT_SWAP_IN_MAJOR,
			  (EV(e[i], RESULT) & VM_FAULT_MAJOR) ||
			  (EV(e[i], FAULT_FLAGS) & MMLENS_FAULT_F_TRIED));
		major += EV(e[i], CLASS) == MMLENS_FAULT_SWAP_IN_MAJOR;
	}
	EXPECT_EQ(maj1 - maj0, major);
	EXPECT_EQ(min1 - min0 + maj1 - maj0, n);
}

/* A file of the selftests' own directory that no process maps. */
static int unmapped_file(char *path, size_t size)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return -1;
	exe[n] = 0;
	snprintf(path, size, "%s/status_test", dirname(exe));
	return open(path, O_RDONLY);
}

/*
 * A file mapping touched after dropping the page cache faults major (read
 * from its file system); mapped again, its pages are found in the cache.
 */
TEST_F(events, file_major_after_drop_caches_then_minor)
{
	const struct ev *e[64];
	uint64_t min0, maj0, min1, maj1;
	char path[4096];
	size_t i, n, majors = 0;
	int fd, round;

	fd = unmapped_file(path, sizeof(path));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, watch(&self->nl, MMLENS_CMD_WATCH_ADD, getpid(), false, &self->err));
	for (round = 0; round < 2; round++) {
		char *map = mmap(NULL, NPAGES * MMT_PAGE_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
		volatile char sink;

		ASSERT_NE(MAP_FAILED, map);
		if (round == 0) {
			sync();
			ASSERT_EQ(0, mmt_write_file("/proc/sys/vm/drop_caches", "3"));
		}
		faults_of(getpid(), &min0, &maj0);
		for (i = 0; i < NPAGES; i++)
			sink = map[i * MMT_PAGE_SIZE];
		(void)sink;
		faults_of(getpid(), &min1, &maj1);
		self->ev.n = 0;
		drain(self->fd, &self->ev, 300);
		n = faults_in(&self->ev, getpid(), map, NPAGES * MMT_PAGE_SIZE, -1, e, 64);
		EXPECT_LT(0, n);
		for (i = 0, majors = 0; i < n && i < 64; i++) {
			/* A read from the file system may first give up the lock: retry. */
			if (EV(e[i], CLASS) == MMLENS_FAULT_RETRY)
				continue;
			EXPECT_TRUE(EV(e[i], CLASS) == MMLENS_FAULT_FILE_MAJOR ||
				    EV(e[i], CLASS) == MMLENS_FAULT_FILE_MINOR) {
				TH_LOG("class %llu at %#llx, entry %#llx -> %#llx, result %#llx",
				       (unsigned long long)EV(e[i], CLASS),
				       (unsigned long long)EV(e[i], VA),
				       (unsigned long long)EV(e[i], ENTRY_BEFORE),
				       (unsigned long long)EV(e[i], ENTRY_AFTER),
				       (unsigned long long)EV(e[i], RESULT));
			}
			majors += EV(e[i], CLASS) == MMLENS_FAULT_FILE_MAJOR;
		}
		if (round == 0) {
			EXPECT_LT(0, majors) {
				TH_LOG("no major fault on %s after drop_caches", path);
			}
		} else {
			EXPECT_EQ(0, majors);
		}
		EXPECT_EQ(maj1 - maj0, majors);
		munmap(map, NPAGES * MMT_PAGE_SIZE);
	}
	close(fd);
}

/* Two threads of one process on two CPUs; one changes the mappings the other uses. */
static volatile int spinning = 1;

static void *spin(void *arg)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(1, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (spinning)
		;
	return NULL;
}

static void tlb_target(int ack)
{
	pthread_t t;
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	pthread_create(&t, NULL, spin, NULL);
	usleep(100000);
	for (i = 0; i < 200; i++) {
		char *m = mmap(NULL, 8 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		memset(m, 1, 8 * MMT_PAGE_SIZE);
		mprotect(m, 8 * MMT_PAGE_SIZE, PROT_READ);
		munmap(m, 8 * MMT_PAGE_SIZE);
	}
	spinning = 0;
	pthread_join(t, NULL);
	if (write(ack, "d", 1) != 1)
		_exit(1);
	pause();
	_exit(0);
}

TEST_F(events, shootdowns_of_a_two_cpu_process_rise_with_tlb_gen)
{
	struct stats before, after;
	int go[2], ack[2];
	char c;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ack));
	self->p.pid = fork();
	ASSERT_LE(0, self->p.pid);
	if (!self->p.pid) {
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		tlb_target(ack[1]);
	}
	self->p.cmd = go[1];
	self->p.ack = ack[0];
	ASSERT_EQ(0, watch(&self->nl, MMLENS_CMD_WATCH_ADD, self->p.pid, false, &self->err));
	ASSERT_EQ(0, get_stats(&self->nl, self->p.pid, &before, &self->err));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(1, read(ack[0], &c, 1));
	ASSERT_EQ(0, get_stats(&self->nl, self->p.pid, &after, &self->err));

	TH_LOG("tlb_gen %llu -> %llu, remote shootdowns %llu, IPIs sent %llu, local mm %llu",
	       (unsigned long long)before.tlb_gen, (unsigned long long)after.tlb_gen,
	       (unsigned long long)after.tlb[MMLENS_TLB_REMOTE_SHOOTDOWN][MMLENS_A_TLB_COUNT_FLUSHES],
	       (unsigned long long)after.tlb[MMLENS_TLB_REMOTE_SEND_IPI][MMLENS_A_TLB_COUNT_FLUSHES],
	       (unsigned long long)after.tlb[MMLENS_TLB_LOCAL_MM_SHOOTDOWN][MMLENS_A_TLB_COUNT_FLUSHES]);
	EXPECT_LE(before.tlb_gen + 200, after.tlb_gen);
	EXPECT_LT(before.tlb[MMLENS_TLB_REMOTE_SHOOTDOWN][MMLENS_A_TLB_COUNT_FLUSHES],
		  after.tlb[MMLENS_TLB_REMOTE_SHOOTDOWN][MMLENS_A_TLB_COUNT_FLUSHES]);
	EXPECT_LT(before.tlb[MMLENS_TLB_REMOTE_SEND_IPI][MMLENS_A_TLB_COUNT_FLUSHES],
		  after.tlb[MMLENS_TLB_REMOTE_SEND_IPI][MMLENS_A_TLB_COUNT_FLUSHES]);
	EXPECT_LT(before.tlb[MMLENS_TLB_LOCAL_MM_SHOOTDOWN][MMLENS_A_TLB_COUNT_FLUSHES],
		  after.tlb[MMLENS_TLB_LOCAL_MM_SHOOTDOWN][MMLENS_A_TLB_COUNT_FLUSHES]);
}

/*
 * A reader with a tiny receive buffer that reads only at the end loses
 * events, and says so: the events it got plus those counted lost equal the
 * faults /proc/PID/stat counted for the target.
 */
TEST_F(events, flood_into_a_tiny_buffer_counts_every_lost_event)
{
	uint64_t min0, maj0, min1, maj1, got = 0;
	struct stats s0, s1;
	size_t k;
	int i, tries;

	/* The only listener: the kernel's delivery count is then this reader's. */
	close(self->fd);
	self->fd = events_socket(4096);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, puppet_start(&self->p, NULL));
	ASSERT_EQ(0, puppet_do(&self->p, 'w'));	/* anon_vma and stack in place */
	ASSERT_EQ(0, watch(&self->nl, MMLENS_CMD_WATCH_ADD, self->p.pid, false, &self->err));
	ASSERT_EQ(0, get_stats(&self->nl, self->p.pid, &s0, &self->err));
	faults_of(self->p.pid, &min0, &maj0);
	for (i = 0; i < 64; i++) {
		ASSERT_EQ(0, puppet_do(&self->p, 'W'));
		ASSERT_EQ(0, puppet_do(&self->p, 'd'));
	}
	faults_of(self->p.pid, &min1, &maj1);
	/* Wait until the worker has sent (or lost) every event. */
	for (tries = 0; tries < 250; tries++) {
		ASSERT_EQ(0, get_stats(&self->nl, self->p.pid, &s1, &self->err));
		if (s1.events + s1.lost == total_faults(&s1))
			break;
		usleep(20000);
	}
	drain(self->fd, &self->ev, 200);
	for (k = 0; k < self->ev.n; k++)
		got += self->ev.e[k].cmd == MMLENS_CMD_FAULT_NTF &&
		       EV(&self->ev.e[k], PID) == (uint64_t)self->p.pid &&
		       EV(&self->ev.e[k], TIMESTAMP_NS) > 0;
	TH_LOG("faults %llu, got %llu, lost %llu, socket overruns %lu",
	       (unsigned long long)(min1 - min0 + maj1 - maj0), (unsigned long long)got,
	       (unsigned long long)(s1.lost - s0.lost), self->ev.overruns);
	EXPECT_LT(0, s1.lost - s0.lost);
	EXPECT_EQ(s1.events - s0.events, got);
	EXPECT_EQ(min1 - min0 + maj1 - maj0, got + s1.lost - s0.lost);
	EXPECT_EQ(min1 - min0 + maj1 - maj0, total_faults(&s1) - total_faults(&s0));
}

static int kprobe_armed(void)
{
	char buf[1 << 16], *line;

	if (access("/sys/kernel/debug/kprobes", F_OK))
		mmt_system("mount -t debugfs none /sys/kernel/debug 2>/dev/null");
	if (mmt_read_file("/sys/kernel/debug/kprobes/list", buf, sizeof(buf)))
		return -1;
	/* mmlens keeps its kretprobe registered but disabled (no breakpoint) when idle. */
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, "handle_mm_fault") && !strstr(line, "[DISABLED]"))
			return 1;
	return 0;
}

/* Probes go away with the last watch (from a worker: poll a little). */
static int wait_disarmed(void)
{
	int i, armed = 1;

	for (i = 0; i < 100 && armed == 1; i++) {
		armed = kprobe_armed();
		if (armed == 1)
			usleep(20000);
	}
	return armed;
}

TEST_F(events, closing_the_socket_ends_its_watches_and_disarms_the_probes)
{
	struct mmlens_nl other;
	struct stats s;

	if (kprobe_armed() < 0)
		SKIP(return, "no /sys/kernel/debug/kprobes/list");
	ASSERT_EQ(0, wait_disarmed());
	ASSERT_EQ(0, puppet_start(&self->p, NULL));
	ASSERT_EQ(0, mmlens_nl_open(&other));
	ASSERT_EQ(0, watch(&other, MMLENS_CMD_WATCH_ADD, self->p.pid, false, &self->err));
	EXPECT_EQ(1, kprobe_armed());
	ASSERT_EQ(0, puppet_do(&self->p, 'W'));
	EXPECT_EQ(0, get_stats(&self->nl, self->p.pid, &s, &self->err));
	EXPECT_EQ(NPAGES, s.faults[MMLENS_FAULT_ANON_ZERO_FILL]);
	/* Only the owner can end a watch. */
	EXPECT_EQ(-ENOENT, watch(&self->nl, MMLENS_CMD_WATCH_DEL, self->p.pid, false, &self->err));
	mmlens_nl_close(&other);
	EXPECT_EQ(-ENOENT, get_stats(&self->nl, self->p.pid, &s, &self->err));
	EXPECT_EQ(0, wait_disarmed());
}

TEST_F(events, watch_ends_when_the_process_exits_with_an_exit_event)
{
	size_t i;
	int status;
	bool seen = false;

	ASSERT_EQ(0, puppet_start(&self->p, NULL));
	ASSERT_EQ(0, watch(&self->nl, MMLENS_CMD_WATCH_ADD, self->p.pid, false, &self->err));
	close(self->p.cmd);	/* EOF: it exits with status 0 */
	ASSERT_EQ(self->p.pid, waitpid(self->p.pid, &status, 0));
	drain(self->fd, &self->ev, 300);
	for (i = 0; i < self->ev.n; i++) {
		if (self->ev.e[i].cmd != MMLENS_CMD_EXIT_NTF || EV(&self->ev.e[i], PID) != self->p.pid)
			continue;
		seen = true;
		EXPECT_EQ(status, EV(&self->ev.e[i], EXIT_CODE));
	}
	EXPECT_TRUE(seen);
	/* It was the only watch: its end disarms the probes. */
	if (kprobe_armed() >= 0)
		EXPECT_EQ(0, wait_disarmed());
	close(self->p.ack);
	self->p.pid = -1;
}

/*
 * A process that provokes four faults the kernel answers with a signal, and
 * catches each to record what the signal said.  A read where nothing is
 * mapped (SEGV_MAPERR), a write to a read-only page and a jump into a
 * non-executable one (SEGV_ACCERR) never reach the core mm; a read past the
 * end of a mapped file does and fails there (SIGBUS, BUS_ADRERR).
 */
#define NR_BAD 4

struct caught {
	int signo, code;
	uint64_t addr;
};

static sigjmp_buf bad_jmp;
static struct caught bad_caught;

static void bad_handler(int sig, siginfo_t *si, void *uc)
{
	bad_caught.signo = sig;
	bad_caught.code = si->si_code;
	bad_caught.addr = (uint64_t)si->si_addr;
	siglongjmp(bad_jmp, 1);
}

static void __attribute__((noreturn)) misbehave(int cmd, int ack)
{
	struct sigaction sa = { .sa_sigaction = bad_handler, .sa_flags = SA_SIGINFO };
	char *gone, *ro, *nx, *file;
	struct caught got[NR_BAD];
	volatile char sink;
	int fd, i;
	char c;

	gone = mmap(NULL, MMT_PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, MMT_PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	nx = mmap(NULL, MMT_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = memfd_create("mmlens-sigbus", 0);
	if (gone == MAP_FAILED || ro == MAP_FAILED || nx == MAP_FAILED || fd < 0 ||
	    ftruncate(fd, MMT_PAGE_SIZE) || munmap(gone, MMT_PAGE_SIZE))
		_exit(1);
	/* Two pages of a one-page file: the second is past its end. */
	file = mmap(NULL, 2 * MMT_PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (file == MAP_FAILED || sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		_exit(1);
	nx[0] = (char)0xc3;	/* ret */
	if (read(cmd, &c, 1) != 1)
		_exit(1);
	for (i = 0; i < NR_BAD; i++) {
		memset(&bad_caught, 0, sizeof(bad_caught));
		if (!sigsetjmp(bad_jmp, 1)) {
			if (i == 0)
				sink = *gone;
			else if (i == 1)
				*(volatile char *)ro = 1;
			else if (i == 2)
				((void (*)(void))nx)();
			else
				sink = file[MMT_PAGE_SIZE];
		}
		got[i] = bad_caught;
	}
	(void)sink;
	if (write(ack, got, sizeof(got)) != sizeof(got))
		_exit(1);
	/* Still watched until told to go: the test reads the counters first. */
	read(cmd, &c, 1);
	_exit(0);
}

TEST_F(events, faults_that_raise_sigsegv_or_sigbus_are_errors_with_the_signal)
{
	static const struct { int signo, code, access; } want[NR_BAD] = {
		{ SIGSEGV, SEGV_MAPERR, MMLENS_ACCESS_READ },
		{ SIGSEGV, SEGV_ACCERR, MMLENS_ACCESS_WRITE },
		{ SIGSEGV, SEGV_ACCERR, MMLENS_ACCESS_EXEC },
		{ SIGBUS, BUS_ADRERR, MMLENS_ACCESS_READ },
	};
	struct caught got[NR_BAD];
	const struct ev *e[NR_BAD];
	int to[2], from[2], i;
	struct stats s;
	size_t n = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(to));
	ASSERT_EQ(0, pipe(from));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(to[1]);
		close(from[0]);
		misbehave(to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	ASSERT_EQ(0, watch(&self->nl, MMLENS_CMD_WATCH_ADD, pid, false, &self->err));
	ASSERT_EQ(1, write(to[1], "g", 1));
	ASSERT_EQ(sizeof(got), read(from[0], got, sizeof(got)));
	drain(self->fd, &self->ev, 300);
	ASSERT_EQ(0, get_stats(&self->nl, pid, &s, &self->err));
	close(to[1]);
	close(from[0]);
	waitpid(pid, NULL, 0);

	for (i = 0; i < (int)self->ev.n && n < NR_BAD; i++)
		if (self->ev.e[i].cmd == MMLENS_CMD_FAULT_NTF && EV(&self->ev.e[i], PID) == pid &&
		    EV(&self->ev.e[i], CLASS) == MMLENS_FAULT_ERROR)
			e[n++] = &self->ev.e[i];
	ASSERT_EQ(NR_BAD, n);
	EXPECT_EQ(NR_BAD, s.faults[MMLENS_FAULT_ERROR]);
	for (i = 0; i < NR_BAD; i++) {
		/* What the process itself was told, then the event against it. */
		EXPECT_EQ(want[i].signo, got[i].signo);
		EXPECT_EQ(want[i].code, got[i].code);
		EXPECT_EQ(got[i].addr, EV(e[i], VA));
		EXPECT_EQ(got[i].signo, EV(e[i], SIGNAL));
		EXPECT_EQ(got[i].code, (int)EV(e[i], SIGNAL_CODE));
		EXPECT_EQ(want[i].access, EV(e[i], ACCESS));
		EXPECT_TRUE(EV(e[i], FAULT_FLAGS) & MMLENS_FAULT_F_USER);
		/* Reported once, when the signal is raised, never as a handled fault. */
		EXPECT_FALSE(EVHAS(e[i], LEVEL) || EVHAS(e[i], ENTRY_BEFORE) || EVHAS(e[i], RESULT));
	}
}

TEST(joining_the_events_group_needs_cap_sys_admin)
{
	ASSERT_EQ(0, setgroups(0, NULL));
	ASSERT_EQ(0, setgid(65534));
	ASSERT_EQ(0, setuid(65534));
	EXPECT_EQ(-1, events_socket(0));
	EXPECT_EQ(EPERM, errno);
}

/*
 * rmmod while a process is watched and events stream; then load it again.
 * Unloading disarms the probes (kernel text patched on every CPU): on the
 * debug kernel, on a busy host, that alone took longer than the harness's
 * default 30 s.
 */
TEST_F_TIMEOUT(events, rmmod_during_a_live_stream_then_reload, 600)
{
	struct mmlens_nl again;
	char path[4096];

	if (mmt_module_path(path, sizeof(path)))
		SKIP(return, "module path unknown (no mmlens_kmod= on the kernel command line)");
	ASSERT_EQ(0, puppet_start(&self->p, NULL));
	ASSERT_EQ(0, watch(&self->nl, MMLENS_CMD_WATCH_ADD, self->p.pid, true, &self->err));
	ASSERT_EQ(0, puppet_do(&self->p, 'L'));
	drain(self->fd, &self->ev, 100);
	EXPECT_LT(0, self->ev.n);
	ASSERT_EQ(0, mmt_system("rmmod mmlens"));
	EXPECT_EQ(-ENOENT, mmlens_nl_open(&again));
	ASSERT_EQ(0, mmt_system("insmod %s", path));
	ASSERT_EQ(0, mmlens_nl_open(&again));
	mmlens_nl_close(&again);
}

/* ---- a process that faults as fast as it can and exits at once ---------- */

#define SPRINT_PAGES 16384
/* Rounds of each test: each CPU, a receive buffer that keeps up and one that cannot. */
#define SPRINT_ROUNDS 4
/* On the debug kernel, under TCG, a round takes tens of seconds. */
#define SPRINT_TIMEOUT_S 900

/* fault_sprint beside this program (selftests/fault_sprint.c). */
static int sprint_path(char *path, size_t size)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -1;
	self[n] = '\0';
	return snprintf(path, size, "%s/fault_sprint", dirname(self)) >= (int)size ? -1 : 0;
}

/* fault_sprint started on pipes: it waits for go, and with stay for a second byte to exit. */
struct sprinter {
	pid_t pid;
	int ready, go;		/* our ends */
};

static int sprinter_start(struct sprinter *sp, int pages, int cpu, bool stay)
{
	char path[4096], a[16], b[16], c[16], d[16], ack;
	int ready[2], go[2];

	if (sprint_path(path, sizeof(path)) || pipe(ready) || pipe(go))
		return -1;
	sp->pid = fork();
	if (sp->pid < 0)
		return -1;
	if (!sp->pid) {
		close(ready[0]);
		close(go[1]);
		snprintf(a, sizeof(a), "%d", pages);
		snprintf(b, sizeof(b), "%d", cpu);
		snprintf(c, sizeof(c), "%d", ready[1]);
		snprintf(d, sizeof(d), "%d", go[0]);
		execl(path, "fault_sprint", a, b, c, d, stay ? "stay" : (char *)NULL, (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	close(go[0]);
	sp->ready = ready[0];
	sp->go = go[1];
	/* Ready: everything but its region touched. */
	return read(sp->ready, &ack, 1) == 1 ? 0 : -1;
}

/* Its own count of the faults of its region, once it faulted them all; 0 if none came. */
static uint64_t sprinter_counted(struct sprinter *sp)
{
	char line[160];
	int n = read(sp->ready, line, sizeof(line) - 1);

	if (n <= 0)
		return 0;
	line[n] = '\0';
	return strstr(line, " faults ") ? strtoull(strstr(line, " faults ") + 8, NULL, 10) : 0;
}

/* Lets it exit (or start, if it has not); returns its wait status. */
static int sprinter_end(struct sprinter *sp)
{
	int status = -1;

	close(sp->go);
	close(sp->ready);
	if (waitpid(sp->pid, &status, 0) != sp->pid)
		return -1;
	return status;
}

/* WATCH_ADD's reply: where the events of this watch begin. */
static int watch_seq_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MMLENS_A_WATCH_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MMLENS_A_WATCH_MAX, NULL) ||
	    !tb[MMLENS_A_WATCH_SEQ])
		return -EBADMSG;
	*(uint64_t *)arg = nla_get_u64(tb[MMLENS_A_WATCH_SEQ]);
	return 0;
}

/* What one process's stream held, up to its exit event. */
struct sprint_stream {
	uint64_t received, faults, lost, seq;	/* seq: the latest number received */
	bool exited;
	uint64_t exit_code;
};

/* Reads the events of pid from fd until its exit event, 60 s at most. */
static void read_until_exit(int fd, pid_t pid, struct evlist *l, struct sprint_stream *st)
{
	static char buf[1 << 16];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	double end = now_ms() + 60000;
	size_t k = l->n;

	while (!st->exited && now_ms() < end) {
		int n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS)
			l->overruns++;
		if (n <= 0)
			continue;
		parse_datagram(l, buf, n);
		for (; k < l->n; k++) {
			const struct ev *e = &l->e[k];

			/* Not ours, or a last event sent again. */
			if (EV(e, PID) != (uint64_t)pid || EV(e, SEQ) <= st->seq)
				continue;
			st->lost += EV(e, SEQ) - st->seq - 1;
			st->seq = EV(e, SEQ);
			st->received++;
			st->faults += e->cmd == MMLENS_CMD_FAULT_NTF;
			if (e->cmd == MMLENS_CMD_EXIT_NTF) {
				st->exited = true;
				st->exit_code = EV(e, EXIT_CODE);
			}
		}
	}
}

/*
 * Watched from a socket of its own, in rounds on each CPU, half of them
 * through a receive buffer of 4 KiB that drops most datagrams: each time the
 * exit event comes last, and the fault events received plus those whose
 * numbers never came equal the faults the process counted itself.
 */
TEST_F_TIMEOUT(events, fast_faulter_that_exits_at_once_loses_nothing_silently, SPRINT_TIMEOUT_S)
{
	uint64_t tiny_lost = 0, seq0, counted;
	int round, status;

	for (round = 0; round < SPRINT_ROUNDS; round++) {
		struct sprint_stream st = { 0 };
		int cpu = round % 2;
		bool tiny = round & 2;
		struct sprinter sp;
		struct nl_msg *msg;

		close(self->fd);
		self->fd = events_socket(tiny ? 4096 : 4 << 20);
		ASSERT_LE(0, self->fd);
		self->ev.n = self->ev.overruns = 0;
		ASSERT_EQ(0, sprinter_start(&sp, SPRINT_PAGES, cpu, false));
		msg = mmlens_nl_request(&self->nl, MMLENS_CMD_WATCH_ADD, 0);
		ASSERT_NE(NULL, msg);
		nla_put_u32(msg, MMLENS_A_WATCH_PID, sp.pid);
		ASSERT_EQ(0, mmlens_nl_transact(&self->nl, msg, watch_seq_cb, &seq0, &self->err));
		st.seq = seq0;
		ASSERT_EQ(1, write(sp.go, "", 1));
		read_until_exit(self->fd, sp.pid, &self->ev, &st);
		counted = sprinter_counted(&sp);
		status = sprinter_end(&sp);
		TH_LOG("round %d, cpu %d, %s buffer: counted %llu, faults received %llu, "
		       "lost %llu, socket overruns %lu", round, cpu, tiny ? "4 KiB" : "4 MiB",
		       (unsigned long long)counted, (unsigned long long)st.faults,
		       (unsigned long long)st.lost, self->ev.overruns);
		EXPECT_EQ(0, status);
		EXPECT_EQ(SPRINT_PAGES, counted);
		/* Its last event came: nothing of it is left to come. */
		EXPECT_TRUE(st.exited);
		EXPECT_EQ(status, st.exit_code);
		/* The exit is the one event that is not a fault, and it came. */
		EXPECT_EQ(counted, st.faults + st.lost);
		if (tiny)
			tiny_lost += st.lost;
		else
			EXPECT_EQ(0, st.lost);
	}
	/* The small buffer really dropped events: the count was put to the test. */
	EXPECT_LT(0, tiny_lost);
}

/* ---- the same through the CLI ------------------------------------------- */

/* A JSON line's member, NULL if absent. */
static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static int64_t member_int(struct json_object *o, const char *key)
{
	return json_object_get_int64(member(o, key));
}

/* What mmlens --json printed, with what fault_sprint printed among it. */
struct cli_output {
	struct json_object *lines;	/* every JSON line, in order */
	struct sprint_report {
		pid_t pid;
		uint64_t start, end, counted;
	} reports[8];
	int nreports;
	int torn;			/* lines neither JSON nor a report */
};

static void cli_read(FILE *f, struct cli_output *o)
{
	char line[4096];

	memset(o, 0, sizeof(*o));
	o->lines = json_object_new_array();
	while (fgets(line, sizeof(line), f)) {
		struct sprint_report *r = &o->reports[o->nreports];
		unsigned long long a, b, n;
		struct json_object *obj;
		int pid;

		if (sscanf(line, "fault_sprint: pid %d region %llx-%llx faults %llu",
			   &pid, &a, &b, &n) == 4 && o->nreports < 8) {
			*r = (struct sprint_report){ pid, a, b, n };
			o->nreports++;
			continue;
		}
		obj = json_tokener_parse(line);
		if (!obj) {
			o->torn++;
			fprintf(stderr, "# not JSON: %s", line);
			continue;
		}
		json_object_array_add(o->lines, obj);
	}
}

/* Runs cmd through sh and reads its output; returns its wait status (-1: not run). */
static int cli_run(const char *cmd, struct cli_output *o)
{
	FILE *f = popen(cmd, "r");

	if (!f)
		return -1;
	cli_read(f, o);
	return pclose(f);
}

/* The last line of that type (about pid, if pid > 0); NULL if none. */
static struct json_object *cli_last(const struct cli_output *o, const char *type, pid_t pid)
{
	size_t i = json_object_array_length(o->lines);

	while (i-- > 0) {
		struct json_object *l = json_object_array_get_idx(o->lines, i);

		if (!strcmp(json_object_get_string(member(l, "type")), type) &&
		    (pid <= 0 || member_int(l, "pid") == pid))
			return l;
	}
	return NULL;
}

/* The summary's entry of pid. */
static struct json_object *cli_process(const struct cli_output *o, pid_t pid)
{
	struct json_object *summary = cli_last(o, "summary", 0);
	struct json_object *procs = summary ? member(summary, "processes") : NULL;
	size_t i;

	for (i = 0; procs && i < json_object_array_length(procs); i++)
		if (member_int(json_object_array_get_idx(procs, i), "pid") == pid)
			return json_object_array_get_idx(procs, i);
	return NULL;
}

/* Fault lines of pid with an address in [start, end). */
static uint64_t cli_faults_in(const struct cli_output *o, pid_t pid, uint64_t start, uint64_t end)
{
	uint64_t n = 0, va;
	size_t i;

	for (i = 0; i < json_object_array_length(o->lines); i++) {
		struct json_object *l = json_object_array_get_idx(o->lines, i);

		if (strcmp(json_object_get_string(member(l, "type")), "fault") ||
		    member_int(l, "pid") != pid)
			continue;
		va = strtoull(json_object_get_string(member(l, "va")), NULL, 16);
		n += va >= start && va < end;
	}
	return n;
}

/*
 * A process the CLI followed to its last event: that event came with the
 * number of all the process produced (an exit, with status 0), and the
 * summary's events and lost add up to it; the fault lines in its region
 * account for the faults it counted (all of them when nothing was lost).
 * Returns its lost events.
 */
static int64_t check_accounted(struct __test_metadata *_metadata, const struct cli_output *o,
			       const struct sprint_report *r, const char *last_type)
{
	struct json_object *last = cli_last(o, last_type, r->pid);
	struct json_object *proc = cli_process(o, r->pid);
	uint64_t in_region = cli_faults_in(o, r->pid, r->start, r->end);
	int64_t lost;

	EXPECT_NE(NULL, last) TH_LOG("pid %d: no %s line", r->pid, last_type);
	EXPECT_NE(NULL, proc) TH_LOG("pid %d: not in the summary", r->pid);
	if (!last || !proc)
		return 0;
	if (!strcmp(last_type, "exit")) {
		EXPECT_EQ(json_type_int, json_object_get_type(member(last, "exit_code")));
		EXPECT_EQ(0, member_int(last, "exit_code"));
	}
	lost = member_int(proc, "lost");
	TH_LOG("pid %d: counted %llu, fault lines in its region %llu, events %lld, lost %lld, "
	       "last event number %lld", r->pid, (unsigned long long)r->counted,
	       (unsigned long long)in_region, (long long)member_int(proc, "events"),
	       (long long)lost, (long long)member_int(last, "seq"));
	EXPECT_EQ(member_int(last, "seq"), member_int(proc, "events") + lost);
	if (!lost) {
		EXPECT_EQ(r->counted, in_region);
	} else {
		EXPECT_LE(in_region, r->counted);
		EXPECT_LE(r->counted, in_region + lost);
	}
	return lost;
}

/*
 * `mmlens run --json` of a command that faults and exits at once, with the
 * CLI's own buffer and with one small enough to lose events: the exit line
 * comes with the command's status, and everything it produced is accounted.
 */
TEST_F_TIMEOUT(events, run_of_a_fast_faulter_counts_every_event_it_does_not_print,
	       SPRINT_TIMEOUT_S)
{
	char cli[4096], path[4096], cmd[8400];
	int64_t tiny_lost = 0;
	int round;

	ASSERT_EQ(0, mmt_find_cli(cli, sizeof(cli)));
	ASSERT_EQ(0, sprint_path(path, sizeof(path)));
	for (round = 0; round < SPRINT_ROUNDS; round++) {
		struct cli_output o;
		bool tiny = round >= 2;
		int64_t lost;

		snprintf(cmd, sizeof(cmd), "MMLENS_RCVBUF=%d %s --json run -- %s %d %d",
			 tiny ? 8192 : 16 << 20, cli, path, SPRINT_PAGES, round % 2);
		/* run exits with the command's status. */
		EXPECT_EQ(0, cli_run(cmd, &o));
		EXPECT_EQ(0, o.torn);
		ASSERT_EQ(1, o.nreports);
		EXPECT_EQ(SPRINT_PAGES, o.reports[0].counted);
		lost = check_accounted(_metadata, &o, &o.reports[0], "exit");
		if (tiny)
			tiny_lost += lost;
		else
			EXPECT_EQ(0, lost);
		json_object_put(o.lines);
	}
	EXPECT_LT(0, tiny_lost);
}

/* mmlens --json watch PID, its standard output on a pipe. */
static pid_t cli_watch(const char *cli, pid_t pid, int rcvbuf, FILE **out)
{
	char p[16], buf[16];
	int fds[2];
	pid_t c;

	if (pipe(fds))
		return -1;
	c = fork();
	if (c < 0)
		return -1;
	if (!c) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		snprintf(p, sizeof(p), "%d", pid);
		snprintf(buf, sizeof(buf), "%d", rcvbuf);
		setenv("MMLENS_RCVBUF", buf, 1);
		execl(cli, cli, "--json", "watch", p, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	*out = fdopen(fds[0], "r");
	return c;
}

/*
 * A fault_sprint that stays, watched by `mmlens --json watch` through a
 * receive buffer of rcvbuf bytes: once it has faulted all its pages, its
 * own count in *counted; returns the CLI's PID (its output in *out), or -1.
 */
static pid_t watched_sprint(const char *cli, int rcvbuf,
			    struct sprinter *sp, uint64_t *counted, FILE **out)
{
	pid_t c;

	if (sprinter_start(sp, SPRINT_PAGES, -1, true))
		return -1;
	c = cli_watch(cli, sp->pid, rcvbuf, out);
	if (c < 0 || mmt_wait_watched(sp->pid) || write(sp->go, "", 1) != 1)
		return -1;
	*counted = sprinter_counted(sp);
	return c;
}

/*
 * Ctrl-C while a process is watched: the CLI asks how many events it had
 * produced, takes those still on their way, and counts the rest as lost:
 * the summary's events and lost add up to the faults the process counted.
 */
TEST_F_TIMEOUT(events, ctrl_c_takes_or_counts_every_event_produced_until_then, SPRINT_TIMEOUT_S)
{
	int64_t tiny_lost = 0;
	char cli[4096];
	int tiny;

	ASSERT_EQ(0, mmt_find_cli(cli, sizeof(cli)));
	for (tiny = 0; tiny < 2; tiny++) {
		struct json_object *proc;
		uint64_t counted;
		struct cli_output o;
		struct sprinter sp;
		int status;
		pid_t c;
		FILE *f;

		c = watched_sprint(cli, tiny ? 8192 : 16 << 20, &sp, &counted, &f);
		ASSERT_LT(0, c);
		EXPECT_EQ(SPRINT_PAGES, counted);
		ASSERT_EQ(0, kill(c, SIGINT));
		cli_read(f, &o);
		fclose(f);
		ASSERT_EQ(c, waitpid(c, &status, 0));
		EXPECT_EQ(0, status);
		EXPECT_EQ(0, o.torn);
		proc = cli_process(&o, sp.pid);
		ASSERT_NE(NULL, proc);
		TH_LOG("%s buffer: counted %llu, events %lld, lost %lld", tiny ? "8 KiB" : "16 MiB",
		       (unsigned long long)counted, (long long)member_int(proc, "events"),
		       (long long)member_int(proc, "lost"));
		EXPECT_FALSE(json_object_get_boolean(member(proc, "exited")));
		EXPECT_EQ(counted, member_int(proc, "events") + member_int(proc, "lost"));
		EXPECT_EQ(member_int(proc, "events"), member_int(proc, "faults"));
		if (tiny)
			tiny_lost += member_int(proc, "lost");
		else
			EXPECT_EQ(0, member_int(proc, "lost"));
		EXPECT_EQ(0, sprinter_end(&sp));
		json_object_put(o.lines);
	}
	EXPECT_LT(0, tiny_lost);
}

/*
 * The module unloaded under a watch: the process's last event is the end of
 * the watch, after all it produced; the CLI ends there with everything
 * accounted, and the module loads again.
 */
TEST_F_TIMEOUT(events, unload_ends_the_stream_after_every_event_produced, SPRINT_TIMEOUT_S)
{
	struct json_object *proc, *end;
	char cli[4096], path[4096];
	uint64_t counted;
	struct cli_output o;
	struct sprinter sp;
	int status;
	pid_t c;
	FILE *f;

	if (mmt_module_path(path, sizeof(path)))
		SKIP(return, "module path unknown (no mmlens_kmod= on the kernel command line)");
	ASSERT_EQ(0, mmt_find_cli(cli, sizeof(cli)));
	c = watched_sprint(cli, 16 << 20, &sp, &counted, &f);
	ASSERT_LT(0, c);
	EXPECT_EQ(SPRINT_PAGES, counted);
	mmlens_nl_close(&self->nl);
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, mmt_system("rmmod mmlens"));
	cli_read(f, &o);
	fclose(f);
	ASSERT_EQ(c, waitpid(c, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, o.torn);
	end = cli_last(&o, "end", sp.pid);
	proc = cli_process(&o, sp.pid);
	ASSERT_NE(NULL, end);
	ASSERT_NE(NULL, proc);
	EXPECT_TRUE(json_object_get_boolean(member(proc, "module_unloaded")));
	/* Its faults and the end itself, received or lost. */
	EXPECT_EQ(counted + 1, member_int(proc, "events") + member_int(proc, "lost"));
	EXPECT_EQ(member_int(end, "seq"), member_int(proc, "events") + member_int(proc, "lost"));
	EXPECT_EQ(0, member_int(proc, "lost"));
	EXPECT_EQ(0, sprinter_end(&sp));
	json_object_put(o.lines);
	ASSERT_EQ(0, mmt_system("insmod %s", path));
	ASSERT_EQ(0, mmlens_nl_open(&self->nl));
}

/*
 * `mmlens run --follow` of a shell whose children and grandchild fault and
 * exit at once: each process's stream ends with its exit, and each one's
 * faults are accounted.
 */
TEST_F_TIMEOUT(events, follow_accounts_for_every_process_of_a_chain, SPRINT_TIMEOUT_S)
{
	char cli[4096], path[4096], cmd[16600];
	struct cli_output o;
	int i;

	ASSERT_EQ(0, mmt_find_cli(cli, sizeof(cli)));
	ASSERT_EQ(0, sprint_path(path, sizeof(path)));
	snprintf(cmd, sizeof(cmd), "%s --json run --follow -- sh -c "
		 "'%s 4096 0 & sh -c \"%s 4096 1; true\" & %s 4096 -1; wait'",
		 cli, path, path, path);
	EXPECT_EQ(0, cli_run(cmd, &o));
	EXPECT_EQ(0, o.torn);
	ASSERT_EQ(3, o.nreports);
	for (i = 0; i < o.nreports; i++) {
		EXPECT_EQ(4096, o.reports[i].counted);
		EXPECT_EQ(0, check_accounted(_metadata, &o, &o.reports[i], "exit"));
	}
	/* The shells are followed to their exits too. */
	EXPECT_EQ(0, member_int(cli_last(&o, "summary", 0), "lost"));
	for (i = 0; i < (int)json_object_array_length(member(cli_last(&o, "summary", 0),
							    "processes")); i++)
		EXPECT_TRUE(json_object_get_boolean(member(json_object_array_get_idx(
			member(cli_last(&o, "summary", 0), "processes"), i), "exited")));
	json_object_put(o.lines);
}

TEST_HARNESS_MAIN
