// SPDX-License-Identifier: GPL-2.0
/*
 * mmlens info: a process's address space as a whole.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <netlink/genl/genl.h>

#include "fmt.h"
#include "info.h"
#include "mmlens.h"
#include "names.h"
#include "output.h"

/* The counters, in pages. */
static const struct {
	int attr;
	const char *name;
} counters[] = {
	{ MMLENS_A_MM_TOTAL_VM, "total_vm" },
	{ MMLENS_A_MM_LOCKED_VM, "locked_vm" },
	{ MMLENS_A_MM_PINNED_VM, "pinned_vm" },
	{ MMLENS_A_MM_DATA_VM, "data_vm" },
	{ MMLENS_A_MM_EXEC_VM, "exec_vm" },
	{ MMLENS_A_MM_STACK_VM, "stack_vm" },
	{ MMLENS_A_MM_RSS_ANON, "rss_anon" },
	{ MMLENS_A_MM_RSS_FILE, "rss_file" },
	{ MMLENS_A_MM_RSS_SHMEM, "rss_shmem" },
	{ MMLENS_A_MM_SWAP_ENTS, "swap_ents" },
	{ MMLENS_A_MM_HIWATER_RSS, "hiwater_rss" },
	{ MMLENS_A_MM_HIWATER_VM, "hiwater_vm" },
};

/* The layout, addresses. */
static const struct {
	int attr;
	const char *name;
} layout[] = {
	{ MMLENS_A_MM_START_CODE, "start_code" },
	{ MMLENS_A_MM_END_CODE, "end_code" },
	{ MMLENS_A_MM_START_DATA, "start_data" },
	{ MMLENS_A_MM_END_DATA, "end_data" },
	{ MMLENS_A_MM_START_BRK, "start_brk" },
	{ MMLENS_A_MM_BRK, "brk" },
	{ MMLENS_A_MM_START_STACK, "start_stack" },
	{ MMLENS_A_MM_ARG_START, "arg_start" },
	{ MMLENS_A_MM_ARG_END, "arg_end" },
	{ MMLENS_A_MM_ENV_START, "env_start" },
	{ MMLENS_A_MM_ENV_END, "env_end" },
	{ MMLENS_A_MM_MMAP_BASE, "mmap_base" },
	{ MMLENS_A_MM_TASK_SIZE, "task_size" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	int attr;
	unsigned int level;
} pt_levels[] = {
	{ MMLENS_A_PT_PAGES_PGD, MMLENS_LEVEL_PGD },
	{ MMLENS_A_PT_PAGES_P4D, MMLENS_LEVEL_P4D },
	{ MMLENS_A_PT_PAGES_PUD, MMLENS_LEVEL_PUD },
	{ MMLENS_A_PT_PAGES_PMD, MMLENS_LEVEL_PMD },
	{ MMLENS_A_PT_PAGES_PTE, MMLENS_LEVEL_PTE },
};

int mmlens_mm_parse(struct nl_msg *msg, struct mmlens_mm *mm)
{
	struct nla_policy policy[MMLENS_A_MM_MAX + 1];
	struct nla_policy pt_policy[MMLENS_A_PT_PAGES_MAX + 1];
	struct nlattr *tb[MMLENS_A_MM_MAX + 1], *pt[MMLENS_A_PT_PAGES_MAX + 1];
	const struct nla_policy u32 = MMLENS_POLICY_U32, u64 = MMLENS_POLICY_U64;
	int i;

	/* Everything is a u64 but for these few. */
	for (i = 0; i <= MMLENS_A_MM_MAX; i++)
		policy[i] = u64;
	policy[MMLENS_A_MM_UNSPEC] = (struct nla_policy){ .type = NLA_UNSPEC };
	policy[MMLENS_A_MM_PAD] = (struct nla_policy){ .type = NLA_UNSPEC };
	policy[MMLENS_A_MM_PID] = u32;
	policy[MMLENS_A_MM_TGID] = u32;
	policy[MMLENS_A_MM_PAGING_LEVELS] = u32;
	policy[MMLENS_A_MM_MAP_COUNT] = u32;
	policy[MMLENS_A_MM_COMM] = (struct nla_policy){
		.type = NLA_STRING, .maxlen = sizeof(mm->comm),
	};
	policy[MMLENS_A_MM_PT_PAGES] = (struct nla_policy)MMLENS_POLICY_NESTED;
	for (i = 0; i <= MMLENS_A_PT_PAGES_MAX; i++)
		pt_policy[i] = u64;
	pt_policy[MMLENS_A_PT_PAGES_UNSPEC] = (struct nla_policy){ .type = NLA_UNSPEC };
	pt_policy[MMLENS_A_PT_PAGES_PAD] = (struct nla_policy){ .type = NLA_UNSPEC };

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MMLENS_A_MM_MAX, policy) < 0)
		return -EBADMSG;
	for (i = MMLENS_A_MM_PID; i <= MMLENS_A_MM_MAX; i++)
		if (!tb[i])
			return -EBADMSG;
	if (nla_parse_nested(pt, MMLENS_A_PT_PAGES_MAX, tb[MMLENS_A_MM_PT_PAGES],
			     pt_policy) < 0)
		return -EBADMSG;
	for (i = 0; i < (int)N(pt_levels); i++)
		if (!pt[pt_levels[i].attr])
			return -EBADMSG;

	memset(mm, 0, sizeof(*mm));
	mm->module = true;
	mm->pid = nla_get_u32(tb[MMLENS_A_MM_PID]);
	mm->tgid = nla_get_u32(tb[MMLENS_A_MM_TGID]);
	strcpy(mm->comm, nla_get_string(tb[MMLENS_A_MM_COMM]));
	mm->paging_levels = nla_get_u32(tb[MMLENS_A_MM_PAGING_LEVELS]);
	mm->map_count = nla_get_u32(tb[MMLENS_A_MM_MAP_COUNT]);
	mm->pgd_pa = nla_get_u64(tb[MMLENS_A_MM_PGD_PA]);
	mm->context_id = nla_get_u64(tb[MMLENS_A_MM_CONTEXT_ID]);
	mm->tlb_gen = nla_get_u64(tb[MMLENS_A_MM_TLB_GEN]);
	for (i = MMLENS_A_MM_TOTAL_VM; i <= MMLENS_A_MM_MAJ_FLT; i++)
		mm->val[i] = nla_get_u64(tb[i]);
	for (i = 0; i < (int)N(pt_levels); i++)
		mm->pt_pages[pt_levels[i].level] = nla_get_u64(pt[pt_levels[i].attr]);
	return 0;
}

uint64_t mmlens_mm_pt_bytes(const struct mmlens_mm *mm)
{
	uint64_t pages = 0;
	unsigned int l;

	for (l = MMLENS_LEVEL_PGD; l <= MMLENS_LEVEL_PTE; l++)
		pages += mm->pt_pages[l];
	return pages * MMLENS_PAGE_SIZE;
}

/* task_size rounded up to a power of two: the span of the top table. */
static uint64_t va_span(const struct mmlens_mm *mm)
{
	uint64_t task = mm->val[MMLENS_A_MM_TASK_SIZE], span = MMLENS_PAGE_SIZE;

	while (span < task && span < (1ULL << 63))
		span <<= 1;
	return span;
}

uint64_t mmlens_mm_flat_bytes(const struct mmlens_mm *mm)
{
	return va_span(mm) / MMLENS_PAGE_SIZE * 8;
}

static void print_module(FILE *f, const struct mmlens_mm *mm)
{
	const struct mmlens_proc_mm *p = &mm->proc;
	uint64_t pt = mmlens_mm_pt_bytes(mm), flat = mmlens_mm_flat_bytes(mm);
	uint64_t pgtables = mm->val[MMLENS_A_MM_PGTABLES_BYTES];
	char h1[32], h2[32];
	unsigned int l;
	size_t i;

	fprintf(f, "%-16s%u levels, pgd at pa 0x%" PRIx64 " (the CR3 base while "
		"it runs)\n", "paging:", mm->paging_levels, mm->pgd_pa);
	fprintf(f, "%-16s%" PRIu64 "\n", "context id:", mm->context_id);
	fprintf(f, "%-16s%" PRIu64 "\n", "tlb gen:", mm->tlb_gen);
	fprintf(f, "%-16s%u\n", "vmas:", mm->map_count);

	fprintf(f, "\n%-16s%12s %14s\n", "counters", "pages", "kB");
	for (i = 0; i < N(counters); i++)
		fprintf(f, "%-16s%12" PRIu64 " %14" PRIu64 "\n", counters[i].name,
			mm->val[counters[i].attr],
			mm->val[counters[i].attr] * (MMLENS_PAGE_SIZE >> 10));

	fputs("\nlayout\n", f);
	for (i = 0; i < N(layout); i++)
		fprintf(f, "%-16s0x%" PRIx64 "\n", layout[i].name,
			mm->val[layout[i].attr]);
	fprintf(f, "%-16s%s of user address space\n", "",
		mmlens_human(h1, sizeof(h1), mm->val[MMLENS_A_MM_TASK_SIZE]));
	fprintf(f, "\n%-16sminor %" PRIu64 ", major %" PRIu64 "\n", "faults:",
		mm->val[MMLENS_A_MM_MIN_FLT], mm->val[MMLENS_A_MM_MAJ_FLT]);

	fprintf(f, "\n%-16s%12s %14s\n", "page tables", "pages", "bytes");
	for (l = MMLENS_LEVEL_PGD; l <= MMLENS_LEVEL_PTE; l++) {
		if (l == MMLENS_LEVEL_P4D && mm->paging_levels < 5) {
			fprintf(f, "%-16s%12s %14s\n", "p4d", "-", "folded");
			continue;
		}
		fprintf(f, "%-16s%12" PRIu64 " %14s\n", mmlens_level_name(l),
			mm->pt_pages[l], mmlens_human(h1, sizeof(h1),
						      mm->pt_pages[l] * MMLENS_PAGE_SIZE));
	}
	fprintf(f, "%-16s%12" PRIu64 " %14s\n", "total", pt / MMLENS_PAGE_SIZE,
		mmlens_human(h1, sizeof(h1), pt));
	fprintf(f, "%-16s%s (the kernel's count: all but the pgd)\n",
		"pgtables_bytes:", mmlens_human(h1, sizeof(h1), pgtables));
	if (mm->has_proc && p->vm_pte >= 0)
		fprintf(f, "%-16s%" PRId64 " kB in /proc/%u/status (%s)\n", "VmPTE:",
			p->vm_pte, mm->pid, (uint64_t)p->vm_pte == pgtables >> 10 ?
			"agrees with pgtables_bytes" : "differs from pgtables_bytes");
	fprintf(f, "%-16s%s: one level of 8-byte entries for each 4 KiB page "
		"of %s\n", "flat table:", mmlens_human(h1, sizeof(h1), flat),
		mmlens_human(h2, sizeof(h2), va_span(mm)));
	if (pt)
		fprintf(f, "%-16s%" PRIu64 "x the %s the %u-level tables take\n", "",
			flat / pt, mmlens_human(h1, sizeof(h1), pt),
			mm->paging_levels);
}

static void print_proc(FILE *f, const struct mmlens_proc_mm *p)
{
	const struct {
		const char *name;
		int64_t kb;
	} kb[] = {
		{ "VmPeak", p->vm_peak }, { "VmSize", p->vm_size },
		{ "VmLck", p->vm_lck }, { "VmPin", p->vm_pin },
		{ "VmHWM", p->vm_hwm }, { "VmRSS", p->vm_rss },
		{ "RssAnon", p->rss_anon }, { "RssFile", p->rss_file },
		{ "RssShmem", p->rss_shmem }, { "VmData", p->vm_data },
		{ "VmStk", p->vm_stk }, { "VmExe", p->vm_exe },
		{ "VmLib", p->vm_lib }, { "VmPTE", p->vm_pte },
		{ "VmSwap", p->vm_swap },
	};
	size_t i;

	fprintf(f, "%-16s%14s\n", "status", "kB");
	for (i = 0; i < N(kb); i++)
		if (kb[i].kb >= 0)
			fprintf(f, "%-16s%14" PRId64 "\n", kb[i].name, kb[i].kb);
	fputs("\nlayout\n", f);
	fprintf(f, "%-16s0x%" PRIx64 "-0x%" PRIx64 "\n", "code", p->start_code,
		p->end_code);
	fprintf(f, "%-16s0x%" PRIx64 "-0x%" PRIx64 "\n", "data", p->start_data,
		p->end_data);
	fprintf(f, "%-16s0x%" PRIx64 "\n", "start_brk", p->start_brk);
	fprintf(f, "%-16s0x%" PRIx64 "\n", "start_stack", p->start_stack);
	fprintf(f, "%-16s0x%" PRIx64 "-0x%" PRIx64 "\n", "args", p->arg_start,
		p->arg_end);
	fprintf(f, "%-16s0x%" PRIx64 "-0x%" PRIx64 "\n", "env", p->env_start,
		p->env_end);
	fprintf(f, "\n%-16sminor %" PRIu64 ", major %" PRIu64 "\n", "faults:",
		p->min_flt, p->maj_flt);
}

void mmlens_mm_print(FILE *f, const struct mmlens_mm *mm)
{
	if (mm->module)
		fprintf(f, "pid %u (%s), tgid %u\n", mm->pid, mm->comm, mm->tgid);
	else
		fprintf(f, "pid %d (%s), tgid %d; page tables unknown without the "
			"mmlens module\n", (int)mm->proc.pid, mm->proc.comm,
			(int)mm->proc.tgid);
	if (mm->module)
		print_module(f, mm);
	else
		print_proc(f, &mm->proc);
}

static struct json_object *kb_or_null(int64_t kb)
{
	return kb >= 0 ? json_object_new_int64(kb) : mmlens_json_null();
}

static struct json_object *proc_json(const struct mmlens_mm *mm)
{
	const struct mmlens_proc_mm *p = &mm->proc;
	struct json_object *obj;

	if (!mm->has_proc)
		return mmlens_json_null();
	obj = json_object_new_object();
	if (!obj ||
	    mmlens_json_add(obj, "vm_peak_kb", kb_or_null(p->vm_peak)) ||
	    mmlens_json_add(obj, "vm_size_kb", kb_or_null(p->vm_size)) ||
	    mmlens_json_add(obj, "vm_lck_kb", kb_or_null(p->vm_lck)) ||
	    mmlens_json_add(obj, "vm_pin_kb", kb_or_null(p->vm_pin)) ||
	    mmlens_json_add(obj, "vm_hwm_kb", kb_or_null(p->vm_hwm)) ||
	    mmlens_json_add(obj, "vm_rss_kb", kb_or_null(p->vm_rss)) ||
	    mmlens_json_add(obj, "rss_anon_kb", kb_or_null(p->rss_anon)) ||
	    mmlens_json_add(obj, "rss_file_kb", kb_or_null(p->rss_file)) ||
	    mmlens_json_add(obj, "rss_shmem_kb", kb_or_null(p->rss_shmem)) ||
	    mmlens_json_add(obj, "vm_data_kb", kb_or_null(p->vm_data)) ||
	    mmlens_json_add(obj, "vm_stk_kb", kb_or_null(p->vm_stk)) ||
	    mmlens_json_add(obj, "vm_exe_kb", kb_or_null(p->vm_exe)) ||
	    mmlens_json_add(obj, "vm_lib_kb", kb_or_null(p->vm_lib)) ||
	    mmlens_json_add(obj, "vm_pte_kb", kb_or_null(p->vm_pte)) ||
	    mmlens_json_add(obj, "vm_swap_kb", kb_or_null(p->vm_swap)) ||
	    mmlens_json_add(obj, "min_flt", json_object_new_int64(p->min_flt)) ||
	    mmlens_json_add(obj, "maj_flt", json_object_new_int64(p->maj_flt)) ||
	    mmlens_json_add(obj, "start_code", mmlens_json_hex(p->start_code)) ||
	    mmlens_json_add(obj, "end_code", mmlens_json_hex(p->end_code)) ||
	    mmlens_json_add(obj, "start_data", mmlens_json_hex(p->start_data)) ||
	    mmlens_json_add(obj, "end_data", mmlens_json_hex(p->end_data)) ||
	    mmlens_json_add(obj, "start_brk", mmlens_json_hex(p->start_brk)) ||
	    mmlens_json_add(obj, "start_stack", mmlens_json_hex(p->start_stack)) ||
	    mmlens_json_add(obj, "arg_start", mmlens_json_hex(p->arg_start)) ||
	    mmlens_json_add(obj, "arg_end", mmlens_json_hex(p->arg_end)) ||
	    mmlens_json_add(obj, "env_start", mmlens_json_hex(p->env_start)) ||
	    mmlens_json_add(obj, "env_end", mmlens_json_hex(p->env_end))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

static struct json_object *pt_json(const struct mmlens_mm *mm)
{
	struct json_object *obj = json_object_new_object();
	unsigned int l;

	for (l = MMLENS_LEVEL_PGD; obj && l <= MMLENS_LEVEL_PTE; l++) {
		if (mmlens_json_add(obj, mmlens_level_name(l),
				    json_object_new_int64(mm->pt_pages[l]))) {
			json_object_put(obj);
			return NULL;
		}
	}
	if (obj && mmlens_json_add(obj, "total_bytes",
				   json_object_new_int64(mmlens_mm_pt_bytes(mm)))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

/* The module's fields; obj gets them added. */
static int add_module(struct json_object *obj, const struct mmlens_mm *mm)
{
	uint64_t pt = mmlens_mm_pt_bytes(mm);
	struct json_object *c;
	size_t i;

	if (mmlens_json_add(obj, "paging_levels", json_object_new_int64(mm->paging_levels)) ||
	    mmlens_json_add(obj, "pgd_pa", mmlens_json_hex(mm->pgd_pa)) ||
	    mmlens_json_add(obj, "context_id", json_object_new_int64(mm->context_id)) ||
	    mmlens_json_add(obj, "tlb_gen", json_object_new_int64(mm->tlb_gen)) ||
	    mmlens_json_add(obj, "map_count", json_object_new_int64(mm->map_count)))
		return -ENOMEM;
	c = json_object_new_object();
	if (mmlens_json_add(obj, "counters", c))
		return -ENOMEM;
	for (i = 0; i < N(counters); i++)
		if (mmlens_json_add(c, counters[i].name,
				    json_object_new_int64(mm->val[counters[i].attr])))
			return -ENOMEM;
	c = json_object_new_object();
	if (mmlens_json_add(obj, "layout", c))
		return -ENOMEM;
	for (i = 0; i < N(layout); i++)
		if (mmlens_json_add(c, layout[i].name,
				    mmlens_json_hex(mm->val[layout[i].attr])))
			return -ENOMEM;
	if (mmlens_json_add(obj, "min_flt", json_object_new_int64(mm->val[MMLENS_A_MM_MIN_FLT])) ||
	    mmlens_json_add(obj, "maj_flt", json_object_new_int64(mm->val[MMLENS_A_MM_MAJ_FLT])) ||
	    mmlens_json_add(obj, "pgtables_bytes",
			    json_object_new_int64(mm->val[MMLENS_A_MM_PGTABLES_BYTES])) ||
	    mmlens_json_add(obj, "pt_pages", pt_json(mm)) ||
	    mmlens_json_add(obj, "flat_table_bytes",
			    json_object_new_int64(mmlens_mm_flat_bytes(mm))) ||
	    mmlens_json_add(obj, "flat_ratio", pt ?
			    json_object_new_double((double)mmlens_mm_flat_bytes(mm) / pt) :
			    mmlens_json_null()))
		return -ENOMEM;
	return 0;
}

struct json_object *mmlens_mm_json(const struct mmlens_mm *mm)
{
	struct json_object *obj = json_object_new_object();

	if (!obj ||
	    mmlens_json_add(obj, "source", json_object_new_string(
				    mm->module ? "mmlens" : "proc")) ||
	    mmlens_json_add(obj, "pid", json_object_new_int64(
				    mm->module ? mm->pid : (uint32_t)mm->proc.pid)) ||
	    mmlens_json_add(obj, "tgid", json_object_new_int64(
				    mm->module ? mm->tgid : (uint32_t)mm->proc.tgid)) ||
	    mmlens_json_add(obj, "comm", json_object_new_string(
				    mm->module ? mm->comm : mm->proc.comm)) ||
	    (mm->module && add_module(obj, mm)) ||
	    mmlens_json_add(obj, "proc", proc_json(mm))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

static int put_pid(struct nl_msg *msg, const void *arg)
{
	const pid_t *pid = arg;

	return nla_put_u32(msg, MMLENS_A_MM_PID, *pid) ? -ENOMEM : 0;
}

struct mm_reply {
	struct mmlens_mm mm;
	int replies;
};

static int mm_reply_cb(struct nl_msg *msg, void *arg)
{
	struct mm_reply *r = arg;

	if (r->replies++)
		return -EBADMSG;
	return mmlens_mm_parse(msg, &r->mm);
}

int mmlens_cmd_info(struct mmlens_ctx *ctx, int argc, char **argv)
{
	struct mm_reply reply = { .replies = 0 };
	struct json_object *obj;
	char dir[32];
	int first, ret;
	pid_t pid;
	struct mmlens_req req = {
		.cmd = MMLENS_CMD_GET_MM,
		.put = put_pid,
		.reply = mm_reply_cb,
		.put_arg = &pid,
		.reply_arg = &reply,
	};

	ret = mmlens_cmd_options(ctx, argc, argv, 1, 1, &first);
	if (ret >= 0)
		return ret;
	if (mmlens_arg_pid(ctx, argv[first], &pid))
		return MMLENS_EXIT_USAGE;
	ret = mmlens_check_target(ctx, pid);
	if (ret)
		return ret;

	ret = mmlens_request_or_proc(ctx, &req, &reply.replies, "/proc/PID/status and stat");
	if (ret > 0)
		return ret;

	snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
	ret = mmlens_proc_mm_load(dir, &reply.mm.proc);
	reply.mm.has_proc = !ret;
	if (ret && !reply.mm.module) {
		mmlens_err_proc(ctx, pid, "status", ret);
		return MMLENS_EXIT_FAIL;
	}

	if (!ctx->json) {
		mmlens_mm_print(stdout, &reply.mm);
		return MMLENS_EXIT_OK;
	}
	obj = mmlens_mm_json(&reply.mm);
	ret = obj ? mmlens_json_print(stdout, obj) : -ENOMEM;
	json_object_put(obj);
	if (ret) {
		mmlens_err(ctx, "%s", strerror(-ret));
		return MMLENS_EXIT_FAIL;
	}
	return MMLENS_EXIT_OK;
}
