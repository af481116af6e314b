/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvmsync - msync with working MS_ASYNC and MS_INVALIDATE, and Mach's
 * vm_msync
 *
 * A thin library over /dev/vmsync (vmsync.ko).  Functions follow the
 * conventions of the interfaces they reproduce: the SVR4/POSIX ones return
 * 0, or -1 with errno set; the Mach ones return a vmsync_kern_return_t
 * and, when it is not VMSYNC_KERN_SUCCESS, set errno too.
 *
 * Every name here begins with vmsync_ or VMSYNC_, but SVR4's MC_SYNC, for
 * vmsync_memcntl(), where the system has none.  Mach's own names
 * (kern_return_t, vm_msync(), ...) are in <vmsync/mach.h>, which a program
 * includes when it wants them.
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

/*
 * Mach's vm_msync and task handles, under this library's own names: the
 * Mach ones (kern_return_t, vm_task_t, vm_msync(), KERN_*, VM_SYNC_*, ...)
 * are in <vmsync/mach.h>, for programs that want them.
 */

/* A Mach kern_return_t: VMSYNC_KERN_SUCCESS or a VMSYNC_KERN_* error. */
typedef int vmsync_kern_return_t;
/* A task: VMSYNC_TASK_SELF or a descriptor from vmsync_task_for_pid(). */
typedef int vmsync_task_t;

/* What one vmsync_vm_msync() did, beyond its vmsync_kern_return_t. */
struct vmsync_vm_msync_result {
	int error;				/* first errno seen, or 0 */
	unsigned long long pages_returned;	/* to their pagers */
	unsigned long long pages_discarded;	/* from the page cache */
};

/*
 * Mach's vm_msync(target_task, address, size, flags), with *result filled
 * in (result may be NULL): synchronise the range with its memory managers
 * (SPEC section 3).  flags are VMSYNC_VM_SYNC_*.  address and size are
 * rounded outward to pages.  On failure errno is set too.  Without the
 * module: VMSYNC_KERN_FAILURE and errno ENODEV.
 */
vmsync_kern_return_t vmsync_vm_msync(vmsync_task_t target_task,
				     uintptr_t address, uintptr_t size,
				     unsigned int flags,
				     struct vmsync_vm_msync_result *result);

/* The calling process (Mach's mach_task_self()); needs no check. */
vmsync_task_t vmsync_task_self(void);

/*
 * A handle to process pid's address space (Mach's task_for_pid()), in
 * *task.  The access check is the kernel's own, made once, now, by opening
 * /proc/PID/mem (or a live thread's /proc/PID/task/TID/mem when the main
 * thread has exited): ptrace attach's, with every LSM's (Yama's
 * ptrace_scope, SELinux, AppArmor, ...).  The handle names the address
 * space the process has now, and stops working (VMSYNC_KERN_INVALID_TASK)
 * once it exits or execs.  For the caller's own pid it is
 * vmsync_task_self().  Refused: VMSYNC_KERN_PROTECTION_FAILURE, errno
 * EPERM; no such process (or no /proc): VMSYNC_KERN_INVALID_ARGUMENT, errno
 * ESRCH; a module without task handles: VMSYNC_KERN_FAILURE, errno
 * EOPNOTSUPP (ENOTTY before version 3).
 */
vmsync_kern_return_t vmsync_task_for_pid(pid_t pid, vmsync_task_t *task);

/*
 * Release a handle from vmsync_task_for_pid(); vmsync_task_self() needs
 * none.
 */
vmsync_kern_return_t vmsync_task_release(vmsync_task_t task);

/* Mach's name for a kern_return_t, as mach_error_string() gives it. */
const char *vmsync_kern_return_string(vmsync_kern_return_t kr);

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
