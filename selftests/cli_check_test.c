// SPDX-License-Identifier: GPL-2.0
/*
 * `mmlens ptes --check PID` compares the module's page-table view of PID
 * with /proc/PID/pagemap page by page.  It must find nothing to report for
 * every process of the VM with a user address space, and for a process made
 * to hold every kind of page this tree can produce (anon, zero page, file
 * private and shared, THP, PROT_NONE, swapped if swap is on).  Where pagemap
 * does disagree, it must name every page that differs and exit with 3.  Of a
 * kernel thread, it and every other command that looks at an address space
 * must say that there is none.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mmtest.h"

#define PF_KTHREAD 0x00200000

FIXTURE(check) {
	char cli[1024];
};

FIXTURE_SETUP(check)
{
	char cmd[1200];

	if (mmt_find_cli(self->cli, sizeof(self->cli))) {
		TH_LOG("looked for %s", self->cli);
		SKIP(return, "no mmlens CLI built in this tree (userspace/mmlens)");
	}
	snprintf(cmd, sizeof(cmd), "%s ptes --help 2>&1 | grep -q -- --check", self->cli);
	if (mmt_system("%s", cmd))
		SKIP(return, "the mmlens CLI has no 'ptes --check'");
}

FIXTURE_TEARDOWN(check)
{
}

struct run {
	int status;		/* exit status, -1 if it did not exit */
	char out[16384];	/* stdout and stderr, the start of it */
	size_t len;
};

/* mmlens ARGS, its stdout and stderr together. */
static void run_cli(const char *cli, const char *args, struct run *r)
{
	char cmd[1200];
	FILE *p;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", cli, args);
	r->len = 0;
	r->out[0] = '\0';
	p = popen(cmd, "r");
	if (!p) {
		r->status = -1;
		return;
	}
	while ((n = fread(r->out + r->len, 1, sizeof(r->out) - 1 - r->len, p)) > 0)
		r->len += n;
	/* Drain the rest. */
	while (fread(cmd, 1, sizeof(cmd), p) > 0)
		;
	r->out[r->len] = '\0';
	st = pclose(p);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void run_check(const char *cli, pid_t pid, struct run *r)
{
	char args[64];

	snprintf(args, sizeof(args), "ptes --check %d", pid);
	run_cli(cli, args, r);
}

static void log_output(struct __test_metadata *_metadata, pid_t pid, const struct run *r)
{
	char *save, *line, *copy = strdup(r->out);
	int lines = 0;

	for (line = strtok_r(copy, "\n", &save); line && lines < 40;
	     line = strtok_r(NULL, "\n", &save), lines++) {
		struct mmt_map *maps;
		uint64_t va;
		int n, i;

		TH_LOG("pid %d: %s", pid, line);
		/* Name the VMA of a mismatching address. */
		if (strncmp(line, "0x", 2) || mmt_read_maps(pid, &maps, &n))
			continue;
		va = strtoull(line, NULL, 16);
		for (i = 0; i < n; i++) {
			char vmflags[256] = "";

			if (va < maps[i].start || va >= maps[i].end)
				continue;
			mmt_smaps_vmflags(pid, maps[i].start, vmflags, sizeof(vmflags));
			TH_LOG("pid %d:   in %#llx-%#llx %s %s, VmFlags:%s", pid,
			       (unsigned long long)maps[i].start, (unsigned long long)maps[i].end,
			       maps[i].perms, maps[i].path, vmflags);
		}
		free(maps);
	}
	free(copy);
}

static bool gone(pid_t pid)
{
	char state = 0;
	uint64_t st[53];

	return mmt_read_stat(pid, st, &state) || state == 'Z' || state == 'X';
}

TEST_F(check, kernel_thread_has_no_address_space_for_any_command)
{
	static const char *const cmds[] = {
		"ptes --check %d", "ptes %d", "ptes --json %d", "translate %d 0x400000",
		"translate --explain %d 0x400000", "maps %d", "info %d", "watch %d",
		"stats --count 1 %d",
	};
	pid_t kthread = 2;	/* kthreadd */
	char args[64], name[16], want[128];
	struct run *r = malloc(sizeof(*r));
	uint64_t st[53];
	size_t i;

	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, mmt_read_stat(kthread, st, NULL));
	ASSERT_TRUE(st[9] & PF_KTHREAD) {
		TH_LOG("pid 2 is not a kernel thread here (flags %#llx)", (unsigned long long)st[9]);
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(args, sizeof(args), cmds[i], kthread);
		sscanf(args, "%15s", name);
		snprintf(want, sizeof(want),
			 "mmlens: %s: PID %d is a kernel thread: it has no address space\n",
			 name, kthread);
		run_cli(self->cli, args, r);
		EXPECT_EQ(1, r->status) {
			TH_LOG("mmlens %s", args);
		}
		EXPECT_STREQ(want, r->out);
	}
	free(r);
}

TEST_F_TIMEOUT(check, every_process_agrees_with_pagemap, 600)
{
	int checked = 0, vanished = 0, failed = 0;
	struct dirent *d;
	struct run *r = malloc(sizeof(*r));
	pid_t pids[4096];
	int n = 0, i;
	DIR *dir;

	ASSERT_NE(NULL, r);
	dir = opendir("/proc");
	ASSERT_NE(NULL, dir);
	while ((d = readdir(dir)) && n < 4096) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		pids[n++] = pid;
	}
	closedir(dir);

	for (i = 0; i < n; i++) {
		uint64_t st[53];
		char state;

		if (mmt_read_stat(pids[i], st, &state) || state == 'Z')
			continue;	/* gone, or no address space left */
		if (st[9] & PF_KTHREAD)
			continue;
		run_check(self->cli, pids[i], r);
		if (r->status != 0 && gone(pids[i])) {
			vanished++;
			continue;
		}
		checked++;
		EXPECT_EQ(0, r->status) {
			failed++;
			log_output(_metadata, pids[i], r);
		}
	}
	TH_LOG("%d processes checked, %d failed, %d vanished meanwhile", checked, failed, vanished);
	EXPECT_GT(checked, 0);
	free(r);
}

TEST_F_TIMEOUT(check, process_with_every_kind_of_page_agrees_with_pagemap, 300)
{
	int ready[2], done[2];
	struct run *r = malloc(sizeof(*r));
	pid_t child;
	char c;

	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		char path[] = "/dev/shm/mmlens-check-XXXXXX";
		volatile char sink;
		char *anon, *zero, *thp, *none, *fpriv, *fshared;
		int fd, i;

		close(ready[0]);
		close(done[1]);
		anon = mmap(NULL, 64 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		zero = mmap(NULL, 16 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		none = mmap(NULL, 8 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		thp = mmt_map_aligned(4 * MMT_PMD_SIZE, MMT_PMD_SIZE, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		fd = mkstemp(path);
		if (anon == MAP_FAILED || zero == MAP_FAILED || none == MAP_FAILED ||
		    thp == MAP_FAILED || fd < 0 || ftruncate(fd, 16 * MMT_PAGE_SIZE))
			_exit(1);
		unlink(path);
		fpriv = mmap(NULL, 16 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		fshared = mmap(NULL, 16 * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (fpriv == MAP_FAILED || fshared == MAP_FAILED)
			_exit(1);
		madvise(anon, 64 * MMT_PAGE_SIZE, MADV_NOHUGEPAGE);
		madvise(zero, 16 * MMT_PAGE_SIZE, MADV_NOHUGEPAGE);
		madvise(thp, 4 * MMT_PMD_SIZE, MADV_HUGEPAGE);
		for (i = 0; i < 64; i += 2)
			anon[i * MMT_PAGE_SIZE] = 1;
		for (i = 0; i < 16; i++)
			sink = zero[i * MMT_PAGE_SIZE];
		for (i = 0; i < 4; i++)
			thp[i * MMT_PMD_SIZE] = 1;
		/* A split THP: PTE-mapped, contiguous frames. */
		mprotect(thp + MMT_PMD_SIZE + 8 * MMT_PAGE_SIZE, MMT_PAGE_SIZE, PROT_READ);
		for (i = 0; i < 8; i++)
			none[i * MMT_PAGE_SIZE] = 1;
		mprotect(none, 8 * MMT_PAGE_SIZE, PROT_NONE);
		for (i = 0; i < 16; i++) {
			fshared[i * MMT_PAGE_SIZE] = 's';
			sink = fpriv[i * MMT_PAGE_SIZE];
			if (i % 2)
				fpriv[i * MMT_PAGE_SIZE] = 'p';
		}
		(void)sink;
		/* Some anon pages out to swap, if there is any. */
		madvise(anon, 16 * MMT_PAGE_SIZE, 21 /* MADV_PAGEOUT */);
		c = 'r';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		if (read(done[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1)) {
		TH_LOG("the child could not set itself up");
	}
	run_check(self->cli, child, r);
	EXPECT_EQ(0, r->status) {
		log_output(_metadata, child, r);
	}
	close(done[1]);
	waitpid(child, NULL, 0);
	free(r);
}

#define DIFFERING_PAGES 16

/*
 * The CLI reads /proc/PID/pagemap by its path: with another process's pagemap
 * mounted over it (in a mount namespace of its own), pagemap tells of other
 * frames than the module does, and both are the kernel's real answers.
 */
static void run_cli_over_pagemap(const char *cli, const char *args, pid_t target, pid_t other,
				 struct run *r)
{
	char src[64], dst[64];
	pid_t helper;
	int st;

	snprintf(src, sizeof(src), "/proc/%d/pagemap", other);
	snprintf(dst, sizeof(dst), "/proc/%d/pagemap", target);
	r->status = -1;
	r->len = 0;
	r->out[0] = '\0';
	helper = fork();
	if (helper < 0)
		return;
	if (!helper) {
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount(src, dst, NULL, MS_BIND, NULL)) {
			snprintf(r->out, sizeof(r->out), "cannot mount %s over %s: %s", src, dst,
				 strerror(errno));
			_exit(1);
		}
		run_cli(cli, args, r);
		_exit(0);
	}
	if (waitpid(helper, &st, 0) != helper || !WIFEXITED(st) || WEXITSTATUS(st))
		r->status = -1;
}

TEST_F_TIMEOUT(check, pages_pagemap_disagrees_on_are_named_and_exit_3, 300)
{
	/* Shared with the helper that runs the CLI. */
	struct run *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t mine[DIFFERING_PAGES], theirs[DIFFERING_PAGES];
	char args[256], want[256], *line, *save;
	int go[2], ready[2], i, named = 0;
	size_t len = DIFFERING_PAGES * MMT_PAGE_SIZE;
	pid_t other;
	char *p, c;

	ASSERT_NE(MAP_FAILED, r);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	madvise(p, len, MADV_NOHUGEPAGE);
	memset(p, 1, len);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	/* A child that writes every page gets frames of its own. */
	other = fork();
	ASSERT_GE(other, 0);
	if (!other) {
		close(ready[0]);
		close(go[1]);
		memset(p, 2, len);
		c = 'r';
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	/* The helper that runs the CLI must not map our frames a second time. */
	ASSERT_EQ(0, madvise(p, len, MADV_DONTFORK));
	ASSERT_EQ(0, mmt_pagemap_range(0, (uint64_t)p, DIFFERING_PAGES, mine));
	ASSERT_EQ(0, mmt_pagemap_range(other, (uint64_t)p, DIFFERING_PAGES, theirs));
	for (i = 0; i < DIFFERING_PAGES; i++) {
		ASSERT_TRUE((mine[i] & PM_PRESENT) && (theirs[i] & PM_PRESENT));
		ASSERT_NE(PM_PFN(mine[i]), PM_PFN(theirs[i]));
	}

	snprintf(args, sizeof(args), "ptes --check %d %#llx-%#llx", getpid(),
		 (unsigned long long)(uintptr_t)p, (unsigned long long)(uintptr_t)p + len);
	run_cli_over_pagemap(self->cli, args, getpid(), other, r);
	EXPECT_EQ(3, r->status) {
		log_output(_metadata, getpid(), r);
	}
	/* One line per page, with both frames, then the count. */
	for (line = strtok_r(r->out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "mmlens: ", 8)) {
			snprintf(want, sizeof(want), "mmlens: ptes: %d mismatches", DIFFERING_PAGES);
			EXPECT_STREQ(want, line);
			continue;
		}
		ASSERT_LT(named, DIFFERING_PAGES) {
			TH_LOG("more lines than pages: %s", line);
		}
		snprintf(want, sizeof(want), "%#llx: pfn: mmlens %#llx, pagemap %#llx",
			 (unsigned long long)(uintptr_t)(p + named * MMT_PAGE_SIZE),
			 (unsigned long long)PM_PFN(mine[named]),
			 (unsigned long long)PM_PFN(theirs[named]));
		EXPECT_STREQ(want, line);
		named++;
	}
	EXPECT_EQ(DIFFERING_PAGES, named);

	/* JSON: an object per page, then the summary. */
	snprintf(args, sizeof(args), "--json ptes --check %d %#llx-%#llx", getpid(),
		 (unsigned long long)(uintptr_t)p, (unsigned long long)(uintptr_t)p + len);
	run_cli_over_pagemap(self->cli, args, getpid(), other, r);
	EXPECT_EQ(3, r->status) {
		log_output(_metadata, getpid(), r);
	}
	snprintf(want, sizeof(want), "{\"pages\":%d,\"vmas\":1,\"entries\":%d,\"rechecked\":%d,"
		 "\"mismatches\":%d}\n", DIFFERING_PAGES, DIFFERING_PAGES, DIFFERING_PAGES,
		 DIFFERING_PAGES);
	EXPECT_NE(NULL, strstr(r->out, want)) {
		log_output(_metadata, getpid(), r);
	}

	close(go[1]);
	waitpid(other, NULL, 0);
	munmap(p, len);
	munmap(r, sizeof(*r));
}

TEST_HARNESS_MAIN
