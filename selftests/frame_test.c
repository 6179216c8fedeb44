// SPDX-License-Identifier: GPL-2.0
/*
 * GET_FRAME describes a physical frame as /proc/kpageflags and
 * /proc/kpagecount do (and its node as move_pages() does), for frames the
 * test owns, frames without RAM that still have a memory map, and refuses
 * PFNs without one -- holes between the "System RAM" ranges of /proc/iomem
 * and PFNs beyond the end of memory -- with EINVAL and an extack message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mmtest.h"

#define SECTION_PAGES ((128UL << 20) / MMT_PAGE_SIZE)	/* x86-64 memory section */

FIXTURE(frame) {
	struct mmlens_nl nl;
	struct mmlens_nl_err err;
};

FIXTURE_SETUP(frame)
{
	memset(&self->err, 0, sizeof(self->err));
	ASSERT_EQ(0, mmlens_nl_open(&self->nl));
	ASSERT_EQ(0, mmt_pin_cpu());
}

FIXTURE_TEARDOWN(frame)
{
	mmlens_nl_close(&self->nl);
}

/* GET_FRAME for pfn, checked against kpageflags read around it and kpagecount. */
static void get_frame_checked(struct __test_metadata *_metadata, FIXTURE_DATA(frame) *self,
			      uint64_t pfn, struct mmt_attrs *f)
{
	uint64_t before, after, count;

	ASSERT_EQ(0, mmt_kpageflags(pfn, &before));
	ASSERT_EQ(0, mmt_get_frame(&self->nl, pfn, f, &self->err)) {
		TH_LOG("GET_FRAME %#llx: %s %s", (unsigned long long)pfn, self->err.msg,
		       mmt_parse_error);
	}
	ASSERT_EQ(0, mmt_kpageflags(pfn, &after));
	ASSERT_EQ(0, mmt_kpagecount(pfn, &count));
	EXPECT_TRUE(FHAS(f, PFN) && FHAS(f, REFCOUNT) && FHAS(f, MAPCOUNT) &&
		    FHAS(f, FOLIO_MAPCOUNT) && FHAS(f, ORDER) && FHAS(f, FLAGS) && FHAS(f, NID)) {
		TH_LOG("attributes %#llx", (unsigned long long)f->have);
	}
	EXPECT_EQ(pfn, FV(f, PFN));
	mmt_expect_kpf_matches(_metadata, pfn, before, FV(f, FLAGS), after, "GET_FRAME");
	EXPECT_EQ(count, FV(f, MAPCOUNT)) {
		TH_LOG("pfn %#llx: kpagecount %llu", (unsigned long long)pfn,
		       (unsigned long long)count);
	}
}

static int node_of(void *addr)
{
	int status = -1;

	if (syscall(SYS_move_pages, 0, 1UL, &addr, NULL, &status, 0))
		return -errno;
	return status;
}

TEST_F(frame, own_anon_page_frame_agrees_with_kpageflags_and_kpagecount)
{
	char *p = mmap(NULL, MMT_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	struct mmt_attrs f;
	uint64_t pme;
	int nid;

	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	ASSERT_EQ(0, mmt_pagemap(0, (uint64_t)p, &pme));
	ASSERT_TRUE(pme & PM_PRESENT);
	get_frame_checked(_metadata, self, PM_PFN(pme), &f);
	EXPECT_TRUE(FV(&f, FLAGS) & KPFB(KPF_ANON));
	EXPECT_TRUE(FV(&f, FLAGS) & KPFB(KPF_MMAP));
	EXPECT_FALSE(FV(&f, FLAGS) & KPFB(KPF_KSM));
	EXPECT_EQ(1ULL, FV(&f, MAPCOUNT));
	EXPECT_EQ(1ULL, FV(&f, FOLIO_MAPCOUNT));
	EXPECT_EQ(0ULL, FV(&f, ORDER));
	EXPECT_GE(FV(&f, REFCOUNT), 1ULL);
	nid = node_of(p);
	if (nid >= 0)
		EXPECT_EQ((uint64_t)nid, FV(&f, NID));
	munmap(p, MMT_PAGE_SIZE);
}

TEST_F(frame, file_page_mapped_twice_has_mapcount_two)
{
	char path[] = "/dev/shm/mmlens-frame-XXXXXX";
	int fd = mkstemp(path);
	struct mmt_attrs f;
	char *a, *b;
	uint64_t pme;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, MMT_PAGE_SIZE));
	a = mmap(NULL, MMT_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	b = mmap(NULL, MMT_PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	a[0] = 'x';
	ASSERT_EQ('x', *(volatile char *)b);
	ASSERT_EQ(0, mmt_pagemap(0, (uint64_t)b, &pme));
	get_frame_checked(_metadata, self, PM_PFN(pme), &f);
	EXPECT_EQ(2ULL, FV(&f, MAPCOUNT));
	EXPECT_FALSE(FV(&f, FLAGS) & KPFB(KPF_ANON));
	/* The page cache holds a reference besides the two mappings. */
	EXPECT_GE(FV(&f, REFCOUNT), 3ULL);
	munmap(a, MMT_PAGE_SIZE);
	munmap(b, MMT_PAGE_SIZE);
	close(fd);
	unlink(path);
}

TEST_F(frame, thp_tail_frame_reports_its_folio)
{
	char *p;
	struct mmt_attrs f;
	uint64_t pme, kpf;

	if (!mmt_thp_available())
		SKIP(return, "transparent huge pages are unavailable (not built, or enabled = never)");
	p = mmt_map_thp();
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	ASSERT_EQ(0, mmt_pagemap(0, (uint64_t)p + 7 * MMT_PAGE_SIZE, &pme));
	ASSERT_TRUE(pme & PM_PRESENT);
	ASSERT_EQ(0, mmt_kpageflags(PM_PFN(pme), &kpf));
	if (!(kpf & KPFB(KPF_THP)))
		SKIP(return, "the kernel gave no THP");
	get_frame_checked(_metadata, self, PM_PFN(pme), &f);
	EXPECT_EQ(9ULL, FV(&f, ORDER));
	EXPECT_TRUE(FV(&f, FLAGS) & KPFB(KPF_COMPOUND_TAIL));
	EXPECT_TRUE(FV(&f, FLAGS) & KPFB(KPF_THP));
	EXPECT_EQ(1ULL, FV(&f, FOLIO_MAPCOUNT));
	munmap(p, MMT_PMD_SIZE);
}

/* Finds a PFN in no System RAM range for which kpageflags says wanted_nopage. */
static bool find_non_ram_pfn(bool wanted_nopage, uint64_t *out)
{
	struct mmt_range r[64];
	uint64_t pfn, kpf;
	int n = mmt_system_ram(r, 64), i;

	for (i = 0; i + 1 < n; i++) {
		for (pfn = r[i].end; pfn < r[i + 1].start;
		     pfn += wanted_nopage ? SECTION_PAGES / 4 : 1) {
			if (mmt_kpageflags(pfn, &kpf))
				continue;
			if (!!(kpf & KPFB(KPF_NOPAGE)) == wanted_nopage) {
				*out = pfn;
				return true;
			}
		}
	}
	/* Below the first range (the first page is reserved on PCs). */
	for (pfn = 0; n > 0 && !wanted_nopage && pfn < r[0].start; pfn++) {
		if (!mmt_kpageflags(pfn, &kpf) && !(kpf & KPFB(KPF_NOPAGE))) {
			*out = pfn;
			return true;
		}
	}
	return false;
}

TEST_F(frame, pfn_without_ram_but_with_a_memory_map_is_described_like_kpageflags)
{
	struct mmt_attrs f;
	uint64_t pfn;

	if (!find_non_ram_pfn(false, &pfn))
		SKIP(return, "no PFN outside System RAM with a memory map");
	TH_LOG("pfn %#llx", (unsigned long long)pfn);
	get_frame_checked(_metadata, self, pfn, &f);
}

TEST_F(frame, pfn_in_a_hole_gets_einval_and_extack)
{
	uint64_t pfn;
	struct mmt_attrs f;
	int ret;

	if (!find_non_ram_pfn(true, &pfn))
		SKIP(return, "no hole without a memory map between System RAM ranges");
	ret = mmt_get_frame(&self->nl, pfn, &f, &self->err);
	EXPECT_EQ(-EINVAL, ret) {
		TH_LOG("pfn %#llx (kpageflags: no page): %d", (unsigned long long)pfn, ret);
	}
	EXPECT_NE(0, self->err.msg[0]);
	TH_LOG("pfn %#llx: extack \"%s\"", (unsigned long long)pfn, self->err.msg);
}

TEST_F(frame, pfn_beyond_the_end_of_memory_gets_einval_and_extack)
{
	struct mmt_range r[64];
	uint64_t kpf, max_pfn, pfns[3];
	struct mmt_attrs f;
	int n = mmt_system_ram(r, 64), i, ret;

	ASSERT_GT(n, 0);
	max_pfn = r[n - 1].end;
	/* kpageflags itself ends at max_pfn. */
	EXPECT_EQ(-ENODATA, mmt_kpageflags(max_pfn + SECTION_PAGES, &kpf));
	pfns[0] = (max_pfn + SECTION_PAGES) & ~(SECTION_PAGES - 1);
	pfns[1] = 1ULL << 40;
	pfns[2] = ~0ULL;
	for (i = 0; i < 3; i++) {
		ret = mmt_get_frame(&self->nl, pfns[i], &f, &self->err);
		EXPECT_EQ(-EINVAL, ret) {
			TH_LOG("pfn %#llx: %d", (unsigned long long)pfns[i], ret);
		}
		EXPECT_NE(0, self->err.msg[0]);
		TH_LOG("pfn %#llx: extack \"%s\"", (unsigned long long)pfns[i], self->err.msg);
	}
	/* The last RAM frame is fine. */
	EXPECT_EQ(0, mmt_get_frame(&self->nl, max_pfn - 1, &f, &self->err)) {
		TH_LOG("pfn %#llx: %s", (unsigned long long)max_pfn - 1, self->err.msg);
	}
}

TEST_HARNESS_MAIN
