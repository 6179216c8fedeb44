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
	u16 index;
	u64 table_pa;
	u64 entry;
};

struct mmlens_translation {
	unsigned int nr_steps;
	struct mmlens_level_step steps[5];
	struct mmlens_pte leaf;		/* level/kind NONE when VA is not mapped */
	bool has_frame;
	struct mmlens_frame frame;	/* of the page VA lies in */
};

struct mmlens_walk;
/*
 * Called for each non-empty leaf entry, in address order, under the lock that
 * keeps it stable.  Returns 0 to go on, MMLENS_WALK_STOP to stop before this
 * entry (the walk resumes at rec->va), or a negative errno.
 */
typedef int (*mmlens_leaf_fn)(struct mmlens_walk *w, const struct mmlens_pte *rec);
#define MMLENS_WALK_STOP 1

struct mmlens_walk {
	struct mm_struct *mm;
	mmlens_leaf_fn leaf;
	/* Where the next leaf is decoded (set by the consumer: no copies per entry). */
	struct mmlens_pte *rec;
	bool frames;		/* fill the frame fields of records... */
	/* ...of those this approves (NULL: all); it sees rec without them */
	bool (*want_frame)(struct mmlens_walk *w, const struct mmlens_pte *rec);
	/*
	 * Run fast path: a PTE whose raw value is run_entry at address run_va
	 * (the next frame with the very same bits) only bumps *run_nr, undecoded.
	 * The consumer sets all three after each leaf; run_entry 0 turns it off.
	 */
	u64 run_entry;
	unsigned long run_va;
	u32 *run_nr;
	void *priv;
	unsigned long next;	/* where a stopped walk resumes */
};

/* Entries and frames (entry.c). */
u64 mmlens_entry_flags(u64 raw, int level);
void mmlens_decode_leaf(unsigned long va, u64 raw, int level, struct mmlens_pte *rec);
bool mmlens_frame_page(struct vm_area_struct *vma, const struct mmlens_pte *rec,
		       unsigned long va, struct page **pagep);
void mmlens_frame_read(struct page *page, struct mmlens_frame *frame);
void mmlens_record_frame(struct mmlens_pte *rec, struct page *page);

/* Walks (walk.c); all with mmap_read_lock held on w->mm / mm. */
int mmlens_walk_range(struct mmlens_walk *w, unsigned long start, unsigned long end);
void mmlens_translate(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long va,
		      struct mmlens_translation *t);
int mmlens_count_tables(struct mm_struct *mm, u64 counts[MMLENS_LEVEL_PTE + 1]);

#endif /* _MMLENS_WALK_H */
