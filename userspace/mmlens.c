// SPDX-License-Identifier: GPL-2.0
/*
 * mmlens: look at the virtual memory of a live process.
 *
 * Global options, the table of subcommands and what they share.  Each
 * subcommand lives in a file of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/mmlens.h>

#include "mmlens.h"
#include "proc.h"
#include "util.h"

#ifndef MMLENS_VERSION
#error "the Makefile defines MMLENS_VERSION"
#endif

static const struct mmlens_command commands[] = {
	{ "status", mmlens_cmd_status, "",
	  "show the module's version and the machine's paging setup",
	  0, false },
	{ "info", mmlens_cmd_info, "PID",
	  "show a process's address space: counters, layout, page tables",
	  0, false },
	{ "maps", mmlens_cmd_maps, "PID",
	  "list a process's VMAs with what is resident and swapped",
	  0, false },
	{ "translate", mmlens_cmd_translate, "PID VA",
	  "walk the page tables for one virtual address",
	  MMLENS_OPT_EXPLAIN, false },
	{ "walk", mmlens_cmd_translate, "PID VA",
	  "the same as translate",
	  MMLENS_OPT_EXPLAIN, false },
	{ "ptes", mmlens_cmd_ptes, "PID [RANGE]",
	  "list the page table entries of a range, compare with pagemap",
	  MMLENS_OPT_RUNS | MMLENS_OPT_CHECK | MMLENS_OPT_OUTPUT, false },
	{ "frame", mmlens_cmd_frame, "PFN",
	  "show what the kernel knows of a physical page frame",
	  0, false },
	{ "watch", mmlens_cmd_watch, "PID",
	  "print a process's page faults, forks and exits as they happen",
	  MMLENS_OPT_FOLLOW | MMLENS_OPT_COW | MMLENS_OPT_OUTPUT, false },
	{ "run", mmlens_cmd_run, "[--] CMD [ARG...]",
	  "run a command and print its page faults from its first instruction",
	  MMLENS_OPT_FOLLOW | MMLENS_OPT_COW | MMLENS_OPT_OUTPUT, true },
	{ "stats", mmlens_cmd_stats, "[PID]",
	  "count a process's faults and TLB flushes per interval, beside /proc",
	  MMLENS_OPT_INTERVAL | MMLENS_OPT_COUNT | MMLENS_OPT_OUTPUT, false },
};

/* The options of enum MMLENS_OPT_*, in that order. */
static const struct option cmd_opts[] = {
	{ "explain", no_argument, NULL, 'e' },
	{ "runs", no_argument, NULL, 'r' },
	{ "check", no_argument, NULL, 'c' },
	{ "follow", no_argument, NULL, 'f' },
	{ "cow", no_argument, NULL, 'w' },
	{ "interval", required_argument, NULL, 'i' },
	{ "count", required_argument, NULL, 'n' },
	/* 'o' is also its short form, as strace's -o. */
	{ "output", required_argument, NULL, 'o' },
};

/* What the usage calls the argument of each option in cmd_opts, if any. */
static const char *const cmd_opt_args[] = {
	[5] = "S",
	[6] = "N",
	[7] = "FILE",
};

/* The short form of each option in cmd_opts that has one. */
static const char cmd_opt_short[] = {
	[7] = 'o',
};

#define N_CMD_OPTS (sizeof(cmd_opts) / sizeof(cmd_opts[0]))
#define N_OPT_ARGS (sizeof(cmd_opt_args) / sizeof(cmd_opt_args[0]))
#define N_OPT_SHORT (sizeof(cmd_opt_short) / sizeof(cmd_opt_short[0]))

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
	size_t i;

	fprintf(f, "usage: mmlens %s [--json]", cmd->name);
	for (i = 0; i < N_CMD_OPTS; i++) {
		if (!(cmd->opts & (1U << i)))
			continue;
		fputs(" [", f);
		if (i < N_OPT_SHORT && cmd_opt_short[i])
			fprintf(f, "-%c|", cmd_opt_short[i]);
		fprintf(f, "--%s%s%s]", cmd_opts[i].name,
			i < N_OPT_ARGS && cmd_opt_args[i] ? " " : "",
			i < N_OPT_ARGS && cmd_opt_args[i] ? cmd_opt_args[i] : "");
	}
	fprintf(f, "%s%s\n  %s\n", *cmd->args ? " " : "", cmd->args, cmd->help);
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

int mmlens_output_open(const struct mmlens_ctx *ctx, struct mmlens_stream *out)
{
	int fd = STDOUT_FILENO;

	/* Close-on-exec: mmlens run's command keeps standard output only. */
	if (ctx->output)
		fd = open(ctx->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		mmlens_err(ctx, "cannot open %s: %s", ctx->output, strerror(errno));
		return MMLENS_EXIT_FAIL;
	}
	mmlens_stream_init(out, fd);
	return 0;
}

int mmlens_output_close(const struct mmlens_ctx *ctx, struct mmlens_stream *out, int ret)
{
	int error = -mmlens_stream_flush(out);

	/* close() is where some file systems (NFS) report a failed write. */
	if (ctx->output && close(out->fd) && !error)
		error = errno;
	if (!error)
		return ret;
	mmlens_err(ctx, "cannot write output: %s", strerror(error));
	return MMLENS_EXIT_FAIL;
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

int mmlens_connect_or_proc(const struct mmlens_ctx *ctx, struct mmlens_nl *nl,
			   const char *source)
{
	int ret;

	ret = mmlens_nl_open(nl);
	if (ret == -ENOENT) {
		mmlens_err(ctx, "the mmlens module is not loaded; showing what %s "
			   "tells (load it with 'modprobe mmlens')", source);
		return -ENOENT;
	}
	if (ret) {
		mmlens_err(ctx, "cannot reach the mmlens kernel module: %s",
			   strerror(-ret));
		return MMLENS_EXIT_FAIL;
	}
	return 0;
}

int mmlens_request_or_proc(const struct mmlens_ctx *ctx, const struct mmlens_req *req,
			   const int *replies, const char *source)
{
	struct mmlens_nl nl;
	int ret;

	ret = mmlens_connect_or_proc(ctx, &nl, source);
	if (ret)
		return ret;
	ret = mmlens_request(ctx, &nl, req);
	mmlens_nl_close(&nl);
	if (ret)
		return ret;
	if (!*replies) {
		mmlens_err(ctx, "no reply from the kernel module");
		return MMLENS_EXIT_FAIL;
	}
	return 0;
}

void mmlens_err_proc(const struct mmlens_ctx *ctx, pid_t pid, const char *name,
		     int error)
{
	if (error == -ENOENT || error == -ESRCH)
		mmlens_err(ctx, "no process with PID %d", (int)pid);
	else
		mmlens_err(ctx, "cannot read /proc/%d/%s: %s", (int)pid, name,
			   strerror(-error));
}

int mmlens_check_target(const struct mmlens_ctx *ctx, pid_t pid)
{
	if (mmlens_proc_kthread(pid) <= 0)
		return 0;
	mmlens_err(ctx, "PID %d is a kernel thread: it has no address space", (int)pid);
	return MMLENS_EXIT_FAIL;
}

int mmlens_arg_pid(const struct mmlens_ctx *ctx, const char *s, pid_t *pid)
{
	int ret = mmlens_parse_pid(s, pid);

	if (ret == -ERANGE)
		mmlens_err(ctx, "PID '%s' is out of range", s);
	else if (ret)
		mmlens_err(ctx, "invalid PID '%s'", s);
	return ret ? MMLENS_EXIT_USAGE : 0;
}

int mmlens_arg_u64(const struct mmlens_ctx *ctx, const char *what,
		   const char *s, uint64_t *val)
{
	int ret = mmlens_parse_u64(s, val);

	if (ret == -ERANGE)
		mmlens_err(ctx, "%s '%s' does not fit in 64 bits", what, s);
	else if (ret)
		mmlens_err(ctx, "invalid %s '%s' (decimal, or hex with 0x)", what, s);
	return ret ? MMLENS_EXIT_USAGE : 0;
}

struct request_call {
	const struct mmlens_req *req;
	int error;		/* of req->reply */
};

static int request_reply(struct nl_msg *msg, void *arg)
{
	struct request_call *call = arg;

	call->error = call->req->reply(msg, call->req->reply_arg);
	return call->error;
}

int mmlens_request(const struct mmlens_ctx *ctx, struct mmlens_nl *nl,
		   const struct mmlens_req *req)
{
	struct request_call call = { .req = req };
	struct mmlens_nl_err err = { .error = 0 };
	struct nl_msg *msg;
	int tries, ret = -EAGAIN;

	for (tries = 0; tries < MMLENS_DUMP_TRIES && ret == -EAGAIN; tries++) {
		if (tries)
			req->restart(req->reply_arg);
		call.error = 0;
		msg = mmlens_nl_request(nl, req->cmd, req->dump ? NLM_F_DUMP : 0);
		if (!msg) {
			mmlens_err(ctx, "%s", strerror(ENOMEM));
			return MMLENS_EXIT_FAIL;
		}
		ret = req->put(msg, req->put_arg);
		if (ret) {
			nlmsg_free(msg);
			mmlens_err(ctx, "%s", strerror(-ret));
			return MMLENS_EXIT_FAIL;
		}
		ret = mmlens_nl_transact(nl, msg, request_reply, &call, &err);
		/* Only dumps are flagged; a request's -EAGAIN is the kernel's. */
		if (!req->dump && ret == -EAGAIN && !call.error)
			break;
	}
	if (!ret)
		return MMLENS_EXIT_OK;
	if (ret == -EAGAIN && req->dump)
		mmlens_err(ctx, "the address space kept changing during the dump; "
			   "gave up after %d tries", MMLENS_DUMP_TRIES);
	else if (call.error == -EBADMSG && ret == call.error)
		mmlens_err(ctx, "malformed reply from the kernel module");
	else if (call.error && ret == call.error)
		mmlens_err(ctx, "%s", strerror(-ret));
	else
		mmlens_err_nl(ctx, &err);
	return MMLENS_EXIT_FAIL;
}

int mmlens_cmd_options(struct mmlens_ctx *ctx, int argc, char **argv,
		       int min_args, int max_args, int *first)
{
	struct option options[3 + N_CMD_OPTS] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
	};
	char prefix[64], shortopts[8 + 2 * N_OPT_SHORT], *argv0 = argv[0], *p;
	int c, nargs, ret = -1, n = 2;
	size_t i;

	/* "+": options end at the first operand. */
	p = shortopts;
	if (ctx->cmd->operands_end_options)
		*p++ = '+';
	*p++ = 'h';
	/* Only this command's own: others are unrecognized, as they should. */
	for (i = 0; i < N_CMD_OPTS; i++) {
		if (!(ctx->cmd->opts & (1U << i)))
			continue;
		options[n++] = cmd_opts[i];
		if (i < N_OPT_SHORT && cmd_opt_short[i]) {
			*p++ = cmd_opt_short[i];
			*p++ = ':';
		}
	}
	*p = '\0';

	/* getopt prefixes its complaints with argv[0]: make it ours. */
	snprintf(prefix, sizeof(prefix), "mmlens: %s", ctx->cmd->name);
	argv[0] = prefix;
	/* 0, not 1: GNU getopt then also forgets the previous parse. */
	optind = 0;
	while (ret < 0 && (c = getopt_long(argc, argv, shortopts, options, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctx->json = true;
			break;
		case 'h':
			cmd_usage(stdout, ctx->cmd);
			ret = MMLENS_EXIT_OK;
			break;
		case 'e':
			ctx->opts |= MMLENS_OPT_EXPLAIN;
			break;
		case 'r':
			ctx->opts |= MMLENS_OPT_RUNS;
			break;
		case 'c':
			ctx->opts |= MMLENS_OPT_CHECK;
			break;
		case 'f':
			ctx->opts |= MMLENS_OPT_FOLLOW;
			break;
		case 'w':
			ctx->opts |= MMLENS_OPT_COW;
			break;
		case 'i':
			ctx->interval = optarg;
			break;
		case 'n':
			ctx->count = optarg;
			break;
		case 'o':
			ctx->output = optarg;
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
