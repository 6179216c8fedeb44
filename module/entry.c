// SPDX-License-Identifier: GPL-2.0
/*
 * What a page-table entry means: hardware and software bits, the kinds of
 * non-present entries the kernel stores, and the frame a present entry maps.
 */
#include <linux/kernel-page-flags.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/swap.h>
#include <linux/swapops.h>

#include "compat.h"
#include "walk.h"

/*
 * Bit number from of word, moved to bit number to.  Both are constants, so
 * this is an AND and one shift: cheaper than a test and a conditional OR,
 * and the compiler merges the bits that move alike.  Entries and page flags
 * are decoded with it for every page of a dump.
 */
static __always_inline u64 move_bit(u64 word, unsigned int from, unsigned int to)
{
	u64 bit = word & (1ULL << from);

	return from >= to ? bit >> (from - to) : bit << (to - from);
}

/* move_bit() for one-bit masks; a mask of 0 (a bit this kernel lacks) gives 0. */
#define move_flag(word, from_mask, to_mask) \
	((from_mask) ? move_bit(word, ilog2(from_mask), ilog2(to_mask)) : 0)

/*
 * MMLENS_F_* of any entry, read as the level it was found at.  The bits the
 * UAPI numbers like the hardware (present to dirty, bits 0-6) are copied in
 * one go.  Inlined where the caller knows more (a present PTE) so that the
 * tests it answers fold away.
 */
static __always_inline u64 entry_flags(u64 raw, int level)
{
	bool present = raw & _PAGE_PRESENT;
	u64 flags = raw & (MMLENS_F_PRESENT | MMLENS_F_RW | MMLENS_F_USER | MMLENS_F_PWT |
			   MMLENS_F_PCD | MMLENS_F_ACCESSED | MMLENS_F_DIRTY);

	BUILD_BUG_ON(MMLENS_F_PRESENT != _PAGE_PRESENT || MMLENS_F_RW != _PAGE_RW ||
		     MMLENS_F_USER != _PAGE_USER || MMLENS_F_PWT != _PAGE_PWT ||
		     MMLENS_F_PCD != _PAGE_PCD || MMLENS_F_ACCESSED != _PAGE_ACCESSED ||
		     MMLENS_F_DIRTY != _PAGE_DIRTY);
	flags |= move_flag(raw, _PAGE_NX, MMLENS_F_NX) |
		 move_flag(raw, _PAGE_SOFT_DIRTY, MMLENS_F_SOFT_DIRTY) |
		 move_flag(raw, _PAGE_UFFD_WP, MMLENS_F_UFFD_WP) |
		 move_flag(raw, _PAGE_SPECIAL, MMLENS_F_SPECIAL) |
		 move_flag(raw, _PAGE_DEVMAP, MMLENS_F_DEVMAP) |
		 move_flag(raw, MMLENS_PAGE_SAVED_DIRTY, MMLENS_F_SAVED_DIRTY);

	/* Bit 7 is PAT in a 4K PTE and PSE above; bit 8 is GLOBAL only when present. */
	if (level == MMLENS_LEVEL_PTE) {
		flags |= move_flag(raw, _PAGE_PAT, MMLENS_F_PAT);
	} else {
		flags |= move_flag(raw, _PAGE_PSE, MMLENS_F_PSE);
		if (raw & _PAGE_PSE)
			flags |= move_flag(raw, _PAGE_PAT_LARGE, MMLENS_F_PAT);
	}
	if (present)
		flags |= move_flag(raw, _PAGE_GLOBAL, MMLENS_F_GLOBAL);
	else
		flags |= move_flag(raw, _PAGE_PROTNONE, MMLENS_F_PROTNONE);

	/* The kernel's own reading, which 6.12's shadow-stack encoding makes differ. */
	if (present || (raw & _PAGE_PROTNONE)) {
		pte_t pte = __pte(raw);

		if (pte_write(pte))
			flags |= MMLENS_F_WRITE;
		if (pte_dirty(pte))
			flags |= MMLENS_F_KERNEL_DIRTY;
	}
	return flags;
}

u64 mmlens_entry_flags(u64 raw, int level)
{
	return entry_flags(raw, level);
}

/*
 * Non-present, non-empty entries hold a swap entry: a real one, or one of
 * the kernel's special types.  The layout is the same at every level on x86.
 */
static void decode_swap_entry(u64 raw, struct mmlens_pte *rec)
{
	pte_t pte = __pte(raw);
	swp_entry_t entry = pte_to_swp_entry(pte);

	rec->flags = 0;
	if (pte_swp_soft_dirty(pte))
		rec->flags |= MMLENS_F_SOFT_DIRTY;
	if (pte_swp_uffd_wp(pte))
		rec->flags |= MMLENS_F_UFFD_WP;

	rec->swap_type = swp_type(entry);
	/* Kinds that hold a frame put it here instead (one place for both). */
	rec->swap_offset = swp_offset(entry);
	if (!non_swap_entry(entry)) {
		rec->kind = MMLENS_KIND_SWAP;
		if (pte_swp_exclusive(pte))
			rec->flags |= MMLENS_F_SWP_EXCLUSIVE;
	} else if (is_migration_entry(entry)) {
		rec->kind = MMLENS_KIND_MIGRATION;
		rec->pfn = swp_offset_pfn(entry);
		if (is_writable_migration_entry(entry))
			rec->flags |= MMLENS_F_MIGRATION_WRITE;
		if (is_readable_exclusive_migration_entry(entry))
			rec->flags |= MMLENS_F_MIGRATION_EXCLUSIVE;
	} else if (is_device_private_entry(entry) || is_device_exclusive_entry(entry)) {
		rec->kind = MMLENS_KIND_DEVICE;
		rec->pfn = swp_offset_pfn(entry);
		if (is_writable_device_private_entry(entry) ||
		    is_writable_device_exclusive_entry(entry))
			rec->flags |= MMLENS_F_DEVICE_WRITE;
		if (is_device_exclusive_entry(entry))
			rec->flags |= MMLENS_F_DEVICE_EXCLUSIVE;
	} else if (is_hwpoison_entry(entry)) {
		rec->kind = MMLENS_KIND_HWPOISON;
		rec->pfn = swp_offset_pfn(entry);
	} else if (mmlens_entry_is_poison_marker(entry)) {
		rec->kind = MMLENS_KIND_MARKER;
		rec->flags |= MMLENS_F_MARKER_POISONED;
	} else if (is_pte_marker_entry(entry)) {
		rec->kind = MMLENS_KIND_MARKER;
		if (pte_marker_get(entry) & PTE_MARKER_UFFD_WP)
			rec->flags |= MMLENS_F_MARKER_UFFD_WP;
	} else {
		/* A special type this kernel has and mmlens does not know. */
		rec->kind = MMLENS_KIND_SWAP;
	}
}

static u64 leaf_pfn(u64 raw, int level)
{
	switch (level) {
	case MMLENS_LEVEL_PUD:
		return pud_pfn(__pud(raw));
	case MMLENS_LEVEL_PMD:
		return pmd_pfn(__pmd(raw));
	default:
		return pte_pfn(__pte(raw));
	}
}

/*
 * The page behind a present leaf at va, if it has a struct page worth
 * reading: not a PFN map or I/O mapping, not ZONE_DEVICE, not another special
 * mapping except the shared zero page.  The caller holds the lock of the
 * leaf, which keeps the page mapped and so allocated.
 */
bool mmlens_frame_page(struct vm_area_struct *vma, const struct mmlens_pte *rec,
		       unsigned long va, struct page **pagep)
{
	unsigned long pfn;

	if (rec->kind != MMLENS_KIND_PRESENT && rec->kind != MMLENS_KIND_PROT_NONE &&
	    rec->kind != MMLENS_KIND_MIGRATION)
		return false;
	if (vma->vm_flags & (VM_PFNMAP | VM_IO))
		return false;
	if (rec->flags & MMLENS_F_DEVMAP)
		return false;
	pfn = rec->pfn + ((va - rec->va) >> PAGE_SHIFT);
	if ((rec->flags & MMLENS_F_SPECIAL) && !is_zero_pfn(pfn))
		return false;
	if (!pfn_valid(pfn))
		return false;
	*pagep = pfn_to_page(pfn);
	return true;
}

/* The KPF_* bits /proc/kpageflags copies from the page flags k. */
static __always_inline u32 kpf_of_flags(unsigned long k)
{
	u32 kpf = move_bit(k, PG_locked, KPF_LOCKED) |
		  move_bit(k, PG_referenced, KPF_REFERENCED) |
		  move_bit(k, PG_uptodate, KPF_UPTODATE) |
		  move_bit(k, PG_dirty, KPF_DIRTY) |
		  move_bit(k, PG_lru, KPF_LRU) |
		  move_bit(k, PG_active, KPF_ACTIVE) |
		  move_bit(k, PG_writeback, KPF_WRITEBACK) |
		  move_bit(k, PG_reclaim, KPF_RECLAIM) |
		  move_bit(k, PG_swapbacked, KPF_SWAPBACKED) |
		  move_bit(k, PG_unevictable, KPF_UNEVICTABLE);

	if ((k & (1UL << PG_swapbacked)) && (k & (1UL << PG_swapcache)))
		kpf |= 1U << KPF_SWAPCACHE;
	return kpf;
}

/* KPF_ANON and KPF_KSM, which the folio's mapping pointer encodes. */
static __always_inline u32 kpf_of_mapping(unsigned long mapping)
{
	if (!(mapping & PAGE_MAPPING_ANON))
		return 0;
	if ((mapping & PAGE_MAPPING_FLAGS) == PAGE_MAPPING_KSM)
		return (1U << KPF_ANON) | (1U << KPF_KSM);
	return 1U << KPF_ANON;
}

/*
 * The KPF_* bits /proc/kpageflags would report for page (those meaningful
 * for mapped memory).  Like kpageflags, the page flags are read once and
 * tested as a word; compound-page facts come from the folio's head.
 */
static u32 frame_kpf(struct folio *folio, struct page *page, unsigned long pfn)
{
	unsigned long head = READ_ONCE(folio->flags);
	u32 kpf = kpf_of_flags(mmlens_kpf_flags(folio, page)) |
		  kpf_of_mapping((unsigned long)READ_ONCE(folio->mapping));

	/* Records keep KPF_* in 32 bits: KPF_ZERO_PAGE is the highest reported. */
	BUILD_BUG_ON(KPF_ZERO_PAGE >= 32);
	if (page != &folio->page)
		kpf |= 1U << KPF_COMPOUND_TAIL;
	else if (head & (1UL << PG_head))
		kpf |= 1U << KPF_COMPOUND_HEAD;
	if (head & (1UL << PG_head)) {
		if (folio_test_hugetlb(folio))
			kpf |= 1U << KPF_HUGE;
		else if (mmlens_folio_is_thp(folio))
			kpf |= 1U << KPF_THP;
	}
	if (is_zero_pfn(pfn))
		kpf |= 1U << KPF_ZERO_PAGE;
	if (folio_mapped(folio))
		kpf |= 1U << KPF_MMAP;
	return kpf;
}

/* The caller keeps page allocated (leaf lock held, or a reference). */
void mmlens_frame_read(struct page *page, struct mmlens_frame *frame)
{
	struct folio *folio = page_folio(page);

	frame->pfn = page_to_pfn(page);
	frame->kpf = frame_kpf(folio, page, frame->pfn);
	frame->refcount = folio_ref_count(folio);
	frame->mapcount = mmlens_page_mapcount(folio, page);
	frame->folio_mapcount = mmlens_folio_mapcount(folio);
	frame->order = folio_order(folio);
	frame->nid = page_to_nid(page);
}

/* Frame fields of a record, from the page given (its first, or the one asked about). */
void mmlens_record_frame(struct mmlens_pte *rec, struct page *page)
{
	struct folio *folio = page_folio(page);

	rec->flags |= MMLENS_F_HAS_FRAME;
	rec->frame_flags = frame_kpf(folio, page, page_to_pfn(page));
	rec->refcount = folio_ref_count(folio);
	rec->mapcount = mmlens_page_mapcount(folio, page);
	/* pagemap's "exclusively mapped" bit, which it sets for mapped pages only. */
	if (rec->kind != MMLENS_KIND_MIGRATION && rec->mapcount == 1)
		rec->flags |= MMLENS_F_EXCLUSIVE;
}

/*
 * Decode the leaf entry raw found at level for the mapping starting at va.
 * Every field is stored one by one: a memset() of the record is a
 * rep-string loop that emulators run slowly.
 */
void mmlens_decode_leaf(unsigned long va, u64 raw, int level, struct mmlens_pte *rec)
{
	BUILD_BUG_ON(sizeof(*rec) != 48);
	BUILD_BUG_ON(MMLENS_F_EXCLUSIVE > U32_MAX);
	rec->va = va;
	rec->entry = raw;
	rec->pfn = 0;
	rec->flags = 0;
	rec->frame_flags = 0;
	rec->nr = 1;
	rec->refcount = 0;
	rec->mapcount = 0;
	rec->level = level;
	rec->kind = MMLENS_KIND_NONE;
	rec->swap_type = 0;
	rec->pkey = 0;

	if (pte_none(__pte(raw)))
		return;		/* MMLENS_KIND_NONE */
	if (!(raw & (_PAGE_PRESENT | _PAGE_PROTNONE))) {
		decode_swap_entry(raw, rec);
	} else {
		rec->kind = (raw & _PAGE_PRESENT) ? MMLENS_KIND_PRESENT : MMLENS_KIND_PROT_NONE;
		rec->flags = entry_flags(raw, level);
		rec->pfn = leaf_pfn(raw, level);
		rec->pkey = (raw & _PAGE_PKEY_MASK) >> _PAGE_BIT_PKEY_BIT0;
	}
}

/* Flags a record takes from its frame: a run has those of its first page. */
#define FRAME_FLAGS (MMLENS_F_HAS_FRAME | MMLENS_F_EXCLUSIVE)

/* Does rec continue the run last ends with (same kind of entry, next frame)? */
static bool continues_run(const struct mmlens_pte *last, const struct mmlens_pte *rec)
{
	u64 span = (u64)last->nr * mmlens_level_pages(last->level);

	if (last->level != rec->level || last->kind != rec->kind ||
	    ((last->flags ^ rec->flags) & ~FRAME_FLAGS) ||
	    last->pkey != rec->pkey || last->va + (span << PAGE_SHIFT) != rec->va)
		return false;
	switch (rec->kind) {
	case MMLENS_KIND_PRESENT:
	case MMLENS_KIND_PROT_NONE:
	case MMLENS_KIND_MIGRATION:
		return last->pfn + span == rec->pfn;
	case MMLENS_KIND_SWAP:
		return last->swap_type == rec->swap_type && last->swap_offset + span == rec->swap_offset;
	default:
		return false;
	}
}

/*
 * The record of the leaf entry raw at va: the next one of w->recs, or the
 * last one's nr + 1 when it continues a run.  Returns MMLENS_WALK_FULL, with
 * w->next = va, when it needs a record and there is no room left.  The
 * caller holds the leaf's lock: its frame stays mapped while we look.
 */
int mmlens_emit_leaf(struct mmlens_walk *w, struct vm_area_struct *vma, unsigned long va,
		     u64 raw, int level)
{
	struct mmlens_pte *last = w->n ? &w->recs[w->n - 1] : NULL;
	struct mmlens_pte spare, *rec = w->n < w->cap ? &w->recs[w->n] : &spare;
	struct page *page;

	mmlens_decode_leaf(va, raw, level, rec);
	if (w->runs && last && continues_run(last, rec)) {
		last->nr++;
	} else if (rec == &spare) {
		w->next = va;
		return MMLENS_WALK_FULL;
	} else {
		if (w->frames && mmlens_frame_page(vma, rec, va, &page))
			mmlens_record_frame(rec, page);
		w->n++;
	}
	/*
	 * The next frame with exactly these bits continues a run of present
	 * 4 KiB pages whatever it decodes to: let the walk skip decoding it.
	 */
	if (w->runs && rec->kind == MMLENS_KIND_PRESENT && level == MMLENS_LEVEL_PTE) {
		w->run_entry = raw + PAGE_SIZE;
		w->run_va = va + PAGE_SIZE;
	} else {
		w->run_entry = 0;
	}
	return 0;
}

/*
 * What the fast path worked out for the last entry and page it decoded:
 * neighbouring entries mostly differ only in their frame number, and their
 * pages only in their counts, so the flags are worked out again only when
 * what they are made of changes.
 */
struct fast_memo {
	u64 bits;		/* an entry's bits outside its frame number... */
	u32 flags;		/* ...their entry_flags() */
	u8 pkey;
	unsigned long k;	/* page flags and the flag bits of the mapping... */
	unsigned long mapping;
	u32 kpf;		/* ...their KPF_* */
};

/*
 * The record of a present 4 KiB page of an order-0 folio (most of what a
 * dump of anonymous memory is made of), the fields the general path would
 * give it, with fewer loads and tests: raw is present, neither special (the
 * zero page is) nor devmap, and pfn has a memory map.  Returns false, having
 * written nothing that counts, for a page of a large folio.
 */
static __always_inline bool small_page_record(struct mmlens_pte *rec, unsigned long va,
					      u64 raw, unsigned long pfn, u64 pfn_mask,
					      struct fast_memo *m)
{
	struct page *page = pfn_to_page(pfn);
	unsigned long k, mapping;
	int mapcount;

	/* A tail page, or the head of a large folio. */
	if (READ_ONCE(page->compound_head) & 1)
		return false;
	k = READ_ONCE(page->flags);
	if (k & (1UL << PG_head))
		return false;
	mapcount = mmlens_small_page_mapcount(page);
	mapping = (unsigned long)READ_ONCE(page->mapping) & PAGE_MAPPING_FLAGS;

	/* entry_flags() reads nothing but the bits outside the frame number. */
	if ((raw & ~pfn_mask) != m->bits) {
		m->bits = raw & ~pfn_mask;
		/* raw is present: saying so again lets entry_flags() drop its tests of it. */
		m->flags = entry_flags(raw | _PAGE_PRESENT, MMLENS_LEVEL_PTE) | MMLENS_F_HAS_FRAME;
		m->pkey = (raw & _PAGE_PKEY_MASK) >> _PAGE_BIT_PKEY_BIT0;
	}
	if (k != m->k || mapping != m->mapping) {
		m->k = k;
		m->mapping = mapping;
		m->kpf = kpf_of_flags(k) | kpf_of_mapping(mapping);
	}
	rec->va = va;
	rec->entry = raw;
	rec->pfn = pfn;
	rec->flags = m->flags | (mapcount == 1 ? MMLENS_F_EXCLUSIVE : 0);
	rec->frame_flags = m->kpf | (mapcount > 0 ? 1U << KPF_MMAP : 0);
	rec->nr = 1;
	rec->refcount = page_ref_count(page);
	rec->mapcount = mapcount;
	rec->level = MMLENS_LEVEL_PTE;
	rec->kind = MMLENS_KIND_PRESENT;
	rec->swap_type = 0;
	rec->pkey = m->pkey;
	return true;
}

/*
 * The PTEs of a dump with frame data and without runs, in a mapping that is
 * no PFN or I/O map (what mmlens_frame_page() asks of the VMA, asked once):
 * present pages of order-0 folios take small_page_record(), the rest
 * mmlens_emit_leaf().  The loop keeps its state in locals, and asks
 * pfn_valid() once per memory subsection, for which it answers alike.
 */
static int emit_ptes_fast(struct mmlens_walk *w, struct vm_area_struct *vma, pte_t *pte,
			  unsigned long addr, unsigned long end)
{
	struct mmlens_pte *recs = w->recs;
	unsigned int n = w->n, cap = w->cap;
	unsigned long valid_sub = ULONG_MAX;
	/* Bits no present entry has, and page flags of no order-0 folio (PG_head). */
	struct fast_memo m = { .bits = 0, .k = ULONG_MAX };
	/* pte_pfn() of a present entry, with the physical mask read once. */
	u64 pfn_mask = PTE_PFN_MASK;
	int ret = 0;

	for (; addr < end; pte++, addr += PAGE_SIZE) {
		u64 raw = pte_val(ptep_get(pte));
		unsigned long pfn;

		if (pte_none(__pte(raw)))
			continue;
		if ((raw & (_PAGE_PRESENT | _PAGE_SPECIAL | _PAGE_DEVMAP)) == _PAGE_PRESENT &&
		    n < cap) {
			pfn = (raw & pfn_mask) >> PAGE_SHIFT;
			if (pfn >> PFN_SUBSECTION_SHIFT != valid_sub && pfn_valid(pfn))
				valid_sub = pfn >> PFN_SUBSECTION_SHIFT;
			if (pfn >> PFN_SUBSECTION_SHIFT == valid_sub &&
			    small_page_record(&recs[n], addr, raw, pfn, pfn_mask, &m)) {
				n++;
				continue;
			}
		}
		w->n = n;
		ret = mmlens_emit_leaf(w, vma, addr, raw, MMLENS_LEVEL_PTE);
		n = w->n;
		if (ret)
			break;
	}
	w->n = n;
	return ret;
}

/*
 * Records for the PTEs of [addr, end), from pte on, in a table the caller
 * has mapped and locked.
 */
int mmlens_emit_ptes(struct mmlens_walk *w, struct vm_area_struct *vma, pte_t *pte,
		     unsigned long addr, unsigned long end)
{
	int ret;

	if (w->frames && !w->runs && !(vma->vm_flags & (VM_PFNMAP | VM_IO)))
		return emit_ptes_fast(w, vma, pte, addr, end);
	for (; addr < end; pte++, addr += PAGE_SIZE) {
		u64 raw = pte_val(ptep_get(pte));

		if (w->run_entry && raw == w->run_entry && addr == w->run_va) {
			w->run_entry += PAGE_SIZE;
			w->run_va += PAGE_SIZE;
			w->recs[w->n - 1].nr++;
			continue;
		}
		if (pte_none(__pte(raw)))
			continue;
		ret = mmlens_emit_leaf(w, vma, addr, raw, MMLENS_LEVEL_PTE);
		if (ret)
			return ret;
	}
	return 0;
}
