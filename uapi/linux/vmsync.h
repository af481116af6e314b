/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmsync: msync semantics Linux does not implement (MS_ASYNC that starts
 * I/O, MS_INVALIDATE that drops cached pages) through /dev/vmsync.
 *
 * This header is the ABI between vmsync.ko and user space.  Every struct is
 * made of fixed-width fields with no implicit padding, so 32-bit and 64-bit
 * callers share one layout.  Fields marked "in" are read by the module;
 * "out" fields are written by it and ignored on input; reserved fields must
 * be zero on input and are zero on output.
 */

#ifndef _UAPI_LINUX_VMSYNC_H
#define _UAPI_LINUX_VMSYNC_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define VMSYNC_DEVICE_PATH	"/dev/vmsync"

/* Value of vmsync_api.api: the only interface this header describes. */
#define VMSYNC_API		0xB5A1
/* ABI revision: grows when ioctls, flags or features are added. */
#define VMSYNC_API_VERSION	1

/*
 * msync flags.  The values are those of Linux's <sys/mman.h> on most
 * architectures; they are spelled out here so that the ABI does not depend
 * on the architecture's MS_* numbering.
 */
#define VMSYNC_MS_ASYNC		0x1
#define VMSYNC_MS_INVALIDATE	0x2
#define VMSYNC_MS_SYNC		0x4
#define VMSYNC_MS_ALL		(VMSYNC_MS_ASYNC | VMSYNC_MS_INVALIDATE | \
				 VMSYNC_MS_SYNC)

/* Feature bits reported in vmsync_api.features. */
#define VMSYNC_FEATURE_MSYNC		_BITULL(0) /* VMSYNC_IOC_MSYNC */
#define VMSYNC_FEATURE_ASYNC_STARTS_IO	_BITULL(1) /* MS_ASYNC starts I/O */
#define VMSYNC_FEATURE_INVALIDATE	_BITULL(2) /* MS_INVALIDATE drops pages */

/**
 * struct vmsync_api - VMSYNC_IOC_API: what the loaded module supports
 * @api:		in: VMSYNC_API
 * @version:		out: VMSYNC_API_VERSION of the module
 * @features:		out: VMSYNC_FEATURE_* bits
 * @ioctls:		out: bit _IOC_NR(cmd) set for each supported ioctl
 * @msync_flags:	out: flags VMSYNC_IOC_MSYNC accepts
 * @reserved0:		must be zero
 * @reserved:		must be zero
 */
struct vmsync_api {
	__u32 api;
	__u32 version;
	__u64 features;
	__u64 ioctls;
	__u32 msync_flags;
	__u32 reserved0;
	__u64 reserved[4];
};

/**
 * struct vmsync_msync_args - VMSYNC_IOC_MSYNC: msync() of the caller's
 * address space with SVR4/POSIX semantics
 * @addr:		in: start address, page-aligned
 * @len:		in: length in bytes, rounded up to whole pages
 * @flags:		in: VMSYNC_MS_* flags
 * @reserved0:		must be zero
 * @pages_written:	out: pages handed to the file system's writeback
 * @pages_discarded:	out: pages dropped from the page cache
 * @reserved:		must be zero
 *
 * The ioctl returns 0 or -1 with errno set exactly as msync(2) would (see
 * SPEC section 2); the out fields are written whenever the arguments were
 * valid, also when the call fails part way (ENOMEM for a hole, EIO, ...).
 */
struct vmsync_msync_args {
	__u64 addr;
	__u64 len;
	__u32 flags;
	__u32 reserved0;
	__u64 pages_written;
	__u64 pages_discarded;
	__u64 reserved[2];
};

#define VMSYNC_IOC_MAGIC	0xBA

#define VMSYNC_IOC_API		_IOWR(VMSYNC_IOC_MAGIC, 0x00, struct vmsync_api)
#define VMSYNC_IOC_MSYNC	_IOWR(VMSYNC_IOC_MAGIC, 0x01, \
				      struct vmsync_msync_args)

#endif /* _UAPI_LINUX_VMSYNC_H */
