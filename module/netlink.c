// SPDX-License-Identifier: GPL-2.0
/*
 * The "mmlens" generic netlink family: operations, policies and the
 * permission rule every operation applies first.
 */
#include <linux/capability.h>
#include <linux/mmlens.h>

#include "mmlens.h"

/*
 * mmlens hands out physical frame numbers of other processes, the same
 * information /proc/PID/pagemap hides from anyone without CAP_SYS_ADMIN, so
 * demand that capability in the initial user namespace, of both the socket's
 * opener and the current sender (netlink_capable() checks both).
 */
int mmlens_check_caller(struct sk_buff *skb, struct netlink_ext_ack *extack)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	NL_SET_ERR_MSG(extack, "mmlens requires CAP_SYS_ADMIN in the initial user namespace");
	return -EPERM;
}

/*
 * Operations without a policy take no attributes: with resv_start_op left
 * at 0 the genetlink core validates every operation strictly and rejects
 * any attribute sent to a policy-less one.
 */
static const struct genl_ops mmlens_genl_ops[] = {
	{
		.cmd = MMLENS_CMD_GET_STATUS,
		.doit = mmlens_nl_get_status_doit,
	},
};

struct genl_family mmlens_genl_family __ro_after_init = {
	.name = MMLENS_GENL_NAME,
	.version = MMLENS_GENL_VERSION,
	.module = THIS_MODULE,
	/* Requests may sleep on another process's mmap_lock: never hold genl_mutex. */
	.parallel_ops = true,
	.ops = mmlens_genl_ops,
	.n_ops = ARRAY_SIZE(mmlens_genl_ops),
};
