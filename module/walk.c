// SPDX-License-Identifier: GPL-2.0
/*
 * Walking another process's page tables without changing them, with the
 * locks the core mm uses:
 *
 *  - the caller holds mmap_read_lock, and walks only inside VMAs found under
 *    it: upper-level tables of live VMAs are then freed by nobody (munmap may
 *    free tables of detached VMAs under a downgraded read lock, so addresses
 *    outside VMAs are never walked);
 *  - hugetlb VMAs additionally under i_mmap_lock_read, because shared PMD
 *    tables can be unshared and freed under mmap_read_lock;
 *  - huge and non-present PUD/PMD entries are re-read under their lock, which
 *    THP split, collapse and migration hold while they change them;
 *  - PTE tables are mapped under RCU from a snapshot of the PMD, and the PMD
 *    is checked again under the PTE lock: since 6.5, khugepaged and
 *    MADV_COLLAPSE retract file PTE tables without mmap_lock and free them
 *    after an RCU grace period (on 6.1 the recheck simply never fails);
 *  - no sleeping under those locks; cond_resched() between PMD ranges, and
 *    fatal signals end the walk.
 */
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/swapops.h>

#include "walk.h"

/*
 * Map the PTE table under pmdp and lock it, or return NULL when pmdp no
 * longer points to a table (it became empty, a huge leaf, or is changing).
 */
static pte_t *pte_map_lock(struct mm_struct *mm, pmd_t *pmdp, unsigned long addr,
			   spinlock_t **ptlp)
{
	spinlock_t *ptl;
	pmd_t pmd;
	pte_t *pte;

	rcu_read_lock();
	pmd = READ_ONCE(*pmdp);
	if (pmd_none(pmd) || !pmd_present(pmd) || pmd_leaf(pmd) || pmd_bad(pmd)) {
		rcu_read_unlock();
		return NULL;
	}
	pte = pte_offset_kernel(&pmd, addr);
	ptl = pte_lockptr(mm, &pmd);
	spin_lock(ptl);
	if (likely(pmd_same(pmd, READ_ONCE(*pmdp)))) {
		*ptlp = ptl;
		return pte;	/* RCU stays held until pte_unmap_unlock_rcu() */
	}
	spin_unlock(ptl);
	rcu_read_unlock();
	return NULL;
}

static void pte_unlock_unmap(spinlock_t *ptl)
{
	spin_unlock(ptl);
	rcu_read_unlock();
}

static int walk_ptes(struct mmlens_walk *w, struct vm_area_struct *vma, pmd_t *pmdp,
		     unsigned long addr, unsigned long end)
{
	spinlock_t *ptl;
	pte_t *start;
	int ret;

	start = pte_map_lock(w->mm, pmdp, addr, &ptl);
	if (!start)
		return -EAGAIN;
	ret = mmlens_emit_ptes(w, vma, start, addr, end);
	pte_unlock_unmap(ptl);
	return ret;
}

/* A huge or non-present PMD, decided under the PMD lock. */
static int walk_pmd_leaf(struct mmlens_walk *w, struct vm_area_struct *vma, pmd_t *pmdp,
			 unsigned long addr, bool *is_table)
{
	spinlock_t *ptl = pmd_lock(w->mm, pmdp);
	pmd_t pmd = READ_ONCE(*pmdp);
	int ret = 0;

	*is_table = false;
	if (pmd_leaf(pmd) || (!pmd_none(pmd) && !pmd_present(pmd)))
		ret = mmlens_emit_leaf(w, vma, addr & PMD_MASK, pmd_val(pmd), MMLENS_LEVEL_PMD);
	else if (!pmd_none(pmd))
		*is_table = true;	/* split while we waited for the lock */
	spin_unlock(ptl);
	return ret;
}

static int walk_pmds(struct mmlens_walk *w, struct vm_area_struct *vma, pud_t *pudp,
		     unsigned long addr, unsigned long end)
{
	pmd_t *pmdp = pmd_offset(pudp, addr);
	unsigned long next;
	int ret = 0;

	for (; addr < end; pmdp++, addr = next) {
		bool is_table = true;
		pmd_t pmd;

		next = pmd_addr_end(addr, end);
again:
		pmd = READ_ONCE(*pmdp);
		if (pmd_none(pmd))
			continue;
		if (pmd_leaf(pmd) || !pmd_present(pmd) || pmd_devmap(pmd)) {
			ret = walk_pmd_leaf(w, vma, pmdp, addr, &is_table);
			if (ret)
				return ret;
		} else if (pmd_bad(pmd)) {
			continue;	/* corrupt: the kernel reports it, mmlens does not walk it */
		}
		if (is_table) {
			ret = walk_ptes(w, vma, pmdp, addr, next);
			if (ret == -EAGAIN)
				goto again;	/* the table changed under us: look again */
			if (ret)
				return ret;
		}
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

static int walk_puds(struct mmlens_walk *w, struct vm_area_struct *vma, p4d_t *p4dp,
		     unsigned long addr, unsigned long end)
{
	pud_t *pudp = pud_offset(p4dp, addr);
	unsigned long next;
	int ret;

	for (; addr < end; pudp++, addr = next) {
		pud_t pud = READ_ONCE(*pudp);

		next = pud_addr_end(addr, end);
		if (pud_none(pud))
			continue;
		if (pud_leaf(pud) || !pud_present(pud)) {
			spinlock_t *ptl = pud_lock(w->mm, pudp);

			pud = READ_ONCE(*pudp);
			ret = 0;
			if (pud_leaf(pud) || (!pud_none(pud) && !pud_present(pud)))
				ret = mmlens_emit_leaf(w, vma, addr & PUD_MASK, pud_val(pud),
						      MMLENS_LEVEL_PUD);
			spin_unlock(ptl);
			if (ret)
				return ret;
			if (pud_leaf(pud) || pud_none(pud) || !pud_present(pud))
				continue;
		}
		ret = walk_pmds(w, vma, pudp, addr, next);
		if (ret)
			return ret;
	}
	return 0;
}

static int walk_vma(struct mmlens_walk *w, struct vm_area_struct *vma,
		    unsigned long addr, unsigned long end)
{
	pgd_t *pgdp = pgd_offset(w->mm, addr);
	unsigned long next;
	int ret = 0;

	for (; addr < end; pgdp++, addr = next) {
		p4d_t *p4dp;
		unsigned long p4d_next, a;

		next = pgd_addr_end(addr, end);
		if (pgd_none(READ_ONCE(*pgdp)))
			continue;
		/* With 4-level paging p4d_offset() folds onto the PGD entry. */
		p4dp = p4d_offset(pgdp, addr);
		for (a = addr; a < next; p4dp++, a = p4d_next) {
			p4d_next = p4d_addr_end(a, next);
			if (p4d_none(READ_ONCE(*p4dp)))
				continue;
			ret = walk_puds(w, vma, p4dp, a, p4d_next);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/*
 * hugetlb VMAs may share PMD tables between processes; unsharing one (which
 * can then be freed) needs i_mmap_rwsem for writing, so hold it for reading.
 */
static struct address_space *lock_shared_tables(struct vm_area_struct *vma)
{
	struct address_space *mapping;

	if (!is_vm_hugetlb_page(vma) || !vma->vm_file)
		return NULL;
	mapping = vma->vm_file->f_mapping;
	i_mmap_lock_read(mapping);
	return mapping;
}

static void unlock_shared_tables(struct address_space *mapping)
{
	if (mapping)
		i_mmap_unlock_read(mapping);
}

/*
 * Records for every non-empty leaf entry of the VMAs in [start, end), from
 * w->recs[w->n] on.  Returns 0 when done, MMLENS_WALK_FULL when w->recs
 * filled up (w->next says where to resume), or a negative errno.
 */
int mmlens_walk_range(struct mmlens_walk *w, unsigned long start, unsigned long end)
{
	struct vm_area_struct *vma;
	int ret = 0;

	for (vma = find_vma(w->mm, start); vma && vma->vm_start < end;
	     vma = find_vma(w->mm, vma->vm_end)) {
		unsigned long from = max(start, vma->vm_start);
		unsigned long to = min(end, vma->vm_end);
		struct address_space *mapping = lock_shared_tables(vma);

		ret = walk_vma(w, vma, from, to);
		unlock_shared_tables(mapping);
		if (ret)
			break;
	}
	return ret;
}

/*
 * A step says where the entry it read lies, its table and its index there,
 * from the entry's own address, so that table + index * 8 is that entry: for
 * the P4D of 4-level paging, which p4d_offset() folds onto the PGD entry,
 * the PGD entry's table and index.
 */
static struct mmlens_level_step *add_step(struct mmlens_translation *t, int level,
					  unsigned int shift, const void *entryp, u64 entry,
					  bool folded)
{
	struct mmlens_level_step *step = &t->steps[t->nr_steps++];

	step->level = level;
	step->shift = shift;
	step->index = offset_in_page(entryp) / sizeof(u64);
	step->table_pa = __pa((unsigned long)entryp & PAGE_MASK);
	step->entry = entry;
	step->folded = folded;
	return step;
}

/* The leaf of a translation, decoded under its lock, with the frame VA lies in. */
static void translate_leaf(struct mmlens_translation *t, struct vm_area_struct *vma,
			   unsigned long va, u64 raw, int level, unsigned long base)
{
	struct page *page;

	mmlens_decode_leaf(base, raw, level, &t->leaf);
	/* A record keeps a PFN where it would keep the swap offset: ask again. */
	if (t->leaf.kind != MMLENS_KIND_NONE && t->leaf.kind != MMLENS_KIND_PRESENT &&
	    t->leaf.kind != MMLENS_KIND_PROT_NONE)
		t->swap_offset = swp_offset(pte_to_swp_entry(__pte(raw)));
	if (raw && mmlens_frame_page(vma, &t->leaf, va & PAGE_MASK, &page)) {
		mmlens_record_frame(&t->leaf, page);
		mmlens_frame_read(page, &t->frame);
		t->has_frame = true;
	}
}

static void translate_walk(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long va,
			   struct mmlens_translation *t)
{
	struct mmlens_level_step *step;
	pgd_t *pgdp = pgd_offset(mm, va);
	spinlock_t *ptl;
	p4d_t *p4dp;
	pud_t *pudp, pud;
	pmd_t *pmdp, pmd;
	pte_t *ptep;
	u64 entry;

	entry = pgd_val(READ_ONCE(*pgdp));
	add_step(t, MMLENS_LEVEL_PGD, PGDIR_SHIFT, pgdp, entry, false);
	t->leaf.level = MMLENS_LEVEL_PGD;
	if (pgd_none(__pgd(entry)))
		return;

	p4dp = p4d_offset(pgdp, va);
	entry = p4d_val(READ_ONCE(*p4dp));
	add_step(t, MMLENS_LEVEL_P4D, P4D_SHIFT, p4dp, entry, !pgtable_l5_enabled());
	t->leaf.level = MMLENS_LEVEL_P4D;
	if (p4d_none(__p4d(entry)))
		return;

	pudp = pud_offset(p4dp, va);
	pud = READ_ONCE(*pudp);
	step = add_step(t, MMLENS_LEVEL_PUD, PUD_SHIFT, pudp, pud_val(pud), false);
	t->leaf.level = MMLENS_LEVEL_PUD;
	if (pud_none(pud))
		return;
	if (pud_leaf(pud) || !pud_present(pud)) {
		ptl = pud_lock(mm, pudp);
		pud = READ_ONCE(*pudp);
		step->entry = pud_val(pud);
		if (pud_leaf(pud) || !pud_present(pud))
			translate_leaf(t, vma, va, pud_val(pud), MMLENS_LEVEL_PUD, va & PUD_MASK);
		spin_unlock(ptl);
		if (pud_leaf(pud) || !pud_present(pud))
			return;
	}

	pmdp = pmd_offset(pudp, va);
again:
	pmd = READ_ONCE(*pmdp);
	t->nr_steps = MMLENS_LEVEL_PUD;	/* drop the PMD and PTE steps of a retry */
	step = add_step(t, MMLENS_LEVEL_PMD, PMD_SHIFT, pmdp, pmd_val(pmd), false);
	t->leaf.level = MMLENS_LEVEL_PMD;
	if (pmd_none(pmd))
		return;
	if (pmd_leaf(pmd) || !pmd_present(pmd) || pmd_devmap(pmd)) {
		ptl = pmd_lock(mm, pmdp);
		pmd = READ_ONCE(*pmdp);
		step->entry = pmd_val(pmd);
		if (pmd_leaf(pmd) || !pmd_present(pmd))
			translate_leaf(t, vma, va, pmd_val(pmd), MMLENS_LEVEL_PMD, va & PMD_MASK);
		spin_unlock(ptl);
		if (pmd_leaf(pmd) || !pmd_present(pmd))
			return;
	} else if (pmd_bad(pmd)) {
		return;
	}

	ptep = pte_map_lock(mm, pmdp, va, &ptl);
	if (!ptep)
		goto again;
	entry = pte_val(ptep_get(ptep));
	add_step(t, MMLENS_LEVEL_PTE, PAGE_SHIFT, ptep, entry, false);
	translate_leaf(t, vma, va, entry, MMLENS_LEVEL_PTE, va & PAGE_MASK);
	pte_unlock_unmap(ptl);
}

/*
 * Translate va as the MMU would, recording every level.  Without a VMA
 * covering va nothing is walked: the tables there may be freed at any time.
 */
void mmlens_translate(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long va,
		      struct mmlens_translation *t)
{
	struct address_space *mapping;

	memset(t, 0, sizeof(*t));
	t->leaf.va = va;
	if (!vma)
		return;
	mapping = lock_shared_tables(vma);
	translate_walk(mm, vma, va, t);
	unlock_shared_tables(mapping);
}

/* Count a table once, however many VMAs it serves (VMAs come in address order). */
static void count_table(u64 counts[], const void **last, int level, const void *table)
{
	if (last[level] == table)
		return;
	last[level] = table;
	counts[level]++;
}

static int count_vma_tables(struct mm_struct *mm, struct vm_area_struct *vma,
			    u64 counts[], const void **last)
{
	unsigned long addr, next, end = vma->vm_end;

	for (addr = vma->vm_start; addr < end; addr = next) {
		pgd_t *pgdp = pgd_offset(mm, addr);
		p4d_t *p4dp;
		pud_t *pudp, pud;
		pmd_t *pmdp, pmd;

		next = pmd_addr_end(addr, end);
		if (pgd_none(READ_ONCE(*pgdp))) {
			next = pgd_addr_end(addr, end);
			continue;
		}
		p4dp = p4d_offset(pgdp, addr);
		if (pgtable_l5_enabled())
			count_table(counts, last, MMLENS_LEVEL_P4D, (void *)((unsigned long)p4dp & PAGE_MASK));
		if (p4d_none(READ_ONCE(*p4dp))) {
			next = p4d_addr_end(addr, end);
			continue;
		}
		pudp = pud_offset(p4dp, addr);
		count_table(counts, last, MMLENS_LEVEL_PUD, (void *)((unsigned long)pudp & PAGE_MASK));
		pud = READ_ONCE(*pudp);
		if (pud_none(pud) || pud_leaf(pud) || !pud_present(pud)) {
			next = pud_addr_end(addr, end);
			continue;
		}
		pmdp = pmd_offset(pudp, addr);
		count_table(counts, last, MMLENS_LEVEL_PMD, (void *)((unsigned long)pmdp & PAGE_MASK));
		pmd = READ_ONCE(*pmdp);
		/* A PTE table is counted from its PMD entry, never mapped. */
		if (pmd_present(pmd) && !pmd_leaf(pmd) && !pmd_bad(pmd))
			count_table(counts, last, MMLENS_LEVEL_PTE, (void *)(pmd_pfn(pmd) << PAGE_SHIFT));
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/*
 * Page-table pages in use per level, found by walking the tables of every
 * VMA.  The PGD is one page, two with page-table isolation (its user copy).
 */
int mmlens_count_tables(struct mm_struct *mm, u64 counts[MMLENS_LEVEL_PTE + 1])
{
	const void *last[MMLENS_LEVEL_PTE + 1] = {};
	struct vm_area_struct *vma;
	VMA_ITERATOR(vmi, mm, 0);
	int ret = 0;

	memset(counts, 0, sizeof(counts[0]) * (MMLENS_LEVEL_PTE + 1));
	counts[MMLENS_LEVEL_PGD] = boot_cpu_has(X86_FEATURE_PTI) ? 2 : 1;
	for_each_vma(vmi, vma) {
		struct address_space *mapping = lock_shared_tables(vma);

		ret = count_vma_tables(mm, vma, counts, last);
		unlock_shared_tables(mapping);
		if (ret)
			break;
	}
	return ret;
}
