/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the files of mmlens.ko.
 */
#ifndef _MMLENS_H
#define _MMLENS_H

#include <net/genetlink.h>

extern struct genl_family mmlens_genl_family;

int mmlens_check_caller(struct sk_buff *skb, struct netlink_ext_ack *extack);

int mmlens_nl_get_status_doit(struct sk_buff *skb, struct genl_info *info);

#endif /* _MMLENS_H */
