// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: how fast mmlens reads page tables, against what /proc offers
 * for the same pages, all measured in this one run (best of several tries:
 * under emulation the first pass also warms the host's caches).
 *
 *   ptes_bench MMLENS_CLI SPARSE_TARGET
 *
 * On a touched 1 GiB anonymous region of 4 KiB pages: the raw GET_PTE dump,
 * `mmlens ptes` (text and JSON, to /dev/null), pagemap pread, pagemap plus
 * a kpageflags pread per page, PAGEMAP_SCAN and the --runs dump; then a
 * sparse process (two 1 MiB regions terabytes apart): the whole address space
 * against the two regions alone.  Prints ns/page, the ratios and the targets,
 * and for the text target the best ratio any formatter could reach here: the
 * reads `mmlens ptes` must make, starting it, and copying out rows as long as
 * its own, already made.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/mmlens.h>
#include <netlink/genl/genl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nl.h"
#include "stream.h"

#define REGION_SIZE (1UL << 30)
#define PAGE 4096UL
#define TRIES 3

static struct mmlens_nl nl;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int count_records(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MMLENS_A_PTE_MAX + 1];
	unsigned long *pages = arg;
	const struct mmlens_pte *rec;
	int i, n;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MMLENS_A_PTE_MAX, NULL) || !tb[MMLENS_A_PTE_RECORDS])
		return -EPROTO;
	rec = nla_data(tb[MMLENS_A_PTE_RECORDS]);
	n = nla_len(tb[MMLENS_A_PTE_RECORDS]) / sizeof(*rec);
	for (i = 0; i < n; i++)
		*pages += (unsigned long)rec[i].nr << (rec[i].level == MMLENS_LEVEL_PUD ? 18 :
						       rec[i].level == MMLENS_LEVEL_PMD ? 9 : 0);
	return 0;
}

/* Pages covered by a GET_PTE dump of [start, end) of pid (end 0: whole space). */
static unsigned long dump(pid_t pid, unsigned long start, unsigned long end, int runs)
{
	struct mmlens_nl_err err;
	unsigned long pages;
	int ret;

	do {
		struct nl_msg *msg = mmlens_nl_request(&nl, MMLENS_CMD_GET_PTE, NLM_F_DUMP);

		nla_put_u32(msg, MMLENS_A_PTE_PID, pid);
		if (end) {
			nla_put_u64(msg, MMLENS_A_PTE_START, start);
			nla_put_u64(msg, MMLENS_A_PTE_END, end);
		}
		if (runs)
			nla_put_flag(msg, MMLENS_A_PTE_RUNS);
		pages = 0;
		ret = mmlens_nl_transact(&nl, msg, count_records, &pages, &err);
	} while (ret == -EAGAIN);
	if (ret) {
		fprintf(stderr, "ptes_bench: GET_PTE: %s %s\n", strerror(-ret), err.msg);
		exit(1);
	}
	return pages;
}

static unsigned long pagemap_present(int fd, char *region, uint64_t *pm)
{
	unsigned long i, n = REGION_SIZE / PAGE, present = 0;

	if (pread(fd, pm, n * 8, (unsigned long)region / PAGE * 8) != (ssize_t)(n * 8))
		die("pread pagemap");
	for (i = 0; i < n; i++)
		present += pm[i] >> 63;
	return present;
}

/* The naive tool: pagemap in bulk, then one kpageflags read per page. */
static unsigned long pagemap_kpageflags(int fd, int kpf, char *region, uint64_t *pm)
{
	unsigned long i, n = REGION_SIZE / PAGE, lru = 0;

	pagemap_present(fd, region, pm);
	for (i = 0; i < n; i++) {
		uint64_t flags, pfn = pm[i] & ((1ULL << 55) - 1);

		if (pread(kpf, &flags, 8, pfn * 8) != 8)
			die("pread kpageflags");
		lru += (flags >> 5) & 1;
	}
	return lru;
}

static unsigned long pagemap_scan(int fd, char *region)
{
	static struct page_region vec[4096];
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = (unsigned long)region,
		.end = (unsigned long)region + REGION_SIZE,
		.vec = (unsigned long)vec,
		.vec_len = 4096,
		.category_mask = PAGE_IS_PRESENT,
		.return_mask = PAGE_IS_PRESENT,
	};
	unsigned long pages = 0;
	long i, n;

	for (;;) {
		n = ioctl(fd, PAGEMAP_SCAN, &arg);
		if (n < 0)
			die("PAGEMAP_SCAN");
		for (i = 0; i < n; i++)
			pages += (vec[i].end - vec[i].start) / PAGE;
		if (arg.walk_end >= arg.end)
			return pages;
		arg.start = arg.walk_end;
	}
}

static int run_cli(const char *cli, pid_t pid, char *start, unsigned long len, const char *extra)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s ptes %s %d 0x%lx-0x%lx >/dev/null", cli, extra, pid,
		 (unsigned long)start, (unsigned long)start + len);
	return system(cmd);
}

/* Bytes of text `mmlens ptes` prints for the region (counted once, untimed). */
static unsigned long cli_bytes(const char *cli, pid_t pid, char *region)
{
	unsigned long total = 0;
	char cmd[512], buf[1 << 16];
	size_t got;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s ptes %d 0x%lx-0x%lx", cli, pid,
		 (unsigned long)region, (unsigned long)region + REGION_SIZE);
	p = popen(cmd, "r");
	if (!p)
		die("popen mmlens ptes");
	while ((got = fread(buf, 1, sizeof(buf), p)) > 0)
		total += got;
	if (pclose(p))
		die("mmlens ptes");
	return total;
}

/*
 * n rows of len bytes, made beforehand, through the CLI's output stream to
 * /dev/null: what printing them costs before any formatting.
 */
static void copy_made_rows(int devnull, unsigned long n, size_t len)
{
	static struct mmlens_stream out;
	static char made[MMLENS_ROW_MAX];
	unsigned long i;

	mmlens_stream_init(&out, devnull);
	memset(made, 'x', len - 1);
	made[len - 1] = '\n';
	for (i = 0; i < n; i++) {
		memcpy(mmlens_stream_room(&out), made, len);
		mmlens_stream_commit(&out, len);
	}
	if (mmlens_stream_flush(&out))
		die("write /dev/null");
}

#define TIME(var, expr) do {					\
	double __best = 1e30;					\
	int __t;						\
	for (__t = 0; __t < TRIES; __t++) {			\
		double __s = now_ns();				\
		expr;						\
		__s = now_ns() - __s;				\
		if (__s < __best)				\
			__best = __s;				\
	}							\
	var = __best;						\
} while (0)

static void row(const char *name, double ns, unsigned long pages, const char *note)
{
	printf("  %-42s %10.1f ns/page  %s\n", name, ns / pages, note);
}

static void verdict(const char *what, double ratio, const char *target, int ok)
{
	printf("  %-50s %7.2fx  target %-8s %s\n", what, ratio, target, ok ? "met" : "MISSED");
}

int main(int argc, char **argv)
{
	unsigned long n = REGION_SIZE / PAGE, got, a, b;
	double t_dump, t_runs, t_pm, t_pmkpf, t_scan, t_text, t_json, t_whole, t_parts;
	double t_start, t_copy, best;
	unsigned long row_bytes;
	int pm_fd, kpf_fd, to_child[2], from_child[2], devnull;
	uint64_t *pm;
	pid_t self = getpid(), target;
	char *region, row_note[64];
	FILE *out;

	if (argc != 3) {
		fprintf(stderr, "usage: ptes_bench MMLENS_CLI SPARSE_TARGET\n");
		return 2;
	}
	if (mmlens_nl_open(&nl))
		die("mmlens_nl_open");
	pm_fd = open("/proc/self/pagemap", O_RDONLY);
	kpf_fd = open("/proc/kpageflags", O_RDONLY);
	pm = malloc(n * 8);
	region = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pm_fd < 0 || kpf_fd < 0 || !pm || region == MAP_FAILED)
		die("setup");
	/* 4 KiB pages only: THP would make every tool's job 512 times smaller. */
	if (madvise(region, REGION_SIZE, MADV_NOHUGEPAGE))
		die("madvise");
	for (got = 0; got < REGION_SIZE; got += PAGE)
		region[got] = 1;

	printf("mmlens bench: %lu touched 4 KiB pages (1 GiB), best of %d\n", n, TRIES);
	TIME(t_pm, got = pagemap_present(pm_fd, region, pm));
	if (got != n)
		fprintf(stderr, "ptes_bench: pagemap sees %lu of %lu pages\n", got, n);
	TIME(t_dump, got = dump(self, (unsigned long)region, (unsigned long)region + REGION_SIZE, 0));
	if (got != n)
		fprintf(stderr, "ptes_bench: GET_PTE covers %lu of %lu pages\n", got, n);
	TIME(t_runs, got = dump(self, (unsigned long)region, (unsigned long)region + REGION_SIZE, 1));
	TIME(t_pmkpf, (void)pagemap_kpageflags(pm_fd, kpf_fd, region, pm));
	TIME(t_scan, got = pagemap_scan(pm_fd, region));
	TIME(t_text, (void)run_cli(argv[1], self, region, REGION_SIZE, ""));
	TIME(t_json, (void)run_cli(argv[1], self, region, REGION_SIZE, "--json"));
	TIME(t_start, (void)run_cli(argv[1], self, region, PAGE, ""));
	row_bytes = (cli_bytes(argv[1], self, region) + n / 2) / n;
	if (row_bytes > MMLENS_ROW_MAX)
		row_bytes = MMLENS_ROW_MAX;
	devnull = open("/dev/null", O_WRONLY);
	if (devnull < 0)
		die("/dev/null");
	TIME(t_copy, copy_made_rows(devnull, n, row_bytes));

	row("pagemap pread", t_pm, n, "");
	row("GET_PTE netlink dump (raw, frame data)", t_dump, n, "");
	row("mmlens ptes > /dev/null", t_text, n, "");
	row("mmlens ptes --json > /dev/null", t_json, n, "");
	row("pagemap + kpageflags pread per page", t_pmkpf, n, "");
	row("PAGEMAP_SCAN (present ranges)", t_scan, n, "");
	row("GET_PTE dump with runs", t_runs, n, "");

	/* The sparse process: cost must follow what is populated. */
	if (pipe(to_child) || pipe(from_child))
		die("pipe");
	target = fork();
	if (target == 0) {
		dup2(to_child[0], 0);
		dup2(from_child[1], 1);
		close(to_child[1]);
		close(from_child[0]);
		execl(argv[2], argv[2], (char *)NULL);
		die("exec sparse_target");
	}
	close(to_child[0]);
	close(from_child[1]);
	out = fdopen(from_child[0], "r");
	if (!out || fscanf(out, "%lx %lx", &a, &b) != 2)
		die("sparse_target");
	TIME(t_whole, got = dump(target, 0, 0, 0));
	TIME(t_parts, (dump(target, a, a + (1UL << 20), 0), dump(target, b, b + (1UL << 20), 0)));
	close(to_child[1]);
	waitpid(target, NULL, 0);
	printf("  %-42s %10.1f us (%lu pages)\n", "sparse: whole address space", t_whole / 1e3, got);
	printf("  %-42s %10.1f us (512 pages)\n", "sparse: the two 1 MiB regions alone", t_parts / 1e3);

	printf("\nratios (measured above):\n");
	verdict("raw dump / pagemap pread", t_dump / t_pm, "<= 1.5", t_dump <= 1.5 * t_pm);
	verdict("pagemap+kpageflags / mmlens ptes (text)", t_pmkpf / t_text, ">= 5", t_pmkpf >= 5 * t_text);
	verdict("mmlens ptes --json / mmlens ptes (text)", t_json / t_text, "<= 2", t_json <= 2 * t_text);
	verdict("runs dump / PAGEMAP_SCAN", t_runs / t_scan, "< 1", t_runs < t_scan);
	verdict("sparse whole space / populated part alone", t_whole / t_parts, "<= 2", t_whole <= 2 * t_parts);

	/* Everything but the formatting, each part measured above. */
	best = t_pmkpf / (t_dump + t_pm + t_start + t_copy);
	printf("\nwhat the text target leaves (measured above):\n");
	row("budget: pagemap + kpageflags / 5", t_pmkpf / 5, n, "");
	row("reads mmlens ptes makes: dump + pagemap", t_dump + t_pm, n, "");
	row("starting mmlens (ptes of one page)", t_start, n, "");
	snprintf(row_note, sizeof(row_note), "(%lu bytes a row, as mmlens ptes prints)", row_bytes);
	row("copying out made rows", t_copy, n, row_note);
	printf("  %-50s %7.2fx  (with no formatting at all)\n",
	       "best pagemap+kpageflags / mmlens ptes (text)", best);
	mmlens_nl_close(&nl);
	return 0;
}
