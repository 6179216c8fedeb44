// SPDX-License-Identifier: GPL-2.0
/*
 * mmlens: read-only inspection of the virtual memory of live processes,
 * served over the generic netlink family "mmlens".
 */
#include <linux/mmlens.h>
#include <linux/module.h>

#include "events.h"
#include "mmlens.h"

static int __init mmlens_init(void)
{
	int ret;

	ret = mmlens_events_init();
	if (ret)
		return ret;
	ret = mmlens_watch_init();
	if (ret)
		goto err_events;
	ret = genl_register_family(&mmlens_genl_family);
	if (ret)
		goto err_watch;
	return 0;

err_watch:
	mmlens_watch_exit();
err_events:
	mmlens_events_exit();
	return ret;
}

/*
 * Watches first: each ends with an end event and no new one begins (probes
 * find none); then what is queued is sent while the family can carry it;
 * then the requests, the probes, and the queue.
 */
static void __exit mmlens_exit(void)
{
	mmlens_watch_end_all();
	mmlens_events_flush();
	genl_unregister_family(&mmlens_genl_family);
	mmlens_watch_exit();
	mmlens_probes_exit();
	mmlens_events_exit();
}

module_init(mmlens_init);
module_exit(mmlens_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mmlens: look at the virtual memory of live processes");
MODULE_VERSION(MMLENS_VERSION);
MODULE_ALIAS_GENL_FAMILY(MMLENS_GENL_NAME);
