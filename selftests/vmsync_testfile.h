/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A test file for the msync and vm_msync selftests, for programs using
 * kselftest_harness.h: NPAGES pages on the test file system, written to
 * disk, mapped shared, with the guest's background writeback turned off so
 * that nothing but the call under test writes a dirty page.  Page i holds
 * byte vt_fill(i, gen) of generation gen.
 */
#ifndef VMSYNC_TESTFILE_H
#define VMSYNC_TESTFILE_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmsync.h"
#include "vmsync_test_util.h"

#define NPAGES		8
#define P		vt_page

/* Fill page i of a mapping with its generation-gen byte. */
static void dirty(unsigned char *map, size_t page, unsigned int gen)
{
	memset(map + page * P, vt_fill(page, gen), P);
}

static bool map_is(const unsigned char *map, size_t page, unsigned int gen)
{
	return vt_all(map + page * P, P, vt_fill(page, gen));
}

/* Poll the disk until page holds generation gen; false after ~20 s. */
static inline bool disk_becomes(int disk, int fd, size_t page, unsigned int gen)
{
	double deadline = vt_now() + 20;

	while (vt_now() < deadline) {
		if (vt_disk_page_is(disk, fd, page, vt_fill(page, gen)))
			return true;
		usleep(50000);
	}
	return false;
}

/*
 * A file of NPAGES pages on the test file system, mapped shared, with the
 * guest's background writeback turned off so that nothing but the call
 * under test writes a dirty page.
 */
struct testfile {
	char path[4096];
	int fd;
	int disk;
	unsigned char *map;
	struct vt_writeback wb;
};

static void testfile_setup(struct __test_metadata *_metadata,
			   struct testfile *f)
{
	snprintf(f->path, sizeof(f->path), "%s/msync-%d", vt_test_dir(),
		 getpid());
	f->fd = vt_create_file(vt_test_dir(), strrchr(f->path, '/') + 1,
			       NPAGES, false);
	ASSERT_LE(0, f->fd) TH_LOG("cannot create %s", f->path);
	f->disk = vt_disk_open(f->fd);
	ASSERT_LE(0, f->disk) TH_LOG("%s is not on a block device", f->path);
	ASSERT_LE(0, vmsync_fd()) TH_LOG("%s", vmsync_strerror(errno));
	f->map = mmap(NULL, NPAGES * P, PROT_READ | PROT_WRITE, MAP_SHARED,
		      f->fd, 0);
	ASSERT_NE(MAP_FAILED, f->map);

	ASSERT_OK(vt_writeback_off(&f->wb));
}

static void testfile_teardown(struct testfile *f)
{
	vt_writeback_restore(&f->wb);
	if (f->map && f->map != MAP_FAILED)
		munmap(f->map, NPAGES * P);
	if (f->fd > 0) {
		close(f->fd);
		unlink(f->path);
	}
	if (f->disk > 0)
		close(f->disk);
}

/* Page 'page' is dirty in the cache and the disk has its original bytes. */
static bool page_untouched(struct testfile *f, size_t page)
{
	return vt_page_dirty(f->map + page * P) &&
	       vt_disk_page_is(f->disk, f->fd, page, vt_fill(page, 0));
}

/* Page 'page' reached the disk with generation gen and is clean. */
static inline bool page_written(struct testfile *f, size_t page, unsigned int gen)
{
	return !vt_page_dirty(f->map + page * P) &&
	       vt_disk_page_is(f->disk, f->fd, page, vt_fill(page, gen));
}

#define EXPECT_UNTOUCHED(page)	EXPECT_TRUE(page_untouched(&self->f, page))
#define EXPECT_WRITTEN(page, gen) EXPECT_TRUE(page_written(&self->f, page, gen))

#endif /* VMSYNC_TESTFILE_H */
