// SPDX-License-Identifier: GPL-2.0
/*
 * The mmlens family answers GET_STATUS with facts that agree with the
 * machine (uname, page size, paging mode probed without mmlens), refuses
 * anyone without CAP_SYS_ADMIN in the initial user namespace, and rejects
 * malformed requests with EINVAL and an extack message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/mmlens.h>
#include <netlink/genl/genl.h>

#include "kselftest_harness.h"
#include "nl.h"
#include "paging.h"

#define NOBODY 65534

struct status {
	char module_version[64];
	char kernel_release[128];
	unsigned int abi_version, paging_levels, page_size, user_va_bits, phys_bits;
	int pti;
	int replies;
};

static int parse_status(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MMLENS_A_STATUS_MAX + 1];
	struct status *st = arg;

	st->replies++;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MMLENS_A_STATUS_MAX, NULL))
		return NL_SKIP;
	if (tb[MMLENS_A_STATUS_MODULE_VERSION])
		snprintf(st->module_version, sizeof(st->module_version), "%s",
			 nla_get_string(tb[MMLENS_A_STATUS_MODULE_VERSION]));
	if (tb[MMLENS_A_STATUS_KERNEL_RELEASE])
		snprintf(st->kernel_release, sizeof(st->kernel_release), "%s",
			 nla_get_string(tb[MMLENS_A_STATUS_KERNEL_RELEASE]));
	if (tb[MMLENS_A_STATUS_ABI_VERSION])
		st->abi_version = nla_get_u32(tb[MMLENS_A_STATUS_ABI_VERSION]);
	if (tb[MMLENS_A_STATUS_PAGING_LEVELS])
		st->paging_levels = nla_get_u32(tb[MMLENS_A_STATUS_PAGING_LEVELS]);
	if (tb[MMLENS_A_STATUS_PAGE_SIZE])
		st->page_size = nla_get_u32(tb[MMLENS_A_STATUS_PAGE_SIZE]);
	if (tb[MMLENS_A_STATUS_USER_VA_BITS])
		st->user_va_bits = nla_get_u32(tb[MMLENS_A_STATUS_USER_VA_BITS]);
	if (tb[MMLENS_A_STATUS_PHYS_BITS])
		st->phys_bits = nla_get_u32(tb[MMLENS_A_STATUS_PHYS_BITS]);
	st->pti = !!tb[MMLENS_A_STATUS_PTI];
	return NL_OK;
}

static void drop_to_nobody(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, setgroups(0, NULL));
	ASSERT_EQ(0, setgid(NOBODY));
	ASSERT_EQ(0, setuid(NOBODY));
}

FIXTURE(family) {
	struct mmlens_nl nl;
	struct mmlens_nl_err err;
};

FIXTURE_SETUP(family)
{
	memset(&self->err, 0, sizeof(self->err));
	ASSERT_EQ(0, mmlens_nl_open(&self->nl)) {
		TH_LOG("the mmlens family does not resolve: is mmlens.ko loaded?");
	}
}

FIXTURE_TEARDOWN(family)
{
	mmlens_nl_close(&self->nl);
}

TEST_F(family, resolves_to_a_dynamic_id_while_the_module_is_loaded)
{
	/* Dynamic generic netlink ids start after GENL_ID_PMCRAID. */
	EXPECT_GT(self->nl.family, GENL_ID_PMCRAID);
	EXPECT_EQ(0, access("/sys/module/mmlens", F_OK));
}

TEST_F(family, status_agrees_with_the_running_machine)
{
	int probed = probe_paging_levels();
	const char *expect = getenv("MMLENS_EXPECT_PAGING_LEVELS");
	struct status st = {};
	struct utsname uts;
	char sysfs_version[64] = "";
	FILE *f;

	ASSERT_EQ(0, mmlens_nl_transact(&self->nl,
					mmlens_nl_request(&self->nl, MMLENS_CMD_GET_STATUS, 0),
					parse_status, &st, &self->err)) {
		TH_LOG("GET_STATUS failed: %s", self->err.msg);
	}
	ASSERT_EQ(1, st.replies);

	ASSERT_EQ(0, uname(&uts));
	EXPECT_STREQ(uts.release, st.kernel_release);
	EXPECT_EQ((unsigned int)sysconf(_SC_PAGESIZE), st.page_size);
	EXPECT_EQ(MMLENS_ABI_VERSION, (int)st.abi_version);

	f = fopen("/sys/module/mmlens/version", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(sysfs_version, sizeof(sysfs_version), f));
	fclose(f);
	sysfs_version[strcspn(sysfs_version, "\n")] = '\0';
	EXPECT_STREQ(sysfs_version, st.module_version);

	ASSERT_GT(probed, 0);
	EXPECT_EQ((unsigned int)probed, st.paging_levels);
	if (expect)
		EXPECT_EQ((unsigned int)atoi(expect), st.paging_levels) {
			TH_LOG("this VM was booted for %s-level paging", expect);
		}
	EXPECT_EQ(st.paging_levels == 5 ? 56U : 47U, st.user_va_bits);
	EXPECT_GE(st.phys_bits, 32U);
	EXPECT_LE(st.phys_bits, 52U);
}

TEST_F(family, socket_opened_after_dropping_privileges_gets_eperm)
{
	struct mmlens_nl nl;

	drop_to_nobody(_metadata);
	ASSERT_EQ(0, mmlens_nl_open(&nl));
	EXPECT_EQ(-EPERM, mmlens_nl_transact(&nl, mmlens_nl_request(&nl, MMLENS_CMD_GET_STATUS, 0),
					     NULL, NULL, &self->err));
	EXPECT_EQ(-EPERM, self->err.error);
	EXPECT_NE(NULL, strstr(self->err.msg, "CAP_SYS_ADMIN")) {
		TH_LOG("extack: \"%s\"", self->err.msg);
	}
	mmlens_nl_close(&nl);
}

TEST_F(family, privileged_socket_used_by_unprivileged_sender_gets_eperm)
{
	/* The socket was opened by root in the fixture; the sender no longer is. */
	drop_to_nobody(_metadata);
	EXPECT_EQ(-EPERM, mmlens_nl_transact(&self->nl,
					     mmlens_nl_request(&self->nl, MMLENS_CMD_GET_STATUS, 0),
					     NULL, NULL, &self->err));
	EXPECT_NE(NULL, strstr(self->err.msg, "CAP_SYS_ADMIN")) {
		TH_LOG("extack: \"%s\"", self->err.msg);
	}
}

TEST_F(family, status_with_an_attribute_gets_einval_and_extack)
{
	struct nl_msg *msg = mmlens_nl_request(&self->nl, MMLENS_CMD_GET_STATUS, 0);

	/* GET_STATUS takes no attributes, not even those it replies with. */
	ASSERT_EQ(0, nla_put_u32(msg, MMLENS_A_STATUS_PAGING_LEVELS, 5));
	EXPECT_EQ(-EINVAL, mmlens_nl_transact(&self->nl, msg, NULL, NULL, &self->err));
	EXPECT_NE(NULL, strstr(self->err.msg, "nknown attribute")) {
		TH_LOG("extack: \"%s\"", self->err.msg);
	}
}

TEST_F(family, status_with_an_unknown_attribute_type_gets_einval_and_extack)
{
	struct nl_msg *msg = mmlens_nl_request(&self->nl, MMLENS_CMD_GET_STATUS, 0);

	ASSERT_EQ(0, nla_put_u32(msg, 200, 1));
	EXPECT_EQ(-EINVAL, mmlens_nl_transact(&self->nl, msg, NULL, NULL, &self->err));
	EXPECT_NE(NULL, strstr(self->err.msg, "nknown attribute")) {
		TH_LOG("extack: \"%s\"", self->err.msg);
	}
}

TEST_F(family, nonzero_reserved_header_byte_gets_einval_and_extack)
{
	struct nl_msg *msg = mmlens_nl_request(&self->nl, MMLENS_CMD_GET_STATUS, 0);
	struct genlmsghdr *hdr = nlmsg_data(nlmsg_hdr(msg));

	hdr->reserved = 1;
	EXPECT_EQ(-EINVAL, mmlens_nl_transact(&self->nl, msg, NULL, NULL, &self->err));
	EXPECT_NE(NULL, strstr(self->err.msg, "reserved")) {
		TH_LOG("extack: \"%s\"", self->err.msg);
	}
}

TEST_F(family, unknown_command_gets_eopnotsupp)
{
	EXPECT_EQ(-EOPNOTSUPP, mmlens_nl_transact(&self->nl,
						  mmlens_nl_request(&self->nl, MMLENS_CMD_MAX + 1, 0),
						  NULL, NULL, &self->err));
}

TEST_F(family, status_as_dump_gets_eopnotsupp)
{
	/* GET_STATUS has no dump form: one status, one reply. */
	EXPECT_EQ(-EOPNOTSUPP, mmlens_nl_transact(&self->nl,
						  mmlens_nl_request(&self->nl, MMLENS_CMD_GET_STATUS,
								    NLM_F_DUMP),
						  NULL, NULL, &self->err));
}

TEST_HARNESS_MAIN
