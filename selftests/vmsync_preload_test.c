// SPDX-License-Identifier: GPL-2.0
/*
 * libvmsync-preload.so with a real client: LMDB (Debian's liblmdb) with
 * MDB_WRITEMAP, whose commits call msync() twice each, on the whole map and
 * then on the meta page (strace of LMDB 0.9.24: MS_SYNC, or MS_ASYNC with
 * MDB_MAPASYNC; mdb_env_sync() skips them only under MDB_NOSYNC).  The
 * module's counters, read straight from /dev/vmsync (VMSYNC_IOC_STATS),
 * show that the calls went through it, and the database verifies after it
 * was closed and its clean pages dropped.  Without the module the shim
 * falls back to libc's msync(), for the rest of the process.  The
 * program's own msync() calls go through the shim too: the errors are the
 * module's, and MS_ASYNC and MS_INVALIDATE do what they say.
 *
 * A dynamic program linked with LMDB, not with libvmsync: run it with the
 * shim preloaded (scripts/guest-selftests does), as root, in a directory
 * on a block device file system, with $VMSYNC_KO naming the module's file
 * (the fallback tests unload the module and load it again):
 *
 *	LD_PRELOAD=$PWD/build/lib/libvmsync-preload.so VMSYNC_KO=... \
 *	VMSYNC_TEST_DIR=/some/ext4/dir build/selftests/vmsync_preload_test
 *
 * Whatever happens, it ends with the module loaded.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/vmsync.h>

#include "kselftest_harness.h"
/*
 * For its macros (EXPECT_FAIL); this program, linked without libvmsync,
 * does not have the helpers it declares, and calls none of them.
 */
#include "vmsync_test_util.h"

#define MODNAME		"vmsync"
#define SHIM		"libvmsync-preload.so"
#define COMMITS		200
#define PUTS		8		/* per commit */
#define KEYS		(COMMITS * PUTS)
#define MAPSIZE		(8UL << 20)
#define SEED		0x766d73796e63ULL
#define NP		4

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static const char *test_dir(void)
{
	const char *dir = getenv("VMSYNC_TEST_DIR");

	return dir && *dir ? dir : ".";
}

/* The module's counters, from a descriptor of our own, closed again. */
static int get_stats(struct vmsync_stats *st)
{
	int fd = open(VMSYNC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	int ret, saved;

	if (fd < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	ret = ioctl(fd, VMSYNC_IOC_STATS, st);
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

static void stats(struct __test_metadata *_metadata, struct vmsync_stats *st)
{
	ASSERT_EQ(0, get_stats(st))
		TH_LOG("VMSYNC_IOC_STATS: %s", strerror(errno));
}

#define STATS(st) stats(_metadata, st)

/* The descriptor of /dev/vmsync the shim holds, or -1. */
static int shim_fd(void)
{
	char path[64], link[64];
	struct dirent *d;
	int fd = -1;
	ssize_t n;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%.20s", d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, VMSYNC_DEVICE_PATH)) {
			fd = atoi(d->d_name);
			break;
		}
	}
	closedir(dir);
	return fd;
}

/* --- /proc/sys/vm, and the module's vmsync_call_done events in tracefs - */

#define TRACEFS		"/sys/kernel/tracing"
#define CALL_DONE	TRACEFS "/events/vmsync/vmsync_call_done/enable"

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* /proc/sys/vm/<name> into buf, NUL-terminated: 0 or -1. */
static int vm_sysctl_get(const char *name, char *buf, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/vm/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? 0 : -1;
}

static int vm_sysctl_set(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "/proc/sys/vm/%s", name);
	return write_file(path, val);
}

/* Record the module's vmsync_call_done events on an empty trace. */
static int trace_start(void)
{
	if (write_file(CALL_DONE, "1") || write_file(TRACEFS "/tracing_on", "1"))
		return -1;
	/* Opening the trace for writing with O_TRUNC empties it. */
	return write_file(TRACEFS "/trace", "");
}

static void trace_stop(void)
{
	write_file(CALL_DONE, "0");
}

/*
 * The msync calls in the trace (vm_msync's are not counted): *match of
 * them had these VMSYNC_MS_* flags and succeeded, *other did not.
 */
static int trace_count(unsigned int flags, int *match, int *other)
{
	unsigned int f;
	char line[512];
	const char *s;
	int result;
	FILE *trace;

	*match = 0;
	*other = 0;
	trace = fopen(TRACEFS "/trace", "re");
	if (!trace)
		return -1;
	while (fgets(line, sizeof(line), trace)) {
		s = strstr(line, "vmsync_call_done: msync ");
		if (!s)
			continue;
		if (sscanf(s, "vmsync_call_done: msync flags=%x result=%d",
			   &f, &result) == 2 && f == flags && !result)
			(*match)++;
		else
			(*other)++;
	}
	fclose(trace);
	return 0;
}

/* --- the module, unloaded and loaded again ----------------------------- */

static bool loaded(void)
{
	return !access("/sys/module/" MODNAME, F_OK);
}

static int unload(void)
{
	return syscall(__NR_delete_module, MODNAME, O_NONBLOCK);
}

/* Load $VMSYNC_KO if the module is not there: 0, or -1 and errno. */
static int ensure_loaded(void)
{
	const char *ko = getenv("VMSYNC_KO");
	int fd, ret, saved;

	if (loaded())
		return 0;
	if (!ko || !*ko) {
		errno = ENOENT;
		return -1;
	}
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(__NR_finit_module, fd, "", 0);
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

/* --- LMDB: what goes in, and checking what comes out ------------------- */

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/*
 * Key i: a hash of i first, so that the commits insert all over the tree,
 * then i itself, big-endian.
 */
static void make_key(unsigned int i, unsigned char key[8])
{
	uint32_t h = (uint32_t)(i * 2654435761U);
	int b;

	for (b = 0; b < 4; b++) {
		key[b] = (unsigned char)(h >> (24 - 8 * b));
		key[4 + b] = (unsigned char)(i >> (24 - 8 * b));
	}
}

/* Value i: 16 to 271 bytes from the seeded generator; its length. */
static size_t make_value(unsigned int i, unsigned char *val)
{
	uint64_t s = SEED ^ ((uint64_t)i << 32 | i) ^ 0x9E3779B97F4A7C15ULL;
	size_t len, k;

	len = 16 + rng_next(&s) % 256;
	for (k = 0; k < len; k++)
		val[k] = (unsigned char)rng_next(&s);
	return len;
}

static MDB_env *db_open(struct __test_metadata *_metadata, const char *dir,
			unsigned int flags)
{
	MDB_env *env;
	int rc;

	ASSERT_EQ(0, mdb_env_create(&env));
	ASSERT_EQ(0, mdb_env_set_mapsize(env, MAPSIZE));
	rc = mdb_env_open(env, dir, flags, 0644);
	ASSERT_EQ(0, rc) TH_LOG("mdb_env_open %s: %s", dir, mdb_strerror(rc));
	return env;
}

/* Commits first .. first + n - 1, PUTS new keys each. */
static void commit_range(struct __test_metadata *_metadata, MDB_env *env,
			 unsigned int first, unsigned int n)
{
	unsigned char key[8], val[272];
	unsigned int c, j, i;
	MDB_txn *txn;
	MDB_dbi dbi;
	int rc;

	for (c = first; c < first + n; c++) {
		ASSERT_EQ(0, mdb_txn_begin(env, NULL, 0, &txn));
		ASSERT_EQ(0, mdb_dbi_open(txn, NULL, 0, &dbi));
		for (j = 0; j < PUTS; j++) {
			MDB_val k = { sizeof(key), key };
			MDB_val v = { 0, val };

			i = c * PUTS + j;
			make_key(i, key);
			v.mv_size = make_value(i, val);
			rc = mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE);
			ASSERT_EQ(0, rc) TH_LOG("mdb_put: %s", mdb_strerror(rc));
		}
		rc = mdb_txn_commit(txn);
		ASSERT_EQ(0, rc) TH_LOG("commit %u: %s", c, mdb_strerror(rc));
	}
}

/*
 * Drop the clean cached pages of the data file, so that what is read next
 * comes from the disk (dirty pages would stay; the msyncs left none).
 */
static void drop_cache(struct __test_metadata *_metadata, const char *dir)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	close(fd);
}

/*
 * Reopen the database and check that it holds exactly keys 0 .. nkeys - 1,
 * each with its value: mdb_env_stat()'s count and a full cursor scan.
 */
static void db_verify(struct __test_metadata *_metadata, const char *dir,
		      unsigned int nkeys)
{
	static unsigned char seen[KEYS];
	unsigned char key[8], val[272];
	unsigned int i, count = 0;
	MDB_val k, v;
	MDB_cursor *cur;
	MDB_stat st;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	size_t len;
	int rc;

	drop_cache(_metadata, dir);
	env = db_open(_metadata, dir, MDB_RDONLY);
	ASSERT_EQ(0, mdb_env_stat(env, &st));
	EXPECT_EQ(nkeys, st.ms_entries);
	ASSERT_EQ(0, mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
	ASSERT_EQ(0, mdb_dbi_open(txn, NULL, 0, &dbi));
	ASSERT_EQ(0, mdb_cursor_open(txn, dbi, &cur));
	memset(seen, 0, sizeof(seen));
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		ASSERT_EQ(sizeof(key), k.mv_size);
		memcpy(key, k.mv_data, sizeof(key));
		i = (unsigned int)key[4] << 24 | key[5] << 16 | key[6] << 8 |
		    key[7];
		ASSERT_GT(nkeys, i) TH_LOG("a key that was never put: %u", i);
		ASSERT_EQ(0, seen[i]) TH_LOG("key %u twice", i);
		seen[i] = 1;
		make_key(i, key);
		EXPECT_EQ(0, memcmp(key, k.mv_data, sizeof(key)));
		len = make_value(i, val);
		ASSERT_EQ(len, v.mv_size) TH_LOG("value %u", i);
		EXPECT_EQ(0, memcmp(val, v.mv_data, len)) TH_LOG("value %u", i);
		count++;
	}
	EXPECT_EQ(MDB_NOTFOUND, rc);
	EXPECT_EQ(nkeys, count);
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

/* --- the tests ---------------------------------------------------------- */

/* msync is the shim's, and the only symbol it exports. */
TEST(shim_is_preloaded)
{
	void *shim = dlopen(SHIM, RTLD_LAZY | RTLD_NOLOAD);

	ASSERT_NE(NULL, shim)
		TH_LOG("no %s in the process: run with LD_PRELOAD naming it",
		       SHIM);
	/* What this program's msync@GLIBC_2.2.5 bound to. */
	EXPECT_EQ(dlsym(shim, "msync"), (void *)msync);
	dlclose(shim);
	EXPECT_EQ(NULL, dlsym(RTLD_DEFAULT, "vmsync_msync"));
	EXPECT_EQ(NULL, dlsym(RTLD_DEFAULT, "vmsync_fd"));
	EXPECT_EQ(NULL, dlsym(RTLD_DEFAULT, "vm_msync"));
}

/* An LMDB environment in a directory of its own, once per flag set. */
FIXTURE(lmdb) {
	char dir[PATH_MAX];
};

FIXTURE_VARIANT(lmdb) {
	unsigned int flags;
	unsigned int ms_flags;	/* the module's flags of the commits' msyncs */
};

FIXTURE_VARIANT_ADD(lmdb, writemap) {
	.flags = MDB_WRITEMAP,
	.ms_flags = VMSYNC_MS_SYNC,
};

FIXTURE_VARIANT_ADD(lmdb, writemap_mapasync) {
	.flags = MDB_WRITEMAP | MDB_MAPASYNC,
	.ms_flags = VMSYNC_MS_ASYNC,
};

FIXTURE_SETUP(lmdb)
{
	snprintf(self->dir, sizeof(self->dir), "%s/preload-XXXXXX",
		 test_dir());
	ASSERT_NE(NULL, mkdtemp(self->dir));
	/* A test that failed before loading it again left it unloaded. */
	ASSERT_EQ(0, ensure_loaded()) TH_LOG("load: %s", strerror(errno));
}

FIXTURE_TEARDOWN(lmdb)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/data.mdb", self->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", self->dir);
	unlink(path);
	rmdir(self->dir);
	trace_stop();
	if (ensure_loaded())
		TH_LOG("cannot load the module again: %s", strerror(errno));
}

static void need_module_control(struct __test_metadata *_metadata)
{
	const char *ko = getenv("VMSYNC_KO");

	if (!ko || !*ko || geteuid())
		SKIP(return, "unloading the module needs root and $VMSYNC_KO");
}

/*
 * Every commit's two msyncs go through the module: its calls counter rises
 * by at least twice the commits, without errors, and the writes were its
 * own (pages returned; libc's MS_ASYNC would have started none).  Its
 * trace shows each call with LMDB's flags.
 */
TEST_F(lmdb, commits_through_module)
{
	struct vmsync_stats before, after;
	int match, other;
	MDB_env *env;

	env = db_open(_metadata, self->dir, variant->flags);
	ASSERT_EQ(0, trace_start()) TH_LOG("tracefs: %s", strerror(errno));
	STATS(&before);
	commit_range(_metadata, env, 0, COMMITS);
	STATS(&after);
	trace_stop();
	TH_LOG("%u commits: %llu calls, %llu pages returned, %llu errors",
	       COMMITS, after.calls - before.calls,
	       after.pages_returned - before.pages_returned,
	       after.errors - before.errors);
	EXPECT_LE(2 * COMMITS, after.calls - before.calls);
	EXPECT_EQ(before.errors, after.errors);
	EXPECT_LE(COMMITS, after.pages_returned - before.pages_returned);
	EXPECT_LE(0, shim_fd());
	ASSERT_EQ(0, trace_count(variant->ms_flags, &match, &other));
	EXPECT_EQ(2 * COMMITS, match);
	EXPECT_EQ(0, other);
	mdb_env_close(env);
	db_verify(_metadata, self->dir, KEYS);
}

/*
 * No module when the process makes its first msync: libc's, and it stays
 * so once the module is back (the shim decides once).
 */
TEST_F(lmdb, fallback_without_module)
{
	struct vmsync_stats before, after;
	MDB_env *env;

	need_module_control(_metadata);
	ASSERT_EQ(0, unload()) TH_LOG("delete_module: %s", strerror(errno));
	ASSERT_EQ(-1, access(VMSYNC_DEVICE_PATH, F_OK));
	env = db_open(_metadata, self->dir, variant->flags);
	commit_range(_metadata, env, 0, COMMITS / 2);
	EXPECT_EQ(-1, shim_fd());

	ASSERT_EQ(0, ensure_loaded()) TH_LOG("load: %s", strerror(errno));
	STATS(&before);
	commit_range(_metadata, env, COMMITS / 2, COMMITS / 2);
	STATS(&after);
	EXPECT_EQ(before.calls, after.calls);
	EXPECT_EQ(-1, shim_fd());
	mdb_env_close(env);
	db_verify(_metadata, self->dir, KEYS);
}

/*
 * The module goes while the process runs (it closed the shim's
 * descriptor, so the module could be unloaded): the next commits fall back
 * to libc's msync(), and stay there.
 */
TEST_F(lmdb, module_unloaded_midway)
{
	struct vmsync_stats before, after;
	MDB_env *env;
	int fd;

	need_module_control(_metadata);
	env = db_open(_metadata, self->dir, variant->flags);
	STATS(&before);
	commit_range(_metadata, env, 0, COMMITS / 4);
	STATS(&after);
	EXPECT_LE(2 * COMMITS / 4, after.calls - before.calls);

	fd = shim_fd();
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, unload()) TH_LOG("delete_module: %s", strerror(errno));
	commit_range(_metadata, env, COMMITS / 4, COMMITS / 4);

	ASSERT_EQ(0, ensure_loaded()) TH_LOG("load: %s", strerror(errno));
	STATS(&before);
	commit_range(_metadata, env, COMMITS / 2, COMMITS / 2);
	STATS(&after);
	EXPECT_EQ(before.calls, after.calls);
	mdb_env_close(env);
	db_verify(_metadata, self->dir, KEYS);
}

/*
 * The program's own msync() calls on NP pages of a file of its own, with
 * background writeback off so that only the calls write.
 */
FIXTURE(file) {
	char path[PATH_MAX];
	char interval[32], expire[32];
	unsigned char *map;
	int fd;
};

FIXTURE_SETUP(file)
{
	size_t p = page_size();

	self->map = MAP_FAILED;
	self->fd = -1;
	self->interval[0] = '\0';
	self->expire[0] = '\0';
	snprintf(self->path, sizeof(self->path), "%s/preload-%d", test_dir(),
		 getpid());
	self->fd = open(self->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			0644);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ftruncate(self->fd, NP * p));
	self->map = mmap(NULL, NP * p, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	ASSERT_EQ(0, ensure_loaded()) TH_LOG("load: %s", strerror(errno));
	ASSERT_EQ(0, vm_sysctl_get("dirty_writeback_centisecs",
				   self->interval, sizeof(self->interval)));
	ASSERT_EQ(0, vm_sysctl_get("dirty_expire_centisecs", self->expire,
				   sizeof(self->expire)));
	ASSERT_EQ(0, vm_sysctl_set("dirty_writeback_centisecs", "0"));
	ASSERT_EQ(0, vm_sysctl_set("dirty_expire_centisecs", "360000"));
}

FIXTURE_TEARDOWN(file)
{
	if (self->expire[0])
		vm_sysctl_set("dirty_expire_centisecs", self->expire);
	if (self->interval[0])
		vm_sysctl_set("dirty_writeback_centisecs", self->interval);
	if (self->map != MAP_FAILED)
		munmap(self->map, NP * page_size());
	if (self->fd >= 0)
		close(self->fd);
	unlink(self->path);
}

/*
 * MS_ASYNC starts the writes of the dirty pages (libc's does nothing);
 * MS_INVALIDATE drops every cached page (libc's ignores it).
 */
TEST_F(file, async_writes_invalidate_drops)
{
	struct vmsync_stats before, after;
	size_t p = page_size();
	unsigned char vec[NP];
	int i, cached = 0;

	memset(self->map, 0x5a, NP * p);
	STATS(&before);
	EXPECT_EQ(0, msync(self->map, NP * p, MS_ASYNC));
	STATS(&after);
	EXPECT_EQ(before.calls + 1, after.calls);
	EXPECT_EQ(before.pages_returned + NP, after.pages_returned);

	STATS(&before);
	EXPECT_EQ(0, msync(self->map, NP * p, MS_INVALIDATE));
	STATS(&after);
	EXPECT_EQ(before.calls + 1, after.calls);
	EXPECT_EQ(before.pages_discarded + NP, after.pages_discarded);
	ASSERT_EQ(0, mincore(self->map, NP * p, vec));
	for (i = 0; i < NP; i++)
		cached += vec[i] & 1;
	EXPECT_EQ(0, cached);
	EXPECT_EQ(0x5a, self->map[p]);
}

/*
 * The errors are the module's, with its errno, each counted by it; a flag
 * the library does not know is refused before the module sees it.
 */
TEST_F(file, errors_are_the_modules)
{
	struct vmsync_stats before, after;
	size_t p = page_size();

	ASSERT_EQ(0, munmap(self->map + (NP - 1) * p, p));
	memset(self->map, 0x5a, p);
	STATS(&before);
	EXPECT_FAIL(EINVAL, msync(self->map + 1, p, MS_SYNC));
	EXPECT_FAIL(EINVAL, msync(self->map, p, MS_ASYNC | MS_SYNC));
	EXPECT_FAIL(ENOMEM, msync(self->map, NP * p, MS_SYNC));
	/* Linux's msync() rounds this length to 0 and succeeds. */
	EXPECT_FAIL(ENOMEM, msync(self->map, SIZE_MAX, MS_SYNC));
	ASSERT_EQ(0, mlock(self->map, p));
	EXPECT_FAIL(EBUSY, msync(self->map, p, MS_INVALIDATE));
	ASSERT_EQ(0, munlock(self->map, p));
	STATS(&after);
	EXPECT_EQ(before.calls + 5, after.calls);
	EXPECT_EQ(before.errors + 5, after.errors);

	STATS(&before);
	EXPECT_FAIL(EINVAL, msync(self->map, p, MS_SYNC | 0x100));
	STATS(&after);
	EXPECT_EQ(before.calls, after.calls);
}

/*
 * Fill the mapping's first page with c and msync() it: the call succeeds,
 * through the module (one call more in its counters).
 */
static void sync_page_through_module(struct __test_metadata *_metadata,
				     unsigned char *map, unsigned char c)
{
	struct vmsync_stats before, after;
	size_t p = page_size();

	memset(map, c, p);
	STATS(&before);
	EXPECT_EQ(0, msync(map, p, MS_SYNC));
	STATS(&after);
	EXPECT_EQ(before.calls + 1, after.calls);
}

/*
 * The program closes the shim's descriptor, then dup2()s a file of its own
 * over the one the shim opened next: each time the next msync() opens the
 * device again and goes through the module, and the program's file is
 * left alone.
 */
TEST_F(file, descriptor_closed_or_replaced)
{
	size_t p = page_size();
	int fd, other;
	struct stat st;
	char c;

	memset(self->map, 1, p);
	ASSERT_EQ(0, msync(self->map, p, MS_SYNC));
	fd = shim_fd();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, close(fd));

	sync_page_through_module(_metadata, self->map, 2);
	fd = shim_fd();
	ASSERT_LE(0, fd);

	other = open(self->path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, other);
	ASSERT_EQ(fd, dup2(other, fd));
	ASSERT_EQ(0, close(other));
	sync_page_through_module(_metadata, self->map, 3);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(1, pread(fd, &c, 1, 0));
	EXPECT_EQ(3, c);
	EXPECT_NE(fd, shim_fd());
	EXPECT_LE(0, shim_fd());
	close(fd);
}

/* A child of a process whose shim opened the device: through the module. */
TEST_F(file, forked_child)
{
	struct vmsync_stats before, after;
	size_t p = page_size();
	int status;
	pid_t pid;

	memset(self->map, 1, p);
	ASSERT_EQ(0, msync(self->map, p, MS_SYNC));
	ASSERT_LE(0, shim_fd());
	STATS(&before);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		memset(self->map, 2, 2 * p);
		_exit(msync(self->map, 2 * p, MS_SYNC) ? errno : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	STATS(&after);
	EXPECT_EQ(before.calls + 1, after.calls);
	EXPECT_EQ(before.pages_returned + 2, after.pages_returned);
}

static char saved_interval[32], saved_expire[32];

/*
 * At exit (test_harness_run() exits), whatever the tests did: a failed
 * ASSERT skips the fixture's teardown when the harness is built with -O2
 * (longjmp() loses the child's pid), and the programs after this one need
 * the module and background writeback.
 */
static void restore(void)
{
	trace_stop();
	if (saved_expire[0])
		vm_sysctl_set("dirty_expire_centisecs", saved_expire);
	if (saved_interval[0])
		vm_sysctl_set("dirty_writeback_centisecs", saved_interval);
	if (ensure_loaded())
		perror("vmsync_preload_test: loading $VMSYNC_KO again");
}

int main(int argc, char **argv)
{
	vm_sysctl_get("dirty_writeback_centisecs", saved_interval,
		      sizeof(saved_interval));
	vm_sysctl_get("dirty_expire_centisecs", saved_expire,
		      sizeof(saved_expire));
	atexit(restore);
	return test_harness_run(argc, argv);
}
