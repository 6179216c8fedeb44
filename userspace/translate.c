// SPDX-License-Identifier: GPL-2.0
/*
 * mmlens translate (walk): one virtual address through the page tables.
 */
#include <errno.h>
#include <fcntl.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <netlink/genl/genl.h>

#include "check.h"
#include "fmt.h"
#include "mmlens.h"
#include "names.h"
#include "output.h"
#include "translate.h"

/* x86-64 entries: the frame is in bits 12-51. */
#define ENTRY_PFN_MASK 0x000ffffffffff000ULL

void mmlens_va_split(uint64_t va, unsigned int levels, struct mmlens_va_split *s)
{
	s->levels = levels;
	s->pgd_shift = levels == 5 ? 48 : 39;
	s->pgd = (va >> s->pgd_shift) & 511;
	s->p4d = levels == 5 ? (va >> 39) & 511 : 0;
	s->pud = (va >> 30) & 511;
	s->pmd = (va >> 21) & 511;
	s->pte = (va >> 12) & 511;
	s->offset = va & 4095;
}

static const struct nla_policy walk_policy[MMLENS_A_WALK_MAX + 1] = {
	[MMLENS_A_WALK_PID] = MMLENS_POLICY_U32,
	[MMLENS_A_WALK_VA] = MMLENS_POLICY_U64,
	[MMLENS_A_WALK_PAGING_LEVELS] = MMLENS_POLICY_U32,
	[MMLENS_A_WALK_LEVEL] = MMLENS_POLICY_NESTED,
	[MMLENS_A_WALK_LEAF_LEVEL] = MMLENS_POLICY_U32,
	[MMLENS_A_WALK_KIND] = MMLENS_POLICY_U32,
	[MMLENS_A_WALK_ENTRY] = MMLENS_POLICY_U64,
	[MMLENS_A_WALK_FLAGS] = MMLENS_POLICY_U64,
	[MMLENS_A_WALK_PKEY] = MMLENS_POLICY_U32,
	[MMLENS_A_WALK_PFN] = MMLENS_POLICY_U64,
	[MMLENS_A_WALK_PAGE_SIZE] = MMLENS_POLICY_U64,
	[MMLENS_A_WALK_PA] = MMLENS_POLICY_U64,
	[MMLENS_A_WALK_SWAP_TYPE] = MMLENS_POLICY_U32,
	[MMLENS_A_WALK_SWAP_OFFSET] = MMLENS_POLICY_U64,
	[MMLENS_A_WALK_VMA_START] = MMLENS_POLICY_U64,
	[MMLENS_A_WALK_VMA_END] = MMLENS_POLICY_U64,
	[MMLENS_A_WALK_VMA_FLAGS] = MMLENS_POLICY_U64,
	[MMLENS_A_WALK_FRAME] = MMLENS_POLICY_NESTED,
};

static const struct nla_policy level_policy[MMLENS_A_LEVEL_MAX + 1] = {
	[MMLENS_A_LEVEL_LEVEL] = MMLENS_POLICY_U32,
	[MMLENS_A_LEVEL_INDEX] = MMLENS_POLICY_U32,
	[MMLENS_A_LEVEL_SHIFT] = MMLENS_POLICY_U32,
	[MMLENS_A_LEVEL_TABLE_PA] = MMLENS_POLICY_U64,
	[MMLENS_A_LEVEL_ENTRY] = MMLENS_POLICY_U64,
	[MMLENS_A_LEVEL_FLAGS] = MMLENS_POLICY_U64,
	[MMLENS_A_LEVEL_FOLDED] = MMLENS_POLICY_FLAG,
};

static int parse_level(struct nlattr *nest, struct mmlens_walk_level *l)
{
	struct nlattr *tb[MMLENS_A_LEVEL_MAX + 1];
	int i;

	if (nla_parse_nested(tb, MMLENS_A_LEVEL_MAX, nest,
			     level_policy) < 0 ||
	    !tb[MMLENS_A_LEVEL_LEVEL] || !mmlens_flag_ok(tb[MMLENS_A_LEVEL_FOLDED]))
		return -EBADMSG;
	/* A folded level too: its table and index are those of its entry. */
	for (i = MMLENS_A_LEVEL_INDEX; i <= MMLENS_A_LEVEL_FLAGS; i++)
		if (!tb[i])
			return -EBADMSG;
	memset(l, 0, sizeof(*l));
	l->folded = tb[MMLENS_A_LEVEL_FOLDED];
	l->level = nla_get_u32(tb[MMLENS_A_LEVEL_LEVEL]);
	if (l->level < MMLENS_LEVEL_PGD || l->level > MMLENS_LEVEL_PTE)
		return -EBADMSG;
	l->index = nla_get_u32(tb[MMLENS_A_LEVEL_INDEX]);
	l->shift = nla_get_u32(tb[MMLENS_A_LEVEL_SHIFT]);
	l->table_pa = nla_get_u64(tb[MMLENS_A_LEVEL_TABLE_PA]);
	l->entry = nla_get_u64(tb[MMLENS_A_LEVEL_ENTRY]);
	l->flags = nla_get_u64(tb[MMLENS_A_LEVEL_FLAGS]);
	return l->shift < 64 ? 0 : -EBADMSG;
}

/* Bytes one entry of level maps, 4 KiB for unknown levels. */
static uint64_t level_span(const struct mmlens_walk *w, unsigned int level)
{
	unsigned int i;

	for (i = 0; i < w->nr_levels; i++)
		if (w->levels[i].level == level && !w->levels[i].folded)
			return 1ULL << w->levels[i].shift;
	return MMLENS_PAGE_SIZE;
}

int mmlens_walk_parse(struct nl_msg *msg, struct mmlens_walk *w)
{
	static const int required[] = {
		MMLENS_A_WALK_VA, MMLENS_A_WALK_PAGING_LEVELS,
		MMLENS_A_WALK_LEAF_LEVEL, MMLENS_A_WALK_KIND,
		MMLENS_A_WALK_ENTRY, MMLENS_A_WALK_FLAGS,
	};
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct nlattr *tb[MMLENS_A_WALK_MAX + 1], *attr;
	size_t i;
	int rem;

	if (genlmsg_parse(nlh, 0, tb, MMLENS_A_WALK_MAX,
			  walk_policy) < 0)
		return -EBADMSG;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!tb[required[i]])
			return -EBADMSG;

	memset(w, 0, sizeof(*w));
	w->module = true;
	if (tb[MMLENS_A_WALK_PID])
		w->pid = nla_get_u32(tb[MMLENS_A_WALK_PID]);
	w->va = nla_get_u64(tb[MMLENS_A_WALK_VA]);
	w->paging_levels = nla_get_u32(tb[MMLENS_A_WALK_PAGING_LEVELS]);
	w->leaf_level = nla_get_u32(tb[MMLENS_A_WALK_LEAF_LEVEL]);
	w->kind = nla_get_u32(tb[MMLENS_A_WALK_KIND]);
	w->entry = nla_get_u64(tb[MMLENS_A_WALK_ENTRY]);
	w->flags = nla_get_u64(tb[MMLENS_A_WALK_FLAGS]);

	/* The levels repeat, which the table above only keeps one of. */
	nla_for_each_attr(attr, genlmsg_attrdata(gnlh, 0),
			  genlmsg_attrlen(gnlh, 0), rem) {
		if (nla_type(attr) == MMLENS_A_WALK_LEVEL) {
			if (w->nr_levels == 5 ||
			    parse_level(attr, &w->levels[w->nr_levels]))
				return -EBADMSG;
			w->nr_levels++;
		}
	}

	if ((w->has_pkey = tb[MMLENS_A_WALK_PKEY]))
		w->pkey = nla_get_u32(tb[MMLENS_A_WALK_PKEY]);
	if ((w->has_pfn = tb[MMLENS_A_WALK_PFN]))
		w->pfn = nla_get_u64(tb[MMLENS_A_WALK_PFN]);
	if ((w->has_pa = tb[MMLENS_A_WALK_PA]))
		w->pa = nla_get_u64(tb[MMLENS_A_WALK_PA]);
	if (tb[MMLENS_A_WALK_SWAP_TYPE] || tb[MMLENS_A_WALK_SWAP_OFFSET]) {
		if (!tb[MMLENS_A_WALK_SWAP_TYPE] || !tb[MMLENS_A_WALK_SWAP_OFFSET])
			return -EBADMSG;
		w->has_swap = true;
		w->swap_type = nla_get_u32(tb[MMLENS_A_WALK_SWAP_TYPE]);
		w->swap_offset = nla_get_u64(tb[MMLENS_A_WALK_SWAP_OFFSET]);
	}
	if (tb[MMLENS_A_WALK_VMA_START]) {
		if (!tb[MMLENS_A_WALK_VMA_END] || !tb[MMLENS_A_WALK_VMA_FLAGS])
			return -EBADMSG;
		w->has_vma = true;
		w->vma_start = nla_get_u64(tb[MMLENS_A_WALK_VMA_START]);
		w->vma_end = nla_get_u64(tb[MMLENS_A_WALK_VMA_END]);
		w->vma_flags = nla_get_u64(tb[MMLENS_A_WALK_VMA_FLAGS]);
	}
	if (tb[MMLENS_A_WALK_FRAME]) {
		w->has_frame = true;
		if (mmlens_frame_parse(nla_data(tb[MMLENS_A_WALK_FRAME]),
				       nla_len(tb[MMLENS_A_WALK_FRAME]), &w->frame))
			return -EBADMSG;
	}
	if (tb[MMLENS_A_WALK_PAGE_SIZE])
		w->page_size = nla_get_u64(tb[MMLENS_A_WALK_PAGE_SIZE]);
	else
		w->page_size = level_span(w, w->leaf_level);
	/* A power of two, or the arithmetic below makes no sense. */
	if (!w->page_size || (w->page_size & (w->page_size - 1)))
		return -EBADMSG;
	return 0;
}

bool mmlens_walk_to_pte(const struct mmlens_walk *w, struct mmlens_pte *rec)
{
	memset(rec, 0, sizeof(*rec));
	if (!w->module || w->kind == MMLENS_KIND_NONE)
		return false;
	rec->va = w->va & ~(w->page_size - 1);
	rec->entry = w->entry;
	/* One place for both, as in the module's records. */
	if (w->has_pfn)
		rec->pfn = w->pfn;
	else
		rec->swap_offset = w->swap_offset;
	rec->flags = w->flags;
	rec->nr = 1;
	rec->level = w->leaf_level;
	rec->kind = w->kind;
	rec->swap_type = w->swap_type;
	rec->pkey = w->pkey;
	if (w->has_frame) {
		rec->frame_flags = w->frame.flags;
		rec->refcount = w->frame.refcount;
		rec->mapcount = w->frame.mapcount;
	}
	return true;
}

/* "pgd", or NULL when the walk ended on an empty entry above the leaves. */
static const char *leaf_name(const struct mmlens_walk *w)
{
	if (!w->module)
		return NULL;
	if (w->kind == MMLENS_KIND_NONE && w->leaf_level != MMLENS_LEVEL_PTE)
		return NULL;
	return mmlens_level_name(w->leaf_level);
}

/* Whether pagemap agrees; diff and its description when it does not. */
static unsigned int pagemap_diff(const struct mmlens_walk *w, char *why,
				 size_t size)
{
	struct mmlens_pte rec;
	const struct mmlens_pte *r = NULL;
	uint64_t page = 0;
	unsigned int diff;

	if (mmlens_walk_to_pte(w, &rec)) {
		r = &rec;
		page = (w->va - rec.va) >> MMLENS_PAGE_SHIFT;
	}
	diff = mmlens_pagemap_compare(r, page, w->has_vma ? w->vma_flags : 0,
				      w->pagemap.raw);
	why[0] = '\0';
	if (diff)
		mmlens_diff_describe(why, size, diff, r, page,
				     w->has_vma ? w->vma_flags : 0, w->pagemap.raw);
	return diff;
}

static void pagemap_text(char *buf, size_t size, const struct mmlens_pagemap *pm)
{
	const char *names[] = {
		pm->present ? "present" : NULL, pm->swapped ? "swapped" : NULL,
		pm->file ? "file" : NULL, pm->exclusive ? "exclusive" : NULL,
		pm->soft_dirty ? "soft_dirty" : NULL, pm->uffd_wp ? "uffd_wp" : NULL,
	};
	size_t i, len = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!names[i])
			continue;
		n = snprintf(buf + len, size - len, "%s%s", len ? "," : "", names[i]);
		if (n > 0 && (size_t)n < size - len)
			len += n;
	}
	if (pm->present)
		snprintf(buf + len, size - len, "%spfn 0x%" PRIx64,
			 len ? " " : "", pm->pfn);
	else if (pm->swapped)
		snprintf(buf + len, size - len, " swap type %u offset 0x%" PRIx64,
			 pm->swap_type, pm->swap_offset);
	else if (!len)
		snprintf(buf, size, "nothing");
}

static void print_split(FILE *f, const char *indent, const struct mmlens_walk *w)
{
	struct mmlens_va_split s;

	mmlens_va_split(w->va, w->paging_levels, &s);
	if (s.levels == 5) {
		fprintf(f, "%sva bits   56..48  47..39  38..30  29..21  20..12  11..0\n"
			"%s          pgd     p4d     pud     pmd     pte     offset\n"
			"%sindex     %-7u %-7u %-7u %-7u %-7u 0x%03x\n",
			indent, indent, indent, s.pgd, s.p4d, s.pud, s.pmd,
			s.pte, s.offset);
	} else {
		fprintf(f, "%sva bits   47..39  38..30  29..21  20..12  11..0\n"
			"%s          pgd     pud     pmd     pte     offset\n"
			"%sindex     %-7u %-7u %-7u %-7u 0x%03x\n"
			"%s(4-level paging: no p4d level, the pgd entry stands for it)\n",
			indent, indent, indent, s.pgd, s.pud, s.pmd, s.pte,
			s.offset, indent);
	}
}

/* What a leaf of kind holds, in words. */
static const char *kind_words(unsigned int kind)
{
	switch (kind) {
	case MMLENS_KIND_NONE:
		return "empty: nothing is mapped here, an access faults";
	case MMLENS_KIND_PRESENT:
		return "present: the MMU translates through it";
	case MMLENS_KIND_SWAP:
		return "swapped out: an access faults and the kernel reads the page back";
	case MMLENS_KIND_MIGRATION:
		return "under migration: an access waits until the page has moved";
	case MMLENS_KIND_PROT_NONE:
		return "PROT_NONE or NUMA hinting: the kernel keeps the frame, the MMU faults";
	case MMLENS_KIND_MARKER:
		return "a PTE marker (uffd-wp or poisoned): no page";
	case MMLENS_KIND_DEVICE:
		return "device-private or device-exclusive: the page is a device's";
	case MMLENS_KIND_HWPOISON:
		return "hardware-poisoned: the frame was lost to a memory error";
	}
	return "of an unknown kind";
}

void mmlens_walk_print(FILE *f, const struct mmlens_walk *w)
{
	char names[1024], why[512], size[32], perms[5];
	const struct mmlens_walk_level *l;
	const char *leaf = leaf_name(w);
	unsigned int i;

	if (!w->module) {
		fprintf(f, "pid %d, va 0x%" PRIx64 " (page tables unknown without "
			"the mmlens module)\n", (int)w->pid, w->va);
	} else {
		fprintf(f, "pid %d, va 0x%" PRIx64 ", %u-level paging\n\n",
			(int)w->pid, w->va, w->paging_levels);
		print_split(f, "", w);
		fprintf(f, "\n%-6s %5s  %-18s  %-18s  %s\n", "level", "index",
			"table pa", "entry", "flags");
		for (i = 0; i < w->nr_levels; i++) {
			l = &w->levels[i];
			if (l->folded)
				snprintf(names, sizeof(names),
					 "folded: the entry above stands for it");
			else
				mmlens_flag_names(names, sizeof(names),
						  mmlens_entry_flag_names, l->flags, ',');
			fprintf(f, "%-6s %5u  0x%016" PRIx64 "  0x%016" PRIx64 "  %s\n",
				mmlens_level_name(l->level), l->index, l->table_pa,
				l->entry, names);
		}
		fputc('\n', f);
		if (leaf)
			fprintf(f, "%-14s%s, %s\n", "leaf:", leaf, mmlens_kind_name(w->kind));
		else
			fprintf(f, "%-14snone: the %s entry is empty, no table below\n",
				"leaf:", mmlens_level_name(w->leaf_level));
		fprintf(f, "%-14s%s\n", "", kind_words(w->kind));
		mmlens_flag_names(names, sizeof(names), mmlens_entry_flag_names,
				  w->flags, ',');
		fprintf(f, "%-14s0x%016" PRIx64 " %s\n", "entry:", w->entry, names);
		if (w->has_pfn)
			fprintf(f, "%-14s0x%" PRIx64 "\n", "pfn:", w->pfn);
		fprintf(f, "%-14s%s\n", "page size:",
			mmlens_human(size, sizeof(size), w->page_size));
		if (w->has_pa)
			fprintf(f, "%-14s0x%" PRIx64 "\n", "pa:", w->pa);
		if (w->has_pkey)
			fprintf(f, "%-14s%u\n", "pkey:", w->pkey);
		if (w->has_swap)
			fprintf(f, "%-14stype %u, offset 0x%" PRIx64 "\n", "swap:",
				w->swap_type, w->swap_offset);
	}
	if (w->has_vma) {
		mmlens_vm_perms(perms, w->vma_flags);
		mmlens_flag_names(names, sizeof(names), mmlens_vm_flag_names,
				  w->vma_flags, ',');
		fprintf(f, "%-14s0x%" PRIx64 "-0x%" PRIx64 " %s %s\n", "vma:",
			w->vma_start, w->vma_end, perms, names);
	} else {
		fprintf(f, "%-14snone: no VMA covers this address\n", "vma:");
	}
	if (w->pagemap_error) {
		fprintf(f, "%-14sunreadable: %s\n", "pagemap:",
			strerror(-w->pagemap_error));
	} else {
		pagemap_text(names, sizeof(names), &w->pagemap);
		fprintf(f, "%-14s0x%016" PRIx64 " %s\n", "pagemap:",
			w->pagemap.raw, names);
		if (!w->module) {
			if (w->pagemap.present)
				fprintf(f, "%-14s0x%" PRIx64 "\n", "pa:",
					(w->pagemap.pfn << MMLENS_PAGE_SHIFT) |
					(w->va & (MMLENS_PAGE_SIZE - 1)));
		} else if (pagemap_diff(w, why, sizeof(why))) {
			fprintf(f, "%-14snote: pagemap disagrees: %s\n", "", why);
		} else {
			fprintf(f, "%-14sagrees with the page tables\n", "");
		}
	}
	if (w->has_frame) {
		fputs("frame:\n", f);
		mmlens_frame_print(f, &w->frame, "  ");
	}
}

/* --explain: boxes of 80 columns, "  | " + BOX_W + " |". */
#define BOX_W 74

static void box_rule(FILE *f)
{
	char line[BOX_W + 3];

	memset(line, '-', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	fprintf(f, "  +%s+\n", line);
}

/* One line of text in the box, wrapped after commas or spaces. */
static void box_line(FILE *f, const char *fmt, ...)
{
	char text[1024];
	const char *p = text, *cut;
	int indent = 0;
	size_t room, n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	do {
		room = BOX_W - indent;
		n = strlen(p);
		if (n > room) {
			for (cut = p + room; cut > p && *cut != ',' && *cut != ' '; cut--)
				;
			n = cut > p ? (size_t)(cut - p) + (*cut == ',') : room;
		}
		fprintf(f, "  | %*s%-*.*s |\n", indent, "", (int)room, (int)n, p);
		p += n;
		p += strspn(p, " ");
		/* Continuations line up under the value of "  entry ". */
		indent = 8;
	} while (*p);
}

static void arrow(FILE *f)
{
	fputs("            |\n            v\n", f);
}

/* "PGD[255] at 0x10a3b4000 + 255*8 = 0x10a3b47f8", between before and after. */
static void box_entry_at(FILE *f, const char *before, const struct mmlens_walk_level *l,
			 const char *after)
{
	const char *name = mmlens_level_name(l->level);
	char upper[4];
	unsigned int j;

	for (j = 0; j < 3; j++)
		upper[j] = toupper((unsigned char)name[j]);
	upper[3] = '\0';
	box_line(f, "%s%s[%u] at 0x%" PRIx64 " + %u*8 = 0x%" PRIx64 "%s", before, upper,
		 l->index, l->table_pa, l->index, l->table_pa + (uint64_t)l->index * 8, after);
}

static const struct mmlens_walk_level *next_level(const struct mmlens_walk *w,
						  unsigned int i)
{
	for (i++; i < w->nr_levels; i++)
		if (!w->levels[i].folded)
			return &w->levels[i];
	return NULL;
}

void mmlens_walk_explain(FILE *f, const struct mmlens_walk *w)
{
	const struct mmlens_walk_level *l, *next, *top = NULL;
	char names[1024], size[32];
	uint64_t next_pa, frame, offset;
	unsigned int i;

	fprintf(f, "Walking the page tables of pid %d for virtual address 0x%" PRIx64 "\n"
		"(%u-level paging; each table is one 4 KiB page of 512 entries "
		"of 8 bytes)\n\n", (int)w->pid, w->va, w->paging_levels);
	print_split(f, "  ", w);
	fputc('\n', f);

	for (i = 0; i < w->nr_levels && !top; i++)
		if (!w->levels[i].folded)
			top = &w->levels[i];
	if (!top) {
		fputs("  (the walk found no table)\n", f);
		return;
	}
	fprintf(f, "  CR3 -> %s table at 0x%" PRIx64 "\n",
		mmlens_level_name(top->level), top->table_pa);

	for (i = 0; i < w->nr_levels; i++) {
		l = &w->levels[i];
		if (l->folded)
			continue;
		next = next_level(w, i);
		arrow(f);
		box_rule(f);
		box_entry_at(f, "", l, "");
		mmlens_flag_names(names, sizeof(names), mmlens_entry_flag_names,
				  l->flags, ',');
		box_line(f, "  entry 0x%016" PRIx64 ": %s", l->entry,
			 *names ? names : "empty");
		/* The module reports where the folded level's entry is: here. */
		if (i + 1 < w->nr_levels && w->levels[i + 1].folded)
			box_entry_at(f, "  and ", &w->levels[i + 1], ": the same entry, "
				     "folded into this level");
		if (next) {
			next_pa = l->entry & ENTRY_PFN_MASK;
			box_line(f, "  next table: pfn 0x%" PRIx64 " << 12 = 0x%" PRIx64
				 " (the %s table)", next_pa >> 12, next_pa,
				 mmlens_level_name(next->level));
			if (next_pa != next->table_pa)
				box_line(f, "  (mmlens found that table at 0x%" PRIx64 ")",
					 next->table_pa);
		} else if (w->kind == MMLENS_KIND_NONE &&
			   w->leaf_level != MMLENS_LEVEL_PTE) {
			box_line(f, "  empty: no table below, nothing is mapped in "
				 "these %s", mmlens_human(size, sizeof(size),
							  1ULL << l->shift));
		} else {
			box_line(f, "  %s", kind_words(w->kind));
			if (w->has_pfn)
				box_line(f, "  frame: pfn 0x%" PRIx64 " << 12 = 0x%" PRIx64
					 " (a %s page)", w->pfn,
					 w->pfn << MMLENS_PAGE_SHIFT,
					 mmlens_human(size, sizeof(size), w->page_size));
			if (w->has_swap)
				box_line(f, "  swap entry: type %u, offset 0x%" PRIx64,
					 w->swap_type, w->swap_offset);
		}
		box_rule(f);
	}

	if (w->kind == MMLENS_KIND_PRESENT && w->has_pfn) {
		frame = w->pfn << MMLENS_PAGE_SHIFT;
		offset = w->va & (w->page_size - 1);
		arrow(f);
		fprintf(f, "  pa = frame 0x%" PRIx64 " + offset 0x%" PRIx64
			" (va bits %u..0) = 0x%" PRIx64 "\n", frame, offset,
			__builtin_ctzll(w->page_size) - 1, frame + offset);
		if (w->has_pa && w->pa != frame + offset)
			fprintf(f, "  (mmlens reports pa 0x%" PRIx64 ")\n", w->pa);
	} else {
		fprintf(f, "\n  no physical address: the %s entry is %s\n",
			mmlens_level_name(w->leaf_level), mmlens_kind_name(w->kind));
	}
}

static struct json_object *json_hex_or_null(bool has, uint64_t v)
{
	return has ? mmlens_json_hex(v) : mmlens_json_null();
}

struct json_object *mmlens_pagemap_json(const struct mmlens_pagemap *pm)
{
	struct json_object *obj = json_object_new_object();

	if (!obj ||
	    mmlens_json_add(obj, "raw", mmlens_json_hex(pm->raw)) ||
	    mmlens_json_add(obj, "present", json_object_new_boolean(pm->present)) ||
	    mmlens_json_add(obj, "swapped", json_object_new_boolean(pm->swapped)) ||
	    mmlens_json_add(obj, "file", json_object_new_boolean(pm->file)) ||
	    mmlens_json_add(obj, "exclusive", json_object_new_boolean(pm->exclusive)) ||
	    mmlens_json_add(obj, "soft_dirty", json_object_new_boolean(pm->soft_dirty)) ||
	    mmlens_json_add(obj, "uffd_wp", json_object_new_boolean(pm->uffd_wp)) ||
	    mmlens_json_add(obj, "pfn", pm->present ? json_object_new_int64(pm->pfn)
						    : mmlens_json_null()) ||
	    mmlens_json_add(obj, "swap_type", pm->swapped ?
			    json_object_new_int64(pm->swap_type) : mmlens_json_null()) ||
	    mmlens_json_add(obj, "swap_offset", pm->swapped ?
			    json_object_new_int64(pm->swap_offset) : mmlens_json_null())) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

static struct json_object *level_json(const struct mmlens_walk_level *l)
{
	struct json_object *obj = json_object_new_object();

	if (!obj ||
	    mmlens_json_add(obj, "name", json_object_new_string(mmlens_level_name(l->level))) ||
	    mmlens_json_add(obj, "index", json_object_new_int64(l->index)) ||
	    mmlens_json_add(obj, "shift", json_object_new_int64(l->shift)) ||
	    mmlens_json_add(obj, "table_pa", mmlens_json_hex(l->table_pa)) ||
	    mmlens_json_add(obj, "entry", mmlens_json_hex(l->entry)) ||
	    mmlens_json_add(obj, "flags", mmlens_json_flags(mmlens_entry_flag_names,
							    l->flags)) ||
	    mmlens_json_add(obj, "folded", json_object_new_boolean(l->folded))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

static struct json_object *levels_json(const struct mmlens_walk *w)
{
	struct json_object *arr = json_object_new_array(), *l;
	unsigned int i;

	for (i = 0; arr && i < w->nr_levels; i++) {
		l = level_json(&w->levels[i]);
		if (!l || json_object_array_add(arr, l)) {
			json_object_put(l);
			json_object_put(arr);
			return NULL;
		}
	}
	return arr;
}

static struct json_object *swap_json(bool has, unsigned int type, uint64_t offset)
{
	struct json_object *obj;

	if (!has)
		return mmlens_json_null();
	obj = json_object_new_object();
	if (!obj ||
	    mmlens_json_add(obj, "type", json_object_new_int64(type)) ||
	    mmlens_json_add(obj, "offset", json_object_new_int64(offset))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

static struct json_object *vma_json(const struct mmlens_walk *w)
{
	struct json_object *obj;

	if (!w->has_vma)
		return mmlens_json_null();
	obj = json_object_new_object();
	if (!obj ||
	    mmlens_json_add(obj, "start", mmlens_json_hex(w->vma_start)) ||
	    mmlens_json_add(obj, "end", mmlens_json_hex(w->vma_end)) ||
	    mmlens_json_add(obj, "flags", mmlens_json_flags(mmlens_vm_flag_names,
							    w->vma_flags)) ||
	    mmlens_json_add(obj, "vm_flags", mmlens_json_hex(w->vma_flags))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

/* The module's view, or else pagemap's. */
static void leaf_view(const struct mmlens_walk *w, const char **kind,
		      bool *has_pfn, uint64_t *pfn, bool *has_pa, uint64_t *pa,
		      bool *has_swap, unsigned int *swap_type, uint64_t *swap_offset)
{
	const struct mmlens_pagemap *pm = &w->pagemap;

	if (w->module) {
		*kind = mmlens_kind_name(w->kind);
		*has_pfn = w->has_pfn;
		*pfn = w->pfn;
		*has_pa = w->has_pa;
		*pa = w->pa;
		*has_swap = w->has_swap;
		*swap_type = w->swap_type;
		*swap_offset = w->swap_offset;
		return;
	}
	*kind = pm->present ? "present" : pm->swapped ? "swap" : "none";
	*has_pfn = *has_pa = pm->present;
	*pfn = pm->pfn;
	*pa = (pm->pfn << MMLENS_PAGE_SHIFT) | (w->va & (MMLENS_PAGE_SIZE - 1));
	*has_swap = pm->swapped;
	*swap_type = pm->swap_type;
	*swap_offset = pm->swap_offset;
}

struct json_object *mmlens_walk_json(const struct mmlens_walk *w)
{
	bool has_pfn, has_pa, has_swap, pm_ok = !w->pagemap_error;
	uint64_t pfn, pa, swap_offset;
	unsigned int swap_type, diff = 0;
	const char *kind, *leaf = leaf_name(w);
	struct json_object *obj;
	char why[512] = "";

	leaf_view(w, &kind, &has_pfn, &pfn, &has_pa, &pa, &has_swap,
		  &swap_type, &swap_offset);
	if (w->module && pm_ok)
		diff = pagemap_diff(w, why, sizeof(why));

	obj = json_object_new_object();
	if (!obj ||
	    mmlens_json_add(obj, "pid", json_object_new_int64(w->pid)) ||
	    mmlens_json_add(obj, "va", mmlens_json_hex(w->va)) ||
	    mmlens_json_add(obj, "source", json_object_new_string(
				    w->module ? "mmlens" : "pagemap")) ||
	    mmlens_json_add(obj, "paging_levels", w->module ?
			    json_object_new_int64(w->paging_levels) :
			    mmlens_json_null()) ||
	    mmlens_json_add(obj, "levels", levels_json(w)) ||
	    mmlens_json_add(obj, "leaf", leaf ? json_object_new_string(leaf) :
			    mmlens_json_null()) ||
	    mmlens_json_add(obj, "kind", json_object_new_string(kind)) ||
	    mmlens_json_add(obj, "entry", json_hex_or_null(w->module, w->entry)) ||
	    mmlens_json_add(obj, "flags", w->module ?
			    mmlens_json_flags(mmlens_entry_flag_names, w->flags) :
			    mmlens_json_null()) ||
	    mmlens_json_add(obj, "pfn", has_pfn ? json_object_new_int64(pfn) :
			    mmlens_json_null()) ||
	    mmlens_json_add(obj, "pa", json_hex_or_null(has_pa, pa)) ||
	    mmlens_json_add(obj, "page_size", json_object_new_int64(
				    w->module ? w->page_size : MMLENS_PAGE_SIZE)) ||
	    mmlens_json_add(obj, "pkey", w->has_pkey ?
			    json_object_new_int64(w->pkey) : mmlens_json_null()) ||
	    mmlens_json_add(obj, "swap", swap_json(has_swap, swap_type, swap_offset)) ||
	    mmlens_json_add(obj, "frame", w->has_frame ? mmlens_frame_json(&w->frame) :
			    mmlens_json_null()) ||
	    mmlens_json_add(obj, "pagemap", pm_ok ? mmlens_pagemap_json(&w->pagemap) :
			    mmlens_json_null()) ||
	    mmlens_json_add(obj, "pagemap_agrees", w->module && pm_ok ?
			    json_object_new_boolean(!diff) : mmlens_json_null()) ||
	    mmlens_json_add(obj, "pagemap_differences", diff ?
			    json_object_new_string(why) : mmlens_json_null()) ||
	    mmlens_json_add(obj, "vma", vma_json(w))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

struct walk_req {
	pid_t pid;
	uint64_t va;
};

static int put_walk(struct nl_msg *msg, const void *arg)
{
	const struct walk_req *r = arg;

	if (nla_put_u32(msg, MMLENS_A_WALK_PID, r->pid) ||
	    nla_put_u64(msg, MMLENS_A_WALK_VA, r->va))
		return -ENOMEM;
	return 0;
}

struct walk_reply {
	struct mmlens_walk walk;
	int replies;
};

static int walk_reply_cb(struct nl_msg *msg, void *arg)
{
	struct walk_reply *r = arg;

	if (r->replies++)
		return -EBADMSG;
	return mmlens_walk_parse(msg, &r->walk);
}

int mmlens_translate_one(const struct mmlens_ctx *ctx, struct mmlens_nl *nl,
			 pid_t pid, uint64_t va, struct mmlens_walk *w)
{
	struct walk_req want = { .pid = pid, .va = va };
	struct walk_reply reply = { .replies = 0 };
	struct mmlens_req req = {
		.cmd = MMLENS_CMD_TRANSLATE,
		.put = put_walk,
		.reply = walk_reply_cb,
		.put_arg = &want,
		.reply_arg = &reply,
	};

	if (mmlens_request(ctx, nl, &req))
		return MMLENS_EXIT_FAIL;
	if (!reply.replies) {
		mmlens_err(ctx, "no reply from the kernel module");
		return MMLENS_EXIT_FAIL;
	}
	*w = reply.walk;
	w->pid = pid;
	return MMLENS_EXIT_OK;
}

/* Reads the pagemap entry at va; -ERANGE beyond the user address space. */
static int read_pagemap(int fd, uint64_t va, struct mmlens_pagemap *pm)
{
	uint64_t raw;
	ssize_t n;

	n = mmlens_pread_words(fd, va >> MMLENS_PAGE_SHIFT, &raw, 1);
	if (n < 0)
		return n;
	if (!n)
		return -ERANGE;
	mmlens_pagemap_decode(raw, pm);
	return 0;
}

/* Without the module: pagemap, maps and kpageflags. */
static int walk_from_proc(const struct mmlens_ctx *ctx, pid_t pid, uint64_t va,
			  struct mmlens_walk *w)
{
	const struct mmlens_map *m;
	struct mmlens_maps maps;
	char path[64];
	int fd, ret;

	memset(w, 0, sizeof(*w));
	w->pid = pid;
	w->va = va;
	fd = mmlens_pagemap_open(pid);
	ret = fd < 0 ? fd : read_pagemap(fd, va, &w->pagemap);
	if (fd >= 0)
		close(fd);
	if (ret == -ERANGE) {
		mmlens_err(ctx, "0x%" PRIx64 " is not a user address of PID %d",
			   va, (int)pid);
		return MMLENS_EXIT_FAIL;
	}
	if (ret) {
		mmlens_err_proc(ctx, pid, "pagemap", ret);
		return MMLENS_EXIT_FAIL;
	}

	mmlens_proc_path(path, sizeof(path), pid, "maps");
	if (!mmlens_maps_load(path, &maps)) {
		m = mmlens_maps_find(&maps, va);
		if (m) {
			w->has_vma = true;
			w->vma_start = m->start;
			w->vma_end = m->end;
			w->vma_flags = mmlens_map_vm_flags(m);
		}
		mmlens_maps_free(&maps);
	}
	if (w->pagemap.present && w->pagemap.pfn) {
		w->has_frame = true;
		w->frame.pfn = w->pagemap.pfn;
		mmlens_frame_read_proc(&w->frame);
	}
	return MMLENS_EXIT_OK;
}

int mmlens_cmd_translate(struct mmlens_ctx *ctx, int argc, char **argv)
{
	struct json_object *obj;
	struct mmlens_walk w;
	struct mmlens_nl nl;
	uint64_t va;
	int first, ret, fd;
	pid_t pid;

	ret = mmlens_cmd_options(ctx, argc, argv, 2, 2, &first);
	if (ret >= 0)
		return ret;
	if (mmlens_arg_pid(ctx, argv[first], &pid) ||
	    mmlens_arg_u64(ctx, "address", argv[first + 1], &va))
		return MMLENS_EXIT_USAGE;
	ret = mmlens_check_target(ctx, pid);
	if (ret)
		return ret;

	ret = mmlens_connect_or_proc(ctx, &nl, "/proc/PID/pagemap");
	if (ret == MMLENS_EXIT_FAIL)
		return ret;
	if (ret) {
		if (walk_from_proc(ctx, pid, va, &w))
			return MMLENS_EXIT_FAIL;
	} else {
		ret = mmlens_translate_one(ctx, &nl, pid, va, &w);
		mmlens_nl_close(&nl);
		if (ret)
			return ret;
		/* Shown as unreadable: the module's answer stands alone. */
		fd = mmlens_pagemap_open(pid);
		w.pagemap_error = fd < 0 ? fd : read_pagemap(fd, va, &w.pagemap);
		if (fd >= 0)
			close(fd);
	}

	if (ctx->json) {
		obj = mmlens_walk_json(&w);
		ret = obj ? mmlens_json_print(stdout, obj) : -ENOMEM;
		json_object_put(obj);
		if (ret) {
			mmlens_err(ctx, "%s", strerror(-ret));
			return MMLENS_EXIT_FAIL;
		}
	} else if (w.module && (ctx->opts & MMLENS_OPT_EXPLAIN)) {
		mmlens_walk_explain(stdout, &w);
	} else {
		mmlens_walk_print(stdout, &w);
	}
	return MMLENS_EXIT_OK;
}
