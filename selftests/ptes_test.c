// SPDX-License-Identifier: GPL-2.0
/*
 * GET_PTE ranges and runs: a dump over [START, END) returns exactly the
 * populated pages of that range (pagemap decides which), in address order,
 * each once, across as many messages as it takes; with MMLENS_A_PTE_RUNS the
 * records cover the same pages, sum(nr) of them, each run over contiguous
 * frames.  A dump of the whole address space agrees with pagemap over every
 * VMA of /proc/self/maps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mmtest.h"

FIXTURE(ptes) {
	struct mmlens_nl nl;
	struct mmlens_nl_err err;
	pid_t pid;
	struct mmt_ptes p;
};

FIXTURE_SETUP(ptes)
{
	memset(&self->err, 0, sizeof(self->err));
	memset(&self->p, 0, sizeof(self->p));
	ASSERT_EQ(0, mmlens_nl_open(&self->nl));
	self->pid = getpid();
	ASSERT_EQ(0, mmt_pin_cpu());
	mmt_ptes_reserve(&self->p, 1 << 16);
}

FIXTURE_TEARDOWN(ptes)
{
	mmt_ptes_free(&self->p);
	mmlens_nl_close(&self->nl);
}

static uint64_t rec_pages(const struct mmlens_pte *r)
{
	return r->nr * mmt_level_size(r->level) / MMT_PAGE_SIZE;
}

/*
 * The records are sorted, disjoint, inside [start, end) (a huge leaf may
 * start below start), each well-formed; returns the 4K pages they cover.
 */
static uint64_t expect_well_formed(struct __test_metadata *_metadata, const struct mmt_ptes *p,
				   uint64_t start, uint64_t end, bool runs)
{
	uint64_t pages = 0, prev_end = 0;
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct mmlens_pte *r = &p->rec[i];
		uint64_t size;

		ASSERT_TRUE(r->level == MMLENS_LEVEL_PTE || r->level == MMLENS_LEVEL_PMD ||
			    r->level == MMLENS_LEVEL_PUD) {
			TH_LOG("record %zu: level %u", i, r->level);
		}
		ASSERT_GE(r->nr, 1U);
		if (!runs)
			EXPECT_EQ(1U, r->nr);
		size = r->nr * mmt_level_size(r->level);
		EXPECT_EQ(0ULL, r->va & (mmt_level_size(r->level) - 1));
		EXPECT_GE(r->va, prev_end) {
			TH_LOG("record %zu at %#llx overlaps or precedes the previous one (ends %#llx)",
			       i, (unsigned long long)r->va, (unsigned long long)prev_end);
		}
		EXPECT_LT(r->va, end);
		EXPECT_GT(r->va + size, start);
		EXPECT_NE(MMLENS_KIND_NONE, r->kind);
		prev_end = r->va + size;
		pages += rec_pages(r);
	}
	return pages;
}

/* Which of the npages at va the records cover (huge leaves clipped). */
static void covered(const struct mmt_ptes *p, uint64_t va, size_t npages, uint8_t *cov)
{
	size_t i;

	memset(cov, 0, npages);
	for (i = 0; i < p->n; i++) {
		const struct mmlens_pte *r = &p->rec[i];
		uint64_t a, e = r->va + r->nr * mmt_level_size(r->level);

		for (a = r->va; a < e; a += MMT_PAGE_SIZE)
			if (a >= va && a < va + npages * MMT_PAGE_SIZE)
				cov[(a - va) / MMT_PAGE_SIZE]++;
	}
}

TEST_F(ptes, range_returns_exactly_the_populated_pages_in_order)
{
	const size_t n = 64;
	char *p = mmap(NULL, n * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t base = (uint64_t)p, pme[64];
	uint8_t cov[64];
	size_t i;

	ASSERT_NE(MAP_FAILED, p);
	madvise(p, n * MMT_PAGE_SIZE, MADV_NOHUGEPAGE);
	/* Touched: 0-9, 20-29, 40, 63; a hole in the mapping at 50-54. */
	for (i = 0; i < n; i++)
		if (i < 10 || (i >= 20 && i < 30) || i == 40 || i == 63)
			p[i * MMT_PAGE_SIZE] = 1;
	ASSERT_EQ(0, munmap(p + 50 * MMT_PAGE_SIZE, 5 * MMT_PAGE_SIZE));

	ASSERT_EQ(0, mmt_get_ptes(&self->nl, self->pid, base, base + n * MMT_PAGE_SIZE, false,
				  &self->p, &self->err)) {
		TH_LOG("%s %s", self->err.msg, mmt_parse_error);
	}
	EXPECT_EQ(22ULL, expect_well_formed(_metadata, &self->p, base,
					   base + n * MMT_PAGE_SIZE, false));
	EXPECT_EQ(22UL, self->p.n);
	ASSERT_EQ(0, mmt_pagemap_range(0, base, n, pme));
	covered(&self->p, base, n, cov);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(!!(pme[i] & (PM_PRESENT | PM_SWAP)), cov[i]) {
			TH_LOG("page %zu: pagemap %#llx, %u records", i,
			       (unsigned long long)pme[i], cov[i]);
		}
	}
	for (i = 0; i < self->p.n; i++) {
		const struct mmlens_pte *r = &self->p.rec[i];
		uint64_t k = (r->va - base) / MMT_PAGE_SIZE;

		EXPECT_EQ(PM_PFN(pme[k]), r->pfn);
		EXPECT_EQ(MMLENS_KIND_PRESENT, r->kind);
	}

	/* A sub-range is clipped to it: 5-9 and 20-24. */
	ASSERT_EQ(0, mmt_get_ptes(&self->nl, self->pid, base + 5 * MMT_PAGE_SIZE,
				  base + 25 * MMT_PAGE_SIZE, false, &self->p, &self->err));
	EXPECT_EQ(10UL, self->p.n);
	if (self->p.n == 10) {
		EXPECT_EQ(base + 5 * MMT_PAGE_SIZE, self->p.rec[0].va);
		EXPECT_EQ(base + 24 * MMT_PAGE_SIZE, self->p.rec[9].va);
	}
	/* Only the hole: nothing. */
	ASSERT_EQ(0, mmt_get_ptes(&self->nl, self->pid, base + 50 * MMT_PAGE_SIZE,
				  base + 55 * MMT_PAGE_SIZE, false, &self->p, &self->err));
	EXPECT_EQ(0UL, self->p.n);
	/* Empty range: nothing. */
	ASSERT_EQ(0, mmt_get_ptes(&self->nl, self->pid, base + MMT_PAGE_SIZE,
				  base + MMT_PAGE_SIZE, false, &self->p, &self->err));
	EXPECT_EQ(0UL, self->p.n);
	munmap(p, n * MMT_PAGE_SIZE);
}

TEST_F_TIMEOUT(ptes, large_range_spans_many_messages_without_loss, 120)
{
	const size_t n = 8192;	/* 32M of 4K pages: more records than one message holds */
	char *p = mmap(NULL, n * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t base = (uint64_t)p, *pme;
	uint8_t *cov;
	size_t i, present = 0;

	ASSERT_NE(MAP_FAILED, p);
	madvise(p, n * MMT_PAGE_SIZE, MADV_NOHUGEPAGE);
	for (i = 0; i < n; i++)
		if (i % 7 != 3)
			p[i * MMT_PAGE_SIZE] = 1;
	pme = calloc(n, sizeof(*pme));
	cov = calloc(n, 1);
	ASSERT_NE(NULL, pme);
	ASSERT_NE(NULL, cov);

	ASSERT_EQ(0, mmt_get_ptes(&self->nl, self->pid, base, base + n * MMT_PAGE_SIZE, false,
				  &self->p, &self->err)) {
		TH_LOG("%s %s", self->err.msg, mmt_parse_error);
	}
	ASSERT_EQ(0, mmt_pagemap_range(0, base, n, pme));
	for (i = 0; i < n; i++)
		present += !!(pme[i] & PM_PRESENT);
	EXPECT_EQ((uint64_t)present, expect_well_formed(_metadata, &self->p, base,
							  base + n * MMT_PAGE_SIZE, false));
	EXPECT_GT(self->p.messages, 1);
	TH_LOG("%zu records in %d messages", self->p.n, self->p.messages);
	covered(&self->p, base, n, cov);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(!!(pme[i] & PM_PRESENT), cov[i]) {
			TH_LOG("page %zu", i);
		}
		if (!!(pme[i] & PM_PRESENT) != cov[i])
			break;
	}

	/* The same as runs: same pages, contiguous frames within each run. */
	ASSERT_EQ(0, mmt_get_ptes(&self->nl, self->pid, base, base + n * MMT_PAGE_SIZE, true,
				  &self->p, &self->err));
	EXPECT_EQ((uint64_t)present, expect_well_formed(_metadata, &self->p, base,
							  base + n * MMT_PAGE_SIZE, true));
	covered(&self->p, base, n, cov);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(!!(pme[i] & PM_PRESENT), cov[i]);
		if (!!(pme[i] & PM_PRESENT) != cov[i])
			break;
	}
	for (i = 0; i < self->p.n; i++) {
		const struct mmlens_pte *r = &self->p.rec[i];
		uint64_t k = (r->va - base) / MMT_PAGE_SIZE, j;

		for (j = 0; j < r->nr && k + j < n; j++) {
			EXPECT_EQ(PM_PFN(pme[k + j]), r->pfn + j) {
				TH_LOG("run at %#llx (nr %u): page %llu", (unsigned long long)r->va,
				       r->nr, (unsigned long long)j);
			}
			if (PM_PFN(pme[k + j]) != r->pfn + j)
				break;
		}
	}
	free(pme);
	free(cov);
	munmap(p, n * MMT_PAGE_SIZE);
}

TEST_F(ptes, runs_of_a_split_thp_follow_its_contiguous_frames)
{
	uint64_t pme[512], kpf, base, total = 0;
	char *p;
	size_t i, j;

	if (!mmt_thp_available())
		SKIP(return, "transparent huge pages are unavailable (not built, or enabled = never)");
	p = mmt_map_thp();
	ASSERT_NE(MAP_FAILED, p);
	base = (uint64_t)p;
	p[0] = 1;
	ASSERT_EQ(0, mmt_pagemap(0, base, &pme[0]));
	ASSERT_EQ(0, mmt_kpageflags(PM_PFN(pme[0]), &kpf));
	if (!(kpf & KPFB(KPF_THP)))
		SKIP(return, "the kernel gave no THP");
	/* Split the PMD: one read-only page in the middle; frames stay contiguous. */
	ASSERT_EQ(0, mprotect(p + 256 * MMT_PAGE_SIZE, MMT_PAGE_SIZE, PROT_READ));

	ASSERT_EQ(0, mmt_pagemap_range(0, base, 512, pme));
	for (i = 0; i < 512; i++)
		ASSERT_EQ(PM_PFN(pme[0]) + i, PM_PFN(pme[i]));

	ASSERT_EQ(0, mmt_get_ptes(&self->nl, self->pid, base, base + MMT_PMD_SIZE, false,
				  &self->p, &self->err));
	EXPECT_EQ(512UL, self->p.n);
	for (i = 0; i < self->p.n; i++)
		EXPECT_EQ(MMLENS_LEVEL_PTE, self->p.rec[i].level);

	ASSERT_EQ(0, mmt_get_ptes(&self->nl, self->pid, base, base + MMT_PMD_SIZE, true,
				  &self->p, &self->err));
	EXPECT_EQ(512ULL, expect_well_formed(_metadata, &self->p, base, base + MMT_PMD_SIZE, true));
	for (i = 0; i < self->p.n; i++) {
		const struct mmlens_pte *r = &self->p.rec[i];
		uint64_t k = (r->va - base) / MMT_PAGE_SIZE;

		total += r->nr;
		for (j = 0; j < r->nr; j++)
			EXPECT_EQ(PM_PFN(pme[k + j]), r->pfn + j);
		TH_LOG("run %zu: %#llx nr %u pfn %#llx", i, (unsigned long long)r->va, r->nr,
		       (unsigned long long)r->pfn);
	}
	EXPECT_EQ(512ULL, total);
	/* Writable before, the read-only page, writable after: three runs. */
	EXPECT_EQ(3UL, self->p.n);
	if (self->p.n == 3) {
		EXPECT_EQ(256U, self->p.rec[0].nr);
		EXPECT_EQ(1U, self->p.rec[1].nr);
		EXPECT_EQ(255U, self->p.rec[2].nr);
		EXPECT_FALSE(self->p.rec[1].flags & MMLENS_F_RW);
	}
	munmap(p, MMT_PMD_SIZE);
}

TEST_F_TIMEOUT(ptes, whole_address_space_dump_agrees_with_pagemap, 120)
{
	uint64_t *before, *after, total = 0, off;
	struct mmt_map *maps;
	int n, i, compared = 0, mismatches = 0;
	uint8_t *cov;

	ASSERT_EQ(0, mmt_read_maps(0, &maps, &n));
	n = n && !strcmp(maps[n - 1].path, "[vsyscall]") ? n - 1 : n;
	for (i = 0; i < n; i++)
		total += (maps[i].end - maps[i].start) / MMT_PAGE_SIZE;
	before = calloc(total, 8);
	after = calloc(total, 8);
	cov = calloc(total, 1);
	ASSERT_TRUE(before && after && cov);

	/* The first dump warms up what the second will touch of ours. */
	ASSERT_EQ(0, mmt_get_ptes(&self->nl, self->pid, MMT_NONE, MMT_NONE, false, &self->p,
				  &self->err));
	for (i = 0, off = 0; i < n; i++) {
		size_t np = (maps[i].end - maps[i].start) / MMT_PAGE_SIZE;

		ASSERT_EQ(0, mmt_pagemap_range(0, maps[i].start, np, before + off));
		off += np;
	}
	ASSERT_EQ(0, mmt_get_ptes(&self->nl, self->pid, MMT_NONE, MMT_NONE, false, &self->p,
				  &self->err)) {
		TH_LOG("%s %s", self->err.msg, mmt_parse_error);
	}
	for (i = 0, off = 0; i < n; i++) {
		size_t np = (maps[i].end - maps[i].start) / MMT_PAGE_SIZE;

		ASSERT_EQ(0, mmt_pagemap_range(0, maps[i].start, np, after + off));
		off += np;
	}
	expect_well_formed(_metadata, &self->p, 0, ~0ULL, false);

	for (i = 0, off = 0; i < n; i++) {
		size_t np = (maps[i].end - maps[i].start) / MMT_PAGE_SIZE, k;
		char vmflags[256];
		uint64_t known;

		/* pagemap reports VM_PFNMAP VMAs ([vvar]) as holes: it cannot judge. */
		ASSERT_EQ(0, mmt_smaps_vmflags(0, maps[i].start, vmflags, sizeof(vmflags)));
		if (mmt_vmflags_bits(vmflags, &known) & 0x400) {
			off += np;
			continue;
		}
		covered(&self->p, maps[i].start, np, cov + off);
		for (k = 0; k < np; k++) {
			bool b = before[off + k] & (PM_PRESENT | PM_SWAP);

			/* Pages that changed meanwhile (our heap, stack) prove nothing. */
			if (b != !!(after[off + k] & (PM_PRESENT | PM_SWAP)))
				continue;
			compared++;
			if (b == cov[off + k])
				continue;
			if (mismatches++ < 10)
				TH_LOG("%s %#llx: pagemap %#llx, %u records", maps[i].path,
				       (unsigned long long)(maps[i].start + k * MMT_PAGE_SIZE),
				       (unsigned long long)before[off + k], cov[off + k]);
		}
		off += np;
	}
	TH_LOG("%zu records; %d pages of %d VMAs compared", self->p.n, compared, n);
	EXPECT_EQ(0, mismatches);
	EXPECT_GT(compared, 0);
	free(before);
	free(after);
	free(cov);
	free(maps);
}

TEST_HARNESS_MAIN
