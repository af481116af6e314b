/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vmsync internals shared by the device (vmsync_main.c) and the msync
 * engine (vmsync_msync.c).
 */
#ifndef _VMSYNC_H
#define _VMSYNC_H

#include <linux/types.h>
#include <uapi/linux/vmsync.h>

struct mm_struct;

/* What one msync did, for the caller's result struct. */
struct vmsync_counts {
	u64 written;		/* pages handed to writeback */
	u64 discarded;		/* pages dropped from the page cache */
};

int vmsync_msync(struct mm_struct *mm, u64 addr, u64 len, u32 flags,
		 struct vmsync_counts *counts);

#endif /* _VMSYNC_H */
