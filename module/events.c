// SPDX-License-Identifier: GPL-2.0
/*
 * The event queue: probes cannot send netlink messages (they run with
 * preemption or interrupts off, sometimes under scheduler locks), so they
 * queue events here and a worker multicasts them, many per datagram.
 *
 * An event is lost when the queue is full or when a listener's receive
 * buffer refuses the datagram carrying it (the kernel tells only about
 * listeners that set NETLINK_BROADCAST_ERROR); each loss is counted for its
 * process (and globally), and the next event of that process carries the
 * total.  Events nobody listens to are neither delivered nor lost.
 */
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>

#include "events.h"
#include "mmlens.h"

/* Faults can come much faster than a reader drains them: room for bursts. */
#define QUEUE_LEN 8192

static struct mmlens_event *queue;
static unsigned int head, len;	/* under queue_lock */
static DEFINE_SPINLOCK(queue_lock);

static void send_events(struct work_struct *work);
static DECLARE_WORK(send_work, send_events);

static void count_lost(pid_t tgid, u64 nr)
{
	struct mmlens_watch *w;

	atomic64_add(nr, &mmlens_global.lost);
	rcu_read_lock();
	w = mmlens_watch_find(tgid);
	if (w)
		atomic64_add(nr, &w->counters.lost);
	rcu_read_unlock();
}

/* Queue ev of the process w watches (caller in RCU or atomic context). */
void mmlens_event_queue(struct mmlens_watch *w, struct mmlens_event *ev)
{
	unsigned long flags;
	bool queued = false;

	/* Nobody to tell: neither delivered nor lost, and no work for the worker. */
	if (!genl_has_listeners(&mmlens_genl_family, &init_net, MMLENS_NL_GROUP_EVENTS))
		return;
	ev->lost = atomic64_read(&w->counters.lost);
	spin_lock_irqsave(&queue_lock, flags);
	if (queue && len < QUEUE_LEN) {
		queue[(head + len) % QUEUE_LEN] = *ev;
		len++;
		queued = true;
	}
	spin_unlock_irqrestore(&queue_lock, flags);
	if (!queued) {
		atomic64_inc(&mmlens_global.lost);
		atomic64_inc(&w->counters.lost);
		return;
	}
	queue_work(system_unbound_wq, &send_work);
}

static int put_fault(struct sk_buff *skb, const struct mmlens_event *ev)
{
	if (nla_put_u64_64bit(skb, MMLENS_A_EVENT_VA, ev->va, MMLENS_A_EVENT_PAD) ||
	    nla_put_u32(skb, MMLENS_A_EVENT_ACCESS, ev->access) ||
	    nla_put_u32(skb, MMLENS_A_EVENT_FAULT_FLAGS, ev->fault_flags) ||
	    nla_put_u32(skb, MMLENS_A_EVENT_CLASS, ev->class))
		return -EMSGSIZE;
	if (ev->signal &&
	    (nla_put_u32(skb, MMLENS_A_EVENT_SIGNAL, ev->signal) ||
	     nla_put_u32(skb, MMLENS_A_EVENT_SIGNAL_CODE, ev->signal_code)))
		return -EMSGSIZE;
	if (!ev->handled)
		return 0;
	if (nla_put_u32(skb, MMLENS_A_EVENT_LEVEL, ev->level) ||
	    nla_put_u64_64bit(skb, MMLENS_A_EVENT_ENTRY_BEFORE, ev->entry_before,
			      MMLENS_A_EVENT_PAD) ||
	    nla_put_u64_64bit(skb, MMLENS_A_EVENT_ENTRY_AFTER, ev->entry_after,
			      MMLENS_A_EVENT_PAD) ||
	    nla_put_u32(skb, MMLENS_A_EVENT_RESULT, ev->result) ||
	    nla_put_u64_64bit(skb, MMLENS_A_EVENT_DURATION_NS, ev->duration_ns,
			      MMLENS_A_EVENT_PAD))
		return -EMSGSIZE;
	if (ev->has_pfn_before &&
	    nla_put_u64_64bit(skb, MMLENS_A_EVENT_PFN_BEFORE, ev->pfn_before, MMLENS_A_EVENT_PAD))
		return -EMSGSIZE;
	if (ev->has_pfn_after &&
	    nla_put_u64_64bit(skb, MMLENS_A_EVENT_PFN_AFTER, ev->pfn_after, MMLENS_A_EVENT_PAD))
		return -EMSGSIZE;
	if (ev->has_mapcount && nla_put_u32(skb, MMLENS_A_EVENT_MAPCOUNT_BEFORE, ev->mapcount_before))
		return -EMSGSIZE;
	return 0;
}

static int event_fill_one(struct sk_buff *skb, const struct mmlens_event *ev)
{
	void *hdr = genlmsg_put(skb, 0, 0, &mmlens_genl_family, 0, ev->cmd);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, MMLENS_A_EVENT_PID, ev->pid) ||
	    nla_put_u64_64bit(skb, MMLENS_A_EVENT_TIMESTAMP_NS, ev->ts_ns, MMLENS_A_EVENT_PAD) ||
	    nla_put_u64_64bit(skb, MMLENS_A_EVENT_LOST, ev->lost, MMLENS_A_EVENT_PAD))
		goto cancel;
	switch (ev->cmd) {
	case MMLENS_CMD_FAULT_NTF:
		if (nla_put_u32(skb, MMLENS_A_EVENT_TID, ev->tid) || put_fault(skb, ev))
			goto cancel;
		break;
	case MMLENS_CMD_FORK_NTF:
		if (nla_put_u32(skb, MMLENS_A_EVENT_TID, ev->tid) ||
		    nla_put_u32(skb, MMLENS_A_EVENT_CHILD, ev->child) ||
		    (ev->followed && nla_put_flag(skb, MMLENS_A_EVENT_FOLLOWED)))
			goto cancel;
		break;
	case MMLENS_CMD_EXIT_NTF:
		if (nla_put_u32(skb, MMLENS_A_EVENT_EXIT_CODE, ev->exit_code))
			goto cancel;
		break;
	}
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* Events per datagram: what fits in one page-sized message buffer. */
#define BATCH 32

static void send_batch(const struct mmlens_event *batch, unsigned int n)
{
	struct sk_buff *skb;
	unsigned int i, put = 0;
	int ret;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (skb) {
		for (put = 0; put < n; put++)
			if (event_fill_one(skb, &batch[put]))
				break;
	}
	/* genlmsg_multicast() consumes the skb whatever it returns. */
	ret = skb && put ? genlmsg_multicast(&mmlens_genl_family, skb, 0, MMLENS_NL_GROUP_EVENTS,
					     GFP_KERNEL) : -ENOMEM;
	if (skb && !put)
		nlmsg_free(skb);
	if (ret == -ESRCH)
		return;		/* nobody listening */
	for (i = 0; i < n; i++) {
		struct mmlens_watch *w;

		if (ret || i >= put) {
			count_lost(batch[i].pid, 1);
			continue;
		}
		atomic64_inc(&mmlens_global.events);
		rcu_read_lock();
		w = mmlens_watch_find(batch[i].pid);
		if (w)
			atomic64_inc(&w->counters.events);
		rcu_read_unlock();
	}
}

static void send_events(struct work_struct *work)
{
	static struct mmlens_event batch[BATCH];	/* one worker at a time */
	unsigned int n;

	do {
		spin_lock_irq(&queue_lock);
		for (n = 0; n < BATCH && len; n++) {
			batch[n] = queue[head];
			head = (head + 1) % QUEUE_LEN;
			len--;
		}
		spin_unlock_irq(&queue_lock);
		if (n)
			send_batch(batch, n);
		cond_resched();
	} while (n);
}

int mmlens_events_init(void)
{
	queue = vmalloc_array(QUEUE_LEN, sizeof(*queue));
	return queue ? 0 : -ENOMEM;
}

/* After the probes are gone: send what is left, then free the queue. */
void mmlens_events_exit(void)
{
	flush_work(&send_work);
	spin_lock_irq(&queue_lock);
	len = 0;
	spin_unlock_irq(&queue_lock);
	vfree(queue);
	queue = NULL;
}
