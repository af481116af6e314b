// SPDX-License-Identifier: GPL-2.0
/*
 * vmsync_msync(): SVR4/POSIX msync semantics (SPEC section 2), checked on
 * the block device, in the page flags and in page-cache residency.
 *
 * Run as root on a file system on a real block device (ext4 in the test
 * VM): $VMSYNC_TEST_DIR names a directory on it.  The "dmfs" tests also
 * need a spare disk holding an ext4 file system, $VMSYNC_SCRATCH_DEV, which
 * they put behind device-mapper tables that delay or fail writes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmsync/mach.h"
#include "vmsync_test_util.h"
#include "vmsync_testfile.h"

static int raw_msync(uint64_t addr, uint64_t len, uint32_t flags,
		     struct vmsync_msync_args *args)
{
	int fd = vmsync_fd();

	if (fd < 0)
		return -1;
	memset(args, VT_POISON, sizeof(*args));
	args->addr = addr;
	args->len = len;
	args->flags = flags;
	args->reserved0 = 0;
	memset(args->reserved, 0, sizeof(args->reserved));
	return ioctl(fd, VMSYNC_IOC_MSYNC, args);
}

FIXTURE(msync) {
	struct testfile f;
};

FIXTURE_SETUP(msync)
{
	testfile_setup(_metadata, &self->f);
}

FIXTURE_TEARDOWN(msync)
{
	testfile_teardown(&self->f);
}

/* The same, once for each MS_INVALIDATE combination. */
FIXTURE(invalidate) {
	struct testfile f;
};

FIXTURE_VARIANT(invalidate) {
	int flags;
};

FIXTURE_VARIANT_ADD(invalidate, alone) {
	.flags = MS_INVALIDATE,
};

FIXTURE_VARIANT_ADD(invalidate, sync) {
	.flags = MS_INVALIDATE | MS_SYNC,
};

FIXTURE_VARIANT_ADD(invalidate, async) {
	.flags = MS_INVALIDATE | MS_ASYNC,
};

FIXTURE_SETUP(invalidate)
{
	testfile_setup(_metadata, &self->f);
}

FIXTURE_TEARDOWN(invalidate)
{
	testfile_teardown(&self->f);
}

TEST_F(msync, unknown_flag_einval)
{
	struct vmsync_msync_args args;
	uintptr_t addr = (uintptr_t)self->f.map;

	dirty(self->f.map, 0, 1);
	EXPECT_FAIL(EINVAL, raw_msync(addr, P, VMSYNC_MS_SYNC | 0x8, &args));
	EXPECT_FAIL(EINVAL, raw_msync(addr, P, 0x80000000u, &args));
	/* Nothing done, and the out fields were left alone. */
	EXPECT_EQ(0xA5A5A5A5A5A5A5A5ULL, args.pages_written);
	EXPECT_FAIL(EINVAL, vmsync_msync(self->f.map, P, MS_SYNC | 0x8));
	EXPECT_UNTOUCHED(0);
}

TEST_F(msync, unaligned_einval)
{
	dirty(self->f.map, 0, 1);
	EXPECT_FAIL(EINVAL, vmsync_msync(self->f.map + 1, P, MS_SYNC));
	EXPECT_FAIL(EINVAL, vmsync_msync(self->f.map + P / 2, 0, MS_SYNC));
	EXPECT_UNTOUCHED(0);
}

TEST_F(msync, async_with_sync_einval)
{
	dirty(self->f.map, 0, 1);
	EXPECT_FAIL(EINVAL, vmsync_msync(self->f.map, P, MS_ASYNC | MS_SYNC));
	EXPECT_FAIL(EINVAL, vmsync_msync(self->f.map, P,
					 MS_ASYNC | MS_SYNC | MS_INVALIDATE));
	EXPECT_UNTOUCHED(0);
}

/* The EINVAL checks come before the wrap check, as in msync(2). */
TEST_F(msync, einval_checked_before_wrap)
{
	struct vmsync_msync_args args;
	uintptr_t addr = (uintptr_t)self->f.map;

	EXPECT_FAIL(EINVAL, raw_msync(addr + 1, UINT64_MAX, VMSYNC_MS_SYNC,
				      &args));
	EXPECT_FAIL(EINVAL, raw_msync(addr, UINT64_MAX,
				      VMSYNC_MS_SYNC | VMSYNC_MS_ASYNC, &args));
	EXPECT_FAIL(EINVAL, raw_msync(addr, UINT64_MAX, 0x10, &args));
}

TEST_F(msync, wrap_enomem)
{
	struct vmsync_msync_args args;
	uintptr_t addr = (uintptr_t)self->f.map;

	dirty(self->f.map, 0, 1);
	/* addr + len past the top of the address space. */
	EXPECT_FAIL(ENOMEM, raw_msync(addr, UINT64_MAX - addr + 1,
				      VMSYNC_MS_SYNC, &args));
	EXPECT_FAIL(ENOMEM, raw_msync(addr, UINT64_MAX, VMSYNC_MS_SYNC,
				      &args));
	/* Rounding the length up to a page wraps too. */
	EXPECT_FAIL(ENOMEM, raw_msync(addr, UINT64_MAX - addr - 1,
				      VMSYNC_MS_SYNC, &args));
	EXPECT_FAIL(ENOMEM, vmsync_msync(self->f.map, SIZE_MAX - addr + 1,
					 MS_SYNC));
	EXPECT_UNTOUCHED(0);
}

TEST_F(msync, len_zero_does_nothing)
{
	unsigned long long written = 1, discarded = 1;

	dirty(self->f.map, 0, 1);
	EXPECT_EQ(0, vmsync_msync_counts(self->f.map, 0, MS_SYNC | MS_INVALIDATE,
					 &written, &discarded));
	EXPECT_EQ(0, written);
	EXPECT_EQ(0, discarded);
	EXPECT_EQ(0, vmsync_msync(self->f.map, 0, MS_ASYNC));
	/* Even an unmapped address: nothing to look at. */
	EXPECT_EQ(0, vmsync_msync((void *)(uintptr_t)P, 0, MS_SYNC));
	EXPECT_UNTOUCHED(0);
	EXPECT_TRUE(vt_resident(self->f.map));
}

/* len is rounded up to whole pages, and only those pages are written. */
TEST_F(msync, len_rounded_up_to_pages)
{
	unsigned long long written = 0;
	size_t i;

	for (i = 0; i < 4; i++)
		dirty(self->f.map, i, 1);
	ASSERT_OK(vmsync_msync_counts(self->f.map, P + 1, MS_SYNC, &written,
				      NULL));
	EXPECT_EQ(2, written);
	EXPECT_WRITTEN(0, 1);
	EXPECT_WRITTEN(1, 1);
	EXPECT_TRUE(vt_page_dirty(self->f.map + 2 * P));
	EXPECT_TRUE(vt_disk_page_is(self->f.disk, self->f.fd, 2, vt_fill(2, 0)));
	EXPECT_TRUE(vt_page_dirty(self->f.map + 3 * P));

	ASSERT_OK(vmsync_msync(self->f.map + 2 * P, 1, MS_SYNC));
	EXPECT_WRITTEN(2, 1);
	EXPECT_TRUE(vt_page_dirty(self->f.map + 3 * P));
}

TEST_F(msync, ms_sync_writes_and_cleans)
{
	unsigned long long written = 0, discarded = 1;

	dirty(self->f.map, 0, 1);
	dirty(self->f.map, 2, 1);
	ASSERT_TRUE(vt_page_dirty(self->f.map));
	ASSERT_OK(vmsync_msync_counts(self->f.map, NPAGES * P, MS_SYNC, &written,
				      &discarded));
	EXPECT_EQ(2, written);
	EXPECT_EQ(0, discarded);
	EXPECT_WRITTEN(0, 1);
	EXPECT_WRITTEN(2, 1);
	EXPECT_TRUE(vt_disk_page_is(self->f.disk, self->f.fd, 1, vt_fill(1, 0)));
	/* The cache is kept. */
	EXPECT_TRUE(vt_resident(self->f.map));
	EXPECT_TRUE(map_is(self->f.map, 0, 1));
}

/* Neither MS_SYNC nor MS_ASYNC: msync "writes all modified copies". */
TEST_F(msync, flags_zero_is_sync)
{
	dirty(self->f.map, 3, 1);
	ASSERT_OK(vmsync_msync(self->f.map, NPAGES * P, 0));
	EXPECT_WRITTEN(3, 1);
}

TEST_F(msync, ms_async_starts_writeback)
{
	dirty(self->f.map, 1, 1);
	ASSERT_TRUE(vt_page_dirty(self->f.map + P));
	ASSERT_OK(vmsync_msync(self->f.map, NPAGES * P, MS_ASYNC));
	/* Background writeback is off: only the call can have started it. */
	EXPECT_TRUE(disk_becomes(self->f.disk, self->f.fd, 1, 1));
	EXPECT_WRITTEN(1, 1);
}

/* The same check against Linux's own msync(MS_ASYNC) fails. */
TEST_F(msync, native_ms_async_writes_nothing)
{
	dirty(self->f.map, 1, 1);
	ASSERT_OK(msync(self->f.map, NPAGES * P, MS_ASYNC));
	sleep(3);
	EXPECT_UNTOUCHED(1);
}

/* Mapped parts of a range with a hole are processed, then ENOMEM. */
TEST_F(msync, hole_processes_mapped_parts)
{
	unsigned long long written = 0;

	ASSERT_OK(munmap(self->f.map + 2 * P, P));
	dirty(self->f.map, 0, 1);
	dirty(self->f.map, 1, 1);
	dirty(self->f.map, 3, 1);
	dirty(self->f.map, 5, 1);
	EXPECT_FAIL(ENOMEM, vmsync_msync_counts(self->f.map, 4 * P, MS_SYNC,
						&written, NULL));
	EXPECT_EQ(3, written);
	EXPECT_WRITTEN(0, 1);
	EXPECT_WRITTEN(1, 1);
	EXPECT_WRITTEN(3, 1);
	EXPECT_UNTOUCHED(5);
}

/* Linux's msync(MS_ASYNC) stops at a leading hole; this one goes on. */
TEST_F(msync, leading_hole_async_processes_rest)
{
	ASSERT_OK(munmap(self->f.map, P));
	dirty(self->f.map, 1, 1);
	EXPECT_FAIL(ENOMEM, vmsync_msync(self->f.map, 2 * P, MS_ASYNC));
	EXPECT_TRUE(disk_becomes(self->f.disk, self->f.fd, 1, 1));
}

TEST_F(msync, unmapped_range_enomem)
{
	void *hole = self->f.map + 4 * P;

	ASSERT_OK(munmap(hole, 4 * P));
	EXPECT_FAIL(ENOMEM, vmsync_msync(hole, 4 * P, MS_SYNC));
	EXPECT_FAIL(ENOMEM, vmsync_msync(hole, P, MS_ASYNC));
	EXPECT_FAIL(ENOMEM, vmsync_msync(hole, P, MS_INVALIDATE));
}

/* MS_INVALIDATE over a locked mapping: EBUSY, and nothing is done. */
TEST_F(msync, invalidate_locked_ebusy)
{
	unsigned long long written = 7;

	dirty(self->f.map, 0, 1);
	dirty(self->f.map, 5, 1);
	ASSERT_OK(mlock(self->f.map + 4 * P, 2 * P));
	EXPECT_FAIL(EBUSY, vmsync_msync_counts(self->f.map, NPAGES * P,
					       MS_INVALIDATE, &written, NULL));
	EXPECT_EQ(0, written);
	EXPECT_UNTOUCHED(0);
	EXPECT_UNTOUCHED(5);
	EXPECT_TRUE(vt_resident(self->f.map));
	/* Writing a locked mapping is fine. */
	ASSERT_OK(vmsync_msync(self->f.map, NPAGES * P, MS_SYNC));
	EXPECT_WRITTEN(0, 1);
	EXPECT_WRITTEN(5, 1);
	ASSERT_OK(munlock(self->f.map + 4 * P, 2 * P));
}

/*
 * Pages another process has locked stay: EBUSY, after the others were
 * dropped, and the locking process keeps its pages mapped.
 */
TEST_F(msync, invalidate_leaves_pages_locked_elsewhere)
{
	int to_child[2], to_parent[2], status;
	unsigned long long discarded = 0;
	pid_t pid;
	char c;

	ASSERT_OK(pipe(to_child));
	ASSERT_OK(pipe(to_parent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned char *m = mmap(NULL, P, PROT_READ, MAP_SHARED,
					self->f.fd, 2 * P);
		bool present;

		if (m == MAP_FAILED || mlock(m, P))
			_exit(2);
		if (write(to_parent[1], "r", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(2);
		/* Still mapped here, before any new fault. */
		vt_kpageflags(m, &present);
		_exit(present && vt_all(m, P, vt_fill(2, 0)) ? 0 : 1);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	ASSERT_TRUE(map_is(self->f.map, 1, 0));
	EXPECT_FAIL(EBUSY, vmsync_msync_counts(self->f.map, 4 * P,
					       MS_INVALIDATE, NULL,
					       &discarded));
	EXPECT_TRUE(vt_resident(self->f.map + 2 * P));
	EXPECT_FALSE(vt_resident(self->f.map + P));
	EXPECT_LE(1, discarded);
	ASSERT_EQ(1, write(to_child[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * MS_INVALIDATE: modified pages are written first, then every cached page
 * is dropped and the next reference reads the disk.
 */
TEST_F(invalidate, invalidate_rereads_disk)
{
	unsigned char *page = malloc(P);
	unsigned long long written = 0, discarded = 0;

	ASSERT_NE(NULL, page);
	/* Cache pages 1 and 2, then change page 1 on the disk behind it. */
	ASSERT_TRUE(map_is(self->f.map, 1, 0));
	ASSERT_TRUE(map_is(self->f.map, 2, 0));
	memset(page, vt_fill(1, 2), P);
	ASSERT_OK(vt_disk_write_page(self->f.disk, self->f.fd, 1, page));
	ASSERT_TRUE(map_is(self->f.map, 1, 0)) TH_LOG("cache should be stale");
	/* And modify page 2 through the mapping. */
	dirty(self->f.map, 2, 1);

	ASSERT_OK(vmsync_msync_counts(self->f.map, NPAGES * P, variant->flags,
				      &written, &discarded));
	EXPECT_EQ(1, written);
	EXPECT_LE(2, discarded);
	/* Dropped: not in the page cache until touched again. */
	EXPECT_FALSE(vt_resident(self->f.map + P));
	EXPECT_FALSE(vt_resident(self->f.map + 2 * P));
	/* The modification was written before its page was dropped. */
	EXPECT_TRUE(vt_disk_page_is(self->f.disk, self->f.fd, 2, vt_fill(2, 1)));
	/* The next reference reads the disk. */
	EXPECT_TRUE(map_is(self->f.map, 1, 2));
	EXPECT_TRUE(map_is(self->f.map, 2, 1));
	EXPECT_TRUE(map_is(self->f.map, 0, 0));
	free(page);
}

/* The same check against Linux's own msync(MS_INVALIDATE) fails. */
TEST_F(invalidate, native_invalidate_keeps_stale_cache)
{
	unsigned char *page = malloc(P);

	ASSERT_NE(NULL, page);
	ASSERT_TRUE(map_is(self->f.map, 1, 0));
	memset(page, vt_fill(1, 2), P);
	ASSERT_OK(vt_disk_write_page(self->f.disk, self->f.fd, 1, page));
	ASSERT_OK(msync(self->f.map, NPAGES * P, variant->flags));
	EXPECT_TRUE(vt_resident(self->f.map + P));
	EXPECT_TRUE(map_is(self->f.map, 1, 0));
	free(page);
}

/* Invalidation unmaps the pages from every process, not just the caller. */
TEST_F(invalidate, invalidate_reaches_other_processes)
{
	unsigned char *page = malloc(P);
	int to_child[2], to_parent[2], status;
	pid_t pid;
	char c;

	ASSERT_NE(NULL, page);
	ASSERT_OK(pipe(to_child));
	ASSERT_OK(pipe(to_parent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned char *m = mmap(NULL, NPAGES * P, PROT_READ,
					MAP_SHARED, self->f.fd, 0);
		bool before, after;

		if (m == MAP_FAILED)
			_exit(2);
		before = map_is(m, 1, 0);	/* maps page 1 here */
		if (write(to_parent[1], "r", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(2);
		after = map_is(m, 1, 2);
		_exit(before && after ? 0 : 1);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	memset(page, vt_fill(1, 2), P);
	ASSERT_OK(vt_disk_write_page(self->f.disk, self->f.fd, 1, page));
	ASSERT_OK(vmsync_msync(self->f.map, NPAGES * P, variant->flags));
	ASSERT_EQ(1, write(to_child[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the other process still sees the stale page");
	free(page);
}

/*
 * A page redirtied by another writer while it is being invalidated is
 * written again, never lost.  The writer reads back every value it writes:
 * a page dropped with its data would read back an older value from disk.
 */
struct writer_state {
	bool stop;
	unsigned int writes;
	unsigned int lost;
	unsigned char last;
};

static void writer(unsigned char *page, struct writer_state *ws)
{
	unsigned char v = 1;

	while (!__atomic_load_n(&ws->stop, __ATOMIC_RELAXED)) {
		memset(page, v, P);
		if (!vt_all(page, P, v))
			__atomic_add_fetch(&ws->lost, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&ws->last, v, __ATOMIC_RELAXED);
		__atomic_add_fetch(&ws->writes, 1, __ATOMIC_RELEASE);
		v = v == 0xff ? 1 : v + 1;
	}
}

TEST_F(invalidate, invalidate_never_loses_concurrent_writes)
{
	struct writer_state *ws = mmap(NULL, sizeof(*ws),
				       PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned int round, busy = 0;
	int status;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, ws);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		writer(self->f.map + 3 * P, ws);
		_exit(0);
	}
	while (!__atomic_load_n(&ws->writes, __ATOMIC_ACQUIRE))
		usleep(1000);
	for (round = 0; round < 50; round++) {
		int ret = vmsync_msync(self->f.map, NPAGES * P, variant->flags);

		/* EBUSY is allowed if the writer won every retry. */
		if (ret) {
			ASSERT_EQ(EBUSY, errno);
			busy++;
		}
	}
	__atomic_store_n(&ws->stop, true, __ATOMIC_RELAXED);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	TH_LOG("%u writes, %u of 50 calls EBUSY", ws->writes, busy);
	EXPECT_EQ(0, ws->lost);
	ASSERT_OK(vmsync_msync(self->f.map, NPAGES * P, variant->flags));
	EXPECT_TRUE(vt_disk_page_is(self->f.disk, self->f.fd, 3, ws->last));
	EXPECT_TRUE(vt_all(self->f.map + 3 * P, P, ws->last));
	munmap(ws, sizeof(*ws));
}

/* Private mappings: changes survive every flag and never reach the file. */
TEST_F(msync, private_mapping_untouched)
{
	static const int all_flags[] = {
		MS_SYNC, MS_ASYNC, 0, MS_INVALIDATE, MS_INVALIDATE | MS_SYNC,
		MS_INVALIDATE | MS_ASYNC,
	};
	unsigned char *priv = mmap(NULL, NPAGES * P, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE, self->f.fd, 0);
	unsigned char *buf = malloc(P);
	size_t i;

	ASSERT_NE(MAP_FAILED, priv);
	ASSERT_NE(NULL, buf);
	/* Page 0 privately modified, page 1 still the file's cached page. */
	dirty(priv, 0, 1);
	ASSERT_TRUE(map_is(priv, 1, 0));
	for (i = 0; i < ARRAY_SIZE(all_flags); i++) {
		unsigned long long written = 1, discarded = 1;

		ASSERT_OK(vmsync_msync_counts(priv, NPAGES * P, all_flags[i],
					      &written, &discarded));
		EXPECT_TRUE(map_is(priv, 0, 1)) TH_LOG("flags %#x",
						       all_flags[i]);
		/* The call changes nothing, not even the file's cache. */
		EXPECT_EQ(0, written);
		EXPECT_EQ(0, discarded);
		EXPECT_TRUE(vt_resident(self->f.map + P));
	}
	EXPECT_TRUE(vt_disk_page_is(self->f.disk, self->f.fd, 0, vt_fill(0, 0)));
	ASSERT_EQ((ssize_t)P, pread(self->f.fd, buf, P, 0));
	EXPECT_TRUE(vt_all(buf, P, vt_fill(0, 0)));
	EXPECT_TRUE(map_is(self->f.map, 0, 0));
	munmap(priv, NPAGES * P);
	free(buf);
}

/* Anonymous and shmem memory have no backing store: success, untouched. */
TEST_F(msync, anon_and_shmem_untouched)
{
	static const int all_flags[] = {
		MS_SYNC, MS_ASYNC, 0, MS_INVALIDATE, MS_INVALIDATE | MS_SYNC,
		MS_INVALIDATE | MS_ASYNC,
	};
	int memfd = memfd_create("vmsync-test", MFD_CLOEXEC);
	unsigned char *maps[3];
	size_t i, m;

	ASSERT_LE(0, memfd);
	ASSERT_OK(ftruncate(memfd, NPAGES * P));
	maps[0] = mmap(NULL, NPAGES * P, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	maps[1] = mmap(NULL, NPAGES * P, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	maps[2] = mmap(NULL, NPAGES * P, PROT_READ | PROT_WRITE, MAP_SHARED,
		       memfd, 0);
	for (m = 0; m < 3; m++) {
		unsigned long long written = 1, discarded = 1;

		ASSERT_NE(MAP_FAILED, maps[m]);
		dirty(maps[m], 0, 1);
		dirty(maps[m], 5, 1);
		for (i = 0; i < ARRAY_SIZE(all_flags); i++) {
			ASSERT_OK(vmsync_msync_counts(maps[m], NPAGES * P,
						      all_flags[i], &written,
						      &discarded));
			EXPECT_EQ(0, written);
			EXPECT_EQ(0, discarded);
			EXPECT_TRUE(map_is(maps[m], 0, 1));
			EXPECT_TRUE(map_is(maps[m], 5, 1));
			EXPECT_TRUE(vt_resident(maps[m]));
		}
		munmap(maps[m], NPAGES * P);
	}
	close(memfd);
}

/*
 * One range over two mappings of two files with a hole between them: each
 * file gets exactly its own range, computed from its mapping's offset.
 */
TEST_F(msync, two_files_with_hole)
{
	char path_b[4200];
	int fd_b;
	unsigned char *area, *a, *b;
	size_t i;

	snprintf(path_b, sizeof(path_b), "%s.b", self->f.path);
	fd_b = vt_create_file(vt_test_dir(), strrchr(path_b, '/') + 1, NPAGES,
			      true);
	ASSERT_LE(0, fd_b);
	/* [a: file A pages 2..5][hole][b: file B pages 1..4] */
	area = mmap(NULL, 9 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	a = mmap(area, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 self->f.fd, 2 * P);
	b = mmap(area + 5 * P, 4 * P, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd_b, 1 * P);
	ASSERT_EQ(area, a);
	ASSERT_EQ(area + 5 * P, b);
	ASSERT_OK(munmap(area + 4 * P, P));
	for (i = 0; i < 4; i++) {
		memset(a + i * P, vt_fill(2 + i, 1), P);
		memset(b + i * P, vt_fill(1 + i, 1), P);
	}
	/* From A's second page to B's third. */
	EXPECT_FAIL(ENOMEM, vmsync_msync(a + P, 7 * P, MS_SYNC));

	/* File A: pages 3..5 written, page 2 (before the range) not. */
	EXPECT_TRUE(vt_disk_page_is(self->f.disk, self->f.fd, 2, vt_fill(2, 0)));
	EXPECT_TRUE(vt_page_dirty(a));
	for (i = 3; i <= 5; i++)
		EXPECT_TRUE(vt_disk_page_is(self->f.disk, self->f.fd, i,
					    vt_fill(i, 1)));
	/* File B: pages 1..3 written, page 4 (after the range) not. */
	for (i = 1; i <= 3; i++)
		EXPECT_TRUE(vt_disk_page_is(self->f.disk, fd_b, i,
					    vt_fill(i, 1)));
	EXPECT_TRUE(vt_disk_page_is(self->f.disk, fd_b, 4, vt_fill(4, 0)));
	EXPECT_TRUE(vt_page_dirty(b + 3 * P));
	/* Pages outside both mappings were not touched. */
	EXPECT_TRUE(vt_disk_page_is(self->f.disk, self->f.fd, 6, vt_fill(6, 0)));
	EXPECT_TRUE(vt_disk_page_is(self->f.disk, fd_b, 0, vt_fill(0, 0)));

	munmap(area, 9 * P);
	close(fd_b);
}

TEST_F(msync, memcntl_mc_sync_is_msync)
{
	dirty(self->f.map, 0, 1);
	EXPECT_FAIL(EINVAL, vmsync_memcntl(self->f.map, P, MC_SYNC + 1,
					   (void *)(intptr_t)MS_SYNC, 0, 0));
	EXPECT_FAIL(EINVAL, vmsync_memcntl(self->f.map, P, MC_SYNC,
					   (void *)(intptr_t)MS_SYNC, 1, 0));
	EXPECT_FAIL(EINVAL, vmsync_memcntl(self->f.map, P, MC_SYNC,
					   (void *)(intptr_t)MS_SYNC, 0, 1));
	EXPECT_FAIL(EINVAL, vmsync_memcntl(self->f.map, P, MC_SYNC,
					   (void *)(intptr_t)-1, 0, 0));
	EXPECT_UNTOUCHED(0);
	ASSERT_OK(vmsync_memcntl(self->f.map, P, MC_SYNC,
				 (void *)(intptr_t)MS_SYNC, 0, 0));
	EXPECT_WRITTEN(0, 1);
	/* Same errors as msync. */
	EXPECT_FAIL(EINVAL, vmsync_memcntl(self->f.map + 1, P, MC_SYNC,
					   (void *)(intptr_t)MS_SYNC, 0, 0));
	ASSERT_OK(munmap(self->f.map + (NPAGES - 1) * P, P));
	EXPECT_FAIL(ENOMEM, vmsync_memcntl(self->f.map + (NPAGES - 1) * P, P,
					   MC_SYNC, (void *)(intptr_t)MS_SYNC,
					   0, 0));
}

/*
 * A file system on a spare disk behind a device-mapper table, so that
 * writes can be delayed or failed.
 */
FIXTURE(dmfs) {
	char scratch[128];
	char dev[64];
	char mnt[64];
	char path[128];
	uint64_t sectors;
	int fd;
	int disk;
	unsigned char *map;
	bool mounted;
	bool created;
	struct vt_writeback wb;
};

#define DM_NAME "vmsync-selftest"

FIXTURE_SETUP(dmfs)
{
	const char *scratch = getenv("VMSYNC_SCRATCH_DEV");
	char table[1024], bdi[64];
	struct stat st;

	self->fd = -1;
	self->disk = -1;
	if (!scratch || !*scratch)
		SKIP(return, "VMSYNC_SCRATCH_DEV names no spare ext4 disk");
	/*
	 * Nothing but the call under test may write a page: no periodic
	 * writeback.  (No sync() either: the flusher work it queues can run
	 * late, into the test, and write the page the test dirtied.)
	 */
	ASSERT_OK(vt_writeback_off(&self->wb));
	snprintf(self->scratch, sizeof(self->scratch), "%s", scratch);
	self->sectors = vt_dev_sectors(scratch);
	ASSERT_LT(0, self->sectors);
	snprintf(table, sizeof(table), "0 %llu linear %s 0",
		 (unsigned long long)self->sectors, scratch);
	ASSERT_OK(vt_dm_create(DM_NAME, table, self->dev, sizeof(self->dev)));
	self->created = true;
	/*
	 * A new device's share of the background dirty threshold is nothing,
	 * so the flusher, looking once it has finished the sync a table
	 * reload's freeze asked for, would write the one page a test has just
	 * dirtied.  A guaranteed share keeps that page the call's to write.
	 */
	ASSERT_OK(stat(self->dev, &st));
	snprintf(bdi, sizeof(bdi), "/sys/class/bdi/%u:%u/min_ratio",
		 major(st.st_rdev), minor(st.st_rdev));
	ASSERT_OK(vt_write_file(bdi, "10"));
	snprintf(self->mnt, sizeof(self->mnt), "/tmp/vmsync-dm-%d", getpid());
	ASSERT_OK(mkdir(self->mnt, 0755));
	ASSERT_OK(mount(self->dev, self->mnt, "ext4", 0, NULL));
	self->mounted = true;
	snprintf(self->path, sizeof(self->path), "%s/file", self->mnt);
	self->fd = vt_create_file(self->mnt, "file", 2, false);
	ASSERT_LE(0, self->fd);
	self->disk = vt_disk_open(self->fd);
	ASSERT_LE(0, self->disk);
	self->map = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	/* Cached before a test fails the disk's reads of them too. */
	ASSERT_TRUE(map_is(self->map, 0, 0));
	ASSERT_TRUE(map_is(self->map, 1, 0));
}

FIXTURE_TEARDOWN(dmfs)
{
	vt_writeback_restore(&self->wb);
	char table[1024];

	if (self->created) {
		snprintf(table, sizeof(table), "0 %llu linear %s 0",
			 (unsigned long long)self->sectors, self->scratch);
		vt_dm_reload(DM_NAME, table);
	}
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, 2 * P);
	if (self->fd >= 0) {
		close(self->fd);
		unlink(self->path);
	}
	if (self->disk >= 0)
		close(self->disk);
	if (self->mounted)
		umount(self->mnt);
	rmdir(self->mnt);
	if (self->created)
		vt_dm_remove(DM_NAME);
}

/*
 * MS_ASYNC and VM_SYNC_ASYNCHRONOUS return while the write they started is
 * still in flight: with every write delayed by 1.5 s, the page is under
 * writeback when the call returns, and reaches the disk later with no
 * further call.  MS_SYNC returns only once the data is on the disk.
 */
TEST_F_TIMEOUT(dmfs, async_returns_before_write_completes, 120)
{
	char table[1024];
	unsigned long long written = 0;

	snprintf(table, sizeof(table), "0 %llu delay %s 0 0 %s 0 1500",
		 (unsigned long long)self->sectors, self->scratch,
		 self->scratch);
	ASSERT_OK(vt_dm_reload(DM_NAME, table));

	dirty(self->map, 0, 1);
	ASSERT_OK(vmsync_msync_counts(self->map, 2 * P, MS_ASYNC, &written,
				      NULL));
	EXPECT_TRUE(vt_page_writeback(self->map));
	EXPECT_TRUE(vt_disk_page_is(self->disk, self->fd, 0, vt_fill(0, 0)));
	EXPECT_EQ(1, written);
	EXPECT_TRUE(disk_becomes(self->disk, self->fd, 0, 1));

	/* vm_msync(VM_SYNC_ASYNCHRONOUS) does not wait either. */
	dirty(self->map, 1, 1);
	ASSERT_EQ(KERN_SUCCESS, vm_msync(vm_task_self(), (uintptr_t)self->map,
					 2 * P, VM_SYNC_ASYNCHRONOUS));
	EXPECT_TRUE(vt_page_writeback(self->map + P));
	EXPECT_TRUE(vt_disk_page_is(self->disk, self->fd, 1, vt_fill(1, 0)));
	EXPECT_TRUE(disk_becomes(self->disk, self->fd, 1, 1));

	dirty(self->map, 0, 2);
	ASSERT_OK(vmsync_msync(self->map, 2 * P, MS_SYNC));
	EXPECT_FALSE(vt_page_writeback(self->map));
	EXPECT_FALSE(vt_page_dirty(self->map));
	EXPECT_TRUE(vt_disk_page_is(self->disk, self->fd, 0, vt_fill(0, 2)));
}

/*
 * VMSYNC_IOC_CACHE_STATE sees a page under writeback as kpageflags does:
 * with every write delayed by 1.5 s, the page MS_ASYNC started is under
 * writeback and no longer dirty, and the other page is neither.
 */
TEST_F_TIMEOUT(dmfs, cache_state_sees_writeback, 120)
{
	unsigned char vec[2] = { 0xff, 0xff };
	struct vmsync_cache_counts c;
	char table[1024];

	snprintf(table, sizeof(table), "0 %llu delay %s 0 0 %s 0 1500",
		 (unsigned long long)self->sectors, self->scratch,
		 self->scratch);
	ASSERT_OK(vt_dm_reload(DM_NAME, table));

	dirty(self->map, 0, 1);
	ASSERT_OK(madvise(self->map + P, P, MADV_POPULATE_READ));
	ASSERT_OK(vmsync_cache_state(self->fd, 0, 2 * P, vec, 2, &c));
	EXPECT_EQ(VMSYNC_PAGE_RESIDENT | VMSYNC_PAGE_DIRTY, vec[0]);
	EXPECT_EQ(1, c.nr_dirty);

	ASSERT_OK(vmsync_msync(self->map, P, MS_ASYNC));
	ASSERT_OK(vmsync_cache_state(self->fd, 0, 2 * P, vec, 2, &c));
	EXPECT_TRUE(vt_page_writeback(self->map));
	EXPECT_EQ(VMSYNC_PAGE_RESIDENT | VMSYNC_PAGE_WRITEBACK, vec[0]);
	EXPECT_EQ(VMSYNC_PAGE_RESIDENT, vec[1]);
	EXPECT_EQ(2, c.nr_pages);
	EXPECT_EQ(2, c.nr_resident);
	EXPECT_EQ(0, c.nr_dirty);
	EXPECT_EQ(1, c.nr_writeback);

	/* Once the write is done, nothing is left to write. */
	ASSERT_OK(vmsync_msync(self->map, P, MS_SYNC));
	ASSERT_OK(vmsync_cache_state(self->fd, 0, 2 * P, vec, 2, &c));
	EXPECT_EQ(VMSYNC_PAGE_RESIDENT, vec[0]);
	EXPECT_EQ(0, c.nr_writeback);
}

/* Fail writes to the file's first page only; the rest of the disk works. */
static int fail_first_page(int fd, const char *scratch, uint64_t sectors)
{
	int64_t phys = vt_file_phys(fd, 0);
	unsigned long long sec, nsec = P / 512;
	char table[1024];

	if (phys < 0)
		return -1;
	sec = (unsigned long long)phys / 512;
	snprintf(table, sizeof(table),
		 "0 %llu linear %s 0;%llu %llu error;%llu %llu linear %s %llu",
		 sec, scratch, sec, nsec, sec + nsec,
		 (unsigned long long)sectors - sec - nsec, scratch, sec + nsec);
	return vt_dm_reload(DM_NAME, table);
}

/* The whole disk again, without freezing the file system (no writes). */
static int heal(const char *scratch, uint64_t sectors)
{
	char table[1024];

	snprintf(table, sizeof(table), "0 %llu linear %s 0",
		 (unsigned long long)sectors, scratch);
	return vt_dm_swap(DM_NAME, table);
}

/*
 * A failed write is reported, once, as EIO; another open file description
 * of the file gets its own report (errseq), as with fsync().  (The page
 * stays dirty: vmsync_fault_test checks that.)
 */
TEST_F_TIMEOUT(dmfs, write_error_reported_once, 120)
{
	int other;

	other = open(self->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, other);
	ASSERT_OK(fail_first_page(self->fd, self->scratch, self->sectors));

	dirty(self->map, 0, 1);
	EXPECT_FAIL(EIO, vmsync_msync(self->map, 2 * P, MS_SYNC));
	ASSERT_OK(heal(self->scratch, self->sectors));
	EXPECT_EQ(0, vmsync_msync(self->map, 2 * P, MS_SYNC));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_FAIL(EIO, fsync(other));
	EXPECT_EQ(0, fsync(other));
	close(other);
}

/* vm_msync: the pager could not write the data back. */
TEST_F_TIMEOUT(dmfs, vm_msync_write_error_memory_error, 120)
{
	struct vmsync_vm_msync_result res;

	ASSERT_OK(fail_first_page(self->fd, self->scratch, self->sectors));

	dirty(self->map, 0, 1);
	EXPECT_EQ(KERN_MEMORY_ERROR,
		  vmsync_vm_msync(vm_task_self(), (uintptr_t)self->map, 2 * P,
				  VM_SYNC_SYNCHRONOUS | VM_SYNC_INVALIDATE,
				  &res));
	EXPECT_EQ(EIO, res.error);
	EXPECT_EQ(1, res.pages_returned);
	/* Its data is only in the cache: not dropped. */
	EXPECT_EQ(0, res.pages_discarded);
	EXPECT_TRUE(vt_resident(self->map));
	ASSERT_OK(heal(self->scratch, self->sectors));
	EXPECT_EQ(KERN_SUCCESS,
		  vm_msync(vm_task_self(), (uintptr_t)self->map, 2 * P,
			   VM_SYNC_SYNCHRONOUS));
}

/*
 * A write error that vm_msync through a task handle runs into is the
 * caller's to see, and it stays the target's to see too: the target's own
 * fsync() still reports it, once.  The handle's call must not consume the
 * target's open file's error report.
 */
TEST_F_TIMEOUT(dmfs, handle_leaves_the_target_its_error, 120)
{
	struct vmsync_vm_msync_result res;
	int ready[2], go[2], status;
	unsigned char *map = NULL;
	vm_task_t task;
	pid_t pid;
	int fd;

	ASSERT_OK(pipe(ready));
	ASSERT_OK(pipe(go));
	ASSERT_OK(fail_first_page(self->fd, self->scratch, self->sectors));
	pid = fork();
	if (pid == 0) {
		fd = open(self->path, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			map = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0);
		if (fd < 0 || map == MAP_FAILED)
			_exit(10);
		dirty(map, 0, 1);
		if (write(ready[1], &map, sizeof(map)) != sizeof(map) ||
		    read(go[0], &status, 1) != 1)
			_exit(11);
		if (fsync(fd) != -1 || errno != EIO)
			_exit(12);
		_exit(fsync(fd) ? 13 : 0);
	}
	ASSERT_LT(0, pid);
	ASSERT_EQ(sizeof(map), read(ready[0], &map, sizeof(map)));

	ASSERT_EQ(KERN_SUCCESS, vm_task_for_pid(pid, &task));
	EXPECT_EQ(KERN_MEMORY_ERROR,
		  vmsync_vm_msync(task, (uintptr_t)map, 2 * P,
				  VM_SYNC_SYNCHRONOUS, &res));
	EXPECT_EQ(EIO, res.error);
	EXPECT_EQ(KERN_SUCCESS, vm_task_release(task));

	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

TEST_HARNESS_MAIN
