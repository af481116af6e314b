/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tracepoints for the pager protocol: /sys/kernel/tracing/events/vmsync/.
 * Objects are named by device and inode number, requests by their id.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vmsync

#if !defined(_VMSYNC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VMSYNC_TRACE_H

#include <linux/fs.h>
#include <linux/tracepoint.h>

#include "vmsync.h"

TRACE_EVENT(vmsync_synchronize,
	TP_PROTO(const struct vmsync_sync_req *req),
	TP_ARGS(req),
	TP_STRUCT__entry(
		__field(u64, id)
		__field(dev_t, dev)
		__field(unsigned long, ino)
		__field(loff_t, start)
		__field(loff_t, end)
		__field(unsigned int, sync_flags)
	),
	TP_fast_assign(
		__entry->id = req->id;
		__entry->dev = req->obj->mapping->host->i_sb->s_dev;
		__entry->ino = req->obj->mapping->host->i_ino;
		__entry->start = req->start;
		__entry->end = req->end;
		__entry->sync_flags = req->sync_flags;
	),
	TP_printk("req=%llu dev=%d:%d ino=%lu start=%lld end=%lld stable=%d",
		  __entry->id, MAJOR(__entry->dev), MINOR(__entry->dev),
		  __entry->ino, __entry->start, __entry->end,
		  !!(__entry->sync_flags & VMSYNC_SYNC_STABLE))
);

TRACE_EVENT(vmsync_synchronize_completed,
	TP_PROTO(const struct vmsync_sync_req *req, int result),
	TP_ARGS(req, result),
	TP_STRUCT__entry(
		__field(u64, id)
		__field(unsigned long, ino)
		__field(loff_t, start)
		__field(loff_t, end)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->id = req->id;
		__entry->ino = req->obj->mapping->host->i_ino;
		__entry->start = req->start;
		__entry->end = req->end;
		__entry->result = result;
	),
	TP_printk("req=%llu ino=%lu start=%lld end=%lld result=%d",
		  __entry->id, __entry->ino, __entry->start, __entry->end,
		  __entry->result)
);

DECLARE_EVENT_CLASS(vmsync_pages,
	TP_PROTO(const struct address_space *mapping, loff_t start, loff_t end,
		 u64 pages),
	TP_ARGS(mapping, start, end, pages),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(unsigned long, ino)
		__field(loff_t, start)
		__field(loff_t, end)
		__field(u64, pages)
	),
	TP_fast_assign(
		__entry->dev = mapping->host->i_sb->s_dev;
		__entry->ino = mapping->host->i_ino;
		__entry->start = start;
		__entry->end = end;
		__entry->pages = pages;
	),
	TP_printk("dev=%d:%d ino=%lu start=%lld end=%lld pages=%llu",
		  MAJOR(__entry->dev), MINOR(__entry->dev), __entry->ino,
		  __entry->start, __entry->end, __entry->pages)
);

/* Dirty pages handed back to the pager. */
DEFINE_EVENT(vmsync_pages, vmsync_data_return,
	TP_PROTO(const struct address_space *mapping, loff_t start, loff_t end,
		 u64 pages),
	TP_ARGS(mapping, start, end, pages));

/* Pages the pager supplied on a fault. */
DEFINE_EVENT(vmsync_pages, vmsync_data_request,
	TP_PROTO(const struct address_space *mapping, loff_t start, loff_t end,
		 u64 pages),
	TP_ARGS(mapping, start, end, pages));

/* Clean pages dropped from the cache and unmapped everywhere. */
DEFINE_EVENT(vmsync_pages, vmsync_invalidate,
	TP_PROTO(const struct address_space *mapping, loff_t start, loff_t end,
		 u64 pages),
	TP_ARGS(mapping, start, end, pages));

/* Dirty pages discarded without being returned (VM_SYNC_INVALIDATE). */
DEFINE_EVENT(vmsync_pages, vmsync_discard_dirty,
	TP_PROTO(const struct address_space *mapping, loff_t start, loff_t end,
		 u64 pages),
	TP_ARGS(mapping, start, end, pages));

/* The end of a call: msync (result: -errno) or vm_msync (result: kr). */
TRACE_EVENT(vmsync_call_done,
	TP_PROTO(bool mach, u32 flags, int result, int error, u64 returned,
		 u64 discarded),
	TP_ARGS(mach, flags, result, error, returned, discarded),
	TP_STRUCT__entry(
		__field(bool, mach)
		__field(u32, flags)
		__field(int, result)
		__field(int, error)
		__field(u64, returned)
		__field(u64, discarded)
	),
	TP_fast_assign(
		__entry->mach = mach;
		__entry->flags = flags;
		__entry->result = result;
		__entry->error = error;
		__entry->returned = returned;
		__entry->discarded = discarded;
	),
	TP_printk("%s flags=%#x result=%d error=%d returned=%llu discarded=%llu",
		  __entry->mach ? "vm_msync" : "msync", __entry->flags,
		  __entry->result, __entry->error, __entry->returned,
		  __entry->discarded)
);

#endif /* _VMSYNC_TRACE_H */

/* This part must be outside the multi-read protection. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH kmod
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vmsync_trace
#include <trace/define_trace.h>
