// SPDX-License-Identifier: GPL-2.0
/*
 * fork() shares private anonymous pages copy-on-write: parent and child map
 * the same frames, write-protected, each frame mapped twice and exclusive to
 * neither -- pagemap of both processes and kpagecount say so, and so must
 * mmlens, asked about each process by PID.  A write in the child gives it
 * its own frame and leaves the parent's mapped once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mmtest.h"

#define NPAGES 8

FIXTURE(cow) {
	struct mmlens_nl nl;
	int levels;
	char *map;
	pid_t child;
	int cmd, ack;		/* pipes to and from the child */
};

/* The child: waits for "w<page>" (write that page) or EOF (exit). */
static void child_loop(char *map, int cmd, int ack)
{
	unsigned char c;

	while (read(cmd, &c, 1) == 1) {
		map[c * MMT_PAGE_SIZE + 1] = 'c';
		if (write(ack, &c, 1) != 1)
			break;
	}
	_exit(0);
}

FIXTURE_SETUP(cow)
{
	int to_child[2], from_child[2], i;

	self->child = -1;
	ASSERT_EQ(0, mmlens_nl_open(&self->nl));
	self->levels = mmt_paging_levels();
	ASSERT_EQ(0, mmt_pin_cpu());
	self->map = mmap(NULL, NPAGES * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	madvise(self->map, NPAGES * MMT_PAGE_SIZE, MADV_NOHUGEPAGE);
	for (i = 0; i < NPAGES; i++)
		memset(self->map + i * MMT_PAGE_SIZE, 'p', MMT_PAGE_SIZE);

	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(from_child));
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (!self->child) {
		close(to_child[1]);
		close(from_child[0]);
		child_loop(self->map, to_child[0], from_child[1]);
	}
	close(to_child[0]);
	close(from_child[1]);
	self->cmd = to_child[1];
	self->ack = from_child[0];
}

FIXTURE_TEARDOWN(cow)
{
	if (self->child > 0) {
		close(self->cmd);
		close(self->ack);
		waitpid(self->child, NULL, 0);
	}
	mmlens_nl_close(&self->nl);
}

static void child_writes(struct __test_metadata *_metadata, FIXTURE_DATA(cow) *self,
			 unsigned char page)
{
	unsigned char c;

	ASSERT_EQ(1, write(self->cmd, &page, 1));
	ASSERT_EQ(1, read(self->ack, &c, 1));
	ASSERT_EQ(page, c);
}

TEST_F(cow, parent_and_child_map_the_same_frames_write_protected)
{
	struct mmt_view vp, vc;
	char buf[512];
	int i;

	for (i = 0; i < NPAGES; i++) {
		uint64_t va = (uint64_t)self->map + i * MMT_PAGE_SIZE + 0x10;

		mmt_view(_metadata, &self->nl, getpid(), va, self->levels, &vp);
		mmt_view(_metadata, &self->nl, self->child, va, self->levels, &vc);
		/* pagemap of both: one frame, shared. */
		ASSERT_TRUE(vp.pme & PM_PRESENT);
		ASSERT_TRUE(vc.pme & PM_PRESENT);
		EXPECT_EQ(PM_PFN(vp.pme), PM_PFN(vc.pme));
		EXPECT_FALSE(vp.pme & PM_MMAP_EXCLUSIVE);
		EXPECT_FALSE(vc.pme & PM_MMAP_EXCLUSIVE);

		EXPECT_EQ(PM_PFN(vp.pme), WV(&vp.w, PFN));
		EXPECT_EQ(PM_PFN(vc.pme), WV(&vc.w, PFN));
		EXPECT_EQ(WV(&vp.w, PA), WV(&vc.w, PA));
		EXPECT_FALSE(WV(&vp.w, FLAGS) & (MMLENS_F_RW | MMLENS_F_WRITE | MMLENS_F_EXCLUSIVE)) {
			TH_LOG("parent page %d: flags %s", i,
			       mmt_flags_str(WV(&vp.w, FLAGS), buf, sizeof(buf)));
		}
		EXPECT_FALSE(WV(&vc.w, FLAGS) & (MMLENS_F_RW | MMLENS_F_WRITE | MMLENS_F_EXCLUSIVE)) {
			TH_LOG("child page %d: flags %s", i,
			       mmt_flags_str(WV(&vc.w, FLAGS), buf, sizeof(buf)));
		}
		/* Written before the fork: still dirty for the kernel in both. */
		EXPECT_TRUE(WV(&vp.w, FLAGS) & MMLENS_F_KERNEL_DIRTY);
		EXPECT_TRUE(WV(&vc.w, FLAGS) & MMLENS_F_KERNEL_DIRTY);
		EXPECT_EQ(2ULL, FV(&vp.w.frame, MAPCOUNT));
		EXPECT_EQ(2ULL, FV(&vc.w.frame, MAPCOUNT));
		EXPECT_EQ(2U, vp.rec.mapcount);
		EXPECT_EQ(2U, vc.rec.mapcount);
		EXPECT_TRUE(FV(&vc.w.frame, FLAGS) & KPFB(KPF_ANON));
	}
}

TEST_F(cow, write_in_the_child_gives_it_its_own_frame)
{
	uint64_t va = (uint64_t)self->map + 3 * MMT_PAGE_SIZE;
	struct mmt_view vp, vc;
	uint64_t shared;

	mmt_view(_metadata, &self->nl, getpid(), va, self->levels, &vp);
	shared = WV(&vp.w, PFN);
	ASSERT_EQ(PM_PFN(vp.pme), shared);

	child_writes(_metadata, self, 3);

	mmt_view(_metadata, &self->nl, self->child, va, self->levels, &vc);
	mmt_view(_metadata, &self->nl, getpid(), va, self->levels, &vp);
	ASSERT_TRUE(vc.pme & PM_PRESENT);
	EXPECT_NE(shared, PM_PFN(vc.pme));
	EXPECT_EQ(PM_PFN(vc.pme), WV(&vc.w, PFN));
	EXPECT_TRUE(WV(&vc.w, FLAGS) & MMLENS_F_RW);
	EXPECT_TRUE(WV(&vc.w, FLAGS) & MMLENS_F_EXCLUSIVE);
	EXPECT_EQ(1ULL, FV(&vc.w.frame, MAPCOUNT));

	/* The parent keeps the old frame, now mapped once, still read-only. */
	EXPECT_EQ(shared, PM_PFN(vp.pme));
	EXPECT_EQ(shared, WV(&vp.w, PFN));
	EXPECT_TRUE(vp.pme & PM_MMAP_EXCLUSIVE);
	EXPECT_TRUE(WV(&vp.w, FLAGS) & MMLENS_F_EXCLUSIVE);
	EXPECT_FALSE(WV(&vp.w, FLAGS) & MMLENS_F_RW);
	EXPECT_EQ(1ULL, FV(&vp.w.frame, MAPCOUNT));

	/* Other pages are still shared. */
	mmt_view(_metadata, &self->nl, self->child, va + MMT_PAGE_SIZE, self->levels, &vc);
	EXPECT_EQ(2ULL, FV(&vc.w.frame, MAPCOUNT));
}

TEST_HARNESS_MAIN
