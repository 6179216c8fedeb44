// SPDX-License-Identifier: GPL-2.0
/*
 * Nothing lost, nothing cut (issue 12).
 *
 * `mmlens run --json -- CMD` shares its standard output with CMD.  With CMD
 * writing lines of its own to the same pipe while it faults pages, every
 * line of the mixed output must be one of CMD's, whole, or a whole JSON
 * object, and no event may be missing: as many fault lines as the summary
 * (the last JSON line) counts faults.
 *
 * -o FILE: the rows, events and counters go to FILE, the same as to
 * standard output (ptes byte for byte), and run's command keeps standard
 * output for itself.
 *
 * This program is CMD too: `output_test --flood N` touches N fresh pages,
 * writing a line of its own, in one write(2), after each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json.h>

#include "kselftest_harness.h"
#include "mmtest.h"

/* Lines (and pages) of a flood. */
#define FLOOD_LINES 2000

/* Line i of a flood, with its newline; returns its length. */
static size_t flood_line(char *buf, size_t size, unsigned int i)
{
	char body[121];

	memset(body, 'a' + i % 26, sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	return snprintf(buf, size, "flood %06u %s end\n", i, body);
}

static int flood(unsigned int n)
{
	char *mem, line[256];
	unsigned int i;
	size_t len;

	mem = mmap(NULL, n * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	madvise(mem, n * MMT_PAGE_SIZE, MADV_NOHUGEPAGE);
	for (i = 0; i < n; i++) {
		mem[i * MMT_PAGE_SIZE] = 1;
		len = flood_line(line, sizeof(line), i);
		/* Whole, in one write (at most PIPE_BUF bytes: atomic in a pipe). */
		if (write(STDOUT_FILENO, line, len) != (ssize_t)len)
			return 1;
		/* Spread over many of mmlens's batches. */
		if (i % 64 == 63)
			usleep(2000);
	}
	return 0;
}

FIXTURE(output) {
	char cli[1024];
	char self_exe[1024];
	char dir[64];
};

FIXTURE_SETUP(output)
{
	ssize_t n;

	if (mmt_find_cli(self->cli, sizeof(self->cli))) {
		TH_LOG("looked for %s", self->cli);
		SKIP(return, "no mmlens CLI built in this tree (userspace/mmlens)");
	}
	n = readlink("/proc/self/exe", self->self_exe, sizeof(self->self_exe) - 1);
	ASSERT_GT(n, 0);
	self->self_exe[n] = '\0';
	snprintf(self->dir, sizeof(self->dir), "/tmp/output_test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
}

FIXTURE_TEARDOWN(output)
{
	if (self->dir[0])
		mmt_system("rm -rf %s", self->dir);
}

/* A process that is no child of ours has gone: 60 s at most. */
static int wait_gone(pid_t pid)
{
	int i;

	for (i = 0; i < 3000 && !kill(pid, 0); i++)
		usleep(20000);
	return kill(pid, 0) ? 0 : -1;
}

static const char *type_of(struct json_object *obj)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(obj, "type", &v);
	return v ? json_object_get_string(v) : "";
}

static int64_t int_key(struct json_object *obj, const char *k)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(obj, k, &v);
	return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
}

/* What a run's output held. */
struct tally {
	unsigned int own[FLOOD_LINES];	/* the command's lines, by number */
	int own_lines, other;		/* whole lines of the command, anything else */
	int json, faults;		/* whole JSON objects; of type "fault" */
	int64_t summary_faults;		/* of the summary, the last JSON line; -1 if none */
	int64_t pid;			/* the command's, as the summary says */
	bool fault_of_others;		/* a fault line of another process */
};

/*
 * Sorts every line of text (NUL-terminated, modified) into tally: the
 * command's own, whole and as it wrote them, or a whole JSON object; a
 * line that is neither is logged.
 */
static void tally_lines(struct __test_metadata *_metadata, char *text, bool own_allowed,
			struct tally *t)
{
	struct json_object *obj, *last = NULL, *procs;
	char want[256], *line;
	unsigned int i;

	memset(t, 0, sizeof(*t));
	t->summary_faults = t->pid = -1;
	while ((line = mmt_next_line(&text))) {
		if (own_allowed && sscanf(line, "flood %u ", &i) == 1 && i < FLOOD_LINES) {
			flood_line(want, sizeof(want), i);
			want[strlen(want) - 1] = '\0';
			if (!strcmp(line, want)) {
				t->own[i]++;
				t->own_lines++;
				continue;
			}
		}
		obj = mmt_json_line(line);
		if (!obj) {
			if (t->other++ < 5)
				TH_LOG("neither a whole line of the command nor a whole JSON object: "
				       "%.300s", line);
			continue;
		}
		t->json++;
		t->faults += !strcmp(type_of(obj), "fault");
		json_object_put(last);
		last = obj;
	}
	if (last && !strcmp(type_of(last), "summary")) {
		t->summary_faults = int_key(last, "faults");
		json_object_object_get_ex(last, "processes", &procs);
		t->pid = int_key(json_object_array_get_idx(procs, 0), "pid");
	}
	json_object_put(last);
}

/* The tally of a run whose command was a flood: all of it, nothing cut or lost. */
static void expect_whole_run(struct __test_metadata *_metadata, const struct tally *t,
			     bool own_expected)
{
	unsigned int i, missing = 0;

	EXPECT_EQ(0, t->other);
	for (i = 0; own_expected && i < FLOOD_LINES; i++)
		missing += t->own[i] != 1;
	EXPECT_EQ(0U, missing);
	EXPECT_EQ(own_expected ? FLOOD_LINES : 0, t->own_lines);
	EXPECT_GE(t->summary_faults, 0) {
		TH_LOG("the last JSON line is not the summary");
	}
	/* No event missing. */
	EXPECT_EQ(t->summary_faults, t->faults);
	/* Every page touched faulted. */
	EXPECT_GE(t->faults, FLOOD_LINES);
	TH_LOG("%d lines of the command's, %d JSON lines, %d faults, summary: %lld faults",
	       t->own_lines, t->json, t->faults, (long long)t->summary_faults);
}

TEST_F_TIMEOUT(output, run_json_lines_stay_whole_beside_the_commands_own, 300)
{
	struct tally *t = malloc(sizeof(*t));
	char *out;
	size_t len;

	ASSERT_NE(NULL, t);
	/* One pipe for both: the command inherits mmlens's standard output. */
	EXPECT_EQ(0, mmt_capture(&out, &len, "%s run --json -- %s --flood %d", self->cli,
				 self->self_exe, FLOOD_LINES));
	ASSERT_NE(NULL, out);
	EXPECT_TRUE(len && out[len - 1] == '\n');
	tally_lines(_metadata, out, true, t);
	expect_whole_run(_metadata, t, true);
	free(out);
	free(t);
}

TEST_F_TIMEOUT(output, run_o_writes_events_to_the_file_the_command_keeps_stdout, 300)
{
	struct tally *t = malloc(sizeof(*t));
	char *out, *file, path[128], err[128];
	struct stat st;
	size_t len;
	mode_t mask;

	ASSERT_NE(NULL, t);
	snprintf(path, sizeof(path), "%s/events.jsonl", self->dir);
	snprintf(err, sizeof(err), "%s/err", self->dir);
	mask = umask(027);
	EXPECT_EQ(0, mmt_capture(&out, &len, "%s run --json -o %s -- %s --flood %d 2>%s",
				 self->cli, path, self->self_exe, FLOOD_LINES, err));
	umask(mask);
	ASSERT_NE(NULL, out);
	/* Standard output: the command's lines, all of them, and nothing else. */
	tally_lines(_metadata, out, true, t);
	EXPECT_EQ(FLOOD_LINES, t->own_lines);
	EXPECT_EQ(0, t->json + t->other);
	free(out);

	/* The file: what the run without -o printed of its own. */
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0640, st.st_mode & 0777);
	ASSERT_EQ(0, mmt_capture(&file, &len, "cat %s", path));
	tally_lines(_metadata, file, false, t);
	expect_whole_run(_metadata, t, false);
	free(file);
	ASSERT_EQ(0, mmt_capture(&file, &len, "cat %s", err));
	EXPECT_EQ(0UL, len) {
		TH_LOG("stderr: %s", file);
	}
	free(file);
	free(t);
}

/* ptes to standard output and with -o, the same view of the process both times. */
static void expect_ptes_o_same(struct __test_metadata *_metadata, const char *cli,
			       const char *dir, struct mmlens_nl *nl, const struct mmt_still *t,
			       const char *opts)
{
	uint64_t start = t->start, end = start + MMT_STILL_PAGES * MMT_PAGE_SIZE;
	struct mmt_ptes before = {}, after = {};
	char *to_stdout = NULL, *to_file = NULL, *quiet = NULL, path[128];
	struct mmlens_nl_err err;
	size_t len, file_len = 0;
	int tries;
	bool same = false;

	snprintf(path, sizeof(path), "%s/ptes.out", dir);
	/* The frames' flags may still settle (an LRU batch drained): look again. */
	for (tries = 0; tries < 5 && !same; tries++) {
		free(to_stdout);
		free(to_file);
		free(quiet);
		EXPECT_EQ(0, mmt_get_ptes(nl, t->pid, start, end, false, &before, &err));
		EXPECT_EQ(0, mmt_capture(&to_stdout, &len, "%s ptes %s %d 0x%llx-0x%llx", cli,
					 opts, t->pid, (unsigned long long)start,
					 (unsigned long long)end));
		EXPECT_EQ(0, mmt_capture(&quiet, &file_len, "%s ptes %s -o %s %d 0x%llx-0x%llx",
					 cli, opts, path, t->pid, (unsigned long long)start,
					 (unsigned long long)end));
		EXPECT_EQ(0UL, file_len);
		EXPECT_EQ(0, mmt_capture(&to_file, &file_len, "cat %s", path));
		EXPECT_EQ(0, mmt_get_ptes(nl, t->pid, start, end, false, &after, &err));
		same = before.n == after.n &&
		       !memcmp(before.rec, after.rec, before.n * sizeof(*before.rec));
	}
	ASSERT_TRUE(same) {
		TH_LOG("ptes %s: the process kept changing", opts);
	}
	ASSERT_TRUE(to_stdout && to_file);
	EXPECT_GT(len, 0UL);
	EXPECT_EQ(len, file_len);
	EXPECT_STREQ(to_stdout, to_file);
	TH_LOG("ptes %s: %zu bytes both ways", opts, len);
	mmt_ptes_free(&before);
	mmt_ptes_free(&after);
	free(to_stdout);
	free(to_file);
	free(quiet);
}

TEST_F_TIMEOUT(output, ptes_o_writes_what_stdout_gets, 300)
{
	static const char *const opts[] = { "", "--json", "--runs", "--json --runs" };
	struct mmlens_nl nl;
	struct mmt_still t;
	size_t i;

	ASSERT_EQ(0, mmlens_nl_open(&nl));
	ASSERT_EQ(0, mmt_still_start(&t));
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		expect_ptes_o_same(_metadata, self->cli, self->dir, &nl, &t, opts[i]);
	mmt_still_stop(&t);
	mmlens_nl_close(&nl);
}

TEST_F_TIMEOUT(output, watch_and_stats_o_write_to_the_file_only, 300)
{
	char *out, *file, path[128], *line, *text;
	struct mmt_still t;
	int rows = 0, json = 0;
	pid_t watcher;
	size_t len;

	/* stats: the header and its rows, text or JSON, in the file. */
	ASSERT_EQ(0, mmt_still_start(&t));
	snprintf(path, sizeof(path), "%s/stats", self->dir);
	EXPECT_EQ(0, mmt_capture(&out, &len, "%s stats --interval 0.2 --count 2 -o %s %d",
				 self->cli, path, t.pid));
	EXPECT_EQ(0UL, len);
	free(out);
	ASSERT_EQ(0, mmt_capture(&file, &len, "cat %s", path));
	EXPECT_NE(NULL, strstr(file, "faults counted by mmlens"));
	text = file;
	/* The rows: numbers right-aligned in their columns. */
	while ((line = mmt_next_line(&text)))
		rows += line[strspn(line, " ")] >= '0' && line[strspn(line, " ")] <= '9';
	EXPECT_EQ(2, rows);
	free(file);
	EXPECT_EQ(0, mmt_capture(&out, &len, "%s stats --json --interval 0.2 --count 2 -o %s %d",
				 self->cli, path, t.pid));
	EXPECT_EQ(0UL, len);
	free(out);
	ASSERT_EQ(0, mmt_capture(&file, &len, "cat %s", path));
	text = file;
	while ((line = mmt_next_line(&text))) {
		struct json_object *obj = mmt_json_line(line);

		json += obj && int_key(obj, "pid") == t.pid;
		json_object_put(obj);
	}
	EXPECT_EQ(2, json);
	free(file);

	/*
	 * watch: its events and summary.  The process is killed once the
	 * watch is in place, whatever time the CLI takes to start (releasing
	 * it would not do: the CLI inherited the pipe that holds it), and the
	 * watch ends with it.
	 */
	snprintf(path, sizeof(path), "%s/watch", self->dir);
	/* The watches of stats ended with it: a watch found now is the CLI's. */
	EXPECT_NE(0, mmt_watched_within(t.pid, 1));
	ASSERT_EQ(0, mmt_capture(&out, &len, "%s watch --json -o %s %d >%s/watch.out 2>&1 & echo $!",
				 self->cli, path, t.pid, self->dir));
	watcher = atoi(out);
	free(out);
	EXPECT_EQ(0, mmt_wait_watched(t.pid));
	EXPECT_EQ(0, kill(t.pid, SIGTERM));
	mmt_still_stop(&t);
	EXPECT_EQ(0, wait_gone(watcher));
	ASSERT_EQ(0, mmt_capture(&out, &len, "cat %s/watch.out", self->dir));
	EXPECT_EQ(0UL, len) {
		TH_LOG("%s", out);
	}
	free(out);
	ASSERT_EQ(0, mmt_capture(&file, &len, "cat %s", path));
	text = file;
	json = 0;
	while ((line = mmt_next_line(&text))) {
		struct json_object *obj = mmt_json_line(line);

		EXPECT_NE(NULL, obj) {
			TH_LOG("%s", line);
		}
		if (obj && !strcmp(type_of(obj), "summary"))
			json++;
		json_object_put(obj);
	}
	EXPECT_EQ(1, json);
	free(file);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--flood"))
		return flood(strtoul(argv[2], NULL, 10));
	return test_harness_run(argc, argv);
}
