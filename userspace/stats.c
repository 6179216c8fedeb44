// SPDX-License-Identifier: GPL-2.0
/*
 * mmlens stats: a watched process's counters, one row per interval, beside
 * what /proc/PID/stat and /proc/vmstat count of the same faults.
 *
 * The module and the kernel's own accounting classify the same faults with
 * different rules, so a row whose totals do not agree is flagged, with what
 * the difference may come from, rather than being hidden.
 */
#define _GNU_SOURCE		/* ppoll() */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "proc.h"
#include "stats.h"
#include "util.h"
#include "watch.h"

void mmlens_stats_totals(const uint64_t *faults, uint64_t *total, uint64_t *major)
{
	unsigned int c;

	*total = 0;
	for (c = 0; c < MMLENS_NR_CLASSES; c++)
		if (c != MMLENS_FAULT_RETRY)
			*total += faults[c];
	*major = faults[MMLENS_FAULT_FILE_MAJOR] + faults[MMLENS_FAULT_SWAP_IN_MAJOR];
}

bool mmlens_stats_disagree(uint64_t total, uint64_t major,
			   uint64_t total_lo, uint64_t total_hi,
			   uint64_t major_lo, uint64_t major_hi)
{
	return total < total_lo || total > total_hi ||
	       major < major_lo || major > major_hi;
}

/* b - a of a counter that may be reset (a new watch): never negative. */
static uint64_t delta(uint64_t a, uint64_t b)
{
	return b >= a ? b - a : b;
}

/* Lower end of b - a when b is known in [b_lo, b_hi] and a in [a_lo, a_hi]. */
static uint64_t delta_lo(uint64_t a_hi, uint64_t b_lo)
{
	return b_lo >= a_hi ? b_lo - a_hi : 0;
}

void mmlens_stats_row(const struct mmlens_sample *a, const struct mmlens_sample *b,
		      struct mmlens_stats_row *row)
{
	unsigned int i;

	memset(row, 0, sizeof(*row));
	/* To the millisecond: the rest is the timer's noise. */
	row->interval_s = (double)((b->ns - a->ns + 500000) / 1000000) / 1e3;
	for (i = 0; i < MMLENS_NR_CLASSES; i++)
		row->faults[i] = delta(a->st.faults[i], b->st.faults[i]);
	for (i = 0; i < MMLENS_NR_TLB_REASONS; i++) {
		row->tlb[i].flushes = delta(a->st.tlb[i].flushes, b->st.tlb[i].flushes);
		row->tlb[i].pages = delta(a->st.tlb[i].pages, b->st.tlb[i].pages);
		row->tlb[i].full = delta(a->st.tlb[i].full, b->st.tlb[i].full);
	}
	row->tlb_gen = b->st.tlb_gen;
	row->tlb_gen_delta = delta(a->st.tlb_gen, b->st.tlb_gen);
	row->minflt = delta(a->minflt, b->minflt);
	row->majflt = delta(a->majflt, b->majflt);
	row->has_vmstat = a->has_vmstat && b->has_vmstat;
	if (row->has_vmstat) {
		row->pgfault = delta(a->pgfault, b->pgfault);
		row->pgmajfault = delta(a->pgmajfault, b->pgmajfault);
	}
	row->events = delta(a->st.events, b->st.events);
	row->lost = delta(a->st.lost, b->st.lost);
	mmlens_stats_totals(row->faults, &row->module_total, &row->module_major);
	/*
	 * stat was read on both sides of each GET_STATS: the module's delta
	 * must lie between the smallest and the largest delta stat allows.
	 */
	row->disagree = mmlens_stats_disagree(row->module_total, row->module_major,
					      delta_lo(a->total_hi, b->total_lo),
					      delta(a->total_lo, b->total_hi),
					      delta_lo(a->major_hi, b->major_lo),
					      delta(a->major_lo, b->major_hi));
}

/* Columns of the text table, by group. */
static const char *const class_cols[MMLENS_NR_CLASSES] = {
	[MMLENS_FAULT_ANON_ZERO_FILL] = "zfill",
	[MMLENS_FAULT_ZERO_PAGE] = "zpage",
	[MMLENS_FAULT_ZERO_PAGE_COW] = "zcow",
	[MMLENS_FAULT_FILE_MINOR] = "fmin",
	[MMLENS_FAULT_FILE_MAJOR] = "fmaj",
	[MMLENS_FAULT_SWAP_IN_MINOR] = "smin",
	[MMLENS_FAULT_SWAP_IN_MAJOR] = "smaj",
	[MMLENS_FAULT_COW_COPY] = "cowc",
	[MMLENS_FAULT_COW_REUSE] = "cowr",
	[MMLENS_FAULT_WRITE_NOTIFY] = "wntf",
	[MMLENS_FAULT_NUMA_HINT] = "numa",
	[MMLENS_FAULT_UFFD] = "uffd",
	[MMLENS_FAULT_RETRY] = "retry",
	[MMLENS_FAULT_ERROR] = "err",
	[MMLENS_FAULT_MIGRATION] = "migr",
	[MMLENS_FAULT_SPURIOUS] = "spur",
	/* Classes newer than this mmlens are counted with "other". */
	[MMLENS_FAULT_OTHER] = "other",
};
static const char *const tlb_cols[MMLENS_NR_TLB_REASONS] = {
	[MMLENS_TLB_TASK_SWITCH] = "task",
	[MMLENS_TLB_REMOTE_SHOOTDOWN] = "rshd",
	[MMLENS_TLB_LOCAL_SHOOTDOWN] = "lshd",
	[MMLENS_TLB_LOCAL_MM_SHOOTDOWN] = "lmm",
	[MMLENS_TLB_REMOTE_SEND_IPI] = "ipi",
};
static const char *const tail_cols[] = {
	"pages", "gen", "minflt", "majflt", "pgflt", "pgmaj",
};

#define N_COLS (MMLENS_FAULT_CLASS_MAX + 1 + MMLENS_NR_TLB_REASONS + 6)
#define COL_WIDTH 5

static const struct {
	const char *label;
	unsigned int cols;
} groups[] = {
	{ "faults counted by mmlens", MMLENS_FAULT_CLASS_MAX + 1 },
	{ "TLB flushes", MMLENS_NR_TLB_REASONS + 2 },
	{ "stat", 2 },
	{ "vmstat", 2 },
};

static const char *col_name(unsigned int i)
{
	if (i <= MMLENS_FAULT_CLASS_MAX)
		return class_cols[i];
	i -= MMLENS_FAULT_CLASS_MAX + 1;
	if (i < MMLENS_NR_TLB_REASONS)
		return tlb_cols[i];
	return tail_cols[i - MMLENS_NR_TLB_REASONS];
}

static size_t col_width(unsigned int i)
{
	size_t n = strlen(col_name(i));

	return n > COL_WIDTH ? n : COL_WIDTH;
}

/* Appends to buf at *len, keeping it NUL-terminated and within size. */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + n < size ? *len + n : size - 1;
}

size_t mmlens_stats_header(char *buf, size_t size)
{
	size_t len = 0, width, label, left, k;
	unsigned int g, i, col = 0;

	buf[0] = '\0';
	for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		for (width = 0, i = 0; i < groups[g].cols; i++)
			width += col_width(col + i) + (i ? 1 : 0);
		col += groups[g].cols;
		/* " label " centred in dashes over the group's columns. */
		label = strlen(groups[g].label) + 2;
		left = width > label ? (width - label) / 2 : 0;
		append(buf, size, &len, "%s", g ? " " : "");
		for (k = 0; k < left; k++)
			append(buf, size, &len, "-");
		append(buf, size, &len, " %s ", groups[g].label);
		for (k = left + label; k < width; k++)
			append(buf, size, &len, "-");
	}
	append(buf, size, &len, "\n");
	for (i = 0; i < N_COLS; i++)
		append(buf, size, &len, "%s%*s", i ? " " : "", (int)col_width(i),
		       col_name(i));
	append(buf, size, &len, "\n");
	return len;
}

size_t mmlens_stats_text(char *buf, size_t size, const struct mmlens_stats_row *row)
{
	uint64_t v[N_COLS], pages = 0;
	size_t len = 0;
	unsigned int i, n = 0;

	buf[0] = '\0';
	for (i = 0; i <= MMLENS_FAULT_CLASS_MAX; i++)
		v[n++] = row->faults[i];
	v[MMLENS_FAULT_OTHER] += row->faults[MMLENS_CLASS_UNKNOWN];
	for (i = 0; i < MMLENS_NR_TLB_REASONS; i++) {
		v[n++] = row->tlb[i].flushes;
		pages += row->tlb[i].pages;
	}
	v[n++] = pages;
	v[n++] = row->tlb_gen_delta;
	v[n++] = row->minflt;
	v[n++] = row->majflt;
	for (i = 0; i < N_COLS; i++) {
		if (i >= N_COLS - 2 && !row->has_vmstat)
			append(buf, size, &len, " %*s", (int)col_width(i), "-");
		else
			append(buf, size, &len, "%s%*" PRIu64, i ? " " : "",
			       (int)col_width(i),
			       i == N_COLS - 2 ? row->pgfault :
			       i == N_COLS - 1 ? row->pgmajfault : v[i]);
	}
	if (row->disagree)
		append(buf, size, &len, "  differs: mmlens %" PRIu64 " (%" PRIu64
		       " major), stat %" PRIu64 " (%" PRIu64 " major)",
		       row->module_total, row->module_major,
		       row->minflt + row->majflt, row->majflt);
	return len;
}

static struct json_object *u64_json(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

static struct json_object *tlb_json(const struct mmlens_tlb_count *tlb)
{
	struct json_object *obj = json_object_new_object(), *r;
	unsigned int i;

	for (i = 0; obj && i < MMLENS_NR_TLB_REASONS; i++) {
		r = json_object_new_object();
		if (!r || mmlens_json_add(r, "flushes", u64_json(tlb[i].flushes)) ||
		    mmlens_json_add(r, "pages", u64_json(tlb[i].pages)) ||
		    mmlens_json_add(r, "full", u64_json(tlb[i].full)) ||
		    mmlens_json_add(obj, mmlens_tlb_reason_name(i), r)) {
			/* mmlens_json_add() dropped r if it was the last to fail. */
			json_object_put(obj);
			return NULL;
		}
	}
	return obj;
}

static struct json_object *faults_json(const uint64_t *faults)
{
	struct json_object *obj = json_object_new_object();
	unsigned int c;

	for (c = 0; obj && c < MMLENS_NR_CLASSES; c++)
		if (mmlens_json_add(obj, mmlens_class_name(c), u64_json(faults[c]))) {
			json_object_put(obj);
			return NULL;
		}
	return obj;
}

/* {a: x, b: y}, or null when !has. */
static struct json_object *pair_json(bool has, const char *a, uint64_t x,
				     const char *b, uint64_t y)
{
	struct json_object *obj;

	if (!has)
		return mmlens_json_null();
	obj = json_object_new_object();
	if (!obj || mmlens_json_add(obj, a, u64_json(x)) ||
	    mmlens_json_add(obj, b, u64_json(y))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

struct json_object *mmlens_stats_row_json(uint32_t pid, const struct mmlens_stats_row *row)
{
	struct json_object *obj = json_object_new_object();

	if (!obj ||
	    mmlens_json_add(obj, "pid", json_object_new_int64(pid)) ||
	    mmlens_json_add(obj, "interval_s", json_object_new_double(row->interval_s)) ||
	    mmlens_json_add(obj, "faults", faults_json(row->faults)) ||
	    mmlens_json_add(obj, "tlb", tlb_json(row->tlb)) ||
	    mmlens_json_add(obj, "tlb_gen", u64_json(row->tlb_gen)) ||
	    mmlens_json_add(obj, "tlb_gen_delta", u64_json(row->tlb_gen_delta)) ||
	    mmlens_json_add(obj, "proc", pair_json(true, "minflt", row->minflt,
						   "majflt", row->majflt)) ||
	    mmlens_json_add(obj, "vmstat", pair_json(row->has_vmstat,
						     "pgfault", row->pgfault,
						     "pgmajfault", row->pgmajfault)) ||
	    mmlens_json_add(obj, "module", pair_json(true, "faults", row->module_total,
						     "major", row->module_major)) ||
	    mmlens_json_add(obj, "events", u64_json(row->events)) ||
	    mmlens_json_add(obj, "lost", u64_json(row->lost)) ||
	    mmlens_json_add(obj, "disagree", json_object_new_boolean(row->disagree))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

void mmlens_stats_global_text(struct mmlens_stream *out, const struct mmlens_stats *st)
{
	unsigned int i;

	mmlens_stream_printf(out, "TLB flushes of all address spaces, counted while "
			     "anything is watched (%.1f s so far)",
			     (double)st->watched_ns / 1e9);
	mmlens_stream_printf(out, "%-20s %12s %12s %12s", "reason", "flushes", "pages",
			     "full");
	for (i = 0; i < MMLENS_NR_TLB_REASONS; i++)
		mmlens_stream_printf(out, "%-20s %12" PRIu64 " %12" PRIu64 " %12" PRIu64,
				     mmlens_tlb_reason_name(i), st->tlb[i].flushes,
				     st->tlb[i].pages, st->tlb[i].full);
}

struct json_object *mmlens_stats_global_json(const struct mmlens_stats *st)
{
	struct json_object *obj = json_object_new_object();

	if (!obj ||
	    mmlens_json_add(obj, "watched_ns", u64_json(st->watched_ns)) ||
	    mmlens_json_add(obj, "tlb", tlb_json(st->tlb))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

int mmlens_vmstat_read(const char *file, uint64_t *pgfault, uint64_t *pgmajfault)
{
	char line[256], name[64];
	unsigned int found = 0;
	uint64_t v;
	FILE *f;

	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (found != 3 && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %" SCNu64, name, &v) != 2)
			continue;
		if (!strcmp(name, "pgfault")) {
			*pgfault = v;
			found |= 1;
		} else if (!strcmp(name, "pgmajfault")) {
			*pgmajfault = v;
			found |= 2;
		}
	}
	fclose(f);
	return found == 3 ? 0 : -ENOENT;
}

int mmlens_parse_interval(const char *s, uint64_t *ms)
{
	uint64_t whole = 0, frac = 0, scale = 1000;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > 86400)
			return -ERANGE;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		/* Below a millisecond, digits do not matter. */
		for (; *p >= '0' && *p <= '9'; p++)
			if (scale /= 10)
				frac += (uint64_t)(*p - '0') * scale;
	}
	if (*p)
		return -EINVAL;
	*ms = whole * 1000 + frac;
	if (!*ms || *ms > 86400 * 1000)
		return -ERANGE;
	return 0;
}

/* minflt and majflt of /proc/PID/stat. */
static int read_faults(pid_t pid, uint64_t *minflt, uint64_t *majflt)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	mmlens_proc_path(path, sizeof(path), pid, "stat");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	/* After "pid (comm)", whose comm may hold anything: fields 3 on. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %" SCNu64 " %*u %" SCNu64,
			 minflt, majflt) != 2)
		return -EBADMSG;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000 + (uint64_t)t.tv_nsec;
}

/* Reads a sample; -ESRCH when the process is gone, else as mmlens_stats_get(). */
static int sample(struct mmlens_nl *ctl, pid_t pid, struct mmlens_sample *s,
		  struct mmlens_nl_err *err)
{
	uint64_t min, maj;
	int ret;

	memset(s, 0, sizeof(*s));
	if (read_faults(pid, &min, &maj))
		return -ESRCH;
	s->total_lo = min + maj;
	s->major_lo = maj;
	ret = mmlens_stats_get(ctl, (uint32_t)pid, &s->st, err);
	/* The watch ends with the process. */
	if (ret == -ENOENT)
		return -ESRCH;
	if (ret)
		return ret;
	if (read_faults(pid, &s->minflt, &s->majflt))
		return -ESRCH;
	s->total_hi = s->minflt + s->majflt;
	s->major_hi = s->majflt;
	s->has_vmstat = !mmlens_vmstat_read("/proc/vmstat", &s->pgfault, &s->pgmajfault);
	s->ns = now_ns();
	return 0;
}

/* Sleeps until CLOCK_MONOTONIC ns; false when a signal came. */
static bool sleep_until(uint64_t ns)
{
	struct timespec t;
	sigset_t waitmask;
	uint64_t now;

	sigprocmask(SIG_SETMASK, NULL, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	while (!mmlens_signals_last() && (now = now_ns()) < ns) {
		t.tv_sec = (ns - now) / 1000000000;
		t.tv_nsec = (ns - now) % 1000000000;
		ppoll(NULL, 0, &t, &waitmask);
	}
	return !mmlens_signals_last();
}

static const char disagree_note[] =
	"  note: mmlens and /proc/PID/stat count faults differently: stat leaves out\n"
	"  failed faults (mmlens's err), and counts the second try of a retried fault\n"
	"  as major whatever it found (mmlens: only file and swap-in majors).\n";

/* Prints a row; returns 0, -ENOMEM, or the output's -errno. */
static int print_row(const struct mmlens_ctx *ctx, struct mmlens_stream *out, pid_t pid,
		     const struct mmlens_stats_row *row, bool *noted)
{
	struct json_object *obj;
	char line[1024];
	size_t len;
	int ret;

	if (ctx->json) {
		obj = mmlens_stats_row_json((uint32_t)pid, row);
		ret = obj ? mmlens_json_line(out, obj) : -ENOMEM;
		json_object_put(obj);
		return ret;
	}
	len = mmlens_stats_text(line, sizeof(line), row);
	ret = mmlens_stream_lines(out, line, len);
	if (row->disagree && !*noted) {
		ret = mmlens_stream_lines(out, disagree_note, strlen(disagree_note));
		*noted = true;
	}
	return ret;
}

static int watch_rows(struct mmlens_ctx *ctx, struct mmlens_stream *out,
		      struct mmlens_nl *ctl, pid_t pid, uint64_t interval_ms, uint64_t count)
{
	struct mmlens_sample a, b;
	struct mmlens_stats_row row;
	struct mmlens_nl_err err;
	char header[1024], what[64];
	bool noted = false;
	uint64_t n, start, seq;
	int ret;

	ret = mmlens_watch_add(ctl, (uint32_t)pid, false, &seq, &err);
	if (!ret)
		ret = sample(ctl, pid, &a, &err);
	if (ret == -ESRCH) {
		mmlens_err(ctx, "no process with PID %d", (int)pid);
		return MMLENS_EXIT_FAIL;
	}
	if (ret) {
		snprintf(what, sizeof(what), "cannot watch PID %d", (int)pid);
		mmlens_live_err(ctx, what, &err);
		return MMLENS_EXIT_FAIL;
	}
	if (!ctx->json)
		mmlens_stream_lines(out, header, mmlens_stats_header(header, sizeof(header)));
	start = a.ns;
	for (n = 1; !count || n <= count; n++) {
		/* Each row reaches a pipe as it comes; a failed output ends it. */
		if (mmlens_stream_flush(out))
			break;
		if (!sleep_until(start + n * interval_ms * 1000000))
			break;
		ret = sample(ctl, pid, &b, &err);
		if (ret == -ESRCH) {
			if (!ctx->json)
				mmlens_stream_printf(out, "PID %d exited", (int)pid);
			break;
		}
		if (ret) {
			snprintf(what, sizeof(what), "counters of PID %d", (int)pid);
			mmlens_live_err(ctx, what, &err);
			return MMLENS_EXIT_FAIL;
		}
		mmlens_stats_row(&a, &b, &row);
		ret = print_row(ctx, out, pid, &row, &noted);
		if (ret && !out->error) {
			mmlens_err(ctx, "%s", strerror(-ret));
			return MMLENS_EXIT_FAIL;
		}
		a = b;
	}
	/* mmlens_output_close() reports an output error. */
	return MMLENS_EXIT_OK;
}

static int global(struct mmlens_ctx *ctx, struct mmlens_stream *out, struct mmlens_nl *ctl)
{
	struct mmlens_nl_err err;
	struct json_object *obj;
	struct mmlens_stats st;
	int ret;

	if (mmlens_stats_get(ctl, 0, &st, &err)) {
		mmlens_live_err(ctx, "global counters", &err);
		return MMLENS_EXIT_FAIL;
	}
	/* mmlens_output_close() reports an output error. */
	if (!ctx->json) {
		mmlens_stats_global_text(out, &st);
		return MMLENS_EXIT_OK;
	}
	obj = mmlens_stats_global_json(&st);
	ret = obj ? mmlens_json_print_stream(out, obj) : -ENOMEM;
	json_object_put(obj);
	if (ret && !out->error) {
		mmlens_err(ctx, "%s", strerror(-ret));
		return MMLENS_EXIT_FAIL;
	}
	return MMLENS_EXIT_OK;
}

int mmlens_cmd_stats(struct mmlens_ctx *ctx, int argc, char **argv)
{
	uint64_t interval_ms = 1000, count = 0;
	struct mmlens_stream out;
	struct mmlens_nl ctl;
	pid_t pid = 0, tgid;
	int first, ret;
	sigset_t old;

	ret = mmlens_cmd_options(ctx, argc, argv, 0, 1, &first);
	if (ret >= 0)
		return ret;
	if (first < argc && mmlens_arg_pid(ctx, argv[first], &pid))
		return MMLENS_EXIT_USAGE;
	if (ctx->interval && mmlens_parse_interval(ctx->interval, &interval_ms)) {
		mmlens_err(ctx, "invalid interval '%s' (seconds, e.g. 1 or 0.5, "
			   "at most 86400)", ctx->interval);
		return MMLENS_EXIT_USAGE;
	}
	if (ctx->count && (mmlens_parse_u64(ctx->count, &count) || !count)) {
		mmlens_err(ctx, "invalid count '%s' (a number of rows, 1 or more)",
			   ctx->count);
		return MMLENS_EXIT_USAGE;
	}
	if (!pid && (ctx->interval || ctx->count)) {
		mmlens_err(ctx, "--interval and --count need a PID");
		return MMLENS_EXIT_USAGE;
	}
	if (pid) {
		ret = mmlens_check_target(ctx, pid);
		if (ret)
			return ret;
	}
	if (mmlens_output_open(ctx, &out))
		return MMLENS_EXIT_FAIL;
	if (pid) {
		ret = mmlens_watch_tgid(pid, &tgid);
		if (ret) {
			mmlens_err_proc(ctx, pid, "status", ret);
			return mmlens_output_close(ctx, &out, MMLENS_EXIT_FAIL);
		}
	}

	ret = mmlens_connect(ctx, &ctl);
	if (ret)
		return mmlens_output_close(ctx, &out, ret);
	if (!pid) {
		ret = global(ctx, &out, &ctl);
	} else {
		mmlens_signals_catch(&old);
		ret = watch_rows(ctx, &out, &ctl, tgid, interval_ms, count);
		mmlens_signals_restore(&old);
	}
	mmlens_nl_close(&ctl);
	return mmlens_output_close(ctx, &out, ret);
}
