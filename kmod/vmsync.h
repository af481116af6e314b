/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vmsync internals.
 *
 * Every synchronisation runs through one pager protocol modelled on Mach's
 * external memory management interface (SPEC section 5).  A memory object
 * (struct vmsync_object) is a page cache, an address_space, with a pager
 * behind it; the engine (vmsync_engine.c) finds the objects in a range of an
 * address space, returns their dirty pages to the pager (data_return), sends
 * each a synchronize request and waits until the pager answers every one
 * with vmsync_synchronize_completed().  The vnode pager (vmsync_vnode.c)
 * serves regular files through the file system's own writeback.
 */
#ifndef _VMSYNC_H
#define _VMSYNC_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/vmsync.h>

struct address_space;
struct file;
struct folio;
struct mm_struct;
struct vmsync_object;
struct vmsync_sync_req;

/* What the pager is asked to make of the returned data (sync_flags). */
#define VMSYNC_SYNC_STABLE	BIT(0)	/* on stable storage before answering */

struct vmsync_pager_ops {
	const char *name;
	/*
	 * data_request: the kernel needs pages.  The vnode pager has none:
	 * the file system serves its faults itself.
	 */
	int (*data_request)(struct vmsync_object *obj, pgoff_t index,
			    unsigned long nr);
	/*
	 * data_return: take back the dirty pages of [start, end] of @file's
	 * object; add how many to *pages.  Returns 0 or an errno.
	 */
	int (*data_return)(struct vmsync_object *obj, struct file *file,
			   loff_t start, loff_t end, u64 *pages);
	/*
	 * synchronize (memory_object_synchronize): make what was returned
	 * for req's range durable as req->sync_flags ask, then answer with
	 * vmsync_synchronize_completed(req, result), now or later, from any
	 * context.
	 */
	void (*synchronize)(struct vmsync_sync_req *req);
	/*
	 * Discard the dirty pages of [start, end] without returning them;
	 * add how many to *pages.  Pages the object cannot discard safely
	 * stay; the result then says why (-EBUSY, -EOPNOTSUPP).
	 */
	int (*discard_dirty)(struct vmsync_object *obj, struct file *file,
			     loff_t start, loff_t end, u64 *pages);
};

/* A memory object: one page cache and its pager. */
struct vmsync_object {
	struct hlist_node node;		/* in the object table */
	struct address_space *mapping;	/* the key */
	const struct vmsync_pager_ops *ops;
	refcount_t ref;
	spinlock_t lock;		/* requests and their states */
	/* Outstanding (queued or issued) synchronize requests, by range. */
	struct rb_root_cached requests;
	unsigned int nr_requests;	/* in the tree */
	u64 seq;			/* order of the requests' arrival */
	wait_queue_head_t room;		/* for nr_requests to fall */
};

/* One caller's wait for the completion of all its requests. */
struct vmsync_call {
	refcount_t ref;
	atomic_t outstanding;		/* requests not completed */
	wait_queue_head_t wait;
	spinlock_t lock;		/* error */
	int error;			/* first error a completion gave */
};

enum vmsync_req_state {
	VMSYNC_REQ_QUEUED,		/* waits for an overlapping request */
	VMSYNC_REQ_ISSUED,		/* with the pager */
	VMSYNC_REQ_DONE,
	VMSYNC_REQ_CANCELLED,		/* caller gave up before it was issued */
};

/*
 * A synchronize request: memory_object_synchronize for [start, end] of
 * obj.  The pager answers with the request itself, so nothing has to be
 * matched by range.
 */
struct vmsync_sync_req {
	u64 id;
	struct vmsync_object *obj;
	struct vmsync_call *call;
	struct file *file;		/* pins the object's inode */
	loff_t start;
	loff_t end;			/* inclusive */
	unsigned int sync_flags;	/* VMSYNC_SYNC_* */
	bool in_caller;			/* issued by the caller, who waits next */
	int result;
	enum vmsync_req_state state;	/* under obj->lock */
	u64 seq;			/* arrival on obj, under obj->lock */
	unsigned int blockers;		/* earlier overlapping, outstanding */
	struct rb_node rb;		/* in obj->requests until done */
	loff_t subtree_last;		/* for the interval tree */
	struct list_head call_node;	/* in the caller's list */
	refcount_t ref;
	struct work_struct issue_work;	/* issues it once unblocked */
	struct delayed_work pager_work;	/* for the pager's own use */
};

/* The module's counters (struct vmsync_stats), since load. */
struct vmsync_counters {
	atomic64_t calls;
	atomic64_t requests;
	atomic64_t requests_pending;
	atomic64_t pages_returned;
	atomic64_t pages_discarded;
	atomic64_t precious_returned;
	atomic64_t errors;
	atomic64_t aborted;
};

extern struct vmsync_counters vmsync_counters;
extern struct workqueue_struct *vmsync_wq;

/* vmsync_test_hooks.c, in the selftests' build only */
#ifdef VMSYNC_TEST_HOOKS
extern u32 vmsync_test_sync_delay_ms;
void vmsync_test_hooks_init(void);
void vmsync_test_hooks_exit(void);
/* How long the vnode pager waits before it answers, in milliseconds. */
static inline unsigned int vmsync_test_sync_delay(void)
{
	return READ_ONCE(vmsync_test_sync_delay_ms);
}
#else
static inline void vmsync_test_hooks_init(void) { }
static inline void vmsync_test_hooks_exit(void) { }
static inline unsigned int vmsync_test_sync_delay(void) { return 0; }
#endif

/* vmsync_pager.c */
struct vmsync_object *vmsync_object_get(struct address_space *mapping,
					const struct vmsync_pager_ops *ops);
void vmsync_object_put(struct vmsync_object *obj);
struct vmsync_call *vmsync_call_alloc(void);
void vmsync_call_put(struct vmsync_call *call);
struct vmsync_sync_req *vmsync_synchronize(struct vmsync_call *call,
					   struct vmsync_object *obj,
					   struct file *file, loff_t start,
					   loff_t end, unsigned int sync_flags,
					   bool last);
void vmsync_synchronize_completed(struct vmsync_sync_req *req, int result);
int vmsync_call_wait(struct vmsync_call *call, struct list_head *reqs);
void vmsync_sync_req_put(struct vmsync_sync_req *req);
void vmsync_stats_read(struct vmsync_stats *stats);
void vmsync_pager_drain(void);

/* vmsync_vnode.c */
extern const struct vmsync_pager_ops vmsync_vnode_pager;

/* vmsync_cache.c: page-cache operations on an object's pages */
int vmsync_wait_written(struct file *file, loff_t start, loff_t end);
int vmsync_drop_clean(struct address_space *mapping, loff_t start,
		      loff_t end, bool keep_dirty, u64 *discarded);
int vmsync_drop_unmapped(struct file *file, loff_t start, loff_t end,
			 u64 *discarded);
int vmsync_redirty_failed(struct address_space *mapping, loff_t start,
			  loff_t end, u64 *pages);
bool vmsync_bdev_held(struct address_space *mapping);
bool vmsync_ext4_file(const struct inode *inode);
bool vmsync_could_write(struct file *file);
bool vmsync_buffers_busy(struct folio *folio);

/* vmsync_engine.c */
struct vmsync_counts {
	u64 returned;		/* pages returned to pagers */
	u64 discarded;		/* pages dropped from the page cache */
};

int vmsync_msync(struct mm_struct *mm, u64 addr, u64 len, u32 flags,
		 struct vmsync_counts *counts);
int vmsync_vm_msync(int task, u64 address, u64 size, u32 flags,
		    struct vmsync_counts *counts, int *error);

/* vmsync_task.c */
int vmsync_ioctl_cache_state(struct vmsync_cache_state_args __user *uarg);
void vmsync_task_init(void);
bool vmsync_tasks_available(void);
struct file *vmsync_task_from_mem(int mem_fd);
struct mm_struct *vmsync_task_mm(int task);

#endif /* _VMSYNC_H */
