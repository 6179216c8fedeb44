// SPDX-License-Identifier: GPL-2.0
/*
 * What mmlens must refuse, and what it must never tell.
 *
 *  - Root of a new user namespace has every capability, but in that
 *    namespace only: each command it sends gets -EPERM, and joining the
 *    events group fails.
 *  - The family exists in the initial network namespace only: from another
 *    one it does not resolve, each command sent to its id (resolved before
 *    leaving) gets the genetlink core's -ENOENT, and no event reaches a
 *    listener there.
 *  - Inputs at the edges, with their exact errno and extack message or
 *    their exact data: PIDs 0, 1, -1, INT_MAX, pid_max + 1 and around
 *    PID_MAX_LIMIT; addresses 0, TASK_SIZE - 1, TASK_SIZE, the non-canonical
 *    hole and the kernel half; ranges of no length and of the whole space;
 *    PFNs 0, max_pfn, max_pfn + 1 and beyond any physical address.
 *  - No kernel address in what mmlens tells: the netlink messages of the
 *    whole suite are audited by libmmlens (userspace/audit.h; a PTE marker
 *    here shows why raw entries are left out of that audit), and the CLI's
 *    text and JSON, of every command on live processes, are scanned here;
 *    a fault on a kernel address is never reported as an event.
 *
 * Callers without CAP_SYS_ADMIN (uid nobody) are refused in errors_test.c
 * for every command but GET_STATUS, and in status_test.c for GET_STATUS,
 * which has the same rule (status.c calls mmlens_check_caller() first like
 * every other command); errors of targets and attributes in general are in
 * errors_test.c too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json.h>
#include <linux/userfaultfd.h>
#include <netlink/genl/ctrl.h>

#include "audit.h"
#include "kselftest_harness.h"
#include "mmtest.h"

#define CAP_SYS_ADMIN_BIT 21
/* include/linux/threads.h on 64-bit: the highest PID the policy accepts. */
#define PID_MAX_LIMIT (4 * 1024 * 1024)
/* The genl policy's answer to an integer outside its range (lib/nlattr.c). */
#define OUT_OF_RANGE "integer out of range"
#define NOT_USER "address is not a user address"
#define NO_MEMMAP "no memory map for this pfn"
#define NEED_CAP "mmlens requires CAP_SYS_ADMIN in the initial user namespace"

static uint64_t task_size(int levels)
{
	return (levels == 5 ? 1ULL << 56 : 1ULL << 47) - MMT_PAGE_SIZE;
}

/* Where the kernel half starts in this paging mode (the hole ends there). */
static uint64_t kernel_half(int levels)
{
	return levels == 5 ? 0xff00000000000000ULL : 0xffff800000000000ULL;
}

/* ---- every command, from where it must be refused ------------------------ */

/*
 * Sends cmd in a form only the caller's rights can fail: this process as
 * the target, a mapped address, PFN 1 (RAM on a PC), the global counters.
 */
static int ask(struct mmlens_nl *nl, uint8_t cmd, struct mmlens_nl_err *err)
{
	int dump = cmd == MMLENS_CMD_GET_VMA || cmd == MMLENS_CMD_GET_PTE;
	struct nl_msg *msg = mmlens_nl_request(nl, cmd, dump ? NLM_F_DUMP : 0);
	uint64_t va = (uint64_t)&msg & ~(MMT_PAGE_SIZE - 1);
	int ret = 0;

	if (!msg)
		return -ENOMEM;
	switch (cmd) {
	case MMLENS_CMD_GET_MM:
		ret = nla_put_u32(msg, MMLENS_A_MM_PID, getpid());
		break;
	case MMLENS_CMD_GET_VMA:
		ret = nla_put_u32(msg, MMLENS_A_VMA_PID, getpid());
		break;
	case MMLENS_CMD_TRANSLATE:
		ret = nla_put_u32(msg, MMLENS_A_WALK_PID, getpid()) ||
		      nla_put_u64(msg, MMLENS_A_WALK_VA, va);
		break;
	case MMLENS_CMD_GET_PTE:
		ret = nla_put_u32(msg, MMLENS_A_PTE_PID, getpid());
		break;
	case MMLENS_CMD_GET_FRAME:
		ret = nla_put_u64(msg, MMLENS_A_FRAME_PFN, 1);
		break;
	case MMLENS_CMD_WATCH_ADD:
	case MMLENS_CMD_WATCH_DEL:
		ret = nla_put_u32(msg, MMLENS_A_WATCH_PID, getpid());
		break;
	}
	if (ret) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	memset(err, 0, sizeof(*err));
	return mmlens_nl_transact(nl, msg, NULL, NULL, err);
}

/* CapEff of this process, from /proc/self/status. */
static uint64_t effective_caps(void)
{
	char status[4096], *p;

	if (mmt_read_file("/proc/self/status", status, sizeof(status)))
		return 0;
	p = strstr(status, "CapEff:");
	return p ? strtoull(p + strlen("CapEff:"), NULL, 16) : 0;
}

/*
 * Becomes root of a new user namespace, mapped to root outside: every
 * capability, in this namespace only.  With CLONE_NEWNET in flags, of a
 * network namespace it owns, too.  Returns 0 or -errno.
 */
static int become_namespace_root(int flags)
{
	if (unshare(CLONE_NEWUSER | flags))
		return -errno;
	return mmt_write_file("/proc/self/setgroups", "deny") ?:
	       mmt_write_file("/proc/self/uid_map", "0 0 1") ?:
	       mmt_write_file("/proc/self/gid_map", "0 0 1");
}

/* False (the test skipped) on a kernel built without user namespaces. */
static bool enter_user_namespace(struct __test_metadata *_metadata)
{
	int ret = become_namespace_root(0);

	if (ret == -EINVAL)
		SKIP(return false, "this kernel has no user namespaces (CONFIG_USER_NS)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, getuid());
	ASSERT_TRUE(effective_caps() & (1ULL << CAP_SYS_ADMIN_BIT));
	return true;
}

static void from_root_in_a_user_namespace(struct __test_metadata *_metadata, uint8_t cmd)
{
	struct mmlens_nl_err err;
	struct mmlens_nl nl;

	if (!enter_user_namespace(_metadata))
		return;
	/* Same network namespace: the family is there, and visible. */
	ASSERT_EQ(0, mmlens_nl_open(&nl));
	EXPECT_EQ(-EPERM, ask(&nl, cmd, &err));
	EXPECT_STREQ(NEED_CAP, err.msg);
	mmlens_nl_close(&nl);
}

/*
 * A generic netlink socket that takes family as the family's id, without
 * asking the controller, which would not know it here.
 */
static int open_with_family(struct mmlens_nl *nl, int family)
{
	const int one = 1;

	nl->rx = NULL;
	nl->family = family;
	nl->sock = nl_socket_alloc();
	if (!nl->sock)
		return -ENOMEM;
	if (nl_connect(nl->sock, NETLINK_GENERIC) < 0 ||
	    setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		       sizeof(one))) {
		mmlens_nl_close(nl);
		return -EIO;
	}
	return 0;
}

static void from_another_network_namespace(struct __test_metadata *_metadata, uint8_t cmd)
{
	struct mmlens_nl_err err;
	struct mmlens_nl nl;
	int family;

	ASSERT_EQ(0, mmlens_nl_open(&nl));
	family = nl.family;
	mmlens_nl_close(&nl);
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, open_with_family(&nl, family));
	/*
	 * genl_family_rcv_msg(): "this family doesn't exist in this netns",
	 * before mmlens sees the request, and without an extack message.
	 */
	EXPECT_EQ(-ENOENT, ask(&nl, cmd, &err));
	EXPECT_STREQ("", err.msg);
	mmlens_nl_close(&nl);
}

#define REFUSED(name, cmd)							\
	TEST(name##_from_root_in_a_user_namespace_gets_eperm)			\
	{									\
		from_root_in_a_user_namespace(_metadata, cmd);			\
	}									\
	TEST(name##_from_another_network_namespace_gets_enoent)		\
	{									\
		from_another_network_namespace(_metadata, cmd);		\
	}

REFUSED(get_status, MMLENS_CMD_GET_STATUS)
REFUSED(get_mm, MMLENS_CMD_GET_MM)
REFUSED(get_vma_dump, MMLENS_CMD_GET_VMA)
REFUSED(translate, MMLENS_CMD_TRANSLATE)
REFUSED(get_pte_dump, MMLENS_CMD_GET_PTE)
REFUSED(get_frame, MMLENS_CMD_GET_FRAME)
REFUSED(watch_add, MMLENS_CMD_WATCH_ADD)
REFUSED(watch_del, MMLENS_CMD_WATCH_DEL)
REFUSED(get_stats, MMLENS_CMD_GET_STATS)

TEST(family_and_events_group_do_not_resolve_in_another_network_namespace)
{
	struct nl_sock *sk;
	struct mmlens_nl nl;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	EXPECT_EQ(-ENOENT, mmlens_nl_open(&nl));
	sk = nl_socket_alloc();
	ASSERT_NE(NULL, sk);
	ASSERT_EQ(0, genl_connect(sk));
	EXPECT_GT(0, genl_ctrl_resolve(sk, MMLENS_GENL_NAME));
	EXPECT_GT(0, genl_ctrl_resolve_grp(sk, MMLENS_GENL_NAME, MMLENS_MCGRP_EVENTS));
	nl_socket_free(sk);
}

/* The id of the events group, resolved here; -1 if it cannot be. */
static int events_group(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int group = -1;

	if (sk && !genl_connect(sk))
		group = genl_ctrl_resolve_grp(sk, MMLENS_GENL_NAME, MMLENS_MCGRP_EVENTS);
	nl_socket_free(sk);
	return group;
}

/*
 * A generic netlink socket, bound: an unbound one has port 0, the kernel's
 * own, and netlink_broadcast() skips the sender's port.
 */
static int bound_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A socket in the events group; -errno if refused. */
static int join_events(int group)
{
	int fd = bound_socket(), err;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

TEST(joining_the_events_group_from_root_in_a_user_namespace_gets_eperm)
{
	int group = events_group();

	ASSERT_LT(0, group);
	if (!enter_user_namespace(_metadata))
		return;
	/* genl_bind() asks for CAP_SYS_ADMIN in the user namespace owning the netns. */
	EXPECT_EQ(-EPERM, join_events(group));
}

/* A child that faults on its pages when told to, then exits. */
static pid_t start_faulter(int *go)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		char *m = mmap(NULL, 8 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char c;
		int i;

		close(p[1]);
		if (m == MAP_FAILED || read(p[0], &c, 1) != 1)
			_exit(1);
		for (i = 0; i < 8; i++)
			m[i * MMT_PAGE_SIZE] = c;
		_exit(0);
	}
	close(p[0]);
	*go = p[1];
	return pid;
}

/* Datagrams queued on fd, read without waiting. */
static int drain_now(int fd)
{
	char buf[8192];
	int n = 0;

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0 || errno == ENOBUFS)
		n++;
	return n;
}

/* What the events of one process said. */
struct fault_events {
	uint64_t task_size;	/* where its user addresses end */
	int faults;
	int errors;		/* class ERROR */
	uint64_t error_va;
	int not_user;		/* with a VA no user page can have */
	bool exited;
};

static void take_event(const struct nlmsghdr *nlh, pid_t pid, struct fault_events *fe)
{
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	struct nlattr *tb[MMLENS_A_EVENT_MAX + 1];
	uint64_t va;

	/* Read here, not by libmmlens: audited as it audits what it reads. */
	mmlens_audit(nlh);
	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, MMLENS_A_EVENT_MAX, NULL) ||
	    !tb[MMLENS_A_EVENT_PID] || nla_get_u32(tb[MMLENS_A_EVENT_PID]) != (uint32_t)pid)
		return;
	if (g->cmd == MMLENS_CMD_EXIT_NTF)
		fe->exited = true;
	if (g->cmd != MMLENS_CMD_FAULT_NTF || !tb[MMLENS_A_EVENT_VA] || !tb[MMLENS_A_EVENT_CLASS])
		return;
	fe->faults++;
	va = nla_get_u64(tb[MMLENS_A_EVENT_VA]);
	if (va >= fe->task_size)
		fe->not_user++;
	if (nla_get_u32(tb[MMLENS_A_EVENT_CLASS]) == MMLENS_FAULT_ERROR) {
		fe->errors++;
		fe->error_va = va;
	}
}

/* Reads the events of pid on fd up to its exit event, the last (5 s at most). */
static void read_events(int fd, pid_t pid, struct fault_events *fe)
{
	static char buf[65536];
	int i, n;

	for (i = 0; i < 50 && !fe->exited; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		const struct nlmsghdr *nlh;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		for (nlh = (void *)buf; n > 0 && NLMSG_OK(nlh, (unsigned int)n);
		     nlh = NLMSG_NEXT(nlh, n))
			take_event(nlh, pid, fe);
	}
}

/*
 * A process that owns a user and a network namespace may join the group
 * there (genl_bind() asks the namespace's owner, not whether the family
 * lives there), even asking for every namespace's multicasts: the module
 * multicasts in the initial network namespace only, and netlink delivers
 * those elsewhere only to holders of CAP_NET_BROADCAST in the initial user
 * namespace.  A listener here proves that events were sent meanwhile.
 */
TEST(events_do_not_reach_a_listener_in_another_network_namespace)
{
	int group = events_group(), here, ready[2], done[2], count[2], got = -1, go;
	struct fault_events fe = { .task_size = task_size(mmt_paging_levels()) };
	struct mmlens_nl_err err;
	struct mmlens_nl nl;
	struct nl_msg *msg;
	pid_t away, faulter;
	char c;

	ASSERT_LT(0, group);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));
	ASSERT_EQ(0, pipe(count));
	away = fork();
	ASSERT_LE(0, away);
	if (away == 0) {
		const int one = 1;
		int fd, joined, n;

		joined = become_namespace_root(CLONE_NEWNET);
		fd = bound_socket();
		if (!joined)
			joined = setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
					    sizeof(group)) ? -errno : 0;
		setsockopt(fd, SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &one, sizeof(one));
		if (write(ready[1], &joined, sizeof(joined)) != sizeof(joined) ||
		    read(done[0], &c, 1) != 1)
			_exit(1);
		n = drain_now(fd);
		_exit(write(count[1], &n, sizeof(n)) == sizeof(n) ? 0 : 1);
	}
	close(ready[1]);
	close(done[0]);
	close(count[1]);
	ASSERT_EQ(sizeof(got), read(ready[0], &got, sizeof(got)));
	TH_LOG("joining the group in the other namespaces: %s", got ? strerror(-got) : "joined");

	here = join_events(group);
	ASSERT_LE(0, here);
	ASSERT_EQ(0, mmlens_nl_open(&nl));
	faulter = start_faulter(&go);
	ASSERT_LT(0, faulter);
	msg = mmlens_nl_request(&nl, MMLENS_CMD_WATCH_ADD, 0);
	nla_put_u32(msg, MMLENS_A_WATCH_PID, faulter);
	ASSERT_EQ(0, mmlens_nl_transact(&nl, msg, NULL, NULL, &err)) {
		TH_LOG("WATCH_ADD: %s", err.msg);
	}
	ASSERT_EQ(1, write(go, "x", 1));
	ASSERT_EQ(faulter, waitpid(faulter, NULL, 0));
	/* Up to its exit event: everything was multicast, to every listener at once. */
	read_events(here, faulter, &fe);
	EXPECT_TRUE(fe.exited);
	EXPECT_LT(0, fe.faults);

	ASSERT_EQ(1, write(done[1], "x", 1));
	ASSERT_EQ(sizeof(got), read(count[0], &got, sizeof(got)));
	EXPECT_EQ(0, got) {
		TH_LOG("%d datagrams of mmlens events reached the other namespace", got);
	}
	waitpid(away, NULL, 0);
	close(go);
	close(here);
	mmlens_nl_close(&nl);
}

/* ---- inputs at the edges ------------------------------------------------- */

/* Dumps of GET_VMA and GET_PTE, reduced to what identifies each row. */
struct rows {
	size_t n, cap;
	struct row {
		uint64_t start, end, what, pfn;
	} *r;
};

static int add_row(struct rows *rows, uint64_t start, uint64_t end, uint64_t what, uint64_t pfn)
{
	if (rows->n == rows->cap) {
		size_t cap = rows->cap ? 2 * rows->cap : 256;
		struct row *r = realloc(rows->r, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		rows->r = r;
		rows->cap = cap;
	}
	rows->r[rows->n++] = (struct row){ start, end, what, pfn };
	return 0;
}

/*
 * A VMA: its bounds and flags.  A leaf: its address, size, level, kind and
 * frame (or swap offset); not its flags or frame data, which reclaim's
 * aging may change between two dumps.
 */
static int rows_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *tb[MMLENS_A_VMA_MAX + 1];
	const struct mmlens_pte *p;
	size_t i, n;

	if (g->cmd == MMLENS_CMD_GET_PTE) {
		if (genlmsg_parse(nlh, 0, tb, MMLENS_A_PTE_MAX, NULL) || !tb[MMLENS_A_PTE_RECORDS])
			return -EBADMSG;
		p = nla_data(tb[MMLENS_A_PTE_RECORDS]);
		n = nla_len(tb[MMLENS_A_PTE_RECORDS]) / sizeof(*p);
		for (i = 0; i < n; i++)
			if (add_row(arg, p[i].va, p[i].va + mmt_level_size(p[i].level) * p[i].nr,
				    p[i].level << 8 | p[i].kind, p[i].pfn))
				return -ENOMEM;
		return 0;
	}
	if (genlmsg_parse(nlh, 0, tb, MMLENS_A_VMA_MAX, NULL) || !tb[MMLENS_A_VMA_START] ||
	    !tb[MMLENS_A_VMA_END] || !tb[MMLENS_A_VMA_FLAGS])
		return -EBADMSG;
	return add_row(arg, nla_get_u64(tb[MMLENS_A_VMA_START]), nla_get_u64(tb[MMLENS_A_VMA_END]),
		       nla_get_u64(tb[MMLENS_A_VMA_FLAGS]), 0);
}

/* Which bounds a range request sends. */
enum { START = 1, END = 2 };

/* GET_VMA or GET_PTE of pid over [start, end), each bound sent only if in send. */
static int dump_range(struct mmlens_nl *nl, uint8_t cmd, pid_t pid, int send, uint64_t start,
		      uint64_t end, struct rows *rows, struct mmlens_nl_err *err)
{
	int vma = cmd == MMLENS_CMD_GET_VMA, tries, ret = -EAGAIN;

	for (tries = 0; tries < 5 && ret == -EAGAIN; tries++) {
		struct nl_msg *msg = mmlens_nl_request(nl, cmd, NLM_F_DUMP);

		if (!msg)
			return -ENOMEM;
		rows->n = 0;
		if (nla_put_u32(msg, vma ? MMLENS_A_VMA_PID : MMLENS_A_PTE_PID, pid) ||
		    ((send & START) &&
		     nla_put_u64(msg, vma ? MMLENS_A_VMA_START : MMLENS_A_PTE_START, start)) ||
		    ((send & END) && nla_put_u64(msg, vma ? MMLENS_A_VMA_END : MMLENS_A_PTE_END, end))) {
			nlmsg_free(msg);
			return -EMSGSIZE;
		}
		memset(err, 0, sizeof(*err));
		ret = mmlens_nl_transact(nl, msg, rows_cb, rows, err);
	}
	return ret;
}

static void expect_same_rows(struct __test_metadata *_metadata, const struct rows *a,
			     const struct rows *b, const char *what)
{
	size_t i;

	EXPECT_EQ(a->n, b->n) {
		TH_LOG("%s: %zu rows, %zu by default", what, b->n, a->n);
	}
	for (i = 0; i < a->n && i < b->n; i++) {
		EXPECT_EQ(0, memcmp(&a->r[i], &b->r[i], sizeof(a->r[i]))) {
			TH_LOG("%s: row %zu at %#llx differs from the default's at %#llx", what, i,
			       (unsigned long long)b->r[i].start, (unsigned long long)a->r[i].start);
			break;
		}
	}
}

/*
 * A process with every kind of page this tree can make, standing still
 * until the test ends it: anon, zero page, THP (when the kernel gives one),
 * PROT_NONE, file private and shared, swapped (when there is swap), and a
 * uffd-wp PTE marker on shmem, whose raw entry reads like a kernel address.
 */
struct specimen {
	pid_t pid;
	int end;		/* closing it ends the specimen */
	struct {
		uint64_t anon;		/* a written anonymous page */
		uint64_t marker;	/* the marker's page; 0 if none was made */
	} at;
};

/*
 * Write-protects a page of shmem nothing has touched yet: its empty entry
 * becomes a PTE marker.  The userfaultfd must stay open.  Returns the
 * page, or NULL when the kernel cannot.
 */
static char *make_marker(void)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	struct uffdio_writeprotect wp = { .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	int fd = memfd_create("mmlens-marker", MFD_CLOEXEC);
	char *p;

	if (uffd < 0 || fd < 0 || ftruncate(fd, MMT_PAGE_SIZE) || ioctl(uffd, UFFDIO_API, &api))
		return NULL;
	p = mmap(NULL, MMT_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	reg.range.start = (uint64_t)p;
	reg.range.len = MMT_PAGE_SIZE;
	wp.range = reg.range;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) || ioctl(uffd, UFFDIO_WRITEPROTECT, &wp))
		return NULL;
	return p;
}

static void __attribute__((noreturn)) specimen_body(int ready, int end)
{
	char path[] = "/dev/shm/mmlens-security-XXXXXX", c, *marker;
	char *anon, *zero, *none, *thp, *fpriv, *fshared;
	volatile char sink;
	int fd, i;

	anon = mmap(NULL, 16 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	zero = mmap(NULL, 4 * MMT_PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	none = mmap(NULL, 2 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = mkstemp(path);
	if (anon == MAP_FAILED || zero == MAP_FAILED || none == MAP_FAILED || fd < 0 ||
	    ftruncate(fd, 4 * MMT_PAGE_SIZE))
		_exit(1);
	unlink(path);
	fpriv = mmap(NULL, 4 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	fshared = mmap(NULL, 4 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fpriv == MAP_FAILED || fshared == MAP_FAILED)
		_exit(1);
	madvise(anon, 16 * MMT_PAGE_SIZE, MADV_NOHUGEPAGE);
	for (i = 0; i < 16; i += 2)
		anon[i * MMT_PAGE_SIZE] = 1;
	for (i = 0; i < 4; i++) {
		sink = zero[i * MMT_PAGE_SIZE];
		fshared[i * MMT_PAGE_SIZE] = 's';
		sink = fpriv[i * MMT_PAGE_SIZE];
	}
	fpriv[0] = 'p';
	none[0] = 1;
	mprotect(none, 2 * MMT_PAGE_SIZE, PROT_NONE);
	thp = mmt_thp_available() ? mmt_map_thp() : MAP_FAILED;
	if (thp != MAP_FAILED)
		thp[0] = 1;
	(void)sink;
	/* The second half of the anon pages out to swap, if there is any. */
	madvise(anon + 8 * MMT_PAGE_SIZE, 8 * MMT_PAGE_SIZE, MADV_PAGEOUT);
	marker = make_marker();
	{
		uint64_t at[2] = { (uint64_t)anon, (uint64_t)marker };

		if (write(ready, at, sizeof(at)) != sizeof(at))
			_exit(1);
	}
	/* Until the test closes its end. */
	while (read(end, &c, 1) > 0)
		;
	_exit(0);
}

static int specimen_start(struct specimen *sp)
{
	int ready[2], end[2];

	if (pipe(ready) || pipe(end))
		return -1;
	sp->pid = fork();
	if (sp->pid < 0)
		return -1;
	if (sp->pid == 0) {
		close(ready[0]);
		close(end[1]);
		specimen_body(ready[1], end[0]);
	}
	close(ready[1]);
	close(end[0]);
	sp->end = end[1];
	if (read(ready[0], &sp->at, sizeof(sp->at)) != sizeof(sp->at)) {
		close(ready[0]);
		return -1;
	}
	close(ready[0]);
	return 0;
}

static void specimen_end(struct specimen *sp)
{
	if (sp->pid > 0) {
		close(sp->end);
		waitpid(sp->pid, NULL, 0);
		sp->pid = 0;
	}
}

FIXTURE(edge) {
	struct mmlens_nl nl;
	struct mmlens_nl_err err;
	int levels;
	uint64_t task_size;
	struct rows rows;
};

FIXTURE_SETUP(edge)
{
	const char *expect = getenv("MMLENS_EXPECT_PAGING_LEVELS");

	memset(&self->err, 0, sizeof(self->err));
	memset(&self->rows, 0, sizeof(self->rows));
	ASSERT_EQ(0, mmlens_nl_open(&self->nl));
	self->levels = mmt_paging_levels();
	ASSERT_TRUE(self->levels == 4 || self->levels == 5);
	if (expect)
		ASSERT_EQ(atoi(expect), self->levels);
	self->task_size = task_size(self->levels);
}

FIXTURE_TEARDOWN(edge)
{
	free(self->rows.r);
	mmlens_nl_close(&self->nl);
}

static int ask_pid(FIXTURE_DATA(edge) *self, const struct mmt_pid_cmd *c, uint32_t pid)
{
	return mmt_ask_pid(&self->nl, c, pid, 0, &self->err);
}

static void expect_refused(struct __test_metadata *_metadata, FIXTURE_DATA(edge) *self,
			   int ret, int errno_neg, const char *msg, const char *fmt, ...)
{
	char what[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	EXPECT_EQ(errno_neg, ret) {
		TH_LOG("%s: got %d (%s), extack \"%s\"", what, ret, strerror(-ret), self->err.msg);
	}
	EXPECT_STREQ(msg, self->err.msg) {
		TH_LOG("%s", what);
	}
}

TEST_F(edge, pids_outside_the_policy_range_get_erange)
{
	const uint32_t pids[] = { 0, 0xffffffffU, INT_MAX, PID_MAX_LIMIT + 1 };
	unsigned int i, c;

	for (i = 0; i < sizeof(pids) / sizeof(pids[0]); i++)
		for (c = 0; c < MMT_NR_PID_CMDS; c++)
			expect_refused(_metadata, self, ask_pid(self, &mmt_pid_cmds[c], pids[i]),
				       -ERANGE, OUT_OF_RANGE, "%s of pid %u", mmt_pid_cmds[c].name,
				       pids[i]);
}

TEST_F(edge, pids_in_range_that_no_process_can_have_get_esrch)
{
	uint32_t pids[3] = { PID_MAX_LIMIT };
	unsigned int i, c;
	char buf[32];

	/* PIDs are below pid_max; pid_max + 1 is out of range when pid_max is the limit. */
	ASSERT_EQ(0, mmt_read_file("/proc/sys/kernel/pid_max", buf, sizeof(buf)));
	pids[1] = strtoul(buf, NULL, 10);
	pids[2] = pids[1] + 1;
	for (i = 0; i < 3; i++)
		for (c = 0; c < MMT_NR_PID_CMDS; c++) {
			bool in_range = pids[i] <= PID_MAX_LIMIT;

			expect_refused(_metadata, self, ask_pid(self, &mmt_pid_cmds[c], pids[i]),
				       in_range ? -ESRCH : -ERANGE,
				       in_range ? "no such process" : OUT_OF_RANGE,
				       "%s of pid %u (pid_max %s)", mmt_pid_cmds[c].name, pids[i], buf);
		}
}

/* What /proc says of PID 1: its name and VMAs ([vsyscall] is no VMA). */
static int proc_of_pid_1(char *comm, size_t size, struct mmt_map **maps, int *n)
{
	int ret = mmt_read_file("/proc/1/comm", comm, size) ?: mmt_read_maps(1, maps, n);

	if (!ret && *n && !strcmp((*maps)[*n - 1].path, "[vsyscall]"))
		(*n)--;
	return ret;
}

TEST_F(edge, pid_1_is_inspected_like_any_process)
{
	struct mmt_vmas v = {};
	struct mmt_ptes p = {};
	struct mmt_map *maps;
	struct mmt_view view;
	struct mmt_mm mm;
	char comm[64];
	int n, i;

	ASSERT_EQ(0, proc_of_pid_1(comm, sizeof(comm), &maps, &n));
	ASSERT_LT(0, n);
	ASSERT_EQ(0, mmt_get_mm(&self->nl, 1, &mm, &self->err)) {
		TH_LOG("%s %s", self->err.msg, mmt_parse_error);
	}
	EXPECT_EQ(1ULL, MV(&mm, PID));
	EXPECT_EQ(1ULL, MV(&mm, TGID));
	EXPECT_STREQ(comm, mm.a.str);
	EXPECT_EQ(self->task_size, MV(&mm, TASK_SIZE));

	ASSERT_EQ(0, mmt_get_vmas(&self->nl, 1, MMT_NONE, MMT_NONE, &v, &self->err));
	ASSERT_EQ(n, v.n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(maps[i].start, VV(&v.vma[i], START));
		EXPECT_EQ(maps[i].end, VV(&v.vma[i], END));
	}

	/* Its first page, against pagemap and GET_PTE. */
	mmt_view(_metadata, &self->nl, 1, maps[0].start, self->levels, &view);
	EXPECT_EQ(maps[0].start, WV(&view.w, VMA_START));

	ASSERT_EQ(0, mmt_get_ptes(&self->nl, 1, MMT_NONE, MMT_NONE, false, &p, &self->err));
	EXPECT_LT(0U, p.n);
	for (i = 0; i < (int)p.n; i++)
		EXPECT_GT(self->task_size, p.rec[i].va);
	mmt_ptes_free(&p);
	mmt_vmas_free(&v);
	free(maps);
}

static int stats_pid_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MMLENS_A_STATS_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MMLENS_A_STATS_MAX, NULL) ||
	    !tb[MMLENS_A_STATS_PID])
		return -EBADMSG;
	*(uint32_t *)arg = nla_get_u32(tb[MMLENS_A_STATS_PID]);
	return 0;
}

TEST_F(edge, pid_1_is_watched_like_any_process)
{
	const struct mmt_pid_cmd *add = &mmt_pid_cmds[MMT_WATCH_ADD];
	const struct mmt_pid_cmd *del = &mmt_pid_cmds[MMT_WATCH_DEL];
	const struct mmt_pid_cmd *stats = &mmt_pid_cmds[MMT_GET_STATS];
	struct nl_msg *msg;
	uint32_t pid = 0;

	/* Nobody else in the suite watches it. */
	expect_refused(_metadata, self, ask_pid(self, stats, 1), -ENOENT, "process is not watched",
		       "GET_STATS of pid 1");
	expect_refused(_metadata, self, ask_pid(self, del, 1), -ENOENT,
		       "process is not watched by this socket", "WATCH_DEL of pid 1");
	ASSERT_EQ(0, ask_pid(self, add, 1)) {
		TH_LOG("WATCH_ADD of pid 1: %s", self->err.msg);
	}
	msg = mmlens_nl_request(&self->nl, MMLENS_CMD_GET_STATS, 0);
	nla_put_u32(msg, MMLENS_A_STATS_PID, 1);
	EXPECT_EQ(0, mmlens_nl_transact(&self->nl, msg, stats_pid_cb, &pid, &self->err));
	EXPECT_EQ(1U, pid);
	EXPECT_EQ(0, ask_pid(self, del, 1));
	expect_refused(_metadata, self, ask_pid(self, stats, 1), -ENOENT, "process is not watched",
		       "GET_STATS of pid 1 after WATCH_DEL");
}

/* TRANSLATE of va in this process: nothing mapped, as pagemap and maps agree. */
static void expect_nothing_at(struct __test_metadata *_metadata, FIXTURE_DATA(edge) *self,
			      uint64_t va)
{
	struct mmt_view v;
	struct mmt_map *maps;
	int n, i;

	ASSERT_EQ(0, mmt_read_maps(0, &maps, &n));
	for (i = 0; i < n; i++)
		ASSERT_FALSE(va >= maps[i].start && va < maps[i].end) {
			TH_LOG("%#llx is mapped here: %s", (unsigned long long)va, maps[i].path);
		}
	free(maps);
	mmt_view(_metadata, &self->nl, getpid(), va, self->levels, &v);
	EXPECT_EQ(va, WV(&v.w, VA));
	EXPECT_EQ(MMLENS_KIND_NONE, WV(&v.w, KIND));
	EXPECT_EQ(0ULL, WV(&v.w, ENTRY));
	EXPECT_FALSE(WHAS(&v.w, VMA_START) || WHAS(&v.w, PFN) || WHAS(&v.w, PA) ||
		     WHAS(&v.w, PAGE_SIZE) || v.w.nframes);
	EXPECT_EQ(0, v.nrec);
}

TEST_F(edge, va_0_translates_to_nothing)
{
	expect_nothing_at(_metadata, self, 0);
}

TEST_F(edge, last_user_address_translates_to_nothing)
{
	expect_nothing_at(_metadata, self, self->task_size - 1);
}

/*
 * From TASK_SIZE up: the last page of the canonical user half, the
 * non-canonical hole from its first address to its last, the kernel half
 * and the vsyscall page in it.  errors_test.c checks TRANSLATE of
 * TASK_SIZE, of the first non-canonical address and of ~0.
 */
TEST_F(edge, addresses_from_task_size_up_are_refused_by_every_command)
{
	const uint64_t vas[] = {
		self->task_size, 1ULL << 47, 1ULL << 56, 0x8000000000000000ULL,
		kernel_half(self->levels) - 1, kernel_half(self->levels),
		0xffffffffff600000ULL, ~0ULL,
	};
	const uint8_t ranged[] = { MMLENS_CMD_GET_VMA, MMLENS_CMD_GET_PTE };
	struct mmt_walk w;
	unsigned int i, c;

	for (i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
		if (vas[i] < self->task_size)
			continue;	/* 2^47 is a user address with 5-level paging */
		if (vas[i] != self->task_size && vas[i] != self->task_size + MMT_PAGE_SIZE &&
		    vas[i] != ~0ULL)
			expect_refused(_metadata, self,
				       mmt_translate(&self->nl, getpid(), vas[i], &w, &self->err),
				       -EINVAL, NOT_USER, "TRANSLATE of %#llx",
				       (unsigned long long)vas[i]);
		/* From ~0 to the default END, ~0, is an empty range: tested below. */
		for (c = 0; c < 2 && vas[i] != ~0ULL; c++)
			expect_refused(_metadata, self,
				       dump_range(&self->nl, ranged[c], getpid(), START, vas[i], 0,
						  &self->rows, &self->err),
				       -EINVAL, NOT_USER, "%s from %#llx",
				       ranged[c] == MMLENS_CMD_GET_VMA ? "GET_VMA" : "GET_PTE",
				       (unsigned long long)vas[i]);
	}
}

TEST_F(edge, empty_ranges_of_user_addresses_dump_nothing)
{
	const uint64_t at[] = { 0, (uint64_t)&at & ~(MMT_PAGE_SIZE - 1), self->task_size - 1 };
	const uint8_t ranged[] = { MMLENS_CMD_GET_VMA, MMLENS_CMD_GET_PTE };
	unsigned int i, c;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		for (c = 0; c < 2; c++) {
			EXPECT_EQ(0, dump_range(&self->nl, ranged[c], getpid(), START | END, at[i],
						at[i], &self->rows, &self->err)) {
				TH_LOG("[%#llx, %#llx): %s", (unsigned long long)at[i],
				       (unsigned long long)at[i], self->err.msg);
			}
			EXPECT_EQ(0U, self->rows.n);
		}
}

/*
 * The header: "Addresses are user virtual addresses: at or above the
 * target's TASK_SIZE ... they get -EINVAL", START included, whatever the
 * range's length.
 */
TEST_F(edge, empty_ranges_starting_from_task_size_up_get_einval)
{
	const uint64_t at[] = { self->task_size, kernel_half(self->levels), ~0ULL };
	const uint8_t ranged[] = { MMLENS_CMD_GET_VMA, MMLENS_CMD_GET_PTE };
	unsigned int i, c;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		for (c = 0; c < 2; c++)
			expect_refused(_metadata, self,
				       dump_range(&self->nl, ranged[c], getpid(), START | END,
						  at[i], at[i], &self->rows, &self->err),
				       -EINVAL, NOT_USER, "%s of [%#llx, %#llx)",
				       ranged[c] == MMLENS_CMD_GET_VMA ? "GET_VMA" : "GET_PTE",
				       (unsigned long long)at[i], (unsigned long long)at[i]);
}

TEST_F(edge, ranges_over_the_whole_space_dump_what_no_range_dumps)
{
	const uint8_t ranged[] = { MMLENS_CMD_GET_VMA, MMLENS_CMD_GET_PTE };
	struct rows dflt = {};
	struct specimen sp;
	unsigned int c;

	/* A process that stands still: two dumps of it are the same. */
	ASSERT_EQ(0, specimen_start(&sp));
	for (c = 0; c < 2; c++) {
		const char *name = ranged[c] == MMLENS_CMD_GET_VMA ? "GET_VMA" : "GET_PTE";

		ASSERT_EQ(0, dump_range(&self->nl, ranged[c], sp.pid, 0, 0, 0, &dflt, &self->err));
		ASSERT_LT(0U, dflt.n);
		ASSERT_EQ(0, dump_range(&self->nl, ranged[c], sp.pid, START | END, 0, ~0ULL,
					&self->rows, &self->err)) {
			TH_LOG("%s of [0, ~0): %s", name, self->err.msg);
		}
		expect_same_rows(_metadata, &dflt, &self->rows, "[0, ~0)");
		ASSERT_EQ(0, dump_range(&self->nl, ranged[c], sp.pid, START | END, 0,
					self->task_size, &self->rows, &self->err));
		expect_same_rows(_metadata, &dflt, &self->rows, "[0, TASK_SIZE)");
		/* END alone past TASK_SIZE: up to TASK_SIZE. */
		ASSERT_EQ(0, dump_range(&self->nl, ranged[c], sp.pid, END, 0,
					kernel_half(self->levels), &self->rows, &self->err));
		expect_same_rows(_metadata, &dflt, &self->rows, "[default, kernel half)");
	}
	specimen_end(&sp);
	free(dflt.r);
}

/* GET_FRAME of pfn as /proc/kpageflags and /proc/kpagecount describe it. */
static void expect_frame_as_kpageflags(struct __test_metadata *_metadata,
				       FIXTURE_DATA(edge) *self, uint64_t pfn)
{
	uint64_t before, after, count;
	struct mmt_attrs f;

	ASSERT_EQ(0, mmt_kpageflags(pfn, &before));
	ASSERT_EQ(0, mmt_get_frame(&self->nl, pfn, &f, &self->err)) {
		TH_LOG("pfn %#llx: %s", (unsigned long long)pfn, self->err.msg);
	}
	ASSERT_EQ(0, mmt_kpageflags(pfn, &after));
	ASSERT_EQ(0, mmt_kpagecount(pfn, &count));
	EXPECT_EQ(pfn, FV(&f, PFN));
	mmt_expect_kpf_matches(_metadata, pfn, before, FV(&f, FLAGS), after, "GET_FRAME");
	EXPECT_EQ(count, FV(&f, MAPCOUNT));
}

TEST_F(edge, pfn_0_is_described_like_kpageflags)
{
	expect_frame_as_kpageflags(_metadata, self, 0);
}

/*
 * max_pfn is the end of the last System RAM range.  /proc/kpageflags goes
 * on to the end of that memory section, over frames the module describes
 * too, and ends where the memory map does.
 */
TEST_F(edge, pfns_from_max_pfn_on_are_described_as_kpageflags_has_them)
{
	struct mmt_range r[64];
	int n = mmt_system_ram(r, 64), i, ret;
	struct mmt_attrs f;
	uint64_t kpf;

	ASSERT_LT(0, n);
	for (i = 0; i < 2; i++) {
		uint64_t pfn = r[n - 1].end + i;

		ret = mmt_kpageflags(pfn, &kpf);
		TH_LOG("max_pfn + %d = %#llx: kpageflags %s", i, (unsigned long long)pfn,
		       ret ? "ends before" : "has it");
		if (ret == -ENODATA) {
			expect_refused(_metadata, self, mmt_get_frame(&self->nl, pfn, &f, &self->err),
				       -EINVAL, NO_MEMMAP, "GET_FRAME of max_pfn + %d", i);
		} else if (kpf & KPFB(KPF_NOPAGE)) {
			EXPECT_EQ(-EINVAL, mmt_get_frame(&self->nl, pfn, &f, &self->err));
			EXPECT_TRUE(!strcmp(self->err.msg, NO_MEMMAP) ||
				    !strcmp(self->err.msg, "pfn is offline or device memory")) {
				TH_LOG("extack \"%s\"", self->err.msg);
			}
		} else {
			expect_frame_as_kpageflags(_metadata, self, pfn);
		}
	}
}

TEST_F(edge, pfns_beyond_any_physical_address_have_no_memory_map)
{
	const uint64_t pfns[] = { 1ULL << 52, 1ULL << 63, ~0ULL };
	struct mmt_attrs f;
	unsigned int i;

	for (i = 0; i < sizeof(pfns) / sizeof(pfns[0]); i++)
		expect_refused(_metadata, self, mmt_get_frame(&self->nl, pfns[i], &f, &self->err),
			       -EINVAL, NO_MEMMAP, "GET_FRAME of %#llx",
			       (unsigned long long)pfns[i]);
}

/* ---- no kernel address in what mmlens tells ------------------------------ */

static int audit_cb(struct nl_msg *msg, void *arg)
{
	*(unsigned int *)arg += mmlens_audit_scan(nlmsg_hdr(msg), NULL, NULL);
	return 0;
}

/*
 * An x86 swap entry keeps its type in the top five bits and its offset
 * inverted below: a PTE marker's raw entry lies in the kernel half when the
 * kernel numbers the marker type 31 (6.12; 6.1 numbers it 30).  The audit
 * leaves entries out by attribute, and finds nothing in the same replies,
 * whose addresses and offsets all lie below.
 */
TEST_F(edge, pte_marker_entry_may_look_like_a_kernel_address_and_no_address_does)
{
	unsigned int findings = 0;
	struct mmt_ptes p = {};
	struct mmt_walk w;
	struct nl_msg *msg;
	char *m = make_marker();
	int i;

	if (!m)
		SKIP(return, "this kernel makes no uffd-wp markers on shmem");
	ASSERT_EQ(0, mmt_get_ptes(&self->nl, getpid(), (uint64_t)m, (uint64_t)m + MMT_PAGE_SIZE,
				  false, &p, &self->err));
	ASSERT_EQ(1U, p.n);
	EXPECT_EQ(MMLENS_KIND_MARKER, p.rec[0].kind);
	EXPECT_TRUE(p.rec[0].flags & MMLENS_F_MARKER_UFFD_WP);
	TH_LOG("marker entry %#llx, swap type %u", (unsigned long long)p.rec[0].entry,
	       p.rec[0].swap_type);
	EXPECT_EQ(p.rec[0].entry >> 59, (uint64_t)p.rec[0].swap_type);
	EXPECT_EQ(p.rec[0].swap_type == 31, mmlens_kernel_half(p.rec[0].entry));
	EXPECT_FALSE(mmlens_kernel_half(p.rec[0].swap_offset));
	ASSERT_EQ(0, mmt_translate(&self->nl, getpid(), (uint64_t)m, &w, &self->err));
	EXPECT_EQ(MMLENS_KIND_MARKER, WV(&w, KIND));
	EXPECT_EQ(p.rec[0].entry, WV(&w, ENTRY));
	EXPECT_FALSE(mmlens_kernel_half(WV(&w, SWAP_OFFSET)));
	for (i = 0; i < w.nlevels; i++)
		EXPECT_FALSE(mmlens_kernel_half(LV(&w.level[i], TABLE_PA)));
	mmt_ptes_free(&p);

	/* The same replies, through the audit: nothing to report. */
	msg = mmlens_nl_request(&self->nl, MMLENS_CMD_TRANSLATE, 0);
	nla_put_u32(msg, MMLENS_A_WALK_PID, getpid());
	nla_put_u64(msg, MMLENS_A_WALK_VA, (uint64_t)m);
	ASSERT_EQ(0, mmlens_nl_transact(&self->nl, msg, audit_cb, &findings, &self->err));
	msg = mmlens_nl_request(&self->nl, MMLENS_CMD_GET_PTE, NLM_F_DUMP);
	nla_put_u32(msg, MMLENS_A_PTE_PID, getpid());
	nla_put_u64(msg, MMLENS_A_PTE_START, (uint64_t)m);
	nla_put_u64(msg, MMLENS_A_PTE_END, (uint64_t)m + MMT_PAGE_SIZE);
	ASSERT_EQ(0, mmlens_nl_transact(&self->nl, msg, audit_cb, &findings, &self->err));
	EXPECT_EQ(0U, findings);
}

/* Reads of addresses a user process cannot have, each answered with SIGSEGV. */
static sigjmp_buf segv_jmp;

static void segv_handler(int sig)
{
	siglongjmp(segv_jmp, sig);
}

static void __attribute__((noreturn)) touch_forbidden(int go, int done, uint64_t unmapped)
{
	const uint64_t bad[] = {
		unmapped,			/* the one fault to report */
		0xffff888000000000ULL,		/* the kernel's direct map: #PF */
		0xffffffffff600000ULL,		/* vsyscall: #PF, or emulated */
		0x8000000000000000ULL,		/* non-canonical: #GP */
	};
	volatile char sink;
	unsigned int i;
	char c;

	signal(SIGSEGV, segv_handler);
	if (read(go, &c, 1) != 1)
		_exit(1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!sigsetjmp(segv_jmp, 1))
			sink = *(volatile char *)bad[i];
	(void)sink;
	_exit(write(done, "d", 1) == 1 ? 0 : 1);
}

/*
 * Forks a child running body(go, done, *unmapped, a page just unmapped): it
 * waits for a byte on go and writes one on done when it is through.  Returns
 * its pid, or -1 with nothing forked.
 */
static pid_t fork_faulter(void (*body)(int go, int done, uint64_t unmapped), int go[2],
			  int done[2], uint64_t *unmapped)
{
	void *page = mmap(NULL, MMT_PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	if (page == MAP_FAILED || munmap(page, MMT_PAGE_SIZE) || pipe(go) || pipe(done))
		return -1;
	*unmapped = (uint64_t)page;
	pid = fork();
	if (pid == 0)
		body(go[0], done[1], *unmapped);
	return pid;
}

/*
 * The header: "Faults on addresses in the kernel half are not reported."
 * A watched process reads an unmapped user page (reported, class ERROR),
 * then the direct map, the vsyscall page and a non-canonical address
 * (never reported, whatever the signal says).
 */
TEST(a_fault_on_a_kernel_address_is_never_an_event)
{
	int group = events_group(), fd, go[2], done[2];
	struct fault_events fe = { .task_size = task_size(mmt_paging_levels()) };
	struct mmlens_nl_err err;
	struct mmlens_nl nl;
	struct nl_msg *msg;
	uint64_t unmapped;
	pid_t pid;
	char c;

	ASSERT_LT(0, group);
	fd = join_events(group);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mmlens_nl_open(&nl));
	pid = fork_faulter(touch_forbidden, go, done, &unmapped);
	ASSERT_LT(0, pid);
	msg = mmlens_nl_request(&nl, MMLENS_CMD_WATCH_ADD, 0);
	nla_put_u32(msg, MMLENS_A_WATCH_PID, pid);
	ASSERT_EQ(0, mmlens_nl_transact(&nl, msg, NULL, NULL, &err)) {
		TH_LOG("WATCH_ADD: %s", err.msg);
	}
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(1, read(done[0], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	read_events(fd, pid, &fe);
	EXPECT_TRUE(fe.exited);
	EXPECT_EQ(1, fe.errors);
	EXPECT_EQ(unmapped, fe.error_va);
	EXPECT_EQ(0, fe.not_user);
	close(fd);
	mmlens_nl_close(&nl);
}

/*
 * The CLI, on live processes: every command, in text and in JSON.  JSON is
 * judged key by key: the keys of raw entries and flag words (entry,
 * entry_before, entry_after, raw, vm_flags: mmlens(1) lists them) are left
 * out and their values remembered; every other number and "0x..." string
 * must lie below the kernel half.  Text has no keys: every hex or decimal
 * number in it must lie below, unless the JSON of the same command on the
 * same process printed that very value as a raw entry or flag word.  A
 * leak in a field JSON has is caught there; one in text alone could hide
 * only behind a value equal to one of the process's raw entries.
 */
static const char *const bits_keys[] = {
	"entry", "entry_before", "entry_after", "raw", "vm_flags",
};

struct scanner {
	struct __test_metadata *md;
	uint64_t bits[8192];	/* raw entries and flag words of the last JSON */
	size_t nbits;
	int findings;
	unsigned long numbers;	/* judged */
	unsigned long excused;	/* in the kernel half, but raw entries or flag words */
};

static bool is_bits_key(const char *key)
{
	unsigned int i;

	for (i = 0; key && i < sizeof(bits_keys) / sizeof(bits_keys[0]); i++)
		if (!strcmp(key, bits_keys[i]))
			return true;
	return false;
}

static bool hex_string(const char *s, uint64_t *v)
{
	char *end;

	if (strncmp(s, "0x", 2) || !s[2] || strspn(s + 2, "0123456789abcdef") != strlen(s + 2))
		return false;
	errno = 0;
	*v = strtoull(s + 2, &end, 16);
	return !errno;
}

static void finding(struct scanner *sc, const char *what, const char *where, uint64_t v)
{
	struct __test_metadata *_metadata = sc->md;

	sc->findings++;
	if (sc->findings <= 20)
		TH_LOG("mmlens %s: %s: kernel address %#llx", what, where, (unsigned long long)v);
}

static void scan_json(struct scanner *sc, const char *what, const char *key,
		      struct json_object *v)
{
	uint64_t u;
	size_t i;

	switch (json_object_get_type(v)) {
	case json_type_object: {
		json_object_object_foreach(v, k, child)
			scan_json(sc, what, k, child);
		return;
	}
	case json_type_array:
		for (i = 0; i < json_object_array_length(v); i++)
			scan_json(sc, what, key, json_object_array_get_idx(v, i));
		return;
	case json_type_int:
		/* The CLI prints 64-bit numbers as int64: a kernel address is negative. */
		u = json_object_get_int64(v) < 0 ? (uint64_t)json_object_get_int64(v) :
						   json_object_get_uint64(v);
		break;
	case json_type_string:
		if (!hex_string(json_object_get_string(v), &u))
			return;
		break;
	default:
		return;
	}
	sc->numbers++;
	if (is_bits_key(key)) {
		if (sc->nbits < sizeof(sc->bits) / sizeof(sc->bits[0]))
			sc->bits[sc->nbits++] = u;
		sc->excused += mmlens_kernel_half(u);
	} else if (mmlens_kernel_half(u)) {
		finding(sc, what, key ? key : "JSON value", u);
	}
}

/* Every JSON text in out (one document, or JSON Lines). */
static void scan_json_output(struct scanner *sc, const char *what, const char *out)
{
	struct __test_metadata *_metadata = sc->md;
	size_t len = strlen(out), off = strspn(out, " \n");

	while (off < len) {
		struct json_tokener *tok = json_tokener_new();
		struct json_object *obj = json_tokener_parse_ex(tok, out + off, len - off);

		if (!obj) {
			EXPECT_NE(NULL, obj) {
				TH_LOG("mmlens %s: no JSON at offset %zu: %.80s", what, off, out + off);
			}
			json_tokener_free(tok);
			return;
		}
		scan_json(sc, what, NULL, obj);
		off += json_tokener_get_parse_end(tok);
		off += strspn(out + off, " \n");
		json_object_put(obj);
		json_tokener_free(tok);
	}
}

static bool remembered_bits(const struct scanner *sc, uint64_t v)
{
	size_t i;

	for (i = 0; i < sc->nbits; i++)
		if (sc->bits[i] == v)
			return true;
	return false;
}

/* A token's value, read as hex (0x or bare) or as decimal, in the kernel half. */
static bool kernel_half_token(const char *t, size_t n, uint64_t *v)
{
	char tok[32], *end;
	bool hex = n > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X');

	if (n >= sizeof(tok))
		return false;
	memcpy(tok, t, n);
	tok[n] = '\0';
	if (hex || strspn(tok, "0123456789abcdefABCDEF") == n) {
		errno = 0;
		*v = strtoull(tok + (hex ? 2 : 0), &end, 16);
		if (!errno && !*end && mmlens_kernel_half(*v))
			return true;
	}
	if (!hex && strspn(tok, "0123456789") == n) {
		errno = 0;
		*v = strtoull(tok, &end, 10);
		if (!errno && !*end && mmlens_kernel_half(*v))
			return true;
	}
	return false;
}

static void scan_text_output(struct scanner *sc, const char *what, const char *out)
{
	static const char alnum[] = "0123456789abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	const char *p = out;
	uint64_t v;
	size_t n;

	while (*p) {
		n = strspn(p, alnum);
		if (!n) {
			p++;
			continue;
		}
		sc->numbers++;
		if (kernel_half_token(p, n, &v)) {
			if (remembered_bits(sc, v))
				sc->excused++;
			else
				finding(sc, what, "text", v);
		}
		p += n;
	}
}

/* What one run of the CLI printed, and its exit status. */
struct cli_run {
	char *out, *err;
	size_t out_len, err_len;
	int status;
};

static FILE *cli_start(const char *cli, const char *args, const char *err_path)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "exec %s %s 2>%s", cli, args, err_path);
	return popen(cmd, "r");
}

static void slurp(FILE *from, char **buf, size_t *len)
{
	FILE *mem = open_memstream(buf, len);
	char chunk[8192];
	size_t n;

	while (from && (n = fread(chunk, 1, sizeof(chunk), from)) > 0)
		fwrite(chunk, 1, n, mem);
	fclose(mem);
}

static void cli_finish(FILE *p, const char *err_path, struct cli_run *r)
{
	FILE *err;
	int st;

	slurp(p, &r->out, &r->out_len);
	st = p ? pclose(p) : -1;
	r->status = st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	err = fopen(err_path, "re");
	slurp(err, &r->err, &r->err_len);
	if (err)
		fclose(err);
}

static void cli_free(struct cli_run *r)
{
	free(r->out);
	free(r->err);
}

FIXTURE(cli) {
	char cli[1024];
	char err_path[64];
	struct scanner sc;
	struct specimen sp;
};

FIXTURE_SETUP(cli)
{
	int fd;

	self->sp.pid = 0;
	if (mmt_find_cli(self->cli, sizeof(self->cli))) {
		TH_LOG("looked for %s", self->cli);
		SKIP(return, "no mmlens CLI built in this tree (userspace/mmlens)");
	}
	strcpy(self->err_path, "/tmp/mmlens-security-err-XXXXXX");
	fd = mkstemp(self->err_path);
	ASSERT_LE(0, fd);
	close(fd);
	self->sc.md = _metadata;
}

FIXTURE_TEARDOWN(cli)
{
	TH_LOG("%lu numbers judged; %lu in the kernel half were raw entries or flag words",
	       self->sc.numbers, self->sc.excused);
	specimen_end(&self->sp);
	unlink(self->err_path);
}

/* Scans one run: stdout as JSON (json) or text, stderr as text. */
static void scan_run(FIXTURE_DATA(cli) *self, const char *args, bool json, struct cli_run *r)
{
	struct __test_metadata *_metadata = self->sc.md;

	EXPECT_EQ(0, r->status) {
		TH_LOG("mmlens %s: exit %d: %.300s", args, r->status, r->err);
	}
	if (json)
		scan_json_output(&self->sc, args, r->out);
	else
		scan_text_output(&self->sc, args, r->out);
	scan_text_output(&self->sc, args, r->err);
}

/*
 * Runs `mmlens --json ARGS`, then `mmlens ARGS` and the text-only variants
 * that follow (up to NULL), and scans what they printed.
 */
static void scan_cli(FIXTURE_DATA(cli) *self, const char *args, ...)
{
	char json_args[1024];
	struct cli_run r;
	const char *text;
	va_list ap;

	snprintf(json_args, sizeof(json_args), "--json %s", args);
	self->sc.nbits = 0;
	r = (struct cli_run){};
	cli_finish(cli_start(self->cli, json_args, self->err_path), self->err_path, &r);
	scan_run(self, json_args, true, &r);
	cli_free(&r);

	va_start(ap, args);
	for (text = args; text; text = va_arg(ap, const char *)) {
		r = (struct cli_run){};
		cli_finish(cli_start(self->cli, text, self->err_path), self->err_path, &r);
		scan_run(self, text, false, &r);
		cli_free(&r);
	}
	va_end(ap);
}

/* Every command that takes a PID, on pid; translate at up to 16 VMA starts and extra. */
static void scan_process(FIXTURE_DATA(cli) *self, pid_t pid, const uint64_t *extra, int nextra)
{
	struct __test_metadata *_metadata = self->sc.md;
	struct mmt_map *maps;
	char a[256], b[256];
	int n, i;

	snprintf(a, sizeof(a), "info %d", pid);
	scan_cli(self, a, NULL);
	snprintf(a, sizeof(a), "maps %d", pid);
	scan_cli(self, a, NULL);
	snprintf(a, sizeof(a), "ptes %d", pid);
	scan_cli(self, a, NULL);
	snprintf(a, sizeof(a), "ptes --runs %d", pid);
	scan_cli(self, a, NULL);
	ASSERT_EQ(0, mmt_read_maps(pid, &maps, &n));
	for (i = 0; i < n + nextra; i++) {
		uint64_t va = i < n ? maps[i].start : extra[i - n];

		if (i >= 16 && i < n)
			continue;
		if (i < n && !strcmp(maps[i].path, "[vsyscall]"))
			continue;
		snprintf(a, sizeof(a), "translate %d %#llx", pid, (unsigned long long)va);
		snprintf(b, sizeof(b), "translate --explain %d %#llx", pid, (unsigned long long)va);
		scan_cli(self, a, b, NULL);
	}
	free(maps);
	EXPECT_EQ(0, self->sc.findings);
}

TEST_F_TIMEOUT(cli, no_command_tells_a_kernel_address_about_this_process, 600)
{
	const uint64_t extra[] = { 0, task_size(mmt_paging_levels()) - 1 };

	scan_process(self, getpid(), extra, 2);
}

/* Does the raw entry of the marker at va of pid lie in the kernel half? */
static bool kernel_half_marker(pid_t pid, uint64_t va)
{
	struct mmt_ptes p = {};
	struct mmlens_nl_err err;
	struct mmlens_nl nl;
	bool ret = false;

	if (!va || mmlens_nl_open(&nl))
		return false;
	if (!mmt_get_ptes(&nl, pid, va, va + MMT_PAGE_SIZE, false, &p, &err) && p.n == 1)
		ret = mmlens_kernel_half(p.rec[0].entry);
	mmt_ptes_free(&p);
	mmlens_nl_close(&nl);
	return ret;
}

TEST_F_TIMEOUT(cli, no_command_tells_a_kernel_address_about_every_kind_of_page, 600)
{
	uint64_t extra[2], pme;
	char args[256];

	ASSERT_EQ(0, specimen_start(&self->sp));
	extra[0] = self->sp.at.anon;
	extra[1] = self->sp.at.marker ? self->sp.at.marker : self->sp.at.anon;
	scan_process(self, self->sp.pid, extra, 2);
	/*
	 * A marker whose entry lies in the kernel half was seen, in JSON and in
	 * text, and left out as an entry: what the text scan reads is real.
	 */
	if (kernel_half_marker(self->sp.pid, self->sp.at.marker)) {
		EXPECT_LE(2UL, self->sc.excused);
	} else {
		TH_LOG("no PTE marker whose entry lies in the kernel half here");
	}
	snprintf(args, sizeof(args), "ptes --check %d", self->sp.pid);
	scan_cli(self, args, NULL);
	snprintf(args, sizeof(args), "stats --interval 0.2 --count 1 %d", self->sp.pid);
	scan_cli(self, args, NULL);
	ASSERT_EQ(0, mmt_pagemap(self->sp.pid, self->sp.at.anon, &pme));
	ASSERT_TRUE(pme & PM_PRESENT);
	snprintf(args, sizeof(args), "frame %#llx", (unsigned long long)PM_PFN(pme));
	scan_cli(self, args, NULL);
	EXPECT_EQ(0, self->sc.findings);
}

TEST_F_TIMEOUT(cli, no_command_tells_a_kernel_address_about_pid_1, 600)
{
	scan_process(self, 1, NULL, 0);
}

TEST_F_TIMEOUT(cli, status_frame_stats_and_run_tell_no_kernel_address, 300)
{
	scan_cli(self, "status", NULL);
	scan_cli(self, "frame 0", NULL);
	scan_cli(self, "stats", NULL);
	scan_cli(self, "run --follow -- /bin/sh -c '/bin/true; exec /bin/true'", NULL);
	EXPECT_EQ(0, self->sc.findings);
}

/*
 * A child for `watch`: it faults on one page over and over, so that the
 * watcher has something to print as soon as its watch is in place, until
 * told to go on; then it does what touch_forbidden() does.
 */
static void __attribute__((noreturn)) fault_until_told(int go, int done, uint64_t unmapped)
{
	char *page = mmap(NULL, MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct pollfd p = { .fd = go, .events = POLLIN };

	if (page == MAP_FAILED)
		_exit(1);
	while (!poll(&p, 1, 1)) {
		page[0] = 1;
		madvise(page, MMT_PAGE_SIZE, MADV_DONTNEED);
	}
	touch_forbidden(go, done, unmapped);
}

/*
 * `watch` of a process that faults on its pages, then on a kernel address
 * and on a non-canonical one, and exits: in JSON, then in text.  Its first
 * line tells that the watch is in place (WATCH_ADD is still arming the
 * probes when GET_STATS already finds the watch: a process that exited by
 * then would be refused).
 */
TEST_F_TIMEOUT(cli, watch_tells_no_kernel_address, 300)
{
	int json;

	for (json = 1; json >= 0; json--) {
		struct cli_run r = {};
		int go[2], done[2];
		char args[64], *first = NULL, c;
		size_t first_size = 0;
		uint64_t unmapped;
		pid_t pid;
		FILE *p;

		pid = fork_faulter(fault_until_told, go, done, &unmapped);
		ASSERT_LT(0, pid);
		snprintf(args, sizeof(args), "%swatch %d", json ? "--json " : "", pid);
		p = cli_start(self->cli, args, self->err_path);
		ASSERT_NE(NULL, p);
		ASSERT_LT(0, getline(&first, &first_size, p));
		ASSERT_EQ(1, write(go[1], "g", 1));
		ASSERT_EQ(1, read(done[0], &c, 1));
		ASSERT_EQ(pid, waitpid(pid, NULL, 0));
		cli_finish(p, self->err_path, &r);
		self->sc.nbits = 0;
		if (json)
			scan_json_output(&self->sc, args, first);
		else
			scan_text_output(&self->sc, args, first);
		scan_run(self, args, json, &r);
		free(first);
		cli_free(&r);
		close(go[1]);
		close(done[0]);
	}
	EXPECT_EQ(0, self->sc.findings);
}

TEST_HARNESS_MAIN
