/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Live events of watched processes (MMLENS_CMD_FAULT_NTF, _FORK_NTF,
 * _EXIT_NTF, _END_NTF): decoding, and one line of text or one JSON object per event.
 * Shared by mmlens watch and mmlens run; the names of fault classes and TLB
 * flush reasons are also mmlens stats'.
 */
#ifndef MMLENS_EVENTS_H
#define MMLENS_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json.h>
#include <linux/netlink.h>

#include <linux/mmlens.h>

#include "names.h"

/*
 * Fault classes as counted: one slot per enum mmlens_fault_class, and one
 * more for classes a newer module knows and this mmlens does not.
 */
#define MMLENS_CLASS_UNKNOWN	(MMLENS_FAULT_CLASS_MAX + 1)
#define MMLENS_NR_CLASSES	(MMLENS_FAULT_CLASS_MAX + 2)

#define MMLENS_NR_TLB_REASONS	(MMLENS_TLB_REASON_MAX + 1)

/* One decoded event; the fields of other commands than cmd are zero. */
struct mmlens_event {
	uint8_t cmd;		/* MMLENS_CMD_*_NTF */
	uint32_t pid, tid;
	uint64_t ts_ns;
	uint64_t lost;		/* events of pid lost so far, as the module counts */
	uint64_t seq;		/* its number among the events of pid */
	/* FAULT_NTF */
	uint64_t va;
	uint32_t access;	/* enum mmlens_access */
	uint32_t fault_flags;	/* MMLENS_FAULT_F_* */
	uint32_t class;		/* enum mmlens_fault_class */
	uint32_t level;		/* enum mmlens_level */
	uint64_t entry_before, entry_after;
	bool has_pfn_before, has_pfn_after, has_mapcount;
	uint64_t pfn_before, pfn_after;
	uint32_t mapcount_before;
	bool handled;		/* by the core mm: level, entries, result, duration */
	uint32_t result;	/* vm_fault_t */
	uint64_t duration_ns;
	uint32_t signal;	/* SIGSEGV/SIGBUS the fault raised, or 0 */
	int32_t signal_code;	/* its si_code */
	/* FORK_NTF */
	uint32_t child;
	bool followed;
	/* EXIT_NTF */
	uint32_t exit_code;	/* as wait(2) reports it */
};

/* MMLENS_FAULT_F_* names, as in JSON: "user", "gup", ... */
extern const struct mmlens_bit_name mmlens_fault_flag_names[];

/*
 * Names of a fault class: snake_case as in JSON and the man page
 * ("anon_zero_fill"), and for people ("anon zero-fill"); "unknown" for
 * MMLENS_CLASS_UNKNOWN and anything above.
 */
const char *mmlens_class_name(unsigned int class);
const char *mmlens_class_text(unsigned int class);
/* The counting slot of a class: itself, or MMLENS_CLASS_UNKNOWN. */
unsigned int mmlens_class_slot(uint32_t class);
/* "read", "write", "exec"; "?" if unknown. */
const char *mmlens_access_name(unsigned int access);
/* "task_switch", "remote_shootdown", ...; "?" if unknown. */
const char *mmlens_tlb_reason_name(unsigned int reason);

/*
 * Decodes one event message (a generic netlink message of the mmlens family).
 * Returns 0; -ENOENT for a command that is not an event; -EBADMSG when an
 * attribute the ABI always sends is missing or any has the wrong size.
 */
int mmlens_event_parse(const struct nlmsghdr *nlh, struct mmlens_event *ev);

/*
 * One line of text for ev, without a newline, into buf (always
 * NUL-terminated, cut at size).  Returns its length.  The process is called
 * "pid N", or "child N" when child (a followed descendant of the PID asked
 * for).
 */
size_t mmlens_event_text(char *buf, size_t size, const struct mmlens_event *ev,
			 bool child);

/* "status 0", "killed by SIGKILL", ... for a wait(2) status, into buf. */
const char *mmlens_exit_text(char *buf, size_t size, uint32_t status);

/* The JSON object of an event; NULL when out of memory. */
struct json_object *mmlens_event_json(const struct mmlens_event *ev);

/*
 * A "lost" JSON object: pid's lost total rose by delta to lost; for a socket
 * overrun pid < 0, lost counts overruns and delta is unknown (null).
 */
struct json_object *mmlens_lost_json(int64_t pid, uint64_t lost, uint64_t delta);

/* The same as a line of text, without a newline, as mmlens_event_text(). */
size_t mmlens_lost_text(char *buf, size_t size, int64_t pid, uint64_t lost,
			uint64_t delta);


#endif /* MMLENS_EVENTS_H */
