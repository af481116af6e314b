// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmsync: the Mach names that libvmsync.so.0 exported unprefixed until
 * 0.2.0 (vm_msync(), vm_task_self(), vm_task_for_pid(), vm_task_release()),
 * kept for the programs linked against it.
 *
 * Each is a compat symbol, name@LIBVMSYNC_0.2 with a single @: the dynamic
 * linker binds an existing program's reference to it, but the link editor
 * never binds a new program's reference to it, which is what keeps the
 * library from colliding with other Mach layers' vm_msync & co.  A new
 * program gets these names from <vmsync/mach.h>, as inline functions over
 * the vmsync_ ones.  Only the shared library has them (not libvmsync.a: a
 * static program holds the code it linked).  userlib/libvmsync.map lists
 * them, marked compat, in the node each .symver names.
 */
#include "vmsync.h"

#define VMSYNC_EXPORT __attribute__((visibility("default")))

/*
 * Global, for their versioned names to be exported, but called by no one
 * by these names: <vmsync.h> does not declare them.
 */
__asm__(".symver vmsync_compat_vm_msync, vm_msync@LIBVMSYNC_0.2");
__asm__(".symver vmsync_compat_vm_task_self, vm_task_self@LIBVMSYNC_0.2");
__asm__(".symver vmsync_compat_vm_task_for_pid, vm_task_for_pid@LIBVMSYNC_0.2");
__asm__(".symver vmsync_compat_vm_task_release, vm_task_release@LIBVMSYNC_0.2");

VMSYNC_EXPORT vmsync_kern_return_t
vmsync_compat_vm_msync(vmsync_task_t target_task, uintptr_t address,
		       uintptr_t size, unsigned int flags)
{
	return vmsync_vm_msync(target_task, address, size, flags, NULL);
}

VMSYNC_EXPORT vmsync_task_t vmsync_compat_vm_task_self(void)
{
	return vmsync_task_self();
}

VMSYNC_EXPORT vmsync_kern_return_t
vmsync_compat_vm_task_for_pid(pid_t pid, vmsync_task_t *task)
{
	return vmsync_task_for_pid(pid, task);
}

VMSYNC_EXPORT vmsync_kern_return_t
vmsync_compat_vm_task_release(vmsync_task_t task)
{
	return vmsync_task_release(task);
}
