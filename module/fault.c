// SPDX-License-Identifier: GPL-2.0
/*
 * Fault events: a kretprobe on handle_mm_fault() sees each fault the core mm
 * handles, with its VMA, address and flags on entry and its result on
 * return.  The leaf entry is read before and after; the class comes from the
 * two entries and the result, as the fault handlers themselves decide
 * (do_anonymous_page, do_wp_page, do_swap_page, ...).
 *
 * Faults of unwatched processes cost one lookup: the entry handler declines
 * them, so no return probe is set up.
 *
 * User-mode faults that end in SIGSEGV or SIGBUS, most of which never reach
 * handle_mm_fault(), are reported from the signal_generate tracepoint.
 */
#include <linux/hugetlb.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched/signal.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/userfaultfd_k.h>
#include <asm/trap_pf.h>
#include <asm/traps.h>

#include "compat.h"
#include "events.h"

struct fault_ctx {
	u64 start_ns;
	struct mm_struct *mm;
	unsigned long va;
	unsigned int flags;		/* FAULT_FLAG_* */
	bool gup;			/* no register frame: get_user_pages() */
	bool anon, shared, uffd;	/* of the VMA, read while it was surely alive */
	bool zero_before;		/* the old frame is a zero page */
	bool has_mapcount;
	u8 level_before;
	u32 mapcount_before;
	u64 before;
};

/*
 * The leaf entry mapping va, read without locks.  The faulting thread holds
 * the mmap lock or the VMA's lock, so the upper tables of a VMA under fault
 * stay; a PTE table may be retracted (6.5+) but is freed only after an RCU
 * grace period.  Returns 0 for no entry.
 */
static u64 peek_leaf(struct mm_struct *mm, unsigned long va, u8 *level)
{
	pgd_t *pgd = pgd_offset(mm, va);
	p4d_t *p4d;
	pud_t *pudp, pud;
	pmd_t *pmdp, pmd;
	u64 val;

	*level = MMLENS_LEVEL_PGD;
	if (pgd_none(READ_ONCE(*pgd)))
		return 0;
	*level = MMLENS_LEVEL_P4D;
	p4d = p4d_offset(pgd, va);
	if (p4d_none(READ_ONCE(*p4d)))
		return 0;
	*level = MMLENS_LEVEL_PUD;
	pudp = pud_offset(p4d, va);
	pud = READ_ONCE(*pudp);
	if (pud_none(pud) || pud_leaf(pud) || !pud_present(pud))
		return pud_val(pud);
	*level = MMLENS_LEVEL_PMD;
	pmdp = pmd_offset(pudp, va);
	pmd = READ_ONCE(*pmdp);
	if (pmd_none(pmd) || pmd_leaf(pmd) || !pmd_present(pmd) || pmd_bad(pmd))
		return pmd_val(pmd);
	*level = MMLENS_LEVEL_PTE;
	rcu_read_lock();
	val = pte_val(READ_ONCE(*pte_offset_kernel(&pmd, va)));
	rcu_read_unlock();
	return val;
}

static bool present(u64 entry)
{
	return entry & _PAGE_PRESENT;
}

static unsigned int level_shift(u8 level)
{
	if (level == MMLENS_LEVEL_PMD)
		return PMD_SHIFT;
	if (level == MMLENS_LEVEL_PUD)
		return PUD_SHIFT;
	return PAGE_SHIFT;
}

/* The frame of the page at va that a present leaf maps (PAT sits in bit 12 of huge leaves). */
static u64 page_pfn(u64 entry, u8 level, unsigned long va)
{
	u64 pfn;

	if (level == MMLENS_LEVEL_PTE)
		pfn = pte_pfn(__pte(entry));
	else if (level == MMLENS_LEVEL_PMD)
		pfn = pmd_pfn(__pmd(entry));
	else
		pfn = pud_pfn(__pud(entry));
	return pfn + ((va & ((1UL << level_shift(level)) - 1)) >> PAGE_SHIFT);
}

static bool writable(u64 entry)
{
	return pte_write(__pte(entry));
}

/*
 * The page a present leaf maps at va, if it has a struct page worth reading
 * (not a PFN map).  Read racily: another thread may unmap it meanwhile; the
 * struct page stays readable, its numbers may then be stale.
 */
static struct page *leaf_page(u64 entry, u8 level, unsigned long va)
{
	u64 pfn = page_pfn(entry, level, va);

	if (!pfn_valid(pfn))
		return NULL;
	if (level == MMLENS_LEVEL_PTE && (entry & _PAGE_SPECIAL) && !is_zero_pfn(pfn))
		return NULL;
	return pfn_to_page(pfn);
}

/* In an anonymous VMA, a frame with neither anon nor file mapping is a zero page (4K or huge). */
static bool maps_zero_page(const struct fault_ctx *c, u64 entry, u8 level)
{
	struct page *page = leaf_page(entry, level, c->va);

	if (!page)
		return false;
	return is_zero_pfn(page_to_pfn(page)) || (c->anon && !READ_ONCE(page_folio(page)->mapping));
}

static void note_old_frame(struct fault_ctx *c)
{
	struct page *page = leaf_page(c->before, c->level_before, c->va);

	if (!page)
		return;
	c->mapcount_before = mmlens_page_mapcount(page_folio(page), page);
	c->has_mapcount = true;
	c->zero_before = maps_zero_page(c, c->before, c->level_before);
}

static int fault_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (void *)regs_get_kernel_argument(regs, 0);
	struct fault_ctx *c = (void *)ri->data;

	/* Kernel threads fault only on others' memory, through GUP. */
	if (!current->mm || !mmlens_watch_find(current->tgid))
		return 1;
	c->start_ns = ktime_get_ns();
	c->mm = vma->vm_mm;
	c->va = regs_get_kernel_argument(regs, 1);
	c->flags = regs_get_kernel_argument(regs, 2);
	c->gup = !regs_get_kernel_argument(regs, 3);
	c->anon = vma_is_anonymous(vma);
	c->shared = vma->vm_flags & VM_SHARED;
	c->uffd = userfaultfd_armed(vma);
	c->has_mapcount = false;
	c->zero_before = false;
	c->before = peek_leaf(c->mm, c->va, &c->level_before);
	if (present(c->before))
		note_old_frame(c);
	return 0;
}

static bool is_uffd_wp(u64 entry)
{
	pte_t pte = __pte(entry);

	if (present(entry))
		return pte_uffd_wp(pte);
	if (entry && pte_swp_uffd_wp(pte))
		return true;
	return entry && is_pte_marker_entry(pte_to_swp_entry(pte));
}

/* What kind of fault c was, given the entry after it (when it could be read). */
static int classify(const struct fault_ctx *c, vm_fault_t ret, u64 after, u8 level,
		    bool after_known)
{
	bool write = c->flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE);
	/* As the kernel accounts it: the second try of a fault that waited for I/O is major too. */
	bool major = (ret & VM_FAULT_MAJOR) || (c->flags & FAULT_FLAG_TRIED);
	u64 before = c->before;
	swp_entry_t swp;

	if (ret & VM_FAULT_ERROR)
		return MMLENS_FAULT_ERROR;
	if (c->uffd && (ret & VM_FAULT_RETRY) && (!before || (write && is_uffd_wp(before))))
		return MMLENS_FAULT_UFFD;
	if (ret & VM_FAULT_RETRY)
		return MMLENS_FAULT_RETRY;
	if (!before) {
		if (!c->anon)
			return major ? MMLENS_FAULT_FILE_MAJOR : MMLENS_FAULT_FILE_MINOR;
		/* A read fills with the zero page, mapped read-only. */
		if (after_known && present(after) && maps_zero_page(c, after, level))
			return MMLENS_FAULT_ZERO_PAGE;
		return MMLENS_FAULT_ANON_ZERO_FILL;
	}
	if (!present(before)) {
		if (before & _PAGE_PROTNONE)
			return MMLENS_FAULT_NUMA_HINT;
		swp = pte_to_swp_entry(__pte(before));
		if (!non_swap_entry(swp))
			return major ? MMLENS_FAULT_SWAP_IN_MAJOR : MMLENS_FAULT_SWAP_IN_MINOR;
		if (is_migration_entry(swp))
			return MMLENS_FAULT_MIGRATION;
		return MMLENS_FAULT_OTHER;
	}
	if (!write || writable(before))
		return MMLENS_FAULT_SPURIOUS;
	if (c->zero_before)
		return MMLENS_FAULT_ZERO_PAGE_COW;
	if (c->shared)
		return MMLENS_FAULT_WRITE_NOTIFY;
	if (after_known && present(after) &&
	    page_pfn(after, level, c->va) != page_pfn(before, c->level_before, c->va))
		return MMLENS_FAULT_COW_COPY;
	return MMLENS_FAULT_COW_REUSE;
}

static u8 access_of(unsigned int flags)
{
	if (flags & FAULT_FLAG_INSTRUCTION)
		return MMLENS_ACCESS_EXEC;
	if (flags & FAULT_FLAG_WRITE)
		return MMLENS_ACCESS_WRITE;
	return MMLENS_ACCESS_READ;
}

static u32 origin_of(const struct fault_ctx *c)
{
	u32 f = 0;

	if (c->flags & FAULT_FLAG_USER)
		f |= MMLENS_FAULT_F_USER;
	if (c->gup)
		f |= MMLENS_FAULT_F_GUP;
	if (c->flags & FAULT_FLAG_REMOTE)
		f |= MMLENS_FAULT_F_REMOTE;
	if (c->flags & MMLENS_FAULT_FLAG_VMA_LOCK)
		f |= MMLENS_FAULT_F_VMA_LOCK;
	if (c->flags & FAULT_FLAG_TRIED)
		f |= MMLENS_FAULT_F_TRIED;
	if (c->flags & FAULT_FLAG_UNSHARE)
		f |= MMLENS_FAULT_F_UNSHARE;
	return f;
}

/* Counts ev for the current process and queues it, if it is still watched. */
static void report(struct mmlens_event *ev)
{
	struct mmlens_watch *w;

	rcu_read_lock();
	w = mmlens_watch_find(current->tgid);
	if (w) {
		atomic64_inc(&w->counters.faults[ev->class]);
		atomic64_inc(&mmlens_global.faults[ev->class]);
		mmlens_event_queue(w, ev);
	}
	rcu_read_unlock();
}

/*
 * A user-mode fault that fails raises SIGSEGV or SIGBUS in the page fault
 * handler (mm_fault_error()), reported then by mmlens_fault_signal().
 */
static bool raises_signal(const struct fault_ctx *c, vm_fault_t ret)
{
	return (c->flags & FAULT_FLAG_USER) &&
	       (ret & (VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_HWPOISON |
		       VM_FAULT_HWPOISON_LARGE));
}

static int fault_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct fault_ctx *c = (void *)ri->data;
	vm_fault_t ret = regs_return_value(regs);
	struct mmlens_event ev = {
		.cmd = MMLENS_CMD_FAULT_NTF,
		.pid = current->tgid,
		.tid = current->pid,
		.va = c->va,
		.access = access_of(c->flags),
		.fault_flags = origin_of(c),
		.handled = true,
		.result = ret,
		.entry_before = c->before,
		.ts_ns = c->start_ns,
	};
	/* RETRY and COMPLETED dropped the lock that kept the tables: no reading after. */
	bool after_known = !(ret & (VM_FAULT_RETRY | VM_FAULT_COMPLETED));
	u8 level = c->level_before;
	u64 after;

	if (raises_signal(c, ret))
		return 0;
	after = after_known ? peek_leaf(c->mm, c->va, &level) : 0;
	ev.duration_ns = ktime_get_ns() - c->start_ns;
	ev.class = classify(c, ret, after, level, after_known);
	ev.level = level;
	ev.entry_after = after;
	if (present(c->before)) {
		ev.has_pfn_before = true;
		ev.pfn_before = page_pfn(c->before, c->level_before, c->va);
	}
	if (present(after)) {
		ev.has_pfn_after = true;
		ev.pfn_after = page_pfn(after, level, c->va);
	}
	ev.has_mapcount = c->has_mapcount;
	ev.mapcount_before = c->mapcount_before;
	report(&ev);
	return 0;
}

/* The si_codes of the page fault handler's signals (arch/x86/mm/fault.c). */
static bool page_fault_signal(int sig, int code)
{
	if (sig == SIGSEGV)
		return code == SEGV_MAPERR || code == SEGV_ACCERR || code == SEGV_PKUERR;
	return sig == SIGBUS && (code == BUS_ADRERR || code == BUS_MCEERR_AR);
}

/*
 * The signal_generate tracepoint: a user-mode fault ends in SIGSEGV or
 * SIGBUS.  Most such faults never reach handle_mm_fault() (no VMA at the
 * address, or one that forbids the access); the rest return an error from
 * it (raises_signal()).  The handler records the fault in current->thread
 * (trap number, error code, address) just before it raises the signal, which
 * tells these signals from any other with the same code.  Runs under the
 * sighand lock with interrupts off: it only counts and queues.
 */
void mmlens_fault_signal(void *data, int sig, struct kernel_siginfo *info,
			 struct task_struct *task, int group, int result)
{
	struct mmlens_event ev = {
		.cmd = MMLENS_CMD_FAULT_NTF,
		.class = MMLENS_FAULT_ERROR,
		.fault_flags = MMLENS_FAULT_F_USER,
	};
	unsigned long va, error_code;

	/* SEND_SIG_NOINFO and SEND_SIG_PRIV (0 and 1) stand for a siginfo of the sender. */
	if ((sig != SIGSEGV && sig != SIGBUS) || task != current || info <= SEND_SIG_PRIV ||
	    !page_fault_signal(sig, info->si_code) || current->thread.trap_nr != X86_TRAP_PF)
		return;
	va = (unsigned long)info->si_addr;
	/* Only a fault's own signal names the address it recorded; none in the kernel half. */
	if (va != current->thread.cr2 || va >= TASK_SIZE_MAX)
		return;
	error_code = current->thread.error_code;
	ev.pid = current->tgid;
	ev.tid = current->pid;
	ev.va = va;
	ev.access = error_code & X86_PF_INSTR ? MMLENS_ACCESS_EXEC :
		    error_code & X86_PF_WRITE ? MMLENS_ACCESS_WRITE : MMLENS_ACCESS_READ;
	ev.signal = sig;
	ev.signal_code = info->si_code;
	ev.ts_ns = ktime_get_ns();
	report(&ev);
}

static struct kretprobe probe = {
	.kp.symbol_name = "handle_mm_fault",
	.entry_handler = fault_entry,
	.handler = fault_return,
	.data_size = sizeof(struct fault_ctx),
	/* Faults sleep (I/O, locks): room for many in flight. */
	.maxactive = 1024,
};
static bool registered;

/*
 * Registered once, then enabled and disabled as watches come and go: a
 * disabled kprobe has its breakpoint removed from the text, and toggling it
 * never frees or reuses the kprobe while the kernel may still be patching
 * its old site (unregister and register again did, and faulted through a
 * stale breakpoint).  Callers serialize (arm_lock).
 */
int mmlens_fault_probe_enable(void)
{
	int ret;

	if (registered)
		return enable_kretprobe(&probe);
	ret = register_kretprobe(&probe);
	registered = !ret;
	return ret;
}

void mmlens_fault_probe_disable(void)
{
	if (registered)
		disable_kretprobe(&probe);
}

/* Module exit: nothing enables it again. */
void mmlens_fault_probe_exit(void)
{
	if (registered)
		unregister_kretprobe(&probe);
	registered = false;
}
