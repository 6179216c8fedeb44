// SPDX-License-Identifier: GPL-2.0
/*
 * A process that faults as fast as it can and exits at once, for the tests
 * of what happens to a watched process's last events: it writes one byte to
 * each page of a fresh region of PAGES 4 KiB pages (no THP), counts the
 * faults that cost it with its own getrusage(), reports them, and leaves
 * with exit_group() straight away.
 *
 *   fault_sprint PAGES CPU [READY_FD GO_FD [stay]]
 *
 * CPU >= 0 pins it to that CPU.  With READY_FD and GO_FD it writes a byte to
 * READY_FD once ready and starts when a byte comes on GO_FD (a test watches
 * it meanwhile); with "stay" it exits only when a second byte comes (or GO_FD
 * closes).  Its report goes to READY_FD then, else to standard output:
 *
 *   fault_sprint: pid PID region START-END faults N
 *
 * Everything the report and the exit need is touched before the count
 * starts, so that the faults counted are those of the region alone.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096UL

static unsigned long faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (unsigned long)ru.ru_minflt + (unsigned long)ru.ru_majflt;
}

int main(int argc, char **argv)
{
	unsigned long pages, i, before, after;
	int cpu, ready = -1, go = -1, out = 1, len, stay;
	char line[160], c = 0;
	cpu_set_t set;
	char *region;

	if (argc != 3 && argc != 5 && argc != 6)
		return 2;
	stay = argc == 6;
	pages = strtoul(argv[1], NULL, 0);
	cpu = atoi(argv[2]);
	if (argc >= 5) {
		ready = atoi(argv[3]);
		go = atoi(argv[4]);
		out = ready;
	}
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			return 1;
	}
	region = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED || madvise(region, pages * PAGE, MADV_NOHUGEPAGE))
		return 1;
	/* Warm what comes after the count: the report's code, stack and the exit. */
	len = snprintf(line, sizeof(line), "fault_sprint: pid %d region %p-%p faults %lu\n",
		       getpid(), (void *)region, (void *)(region + pages * PAGE), faults());
	if (len <= 0 || write(out, line, 0) < 0 || syscall(SYS_getpid) < 0)
		return 1;
	if (ready >= 0 && (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1))
		return 1;

	before = faults();
	for (i = 0; i < pages; i++)
		region[i * PAGE] = 1;
	after = faults();

	len = snprintf(line, sizeof(line), "fault_sprint: pid %d region %p-%p faults %lu\n",
		       getpid(), (void *)region, (void *)(region + pages * PAGE), after - before);
	if (write(out, line, len) != len)
		syscall(SYS_exit_group, 1);
	/* A read that returns at once was warmed by the first. */
	if (stay && read(go, &c, 1) < 0)
		syscall(SYS_exit_group, 1);
	syscall(SYS_exit_group, 0);
	return 0;
}
