// SPDX-License-Identifier: GPL-2.0
/*
 * Write errors and ENOSPC at writeback: the call that hits one reports it
 * (EIO, ENOSPC; vm_msync: KERN_MEMORY_ERROR with the errno), the pages
 * whose write failed stay dirty instead of being marked clean as Linux
 * marks them, and a later call, once the device works again, puts their
 * bytes on the disk.  Checked on the disk (O_DIRECT), in the page flags
 * (kpageflags) and through the calls' results.
 *
 * Run as root.  Every fixture needs $VMSYNC_SCRATCH_DEV, a spare disk:
 *
 * - "eio" mounts the ext4 file system on it behind a device-mapper table
 *   whose "error" target covers exactly the test file's first page (found
 *   with FIEMAP), so that only that data block's writes fail.  Not
 *   dm-flakey's error_writes: flakey is also sent the empty flush bios of
 *   journal commits, and failing those makes jbd2 abort the journal; the
 *   error target receives no flushes, and metadata and journal writes go
 *   to the linear parts.  Tables are swapped without freezing the file
 *   system, which would write the dirty page itself.
 *
 * - "eio_block" does the same for a page whose block the failing write
 *   itself allocates or first writes, with the error coming late, through
 *   a "delay" target, as a disk's does (see the fixture).
 *
 * - "nospc" formats it as a small ext4 file system (the outer one) holding
 *   the image of another, attached to a loop device with direct I/O and
 *   mounted: the test file lives in that inner one.  The image is written
 *   in full, except the test file's block, punched out again; then a
 *   filler takes every free block of the outer file system.  Writing the
 *   test page needs a block the outer file system no longer has: the loop
 *   device ends the write with BLK_STS_NOSPC, as a thin-provisioned device
 *   does when its pool is full, which ext4 reports as ENOSPC (6.1's ext4
 *   records EIO for any failed data write: the test asks ext4, through a
 *   second file, what it reports, and expects exactly that).
 *   Freeing the filler is "space came back".  (Direct I/O is needed: the
 *   loop driver's buffered path turns every error into EIO.)  The scratch
 *   disk is formatted again afterwards, as the test VM made it.
 *
 * mke2fs is run from the program's directory, or from $PATH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <pthread.h>

#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/loop.h>

#include "kselftest_harness.h"
#include "vmsync/mach.h"
#include "vmsync_test_util.h"

#define P	vt_page
#define DM_NAME	"vmsync-fault"
/* The selftests' build of the module delays the vnode pager's answers. */
#define DELAY_HOOK	"/sys/kernel/debug/vmsync/test_sync_delay_ms"

/* Fill page i of a mapping with its generation-gen byte. */
static void dirty(unsigned char *map, size_t page, unsigned int gen)
{
	memset(map + page * P, vt_fill(page, gen), P);
}

static bool map_is(const unsigned char *map, size_t page, unsigned int gen)
{
	return vt_all(map + page * P, P, vt_fill(page, gen));
}

/* ---- write errors: a device-mapper table failing one data block ---- */

/* The scratch disk behind a device-mapper table, mounted, for eio fixtures. */
struct eio_disk {
	char scratch[128];
	char dev[64];
	char mnt[64];
	char path[128];		/* the test's file */
	uint64_t sectors;
	bool created;		/* the table */
	bool mounted;
	struct vt_writeback wb;
};

FIXTURE(eio) {
	struct eio_disk d;
	int fd;
	int other;		/* another open file description */
	int disk;
	unsigned char *map;
};

/*
 * The whole scratch disk, linear; or with the page at byte phys of the
 * disk served by the device-mapper target fail ("error", or one that ends
 * in an error later).
 */
static int eio_table_at(const struct eio_disk *d, int64_t phys,
			const char *fail)
{
	unsigned long long sec, nsec = P / 512;
	char table[1024];

	if (phys < 0) {
		snprintf(table, sizeof(table), "0 %llu linear %s 0",
			 (unsigned long long)d->sectors, d->scratch);
		return vt_dm_swap(DM_NAME, table);
	}
	sec = (unsigned long long)phys / 512;
	snprintf(table, sizeof(table),
		 "0 %llu linear %s 0;%llu %llu %s;%llu %llu linear %s %llu",
		 sec, d->scratch, sec, nsec, fail, sec + nsec,
		 (unsigned long long)d->sectors - sec - nsec, d->scratch,
		 sec + nsec);
	return vt_dm_swap(DM_NAME, table);
}

/* The whole scratch disk, linear; or with the file's first page failing. */
static int eio_table(const struct eio_disk *d, int fd, bool fail)
{
	int64_t phys = -1;

	if (fail) {
		phys = vt_file_phys(fd, 0);
		if (phys < 0)
			return -1;
	}
	return eio_table_at(d, phys, "error");
}

/*
 * Background writeback off, and the scratch disk behind a linear
 * device-mapper table, mounted; d->path names a file "file" on it.
 */
static int eio_disk_up(struct eio_disk *d, const char *scratch)
{
	char table[1024], bdi[64];
	struct stat st;

	/* Nothing but the calls under test may write the page. */
	if (vt_writeback_off(&d->wb))
		return -1;
	snprintf(d->scratch, sizeof(d->scratch), "%s", scratch);
	d->sectors = vt_dev_sectors(scratch);
	if (!d->sectors)
		return -1;
	snprintf(table, sizeof(table), "0 %llu linear %s 0",
		 (unsigned long long)d->sectors, scratch);
	if (vt_dm_create(DM_NAME, table, d->dev, sizeof(d->dev)))
		return -1;
	d->created = true;
	/* A share of the background threshold: see vmsync_msync_test's dmfs. */
	if (stat(d->dev, &st))
		return -1;
	snprintf(bdi, sizeof(bdi), "/sys/class/bdi/%u:%u/min_ratio",
		 major(st.st_rdev), minor(st.st_rdev));
	if (vt_write_file(bdi, "10"))
		return -1;
	snprintf(d->mnt, sizeof(d->mnt), "/tmp/vmsync-fault-%d", getpid());
	if (mkdir(d->mnt, 0755))
		return -1;
	if (mount(d->dev, d->mnt, "ext4", 0, NULL))
		return -1;
	d->mounted = true;
	snprintf(d->path, sizeof(d->path), "%s/file", d->mnt);
	return 0;
}

/*
 * Undo eio_disk_up() in two steps: first the disk works again (so that
 * closing the test's files can write them), then it goes.
 */
static void eio_disk_heal(struct eio_disk *d)
{
	if (d->created)
		eio_table_at(d, -1, NULL);
	vt_writeback_restore(&d->wb);
}

static void eio_disk_down(struct eio_disk *d)
{
	if (d->mounted)
		umount(d->mnt);
	rmdir(d->mnt);
	if (d->created)
		vt_dm_remove(DM_NAME);
}

FIXTURE_SETUP(eio)
{
	const char *scratch = getenv("VMSYNC_SCRATCH_DEV");

	self->fd = -1;
	self->other = -1;
	self->disk = -1;
	if (!scratch || !*scratch)
		SKIP(return, "VMSYNC_SCRATCH_DEV names no spare ext4 disk");
	ASSERT_OK(eio_disk_up(&self->d, scratch));
	self->fd = vt_create_file(self->d.mnt, "file", 2, false);
	ASSERT_LE(0, self->fd);
	self->other = open(self->d.path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->other);
	self->disk = vt_disk_open(self->fd);
	ASSERT_LE(0, self->disk);
	self->map = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	/* Cached before the error target fails the block's reads too. */
	ASSERT_TRUE(map_is(self->map, 0, 0));
	ASSERT_TRUE(map_is(self->map, 1, 0));
	ASSERT_OK(eio_table(&self->d, self->fd, true));
}

FIXTURE_TEARDOWN(eio)
{
	vt_write_file(DELAY_HOOK, "0");
	eio_disk_heal(&self->d);
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, 2 * P);
	if (self->other >= 0)
		close(self->other);
	if (self->fd >= 0) {
		close(self->fd);
		unlink(self->d.path);
	}
	if (self->disk >= 0)
		close(self->disk);
	eio_disk_down(&self->d);
}

/*
 * msync(MS_SYNC) over a page whose write fails: EIO, and the page stays
 * dirty.  While the device fails, every call writes it again and reports
 * that new failure; none says 0.  Once the device works, the next call
 * writes it and returns 0: the errors already reported are not reported
 * again.  Another open file description gets its own report, once.
 */
TEST_F_TIMEOUT(eio, msync_keeps_failed_page_dirty, 120)
{
	unsigned long long written;

	dirty(self->map, 0, 1);
	written = 0;
	EXPECT_FAIL(EIO, vmsync_msync_counts(self->map, 2 * P, MS_SYNC,
					     &written, NULL));
	EXPECT_EQ(1, written);
	EXPECT_TRUE(vt_page_dirty(self->map));
	EXPECT_FALSE(vt_page_dirty(self->map + P));
	EXPECT_TRUE(map_is(self->map, 0, 1));

	/* Still failing: written again (not found clean), failing again. */
	written = 0;
	EXPECT_FAIL(EIO, vmsync_msync_counts(self->map, 2 * P, MS_SYNC,
					     &written, NULL));
	EXPECT_EQ(1, written);
	EXPECT_TRUE(vt_page_dirty(self->map));

	ASSERT_OK(eio_table(&self->d, self->fd, false));
	written = 0;
	EXPECT_EQ(0, vmsync_msync_counts(self->map, 2 * P, MS_SYNC, &written,
					 NULL));
	EXPECT_EQ(1, written);
	EXPECT_FALSE(vt_page_dirty(self->map));
	EXPECT_TRUE(vt_disk_page_is(self->disk, self->fd, 0, vt_fill(0, 1)));
	EXPECT_TRUE(vt_disk_page_is(self->disk, self->fd, 1, vt_fill(1, 0)));
	EXPECT_EQ(0, vmsync_msync(self->map, 2 * P, MS_SYNC));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_FAIL(EIO, fsync(self->other));
	EXPECT_EQ(0, fsync(self->other));
}

/* The same through vm_msync: KERN_MEMORY_ERROR with EIO, then success. */
TEST_F_TIMEOUT(eio, vm_msync_keeps_failed_page_dirty, 120)
{
	struct vmsync_vm_msync_result res;
	uintptr_t addr = (uintptr_t)self->map;

	dirty(self->map, 0, 1);
	EXPECT_EQ(KERN_MEMORY_ERROR,
		  vmsync_vm_msync(vm_task_self(), addr, 2 * P,
				  VM_SYNC_SYNCHRONOUS, &res));
	EXPECT_EQ(EIO, res.error);
	EXPECT_EQ(1, res.pages_returned);
	EXPECT_TRUE(vt_page_dirty(self->map));

	/* With INVALIDATE too: its data is only in the cache, so it stays. */
	EXPECT_EQ(KERN_MEMORY_ERROR,
		  vmsync_vm_msync(vm_task_self(), addr, 2 * P,
				  VM_SYNC_SYNCHRONOUS | VM_SYNC_INVALIDATE,
				  &res));
	EXPECT_EQ(EIO, res.error);
	EXPECT_EQ(1, res.pages_returned);
	EXPECT_EQ(0, res.pages_discarded);
	EXPECT_TRUE(vt_resident(self->map));
	EXPECT_TRUE(vt_page_dirty(self->map));

	ASSERT_OK(eio_table(&self->d, self->fd, false));
	EXPECT_EQ(KERN_SUCCESS,
		  vmsync_vm_msync(vm_task_self(), addr, 2 * P,
				  VM_SYNC_SYNCHRONOUS, &res));
	EXPECT_EQ(0, res.error);
	EXPECT_EQ(1, res.pages_returned);
	EXPECT_FALSE(vt_page_dirty(self->map));
	EXPECT_TRUE(vt_disk_page_is(self->disk, self->fd, 0, vt_fill(0, 1)));
	EXPECT_EQ(KERN_SUCCESS,
		  vmsync_vm_msync(vm_task_self(), addr, 2 * P,
				  VM_SYNC_SYNCHRONOUS, &res));
	EXPECT_EQ(0, res.pages_returned);
}

/*
 * A write that Linux started itself (here through another open file, as
 * the flusher would) fails and leaves the page clean.  The next MS_SYNC
 * over it reports the error and makes the page dirty again, so that the
 * data is not lost: once the device works, the call after writes it.
 */
TEST_F_TIMEOUT(eio, linux_writeback_failure_not_lost, 120)
{
	dirty(self->map, 0, 1);
	/* Reports to self->other; the mapping's file keeps its own report. */
	sync_file_range(self->other, 0, 2 * P, SYNC_FILE_RANGE_WRITE |
			SYNC_FILE_RANGE_WAIT_BEFORE |
			SYNC_FILE_RANGE_WAIT_AFTER);
	ASSERT_FALSE(vt_page_dirty(self->map))
		TH_LOG("Linux kept the failed page dirty itself");

	EXPECT_FAIL(EIO, vmsync_msync(self->map, 2 * P, MS_SYNC));
	EXPECT_TRUE(vt_page_dirty(self->map));
	EXPECT_TRUE(map_is(self->map, 0, 1));

	ASSERT_OK(eio_table(&self->d, self->fd, false));
	EXPECT_EQ(0, vmsync_msync(self->map, 2 * P, MS_SYNC));
	EXPECT_FALSE(vt_page_dirty(self->map));
	EXPECT_TRUE(vt_disk_page_is(self->disk, self->fd, 0, vt_fill(0, 1)));
}

struct reporter {
	int fd;
	const unsigned char *page;
	int result;
	int error;
};

/*
 * Once the call's write has failed and its fsync waits in the pager, take
 * the error report of the same open file with fsync().
 */
static void *take_report(void *arg)
{
	struct reporter *r = arg;
	struct vmsync_stats st;
	double deadline = vt_now() + 60;

	while (vt_now() < deadline &&
	       (vmsync_get_stats(&st) || !st.requests_pending ||
		vt_page_dirty(r->page) || vt_page_writeback(r->page)))
		usleep(10000);
	r->result = fsync(r->fd);
	r->error = errno;
	return NULL;
}

/*
 * A write of the call fails and another thread's fsync() on the same open
 * file takes the error report before the call's own fsync() runs: the
 * call still keeps the page dirty, and fails, for its data is not on the
 * disk.
 */
TEST_F_TIMEOUT(eio, report_taken_during_call, 120)
{
	struct reporter r = { .fd = self->fd, .page = self->map };
	pthread_t thread;

	ASSERT_OK(vt_write_file(DELAY_HOOK, "5000"));
	dirty(self->map, 0, 1);
	ASSERT_EQ(0, pthread_create(&thread, NULL, take_report, &r));
	EXPECT_FAIL(EIO, vmsync_msync(self->map, 2 * P, MS_SYNC));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	/* The thread got the report (not a new failure of its own). */
	EXPECT_EQ(-1, r.result);
	EXPECT_EQ(EIO, r.error);
	EXPECT_TRUE(vt_page_dirty(self->map));
	EXPECT_TRUE(map_is(self->map, 0, 1));

	ASSERT_OK(vt_write_file(DELAY_HOOK, "0"));
	ASSERT_OK(eio_table(&self->d, self->fd, false));
	EXPECT_EQ(0, vmsync_msync(self->map, 2 * P, MS_SYNC));
	EXPECT_FALSE(vt_page_dirty(self->map));
	EXPECT_TRUE(vt_disk_page_is(self->disk, self->fd, 0, vt_fill(0, 1)));
}

/* ---- write errors on a block the failed write allocated ---- */

/*
 * More pages than ext4's mb_stream_req (16 blocks): the file's blocks are
 * allocated per inode, next to their neighbours, not from a per-CPU group
 * preallocation, so a page punched out gets its old block back.
 */
#define BLOCK_FILE_PAGES	32

/* Byte on the disk of the file's byte off, and its extent's flags. */
static int64_t extent_at(int fd, off_t off, uint32_t *flags)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent ext;
	} q;

	memset(&q, 0, sizeof(q));
	q.fm.fm_start = (uint64_t)off;
	q.fm.fm_length = 1;
	q.fm.fm_extent_count = 1;
	if (ioctl(fd, FS_IOC_FIEMAP, &q.fm) || q.fm.fm_mapped_extents != 1 ||
	    (uint64_t)off < q.ext.fe_logical ||
	    (uint64_t)off >= q.ext.fe_logical + q.ext.fe_length)
		return -1;
	*flags = q.ext.fe_flags;
	return (int64_t)(q.ext.fe_physical + ((uint64_t)off -
					      q.ext.fe_logical));
}

/*
 * Page 0 of the file has no block written before the failing write: it is
 * a hole (delayed allocation: the write allocates the block), or a block
 * fallocate() reserved (an unwritten extent, which the write converts).
 * ext4 converts the extent only when the write succeeds, so a write that
 * failed leaves it unwritten: a later write of the page must convert it,
 * or the file reads zeros once the page is evicted.
 *
 * The error must come as a disk's does, after the write was submitted:
 * the "error" target ends the bio inside submit_bio(), and ext4 then
 * converts the extent whatever the bio's status (ext4_put_io_end()).
 * Hence a "delay" target in front of a device that fails everything.
 */
#define DM_ERR_NAME	"vmsync-fault-err"
FIXTURE(eio_block) {
	struct eio_disk d;
	int64_t phys;		/* where the page's block is, or will be */
	int fd;
	int disk;
	unsigned char *map;
	bool err_created;
	char fail[128];		/* the failing part's target */
};

FIXTURE_VARIANT(eio_block) {
	bool fallocated;
};

FIXTURE_VARIANT_ADD(eio_block, delalloc) {
	.fallocated = false,
};

FIXTURE_VARIANT_ADD(eio_block, fallocated) {
	.fallocated = true,
};

FIXTURE_SETUP(eio_block)
{
	const char *scratch = getenv("VMSYNC_SCRATCH_DEV");
	char table[64], errdev[64];
	uint32_t flags;

	self->fd = -1;
	self->disk = -1;
	if (!scratch || !*scratch)
		SKIP(return, "VMSYNC_SCRATCH_DEV names no spare ext4 disk");
	ASSERT_OK(eio_disk_up(&self->d, scratch));
	snprintf(table, sizeof(table), "0 %zu error", P / 512);
	ASSERT_OK(vt_dm_create(DM_ERR_NAME, table, errdev, sizeof(errdev)));
	self->err_created = true;
	snprintf(self->fail, sizeof(self->fail), "delay %s 0 50", errdev);
	self->fd = vt_create_file(self->d.mnt, "file", BLOCK_FILE_PAGES, false);
	ASSERT_LE(0, self->fd);
	self->disk = vt_disk_open(self->fd);
	ASSERT_LE(0, self->disk);
	self->phys = vt_file_phys(self->fd, 0);
	ASSERT_LE(0, self->phys);
	ASSERT_OK(fallocate(self->fd, FALLOC_FL_PUNCH_HOLE |
			    FALLOC_FL_KEEP_SIZE, 0, P));
	if (variant->fallocated) {
		ASSERT_OK(fallocate(self->fd, 0, 0, P));
		self->phys = extent_at(self->fd, 0, &flags);
		ASSERT_LE(0, self->phys);
		ASSERT_TRUE(flags & FIEMAP_EXTENT_UNWRITTEN);
	}
	/* Committed: ext4 reuses a freed block only after that. */
	ASSERT_OK(syncfs(self->fd));
	self->map = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	ASSERT_TRUE(map_is(self->map, 1, 0));
	ASSERT_OK(eio_table_at(&self->d, self->phys,
			       self->fail));
}

FIXTURE_TEARDOWN(eio_block)
{
	eio_disk_heal(&self->d);
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, 2 * P);
	if (self->fd >= 0) {
		close(self->fd);
		unlink(self->d.path);
	}
	if (self->disk >= 0)
		close(self->disk);
	eio_disk_down(&self->d);
	if (self->err_created)
		vt_dm_remove(DM_ERR_NAME);
}

/*
 * The write that fails is the page's first: once the device works, the
 * call that writes it again returns 0 only with the data in the file, read
 * back from the disk after the page left the cache.
 */
TEST_F_TIMEOUT(eio_block, rewrite_reaches_file, 120)
{
	uint32_t flags = 0;
	int ret;

	dirty(self->map, 0, 1);
	ret = vmsync_msync(self->map, 2 * P, MS_SYNC);
	ASSERT_EQ(self->phys, extent_at(self->fd, 0, &flags))
		TH_LOG("ext4 put the page elsewhere than the failing block");
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EIO, errno);
	EXPECT_TRUE(vt_page_dirty(self->map));

	ASSERT_OK(eio_table_at(&self->d, -1, NULL));
	EXPECT_EQ(0, vmsync_msync(self->map, 2 * P, MS_SYNC));
	EXPECT_FALSE(vt_page_dirty(self->map));
	EXPECT_EQ(self->phys, extent_at(self->fd, 0, &flags));
	EXPECT_FALSE(flags & FIEMAP_EXTENT_UNWRITTEN)
		TH_LOG("the page's extent is still unwritten");
	EXPECT_TRUE(vt_disk_page_is(self->disk, self->fd, 0, vt_fill(0, 1)));

	/* Read back from the disk through the file. */
	ASSERT_OK(munmap(self->map, 2 * P));
	self->map = NULL;
	ASSERT_OK(posix_fadvise(self->fd, 0, 0, POSIX_FADV_DONTNEED));
	self->map = mmap(NULL, 2 * P, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	ASSERT_FALSE(vt_resident(self->map));
	EXPECT_TRUE(map_is(self->map, 0, 1));
	EXPECT_TRUE(map_is(self->map, 1, 0));
}

/* ---- ENOSPC: a loop device whose backing file cannot grow ---- */

#define NOSPC_OUTER_BLOCKS	8192		/* 32 MiB of 4 KiB blocks */
#define NOSPC_IMAGE_BYTES	(16 << 20)

FIXTURE(nospc) {
	char scratch[128];
	char dir[64];
	char outer[96];
	char inner[96];
	char image[128];
	char filler[128];
	char path[160];
	char loopdev[32];
	int image_fd;
	int filler_fd;
	int loop_fd;
	int fd;
	int probe;		/* another file, to ask ext4 what it reports */
	int disk;
	unsigned char *map;
	bool outer_mounted;
	bool inner_mounted;
	bool formatted;
	struct vt_writeback wb;
};

/* The whole image written, so that no block of it needs allocating. */
static int write_image(const char *path)
{
	size_t chunk = 1 << 20;
	char *buf = calloc(1, chunk);
	off_t off;
	int fd, ret = -1;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !buf)
		goto out;
	for (off = 0; off < NOSPC_IMAGE_BYTES; off += chunk)
		if (pwrite(fd, buf, chunk, off) != (ssize_t)chunk)
			goto out;
	ret = fsync(fd);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Attach the image to a free loop device, with direct I/O. */
static int loop_attach(int image_fd, int *loop_fd, char *dev, size_t len)
{
	struct loop_config cfg;
	char path[96], dio[8] = "";
	int ctl, nr, i;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -1;
	nr = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (nr < 0)
		return -1;
	snprintf(dev, len, "/dev/loop%d", nr);
	/* devtmpfs creates the node asynchronously. */
	for (i = 0; i < 100 && access(dev, F_OK); i++)
		usleep(10000);
	*loop_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (*loop_fd < 0)
		return -1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = (__u32)image_fd;
	cfg.block_size = 4096;
	/* Detached once the last user (the mount, our descriptor) is gone. */
	cfg.info.lo_flags = LO_FLAGS_DIRECT_IO | LO_FLAGS_AUTOCLEAR;
	if (ioctl(*loop_fd, LOOP_CONFIGURE, &cfg))
		return -1;
	snprintf(path, sizeof(path), "/sys/block/loop%d/loop/dio", nr);
	if (vt_read_file(path, dio, sizeof(dio)) || dio[0] != '1')
		return -1;
	return 0;
}

/* Fallocate from *off on until not even one more block fits: 0, or -1. */
static int fill(int fd, off_t *off)
{
	off_t len = NOSPC_OUTER_BLOCKS * 4096LL;

	while (len >= 4096) {
		if (!fallocate(fd, 0, *off, len))
			*off += len;
		else if (errno == ENOSPC)
			len /= 2;
		else
			return -1;
	}
	return 0;
}

/*
 * Take the blocks of the test file and of the probe out of the image, and
 * every free block of the outer file system into the filler: writing the
 * page then needs a block nobody can have.  The filler is closed and
 * opened again until that adds nothing: ext4 keeps blocks preallocated
 * for a file until its last writer closes it, and gives them to another
 * file's allocation when it runs out.
 */
static int starve(int fd, int probe, int image_fd, const char *filler,
		  int *filler_fd)
{
	int64_t phys = vt_file_phys(fd, 0);
	int64_t probe_phys = vt_file_phys(probe, 0);
	off_t off = 0, before;
	int round;

	if (phys < 0 || probe_phys < 0 ||
	    fallocate(image_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      phys, P) ||
	    fallocate(image_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      probe_phys, P) ||
	    syncfs(image_fd))
		return -1;
	for (round = 0; round < 8; round++) {
		before = off;
		if (fill(*filler_fd, &off))
			return -1;
		close(*filler_fd);
		*filler_fd = open(filler, O_RDWR | O_CLOEXEC);
		if (*filler_fd < 0 || syncfs(*filler_fd))
			return -1;
		if (round && off == before)
			break;
	}
	ksft_print_msg("outer file system full: filler %lld KiB after %d rounds\n",
		       (long long)off / 1024, round + 1);
	return round < 8 ? 0 : -1;
}

/*
 * What ext4 itself reports for such a write: write() and fsync() of the
 * probe file, whose block is gone too.  ENOSPC on 6.12; 6.1's
 * ext4_finish_bio() records EIO whatever the block layer said.
 */
static int fs_errno(int probe)
{
	unsigned char *buf = malloc(P);
	int ret = -1;

	if (!buf)
		return -1;
	memset(buf, 0x5a, P);
	if (pwrite(probe, buf, P, 0) == (ssize_t)P)
		ret = fsync(probe) ? errno : 0;
	free(buf);
	return ret;
}

/* Space comes back: the filler's blocks are free once that commits. */
static int feed(int filler_fd)
{
	if (ftruncate(filler_fd, 0))
		return -1;
	return syncfs(filler_fd);
}

FIXTURE_SETUP(nospc)
{
	const char *scratch = getenv("VMSYNC_SCRATCH_DEV");
	int ret;

	self->image_fd = -1;
	self->filler_fd = -1;
	self->loop_fd = -1;
	self->fd = -1;
	self->probe = -1;
	self->disk = -1;
	self->map = MAP_FAILED;
	if (!scratch || !*scratch)
		SKIP(return, "VMSYNC_SCRATCH_DEV names no spare disk");
	snprintf(self->scratch, sizeof(self->scratch), "%s", scratch);
	ASSERT_OK(vt_writeback_off(&self->wb));

	snprintf(self->dir, sizeof(self->dir), "/tmp/vmsync-nospc-%d",
		 getpid());
	snprintf(self->outer, sizeof(self->outer), "%s/outer", self->dir);
	snprintf(self->inner, sizeof(self->inner), "%s/inner", self->dir);
	snprintf(self->image, sizeof(self->image), "%s/image", self->outer);
	snprintf(self->filler, sizeof(self->filler), "%s/filler", self->outer);
	snprintf(self->path, sizeof(self->path), "%s/file", self->inner);
	ASSERT_OK(mkdir(self->dir, 0755));
	ASSERT_OK(mkdir(self->outer, 0755));
	ASSERT_OK(mkdir(self->inner, 0755));

	/* The outer file system: small, nothing reserved for root. */
	self->formatted = true;
	ASSERT_EQ(0, vt_run("mke2fs -F -q -t ext4 -b 4096 -m 0 %s %d",
			    self->scratch, NOSPC_OUTER_BLOCKS));
	ASSERT_OK(mount(self->scratch, self->outer, "ext4", 0, NULL));
	self->outer_mounted = true;

	/*
	 * The inner one, made in the written image: no discard, no zeroing
	 * by punching holes (UNIX_IO_NOZEROOUT), inode tables and journal
	 * written now rather than later.
	 */
	ASSERT_OK(write_image(self->image));
	ASSERT_OK(setenv("UNIX_IO_NOZEROOUT", "1", 1));
	ret = vt_run("mke2fs -F -q -t ext4 -b 4096 -m 0 -E %s %s",
		     "nodiscard,lazy_itable_init=0,lazy_journal_init=0",
		     self->image);
	unsetenv("UNIX_IO_NOZEROOUT");
	ASSERT_EQ(0, ret);
	self->image_fd = open(self->image, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->image_fd);
	/* Every block of it allocated. */
	ASSERT_EQ(NOSPC_IMAGE_BYTES, lseek(self->image_fd, 0, SEEK_HOLE));
	self->filler_fd = open(self->filler, O_RDWR | O_CREAT | O_CLOEXEC,
			       0600);
	ASSERT_LE(0, self->filler_fd);

	ASSERT_OK(loop_attach(self->image_fd, &self->loop_fd, self->loopdev,
			      sizeof(self->loopdev)));
	ASSERT_OK(mount(self->loopdev, self->inner, "ext4", 0, NULL));
	self->inner_mounted = true;

	self->fd = vt_create_file(self->inner, "file", 2, false);
	ASSERT_LE(0, self->fd);
	self->probe = vt_create_file(self->inner, "probe", 1, false);
	ASSERT_LE(0, self->probe);
	self->disk = vt_disk_open(self->fd);
	ASSERT_LE(0, self->disk);
	self->map = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	ASSERT_TRUE(map_is(self->map, 0, 0));
	ASSERT_TRUE(map_is(self->map, 1, 0));
	ASSERT_OK(starve(self->fd, self->probe, self->image_fd, self->filler,
			 &self->filler_fd));
	/* The punched block reads as zeros on the loop device now. */
	ASSERT_TRUE(vt_disk_page_is(self->disk, self->fd, 0, 0));
}

FIXTURE_TEARDOWN(nospc)
{
	/* Space first, so that unmounting can write what is dirty. */
	if (self->filler_fd >= 0) {
		feed(self->filler_fd);
		close(self->filler_fd);
	}
	if (self->map != MAP_FAILED)
		munmap(self->map, 2 * P);
	if (self->fd >= 0)
		close(self->fd);
	if (self->probe >= 0)
		close(self->probe);
	if (self->disk >= 0)
		close(self->disk);
	if (self->inner_mounted)
		umount(self->inner);
	if (self->loop_fd >= 0)
		close(self->loop_fd);
	if (self->image_fd >= 0)
		close(self->image_fd);
	if (self->outer_mounted)
		umount(self->outer);
	rmdir(self->inner);
	rmdir(self->outer);
	rmdir(self->dir);
	/* Leave the disk as the test VM made it, for the tests after us. */
	if (self->formatted)
		vt_run("mke2fs -F -q -t ext4 -b 4096 %s", self->scratch);
	vt_writeback_restore(&self->wb);
}

/*
 * MS_SYNC, then vm_msync(SYNCHRONOUS), over a page whose block the device
 * cannot provide: the error fsync() would report (ENOSPC), the page stays
 * dirty, and the next call after space came back writes it.
 */
TEST_F_TIMEOUT(nospc, enospc_keeps_page_dirty, 300)
{
	struct vmsync_vm_msync_result res;
	uintptr_t addr = (uintptr_t)self->map;
	unsigned long long written;
	int want = fs_errno(self->probe);

	ksft_print_msg("ext4 reports %s for a write the device has no space for\n",
		       want > 0 ? strerror(want) : "nothing");
	ASSERT_TRUE(want == ENOSPC || want == EIO);
	dirty(self->map, 0, 1);
	written = 0;
	EXPECT_FAIL(want, vmsync_msync_counts(self->map, 2 * P, MS_SYNC,
					      &written, NULL));
	EXPECT_EQ(1, written);
	EXPECT_TRUE(vt_page_dirty(self->map));
	EXPECT_TRUE(map_is(self->map, 0, 1));
	EXPECT_TRUE(vt_disk_page_is(self->disk, self->fd, 0, 0));
	/* Still no space: written again, failing again. */
	written = 0;
	EXPECT_FAIL(want, vmsync_msync_counts(self->map, 2 * P, MS_SYNC,
					      &written, NULL));
	EXPECT_EQ(1, written);
	EXPECT_TRUE(vt_page_dirty(self->map));

	ASSERT_OK(feed(self->filler_fd));
	EXPECT_EQ(0, vmsync_msync(self->map, 2 * P, MS_SYNC));
	EXPECT_FALSE(vt_page_dirty(self->map));
	EXPECT_TRUE(vt_disk_page_is(self->disk, self->fd, 0, vt_fill(0, 1)));
	EXPECT_TRUE(vt_disk_page_is(self->disk, self->fd, 1, vt_fill(1, 0)));

	/* vm_msync: KERN_MEMORY_ERROR with that errno. */
	ASSERT_OK(starve(self->fd, self->probe, self->image_fd, self->filler,
			 &self->filler_fd));
	dirty(self->map, 0, 2);
	EXPECT_EQ(KERN_MEMORY_ERROR,
		  vmsync_vm_msync(vm_task_self(), addr, 2 * P,
				  VM_SYNC_SYNCHRONOUS, &res));
	EXPECT_EQ(want, res.error);
	EXPECT_EQ(1, res.pages_returned);
	EXPECT_TRUE(vt_page_dirty(self->map));

	ASSERT_OK(feed(self->filler_fd));
	EXPECT_EQ(KERN_SUCCESS,
		  vmsync_vm_msync(vm_task_self(), addr, 2 * P,
				  VM_SYNC_SYNCHRONOUS, &res));
	EXPECT_EQ(1, res.pages_returned);
	EXPECT_FALSE(vt_page_dirty(self->map));
	EXPECT_TRUE(vt_disk_page_is(self->disk, self->fd, 0, vt_fill(0, 2)));
}

TEST_HARNESS_MAIN
