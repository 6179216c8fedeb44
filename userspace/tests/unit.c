// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the pure parts of mmlens, run by "make test" under ASan and
 * UBSan.  Prints "ok - NAME" or "not ok - NAME" per test, TAP-like, for
 * tests/run.sh to count; exits 1 if any failed.
 */
#define _GNU_SOURCE		/* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <linux/genetlink.h>
#include <linux/kernel-page-flags.h>
#include <netlink/genl/ctrl.h>

#include <linux/mmlens.h>

#include "audit.h"
#include "check.h"
#include "events.h"
#include "live.h"
#include "fmt.h"
#include "info.h"
#include "maps.h"
#include "mmlens.h"
#include "names.h"
#include "nl.h"
#include "output.h"
#include "proc.h"
#include "ptes.h"
#include "range.h"
#include "stats.h"
#include "status.h"
#include "stream.h"
#include "translate.h"
#include "util.h"
#include "watch.h"

static int failed_checks;
static const char *skip_reason;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			printf("#   %s:%d: CHECK(%s) failed\n",		\
			       __FILE__, __LINE__, #cond);		\
			failed_checks++;				\
		}							\
	} while (0)

#define CHECK_STR(a, b)							\
	do {								\
		const char *_a = (a), *_b = (b);			\
		if (strcmp(_a, _b)) {					\
			printf("#   %s:%d: \"%s\" != \"%s\"\n",		\
			       __FILE__, __LINE__, _a, _b);		\
			failed_checks++;				\
		}							\
	} while (0)

/* Numbers. */

static void test_parse_u64(void)
{
	static const struct {
		const char *s;
		int ret;
		uint64_t val;
	} cases[] = {
		{ "0", 0, 0 },
		{ "42", 0, 42 },
		{ "007", 0, 7 },	/* decimal, not octal */
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "0x0", 0, 0 },
		{ "0xdeadBEEF", 0, 0xdeadbeef },
		{ "0XFF", 0, 0xff },
		{ "0x00007fffffffffff", 0, 0x7fffffffffffULL },
		{ "0xffffffffffffffff", 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "99999999999999999999999", -ERANGE, 0 },
		{ "0x10000000000000000", -ERANGE, 0 },
		{ "99999999999999999999999x", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "0x", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "1\n", -EINVAL, 0 },
		{ "12a", -EINVAL, 0 },
		{ "ff", -EINVAL, 0 },
		{ "0x12g", -EINVAL, 0 },
		{ "0x-1", -EINVAL, 0 },
		{ "0x 1", -EINVAL, 0 },
		{ "1.0", -EINVAL, 0 },
		{ "1e3", -EINVAL, 0 },
		{ "0b1", -EINVAL, 0 },
		{ "00x1", -EINVAL, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t val = 12345;
		int ret = mmlens_parse_u64(cases[i].s, &val);

		if (ret != cases[i].ret ||
		    val != (ret ? 12345 : cases[i].val)) {
			printf("#   parse_u64(\"%s\") = %d, %llu\n", cases[i].s,
			       ret, (unsigned long long)val);
			failed_checks++;
		}
	}
}

static void test_parse_pid(void)
{
	static const struct {
		const char *s;
		int ret;
		pid_t pid;
	} cases[] = {
		{ "1", 0, 1 },
		{ "4194304", 0, 4194304 },
		{ "2147483647", 0, 2147483647 },
		{ "0", -ERANGE, 0 },
		{ "2147483648", -ERANGE, 0 },
		{ "99999999999999999999999", -ERANGE, 0 },
		{ "-1", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 },
		{ "12abc", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "self", -EINVAL, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid_t pid = 999;
		int ret = mmlens_parse_pid(cases[i].s, &pid);

		if (ret != cases[i].ret || pid != (ret ? 999 : cases[i].pid)) {
			printf("#   parse_pid(\"%s\") = %d, %d\n", cases[i].s,
			       ret, (int)pid);
			failed_checks++;
		}
	}
}

/* Status formatting and parsing. */

static const struct mmlens_status la57_status = {
	.module_version = "0.1.0",
	.abi_version = 1,
	.kernel_release = "6.8.0-mmlens",
	.paging_levels = 5,
	.page_size = 4096,
	.user_va_bits = 56,
	.phys_bits = 52,
	.pti = true,
};

static void test_status_text(void)
{
	struct mmlens_status st = la57_status;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	CHECK(f);
	if (!f)
		return;
	mmlens_status_print(f, &st);
	st.paging_levels = 4;
	st.user_va_bits = 47;
	st.pti = false;
	mmlens_status_print(f, &st);
	CHECK(!fclose(f));
	CHECK_STR(buf,
		  "module version: 0.1.0\n"
		  "abi version:    1\n"
		  "kernel release: 6.8.0-mmlens\n"
		  "paging levels:  5 (LA57, 56-bit user address space)\n"
		  "page size:      4096\n"
		  "user va bits:   56\n"
		  "phys bits:      52\n"
		  "pti:            on\n"
		  "module version: 0.1.0\n"
		  "abi version:    1\n"
		  "kernel release: 6.8.0-mmlens\n"
		  "paging levels:  4 (47-bit user address space)\n"
		  "page size:      4096\n"
		  "user va bits:   47\n"
		  "phys bits:      52\n"
		  "pti:            off\n");
	free(buf);
}

static void test_status_json(void)
{
	struct json_object *obj;

	obj = mmlens_status_json(&la57_status);
	CHECK(obj);
	if (!obj)
		return;
	CHECK_STR(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN),
		  "{\"module_version\":\"0.1.0\",\"abi_version\":1,"
		  "\"kernel_release\":\"6.8.0-mmlens\",\"paging_levels\":5,"
		  "\"page_size\":4096,\"user_va_bits\":56,\"phys_bits\":52,"
		  "\"pti\":true}");
	json_object_put(obj);
}

static void test_json_hex(void)
{
	static const struct {
		uint64_t val;
		const char *s;
	} cases[] = {
		{ 0, "0x0" },
		{ 0x7fffffffe000ULL, "0x7fffffffe000" },
		{ UINT64_MAX, "0xffffffffffffffff" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *obj = mmlens_json_hex(cases[i].val);

		CHECK(obj && json_object_is_type(obj, json_type_string));
		if (obj)
			CHECK_STR(json_object_get_string(obj), cases[i].s);
		json_object_put(obj);
	}
}

/* Which variation of a GET_STATUS reply build_status() builds. */
enum status_variant {
	STATUS_OK,
	STATUS_NO_PTI,
	STATUS_NEWER,		/* with an attribute we do not know yet */
	STATUS_MISSING,		/* without PAGE_SIZE */
	STATUS_U32_TOO_LONG,
	STATUS_U32_TOO_SHORT,
	STATUS_UNTERMINATED,
	STATUS_STRING_TOO_LONG,
	STATUS_PTI_PAYLOAD,
};

static struct nl_msg *build_status(enum status_variant v)
{
	const uint64_t u64 = 4096;
	const uint16_t u16 = 4096;
	char long_string[100];
	struct nl_msg *msg;
	int ret = 0;

	msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, 0, 0, 0x20, 0, 0, MMLENS_CMD_GET_STATUS,
				 MMLENS_GENL_VERSION))
		goto fail;

	memset(long_string, 'x', sizeof(long_string) - 1);
	long_string[sizeof(long_string) - 1] = '\0';
	if (v == STATUS_STRING_TOO_LONG)
		ret |= nla_put_string(msg, MMLENS_A_STATUS_MODULE_VERSION, long_string);
	else
		ret |= nla_put_string(msg, MMLENS_A_STATUS_MODULE_VERSION, "0.1.0");
	ret |= nla_put_u32(msg, MMLENS_A_STATUS_ABI_VERSION, 1);
	if (v == STATUS_UNTERMINATED)
		ret |= nla_put(msg, MMLENS_A_STATUS_KERNEL_RELEASE, 5, "6.8.0");
	else
		ret |= nla_put_string(msg, MMLENS_A_STATUS_KERNEL_RELEASE, "6.8.0");
	ret |= nla_put_u32(msg, MMLENS_A_STATUS_PAGING_LEVELS, 5);
	if (v == STATUS_U32_TOO_LONG)
		ret |= nla_put(msg, MMLENS_A_STATUS_PAGE_SIZE, sizeof(u64), &u64);
	else if (v == STATUS_U32_TOO_SHORT)
		ret |= nla_put(msg, MMLENS_A_STATUS_PAGE_SIZE, sizeof(u16), &u16);
	else if (v != STATUS_MISSING)
		ret |= nla_put_u32(msg, MMLENS_A_STATUS_PAGE_SIZE, 4096);
	ret |= nla_put_u32(msg, MMLENS_A_STATUS_USER_VA_BITS, 56);
	ret |= nla_put_u32(msg, MMLENS_A_STATUS_PHYS_BITS, 52);
	if (v == STATUS_PTI_PAYLOAD)
		ret |= nla_put_u32(msg, MMLENS_A_STATUS_PTI, 1);
	else if (v != STATUS_NO_PTI)
		ret |= nla_put_flag(msg, MMLENS_A_STATUS_PTI);
	if (v == STATUS_NEWER)
		ret |= nla_put_u64(msg, MMLENS_A_STATUS_MAX + 1, 7);
	if (ret)
		goto fail;
	return msg;

fail:
	printf("#   cannot build a status message\n");
	failed_checks++;
	nlmsg_free(msg);
	return NULL;
}

static int parse_variant(enum status_variant v, struct mmlens_status *st)
{
	struct nl_msg *msg = build_status(v);
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = mmlens_status_parse(msg, st);
	nlmsg_free(msg);
	return ret;
}

static void test_status_parse(void)
{
	struct mmlens_status st;

	CHECK(parse_variant(STATUS_OK, &st) == 0);
	CHECK_STR(st.module_version, "0.1.0");
	CHECK_STR(st.kernel_release, "6.8.0");
	CHECK(st.abi_version == 1 && st.paging_levels == 5);
	CHECK(st.page_size == 4096 && st.user_va_bits == 56);
	CHECK(st.phys_bits == 52 && st.pti);

	CHECK(parse_variant(STATUS_NO_PTI, &st) == 0 && !st.pti);
	CHECK(parse_variant(STATUS_NEWER, &st) == 0 && st.pti);

	CHECK(parse_variant(STATUS_MISSING, &st) == -EBADMSG);
	CHECK(parse_variant(STATUS_U32_TOO_LONG, &st) == -EBADMSG);
	CHECK(parse_variant(STATUS_U32_TOO_SHORT, &st) == -EBADMSG);
	CHECK(parse_variant(STATUS_UNTERMINATED, &st) == -EBADMSG);
	CHECK(parse_variant(STATUS_STRING_TOO_LONG, &st) == -EBADMSG);
	CHECK(parse_variant(STATUS_PTI_PAYLOAD, &st) == -EBADMSG);
}

/* Extended ACKs, built by hand as the kernel lays them out. */

struct buf {
	uint32_t words[128];	/* aligned for the netlink headers */
	size_t len;
};

static void *put(struct buf *b, const void *data, size_t len)
{
	unsigned char *p = (unsigned char *)b->words + b->len;

	memcpy(p, data, len);
	b->len = NLMSG_ALIGN(b->len + len);
	return p;
}

static void put_attr(struct buf *b, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr nla = { .nla_len = NLA_HDRLEN + len, .nla_type = type };

	put(b, &nla, sizeof(nla));
	put(b, data, len);
}

static struct nlmsghdr *finish(struct buf *b)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)b->words;

	nlh->nlmsg_len = b->len;
	return nlh;
}

/*
 * An NLMSG_ERROR for a request of req_len bytes.  Uncapped, the request's
 * header and req_len - NLMSG_HDRLEN bytes of payload are echoed.
 */
static void put_error(struct buf *b, uint16_t flags, int error, uint32_t req_len)
{
	struct nlmsghdr nlh = { .nlmsg_type = NLMSG_ERROR, .nlmsg_flags = flags };
	struct nlmsgerr e = {
		.error = error,
		.msg = { .nlmsg_len = req_len, .nlmsg_type = 0x20,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
	};
	unsigned char payload[64];

	memset(b, 0, sizeof(*b));
	put(b, &nlh, sizeof(nlh));
	put(b, &e, sizeof(e));
	if (!(flags & NLM_F_CAPPED)) {
		memset(payload, 0xa5, sizeof(payload));
		put(b, payload, req_len - NLMSG_HDRLEN);
	}
}

static void test_extack_uncapped(void)
{
	const uint32_t offs = 20;
	struct mmlens_nl_err err;
	struct buf b;

	/* 7 bytes of payload: the echo ends unaligned. */
	put_error(&b, NLM_F_ACK_TLVS, -EINVAL, NLMSG_HDRLEN + 7);
	put_attr(&b, NLMSGERR_ATTR_MSG, "bad pid", sizeof("bad pid"));
	put_attr(&b, NLMSGERR_ATTR_OFFS, &offs, sizeof(offs));
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == -EINVAL);
	CHECK(err.error == -EINVAL);
	CHECK_STR(err.msg, "bad pid");

	/* The message may come after other attributes. */
	put_error(&b, NLM_F_ACK_TLVS, -ESRCH, NLMSG_HDRLEN + 8);
	put_attr(&b, NLMSGERR_ATTR_OFFS, &offs, sizeof(offs));
	put_attr(&b, NLMSGERR_ATTR_MSG, "no such process", sizeof("no such process"));
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == -ESRCH);
	CHECK_STR(err.msg, "no such process");

	/* Without TLVs the message ends right after an unaligned echo. */
	put_error(&b, 0, -ENOSPC, NLMSG_HDRLEN + 7);
	finish(&b)->nlmsg_len = NLMSG_HDRLEN + sizeof(struct nlmsgerr) + 7;
	CHECK(mmlens_nl_parse_ack((struct nlmsghdr *)b.words, &err) == -ENOSPC);
	CHECK_STR(err.msg, "");

	/* An echo longer than the message itself. */
	put_error(&b, NLM_F_ACK_TLVS, -EINVAL, NLMSG_HDRLEN + 8);
	((struct nlmsgerr *)NLMSG_DATA(b.words))->msg.nlmsg_len = 4096;
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == -EBADMSG);
	CHECK_STR(err.msg, "");
}

static void test_extack_capped(void)
{
	struct mmlens_nl_err err;
	struct buf b;

	/* Capped: the request claims 200 bytes but only its header is here. */
	put_error(&b, NLM_F_CAPPED | NLM_F_ACK_TLVS, -EPERM, 200);
	put_attr(&b, NLMSGERR_ATTR_MSG, "needs CAP_SYS_ADMIN",
		 sizeof("needs CAP_SYS_ADMIN"));
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == -EPERM);
	CHECK_STR(err.msg, "needs CAP_SYS_ADMIN");

	/* No TLVs flag: whatever follows is not an extack. */
	put_error(&b, NLM_F_CAPPED, -EOPNOTSUPP, 200);
	put_attr(&b, NLMSGERR_ATTR_MSG, "ignored", sizeof("ignored"));
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == -EOPNOTSUPP);
	CHECK_STR(err.msg, "");

	/* A plain ACK. */
	put_error(&b, NLM_F_CAPPED, 0, 200);
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == 0);
	CHECK(err.error == 0);
	CHECK_STR(err.msg, "");

	/* An ACK with a warning. */
	put_error(&b, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0, 200);
	put_attr(&b, NLMSGERR_ATTR_MSG, "careful", sizeof("careful"));
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == 0);
	CHECK_STR(err.msg, "careful");
}

static void test_extack_malformed(void)
{
	struct mmlens_nl_err err;
	struct nlattr *nla;
	char long_msg[400];
	struct buf b;

	/* Too short for a struct nlmsgerr. */
	put_error(&b, NLM_F_CAPPED, -EINVAL, 200);
	b.len = NLMSG_HDRLEN + 8;
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == -EBADMSG);
	CHECK(err.error == -EBADMSG);

	/* Positive errors do not exist. */
	put_error(&b, NLM_F_CAPPED, EINVAL, 200);
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == -EBADMSG);

	/* Not a terminating message at all. */
	put_error(&b, NLM_F_CAPPED, -EINVAL, 200);
	((struct nlmsghdr *)b.words)->nlmsg_type = 0x20;
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == -EBADMSG);

	/* An attribute running past the end is ignored, the errno kept. */
	put_error(&b, NLM_F_CAPPED | NLM_F_ACK_TLVS, -ENOENT, 200);
	nla = put(&b, &(struct nlattr){ .nla_len = 200, .nla_type = NLMSGERR_ATTR_MSG },
		  sizeof(struct nlattr));
	put(&b, "abcd", 4);
	CHECK(nla->nla_len == 200);
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == -ENOENT);
	CHECK_STR(err.msg, "");

	/* Unterminated: taken up to the attribute's end. */
	put_error(&b, NLM_F_CAPPED | NLM_F_ACK_TLVS, -ENOENT, 200);
	put_attr(&b, NLMSGERR_ATTR_MSG, "abcdefgh", 5);
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == -ENOENT);
	CHECK_STR(err.msg, "abcde");

	/* Longer than msg[]: cut, and still terminated. */
	memset(long_msg, 'm', sizeof(long_msg));
	long_msg[sizeof(long_msg) - 1] = '\0';
	put_error(&b, NLM_F_CAPPED | NLM_F_ACK_TLVS, -E2BIG, 200);
	put_attr(&b, NLMSGERR_ATTR_MSG, long_msg, sizeof(long_msg));
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == -E2BIG);
	CHECK(strlen(err.msg) == sizeof(err.msg) - 1);
	CHECK(err.msg[0] == 'm');
}

static void test_extack_done(void)
{
	struct nlmsghdr nlh = {
		.nlmsg_type = NLMSG_DONE,
		.nlmsg_flags = NLM_F_MULTI,
	};
	struct mmlens_nl_err err;
	int error = -ESRCH;
	struct buf b;

	memset(&b, 0, sizeof(b));
	put(&b, &nlh, sizeof(nlh));
	put(&b, &error, sizeof(error));
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == -ESRCH);
	CHECK_STR(err.msg, "");

	((struct nlmsghdr *)b.words)->nlmsg_flags |= NLM_F_ACK_TLVS;
	put_attr(&b, NLMSGERR_ATTR_MSG, "process exited", sizeof("process exited"));
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == -ESRCH);
	CHECK_STR(err.msg, "process exited");

	/* A successful dump. */
	memset(&b, 0, sizeof(b));
	error = 0;
	put(&b, &nlh, sizeof(nlh));
	put(&b, &error, sizeof(error));
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == 0);

	/* No room for the errno. */
	memset(&b, 0, sizeof(b));
	put(&b, &nlh, sizeof(nlh));
	CHECK(mmlens_nl_parse_ack(finish(&b), &err) == -EBADMSG);
}

static void test_nl_errno(void)
{
	CHECK(mmlens_nl_errno(0) == 0);
	CHECK(mmlens_nl_errno(-NLE_PERM) == -EPERM);
	CHECK(mmlens_nl_errno(-NLE_INVAL) == -EINVAL);
	CHECK(mmlens_nl_errno(-NLE_OPNOTSUPP) == -EOPNOTSUPP);
	CHECK(mmlens_nl_errno(-NLE_OBJ_NOTFOUND) == -ENOENT);
	CHECK(mmlens_nl_errno(-NLE_NOMEM) == -ENOMEM);
	CHECK(mmlens_nl_errno(-NLE_NOACCESS) == -EACCES);
	CHECK(mmlens_nl_errno(-NLE_ATTRSIZE) == -EINVAL);
	CHECK(mmlens_nl_errno(-1000) == -EIO);
}

/*
 * Live transactions with the kernel's own generic netlink controller, which
 * exists everywhere: they exercise the receive loop, the error path and the
 * draining after a failing callback, which the mmlens family cannot on a
 * machine without the module.
 */

static int live_open(struct mmlens_nl *nl)
{
	const int one = 1;
	int fd;

	nl->family = GENL_ID_CTRL;
	nl->rx = NULL;
	nl->sock = nl_socket_alloc();
	if (!nl->sock)
		return -ENOMEM;
	if (nl_connect(nl->sock, NETLINK_GENERIC) < 0) {
		nl_socket_free(nl->sock);
		return -EPROTONOSUPPORT;
	}
	fd = nl_socket_get_fd(nl->sock);
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

static int count_cb(struct nl_msg *msg, void *arg)
{
	int *n = arg;

	(void)msg;
	(*n)++;
	return 0;
}

static int fail_cb(struct nl_msg *msg, void *arg)
{
	int *n = arg;

	(void)msg;
	(*n)++;
	return -E2BIG;
}

static struct nl_msg *getfamily(struct mmlens_nl *nl, uint8_t cmd, int flags,
				const char *name)
{
	struct nl_msg *msg = mmlens_nl_request(nl, cmd, flags);

	CHECK(msg);
	if (msg && name)
		CHECK(nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, name) == 0);
	return msg;
}

static void test_live_transact(void)
{
	struct mmlens_nl_err err;
	struct mmlens_nl nl;
	struct nl_msg *msg;
	int n, ret;

	if (live_open(&nl)) {
		skip_reason = "no generic netlink here";
		return;
	}

	/* A request with one reply and an ACK. */
	n = 0;
	msg = getfamily(&nl, CTRL_CMD_GETFAMILY, 0, "nlctrl");
	CHECK(mmlens_nl_transact(&nl, msg, count_cb, &n, &err) == 0);
	CHECK(n == 1 && err.error == 0);

	/* A dump, ended by NLMSG_DONE. */
	n = 0;
	msg = getfamily(&nl, CTRL_CMD_GETFAMILY, NLM_F_DUMP, NULL);
	CHECK(mmlens_nl_transact(&nl, msg, count_cb, &n, NULL) == 0);
	CHECK(n >= 1);

	/* The kernel's errno, not libnl's rendering of it. */
	msg = getfamily(&nl, CTRL_CMD_GETFAMILY, 0, "mmlens-nosuch");
	CHECK(mmlens_nl_transact(&nl, msg, NULL, NULL, &err) == -ENOENT);
	CHECK(err.error == -ENOENT);

	msg = getfamily(&nl, 0xfe, 0, NULL);
	ret = mmlens_nl_transact(&nl, msg, NULL, NULL, &err);
	CHECK(ret == -EOPNOTSUPP);
	CHECK(err.error == ret);

	/* A strictly validated command rejects an unknown attribute, saying why. */
	msg = getfamily(&nl, CTRL_CMD_GETPOLICY, NLM_F_DUMP, "nlctrl");
	CHECK(msg && nla_put_u32(msg, CTRL_ATTR_MAX + 10, 1) == 0);
	ret = mmlens_nl_transact(&nl, msg, count_cb, &n, &err);
	CHECK(ret == -EINVAL);
	CHECK(err.msg[0] != '\0');
	printf("#   kernel said: %s\n", err.msg);

	/* A failing callback fails the dump, which is still read to its end... */
	n = 0;
	msg = getfamily(&nl, CTRL_CMD_GETFAMILY, NLM_F_DUMP, NULL);
	CHECK(mmlens_nl_transact(&nl, msg, fail_cb, &n, &err) == -E2BIG);
	CHECK(n == 1 && err.error == -E2BIG && !err.msg[0]);

	/* ...so that the next request sees its own replies. */
	n = 0;
	msg = getfamily(&nl, CTRL_CMD_GETFAMILY, 0, "nlctrl");
	CHECK(mmlens_nl_transact(&nl, msg, count_cb, &n, NULL) == 0);
	CHECK(n == 1);

	mmlens_nl_close(&nl);
}

static void test_live_open(void)
{
	struct mmlens_nl nl;
	struct stat st;
	int ret;

	if (!stat("/sys/module/mmlens", &st)) {
		skip_reason = "the mmlens module is loaded";
		return;
	}
	ret = mmlens_nl_open(&nl);
	if (ret == -EPROTONOSUPPORT || ret == -EAFNOSUPPORT) {
		skip_reason = "no generic netlink here";
		return;
	}
	CHECK(ret == -ENOENT);
	CHECK(nl.sock == NULL);
}

/* The command line, as far as it gets without the module. */

static char out[4096], err[4096];

static void slurp(FILE *f, char *buf, size_t size)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Runs mmlens_main() with its stdout and stderr caught in out and err. */
static int run_main(const char *arg, ...)
{
	char *argv[16], *copies[16];
	int argc = 0, ret, saved_out, saved_err;
	FILE *fout, *ferr;
	va_list ap;

	/* mmlens_main() may rewrite argv, so keep what to free aside. */
	va_start(ap, arg);
	for (; arg && argc < 15; arg = va_arg(ap, const char *)) {
		copies[argc] = strdup(arg);
		argv[argc] = copies[argc];
		argc++;
	}
	va_end(ap);
	argv[argc] = NULL;

	fflush(stdout);
	fout = tmpfile();
	ferr = tmpfile();
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	dup2(fileno(fout), STDOUT_FILENO);
	dup2(fileno(ferr), STDERR_FILENO);

	ret = mmlens_main(argc, argv);

	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	slurp(fout, out, sizeof(out));
	slurp(ferr, err, sizeof(err));
	while (argc--)
		free(copies[argc]);
	return ret;
}

static void test_cmd_lookup(void)
{
	const struct mmlens_command *cmd;

	cmd = mmlens_cmd_lookup("status");
	CHECK(cmd && !strcmp(cmd->name, "status") && cmd->run && cmd->help);
	CHECK(mmlens_cmd_lookup("walk") &&
	      mmlens_cmd_lookup("walk")->run == mmlens_cmd_lookup("translate")->run);
	CHECK(mmlens_cmd_lookup("ptes") &&
	      mmlens_cmd_lookup("ptes")->opts == (MMLENS_OPT_RUNS | MMLENS_OPT_CHECK |
						  MMLENS_OPT_OUTPUT));
	CHECK(mmlens_cmd_lookup("info") && mmlens_cmd_lookup("maps") &&
	      mmlens_cmd_lookup("frame"));
	CHECK(!mmlens_cmd_lookup("stat"));
	CHECK(!mmlens_cmd_lookup("statuss"));
	CHECK(!mmlens_cmd_lookup("STATUS"));
	CHECK(!mmlens_cmd_lookup(""));
}

static void test_main_usage(void)
{
	CHECK(run_main("mmlens", NULL) == MMLENS_EXIT_USAGE);
	CHECK(strstr(err, "usage: mmlens") && !out[0]);

	CHECK(run_main("mmlens", "frobnicate", NULL) == MMLENS_EXIT_USAGE);
	CHECK(!strncmp(err, "mmlens: frobnicate: unknown command\n", 36));
	CHECK(strstr(err, "usage: mmlens") && !out[0]);

	CHECK(run_main("./any/name", "--json", "frobnicate", NULL) == MMLENS_EXIT_USAGE);
	CHECK(!strncmp(err, "mmlens: frobnicate: unknown command\n", 36));

	CHECK(run_main("mmlens", "--bogus", NULL) == MMLENS_EXIT_USAGE);
	CHECK(!strncmp(err, "mmlens: unrecognized option '--bogus'\n", 38));
	CHECK(strstr(err, "usage: mmlens"));

	CHECK(run_main("mmlens", "-x", "status", NULL) == MMLENS_EXIT_USAGE);
	CHECK(strstr(err, "usage: mmlens") && !out[0]);

	CHECK(run_main("mmlens", "status", "--bogus", NULL) == MMLENS_EXIT_USAGE);
	CHECK(!strncmp(err, "mmlens: status: unrecognized option '--bogus'\n", 46));
	CHECK(strstr(err, "usage: mmlens status"));

	CHECK(run_main("mmlens", "status", "extra", NULL) == MMLENS_EXIT_USAGE);
	CHECK(!strncmp(err, "mmlens: status: unexpected argument 'extra'\n", 44));

	CHECK(run_main("mmlens", "--help", NULL) == MMLENS_EXIT_OK);
	CHECK(strstr(out, "usage: mmlens") && strstr(out, "  status ") && !err[0]);

	CHECK(run_main("mmlens", "status", "-h", NULL) == MMLENS_EXIT_OK);
	CHECK(!strncmp(out, "usage: mmlens status [--json]\n", 30) && !err[0]);

	CHECK(run_main("mmlens", "-V", NULL) == MMLENS_EXIT_OK);
	CHECK(!strncmp(out, "mmlens ", 7) && !err[0]);
}

/* Formatting. */

static void test_fmt(void)
{
	char buf[64], *p;

	p = mmlens_fmt_hex(buf, 0x1a, 4);
	*p = '\0';
	CHECK_STR(buf, "001a");
	p = mmlens_fmt_hex(buf, 0, 1);
	*p = '\0';
	CHECK_STR(buf, "0");
	p = mmlens_fmt_hex(buf, UINT64_MAX, 12);
	*p = '\0';
	CHECK_STR(buf, "ffffffffffffffff");
	p = mmlens_fmt_hex(buf, 0x0123456789abcdefULL, 1);
	*p = '\0';
	CHECK_STR(buf, "123456789abcdef");
	p = mmlens_fmt_hex(buf, 0xfedcba9876543210ULL, 1);
	*p = '\0';
	CHECK_STR(buf, "fedcba9876543210");
	p = mmlens_fmt_hex(buf, 0x9a, 20);
	*p = '\0';
	CHECK_STR(buf, "0000000000000000009a");
	p = mmlens_fmt_0x(buf, 0x7ffd5c3a1e28ULL);
	*p = '\0';
	CHECK_STR(buf, "0x7ffd5c3a1e28");
	p = mmlens_fmt_u64(buf, UINT64_MAX);
	*p = '\0';
	CHECK_STR(buf, "18446744073709551615");
	p = mmlens_fmt_u64(buf, 10);
	*p = '\0';
	CHECK_STR(buf, "10");
	p = mmlens_fmt_u64(buf, 0);
	*p = '\0';
	CHECK_STR(buf, "0");
	p = mmlens_fmt_pgsize(buf, 4096);
	p = mmlens_fmt_col(p, buf, 4);
	p = mmlens_fmt_pgsize(p, 2 << 20);
	*p++ = ' ';
	p = mmlens_fmt_pgsize(p, 1 << 30);
	*p++ = ' ';
	p = mmlens_fmt_pgsize(p, 1000);
	*p = '\0';
	CHECK_STR(buf, "4K   2M 1G 1000");

	CHECK_STR(mmlens_human(buf, sizeof(buf), 100), "100 B");
	CHECK_STR(mmlens_human(buf, sizeof(buf), 4096), "4 KiB");
	CHECK_STR(mmlens_human(buf, sizeof(buf), 1536ULL << 20), "1.5 GiB");
	CHECK_STR(mmlens_human(buf, sizeof(buf), 1ULL << 38), "256 GiB");
	CHECK_STR(mmlens_human(buf, sizeof(buf), 1ULL << 57), "128 PiB");
}

/* Output streams. */

/* A stream over a fresh temporary file; NULL if there is none. */
static FILE *stream_file(struct mmlens_stream *s)
{
	FILE *f = tmpfile();

	CHECK(f);
	if (f)
		mmlens_stream_init(s, fileno(f));
	return f;
}

/*
 * Flushes s and takes what its file holds (malloc'd, NUL-terminated, NULL
 * without memory); the file is left empty for more.
 */
static char *stream_take(struct mmlens_stream *s, FILE *f)
{
	off_t size;
	char *buf;

	CHECK(mmlens_stream_flush(s) == 0);
	size = lseek(fileno(f), 0, SEEK_END);
	buf = malloc(size + 1);
	CHECK(buf && pread(fileno(f), buf, size, 0) == size);
	if (buf)
		buf[size] = '\0';
	CHECK(!ftruncate(fileno(f), 0) && lseek(fileno(f), 0, SEEK_SET) == 0);
	return buf;
}

/*
 * The lines of the stream tests: lengths from 0 to a few hundred bytes, and
 * some longer than PIPE_BUF; each line made of one letter and its newline.
 */
enum { STREAM_LINES = 700 };

static size_t stream_line_len(int i)
{
	if (i % 97 == 50)
		return 2 * PIPE_BUF + i;	/* longer than PIPE_BUF */
	if (i == 300)
		return PIPE_BUF;	/* with its newline, one byte too long */
	if (i == 301)
		return PIPE_BUF - 1;	/* with its newline, a batch */
	return (size_t)i * 7919 % 300;
}

/* All the lines, as the reader must see them; returns their length. */
static size_t stream_expected(char *buf)
{
	size_t len = 0, n;
	int i;

	for (i = 0; i < STREAM_LINES; i++) {
		n = stream_line_len(i);
		memset(buf + len, 'a' + i % 26, n);
		buf[len + n] = '\n';
		len += n + 1;
	}
	return len;
}

/*
 * Writes the lines to s, through each way in: lines without their newline,
 * several lines at once, rows made in place; returns the final flush's result.
 */
static int stream_write_all(struct mmlens_stream *s)
{
	static char line[3 * PIPE_BUF + STREAM_LINES];
	size_t n, m;
	char *row;
	int i;

	for (i = 0; i < STREAM_LINES; i++) {
		n = stream_line_len(i);
		memset(line, 'a' + i % 26, n);
		line[n] = '\n';
		if (i % 3 == 0 && n < MMLENS_ROW_MAX) {
			row = mmlens_stream_room(s);
			memcpy(row, line, n + 1);
			mmlens_stream_commit(s, n + 1);
		} else if (i % 3 == 1 && i + 1 < STREAM_LINES) {
			/* This line and the next in one call. */
			i++;
			m = stream_line_len(i);
			memset(line + n + 1, 'a' + i % 26, m);
			line[n + 1 + m] = '\n';
			mmlens_stream_lines(s, line, n + 1 + m + 1);
		} else {
			mmlens_stream_lines(s, line, n);
		}
	}
	return mmlens_stream_flush(s);
}

/*
 * Every write(2) holds whole lines: at most PIPE_BUF bytes of them, or one
 * longer line alone; a batch goes out only when the next line does not fit.
 * A SOCK_SEQPACKET socket keeps the boundaries of the writes: each message
 * read is one write.
 */
static void test_stream_batches(void)
{
	static char want[STREAM_LINES * (3 * PIPE_BUF)], got[sizeof(want)];
	static char msg[4 * PIPE_BUF];
	static struct mmlens_stream s;
	size_t want_len = stream_expected(want), got_len = 0, prev = 0, first;
	int sv[2], status, writes = 0, batches = 0;
	char *nl;
	ssize_t m;
	pid_t pid;

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	pid = fork();
	if (!pid) {
		close(sv[1]);
		mmlens_stream_init(&s, sv[0]);
		_exit(stream_write_all(&s) ? 1 : 0);
	}
	close(sv[0]);
	while ((m = recv(sv[1], msg, sizeof(msg), 0)) > 0) {
		writes++;
		CHECK(msg[m - 1] == '\n');
		nl = memchr(msg, '\n', m);
		first = nl - msg + 1;
		/* Longer than a batch: one line alone. */
		CHECK((size_t)m <= PIPE_BUF || first == (size_t)m);
		/* The batch before could not take this write's first line. */
		if ((size_t)m <= PIPE_BUF) {
			batches++;
			CHECK(!prev || prev + first > PIPE_BUF);
		}
		CHECK(got_len + m <= sizeof(got));
		if (got_len + m > sizeof(got))
			break;
		memcpy(got + got_len, msg, m);
		got_len += m;
		prev = m;
	}
	close(sv[1]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status));
	CHECK(got_len == want_len && !memcmp(got, want, want_len));
	/* The lines longer than PIPE_BUF, and batches of the rest. */
	CHECK(writes - batches == 8);
	CHECK(batches >= (int)(want_len - 8 * 2 * PIPE_BUF) / PIPE_BUF);
}

static volatile sig_atomic_t stream_signals;

static void count_signal(int sig)
{
	(void)sig;
	stream_signals++;
}

/*
 * Writes the lines into a one-page pipe that a slow reader drains, with the
 * pipe non-blocking (writes that end early, EAGAIN) or blocking and a timer
 * interrupting the writes (EINTR, writes that end early): the reader gets
 * every byte, in order.
 */
static void stream_through_pipe(bool nonblocking)
{
	static char want[STREAM_LINES * (3 * PIPE_BUF)], got[sizeof(want)];
	static struct mmlens_stream s;
	struct sigaction sa = { .sa_handler = count_signal };	/* no SA_RESTART */
	struct itimerval every = { { 0, 200 }, { 0, 200 } };
	size_t want_len = stream_expected(want), got_len = 0;
	int fds[2], status, reads = 0;
	ssize_t m;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	CHECK(fcntl(fds[1], F_SETPIPE_SZ, 4096) >= 4096);
	pid = fork();
	if (!pid) {
		close(fds[0]);
		if (nonblocking)
			fcntl(fds[1], F_SETFL, O_NONBLOCK);
		sigaction(SIGALRM, &sa, NULL);
		if (!nonblocking)
			setitimer(ITIMER_REAL, &every, NULL);
		mmlens_stream_init(&s, fds[1]);
		status = stream_write_all(&s);
		/* A blocking writer must have been interrupted, or nothing was tested. */
		_exit(status ? 1 : !nonblocking && !stream_signals ? 2 : 0);
	}
	close(fds[1]);
	while ((m = read(fds[0], got + got_len, 1000)) > 0) {
		got_len += m;
		if (++reads % 4 == 0)
			usleep(100);
		if (got_len + 1000 > sizeof(got))
			break;
	}
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	CHECK(WEXITSTATUS(status) == 0);
	CHECK(got_len == want_len && !memcmp(got, want, want_len));
}

static void test_stream_partial_writes(void)
{
	stream_through_pipe(true);
	stream_through_pipe(false);
}

/*
 * Batches of PIPE_BUF bytes to pipes and sockets (and what fstat() cannot
 * tell), larger ones to files and devices, which take the lines all the same.
 */
static void test_stream_batch_sizes(void)
{
	static char want[STREAM_LINES * (3 * PIPE_BUF)];
	static struct mmlens_stream s;
	size_t want_len = stream_expected(want);
	int fds[2], sv[2], fd;
	char *got;
	FILE *f;

	CHECK(pipe(fds) == 0);
	mmlens_stream_init(&s, fds[1]);
	CHECK(s.batch == PIPE_BUF);
	close(fds[0]);
	close(fds[1]);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	mmlens_stream_init(&s, sv[0]);
	CHECK(s.batch == PIPE_BUF);
	close(sv[0]);
	close(sv[1]);
	mmlens_stream_init(&s, -1);
	CHECK(s.batch == PIPE_BUF);
	fd = open("/dev/null", O_WRONLY);
	mmlens_stream_init(&s, fd);
	CHECK(s.batch == MMLENS_STREAM_BATCH_MAX);
	close(fd);

	f = stream_file(&s);
	if (!f)
		return;
	CHECK(s.batch == MMLENS_STREAM_BATCH_MAX);
	CHECK(stream_write_all(&s) == 0);
	got = stream_take(&s, f);
	CHECK(got && strlen(got) == want_len && !memcmp(got, want, want_len));
	free(got);
	fclose(f);
}

/* A failed write is kept, and nothing more is written. */
static void test_stream_errors(void)
{
	static struct mmlens_stream s;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int fd = open("/dev/full", O_WRONLY), fds[2];

	CHECK(fd >= 0);
	mmlens_stream_init(&s, fd);
	CHECK(mmlens_stream_lines(&s, "a line", 6) == 0);
	CHECK(mmlens_stream_flush(&s) == -ENOSPC);
	CHECK(mmlens_stream_lines(&s, "another", 7) == -ENOSPC);
	CHECK(s.len == 0);
	close(fd);

	/* A closed pipe, with SIGPIPE ignored as a caller may. */
	CHECK(pipe(fds) == 0);
	close(fds[0]);
	sigaction(SIGPIPE, &ign, &old);
	mmlens_stream_init(&s, fds[1]);
	CHECK(mmlens_stream_printf(&s, "%s %d", "line", 1) == 0);
	CHECK(mmlens_stream_flush(&s) == -EPIPE);
	sigaction(SIGPIPE, &old, NULL);
	close(fds[1]);
}

/* printf's lines: a newline added to the last, longer ones too. */
static void test_stream_printf(void)
{
	static struct mmlens_stream s;
	char long_word[1500], *text;
	FILE *f = stream_file(&s);

	if (!f)
		return;
	memset(long_word, 'w', sizeof(long_word) - 1);
	long_word[sizeof(long_word) - 1] = '\0';
	CHECK(mmlens_stream_printf(&s, "\nsummary: %d", 2) == 0);
	CHECK(mmlens_stream_printf(&s, "%s", long_word) == 0);
	CHECK(mmlens_stream_printf(&s, "%s", "two\nlines\n") == 0);
	text = stream_take(&s, f);
	CHECK(text && !strncmp(text, "\nsummary: 2\nwww", 15));
	CHECK(text && strlen(text) == 12 + sizeof(long_word) + 10);
	CHECK(text && !strcmp(text + 12 + sizeof(long_word) - 1, "\ntwo\nlines\n"));
	free(text);
	fclose(f);
}

/* Names. */

static void test_flag_names(void)
{
	char buf[512];
	struct json_object *arr;
	int bit;

	mmlens_flag_names(buf, sizeof(buf), mmlens_entry_flag_names,
			  MMLENS_F_PRESENT | MMLENS_F_RW | MMLENS_F_NX |
			  MMLENS_F_EXCLUSIVE, ',');
	CHECK_STR(buf, "present,rw,nx,exclusive");
	mmlens_flag_names(buf, sizeof(buf), mmlens_entry_flag_names,
			  MMLENS_F_PRESENT | (1ULL << 40), ',');
	CHECK_STR(buf, "present,bit40");
	mmlens_flag_names(buf, sizeof(buf), mmlens_entry_flag_names, 0, ',');
	CHECK_STR(buf, "");
	/* Every flag of the header has a name. */
	for (bit = 0; bit <= 27; bit++) {
		mmlens_flag_names(buf, sizeof(buf), mmlens_entry_flag_names,
				  1ULL << bit, ',');
		CHECK(buf[0] && strncmp(buf, "bit", 3));
	}
	mmlens_flag_names(buf, sizeof(buf), mmlens_entry_flag_names,
			  MMLENS_F_SOFT_DIRTY | MMLENS_F_HAS_FRAME, '|');
	CHECK_STR(buf, "soft_dirty|has_frame");

	mmlens_flag_names(buf, sizeof(buf), mmlens_kpf_names,
			  (1ULL << KPF_ANON) | (1ULL << KPF_THP) | (1ULL << 32) |
			  (1ULL << KPF_LOCKED), ',');
	CHECK_STR(buf, "locked,anon,thp,reserved");
	mmlens_flag_names(buf, sizeof(buf), mmlens_kpf_names, 1ULL << 63, ',');
	CHECK_STR(buf, "bit63");

	mmlens_flag_names(buf, sizeof(buf), mmlens_vm_flag_names,
			  0x80000000ULL | 0x100073ULL, ',');
	CHECK_STR(buf, "read,write,mayread,maywrite,mayexec,account,mergeable");
	mmlens_flag_names(buf, sizeof(buf), mmlens_vm_flag_names,
			  0x100ULL | 0x400ULL | 0x2000ULL | 0x4000ULL | 0x40000ULL |
			  0x200000ULL | 0x400000ULL | 0x20000000ULL | 0x40000000ULL |
			  (1ULL << 37), ',');
	CHECK_STR(buf, "growsdown,pfnmap,locked,io,dontexpand,noreserve,hugetlb,"
		  "hugepage,nohugepage,bit37");

	/* Cut short, still terminated. */
	mmlens_flag_names(buf, 6, mmlens_entry_flag_names,
			  MMLENS_F_PRESENT | MMLENS_F_RW, ',');
	CHECK_STR(buf, "prese");

	arr = mmlens_json_flags(mmlens_kpf_names, (1ULL << KPF_LRU) | (1ULL << 42));
	CHECK(arr && json_object_array_length(arr) == 2);
	if (arr && json_object_array_length(arr) == 2) {
		CHECK_STR(json_object_get_string(json_object_array_get_idx(arr, 0)), "lru");
		CHECK_STR(json_object_get_string(json_object_array_get_idx(arr, 1)), "arch_3");
	}
	json_object_put(arr);
}

static void test_kind_names(void)
{
	char perms[5];

	CHECK_STR(mmlens_level_name(MMLENS_LEVEL_PGD), "pgd");
	CHECK_STR(mmlens_level_name(MMLENS_LEVEL_P4D), "p4d");
	CHECK_STR(mmlens_level_name(MMLENS_LEVEL_PTE), "pte");
	CHECK_STR(mmlens_level_name(99), "?");
	CHECK_STR(mmlens_kind_name(MMLENS_KIND_PROT_NONE), "prot_none");
	CHECK_STR(mmlens_kind_name(MMLENS_KIND_HWPOISON), "hwpoison");
	CHECK_STR(mmlens_kind_name(MMLENS_KIND_HWPOISON + 1), "?");
	CHECK_STR(mmlens_vma_kind_name(MMLENS_VMA_VVAR), "vvar");
	CHECK_STR(mmlens_vma_kind_name(MMLENS_VMA_SPECIAL + 1), "?");
	mmlens_vm_perms(perms, MMLENS_VM_READ | MMLENS_VM_WRITE | MMLENS_VM_MAYSHARE);
	CHECK_STR(perms, "rw-s");
	mmlens_vm_perms(perms, MMLENS_VM_READ | MMLENS_VM_EXEC);
	CHECK_STR(perms, "r-xp");
	mmlens_vm_perms(perms, 0);
	CHECK_STR(perms, "---p");
}

/* /proc files. */

static void test_pagemap_decode(void)
{
	struct mmlens_pagemap pm;

	mmlens_pagemap_decode(0x8100000000012345ULL, &pm);
	CHECK(pm.present && !pm.swapped && pm.exclusive && !pm.soft_dirty);
	CHECK(!pm.file && !pm.uffd_wp && pm.pfn == 0x12345);

	mmlens_pagemap_decode(0xa280000000000001ULL, &pm);
	CHECK(pm.present && pm.file && pm.uffd_wp && pm.soft_dirty);
	CHECK(!pm.exclusive && pm.pfn == 1);

	mmlens_pagemap_decode((1ULL << 62) | (0x1234ULL << 5) | 3, &pm);
	CHECK(!pm.present && pm.swapped && pm.swap_type == 3);
	CHECK(pm.swap_offset == 0x1234 && pm.pfn == 0);

	mmlens_pagemap_decode((1ULL << 62) | (((1ULL << 50) - 1) << 5) | 31, &pm);
	CHECK(pm.swap_type == 31 && pm.swap_offset == (1ULL << 50) - 1);

	mmlens_pagemap_decode(1ULL << 55, &pm);
	CHECK(!pm.present && !pm.swapped && pm.soft_dirty && pm.pfn == 0);

	mmlens_pagemap_decode(0, &pm);
	CHECK(!pm.present && !pm.swapped && !pm.soft_dirty && pm.raw == 0);
}

static const char maps_fixture[] =
	"55d0e0a00000-55d0e0a02000 r--p 00000000 fe:00 1234                       /usr/bin/mmlens-fixture\n"
	"55d0e0a02000-55d0e0a05000 r-xp 00002000 fe:00 1234                       /usr/bin/mmlens-fixture\n"
	"55d0e0a05000-55d0e0a06000 rw-p 00005000 fe:00 1234                       /usr/bin/mmlens-fixture\n"
	"55d0e0a06000-55d0e0a07000 rw-p 00000000 00:00 0 \n"
	"55d0e1000000-55d0e1021000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f0000000000-7f0000001000 r--p 00000000 fe:00 99                         /opt/with space/lib.so\n"
	"7f0000001000-7f0000002000 ---p 00001000 fe:00 99                         /opt/with space/lib.so\n"
	"7f0000003000-7f0000004000 rw-s 00002000 fe:00 99                         /opt/with space/lib.so\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n"
	"7ffd00100000-7ffd00102000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

static char fixture_dir[64];

/* Writes text to a new file in fixture_dir; returns its path (static). */
static const char *fixture(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	if (!fixture_dir[0]) {
		strcpy(fixture_dir, "/tmp/mmlens-unit-XXXXXX");
		if (!mkdtemp(fixture_dir))
			return "/nonexistent";
	}
	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	f = fopen(path, "w");
	if (!f)
		return "/nonexistent";
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_maps_parse(void)
{
	struct mmlens_maps maps;
	const struct mmlens_map *m;
	char path[128];

	snprintf(path, sizeof(path), "%s", fixture("maps", maps_fixture));
	CHECK(mmlens_maps_load(path, &maps) == 0);
	CHECK(maps.n == 11);
	if (maps.n != 11)
		return;
	CHECK(maps.v[0].start == 0x55d0e0a00000ULL && maps.v[0].end == 0x55d0e0a02000ULL);
	CHECK_STR(maps.v[0].perms, "r--p");
	CHECK_STR(maps.v[0].path, "/usr/bin/mmlens-fixture");
	CHECK(maps.v[1].offset == 0x2000);
	CHECK(maps.v[3].path == NULL);
	CHECK_STR(maps.v[5].path, "/opt/with space/lib.so");
	CHECK(maps.v[10].start == 0xffffffffff600000ULL);

	m = mmlens_maps_find(&maps, 0x55d0e1000fffULL);
	CHECK(m && m == &maps.v[4]);
	CHECK(!mmlens_maps_find(&maps, 0x7f0000002000ULL));
	CHECK(!mmlens_maps_find(&maps, 0));
	CHECK(mmlens_maps_find(&maps, 0x7ffd00101000ULL) == &maps.v[9]);

	CHECK(mmlens_map_kind(&maps.v[0]) == MMLENS_VMA_FILE);
	CHECK(mmlens_map_kind(&maps.v[3]) == MMLENS_VMA_ANON);
	CHECK(mmlens_map_kind(&maps.v[4]) == MMLENS_VMA_HEAP);
	CHECK(mmlens_map_kind(&maps.v[8]) == MMLENS_VMA_STACK);
	CHECK(mmlens_map_kind(&maps.v[9]) == MMLENS_VMA_VDSO);
	CHECK(mmlens_map_kind(&maps.v[10]) == MMLENS_VMA_SPECIAL);
	CHECK(mmlens_map_vm_flags(&maps.v[1]) == (MMLENS_VM_READ | MMLENS_VM_EXEC));
	CHECK(mmlens_map_vm_flags(&maps.v[7]) == (MMLENS_VM_READ | MMLENS_VM_WRITE |
						  MMLENS_VM_SHARED | MMLENS_VM_MAYSHARE));
	mmlens_maps_free(&maps);

	CHECK(mmlens_maps_load(fixture("bad", "55d0e0a00000 r--p\n"), &maps) == -EBADMSG);
	CHECK(mmlens_maps_load("/nonexistent/maps", &maps) == -ENOENT);
}

static void test_range_parse(void)
{
	struct mmlens_range r;
	char path[128];

	snprintf(path, sizeof(path), "%s", fixture("maps", maps_fixture));

	CHECK(mmlens_range_parse("all", path, &r) == 0 && r.all && r.n == 0);
	mmlens_range_free(&r);

	CHECK(mmlens_range_parse("0x1000-0x3000", path, &r) == 0);
	CHECK(!r.all && r.n == 1 && r.v[0].start == 0x1000 && r.v[0].end == 0x3000);
	mmlens_range_free(&r);
	CHECK(mmlens_range_parse("4096-8192", path, &r) == 0);
	CHECK(r.n == 1 && r.v[0].start == 4096 && r.v[0].end == 8192);
	mmlens_range_free(&r);
	CHECK(mmlens_range_parse("0-0x7ffffffff000", "/nonexistent", &r) == 0);
	CHECK(r.n == 1 && r.v[0].end == 0x7ffffffff000ULL);
	mmlens_range_free(&r);

	/* A file's mappings, adjacent ones merged, gaps left out. */
	CHECK(mmlens_range_parse("/usr/bin/mmlens-fixture", path, &r) == 0);
	CHECK(r.n == 1 && r.v[0].start == 0x55d0e0a00000ULL &&
	      r.v[0].end == 0x55d0e0a06000ULL);
	mmlens_range_free(&r);
	CHECK(mmlens_range_parse("/opt/with space/lib.so", path, &r) == 0);
	CHECK(r.n == 2);
	if (r.n == 2) {
		CHECK(r.v[0].start == 0x7f0000000000ULL && r.v[0].end == 0x7f0000002000ULL);
		CHECK(r.v[1].start == 0x7f0000003000ULL && r.v[1].end == 0x7f0000004000ULL);
	}
	mmlens_range_free(&r);
	CHECK(mmlens_range_parse("[heap]", path, &r) == 0);
	CHECK(r.n == 1 && r.v[0].start == 0x55d0e1000000ULL && r.v[0].end == 0x55d0e1021000ULL);
	mmlens_range_free(&r);
	CHECK(mmlens_range_parse("[stack]", path, &r) == 0);
	CHECK(r.n == 1 && r.v[0].start == 0x7ffd00000000ULL);
	mmlens_range_free(&r);
	CHECK(mmlens_range_parse("[vdso]", path, &r) == 0 && r.n == 1);
	mmlens_range_free(&r);

	/* Errors. */
	CHECK(mmlens_range_parse("0x3000-0x1000", path, &r) == -ERANGE);
	CHECK(mmlens_range_parse("0x1000-0x1000", path, &r) == -ERANGE);
	CHECK(mmlens_range_parse("junk", path, &r) == -EINVAL);
	CHECK(mmlens_range_parse("0x1000-", path, &r) == -EINVAL);
	CHECK(mmlens_range_parse("-0x1000", path, &r) == -EINVAL);
	CHECK(mmlens_range_parse("0x1000-0x2000-0x3000", path, &r) == -EINVAL);
	CHECK(mmlens_range_parse("0x1g00-0x2000", path, &r) == -EINVAL);
	CHECK(mmlens_range_parse("[heap", path, &r) == -EINVAL);
	CHECK(mmlens_range_parse("no/such/relative/file", path, &r) == -EINVAL);
	CHECK(mmlens_range_parse("[nosuch]", path, &r) == -ENOENT);
	CHECK(mmlens_range_parse("/usr/bin/not-mapped", path, &r) == -ENOENT);
	/* Exists here, but is not mapped there. */
	CHECK(mmlens_range_parse("tests/unit.c", path, &r) == -ENOENT);
	CHECK(mmlens_range_parse("[heap]", "/nonexistent/maps", &r) == -ESRCH);
	CHECK(r.n == 0 && !r.v);
}

static void test_smaps_and_status(void)
{
	static const char smaps[] =
		"55d0e1000000-55d0e1021000 rw-p 00000000 00:00 0                          [heap]\n"
		"Size:                132 kB\n"
		"Rss:                  16 kB\n"
		"Swap:                  8 kB\n"
		"AnonHugePages:         0 kB\n"
		"VmFlags: rd wr mr mw me ac sd\n"
		"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n"
		"Rss:                  12 kB\n"
		"Swap:                  0 kB\n";
	const struct mmlens_smaps_vma *v;
	struct mmlens_proc_mm mm;
	struct mmlens_smaps s;

	CHECK(mmlens_smaps_load(fixture("smaps", smaps), &s) == 0);
	CHECK(s.n == 2);
	v = mmlens_smaps_find(&s, 0x55d0e1000000ULL);
	CHECK(v && v->rss_kb == 16 && v->swap_kb == 8 && v->end == 0x55d0e1021000ULL);
	v = mmlens_smaps_find(&s, 0x7ffd00000000ULL);
	CHECK(v && v->rss_kb == 12 && v->swap_kb == 0);
	CHECK(!mmlens_smaps_find(&s, 0x1000));
	mmlens_smaps_free(&s);

	CHECK(mmlens_smaps_load("/proc/self/smaps", &s) == 0 && s.n > 3);
	mmlens_smaps_free(&s);

	CHECK(mmlens_proc_mm_load("/proc/self", &mm) == 0);
	CHECK(mm.pid == getpid() && mm.tgid == getpid());
	CHECK(!strcmp(mm.comm, "unit-asan") || mm.comm[0]);
	CHECK(mm.vm_pte > 0 && mm.vm_rss > 0 && mm.vm_size >= mm.vm_rss);
	CHECK(mm.start_code && mm.start_code < mm.end_code);
	CHECK(mm.start_stack && mm.min_flt > 0);
	CHECK(mmlens_proc_mm_load("/nonexistent", &mm) == -ENOENT);
}

/* Translate. */

static void test_va_split(void)
{
	struct mmlens_va_split s;

	mmlens_va_split(0x7ffd5c3a1e28ULL, 4, &s);
	CHECK(s.levels == 4 && s.pgd_shift == 39);
	CHECK(s.pgd == 255 && s.p4d == 0 && s.pud == 501 && s.pmd == 225);
	CHECK(s.pte == 417 && s.offset == 0xe28);

	mmlens_va_split(0x34567d5c3a1e28ULL, 5, &s);
	CHECK(s.levels == 5 && s.pgd_shift == 48);
	CHECK(s.pgd == 52 && s.p4d == 172 && s.pud == 501 && s.pmd == 225);
	CHECK(s.pte == 417 && s.offset == 0xe28);

	mmlens_va_split(0x00fffffffffff000ULL, 5, &s);
	CHECK(s.pgd == 255 && s.p4d == 511 && s.pte == 511 && s.offset == 0);
	mmlens_va_split(0x1000, 4, &s);
	CHECK(s.pgd == 0 && s.pud == 0 && s.pmd == 0 && s.pte == 1);
}

/* How build_walk() ends the walk. */
enum walk_variant {
	WALK_PRESENT,		/* 4-level, a 4 KiB page */
	WALK_EMPTY_PUD,		/* nothing below the pgd entry */
	WALK_SWAP,
	WALK_HUGE,		/* a 2 MiB leaf */
	WALK_NO_KIND,		/* malformed */
	WALK_SIX_LEVELS,	/* malformed */
	WALK_FOLDED_NO_INDEX,	/* malformed: a folded level has an entry's index too */
};

static void put_level(struct nl_msg *msg, unsigned int level, unsigned int index,
		      unsigned int shift, uint64_t table, uint64_t entry,
		      uint64_t flags, bool folded, int *ret)
{
	struct nlattr *nest = nla_nest_start(msg, MMLENS_A_WALK_LEVEL);

	*ret |= !nest;
	*ret |= nla_put_u32(msg, MMLENS_A_LEVEL_LEVEL, level);
	*ret |= nla_put_u32(msg, MMLENS_A_LEVEL_INDEX, index);
	*ret |= nla_put_u32(msg, MMLENS_A_LEVEL_SHIFT, shift);
	*ret |= nla_put_u64(msg, MMLENS_A_LEVEL_TABLE_PA, table);
	*ret |= nla_put_u64(msg, MMLENS_A_LEVEL_ENTRY, entry);
	*ret |= nla_put_u64(msg, MMLENS_A_LEVEL_FLAGS, flags);
	if (folded)
		*ret |= nla_put_flag(msg, MMLENS_A_LEVEL_FOLDED);
	if (nest)
		nla_nest_end(msg, nest);
}

#define UPPER_FLAGS (MMLENS_F_PRESENT | MMLENS_F_RW | MMLENS_F_USER | \
		     MMLENS_F_ACCESSED | MMLENS_F_DIRTY)
#define LEAF_FLAGS (UPPER_FLAGS | MMLENS_F_NX | MMLENS_F_SOFT_DIRTY | \
		    MMLENS_F_WRITE | MMLENS_F_KERNEL_DIRTY | MMLENS_F_HAS_FRAME | \
		    MMLENS_F_EXCLUSIVE)

static struct nl_msg *build_walk(enum walk_variant v)
{
	const uint64_t va = 0x7ffd5c3a1e28ULL;
	struct nl_msg *msg;
	struct nlattr *nest;
	int ret = 0, i;

	msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, 0, 0, 0x20, 0, 0, MMLENS_CMD_TRANSLATE,
				 MMLENS_GENL_VERSION))
		goto fail;
	ret |= nla_put_u32(msg, MMLENS_A_WALK_PID, 1234);
	ret |= nla_put_u64(msg, MMLENS_A_WALK_VA, va);
	ret |= nla_put_u32(msg, MMLENS_A_WALK_PAGING_LEVELS, 4);
	put_level(msg, MMLENS_LEVEL_PGD, 255, 39, 0x10a3b4000ULL,
		  0x000000012345f067ULL, UPPER_FLAGS, false, &ret);
	if (v == WALK_FOLDED_NO_INDEX) {
		nest = nla_nest_start(msg, MMLENS_A_WALK_LEVEL);
		ret |= !nest || nla_put_u32(msg, MMLENS_A_LEVEL_LEVEL, MMLENS_LEVEL_P4D) ||
		       nla_put_flag(msg, MMLENS_A_LEVEL_FOLDED);
		if (nest)
			nla_nest_end(msg, nest);
	} else {
		put_level(msg, MMLENS_LEVEL_P4D, 255, 39, 0x10a3b4000ULL,
			  0x000000012345f067ULL, UPPER_FLAGS, true, &ret);
	}
	if (v == WALK_EMPTY_PUD) {
		put_level(msg, MMLENS_LEVEL_PUD, 501, 30, 0x12345f000ULL, 0, 0,
			  false, &ret);
		ret |= nla_put_u32(msg, MMLENS_A_WALK_LEAF_LEVEL, MMLENS_LEVEL_PUD);
		ret |= nla_put_u32(msg, MMLENS_A_WALK_KIND, MMLENS_KIND_NONE);
		ret |= nla_put_u64(msg, MMLENS_A_WALK_ENTRY, 0);
		ret |= nla_put_u64(msg, MMLENS_A_WALK_FLAGS, 0);
		goto done;
	}
	put_level(msg, MMLENS_LEVEL_PUD, 501, 30, 0x12345f000ULL,
		  0x0000000123460067ULL, UPPER_FLAGS, false, &ret);
	if (v == WALK_HUGE) {
		put_level(msg, MMLENS_LEVEL_PMD, 225, 21, 0x123460000ULL,
			  0x80000000566000e7ULL, LEAF_FLAGS | MMLENS_F_PSE, false, &ret);
		ret |= nla_put_u32(msg, MMLENS_A_WALK_LEAF_LEVEL, MMLENS_LEVEL_PMD);
		ret |= nla_put_u32(msg, MMLENS_A_WALK_KIND, MMLENS_KIND_PRESENT);
		ret |= nla_put_u64(msg, MMLENS_A_WALK_ENTRY, 0x80000000566000e7ULL);
		ret |= nla_put_u64(msg, MMLENS_A_WALK_FLAGS, LEAF_FLAGS | MMLENS_F_PSE);
		ret |= nla_put_u64(msg, MMLENS_A_WALK_PFN, 0x56600);
		ret |= nla_put_u64(msg, MMLENS_A_WALK_PAGE_SIZE, 2 << 20);
		ret |= nla_put_u64(msg, MMLENS_A_WALK_PA, 0x567a1e28ULL);
		goto done;
	}
	put_level(msg, MMLENS_LEVEL_PMD, 225, 21, 0x123460000ULL,
		  0x0000000123461067ULL, UPPER_FLAGS, false, &ret);
	if (v == WALK_SWAP) {
		put_level(msg, MMLENS_LEVEL_PTE, 417, 12, 0x123461000ULL,
			  0x00000000000a3400ULL, MMLENS_F_SOFT_DIRTY, false, &ret);
		ret |= nla_put_u32(msg, MMLENS_A_WALK_LEAF_LEVEL, MMLENS_LEVEL_PTE);
		ret |= nla_put_u32(msg, MMLENS_A_WALK_KIND, MMLENS_KIND_SWAP);
		ret |= nla_put_u64(msg, MMLENS_A_WALK_ENTRY, 0x00000000000a3400ULL);
		ret |= nla_put_u64(msg, MMLENS_A_WALK_FLAGS, MMLENS_F_SOFT_DIRTY);
		ret |= nla_put_u64(msg, MMLENS_A_WALK_PAGE_SIZE, 4096);
		ret |= nla_put_u32(msg, MMLENS_A_WALK_SWAP_TYPE, 1);
		ret |= nla_put_u64(msg, MMLENS_A_WALK_SWAP_OFFSET, 0x51a);
		goto done;
	}
	put_level(msg, MMLENS_LEVEL_PTE, 417, 12, 0x123461000ULL,
		  0x8000000056789867ULL, LEAF_FLAGS, false, &ret);
	if (v == WALK_SIX_LEVELS)
		for (i = 0; i < 2; i++)
			put_level(msg, MMLENS_LEVEL_PTE, 1, 12, 0, 0, 0, false, &ret);
	ret |= nla_put_u32(msg, MMLENS_A_WALK_LEAF_LEVEL, MMLENS_LEVEL_PTE);
	if (v != WALK_NO_KIND)
		ret |= nla_put_u32(msg, MMLENS_A_WALK_KIND, MMLENS_KIND_PRESENT);
	ret |= nla_put_u64(msg, MMLENS_A_WALK_ENTRY, 0x8000000056789867ULL);
	ret |= nla_put_u64(msg, MMLENS_A_WALK_FLAGS, LEAF_FLAGS);
	ret |= nla_put_u32(msg, MMLENS_A_WALK_PKEY, 0);
	ret |= nla_put_u64(msg, MMLENS_A_WALK_PFN, 0x56789);
	ret |= nla_put_u64(msg, MMLENS_A_WALK_PAGE_SIZE, 4096);
	ret |= nla_put_u64(msg, MMLENS_A_WALK_PA, 0x56789e28ULL);
	ret |= nla_put_u64(msg, MMLENS_A_WALK_VMA_START, 0x7ffd5c382000ULL);
	ret |= nla_put_u64(msg, MMLENS_A_WALK_VMA_END, 0x7ffd5c3a3000ULL);
	ret |= nla_put_u64(msg, MMLENS_A_WALK_VMA_FLAGS, 0x100173);
	nest = nla_nest_start(msg, MMLENS_A_WALK_FRAME);
	ret |= !nest;
	ret |= nla_put_u64(msg, MMLENS_A_FRAME_PFN, 0x56789);
	ret |= nla_put_u32(msg, MMLENS_A_FRAME_REFCOUNT, 2);
	ret |= nla_put_u32(msg, MMLENS_A_FRAME_MAPCOUNT, 1);
	ret |= nla_put_u32(msg, MMLENS_A_FRAME_FOLIO_MAPCOUNT, 1);
	ret |= nla_put_u32(msg, MMLENS_A_FRAME_ORDER, 0);
	ret |= nla_put_u64(msg, MMLENS_A_FRAME_FLAGS,
			   (1ULL << KPF_UPTODATE) | (1ULL << KPF_LRU) |
			   (1ULL << KPF_MMAP) | (1ULL << KPF_ANON) |
			   (1ULL << KPF_SWAPBACKED));
	ret |= nla_put_u32(msg, MMLENS_A_FRAME_NID, 0);
	if (nest)
		nla_nest_end(msg, nest);
done:
	if (ret)
		goto fail;
	return msg;
fail:
	printf("#   cannot build a walk message\n");
	failed_checks++;
	nlmsg_free(msg);
	return NULL;
}

/* Parses a canned walk; pm is its pagemap entry. */
static int parse_walk(enum walk_variant v, uint64_t pm, struct mmlens_walk *w)
{
	struct nl_msg *msg = build_walk(v);
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = mmlens_walk_parse(msg, w);
	nlmsg_free(msg);
	w->pid = 1234;
	mmlens_pagemap_decode(pm, &w->pagemap);
	return ret;
}

#define PM_OK 0x8180000000056789ULL	/* present, exclusive, soft-dirty */

static void test_walk_parse(void)
{
	struct mmlens_walk w;
	struct mmlens_pte rec;

	CHECK(parse_walk(WALK_PRESENT, PM_OK, &w) == 0);
	CHECK(w.module && w.va == 0x7ffd5c3a1e28ULL && w.paging_levels == 4);
	CHECK(w.nr_levels == 5 && w.levels[1].folded && !w.levels[0].folded);
	/* The folded P4D is the PGD entry, in the PGD's table at its index. */
	CHECK(w.levels[1].index == 255 && w.levels[1].table_pa == 0x10a3b4000ULL);
	CHECK(w.levels[2].level == MMLENS_LEVEL_PUD && w.levels[2].index == 501);
	CHECK(w.kind == MMLENS_KIND_PRESENT && w.leaf_level == MMLENS_LEVEL_PTE);
	CHECK(w.has_pfn && w.pfn == 0x56789 && w.has_pa && w.pa == 0x56789e28ULL);
	CHECK(w.has_frame && w.frame.refcount == 2 && w.frame.mapcount == 1);
	CHECK(w.has_vma && w.vma_flags == 0x100173 && !w.has_swap);
	CHECK(mmlens_walk_to_pte(&w, &rec));
	CHECK(rec.va == 0x7ffd5c3a1000ULL && mmlens_pte_shift(&rec) == 12 && rec.nr == 1);
	CHECK(rec.pfn == 0x56789 && rec.mapcount == 1 && rec.refcount == 2);

	CHECK(parse_walk(WALK_HUGE, 0, &w) == 0);
	CHECK(w.page_size == 2 << 20 && w.leaf_level == MMLENS_LEVEL_PMD);
	CHECK(mmlens_walk_to_pte(&w, &rec) && rec.va == 0x7ffd5c200000ULL);
	CHECK(rec.level == MMLENS_LEVEL_PMD && mmlens_pte_shift(&rec) == 21);

	CHECK(parse_walk(WALK_EMPTY_PUD, 0, &w) == 0);
	CHECK(w.kind == MMLENS_KIND_NONE && w.nr_levels == 3);
	/* No PAGE_SIZE: the span of the level the walk stopped at. */
	CHECK(w.page_size == 1 << 30);
	CHECK(!mmlens_walk_to_pte(&w, &rec));

	CHECK(parse_walk(WALK_SWAP, 0, &w) == 0);
	CHECK(w.has_swap && w.swap_type == 1 && w.swap_offset == 0x51a && !w.has_pfn);
	CHECK(mmlens_walk_to_pte(&w, &rec) && rec.swap_type == 1 && rec.swap_offset == 0x51a);

	CHECK(parse_walk(WALK_NO_KIND, 0, &w) == -EBADMSG);
	CHECK(parse_walk(WALK_SIX_LEVELS, 0, &w) == -EBADMSG);
	CHECK(parse_walk(WALK_FOLDED_NO_INDEX, 0, &w) == -EBADMSG);
}

static char *capture_walk(void (*fn)(FILE *, const struct mmlens_walk *),
			  const struct mmlens_walk *w)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fn(f, w);
	fclose(f);
	return buf;
}

/* Every line fits a projector's 80 columns. */
static bool fits_80(const char *text)
{
	const char *nl;

	for (; *text; text = nl + 1) {
		nl = strchr(text, '\n');
		if (!nl || nl - text > 80)
			return false;
	}
	return true;
}

static void test_walk_explain(void)
{
	static const char golden[] =
		"Walking the page tables of pid 1234 for virtual address 0x7ffd5c3a1e28\n"
		"(4-level paging; each table is one 4 KiB page of 512 entries of 8 bytes)\n"
		"\n"
		"  va bits   47..39  38..30  29..21  20..12  11..0\n"
		"            pgd     pud     pmd     pte     offset\n"
		"  index     255     501     225     417     0xe28\n"
		"  (4-level paging: no p4d level, the pgd entry stands for it)\n"
		"\n"
		"  CR3 -> pgd table at 0x10a3b4000\n"
		"            |\n"
		"            v\n"
		"  +----------------------------------------------------------------------------+\n"
		"  | PGD[255] at 0x10a3b4000 + 255*8 = 0x10a3b47f8                              |\n"
		"  |   entry 0x000000012345f067: present,rw,user,accessed,dirty                 |\n"
		"  |   and P4D[255] at 0x10a3b4000 + 255*8 = 0x10a3b47f8: the same entry,       |\n"
		"  |         folded into this level                                             |\n"
		"  |   next table: pfn 0x12345f << 12 = 0x12345f000 (the pud table)             |\n"
		"  +----------------------------------------------------------------------------+\n"
		"            |\n"
		"            v\n"
		"  +----------------------------------------------------------------------------+\n"
		"  | PUD[501] at 0x12345f000 + 501*8 = 0x12345ffa8                              |\n"
		"  |   entry 0x0000000123460067: present,rw,user,accessed,dirty                 |\n"
		"  |   next table: pfn 0x123460 << 12 = 0x123460000 (the pmd table)             |\n"
		"  +----------------------------------------------------------------------------+\n"
		"            |\n"
		"            v\n"
		"  +----------------------------------------------------------------------------+\n"
		"  | PMD[225] at 0x123460000 + 225*8 = 0x123460708                              |\n"
		"  |   entry 0x0000000123461067: present,rw,user,accessed,dirty                 |\n"
		"  |   next table: pfn 0x123461 << 12 = 0x123461000 (the pte table)             |\n"
		"  +----------------------------------------------------------------------------+\n"
		"            |\n"
		"            v\n"
		"  +----------------------------------------------------------------------------+\n"
		"  | PTE[417] at 0x123461000 + 417*8 = 0x123461d08                              |\n"
		"  |   entry 0x8000000056789867: present,rw,user,accessed,dirty,nx,soft_dirty,  |\n"
		"  |         write,kernel_dirty,has_frame,exclusive                             |\n"
		"  |   present: the MMU translates through it                                   |\n"
		"  |   frame: pfn 0x56789 << 12 = 0x56789000 (a 4 KiB page)                     |\n"
		"  +----------------------------------------------------------------------------+\n"
		"            |\n"
		"            v\n"
		"  pa = frame 0x56789000 + offset 0xe28 (va bits 11..0) = 0x56789e28\n";
	struct mmlens_walk w;
	char *text;

	CHECK(parse_walk(WALK_PRESENT, PM_OK, &w) == 0);
	text = capture_walk(mmlens_walk_explain, &w);
	CHECK(text);
	if (!text)
		return;
	CHECK_STR(text, golden);
	CHECK(fits_80(text));
	free(text);

	/* A 2 MiB leaf: the offset is 21 bits. */
	CHECK(parse_walk(WALK_HUGE, 0, &w) == 0);
	text = capture_walk(mmlens_walk_explain, &w);
	CHECK(text && strstr(text, "  | PMD[225] at 0x123460000 + 225*8 = 0x123460708"));
	CHECK(text && strstr(text, "frame: pfn 0x56600 << 12 = 0x56600000 (a 2 MiB page)"));
	CHECK(text && strstr(text, "  pa = frame 0x56600000 + offset 0x1a1e28 (va bits "
			     "20..0) = 0x567a1e28\n"));
	CHECK(text && !strstr(text, "PTE["));
	CHECK(text && fits_80(text));
	free(text);

	/* The walk stops at an empty entry. */
	CHECK(parse_walk(WALK_EMPTY_PUD, 0, &w) == 0);
	text = capture_walk(mmlens_walk_explain, &w);
	CHECK(text && strstr(text, "  |   empty: no table below, nothing is mapped in these "
			     "1 GiB"));
	CHECK(text && strstr(text, "no physical address: the pud entry is none\n"));
	CHECK(text && fits_80(text));
	free(text);
}

static void test_walk_text(void)
{
	struct mmlens_walk w;
	char *text;

	CHECK(parse_walk(WALK_PRESENT, PM_OK, &w) == 0);
	text = capture_walk(mmlens_walk_print, &w);
	CHECK(text && strstr(text, "pid 1234, va 0x7ffd5c3a1e28, 4-level paging\n"));
	CHECK(text && strstr(text, "index     255     501     225     417     0xe28\n"));
	CHECK(text && strstr(text, "\npgd      255  0x000000010a3b4000  0x000000012345f067  "
			     "present,rw,user,accessed,dirty\n"
			     "p4d      255  0x000000010a3b4000  0x000000012345f067  "
			     "folded: the entry above stands for it\n"));
	CHECK(text && strstr(text, "\npte      417  0x0000000123461000  0x8000000056789867  "
			     "present,rw,user,accessed,dirty,nx,soft_dirty,"));
	CHECK(text && strstr(text, "\nleaf:         pte, present\n"));
	CHECK(text && strstr(text, "\npa:           0x56789e28\n"));
	CHECK(text && strstr(text, "\npagemap:      0x8180000000056789 present,exclusive,"
			     "soft_dirty pfn 0x56789\n              agrees with the page tables\n"));
	CHECK(text && strstr(text, "\n  refcount:        2\n"));
	free(text);

	/* pagemap sees another frame. */
	CHECK(parse_walk(WALK_PRESENT, PM_OK + 1, &w) == 0);
	text = capture_walk(mmlens_walk_print, &w);
	CHECK(text && strstr(text, "note: pagemap disagrees: pfn: mmlens 0x56789, "
			     "pagemap 0x5678a\n"));
	free(text);

	CHECK(parse_walk(WALK_SWAP, (1ULL << 62) | (1ULL << 55) | (0x51aULL << 5) | 1, &w) == 0);
	text = capture_walk(mmlens_walk_print, &w);
	CHECK(text && strstr(text, "\nswap:         type 1, offset 0x51a\n"));
	CHECK(text && strstr(text, "agrees with the page tables"));
	free(text);
}

/* The type of key in obj, or json_type_null for a missing one too. */
static json_type key_type(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v))
		return (json_type)-1;
	return json_object_get_type(v);
}

static struct json_object *key(struct json_object *obj, const char *k)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(obj, k, &v);
	return v;
}

/* Serializes obj and parses it back, as a consumer would see it. */
static struct json_object *round_trip(struct json_object *obj)
{
	struct json_object *back = NULL;

	if (obj)
		back = json_tokener_parse(json_object_to_json_string(obj));
	json_object_put(obj);
	CHECK(back);
	return back;
}

static bool is_hex(struct json_object *v)
{
	const char *s = json_object_get_string(v);

	return json_object_is_type(v, json_type_string) && s && !strncmp(s, "0x", 2) &&
	       s[2] && strspn(s + 2, "0123456789abcdef") == strlen(s + 2);
}

static void check_pagemap_json(struct json_object *pm)
{
	static const char *const bools[] = {
		"present", "swapped", "file", "exclusive", "soft_dirty",
	};
	size_t i;

	CHECK(json_object_is_type(pm, json_type_object));
	CHECK(is_hex(key(pm, "raw")));
	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		CHECK(key_type(pm, bools[i]) == json_type_boolean);
	CHECK(key_type(pm, "pfn") == json_type_int || key_type(pm, "pfn") == json_type_null);
	CHECK(key_type(pm, "swap_type") == json_type_int ||
	      key_type(pm, "swap_type") == json_type_null);
	CHECK(key_type(pm, "swap_offset") == json_type_int ||
	      key_type(pm, "swap_offset") == json_type_null);
}

static void test_walk_json(void)
{
	static const char *const names[] = { "pgd", "p4d", "pud", "pmd", "pte" };
	struct json_object *obj, *levels, *l, *frame;
	struct mmlens_walk w;
	size_t i;

	CHECK(parse_walk(WALK_PRESENT, PM_OK, &w) == 0);
	obj = round_trip(mmlens_walk_json(&w));
	if (!obj)
		return;
	CHECK_STR(json_object_get_string(key(obj, "va")), "0x7ffd5c3a1e28");
	levels = key(obj, "levels");
	CHECK(json_object_is_type(levels, json_type_array) &&
	      json_object_array_length(levels) == 5);
	for (i = 0; levels && i < json_object_array_length(levels) && i < 5; i++) {
		l = json_object_array_get_idx(levels, i);
		CHECK_STR(json_object_get_string(key(l, "name")), names[i]);
		CHECK(key_type(l, "index") == json_type_int);
		CHECK(is_hex(key(l, "table_pa")) && is_hex(key(l, "entry")));
		CHECK(key_type(l, "flags") == json_type_array);
		CHECK(key_type(l, "folded") == json_type_boolean);
		CHECK(json_object_get_boolean(key(l, "folded")) == (i == 1));
	}
	/* The folded P4D: where its entry, the PGD entry, is. */
	l = levels ? json_object_array_get_idx(levels, 1) : NULL;
	CHECK(l && json_object_get_int(key(l, "index")) == 255);
	CHECK(l && !strcmp(json_object_get_string(key(l, "table_pa")), "0x10a3b4000"));
	l = levels ? json_object_array_get_idx(levels, 4) : NULL;
	CHECK(l && json_object_get_int(key(l, "index")) == 417);
	CHECK(l && json_object_array_length(key(l, "flags")) == 11);
	CHECK(l && !strcmp(json_object_get_string(
				   json_object_array_get_idx(key(l, "flags"), 0)), "present"));
	CHECK_STR(json_object_get_string(key(obj, "leaf")), "pte");
	CHECK_STR(json_object_get_string(key(obj, "kind")), "present");
	CHECK(key_type(obj, "pfn") == json_type_int &&
	      json_object_get_int64(key(obj, "pfn")) == 0x56789);
	CHECK_STR(json_object_get_string(key(obj, "pa")), "0x56789e28");
	CHECK(json_object_get_int64(key(obj, "page_size")) == 4096);
	CHECK(key_type(obj, "swap") == json_type_null);
	frame = key(obj, "frame");
	CHECK(key_type(frame, "refcount") == json_type_int);
	CHECK(key_type(frame, "mapcount") == json_type_int);
	CHECK(key_type(frame, "flags") == json_type_array);
	CHECK(json_object_array_length(key(frame, "flags")) == 5);
	check_pagemap_json(key(obj, "pagemap"));
	CHECK(json_object_get_int64(key(key(obj, "pagemap"), "pfn")) == 0x56789);
	CHECK(json_object_get_boolean(key(obj, "pagemap_agrees")));
	CHECK_STR(json_object_get_string(key(key(obj, "vma"), "start")), "0x7ffd5c382000");
	CHECK(is_hex(key(key(obj, "vma"), "end")));
	CHECK(key_type(key(obj, "vma"), "flags") == json_type_array);
	json_object_put(obj);

	CHECK(parse_walk(WALK_EMPTY_PUD, 0, &w) == 0);
	obj = round_trip(mmlens_walk_json(&w));
	CHECK(key_type(obj, "leaf") == json_type_null);
	CHECK_STR(json_object_get_string(key(obj, "kind")), "none");
	CHECK(key_type(obj, "pfn") == json_type_null && key_type(obj, "pa") == json_type_null);
	CHECK(key_type(obj, "frame") == json_type_null && key_type(obj, "vma") == json_type_null);
	CHECK(json_object_array_length(key(obj, "levels")) == 3);
	CHECK(json_object_get_int64(key(obj, "page_size")) == 1 << 30);
	json_object_put(obj);

	CHECK(parse_walk(WALK_SWAP, 0, &w) == 0);
	obj = round_trip(mmlens_walk_json(&w));
	CHECK_STR(json_object_get_string(key(obj, "kind")), "swap");
	CHECK(json_object_get_int(key(key(obj, "swap"), "type")) == 1);
	CHECK(json_object_get_int64(key(key(obj, "swap"), "offset")) == 0x51a);
	CHECK(!json_object_get_boolean(key(obj, "pagemap_agrees")));
	CHECK(key_type(obj, "pagemap_differences") == json_type_string);
	json_object_put(obj);

	/* Without the module: pagemap only, no levels. */
	memset(&w, 0, sizeof(w));
	w.pid = 7;
	w.va = 0x1234;
	mmlens_pagemap_decode(0x8100000000000042ULL, &w.pagemap);
	obj = round_trip(mmlens_walk_json(&w));
	CHECK_STR(json_object_get_string(key(obj, "source")), "pagemap");
	CHECK(json_object_array_length(key(obj, "levels")) == 0);
	CHECK(key_type(obj, "leaf") == json_type_null);
	CHECK_STR(json_object_get_string(key(obj, "kind")), "present");
	CHECK(json_object_get_int64(key(obj, "pfn")) == 0x42);
	CHECK_STR(json_object_get_string(key(obj, "pa")), "0x42234");
	CHECK(key_type(obj, "pagemap_agrees") == json_type_null);
	json_object_put(obj);
}

/* Ptes. */

static struct mmlens_pte pte(uint64_t va, unsigned int kind, uint64_t pfn,
			     uint64_t flags, unsigned int shift)
{
	struct mmlens_pte r = {
		.va = va, .pfn = pfn, .flags = flags, .kind = kind, .nr = 1,
		.level = shift == 12 ? MMLENS_LEVEL_PTE : shift == 21 ?
			 MMLENS_LEVEL_PMD : MMLENS_LEVEL_PUD,
		.entry = (pfn << 12) | 0x867,
	};

	return r;
}

static void test_ptes_add(void)
{
	unsigned char buf[3 * sizeof(struct mmlens_pte) + 4];
	struct mmlens_pte recs[3];
	struct mmlens_ptes p = { .n = 0 };
	int i;

	for (i = 0; i < 3; i++)
		recs[i] = pte(0x1000 * (i + 1), MMLENS_KIND_PRESENT, 0x100 + i,
			      MMLENS_F_PRESENT, 12);
	/* Unaligned, as netlink may place it. */
	memcpy(buf + 4, recs, sizeof(recs));
	CHECK(mmlens_ptes_add(&p, buf + 4, sizeof(recs)) == 0);
	CHECK(mmlens_ptes_add(&p, buf + 4, sizeof(recs)) == 0);
	CHECK(p.n == 6 && p.v[5].pfn == 0x102 && p.v[3].va == 0x1000);
	CHECK(mmlens_ptes_add(&p, buf + 4, sizeof(recs) - 1) == -EBADMSG);
	CHECK(mmlens_ptes_add(&p, buf, 0) == 0 && p.n == 6);
	mmlens_ptes_free(&p);
	CHECK(sizeof(struct mmlens_pte) == 48);
}

static void test_pte_rows(void)
{
	struct mmlens_ptes_fmt fmt = { .module = true };
	struct mmlens_pte r;
	char line[MMLENS_ROW_MAX];
	uint64_t pm = 0x8180000000056789ULL;
	size_t n;

	r = pte(0x7ffd5c3a1000ULL, MMLENS_KIND_PRESENT, 0x56789, LEAF_FLAGS, 12);
	r.entry = 0x8000000056789867ULL;
	r.mapcount = 1;
	r.refcount = 2;
	r.frame_flags = (1ULL << KPF_LRU) | (1ULL << KPF_ANON);
	n = mmlens_pte_header(line, &fmt);
	line[n] = '\0';
	CHECK_STR(line, "VA           LVL KIND      SIZE ENTRY            PFN/SWAP       "
		  "MAP  REF  PAGEMAP                FLAGS | PAGE FLAGS\n");
	n = mmlens_pte_row(line, &fmt, &r, &pm);
	line[n] = '\0';
	CHECK_STR(line, "7ffd5c3a1000 pte present   4K   8000000056789867 0x56789        "
		  "1    2    p--xd- 0x56789         present,rw,user,accessed,dirty,nx,"
		  "soft_dirty,write,kernel_dirty,has_frame,exclusive | lru,anon\n");

	r = pte(0x1000, MMLENS_KIND_SWAP, 0, MMLENS_F_SOFT_DIRTY, 12);
	r.entry = 0xa3400;
	r.swap_type = 1;
	r.swap_offset = 0x51a;
	n = mmlens_pte_row(line, &fmt, &r, NULL);
	line[n] = '\0';
	CHECK_STR(line, "000000001000 pte swap      4K   00000000000a3400 swp 1:0x51a    "
		  "-    -    -                      soft_dirty\n");

	/* Runs: a range of addresses and of frames. */
	fmt.runs = true;
	r = pte(0x200000, MMLENS_KIND_PRESENT, 0x1000, MMLENS_F_PRESENT | MMLENS_F_PSE, 21);
	r.nr = 3;
	r.entry = 0x10000e7;
	n = mmlens_pte_header(line, &fmt);
	line[n] = '\0';
	CHECK_STR(line, "START        END          NR     LVL KIND      SIZE ENTRY            "
		  "PFNS/SWAP                      MAP  REF  PAGEMAP                FLAGS | PAGE FLAGS\n");
	n = mmlens_pte_row(line, &fmt, &r, NULL);
	line[n] = '\0';
	CHECK_STR(line, "000000200000 000000800000 3      pmd present   2M   00000000010000e7 "
		  "0x1000..0x15ff                 -    -    -                      present,pse\n");

	/* From pagemap alone: no level, entry or refcount. */
	fmt.module = false;
	fmt.runs = false;
	r = pte(0x5000, MMLENS_KIND_PRESENT, 0x77, MMLENS_F_PRESENT | MMLENS_F_HAS_FRAME, 12);
	r.mapcount = 3;
	r.frame_flags = 1ULL << KPF_MMAP;
	pm = 0xa000000000000077ULL;
	n = mmlens_pte_row(line, &fmt, &r, &pm);
	line[n] = '\0';
	CHECK_STR(line, "000000005000 -   present   4K   -                0x77           "
		  "3    -    p-f--- 0x77            present,has_frame | mmap\n");
}

static void test_merge_runs(void)
{
	struct mmlens_pte r[7];
	size_t n;

	r[0] = pte(0x1000, MMLENS_KIND_PRESENT, 0x10, MMLENS_F_PRESENT, 12);
	r[1] = pte(0x2000, MMLENS_KIND_PRESENT, 0x11, MMLENS_F_PRESENT, 12);
	r[2] = pte(0x3000, MMLENS_KIND_PRESENT, 0x12, MMLENS_F_PRESENT, 12);
	/* A gap in the addresses. */
	r[3] = pte(0x5000, MMLENS_KIND_PRESENT, 0x13, MMLENS_F_PRESENT, 12);
	/* Other flags. */
	r[4] = pte(0x6000, MMLENS_KIND_PRESENT, 0x14, MMLENS_F_PRESENT | MMLENS_F_RW, 12);
	/* Swap offsets count up too. */
	r[5] = pte(0x7000, MMLENS_KIND_SWAP, 0, 0, 12);
	r[5].swap_offset = 0x40;
	r[6] = pte(0x8000, MMLENS_KIND_SWAP, 0, 0, 12);
	r[6].swap_offset = 0x41;
	n = mmlens_ptes_merge_runs(r, 7);
	CHECK(n == 4);
	CHECK(r[0].va == 0x1000 && r[0].nr == 3 && r[0].pfn == 0x10);
	CHECK(r[1].va == 0x5000 && r[1].nr == 1);
	CHECK(r[2].va == 0x6000 && r[2].nr == 1);
	CHECK(r[3].va == 0x7000 && r[3].nr == 2 && r[3].swap_offset == 0x40);
	CHECK(mmlens_pte_pages(&r[0]) == 3);

	/* Huge leaves: contiguous when the frames follow by 512. */
	r[0] = pte(0x200000, MMLENS_KIND_PRESENT, 0x1000, MMLENS_F_PRESENT, 21);
	r[1] = pte(0x400000, MMLENS_KIND_PRESENT, 0x1200, MMLENS_F_PRESENT, 21);
	r[2] = pte(0x600000, MMLENS_KIND_PRESENT, 0x1201, MMLENS_F_PRESENT, 21);
	n = mmlens_ptes_merge_runs(r, 3);
	CHECK(n == 2 && r[0].nr == 2 && mmlens_pte_pages(&r[0]) == 1024);
}

/* One JSON row, parsed; it must be one line. */
static struct json_object *pte_json(struct mmlens_ptes_fmt *fmt, const struct mmlens_pte *r,
				    const uint64_t *pm)
{
	char line[MMLENS_ROW_MAX + 1];
	size_t n = mmlens_pte_json_row(line, fmt, r, pm);
	struct json_object *obj;

	CHECK(n > 1 && line[n - 1] == '\n' && !memchr(line, '\n', n - 1));
	line[n] = '\0';
	obj = json_tokener_parse(line);
	CHECK(obj && json_object_is_type(obj, json_type_object));
	return obj;
}

static void test_pte_json(void)
{
	static struct mmlens_ptes_fmt fmt = { .module = true };
	struct json_object *obj;
	struct mmlens_pte r;
	uint64_t pm = 0x8180000000056789ULL;

	r = pte(0x7ffd5c3a1000ULL, MMLENS_KIND_PRESENT, 0x56789, LEAF_FLAGS, 12);
	r.mapcount = 1;
	r.refcount = 2;
	r.frame_flags = 1ULL << KPF_ANON;
	obj = pte_json(&fmt, &r, &pm);
	if (!obj)
		return;
	CHECK_STR(json_object_get_string(key(obj, "va")), "0x7ffd5c3a1000");
	CHECK_STR(json_object_get_string(key(obj, "level")), "pte");
	CHECK_STR(json_object_get_string(key(obj, "kind")), "present");
	CHECK(is_hex(key(obj, "entry")));
	CHECK(json_object_get_int64(key(obj, "pfn")) == 0x56789);
	CHECK(json_object_get_int64(key(obj, "page_size")) == 4096);
	CHECK(key_type(obj, "flags") == json_type_array);
	CHECK(key_type(obj, "swap") == json_type_null);
	CHECK(json_object_get_int(key(obj, "mapcount")) == 1);
	CHECK(json_object_get_int(key(obj, "refcount")) == 2);
	CHECK(json_object_array_length(key(obj, "page_flags")) == 1);
	check_pagemap_json(key(obj, "pagemap"));
	CHECK(key_type(obj, "nr") == (json_type)-1);
	json_object_put(obj);

	fmt.runs = true;
	r = pte(0x1000, MMLENS_KIND_SWAP, 0, MMLENS_F_SOFT_DIRTY, 12);
	r.swap_type = 2;
	r.swap_offset = 0x99;
	r.nr = 4;
	obj = pte_json(&fmt, &r, NULL);
	if (!obj)
		return;
	CHECK(key_type(obj, "pfn") == json_type_null);
	CHECK(json_object_get_int(key(key(obj, "swap"), "type")) == 2);
	CHECK(json_object_get_int64(key(key(obj, "swap"), "offset")) == 0x99);
	CHECK(key_type(obj, "mapcount") == json_type_null);
	CHECK(key_type(obj, "refcount") == json_type_null);
	CHECK(key_type(obj, "page_flags") == json_type_null);
	CHECK(key_type(obj, "pagemap") == json_type_null);
	CHECK(json_object_get_int(key(obj, "nr")) == 4);
	json_object_put(obj);
}

/*
 * JSON rows byte for byte as json-c printed them when mmlens built the rows
 * as json-c objects (json_object_to_json_string_ext(), plain, no slash
 * escapes): keys, their order and every value the same, down to json-c's
 * int64 for frame numbers and swap offsets.
 */
static void test_pte_json_as_json_c_printed(void)
{
	static const char *const want[] = {
		"{\"va\":\"0x7ffd5c3a1000\",\"level\":\"pte\",\"kind\":\"present\",\"en"
		"try\":\"0x8000000056789867\",\"pfn\":354185,\"page_size\":4096,\"flags"
		"\":[\"present\",\"rw\",\"user\",\"accessed\",\"dirty\",\"nx\",\"soft_d"
		"irty\",\"has_frame\",\"exclusive\"],\"swap\":null,\"mapcount\":1,\"ref"
		"count\":2,\"page_flags\":[\"lru\",\"anon\"],\"pkey\":3,\"pagemap\":{\""
		"raw\":\"0x8180000000056789\",\"present\":true,\"swapped\":false,\"file"
		"\":false,\"exclusive\":true,\"soft_dirty\":true,\"uffd_wp\":false,\"pf"
		"n\":354185,\"swap_type\":null,\"swap_offset\":null}}",
		"{\"va\":\"0x1000\",\"level\":\"pte\",\"kind\":\"swap\",\"entry\":\"0xa"
		"3400\",\"pfn\":null,\"page_size\":4096,\"flags\":[\"soft_dirty\"],\"sw"
		"ap\":{\"type\":2,\"offset\":153},\"mapcount\":null,\"refcount\":null,"
		"\"page_flags\":null,\"pkey\":null,\"pagemap\":null,\"nr\":4}",
		"{\"va\":\"0x5000\",\"level\":null,\"kind\":\"present\",\"entry\":null,"
		"\"pfn\":119,\"page_size\":4096,\"flags\":[\"present\",\"has_frame\"],"
		"\"swap\":null,\"mapcount\":3,\"refcount\":null,\"page_flags\":[\"mmap"
		"\"],\"pkey\":null,\"pagemap\":{\"raw\":\"0xa000000000000077\",\"presen"
		"t\":true,\"swapped\":false,\"file\":true,\"exclusive\":false,\"soft_di"
		"rty\":false,\"uffd_wp\":false,\"pfn\":119,\"swap_type\":null,\"swap_of"
		"fset\":null}}",
		"{\"va\":\"0xfffffffffffff000\",\"level\":\"?\",\"kind\":\"?\",\"entry"
		"\":\"0xffffffffffffffff\",\"pfn\":null,\"page_size\":4096,\"flags\":["
		"\"present\",\"rw\",\"user\",\"pwt\",\"pcd\",\"accessed\",\"dirty\",\"p"
		"se\",\"pat\",\"global\",\"nx\",\"soft_dirty\",\"uffd_wp\",\"special\","
		"\"devmap\",\"saved_dirty\",\"protnone\",\"write\",\"kernel_dirty\",\"s"
		"wp_exclusive\",\"migration_write\",\"migration_exclusive\",\"device_wr"
		"ite\",\"device_exclusive\",\"marker_uffd_wp\",\"marker_poisoned\",\"ha"
		"s_frame\",\"exclusive\",\"bit28\",\"bit29\",\"bit30\",\"bit31\"],\"swa"
		"p\":{\"type\":255,\"offset\":-1},\"mapcount\":4294967295,\"refcount\":"
		"4294967295,\"page_flags\":[\"locked\",\"error\",\"referenced\",\"uptod"
		"ate\",\"dirty\",\"lru\",\"active\",\"slab\",\"writeback\",\"reclaim\","
		"\"buddy\",\"mmap\",\"anon\",\"swapcache\",\"swapbacked\",\"compound_he"
		"ad\",\"compound_tail\",\"huge\",\"unevictable\",\"hwpoison\",\"nopage"
		"\",\"ksm\",\"thp\",\"offline\",\"zero_page\",\"idle\",\"pgtable\",\"bi"
		"t27\",\"bit28\",\"bit29\",\"bit30\",\"bit31\"],\"pkey\":null,\"pagemap"
		"\":{\"raw\":\"0xffffffffffffffff\",\"present\":true,\"swapped\":true,"
		"\"file\":true,\"exclusive\":true,\"soft_dirty\":true,\"uffd_wp\":true,"
		"\"pfn\":36028797018963967,\"swap_type\":0,\"swap_offset\":0}}",
		"{\"va\":\"0x200000\",\"level\":\"pmd\",\"kind\":\"migration\",\"entry"
		"\":\"0x0\",\"pfn\":4096,\"page_size\":2097152,\"flags\":[\"has_frame\""
		"],\"swap\":{\"type\":31,\"offset\":4096},\"mapcount\":0,\"refcount\":0"
		",\"page_flags\":[],\"pkey\":null,\"pagemap\":{\"raw\":\"0x400000000000"
		"123f\",\"present\":false,\"swapped\":true,\"file\":false,\"exclusive\""
		":false,\"soft_dirty\":false,\"uffd_wp\":false,\"pfn\":null,\"swap_type"
		"\":31,\"swap_offset\":145}}",
		"{\"va\":\"0x40000000\",\"level\":\"pud\",\"kind\":\"prot_none\",\"entr"
		"y\":\"0x0\",\"pfn\":262144,\"page_size\":1073741824,\"flags\":[\"pse\""
		",\"protnone\"],\"swap\":null,\"mapcount\":null,\"refcount\":null,\"pag"
		"e_flags\":null,\"pkey\":null,\"pagemap\":{\"raw\":\"0x200000000000000"
		"\",\"present\":false,\"swapped\":false,\"file\":false,\"exclusive\":fa"
		"lse,\"soft_dirty\":false,\"uffd_wp\":true,\"pfn\":null,\"swap_type\":n"
		"ull,\"swap_offset\":null},\"nr\":2}",
		"{\"va\":\"0x3000\",\"level\":\"pte\",\"kind\":\"none\",\"entry\":\"0x0"
		"\",\"pfn\":null,\"page_size\":4096,\"flags\":[],\"swap\":null,\"mapcou"
		"nt\":null,\"refcount\":null,\"page_flags\":null,\"pkey\":null,\"pagema"
		"p\":{\"raw\":\"0x0\",\"present\":false,\"swapped\":false,\"file\":fals"
		"e,\"exclusive\":false,\"soft_dirty\":false,\"uffd_wp\":false,\"pfn\":n"
		"ull,\"swap_type\":null,\"swap_offset\":null},\"nr\":1}",
	};
	static struct mmlens_ptes_fmt fmt = { .module = true };
	char line[MMLENS_ROW_MAX + 1];
	struct mmlens_pte r[7];
	uint64_t pm[7] = {
		0x8180000000056789ULL, 0, 0xa000000000000077ULL, UINT64_MAX,
		0x400000000000123fULL, 0x0200000000000000ULL, 0,
	};
	const bool has_pm[7] = { true, false, true, true, true, true, true };
	const bool module[7] = { true, true, false, true, true, true, true };
	const bool runs[7] = { false, true, false, false, false, true, true };
	size_t i, n;

	memset(r, 0, sizeof(r));
	r[0] = pte(0x7ffd5c3a1000ULL, MMLENS_KIND_PRESENT, 0x56789,
		   MMLENS_F_PRESENT | MMLENS_F_RW | MMLENS_F_USER | MMLENS_F_ACCESSED |
		   MMLENS_F_DIRTY | MMLENS_F_NX | MMLENS_F_SOFT_DIRTY | MMLENS_F_HAS_FRAME |
		   MMLENS_F_EXCLUSIVE, 12);
	r[0].entry = 0x8000000056789867ULL;
	r[0].mapcount = 1;
	r[0].refcount = 2;
	r[0].pkey = 3;
	r[0].frame_flags = (1U << KPF_LRU) | (1U << KPF_ANON);
	r[1] = pte(0x1000, MMLENS_KIND_SWAP, 0, MMLENS_F_SOFT_DIRTY, 12);
	r[1].nr = 4;
	r[1].swap_type = 2;
	r[1].swap_offset = 0x99;
	r[1].entry = 0xa3400;
	/* From pagemap alone: no level, entry, refcount or pkey. */
	r[2] = pte(0x5000, MMLENS_KIND_PRESENT, 0x77, MMLENS_F_PRESENT | MMLENS_F_HAS_FRAME, 12);
	r[2].level = MMLENS_LEVEL_NONE;
	r[2].entry = 0;
	r[2].mapcount = 3;
	r[2].refcount = 9;
	r[2].pkey = 1;
	r[2].frame_flags = 1U << KPF_MMAP;
	/* Everything a newer or broken module could send: unknown names, all bits. */
	r[3].va = 0xfffffffffffff000ULL;
	r[3].kind = 9;
	r[3].level = 7;
	r[3].pfn = UINT64_MAX;
	r[3].entry = UINT64_MAX;
	r[3].flags = UINT32_MAX;
	r[3].frame_flags = UINT32_MAX;
	r[3].mapcount = UINT32_MAX;
	r[3].refcount = UINT32_MAX;
	r[3].pkey = 255;
	r[3].swap_type = 255;
	/* A migration entry: frame and swap entry both; no page flags. */
	r[4].va = 0x200000;
	r[4].kind = MMLENS_KIND_MIGRATION;
	r[4].level = MMLENS_LEVEL_PMD;
	r[4].nr = 1;
	r[4].pfn = 0x1000;
	r[4].swap_type = 31;
	r[4].flags = MMLENS_F_HAS_FRAME;
	r[5].va = 0x40000000;
	r[5].kind = MMLENS_KIND_PROT_NONE;
	r[5].level = MMLENS_LEVEL_PUD;
	r[5].nr = 2;
	r[5].pfn = 0x40000;
	r[5].flags = MMLENS_F_PROTNONE | MMLENS_F_PSE;
	r[5].pkey = 5;
	r[6].va = 0x3000;
	r[6].kind = MMLENS_KIND_NONE;
	r[6].level = MMLENS_LEVEL_PTE;
	r[6].nr = 1;

	/* One format for all, its caches carried from row to row. */
	for (i = 0; i < 7; i++) {
		fmt.module = module[i];
		fmt.runs = runs[i];
		n = mmlens_pte_json_row(line, &fmt, &r[i], has_pm[i] ? &pm[i] : NULL);
		line[n] = '\0';
		CHECK(n && line[n - 1] == '\n');
		if (n)
			line[n - 1] = '\0';
		CHECK_STR(line, want[i]);
	}
}

static void test_ptes_print_json_lines(void)
{
	static struct mmlens_ptes_fmt fmt = { .module = true };
	static struct mmlens_stream o;
	struct mmlens_pte r[3];
	char *buf, *line, *save = NULL;
	struct json_object *obj;
	FILE *f;
	int n = 0;

	r[0] = pte(0x1000, MMLENS_KIND_PRESENT, 0x10, MMLENS_F_PRESENT, 12);
	r[1] = pte(0x2000, MMLENS_KIND_PRESENT, 0x11, MMLENS_F_PRESENT, 12);
	r[2] = pte(0x200000, MMLENS_KIND_PRESENT, 0x200, MMLENS_F_PRESENT, 21);
	f = stream_file(&o);
	if (!f)
		return;
	CHECK(mmlens_ptes_print(&o, &fmt, true, r, 3, -1) == 0);
	buf = stream_take(&o, f);
	fclose(f);
	if (!buf)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		obj = json_tokener_parse(line);
		CHECK(obj && json_object_is_type(obj, json_type_object));
		CHECK(obj && key_type(obj, "va") == json_type_string);
		json_object_put(obj);
		n++;
	}
	CHECK(n == 3);
	free(buf);
}

/* Rows of our own pages, with pagemap read in clusters. */
static void test_ptes_print_pagemap(void)
{
	static struct mmlens_ptes_fmt fmt = { .module = true };
	static struct mmlens_stream o;
	enum { PAGES = 300 };
	struct mmlens_pte *r = calloc(PAGES, sizeof(*r));
	char *mem = aligned_alloc(4096, 2 * PAGES * 4096), *buf = NULL, *line, *save = NULL;
	size_t i, col = 0;
	int fd, rows = 0, present = 0;
	FILE *f;

	fd = open("/proc/self/pagemap", O_RDONLY);
	CHECK(r && mem && fd >= 0);
	if (!r || !mem || fd < 0)
		goto out;
	/* Every other page, so that the records are not one run. */
	for (i = 0; i < PAGES; i++) {
		mem[2 * i * 4096] = 1;
		r[i] = pte((uint64_t)(uintptr_t)(mem + 2 * i * 4096),
			   MMLENS_KIND_PRESENT, i, MMLENS_F_PRESENT, 12);
	}
	f = stream_file(&o);
	if (!f)
		goto out;
	CHECK(mmlens_ptes_print(&o, &fmt, false, r, PAGES, fd) == 0);
	buf = stream_take(&o, f);
	fclose(f);
	for (line = buf ? strtok_r(buf, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		if (rows++ == 0) {
			col = strstr(line, "PAGEMAP") ? (size_t)(strstr(line, "PAGEMAP") - line) : 0;
			continue;
		}
		present += col && strlen(line) > col && line[col] == 'p';
	}
	CHECK(rows == PAGES + 1);
	CHECK(present == PAGES);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(mem);
	free(r);
}

/* check_range() against canned pagemap words and a canned second look. */
struct canned {
	const uint64_t *first, *second;	/* pagemap words from page 0 */
	size_t n;
	const struct mmlens_pte *again;	/* what a second walk finds, per page */
	int reports;
	uint64_t report_va;
	char what[256];
};

static ssize_t canned_read(void *arg, uint64_t idx, uint64_t *words, size_t n)
{
	struct canned *c = arg;
	size_t i;

	for (i = 0; i < n && idx + i < c->n; i++)
		words[i] = c->first[idx + i];
	return i;
}

static int canned_reread(void *arg, uint64_t va, struct mmlens_pte *rec,
			 bool *mapped, uint64_t *vm_flags, uint64_t *pm)
{
	struct canned *c = arg;
	size_t page = va >> 12;

	*vm_flags = 0;
	*pm = page < c->n ? c->second[page] : 0;
	*mapped = page < c->n && c->again[page].kind;
	if (*mapped)
		*rec = c->again[page];
	return 0;
}

static void canned_report(void *arg, uint64_t va, const char *what)
{
	struct canned *c = arg;

	c->reports++;
	c->report_va = va;
	snprintf(c->what, sizeof(c->what), "%s", what);
}

static void test_pagemap_compare(void)
{
	struct mmlens_pte r = pte(0x1000, MMLENS_KIND_PRESENT, 0x100,
				  MMLENS_F_PRESENT | MMLENS_F_EXCLUSIVE | MMLENS_F_SOFT_DIRTY, 12);
	const uint64_t P = MMLENS_PM_PRESENT, S = MMLENS_PM_SWAP;
	const uint64_t X = MMLENS_PM_EXCLUSIVE, D = MMLENS_PM_SOFT_DIRTY;
	char what[256];

	CHECK(mmlens_pagemap_compare(&r, 0, 0, P | X | D | 0x100) == 0);
	CHECK(mmlens_pagemap_compare(&r, 0, 0, P | X | D | 0x101) == MMLENS_DIFF_PFN);
	CHECK(mmlens_pagemap_compare(&r, 0, 0, P | D | 0x100) == MMLENS_DIFF_EXCLUSIVE);
	CHECK(mmlens_pagemap_compare(&r, 0, 0, P | X | 0x100) == MMLENS_DIFF_SOFT_DIRTY);
	CHECK(mmlens_pagemap_compare(&r, 0, 0, 0) == MMLENS_DIFF_PRESENT);
	CHECK(mmlens_pagemap_compare(&r, 0, 0, S | 1) ==
	      (MMLENS_DIFF_PRESENT | MMLENS_DIFF_SWAPPED));
	mmlens_diff_describe(what, sizeof(what), MMLENS_DIFF_PFN | MMLENS_DIFF_EXCLUSIVE,
			     &r, 0, 0, P | D | 0x101);
	CHECK_STR(what, "pfn: mmlens 0x100, pagemap 0x101; exclusive: mmlens yes, pagemap no");

	/* The VMA's VM_SOFTDIRTY shows on every page. */
	r.flags &= ~MMLENS_F_SOFT_DIRTY;
	CHECK(mmlens_pagemap_compare(&r, 0, MMLENS_VM_SOFTDIRTY, P | X | D | 0x100) == 0);
	CHECK(mmlens_pagemap_compare(&r, 0, 0, P | X | D | 0x100) == MMLENS_DIFF_SOFT_DIRTY);

	/* Nothing mapped: pagemap must not show a page, soft-dirty alone is fine. */
	CHECK(mmlens_pagemap_compare(NULL, 0, 0, 0) == 0);
	CHECK(mmlens_pagemap_compare(NULL, 0, MMLENS_VM_SOFTDIRTY, D) == 0);
	CHECK(mmlens_pagemap_compare(NULL, 0, 0, P | 5) == MMLENS_DIFF_PRESENT);
	CHECK(mmlens_pagemap_compare(NULL, 0, 0, S | 5) == MMLENS_DIFF_SWAPPED);
	mmlens_diff_describe(what, sizeof(what), MMLENS_DIFF_PRESENT, NULL, 0, 0, P | 5);
	CHECK_STR(what, "present: mmlens no, pagemap yes");

	/* Page 5 of a 2 MiB leaf. */
	r = pte(0x200000, MMLENS_KIND_PRESENT, 0x200, MMLENS_F_PRESENT, 21);
	CHECK(mmlens_pagemap_compare(&r, 5, 0, P | 0x205) == 0);
	CHECK(mmlens_pagemap_compare(&r, 5, 0, P | 0x200) == MMLENS_DIFF_PFN);

	/* PROT_NONE is present to pagemap. */
	r = pte(0x1000, MMLENS_KIND_PROT_NONE, 0x300, MMLENS_F_PROTNONE, 12);
	CHECK(mmlens_pagemap_compare(&r, 0, 0, P | 0x300) == 0);

	/* Swap: type and offset, offsets counting up in a run. */
	r = pte(0x1000, MMLENS_KIND_SWAP, 0, MMLENS_F_SOFT_DIRTY, 12);
	r.swap_type = 1;
	r.swap_offset = 0x40;
	r.nr = 2;
	CHECK(mmlens_pagemap_compare(&r, 0, 0, S | D | (0x40 << 5) | 1) == 0);
	CHECK(mmlens_pagemap_compare(&r, 1, 0, S | D | (0x41 << 5) | 1) == 0);
	CHECK(mmlens_pagemap_compare(&r, 0, 0, S | D | (0x41 << 5) | 1) ==
	      MMLENS_DIFF_SWAP_OFFSET);
	CHECK(mmlens_pagemap_compare(&r, 0, 0, S | D | (0x40 << 5) | 2) ==
	      MMLENS_DIFF_SWAP_TYPE);
	CHECK(mmlens_pagemap_compare(&r, 0, 0, S | (0x40 << 5) | 1) ==
	      MMLENS_DIFF_SOFT_DIRTY);

	/* Migration entries: pagemap's offset is the frame, the record's pfn. */
	r = pte(0x1000, MMLENS_KIND_MIGRATION, 0x777, 0, 12);
	r.swap_type = 29;
	CHECK(mmlens_pagemap_compare(&r, 0, 0, S | (0x777 << 5) | 29) == 0);
	CHECK(mmlens_pagemap_compare(&r, 0, 0, S | (0x778 << 5) | 29) ==
	      MMLENS_DIFF_SWAP_OFFSET);

	/* hugetlb: no soft-dirty of its own, nothing for non-present entries. */
	r = pte(0x200000, MMLENS_KIND_PRESENT, 0x200, MMLENS_F_PRESENT | MMLENS_F_SOFT_DIRTY, 21);
	CHECK(mmlens_pagemap_compare(&r, 0, MMLENS_VM_HUGETLB, P | 0x200) == 0);
	r.kind = MMLENS_KIND_MIGRATION;
	CHECK(mmlens_pagemap_compare(&r, 0, MMLENS_VM_HUGETLB, 0) == 0);
}

static void test_check_range(void)
{
	const uint64_t P = MMLENS_PM_PRESENT;
	/* Pages 0-7: records at pages 1 and 2 (a run), 4 and 6. */
	const uint64_t first[8] = {
		0, P | 0x11, P | 0x99, P | 0x55, 0, 0, P | 0x60, 0,
	};
	const uint64_t second[8] = {
		0, P | 0x11, P | 0x12, P | 0x55, 0, 0, P | 0x60, 0,
	};
	struct mmlens_pte recs[3], again[8];
	struct canned c = { .first = first, .second = second, .n = 8, .again = again };
	struct mmlens_check chk = {
		.read_pagemap = canned_read,
		.reread = canned_reread,
		.report = canned_report,
		.arg = &c,
	};
	size_t cursor = 0;

	recs[0] = pte(0x1000, MMLENS_KIND_PRESENT, 0x11, MMLENS_F_PRESENT, 12);
	recs[0].nr = 2;
	recs[1] = pte(0x4000, MMLENS_KIND_PRESENT, 0x40, MMLENS_F_PRESENT, 12);
	recs[2] = pte(0x6000, MMLENS_KIND_PRESENT, 0x60, MMLENS_F_PRESENT, 12);
	memset(again, 0, sizeof(again));
	again[1] = recs[0];
	again[2] = pte(0x2000, MMLENS_KIND_PRESENT, 0x12, MMLENS_F_PRESENT, 12);
	again[4] = recs[1];
	again[6] = recs[2];

	/*
	 * Page 2 differed in passing (the second look agrees); page 3 is in
	 * pagemap only, page 4 in the page tables only, both times.
	 */
	CHECK(mmlens_check_range(&chk, 0, 0x6000, 0, recs, 3, &cursor) == 0);
	CHECK(chk.pages == 6);
	CHECK(chk.rechecked == 3);
	CHECK(chk.mismatches == 2 && c.reports == 2);
	CHECK(c.report_va == 0x4000);
	CHECK_STR(c.what, "present: mmlens yes, pagemap no");
	CHECK(cursor == 2);

	/* The next range goes on from the cursor. */
	CHECK(mmlens_check_range(&chk, 0x6000, 0x8000, 0, recs, 3, &cursor) == 0);
	CHECK(chk.pages == 8 && chk.mismatches == 2 && chk.rechecked == 3);
	CHECK(cursor == 3);
}

/* Maps and info. */

static struct nl_msg *build_vma(uint64_t start, uint64_t end, const char *file)
{
	struct nl_msg *msg = nlmsg_alloc();
	int ret = 0;

	if (!msg || !genlmsg_put(msg, 0, 0, 0x20, 0, NLM_F_MULTI, MMLENS_CMD_GET_VMA,
				 MMLENS_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	ret |= nla_put_u64(msg, MMLENS_A_VMA_START, start);
	ret |= nla_put_u64(msg, MMLENS_A_VMA_END, end);
	ret |= nla_put_u64(msg, MMLENS_A_VMA_FLAGS, file ? 0xf5 : 0x100073);
	ret |= nla_put_u64(msg, MMLENS_A_VMA_PGOFF, 0);
	ret |= nla_put_u32(msg, MMLENS_A_VMA_KIND, file ? MMLENS_VMA_FILE : MMLENS_VMA_HEAP);
	if (file)
		ret |= nla_put_string(msg, MMLENS_A_VMA_FILE, file);
	else
		ret |= nla_put_flag(msg, MMLENS_A_VMA_ANON_VMA);
	ret |= nla_put_u64(msg, MMLENS_A_VMA_PAGE_SIZE, 4096);
	ret |= nla_put_u64(msg, MMLENS_A_VMA_RESIDENT, 4);
	ret |= nla_put_u64(msg, MMLENS_A_VMA_SWAPPED, 2);
	ret |= nla_put_u64(msg, MMLENS_A_VMA_PMD_LEAVES, 0);
	ret |= nla_put_u64(msg, MMLENS_A_VMA_PUD_LEAVES, 0);
	if (ret) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static void test_maps_json(void)
{
	static const char smaps[] =
		"55d0e1000000-55d0e1021000 rw-p 00000000 00:00 0                          [heap]\n"
		"Rss:                  16 kB\n"
		"Swap:                  8 kB\n";
	struct mmlens_vmas vmas = { .n = 0 };
	struct json_object *arr, *v;
	struct nl_msg *msg;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	msg = build_vma(0x55d0e1000000ULL, 0x55d0e1021000ULL, NULL);
	CHECK(msg && mmlens_vma_parse(msg, &vmas) == 0);
	nlmsg_free(msg);
	msg = build_vma(0x7f0000000000ULL, 0x7f0000002000ULL, "/opt/with space/lib.so");
	CHECK(msg && mmlens_vma_parse(msg, &vmas) == 0);
	nlmsg_free(msg);
	CHECK(vmas.n == 2);
	if (vmas.n != 2)
		return;
	mmlens_vmas_add_smaps(&vmas, fixture("smaps", smaps));
	CHECK(vmas.v[0].has_smaps && !vmas.v[1].has_smaps);

	arr = round_trip(mmlens_vmas_json(&vmas));
	CHECK(json_object_is_type(arr, json_type_array) &&
	      json_object_array_length(arr) == 2);
	v = arr ? json_object_array_get_idx(arr, 0) : NULL;
	CHECK_STR(json_object_get_string(key(v, "start")), "0x55d0e1000000");
	CHECK_STR(json_object_get_string(key(v, "end")), "0x55d0e1021000");
	CHECK_STR(json_object_get_string(key(v, "vm_flags")), "0x100073");
	CHECK(key_type(v, "flags") == json_type_array);
	CHECK(json_object_array_length(key(v, "flags")) == 6);
	CHECK(key_type(v, "file") == json_type_null);
	CHECK_STR(json_object_get_string(key(v, "kind")), "heap");
	CHECK(json_object_get_int(key(v, "resident")) == 4);
	CHECK(json_object_get_int(key(v, "swapped")) == 2);
	CHECK(key_type(v, "pmd_leaves") == json_type_int);
	CHECK(key_type(v, "pud_leaves") == json_type_int);
	CHECK(json_object_get_int(key(v, "smaps_rss_kb")) == 16);
	CHECK(json_object_get_int(key(v, "smaps_swap_kb")) == 8);
	CHECK(json_object_get_boolean(key(v, "anon_vma")));
	v = arr ? json_object_array_get_idx(arr, 1) : NULL;
	CHECK_STR(json_object_get_string(key(v, "file")), "/opt/with space/lib.so");
	CHECK_STR(json_object_get_string(key(v, "kind")), "file");
	CHECK(key_type(v, "smaps_rss_kb") == json_type_null);
	json_object_put(arr);

	f = open_memstream(&buf, &len);
	if (f) {
		mmlens_vmas_print(f, &vmas);
		fclose(f);
	}
	CHECK(buf && strstr(buf, "\n55d0e1000000 55d0e1021000       132 rw-p        16 "
			    "        8     0     0        16         8  [heap]  account\n"));
	CHECK(buf && strstr(buf, "7f0000000000 7f0000002000         8 r-xs "));
	CHECK(buf && strstr(buf, "  /opt/with space/lib.so  mayshare\n"));
	CHECK(buf && strstr(buf, "\ntotal: 2 VMAs                   140      "));
	free(buf);
	mmlens_vmas_free(&vmas);
}

static struct nl_msg *build_mm(unsigned int levels)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *nest;
	int ret = 0, i;

	if (!msg || !genlmsg_put(msg, 0, 0, 0x20, 0, 0, MMLENS_CMD_GET_MM,
				 MMLENS_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	ret |= nla_put_u32(msg, MMLENS_A_MM_PID, 42);
	ret |= nla_put_u32(msg, MMLENS_A_MM_TGID, 41);
	ret |= nla_put_string(msg, MMLENS_A_MM_COMM, "fixture");
	ret |= nla_put_u32(msg, MMLENS_A_MM_PAGING_LEVELS, levels);
	ret |= nla_put_u64(msg, MMLENS_A_MM_PGD_PA, 0x10a3b4000ULL);
	ret |= nla_put_u64(msg, MMLENS_A_MM_CONTEXT_ID, 17);
	ret |= nla_put_u64(msg, MMLENS_A_MM_TLB_GEN, 3);
	ret |= nla_put_u32(msg, MMLENS_A_MM_MAP_COUNT, 30);
	for (i = MMLENS_A_MM_TOTAL_VM; i <= MMLENS_A_MM_MAJ_FLT; i++)
		ret |= nla_put_u64(msg, i, i == MMLENS_A_MM_TASK_SIZE ?
				   (levels == 5 ? 0x00fffffffffff000ULL : 0x7ffffffff000ULL) :
				   (uint64_t)i * 100);
	nest = nla_nest_start(msg, MMLENS_A_MM_PT_PAGES);
	ret |= !nest;
	ret |= nla_put_u64(msg, MMLENS_A_PT_PAGES_PGD, 1);
	ret |= nla_put_u64(msg, MMLENS_A_PT_PAGES_P4D, levels == 5);
	ret |= nla_put_u64(msg, MMLENS_A_PT_PAGES_PUD, 3);
	ret |= nla_put_u64(msg, MMLENS_A_PT_PAGES_PMD, 4);
	ret |= nla_put_u64(msg, MMLENS_A_PT_PAGES_PTE, 10);
	if (nest)
		nla_nest_end(msg, nest);
	if (ret) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static void test_info(void)
{
	struct json_object *obj;
	struct mmlens_mm mm;
	struct nl_msg *msg;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	msg = build_mm(4);
	CHECK(msg && mmlens_mm_parse(msg, &mm) == 0);
	nlmsg_free(msg);
	CHECK(mm.pid == 42 && mm.tgid == 41 && !strcmp(mm.comm, "fixture"));
	CHECK(mm.val[MMLENS_A_MM_TOTAL_VM] == MMLENS_A_MM_TOTAL_VM * 100);
	CHECK(mm.pt_pages[MMLENS_LEVEL_PTE] == 10);
	CHECK(mmlens_mm_pt_bytes(&mm) == 18 * 4096);
	/* 2^47 / 4 KiB pages * 8 bytes. */
	CHECK(mmlens_mm_flat_bytes(&mm) == 1ULL << 38);

	mm.has_proc = true;
	mm.proc.vm_pte = mm.val[MMLENS_A_MM_PGTABLES_BYTES] >> 10;
	f = open_memstream(&buf, &len);
	if (f) {
		mmlens_mm_print(f, &mm);
		fclose(f);
	}
	CHECK(buf && strstr(buf, "pid 42 (fixture), tgid 41\n"));
	CHECK(buf && strstr(buf, "\ntotal_vm                1000           4000\n"));
	CHECK(buf && strstr(buf, "\np4d                        -         folded\n"));
	CHECK(buf && strstr(buf, "\ntotal                     18         72 KiB\n"));
	CHECK(buf && strstr(buf, "\nflat table:     256 GiB: one level of 8-byte entries "
			    "for each 4 KiB page of 128 TiB\n"));
	CHECK(buf && strstr(buf, "3728270x the 72 KiB the 4-level tables take\n"));
	CHECK(buf && strstr(buf, "(agrees with pgtables_bytes)"));
	free(buf);

	obj = round_trip(mmlens_mm_json(&mm));
	CHECK(json_object_get_int64(key(obj, "flat_table_bytes")) == 1LL << 38);
	CHECK(json_object_get_int(key(key(obj, "pt_pages"), "pte")) == 10);
	CHECK(is_hex(key(obj, "pgd_pa")));
	CHECK(is_hex(key(key(obj, "layout"), "task_size")));
	json_object_put(obj);

	msg = build_mm(5);
	CHECK(msg && mmlens_mm_parse(msg, &mm) == 0);
	nlmsg_free(msg);
	/* 2^56 / 4 KiB pages * 8 bytes: 128 TiB. */
	CHECK(mmlens_mm_flat_bytes(&mm) == 1ULL << 47);
}

/* Live events: watch, run, stats. */

static void test_class_names(void)
{
	static const char *const want[] = {
		"anon_zero_fill", "zero_page", "zero_page_cow", "file_minor",
		"file_major", "swap_in_minor", "swap_in_major", "cow_copy",
		"cow_reuse", "write_notify", "numa_hint", "uffd", "retry", "error",
		"migration", "spurious", "other",
	};
	unsigned int c, d;

	/* One name per enum value, in its order: a new class must get one. */
	CHECK(sizeof(want) / sizeof(want[0]) == MMLENS_FAULT_CLASS_MAX + 1);
	CHECK(MMLENS_A_FAULTS_MAX - MMLENS_A_FAULTS_FIRST == MMLENS_FAULT_CLASS_MAX);
	for (c = 0; c <= MMLENS_FAULT_CLASS_MAX && c < sizeof(want) / sizeof(want[0]); c++) {
		CHECK_STR(mmlens_class_name(c), want[c]);
		CHECK(mmlens_class_slot(c) == c);
		CHECK(mmlens_class_text(c)[0] && strcmp(mmlens_class_text(c), "unknown"));
		for (d = 0; d < c; d++)
			CHECK(strcmp(mmlens_class_text(c), mmlens_class_text(d)));
	}
	CHECK_STR(mmlens_class_name(MMLENS_FAULT_COW_COPY), "cow_copy");
	CHECK_STR(mmlens_class_text(MMLENS_FAULT_COW_COPY), "COW copy");
	CHECK_STR(mmlens_class_name(MMLENS_FAULT_CLASS_MAX + 1), "unknown");
	CHECK_STR(mmlens_class_name(1000), "unknown");
	CHECK(mmlens_class_slot(1000) == MMLENS_CLASS_UNKNOWN);

	CHECK_STR(mmlens_access_name(MMLENS_ACCESS_READ), "read");
	CHECK_STR(mmlens_access_name(MMLENS_ACCESS_WRITE), "write");
	CHECK_STR(mmlens_access_name(MMLENS_ACCESS_EXEC), "exec");
	CHECK_STR(mmlens_access_name(3), "?");
	for (c = 0; c <= MMLENS_TLB_REASON_MAX; c++)
		CHECK(strcmp(mmlens_tlb_reason_name(c), "?"));
	CHECK_STR(mmlens_tlb_reason_name(MMLENS_TLB_LOCAL_MM_SHOOTDOWN), "local_mm_shootdown");
	CHECK_STR(mmlens_tlb_reason_name(MMLENS_TLB_REASON_MAX + 1), "?");
	CHECK(MMLENS_A_TLB_MAX - MMLENS_A_TLB_FIRST == MMLENS_TLB_REASON_MAX);
}

/* Which variation of an event build_event() builds. */
enum event_variant {
	EV_OK,
	EV_NO_PFN_BEFORE,	/* zero fill: no old frame, no mapcount */
	EV_MISSING_CLASS,
	EV_SHORT_VA,
	EV_FLAG_PAYLOAD,	/* FOLLOWED with a payload */
	EV_SIGNAL,		/* a SIGSEGV fault the core mm never saw */
	EV_SIGNAL_NO_CODE,	/* SIGNAL without SIGNAL_CODE */
	EV_HANDLED_PART,	/* ENTRY_BEFORE without the rest of a handled fault */
	EV_NO_SEQ,		/* without its number */
};

struct ev_spec {
	uint8_t cmd;
	uint32_t pid, tid, class, child;
	uint64_t lost, seq;
	bool followed;
	uint32_t exit_code;
};

static struct nl_msg *build_event(const struct ev_spec *e, enum event_variant v)
{
	struct nl_msg *msg;
	int ret = 0;

	msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, 0, 0, 0x21, 0, 0, e->cmd, MMLENS_GENL_VERSION))
		goto fail;
	ret |= nla_put_u32(msg, MMLENS_A_EVENT_PID, e->pid);
	ret |= nla_put_u64(msg, MMLENS_A_EVENT_TIMESTAMP_NS, 123456789);
	ret |= nla_put_u64(msg, MMLENS_A_EVENT_LOST, e->lost);
	if (v != EV_NO_SEQ)
		ret |= nla_put_u64(msg, MMLENS_A_EVENT_SEQ, e->seq);
	if (e->cmd == MMLENS_CMD_FAULT_NTF) {
		ret |= nla_put_u32(msg, MMLENS_A_EVENT_TID, e->tid);
		if (v == EV_SHORT_VA)
			ret |= nla_put_u32(msg, MMLENS_A_EVENT_VA, 0x1000);
		else
			ret |= nla_put_u64(msg, MMLENS_A_EVENT_VA, 0x7f3a1c002000ULL);
		ret |= nla_put_u32(msg, MMLENS_A_EVENT_ACCESS, MMLENS_ACCESS_WRITE);
		ret |= nla_put_u32(msg, MMLENS_A_EVENT_FAULT_FLAGS,
				   MMLENS_FAULT_F_USER | MMLENS_FAULT_F_VMA_LOCK);
		if (v != EV_MISSING_CLASS)
			ret |= nla_put_u32(msg, MMLENS_A_EVENT_CLASS, e->class);
		if (v == EV_SIGNAL || v == EV_SIGNAL_NO_CODE || v == EV_HANDLED_PART) {
			ret |= nla_put_u32(msg, MMLENS_A_EVENT_SIGNAL, SIGSEGV);
			if (v != EV_SIGNAL_NO_CODE)
				ret |= nla_put_u32(msg, MMLENS_A_EVENT_SIGNAL_CODE, SEGV_ACCERR);
			if (v == EV_HANDLED_PART)
				ret |= nla_put_u64(msg, MMLENS_A_EVENT_ENTRY_BEFORE, 0);
		} else {
			ret |= nla_put_u32(msg, MMLENS_A_EVENT_LEVEL, MMLENS_LEVEL_PTE);
			ret |= nla_put_u64(msg, MMLENS_A_EVENT_ENTRY_BEFORE,
					   v == EV_NO_PFN_BEFORE ? 0 : 0x800000001a2b3025ULL);
			ret |= nla_put_u64(msg, MMLENS_A_EVENT_ENTRY_AFTER, 0x800000004c5d6867ULL);
			if (v != EV_NO_PFN_BEFORE) {
				ret |= nla_put_u64(msg, MMLENS_A_EVENT_PFN_BEFORE, 0x1a2b3);
				ret |= nla_put_u32(msg, MMLENS_A_EVENT_MAPCOUNT_BEFORE, 2);
			}
			ret |= nla_put_u64(msg, MMLENS_A_EVENT_PFN_AFTER, 0x4c5d6);
			ret |= nla_put_u32(msg, MMLENS_A_EVENT_RESULT, 0x800);
			ret |= nla_put_u64(msg, MMLENS_A_EVENT_DURATION_NS, 12345);
		}
	} else if (e->cmd == MMLENS_CMD_FORK_NTF) {
		ret |= nla_put_u32(msg, MMLENS_A_EVENT_TID, e->tid);
		ret |= nla_put_u32(msg, MMLENS_A_EVENT_CHILD, e->child);
		if (v == EV_FLAG_PAYLOAD)
			ret |= nla_put_u32(msg, MMLENS_A_EVENT_FOLLOWED, 1);
		else if (e->followed)
			ret |= nla_put_flag(msg, MMLENS_A_EVENT_FOLLOWED);
	} else if (e->cmd == MMLENS_CMD_EXIT_NTF) {
		ret |= nla_put_u32(msg, MMLENS_A_EVENT_EXIT_CODE, e->exit_code);
	}
	if (ret)
		goto fail;
	return msg;

fail:
	printf("#   cannot build an event message\n");
	failed_checks++;
	nlmsg_free(msg);
	return NULL;
}

static int parse_event(const struct ev_spec *e, enum event_variant v,
		       struct mmlens_event *ev)
{
	struct nl_msg *msg = build_event(e, v);
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = mmlens_event_parse(nlmsg_hdr(msg), ev);
	nlmsg_free(msg);
	return ret;
}

static const struct ev_spec cow_fault = {
	.cmd = MMLENS_CMD_FAULT_NTF, .pid = 4242, .tid = 4242,
	.class = MMLENS_FAULT_COW_COPY,
};

static const struct ev_spec segv_fault = {
	.cmd = MMLENS_CMD_FAULT_NTF, .pid = 4242, .tid = 4242,
	.class = MMLENS_FAULT_ERROR,
};

static void test_event_parse(void)
{
	struct ev_spec fork_ev = {
		.cmd = MMLENS_CMD_FORK_NTF, .pid = 4241, .tid = 4241, .child = 4242,
		.followed = true, .lost = 3, .seq = 9,
	};
	struct ev_spec exit_ev = { .cmd = MMLENS_CMD_EXIT_NTF, .pid = 4242 };
	struct ev_spec end_ev = { .cmd = MMLENS_CMD_END_NTF, .pid = 4242, .seq = 1ULL << 40 };
	struct ev_spec status = { .cmd = MMLENS_CMD_GET_STATUS, .pid = 1 };
	struct mmlens_event ev;

	CHECK(parse_event(&cow_fault, EV_OK, &ev) == 0);
	CHECK(ev.cmd == MMLENS_CMD_FAULT_NTF && ev.pid == 4242 && ev.tid == 4242);
	CHECK(ev.va == 0x7f3a1c002000ULL && ev.access == MMLENS_ACCESS_WRITE);
	CHECK(ev.class == MMLENS_FAULT_COW_COPY && ev.level == MMLENS_LEVEL_PTE);
	CHECK(ev.has_pfn_before && ev.pfn_before == 0x1a2b3);
	CHECK(ev.has_pfn_after && ev.pfn_after == 0x4c5d6);
	CHECK(ev.has_mapcount && ev.mapcount_before == 2);
	CHECK(ev.duration_ns == 12345 && ev.ts_ns == 123456789 && ev.result == 0x800);
	CHECK(ev.handled && !ev.signal);

	CHECK(parse_event(&segv_fault, EV_SIGNAL, &ev) == 0);
	CHECK(!ev.handled && ev.signal == SIGSEGV && ev.signal_code == SEGV_ACCERR);
	CHECK(!ev.has_pfn_before && !ev.has_pfn_after && !ev.has_mapcount);
	CHECK(parse_event(&segv_fault, EV_SIGNAL_NO_CODE, &ev) == -EBADMSG);
	CHECK(parse_event(&segv_fault, EV_HANDLED_PART, &ev) == -EBADMSG);

	CHECK(parse_event(&cow_fault, EV_NO_PFN_BEFORE, &ev) == 0);
	CHECK(!ev.has_pfn_before && !ev.has_mapcount && ev.has_pfn_after);

	CHECK(parse_event(&fork_ev, EV_OK, &ev) == 0);
	CHECK(ev.cmd == MMLENS_CMD_FORK_NTF && ev.child == 4242 && ev.followed);
	CHECK(ev.lost == 3 && ev.seq == 9);
	fork_ev.followed = false;
	CHECK(parse_event(&fork_ev, EV_OK, &ev) == 0 && !ev.followed);

	exit_ev.exit_code = 3 << 8;
	CHECK(parse_event(&exit_ev, EV_OK, &ev) == 0 && ev.exit_code == 3 << 8);
	CHECK(parse_event(&end_ev, EV_OK, &ev) == 0);
	CHECK(ev.cmd == MMLENS_CMD_END_NTF && ev.pid == 4242 && ev.seq == 1ULL << 40);

	/* Every event is numbered. */
	CHECK(parse_event(&cow_fault, EV_NO_SEQ, &ev) == -EBADMSG);
	CHECK(parse_event(&end_ev, EV_NO_SEQ, &ev) == -EBADMSG);

	CHECK(parse_event(&cow_fault, EV_MISSING_CLASS, &ev) == -EBADMSG);
	CHECK(parse_event(&cow_fault, EV_SHORT_VA, &ev) == -EBADMSG);
	CHECK(parse_event(&fork_ev, EV_FLAG_PAYLOAD, &ev) == -EBADMSG);
	CHECK(parse_event(&status, EV_OK, &ev) == -ENOENT);
}

static void test_event_text(void)
{
	struct ev_spec fork_ev = {
		.cmd = MMLENS_CMD_FORK_NTF, .pid = 4241, .tid = 4241, .child = 4242,
		.followed = true,
	};
	struct ev_spec exit_ev = { .cmd = MMLENS_CMD_EXIT_NTF, .pid = 4242 };
	struct ev_spec zero = cow_fault;
	struct mmlens_event ev;
	char line[512];

	CHECK(parse_event(&cow_fault, EV_OK, &ev) == 0);
	mmlens_event_text(line, sizeof(line), &ev, true);
	CHECK_STR(line, "child 4242   COW copy        write va 0x7f3a1c002000  "
		  "pfn 0x1a2b3 -> 0x4c5d6  mapcount 2  12.3 us");
	mmlens_event_text(line, sizeof(line), &ev, false);
	CHECK(!strncmp(line, "pid 4242     COW copy ", 22));

	/* Another thread, a kernel access through GUP. */
	ev.tid = 4243;
	ev.fault_flags = MMLENS_FAULT_F_GUP | MMLENS_FAULT_F_REMOTE;
	mmlens_event_text(line, sizeof(line), &ev, false);
	CHECK(strstr(line, "  12.3 us  tid 4243  [kernel,gup,remote]"));
	ev.fault_flags = MMLENS_FAULT_F_USER | MMLENS_FAULT_F_TRIED | (1U << 20);
	mmlens_event_text(line, sizeof(line), &ev, false);
	CHECK(strstr(line, "  [tried,bit20]"));

	zero.class = MMLENS_FAULT_ANON_ZERO_FILL;
	CHECK(parse_event(&zero, EV_NO_PFN_BEFORE, &ev) == 0);
	mmlens_event_text(line, sizeof(line), &ev, false);
	CHECK_STR(line, "pid 4242     anon zero-fill  write va 0x7f3a1c002000  "
		  "pfn - -> 0x4c5d6  12.3 us");

	CHECK(parse_event(&segv_fault, EV_SIGNAL, &ev) == 0);
	mmlens_event_text(line, sizeof(line), &ev, false);
	CHECK_STR(line, "pid 4242     error           write va 0x7f3a1c002000  "
		  "SIGSEGV (SEGV_ACCERR)");
	ev.signal = SIGBUS;
	ev.signal_code = 99;
	mmlens_event_text(line, sizeof(line), &ev, false);
	CHECK(strstr(line, "  SIGBUS (code 99)"));
	CHECK(parse_event(&zero, EV_NO_PFN_BEFORE, &ev) == 0);

	/* Cut at the buffer's size, always terminated. */
	CHECK(mmlens_event_text(line, 10, &ev, false) == 9 && strlen(line) == 9);

	CHECK(parse_event(&fork_ev, EV_OK, &ev) == 0);
	mmlens_event_text(line, sizeof(line), &ev, false);
	CHECK_STR(line, "fork   4241 -> 4242 (followed)");
	ev.followed = false;
	mmlens_event_text(line, sizeof(line), &ev, false);
	CHECK_STR(line, "fork   4241 -> 4242");

	CHECK(parse_event(&exit_ev, EV_OK, &ev) == 0);
	mmlens_event_text(line, sizeof(line), &ev, true);
	CHECK_STR(line, "exit   4242  status 0");
	ev.exit_code = 9;	/* SIGKILL */
	mmlens_event_text(line, sizeof(line), &ev, true);
	CHECK_STR(line, "exit   4242  killed by SIGKILL");
	ev.exit_code = 0x80 | 11;	/* SIGSEGV, core dumped */
	mmlens_event_text(line, sizeof(line), &ev, true);
	CHECK_STR(line, "exit   4242  killed by SIGSEGV (core dumped)");
	ev.cmd = MMLENS_CMD_END_NTF;
	mmlens_event_text(line, sizeof(line), &ev, true);
	CHECK_STR(line, "end    4242  the kernel module is being unloaded: its events end here");

	mmlens_lost_text(line, sizeof(line), 4242, 30, 12);
	CHECK_STR(line, "lost   4242  12 events (30 so far)");
	mmlens_lost_text(line, sizeof(line), -1, 1, 0);
	CHECK_STR(line, "lost   -     the receive buffer overflowed: events dropped "
		  "(1 time so far)");
}

static const char *json_str(struct json_object *obj)
{
	return json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
}

static void test_event_json(void)
{
	struct ev_spec fork_ev = {
		.cmd = MMLENS_CMD_FORK_NTF, .pid = 4241, .tid = 4241, .child = 4242,
		.followed = true,
	};
	struct ev_spec exit_ev = { .cmd = MMLENS_CMD_EXIT_NTF, .pid = 4242 };
	struct mmlens_event ev;
	struct json_object *obj;

	CHECK(parse_event(&cow_fault, EV_OK, &ev) == 0);
	obj = round_trip(mmlens_event_json(&ev));
	CHECK_STR(json_str(obj),
		  "{\"type\":\"fault\",\"pid\":4242,\"tid\":4242,\"ts_ns\":123456789,"
		  "\"va\":\"0x7f3a1c002000\",\"access\":\"write\",\"class\":\"cow_copy\","
		  "\"level\":\"pte\",\"entry_before\":\"0x800000001a2b3025\","
		  "\"entry_after\":\"0x800000004c5d6867\",\"old_pfn\":107187,"
		  "\"new_pfn\":312790,\"mapcount_before\":2,\"duration_ns\":12345,"
		  "\"flags\":[\"user\",\"vma_lock\"],\"result\":2048,\"signal\":null,"
		  "\"signal_code\":null,\"lost\":0,\"seq\":0}");
	json_object_put(obj);

	CHECK(parse_event(&segv_fault, EV_SIGNAL, &ev) == 0);
	obj = round_trip(mmlens_event_json(&ev));
	CHECK_STR(json_str(obj),
		  "{\"type\":\"fault\",\"pid\":4242,\"tid\":4242,\"ts_ns\":123456789,"
		  "\"va\":\"0x7f3a1c002000\",\"access\":\"write\",\"class\":\"error\","
		  "\"level\":null,\"entry_before\":null,\"entry_after\":null,"
		  "\"old_pfn\":null,\"new_pfn\":null,\"mapcount_before\":null,"
		  "\"duration_ns\":null,\"flags\":[\"user\",\"vma_lock\"],\"result\":null,"
		  "\"signal\":\"SIGSEGV\",\"signal_code\":\"SEGV_ACCERR\",\"lost\":0,\"seq\":0}");
	json_object_put(obj);

	CHECK(parse_event(&cow_fault, EV_NO_PFN_BEFORE, &ev) == 0);
	obj = round_trip(mmlens_event_json(&ev));
	CHECK(json_object_is_type(key(obj, "old_pfn"), json_type_null));
	CHECK(json_object_object_get_ex(obj, "old_pfn", NULL));
	CHECK(json_object_is_type(key(obj, "mapcount_before"), json_type_null));
	CHECK(json_object_get_int64(key(obj, "new_pfn")) == 0x4c5d6);
	json_object_put(obj);

	CHECK(parse_event(&fork_ev, EV_OK, &ev) == 0);
	obj = round_trip(mmlens_event_json(&ev));
	CHECK_STR(json_str(obj),
		  "{\"type\":\"fork\",\"pid\":4241,\"tid\":4241,\"ts_ns\":123456789,"
		  "\"parent\":4241,\"child\":4242,\"followed\":true,\"lost\":0,\"seq\":0}");
	json_object_put(obj);

	exit_ev.exit_code = 1 << 8;
	CHECK(parse_event(&exit_ev, EV_OK, &ev) == 0);
	obj = round_trip(mmlens_event_json(&ev));
	CHECK_STR(json_str(obj),
		  "{\"type\":\"exit\",\"pid\":4242,\"ts_ns\":123456789,\"exit_code\":256,"
		  "\"status\":1,\"signal\":null,\"lost\":0,\"seq\":0}");
	json_object_put(obj);
	ev.exit_code = 9;
	obj = round_trip(mmlens_event_json(&ev));
	CHECK(json_object_is_type(key(obj, "status"), json_type_null));
	CHECK_STR(json_object_get_string(key(obj, "signal")), "SIGKILL");
	json_object_put(obj);

	ev.cmd = MMLENS_CMD_END_NTF;
	ev.seq = 7;
	obj = round_trip(mmlens_event_json(&ev));
	CHECK_STR(json_str(obj), "{\"type\":\"end\",\"pid\":4242,\"ts_ns\":123456789,"
		  "\"lost\":0,\"seq\":7}");
	json_object_put(obj);

	obj = round_trip(mmlens_lost_json(4242, 30, 12));
	CHECK_STR(json_str(obj), "{\"type\":\"lost\",\"pid\":4242,\"lost\":30,\"delta\":12}");
	json_object_put(obj);
	obj = round_trip(mmlens_lost_json(-1, 2, 0));
	CHECK_STR(json_str(obj), "{\"type\":\"lost\",\"pid\":null,\"lost\":2,\"delta\":null}");
	json_object_put(obj);
}

/* Feeds one synthetic event to the session. */
static int feed(struct mmlens_session *s, const struct ev_spec *e)
{
	struct nl_msg *msg = build_event(e, EV_OK);
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = mmlens_session_message(nlmsg_hdr(msg), s);
	nlmsg_free(msg);
	return ret;
}

/* What the session printed so far, in buf. */
static void session_output(struct mmlens_stream *o, FILE *f, char *buf, size_t size)
{
	char *text = stream_take(o, f);

	snprintf(buf, size, "%s", text ? text : "");
	free(text);
}

static void test_session(void)
{
	static const char json_lines_start[] =
		"{\"type\":\"lost\",\"pid\":null,\"lost\":2,\"delta\":null}\n"
		"{\"type\":\"summary\",";
	struct mmlens_ctx ctx = { .cmd = NULL, .opts = MMLENS_OPT_FOLLOW };
	struct ev_spec e = cow_fault;
	struct mmlens_session s;
	struct mmlens_tracked *p;
	struct mmlens_totals t;
	struct json_object *obj;
	static struct mmlens_stream o;
	char buf[4096];
	FILE *f = stream_file(&o);

	if (!f)
		return;
	mmlens_session_init(&s, &ctx, &o);
	CHECK(s.follow && !s.cow_only && !s.json);
	/* Our watch of 4241 began after its event 10. */
	CHECK(mmlens_session_track(&s, 4241, false, 10));
	CHECK(!mmlens_session_done(&s));

	/* Another socket's process, and one of 4241's from before our watch: ignored. */
	e.pid = e.tid = 999;
	e.seq = 1;
	CHECK(feed(&s, &e) == 0);
	e.pid = e.tid = 4241;
	e.seq = 10;
	CHECK(feed(&s, &e) == 0);
	session_output(&o, f, buf, sizeof(buf));
	CHECK_STR(buf, "");

	/* Ours; then a fork whose child is followed. */
	e.seq = 11;
	CHECK(feed(&s, &e) == 0);
	e.cmd = MMLENS_CMD_FORK_NTF;
	e.child = 4242;
	e.followed = true;
	e.seq = 12;
	CHECK(feed(&s, &e) == 0);
	session_output(&o, f, buf, sizeof(buf));
	CHECK(!strncmp(buf, "pid 4241     COW copy", 21));
	CHECK(strstr(buf, "\nfork   4241 -> 4242 (followed)\n"));
	p = mmlens_session_find(&s, 4242);
	CHECK(p && p->child && !p->exited);

	/* The child's events 1 and 7: the five between never came. */
	e = cow_fault;
	e.class = MMLENS_FAULT_COW_REUSE;
	e.seq = 1;
	CHECK(feed(&s, &e) == 0);
	e.class = MMLENS_FAULT_FILE_MINOR;
	e.seq = 7;
	CHECK(feed(&s, &e) == 0);
	/* A number seen before (a last event sent again): ignored. */
	CHECK(feed(&s, &e) == 0);
	session_output(&o, f, buf, sizeof(buf));
	CHECK(!strncmp(buf, "child 4242   COW reuse", 22));
	CHECK(strstr(buf, "\nlost   4242  5 events (5 so far)\nchild 4242   file minor "));
	CHECK(!strchr(strstr(buf, "file minor"), '\n')[1]);

	/* Produced up to 9 when the stream stopped: two more lost; less is nothing. */
	CHECK(mmlens_session_produced(&s, mmlens_session_find(&s, 4242), 9) == 0);
	CHECK(mmlens_session_produced(&s, mmlens_session_find(&s, 4242), 8) == 0);
	s.overruns = 1;
	CHECK(mmlens_session_overruns(&s) == 0);
	CHECK(mmlens_session_overruns(&s) == 0);
	session_output(&o, f, buf, sizeof(buf));
	CHECK_STR(buf, "lost   4242  2 events (7 so far)\n"
		  "lost   -     the receive buffer overflowed: events dropped (1 time so far)\n");

	/* --cow: other classes are counted, not shown. */
	s.cow_only = true;
	e.class = MMLENS_FAULT_ANON_ZERO_FILL;
	e.seq = 10;
	CHECK(feed(&s, &e) == 0);
	e.class = MMLENS_FAULT_COW_COPY;
	e.seq = 11;
	CHECK(feed(&s, &e) == 0);
	e.class = 77;		/* from a newer module */
	e.seq = 12;
	CHECK(feed(&s, &e) == 0);
	session_output(&o, f, buf, sizeof(buf));
	CHECK(!strncmp(buf, "child 4242   COW copy", 21) && !strchr(buf + 1, '\n')[1]);

	/* Exits, the last events, end the session. */
	e = (struct ev_spec){ .cmd = MMLENS_CMD_EXIT_NTF, .pid = 4242, .seq = 13 };
	CHECK(feed(&s, &e) == 0);
	CHECK(!mmlens_session_done(&s));
	e.pid = 4241;
	e.exit_code = 2 << 8;
	CHECK(feed(&s, &e) == 0);
	CHECK(mmlens_session_done(&s));
	session_output(&o, f, buf, sizeof(buf));
	CHECK_STR(buf, "exit   4242  status 0\nexit   4241  status 2\n");
	/* Nothing more of an exited process counts. */
	e = cow_fault;
	e.seq = 14;
	CHECK(feed(&s, &e) == 0);

	/* Received and lost add up to what was produced: 3 + 0 of 4241's, 6 + 7 of 4242's. */
	mmlens_session_totals(&s, &t);
	CHECK(t.all == 6 && t.events == 9 && t.lost == 7 && t.running == 0);
	CHECK(t.faults[MMLENS_FAULT_COW_COPY] == 2 && t.faults[MMLENS_FAULT_COW_REUSE] == 1);
	CHECK(t.faults[MMLENS_CLASS_UNKNOWN] == 1);

	CHECK(mmlens_session_summary(&s) == 0);
	session_output(&o, f, buf, sizeof(buf));
	CHECK(strstr(buf, "\nsummary: 2 processes, 6 faults seen, 7 events lost, "
		      "1 receive buffer overrun\n"));
	CHECK(strstr(buf, "\n  pid 4241      exited, status 2                    1 faults        0 lost\n"
		      "      COW copy                      1\n"));
	CHECK(strstr(buf, "\n  child 4242    exited, status 0                    5 faults        7 lost\n"));
	CHECK(strstr(buf, "\n      unknown                       1\n"));

	obj = round_trip(mmlens_summary_json(&s));
	CHECK_STR(json_object_get_string(key(obj, "type")), "summary");
	CHECK(json_object_get_int64(key(obj, "faults")) == 6);
	CHECK(json_object_get_int64(key(obj, "lost")) == 7);
	CHECK(json_object_get_int64(key(obj, "overruns")) == 1);
	CHECK(json_object_get_int64(key(key(obj, "classes"), "cow_copy")) == 2);
	CHECK(json_object_array_length(key(obj, "processes")) == 2);
	CHECK_STR(json_str(json_object_array_get_idx(key(obj, "processes"), 0)),
		  "{\"pid\":4241,\"child\":false,\"exited\":true,\"exit_code\":512,"
		  "\"module_unloaded\":false,\"events\":3,\"faults\":1,\"classes\":{\"anon_zero_fill\":0,\"zero_page\":0,"
		  "\"zero_page_cow\":0,\"file_minor\":0,\"file_major\":0,"
		  "\"swap_in_minor\":0,\"swap_in_major\":0,\"cow_copy\":1,"
		  "\"cow_reuse\":0,\"write_notify\":0,\"numa_hint\":0,\"uffd\":0,"
		  "\"retry\":0,\"error\":0,\"migration\":0,\"spurious\":0,\"other\":0,"
		  "\"unknown\":0},\"lost\":0}");
	json_object_put(obj);

	/* JSON Lines: one object per line. */
	s.json = true;
	CHECK(mmlens_session_overruns(&s) == 0);
	s.overruns = 2;
	CHECK(mmlens_session_overruns(&s) == 0);
	CHECK(mmlens_session_summary(&s) == 0);
	session_output(&o, f, buf, sizeof(buf));
	CHECK(!strncmp(buf, json_lines_start, sizeof(json_lines_start) - 1));
	CHECK(strchr(buf, '\n') && !strchr(strchr(buf, '\n') + 1, '\n')[1]);

	mmlens_session_free(&s);
	fclose(f);
}

static void test_session_not_followed(void)
{
	struct mmlens_ctx ctx = { .cmd = NULL, .json = true };
	struct ev_spec e = {
		.cmd = MMLENS_CMD_FORK_NTF, .pid = 10, .tid = 11, .child = 12,
		.followed = true,
	};
	struct mmlens_session s;
	static struct mmlens_stream o;
	char buf[1024];
	FILE *f = stream_file(&o);

	if (!f)
		return;
	mmlens_session_init(&s, &ctx, &o);
	CHECK(mmlens_session_track(&s, 10, false, 0));
	e.seq = 1;
	/* Followed for another socket: not without --follow. */
	CHECK(feed(&s, &e) == 0);
	CHECK(!mmlens_session_find(&s, 12));
	session_output(&o, f, buf, sizeof(buf));
	CHECK_STR(buf, "{\"type\":\"fork\",\"pid\":10,\"tid\":11,\"ts_ns\":123456789,"
		  "\"parent\":10,\"child\":12,\"followed\":true,\"lost\":0,\"seq\":1}\n");
	mmlens_session_free(&s);
	fclose(f);
}

/* The module goes: its end event is the last of the process and ends its stream. */
static void test_session_end(void)
{
	struct mmlens_ctx ctx = { .cmd = NULL };
	struct ev_spec e = cow_fault;
	struct mmlens_session s;
	static struct mmlens_stream o;
	char buf[2048];
	FILE *f = stream_file(&o);

	if (!f)
		return;
	mmlens_session_init(&s, &ctx, &o);
	CHECK(mmlens_session_track(&s, 4242, false, 0));
	e.seq = 1;
	CHECK(feed(&s, &e) == 0);
	e = (struct ev_spec){ .cmd = MMLENS_CMD_END_NTF, .pid = 4242, .seq = 3 };
	CHECK(feed(&s, &e) == 0);
	CHECK(mmlens_session_done(&s));
	session_output(&o, f, buf, sizeof(buf));
	CHECK(strstr(buf, "\nlost   4242  1 event (1 so far)\n"
		      "end    4242  the kernel module is being unloaded: its events end here\n"));
	CHECK(mmlens_session_summary(&s) == 0);
	session_output(&o, f, buf, sizeof(buf));
	CHECK(strstr(buf, "\n  pid 4242      running, module unloaded            1 faults        1 lost\n"));
	mmlens_session_free(&s);
	fclose(f);
}

static struct nl_msg *build_stats(bool newer)
{
	struct nlattr *nest, *reason;
	struct nl_msg *msg;
	int i, ret = 0;

	msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, 0, 0, 0x21, 0, 0, MMLENS_CMD_GET_STATS,
				 MMLENS_GENL_VERSION))
		goto fail;
	ret |= nla_put_u32(msg, MMLENS_A_STATS_PID, 77);
	ret |= nla_put_u64(msg, MMLENS_A_STATS_TLB_GEN, 9);
	ret |= nla_put_u64(msg, MMLENS_A_STATS_WATCHED_NS, 1000);
	nest = nla_nest_start(msg, MMLENS_A_STATS_FAULTS);
	ret |= !nest;
	for (i = 0; !ret && i <= MMLENS_FAULT_CLASS_MAX + (newer ? 2 : 0); i++)
		ret |= nla_put_u64(msg, MMLENS_A_FAULTS_FIRST + i, 10 + i);
	if (!ret)
		nla_nest_end(msg, nest);
	nest = nla_nest_start(msg, MMLENS_A_STATS_TLB);
	ret |= !nest;
	for (i = 0; !ret && i <= MMLENS_TLB_REASON_MAX + (newer ? 1 : 0); i++) {
		reason = nla_nest_start(msg, MMLENS_A_TLB_FIRST + i);
		ret |= !reason;
		ret |= nla_put_u64(msg, MMLENS_A_TLB_COUNT_FLUSHES, 100 + i);
		ret |= nla_put_u64(msg, MMLENS_A_TLB_COUNT_PAGES, 200 + i);
		ret |= nla_put_u64(msg, MMLENS_A_TLB_COUNT_FULL, 300 + i);
		if (!ret)
			nla_nest_end(msg, reason);
	}
	if (!ret)
		nla_nest_end(msg, nest);
	ret |= nla_put_u64(msg, MMLENS_A_STATS_EVENTS, 5);
	ret |= nla_put_u64(msg, MMLENS_A_STATS_LOST, 6);
	if (ret)
		goto fail;
	return msg;

fail:
	printf("#   cannot build a stats message\n");
	failed_checks++;
	nlmsg_free(msg);
	return NULL;
}

static void test_stats_parse(void)
{
	struct mmlens_stats st;
	struct nl_msg *msg;

	msg = build_stats(false);
	CHECK(msg && mmlens_stats_parse(nlmsg_hdr(msg), &st) == 0);
	nlmsg_free(msg);
	CHECK(st.has_pid && st.pid == 77 && st.has_tlb_gen && st.tlb_gen == 9);
	CHECK(st.watched_ns == 1000 && st.events == 5 && st.lost == 6);
	CHECK(st.faults[MMLENS_FAULT_ANON_ZERO_FILL] == 10);
	CHECK(st.faults[MMLENS_FAULT_OTHER] == 10 + MMLENS_FAULT_OTHER);
	CHECK(st.faults[MMLENS_CLASS_UNKNOWN] == 0);
	CHECK(st.tlb[MMLENS_TLB_TASK_SWITCH].flushes == 100);
	CHECK(st.tlb[MMLENS_TLB_REMOTE_SEND_IPI].full == 300 + MMLENS_TLB_REMOTE_SEND_IPI);

	/* A newer module's classes add up as unknown; its reasons are left out. */
	msg = build_stats(true);
	CHECK(msg && mmlens_stats_parse(nlmsg_hdr(msg), &st) == 0);
	nlmsg_free(msg);
	CHECK(st.faults[MMLENS_CLASS_UNKNOWN] ==
	      (uint64_t)(10 + MMLENS_FAULT_CLASS_MAX + 1) + (10 + MMLENS_FAULT_CLASS_MAX + 2));
}

static void test_stats_rule(void)
{
	uint64_t faults[MMLENS_NR_CLASSES] = { 0 }, total, major;

	faults[MMLENS_FAULT_ANON_ZERO_FILL] = 100;
	faults[MMLENS_FAULT_FILE_MAJOR] = 3;
	faults[MMLENS_FAULT_SWAP_IN_MAJOR] = 2;
	faults[MMLENS_FAULT_SWAP_IN_MINOR] = 4;
	faults[MMLENS_FAULT_RETRY] = 7;		/* not a fault stat counts */
	faults[MMLENS_FAULT_ERROR] = 1;
	faults[MMLENS_CLASS_UNKNOWN] = 1;
	mmlens_stats_totals(faults, &total, &major);
	CHECK(total == 111 && major == 5);

	CHECK(!mmlens_stats_disagree(111, 5, 111, 111, 5, 5));
	CHECK(mmlens_stats_disagree(111, 5, 110, 110, 5, 5));
	CHECK(mmlens_stats_disagree(111, 5, 112, 112, 5, 5));
	CHECK(mmlens_stats_disagree(111, 5, 111, 111, 6, 6));
	/* A fault completing between the reads of stat: either way agrees. */
	CHECK(!mmlens_stats_disagree(111, 5, 110, 112, 5, 6));
	CHECK(!mmlens_stats_disagree(111, 6, 110, 112, 5, 6));
}

static void test_stats_row(void)
{
	struct mmlens_sample a, b;
	struct mmlens_stats_row row;
	struct json_object *obj;
	char buf[2048], *nl;

	memset(&a, 0, sizeof(a));
	a.st.faults[MMLENS_FAULT_ANON_ZERO_FILL] = 50;
	a.st.tlb_gen = 10;
	a.st.tlb[MMLENS_TLB_TASK_SWITCH].flushes = 4;
	a.total_lo = a.total_hi = a.minflt = 60;
	a.has_vmstat = true;
	a.pgfault = 1000;
	a.ns = 1000000000;
	b = a;
	b.st.faults[MMLENS_FAULT_ANON_ZERO_FILL] = 70;
	b.st.faults[MMLENS_FAULT_FILE_MAJOR] = 1;
	b.st.faults[MMLENS_FAULT_RETRY] = 3;
	b.st.tlb_gen = 13;
	b.st.tlb[MMLENS_TLB_TASK_SWITCH].flushes = 9;
	b.st.tlb[MMLENS_TLB_REMOTE_SEND_IPI].pages = 8;
	b.st.events = 21;
	/* stat moved by 21 (one major) between the two reads around GET_STATS. */
	b.total_lo = 80;
	b.total_hi = b.minflt + 1 + 1;
	b.minflt = 80;
	b.total_hi = 81;
	b.majflt = b.major_hi = 1;
	b.pgfault = 1100;
	b.pgmajfault = 2;
	b.ns = 3500000000;
	mmlens_stats_row(&a, &b, &row);
	CHECK(row.interval_s == 2.5);
	CHECK(row.faults[MMLENS_FAULT_ANON_ZERO_FILL] == 20 && row.tlb_gen_delta == 3);
	CHECK(row.module_total == 21 && row.module_major == 1);
	CHECK(row.minflt == 20 && row.majflt == 1 && row.pgfault == 100);
	CHECK(!row.disagree);

	mmlens_stats_header(buf, sizeof(buf));
	nl = strchr(buf, '\n');
	CHECK(nl && !strncmp(buf, "-", 1) && strstr(buf, " faults counted by mmlens "));
	CHECK(nl && !strncmp(nl + 1, "zfill zpage  zcow  fmin  fmaj", 29));
	CHECK(strstr(buf, "  cowc  cowr ") && strstr(buf, " minflt majflt pgflt pgmaj\n"));
	/* The group line is exactly as wide as the column line. */
	CHECK(nl && strlen(nl + 1) == (size_t)(nl - buf) + 1);

	mmlens_stats_text(buf, sizeof(buf), &row);
	CHECK(!strncmp(buf, "   20     0     0     0     1", 29));
	CHECK(strstr(buf, "    3     0     0") && !strstr(buf, "differs"));
	CHECK(strstr(buf, "     20      1   100     2"));

	/* stat saw 5 fewer: a remote GUP, say. */
	b.total_lo = b.total_hi = 76;
	mmlens_stats_row(&a, &b, &row);
	CHECK(row.disagree);
	mmlens_stats_text(buf, sizeof(buf), &row);
	CHECK(strstr(buf, "  differs: mmlens 21 (1 major), stat 21 (1 major)"));

	b.has_vmstat = false;
	mmlens_stats_row(&a, &b, &row);
	obj = round_trip(mmlens_stats_row_json(77, &row));
	CHECK(json_object_get_int(key(obj, "pid")) == 77);
	CHECK(json_object_get_double(key(obj, "interval_s")) == 2.5);
	CHECK(json_object_get_int64(key(key(obj, "faults"), "anon_zero_fill")) == 20);
	CHECK(json_object_get_int64(key(key(obj, "faults"), "retry")) == 3);
	CHECK(json_object_get_int64(key(key(key(obj, "tlb"), "task_switch"), "flushes")) == 5);
	CHECK(json_object_get_int64(key(key(key(obj, "tlb"), "remote_send_ipi"), "pages")) == 8);
	CHECK(json_object_get_int64(key(obj, "tlb_gen")) == 13);
	CHECK(json_object_get_int64(key(key(obj, "proc"), "minflt")) == 20);
	CHECK(json_object_object_get_ex(obj, "vmstat", NULL) &&
	      json_object_is_type(key(obj, "vmstat"), json_type_null));
	CHECK(json_object_get_int64(key(obj, "events")) == 21);
	CHECK(json_object_get_boolean(key(obj, "disagree")));
	json_object_put(obj);
	mmlens_stats_text(buf, sizeof(buf), &row);
	CHECK(strstr(buf, "     20      1     -     -  differs"));
}

static void test_stats_inputs(void)
{
	uint64_t ms = 0, pgf = 0, pgmaj = 0;

	CHECK(mmlens_parse_interval("1", &ms) == 0 && ms == 1000);
	CHECK(mmlens_parse_interval("0.5", &ms) == 0 && ms == 500);
	CHECK(mmlens_parse_interval("2.25", &ms) == 0 && ms == 2250);
	CHECK(mmlens_parse_interval("0.0015", &ms) == 0 && ms == 1);
	CHECK(mmlens_parse_interval("86400", &ms) == 0 && ms == 86400000);
	CHECK(mmlens_parse_interval("0", &ms) == -ERANGE);
	CHECK(mmlens_parse_interval("0.0001", &ms) == -ERANGE);
	CHECK(mmlens_parse_interval("86401", &ms) == -ERANGE);
	CHECK(mmlens_parse_interval("99999999999999999999", &ms) == -ERANGE);
	CHECK(mmlens_parse_interval("", &ms) == -EINVAL);
	CHECK(mmlens_parse_interval(".5", &ms) == -EINVAL);
	CHECK(mmlens_parse_interval("1.", &ms) == -EINVAL);
	CHECK(mmlens_parse_interval("-1", &ms) == -EINVAL);
	CHECK(mmlens_parse_interval("1s", &ms) == -EINVAL);

	CHECK(mmlens_vmstat_read(fixture("vmstat", "nr_free_pages 5\npgfault 1234\n"
					 "pgmajfault 56\npgrefill 0\n"),
				 &pgf, &pgmaj) == 0);
	CHECK(pgf == 1234 && pgmaj == 56);
	CHECK(mmlens_vmstat_read(fixture("vmstat", "pgfault 1\n"), &pgf, &pgmaj) == -ENOENT);
	CHECK(mmlens_vmstat_read("/nonexistent/vmstat", &pgf, &pgmaj) == -ENOENT);
	unlink(fixture("vmstat", ""));
}

static int count_msg(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(*(int *)arg)++;
	return 0;
}

/* The event socket's setup, on the controller's own multicast group. */
static void test_live_socket(void)
{
	uint64_t overruns = 0;
	struct mmlens_live lv;
	int ret, n = 0;

	ret = mmlens_live_open(&lv, "nlctrl", "notify", 1 << 20);
	if (ret == -EPROTONOSUPPORT || ret == -EAFNOSUPPORT) {
		skip_reason = "no generic netlink here";
		return;
	}
	CHECK(ret == 0);
	if (ret)
		return;
	CHECK(lv.family == GENL_ID_CTRL && lv.group > 0 && lv.rcvbuf > 0);
	/* Nothing is queued (but a family coming or going): no waiting. */
	CHECK(mmlens_live_read(&lv, 8, count_msg, &n, &overruns) >= 0);
	CHECK(overruns == 0);
	mmlens_live_close(&lv);

	CHECK(mmlens_live_open(&lv, "nlctrl", "mmlens-nosuch", 4096) == -ENOENT);
	CHECK(lv.sock == NULL);
	CHECK(mmlens_live_open(&lv, "mmlens-nosuch", "events", 4096) == -ENOENT);
}

/* Kernel-address audit. */

/* What the audit reported: the last finding and how many there were. */
struct findings {
	int n;
	char cmd[32], field[128];
	uint64_t value;
};

static void collect(void *arg, const char *cmd, const char *field, uint64_t value)
{
	struct findings *f = arg;

	f->n++;
	snprintf(f->cmd, sizeof(f->cmd), "%s", cmd);
	snprintf(f->field, sizeof(f->field), "%s", field);
	f->value = value;
}

static struct findings audit_of(struct nl_msg *msg)
{
	struct findings f = { 0 };

	CHECK(msg);
	if (!msg)
		return f;
	CHECK(mmlens_audit_scan(nlmsg_hdr(msg), collect, &f) == (unsigned int)f.n);
	nlmsg_free(msg);
	return f;
}

static struct nl_msg *reply(uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, 0, 0, 0x20, 0, 0, cmd, MMLENS_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* A kernel pointer in the direct map, as a leak would show one. */
#define KPTR 0xffff888003a1c000ULL
/*
 * An x86 PTE marker (uffd-wp): swap type 31 in the top five bits, the
 * inverted offset 1 below them.  A hardware value, not an address.
 */
#define MARKER_ENTRY 0xfffffffffffffc00ULL

static void test_audit_reports_kernel_addresses(void)
{
	struct mmlens_pte recs[3] = {
		{ .va = 0x7f0000000000ULL, .entry = MARKER_ENTRY },
		{ .va = 0x7f0000001000ULL, .pfn = 0x1234 },
		{ .va = 0x7f0000002000ULL, .pfn = KPTR >> 12 << 12 },
	};
	struct nl_msg *msg;
	struct nlattr *nest, *inner;
	struct findings f;
	char name[32];

	/* Where an address belongs: GET_MM's physical address of the PGD. */
	msg = reply(MMLENS_CMD_GET_MM);
	CHECK(msg && !nla_put_u64(msg, MMLENS_A_MM_START_CODE, 0x555555554000ULL) &&
	      !nla_put_u64(msg, MMLENS_A_MM_PGD_PA, KPTR));
	f = audit_of(msg);
	CHECK(f.n == 1 && f.value == KPTR);
	CHECK_STR(f.cmd, "GET_MM");
	CHECK_STR(f.field, "MM_PGD_PA");

	/* In a nest, among raw entries that are left out. */
	msg = reply(MMLENS_CMD_TRANSLATE);
	CHECK(msg && !nla_put_u64(msg, MMLENS_A_WALK_VA, 0x1000));
	nest = msg ? nla_nest_start(msg, MMLENS_A_WALK_LEVEL) : NULL;
	CHECK(nest && !nla_put_u64(msg, MMLENS_A_LEVEL_ENTRY, MARKER_ENTRY) &&
	      !nla_put_u64(msg, MMLENS_A_LEVEL_TABLE_PA, KPTR + 0x1000));
	if (nest)
		nla_nest_end(msg, nest);
	f = audit_of(msg);
	CHECK(f.n == 1 && f.value == KPTR + 0x1000);
	CHECK_STR(f.field, "WALK_LEVEL.LEVEL_TABLE_PA");

	/* A struct page pointer for a frame number. */
	msg = reply(MMLENS_CMD_TRANSLATE);
	nest = msg ? nla_nest_start(msg, MMLENS_A_WALK_FRAME) : NULL;
	CHECK(nest && !nla_put_u64(msg, MMLENS_A_FRAME_PFN, 0xffffea0000008c40ULL));
	if (nest)
		nla_nest_end(msg, nest);
	f = audit_of(msg);
	CHECK(f.n == 1);
	CHECK_STR(f.field, "WALK_FRAME.FRAME_PFN");

	/* GET_PTE records, field by field. */
	msg = reply(MMLENS_CMD_GET_PTE);
	CHECK(msg && !nla_put(msg, MMLENS_A_PTE_RECORDS, sizeof(recs), recs));
	f = audit_of(msg);
	CHECK(f.n == 1 && f.value == (KPTR >> 12 << 12));
	CHECK_STR(f.field, "PTE_RECORDS[2].pfn");

	/* Two levels of nests. */
	msg = reply(MMLENS_CMD_GET_STATS);
	nest = msg ? nla_nest_start(msg, MMLENS_A_STATS_TLB) : NULL;
	inner = nest ? nla_nest_start(msg, MMLENS_A_TLB_REMOTE_SEND_IPI) : NULL;
	CHECK(inner && !nla_put_u64(msg, MMLENS_A_TLB_COUNT_PAGES, KPTR));
	if (inner) {
		nla_nest_end(msg, inner);
		nla_nest_end(msg, nest);
	}
	f = audit_of(msg);
	CHECK(f.n == 1);
	CHECK_STR(f.field, "STATS_TLB.TLB_REMOTE_SEND_IPI.TLB_COUNT_PAGES");

	/* Events: the faulting address. */
	msg = reply(MMLENS_CMD_FAULT_NTF);
	CHECK(msg && !nla_put_u64(msg, MMLENS_A_EVENT_ENTRY_AFTER, MARKER_ENTRY) &&
	      !nla_put_u64(msg, MMLENS_A_EVENT_VA, KPTR));
	f = audit_of(msg);
	CHECK(f.n == 1);
	CHECK_STR(f.cmd, "FAULT_NTF");
	CHECK_STR(f.field, "EVENT_VA");

	/* What a newer module adds is audited before it is classified. */
	msg = reply(MMLENS_CMD_MAX + 1);
	CHECK(msg && !nla_put_u64(msg, 5, KPTR));
	f = audit_of(msg);
	CHECK(f.n == 1);
	snprintf(name, sizeof(name), "command %d", MMLENS_CMD_MAX + 1);
	CHECK_STR(f.cmd, name);
	CHECK_STR(f.field, "attribute 5");
	msg = reply(MMLENS_CMD_GET_FRAME);
	CHECK(msg && !nla_put_u64(msg, MMLENS_A_FRAME_MAX + 1, KPTR));
	f = audit_of(msg);
	CHECK(f.n == 1);
	CHECK_STR(f.field, "attribute 9");

	/* The bound is 5-level paging's kernel half; user addresses of both modes are below. */
	msg = reply(MMLENS_CMD_GET_VMA);
	CHECK(msg && !nla_put_u64(msg, MMLENS_A_VMA_START, 0x00fffffffffff000ULL) &&
	      !nla_put_u64(msg, MMLENS_A_VMA_END, 0xfeffffffffffffffULL) &&
	      !nla_put_u64(msg, MMLENS_A_VMA_PGOFF, 0xff00000000000000ULL));
	f = audit_of(msg);
	CHECK(f.n == 1 && f.value == 0xff00000000000000ULL);
	CHECK_STR(f.field, "VMA_PGOFF");
}

static void test_audit_leaves_raw_entries_out(void)
{
	struct mmlens_pte rec = {
		.va = 0x7f0000000000ULL, .entry = MARKER_ENTRY, .swap_offset = 1,
		.kind = MMLENS_KIND_MARKER, .swap_type = 31,
	};
	struct nl_msg *msg;
	struct nlattr *nest;

	/* A walk that ends at a marker: every entry attribute holds it. */
	msg = reply(MMLENS_CMD_TRANSLATE);
	CHECK(msg && !nla_put_u64(msg, MMLENS_A_WALK_VA, 0x7f0000000000ULL));
	nest = msg ? nla_nest_start(msg, MMLENS_A_WALK_LEVEL) : NULL;
	CHECK(nest && !nla_put_u64(msg, MMLENS_A_LEVEL_TABLE_PA, 0x12345000) &&
	      !nla_put_u64(msg, MMLENS_A_LEVEL_ENTRY, MARKER_ENTRY) &&
	      !nla_put_u64(msg, MMLENS_A_LEVEL_FLAGS, 0));
	if (nest)
		nla_nest_end(msg, nest);
	CHECK(msg && !nla_put_u64(msg, MMLENS_A_WALK_ENTRY, MARKER_ENTRY) &&
	      !nla_put_u64(msg, MMLENS_A_WALK_SWAP_OFFSET, 1) &&
	      !nla_put_u64(msg, MMLENS_A_WALK_VMA_FLAGS, 0x8000000000100073ULL));
	CHECK(audit_of(msg).n == 0);

	msg = reply(MMLENS_CMD_GET_PTE);
	CHECK(msg && !nla_put(msg, MMLENS_A_PTE_RECORDS, sizeof(rec), &rec));
	CHECK(audit_of(msg).n == 0);

	msg = reply(MMLENS_CMD_FAULT_NTF);
	CHECK(msg && !nla_put_u64(msg, MMLENS_A_EVENT_ENTRY_BEFORE, MARKER_ENTRY) &&
	      !nla_put_u64(msg, MMLENS_A_EVENT_ENTRY_AFTER, MARKER_ENTRY));
	CHECK(audit_of(msg).n == 0);

	/* Nor does a canned reply of every kind walked by the CLI's tests. */
	CHECK(audit_of(build_walk(WALK_PRESENT)).n == 0);
	CHECK(audit_of(build_walk(WALK_SWAP)).n == 0);
	CHECK(audit_of(build_walk(WALK_HUGE)).n == 0);
	CHECK(audit_of(build_status(STATUS_OK)).n == 0);
}

static void test_audit_file(void)
{
	char path[] = "/tmp/mmlens-audit-XXXXXX", text[1024] = "";
	struct nl_msg *leak = reply(MMLENS_CMD_GET_MM), *clean = reply(MMLENS_CMD_GET_MM);
	int fd = mkstemp(path);
	ssize_t n;

	CHECK(fd >= 0 && leak && clean);
	if (fd < 0 || !leak || !clean)
		goto out;
	CHECK(!nla_put_u64(leak, MMLENS_A_MM_PGD_PA, KPTR));
	CHECK(!nla_put_u64(clean, MMLENS_A_MM_PGD_PA, 0x3a1c000));

	/* Unset: nothing is written anywhere. */
	unsetenv(MMLENS_AUDIT_ENV);
	mmlens_audit(nlmsg_hdr(leak));
	setenv(MMLENS_AUDIT_ENV, path, 1);
	mmlens_audit(nlmsg_hdr(clean));
	mmlens_audit(nlmsg_hdr(leak));
	unsetenv(MMLENS_AUDIT_ENV);

	n = read(fd, text, sizeof(text) - 1);
	CHECK(n > 0);
	text[n > 0 ? n : 0] = '\0';
	/* One line, from this process, naming where the address was. */
	CHECK(strchr(text, '\n') == text + strlen(text) - 1);
	CHECK(strstr(text, "kernel address in GET_MM MM_PGD_PA: 0xffff888003a1c000\n"));
	CHECK(strstr(text, "unit-asan[") == text);
out:
	nlmsg_free(leak);
	nlmsg_free(clean);
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "parse_u64", test_parse_u64 },
	{ "parse_pid", test_parse_pid },
	{ "status_text", test_status_text },
	{ "status_json", test_status_json },
	{ "json_hex", test_json_hex },
	{ "status_parse", test_status_parse },
	{ "extack_uncapped", test_extack_uncapped },
	{ "extack_capped", test_extack_capped },
	{ "extack_malformed", test_extack_malformed },
	{ "extack_done", test_extack_done },
	{ "nl_errno", test_nl_errno },
	{ "live_transact", test_live_transact },
	{ "live_open", test_live_open },
	{ "cmd_lookup", test_cmd_lookup },
	{ "main_usage", test_main_usage },
	{ "fmt", test_fmt },
	{ "stream_batches", test_stream_batches },
	{ "stream_partial_writes", test_stream_partial_writes },
	{ "stream_batch_sizes", test_stream_batch_sizes },
	{ "stream_errors", test_stream_errors },
	{ "stream_printf", test_stream_printf },
	{ "flag_names", test_flag_names },
	{ "kind_names", test_kind_names },
	{ "pagemap_decode", test_pagemap_decode },
	{ "maps_parse", test_maps_parse },
	{ "range_parse", test_range_parse },
	{ "smaps_and_status", test_smaps_and_status },
	{ "va_split", test_va_split },
	{ "walk_parse", test_walk_parse },
	{ "walk_explain", test_walk_explain },
	{ "walk_text", test_walk_text },
	{ "walk_json", test_walk_json },
	{ "ptes_add", test_ptes_add },
	{ "pte_rows", test_pte_rows },
	{ "merge_runs", test_merge_runs },
	{ "pte_json", test_pte_json },
	{ "pte_json_as_json_c_printed", test_pte_json_as_json_c_printed },
	{ "ptes_print_json_lines", test_ptes_print_json_lines },
	{ "ptes_print_pagemap", test_ptes_print_pagemap },
	{ "pagemap_compare", test_pagemap_compare },
	{ "check_range", test_check_range },
	{ "maps_json", test_maps_json },
	{ "info", test_info },
	{ "class_names", test_class_names },
	{ "event_parse", test_event_parse },
	{ "event_text", test_event_text },
	{ "event_json", test_event_json },
	{ "session", test_session },
	{ "session_not_followed", test_session_not_followed },
	{ "session_end", test_session_end },
	{ "stats_parse", test_stats_parse },
	{ "stats_rule", test_stats_rule },
	{ "stats_row", test_stats_row },
	{ "stats_inputs", test_stats_inputs },
	{ "live_socket", test_live_socket },
	{ "audit_reports_kernel_addresses", test_audit_reports_kernel_addresses },
	{ "audit_leaves_raw_entries_out", test_audit_leaves_raw_entries_out },
	{ "audit_file", test_audit_file },
};

int main(void)
{
	int failed = 0;
	size_t i;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		failed_checks = 0;
		skip_reason = NULL;
		tests[i].fn();
		if (failed_checks)
			failed++;
		printf("%s - %s", failed_checks ? "not ok" : "ok", tests[i].name);
		if (skip_reason && !failed_checks)
			printf(" # SKIP %s", skip_reason);
		putchar('\n');
	}
	if (fixture_dir[0]) {
		unlink(fixture("maps", ""));
		unlink(fixture("bad", ""));
		unlink(fixture("smaps", ""));
		rmdir(fixture_dir);
	}
	return failed ? 1 : 0;
}
