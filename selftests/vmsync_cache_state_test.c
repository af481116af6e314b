// SPDX-License-Identifier: GPL-2.0
/*
 * VMSYNC_IOC_CACHE_STATE: the page-cache state of a file's range, as
 * counts and a per-page vector.  Every answer is checked against what the
 * test did to the file (writes, fsync, POSIX_FADV_DONTNEED) and against
 * mincore() and /proc/kpageflags; every error is checked for its exact
 * errno and for leaving the out fields alone.  The page under writeback is
 * in vmsync_msync_test (it needs a delayed disk).
 *
 * Run as root, with $VMSYNC_TEST_DIR on ext4.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmsync.h"
#include "vmsync_test_util.h"

#define NP		64	/* pages of the test file */
#define NOBODY		65534

/* The raw ioctl, so that the out fields can be checked after errors. */
static int cache_state(struct vmsync_cache_state_args *args)
{
	return ioctl(vmsync_fd(), VMSYNC_IOC_CACHE_STATE, args);
}

static struct vmsync_cache_state_args state_args(int fd, uint64_t offset,
						 uint64_t len)
{
	struct vmsync_cache_state_args args;

	memset(&args, 0, sizeof(args));
	args.fd = fd;
	args.offset = offset;
	args.len = len;
	return args;
}

FIXTURE(file) {
	char path[4096];
	int fd;
	size_t p;
};

FIXTURE_SETUP(file)
{
	char buf[4096];
	size_t i;

	self->p = vt_page;
	ASSERT_EQ(sizeof(buf), self->p);
	snprintf(self->path, sizeof(self->path), "%s/cache-state-%d",
		 vt_test_dir(), getpid());
	self->fd = open(self->path, O_RDWR | O_CREAT | O_TRUNC | O_LARGEFILE, 0644);
	ASSERT_LE(0, self->fd);
	/* Written by write(): every page resident and dirty, none written. */
	for (i = 0; i < NP; i++) {
		memset(buf, vt_fill(i, 0), sizeof(buf));
		ASSERT_EQ((ssize_t)sizeof(buf), write(self->fd, buf, sizeof(buf)));
	}
}

FIXTURE_TEARDOWN(file)
{
	if (self->fd >= 0)
		close(self->fd);
	unlink(self->path);
}

/*
 * Length 0 is the whole file; write() leaves every page dirty, fsync()
 * none, and POSIX_FADV_DONTNEED drops the pages it names.
 */
TEST_F(file, counts_follow_write_fsync_and_dontneed)
{
	struct vmsync_cache_counts c;

	ASSERT_OK(vmsync_cache_state(self->fd, 0, 0, NULL, 0, &c));
	EXPECT_EQ(NP, c.nr_pages);
	EXPECT_EQ(NP, c.nr_resident);
	EXPECT_EQ(NP, c.nr_dirty);

	ASSERT_OK(fsync(self->fd));
	ASSERT_OK(vmsync_cache_state(self->fd, 0, 0, NULL, 0, &c));
	EXPECT_EQ(NP, c.nr_pages);
	EXPECT_EQ(NP, c.nr_resident);
	EXPECT_EQ(0, c.nr_dirty);
	EXPECT_EQ(0, c.nr_writeback);

	ASSERT_OK(posix_fadvise(self->fd, 16 * self->p, 16 * self->p,
				POSIX_FADV_DONTNEED));
	ASSERT_OK(vmsync_cache_state(self->fd, 0, 0, NULL, 0, &c));
	EXPECT_EQ(NP - 16, c.nr_resident);
	/* Only the dropped range: none of it is resident. */
	ASSERT_OK(vmsync_cache_state(self->fd, 16 * self->p, 16 * self->p,
				     NULL, 0, &c));
	EXPECT_EQ(16, c.nr_pages);
	EXPECT_EQ(0, c.nr_resident);
}

/*
 * The vector has one byte per page, matching mincore() for residency and
 * /proc/kpageflags for the dirty bit, page by page.
 */
TEST_F(file, vector_matches_mincore_and_kpageflags)
{
	unsigned char vec[NP], core[NP];
	struct vmsync_cache_counts c;
	unsigned char *map;
	size_t i, dirty = 0;

	ASSERT_OK(fsync(self->fd));
	ASSERT_OK(posix_fadvise(self->fd, 8 * self->p, 8 * self->p,
				POSIX_FADV_DONTNEED));
	ASSERT_OK(posix_fadvise(self->fd, 40 * self->p, 3 * self->p,
				POSIX_FADV_DONTNEED));
	/* Dirty pages 2, 3 and 50 again. */
	ASSERT_EQ(1, pwrite(self->fd, "x", 1, 2 * self->p));
	ASSERT_EQ(1, pwrite(self->fd, "x", 1, 3 * self->p + 7));
	ASSERT_EQ(1, pwrite(self->fd, "x", 1, 50 * self->p));

	memset(vec, 0xff, sizeof(vec));
	ASSERT_OK(vmsync_cache_state(self->fd, 0, 0, vec, sizeof(vec), &c));
	EXPECT_EQ(NP, c.nr_pages);
	EXPECT_EQ(NP - 11, c.nr_resident);
	EXPECT_EQ(3, c.nr_dirty);
	EXPECT_EQ(0, c.nr_writeback);

	map = mmap(NULL, NP * self->p, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_OK(mincore(map, NP * self->p, core));
	for (i = 0; i < NP; i++) {
		bool dropped = (i >= 8 && i < 16) || (i >= 40 && i < 43);
		bool want_dirty = i == 2 || i == 3 || i == 50;
		unsigned char want = dropped ? 0 : VMSYNC_PAGE_RESIDENT |
				     (want_dirty ? VMSYNC_PAGE_DIRTY : 0);

		EXPECT_EQ(want, vec[i]) TH_LOG("page %zu", i);
		EXPECT_EQ(!!(core[i] & 1), !!(vec[i] & VMSYNC_PAGE_RESIDENT))
			TH_LOG("page %zu", i);
		dirty += !!(vec[i] & VMSYNC_PAGE_DIRTY);
	}
	EXPECT_EQ(3, dirty);
	/* Faulting a page in does not change its state; kpageflags agrees. */
	ASSERT_OK(madvise(map + 50 * self->p, 2 * self->p, MADV_POPULATE_READ));
	EXPECT_TRUE(vt_page_dirty(map + 50 * self->p));
	EXPECT_FALSE(vt_page_dirty(map + 51 * self->p));
	munmap(map, NP * self->p);
}

/*
 * Offsets round down and ends round up to pages; a vector shorter than the
 * range ends the call early, and nr_pages says where to go on from.
 */
TEST_F(file, ranges_round_outward_and_vectors_chunk)
{
	unsigned char vec[NP];
	struct vmsync_cache_counts c;
	uint64_t off = 0, resident = 0;

	/* One byte in page 1 is page 1. */
	ASSERT_OK(vmsync_cache_state(self->fd, self->p + 1, 1, NULL, 0, &c));
	EXPECT_EQ(1, c.nr_pages);
	EXPECT_EQ(1, c.nr_resident);
	/* Two bytes across pages 1 and 2 are two pages. */
	ASSERT_OK(vmsync_cache_state(self->fd, 2 * self->p - 1, 2, NULL, 0, &c));
	EXPECT_EQ(2, c.nr_pages);

	ASSERT_OK(posix_fadvise(self->fd, 0, 5 * self->p, POSIX_FADV_DONTNEED));
	ASSERT_OK(fsync(self->fd));
	ASSERT_OK(posix_fadvise(self->fd, 0, 5 * self->p, POSIX_FADV_DONTNEED));
	while (off < NP) {
		memset(vec, 0xff, sizeof(vec));
		ASSERT_OK(vmsync_cache_state(self->fd, off * self->p, 0, vec,
					     10, &c));
		ASSERT_EQ(off + 10 <= NP ? 10 : NP - off, c.nr_pages);
		/* Not a byte past what it looked at. */
		EXPECT_EQ(0xff, vec[c.nr_pages]);
		resident += c.nr_resident;
		off += c.nr_pages;
	}
	EXPECT_EQ(NP, off);
	EXPECT_EQ(NP - 5, resident);

	/* Past the end of the file, length 0 looks at nothing. */
	ASSERT_OK(vmsync_cache_state(self->fd, NP * self->p, 0, NULL, 0, &c));
	EXPECT_EQ(0, c.nr_pages);
	EXPECT_EQ(0, c.nr_resident);
}

/*
 * A range of 2^52 pages, most of it a hole, costs one step per cached
 * page, not per index: it returns at once with exact counts.
 */
TEST_F(file, huge_sparse_ranges_are_cheap)
{
	struct vmsync_cache_counts c;
	double t0 = vt_now();

	ASSERT_OK(ftruncate64(self->fd, 1ULL << 40));
	ASSERT_EQ(1, pwrite64(self->fd, "x", 1, (1ULL << 40) - 1));
	ASSERT_OK(vmsync_cache_state(self->fd, 0, 0, NULL, 0, &c));
	EXPECT_EQ((1ULL << 40) / self->p, c.nr_pages);
	EXPECT_EQ(NP + 1, c.nr_resident);
	EXPECT_EQ(NP + 1, c.nr_dirty);

	ASSERT_OK(vmsync_cache_state(self->fd, 0, UINT64_MAX, NULL, 0, &c));
	EXPECT_EQ(UINT64_MAX / self->p + 1, c.nr_pages);
	EXPECT_EQ(NP + 1, c.nr_resident);
	/* Generous for TCG: a walk of every index would take hours. */
	EXPECT_GT(10.0, vt_now() - t0);
}

/* Every rejected call names its reason and leaves the out fields alone. */
TEST_F(file, errors_are_exact_and_write_nothing)
{
	struct vmsync_cache_state_args args;
	unsigned char vec[4];
	int pipefd[2], dir, opath;

#define EXPECT_REJECTED(err, a) do {					\
		args = (a);						\
		memset(&args.nr_pages, VT_POISON, 4 * sizeof(uint64_t)); \
		EXPECT_EQ(-1, cache_state(&args));			\
		EXPECT_EQ(err, errno);					\
		EXPECT_TRUE(vt_all(&args.nr_pages, 4 * sizeof(uint64_t), \
				   VT_POISON));				\
	} while (0)

	args = state_args(self->fd, 0, 0);
	args.flags = 1;
	EXPECT_REJECTED(EINVAL, args);
	args = state_args(self->fd, 0, 0);
	args.reserved[2] = 1;
	EXPECT_REJECTED(EINVAL, args);
	args = state_args(self->fd, 0, 0);
	args.vec = (uintptr_t)vec;
	EXPECT_REJECTED(EINVAL, args);
	args = state_args(self->fd, 0, 0);
	args.vec_len = sizeof(vec);
	EXPECT_REJECTED(EINVAL, args);
	/* The last byte would be past 2^64. */
	EXPECT_REJECTED(EINVAL, state_args(self->fd, 2, UINT64_MAX));
	EXPECT_REJECTED(EBADF, state_args(-1, 0, 0));
	EXPECT_REJECTED(EBADF, state_args(1000, 0, 0));

	ASSERT_OK(pipe(pipefd));
	EXPECT_REJECTED(EINVAL, state_args(pipefd[0], 0, 0));
	close(pipefd[0]);
	close(pipefd[1]);
	dir = open(vt_test_dir(), O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dir);
	EXPECT_REJECTED(EINVAL, state_args(dir, 0, 0));
	close(dir);
	/* An O_PATH descriptor opens nothing: as with every file call. */
	opath = open(self->path, O_PATH);
	ASSERT_LE(0, opath);
	EXPECT_REJECTED(EBADF, state_args(opath, 0, 0));
	close(opath);

	/* A vector the caller cannot write. */
	args = state_args(self->fd, 0, 0);
	args.vec = 8;
	args.vec_len = NP;
	EXPECT_REJECTED(EFAULT, args);
	EXPECT_EQ(-1, ioctl(vmsync_fd(), VMSYNC_IOC_CACHE_STATE, 8));
	EXPECT_EQ(EFAULT, errno);
#undef EXPECT_REJECTED
}

/* hugetlbfs counts in huge pages: refused, as cachestat(2) refuses it. */
TEST(hugetlbfs_is_not_supported)
{
	struct vmsync_cache_counts c;
	int fd = memfd_create("vmsync-huge", MFD_HUGETLB);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, vmsync_cache_state(fd, 0, 0, NULL, 0, &c));
	EXPECT_EQ(EOPNOTSUPP, errno);
	close(fd);
}

/*
 * A huge folio is counted page by page, also when the range starts and
 * ends inside it: tmpfs with huge=always gives one 2 MiB folio.
 */
TEST(large_folios_count_the_pages_in_range)
{
	char dir[] = "/tmp/vmsync-thp-XXXXXX", path[64];
	unsigned char vec[8];
	struct vmsync_cache_counts c;
	size_t huge = 2 << 20, p = vt_page;
	bool present;
	char *map;
	int fd;

	/*
	 * Without THP (PREEMPT_RT before 6.12) no file has a large folio:
	 * ext4 has none before 6.16, and tmpfs takes no huge= option.
	 */
	if (access("/sys/kernel/mm/transparent_hugepage", F_OK)) {
		ASSERT_EQ(ENOENT, errno);
		TH_LOG("no THP in this kernel: no large folio can be counted");
		return;
	}
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_OK(mount("tmpfs", dir, "tmpfs", 0, "huge=always,size=8m"));
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_OK(ftruncate(fd, huge));
	map = mmap(NULL, huge, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	memset(map, 1, huge);
	/* The test is only worth something on a huge folio. */
	EXPECT_TRUE(vt_kpageflags(map + 5 * p, &present) & (1ULL << KPF_THP));
	EXPECT_TRUE(present);

	ASSERT_OK(vmsync_cache_state(fd, 0, 0, NULL, 0, &c));
	EXPECT_EQ(huge / p, c.nr_pages);
	EXPECT_EQ(huge / p, c.nr_resident);
	/* shmem keeps no dirty mark: as cachestat(2), none is dirty. */
	EXPECT_EQ(0, c.nr_dirty);
	ASSERT_OK(vmsync_cache_state(fd, 100 * p + 1, 3 * p, vec, sizeof(vec),
				     &c));
	EXPECT_EQ(4, c.nr_pages);
	EXPECT_EQ(4, c.nr_resident);
	EXPECT_EQ(VMSYNC_PAGE_RESIDENT, vec[0] & VMSYNC_PAGE_RESIDENT);
	EXPECT_EQ(VMSYNC_PAGE_RESIDENT, vec[3] & VMSYNC_PAGE_RESIDENT);

	munmap(map, huge);
	close(fd);
	umount(dir);
	rmdir(dir);
}

struct perm_case {
	const char *path;
	int flags;
	int want;	/* 0 or an errno */
};

static int try_as_nobody(void *arg)
{
	const struct perm_case *pc = arg;
	struct vmsync_cache_counts c;
	int fd;

	if (vt_become(NOBODY))
		return 100;
	fd = open(pc->path, pc->flags);
	if (fd < 0)
		return 101;
	if (vmsync_cache_state(fd, 0, 0, NULL, 0, &c))
		return errno == pc->want ? 0 : 102;
	return pc->want == 0 && c.nr_pages == NP ? 0 : 103;
}

/*
 * cachestat(2)'s rule: only who opened the file for writing, owns it, or
 * could open it for writing sees its page cache.
 */
TEST_F(file, only_who_could_write_the_file_sees_its_cache)
{
	struct perm_case pc = { .path = self->path };

	/* Root's 0644 file, opened for reading by nobody: refused. */
	ASSERT_OK(chmod(self->path, 0644));
	pc.flags = O_RDONLY;
	pc.want = EPERM;
	EXPECT_EQ(0, vt_in_child(try_as_nobody, &pc));

	/* World-writable: nobody could open it for writing, so it may look. */
	ASSERT_OK(chmod(self->path, 0666));
	pc.want = 0;
	EXPECT_EQ(0, vt_in_child(try_as_nobody, &pc));
	pc.flags = O_WRONLY;
	EXPECT_EQ(0, vt_in_child(try_as_nobody, &pc));

	/* Nobody's own file, read-only to everyone: the owner may look. */
	ASSERT_OK(chmod(self->path, 0444));
	ASSERT_OK(chown(self->path, NOBODY, NOBODY));
	pc.flags = O_RDONLY;
	EXPECT_EQ(0, vt_in_child(try_as_nobody, &pc));
}

TEST_HARNESS_MAIN
