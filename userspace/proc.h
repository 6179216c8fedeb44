/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel tells about a process without mmlens: /proc/PID/maps,
 * smaps, pagemap, status and stat, and /proc/kpageflags and kpagecount.
 */
#ifndef MMLENS_PROC_H
#define MMLENS_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

/* Documentation/admin-guide/mm/pagemap.rst */
#define MMLENS_PM_PFN_MASK	((1ULL << 55) - 1)
#define MMLENS_PM_SOFT_DIRTY	(1ULL << 55)
#define MMLENS_PM_EXCLUSIVE	(1ULL << 56)
#define MMLENS_PM_UFFD_WP	(1ULL << 57)
#define MMLENS_PM_FILE		(1ULL << 61)
#define MMLENS_PM_SWAP		(1ULL << 62)
#define MMLENS_PM_PRESENT	(1ULL << 63)
#define MMLENS_PM_SWAP_TYPE_BITS 5

/* PF_KTHREAD of the flags in /proc/PID/stat (include/linux/sched.h). */
#define MMLENS_PF_KTHREAD	0x00200000

/* pagemap, kpageflags and kpagecount count in 4 KiB pages on x86. */
#define MMLENS_PAGE_SHIFT	12
#define MMLENS_PAGE_SIZE	((uint64_t)1 << MMLENS_PAGE_SHIFT)

/* One /proc/PID/pagemap entry, decoded. */
struct mmlens_pagemap {
	uint64_t raw;
	bool present;		/* bit 63 */
	bool swapped;		/* bit 62 */
	bool file;		/* bit 61: file page or shared anon */
	bool uffd_wp;		/* bit 57 */
	bool exclusive;		/* bit 56: mapped exactly once */
	bool soft_dirty;	/* bit 55 */
	uint64_t pfn;		/* bits 0-54 if present (0 without CAP_SYS_ADMIN) */
	unsigned int swap_type;	/* bits 0-4 if swapped */
	uint64_t swap_offset;	/* bits 5-54 if swapped */
};

/* Inline: text rows decode one each. */
static inline void mmlens_pagemap_decode(uint64_t raw, struct mmlens_pagemap *pm)
{
	memset(pm, 0, sizeof(*pm));
	pm->raw = raw;
	pm->present = raw & MMLENS_PM_PRESENT;
	pm->swapped = raw & MMLENS_PM_SWAP;
	pm->file = raw & MMLENS_PM_FILE;
	pm->uffd_wp = raw & MMLENS_PM_UFFD_WP;
	pm->exclusive = raw & MMLENS_PM_EXCLUSIVE;
	pm->soft_dirty = raw & MMLENS_PM_SOFT_DIRTY;
	if (pm->present) {
		pm->pfn = raw & MMLENS_PM_PFN_MASK;
	} else if (pm->swapped) {
		pm->swap_type = raw & ((1U << MMLENS_PM_SWAP_TYPE_BITS) - 1);
		pm->swap_offset = (raw & MMLENS_PM_PFN_MASK) >> MMLENS_PM_SWAP_TYPE_BITS;
	}
}

/* One line of /proc/PID/maps. */
struct mmlens_map {
	uint64_t start, end;
	uint64_t offset;
	char perms[5];		/* "rw-p" */
	char *path;		/* file or "[heap]" ..., NULL if anonymous */
};

struct mmlens_maps {
	struct mmlens_map *v;
	size_t n;
};

/*
 * Reads a maps file (/proc/PID/maps, or a copy).  Returns 0, -EBADMSG for a
 * line that is not a mapping, or another -errno.
 */
int mmlens_maps_load(const char *file, struct mmlens_maps *maps);
void mmlens_maps_free(struct mmlens_maps *maps);
/* The mapping covering va, or NULL. */
const struct mmlens_map *mmlens_maps_find(const struct mmlens_maps *maps,
					  uint64_t va);
/* VM_* flags that the permissions of a maps line stand for. */
uint64_t mmlens_map_vm_flags(const struct mmlens_map *m);
/* enum mmlens_vma_kind as the name in maps suggests. */
unsigned int mmlens_map_kind(const struct mmlens_map *m);

/* Rss and Swap of one VMA of /proc/PID/smaps. */
struct mmlens_smaps_vma {
	uint64_t start, end;
	uint64_t rss_kb, swap_kb;
};

struct mmlens_smaps {
	struct mmlens_smaps_vma *v;
	size_t n;
};

int mmlens_smaps_load(const char *file, struct mmlens_smaps *smaps);
void mmlens_smaps_free(struct mmlens_smaps *smaps);
/* The entry starting at start, or NULL. */
const struct mmlens_smaps_vma *mmlens_smaps_find(const struct mmlens_smaps *s,
						 uint64_t start);

/* Opens /proc/PID/pagemap; returns the descriptor or -errno. */
int mmlens_pagemap_open(pid_t pid);

/* "/proc/PID/name" into buf. */
void mmlens_proc_path(char *buf, size_t size, pid_t pid, const char *name);

/*
 * Reads n 64-bit words at word index idx of fd (pagemap, kpageflags,
 * kpagecount), with as few preads as the kernel allows.  Returns the number of
 * words read, fewer at the end of the file, or -errno.
 */
ssize_t mmlens_pread_words(int fd, uint64_t idx, uint64_t *words, size_t n);

/* Reads one word of /proc/kpageflags or /proc/kpagecount; -ENOENT past the end. */
int mmlens_kpage_read(const char *file, uint64_t pfn, uint64_t *val);

/* What /proc/PID/status and /proc/PID/stat tell of a process's memory. */
struct mmlens_proc_mm {
	char comm[64];
	pid_t pid, tgid;
	/* kB; -1 when the field is missing (kernel thread). */
	int64_t vm_peak, vm_size, vm_lck, vm_pin, vm_hwm, vm_rss;
	int64_t rss_anon, rss_file, rss_shmem;
	int64_t vm_data, vm_stk, vm_exe, vm_lib, vm_pte, vm_swap;
	/* /proc/PID/stat; addresses are 0 when the kernel hides them. */
	uint64_t flags;		/* PF_* of the task */
	uint64_t min_flt, maj_flt;
	uint64_t start_code, end_code, start_stack;
	uint64_t start_data, end_data, start_brk;
	uint64_t arg_start, arg_end, env_start, env_end;
};

/*
 * Reads status and stat of pid (of the files in dir, "/proc/PID" normally).
 * Returns 0, -EBADMSG when they do not parse, or another -errno.
 */
int mmlens_proc_mm_load(const char *dir, struct mmlens_proc_mm *mm);

/*
 * Whether pid is a kernel thread, as /proc/PID/stat says: 1 or 0, or -errno
 * when it cannot be read.
 */
int mmlens_proc_kthread(pid_t pid);

#endif /* MMLENS_PROC_H */
