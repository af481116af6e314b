// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vnode pager: regular files (and block devices), served through the
 * file system's own writeback.
 *
 * data_return writes the dirty pages (data-integrity writeback, so every
 * dirty page is written); synchronize answers once the write-back is queued
 * or, for VMSYNC_SYNC_STABLE, once vfs_fsync_range() has put the data on
 * stable storage.  data_request has nothing to do: the file system serves
 * the faults on its files itself.
 */

#include <linux/buffer_head.h>
#include <linux/fileattr.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/sched/signal.h>
#include <linux/writeback.h>

#include "vmsync.h"
#include "vmsync_compat.h"
#include "vmsync_trace.h"

static int vnode_data_return(struct vmsync_object *obj, struct file *file,
			     loff_t start, loff_t end, u64 *pages)
{
	struct writeback_control wbc = {
		.sync_mode = WB_SYNC_ALL,
		.nr_to_write = LONG_MAX,
		.range_start = start,
		.range_end = end,
	};
	u64 written;
	int err;

	err = filemap_fdatawrite_wbc(file->f_mapping, &wbc);
	written = LONG_MAX - wbc.nr_to_write;
	if (written)
		trace_vmsync_data_return(file->f_mapping, start, end, written);
	*pages += written;
	return err;
}

static void vnode_sync_work(struct work_struct *work)
{
	struct vmsync_sync_req *req = container_of(to_delayed_work(work),
						   struct vmsync_sync_req,
						   pager_work);
	int err;

	if (req->sync_flags & VMSYNC_SYNC_STABLE)
		err = vfs_fsync_range(req->file, req->start, req->end, 1);
	else
		err = file_check_and_advance_wb_err(req->file);
	vmsync_synchronize_completed(req, err);
}

static void vnode_synchronize(struct vmsync_sync_req *req)
{
	unsigned int delay = vmsync_test_sync_delay();

	INIT_DELAYED_WORK(&req->pager_work, vnode_sync_work);
	/*
	 * Without VMSYNC_SYNC_STABLE the write-back is queued already: answer
	 * now.  With it, the fsync runs in the caller when the caller would
	 * only wait for it next: its waits are then the file system's own, as
	 * in fsync(2), and the call saves two context switches.  Any other
	 * request goes to a work item, so that the fsyncs of a batch's files
	 * overlap and the caller's wait for them stays killable.
	 */
	if (!delay && (req->in_caller ||
		       !(req->sync_flags & VMSYNC_SYNC_STABLE))) {
		vnode_sync_work(&req->pager_work.work);
		return;
	}
	queue_delayed_work(vmsync_wq, &req->pager_work,
			   msecs_to_jiffies(delay));
}

/*
 * Discarding a dirty page without writing it must give back what the page
 * held before it was dirtied, and never bytes the caller could not read
 * otherwise.  That is decided per folio, under its lock, from what the
 * kernel shows now, never from mount options: ext4 takes them from the
 * command line, from the superblock's defaults and from its own fallbacks
 * (ext4_nonda_switch() on a nearly full file system, ext3 files without
 * extents), and a page fault that allocates a block then leaves buffers
 * that look exactly like those of a block written long ago.
 *
 * - A block device (claimed by nobody: no file system, dm or md on it):
 *   nothing is allocated, the disk holds the page's previous contents.
 * - An ext4 file (without per-inode data journaling), one buffer per folio:
 *   delayed buffers have no block yet, so the previous contents are the
 *   hole's zeros (VNODE_ZERO); an unwritten extent reads as zeros
 *   (VNODE_DROP); a written block is known to hold the file's own data only
 *   when the folio was read from it (PG_mappedtodisk, set by the read paths
 *   for fully mapped folios and cleared when the folio leaves the file) and
 *   the block is the folio's only one, so it cannot have been freed and
 *   reused while the folio stayed cached (VNODE_DROP).
 *
 * Everything else is kept (VNODE_KEEP, -EOPNOTSUPP): a block allocated by a
 * write fault with delayed allocation off holds a deleted file's data until
 * the page is written.  Buffers someone else uses (a journal head, a
 * reference, a lock) are kept too (VNODE_BUSY, -EBUSY).
 */
enum vnode_discard { VNODE_KEEP, VNODE_BUSY, VNODE_DROP, VNODE_ZERO };

static enum vnode_discard vnode_file_discard_kind(struct folio *folio)
{
	struct buffer_head *head = folio_buffers(folio), *bh;
	unsigned int n = 0, delayed = 0, unwritten = 0, written = 0;

	if (!head)
		return VNODE_KEEP;
	if (vmsync_buffers_busy(folio))
		return VNODE_BUSY;
	bh = head;
	do {
		n++;
		if (buffer_delay(bh))
			delayed++;
		else if (buffer_mapped(bh) && !buffer_new(bh) &&
			 buffer_unwritten(bh))
			unwritten++;
		else if (buffer_mapped(bh) && !buffer_new(bh))
			written++;
		bh = bh->b_this_page;
	} while (bh != head);
	if (delayed == n)
		return VNODE_ZERO;
	if (unwritten == n)
		return VNODE_DROP;
	if (n == 1 && written == 1 && folio_test_mappedtodisk(folio))
		return VNODE_DROP;
	return VNODE_KEEP;
}

/* How the object's file may lose its changes at all; 0 if it may. */
static int vnode_discard_allowed(struct file *file, struct inode *inode)
{
	struct fileattr fa = { };

	/* DAX files have no page cache whose pages could be dropped. */
	if (IS_DAX(inode))
		return -EOPNOTSUPP;
	if (S_ISBLK(inode->i_mode))
		return 0;
	/* Their pending changes are theirs to keep, as write() would be. */
	if (IS_IMMUTABLE(inode) || IS_APPEND(inode))
		return -EPERM;
	if (!vmsync_ext4_file(inode))
		return -EOPNOTSUPP;
	/* Journalled data belongs to the journal until it is checkpointed. */
	if (vfs_fileattr_get(file->f_path.dentry, &fa) ||
	    (fa.flags & FS_JOURNAL_DATA_FL))
		return -EOPNOTSUPP;
	return 0;
}

/*
 * Remove a locked dirty folio from the file without writing it, so that
 * nothing (the flusher included) can write it any more.  Unmapped first,
 * so that no new pin can be taken through a page table; a pin taken before
 * keeps it.  Returns -EBUSY if it stays.  A block device's folio is only
 * made clean and not up to date here: the next reference reads the disk,
 * and the caller removes it once unlocked.
 */
static int vnode_drop_locked(struct address_space *mapping,
			     struct folio *folio)
{
	unmap_mapping_pages(mapping, folio->index, folio_nr_pages(folio),
			    false);
	if (folio_maybe_dma_pinned(folio))
		return -EBUSY;
	if (S_ISREG(mapping->host->i_mode))
		return vmsync_error_remove_folio(mapping, folio) ? -EBUSY : 0;
	folio_invalidate(folio, 0, folio_size(folio));
	folio_cancel_dirty(folio);
	folio_clear_uptodate(folio);
	return 0;
}

/*
 * Discard the dirty pages of [start, end] without returning them.  i_rwsem
 * and invalidate_lock keep write(), page faults (which add delayed buffers),
 * truncation and changes to the inode's flags out while the pages are
 * looked at and dropped; the folio lock keeps writeback out, so a page some
 * other thread is writing back is seen clean and left to the caller's
 * clean-page drop, its data intact.  A page counted as discarded is out of
 * the page cache, or unreadable there, before its lock is dropped.
 */
static int vnode_discard_dirty(struct vmsync_object *obj, struct file *file,
			       loff_t start, loff_t end, u64 *pages)
{
	struct address_space *mapping = file->f_mapping;
	struct inode *inode = mapping->host;
	bool bdev = S_ISBLK(inode->i_mode);
	pgoff_t index = start >> PAGE_SHIFT;
	pgoff_t last = end >> PAGE_SHIFT;
	struct folio_batch fbatch;
	u64 dropped = 0, zeroed = 0;
	unsigned int i;
	int allowed;
	int ret = 0;

	if (IS_DAX(inode))
		return -EOPNOTSUPP;
	if (!mapping_tagged(mapping, PAGECACHE_TAG_DIRTY))
		return 0;
	/* inode_lock(), killably (6.1 has no inode_lock_killable()). */
	if (down_write_killable(&inode->i_rwsem))
		return -EINTR;
	filemap_invalidate_lock(mapping);
	allowed = vnode_discard_allowed(file, inode);
	folio_batch_init(&fbatch);
	while (ret != -EINTR && filemap_get_folios_tag(mapping, &index, last,
						       PAGECACHE_TAG_DIRTY,
						       &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];
			loff_t pos = folio_pos(folio);
			loff_t folio_end = pos + folio_size(folio) - 1;
			enum vnode_discard kind = VNODE_KEEP;
			int err = 0;

			if (folio_lock_killable(folio)) {
				ret = -EINTR;
				break;
			}
			if (folio->mapping != mapping ||
			    !folio_test_dirty(folio) ||
			    folio_wait_writeback_killable(folio) ||
			    !folio_test_dirty(folio)) {
				folio_unlock(folio);
				continue;
			}
			if (allowed)
				err = allowed;
			else if (pos < start || folio_end > end)
				err = -EOPNOTSUPP;
			else if (folio_test_mlocked(folio))
				err = -EBUSY;
			else if (bdev)
				kind = vmsync_bdev_held(mapping) ||
				       vmsync_buffers_busy(folio) ?
				       VNODE_BUSY : VNODE_DROP;
			else
				kind = vnode_file_discard_kind(folio);

			if (kind == VNODE_KEEP) {
				err = err ?: -EOPNOTSUPP;
			} else if (kind == VNODE_BUSY) {
				err = -EBUSY;
			} else if (kind == VNODE_ZERO) {
				/* Nobody may write through a mapping meanwhile. */
				unmap_mapping_pages(mapping, folio->index,
						    folio_nr_pages(folio), false);
				if (folio_maybe_dma_pinned(folio)) {
					err = -EBUSY;
					kind = VNODE_KEEP;
				} else {
					folio_zero_range(folio, 0,
							 folio_size(folio));
				}
			} else {
				err = vnode_drop_locked(mapping, folio);
				if (!err)
					dropped += folio_nr_pages(folio);
			}
			folio_unlock(folio);
			ret = ret ?: err;

			if (kind == VNODE_DROP && !err && bdev) {
				/* Clean and not up to date: remove it. */
				truncate_inode_pages_range(mapping, pos,
							   folio_end);
			} else if (kind == VNODE_ZERO) {
				/* This page only; the clean-page drop follows. */
				err = filemap_fdatawrite_range(mapping, pos,
							       folio_end);
				ret = ret ?: err;
				zeroed += folio_nr_pages(folio);
			}
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	filemap_invalidate_unlock(mapping);
	inode_unlock(inode);

	if (dropped || zeroed)
		trace_vmsync_discard_dirty(mapping, start, end,
					   dropped + zeroed);
	*pages += dropped;
	return ret;
}

const struct vmsync_pager_ops vmsync_vnode_pager = {
	.name		= "vnode",
	.data_return	= vnode_data_return,
	.synchronize	= vnode_synchronize,
	.discard_dirty	= vnode_discard_dirty,
};
