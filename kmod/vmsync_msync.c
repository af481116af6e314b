// SPDX-License-Identifier: GPL-2.0-only
/*
 * The msync engine: find the shared file mappings in a range of an address
 * space, then write, wait for and invalidate the matching file ranges.
 *
 * Lock discipline follows mm/msync.c: the VMAs are looked at under
 * mmap_read_lock only long enough to note which file ranges they map, with
 * a reference on each file; all I/O and every wait happens after the lock
 * is dropped, and the walk looks the VMAs up again afterwards.
 */

#include <linux/backing-dev.h>
#include <linux/compat.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/writeback.h>

#include "vmsync.h"

/* File ranges noted per mmap_lock hold; bounds memory and lock hold time. */
#define VMSYNC_BATCH		32
/* Passes over a range whose pages keep being redirtied or pinned. */
#define VMSYNC_INVALIDATE_TRIES	4
#define VMSYNC_RETRY_DELAY_MS	20

/* The part of one shared file mapping that lies in the range. */
struct vmsync_seg {
	struct file *file;
	loff_t start;		/* first byte in the file */
	loff_t end;		/* last byte in the file, inclusive */
};

struct vmsync_walk {
	struct mm_struct *mm;
	unsigned long addr;	/* where the next batch starts */
	unsigned long end;
	u32 flags;
	bool hole;		/* part of [start, end) is not mapped */
	unsigned int nr;
	struct vmsync_seg segs[VMSYNC_BATCH];
};

/*
 * Only shared mappings of files that have a backing store to write to and
 * re-read from take part.  Private mappings keep their changes in anonymous
 * memory, whose backing store is swap; shmem, ramfs, hugetlbfs and other
 * file systems without writeback hold the only copy of their data, so there
 * is nothing to write and nothing that could be dropped; VM_IO and VM_PFNMAP
 * mappings have no page cache at all.
 */
static bool vmsync_vma_has_backing_store(struct vm_area_struct *vma)
{
	if (!vma->vm_file || !(vma->vm_flags & VM_MAYSHARE))
		return false;
	if (vma->vm_flags & (VM_IO | VM_PFNMAP))
		return false;
	return mapping_can_writeback(vma->vm_file->f_mapping);
}

static void vmsync_walk_add(struct vmsync_walk *w, struct vm_area_struct *vma,
			    unsigned long start, unsigned long end)
{
	loff_t fstart = ((loff_t)vma->vm_pgoff << PAGE_SHIFT) +
			(start - vma->vm_start);
	loff_t fend = fstart + (end - start) - 1;
	struct vmsync_seg *prev = w->nr ? &w->segs[w->nr - 1] : NULL;

	/* Pieces of one mapping split by mprotect() and the like: merge. */
	if (prev && prev->file == vma->vm_file && prev->end + 1 == fstart) {
		prev->end = fend;
		return;
	}
	w->segs[w->nr].file = get_file(vma->vm_file);
	w->segs[w->nr].start = fstart;
	w->segs[w->nr].end = fend;
	w->nr++;
}

/*
 * Note the next batch of file ranges from w->addr on.  Returns -EBUSY if
 * MS_INVALIDATE meets a locked mapping, as msync(2) does.
 */
static int vmsync_walk_next(struct vmsync_walk *w)
{
	struct vm_area_struct *vma;
	unsigned long start;
	int err = 0;

	if (mmap_read_lock_killable(w->mm))
		return -EINTR;

	vma = find_vma(w->mm, w->addr);
	for (; vma && vma->vm_start < w->end; vma = find_vma(w->mm, w->addr)) {
		if ((w->flags & VMSYNC_MS_INVALIDATE) &&
		    (vma->vm_flags & VM_LOCKED)) {
			err = -EBUSY;
			break;
		}
		if (vmsync_vma_has_backing_store(vma)) {
			if (w->nr == VMSYNC_BATCH)
				break;
			start = max(w->addr, vma->vm_start);
			vmsync_walk_add(w, vma, start, min(w->end, vma->vm_end));
		}
		if (vma->vm_start > w->addr)
			w->hole = true;
		w->addr = vma->vm_end;
		if (w->addr >= w->end)
			break;
	}
	if (!vma || vma->vm_start >= w->end) {
		if (w->addr < w->end)
			w->hole = true;
		w->addr = w->end;
	}

	mmap_read_unlock(w->mm);
	return err;
}

static void vmsync_walk_put(struct vmsync_walk *w)
{
	while (w->nr)
		fput(w->segs[--w->nr].file);
}

/* Start writeback of the dirty pages of a file range; count them. */
static int vmsync_write_range(const struct vmsync_seg *seg,
			      struct vmsync_counts *counts)
{
	struct writeback_control wbc = {
		.sync_mode = WB_SYNC_ALL,
		.nr_to_write = LONG_MAX,
		.range_start = seg->start,
		.range_end = seg->end,
	};
	int err;

	err = filemap_fdatawrite_wbc(seg->file->f_mapping, &wbc);
	counts->written += LONG_MAX - wbc.nr_to_write;
	return err;
}

/*
 * Drop every cached folio of [first, last] from the page cache, unmapping it
 * from every process.  Folios that are pinned for DMA, locked in memory by
 * some process, or redirtied after they were written cannot be dropped
 * without losing data or breaking a promise: they stay, and the result is
 * -EBUSY.  Dirty folios are never dropped: invalidate_inode_pages2_range()
 * rechecks the dirty bit after unmapping, under the mapping's lock.
 */
static int vmsync_drop_range(struct address_space *mapping, pgoff_t first,
			     pgoff_t last, struct vmsync_counts *counts)
{
	struct folio_batch fbatch;
	pgoff_t index = first;
	unsigned int i;
	int ret = 0;
	int err;

	folio_batch_init(&fbatch);
	while (filemap_get_folios(mapping, &index, last, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];
			pgoff_t from = max(folio->index, first);
			pgoff_t to = min(folio->index + folio_nr_pages(folio) - 1,
					 last);

			if (folio_maybe_dma_pinned(folio) ||
			    folio_test_mlocked(folio)) {
				ret = -EBUSY;
				continue;
			}
			/* Wait here, killably, rather than in the helper. */
			if (folio_wait_writeback_killable(folio)) {
				ret = -EINTR;
				break;
			}
			err = invalidate_inode_pages2_range(mapping, from, to);
			if (!err && !READ_ONCE(folio->mapping))
				counts->discarded += folio_nr_pages(folio);
			else if (err)
				ret = err;
		}
		folio_batch_release(&fbatch);
		if (ret == -EINTR || (ret && ret != -EBUSY))
			break;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	return ret;
}

/*
 * MS_INVALIDATE after the range was written and waited for.  A page that
 * was redirtied in between is written again and the drop retried, a bounded
 * number of times.
 */
static int vmsync_invalidate_range(const struct vmsync_seg *seg,
				   struct vmsync_counts *counts)
{
	struct address_space *mapping = seg->file->f_mapping;
	pgoff_t first = seg->start >> PAGE_SHIFT;
	pgoff_t last = seg->end >> PAGE_SHIFT;
	unsigned int tries;
	int err;

	for (tries = 1;; tries++) {
		err = vmsync_drop_range(mapping, first, last, counts);
		if (err != -EBUSY || tries == VMSYNC_INVALIDATE_TRIES)
			return err;
		if (msleep_interruptible(VMSYNC_RETRY_DELAY_MS) &&
		    fatal_signal_pending(current))
			return -EINTR;
		err = vmsync_write_range(seg, counts);
		if (!err)
			err = file_write_and_wait_range(seg->file, seg->start,
							seg->end);
		if (err)
			return err;
	}
}

/*
 * One file range.  Errors found by writeback are reported through the
 * file's errseq cursor, so each is reported once per open file, as fsync()
 * reports them.
 */
static int vmsync_sync_seg(const struct vmsync_seg *seg, u32 flags,
			   struct vmsync_counts *counts)
{
	int err, wb_err;

	err = vmsync_write_range(seg, counts);
	if (flags & VMSYNC_MS_SYNC)
		wb_err = vfs_fsync_range(seg->file, seg->start, seg->end, 1);
	else if (flags & VMSYNC_MS_INVALIDATE)
		/* A page is not dropped before its data is safe. */
		wb_err = file_write_and_wait_range(seg->file, seg->start,
						   seg->end);
	else
		wb_err = file_check_and_advance_wb_err(seg->file);
	err = err ?: wb_err;
	if (err || !(flags & VMSYNC_MS_INVALIDATE))
		return err;
	return vmsync_invalidate_range(seg, counts);
}

/*
 * MS_INVALIDATE over a locked mapping fails with -EBUSY, as in msync(2);
 * this one fails before anything is done.
 */
static int vmsync_range_locked(struct mm_struct *mm, unsigned long start,
			       unsigned long end)
{
	struct vm_area_struct *vma;
	int ret = 0;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	for (vma = find_vma(mm, start); vma && vma->vm_start < end;
	     vma = find_vma(mm, vma->vm_end)) {
		if (vma->vm_flags & VM_LOCKED) {
			ret = -EBUSY;
			break;
		}
	}
	mmap_read_unlock(mm);
	return ret;
}

/*
 * Argument checks in the order and with the codes of msync(2).  On success
 * *endp is the page-aligned end; *endp == addr means there is nothing to do.
 * Unlike msync(2), a length that wraps when rounded up is -ENOMEM too.
 * "Wraps" is in the caller's address width: a 32-bit caller's range ends
 * at 4 GiB even though the sum does not overflow in 64 bits.
 */
static int vmsync_msync_check(u64 addr, u64 len, u32 flags, u64 *endp)
{
	u64 top = in_compat_syscall() ? U32_MAX : ULONG_MAX;
	u64 end;

	if (flags & ~VMSYNC_MS_ALL)
		return -EINVAL;
	if (offset_in_page(addr))
		return -EINVAL;
	if ((flags & VMSYNC_MS_ASYNC) && (flags & VMSYNC_MS_SYNC))
		return -EINVAL;
	if (check_add_overflow(addr, len, &end) || end > top - PAGE_SIZE + 1)
		return -ENOMEM;
	*endp = PAGE_ALIGN(end);
	return 0;
}

/**
 * vmsync_msync - msync() with SVR4/POSIX semantics on @mm
 * @mm: the address space, pinned by the caller
 * @addr: start address
 * @len: length in bytes
 * @flags: VMSYNC_MS_* flags
 * @counts: pages written and discarded, added to
 *
 * Return: 0, or a negative errno as msync(2) would return it.  The mapped
 * parts of a range with holes are processed before -ENOMEM is returned.  An
 * error in one file range does not stop the others from being made safe;
 * the first error is returned.
 */
int vmsync_msync(struct mm_struct *mm, u64 addr, u64 len, u32 flags,
		 struct vmsync_counts *counts)
{
	struct vmsync_walk *w;
	unsigned int i;
	int ret, err, seg_err;
	u64 end;

	addr = untagged_addr(addr);
	ret = vmsync_msync_check(addr, len, flags, &end);
	if (ret || end == addr)
		return ret;
	/* Neither MS_SYNC nor MS_ASYNC: write all modified pages (seed). */
	if (!(flags & (VMSYNC_MS_ASYNC | VMSYNC_MS_SYNC)))
		flags |= VMSYNC_MS_SYNC;
	if (flags & VMSYNC_MS_INVALIDATE) {
		ret = vmsync_range_locked(mm, addr, end);
		if (ret)
			return ret;
	}

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	w->mm = mm;
	w->addr = addr;
	w->end = end;
	w->flags = flags;

	while (w->addr < w->end) {
		/* A mapping locked since the check ends the walk: -EBUSY. */
		err = vmsync_walk_next(w);
		for (i = 0; i < w->nr; i++) {
			if (fatal_signal_pending(current)) {
				err = -EINTR;
				break;
			}
			/* Not "ret ?: f()": every range is synced. */
			seg_err = vmsync_sync_seg(&w->segs[i], flags, counts);
			ret = ret ?: seg_err;
		}
		vmsync_walk_put(w);
		ret = ret ?: err;
		if (err)
			break;
	}
	if (!ret && w->hole)
		ret = -ENOMEM;
	kfree(w);
	return ret;
}
