/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <vmsync/mach.h> - Mach's names for libvmsync's vm_msync and task handles
 *
 * kern_return_t, vm_task_t, vm_address_t, vm_size_t, vm_sync_t, KERN_*,
 * VM_SYNC_*, vm_msync(), vm_task_self(), vm_task_for_pid() and
 * vm_task_release(), over the vmsync_ names of <vmsync.h>.
 *
 * Opt-in, and so a header of its own: these names are those of every
 * other Mach layer too (GNU Mach and the Hurd's <mach.h>, where a task is
 * a mach_port_t; XNU's headers; a porter's own shims).  A program that has
 * one of them, or none, includes <vmsync.h> and uses the vmsync_ names;
 * one that wants Mach's spelling includes this header instead.  The macros
 * give way to definitions already made; the functions are static inline,
 * so a program that includes this header references only vmsync_ symbols
 * of the library, and the library exports no unprefixed name to new
 * programs (libvmsync.so.0 still has vm_msync & co. of 0.2.0, as compat
 * symbols, for the programs linked against those).
 */
#ifndef VMSYNC_MACH_H
#define VMSYNC_MACH_H

#include <vmsync.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef vmsync_kern_return_t kern_return_t;
typedef vmsync_task_t vm_task_t;	/* VMSYNC_TASK_SELF or a descriptor */
typedef uintptr_t vm_address_t;
typedef uintptr_t vm_size_t;
typedef unsigned int vm_sync_t;

#ifndef VM_SYNC_ASYNCHRONOUS
#define VM_SYNC_ASYNCHRONOUS		VMSYNC_VM_SYNC_ASYNCHRONOUS
#define VM_SYNC_SYNCHRONOUS		VMSYNC_VM_SYNC_SYNCHRONOUS
#define VM_SYNC_INVALIDATE		VMSYNC_VM_SYNC_INVALIDATE
#endif

#ifndef KERN_SUCCESS
#define KERN_SUCCESS			VMSYNC_KERN_SUCCESS
#define KERN_INVALID_ADDRESS		VMSYNC_KERN_INVALID_ADDRESS
#define KERN_PROTECTION_FAILURE		VMSYNC_KERN_PROTECTION_FAILURE
#define KERN_INVALID_ARGUMENT		VMSYNC_KERN_INVALID_ARGUMENT
#define KERN_FAILURE			VMSYNC_KERN_FAILURE
#define KERN_RESOURCE_SHORTAGE		VMSYNC_KERN_RESOURCE_SHORTAGE
#define KERN_MEMORY_ERROR		VMSYNC_KERN_MEMORY_ERROR
#define KERN_ABORTED			VMSYNC_KERN_ABORTED
#define KERN_INVALID_TASK		VMSYNC_KERN_INVALID_TASK
#endif

/*
 * vm_msync(target_task, address, size, sync_flags): vmsync_vm_msync()
 * without its result.  Without the module: KERN_FAILURE and errno ENODEV.
 */
static inline kern_return_t vm_msync(vm_task_t target_task,
				     vm_address_t address, vm_size_t size,
				     vm_sync_t sync_flags)
{
	return vmsync_vm_msync(target_task, address, size, sync_flags, NULL);
}

/* The calling process (Mach's mach_task_self()): vmsync_task_self(). */
static inline vm_task_t vm_task_self(void)
{
	return vmsync_task_self();
}

/* Mach's task_for_pid(): vmsync_task_for_pid(). */
static inline kern_return_t vm_task_for_pid(pid_t pid, vm_task_t *task)
{
	return vmsync_task_for_pid(pid, task);
}

/* Release a handle from vm_task_for_pid(): vmsync_task_release(). */
static inline kern_return_t vm_task_release(vm_task_t task)
{
	return vmsync_task_release(task);
}

#ifdef __cplusplus
}
#endif

#endif /* VMSYNC_MACH_H */
