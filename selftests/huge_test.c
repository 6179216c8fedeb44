// SPDX-License-Identifier: GPL-2.0
/*
 * Huge leaves: a transparent huge page and a 2M hugetlb page are one PMD
 * leaf, a 1G hugetlb page one PUD leaf.  TRANSLATE and GET_PTE report the
 * leaf with its first frame, PA = leaf base + offset for any VA inside, and
 * pagemap, kpageflags (KPF_THP, KPF_HUGE) and smaps agree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mmtest.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#define MAP_HUGE_1GB (30 << MAP_HUGE_SHIFT)

FIXTURE(huge) {
	struct mmlens_nl nl;
	int levels;
	pid_t pid;
	char *map;
	size_t len;
	char knob[128];		/* nr_hugepages file changed, "" if none */
	char saved[64];		/* its old value */
};

FIXTURE_SETUP(huge)
{
	ASSERT_EQ(0, mmlens_nl_open(&self->nl));
	self->levels = mmt_paging_levels();
	self->pid = getpid();
	self->map = MAP_FAILED;
	ASSERT_EQ(0, mmt_pin_cpu());
}

FIXTURE_TEARDOWN(huge)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->len);
	if (self->knob[0])
		mmt_write_file(self->knob, self->saved);
	mmlens_nl_close(&self->nl);
}

/*
 * Checks the huge leaf at base (size bytes) through VAs at several offsets:
 * one leaf, its first frame, PA = leaf PA + offset = pagemap's frame.
 */
static void expect_huge_leaf(struct __test_metadata *_metadata, struct mmlens_nl *nl, pid_t pid,
			     int levels, char *base, uint64_t size, unsigned int level,
			     int kpf_bit)
{
	const uint64_t offsets[] = { 0, 0x12345, size / 2 + 0x678, size - 1 };
	uint64_t base_pme, leaf_pfn, pme, kpf;
	struct mmt_ptes p = {};
	struct mmlens_nl_err err = {};
	struct mmt_view v;
	char buf[512];
	unsigned int i;

	ASSERT_EQ(0, mmt_pagemap(0, (uint64_t)base, &base_pme));
	ASSERT_TRUE(base_pme & PM_PRESENT);
	leaf_pfn = PM_PFN(base_pme);
	ASSERT_EQ(0ULL, leaf_pfn & (size / MMT_PAGE_SIZE - 1)) {
		TH_LOG("pagemap pfn %#llx of a %#llx-byte leaf is not aligned",
		       (unsigned long long)leaf_pfn, (unsigned long long)size);
	}

	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		uint64_t va = (uint64_t)base + offsets[i];

		mmt_view(_metadata, nl, pid, va, levels, &v);
		ASSERT_EQ(0, mmt_pagemap(0, va, &pme));
		EXPECT_EQ(MMLENS_KIND_PRESENT, WV(&v.w, KIND));
		EXPECT_EQ((uint64_t)level, WV(&v.w, LEAF_LEVEL)) {
			TH_LOG("va %#llx: leaf at %s", (unsigned long long)va,
			       mmt_level_name(WV(&v.w, LEAF_LEVEL)));
		}
		EXPECT_EQ(size, WV(&v.w, PAGE_SIZE));
		EXPECT_TRUE(WV(&v.w, FLAGS) & MMLENS_F_PSE) {
			TH_LOG("va %#llx: flags %s", (unsigned long long)va,
			       mmt_flags_str(WV(&v.w, FLAGS), buf, sizeof(buf)));
		}
		EXPECT_TRUE(WV(&v.w, FLAGS) & MMLENS_F_RW);
		EXPECT_TRUE(WV(&v.w, FLAGS) & MMLENS_F_DIRTY);
		/* The leaf's frame is its first; va's own is pagemap's. */
		EXPECT_EQ(leaf_pfn, WV(&v.w, PFN));
		EXPECT_EQ((leaf_pfn << 12) + offsets[i], WV(&v.w, PA));
		EXPECT_EQ(PM_PFN(pme), WV(&v.w, PA) >> 12) {
			TH_LOG("va %#llx: pagemap pfn %#llx, module pa %#llx",
			       (unsigned long long)va, (unsigned long long)PM_PFN(pme),
			       (unsigned long long)WV(&v.w, PA));
		}
		EXPECT_EQ(PM_PFN(pme), FV(&v.w.frame, PFN));
		EXPECT_TRUE(FV(&v.w.frame, FLAGS) & KPFB(kpf_bit));
		ASSERT_EQ(0, mmt_kpageflags(PM_PFN(pme), &kpf));
		EXPECT_TRUE(kpf & KPFB(kpf_bit));
		/* Head or tail, as kpageflags says. */
		EXPECT_EQ(offsets[i] < MMT_PAGE_SIZE,
			  !!(FV(&v.w.frame, FLAGS) & KPFB(KPF_COMPOUND_HEAD)));
		EXPECT_EQ(offsets[i] >= MMT_PAGE_SIZE,
			  !!(FV(&v.w.frame, FLAGS) & KPFB(KPF_COMPOUND_TAIL)));
		EXPECT_EQ((uint64_t)__builtin_ctzll(size / MMT_PAGE_SIZE), FV(&v.w.frame, ORDER));
		EXPECT_EQ(1ULL, FV(&v.w.frame, FOLIO_MAPCOUNT));
		/* The record covers the whole leaf, from its aligned start. */
		ASSERT_EQ(1, v.nrec);
		EXPECT_EQ((uint64_t)base, v.rec.va);
		EXPECT_EQ(leaf_pfn, v.rec.pfn);
		EXPECT_EQ((uint64_t)level, (uint64_t)v.rec.level);
		EXPECT_EQ(size, mmt_level_size(v.rec.level));
	}

	/* A dump over the whole leaf has that one record. */
	ASSERT_EQ(0, mmt_get_ptes(nl, pid, (uint64_t)base, (uint64_t)base + size, false, &p, &err)) {
		TH_LOG("%s %s", err.msg, mmt_parse_error);
	}
	EXPECT_EQ(1UL, p.n);
	if (p.n >= 1) {
		EXPECT_EQ((uint64_t)base, p.rec[0].va);
		EXPECT_EQ(leaf_pfn, p.rec[0].pfn);
		EXPECT_EQ(1U, p.rec[0].nr);
	}
	mmt_ptes_free(&p);
}

/* The VMA at base, through GET_VMA. */
static void expect_vma_leaves(struct __test_metadata *_metadata, struct mmlens_nl *nl, pid_t pid,
			      char *base, uint64_t len, uint64_t page_size, uint64_t pmd_leaves,
			      uint64_t pud_leaves)
{
	struct mmlens_nl_err err = {};
	struct mmt_vmas v = {};
	long rss;

	ASSERT_EQ(0, mmt_get_vmas(nl, pid, (uint64_t)base, (uint64_t)base + len, &v, &err)) {
		TH_LOG("%s %s", err.msg, mmt_parse_error);
	}
	ASSERT_EQ(1, v.n);
	EXPECT_LE(VV(&v.vma[0], START), (uint64_t)base);
	EXPECT_GE(VV(&v.vma[0], END), (uint64_t)base + len);
	EXPECT_EQ(page_size, VV(&v.vma[0], PAGE_SIZE));
	EXPECT_EQ(pmd_leaves, VV(&v.vma[0], PMD_LEAVES));
	EXPECT_EQ(pud_leaves, VV(&v.vma[0], PUD_LEAVES));
	EXPECT_EQ(len / MMT_PAGE_SIZE, VV(&v.vma[0], RESIDENT));
	/* smaps counts hugetlb memory apart from Rss. */
	if (page_size > MMT_PAGE_SIZE)
		rss = mmt_smaps_kb(0, VV(&v.vma[0], START), "Private_Hugetlb:") +
		      mmt_smaps_kb(0, VV(&v.vma[0], START), "Shared_Hugetlb:");
	else
		rss = mmt_smaps_kb(0, VV(&v.vma[0], START), "Rss:");
	EXPECT_EQ((uint64_t)rss * 1024 / MMT_PAGE_SIZE, VV(&v.vma[0], RESIDENT));
	EXPECT_TRUE(VHAS(&v.vma[0], ANON_VMA));
	mmt_vmas_free(&v);
}

TEST_F_TIMEOUT(huge, touched_thp_is_one_pmd_leaf_as_pagemap_and_kpageflags_say, 120)
{
	char *p;
	uint64_t pme, kpf;
	long ahp;
	int i;

	if (!mmt_thp_available())
		SKIP(return, "transparent huge pages are unavailable (not built, or enabled = never)");

	self->len = MMT_PMD_SIZE;
	self->map = mmt_map_thp();
	ASSERT_NE(MAP_FAILED, self->map);
	p = self->map;
	for (i = 0; i < 512; i += 37)
		p[i * MMT_PAGE_SIZE] = i;

	ASSERT_EQ(0, mmt_pagemap(0, (uint64_t)p, &pme));
	ASSERT_TRUE(pme & PM_PRESENT);
	ASSERT_EQ(0, mmt_kpageflags(PM_PFN(pme), &kpf));
	ahp = mmt_smaps_kb(0, (uint64_t)p, "AnonHugePages:");
	if (!(kpf & KPFB(KPF_THP)) || ahp < 2048)
		SKIP(return, "the kernel gave no THP (kpageflags %#llx, AnonHugePages %ld kB)",
		     (unsigned long long)kpf, ahp);

	expect_huge_leaf(_metadata, &self->nl, self->pid, self->levels, p, MMT_PMD_SIZE,
			 MMLENS_LEVEL_PMD, KPF_THP);
	expect_vma_leaves(_metadata, &self->nl, self->pid, p, self->len, MMT_PAGE_SIZE, 1, 0);
}

/*
 * Makes n hugetlb pages of size kb free: those already free (the VM reserves
 * a 1G page at boot), else n more; returns false if impossible.
 */
static bool reserve_hugetlb(struct __test_metadata *_metadata, FIXTURE_DATA(huge) *self,
			    unsigned long kb, unsigned long n)
{
	char free_path[128], val[32], now[32];

	snprintf(free_path, sizeof(free_path),
		 "/sys/kernel/mm/hugepages/hugepages-%lukB/free_hugepages", kb);
	self->knob[0] = '\0';	/* nothing to restore yet */
	if (!mmt_read_file(free_path, now, sizeof(now)) && strtoul(now, NULL, 10) >= n)
		return true;
	snprintf(self->knob, sizeof(self->knob),
		 "/sys/kernel/mm/hugepages/hugepages-%lukB/nr_hugepages", kb);
	if (mmt_read_file(self->knob, self->saved, sizeof(self->saved))) {
		self->knob[0] = '\0';
		return false;
	}
	snprintf(val, sizeof(val), "%lu", strtoul(self->saved, NULL, 10) + n);
	if (mmt_write_file(self->knob, val))
		return false;
	return !mmt_read_file(free_path, now, sizeof(now)) && strtoul(now, NULL, 10) >= n;
}

TEST_F_TIMEOUT(huge, hugetlb_2m_page_is_one_pmd_leaf_as_pagemap_says, 120)
{
	char *p;
	int i;

	if (!reserve_hugetlb(_metadata, self, 2048, 2))
		SKIP(return, "cannot reserve 2M hugetlb pages");
	self->len = MMT_PMD_SIZE;
	self->map = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	p = self->map;
	for (i = 0; i < 512; i += 51)
		p[i * MMT_PAGE_SIZE] = i;

	expect_huge_leaf(_metadata, &self->nl, self->pid, self->levels, p, MMT_PMD_SIZE,
			 MMLENS_LEVEL_PMD, KPF_HUGE);
	expect_vma_leaves(_metadata, &self->nl, self->pid, p, self->len, MMT_PMD_SIZE, 1, 0);
}

TEST_F_TIMEOUT(huge, hugetlb_1g_page_is_one_pud_leaf_as_pagemap_says, 300)
{
	char *p;

	/* A free, aligned 1G: make it likelier. */
	mmt_write_file("/proc/sys/vm/drop_caches", "3");
	mmt_write_file("/proc/sys/vm/compact_memory", "1");
	if (!reserve_hugetlb(_metadata, self, 1048576, 1))
		SKIP(return, "cannot reserve a 1G hugetlb page (no gigantic pages, or memory too fragmented)");
	self->len = MMT_PUD_SIZE;
	self->map = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB, -1, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	p = self->map;
	p[0] = 1;
	p[MMT_PUD_SIZE - 1] = 2;

	expect_huge_leaf(_metadata, &self->nl, self->pid, self->levels, p, MMT_PUD_SIZE,
			 MMLENS_LEVEL_PUD, KPF_HUGE);
	expect_vma_leaves(_metadata, &self->nl, self->pid, p, self->len, MMT_PUD_SIZE, 0, 1);
}

TEST_HARNESS_MAIN
