// SPDX-License-Identifier: GPL-2.0
/*
 * MMLENS_CMD_GET_STATUS: what the module is and what the MMU is doing.
 */
#include <linux/mmlens.h>
#include <linux/utsname.h>
#include <asm/cpufeature.h>
#include <asm/pgtable.h>
#include <asm/processor.h>

#include "mmlens.h"

static int mmlens_status_fill(struct sk_buff *msg)
{
	if (nla_put_string(msg, MMLENS_A_STATUS_MODULE_VERSION, MMLENS_VERSION) ||
	    nla_put_u32(msg, MMLENS_A_STATUS_ABI_VERSION, MMLENS_ABI_VERSION) ||
	    nla_put_string(msg, MMLENS_A_STATUS_KERNEL_RELEASE, init_utsname()->release) ||
	    nla_put_u32(msg, MMLENS_A_STATUS_PAGING_LEVELS, pgtable_l5_enabled() ? 5 : 4) ||
	    nla_put_u32(msg, MMLENS_A_STATUS_PAGE_SIZE, PAGE_SIZE) ||
	    nla_put_u32(msg, MMLENS_A_STATUS_USER_VA_BITS, __VIRTUAL_MASK_SHIFT) ||
	    nla_put_u32(msg, MMLENS_A_STATUS_PHYS_BITS, boot_cpu_data.x86_phys_bits))
		return -EMSGSIZE;
	if (boot_cpu_has(X86_FEATURE_PTI) && nla_put_flag(msg, MMLENS_A_STATUS_PTI))
		return -EMSGSIZE;
	return 0;
}

int mmlens_nl_get_status_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = mmlens_check_caller(skb, info->extack);
	if (err)
		return err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &mmlens_genl_family, 0, MMLENS_CMD_GET_STATUS);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}
	err = mmlens_status_fill(msg);
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}
