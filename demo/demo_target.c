// SPDX-License-Identifier: GPL-2.0
/*
 * The small live program of `make demo`: a heap allocation, a stack
 * variable and a transparent huge page, all written to, their addresses
 * printed for the demo script.  Waits until its standard input closes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE (2UL << 20)

int main(void)
{
	char on_stack[64] = "hello from the stack";
	char *heap = malloc(4096);
	char *area, *thp;
	char c;

	/* Map twice the size to find a 2 MiB-aligned stretch for the THP. */
	area = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!heap || area == MAP_FAILED) {
		perror("demo_target");
		return 1;
	}
	thp = (char *)(((uintptr_t)area + HUGE - 1) & ~(HUGE - 1));
	madvise(thp, HUGE, MADV_HUGEPAGE);
	memset(thp, 0x5a, HUGE);
	strcpy(heap, "hello from the heap");

	printf("heap %p\nstack %p\nthp %p\n", (void *)heap, (void *)on_stack, (void *)(thp + 0x12345));
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return on_stack[0] + heap[0] == 0;
}
