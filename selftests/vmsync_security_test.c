// SPDX-License-Identifier: GPL-2.0
/*
 * What a local user who is not a friend can make the module do
 * (docs/security.md): a reader may not evict pages others map, and no call
 * costs more than linear time in its range, however its mappings overlap.
 *
 * Run as root on ext4 ($VMSYNC_TEST_DIR), with the module loaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmsync/mach.h"
#include "vmsync_test_util.h"

#define P		vt_page
#define NOBODY		65534

/* Pages of the file a reader tries to evict. */
#define EVICT_PAGES	64

static size_t resident_pages(const unsigned char *map, size_t npages)
{
	size_t i, n = 0;

	for (i = 0; i < npages; i++)
		n += vt_resident(map + i * P);
	return n;
}

/* Pages of the mapping that are in this process's page tables. */
static size_t present_pages(const unsigned char *map, size_t npages)
{
	size_t i, n = 0;
	bool present;

	for (i = 0; i < npages; i++) {
		vt_kpageflags(map + i * P, &present);
		n += present;
	}
	return n;
}

/* --- eviction: only writers drop pages others map -------------------- */

FIXTURE(evict) {
	char path[4096];
	int fd;
	unsigned char *map;
};

FIXTURE_SETUP(evict)
{
	snprintf(self->path, sizeof(self->path), "%s/evict-%d", vt_test_dir(),
		 getpid());
	self->fd = vt_create_file(vt_test_dir(), strrchr(self->path, '/') + 1,
				  EVICT_PAGES, false);
	ASSERT_LE(0, self->fd);
	ASSERT_OK(fchmod(self->fd, 0644));
	self->map = mmap(NULL, EVICT_PAGES * P, PROT_READ, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
}

FIXTURE_TEARDOWN(evict)
{
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, EVICT_PAGES * P);
	if (self->fd >= 0) {
		close(self->fd);
		unlink(self->path);
	}
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif

/* Fault every page in, so that this process maps them all. */
static int map_all(unsigned char *map)
{
	return madvise(map, EVICT_PAGES * P, MADV_POPULATE_READ);
}

/*
 * As nobody: map the file read-only without touching it and invalidate.
 * Returns 0 when every call gave what want_errno says (0: success).
 */
static int nobody_invalidates(const char *path, int want_errno)
{
	unsigned long long discarded = 0;
	struct vmsync_vm_msync_result res;
	vm_address_t addr;
	int want_kr, fd, rc;
	void *map;

	if (vt_become(NOBODY))
		return 10;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 11;
	map = mmap(NULL, EVICT_PAGES * P, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return 12;
	addr = (vm_address_t)map;
	rc = vmsync_msync_counts(map, EVICT_PAGES * P, MS_INVALIDATE, NULL,
				 &discarded);
	if (want_errno ? rc != -1 || errno != want_errno : rc != 0)
		return 13;
	want_kr = want_errno ? KERN_PROTECTION_FAILURE : KERN_SUCCESS;
	if (vmsync_vm_msync(vm_task_self(), addr, EVICT_PAGES * P,
			    VM_SYNC_INVALIDATE, &res) != want_kr ||
	    res.error != want_errno)
		return 14;
	if (vmsync_vm_msync(vm_task_self(), addr, EVICT_PAGES * P,
			    VM_SYNC_INVALIDATE | VM_SYNC_SYNCHRONOUS,
			    &res) != want_kr || res.error != want_errno)
		return 15;
	return 0;
}

static int nobody_refused(void *path)
{
	return nobody_invalidates(path, EACCES);
}

static int nobody_allowed(void *path)
{
	return nobody_invalidates(path, 0);
}

/*
 * A user with read access only cannot drop pages another process maps
 * (posix_fadvise(POSIX_FADV_DONTNEED) cannot either); it is told EACCES.
 */
TEST_F(evict, reader_cannot_evict_mapped_pages)
{
	ASSERT_OK(map_all(self->map));
	ASSERT_EQ(EVICT_PAGES, resident_pages(self->map, EVICT_PAGES));
	ASSERT_EQ(EVICT_PAGES, present_pages(self->map, EVICT_PAGES));

	EXPECT_EQ(0, vt_in_child(nobody_refused, self->path));

	EXPECT_EQ(EVICT_PAGES, resident_pages(self->map, EVICT_PAGES));
	EXPECT_EQ(EVICT_PAGES, present_pages(self->map, EVICT_PAGES));
}

/* What posix_fadvise() may drop, a reader may drop: clean pages nobody maps. */
TEST_F(evict, reader_drops_unmapped_clean_pages)
{
	char buf[64];
	size_t i;

	for (i = 0; i < EVICT_PAGES; i++)
		ASSERT_EQ(1, pread(self->fd, buf, 1, (off_t)(i * P)));
	ASSERT_EQ(EVICT_PAGES, resident_pages(self->map, EVICT_PAGES));
	ASSERT_EQ(0, present_pages(self->map, EVICT_PAGES));

	EXPECT_EQ(0, vt_in_child(nobody_allowed, self->path));

	EXPECT_EQ(0, resident_pages(self->map, EVICT_PAGES));
}

/* The file's owner may, without write access: it could chmod and write. */
TEST_F(evict, owner_evicts_mapped_pages)
{
	ASSERT_OK(fchown(self->fd, NOBODY, NOBODY));
	ASSERT_OK(fchmod(self->fd, 0444));
	ASSERT_OK(map_all(self->map));
	ASSERT_EQ(EVICT_PAGES, present_pages(self->map, EVICT_PAGES));

	EXPECT_EQ(0, vt_in_child(nobody_allowed, self->path));

	EXPECT_EQ(0, present_pages(self->map, EVICT_PAGES));
	EXPECT_EQ(0, resident_pages(self->map, EVICT_PAGES));
}

/* --- bounded work ---------------------------------------------------- */

/*
 * n read-only mappings of a sparse file, side by side, mapping i showing
 * file pages i and i + 1: each one's request overlaps the previous one's,
 * so each request waits for the one before it.  One vm_msync over all of
 * them; returns the seconds it took, or -1.
 */
static double chained_sync(struct __test_metadata *_metadata, size_t n,
			   vm_sync_t flags)
{
	struct vmsync_stats before, after;
	char path[4096];
	unsigned char *region;
	double t0, t;
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "%s/chain-%d", vt_test_dir(), getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	EXPECT_LE(0, fd);
	if (fd < 0)
		return -1;
	unlink(path);
	EXPECT_EQ(0, ftruncate(fd, (off_t)((n + 1) * P)));
	region = mmap(NULL, n * 2 * P, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	EXPECT_NE(MAP_FAILED, region);
	if (region == MAP_FAILED) {
		close(fd);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (mmap(region + i * 2 * P, 2 * P, PROT_READ,
			 MAP_SHARED | MAP_FIXED, fd, (off_t)(i * P)) ==
		    MAP_FAILED) {
			EXPECT_EQ(0, errno) TH_LOG("mapping %zu of %zu", i, n);
			break;
		}
	}
	EXPECT_EQ(0, vmsync_get_stats(&before));
	t0 = vt_now();
	EXPECT_EQ(KERN_SUCCESS, vm_msync(vm_task_self(),
					 (vm_address_t)region, n * 2 * P,
					 flags));
	t = vt_now() - t0;
	EXPECT_EQ(0, vmsync_get_stats(&after));
	/* One request per mapping, none left behind. */
	EXPECT_LE(before.requests + n, after.requests);
	EXPECT_EQ(0, after.requests_pending);
	munmap(region, n * 2 * P);
	close(fd);
	printf("# chained overlap: %zu mappings, flags %#x: %.3f s, %.1f us per mapping\n",
	       n, flags, t, t * 1e6 / (double)n);
	return t;
}

#define CHAIN_SMALL	2000

/*
 * The large chain: $VMSYNC_CHAIN_MAPPINGS (default 60000; make check uses
 * fewer on the slow debug kernel), at least 10 times the small one.
 */
static size_t chain_large(void)
{
	const char *s = getenv("VMSYNC_CHAIN_MAPPINGS");
	size_t n = s && *s ? strtoul(s, NULL, 10) : 60000;

	return n < 10 * CHAIN_SMALL ? 10 * CHAIN_SMALL : n;
}

/*
 * The time grows linearly with the number of mappings: 10 to 30 times the
 * mappings may take at most 5 times as long per mapping (quadratic work
 * would take 10 to 30 times as long per mapping).
 */
static void expect_linear(struct __test_metadata *_metadata, vm_sync_t flags)
{
	size_t n = chain_large();
	double small = chained_sync(_metadata, CHAIN_SMALL, flags);
	double large = chained_sync(_metadata, n, flags);

	ASSERT_LT(0, small);
	ASSERT_LT(0, large);
	EXPECT_LT(large / n, 5 * (small / CHAIN_SMALL) + 0.0001);
}

FIXTURE(chain) {
};

FIXTURE_SETUP(chain)
{
}

FIXTURE_TEARDOWN(chain)
{
}

TEST_F_TIMEOUT(chain, sync_is_linear, 600)
{
	expect_linear(_metadata, VM_SYNC_SYNCHRONOUS);
}

TEST_F_TIMEOUT(chain, async_invalidate_is_linear, 600)
{
	expect_linear(_metadata, VM_SYNC_ASYNCHRONOUS | VM_SYNC_INVALIDATE);
}

/* --- DAX: no page cache, nothing to discard --------------------------- */

/* ext4 on the guest's persistent memory ($VMSYNC_PMEM_DEV), mounted -o dax. */
FIXTURE(dax) {
	char mnt[64];
	char path[128];
	int fd;
	unsigned char *map;
	bool mounted;
};

FIXTURE_SETUP(dax)
{
	const char *pmem = getenv("VMSYNC_PMEM_DEV");
	char bs[32];
	int status;
	pid_t pid;

	self->fd = -1;
	ASSERT_TRUE(pmem && *pmem) TH_LOG("VMSYNC_PMEM_DEV names no pmem device");
	/* e2fsprogs' mke2fs from $PATH, not a shell's built-in one. */
	snprintf(bs, sizeof(bs), "%zu", P);
	pid = fork();
	if (pid == 0) {
		execlp("mke2fs", "mke2fs", "-q", "-F", "-t", "ext4", "-b", bs,
		       pmem, (char *)NULL);
		_exit(127);
	}
	ASSERT_LT(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	snprintf(self->mnt, sizeof(self->mnt), "/tmp/vmsync-dax-%d", getpid());
	ASSERT_OK(mkdir(self->mnt, 0755));
	ASSERT_OK(mount(pmem, self->mnt, "ext4", 0, "dax=always"));
	self->mounted = true;
	snprintf(self->path, sizeof(self->path), "%s/file", self->mnt);
	self->fd = vt_create_file(self->mnt, "file", 4, false);
	ASSERT_LE(0, self->fd);
	self->map = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
}

FIXTURE_TEARDOWN(dax)
{
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, 4 * P);
	if (self->fd >= 0)
		close(self->fd);
	if (self->mounted)
		umount(self->mnt);
	rmdir(self->mnt);
}

/*
 * A DAX file's mapping is the storage itself: there is no cached copy to
 * discard, so VM_SYNC_INVALIDATE alone cannot abandon a change.  It says
 * so (KERN_FAILURE, EOPNOTSUPP) instead of claiming success, and the
 * change stays.
 */
TEST_F(dax, invalidate_alone_is_not_supported)
{
	struct vmsync_vm_msync_result res;
	unsigned char buf[64];

	memset(self->map, 0x5a, P);
	EXPECT_EQ(KERN_FAILURE,
		  vmsync_vm_msync(vm_task_self(), (vm_address_t)self->map,
				  4 * P, VM_SYNC_INVALIDATE, &res));
	EXPECT_EQ(EOPNOTSUPP, res.error);
	EXPECT_EQ(0, res.pages_discarded);
	EXPECT_TRUE(vt_all(self->map, P, 0x5a));
	ASSERT_EQ(sizeof(buf), pread(self->fd, buf, sizeof(buf), 0));
	EXPECT_TRUE(vt_all(buf, sizeof(buf), 0x5a));
	/* Writing and invalidating work as anywhere else. */
	EXPECT_EQ(KERN_SUCCESS,
		  vm_msync(vm_task_self(), (vm_address_t)self->map, 4 * P,
			   VM_SYNC_SYNCHRONOUS | VM_SYNC_INVALIDATE));
	EXPECT_EQ(0, vmsync_msync(self->map, 4 * P, MS_INVALIDATE));
}

TEST_HARNESS_MAIN
