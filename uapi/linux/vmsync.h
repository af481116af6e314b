/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmsync: msync semantics Linux does not implement (MS_ASYNC that starts
 * I/O, MS_INVALIDATE that drops cached pages) and Mach's vm_msync, through
 * /dev/vmsync.
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
#define VMSYNC_API_VERSION	4

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

/* vm_msync flags: Mach/XNU values. */
#define VMSYNC_VM_SYNC_ASYNCHRONOUS	0x01
#define VMSYNC_VM_SYNC_SYNCHRONOUS	0x02
#define VMSYNC_VM_SYNC_INVALIDATE	0x04
#define VMSYNC_VM_SYNC_ALL	(VMSYNC_VM_SYNC_ASYNCHRONOUS | \
				 VMSYNC_VM_SYNC_SYNCHRONOUS | \
				 VMSYNC_VM_SYNC_INVALIDATE)

/* kern_return_t values: Mach's numbers. */
#define VMSYNC_KERN_SUCCESS		0
#define VMSYNC_KERN_INVALID_ADDRESS	1
#define VMSYNC_KERN_PROTECTION_FAILURE	2
#define VMSYNC_KERN_INVALID_ARGUMENT	4
#define VMSYNC_KERN_FAILURE		5
#define VMSYNC_KERN_RESOURCE_SHORTAGE	6
#define VMSYNC_KERN_MEMORY_ERROR	10
#define VMSYNC_KERN_ABORTED		14
#define VMSYNC_KERN_INVALID_TASK	16

/*
 * The task handle naming the caller's own address space.  Any other handle
 * is a file descriptor returned by VMSYNC_IOC_TASK_FROM_MEM.
 */
#define VMSYNC_TASK_SELF	(-10000)

/* Feature bits reported in vmsync_api.features. */
#define VMSYNC_FEATURE_MSYNC		_BITULL(0) /* VMSYNC_IOC_MSYNC */
#define VMSYNC_FEATURE_ASYNC_STARTS_IO	_BITULL(1) /* MS_ASYNC starts I/O */
#define VMSYNC_FEATURE_INVALIDATE	_BITULL(2) /* MS_INVALIDATE drops pages */
#define VMSYNC_FEATURE_VM_MSYNC		_BITULL(3) /* VMSYNC_IOC_VM_MSYNC */
#define VMSYNC_FEATURE_TASKS		_BITULL(4) /* VMSYNC_IOC_TASK_FROM_MEM */
#define VMSYNC_FEATURE_STATS		_BITULL(5) /* VMSYNC_IOC_STATS */
#define VMSYNC_FEATURE_CACHE_STATE	_BITULL(6) /* VMSYNC_IOC_CACHE_STATE */

/**
 * struct vmsync_api - VMSYNC_IOC_API: what the loaded module supports
 * @api:		in: VMSYNC_API
 * @version:		out: VMSYNC_API_VERSION of the module
 * @features:		out: VMSYNC_FEATURE_* bits
 * @ioctls:		out: bit _IOC_NR(cmd) set for each supported ioctl
 * @msync_flags:	out: flags VMSYNC_IOC_MSYNC accepts
 * @vm_sync_flags:	out: flags VMSYNC_IOC_VM_MSYNC accepts (version >= 2)
 * @release:		out: the module's release, its VERSION file's
 *			major.minor.patch as VMSYNC_RELEASE(major, minor,
 *			patch) (version >= 4; zero before)
 * @reserved0:		must be zero
 * @reserved:		must be zero
 */
struct vmsync_api {
	__u32 api;
	__u32 version;
	__u64 features;
	__u64 ioctls;
	__u32 msync_flags;
	__u32 vm_sync_flags;
	__u32 release;
	__u32 reserved0;
	__u64 reserved[3];
};

/* vmsync_api.release of a module whose VERSION is major.minor.patch. */
#define VMSYNC_RELEASE(major, minor, patch) \
	(((major) << 16) | ((minor) << 8) | (patch))
#define VMSYNC_RELEASE_MAJOR(r)	(((r) >> 16) & 0xffff)
#define VMSYNC_RELEASE_MINOR(r)	(((r) >> 8) & 0xff)
#define VMSYNC_RELEASE_PATCH(r)	((r) & 0xff)

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

/**
 * struct vmsync_vm_msync_args - VMSYNC_IOC_VM_MSYNC: Mach vm_msync()
 * @task:		in: VMSYNC_TASK_SELF or a task handle
 * @flags:		in: VMSYNC_VM_SYNC_* flags
 * @address:		in: start, rounded down to a page
 * @size:		in: length in bytes; the end is rounded up to a page
 * @kr:			out: the kern_return_t
 * @error:		out: the first errno seen (positive), or 0
 * @pages_returned:	out: pages returned to their pagers
 * @pages_discarded:	out: pages discarded from the cache
 * @reserved:		must be zero
 *
 * The ioctl fails (-1 and errno) only when the struct cannot be read or
 * written or a reserved field is not zero; every other outcome is in @kr.
 */
struct vmsync_vm_msync_args {
	__s32 task;
	__u32 flags;
	__u64 address;
	__u64 size;
	__s32 kr;
	__s32 error;
	__u64 pages_returned;
	__u64 pages_discarded;
	__u64 reserved[2];
};

/**
 * struct vmsync_task_args - VMSYNC_IOC_TASK_FOR_PID, versions 1 and 2 only:
 * a handle to another process's address space (Mach task_for_pid())
 * @pid:		in: process id, in the caller's pid namespace
 * @flags:		in: must be zero
 * @task:		out: the handle, a close-on-exec file descriptor, or -1
 * @kr:			out: the kern_return_t
 * @error:		out: errno for a failure (EPERM when refused), or 0
 * @reserved0:		must be zero
 * @reserved:		must be zero
 *
 * Retired in version 3: the module's own access check did not ask the
 * LSMs.  The ioctl now fails with ENOTTY; use VMSYNC_IOC_TASK_FROM_MEM.
 */
struct vmsync_task_args {
	__s32 pid;
	__u32 flags;
	__s32 task;
	__s32 kr;
	__s32 error;
	__u32 reserved0;
	__u64 reserved[2];
};

/**
 * struct vmsync_task_mem_args - VMSYNC_IOC_TASK_FROM_MEM: a handle to
 * another process's address space (Mach task_for_pid()), from an open
 * /proc/PID/mem (version >= 3)
 * @mem_fd:		in: a descriptor of /proc/PID/mem or
 *			/proc/PID/task/TID/mem, opened by the caller
 * @flags:		in: must be zero
 * @task:		out: the handle, a close-on-exec file descriptor, or -1
 * @kr:			out: the kern_return_t
 * @error:		out: errno for a failure, or 0
 * @reserved0:		must be zero
 * @reserved:		must be zero
 *
 * The access check is the open of the mem file: the kernel's own ptrace
 * attach check, with every LSM's say.  The module makes none of its own.
 * The handle pins the address space the file names; it keeps working
 * after @mem_fd is closed, until the process exits or execs.  Close the
 * handle to release it.
 *
 * @kr is KERN_INVALID_ARGUMENT with @error EBADF when @mem_fd is not an
 * open descriptor, EINVAL when it is not a procfs mem file, ESRCH when the
 * file names no address space or one whose process has exited or exec'd;
 * KERN_RESOURCE_SHORTAGE with ENOMEM, EMFILE or ENFILE.  The ioctl fails
 * (-1 and errno) with EINVAL for a flag or reserved field that is not
 * zero, EFAULT for a bad pointer, and EOPNOTSUPP when the module could
 * not learn at load time what a procfs mem file is (it says so in the
 * kernel log; VMSYNC_FEATURE_TASKS is then not reported).
 */
struct vmsync_task_mem_args {
	__s32 mem_fd;
	__u32 flags;
	__s32 task;
	__s32 kr;
	__s32 error;
	__u32 reserved0;
	__u64 reserved[2];
};

/**
 * struct vmsync_stats - VMSYNC_IOC_STATS: the module's counters, since load
 * @calls:		msync and vm_msync calls
 * @requests:		synchronize requests sent to pagers
 * @requests_pending:	synchronize requests not completed yet (now)
 * @pages_returned:	pages returned to pagers (data_return)
 * @pages_discarded:	pages discarded from the page cache
 * @precious_returned:	precious pages returned
 * @errors:		calls that ended with an error
 * @aborted:		calls ended by a fatal signal
 * @reserved:		zero
 */
struct vmsync_stats {
	__u64 calls;
	__u64 requests;
	__u64 requests_pending;
	__u64 pages_returned;
	__u64 pages_discarded;
	__u64 precious_returned;
	__u64 errors;
	__u64 aborted;
	__u64 reserved[8];
};

/* Per-page state bytes of VMSYNC_IOC_CACHE_STATE's vector. */
#define VMSYNC_PAGE_RESIDENT	0x1	/* in the page cache */
#define VMSYNC_PAGE_DIRTY	0x2	/* modified, not yet written */
#define VMSYNC_PAGE_WRITEBACK	0x4	/* being written */

/**
 * struct vmsync_cache_state_args - VMSYNC_IOC_CACHE_STATE: which pages of a
 * file's range are in the page cache, dirty or under writeback (version >= 4)
 * @fd:			in: an open descriptor of a regular file
 * @flags:		in: must be zero
 * @offset:		in: start, in bytes; rounded down to a page
 * @len:		in: length in bytes, the end rounded up to a page; 0
 *			means to the end of the page-cache index space
 * @vec:		in: address of @vec_len bytes that receive one
 *			VMSYNC_PAGE_* byte per page, or 0 for counts only
 * @vec_len:		in: bytes at @vec; must be 0 when @vec is 0
 * @nr_pages:		out: pages the call looked at, from @offset's page on:
 *			all of the range when @vec is 0, else the range's
 *			first @vec_len pages at most; call again from
 *			@offset + @nr_pages pages for the rest
 * @nr_resident:	out: of those, pages in the page cache
 * @nr_dirty:		out: of those, dirty pages
 * @nr_writeback:	out: of those, pages under writeback
 * @reserved:		must be zero
 *
 * The answer is what cachestat(2) gives (6.5 and later), on every kernel
 * the module supports, with its access rule: the caller must have opened
 * the file for writing, own it, or be allowed to open it for writing;
 * otherwise EPERM, since the page cache of a file others write is a side
 * channel.  Pages change state while they are counted, so the answer is a
 * snapshot, exact only for a range nobody else is touching.
 *
 * Errors: EBADF for a bad @fd, EINVAL for a file that is not regular, a
 * non-zero flag or reserved field, a vector without a length (or a length
 * without a vector) or a range past the largest page index, EOPNOTSUPP for
 * hugetlbfs, EPERM as above, EFAULT for bad addresses, EINTR when a fatal
 * signal ended the walk.  The out fields are written only on success.
 */
struct vmsync_cache_state_args {
	__s32 fd;
	__u32 flags;
	__u64 offset;
	__u64 len;
	__u64 vec;
	__u64 vec_len;
	__u64 nr_pages;
	__u64 nr_resident;
	__u64 nr_dirty;
	__u64 nr_writeback;
	__u64 reserved[3];
};

#define VMSYNC_IOC_MAGIC	0xBA

#define VMSYNC_IOC_API		_IOWR(VMSYNC_IOC_MAGIC, 0x00, struct vmsync_api)
#define VMSYNC_IOC_MSYNC	_IOWR(VMSYNC_IOC_MAGIC, 0x01, \
				      struct vmsync_msync_args)
#define VMSYNC_IOC_VM_MSYNC	_IOWR(VMSYNC_IOC_MAGIC, 0x02, \
				      struct vmsync_vm_msync_args)
/* Retired in version 3: fails with ENOTTY. */
#define VMSYNC_IOC_TASK_FOR_PID	_IOWR(VMSYNC_IOC_MAGIC, 0x03, \
				      struct vmsync_task_args)
#define VMSYNC_IOC_STATS	_IOR(VMSYNC_IOC_MAGIC, 0x04, struct vmsync_stats)
#define VMSYNC_IOC_TASK_FROM_MEM _IOWR(VMSYNC_IOC_MAGIC, 0x05, \
				       struct vmsync_task_mem_args)
#define VMSYNC_IOC_CACHE_STATE	_IOWR(VMSYNC_IOC_MAGIC, 0x06, \
				      struct vmsync_cache_state_args)

#endif /* _UAPI_LINUX_VMSYNC_H */
