// SPDX-License-Identifier: GPL-2.0
/*
 * GET_VMA and GET_MM describe the test process as /proc does: every VMA of
 * /proc/self/maps with its bounds, permissions, offset, file and kind;
 * resident and swapped pages as smaps counts them; the mm's counters as
 * /proc/self/status shows them, its layout as /proc/self/stat, its faults,
 * and page-table pages that add up to the kernel's own accounting.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mmtest.h"

FIXTURE(mm) {
	struct mmlens_nl nl;
	struct mmlens_nl_err err;
	int levels;
	pid_t pid;
};

FIXTURE_SETUP(mm)
{
	memset(&self->err, 0, sizeof(self->err));
	ASSERT_EQ(0, mmlens_nl_open(&self->nl));
	self->levels = mmt_paging_levels();
	self->pid = getpid();
}

FIXTURE_TEARDOWN(mm)
{
	mmlens_nl_close(&self->nl);
}

static bool same_maps(const struct mmt_map *a, int na, const struct mmt_map *b, int nb)
{
	int i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (a[i].start != b[i].start || a[i].end != b[i].end ||
		    strcmp(a[i].perms, b[i].perms) || strcmp(a[i].path, b[i].path))
			return false;
	return true;
}

/* maps without the gate VMA ([vsyscall]), which is not in the mm's tree. */
static int drop_gate(struct mmt_map *m, int n)
{
	int i, j;

	for (i = j = 0; i < n; i++)
		if (strcmp(m[i].path, "[vsyscall]"))
			m[j++] = m[i];
	return j;
}

/* /proc/self/maps and a GET_VMA dump taken while maps did not change. */
static void snapshot(struct __test_metadata *_metadata, FIXTURE_DATA(mm) *self,
		     struct mmt_vmas *v, struct mmt_map **maps, int *n)
{
	struct mmt_map *m1 = NULL, *m2 = NULL;
	int n1, n2, tries;

	mmt_vmas_reserve(v, 1024);
	for (tries = 0; tries < 20; tries++) {
		free(m1);
		free(m2);
		ASSERT_EQ(0, mmt_read_maps(0, &m1, &n1));
		ASSERT_EQ(0, mmt_get_vmas(&self->nl, self->pid, MMT_NONE, MMT_NONE, v, &self->err)) {
			TH_LOG("GET_VMA: %s %s", self->err.msg, mmt_parse_error);
		}
		ASSERT_EQ(0, mmt_read_maps(0, &m2, &n2));
		if (same_maps(m1, n1, m2, n2))
			break;
	}
	ASSERT_LT(tries, 20) {
		TH_LOG("/proc/self/maps keeps changing");
	}
	free(m2);
	*maps = m1;
	*n = drop_gate(m1, n1);
}

static unsigned int expected_kind(const struct mmt_map *m)
{
	if (!strcmp(m->path, "[heap]"))
		return MMLENS_VMA_HEAP;
	if (!strcmp(m->path, "[stack]"))
		return MMLENS_VMA_STACK;
	if (!strcmp(m->path, "[vdso]"))
		return MMLENS_VMA_VDSO;
	if (!strcmp(m->path, "[vvar]"))
		return MMLENS_VMA_VVAR;
	/* Shared anonymous memory is a shmem file the kernel calls /dev/zero. */
	if (!strcmp(m->path, "/dev/zero (deleted)") && m->perms[3] == 's')
		return MMLENS_VMA_ANON;
	if (m->path[0] == '/')
		return MMLENS_VMA_FILE;
	if (!m->path[0] || !strncmp(m->path, "[anon:", 6) || !strncmp(m->path, "[anon_shmem:", 12))
		return MMLENS_VMA_ANON;
	return MMLENS_VMA_SPECIAL;
}

TEST_F(mm, every_vma_agrees_with_proc_maps)
{
	struct mmt_vmas v = {};
	struct mmt_map *maps;
	char *shared_anon, *file_map;
	char path[] = "/var/tmp/mmlens-vma-XXXXXX";
	int n, i, fd;

	/* Make sure some of each kind is there: shared anon, a file at an offset. */
	shared_anon = mmap(NULL, 3 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared_anon);
	fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, 8 * MMT_PAGE_SIZE));
	file_map = mmap(NULL, 2 * MMT_PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 3 * MMT_PAGE_SIZE);
	ASSERT_NE(MAP_FAILED, file_map);

	snapshot(_metadata, self, &v, &maps, &n);
	EXPECT_EQ(n, v.n);
	for (i = 0; i < n && i < v.n; i++) {
		const struct mmt_attrs *a = &v.vma[i];
		const struct mmt_map *m = &maps[i];
		uint64_t fl = VV(a, FLAGS);
		char vmflags[256];
		char perms[5] = {
			fl & MMT_VM_READ ? 'r' : '-', fl & MMT_VM_WRITE ? 'w' : '-',
			fl & MMT_VM_EXEC ? 'x' : '-', fl & MMT_VM_MAYSHARE ? 's' : 'p', 0,
		};

		EXPECT_TRUE(VHAS(a, START) && VHAS(a, END) && VHAS(a, FLAGS) && VHAS(a, KIND) &&
			    VHAS(a, PAGE_SIZE) && VHAS(a, RESIDENT) && VHAS(a, SWAPPED) &&
			    VHAS(a, PGOFF)) {
			TH_LOG("vma %d: attributes %#llx", i, (unsigned long long)a->have);
		}
		EXPECT_EQ(m->start, VV(a, START)) {
			TH_LOG("vma %d: maps %#llx-%#llx %s", i, (unsigned long long)m->start,
			       (unsigned long long)m->end, m->path);
		}
		EXPECT_EQ(m->end, VV(a, END)) {
			TH_LOG("vma %d: maps %#llx-%#llx %s", i, (unsigned long long)m->start,
			       (unsigned long long)m->end, m->path);
		}
		/* maps prints 's' for VM_MAYSHARE (a read-only shared file lacks VM_SHARED). */
		EXPECT_STREQ(m->perms, perms) {
			TH_LOG("vma %d at %#llx (%s): flags %#llx", i, (unsigned long long)m->start,
			       m->path, (unsigned long long)fl);
		}
		EXPECT_EQ((uint64_t)expected_kind(m), VV(a, KIND)) {
			TH_LOG("vma %d at %#llx: \"%s\"", i, (unsigned long long)m->start, m->path);
		}
		if (m->path[0] == '/') {
			/* maps prints the offset of file VMAs only. */
			EXPECT_EQ(m->offset, VV(a, PGOFF) * MMT_PAGE_SIZE) {
				TH_LOG("vma %d: %s", i, m->path);
			}
			EXPECT_TRUE(VHAS(a, FILE)) {
				TH_LOG("vma %d: no file for %s", i, m->path);
			}
			if (VHAS(a, FILE))
				EXPECT_STREQ(m->path, a->str);
		} else {
			EXPECT_FALSE(VHAS(a, FILE)) {
				TH_LOG("vma %d (\"%s\"): file \"%s\"", i, m->path, a->str);
			}
		}
		/* Every VM_* bit smaps' VmFlags names. */
		if (!mmt_smaps_vmflags(0, m->start, vmflags, sizeof(vmflags))) {
			uint64_t known, bits = mmt_vmflags_bits(vmflags, &known);

			EXPECT_EQ(bits, fl & known) {
				TH_LOG("vma %d at %#llx (%s): VmFlags \"%s\", module %#llx", i,
				       (unsigned long long)m->start, m->path, vmflags,
				       (unsigned long long)fl);
			}
		}
		EXPECT_EQ(fl & MMT_VM_HUGETLB ? MMT_PMD_SIZE : MMT_PAGE_SIZE, VV(a, PAGE_SIZE));
		EXPECT_LE(VV(a, RESIDENT), (m->end - m->start) / MMT_PAGE_SIZE);
		if (i)
			EXPECT_LE(VV(&v.vma[i - 1], END), VV(a, START));
	}
	if ((uint64_t)file_map) {
		for (i = 0; i < v.n && VV(&v.vma[i], START) != (uint64_t)file_map; i++)
			;
		ASSERT_LT(i, v.n);
		EXPECT_EQ(3ULL, VV(&v.vma[i], PGOFF));
		EXPECT_STREQ(path, v.vma[i].str);
	}
	free(maps);
	mmt_vmas_free(&v);
	munmap(shared_anon, 3 * MMT_PAGE_SIZE);
	munmap(file_map, 2 * MMT_PAGE_SIZE);
	close(fd);
	unlink(path);
}

TEST_F(mm, vma_resident_pages_agree_with_smaps)
{
	char *p = mmap(NULL, 32 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *q = mmap(NULL, 8 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct mmt_vmas v = {};
	int i;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, q);
	madvise(p, 32 * MMT_PAGE_SIZE, MADV_NOHUGEPAGE);
	/* Different flags keep the two from merging into one VMA. */
	madvise(q, 8 * MMT_PAGE_SIZE, MADV_DONTFORK);
	for (i = 0; i < 32; i++)
		if (i % 3)
			p[i * MMT_PAGE_SIZE] = 1;	/* 21 pages */

	ASSERT_EQ(0, mmt_get_vmas(&self->nl, self->pid, (uint64_t)p,
				  (uint64_t)p + 32 * MMT_PAGE_SIZE, &v, &self->err));
	ASSERT_EQ(1, v.n);
	EXPECT_EQ(21ULL, VV(&v.vma[0], RESIDENT));
	EXPECT_EQ((uint64_t)mmt_smaps_kb(0, (uint64_t)p, "Rss:") / 4, VV(&v.vma[0], RESIDENT));
	EXPECT_EQ((uint64_t)mmt_smaps_kb(0, (uint64_t)p, "Swap:") / 4, VV(&v.vma[0], SWAPPED));
	EXPECT_EQ(0ULL, VV(&v.vma[0], PMD_LEAVES));
	EXPECT_TRUE(VHAS(&v.vma[0], ANON_VMA));
	EXPECT_EQ(MMLENS_VMA_ANON, VV(&v.vma[0], KIND));

	/* Never touched: nothing resident and no anon_vma yet. */
	ASSERT_EQ(0, mmt_get_vmas(&self->nl, self->pid, (uint64_t)q,
				  (uint64_t)q + 8 * MMT_PAGE_SIZE, &v, &self->err));
	ASSERT_EQ(1, v.n);
	EXPECT_EQ((uint64_t)q, VV(&v.vma[0], START));
	EXPECT_EQ(0ULL, VV(&v.vma[0], RESIDENT));
	EXPECT_EQ(0ULL, (uint64_t)mmt_smaps_kb(0, (uint64_t)q, "Rss:"));
	EXPECT_FALSE(VHAS(&v.vma[0], ANON_VMA));
	mmt_vmas_free(&v);
}

TEST_F(mm, vma_dump_range_returns_the_overlapping_vmas)
{
	char *p = mmap(NULL, 12 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct mmt_vmas v = {};
	uint64_t b = (uint64_t)p;

	ASSERT_NE(MAP_FAILED, p);
	/* Three VMAs: [0,4) rw, [4,8) r, [8,12) rw. */
	ASSERT_EQ(0, mprotect(p + 4 * MMT_PAGE_SIZE, 4 * MMT_PAGE_SIZE, PROT_READ));

	ASSERT_EQ(0, mmt_get_vmas(&self->nl, self->pid, b + 2 * MMT_PAGE_SIZE,
				  b + 10 * MMT_PAGE_SIZE, &v, &self->err));
	ASSERT_EQ(3, v.n);
	EXPECT_EQ(b + 4 * MMT_PAGE_SIZE, VV(&v.vma[0], END));
	EXPECT_EQ(b + 4 * MMT_PAGE_SIZE, VV(&v.vma[1], START));
	EXPECT_EQ(b + 8 * MMT_PAGE_SIZE, VV(&v.vma[1], END));
	EXPECT_EQ(MMT_VM_READ, VV(&v.vma[1], FLAGS) & (MMT_VM_READ | MMT_VM_WRITE));
	EXPECT_EQ(b + 8 * MMT_PAGE_SIZE, VV(&v.vma[2], START));

	/* One page inside the middle VMA: just that VMA, whole. */
	ASSERT_EQ(0, mmt_get_vmas(&self->nl, self->pid, b + 5 * MMT_PAGE_SIZE,
				  b + 6 * MMT_PAGE_SIZE, &v, &self->err));
	ASSERT_EQ(1, v.n);
	EXPECT_EQ(b + 4 * MMT_PAGE_SIZE, VV(&v.vma[0], START));
	EXPECT_EQ(b + 8 * MMT_PAGE_SIZE, VV(&v.vma[0], END));

	/* END is exclusive: ending where the middle VMA starts excludes it. */
	ASSERT_EQ(0, mmt_get_vmas(&self->nl, self->pid, b + 3 * MMT_PAGE_SIZE,
				  b + 4 * MMT_PAGE_SIZE, &v, &self->err));
	ASSERT_EQ(1, v.n);
	EXPECT_EQ(b + 4 * MMT_PAGE_SIZE, VV(&v.vma[0], END));

	/* An empty range overlaps nothing. */
	ASSERT_EQ(0, mmt_get_vmas(&self->nl, self->pid, b + 5 * MMT_PAGE_SIZE,
				  b + 5 * MMT_PAGE_SIZE, &v, &self->err));
	EXPECT_EQ(0, v.n);
	mmt_vmas_free(&v);
	munmap(p, 12 * MMT_PAGE_SIZE);
}

/* GET_MM between two reads of /proc/self/status that agree. */
static void mm_with_status(struct __test_metadata *_metadata, FIXTURE_DATA(mm) *self,
			   struct mmt_mm *mm, const char *const *fields, long *vals, int nf)
{
	long again[32];
	int tries, i;

	ASSERT_LE(nf, 32);
	for (tries = 0; tries < 20; tries++) {
		for (i = 0; i < nf; i++)
			vals[i] = mmt_status_field(0, fields[i]);
		ASSERT_EQ(0, mmt_get_mm(&self->nl, self->pid, mm, &self->err)) {
			TH_LOG("GET_MM: %s %s", self->err.msg, mmt_parse_error);
		}
		for (i = 0; i < nf; i++)
			again[i] = mmt_status_field(0, fields[i]);
		if (!memcmp(vals, again, nf * sizeof(*vals)))
			break;
	}
	ASSERT_LT(tries, 20);
	for (i = 0; i < nf; i++)
		ASSERT_GE(vals[i], 0) {
			TH_LOG("status field #%d missing", i);
		}
}

enum { S_SIZE, S_LCK, S_PIN, S_DATA, S_STK, S_EXE, S_LIB, S_PTE, S_SWAP, S_ANON, S_FILE,
       S_SHMEM, S_HWM, S_PEAK, S_N };
static const char *const status_fields[S_N] = {
	"VmSize:", "VmLck:", "VmPin:", "VmData:", "VmStk:", "VmExe:", "VmLib:", "VmPTE:",
	"VmSwap:", "RssAnon:", "RssFile:", "RssShmem:", "VmHWM:", "VmPeak:",
};

TEST_F(mm, counters_agree_with_proc_status)
{
	uint64_t slack = mmt_rss_slack();
	struct mmt_mm mm;
	long s[S_N];
	char *locked, *big;

	/* Something locked, to compare a non-zero VmLck. */
	locked = mmap(NULL, 4 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, locked);
	/* 2048 anon pages more, so that RSS_ANON cannot be small. */
	big = mmap(NULL, 2048 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, big);

	mm_with_status(_metadata, self, &mm, status_fields, s, S_N);
	/* Exact: status prints these counters (pages) in kB. */
	EXPECT_EQ((uint64_t)s[S_SIZE], MV(&mm, TOTAL_VM) * 4);
	EXPECT_EQ((uint64_t)s[S_LCK], MV(&mm, LOCKED_VM) * 4);
	EXPECT_GE(MV(&mm, LOCKED_VM), 4ULL);
	EXPECT_EQ((uint64_t)s[S_PIN], MV(&mm, PINNED_VM) * 4);
	EXPECT_EQ((uint64_t)s[S_DATA], MV(&mm, DATA_VM) * 4);
	EXPECT_EQ((uint64_t)s[S_STK], MV(&mm, STACK_VM) * 4);
	/* VmExe is the text (end_code - start_code), VmLib the rest of exec_vm. */
	EXPECT_EQ((uint64_t)(s[S_EXE] + s[S_LIB]), MV(&mm, EXEC_VM) * 4);
	EXPECT_EQ((uint64_t)s[S_PTE], MV(&mm, PGTABLES_BYTES) >> 10);
	/* Peaks: status shows max(peak, current). */
	EXPECT_LE(MV(&mm, HIWATER_VM) * 4, (uint64_t)s[S_PEAK]);
	EXPECT_LE(MV(&mm, HIWATER_RSS) * 4, (uint64_t)s[S_HWM]);
	EXPECT_GE(MV(&mm, HIWATER_VM), MV(&mm, TOTAL_VM) > 0 ? 1ULL : 0ULL);

	/*
	 * RSS counters are per-CPU: status reads their approximation, mmlens
	 * may sum them; they may differ by the per-CPU batches (mmt_rss_slack).
	 */
#define NEAR(kb, pages) do { \
		EXPECT_LE((uint64_t)(kb) / 4, (pages) + slack) { \
			TH_LOG("%s: status %ld kB, mmlens %llu pages", #pages, (long)(kb), \
			       (unsigned long long)(pages)); \
		} \
		EXPECT_LE((pages), (uint64_t)(kb) / 4 + slack) { \
			TH_LOG("%s: status %ld kB, mmlens %llu pages", #pages, (long)(kb), \
			       (unsigned long long)(pages)); \
		} \
	} while (0)
	NEAR(s[S_ANON], MV(&mm, RSS_ANON));
	NEAR(s[S_FILE], MV(&mm, RSS_FILE));
	NEAR(s[S_SHMEM], MV(&mm, RSS_SHMEM));
	NEAR(s[S_SWAP], MV(&mm, SWAP_ENTS));
	/*
	 * The populated pages are in the counter, up to what other CPUs (or on
	 * 6.1 this task) have not folded in yet.  RSS_FILE may be 0 on 6.1: a
	 * fork does not copy file PTEs, and the child's own file faults may all
	 * still sit in its per-task cache.
	 */
	EXPECT_GE(MV(&mm, RSS_ANON) + slack, 2048ULL + 4);
	munmap(locked, 4 * MMT_PAGE_SIZE);
	munmap(big, 2048 * MMT_PAGE_SIZE);
}

TEST_F(mm, identity_and_layout_agree_with_proc_stat)
{
	uint64_t st[53], va_top = self->levels == 5 ? 1ULL << 56 : 1ULL << 47;
	struct mmt_map *maps;
	struct mmt_walk w;
	struct mmt_mm mm;
	char comm[64];
	int n, i;

	ASSERT_EQ(0, mmt_read_stat(0, st, NULL));
	ASSERT_EQ(0, mmt_get_mm(&self->nl, self->pid, &mm, &self->err)) {
		TH_LOG("GET_MM: %s %s", self->err.msg, mmt_parse_error);
	}
	EXPECT_EQ((uint64_t)self->pid, MV(&mm, PID));
	EXPECT_EQ((uint64_t)self->pid, MV(&mm, TGID));
	ASSERT_EQ(0, mmt_read_file("/proc/self/comm", comm, sizeof(comm)));
	EXPECT_STREQ(comm, mm.a.str);
	EXPECT_EQ((uint64_t)self->levels, MV(&mm, PAGING_LEVELS));
	EXPECT_EQ(va_top - MMT_PAGE_SIZE, MV(&mm, TASK_SIZE));
	EXPECT_NE(0ULL, MV(&mm, CONTEXT_ID));
	EXPECT_NE(0ULL, MV(&mm, PGD_PA));
	EXPECT_EQ(0ULL, MV(&mm, PGD_PA) & (MMT_PAGE_SIZE - 1));

	/* proc(5) numbering */
	EXPECT_EQ(st[26], MV(&mm, START_CODE));
	EXPECT_EQ(st[27], MV(&mm, END_CODE));
	EXPECT_EQ(st[28], MV(&mm, START_STACK));
	EXPECT_EQ(st[45], MV(&mm, START_DATA));
	EXPECT_EQ(st[46], MV(&mm, END_DATA));
	EXPECT_EQ(st[47], MV(&mm, START_BRK));
	EXPECT_EQ(st[48], MV(&mm, ARG_START));
	EXPECT_EQ(st[49], MV(&mm, ARG_END));
	EXPECT_EQ(st[50], MV(&mm, ENV_START));
	EXPECT_EQ(st[51], MV(&mm, ENV_END));
	EXPECT_EQ((uint64_t)syscall(SYS_brk, 0), MV(&mm, BRK));

	/* The PGD the walk starts from. */
	ASSERT_EQ(0, mmt_translate(&self->nl, self->pid, (uint64_t)&st, &w, &self->err));
	ASSERT_GT(w.nlevels, 0);
	EXPECT_EQ(MV(&mm, PGD_PA), LV(&w.level[0], TABLE_PA));

	/*
	 * mmap_base: the stack lies above it, files and anonymous mappings
	 * below (6.1 places the vDSO next to the stack: not checked).
	 */
	ASSERT_EQ(0, mmt_read_maps(0, &maps, &n));
	for (i = 0; i < n; i++) {
		if (maps[i].path[0] == '[' && strcmp(maps[i].path, "[stack]") &&
		    strcmp(maps[i].path, "[heap]"))
			continue;
		if (!strcmp(maps[i].path, "[stack]")) {
			EXPECT_GE(maps[i].start, MV(&mm, MMAP_BASE));
			continue;
		}
		EXPECT_LE(maps[i].end, MV(&mm, MMAP_BASE)) {
			TH_LOG("%#llx-%#llx %s above mmap_base %#llx",
			       (unsigned long long)maps[i].start,
			       (unsigned long long)maps[i].end, maps[i].path,
			       (unsigned long long)MV(&mm, MMAP_BASE));
		}
	}
	free(maps);
}

TEST_F(mm, map_count_is_the_number_of_vmas_in_proc_maps)
{
	struct mmt_map *m1 = NULL, *m2 = NULL;
	struct mmt_mm mm;
	int n1, n2, tries;

	for (tries = 0; tries < 20; tries++) {
		free(m1);
		free(m2);
		ASSERT_EQ(0, mmt_read_maps(0, &m1, &n1));
		ASSERT_EQ(0, mmt_get_mm(&self->nl, self->pid, &mm, &self->err));
		ASSERT_EQ(0, mmt_read_maps(0, &m2, &n2));
		if (same_maps(m1, n1, m2, n2))
			break;
	}
	ASSERT_LT(tries, 20);
	EXPECT_EQ((uint64_t)drop_gate(m1, n1), MV(&mm, MAP_COUNT));
	free(m1);
	free(m2);
}

TEST_F(mm, faults_lie_between_proc_stat_before_and_after)
{
	uint64_t before[53], after[53];
	struct mmt_mm mm;
	char *p = mmap(NULL, 64 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i;

	ASSERT_NE(MAP_FAILED, p);
	madvise(p, 64 * MMT_PAGE_SIZE, MADV_NOHUGEPAGE);
	for (i = 0; i < 64; i++)
		p[i * MMT_PAGE_SIZE] = 1;	/* 64 minor faults at least */
	ASSERT_EQ(0, mmt_read_stat(0, before, NULL));
	ASSERT_EQ(0, mmt_get_mm(&self->nl, self->pid, &mm, &self->err));
	ASSERT_EQ(0, mmt_read_stat(0, after, NULL));
	/* minflt is field 10, majflt 12 */
	EXPECT_GE(before[10], 64ULL);
	EXPECT_LE(before[10], MV(&mm, MIN_FLT));
	EXPECT_GE(after[10], MV(&mm, MIN_FLT));
	EXPECT_LE(before[12], MV(&mm, MAJ_FLT));
	EXPECT_GE(after[12], MV(&mm, MAJ_FLT));
	munmap(p, 64 * MMT_PAGE_SIZE);
}

struct sleeper {
	int ready[2], done[2];
	pid_t tid;
};

static void *sleeper(void *arg)
{
	struct sleeper *s = arg;
	char c = 't';

	s->tid = syscall(SYS_gettid);
	if (write(s->ready[1], &c, 1) != 1)
		return NULL;
	/* Until the test closes the pipe. */
	if (read(s->done[0], &c, 1) < 0)
		return NULL;
	return NULL;
}

TEST_F(mm, thread_id_stands_for_its_process_address_space)
{
	struct mmt_mm mine, thread;
	struct sleeper s = {};
	pthread_t t;
	char c;

	ASSERT_EQ(0, pipe(s.ready));
	ASSERT_EQ(0, pipe(s.done));
	ASSERT_EQ(0, pthread_create(&t, NULL, sleeper, &s));
	ASSERT_EQ(1, read(s.ready[0], &c, 1));
	ASSERT_NE(self->pid, s.tid);

	ASSERT_EQ(0, mmt_get_mm(&self->nl, self->pid, &mine, &self->err));
	ASSERT_EQ(0, mmt_get_mm(&self->nl, s.tid, &thread, &self->err)) {
		TH_LOG("GET_MM for tid %d: %s", s.tid, self->err.msg);
	}
	EXPECT_EQ((uint64_t)s.tid, MV(&thread, PID));
	EXPECT_EQ((uint64_t)self->pid, MV(&thread, TGID));
	EXPECT_EQ(MV(&mine, PGD_PA), MV(&thread, PGD_PA));
	EXPECT_EQ(MV(&mine, CONTEXT_ID), MV(&thread, CONTEXT_ID));
	close(s.done[1]);
	pthread_join(t, NULL);
}

TEST_F(mm, another_process_has_its_own_pgd_and_context)
{
	struct mmt_mm mine, other;
	int fd[2];
	pid_t child;
	char c;

	ASSERT_EQ(0, pipe(fd));
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		close(fd[1]);
		if (read(fd[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(fd[0]);
	ASSERT_EQ(0, mmt_get_mm(&self->nl, self->pid, &mine, &self->err));
	ASSERT_EQ(0, mmt_get_mm(&self->nl, child, &other, &self->err));
	EXPECT_EQ((uint64_t)child, MV(&other, TGID));
	EXPECT_NE(MV(&mine, PGD_PA), MV(&other, PGD_PA));
	EXPECT_NE(MV(&mine, CONTEXT_ID), MV(&other, CONTEXT_ID));
	close(fd[1]);
	waitpid(child, NULL, 0);
}

TEST_F(mm, page_table_pages_add_up_to_the_kernels_accounting)
{
	struct mmt_status st;
	struct mmt_mm before, after;
	long thp_kb, thp_kb2;
	uint64_t walked;
	char *p;
	int i;

	/* No new THP (their deposited tables count in pgtables_bytes, unwalked). */
	ASSERT_EQ(0, prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
	ASSERT_EQ(0, mmt_get_status(&self->nl, &st, &self->err));
	ASSERT_EQ(0, mmt_get_mm(&self->nl, self->pid, &before, &self->err));
	ASSERT_EQ(1, before.npt);

	/* 16 separate 2M regions, one 4K page touched in each: 16 PTE tables. */
	p = mmt_map_aligned(32 * MMT_PMD_SIZE, MMT_PUD_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < 16; i++)
		p[2 * i * MMT_PMD_SIZE + 0x3000] = 1;

	thp_kb = mmt_smaps_rollup_kb(0, "AnonHugePages:");
	ASSERT_EQ(0, mmt_get_mm(&self->nl, self->pid, &after, &self->err));
	thp_kb2 = mmt_smaps_rollup_kb(0, "AnonHugePages:");
	ASSERT_EQ(thp_kb, thp_kb2);

	TH_LOG("page-table pages: pgd %llu p4d %llu pud %llu pmd %llu pte %llu (pte before %llu)",
	       (unsigned long long)PTV(&after, PGD), (unsigned long long)PTV(&after, P4D),
	       (unsigned long long)PTV(&after, PUD), (unsigned long long)PTV(&after, PMD),
	       (unsigned long long)PTV(&after, PTE), (unsigned long long)PTV(&before, PTE));
	EXPECT_GE(PTV(&after, PTE), 16ULL);
	EXPECT_GE(PTV(&after, PTE) - PTV(&before, PTE), 16ULL);
	/* PTI allocates the PGD as two pages, kernel and user copy. */
	if (st.pti) {
		EXPECT_TRUE(PTV(&after, PGD) == 1 || PTV(&after, PGD) == 2);
	} else {
		EXPECT_EQ(1ULL, PTV(&after, PGD));
	}
	if (self->levels == 4) {
		EXPECT_EQ(0ULL, PTV(&after, P4D));
	} else {
		EXPECT_GE(PTV(&after, P4D), 1ULL);
	}
	EXPECT_GE(PTV(&after, PUD), 1ULL);
	EXPECT_GE(PTV(&after, PMD), 1ULL);

	/*
	 * pgtables_bytes counts PUD, PMD and PTE tables (not the PGD, nor P4D
	 * tables) plus the table deposited with each PMD-mapped anon THP.
	 */
	walked = PTV(&after, PUD) + PTV(&after, PMD) + PTV(&after, PTE);
	EXPECT_EQ((walked + (uint64_t)thp_kb / 2048) * MMT_PAGE_SIZE, MV(&after, PGTABLES_BYTES)) {
		TH_LOG("walked %llu tables, %ld kB of THP, pgtables_bytes %llu",
		       (unsigned long long)walked, thp_kb,
		       (unsigned long long)MV(&after, PGTABLES_BYTES));
	}
	munmap(p, 32 * MMT_PMD_SIZE);
}

TEST_HARNESS_MAIN
