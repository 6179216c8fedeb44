// SPDX-License-Identifier: GPL-2.0
/*
 * MMLENS_CMD_GET_STATS: the fault and TLB counters of a watched process, or
 * the global ones.
 */
#include <linux/mmlens.h>
#include <linux/sched.h>

#include "events.h"
#include "mmlens.h"

static int put_counters(struct sk_buff *msg, const struct mmlens_counters *c)
{
	struct nlattr *nest, *reason;
	int i;

	nest = nla_nest_start(msg, MMLENS_A_STATS_FAULTS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < MMLENS_NR_CLASSES; i++)
		if (nla_put_u64_64bit(msg, MMLENS_A_FAULTS_FIRST + i, atomic64_read(&c->faults[i]),
				      MMLENS_A_FAULTS_PAD))
			return -EMSGSIZE;
	nla_nest_end(msg, nest);

	nest = nla_nest_start(msg, MMLENS_A_STATS_TLB);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < MMLENS_NR_TLB_REASONS; i++) {
		const struct mmlens_tlb_counts *t = &c->tlb[i];

		reason = nla_nest_start(msg, MMLENS_A_TLB_FIRST + i);
		if (!reason ||
		    nla_put_u64_64bit(msg, MMLENS_A_TLB_COUNT_FLUSHES, atomic64_read(&t->flushes),
				      MMLENS_A_TLB_COUNT_PAD) ||
		    nla_put_u64_64bit(msg, MMLENS_A_TLB_COUNT_PAGES, atomic64_read(&t->pages),
				      MMLENS_A_TLB_COUNT_PAD) ||
		    nla_put_u64_64bit(msg, MMLENS_A_TLB_COUNT_FULL, atomic64_read(&t->full),
				      MMLENS_A_TLB_COUNT_PAD))
			return -EMSGSIZE;
		nla_nest_end(msg, reason);
	}
	nla_nest_end(msg, nest);

	if (nla_put_u64_64bit(msg, MMLENS_A_STATS_EVENTS, atomic64_read(&c->events),
			      MMLENS_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, MMLENS_A_STATS_LOST, atomic64_read(&c->lost), MMLENS_A_STATS_PAD))
		return -EMSGSIZE;
	return 0;
}

/* Counters of the process t, which must be watched. */
static int stats_fill_process(struct sk_buff *msg, struct mmlens_target *t,
			      struct netlink_ext_ack *extack)
{
	struct mmlens_watch *w;
	int ret;

	rcu_read_lock();
	w = mmlens_watch_find(task_tgid_nr(t->task));
	if (!w) {
		rcu_read_unlock();
		NL_SET_ERR_MSG(extack, "process is not watched");
		return -ENOENT;
	}
	ret = nla_put_u32(msg, MMLENS_A_STATS_PID, w->tgid) ||
	      nla_put_u64_64bit(msg, MMLENS_A_STATS_TLB_GEN, atomic64_read(&t->mm->context.tlb_gen),
				MMLENS_A_STATS_PAD) ||
	      nla_put_u64_64bit(msg, MMLENS_A_STATS_WATCHED_NS, ktime_get_ns() - w->since_ns,
				MMLENS_A_STATS_PAD) ||
	      nla_put_u64_64bit(msg, MMLENS_A_STATS_SEQ, mmlens_event_seq(w), MMLENS_A_STATS_PAD) ||
	      put_counters(msg, &w->counters) ? -EMSGSIZE : 0;
	rcu_read_unlock();
	return ret;
}

int mmlens_nl_get_stats_doit(struct sk_buff *skb, struct genl_info *info)
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
	hdr = genlmsg_put_reply(msg, info, &mmlens_genl_family, 0, MMLENS_CMD_GET_STATS);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}
	if (info->attrs[MMLENS_A_STATS_PID]) {
		struct mmlens_target t;

		err = mmlens_target_from_attr(info->attrs[MMLENS_A_STATS_PID], &t, info->extack);
		if (err)
			goto err_free;
		err = stats_fill_process(msg, &t, info->extack);
		mmlens_target_put(&t);
	} else {
		err = nla_put_u64_64bit(msg, MMLENS_A_STATS_WATCHED_NS, mmlens_armed_ns(),
					MMLENS_A_STATS_PAD) ||
		      put_counters(msg, &mmlens_global) ? -EMSGSIZE : 0;
	}
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}
