/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * mmlens: look at the virtual memory of a live process.
 *
 * Documentation
 * =============
 *
 * The enums and macros below are the interface of the mmlens kernel module,
 * spoken over generic netlink with family MMLENS_GENL_NAME and version
 * MMLENS_GENL_VERSION.  This header is the single source of truth for that
 * interface; include/mmlens.yaml describes the same family for the kernel's
 * ynl tool and must agree with it.
 *
 * Every command is refused with -EPERM unless the caller has CAP_SYS_ADMIN in
 * the initial user namespace (mmlens exposes physical frame numbers, which
 * /proc/PID/pagemap also hides from everybody else).  The family exists only
 * in the initial network namespace.  Every error carries an extended ack
 * message; request NETLINK_EXT_ACK to receive it.
 *
 * Each command has its own attribute set, validated strictly: unknown
 * attributes, attributes of the wrong type or length, and non-zero reserved
 * header bytes are rejected with -EINVAL.
 *
 * While the module unloads, the generic netlink core answers for it: a
 * request gets -ENOENT (no such family), a dump that starts then
 * -EPROTONOSUPPORT, neither with an extended ack message.  After a reload the
 * family may have another id: resolve it again.
 *
 * MMLENS_CMD_GET_STATUS
 * ---------------------
 *
 * May only be called via NLM_F_REQUEST, with no attributes.  The kernel
 * replies with one message containing:
 *
 *    MMLENS_A_STATUS_MODULE_VERSION: NLA_NUL_STRING, version of mmlens.ko
 *    MMLENS_A_STATUS_ABI_VERSION: NLA_U32, MMLENS_ABI_VERSION of the module
 *    MMLENS_A_STATUS_KERNEL_RELEASE: NLA_NUL_STRING, uname -r of the kernel
 *    MMLENS_A_STATUS_PAGING_LEVELS: NLA_U32, 4 or 5 (5 when LA57 is enabled)
 *    MMLENS_A_STATUS_PAGE_SIZE: NLA_U32, base page size in bytes
 *    MMLENS_A_STATUS_USER_VA_BITS: NLA_U32, width of the user address space
 *        (47 with 4-level paging, 56 with 5-level)
 *    MMLENS_A_STATUS_PHYS_BITS: NLA_U32, physical address width of the CPU
 *    MMLENS_A_STATUS_PTI: NLA_FLAG, present when page-table isolation is on
 *        (top-level entries then carry NX in the kernel's copy of the tables)
 *
 * Targets
 * -------
 *
 * A target is a PID or TID in the caller's PID namespace; a TID stands for the
 * address space of its process.  Kernel threads (no user address space) get
 * -EINVAL, unknown PIDs -ESRCH, and processes that have exited or exit during
 * the request (zombies included) -ESRCH; a PID of 0 or above PID_MAX_LIMIT is
 * out of the attribute's range (-ERANGE).  Addresses are user virtual addresses:
 * at or above the target's TASK_SIZE (kernel half, non-canonical hole) they get
 * -EINVAL.  Nothing mmlens does changes the target.
 *
 * MMLENS_CMD_GET_MM
 * -----------------
 *
 * May only be called via NLM_F_REQUEST.  Request:
 *
 *    MMLENS_A_MM_PID: NLA_U32, the target (required)
 *
 * Reply, one message:
 *
 *    MMLENS_A_MM_PID: NLA_U32, as requested
 *    MMLENS_A_MM_TGID: NLA_U32, its process (thread group) id
 *    MMLENS_A_MM_COMM: NLA_NUL_STRING, the thread's command name
 *    MMLENS_A_MM_PAGING_LEVELS: NLA_U32, 4 or 5
 *    MMLENS_A_MM_PGD_PA: NLA_U64, physical address of the top-level table
 *        (the CR3 base while this mm runs)
 *    MMLENS_A_MM_CONTEXT_ID: NLA_U64, x86 mm context id (never reused)
 *    MMLENS_A_MM_TLB_GEN: NLA_U64, TLB flush generation of the mm
 *    MMLENS_A_MM_MAP_COUNT: NLA_U32, number of VMAs
 *    MMLENS_A_MM_TOTAL_VM, _LOCKED_VM, _PINNED_VM, _DATA_VM, _EXEC_VM,
 *    _STACK_VM: NLA_U64 each, in pages
 *    MMLENS_A_MM_RSS_ANON, _RSS_FILE, _RSS_SHMEM, _SWAP_ENTS: NLA_U64 each,
 *        the mm's rss counters, in pages
 *    MMLENS_A_MM_HIWATER_RSS, _HIWATER_VM: NLA_U64, peaks, in pages
 *    MMLENS_A_MM_PGTABLES_BYTES: NLA_U64, the kernel's page-table accounting
 *    MMLENS_A_MM_START_CODE, _END_CODE, _START_DATA, _END_DATA, _START_BRK,
 *    _BRK, _START_STACK, _ARG_START, _ARG_END, _ENV_START, _ENV_END,
 *    _MMAP_BASE, _TASK_SIZE: NLA_U64 each, the layout
 *    MMLENS_A_MM_MIN_FLT, _MAJ_FLT: NLA_U64, faults of all threads
 *    MMLENS_A_MM_PT_PAGES: NLA_NESTED, page-table pages in use, counted by
 *        walking the tables:
 *        MMLENS_A_PT_PAGES_PGD, _P4D, _PUD, _PMD, _PTE: NLA_U64 each (the
 *        P4D count is 0 when 4-level paging folds that level into the PGD)
 *
 * MMLENS_CMD_GET_VMA
 * ------------------
 *
 * May only be called via NLM_F_REQUEST | NLM_F_DUMP.  Request:
 *
 *    MMLENS_A_VMA_PID: NLA_U32, the target (required)
 *    MMLENS_A_VMA_START: NLA_U64, first address of interest (default 0)
 *    MMLENS_A_VMA_END: NLA_U64, end of the range, exclusive (default: the
 *        end of the target's address space); START must not be above END
 *
 * The kernel returns one message (NLM_F_MULTI) per VMA overlapping
 * [START, END), in address order:
 *
 *    MMLENS_A_VMA_START, MMLENS_A_VMA_END: NLA_U64, the VMA's bounds
 *    MMLENS_A_VMA_FLAGS: NLA_U64, vm_flags as the kernel keeps them (VM_*)
 *    MMLENS_A_VMA_PGOFF: NLA_U64, offset in the file or anon_vma, in pages
 *    MMLENS_A_VMA_KIND: NLA_U32, enum mmlens_vma_kind
 *    MMLENS_A_VMA_FILE: NLA_NUL_STRING, path of the mapped file (file VMAs)
 *    MMLENS_A_VMA_ANON_VMA: NLA_FLAG, present when the VMA has an anon_vma
 *    MMLENS_A_VMA_PAGE_SIZE: NLA_U64, the VMA's page size (hugetlb: 2M, 1G)
 *    MMLENS_A_VMA_RESIDENT: NLA_U64, pages present in the page tables
 *        (each page of a huge leaf counts)
 *    MMLENS_A_VMA_SWAPPED: NLA_U64, swap entries (pages)
 *    MMLENS_A_VMA_PMD_LEAVES, MMLENS_A_VMA_PUD_LEAVES: NLA_U64, huge leaf
 *        mappings at those levels
 *
 * The dump resumes by address between messages and does not hold the target's
 * mmap_lock in between.  When the address space changed meanwhile (its TLB
 * generation or VMA count moved), the message is flagged NLM_F_DUMP_INTR; the
 * reader should start again.
 *
 * MMLENS_CMD_TRANSLATE
 * --------------------
 *
 * May only be called via NLM_F_REQUEST.  Request:
 *
 *    MMLENS_A_WALK_PID: NLA_U32, the target (required)
 *    MMLENS_A_WALK_VA: NLA_U64, the user virtual address (required)
 *
 * Reply, one message:
 *
 *    MMLENS_A_WALK_PID: NLA_U32
 *    MMLENS_A_WALK_VA: NLA_U64, as requested
 *    MMLENS_A_WALK_PAGING_LEVELS: NLA_U32, 4 or 5
 *    MMLENS_A_WALK_LEVEL: NLA_NESTED, once per level walked, top first:
 *        MMLENS_A_LEVEL_LEVEL: NLA_U32, enum mmlens_level
 *        MMLENS_A_LEVEL_INDEX: NLA_U32, the entry's index in its table: the
 *            9 VA bits from SHIFT up
 *        MMLENS_A_LEVEL_SHIFT: NLA_U32, lowest VA bit of that index
 *        MMLENS_A_LEVEL_TABLE_PA: NLA_U64, physical address of the table;
 *            the entry lies at TABLE_PA + INDEX * 8
 *        MMLENS_A_LEVEL_ENTRY: NLA_U64, the raw entry
 *        MMLENS_A_LEVEL_FLAGS: NLA_U64, MMLENS_F_* decoded from the entry
 *        MMLENS_A_LEVEL_FOLDED: NLA_FLAG, the level does not exist in this
 *            paging mode (P4D with 4-level paging): its "entry" is the PGD
 *            entry, as the kernel's folding defines, and INDEX, SHIFT,
 *            TABLE_PA and ENTRY are the PGD entry's
 *    then the leaf, the last level reached (where the walk found a leaf, an
 *    empty entry or a non-present one), as in MMLENS_CMD_GET_PTE records:
 *    MMLENS_A_WALK_LEAF_LEVEL: NLA_U32, enum mmlens_level
 *    MMLENS_A_WALK_KIND: NLA_U32, enum mmlens_entry_kind
 *    MMLENS_A_WALK_ENTRY: NLA_U64, raw leaf entry
 *    MMLENS_A_WALK_FLAGS: NLA_U64, MMLENS_F_*
 *    MMLENS_A_WALK_PKEY: NLA_U32, protection key of a present leaf
 *    MMLENS_A_WALK_PFN: NLA_U64, frame of a present or migration leaf
 *    MMLENS_A_WALK_PAGE_SIZE: NLA_U64, bytes the leaf maps
 *    MMLENS_A_WALK_PA: NLA_U64, physical address of VA (present leaves)
 *    MMLENS_A_WALK_SWAP_TYPE, MMLENS_A_WALK_SWAP_OFFSET: NLA_U32, NLA_U64,
 *        for swap, migration, device and marker entries (the raw swp_entry)
 *    MMLENS_A_WALK_VMA_START, _VMA_END, _VMA_FLAGS: NLA_U64, the covering
 *        VMA (absent when no VMA covers VA)
 *    MMLENS_A_WALK_FRAME: NLA_NESTED, as MMLENS_CMD_GET_FRAME's reply, for
 *        the frame of the page VA lies in
 *
 * MMLENS_CMD_GET_PTE
 * ------------------
 *
 * May only be called via NLM_F_REQUEST | NLM_F_DUMP.  Request:
 *
 *    MMLENS_A_PTE_PID: NLA_U32, the target (required)
 *    MMLENS_A_PTE_START, MMLENS_A_PTE_END: NLA_U64, [START, END) (default:
 *        the whole user address space); START must not be above END
 *    MMLENS_A_PTE_RUNS: NLA_FLAG, merge runs (see below)
 *
 * The kernel returns messages (NLM_F_MULTI), each with
 *
 *    MMLENS_A_PTE_RECORDS: NLA_BINARY, an array of struct mmlens_pte
 *
 * one record per non-empty leaf entry (PTE, huge PMD or huge PUD) of the
 * VMAs in the range, in address order.  Empty entries and empty upper-level
 * tables are skipped, so the cost follows what is populated.  With
 * MMLENS_A_PTE_RUNS, consecutive entries of the same level, kind and flags
 * (other than MMLENS_F_HAS_FRAME and MMLENS_F_EXCLUSIVE, which come from the
 * frame) whose frames (or swap offsets) are contiguous become one record
 * with nr > 1; run records carry the frame data of their first page only.  Dumps
 * resume by address and are flagged NLM_F_DUMP_INTR as for GET_VMA.
 *
 * MMLENS_CMD_GET_FRAME
 * --------------------
 *
 * May only be called via NLM_F_REQUEST.  Request:
 *
 *    MMLENS_A_FRAME_PFN: NLA_U64 (required)
 *
 * A PFN without a memory map (a hole, or beyond the end of memory) or whose
 * memory is offline gets -EINVAL.  Reply, one message:
 *
 *    MMLENS_A_FRAME_PFN: NLA_U64
 *    MMLENS_A_FRAME_REFCOUNT: NLA_U32, references to the folio
 *    MMLENS_A_FRAME_MAPCOUNT: NLA_U32, page-table mappings of this page, as
 *        /proc/PID/pagemap counts them for its "exclusively mapped" bit
 *    MMLENS_A_FRAME_FOLIO_MAPCOUNT: NLA_U32, mappings of the whole folio
 *    MMLENS_A_FRAME_ORDER: NLA_U32, log2 of the folio's size in pages
 *    MMLENS_A_FRAME_FLAGS: NLA_U64, KPF_* bits as /proc/kpageflags reports
 *        them (linux/kernel-page-flags.h)
 *    MMLENS_A_FRAME_NID: NLA_U32, NUMA node
 *
 * Live events
 * ===========
 *
 * A socket watches processes; the kernel then counts their page faults by
 * class and the TLB flushes of their address spaces, and multicasts an event
 * per fault, fork and exit on the group MMLENS_MCGRP_EVENTS (join it to
 * receive them; joining needs CAP_SYS_ADMIN too).  Events are messages of
 * the commands MMLENS_CMD_FAULT_NTF, MMLENS_CMD_FORK_NTF and
 * MMLENS_CMD_EXIT_NTF, attributes MMLENS_A_EVENT_*.  Watches belong to the
 * socket that added them and end when it closes, when it deletes them, or
 * when the process exits.  No probe is armed while nothing is watched; with
 * watches, each fault of an unwatched process costs one hash lookup.
 *
 * Events are produced in the fault path and sent from a worker, several
 * messages per datagram, in the order they were produced.  Every event of a
 * process carries the next number of that process, MMLENS_A_EVENT_SEQ (the
 * first is 1), whether it reaches a listener or not: a listener that has
 * received R events of a process, the latest numbered S, after a WATCH_ADD
 * that answered MMLENS_A_WATCH_SEQ S0, has lost exactly S - S0 - R of them,
 * and events of the process delivered plus lost equal those produced
 * (MMLENS_A_STATS_SEQ).  An event is lost when the event queue is full or
 * a listener's receive buffer refuses its datagram; the module counts such
 * losses for the process too (MMLENS_A_EVENT_LOST of the next event,
 * MMLENS_A_STATS_LOST), but a full receive buffer only of listeners that set
 * the socket option NETLINK_BROADCAST_ERROR: set it.  Events nobody listens
 * to are neither produced nor lost.
 *
 * The last event of a watched process, MMLENS_CMD_EXIT_NTF when it exits or
 * MMLENS_CMD_END_NTF when the module is unloaded, comes after every other
 * event of the process and is never dropped for want of room: a listener
 * that receives it has received everything of that process it ever will.
 * A datagram carrying it that a listener's full buffer refused is sent again,
 * every 100 ms for 5 s, so a listener may get it more than once (same
 * MMLENS_A_EVENT_SEQ): ignore the repeats.
 *
 * MMLENS_CMD_WATCH_ADD
 * --------------------
 *
 * May only be called via NLM_F_REQUEST.  Request:
 *
 *    MMLENS_A_WATCH_PID: NLA_U32, the process (a TID stands for its
 *        process), required
 *    MMLENS_A_WATCH_FOLLOW: NLA_FLAG, also watch the processes it forks from
 *        then on (and theirs), from their first instruction
 *
 * Reply, one message:
 *
 *    MMLENS_A_WATCH_PID: NLA_U32, the process watched
 *    MMLENS_A_WATCH_SEQ: NLA_U64, the number of its latest event produced
 *        before this watch (0 for a process nobody watched): this watch's
 *        events are those numbered above it
 *
 * Watching a process the socket already watches updates FOLLOW.  Several
 * sockets may watch one process; its counters then start with the first
 * watch.  While the module is being unloaded, WATCH_ADD fails with
 * -ESHUTDOWN.
 *
 * MMLENS_CMD_WATCH_DEL
 * --------------------
 *
 * May only be called via NLM_F_REQUEST.  Request: MMLENS_A_WATCH_PID
 * (required).  A process this socket does not watch gets -ENOENT.
 *
 * MMLENS_CMD_GET_STATS
 * --------------------
 *
 * May only be called via NLM_F_REQUEST.  Request:
 *
 *    MMLENS_A_STATS_PID: NLA_U32, a watched process; without it, the global
 *        TLB counters
 *
 * Reply, one message:
 *
 *    MMLENS_A_STATS_PID: NLA_U32, the process (absent for global counters)
 *    MMLENS_A_STATS_TLB_GEN: NLA_U64, TLB flush generation of its mm
 *    MMLENS_A_STATS_WATCHED_NS: NLA_U64, time counted (since its first
 *        watch, or for global counters since a probe was first armed; global
 *        counters only count while something is watched)
 *    MMLENS_A_STATS_FAULTS: NLA_NESTED, faults by class:
 *        MMLENS_A_FAULTS_<CLASS>: NLA_U64 each (attribute type
 *            MMLENS_A_FAULTS_FIRST + enum mmlens_fault_class)
 *    MMLENS_A_STATS_TLB: NLA_NESTED, flushes by reason:
 *        MMLENS_A_TLB_<REASON>: NLA_NESTED (type MMLENS_A_TLB_FIRST + enum
 *            mmlens_tlb_reason), each with
 *            MMLENS_A_TLB_COUNT_FLUSHES: NLA_U64, flushes
 *            MMLENS_A_TLB_COUNT_PAGES: NLA_U64, pages of ranged flushes
 *            MMLENS_A_TLB_COUNT_FULL: NLA_U64, flushes of the whole TLB
 *    MMLENS_A_STATS_EVENTS: NLA_U64, events delivered
 *    MMLENS_A_STATS_LOST: NLA_U64, events lost
 *    MMLENS_A_STATS_SEQ: NLA_U64, events produced for the process: the
 *        number of its latest (absent for global counters)
 *
 * TLB flushes are attributed to the address space being flushed: a task
 * switch to the mm loaded (only switches that flushed count), a shootdown
 * received (remote or local) to the mm loaded on the CPU flushing, an IPI sent
 * to the sender's mm.  Flushes not tied to one mm (LOCAL_SHOOTDOWN of
 * reclaim's batches) are global only.
 *
 * Events (multicast, MMLENS_MCGRP_EVENTS)
 * ---------------------------------------
 *
 * MMLENS_CMD_FAULT_NTF, one per fault of a watched process:
 *
 *    MMLENS_A_EVENT_PID, MMLENS_A_EVENT_TID: NLA_U32, process and thread
 *    MMLENS_A_EVENT_VA: NLA_U64, the faulting address
 *    MMLENS_A_EVENT_ACCESS: NLA_U32, enum mmlens_access
 *    MMLENS_A_EVENT_FAULT_FLAGS: NLA_U32, MMLENS_FAULT_F_*
 *    MMLENS_A_EVENT_CLASS: NLA_U32, enum mmlens_fault_class
 *    MMLENS_A_EVENT_TIMESTAMP_NS: NLA_U64, CLOCK_MONOTONIC at the fault
 *    MMLENS_A_EVENT_LOST: NLA_U64, events of this process lost so far
 *    MMLENS_A_EVENT_SEQ: NLA_U64, the event's number among the events of
 *        its process
 *
 *  for a fault the core mm handled (handle_mm_fault()):
 *    MMLENS_A_EVENT_LEVEL: NLA_U32, enum mmlens_level of the leaf entry
 *        after the fault (PMD for a THP)
 *    MMLENS_A_EVENT_ENTRY_BEFORE, MMLENS_A_EVENT_ENTRY_AFTER: NLA_U64, the
 *        leaf entry before and after the fault (0: none)
 *    MMLENS_A_EVENT_PFN_BEFORE, MMLENS_A_EVENT_PFN_AFTER: NLA_U64, frames
 *        mapped before and after (absent when not present)
 *    MMLENS_A_EVENT_MAPCOUNT_BEFORE: NLA_U32, mappings of the old frame
 *        before the fault (absent without one)
 *    MMLENS_A_EVENT_RESULT: NLA_U32, the kernel's vm_fault_t result bits
 *    MMLENS_A_EVENT_DURATION_NS: NLA_U64, time spent handling the fault
 *
 *  for a user-mode fault that raised SIGSEGV or SIGBUS (class ERROR):
 *    MMLENS_A_EVENT_SIGNAL: NLA_U32, SIGSEGV or SIGBUS
 *    MMLENS_A_EVENT_SIGNAL_CODE: NLA_U32, its si_code (SEGV_MAPERR: no
 *        mapping, SEGV_ACCERR: access not allowed, SEGV_PKUERR, BUS_ADRERR:
 *        no page behind the mapping, BUS_MCEERR_AR: hardware poison)
 *
 * Most faults that raise a signal never reach the core mm (an address
 * without a VMA, a write to a read-only VMA): every user-mode one is reported
 * when the page fault handler raises its signal, with the access and address
 * the handler saw, and without the attributes of handled faults, even when
 * handle_mm_fault() returned the error.  Faults on addresses in the kernel
 * half are not reported.  Errors of kernel-mode accesses (copy_from_user(),
 * get_user_pages()) and out-of-memory come from handle_mm_fault() and carry
 * its attributes.
 *
 * MMLENS_CMD_FORK_NTF: a watched process forked:
 *
 *    MMLENS_A_EVENT_PID: NLA_U32, the parent process
 *    MMLENS_A_EVENT_TID: NLA_U32, the thread that forked
 *    MMLENS_A_EVENT_CHILD: NLA_U32, the new process
 *    MMLENS_A_EVENT_FOLLOWED: NLA_FLAG, the child is watched
 *    MMLENS_A_EVENT_TIMESTAMP_NS, MMLENS_A_EVENT_LOST, MMLENS_A_EVENT_SEQ:
 *        as above
 *
 * MMLENS_CMD_EXIT_NTF: the last thread of a watched process exited (its
 * watches end); the last event of the process:
 *
 *    MMLENS_A_EVENT_PID: NLA_U32
 *    MMLENS_A_EVENT_EXIT_CODE: NLA_U32, as wait(2) reports it
 *    MMLENS_A_EVENT_TIMESTAMP_NS, MMLENS_A_EVENT_LOST, MMLENS_A_EVENT_SEQ:
 *        as above
 *
 * MMLENS_CMD_END_NTF: the module is being unloaded and the watches of a
 * process that lives on end; the last event of the process:
 *
 *    MMLENS_A_EVENT_PID, MMLENS_A_EVENT_TIMESTAMP_NS, MMLENS_A_EVENT_LOST,
 *    MMLENS_A_EVENT_SEQ: as above
 *
 * PIDs in events and in MMLENS_A_STATS_PID are numbered as the initial PID
 * namespace sees them (events go to listeners of any PID namespace).
 *
 * A client compares MMLENS_A_STATUS_ABI_VERSION with the MMLENS_ABI_VERSION
 * it was built with; the ABI grows by appending commands and attributes, and
 * MMLENS_ABI_VERSION changes when it does.  Version 3 also changed struct
 * mmlens_pte (72 bytes before, 48 now): records of another version cannot be
 * read.  Version 4 added MMLENS_A_EVENT_SIGNAL and _SIGNAL_CODE and made the
 * attributes of handled faults absent from faults the core mm never saw.
 * Version 5 numbered events (MMLENS_A_EVENT_SEQ, MMLENS_A_WATCH_SEQ in a
 * new WATCH_ADD reply, MMLENS_A_STATS_SEQ), made the exit event the last of
 * its process, and added MMLENS_CMD_END_NTF.  Version 6 gives the folded P4D
 * level the PGD entry's TABLE_PA and INDEX (before: the PGD table and index
 * 0, an entry the walk never read).
 */

#ifndef _UAPI_LINUX_MMLENS_H
#define _UAPI_LINUX_MMLENS_H

#include <linux/types.h>

#define MMLENS_GENL_NAME "mmlens"
#define MMLENS_GENL_VERSION 1

#define MMLENS_ABI_VERSION 6

/* The multicast group of live events. */
#define MMLENS_MCGRP_EVENTS "events"

/*
 * GET_PTE dump messages can be this large (larger than netlink's usual
 * 32 KiB): receive them with a buffer of at least this size.
 */
#define MMLENS_DUMP_BUFFER 65536

enum mmlens_cmd {
	MMLENS_CMD_UNSPEC,
	MMLENS_CMD_GET_STATUS,
	MMLENS_CMD_GET_MM,
	MMLENS_CMD_GET_VMA,
	MMLENS_CMD_TRANSLATE,
	MMLENS_CMD_GET_PTE,
	MMLENS_CMD_GET_FRAME,
	MMLENS_CMD_WATCH_ADD,
	MMLENS_CMD_WATCH_DEL,
	MMLENS_CMD_GET_STATS,
	MMLENS_CMD_FAULT_NTF,
	MMLENS_CMD_FORK_NTF,
	MMLENS_CMD_EXIT_NTF,
	MMLENS_CMD_END_NTF,
	__MMLENS_CMD_MAX
};
#define MMLENS_CMD_MAX (__MMLENS_CMD_MAX - 1)

/* Page-table levels, top first. */
enum mmlens_level {
	MMLENS_LEVEL_NONE,
	MMLENS_LEVEL_PGD,
	MMLENS_LEVEL_P4D,
	MMLENS_LEVEL_PUD,
	MMLENS_LEVEL_PMD,
	MMLENS_LEVEL_PTE,
};

/* What a leaf entry holds, as the kernel (not only the MMU) reads it. */
enum mmlens_entry_kind {
	MMLENS_KIND_NONE,	/* empty */
	MMLENS_KIND_PRESENT,	/* maps a frame */
	MMLENS_KIND_SWAP,	/* swapped out: swap type and offset */
	MMLENS_KIND_MIGRATION,	/* frame under migration: PFN, MMLENS_F_MIGRATION_* */
	MMLENS_KIND_PROT_NONE,	/* PROT_NONE or NUMA hinting: present to the
				 * kernel, not to the MMU */
	MMLENS_KIND_MARKER,	/* PTE marker (uffd-wp, poisoned) */
	MMLENS_KIND_DEVICE,	/* device-private or device-exclusive entry */
	MMLENS_KIND_HWPOISON,	/* frame lost to a memory error */
};

/* Flags decoded from an entry (MMLENS_A_*_FLAGS, struct mmlens_pte.flags). */
enum mmlens_entry_flag {
	/* Hardware bits of present entries (and of PROT_NONE ones). */
	MMLENS_F_PRESENT = 1ULL << 0,
	MMLENS_F_RW = 1ULL << 1,
	MMLENS_F_USER = 1ULL << 2,
	MMLENS_F_PWT = 1ULL << 3,
	MMLENS_F_PCD = 1ULL << 4,
	MMLENS_F_ACCESSED = 1ULL << 5,
	MMLENS_F_DIRTY = 1ULL << 6,
	MMLENS_F_PSE = 1ULL << 7,	/* leaf at PMD/PUD level */
	MMLENS_F_PAT = 1ULL << 8,	/* PAT bit (bit 7 in PTEs, 12 in leaves) */
	MMLENS_F_GLOBAL = 1ULL << 9,
	MMLENS_F_NX = 1ULL << 10,
	/* Software bits the kernel keeps in entries. */
	MMLENS_F_SOFT_DIRTY = 1ULL << 11,
	MMLENS_F_UFFD_WP = 1ULL << 12,
	MMLENS_F_SPECIAL = 1ULL << 13,	/* no struct page refcounting (pfnmap, zero page) */
	MMLENS_F_DEVMAP = 1ULL << 14,
	MMLENS_F_SAVED_DIRTY = 1ULL << 15,	/* kernels with shadow stacks */
	MMLENS_F_PROTNONE = 1ULL << 16,
	/* The kernel's accessors, which may differ from the raw bits. */
	MMLENS_F_WRITE = 1ULL << 17,	/* pte_write() */
	MMLENS_F_KERNEL_DIRTY = 1ULL << 18,	/* pte_dirty() */
	/* Non-present entries. */
	MMLENS_F_SWP_EXCLUSIVE = 1ULL << 19,	/* swapped page was exclusive */
	MMLENS_F_MIGRATION_WRITE = 1ULL << 20,
	MMLENS_F_MIGRATION_EXCLUSIVE = 1ULL << 21,
	MMLENS_F_DEVICE_WRITE = 1ULL << 22,
	MMLENS_F_DEVICE_EXCLUSIVE = 1ULL << 23,
	MMLENS_F_MARKER_UFFD_WP = 1ULL << 24,
	MMLENS_F_MARKER_POISONED = 1ULL << 25,
	/* Frame data below is valid (struct mmlens_pte). */
	MMLENS_F_HAS_FRAME = 1ULL << 26,
	/* The leaf's page is mapped once: /proc/PID/pagemap bit 56. */
	MMLENS_F_EXCLUSIVE = 1ULL << 27,
};

/* How a faulting access touched memory. */
enum mmlens_access {
	MMLENS_ACCESS_READ,
	MMLENS_ACCESS_WRITE,
	MMLENS_ACCESS_EXEC,
};

/* Where a fault came from (MMLENS_A_EVENT_FAULT_FLAGS). */
enum mmlens_fault_flag {
	MMLENS_FAULT_F_USER = 1U << 0,		/* user mode (else the kernel) */
	MMLENS_FAULT_F_GUP = 1U << 1,		/* get_user_pages(), no fault frame */
	MMLENS_FAULT_F_REMOTE = 1U << 2,	/* on another process's behalf */
	MMLENS_FAULT_F_VMA_LOCK = 1U << 3,	/* handled under the per-VMA lock */
	MMLENS_FAULT_F_TRIED = 1U << 4,		/* second attempt after a retry */
	MMLENS_FAULT_F_UNSHARE = 1U << 5,	/* unshare request (GUP of a shared anon page) */
};

/*
 * What a fault did, judged from the leaf entry before and after it and the
 * kernel's result.
 */
enum mmlens_fault_class {
	MMLENS_FAULT_ANON_ZERO_FILL,	/* empty anon entry: a zeroed new frame */
	MMLENS_FAULT_ZERO_PAGE,		/* read of empty anon: the shared zero page */
	MMLENS_FAULT_ZERO_PAGE_COW,	/* write over the zero page: a new frame */
	MMLENS_FAULT_FILE_MINOR,	/* file/shmem page found in the page cache */
	MMLENS_FAULT_FILE_MAJOR,	/* file/shmem page read from its backing store */
	MMLENS_FAULT_SWAP_IN_MINOR,	/* swap entry, page still in the swap cache */
	MMLENS_FAULT_SWAP_IN_MAJOR,	/* swap entry, page read from swap */
	MMLENS_FAULT_COW_COPY,		/* write to a shared private page: copied */
	MMLENS_FAULT_COW_REUSE,		/* write to a private page no longer shared: kept */
	MMLENS_FAULT_WRITE_NOTIFY,	/* first write to a shared page (dirty tracking) */
	MMLENS_FAULT_NUMA_HINT,		/* NUMA-hinting (PROT_NONE) entry */
	MMLENS_FAULT_UFFD,		/* handed to userfaultfd */
	MMLENS_FAULT_RETRY,		/* gave up to be retried (lock dropped) */
	MMLENS_FAULT_ERROR,		/* SIGSEGV, SIGBUS or out of memory */
	MMLENS_FAULT_MIGRATION,		/* waited for a page under migration */
	MMLENS_FAULT_SPURIOUS,		/* the entry already allowed the access */
	MMLENS_FAULT_OTHER,		/* none of the above */
	__MMLENS_FAULT_CLASS_MAX
};
#define MMLENS_FAULT_CLASS_MAX (__MMLENS_FAULT_CLASS_MAX - 1)

/* Why a TLB was flushed; the kernel's enum tlb_flush_reason. */
enum mmlens_tlb_reason {
	MMLENS_TLB_TASK_SWITCH,
	MMLENS_TLB_REMOTE_SHOOTDOWN,	/* received from another CPU */
	MMLENS_TLB_LOCAL_SHOOTDOWN,	/* not tied to one mm (reclaim batches) */
	MMLENS_TLB_LOCAL_MM_SHOOTDOWN,	/* this CPU, one mm */
	MMLENS_TLB_REMOTE_SEND_IPI,	/* IPIs sent to other CPUs */
	__MMLENS_TLB_REASON_MAX
};
#define MMLENS_TLB_REASON_MAX (__MMLENS_TLB_REASON_MAX - 1)

enum mmlens_vma_kind {
	MMLENS_VMA_ANON,	/* private or shared anonymous memory */
	MMLENS_VMA_FILE,
	MMLENS_VMA_HEAP,	/* [heap] */
	MMLENS_VMA_STACK,	/* [stack] */
	MMLENS_VMA_VDSO,	/* [vdso] */
	MMLENS_VMA_VVAR,	/* [vvar] */
	MMLENS_VMA_SPECIAL,	/* other kernel-provided mappings ([vsyscall] ...) */
};

/**
 * struct mmlens_pte - one leaf entry (or run of entries) of MMLENS_CMD_GET_PTE
 * @va: first virtual address the entry maps, aligned to the bytes one entry
 *	maps, which @level tells: 4 KiB for a PTE, 2 MiB for a PMD, 1 GiB for
 *	a PUD
 * @entry: raw entry value
 * @pfn: frame of a present, PROT_NONE, migration, device or hwpoison entry
 * @swap_offset: swap offset of a swap or marker entry (an entry has a frame
 *	or a swap offset, never both: they share their place)
 * @flags: MMLENS_F_*
 * @frame_flags: KPF_* of the frame (if MMLENS_F_HAS_FRAME); the flags mmlens
 *	reports are all below bit 32
 * @nr: entries in this record (1 unless MMLENS_A_PTE_RUNS merged a run)
 * @refcount: folio reference count (if MMLENS_F_HAS_FRAME)
 * @mapcount: mappings of this page, as pagemap counts (if MMLENS_F_HAS_FRAME)
 * @level: enum mmlens_level of the leaf
 * @kind: enum mmlens_entry_kind
 * @swap_type: swap type of a non-present entry
 * @pkey: protection key of a present entry
 *
 * 48 bytes, no padding: a dump of 4 KiB pages moves one per page.
 */
struct mmlens_pte {
	__u64 va;
	__u64 entry;
	union {
		__u64 pfn;
		__u64 swap_offset;
	};
	__u32 flags;
	__u32 frame_flags;
	__u32 nr;
	__u32 refcount;
	__u32 mapcount;
	__u8 level;
	__u8 kind;
	__u8 swap_type;
	__u8 pkey;
};

enum mmlens_status_attr {
	MMLENS_A_STATUS_UNSPEC,
	MMLENS_A_STATUS_MODULE_VERSION,
	MMLENS_A_STATUS_ABI_VERSION,
	MMLENS_A_STATUS_KERNEL_RELEASE,
	MMLENS_A_STATUS_PAGING_LEVELS,
	MMLENS_A_STATUS_PAGE_SIZE,
	MMLENS_A_STATUS_USER_VA_BITS,
	MMLENS_A_STATUS_PHYS_BITS,
	MMLENS_A_STATUS_PTI,
	__MMLENS_A_STATUS_MAX
};
#define MMLENS_A_STATUS_MAX (__MMLENS_A_STATUS_MAX - 1)

enum mmlens_mm_attr {
	MMLENS_A_MM_UNSPEC,
	MMLENS_A_MM_PAD,
	MMLENS_A_MM_PID,
	MMLENS_A_MM_TGID,
	MMLENS_A_MM_COMM,
	MMLENS_A_MM_PAGING_LEVELS,
	MMLENS_A_MM_PGD_PA,
	MMLENS_A_MM_CONTEXT_ID,
	MMLENS_A_MM_TLB_GEN,
	MMLENS_A_MM_MAP_COUNT,
	MMLENS_A_MM_TOTAL_VM,
	MMLENS_A_MM_LOCKED_VM,
	MMLENS_A_MM_PINNED_VM,
	MMLENS_A_MM_DATA_VM,
	MMLENS_A_MM_EXEC_VM,
	MMLENS_A_MM_STACK_VM,
	MMLENS_A_MM_RSS_ANON,
	MMLENS_A_MM_RSS_FILE,
	MMLENS_A_MM_RSS_SHMEM,
	MMLENS_A_MM_SWAP_ENTS,
	MMLENS_A_MM_HIWATER_RSS,
	MMLENS_A_MM_HIWATER_VM,
	MMLENS_A_MM_PGTABLES_BYTES,
	MMLENS_A_MM_START_CODE,
	MMLENS_A_MM_END_CODE,
	MMLENS_A_MM_START_DATA,
	MMLENS_A_MM_END_DATA,
	MMLENS_A_MM_START_BRK,
	MMLENS_A_MM_BRK,
	MMLENS_A_MM_START_STACK,
	MMLENS_A_MM_ARG_START,
	MMLENS_A_MM_ARG_END,
	MMLENS_A_MM_ENV_START,
	MMLENS_A_MM_ENV_END,
	MMLENS_A_MM_MMAP_BASE,
	MMLENS_A_MM_TASK_SIZE,
	MMLENS_A_MM_MIN_FLT,
	MMLENS_A_MM_MAJ_FLT,
	MMLENS_A_MM_PT_PAGES,
	__MMLENS_A_MM_MAX
};
#define MMLENS_A_MM_MAX (__MMLENS_A_MM_MAX - 1)

enum mmlens_pt_pages_attr {
	MMLENS_A_PT_PAGES_UNSPEC,
	MMLENS_A_PT_PAGES_PAD,
	MMLENS_A_PT_PAGES_PGD,
	MMLENS_A_PT_PAGES_P4D,
	MMLENS_A_PT_PAGES_PUD,
	MMLENS_A_PT_PAGES_PMD,
	MMLENS_A_PT_PAGES_PTE,
	__MMLENS_A_PT_PAGES_MAX
};
#define MMLENS_A_PT_PAGES_MAX (__MMLENS_A_PT_PAGES_MAX - 1)

enum mmlens_vma_attr {
	MMLENS_A_VMA_UNSPEC,
	MMLENS_A_VMA_PAD,
	MMLENS_A_VMA_PID,
	MMLENS_A_VMA_START,
	MMLENS_A_VMA_END,
	MMLENS_A_VMA_FLAGS,
	MMLENS_A_VMA_PGOFF,
	MMLENS_A_VMA_KIND,
	MMLENS_A_VMA_FILE,
	MMLENS_A_VMA_ANON_VMA,
	MMLENS_A_VMA_PAGE_SIZE,
	MMLENS_A_VMA_RESIDENT,
	MMLENS_A_VMA_SWAPPED,
	MMLENS_A_VMA_PMD_LEAVES,
	MMLENS_A_VMA_PUD_LEAVES,
	__MMLENS_A_VMA_MAX
};
#define MMLENS_A_VMA_MAX (__MMLENS_A_VMA_MAX - 1)

enum mmlens_walk_attr {
	MMLENS_A_WALK_UNSPEC,
	MMLENS_A_WALK_PAD,
	MMLENS_A_WALK_PID,
	MMLENS_A_WALK_VA,
	MMLENS_A_WALK_PAGING_LEVELS,
	MMLENS_A_WALK_LEVEL,
	MMLENS_A_WALK_LEAF_LEVEL,
	MMLENS_A_WALK_KIND,
	MMLENS_A_WALK_ENTRY,
	MMLENS_A_WALK_FLAGS,
	MMLENS_A_WALK_PKEY,
	MMLENS_A_WALK_PFN,
	MMLENS_A_WALK_PAGE_SIZE,
	MMLENS_A_WALK_PA,
	MMLENS_A_WALK_SWAP_TYPE,
	MMLENS_A_WALK_SWAP_OFFSET,
	MMLENS_A_WALK_VMA_START,
	MMLENS_A_WALK_VMA_END,
	MMLENS_A_WALK_VMA_FLAGS,
	MMLENS_A_WALK_FRAME,
	__MMLENS_A_WALK_MAX
};
#define MMLENS_A_WALK_MAX (__MMLENS_A_WALK_MAX - 1)

enum mmlens_level_attr {
	MMLENS_A_LEVEL_UNSPEC,
	MMLENS_A_LEVEL_PAD,
	MMLENS_A_LEVEL_LEVEL,
	MMLENS_A_LEVEL_INDEX,
	MMLENS_A_LEVEL_SHIFT,
	MMLENS_A_LEVEL_TABLE_PA,
	MMLENS_A_LEVEL_ENTRY,
	MMLENS_A_LEVEL_FLAGS,
	MMLENS_A_LEVEL_FOLDED,
	__MMLENS_A_LEVEL_MAX
};
#define MMLENS_A_LEVEL_MAX (__MMLENS_A_LEVEL_MAX - 1)

enum mmlens_pte_attr {
	MMLENS_A_PTE_UNSPEC,
	MMLENS_A_PTE_PAD,
	MMLENS_A_PTE_PID,
	MMLENS_A_PTE_START,
	MMLENS_A_PTE_END,
	MMLENS_A_PTE_RUNS,
	MMLENS_A_PTE_RECORDS,
	__MMLENS_A_PTE_MAX
};
#define MMLENS_A_PTE_MAX (__MMLENS_A_PTE_MAX - 1)

enum mmlens_frame_attr {
	MMLENS_A_FRAME_UNSPEC,
	MMLENS_A_FRAME_PAD,
	MMLENS_A_FRAME_PFN,
	MMLENS_A_FRAME_REFCOUNT,
	MMLENS_A_FRAME_MAPCOUNT,
	MMLENS_A_FRAME_FOLIO_MAPCOUNT,
	MMLENS_A_FRAME_ORDER,
	MMLENS_A_FRAME_FLAGS,
	MMLENS_A_FRAME_NID,
	__MMLENS_A_FRAME_MAX
};
#define MMLENS_A_FRAME_MAX (__MMLENS_A_FRAME_MAX - 1)

enum mmlens_watch_attr {
	MMLENS_A_WATCH_UNSPEC,
	MMLENS_A_WATCH_PID,
	MMLENS_A_WATCH_FOLLOW,
	MMLENS_A_WATCH_PAD,
	MMLENS_A_WATCH_SEQ,
	__MMLENS_A_WATCH_MAX
};
#define MMLENS_A_WATCH_MAX (__MMLENS_A_WATCH_MAX - 1)

enum mmlens_stats_attr {
	MMLENS_A_STATS_UNSPEC,
	MMLENS_A_STATS_PAD,
	MMLENS_A_STATS_PID,
	MMLENS_A_STATS_TLB_GEN,
	MMLENS_A_STATS_WATCHED_NS,
	MMLENS_A_STATS_FAULTS,
	MMLENS_A_STATS_TLB,
	MMLENS_A_STATS_EVENTS,
	MMLENS_A_STATS_LOST,
	MMLENS_A_STATS_SEQ,
	__MMLENS_A_STATS_MAX
};
#define MMLENS_A_STATS_MAX (__MMLENS_A_STATS_MAX - 1)

/* One attribute per enum mmlens_fault_class, in its order. */
enum mmlens_faults_attr {
	MMLENS_A_FAULTS_UNSPEC,
	MMLENS_A_FAULTS_PAD,
	MMLENS_A_FAULTS_ANON_ZERO_FILL,
	MMLENS_A_FAULTS_ZERO_PAGE,
	MMLENS_A_FAULTS_ZERO_PAGE_COW,
	MMLENS_A_FAULTS_FILE_MINOR,
	MMLENS_A_FAULTS_FILE_MAJOR,
	MMLENS_A_FAULTS_SWAP_IN_MINOR,
	MMLENS_A_FAULTS_SWAP_IN_MAJOR,
	MMLENS_A_FAULTS_COW_COPY,
	MMLENS_A_FAULTS_COW_REUSE,
	MMLENS_A_FAULTS_WRITE_NOTIFY,
	MMLENS_A_FAULTS_NUMA_HINT,
	MMLENS_A_FAULTS_UFFD,
	MMLENS_A_FAULTS_RETRY,
	MMLENS_A_FAULTS_ERROR,
	MMLENS_A_FAULTS_MIGRATION,
	MMLENS_A_FAULTS_SPURIOUS,
	MMLENS_A_FAULTS_OTHER,
	__MMLENS_A_FAULTS_MAX
};
#define MMLENS_A_FAULTS_MAX (__MMLENS_A_FAULTS_MAX - 1)
#define MMLENS_A_FAULTS_FIRST MMLENS_A_FAULTS_ANON_ZERO_FILL

/* One attribute per enum mmlens_tlb_reason, in its order. */
enum mmlens_tlb_attr {
	MMLENS_A_TLB_UNSPEC,
	MMLENS_A_TLB_TASK_SWITCH,
	MMLENS_A_TLB_REMOTE_SHOOTDOWN,
	MMLENS_A_TLB_LOCAL_SHOOTDOWN,
	MMLENS_A_TLB_LOCAL_MM_SHOOTDOWN,
	MMLENS_A_TLB_REMOTE_SEND_IPI,
	__MMLENS_A_TLB_MAX
};
#define MMLENS_A_TLB_MAX (__MMLENS_A_TLB_MAX - 1)
#define MMLENS_A_TLB_FIRST MMLENS_A_TLB_TASK_SWITCH

enum mmlens_tlb_count_attr {
	MMLENS_A_TLB_COUNT_UNSPEC,
	MMLENS_A_TLB_COUNT_PAD,
	MMLENS_A_TLB_COUNT_FLUSHES,
	MMLENS_A_TLB_COUNT_PAGES,
	MMLENS_A_TLB_COUNT_FULL,
	__MMLENS_A_TLB_COUNT_MAX
};
#define MMLENS_A_TLB_COUNT_MAX (__MMLENS_A_TLB_COUNT_MAX - 1)

enum mmlens_event_attr {
	MMLENS_A_EVENT_UNSPEC,
	MMLENS_A_EVENT_PAD,
	MMLENS_A_EVENT_PID,
	MMLENS_A_EVENT_TID,
	MMLENS_A_EVENT_VA,
	MMLENS_A_EVENT_ACCESS,
	MMLENS_A_EVENT_FAULT_FLAGS,
	MMLENS_A_EVENT_CLASS,
	MMLENS_A_EVENT_LEVEL,
	MMLENS_A_EVENT_ENTRY_BEFORE,
	MMLENS_A_EVENT_ENTRY_AFTER,
	MMLENS_A_EVENT_PFN_BEFORE,
	MMLENS_A_EVENT_PFN_AFTER,
	MMLENS_A_EVENT_MAPCOUNT_BEFORE,
	MMLENS_A_EVENT_RESULT,
	MMLENS_A_EVENT_DURATION_NS,
	MMLENS_A_EVENT_TIMESTAMP_NS,
	MMLENS_A_EVENT_LOST,
	MMLENS_A_EVENT_CHILD,
	MMLENS_A_EVENT_FOLLOWED,
	MMLENS_A_EVENT_EXIT_CODE,
	MMLENS_A_EVENT_SIGNAL,
	MMLENS_A_EVENT_SIGNAL_CODE,
	MMLENS_A_EVENT_SEQ,
	__MMLENS_A_EVENT_MAX
};
#define MMLENS_A_EVENT_MAX (__MMLENS_A_EVENT_MAX - 1)

#endif /* _UAPI_LINUX_MMLENS_H */
