// SPDX-License-Identifier: GPL-2.0-only
/*
 * The engine behind msync and vm_msync: one walk over a range of an address
 * space, and per memory object in it the steps of Mach's vm_msync -- discard
 * or return pages as the flags say, send synchronize -- then one wait for
 * the completions, then the clean pages are dropped.  The POSIX and Mach
 * interfaces are mappings of their flags onto these steps.
 *
 * The range is processed in batches of at most VMSYNC_BATCH file ranges:
 * each batch is noted, started, waited for and finished before the next
 * one is looked up, so that a call holds a bounded number of file
 * references, requests and memory at any time, whatever the number of
 * mappings in its range.
 *
 * Lock discipline follows mm/msync.c: the VMAs are looked at under
 * mmap_read_lock (taken killably) only long enough to note which file
 * ranges they map, with a reference on each file; all I/O and every wait
 * happens after the lock is dropped, and the next batch looks the VMAs up
 * again.
 */

#include <linux/backing-dev.h>
#include <linux/compat.h>
#include <linux/delay.h>
#include <linux/errseq.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "vmsync.h"
#include "vmsync_compat.h"
#include "vmsync_trace.h"

/* The steps for each object range, from the POSIX or Mach flags. */
#define VMSYNC_DO_RETURN	BIT(0)	/* data_return the dirty pages */
#define VMSYNC_DO_STABLE	BIT(1)	/* synchronize to stable storage */
#define VMSYNC_DO_DISCARD	BIT(2)	/* then drop the cached pages */
#define VMSYNC_DO_DISCARD_DIRTY	BIT(3)	/* discard dirty pages unreturned */
#define VMSYNC_DO_RETRY		BIT(4)	/* rewrite pages redirtied meanwhile */
#define VMSYNC_DO_LOCKED_BUSY	BIT(5)	/* an mlocked mapping fails the call */

/* File ranges per batch; bounds memory, requests and lock hold time. */
#define VMSYNC_BATCH		32
/* Passes over a range whose pages keep being redirtied or pinned. */
#define VMSYNC_DROP_TRIES	4
#define VMSYNC_RETRY_DELAY_MS	20

/* The part of one shared file mapping that lies in the range. */
struct vmsync_seg {
	struct file *file;
	loff_t start;		/* first byte in the file */
	loff_t end;		/* last byte in the file, inclusive */
	bool writable;		/* shared and writable: may discard changes */
	int return_err;		/* a write failed: pages may not be safe */
	errseq_t wb_err;	/* the file's write errors before the call */
	struct vmsync_object *obj;
	struct vmsync_sync_req *req;
};

struct vmsync_walk {
	struct mm_struct *mm;
	bool foreign;		/* another process's address space */
	unsigned long addr;	/* where the next batch starts */
	unsigned long end;
	unsigned int ops;
	bool hole;		/* part of [start, end) is not mapped */
	struct vmsync_call *call;
	struct vmsync_counts *counts;
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
	/* Shared and writable: the caller could have written these pages. */
	bool writable = (vma->vm_flags & (VM_SHARED | VM_WRITE)) ==
			(VM_SHARED | VM_WRITE);
	struct vmsync_seg *prev = w->nr ? &w->segs[w->nr - 1] : NULL;

	/* Pieces of one mapping split by mprotect() and the like: merge. */
	if (prev && prev->file == vma->vm_file && prev->end + 1 == fstart &&
	    prev->writable == writable) {
		prev->end = fend;
		return;
	}
	/* Whole: a slot is reused from batch to batch. */
	w->segs[w->nr++] = (struct vmsync_seg) {
		.file = get_file(vma->vm_file),
		.start = fstart,
		.end = fend,
		.writable = writable,
	};
}

/*
 * Note the next batch of file ranges from w->addr on.  Returns -EBUSY if a
 * locked mapping is met and the flags forbid it.
 */
static int vmsync_walk_next(struct vmsync_walk *w)
{
	struct vm_area_struct *vma;
	int err = 0;

	if (mmap_read_lock_killable(w->mm))
		return -EINTR;

	vma = find_vma(w->mm, w->addr);
	for (; vma && vma->vm_start < w->end; vma = find_vma(w->mm, w->addr)) {
		if ((w->ops & VMSYNC_DO_LOCKED_BUSY) &&
		    (vma->vm_flags & VM_LOCKED)) {
			err = -EBUSY;
			break;
		}
		if (vmsync_vma_has_backing_store(vma)) {
			if (w->nr == VMSYNC_BATCH)
				break;
			vmsync_walk_add(w, vma, max(w->addr, vma->vm_start),
					min(w->end, vma->vm_end));
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

/*
 * A private open file for a file range of another process's mapping.
 * Write-back errors are reported through the open file that checks them
 * (errseq); checking them through the other process's own file would
 * consume its report, and its own fsync() would then miss the error.  The
 * file is opened as that process opened it, with its credentials.
 */
static int vmsync_seg_own_file(struct vmsync_seg *seg)
{
	struct file *file;

	file = dentry_open(&seg->file->f_path, O_RDONLY | O_LARGEFILE,
			   seg->file->f_cred);
	if (IS_ERR(file))
		return PTR_ERR(file);
	fput(seg->file);
	seg->file = file;
	return 0;
}

/*
 * The steps before the wait, for one object range: discard or return its
 * pages, then send synchronize.  Returns the first error; synchronize is
 * sent even so, for the data that did go back.
 */
static int vmsync_seg_start(struct vmsync_walk *w, struct vmsync_seg *seg,
			    bool last)
{
	const struct vmsync_pager_ops *pager;
	struct vmsync_sync_req *req;
	int ret = 0, err;

	if (w->foreign) {
		ret = vmsync_seg_own_file(seg);
		if (ret)
			return ret;
	}
	seg->obj = vmsync_object_get(seg->file->f_mapping, &vmsync_vnode_pager);
	if (!seg->obj)
		return -ENOMEM;
	pager = seg->obj->ops;
	seg->wb_err = errseq_sample(&seg->file->f_mapping->wb_err);
	if ((w->ops & VMSYNC_DO_DISCARD_DIRTY) && seg->writable) {
		err = pager->discard_dirty(seg->obj, seg->file, seg->start,
					   seg->end, &w->counts->discarded);
		ret = ret ?: err;
	}
	if (w->ops & VMSYNC_DO_RETURN) {
		seg->return_err = pager->data_return(seg->obj, seg->file,
						     seg->start, seg->end,
						     &w->counts->returned);
		ret = ret ?: seg->return_err;
	}
	req = vmsync_synchronize(w->call, seg->obj, seg->file, seg->start,
				 seg->end, (w->ops & VMSYNC_DO_STABLE) ?
				 VMSYNC_SYNC_STABLE : 0, last);
	if (IS_ERR(req))
		return ret ?: PTR_ERR(req);
	seg->req = req;
	return ret;
}

/*
 * May the call drop pages that processes map?  Only where the caller could
 * have written the file itself: through a shared writable mapping (its own,
 * or one of a process it may ptrace), a descriptor it opened for writing,
 * as the file's owner, or with write permission.  Anybody else gets what
 * posix_fadvise(POSIX_FADV_DONTNEED) would give: clean pages nobody maps
 * are dropped, the others stay.  Otherwise a reader could evict every page
 * of a file others are using: a side channel and a cheap way to thrash.
 */
static bool vmsync_may_evict(const struct vmsync_walk *w,
			     const struct vmsync_seg *seg)
{
	if (seg->writable)
		return true;
	if (!w->foreign && (seg->file->f_mode & FMODE_WRITE))
		return true;
	return vmsync_could_write(seg->file);
}

/*
 * After a write of the range: Linux marks the pages whose write failed
 * clean, their data only in the cache.  Make them dirty again, so that the
 * next call writes them instead of finding nothing to write.  They are
 * looked for where err (the call's result for the range) says a write
 * failed, and where one failed during the call whoever was told of it: an
 * fsync() on the same open file, say, consumes the report.  Returns err;
 * -EINTR; or, if err is 0 but failed pages were found, the file's error:
 * the call did not put the range on the disk.
 */
static int vmsync_seg_write_failed(struct vmsync_seg *seg, int err)
{
	struct address_space *mapping = seg->file->f_mapping;
	int wb_err = errseq_check(&mapping->wb_err, seg->wb_err);
	u64 pages = 0;

	if (err == -EINTR || (!err && !wb_err))
		return err;
	if (vmsync_redirty_failed(mapping, seg->start, seg->end, &pages))
		return -EINTR;
	return err ?: pages ? wb_err : 0;
}

/*
 * After the wait: drop the cached pages.  Returned pages must be on the
 * disk first; one redirtied meanwhile is returned again and the drop
 * retried, a bounded number of times (VMSYNC_DO_RETRY); otherwise dirty
 * pages stay where the caller may not discard them.
 */
static int vmsync_seg_discard(struct vmsync_walk *w, struct vmsync_seg *seg)
{
	struct address_space *mapping = seg->file->f_mapping;
	struct vmsync_counts *counts = w->counts;
	bool retry = w->ops & VMSYNC_DO_RETRY;
	unsigned int tries;
	int err = 0;

	if ((w->ops & VMSYNC_DO_RETURN) && !(w->ops & VMSYNC_DO_STABLE))
		err = vmsync_seg_write_failed(seg,
					      vmsync_wait_written(seg->file,
								  seg->start,
								  seg->end));
	if (!err && !vmsync_may_evict(w, seg))
		return vmsync_drop_unmapped(seg->file, seg->start, seg->end,
					    &counts->discarded);
	for (tries = 1; !err; tries++) {
		err = vmsync_drop_clean(mapping, seg->start, seg->end, !retry,
					&counts->discarded);
		if (err != -EBUSY || !retry || tries == VMSYNC_DROP_TRIES)
			break;
		if (msleep_interruptible(VMSYNC_RETRY_DELAY_MS) &&
		    fatal_signal_pending(current))
			return -EINTR;
		err = seg->obj->ops->data_return(seg->obj, seg->file,
						 seg->start, seg->end,
						 &counts->returned);
		if (!err)
			err = vmsync_wait_written(seg->file, seg->start,
						  seg->end);
		err = vmsync_seg_write_failed(seg, err);
	}
	return err;
}

/*
 * One batch: start every noted file range, wait for the pagers' answers,
 * then drop the cached pages.  Returns the first error, or -EINTR.
 */
static int vmsync_batch(struct vmsync_walk *w)
{
	struct vmsync_seg *seg;
	LIST_HEAD(reqs);
	unsigned int i;
	int ret = 0, err;

	for (i = 0; w->ops && i < w->nr; i++) {
		seg = &w->segs[i];
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		/* Not "ret ?: f()": every object is synced. */
		err = vmsync_seg_start(w, seg, i + 1 == w->nr);
		ret = ret ?: err;
		if (seg->req)
			list_add_tail(&seg->req->call_node, &reqs);
		if (err == -EINTR)
			break;
	}
	err = vmsync_call_wait(w->call, &reqs);
	if (err)
		return err;
	if (ret == -EINTR)
		return ret;
	ret = ret ?: w->call->error;
	/* Pages whose write failed stay dirty. */
	for (i = 0; i < w->nr; i++) {
		seg = &w->segs[i];
		if (!seg->obj)
			continue;
		err = vmsync_seg_write_failed(seg, seg->return_err ?:
					      seg->req ? seg->req->result : 0);
		if (err == -EINTR)
			return err;
		seg->return_err = err;
		ret = ret ?: err;
	}
	if (!(w->ops & VMSYNC_DO_DISCARD))
		return ret;
	for (i = 0; i < w->nr; i++) {
		seg = &w->segs[i];
		/* Its data may not be safe: keep its pages. */
		if (!seg->req || seg->return_err || seg->req->result)
			continue;
		err = vmsync_seg_discard(w, seg);
		if (err == -EINTR)
			return err;
		ret = ret ?: err;
	}
	return ret;
}

static void vmsync_seg_put(struct vmsync_seg *seg)
{
	if (seg->req)
		vmsync_sync_req_put(seg->req);
	if (seg->obj)
		vmsync_object_put(seg->obj);
	fput(seg->file);
}

/*
 * Run the steps over [start, end) of mm, batch by batch.  Returns the first
 * error (-EINTR after a fatal signal); *hole says whether part of the range
 * is unmapped.
 */
static int vmsync_range(struct mm_struct *mm, unsigned long start,
			unsigned long end, unsigned int ops,
			struct vmsync_counts *counts, bool *hole)
{
	struct vmsync_walk *w;
	int ret = 0, err, walk_err;
	unsigned int i;

	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		return -ENOMEM;
	w->call = vmsync_call_alloc();
	if (!w->call) {
		kfree(w);
		return -ENOMEM;
	}
	w->mm = mm;
	w->foreign = mm != current->mm;
	w->addr = start;
	w->end = end;
	w->ops = ops;
	w->counts = counts;

	while (w->addr < w->end) {
		/* A mapping locked since the check ends the walk: -EBUSY. */
		walk_err = vmsync_walk_next(w);
		err = vmsync_batch(w);
		for (i = 0; i < w->nr; i++)
			vmsync_seg_put(&w->segs[i]);
		w->nr = 0;
		if (err == -EINTR || walk_err == -EINTR ||
		    fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		ret = ret ?: err ?: walk_err;
		if (walk_err)
			break;
	}
	*hole = w->hole;

	vmsync_call_put(w->call);
	kfree(w);
	return ret;
}

/* The caller's address width: a 32-bit caller's range ends at 4 GiB. */
static u64 vmsync_user_top(void)
{
	return in_compat_syscall() ? U32_MAX : ULONG_MAX;
}

static void vmsync_account(bool mach, u32 flags, int result, int error,
			   const struct vmsync_counts *counts)
{
	atomic64_inc(&vmsync_counters.calls);
	atomic64_add(counts->returned, &vmsync_counters.pages_returned);
	atomic64_add(counts->discarded, &vmsync_counters.pages_discarded);
	if (result)
		atomic64_inc(&vmsync_counters.errors);
	if (error == EINTR)
		atomic64_inc(&vmsync_counters.aborted);
	trace_vmsync_call_done(mach, flags, result, error, counts->returned,
			       counts->discarded);
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
 * msync(2)'s argument checks, in its order and with its codes.  On success
 * *endp is the page-aligned end; *endp == addr means there is nothing to do.
 * Unlike msync(2), a length that wraps when rounded up is -ENOMEM too.
 */
static int vmsync_msync_check(u64 addr, u64 len, u32 flags, u64 *endp)
{
	u64 end;

	if (flags & ~VMSYNC_MS_ALL)
		return -EINVAL;
	if (offset_in_page(addr))
		return -EINVAL;
	if ((flags & VMSYNC_MS_ASYNC) && (flags & VMSYNC_MS_SYNC))
		return -EINVAL;
	if (check_add_overflow(addr, len, &end) ||
	    end > vmsync_user_top() - PAGE_SIZE + 1)
		return -ENOMEM;
	*endp = PAGE_ALIGN(end);
	return 0;
}

/**
 * vmsync_msync - msync() with SVR4/POSIX semantics on @mm
 * @mm: the caller's address space
 * @addr: start address
 * @len: length in bytes
 * @flags: VMSYNC_MS_* flags
 * @counts: pages returned and discarded, added to
 *
 * Return: 0, or a negative errno as msync(2) would return it.  The mapped
 * parts of a range with holes are processed before -ENOMEM is returned.  An
 * error in one file range does not stop the others from being made safe;
 * the first error is returned.
 */
int vmsync_msync(struct mm_struct *mm, u64 addr, u64 len, u32 flags,
		 struct vmsync_counts *counts)
{
	unsigned int ops;
	bool hole = false;
	u64 end;
	int ret;

	addr = untagged_addr(addr);
	ret = vmsync_msync_check(addr, len, flags, &end);
	if (ret || end == addr)
		goto out;

	/* Neither MS_SYNC nor MS_ASYNC: write all modified pages (seed). */
	ops = VMSYNC_DO_RETURN;
	if (!(flags & VMSYNC_MS_ASYNC))
		ops |= VMSYNC_DO_STABLE;
	if (flags & VMSYNC_MS_INVALIDATE) {
		ops |= VMSYNC_DO_DISCARD | VMSYNC_DO_RETRY |
		       VMSYNC_DO_LOCKED_BUSY;
		ret = vmsync_range_locked(mm, addr, end);
		if (ret)
			goto out;
	}
	ret = vmsync_range(mm, addr, end, ops, counts, &hole);
	if (!ret && hole)
		ret = -ENOMEM;
out:
	vmsync_account(false, flags, ret, -ret, counts);
	return ret;
}

/* A kern_return_t for the first error of a vm_msync. */
static int vmsync_kern_return(int err)
{
	switch (err) {
	case 0:
		return VMSYNC_KERN_SUCCESS;
	case -EINTR:
		return VMSYNC_KERN_ABORTED;
	case -ENOMEM:
		return VMSYNC_KERN_RESOURCE_SHORTAGE;
	case -EBUSY:
	case -EOPNOTSUPP:
		return VMSYNC_KERN_FAILURE;
	case -EACCES:
	case -EPERM:
		/* The caller may not do this to the file (docs/security.md). */
		return VMSYNC_KERN_PROTECTION_FAILURE;
	default:
		/* The pager could not write the data back. */
		return VMSYNC_KERN_MEMORY_ERROR;
	}
}

/**
 * vmsync_vm_msync - Mach vm_msync()
 * @task: VMSYNC_TASK_SELF or a task handle
 * @address: start, rounded down to a page
 * @size: length; the end is rounded up to a page
 * @flags: VMSYNC_VM_SYNC_* flags
 * @counts: pages returned and discarded, added to
 * @error: the first errno seen (positive), or 0
 *
 * Return: a kern_return_t, after the checks of SPEC section 3 in order.
 */
int vmsync_vm_msync(int task, u64 address, u64 size, u32 flags,
		    struct vmsync_counts *counts, int *error)
{
	struct mm_struct *mm = NULL;
	unsigned long start, end;
	unsigned int ops = 0;
	bool hole = false;
	u64 last;
	int kr, err = 0;

	if (((flags & VMSYNC_VM_SYNC_SYNCHRONOUS) &&
	     (flags & VMSYNC_VM_SYNC_ASYNCHRONOUS)) ||
	    (flags & ~VMSYNC_VM_SYNC_ALL)) {
		kr = VMSYNC_KERN_INVALID_ARGUMENT;
		err = -EINVAL;
		goto out;
	}
	mm = vmsync_task_mm(task);
	if (!mm) {
		kr = VMSYNC_KERN_INVALID_TASK;
		err = -ESRCH;
		goto out;
	}
	if (!size) {
		kr = VMSYNC_KERN_SUCCESS;
		goto out;
	}
	if (task == VMSYNC_TASK_SELF) {
		address = untagged_addr(address);
	} else if (vmsync_untag_remote(mm, &address)) {
		kr = VMSYNC_KERN_ABORTED;
		err = -EINTR;
		goto out;
	}
	/* Rounded outward to pages, within the caller's address width. */
	if (check_add_overflow(address, size - 1, &last) ||
	    last > vmsync_user_top() - PAGE_SIZE) {
		kr = VMSYNC_KERN_INVALID_ADDRESS;
		err = -ENOMEM;
		goto out;
	}
	start = round_down(address, PAGE_SIZE);
	end = round_up(last + 1, PAGE_SIZE);

	if (flags & (VMSYNC_VM_SYNC_SYNCHRONOUS | VMSYNC_VM_SYNC_ASYNCHRONOUS))
		ops = VMSYNC_DO_RETURN;
	if (flags & VMSYNC_VM_SYNC_SYNCHRONOUS)
		ops |= VMSYNC_DO_STABLE;
	if (flags & VMSYNC_VM_SYNC_INVALIDATE) {
		ops |= VMSYNC_DO_DISCARD;
		/* Alone, it discards dirty pages instead of returning them. */
		ops |= (ops & VMSYNC_DO_RETURN) ? VMSYNC_DO_RETRY :
						  VMSYNC_DO_DISCARD_DIRTY;
	}
	err = vmsync_range(mm, start, end, ops, counts, &hole);
	kr = vmsync_kern_return(err);
	if (!err && hole) {
		kr = VMSYNC_KERN_INVALID_ADDRESS;
		err = -ENOMEM;
	}
out:
	if (mm)
		mmput(mm);
	*error = -err;
	vmsync_account(true, flags, kr, *error, counts);
	return kr;
}
