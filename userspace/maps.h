/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmlens maps: the VMAs of a process (MMLENS_CMD_GET_VMA) beside
 * /proc/PID/smaps.
 */
#ifndef MMLENS_MAPS_H
#define MMLENS_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <json.h>
#include <netlink/msg.h>

#include "mmlens.h"

struct mmlens_vma {
	uint64_t start, end;
	uint64_t flags;		/* VM_* */
	uint64_t pgoff, page_size;
	unsigned int kind;	/* enum mmlens_vma_kind */
	bool anon_vma;
	char *file;		/* NULL unless a file is mapped */
	char *label;		/* maps' name of other kinds ("[vsyscall]"), if known */
	/* Pages; pmd/pud leaves only known from the module. */
	uint64_t resident, swapped, pmd_leaves, pud_leaves;
	bool has_leaves;
	/* From /proc/PID/smaps, when it lists this VMA. */
	bool has_smaps;
	uint64_t smaps_rss_kb, smaps_swap_kb;
};

struct mmlens_vmas {
	struct mmlens_vma *v;
	size_t n, cap;
};

void mmlens_vmas_free(struct mmlens_vmas *vmas);

/* Appends the VMA of a GET_VMA reply.  Returns 0, -EBADMSG or -ENOMEM. */
int mmlens_vma_parse(struct nl_msg *msg, struct mmlens_vmas *vmas);

/*
 * Dumps the VMAs of pid overlapping [start, end) (end 0: to the end of the
 * address space).  Returns 0 or MMLENS_EXIT_FAIL after explaining on stderr.
 */
int mmlens_vmas_dump(const struct mmlens_ctx *ctx, struct mmlens_nl *nl,
		     pid_t pid, uint64_t start, uint64_t end,
		     struct mmlens_vmas *vmas);

/* Fills the smaps fields of each VMA that smaps lists. */
void mmlens_vmas_add_smaps(struct mmlens_vmas *vmas, const char *smaps_file);

/* The table with a totals line; module false leaves out pmd/pud leaves. */
void mmlens_vmas_print(FILE *f, const struct mmlens_vmas *vmas);
/* An array of objects; NULL when out of memory. */
struct json_object *mmlens_vmas_json(const struct mmlens_vmas *vmas);

#endif /* MMLENS_MAPS_H */
