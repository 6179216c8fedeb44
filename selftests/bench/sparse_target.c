// SPDX-License-Identifier: GPL-2.0
/*
 * A process with almost nothing mapped but two touched 1 MiB regions
 * terabytes apart, for the benchmark of whole-address-space dumps.  Built
 * static so no shared libraries add pages.  Prints the two addresses, then
 * waits for its standard input to close.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define REGION (1UL << 20)

static void *map_at(unsigned long addr)
{
	void *p = mmap((void *)addr, REGION, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, REGION, MADV_NOHUGEPAGE);
	memset(p, 1, REGION);
	return p;
}

int main(void)
{
	/* 1 TiB and 80 TiB: both below the 4-level limit of 128 TiB. */
	void *a = map_at(1UL << 40), *b = map_at(80UL << 40);
	char c;

	if (!a || !b) {
		perror("sparse_target: mmap");
		return 1;
	}
	printf("%p %p\n", a, b);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
