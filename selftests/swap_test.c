// SPDX-License-Identifier: GPL-2.0
/*
 * Swapped-out anonymous pages: with swap on a zram device, MADV_PAGEOUT turns
 * the test's PTEs into swap entries.  mmlens reports kind swap with the swap
 * type and offset pagemap shows, MMLENS_F_SWP_EXCLUSIVE exactly for pages
 * that were exclusive when swapped out (kpageflags' PG_anon_exclusive bit,
 * exported as bit 34 on 6.1 and 6.12), and per-VMA and per-mm swap counts
 * that agree with smaps and status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mmtest.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

/*
 * PG_anon_exclusive shares its bit with PG_mappedtodisk (6.1) / PG_owner_2
 * (6.12), which kpageflags exports as "hacker" bit 34 (KPF_MAPPEDTODISK,
 * later KPF_OWNER_2).
 */
#define KPF_ANON_EXCLUSIVE 34

#define NPAGES 16

FIXTURE(swap) {
	struct mmlens_nl nl;
	int levels;
	pid_t pid;
	bool swapon;
	char *map;
};

static bool zram_swap_on(void)
{
	if (access("/sys/block/zram0", F_OK) &&
	    mmt_system("modprobe zram num_devices=1 >/dev/null 2>&1"))
		return false;
	if (access("/sys/block/zram0", F_OK))
		return false;
	/* A previous test in this boot may have left it configured. */
	mmt_system("swapoff /dev/zram0 >/dev/null 2>&1");
	mmt_write_file("/sys/block/zram0/reset", "1");
	if (mmt_write_file("/sys/block/zram0/disksize", "64M"))
		return false;
	if (mmt_system("mkswap /dev/zram0 >/dev/null 2>&1"))
		return false;
	return mmt_system("swapon /dev/zram0 >/dev/null 2>&1") == 0;
}

FIXTURE_SETUP(swap)
{
	ASSERT_EQ(0, mmlens_nl_open(&self->nl));
	self->levels = mmt_paging_levels();
	self->pid = getpid();
	self->map = MAP_FAILED;
	ASSERT_EQ(0, mmt_pin_cpu());
	if (!zram_swap_on())
		SKIP(return, "cannot set up swap on zram (no zram module, mkswap or swapon)");
	self->swapon = true;
}

FIXTURE_TEARDOWN(swap)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, NPAGES * MMT_PAGE_SIZE);
	if (self->swapon) {
		mmt_system("swapoff /dev/zram0 >/dev/null 2>&1");
		mmt_write_file("/sys/block/zram0/reset", "1");
	}
	mmlens_nl_close(&self->nl);
}

static char *map_written(struct __test_metadata *_metadata, FIXTURE_DATA(swap) *self)
{
	char *p;
	int i;

	p = mmap(NULL, NPAGES * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	self->map = p;
	madvise(p, NPAGES * MMT_PAGE_SIZE, MADV_NOHUGEPAGE);
	for (i = 0; i < NPAGES; i++)
		memset(p + i * MMT_PAGE_SIZE, 'a' + i, MMT_PAGE_SIZE);
	return p;
}

/* Pages out [p, p + NPAGES); how many pagemap then shows swapped. */
static int page_out(struct __test_metadata *_metadata, char *p)
{
	uint64_t pme[NPAGES];
	int tries, i, swapped = 0;

	for (tries = 0; tries < 10; tries++) {
		if (madvise(p, NPAGES * MMT_PAGE_SIZE, MADV_PAGEOUT))
			return -errno;
		ASSERT_EQ(0, mmt_pagemap_range(0, (uint64_t)p, NPAGES, pme));
		for (swapped = 0, i = 0; i < NPAGES; i++)
			swapped += !!(pme[i] & PM_SWAP);
		if (swapped == NPAGES)
			break;
		usleep(100000);
	}
	return swapped;
}

static void expect_swapped(struct __test_metadata *_metadata, FIXTURE_DATA(swap) *self,
			   char *p, const bool *exclusive)
{
	struct mmt_view v;
	char buf[512];
	int i;

	for (i = 0; i < NPAGES; i++) {
		uint64_t va = (uint64_t)p + i * MMT_PAGE_SIZE;

		mmt_view(_metadata, &self->nl, self->pid, va, self->levels, &v);
		if (!(v.pme & PM_SWAP))
			continue;	/* reclaim declined this one */
		EXPECT_EQ(MMLENS_KIND_SWAP, WV(&v.w, KIND));
		EXPECT_EQ(MMLENS_LEVEL_PTE, WV(&v.w, LEAF_LEVEL));
		EXPECT_EQ(PM_SWAP_TYPE(v.pme), WV(&v.w, SWAP_TYPE));
		EXPECT_EQ(PM_SWAP_OFFSET(v.pme), WV(&v.w, SWAP_OFFSET)) {
			TH_LOG("page %d: pagemap swap offset %#llx", i,
			       (unsigned long long)PM_SWAP_OFFSET(v.pme));
		}
		EXPECT_EQ(PM_SWAP_TYPE(v.pme), (uint64_t)v.rec.swap_type);
		EXPECT_EQ(PM_SWAP_OFFSET(v.pme), v.rec.swap_offset);
		EXPECT_FALSE(WHAS(&v.w, PFN));
		EXPECT_FALSE(WV(&v.w, FLAGS) & (MMLENS_F_PRESENT | MMLENS_F_HAS_FRAME |
						MMLENS_F_EXCLUSIVE));
		EXPECT_EQ(exclusive[i], !!(WV(&v.w, FLAGS) & MMLENS_F_SWP_EXCLUSIVE)) {
			TH_LOG("page %d: %sexclusive when swapped out, flags %s", i,
			       exclusive[i] ? "" : "not ",
			       mmt_flags_str(WV(&v.w, FLAGS), buf, sizeof(buf)));
		}
		EXPECT_EQ(exclusive[i], !!(v.rec.flags & MMLENS_F_SWP_EXCLUSIVE));
		EXPECT_EQ(0, v.w.nframes);
	}
}

static void anon_exclusive_bits(struct __test_metadata *_metadata, char *p, bool *exclusive)
{
	uint64_t pme, kpf;
	int i;

	for (i = 0; i < NPAGES; i++) {
		ASSERT_EQ(0, mmt_pagemap(0, (uint64_t)p + i * MMT_PAGE_SIZE, &pme));
		ASSERT_TRUE(pme & PM_PRESENT);
		ASSERT_EQ(0, mmt_kpageflags(PM_PFN(pme), &kpf));
		exclusive[i] = kpf & KPFB(KPF_ANON_EXCLUSIVE);
	}
}

TEST_F_TIMEOUT(swap, paged_out_pages_are_swap_entries_as_pagemap_says, 120)
{
	bool exclusive[NPAGES];
	char *p = map_written(_metadata, self);
	int swapped, i;

	anon_exclusive_bits(_metadata, p, exclusive);
	/* Written by this process alone, never shared: all exclusive. */
	for (i = 0; i < NPAGES; i++)
		ASSERT_TRUE(exclusive[i]) {
			TH_LOG("kpageflags bit %d is not PG_anon_exclusive on this kernel",
			       KPF_ANON_EXCLUSIVE);
		}
	swapped = page_out(_metadata, p);
	if (swapped == -EINVAL)
		SKIP(return, "no MADV_PAGEOUT");
	ASSERT_GT(swapped, 0) {
		TH_LOG("MADV_PAGEOUT swapped nothing out");
	}
	expect_swapped(_metadata, self, p, exclusive);

	/* Read back: present again, as pagemap says, with the same data. */
	for (i = 0; i < NPAGES; i++)
		ASSERT_EQ('a' + i, p[i * MMT_PAGE_SIZE + 100]);
	for (i = 0; i < NPAGES; i++) {
		struct mmt_view v;

		mmt_view(_metadata, &self->nl, self->pid, (uint64_t)p + i * MMT_PAGE_SIZE,
			 self->levels, &v);
		EXPECT_TRUE(v.pme & PM_PRESENT);
		EXPECT_EQ(MMLENS_KIND_PRESENT, WV(&v.w, KIND));
		EXPECT_EQ(PM_PFN(v.pme), WV(&v.w, PFN));
	}
}

TEST_F_TIMEOUT(swap, pages_shared_by_a_fork_swap_out_without_swp_exclusive, 120)
{
	bool exclusive[NPAGES];
	char *p = map_written(_metadata, self);
	int swapped, i, status;
	pid_t child;

	/*
	 * Fork shares the pages (clearing PG_anon_exclusive); once the child is
	 * gone they are mapped once again but stay non-exclusive until written.
	 */
	child = fork();
	ASSERT_GE(child, 0);
	if (!child)
		_exit(0);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	anon_exclusive_bits(_metadata, p, exclusive);
	for (i = 0; i < NPAGES; i++)
		EXPECT_FALSE(exclusive[i]);
	swapped = page_out(_metadata, p);
	if (swapped == -EINVAL)
		SKIP(return, "no MADV_PAGEOUT");
	ASSERT_GT(swapped, 0);
	expect_swapped(_metadata, self, p, exclusive);
}

TEST_F_TIMEOUT(swap, swap_counts_agree_with_smaps_and_status, 120)
{
	char *p = map_written(_metadata, self);
	struct mmlens_nl_err err = {};
	struct mmt_vmas v = {};
	struct mmt_mm mm;
	long swap_kb, rss_kb, vmswap, vmswap2;
	int swapped, tries;

	swapped = page_out(_metadata, p);
	if (swapped == -EINVAL)
		SKIP(return, "no MADV_PAGEOUT");
	ASSERT_GT(swapped, 0);

	ASSERT_EQ(0, mmt_get_vmas(&self->nl, self->pid, (uint64_t)p,
				  (uint64_t)p + NPAGES * MMT_PAGE_SIZE, &v, &err)) {
		TH_LOG("%s %s", err.msg, mmt_parse_error);
	}
	ASSERT_EQ(1, v.n);
	swap_kb = mmt_smaps_kb(0, VV(&v.vma[0], START), "Swap:");
	rss_kb = mmt_smaps_kb(0, VV(&v.vma[0], START), "Rss:");
	EXPECT_EQ((uint64_t)swapped, VV(&v.vma[0], SWAPPED));
	EXPECT_EQ((uint64_t)swap_kb / 4, VV(&v.vma[0], SWAPPED));
	EXPECT_EQ((uint64_t)rss_kb / 4, VV(&v.vma[0], RESIDENT));
	EXPECT_EQ((uint64_t)(NPAGES - swapped), VV(&v.vma[0], RESIDENT));
	mmt_vmas_free(&v);

	/*
	 * The mm's swap counter, against the swap entries smaps_rollup counts by
	 * walking the tables.  The counter is per-CPU (6.2+: percpu_counter,
	 * 6.1: per-task caches), so readers of its approximation may lag by the
	 * batches; mmlens may sum it exactly.  mmt_rss_slack() bounds that.
	 */
	for (tries = 0; tries < 10; tries++) {
		vmswap = mmt_smaps_rollup_kb(0, "Swap:");
		ASSERT_EQ(0, mmt_get_mm(&self->nl, self->pid, &mm, &err));
		vmswap2 = mmt_smaps_rollup_kb(0, "Swap:");
		if (vmswap == vmswap2)
			break;
	}
	ASSERT_GE(vmswap, 0);
	EXPECT_GE((uint64_t)vmswap / 4, (uint64_t)swapped);
	EXPECT_LE(MV(&mm, SWAP_ENTS), (uint64_t)vmswap / 4 + mmt_rss_slack());
	EXPECT_GE(MV(&mm, SWAP_ENTS) + mmt_rss_slack(), (uint64_t)vmswap / 4) {
		TH_LOG("smaps_rollup Swap %ld kB, VmSwap %ld kB, module %llu pages", vmswap,
		       mmt_status_field(0, "VmSwap:"), (unsigned long long)MV(&mm, SWAP_ENTS));
	}
}

TEST_HARNESS_MAIN
