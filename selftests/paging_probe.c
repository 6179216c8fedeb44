// SPDX-License-Identifier: GPL-2.0
/*
 * Print the paging levels of the running kernel (4 or 5), found without
 * mmlens; the VM harness uses it to prove each configuration is what it
 * claims to be.
 */
#include <stdio.h>

#include "paging.h"

int main(void)
{
	int levels = probe_paging_levels();

	if (levels < 0) {
		perror("paging_probe: mmap");
		return 1;
	}
	printf("%d\n", levels);
	return 0;
}
