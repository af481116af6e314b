// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmsync: wrappers around the /dev/vmsync ioctls.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmsync.h"

#define VMSYNC_EXPORT __attribute__((visibility("default")))

/* Open once per process; -1 until then.  Not cached on failure. */
static atomic_int vmsync_devfd = -1;

VMSYNC_EXPORT int vmsync_fd(void)
{
	const char *path = getenv("VMSYNC_DEVICE");
	int fd = atomic_load_explicit(&vmsync_devfd, memory_order_acquire);
	int expected = -1;

	if (fd >= 0)
		return fd;
	if (!path || !*path)
		path = VMSYNC_DEVICE_PATH;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		/* No node, or a node without a driver: the module is not loaded. */
		if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
			errno = ENODEV;
		return -1;
	}
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
