/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the mmlens selftests (mmtest.c):
 *
 *  - mmlens queries (TRANSLATE, GET_PTE, GET_VMA, GET_MM, GET_FRAME) whose
 *    replies are parsed strictly: every attribute must be one the UAPI header
 *    knows, of its type and length, at most once; anything else fails the
 *    query with -EBADMSG and a reason in mmt_parse_error;
 *  - the independent sources the tests compare with: /proc/PID/pagemap,
 *    /proc/kpageflags, /proc/kpagecount, /proc/PID/{maps,smaps,status,stat},
 *    /proc/iomem;
 *  - small tools: aligned mappings, sysfs/procfs knobs saved and restored.
 *
 * Nothing here uses kselftest_harness.h, except the inline checks at the end,
 * compiled only when the harness was included before this header.
 */
#ifndef MMLENS_MMTEST_H
#define MMLENS_MMTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <linux/kernel-page-flags.h>
#include <linux/mmlens.h>

#include "nl.h"

struct json_object;

#define MMT_PAGE_SIZE 4096UL
#define MMT_PMD_SIZE (2UL << 20)
#define MMT_PUD_SIZE (1UL << 30)
#define MMT_PA_MASK 0x000ffffffffff000ULL	/* address bits of an x86 entry */

/* Not in the UAPI kernel-page-flags.h of every distribution. */
#ifndef KPF_ZERO_PAGE
#define KPF_ZERO_PAGE 24
#endif
#ifndef KPF_IDLE
#define KPF_IDLE 25
#endif
#ifndef KPF_PGTABLE
#define KPF_PGTABLE 26
#endif
#define KPFB(bit) (1ULL << (bit))

/* /proc/PID/pagemap (Documentation/admin-guide/mm/pagemap.rst). */
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define PM_SOFT_DIRTY (1ULL << 55)
#define PM_MMAP_EXCLUSIVE (1ULL << 56)
#define PM_UFFD_WP (1ULL << 57)
#define PM_FILE (1ULL << 61)
#define PM_SWAP (1ULL << 62)
#define PM_PRESENT (1ULL << 63)
#define PM_PFN(pme) ((pme) & PM_PFN_MASK)
#define PM_SWAP_TYPE(pme) ((pme) & 0x1f)
#define PM_SWAP_OFFSET(pme) (((pme) & PM_PFN_MASK) >> 5)

/* vm_flags bits (include/linux/mm.h), stable for years. */
#define MMT_VM_READ 0x1ULL
#define MMT_VM_WRITE 0x2ULL
#define MMT_VM_EXEC 0x4ULL
#define MMT_VM_SHARED 0x8ULL
#define MMT_VM_MAYSHARE 0x80ULL
#define MMT_VM_HUGETLB 0x400000ULL
#define MMT_VM_SOFTDIRTY 0x08000000ULL

/* "Do not put this optional attribute" for the query functions. */
#define MMT_NONE UINT64_MAX

/*
 * The attributes of one reply message (or nest), by attribute type: v[] the
 * value of integer attributes, have a bit per attribute present; the one
 * string attribute of a set (COMM, FILE) goes to str.
 */
#define MMT_MAX_ATTR 48
struct mmt_attrs {
	uint64_t have;
	uint64_t v[MMT_MAX_ATTR];
	char str[4096];
};

static inline bool mmt_has(const struct mmt_attrs *a, int type)
{
	return (a->have >> type) & 1;
}

struct mmt_walk {
	struct mmt_attrs a;		/* MMLENS_A_WALK_* */
	int nlevels;
	struct mmt_attrs level[8];	/* MMLENS_A_LEVEL_*, top first */
	int nframes;
	struct mmt_attrs frame;		/* MMLENS_A_FRAME_* of WALK_FRAME */
};

struct mmt_mm {
	struct mmt_attrs a;		/* MMLENS_A_MM_* */
	struct mmt_attrs pt;		/* MMLENS_A_PT_PAGES_* */
	int npt;
};

struct mmt_vmas {
	int n, cap;
	struct mmt_attrs *vma;		/* MMLENS_A_VMA_* */
};

struct mmt_ptes {
	size_t n, cap;
	struct mmlens_pte *rec;
	int messages;			/* reply messages that carried records */
};

/* Shorthands: WV(&walk, PFN) is walk.a.v[MMLENS_A_WALK_PFN]. */
#define WV(p_, X) ((p_)->a.v[MMLENS_A_WALK_##X])
#define WHAS(p_, X) mmt_has(&(p_)->a, MMLENS_A_WALK_##X)
#define LV(p_, X) ((p_)->v[MMLENS_A_LEVEL_##X])
#define LHAS(p_, X) mmt_has((p_), MMLENS_A_LEVEL_##X)
#define FV(p_, X) ((p_)->v[MMLENS_A_FRAME_##X])
#define FHAS(p_, X) mmt_has((p_), MMLENS_A_FRAME_##X)
#define MV(p_, X) ((p_)->a.v[MMLENS_A_MM_##X])
#define MHAS(p_, X) mmt_has(&(p_)->a, MMLENS_A_MM_##X)
#define PTV(p_, X) ((p_)->pt.v[MMLENS_A_PT_PAGES_##X])
#define VV(p_, X) ((p_)->v[MMLENS_A_VMA_##X])
#define VHAS(p_, X) mmt_has((p_), MMLENS_A_VMA_##X)

/* Why the calling thread's last reply failed to parse (-EBADMSG). */
extern __thread char mmt_parse_error[256];

/*
 * Queries.  Each returns 0 or a negative errno, with the kernel's errno and
 * extack in *err.  Dumps are retried while the kernel flags them
 * interrupted (-EAGAIN); they return -EAGAIN only when that persists.
 */
int mmt_translate(struct mmlens_nl *nl, pid_t pid, uint64_t va, struct mmt_walk *w,
		  struct mmlens_nl_err *err);
int mmt_get_frame(struct mmlens_nl *nl, uint64_t pfn, struct mmt_attrs *f,
		  struct mmlens_nl_err *err);
int mmt_get_mm(struct mmlens_nl *nl, pid_t pid, struct mmt_mm *m, struct mmlens_nl_err *err);
/* start/end MMT_NONE: not sent.  out is reset (its memory reused). */
int mmt_get_vmas(struct mmlens_nl *nl, pid_t pid, uint64_t start, uint64_t end,
		 struct mmt_vmas *out, struct mmlens_nl_err *err);
int mmt_get_ptes(struct mmlens_nl *nl, pid_t pid, uint64_t start, uint64_t end, bool runs,
		 struct mmt_ptes *out, struct mmlens_nl_err *err);
/* One attempt of each: -EAGAIN when the kernel flagged the dump interrupted. */
int mmt_get_vmas_once(struct mmlens_nl *nl, pid_t pid, uint64_t start, uint64_t end,
		      struct mmt_vmas *out, struct mmlens_nl_err *err);
int mmt_get_ptes_once(struct mmlens_nl *nl, pid_t pid, uint64_t start, uint64_t end, bool runs,
		      struct mmt_ptes *out, struct mmlens_nl_err *err);
/* Reserve room beforehand, so that a dump of the caller itself does not mmap. */
void mmt_ptes_reserve(struct mmt_ptes *p, size_t n);
void mmt_vmas_reserve(struct mmt_vmas *v, int n);
void mmt_ptes_free(struct mmt_ptes *p);
void mmt_vmas_free(struct mmt_vmas *v);
/* The record of GET_PTE covering va, or NULL. */
const struct mmlens_pte *mmt_ptes_find(const struct mmt_ptes *p, uint64_t va);

struct mmt_status {
	unsigned int paging_levels, user_va_bits, page_size, phys_bits;
	bool pti;
};
int mmt_get_status(struct mmlens_nl *nl, struct mmt_status *st, struct mmlens_nl_err *err);

/* pagemap, kpageflags, kpagecount.  pid 0 is the caller. */
int mmt_pagemap(pid_t pid, uint64_t va, uint64_t *pme);
int mmt_pagemap_range(pid_t pid, uint64_t va, size_t npages, uint64_t *pme);
/* -ENODATA beyond the end of memory (the files end at max_pfn). */
int mmt_kpageflags(uint64_t pfn, uint64_t *flags);
int mmt_kpagecount(uint64_t pfn, uint64_t *count);

/* /proc/PID/maps (pid 0: self).  Paths as the kernel prints them. */
struct mmt_map {
	uint64_t start, end, offset;
	char perms[5];
	unsigned int major, minor;
	unsigned long inode;
	char path[4096];
};
int mmt_read_maps(pid_t pid, struct mmt_map **maps, int *n);
/* A "Name:  N kB" field of the smaps entry starting at start; -1 if none. */
long mmt_smaps_kb(pid_t pid, uint64_t start, const char *field);
/* The VmFlags mnemonics ("rd wr mr ...") of the smaps entry at start. */
int mmt_smaps_vmflags(pid_t pid, uint64_t start, char *buf, size_t size);
/* VM_* bits of those mnemonics; *known: every bit the table can tell. */
uint64_t mmt_vmflags_bits(const char *vmflags, uint64_t *known);
/* A "Name:  N kB" field of /proc/PID/smaps_rollup; -1 if none. */
long mmt_smaps_rollup_kb(pid_t pid, const char *field);
/*
 * How far (pages) a reader of the mm's rss counters via get_mm_counter() --
 * /proc/PID/status -- may be from their exact sum: percpu_counter batches
 * (6.2+: max(32, 2 * CPUs) per CPU) or 6.1's per-task caches (64 events).
 */
uint64_t mmt_rss_slack(void);
/* A "Name:  N kB" (or plain number) field of /proc/PID/status; -1 if none. */
long mmt_status_field(pid_t pid, const char *field);
/* /proc/PID/stat, fields numbered as in proc(5): f[1] pid ... f[52]. */
int mmt_read_stat(pid_t pid, uint64_t f[53], char *state);

/* Files: whole contents (trailing newline removed); 0 or -errno. */
int mmt_read_file(const char *path, char *buf, size_t size);
int mmt_write_file(const char *path, const char *s);
/* The bracketed choice of a sysfs selection file ("always [madvise] never"). */
int mmt_sysfs_choice(const char *path, char *buf, size_t size);

/* System RAM ranges from /proc/iomem, in PFNs [start, end). */
struct mmt_range { uint64_t start, end; };
int mmt_system_ram(struct mmt_range *r, int max);

/*
 * 8 bytes of physical memory at pa, read through /proc/kcore (whose RAM
 * segments carry their physical address).  0, -ENOENT outside RAM, or
 * another -errno (no kcore, or lockdown refuses it).
 */
int mmt_phys_read(uint64_t pa, uint64_t *val);

/*
 * The walk of va as the MMU makes it, each entry read from physical memory
 * (mmt_phys_read()), starting from the top-level table at root: indices
 * from va's bits, each next table from the entry above, down to a leaf (a
 * PTE, a huge PUD or PMD, or an entry that is not present).
 */
struct mmt_phys_walk {
	/* By enum mmlens_level; entry_pa 0 for levels not reached. */
	uint64_t entry_pa[MMLENS_LEVEL_PTE + 1];
	uint64_t entry[MMLENS_LEVEL_PTE + 1];
	unsigned int leaf;	/* the level the walk ended at */
};
int mmt_phys_walk(uint64_t root, uint64_t va, int levels, struct mmt_phys_walk *pw);

/*
 * An anonymous-or-file mapping of size bytes whose start is aligned to align;
 * MAP_FAILED on failure.  The alignment slack is unmapped again.
 */
void *mmt_map_aligned(size_t size, size_t align, int prot, int flags, int fd, off_t off);
/* Can this kernel make transparent huge pages (built in, enabled is not "never")? */
bool mmt_thp_available(void);
/* One PMD of private anonymous memory, 2 MiB-aligned, advised MADV_HUGEPAGE; MAP_FAILED on failure. */
void *mmt_map_thp(void);
/*
 * The mmlens CLI to test: $MMLENS_CLI, else userspace/mmlens of the tree
 * the running test was built in (it runs from build/selftests/).  Returns 0
 * when it is there and executable, with its path in cli either way.
 */
int mmt_find_cli(char *cli, size_t size);
/* The next line of *text (its newline replaced by a NUL), or NULL at the end. */
char *mmt_next_line(char **text);
/*
 * The JSON object a whole line holds (json-c parses all of it), or NULL if
 * the line is anything else; the caller puts it.
 */
struct json_object *mmt_json_line(const char *line);

/* Runs cmd through sh; returns its exit status (or -1). */
int mmt_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Runs cmd through sh with its standard output caught in *out (malloc'd,
 * NUL-terminated, *len bytes; the caller frees it).  Returns its exit status,
 * or -1 when it did not run or exit.
 */
int mmt_capture(char **out, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The mmlens.ko the VM loaded (kernel command line mmlens_kmod=); 0 or -1. */
int mmt_module_path(char *path, size_t size);
/*
 * Whether the module counts pid, some socket watching it, within tries
 * GET_STATS 20 ms apart: 0 if so, else -1.
 */
int mmt_watched_within(pid_t pid, int tries);
/*
 * Waits (10 s at most) until another program's watch of pid is in place,
 * its probes armed: the module counts pid, and then a WATCH_ADD of ours
 * returned (arming is serialized, so the other's arming is over).  A fault
 * of pid from then on is seen.  0 or -1.
 */
int mmt_wait_watched(pid_t pid);
/* Pins the caller to one CPU (the first it may run on); 0 or -errno. */
int mmt_pin_cpu(void);
/* 4 or 5 by probing the address space, without mmlens (paging.h). */
int mmt_paging_levels(void);
/*
 * The commands that take a PID, and how to ask them.  GET_STATS comes last:
 * without a PID it reads the global counters, so the first
 * MMT_NR_TARGET_CMDS are those that need a target process.
 */
struct mmt_pid_cmd {
	const char *name;
	uint8_t cmd;
	int flags;
	int pid_attr;
	int va_attr;	/* 0: none needed */
};
enum {
	MMT_GET_MM, MMT_GET_VMA, MMT_TRANSLATE, MMT_GET_PTE, MMT_WATCH_ADD, MMT_WATCH_DEL,
	MMT_NR_TARGET_CMDS,
	MMT_GET_STATS = MMT_NR_TARGET_CMDS,
	MMT_NR_PID_CMDS
};
extern const struct mmt_pid_cmd mmt_pid_cmds[MMT_NR_PID_CMDS];
/* Sends c for pid (and va where c needs one); returns 0 or -errno, err filled. */
int mmt_ask_pid(struct mmlens_nl *nl, const struct mmt_pid_cmd *c, uint32_t pid, uint64_t va,
		struct mmlens_nl_err *err);

/* Levels of the leaf named by enum mmlens_level, as text. */
const char *mmt_level_name(unsigned int level);
const char *mmt_kind_name(unsigned int kind);

/*
 * KPF bits that can change without anything the test does (reclaim and LRU
 * bookkeeping, which other CPUs do asynchronously).  Comparisons of frame
 * flags use mmt_kpf_diff() instead of ignoring them: a bit may differ only if
 * kpageflags itself saw it change around the module's answer.
 */
uint64_t mmt_kpf_diff(uint64_t before, uint64_t module, uint64_t after);
/*
 * The KPF bits compared: those of the UAPI <linux/kernel-page-flags.h> (the
 * "hacker" bits from 32 up are kernel-internal), except KPF_KSM where
 * kpageflags gets it wrong (6.12 reports it for every anonymous page).
 */
uint64_t mmt_kpf_compared(void);
bool mmt_kpf_ksm_unreliable(void);

/*
 * The bit a flag name as mmlens prints it stands for: an entry flag
 * (MMLENS_F_* in lowercase) or, with page_flags, a page flag (KPF_* in
 * lowercase, compound_head and compound_tail); "bitN" is bit N.  -1 for a
 * name neither table has.
 */
int mmt_flag_bit(const char *name, bool page_flags);

/*
 * A child process that holds memory of the kinds a ptes row shows, then
 * touches nothing until mmt_still_stop(): MMT_STILL_PAGES 4 KiB pages from
 * start, written, only read (the zero page), PROT_NONE, read-only, out to
 * swap if there is any, and holes; and at thp a PMD's worth written after
 * MADV_HUGEPAGE (0 when the kernel has no THP).
 */
#define MMT_STILL_PAGES 96
struct mmt_still {
	pid_t pid;
	int done;		/* closing it lets the process exit */
	uint64_t start, thp;
};
int mmt_still_start(struct mmt_still *t);
void mmt_still_stop(struct mmt_still *t);

/* "0x... (LRU|ANON|...)" for logs. */
const char *mmt_kpf_str(uint64_t flags, char *buf, size_t size);
const char *mmt_flags_str(uint64_t flags, char *buf, size_t size);

/* Bytes mapped by a leaf at this level. */
static inline uint64_t mmt_level_size(unsigned int level)
{
	switch (level) {
	case MMLENS_LEVEL_PTE: return MMT_PAGE_SIZE;
	case MMLENS_LEVEL_PMD: return MMT_PMD_SIZE;
	case MMLENS_LEVEL_PUD: return MMT_PUD_SIZE;
	default: return 0;
	}
}

/* VA shift of the index into a table of this level, per paging mode. */
static inline unsigned int mmt_level_shift(unsigned int level, int levels)
{
	switch (level) {
	case MMLENS_LEVEL_PGD: return levels == 5 ? 48 : 39;
	case MMLENS_LEVEL_P4D: return 39;
	case MMLENS_LEVEL_PUD: return 30;
	case MMLENS_LEVEL_PMD: return 21;
	default: return 12;
	}
}

#ifdef __KSELFTEST_HARNESS_H
/*
 * Checks used by many tests.  The module's view of one base page at va -- a
 * TRANSLATE reply and the GET_PTE record covering va -- against pagemap's
 * entry pme read just before.  For a huge leaf, the record covers va and its
 * PFN is that of the leaf's first page.
 */
static inline void mmt_expect_leaf_matches_pagemap(struct __test_metadata *_metadata,
						   uint64_t va, uint64_t pme,
						   unsigned int kind, uint64_t flags,
						   uint64_t pfn, uint64_t page_size,
						   uint64_t swap_type, uint64_t swap_offset,
						   uint64_t vma_flags, const char *what)
{
	uint64_t pm_pfn = PM_PFN(pme);

	if (pme & PM_PRESENT) {
		EXPECT_TRUE(kind == MMLENS_KIND_PRESENT || kind == MMLENS_KIND_PROT_NONE) {
			TH_LOG("%s: va %#llx: pagemap says present, module kind %s", what,
			       (unsigned long long)va, mmt_kind_name(kind));
		}
		/* pfn is the leaf's first frame; pagemap's is va's own. */
		EXPECT_EQ(pm_pfn, pfn + ((va & (page_size - 1)) >> 12)) {
			TH_LOG("%s: va %#llx: pagemap pfn %#llx, module leaf pfn %#llx size %#llx",
			       what, (unsigned long long)va, (unsigned long long)pm_pfn,
			       (unsigned long long)pfn, (unsigned long long)page_size);
		}
		if (page_size == MMT_PUD_SIZE) {
			uint64_t count = 0;

			/*
			 * For a 1G hugetlb page 6.12's pagemap asks
			 * hugetlb_pmd_shared() about the PUD table, whose PMD
			 * share count is never set up there (it aliases other
			 * ptdesc fields): its exclusive bit is noise.  Count
			 * the mappings with /proc/kpagecount instead.
			 */
			EXPECT_EQ(0, mmt_kpagecount(pm_pfn, &count));
			EXPECT_EQ(count == 1, !!(flags & MMLENS_F_EXCLUSIVE)) {
				TH_LOG("%s: va %#llx: kpagecount %llu", what,
				       (unsigned long long)va, (unsigned long long)count);
			}
		} else {
			EXPECT_EQ(!!(pme & PM_MMAP_EXCLUSIVE), !!(flags & MMLENS_F_EXCLUSIVE)) {
				TH_LOG("%s: va %#llx: pagemap exclusive bit %d", what,
				       (unsigned long long)va, !!(pme & PM_MMAP_EXCLUSIVE));
			}
		}
	} else if (pme & PM_SWAP) {
		EXPECT_EQ(MMLENS_KIND_SWAP, kind) {
			TH_LOG("%s: va %#llx: pagemap says swapped, module kind %s", what,
			       (unsigned long long)va, mmt_kind_name(kind));
		}
		EXPECT_EQ(PM_SWAP_TYPE(pme), swap_type);
		EXPECT_EQ(PM_SWAP_OFFSET(pme), swap_offset) {
			TH_LOG("%s: va %#llx", what, (unsigned long long)va);
		}
	} else {
		EXPECT_EQ(MMLENS_KIND_NONE, kind) {
			TH_LOG("%s: va %#llx: pagemap says not mapped (%#llx), module kind %s", what,
			       (unsigned long long)va, (unsigned long long)pme,
			       mmt_kind_name(kind));
		}
	}
	/*
	 * pagemap's soft-dirty bit is the entry's OR the VMA's VM_SOFTDIRTY (set
	 * on new VMAs until clear_refs), and for hugetlb the VMA's alone.
	 */
	if ((pme & (PM_PRESENT | PM_SWAP)) && !(vma_flags & (MMT_VM_SOFTDIRTY | MMT_VM_HUGETLB))) {
		EXPECT_EQ(!!(pme & PM_SOFT_DIRTY), !!(flags & MMLENS_F_SOFT_DIRTY)) {
			TH_LOG("%s: va %#llx: pagemap soft-dirty bit %d", what,
			       (unsigned long long)va, !!(pme & PM_SOFT_DIRTY));
		}
	} else if ((pme & (PM_PRESENT | PM_SWAP)) && (flags & MMLENS_F_SOFT_DIRTY)) {
		EXPECT_TRUE(pme & PM_SOFT_DIRTY);
	}
	if ((pme & (PM_PRESENT | PM_SWAP)) && !(vma_flags & MMT_VM_HUGETLB))
		EXPECT_EQ(!!(pme & PM_UFFD_WP), !!(flags & MMLENS_F_UFFD_WP));
}

/* Frame flags reported by the module for pfn against /proc/kpageflags. */
static inline void mmt_expect_kpf_matches(struct __test_metadata *_metadata, uint64_t pfn,
					  uint64_t before, uint64_t module, uint64_t after,
					  const char *what)
{
	uint64_t diff = mmt_kpf_diff(before, module, after);
	char b1[512], b2[512];

	EXPECT_EQ(0ULL, diff) {
		TH_LOG("%s: pfn %#llx: kpageflags %s, module %s", what,
		       (unsigned long long)pfn, mmt_kpf_str(before, b1, sizeof(b1)),
		       mmt_kpf_str(module, b2, sizeof(b2)));
	}
	/* Never a frame flag kpageflags does not define. */
	EXPECT_EQ(0ULL, module & ~(KPFB(KPF_PGTABLE + 1) - 1) & ~before) {
		TH_LOG("%s: pfn %#llx: module %s", what, (unsigned long long)pfn,
		       mmt_kpf_str(module, b2, sizeof(b2)));
	}
}

/*
 * Raw x86 bits against the decoded MMLENS_F_* of a present entry (any level).
 * Only the hardware bits whose meaning does not depend on the level.
 */
static inline void mmt_expect_hw_flags(struct __test_metadata *_metadata, uint64_t entry,
				       uint64_t flags, const char *what)
{
	static const struct { int bit; uint64_t flag; } map[] = {
		{ 0, MMLENS_F_PRESENT }, { 1, MMLENS_F_RW }, { 2, MMLENS_F_USER },
		{ 3, MMLENS_F_PWT }, { 4, MMLENS_F_PCD }, { 5, MMLENS_F_ACCESSED },
		{ 63, MMLENS_F_NX },
	};
	char buf[512];
	unsigned int i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		EXPECT_EQ((entry >> map[i].bit) & 1, (uint64_t)!!(flags & map[i].flag)) {
			TH_LOG("%s: entry %#llx bit %d, flags %s", what, (unsigned long long)entry,
			       map[i].bit, mmt_flags_str(flags, buf, sizeof(buf)));
		}
	}
}

/* A TRANSLATE reply is consistent in itself (nothing but the reply used). */
static inline void mmt_expect_walk_sane(struct __test_metadata *_metadata,
					const struct mmt_walk *w, pid_t pid, uint64_t va,
					int levels)
{
	const struct mmt_attrs *prev = NULL;
	unsigned int kind = WV(w, KIND), leaf = WV(w, LEAF_LEVEL);
	uint64_t size = mmt_level_size(leaf);
	int i, nonfolded = 0;
	char what[64];

	snprintf(what, sizeof(what), "translate %#llx", (unsigned long long)va);
	EXPECT_TRUE(WHAS(w, PID) && WHAS(w, VA) && WHAS(w, PAGING_LEVELS) &&
		    WHAS(w, LEAF_LEVEL) && WHAS(w, KIND) && WHAS(w, ENTRY) && WHAS(w, FLAGS)) {
		TH_LOG("%s: reply lacks a mandatory attribute (have %#llx)", what,
		       (unsigned long long)w->a.have);
	}
	EXPECT_EQ((uint64_t)pid, WV(w, PID));
	EXPECT_EQ(va, WV(w, VA));
	EXPECT_EQ((uint64_t)levels, WV(w, PAGING_LEVELS));

	if (!WHAS(w, VMA_START) && !w->nlevels) {
		/* Nothing walked where no VMA is: then nothing is there either. */
		EXPECT_EQ(MMLENS_LEVEL_NONE, leaf);
		EXPECT_EQ(MMLENS_KIND_NONE, kind);
		EXPECT_EQ(0ULL, WV(w, ENTRY));
		return;
	}
	/* PGD, P4D (folded with 4-level paging), PUD, ... down to the leaf. */
	ASSERT_GT(w->nlevels, 0) {
		TH_LOG("%s: no level in the reply: leaf %s kind %s entry %#llx have %#llx", what,
		       mmt_level_name(leaf), mmt_kind_name(kind), (unsigned long long)WV(w, ENTRY),
		       (unsigned long long)w->a.have);
	}
	for (i = 0; i < w->nlevels; i++) {
		const struct mmt_attrs *l = &w->level[i];
		unsigned int lvl = LV(l, LEVEL);
		bool folded = LHAS(l, FOLDED);

		EXPECT_TRUE(LHAS(l, LEVEL) && LHAS(l, INDEX) && LHAS(l, SHIFT) && LHAS(l, TABLE_PA) &&
			    LHAS(l, ENTRY) && LHAS(l, FLAGS)) {
			TH_LOG("%s: level %d lacks an attribute (have %#llx)", what, i,
			       (unsigned long long)l->have);
		}
		EXPECT_EQ((uint64_t)(MMLENS_LEVEL_PGD + i), (uint64_t)lvl) {
			TH_LOG("%s: level #%d is %s", what, i, mmt_level_name(lvl));
		}
		EXPECT_EQ(levels == 4 && lvl == MMLENS_LEVEL_P4D, folded) {
			TH_LOG("%s: level %s folded=%d in %d-level paging", what,
			       mmt_level_name(lvl), folded, levels);
		}
		/* A folded P4D's shift (39) is the PGD's of 4-level paging. */
		EXPECT_EQ(mmt_level_shift(lvl, levels), LV(l, SHIFT)) {
			TH_LOG("%s: level %s", what, mmt_level_name(lvl));
		}
		EXPECT_EQ((va >> mmt_level_shift(lvl, levels)) & 511, LV(l, INDEX)) {
			TH_LOG("%s: level %s", what, mmt_level_name(lvl));
		}
		if (folded) {
			/* The kernel's folded p4d_t is the pgd_t itself, where it lies. */
			EXPECT_TRUE(prev && LV(prev, ENTRY) == LV(l, ENTRY) &&
				    LV(prev, TABLE_PA) == LV(l, TABLE_PA) &&
				    LV(prev, INDEX) == LV(l, INDEX)) {
				TH_LOG("%s: folded %s entry %#llx at %#llx[%llu], pgd entry %#llx "
				       "at %#llx[%llu]", what, mmt_level_name(lvl),
				       (unsigned long long)LV(l, ENTRY),
				       (unsigned long long)LV(l, TABLE_PA),
				       (unsigned long long)LV(l, INDEX),
				       prev ? (unsigned long long)LV(prev, ENTRY) : 0ULL,
				       prev ? (unsigned long long)LV(prev, TABLE_PA) : 0ULL,
				       prev ? (unsigned long long)LV(prev, INDEX) : 0ULL);
			}
			continue;
		}
		nonfolded++;
		EXPECT_NE(0ULL, LV(l, TABLE_PA)) {
			TH_LOG("%s: level %s", what, mmt_level_name(lvl));
		}
		EXPECT_EQ(0ULL, LV(l, TABLE_PA) & (MMT_PAGE_SIZE - 1));
		/* The entry above points to this table. */
		if (prev) {
			EXPECT_EQ(LV(prev, ENTRY) & MMT_PA_MASK, LV(l, TABLE_PA)) {
				TH_LOG("%s: %s entry %#llx, %s table at %#llx", what,
				       mmt_level_name(LV(prev, LEVEL)),
				       (unsigned long long)LV(prev, ENTRY), mmt_level_name(lvl),
				       (unsigned long long)LV(l, TABLE_PA));
			}
			EXPECT_TRUE(LV(prev, ENTRY) & 1) {
				TH_LOG("%s: walked below a non-present %s entry", what,
				       mmt_level_name(LV(prev, LEVEL)));
			}
		}
		if (LV(l, ENTRY) & 1)
			mmt_expect_hw_flags(_metadata, LV(l, ENTRY), LV(l, FLAGS), what);
		prev = l;
	}
	EXPECT_EQ((uint64_t)leaf, LV(&w->level[w->nlevels - 1], LEVEL));
	EXPECT_EQ(WV(w, ENTRY), LV(&w->level[w->nlevels - 1], ENTRY)) {
		TH_LOG("%s: leaf entry differs from the last level's", what);
	}
	EXPECT_EQ((int)(leaf - MMLENS_LEVEL_PGD + 1 - (levels == 4 && leaf >= MMLENS_LEVEL_P4D)),
		  nonfolded);

	if (kind == MMLENS_KIND_PRESENT || kind == MMLENS_KIND_PROT_NONE) {
		EXPECT_TRUE(WHAS(w, PFN) && WHAS(w, PAGE_SIZE)) {
			TH_LOG("%s: %s leaf without pfn/page size", what, mmt_kind_name(kind));
		}
		EXPECT_NE(0ULL, size) {
			TH_LOG("%s: %s leaf at level %s", what, mmt_kind_name(kind),
			       mmt_level_name(leaf));
		}
		EXPECT_EQ(size, WV(w, PAGE_SIZE));
		EXPECT_EQ(1, w->nframes) {
			TH_LOG("%s: no frame nest for a %s leaf", what, mmt_kind_name(kind));
		}
		if (size && w->nframes) {
			EXPECT_TRUE(FHAS(&w->frame, PFN) && FHAS(&w->frame, FLAGS) &&
				    FHAS(&w->frame, MAPCOUNT) && FHAS(&w->frame, REFCOUNT) &&
				    FHAS(&w->frame, ORDER));
			EXPECT_EQ(WV(w, PFN) + ((va & (size - 1)) >> 12), FV(&w->frame, PFN)) {
				TH_LOG("%s: frame nest is not of the page va lies in", what);
			}
		}
	}
	if (kind == MMLENS_KIND_PRESENT && size) {
		/* PAT sits in bit 12 of huge leaves, below their address bits. */
		EXPECT_EQ((WV(w, ENTRY) & MMT_PA_MASK & ~(size - 1)) >> 12, WV(w, PFN)) {
			TH_LOG("%s: entry %#llx", what, (unsigned long long)WV(w, ENTRY));
		}
		EXPECT_TRUE(WHAS(w, PA));
		EXPECT_EQ((WV(w, PFN) << 12) + (va & (size - 1)), WV(w, PA)) {
			TH_LOG("%s: pfn %#llx page size %#llx pa %#llx", what,
			       (unsigned long long)WV(w, PFN), (unsigned long long)size,
			       (unsigned long long)WV(w, PA));
		}
		mmt_expect_hw_flags(_metadata, WV(w, ENTRY), WV(w, FLAGS), what);
		EXPECT_EQ(leaf != MMLENS_LEVEL_PTE, !!(WV(w, FLAGS) & MMLENS_F_PSE));
	} else if (kind == MMLENS_KIND_PROT_NONE && size && WHAS(w, PA)) {
		/* "present leaves": PROT_NONE is present to the kernel; if PA, right. */
		EXPECT_EQ((WV(w, PFN) << 12) + (va & (size - 1)), WV(w, PA));
	} else {
		EXPECT_FALSE(WHAS(w, PA)) {
			TH_LOG("%s: PA for a %s leaf", what, mmt_kind_name(kind));
		}
	}
	if (kind == MMLENS_KIND_PROT_NONE) {
		EXPECT_EQ(0ULL, WV(w, ENTRY) & 1);
		EXPECT_TRUE(WV(w, FLAGS) & MMLENS_F_PROTNONE);
		EXPECT_FALSE(WV(w, FLAGS) & MMLENS_F_PRESENT);
	}
	if (kind == MMLENS_KIND_SWAP) {
		EXPECT_TRUE(WHAS(w, SWAP_TYPE) && WHAS(w, SWAP_OFFSET));
		EXPECT_FALSE(WHAS(w, PFN));
		EXPECT_EQ(0ULL, WV(w, ENTRY) & 1);
	}
	if (kind == MMLENS_KIND_NONE) {
		EXPECT_FALSE(WHAS(w, PFN));
		EXPECT_EQ(0ULL, WV(w, ENTRY));
	}
	if (WHAS(w, VMA_START)) {
		EXPECT_TRUE(WHAS(w, VMA_END) && WHAS(w, VMA_FLAGS));
		EXPECT_LE(WV(w, VMA_START), va);
		EXPECT_GT(WV(w, VMA_END), va);
	}
}

/* The GET_PTE record of a leaf tells what TRANSLATE tells of it. */
static inline void mmt_expect_record_matches_walk(struct __test_metadata *_metadata,
						  const struct mmlens_pte *r,
						  const struct mmt_walk *w, uint64_t va)
{
	uint64_t size = mmt_level_size(WV(w, LEAF_LEVEL));
	unsigned int kind = WV(w, KIND);
	char b1[512], b2[512];

	EXPECT_EQ(1U, r->nr);
	EXPECT_EQ(WV(w, LEAF_LEVEL), (uint64_t)r->level);
	EXPECT_EQ(WV(w, KIND), (uint64_t)r->kind) {
		TH_LOG("va %#llx: translate says %s, ptes %s", (unsigned long long)va,
		       mmt_kind_name(WV(w, KIND)), mmt_kind_name(r->kind));
	}
	if (size)
		EXPECT_EQ(va & ~(size - 1), r->va);
	EXPECT_EQ(WV(w, ENTRY), r->entry) {
		TH_LOG("va %#llx", (unsigned long long)va);
	}
	EXPECT_EQ(WV(w, FLAGS) & ~MMLENS_F_HAS_FRAME, r->flags & ~MMLENS_F_HAS_FRAME) {
		TH_LOG("va %#llx: translate %s, ptes %s", (unsigned long long)va,
		       mmt_flags_str(WV(w, FLAGS), b1, sizeof(b1)),
		       mmt_flags_str(r->flags, b2, sizeof(b2)));
	}
	if (kind == MMLENS_KIND_PRESENT || kind == MMLENS_KIND_PROT_NONE ||
	    kind == MMLENS_KIND_MIGRATION || kind == MMLENS_KIND_DEVICE)
		EXPECT_EQ(WV(w, PFN), r->pfn);
	if (kind == MMLENS_KIND_PRESENT || kind == MMLENS_KIND_PROT_NONE ||
	    kind == MMLENS_KIND_MIGRATION) {
		EXPECT_TRUE(r->flags & MMLENS_F_HAS_FRAME) {
			TH_LOG("va %#llx: %s record without frame data", (unsigned long long)va,
			       mmt_kind_name(kind));
		}
	}
	if (kind == MMLENS_KIND_PRESENT && WHAS(w, PKEY))
		EXPECT_EQ(WV(w, PKEY), (uint64_t)r->pkey);
	if (kind == MMLENS_KIND_SWAP || kind == MMLENS_KIND_MIGRATION ||
	    kind == MMLENS_KIND_MARKER || kind == MMLENS_KIND_DEVICE)
		EXPECT_EQ(WV(w, SWAP_TYPE), (uint64_t)r->swap_type);
	/* Entries with a frame keep it where the others keep their swap offset. */
	if (kind == MMLENS_KIND_SWAP || kind == MMLENS_KIND_MARKER)
		EXPECT_EQ(WV(w, SWAP_OFFSET), r->swap_offset);
}

/* Everything mmlens says about one address, next to what /proc says. */
struct mmt_view {
	uint64_t va, pme;
	struct mmt_walk w;
	struct mmlens_pte rec;
	int nrec;
};

/*
 * Reads pagemap for va of pid, asks TRANSLATE and GET_PTE (over va's base
 * page) and checks them against each other, pagemap, kpageflags and
 * kpagecount.  The module is asked twice: the first answer tells which
 * frames to read kpageflags of, around the second one.
 */
static inline void mmt_view(struct __test_metadata *_metadata, struct mmlens_nl *nl, pid_t pid,
			    uint64_t va, int levels, struct mmt_view *v)
{
	uint64_t page = va & ~(MMT_PAGE_SIZE - 1), kb[2] = {}, ka[2] = {}, kc[2] = {};
	uint64_t pfn[2] = { MMT_NONE, MMT_NONE }, size;
	struct mmlens_nl_err err = {};
	struct mmt_ptes p = {};
	int ret, i, round;

	memset(v, 0, sizeof(*v));
	v->va = va;
	mmt_ptes_reserve(&p, 16);
	for (round = 0; round < 2; round++) {
		for (i = 0; round && i < 2; i++)
			if (pfn[i] != MMT_NONE)
				EXPECT_EQ(0, mmt_kpageflags(pfn[i], &kb[i]));
		ASSERT_EQ(0, mmt_pagemap(pid, va, &v->pme));
		ret = mmt_translate(nl, pid, va, &v->w, &err);
		ASSERT_EQ(0, ret) {
			TH_LOG("translate %#llx: %s (%s)", (unsigned long long)va, err.msg,
			       mmt_parse_error);
		}
		ret = mmt_get_ptes(nl, pid, page, page + MMT_PAGE_SIZE, false, &p, &err);
		ASSERT_EQ(0, ret) {
			TH_LOG("ptes %#llx: %s (%s)", (unsigned long long)page, err.msg,
			       mmt_parse_error);
		}
		for (i = 0; round && i < 2; i++) {
			if (pfn[i] == MMT_NONE)
				continue;
			EXPECT_EQ(0, mmt_kpageflags(pfn[i], &ka[i]));
			EXPECT_EQ(0, mmt_kpagecount(pfn[i], &kc[i]));
		}
		/* [0]: the leaf's first frame (GET_PTE's), [1]: va's (the frame nest's) */
		if (WHAS(&v->w, PFN) && mmt_level_size(WV(&v->w, LEAF_LEVEL))) {
			pfn[0] = WV(&v->w, PFN);
			pfn[1] = pfn[0] + ((va & (mmt_level_size(WV(&v->w, LEAF_LEVEL)) - 1)) >> 12);
		}
	}
	v->nrec = p.n;
	if (p.n)
		v->rec = p.rec[0];
	mmt_ptes_free(&p);

	mmt_expect_walk_sane(_metadata, &v->w, pid, va, levels);
	size = mmt_level_size(WV(&v->w, LEAF_LEVEL));
	EXPECT_EQ(WV(&v->w, KIND) != MMLENS_KIND_NONE, v->nrec) {
		TH_LOG("va %#llx: %d GET_PTE records for a %s leaf", (unsigned long long)va,
		       v->nrec, mmt_kind_name(WV(&v->w, KIND)));
	}
	if (v->nrec == 1)
		mmt_expect_record_matches_walk(_metadata, &v->rec, &v->w, va);
	mmt_expect_leaf_matches_pagemap(_metadata, va, v->pme, WV(&v->w, KIND), WV(&v->w, FLAGS),
					WV(&v->w, PFN), size ? size : MMT_PAGE_SIZE,
					WV(&v->w, SWAP_TYPE), WV(&v->w, SWAP_OFFSET),
					WV(&v->w, VMA_FLAGS), "translate");
	if (v->nrec == 1)
		mmt_expect_leaf_matches_pagemap(_metadata, va, v->pme, v->rec.kind, v->rec.flags,
						v->rec.pfn, mmt_level_size(v->rec.level),
						v->rec.swap_type, v->rec.swap_offset,
						WV(&v->w, VMA_FLAGS), "ptes");

	/* Frame data against kpageflags and kpagecount. */
	if (pfn[0] != MMT_NONE && v->nrec == 1 && (v->rec.flags & MMLENS_F_HAS_FRAME)) {
		mmt_expect_kpf_matches(_metadata, pfn[0], kb[0], v->rec.frame_flags, ka[0],
				       "ptes record");
		EXPECT_EQ(kc[0], (uint64_t)v->rec.mapcount) {
			TH_LOG("ptes record: pfn %#llx: kpagecount %llu",
			       (unsigned long long)pfn[0], (unsigned long long)kc[0]);
		}
	}
	if (pfn[1] != MMT_NONE && v->w.nframes) {
		mmt_expect_kpf_matches(_metadata, pfn[1], kb[1], FV(&v->w.frame, FLAGS), ka[1],
				       "translate frame");
		EXPECT_EQ(kc[1], FV(&v->w.frame, MAPCOUNT)) {
			TH_LOG("translate frame: pfn %#llx: kpagecount %llu",
			       (unsigned long long)pfn[1], (unsigned long long)kc[1]);
		}
	}
}
#endif /* __KSELFTEST_HARNESS_H */

#endif /* MMLENS_MMTEST_H */
