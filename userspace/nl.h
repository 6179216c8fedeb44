/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink connection to the mmlens kernel module, shared by the CLI
 * and the selftests (link libmmlens.a).
 */
#ifndef MMLENS_NL_H
#define MMLENS_NL_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>

struct mmlens_nl {
	struct nl_sock *sock;
	int family;
	struct nl_msg *rx;	/* receive buffer, allocated on first use */
};

struct mmlens_nl_err {
	int error;		/* negative errno, 0 ok */
	char msg[256];		/* kernel extack message, "" if none */
};

/*
 * Connects, enables NETLINK_EXT_ACK and NETLINK_CAP_ACK, and resolves the
 * mmlens family.  Returns 0, -ENOENT when the family does not exist (module
 * not loaded), or another negative errno.  On failure nothing is left to
 * close.
 */
int mmlens_nl_open(struct mmlens_nl *nl);
void mmlens_nl_close(struct mmlens_nl *nl);

/*
 * New request message for cmd with the genl header filled in (version
 * MMLENS_GENL_VERSION); flags e.g. NLM_F_DUMP or 0.  Add attributes with
 * nla_put_*().  Returns NULL when out of memory.
 */
struct nl_msg *mmlens_nl_request(struct mmlens_nl *nl, uint8_t cmd, int flags);

/*
 * Sends msg (always frees it) with NLM_F_ACK and receives until the ACK,
 * NLMSG_DONE or an error.  cb (may be NULL) is called for each reply message,
 * which lives in nl's receive buffer: it is valid during the call only and
 * must not be kept (nlmsg_get()) or freed.  cb returns 0 to go on or a
 * negative errno to fail the transaction, in which case it is not called
 * again but the remaining replies are still read, so the socket stays
 * usable.  Returns 0 or a negative errno: the kernel's when it reported one,
 * else cb's, else a local one; -EAGAIN when the kernel flagged a dump as
 * interrupted (NLM_F_DUMP_INTR).  Fills *err (may be NULL) with that errno
 * and the kernel's extack message; on success the message may still hold a
 * warning.  Every reply of the family is audited for kernel addresses
 * (audit.h).
 */
int mmlens_nl_transact(struct mmlens_nl *nl, struct nl_msg *msg,
		       int (*cb)(struct nl_msg *msg, void *arg), void *arg,
		       struct mmlens_nl_err *err);

/*
 * Decodes a terminating message, NLMSG_ERROR (an ACK when its error is 0) or
 * NLMSG_DONE, of nlh->nlmsg_len bytes: sets err->error to its errno and
 * err->msg to its NLMSGERR_ATTR_MSG, honouring NLM_F_ACK_TLVS and
 * NLM_F_CAPPED.  Returns err->error; -EBADMSG for a malformed message.
 */
int mmlens_nl_parse_ack(const struct nlmsghdr *nlh, struct mmlens_nl_err *err);

/* Converts a negative libnl NLE_* code to the closest negative errno. */
int mmlens_nl_errno(int nlerr);

/* Whether a flag attribute is empty, as flags must be. */
bool mmlens_flag_ok(const struct nlattr *attr);

#endif /* MMLENS_NL_H */
