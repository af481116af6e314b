// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test hooks, built only into the module the selftests load (make module
 * VMSYNC_TEST_HOOKS=y; scripts/check does it), never into the one users
 * install: /sys/kernel/debug/vmsync/test_sync_delay_ms makes the vnode
 * pager answer that much later, so that the tests can watch callers wait,
 * requests queue and fatal signals abort.
 */

#include <linux/debugfs.h>

#include "vmsync.h"

u32 vmsync_test_sync_delay_ms;

static struct dentry *vmsync_debugfs;

void vmsync_test_hooks_init(void)
{
	vmsync_debugfs = debugfs_create_dir("vmsync", NULL);
	debugfs_create_u32("test_sync_delay_ms", 0600, vmsync_debugfs,
			   &vmsync_test_sync_delay_ms);
}

void vmsync_test_hooks_exit(void)
{
	debugfs_remove(vmsync_debugfs);
}
