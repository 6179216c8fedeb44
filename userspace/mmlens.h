/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmlens CLI: what the subcommands share.
 */
#ifndef MMLENS_H
#define MMLENS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "nl.h"
#include "stream.h"

/* Exit statuses; documented in mmlens.1. */
enum {
	MMLENS_EXIT_OK = 0,
	MMLENS_EXIT_FAIL = 1,
	MMLENS_EXIT_USAGE = 2,
	/* ptes --check ran to the end and found pages pagemap disagrees on. */
	MMLENS_EXIT_MISMATCH = 3,
};

/* Options only some subcommands take (struct mmlens_command.opts). */
enum {
	MMLENS_OPT_EXPLAIN = 1 << 0,	/* translate: draw the walk */
	MMLENS_OPT_RUNS = 1 << 1,	/* ptes: merge runs */
	MMLENS_OPT_CHECK = 1 << 2,	/* ptes: compare with pagemap */
	MMLENS_OPT_FOLLOW = 1 << 3,	/* watch, run: follow children */
	MMLENS_OPT_COW = 1 << 4,	/* watch, run: print only COW faults */
	MMLENS_OPT_INTERVAL = 1 << 5,	/* stats: --interval S */
	MMLENS_OPT_COUNT = 1 << 6,	/* stats: --count N */
	MMLENS_OPT_OUTPUT = 1 << 7,	/* ptes, watch, run, stats: -o FILE */
};

/* A dump interrupted by changes is tried this often before giving up. */
#define MMLENS_DUMP_TRIES 5

struct mmlens_ctx;

struct mmlens_command {
	const char *name;
	/* argv[0] is the command name; returns an MMLENS_EXIT_* status. */
	int (*run)(struct mmlens_ctx *ctx, int argc, char **argv);
	const char *args;	/* synopsis of the arguments, "" if none */
	const char *help;	/* one line for the usage text */
	unsigned int opts;	/* MMLENS_OPT_* it accepts */
	/*
	 * Options end at the first operand, which starts a command line of
	 * its own (mmlens run CMD -x).
	 */
	bool operands_end_options;
};

struct mmlens_ctx {
	const struct mmlens_command *cmd;
	bool json;
	unsigned int opts;	/* MMLENS_OPT_* given */
	/* Arguments of the options that take one, NULL when not given. */
	const char *interval, *count, *output;
};

/* libnl policies for the reply attributes, exact sizes. */
#define MMLENS_POLICY_U32 { .type = NLA_U32, .minlen = 4, .maxlen = 4 }
#define MMLENS_POLICY_U64 { .type = NLA_U64, .minlen = 8, .maxlen = 8 }
/* libnl's policy has no upper bound for flags: see mmlens_flag_ok(). */
#define MMLENS_POLICY_FLAG { .type = NLA_FLAG }
#define MMLENS_POLICY_NESTED { .type = NLA_NESTED }

/* Subcommand handlers, one file each. */
int mmlens_cmd_status(struct mmlens_ctx *ctx, int argc, char **argv);
int mmlens_cmd_info(struct mmlens_ctx *ctx, int argc, char **argv);
int mmlens_cmd_maps(struct mmlens_ctx *ctx, int argc, char **argv);
int mmlens_cmd_translate(struct mmlens_ctx *ctx, int argc, char **argv);
int mmlens_cmd_ptes(struct mmlens_ctx *ctx, int argc, char **argv);
int mmlens_cmd_frame(struct mmlens_ctx *ctx, int argc, char **argv);
int mmlens_cmd_watch(struct mmlens_ctx *ctx, int argc, char **argv);
int mmlens_cmd_run(struct mmlens_ctx *ctx, int argc, char **argv);
int mmlens_cmd_stats(struct mmlens_ctx *ctx, int argc, char **argv);

const struct mmlens_command *mmlens_cmd_lookup(const char *name);

/* Runs the CLI; returns the exit status. */
int mmlens_main(int argc, char **argv);

/* "mmlens: <command>: <message>" on stderr. */
void mmlens_err(const struct mmlens_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Parses the options every subcommand takes (--json, -h/--help).  Returns -1
 * with *first set to the index of the first operand, which must number
 * between min_args and max_args, or else the exit status to return now.
 */
int mmlens_cmd_options(struct mmlens_ctx *ctx, int argc, char **argv,
		       int min_args, int max_args, int *first);

/*
 * The stream a command prints its lines to: the file of -o FILE (created or
 * truncated), else standard output.  Returns 0, or MMLENS_EXIT_FAIL after
 * explaining on stderr.
 */
int mmlens_output_open(const struct mmlens_ctx *ctx, struct mmlens_stream *out);
/*
 * Writes what is left of out and closes its file.  Returns ret, or
 * MMLENS_EXIT_FAIL after "cannot write output: ..." on stderr when any
 * write failed: the one place that tells of a failed output of a stream.
 */
int mmlens_output_close(const struct mmlens_ctx *ctx, struct mmlens_stream *out, int ret);

/*
 * Opens the netlink connection, explaining a failure on stderr.  Returns 0 or
 * MMLENS_EXIT_FAIL.
 */
int mmlens_connect(const struct mmlens_ctx *ctx, struct mmlens_nl *nl);

/* Explains a failed transaction on stderr, with the kernel's message. */
void mmlens_err_nl(const struct mmlens_ctx *ctx, const struct mmlens_nl_err *err);

/*
 * Like mmlens_connect(), for the commands that can do without the module:
 * returns -ENOENT after a notice on stderr that what source (e.g.
 * "/proc/PID/pagemap") tells is shown instead, when the module is not loaded;
 * 0 when connected; MMLENS_EXIT_FAIL with the reason on stderr otherwise.
 */
int mmlens_connect_or_proc(const struct mmlens_ctx *ctx, struct mmlens_nl *nl,
			   const char *source);

/* One request to the module, with its replies. */
struct mmlens_req {
	uint8_t cmd;
	bool dump;		/* NLM_F_DUMP, retried when interrupted */
	/* Adds the request's attributes; 0 or -errno. */
	int (*put)(struct nl_msg *msg, const void *arg);
	/* Takes one reply; 0, -EBADMSG when malformed, or another -errno. */
	int (*reply)(struct nl_msg *msg, void *arg);
	/* Dumps: forgets the replies of an interrupted try. */
	void (*restart)(void *arg);
	const void *put_arg;
	void *reply_arg;
};

/*
 * Sends req and takes its replies, trying a dump that the kernel flagged as
 * interrupted (NLM_F_DUMP_INTR) again from the start, MMLENS_DUMP_TRIES times
 * at most.  Returns 0, or MMLENS_EXIT_FAIL after explaining on stderr.
 */
int mmlens_request(const struct mmlens_ctx *ctx, struct mmlens_nl *nl,
		   const struct mmlens_req *req);

/*
 * A do request whose reply handler counts into *replies, sent if the module
 * is loaded.  Returns 0 when the module answered, -ENOENT when it is not
 * loaded (a notice names source, what the caller shows instead), or an exit
 * status after explaining on stderr.
 */
int mmlens_request_or_proc(const struct mmlens_ctx *ctx, const struct mmlens_req *req,
			   const int *replies, const char *source);

/*
 * Explains on stderr that /proc/PID/name could not be read (error, -errno):
 * "no process" for a PID that does not exist.
 */
void mmlens_err_proc(const struct mmlens_ctx *ctx, pid_t pid, const char *name,
		     int error);

/*
 * Says so on stderr and returns MMLENS_EXIT_FAIL when pid is a kernel thread,
 * which has no address space to look at; else 0, also when /proc/PID/stat
 * cannot be read (what the command reads next tells why).
 */
int mmlens_check_target(const struct mmlens_ctx *ctx, pid_t pid);

/*
 * Parse operands, saying what is wrong on stderr.  Return 0 or
 * MMLENS_EXIT_USAGE.
 */
int mmlens_arg_pid(const struct mmlens_ctx *ctx, const char *s, pid_t *pid);
int mmlens_arg_u64(const struct mmlens_ctx *ctx, const char *what,
		   const char *s, uint64_t *val);

#endif /* MMLENS_H */
