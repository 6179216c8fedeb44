// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the pure parts of mmlens, run by "make test" under ASan and
 * UBSan.  Prints "ok - NAME" or "not ok - NAME" per test, TAP-like, for
 * tests/run.sh to count; exits 1 if any failed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <linux/genetlink.h>
#include <netlink/genl/ctrl.h>

#include <linux/mmlens.h>

#include "output.h"
#include "mmlens.h"
#include "nl.h"
#include "status.h"
#include "util.h"

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
	return failed ? 1 : 0;
}
