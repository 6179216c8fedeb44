/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page-table walks of a live address space, and what their entries mean.
 */
#ifndef _MMLENS_WALK_H
#define _MMLENS_WALK_H

#include <linux/mm.h>
#include <linux/mmlens.h>

/* What one frame's struct page/folio says. */
struct mmlens_frame {
	u64 pfn;
	u64 kpf;		/* KPF_* bits */
	u32 refcount;
	u32 mapcount;		/* of this page, as pagemap counts */
	u32 folio_mapcount;
	u32 order;
	u32 nid;
};

/* One table entry a translation passed through. */
struct mmlens_level_step {
	u8 level;		/* enum mmlens_level */
	u8 shift;		/* lowest VA bit of the index */
	bool folded;		/* P4D under 4-level paging */
	u16 index;		/* of the entry in its table */
	u64 table_pa;
	u64 entry;
};

struct mmlens_translation {
	unsigned int nr_steps;
	struct mmlens_level_step steps[5];
	struct mmlens_pte leaf;		/* level/kind NONE when VA is not mapped */
	u64 swap_offset;		/* of a non-present leaf, also one with a PFN */
	bool has_frame;
	struct mmlens_frame frame;	/* of the page VA lies in */
};

/*
 * A walk decodes every non-empty leaf entry of a range into records, in
 * address order, each under the lock that keeps it stable.  The records go
 * straight into the consumer's array (a dump message): no callback and no
 * copy per entry, which is what a dump of 4 KiB pages is made of.
 */
struct mmlens_walk {
	struct mm_struct *mm;
	struct mmlens_pte *recs;
	unsigned int n, cap;	/* records in recs, room for */
	bool frames;		/* fill the frame fields */
	bool runs;		/* merge runs (MMLENS_A_PTE_RUNS) */
	unsigned long next;	/* where a walk that filled recs resumes */
	/*
	 * Run fast path: a PTE whose raw value is run_entry at address run_va
	 * (the next frame with the very same bits) only bumps the last
	 * record's nr, undecoded; run_entry 0 turns it off.
	 */
	u64 run_entry;
	unsigned long run_va;
};
/* mmlens_walk_range() stopped because recs is full. */
#define MMLENS_WALK_FULL 1

/* Entries, frames and records (entry.c). */
u64 mmlens_entry_flags(u64 raw, int level);
void mmlens_decode_leaf(unsigned long va, u64 raw, int level, struct mmlens_pte *rec);
bool mmlens_frame_page(struct vm_area_struct *vma, const struct mmlens_pte *rec,
		       unsigned long va, struct page **pagep);
void mmlens_frame_read(struct page *page, struct mmlens_frame *frame);
void mmlens_record_frame(struct mmlens_pte *rec, struct page *page);
int mmlens_emit_leaf(struct mmlens_walk *w, struct vm_area_struct *vma, unsigned long va,
		     u64 raw, int level);
int mmlens_emit_ptes(struct mmlens_walk *w, struct vm_area_struct *vma, pte_t *pte,
		     unsigned long addr, unsigned long end);

/* Pages of 4 KiB one entry of level maps. */
static inline u64 mmlens_level_pages(int level)
{
	switch (level) {
	case MMLENS_LEVEL_PUD:
		return PUD_SIZE >> PAGE_SHIFT;
	case MMLENS_LEVEL_PMD:
		return PMD_SIZE >> PAGE_SHIFT;
	default:
		return 1;
	}
}

/* Walks (walk.c); all with mmap_read_lock held on w->mm / mm. */
int mmlens_walk_range(struct mmlens_walk *w, unsigned long start, unsigned long end);
void mmlens_translate(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long va,
		      struct mmlens_translation *t);
int mmlens_count_tables(struct mm_struct *mm, u64 counts[MMLENS_LEVEL_PTE + 1]);

#endif /* _MMLENS_WALK_H */
