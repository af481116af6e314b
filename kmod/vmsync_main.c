// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmsync - the msync semantics Linux leaves out, and Mach's vm_msync,
 * through /dev/vmsync
 *
 * MS_ASYNC really starts writeback and MS_INVALIDATE really drops cached
 * pages.  msync acts on the caller's own address space; vm_msync on another
 * one only through a handle made from the caller's own open of
 * /proc/PID/mem, whose access check is the kernel's ptrace check with
 * every LSM's.  Nothing does more than the caller could already do with
 * fsync() and friends on the files mapped there, so the device node can be
 * world-usable.
 */

#include <linux/bits.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "vmsync.h"

#define VMSYNC_NAME		"vmsync"

/* Always there; task handles are added when available. */
#define VMSYNC_IOCTLS		(BIT_ULL(_IOC_NR(VMSYNC_IOC_API)) | \
				 BIT_ULL(_IOC_NR(VMSYNC_IOC_MSYNC)) | \
				 BIT_ULL(_IOC_NR(VMSYNC_IOC_VM_MSYNC)) | \
				 BIT_ULL(_IOC_NR(VMSYNC_IOC_STATS)) | \
				 BIT_ULL(_IOC_NR(VMSYNC_IOC_CACHE_STATE)))
#define VMSYNC_FEATURES		(VMSYNC_FEATURE_MSYNC | \
				 VMSYNC_FEATURE_ASYNC_STARTS_IO | \
				 VMSYNC_FEATURE_INVALIDATE | \
				 VMSYNC_FEATURE_VM_MSYNC | \
				 VMSYNC_FEATURE_STATS | \
				 VMSYNC_FEATURE_CACHE_STATE)

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
	if (vmsync_tasks_available()) {
		api.features |= VMSYNC_FEATURE_TASKS;
		api.ioctls |= BIT_ULL(_IOC_NR(VMSYNC_IOC_TASK_FROM_MEM));
	}
	api.msync_flags = VMSYNC_MS_ALL;
	api.vm_sync_flags = VMSYNC_VM_SYNC_ALL;
	api.release = VMSYNC_RELEASE_CODE;

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

	if (put_user(counts.returned, &uarg->pages_written) ||
	    put_user(counts.discarded, &uarg->pages_discarded))
		return -EFAULT;
	return ret;
}

static int vmsync_ioctl_vm_msync(struct vmsync_vm_msync_args __user *uarg)
{
	struct vmsync_counts counts = {};
	struct vmsync_vm_msync_args args;
	int kr, error;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (memchr_inv(args.reserved, 0, sizeof(args.reserved)))
		return -EINVAL;

	kr = vmsync_vm_msync(args.task, args.address, args.size, args.flags,
			     &counts, &error);
	if (put_user(kr, &uarg->kr) || put_user(error, &uarg->error) ||
	    put_user(counts.returned, &uarg->pages_returned) ||
	    put_user(counts.discarded, &uarg->pages_discarded))
		return -EFAULT;
	return 0;
}

/*
 * A kern_return_t for why no handle was made.  Access was decided by the
 * open of the mem file, so no answer here is a protection failure.
 */
static int vmsync_task_kern_return(int err)
{
	switch (err) {
	case -EBADF:
	case -EINVAL:
	case -ESRCH:
		return VMSYNC_KERN_INVALID_ARGUMENT;
	default:
		return VMSYNC_KERN_RESOURCE_SHORTAGE;
	}
}

static int vmsync_ioctl_task_from_mem(struct vmsync_task_mem_args __user *uarg)
{
	struct vmsync_task_mem_args args;
	struct file *file;
	int fd, kr, error;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.reserved0 ||
	    memchr_inv(args.reserved, 0, sizeof(args.reserved)))
		return -EINVAL;
	if (!vmsync_tasks_available())
		return -EOPNOTSUPP;

	file = vmsync_task_from_mem(args.mem_fd);
	fd = IS_ERR(file) ? PTR_ERR(file) : get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		kr = vmsync_task_kern_return(fd);
		error = -fd;
		fd = -1;
	} else {
		kr = VMSYNC_KERN_SUCCESS;
		error = 0;
	}
	if (put_user(fd, &uarg->task) || put_user(kr, &uarg->kr) ||
	    put_user(error, &uarg->error)) {
		if (fd >= 0)
			put_unused_fd(fd);
		if (!IS_ERR(file))
			fput(file);
		return -EFAULT;
	}
	if (fd >= 0)
		fd_install(fd, file);
	else if (!IS_ERR(file))
		fput(file);
	return 0;
}

static int vmsync_ioctl_stats(struct vmsync_stats __user *uarg)
{
	struct vmsync_stats stats;

	vmsync_stats_read(&stats);
	return copy_to_user(uarg, &stats, sizeof(stats)) ? -EFAULT : 0;
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
	case VMSYNC_IOC_VM_MSYNC:
		return vmsync_ioctl_vm_msync(argp);
	case VMSYNC_IOC_STATS:
		return vmsync_ioctl_stats(argp);
	case VMSYNC_IOC_TASK_FROM_MEM:
		return vmsync_ioctl_task_from_mem(argp);
	case VMSYNC_IOC_CACHE_STATE:
		return vmsync_ioctl_cache_state(argp);
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

/* The counters in sysfs too: /sys/class/misc/vmsync/stats/<name>. */
struct vmsync_stat_attr {
	struct device_attribute attr;
	atomic64_t *counter;
};

static ssize_t vmsync_stat_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct vmsync_stat_attr *sa = container_of(attr, struct vmsync_stat_attr,
						   attr);

	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(sa->counter));
}

static struct vmsync_stat_attr vmsync_stat_attrs[] = {
	{ __ATTR(calls, 0444, vmsync_stat_show, NULL),
	  &vmsync_counters.calls },
	{ __ATTR(requests, 0444, vmsync_stat_show, NULL),
	  &vmsync_counters.requests },
	{ __ATTR(requests_pending, 0444, vmsync_stat_show, NULL),
	  &vmsync_counters.requests_pending },
	{ __ATTR(pages_returned, 0444, vmsync_stat_show, NULL),
	  &vmsync_counters.pages_returned },
	{ __ATTR(pages_discarded, 0444, vmsync_stat_show, NULL),
	  &vmsync_counters.pages_discarded },
	{ __ATTR(precious_returned, 0444, vmsync_stat_show, NULL),
	  &vmsync_counters.precious_returned },
	{ __ATTR(errors, 0444, vmsync_stat_show, NULL),
	  &vmsync_counters.errors },
	{ __ATTR(aborted, 0444, vmsync_stat_show, NULL),
	  &vmsync_counters.aborted },
};

static struct attribute *vmsync_stats_attrs[ARRAY_SIZE(vmsync_stat_attrs) + 1];

static const struct attribute_group vmsync_stats_group = {
	.name	= "stats",
	.attrs	= vmsync_stats_attrs,
};

static const struct attribute_group *vmsync_groups[] = {
	&vmsync_stats_group,
	NULL,
};

static struct miscdevice vmsync_misc = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= VMSYNC_NAME,
	.fops		= &vmsync_fops,
	.groups		= vmsync_groups,
	.mode		= 0666,
};

static int __init vmsync_init(void)
{
	int ret, i;

	for (i = 0; i < ARRAY_SIZE(vmsync_stat_attrs); i++)
		vmsync_stats_attrs[i] = &vmsync_stat_attrs[i].attr.attr;
	/* Without it the module still loads, without task handles. */
	vmsync_task_init();

	/*
	 * Per-CPU: a caller's request runs on the caller's CPU, in a worker
	 * that starts when the caller goes to sleep waiting for it, and wakes
	 * it there.  An unbound queue ran it on another CPU, and each call
	 * paid a cross-CPU wake-up there and back.  Requests that sleep on
	 * I/O still run side by side: the pool starts another worker.  No
	 * WQ_MEM_RECLAIM: fsync may flush file systems' work queues that have
	 * none, which a reclaim queue may not.
	 */
	vmsync_wq = alloc_workqueue(VMSYNC_NAME, 0, 0);
	if (!vmsync_wq)
		return -ENOMEM;
	vmsync_test_hooks_init();
	ret = misc_register(&vmsync_misc);
	if (ret) {
		vmsync_test_hooks_exit();
		destroy_workqueue(vmsync_wq);
	}
	return ret;
}

static void __exit vmsync_exit(void)
{
	misc_deregister(&vmsync_misc);
	vmsync_pager_drain();
	vmsync_test_hooks_exit();
	destroy_workqueue(vmsync_wq);
}

module_init(vmsync_init);
module_exit(vmsync_exit);

MODULE_AUTHOR("The vmsync developers");
MODULE_DESCRIPTION("msync with working MS_ASYNC and MS_INVALIDATE, and Mach vm_msync");
MODULE_LICENSE("GPL");
MODULE_VERSION(VMSYNC_VERSION);
