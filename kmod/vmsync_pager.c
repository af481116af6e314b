// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pager protocol: memory objects and their synchronize requests.
 *
 * As in Mach, the outstanding synchronize requests on one object never
 * overlap: a request that overlaps an earlier outstanding one is queued and
 * issued to the pager only when no earlier overlapping request is left.
 * The pager answers each request, by name, with
 * vmsync_synchronize_completed(), from any context; the caller issues a
 * batch of requests and then waits, killably, for all of them.
 *
 * The outstanding requests of an object are kept in an interval tree, and
 * each counts the earlier overlapping requests it waits for (blockers).  A
 * new request counts the requests it overlaps; a request that leaves (done
 * or cancelled) decrements the count of every later request overlapping it
 * and issues those that reach zero.  Both cost O(log n + k) for k
 * overlapping requests, under the object's lock with interrupts off, and an
 * object holds at most VMSYNC_OBJ_MAX_REQUESTS requests, so that k, and the
 * time spent with interrupts off, stay small whatever callers do.
 *
 * Lifetimes: a request holds a reference on its object, its call and its
 * file; the caller holds one on each request it made, the pager one on each
 * request it was given.  A caller that gives up (fatal signal) cancels its
 * requests that were not issued yet; issued ones complete and are freed
 * when the pager answers.
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/interval_tree_generic.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "vmsync.h"

#define CREATE_TRACE_POINTS
#include "vmsync_trace.h"

struct vmsync_counters vmsync_counters;
struct workqueue_struct *vmsync_wq;

/* Objects by address_space; irqsave: the last put may come from a completion. */
static DEFINE_HASHTABLE(vmsync_objects, 8);
static DEFINE_SPINLOCK(vmsync_objects_lock);
static atomic64_t vmsync_req_ids;
/* Requests alive, so that the module is not unloaded under a late answer. */
static atomic_t vmsync_live_reqs;
static DECLARE_WAIT_QUEUE_HEAD(vmsync_idle);

/*
 * Outstanding requests one object may hold; further ones wait for room.
 * Bounds the work a completion does under the object's lock.
 */
#define VMSYNC_OBJ_MAX_REQUESTS	256

#define VMSYNC_REQ_START(req)	((req)->start)
#define VMSYNC_REQ_LAST(req)	((req)->end)

INTERVAL_TREE_DEFINE(struct vmsync_sync_req, rb, loff_t, subtree_last,
		     VMSYNC_REQ_START, VMSYNC_REQ_LAST, static, vmsync_req_tree)

static struct vmsync_object *vmsync_object_find(struct address_space *mapping)
{
	struct vmsync_object *obj;

	hash_for_each_possible(vmsync_objects, obj, node, (unsigned long)mapping)
		if (obj->mapping == mapping && refcount_inc_not_zero(&obj->ref))
			return obj;
	return NULL;
}

/**
 * vmsync_object_get - the memory object of a page cache, made on first use
 * @mapping: the page cache; the caller keeps its inode alive
 * @ops: its pager, for a new object
 *
 * Return: a referenced object, or NULL when out of memory.
 */
struct vmsync_object *vmsync_object_get(struct address_space *mapping,
					const struct vmsync_pager_ops *ops)
{
	struct vmsync_object *obj, *new;
	unsigned long flags;

	spin_lock_irqsave(&vmsync_objects_lock, flags);
	obj = vmsync_object_find(mapping);
	spin_unlock_irqrestore(&vmsync_objects_lock, flags);
	if (obj)
		return obj;

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return NULL;
	new->mapping = mapping;
	new->ops = ops;
	refcount_set(&new->ref, 1);
	spin_lock_init(&new->lock);
	new->requests = RB_ROOT_CACHED;
	init_waitqueue_head(&new->room);

	spin_lock_irqsave(&vmsync_objects_lock, flags);
	obj = vmsync_object_find(mapping);
	if (!obj) {
		hash_add(vmsync_objects, &new->node, (unsigned long)mapping);
		obj = new;
		new = NULL;
	}
	spin_unlock_irqrestore(&vmsync_objects_lock, flags);
	kfree(new);
	return obj;
}

void vmsync_object_put(struct vmsync_object *obj)
{
	unsigned long flags;

	spin_lock_irqsave(&vmsync_objects_lock, flags);
	if (!refcount_dec_and_test(&obj->ref)) {
		spin_unlock_irqrestore(&vmsync_objects_lock, flags);
		return;
	}
	hash_del(&obj->node);
	spin_unlock_irqrestore(&vmsync_objects_lock, flags);
	WARN_ON_ONCE(obj->nr_requests);
	kfree(obj);
}

struct vmsync_call *vmsync_call_alloc(void)
{
	struct vmsync_call *call = kzalloc(sizeof(*call), GFP_KERNEL_ACCOUNT);

	if (!call)
		return NULL;
	refcount_set(&call->ref, 1);
	atomic_set(&call->outstanding, 0);
	init_waitqueue_head(&call->wait);
	spin_lock_init(&call->lock);
	return call;
}

void vmsync_call_put(struct vmsync_call *call)
{
	if (refcount_dec_and_test(&call->ref))
		kfree(call);
}

void vmsync_sync_req_put(struct vmsync_sync_req *req)
{
	if (!refcount_dec_and_test(&req->ref))
		return;
	fput(req->file);
	vmsync_object_put(req->obj);
	vmsync_call_put(req->call);
	kfree(req);
	if (atomic_dec_and_test(&vmsync_live_reqs))
		wake_up_all(&vmsync_idle);
}

/*
 * At module exit: a caller killed in its wait leaves requests with their
 * pagers; wait for the last answer before the work queue goes.
 */
void vmsync_pager_drain(void)
{
	wait_event(vmsync_idle, !atomic_read(&vmsync_live_reqs));
}

/* Hand a request to its pager; the pager holds a reference until it answers. */
static void vmsync_issue(struct vmsync_sync_req *req)
{
	atomic64_inc(&vmsync_counters.requests);
	trace_vmsync_synchronize(req);
	req->obj->ops->synchronize(req);
}

static void vmsync_issue_work(struct work_struct *work)
{
	vmsync_issue(container_of(work, struct vmsync_sync_req, issue_work));
}

/*
 * A request leaves the object, done or cancelled: the later requests that
 * overlap it have one blocker less, and those left with none are issued.
 * Only later requests can overlap a request that completes (it was issued
 * once no earlier one was left); a cancelled request can also overlap
 * earlier ones, which did not count it.  Issued through the work queue:
 * this may run in the pager's completion context.
 */
static void vmsync_req_leave(struct vmsync_sync_req *gone)
{
	struct vmsync_object *obj = gone->obj;
	struct vmsync_sync_req *req;

	lockdep_assert_held(&obj->lock);
	vmsync_req_tree_remove(gone, &obj->requests);
	obj->nr_requests--;
	for (req = vmsync_req_tree_iter_first(&obj->requests, gone->start,
					      gone->end);
	     req; req = vmsync_req_tree_iter_next(req, gone->start, gone->end)) {
		if (req->seq < gone->seq || --req->blockers)
			continue;
		req->state = VMSYNC_REQ_ISSUED;
		refcount_inc(&req->ref);
		queue_work(vmsync_wq, &req->issue_work);
	}
}

/* A request leaves its call's count, completed or cancelled. */
static void vmsync_call_finish(struct vmsync_call *call, int result)
{
	unsigned long flags;

	if (result) {
		spin_lock_irqsave(&call->lock, flags);
		if (!call->error)
			call->error = result;
		spin_unlock_irqrestore(&call->lock, flags);
	}
	if (atomic_dec_and_test(&call->outstanding))
		wake_up_all(&call->wait);
}

/**
 * vmsync_synchronize - send memory_object_synchronize for a range
 * @call: the caller's wait
 * @obj: the memory object
 * @file: an open file of the object, pinned while the request lives
 * @start: first byte
 * @end: last byte
 * @sync_flags: VMSYNC_SYNC_*
 * @last: the caller waits for its call's answers right after this request
 *
 * Issues the request to the pager now, or queues it behind the earlier
 * overlapping ones.  Waits, killably, while the object holds
 * VMSYNC_OBJ_MAX_REQUESTS requests.  The caller puts the request after
 * vmsync_call_wait().
 *
 * A request issued now and @last is marked in_caller: the caller has
 * nothing left to start and would only sleep until the answer, so the
 * pager may do its work in the caller's context rather than in a work item
 * the caller then waits for (docs/performance.md, case 1).
 *
 * Return: the request, ERR_PTR(-ENOMEM) or ERR_PTR(-EINTR).
 */
struct vmsync_sync_req *vmsync_synchronize(struct vmsync_call *call,
					   struct vmsync_object *obj,
					   struct file *file, loff_t start,
					   loff_t end, unsigned int sync_flags,
					   bool last)
{
	struct vmsync_sync_req *req, *prev;
	unsigned long flags;
	bool issue;

	req = kzalloc(sizeof(*req), GFP_KERNEL_ACCOUNT);
	if (!req)
		return ERR_PTR(-ENOMEM);

	spin_lock_irqsave(&obj->lock, flags);
	while (obj->nr_requests >= VMSYNC_OBJ_MAX_REQUESTS) {
		spin_unlock_irqrestore(&obj->lock, flags);
		if (wait_event_killable(obj->room, READ_ONCE(obj->nr_requests) <
					VMSYNC_OBJ_MAX_REQUESTS)) {
			kfree(req);
			return ERR_PTR(-EINTR);
		}
		spin_lock_irqsave(&obj->lock, flags);
	}
	atomic_inc(&vmsync_live_reqs);
	req->id = atomic64_inc_return(&vmsync_req_ids);
	refcount_inc(&obj->ref);
	req->obj = obj;
	refcount_inc(&call->ref);
	req->call = call;
	req->file = get_file(file);
	req->start = start;
	req->end = end;
	req->sync_flags = sync_flags;
	refcount_set(&req->ref, 1);
	INIT_WORK(&req->issue_work, vmsync_issue_work);
	atomic_inc(&call->outstanding);
	atomic64_inc(&vmsync_counters.requests_pending);

	/* The order of arrival is the order under the lock, not req->id's. */
	req->seq = obj->seq++;
	for (prev = vmsync_req_tree_iter_first(&obj->requests, start, end);
	     prev; prev = vmsync_req_tree_iter_next(prev, start, end))
		req->blockers++;
	vmsync_req_tree_insert(req, &obj->requests);
	obj->nr_requests++;
	issue = !req->blockers;
	req->state = issue ? VMSYNC_REQ_ISSUED : VMSYNC_REQ_QUEUED;
	spin_unlock_irqrestore(&obj->lock, flags);

	if (issue) {
		req->in_caller = last;
		refcount_inc(&req->ref);
		vmsync_issue(req);
	}
	return req;
}

/**
 * vmsync_synchronize_completed - the pager's answer to a request
 * @req: the request it answers
 * @result: 0, or the errno of a failed write-back
 *
 * Callable from any context, once per request, after or during the pager's
 * synchronize() call.  Consumes the pager's reference.
 */
void vmsync_synchronize_completed(struct vmsync_sync_req *req, int result)
{
	struct vmsync_object *obj = req->obj;
	struct vmsync_call *call = req->call;
	unsigned long flags;

	trace_vmsync_synchronize_completed(req, result);
	spin_lock_irqsave(&obj->lock, flags);
	req->result = result;
	req->state = VMSYNC_REQ_DONE;
	vmsync_req_leave(req);
	spin_unlock_irqrestore(&obj->lock, flags);
	wake_up(&obj->room);

	atomic64_dec(&vmsync_counters.requests_pending);
	/*
	 * Drop the pager's reference before the caller wakes, so that the
	 * caller's own put is the last one and releases the file in the
	 * caller's context, before the call returns.  Dropped afterwards, in
	 * a work item, it could be the last: fput() from a kernel thread is
	 * deferred, and the file (its inode, its mount) would stay busy after
	 * the call returned, so that umount right after it failed with EBUSY.
	 * The request may be freed here when its caller gave up; the call
	 * lives on through the reference taken first.
	 */
	refcount_inc(&call->ref);
	vmsync_sync_req_put(req);
	vmsync_call_finish(call, result);
	vmsync_call_put(call);
}

/* The caller gives up on a request the pager has not been given yet. */
static void vmsync_cancel(struct vmsync_sync_req *req)
{
	struct vmsync_object *obj = req->obj;
	unsigned long flags;
	bool cancelled = false;

	spin_lock_irqsave(&obj->lock, flags);
	if (req->state == VMSYNC_REQ_QUEUED) {
		req->state = VMSYNC_REQ_CANCELLED;
		vmsync_req_leave(req);
		cancelled = true;
	}
	spin_unlock_irqrestore(&obj->lock, flags);

	if (cancelled) {
		wake_up(&obj->room);
		atomic64_dec(&vmsync_counters.requests_pending);
		vmsync_call_finish(req->call, 0);
	}
}

/**
 * vmsync_call_wait - wait until the pagers answered all of a call's requests
 * @call: the call
 * @reqs: its requests, linked by call_node
 *
 * Return: 0, or -EINTR after a fatal signal; queued requests are then
 * cancelled, issued ones complete without the caller.
 */
int vmsync_call_wait(struct vmsync_call *call, struct list_head *reqs)
{
	struct vmsync_sync_req *req;

	if (!wait_event_killable(call->wait, !atomic_read(&call->outstanding)))
		return 0;
	list_for_each_entry(req, reqs, call_node)
		vmsync_cancel(req);
	return -EINTR;
}

void vmsync_stats_read(struct vmsync_stats *stats)
{
	struct vmsync_counters *c = &vmsync_counters;

	memset(stats, 0, sizeof(*stats));
	stats->calls = atomic64_read(&c->calls);
	stats->requests = atomic64_read(&c->requests);
	stats->requests_pending = atomic64_read(&c->requests_pending);
	stats->pages_returned = atomic64_read(&c->pages_returned);
	stats->pages_discarded = atomic64_read(&c->pages_discarded);
	stats->precious_returned = atomic64_read(&c->precious_returned);
	stats->errors = atomic64_read(&c->errors);
	stats->aborted = atomic64_read(&c->aborted);
}
