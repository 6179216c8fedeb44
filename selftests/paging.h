/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which paging mode is the running kernel in, found without mmlens: with
 * 5-level paging the kernel grants a mapping hint above 2^47 (the 4-level
 * user address space ends there); with 4-level it cannot and picks a lower
 * address instead.
 */
#ifndef MMLENS_SELFTEST_PAGING_H
#define MMLENS_SELFTEST_PAGING_H

#include <sys/mman.h>
#include <unistd.h>

static inline int probe_paging_levels(void)
{
	void *hint = (void *)(1UL << 50);
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(hint, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int levels;

	if (p == MAP_FAILED)
		return -1;
	levels = (unsigned long)p >= (1UL << 47) ? 5 : 4;
	munmap(p, page);
	return levels;
}

#endif /* MMLENS_SELFTEST_PAGING_H */
