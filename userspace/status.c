// SPDX-License-Identifier: GPL-2.0
/*
 * mmlens status: the module's version and the machine's paging setup.
 */
#include <errno.h>
#include <string.h>

#include <netlink/genl/genl.h>

#include <linux/mmlens.h>

#include "output.h"
#include "mmlens.h"
#include "status.h"

/*
 * Attributes newer than this mmlens (above MMLENS_A_STATUS_MAX) are ignored:
 * the ABI grows by appending.  Strings must be NUL-terminated and fit.
 */
static const struct nla_policy status_policy[MMLENS_A_STATUS_MAX + 1] = {
	[MMLENS_A_STATUS_MODULE_VERSION] = {
		.type = NLA_STRING,
		.maxlen = sizeof(((struct mmlens_status *)0)->module_version),
	},
	[MMLENS_A_STATUS_ABI_VERSION] = MMLENS_POLICY_U32,
	[MMLENS_A_STATUS_KERNEL_RELEASE] = {
		.type = NLA_STRING,
		.maxlen = sizeof(((struct mmlens_status *)0)->kernel_release),
	},
	[MMLENS_A_STATUS_PAGING_LEVELS] = MMLENS_POLICY_U32,
	[MMLENS_A_STATUS_PAGE_SIZE] = MMLENS_POLICY_U32,
	[MMLENS_A_STATUS_USER_VA_BITS] = MMLENS_POLICY_U32,
	[MMLENS_A_STATUS_PHYS_BITS] = MMLENS_POLICY_U32,
	[MMLENS_A_STATUS_PTI] = MMLENS_POLICY_FLAG,
};

int mmlens_status_parse(struct nl_msg *msg, struct mmlens_status *st)
{
	struct nlattr *tb[MMLENS_A_STATUS_MAX + 1];
	int i;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MMLENS_A_STATUS_MAX,
			  status_policy) < 0)
		return -EBADMSG;

	/* Everything but the PTI flag is always sent. */
	for (i = 1; i < MMLENS_A_STATUS_PTI; i++)
		if (!tb[i])
			return -EBADMSG;
	if (!mmlens_flag_ok(tb[MMLENS_A_STATUS_PTI]))
		return -EBADMSG;

	memset(st, 0, sizeof(*st));
	/* The policy checked termination and size. */
	strcpy(st->module_version, nla_get_string(tb[MMLENS_A_STATUS_MODULE_VERSION]));
	strcpy(st->kernel_release, nla_get_string(tb[MMLENS_A_STATUS_KERNEL_RELEASE]));
	st->abi_version = nla_get_u32(tb[MMLENS_A_STATUS_ABI_VERSION]);
	st->paging_levels = nla_get_u32(tb[MMLENS_A_STATUS_PAGING_LEVELS]);
	st->page_size = nla_get_u32(tb[MMLENS_A_STATUS_PAGE_SIZE]);
	st->user_va_bits = nla_get_u32(tb[MMLENS_A_STATUS_USER_VA_BITS]);
	st->phys_bits = nla_get_u32(tb[MMLENS_A_STATUS_PHYS_BITS]);
	st->pti = tb[MMLENS_A_STATUS_PTI] != NULL;
	return 0;
}

void mmlens_status_print(FILE *f, const struct mmlens_status *st)
{
	fprintf(f, "%-16s%s\n", "module version:", st->module_version);
	fprintf(f, "%-16s%u\n", "abi version:", st->abi_version);
	fprintf(f, "%-16s%s\n", "kernel release:", st->kernel_release);
	fprintf(f, "%-16s%u (%s%u-bit user address space)\n", "paging levels:",
		st->paging_levels, st->paging_levels == 5 ? "LA57, " : "",
		st->user_va_bits);
	fprintf(f, "%-16s%u\n", "page size:", st->page_size);
	fprintf(f, "%-16s%u\n", "user va bits:", st->user_va_bits);
	fprintf(f, "%-16s%u\n", "phys bits:", st->phys_bits);
	fprintf(f, "%-16s%s\n", "pti:", st->pti ? "on" : "off");
}

struct json_object *mmlens_status_json(const struct mmlens_status *st)
{
	struct json_object *obj;

	obj = json_object_new_object();
	if (!obj)
		return NULL;
	if (mmlens_json_add(obj, "module_version",
			    json_object_new_string(st->module_version)) ||
	    mmlens_json_add(obj, "abi_version",
			    json_object_new_int64(st->abi_version)) ||
	    mmlens_json_add(obj, "kernel_release",
			    json_object_new_string(st->kernel_release)) ||
	    mmlens_json_add(obj, "paging_levels",
			    json_object_new_int64(st->paging_levels)) ||
	    mmlens_json_add(obj, "page_size",
			    json_object_new_int64(st->page_size)) ||
	    mmlens_json_add(obj, "user_va_bits",
			    json_object_new_int64(st->user_va_bits)) ||
	    mmlens_json_add(obj, "phys_bits",
			    json_object_new_int64(st->phys_bits)) ||
	    mmlens_json_add(obj, "pti", json_object_new_boolean(st->pti))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

struct status_reply {
	struct mmlens_status status;
	int replies;
	int error;		/* why a reply was refused */
};

static int status_reply_cb(struct nl_msg *msg, void *arg)
{
	struct status_reply *r = arg;

	/* Exactly one reply is expected. */
	if (r->replies++)
		r->error = -EBADMSG;
	else
		r->error = mmlens_status_parse(msg, &r->status);
	return r->error;
}

int mmlens_cmd_status(struct mmlens_ctx *ctx, int argc, char **argv)
{
	struct status_reply reply = { .replies = 0 };
	struct mmlens_nl_err err;
	struct json_object *obj;
	struct mmlens_nl nl;
	struct nl_msg *msg;
	int first, ret, e;

	ret = mmlens_cmd_options(ctx, argc, argv, 0, 0, &first);
	if (ret >= 0)
		return ret;
	if (mmlens_connect(ctx, &nl))
		return MMLENS_EXIT_FAIL;

	ret = MMLENS_EXIT_FAIL;
	msg = mmlens_nl_request(&nl, MMLENS_CMD_GET_STATUS, 0);
	if (!msg) {
		mmlens_err(ctx, "%s", strerror(ENOMEM));
		goto out;
	}
	if (mmlens_nl_transact(&nl, msg, status_reply_cb, &reply, &err)) {
		if (reply.error)
			mmlens_err(ctx, "malformed reply from the kernel module");
		else
			mmlens_err_nl(ctx, &err);
		goto out;
	}
	if (!reply.replies) {
		mmlens_err(ctx, "no reply from the kernel module");
		goto out;
	}

	if (reply.status.abi_version != MMLENS_ABI_VERSION)
		mmlens_err(ctx, "warning: the kernel module has ABI version %u, "
			   "this mmlens was built for %u; update the older one",
			   reply.status.abi_version, MMLENS_ABI_VERSION);

	if (ctx->json) {
		obj = mmlens_status_json(&reply.status);
		e = obj ? mmlens_json_print(stdout, obj) : -ENOMEM;
		json_object_put(obj);
		if (e) {
			mmlens_err(ctx, "%s", strerror(-e));
			goto out;
		}
	} else {
		mmlens_status_print(stdout, &reply.status);
	}
	ret = MMLENS_EXIT_OK;
out:
	mmlens_nl_close(&nl);
	return ret;
}
