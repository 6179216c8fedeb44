/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmlens stats: a watched process's fault and TLB counters, vmstat-like,
 * beside /proc/PID/stat and /proc/vmstat; or the global TLB counters.
 */
#ifndef MMLENS_STATS_H
#define MMLENS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json.h>

#include "live.h"
#include "stream.h"

/* One reading of everything a row compares. */
struct mmlens_sample {
	struct mmlens_stats st;
	/*
	 * /proc/PID/stat's minflt + majflt and majflt, read just before (lo)
	 * and just after (hi) GET_STATS: a fault completing meanwhile is in
	 * one of them, and the module's count is then between the two.
	 */
	uint64_t total_lo, total_hi, major_lo, major_hi;
	uint64_t minflt, majflt;	/* the later reading */
	bool has_vmstat;
	uint64_t pgfault, pgmajfault;	/* /proc/vmstat, system-wide */
	uint64_t ns;			/* CLOCK_MONOTONIC */
};

/* What changed between two samples. */
struct mmlens_stats_row {
	double interval_s;
	uint64_t faults[MMLENS_NR_CLASSES];
	struct mmlens_tlb_count tlb[MMLENS_NR_TLB_REASONS];
	uint64_t tlb_gen, tlb_gen_delta;
	uint64_t minflt, majflt;
	bool has_vmstat;
	uint64_t pgfault, pgmajfault;
	uint64_t events, lost;
	/* The module's totals as /proc/PID/stat counts: see mmlens_stats_totals(). */
	uint64_t module_total, module_major;
	bool disagree;
};

/*
 * The module's counts in /proc/PID/stat's terms: every fault but retries
 * (the kernel accounts a retried fault once, when it completes), and as major
 * those that read from a file or swap.
 */
void mmlens_stats_totals(const uint64_t *faults, uint64_t *total, uint64_t *major);

/*
 * Whether the module's total and major counts fall outside what
 * /proc/PID/stat allows: [total_lo, total_hi] and [major_lo, major_hi].
 */
bool mmlens_stats_disagree(uint64_t total, uint64_t major,
			   uint64_t total_lo, uint64_t total_hi,
			   uint64_t major_lo, uint64_t major_hi);

/* The row of changes from a to b. */
void mmlens_stats_row(const struct mmlens_sample *a, const struct mmlens_sample *b,
		      struct mmlens_stats_row *row);

/* The header of the text table (two lines, with newlines). */
size_t mmlens_stats_header(char *buf, size_t size);
/* One row of it, without a newline. */
size_t mmlens_stats_text(char *buf, size_t size, const struct mmlens_stats_row *row);
struct json_object *mmlens_stats_row_json(uint32_t pid, const struct mmlens_stats_row *row);

/* The global counters: text lines, or a JSON object. */
void mmlens_stats_global_text(struct mmlens_stream *out, const struct mmlens_stats *st);
struct json_object *mmlens_stats_global_json(const struct mmlens_stats *st);

/*
 * Reads pgfault and pgmajfault of a vmstat file.  Returns 0, -ENOENT when
 * one is missing, or another -errno.
 */
int mmlens_vmstat_read(const char *file, uint64_t *pgfault, uint64_t *pgmajfault);

/*
 * Parses an interval in seconds, "1", "0.5", "2.25" (at most 86400, at
 * least a millisecond), into milliseconds.  Returns 0, -EINVAL or -ERANGE.
 */
int mmlens_parse_interval(const char *s, uint64_t *ms);

#endif /* MMLENS_STATS_H */
