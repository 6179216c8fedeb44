/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Live events: watched processes, their fault and TLB counters, and the
 * events queued for the "events" multicast group.
 */
#ifndef _MMLENS_EVENTS_H
#define _MMLENS_EVENTS_H

#include <linux/atomic.h>
#include <linux/mmlens.h>
#include <linux/types.h>

struct kernel_siginfo;
struct linux_binprm;
struct netlink_ext_ack;
struct task_struct;

#define MMLENS_NR_CLASSES (MMLENS_FAULT_CLASS_MAX + 1)
#define MMLENS_NR_TLB_REASONS (MMLENS_TLB_REASON_MAX + 1)

struct mmlens_tlb_counts {
	atomic64_t flushes, pages, full;
};

struct mmlens_counters {
	atomic64_t faults[MMLENS_NR_CLASSES];
	struct mmlens_tlb_counts tlb[MMLENS_NR_TLB_REASONS];
	atomic64_t events;	/* delivered */
	atomic64_t lost;
};

/* What the worker sends: one fault, fork, exit or end of a watch. */
struct mmlens_event {
	u8 cmd;			/* MMLENS_CMD_*_NTF */
	u8 access;		/* enum mmlens_access */
	u8 class;		/* enum mmlens_fault_class */
	u8 level;		/* enum mmlens_level after the fault */
	u8 signal;		/* SIGSEGV/SIGBUS it raised, or 0 */
	bool handled;		/* by handle_mm_fault(): entries, result and duration known */
	bool has_pfn_before, has_pfn_after, has_mapcount, followed;
	u32 fault_flags;	/* MMLENS_FAULT_F_* */
	u32 result;		/* vm_fault_t */
	u32 mapcount_before;
	u32 exit_code;
	s32 signal_code;	/* its si_code */
	pid_t pid, tid, child;
	u64 va;
	u64 entry_before, entry_after;
	u64 pfn_before, pfn_after;
	u64 duration_ns, ts_ns;
	u64 lost;
	u64 seq;		/* its number among the events of its process */
};

/*
 * A watch's place in the event stream, under the event queue's lock: how
 * many events of its process were produced, and its last event (the exit,
 * or the end of the watch when the module goes), which is sent after every
 * other event of the process and is never dropped for want of room.
 */
struct mmlens_watch_end {
	u64 seq;		/* events produced for the process */
	bool ended;		/* its last event is produced: nothing after it */
	struct mmlens_event last;
	u64 after;		/* queue entries to send before the last event */
	unsigned int tries;	/* datagrams of the last event a listener refused */
	struct list_head node;	/* on the list of last events waiting their turn */
};

/*
 * A watched process.  Found under RCU by its tgid (faults) and by the
 * context id of its mm (TLB flushes, which know only the mm); changed and
 * freed (after a grace period) under the watch lock.
 */
struct mmlens_watch {
	struct hlist_node by_tgid;
	struct hlist_node by_ctx;
	struct rcu_head rcu;
	pid_t tgid;		/* as the initial PID namespace numbers it */
	u64 ctx_id;		/* mm->context.ctx_id, renewed by exec */
	u64 since_ns;
	struct list_head owners;	/* struct mmlens_watch_owner, under the lock */
	struct mmlens_counters counters;
	struct mmlens_watch_end end;	/* the event queue's (events.c) */
};

/* Global counters: every watched process, and TLB flushes while armed. */
extern struct mmlens_counters mmlens_global;

/* Watches (watch.c); lookups need rcu_read_lock() or preemption disabled. */
struct mmlens_watch *mmlens_watch_find(pid_t tgid);
struct mmlens_watch *mmlens_watch_find_ctx(u64 ctx_id);
int mmlens_watch_init(void);
void mmlens_watch_end_all(void);
void mmlens_watch_exit(void);
void mmlens_task_fork(void *data, struct task_struct *parent, struct task_struct *child);
void mmlens_task_exec(void *data, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm);
void mmlens_task_exit(void *data, struct task_struct *p);
bool mmlens_watching(void);

/* Probes (probes.c): armed while something is watched. */
int mmlens_probes_arm(struct netlink_ext_ack *extack);
void mmlens_probes_disarm_later(void);
void mmlens_probes_exit(void);
u64 mmlens_armed_ns(void);

/* Faults (fault.c) and TLB flushes (tlb.c), the probes themselves. */
int mmlens_fault_probe_enable(void);
void mmlens_fault_probe_disable(void);
void mmlens_fault_probe_exit(void);
void mmlens_tlb_flush(void *data, int reason, unsigned long pages);
void mmlens_sched_switch(void *data, bool preempt, struct task_struct *prev,
			 struct task_struct *next, unsigned int prev_state);
void mmlens_fault_signal(void *data, int sig, struct kernel_siginfo *info,
			 struct task_struct *task, int group, int result);

/* The queue to the multicast group (events.c). */
void mmlens_event_queue(struct mmlens_watch *w, struct mmlens_event *ev);
void mmlens_event_last(struct mmlens_watch *w, struct mmlens_event *ev);
u64 mmlens_event_seq(struct mmlens_watch *w);
int mmlens_events_init(void);
void mmlens_events_flush(void);
void mmlens_events_exit(void);

#endif /* _MMLENS_EVENTS_H */
