/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmlens translate (walk): one virtual address through the page tables
 * (MMLENS_CMD_TRANSLATE), beside /proc/PID/pagemap.
 */
#ifndef MMLENS_TRANSLATE_H
#define MMLENS_TRANSLATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <json.h>
#include <netlink/msg.h>

#include <linux/mmlens.h>

#include "frame.h"
#include "mmlens.h"
#include "proc.h"

/* A virtual address cut into its table indices. */
struct mmlens_va_split {
	unsigned int levels;		/* 4 or 5 */
	unsigned int pgd, p4d, pud, pmd, pte;	/* p4d is 0 with 4 levels */
	unsigned int offset;		/* in the 4 KiB page */
	unsigned int pgd_shift;		/* 39, or 48 with 5 levels */
};

void mmlens_va_split(uint64_t va, unsigned int levels, struct mmlens_va_split *s);

struct mmlens_walk_level {
	unsigned int level;		/* enum mmlens_level */
	unsigned int index, shift;
	uint64_t table_pa, entry, flags;
	bool folded;
};

struct mmlens_walk {
	pid_t pid;
	uint64_t va;
	bool module;		/* false: only pagemap is known */
	unsigned int paging_levels;
	struct mmlens_walk_level levels[5];
	unsigned int nr_levels;
	/* The leaf: where the walk stopped. */
	unsigned int leaf_level, kind;
	uint64_t entry, flags;
	bool has_pkey, has_pfn, has_pa, has_swap, has_vma, has_frame;
	unsigned int pkey;
	uint64_t pfn;		/* the leaf's first frame */
	uint64_t page_size;
	uint64_t pa;
	unsigned int swap_type;
	uint64_t swap_offset;
	uint64_t vma_start, vma_end, vma_flags;
	struct mmlens_frame frame;
	/* /proc/PID/pagemap at va; pagemap_error is its -errno if unread. */
	int pagemap_error;
	struct mmlens_pagemap pagemap;
};

/* Fills w (module true) from a TRANSLATE reply.  Returns 0 or -EBADMSG. */
int mmlens_walk_parse(struct nl_msg *msg, struct mmlens_walk *w);

/*
 * The walk's leaf as a GET_PTE record of one entry, for comparing with
 * pagemap.  Returns false when nothing is mapped (none).
 */
bool mmlens_walk_to_pte(const struct mmlens_walk *w, struct mmlens_pte *rec);

void mmlens_walk_print(FILE *f, const struct mmlens_walk *w);
/* The walk drawn step by step, 80 columns wide, for a lecture. */
void mmlens_walk_explain(FILE *f, const struct mmlens_walk *w);
/* NULL when out of memory. */
struct json_object *mmlens_walk_json(const struct mmlens_walk *w);
/* The decoded pagemap entry (the "pagemap" of translate and ptes). */
struct json_object *mmlens_pagemap_json(const struct mmlens_pagemap *pm);

/*
 * Asks the module to walk va of pid into w.  Returns 0, or MMLENS_EXIT_FAIL
 * after explaining on stderr.
 */
int mmlens_translate_one(const struct mmlens_ctx *ctx, struct mmlens_nl *nl,
			 pid_t pid, uint64_t va, struct mmlens_walk *w);

#endif /* MMLENS_TRANSLATE_H */
