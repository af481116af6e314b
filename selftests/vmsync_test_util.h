/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the vmsync selftests: look at what msync did from outside,
 * on the block device (FIEMAP + O_DIRECT), in the page flags
 * (/proc/self/pagemap + /proc/kpageflags) and in page-cache residency
 * (mincore), and build device-mapper tables that delay or fail I/O.
 */
#ifndef VMSYNC_TEST_UTIL_H
#define VMSYNC_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/kernel-page-flags.h>

/* Page size, and the byte every poisoned output field holds. */
extern size_t vt_page;
#define VT_POISON	0xA5

/* Directory for test files: $VMSYNC_TEST_DIR, or the current directory. */
const char *vt_test_dir(void);

/*
 * Create dir/name of npages pages, page i filled with byte vt_fill(i, 0),
 * and write it to disk so its blocks are allocated; its pages are then
 * dropped from the page cache, so that they are read back from the disk.
 * Returns an O_RDWR fd or -1; the file is unlinked when unlink_it is set.
 */
int vt_create_file(const char *dir, const char *name, size_t npages,
		   bool unlink_it);
unsigned char vt_fill(size_t page, unsigned int generation);

/* Is every byte of buf[0..len) equal to c? */
bool vt_all(const void *buf, size_t len, unsigned char c);

/* Block device holding the file system of fd, opened O_RDWR | O_DIRECT. */
int vt_disk_open(int fd);
/* Byte offset on the disk of the file's byte off; -1 if not allocated. */
int64_t vt_file_phys(int fd, off_t off);
/* Read or write one page of the file straight on the disk. */
int vt_disk_read_page(int disk, int fd, size_t page, void *buf);
int vt_disk_write_page(int disk, int fd, size_t page, const void *buf);
/* Does the disk copy of page hold only byte c? */
bool vt_disk_page_is(int disk, int fd, size_t page, unsigned char c);

/* kpageflags of the page mapped at addr; 0 and *present false if none. */
uint64_t vt_kpageflags(const void *addr, bool *present);
bool vt_page_dirty(const void *addr);
bool vt_page_writeback(const void *addr);
/* Is the page at addr in the page cache (mincore)? */
bool vt_resident(const void *addr);

/*
 * Run a shell command line built from fmt; its exit status, or -1.  A
 * program of the first word's name next to the test program is preferred
 * (the test VM's busybox has smaller e2fsprogs of its own, which its shell
 * prefers to $PATH).
 */
int vt_run(const char *fmt, ...);

/* Run fn(arg) in a child process; its exit status, or -1. */
int vt_in_child(int (*fn)(void *arg), void *arg);

/* Read and write a small text file (sysfs, debugfs, procfs): 0 or -1. */
int vt_read_file(const char *path, char *buf, size_t len);
int vt_write_file(const char *path, const char *text);
/* The same for /proc/sys/<name>. */
int vt_sysctl_get(const char *name, char *buf, size_t len);
int vt_sysctl_set(const char *name, const char *value);

/*
 * Background writeback off (vm.dirty_writeback_centisecs 0, pages expire
 * after an hour), so that nothing but the calls under test writes a dirty
 * page; vt_writeback_restore() puts back what vt_writeback_off() found.
 * A zeroed struct restores nothing.
 */
struct vt_writeback {
	char interval[32];
	char expire[32];
};

int vt_writeback_off(struct vt_writeback *saved);
void vt_writeback_restore(const struct vt_writeback *saved);

/* ext4's delayed_allocation_blocks of the file system of fd; -1 if none. */
long vt_ext4_delalloc_blocks(int fd);

/*
 * The vmsync tracepoints (tracefs at /sys/kernel/tracing): start enables
 * them on an empty buffer, stop disables them.  vt_trace_read() returns the
 * trace so far, NUL-terminated and malloc()ed, or NULL.
 */
int vt_trace_start(void);
int vt_trace_stop(void);
int vt_trace_marker(const char *text);
char *vt_trace_read(void);

/* Whole size of a block device in 512-byte sectors; 0 on error. */
uint64_t vt_dev_sectors(const char *dev);
/*
 * Device mapper, by raw ioctls: create name with table (targets separated
 * by ';', each "start len type params"), replace a live table, remove.
 * vt_dm_create() writes /dev/dm-N into devpath.
 */
int vt_dm_create(const char *name, const char *table, char *devpath,
		 size_t len);
int vt_dm_reload(const char *name, const char *table);
/*
 * vt_dm_reload() without freezing the file system on the device first: a
 * freeze writes its dirty pages, through the old table.
 */
int vt_dm_swap(const char *name, const char *table);
int vt_dm_remove(const char *name);

/* Set real, effective and saved uid and gid to uid, no groups: 0 or -1. */
int vt_become(uid_t uid);

/*
 * Copy this program to <test dir>/vmsync-helper-<pid>, owned by root,
 * mode 0755, or 04755 (set-user-ID root) when setuid_bit; the name goes to
 * path.  0 or -1.  Run it as  path VT_HELPER_ARG MODE ARGS  (vt_helper()).
 */
int vt_setuid_copy(char *path, size_t len, bool setuid_bit);

/*
 * Test programs that use vt_setuid_copy() call this first in main(): it
 * returns when argv does not ask for a helper mode and never otherwise.
 */
#define VT_HELPER_ARG	"--vmsync-helper"
void vt_helper(int argc, char **argv);

/* Seconds on the monotonic clock. */
double vt_now(void);

/*
 * For tests using kselftest_harness.h: check ret and errno together, with
 * errno captured right after the call.
 */
#define EXPECT_FAIL(err, call) do {					\
		int _ret = (call);					\
		int _errno = errno;					\
		EXPECT_EQ(-1, _ret);					\
		EXPECT_EQ(err, _errno);					\
	} while (0)

#define ASSERT_OK(call) do {						\
		int _ret = (call);					\
		int _errno = errno;					\
		ASSERT_EQ(0, _ret) TH_LOG("errno %d (%s)", _errno,	\
					  strerror(_errno));		\
	} while (0)

#endif /* VMSYNC_TEST_UTIL_H */
