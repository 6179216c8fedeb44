/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmlens CLI: what the subcommands share.
 */
#ifndef MMLENS_H
#define MMLENS_H

#include <stdbool.h>

#include "nl.h"

/* Exit statuses; documented in mmlens.1. */
enum {
	MMLENS_EXIT_OK = 0,
	MMLENS_EXIT_FAIL = 1,
	MMLENS_EXIT_USAGE = 2,
};

struct mmlens_ctx;

struct mmlens_command {
	const char *name;
	/* argv[0] is the command name; returns an MMLENS_EXIT_* status. */
	int (*run)(struct mmlens_ctx *ctx, int argc, char **argv);
	const char *args;	/* synopsis of the arguments, "" if none */
	const char *help;	/* one line for the usage text */
};

struct mmlens_ctx {
	const struct mmlens_command *cmd;
	bool json;
};

/* Subcommand handlers, one file each. */
int mmlens_cmd_status(struct mmlens_ctx *ctx, int argc, char **argv);

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
 * Opens the netlink connection, explaining a failure on stderr.  Returns 0 or
 * MMLENS_EXIT_FAIL.
 */
int mmlens_connect(const struct mmlens_ctx *ctx, struct mmlens_nl *nl);

/* Explains a failed transaction on stderr, with the kernel's message. */
void mmlens_err_nl(const struct mmlens_ctx *ctx, const struct mmlens_nl_err *err);

#endif /* MMLENS_H */
