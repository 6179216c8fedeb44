// SPDX-License-Identifier: GPL-2.0
/*
 * mmlens run: start a command watched from its first instruction, stream its
 * events as mmlens watch does, and exit with its status.
 *
 * The child waits on a pipe until the watch on its PID is in place, and only
 * then execs: the faults of exec itself and of the dynamic loader are seen.
 */
#define _GNU_SOURCE		/* pipe2() */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "watch.h"

/* What the child exits with when it cannot run the command, as shells do. */
#define EXIT_NOT_RUN 127
#define EXIT_NOT_EXECUTABLE 126

/* The child: wait for the watch, then become the command. */
static void child(const struct mmlens_ctx *ctx, int ready, char **cmd)
{
	char go;
	ssize_t n;

	do
		n = read(ready, &go, 1);
	while (n < 0 && errno == EINTR);
	/* The parent gave up (and said why): leave quietly. */
	if (n != 1)
		_exit(EXIT_NOT_RUN);
	close(ready);
	execvp(cmd[0], cmd);
	mmlens_err(ctx, "cannot run '%s': %s", cmd[0], strerror(errno));
	_exit(errno == ENOENT ? EXIT_NOT_RUN : EXIT_NOT_EXECUTABLE);
}

/* The command's wait status as an exit status, as shells report it. */
static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int mmlens_cmd_run(struct mmlens_ctx *ctx, int argc, char **argv)
{
	int first, ret, status, pipefd[2];
	struct mmlens_stream out;
	struct mmlens_session s;
	struct mmlens_live lv;
	struct mmlens_nl ctl;
	bool started;
	sigset_t old;
	pid_t pid;

	ret = mmlens_cmd_options(ctx, argc, argv, 1, argc, &first);
	if (ret >= 0)
		return ret;
	/* Before the command starts: it must not run when mmlens cannot print. */
	if (mmlens_output_open(ctx, &out))
		return MMLENS_EXIT_FAIL;

	if (pipe2(pipefd, O_CLOEXEC)) {
		mmlens_err(ctx, "cannot create a pipe: %s", strerror(errno));
		return mmlens_output_close(ctx, &out, MMLENS_EXIT_FAIL);
	}
	pid = fork();
	if (pid < 0) {
		mmlens_err(ctx, "cannot fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return mmlens_output_close(ctx, &out, MMLENS_EXIT_FAIL);
	}
	if (!pid) {
		close(pipefd[1]);
		child(ctx, pipefd[0], argv + first);
	}
	close(pipefd[0]);

	ret = mmlens_watch_connect(ctx, &ctl, &lv);
	if (ret) {
		/* Without its go, the child leaves at once. */
		close(pipefd[1]);
		waitpid(pid, NULL, 0);
		return mmlens_output_close(ctx, &out, MMLENS_EXIT_FAIL);
	}
	mmlens_session_init(&s, ctx, &out);
	s.run = true;
	ret = mmlens_watch_start(&s, &ctl, pid);
	started = !ret && write(pipefd[1], "", 1) == 1;
	if (!ret && !started) {
		mmlens_err(ctx, "cannot start the command: %s", strerror(errno));
		ret = MMLENS_EXIT_FAIL;
	}
	close(pipefd[1]);
	if (!ret) {
		mmlens_signals_catch(&old);
		ret = mmlens_session_stream(&s, &lv, &ctl);
		mmlens_signals_restore(&old);
	}

	if (!started)
		waitpid(pid, NULL, 0);
	else if (!ret && s.procs[0].exited && waitpid(pid, &status, 0) == pid)
		ret = exit_status(status);
	else if (!ret && waitpid(pid, &status, WNOHANG) == pid)
		ret = exit_status(status);
	else if (!ret)
		/* Interrupted twice: the command runs on; say so as a shell would. */
		ret = 128 + mmlens_signals_last();
	/* After a failure of mmlens, the command is left to run its course. */
	mmlens_session_free(&s);
	mmlens_live_close(&lv);
	mmlens_nl_close(&ctl);
	return mmlens_output_close(ctx, &out, ret);
}
