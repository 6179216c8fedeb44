// SPDX-License-Identifier: GPL-2.0
/*
 * Comparing what mmlens reads in the page tables with /proc/PID/pagemap.
 *
 * The expectations follow fs/proc/task_mmu.c (pte_to_pagemap_entry(),
 * pagemap_pmd_range(), pagemap_hugetlb_range()) of Linux 6.1 to 6.12:
 * - pte_present() holds for PROT_NONE entries too, so they are "present";
 * - every other non-empty entry (swap, migration, device, marker, hwpoison)
 *   is "swapped", with the type and offset of its swap entry, where the offset
 *   of entries that hold a PFN (migration, device) is that PFN alone;
 * - a huge leaf shows one entry per 4 KiB page, PFN or swap offset counting
 *   up; so do the records of a run;
 * - "exclusive" only for present pages;
 * - soft-dirty is the entry's, or'ed with the VMA's VM_SOFTDIRTY;
 * - hugetlb leaves: no soft-dirty of their own, non-present ones show
 *   nothing.
 */
#include <stdbool.h>
#include <stdio.h>

#include "check.h"
#include "names.h"
#include "proc.h"

/* What pagemap should say for page number page of rec. */
struct expect {
	bool present, swapped, exclusive, soft_dirty;
	bool check_exclusive;
	uint64_t pfn;
	unsigned int swap_type;
	uint64_t swap_offset;
	bool check_swap_offset;
};

static void expect(const struct mmlens_pte *rec, uint64_t page,
		   uint64_t vm_flags, struct expect *e)
{
	bool hugetlb = vm_flags & MMLENS_VM_HUGETLB;

	*e = (struct expect){ .soft_dirty = vm_flags & MMLENS_VM_SOFTDIRTY };
	if (!rec)
		return;
	switch (rec->kind) {
	case MMLENS_KIND_PRESENT:
	case MMLENS_KIND_PROT_NONE:
		e->present = true;
		e->pfn = rec->pfn + page;
		e->exclusive = rec->flags & MMLENS_F_EXCLUSIVE;
		/*
		 * For a 1G hugetlb page 6.12's pagemap asks whether the PUD
		 * table is a shared PMD table, reading a ptdesc field that PUD
		 * tables never set up: its exclusive bit there is noise.
		 */
		e->check_exclusive = !(hugetlb && rec->level == MMLENS_LEVEL_PUD);
		break;
	case MMLENS_KIND_NONE:
		return;
	default:
		if (hugetlb)
			return;
		e->swapped = true;
		e->swap_type = rec->swap_type;
		e->check_swap_offset = rec->kind != MMLENS_KIND_HWPOISON;
		if (rec->kind == MMLENS_KIND_MIGRATION || rec->kind == MMLENS_KIND_DEVICE)
			e->swap_offset = rec->pfn + page;
		else
			e->swap_offset = rec->swap_offset + page;
		break;
	}
	if (!hugetlb && (rec->flags & MMLENS_F_SOFT_DIRTY))
		e->soft_dirty = true;
}

unsigned int mmlens_pagemap_compare(const struct mmlens_pte *rec, uint64_t page,
				    uint64_t vm_flags, uint64_t raw)
{
	struct mmlens_pagemap pm;
	unsigned int diff = 0;
	struct expect e;

	expect(rec, page, vm_flags, &e);
	mmlens_pagemap_decode(raw, &pm);
	if (e.present != pm.present)
		diff |= MMLENS_DIFF_PRESENT;
	if (e.swapped != pm.swapped)
		diff |= MMLENS_DIFF_SWAPPED;
	if (diff)
		return diff;
	if (!e.present && !e.swapped)
		/* Both empty; soft-dirty of a hole is the VMA's business. */
		return 0;
	if (e.present && e.pfn != pm.pfn)
		diff |= MMLENS_DIFF_PFN;
	if (e.swapped && e.swap_type != pm.swap_type)
		diff |= MMLENS_DIFF_SWAP_TYPE;
	if (e.swapped && e.check_swap_offset && e.swap_offset != pm.swap_offset)
		diff |= MMLENS_DIFF_SWAP_OFFSET;
	if (e.check_exclusive && e.exclusive != pm.exclusive)
		diff |= MMLENS_DIFF_EXCLUSIVE;
	if (e.soft_dirty != pm.soft_dirty)
		diff |= MMLENS_DIFF_SOFT_DIRTY;
	return diff;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

void mmlens_diff_describe(char *buf, size_t size, unsigned int diff,
			  const struct mmlens_pte *rec, uint64_t page,
			  uint64_t vm_flags, uint64_t raw)
{
	struct mmlens_pagemap pm;
	size_t len = 0;
	struct expect e;
	int n = 0;

	expect(rec, page, vm_flags, &e);
	mmlens_pagemap_decode(raw, &pm);
	buf[0] = '\0';
#define SAY(...)							\
	do {								\
		n = snprintf(buf + len, size - len, "%s", len ? "; " : ""); \
		if (n > 0 && (size_t)n < size - len)			\
			len += n;					\
		n = snprintf(buf + len, size - len, __VA_ARGS__);	\
		if (n > 0 && (size_t)n < size - len)			\
			len += n;					\
	} while (0)
	if (diff & MMLENS_DIFF_PRESENT)
		SAY("present: mmlens %s, pagemap %s", yes_no(e.present),
		    yes_no(pm.present));
	if (diff & MMLENS_DIFF_SWAPPED)
		SAY("swapped: mmlens %s, pagemap %s", yes_no(e.swapped),
		    yes_no(pm.swapped));
	if (diff & MMLENS_DIFF_PFN)
		SAY("pfn: mmlens 0x%llx, pagemap 0x%llx",
		    (unsigned long long)e.pfn, (unsigned long long)pm.pfn);
	if (diff & MMLENS_DIFF_SWAP_TYPE)
		SAY("swap type: mmlens %u, pagemap %u", e.swap_type, pm.swap_type);
	if (diff & MMLENS_DIFF_SWAP_OFFSET)
		SAY("swap offset: mmlens 0x%llx, pagemap 0x%llx",
		    (unsigned long long)e.swap_offset,
		    (unsigned long long)pm.swap_offset);
	if (diff & MMLENS_DIFF_EXCLUSIVE)
		SAY("exclusive: mmlens %s, pagemap %s", yes_no(e.exclusive),
		    yes_no(pm.exclusive));
	if (diff & MMLENS_DIFF_SOFT_DIRTY)
		SAY("soft-dirty: mmlens %s, pagemap %s", yes_no(e.soft_dirty),
		    yes_no(pm.soft_dirty));
#undef SAY
}
