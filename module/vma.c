// SPDX-License-Identifier: GPL-2.0
/*
 * MMLENS_CMD_GET_VMA: the VMAs of an address space, one message each, with
 * what a walk of their page tables finds.
 */
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/mmlens.h>
#include <linux/slab.h>

#include "compat.h"
#include "mmlens.h"
#include "walk.h"

struct vma_counts {
	u64 resident, swapped, pmd_leaves, pud_leaves;
};

/* Records the walk fills at a time (run records: usually a VMA's all). */
#define VMA_RECS (PAGE_SIZE / sizeof(struct mmlens_pte))

/*
 * Resident counts every present entry (PROT_NONE and migration ones too, as
 * smaps does, but also the shared zero page, which smaps leaves out).
 */
static void count_record(struct vma_counts *c, const struct mmlens_pte *rec)
{
	u64 pages = rec->nr * mmlens_level_pages(rec->level);

	switch (rec->kind) {
	case MMLENS_KIND_PRESENT:
	case MMLENS_KIND_PROT_NONE:
	case MMLENS_KIND_MIGRATION:
		c->resident += pages;
		break;
	case MMLENS_KIND_SWAP:
		c->swapped += pages;
		break;
	}
	if (rec->level == MMLENS_LEVEL_PMD)
		c->pmd_leaves += rec->nr;
	else if (rec->level == MMLENS_LEVEL_PUD)
		c->pud_leaves += rec->nr;
}

/* Walks vma into recs (VMA_RECS of them) as often as it takes. */
static int count_vma(struct mm_struct *mm, struct vm_area_struct *vma, struct mmlens_pte *recs,
		     struct vma_counts *c)
{
	struct mmlens_walk w = { .mm = mm, .recs = recs, .cap = VMA_RECS, .runs = true };
	unsigned long from = vma->vm_start;
	unsigned int i;
	int ret;

	do {
		w.n = 0;
		w.run_entry = 0;
		ret = mmlens_walk_range(&w, from, vma->vm_end);
		if (ret < 0)
			return ret;
		for (i = 0; i < w.n; i++)
			count_record(c, &recs[i]);
		from = w.next;
	} while (ret == MMLENS_WALK_FULL);
	return 0;
}

/*
 * Shared anonymous memory is backed by an internal tmpfs file the kernel
 * names "dev/zero" (no test for it is exported); no file a user creates can
 * have a slash in its name.
 */
static bool vma_is_shared_anon(struct vm_area_struct *vma)
{
	struct dentry *dentry = vma->vm_file->f_path.dentry;

	return dentry->d_sb->s_magic == TMPFS_MAGIC && !strcmp(dentry->d_name.name, "dev/zero");
}

static u32 vma_kind(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;

	if (vma->vm_file)
		return vma_is_shared_anon(vma) ? MMLENS_VMA_ANON : MMLENS_VMA_FILE;
	if (vma->vm_ops && vma->vm_ops->name) {
		const char *name = vma->vm_ops->name(vma);

		if (name && !strcmp(name, "[vdso]"))
			return MMLENS_VMA_VDSO;
		if (name && !strcmp(name, "[vvar]"))
			return MMLENS_VMA_VVAR;
		return MMLENS_VMA_SPECIAL;
	}
	/* The same tests /proc/PID/maps makes for its names. */
	if (vma->vm_start <= mm->brk && vma->vm_end >= mm->start_brk)
		return MMLENS_VMA_HEAP;
	if (vma->vm_start <= mm->start_stack && vma->vm_end >= mm->start_stack)
		return MMLENS_VMA_STACK;
	return MMLENS_VMA_ANON;
}

static int vma_fill(struct sk_buff *msg, struct vm_area_struct *vma, const struct vma_counts *c,
		    char *pathbuf)
{
	const struct { int type; u64 value; } values[] = {
		{ MMLENS_A_VMA_START, vma->vm_start },
		{ MMLENS_A_VMA_END, vma->vm_end },
		{ MMLENS_A_VMA_FLAGS, vma->vm_flags },
		{ MMLENS_A_VMA_PGOFF, vma->vm_pgoff },
		{ MMLENS_A_VMA_PAGE_SIZE, vma_kernel_pagesize(vma) },
		{ MMLENS_A_VMA_RESIDENT, c->resident },
		{ MMLENS_A_VMA_SWAPPED, c->swapped },
		{ MMLENS_A_VMA_PMD_LEAVES, c->pmd_leaves },
		{ MMLENS_A_VMA_PUD_LEAVES, c->pud_leaves },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(values); i++)
		if (nla_put_u64_64bit(msg, values[i].type, values[i].value, MMLENS_A_VMA_PAD))
			return -EMSGSIZE;
	if (nla_put_u32(msg, MMLENS_A_VMA_KIND, vma_kind(vma)))
		return -EMSGSIZE;
	if (vma->anon_vma && nla_put_flag(msg, MMLENS_A_VMA_ANON_VMA))
		return -EMSGSIZE;
	if (vma->vm_file) {
		char *path = d_path(&vma->vm_file->f_path, pathbuf, PATH_MAX);

		if (!IS_ERR(path) && nla_put_string(msg, MMLENS_A_VMA_FILE, path))
			return -EMSGSIZE;
	}
	return 0;
}

static int vma_dump_one(struct sk_buff *skb, struct netlink_callback *cb,
			struct mm_struct *mm, struct vm_area_struct *vma, char *pathbuf,
			struct mmlens_pte *recs)
{
	struct vma_counts counts = {};
	void *hdr;
	int err;

	err = count_vma(mm, vma, recs, &counts);
	if (err)
		return err;
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &mmlens_genl_family, NLM_F_MULTI, MMLENS_CMD_GET_VMA);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	err = vma_fill(skb, vma, &counts, pathbuf);
	if (err) {
		genlmsg_cancel(skb, hdr);
		return err;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

int mmlens_nl_get_vma_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct mmlens_dump_state *st = (void *)cb->ctx;
	struct vm_area_struct *vma;
	struct mmlens_pte *recs = NULL;
	struct mmlens_target t;
	char *pathbuf;
	int err;

	if (!st->started) {
		err = mmlens_dump_begin(skb, cb, MMLENS_A_VMA_PID, MMLENS_A_VMA_START, MMLENS_A_VMA_END);
		if (err)
			return err;
	}
	if (st->next >= st->end)
		return 0;

	err = mmlens_target_get(st->pid, &t, cb->extack);
	if (err)
		return err;
	pathbuf = kmalloc(PATH_MAX, GFP_KERNEL);
	recs = kmalloc_array(VMA_RECS, sizeof(*recs), GFP_KERNEL);
	if (!pathbuf || !recs) {
		err = -ENOMEM;
		goto out;
	}
	err = mmlens_lock_mm(t.mm, cb->extack);
	if (err)
		goto out;
	cb->seq = mmlens_mm_generation(t.mm);

	for (vma = find_vma(t.mm, st->next); vma && vma->vm_start < st->end;
	     vma = find_vma(t.mm, vma->vm_end)) {
		err = vma_dump_one(skb, cb, t.mm, vma, pathbuf, recs);
		if (err)
			break;
		st->next = vma->vm_end;
	}
	if (!vma || vma->vm_start >= st->end)
		st->next = st->end;
	mmap_read_unlock(t.mm);

	/* A full message ends this call; the next one resumes at st->next. */
	if (err == -EMSGSIZE && skb->len)
		err = 0;
	else if (err == -EINTR)
		NL_SET_ERR_MSG(cb->extack, "interrupted by a fatal signal");
out:
	kfree(recs);
	kfree(pathbuf);
	mmlens_target_put(&t);
	return err ? err : skb->len;
}
