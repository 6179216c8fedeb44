/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-address audit of what the mmlens module sends (libmmlens).
 *
 * mmlens must never hand a kernel virtual address to user space: KASLR
 * rests on those staying secret.  Every 64-bit number the family defines
 * (user addresses, physical addresses, frame numbers, swap offsets, ids,
 * counters, sizes, times) lies far below the kernel half when it is right,
 * so one that lies in it is a pointer that leaked (or garbage, as bad).  Bit
 * patterns are the exception: a raw x86 entry keeps NX in bit 63 and a
 * non-present one its swap offset inverted, so that a PTE marker reads
 * 0xfffffffffffffc00; raw entries and flag words are therefore left out,
 * attribute by attribute and field by field (audit.c lists every
 * attribute), never by the look of a value.
 *
 * libmmlens audits every message of the family it receives (replies in
 * mmlens_nl_transact(), events in mmlens_live_read()) when the environment
 * names a file in MMLENS_AUDIT_KADDR: each finding is appended to it as a
 * line.  The test VMs set it for the whole selftest suite and fail a
 * configuration whose file is not empty.
 */
#ifndef MMLENS_AUDIT_H
#define MMLENS_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/netlink.h>

#define MMLENS_AUDIT_ENV "MMLENS_AUDIT_KADDR"

/*
 * Where the kernel half starts with 5-level paging.  With 4-level paging it
 * starts at 0xffff800000000000, and what lies between is non-canonical: no
 * address of any kind, and no value any audited field can hold either, so
 * one bound serves both modes.
 */
#define MMLENS_KERNEL_HALF 0xff00000000000000ULL

static inline bool mmlens_kernel_half(uint64_t v)
{
	return v >= MMLENS_KERNEL_HALF;
}

/*
 * Called for each finding: cmd and field name what carried value, e.g.
 * "TRANSLATE" and "WALK_LEVEL.LEVEL_TABLE_PA", or "GET_PTE" and
 * "PTE_RECORDS[12].va" (attributes named as in the UAPI header, without
 * MMLENS_A_).
 */
typedef void (*mmlens_audit_fn)(void *arg, const char *cmd, const char *field, uint64_t value);

/*
 * Walks one message of the mmlens family (a reply or an event) and calls fn
 * (may be NULL) for every audited field whose value lies in the kernel half.
 * Attributes and commands this libmmlens does not know (a newer module) are
 * audited as numbers: nothing new is left out until it is classified here.
 * Returns the number of findings.
 */
unsigned int mmlens_audit_scan(const struct nlmsghdr *nlh, mmlens_audit_fn fn, void *arg);

/*
 * mmlens_audit_scan() of nlh with every finding appended as one line to the
 * file named by $MMLENS_AUDIT_KADDR; nothing when it is unset or empty.
 */
void mmlens_audit(const struct nlmsghdr *nlh);

#endif /* MMLENS_AUDIT_H */
