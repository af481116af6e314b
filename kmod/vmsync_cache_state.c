// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMSYNC_IOC_CACHE_STATE: which pages of a file's range are in the page
 * cache, dirty or under writeback.
 *
 * This is cachestat(2) (6.5) for every kernel the module supports, with a
 * per-page vector besides the counts, so that the vmsync command can draw
 * a file's map.  As cachestat does, it reads the page cache's xarray under
 * RCU and never touches a folio: the folios are not pinned and may be freed
 * while the walk looks at their entries, so everything comes from the
 * entries and their marks.
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/minmax.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "vmsync.h"

/* Vector bytes filled per copy to user space: one page's worth. */
#define VMSYNC_STATE_CHUNK	PAGE_SIZE

/* Entries walked between two looks at need_resched() and fatal signals. */
#define VMSYNC_STATE_BATCH	1024

struct vmsync_state_counts {
	u64 resident;
	u64 dirty;
	u64 writeback;
};

/*
 * cachestat(2)'s rule: the page cache of a file others write is a side
 * channel on what they do, so only a caller who opened the file for
 * writing, owns it or could open it for writing may look at it.
 */
static bool vmsync_may_see_cache(struct file *file)
{
	return (file->f_mode & FMODE_WRITE) || vmsync_could_write(file);
}

/*
 * Count the resident, dirty and writeback pages of [first, last] of
 * @mapping into @c and, if @vec is not NULL, store each page's state in
 * vec[index - first].  The walk costs one step per entry, not per index:
 * a sparse range is cheap however long it is.
 */
static int vmsync_state_walk(struct address_space *mapping, pgoff_t first,
			     pgoff_t last, u8 *vec,
			     struct vmsync_state_counts *c)
{
	XA_STATE(xas, &mapping->i_pages, first);
	unsigned int batch = 0;
	void *entry;

	rcu_read_lock();
	xas_for_each(&xas, entry, last) {
		pgoff_t start, end;
		unsigned long nr;
		u8 state;
		int order;

		if (xas_retry(&xas, entry))
			continue;
		/* Shadow and swap entries: the page is not in memory. */
		if (xa_is_value(entry))
			goto next;

		/* A large folio: count the pages of it inside the range. */
		order = xas_get_order(&xas);
		start = max(round_down(xas.xa_index, 1UL << order), first);
		end = min(round_down(xas.xa_index, 1UL << order) +
			  (1UL << order) - 1, last);
		nr = end - start + 1;

		state = VMSYNC_PAGE_RESIDENT;
		c->resident += nr;
		if (xas_get_mark(&xas, PAGECACHE_TAG_DIRTY)) {
			state |= VMSYNC_PAGE_DIRTY;
			c->dirty += nr;
		}
		if (xas_get_mark(&xas, PAGECACHE_TAG_WRITEBACK)) {
			state |= VMSYNC_PAGE_WRITEBACK;
			c->writeback += nr;
		}
		if (vec)
			memset(vec + (start - first), state, nr);
next:
		if (++batch < VMSYNC_STATE_BATCH && !need_resched())
			continue;
		batch = 0;
		/* Leave RCU so that a long walk neither stalls nor ignores kill. */
		xas_pause(&xas);
		rcu_read_unlock();
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
		rcu_read_lock();
	}
	rcu_read_unlock();
	return 0;
}

/*
 * With a vector: the range's first @nr pages, a chunk at a time through a
 * kernel buffer, since user memory cannot be written under RCU.
 */
static int vmsync_state_vec(struct address_space *mapping, pgoff_t first,
			    u64 nr, u8 __user *uvec,
			    struct vmsync_state_counts *c)
{
	u64 done = 0;
	u8 *buf;
	int ret = 0;

	buf = kmalloc(VMSYNC_STATE_CHUNK, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (done < nr) {
		size_t n = min_t(u64, nr - done, VMSYNC_STATE_CHUNK);

		memset(buf, 0, n);
		ret = vmsync_state_walk(mapping, first + done,
					first + done + n - 1, buf, c);
		if (ret)
			break;
		if (copy_to_user(uvec + done, buf, n)) {
			ret = -EFAULT;
			break;
		}
		done += n;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	kfree(buf);
	return ret;
}

int vmsync_ioctl_cache_state(struct vmsync_cache_state_args __user *uarg)
{
	struct vmsync_state_counts c = {};
	struct vmsync_cache_state_args args;
	pgoff_t first, last;
	struct file *file;
	u64 last_byte, nr = 0;
	int ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || memchr_inv(args.reserved, 0, sizeof(args.reserved)))
		return -EINVAL;
	if (!args.vec != !args.vec_len)
		return -EINVAL;
	/* The range's last byte must exist. */
	if (args.len && args.len - 1 > U64_MAX - args.offset)
		return -EINVAL;

	file = fget(args.fd);
	if (!file)
		return -EBADF;
	if (!S_ISREG(file_inode(file)->i_mode)) {
		ret = -EINVAL;
		goto out_put;
	}
	/*
	 * hugetlbfs indexes its page cache in huge pages.  Its magic covers
	 * SysV SHM_HUGETLB segments too: their files share its inodes.  (The
	 * kernel's is_file_hugepages() is not usable by modules on 6.1.)
	 */
	if (file_inode(file)->i_sb->s_magic == HUGETLBFS_MAGIC) {
		ret = -EOPNOTSUPP;
		goto out_put;
	}
	if (!vmsync_may_see_cache(file)) {
		ret = -EPERM;
		goto out_put;
	}

	/* Length 0: to the end of the file as it is now. */
	if (args.len) {
		last_byte = args.offset + args.len - 1;
	} else {
		loff_t size = i_size_read(file_inode(file));

		if (size <= 0 || args.offset >= size)
			goto out_counts;
		last_byte = size - 1;
	}
	/* A 32-bit kernel's page index cannot name every byte of a u64. */
	if ((last_byte >> PAGE_SHIFT) > ULONG_MAX) {
		ret = -EINVAL;
		goto out_put;
	}
	first = args.offset >> PAGE_SHIFT;
	last = last_byte >> PAGE_SHIFT;

	/* No overflow: at most 2^52 pages on 64-bit, 2^32 on 32-bit. */
	nr = (u64)(last - first) + 1;
	if (args.vec)
		nr = min(nr, args.vec_len);
	if (args.vec)
		ret = vmsync_state_vec(file->f_mapping, first, nr,
				       u64_to_user_ptr(args.vec), &c);
	else
		ret = vmsync_state_walk(file->f_mapping, first, last, NULL, &c);
	if (ret)
		goto out_put;

out_counts:
	if (put_user(nr, &uarg->nr_pages) ||
	    put_user(c.resident, &uarg->nr_resident) ||
	    put_user(c.dirty, &uarg->nr_dirty) ||
	    put_user(c.writeback, &uarg->nr_writeback))
		ret = -EFAULT;
out_put:
	fput(file);
	return ret;
}
