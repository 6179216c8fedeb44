// SPDX-License-Identifier: GPL-2.0
/*
 * KSM: two regions of identical pages, made mergeable, end up mapping the
 * same frames -- pagemap shows it first; mmlens must then report the same
 * PFN for both VAs, a write-protected entry, a KSM anon frame mapped twice,
 * and neither mapping exclusive.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mmtest.h"

#define NPAGES 8
#define KSM "/sys/kernel/mm/ksm/"
#define MERGE_TIMEOUT_S 60

static const char *const knobs[] = { KSM "run", KSM "pages_to_scan", KSM "sleep_millisecs" };

FIXTURE(ksm) {
	struct mmlens_nl nl;
	int levels;
	pid_t pid;
	char saved[3][32];
	bool changed;
	char *a, *b;
};

FIXTURE_SETUP(ksm)
{
	unsigned int i;

	ASSERT_EQ(0, mmlens_nl_open(&self->nl));
	self->levels = mmt_paging_levels();
	self->pid = getpid();
	self->a = self->b = MAP_FAILED;
	for (i = 0; i < 3; i++)
		if (mmt_read_file(knobs[i], self->saved[i], sizeof(self->saved[i])))
			SKIP(return, "no KSM in this kernel (%s)", knobs[i]);
}

FIXTURE_TEARDOWN(ksm)
{
	int i;

	if (self->a != MAP_FAILED) {
		madvise(self->a, NPAGES * MMT_PAGE_SIZE, MADV_UNMERGEABLE);
		munmap(self->a, NPAGES * MMT_PAGE_SIZE);
	}
	if (self->b != MAP_FAILED) {
		madvise(self->b, NPAGES * MMT_PAGE_SIZE, MADV_UNMERGEABLE);
		munmap(self->b, NPAGES * MMT_PAGE_SIZE);
	}
	if (self->changed)
		for (i = 2; i >= 0; i--)
			mmt_write_file(knobs[i], self->saved[i]);
	mmlens_nl_close(&self->nl);
}

static char *map_pattern(struct __test_metadata *_metadata)
{
	char *p = mmap(NULL, NPAGES * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i;

	ASSERT_NE(MAP_FAILED, p);
	madvise(p, NPAGES * MMT_PAGE_SIZE, MADV_NOHUGEPAGE);
	/* Page i of both regions alike, unlike any other page (and not zero). */
	for (i = 0; i < NPAGES; i++) {
		memset(p + i * MMT_PAGE_SIZE, 0x40 + i, MMT_PAGE_SIZE);
		memcpy(p + i * MMT_PAGE_SIZE, "mmlens-ksm", 10);
	}
	return p;
}

/* Pages i whose two copies pagemap shows on one frame. */
static int merged(struct __test_metadata *_metadata, char *a, char *b, bool *same)
{
	uint64_t pa[NPAGES], pb[NPAGES];
	int i, n = 0;

	ASSERT_EQ(0, mmt_pagemap_range(0, (uint64_t)a, NPAGES, pa));
	ASSERT_EQ(0, mmt_pagemap_range(0, (uint64_t)b, NPAGES, pb));
	for (i = 0; i < NPAGES; i++) {
		same[i] = (pa[i] & PM_PRESENT) && (pb[i] & PM_PRESENT) &&
			  PM_PFN(pa[i]) == PM_PFN(pb[i]);
		n += same[i];
	}
	return n;
}

TEST_F_TIMEOUT(ksm, merged_pages_map_one_ksm_frame_write_protected, 180)
{
	bool same[NPAGES];
	struct timespec t0, t;
	struct mmt_view va, vb;
	char buf[512];
	int i, n = 0;

	self->a = map_pattern(_metadata);
	self->b = map_pattern(_metadata);
	if (madvise(self->a, NPAGES * MMT_PAGE_SIZE, MADV_MERGEABLE) ||
	    madvise(self->b, NPAGES * MMT_PAGE_SIZE, MADV_MERGEABLE))
		SKIP(return, "MADV_MERGEABLE: %s", strerror(errno));
	/* Before merging: distinct frames, as pagemap also says. */
	ASSERT_EQ(0, merged(_metadata, self->a, self->b, same));

	self->changed = true;
	ASSERT_EQ(0, mmt_write_file(KSM "sleep_millisecs", "10"));
	ASSERT_EQ(0, mmt_write_file(KSM "pages_to_scan", "1000"));
	ASSERT_EQ(0, mmt_write_file(KSM "run", "1"));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		usleep(100000);
		n = merged(_metadata, self->a, self->b, same);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (n < NPAGES && t.tv_sec - t0.tv_sec < MERGE_TIMEOUT_S);
	if (!n)
		SKIP(return, "KSM merged nothing within %d s", MERGE_TIMEOUT_S);
	/* Stop scanning: what is merged stays so, nothing else changes. */
	ASSERT_EQ(0, mmt_write_file(KSM "run", "0"));
	TH_LOG("%d of %d pages merged after %ld s", n, NPAGES, (long)(t.tv_sec - t0.tv_sec));

	for (i = 0; i < NPAGES; i++) {
		if (!same[i])
			continue;
		mmt_view(_metadata, &self->nl, self->pid, (uint64_t)self->a + i * MMT_PAGE_SIZE,
			 self->levels, &va);
		mmt_view(_metadata, &self->nl, self->pid, (uint64_t)self->b + i * MMT_PAGE_SIZE,
			 self->levels, &vb);
		EXPECT_EQ(MMLENS_KIND_PRESENT, WV(&va.w, KIND));
		EXPECT_EQ(MMLENS_KIND_PRESENT, WV(&vb.w, KIND));
		EXPECT_EQ(PM_PFN(va.pme), WV(&va.w, PFN));
		EXPECT_EQ(WV(&va.w, PFN), WV(&vb.w, PFN)) {
			TH_LOG("page %d: pagemap %#llx and %#llx", i,
			       (unsigned long long)PM_PFN(va.pme),
			       (unsigned long long)PM_PFN(vb.pme));
		}
		EXPECT_FALSE(WV(&va.w, FLAGS) & (MMLENS_F_RW | MMLENS_F_WRITE | MMLENS_F_EXCLUSIVE)) {
			TH_LOG("page %d: flags %s", i,
			       mmt_flags_str(WV(&va.w, FLAGS), buf, sizeof(buf)));
		}
		EXPECT_FALSE(WV(&vb.w, FLAGS) & (MMLENS_F_RW | MMLENS_F_WRITE | MMLENS_F_EXCLUSIVE));
		EXPECT_FALSE(va.pme & PM_MMAP_EXCLUSIVE);
		EXPECT_TRUE(FV(&va.w.frame, FLAGS) & KPFB(KPF_KSM)) {
			TH_LOG("page %d: frame %s", i,
			       mmt_kpf_str(FV(&va.w.frame, FLAGS), buf, sizeof(buf)));
		}
		EXPECT_TRUE(va.rec.frame_flags & KPFB(KPF_KSM));
		EXPECT_TRUE(FV(&va.w.frame, FLAGS) & KPFB(KPF_ANON));
		EXPECT_EQ(2ULL, FV(&va.w.frame, MAPCOUNT));
		EXPECT_EQ(2U, va.rec.mapcount);
	}

	/* Writing one copy breaks the sharing: a new exclusive frame. */
	for (i = 0; i < NPAGES && !same[i]; i++)
		;
	ASSERT_LT(i, NPAGES);
	mmt_view(_metadata, &self->nl, self->pid, (uint64_t)self->b + i * MMT_PAGE_SIZE,
		 self->levels, &vb);
	self->a[i * MMT_PAGE_SIZE + 20] = 'x';
	mmt_view(_metadata, &self->nl, self->pid, (uint64_t)self->a + i * MMT_PAGE_SIZE,
		 self->levels, &va);
	EXPECT_NE(WV(&vb.w, PFN), WV(&va.w, PFN));
	EXPECT_EQ(PM_PFN(va.pme), WV(&va.w, PFN));
	EXPECT_TRUE(WV(&va.w, FLAGS) & MMLENS_F_RW);
	EXPECT_FALSE(FV(&va.w.frame, FLAGS) & KPFB(KPF_KSM));
}

TEST_HARNESS_MAIN
