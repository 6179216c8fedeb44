/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmlens ptes: the leaf entries of a range (MMLENS_CMD_GET_PTE) beside
 * /proc/PID/pagemap, and the comparison of the two (--check).
 */
#ifndef MMLENS_PTES_H
#define MMLENS_PTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <netlink/msg.h>

#include <linux/mmlens.h>

#include "fmt.h"
#include "proc.h"
#include "stream.h"

struct mmlens_ptes {
	struct mmlens_pte *v;
	size_t n, cap;
};

void mmlens_ptes_free(struct mmlens_ptes *p);

/*
 * Appends the records of an MMLENS_A_PTE_RECORDS payload of len bytes, which
 * may be unaligned.  Returns 0, -EBADMSG when len is not a whole number of
 * records, or -ENOMEM.
 */
int mmlens_ptes_add(struct mmlens_ptes *p, const void *data, size_t len);

/*
 * The end of rows: the names of the entry's flags, " | " and the names of
 * the frame's flags if it has some, and the newline; by a hash of the two
 * flags words.  A table has few distinct pairs, but neighbouring rows
 * alternate between them (accessed, dirty, exclusive, active...).
 */
#define MMLENS_NAMES_SLOT_BITS 3

struct mmlens_names_slot {
	bool valid;
	uint32_t flags, frame_flags;
	size_t len;
	char names[1568];	/* 2 * 768 for the names, whole 32-byte pieces */
};

struct mmlens_names_cache {
	struct mmlens_names_slot slot[1 << MMLENS_NAMES_SLOT_BITS];
};

/*
 * What of a row follows from its level and kind alone, made once per level
 * and kind: the level, kind and size columns, or the level and kind keys.
 */
struct mmlens_ptes_seg {
	unsigned char len;	/* 0: not made yet */
	char text[64];
};

/* JSON rows: the array of the names of one flags word, by a hash of it. */
struct mmlens_json_names_slot {
	bool valid;
	uint32_t flags;
	size_t len;
	char text[512];		/* whole 32-byte pieces */
};

struct mmlens_json_names_cache {
	struct mmlens_json_names_slot slot[1 << MMLENS_NAMES_SLOT_BITS];
};

/* How rows are printed. */
struct mmlens_ptes_fmt {
	bool module;		/* false: records made from pagemap */
	bool runs;		/* records may hold several entries */
	struct mmlens_names_cache names;
	struct mmlens_ptes_seg seg[2][8][8];	/* [module][level][kind] */
	struct mmlens_json_names_cache json_flags, json_page_flags;
	struct mmlens_ptes_seg json_seg[2][8][8];
};

/* The header line of the table, into line; returns its length. */
size_t mmlens_pte_header(char *line, const struct mmlens_ptes_fmt *fmt);

/*
 * One row for rec, with pm the pagemap entry of its first page (NULL if
 * unknown), into line (MMLENS_ROW_MAX bytes); returns its length.
 */
size_t mmlens_pte_row(char *line, struct mmlens_ptes_fmt *fmt,
		      const struct mmlens_pte *rec, const uint64_t *pm);

/*
 * The same as one line of JSON Lines, with the keys and values mmlens(1)
 * lists, in its order.
 */
size_t mmlens_pte_json_row(char *line, struct mmlens_ptes_fmt *fmt,
			   const struct mmlens_pte *rec, const uint64_t *pm);

/*
 * Prints the rows (or JSON Lines) of recs to out, reading their pagemap
 * entries from pagemap_fd (-1: none) with one pread per cluster of records.
 * Returns 0, -ENOMEM, or -errno of the output.
 */
int mmlens_ptes_print(struct mmlens_stream *out, struct mmlens_ptes_fmt *fmt,
		      bool json, const struct mmlens_pte *recs, size_t n,
		      int pagemap_fd);

/* --check: the records against pagemap, VMA by VMA. */
struct mmlens_check {
	/* Reads n pagemap words from word index idx; as mmlens_pread_words(). */
	ssize_t (*read_pagemap)(void *arg, uint64_t idx, uint64_t *words, size_t n);
	/*
	 * Looks at one page again after a mismatch, both ways: fills *rec
	 * (*mapped false when nothing is mapped), *vm_flags and *pm.  Returns
	 * 0 or -errno.
	 */
	int (*reread)(void *arg, uint64_t va, struct mmlens_pte *rec, bool *mapped,
		      uint64_t *vm_flags, uint64_t *pm);
	/* Tells of a mismatch that persisted. */
	void (*report)(void *arg, uint64_t va, const char *what);
	void *arg;
	/* Counts, for the summary. */
	uint64_t pages, mismatches, rechecked;
};

/*
 * Compares every 4 KiB page of [start, end) (a VMA with vm_flags) with the
 * records, sorted by address; *cursor is the first record that may matter
 * and moves along, so that VMAs in address order share one pass.  Pages no
 * record covers must be empty in pagemap.  Returns 0 or -errno.
 */
int mmlens_check_range(struct mmlens_check *c, uint64_t start, uint64_t end,
		       uint64_t vm_flags, const struct mmlens_pte *recs, size_t n,
		       size_t *cursor);

/*
 * Merges records as MMLENS_A_PTE_RUNS does: consecutive ones of the same
 * level, kind and flags, contiguous in address and frame (or swap offset).
 * Frame data stays that of the first page.  Returns the new count.
 */
size_t mmlens_ptes_merge_runs(struct mmlens_pte *recs, size_t n);

#endif /* MMLENS_PTES_H */
