// SPDX-License-Identifier: GPL-2.0
/*
 * Targets: a PID or TID in the caller's PID namespace, and the address space
 * behind it.  Lookups run in the sender's context (doit, or the first dumpit
 * call, which netlink makes from sendmsg()); later dump calls keep only a
 * struct pid and look the task up again, so a target that exits in between
 * ends the dump instead of being kept alive.
 */
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>

#include "compat.h"
#include "mmlens.h"

struct pid *mmlens_target_pid(u32 nr, struct netlink_ext_ack *extack)
{
	struct pid *pid = find_get_pid(nr);

	if (!pid)
		NL_SET_ERR_MSG(extack, "no such process");
	return pid;
}

int mmlens_target_get(struct pid *pid, struct mmlens_target *t, struct netlink_ext_ack *extack)
{
	t->task = get_pid_task(pid, PIDTYPE_PID);
	if (!t->task) {
		NL_SET_ERR_MSG(extack, "process has exited");
		return -ESRCH;
	}
	if (t->task->flags & PF_KTHREAD) {
		NL_SET_ERR_MSG(extack, "process is a kernel thread");
		put_task_struct(t->task);
		return -EINVAL;
	}
	t->mm = get_task_mm(t->task);
	if (!t->mm) {
		NL_SET_ERR_MSG(extack, "process has exited");
		put_task_struct(t->task);
		return -ESRCH;
	}
	return 0;
}

void mmlens_target_put(struct mmlens_target *t)
{
	mmput(t->mm);
	put_task_struct(t->task);
}

/* Resolve the PID attribute of a do request into a target. */
int mmlens_target_from_attr(const struct nlattr *attr, struct mmlens_target *t,
			    struct netlink_ext_ack *extack)
{
	struct pid *pid = mmlens_target_pid(nla_get_u32(attr), extack);
	int err;

	if (!pid)
		return -ESRCH;
	err = mmlens_target_get(pid, t, extack);
	put_pid(pid);
	return err;
}

int mmlens_lock_mm(struct mm_struct *mm, struct netlink_ext_ack *extack)
{
	if (mmap_read_lock_killable(mm)) {
		NL_SET_ERR_MSG(extack, "interrupted by a fatal signal");
		return -EINTR;
	}
	return 0;
}

/*
 * A number that changes when the address space changes in a way that could
 * make a dump inconsistent: unmapping, protection changes, remapping and
 * THP splits all flush the TLB (tlb_gen moves); new or removed VMAs move
 * map_count.  Never 0, which netlink reads as "no sequence".
 */
unsigned int mmlens_mm_generation(struct mm_struct *mm)
{
	u64 gen = atomic64_read(&mm->context.tlb_gen);

	return jhash_2words((u32)gen, (u32)(gen >> 32) ^ mm->map_count, 0) | 1;
}

/* Validate [start, end) of a request against the target's address space. */
int mmlens_check_range(struct mm_struct *mm, u64 start, u64 *end, const struct nlattr *start_attr,
		       struct netlink_ext_ack *extack)
{
	if (start > *end) {
		NL_SET_ERR_MSG_ATTR(extack, start_attr, "range start is above its end");
		return -EINVAL;
	}
	if (start >= mm->task_size) {
		NL_SET_ERR_MSG_ATTR(extack, start_attr, "address is not a user address");
		return -EINVAL;
	}
	*end = min_t(u64, *end, mm->task_size);
	return 0;
}

/* First call of a dump over a target: check everything, remember the range. */
int mmlens_dump_begin(struct sk_buff *skb, struct netlink_callback *cb,
		      int pid_attr, int start_attr, int end_attr)
{
	struct mmlens_dump_state *st = (void *)cb->ctx;
	struct nlattr **tb = mmlens_dump_attrs(cb);
	struct mmlens_target t;
	u64 start, end;
	int err;

	/* cb->skb is the request: its sender, not whoever reads the dump later. */
	err = mmlens_check_caller(cb->skb, cb->extack);
	if (err)
		return err;
	err = mmlens_require(tb, pid_attr, "missing pid attribute", cb->extack);
	if (err)
		return err;
	st->pid = mmlens_target_pid(nla_get_u32(tb[pid_attr]), cb->extack);
	if (!st->pid)
		return -ESRCH;
	err = mmlens_target_get(st->pid, &t, cb->extack);
	if (err)
		return err;
	start = tb[start_attr] ? nla_get_u64(tb[start_attr]) : 0;
	end = tb[end_attr] ? nla_get_u64(tb[end_attr]) : U64_MAX;
	err = mmlens_check_range(t.mm, start, &end, tb[start_attr], cb->extack);
	mmlens_target_put(&t);
	if (err)
		return err;
	st->next = start;
	st->end = end;
	st->started = true;
	return 0;
}

int mmlens_dump_done(struct netlink_callback *cb)
{
	struct mmlens_dump_state *st = (void *)cb->ctx;

	put_pid(st->pid);
	return 0;
}
