// SPDX-License-Identifier: GPL-2.0
/*
 * TLB flush counters, from the tlb_flush tracepoint.  It carries a reason
 * and a page count but no mm, so the mm being flushed is found by reason:
 *
 *  - TASK_SWITCH fires in switch_mm_irqs_off() while the scheduler switches
 *    to the next task, whose mm sched_switch (just before) noted per CPU by
 *    its context id (a pointer could be stale by the time it is used);
 *    switches outside the scheduler (exec, kthread_use_mm) load current's
 *    new mm; only switches that flushed (pages != 0) count;
 *  - REMOTE_SHOOTDOWN and LOCAL_MM_SHOOTDOWN run on the CPU flushing its
 *    loaded mm, current's active_mm;
 *  - REMOTE_SEND_IPI runs in the sender: its mm (a kernel thread working
 *    on another mm, like khugepaged, has none, so those IPIs are global only);
 *  - LOCAL_SHOOTDOWN flushes no particular mm (reclaim's batches): global only.
 *
 * These probes run with interrupts off or under the runqueue lock: they only
 * bump counters, never allocate, queue or wake anything.
 */
#include <linux/mm_types.h>
#include <linux/percpu.h>
#include <asm/tlbflush.h>
#include <linux/sched.h>

#include "events.h"

/* Context id of the mm the scheduler is switching to on this CPU (0: none noted). */
static DEFINE_PER_CPU(u64, switching_to);

void mmlens_sched_switch(void *data, bool preempt, struct task_struct *prev,
			 struct task_struct *next, unsigned int prev_state)
{
	/* Kernel threads borrow the previous mm without switching: nothing to note. */
	this_cpu_write(switching_to, next->mm ? next->mm->context.ctx_id : 0);
}

static void count(struct mmlens_tlb_counts *c, unsigned long pages)
{
	atomic64_inc(&c->flushes);
	if (pages == TLB_FLUSH_ALL)
		atomic64_inc(&c->full);
	else
		atomic64_add(pages, &c->pages);
}

void mmlens_tlb_flush(void *data, int reason, unsigned long pages)
{
	struct mm_struct *mm = NULL;
	struct mmlens_watch *w;
	u64 ctx_id = 0;

	/* The UAPI numbers reasons as the kernel does (distinct enums: compare as ints). */
	BUILD_BUG_ON((int)MMLENS_TLB_TASK_SWITCH != (int)TLB_FLUSH_ON_TASK_SWITCH ||
		     (int)MMLENS_TLB_REMOTE_SHOOTDOWN != (int)TLB_REMOTE_SHOOTDOWN ||
		     (int)MMLENS_TLB_LOCAL_SHOOTDOWN != (int)TLB_LOCAL_SHOOTDOWN ||
		     (int)MMLENS_TLB_LOCAL_MM_SHOOTDOWN != (int)TLB_LOCAL_MM_SHOOTDOWN ||
		     (int)MMLENS_TLB_REMOTE_SEND_IPI != (int)TLB_REMOTE_SEND_IPI ||
		     (int)MMLENS_NR_TLB_REASONS != (int)NR_TLB_FLUSH_REASONS);
	if ((unsigned int)reason >= MMLENS_NR_TLB_REASONS)
		return;
	switch (reason) {
	case TLB_FLUSH_ON_TASK_SWITCH:
		if (!pages)
			return;		/* the ASID was still valid: nothing flushed */
		ctx_id = this_cpu_xchg(switching_to, 0);
		if (!ctx_id)
			mm = current->mm;
		break;
	case TLB_REMOTE_SHOOTDOWN:
	case TLB_LOCAL_MM_SHOOTDOWN:
		mm = current->active_mm;
		break;
	case TLB_REMOTE_SEND_IPI:
		mm = current->mm;
		break;
	}
	count(&mmlens_global.tlb[reason], pages);
	if (mm)
		ctx_id = mm->context.ctx_id;
	if (!ctx_id)
		return;
	rcu_read_lock();
	w = mmlens_watch_find_ctx(ctx_id);
	if (w)
		count(&w->counters.tlb[reason], pages);
	rcu_read_unlock();
}
