// SPDX-License-Identifier: GPL-2.0
/*
 * mmlens: read-only inspection of the virtual memory of live processes,
 * served over the generic netlink family "mmlens".
 */
#include <linux/mmlens.h>
#include <linux/module.h>

#include "mmlens.h"

static int __init mmlens_init(void)
{
	return genl_register_family(&mmlens_genl_family);
}

static void __exit mmlens_exit(void)
{
	genl_unregister_family(&mmlens_genl_family);
}

module_init(mmlens_init);
module_exit(mmlens_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mmlens: look at the virtual memory of live processes");
MODULE_VERSION(MMLENS_VERSION);
MODULE_ALIAS_GENL_FAMILY(MMLENS_GENL_NAME);
