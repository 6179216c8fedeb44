// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel-address audit of what the mmlens module sends: see audit.h.
 *
 * Every attribute of every set the family defines is classified below, so
 * that what is left out is decided here, by name, and reviewed with the
 * UAPI header next to it:
 *
 *  VALUE    a number that must never be a kernel address: user and
 *           physical addresses, frame numbers, swap offsets, ids, counters,
 *           sizes, times.  32-bit attributes are VALUEs too; they cannot
 *           hold a 64-bit address and are never reported.
 *  BITS     a bit pattern the hardware or the kernel defines: raw
 *           page-table entries and flag words (MMLENS_F_*, vm_flags,
 *           KPF_*).  Left out.
 *  TEXT     a string (names, paths, versions), chosen by user space or
 *           by the kernel release, not a number.  Left out.
 *  NEST     the attributes of another set.
 *  RECORDS  GET_PTE's array of struct mmlens_pte, audited field by field.
 *
 * An attribute or command not listed (from a newer module) is audited as a
 * VALUE: nothing new escapes the audit before it is classified here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/mmlens.h>

#include "audit.h"

enum kind { VALUE, BITS, TEXT, NEST, RECORDS };

struct set;

struct field {
	const char *name;	/* NULL: not an attribute of the set */
	enum kind kind;
	const struct set *nest;	/* NEST */
};

struct set {
	const struct field *fields;
	int max;		/* highest attribute type in fields */
};

#define SET(fields) { fields, (int)(sizeof(fields) / sizeof(fields[0])) - 1 }
/* Fields are named as in the UAPI header, without its MMLENS_A_: "WALK_PA". */
#define NAME(prefix, name) (#prefix #name + sizeof("MMLENS_A_") - 1)
#define F(prefix, name, kind) [prefix##name] = { NAME(prefix, name), kind, NULL }
#define N(prefix, name, set) [prefix##name] = { NAME(prefix, name), NEST, &set }

static const struct field status_fields[] = {
	F(MMLENS_A_STATUS_, MODULE_VERSION, TEXT),
	F(MMLENS_A_STATUS_, ABI_VERSION, VALUE),
	F(MMLENS_A_STATUS_, KERNEL_RELEASE, TEXT),
	F(MMLENS_A_STATUS_, PAGING_LEVELS, VALUE),
	F(MMLENS_A_STATUS_, PAGE_SIZE, VALUE),
	F(MMLENS_A_STATUS_, USER_VA_BITS, VALUE),
	F(MMLENS_A_STATUS_, PHYS_BITS, VALUE),
	F(MMLENS_A_STATUS_, PTI, VALUE),
};

static const struct field pt_pages_fields[] = {
	F(MMLENS_A_PT_PAGES_, PAD, VALUE),
	F(MMLENS_A_PT_PAGES_, PGD, VALUE),
	F(MMLENS_A_PT_PAGES_, P4D, VALUE),
	F(MMLENS_A_PT_PAGES_, PUD, VALUE),
	F(MMLENS_A_PT_PAGES_, PMD, VALUE),
	F(MMLENS_A_PT_PAGES_, PTE, VALUE),
};
static const struct set pt_pages_set = SET(pt_pages_fields);

/* GET_MM has no bit pattern: CONTEXT_ID and TLB_GEN are ids, PGD_PA an address. */
static const struct field mm_fields[] = {
	F(MMLENS_A_MM_, PAD, VALUE),
	F(MMLENS_A_MM_, PID, VALUE),
	F(MMLENS_A_MM_, TGID, VALUE),
	F(MMLENS_A_MM_, COMM, TEXT),
	F(MMLENS_A_MM_, PAGING_LEVELS, VALUE),
	F(MMLENS_A_MM_, PGD_PA, VALUE),
	F(MMLENS_A_MM_, CONTEXT_ID, VALUE),
	F(MMLENS_A_MM_, TLB_GEN, VALUE),
	F(MMLENS_A_MM_, MAP_COUNT, VALUE),
	F(MMLENS_A_MM_, TOTAL_VM, VALUE),
	F(MMLENS_A_MM_, LOCKED_VM, VALUE),
	F(MMLENS_A_MM_, PINNED_VM, VALUE),
	F(MMLENS_A_MM_, DATA_VM, VALUE),
	F(MMLENS_A_MM_, EXEC_VM, VALUE),
	F(MMLENS_A_MM_, STACK_VM, VALUE),
	F(MMLENS_A_MM_, RSS_ANON, VALUE),
	F(MMLENS_A_MM_, RSS_FILE, VALUE),
	F(MMLENS_A_MM_, RSS_SHMEM, VALUE),
	F(MMLENS_A_MM_, SWAP_ENTS, VALUE),
	F(MMLENS_A_MM_, HIWATER_RSS, VALUE),
	F(MMLENS_A_MM_, HIWATER_VM, VALUE),
	F(MMLENS_A_MM_, PGTABLES_BYTES, VALUE),
	F(MMLENS_A_MM_, START_CODE, VALUE),
	F(MMLENS_A_MM_, END_CODE, VALUE),
	F(MMLENS_A_MM_, START_DATA, VALUE),
	F(MMLENS_A_MM_, END_DATA, VALUE),
	F(MMLENS_A_MM_, START_BRK, VALUE),
	F(MMLENS_A_MM_, BRK, VALUE),
	F(MMLENS_A_MM_, START_STACK, VALUE),
	F(MMLENS_A_MM_, ARG_START, VALUE),
	F(MMLENS_A_MM_, ARG_END, VALUE),
	F(MMLENS_A_MM_, ENV_START, VALUE),
	F(MMLENS_A_MM_, ENV_END, VALUE),
	F(MMLENS_A_MM_, MMAP_BASE, VALUE),
	F(MMLENS_A_MM_, TASK_SIZE, VALUE),
	F(MMLENS_A_MM_, MIN_FLT, VALUE),
	F(MMLENS_A_MM_, MAJ_FLT, VALUE),
	N(MMLENS_A_MM_, PT_PAGES, pt_pages_set),
};

static const struct field vma_fields[] = {
	F(MMLENS_A_VMA_, PAD, VALUE),
	F(MMLENS_A_VMA_, PID, VALUE),
	F(MMLENS_A_VMA_, START, VALUE),
	F(MMLENS_A_VMA_, END, VALUE),
	F(MMLENS_A_VMA_, FLAGS, BITS),
	F(MMLENS_A_VMA_, PGOFF, VALUE),
	F(MMLENS_A_VMA_, KIND, VALUE),
	F(MMLENS_A_VMA_, FILE, TEXT),
	F(MMLENS_A_VMA_, ANON_VMA, VALUE),
	F(MMLENS_A_VMA_, PAGE_SIZE, VALUE),
	F(MMLENS_A_VMA_, RESIDENT, VALUE),
	F(MMLENS_A_VMA_, SWAPPED, VALUE),
	F(MMLENS_A_VMA_, PMD_LEAVES, VALUE),
	F(MMLENS_A_VMA_, PUD_LEAVES, VALUE),
};

static const struct field level_fields[] = {
	F(MMLENS_A_LEVEL_, PAD, VALUE),
	F(MMLENS_A_LEVEL_, LEVEL, VALUE),
	F(MMLENS_A_LEVEL_, INDEX, VALUE),
	F(MMLENS_A_LEVEL_, SHIFT, VALUE),
	F(MMLENS_A_LEVEL_, TABLE_PA, VALUE),
	F(MMLENS_A_LEVEL_, ENTRY, BITS),
	F(MMLENS_A_LEVEL_, FLAGS, BITS),
	F(MMLENS_A_LEVEL_, FOLDED, VALUE),
};
static const struct set level_set = SET(level_fields);

static const struct field frame_fields[] = {
	F(MMLENS_A_FRAME_, PAD, VALUE),
	F(MMLENS_A_FRAME_, PFN, VALUE),
	F(MMLENS_A_FRAME_, REFCOUNT, VALUE),
	F(MMLENS_A_FRAME_, MAPCOUNT, VALUE),
	F(MMLENS_A_FRAME_, FOLIO_MAPCOUNT, VALUE),
	F(MMLENS_A_FRAME_, ORDER, VALUE),
	F(MMLENS_A_FRAME_, FLAGS, BITS),
	F(MMLENS_A_FRAME_, NID, VALUE),
};
static const struct set frame_set = SET(frame_fields);

static const struct field walk_fields[] = {
	F(MMLENS_A_WALK_, PAD, VALUE),
	F(MMLENS_A_WALK_, PID, VALUE),
	F(MMLENS_A_WALK_, VA, VALUE),
	F(MMLENS_A_WALK_, PAGING_LEVELS, VALUE),
	N(MMLENS_A_WALK_, LEVEL, level_set),
	F(MMLENS_A_WALK_, LEAF_LEVEL, VALUE),
	F(MMLENS_A_WALK_, KIND, VALUE),
	F(MMLENS_A_WALK_, ENTRY, BITS),
	F(MMLENS_A_WALK_, FLAGS, BITS),
	F(MMLENS_A_WALK_, PKEY, VALUE),
	F(MMLENS_A_WALK_, PFN, VALUE),
	F(MMLENS_A_WALK_, PAGE_SIZE, VALUE),
	F(MMLENS_A_WALK_, PA, VALUE),
	F(MMLENS_A_WALK_, SWAP_TYPE, VALUE),
	F(MMLENS_A_WALK_, SWAP_OFFSET, VALUE),
	F(MMLENS_A_WALK_, VMA_START, VALUE),
	F(MMLENS_A_WALK_, VMA_END, VALUE),
	F(MMLENS_A_WALK_, VMA_FLAGS, BITS),
	N(MMLENS_A_WALK_, FRAME, frame_set),
};

static const struct field pte_fields[] = {
	F(MMLENS_A_PTE_, PAD, VALUE),
	F(MMLENS_A_PTE_, PID, VALUE),
	F(MMLENS_A_PTE_, START, VALUE),
	F(MMLENS_A_PTE_, END, VALUE),
	F(MMLENS_A_PTE_, RUNS, VALUE),
	F(MMLENS_A_PTE_, RECORDS, RECORDS),
};

/*
 * The 64-bit fields of struct mmlens_pte; the others are 32 bits or less.
 * pfn and swap_offset share their place: either must stay below the kernel
 * half.
 */
static const struct {
	const char *name;
	size_t offset;
	enum kind kind;
} pte_record_fields[] = {
	{ "va", offsetof(struct mmlens_pte, va), VALUE },
	{ "entry", offsetof(struct mmlens_pte, entry), BITS },
	{ "pfn", offsetof(struct mmlens_pte, pfn), VALUE },
};

static const struct field watch_fields[] = {
	F(MMLENS_A_WATCH_, PID, VALUE),
	F(MMLENS_A_WATCH_, FOLLOW, VALUE),
	F(MMLENS_A_WATCH_, PAD, VALUE),
	F(MMLENS_A_WATCH_, SEQ, VALUE),
};

static const struct field faults_fields[] = {
	F(MMLENS_A_FAULTS_, PAD, VALUE),
	F(MMLENS_A_FAULTS_, ANON_ZERO_FILL, VALUE),
	F(MMLENS_A_FAULTS_, ZERO_PAGE, VALUE),
	F(MMLENS_A_FAULTS_, ZERO_PAGE_COW, VALUE),
	F(MMLENS_A_FAULTS_, FILE_MINOR, VALUE),
	F(MMLENS_A_FAULTS_, FILE_MAJOR, VALUE),
	F(MMLENS_A_FAULTS_, SWAP_IN_MINOR, VALUE),
	F(MMLENS_A_FAULTS_, SWAP_IN_MAJOR, VALUE),
	F(MMLENS_A_FAULTS_, COW_COPY, VALUE),
	F(MMLENS_A_FAULTS_, COW_REUSE, VALUE),
	F(MMLENS_A_FAULTS_, WRITE_NOTIFY, VALUE),
	F(MMLENS_A_FAULTS_, NUMA_HINT, VALUE),
	F(MMLENS_A_FAULTS_, UFFD, VALUE),
	F(MMLENS_A_FAULTS_, RETRY, VALUE),
	F(MMLENS_A_FAULTS_, ERROR, VALUE),
	F(MMLENS_A_FAULTS_, MIGRATION, VALUE),
	F(MMLENS_A_FAULTS_, SPURIOUS, VALUE),
	F(MMLENS_A_FAULTS_, OTHER, VALUE),
};
static const struct set faults_set = SET(faults_fields);

static const struct field tlb_count_fields[] = {
	F(MMLENS_A_TLB_COUNT_, PAD, VALUE),
	F(MMLENS_A_TLB_COUNT_, FLUSHES, VALUE),
	F(MMLENS_A_TLB_COUNT_, PAGES, VALUE),
	F(MMLENS_A_TLB_COUNT_, FULL, VALUE),
};
static const struct set tlb_count_set = SET(tlb_count_fields);

static const struct field tlb_fields[] = {
	N(MMLENS_A_TLB_, TASK_SWITCH, tlb_count_set),
	N(MMLENS_A_TLB_, REMOTE_SHOOTDOWN, tlb_count_set),
	N(MMLENS_A_TLB_, LOCAL_SHOOTDOWN, tlb_count_set),
	N(MMLENS_A_TLB_, LOCAL_MM_SHOOTDOWN, tlb_count_set),
	N(MMLENS_A_TLB_, REMOTE_SEND_IPI, tlb_count_set),
};
static const struct set tlb_set = SET(tlb_fields);

static const struct field stats_fields[] = {
	F(MMLENS_A_STATS_, PAD, VALUE),
	F(MMLENS_A_STATS_, PID, VALUE),
	F(MMLENS_A_STATS_, TLB_GEN, VALUE),
	F(MMLENS_A_STATS_, WATCHED_NS, VALUE),
	N(MMLENS_A_STATS_, FAULTS, faults_set),
	N(MMLENS_A_STATS_, TLB, tlb_set),
	F(MMLENS_A_STATS_, EVENTS, VALUE),
	F(MMLENS_A_STATS_, LOST, VALUE),
	F(MMLENS_A_STATS_, SEQ, VALUE),
};

static const struct field event_fields[] = {
	F(MMLENS_A_EVENT_, PAD, VALUE),
	F(MMLENS_A_EVENT_, PID, VALUE),
	F(MMLENS_A_EVENT_, TID, VALUE),
	F(MMLENS_A_EVENT_, VA, VALUE),
	F(MMLENS_A_EVENT_, ACCESS, VALUE),
	F(MMLENS_A_EVENT_, FAULT_FLAGS, BITS),
	F(MMLENS_A_EVENT_, CLASS, VALUE),
	F(MMLENS_A_EVENT_, LEVEL, VALUE),
	F(MMLENS_A_EVENT_, ENTRY_BEFORE, BITS),
	F(MMLENS_A_EVENT_, ENTRY_AFTER, BITS),
	F(MMLENS_A_EVENT_, PFN_BEFORE, VALUE),
	F(MMLENS_A_EVENT_, PFN_AFTER, VALUE),
	F(MMLENS_A_EVENT_, MAPCOUNT_BEFORE, VALUE),
	F(MMLENS_A_EVENT_, RESULT, BITS),
	F(MMLENS_A_EVENT_, DURATION_NS, VALUE),
	F(MMLENS_A_EVENT_, TIMESTAMP_NS, VALUE),
	F(MMLENS_A_EVENT_, LOST, VALUE),
	F(MMLENS_A_EVENT_, CHILD, VALUE),
	F(MMLENS_A_EVENT_, FOLLOWED, VALUE),
	F(MMLENS_A_EVENT_, EXIT_CODE, VALUE),
	F(MMLENS_A_EVENT_, SIGNAL, VALUE),
	F(MMLENS_A_EVENT_, SIGNAL_CODE, VALUE),
	F(MMLENS_A_EVENT_, SEQ, VALUE),
};

/* Replies carry the command of their request; events their own. */
static const struct {
	const char *name;
	struct set set;
} commands[] = {
	[MMLENS_CMD_GET_STATUS] = { "GET_STATUS", SET(status_fields) },
	[MMLENS_CMD_GET_MM] = { "GET_MM", SET(mm_fields) },
	[MMLENS_CMD_GET_VMA] = { "GET_VMA", SET(vma_fields) },
	[MMLENS_CMD_TRANSLATE] = { "TRANSLATE", SET(walk_fields) },
	[MMLENS_CMD_GET_PTE] = { "GET_PTE", SET(pte_fields) },
	[MMLENS_CMD_GET_FRAME] = { "GET_FRAME", SET(frame_fields) },
	[MMLENS_CMD_WATCH_ADD] = { "WATCH_ADD", SET(watch_fields) },
	[MMLENS_CMD_WATCH_DEL] = { "WATCH_DEL", SET(watch_fields) },
	[MMLENS_CMD_GET_STATS] = { "GET_STATS", SET(stats_fields) },
	[MMLENS_CMD_FAULT_NTF] = { "FAULT_NTF", SET(event_fields) },
	[MMLENS_CMD_FORK_NTF] = { "FORK_NTF", SET(event_fields) },
	[MMLENS_CMD_EXIT_NTF] = { "EXIT_NTF", SET(event_fields) },
	[MMLENS_CMD_END_NTF] = { "END_NTF", SET(event_fields) },
};

/* A command or attribute this file does not know: every attribute a VALUE. */
static const struct set unknown_set = { NULL, -1 };

struct scan {
	mmlens_audit_fn fn;
	void *arg;
	const char *cmd;
	unsigned int found;
	char path[256];		/* the field's name, nest by nest */
};

static uint64_t get_u64(const void *p)
{
	uint64_t v;

	/* Records follow each other without regard to 8-byte alignment. */
	memcpy(&v, p, sizeof(v));
	return v;
}

static void check(struct scan *s, uint64_t value)
{
	if (!mmlens_kernel_half(value))
		return;
	s->found++;
	if (s->fn)
		s->fn(s->arg, s->cmd, s->path, value);
}

/* Appends to the name in s->path, which is len long; returns its new length. */
static size_t __attribute__((format(printf, 3, 4)))
path_add(struct scan *s, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->path + len, sizeof(s->path) - len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return len;
	return len + n < sizeof(s->path) ? len + n : sizeof(s->path) - 1;
}

static void scan_records(struct scan *s, size_t len, const unsigned char *data, size_t size)
{
	size_t i, f, n = size / sizeof(struct mmlens_pte);

	for (i = 0; i < n; i++) {
		for (f = 0; f < sizeof(pte_record_fields) / sizeof(pte_record_fields[0]); f++) {
			if (pte_record_fields[f].kind != VALUE)
				continue;
			path_add(s, len, "[%zu].%s", i, pte_record_fields[f].name);
			check(s, get_u64(data + i * sizeof(struct mmlens_pte) +
					 pte_record_fields[f].offset));
		}
	}
}

static void scan_attrs(struct scan *s, const struct set *set, const struct nlattr *a,
		       size_t rem, size_t len)
{
	while (rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem) {
		int type = a->nla_type & NLA_TYPE_MASK;
		const struct field *f = type <= set->max && set->fields[type].name ?
					&set->fields[type] : NULL;
		const unsigned char *data = (const unsigned char *)a + NLA_HDRLEN;
		size_t size = a->nla_len - NLA_HDRLEN, step = NLA_ALIGN(a->nla_len), at;

		if (f)
			at = path_add(s, len, "%s%s", len ? "." : "", f->name);
		else
			at = path_add(s, len, "%sattribute %d", len ? "." : "", type);
		switch (f ? f->kind : VALUE) {
		case VALUE:
			if (size == sizeof(uint64_t))
				check(s, get_u64(data));
			break;
		case BITS:
		case TEXT:
			break;
		case NEST:
			scan_attrs(s, f->nest, (const struct nlattr *)data, size, at);
			break;
		case RECORDS:
			scan_records(s, at, data, size);
			break;
		}
		s->path[len] = '\0';
		if (step >= rem)
			break;
		rem -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
}

unsigned int mmlens_audit_scan(const struct nlmsghdr *nlh, mmlens_audit_fn fn, void *arg)
{
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	struct scan s = { .fn = fn, .arg = arg };
	const struct set *set = &unknown_set;
	char unknown[32];

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return 0;
	if (g->cmd < sizeof(commands) / sizeof(commands[0]) && commands[g->cmd].name) {
		s.cmd = commands[g->cmd].name;
		set = &commands[g->cmd].set;
	} else {
		snprintf(unknown, sizeof(unknown), "command %u", g->cmd);
		s.cmd = unknown;
	}
	scan_attrs(&s, set, (const struct nlattr *)((const char *)g + GENL_HDRLEN),
		   nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, 0);
	return s.found;
}

struct audit_file {
	const char *path;
	int fd;
};

/* One write() per line: the suite's processes append to one file at once. */
static void append(void *arg, const char *cmd, const char *field, uint64_t value)
{
	struct audit_file *af = arg;
	char line[512];
	int n;

	n = snprintf(line, sizeof(line), "%s[%d]: kernel address in %s %s: 0x%016llx\n",
		     program_invocation_short_name, (int)getpid(), cmd, field,
		     (unsigned long long)value);
	if (n < 0)
		return;
	if (n >= (int)sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (af->fd < 0)
		af->fd = open(af->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	/* A finding is never dropped quietly: without the file, stderr has it. */
	if (af->fd < 0 || write(af->fd, line, n) != n)
		fprintf(stderr, "mmlens: %s: %s: %s", MMLENS_AUDIT_ENV, af->path, line);
}

void mmlens_audit(const struct nlmsghdr *nlh)
{
	struct audit_file af = { .path = getenv(MMLENS_AUDIT_ENV), .fd = -1 };

	if (!af.path || !*af.path)
		return;
	mmlens_audit_scan(nlh, append, &af);
	if (af.fd >= 0)
		close(af.fd);
}
