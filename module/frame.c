// SPDX-License-Identifier: GPL-2.0
/*
 * MMLENS_CMD_GET_FRAME: what the memory map says about one physical frame.
 */
#include <linux/kernel-page-flags.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmlens.h>

#include "mmlens.h"
#include "walk.h"

/* The frame attribute set: GET_FRAME's reply, and the frame nest of TRANSLATE's. */
static int frame_put_attrs(struct sk_buff *msg, const struct mmlens_frame *frame)
{
	if (nla_put_u64_64bit(msg, MMLENS_A_FRAME_PFN, frame->pfn, MMLENS_A_FRAME_PAD) ||
	    nla_put_u32(msg, MMLENS_A_FRAME_REFCOUNT, frame->refcount) ||
	    nla_put_u32(msg, MMLENS_A_FRAME_MAPCOUNT, frame->mapcount) ||
	    nla_put_u32(msg, MMLENS_A_FRAME_FOLIO_MAPCOUNT, frame->folio_mapcount) ||
	    nla_put_u32(msg, MMLENS_A_FRAME_ORDER, frame->order) ||
	    nla_put_u64_64bit(msg, MMLENS_A_FRAME_FLAGS, frame->kpf, MMLENS_A_FRAME_PAD) ||
	    nla_put_u32(msg, MMLENS_A_FRAME_NID, frame->nid))
		return -EMSGSIZE;
	return 0;
}

int mmlens_put_frame(struct sk_buff *msg, int type, const struct mmlens_frame *frame)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest || frame_put_attrs(msg, frame))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/*
 * Nothing keeps an arbitrary frame's folio together, so read it the way
 * GUP-fast does: take a reference if the folio is in use, and check that the
 * page still belongs to it.  A free frame is reported with refcount 0.
 */
static void frame_read_any(struct page *page, struct mmlens_frame *frame)
{
	struct folio *folio;

	for (;;) {
		folio = page_folio(page);
		if (!folio_try_get(folio)) {
			memset(frame, 0, sizeof(*frame));
			frame->pfn = page_to_pfn(page);
			frame->nid = page_to_nid(page);
			if (PageBuddy(page))
				frame->kpf = 1ULL << KPF_BUDDY;
			return;
		}
		if (likely(folio == page_folio(page)))
			break;
		folio_put(folio);
	}
	mmlens_frame_read(page, frame);
	frame->refcount--;	/* not counting our own reference */
	folio_put(folio);
}

int mmlens_nl_get_frame_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[MMLENS_A_FRAME_PFN];
	struct mmlens_frame frame;
	struct sk_buff *msg;
	struct page *page;
	void *hdr;
	u64 pfn;
	int err;

	err = mmlens_check_caller(skb, info->extack);
	if (err)
		return err;
	err = mmlens_require(info->attrs, MMLENS_A_FRAME_PFN, "missing pfn attribute", info->extack);
	if (err)
		return err;
	pfn = nla_get_u64(attr);
	if (pfn > ULONG_MAX || !pfn_valid(pfn)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "no memory map for this pfn");
		return -EINVAL;
	}
	page = pfn_to_online_page(pfn);
	if (!page) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "pfn is offline or device memory");
		return -EINVAL;
	}
	frame_read_any(page, &frame);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &mmlens_genl_family, 0, MMLENS_CMD_GET_FRAME);
	if (!hdr || frame_put_attrs(msg, &frame))
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return -EMSGSIZE;
}
