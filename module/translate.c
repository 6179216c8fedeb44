// SPDX-License-Identifier: GPL-2.0
/*
 * MMLENS_CMD_TRANSLATE: one virtual address, level by level.
 */
#include <linux/mm.h>
#include <linux/mmlens.h>
#include <linux/slab.h>

#include "mmlens.h"
#include "walk.h"

static int put_u64(struct sk_buff *msg, int type, u64 value)
{
	return nla_put_u64_64bit(msg, type, value, MMLENS_A_WALK_PAD);
}

static int put_step(struct sk_buff *msg, const struct mmlens_level_step *step)
{
	struct nlattr *nest = nla_nest_start(msg, MMLENS_A_WALK_LEVEL);

	if (!nest ||
	    nla_put_u32(msg, MMLENS_A_LEVEL_LEVEL, step->level) ||
	    nla_put_u32(msg, MMLENS_A_LEVEL_INDEX, step->index) ||
	    nla_put_u32(msg, MMLENS_A_LEVEL_SHIFT, step->shift) ||
	    nla_put_u64_64bit(msg, MMLENS_A_LEVEL_TABLE_PA, step->table_pa, MMLENS_A_LEVEL_PAD) ||
	    nla_put_u64_64bit(msg, MMLENS_A_LEVEL_ENTRY, step->entry, MMLENS_A_LEVEL_PAD) ||
	    nla_put_u64_64bit(msg, MMLENS_A_LEVEL_FLAGS,
			      mmlens_entry_flags(step->entry, step->level), MMLENS_A_LEVEL_PAD) ||
	    (step->folded && nla_put_flag(msg, MMLENS_A_LEVEL_FOLDED)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static bool maps_frame(const struct mmlens_pte *leaf)
{
	return leaf->kind == MMLENS_KIND_PRESENT || leaf->kind == MMLENS_KIND_PROT_NONE;
}

static int put_leaf(struct sk_buff *msg, const struct mmlens_translation *t, u64 va)
{
	const struct mmlens_pte *leaf = &t->leaf;
	u64 size = mmlens_level_pages(leaf->level) << PAGE_SHIFT;

	if (nla_put_u32(msg, MMLENS_A_WALK_LEAF_LEVEL, leaf->level) ||
	    nla_put_u32(msg, MMLENS_A_WALK_KIND, leaf->kind) ||
	    put_u64(msg, MMLENS_A_WALK_ENTRY, leaf->entry) ||
	    put_u64(msg, MMLENS_A_WALK_FLAGS, leaf->flags))
		return -EMSGSIZE;
	if (leaf->kind == MMLENS_KIND_NONE)
		return 0;
	if (put_u64(msg, MMLENS_A_WALK_PAGE_SIZE, size))
		return -EMSGSIZE;
	if (maps_frame(leaf) &&
	    (nla_put_u32(msg, MMLENS_A_WALK_PKEY, leaf->pkey) ||
	     put_u64(msg, MMLENS_A_WALK_PFN, leaf->pfn) ||
	     put_u64(msg, MMLENS_A_WALK_PA, (leaf->pfn << PAGE_SHIFT) + (va & (size - 1)))))
		return -EMSGSIZE;
	if (!maps_frame(leaf) &&
	    (nla_put_u32(msg, MMLENS_A_WALK_SWAP_TYPE, leaf->swap_type) ||
	     put_u64(msg, MMLENS_A_WALK_SWAP_OFFSET, t->swap_offset)))
		return -EMSGSIZE;
	if (leaf->kind == MMLENS_KIND_MIGRATION || leaf->kind == MMLENS_KIND_DEVICE ||
	    leaf->kind == MMLENS_KIND_HWPOISON)
		if (put_u64(msg, MMLENS_A_WALK_PFN, leaf->pfn))
			return -EMSGSIZE;
	return 0;
}

static int translate_fill(struct sk_buff *msg, u32 nr, u64 va, struct vm_area_struct *vma,
			  const struct mmlens_translation *t)
{
	unsigned int i;

	if (nla_put_u32(msg, MMLENS_A_WALK_PID, nr) ||
	    put_u64(msg, MMLENS_A_WALK_VA, va) ||
	    nla_put_u32(msg, MMLENS_A_WALK_PAGING_LEVELS, pgtable_l5_enabled() ? 5 : 4))
		return -EMSGSIZE;
	for (i = 0; i < t->nr_steps; i++)
		if (put_step(msg, &t->steps[i]))
			return -EMSGSIZE;
	if (put_leaf(msg, t, va))
		return -EMSGSIZE;
	if (vma && (put_u64(msg, MMLENS_A_WALK_VMA_START, vma->vm_start) ||
		    put_u64(msg, MMLENS_A_WALK_VMA_END, vma->vm_end) ||
		    put_u64(msg, MMLENS_A_WALK_VMA_FLAGS, vma->vm_flags)))
		return -EMSGSIZE;
	if (t->has_frame)
		return mmlens_put_frame(msg, MMLENS_A_WALK_FRAME, &t->frame);
	return 0;
}

int mmlens_nl_translate_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct mmlens_translation *t;
	struct vm_area_struct *vma;
	struct mmlens_target target;
	struct sk_buff *msg;
	void *hdr;
	u64 va;
	int err;

	err = mmlens_check_caller(skb, info->extack);
	if (err)
		return err;
	err = mmlens_require(tb, MMLENS_A_WALK_PID, "missing pid attribute", info->extack) ?:
	      mmlens_require(tb, MMLENS_A_WALK_VA, "missing va attribute", info->extack);
	if (err)
		return err;
	err = mmlens_target_from_attr(tb[MMLENS_A_WALK_PID], &target, info->extack);
	if (err)
		return err;
	va = nla_get_u64(tb[MMLENS_A_WALK_VA]);
	if (va >= target.mm->task_size) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[MMLENS_A_WALK_VA], "address is not a user address");
		err = -EINVAL;
		goto out;
	}

	err = -ENOMEM;
	t = kmalloc(sizeof(*t), GFP_KERNEL);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!t || !msg)
		goto err_free;
	err = mmlens_lock_mm(target.mm, info->extack);
	if (err)
		goto err_free;
	vma = vma_lookup(target.mm, va);
	mmlens_translate(target.mm, vma, va, t);
	hdr = genlmsg_put_reply(msg, info, &mmlens_genl_family, 0, MMLENS_CMD_TRANSLATE);
	err = hdr ? translate_fill(msg, nla_get_u32(tb[MMLENS_A_WALK_PID]), va, vma, t) : -EMSGSIZE;
	mmap_read_unlock(target.mm);
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	kfree(t);
	err = genlmsg_reply(msg, info);
	goto out;

err_free:
	nlmsg_free(msg);
	kfree(t);
out:
	mmlens_target_put(&target);
	return err;
}
