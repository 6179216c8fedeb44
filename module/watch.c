// SPDX-License-Identifier: GPL-2.0
/*
 * Watches: which processes live events are collected for, and for whom.
 *
 * A watch belongs to a netlink socket (its port id); a process is watched
 * while at least one socket watches it.  Watches end with WATCH_DEL, when
 * the socket closes (NETLINK_URELEASE), when the process exits (its exit is
 * the watch's last event) and when the module goes (an end event).  With
 * "follow", the fork tracepoint watches children before they first run: it
 * fires after the child is created and before it is woken.
 *
 * Readers (the probes) find watches under RCU, without locks; everything
 * else changes them under watch_lock, never sleeping, since the fork and exit
 * tracepoints do so too.
 */
#include <linux/hashtable.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <net/net_namespace.h>

#include "events.h"
#include "mmlens.h"

struct mmlens_watch_owner {
	struct list_head node;
	u32 portid;
	bool follow;
};

static DEFINE_SPINLOCK(watch_lock);
static DEFINE_HASHTABLE(by_tgid, 6);
static DEFINE_HASHTABLE(by_ctx, 6);
static unsigned int nr_watches;		/* under watch_lock */
static bool closing;			/* under watch_lock: the module goes, no new watches */

struct mmlens_counters mmlens_global;

struct mmlens_watch *mmlens_watch_find(pid_t tgid)
{
	struct mmlens_watch *w;

	hash_for_each_possible_rcu(by_tgid, w, by_tgid, tgid)
		if (w->tgid == tgid)
			return w;
	return NULL;
}

struct mmlens_watch *mmlens_watch_find_ctx(u64 ctx_id)
{
	struct mmlens_watch *w;

	hash_for_each_possible_rcu(by_ctx, w, by_ctx, ctx_id)
		if (w->ctx_id == ctx_id)
			return w;
	return NULL;
}

bool mmlens_watching(void)
{
	return READ_ONCE(nr_watches) != 0;
}

static struct mmlens_watch_owner *find_owner(struct mmlens_watch *w, u32 portid)
{
	struct mmlens_watch_owner *o;

	list_for_each_entry(o, &w->owners, node)
		if (o->portid == portid)
			return o;
	return NULL;
}

/* Takes w out of the tables; readers that found it may use it for a grace period. */
static void unhash(struct mmlens_watch *w)
{
	struct mmlens_watch_owner *o, *tmp;

	lockdep_assert_held(&watch_lock);
	list_for_each_entry_safe(o, tmp, &w->owners, node)
		kfree(o);
	hash_del_rcu(&w->by_tgid);
	hash_del_rcu(&w->by_ctx);
	if (!--nr_watches)
		mmlens_probes_disarm_later();
}

/* Nobody wants the watch any more: no last event. */
static void unwatch(struct mmlens_watch *w)
{
	unhash(w);
	kfree_rcu(w, rcu);
}

/* The watch ends with ev, its last event, which the event queue sends and frees. */
static void end_watch(struct mmlens_watch *w, struct mmlens_event *ev)
{
	unhash(w);
	ev->pid = w->tgid;
	ev->ts_ns = ktime_get_ns();
	mmlens_event_last(w, ev);
}

static void drop_owner(struct mmlens_watch *w, struct mmlens_watch_owner *o)
{
	lockdep_assert_held(&watch_lock);
	list_del(&o->node);
	kfree(o);
	if (list_empty(&w->owners))
		unwatch(w);
}

/* Insert the new watch w (owners list initialized by the caller). */
static void add_watch(struct mmlens_watch *w, pid_t tgid, u64 ctx_id)
{
	lockdep_assert_held(&watch_lock);
	w->tgid = tgid;
	w->ctx_id = ctx_id;
	w->since_ns = ktime_get_ns();
	hash_add_rcu(by_tgid, &w->by_tgid, tgid);
	hash_add_rcu(by_ctx, &w->by_ctx, ctx_id);
	nr_watches++;
}

/* Undo WATCH_ADD of portid on tgid, if it is still there. */
static void remove_owner(pid_t tgid, u32 portid)
{
	struct mmlens_watch_owner *o;
	struct mmlens_watch *w;

	spin_lock(&watch_lock);
	w = mmlens_watch_find(tgid);
	o = w ? find_owner(w, portid) : NULL;
	if (o)
		drop_owner(w, o);
	spin_unlock(&watch_lock);
}

/* The process a WATCH_ADD or WATCH_DEL request names, from a caller allowed to ask. */
static int watch_request_target(struct sk_buff *skb, struct genl_info *info,
				struct mmlens_target *t)
{
	int ret;

	ret = mmlens_check_caller(skb, info->extack);
	if (ret)
		return ret;
	ret = mmlens_require(info->attrs, MMLENS_A_WATCH_PID, "missing pid attribute", info->extack);
	if (ret)
		return ret;
	return mmlens_target_from_attr(info->attrs[MMLENS_A_WATCH_PID], t, info->extack);
}

/* The reply: the process, and the number of its latest event before this watch. */
static int watch_add_reply(struct sk_buff *msg, struct genl_info *info, pid_t tgid, u64 seq)
{
	void *hdr = genlmsg_put_reply(msg, info, &mmlens_genl_family, 0, MMLENS_CMD_WATCH_ADD);

	if (!hdr || nla_put_u32(msg, MMLENS_A_WATCH_PID, tgid) ||
	    nla_put_u64_64bit(msg, MMLENS_A_WATCH_SEQ, seq, MMLENS_A_WATCH_PAD))
		return -EMSGSIZE;
	genlmsg_end(msg, hdr);
	return 0;
}

int mmlens_nl_watch_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct mmlens_watch_owner *o, *new_owner;
	struct mmlens_watch *w, *new_watch;
	struct mmlens_target t;
	struct sk_buff *msg;
	pid_t tgid;
	u64 seq;
	int ret;

	ret = watch_request_target(skb, info, &t);
	if (ret)
		return ret;

	new_owner = kzalloc(sizeof(*new_owner), GFP_KERNEL);
	new_watch = kzalloc(sizeof(*new_watch), GFP_KERNEL);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!new_owner || !new_watch || !msg) {
		ret = -ENOMEM;
		goto out;
	}
	new_owner->portid = info->snd_portid;
	new_owner->follow = nla_get_flag(info->attrs[MMLENS_A_WATCH_FOLLOW]);
	tgid = task_tgid_nr(t.task);

	spin_lock(&watch_lock);
	if (closing) {
		spin_unlock(&watch_lock);
		NL_SET_ERR_MSG(info->extack, "the module is being unloaded");
		ret = -ESHUTDOWN;
		goto out;
	}
	w = mmlens_watch_find(tgid);
	if (!w) {
		w = new_watch;
		new_watch = NULL;
		INIT_LIST_HEAD(&w->owners);
		add_watch(w, tgid, t.mm->context.ctx_id);
	}
	o = find_owner(w, info->snd_portid);
	if (o) {
		o->follow = new_owner->follow;
	} else {
		list_add(&new_owner->node, &w->owners);
		new_owner = NULL;
	}
	seq = mmlens_event_seq(w);
	spin_unlock(&watch_lock);

	/* Armed after the watch exists, so a pending disarm cannot undo it. */
	ret = mmlens_probes_arm(info->extack);
	if (ret) {
		remove_owner(tgid, info->snd_portid);
		goto out;
	}
	/*
	 * The exit probe ends watches of processes that exit from now on; one
	 * that died before it was armed is seen here (its last thread lowered
	 * signal->live before it could reach the exit tracepoint).
	 */
	if (!atomic_read(&t.task->signal->live)) {
		remove_owner(tgid, info->snd_portid);
		NL_SET_ERR_MSG(info->extack, "process has exited");
		ret = -ESRCH;
		goto out;
	}
	ret = watch_add_reply(msg, info, tgid, seq);
	if (!ret) {
		ret = genlmsg_reply(msg, info);
		msg = NULL;
	}
out:
	nlmsg_free(msg);
	kfree(new_owner);
	kfree(new_watch);
	mmlens_target_put(&t);
	return ret;
}

int mmlens_nl_watch_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct mmlens_watch_owner *o = NULL;
	struct mmlens_watch *w;
	struct mmlens_target t;
	int ret;

	ret = watch_request_target(skb, info, &t);
	if (ret)
		return ret;
	spin_lock(&watch_lock);
	w = mmlens_watch_find(task_tgid_nr(t.task));
	if (w)
		o = find_owner(w, info->snd_portid);
	if (o)
		drop_owner(w, o);
	spin_unlock(&watch_lock);
	mmlens_target_put(&t);
	if (!o) {
		NL_SET_ERR_MSG(info->extack, "process is not watched by this socket");
		return -ENOENT;
	}
	return 0;
}

/* A socket closed: its watches end. */
static int socket_released(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;
	struct mmlens_watch_owner *o;
	struct mmlens_watch *w;
	struct hlist_node *tmp;
	int bkt;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC || !net_eq(n->net, &init_net))
		return NOTIFY_DONE;
	spin_lock(&watch_lock);
	hash_for_each_safe(by_tgid, bkt, tmp, w, by_tgid) {
		o = find_owner(w, n->portid);
		if (o)
			drop_owner(w, o);
	}
	spin_unlock(&watch_lock);
	return NOTIFY_DONE;
}

static struct notifier_block release_notifier = {
	.notifier_call = socket_released,
};

/*
 * Tracepoint sched_process_fork, in the parent, before the child runs.
 * Threads join their process's watch; new processes of a watched one get a
 * fork event and, for owners that follow, a watch of their own.
 */
void mmlens_task_fork(void *data, struct task_struct *parent, struct task_struct *child)
{
	struct mmlens_watch *w, *cw = NULL;
	struct mmlens_watch_owner *o, *co;
	struct mmlens_event ev = { .cmd = MMLENS_CMD_FORK_NTF };

	if (child->tgid == parent->tgid || (child->flags & PF_KTHREAD) || !child->mm)
		return;
	spin_lock(&watch_lock);
	w = mmlens_watch_find(parent->tgid);
	if (!w)
		goto out;
	list_for_each_entry(o, &w->owners, node) {
		if (!o->follow || closing)
			continue;
		if (!cw) {
			cw = kzalloc(sizeof(*cw), GFP_ATOMIC);
			if (!cw)
				break;
			INIT_LIST_HEAD(&cw->owners);
		}
		co = kzalloc(sizeof(*co), GFP_ATOMIC);
		if (!co)
			break;
		co->portid = o->portid;
		co->follow = true;
		list_add(&co->node, &cw->owners);
	}
	if (cw && list_empty(&cw->owners)) {
		kfree(cw);
		cw = NULL;
	}
	if (cw)
		add_watch(cw, child->tgid, child->mm->context.ctx_id);
	ev.pid = parent->tgid;
	ev.tid = parent->pid;
	ev.child = child->tgid;
	ev.followed = cw != NULL;
	ev.ts_ns = ktime_get_ns();
	mmlens_event_queue(w, &ev);
out:
	spin_unlock(&watch_lock);
}

/* Tracepoint sched_process_exec: a new mm, so a new context id for TLB flushes. */
void mmlens_task_exec(void *data, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct mmlens_watch *w;

	spin_lock(&watch_lock);
	w = mmlens_watch_find(p->tgid);
	if (w && p->mm) {
		/* Readers racing with the move may miss it once; they never loop. */
		hash_del_rcu(&w->by_ctx);
		w->ctx_id = p->mm->context.ctx_id;
		hash_add_rcu(by_ctx, &w->by_ctx, w->ctx_id);
	}
	spin_unlock(&watch_lock);
}

/*
 * Tracepoint sched_process_exit, once per thread, after the thread lowered
 * signal->live: the first thread to see it at zero ends the watch (later
 * ones find none).
 */
void mmlens_task_exit(void *data, struct task_struct *p)
{
	struct mmlens_event ev = { .cmd = MMLENS_CMD_EXIT_NTF };
	struct mmlens_watch *w;

	if (atomic_read(&p->signal->live))
		return;
	spin_lock(&watch_lock);
	w = mmlens_watch_find(p->tgid);
	if (w) {
		ev.exit_code = p->exit_code;
		end_watch(w, &ev);
	}
	spin_unlock(&watch_lock);
}

int mmlens_watch_init(void)
{
	return netlink_register_notifier(&release_notifier);
}

/*
 * The module goes: every watch ends with an end event, sent while the
 * family can still carry it, and no new watch begins.
 */
void mmlens_watch_end_all(void)
{
	struct mmlens_watch *w;
	struct hlist_node *tmp;
	int bkt;

	spin_lock(&watch_lock);
	closing = true;
	hash_for_each_safe(by_tgid, bkt, tmp, w, by_tgid) {
		struct mmlens_event ev = { .cmd = MMLENS_CMD_END_NTF };

		end_watch(w, &ev);
	}
	spin_unlock(&watch_lock);
}

/* After the family is gone: no request can add a watch any more. */
void mmlens_watch_exit(void)
{
	struct mmlens_watch *w;
	struct hlist_node *tmp;
	int bkt;

	netlink_unregister_notifier(&release_notifier);
	spin_lock(&watch_lock);
	hash_for_each_safe(by_tgid, bkt, tmp, w, by_tgid)
		unwatch(w);
	spin_unlock(&watch_lock);
}
