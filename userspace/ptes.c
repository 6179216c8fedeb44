// SPDX-License-Identifier: GPL-2.0
/*
 * mmlens ptes: the leaf entries of a range beside /proc/PID/pagemap.
 *
 * Built to be fast on large ranges: the dump's records are kept as the
 * kernel packed them, pagemap is read with one pread per cluster of records
 * (per chunk of a VMA for --check), and rows, text or JSON, are formatted
 * without printf straight into the output's batch.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/genl/genl.h>

#include "check.h"
#include "maps.h"
#include "mmlens.h"
#include "names.h"
#include "output.h"
#include "ptes.h"
#include "range.h"
#include "translate.h"

/* Pagemap words read at once: 512 KiB, 256 MiB of address space. */
#define PM_CHUNK 65536

void mmlens_ptes_free(struct mmlens_ptes *p)
{
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}

int mmlens_ptes_add(struct mmlens_ptes *p, const void *data, size_t len)
{
	size_t n = len / sizeof(struct mmlens_pte), cap;
	struct mmlens_pte *v;

	if (len % sizeof(struct mmlens_pte))
		return -EBADMSG;
	if (p->n + n > p->cap) {
		cap = p->cap ? p->cap : 1024;
		while (cap < p->n + n)
			cap *= 2;
		v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	/* Netlink aligns attributes to 4 bytes only: copy, do not cast. */
	memcpy(p->v + p->n, data, n * sizeof(*v));
	p->n += n;
	return 0;
}

/* Kinds whose record carries a frame rather than a swap offset. */
static bool kind_has_pfn(unsigned int kind)
{
	return kind == MMLENS_KIND_PRESENT || kind == MMLENS_KIND_PROT_NONE ||
	       kind == MMLENS_KIND_MIGRATION || kind == MMLENS_KIND_DEVICE;
}

static bool kind_has_swap(unsigned int kind)
{
	return kind != MMLENS_KIND_NONE && kind != MMLENS_KIND_PRESENT &&
	       kind != MMLENS_KIND_PROT_NONE;
}

static uint64_t page_bytes(const struct mmlens_pte *rec)
{
	return mmlens_pte_pages(rec) << MMLENS_PAGE_SHIFT;
}

/* Column widths of the table. */
enum {
	W_VA = 12, W_NR = 6, W_LVL = 3, W_KIND = 9, W_SIZE = 4, W_ENTRY = 16,
	W_PFN = 14, W_PFN_RUNS = 30, W_COUNT = 4, W_PAGEMAP = 22,
};

size_t mmlens_pte_header(char *line, const struct mmlens_ptes_fmt *fmt)
{
	char *p = line, *c;

	if (fmt->runs) {
		c = p; p = mmlens_fmt_col(mmlens_fmt_str(p, "START"), c, W_VA);
		c = p; p = mmlens_fmt_col(mmlens_fmt_str(p, "END"), c, W_VA);
		c = p; p = mmlens_fmt_col(mmlens_fmt_str(p, "NR"), c, W_NR);
	} else {
		c = p; p = mmlens_fmt_col(mmlens_fmt_str(p, "VA"), c, W_VA);
	}
	c = p; p = mmlens_fmt_col(mmlens_fmt_str(p, "LVL"), c, W_LVL);
	c = p; p = mmlens_fmt_col(mmlens_fmt_str(p, "KIND"), c, W_KIND);
	c = p; p = mmlens_fmt_col(mmlens_fmt_str(p, "SIZE"), c, W_SIZE);
	c = p; p = mmlens_fmt_col(mmlens_fmt_str(p, "ENTRY"), c, W_ENTRY);
	c = p; p = mmlens_fmt_col(mmlens_fmt_str(p, fmt->runs ? "PFNS/SWAP" : "PFN/SWAP"),
				  c, fmt->runs ? W_PFN_RUNS : W_PFN);
	c = p; p = mmlens_fmt_col(mmlens_fmt_str(p, "MAP"), c, W_COUNT);
	c = p; p = mmlens_fmt_col(mmlens_fmt_str(p, "REF"), c, W_COUNT);
	c = p; p = mmlens_fmt_col(mmlens_fmt_str(p, "PAGEMAP"), c, W_PAGEMAP);
	p = mmlens_fmt_str(p, "FLAGS | PAGE FLAGS\n");
	return p - line;
}

/*
 * Rows are made for speed: 1 GiB of base pages is 262144 of them, and a
 * call costs more than the few stores most fields take (under emulation
 * every call and return is an indirect jump).  So the formatters below are
 * inline and copy fixed sizes, and some write up to 16, 32 or 64 bytes past
 * what they print: spaces, which rows are made of before their fields are
 * written, or bytes that the rest of the row (or the next one) overwrites.
 * Rows are written over as many spaces as the columns before the flag
 * names can take (under 200 bytes), so that padding a column is only
 * moving on.
 */
#define ROW_SPACES 256

/* v in lowercase hex, at least width (at most 16) digits; writes 16 bytes. */
static inline char *row_hex(char *p, uint64_t v, unsigned int width)
{
	unsigned int n = v ? (67 - __builtin_clzll(v)) / 4 : 1;
	uint64_t digits[4] = {
		mmlens_hex8(v >> 32), mmlens_hex8(v),
		0x2020202020202020ULL, 0x2020202020202020ULL,	/* spaces */
	};

	if (n < width)
		n = width;
	memcpy(p, (char *)digits + 16 - n, 16);
	return p + n;
}

static inline char *row_0x(char *p, uint64_t v)
{
	*p++ = '0';
	*p++ = 'x';
	return row_hex(p, v, 1);
}

/* The end of the column that began at start: width at least, plus a space. */
static char *col(char *p, char *start, size_t width)
{
	return (size_t)(p - start) < width ? start + width + 1 : p + 1;
}

/* Makes the part of a row that follows from its level and kind alone. */
typedef size_t make_seg_fn(char *text, const struct mmlens_ptes_fmt *fmt,
			   const struct mmlens_pte *rec);

/*
 * That part, made by make over spaces, from cache (a whole segment, 64
 * bytes, written at p).
 */
static inline char *cached_seg(char *p, struct mmlens_ptes_seg (*cache)[8][8],
			       make_seg_fn *make, const struct mmlens_ptes_fmt *fmt,
			       const struct mmlens_pte *rec)
{
	struct mmlens_ptes_seg *seg, made;

	/* Values a newer module may send are made each time. */
	if (rec->level >= 8 || rec->kind >= 8) {
		seg = &made;
		seg->len = 0;
	} else {
		seg = &cache[fmt->module][rec->level][rec->kind];
	}
	if (!seg->len) {
		memset(seg->text, ' ', sizeof(seg->text));
		seg->len = make(seg->text, fmt, rec);
	}
	memcpy(p, seg->text, sizeof(seg->text));
	return p + seg->len;
}

/* The level, kind and size columns, made with the general formatters. */
static size_t make_seg(char *text, const struct mmlens_ptes_fmt *fmt,
		       const struct mmlens_pte *rec)
{
	char *p = text, *c;

	c = p; p = col(mmlens_fmt_str(p, fmt->module ? mmlens_level_name(rec->level) : "-"),
		       c, W_LVL);
	c = p; p = col(mmlens_fmt_str(p, mmlens_kind_name(rec->kind)), c, W_KIND);
	c = p; p = col(mmlens_fmt_pgsize(p, 1ULL << mmlens_pte_shift(rec)), c, W_SIZE);
	return p - text;
}

/* "psfxdw" letters of a pagemap entry, then its frame or swap entry. */
static char *fmt_pagemap(char *p, uint64_t raw)
{
	struct mmlens_pagemap pm;

	mmlens_pagemap_decode(raw, &pm);
	*p++ = pm.present ? 'p' : '-';
	*p++ = pm.swapped ? 's' : '-';
	*p++ = pm.file ? 'f' : '-';
	*p++ = pm.exclusive ? 'x' : '-';
	*p++ = pm.soft_dirty ? 'd' : '-';
	*p++ = pm.uffd_wp ? 'w' : '-';
	if (pm.present) {
		*p++ = ' ';
		p = row_0x(p, pm.pfn);
	} else if (pm.swapped) {
		*p++ = ' ';
		p = mmlens_fmt_u64(p, pm.swap_type);
		*p++ = ':';
		p = row_0x(p, pm.swap_offset);
	}
	return p;
}

/* Where a names cache keeps flags. */
static unsigned int names_slot(uint64_t flags)
{
	/* Fibonacci hashing: the top bits of the product depend on all bits. */
	return (flags * 0x9e3779b97f4a7c15ULL) >> (64 - MMLENS_NAMES_SLOT_BITS);
}

/* Appends the end of rec's row (names of its flags, newline), through the cache. */
static char *fmt_names(char *p, struct mmlens_names_cache *c, const struct mmlens_pte *rec)
{
	uint32_t frame_flags = rec->flags & MMLENS_F_HAS_FRAME ? rec->frame_flags : 0;
	struct mmlens_names_slot *s;
	char *n;
	size_t i;

	s = &c->slot[names_slot(rec->flags | (uint64_t)frame_flags << 32)];
	if (!s->valid || s->flags != rec->flags || s->frame_flags != frame_flags) {
		/* Each takes 768 bytes at most, with its NUL. */
		n = s->names + mmlens_flag_names(s->names, 768, mmlens_entry_flag_names,
						 rec->flags, ',');
		if (rec->flags & MMLENS_F_HAS_FRAME) {
			n = mmlens_fmt_str(n, " | ");
			n += mmlens_flag_names(n, 768, mmlens_kpf_names, frame_flags, ',');
		}
		*n++ = '\n';
		s->len = n - s->names;
		s->flags = rec->flags;
		s->frame_flags = frame_flags;
		s->valid = true;
	}
	/* Whole 32-byte pieces: no call. */
	_Static_assert(sizeof(s->names) % 32 == 0 && sizeof(s->names) >= 2 * 768 + 3,
		       "names in whole pieces");
	for (i = 0; i < s->len; i += 32)
		memcpy(p + i, s->names + i, 32);
	return p + s->len;
}

size_t mmlens_pte_row(char *line, struct mmlens_ptes_fmt *fmt,
		      const struct mmlens_pte *rec, const uint64_t *pm)
{
	char *p = line, *c;
	uint64_t pages = mmlens_pte_pages(rec);
	bool frame = rec->flags & MMLENS_F_HAS_FRAME;

	memset(line, ' ', ROW_SPACES);
	c = p; p = col(row_hex(p, rec->va, W_VA), c, W_VA);
	if (fmt->runs) {
		c = p; p = col(row_hex(p, rec->va + page_bytes(rec), W_VA), c, W_VA);
		c = p; p = col(mmlens_fmt_u64(p, rec->nr), c, W_NR);
	}
	p = cached_seg(p, fmt->seg, make_seg, fmt, rec);
	c = p;
	p = fmt->module ? row_hex(p, rec->entry, W_ENTRY) : mmlens_fmt_str(p, "-");
	p = col(p, c, W_ENTRY);

	c = p;
	if (kind_has_pfn(rec->kind)) {
		p = row_0x(p, rec->pfn);
		if (fmt->runs && pages > 1) {
			p = mmlens_fmt_str(p, "..");
			p = row_0x(p, rec->pfn + pages - 1);
		}
	} else {
		p = mmlens_fmt_str(p, "swp ");
		p = mmlens_fmt_u64(p, rec->swap_type);
		*p++ = ':';
		p = row_0x(p, rec->swap_offset);
		if (fmt->runs && pages > 1) {
			p = mmlens_fmt_str(p, "..");
			p = row_0x(p, rec->swap_offset + pages - 1);
		}
	}
	p = col(p, c, fmt->runs ? W_PFN_RUNS : W_PFN);

	c = p;
	p = frame ? mmlens_fmt_u64(p, rec->mapcount) : mmlens_fmt_str(p, "-");
	p = col(p, c, W_COUNT);
	c = p;
	p = frame && fmt->module ? mmlens_fmt_u64(p, rec->refcount) : mmlens_fmt_str(p, "-");
	p = col(p, c, W_COUNT);
	c = p;
	p = pm ? fmt_pagemap(p, *pm) : mmlens_fmt_str(p, "-");
	p = col(p, c, W_PAGEMAP);

	/* The names take 1568 bytes at most, with what is copied past: MMLENS_ROW_MAX has room. */
	p = fmt_names(p, &fmt->names, rec);
	return p - line;
}

/*
 * JSON rows are made like the text's, the same values in JSON Lines: JSON
 * numbers as json-c printed them when it built the rows (int64: the frame
 * number or swap offset of a malformed record can print negative), the
 * rest cached.  No string of a row holds more than the names of this
 * program's tables and hex digits, which JSON takes as they are.
 */

/* v as json-c prints an int64. */
static inline char *row_json_i64(char *p, uint64_t v)
{
	if ((int64_t)v >= 0)
		return mmlens_fmt_u64(p, v);
	*p++ = '-';
	return mmlens_fmt_u64(p, -v);
}

/* "0x..." and its closing quote, the opening one written already. */
static inline char *row_json_0x(char *p, uint64_t v)
{
	p = row_0x(p, v);
	*p++ = '"';
	return p;
}

static inline char *row_json_bool(char *p, bool b)
{
	return b ? mmlens_fmt_str(p, "true") : mmlens_fmt_str(p, "false");
}

/* The array of the names of flags, through the cache. */
static char *row_json_names(char *p, struct mmlens_json_names_cache *c,
			    const struct mmlens_bit_name *table, uint32_t flags)
{
	struct mmlens_json_names_slot *s = &c->slot[names_slot(flags)];
	char names[400], *t;
	size_t i, n;

	if (!s->valid || s->flags != flags) {
		/*
		 * 400 bytes hold the names of all 32 bits, which unit.c's
		 * pte_json_as_json_c_printed prints.
		 */
		n = mmlens_flag_names(names, sizeof(names), table, flags, ',');
		t = s->text;
		*t++ = '[';
		if (n) {
			*t++ = '"';
			for (i = 0; i < n; i++) {
				if (names[i] == ',')
					t = mmlens_fmt_str(t, "\",\"");
				else
					*t++ = names[i];
			}
			*t++ = '"';
		}
		*t++ = ']';
		s->len = t - s->text;
		s->flags = flags;
		s->valid = true;
	}
	/* Whole 32-byte pieces: no call. */
	_Static_assert(sizeof(s->text) % 32 == 0 && sizeof(s->text) >= 400 + 2 * 32 + 2,
		       "names in whole pieces");
	for (i = 0; i < s->len; i += 32)
		memcpy(p + i, s->text + i, 32);
	return p + s->len;
}

/* From the end of the va to the entry's value: level and kind. */
static size_t make_row_json_seg(char *text, const struct mmlens_ptes_fmt *fmt,
				const struct mmlens_pte *rec)
{
	char *p = text;

	_Static_assert(sizeof(fmt->json_seg[0][0][0].text) >=
		       sizeof("\",\"level\":\"none\",\"kind\":\"migration\",\"entry\":"),
		       "the longest names fit");

	p = mmlens_fmt_str(p, "\",\"level\":");
	if (fmt->module) {
		*p++ = '"';
		p = mmlens_fmt_str(p, mmlens_level_name(rec->level));
		*p++ = '"';
	} else {
		p = mmlens_fmt_str(p, "null");
	}
	p = mmlens_fmt_str(p, ",\"kind\":\"");
	p = mmlens_fmt_str(p, mmlens_kind_name(rec->kind));
	p = mmlens_fmt_str(p, "\",\"entry\":");
	return p - text;
}

/* The pagemap object of the raw entry, as translate prints it. */
static char *row_json_pagemap(char *p, uint64_t raw)
{
	struct mmlens_pagemap pm;

	mmlens_pagemap_decode(raw, &pm);
	p = mmlens_fmt_str(p, "{\"raw\":\"");
	p = row_json_0x(p, pm.raw);
	p = row_json_bool(mmlens_fmt_str(p, ",\"present\":"), pm.present);
	p = row_json_bool(mmlens_fmt_str(p, ",\"swapped\":"), pm.swapped);
	p = row_json_bool(mmlens_fmt_str(p, ",\"file\":"), pm.file);
	p = row_json_bool(mmlens_fmt_str(p, ",\"exclusive\":"), pm.exclusive);
	p = row_json_bool(mmlens_fmt_str(p, ",\"soft_dirty\":"), pm.soft_dirty);
	p = row_json_bool(mmlens_fmt_str(p, ",\"uffd_wp\":"), pm.uffd_wp);
	p = mmlens_fmt_str(p, ",\"pfn\":");
	p = pm.present ? mmlens_fmt_u64(p, pm.pfn) : mmlens_fmt_str(p, "null");
	p = mmlens_fmt_str(p, ",\"swap_type\":");
	p = pm.swapped ? mmlens_fmt_u64(p, pm.swap_type) : mmlens_fmt_str(p, "null");
	p = mmlens_fmt_str(p, ",\"swap_offset\":");
	p = pm.swapped ? mmlens_fmt_u64(p, pm.swap_offset) : mmlens_fmt_str(p, "null");
	*p++ = '}';
	return p;
}

size_t mmlens_pte_json_row(char *line, struct mmlens_ptes_fmt *fmt,
			   const struct mmlens_pte *rec, const uint64_t *pm)
{
	bool frame = rec->flags & MMLENS_F_HAS_FRAME, m = fmt->module;
	char *p = line;

	p = mmlens_fmt_str(p, "{\"va\":\"");
	p = row_0x(p, rec->va);
	p = cached_seg(p, fmt->json_seg, make_row_json_seg, fmt, rec);
	if (m) {
		*p++ = '"';
		p = row_json_0x(p, rec->entry);
	} else {
		p = mmlens_fmt_str(p, "null");
	}
	p = mmlens_fmt_str(p, ",\"pfn\":");
	p = kind_has_pfn(rec->kind) ? row_json_i64(p, rec->pfn) : mmlens_fmt_str(p, "null");
	p = mmlens_fmt_str(p, ",\"page_size\":");
	p = mmlens_fmt_u64(p, 1ULL << mmlens_pte_shift(rec));
	p = mmlens_fmt_str(p, ",\"flags\":");
	p = row_json_names(p, &fmt->json_flags, mmlens_entry_flag_names, rec->flags);
	p = mmlens_fmt_str(p, ",\"swap\":");
	if (kind_has_swap(rec->kind)) {
		p = mmlens_fmt_str(p, "{\"type\":");
		p = mmlens_fmt_u64(p, rec->swap_type);
		p = mmlens_fmt_str(p, ",\"offset\":");
		p = row_json_i64(p, rec->swap_offset);
		*p++ = '}';
	} else {
		p = mmlens_fmt_str(p, "null");
	}
	p = mmlens_fmt_str(p, ",\"mapcount\":");
	p = frame ? mmlens_fmt_u64(p, rec->mapcount) : mmlens_fmt_str(p, "null");
	p = mmlens_fmt_str(p, ",\"refcount\":");
	p = frame && m ? mmlens_fmt_u64(p, rec->refcount) : mmlens_fmt_str(p, "null");
	p = mmlens_fmt_str(p, ",\"page_flags\":");
	p = frame ? row_json_names(p, &fmt->json_page_flags, mmlens_kpf_names, rec->frame_flags) :
		    mmlens_fmt_str(p, "null");
	p = mmlens_fmt_str(p, ",\"pkey\":");
	p = m && rec->kind == MMLENS_KIND_PRESENT ? mmlens_fmt_u64(p, rec->pkey) :
						   mmlens_fmt_str(p, "null");
	p = mmlens_fmt_str(p, ",\"pagemap\":");
	p = pm ? row_json_pagemap(p, *pm) : mmlens_fmt_str(p, "null");
	if (fmt->runs) {
		p = mmlens_fmt_str(p, ",\"nr\":");
		p = mmlens_fmt_u64(p, rec->nr);
	}
	*p++ = '}';
	*p++ = '\n';
	/* At most about 1600 bytes, with what is copied past: MMLENS_ROW_MAX has room. */
	return p - line;
}

/* A window of pagemap words, refilled as the records move past it. */
struct pm_window {
	int fd;
	uint64_t start;		/* word index of words[0] */
	size_t n;
	uint64_t *words;
};

/* The pagemap word of recs[i]'s first page, or NULL if unreadable. */
static const uint64_t *pm_window_get(struct pm_window *w,
				     const struct mmlens_pte *recs, size_t i,
				     size_t n)
{
	uint64_t idx = recs[i].va >> MMLENS_PAGE_SHIFT, last = idx;
	ssize_t r;
	size_t j;

	if (w->fd < 0 || !w->words)
		return NULL;
	if (idx >= w->start && idx < w->start + w->n)
		return &w->words[idx - w->start];
	/* One pread for the records that follow closely. */
	for (j = i + 1; j < n; j++) {
		uint64_t k = recs[j].va >> MMLENS_PAGE_SHIFT;

		if (k < idx || k >= idx + PM_CHUNK)
			break;
		last = k;
	}
	r = mmlens_pread_words(w->fd, idx, w->words, last - idx + 1);
	if (r <= 0) {
		w->n = 0;
		return NULL;
	}
	w->start = idx;
	w->n = r;
	return &w->words[0];
}

int mmlens_ptes_print(struct mmlens_stream *out, struct mmlens_ptes_fmt *fmt,
		      bool json, const struct mmlens_pte *recs, size_t n,
		      int pagemap_fd)
{
	struct pm_window w = { .fd = pagemap_fd };
	const uint64_t *pm;
	char *row;
	size_t i;

	if (pagemap_fd >= 0) {
		w.words = malloc(PM_CHUNK * sizeof(*w.words));
		if (!w.words)
			return -ENOMEM;
	}
	if (!json)
		mmlens_stream_commit(out, mmlens_pte_header(mmlens_stream_room(out), fmt));
	for (i = 0; i < n && !out->error; i++) {
		pm = pm_window_get(&w, recs, i, n);
		/* Straight into the output's batch. */
		row = mmlens_stream_room(out);
		mmlens_stream_commit(out, json ? mmlens_pte_json_row(row, fmt, &recs[i], pm) :
					   mmlens_pte_row(row, fmt, &recs[i], pm));
	}
	free(w.words);
	return mmlens_stream_flush(out);
}

/* Tells of the page at va if it still differs when looked at again. */
static int check_page(struct mmlens_check *c, uint64_t va,
		      const struct mmlens_pte *rec, uint64_t vm_flags, uint64_t word)
{
	uint64_t page = rec ? (va - rec->va) >> MMLENS_PAGE_SHIFT : 0;
	struct mmlens_pte again;
	unsigned int diff;
	char what[512];
	bool mapped;
	int ret;

	if (!mmlens_pagemap_compare(rec, page, vm_flags, word))
		return 0;
	/* The target runs on: what it changed in between is no mismatch. */
	c->rechecked++;
	ret = c->reread(c->arg, va, &again, &mapped, &vm_flags, &word);
	if (ret)
		return ret;
	rec = mapped ? &again : NULL;
	page = rec ? (va - rec->va) >> MMLENS_PAGE_SHIFT : 0;
	diff = mmlens_pagemap_compare(rec, page, vm_flags, word);
	if (diff) {
		mmlens_diff_describe(what, sizeof(what), diff, rec, page, vm_flags,
				     word);
		c->mismatches++;
		c->report(c->arg, va, what);
	}
	return 0;
}

int mmlens_check_range(struct mmlens_check *c, uint64_t start, uint64_t end,
		       uint64_t vm_flags, const struct mmlens_pte *recs, size_t n,
		       size_t *cursor)
{
	uint64_t *words, idx, first = start >> MMLENS_PAGE_SHIFT;
	uint64_t last = (end + MMLENS_PAGE_SIZE - 1) >> MMLENS_PAGE_SHIFT;
	const struct mmlens_pte *rec;
	size_t i = *cursor, k, want;
	ssize_t got;
	int ret = 0;

	words = malloc(PM_CHUNK * sizeof(*words));
	if (!words)
		return -ENOMEM;
	for (idx = first; idx < last && !ret; idx += want) {
		want = last - idx < PM_CHUNK ? last - idx : PM_CHUNK;
		got = c->read_pagemap(c->arg, idx, words, want);
		if (got < 0) {
			ret = got;
			break;
		}
		/* Past the end of pagemap there is nothing mapped. */
		memset(words + got, 0, (want - got) * sizeof(*words));
		for (k = 0; k < want && !ret; k++) {
			uint64_t va = (idx + k) << MMLENS_PAGE_SHIFT;

			while (i < n && recs[i].va + page_bytes(&recs[i]) <= va)
				i++;
			rec = i < n && recs[i].va <= va ? &recs[i] : NULL;
			c->pages++;
			ret = check_page(c, va, rec, vm_flags, words[k]);
		}
	}
	free(words);
	*cursor = i;
	return ret;
}

static bool extends(const struct mmlens_pte *a, const struct mmlens_pte *b)
{
	uint64_t pages = mmlens_pte_pages(a);

	if (a->level != b->level || a->kind != b->kind || a->flags != b->flags ||
	    a->swap_type != b->swap_type || b->va != a->va + page_bytes(a))
		return false;
	if (kind_has_pfn(a->kind))
		return b->pfn == a->pfn + pages;
	return b->swap_offset == a->swap_offset + pages;
}

size_t mmlens_ptes_merge_runs(struct mmlens_pte *recs, size_t n)
{
	size_t out = 0, i;

	for (i = 0; i < n; i++) {
		if (out && extends(&recs[out - 1], &recs[i])) {
			recs[out - 1].nr += recs[i].nr ? recs[i].nr : 1;
			continue;
		}
		recs[out++] = recs[i];
	}
	return out;
}

/* The command. */

struct ptes_req {
	pid_t pid;
	const struct mmlens_span *span;	/* NULL: everything */
	bool runs;
};

static int put_ptes(struct nl_msg *msg, const void *arg)
{
	const struct ptes_req *r = arg;

	if (nla_put_u32(msg, MMLENS_A_PTE_PID, r->pid) ||
	    (r->span && (nla_put_u64(msg, MMLENS_A_PTE_START, r->span->start) ||
			 nla_put_u64(msg, MMLENS_A_PTE_END, r->span->end))) ||
	    (r->runs && nla_put_flag(msg, MMLENS_A_PTE_RUNS)))
		return -ENOMEM;
	return 0;
}

struct ptes_dump {
	struct mmlens_ptes *ptes;
	size_t restart_n;	/* records before this dump began */
};

static int ptes_reply_cb(struct nl_msg *msg, void *arg)
{
	static const struct nla_policy policy[MMLENS_A_PTE_MAX + 1] = {
		[MMLENS_A_PTE_RECORDS] = { .type = NLA_UNSPEC },
	};
	struct nlattr *tb[MMLENS_A_PTE_MAX + 1];
	struct ptes_dump *d = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MMLENS_A_PTE_MAX, policy) < 0)
		return -EBADMSG;
	if (!tb[MMLENS_A_PTE_RECORDS])
		return 0;
	return mmlens_ptes_add(d->ptes, nla_data(tb[MMLENS_A_PTE_RECORDS]),
			       nla_len(tb[MMLENS_A_PTE_RECORDS]));
}

static void ptes_restart(void *arg)
{
	struct ptes_dump *d = arg;

	d->ptes->n = d->restart_n;
}

/* The records of every span of r, in address order. */
static int dump_ptes(const struct mmlens_ctx *ctx, struct mmlens_nl *nl,
		     pid_t pid, const struct mmlens_range *r, bool runs,
		     struct mmlens_ptes *ptes)
{
	struct ptes_req want = { .pid = pid, .runs = runs };
	struct ptes_dump d = { .ptes = ptes };
	struct mmlens_req req = {
		.cmd = MMLENS_CMD_GET_PTE,
		.dump = true,
		.put = put_ptes,
		.reply = ptes_reply_cb,
		.restart = ptes_restart,
		.put_arg = &want,
		.reply_arg = &d,
	};
	size_t i;

	if (r->all)
		return mmlens_request(ctx, nl, &req);
	for (i = 0; i < r->n; i++) {
		want.span = &r->v[i];
		d.restart_n = ptes->n;
		if (mmlens_request(ctx, nl, &req))
			return MMLENS_EXIT_FAIL;
	}
	return MMLENS_EXIT_OK;
}

/* Flags of a pagemap entry as the module would name them. */
static uint64_t pagemap_flags(const struct mmlens_pagemap *pm)
{
	return (pm->soft_dirty ? MMLENS_F_SOFT_DIRTY : 0) |
	       (pm->exclusive ? MMLENS_F_EXCLUSIVE : 0) |
	       (pm->uffd_wp ? MMLENS_F_UFFD_WP : 0) |
	       (pm->present ? MMLENS_F_PRESENT : 0);
}

/* Adds what kpageflags and kpagecount say of the frames, a pread per run. */
static void add_kpage(struct mmlens_pte *recs, size_t n)
{
	int ffd, cfd;
	uint64_t flags[256], counts[256];
	size_t i, j, k;
	ssize_t nf, nc;

	ffd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	cfd = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
	for (i = 0; ffd >= 0 && i < n; i = j) {
		if (recs[i].kind != MMLENS_KIND_PRESENT || !recs[i].pfn) {
			j = i + 1;
			continue;
		}
		for (j = i + 1; j < n && j - i < 256 &&
		     recs[j].kind == MMLENS_KIND_PRESENT &&
		     recs[j].pfn == recs[i].pfn + (j - i); j++)
			;
		nf = mmlens_pread_words(ffd, recs[i].pfn, flags, j - i);
		nc = cfd >= 0 ? mmlens_pread_words(cfd, recs[i].pfn, counts, j - i) : 0;
		for (k = i; k < j; k++) {
			if ((ssize_t)(k - i) >= nf)
				break;
			recs[k].flags |= MMLENS_F_HAS_FRAME;
			/*
			 * Records keep the flags below bit 32, all the module
			 * reports; kpageflags' kernel-hacking bits are left out.
			 */
			recs[k].frame_flags = (uint32_t)flags[k - i];
			recs[k].mapcount = (ssize_t)(k - i) < nc ? counts[k - i] : 0;
		}
	}
	if (ffd >= 0)
		close(ffd);
	if (cfd >= 0)
		close(cfd);
}

/* Records made of what pagemap says of [start, end). */
static int ptes_from_pagemap(int fd, uint64_t start, uint64_t end,
			     struct mmlens_ptes *ptes)
{
	uint64_t idx = start >> MMLENS_PAGE_SHIFT, *words;
	uint64_t last = (end + MMLENS_PAGE_SIZE - 1) >> MMLENS_PAGE_SHIFT;
	struct mmlens_pagemap pm;
	struct mmlens_pte rec;
	ssize_t got, k;
	int ret = 0;

	words = malloc(PM_CHUNK * sizeof(*words));
	if (!words)
		return -ENOMEM;
	for (; idx < last && !ret; idx += got) {
		got = mmlens_pread_words(fd, idx, words,
					 last - idx < PM_CHUNK ? last - idx : PM_CHUNK);
		if (got <= 0) {
			ret = got;
			break;
		}
		for (k = 0; k < got && !ret; k++) {
			if (!(words[k] & (MMLENS_PM_PRESENT | MMLENS_PM_SWAP)))
				continue;
			mmlens_pagemap_decode(words[k], &pm);
			memset(&rec, 0, sizeof(rec));
			rec.va = (idx + k) << MMLENS_PAGE_SHIFT;
			rec.kind = pm.present ? MMLENS_KIND_PRESENT : MMLENS_KIND_SWAP;
			rec.swap_type = pm.swap_type;
			/* One place for both, as in the module's records. */
			rec.pfn = pm.present ? pm.pfn : pm.swap_offset;
			rec.flags = pagemap_flags(&pm);
			rec.nr = 1;
			rec.level = MMLENS_LEVEL_NONE;
			ret = mmlens_ptes_add(ptes, &rec, sizeof(rec));
		}
	}
	free(words);
	return ret;
}

/* Clips [*s, *e) to span; false when nothing is left. */
static bool clip(uint64_t *s, uint64_t *e, const struct mmlens_span *span)
{
	if (*s < span->start)
		*s = span->start;
	if (*e > span->end)
		*e = span->end;
	return *s < *e;
}

static int ptes_proc(const struct mmlens_ctx *ctx, pid_t pid,
		     const struct mmlens_range *r, int fd, struct mmlens_ptes *ptes)
{
	struct mmlens_maps maps;
	uint64_t s, e;
	char path[64];
	size_t i, j;
	int ret;

	mmlens_proc_path(path, sizeof(path), pid, "maps");
	ret = mmlens_maps_load(path, &maps);
	if (ret) {
		mmlens_err_proc(ctx, pid, "maps", ret);
		return MMLENS_EXIT_FAIL;
	}
	for (i = 0; i < maps.n && !ret; i++) {
		for (j = 0; j < (r->all ? 1 : r->n) && !ret; j++) {
			s = maps.v[i].start;
			e = maps.v[i].end;
			if (r->all || clip(&s, &e, &r->v[j]))
				ret = ptes_from_pagemap(fd, s, e, ptes);
		}
	}
	mmlens_maps_free(&maps);
	if (ret) {
		mmlens_err_proc(ctx, pid, "pagemap", ret);
		return MMLENS_EXIT_FAIL;
	}
	add_kpage(ptes->v, ptes->n);
	return MMLENS_EXIT_OK;
}

/* --check with the module. */
struct live_check {
	const struct mmlens_ctx *ctx;
	struct mmlens_nl *nl;
	pid_t pid;
	int fd;
	struct mmlens_stream *out;
};

static ssize_t live_read_pagemap(void *arg, uint64_t idx, uint64_t *words,
				 size_t n)
{
	struct live_check *lc = arg;

	return mmlens_pread_words(lc->fd, idx, words, n);
}

static int live_reread(void *arg, uint64_t va, struct mmlens_pte *rec,
		       bool *mapped, uint64_t *vm_flags, uint64_t *pm)
{
	struct live_check *lc = arg;
	struct mmlens_walk w;
	ssize_t n;

	if (mmlens_translate_one(lc->ctx, lc->nl, lc->pid, va, &w))
		return -EIO;
	*mapped = mmlens_walk_to_pte(&w, rec);
	*vm_flags = w.has_vma ? w.vma_flags : 0;
	n = mmlens_pread_words(lc->fd, va >> MMLENS_PAGE_SHIFT, pm, 1);
	if (n < 0)
		return n;
	if (!n)
		*pm = 0;
	return 0;
}

static void live_report(void *arg, uint64_t va, const char *what)
{
	struct live_check *lc = arg;
	struct json_object *obj;
	char line[MMLENS_ROW_MAX], *p = line;
	const char *s;

	if (!lc->ctx->json) {
		p = mmlens_fmt_0x(p, va);
		p = mmlens_fmt_str(p, ": ");
		p += snprintf(p, line + sizeof(line) - p, "%s\n", what);
		mmlens_stream_lines(lc->out, line, p - line);
		return;
	}
	obj = json_object_new_object();
	if (obj && !mmlens_json_add(obj, "va", mmlens_json_hex(va)) &&
	    !mmlens_json_add(obj, "mismatch", json_object_new_string(what))) {
		s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
		if (s)
			mmlens_stream_lines(lc->out, s, strlen(s));
	}
	json_object_put(obj);
}

static int check_summary_json(struct mmlens_stream *out, const struct mmlens_check *c,
			      size_t vmas, size_t entries)
{
	struct json_object *obj = json_object_new_object();
	const char *s = NULL;
	int ret = -ENOMEM;

	if (obj &&
	    !mmlens_json_add(obj, "pages", json_object_new_int64(c->pages)) &&
	    !mmlens_json_add(obj, "vmas", json_object_new_int64(vmas)) &&
	    !mmlens_json_add(obj, "entries", json_object_new_int64(entries)) &&
	    !mmlens_json_add(obj, "rechecked", json_object_new_int64(c->rechecked)) &&
	    !mmlens_json_add(obj, "mismatches", json_object_new_int64(c->mismatches)))
		s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	if (s) {
		mmlens_stream_lines(out, s, strlen(s));
		ret = 0;
	}
	json_object_put(obj);
	return ret;
}

static void check_summary_text(struct mmlens_stream *out, const struct mmlens_check *c,
			       size_t vmas, size_t entries, pid_t pid)
{
	char line[256];
	int n;

	n = snprintf(line, sizeof(line), "all %" PRIu64 " pages of %zu VMAs (%zu "
		     "entries) agree with /proc/%d/pagemap\n", c->pages, vmas,
		     entries, (int)pid);
	mmlens_stream_lines(out, line, n);
}

static int ptes_check(const struct mmlens_ctx *ctx, struct mmlens_nl *nl,
		      pid_t pid, const struct mmlens_range *r,
		      const struct mmlens_ptes *ptes, int fd, struct mmlens_stream *out)
{
	struct live_check lc = {
		.ctx = ctx, .nl = nl, .pid = pid, .fd = fd, .out = out,
	};
	struct mmlens_check c = {
		.read_pagemap = live_read_pagemap,
		.reread = live_reread,
		.report = live_report,
		.arg = &lc,
	};
	struct mmlens_vmas vmas = { .n = 0 };
	size_t i, j, cursor = 0;
	uint64_t s, e;
	int ret = 0;

	for (j = 0; j < (r->all ? 1 : r->n); j++)
		if (mmlens_vmas_dump(ctx, nl, pid, r->all ? 0 : r->v[j].start,
				     r->all ? 0 : r->v[j].end, &vmas)) {
			mmlens_vmas_free(&vmas);
			return MMLENS_EXIT_FAIL;
		}
	for (i = 0; i < vmas.n && !ret; i++) {
		/*
		 * pagemap's walk skips PFN maps ([vvar], device memory) and
		 * reports them as holes: there is nothing to compare with.
		 */
		if (vmas.v[i].flags & MMLENS_VM_PFNMAP)
			continue;
		for (j = 0; j < (r->all ? 1 : r->n) && !ret; j++) {
			s = vmas.v[i].start;
			e = vmas.v[i].end;
			if (r->all || clip(&s, &e, &r->v[j]))
				ret = mmlens_check_range(&c, s, e, vmas.v[i].flags,
							 ptes->v, ptes->n, &cursor);
		}
	}
	if (ret) {
		mmlens_vmas_free(&vmas);
		mmlens_stream_flush(out);
		/* A failed TRANSLATE explained itself already. */
		if (ret != -EIO)
			mmlens_err_proc(ctx, pid, "pagemap", ret);
		return MMLENS_EXIT_FAIL;
	}
	if (ctx->json)
		ret = check_summary_json(out, &c, vmas.n, ptes->n);
	else if (!c.mismatches)
		check_summary_text(out, &c, vmas.n, ptes->n, pid);
	mmlens_vmas_free(&vmas);
	if (ret) {
		mmlens_err(ctx, "%s", strerror(-ret));
		return MMLENS_EXIT_FAIL;
	}
	if (mmlens_stream_flush(out))
		return MMLENS_EXIT_FAIL;
	if (c.mismatches) {
		mmlens_err(ctx, "%" PRIu64 " mismatches", c.mismatches);
		return MMLENS_EXIT_MISMATCH;
	}
	return MMLENS_EXIT_OK;
}

static int parse_range(const struct mmlens_ctx *ctx, pid_t pid, const char *arg,
		       struct mmlens_range *r)
{
	char path[64];
	int ret;

	mmlens_proc_path(path, sizeof(path), pid, "maps");
	ret = mmlens_range_parse(arg ? arg : "all", path, r);
	switch (ret) {
	case 0:
		return MMLENS_EXIT_OK;
	case -EINVAL:
		mmlens_err(ctx, "invalid range '%s' (START-END, all, a name such "
			   "as [heap], or the path of a mapped file)", arg);
		return MMLENS_EXIT_USAGE;
	case -ERANGE:
		mmlens_err(ctx, "empty range '%s': START must be below END", arg);
		return MMLENS_EXIT_USAGE;
	case -ENOENT:
		mmlens_err(ctx, "nothing in PID %d's maps matches '%s'", (int)pid, arg);
		return MMLENS_EXIT_FAIL;
	}
	mmlens_err_proc(ctx, pid, "maps", ret);
	return MMLENS_EXIT_FAIL;
}

int mmlens_cmd_ptes(struct mmlens_ctx *ctx, int argc, char **argv)
{
	struct mmlens_ptes_fmt fmt = { .module = false };
	struct mmlens_ptes ptes = { .n = 0 };
	struct mmlens_range r = { .n = 0 };
	struct mmlens_stream out;
	struct mmlens_nl nl;
	int first, ret, fd = -1;
	bool connected = false;
	pid_t pid;

	ret = mmlens_cmd_options(ctx, argc, argv, 1, 2, &first);
	if (ret >= 0)
		return ret;
	if (mmlens_arg_pid(ctx, argv[first], &pid))
		return MMLENS_EXIT_USAGE;
	ret = mmlens_check_target(ctx, pid);
	if (ret)
		return ret;
	fmt.runs = ctx->opts & MMLENS_OPT_RUNS;
	ret = parse_range(ctx, pid, first + 1 < argc ? argv[first + 1] : NULL, &r);
	if (ret)
		return ret;
	if (mmlens_output_open(ctx, &out)) {
		mmlens_range_free(&r);
		return MMLENS_EXIT_FAIL;
	}

	ret = mmlens_connect_or_proc(ctx, &nl, "/proc/PID/pagemap");
	if (ret == MMLENS_EXIT_FAIL)
		goto out;
	connected = !ret;
	fmt.module = connected;
	ret = MMLENS_EXIT_FAIL;
	if (!connected && (ctx->opts & MMLENS_OPT_CHECK)) {
		mmlens_err(ctx, "--check compares the module's view with pagemap; "
			   "without the module there is nothing to compare");
		goto out;
	}

	fd = mmlens_pagemap_open(pid);
	/* Only the module's rows can do without it. */
	if (fd < 0 && (!connected || (ctx->opts & MMLENS_OPT_CHECK))) {
		mmlens_err_proc(ctx, pid, "pagemap", fd);
		goto out;
	}
	if (fd < 0)
		mmlens_err(ctx, "warning: cannot read /proc/%d/pagemap (%s): its "
			   "column stays empty", (int)pid, strerror(-fd));

	if (connected) {
		if (dump_ptes(ctx, &nl, pid, &r, fmt.runs, &ptes))
			goto out;
	} else {
		if (ptes_proc(ctx, pid, &r, fd, &ptes))
			goto out;
		if (fmt.runs)
			ptes.n = mmlens_ptes_merge_runs(ptes.v, ptes.n);
	}

	if (ctx->opts & MMLENS_OPT_CHECK) {
		ret = ptes_check(ctx, &nl, pid, &r, &ptes, fd, &out);
		goto out;
	}
	/* A write error is reported by mmlens_output_close(). */
	if (mmlens_ptes_print(&out, &fmt, ctx->json, ptes.v, ptes.n, fd)) {
		if (!out.error)
			mmlens_err(ctx, "%s", strerror(ENOMEM));
		goto out;
	}
	ret = MMLENS_EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	if (connected)
		mmlens_nl_close(&nl);
	mmlens_ptes_free(&ptes);
	mmlens_range_free(&r);
	return mmlens_output_close(ctx, &out, ret);
}
