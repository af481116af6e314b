/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvmsync - msync with working MS_ASYNC and MS_INVALIDATE
 *
 * A thin library over /dev/vmsync (vmsync.ko).  Functions follow the
 * conventions of the interfaces they reproduce: 0 on success, or -1 with
 * errno set.
 */
#ifndef VMSYNC_H
#define VMSYNC_H

#include <stddef.h>
#include <sys/mman.h>

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

/*
 * The process-wide descriptor for /dev/vmsync, opened on first use with
 * O_CLOEXEC, or -1 with errno ENODEV when the module is not loaded.  The
 * environment variable VMSYNC_DEVICE names another device node.
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
