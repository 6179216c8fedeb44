// SPDX-License-Identifier: GPL-2.0
/*
 * mmlens frame: what the kernel knows of a page frame.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <netlink/genl/genl.h>

#include <linux/mmlens.h>

#include "fmt.h"
#include "frame.h"
#include "mmlens.h"
#include "names.h"
#include "output.h"
#include "proc.h"

static const struct nla_policy frame_policy[MMLENS_A_FRAME_MAX + 1] = {
	[MMLENS_A_FRAME_PFN] = MMLENS_POLICY_U64,
	[MMLENS_A_FRAME_REFCOUNT] = MMLENS_POLICY_U32,
	[MMLENS_A_FRAME_MAPCOUNT] = MMLENS_POLICY_U32,
	[MMLENS_A_FRAME_FOLIO_MAPCOUNT] = MMLENS_POLICY_U32,
	[MMLENS_A_FRAME_ORDER] = MMLENS_POLICY_U32,
	[MMLENS_A_FRAME_FLAGS] = MMLENS_POLICY_U64,
	[MMLENS_A_FRAME_NID] = MMLENS_POLICY_U32,
};

int mmlens_frame_parse(struct nlattr *attrs, int len, struct mmlens_frame *fr)
{
	struct nlattr *tb[MMLENS_A_FRAME_MAX + 1];
	int i;

	if (nla_parse(tb, MMLENS_A_FRAME_MAX, attrs, len, frame_policy) < 0)
		return -EBADMSG;
	for (i = MMLENS_A_FRAME_PFN; i <= MMLENS_A_FRAME_MAX; i++)
		if (!tb[i])
			return -EBADMSG;
	memset(fr, 0, sizeof(*fr));
	fr->module = true;
	fr->pfn = nla_get_u64(tb[MMLENS_A_FRAME_PFN]);
	fr->refcount = nla_get_u32(tb[MMLENS_A_FRAME_REFCOUNT]);
	fr->mapcount = nla_get_u32(tb[MMLENS_A_FRAME_MAPCOUNT]);
	fr->folio_mapcount = nla_get_u32(tb[MMLENS_A_FRAME_FOLIO_MAPCOUNT]);
	fr->order = nla_get_u32(tb[MMLENS_A_FRAME_ORDER]);
	fr->flags = nla_get_u64(tb[MMLENS_A_FRAME_FLAGS]);
	fr->nid = nla_get_u32(tb[MMLENS_A_FRAME_NID]);
	return 0;
}

int mmlens_frame_read_proc(struct mmlens_frame *fr)
{
	int ret;

	ret = mmlens_kpage_read("/proc/kpageflags", fr->pfn, &fr->kpageflags);
	fr->has_kpageflags = !ret;
	fr->has_kpagecount = !mmlens_kpage_read("/proc/kpagecount", fr->pfn,
						&fr->kpagecount);
	return ret;
}

void mmlens_frame_print(FILE *f, const struct mmlens_frame *fr,
			const char *indent)
{
	char names[1024], size[32];
	uint64_t differ;

	fprintf(f, "%s%-17s0x%" PRIx64 " (pa 0x%" PRIx64 ")\n", indent, "pfn:",
		fr->pfn, fr->pfn << MMLENS_PAGE_SHIFT);
	if (fr->module) {
		fprintf(f, "%s%-17s%u\n", indent, "refcount:", fr->refcount);
		fprintf(f, "%s%-17s%u\n", indent, "mapcount:", fr->mapcount);
		fprintf(f, "%s%-17s%u\n", indent, "folio mapcount:",
			fr->folio_mapcount);
		fprintf(f, "%s%-17s%u (%s folio)\n", indent, "order:", fr->order,
			fr->order < 52 ? mmlens_human(size, sizeof(size),
						      MMLENS_PAGE_SIZE << fr->order)
				       : "a huge");
		fprintf(f, "%s%-17s%u\n", indent, "node:", fr->nid);
		mmlens_flag_names(names, sizeof(names), mmlens_kpf_names,
				  fr->flags, ',');
		fprintf(f, "%s%-17s0x%" PRIx64 " %s\n", indent, "page flags:",
			fr->flags, names);
	}
	if (fr->has_kpageflags) {
		mmlens_flag_names(names, sizeof(names), mmlens_kpf_names,
				  fr->kpageflags, ',');
		fprintf(f, "%s%-17s0x%" PRIx64 " %s", indent, "kpageflags:",
			fr->kpageflags, names);
		/* Referenced, idle, lru... may move between the two reads. */
		differ = fr->kpageflags ^ fr->flags;
		if (fr->module && differ) {
			mmlens_flag_names(names, sizeof(names), mmlens_kpf_names,
					  differ, ',');
			fprintf(f, " (differs in %s)", names);
		}
		fputc('\n', f);
	} else {
		fprintf(f, "%s%-17sunreadable\n", indent, "kpageflags:");
	}
	if (fr->has_kpagecount) {
		fprintf(f, "%s%-17s%" PRIu64, indent, "kpagecount:", fr->kpagecount);
		if (fr->module && fr->kpagecount != fr->mapcount)
			fputs(" (differs from mapcount)", f);
		fputc('\n', f);
	} else {
		fprintf(f, "%s%-17sunreadable\n", indent, "kpagecount:");
	}
}

/* An integer, or null when has is false. */
static struct json_object *json_int_or_null(bool has, int64_t v)
{
	return has ? json_object_new_int64(v) : mmlens_json_null();
}

static int add_kpageflags(struct json_object *obj, const struct mmlens_frame *fr)
{
	struct json_object *kpf;

	if (!fr->has_kpageflags)
		return mmlens_json_add(obj, "kpageflags", mmlens_json_null());
	kpf = json_object_new_object();
	if (!kpf || mmlens_json_add(kpf, "raw", mmlens_json_hex(fr->kpageflags)) ||
	    mmlens_json_add(kpf, "flags", mmlens_json_flags(mmlens_kpf_names,
							    fr->kpageflags))) {
		json_object_put(kpf);
		return -ENOMEM;
	}
	return mmlens_json_add(obj, "kpageflags", kpf);
}

/* The module's page flags, or else kpageflags'. */
static struct json_object *frame_flags_json(const struct mmlens_frame *fr)
{
	if (fr->module)
		return mmlens_json_flags(mmlens_kpf_names, fr->flags);
	if (fr->has_kpageflags)
		return mmlens_json_flags(mmlens_kpf_names, fr->kpageflags);
	return mmlens_json_null();
}

struct json_object *mmlens_frame_json(const struct mmlens_frame *fr)
{
	bool m = fr->module;
	struct json_object *obj;

	obj = json_object_new_object();
	if (!obj ||
	    mmlens_json_add(obj, "pfn", json_object_new_int64(fr->pfn)) ||
	    mmlens_json_add(obj, "refcount", json_int_or_null(m, fr->refcount)) ||
	    mmlens_json_add(obj, "mapcount",
			    m ? json_object_new_int64(fr->mapcount)
			      : json_int_or_null(fr->has_kpagecount, fr->kpagecount)) ||
	    mmlens_json_add(obj, "folio_mapcount",
			    json_int_or_null(m, fr->folio_mapcount)) ||
	    mmlens_json_add(obj, "order", json_int_or_null(m, fr->order)) ||
	    mmlens_json_add(obj, "nid", json_int_or_null(m, fr->nid)) ||
	    mmlens_json_add(obj, "flags", frame_flags_json(fr)) ||
	    add_kpageflags(obj, fr) ||
	    mmlens_json_add(obj, "kpagecount",
			    json_int_or_null(fr->has_kpagecount, fr->kpagecount))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

static int put_pfn(struct nl_msg *msg, const void *arg)
{
	const struct mmlens_frame *fr = arg;

	return nla_put_u64(msg, MMLENS_A_FRAME_PFN, fr->pfn) ? -ENOMEM : 0;
}

struct frame_reply {
	struct mmlens_frame frame;
	int replies;
};

static int frame_reply_cb(struct nl_msg *msg, void *arg)
{
	struct frame_reply *r = arg;
	struct genlmsghdr *gnlh = nlmsg_data(nlmsg_hdr(msg));

	/* Exactly one reply is expected. */
	if (r->replies++)
		return -EBADMSG;
	return mmlens_frame_parse(genlmsg_attrdata(gnlh, 0),
				  genlmsg_attrlen(gnlh, 0), &r->frame);
}

int mmlens_cmd_frame(struct mmlens_ctx *ctx, int argc, char **argv)
{
	struct frame_reply reply = { .replies = 0 };
	struct mmlens_frame want = { .pfn = 0 };
	struct json_object *obj;
	struct mmlens_req req = {
		.cmd = MMLENS_CMD_GET_FRAME,
		.put = put_pfn,
		.reply = frame_reply_cb,
		.put_arg = &want,
		.reply_arg = &reply,
	};
	int first, ret, e;

	ret = mmlens_cmd_options(ctx, argc, argv, 1, 1, &first);
	if (ret >= 0)
		return ret;
	if (mmlens_arg_u64(ctx, "PFN", argv[first], &want.pfn))
		return MMLENS_EXIT_USAGE;

	ret = mmlens_request_or_proc(ctx, &req, &reply.replies,
				     "/proc/kpageflags and /proc/kpagecount");
	if (ret > 0)
		return ret;
	if (ret == -ENOENT)
		reply.frame = want;

	e = mmlens_frame_read_proc(&reply.frame);
	/* Without the module, kpageflags is all there is. */
	if (!reply.frame.module && e) {
		if (e == -ENOENT)
			mmlens_err(ctx, "PFN 0x%" PRIx64 " is beyond the end of "
				   "/proc/kpageflags", want.pfn);
		else
			mmlens_err(ctx, "cannot read /proc/kpageflags: %s",
				   strerror(-e));
		return MMLENS_EXIT_FAIL;
	}

	if (!ctx->json) {
		mmlens_frame_print(stdout, &reply.frame, "");
		return MMLENS_EXIT_OK;
	}
	obj = mmlens_frame_json(&reply.frame);
	e = obj ? mmlens_json_print(stdout, obj) : -ENOMEM;
	json_object_put(obj);
	if (e) {
		mmlens_err(ctx, "%s", strerror(-e));
		return MMLENS_EXIT_FAIL;
	}
	return MMLENS_EXIT_OK;
}
