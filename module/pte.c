// SPDX-License-Identifier: GPL-2.0
/*
 * MMLENS_CMD_GET_PTE: the leaf entries of a range, packed as struct
 * mmlens_pte records, as many per message as fit.
 */
#include <linux/mm.h>
#include <linux/mmlens.h>

#include "compat.h"
#include "mmlens.h"
#include "walk.h"

/*
 * Walk from st->next into one message; returns how many records it holds.
 * Records are decoded straight into the message being built.
 */
static int pte_fill(struct sk_buff *skb, struct netlink_callback *cb,
		    struct mmlens_dump_state *st, struct mm_struct *mm)
{
	struct mmlens_walk w = { .mm = mm, .frames = true, .runs = st->runs };
	struct nlattr *attr;
	void *hdr;
	int room, ret;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &mmlens_genl_family, NLM_F_MULTI, MMLENS_CMD_GET_PTE);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);

	/* Reserve all the room left (less alignment padding), trim it after the walk. */
	room = skb_tailroom(skb) - nla_total_size_64bit(0) - NLA_ALIGNTO;
	w.cap = room > 0 ? room / sizeof(struct mmlens_pte) : 0;
	if (!w.cap) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	attr = nla_reserve_64bit(skb, MMLENS_A_PTE_RECORDS, w.cap * sizeof(struct mmlens_pte),
				 MMLENS_A_PTE_PAD);
	if (!attr) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	w.recs = nla_data(attr);

	ret = mmlens_walk_range(&w, st->next, st->end);
	if (ret < 0 || !w.n) {
		genlmsg_cancel(skb, hdr);
		if (ret < 0)
			return ret;
	} else {
		attr->nla_len = nla_attr_size(w.n * sizeof(struct mmlens_pte));
		skb_trim(skb, (unsigned char *)nla_data(attr) + w.n * sizeof(struct mmlens_pte) -
			      skb->data);
		genlmsg_end(skb, hdr);
	}
	st->next = ret == MMLENS_WALK_FULL ? w.next : st->end;
	return w.n;
}

int mmlens_nl_get_pte_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct mmlens_dump_state *st = (void *)cb->ctx;
	struct mmlens_target t;
	int ret;

	if (!st->started) {
		ret = mmlens_dump_begin(skb, cb, MMLENS_A_PTE_PID, MMLENS_A_PTE_START, MMLENS_A_PTE_END);
		if (ret)
			return ret;
		st->runs = nla_get_flag(mmlens_dump_attrs(cb)[MMLENS_A_PTE_RUNS]);
		/*
		 * Ask for messages larger than the 32 KiB netlink would size
		 * them to: each costs a lookup of the target, a descent of its
		 * tables and a wakeup of the reader.  Just under 64 KiB so the
		 * buffer stays one order-4 allocation; readers need a buffer
		 * that large (MMLENS_DUMP_BUFFER).
		 */
		cb->min_dump_alloc = MMLENS_DUMP_BUFFER - SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	}
	if (st->next >= st->end)
		return 0;

	ret = mmlens_target_get(st->pid, &t, cb->extack);
	if (ret)
		return ret;
	ret = mmlens_lock_mm(t.mm, cb->extack);
	if (!ret) {
		cb->seq = mmlens_mm_generation(t.mm);
		ret = pte_fill(skb, cb, st, t.mm);
		mmap_read_unlock(t.mm);
	}
	mmlens_target_put(&t);
	if (ret == -EINTR)
		NL_SET_ERR_MSG(cb->extack, "interrupted by a fatal signal");
	return ret < 0 ? ret : skb->len;
}
