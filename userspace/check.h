/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Comparing what mmlens reads in the page tables with /proc/PID/pagemap.
 */
#ifndef MMLENS_CHECK_H
#define MMLENS_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include <linux/mmlens.h>

#include "proc.h"

/* What differs (bits of mmlens_pagemap_compare()'s result). */
enum {
	MMLENS_DIFF_PRESENT = 1 << 0,
	MMLENS_DIFF_SWAPPED = 1 << 1,
	MMLENS_DIFF_PFN = 1 << 2,
	MMLENS_DIFF_SWAP_TYPE = 1 << 3,
	MMLENS_DIFF_SWAP_OFFSET = 1 << 4,
	MMLENS_DIFF_EXCLUSIVE = 1 << 5,
	MMLENS_DIFF_SOFT_DIRTY = 1 << 6,
};

/* log2 of the bytes one entry of rec maps, which its level tells (x86-64). */
static inline unsigned int mmlens_pte_shift(const struct mmlens_pte *rec)
{
	switch (rec->level) {
	case MMLENS_LEVEL_PUD:
		return 30;
	case MMLENS_LEVEL_PMD:
		return 21;
	default:
		return MMLENS_PAGE_SHIFT;
	}
}

/* Pages of 4 KiB that rec covers. */
static inline uint64_t mmlens_pte_pages(const struct mmlens_pte *rec)
{
	return (uint64_t)(rec->nr ? rec->nr : 1) << (mmlens_pte_shift(rec) - MMLENS_PAGE_SHIFT);
}

/*
 * Compares 4 KiB page number page of rec (0 for the first) with its pagemap
 * entry pm.  rec NULL means the page tables map nothing there.  vm_flags are
 * those of the VMA: pagemap reports VM_SOFTDIRTY on every page, and decodes
 * hugetlb entries differently (no soft-dirty bit of their own, nothing for
 * non-present ones).  Returns MMLENS_DIFF_* bits, 0 when they agree.
 */
unsigned int mmlens_pagemap_compare(const struct mmlens_pte *rec, uint64_t page,
				    uint64_t vm_flags, uint64_t pm);

/*
 * "pfn: mmlens 0x12, pagemap 0x13; exclusive: mmlens yes, pagemap no" for
 * the differences diff, into buf (always NUL-terminated).
 */
void mmlens_diff_describe(char *buf, size_t size, unsigned int diff,
			  const struct mmlens_pte *rec, uint64_t page,
			  uint64_t vm_flags, uint64_t pm);

#endif /* MMLENS_CHECK_H */
