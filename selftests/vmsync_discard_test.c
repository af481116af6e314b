// SPDX-License-Identifier: GPL-2.0
/*
 * VM_SYNC_INVALIDATE alone discards dirty pages without writing them.  It
 * must never expose bytes the caller could not read: after a discard the
 * file reads its previous contents or zeros, never the blocks of a deleted
 * file, whatever ext4's options (from the command line, the superblock's
 * defaults or ext4's own fallbacks).  Pages the module cannot prove safe
 * stay, dirty: KERN_FAILURE with EOPNOTSUPP (data journaling too).  Pages
 * a mounted file system holds, and the changes of immutable and
 * append-only files, stay too (EBUSY; EPERM).
 *
 * Run as root with $VMSYNC_SCRATCH_DEV naming a spare disk (it is
 * reformatted, and left as a whole-disk ext4 with 4 KiB blocks), and
 * mke2fs, tune2fs and e2fsck next to the test or in $PATH;
 * $VMSYNC_TEST_DIR on ext4 with its default options.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
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
#include <sys/wait.h>
#include <unistd.h>

#include <linux/fs.h>

#include "kselftest_harness.h"
#include "vmsync/mach.h"
#include "vmsync_test_util.h"
#include "vmsync_testfile.h"

#define INVAL		VM_SYNC_INVALIDATE
#define SELF		vm_task_self()
#define SECRET		0x5e	/* the deleted file's bytes (vt_fill() is odd) */
#define FILLER		0xf0	/* a file that stays, filling the disk */
#define VICTIM		0x3c	/* what the caller writes through its mapping */
#define NV		16	/* pages of the victim file */
#define SMALL_FS_BLOCKS	8192	/* 32 MiB: quick to fill */
#define LEFT_FREE	150	/* blocks: below ext4_nonda_switch()'s mark */

static vm_address_t addr_of(const void *p)
{
	return (vm_address_t)p;
}

/* Does buf[0..len) contain byte c anywhere? */
static bool has_byte(const unsigned char *buf, size_t len, unsigned char c)
{
	return memchr(buf, c, len);
}

/*
 * Read the whole file, npages pages, through the page cache (pread) or
 * straight from the disk (O_DIRECT) into buf.  0 or -1.
 */
static int read_all(const char *path, bool direct, unsigned char *buf,
		    size_t npages)
{
	size_t len = npages * P;
	unsigned char *aligned;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
	if (fd < 0)
		return -1;
	if (posix_memalign((void **)&aligned, P, len)) {
		close(fd);
		return -1;
	}
	n = pread(fd, aligned, len, 0);
	close(fd);
	memcpy(buf, aligned, len);
	free(aligned);
	return n == (ssize_t)len ? 0 : -1;
}

/*
 * Write byte c to path until the file has max bytes or the file system is
 * full, then fsync it.  Returns the bytes written.
 */
static long long fill_file(const char *path, unsigned char c, long long max)
{
	const size_t chunk = 1 << 20;
	unsigned char *buf = malloc(chunk);
	long long done = 0;
	size_t step = chunk;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !buf) {
		free(buf);
		return -1;
	}
	memset(buf, c, chunk);
	while (done < max) {
		size_t want = step;

		if ((long long)want > max - done)
			want = (size_t)(max - done);
		n = write(fd, buf, want);
		if (n > 0) {
			done += n;
			continue;
		}
		/* Full: finish the last blocks page by page. */
		if (step == P)
			break;
		step = P;
	}
	fsync(fd);
	close(fd);
	free(buf);
	return done;
}

/* The scratch disk, a mount point for it and a victim file there. */
struct scratch {
	char dev[128];
	char dir[256];
	char path[512];
	bool mounted;
	int fd;
	unsigned char *map;
	unsigned char *buf;
	struct vt_writeback wb;
};

static void sd_setup(struct __test_metadata *_metadata, struct scratch *self)
{
	const char *dev = getenv("VMSYNC_SCRATCH_DEV");

	self->fd = -1;
	self->map = MAP_FAILED;
	ASSERT_TRUE(dev && *dev) TH_LOG("VMSYNC_SCRATCH_DEV names no spare disk");
	snprintf(self->dev, sizeof(self->dev), "%s", dev);
	snprintf(self->dir, sizeof(self->dir), "%s/discard-mnt-%d",
		 vt_test_dir(), getpid());
	snprintf(self->path, sizeof(self->path), "%s/victim", self->dir);
	ASSERT_OK(mkdir(self->dir, 0700));
	self->buf = malloc(NV * P);
	ASSERT_NE(NULL, self->buf);
	ASSERT_LE(0, vmsync_fd()) TH_LOG("%s", vmsync_strerror(errno));
	/* Nothing but the call under test writes a dirty page. */
	ASSERT_OK(vt_writeback_off(&self->wb));
}

static void sd_teardown(struct scratch *self)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, NV * P);
	if (self->fd >= 0)
		close(self->fd);
	if (self->mounted)
		umount(self->dir);
	rmdir(self->dir);
	/* Leave the disk as the test VM made it, for the tests after us. */
	vt_run("mke2fs -F -q -t ext4 -b 4096 %s", self->dev);
	vt_writeback_restore(&self->wb);
	free(self->buf);
}

/*
 * Format the scratch disk (blocks: 0 for all of it), apply tune2fs
 * options, mount it as ext4 and let root fill every block.
 */
static int scratch_mount(struct scratch *self, const char *fstype,
			 const char *tune, unsigned long blocks)
{
	const char *name = strrchr(self->dev, '/') + 1;
	char path[256], size[32] = "";

	if (blocks)
		snprintf(size, sizeof(size), "%lu", blocks);
	if (vt_run("mke2fs -F -q -t %s -b 4096 -m 0 %s %s", fstype,
		   self->dev, size))
		return -1;
	if (tune && vt_run("tune2fs %s %s > /dev/null", tune, self->dev))
		return -1;
	if (mount(self->dev, self->dir, "ext4", 0, NULL))
		return -1;
	self->mounted = true;
	/* ext4 keeps 2% for itself; root may take every block here. */
	snprintf(path, sizeof(path), "/sys/fs/ext4/%s/reserved_clusters", name);
	return vt_write_file(path, "0");
}

/*
 * Leave a deleted secret in every free block: a file of SECRET bytes
 * filling the file system (after a FILLER file leaving left_free blocks,
 * if left_free), written, unlinked, and its freeing committed.
 */
static int plant_secret(struct scratch *self, long long left_free)
{
	char secret[600], filler[600];
	struct statfs st;
	long long n;

	snprintf(secret, sizeof(secret), "%s/secret", self->dir);
	snprintf(filler, sizeof(filler), "%s/filler", self->dir);
	if (left_free) {
		if (statfs(self->dir, &st))
			return -1;
		n = ((long long)st.f_bfree - left_free) * (long long)st.f_bsize;
		if (n <= 0 || fill_file(filler, FILLER, n) != n)
			return -1;
	}
	n = fill_file(secret, SECRET, 1LL << 40);
	if (n < (long long)(NV * P) || unlink(secret))
		return -1;
	sync();
	return 0;
}

/* Create the victim, NV pages of holes, mapped shared. */
static int victim_map(struct scratch *self)
{
	self->fd = open(self->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			0600);
	if (self->fd < 0 || ftruncate(self->fd, NV * P))
		return -1;
	self->map = mmap(NULL, NV * P, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	return self->map == MAP_FAILED ? -1 : 0;
}

/*
 * No byte of the deleted file is visible, through the page cache or on
 * the disk; each page holds either the caller's bytes or the hole's zeros,
 * kept_byte or 0.
 */
static void check_no_secret(struct __test_metadata *_metadata,
			    struct scratch *self, int kept_byte)
{
	size_t i;
	int direct;

	for (direct = 0; direct < 2; direct++) {
		ASSERT_OK(read_all(self->path, direct, self->buf, NV));
		EXPECT_FALSE(has_byte(self->buf, NV * P, SECRET))
			TH_LOG("%s shows a deleted file's bytes",
			       direct ? "the disk" : "the page cache");
		for (i = 0; i < NV; i++)
			if (!vt_all(self->buf + i * P, P,
				    (unsigned char)kept_byte))
				break;
		EXPECT_EQ(NV, i) TH_LOG("page %zu, %s: %#x, not %#x", i,
					direct ? "O_DIRECT" : "pread",
					self->buf[i * P], kept_byte);
	}
}

/*
 * A write fault into a hole, then VM_SYNC_INVALIDATE alone, with the free
 * blocks all holding a deleted secret.
 */
FIXTURE(scratch) {
	struct scratch s;
};

FIXTURE_VARIANT(scratch) {
	const char *fstype;	/* mke2fs -t; always mounted as ext4 */
	const char *tune;	/* tune2fs options */
	bool nearly_full;	/* so that ext4_nonda_switch() says so */
	bool kept;		/* the pages cannot be discarded safely */
};

/* Delayed allocation off in the superblock's default mount options. */
FIXTURE_VARIANT_ADD(scratch, ext4_default_mntopts_nodelalloc) {
	.fstype = "ext4", .tune = "-o nodelalloc", .kept = true,
};

/* ... and in the superblock's mount options string. */
FIXTURE_VARIANT_ADD(scratch, ext4_sb_mount_opts_nodelalloc) {
	.fstype = "ext4", .tune = "-E mount_opts=nodelalloc", .kept = true,
};

/* Files without extents: no unwritten extents to allocate. */
FIXTURE_VARIANT_ADD(scratch, ext3_disk_nearly_full) {
	.fstype = "ext3", .nearly_full = true, .kept = true,
};

FIXTURE_VARIANT_ADD(scratch, ext3_disk) {
	.fstype = "ext3",
};

/* Allocation at fault time, but of unwritten extents: zeros. */
FIXTURE_VARIANT_ADD(scratch, ext4_nearly_full) {
	.fstype = "ext4", .nearly_full = true,
};

/* Delayed allocation: no block yet; the hole's zeros come back. */
FIXTURE_VARIANT_ADD(scratch, ext4_defaults) {
	.fstype = "ext4",
};

FIXTURE_SETUP(scratch)
{
	sd_setup(_metadata, &self->s);
}

FIXTURE_TEARDOWN(scratch)
{
	sd_teardown(&self->s);
}

TEST_F_TIMEOUT(scratch, fault_into_hole_never_shows_deleted_data, 300)
{
	struct scratch *s = &self->s;
	struct vmsync_vm_msync_result res;
	bool kept = variant->kept;
	size_t i;
	int kr;

	ASSERT_OK(scratch_mount(s, variant->fstype, variant->tune,
				SMALL_FS_BLOCKS));
	ASSERT_OK(plant_secret(s, variant->nearly_full ? LEFT_FREE : 0));
	ASSERT_OK(victim_map(s));
	for (i = 0; i < NV; i++)
		memset(s->map + i * P, VICTIM, P);
	for (i = 0; i < NV; i++)
		ASSERT_TRUE(vt_page_dirty(s->map + i * P));
	/*
	 * Whether a nearly full ext3 disk allocates at fault time is ext4's
	 * free-space estimate's to decide (ext4_nonda_switch()); the debug
	 * kernel's has been seen to delay the allocation instead.  The pages
	 * are then the delayed case, discarded as zeros; either way no
	 * deleted byte may show.
	 */
	if (kept && variant->nearly_full && vt_file_phys(s->fd, 0) < 0) {
		TH_LOG("%s: the allocation was delayed: the delayed case is checked",
		       variant->fstype);
		kept = false;
	}

	kr = vmsync_vm_msync(SELF, addr_of(s->map), NV * P, INVAL, &res);
	EXPECT_EQ(0, res.pages_returned);
	if (kept) {
		EXPECT_EQ(KERN_FAILURE, kr);
		EXPECT_EQ(EOPNOTSUPP, res.error);
		EXPECT_EQ(0, res.pages_discarded);
		for (i = 0; i < NV; i++) {
			EXPECT_TRUE(vt_page_dirty(s->map + i * P));
			EXPECT_TRUE(vt_all(s->map + i * P, P, VICTIM));
		}
	} else {
		EXPECT_EQ(KERN_SUCCESS, kr);
		EXPECT_EQ(0, res.error);
		EXPECT_EQ(NV, res.pages_discarded);
		for (i = 0; i < NV; i++)
			EXPECT_FALSE(vt_resident(s->map + i * P));
	}
	check_no_secret(_metadata, s, kept ? VICTIM : 0);
}

/*
 * A block device that a file system is mounted on is the file system's:
 * neither its dirty nor its clean pages are dropped (EBUSY), and the file
 * system survives its unmount and e2fsck.  Once nobody holds it, its pages
 * are discarded again.
 */
FIXTURE(bdev) {
	struct scratch s;
};

FIXTURE_SETUP(bdev)
{
	sd_setup(_metadata, &self->s);
}

FIXTURE_TEARDOWN(bdev)
{
	sd_teardown(&self->s);
}

TEST_F_TIMEOUT(bdev, mounted_block_device_kept, 300)
{
	struct scratch *s = &self->s;
	struct vmsync_vm_msync_result res;
	unsigned char *dev, *page;
	char path[600];
	off_t size, last;
	size_t i;
	int fd, disk;

	/* Whole disk: the mapping is of all of it. */
	ASSERT_OK(scratch_mount(s, "ext4", NULL, 0));
	for (i = 0; i < 32; i++) {
		snprintf(path, sizeof(path), "%s/f%zu", s->dir, i);
		fd = vt_create_file(s->dir, strrchr(path, '/') + 1, 2,
				    false);
		ASSERT_LE(0, fd);
		close(fd);
	}
	/* Committed, not yet checkpointed: the journal holds the buffers. */
	disk = open(s->dev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, disk);
	size = lseek(disk, 0, SEEK_END);
	ASSERT_LT(0, size);
	dev = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, disk, 0);
	ASSERT_NE(MAP_FAILED, dev);
	/* The superblock's page, cached and mapped. */
	ASSERT_EQ(0xef53, dev[1024 + 56] | dev[1024 + 57] << 8);

	EXPECT_EQ(KERN_FAILURE, vmsync_vm_msync(SELF, addr_of(dev), size,
						INVAL, &res));
	EXPECT_EQ(EBUSY, res.error);
	EXPECT_EQ(0, res.pages_discarded);
	EXPECT_TRUE(vt_resident(dev));
	EXPECT_FAIL(EBUSY, vmsync_msync(dev, size, MS_INVALIDATE));
	EXPECT_TRUE(vt_resident(dev));

	/* More metadata changes, then the unmount checkpoints the journal. */
	for (i = 0; i < 32; i++) {
		snprintf(path, sizeof(path), "%s/f%zu", s->dir, i);
		ASSERT_OK(unlink(path));
	}
	ASSERT_OK(umount(s->dir));
	s->mounted = false;
	EXPECT_EQ(0, vt_run("e2fsck -fn %s > /dev/null 2>&1", s->dev));

	/* Nobody holds it now: a change to its last page is discarded. */
	last = size - (off_t)P;
	page = malloc(P);
	ASSERT_NE(NULL, page);
	memcpy(page, dev + last, P);
	memset(dev + last, VICTIM, P);
	ASSERT_TRUE(vt_page_dirty(dev + last));
	EXPECT_EQ(KERN_SUCCESS, vmsync_vm_msync(SELF, addr_of(dev + last), P,
						INVAL, &res));
	EXPECT_EQ(1, res.pages_discarded);
	EXPECT_FALSE(vt_resident(dev + last));
	EXPECT_EQ(0, memcmp(page, dev + last, P));
	free(page);
	munmap(dev, size);
	close(disk);
	EXPECT_EQ(0, vt_run("e2fsck -fn %s > /dev/null 2>&1", s->dev));
}

/* --- ext4 with its defaults, on the test file system ----------------- */

FIXTURE(defaults) {
	struct testfile f;
};

FIXTURE_SETUP(defaults)
{
	testfile_setup(_metadata, &self->f);
}

FIXTURE_TEARDOWN(defaults)
{
	testfile_teardown(&self->f);
}

/* Pages read from the disk, then dirtied: discarded, the disk's bytes back. */
TEST_F(defaults, read_from_disk_discarded)
{
	struct vmsync_vm_msync_result res;
	unsigned char *buf = malloc(NPAGES * P);
	size_t i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < NPAGES; i++) {
		ASSERT_TRUE(map_is(self->f.map, i, 0));
		dirty(self->f.map, i, 1);
	}
	ASSERT_EQ(KERN_SUCCESS, vmsync_vm_msync(SELF, addr_of(self->f.map),
						NPAGES * P, INVAL, &res));
	EXPECT_EQ(NPAGES, res.pages_discarded);
	EXPECT_EQ(0, res.pages_returned);
	for (i = 0; i < NPAGES; i++) {
		EXPECT_FALSE(vt_resident(self->f.map + i * P));
		EXPECT_TRUE(vt_disk_page_is(self->f.disk, self->f.fd, i,
					    vt_fill(i, 0)));
	}
	ASSERT_EQ((ssize_t)(NPAGES * P), pread(self->f.fd, buf, NPAGES * P, 0));
	for (i = 0; i < NPAGES; i++)
		EXPECT_TRUE(vt_all(buf + i * P, P, vt_fill(i, 0)));
	free(buf);
	/* A page like any other again: a change to it is written. */
	dirty(self->f.map, 0, 2);
	ASSERT_EQ(KERN_SUCCESS, vm_msync(SELF, addr_of(self->f.map), P,
					 VM_SYNC_ASYNCHRONOUS));
	EXPECT_TRUE(disk_becomes(self->f.disk, self->f.fd, 0, 2));
	EXPECT_WRITTEN(0, 2);
}

/*
 * A page whose block was written from the cache (write(), then fsync) and
 * never read back: nothing the kernel shows proves the block holds it, so
 * its change is kept.
 */
TEST_F(defaults, written_not_read_kept)
{
	struct vmsync_vm_msync_result res;
	unsigned char *buf = malloc(P);
	unsigned char *m;
	int fd;

	ASSERT_NE(NULL, buf);
	memset(buf, vt_fill(0, 0), P);
	fd = open(self->f.path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	/* A new page at the end, written and on the disk, still cached. */
	ASSERT_EQ((ssize_t)P, pwrite(fd, buf, P, NPAGES * P));
	ASSERT_OK(fsync(fd));
	m = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, NPAGES * P);
	ASSERT_NE(MAP_FAILED, m);
	memset(m, VICTIM, P);
	EXPECT_EQ(KERN_FAILURE, vmsync_vm_msync(SELF, addr_of(m), P, INVAL,
						&res));
	EXPECT_EQ(EOPNOTSUPP, res.error);
	EXPECT_EQ(0, res.pages_discarded);
	EXPECT_TRUE(vt_page_dirty(m));
	EXPECT_TRUE(vt_all(m, P, VICTIM));
	munmap(m, P);
	close(fd);
	free(buf);
}

/*
 * Per-inode data journaling (chattr +j): the data belongs to the journal
 * until it is checkpointed; its changes are kept.
 */
TEST_F(defaults, journalled_data_kept)
{
	struct vmsync_vm_msync_result res;
	int flags;

	ASSERT_OK(ioctl(self->f.fd, FS_IOC_GETFLAGS, &flags));
	flags |= FS_JOURNAL_DATA_FL;
	ASSERT_OK(ioctl(self->f.fd, FS_IOC_SETFLAGS, &flags));
	ASSERT_TRUE(map_is(self->f.map, 0, 0));
	dirty(self->f.map, 0, 1);
	EXPECT_EQ(KERN_FAILURE, vmsync_vm_msync(SELF, addr_of(self->f.map), P,
						INVAL, &res));
	EXPECT_EQ(EOPNOTSUPP, res.error);
	EXPECT_EQ(0, res.pages_discarded);
	EXPECT_TRUE(vt_resident(self->f.map));
	EXPECT_TRUE(map_is(self->f.map, 0, 1));
	flags &= ~FS_JOURNAL_DATA_FL;
	ASSERT_OK(ioctl(self->f.fd, FS_IOC_SETFLAGS, &flags));
}

/* --- attributes that forbid discarding ------------------------------- */

FIXTURE(attr) {
	struct testfile f;
};

FIXTURE_VARIANT(attr) {
	int flag;		/* FS_IOC_SETFLAGS */
	bool flushed;		/* ext4 writes the changes as it sets it */
};

FIXTURE_VARIANT_ADD(attr, immutable) {
	.flag = FS_IMMUTABLE_FL, .flushed = true,
};

FIXTURE_VARIANT_ADD(attr, append_only) {
	.flag = FS_APPEND_FL,
};

FIXTURE_SETUP(attr)
{
	testfile_setup(_metadata, &self->f);
}

FIXTURE_TEARDOWN(attr)
{
	int flags = 0;

	ioctl(self->f.fd, FS_IOC_SETFLAGS, &flags);
	testfile_teardown(&self->f);
}

/*
 * Set after mapping: the pending changes of an immutable or append-only
 * file are never discarded (KERN_PROTECTION_FAILURE, EPERM); its clean
 * pages are still dropped.  ext4 itself writes a file's dirty pages when
 * it makes it immutable (and makes them read-only): then the change is on
 * the disk before the call, and stays there.
 */
TEST_F(attr, pending_changes_kept)
{
	struct vmsync_vm_msync_result res;
	int flags;

	ASSERT_TRUE(map_is(self->f.map, 0, 0));
	ASSERT_TRUE(map_is(self->f.map, 1, 0));
	dirty(self->f.map, 0, 1);
	ASSERT_OK(ioctl(self->f.fd, FS_IOC_GETFLAGS, &flags));
	flags |= variant->flag;
	ASSERT_OK(ioctl(self->f.fd, FS_IOC_SETFLAGS, &flags));

	if (variant->flushed) {
		EXPECT_WRITTEN(0, 1);
		EXPECT_EQ(KERN_SUCCESS,
			  vmsync_vm_msync(SELF, addr_of(self->f.map), 2 * P,
					  INVAL, &res));
		EXPECT_EQ(2, res.pages_discarded);
		EXPECT_TRUE(vt_disk_page_is(self->f.disk, self->f.fd, 0,
					    vt_fill(0, 1)));
		EXPECT_TRUE(map_is(self->f.map, 0, 1));
		return;
	}
	EXPECT_EQ(KERN_PROTECTION_FAILURE,
		  vmsync_vm_msync(SELF, addr_of(self->f.map), 2 * P, INVAL,
				  &res));
	EXPECT_EQ(EPERM, res.error);
	EXPECT_EQ(0, res.pages_returned);
	EXPECT_EQ(1, res.pages_discarded);
	EXPECT_UNTOUCHED(0);
	EXPECT_TRUE(map_is(self->f.map, 0, 1));
	EXPECT_FALSE(vt_resident(self->f.map + P));

	/* The attribute gone, the change can go. */
	flags &= ~variant->flag;
	ASSERT_OK(ioctl(self->f.fd, FS_IOC_SETFLAGS, &flags));
	EXPECT_EQ(KERN_SUCCESS, vmsync_vm_msync(SELF, addr_of(self->f.map), P,
						INVAL, &res));
	EXPECT_EQ(1, res.pages_discarded);
	EXPECT_TRUE(map_is(self->f.map, 0, 0));
}

/* --- "discarded" is exact, even with writeback racing ----------------- */

#define RACE_PAGES	256
#define RACE_ROUNDS	20

struct flusher {
	int fd;
	atomic_bool stop;
};

/* Start writeback of the whole file, again and again, as the flusher would. */
static void *flush_loop(void *arg)
{
	struct flusher *fl = arg;

	while (!atomic_load(&fl->stop))
		sync_file_range(fl->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	return NULL;
}

/* Dirty pages the vmsync_discard_dirty events of the trace so far count. */
static long long dirty_discarded(void)
{
	char *buf = vt_trace_read(), *p;
	long long pages = 0;

	if (!buf)
		return -1;
	for (p = buf; (p = strstr(p, "vmsync_discard_dirty:")); p++) {
		char *field = strstr(p, "pages=");

		if (field)
			pages += strtoll(field + strlen("pages="), NULL, 10);
	}
	free(buf);
	return pages;
}

/*
 * A page counted as discarded is one whose change never reaches the disk:
 * with writeback started on the file all the time, each dirty page is
 * either written (and then not discarded) or discarded (and then the disk
 * keeps its old bytes), never both.  The page must leave the cache under
 * the same folio lock under which it is judged, or writeback can slip in
 * between.
 */
TEST_F_TIMEOUT(defaults, discarded_is_exact_under_writeback, 300)
{
	struct vmsync_vm_msync_result res;
	struct flusher fl = { .stop = false };
	long long discarded = 0, gone;
	size_t i, round, old, written;
	unsigned char *map;
	pthread_t thread;
	char name[64];
	int fd, disk;

	snprintf(name, sizeof(name), "race-%d", getpid());
	fd = vt_create_file(vt_test_dir(), name, RACE_PAGES, true);
	ASSERT_LE(0, fd);
	disk = vt_disk_open(fd);
	ASSERT_LE(0, disk);
	map = mmap(NULL, RACE_PAGES * P, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	fl.fd = fd;

	for (round = 1; round <= RACE_ROUNDS; round++) {
		/* Read from the disk (discardable), then changed. */
		for (i = 0; i < RACE_PAGES; i++) {
			ASSERT_TRUE(map_is(map, i, round - 1));
			dirty(map, i, round);
		}
		ASSERT_OK(vt_trace_start());
		ASSERT_EQ(0, pthread_create(&thread, NULL, flush_loop, &fl));
		vmsync_vm_msync(SELF, addr_of(map), RACE_PAGES * P, INVAL,
				&res);
		atomic_store(&fl.stop, true);
		ASSERT_EQ(0, pthread_join(thread, NULL));
		atomic_store(&fl.stop, false);
		ASSERT_EQ(0, fsync(fd));
		/* The clean pages the flusher wrote are dropped too: not those. */
		gone = dirty_discarded();
		ASSERT_OK(vt_trace_stop());
		ASSERT_LE(0, gone);

		old = 0;
		written = 0;
		for (i = 0; i < RACE_PAGES; i++) {
			if (vt_disk_page_is(disk, fd, i, vt_fill(i, round - 1)))
				old++;
			else if (vt_disk_page_is(disk, fd, i,
						 vt_fill(i, round)))
				written++;
		}
		ASSERT_EQ(RACE_PAGES, old + written);
		ASSERT_LE(gone, (long long)old)
			TH_LOG("round %zu: %lld discarded, %zu written",
			       round, gone, written);
		discarded += gone;

		/* Next round starts from the disk's bytes, every page the same. */
		for (i = 0; i < RACE_PAGES; i++)
			if (!vt_disk_page_is(disk, fd, i, vt_fill(i, round)))
				dirty(map, i, round);
		ASSERT_EQ(0, vmsync_msync(map, RACE_PAGES * P,
					  MS_SYNC | MS_INVALIDATE));
	}
	printf("# %d rounds of %d pages: %lld discarded, the rest written\n",
	       RACE_ROUNDS, RACE_PAGES, discarded);
	munmap(map, RACE_PAGES * P);
	close(disk);
	close(fd);
}

TEST_HARNESS_MAIN
