// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmsync-preload.so: msync() through vmsync.ko for programs that were
 * not written for it.
 *
 *	LD_PRELOAD=/usr/local/lib/libvmsync-preload.so program
 *
 * The program's msync() calls become vmsync_msync() calls: MS_ASYNC starts
 * the writes, MS_INVALIDATE drops the cached pages.  The library is linked
 * in, hidden; the shim exports msync() and nothing else (preload.map).
 *
 * The first call that finds no module (ENODEV: no /dev/vmsync, or a node
 * without a driver) decides for good: it and every later call of the
 * process go to the next msync() in the lookup order, libc's.  The decision
 * is one atomic flag, set once and never cleared, so that a process without
 * the module pays for one failed open() and not one per call, and a
 * process that saw the module go stays with libc when it comes back.
 * Every other error is the module's, returned with its errno.
 *
 * Nothing here allocates or takes a lock: the next msync() is looked up by
 * a constructor, at load time, not by dlsym() in a call (which may come
 * from a signal handler, or while another thread holds the loader's lock).
 * The library re-opens the device when the program closed its descriptor
 * or dup2()ed another file over it, and never calls msync() itself.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmsync.h"

typedef int (*vmsync_msync_fn)(void *addr, size_t len, int flags);

/* libc's msync(), or another shim's loaded after this one. */
static vmsync_msync_fn vmsync_next_msync;

/* Set by the first call that found no module; never cleared. */
static atomic_bool vmsync_no_module;

static void __attribute__((constructor)) vmsync_preload_init(void)
{
	vmsync_next_msync = (vmsync_msync_fn)dlsym(RTLD_NEXT, "msync");
}

/* The msync() the program would have called without the shim. */
static int vmsync_next(void *addr, size_t len, int flags)
{
	vmsync_msync_fn next = vmsync_next_msync;

	if (next)
		return next(addr, len, flags);
	/* A call from a constructor that ran before this library's. */
	return (int)syscall(SYS_msync, addr, len, flags);
}

__attribute__((visibility("default")))
int msync(void *addr, size_t len, int flags)
{
	int saved = errno;

	if (!atomic_load_explicit(&vmsync_no_module, memory_order_relaxed)) {
		if (!vmsync_msync(addr, len, flags))
			return 0;
		if (errno != ENODEV)
			return -1;
		atomic_store_explicit(&vmsync_no_module, true,
				      memory_order_relaxed);
		errno = saved;
	}
	return vmsync_next(addr, len, flags);
}
