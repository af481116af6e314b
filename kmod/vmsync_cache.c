// SPDX-License-Identifier: GPL-2.0-only
/*
 * Page-cache operations on a memory object's pages: wait for their writes,
 * drop them.  What a pager must do for dirty pages is in the pager.
 */

#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/sched/signal.h>

#include "vmsync.h"
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
 * vmsync_drop_clean - drop the cached pages of a range, unmapping them from
 * every process
 * @mapping: the page cache
 * @start: first byte
 * @end: last byte
 * @keep_dirty: dirty pages stay without complaint (they are not ours to
 *	drop); otherwise a dirty page makes the result -EBUSY
 * @discarded: pages dropped, added to
 *
 * A page is never dropped with data that is not on its backing store:
 * invalidate_inode_pages2_range() checks the dirty bit again after
 * unmapping, under the mapping's lock.  Pages pinned for DMA or locked in
 * memory by some process stay, and make the result -EBUSY.
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
	u64 dropped = 0;
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

			if (keep_dirty && folio_test_dirty(folio))
				continue;
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
				dropped += folio_nr_pages(folio);
			else if (err && !(keep_dirty && folio_test_dirty(folio)))
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
	if (dropped)
		trace_vmsync_invalidate(mapping, start, end, dropped);
	*discarded += dropped;
	return ret;
}
