// SPDX-License-Identifier: GPL-2.0
/*
 * mmlens maps: the VMAs of a process beside /proc/PID/smaps.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/genl/genl.h>

#include <linux/mmlens.h>

#include "maps.h"
#include "mmlens.h"
#include "names.h"
#include "output.h"
#include "proc.h"

void mmlens_vmas_free(struct mmlens_vmas *vmas)
{
	size_t i;

	for (i = 0; i < vmas->n; i++) {
		free(vmas->v[i].file);
		free(vmas->v[i].label);
	}
	free(vmas->v);
	vmas->v = NULL;
	vmas->n = vmas->cap = 0;
}

/* A new zeroed VMA at the end of vmas, or NULL. */
static struct mmlens_vma *vmas_append(struct mmlens_vmas *vmas)
{
	struct mmlens_vma *v;
	size_t cap;

	if (vmas->n == vmas->cap) {
		cap = vmas->cap ? 2 * vmas->cap : 64;
		v = realloc(vmas->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		vmas->v = v;
		vmas->cap = cap;
	}
	v = &vmas->v[vmas->n++];
	memset(v, 0, sizeof(*v));
	return v;
}

static const struct nla_policy vma_policy[MMLENS_A_VMA_MAX + 1] = {
	[MMLENS_A_VMA_PID] = MMLENS_POLICY_U32,
	[MMLENS_A_VMA_START] = MMLENS_POLICY_U64,
	[MMLENS_A_VMA_END] = MMLENS_POLICY_U64,
	[MMLENS_A_VMA_FLAGS] = MMLENS_POLICY_U64,
	[MMLENS_A_VMA_PGOFF] = MMLENS_POLICY_U64,
	[MMLENS_A_VMA_KIND] = MMLENS_POLICY_U32,
	[MMLENS_A_VMA_FILE] = { .type = NLA_STRING, .maxlen = 4096 },
	[MMLENS_A_VMA_ANON_VMA] = MMLENS_POLICY_FLAG,
	[MMLENS_A_VMA_PAGE_SIZE] = MMLENS_POLICY_U64,
	[MMLENS_A_VMA_RESIDENT] = MMLENS_POLICY_U64,
	[MMLENS_A_VMA_SWAPPED] = MMLENS_POLICY_U64,
	[MMLENS_A_VMA_PMD_LEAVES] = MMLENS_POLICY_U64,
	[MMLENS_A_VMA_PUD_LEAVES] = MMLENS_POLICY_U64,
};

int mmlens_vma_parse(struct nl_msg *msg, struct mmlens_vmas *vmas)
{
	static const int required[] = {
		MMLENS_A_VMA_START, MMLENS_A_VMA_END, MMLENS_A_VMA_FLAGS,
		MMLENS_A_VMA_PGOFF, MMLENS_A_VMA_KIND, MMLENS_A_VMA_PAGE_SIZE,
		MMLENS_A_VMA_RESIDENT, MMLENS_A_VMA_SWAPPED,
		MMLENS_A_VMA_PMD_LEAVES, MMLENS_A_VMA_PUD_LEAVES,
	};
	struct nlattr *tb[MMLENS_A_VMA_MAX + 1];
	struct mmlens_vma *v;
	size_t i;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MMLENS_A_VMA_MAX, vma_policy) < 0 ||
	    !mmlens_flag_ok(tb[MMLENS_A_VMA_ANON_VMA]))
		return -EBADMSG;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!tb[required[i]])
			return -EBADMSG;
	v = vmas_append(vmas);
	if (!v)
		return -ENOMEM;
	v->start = nla_get_u64(tb[MMLENS_A_VMA_START]);
	v->end = nla_get_u64(tb[MMLENS_A_VMA_END]);
	v->flags = nla_get_u64(tb[MMLENS_A_VMA_FLAGS]);
	v->pgoff = nla_get_u64(tb[MMLENS_A_VMA_PGOFF]);
	v->kind = nla_get_u32(tb[MMLENS_A_VMA_KIND]);
	v->anon_vma = tb[MMLENS_A_VMA_ANON_VMA];
	v->page_size = nla_get_u64(tb[MMLENS_A_VMA_PAGE_SIZE]);
	v->resident = nla_get_u64(tb[MMLENS_A_VMA_RESIDENT]);
	v->swapped = nla_get_u64(tb[MMLENS_A_VMA_SWAPPED]);
	v->pmd_leaves = nla_get_u64(tb[MMLENS_A_VMA_PMD_LEAVES]);
	v->pud_leaves = nla_get_u64(tb[MMLENS_A_VMA_PUD_LEAVES]);
	v->has_leaves = true;
	if (tb[MMLENS_A_VMA_FILE]) {
		v->file = strdup(nla_get_string(tb[MMLENS_A_VMA_FILE]));
		if (!v->file) {
			vmas->n--;
			return -ENOMEM;
		}
	}
	if (v->start > v->end) {
		free(v->file);
		vmas->n--;
		return -EBADMSG;
	}
	return 0;
}

struct vma_req {
	pid_t pid;
	uint64_t start, end;
};

static int put_vma(struct nl_msg *msg, const void *arg)
{
	const struct vma_req *r = arg;

	if (nla_put_u32(msg, MMLENS_A_VMA_PID, r->pid) ||
	    (r->start && nla_put_u64(msg, MMLENS_A_VMA_START, r->start)) ||
	    (r->end && nla_put_u64(msg, MMLENS_A_VMA_END, r->end)))
		return -ENOMEM;
	return 0;
}

struct vma_dump {
	struct mmlens_vmas *vmas;
	size_t restart_n;
};

static int vma_reply_cb(struct nl_msg *msg, void *arg)
{
	struct vma_dump *d = arg;

	return mmlens_vma_parse(msg, d->vmas);
}

static void vma_restart(void *arg)
{
	struct vma_dump *d = arg;

	while (d->vmas->n > d->restart_n)
		free(d->vmas->v[--d->vmas->n].file);
}

int mmlens_vmas_dump(const struct mmlens_ctx *ctx, struct mmlens_nl *nl,
		     pid_t pid, uint64_t start, uint64_t end,
		     struct mmlens_vmas *vmas)
{
	struct vma_req want = { .pid = pid, .start = start, .end = end };
	struct vma_dump d = { .vmas = vmas, .restart_n = vmas->n };
	struct mmlens_req req = {
		.cmd = MMLENS_CMD_GET_VMA,
		.dump = true,
		.put = put_vma,
		.reply = vma_reply_cb,
		.restart = vma_restart,
		.put_arg = &want,
		.reply_arg = &d,
	};

	return mmlens_request(ctx, nl, &req);
}

void mmlens_vmas_add_smaps(struct mmlens_vmas *vmas, const char *smaps_file)
{
	const struct mmlens_smaps_vma *s;
	struct mmlens_smaps smaps;
	size_t i;

	if (mmlens_smaps_load(smaps_file, &smaps))
		return;
	for (i = 0; i < vmas->n; i++) {
		s = mmlens_smaps_find(&smaps, vmas->v[i].start);
		if (!s || s->end != vmas->v[i].end)
			continue;
		vmas->v[i].has_smaps = true;
		vmas->v[i].smaps_rss_kb = s->rss_kb;
		vmas->v[i].smaps_swap_kb = s->swap_kb;
	}
	mmlens_smaps_free(&smaps);
}

/* What backs a VMA, as the maps column shows it. */
static const char *vma_name(const struct mmlens_vma *v)
{
	switch (v->kind) {
	case MMLENS_VMA_HEAP:
		return "[heap]";
	case MMLENS_VMA_STACK:
		return "[stack]";
	case MMLENS_VMA_VDSO:
		return "[vdso]";
	case MMLENS_VMA_VVAR:
		return "[vvar]";
	}
	if (v->file)
		return v->file;
	if (v->label)
		return v->label;
	return v->kind == MMLENS_VMA_SPECIAL ? "[special]" : "[anon]";
}

/* Permissions are in their own column: leave them out of the flags. */
#define PERM_FLAGS (MMLENS_VM_READ | MMLENS_VM_WRITE | MMLENS_VM_EXEC | \
		    MMLENS_VM_SHARED | MMLENS_VM_MAYREAD | MMLENS_VM_MAYWRITE | \
		    MMLENS_VM_MAYEXEC)

static void print_num(FILE *f, bool has, uint64_t v, int width)
{
	if (has)
		fprintf(f, " %*" PRIu64, width, v);
	else
		fprintf(f, " %*s", width, "-");
}

void mmlens_vmas_print(FILE *f, const struct mmlens_vmas *vmas)
{
	uint64_t kb = 0, rss = 0, swap = 0, pmd = 0, pud = 0, srss = 0, sswap = 0;
	bool leaves = vmas->n && vmas->v[0].has_leaves, smaps = false;
	char names[1024], perms[5];
	const struct mmlens_vma *v;
	size_t i;

	fprintf(f, "%-12s %-12s %9s %-4s %9s %9s %5s %5s %9s %9s  %s\n", "START",
		"END", "KBYTES", "PERM", "RSS-KB", "SWAP-KB", "PMD", "PUD",
		"SMAPS-RSS", "SMAPS-SWP", "MAPPING  FLAGS");
	for (i = 0; i < vmas->n; i++) {
		v = &vmas->v[i];
		mmlens_vm_perms(perms, v->flags);
		fprintf(f, "%012" PRIx64 " %012" PRIx64 " %9" PRIu64 " %-4s",
			v->start, v->end, (v->end - v->start) >> 10, perms);
		print_num(f, true, v->resident * (MMLENS_PAGE_SIZE >> 10), 9);
		print_num(f, true, v->swapped * (MMLENS_PAGE_SIZE >> 10), 9);
		print_num(f, v->has_leaves, v->pmd_leaves, 5);
		print_num(f, v->has_leaves, v->pud_leaves, 5);
		print_num(f, v->has_smaps, v->smaps_rss_kb, 9);
		print_num(f, v->has_smaps, v->smaps_swap_kb, 9);
		mmlens_flag_names(names, sizeof(names), mmlens_vm_flag_names,
				  v->flags & ~PERM_FLAGS, ',');
		fprintf(f, "  %s%s%s\n", vma_name(v), *names ? "  " : "", names);

		kb += (v->end - v->start) >> 10;
		rss += v->resident * (MMLENS_PAGE_SIZE >> 10);
		swap += v->swapped * (MMLENS_PAGE_SIZE >> 10);
		pmd += v->pmd_leaves;
		pud += v->pud_leaves;
		srss += v->smaps_rss_kb;
		sswap += v->smaps_swap_kb;
		smaps |= v->has_smaps;
	}
	snprintf(names, sizeof(names), "total: %zu VMAs", vmas->n);
	fprintf(f, "%-25s %9" PRIu64 " %-4s", names, kb, "");
	print_num(f, true, rss, 9);
	print_num(f, true, swap, 9);
	print_num(f, leaves, pmd, 5);
	print_num(f, leaves, pud, 5);
	print_num(f, smaps, srss, 9);
	print_num(f, smaps, sswap, 9);
	fputc('\n', f);
}

static struct json_object *int_or_null(bool has, uint64_t v)
{
	return has ? json_object_new_int64(v) : mmlens_json_null();
}

static struct json_object *vma_json(const struct mmlens_vma *v)
{
	struct json_object *obj = json_object_new_object();
	char perms[5];

	mmlens_vm_perms(perms, v->flags);
	if (!obj ||
	    mmlens_json_add(obj, "start", mmlens_json_hex(v->start)) ||
	    mmlens_json_add(obj, "end", mmlens_json_hex(v->end)) ||
	    mmlens_json_add(obj, "size", json_object_new_int64(v->end - v->start)) ||
	    mmlens_json_add(obj, "perms", json_object_new_string(perms)) ||
	    mmlens_json_add(obj, "flags", mmlens_json_flags(mmlens_vm_flag_names,
							    v->flags)) ||
	    mmlens_json_add(obj, "vm_flags", mmlens_json_hex(v->flags)) ||
	    mmlens_json_add(obj, "pgoff", int_or_null(v->has_leaves, v->pgoff)) ||
	    mmlens_json_add(obj, "page_size", json_object_new_int64(
				    v->page_size ? v->page_size : MMLENS_PAGE_SIZE)) ||
	    mmlens_json_add(obj, "kind", json_object_new_string(
				    mmlens_vma_kind_name(v->kind))) ||
	    mmlens_json_add(obj, "name", json_object_new_string(vma_name(v))) ||
	    mmlens_json_add(obj, "file", v->file ? json_object_new_string(v->file) :
			    mmlens_json_null()) ||
	    mmlens_json_add(obj, "anon_vma", v->has_leaves ?
			    json_object_new_boolean(v->anon_vma) :
			    mmlens_json_null()) ||
	    mmlens_json_add(obj, "resident", json_object_new_int64(v->resident)) ||
	    mmlens_json_add(obj, "swapped", json_object_new_int64(v->swapped)) ||
	    mmlens_json_add(obj, "pmd_leaves", int_or_null(v->has_leaves, v->pmd_leaves)) ||
	    mmlens_json_add(obj, "pud_leaves", int_or_null(v->has_leaves, v->pud_leaves)) ||
	    mmlens_json_add(obj, "smaps_rss_kb", int_or_null(v->has_smaps, v->smaps_rss_kb)) ||
	    mmlens_json_add(obj, "smaps_swap_kb", int_or_null(v->has_smaps,
							      v->smaps_swap_kb))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

struct json_object *mmlens_vmas_json(const struct mmlens_vmas *vmas)
{
	struct json_object *arr = json_object_new_array(), *obj;
	size_t i;

	for (i = 0; arr && i < vmas->n; i++) {
		obj = vma_json(&vmas->v[i]);
		if (!obj || json_object_array_add(arr, obj)) {
			json_object_put(obj);
			json_object_put(arr);
			return NULL;
		}
	}
	return arr;
}

/* Counts present and swapped pages of [start, end) in pagemap. */
static int count_pagemap(int fd, uint64_t start, uint64_t end,
			 uint64_t *present, uint64_t *swapped)
{
	uint64_t words[4096], idx = start >> MMLENS_PAGE_SHIFT;
	uint64_t last = end >> MMLENS_PAGE_SHIFT;
	ssize_t got, k;

	for (; idx < last; idx += got) {
		got = mmlens_pread_words(fd, idx, words, last - idx < 4096 ?
					 last - idx : 4096);
		if (got <= 0)
			return got;
		for (k = 0; k < got; k++) {
			*present += !!(words[k] & MMLENS_PM_PRESENT);
			*swapped += !!(words[k] & MMLENS_PM_SWAP);
		}
	}
	return 0;
}

/* Without the module: maps, with pagemap's counts. */
static int vmas_from_proc(const struct mmlens_ctx *ctx, pid_t pid,
			  struct mmlens_vmas *vmas)
{
	struct mmlens_maps maps;
	struct mmlens_vma *v;
	char path[64];
	size_t i;
	int fd, ret;

	mmlens_proc_path(path, sizeof(path), pid, "maps");
	ret = mmlens_maps_load(path, &maps);
	if (ret) {
		mmlens_err_proc(ctx, pid, "maps", ret);
		return MMLENS_EXIT_FAIL;
	}
	fd = mmlens_pagemap_open(pid);
	if (fd < 0)
		mmlens_err(ctx, "warning: cannot read /proc/%d/pagemap (%s): no "
			   "resident or swapped counts", (int)pid, strerror(-fd));
	for (i = 0; i < maps.n && !ret; i++) {
		v = vmas_append(vmas);
		if (!v) {
			ret = -ENOMEM;
			break;
		}
		v->start = maps.v[i].start;
		v->end = maps.v[i].end;
		v->flags = mmlens_map_vm_flags(&maps.v[i]);
		v->kind = mmlens_map_kind(&maps.v[i]);
		if (maps.v[i].path) {
			if (v->kind == MMLENS_VMA_FILE)
				v->file = strdup(maps.v[i].path);
			else
				v->label = strdup(maps.v[i].path);
			if (!v->file && !v->label)
				ret = -ENOMEM;
		}
		/* Errors here only leave the counts at 0, as the warning says. */
		if (fd >= 0)
			count_pagemap(fd, v->start, v->end, &v->resident, &v->swapped);
	}
	if (fd >= 0)
		close(fd);
	mmlens_maps_free(&maps);
	if (ret) {
		mmlens_err(ctx, "%s", strerror(-ret));
		return MMLENS_EXIT_FAIL;
	}
	return MMLENS_EXIT_OK;
}

int mmlens_cmd_maps(struct mmlens_ctx *ctx, int argc, char **argv)
{
	struct mmlens_vmas vmas = { .n = 0 };
	struct json_object *obj;
	struct mmlens_nl nl;
	char path[64];
	int first, ret;
	pid_t pid;

	ret = mmlens_cmd_options(ctx, argc, argv, 1, 1, &first);
	if (ret >= 0)
		return ret;
	if (mmlens_arg_pid(ctx, argv[first], &pid))
		return MMLENS_EXIT_USAGE;
	ret = mmlens_check_target(ctx, pid);
	if (ret)
		return ret;

	ret = mmlens_connect_or_proc(ctx, &nl, "/proc/PID/pagemap");
	if (ret == MMLENS_EXIT_FAIL)
		return ret;
	if (ret) {
		ret = vmas_from_proc(ctx, pid, &vmas);
	} else {
		ret = mmlens_vmas_dump(ctx, &nl, pid, 0, 0, &vmas);
		mmlens_nl_close(&nl);
	}
	if (ret)
		goto out;

	mmlens_proc_path(path, sizeof(path), pid, "smaps");
	mmlens_vmas_add_smaps(&vmas, path);
	if (ctx->json) {
		obj = mmlens_vmas_json(&vmas);
		ret = obj ? mmlens_json_print(stdout, obj) : -ENOMEM;
		json_object_put(obj);
		if (ret) {
			mmlens_err(ctx, "%s", strerror(-ret));
			ret = MMLENS_EXIT_FAIL;
		}
	} else {
		mmlens_vmas_print(stdout, &vmas);
	}
out:
	mmlens_vmas_free(&vmas);
	return ret;
}
