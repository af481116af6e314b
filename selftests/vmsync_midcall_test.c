// SPDX-License-Identifier: GPL-2.0
/*
 * The file changes under a call that is waiting for its pager: truncated,
 * unlinked, its file system remounted read-only.  The test hook
 * /sys/kernel/debug/vmsync/test_sync_delay_ms holds the vnode pager's
 * answer back, so that the call is in flight (its synchronize request
 * issued, counted in requests_pending) while the main thread acts.
 *
 * What must hold: the call returns the code behaviour.md lists (0 here:
 * nothing failed), data written before the change is on the disk after it,
 * access past the new end of file raises SIGBUS exactly as on a file no
 * call touched, the inode of an unlinked file is freed once the call lets
 * go of it, and the read-only file system passes e2fsck.  The kernel log
 * must stay clean (scripts/vmrun checks).
 *
 * Each scenario checks that its action happened while the call was still
 * waiting; if the call returned first (a very slow machine), it is run
 * again with the delay doubled, up to three times.  The first delay is
 * $VMSYNC_MIDCALL_DELAY_MS (default 2000).
 *
 * Run as root with the selftests' build of the module (the hook), in
 * $VMSYNC_TEST_DIR on ext4; the remount test also wants $VMSYNC_SCRATCH_DEV,
 * a spare disk it reformats (and leaves a fresh ext4), and e2fsprogs'
 * mke2fs and e2fsck next to the test or in $PATH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmsync/mach.h"
#include "vmsync_test_util.h"

#define DELAY_HOOK	"/sys/kernel/debug/vmsync/test_sync_delay_ms"
#define NP		8	/* pages of a test file */
#define P		vt_page
#define ATTEMPTS	3
#define GEN		1	/* the generation written through the mapping */

/* --- a call held open by the delay hook --------------------------------- */

enum call_kind { CALL_MSYNC, CALL_VM_MSYNC };

struct call {
	enum call_kind kind;
	void *addr;
	size_t len;
	int flags;
	pthread_t thread;
	int ret;		/* msync: 0/-1; vm_msync: the kern_return_t */
	int err;		/* errno when it failed */
	unsigned long long written, discarded;
	atomic_bool done;
};

static void *call_thread(void *arg)
{
	struct call *c = arg;
	struct vmsync_vm_msync_result res = {};

	if (c->kind == CALL_MSYNC) {
		c->ret = vmsync_msync_counts(c->addr, c->len, c->flags,
					     &c->written, &c->discarded);
		c->err = c->ret ? errno : 0;
	} else {
		c->ret = vmsync_vm_msync(vm_task_self(), (vm_address_t)c->addr,
					 c->len, c->flags, &res);
		c->err = c->ret ? errno : 0;
		c->written = res.pages_returned;
		c->discarded = res.pages_discarded;
	}
	atomic_store(&c->done, true);
	return NULL;
}

static unsigned long long requests_pending(void)
{
	struct vmsync_stats st;

	if (vmsync_get_stats(&st))
		return 0;
	return st.requests_pending;
}

static unsigned int base_delay_ms(void)
{
	const char *s = getenv("VMSYNC_MIDCALL_DELAY_MS");
	unsigned long v = s && *s ? strtoul(s, NULL, 10) : 0;

	return v ? (unsigned int)v : 2000;
}

static int set_delay(unsigned int ms)
{
	char text[16];

	snprintf(text, sizeof(text), "%u", ms);
	return vt_write_file(DELAY_HOOK, text);
}

/*
 * Start the call with the pager's answer delayed by ms, and return once
 * its request is with the pager.  False if it returned first.
 */
static bool call_start(struct __test_metadata *_metadata, struct call *c,
		       unsigned int ms)
{
	double deadline = vt_now() + 60;

	/*
	 * A test that failed with its call in flight leaves the request to
	 * end within its delay: wait for it, so that one failure does not
	 * fail the tests after it.
	 */
	while (requests_pending() && vt_now() < deadline)
		usleep(10000);
	ASSERT_EQ(0, requests_pending()) TH_LOG("a request of someone else");
	ASSERT_OK(set_delay(ms));
	atomic_store(&c->done, false);
	ASSERT_EQ(0, pthread_create(&c->thread, NULL, call_thread, c));
	deadline = vt_now() + 60;
	while (!requests_pending()) {
		if (atomic_load(&c->done))
			return false;
		ASSERT_LT(vt_now(), deadline) TH_LOG("the call never waited");
		usleep(500);
	}
	return true;
}

/* Was the call still waiting for its pager?  Then wait for it to end. */
static bool call_finish(struct __test_metadata *_metadata, struct call *c)
{
	bool mid = !atomic_load(&c->done) && requests_pending();

	ASSERT_EQ(0, pthread_join(c->thread, NULL));
	ASSERT_OK(set_delay(0));
	return mid;
}

/* --- SIGBUS probes ------------------------------------------------------ */

static sigjmp_buf probe_env;

static void on_sigbus(int sig)
{
	siglongjmp(probe_env, 1);
}

/* Does touching *p (reading, or writing 0x5a) raise SIGBUS? */
static bool sigbus_on(unsigned char *p, bool write)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	bool bus = true;

	sigaction(SIGBUS, &sa, &old);
	if (!sigsetjmp(probe_env, 1)) {
		/* The access itself, which the compiler may not drop. */
		if (write)
			__atomic_store_n(p, 0x5a, __ATOMIC_RELAXED);
		else
			(void)__atomic_load_n(p, __ATOMIC_RELAXED);
		bus = false;
	}
	sigaction(SIGBUS, &old, NULL);
	return bus;
}

/* --- files -------------------------------------------------------------- */

static void dirty(unsigned char *map, size_t first, size_t n)
{
	size_t i;

	for (i = first; i < first + n; i++)
		memset(map + i * P, vt_fill(i, GEN), P);
}

/* Does the disk hold byte c in [from, to) of page 'page' of fd's file? */
static bool disk_bytes_are(int disk, int fd, size_t page, size_t from,
			   size_t to, unsigned char c)
{
	unsigned char *buf = malloc(P);
	bool ok;

	ok = buf && !vt_disk_read_page(disk, fd, page, buf) &&
	     vt_all(buf + from, to - from, c);
	free(buf);
	return ok;
}

/* As disk_bytes_are(), polling ~20 s for writes MS_ASYNC only started. */
static bool disk_becomes(int disk, int fd, size_t page, size_t from,
			 size_t to, unsigned char c)
{
	double deadline = vt_now() + 20;

	do {
		if (disk_bytes_are(disk, fd, page, from, to, c))
			return true;
		usleep(20000);
	} while (vt_now() < deadline);
	return false;
}

/* Free inodes of the file system holding path. */
static long long free_inodes(const char *path)
{
	struct statfs st;

	return statfs(path, &st) ? -1 : (long long)st.f_ffree;
}

/*
 * Run a tool of e2fsprogs with its arguments: the one next to this program
 * if there is one (the test VM's busybox has applets of the same names,
 * which a shell would prefer), else from $PATH.  Its exit status, or -1.
 */
static int run_tool(const char *tool, const char *const *args)
{
	char exe[512], path[600], *argv[16];
	int status, n = 0;
	ssize_t len;
	pid_t pid;

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return -1;
	exe[len] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(path, sizeof(path), "%s/%s", exe, tool);
	argv[n++] = (char *)tool;
	while (*args && n < 15)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		if (!access(path, X_OK))
			execv(path, argv);
		else
			execvp(tool, argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* --- the fixture -------------------------------------------------------- */

FIXTURE(midcall) {
	char dir[256];		/* where the files go */
	char mnt[256];		/* scratch mount point, or "" */
	bool mounted;
	const char *dev;	/* scratch disk, when used */
	char path[512];
	int fd, disk;
	unsigned char *map;
	struct vt_writeback wb;
};

FIXTURE_VARIANT(midcall) {
	enum call_kind kind;
	int flags;
	bool discards;		/* dirty pages are dropped, not written */
	bool drops;		/* clean pages are dropped afterwards */
	/* No fsync: writes are started (and, before a drop, waited for). */
	bool async;
};

FIXTURE_VARIANT_ADD(midcall, ms_sync) {
	.kind = CALL_MSYNC, .flags = MS_SYNC,
};

FIXTURE_VARIANT_ADD(midcall, ms_async) {
	.kind = CALL_MSYNC, .flags = MS_ASYNC, .async = true,
};

FIXTURE_VARIANT_ADD(midcall, ms_invalidate) {
	.kind = CALL_MSYNC, .flags = MS_SYNC | MS_INVALIDATE, .drops = true,
};

FIXTURE_VARIANT_ADD(midcall, vm_async_invalidate) {
	.kind = CALL_VM_MSYNC,
	.flags = VM_SYNC_ASYNCHRONOUS | VM_SYNC_INVALIDATE, .drops = true,
	.async = true,
};

FIXTURE_VARIANT_ADD(midcall, vm_invalidate_alone) {
	.kind = CALL_VM_MSYNC, .flags = VM_SYNC_INVALIDATE,
	.discards = true, .drops = true,
};

FIXTURE_SETUP(midcall)
{
	self->fd = -1;
	self->disk = -1;
	self->map = MAP_FAILED;
	snprintf(self->dir, sizeof(self->dir), "%s", vt_test_dir());
	ASSERT_LE(0, vmsync_fd()) TH_LOG("%s", vmsync_strerror(errno));
	ASSERT_EQ(0, access(DELAY_HOOK, W_OK))
		TH_LOG("no %s: load the selftests' build of the module",
		       DELAY_HOOK);
	/* Nothing but the call under test (or the remount) writes. */
	ASSERT_OK(vt_writeback_off(&self->wb));
}

static const char *const mkfs_args[] = {
	"-F", "-q", "-t", "ext4", "-b", "4096", NULL, NULL
};

/* mke2fs with 4 KiB blocks on dev: its exit status. */
static int mkfs(const char *dev)
{
	const char *args[ARRAY_SIZE(mkfs_args)];

	memcpy(args, mkfs_args, sizeof(args));
	args[ARRAY_SIZE(args) - 2] = dev;
	return run_tool("mke2fs", args);
}

/* e2fsck -fn on dev: its exit status. */
static int fsck(const char *dev)
{
	const char *args[4];

	args[0] = "-f";
	args[1] = "-n";
	args[2] = dev;
	args[3] = NULL;
	return run_tool("e2fsck", args);
}

static void file_close(struct _test_data_midcall *self)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, NP * P);
	self->map = MAP_FAILED;
	if (self->fd >= 0)
		close(self->fd);
	self->fd = -1;
	if (self->disk >= 0)
		close(self->disk);
	self->disk = -1;
	if (self->path[0])
		unlink(self->path);
	self->path[0] = '\0';
}

static void scratch_release(struct _test_data_midcall *self)
{
	double deadline = vt_now() + 10;

	/* After a failure: do not leave the disk mounted for the next tests. */
	while (self->mounted && umount(self->mnt) && errno == EBUSY &&
	       vt_now() < deadline)
		usleep(100000);
	if (self->mounted && umount2(self->mnt, MNT_DETACH) && errno != EINVAL)
		perror("umount");
	self->mounted = false;
	if (self->mnt[0])
		rmdir(self->mnt);
	self->mnt[0] = '\0';
}

FIXTURE_TEARDOWN(midcall)
{
	set_delay(0);
	file_close(self);
	if (self->dev) {
		scratch_release(self);
		/* Leave the disk as the test VM made it, for the tests after us. */
		mkfs(self->dev);
	}
	vt_writeback_restore(&self->wb);
}

/*
 * A file of NP pages in self->dir, written and read back from the disk,
 * mapped shared and writable, every page dirtied with generation GEN.
 */
static void file_open(struct __test_metadata *_metadata,
		      struct _test_data_midcall *self, const char *name)
{
	snprintf(self->path, sizeof(self->path), "%s/%s-%d", self->dir, name,
		 getpid());
	self->fd = vt_create_file(self->dir, strrchr(self->path, '/') + 1, NP,
				  false);
	ASSERT_LE(0, self->fd) TH_LOG("cannot create %s", self->path);
	self->disk = vt_disk_open(self->fd);
	ASSERT_LE(0, self->disk);
	self->map = mmap(NULL, NP * P, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	dirty(self->map, 0, NP);
}

static void call_init(struct call *c, const struct _fixture_variant_midcall *variant,
		      void *addr, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->kind = variant->kind;
	c->flags = variant->flags;
	c->addr = addr;
	c->len = len;
}

/* The call's result: nothing failed. */
static void expect_success(struct __test_metadata *_metadata,
			   const struct _fixture_variant_midcall *variant,
			   struct call *c)
{
	if (variant->kind == CALL_MSYNC) {
		EXPECT_EQ(0, c->ret) TH_LOG("errno %d (%s)", c->err,
					    strerror(c->err));
	} else {
		EXPECT_EQ(KERN_SUCCESS, c->ret)
			TH_LOG("%s, errno %d",
			       vmsync_kern_return_string(c->ret), c->err);
	}
}

/* --- truncation ------------------------------------------------------- */

/* New size: three and a half pages, so that page 3 straddles the end. */
#define TRUNC_PAGES	3
#define TRUNC_SIZE	(TRUNC_PAGES * P + P / 2)

/*
 * What a mapping of a file truncated to TRUNC_SIZE shows, one letter per
 * page: 'B' SIGBUS on reading and on writing; 'Z' the part past the end
 * reads zeros; 'D' readable.
 */
static void truncated_view(unsigned char *map, char *view)
{
	size_t i;

	for (i = 0; i < NP; i++) {
		if (sigbus_on(map + i * P, false))
			view[i] = sigbus_on(map + i * P, true) ? 'B' : 'w';
		else if (i == TRUNC_PAGES)
			view[i] = vt_all(map + i * P + P / 2, P / 2, 0) ?
				  'Z' : 'z';
		else
			view[i] = 'D';
	}
	view[NP] = '\0';
}

/*
 * The file is truncated to 3.5 pages while the call over all of its 8
 * dirty pages waits for its pager.  The call succeeds; the pages left have
 * the data the call wrote (or, discarded, what the disk had); past the end
 * a mapping faults as a mapping of a file no call touched does; extending
 * the file again brings back zeros, not the truncated pages.
 */
TEST_F_TIMEOUT(midcall, truncate, 300)
{
	char view[NP + 1], control_view[NP + 1];
	unsigned char want, *control;
	unsigned int ms = base_delay_ms();
	struct call c;
	int attempt, cfd;
	size_t i;

	for (attempt = 0;; attempt++, ms *= 2) {
		bool mid;

		file_open(_metadata, self, "midcall-trunc");
		call_init(&c, variant, self->map, NP * P);
		mid = call_start(_metadata, &c, ms);
		ASSERT_OK(ftruncate(self->fd, TRUNC_SIZE));
		mid = call_finish(_metadata, &c) && mid;
		if (mid)
			break;
		ASSERT_LT(attempt + 1, ATTEMPTS)
			TH_LOG("the truncation never came while the call waited");
		ksft_print_msg("truncation after the call (delay %u ms): again\n",
			       ms);
		file_close(self);
	}
	ksft_print_msg("truncated while the call waited (delay %u ms)\n", ms);

	expect_success(_metadata, variant, &c);
	/*
	 * The dirty pages went back (or were discarded) before the
	 * truncation.  Truncating in the middle of page 3 zeroes its tail and
	 * dirties it again; without an fsync in the call (asynchronous), the
	 * drop finds it dirty and writes it once more before dropping it.
	 */
	EXPECT_EQ(variant->discards ? 0 :
		  NP + (variant->async && variant->drops), c.written);
	if (variant->discards) {
		EXPECT_EQ(NP, c.discarded);
	} else if (variant->drops) {
		/* What the truncation left: 3 pages and the one it cut. */
		EXPECT_EQ(TRUNC_PAGES + 1, c.discarded);
	} else {
		EXPECT_EQ(0, c.discarded);
	}

	/* What is left of the file, in memory and on the disk. */
	for (i = 0; i <= TRUNC_PAGES; i++) {
		size_t len = i < TRUNC_PAGES ? P : P / 2;

		want = vt_fill(i, variant->discards ? 0 : GEN);
		EXPECT_TRUE(vt_all(self->map + i * P, len, want))
			TH_LOG("page %zu", i);
		if (variant->async) {
			EXPECT_TRUE(disk_becomes(self->disk, self->fd, i, 0,
						 len, want))
				TH_LOG("page %zu", i);
		} else {
			EXPECT_TRUE(disk_bytes_are(self->disk, self->fd, i, 0,
						   len, want))
				TH_LOG("page %zu", i);
		}
	}

	/* The same steps on a file no call touches, for comparison. */
	cfd = vt_create_file(self->dir, "midcall-control", NP, true);
	ASSERT_LE(0, cfd);
	control = mmap(NULL, NP * P, PROT_READ | PROT_WRITE, MAP_SHARED, cfd,
		       0);
	ASSERT_NE(MAP_FAILED, control);
	dirty(control, 0, NP);
	ASSERT_OK(ftruncate(cfd, TRUNC_SIZE));
	truncated_view(control, control_view);
	truncated_view(self->map, view);
	EXPECT_STREQ("DDDZBBBB", control_view);
	EXPECT_STREQ(control_view, view);

	/* Extended again: zeros where the truncated pages were. */
	ASSERT_OK(ftruncate(self->fd, NP * P));
	EXPECT_TRUE(vt_all(self->map + TRUNC_PAGES * P + P / 2, P / 2, 0));
	/* Braces: EXPECT_*() is two statements, TH_LOG() the second's body. */
	for (i = TRUNC_PAGES + 1; i < NP; i++) {
		EXPECT_TRUE(vt_all(self->map + i * P, P, 0))
			TH_LOG("page %zu", i);
	}
	munmap(control, NP * P);
	close(cfd);
}

/* --- unlinking ---------------------------------------------------------- */

/*
 * The mapped file is unlinked while the call waits; the caller keeps a
 * descriptor.  The call succeeds, the data reached the disk, and the inode
 * is freed when the last descriptor and mapping go.
 */
TEST_F_TIMEOUT(midcall, unlink, 300)
{
	unsigned int ms = base_delay_ms();
	long long before;
	struct stat st;
	struct call c;
	int attempt;
	size_t i;

	before = free_inodes(self->dir);
	ASSERT_LE(0, before);
	for (attempt = 0;; attempt++, ms *= 2) {
		bool mid;

		file_open(_metadata, self, "midcall-unlink");
		call_init(&c, variant, self->map, NP * P);
		mid = call_start(_metadata, &c, ms);
		ASSERT_OK(unlink(self->path));
		self->path[0] = '\0';
		mid = call_finish(_metadata, &c) && mid;
		if (mid)
			break;
		ASSERT_LT(attempt + 1, ATTEMPTS)
			TH_LOG("the unlink never came while the call waited");
		ksft_print_msg("unlink after the call (delay %u ms): again\n", ms);
		file_close(self);
	}
	ksft_print_msg("unlinked while the call waited (delay %u ms)\n", ms);

	expect_success(_metadata, variant, &c);
	EXPECT_EQ(variant->discards ? 0 : NP, c.written);
	EXPECT_EQ(variant->discards || variant->drops ? NP : 0, c.discarded);
	ASSERT_OK(fstat(self->fd, &st));
	EXPECT_EQ(0, st.st_nlink);
	for (i = 0; i < NP; i++) {
		unsigned char want = vt_fill(i, variant->discards ? 0 : GEN);

		EXPECT_TRUE(vt_all(self->map + i * P, P, want));
		if (variant->async) {
			EXPECT_TRUE(disk_becomes(self->disk, self->fd, i, 0, P,
						 want)) TH_LOG("page %zu", i);
		} else {
			EXPECT_TRUE(disk_bytes_are(self->disk, self->fd, i, 0,
						   P, want)) TH_LOG("page %zu", i);
		}
	}
	file_close(self);
	/* The last reference is gone: so is the inode. */
	EXPECT_EQ(before, free_inodes(self->dir));
}

/*
 * While the call waits, the file is unlinked, unmapped and closed: the
 * call's own references are the last.  The call still succeeds, the data
 * reached the disk (read where FIEMAP said the blocks were), and the inode
 * is freed by the time the call has returned.
 */
TEST_F_TIMEOUT(midcall, unlink_last_reference, 300)
{
	unsigned int ms = base_delay_ms();
	int64_t phys[NP];
	unsigned char *buf;
	long long before;
	struct call c;
	int attempt;
	size_t i;

	ASSERT_EQ(0, posix_memalign((void **)&buf, P, P));
	before = free_inodes(self->dir);
	ASSERT_LE(0, before);
	for (attempt = 0;; attempt++, ms *= 2) {
		bool mid, held;

		file_open(_metadata, self, "midcall-last");
		for (i = 0; i < NP; i++) {
			phys[i] = vt_file_phys(self->fd, i * P);
			ASSERT_LE(0, phys[i]);
		}
		call_init(&c, variant, self->map, NP * P);
		mid = call_start(_metadata, &c, ms);
		ASSERT_OK(unlink(self->path));
		self->path[0] = '\0';
		ASSERT_OK(munmap(self->map, NP * P));
		self->map = MAP_FAILED;
		ASSERT_OK(close(self->fd));
		self->fd = -1;
		held = free_inodes(self->dir) == before - 1;
		mid = call_finish(_metadata, &c) && mid;
		if (mid) {
			/* The call held the inode: it was not freed yet. */
			EXPECT_TRUE(held);
			break;
		}
		ASSERT_LT(attempt + 1, ATTEMPTS)
			TH_LOG("the last close never came while the call waited");
		ksft_print_msg("closed after the call (delay %u ms): again\n", ms);
		file_close(self);
	}
	ksft_print_msg("unlinked, unmapped and closed while the call waited (delay %u ms)\n",
		       ms);

	expect_success(_metadata, variant, &c);
	EXPECT_EQ(variant->discards ? 0 : NP, c.written);
	EXPECT_EQ(variant->discards || variant->drops ? NP : 0, c.discarded);
	/* Freed when the call let go, before it returned to user space. */
	EXPECT_EQ(before, free_inodes(self->dir));
	/* Written and waited for, before the pages were dropped too. */
	if (!variant->discards && (!variant->async || variant->drops)) {
		for (i = 0; i < NP; i++) {
			ASSERT_EQ((ssize_t)P, pread(self->disk, buf, P, phys[i]));
			EXPECT_TRUE(vt_all(buf, P, vt_fill(i, GEN)))
				TH_LOG("page %zu", i);
		}
	}
	free(buf);
}

/* --- remounting read-only ----------------------------------------------- */

/*
 * On the scratch disk: a file whose 8 pages were changed with write() and
 * then closed, so that nothing holds the file system open for writing, is
 * mapped shared through a read-only descriptor.  A call over its first
 * half waits for its pager while the file system is remounted read-only
 * (the module holds no write access: the remount succeeds).  The call
 * succeeds; every page written before the remount, by the call or by the
 * remount's own sync, is on the disk; the file system is read-only and
 * passes e2fsck.
 */
TEST_F_TIMEOUT(midcall, remount_read_only, 300)
{
	unsigned int ms = base_delay_ms();
	unsigned char *buf;
	struct call c;
	int attempt;
	size_t i, half = NP / 2;

	self->dev = getenv("VMSYNC_SCRATCH_DEV");
	ASSERT_TRUE(self->dev && *self->dev)
		TH_LOG("VMSYNC_SCRATCH_DEV names no spare disk");
	buf = malloc(P);
	ASSERT_NE(NULL, buf);
	for (attempt = 0;; attempt++, ms *= 2) {
		bool mid;

		snprintf(self->mnt, sizeof(self->mnt), "%s/midcall-mnt-XXXXXX",
			 vt_test_dir());
		ASSERT_NE(NULL, mkdtemp(self->mnt));
		ASSERT_EQ(0, mkfs(self->dev));
		ASSERT_OK(mount(self->dev, self->mnt, "ext4", 0, NULL));
		self->mounted = true;
		snprintf(self->dir, sizeof(self->dir), "%s", self->mnt);

		file_open(_metadata, self, "midcall-ro");
		/* Dirty by write(), then no descriptor open for writing. */
		munmap(self->map, NP * P);
		for (i = 0; i < NP; i++) {
			memset(buf, vt_fill(i, GEN), P);
			ASSERT_EQ((ssize_t)P, pwrite(self->fd, buf, P, i * P));
		}
		close(self->fd);
		self->fd = open(self->path, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, self->fd);
		self->map = mmap(NULL, NP * P, PROT_READ, MAP_SHARED, self->fd,
				 0);
		ASSERT_NE(MAP_FAILED, self->map);
		for (i = 0; i < NP; i++) {
			(void)__atomic_load_n(self->map + i * P,
					      __ATOMIC_RELAXED);
			ASSERT_TRUE(vt_page_dirty(self->map + i * P));
		}

		call_init(&c, variant, self->map, half * P);
		mid = call_start(_metadata, &c, ms);
		ASSERT_OK(mount(NULL, self->mnt, NULL, MS_REMOUNT | MS_RDONLY,
				NULL));
		mid = call_finish(_metadata, &c) && mid;
		if (mid)
			break;
		ASSERT_LT(attempt + 1, ATTEMPTS)
			TH_LOG("the remount never came while the call waited");
		ksft_print_msg("remounted after the call (delay %u ms): again\n",
			       ms);
		file_close(self);
		scratch_release(self);
	}
	ksft_print_msg("remounted read-only while the call waited (delay %u ms)\n",
		       ms);

	expect_success(_metadata, variant, &c);
	/*
	 * A read-only mapping may not discard changes: its dirty pages were
	 * written, by the call or by the remount.
	 */
	EXPECT_EQ(variant->discards ? 0 : half, c.written);
	EXPECT_EQ(variant->drops ? half : 0, c.discarded);
	EXPECT_EQ(-1, open(self->path, O_RDWR | O_CLOEXEC));
	EXPECT_EQ(EROFS, errno);
	for (i = 0; i < NP; i++) {
		EXPECT_TRUE(disk_bytes_are(self->disk, self->fd, i, 0, P,
					   vt_fill(i, GEN)))
			TH_LOG("page %zu", i);
		/* Read (back from the disk if dropped), and clean. */
		EXPECT_TRUE(vt_all(self->map + i * P, P, vt_fill(i, GEN)));
		EXPECT_FALSE(vt_page_dirty(self->map + i * P))
			TH_LOG("page %zu", i);
	}
	/* The file system is read-only now: nothing to do, no error. */
	EXPECT_EQ(0, vmsync_msync(self->map, NP * P, MS_SYNC | MS_INVALIDATE));

	file_close(self);
	ASSERT_OK(umount(self->mnt));
	self->mounted = false;
	EXPECT_EQ(0, fsck(self->dev));
	free(buf);
}

int main(int argc, char **argv)
{
	int ret = test_harness_run(argc, argv);

	/* Whatever happened, the tests after this one see no delay. */
	set_delay(0);
	return ret;
}
