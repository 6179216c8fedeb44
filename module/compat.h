/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels mmlens supports lives here: Debian's
 * 6.1 and 6.12.  The cut-offs are the versions the differences were checked
 * against, not the upstream commits that introduced them.
 */
#ifndef _MMLENS_COMPAT_H
#define _MMLENS_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <net/genetlink.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0) || \
	LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#error "mmlens supports the 6.1 and 6.12 kernels"
#endif

#define MMLENS_NEW_MM (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0))

/* Faults handled under the per-VMA lock (6.4+). */
#if MMLENS_NEW_MM
#define MMLENS_FAULT_FLAG_VMA_LOCK FAULT_FLAG_VMA_LOCK
#else
#define MMLENS_FAULT_FLAG_VMA_LOCK 0
#endif

/* Attributes of a dump request (6.12 wraps them in a genl_info). */
static inline struct nlattr **mmlens_dump_attrs(struct netlink_callback *cb)
{
#if MMLENS_NEW_MM
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/* Exact rss counter: 6.12's per-CPU counters are only approximate when read plainly. */
static inline unsigned long mmlens_mm_counter(struct mm_struct *mm, int member)
{
#if MMLENS_NEW_MM
	return get_mm_counter_sum(mm, member);
#else
	return get_mm_counter(mm, member);
#endif
}

/* 6.12 keeps the hardware dirty bit of write-protected entries here (shadow stacks). */
#ifdef _PAGE_SAVED_DIRTY
#define MMLENS_PAGE_SAVED_DIRTY _PAGE_SAVED_DIRTY
#else
#define MMLENS_PAGE_SAVED_DIRTY 0
#endif

/*
 * Mappings of one page, counted as /proc/PID/pagemap counts them for its
 * "exclusively mapped" bit: page_mapcount() on 6.1; on 6.12 the page's own
 * mappings plus the folio's PMD mappings (what fs/proc calls the precise
 * page mapcount; page_mapcount() is gone there).
 */
static inline unsigned int mmlens_page_mapcount(struct folio *folio, struct page *page)
{
#if MMLENS_NEW_MM
	int mapcount = atomic_read(&page->_mapcount) + 1;

	if (page_mapcount_is_type(mapcount))	/* the field holds a page type */
		mapcount = 0;
	if (folio_test_large(folio))
		mapcount += folio_entire_mapcount(folio);
	return mapcount;
#else
	return page_mapcount(page);
#endif
}

/*
 * mmlens_page_mapcount() of a page known to be an order-0 folio, without
 * looking at the folio again.
 */
static inline int mmlens_small_page_mapcount(struct page *page)
{
	int mapcount = atomic_read(&page->_mapcount) + 1;

#if MMLENS_NEW_MM
	if (page_mapcount_is_type(mapcount))
		mapcount = 0;
#endif
	return mapcount;
}

/* Mappings of the whole folio (folio_mapcount() is not exported on 6.1). */
static inline unsigned int mmlens_folio_mapcount(struct folio *folio)
{
#if MMLENS_NEW_MM
	return folio_mapcount(folio);
#else
	unsigned int i, mapcount;

	if (!folio_test_large(folio))
		return page_mapcount(&folio->page);
	mapcount = folio_entire_mapcount(folio);
	for (i = 0; i < folio_nr_pages(folio); i++)
		mapcount += atomic_read(&folio_page(folio, i)->_mapcount) + 1;
	return mapcount;
#endif
}

/* Is this folio a transparent huge page, as /proc/kpageflags' KPF_THP says? */
static inline bool mmlens_folio_is_thp(struct folio *folio)
{
#if MMLENS_NEW_MM
	return folio_test_large(folio) && !folio_test_hugetlb(folio) &&
	       folio_test_large_rmappable(folio);
#else
	return folio_test_large(folio) && !folio_test_hugetlb(folio) &&
	       (folio_test_lru(folio) || folio_test_anon(folio));
#endif
}

/*
 * The flags word /proc/kpageflags copies its per-page bits from: the page's
 * own on 6.1 (a tail page has few), the folio's on 6.12.
 */
static inline unsigned long mmlens_kpf_flags(struct folio *folio, struct page *page)
{
#if MMLENS_NEW_MM
	return READ_ONCE(folio->flags);
#else
	return READ_ONCE(page->flags);
#endif
}

/*
 * A poisoned-page marker: a PTE marker bit on 6.12, a swap type of its own
 * ("swapin error") on 6.1.
 */
static inline bool mmlens_entry_is_poison_marker(swp_entry_t entry)
{
#if MMLENS_NEW_MM
	return is_poisoned_swp_entry(entry);
#else
	return is_swapin_error_entry(entry);
#endif
}

#endif /* _MMLENS_COMPAT_H */
