// SPDX-License-Identifier: GPL-2.0
/*
 * The "mmlens" generic netlink family: operations, their policies, and the
 * permission rule every operation applies first.
 */
#include <linux/capability.h>
#include <linux/mmlens.h>
#include <linux/pid.h>
#include <linux/threads.h>

#include "compat.h"
#include "mmlens.h"

/*
 * mmlens hands out physical frame numbers of other processes, the same
 * information /proc/PID/pagemap hides from anyone without CAP_SYS_ADMIN, so
 * demand that capability in the initial user namespace of the sender, and of
 * the socket's opener too (netlink_capable()) unless the sender named the
 * kernel as destination (sendto()), which netlink takes as the sender's own
 * privileged act.
 */
int mmlens_check_caller(struct sk_buff *skb, struct netlink_ext_ack *extack)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	NL_SET_ERR_MSG(extack, "mmlens requires CAP_SYS_ADMIN in the initial user namespace");
	return -EPERM;
}

/* Not const: 6.1 policies point to a non-const range. */
static struct netlink_range_validation mmlens_pid_range = {
	.min = 1,
	.max = PID_MAX_LIMIT,
};
#define PID_POLICY NLA_POLICY_FULL_RANGE(NLA_U32, &mmlens_pid_range)

static const struct nla_policy mmlens_get_mm_policy[MMLENS_A_MM_PID + 1] = {
	[MMLENS_A_MM_PID] = PID_POLICY,
};

static const struct nla_policy mmlens_get_vma_policy[MMLENS_A_VMA_END + 1] = {
	[MMLENS_A_VMA_PID] = PID_POLICY,
	[MMLENS_A_VMA_START] = { .type = NLA_U64 },
	[MMLENS_A_VMA_END] = { .type = NLA_U64 },
};

static const struct nla_policy mmlens_translate_policy[MMLENS_A_WALK_VA + 1] = {
	[MMLENS_A_WALK_PID] = PID_POLICY,
	[MMLENS_A_WALK_VA] = { .type = NLA_U64 },
};

static const struct nla_policy mmlens_get_pte_policy[MMLENS_A_PTE_RUNS + 1] = {
	[MMLENS_A_PTE_PID] = PID_POLICY,
	[MMLENS_A_PTE_START] = { .type = NLA_U64 },
	[MMLENS_A_PTE_END] = { .type = NLA_U64 },
	[MMLENS_A_PTE_RUNS] = { .type = NLA_FLAG },
};

static const struct nla_policy mmlens_get_frame_policy[MMLENS_A_FRAME_PFN + 1] = {
	[MMLENS_A_FRAME_PFN] = { .type = NLA_U64 },
};

/* SEQ and PAD only come in replies. */
static const struct nla_policy mmlens_watch_policy[MMLENS_A_WATCH_FOLLOW + 1] = {
	[MMLENS_A_WATCH_PID] = PID_POLICY,
	[MMLENS_A_WATCH_FOLLOW] = { .type = NLA_FLAG },
};

static const struct nla_policy mmlens_get_stats_policy[MMLENS_A_STATS_PID + 1] = {
	[MMLENS_A_STATS_PID] = PID_POLICY,
};

/*
 * Every operation has its own policy (GET_STATUS none: it takes no
 * attributes).  With resv_start_op left at 0 the genetlink core validates all
 * of them strictly: unknown attributes, wrong lengths, trailing data and
 * non-zero reserved header bytes are rejected, and so are attributes sent to
 * a policy-less operation.
 */
static const struct genl_ops mmlens_genl_ops[] = {
	{
		.cmd = MMLENS_CMD_GET_STATUS,
		.doit = mmlens_nl_get_status_doit,
	},
	{
		.cmd = MMLENS_CMD_GET_MM,
		.doit = mmlens_nl_get_mm_doit,
		.policy = mmlens_get_mm_policy,
		.maxattr = ARRAY_SIZE(mmlens_get_mm_policy) - 1,
	},
	{
		.cmd = MMLENS_CMD_GET_VMA,
		.dumpit = mmlens_nl_get_vma_dumpit,
		.done = mmlens_dump_done,
		.policy = mmlens_get_vma_policy,
		.maxattr = ARRAY_SIZE(mmlens_get_vma_policy) - 1,
	},
	{
		.cmd = MMLENS_CMD_TRANSLATE,
		.doit = mmlens_nl_translate_doit,
		.policy = mmlens_translate_policy,
		.maxattr = ARRAY_SIZE(mmlens_translate_policy) - 1,
	},
	{
		.cmd = MMLENS_CMD_GET_PTE,
		.dumpit = mmlens_nl_get_pte_dumpit,
		.done = mmlens_dump_done,
		.policy = mmlens_get_pte_policy,
		.maxattr = ARRAY_SIZE(mmlens_get_pte_policy) - 1,
	},
	{
		.cmd = MMLENS_CMD_GET_FRAME,
		.doit = mmlens_nl_get_frame_doit,
		.policy = mmlens_get_frame_policy,
		.maxattr = ARRAY_SIZE(mmlens_get_frame_policy) - 1,
	},
	{
		.cmd = MMLENS_CMD_WATCH_ADD,
		.doit = mmlens_nl_watch_add_doit,
		.policy = mmlens_watch_policy,
		.maxattr = ARRAY_SIZE(mmlens_watch_policy) - 1,
	},
	{
		.cmd = MMLENS_CMD_WATCH_DEL,
		.doit = mmlens_nl_watch_del_doit,
		/* FOLLOW means nothing here: refuse it like any unknown attribute. */
		.policy = mmlens_watch_policy,
		.maxattr = MMLENS_A_WATCH_PID,
	},
	{
		.cmd = MMLENS_CMD_GET_STATS,
		.doit = mmlens_nl_get_stats_doit,
		.policy = mmlens_get_stats_policy,
		.maxattr = ARRAY_SIZE(mmlens_get_stats_policy) - 1,
	},
};

/* Events reveal frames like every reply: listeners need CAP_SYS_ADMIN too. */
static const struct genl_multicast_group mmlens_mcgrps[] = {
	[MMLENS_NL_GROUP_EVENTS] = {
		.name = MMLENS_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_SYS_ADMIN,
	},
};

static_assert(sizeof(struct mmlens_dump_state) <= sizeof_field(struct netlink_callback, ctx));

struct genl_family mmlens_genl_family __ro_after_init = {
	.name = MMLENS_GENL_NAME,
	.version = MMLENS_GENL_VERSION,
	.module = THIS_MODULE,
	/* Requests may sleep on another process's mmap_lock: never hold genl_mutex. */
	.parallel_ops = true,
	.ops = mmlens_genl_ops,
	.n_ops = ARRAY_SIZE(mmlens_genl_ops),
	.mcgrps = mmlens_mcgrps,
	.n_mcgrps = ARRAY_SIZE(mmlens_mcgrps),
};
