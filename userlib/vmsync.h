/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvmsync - msync with working MS_ASYNC and MS_INVALIDATE, and Mach's
 * vm_msync
 *
 * A thin library over /dev/vmsync (vmsync.ko).  Functions follow the
 * conventions of the interfaces they reproduce: the SVR4/POSIX ones return
 * 0, or -1 with errno set; the Mach ones return a kern_return_t and, when
 * it is not KERN_SUCCESS, set errno too.
 */
#ifndef VMSYNC_H
#define VMSYNC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/types.h>

/*
 * The ioctl ABI: uapi/linux/vmsync.h in this tree, as in the kernel's;
 * `make install` puts it at <vmsync/ioctl.h> and names it so on this line.
 */
#include <linux/vmsync.h>

#ifdef __cplusplus
extern "C" {
#endif

/* memcntl() command of SVR4/Solaris <sys/mman.h> that vmsync_memcntl() takes. */
#define VMSYNC_MC_SYNC	1
#ifndef MC_SYNC
#define MC_SYNC		VMSYNC_MC_SYNC
#endif

/*
 * msync(addr, len, flags) with SVR4/POSIX semantics: MS_SYNC writes and
 * waits, MS_ASYNC starts the writes, MS_INVALIDATE drops cached pages after
 * writing modified ones, flags 0 acts as MS_SYNC.  The MS_* values are
 * those of <sys/mman.h>.  Fails with ENODEV when the module is not loaded.
 */
int vmsync_msync(void *addr, size_t len, int flags);

/*
 * As vmsync_msync(), with the counts of pages written and discarded stored
 * in *written and *discarded (either may be NULL); they are set also when
 * the call fails part way, except with EINVAL.
 */
int vmsync_msync_counts(void *addr, size_t len, int flags,
			unsigned long long *written,
			unsigned long long *discarded);

/*
 * memcntl(addr, len, MC_SYNC, (void *)(intptr_t)flags, 0, 0) is
 * vmsync_msync(addr, len, flags).  Any other cmd, or non-zero attr or mask,
 * fails with EINVAL.
 */
int vmsync_memcntl(void *addr, size_t len, int cmd, void *arg, int attr,
		   int mask);

/*
 * Fill *api with what the loaded module supports (VMSYNC_IOC_API).
 */
int vmsync_get_api(struct vmsync_api *api);

/* Fill *stats with the module's counters (VMSYNC_IOC_STATS). */
int vmsync_get_stats(struct vmsync_stats *stats);

/* What vmsync_cache_state() counted. */
struct vmsync_cache_counts {
	uint64_t nr_pages;	/* pages looked at, from offset's page on */
	uint64_t nr_resident;	/* of those, in the page cache */
	uint64_t nr_dirty;	/* dirty */
	uint64_t nr_writeback;	/* under writeback */
};

/*
 * The page-cache state of file fd's pages in [offset, offset + len), len 0
 * meaning to the end (VMSYNC_IOC_CACHE_STATE): counts in *counts and, when
 * vec is not NULL, one VMSYNC_PAGE_* byte per page in vec[0..vec_len).
 * With a vector, at most vec_len pages are looked at; counts->nr_pages says
 * how many.  The caller must be able to write the file (EPERM otherwise).
 */
int vmsync_cache_state(int fd, uint64_t offset, uint64_t len,
		       unsigned char *vec, size_t vec_len,
		       struct vmsync_cache_counts *counts);

/* --- Mach ------------------------------------------------------------- */

typedef int kern_return_t;
typedef int vm_task_t;			/* VMSYNC_TASK_SELF or a descriptor */
typedef uintptr_t vm_address_t;
typedef uintptr_t vm_size_t;
typedef unsigned int vm_sync_t;

#ifndef VM_SYNC_ASYNCHRONOUS
#define VM_SYNC_ASYNCHRONOUS		VMSYNC_VM_SYNC_ASYNCHRONOUS
#define VM_SYNC_SYNCHRONOUS		VMSYNC_VM_SYNC_SYNCHRONOUS
#define VM_SYNC_INVALIDATE		VMSYNC_VM_SYNC_INVALIDATE
#endif

#ifndef KERN_SUCCESS
#define KERN_SUCCESS			VMSYNC_KERN_SUCCESS
#define KERN_INVALID_ADDRESS		VMSYNC_KERN_INVALID_ADDRESS
#define KERN_PROTECTION_FAILURE		VMSYNC_KERN_PROTECTION_FAILURE
#define KERN_INVALID_ARGUMENT		VMSYNC_KERN_INVALID_ARGUMENT
#define KERN_FAILURE			VMSYNC_KERN_FAILURE
#define KERN_RESOURCE_SHORTAGE		VMSYNC_KERN_RESOURCE_SHORTAGE
#define KERN_MEMORY_ERROR		VMSYNC_KERN_MEMORY_ERROR
#define KERN_ABORTED			VMSYNC_KERN_ABORTED
#define KERN_INVALID_TASK		VMSYNC_KERN_INVALID_TASK
#endif

/*
 * vm_msync(target_task, address, size, sync_flags): synchronise the range
 * with its memory managers (SPEC section 3).  address and size are rounded
 * outward to pages.  Without the module: KERN_FAILURE and errno ENODEV.
 */
kern_return_t vm_msync(vm_task_t target_task, vm_address_t address,
		       vm_size_t size, vm_sync_t sync_flags);

/* What one vm_msync did, beyond its kern_return_t. */
struct vmsync_vm_msync_result {
	int error;				/* first errno seen, or 0 */
	unsigned long long pages_returned;	/* to their pagers */
	unsigned long long pages_discarded;	/* from the page cache */
};

/* As vm_msync(), with *result filled in (result may be NULL). */
kern_return_t vmsync_vm_msync(vm_task_t target_task, vm_address_t address,
			      vm_size_t size, vm_sync_t sync_flags,
			      struct vmsync_vm_msync_result *result);

/* The calling process (Mach's mach_task_self()); needs no check. */
vm_task_t vm_task_self(void);

/*
 * A handle to process pid's address space (Mach's task_for_pid()), in
 * *task.  The access check is the kernel's own, made once, now, by opening
 * /proc/PID/mem (or a live thread's /proc/PID/task/TID/mem when the main
 * thread has exited): ptrace attach's, with every LSM's (Yama's
 * ptrace_scope, SELinux, AppArmor, ...).  The handle names the address
 * space the process has now, and stops working (KERN_INVALID_TASK) once it
 * exits or execs.  For the caller's own pid it is vm_task_self().
 * Refused: KERN_PROTECTION_FAILURE, errno EPERM; no such process (or no
 * /proc): KERN_INVALID_ARGUMENT, errno ESRCH; a module without task
 * handles: KERN_FAILURE, errno EOPNOTSUPP (ENOTTY before version 3).
 */
kern_return_t vm_task_for_pid(pid_t pid, vm_task_t *task);

/* Release a handle from vm_task_for_pid(); vm_task_self() needs none. */
kern_return_t vm_task_release(vm_task_t task);

/* Mach's name for a kern_return_t, as mach_error_string() gives it. */
const char *vmsync_kern_return_string(kern_return_t kr);

/*
 * The process-wide descriptor for /dev/vmsync, opened on first use with
 * O_CLOEXEC, or -1 with errno ENODEV when the module is not loaded.  The
 * environment variable VMSYNC_DEVICE names another device node, except in
 * a set-user-ID or otherwise privileged program (secure_getenv()).  If the
 * program closes the descriptor or dup2()s another file over it, the next
 * call opens the device again (the other file is left alone).
 */
int vmsync_fd(void);

/*
 * Message for an errno returned by this library: for ENODEV it says how to
 * load the module, otherwise it is strerror(errnum).
 */
const char *vmsync_strerror(int errnum);

#ifdef __cplusplus
}
#endif

#endif /* VMSYNC_H */
