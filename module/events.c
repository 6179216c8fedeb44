// SPDX-License-Identifier: GPL-2.0
/*
 * The event queue: probes cannot send netlink messages (they run with
 * preemption or interrupts off, sometimes under scheduler locks), so they
 * queue events here and a worker multicasts them, many per datagram.
 *
 * Every event produced for a watched process takes the next number of that
 * process (MMLENS_A_EVENT_SEQ), delivered or not, so that each listener
 * counts its own losses from the gaps.  An event is lost when the queue is
 * full or when a listener's receive buffer refuses the datagram carrying it
 * (the kernel tells only about listeners that set NETLINK_BROADCAST_ERROR);
 * each loss is also counted for its process (and globally), and the next
 * event of that process carries the total.  Events nobody listens to are
 * neither produced nor lost.
 *
 * A watch's last event, its process's exit or the end of the watch when the
 * module goes, is kept in the watch rather than in the queue: it cannot be
 * dropped for want of room, it is sent once every event queued before it
 * has been, and a datagram of it that a listener refused is sent again for a
 * while.  A listener that receives it has everything of that process it
 * will ever get.  The watch is freed once it is sent.
 */
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>

#include "events.h"
#include "mmlens.h"

/* Faults can come much faster than a reader drains them: room for bursts. */
#define QUEUE_LEN 16384

/*
 * A last event a listener refused is sent again this often, this many
 * times: a reader that fell behind has a few seconds to drain its buffer.
 */
#define RESEND_DELAY_MS 100
#define RESEND_TRIES 50

static struct mmlens_event *queue;
/* Under queue_lock: */
static unsigned int head, len;
static u64 queued, sent;		/* queue entries ever put in, taken out */
static LIST_HEAD(ending);		/* last events waiting their turn, oldest first */
static LIST_HEAD(refused);		/* last events to send again */
static bool stopping;			/* the module goes: nothing is sent again */
static DEFINE_SPINLOCK(queue_lock);

static void send_events(struct work_struct *work);
static DECLARE_WORK(send_work, send_events);
static void resend_events(struct work_struct *work);
static DECLARE_DELAYED_WORK(resend_work, resend_events);

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

static bool listened(void)
{
	return genl_has_listeners(&mmlens_genl_family, &init_net, MMLENS_NL_GROUP_EVENTS);
}

/* Queue ev of the process w watches (caller in RCU or atomic context). */
void mmlens_event_queue(struct mmlens_watch *w, struct mmlens_event *ev)
{
	unsigned long flags;
	bool queued_it = false;

	/* Nobody to tell: neither produced nor lost, and no work for the worker. */
	if (!listened())
		return;
	spin_lock_irqsave(&queue_lock, flags);
	/* A fault racing with the exit comes after it: not of the stream. */
	if (w->end.ended) {
		spin_unlock_irqrestore(&queue_lock, flags);
		return;
	}
	ev->seq = ++w->end.seq;
	ev->lost = atomic64_read(&w->counters.lost);
	if (queue && len < QUEUE_LEN) {
		queue[(head + len) % QUEUE_LEN] = *ev;
		len++;
		queued++;
		queued_it = true;
	}
	spin_unlock_irqrestore(&queue_lock, flags);
	if (!queued_it) {
		atomic64_inc(&mmlens_global.lost);
		atomic64_inc(&w->counters.lost);
		return;
	}
	queue_work(system_unbound_wq, &send_work);
}

/*
 * ev is the last event of w's process; w, no longer to be found by the
 * probes, is ours from now on (caller in atomic context).
 */
void mmlens_event_last(struct mmlens_watch *w, struct mmlens_event *ev)
{
	unsigned long flags;

	spin_lock_irqsave(&queue_lock, flags);
	w->end.ended = true;
	if (!listened() || !queue) {
		spin_unlock_irqrestore(&queue_lock, flags);
		kfree_rcu(w, rcu);
		return;
	}
	ev->seq = ++w->end.seq;
	ev->lost = atomic64_read(&w->counters.lost);
	w->end.last = *ev;
	w->end.after = queued;
	list_add_tail(&w->end.node, &ending);
	spin_unlock_irqrestore(&queue_lock, flags);
	queue_work(system_unbound_wq, &send_work);
}

/* Events produced for w's process so far: the number of its latest. */
u64 mmlens_event_seq(struct mmlens_watch *w)
{
	unsigned long flags;
	u64 seq;

	spin_lock_irqsave(&queue_lock, flags);
	seq = w->end.seq;
	spin_unlock_irqrestore(&queue_lock, flags);
	return seq;
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
	    nla_put_u64_64bit(skb, MMLENS_A_EVENT_LOST, ev->lost, MMLENS_A_EVENT_PAD) ||
	    nla_put_u64_64bit(skb, MMLENS_A_EVENT_SEQ, ev->seq, MMLENS_A_EVENT_PAD))
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
	case MMLENS_CMD_END_NTF:
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

/*
 * A last event a listener refused: to be sent again later, unless it was
 * tried often enough or the module goes.  Returns whether it will be.
 */
static bool resend_later(struct mmlens_watch *w)
{
	bool later;

	spin_lock_irq(&queue_lock);
	later = !stopping && w->end.tries++ < RESEND_TRIES;
	if (later)
		list_add_tail(&w->end.node, &refused);
	spin_unlock_irq(&queue_lock);
	return later;
}

static void count_delivered(struct mmlens_watch *ended, pid_t tgid)
{
	struct mmlens_watch *w;

	atomic64_inc(&mmlens_global.events);
	rcu_read_lock();
	w = ended ?: mmlens_watch_find(tgid);
	if (w)
		atomic64_inc(&w->counters.events);
	rcu_read_unlock();
}

/*
 * One datagram.  batch[i] is the last event of ended[i] when that is not
 * NULL: freed once sent, kept to be sent again if a listener refused it.
 */
static void send_batch(const struct mmlens_event *batch, struct mmlens_watch **ended,
		       unsigned int n)
{
	struct sk_buff *skb;
	unsigned int i, put = 0;
	bool resend = false;
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
	for (i = 0; i < n; i++) {
		struct mmlens_watch *w = ended[i];

		if (ret == -ESRCH) {
			/* Nobody listening any more: neither delivered nor lost. */
		} else if (ret || i >= put) {
			if (w && resend_later(w)) {
				resend = true;
				continue;
			}
			count_lost(batch[i].pid, 1);
		} else {
			count_delivered(w, batch[i].pid);
		}
		if (w)
			kfree_rcu(w, rcu);
	}
	if (resend)
		queue_delayed_work(system_unbound_wq, &resend_work,
				   msecs_to_jiffies(RESEND_DELAY_MS));
}

/*
 * Takes the next events to send, in order: a last event as soon as every
 * queue entry queued before it is taken.
 */
static unsigned int take_batch(struct mmlens_event *batch, struct mmlens_watch **ended)
{
	struct mmlens_watch *w;
	unsigned int n = 0;

	spin_lock_irq(&queue_lock);
	while (n < BATCH) {
		w = list_first_entry_or_null(&ending, struct mmlens_watch, end.node);
		if (w && w->end.after <= sent) {
			list_del(&w->end.node);
			ended[n] = w;
			batch[n++] = w->end.last;
			continue;
		}
		if (!len)
			break;
		ended[n] = NULL;
		batch[n++] = queue[head];
		head = (head + 1) % QUEUE_LEN;
		len--;
		sent++;
	}
	spin_unlock_irq(&queue_lock);
	return n;
}

static void send_events(struct work_struct *work)
{
	/* One worker at a time. */
	static struct mmlens_event batch[BATCH];
	static struct mmlens_watch *ended[BATCH];
	unsigned int n;

	do {
		n = take_batch(batch, ended);
		if (n)
			send_batch(batch, ended, n);
		cond_resched();
	} while (n);
}

/* Refused last events go first: nothing of their processes is left before them. */
static void resend_events(struct work_struct *work)
{
	struct mmlens_watch *w;

	spin_lock_irq(&queue_lock);
	list_for_each_entry(w, &refused, end.node)
		w->end.after = 0;
	list_splice_init(&refused, &ending);
	spin_unlock_irq(&queue_lock);
	queue_work(system_unbound_wq, &send_work);
}

int mmlens_events_init(void)
{
	queue = vmalloc_array(QUEUE_LEN, sizeof(*queue));
	return queue ? 0 : -ENOMEM;
}

/*
 * Sends what is queued, last events included, and nothing again from then
 * on: the module goes, while its family can still carry them.  A worker that
 * decided to send again before `stopping` has done so when flush_work()
 * returns; what it put aside goes out now.
 */
void mmlens_events_flush(void)
{
	spin_lock_irq(&queue_lock);
	stopping = true;
	spin_unlock_irq(&queue_lock);
	flush_work(&send_work);
	cancel_delayed_work_sync(&resend_work);
	resend_events(NULL);
	flush_work(&send_work);
}

/* After the probes are gone and the queue flushed: free it. */
void mmlens_events_exit(void)
{
	struct mmlens_watch *w, *tmp;

	flush_work(&send_work);
	spin_lock_irq(&queue_lock);
	len = 0;
	list_splice_init(&refused, &ending);
	spin_unlock_irq(&queue_lock);
	list_for_each_entry_safe(w, tmp, &ending, end.node)
		kfree_rcu(w, rcu);
	vfree(queue);
	queue = NULL;
}
