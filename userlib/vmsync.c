// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmsync: wrappers around the /dev/vmsync ioctls.
 */

/* secure_getenv() is a GNU extension; the rest is C11 and POSIX. */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmsync.h"

#define VMSYNC_EXPORT __attribute__((visibility("default")))

/*
 * Open once per process; -1 until then.  Not cached on failure.  The
 * device number it was opened as is kept to recognise it later.
 */
static atomic_int vmsync_devfd = -1;
static atomic_ullong vmsync_devrdev;

/*
 * Is fd still the descriptor the library opened?  The program may have
 * closed it, or dup2()ed something else over it: a descriptor that is not
 * the device must not be handed ioctls, and is not the library's to close.
 */
static int vmsync_fd_is_device(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISCHR(st.st_mode) &&
	       (unsigned long long)st.st_rdev == atomic_load(&vmsync_devrdev);
}

VMSYNC_EXPORT int vmsync_fd(void)
{
	/* Not for a set-user-ID caller: its environment is its invoker's. */
	const char *path = secure_getenv("VMSYNC_DEVICE");
	int fd = atomic_load_explicit(&vmsync_devfd, memory_order_acquire);
	struct stat st;
	int expected;

	if (fd >= 0 && vmsync_fd_is_device(fd))
		return fd;
	if (!path || !*path)
		path = VMSYNC_DEVICE_PATH;
	expected = fd;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		/* No node, or a node without a driver: the module is not loaded. */
		if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
			errno = ENODEV;
		return -1;
	}
	if (fstat(fd, &st) || !S_ISCHR(st.st_mode)) {
		close(fd);
		errno = ENODEV;
		return -1;
	}
	atomic_store(&vmsync_devrdev, (unsigned long long)st.st_rdev);
	/* Another thread may have won the race: keep its descriptor. */
	if (!atomic_compare_exchange_strong(&vmsync_devfd, &expected, fd)) {
		close(fd);
		fd = expected;
	}
	return fd;
}

VMSYNC_EXPORT const char *vmsync_strerror(int errnum)
{
	if (errnum == ENODEV)
		return "vmsync: " VMSYNC_DEVICE_PATH
		       " is not available; load the module (insmod vmsync.ko)";
	return strerror(errnum);
}

VMSYNC_EXPORT int vmsync_get_api(struct vmsync_api *api)
{
	int fd = vmsync_fd();

	if (fd < 0)
		return -1;
	memset(api, 0, sizeof(*api));
	api->api = VMSYNC_API;
	return ioctl(fd, VMSYNC_IOC_API, api) ? -1 : 0;
}

VMSYNC_EXPORT int vmsync_get_stats(struct vmsync_stats *stats)
{
	int fd = vmsync_fd();

	if (fd < 0)
		return -1;
	return ioctl(fd, VMSYNC_IOC_STATS, stats) ? -1 : 0;
}

VMSYNC_EXPORT int vmsync_cache_state(int fd, uint64_t offset, uint64_t len,
				     unsigned char *vec, size_t vec_len,
				     struct vmsync_cache_counts *counts)
{
	struct vmsync_cache_state_args args = {
		.fd = fd,
		.offset = offset,
		.len = len,
		.vec = (uintptr_t)vec,
		.vec_len = vec ? vec_len : 0,
	};
	int dev = vmsync_fd();

	if (dev < 0)
		return -1;
	if (ioctl(dev, VMSYNC_IOC_CACHE_STATE, &args))
		return -1;
	counts->nr_pages = args.nr_pages;
	counts->nr_resident = args.nr_resident;
	counts->nr_dirty = args.nr_dirty;
	counts->nr_writeback = args.nr_writeback;
	return 0;
}

/* <sys/mman.h> flags to the ABI's, which differ on a few architectures. */
static int vmsync_ms_flags(int flags, __u32 *out)
{
	const int known = MS_ASYNC | MS_INVALIDATE | MS_SYNC;

	if (flags & ~known) {
		errno = EINVAL;
		return -1;
	}
	*out = ((flags & MS_ASYNC) ? VMSYNC_MS_ASYNC : 0) |
	       ((flags & MS_INVALIDATE) ? VMSYNC_MS_INVALIDATE : 0) |
	       ((flags & MS_SYNC) ? VMSYNC_MS_SYNC : 0);
	return 0;
}

VMSYNC_EXPORT int vmsync_msync_counts(void *addr, size_t len, int flags,
				      unsigned long long *written,
				      unsigned long long *discarded)
{
	struct vmsync_msync_args args = {
		.addr = (uintptr_t)addr,
		.len = len,
	};
	int fd, ret, saved;

	if (vmsync_ms_flags(flags, &args.flags))
		return -1;
	fd = vmsync_fd();
	if (fd < 0)
		return -1;
	ret = ioctl(fd, VMSYNC_IOC_MSYNC, &args);
	saved = errno;
	if (ret == 0 || saved != EINVAL) {
		if (written)
			*written = args.pages_written;
		if (discarded)
			*discarded = args.pages_discarded;
	}
	errno = saved;
	return ret ? -1 : 0;
}

VMSYNC_EXPORT int vmsync_msync(void *addr, size_t len, int flags)
{
	return vmsync_msync_counts(addr, len, flags, NULL, NULL);
}

VMSYNC_EXPORT int vmsync_memcntl(void *addr, size_t len, int cmd, void *arg,
				 int attr, int mask)
{
	/* The flags travel in the pointer, as with Solaris memcntl(). */
	if (cmd != MC_SYNC || attr || mask || (uintptr_t)arg > INT_MAX) {
		errno = EINVAL;
		return -1;
	}
	return vmsync_msync(addr, len, (int)(uintptr_t)arg);
}

VMSYNC_EXPORT vmsync_task_t vmsync_task_self(void)
{
	return VMSYNC_TASK_SELF;
}

VMSYNC_EXPORT vmsync_kern_return_t
vmsync_vm_msync(vmsync_task_t target_task, uintptr_t address, uintptr_t size,
		unsigned int flags, struct vmsync_vm_msync_result *result)
{
	struct vmsync_vm_msync_args args = {
		.task = target_task,
		.flags = flags,
		.address = address,
		.size = size,
	};
	int fd = vmsync_fd();

	if (result)
		memset(result, 0, sizeof(*result));
	if (fd < 0 || ioctl(fd, VMSYNC_IOC_VM_MSYNC, &args)) {
		if (result)
			result->error = errno;
		return VMSYNC_KERN_FAILURE;
	}
	if (result) {
		result->error = args.error;
		result->pages_returned = args.pages_returned;
		result->pages_discarded = args.pages_discarded;
	}
	if (args.kr != VMSYNC_KERN_SUCCESS)
		errno = args.error;
	return args.kr;
}

/* A kern_return_t, and errno, for a failed open of a mem file. */
static vmsync_kern_return_t vmsync_mem_open_error(void)
{
	switch (errno) {
	case EACCES:
	case EPERM:
		errno = EPERM;
		return VMSYNC_KERN_PROTECTION_FAILURE;
	case ENOENT:
	case ESRCH:
		errno = ESRCH;
		return VMSYNC_KERN_INVALID_ARGUMENT;
	case EMFILE:
	case ENFILE:
	case ENOMEM:
		return VMSYNC_KERN_RESOURCE_SHORTAGE;
	case EINTR:
		return VMSYNC_KERN_ABORTED;
	default:
		return VMSYNC_KERN_FAILURE;
	}
}

/*
 * A handle from the mem file at path.  Opening it is the access check:
 * the kernel's own, ptrace attach's, with every LSM's; the module only
 * takes the address space the open file holds.
 */
static vmsync_kern_return_t vmsync_task_from_mem(int dev, const char *path,
						 vmsync_task_t *task)
{
	struct vmsync_task_mem_args args = { 0 };
	int ret, saved;

	args.mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (args.mem_fd < 0)
		return vmsync_mem_open_error();
	ret = ioctl(dev, VMSYNC_IOC_TASK_FROM_MEM, &args);
	saved = errno;
	close(args.mem_fd);
	if (ret) {
		errno = saved;
		return VMSYNC_KERN_FAILURE;
	}
	if (args.kr != VMSYNC_KERN_SUCCESS) {
		errno = args.error;
		return args.kr;
	}
	*task = args.task;
	return VMSYNC_KERN_SUCCESS;
}

/*
 * A process whose main thread has exited while others live has no address
 * space behind /proc/PID/mem; any live thread's mem file names it.
 */
static vmsync_kern_return_t vmsync_task_from_threads(int dev, pid_t pid,
						     vmsync_task_t *task)
{
	vmsync_kern_return_t kr = VMSYNC_KERN_INVALID_ARGUMENT;
	struct dirent *d;
	char path[64];
	int saved;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir) {
		errno = ESRCH;
		return VMSYNC_KERN_INVALID_ARGUMENT;
	}
	/* What an empty list says, since readdir() leaves errno at its end. */
	errno = ESRCH;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.20s/mem",
			 (int)pid, d->d_name);
		kr = vmsync_task_from_mem(dev, path, task);
		/* A thread that has exited meanwhile: try the next one. */
		if (kr != VMSYNC_KERN_INVALID_ARGUMENT || errno != ESRCH)
			break;
	}
	saved = errno;
	closedir(dir);
	errno = saved;
	return kr;
}

VMSYNC_EXPORT vmsync_kern_return_t vmsync_task_for_pid(pid_t pid,
						       vmsync_task_t *task)
{
	vmsync_kern_return_t kr;
	char path[64];
	int dev;

	*task = -1;
	if (pid <= 0) {
		errno = ESRCH;
		return VMSYNC_KERN_INVALID_ARGUMENT;
	}
	dev = vmsync_fd();
	if (dev < 0)
		return VMSYNC_KERN_FAILURE;
	/*
	 * One's own address space needs no check, and gets none from the
	 * kernel either; but a process that is not dumpable (it changed its
	 * credentials) may not open its own /proc/PID/mem.
	 */
	if (pid == getpid()) {
		*task = VMSYNC_TASK_SELF;
		return VMSYNC_KERN_SUCCESS;
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	kr = vmsync_task_from_mem(dev, path, task);
	if (kr == VMSYNC_KERN_INVALID_ARGUMENT && errno == ESRCH)
		kr = vmsync_task_from_threads(dev, pid, task);
	return kr;
}

/* Is fd a task handle?  Never close a descriptor that is something else. */
static int vmsync_is_task_handle(int fd)
{
	static const char name[] = "anon_inode:[vmsync-task]";
	char path[64], link[sizeof(name)];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link));
	return n == (ssize_t)sizeof(name) - 1 && !memcmp(link, name, (size_t)n);
}

VMSYNC_EXPORT vmsync_kern_return_t vmsync_task_release(vmsync_task_t task)
{
	if (task == VMSYNC_TASK_SELF)
		return VMSYNC_KERN_SUCCESS;
	if (task < 0 || !vmsync_is_task_handle(task) || close(task)) {
		errno = EBADF;
		return VMSYNC_KERN_INVALID_TASK;
	}
	return VMSYNC_KERN_SUCCESS;
}

VMSYNC_EXPORT const char *vmsync_kern_return_string(vmsync_kern_return_t kr)
{
	switch (kr) {
	case VMSYNC_KERN_SUCCESS:
		return "(os/kern) successful";
	case VMSYNC_KERN_INVALID_ADDRESS:
		return "(os/kern) invalid address";
	case VMSYNC_KERN_PROTECTION_FAILURE:
		return "(os/kern) protection failure";
	case VMSYNC_KERN_INVALID_ARGUMENT:
		return "(os/kern) invalid argument";
	case VMSYNC_KERN_FAILURE:
		return "(os/kern) failure";
	case VMSYNC_KERN_RESOURCE_SHORTAGE:
		return "(os/kern) resource shortage";
	case VMSYNC_KERN_MEMORY_ERROR:
		return "(os/kern) memory error";
	case VMSYNC_KERN_ABORTED:
		return "(os/kern) aborted";
	case VMSYNC_KERN_INVALID_TASK:
		return "(os/kern) invalid task";
	default:
		return "(os/kern) unknown error code";
	}
}
