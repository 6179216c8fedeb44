// SPDX-License-Identifier: GPL-2.0
/*
 * The probes behind live events, armed only while something is watched:
 * a kretprobe on handle_mm_fault() (exported, not inlined) and the
 * tracepoints tlb_flush, sched_switch, sched_process_fork/exec/exit and
 * signal_generate.
 *
 * Those tracepoints are not exported to modules as symbols, so they are
 * looked up by name with for_each_kernel_tracepoint(), the interface the
 * kernel offers modules for that.
 */
#include <linux/kprobes.h>
#include <linux/mutex.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>

#include "events.h"
#include "mmlens.h"

struct tp_probe {
	const char *name;
	void *probe;
	struct tracepoint *tp;
	bool registered;
};

static struct tp_probe tp_probes[] = {
	{ "tlb_flush", mmlens_tlb_flush },
	{ "sched_switch", mmlens_sched_switch },
	{ "sched_process_fork", mmlens_task_fork },
	{ "sched_process_exec", mmlens_task_exec },
	{ "sched_process_exit", mmlens_task_exit },
	{ "signal_generate", mmlens_fault_signal },
};

static DEFINE_MUTEX(arm_lock);
static bool armed;
/* How long probes have been armed, for the global counters' time base. */
static u64 armed_since_ns, armed_before_ns;

static void find_tracepoint(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tp_probes); i++)
		if (!strcmp(tp->name, tp_probes[i].name))
			tp_probes[i].tp = tp;
}

static void unregister_tracepoints(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tp_probes); i++) {
		if (tp_probes[i].registered)
			tracepoint_probe_unregister(tp_probes[i].tp, tp_probes[i].probe, NULL);
		tp_probes[i].registered = false;
	}
	/* No probe runs any more once this returns. */
	tracepoint_synchronize_unregister();
}

static void disarm(void)
{
	lockdep_assert_held(&arm_lock);
	if (!armed)
		return;
	mmlens_fault_probe_disable();
	unregister_tracepoints();
	armed_before_ns += ktime_get_ns() - armed_since_ns;
	armed = false;
}

/* Arm every probe, or none. */
int mmlens_probes_arm(struct netlink_ext_ack *extack)
{
	unsigned int i;
	int ret = 0;

	mutex_lock(&arm_lock);
	if (armed)
		goto out;
	for_each_kernel_tracepoint(find_tracepoint, NULL);
	for (i = 0; i < ARRAY_SIZE(tp_probes); i++) {
		if (!tp_probes[i].tp) {
			NL_SET_ERR_MSG(extack, "a tracepoint mmlens needs is missing from this kernel");
			ret = -EOPNOTSUPP;
			goto undo;
		}
		ret = tracepoint_probe_register(tp_probes[i].tp, tp_probes[i].probe, NULL);
		if (ret) {
			NL_SET_ERR_MSG(extack, "cannot attach to a tracepoint");
			goto undo;
		}
		tp_probes[i].registered = true;
	}
	ret = mmlens_fault_probe_enable();
	if (ret) {
		NL_SET_ERR_MSG(extack, "cannot probe handle_mm_fault");
		goto undo;
	}
	armed = true;
	armed_since_ns = ktime_get_ns();
	goto out;
undo:
	unregister_tracepoints();
out:
	mutex_unlock(&arm_lock);
	return ret;
}

static void disarm_if_idle(struct work_struct *work)
{
	mutex_lock(&arm_lock);
	if (!mmlens_watching())
		disarm();
	mutex_unlock(&arm_lock);
}
static DECLARE_WORK(disarm_work, disarm_if_idle);

/* The last watch ended, maybe in a probe: disarm from process context. */
void mmlens_probes_disarm_later(void)
{
	schedule_work(&disarm_work);
}

u64 mmlens_armed_ns(void)
{
	u64 ns;

	mutex_lock(&arm_lock);
	ns = armed_before_ns + (armed ? ktime_get_ns() - armed_since_ns : 0);
	mutex_unlock(&arm_lock);
	return ns;
}

void mmlens_probes_exit(void)
{
	cancel_work_sync(&disarm_work);
	mutex_lock(&arm_lock);
	disarm();
	/* Faults in progress return through the kernel's trampoline, not here. */
	mmlens_fault_probe_exit();
	mutex_unlock(&arm_lock);
}
