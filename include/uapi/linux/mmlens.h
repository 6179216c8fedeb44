/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * mmlens: look at the virtual memory of a live process.
 *
 * Documentation
 * =============
 *
 * The enums and macros below are the interface of the mmlens kernel module,
 * spoken over generic netlink with family MMLENS_GENL_NAME and version
 * MMLENS_GENL_VERSION.  This header is the single source of truth for that
 * interface; include/mmlens.yaml describes the same family for the kernel's
 * ynl tool and must agree with it.
 *
 * Every command is refused with -EPERM unless the caller has CAP_SYS_ADMIN in
 * the initial user namespace (mmlens exposes physical frame numbers, which
 * /proc/PID/pagemap also hides from everybody else).  The family exists only
 * in the initial network namespace.  Every error carries an extended ack
 * message; request NETLINK_EXT_ACK to receive it.
 *
 * Each command has its own attribute set, validated strictly: unknown
 * attributes, attributes of the wrong type or length, and non-zero reserved
 * header bytes are rejected with -EINVAL.
 *
 * MMLENS_CMD_GET_STATUS
 * ---------------------
 *
 * May only be called via NLM_F_REQUEST, with no attributes.  The kernel
 * replies with one message containing:
 *
 *    MMLENS_A_STATUS_MODULE_VERSION: NLA_NUL_STRING, version of mmlens.ko
 *    MMLENS_A_STATUS_ABI_VERSION: NLA_U32, MMLENS_ABI_VERSION of the module
 *    MMLENS_A_STATUS_KERNEL_RELEASE: NLA_NUL_STRING, uname -r of the kernel
 *    MMLENS_A_STATUS_PAGING_LEVELS: NLA_U32, 4 or 5 (5 when LA57 is enabled)
 *    MMLENS_A_STATUS_PAGE_SIZE: NLA_U32, base page size in bytes
 *    MMLENS_A_STATUS_USER_VA_BITS: NLA_U32, width of the user address space
 *        (47 with 4-level paging, 56 with 5-level)
 *    MMLENS_A_STATUS_PHYS_BITS: NLA_U32, physical address width of the CPU
 *    MMLENS_A_STATUS_PTI: NLA_FLAG, present when page-table isolation is on
 *        (top-level entries then carry NX in the kernel's copy of the tables)
 *
 * A client compares MMLENS_A_STATUS_ABI_VERSION with the MMLENS_ABI_VERSION
 * it was built with; the ABI only grows by appending commands and attributes,
 * and MMLENS_ABI_VERSION changes when it does.
 */

#ifndef _UAPI_LINUX_MMLENS_H
#define _UAPI_LINUX_MMLENS_H

#define MMLENS_GENL_NAME "mmlens"
#define MMLENS_GENL_VERSION 1

#define MMLENS_ABI_VERSION 1

enum mmlens_cmd {
	MMLENS_CMD_UNSPEC,
	MMLENS_CMD_GET_STATUS,
	__MMLENS_CMD_MAX
};
#define MMLENS_CMD_MAX (__MMLENS_CMD_MAX - 1)

enum mmlens_status_attr {
	MMLENS_A_STATUS_UNSPEC,
	MMLENS_A_STATUS_MODULE_VERSION,
	MMLENS_A_STATUS_ABI_VERSION,
	MMLENS_A_STATUS_KERNEL_RELEASE,
	MMLENS_A_STATUS_PAGING_LEVELS,
	MMLENS_A_STATUS_PAGE_SIZE,
	MMLENS_A_STATUS_USER_VA_BITS,
	MMLENS_A_STATUS_PHYS_BITS,
	MMLENS_A_STATUS_PTI,
	__MMLENS_A_STATUS_MAX
};
#define MMLENS_A_STATUS_MAX (__MMLENS_A_STATUS_MAX - 1)

#endif /* _UAPI_LINUX_MMLENS_H */
