/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What differs between the kernels vmsync builds for (Debian's 6.1, its
 * PREEMPT_RT flavour, 6.12 and the debug kernel), each difference once.
 * Each is found by a feature probe, not a version number -- a macro the
 * kernel defines, or a grep of its headers in Kbuild -- so that a kernel
 * with a backport gets the new interface.
 */
#ifndef VMSYNC_COMPAT_H
#define VMSYNC_COMPAT_H

#include <linux/mm.h>
#include <linux/mmap_lock.h>

/*
 * Remove a locked folio of a regular file, not under writeback, from the
 * page cache as truncation would, whether it is dirty or not; 0, or an
 * errno if the folio is not the file's (any more).
 * generic_error_remove_page() became generic_error_remove_folio() in 6.8;
 * Kbuild defines VMSYNC_HAVE_ERROR_REMOVE_FOLIO when <linux/mm.h> has it.
 */
static inline int vmsync_error_remove_folio(struct address_space *mapping,
					    struct folio *folio)
{
#ifdef VMSYNC_HAVE_ERROR_REMOVE_FOLIO
	return generic_error_remove_folio(mapping, folio);
#else
	return generic_error_remove_page(mapping, &folio->page);
#endif
}

/*
 * Another address space's addresses are untagged as that address space
 * needs: x86 LAM (6.4) has a per-mm mask, read under its mmap_lock, and
 * untagged_addr_remote() is defined with it.  Before, every mm is untagged
 * the same way.  Returns -EINTR if the lock wait was killed.
 */
static inline int vmsync_untag_remote(struct mm_struct *mm, u64 *address)
{
#ifdef untagged_addr_remote
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	*address = untagged_addr_remote(mm, *address);
	mmap_read_unlock(mm);
#else
	*address = untagged_addr(*address);
#endif
	return 0;
}

#endif /* VMSYNC_COMPAT_H */
