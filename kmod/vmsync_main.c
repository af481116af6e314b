// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmsync - the msync semantics Linux leaves out, through /dev/vmsync
 *
 * MS_ASYNC really starts writeback and MS_INVALIDATE really drops cached
 * pages.  Every operation acts on the caller's own address space and only
 * does what the caller could already do with fsync() and friends on files
 * it has mapped, so the device node can be world-usable.
 */

#include <linux/bits.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "vmsync.h"

#define VMSYNC_NAME		"vmsync"

#define VMSYNC_IOCTLS		(BIT_ULL(_IOC_NR(VMSYNC_IOC_API)) | \
				 BIT_ULL(_IOC_NR(VMSYNC_IOC_MSYNC)))
#define VMSYNC_FEATURES		(VMSYNC_FEATURE_MSYNC | \
				 VMSYNC_FEATURE_ASYNC_STARTS_IO | \
				 VMSYNC_FEATURE_INVALIDATE)

static int vmsync_ioctl_api(struct vmsync_api __user *uarg)
{
	struct vmsync_api api;

	if (copy_from_user(&api, uarg, sizeof(api)))
		return -EFAULT;
	if (api.api != VMSYNC_API || api.reserved0 ||
	    memchr_inv(api.reserved, 0, sizeof(api.reserved)))
		return -EINVAL;

	/* Built from zero: no stale byte reaches user space. */
	memset(&api, 0, sizeof(api));
	api.api = VMSYNC_API;
	api.version = VMSYNC_API_VERSION;
	api.features = VMSYNC_FEATURES;
	api.ioctls = VMSYNC_IOCTLS;
	api.msync_flags = VMSYNC_MS_ALL;

	if (copy_to_user(uarg, &api, sizeof(api)))
		return -EFAULT;
	return 0;
}

static int vmsync_ioctl_msync(struct vmsync_msync_args __user *uarg)
{
	struct vmsync_counts counts = {};
	struct vmsync_msync_args args;
	int ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.reserved0 || memchr_inv(args.reserved, 0, sizeof(args.reserved)))
		return -EINVAL;

	ret = vmsync_msync(current->mm, args.addr, args.len, args.flags,
			   &counts);
	/* A rejected request changes nothing, not even the out fields. */
	if (ret == -EINVAL)
		return ret;

	if (put_user(counts.written, &uarg->pages_written) ||
	    put_user(counts.discarded, &uarg->pages_discarded))
		return -EFAULT;
	return ret;
}

static long vmsync_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case VMSYNC_IOC_API:
		return vmsync_ioctl_api(argp);
	case VMSYNC_IOC_MSYNC:
		return vmsync_ioctl_msync(argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vmsync_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= vmsync_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice vmsync_misc = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= VMSYNC_NAME,
	.fops		= &vmsync_fops,
	.mode		= 0666,
};

module_misc_device(vmsync_misc);

MODULE_AUTHOR("The vmsync developers");
MODULE_DESCRIPTION("msync with working MS_ASYNC and MS_INVALIDATE");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
