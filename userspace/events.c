// SPDX-License-Identifier: GPL-2.0
/*
 * Live events of watched processes: decoding and formatting.
 *
 * Kept apart from the socket that receives them so that the unit tests can
 * feed synthetic messages through exactly the code the CLI runs.
 */
#define _GNU_SOURCE		/* sigabbrev_np() */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <netlink/genl/genl.h>

#include "events.h"
#include "mmlens.h"
#include "output.h"

const struct mmlens_bit_name mmlens_fault_flag_names[] = {
	{ MMLENS_FAULT_F_USER, "user" },
	{ MMLENS_FAULT_F_GUP, "gup" },
	{ MMLENS_FAULT_F_REMOTE, "remote" },
	{ MMLENS_FAULT_F_VMA_LOCK, "vma_lock" },
	{ MMLENS_FAULT_F_TRIED, "tried" },
	{ MMLENS_FAULT_F_UNSHARE, "unshare" },
	{ 0, NULL },
};

/* Indexed by enum mmlens_fault_class; the last is MMLENS_CLASS_UNKNOWN. */
static const struct {
	const char *name, *text;
} classes[MMLENS_NR_CLASSES] = {
	[MMLENS_FAULT_ANON_ZERO_FILL] = { "anon_zero_fill", "anon zero-fill" },
	[MMLENS_FAULT_ZERO_PAGE] = { "zero_page", "zero page" },
	[MMLENS_FAULT_ZERO_PAGE_COW] = { "zero_page_cow", "zero page COW" },
	[MMLENS_FAULT_FILE_MINOR] = { "file_minor", "file minor" },
	[MMLENS_FAULT_FILE_MAJOR] = { "file_major", "file major" },
	[MMLENS_FAULT_SWAP_IN_MINOR] = { "swap_in_minor", "swap-in minor" },
	[MMLENS_FAULT_SWAP_IN_MAJOR] = { "swap_in_major", "swap-in major" },
	[MMLENS_FAULT_COW_COPY] = { "cow_copy", "COW copy" },
	[MMLENS_FAULT_COW_REUSE] = { "cow_reuse", "COW reuse" },
	[MMLENS_FAULT_WRITE_NOTIFY] = { "write_notify", "write notify" },
	[MMLENS_FAULT_NUMA_HINT] = { "numa_hint", "NUMA hint" },
	[MMLENS_FAULT_UFFD] = { "uffd", "userfaultfd" },
	[MMLENS_FAULT_RETRY] = { "retry", "retry" },
	[MMLENS_FAULT_ERROR] = { "error", "error" },
	[MMLENS_FAULT_MIGRATION] = { "migration", "migration wait" },
	[MMLENS_FAULT_SPURIOUS] = { "spurious", "spurious" },
	[MMLENS_FAULT_OTHER] = { "other", "other" },
	[MMLENS_CLASS_UNKNOWN] = { "unknown", "unknown" },
};

unsigned int mmlens_class_slot(uint32_t class)
{
	return class <= MMLENS_FAULT_CLASS_MAX ? class : MMLENS_CLASS_UNKNOWN;
}

const char *mmlens_class_name(unsigned int class)
{
	return classes[mmlens_class_slot(class)].name;
}

const char *mmlens_class_text(unsigned int class)
{
	return classes[mmlens_class_slot(class)].text;
}

const char *mmlens_access_name(unsigned int access)
{
	static const char *const names[] = {
		[MMLENS_ACCESS_READ] = "read",
		[MMLENS_ACCESS_WRITE] = "write",
		[MMLENS_ACCESS_EXEC] = "exec",
	};

	return access < sizeof(names) / sizeof(names[0]) ? names[access] : "?";
}

const char *mmlens_tlb_reason_name(unsigned int reason)
{
	static const char *const names[MMLENS_NR_TLB_REASONS] = {
		[MMLENS_TLB_TASK_SWITCH] = "task_switch",
		[MMLENS_TLB_REMOTE_SHOOTDOWN] = "remote_shootdown",
		[MMLENS_TLB_LOCAL_SHOOTDOWN] = "local_shootdown",
		[MMLENS_TLB_LOCAL_MM_SHOOTDOWN] = "local_mm_shootdown",
		[MMLENS_TLB_REMOTE_SEND_IPI] = "remote_send_ipi",
	};

	return reason < MMLENS_NR_TLB_REASONS ? names[reason] : "?";
}

static const struct nla_policy event_policy[MMLENS_A_EVENT_MAX + 1] = {
	[MMLENS_A_EVENT_PID] = MMLENS_POLICY_U32,
	[MMLENS_A_EVENT_TID] = MMLENS_POLICY_U32,
	[MMLENS_A_EVENT_VA] = MMLENS_POLICY_U64,
	[MMLENS_A_EVENT_ACCESS] = MMLENS_POLICY_U32,
	[MMLENS_A_EVENT_FAULT_FLAGS] = MMLENS_POLICY_U32,
	[MMLENS_A_EVENT_CLASS] = MMLENS_POLICY_U32,
	[MMLENS_A_EVENT_LEVEL] = MMLENS_POLICY_U32,
	[MMLENS_A_EVENT_ENTRY_BEFORE] = MMLENS_POLICY_U64,
	[MMLENS_A_EVENT_ENTRY_AFTER] = MMLENS_POLICY_U64,
	[MMLENS_A_EVENT_PFN_BEFORE] = MMLENS_POLICY_U64,
	[MMLENS_A_EVENT_PFN_AFTER] = MMLENS_POLICY_U64,
	[MMLENS_A_EVENT_MAPCOUNT_BEFORE] = MMLENS_POLICY_U32,
	[MMLENS_A_EVENT_RESULT] = MMLENS_POLICY_U32,
	[MMLENS_A_EVENT_DURATION_NS] = MMLENS_POLICY_U64,
	[MMLENS_A_EVENT_TIMESTAMP_NS] = MMLENS_POLICY_U64,
	[MMLENS_A_EVENT_LOST] = MMLENS_POLICY_U64,
	[MMLENS_A_EVENT_CHILD] = MMLENS_POLICY_U32,
	[MMLENS_A_EVENT_FOLLOWED] = MMLENS_POLICY_FLAG,
	[MMLENS_A_EVENT_EXIT_CODE] = MMLENS_POLICY_U32,
	[MMLENS_A_EVENT_SIGNAL] = MMLENS_POLICY_U32,
	[MMLENS_A_EVENT_SIGNAL_CODE] = MMLENS_POLICY_U32,
	[MMLENS_A_EVENT_SEQ] = MMLENS_POLICY_U64,
};

/* What each event always carries, beyond PID, TIMESTAMP_NS, LOST and SEQ. */
static const int fault_attrs[] = {
	MMLENS_A_EVENT_TID, MMLENS_A_EVENT_VA, MMLENS_A_EVENT_ACCESS,
	MMLENS_A_EVENT_FAULT_FLAGS, MMLENS_A_EVENT_CLASS, 0,
};
static const int fork_attrs[] = { MMLENS_A_EVENT_TID, MMLENS_A_EVENT_CHILD, 0 };
static const int exit_attrs[] = { MMLENS_A_EVENT_EXIT_CODE, 0 };
static const int end_attrs[] = { 0 };

/* What a fault carries together or not at all: those the core mm handled, a signal. */
static const int handled_attrs[] = {
	MMLENS_A_EVENT_LEVEL, MMLENS_A_EVENT_ENTRY_BEFORE, MMLENS_A_EVENT_ENTRY_AFTER,
	MMLENS_A_EVENT_RESULT, MMLENS_A_EVENT_DURATION_NS, 0,
};
static const int signal_attrs[] = { MMLENS_A_EVENT_SIGNAL, MMLENS_A_EVENT_SIGNAL_CODE, 0 };

/* 1 if all of attrs are in tb, 0 if none is, -1 if some are. */
static int all_or_none(struct nlattr **tb, const int *attrs)
{
	int i, present = 0;

	for (i = 0; attrs[i]; i++)
		present += tb[attrs[i]] != NULL;
	return present == i ? 1 : present ? -1 : 0;
}

static uint64_t get_u64(struct nlattr *attr)
{
	return attr ? nla_get_u64(attr) : 0;
}

static uint32_t get_u32(struct nlattr *attr)
{
	return attr ? nla_get_u32(attr) : 0;
}

int mmlens_event_parse(const struct nlmsghdr *nlh, struct mmlens_event *ev)
{
	struct nlattr *tb[MMLENS_A_EVENT_MAX + 1];
	const struct genlmsghdr *gnlh;
	const int *need;
	int i;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EBADMSG;
	gnlh = nlmsg_data(nlh);
	switch (gnlh->cmd) {
	case MMLENS_CMD_FAULT_NTF:
		need = fault_attrs;
		break;
	case MMLENS_CMD_FORK_NTF:
		need = fork_attrs;
		break;
	case MMLENS_CMD_EXIT_NTF:
		need = exit_attrs;
		break;
	case MMLENS_CMD_END_NTF:
		need = end_attrs;
		break;
	default:
		return -ENOENT;
	}
	/* libnl's prototype lacks the const it honours. */
	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, MMLENS_A_EVENT_MAX,
			  event_policy) < 0 ||
	    !tb[MMLENS_A_EVENT_PID] || !tb[MMLENS_A_EVENT_TIMESTAMP_NS] ||
	    !tb[MMLENS_A_EVENT_LOST] || !tb[MMLENS_A_EVENT_SEQ] ||
	    !mmlens_flag_ok(tb[MMLENS_A_EVENT_FOLLOWED]))
		return -EBADMSG;
	for (i = 0; need[i]; i++)
		if (!tb[need[i]])
			return -EBADMSG;
	if (all_or_none(tb, handled_attrs) < 0 || all_or_none(tb, signal_attrs) < 0)
		return -EBADMSG;

	memset(ev, 0, sizeof(*ev));
	ev->cmd = gnlh->cmd;
	ev->pid = nla_get_u32(tb[MMLENS_A_EVENT_PID]);
	ev->tid = get_u32(tb[MMLENS_A_EVENT_TID]);
	ev->ts_ns = nla_get_u64(tb[MMLENS_A_EVENT_TIMESTAMP_NS]);
	ev->lost = nla_get_u64(tb[MMLENS_A_EVENT_LOST]);
	ev->seq = nla_get_u64(tb[MMLENS_A_EVENT_SEQ]);
	if (ev->cmd == MMLENS_CMD_FAULT_NTF) {
		ev->va = nla_get_u64(tb[MMLENS_A_EVENT_VA]);
		ev->access = nla_get_u32(tb[MMLENS_A_EVENT_ACCESS]);
		ev->fault_flags = nla_get_u32(tb[MMLENS_A_EVENT_FAULT_FLAGS]);
		ev->class = nla_get_u32(tb[MMLENS_A_EVENT_CLASS]);
		ev->handled = tb[MMLENS_A_EVENT_LEVEL];
		ev->level = get_u32(tb[MMLENS_A_EVENT_LEVEL]);
		ev->entry_before = get_u64(tb[MMLENS_A_EVENT_ENTRY_BEFORE]);
		ev->entry_after = get_u64(tb[MMLENS_A_EVENT_ENTRY_AFTER]);
		ev->has_pfn_before = tb[MMLENS_A_EVENT_PFN_BEFORE];
		ev->pfn_before = get_u64(tb[MMLENS_A_EVENT_PFN_BEFORE]);
		ev->has_pfn_after = tb[MMLENS_A_EVENT_PFN_AFTER];
		ev->pfn_after = get_u64(tb[MMLENS_A_EVENT_PFN_AFTER]);
		ev->has_mapcount = tb[MMLENS_A_EVENT_MAPCOUNT_BEFORE];
		ev->mapcount_before = get_u32(tb[MMLENS_A_EVENT_MAPCOUNT_BEFORE]);
		ev->result = get_u32(tb[MMLENS_A_EVENT_RESULT]);
		ev->duration_ns = get_u64(tb[MMLENS_A_EVENT_DURATION_NS]);
		ev->signal = get_u32(tb[MMLENS_A_EVENT_SIGNAL]);
		ev->signal_code = (int32_t)get_u32(tb[MMLENS_A_EVENT_SIGNAL_CODE]);
	} else if (ev->cmd == MMLENS_CMD_FORK_NTF) {
		ev->child = nla_get_u32(tb[MMLENS_A_EVENT_CHILD]);
		ev->followed = tb[MMLENS_A_EVENT_FOLLOWED];
	} else if (ev->cmd == MMLENS_CMD_EXIT_NTF) {
		ev->exit_code = nla_get_u32(tb[MMLENS_A_EVENT_EXIT_CODE]);
	}
	return 0;
}

const char *mmlens_exit_text(char *buf, size_t size, uint32_t status)
{
	const char *sig;
	int s = (int)status;

	if (WIFEXITED(s)) {
		snprintf(buf, size, "status %d", WEXITSTATUS(s));
		return buf;
	}
	if (!WIFSIGNALED(s)) {
		snprintf(buf, size, "wait status 0x%x", status);
		return buf;
	}
	sig = sigabbrev_np(WTERMSIG(s));
	if (sig)
		snprintf(buf, size, "killed by SIG%s%s", sig,
			 WCOREDUMP(s) ? " (core dumped)" : "");
	else
		snprintf(buf, size, "killed by signal %d%s", WTERMSIG(s),
			 WCOREDUMP(s) ? " (core dumped)" : "");
	return buf;
}

/* "SIGSEGV", or "signal 40" for one without a name. */
static const char *signal_name(char *buf, size_t size, int sig)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, size, "SIG%s", abbrev);
	else
		snprintf(buf, size, "signal %d", sig);
	return buf;
}

/* The si_codes of page fault signals; NULL for others. */
static const char *signal_code_name(int sig, int code)
{
	if (sig == SIGSEGV && code == SEGV_MAPERR)
		return "SEGV_MAPERR";
	if (sig == SIGSEGV && code == SEGV_ACCERR)
		return "SEGV_ACCERR";
	if (sig == SIGSEGV && code == SEGV_PKUERR)
		return "SEGV_PKUERR";
	if (sig == SIGBUS && code == BUS_ADRERR)
		return "BUS_ADRERR";
	if (sig == SIGBUS && code == BUS_MCEERR_AR)
		return "BUS_MCEERR_AR";
	return NULL;
}

/* "0x1a2b3" or "-". */
static const char *pfn_text(char *buf, size_t size, bool has, uint64_t pfn)
{
	if (!has)
		return "-";
	snprintf(buf, size, "0x%" PRIx64, pfn);
	return buf;
}

/*
 * Where the fault came from, when it is not the usual user-mode access
 * (maybe under the per-VMA lock, the common case, left to JSON): "kernel"
 * for an access by the kernel, then the other flags ("gup", "remote"...).
 * Unknown bits show as "bitN": they are news.  Returns the length, 0 if
 * there is nothing to say.
 */
static size_t origin_text(char *buf, size_t size, uint32_t flags)
{
	uint32_t rest = flags & ~(MMLENS_FAULT_F_USER | MMLENS_FAULT_F_VMA_LOCK);
	size_t n = 0;

	buf[0] = '\0';
	if (!(flags & MMLENS_FAULT_F_USER))
		n = snprintf(buf, size, "kernel%s", rest ? "," : "");
	if (rest)
		n += mmlens_flag_names(buf + n, size - n, mmlens_fault_flag_names,
				       rest, ',');
	return n;
}

size_t mmlens_event_text(char *buf, size_t size, const struct mmlens_event *ev,
			 bool child)
{
	char who[32], before[24], after[24], origin[128], status[64];
	int n;

	switch (ev->cmd) {
	case MMLENS_CMD_FORK_NTF:
		n = snprintf(buf, size, "fork   %" PRIu32 " -> %" PRIu32 "%s",
			     ev->pid, ev->child, ev->followed ? " (followed)" : "");
		break;
	case MMLENS_CMD_EXIT_NTF:
		n = snprintf(buf, size, "exit   %" PRIu32 "  %s", ev->pid,
			     mmlens_exit_text(status, sizeof(status), ev->exit_code));
		break;
	case MMLENS_CMD_END_NTF:
		n = snprintf(buf, size, "end    %" PRIu32 "  the kernel module is being "
			     "unloaded: its events end here", ev->pid);
		break;
	default:
		snprintf(who, sizeof(who), "%s %" PRIu32, child ? "child" : "pid",
			 ev->pid);
		n = snprintf(buf, size, "%-12s %-15s %-5s va 0x%-12" PRIx64, who,
			     mmlens_class_text(ev->class),
			     mmlens_access_name(ev->access), ev->va);
		if (n >= 0 && (size_t)n < size && ev->handled)
			n += snprintf(buf + n, size - n, "  pfn %s -> %s",
				      pfn_text(before, sizeof(before), ev->has_pfn_before,
					       ev->pfn_before),
				      pfn_text(after, sizeof(after), ev->has_pfn_after,
					       ev->pfn_after));
		if (n >= 0 && (size_t)n < size && ev->has_mapcount)
			n += snprintf(buf + n, size - n, "  mapcount %" PRIu32,
				      ev->mapcount_before);
		if (n >= 0 && (size_t)n < size && ev->handled)
			n += snprintf(buf + n, size - n, "  %" PRIu64 ".%01" PRIu64 " us",
				      ev->duration_ns / 1000,
				      ev->duration_ns % 1000 / 100);
		if (n >= 0 && (size_t)n < size && ev->signal) {
			const char *code = signal_code_name(ev->signal, ev->signal_code);

			n += snprintf(buf + n, size - n, "  %s",
				      signal_name(status, sizeof(status), ev->signal));
			if (n >= 0 && (size_t)n < size)
				n += code ? snprintf(buf + n, size - n, " (%s)", code) :
					    snprintf(buf + n, size - n, " (code %" PRId32 ")",
						     ev->signal_code);
		}
		if (n >= 0 && (size_t)n < size && ev->tid != ev->pid)
			n += snprintf(buf + n, size - n, "  tid %" PRIu32, ev->tid);
		if (n >= 0 && (size_t)n < size &&
		    origin_text(origin, sizeof(origin), ev->fault_flags))
			n += snprintf(buf + n, size - n, "  [%s]", origin);
		break;
	}
	if (n < 0)
		n = 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

size_t mmlens_lost_text(char *buf, size_t size, int64_t pid, uint64_t lost,
			uint64_t delta)
{
	int n;

	if (pid < 0)
		n = snprintf(buf, size, "lost   -     the receive buffer overflowed: "
			     "events dropped (%" PRIu64 " time%s so far)", lost,
			     lost == 1 ? "" : "s");
	else
		n = snprintf(buf, size, "lost   %" PRId64 "  %" PRIu64 " event%s "
			     "(%" PRIu64 " so far)", pid, delta, delta == 1 ? "" : "s",
			     lost);
	if (n < 0)
		n = 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

static struct json_object *json_u64_or_null(bool has, uint64_t v)
{
	return has ? json_object_new_int64((int64_t)v) : mmlens_json_null();
}

/* The signal a fault raised and its si_code: names, or null. */
static int add_signal(struct json_object *obj, const struct mmlens_event *ev)
{
	const char *code = signal_code_name(ev->signal, ev->signal_code);
	char name[32];

	return mmlens_json_add(obj, "signal", !ev->signal ? mmlens_json_null() :
			       json_object_new_string(signal_name(name, sizeof(name),
								  ev->signal))) ||
	       mmlens_json_add(obj, "signal_code", !ev->signal ? mmlens_json_null() :
			       code ? json_object_new_string(code) :
			       json_object_new_int(ev->signal_code));
}

/* What only faults the core mm handled have: null for the others. */
static struct json_object *json_hex_or_null(bool has, uint64_t v)
{
	return has ? mmlens_json_hex(v) : mmlens_json_null();
}

static int add_fault(struct json_object *obj, const struct mmlens_event *ev)
{
	bool h = ev->handled;

	return mmlens_json_add(obj, "va", mmlens_json_hex(ev->va)) ||
	       mmlens_json_add(obj, "access",
			       json_object_new_string(mmlens_access_name(ev->access))) ||
	       mmlens_json_add(obj, "class",
			       json_object_new_string(mmlens_class_name(ev->class))) ||
	       mmlens_json_add(obj, "level", !h ? mmlens_json_null() :
			       json_object_new_string(mmlens_level_name(ev->level))) ||
	       mmlens_json_add(obj, "entry_before", json_hex_or_null(h, ev->entry_before)) ||
	       mmlens_json_add(obj, "entry_after", json_hex_or_null(h, ev->entry_after)) ||
	       mmlens_json_add(obj, "old_pfn",
			       json_u64_or_null(ev->has_pfn_before, ev->pfn_before)) ||
	       mmlens_json_add(obj, "new_pfn",
			       json_u64_or_null(ev->has_pfn_after, ev->pfn_after)) ||
	       mmlens_json_add(obj, "mapcount_before",
			       json_u64_or_null(ev->has_mapcount, ev->mapcount_before)) ||
	       mmlens_json_add(obj, "duration_ns",
			       json_u64_or_null(h, ev->duration_ns)) ||
	       mmlens_json_add(obj, "flags", mmlens_json_flags(mmlens_fault_flag_names,
							       ev->fault_flags)) ||
	       mmlens_json_add(obj, "result", json_u64_or_null(h, ev->result)) ||
	       add_signal(obj, ev);
}

static int add_exit(struct json_object *obj, const struct mmlens_event *ev)
{
	int s = (int)ev->exit_code;
	const char *sig = WIFSIGNALED(s) ? sigabbrev_np(WTERMSIG(s)) : NULL;
	char name[32];

	if (sig)
		snprintf(name, sizeof(name), "SIG%s", sig);
	return mmlens_json_add(obj, "exit_code", json_object_new_int64(ev->exit_code)) ||
	       mmlens_json_add(obj, "status", WIFEXITED(s) ?
			       json_object_new_int(WEXITSTATUS(s)) : mmlens_json_null()) ||
	       mmlens_json_add(obj, "signal", !WIFSIGNALED(s) ? mmlens_json_null() :
			       sig ? json_object_new_string(name) :
			       json_object_new_int(WTERMSIG(s)));
}

struct json_object *mmlens_event_json(const struct mmlens_event *ev)
{
	static const char *const types[] = {
		[MMLENS_CMD_FAULT_NTF] = "fault",
		[MMLENS_CMD_FORK_NTF] = "fork",
		[MMLENS_CMD_EXIT_NTF] = "exit",
		[MMLENS_CMD_END_NTF] = "end",
	};
	struct json_object *obj;
	int ret;

	obj = json_object_new_object();
	if (!obj)
		return NULL;
	ret = mmlens_json_add(obj, "type", json_object_new_string(types[ev->cmd])) ||
	      mmlens_json_add(obj, "pid", json_object_new_int64(ev->pid));
	if (!ret && (ev->cmd == MMLENS_CMD_FAULT_NTF || ev->cmd == MMLENS_CMD_FORK_NTF))
		ret = mmlens_json_add(obj, "tid", json_object_new_int64(ev->tid));
	if (!ret)
		ret = mmlens_json_add(obj, "ts_ns", json_object_new_int64((int64_t)ev->ts_ns));
	if (!ret && ev->cmd == MMLENS_CMD_FAULT_NTF)
		ret = add_fault(obj, ev);
	else if (!ret && ev->cmd == MMLENS_CMD_FORK_NTF)
		ret = mmlens_json_add(obj, "parent", json_object_new_int64(ev->pid)) ||
		      mmlens_json_add(obj, "child", json_object_new_int64(ev->child)) ||
		      mmlens_json_add(obj, "followed", json_object_new_boolean(ev->followed));
	else if (!ret && ev->cmd == MMLENS_CMD_EXIT_NTF)
		ret = add_exit(obj, ev);
	if (!ret)
		ret = mmlens_json_add(obj, "lost", json_object_new_int64((int64_t)ev->lost)) ||
		      mmlens_json_add(obj, "seq", json_object_new_int64((int64_t)ev->seq));
	if (ret) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

struct json_object *mmlens_lost_json(int64_t pid, uint64_t lost, uint64_t delta)
{
	struct json_object *obj = json_object_new_object();

	if (!obj ||
	    mmlens_json_add(obj, "type", json_object_new_string("lost")) ||
	    mmlens_json_add(obj, "pid", pid < 0 ? mmlens_json_null()
						: json_object_new_int64(pid)) ||
	    mmlens_json_add(obj, "lost", json_object_new_int64((int64_t)lost)) ||
	    mmlens_json_add(obj, "delta", pid < 0 ? mmlens_json_null()
						  : json_object_new_int64((int64_t)delta))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}
