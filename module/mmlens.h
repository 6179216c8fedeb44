/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the files of mmlens.ko.
 */
#ifndef _MMLENS_H
#define _MMLENS_H

#include <linux/jhash.h>
#include <linux/mm_types.h>
#include <net/genetlink.h>

extern struct genl_family mmlens_genl_family;
/* The family's multicast groups, as genlmsg_multicast() numbers them. */
enum { MMLENS_NL_GROUP_EVENTS };

int mmlens_check_caller(struct sk_buff *skb, struct netlink_ext_ack *extack);

/* -EINVAL with the message msg (a literal) when attribute type is missing. */
#define mmlens_require(tb, type, msg, extack) ({		\
	int __err = 0;						\
	if (!(tb)[type]) {					\
		NL_SET_ERR_MSG(extack, msg);			\
		NL_SET_ERR_ATTR_MISS(extack, NULL, type);	\
		__err = -EINVAL;				\
	}							\
	__err;							\
})

/* A process and a reference on its address space. */
struct mmlens_target {
	struct task_struct *task;
	struct mm_struct *mm;
};

struct pid *mmlens_target_pid(u32 nr, struct netlink_ext_ack *extack);
int mmlens_target_get(struct pid *pid, struct mmlens_target *t, struct netlink_ext_ack *extack);
int mmlens_target_from_attr(const struct nlattr *attr, struct mmlens_target *t,
			    struct netlink_ext_ack *extack);
void mmlens_target_put(struct mmlens_target *t);
int mmlens_lock_mm(struct mm_struct *mm, struct netlink_ext_ack *extack);
unsigned int mmlens_mm_generation(struct mm_struct *mm);
int mmlens_check_range(struct mm_struct *mm, u64 start, u64 *end, const struct nlattr *start_attr,
		       struct netlink_ext_ack *extack);

/*
 * State of a dump over one target's address space, kept in cb->ctx between
 * calls.  The first call runs in the sender's context and validates the
 * request there (6.1 gives .start no extack to report errors with).
 */
struct mmlens_dump_state {
	struct pid *pid;
	u64 next;
	u64 end;
	bool started;
	bool runs;
};

int mmlens_dump_begin(struct sk_buff *skb, struct netlink_callback *cb,
		      int pid_attr, int start_attr, int end_attr);
int mmlens_dump_done(struct netlink_callback *cb);

/* Netlink handlers, one file per command. */
int mmlens_nl_get_status_doit(struct sk_buff *skb, struct genl_info *info);
int mmlens_nl_get_mm_doit(struct sk_buff *skb, struct genl_info *info);
int mmlens_nl_get_vma_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int mmlens_nl_translate_doit(struct sk_buff *skb, struct genl_info *info);
int mmlens_nl_get_pte_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int mmlens_nl_get_frame_doit(struct sk_buff *skb, struct genl_info *info);
int mmlens_nl_watch_add_doit(struct sk_buff *skb, struct genl_info *info);
int mmlens_nl_watch_del_doit(struct sk_buff *skb, struct genl_info *info);
int mmlens_nl_get_stats_doit(struct sk_buff *skb, struct genl_info *info);

struct mmlens_frame;
int mmlens_put_frame(struct sk_buff *msg, int type, const struct mmlens_frame *frame);

#endif /* _MMLENS_H */
