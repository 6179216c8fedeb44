// SPDX-License-Identifier: GPL-2.0
/*
 * Watching processes live: watch requests and the event socket.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "audit.h"
#include "live.h"
#include "mmlens.h"

/* Events are small; a datagram holds one, but take whatever comes. */
#define LIVE_BUF_SIZE 65536

/*
 * Asks for size bytes of receive buffer: SO_RCVBUFFORCE passes
 * net.core.rmem_max for those with CAP_NET_ADMIN, SO_RCVBUF is capped by it.
 * Returns what the kernel granted (it reports twice what it accounts).
 */
static int set_rcvbuf(int fd, int size)
{
	socklen_t len = sizeof(size);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)))
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len))
		return -errno;
	return size;
}

int mmlens_live_open(struct mmlens_live *lv, const char *family,
		     const char *group, int rcvbuf)
{
	const int one = 1;
	int ret;

	memset(lv, 0, sizeof(*lv));
	lv->buf = malloc(LIVE_BUF_SIZE);
	lv->sock = nl_socket_alloc();
	if (!lv->buf || !lv->sock) {
		ret = -ENOMEM;
		goto fail;
	}
	/* Multicast messages carry no sequence number of ours. */
	nl_socket_disable_seq_check(lv->sock);
	ret = genl_connect(lv->sock);
	if (ret < 0)
		goto fail_nl;
	lv->fd = nl_socket_get_fd(lv->sock);

	lv->family = genl_ctrl_resolve(lv->sock, family);
	if (lv->family < 0) {
		ret = lv->family;
		goto fail_nl;
	}
	lv->group = genl_ctrl_resolve_grp(lv->sock, family, group);
	if (lv->group < 0) {
		ret = lv->group;
		goto fail_nl;
	}

	/* Before joining, so that no event ever meets the default buffer. */
	lv->rcvbuf = set_rcvbuf(lv->fd, rcvbuf);
	if (lv->rcvbuf < 0) {
		ret = lv->rcvbuf;
		goto fail;
	}
	/*
	 * Have the module's multicast fail when our buffer refuses a datagram,
	 * even if another listener took it: the module then counts its events
	 * as lost, and we learn the total with the next event.
	 */
	if (setsockopt(lv->fd, SOL_NETLINK, NETLINK_BROADCAST_ERROR, &one,
		       sizeof(one))) {
		ret = -errno;
		goto fail;
	}
	ret = nl_socket_add_membership(lv->sock, lv->group);
	if (ret < 0)
		goto fail_nl;
	ret = nl_socket_set_nonblocking(lv->sock);
	if (ret < 0)
		goto fail_nl;
	return 0;

fail_nl:
	ret = mmlens_nl_errno(ret);
fail:
	mmlens_live_close(lv);
	return ret;
}

void mmlens_live_close(struct mmlens_live *lv)
{
	nl_socket_free(lv->sock);
	free(lv->buf);
	lv->sock = NULL;
	lv->buf = NULL;
}

int mmlens_live_read(struct mmlens_live *lv, unsigned int max,
		     int (*fn)(const struct nlmsghdr *nlh, void *arg), void *arg,
		     uint64_t *overruns)
{
	struct nlmsghdr *nlh;
	unsigned int n = 0;
	ssize_t len;
	int ret;

	while (n < max) {
		len = recv(lv->fd, lv->buf, LIVE_BUF_SIZE, MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			/*
			 * The kernel dropped what did not fit; what was queued
			 * before is still there, and the socket goes on.
			 */
			if (errno == ENOBUFS) {
				(*overruns)++;
				continue;
			}
			return -errno;
		}
		n++;
		for (nlh = (struct nlmsghdr *)lv->buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_type != lv->family)
				continue;
			mmlens_audit(nlh);
			ret = fn(nlh, arg);
			if (ret < 0)
				return ret;
		}
	}
	return n;
}

static int add_u64(struct nlattr *attr, uint64_t *sum)
{
	if (nla_len(attr) != sizeof(uint64_t))
		return -EBADMSG;
	*sum += nla_get_u64(attr);
	return 0;
}

static int parse_faults(struct nlattr *nest, struct mmlens_stats *st)
{
	struct nlattr *attr;
	int rem, type;

	nla_for_each_nested(attr, nest, rem) {
		type = nla_type(attr);
		if (type < MMLENS_A_FAULTS_FIRST)
			continue;	/* padding */
		if (add_u64(attr, &st->faults[mmlens_class_slot(type -
								MMLENS_A_FAULTS_FIRST)]))
			return -EBADMSG;
	}
	return 0;
}

static const struct nla_policy tlb_count_policy[MMLENS_A_TLB_COUNT_MAX + 1] = {
	[MMLENS_A_TLB_COUNT_FLUSHES] = MMLENS_POLICY_U64,
	[MMLENS_A_TLB_COUNT_PAGES] = MMLENS_POLICY_U64,
	[MMLENS_A_TLB_COUNT_FULL] = MMLENS_POLICY_U64,
};

static int parse_tlb(struct nlattr *nest, struct mmlens_stats *st)
{
	struct nlattr *tb[MMLENS_A_TLB_COUNT_MAX + 1], *attr;
	struct mmlens_tlb_count *c;
	int rem, reason;

	nla_for_each_nested(attr, nest, rem) {
		reason = nla_type(attr) - MMLENS_A_TLB_FIRST;
		/* Reasons of a newer kernel have no column here. */
		if (reason < 0 || reason >= MMLENS_NR_TLB_REASONS)
			continue;
		if (nla_parse_nested(tb, MMLENS_A_TLB_COUNT_MAX, attr,
				     tlb_count_policy) < 0)
			return -EBADMSG;
		c = &st->tlb[reason];
		if (tb[MMLENS_A_TLB_COUNT_FLUSHES])
			c->flushes = nla_get_u64(tb[MMLENS_A_TLB_COUNT_FLUSHES]);
		if (tb[MMLENS_A_TLB_COUNT_PAGES])
			c->pages = nla_get_u64(tb[MMLENS_A_TLB_COUNT_PAGES]);
		if (tb[MMLENS_A_TLB_COUNT_FULL])
			c->full = nla_get_u64(tb[MMLENS_A_TLB_COUNT_FULL]);
	}
	return 0;
}

static const struct nla_policy stats_policy[MMLENS_A_STATS_MAX + 1] = {
	[MMLENS_A_STATS_PID] = MMLENS_POLICY_U32,
	[MMLENS_A_STATS_TLB_GEN] = MMLENS_POLICY_U64,
	[MMLENS_A_STATS_WATCHED_NS] = MMLENS_POLICY_U64,
	[MMLENS_A_STATS_FAULTS] = MMLENS_POLICY_NESTED,
	[MMLENS_A_STATS_TLB] = MMLENS_POLICY_NESTED,
	[MMLENS_A_STATS_EVENTS] = MMLENS_POLICY_U64,
	[MMLENS_A_STATS_LOST] = MMLENS_POLICY_U64,
	[MMLENS_A_STATS_SEQ] = MMLENS_POLICY_U64,
};

int mmlens_stats_parse(const struct nlmsghdr *nlh, struct mmlens_stats *st)
{
	struct nlattr *tb[MMLENS_A_STATS_MAX + 1];

	memset(st, 0, sizeof(*st));
	/* libnl's prototype lacks the const it honours. */
	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, MMLENS_A_STATS_MAX,
			  stats_policy) < 0 ||
	    !tb[MMLENS_A_STATS_WATCHED_NS])
		return -EBADMSG;
	st->has_pid = tb[MMLENS_A_STATS_PID];
	if (st->has_pid)
		st->pid = nla_get_u32(tb[MMLENS_A_STATS_PID]);
	st->has_tlb_gen = tb[MMLENS_A_STATS_TLB_GEN];
	if (st->has_tlb_gen)
		st->tlb_gen = nla_get_u64(tb[MMLENS_A_STATS_TLB_GEN]);
	st->watched_ns = nla_get_u64(tb[MMLENS_A_STATS_WATCHED_NS]);
	if (tb[MMLENS_A_STATS_EVENTS])
		st->events = nla_get_u64(tb[MMLENS_A_STATS_EVENTS]);
	if (tb[MMLENS_A_STATS_LOST])
		st->lost = nla_get_u64(tb[MMLENS_A_STATS_LOST]);
	if (tb[MMLENS_A_STATS_SEQ])
		st->seq = nla_get_u64(tb[MMLENS_A_STATS_SEQ]);
	if ((tb[MMLENS_A_STATS_FAULTS] && parse_faults(tb[MMLENS_A_STATS_FAULTS], st)) ||
	    (tb[MMLENS_A_STATS_TLB] && parse_tlb(tb[MMLENS_A_STATS_TLB], st)))
		return -EBADMSG;
	return 0;
}

struct stats_reply {
	struct mmlens_stats *st;
	int replies;
};

static int stats_reply_cb(struct nl_msg *msg, void *arg)
{
	struct stats_reply *r = arg;

	/* Exactly one reply is expected. */
	if (r->replies++)
		return -EBADMSG;
	return mmlens_stats_parse(nlmsg_hdr(msg), r->st);
}

/* Sends msg (NULL: out of memory), returns as mmlens_nl_transact(). */
static int transact(struct mmlens_nl *nl, struct nl_msg *msg, int put_ret,
		    int (*cb)(struct nl_msg *msg, void *arg), void *arg,
		    struct mmlens_nl_err *err)
{
	if (!msg || put_ret < 0) {
		nlmsg_free(msg);
		err->error = -ENOMEM;
		err->msg[0] = '\0';
		return -ENOMEM;
	}
	return mmlens_nl_transact(nl, msg, cb, arg, err);
}

int mmlens_stats_get(struct mmlens_nl *nl, uint32_t pid, struct mmlens_stats *st,
		     struct mmlens_nl_err *err)
{
	struct stats_reply r = { .st = st };
	struct nl_msg *msg;
	int ret;

	msg = mmlens_nl_request(nl, MMLENS_CMD_GET_STATS, 0);
	ret = msg && pid ? nla_put_u32(msg, MMLENS_A_STATS_PID, pid) : 0;
	ret = transact(nl, msg, ret, stats_reply_cb, &r, err);
	if (!ret && !r.replies) {
		ret = -EBADMSG;
		err->error = ret;
	}
	return ret;
}

static const struct nla_policy watch_policy[MMLENS_A_WATCH_MAX + 1] = {
	[MMLENS_A_WATCH_PID] = MMLENS_POLICY_U32,
	[MMLENS_A_WATCH_SEQ] = MMLENS_POLICY_U64,
};

struct watch_reply {
	uint64_t *seq;
	int replies;
};

static int watch_reply_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MMLENS_A_WATCH_MAX + 1];
	struct watch_reply *r = arg;

	if (r->replies++ ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, tb, MMLENS_A_WATCH_MAX, watch_policy) < 0 ||
	    !tb[MMLENS_A_WATCH_SEQ])
		return -EBADMSG;
	*r->seq = nla_get_u64(tb[MMLENS_A_WATCH_SEQ]);
	return 0;
}

int mmlens_watch_add(struct mmlens_nl *nl, uint32_t pid, bool follow, uint64_t *seq,
		     struct mmlens_nl_err *err)
{
	struct watch_reply r = { .seq = seq };
	struct nl_msg *msg;
	int ret;

	msg = mmlens_nl_request(nl, MMLENS_CMD_WATCH_ADD, 0);
	ret = msg ? nla_put_u32(msg, MMLENS_A_WATCH_PID, pid) : 0;
	if (msg && !ret && follow)
		ret = nla_put_flag(msg, MMLENS_A_WATCH_FOLLOW);
	ret = transact(nl, msg, ret, watch_reply_cb, &r, err);
	if (!ret && !r.replies) {
		ret = -EBADMSG;
		err->error = ret;
		err->msg[0] = '\0';
	}
	return ret;
}
