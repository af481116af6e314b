// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vnode pager: regular files (and block devices), served through the
 * file system's own writeback.
 *
 * data_return writes the dirty pages (data-integrity writeback, so every
 * dirty page is written); synchronize answers once the write-back is queued
 * or, for VMSYNC_SYNC_STABLE, once vfs_fsync_range() has put the data on
 * stable storage, from a work item so that the caller's wait stays
 * killable.  data_request has nothing to do: the file system serves the
 * faults on its files itself.
 */

#include <linux/buffer_head.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/writeback.h>

#include "vmsync.h"
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
	if (!delay && !(req->sync_flags & VMSYNC_SYNC_STABLE)) {
		/* The write-back is queued already: answer now. */
		vnode_sync_work(&req->pager_work.work);
		return;
	}
	queue_delayed_work(vmsync_wq, &req->pager_work,
			   msecs_to_jiffies(delay));
}

/*
 * Discarding a dirty page without writing it is safe only where the disk
 * holds what the page held before it was dirtied, and the file system's
 * accounting does not depend on the page being written:
 *
 * - a block device: no allocation at all;
 * - ext4 with its defaults (delalloc, dioread_nolock, ordered data): a page
 *   dirtied over a hole has delayed buffers and no block, one over a
 *   preallocated block has unwritten buffers, and a block that is written
 *   holds the data of the page's last write-back.
 *
 * Elsewhere (ext4 with nodelalloc or dioread_lock allocates written blocks
 * at fault time, before their data reaches them; data=journal pages belong
 * to the journal; file systems without buffer heads do not say), dirty
 * pages are kept.  ext4's mount options can only be seen through its
 * show_options().
 */
static bool vnode_discard_safe(struct inode *inode)
{
	static const char * const unsafe[] = {
		"nodelalloc", "dioread_lock", "nodioread_nolock",
		"data=journal",
	};
	struct super_block *sb = inode->i_sb;
	struct seq_file m = { .size = PAGE_SIZE };
	bool safe;
	int i;

	if (S_ISBLK(inode->i_mode))
		return true;
	if (strcmp(sb->s_type->name, "ext4") || !sb->s_op->show_options)
		return false;
	m.buf = kmalloc(m.size, GFP_KERNEL);
	if (!m.buf)
		return false;
	sb->s_op->show_options(&m, sb->s_root);
	safe = !seq_has_overflowed(&m);
	m.buf[min(m.count, m.size - 1)] = '\0';
	for (i = 0; i < ARRAY_SIZE(unsafe); i++)
		if (strstr(m.buf, unsafe[i]))
			safe = false;
	kfree(m.buf);
	return safe;
}

enum vnode_discard { VNODE_KEEP, VNODE_DROP, VNODE_ZERO };

/*
 * How to discard a locked dirty folio: drop it when its blocks hold its
 * previous contents; give it the zeros of the hole it came from when it has
 * no blocks yet (delayed allocation: dropping it would strand the block
 * reservation ext4 made for it, so it is written as zeros instead and the
 * file system allocates and accounts as for any write); keep it otherwise.
 */
static enum vnode_discard vnode_discard_kind(struct folio *folio)
{
	struct buffer_head *head = folio_buffers(folio), *bh;
	unsigned int delayed = 0, other = 0;

	if (!head)
		return VNODE_KEEP;
	bh = head;
	do {
		if (buffer_delay(bh))
			delayed++;
		else
			other++;
		bh = bh->b_this_page;
	} while (bh != head);
	if (delayed && other)
		return VNODE_KEEP;
	return delayed ? VNODE_ZERO : VNODE_DROP;
}

/*
 * Discard the dirty pages of [start, end] without returning them.  i_rwsem
 * and invalidate_lock keep write() and page faults (which add delayed
 * buffers) out while the pages are looked at and dropped; the folio lock
 * keeps writeback out, so a page some other thread is writing back is seen
 * clean and left to the caller's clean-page drop, its data intact.
 */
static int vnode_discard_dirty(struct vmsync_object *obj, struct file *file,
			       loff_t start, loff_t end, u64 *pages)
{
	struct address_space *mapping = file->f_mapping;
	struct inode *inode = mapping->host;
	pgoff_t index = start >> PAGE_SHIFT;
	pgoff_t last = end >> PAGE_SHIFT;
	struct folio_batch fbatch;
	u64 dropped = 0, zeroed = 0;
	unsigned int i;
	int safe = -1;
	int ret = 0;

	if (!mapping_tagged(mapping, PAGECACHE_TAG_DIRTY))
		return 0;
	/* inode_lock(), killably (6.1 has no inode_lock_killable()). */
	if (down_write_killable(&inode->i_rwsem))
		return -EINTR;
	filemap_invalidate_lock(mapping);
	folio_batch_init(&fbatch);
	while (ret != -EINTR && filemap_get_folios_tag(mapping, &index, last,
						       PAGECACHE_TAG_DIRTY,
						       &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];
			loff_t pos = folio_pos(folio);
			loff_t folio_end = pos + folio_size(folio) - 1;
			enum vnode_discard kind = VNODE_KEEP;

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
			if (folio_maybe_dma_pinned(folio) ||
			    folio_test_mlocked(folio)) {
				folio_unlock(folio);
				ret = ret ?: -EBUSY;
				continue;
			}
			if (safe < 0)
				safe = vnode_discard_safe(inode);
			if (safe && pos >= start && folio_end <= end)
				kind = vnode_discard_kind(folio);
			if (kind == VNODE_ZERO) {
				/* Nobody may write through a mapping meanwhile. */
				unmap_mapping_pages(mapping, folio->index,
						    folio_nr_pages(folio), false);
				folio_zero_range(folio, 0, folio_size(folio));
			}
			folio_unlock(folio);

			if (kind == VNODE_KEEP) {
				ret = ret ?: -EOPNOTSUPP;
			} else if (kind == VNODE_DROP) {
				/* Unmaps it, forgets its buffers and its dirt. */
				truncate_inode_pages_range(mapping, pos,
							   folio_end);
				dropped += folio_nr_pages(folio);
			} else {
				/* This page only; the clean-page drop follows. */
				int err = filemap_fdatawrite_range(mapping, pos,
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
