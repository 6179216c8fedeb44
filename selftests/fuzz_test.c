// SPDX-License-Identifier: GPL-2.0
/*
 * A fuzzer for the mmlens generic netlink family.
 *
 * It sends MMLENS_FUZZ_MESSAGES generated messages (default 20000) from the
 * seed MMLENS_FUZZ_SEED (printed; the same seed generates the same messages,
 * so a failure names the message to replay by its number): random commands
 * with random attributes, mutations of valid requests of every command,
 * headers cut short, dumps abandoned half-read (also over a process killed
 * meanwhile), watches left for the socket's close to end, and all of it also
 * from a sender, or through a socket opened by someone, without
 * CAP_SYS_ADMIN.  Targets are this process, one of its threads, children
 * (one with 512 VMAs), init, a kernel thread, a zombie, and PIDs nobody has.
 *
 * Each message is judged against the answer the kernel owes it, worked out
 * from the bytes sent (predict()), in the order the kernel looks at them:
 *
 *  - netlink_rcv_skb() stops at a header longer than what is left of the
 *    datagram, or shorter than a header, and drops the rest without a
 *    reply; a message without NLM_F_REQUEST is only acknowledged;
 *  - the genetlink core answers a message shorter than a genl header
 *    -EINVAL, a non-zero reserved byte or nlmsg_flags other than REQUEST,
 *    ACK, ECHO and DUMP -EINVAL, a command the family does not serve that
 *    way (do or dump) -EOPNOTSUPP, and a dump on a socket whose last dump
 *    still runs -EBUSY, before the family sees them; none of those has to
 *    come with an extack message;
 *  - everything else reaches the family: the attribute policy each command
 *    documents in the UAPI header, mirrored here (genetlink validates it
 *    strictly, -EINVAL, or -ERANGE for a PID out of range and a flag with a
 *    payload), then the command itself.  Every error from there must carry an
 *    extack message and an errno the command can give; without
 *    CAP_SYS_ADMIN it must be -EPERM.
 *
 * Valid requests sent unmutated are held to their exact answer: success for
 * live targets, user addresses and frames of System RAM, the documented
 * errno otherwise.  Replies must be well-formed messages of the command asked.
 *
 * Messages go in batches: up to 32 in one sendmsg(), which netlink serves in
 * order in the sender's context, then an NLMSG_NOOP request whose ACK comes
 * after every reply of the batch, so that even successes that do not
 * answer (no NLM_F_ACK) are told apart from lost replies.  A dump that may
 * start ends its batch: the next dump of the socket would get -EBUSY.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <netlink/genl/ctrl.h>

#include "kselftest_harness.h"
#include "mmtest.h"

#define NOBODY 65534
/* x86-64's PID_MAX_LIMIT, the top of the PID attributes' range. */
#define PID_MAX_LIMIT (4 * 1024 * 1024)

#define DEFAULT_MESSAGES 20000
#define DEFAULT_SEED 0x6d6d6c656e73ULL	/* "mmlens" */

#define BATCH_MAX 32
/*
 * Messages are added to a batch only while it holds less than BATCH_FILL
 * bytes: room for one more with an attribute of HUGE_ATTR bytes.
 */
#define BATCH_FILL (64 * 1024)
#define HUGE_ATTR 65000
#define BATCH_BYTES (BATCH_FILL + HUGE_ATTR + 4096)
#define RX_SIZE (2 * MMLENS_DUMP_BUFFER)
#define KEEP_BYTES 1024		/* of an abandoned dump's request, for reports */
#define MAX_ATTRS 16		/* attributes a generated message keeps track of */
#define REPLY_TIMEOUT_S 120
#define MAX_FAILURES 10
#define MAX_WATCHED 32
/*
 * Child targets: a small one, target of any request, and a large one whose
 * dumps span several datagrams -- more one-page VMAs than a GET_VMA datagram
 * holds, more present pages than a GET_PTE one -- to abandon mid-way.
 */
#define SMALL_VMAS 16
#define SMALL_PAGES 16
#define LARGE_VMAS 512
#define LARGE_PAGES 2048
#define GENL_MSG_HDRLEN (NLMSG_HDRLEN + GENL_HDRLEN)

/* splitmix64: small, fast, and the same sequence everywhere for a seed. */
struct rng {
	uint64_t state;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return ((rnd(r) >> 32) * n) >> 32;
}

static bool percent(struct rng *r, unsigned int p)
{
	return below(r, 100) < p;
}

static void fill_random(struct rng *r, uint8_t *buf, uint32_t len)
{
	uint64_t v = 0;
	uint32_t i;

	for (i = 0; i < len; i++) {
		if (!(i & 7))
			v = rnd(r);
		buf[i] = v >> (8 * (i & 7));
	}
}

/* How a command's policy takes an attribute type. */
enum attr_kind {
	ATTR_UNKNOWN,	/* not in the policy: NLA_UNSPEC, refused as unsupported */
	ATTR_PID,	/* NLA_U32 in [1, PID_MAX_LIMIT] */
	ATTR_U64,
	ATTR_FLAG,
	ATTR_REJECT,	/* genetlink's policy for commands that have none */
};

/* A command as the UAPI header documents it. */
struct command {
	const char *name;
	uint8_t cmd;
	bool dump;		/* served only with NLM_F_DUMP; the others only without */
	int maxattr;		/* highest attribute type of its policy */
	enum attr_kind attr[MMLENS_A_PTE_RUNS + 1];
	int reply_max;		/* highest attribute type of its replies; 0: no reply */
	int errnos[4];		/* what it may answer a privileged caller, 0-ended */
};

static const struct command commands[] = {
	{
		.name = "GET_STATUS", .cmd = MMLENS_CMD_GET_STATUS,
		.maxattr = 1, .attr = { [1] = ATTR_REJECT },
		.reply_max = MMLENS_A_STATUS_MAX,
	},
	{
		.name = "GET_MM", .cmd = MMLENS_CMD_GET_MM,
		.maxattr = MMLENS_A_MM_PID, .attr = { [MMLENS_A_MM_PID] = ATTR_PID },
		.reply_max = MMLENS_A_MM_MAX, .errnos = { ESRCH, EINVAL },
	},
	{
		.name = "GET_VMA", .cmd = MMLENS_CMD_GET_VMA, .dump = true,
		.maxattr = MMLENS_A_VMA_END,
		.attr = { [MMLENS_A_VMA_PID] = ATTR_PID, [MMLENS_A_VMA_START] = ATTR_U64,
			  [MMLENS_A_VMA_END] = ATTR_U64 },
		.reply_max = MMLENS_A_VMA_MAX, .errnos = { ESRCH, EINVAL },
	},
	{
		.name = "TRANSLATE", .cmd = MMLENS_CMD_TRANSLATE,
		.maxattr = MMLENS_A_WALK_VA,
		.attr = { [MMLENS_A_WALK_PID] = ATTR_PID, [MMLENS_A_WALK_VA] = ATTR_U64 },
		.reply_max = MMLENS_A_WALK_MAX, .errnos = { ESRCH, EINVAL },
	},
	{
		.name = "GET_PTE", .cmd = MMLENS_CMD_GET_PTE, .dump = true,
		.maxattr = MMLENS_A_PTE_RUNS,
		.attr = { [MMLENS_A_PTE_PID] = ATTR_PID, [MMLENS_A_PTE_START] = ATTR_U64,
			  [MMLENS_A_PTE_END] = ATTR_U64, [MMLENS_A_PTE_RUNS] = ATTR_FLAG },
		.reply_max = MMLENS_A_PTE_MAX, .errnos = { ESRCH, EINVAL },
	},
	{
		.name = "GET_FRAME", .cmd = MMLENS_CMD_GET_FRAME,
		.maxattr = MMLENS_A_FRAME_PFN, .attr = { [MMLENS_A_FRAME_PFN] = ATTR_U64 },
		.reply_max = MMLENS_A_FRAME_MAX, .errnos = { EINVAL },
	},
	{
		.name = "WATCH_ADD", .cmd = MMLENS_CMD_WATCH_ADD,
		.maxattr = MMLENS_A_WATCH_FOLLOW,
		.attr = { [MMLENS_A_WATCH_PID] = ATTR_PID, [MMLENS_A_WATCH_FOLLOW] = ATTR_FLAG },
		.reply_max = MMLENS_A_WATCH_MAX, .errnos = { ESRCH, EINVAL },
	},
	{
		.name = "WATCH_DEL", .cmd = MMLENS_CMD_WATCH_DEL,
		.maxattr = MMLENS_A_WATCH_PID, .attr = { [MMLENS_A_WATCH_PID] = ATTR_PID },
		.errnos = { ESRCH, EINVAL, ENOENT },
	},
	{
		.name = "GET_STATS", .cmd = MMLENS_CMD_GET_STATS,
		.maxattr = MMLENS_A_STATS_PID, .attr = { [MMLENS_A_STATS_PID] = ATTR_PID },
		.reply_max = MMLENS_A_STATS_MAX, .errnos = { ESRCH, EINVAL, ENOENT },
	},
};
#define NR_COMMANDS ARRAY_SIZE(commands)

/* GET_VMA and GET_PTE requests are built alike. */
_Static_assert((int)MMLENS_A_VMA_PID == (int)MMLENS_A_PTE_PID &&
	       (int)MMLENS_A_VMA_START == (int)MMLENS_A_PTE_START &&
	       (int)MMLENS_A_VMA_END == (int)MMLENS_A_PTE_END,
	       "GET_VMA and GET_PTE attributes differ");

static int pid_attr_of(const struct command *c)
{
	int type;

	for (type = 1; type <= c->maxattr; type++)
		if (c->attr[type] == ATTR_PID)
			return type;
	return 0;
}

static const struct command *command_of(uint8_t cmd)
{
	unsigned int i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (commands[i].cmd == cmd)
			return &commands[i];
	return NULL;
}

/* Why the netlink or genetlink core answered a message without the family. */
enum core_reason {
	CORE_TRUNCATED,		/* header cut short: no reply, nor to the rest */
	CORE_AFTER_TRUNCATED,	/* behind such a header: never read */
	CORE_NOT_REQUEST,	/* no NLM_F_REQUEST: an ACK, or nothing without NLM_F_ACK */
	CORE_SHORT_GENL,	/* shorter than a genl header: -EINVAL */
	CORE_GENL_HEADER,	/* reserved byte or undefined nlmsg_flags: -EINVAL */
	CORE_NO_OPERATION,	/* no such command, or not as do/dump: -EOPNOTSUPP */
	CORE_DUMP_BUSY,		/* the socket's last dump still runs: -EBUSY */
	NR_CORE_REASONS
};

static const char *const core_reason_names[NR_CORE_REASONS] = {
	[CORE_TRUNCATED] = "truncated (no reply)",
	[CORE_AFTER_TRUNCATED] = "behind a truncated one (no reply)",
	[CORE_NOT_REQUEST] = "not requests (ACK or nothing)",
	[CORE_SHORT_GENL] = "short genl header -EINVAL",
	[CORE_GENL_HEADER] = "genl header check -EINVAL",
	[CORE_NO_OPERATION] = "no such operation -EOPNOTSUPP",
	[CORE_DUMP_BUSY] = "dump busy -EBUSY",
};

enum verdict {
	V_NO_REPLY,	/* dropped by netlink_rcv_skb() */
	V_ACK,		/* not a request: acknowledged, nothing else */
	V_CORE,		/* refused by the genetlink core: errno exact, extack optional */
	V_POLICY,	/* refused by the family's policy: errno exact, extack required */
	V_HANDLER,	/* served by the family: success, or its errno with extack */
};

static const char *const verdict_names[] = {
	[V_NO_REPLY] = "no reply",
	[V_ACK] = "plain ACK",
	[V_CORE] = "core error",
	[V_POLICY] = "policy error",
	[V_HANDLER] = "handled by the family",
};

/* One message sent and what has come back for it. */
struct pending {
	uint64_t index;		/* message number: with the seed, what replays it */
	uint32_t seq;
	enum verdict verdict;
	enum core_reason reason;
	int expect;		/* errno of V_CORE and V_POLICY, of V_HANDLER if strict */
	bool strict;		/* unmutated valid request: expect is the answer */
	bool dump, ack, unpriv, maybe_busy;
	const struct command *c;	/* V_POLICY and V_HANDLER */
	uint32_t pid;		/* the PID attribute the command reads (the last), 0: none */
	int data;		/* reply messages of the family */
	bool done;		/* answered in full and counted */
	uint8_t *bytes;
	uint32_t len;
};

struct counts {
	uint64_t messages;	/* judged, whatever the outcome */
	uint64_t ok;
	uint64_t policy;	/* errors of the family's policy, with extack */
	uint64_t handler;	/* errors of its commands, with extack */
	uint64_t core[NR_CORE_REASONS];
	uint64_t unpriv_eperm;
	uint64_t by_errno[256];	/* errors of the family, policy's and commands' */
	uint64_t exited;	/* dumps whose target exited after data came: -ESRCH */
	uint64_t abandoned;	/* dumps left running */
	uint64_t strict;	/* unmutated requests held to their exact answer */
	uint64_t failures;
};

/* How the fuzzer goes on after a dump's first datagram. */
enum dump_plan {
	PLAN_READ_ALL,
	PLAN_ABANDON_KEEP,	/* stop reading, send more on the socket */
	PLAN_ABANDON_CLOSE,	/* close the socket */
	PLAN_READ_SOME_CLOSE,	/* one datagram more, then close */
};

struct fsock {
	int fd;
	bool unpriv;		/* sender or opener lacks CAP_SYS_ADMIN */
	bool dump_may_run;	/* an abandoned dump may not have ended yet */
	bool has_abandoned;
	struct pending abandoned;
	uint8_t abandoned_bytes[KEEP_BYTES];
	uint32_t watched[MAX_WATCHED];	/* PIDs of WATCH_ADDs that succeeded */
	int nwatched;
};

struct batch {
	uint8_t buf[BATCH_BYTES] __attribute__((aligned(8)));
	uint32_t used;
	int n;
	uint32_t first_seq, sentinel_seq;
	bool sentinel_acked;
	struct pending p[BATCH_MAX];
};

/* A message being built, with its attributes' places for the mutations. */
struct msg {
	uint8_t *buf;
	uint32_t len, cap;
	int nattrs;
	uint32_t attr_off[MAX_ATTRS], attr_size[MAX_ATTRS];
};

/* What an unmutated valid request must get. */
struct expect {
	bool strict;
	int err;
};
#define EXPECT_ANY 1	/* no errno is positive */

enum target_class {
	T_SELF, T_THREAD, T_CHILD, T_INIT,	/* live user processes */
	T_KTHREAD, T_ZOMBIE, T_UNUSED,		/* -EINVAL, -ESRCH, -ESRCH */
	T_REAPED, T_RANDOM,			/* anything */
	T_OUT_OF_RANGE,				/* refused by the policy */
};

struct target {
	pid_t pid;
	uint64_t region;	/* vmas one-page VMAs, then pages in one VMA, all present */
	unsigned int vmas, pages;
};

/* Something done every so many messages, give or take half. */
struct schedule {
	uint64_t every, next;
};

struct fuzz {
	struct rng rng;
	uint64_t seed, total;
	uint64_t sent;		/* messages generated, the next one's number */
	uint32_t next_seq;
	uint16_t family;
	int levels;
	uint64_t task_size;

	pid_t self, thread_tid, zombie, reaped;
	uint32_t pid_max;
	struct target child, large;
	struct schedule exiting, abandon, watch_close, recycle, anchor_toggle;
	struct target sleeper;	/* watched by the verify socket while anchored */
	bool anchored;
	uint64_t self_va[8];
	int nself_va;
	uint8_t *anon;		/* 16 pages, the first 8 touched */
	uint8_t *thp;		/* a touched PMD, a huge page if THP allows */
	struct mmt_range ram[64];
	int nram;
	uint64_t known_pfn;

	int thread_tid_pipe[2], thread_stop_pipe[2];
	pthread_t thread;

	struct mmlens_nl verify;	/* the anchor, checks after socket closes and at the end */
	struct fsock main;
	struct batch batch;
	uint8_t rx[RX_SIZE] __attribute__((aligned(8)));
	struct counts counts;
	bool stop;
};

/* Failures: what was sent, what was predicted, what came back. */

static void hexdump(const uint8_t *buf, uint32_t len)
{
	char line[16 * 3 + 1];
	uint32_t off, i;

	for (off = 0; off < len && off < 512; off += 16) {
		for (i = 0; i < 16 && off + i < len; i++)
			sprintf(line + 3 * i, " %02x", buf[off + i]);
		fprintf(stderr, "#   %04x:%s\n", off, line);
	}
	if (len > 512)
		fprintf(stderr, "#   ... (%u bytes)\n", len);
}

static void report(struct fuzz *fz, const struct pending *p, const struct nlmsghdr *reply,
		   const struct mmlens_nl_err *err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void report(struct fuzz *fz, const struct pending *p, const struct nlmsghdr *reply,
		   const struct mmlens_nl_err *err, const char *fmt, ...)
{
	va_list ap;

	if (++fz->counts.failures > MAX_FAILURES)
		return;
	fprintf(stderr, "# FAIL: message %llu (seed %#llx, %s): ",
		(unsigned long long)p->index, (unsigned long long)fz->seed,
		p->unpriv ? "without CAP_SYS_ADMIN" : "privileged");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n#   predicted: %s", verdict_names[p->verdict]);
	if (p->verdict == V_CORE || p->verdict == V_POLICY || p->strict)
		fprintf(stderr, " %d", p->expect);
	if (p->c)
		fprintf(stderr, " (%s%s)", p->c->name, p->dump ? " dump" : "");
	fprintf(stderr, "; %u bytes sent:\n", p->len);
	hexdump(p->bytes, p->len);
	if (reply)
		fprintf(stderr, "#   reply: type %u flags %#x len %u, error %d, extack \"%s\"\n",
			reply->nlmsg_type, reply->nlmsg_flags, reply->nlmsg_len,
			err ? err->error : 0, err ? err->msg : "");
	if (fz->counts.failures == MAX_FAILURES) {
		fprintf(stderr, "# fuzz: %d failures, stopping\n", MAX_FAILURES);
		fz->stop = true;
	}
}

/* Trouble with the sockets themselves: no message to blame, nothing to go on with. */
static void fatal(struct fuzz *fz, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fatal(struct fuzz *fz, const char *fmt, ...)
{
	va_list ap;

	fz->counts.failures++;
	fz->stop = true;
	fprintf(stderr, "# FAIL: message %llu (seed %#llx): ", (unsigned long long)fz->sent,
		(unsigned long long)fz->seed);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* Values: PIDs, addresses, ranges and frames, valid, borderline and absurd. */

static uint64_t extreme_u64(struct rng *r)
{
	static const uint64_t v[] = {
		0, 1, 0x7f, 0x80, 0xff, 0xfff, 0x1000, 0xffff, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ULL, (1ULL << 47) - 1, 1ULL << 47, (1ULL << 56) - 1,
		1ULL << 56, 0x00007ffffffff000ULL, 0xffff800000000000ULL,
		0xffff888000000000ULL, 1ULL << 63, INT64_MAX, UINT64_MAX - 4095, UINT64_MAX,
	};
	uint64_t x = v[below(r, ARRAY_SIZE(v))];

	switch (below(r, 4)) {
	case 0:
		return x - 1;
	case 1:
		return x + 1;
	default:
		return x;
	}
}

static uint32_t pick_pid(struct fuzz *fz, enum target_class *tc)
{
	static const uint32_t out_of_range[] = {
		0, PID_MAX_LIMIT + 1, 0x7fffffff, 0x80000000, 0xffffffff,
	};
	struct rng *r = &fz->rng;
	unsigned int x = below(r, 100);

	if (x < 20) {
		*tc = T_SELF;
		return fz->self;
	}
	if (x < 25) {
		*tc = T_THREAD;
		return fz->thread_tid;
	}
	if (x < 40) {
		*tc = T_CHILD;
		return fz->child.pid;
	}
	if (x < 47) {
		*tc = T_INIT;
		return 1;
	}
	if (x < 52) {
		*tc = T_KTHREAD;
		return 2;	/* kthreadd */
	}
	if (x < 57) {
		*tc = T_ZOMBIE;
		return fz->zombie;
	}
	/* PIDs from pid_max up are never handed out. */
	if (x < 62 && fz->pid_max < PID_MAX_LIMIT) {
		*tc = T_UNUSED;
		return fz->pid_max + below(r, PID_MAX_LIMIT - fz->pid_max + 1);
	}
	if (x < 66) {
		*tc = T_REAPED;
		return fz->reaped;
	}
	if (x < 90) {
		*tc = T_RANDOM;
		return 1 + (percent(r, 50) ? below(r, 2000) : below(r, PID_MAX_LIMIT));
	}
	*tc = T_OUT_OF_RANGE;
	if (percent(r, 20))
		return PID_MAX_LIMIT + 1 + below(r, UINT32_MAX - PID_MAX_LIMIT);
	return out_of_range[below(r, ARRAY_SIZE(out_of_range))];
}

static uint64_t pick_va(struct fuzz *fz)
{
	struct rng *r = &fz->rng;

	switch (below(r, 10)) {
	case 0: case 1: case 2:
		return fz->self_va[below(r, fz->nself_va)] + (percent(r, 30) ? below(r, 4096) : 0);
	case 3: case 4:
		return fz->child.region +
		       (uint64_t)below(r, fz->child.vmas + fz->child.pages + 1) * MMT_PAGE_SIZE;
	case 5:
		return below(r, 0x10000);
	case 6:
		return fz->task_size - 4096 + below(r, 3 * 4096);
	case 7:
		return extreme_u64(r);
	case 8:
		return rnd(r) & ((1ULL << 47) - 1);
	default:
		return rnd(r);
	}
}

/* A range of a GET_VMA or GET_PTE request; absent ends are not sent. */
static void pick_range(struct fuzz *fz, bool *has_start, uint64_t *start, bool *has_end,
		       uint64_t *end)
{
	struct rng *r = &fz->rng;
	uint64_t va = pick_va(fz);

	*has_start = *has_end = true;
	switch (below(r, 8)) {
	case 0:
		*has_start = *has_end = false;
		break;
	case 1:
		*has_end = false;
		*start = va;
		break;
	case 2:
		*has_start = false;
		*end = va;
		break;
	case 3:
		*start = va & ~4095ULL;
		*end = *start + (uint64_t)(1 + below(r, 64)) * MMT_PAGE_SIZE;
		break;
	case 4:		/* inverted */
		*start = va + 1 + below(r, 1 << 20);
		*end = va;
		break;
	case 5:		/* empty, anywhere */
		*start = *end = percent(r, 50) ? va : extreme_u64(r);
		break;
	case 6:
		*start = percent(r, 50) ? 0 : fz->task_size;
		*end = percent(r, 50) ? fz->task_size : UINT64_MAX;
		break;
	default:
		*start = extreme_u64(r);
		*end = percent(r, 50) ? extreme_u64(r) : rnd(r);
		break;
	}
}

/* The module's range rule (mmlens_check_range()). */
static int range_errno(const struct fuzz *fz, uint64_t start, uint64_t end)
{
	if (start > end)
		return -EINVAL;
	if (start >= fz->task_size)
		return -EINVAL;
	return 0;
}

enum pfn_class { PFN_RAM, PFN_NONE, PFN_UNKNOWN };

static uint64_t pick_pfn(struct fuzz *fz, enum pfn_class *pc)
{
	struct rng *r = &fz->rng;
	const struct mmt_range *ram = &fz->ram[below(r, fz->nram)];
	uint64_t pfn;

	*pc = PFN_RAM;
	switch (below(r, 8)) {
	case 0:
		return fz->known_pfn;
	case 1:
		return percent(r, 50) ? ram->start : ram->end - 1;
	case 2: case 3:
		return ram->start + rnd(r) % (ram->end - ram->start);
	case 4:		/* just outside RAM: holes, reserved ranges, the end */
		*pc = PFN_UNKNOWN;
		return percent(r, 50) ? ram->end + below(r, 4) : ram->start - 1 - below(r, 4);
	case 5:
		*pc = PFN_UNKNOWN;
		return rnd(r) % fz->ram[fz->nram - 1].end;
	default:
		/* No x86-64 memory map reaches 2^40 frames (52 physical bits). */
		pfn = extreme_u64(r);
		*pc = pfn >= 1ULL << 40 ? PFN_NONE : PFN_UNKNOWN;
		return pfn;
	}
}

/*
 * What a valid request for the target tc must get: live is the command's
 * answer for a live process, EXPECT_ANY where it depends on state.
 */
static void expect_target(struct expect *e, enum target_class tc, int live)
{
	switch (tc) {
	case T_SELF: case T_THREAD: case T_CHILD: case T_INIT:
		e->err = live;
		break;
	case T_KTHREAD:
		e->err = -EINVAL;
		break;
	case T_ZOMBIE: case T_UNUSED:
		e->err = -ESRCH;
		break;
	default:
		e->err = EXPECT_ANY;
		break;
	}
	e->strict = e->err != EXPECT_ANY;
}

/* Building messages. */

static void msg_start(struct msg *m, uint16_t family, uint16_t flags, uint8_t cmd)
{
	struct nlmsghdr nlh = { .nlmsg_type = family, .nlmsg_flags = flags };
	struct genlmsghdr g = { .cmd = cmd, .version = MMLENS_GENL_VERSION };

	memcpy(m->buf, &nlh, sizeof(nlh));
	memcpy(m->buf + NLMSG_HDRLEN, &g, sizeof(g));
	m->len = GENL_MSG_HDRLEN;
	m->nattrs = 0;
}

static bool msg_put(struct msg *m, uint16_t type, const void *data, uint32_t len)
{
	struct nlattr nla = { .nla_len = NLA_HDRLEN + len, .nla_type = type };
	uint32_t total = NLA_ALIGN(NLA_HDRLEN + len);

	if (NLA_HDRLEN + len > 0xffff || m->len + total > m->cap)
		return false;
	memcpy(m->buf + m->len, &nla, NLA_HDRLEN);
	if (len)
		memcpy(m->buf + m->len + NLA_HDRLEN, data, len);
	memset(m->buf + m->len + NLA_HDRLEN + len, 0, total - NLA_HDRLEN - len);
	if (m->nattrs < MAX_ATTRS) {
		m->attr_off[m->nattrs] = m->len;
		m->attr_size[m->nattrs++] = total;
	}
	m->len += total;
	return true;
}

static void msg_put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	msg_put(m, type, &v, sizeof(v));
}

static void msg_put_u64(struct msg *m, uint16_t type, uint64_t v)
{
	msg_put(m, type, &v, sizeof(v));
}

static void msg_remove_attr(struct msg *m, int i)
{
	uint32_t off = m->attr_off[i], size = m->attr_size[i];
	int j;

	memmove(m->buf + off, m->buf + off + size, m->len - off - size);
	m->len -= size;
	for (j = i; j < m->nattrs - 1; j++) {
		m->attr_off[j] = m->attr_off[j + 1] - size;
		m->attr_size[j] = m->attr_size[j + 1];
	}
	m->nattrs--;
}

static uint16_t msg_flags(const struct msg *m)
{
	const struct nlmsghdr *nlh = (const void *)m->buf;

	return nlh->nlmsg_flags;
}

static void msg_set_flags(struct msg *m, uint16_t flags)
{
	struct nlmsghdr *nlh = (void *)m->buf;

	nlh->nlmsg_flags = flags;
}

/* Random attributes, nested depth levels deep at most; returns their length. */
static uint32_t garbage_attrs(struct rng *r, uint8_t *buf, uint32_t cap, int depth)
{
	int n = 1 + below(r, 4);
	uint32_t len = 0;

	while (n-- > 0 && cap - len >= NLA_HDRLEN + 16) {
		uint32_t room = cap - len - NLA_HDRLEN, plen;
		struct nlattr nla;

		if (depth && percent(r, 30)) {
			plen = garbage_attrs(r, buf + len + NLA_HDRLEN, room < 96 ? room : 96,
					     depth - 1);
			nla.nla_type = below(r, 8) | NLA_F_NESTED;
		} else {
			plen = below(r, 13);
			fill_random(r, buf + len + NLA_HDRLEN, plen);
			nla.nla_type = percent(r, 70) ? below(r, 8) : (uint16_t)rnd(r);
		}
		nla.nla_len = NLA_HDRLEN + plen;
		if (percent(r, 10))
			nla.nla_len = below(r, 2 * nla.nla_len + 4);
		memcpy(buf + len, &nla, NLA_HDRLEN);
		memset(buf + len + NLA_HDRLEN + plen, 0, NLA_ALIGN(plen) - plen);
		len += NLA_HDRLEN + NLA_ALIGN(plen);
	}
	return len;
}

static uint16_t random_attr_type(struct rng *r, const struct command *c)
{
	switch (below(r, 4)) {
	case 0:
		return 0;
	case 1:
		return c ? c->maxattr + 1 + below(r, 3) : below(r, 8);
	case 2:
		return rnd(r) & NLA_TYPE_MASK;
	default:
		return c ? below(r, c->maxattr + 1) : below(r, 8);
	}
}

static void put_random_attr(struct fuzz *fz, struct msg *m, const struct command *c)
{
	struct rng *r = &fz->rng;
	uint16_t type = random_attr_type(r, c);
	enum target_class tc;
	uint8_t data[256];
	uint32_t len, v32;
	uint64_t v64;

	if (percent(r, 10))
		type |= NLA_F_NET_BYTEORDER;
	switch (below(r, 6)) {
	case 0:
		v32 = pick_pid(fz, &tc);
		len = sizeof(v32);
		memcpy(data, &v32, len);
		break;
	case 1:
		v64 = percent(r, 50) ? extreme_u64(r) : pick_va(fz);
		len = sizeof(v64);
		memcpy(data, &v64, len);
		break;
	case 2:
		len = 0;
		break;
	case 3:
		len = below(r, 33);
		fill_random(r, data, len);
		break;
	default:
		len = garbage_attrs(r, data, sizeof(data), 3);
		type |= NLA_F_NESTED;
		break;
	}
	msg_put(m, type, data, len);
}

/* Any command number with random attributes. */
static void build_random(struct fuzz *fz, struct msg *m)
{
	struct rng *r = &fz->rng;
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK | (percent(r, 40) ? NLM_F_DUMP : 0);
	uint8_t cmd = percent(r, 50) ? below(r, 16) : below(r, 256);
	int n = below(r, 7);

	msg_start(m, fz->family, flags, cmd);
	if (percent(r, 25))
		m->buf[NLMSG_HDRLEN + 1] = below(r, 256);	/* version: not checked */
	while (n-- > 0)
		put_random_attr(fz, m, command_of(cmd));
}

/* A valid request for c, unmutated, and what it must get. */
static void build_valid(struct fuzz *fz, struct msg *m, const struct command *c,
			struct expect *e)
{
	struct rng *r = &fz->rng;
	uint64_t start = 0, end = UINT64_MAX, va, pfn;
	bool has_start, has_end;
	enum target_class tc;
	enum pfn_class pc;
	uint32_t pid;

	msg_start(m, fz->family, NLM_F_REQUEST | NLM_F_ACK | (c->dump ? NLM_F_DUMP : 0), c->cmd);
	e->strict = true;
	e->err = 0;
	switch (c->cmd) {
	case MMLENS_CMD_GET_MM:
		msg_put_u32(m, MMLENS_A_MM_PID, pick_pid(fz, &tc));
		expect_target(e, tc, 0);
		break;
	case MMLENS_CMD_GET_VMA:
	case MMLENS_CMD_GET_PTE:
		pid = pick_pid(fz, &tc);
		pick_range(fz, &has_start, &start, &has_end, &end);
		msg_put_u32(m, MMLENS_A_VMA_PID, pid);
		if (has_start)
			msg_put_u64(m, MMLENS_A_VMA_START, start);
		if (has_end)
			msg_put_u64(m, MMLENS_A_VMA_END, end);
		if (c->cmd == MMLENS_CMD_GET_PTE && percent(r, 50))
			msg_put(m, MMLENS_A_PTE_RUNS, NULL, 0);
		expect_target(e, tc, range_errno(fz, has_start ? start : 0,
						 has_end ? end : UINT64_MAX));
		break;
	case MMLENS_CMD_TRANSLATE:
		pid = pick_pid(fz, &tc);
		va = pick_va(fz);
		/* Attribute order does not matter to the policy. */
		if (percent(r, 50)) {
			msg_put_u32(m, MMLENS_A_WALK_PID, pid);
			msg_put_u64(m, MMLENS_A_WALK_VA, va);
		} else {
			msg_put_u64(m, MMLENS_A_WALK_VA, va);
			msg_put_u32(m, MMLENS_A_WALK_PID, pid);
		}
		expect_target(e, tc, va < fz->task_size ? 0 : -EINVAL);
		break;
	case MMLENS_CMD_GET_FRAME:
		pfn = pick_pfn(fz, &pc);
		msg_put_u64(m, MMLENS_A_FRAME_PFN, pfn);
		e->strict = pc != PFN_UNKNOWN;
		e->err = pc == PFN_RAM ? 0 : -EINVAL;
		break;
	case MMLENS_CMD_WATCH_ADD:
		msg_put_u32(m, MMLENS_A_WATCH_PID, pick_pid(fz, &tc));
		if (percent(r, 30))
			msg_put(m, MMLENS_A_WATCH_FOLLOW, NULL, 0);
		expect_target(e, tc, 0);
		break;
	case MMLENS_CMD_WATCH_DEL:
		msg_put_u32(m, MMLENS_A_WATCH_PID, pick_pid(fz, &tc));
		expect_target(e, tc, EXPECT_ANY);
		break;
	case MMLENS_CMD_GET_STATS:
		/* Without PID: the global counters, always there. */
		if (percent(r, 70)) {
			msg_put_u32(m, MMLENS_A_STATS_PID, pick_pid(fz, &tc));
			expect_target(e, tc, EXPECT_ANY);
		}
		break;
	}
}

static uint16_t interesting_len(struct rng *r, uint16_t len)
{
	static const uint16_t v[] = { 0, 1, 2, 3, 4, 5, 7, 8, 11, 12, 13, 0x8000, 0xffff };

	switch (below(r, 4)) {
	case 0:
		return len + 1 + below(r, 8);
	case 1:
		return len - 1 - below(r, 4);
	case 2:
		return rnd(r);
	default:
		return v[below(r, ARRAY_SIZE(v))];
	}
}

static void mutate_nl_flags(struct fuzz *fz, struct msg *m)
{
	struct rng *r = &fz->rng;
	struct nlmsghdr *nlh = (void *)m->buf;
	uint16_t flags = msg_flags(m);

	switch (below(r, 9)) {
	case 0:
		flags &= ~NLM_F_ACK;
		break;
	case 1:
		flags &= ~NLM_F_REQUEST;
		break;
	case 2:
		flags |= NLM_F_ECHO;
		break;
	case 3:
		flags ^= NLM_F_DUMP;
		break;
	case 4:
		flags ^= percent(r, 50) ? NLM_F_ROOT : NLM_F_MATCH;	/* half a dump */
		break;
	case 5:
		flags ^= 1 << below(r, 16);
		break;
	case 6:
		flags = rnd(r);
		break;
	case 7:
		/* The sender's port in the header is not what replies go to. */
		nlh->nlmsg_pid = rnd(r);
		break;
	default:
		flags |= NLM_F_ACK;
		break;
	}
	msg_set_flags(m, flags);
}

/* One mutation of a message built for c; *cut asks for a truncation last. */
static void mutate_once(struct fuzz *fz, struct msg *m, const struct command *c, bool *cut)
{
	struct rng *r = &fz->rng;
	int i = m->nattrs ? (int)below(r, m->nattrs) : -1;
	uint8_t *a = i >= 0 ? m->buf + m->attr_off[i] : NULL;
	uint8_t data[256], *huge;
	struct nlattr nla;
	uint64_t v64;
	uint32_t len;

	if (a)
		memcpy(&nla, a, NLA_HDRLEN);
	switch (below(r, 17)) {
	case 0:
		m->buf[NLMSG_HDRLEN + below(r, m->len - NLMSG_HDRLEN)] ^= 1 << below(r, 8);
		break;
	case 1:
		mutate_nl_flags(fz, m);
		break;
	case 2:
		if (!a)
			break;
		nla.nla_len = interesting_len(r, nla.nla_len);
		memcpy(a, &nla, NLA_HDRLEN);
		break;
	case 3:
		if (!a)
			break;
		nla.nla_type = (nla.nla_type & ~NLA_TYPE_MASK) | random_attr_type(r, c);
		memcpy(a, &nla, NLA_HDRLEN);
		break;
	case 4:
		if (!a)
			break;
		nla.nla_type ^= percent(r, 60) ? NLA_F_NESTED :
				percent(r, 50) ? NLA_F_NET_BYTEORDER :
				NLA_F_NESTED | NLA_F_NET_BYTEORDER;
		memcpy(a, &nla, NLA_HDRLEN);
		break;
	case 5:		/* duplicate: the kernel keeps the last one */
		if (!a || m->attr_size[i] > sizeof(data))
			break;
		/* Its payload: what nla_len says, if that is less than its room. */
		len = m->attr_size[i] - NLA_HDRLEN;
		if (nla.nla_len >= NLA_HDRLEN && nla.nla_len - NLA_HDRLEN < len)
			len = nla.nla_len - NLA_HDRLEN;
		memcpy(data, a + NLA_HDRLEN, len);
		msg_put(m, nla.nla_type, data, len);
		break;
	case 6:
		if (a)
			msg_remove_attr(m, i);
		break;
	case 7:		/* a value on the edge, same size */
		if (!a)
			break;
		v64 = percent(r, 50) ? extreme_u64(r) : rnd(r);
		if (m->attr_size[i] >= NLA_HDRLEN + 8)
			memcpy(a + NLA_HDRLEN, &v64, 8);
		else if (m->attr_size[i] >= NLA_HDRLEN + 4)
			memcpy(a + NLA_HDRLEN, &v64, 4);
		break;
	case 8:		/* the same attribute, another size */
		if (!a)
			break;
		msg_remove_attr(m, i);
		len = percent(r, 70) ? below(r, 17) : below(r, sizeof(data) + 1);
		fill_random(r, data, len);
		msg_put(m, nla.nla_type, data, len);
		break;
	case 9:
		len = garbage_attrs(r, data, sizeof(data), 3);
		msg_put(m, random_attr_type(r, c) | NLA_F_NESTED, data, len);
		break;
	case 10:
		put_random_attr(fz, m, c);
		break;
	case 11:
		*cut = true;
		break;
	case 12:	/* bytes after the last attribute: not one, or a short one */
		len = 1 + below(r, 7);
		if (m->len + len <= m->cap) {
			fill_random(r, m->buf + m->len, len);
			m->len += len;
		}
		break;
	case 13:
		/* The version, which genetlink ignores, or the reserved bytes. */
		m->buf[NLMSG_HDRLEN + 1] = below(r, 256);
		if (percent(r, 40))
			m->buf[NLMSG_HDRLEN + 2 + below(r, 2)] = 1 + below(r, 255);
		break;
	case 14:
		m->buf[NLMSG_HDRLEN] = percent(r, 50) ? below(r, 256) :
				       m->buf[NLMSG_HDRLEN] ^ (1 << below(r, 8));
		break;
	case 15:
		/* Now and then an attribute as large as netlink takes. */
		len = HUGE_ATTR - below(r, 64);
		if (!percent(r, 4) || m->len + NLA_ALIGN(NLA_HDRLEN + len) > m->cap)
			break;
		huge = m->buf + m->len + NLA_HDRLEN;
		fill_random(r, huge, len);
		memset(huge + len, 0, NLA_ALIGN(len) - len);
		nla.nla_len = NLA_HDRLEN + len;
		nla.nla_type = random_attr_type(r, c) | (percent(r, 30) ? NLA_F_NESTED : 0);
		memcpy(m->buf + m->len, &nla, NLA_HDRLEN);
		m->len += NLA_ALIGN(NLA_HDRLEN + len);
		break;
	default:	/* values of the kinds the command takes, at random places */
		v64 = percent(r, 50) ? pick_va(fz) : extreme_u64(r);
		if (percent(r, 50))
			msg_put_u64(m, random_attr_type(r, c), v64);
		else
			msg_put_u32(m, random_attr_type(r, c), v64);
		break;
	}
}

/* Dumps, the costliest requests to serve, half as often as the others. */
static unsigned int command_weight(const struct command *c)
{
	return c->dump ? 1 : 2;
}

static const struct command *pick_command(struct rng *r)
{
	unsigned int i, total = 0, x;

	for (i = 0; i < NR_COMMANDS; i++)
		total += command_weight(&commands[i]);
	x = below(r, total);
	for (i = 0; x >= command_weight(&commands[i]); i++)
		x -= command_weight(&commands[i]);
	return &commands[i];
}

/*
 * One generated message in m, and whether it is an unmutated valid request
 * held to its exact answer.
 */
static void generate(struct fuzz *fz, struct msg *m, struct expect *e)
{
	struct rng *r = &fz->rng;
	unsigned int x = below(r, 100), n;
	const struct command *c;
	bool cut = false;

	e->strict = false;
	if (x < 15) {
		build_random(fz, m);
		return;
	}
	c = pick_command(r);
	build_valid(fz, m, c, e);
	if (x < 40)
		return;
	e->strict = false;
	for (n = 1 + below(r, 4); n; n--)
		mutate_once(fz, m, c, &cut);
	/* Past the netlink header: cutting that is the truncated rounds' job. */
	if (cut)
		m->len = NLMSG_HDRLEN + below(r, m->len - NLMSG_HDRLEN);
}

/* What the kernel owes a message. */

/*
 * nla_validate_parse() of the genetlink core with the command's policy, under
 * NL_VALIDATE_STRICT; returns 0 or the errno, and the PID the command reads.
 */
static int policy_check(const struct command *c, const uint8_t *head, int len, uint32_t *pid)
{
	const uint8_t *pos = head;
	struct nlattr nla;
	int rem = len;
	uint32_t v32;

	*pid = 0;
	while (rem >= NLA_HDRLEN) {
		int type, alen;
		bool nested;

		memcpy(&nla, pos, NLA_HDRLEN);
		if (nla.nla_len < NLA_HDRLEN || nla.nla_len > rem)
			break;
		type = nla.nla_type & NLA_TYPE_MASK;
		nested = nla.nla_type & NLA_F_NESTED;
		alen = nla.nla_len - NLA_HDRLEN;
		if (!type || type > c->maxattr)
			return -EINVAL;		/* "Unknown attribute type" */
		switch (c->attr[type]) {
		case ATTR_UNKNOWN:
		case ATTR_REJECT:
			return -EINVAL;
		case ATTR_PID:
			if (alen != 4 || nested)
				return -EINVAL;
			memcpy(&v32, pos + NLA_HDRLEN, 4);
			if (!v32 || v32 > PID_MAX_LIMIT)
				return -ERANGE;
			*pid = v32;
			break;
		case ATTR_U64:
			if (alen != 8 || nested)
				return -EINVAL;
			break;
		case ATTR_FLAG:
			if (nested)
				return -EINVAL;
			/* validate_nla() leaves its default -ERANGE for this one. */
			if (alen)
				return -ERANGE;
			break;
		}
		pos += NLA_ALIGN(nla.nla_len);
		rem -= NLA_ALIGN(nla.nla_len);
	}
	/* Less than an attribute left over (a last one unpadded is fine). */
	return rem > 0 ? -EINVAL : 0;
}

static void core_verdict(struct pending *p, enum core_reason reason, int err)
{
	p->verdict = V_CORE;
	p->reason = reason;
	p->expect = err;
}

/* For a message whose nlmsg_len covers exactly its bytes, len >= NLMSG_HDRLEN. */
static void predict(const struct fsock *s, struct pending *p)
{
	const struct nlmsghdr *nlh = (const void *)p->bytes;
	const struct genlmsghdr *g = (const void *)(p->bytes + NLMSG_HDRLEN);
	uint16_t flags = nlh->nlmsg_flags, undefined;
	int err;

	p->ack = flags & NLM_F_ACK;
	p->unpriv = s->unpriv;
	if (!(flags & NLM_F_REQUEST)) {
		p->verdict = p->ack ? V_ACK : V_NO_REPLY;
		p->reason = CORE_NOT_REQUEST;
		return;
	}
	if (nlh->nlmsg_len < GENL_MSG_HDRLEN) {
		core_verdict(p, CORE_SHORT_GENL, -EINVAL);
		return;
	}
	p->dump = (flags & NLM_F_DUMP) == NLM_F_DUMP;
	undefined = flags & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO | (p->dump ? NLM_F_DUMP : 0));
	if (g->reserved || undefined) {
		core_verdict(p, CORE_GENL_HEADER, -EINVAL);
		return;
	}
	p->c = command_of(g->cmd);
	if (!p->c || p->c->dump != p->dump) {
		core_verdict(p, CORE_NO_OPERATION, -EOPNOTSUPP);
		p->c = NULL;
		return;
	}
	/* netlink checks for a running dump before genetlink parses anything. */
	p->maybe_busy = p->dump && s->dump_may_run;
	err = policy_check(p->c, p->bytes + GENL_MSG_HDRLEN, nlh->nlmsg_len - GENL_MSG_HDRLEN,
			   &p->pid);
	if (err) {
		p->verdict = V_POLICY;
		p->expect = err;
		return;
	}
	p->verdict = V_HANDLER;
}

/* Judging what came back. */

static void retire(struct fuzz *fz, struct pending *p, uint64_t *counter)
{
	p->done = true;
	fz->counts.messages++;
	(*counter)++;
}

static bool errno_allowed(const struct command *c, int err)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c->errnos) && c->errnos[i]; i++)
		if (err == -c->errnos[i])
			return true;
	return false;
}

static void remember_watch(struct fsock *s, uint32_t pid)
{
	int i;

	for (i = 0; i < s->nwatched; i++)
		if (s->watched[i] == pid)
			return;
	if (s->nwatched < MAX_WATCHED)
		s->watched[s->nwatched++] = pid;
}

static void count_errno(struct fuzz *fz, int err)
{
	if (-err > 0 && -err < (int)ARRAY_SIZE(fz->counts.by_errno))
		fz->counts.by_errno[-err]++;
}

/* The last reply of p came: an NLMSG_ERROR or NLMSG_DONE saying err. */
static void judge(struct fuzz *fz, struct fsock *s, struct pending *p,
		  const struct nlmsghdr *nlh, const struct mmlens_nl_err *err)
{
	bool is_done = nlh->nlmsg_type == NLMSG_DONE;

	if (p->maybe_busy && !is_done && err->error == -EBUSY) {
		retire(fz, p, &fz->counts.core[CORE_DUMP_BUSY]);
		return;
	}
	switch (p->verdict) {
	case V_NO_REPLY:
		report(fz, p, nlh, err, "a reply to a message netlink must drop");
		break;
	case V_ACK:
		if (is_done || err->error)
			report(fz, p, nlh, err, "a non-request was not just acknowledged");
		retire(fz, p, &fz->counts.core[p->reason]);
		break;
	case V_CORE:
		if (is_done || err->error != p->expect)
			report(fz, p, nlh, err, "expected %d from the genetlink core", p->expect);
		retire(fz, p, &fz->counts.core[p->reason]);
		break;
	case V_POLICY:
		if (is_done || err->error != p->expect)
			report(fz, p, nlh, err, "expected %d from the %s policy", p->expect,
			       p->c->name);
		else if (!err->msg[0])
			report(fz, p, nlh, err, "policy error without an extack message");
		count_errno(fz, err->error);
		retire(fz, p, &fz->counts.policy);
		break;
	case V_HANDLER:
		if (p->strict)
			fz->counts.strict++;
		/* A dump ends with DONE whatever happens once it started; a do with an ACK. */
		if (is_done != p->dump) {
			report(fz, p, nlh, err, "%s ended by the wrong message", p->c->name);
		} else if (!err->error) {
			if (p->unpriv)
				report(fz, p, nlh, err, "%s succeeded without CAP_SYS_ADMIN",
				       p->c->name);
			else if (p->strict && p->expect)
				report(fz, p, nlh, err, "%s succeeded, expected %d", p->c->name,
				       p->expect);
			else if (!p->dump && p->data != !!p->c->reply_max)
				report(fz, p, nlh, err, "%s: %d replies", p->c->name, p->data);
			if (p->c->cmd == MMLENS_CMD_WATCH_ADD)
				remember_watch(s, p->pid);
			retire(fz, p, &fz->counts.ok);
			break;
		} else if (!err->msg[0]) {
			report(fz, p, nlh, err, "%s error %d without an extack message",
			       p->c->name, err->error);
		} else if (p->unpriv) {
			if (err->error != -EPERM || !strstr(err->msg, "CAP_SYS_ADMIN") || p->data)
				report(fz, p, nlh, err, "%s without CAP_SYS_ADMIN: not -EPERM",
				       p->c->name);
			retire(fz, p, &fz->counts.unpriv_eperm);
			break;
		} else if (!errno_allowed(p->c, err->error)) {
			report(fz, p, nlh, err, "%s cannot fail with %d", p->c->name, err->error);
		} else if (p->strict && err->error != p->expect) {
			report(fz, p, nlh, err, "%s: expected %d", p->c->name, p->expect);
		} else if (!p->dump && p->data) {
			report(fz, p, nlh, err, "%s replied and failed", p->c->name);
		}
		if (p->dump && p->data && err->error == -ESRCH)
			fz->counts.exited++;
		count_errno(fz, err->error);
		retire(fz, p, &fz->counts.handler);
		break;
	}
}

/* A reply message of the family: the command's, its attributes well-formed. */
static void take_data(struct fuzz *fz, struct pending *p, const struct nlmsghdr *nlh)
{
	const uint8_t *pos = (const uint8_t *)nlh + GENL_MSG_HDRLEN;
	const struct genlmsghdr *g = (const void *)((const uint8_t *)nlh + NLMSG_HDRLEN);
	int rem = nlh->nlmsg_len - GENL_MSG_HDRLEN;
	struct nlattr nla;

	if (p->verdict != V_HANDLER || p->unpriv) {
		report(fz, p, nlh, NULL, "a reply message where %s is due",
		       p->unpriv ? "-EPERM" : verdict_names[p->verdict]);
		return;
	}
	if (nlh->nlmsg_len < GENL_MSG_HDRLEN || g->cmd != p->c->cmd ||
	    g->version != MMLENS_GENL_VERSION) {
		report(fz, p, nlh, NULL, "a reply that is not a %s message", p->c->name);
		return;
	}
	if (!!(nlh->nlmsg_flags & NLM_F_MULTI) != p->dump || (!p->dump && p->data)) {
		report(fz, p, nlh, NULL, "%s: reply %d, flags %#x", p->c->name, p->data + 1,
		       nlh->nlmsg_flags);
		return;
	}
	while (rem >= NLA_HDRLEN) {
		int type;

		memcpy(&nla, pos, NLA_HDRLEN);
		type = nla.nla_type & NLA_TYPE_MASK;
		if (nla.nla_len < NLA_HDRLEN || nla.nla_len > rem || !type ||
		    type > p->c->reply_max)
			break;
		pos += NLA_ALIGN(nla.nla_len);
		rem -= NLA_ALIGN(nla.nla_len);
	}
	if (rem)
		report(fz, p, nlh, NULL, "%s reply with a malformed or unknown attribute at %d",
		       p->c->name, (int)(nlh->nlmsg_len - rem));
	p->data++;
}

/* Which request a reply answers: the batch's, the sentinel, or an abandoned dump. */
static void dispatch(struct fuzz *fz, struct fsock *s, struct batch *b,
		     const struct nlmsghdr *nlh)
{
	struct mmlens_nl_err err = { 0 };
	uint32_t seq = nlh->nlmsg_seq;
	struct pending *p;

	if (seq == b->sentinel_seq) {
		if (nlh->nlmsg_type != NLMSG_ERROR || mmlens_nl_parse_ack(nlh, &err))
			fatal(fz, "the batch's closing NOOP got type %u error %d",
			      nlh->nlmsg_type, err.error);
		b->sentinel_acked = true;
		return;
	}
	if (seq - b->first_seq < (uint32_t)b->n) {
		p = &b->p[seq - b->first_seq];
	} else if (s->has_abandoned && seq == s->abandoned.seq) {
		p = &s->abandoned;
	} else {
		fatal(fz, "a reply (type %u, flags %#x) to no request: seq %u", nlh->nlmsg_type,
		      nlh->nlmsg_flags, seq);
		return;
	}
	if (p->done) {
		report(fz, p, nlh, NULL, "a reply after the last one");
		return;
	}
	/* A new dump can only have started once the abandoned one ended. */
	if (p != &s->abandoned && p->dump && p->verdict == V_HANDLER && s->has_abandoned &&
	    !(nlh->nlmsg_type == NLMSG_ERROR && p->maybe_busy)) {
		report(fz, p, nlh, NULL, "a dump ran while the last one was still running");
		return;
	}

	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
	case NLMSG_DONE:
		mmlens_nl_parse_ack(nlh, &err);
		if (err.error == -EBADMSG) {
			report(fz, p, nlh, &err, "malformed ACK or DONE");
			p->done = true;
			fz->counts.messages++;
			break;
		}
		judge(fz, s, p, nlh, &err);
		break;
	default:
		if (nlh->nlmsg_type == fz->family)
			take_data(fz, p, nlh);
		else
			report(fz, p, nlh, NULL, "a reply of type %u", nlh->nlmsg_type);
		break;
	}
	if (p == &s->abandoned && p->done) {
		s->has_abandoned = false;
		s->dump_may_run = false;
	}
}

/* Reads one datagram and hands its messages out; -1 when reading failed. */
static int receive(struct fuzz *fz, struct fsock *s, struct batch *b)
{
	const struct nlmsghdr *nlh = (const void *)fz->rx;
	ssize_t ret;
	int len;

	do {
		ret = recv(s->fd, fz->rx, RX_SIZE, MSG_TRUNC);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		if (errno == EAGAIN)
			fatal(fz, "no reply within %d s", REPLY_TIMEOUT_S);
		else
			fatal(fz, "recv: %s", strerror(errno));
		return -1;
	}
	if (ret > RX_SIZE) {
		fatal(fz, "a datagram of %zd bytes", ret);
		return -1;
	}
	for (len = ret; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len))
		dispatch(fz, s, b, nlh);
	if (len > 0)
		fatal(fz, "%d bytes after the last message of a datagram", len);
	return 0;
}

/* A message that got no terminating reply, once every reply of its batch came. */
static void finish_unanswered(struct fuzz *fz, struct pending *p)
{
	if (p->verdict == V_NO_REPLY) {
		retire(fz, p, &fz->counts.core[p->reason]);
		return;
	}
	/* A do that succeeded says nothing more when not asked for an ACK. */
	if (p->verdict == V_HANDLER && !p->dump && !p->ack && !p->unpriv) {
		if (p->strict) {
			fz->counts.strict++;
			if (p->expect)
				report(fz, p, NULL, NULL, "no error, expected %d", p->expect);
		}
		if (p->data != !!p->c->reply_max)
			report(fz, p, NULL, NULL, "%s: %d replies", p->c->name, p->data);
		retire(fz, p, &fz->counts.ok);
		return;
	}
	report(fz, p, NULL, NULL, "no reply");
	p->done = true;
	fz->counts.messages++;
}

/* Sockets. */

static int open_socket(struct fuzz *fz, struct fsock *s, bool unpriv)
{
	struct timeval timeout = { .tv_sec = REPLY_TIMEOUT_S };
	int one = 1, rcvbuf = 8 << 20;

	memset(s, 0, sizeof(*s));
	s->unpriv = unpriv;
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s->fd < 0)
		return -errno;
	/*
	 * A large receive buffer (a batch's replies never fill it: a reply
	 * netlink cannot queue is lost), forced when we may.
	 */
	if (setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) ||
	    setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) ||
	    (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) &&
	     setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))) {
		int ret = -errno;

		close(s->fd);
		s->fd = -1;
		return ret;
	}
	return 0;
}

/*
 * Every watch of a closed socket must be gone: nobody else watches these
 * processes (the anchor watches only the sleeper), so GET_STATS must not
 * find them watched.
 */
static void check_watches_gone(struct fuzz *fz, const struct fsock *s)
{
	uint32_t pids[MAX_WATCHED + 3];
	struct mmlens_nl_err err;
	int i, n = 0, ret;

	for (i = 0; i < s->nwatched; i++)
		pids[n++] = s->watched[i];
	/* Watched perhaps through FOLLOW, not by a WATCH_ADD of theirs. */
	pids[n++] = fz->self;
	pids[n++] = fz->child.pid;
	pids[n++] = fz->large.pid;
	for (i = 0; i < n; i++) {
		struct nl_msg *msg;

		if (pids[i] == (uint32_t)fz->sleeper.pid)
			continue;	/* the anchor's, and a random PID's of ours maybe */
		msg = mmlens_nl_request(&fz->verify, MMLENS_CMD_GET_STATS, 0);

		nla_put_u32(msg, MMLENS_A_STATS_PID, pids[i]);
		ret = mmlens_nl_transact(&fz->verify, msg, NULL, NULL, &err);
		if (ret == -ENOENT || ret == -ESRCH)
			continue;
		fatal(fz, "GET_STATS of PID %u after its watcher's socket closed: %d (%s)",
		      pids[i], ret, err.msg);
	}
}

/* Closes s, forgetting the dumps it leaves running; checks its watches ended. */
static void close_socket(struct fuzz *fz, struct fsock *s, bool privileged)
{
	if (s->has_abandoned && !s->abandoned.done)
		retire(fz, &s->abandoned, &fz->counts.ok);
	close(s->fd);
	s->fd = -1;
	if (privileged)
		check_watches_gone(fz, s);
}

static void reopen_socket(struct fuzz *fz, struct fsock *s)
{
	int ret;

	close_socket(fz, s, true);
	ret = open_socket(fz, s, false);
	if (ret)
		fatal(fz, "socket: %s", strerror(-ret));
}

/* Batches. */

static void batch_start(struct fuzz *fz, struct batch *b)
{
	b->used = 0;
	b->n = 0;
	b->first_seq = fz->next_seq;
	b->sentinel_acked = false;
}

/*
 * Room for the next message, aligned as netlink_rcv_skb() steps; b holds
 * less than BATCH_FILL bytes.
 */
static struct pending *batch_next(struct fuzz *fz, struct batch *b, struct msg *m)
{
	struct pending *p = &b->p[b->n];
	uint32_t off = NLMSG_ALIGN(b->used);

	memset(b->buf + b->used, 0, off - b->used);
	memset(p, 0, sizeof(*p));
	p->index = fz->sent++;
	p->seq = b->first_seq + b->n++;
	p->bytes = b->buf + off;
	m->buf = b->buf + off;
	m->cap = BATCH_BYTES - off - 64;	/* the NOOP, or a cut-short tail */
	return p;
}

/* The message built in m becomes p, with its length and sequence number. */
static void batch_commit(struct batch *b, struct pending *p, struct msg *m)
{
	struct nlmsghdr *nlh = (void *)m->buf;

	nlh->nlmsg_len = m->len;
	nlh->nlmsg_seq = p->seq;
	p->len = m->len;
	b->used = (p->bytes - b->buf) + m->len;
}

/* Generates the next message into b. */
static struct pending *batch_add(struct fuzz *fz, struct fsock *s, struct batch *b)
{
	struct expect e;
	struct msg m;
	struct pending *p = batch_next(fz, b, &m);

	generate(fz, &m, &e);
	batch_commit(b, p, &m);
	predict(s, p);
	p->strict = e.strict && p->verdict == V_HANDLER && !p->unpriv;
	if (p->strict)
		p->expect = e.err;
	return p;
}

/* A valid request of cmd for pid, as the rounds that need a certain one send. */
static struct pending *batch_add_request(struct fuzz *fz, struct fsock *s, struct batch *b,
					 const struct command *c, uint32_t pid, bool follow)
{
	struct msg m;
	struct pending *p = batch_next(fz, b, &m);

	msg_start(&m, fz->family, NLM_F_REQUEST | NLM_F_ACK | (c->dump ? NLM_F_DUMP : 0),
		  c->cmd);
	msg_put_u32(&m, pid_attr_of(c), pid);
	if (follow)
		msg_put(&m, MMLENS_A_WATCH_FOLLOW, NULL, 0);
	batch_commit(b, p, &m);
	predict(s, p);
	return p;
}

/* The NOOP request whose ACK comes after every reply of the batch. */
static void batch_close(struct fuzz *fz, struct batch *b, uint8_t *where)
{
	struct nlmsghdr nlh = {
		.nlmsg_len = NLMSG_HDRLEN,
		.nlmsg_type = NLMSG_NOOP,
		.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
	};

	b->sentinel_seq = nlh.nlmsg_seq = b->first_seq + b->n;
	fz->next_seq = b->sentinel_seq + 1;
	memcpy(where, &nlh, sizeof(nlh));
}

/*
 * Sent without a destination address, as write() sends: netlink_capable()
 * then asks the socket's opener too, not only the sender (with an address,
 * NETLINK_SKB_DST, the sender alone answers for the message).
 */
static int send_datagram(struct fuzz *fz, struct fsock *s, const void *buf, size_t len)
{
	if (send(s->fd, buf, len, 0) < 0) {
		fatal(fz, "send of %zu bytes: %s", len, strerror(errno));
		return -1;
	}
	return 0;
}

/* Sends b's messages and the NOOP in one datagram. */
static int batch_send(struct fuzz *fz, struct fsock *s, struct batch *b)
{
	uint32_t off = NLMSG_ALIGN(b->used);

	memset(b->buf + b->used, 0, off - b->used);
	batch_close(fz, b, b->buf + off);
	return send_datagram(fz, s, b->buf, off + NLMSG_HDRLEN);
}

static void keep_abandoned(struct fsock *s, const struct pending *p)
{
	uint32_t len = p->len < KEEP_BYTES ? p->len : KEEP_BYTES;

	s->abandoned = *p;
	memcpy(s->abandoned_bytes, p->bytes, len);
	s->abandoned.bytes = s->abandoned_bytes;
	s->abandoned.len = len;
	s->has_abandoned = true;
	s->dump_may_run = true;
}

/* Reads every reply of b, then goes on with a dump left running as plan says. */
static void batch_finish(struct fuzz *fz, struct fsock *s, struct batch *b, enum dump_plan plan)
{
	struct pending *last;
	bool running;
	int i;

	while (!b->sentinel_acked && !fz->stop)
		if (receive(fz, s, b))
			return;
	if (fz->stop || !b->n)
		return;
	last = &b->p[b->n - 1];
	running = last->dump && last->verdict == V_HANDLER && !last->done;
	for (i = 0; i < b->n - running; i++)
		if (!b->p[i].done)
			finish_unanswered(fz, &b->p[i]);
	if (!running)
		return;

	switch (plan) {
	case PLAN_READ_ALL:
		while (!last->done && !fz->stop)
			if (receive(fz, s, b))
				return;
		return;
	case PLAN_ABANDON_KEEP:
		fz->counts.abandoned++;
		keep_abandoned(s, last);
		return;
	case PLAN_READ_SOME_CLOSE:
		if (receive(fz, s, b) || last->done)
			return;
		break;
	case PLAN_ABANDON_CLOSE:
		break;
	}
	/* It delivered data without an error so far: all it was asked for. */
	fz->counts.abandoned++;
	retire(fz, last, &fz->counts.ok);
	reopen_socket(fz, s);
}

static enum dump_plan pick_plan(struct rng *r)
{
	unsigned int x = below(r, 100);

	if (x < 70)
		return PLAN_READ_ALL;
	if (x < 85)
		return PLAN_ABANDON_KEEP;
	if (x < 93)
		return PLAN_ABANDON_CLOSE;
	return PLAN_READ_SOME_CLOSE;
}

/* Rounds: each sends messages numbered below until, and reads what they get. */

/* One batch of generated messages; a dump that may start ends it. */
static void batch_round(struct fuzz *fz, struct fsock *s, uint64_t until)
{
	struct batch *b = &fz->batch;
	int want = 1 + below(&fz->rng, s->unpriv ? BATCH_MAX / 2 : BATCH_MAX);
	enum dump_plan plan = pick_plan(&fz->rng);
	struct pending *p;

	/* Dumps without CAP_SYS_ADMIN never run: there is nothing to abandon. */
	if (s->unpriv)
		plan = PLAN_READ_ALL;
	batch_start(fz, b);
	while (b->n < want && fz->sent < until && b->used < BATCH_FILL) {
		p = batch_add(fz, s, b);
		if (p->dump && p->verdict == V_HANDLER)
			break;
	}
	if (!batch_send(fz, s, b))
		batch_finish(fz, s, b, plan);
}

enum cut_tail {
	TAIL_SHORT,	/* fewer bytes left than a netlink header */
	TAIL_OVERLONG,	/* nlmsg_len beyond the datagram's end */
	TAIL_UNDERLONG,	/* nlmsg_len below a netlink header */
	TAIL_JUNK,	/* a whole message, then bytes too few for another */
	NR_CUT_TAILS
};

/*
 * A datagram ending in a header cut short, after a few messages and
 * maybe before others, then the NOOP in a datagram of its own.
 */
static void truncated_round(struct fuzz *fz, struct fsock *s, uint64_t until)
{
	struct rng *r = &fz->rng;
	struct batch *b = &fz->batch;
	enum cut_tail tail = below(r, NR_CUT_TAILS);
	int before = below(r, 3), after = 0, i;
	struct pending *p, *cut = NULL;
	uint8_t noop[NLMSG_HDRLEN];
	struct nlmsghdr *nlh;
	uint32_t junk, end;
	struct msg m;

	if (until - fz->sent < 6) {
		batch_round(fz, s, until);
		return;
	}
	batch_start(fz, b);
	for (i = 0; i < before; i++) {
		p = batch_add(fz, s, b);
		/*
		 * A dump that may start must end the datagram, and a batch
		 * that full takes no more: make it a plain one.
		 */
		if ((p->dump && p->verdict == V_HANDLER) || b->used >= BATCH_FILL) {
			if (!batch_send(fz, s, b))
				batch_finish(fz, s, b, PLAN_READ_ALL);
			return;
		}
	}

	switch (tail) {
	case TAIL_SHORT:
		cut = batch_next(fz, b, &m);
		cut->len = 1 + below(r, NLMSG_HDRLEN - 1);
		fill_random(r, m.buf, cut->len);
		b->used = (cut->bytes - b->buf) + cut->len;
		break;
	case TAIL_OVERLONG:
	case TAIL_UNDERLONG:
		cut = batch_add(fz, s, b);
		after = below(r, 3);
		break;
	case TAIL_JUNK:
		p = batch_add(fz, s, b);
		if (p->dump && p->verdict == V_HANDLER)
			break;		/* it starts: nothing may follow a dump */
		junk = 1 + below(r, NLMSG_HDRLEN - 1);
		end = NLMSG_ALIGN(b->used);
		memset(b->buf + b->used, 0, end - b->used);
		fill_random(r, b->buf + end, junk);
		b->used = end + junk;
		break;
	default:
		break;
	}
	for (i = 0; i < after && b->used < BATCH_FILL; i++) {
		p = batch_add(fz, s, b);
		p->verdict = V_NO_REPLY;
		p->reason = CORE_AFTER_TRUNCATED;
	}
	if (cut) {
		cut->verdict = V_NO_REPLY;
		cut->reason = CORE_TRUNCATED;
		nlh = (void *)cut->bytes;
		if (tail == TAIL_UNDERLONG)
			nlh->nlmsg_len = below(r, NLMSG_HDRLEN);
		else if (tail == TAIL_OVERLONG)	/* past all that follows it */
			nlh->nlmsg_len = percent(r, 20) ? UINT32_MAX :
					 b->used - (cut->bytes - b->buf) + 1 + below(r, 4096);
	}

	if (send_datagram(fz, s, b->buf, b->used))
		return;
	batch_close(fz, b, noop);
	if (!send_datagram(fz, s, noop, sizeof(noop)))
		batch_finish(fz, s, b, PLAN_READ_ALL);
}

/* A child with vmas one-page VMAs (vmas even) and pages, all present, paused until killed. */
static int spawn_target(struct target *t, unsigned int vmas, unsigned int pages)
{
	size_t size = (vmas + pages) * MMT_PAGE_SIZE;
	uint8_t *region;
	unsigned int i;
	int ready[2];
	ssize_t n;
	char c;

	region = size ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0) : NULL;
	if (region == MAP_FAILED || pipe(ready))
		return -errno;
	t->region = (uint64_t)region;
	t->vmas = vmas;
	t->pages = pages;
	t->pid = fork();
	if (t->pid < 0)
		return -errno;
	if (!t->pid) {
		/* Keep no socket open: their watches must end when we close them. */
		if (dup2(ready[1], STDIN_FILENO) < 0)
			_exit(1);
		close_range(3, ~0U, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Base pages only: as many GET_PTE records as pages, whatever THP does. */
		if (size)
			madvise(region, size, MADV_NOHUGEPAGE);
		if (size && madvise(region, size, MADV_POPULATE_WRITE))
			for (i = 0; i < vmas + pages; i++)
				region[i * MMT_PAGE_SIZE] = 1;
		/* Every other page read-only: no two neighbours merge, nor the last with pages. */
		for (i = 1; i < vmas; i += 2)
			mprotect(region + i * MMT_PAGE_SIZE, MMT_PAGE_SIZE, PROT_READ);
		if (write(STDIN_FILENO, "", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	n = read(ready[0], &c, 1);
	close(ready[0]);
	if (size)
		munmap(region, size);
	return n == 1 ? 0 : -EIO;
}

static void kill_target(struct target *t)
{
	if (t->pid <= 0)
		return;
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
	t->pid = 0;
}

enum exit_how {
	EXIT_REAPED,	/* gone when the dump goes on */
	EXIT_ZOMBIE,	/* a zombie then, reaped after the dump */
	EXIT_UNREAD,	/* and the socket closed without reading */
	NR_EXIT_HOWS
};

/*
 * A dump of the large target left unread after its first datagram:
 * on the open socket (its next dumps may get -EBUSY), closed at once, or
 * closed after one datagram more.
 */
static void abandon_round(struct fuzz *fz, struct fsock *s)
{
	static const enum dump_plan plans[] = {
		PLAN_ABANDON_KEEP, PLAN_ABANDON_CLOSE, PLAN_READ_SOME_CLOSE,
	};
	const struct command *c = command_of(percent(&fz->rng, 50) ? MMLENS_CMD_GET_VMA :
						 MMLENS_CMD_GET_PTE);
	enum dump_plan plan = plans[below(&fz->rng, ARRAY_SIZE(plans))];
	struct batch *b = &fz->batch;

	batch_start(fz, b);
	/* Held to success (expect is 0), unless a dump still runs: -EBUSY. */
	batch_add_request(fz, s, b, c, fz->large.pid, false)->strict = true;
	if (!batch_send(fz, s, b))
		batch_finish(fz, s, b, plan);
}

/*
 * A dump over a process killed right after the dump started: its first
 * datagram, filled in sendmsg(), holds part of the large target; the next
 * one, asked for by the first recv(), finds the target gone and must end
 * the dump with -ESRCH "process has exited".
 */
static void exiting_target_round(struct fuzz *fz, struct fsock *s)
{
	const struct command *c = command_of(percent(&fz->rng, 50) ? MMLENS_CMD_GET_VMA :
						 MMLENS_CMD_GET_PTE);
	enum exit_how how = below(&fz->rng, NR_EXIT_HOWS);
	struct batch *b = &fz->batch;
	struct pending *p;
	struct target t;
	siginfo_t info;
	int ret;

	ret = spawn_target(&t, LARGE_VMAS, LARGE_PAGES);
	if (ret) {
		fatal(fz, "spawning a target: %s", strerror(-ret));
		return;
	}
	batch_start(fz, b);
	p = batch_add_request(fz, s, b, c, t.pid, false);
	p->strict = true;
	p->expect = -ESRCH;
	ret = batch_send(fz, s, b);
	kill(t.pid, SIGKILL);
	if (how == EXIT_ZOMBIE)
		waitid(P_PID, t.pid, &info, WEXITED | WNOWAIT);
	else
		kill_target(&t);
	if (!ret && how == EXIT_UNREAD) {
		fz->counts.abandoned++;
		retire(fz, p, &fz->counts.ok);
		reopen_socket(fz, s);
	} else if (!ret) {
		batch_finish(fz, s, b, PLAN_READ_ALL);
	}
	kill_target(&t);
}

/*
 * Watches a socket holds when it closes -- this process (following its forks
 * or not) and the child, both live -- which the close must end.
 */
static void watch_and_close_round(struct fuzz *fz, struct fsock *s)
{
	const struct command *add = command_of(MMLENS_CMD_WATCH_ADD);
	bool follow = percent(&fz->rng, 50);
	struct batch *b = &fz->batch;

	batch_start(fz, b);
	/* Held to success: expect is 0. */
	batch_add_request(fz, s, b, add, fz->self, follow)->strict = true;
	batch_add_request(fz, s, b, add, fz->child.pid, false)->strict = true;
	if (!batch_send(fz, s, b))
		batch_finish(fz, s, b, PLAN_READ_ALL);
	if (!fz->stop)
		reopen_socket(fz, s);
}

/* A fresh child target now and then: the old one's PID becomes a reaped one. */
static void recycle_target(struct fuzz *fz)
{
	pid_t old = fz->child.pid;
	int ret;

	kill_target(&fz->child);
	fz->reaped = old;
	ret = spawn_target(&fz->child, SMALL_VMAS, SMALL_PAGES);
	if (ret)
		fatal(fz, "spawning a target: %s", strerror(-ret));
}

/*
 * The anchor: a watch of the sleeper on the verify socket, which keeps the
 * probes armed.  Arming and disarming them costs tens of milliseconds in a
 * TCG guest, and the fuzzed WATCH_ADDs and WATCH_DELs would take the watch
 * count through zero over and over; so they do that only in the windows
 * the anchor is away (and in watch_and_close_round()).
 */
static void set_anchor(struct fuzz *fz, bool anchored)
{
	struct nl_msg *msg = mmlens_nl_request(&fz->verify, anchored ? MMLENS_CMD_WATCH_ADD :
					       MMLENS_CMD_WATCH_DEL, 0);
	struct mmlens_nl_err err;
	int ret;

	nla_put_u32(msg, MMLENS_A_WATCH_PID, fz->sleeper.pid);
	ret = mmlens_nl_transact(&fz->verify, msg, NULL, NULL, &err);
	if (ret)
		fatal(fz, "%s of the anchor: %d (%s)", anchored ? "WATCH_ADD" : "WATCH_DEL", ret,
		      err.msg);
	fz->anchored = anchored;
}

static void schedule_init(struct fuzz *fz, struct schedule *sch, uint64_t every)
{
	sch->every = every;
	sch->next = every / 2 + below(&fz->rng, every);
}

static bool due(struct fuzz *fz, struct schedule *sch)
{
	if (fz->sent < sch->next)
		return false;
	sch->next = fz->sent + sch->every / 2 + below(&fz->rng, sch->every);
	return true;
}

/* Anchored for about 8000 messages, then away for about 800. */
static void toggle_anchor(struct fuzz *fz)
{
	set_anchor(fz, !fz->anchored);
	fz->anchor_toggle.every = fz->anchored ? 8000 : 800;
	fz->anchor_toggle.next = fz->sent + fz->anchor_toggle.every / 2 +
				 below(&fz->rng, fz->anchor_toggle.every);
}

/*
 * Rounds of every kind from this privileged process, on fz->main; those that
 * fork or dump the large target, the costly ones, now and then.
 */
static void fuzz_privileged(struct fuzz *fz, uint64_t until)
{
	struct fsock *s = &fz->main;

	while (fz->sent < until && !fz->stop) {
		if (due(fz, &fz->exiting))
			exiting_target_round(fz, s);
		else if (due(fz, &fz->abandon))
			abandon_round(fz, s);
		else if (until - fz->sent >= 2 && due(fz, &fz->watch_close))
			watch_and_close_round(fz, s);
		else if (due(fz, &fz->recycle))
			recycle_target(fz);
		else if (due(fz, &fz->anchor_toggle))
			toggle_anchor(fz);
		else if (percent(&fz->rng, 4))
			truncated_round(fz, s, until);
		else
			batch_round(fz, s, until);
	}
}

/* Messages through s, a socket whose sender or opener lacks CAP_SYS_ADMIN. */
static void fuzz_unprivileged(struct fuzz *fz, struct fsock *s, uint64_t until)
{
	while (fz->sent < until && !fz->stop) {
		if (percent(&fz->rng, 4))
			truncated_round(fz, s, until);
		else
			batch_round(fz, s, until);
	}
}

static void add_counts(struct counts *to, const struct counts *from)
{
	int i;

	to->messages += from->messages;
	to->ok += from->ok;
	to->policy += from->policy;
	to->handler += from->handler;
	for (i = 0; i < NR_CORE_REASONS; i++)
		to->core[i] += from->core[i];
	to->unpriv_eperm += from->unpriv_eperm;
	for (i = 0; i < (int)ARRAY_SIZE(to->by_errno); i++)
		to->by_errno[i] += from->by_errno[i];
	to->exited += from->exited;
	to->abandoned += from->abandoned;
	to->strict += from->strict;
	to->failures += from->failures;
}

/* What the unprivileged child hands back. */
struct unpriv_result {
	struct counts counts;
	uint64_t sent;
};

/* The child of unprivileged_phase(): as nobody, on its own socket, then on root's. */
static void __attribute__((noreturn))
unprivileged_child(struct fuzz *fz, struct fsock *root_opened, uint64_t until,
		   int ready, int go, struct unpriv_result *res)
{
	uint64_t count = until - fz->sent;
	struct fsock own, give;
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(fz->main.fd);
	memset(&fz->counts, 0, sizeof(fz->counts));
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		_exit(2);
	/* One socket for root to take and send on: opened by nobody. */
	if (open_socket(fz, &give, true) || open_socket(fz, &own, true))
		_exit(3);
	if (write(ready, &give.fd, sizeof(give.fd)) != sizeof(give.fd) || read(go, &c, 1) != 1)
		_exit(4);
	close(give.fd);
	fuzz_unprivileged(fz, &own, fz->sent + count * 4 / 10);
	fuzz_unprivileged(fz, root_opened, fz->sent + count * 3 / 10);
	res->counts = fz->counts;
	res->sent = fz->sent;
	_exit(fz->counts.failures ? 1 : 0);
}

/*
 * Messages without CAP_SYS_ADMIN, numbered below until: a child that
 * dropped to nobody sends on its own socket and on one root opened, then
 * root sends on a socket nobody opened (netlink_capable() asks the sender,
 * and the opener of a socket written to without a destination address).
 */
static void unprivileged_phase(struct fuzz *fz, uint64_t until)
{
	int ready[2], go[2], given = -1, pidfd = -1, status, ret;
	struct fsock root_opened, nobody_opened;
	uint64_t child_seed = rnd(&fz->rng);
	struct unpriv_result *res;
	pid_t child;

	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED || pipe(ready) || pipe(go)) {
		fatal(fz, "unprivileged phase: %s", strerror(errno));
		return;
	}
	ret = open_socket(fz, &root_opened, true);
	if (ret) {
		fatal(fz, "socket: %s", strerror(-ret));
		return;
	}
	child = fork();
	if (child < 0) {
		fatal(fz, "fork: %s", strerror(errno));
		return;
	}
	if (!child) {
		close(ready[0]);
		close(go[1]);
		fz->rng.state = child_seed;
		unprivileged_child(fz, &root_opened, until, ready[1], go[0], res);
	}
	close(root_opened.fd);
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &given, sizeof(given)) == sizeof(given))
		pidfd = syscall(SYS_pidfd_open, child, 0);
	nobody_opened = root_opened;
	nobody_opened.fd = pidfd < 0 ? -1 : syscall(SYS_pidfd_getfd, pidfd, given, 0);
	if (nobody_opened.fd < 0)
		fatal(fz, "taking the socket nobody opened: %s", strerror(errno));
	if (write(go[1], "", 1) != 1)
		fatal(fz, "the unprivileged child is gone");
	close(go[1]);
	close(ready[0]);
	if (pidfd >= 0)
		close(pidfd);
	waitpid(child, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
		fatal(fz, "the unprivileged child: wait status %#x", status);
	else
		fz->sent = res->sent;
	add_counts(&fz->counts, &res->counts);
	munmap(res, sizeof(*res));
	if (nobody_opened.fd >= 0) {
		fuzz_unprivileged(fz, &nobody_opened, until);
		close_socket(fz, &nobody_opened, false);
	}
}

/* Setup. */

static void *idle_thread(void *arg)
{
	struct fuzz *fz = arg;
	pid_t tid = gettid();
	char c;

	if (write(fz->thread_tid_pipe[1], &tid, sizeof(tid)) != sizeof(tid))
		return NULL;
	/* Until the write end closes. */
	while (read(fz->thread_stop_pipe[0], &c, 1) > 0)
		;
	return NULL;
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

/* A zombie child, kept unreaped until the end. */
static pid_t spawn_zombie(void)
{
	siginfo_t info;
	pid_t pid = fork();

	if (!pid)
		_exit(0);
	if (pid > 0)
		waitid(P_PID, pid, &info, WEXITED | WNOWAIT);
	return pid;
}

/* The family id, for the raw sockets; a libnl socket of its own does the asking. */
static int resolve_family(void)
{
	struct nl_sock *sock = nl_socket_alloc();
	int ret;

	if (!sock)
		return -ENOMEM;
	ret = genl_connect(sock);
	if (!ret)
		ret = genl_ctrl_resolve(sock, MMLENS_GENL_NAME);
	nl_socket_free(sock);
	return ret < 0 ? mmlens_nl_errno(ret) : ret;
}

/* Returns 0, or a negative errno and what failed in *what. */
static int fuzz_init(struct fuzz *fz, const char **what)
{
	struct mmt_range ram[64];
	char buf[32];
	uint64_t pme;
	int ret, i, n;

	/* An inherited SIG_IGN would reap the zombie target at once. */
	signal(SIGCHLD, SIG_DFL);
	fz->seed = env_u64("MMLENS_FUZZ_SEED", DEFAULT_SEED);
	fz->total = env_u64("MMLENS_FUZZ_MESSAGES", DEFAULT_MESSAGES);
	fz->rng.state = fz->seed;
	fz->next_seq = 1;
	/* The rarest a few times even in a short run. */
	schedule_init(fz, &fz->exiting, fz->total < 80000 ? fz->total / 4 : 20000);
	schedule_init(fz, &fz->abandon, 400);
	schedule_init(fz, &fz->watch_close, 2500);
	schedule_init(fz, &fz->recycle, fz->total < 50000 ? fz->total / 2 : 25000);
	schedule_init(fz, &fz->anchor_toggle, 8000);
	fz->main.fd = -1;
	fz->self = getpid();
	fz->levels = mmt_paging_levels();
	/* Every 64-bit process's mm->task_size: TASK_SIZE_MAX. */
	fz->task_size = (fz->levels == 5 ? 1ULL << 56 : 1ULL << 47) - MMT_PAGE_SIZE;
	fz->pid_max = PID_MAX_LIMIT;
	if (!mmt_read_file("/proc/sys/kernel/pid_max", buf, sizeof(buf)))
		fz->pid_max = strtoul(buf, NULL, 10);

	*what = "connecting to mmlens";
	ret = mmlens_nl_open(&fz->verify);
	if (ret)
		return ret;
	ret = resolve_family();
	if (ret < 0)
		return ret;
	fz->family = ret;

	*what = "starting a thread";
	if (pipe(fz->thread_tid_pipe) || pipe(fz->thread_stop_pipe))
		return -errno;
	ret = pthread_create(&fz->thread, NULL, idle_thread, fz);
	if (ret)
		return -ret;
	if (read(fz->thread_tid_pipe[0], &fz->thread_tid, sizeof(pid_t)) != sizeof(pid_t))
		return -EIO;

	/* Addresses of ours: stack, heap, code, vDSO, present and absent anonymous pages. */
	*what = "mapping memory";
	fz->anon = mmap(NULL, 16 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fz->anon == MAP_FAILED)
		return -errno;
	for (i = 0; i < 8; i++)
		fz->anon[i * MMT_PAGE_SIZE] = 1;
	fz->self_va[fz->nself_va++] = (uint64_t)buf & ~(MMT_PAGE_SIZE - 1);
	fz->self_va[fz->nself_va++] = (uint64_t)fz->rx;
	fz->self_va[fz->nself_va++] = (uint64_t)&rnd & ~(MMT_PAGE_SIZE - 1);
	fz->self_va[fz->nself_va++] = getauxval(AT_SYSINFO_EHDR);
	fz->self_va[fz->nself_va++] = (uint64_t)fz->anon;
	fz->self_va[fz->nself_va++] = (uint64_t)fz->anon + 12 * MMT_PAGE_SIZE;
	/* Children inherit it too: PMD leaves for the walks, mapped twice. */
	fz->thp = mmt_map_thp();
	if (fz->thp != MAP_FAILED) {
		memset(fz->thp, 1, MMT_PMD_SIZE);
		fz->self_va[fz->nself_va++] = (uint64_t)fz->thp;
		fz->self_va[fz->nself_va++] = (uint64_t)fz->thp + MMT_PMD_SIZE / 2;
	}

	/* Whole frames of System RAM only. */
	*what = "reading System RAM from /proc/iomem";
	n = mmt_system_ram(ram, ARRAY_SIZE(ram));
	for (i = 0; i < n; i++)
		if (ram[i].start < ram[i].end)
			fz->ram[fz->nram++] = ram[i];
	if (!fz->nram)
		return n < 0 ? n : -ENOENT;
	*what = "reading /proc/self/pagemap";
	ret = mmt_pagemap(0, (uint64_t)fz->anon, &pme);
	if (ret)
		return ret;
	fz->known_pfn = PM_PFN(pme);

	*what = "spawning the targets, the zombie and the reaped child";
	ret = spawn_target(&fz->child, SMALL_VMAS, SMALL_PAGES);
	if (!ret)
		ret = spawn_target(&fz->large, LARGE_VMAS, LARGE_PAGES);
	if (!ret)
		ret = spawn_target(&fz->sleeper, 0, 0);
	if (ret)
		return ret;
	fz->zombie = spawn_zombie();
	fz->reaped = spawn_zombie();
	if (fz->zombie < 0 || fz->reaped < 0)
		return -errno;
	waitpid(fz->reaped, NULL, 0);
	*what = "opening a netlink socket";
	return open_socket(fz, &fz->main, false);
}

static void fuzz_cleanup(struct fuzz *fz)
{
	if (fz->main.fd >= 0)
		close(fz->main.fd);
	kill_target(&fz->child);
	kill_target(&fz->large);
	kill_target(&fz->sleeper);
	if (fz->zombie > 0)
		waitpid(fz->zombie, NULL, 0);
	if (fz->thread_tid) {
		close(fz->thread_stop_pipe[1]);
		pthread_join(fz->thread, NULL);
	}
	if (fz->verify.sock)
		mmlens_nl_close(&fz->verify);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void print_summary(const struct fuzz *fz, double secs)
{
	const struct counts *c = &fz->counts;
	uint64_t core = 0;
	int i;

	for (i = 0; i < NR_CORE_REASONS; i++)
		core += c->core[i];
	fprintf(stderr, "# fuzz: %llu messages (seed %#llx): %llu replies ok, "
		"%llu module errors with extack, %llu rejected by the netlink core, "
		"%llu unprivileged EPERM, %llu dumps abandoned\n",
		(unsigned long long)c->messages, (unsigned long long)fz->seed,
		(unsigned long long)c->ok, (unsigned long long)(c->policy + c->handler),
		(unsigned long long)core, (unsigned long long)c->unpriv_eperm,
		(unsigned long long)c->abandoned);
	fprintf(stderr, "# fuzz: module errors: %llu by the policy, %llu by the commands; "
		"%llu unmutated requests got their exact answer\n",
		(unsigned long long)c->policy, (unsigned long long)c->handler,
		(unsigned long long)c->strict);
	fprintf(stderr, "# fuzz: module errors by errno:");
	for (i = 0; i < (int)ARRAY_SIZE(c->by_errno); i++)
		if (c->by_errno[i])
			fprintf(stderr, " %s %llu", strerrorname_np(i),
				(unsigned long long)c->by_errno[i]);
	fprintf(stderr, "; %llu dumps ended by their target's exit\n",
		(unsigned long long)c->exited);
	fprintf(stderr, "# fuzz: core:");
	for (i = 0; i < NR_CORE_REASONS; i++)
		fprintf(stderr, "%s %llu %s", i ? "," : "", (unsigned long long)c->core[i],
			core_reason_names[i]);
	fprintf(stderr, "\n# fuzz: %.1f s, %.1f s per 100k messages\n", secs,
		c->messages ? secs * 100000 / c->messages : 0);
}

FIXTURE(fuzz) {
	struct fuzz *fz;
};

FIXTURE_SETUP(fuzz)
{
	const char *what = "";
	int ret;

	self->fz = calloc(1, sizeof(*self->fz));
	ASSERT_NE(NULL, self->fz);
	ret = fuzz_init(self->fz, &what);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s: %s", what, strerror(-ret));
	}
}

FIXTURE_TEARDOWN(fuzz)
{
	fuzz_cleanup(self->fz);
	free(self->fz);
}

TEST_F_TIMEOUT(fuzz, every_message_gets_its_answer_and_valid_requests_still_work, 3600)
{
	struct fuzz *fz = self->fz;
	uint64_t unpriv = fz->total / 20, privileged = fz->total - 2 * unpriv;
	uint64_t pme, va = (uint64_t)fz->anon + MMT_PAGE_SIZE;
	struct mmlens_nl_err err;
	struct mmt_status st;
	struct mmt_vmas vmas = { 0 };
	struct mmt_walk walk;
	struct timespec t0;
	int i, ret;

	fprintf(stderr, "# fuzz: %llu messages, seed %#llx (MMLENS_FUZZ_MESSAGES, "
		"MMLENS_FUZZ_SEED)\n", (unsigned long long)fz->total,
		(unsigned long long)fz->seed);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	set_anchor(fz, true);
	/*
	 * Privileged thirds with two stretches of a twentieth each without
	 * CAP_SYS_ADMIN between them.
	 */
	for (i = 0; i < 3 && !fz->stop; i++) {
		fuzz_privileged(fz, (i + 1) * privileged / 3 + i * unpriv);
		if (i < 2 && !fz->stop)
			unprivileged_phase(fz, fz->sent + unpriv);
		fprintf(stderr, "# fuzz: %llu messages sent, %.1f s\n",
			(unsigned long long)fz->sent, seconds_since(&t0));
	}
	if (!fz->stop)
		close_socket(fz, &fz->main, true);
	if (fz->anchored)
		set_anchor(fz, false);
	print_summary(fz, seconds_since(&t0));
	ASSERT_EQ(0, fz->counts.failures);
	ASSERT_EQ(fz->total, fz->counts.messages);

	/* Valid requests still work, and agree with /proc. */
	ASSERT_EQ(0, mmt_get_status(&fz->verify, &st, &err)) {
		TH_LOG("GET_STATUS: %s", err.msg);
	}
	EXPECT_EQ(fz->levels, st.paging_levels);
	ASSERT_EQ(0, mmt_pagemap(0, va, &pme));
	ASSERT_TRUE(pme & PM_PRESENT);
	ret = mmt_translate(&fz->verify, getpid(), va, &walk, &err);
	ASSERT_EQ(0, ret) {
		TH_LOG("TRANSLATE %#llx: %s (%s)", (unsigned long long)va, err.msg,
		       mmt_parse_error);
	}
	EXPECT_EQ(PM_PFN(pme), WV(&walk, PFN));
	ret = mmt_get_vmas(&fz->verify, getpid(), MMT_NONE, MMT_NONE, &vmas, &err);
	ASSERT_EQ(0, ret) {
		TH_LOG("GET_VMA: %s (%s)", err.msg, mmt_parse_error);
	}
	for (i = 0; i < vmas.n; i++)
		if (VV(&vmas.vma[i], START) <= va && va < VV(&vmas.vma[i], END))
			break;
	EXPECT_LT(i, vmas.n) {
		TH_LOG("no VMA of %d covers %#llx", vmas.n, (unsigned long long)va);
	}
	mmt_vmas_free(&vmas);
}

TEST_HARNESS_MAIN
