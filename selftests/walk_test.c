// SPDX-License-Identifier: GPL-2.0
/*
 * TRANSLATE and GET_PTE describe the test's own pages as /proc/self/pagemap,
 * /proc/kpageflags and /proc/kpagecount do: private anonymous memory, the
 * zero page, private and shared file mappings (tmpfs, the overlay root and
 * the 9p lower layer), PROT_NONE, soft-dirty tracking, and the upper levels
 * of the walk in 4- and 5-level paging, each where physical memory, read
 * through /proc/kcore, holds it.
 *
 * Every page is looked at through mmt_view() (mmtest.h), which already
 * checks the walk's own consistency (each level's entry points to the next
 * table, indices and shifts follow the VA, PA = PFN << 12 | offset), that
 * TRANSLATE and the GET_PTE record agree, and that both agree with pagemap,
 * kpageflags and kpagecount; the tests add what their case must show.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include <json.h>

#include "kselftest_harness.h"
#include "mmtest.h"

#define NPAGES 16

static bool cpu_has_flag(const char *flag)
{
	char line[8192], pat[64];
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return false;
	snprintf(pat, sizeof(pat), " %s ", flag);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		line[strcspn(line, "\n")] = ' ';
		found = strstr(line, pat);
		break;
	}
	fclose(f);
	return found;
}

FIXTURE(walk) {
	struct mmlens_nl nl;
	int levels;
	pid_t pid;
	bool nx;
};

FIXTURE_SETUP(walk)
{
	ASSERT_EQ(0, mmlens_nl_open(&self->nl)) {
		TH_LOG("the mmlens family does not resolve: is mmlens.ko loaded?");
	}
	self->levels = mmt_paging_levels();
	ASSERT_TRUE(self->levels == 4 || self->levels == 5);
	self->pid = getpid();
	self->nx = cpu_has_flag("nx");
	ASSERT_EQ(0, mmt_pin_cpu());
}

FIXTURE_TEARDOWN(walk)
{
	mmlens_nl_close(&self->nl);
}

/* NPAGES of private anonymous memory that will stay in 4K pages. */
static char *map_anon_4k(struct __test_metadata *_metadata, size_t npages)
{
	char *p = mmap(NULL, npages * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	/* With THP "always" an aligned 2M would get a huge page instead. */
	madvise(p, npages * MMT_PAGE_SIZE, MADV_NOHUGEPAGE);
	return p;
}

TEST_F(walk, written_private_anon_page_maps_an_exclusive_anon_frame)
{
	char *p = map_anon_4k(_metadata, NPAGES);
	struct mmt_view v;
	char buf[512];
	int i;

	for (i = 0; i < NPAGES; i++)
		p[i * MMT_PAGE_SIZE] = i + 1;

	for (i = 0; i < NPAGES; i++) {
		/* An address inside the page: PA keeps the offset. */
		uint64_t va = (uint64_t)(p + i * MMT_PAGE_SIZE + 0x123 + i);
		uint64_t must = MMLENS_F_PRESENT | MMLENS_F_RW | MMLENS_F_USER |
				MMLENS_F_ACCESSED | MMLENS_F_DIRTY | MMLENS_F_WRITE |
				MMLENS_F_KERNEL_DIRTY | MMLENS_F_EXCLUSIVE | MMLENS_F_HAS_FRAME;

		mmt_view(_metadata, &self->nl, self->pid, va, self->levels, &v);
		ASSERT_TRUE(v.pme & PM_PRESENT);
		EXPECT_EQ(MMLENS_KIND_PRESENT, WV(&v.w, KIND));
		EXPECT_EQ(MMLENS_LEVEL_PTE, WV(&v.w, LEAF_LEVEL));
		EXPECT_EQ(MMT_PAGE_SIZE, WV(&v.w, PAGE_SIZE));
		EXPECT_EQ(PM_PFN(v.pme), WV(&v.w, PFN));
		EXPECT_EQ((PM_PFN(v.pme) << 12) | (va & 0xfff), WV(&v.w, PA));
		EXPECT_EQ(must, WV(&v.w, FLAGS) & must) {
			TH_LOG("va %#llx: flags %s", (unsigned long long)va,
			       mmt_flags_str(WV(&v.w, FLAGS), buf, sizeof(buf)));
		}
		if (self->nx)
			EXPECT_TRUE(WV(&v.w, FLAGS) & MMLENS_F_NX);
		EXPECT_FALSE(WV(&v.w, FLAGS) & (MMLENS_F_SPECIAL | MMLENS_F_PSE | MMLENS_F_PROTNONE));
		EXPECT_TRUE(v.pme & PM_MMAP_EXCLUSIVE);
		EXPECT_FALSE(v.pme & PM_FILE);
		EXPECT_TRUE(FV(&v.w.frame, FLAGS) & KPFB(KPF_ANON));
		EXPECT_TRUE(v.rec.frame_flags & KPFB(KPF_ANON));
		/* Never made mergeable (whatever kpageflags says on 6.12). */
		EXPECT_FALSE(FV(&v.w.frame, FLAGS) & KPFB(KPF_KSM));
		EXPECT_EQ(0ULL, FV(&v.w.frame, ORDER));
		EXPECT_EQ(1ULL, FV(&v.w.frame, MAPCOUNT));
		EXPECT_GE(FV(&v.w.frame, REFCOUNT), 1ULL);
		/* Levels: 4 or 5 real ones, the last a PTE, every table known. */
		/* 4-level paging reports its P4D too, folded. */
		EXPECT_EQ(5, v.w.nlevels);
		EXPECT_EQ(MMLENS_LEVEL_PTE, LV(&v.w.level[v.w.nlevels - 1], LEVEL));
		EXPECT_TRUE(WHAS(&v.w, VMA_START));
		EXPECT_EQ((uint64_t)p, WV(&v.w, VMA_START));
	}
	munmap(p, NPAGES * MMT_PAGE_SIZE);
}

TEST_F(walk, read_only_anon_pages_map_the_one_zero_page)
{
	char *p = map_anon_4k(_metadata, NPAGES);
	uint64_t zero_pfn = 0, kpf;
	volatile char sink;
	struct mmt_view v;
	char buf[512];
	int i;

	for (i = 0; i < NPAGES; i++)
		sink = p[i * MMT_PAGE_SIZE];
	(void)sink;

	for (i = 0; i < NPAGES; i++) {
		uint64_t va = (uint64_t)(p + i * MMT_PAGE_SIZE);

		mmt_view(_metadata, &self->nl, self->pid, va, self->levels, &v);
		ASSERT_TRUE(v.pme & PM_PRESENT);
		if (!i) {
			zero_pfn = PM_PFN(v.pme);
			ASSERT_EQ(0, mmt_kpageflags(zero_pfn, &kpf));
			ASSERT_TRUE(kpf & KPFB(KPF_ZERO_PAGE)) {
				TH_LOG("pagemap's pfn %#llx for a read-only anon page is not the zero page",
				       (unsigned long long)zero_pfn);
			}
		}
		/* One frame behind all of them, and it is the zero page. */
		EXPECT_EQ(zero_pfn, PM_PFN(v.pme));
		EXPECT_EQ(zero_pfn, WV(&v.w, PFN));
		EXPECT_EQ(zero_pfn, v.rec.pfn);
		EXPECT_EQ(MMLENS_KIND_PRESENT, WV(&v.w, KIND));
		EXPECT_EQ(MMLENS_LEVEL_PTE, WV(&v.w, LEAF_LEVEL));
		EXPECT_FALSE(WV(&v.w, FLAGS) & (MMLENS_F_RW | MMLENS_F_WRITE | MMLENS_F_EXCLUSIVE)) {
			TH_LOG("va %#llx: flags %s", (unsigned long long)va,
			       mmt_flags_str(WV(&v.w, FLAGS), buf, sizeof(buf)));
		}
		EXPECT_TRUE(WV(&v.w, FLAGS) & MMLENS_F_SPECIAL) {
			TH_LOG("va %#llx: flags %s", (unsigned long long)va,
			       mmt_flags_str(WV(&v.w, FLAGS), buf, sizeof(buf)));
		}
		EXPECT_TRUE(FV(&v.w.frame, FLAGS) & KPFB(KPF_ZERO_PAGE));
		EXPECT_FALSE(FV(&v.w.frame, FLAGS) & KPFB(KPF_ANON));
	}
	munmap(p, NPAGES * MMT_PAGE_SIZE);
}

TEST_F(walk, mapped_but_untouched_and_unmapped_addresses_have_no_leaf)
{
	char *p = map_anon_4k(_metadata, NPAGES);
	struct mmt_view v;

	/* Populate a neighbour, so that the PTE table itself exists. */
	p[0] = 1;
	mmt_view(_metadata, &self->nl, self->pid, (uint64_t)p + 5 * MMT_PAGE_SIZE, self->levels,
		 &v);
	EXPECT_EQ(0ULL, v.pme & (PM_PRESENT | PM_SWAP));
	EXPECT_EQ(MMLENS_KIND_NONE, WV(&v.w, KIND));
	EXPECT_EQ(MMLENS_LEVEL_PTE, WV(&v.w, LEAF_LEVEL));
	EXPECT_EQ(0, v.nrec);
	EXPECT_TRUE(WHAS(&v.w, VMA_START));
	EXPECT_EQ((uint64_t)p, WV(&v.w, VMA_START));
	EXPECT_EQ((uint64_t)p + NPAGES * MMT_PAGE_SIZE, WV(&v.w, VMA_END));

	/* Unmapped: no VMA covers it. */
	ASSERT_EQ(0, munmap(p + 8 * MMT_PAGE_SIZE, MMT_PAGE_SIZE));
	mmt_view(_metadata, &self->nl, self->pid, (uint64_t)p + 8 * MMT_PAGE_SIZE, self->levels,
		 &v);
	EXPECT_EQ(MMLENS_KIND_NONE, WV(&v.w, KIND));
	EXPECT_FALSE(WHAS(&v.w, VMA_START));
	EXPECT_EQ(0, v.nrec);
	munmap(p, NPAGES * MMT_PAGE_SIZE);
}

TEST_F(walk, prot_none_page_keeps_its_frame_but_is_not_present)
{
	char *p = map_anon_4k(_metadata, 4);
	uint64_t pfn[4];
	struct mmt_view v;
	char buf[512];
	int i;

	for (i = 0; i < 4; i++) {
		p[i * MMT_PAGE_SIZE] = 0x5a;
		ASSERT_EQ(0, mmt_pagemap(0, (uint64_t)p + i * MMT_PAGE_SIZE, &pfn[i]));
		pfn[i] = PM_PFN(pfn[i]);
	}
	ASSERT_EQ(0, mprotect(p, 4 * MMT_PAGE_SIZE, PROT_NONE));

	for (i = 0; i < 4; i++) {
		uint64_t va = (uint64_t)p + i * MMT_PAGE_SIZE;

		mmt_view(_metadata, &self->nl, self->pid, va, self->levels, &v);
		/* pagemap counts PROT_NONE entries as present, with the same frame. */
		ASSERT_TRUE(v.pme & PM_PRESENT);
		EXPECT_EQ(pfn[i], PM_PFN(v.pme));
		EXPECT_EQ(MMLENS_KIND_PROT_NONE, WV(&v.w, KIND));
		EXPECT_EQ(pfn[i], WV(&v.w, PFN));
		EXPECT_EQ(pfn[i], v.rec.pfn);
		EXPECT_TRUE(WV(&v.w, FLAGS) & MMLENS_F_PROTNONE) {
			TH_LOG("va %#llx: flags %s", (unsigned long long)va,
			       mmt_flags_str(WV(&v.w, FLAGS), buf, sizeof(buf)));
		}
		EXPECT_FALSE(WV(&v.w, FLAGS) & (MMLENS_F_PRESENT | MMLENS_F_WRITE));
		EXPECT_TRUE(FV(&v.w.frame, FLAGS) & KPFB(KPF_ANON));
	}
	munmap(p, 4 * MMT_PAGE_SIZE);
}

TEST_F(walk, soft_dirty_clears_with_clear_refs_and_returns_on_write)
{
	char *p = map_anon_4k(_metadata, 8);
	struct mmt_view v;
	uint64_t pme;
	int i;

	for (i = 0; i < 8; i++)
		p[i * MMT_PAGE_SIZE] = 1;
	ASSERT_EQ(0, mmt_write_file("/proc/self/clear_refs", "4"));
	p[0] = 2;	/* written after clearing: soft-dirty again */
	ASSERT_EQ(0, mmt_pagemap(0, (uint64_t)p, &pme));
	if (!(pme & PM_SOFT_DIRTY))
		SKIP(return, "pagemap never shows soft-dirty: no CONFIG_MEM_SOFT_DIRTY");
	ASSERT_EQ(0, mmt_write_file("/proc/self/clear_refs", "4"));

	for (i = 0; i < 8; i++) {
		mmt_view(_metadata, &self->nl, self->pid, (uint64_t)p + i * MMT_PAGE_SIZE,
			 self->levels, &v);
		EXPECT_FALSE(v.pme & PM_SOFT_DIRTY);
		EXPECT_FALSE(WV(&v.w, FLAGS) & MMLENS_F_SOFT_DIRTY) {
			TH_LOG("page %d still soft-dirty after clear_refs", i);
		}
		EXPECT_FALSE(v.rec.flags & MMLENS_F_SOFT_DIRTY);
		/* Clearing write-protects, to catch the next write. */
		EXPECT_FALSE(WV(&v.w, FLAGS) & MMLENS_F_WRITE);
	}

	p[3 * MMT_PAGE_SIZE] = 3;
	for (i = 0; i < 8; i++) {
		mmt_view(_metadata, &self->nl, self->pid, (uint64_t)p + i * MMT_PAGE_SIZE,
			 self->levels, &v);
		EXPECT_EQ(i == 3, !!(v.pme & PM_SOFT_DIRTY));
		EXPECT_EQ(i == 3, !!(WV(&v.w, FLAGS) & MMLENS_F_SOFT_DIRTY)) {
			TH_LOG("page %d after writing page 3", i);
		}
		EXPECT_EQ(i == 3, !!(v.rec.flags & MMLENS_F_SOFT_DIRTY));
	}
	munmap(p, 8 * MMT_PAGE_SIZE);
}

static __attribute__((noinline)) int text_marker(int x)
{
	return x * 3 + 1;
}

TEST_F(walk, own_text_page_maps_the_frame_of_the_executable_page_cache)
{
	/* The executable lives on the 9p lower layer of the VM's root. */
	uint64_t va = (uint64_t)&text_marker;
	struct mmt_view v;

	ASSERT_EQ(7, text_marker(2));
	mmt_view(_metadata, &self->nl, self->pid, va, self->levels, &v);
	ASSERT_TRUE(v.pme & PM_PRESENT);
	EXPECT_TRUE(v.pme & PM_FILE);
	EXPECT_EQ(MMLENS_KIND_PRESENT, WV(&v.w, KIND));
	EXPECT_EQ(PM_PFN(v.pme), WV(&v.w, PFN) + ((va & (WV(&v.w, PAGE_SIZE) - 1)) >> 12));
	EXPECT_FALSE(WV(&v.w, FLAGS) & (MMLENS_F_RW | MMLENS_F_WRITE | MMLENS_F_NX));
	EXPECT_FALSE(FV(&v.w.frame, FLAGS) & KPFB(KPF_ANON));
	EXPECT_TRUE(FV(&v.w.frame, FLAGS) & KPFB(KPF_MMAP));
	EXPECT_TRUE(WV(&v.w, VMA_FLAGS) & MMT_VM_EXEC);
}

TEST_F(walk, p4d_level_is_folded_exactly_in_4_level_paging)
{
	char *p = map_anon_4k(_metadata, 1);
	struct mmt_view v;
	int i, folded = 0;

	p[0] = 1;
	mmt_view(_metadata, &self->nl, self->pid, (uint64_t)p, self->levels, &v);
	ASSERT_GE(v.w.nlevels, 2);
	EXPECT_EQ(MMLENS_LEVEL_PGD, LV(&v.w.level[0], LEVEL));
	EXPECT_EQ(MMLENS_LEVEL_P4D, LV(&v.w.level[1], LEVEL));
	for (i = 0; i < v.w.nlevels; i++)
		folded += LHAS(&v.w.level[i], FOLDED);
	if (self->levels == 4) {
		/* header: the folded P4D's "entry" is the PGD entry, where it lies */
		EXPECT_EQ(1, folded);
		EXPECT_TRUE(LHAS(&v.w.level[1], FOLDED));
		EXPECT_EQ(LV(&v.w.level[0], ENTRY), LV(&v.w.level[1], ENTRY));
		EXPECT_EQ(LV(&v.w.level[0], TABLE_PA), LV(&v.w.level[1], TABLE_PA));
		EXPECT_EQ(LV(&v.w.level[0], INDEX), LV(&v.w.level[1], INDEX));
	} else {
		EXPECT_EQ(0, folded);
		EXPECT_NE(LV(&v.w.level[0], TABLE_PA), LV(&v.w.level[1], TABLE_PA));
	}
	munmap(p, MMT_PAGE_SIZE);
}

TEST_F(walk, address_above_2_pow_47_walks_a_populated_p4d)
{
	void *hint = (void *)(1UL << 50);
	struct mmt_view v;
	const struct mmt_attrs *p4d;
	char *p;

	if (self->levels != 5)
		SKIP(return, "4-level paging: no user address above 2^47");
	p = mmap(hint, MMT_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_GE((uint64_t)p, 1ULL << 47);
	p[0] = 1;

	mmt_view(_metadata, &self->nl, self->pid, (uint64_t)p + 0x42, self->levels, &v);
	ASSERT_TRUE(v.pme & PM_PRESENT);
	EXPECT_EQ(MMLENS_KIND_PRESENT, WV(&v.w, KIND));
	EXPECT_EQ(PM_PFN(v.pme), WV(&v.w, PFN));
	ASSERT_EQ(5, v.w.nlevels);
	p4d = &v.w.level[1];
	EXPECT_EQ(MMLENS_LEVEL_P4D, LV(p4d, LEVEL));
	EXPECT_FALSE(LHAS(p4d, FOLDED));
	EXPECT_TRUE(LV(p4d, FLAGS) & MMLENS_F_PRESENT);
	EXPECT_TRUE(LV(p4d, ENTRY) & 1);
	EXPECT_NE(0ULL, LV(p4d, TABLE_PA));
	EXPECT_EQ(((uint64_t)p >> 48) & 511, LV(&v.w.level[0], INDEX));
	EXPECT_NE(0ULL, LV(&v.w.level[0], INDEX));
	munmap(p, MMT_PAGE_SIZE);
}

/*
 * Where each level TRANSLATE reports lies in physical memory, against a walk
 * of the tables read through /proc/kcore (mmt_phys_walk()) from the reported
 * top-level table, whose leaf must map pagemap's frame: table + index * 8 is
 * the address of the entry the walk read at that level, and holds the entry
 * reported, the folded P4D of 4-level paging (the PGD entry) included.  The
 * CLI's translate must show the same in text, JSON and --explain.
 */
struct level_at {
	unsigned int level, index;
	uint64_t table_pa, entry;
	uint64_t at;		/* the entry's address as stated: table_pa + index * 8 */
	bool folded;
};

static void expect_level_in_memory(struct __test_metadata *_metadata, const char *what,
				   uint64_t va, const struct mmt_phys_walk *pw,
				   const struct level_at *l)
{
	ASSERT_LE(l->level, MMLENS_LEVEL_PTE);
	EXPECT_EQ(l->table_pa + (uint64_t)l->index * 8, l->at);
	EXPECT_EQ(pw->entry_pa[l->level], l->at) {
		TH_LOG("%s: va %#llx: %s%s at %#llx + %u*8 = %#llx, read at %#llx", what,
		       (unsigned long long)va, l->folded ? "folded " : "",
		       mmt_level_name(l->level), (unsigned long long)l->table_pa, l->index,
		       (unsigned long long)l->at, (unsigned long long)pw->entry_pa[l->level]);
	}
	EXPECT_EQ(pw->entry[l->level], l->entry) {
		TH_LOG("%s: va %#llx: %s entry %#llx, memory holds %#llx", what,
		       (unsigned long long)va, mmt_level_name(l->level),
		       (unsigned long long)l->entry, (unsigned long long)pw->entry[l->level]);
	}
}

/* mmlens ARGS; its standard output, malloc'ed, or NULL if it failed. */
static char *cli_output(struct __test_metadata *_metadata, const char *cli, const char *args)
{
	char cmd[1200], *out = NULL;
	size_t len = 0, n;
	FILE *p, *f;

	snprintf(cmd, sizeof(cmd), "%s %s", cli, args);
	p = popen(cmd, "r");
	f = open_memstream(&out, &len);
	if (!p || !f) {
		if (p)
			pclose(p);
		if (f)
			fclose(f);
		free(out);
		return NULL;
	}
	while ((n = fread(cmd, 1, sizeof(cmd), p)) > 0)
		fwrite(cmd, 1, n, f);
	fclose(f);
	EXPECT_EQ(0, pclose(p)) {
		TH_LOG("mmlens %s failed", args);
	}
	return out;
}

static unsigned int level_by_name(const char *name)
{
	unsigned int level;

	for (level = MMLENS_LEVEL_PGD; level <= MMLENS_LEVEL_PTE; level++)
		if (!strcasecmp(name, mmt_level_name(level)))
			return level;
	return MMLENS_LEVEL_NONE;
}

/* The rows "level index table-pa entry flags" of `mmlens translate`. */
static int text_levels(const char *out, struct level_at *l, int max)
{
	unsigned long long table, entry;
	const char *line, *end;
	char name[8];
	int n = 0;

	for (line = out; *line && n < max; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		if (sscanf(line, "%7s %u 0x%llx 0x%llx", name, &l[n].index, &table, &entry) != 4 ||
		    !level_by_name(name))
			continue;
		l[n].level = level_by_name(name);
		l[n].table_pa = table;
		l[n].entry = entry;
		l[n].at = table + (uint64_t)l[n].index * 8;
		l[n].folded = memmem(line, end - line, "folded:", 7);
		n++;
	}
	return n;
}

/* The levels array of `mmlens translate --json`. */
static int json_levels(const char *out, struct level_at *l, int max)
{
	struct json_object *obj = json_tokener_parse(out), *levels, *o, *v;
	int n = 0, i;

	if (!obj || !json_object_object_get_ex(obj, "levels", &levels))
		goto out;
	for (i = 0; i < (int)json_object_array_length(levels) && n < max; i++, n++) {
		o = json_object_array_get_idx(levels, i);
		if (!json_object_object_get_ex(o, "name", &v))
			break;
		l[n].level = level_by_name(json_object_get_string(v));
		json_object_object_get_ex(o, "index", &v);
		l[n].index = json_object_get_int(v);
		json_object_object_get_ex(o, "table_pa", &v);
		l[n].table_pa = strtoull(json_object_get_string(v), NULL, 16);
		json_object_object_get_ex(o, "entry", &v);
		l[n].entry = strtoull(json_object_get_string(v), NULL, 16);
		json_object_object_get_ex(o, "folded", &v);
		l[n].folded = json_object_get_boolean(v);
		l[n].at = l[n].table_pa + (uint64_t)l[n].index * 8;
	}
out:
	json_object_put(obj);
	return n;
}

/*
 * The boxes of `translate --explain`: "PGD[255] at 0x10a3b4000 + 255*8 =
 * 0x10a3b47f8", then "entry 0x...".  A folded level is a line "and
 * P4D[...] at ..." in the box of the entry it is.
 */
static int explain_levels(const char *out, struct level_at *l, int max)
{
	unsigned long long table, sum, entry;
	const char *p = out, *e;
	unsigned int index2;
	char name[4];
	int n = 0;

	while (n < max && (p = strstr(p, "[")) != NULL) {
		if (p - out >= 3 && sscanf(p - 3, "%3[A-Z4][%u] at 0x%llx + %u*8 = 0x%llx", name,
					   &l[n].index, &table, &index2, &sum) == 5 &&
		    level_by_name(name) && index2 == l[n].index) {
			l[n].level = level_by_name(name);
			l[n].table_pa = table;
			l[n].at = sum;
			l[n].folded = p - out >= 7 && !strncmp(p - 7, "and ", 4);
			e = strstr(p, "entry 0x");
			if (l[n].folded && n)
				l[n].entry = l[n - 1].entry;
			else if (e && sscanf(e, "entry 0x%llx", &entry) == 1)
				l[n].entry = entry;
			n++;
		}
		p++;
	}
	return n;
}

/*
 * What one test checks of an address: its TRANSLATE reply w and the walk pw
 * through physical memory, which reached pagemap's frame.
 */
typedef void (*walked_check)(struct __test_metadata *_metadata, FIXTURE_DATA(walk) *self,
			     uint64_t va, const struct mmt_walk *w,
			     const struct mmt_phys_walk *pw, const char *cli);

/*
 * Walks anon, text and stack addresses, and with 5 levels one above 2^47 (a
 * real P4D table, at an index that is not 0), both ways, for check.
 */
static void walk_each(struct __test_metadata *_metadata, FIXTURE_DATA(walk) *self,
		      walked_check check, const char *cli)
{
	char *anon = map_anon_4k(_metadata, 1), *high = MAP_FAILED;
	struct mmt_phys_walk pw;
	struct mmlens_nl_err err;
	uint64_t va[4], pme;
	struct mmt_walk w;
	int n = 0, i, ret;

	anon[0] = 1;
	va[n++] = (uint64_t)anon + 0x123;
	ASSERT_EQ(7, text_marker(2));
	va[n++] = (uint64_t)&text_marker;
	va[n++] = (uint64_t)&w;
	if (self->levels == 5) {
		high = mmap((void *)(1UL << 50), MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, high);
		ASSERT_GE((uint64_t)high, 1ULL << 47);
		high[0] = 1;
		va[n++] = (uint64_t)high + 0x42;
	}
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, mmt_translate(&self->nl, self->pid, va[i], &w, &err)) {
			TH_LOG("translate %#llx: %s", (unsigned long long)va[i], err.msg);
		}
		mmt_expect_walk_sane(_metadata, &w, self->pid, va[i], self->levels);
		ASSERT_EQ(5, w.nlevels);
		ret = mmt_phys_walk(LV(&w.level[0], TABLE_PA), va[i], self->levels, &pw);
		if (ret == -ENOENT || ret == -EPERM || ret == -EACCES)
			SKIP(break, "physical memory is not readable through /proc/kcore: %s",
			     strerror(-ret));
		ASSERT_EQ(0, ret);
		/* Reaching pagemap's frame, the independent walk went through the right tables. */
		ASSERT_EQ(0, mmt_pagemap(0, va[i], &pme));
		ASSERT_TRUE(pme & PM_PRESENT);
		EXPECT_EQ(MMLENS_LEVEL_PTE, pw.leaf);
		EXPECT_EQ(PM_PFN(pme), (pw.entry[MMLENS_LEVEL_PTE] & MMT_PA_MASK) >> 12);
		check(_metadata, self, va[i], &w, &pw, cli);
	}
	if (high != MAP_FAILED)
		munmap(high, MMT_PAGE_SIZE);
	munmap(anon, MMT_PAGE_SIZE);
}

static void check_translate(struct __test_metadata *_metadata, FIXTURE_DATA(walk) *self,
			    uint64_t va, const struct mmt_walk *w,
			    const struct mmt_phys_walk *pw, const char *cli)
{
	int j;

	for (j = 0; j < w->nlevels; j++) {
		struct level_at l = {
			.level = LV(&w->level[j], LEVEL), .index = LV(&w->level[j], INDEX),
			.table_pa = LV(&w->level[j], TABLE_PA),
			.entry = LV(&w->level[j], ENTRY), .folded = LHAS(&w->level[j], FOLDED),
			.at = LV(&w->level[j], TABLE_PA) + LV(&w->level[j], INDEX) * 8,
		};

		expect_level_in_memory(_metadata, "TRANSLATE", va, pw, &l);
	}
}

static void check_cli(struct __test_metadata *_metadata, FIXTURE_DATA(walk) *self,
		      uint64_t va, const struct mmt_walk *w,
		      const struct mmt_phys_walk *pw, const char *cli)
{
	static const struct {
		const char *option;
		int (*parse)(const char *out, struct level_at *l, int max);
	} views[] = {
		{ "", text_levels }, { "--json ", json_levels }, { "--explain ", explain_levels },
	};
	struct level_at got[8];
	char args[128], *out;
	size_t k;
	int j, n;

	for (k = 0; k < sizeof(views) / sizeof(views[0]); k++) {
		snprintf(args, sizeof(args), "translate %s%d %#llx", views[k].option, self->pid,
			 (unsigned long long)va);
		out = cli_output(_metadata, cli, args);
		ASSERT_NE(NULL, out);
		n = views[k].parse(out, got, 8);
		EXPECT_EQ(5, n) {
			TH_LOG("mmlens %s:\n%s", args, out);
		}
		for (j = 0; j < n; j++) {
			EXPECT_EQ(MMLENS_LEVEL_PGD + j, got[j].level);
			EXPECT_EQ(self->levels == 4 && got[j].level == MMLENS_LEVEL_P4D,
				  got[j].folded);
			expect_level_in_memory(_metadata, args, va, pw, &got[j]);
		}
		free(out);
	}
}

TEST_F(walk, every_level_lies_at_table_plus_index_in_physical_memory)
{
	walk_each(_metadata, self, check_translate, NULL);
}

TEST_F(walk, cli_translate_text_json_and_explain_show_where_each_entry_lies)
{
	char cli[1024];

	if (mmt_find_cli(cli, sizeof(cli)))
		SKIP(return, "no mmlens CLI built in this tree (userspace/mmlens)");
	walk_each(_metadata, self, check_cli, cli);
}

/* File mappings, on tmpfs (/dev/shm) and on the overlay root (/var/tmp). */
FIXTURE(file) {
	struct mmlens_nl nl;
	int levels;
	pid_t pid;
	int fd;
	char path[256];
};

FIXTURE_VARIANT(file) {
	const char *dir;
};

FIXTURE_VARIANT_ADD(file, tmpfs) {
	.dir = "/dev/shm",
};

FIXTURE_VARIANT_ADD(file, overlay) {
	.dir = "/var/tmp",
};

#define FILE_PAGES 4

FIXTURE_SETUP(file)
{
	char page[MMT_PAGE_SIZE];
	int i;

	self->fd = -1;
	ASSERT_EQ(0, mmlens_nl_open(&self->nl));
	self->levels = mmt_paging_levels();
	self->pid = getpid();
	ASSERT_EQ(0, mmt_pin_cpu());
	snprintf(self->path, sizeof(self->path), "%s/mmlens-walk-XXXXXX", variant->dir);
	self->fd = mkstemp(self->path);
	if (self->fd < 0)
		SKIP(return, "cannot create a file in %s: %s", variant->dir, strerror(errno));
	for (i = 0; i < FILE_PAGES; i++) {
		memset(page, 'a' + i, sizeof(page));
		ASSERT_EQ((ssize_t)sizeof(page), write(self->fd, page, sizeof(page)));
	}
}

FIXTURE_TEARDOWN(file)
{
	if (self->fd >= 0) {
		close(self->fd);
		unlink(self->path);
	}
	mmlens_nl_close(&self->nl);
}

TEST_F(file, private_file_page_read_maps_the_page_cache_frame)
{
	size_t len = FILE_PAGES * MMT_PAGE_SIZE;
	char *priv, *shared;
	volatile char sink;
	struct mmt_view v;
	uint64_t pme;
	int i;

	priv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, priv);
	/* A second, shared mapping shows which frame the page cache holds. */
	shared = mmap(NULL, len, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, shared);

	for (i = 0; i < FILE_PAGES; i++) {
		uint64_t va = (uint64_t)priv + i * MMT_PAGE_SIZE;

		sink = priv[i * MMT_PAGE_SIZE];
		sink = shared[i * MMT_PAGE_SIZE];
		ASSERT_EQ('a' + i, sink);
		ASSERT_EQ(0, mmt_pagemap(0, (uint64_t)shared + i * MMT_PAGE_SIZE, &pme));

		mmt_view(_metadata, &self->nl, self->pid, va, self->levels, &v);
		ASSERT_TRUE(v.pme & PM_PRESENT);
		EXPECT_TRUE(v.pme & PM_FILE);
		EXPECT_EQ(PM_PFN(pme), PM_PFN(v.pme)) {
			TH_LOG("page %d: private read mapping does not map the page cache frame", i);
		}
		EXPECT_EQ(MMLENS_KIND_PRESENT, WV(&v.w, KIND));
		EXPECT_EQ(PM_PFN(v.pme), WV(&v.w, PFN));
		EXPECT_EQ(PM_PFN(v.pme), v.rec.pfn);
		/* Private: read-only until the first write copies it. */
		EXPECT_FALSE(WV(&v.w, FLAGS) & (MMLENS_F_RW | MMLENS_F_WRITE));
		EXPECT_FALSE(FV(&v.w.frame, FLAGS) & KPFB(KPF_ANON));
		EXPECT_TRUE(FV(&v.w.frame, FLAGS) & KPFB(KPF_MMAP));
		EXPECT_FALSE(v.rec.frame_flags & KPFB(KPF_ANON));
		/* Mapped here and through `shared`. */
		EXPECT_EQ(2ULL, FV(&v.w.frame, MAPCOUNT));
		EXPECT_FALSE(WV(&v.w, FLAGS) & MMLENS_F_EXCLUSIVE);
	}
	munmap(priv, len);
	munmap(shared, len);
}

TEST_F(file, private_file_page_written_becomes_an_anon_copy)
{
	size_t len = FILE_PAGES * MMT_PAGE_SIZE;
	uint64_t cache_pme, pme;
	volatile char sink;
	struct mmt_view v;
	char *priv;
	int i;

	priv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, priv);
	for (i = 0; i < FILE_PAGES; i++) {
		uint64_t va = (uint64_t)priv + i * MMT_PAGE_SIZE;

		sink = priv[i * MMT_PAGE_SIZE];
		(void)sink;
		ASSERT_EQ(0, mmt_pagemap(0, va, &cache_pme));
		ASSERT_TRUE(cache_pme & PM_FILE);
		priv[i * MMT_PAGE_SIZE] = 'z';
		ASSERT_EQ(0, mmt_pagemap(0, va, &pme));
		ASSERT_NE(PM_PFN(cache_pme), PM_PFN(pme));

		mmt_view(_metadata, &self->nl, self->pid, va, self->levels, &v);
		EXPECT_FALSE(v.pme & PM_FILE);
		EXPECT_EQ(MMLENS_KIND_PRESENT, WV(&v.w, KIND));
		EXPECT_EQ(PM_PFN(v.pme), WV(&v.w, PFN));
		EXPECT_NE(PM_PFN(cache_pme), WV(&v.w, PFN)) {
			TH_LOG("page %d: written private page still maps the page cache", i);
		}
		EXPECT_TRUE(WV(&v.w, FLAGS) & MMLENS_F_RW);
		EXPECT_TRUE(WV(&v.w, FLAGS) & MMLENS_F_DIRTY);
		EXPECT_TRUE(WV(&v.w, FLAGS) & MMLENS_F_EXCLUSIVE);
		EXPECT_TRUE(FV(&v.w.frame, FLAGS) & KPFB(KPF_ANON));
		EXPECT_TRUE(v.rec.frame_flags & KPFB(KPF_ANON));
		/* The file is untouched. */
		EXPECT_EQ((ssize_t)1, pread(self->fd, (char *)&sink, 1, i * MMT_PAGE_SIZE));
		EXPECT_EQ('a' + i, sink);
	}
	munmap(priv, len);
}

TEST_F(file, shared_file_page_written_maps_the_page_cache_frame)
{
	size_t len = FILE_PAGES * MMT_PAGE_SIZE;
	struct mmt_view v;
	char *p, c;
	int i;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < FILE_PAGES; i++) {
		uint64_t va = (uint64_t)p + i * MMT_PAGE_SIZE + 0x7;

		p[i * MMT_PAGE_SIZE + 0x7] = 'A' + i;
		mmt_view(_metadata, &self->nl, self->pid, va, self->levels, &v);
		ASSERT_TRUE(v.pme & PM_PRESENT);
		EXPECT_TRUE(v.pme & PM_FILE);
		EXPECT_EQ(MMLENS_KIND_PRESENT, WV(&v.w, KIND));
		EXPECT_EQ(PM_PFN(v.pme), WV(&v.w, PFN));
		EXPECT_EQ((PM_PFN(v.pme) << 12) | 0x7, WV(&v.w, PA));
		EXPECT_TRUE(WV(&v.w, FLAGS) & MMLENS_F_RW);
		EXPECT_TRUE(WV(&v.w, FLAGS) & MMLENS_F_DIRTY);
		EXPECT_FALSE(FV(&v.w.frame, FLAGS) & KPFB(KPF_ANON));
		EXPECT_TRUE(WV(&v.w, VMA_FLAGS) & MMT_VM_SHARED);
		/* The write went to the file's page. */
		ASSERT_EQ((ssize_t)1, pread(self->fd, &c, 1, i * MMT_PAGE_SIZE + 0x7));
		EXPECT_EQ('A' + i, c);
	}
	munmap(p, len);
}

TEST_HARNESS_MAIN
