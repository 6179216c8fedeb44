/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of the flags, kinds and levels mmlens prints: entry flags
 * (MMLENS_F_*), page flags (KPF_*), VMA flags (VM_*).
 */
#ifndef MMLENS_NAMES_H
#define MMLENS_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include <json.h>

/* VM_* flags mmlens decodes (include/linux/mm.h, stable since 2.6). */
#define MMLENS_VM_READ		0x00000001ULL
#define MMLENS_VM_WRITE		0x00000002ULL
#define MMLENS_VM_EXEC		0x00000004ULL
#define MMLENS_VM_SHARED	0x00000008ULL
#define MMLENS_VM_MAYREAD	0x00000010ULL
#define MMLENS_VM_MAYWRITE	0x00000020ULL
#define MMLENS_VM_MAYEXEC	0x00000040ULL
#define MMLENS_VM_MAYSHARE	0x00000080ULL
#define MMLENS_VM_PFNMAP	0x00000400ULL
#define MMLENS_VM_HUGETLB	0x00400000ULL
#define MMLENS_VM_SOFTDIRTY	0x08000000ULL

/* One flag: a mask of one bit and its lowercase name; tables end at NULL. */
struct mmlens_bit_name {
	uint64_t mask;
	const char *name;
};

extern const struct mmlens_bit_name mmlens_entry_flag_names[];
extern const struct mmlens_bit_name mmlens_kpf_names[];
extern const struct mmlens_bit_name mmlens_vm_flag_names[];

/* "pgd", "p4d", "pud", "pmd", "pte"; "none" or "?" otherwise. */
const char *mmlens_level_name(unsigned int level);
/* "present", "swap", ... as enum mmlens_entry_kind; "?" if unknown. */
const char *mmlens_kind_name(unsigned int kind);
/* "anon", "file", "heap", ... as enum mmlens_vma_kind; "?" if unknown. */
const char *mmlens_vma_kind_name(unsigned int kind);

/*
 * Writes the names of the bits of flags found in table, separated by sep,
 * and "bitN" for each bit the table does not know, to buf (always
 * NUL-terminated, cut at size).  Returns the length written.
 */
size_t mmlens_flag_names(char *buf, size_t size,
			 const struct mmlens_bit_name *table, uint64_t flags,
			 char sep);

/* The same names as a JSON array of strings; NULL when out of memory. */
struct json_object *mmlens_json_flags(const struct mmlens_bit_name *table,
				      uint64_t flags);

/* "rwxp" or "rwxs" style permissions of VM_* flags, into buf[5]. */
void mmlens_vm_perms(char buf[5], uint64_t vm_flags);

#endif /* MMLENS_NAMES_H */
