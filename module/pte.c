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
 * Records are decoded straight into the message being built: the walker
 * writes each leaf into the next free slot, or into spare once the message
 * is full (that leaf then starts the next message).
 */
struct pte_batch {
	struct mmlens_pte *recs;
	unsigned int n, cap;
	bool runs;
	struct mmlens_pte spare;
};

static u64 pages_of(const struct mmlens_pte *rec)
{
	return 1ULL << (rec->page_shift - PAGE_SHIFT);
}

/* Flags a record takes from its frame: a run has those of its first page. */
#define FRAME_FLAGS (MMLENS_F_HAS_FRAME | MMLENS_F_EXCLUSIVE)

/* Does rec continue the run last ends with (same kind of entry, next frame)? */
static bool continues_run(const struct mmlens_pte *last, const struct mmlens_pte *rec)
{
	u64 span = (u64)last->nr * pages_of(last);

	if (last->level != rec->level || last->kind != rec->kind ||
	    ((last->flags ^ rec->flags) & ~FRAME_FLAGS) ||
	    last->pkey != rec->pkey || last->va + (span << PAGE_SHIFT) != rec->va)
		return false;
	switch (rec->kind) {
	case MMLENS_KIND_PRESENT:
	case MMLENS_KIND_PROT_NONE:
	case MMLENS_KIND_MIGRATION:
		return last->pfn + span == rec->pfn;
	case MMLENS_KIND_SWAP:
		return last->swap_type == rec->swap_type && last->swap_offset + span == rec->swap_offset;
	default:
		return false;
	}
}

/* Only the first page of a run needs its frame read. */
static bool starts_record(struct mmlens_walk *w, const struct mmlens_pte *rec)
{
	struct pte_batch *b = w->priv;

	return !(b->runs && b->n && continues_run(&b->recs[b->n - 1], rec));
}

static int collect(struct mmlens_walk *w, const struct mmlens_pte *rec)
{
	struct pte_batch *b = w->priv;

	if (b->runs && b->n && continues_run(&b->recs[b->n - 1], rec))
		b->recs[b->n - 1].nr++;
	else if (b->n == b->cap)
		return MMLENS_WALK_STOP;
	else
		b->n++;		/* rec is &b->recs[b->n] already */
	w->rec = b->n < b->cap ? &b->recs[b->n] : &b->spare;
	/*
	 * The next frame with exactly these bits continues a run of present
	 * 4 KiB pages whatever it decodes to: let the walker skip decoding it.
	 */
	if (b->runs && rec->kind == MMLENS_KIND_PRESENT && rec->level == MMLENS_LEVEL_PTE) {
		w->run_entry = rec->entry + PAGE_SIZE;
		w->run_va = rec->va + PAGE_SIZE;
		w->run_nr = &b->recs[b->n - 1].nr;
	} else {
		w->run_entry = 0;
	}
	return 0;
}

/* Walk from st->next into one message; returns how many records it holds. */
static int pte_fill(struct sk_buff *skb, struct netlink_callback *cb,
		    struct mmlens_dump_state *st, struct mm_struct *mm)
{
	struct pte_batch batch = { .runs = st->runs };
	struct mmlens_walk w = {
		.mm = mm, .leaf = collect, .frames = true, .want_frame = starts_record,
		.priv = &batch,
	};
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
	batch.cap = room > 0 ? room / sizeof(struct mmlens_pte) : 0;
	if (!batch.cap) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	attr = nla_reserve_64bit(skb, MMLENS_A_PTE_RECORDS, batch.cap * sizeof(struct mmlens_pte),
				 MMLENS_A_PTE_PAD);
	if (!attr) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	batch.recs = nla_data(attr);
	w.rec = batch.recs;

	ret = mmlens_walk_range(&w, st->next, st->end);
	if (ret < 0 || !batch.n) {
		genlmsg_cancel(skb, hdr);
		if (ret < 0)
			return ret;
	} else {
		attr->nla_len = nla_attr_size(batch.n * sizeof(struct mmlens_pte));
		skb_trim(skb, (unsigned char *)nla_data(attr) + batch.n * sizeof(struct mmlens_pte) -
			      skb->data);
		genlmsg_end(skb, hdr);
	}
	st->next = ret == MMLENS_WALK_STOP ? w.next : st->end;
	return batch.n;
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
