// SPDX-License-Identifier: GPL-2.0-only
/*
 * Page-cache operations on a memory object's pages: wait for their writes,
 * drop them.  What a pager must do for dirty pages is in the pager.
 */

#include <linux/blkdev.h>
#include <linux/buffer_head.h>
#include <linux/fadvise.h>
#include <linux/fs.h>
#include <linux/jbd2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/sched/signal.h>
#include <linux/string.h>

#include "vmsync.h"
#include "vmsync_compat.h"
#include "vmsync_trace.h"

/**
 * vmsync_wait_written - wait, killably, for the writes of a file range
 * @file: the file whose error cursor reports the result
 * @start: first byte
 * @end: last byte
 *
 * Return: 0, -EINTR, or the write error not yet reported on @file.
 */
int vmsync_wait_written(struct file *file, loff_t start, loff_t end)
{
	struct folio_batch fbatch;
	pgoff_t index = start >> PAGE_SHIFT;
	pgoff_t last = end >> PAGE_SHIFT;
	unsigned int i;
	int ret = 0;

	folio_batch_init(&fbatch);
	while (!ret && filemap_get_folios_tag(file->f_mapping, &index, last,
					      PAGECACHE_TAG_WRITEBACK,
					      &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			if (folio_wait_writeback_killable(fbatch.folios[i])) {
				ret = -EINTR;
				break;
			}
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	return ret ?: file_check_and_advance_wb_err(file);
}

/**
 * vmsync_bdev_held - is @mapping a block device's page cache that someone
 * has claimed (a mounted file system, dm, md)?
 * @mapping: the page cache
 *
 * The holder keeps its own state in those pages (buffers, journal heads)
 * and writes them when it likes; dropping them under it corrupts it.
 */
bool vmsync_bdev_held(struct address_space *mapping)
{
	struct inode *inode = mapping->host;

	return S_ISBLK(inode->i_mode) && READ_ONCE(I_BDEV(inode)->bd_holder);
}

/**
 * vmsync_ext4_file - is @inode a regular file of ext4?
 * @inode: the inode
 *
 * What the module does to a file's buffers below the page cache (marking a
 * failed write's blocks unwritten, discarding a delayed block) follows the
 * rules of ext4, which it has been checked against; on any other file
 * system it does none of it.
 */
bool vmsync_ext4_file(const struct inode *inode)
{
	return S_ISREG(inode->i_mode) &&
	       !strcmp(inode->i_sb->s_type->name, "ext4");
}

/**
 * vmsync_could_write - could the caller write @file's data itself?
 * @file: a file the caller has, through a descriptor or a mapping
 *
 * As its owner, or because it may open it for writing: then nothing the
 * module does to the file's page cache (dropping its pages, telling which
 * are dirty) goes beyond what the caller's own write() could do or learn.
 * The other ways a caller may write the file, a descriptor opened for
 * writing and a shared writable mapping, are for the callers to check.
 */
bool vmsync_could_write(struct file *file)
{
	return file_owner_or_capable(file) ||
	       file_permission(file, MAY_WRITE) == 0;
}

/**
 * vmsync_buffers_busy - does anyone use the buffers of a locked folio?
 * @folio: the folio
 *
 * A journal head, a reference or a lock says that a journal or a file
 * system still works with the buffer: its folio is not ours to drop.
 */
bool vmsync_buffers_busy(struct folio *folio)
{
	struct buffer_head *head = folio_buffers(folio), *bh;

	if (!head)
		return false;
	bh = head;
	do {
		if (buffer_jbd(bh) || atomic_read(&bh->b_count) ||
		    buffer_locked(bh))
			return true;
		bh = bh->b_this_page;
	} while (bh != head);
	return false;
}

/*
 * Drop one clean folio, locked, not under writeback and already unmapped
 * from every process.  Pins are checked after unmapping: no new pin can
 * then be taken through a page table, and a fault needs the folio lock.  A
 * regular file's folio is removed under the lock.  Returns 1 if dropped, 0
 * if it can be left to invalidate_inode_pages2_range() once unlocked (block
 * devices), or an errno.
 */
static int vmsync_drop_folio(struct address_space *mapping,
			     struct folio *folio, bool keep_dirty)
{
	/* Unmapping moves the dirty bits of the page tables to the folio. */
	if (folio_test_dirty(folio))
		return keep_dirty ? -EAGAIN : -EBUSY;
	if (folio_maybe_dma_pinned(folio) || vmsync_buffers_busy(folio))
		return -EBUSY;
	if (!S_ISREG(mapping->host->i_mode))
		return 0;
	if (!filemap_release_folio(folio, GFP_KERNEL))
		return -EBUSY;
	return vmsync_error_remove_folio(mapping, folio) ? -EBUSY : 1;
}

/*
 * May @folio, the one after a run of locked folios ending before @next,
 * join the run?  It is locked only if that needs no wait, since the run's
 * locks are held: a folio that is locked by someone else, under writeback
 * or mlocked starts a run of its own instead.  mlock is checked before the
 * run is unmapped, as unmapping would undo it.
 */
static bool vmsync_join_run(struct address_space *mapping,
			    struct folio *folio, pgoff_t next, bool keep_dirty)
{
	if (folio->index != next || (keep_dirty && folio_test_dirty(folio)) ||
	    !folio_trylock(folio))
		return false;
	if (folio->mapping == mapping && !folio_test_writeback(folio) &&
	    !folio_test_mlocked(folio))
		return true;
	folio_unlock(folio);
	return false;
}

/*
 * Unmap a run of locked folios, adjacent in the file, at once; then drop
 * each and unlock it.  Returns the pages dropped; errors go to *ret as
 * vmsync_drop_clean() reports them.
 */
static u64 vmsync_drop_run(struct address_space *mapping,
			   struct folio **folios, unsigned int nr,
			   pgoff_t first, pgoff_t last, bool keep_dirty,
			   int *ret)
{
	pgoff_t index = folios[0]->index;
	pgoff_t next = folio_next_index(folios[nr - 1]);
	u64 dropped = 0;
	unsigned int k;
	int err;

	unmap_mapping_pages(mapping, index, next - index, false);
	for (k = 0; k < nr; k++) {
		struct folio *folio = folios[k];
		pgoff_t from = max(folio->index, first);
		pgoff_t to = min(folio_next_index(folio) - 1, last);

		err = vmsync_drop_folio(mapping, folio, keep_dirty);
		folio_unlock(folio);
		if (err == 1) {
			dropped += folio_nr_pages(folio);
			continue;
		}
		if (err == -EAGAIN)
			continue;
		if (err) {
			*ret = *ret ?: err;
			continue;
		}
		err = invalidate_inode_pages2_range(mapping, from, to);
		if (!err && !READ_ONCE(folio->mapping))
			dropped += folio_nr_pages(folio);
		else if (err && !(keep_dirty && folio_test_dirty(folio)))
			*ret = err;
	}
	return dropped;
}

/**
 * vmsync_drop_clean - drop the cached pages of a range, unmapping them from
 * every process
 * @mapping: the page cache
 * @start: first byte
 * @end: last byte
 * @keep_dirty: dirty pages stay without complaint (they are not ours to
 *	drop); otherwise a dirty page makes the result -EBUSY
 * @discarded: pages dropped, added to
 *
 * A page is never dropped with data that is not on its backing store: the
 * dirty bit is checked after unmapping, under the folio lock.  Pages pinned
 * for DMA, locked in memory by some process, with buffers in use, or of a
 * block device someone has claimed stay, and make the result -EBUSY.
 *
 * Return: 0, -EBUSY, -EINTR, or an error from the file system.
 */
int vmsync_drop_clean(struct address_space *mapping, loff_t start,
		      loff_t end, bool keep_dirty, u64 *discarded)
{
	pgoff_t first = start >> PAGE_SHIFT;
	pgoff_t last = end >> PAGE_SHIFT;
	struct folio_batch fbatch;
	pgoff_t index = first;
	unsigned int i, j, n;
	u64 dropped = 0;
	pgoff_t next;
	int ret = 0;

	folio_batch_init(&fbatch);
	while (filemap_get_folios(mapping, &index, last, &fbatch)) {
		n = folio_batch_count(&fbatch);
		for (i = 0; i < n; i = j) {
			struct folio *folio = fbatch.folios[i];

			j = i + 1;
			if (keep_dirty && folio_test_dirty(folio))
				continue;
			if (vmsync_bdev_held(mapping)) {
				ret = -EBUSY;
				continue;
			}
			if (folio_lock_killable(folio)) {
				ret = -EINTR;
				break;
			}
			if (folio->mapping != mapping) {
				folio_unlock(folio);
				continue;
			}
			/* Wait here, killably, rather than in the helpers. */
			if (folio_wait_writeback_killable(folio)) {
				folio_unlock(folio);
				ret = -EINTR;
				break;
			}
			if (folio_test_mlocked(folio)) {
				folio_unlock(folio);
				ret = ret ?: -EBUSY;
				continue;
			}
			/*
			 * The folios that follow join a run, unmapped at once:
			 * one walk of the file's mappings and one TLB flush per
			 * mapping for the run, rather than per folio.  Not for
			 * a block device, whose folios are invalidated after
			 * their unlock: that may wait for a folio lock, which
			 * must not happen while later folios are held.
			 */
			next = folio_next_index(folio);
			while (S_ISREG(mapping->host->i_mode) && j < n &&
			       vmsync_join_run(mapping, fbatch.folios[j], next,
					       keep_dirty)) {
				next = folio_next_index(fbatch.folios[j]);
				j++;
			}
			dropped += vmsync_drop_run(mapping, &fbatch.folios[i],
						   j - i, first, last,
						   keep_dirty, &ret);
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
	if (dropped)
		trace_vmsync_invalidate(mapping, start, end, dropped);
	*discarded += dropped;
	return ret;
}

/*
 * Did the last write of a locked, clean folio fail, and may it simply be
 * written again?  Only buffer heads remember a failed write: ext4's
 * ext4_finish_bio() and the generic end_buffer_async_write() (block
 * devices, ext2, FAT, ...) set BH_Write_EIO on every buffer the failed bio
 * covered, whatever the error (EIO, ENOSPC, ...), and Linux itself clears
 * it only when it rewrites the buffer through submit_bh() (block devices),
 * never on ext4's data path.  Hence vmsync_redirty_failed() clears it when
 * it redirties the folio: set on a clean folio, it then means "its last
 * write failed and nobody has made it dirty again".
 *
 * Every buffer must be mapped: the folio then has all its blocks, so
 * writing it again allocates nothing and needs none of the reservations a
 * file system makes at write() or page-fault time.  A buffer the journal
 * holds (data journalling) is the journal's to write.
 */
static bool vmsync_folio_write_failed(struct folio *folio)
{
	struct buffer_head *head = folio_buffers(folio), *bh;
	bool failed = false;

	if (!head)
		return false;
	bh = head;
	do {
		if (!buffer_mapped(bh) || buffer_jbd(bh))
			return false;
		failed |= buffer_write_io_error(bh);
		bh = bh->b_this_page;
	} while (bh != head);
	return failed;
}

/**
 * vmsync_redirty_failed - make the pages of a range whose write failed
 * dirty again
 * @mapping: the page cache
 * @start: first byte
 * @end: last byte
 * @pages: pages made dirty again, added to
 *
 * Linux marks a folio clean when its write fails (ext4_finish_bio(),
 * end_buffer_async_write()): the data is then only in the cache, a later
 * fsync() finds nothing to write, and the data is gone when the folio is
 * evicted.  vmsync keeps the pages of a range it synced and found a write
 * error for dirty instead, so that the next call writes them again.  Each
 * folio is marked dirty under its lock through the file system's own
 * dirty_folio, as a write fault would.  The pages of a block device someone
 * holds are the holder's (buffers, journal heads): left alone.
 *
 * ext4 writes a block that delayed allocation or fallocate() gave the
 * file into an unwritten extent, and converts the extent to written when
 * the write ends, unless it failed (ext4_end_io_end()): the block then
 * stays unwritten, reads as zeros, and its buffer says mapped and written.
 * Writing such a buffer again would put the data on the disk but leave
 * the extent unwritten, and the file would read zeros once the folio is
 * evicted.  So the buffers of an ext4 folio are marked unwritten again:
 * ext4's writeback then looks the block up (mpage_map_one_extent()), and
 * converts its extent once the new write succeeds; a block whose extent
 * is already written is simply found mapped.
 *
 * File systems without buffer heads (XFS, btrfs, NFS, ...) keep no trace of
 * which folio failed: their folios are left as Linux leaves them.
 *
 * The work is linear in the cached pages of the range; no mmap_lock is
 * held.
 *
 * Return: 0, or -EINTR after a fatal signal.
 */
int vmsync_redirty_failed(struct address_space *mapping, loff_t start,
			  loff_t end, u64 *pages)
{
	pgoff_t index = start >> PAGE_SHIFT;
	pgoff_t last = end >> PAGE_SHIFT;
	struct folio_batch fbatch;
	struct buffer_head *bh;
	unsigned int i;
	bool ext4;
	int ret = 0;

	if (vmsync_bdev_held(mapping))
		return 0;
	ext4 = vmsync_ext4_file(mapping->host);
	folio_batch_init(&fbatch);
	while (!ret && filemap_get_folios(mapping, &index, last, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			/* Unlocked first look; checked again under the lock. */
			if (folio_test_dirty(folio) ||
			    folio_test_writeback(folio) ||
			    !folio_buffers(folio))
				continue;
			if (folio_lock_killable(folio)) {
				ret = -EINTR;
				break;
			}
			if (folio->mapping == mapping &&
			    folio_test_uptodate(folio) &&
			    !folio_test_dirty(folio) &&
			    !folio_test_writeback(folio) &&
			    vmsync_folio_write_failed(folio)) {
				bh = folio_buffers(folio);
				do {
					clear_buffer_write_io_error(bh);
					if (ext4)
						set_buffer_unwritten(bh);
					bh = bh->b_this_page;
				} while (bh != folio_buffers(folio));
				folio_mark_dirty(folio);
				*pages += folio_nr_pages(folio);
			}
			folio_unlock(folio);
		}
		folio_batch_release(&fbatch);
		if (fatal_signal_pending(current))
			ret = -EINTR;
		cond_resched();
	}
	return ret;
}

/* Pages of [start, end] in the page cache. */
static u64 vmsync_cached_pages(struct address_space *mapping, loff_t start,
			       loff_t end)
{
	pgoff_t index = start >> PAGE_SHIFT;
	struct folio_batch fbatch;
	u64 pages = 0;
	unsigned int i;

	folio_batch_init(&fbatch);
	while (filemap_get_folios(mapping, &index, end >> PAGE_SHIFT,
				  &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++)
			pages += folio_nr_pages(fbatch.folios[i]);
		folio_batch_release(&fbatch);
		cond_resched();
	}
	return pages;
}

/**
 * vmsync_drop_unmapped - what posix_fadvise(POSIX_FADV_DONTNEED) drops
 * @file: the file, as the caller has it
 * @start: first byte
 * @end: last byte
 * @discarded: pages dropped, added to
 *
 * For a caller that may not drop pages others map: exactly the advice any
 * reader may give, nothing more.
 *
 * Return: 0, -EACCES when cached pages of the range stay, or an error from
 * the advice.
 */
int vmsync_drop_unmapped(struct file *file, loff_t start, loff_t end,
			 u64 *discarded)
{
	struct address_space *mapping = file->f_mapping;
	u64 before, after;
	int err;

	before = vmsync_cached_pages(mapping, start, end);
	err = vfs_fadvise(file, start, end - start + 1, POSIX_FADV_DONTNEED);
	after = vmsync_cached_pages(mapping, start, end);
	if (before > after) {
		trace_vmsync_invalidate(mapping, start, end, before - after);
		*discarded += before - after;
	}
	if (err)
		return err;
	return after ? -EACCES : 0;
}
