// SPDX-License-Identifier: GPL-2.0
/*
 * `mmlens ptes --check PID` compares the module's page-table view of PID
 * with /proc/PID/pagemap page by page.  It must find nothing to report for
 * every process of the VM with a user address space, and for a process made
 * to hold every kind of page this tree can produce (anon, zero page, file
 * private and shared, THP, PROT_NONE, swapped if swap is on).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

static void run_check(const char *cli, pid_t pid, struct run *r)
{
	char cmd[1200];
	FILE *p;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "%s ptes --check %d 2>&1", cli, pid);
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

TEST_HARNESS_MAIN
