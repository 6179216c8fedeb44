// SPDX-License-Identifier: GPL-2.0
/*
 * mmlens: look at the virtual memory of a live process.
 *
 * Global options, the table of subcommands and what they share.  Each
 * subcommand lives in a file of its own.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <linux/mmlens.h>

#include "mmlens.h"

#ifndef MMLENS_VERSION
#error "the Makefile defines MMLENS_VERSION"
#endif

static const struct mmlens_command commands[] = {
	{ "status", mmlens_cmd_status, "",
	  "show the module's version and the machine's paging setup" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct mmlens_command *mmlens_cmd_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	size_t i;

	fputs("usage: mmlens [--json] <command> [<args>]\n"
	      "       mmlens -h | --help | -V | --version\n"
	      "\n"
	      "Inspect the virtual memory of live processes through the mmlens kernel module.\n"
	      "\n"
	      "Commands:\n", f);
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fputs("\n"
	      "Options:\n"
	      "  --json         print JSON instead of text\n"
	      "  -h, --help     show this help and exit\n"
	      "  -V, --version  show the version and exit\n"
	      "\n"
	      "Run 'mmlens <command> --help' for the usage of a command.\n", f);
}

static void cmd_usage(FILE *f, const struct mmlens_command *cmd)
{
	fprintf(f, "usage: mmlens %s [--json]%s%s\n  %s\n", cmd->name,
		*cmd->args ? " " : "", cmd->args, cmd->help);
}

void mmlens_err(const struct mmlens_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fputs("mmlens: ", stderr);
	if (ctx->cmd)
		fprintf(stderr, "%s: ", ctx->cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void mmlens_err_nl(const struct mmlens_ctx *ctx, const struct mmlens_nl_err *err)
{
	const char *what = strerror(-err->error);

	if (err->msg[0])
		mmlens_err(ctx, "%s (kernel reports: %s)", what, err->msg);
	else if (err->error == -EPERM)
		/* Refused before the module could explain, e.g. by an LSM. */
		mmlens_err(ctx, "%s (mmlens needs CAP_SYS_ADMIN in the initial user namespace)",
			   what);
	else
		mmlens_err(ctx, "%s", what);
}

int mmlens_connect(const struct mmlens_ctx *ctx, struct mmlens_nl *nl)
{
	int ret;

	ret = mmlens_nl_open(nl);
	if (ret == -ENOENT) {
		mmlens_err(ctx, "the mmlens kernel module is not loaded "
			   "(load it with 'modprobe mmlens' or 'insmod mmlens.ko')");
		return MMLENS_EXIT_FAIL;
	}
	if (ret) {
		mmlens_err(ctx, "cannot reach the mmlens kernel module: %s",
			   strerror(-ret));
		return MMLENS_EXIT_FAIL;
	}
	return MMLENS_EXIT_OK;
}

int mmlens_cmd_options(struct mmlens_ctx *ctx, int argc, char **argv,
		       int min_args, int max_args, int *first)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char prefix[64], *argv0 = argv[0];
	int c, nargs, ret = -1;

	/* getopt prefixes its complaints with argv[0]: make it ours. */
	snprintf(prefix, sizeof(prefix), "mmlens: %s", ctx->cmd->name);
	argv[0] = prefix;
	/* 0, not 1: GNU getopt then also forgets the previous parse. */
	optind = 0;
	while (ret < 0 && (c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctx->json = true;
			break;
		case 'h':
			cmd_usage(stdout, ctx->cmd);
			ret = MMLENS_EXIT_OK;
			break;
		default:
			cmd_usage(stderr, ctx->cmd);
			ret = MMLENS_EXIT_USAGE;
			break;
		}
	}
	argv[0] = argv0;
	if (ret >= 0)
		return ret;

	nargs = argc - optind;
	if (nargs < min_args || nargs > max_args) {
		if (nargs < min_args)
			mmlens_err(ctx, "missing argument");
		else
			mmlens_err(ctx, "unexpected argument '%s'",
				   argv[optind + max_args]);
		cmd_usage(stderr, ctx->cmd);
		return MMLENS_EXIT_USAGE;
	}
	*first = optind;
	return -1;
}

int mmlens_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static char name[] = "mmlens";
	struct mmlens_ctx ctx = { .cmd = NULL };
	int c, ret = -1;

	/* Whatever the binary is called, errors read "mmlens: ...". */
	argv[0] = name;
	optind = 0;
	/* "+": options after the command name belong to the command. */
	while (ret < 0 && (c = getopt_long(argc, argv, "+hV", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctx.json = true;
			break;
		case 'h':
			usage(stdout);
			ret = MMLENS_EXIT_OK;
			break;
		case 'V':
			printf("mmlens %s (ABI %d)\n", MMLENS_VERSION,
			       MMLENS_ABI_VERSION);
			ret = MMLENS_EXIT_OK;
			break;
		default:
			usage(stderr);
			ret = MMLENS_EXIT_USAGE;
			break;
		}
	}

	if (ret < 0) {
		if (optind >= argc) {
			usage(stderr);
			return MMLENS_EXIT_USAGE;
		}
		ctx.cmd = mmlens_cmd_lookup(argv[optind]);
		if (!ctx.cmd) {
			fprintf(stderr, "mmlens: %s: unknown command\n", argv[optind]);
			usage(stderr);
			return MMLENS_EXIT_USAGE;
		}
		ret = ctx.cmd->run(&ctx, argc - optind, argv + optind);
	}

	/* Output to a full disk or closed pipe must not look like success. */
	if (fflush(stdout) || ferror(stdout)) {
		mmlens_err(&ctx, "cannot write output: %s", strerror(errno));
		return MMLENS_EXIT_FAIL;
	}
	return ret;
}
