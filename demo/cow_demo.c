// SPDX-License-Identifier: GPL-2.0
/*
 * The COW program of `make demo`, run under `mmlens run --follow`: maps 8
 * anonymous pages and writes them (8 zero-fills), forks; the child writes
 * pages 0..2 (3 COW copies: new frames, the old ones mapped twice) and
 * exits; then the parent writes the same pages (3 COW reuses: each frame is
 * the parent's alone now and is kept).
 *
 * The parent says what happens, one line per step, and pauses before each
 * line so that mmlens, which receives the events a moment later, has
 * printed those of the step before.  Fork makes all private writable
 * memory copy-on-write, the stack and libc's data too, so each process's
 * first writes after it are COW faults as well; they are kept out of the
 * story:
 *  - the parent has its first faults right after the fork, while the child
 *    has its own, and the child, which only waits for its turn and writes
 *    the pages, says nothing (formatting would fault in stack pages);
 *  - lines are formatted on the stack and written with write(2), not through
 *    stdio's buffer, and both processes leave with _exit(), without exit()'s
 *    flushing and handlers;
 *  - the Makefile links it statically: no dynamic loader, whose relocations
 *    (and lazy binding, after the fork) write pages too.
 *
 * It runs on one CPU: a new frame stays referenced by its CPU's LRU batch,
 * and a write fault drains only its own CPU's batch before deciding whether
 * to reuse the frame, so a parent that moved CPUs could copy (6.12 does).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define NPAGES 8	/* mapped and written by the parent */
#define KPAGES 3	/* written by the child, then by the parent again */
#define PAUSE_MS 500	/* for the events to reach the screen */

static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(1, line, n) != n)
		_exit(1);
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts))
		;
}

static void write_pages(char *map, int first, int last, char value)
{
	int i;

	for (i = first; i <= last; i++)
		map[i * PAGE] = value;
}

int main(void)
{
	int go[2], status;
	pid_t me, child;
	char *map, c;
	cpu_set_t cpu;

	CPU_ZERO(&cpu);
	CPU_SET(sched_getcpu(), &cpu);
	me = getpid();
	map = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sched_setaffinity(0, sizeof(cpu), &cpu) || map == MAP_FAILED || pipe(go)) {
		perror("cow_demo");
		return 1;
	}
	/* Let the faults of starting up pass before the story starts. */
	pause_ms(PAUSE_MS);
	say("cow_demo: parent %d: %d pages at %p, writing pages 0..%d (zero-fill: a new frame each)",
	    (int)me, NPAGES, (void *)map, NPAGES - 1);
	write_pages(map, 0, NPAGES - 1, 'p');
	pause_ms(PAUSE_MS);

	child = fork();
	if (child < 0) {
		perror("cow_demo: fork");
		return 1;
	}
	if (!child) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		write_pages(map, 0, KPAGES - 1, 'c');
		_exit(0);
	}
	close(go[0]);
	/*
	 * Sleep once now: returning from a sleep, the kernel writes this
	 * thread's rseq area (in its TLS), a COW fault better had here than
	 * in the middle of the story.
	 */
	pause_ms(1);
	say("cow_demo: parent %d: forked child %d; they share all frames, write-protected",
	    (int)me, (int)child);
	pause_ms(PAUSE_MS);
	say("cow_demo: child %d: writing pages 0..%d (COW copy: new frames)",
	    (int)child, KPAGES - 1);
	if (write(go[1], "", 1) != 1 || waitpid(child, &status, 0) != child ||
	    !WIFEXITED(status) || WEXITSTATUS(status)) {
		say("cow_demo: the child failed");
		_exit(1);
	}
	pause_ms(PAUSE_MS);
	say("cow_demo: parent %d: child exited; writing pages 0..%d (COW reuse: the frames are ours alone)",
	    (int)me, KPAGES - 1);
	write_pages(map, 0, KPAGES - 1, 'P');
	_exit(map[0] != 'P' || map[KPAGES * PAGE] != 'p');
}
