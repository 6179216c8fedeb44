// SPDX-License-Identifier: GPL-2.0
/*
 * Names of the flags, kinds and levels mmlens prints.
 *
 * One table per flag word, so that text, JSON and the man page say the same
 * thing; the text joins names with a separator, JSON lists them.
 */
#include <stdio.h>
#include <string.h>

#include <linux/kernel-page-flags.h>
#include <linux/mmlens.h>

#include "names.h"

#define F(flag, name) { MMLENS_F_##flag, name }

const struct mmlens_bit_name mmlens_entry_flag_names[] = {
	F(PRESENT, "present"),
	F(RW, "rw"),
	F(USER, "user"),
	F(PWT, "pwt"),
	F(PCD, "pcd"),
	F(ACCESSED, "accessed"),
	F(DIRTY, "dirty"),
	F(PSE, "pse"),
	F(PAT, "pat"),
	F(GLOBAL, "global"),
	F(NX, "nx"),
	F(SOFT_DIRTY, "soft_dirty"),
	F(UFFD_WP, "uffd_wp"),
	F(SPECIAL, "special"),
	F(DEVMAP, "devmap"),
	F(SAVED_DIRTY, "saved_dirty"),
	F(PROTNONE, "protnone"),
	F(WRITE, "write"),
	F(KERNEL_DIRTY, "kernel_dirty"),
	F(SWP_EXCLUSIVE, "swp_exclusive"),
	F(MIGRATION_WRITE, "migration_write"),
	F(MIGRATION_EXCLUSIVE, "migration_exclusive"),
	F(DEVICE_WRITE, "device_write"),
	F(DEVICE_EXCLUSIVE, "device_exclusive"),
	F(MARKER_UFFD_WP, "marker_uffd_wp"),
	F(MARKER_POISONED, "marker_poisoned"),
	F(HAS_FRAME, "has_frame"),
	F(EXCLUSIVE, "exclusive"),
	{ 0, NULL },
};

/*
 * Bits 32 and up are the kernel-hacking ones of
 * include/linux/kernel-page-flags.h, which is not exported; /proc/kpageflags
 * reports them all the same.  Names as of Linux 6.12.
 */
#define K(bit, name) { 1ULL << (bit), name }

const struct mmlens_bit_name mmlens_kpf_names[] = {
	K(KPF_LOCKED, "locked"),
	K(KPF_ERROR, "error"),
	K(KPF_REFERENCED, "referenced"),
	K(KPF_UPTODATE, "uptodate"),
	K(KPF_DIRTY, "dirty"),
	K(KPF_LRU, "lru"),
	K(KPF_ACTIVE, "active"),
	K(KPF_SLAB, "slab"),
	K(KPF_WRITEBACK, "writeback"),
	K(KPF_RECLAIM, "reclaim"),
	K(KPF_BUDDY, "buddy"),
	K(KPF_MMAP, "mmap"),
	K(KPF_ANON, "anon"),
	K(KPF_SWAPCACHE, "swapcache"),
	K(KPF_SWAPBACKED, "swapbacked"),
	K(KPF_COMPOUND_HEAD, "compound_head"),
	K(KPF_COMPOUND_TAIL, "compound_tail"),
	K(KPF_HUGE, "huge"),
	K(KPF_UNEVICTABLE, "unevictable"),
	K(KPF_HWPOISON, "hwpoison"),
	K(KPF_NOPAGE, "nopage"),
	K(KPF_KSM, "ksm"),
	K(KPF_THP, "thp"),
	K(KPF_OFFLINE, "offline"),
	K(KPF_ZERO_PAGE, "zero_page"),
	K(KPF_IDLE, "idle"),
	K(KPF_PGTABLE, "pgtable"),
	K(32, "reserved"),
	K(33, "mlocked"),
	K(34, "owner_2"),
	K(35, "private"),
	K(36, "private_2"),
	K(37, "owner_private"),
	K(38, "arch"),
	K(39, "uncached"),
	K(40, "softdirty"),
	K(41, "arch_2"),
	K(42, "arch_3"),
	{ 0, NULL },
};

/*
 * The low 32 VM_* bits have meant the same since long before 6.1; the high
 * ones are arch-specific and moved between 6.1 and 6.12 (uffd-minor, shadow
 * stack), so they stay "bitN".
 */
const struct mmlens_bit_name mmlens_vm_flag_names[] = {
	{ MMLENS_VM_READ, "read" },
	{ MMLENS_VM_WRITE, "write" },
	{ MMLENS_VM_EXEC, "exec" },
	{ MMLENS_VM_SHARED, "shared" },
	{ MMLENS_VM_MAYREAD, "mayread" },
	{ MMLENS_VM_MAYWRITE, "maywrite" },
	{ MMLENS_VM_MAYEXEC, "mayexec" },
	{ MMLENS_VM_MAYSHARE, "mayshare" },
	{ 0x00000100, "growsdown" },
	{ 0x00000200, "uffd_missing" },
	{ 0x00000400, "pfnmap" },
	{ 0x00001000, "uffd_wp" },
	{ 0x00002000, "locked" },
	{ 0x00004000, "io" },
	{ 0x00008000, "seq_read" },
	{ 0x00010000, "rand_read" },
	{ 0x00020000, "dontcopy" },
	{ 0x00040000, "dontexpand" },
	{ 0x00080000, "lockonfault" },
	{ 0x00100000, "account" },
	{ 0x00200000, "noreserve" },
	{ MMLENS_VM_HUGETLB, "hugetlb" },
	{ 0x00800000, "sync" },
	{ 0x01000000, "pat" },		/* VM_ARCH_1 on x86 */
	{ 0x02000000, "wipeonfork" },
	{ 0x04000000, "dontdump" },
	{ MMLENS_VM_SOFTDIRTY, "softdirty" },
	{ 0x10000000, "mixedmap" },
	{ 0x20000000, "hugepage" },
	{ 0x40000000, "nohugepage" },
	{ 0x80000000, "mergeable" },
	{ 0, NULL },
};

const char *mmlens_level_name(unsigned int level)
{
	static const char *const names[] = {
		[MMLENS_LEVEL_NONE] = "none",
		[MMLENS_LEVEL_PGD] = "pgd",
		[MMLENS_LEVEL_P4D] = "p4d",
		[MMLENS_LEVEL_PUD] = "pud",
		[MMLENS_LEVEL_PMD] = "pmd",
		[MMLENS_LEVEL_PTE] = "pte",
	};

	return level < sizeof(names) / sizeof(names[0]) ? names[level] : "?";
}

const char *mmlens_kind_name(unsigned int kind)
{
	static const char *const names[] = {
		[MMLENS_KIND_NONE] = "none",
		[MMLENS_KIND_PRESENT] = "present",
		[MMLENS_KIND_SWAP] = "swap",
		[MMLENS_KIND_MIGRATION] = "migration",
		[MMLENS_KIND_PROT_NONE] = "prot_none",
		[MMLENS_KIND_MARKER] = "marker",
		[MMLENS_KIND_DEVICE] = "device",
		[MMLENS_KIND_HWPOISON] = "hwpoison",
	};

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

const char *mmlens_vma_kind_name(unsigned int kind)
{
	static const char *const names[] = {
		[MMLENS_VMA_ANON] = "anon",
		[MMLENS_VMA_FILE] = "file",
		[MMLENS_VMA_HEAP] = "heap",
		[MMLENS_VMA_STACK] = "stack",
		[MMLENS_VMA_VDSO] = "vdso",
		[MMLENS_VMA_VVAR] = "vvar",
		[MMLENS_VMA_SPECIAL] = "special",
	};

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

/* Calls fn for each name of flags, unknown bits as "bitN". */
static int for_each_name(const struct mmlens_bit_name *table, uint64_t flags,
			 int (*fn)(const char *name, void *arg), void *arg)
{
	char unknown[16];	/* "bit63" */
	int bit, ret;

	for (; table->name; table++) {
		if (!(flags & table->mask))
			continue;
		flags &= ~table->mask;
		ret = fn(table->name, arg);
		if (ret)
			return ret;
	}
	for (bit = 0; flags; bit++) {
		if (!(flags & (1ULL << bit)))
			continue;
		flags &= ~(1ULL << bit);
		snprintf(unknown, sizeof(unknown), "bit%d", bit);
		ret = fn(unknown, arg);
		if (ret)
			return ret;
	}
	return 0;
}

struct names_buf {
	char *buf;
	size_t size, len;
	char sep;
};

static int append_name(const char *name, void *arg)
{
	struct names_buf *b = arg;
	size_t n = strlen(name);

	if (b->len && b->len + 1 < b->size)
		b->buf[b->len++] = b->sep;
	if (n > b->size - 1 - b->len)
		n = b->size - 1 - b->len;
	memcpy(b->buf + b->len, name, n);
	b->len += n;
	return 0;
}

size_t mmlens_flag_names(char *buf, size_t size,
			 const struct mmlens_bit_name *table, uint64_t flags,
			 char sep)
{
	struct names_buf b = { .buf = buf, .size = size, .sep = sep };

	if (!size)
		return 0;
	for_each_name(table, flags, append_name, &b);
	buf[b.len] = '\0';
	return b.len;
}

static int add_json_name(const char *name, void *arg)
{
	struct json_object *s = json_object_new_string(name);

	if (!s || json_object_array_add(arg, s)) {
		json_object_put(s);
		return -1;
	}
	return 0;
}

struct json_object *mmlens_json_flags(const struct mmlens_bit_name *table,
				      uint64_t flags)
{
	struct json_object *arr = json_object_new_array();

	if (arr && for_each_name(table, flags, add_json_name, arr)) {
		json_object_put(arr);
		return NULL;
	}
	return arr;
}

void mmlens_vm_perms(char buf[5], uint64_t vm_flags)
{
	buf[0] = vm_flags & MMLENS_VM_READ ? 'r' : '-';
	buf[1] = vm_flags & MMLENS_VM_WRITE ? 'w' : '-';
	buf[2] = vm_flags & MMLENS_VM_EXEC ? 'x' : '-';
	/* As /proc/PID/maps: shared means VM_MAYSHARE, writable or not. */
	buf[3] = vm_flags & MMLENS_VM_MAYSHARE ? 's' : 'p';
	buf[4] = '\0';
}
