/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Watching processes live: the watch requests (MMLENS_CMD_WATCH_ADD,
 * MMLENS_CMD_GET_STATS) and the socket that receives the events multicast on
 * MMLENS_MCGRP_EVENTS.
 *
 * Requests and events use two sockets: a request's replies then never have
 * to be told apart from events that arrive meanwhile, and an overrun of the
 * event socket cannot drop a reply.  Watches belong to the socket that adds
 * them (the request socket); events go to every member of the group.
 */
#ifndef MMLENS_LIVE_H
#define MMLENS_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/netlink.h>
#include <netlink/netlink.h>

#include "events.h"
#include "nl.h"

/*
 * Receive buffer asked for the event socket.  An event is a few hundred
 * bytes but costs about a kilobyte of buffer in the kernel (the skb); 16 MiB
 * holds some ten thousand, a burst of faults while the terminal scrolls.
 * Without CAP_NET_ADMIN the kernel caps it at net.core.rmem_max.
 */
#define MMLENS_LIVE_RCVBUF (16 << 20)

struct mmlens_live {
	struct nl_sock *sock;
	int fd;
	int family;		/* id of the family the events come from */
	int group;		/* id of its events group */
	int rcvbuf;		/* receive buffer the kernel granted, bytes */
	unsigned char *buf;	/* one datagram */
};

/*
 * Opens a socket, resolves family and its multicast group (mmlens and
 * "events"; tests use others), asks for a receive buffer of rcvbuf bytes
 * (what is granted may be less), and joins the group.  Returns 0; -ENOENT
 * when the family or the group does not exist; -EPERM when joining was
 * refused; another -errno.  On failure nothing is left to close.
 */
int mmlens_live_open(struct mmlens_live *lv, const char *family,
		     const char *group, int rcvbuf);
void mmlens_live_close(struct mmlens_live *lv);

/*
 * Reads the datagrams queued on the socket, at most max, without waiting,
 * and calls fn for each message of the family in them, audited for kernel
 * addresses first (audit.h); fn returns 0 to go on or a negative errno to
 * stop.  An overrun of the receive buffer (ENOBUFS: the kernel dropped
 * events) increments *overruns and reading goes on.
 * Returns the number of datagrams read, or fn's or recv's -errno.
 */
int mmlens_live_read(struct mmlens_live *lv, unsigned int max,
		     int (*fn)(const struct nlmsghdr *nlh, void *arg), void *arg,
		     uint64_t *overruns);

/* Counters of a watched process, or the global ones (has_pid false). */
struct mmlens_stats {
	bool has_pid;
	uint32_t pid;
	bool has_tlb_gen;
	uint64_t tlb_gen;
	uint64_t watched_ns;
	uint64_t faults[MMLENS_NR_CLASSES];	/* by class */
	struct mmlens_tlb_count {
		uint64_t flushes, pages, full;
	} tlb[MMLENS_NR_TLB_REASONS];		/* by reason */
	uint64_t events, lost;
	uint64_t seq;		/* events produced for the process */
};

/*
 * Decodes a GET_STATS reply.  Counters a newer module adds (classes,
 * reasons) are summed into MMLENS_CLASS_UNKNOWN or ignored; absent nests
 * count zero.  Returns 0 or -EBADMSG.
 */
int mmlens_stats_parse(const struct nlmsghdr *nlh, struct mmlens_stats *st);

/*
 * GET_STATS of pid (0: the global counters).  Returns 0 or the -errno the
 * kernel reported (with its message in *err) or a local one.
 */
int mmlens_stats_get(struct mmlens_nl *nl, uint32_t pid, struct mmlens_stats *st,
		     struct mmlens_nl_err *err);

/*
 * WATCH_ADD of pid, with MMLENS_A_WATCH_FOLLOW if follow; *seq gets the
 * number of the process's latest event before the watch (its events for
 * this watch are numbered above).  As above.
 */
int mmlens_watch_add(struct mmlens_nl *nl, uint32_t pid, bool follow, uint64_t *seq,
		     struct mmlens_nl_err *err);

#endif /* MMLENS_LIVE_H */
