// SPDX-License-Identifier: GPL-2.0
/*
 * Requests mmlens must refuse, each with its errno and the extack message
 * the module documents: targets that are not there (unknown, reaped, zombie),
 * kernel threads, addresses outside the user address space, inverted
 * ranges, missing or malformed attributes, the wrong kind of request, and
 * callers without CAP_SYS_ADMIN -- for every command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mmtest.h"

#define NOBODY 65534
#define PF_KTHREAD 0x00200000

FIXTURE(req) {
	struct mmlens_nl nl;
	struct mmlens_nl_err err;
	int levels;
	uint64_t user_va;	/* an address mapped in every process: our stack */
};

FIXTURE_SETUP(req)
{
	memset(&self->err, 0, sizeof(self->err));
	ASSERT_EQ(0, mmlens_nl_open(&self->nl));
	self->levels = mmt_paging_levels();
	self->user_va = (uint64_t)&self->err & ~(MMT_PAGE_SIZE - 1);
}

FIXTURE_TEARDOWN(req)
{
	mmlens_nl_close(&self->nl);
}

/* Sends c for pid (with a valid VA where one is needed); returns the errno. */
static int ask(FIXTURE_DATA(req) *self, struct mmlens_nl *nl, const struct mmt_pid_cmd *c,
	       pid_t pid)
{
	return mmt_ask_pid(nl, c, pid, self->user_va, &self->err);
}

static void expect_error(struct __test_metadata *_metadata, FIXTURE_DATA(req) *self,
			 const char *what, int ret, int errno_neg, const char *msg)
{
	EXPECT_EQ(errno_neg, ret) {
		TH_LOG("%s: got %d (%s), extack \"%s\"", what, ret, strerror(-ret), self->err.msg);
	}
	EXPECT_EQ(errno_neg, self->err.error);
	if (msg) {
		EXPECT_NE(NULL, strstr(self->err.msg, msg)) {
			TH_LOG("%s: extack \"%s\", expected \"%s\"", what, self->err.msg, msg);
		}
	} else {
		EXPECT_NE(0, self->err.msg[0]) {
			TH_LOG("%s: no extack message", what);
		}
		TH_LOG("%s: extack \"%s\"", what, self->err.msg);
	}
}

static pid_t unused_pid(void)
{
	char buf[32];
	long max = 32768;
	pid_t p;

	if (!mmt_read_file("/proc/sys/kernel/pid_max", buf, sizeof(buf)))
		max = strtol(buf, NULL, 10);
	for (p = max - 1; p > 300; p--)
		if (kill(p, 0) && errno == ESRCH)
			return p;
	return -1;
}

TEST_F(req, unknown_pid_gets_esrch_no_such_process)
{
	pid_t pid = unused_pid();
	unsigned int i;

	ASSERT_GT(pid, 0);
	for (i = 0; i < MMT_NR_TARGET_CMDS; i++)
		expect_error(_metadata, self, mmt_pid_cmds[i].name,
			     ask(self, &self->nl, &mmt_pid_cmds[i], pid), -ESRCH, "no such process");
}

TEST_F(req, kernel_thread_gets_einval)
{
	uint64_t st[53];
	pid_t kthread = 2;	/* kthreadd */
	unsigned int i;

	ASSERT_EQ(0, mmt_read_stat(kthread, st, NULL));
	ASSERT_TRUE(st[9] & PF_KTHREAD) {
		TH_LOG("pid 2 is not a kernel thread here (flags %#llx)", (unsigned long long)st[9]);
	}
	for (i = 0; i < MMT_NR_TARGET_CMDS; i++)
		expect_error(_metadata, self, mmt_pid_cmds[i].name,
			     ask(self, &self->nl, &mmt_pid_cmds[i], kthread), -EINVAL,
			     "process is a kernel thread");
}

TEST_F(req, reaped_child_gets_esrch_no_such_process)
{
	unsigned int i;
	pid_t child;
	int status;

	child = fork();
	ASSERT_GE(child, 0);
	if (!child)
		_exit(0);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	for (i = 0; i < MMT_NR_TARGET_CMDS; i++)
		expect_error(_metadata, self, mmt_pid_cmds[i].name,
			     ask(self, &self->nl, &mmt_pid_cmds[i], child), -ESRCH, "no such process");
}

TEST_F(req, zombie_child_gets_esrch_process_has_exited)
{
	unsigned int i;
	uint64_t st[53];
	char state = 0;
	pid_t child;
	int tries;

	child = fork();
	ASSERT_GE(child, 0);
	if (!child)
		_exit(0);
	for (tries = 0; tries < 500; tries++) {
		ASSERT_EQ(0, mmt_read_stat(child, st, &state));
		if (state == 'Z')
			break;
		usleep(10000);
	}
	ASSERT_EQ('Z', state);
	for (i = 0; i < MMT_NR_TARGET_CMDS; i++)
		expect_error(_metadata, self, mmt_pid_cmds[i].name,
			     ask(self, &self->nl, &mmt_pid_cmds[i], child), -ESRCH,
			     "process has exited");
	waitpid(child, NULL, 0);
}

static int translate(FIXTURE_DATA(req) *self, uint64_t va)
{
	struct nl_msg *msg = mmlens_nl_request(&self->nl, MMLENS_CMD_TRANSLATE, 0);

	nla_put_u32(msg, MMLENS_A_WALK_PID, getpid());
	nla_put_u64(msg, MMLENS_A_WALK_VA, va);
	memset(&self->err, 0, sizeof(self->err));
	return mmlens_nl_transact(&self->nl, msg, NULL, NULL, &self->err);
}

TEST_F(req, addresses_outside_the_user_address_space_get_einval)
{
	uint64_t task_size = (self->levels == 5 ? 1ULL << 56 : 1ULL << 47) - MMT_PAGE_SIZE;
	const struct { const char *what; uint64_t va; } bad[] = {
		{ "first non-canonical address", self->levels == 5 ? 1ULL << 56 : 1ULL << 47 },
		{ "TASK_SIZE", task_size },
		{ "kernel direct map", 0xffff888000000000ULL },
		{ "top of the address space", ~0ULL },
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(_metadata, self, bad[i].what, translate(self, bad[i].va), -EINVAL,
			     "address is not a user address");
	/* The last user page is fine (nothing mapped there). */
	EXPECT_EQ(0, translate(self, task_size - 1)) {
		TH_LOG("extack \"%s\"", self->err.msg);
	}
	EXPECT_EQ(0, translate(self, 0));
}

TEST_F(req, range_start_above_end_gets_einval)
{
	const struct { const char *name; uint8_t cmd; int pid, start, end; } cmds[] = {
		{ "GET_VMA", MMLENS_CMD_GET_VMA, MMLENS_A_VMA_PID, MMLENS_A_VMA_START,
		  MMLENS_A_VMA_END },
		{ "GET_PTE", MMLENS_CMD_GET_PTE, MMLENS_A_PTE_PID, MMLENS_A_PTE_START,
		  MMLENS_A_PTE_END },
	};
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct nl_msg *msg = mmlens_nl_request(&self->nl, cmds[i].cmd, NLM_F_DUMP);

		nla_put_u32(msg, cmds[i].pid, getpid());
		nla_put_u64(msg, cmds[i].start, self->user_va + MMT_PAGE_SIZE);
		nla_put_u64(msg, cmds[i].end, self->user_va);
		expect_error(_metadata, self, cmds[i].name,
			     mmlens_nl_transact(&self->nl, msg, NULL, NULL, &self->err), -EINVAL,
			     "range start is above its end");
	}
}

TEST_F(req, missing_required_attributes_get_einval)
{
	struct nl_msg *msg;
	unsigned int i;

	for (i = 0; i < MMT_NR_TARGET_CMDS; i++) {
		msg = mmlens_nl_request(&self->nl, mmt_pid_cmds[i].cmd, mmt_pid_cmds[i].flags);
		if (mmt_pid_cmds[i].va_attr)
			nla_put_u64(msg, mmt_pid_cmds[i].va_attr, self->user_va);
		expect_error(_metadata, self, mmt_pid_cmds[i].name,
			     mmlens_nl_transact(&self->nl, msg, NULL, NULL, &self->err), -EINVAL,
			     "missing pid attribute");
	}
	msg = mmlens_nl_request(&self->nl, MMLENS_CMD_TRANSLATE, 0);
	nla_put_u32(msg, MMLENS_A_WALK_PID, getpid());
	expect_error(_metadata, self, "TRANSLATE without va",
		     mmlens_nl_transact(&self->nl, msg, NULL, NULL, &self->err), -EINVAL,
		     "missing va attribute");
	msg = mmlens_nl_request(&self->nl, MMLENS_CMD_GET_FRAME, 0);
	expect_error(_metadata, self, "GET_FRAME",
		     mmlens_nl_transact(&self->nl, msg, NULL, NULL, &self->err), -EINVAL,
		     "missing pfn attribute");
}

TEST_F(req, pid_of_the_wrong_size_gets_einval_and_extack)
{
	unsigned int i;

	for (i = 0; i < MMT_NR_TARGET_CMDS; i++) {
		struct nl_msg *msg = mmlens_nl_request(&self->nl, mmt_pid_cmds[i].cmd,
						       mmt_pid_cmds[i].flags);
		uint8_t one = 1;

		nla_put(msg, mmt_pid_cmds[i].pid_attr, 1, &one);
		if (mmt_pid_cmds[i].va_attr)
			nla_put_u64(msg, mmt_pid_cmds[i].va_attr, self->user_va);
		expect_error(_metadata, self, mmt_pid_cmds[i].name,
			     mmlens_nl_transact(&self->nl, msg, NULL, NULL, &self->err), -EINVAL,
			     NULL);
	}
}

TEST_F(req, pid_zero_is_refused_by_the_policy_with_extack)
{
	unsigned int i;
	int ret;

	/*
	 * The header documents no errno for values out of the policy's range;
	 * netlink's policy validation answers those -ERANGE ("integer out of
	 * range"), its other checks -EINVAL.
	 */
	for (i = 0; i < MMT_NR_TARGET_CMDS; i++) {
		ret = ask(self, &self->nl, &mmt_pid_cmds[i], 0);
		EXPECT_TRUE(ret == -EINVAL || ret == -ERANGE) {
			TH_LOG("%s: got %d", mmt_pid_cmds[i].name, ret);
		}
		EXPECT_NE(0, self->err.msg[0]);
		TH_LOG("%s: %d, extack \"%s\"", mmt_pid_cmds[i].name, ret, self->err.msg);
	}
}

TEST_F(req, unknown_attribute_gets_einval_and_extack)
{
	unsigned int i;

	for (i = 0; i < MMT_NR_TARGET_CMDS; i++) {
		struct nl_msg *msg = mmlens_nl_request(&self->nl, mmt_pid_cmds[i].cmd,
						       mmt_pid_cmds[i].flags);

		nla_put_u32(msg, mmt_pid_cmds[i].pid_attr, getpid());
		if (mmt_pid_cmds[i].va_attr)
			nla_put_u64(msg, mmt_pid_cmds[i].va_attr, self->user_va);
		nla_put_u32(msg, 200, 1);
		expect_error(_metadata, self, mmt_pid_cmds[i].name,
			     mmlens_nl_transact(&self->nl, msg, NULL, NULL, &self->err), -EINVAL,
			     NULL);
	}
}

TEST_F(req, wrong_request_kind_gets_eopnotsupp)
{
	unsigned int i;

	/* Dumps asked as do, and do-only commands asked as dumps. */
	for (i = 0; i < MMT_NR_TARGET_CMDS; i++) {
		struct mmt_pid_cmd c = mmt_pid_cmds[i];

		c.flags = c.flags ? 0 : NLM_F_DUMP;
		EXPECT_EQ(-EOPNOTSUPP, ask(self, &self->nl, &c, getpid())) {
			TH_LOG("%s with flags %#x: extack \"%s\"", c.name, c.flags, self->err.msg);
		}
	}
	{
		struct nl_msg *msg = mmlens_nl_request(&self->nl, MMLENS_CMD_GET_FRAME, NLM_F_DUMP);

		nla_put_u64(msg, MMLENS_A_FRAME_PFN, 1);
		EXPECT_EQ(-EOPNOTSUPP, mmlens_nl_transact(&self->nl, msg, NULL, NULL, &self->err));
	}
}

/* Unprivileged callers: one test per command, through a fresh socket. */
static void as_nobody(struct __test_metadata *_metadata, FIXTURE_DATA(req) *self, uint8_t cmd)
{
	struct mmlens_nl nl;
	struct nl_msg *msg;
	unsigned int i;
	int ret;

	ASSERT_EQ(0, setgroups(0, NULL));
	ASSERT_EQ(0, setgid(NOBODY));
	ASSERT_EQ(0, setuid(NOBODY));
	ASSERT_EQ(0, mmlens_nl_open(&nl));
	if (cmd == MMLENS_CMD_GET_FRAME || cmd == MMLENS_CMD_GET_STATS) {
		msg = mmlens_nl_request(&nl, cmd, 0);
		if (cmd == MMLENS_CMD_GET_FRAME)
			nla_put_u64(msg, MMLENS_A_FRAME_PFN, 1);
		memset(&self->err, 0, sizeof(self->err));
		ret = mmlens_nl_transact(&nl, msg, NULL, NULL, &self->err);
	} else {
		for (i = 0; mmt_pid_cmds[i].cmd != cmd; i++)
			;
		ret = ask(self, &nl, &mmt_pid_cmds[i], getppid());
	}
	expect_error(_metadata, self, "unprivileged", ret, -EPERM, "CAP_SYS_ADMIN");
	mmlens_nl_close(&nl);
}

TEST_F(req, get_mm_without_cap_sys_admin_gets_eperm)
{
	as_nobody(_metadata, self, MMLENS_CMD_GET_MM);
}

TEST_F(req, get_vma_dump_without_cap_sys_admin_gets_eperm)
{
	as_nobody(_metadata, self, MMLENS_CMD_GET_VMA);
}

TEST_F(req, translate_without_cap_sys_admin_gets_eperm)
{
	as_nobody(_metadata, self, MMLENS_CMD_TRANSLATE);
}

TEST_F(req, get_pte_dump_without_cap_sys_admin_gets_eperm)
{
	as_nobody(_metadata, self, MMLENS_CMD_GET_PTE);
}

TEST_F(req, get_frame_without_cap_sys_admin_gets_eperm)
{
	as_nobody(_metadata, self, MMLENS_CMD_GET_FRAME);
}

TEST_F(req, watch_add_without_cap_sys_admin_gets_eperm)
{
	as_nobody(_metadata, self, MMLENS_CMD_WATCH_ADD);
}

TEST_F(req, watch_del_without_cap_sys_admin_gets_eperm)
{
	as_nobody(_metadata, self, MMLENS_CMD_WATCH_DEL);
}

TEST_F(req, get_stats_without_cap_sys_admin_gets_eperm)
{
	as_nobody(_metadata, self, MMLENS_CMD_GET_STATS);
}

TEST_F(req, watch_del_of_an_unwatched_process_gets_enoent)
{
	expect_error(_metadata, self, "WATCH_DEL",
		     ask(self, &self->nl, &mmt_pid_cmds[MMT_WATCH_DEL], getpid()), -ENOENT,
		     "process is not watched by this socket");
}

TEST_F(req, get_stats_of_an_unwatched_process_gets_enoent)
{
	struct nl_msg *msg = mmlens_nl_request(&self->nl, MMLENS_CMD_GET_STATS, 0);

	nla_put_u32(msg, MMLENS_A_STATS_PID, getpid());
	expect_error(_metadata, self, "GET_STATS", mmlens_nl_transact(&self->nl, msg, NULL, NULL, &self->err),
		     -ENOENT, "process is not watched");
}

TEST_HARNESS_MAIN
