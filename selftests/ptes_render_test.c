// SPDX-License-Identifier: GPL-2.0
/*
 * `mmlens ptes` prints one region as text rows and as JSON Lines: for a
 * process holding pages of every kind this tree makes (mmt_still_start()),
 * with and without --runs, every JSON line parses with json-c into an object
 * with the keys mmlens(1) lists, in its order; every value of it is what the
 * module's raw GET_PTE dump and /proc/PID/pagemap say; and every column of
 * the text row says the same as the JSON object of the same row.
 *
 * The process touches nothing, but the kernel may still change a frame's
 * flags (an LRU batch drained by another fault on its CPU): the views are
 * compared only when the raw dump and pagemap read before the two CLI runs
 * equal those read after.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json.h>

#include "kselftest_harness.h"
#include "mmtest.h"

/* Tries at a view of the process that did not change while it was taken. */
#define TRIES 5

FIXTURE(render) {
	char cli[1024];
	struct mmlens_nl nl;
	struct mmt_still still;
	bool started;
};

FIXTURE_SETUP(render)
{
	if (mmt_find_cli(self->cli, sizeof(self->cli))) {
		TH_LOG("looked for %s", self->cli);
		SKIP(return, "no mmlens CLI built in this tree (userspace/mmlens)");
	}
	ASSERT_EQ(0, mmlens_nl_open(&self->nl));
	ASSERT_EQ(0, mmt_still_start(&self->still));
	self->started = true;
}

FIXTURE_TEARDOWN(render)
{
	if (self->started) {
		mmt_still_stop(&self->still);
		mmlens_nl_close(&self->nl);
	}
}

/* One region as the module, pagemap and the CLI (text, JSON) saw it. */
struct views {
	struct mmt_ptes raw;
	uint64_t *pm;		/* pagemap of every 4 KiB page of the region */
	char *text, *json;
};

static void views_free(struct views *v)
{
	mmt_ptes_free(&v->raw);
	free(v->pm);
	free(v->text);
	free(v->json);
	memset(v, 0, sizeof(*v));
}

/* Takes the views of [start, end); false when the process changed meanwhile. */
static bool take_views(struct __test_metadata *_metadata, FIXTURE_DATA(render) *self,
		       uint64_t start, uint64_t end, bool runs, struct views *v)
{
	size_t pages = (end - start) / MMT_PAGE_SIZE, len;
	struct mmlens_nl_err err;
	struct mmt_ptes before = {};
	uint64_t *pm_before;
	pid_t pid = self->still.pid;
	bool same;

	views_free(v);
	v->pm = calloc(pages, sizeof(*v->pm));
	pm_before = calloc(pages, sizeof(*pm_before));
	if (!v->pm || !pm_before) {
		free(pm_before);
		return false;
	}
	EXPECT_EQ(0, mmt_get_ptes(&self->nl, pid, start, end, runs, &before, &err));
	EXPECT_EQ(0, mmt_pagemap_range(pid, start, pages, pm_before));
	EXPECT_EQ(0, mmt_capture(&v->text, &len, "%s ptes %s%d 0x%llx-0x%llx", self->cli,
				 runs ? "--runs " : "", pid, (unsigned long long)start,
				 (unsigned long long)end));
	EXPECT_EQ(0, mmt_capture(&v->json, &len, "%s ptes --json %s%d 0x%llx-0x%llx",
				 self->cli, runs ? "--runs " : "", pid,
				 (unsigned long long)start, (unsigned long long)end));
	EXPECT_EQ(0, mmt_get_ptes(&self->nl, pid, start, end, runs, &v->raw, &err));
	EXPECT_EQ(0, mmt_pagemap_range(pid, start, pages, v->pm));
	same = before.n == v->raw.n &&
	       !memcmp(before.rec, v->raw.rec, before.n * sizeof(*before.rec)) &&
	       !memcmp(pm_before, v->pm, pages * sizeof(*v->pm));
	mmt_ptes_free(&before);
	free(pm_before);
	return same && v->text && v->json;
}

static struct json_object *key(struct json_object *obj, const char *k)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(obj, k, &v);
	return v;
}

/* A "0x..." string's value; UINT64_MAX if v is not one. */
static uint64_t hex_value(struct json_object *v)
{
	const char *s = json_object_get_string(v);
	char *end;
	uint64_t n;

	if (!json_object_is_type(v, json_type_string) || strncmp(s, "0x", 2) || !s[2] ||
	    strspn(s + 2, "0123456789abcdef") != strlen(s + 2))
		return UINT64_MAX;
	n = strtoull(s + 2, &end, 16);
	return *end ? UINT64_MAX : n;
}

/* Whether obj has k, and null. */
static bool is_null(struct json_object *obj, const char *k)
{
	struct json_object *v = NULL;

	return json_object_object_get_ex(obj, k, &v) && !v;
}

/* A JSON number's value; -1 when v is not a number (null, a string...). */
static int64_t number(struct json_object *v)
{
	return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
}

/* The bits a JSON array of flag names stands for; -1 for an unknown name. */
static int64_t names_bits(struct json_object *arr, bool page_flags)
{
	uint64_t bits = 0;
	size_t i;
	int b;

	if (!json_object_is_type(arr, json_type_array))
		return -1;
	for (i = 0; i < json_object_array_length(arr); i++) {
		b = mmt_flag_bit(json_object_get_string(json_object_array_get_idx(arr, i)),
				 page_flags);
		if (b < 0 || (bits >> b & 1))
			return -1;
		bits |= 1ULL << b;
	}
	return bits;
}

/*
 * What a record of each kind carries, pfn and swap of its row: a frame, a
 * swap entry (a migration or device entry both, its offset the frame).
 */
static const struct {
	bool pfn, swap;
} carries[8] = {
	[MMLENS_KIND_PRESENT] = { .pfn = true },
	[MMLENS_KIND_SWAP] = { .swap = true },
	[MMLENS_KIND_MIGRATION] = { .pfn = true, .swap = true },
	[MMLENS_KIND_PROT_NONE] = { .pfn = true },
	[MMLENS_KIND_MARKER] = { .swap = true },
	[MMLENS_KIND_DEVICE] = { .pfn = true, .swap = true },
	[MMLENS_KIND_HWPOISON] = { .swap = true },
};

/* The keys of a row, in the order mmlens(1) lists them. */
static void expect_keys(struct __test_metadata *_metadata, struct json_object *obj, bool runs,
			const char *line)
{
	static const char *const keys[] = {
		"va", "level", "kind", "entry", "pfn", "page_size", "flags", "swap",
		"mapcount", "refcount", "page_flags", "pkey", "pagemap", "nr",
	};
	size_t n = 0, want = runs ? 14 : 13;

	json_object_object_foreach(obj, k, val) {
		(void)val;
		EXPECT_TRUE(n < want && !strcmp(k, keys[n])) {
			TH_LOG("key #%zu is \"%s\": %s", n, k, line);
		}
		n++;
	}
	EXPECT_EQ(want, n);
}

/* pagemap's entry raw as the row's pagemap object. */
static void expect_pagemap(struct __test_metadata *_metadata, struct json_object *pm,
			   uint64_t raw, const char *line)
{
	static const struct { const char *key; int bit; } bits[] = {
		{ "present", 63 }, { "swapped", 62 }, { "file", 61 }, { "exclusive", 56 },
		{ "soft_dirty", 55 }, { "uffd_wp", 57 },
	};
	bool present = raw & PM_PRESENT, swapped = raw & PM_SWAP;
	size_t i;

	EXPECT_EQ(raw, hex_value(key(pm, "raw"))) {
		TH_LOG("%s", line);
	}
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		EXPECT_TRUE(json_object_is_type(key(pm, bits[i].key), json_type_boolean) &&
			    json_object_get_boolean(key(pm, bits[i].key)) == (raw >> bits[i].bit & 1)) {
			TH_LOG("pagemap %s: %s", bits[i].key, line);
		}
	}
	EXPECT_EQ(present ? (int64_t)PM_PFN(raw) : -1, number(key(pm, "pfn")));
	EXPECT_EQ(present, !is_null(pm, "pfn"));
	EXPECT_EQ(swapped ? (int64_t)PM_SWAP_TYPE(raw) : -1, number(key(pm, "swap_type")));
	EXPECT_EQ(swapped, !is_null(pm, "swap_type"));
	EXPECT_EQ(swapped ? (int64_t)PM_SWAP_OFFSET(raw) : -1, number(key(pm, "swap_offset")));
	EXPECT_EQ(swapped, !is_null(pm, "swap_offset"));
}

/* The JSON object of a row against the module's record and pagemap. */
static void expect_json_is_record(struct __test_metadata *_metadata, struct json_object *obj,
				  const struct mmlens_pte *r, uint64_t pm, bool runs,
				  const char *line)
{
	bool frame = r->flags & MMLENS_F_HAS_FRAME;
	struct json_object *swap = key(obj, "swap");

	EXPECT_EQ(r->va, hex_value(key(obj, "va")));
	EXPECT_STREQ(mmt_level_name(r->level), json_object_get_string(key(obj, "level")));
	EXPECT_STREQ(mmt_kind_name(r->kind), json_object_get_string(key(obj, "kind")));
	EXPECT_EQ(r->entry, hex_value(key(obj, "entry")));
	ASSERT_LT(r->kind, 8U);
	EXPECT_EQ(carries[r->kind].pfn ? (int64_t)r->pfn : -1, number(key(obj, "pfn")));
	EXPECT_EQ(carries[r->kind].pfn, !is_null(obj, "pfn"));
	EXPECT_EQ((int64_t)mmt_level_size(r->level), number(key(obj, "page_size")));
	EXPECT_EQ((int64_t)r->flags, names_bits(key(obj, "flags"), false)) {
		TH_LOG("%s", line);
	}
	if (carries[r->kind].swap) {
		EXPECT_EQ((int64_t)r->swap_type, number(key(swap, "type")));
		EXPECT_EQ((int64_t)r->swap_offset, number(key(swap, "offset")));
	} else {
		EXPECT_TRUE(is_null(obj, "swap"));
	}
	EXPECT_EQ(frame ? (int64_t)r->mapcount : -1, number(key(obj, "mapcount")));
	EXPECT_EQ(frame, !is_null(obj, "mapcount"));
	EXPECT_EQ(frame ? (int64_t)r->refcount : -1, number(key(obj, "refcount")));
	EXPECT_EQ(frame, !is_null(obj, "refcount"));
	if (frame) {
		EXPECT_EQ((int64_t)r->frame_flags, names_bits(key(obj, "page_flags"), true)) {
			TH_LOG("%s", line);
		}
	} else {
		EXPECT_TRUE(is_null(obj, "page_flags"));
	}
	EXPECT_EQ(r->kind == MMLENS_KIND_PRESENT ? (int64_t)r->pkey : -1,
		  number(key(obj, "pkey")));
	EXPECT_EQ(r->kind == MMLENS_KIND_PRESENT, !is_null(obj, "pkey"));
	expect_pagemap(_metadata, key(obj, "pagemap"), pm, line);
	if (runs)
		EXPECT_EQ((int64_t)r->nr, number(key(obj, "nr")));
}

/* "4K", "2M", "1G" in bytes. */
static uint64_t size_value(const char *s)
{
	char *unit;
	uint64_t n = strtoull(s, &unit, 10);

	return !strcmp(unit, "K") ? n << 10 : !strcmp(unit, "M") ? n << 20 :
	       !strcmp(unit, "G") ? n << 30 : 0;
}

/* "0xA" or, for a run, "0xA..0xB": A, and B into *last (A if none). */
static uint64_t span_value(const char *s, uint64_t *last)
{
	const char *dots = strstr(s, "..");
	uint64_t first = strtoull(s, NULL, 16);

	*last = dots ? strtoull(dots + 2, NULL, 16) : first;
	return first;
}

/* "-" for null, else the decimal number. */
static int64_t count_value(const char *s)
{
	return strcmp(s, "-") ? (int64_t)strtoull(s, NULL, 10) : -1;
}

/* Whether names, "a,b,c", are the strings of the JSON array arr in order. */
static bool names_equal(const char *names, struct json_object *arr)
{
	char buf[1024] = "";
	size_t i, len = 0;

	for (i = 0; i < json_object_array_length(arr); i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? "," : "",
				json_object_get_string(json_object_array_get_idx(arr, i)));
	return !strcmp(names, buf);
}

/* Every column of a text row against the JSON object of the same row. */
static void expect_text_is_json(struct __test_metadata *_metadata, char *row,
				struct json_object *obj, bool runs)
{
	struct json_object *pm = key(obj, "pagemap"), *swap = key(obj, "swap");
	uint64_t va = hex_value(key(obj, "va")), size = number(key(obj, "page_size"));
	uint64_t pages = (runs ? number(key(obj, "nr")) : 1) * size / MMT_PAGE_SIZE;
	char copy[4096], *tok[33], *save = NULL, *t;
	uint64_t first, last;
	int n = 0, i = 0;

	snprintf(copy, sizeof(copy), "%s", row);
	for (t = strtok_r(copy, " ", &save); t && n < 32; t = strtok_r(NULL, " ", &save))
		tok[n++] = t;
	tok[n] = NULL;
	ASSERT_GE(n, 10) {
		TH_LOG("%s", row);
	}
	EXPECT_EQ(va, strtoull(tok[i++], NULL, 16));
	if (runs) {
		EXPECT_EQ(va + pages * MMT_PAGE_SIZE, strtoull(tok[i++], NULL, 16));
		EXPECT_EQ(number(key(obj, "nr")), count_value(tok[i++]));
	}
	EXPECT_STREQ(json_object_get_string(key(obj, "level")), tok[i++]);
	EXPECT_STREQ(json_object_get_string(key(obj, "kind")), tok[i++]);
	EXPECT_EQ(size, size_value(tok[i++]));
	EXPECT_EQ(hex_value(key(obj, "entry")), strtoull(tok[i++], NULL, 16));
	if (!strcmp(tok[i], "swp")) {
		i++;
		EXPECT_EQ(number(key(swap, "type")), count_value(tok[i]));
		first = span_value(strchr(tok[i++], ':') + 1, &last);
		EXPECT_EQ(number(key(swap, "offset")), (int64_t)first);
	} else {
		first = span_value(tok[i++], &last);
		EXPECT_EQ(number(key(obj, "pfn")), (int64_t)first);
	}
	/* Runs show their last frame (or swap offset) too. */
	EXPECT_EQ(runs ? first + pages - 1 : first, last) {
		TH_LOG("%s", row);
	}
	EXPECT_EQ(number(key(obj, "mapcount")), count_value(tok[i++]));
	EXPECT_EQ(number(key(obj, "refcount")), count_value(tok[i++]));
	/* Pagemap: "psfxdw" letters, then its frame or swap type:offset. */
	if (strlen(tok[i]) == 6) {
		static const char *const bits[] = {
			"present", "swapped", "file", "exclusive", "soft_dirty", "uffd_wp",
		};
		int b;

		for (b = 0; b < 6; b++)
			EXPECT_EQ(json_object_get_boolean(key(pm, bits[b])), tok[i][b] != '-') {
				TH_LOG("pagemap letter %d: %s", b, row);
			}
		if (json_object_get_boolean(key(pm, "present"))) {
			EXPECT_EQ(number(key(pm, "pfn")), (int64_t)strtoull(tok[++i], NULL, 16));
		} else if (json_object_get_boolean(key(pm, "swapped"))) {
			EXPECT_EQ(number(key(pm, "swap_type")), count_value(tok[++i]));
			EXPECT_EQ(number(key(pm, "swap_offset")),
				  (int64_t)strtoull(strchr(tok[i], ':') + 1, NULL, 16));
		}
	} else {
		EXPECT_STREQ("-", tok[i]);
		EXPECT_TRUE(is_null(obj, "pagemap"));
	}
	i++;
	/* The entry's flags (none: no word), then " | " and the page flags. */
	if (tok[i] && strcmp(tok[i], "|")) {
		EXPECT_TRUE(names_equal(tok[i], key(obj, "flags"))) {
			TH_LOG("%s", row);
		}
		i++;
	} else {
		EXPECT_EQ(0, json_object_array_length(key(obj, "flags")));
	}
	if (tok[i] && !strcmp(tok[i], "|")) {
		i++;
		EXPECT_TRUE(names_equal(tok[i] ? tok[i] : "", key(obj, "page_flags"))) {
			TH_LOG("%s", row);
		}
		if (tok[i])
			i++;
	} else {
		EXPECT_TRUE(is_null(obj, "page_flags"));
	}
	EXPECT_EQ(NULL, tok[i]) {
		TH_LOG("more than the columns: %s", row);
	}
}

/* Both renderings of [start, end) against each other, the raw dump and pagemap. */
static void expect_renderings_agree(struct __test_metadata *_metadata,
				    FIXTURE_DATA(render) *self, uint64_t start, uint64_t end,
				    bool runs, const char *what)
{
	struct views v = {};
	char *text, *json, *row, *line;
	struct json_object *obj;
	size_t i;
	int tries = 0;

	while (tries++ < TRIES && !take_views(_metadata, self, start, end, runs, &v))
		;
	ASSERT_LE(tries, TRIES) {
		TH_LOG("%s: the process kept changing", what);
	}
	TH_LOG("%s%s: %zu rows (view %d)", what, runs ? " --runs" : "", v.raw.n, tries);
	EXPECT_GT(v.raw.n, 0UL);
	text = v.text;
	json = v.json;
	row = mmt_next_line(&text);
	ASSERT_NE(NULL, row);
	EXPECT_EQ(0, strncmp(row, runs ? "START " : "VA ", runs ? 6 : 3));
	for (i = 0; i < v.raw.n; i++) {
		const struct mmlens_pte *r = &v.raw.rec[i];

		row = mmt_next_line(&text);
		line = mmt_next_line(&json);
		ASSERT_TRUE(row && line) {
			TH_LOG("%s: %zu records, text or JSON ends at %zu", what, v.raw.n, i);
		}
		obj = mmt_json_line(line);
		ASSERT_NE(NULL, obj) {
			TH_LOG("not one JSON object: %s", line);
		}
		expect_keys(_metadata, obj, runs, line);
		/* A huge leaf may begin before the region: pagemap only of what is in it. */
		if (r->va >= start)
			expect_json_is_record(_metadata, obj, r, v.pm[(r->va - start) / MMT_PAGE_SIZE],
					      runs, line);
		expect_text_is_json(_metadata, row, obj, runs);
		json_object_put(obj);
	}
	EXPECT_EQ(NULL, mmt_next_line(&text));
	EXPECT_EQ(NULL, mmt_next_line(&json));
	views_free(&v);
}

TEST_F_TIMEOUT(render, text_and_json_rows_say_what_the_dump_and_pagemap_say, 600)
{
	uint64_t start = self->still.start, end = start + MMT_STILL_PAGES * MMT_PAGE_SIZE;

	expect_renderings_agree(_metadata, self, start, end, false, "4K pages");
	expect_renderings_agree(_metadata, self, start, end, true, "4K pages");
	if (!self->still.thp) {
		TH_LOG("no THP on this kernel: the PMD leaf is not compared");
		return;
	}
	expect_renderings_agree(_metadata, self, self->still.thp, self->still.thp + MMT_PMD_SIZE,
				false, "THP");
	expect_renderings_agree(_metadata, self, self->still.thp, self->still.thp + MMT_PMD_SIZE,
				true, "THP");
}

TEST_HARNESS_MAIN
