/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmlens watch: the faults, forks and exits of a process as they happen, and
 * the session that mmlens run shares: which processes this invocation
 * watches, what was seen and lost of each, and the summary at the end.
 */
#ifndef MMLENS_WATCH_H
#define MMLENS_WATCH_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <json.h>
#include <linux/netlink.h>

#include "events.h"
#include "live.h"
#include "mmlens.h"
#include "stream.h"

/* A process this invocation watches. */
/*
 * A process of the session.  The module numbers each process's events
 * (MMLENS_A_EVENT_SEQ): the events of our watch are those above the number
 * its WATCH_ADD answered, and every number we never receive is an event we
 * lost.  Its stream ends with its last event (exit, or the module's end).
 */
struct mmlens_tracked {
	uint32_t pid;
	bool child;		/* a followed descendant, not the PID asked for */
	bool exited;		/* its stream ended: last event, or vanished */
	bool exit_seen;		/* its exit event came */
	bool end_seen;		/* the module went while it ran */
	uint32_t exit_code;	/* wait(2) status, if exit_seen */
	bool heard;		/* an event came since the last liveness check */
	unsigned int vanished;	/* liveness checks in a row that found it gone, unheard */
	uint64_t seq;		/* number of its latest event received (or the watch's start) */
	uint64_t received;	/* its events received */
	uint64_t faults[MMLENS_NR_CLASSES];	/* fault events received, by class */
	uint64_t lost;		/* its events that never came */
};

struct mmlens_session {
	const struct mmlens_ctx *ctx;	/* for messages on stderr */
	struct mmlens_stream *out;
	bool json;
	bool cow_only;		/* print only COW faults (count all) */
	bool follow;		/* track the children FORK_NTF says are followed */
	bool run;		/* mmlens run: a signal waits for the command */
	struct mmlens_tracked *procs;
	size_t n, cap;
	uint64_t overruns;	/* ENOBUFS of the event socket */
	uint64_t overruns_shown;
	uint64_t malformed;	/* events that did not decode */
};

/* Totals of a session's processes. */
struct mmlens_totals {
	uint64_t faults[MMLENS_NR_CLASSES];
	uint64_t all;		/* fault events seen */
	uint64_t events;	/* events received */
	uint64_t lost;		/* events lost */
	size_t running;		/* processes not seen to exit */
};

void mmlens_session_init(struct mmlens_session *s, const struct mmlens_ctx *ctx,
			 struct mmlens_stream *out);
void mmlens_session_free(struct mmlens_session *s);

/*
 * Starts tracking pid, whose events for us are numbered above seq; returns
 * it, or NULL when out of memory.
 */
struct mmlens_tracked *mmlens_session_track(struct mmlens_session *s,
					    uint32_t pid, bool child, uint64_t seq);
struct mmlens_tracked *mmlens_session_find(struct mmlens_session *s, uint32_t pid);

/*
 * Takes one message of the mmlens family (a callback of mmlens_live_read()):
 * events of tracked processes are counted and printed, with a "lost" line
 * first when their numbers skipped some; others, and repeats, are ignored.
 * Returns 0, or -errno when the output failed or memory ran out.
 */
int mmlens_session_message(const struct nlmsghdr *nlh, void *session);

/* Prints a "lost" line if the event socket overran since the last one. */
int mmlens_session_overruns(struct mmlens_session *s);

/*
 * p's events up to number seq were produced: those not received are lost
 * (a "lost" line tells how many).  Returns 0 or -errno of the output.
 */
int mmlens_session_produced(struct mmlens_session *s, struct mmlens_tracked *p,
			    uint64_t seq);

/* Whether every tracked process exited. */
bool mmlens_session_done(const struct mmlens_session *s);

void mmlens_session_totals(const struct mmlens_session *s, struct mmlens_totals *t);

/* The summary: text, or one JSON object of type "summary". */
int mmlens_session_summary(struct mmlens_session *s);
struct json_object *mmlens_summary_json(const struct mmlens_session *s);

/*
 * Streams the events of lv until every tracked process exited or a signal
 * ends it (SIGINT, SIGTERM: see mmlens_signals_catch()).  A run session
 * passes a signal that kill(2) sent to the command (the first tracked
 * process; the terminal's Ctrl-C reaches it anyway) and goes on until the
 * command exited, unless a second signal comes.  For those still running it
 * then asks ctl, the socket that watches them, how many events were
 * produced, takes those still on their way, counts the rest as lost, and
 * prints the summary.  Returns an MMLENS_EXIT_* status, after explaining a
 * failure on stderr, but for a failed output: mmlens_output_close() tells.
 */
int mmlens_session_stream(struct mmlens_session *s, struct mmlens_live *lv,
			  struct mmlens_nl *ctl);

/*
 * Blocks SIGINT and SIGTERM, to be received only while waiting for events,
 * and installs the handler that counts them.  old receives the previous
 * mask.
 */
void mmlens_signals_catch(sigset_t *old);
void mmlens_signals_restore(const sigset_t *old);
/* The last signal caught, 0 if none. */
int mmlens_signals_last(void);

/*
 * Connects the request socket and the event socket (joined to the events
 * group, with MMLENS_RCVBUF from the environment or MMLENS_LIVE_RCVBUF as
 * its buffer).  Returns 0 or MMLENS_EXIT_FAIL after explaining on stderr.
 */
int mmlens_watch_connect(const struct mmlens_ctx *ctx, struct mmlens_nl *ctl,
			 struct mmlens_live *lv);

/*
 * WATCH_ADD of pid on ctl, following its children if the session does.
 * Returns 0 or MMLENS_EXIT_FAIL after explaining on stderr.
 */
int mmlens_watch_start(struct mmlens_session *s, struct mmlens_nl *ctl, pid_t pid);

/*
 * The process (thread group) of pid, as events and watches name it.
 * Returns 0 or -errno (-ENOENT: no such process).
 */
int mmlens_watch_tgid(pid_t pid, pid_t *tgid);

/* Explains a failed GET_STATS or WATCH_ADD on stderr. */
void mmlens_live_err(const struct mmlens_ctx *ctx, const char *what,
		     const struct mmlens_nl_err *err);

#endif /* MMLENS_WATCH_H */
