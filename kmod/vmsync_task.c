// SPDX-License-Identifier: GPL-2.0-only
/*
 * Task handles: Mach's task_for_pid() for vm_msync on another process.
 *
 * A handle is a close-on-exec file descriptor that pins (mmgrab) the
 * address space its process had when the handle was made.  The access check
 * is made once, then, under the process's exec_update_lock as mm_access()
 * does, so that it sees one address space with its matching credentials.
 * A vm_msync through the handle takes a user reference (mmget_not_zero):
 * once the process has exited or exec'd, its old address space has no users
 * left and the handle is invalid, as /proc/PID/mem is.
 */

#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/rwsem.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "vmsync.h"

/*
 * Yama's policy is not visible to modules, so vmsync applies the same
 * scale itself; the default matches Yama's restricted ptrace.
 */
static unsigned int ptrace_scope = 1;
module_param(ptrace_scope, uint, 0644);
MODULE_PARM_DESC(ptrace_scope,
		 "Handles to other processes, as Yama's ptrace_scope: 0 ptrace's credential rules, 1 (default) and only to descendants, 2 only with CAP_SYS_PTRACE, 3 never");

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

/* Is the caller an ancestor of task (Yama's relation for scope 1)? */
static bool vmsync_is_ancestor(struct task_struct *task)
{
	struct task_struct *walker = task;
	bool found = false;

	rcu_read_lock();
	while (walker->pid > 0) {
		if (same_thread_group(walker, current)) {
			found = true;
			break;
		}
		walker = rcu_dereference(walker->real_parent);
	}
	rcu_read_unlock();
	return found;
}

/*
 * ptrace attach's rule (PTRACE_MODE_ATTACH_REALCREDS), from exported
 * primitives since ptrace_may_access() is not exported: the caller's real
 * uid and gid equal the target's real, effective and saved ones, or the
 * caller has CAP_SYS_PTRACE over the target's user namespace; and the
 * target is dumpable, or the caller has CAP_SYS_PTRACE over the namespace
 * of its address space.  ptrace_scope narrows it further.
 */
static bool vmsync_may_access(struct task_struct *task, struct mm_struct *mm)
{
	const struct cred *cred = current_cred(), *tcred;
	unsigned int scope = READ_ONCE(ptrace_scope);
	bool ids, cap;

	if (same_thread_group(task, current))
		return true;
	if (scope >= 3)
		return false;

	rcu_read_lock();
	tcred = __task_cred(task);
	ids = uid_eq(cred->uid, tcred->euid) &&
	      uid_eq(cred->uid, tcred->suid) &&
	      uid_eq(cred->uid, tcred->uid) &&
	      gid_eq(cred->gid, tcred->egid) &&
	      gid_eq(cred->gid, tcred->sgid) &&
	      gid_eq(cred->gid, tcred->gid);
	/* Asked only when it decides: a capability used is audited. */
	cap = (!ids || scope) && ns_capable(tcred->user_ns, CAP_SYS_PTRACE);
	rcu_read_unlock();

	if (!ids && !cap)
		return false;
	if (get_dumpable(mm) != SUID_DUMP_USER &&
	    !ns_capable(mm->user_ns, CAP_SYS_PTRACE))
		return false;
	if (scope == 1)
		return cap || vmsync_is_ancestor(task);
	if (scope == 2)
		return cap;
	return true;
}

/**
 * vmsync_task_for_pid - make a handle to a process's address space
 * @pid: a process id in the caller's pid namespace
 *
 * Return: the handle's file, to be installed as a descriptor; ERR_PTR of
 * -ESRCH for no such process (or one without an address space), -EPERM
 * when refused, -EINTR or -ENOMEM.
 */
struct file *vmsync_task_for_pid(pid_t pid)
{
	struct task_struct *task = NULL;
	struct mm_struct *mm;
	struct file *file = NULL;
	struct vmsync_task *t;
	struct pid *p;
	int ret;

	if (pid <= 0)
		return ERR_PTR(-ESRCH);
	p = find_get_pid(pid);
	if (p) {
		task = get_pid_task(p, PIDTYPE_TGID);
		put_pid(p);
	}
	if (!task)
		return ERR_PTR(-ESRCH);
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t) {
		ret = -ENOMEM;
		goto out_task;
	}

	ret = down_read_killable(&task->signal->exec_update_lock);
	if (ret)
		goto out_task;
	mm = get_task_mm(task);
	if (!mm) {
		ret = -ESRCH;
	} else if (!vmsync_may_access(task, mm)) {
		ret = -EPERM;
	} else {
		mmgrab(mm);
		t->mm = mm;
	}
	up_read(&task->signal->exec_update_lock);
	if (mm)
		mmput(mm);
out_task:
	put_task_struct(task);
	if (!ret) {
		file = anon_inode_getfile("[vmsync-task]", &vmsync_task_fops,
					  t, O_RDWR);
		if (IS_ERR(file))
			ret = PTR_ERR(file);
	}
	if (ret) {
		if (t && t->mm)
			mmdrop(t->mm);
		kfree(t);
		return ERR_PTR(ret);
	}
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
