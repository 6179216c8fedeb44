/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmlens status: the reply to MMLENS_CMD_GET_STATUS.
 */
#ifndef MMLENS_STATUS_H
#define MMLENS_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json.h>
#include <netlink/msg.h>

struct mmlens_status {
	char module_version[64];
	uint32_t abi_version;
	char kernel_release[65];	/* __NEW_UTS_LEN + 1 */
	uint32_t paging_levels;
	uint32_t page_size;
	uint32_t user_va_bits;
	uint32_t phys_bits;
	bool pti;
};

/*
 * Fills st from a reply message.  Returns 0, or -EBADMSG when an attribute
 * is missing, has the wrong length or a string does not fit.
 */
int mmlens_status_parse(struct nl_msg *msg, struct mmlens_status *st);

/* Aligned "key: value" lines. */
void mmlens_status_print(FILE *f, const struct mmlens_status *st);

/* A new JSON object, or NULL when out of memory. */
struct json_object *mmlens_status_json(const struct mmlens_status *st);

#endif /* MMLENS_STATUS_H */
