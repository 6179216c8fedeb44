// SPDX-License-Identifier: GPL-2.0
/*
 * mmlens watch: the faults, forks and exits of a process as they happen.
 *
 * The event group is shared by every socket that watches something, so the
 * session keeps its own list of processes (the PID asked for, and with
 * --follow the children the kernel announces as followed) and ignores the
 * rest.  Losses are expected under load and are reported, never fatal: the
 * module numbers each process's events, so every number that never comes
 * is an event lost, wherever it was lost (the module's queue, our receive
 * buffer); an overrun of the buffer also shows as ENOBUFS.  A process's
 * stream ends with its last event, which the module sends after all its
 * others: its exit, or the end of the watch when the module is unloaded.
 */
#define _GNU_SOURCE		/* ppoll() */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/mmlens.h>

#include "output.h"
#include "proc.h"
#include "util.h"
#include "watch.h"

/* Datagrams read before looking at signals and liveness again. */
#define READ_BATCH 256

/*
 * A process gone from /proc whose last event has not come in this many
 * liveness checks (a second apart), with no event of it meanwhile, is taken
 * as gone: longer than the module tries to resend a last event a full
 * buffer refused (5 s).
 */
#define VANISHED_CHECKS 10

/* How long the last events of processes still running may take to come. */
#define SETTLE_MS 2000

/* Room for any line of events.c. */
#define LINE_MAX_LEN 512

void mmlens_session_init(struct mmlens_session *s, const struct mmlens_ctx *ctx,
			 struct mmlens_stream *out)
{
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->out = out;
	s->json = ctx->json;
	s->cow_only = ctx->opts & MMLENS_OPT_COW;
	s->follow = ctx->opts & MMLENS_OPT_FOLLOW;
}

void mmlens_session_free(struct mmlens_session *s)
{
	free(s->procs);
	s->procs = NULL;
	s->n = s->cap = 0;
}

struct mmlens_tracked *mmlens_session_find(struct mmlens_session *s, uint32_t pid)
{
	size_t i;

	/* Few processes, and the newest are the busiest: search backwards. */
	for (i = s->n; i-- > 0;)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	return NULL;
}

struct mmlens_tracked *mmlens_session_track(struct mmlens_session *s,
					    uint32_t pid, bool child, uint64_t seq)
{
	struct mmlens_tracked *p;
	size_t cap;

	p = mmlens_session_find(s, pid);
	/* A PID reused after its exit starts afresh. */
	if (p && !p->exited)
		return p;
	if (s->n == s->cap) {
		cap = s->cap ? 2 * s->cap : 16;
		p = realloc(s->procs, cap * sizeof(*p));
		if (!p)
			return NULL;
		s->procs = p;
		s->cap = cap;
	}
	p = &s->procs[s->n++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->child = child;
	p->seq = seq;
	return p;
}

/* Prints obj as a line and drops it; -ENOMEM when it is NULL. */
static int put_json(struct mmlens_session *s, struct json_object *obj)
{
	int ret = obj ? mmlens_json_line(s->out, obj) : -ENOMEM;

	json_object_put(obj);
	return ret;
}

static int put_text(struct mmlens_session *s, const char *line, size_t len)
{
	return mmlens_stream_lines(s->out, line, len);
}

static int print_lost(struct mmlens_session *s, int64_t pid, uint64_t lost,
		      uint64_t delta)
{
	char line[LINE_MAX_LEN];

	if (s->json)
		return put_json(s, mmlens_lost_json(pid, lost, delta));
	return put_text(s, line, mmlens_lost_text(line, sizeof(line), pid, lost, delta));
}

int mmlens_session_produced(struct mmlens_session *s, struct mmlens_tracked *p,
			    uint64_t seq)
{
	uint64_t missing;

	if (seq <= p->seq)
		return 0;
	missing = seq - p->seq;
	p->seq = seq;
	p->lost += missing;
	return print_lost(s, p->pid, p->lost, missing);
}

int mmlens_session_overruns(struct mmlens_session *s)
{
	if (s->overruns == s->overruns_shown)
		return 0;
	s->overruns_shown = s->overruns;
	return print_lost(s, -1, s->overruns, 0);
}

static bool shown(const struct mmlens_session *s, const struct mmlens_event *ev)
{
	return ev->cmd != MMLENS_CMD_FAULT_NTF || !s->cow_only ||
	       ev->class == MMLENS_FAULT_COW_COPY || ev->class == MMLENS_FAULT_COW_REUSE;
}

int mmlens_session_message(const struct nlmsghdr *nlh, void *session)
{
	struct mmlens_session *s = session;
	char line[LINE_MAX_LEN];
	struct mmlens_tracked *p;
	struct mmlens_event ev;
	bool child;
	int ret;

	ret = mmlens_event_parse(nlh, &ev);
	if (ret == -ENOENT)
		return 0;	/* a command that is not an event */
	if (ret) {
		if (!s->malformed++)
			mmlens_err(s->ctx, "malformed event from the kernel module "
				   "ignored (more are counted in the summary)");
		return 0;
	}
	p = mmlens_session_find(s, ev.pid);
	/* Another socket's, or one that exited: not ours. */
	if (!p || p->exited)
		return 0;
	/* From before our watch, or a last event sent again: seen. */
	if (ev.seq <= p->seq)
		return 0;

	ret = mmlens_session_produced(s, p, ev.seq - 1);
	if (ret)
		return ret;
	p->seq = ev.seq;
	p->received++;
	p->heard = true;
	child = p->child;
	if (ev.cmd == MMLENS_CMD_FAULT_NTF) {
		p->faults[mmlens_class_slot(ev.class)]++;
	} else if (ev.cmd == MMLENS_CMD_EXIT_NTF) {
		p->exited = p->exit_seen = true;
		p->exit_code = ev.exit_code;
	} else if (ev.cmd == MMLENS_CMD_END_NTF) {
		p->exited = p->end_seen = true;
	} else if (ev.followed && s->follow &&
		   !mmlens_session_track(s, ev.child, true, 0)) {
		return -ENOMEM;
	}
	/* Tracking the child may have moved p: not to be used from here on. */
	if (!shown(s, &ev))
		return 0;
	if (s->json)
		return put_json(s, mmlens_event_json(&ev));
	return put_text(s, line, mmlens_event_text(line, sizeof(line), &ev, child));
}

bool mmlens_session_done(const struct mmlens_session *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!s->procs[i].exited)
			return false;
	return true;
}

void mmlens_session_totals(const struct mmlens_session *s, struct mmlens_totals *t)
{
	size_t i, c;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < s->n; i++) {
		for (c = 0; c < MMLENS_NR_CLASSES; c++) {
			t->faults[c] += s->procs[i].faults[c];
			t->all += s->procs[i].faults[c];
		}
		t->events += s->procs[i].received;
		t->lost += s->procs[i].lost;
		t->running += !s->procs[i].exited;
	}
}

/* "exited, status 0", "running", "gone" (exit event lost), "module unloaded". */
static const char *state_text(char *buf, size_t size, const struct mmlens_tracked *p)
{
	char status[64];

	if (!p->exited)
		return "running";
	if (p->end_seen)
		return "running, module unloaded";
	if (!p->exit_seen)
		return "gone (exit event lost)";
	snprintf(buf, size, "exited, %s",
		 mmlens_exit_text(status, sizeof(status), p->exit_code));
	return buf;
}

static int summary_text(const struct mmlens_session *s)
{
	char who[32], state[96], overruns[64] = "", malformed[64] = "";
	struct mmlens_totals t;
	uint64_t sum;
	size_t i, c;

	mmlens_session_totals(s, &t);
	if (s->overruns)
		snprintf(overruns, sizeof(overruns), ", %" PRIu64 " receive buffer overrun%s",
			 s->overruns, s->overruns == 1 ? "" : "s");
	if (s->malformed)
		snprintf(malformed, sizeof(malformed), ", %" PRIu64 " malformed event%s ignored",
			 s->malformed, s->malformed == 1 ? "" : "s");
	mmlens_stream_printf(s->out, "\nsummary: %zu process%s, %" PRIu64 " fault%s seen, %"
			     PRIu64 " event%s lost%s%s", s->n, s->n == 1 ? "" : "es", t.all,
			     t.all == 1 ? "" : "s", t.lost, t.lost == 1 ? "" : "s",
			     overruns, malformed);
	for (i = 0; i < s->n; i++) {
		const struct mmlens_tracked *p = &s->procs[i];

		snprintf(who, sizeof(who), "%s %" PRIu32, p->child ? "child" : "pid",
			 p->pid);
		for (sum = 0, c = 0; c < MMLENS_NR_CLASSES; c++)
			sum += p->faults[c];
		mmlens_stream_printf(s->out, "  %-13s %-26s %10" PRIu64 " faults %8" PRIu64
				     " lost", who, state_text(state, sizeof(state), p), sum,
				     p->lost);
		for (c = 0; c < MMLENS_NR_CLASSES; c++)
			if (p->faults[c])
				mmlens_stream_printf(s->out, "      %-20s %10" PRIu64,
						     mmlens_class_text(c), p->faults[c]);
	}
	if (t.lost)
		mmlens_stream_printf(s->out, "%s", "  Events were lost: the module numbers "
				     "the events of each process, and these numbers\n  never "
				     "came (the module's queue was full, or our receive buffer).");
	if (s->overruns)
		mmlens_stream_printf(s->out, "%s", "  The receive buffer overflowed; raise "
				     "net.core.rmem_max or MMLENS_RCVBUF to lose fewer.");
	return -s->out->error;
}

/* {class: count} for every class this mmlens knows, and "unknown". */
static struct json_object *classes_json(const uint64_t *faults)
{
	struct json_object *obj = json_object_new_object();
	unsigned int c;

	for (c = 0; obj && c < MMLENS_NR_CLASSES; c++)
		if (mmlens_json_add(obj, mmlens_class_name(c),
				    json_object_new_int64((int64_t)faults[c]))) {
			json_object_put(obj);
			return NULL;
		}
	return obj;
}

static struct json_object *process_json(const struct mmlens_tracked *p)
{
	struct json_object *obj = json_object_new_object();
	uint64_t sum = 0;
	unsigned int c;

	for (c = 0; c < MMLENS_NR_CLASSES; c++)
		sum += p->faults[c];
	if (!obj ||
	    mmlens_json_add(obj, "pid", json_object_new_int64(p->pid)) ||
	    mmlens_json_add(obj, "child", json_object_new_boolean(p->child)) ||
	    mmlens_json_add(obj, "exited", json_object_new_boolean(p->exited && !p->end_seen)) ||
	    mmlens_json_add(obj, "exit_code", p->exit_seen ?
			    json_object_new_int64(p->exit_code) : mmlens_json_null()) ||
	    mmlens_json_add(obj, "module_unloaded", json_object_new_boolean(p->end_seen)) ||
	    mmlens_json_add(obj, "events", json_object_new_int64((int64_t)p->received)) ||
	    mmlens_json_add(obj, "faults", json_object_new_int64((int64_t)sum)) ||
	    mmlens_json_add(obj, "classes", classes_json(p->faults)) ||
	    mmlens_json_add(obj, "lost", json_object_new_int64((int64_t)p->lost))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

struct json_object *mmlens_summary_json(const struct mmlens_session *s)
{
	struct json_object *obj, *procs;
	struct mmlens_totals t;
	size_t i;

	mmlens_session_totals(s, &t);
	obj = json_object_new_object();
	procs = json_object_new_array();
	if (!obj || !procs)
		goto fail;
	for (i = 0; i < s->n; i++) {
		struct json_object *p = process_json(&s->procs[i]);

		if (!p || json_object_array_add(procs, p)) {
			json_object_put(p);
			goto fail;
		}
	}
	if (mmlens_json_add(obj, "type", json_object_new_string("summary")) ||
	    mmlens_json_add(obj, "processes", procs))
		goto fail_obj;
	if (mmlens_json_add(obj, "events", json_object_new_int64((int64_t)t.events)) ||
	    mmlens_json_add(obj, "faults", json_object_new_int64((int64_t)t.all)) ||
	    mmlens_json_add(obj, "classes", classes_json(t.faults)) ||
	    mmlens_json_add(obj, "lost", json_object_new_int64((int64_t)t.lost)) ||
	    mmlens_json_add(obj, "overruns", json_object_new_int64((int64_t)s->overruns)) ||
	    mmlens_json_add(obj, "malformed", json_object_new_int64((int64_t)s->malformed)))
		goto fail_obj;
	return obj;

fail:
	json_object_put(procs);
fail_obj:
	json_object_put(obj);
	return NULL;
}

int mmlens_session_summary(struct mmlens_session *s)
{
	if (s->json)
		return put_json(s, mmlens_summary_json(s));
	return summary_text(s);
}

/*
 * Whether pid is gone or a zombie: its exit event may then have been lost.
 * Unreadable for another reason (permissions) counts as alive.
 */
static bool proc_gone(uint32_t pid)
{
	char path[64], buf[512], *paren;
	ssize_t n;
	int fd;

	mmlens_proc_path(path, sizeof(path), (pid_t)pid, "stat");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n == 0 || errno == ESRCH;
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold anything, even ") ". */
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

/*
 * A last event can still be lost: the module sends one that a full buffer
 * refused again for a few seconds only.  A process that /proc has not known
 * for VANISHED_CHECKS checks in a row, with no event of it meanwhile, is
 * taken as gone, so that the session still ends.
 */
static int check_alive(struct mmlens_session *s)
{
	char line[LINE_MAX_LEN];
	struct json_object *obj;
	size_t i;
	int ret;

	for (i = 0; i < s->n; i++) {
		struct mmlens_tracked *p = &s->procs[i];
		bool heard = p->heard;

		if (p->exited)
			continue;
		p->heard = false;
		if (heard || !proc_gone(p->pid)) {
			p->vanished = 0;
			continue;
		}
		if (++p->vanished < VANISHED_CHECKS)
			continue;
		p->exited = true;
		if (!s->json) {
			snprintf(line, sizeof(line), "exit   %" PRIu32
				 "  gone (its exit event was lost)", p->pid);
			ret = put_text(s, line, strlen(line));
		} else {
			obj = json_object_new_object();
			if (obj && (mmlens_json_add(obj, "type", json_object_new_string("exit")) ||
				    mmlens_json_add(obj, "pid", json_object_new_int64(p->pid)) ||
				    mmlens_json_add(obj, "exit_code", mmlens_json_null()))) {
				json_object_put(obj);
				obj = NULL;
			}
			ret = put_json(s, obj);
		}
		if (ret)
			return ret;
	}
	return 0;
}

/* Signals received while waiting, the last one, and whether kill(2) sent it. */
static volatile sig_atomic_t caught_signals, caught_signal, caught_sent;

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	caught_signals++;
	caught_signal = sig;
	/* The terminal's Ctrl-C reaches the whole process group by itself. */
	caught_sent = info->si_code == SI_USER || info->si_code == SI_QUEUE ||
		      info->si_code == SI_TKILL;
}

void mmlens_signals_catch(sigset_t *old)
{
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };
	sigset_t set;

	caught_signals = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, old);
	sa.sa_mask = set;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void mmlens_signals_restore(const sigset_t *old)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigprocmask(SIG_SETMASK, old, NULL);
}

int mmlens_signals_last(void)
{
	return caught_signals ? caught_signal : 0;
}

/* Whether the signals received so far end the stream. */
static bool stopped(struct mmlens_session *s, int *forwarded)
{
	if (!caught_signals)
		return false;
	if (!s->run)
		return true;
	if (caught_signals > *forwarded && caught_sent && !s->procs[0].exited)
		kill((pid_t)s->procs[0].pid, caught_signal);
	*forwarded = caught_signals;
	return caught_signals > 1 || s->procs[0].exited;
}

static int64_t ms_until(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
}

/* Streams until done or stopped.  Returns 0 or -errno. */
static int stream(struct mmlens_session *s, struct mmlens_live *lv)
{
	struct pollfd pfd = { .fd = lv->fd, .events = POLLIN };
	struct timespec next, timeout = { 0, 0 };
	int forwarded = 0;
	sigset_t waitmask;
	int64_t ms;
	int n, ret;

	/* Signals arrive only inside ppoll(): no check can miss one. */
	sigprocmask(SIG_SETMASK, NULL, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	clock_gettime(CLOCK_MONOTONIC, &next);
	next.tv_sec++;

	while (!stopped(s, &forwarded) && !mmlens_session_done(s)) {
		n = mmlens_live_read(lv, READ_BATCH, mmlens_session_message, s,
				     &s->overruns);
		if (n < 0)
			return n;
		ret = mmlens_session_overruns(s);
		if (ret)
			return ret;
		/* Lines should reach a pipe as they come, not a buffer later. */
		ret = mmlens_stream_flush(s->out);
		if (ret)
			return ret;
		ms = ms_until(&next);
		if (ms <= 0) {
			ret = check_alive(s);
			if (ret)
				return ret;
			clock_gettime(CLOCK_MONOTONIC, &next);
			next.tv_sec++;
			continue;
		}
		/* A full batch: more may be waiting, only look at signals. */
		timeout.tv_sec = n == READ_BATCH ? 0 : ms / 1000;
		timeout.tv_nsec = n == READ_BATCH ? 0 : ms % 1000 * 1000000;
		if (ppoll(&pfd, 1, &timeout, &waitmask) < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

void mmlens_live_err(const struct mmlens_ctx *ctx, const char *what,
		     const struct mmlens_nl_err *err)
{
	if (err->error == -EBADMSG && !err->msg[0])
		mmlens_err(ctx, "%s: malformed reply from the kernel module", what);
	else if (err->msg[0])
		mmlens_err(ctx, "%s: %s (kernel reports: %s)", what,
			   strerror(-err->error), err->msg);
	else
		mmlens_err(ctx, "%s: %s", what, strerror(-err->error));
}

/*
 * Events produced so far for the processes still running, as GET_STATS
 * counts them: UINT64_MAX for one whose watch is gone (it exited meanwhile:
 * its exit event is on its way).
 */
static int produced_so_far(struct mmlens_session *s, struct mmlens_nl *ctl,
			   uint64_t *produced)
{
	struct mmlens_nl_err err;
	struct mmlens_stats st;
	char what[64];
	size_t i;
	int ret;

	for (i = 0; i < s->n; i++) {
		struct mmlens_tracked *p = &s->procs[i];

		produced[i] = p->seq;
		if (p->exited)
			continue;
		ret = mmlens_stats_get(ctl, p->pid, &st, &err);
		if (ret == -ESRCH || ret == -ENOENT) {
			produced[i] = UINT64_MAX;
			continue;
		}
		if (ret) {
			snprintf(what, sizeof(what), "counters of PID %" PRIu32, p->pid);
			mmlens_live_err(s->ctx, what, &err);
			return ret;
		}
		produced[i] = st.seq;
	}
	return 0;
}

static bool caught_up(const struct mmlens_session *s, const uint64_t *produced, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!s->procs[i].exited && s->procs[i].seq < produced[i])
			return false;
	return true;
}

/*
 * The stream stopped while processes still run: what the module produced
 * for them until now is received, for SETTLE_MS at most, and what did not
 * come is lost.  Then received and lost add up to what was produced.
 */
static int settle(struct mmlens_session *s, struct mmlens_live *lv, struct mmlens_nl *ctl)
{
	struct pollfd pfd = { .fd = lv->fd, .events = POLLIN };
	struct timespec deadline;
	uint64_t *produced;
	size_t i, n = s->n;
	int ret;

	if (mmlens_session_done(s))
		return 0;
	produced = calloc(n, sizeof(*produced));
	if (!produced)
		return -ENOMEM;
	ret = produced_so_far(s, ctl, produced);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += SETTLE_MS / 1000;
	while (!ret && !caught_up(s, produced, n) && ms_until(&deadline) > 0) {
		ret = mmlens_live_read(lv, READ_BATCH, mmlens_session_message, s, &s->overruns);
		if (ret == 0 && poll(&pfd, 1, 50) < 0 && errno != EINTR)
			ret = -errno;
		else if (ret > 0)
			ret = 0;
	}
	for (i = 0; !ret && i < n; i++)
		if (!s->procs[i].exited && produced[i] != UINT64_MAX)
			ret = mmlens_session_produced(s, &s->procs[i], produced[i]);
	free(produced);
	return ret;
}

int mmlens_session_stream(struct mmlens_session *s, struct mmlens_live *lv,
			  struct mmlens_nl *ctl)
{
	int ret;

	ret = stream(s, lv);
	if (!ret)
		ret = settle(s, lv, ctl);
	if (!ret)
		ret = mmlens_session_summary(s);
	if (!ret)
		ret = mmlens_stream_flush(s->out);
	if (!ret)
		return MMLENS_EXIT_OK;
	/* mmlens_output_close() tells of a failed output. */
	if (s->out->error)
		return MMLENS_EXIT_FAIL;
	if (ret == -ENOMEM)
		mmlens_err(s->ctx, "%s", strerror(-ret));
	else
		mmlens_err(s->ctx, "cannot receive events: %s", strerror(-ret));
	return MMLENS_EXIT_FAIL;
}

/* MMLENS_RCVBUF=BYTES overrides the receive buffer asked for. */
static int rcvbuf_wanted(const struct mmlens_ctx *ctx, int *size)
{
	const char *env = getenv("MMLENS_RCVBUF");
	uint64_t v;

	*size = MMLENS_LIVE_RCVBUF;
	if (!env || !*env)
		return 0;
	if (mmlens_parse_u64(env, &v) || v < 1 || v > (1U << 30)) {
		mmlens_err(ctx, "MMLENS_RCVBUF='%s' is not a size in bytes "
			   "between 1 and 1073741824", env);
		return MMLENS_EXIT_USAGE;
	}
	*size = (int)v;
	return 0;
}

int mmlens_watch_connect(const struct mmlens_ctx *ctx, struct mmlens_nl *ctl,
			 struct mmlens_live *lv)
{
	int ret, size;

	ret = rcvbuf_wanted(ctx, &size);
	if (ret)
		return ret;
	ret = mmlens_connect(ctx, ctl);
	if (ret)
		return ret;
	ret = mmlens_live_open(lv, MMLENS_GENL_NAME, MMLENS_MCGRP_EVENTS, size);
	if (!ret)
		return 0;
	if (ret == -ENOENT)
		mmlens_err(ctx, "the kernel module has no \"%s\" multicast group "
			   "(a version without live events?)", MMLENS_MCGRP_EVENTS);
	else if (ret == -EPERM || ret == -EACCES)
		mmlens_err(ctx, "cannot join the events group: %s (mmlens needs "
			   "CAP_SYS_ADMIN in the initial user namespace)",
			   strerror(-ret));
	else
		mmlens_err(ctx, "cannot join the events group: %s", strerror(-ret));
	mmlens_nl_close(ctl);
	return MMLENS_EXIT_FAIL;
}

int mmlens_watch_start(struct mmlens_session *s, struct mmlens_nl *ctl, pid_t pid)
{
	struct mmlens_nl_err err;
	struct mmlens_tracked *p;
	char what[64];
	uint64_t seq;

	p = mmlens_session_track(s, (uint32_t)pid, false, 0);
	if (!p) {
		mmlens_err(s->ctx, "%s", strerror(ENOMEM));
		return MMLENS_EXIT_FAIL;
	}
	if (!mmlens_watch_add(ctl, (uint32_t)pid, s->follow, &seq, &err)) {
		p->seq = seq;
		return 0;
	}
	if (err.error == -ESRCH)
		mmlens_err(s->ctx, "no process with PID %d", (int)pid);
	else {
		snprintf(what, sizeof(what), "cannot watch PID %d", (int)pid);
		mmlens_live_err(s->ctx, what, &err);
	}
	return MMLENS_EXIT_FAIL;
}

/*
 * Events name processes by their thread group id, as the initial PID
 * namespace numbers them: a TID given stands for its process.
 */
int mmlens_watch_tgid(pid_t pid, pid_t *tgid)
{
	char path[64], line[256];
	int ret = -EBADMSG;
	FILE *f;

	mmlens_proc_path(path, sizeof(path), pid, "status");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Tgid:", 5)) {
			line[strcspn(line, "\n")] = '\0';
			ret = mmlens_parse_pid(line + 5 + strspn(line + 5, " \t"), tgid) ?
				-EBADMSG : 0;
			break;
		}
	fclose(f);
	return ret;
}

int mmlens_cmd_watch(struct mmlens_ctx *ctx, int argc, char **argv)
{
	struct mmlens_stream out;
	struct mmlens_session s;
	struct mmlens_live lv;
	struct mmlens_nl ctl;
	sigset_t old;
	pid_t pid, tgid;
	int first, ret;

	ret = mmlens_cmd_options(ctx, argc, argv, 1, 1, &first);
	if (ret >= 0)
		return ret;
	if (mmlens_arg_pid(ctx, argv[first], &pid))
		return MMLENS_EXIT_USAGE;
	ret = mmlens_check_target(ctx, pid);
	if (ret)
		return ret;
	if (mmlens_output_open(ctx, &out))
		return MMLENS_EXIT_FAIL;

	ret = mmlens_watch_tgid(pid, &tgid);
	if (ret) {
		mmlens_err_proc(ctx, pid, "status", ret);
		return mmlens_output_close(ctx, &out, MMLENS_EXIT_FAIL);
	}

	ret = mmlens_watch_connect(ctx, &ctl, &lv);
	if (ret)
		return mmlens_output_close(ctx, &out, ret);
	mmlens_session_init(&s, ctx, &out);
	/* The group was joined first: no event of the watch can be missed. */
	ret = mmlens_watch_start(&s, &ctl, tgid);
	if (!ret) {
		mmlens_signals_catch(&old);
		ret = mmlens_session_stream(&s, &lv, &ctl);
		mmlens_signals_restore(&old);
	}
	mmlens_session_free(&s);
	mmlens_live_close(&lv);
	mmlens_nl_close(&ctl);
	return mmlens_output_close(ctx, &out, ret);
}
