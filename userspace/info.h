/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmlens info: a process's address space as a whole (MMLENS_CMD_GET_MM),
 * beside /proc/PID/status.
 */
#ifndef MMLENS_INFO_H
#define MMLENS_INFO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json.h>
#include <netlink/msg.h>

#include <linux/mmlens.h>

#include "proc.h"

struct mmlens_mm {
	bool module;		/* false: only what /proc says */
	uint32_t pid, tgid;
	char comm[64];
	uint32_t paging_levels, map_count;
	uint64_t pgd_pa, context_id, tlb_gen;
	/* MMLENS_A_MM_TOTAL_VM up to MMLENS_A_MM_MAJ_FLT, by attribute. */
	uint64_t val[MMLENS_A_MM_MAJ_FLT + 1];
	/* Page-table pages per enum mmlens_level. */
	uint64_t pt_pages[MMLENS_LEVEL_PTE + 1];
	/* /proc/PID/status and stat, when readable. */
	bool has_proc;
	struct mmlens_proc_mm proc;
};

/* Fills mm (module true) from a GET_MM reply.  Returns 0 or -EBADMSG. */
int mmlens_mm_parse(struct nl_msg *msg, struct mmlens_mm *mm);

/* Bytes of the page-table pages the walk counted. */
uint64_t mmlens_mm_pt_bytes(const struct mmlens_mm *mm);
/*
 * Bytes one flat, single-level table would need for the address space:
 * an 8-byte entry per 4 KiB page up to task_size rounded up to a power of
 * two (2^47 with 4-level paging: 256 GiB).
 */
uint64_t mmlens_mm_flat_bytes(const struct mmlens_mm *mm);

void mmlens_mm_print(FILE *f, const struct mmlens_mm *mm);
/* NULL when out of memory. */
struct json_object *mmlens_mm_json(const struct mmlens_mm *mm);

#endif /* MMLENS_INFO_H */
