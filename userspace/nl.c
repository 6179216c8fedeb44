// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink connection to the mmlens kernel module.
 *
 * libnl does the socket and builds the requests; the replies are read and
 * their errors taken from the kernel's NLMSG_ERROR ourselves: libnl squeezes
 * the kernel's errno into its own NLE_* codes (losing e.g. -EOPNOTSUPP vs
 * -EINVAL detail), does not expose the extack message, and allocates and
 * copies every message it receives.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <netlink/genl/ctrl.h>

#include <linux/mmlens.h>

#include "audit.h"
#include "nl.h"

int mmlens_nl_errno(int nlerr)
{
	static const int map[] = {
		[NLE_SUCCESS]		= 0,
		[NLE_FAILURE]		= EIO,
		[NLE_INTR]		= EINTR,
		[NLE_BAD_SOCK]		= EBADF,
		[NLE_AGAIN]		= EAGAIN,
		[NLE_NOMEM]		= ENOMEM,
		[NLE_EXIST]		= EEXIST,
		[NLE_INVAL]		= EINVAL,
		[NLE_RANGE]		= ERANGE,
		[NLE_MSGSIZE]		= EMSGSIZE,
		[NLE_OPNOTSUPP]		= EOPNOTSUPP,
		[NLE_AF_NOSUPPORT]	= EAFNOSUPPORT,
		[NLE_OBJ_NOTFOUND]	= ENOENT,
		[NLE_NOATTR]		= ENODATA,
		[NLE_MISSING_ATTR]	= EINVAL,
		[NLE_AF_MISMATCH]	= EAFNOSUPPORT,
		[NLE_SEQ_MISMATCH]	= EPROTO,
		[NLE_MSG_OVERFLOW]	= ENOBUFS,
		[NLE_MSG_TRUNC]		= EMSGSIZE,
		[NLE_NOADDR]		= EADDRNOTAVAIL,
		[NLE_SRCRT_NOSUPPORT]	= EOPNOTSUPP,
		[NLE_MSG_TOOSHORT]	= EBADMSG,
		[NLE_MSGTYPE_NOSUPPORT]	= EOPNOTSUPP,
		[NLE_OBJ_MISMATCH]	= EINVAL,
		[NLE_NOCACHE]		= ENOENT,
		[NLE_BUSY]		= EBUSY,
		[NLE_PROTO_MISMATCH]	= EPROTONOSUPPORT,
		[NLE_NOACCESS]		= EACCES,
		[NLE_PERM]		= EPERM,
		[NLE_PKTLOC_FILE]	= ENOENT,
		[NLE_PARSE_ERR]		= EINVAL,
		[NLE_NODEV]		= ENODEV,
		[NLE_IMMUTABLE]		= EPERM,
		/* The dump changed under us: worth retrying. */
		[NLE_DUMP_INTR]		= EAGAIN,
		[NLE_ATTRSIZE]		= EINVAL,
	};
	unsigned int code = nlerr < 0 ? -(unsigned int)nlerr : (unsigned int)nlerr;

	if (code >= sizeof(map) / sizeof(map[0]))
		return -EIO;
	return -map[code];
}

bool mmlens_flag_ok(const struct nlattr *attr)
{
	return !attr || !nla_len(attr);
}

/* Copies the NLMSGERR_ATTR_MSG string, if any, out of the TLVs at tlv. */
static void copy_extack_msg(const unsigned char *tlv, size_t len,
			    struct mmlens_nl_err *err)
{
	const struct nlattr *attr;
	size_t n;

	attr = nla_find((const struct nlattr *)tlv, (int)len, NLMSGERR_ATTR_MSG);
	if (!attr)
		return;

	/* The kernel NUL-terminates it, but do not rely on that. */
	n = strnlen(nla_data(attr), nla_len(attr));
	if (n >= sizeof(err->msg))
		n = sizeof(err->msg) - 1;
	memcpy(err->msg, nla_data(attr), n);
	err->msg[n] = '\0';
}

int mmlens_nl_parse_ack(const struct nlmsghdr *nlh, struct mmlens_nl_err *err)
{
	const unsigned char *buf = (const unsigned char *)nlh;
	size_t len = nlh->nlmsg_len, tlv_off;
	const struct nlmsgerr *e;
	int error;

	err->error = 0;
	err->msg[0] = '\0';

	if (len < NLMSG_HDRLEN)
		goto bad;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (len < NLMSG_HDRLEN + sizeof(*e))
			goto bad;
		e = (const struct nlmsgerr *)(buf + NLMSG_HDRLEN);
		error = e->error;
		/*
		 * The kernel echoes our request after the nlmsgerr: only its
		 * header when the ACK is capped, all of it otherwise.
		 */
		tlv_off = NLMSG_HDRLEN + sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (e->msg.nlmsg_len < NLMSG_HDRLEN ||
			    e->msg.nlmsg_len - NLMSG_HDRLEN > len - tlv_off)
				goto bad;
			tlv_off += e->msg.nlmsg_len - NLMSG_HDRLEN;
		}
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		/* A dump's DONE carries its errno as a bare int. */
		if (len < NLMSG_HDRLEN + sizeof(int))
			goto bad;
		memcpy(&error, buf + NLMSG_HDRLEN, sizeof(int));
		tlv_off = NLMSG_HDRLEN + sizeof(int);
	} else {
		goto bad;
	}

	/* The kernel only ever reports negative errnos. */
	if (error > 0)
		goto bad;

	/* Without TLVs nlmsg_len may end unaligned, right after the echo. */
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		tlv_off = NLMSG_ALIGN(tlv_off);
		if (tlv_off > len)
			goto bad;
		copy_extack_msg(buf + tlv_off, len - tlv_off, err);
	}

	err->error = error;
	return error;

bad:
	err->msg[0] = '\0';
	err->error = -EBADMSG;
	return -EBADMSG;
}

/*
 * Receive buffer: GET_PTE dump messages can be MMLENS_DUMP_BUFFER bytes (the
 * module asks netlink for messages that large), everything else is smaller.
 */
#define RX_SIZE MMLENS_DUMP_BUFFER

/* What the replies of one request said. */
struct transact {
	int (*cb)(struct nl_msg *msg, void *arg);
	void *arg;
	int family;		/* replies of this family are audited */
	uint32_t port, seq;	/* of the request, which the replies echo */
	int cb_error;
	struct mmlens_nl_err kernel;
	bool dump_intr;
	bool done;
};

/*
 * Takes the messages of one datagram of len bytes, received at the start of
 * rx's buffer.  The callback gets rx itself: the first message is in place,
 * later ones are moved to the front (over messages already taken), so that
 * no message is ever allocated or copied just to be handed over.
 */
static void take_datagram(struct nl_msg *rx, int len, struct transact *t)
{
	struct nlmsghdr *front = nlmsg_hdr(rx), *nlh = front, *next;
	int ret;

	for (; !t->done && NLMSG_OK(nlh, len); nlh = next) {
		next = NLMSG_NEXT(nlh, len);
		/* Left over from an earlier request that was cut short. */
		if (nlh->nlmsg_pid != t->port || nlh->nlmsg_seq != t->seq)
			continue;
		/*
		 * The kernel flags dump messages when the data changed between
		 * two of their parts; the dump is then inconsistent and should
		 * be retried.
		 */
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			t->dump_intr = true;
		/* ACK (NLMSG_ERROR with error 0), error or NLMSG_DONE: the end. */
		if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE) {
			mmlens_nl_parse_ack(nlh, &t->kernel);
			t->done = true;
			break;
		}
		if (nlh->nlmsg_type == t->family)
			mmlens_audit(nlh);
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE || !t->cb || t->cb_error)
			continue;
		if (nlh != front)
			memmove(front, nlh, nlh->nlmsg_len);
		ret = t->cb(rx, t->arg);
		if (ret < 0)
			t->cb_error = ret;
	}
}

/*
 * Reads replies until the terminating one.  Our own loop rather than libnl's
 * nl_recvmsgs(), which allocates a buffer for every datagram and a copy of
 * every message: a page-table dump moves hundreds of 32 KiB messages.
 */
static int receive(struct mmlens_nl *nl, struct transact *t)
{
	int fd = nl_socket_get_fd(nl->sock);
	ssize_t n;

	if (!nl->rx) {
		nl->rx = nlmsg_alloc_size(RX_SIZE);
		if (!nl->rx)
			return -ENOMEM;
	}
	while (!t->done) {
		/* MSG_TRUNC: the datagram's real length, to tell a cut one. */
		n = recv(fd, nlmsg_hdr(nl->rx), RX_SIZE, MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n > RX_SIZE)
			return -EMSGSIZE;
		take_datagram(nl->rx, n, t);
	}
	return 0;
}

int mmlens_nl_transact(struct mmlens_nl *nl, struct nl_msg *msg,
		       int (*cb)(struct nl_msg *msg, void *arg), void *arg,
		       struct mmlens_nl_err *err)
{
	struct transact t = { .cb = cb, .arg = arg, .family = nl->family };
	int ret;

	/* Without an ACK a successful request that has no reply never ends. */
	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ACK;

	ret = nl_send_auto(nl->sock, msg);
	/* Filled in by nl_send_auto(). */
	t.port = nlmsg_hdr(msg)->nlmsg_pid;
	t.seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	if (ret < 0) {
		ret = mmlens_nl_errno(ret);
		goto out;
	}

	ret = receive(nl, &t);
	if (ret)
		goto out;
	if (t.kernel.error)
		ret = t.kernel.error;
	else if (t.cb_error)
		ret = t.cb_error;
	else
		ret = t.dump_intr ? -EAGAIN : 0;

out:
	if (err) {
		*err = t.kernel;
		err->error = ret;
	}
	return ret;
}

static int family_handler(struct nl_msg *msg, void *arg)
{
	static const struct nla_policy policy[CTRL_ATTR_MAX + 1] = {
		[CTRL_ATTR_FAMILY_ID] = { .type = NLA_U16, .minlen = 2, .maxlen = 2 },
	};
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	int *family = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, CTRL_ATTR_MAX, policy) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_ID])
		return -EBADMSG;
	*family = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	return 0;
}

/*
 * Asks the generic netlink controller for our family id.  Done by hand rather
 * than with genl_ctrl_resolve() so that "no such family" arrives as the
 * kernel's -ENOENT instead of a libnl code.
 */
static int resolve_family(struct mmlens_nl *nl)
{
	struct nl_msg *msg;
	int family = -1, ret;

	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0, 0,
			 CTRL_CMD_GETFAMILY, 1) ||
	    nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, MMLENS_GENL_NAME) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}

	ret = mmlens_nl_transact(nl, msg, family_handler, &family, NULL);
	if (ret)
		return ret;
	if (family < 0)
		return -EBADMSG;
	nl->family = family;
	return 0;
}

int mmlens_nl_open(struct mmlens_nl *nl)
{
	const int one = 1;
	int fd, ret;

	nl->family = -1;
	nl->rx = NULL;
	nl->sock = nl_socket_alloc();
	if (!nl->sock)
		return -ENOMEM;

	ret = nl_connect(nl->sock, NETLINK_GENERIC);
	if (ret < 0) {
		ret = mmlens_nl_errno(ret);
		goto fail;
	}

	/*
	 * EXT_ACK: the module explains every error in an extack message.
	 * CAP_ACK: do not echo our whole request back in each error.
	 */
	fd = nl_socket_get_fd(nl->sock);
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one))) {
		ret = -errno;
		goto fail;
	}

	ret = resolve_family(nl);
	if (ret)
		goto fail;
	return 0;

fail:
	mmlens_nl_close(nl);
	return ret;
}

void mmlens_nl_close(struct mmlens_nl *nl)
{
	/* nl_socket_free() closes the socket too. */
	nl_socket_free(nl->sock);
	nlmsg_free(nl->rx);
	nl->sock = NULL;
	nl->rx = NULL;
	nl->family = -1;
}

struct nl_msg *mmlens_nl_request(struct mmlens_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg;

	msg = nlmsg_alloc();
	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags,
			 cmd, MMLENS_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}
