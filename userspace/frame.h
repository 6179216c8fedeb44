/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmlens frame: what the kernel knows of a page frame (MMLENS_CMD_GET_FRAME,
 * also nested in MMLENS_CMD_TRANSLATE's reply), beside /proc/kpageflags and
 * /proc/kpagecount.
 */
#ifndef MMLENS_FRAME_H
#define MMLENS_FRAME_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json.h>
#include <netlink/attr.h>

struct mmlens_frame {
	uint64_t pfn;
	bool module;		/* the fields below came from the module */
	uint32_t refcount, mapcount, folio_mapcount, order, nid;
	uint64_t flags;		/* KPF_* */
	/* The same frame in /proc; has_* false when unreadable. */
	bool has_kpageflags, has_kpagecount;
	uint64_t kpageflags, kpagecount;
};

/*
 * Fills fr from the attributes of a GET_FRAME reply or a nested
 * MMLENS_A_WALK_FRAME (attrs, len bytes).  Returns 0 or -EBADMSG.
 */
int mmlens_frame_parse(struct nlattr *attrs, int len, struct mmlens_frame *fr);

/*
 * Reads fr->pfn's /proc/kpageflags and /proc/kpagecount words.  Returns 0, or
 * why kpageflags could not be read: -ENOENT beyond its end, another -errno.
 */
int mmlens_frame_read_proc(struct mmlens_frame *fr);

/* "key: value" lines, each prefixed with indent. */
void mmlens_frame_print(FILE *f, const struct mmlens_frame *fr,
			const char *indent);

/*
 * {pfn, refcount, mapcount, folio_mapcount, order, nid, flags, kpageflags,
 * kpagecount}; the module's fields are null without it, and then mapcount and
 * flags are kpagecount's and kpageflags'.  NULL when out of memory.
 */
struct json_object *mmlens_frame_json(const struct mmlens_frame *fr);

#endif /* MMLENS_FRAME_H */
