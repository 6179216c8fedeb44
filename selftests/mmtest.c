// SPDX-License-Identifier: GPL-2.0
/*
 * Shared helpers of the mmlens selftests; see mmtest.h.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <malloc.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "mmtest.h"
#include "paging.h"

__thread char mmt_parse_error[256];

/*
 * A test that asks mmlens about itself must not change its own address space
 * while the dump runs (the kernel would flag it interrupted) nor between
 * reading /proc and asking mmlens: keep malloc on the heap and never shrink it.
 */
static void __attribute__((constructor)) mmt_malloc_setup(void)
{
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	mallopt(M_TOP_PAD, 16 << 20);
}

/* ---- strict reply parsing ---------------------------------------------- */

enum mmt_type { T_NONE, T_PAD, T_U32, T_U64, T_STR, T_FLAG, T_NEST, T_BIN };

static const enum mmt_type walk_types[MMLENS_A_WALK_MAX + 1] = {
	[MMLENS_A_WALK_PAD] = T_PAD,
	[MMLENS_A_WALK_PID] = T_U32,
	[MMLENS_A_WALK_VA] = T_U64,
	[MMLENS_A_WALK_PAGING_LEVELS] = T_U32,
	[MMLENS_A_WALK_LEVEL] = T_NEST,
	[MMLENS_A_WALK_LEAF_LEVEL] = T_U32,
	[MMLENS_A_WALK_KIND] = T_U32,
	[MMLENS_A_WALK_ENTRY] = T_U64,
	[MMLENS_A_WALK_FLAGS] = T_U64,
	[MMLENS_A_WALK_PKEY] = T_U32,
	[MMLENS_A_WALK_PFN] = T_U64,
	[MMLENS_A_WALK_PAGE_SIZE] = T_U64,
	[MMLENS_A_WALK_PA] = T_U64,
	[MMLENS_A_WALK_SWAP_TYPE] = T_U32,
	[MMLENS_A_WALK_SWAP_OFFSET] = T_U64,
	[MMLENS_A_WALK_VMA_START] = T_U64,
	[MMLENS_A_WALK_VMA_END] = T_U64,
	[MMLENS_A_WALK_VMA_FLAGS] = T_U64,
	[MMLENS_A_WALK_FRAME] = T_NEST,
};

static const enum mmt_type level_types[MMLENS_A_LEVEL_MAX + 1] = {
	[MMLENS_A_LEVEL_PAD] = T_PAD,
	[MMLENS_A_LEVEL_LEVEL] = T_U32,
	[MMLENS_A_LEVEL_INDEX] = T_U32,
	[MMLENS_A_LEVEL_SHIFT] = T_U32,
	[MMLENS_A_LEVEL_TABLE_PA] = T_U64,
	[MMLENS_A_LEVEL_ENTRY] = T_U64,
	[MMLENS_A_LEVEL_FLAGS] = T_U64,
	[MMLENS_A_LEVEL_FOLDED] = T_FLAG,
};

static const enum mmt_type frame_types[MMLENS_A_FRAME_MAX + 1] = {
	[MMLENS_A_FRAME_PAD] = T_PAD,
	[MMLENS_A_FRAME_PFN] = T_U64,
	[MMLENS_A_FRAME_REFCOUNT] = T_U32,
	[MMLENS_A_FRAME_MAPCOUNT] = T_U32,
	[MMLENS_A_FRAME_FOLIO_MAPCOUNT] = T_U32,
	[MMLENS_A_FRAME_ORDER] = T_U32,
	[MMLENS_A_FRAME_FLAGS] = T_U64,
	[MMLENS_A_FRAME_NID] = T_U32,
};

static const enum mmt_type mm_types[MMLENS_A_MM_MAX + 1] = {
	[MMLENS_A_MM_PAD] = T_PAD,
	[MMLENS_A_MM_PID] = T_U32,
	[MMLENS_A_MM_TGID] = T_U32,
	[MMLENS_A_MM_COMM] = T_STR,
	[MMLENS_A_MM_PAGING_LEVELS] = T_U32,
	[MMLENS_A_MM_PGD_PA] = T_U64,
	[MMLENS_A_MM_CONTEXT_ID] = T_U64,
	[MMLENS_A_MM_TLB_GEN] = T_U64,
	[MMLENS_A_MM_MAP_COUNT] = T_U32,
	[MMLENS_A_MM_TOTAL_VM ... MMLENS_A_MM_MAJ_FLT] = T_U64,
	[MMLENS_A_MM_PT_PAGES] = T_NEST,
};

static const enum mmt_type pt_types[MMLENS_A_PT_PAGES_MAX + 1] = {
	[MMLENS_A_PT_PAGES_PAD] = T_PAD,
	[MMLENS_A_PT_PAGES_PGD ... MMLENS_A_PT_PAGES_PTE] = T_U64,
};

static const enum mmt_type vma_types[MMLENS_A_VMA_MAX + 1] = {
	[MMLENS_A_VMA_PAD] = T_PAD,
	[MMLENS_A_VMA_PID] = T_U32,
	[MMLENS_A_VMA_START] = T_U64,
	[MMLENS_A_VMA_END] = T_U64,
	[MMLENS_A_VMA_FLAGS] = T_U64,
	[MMLENS_A_VMA_PGOFF] = T_U64,
	[MMLENS_A_VMA_KIND] = T_U32,
	[MMLENS_A_VMA_FILE] = T_STR,
	[MMLENS_A_VMA_ANON_VMA] = T_FLAG,
	[MMLENS_A_VMA_PAGE_SIZE ... MMLENS_A_VMA_PUD_LEAVES] = T_U64,
};

static const enum mmt_type pte_types[MMLENS_A_PTE_MAX + 1] = {
	[MMLENS_A_PTE_PAD] = T_PAD,
	[MMLENS_A_PTE_PID] = T_U32,
	[MMLENS_A_PTE_START] = T_U64,
	[MMLENS_A_PTE_END] = T_U64,
	[MMLENS_A_PTE_RUNS] = T_FLAG,
	[MMLENS_A_PTE_RECORDS] = T_BIN,
};

static int bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mmt_parse_error, sizeof(mmt_parse_error), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/*
 * Parses the attributes in [head, head + len) of set `set` into a, handing
 * nests and binaries to nest_cb.
 */
static int parse_attrs(const char *set, const enum mmt_type *types, int max,
		       struct nlattr *head, int len, struct mmt_attrs *a,
		       int (*nest_cb)(int type, struct nlattr *attr, void *arg), void *arg)
{
	struct nlattr *attr;
	int rem, ret;

	memset(a, 0, sizeof(*a));
	nla_for_each_attr(attr, head, len, rem) {
		int type = nla_type(attr);
		int alen = nla_len(attr);

		if (attr->nla_type & NLA_F_NESTED && types[type] != T_NEST)
			return bad("%s: attribute %d flagged nested", set, type);
		if (type <= 0 || type > max || types[type] == T_NONE)
			return bad("%s: unknown attribute %d", set, type);
		if (types[type] == T_PAD)
			continue;
		if (mmt_has(a, type) && types[type] != T_NEST && types[type] != T_BIN)
			return bad("%s: attribute %d twice", set, type);
		a->have |= 1ULL << type;
		switch (types[type]) {
		case T_U32:
			if (alen != 4)
				return bad("%s: attribute %d is u32 but %d bytes", set, type, alen);
			a->v[type] = nla_get_u32(attr);
			break;
		case T_U64:
			if (alen != 8)
				return bad("%s: attribute %d is u64 but %d bytes", set, type, alen);
			a->v[type] = nla_get_u64(attr);
			break;
		case T_FLAG:
			if (alen != 0)
				return bad("%s: flag attribute %d has %d bytes", set, type, alen);
			a->v[type] = 1;
			break;
		case T_STR:
			if (alen < 1 || ((char *)nla_data(attr))[alen - 1] != '\0' ||
			    strlen(nla_data(attr)) != (size_t)alen - 1)
				return bad("%s: string attribute %d not NUL-terminated", set, type);
			snprintf(a->str, sizeof(a->str), "%s", (char *)nla_data(attr));
			break;
		case T_NEST:
		case T_BIN:
			if (!nest_cb)
				return bad("%s: unexpected nest %d", set, type);
			ret = nest_cb(type, attr, arg);
			if (ret)
				return ret;
			break;
		default:
			break;
		}
	}
	if (rem)
		return bad("%s: %d trailing bytes", set, rem);
	return 0;
}

static int walk_nest(int type, struct nlattr *attr, void *arg)
{
	struct mmt_walk *w = arg;

	if (type == MMLENS_A_WALK_LEVEL) {
		if (w->nlevels >= (int)(sizeof(w->level) / sizeof(w->level[0])))
			return bad("walk: more than 8 levels");
		return parse_attrs("level", level_types, MMLENS_A_LEVEL_MAX, nla_data(attr),
				   nla_len(attr), &w->level[w->nlevels++], NULL, NULL);
	}
	if (type == MMLENS_A_WALK_FRAME) {
		if (w->nframes++)
			return bad("walk: two frame nests");
		return parse_attrs("frame", frame_types, MMLENS_A_FRAME_MAX, nla_data(attr),
				   nla_len(attr), &w->frame, NULL, NULL);
	}
	return bad("walk: nest %d", type);
}

struct one_reply {
	int replies;
	int (*parse)(struct nlmsghdr *nlh, void *obj);
	void *obj;
};

static int one_reply_cb(struct nl_msg *msg, void *arg)
{
	struct one_reply *r = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *g = nlmsg_data(nlh);

	if (r->replies++)
		return bad("more than one reply");
	if (g->version != MMLENS_GENL_VERSION)
		return bad("reply genl version %u", g->version);
	return r->parse(nlh, r->obj);
}

static int parse_walk(struct nlmsghdr *nlh, void *obj)
{
	struct mmt_walk *w = obj;

	w->nlevels = 0;
	w->nframes = 0;
	return parse_attrs("walk", walk_types, MMLENS_A_WALK_MAX, genlmsg_attrdata(nlmsg_data(nlh), 0),
			   genlmsg_attrlen(nlmsg_data(nlh), 0), &w->a, walk_nest, w);
}

static int parse_frame(struct nlmsghdr *nlh, void *obj)
{
	return parse_attrs("frame", frame_types, MMLENS_A_FRAME_MAX,
			   genlmsg_attrdata(nlmsg_data(nlh), 0),
			   genlmsg_attrlen(nlmsg_data(nlh), 0), obj, NULL, NULL);
}

static int mm_nest(int type, struct nlattr *attr, void *arg)
{
	struct mmt_mm *m = arg;

	if (type != MMLENS_A_MM_PT_PAGES || m->npt++)
		return bad("mm: unexpected nest %d", type);
	return parse_attrs("pt-pages", pt_types, MMLENS_A_PT_PAGES_MAX, nla_data(attr),
			   nla_len(attr), &m->pt, NULL, NULL);
}

static int parse_mm(struct nlmsghdr *nlh, void *obj)
{
	struct mmt_mm *m = obj;

	m->npt = 0;
	return parse_attrs("mm", mm_types, MMLENS_A_MM_MAX, genlmsg_attrdata(nlmsg_data(nlh), 0),
			   genlmsg_attrlen(nlmsg_data(nlh), 0), &m->a, mm_nest, m);
}

static int do_one(struct mmlens_nl *nl, struct nl_msg *msg,
		  int (*parse)(struct nlmsghdr *, void *), void *obj,
		  struct mmlens_nl_err *err)
{
	struct one_reply r = { .parse = parse, .obj = obj };
	int ret;

	mmt_parse_error[0] = '\0';
	ret = mmlens_nl_transact(nl, msg, one_reply_cb, &r, err);
	if (!ret && r.replies != 1)
		ret = bad("%d replies", r.replies);
	return ret;
}

int mmt_translate(struct mmlens_nl *nl, pid_t pid, uint64_t va, struct mmt_walk *w,
		  struct mmlens_nl_err *err)
{
	struct nl_msg *msg = mmlens_nl_request(nl, MMLENS_CMD_TRANSLATE, 0);

	if (!msg)
		return -ENOMEM;
	memset(w, 0, sizeof(*w));
	if (nla_put_u32(msg, MMLENS_A_WALK_PID, pid) || nla_put_u64(msg, MMLENS_A_WALK_VA, va)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return do_one(nl, msg, parse_walk, w, err);
}

int mmt_get_frame(struct mmlens_nl *nl, uint64_t pfn, struct mmt_attrs *f,
		  struct mmlens_nl_err *err)
{
	struct nl_msg *msg = mmlens_nl_request(nl, MMLENS_CMD_GET_FRAME, 0);

	if (!msg)
		return -ENOMEM;
	memset(f, 0, sizeof(*f));
	if (nla_put_u64(msg, MMLENS_A_FRAME_PFN, pfn)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return do_one(nl, msg, parse_frame, f, err);
}

int mmt_get_mm(struct mmlens_nl *nl, pid_t pid, struct mmt_mm *m, struct mmlens_nl_err *err)
{
	struct nl_msg *msg = mmlens_nl_request(nl, MMLENS_CMD_GET_MM, 0);

	if (!msg)
		return -ENOMEM;
	memset(m, 0, sizeof(*m));
	if (nla_put_u32(msg, MMLENS_A_MM_PID, pid)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return do_one(nl, msg, parse_mm, m, err);
}

static int status_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MMLENS_A_STATUS_MAX + 1];
	struct mmt_status *st = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MMLENS_A_STATUS_MAX, NULL))
		return -EBADMSG;
	if (tb[MMLENS_A_STATUS_PAGING_LEVELS])
		st->paging_levels = nla_get_u32(tb[MMLENS_A_STATUS_PAGING_LEVELS]);
	if (tb[MMLENS_A_STATUS_USER_VA_BITS])
		st->user_va_bits = nla_get_u32(tb[MMLENS_A_STATUS_USER_VA_BITS]);
	if (tb[MMLENS_A_STATUS_PAGE_SIZE])
		st->page_size = nla_get_u32(tb[MMLENS_A_STATUS_PAGE_SIZE]);
	if (tb[MMLENS_A_STATUS_PHYS_BITS])
		st->phys_bits = nla_get_u32(tb[MMLENS_A_STATUS_PHYS_BITS]);
	st->pti = !!tb[MMLENS_A_STATUS_PTI];
	return 0;
}

int mmt_get_status(struct mmlens_nl *nl, struct mmt_status *st, struct mmlens_nl_err *err)
{
	memset(st, 0, sizeof(*st));
	return mmlens_nl_transact(nl, mmlens_nl_request(nl, MMLENS_CMD_GET_STATUS, 0),
				  status_cb, st, err);
}

/* ---- dumps ---------------------------------------------------------------- */

void mmt_vmas_reserve(struct mmt_vmas *v, int n)
{
	if (v->cap >= n)
		return;
	v->vma = realloc(v->vma, n * sizeof(*v->vma));
	v->cap = v->vma ? n : 0;
}

void mmt_ptes_reserve(struct mmt_ptes *p, size_t n)
{
	if (p->cap >= n)
		return;
	p->rec = realloc(p->rec, n * sizeof(*p->rec));
	p->cap = p->rec ? n : 0;
}

void mmt_vmas_free(struct mmt_vmas *v)
{
	free(v->vma);
	memset(v, 0, sizeof(*v));
}

void mmt_ptes_free(struct mmt_ptes *p)
{
	free(p->rec);
	memset(p, 0, sizeof(*p));
}

static int vma_cb(struct nl_msg *msg, void *arg)
{
	struct mmt_vmas *v = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (!(nlh->nlmsg_flags & NLM_F_MULTI))
		return bad("vma dump message without NLM_F_MULTI");
	if (v->n == v->cap)
		mmt_vmas_reserve(v, v->cap ? 2 * v->cap : 256);
	if (v->n == v->cap)
		return -ENOMEM;
	return parse_attrs("vma", vma_types, MMLENS_A_VMA_MAX, genlmsg_attrdata(nlmsg_data(nlh), 0),
			   genlmsg_attrlen(nlmsg_data(nlh), 0), &v->vma[v->n++], NULL, NULL);
}

int mmt_get_vmas_once(struct mmlens_nl *nl, pid_t pid, uint64_t start, uint64_t end,
		      struct mmt_vmas *out, struct mmlens_nl_err *err)
{
	struct nl_msg *msg = mmlens_nl_request(nl, MMLENS_CMD_GET_VMA, NLM_F_DUMP);

	if (!msg)
		return -ENOMEM;
	out->n = 0;
	mmt_parse_error[0] = '\0';
	if (nla_put_u32(msg, MMLENS_A_VMA_PID, pid) ||
	    (start != MMT_NONE && nla_put_u64(msg, MMLENS_A_VMA_START, start)) ||
	    (end != MMT_NONE && nla_put_u64(msg, MMLENS_A_VMA_END, end))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return mmlens_nl_transact(nl, msg, vma_cb, out, err);
}

int mmt_get_vmas(struct mmlens_nl *nl, pid_t pid, uint64_t start, uint64_t end,
		 struct mmt_vmas *out, struct mmlens_nl_err *err)
{
	int ret = -EAGAIN, tries;

	for (tries = 0; tries < 50 && ret == -EAGAIN; tries++)
		ret = mmt_get_vmas_once(nl, pid, start, end, out, err);
	return ret;
}

static int pte_nest(int type, struct nlattr *attr, void *arg)
{
	struct mmt_ptes *p = arg;
	size_t n, len = nla_len(attr);

	if (type != MMLENS_A_PTE_RECORDS)
		return bad("pte: unexpected nest %d", type);
	if (len % sizeof(struct mmlens_pte))
		return bad("pte records: %zu bytes, not a multiple of %zu", len,
			   sizeof(struct mmlens_pte));
	n = len / sizeof(struct mmlens_pte);
	if (p->n + n > p->cap)
		mmt_ptes_reserve(p, 2 * (p->n + n) + 1024);
	if (p->n + n > p->cap)
		return -ENOMEM;
	memcpy(p->rec + p->n, nla_data(attr), len);
	p->n += n;
	return 0;
}

static int pte_cb(struct nl_msg *msg, void *arg)
{
	struct mmt_ptes *p = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct mmt_attrs a;
	int ret;

	if (!(nlh->nlmsg_flags & NLM_F_MULTI))
		return bad("pte dump message without NLM_F_MULTI");
	ret = parse_attrs("pte", pte_types, MMLENS_A_PTE_MAX, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), &a, pte_nest, p);
	if (!ret && mmt_has(&a, MMLENS_A_PTE_RECORDS))
		p->messages++;
	return ret;
}

int mmt_get_ptes_once(struct mmlens_nl *nl, pid_t pid, uint64_t start, uint64_t end, bool runs,
		      struct mmt_ptes *out, struct mmlens_nl_err *err)
{
	struct nl_msg *msg = mmlens_nl_request(nl, MMLENS_CMD_GET_PTE, NLM_F_DUMP);

	if (!msg)
		return -ENOMEM;
	out->n = 0;
	out->messages = 0;
	mmt_parse_error[0] = '\0';
	if (nla_put_u32(msg, MMLENS_A_PTE_PID, pid) ||
	    (start != MMT_NONE && nla_put_u64(msg, MMLENS_A_PTE_START, start)) ||
	    (end != MMT_NONE && nla_put_u64(msg, MMLENS_A_PTE_END, end)) ||
	    (runs && nla_put_flag(msg, MMLENS_A_PTE_RUNS))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return mmlens_nl_transact(nl, msg, pte_cb, out, err);
}

int mmt_get_ptes(struct mmlens_nl *nl, pid_t pid, uint64_t start, uint64_t end, bool runs,
		 struct mmt_ptes *out, struct mmlens_nl_err *err)
{
	int ret = -EAGAIN, tries;

	for (tries = 0; tries < 50 && ret == -EAGAIN; tries++)
		ret = mmt_get_ptes_once(nl, pid, start, end, runs, out, err);
	return ret;
}

const struct mmlens_pte *mmt_ptes_find(const struct mmt_ptes *p, uint64_t va)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct mmlens_pte *r = &p->rec[i];
		uint64_t size = (r->nr ? r->nr : 1) * mmt_level_size(r->level);

		if (va >= r->va && va - r->va < size)
			return r;
	}
	return NULL;
}

/* ---- /proc --------------------------------------------------------------- */

static int pread_u64s(const char *path, uint64_t index, size_t n, uint64_t *out)
{
	int fd = open(path, O_RDONLY);
	ssize_t got;

	if (fd < 0)
		return -errno;
	got = pread(fd, out, n * 8, index * 8);
	close(fd);
	if (got < 0)
		return -errno;
	if ((size_t)got != n * 8)
		return -ENODATA;
	return 0;
}

int mmt_pagemap_range(pid_t pid, uint64_t va, size_t npages, uint64_t *pme)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/pagemap");
	return pread_u64s(path, va / MMT_PAGE_SIZE, npages, pme);
}

int mmt_pagemap(pid_t pid, uint64_t va, uint64_t *pme)
{
	return mmt_pagemap_range(pid, va, 1, pme);
}

int mmt_kpageflags(uint64_t pfn, uint64_t *flags)
{
	return pread_u64s("/proc/kpageflags", pfn, 1, flags);
}

int mmt_kpagecount(uint64_t pfn, uint64_t *count)
{
	return pread_u64s("/proc/kpagecount", pfn, 1, count);
}

static void unescape_path(char *s)
{
	/* show_map_vma escapes only "\n" as "\012". */
	char *r = s, *w = s;

	while (*r) {
		if (r[0] == '\\' && r[1] == '0' && r[2] == '1' && r[3] == '2') {
			*w++ = '\n';
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

int mmt_read_maps(pid_t pid, struct mmt_map **maps, int *n)
{
	char path[64], line[8192];
	struct mmt_map *m = NULL;
	int cnt = 0, cap = 0;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct mmt_map *e;
		int off = 0;

		if (cnt == cap) {
			cap = cap ? 2 * cap : 128;
			m = realloc(m, cap * sizeof(*m));
			if (!m) {
				fclose(f);
				return -ENOMEM;
			}
		}
		e = &m[cnt];
		memset(e, 0, sizeof(*e));
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %lu %n",
			   &e->start, &e->end, e->perms, &e->offset, &e->major, &e->minor,
			   &e->inode, &off) < 7) {
			fclose(f);
			free(m);
			return -EBADMSG;
		}
		if (off)
			snprintf(e->path, sizeof(e->path), "%s", line + off);
		unescape_path(e->path);
		cnt++;
	}
	fclose(f);
	*maps = m;
	*n = cnt;
	return 0;
}

static long field_of(const char *path, const char *field);

int mmt_smaps_vmflags(pid_t pid, uint64_t start, char *buf, size_t size)
{
	char path[64], line[8192];
	bool in = false;
	int ret = -ENOENT;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/smaps");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		size_t k = strspn(line, "0123456789abcdef");

		if (k && line[k] == '-') {
			in = strtoull(line, NULL, 16) == start;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, size, "%s", line + 8);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

uint64_t mmt_vmflags_bits(const char *vmflags, uint64_t *known)
{
	/* show_smap_vma_flags() mnemonics whose VM_* bit is the same on 6.1 and 6.12 */
	static const struct { char name[3]; uint64_t bit; } map[] = {
		{ "rd", 0x1 }, { "wr", 0x2 }, { "ex", 0x4 }, { "sh", 0x8 }, { "mr", 0x10 },
		{ "mw", 0x20 }, { "me", 0x40 }, { "ms", 0x80 }, { "gd", 0x100 }, { "pf", 0x400 },
		{ "lo", 0x2000 }, { "io", 0x4000 }, { "sr", 0x8000 }, { "rr", 0x10000 },
		{ "dc", 0x20000 }, { "de", 0x40000 }, { "lf", 0x80000 }, { "ac", 0x100000 },
		{ "nr", 0x200000 }, { "ht", 0x400000 }, { "sf", 0x800000 }, { "wf", 0x2000000 },
		{ "dd", 0x4000000 }, { "sd", 0x8000000 }, { "mm", 0x10000000 },
		{ "hg", 0x20000000 }, { "nh", 0x40000000 }, { "mg", 0x80000000 },
	};
	uint64_t bits = 0;
	unsigned int i;

	*known = 0;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		char word[5] = { ' ', map[i].name[0], map[i].name[1], ' ', 0 };
		char padded[512];

		snprintf(padded, sizeof(padded), " %s ", vmflags);
		*known |= map[i].bit;
		if (strstr(padded, word))
			bits |= map[i].bit;
	}
	return bits;
}

long mmt_smaps_kb(pid_t pid, uint64_t start, const char *field)
{
	char path[64], line[8192];
	size_t flen = strlen(field);
	bool in = false;
	long val = -1;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/smaps");
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		size_t k = strspn(line, "0123456789abcdef");

		/* VMA header lines start "start-end "; field names are capitalised. */
		if (k && line[k] == '-') {
			in = strtoull(line, NULL, 16) == start;
			continue;
		}
		if (in && !strncmp(line, field, flen)) {
			val = strtol(line + flen, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

long mmt_smaps_rollup_kb(pid_t pid, const char *field)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/smaps_rollup");
	return field_of(path, field);
}

uint64_t mmt_rss_slack(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	uint64_t batch = cpus * 2 > 32 ? cpus * 2 : 32;

	if (cpus < 1)
		cpus = 1;
	return batch * cpus > 64 ? batch * cpus : 64;
}

long mmt_status_field(pid_t pid, const char *field)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	return field_of(path, field);
}

static long field_of(const char *path, const char *field)
{
	char line[1024];
	size_t flen = strlen(field);
	long val = -1;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, flen)) {
			val = strtol(line + flen, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

int mmt_read_stat(pid_t pid, uint64_t f[53], char *state)
{
	char path[64], buf[4096], *p, *end;
	int i, ret;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/stat");
	ret = mmt_read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	memset(f, 0, 53 * sizeof(*f));
	f[1] = strtoull(buf, NULL, 10);
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EBADMSG;
	p += 2;
	if (state)
		*state = *p;
	p += 2;
	for (i = 4; i <= 52 && *p; i++) {
		f[i] = strtoull(p, &end, 10);
		if (end == p)
			return -EBADMSG;
		p = end;
		while (*p == ' ')
			p++;
	}
	return 0;
}

int mmt_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	while (total > 0 && buf[total - 1] == '\n')
		buf[--total] = '\0';
	return 0;
}

int mmt_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return (size_t)n == strlen(s) ? 0 : -EIO;
}

int mmt_sysfs_choice(const char *path, char *buf, size_t size)
{
	char all[512], *l, *r;
	int ret = mmt_read_file(path, all, sizeof(all));

	if (ret)
		return ret;
	l = strchr(all, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!r)
		return -EBADMSG;
	*r = '\0';
	snprintf(buf, size, "%s", l + 1);
	return 0;
}

int mmt_system_ram(struct mmt_range *r, int max)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/iomem", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		uint64_t s, e;
		char name[256];

		/* Top-level entries only: no indentation. */
		if (line[0] == ' ')
			continue;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " : %255[^\n]", &s, &e, name) != 3)
			continue;
		if (strcmp(name, "System RAM"))
			continue;
		if (n < max) {
			r[n].start = (s + MMT_PAGE_SIZE - 1) / MMT_PAGE_SIZE;
			r[n].end = (e + 1) / MMT_PAGE_SIZE;
			n++;
		}
	}
	fclose(f);
	return n;
}

/* ---- misc ---------------------------------------------------------------- */

int mmt_phys_read(uint64_t pa, uint64_t *val)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, i, ret = -ENOENT;

	fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
		close(fd);
		return -EBADMSG;
	}
	for (i = 0; i < eh.e_phnum && ret == -ENOENT; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + (uint64_t)i * eh.e_phentsize) !=
		    sizeof(ph)) {
			ret = -EIO;
			break;
		}
		/* Segments of other kinds (vmalloc, modules) have no physical address. */
		if (ph.p_type != PT_LOAD || ph.p_paddr == (Elf64_Addr)-1 || pa < ph.p_paddr ||
		    pa + sizeof(*val) > ph.p_paddr + ph.p_memsz)
			continue;
		ret = pread(fd, val, sizeof(*val), ph.p_offset + (pa - ph.p_paddr)) ==
		      sizeof(*val) ? 0 : -EIO;
	}
	close(fd);
	return ret;
}

int mmt_phys_walk(uint64_t root, uint64_t va, int levels, struct mmt_phys_walk *pw)
{
	uint64_t table = root, entry;
	unsigned int level;
	int ret;

	memset(pw, 0, sizeof(*pw));
	for (level = MMLENS_LEVEL_PGD; level <= MMLENS_LEVEL_PTE; level++) {
		pw->leaf = level;
		/* The kernel folds the P4D into the PGD: its entry is the PGD entry. */
		if (level == MMLENS_LEVEL_P4D && levels == 4) {
			pw->entry_pa[level] = pw->entry_pa[MMLENS_LEVEL_PGD];
			pw->entry[level] = pw->entry[MMLENS_LEVEL_PGD];
			continue;
		}
		pw->entry_pa[level] = table + ((va >> mmt_level_shift(level, levels)) & 511) * 8;
		ret = mmt_phys_read(pw->entry_pa[level], &entry);
		if (ret)
			return ret;
		pw->entry[level] = entry;
		/* Bit 0 present, bit 7 a huge leaf above the PTEs. */
		if (!(entry & 1) || level == MMLENS_LEVEL_PTE ||
		    (level >= MMLENS_LEVEL_PUD && (entry & 0x80)))
			break;
		table = entry & MMT_PA_MASK;
	}
	return 0;
}

void *mmt_map_aligned(size_t size, size_t align, int prot, int flags, int fd, off_t off)
{
	uint8_t *p, *a;

	/* Reserve, then place the real mapping over the aligned part. */
	p = mmap(NULL, size + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return MAP_FAILED;
	a = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (a > p)
		munmap(p, a - p);
	if (p + size + align > a + size)
		munmap(a + size, p + size + align - (a + size));
	if (mmap(a, size, prot, flags | MAP_FIXED, fd, off) == MAP_FAILED) {
		munmap(a, size);
		return MAP_FAILED;
	}
	return a;
}

bool mmt_thp_available(void)
{
	char choice[32];

	return !mmt_sysfs_choice("/sys/kernel/mm/transparent_hugepage/enabled", choice,
				 sizeof(choice)) && strcmp(choice, "never");
}

void *mmt_map_thp(void)
{
	void *p = mmt_map_aligned(MMT_PMD_SIZE, MMT_PMD_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED && madvise(p, MMT_PMD_SIZE, MADV_HUGEPAGE)) {
		munmap(p, MMT_PMD_SIZE);
		return MAP_FAILED;
	}
	return p;
}

int mmt_find_cli(char *cli, size_t size)
{
	char exe[1024 - 32], *dir;
	ssize_t n;

	if (getenv("MMLENS_CLI")) {
		snprintf(cli, size, "%s", getenv("MMLENS_CLI"));
		return access(cli, X_OK) ? -ENOENT : 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	dir = dirname(dirname(dirname(exe)));
	snprintf(cli, size, "%s/userspace/mmlens", dir);
	return access(cli, X_OK) ? -ENOENT : 0;
}

int mmt_system(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	ret = system(cmd);
	if (ret == -1 || !WIFEXITED(ret))
		return -1;
	return WEXITSTATUS(ret);
}

char *mmt_next_line(char **text)
{
	char *line = *text, *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*text = nl + 1;
	} else {
		*text = NULL;
	}
	return line;
}

struct json_object *mmt_json_line(const char *line)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj;

	if (!tok)
		return NULL;
	obj = json_tokener_parse_ex(tok, line, strlen(line));
	if (obj && (json_tokener_get_error(tok) != json_tokener_success ||
		    (size_t)json_tokener_get_parse_end(tok) != strlen(line) ||
		    !json_object_is_type(obj, json_type_object))) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

int mmt_capture(char **out, size_t *len, const char *fmt, ...)
{
	size_t cap = 1 << 16, n;
	char cmd[2048], *buf, *more;
	va_list ap;
	FILE *p;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	*out = NULL;
	*len = 0;
	buf = malloc(cap);
	if (!buf)
		return -1;
	fflush(stdout);
	fflush(stderr);
	p = popen(cmd, "r");
	if (!p) {
		free(buf);
		return -1;
	}
	while ((n = fread(buf + *len, 1, cap - 1 - *len, p)) > 0) {
		*len += n;
		if (*len + 1 < cap)
			continue;
		more = realloc(buf, 2 * cap);
		if (!more)
			break;
		buf = more;
		cap *= 2;
	}
	buf[*len] = '\0';
	*out = buf;
	ret = pclose(p);
	if (ret == -1 || !WIFEXITED(ret))
		return -1;
	return WEXITSTATUS(ret);
}

int mmt_module_path(char *path, size_t size)
{
	char cmdline[4096], *p, *end;

	if (mmt_read_file("/proc/cmdline", cmdline, sizeof(cmdline)))
		return -1;
	p = strstr(cmdline, "mmlens_kmod=");
	if (!p)
		return -1;
	p += strlen("mmlens_kmod=");
	end = p + strcspn(p, " \n");
	snprintf(path, size, "%.*s", (int)(end - p), p);
	return 0;
}

/* The still process: sets itself up, says where, waits. */
static void still_child(int ready, int done)
{
	char *p, *thp = NULL;
	uint64_t where[2];
	volatile char sink;
	int i;

	p = mmap(NULL, MMT_STILL_PAGES * MMT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || madvise(p, MMT_STILL_PAGES * MMT_PAGE_SIZE, MADV_NOHUGEPAGE))
		_exit(1);
	/* 0-31 written, 32-47 read, 48-63 PROT_NONE, 64-79 read-only, the rest holes. */
	for (i = 0; i < 80; i++) {
		if (i < 32 || i >= 48)
			p[i * MMT_PAGE_SIZE] = i;
		else
			sink = p[i * MMT_PAGE_SIZE];
	}
	(void)sink;
	if (mprotect(p + 48 * MMT_PAGE_SIZE, 16 * MMT_PAGE_SIZE, PROT_NONE) ||
	    mprotect(p + 64 * MMT_PAGE_SIZE, 16 * MMT_PAGE_SIZE, PROT_READ))
		_exit(1);
	/* Some written pages out to swap, if there is any. */
	madvise(p + 24 * MMT_PAGE_SIZE, 8 * MMT_PAGE_SIZE, 21 /* MADV_PAGEOUT */);
	if (mmt_thp_available()) {
		thp = mmt_map_thp();
		if (thp == MAP_FAILED)
			_exit(1);
		memset(thp, 1, MMT_PMD_SIZE);
	}
	where[0] = (uint64_t)p;
	where[1] = (uint64_t)thp;
	if (write(ready, where, sizeof(where)) != sizeof(where))
		_exit(1);
	/* Until the parent closes its end. */
	while (read(done, where, 1) > 0)
		;
	_exit(0);
}

int mmt_still_start(struct mmt_still *t)
{
	int ready[2], done[2];
	uint64_t where[2];

	if (pipe(ready))
		return -errno;
	if (pipe(done)) {
		close(ready[0]);
		close(ready[1]);
		return -errno;
	}
	fflush(stdout);
	fflush(stderr);
	t->pid = fork();
	if (!t->pid) {
		close(ready[0]);
		close(done[1]);
		still_child(ready[1], done[0]);
	}
	close(ready[1]);
	close(done[0]);
	t->done = done[1];
	if (t->pid < 0 || read(ready[0], where, sizeof(where)) != sizeof(where)) {
		close(ready[0]);
		mmt_still_stop(t);
		return -ECHILD;
	}
	close(ready[0]);
	t->start = where[0];
	t->thp = where[1];
	return 0;
}

void mmt_still_stop(struct mmt_still *t)
{
	close(t->done);
	if (t->pid > 0)
		waitpid(t->pid, NULL, 0);
}

int mmt_pin_cpu(void)
{
	cpu_set_t set;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET(cpu, &set)) {
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
		}
	}
	return -EINVAL;
}

int mmt_paging_levels(void)
{
	return probe_paging_levels();
}

const char *mmt_level_name(unsigned int level)
{
	static const char *const names[] = { "none", "pgd", "p4d", "pud", "pmd", "pte" };

	return level < 6 ? names[level] : "?";
}

const struct mmt_pid_cmd mmt_pid_cmds[MMT_NR_PID_CMDS] = {
	[MMT_GET_MM] = { "GET_MM", MMLENS_CMD_GET_MM, 0, MMLENS_A_MM_PID, 0 },
	[MMT_GET_VMA] = { "GET_VMA", MMLENS_CMD_GET_VMA, NLM_F_DUMP, MMLENS_A_VMA_PID, 0 },
	[MMT_TRANSLATE] = { "TRANSLATE", MMLENS_CMD_TRANSLATE, 0, MMLENS_A_WALK_PID,
			    MMLENS_A_WALK_VA },
	[MMT_GET_PTE] = { "GET_PTE", MMLENS_CMD_GET_PTE, NLM_F_DUMP, MMLENS_A_PTE_PID, 0 },
	[MMT_WATCH_ADD] = { "WATCH_ADD", MMLENS_CMD_WATCH_ADD, 0, MMLENS_A_WATCH_PID, 0 },
	[MMT_WATCH_DEL] = { "WATCH_DEL", MMLENS_CMD_WATCH_DEL, 0, MMLENS_A_WATCH_PID, 0 },
	[MMT_GET_STATS] = { "GET_STATS", MMLENS_CMD_GET_STATS, 0, MMLENS_A_STATS_PID, 0 },
};

int mmt_ask_pid(struct mmlens_nl *nl, const struct mmt_pid_cmd *c, uint32_t pid, uint64_t va,
		struct mmlens_nl_err *err)
{
	struct nl_msg *msg = mmlens_nl_request(nl, c->cmd, c->flags);

	nla_put_u32(msg, c->pid_attr, pid);
	if (c->va_attr)
		nla_put_u64(msg, c->va_attr, va);
	memset(err, 0, sizeof(*err));
	return mmlens_nl_transact(nl, msg, NULL, NULL, err);
}

const char *mmt_kind_name(unsigned int kind)
{
	static const char *const names[] = {
		"none", "present", "swap", "migration", "prot_none", "marker", "device", "hwpoison",
	};

	return kind < 8 ? names[kind] : "?";
}

bool mmt_kpf_ksm_unreliable(void)
{
	static int broken = -1;
	uint64_t pme, kpf;
	char *p;

	if (broken >= 0)
		return broken;
	/*
	 * 6.12's stable_page_flags() tests "mapping & PAGE_MAPPING_KSM", true
	 * for every anonymous folio.  A page never made mergeable shows it.
	 */
	p = mmap(NULL, MMT_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return false;
	p[0] = 1;
	broken = !mmt_pagemap(0, (uint64_t)p, &pme) && (pme & PM_PRESENT) &&
		 !mmt_kpageflags(PM_PFN(pme), &kpf) && (kpf & KPFB(KPF_KSM));
	munmap(p, MMT_PAGE_SIZE);
	return broken;
}

uint64_t mmt_kpf_compared(void)
{
	/* The bits <linux/kernel-page-flags.h> defines: 0 to KPF_PGTABLE. */
	uint64_t mask = KPFB(KPF_PGTABLE + 1) - 1;

	if (mmt_kpf_ksm_unreliable())
		mask &= ~KPFB(KPF_KSM);
	return mask;
}

uint64_t mmt_kpf_diff(uint64_t before, uint64_t module, uint64_t after)
{
	/* A bit kpageflags saw change around the module's read may go either way. */
	return (before ^ module) & ~(before ^ after) & mmt_kpf_compared();
}

static const char *const kpf_names[64] = {
	[KPF_LOCKED] = "LOCKED", [KPF_ERROR] = "ERROR", [KPF_REFERENCED] = "REFERENCED",
	[KPF_UPTODATE] = "UPTODATE", [KPF_DIRTY] = "DIRTY", [KPF_LRU] = "LRU",
	[KPF_ACTIVE] = "ACTIVE", [KPF_SLAB] = "SLAB", [KPF_WRITEBACK] = "WRITEBACK",
	[KPF_RECLAIM] = "RECLAIM", [KPF_BUDDY] = "BUDDY", [KPF_MMAP] = "MMAP",
	[KPF_ANON] = "ANON", [KPF_SWAPCACHE] = "SWAPCACHE", [KPF_SWAPBACKED] = "SWAPBACKED",
	[KPF_COMPOUND_HEAD] = "HEAD", [KPF_COMPOUND_TAIL] = "TAIL", [KPF_HUGE] = "HUGE",
	[KPF_UNEVICTABLE] = "UNEVICTABLE", [KPF_HWPOISON] = "HWPOISON", [KPF_NOPAGE] = "NOPAGE",
	[KPF_KSM] = "KSM", [KPF_THP] = "THP", [KPF_OFFLINE] = "OFFLINE",
	[KPF_ZERO_PAGE] = "ZERO_PAGE", [KPF_IDLE] = "IDLE", [KPF_PGTABLE] = "PGTABLE",
	[32] = "RESERVED", [33] = "MLOCKED", [34] = "OWNER_2", [35] = "PRIVATE",
	[36] = "PRIVATE_2", [37] = "OWNER_PRIVATE", [38] = "ARCH", [39] = "UNCACHED",
	[40] = "SOFTDIRTY", [41] = "ARCH_2", [42] = "ARCH_3",
};

static const char *bits_str(const char *const *names, uint64_t v, char *buf, size_t size)
{
	size_t len;
	int b;

	snprintf(buf, size, "%#llx (", (unsigned long long)v);
	for (b = 0; b < 64; b++) {
		if (!(v >> b & 1))
			continue;
		len = strlen(buf);
		if (names[b])
			snprintf(buf + len, size - len, "%s|", names[b]);
		else
			snprintf(buf + len, size - len, "bit%d|", b);
	}
	len = strlen(buf);
	if (buf[len - 1] == '|')
		len--;
	snprintf(buf + len, size - len, ")");
	return buf;
}

const char *mmt_kpf_str(uint64_t flags, char *buf, size_t size)
{
	return bits_str(kpf_names, flags, buf, size);
}

static const char *const flag_names[64] = {
	"PRESENT", "RW", "USER", "PWT", "PCD", "ACCESSED", "DIRTY", "PSE", "PAT", "GLOBAL",
	"NX", "SOFT_DIRTY", "UFFD_WP", "SPECIAL", "DEVMAP", "SAVED_DIRTY", "PROTNONE",
	"WRITE", "KERNEL_DIRTY", "SWP_EXCLUSIVE", "MIGRATION_WRITE", "MIGRATION_EXCLUSIVE",
	"DEVICE_WRITE", "DEVICE_EXCLUSIVE", "MARKER_UFFD_WP", "MARKER_POISONED", "HAS_FRAME",
	"EXCLUSIVE",
};

const char *mmt_flags_str(uint64_t flags, char *buf, size_t size)
{
	return bits_str(flag_names, flags, buf, size);
}

int mmt_flag_bit(const char *name, bool page_flags)
{
	const char *const *names = page_flags ? kpf_names : flag_names;
	char *end;
	long bit;
	int b;

	if (!strncmp(name, "bit", 3) && isdigit((unsigned char)name[3])) {
		bit = strtol(name + 3, &end, 10);
		return *end || bit > 63 ? -1 : bit;
	}
	/* The logs' short names for these two. */
	if (page_flags && !strcmp(name, "compound_head"))
		return KPF_COMPOUND_HEAD;
	if (page_flags && !strcmp(name, "compound_tail"))
		return KPF_COMPOUND_TAIL;
	for (b = 0; b < 64; b++)
		if (names[b] && !strcasecmp(names[b], name))
			return b;
	return -1;
}

int mmt_watched_within(pid_t pid, int tries)
{
	struct mmlens_nl_err err;
	struct mmlens_nl nl;
	struct nl_msg *msg;
	int i, ret = -1;

	if (mmlens_nl_open(&nl))
		return -1;
	for (i = 0; i < tries && ret; i++) {
		msg = mmlens_nl_request(&nl, MMLENS_CMD_GET_STATS, 0);
		if (!msg || nla_put_u32(msg, MMLENS_A_STATS_PID, pid))
			break;
		ret = mmlens_nl_transact(&nl, msg, NULL, NULL, &err);
		if (ret)
			usleep(20000);
	}
	mmlens_nl_close(&nl);
	return ret;
}

int mmt_wait_watched(pid_t pid)
{
	struct mmlens_nl_err err;
	struct mmlens_nl nl;
	struct nl_msg *msg;
	int ret;

	if (mmt_watched_within(pid, 500) || mmlens_nl_open(&nl))
		return -1;
	msg = mmlens_nl_request(&nl, MMLENS_CMD_WATCH_ADD, 0);
	ret = msg && !nla_put_u32(msg, MMLENS_A_WATCH_PID, pid) ?
	      mmlens_nl_transact(&nl, msg, NULL, NULL, &err) : -1;
	mmlens_nl_close(&nl);
	return ret;
}
