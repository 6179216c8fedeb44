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

static unsigned int level_shift(int level)
{
	switch (level) {
	case MMLENS_LEVEL_PUD:
		return PUD_SHIFT;
	case MMLENS_LEVEL_PMD:
		return PMD_SHIFT;
	default:
		return PAGE_SHIFT;
	}
}

/*
 * MMLENS_F_* of any entry, read as the level it was found at.  This runs for
 * every entry of a dump, so the bits the UAPI numbers like the hardware
 * (present to dirty, bits 0-6) are copied in one go.
 */
u64 mmlens_entry_flags(u64 raw, int level)
{
	bool present = raw & _PAGE_PRESENT;
	u64 flags = raw & (MMLENS_F_PRESENT | MMLENS_F_RW | MMLENS_F_USER | MMLENS_F_PWT |
			   MMLENS_F_PCD | MMLENS_F_ACCESSED | MMLENS_F_DIRTY);

	BUILD_BUG_ON(MMLENS_F_PRESENT != _PAGE_PRESENT || MMLENS_F_RW != _PAGE_RW ||
		     MMLENS_F_USER != _PAGE_USER || MMLENS_F_PWT != _PAGE_PWT ||
		     MMLENS_F_PCD != _PAGE_PCD || MMLENS_F_ACCESSED != _PAGE_ACCESSED ||
		     MMLENS_F_DIRTY != _PAGE_DIRTY);
	if (raw & _PAGE_NX)
		flags |= MMLENS_F_NX;
	if (raw & _PAGE_SOFT_DIRTY)
		flags |= MMLENS_F_SOFT_DIRTY;
	if (raw & _PAGE_UFFD_WP)
		flags |= MMLENS_F_UFFD_WP;
	if (raw & _PAGE_SPECIAL)
		flags |= MMLENS_F_SPECIAL;
	if (raw & _PAGE_DEVMAP)
		flags |= MMLENS_F_DEVMAP;
	if (raw & MMLENS_PAGE_SAVED_DIRTY)
		flags |= MMLENS_F_SAVED_DIRTY;

	/* Bit 7 is PAT in a 4K PTE and PSE above; bit 8 is GLOBAL only when present. */
	if (level == MMLENS_LEVEL_PTE) {
		if (raw & _PAGE_PAT)
			flags |= MMLENS_F_PAT;
	} else {
		if (raw & _PAGE_PSE)
			flags |= MMLENS_F_PSE;
		if ((raw & _PAGE_PSE) && (raw & _PAGE_PAT_LARGE))
			flags |= MMLENS_F_PAT;
	}
	if (present && (raw & _PAGE_GLOBAL))
		flags |= MMLENS_F_GLOBAL;
	if (!present && (raw & _PAGE_PROTNONE))
		flags |= MMLENS_F_PROTNONE;

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

/*
 * The KPF_* bits /proc/kpageflags would report for page (those meaningful
 * for mapped memory).  Like kpageflags, the page flags are read once and
 * tested as a word (this runs for every entry of a dump); compound-page
 * facts come from the folio's head.
 */
static u64 frame_kpf(struct folio *folio, struct page *page, unsigned long pfn)
{
	static const struct { u8 pg, kpf; } copied[] = {
		{ PG_locked, KPF_LOCKED },
		{ PG_referenced, KPF_REFERENCED },
		{ PG_uptodate, KPF_UPTODATE },
		{ PG_dirty, KPF_DIRTY },
		{ PG_lru, KPF_LRU },
		{ PG_active, KPF_ACTIVE },
		{ PG_writeback, KPF_WRITEBACK },
		{ PG_reclaim, KPF_RECLAIM },
		{ PG_swapbacked, KPF_SWAPBACKED },
		{ PG_unevictable, KPF_UNEVICTABLE },
	};
	unsigned long k = mmlens_kpf_flags(folio, page);
	unsigned long head = READ_ONCE(folio->flags);
	unsigned long mapping = (unsigned long)READ_ONCE(folio->mapping);
	u64 kpf = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(copied); i++)
		kpf |= (u64)((k >> copied[i].pg) & 1) << copied[i].kpf;
	if ((k & (1UL << PG_swapbacked)) && (k & (1UL << PG_swapcache)))
		kpf |= 1ULL << KPF_SWAPCACHE;
	if (mapping & PAGE_MAPPING_ANON) {
		kpf |= 1ULL << KPF_ANON;
		if ((mapping & PAGE_MAPPING_FLAGS) == PAGE_MAPPING_KSM)
			kpf |= 1ULL << KPF_KSM;
	}
	if (page != &folio->page)
		kpf |= 1ULL << KPF_COMPOUND_TAIL;
	else if (head & (1UL << PG_head))
		kpf |= 1ULL << KPF_COMPOUND_HEAD;
	if (head & (1UL << PG_head)) {
		if (folio_test_hugetlb(folio))
			kpf |= 1ULL << KPF_HUGE;
		else if (mmlens_folio_is_thp(folio))
			kpf |= 1ULL << KPF_THP;
	}
	if (is_zero_pfn(pfn))
		kpf |= 1ULL << KPF_ZERO_PAGE;
	if (folio_mapped(folio))
		kpf |= 1ULL << KPF_MMAP;
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
 * Every field is stored one by one: this runs for every entry of a dump, and
 * a memset() of the record is a rep-string loop that emulators run slowly.
 */
void mmlens_decode_leaf(unsigned long va, u64 raw, int level, struct mmlens_pte *rec)
{
	rec->va = va;
	rec->entry = raw;
	rec->pfn = 0;
	rec->swap_offset = 0;
	rec->flags = 0;
	rec->frame_flags = 0;
	rec->nr = 1;
	rec->refcount = 0;
	rec->mapcount = 0;
	rec->level = level;
	rec->kind = MMLENS_KIND_NONE;
	rec->swap_type = 0;
	rec->pkey = 0;
	rec->page_shift = level_shift(level);
	memset(rec->reserved, 0, sizeof(rec->reserved));

	if (pte_none(__pte(raw)))
		return;		/* MMLENS_KIND_NONE */
	if (!(raw & (_PAGE_PRESENT | _PAGE_PROTNONE))) {
		decode_swap_entry(raw, rec);
	} else {
		rec->kind = (raw & _PAGE_PRESENT) ? MMLENS_KIND_PRESENT : MMLENS_KIND_PROT_NONE;
		rec->flags = mmlens_entry_flags(raw, level);
		rec->pfn = leaf_pfn(raw, level);
		rec->pkey = (raw & _PAGE_PKEY_MASK) >> _PAGE_BIT_PKEY_BIT0;
	}
}
