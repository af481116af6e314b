// SPDX-License-Identifier: GPL-2.0-only
/*
 * Task handles: Mach's task_for_pid() for vm_msync on another process.
 *
 * vmsync makes no access decision of its own.  The caller proves its right
 * to another process's address space by opening /proc/PID/mem: that open
 * runs the kernel's own ptrace check, mm_access() with PTRACE_MODE_ATTACH,
 * and with it every LSM (Yama, SELinux, AppArmor, Landlock, ...).  The
 * caller hands the open file to VMSYNC_IOC_TASK_FROM_MEM, which takes the
 * address space the file holds.
 *
 * A handle is a close-on-exec file descriptor that pins (mmgrab) that
 * address space.  A vm_msync through the handle takes a user reference
 * (mmget_not_zero): once the process has exited or exec'd, its old address
 * space has no users left and the handle is invalid, as /proc/PID/mem is.
 */

#include <linux/anon_inodes.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/path.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "vmsync.h"

/*
 * The file operations of procfs mem files, learnt at init from a file the
 * module opened itself; NULL when that failed, and then there are no task
 * handles.  Nothing in user space can make a file with these operations
 * except by opening a real /proc/PID/mem, so comparing f_op cannot be
 * forged.
 */
static const struct file_operations *vmsync_proc_mem_fops;

/**
 * vmsync_task_init - learn what a procfs mem file looks like
 *
 * The procfs instance is the module's own, mounted here and gone before
 * this returns: a path in the caller's mount namespace could name a file
 * system the caller made up, a user namespace's own /proc mount included.
 * The open of self/mem is of the loading process's own address space,
 * which the ptrace check always allows.
 */
void vmsync_task_init(void)
{
	struct file_system_type *proc;
	struct vfsmount *mnt;
	struct file *mem;
	int ret = 0;

	proc = get_fs_type("proc");
	if (!proc) {
		ret = -ENODEV;
		goto out;
	}
	mnt = kern_mount(proc);
	if (IS_ERR(mnt)) {
		ret = PTR_ERR(mnt);
		goto out_put_fs;
	}
	mem = file_open_root_mnt(mnt, "self/mem", O_RDONLY, 0);
	if (IS_ERR(mem)) {
		ret = PTR_ERR(mem);
		goto out_unmount;
	}
	vmsync_proc_mem_fops = mem->f_op;
	fput(mem);
out_unmount:
	kern_unmount(mnt);
out_put_fs:
	/* put_filesystem() is not exported; it is this module_put(). */
	module_put(proc->owner);
out:
	if (ret)
		pr_warn("vmsync: no procfs mem file to compare with (%d): task handles are unavailable\n",
			ret);
}

/* Are task handles available (did vmsync_task_init() succeed)? */
bool vmsync_tasks_available(void)
{
	return vmsync_proc_mem_fops;
}

struct vmsync_task {
	struct mm_struct *mm;	/* mmgrab()bed: pinned, not kept alive */
};

static int vmsync_task_release(struct inode *inode, struct file *file)
{
	struct vmsync_task *t = file->private_data;

	mmdrop(t->mm);
	kfree(t);
	return 0;
}

static const struct file_operations vmsync_task_fops = {
	.owner		= THIS_MODULE,
	.release	= vmsync_task_release,
};

/**
 * vmsync_task_from_mem - make a handle from an open /proc/PID/mem
 * @mem_fd: the caller's descriptor of a procfs mem file
 *
 * Only call when vmsync_tasks_available().
 *
 * Return: the handle's file, to be installed as a descriptor; ERR_PTR of
 * -EBADF when @mem_fd is not an open descriptor, -EINVAL when it is not a
 * procfs mem file, -ESRCH when the file names no address space or one
 * whose process has exited or exec'd since, or -ENOMEM.
 */
struct file *vmsync_task_from_mem(int mem_fd)
{
	struct vmsync_task *t;
	struct mm_struct *mm;
	struct file *mem, *file;

	if (mem_fd < 0)
		return ERR_PTR(-EBADF);
	mem = fget(mem_fd);
	if (!mem)
		return ERR_PTR(-EBADF);
	if (mem->f_op != vmsync_proc_mem_fops) {
		file = ERR_PTR(-EINVAL);
		goto out_mem;
	}
	/*
	 * mem_open() left the address space here, mmgrab()bed for as long as
	 * the file is open, or NULL for a process that had none.  One with
	 * no users left is dead: refuse now rather than make a handle that
	 * can never work.
	 */
	mm = mem->private_data;
	if (!mm || !mmget_not_zero(mm)) {
		file = ERR_PTR(-ESRCH);
		goto out_mem;
	}
	mmput(mm);

	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t) {
		file = ERR_PTR(-ENOMEM);
		goto out_mem;
	}
	mmgrab(mm);
	t->mm = mm;
	file = anon_inode_getfile("[vmsync-task]", &vmsync_task_fops, t,
				  O_RDWR);
	if (IS_ERR(file))
		goto out_task;
	fput(mem);
	return file;

out_task:
	mmdrop(mm);
	kfree(t);
out_mem:
	fput(mem);
	return file;
}

/**
 * vmsync_task_mm - the address space a task handle names
 * @task: VMSYNC_TASK_SELF or a handle
 *
 * Return: the address space with a user reference (mmput() it), or NULL if
 * the handle is not one or its process has exited or exec'd.
 */
struct mm_struct *vmsync_task_mm(int task)
{
	struct mm_struct *mm = NULL;
	struct vmsync_task *t;
	struct file *file;

	if (task == VMSYNC_TASK_SELF) {
		mm = current->mm;
		if (mm)
			mmget(mm);
		return mm;
	}
	if (task < 0)
		return NULL;
	file = fget(task);
	if (!file)
		return NULL;
	if (file->f_op == &vmsync_task_fops) {
		t = file->private_data;
		if (mmget_not_zero(t->mm))
			mm = t->mm;
	}
	fput(file);
	return mm;
}
