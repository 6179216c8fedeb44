// SPDX-License-Identifier: GPL-2.0
/*
 * MMLENS_CMD_GET_MM: the summary of one address space.
 */
#include <linux/mm.h>
#include <linux/mmlens.h>
#include <linux/sched/signal.h>

#include "compat.h"
#include "mmlens.h"
#include "walk.h"

static int put_u64(struct sk_buff *msg, int type, u64 value)
{
	return nla_put_u64_64bit(msg, type, value, MMLENS_A_MM_PAD);
}

/* Faults of every thread, as /proc/PID/stat adds them up. */
static void fault_counts(struct task_struct *task, u64 *min_flt, u64 *maj_flt)
{
	struct task_struct *t;

	rcu_read_lock();
	*min_flt = task->signal->min_flt;
	*maj_flt = task->signal->maj_flt;
	for_each_thread(task, t) {
		*min_flt += t->min_flt;
		*maj_flt += t->maj_flt;
	}
	rcu_read_unlock();
}

static int put_pt_pages(struct sk_buff *msg, const u64 tables[])
{
	static const int attr[] = {
		[MMLENS_LEVEL_PGD] = MMLENS_A_PT_PAGES_PGD,
		[MMLENS_LEVEL_P4D] = MMLENS_A_PT_PAGES_P4D,
		[MMLENS_LEVEL_PUD] = MMLENS_A_PT_PAGES_PUD,
		[MMLENS_LEVEL_PMD] = MMLENS_A_PT_PAGES_PMD,
		[MMLENS_LEVEL_PTE] = MMLENS_A_PT_PAGES_PTE,
	};
	struct nlattr *nest = nla_nest_start(msg, MMLENS_A_MM_PT_PAGES);
	int level;

	if (!nest)
		return -EMSGSIZE;
	for (level = MMLENS_LEVEL_PGD; level <= MMLENS_LEVEL_PTE; level++)
		if (nla_put_u64_64bit(msg, attr[level], tables[level], MMLENS_A_PT_PAGES_PAD))
			return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* Called with mmap_read_lock held, which keeps the layout fields still. */
static int mm_fill(struct sk_buff *msg, u32 nr, struct task_struct *task, struct mm_struct *mm,
		   const u64 tables[])
{
	const struct { int type; u64 value; } values[] = {
		{ MMLENS_A_MM_PGD_PA, __pa(mm->pgd) },
		{ MMLENS_A_MM_CONTEXT_ID, mm->context.ctx_id },
		{ MMLENS_A_MM_TLB_GEN, atomic64_read(&mm->context.tlb_gen) },
		{ MMLENS_A_MM_TOTAL_VM, mm->total_vm },
		{ MMLENS_A_MM_LOCKED_VM, mm->locked_vm },
		{ MMLENS_A_MM_PINNED_VM, atomic64_read(&mm->pinned_vm) },
		{ MMLENS_A_MM_DATA_VM, mm->data_vm },
		{ MMLENS_A_MM_EXEC_VM, mm->exec_vm },
		{ MMLENS_A_MM_STACK_VM, mm->stack_vm },
		{ MMLENS_A_MM_RSS_ANON, mmlens_mm_counter(mm, MM_ANONPAGES) },
		{ MMLENS_A_MM_RSS_FILE, mmlens_mm_counter(mm, MM_FILEPAGES) },
		{ MMLENS_A_MM_RSS_SHMEM, mmlens_mm_counter(mm, MM_SHMEMPAGES) },
		{ MMLENS_A_MM_SWAP_ENTS, mmlens_mm_counter(mm, MM_SWAPENTS) },
		{ MMLENS_A_MM_HIWATER_RSS, get_mm_hiwater_rss(mm) },
		{ MMLENS_A_MM_HIWATER_VM, get_mm_hiwater_vm(mm) },
		{ MMLENS_A_MM_PGTABLES_BYTES, mm_pgtables_bytes(mm) },
		{ MMLENS_A_MM_START_CODE, mm->start_code },
		{ MMLENS_A_MM_END_CODE, mm->end_code },
		{ MMLENS_A_MM_START_DATA, mm->start_data },
		{ MMLENS_A_MM_END_DATA, mm->end_data },
		{ MMLENS_A_MM_START_BRK, mm->start_brk },
		{ MMLENS_A_MM_BRK, mm->brk },
		{ MMLENS_A_MM_START_STACK, mm->start_stack },
		{ MMLENS_A_MM_ARG_START, mm->arg_start },
		{ MMLENS_A_MM_ARG_END, mm->arg_end },
		{ MMLENS_A_MM_ENV_START, mm->env_start },
		{ MMLENS_A_MM_ENV_END, mm->env_end },
		{ MMLENS_A_MM_MMAP_BASE, mm->mmap_base },
		{ MMLENS_A_MM_TASK_SIZE, mm->task_size },
	};
	char comm[TASK_COMM_LEN];
	u64 min_flt, maj_flt;
	unsigned int i;

	get_task_comm(comm, task);
	fault_counts(task, &min_flt, &maj_flt);
	if (nla_put_u32(msg, MMLENS_A_MM_PID, nr) ||
	    nla_put_u32(msg, MMLENS_A_MM_TGID, task_tgid_vnr(task)) ||
	    nla_put_string(msg, MMLENS_A_MM_COMM, comm) ||
	    nla_put_u32(msg, MMLENS_A_MM_PAGING_LEVELS, pgtable_l5_enabled() ? 5 : 4) ||
	    nla_put_u32(msg, MMLENS_A_MM_MAP_COUNT, mm->map_count) ||
	    put_u64(msg, MMLENS_A_MM_MIN_FLT, min_flt) ||
	    put_u64(msg, MMLENS_A_MM_MAJ_FLT, maj_flt))
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(values); i++)
		if (put_u64(msg, values[i].type, values[i].value))
			return -EMSGSIZE;
	return put_pt_pages(msg, tables);
}

int mmlens_nl_get_mm_doit(struct sk_buff *skb, struct genl_info *info)
{
	u64 tables[MMLENS_LEVEL_PTE + 1];
	struct mmlens_target t;
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = mmlens_check_caller(skb, info->extack);
	if (err)
		return err;
	err = mmlens_require(info->attrs, MMLENS_A_MM_PID, "missing pid attribute", info->extack);
	if (err)
		return err;
	err = mmlens_target_from_attr(info->attrs[MMLENS_A_MM_PID], &t, info->extack);
	if (err)
		return err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	err = mmlens_lock_mm(t.mm, info->extack);
	if (err)
		goto err_free;
	err = mmlens_count_tables(t.mm, tables);
	if (err) {
		mmap_read_unlock(t.mm);
		NL_SET_ERR_MSG(info->extack, "interrupted by a fatal signal");
		goto err_free;
	}
	hdr = genlmsg_put_reply(msg, info, &mmlens_genl_family, 0, MMLENS_CMD_GET_MM);
	err = hdr ? mm_fill(msg, nla_get_u32(info->attrs[MMLENS_A_MM_PID]), t.task, t.mm, tables)
		  : -EMSGSIZE;
	mmap_read_unlock(t.mm);
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	err = genlmsg_reply(msg, info);
	goto out;

err_free:
	nlmsg_free(msg);
out:
	mmlens_target_put(&t);
	return err;
}
