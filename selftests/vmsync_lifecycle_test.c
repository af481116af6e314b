// SPDX-License-Identifier: GPL-2.0
/*
 * The module's life cycle, by finit_module(2) and delete_module(2):
 *
 * - load, use and unload it many times ($VMSYNC_LIFECYCLE_CYCLES, default
 *   200): each cycle loads $VMSYNC_KO, opens /dev/vmsync, writes a page
 *   through msync and another through a task handle's vm_msync, checks
 *   both on the disk, closes everything and unloads; after each unload,
 *   nothing the module registered is left (module, device node, sysfs
 *   class, debugfs hook, tracepoints), and over the cycles neither the
 *   kernel's unreclaimable slab, per-cpu and vmalloc memory nor the number
 *   of module vmalloc areas grows with the number of cycles;
 * - delete_module() is refused, and the module stays usable, while a
 *   /dev/vmsync descriptor is open, while a task handle lives, and while a
 *   call is in flight (held by the debugfs delay hook) on a descriptor
 *   that was closed meanwhile.  The kernel says EWOULDBLOCK (EAGAIN) for a
 *   module in use, with O_NONBLOCK or without (kernel/module/main.c,
 *   try_stop_module(), 6.1 and 6.12: there is no waiting for the count);
 * - a caller killed while its request is with the pager leaves no
 *   reference: the module unloads, its exit waiting for the pager's answer,
 *   and the page the caller wrote is on the disk.
 *
 * Leaks of small objects (one kmalloc() per cycle) are below the noise of
 * the memory counters checked here; the debug kernel's kmemleak, scanned by
 * scripts/vmrun after the tests, finds those.
 *
 * Whatever happens, the program ends with the module loaded from
 * $VMSYNC_KO, without parameters, and its delay hook at 0: the tests after
 * it need it.  Run as root, with the selftests' build of the module loaded
 * and $VMSYNC_KO naming its file, in $VMSYNC_TEST_DIR on a block device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmsync/mach.h"
#include "vmsync_test_util.h"

#define MODNAME		"vmsync"
#define SYSMOD		"/sys/module/" MODNAME
#define DELAY_HOOK	"/sys/kernel/debug/vmsync/test_sync_delay_ms"
#define PENDING		"/sys/class/misc/vmsync/stats/requests_pending"
#define NP		4
#define P		vt_page
#define ATTEMPTS	3

/* Everything the module registers, gone once it is unloaded. */
static const char *const registered[] = {
	SYSMOD,
	VMSYNC_DEVICE_PATH,
	"/sys/class/misc/" MODNAME,
	"/sys/kernel/debug/vmsync",
	"/sys/kernel/tracing/events/vmsync",
};

static int load(int kofd)
{
	return syscall(__NR_finit_module, kofd, "", 0);
}

static int unload(unsigned int flags)
{
	return syscall(__NR_delete_module, MODNAME, flags);
}

static bool loaded(void)
{
	return !access(SYSMOD, F_OK);
}

/* Load $VMSYNC_KO if the module is not there; 0 or -1. */
static int ensure_loaded(void)
{
	const char *ko = getenv("VMSYNC_KO");
	int kofd, ret;

	if (loaded())
		return 0;
	if (!ko || !*ko)
		return -1;
	kofd = open(ko, O_RDONLY | O_CLOEXEC);
	if (kofd < 0)
		return -1;
	ret = load(kofd);
	close(kofd);
	return ret;
}

static long read_long(const char *path)
{
	char buf[64];

	if (vt_read_file(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

/* The module's reference count. */
static long module_refs(void)
{
	return read_long(SYSMOD "/refcnt");
}

/* Open /dev/vmsync; devtmpfs makes the node before the load returns. */
static int dev_open(void)
{
	return open(VMSYNC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

static int ioc_msync(int dev, void *addr, size_t len, unsigned int flags,
		     unsigned long long *written)
{
	struct vmsync_msync_args a = {
		.addr = (uintptr_t)addr, .len = len, .flags = flags,
	};
	int ret = ioctl(dev, VMSYNC_IOC_MSYNC, &a);

	*written = a.pages_written;
	return ret;
}

/* vm_msync through the device: the kern_return_t, or -1 and errno. */
static int ioc_vm_msync(int dev, int task, void *addr, size_t len,
			unsigned int flags, unsigned long long *returned)
{
	struct vmsync_vm_msync_args a = {
		.task = task, .flags = flags, .address = (uintptr_t)addr,
		.size = len,
	};

	if (ioctl(dev, VMSYNC_IOC_VM_MSYNC, &a))
		return -1;
	*returned = a.pages_returned;
	return a.kr;
}

/* A task handle for pid, made from our own open of its mem file; or -1. */
static int make_handle(int dev, pid_t pid)
{
	struct vmsync_task_mem_args a = { 0 };
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	a.mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (a.mem_fd < 0)
		return -1;
	ret = ioctl(dev, VMSYNC_IOC_TASK_FROM_MEM, &a);
	close(a.mem_fd);
	if (ret || a.kr != KERN_SUCCESS)
		return -1;
	return a.task;
}

/*
 * Memory the kernel cannot reclaim, in kB: unreclaimable slab, per-cpu
 * and vmalloc.  A module that leaks a structure of some size per load
 * (a work queue, a procfs mount, its own image) grows it by as much each
 * cycle.
 */
static long long kernel_kb(void)
{
	static const char *const keys[] = {
		"SUnreclaim:", "Percpu:", "VmallocUsed:",
	};
	long long sum = 0, v;
	char line[256];
	unsigned int i;
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		for (i = 0; i < ARRAY_SIZE(keys); i++) {
			size_t n = strlen(keys[i]);

			if (!strncmp(line, keys[i], n) &&
			    sscanf(line + n, "%lld", &v) == 1)
				sum += v;
		}
	}
	fclose(f);
	return sum;
}

/* Number of vmalloc areas made for modules (their text and data). */
static long module_areas(void)
{
	char line[512];
	long n = 0;
	FILE *f;

	f = fopen("/proc/vmallocinfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "module") || strstr(line, "execmem"))
			n++;
	fclose(f);
	return n;
}

/* --- the fixture -------------------------------------------------------- */

FIXTURE(life) {
	int kofd;
	char path[4096];
	int fd, disk;
	unsigned char *map;
	pid_t child;		/* a process to make task handles for */
	struct vt_writeback wb;
};

FIXTURE_SETUP(life)
{
	const char *ko = getenv("VMSYNC_KO");
	int pipefd[2];
	char c;

	self->kofd = -1;
	self->fd = -1;
	self->disk = -1;
	self->map = MAP_FAILED;
	self->child = -1;
	ASSERT_TRUE(ko && *ko) TH_LOG("VMSYNC_KO does not name vmsync.ko");
	self->kofd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->kofd) TH_LOG("%s: %s", ko, strerror(errno));
	ASSERT_TRUE(loaded()) TH_LOG("load %s first", ko);
	ASSERT_EQ(0, access(DELAY_HOOK, W_OK))
		TH_LOG("no %s: load the selftests' build of the module",
		       DELAY_HOOK);

	/* Nothing but the calls under test writes a dirty page. */
	ASSERT_OK(vt_writeback_off(&self->wb));

	snprintf(self->path, sizeof(self->path), "%s/lifecycle-%d",
		 vt_test_dir(), getpid());
	self->fd = vt_create_file(vt_test_dir(), strrchr(self->path, '/') + 1,
				  NP, true);
	ASSERT_LE(0, self->fd);
	self->disk = vt_disk_open(self->fd);
	ASSERT_LE(0, self->disk);
	self->map = mmap(NULL, NP * P, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);

	/* It maps the file where we do; it waits until killed. */
	ASSERT_OK(pipe2(pipefd, O_CLOEXEC));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(pipefd[0]);
		close(pipefd[1]);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	/* EOF once the child has closed its copy: it runs. */
	ASSERT_EQ(0, read(pipefd[0], &c, 1));
	close(pipefd[0]);
}

FIXTURE_TEARDOWN(life)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->map != MAP_FAILED)
		munmap(self->map, NP * P);
	if (self->fd >= 0)
		close(self->fd);
	if (self->disk >= 0)
		close(self->disk);
	vt_writeback_restore(&self->wb);
	/* Our descriptors are closed: the module can be loaded again. */
	ensure_loaded();
	vt_write_file(DELAY_HOOK, "0");
	if (self->kofd >= 0)
		close(self->kofd);
}

/* A distinct non-zero byte per round, never the previous one's. */
static unsigned char round_byte(unsigned long round)
{
	return (unsigned char)(round % 254 + 1);
}

/* Write page 'page' through msync on dev; check it on the disk. */
static void sync_page(struct __test_metadata *_metadata,
		      struct _test_data_life *self, int dev, size_t page,
		      unsigned char byte)
{
	unsigned long long written = ~0ULL;

	memset(self->map + page * P, byte, P);
	ASSERT_OK(ioc_msync(dev, self->map + page * P, P, VMSYNC_MS_SYNC,
			    &written));
	ASSERT_EQ(1, written);
	ASSERT_TRUE(vt_disk_page_is(self->disk, self->fd, page, byte));
}

/* The same through vm_msync on the child's mapping, by its handle. */
static void sync_page_by_handle(struct __test_metadata *_metadata,
				struct _test_data_life *self, int dev, int task,
				size_t page, unsigned char byte)
{
	unsigned long long returned = ~0ULL;

	/* The child maps the same file at the same address: same pages. */
	memset(self->map + page * P, byte, P);
	ASSERT_EQ(KERN_SUCCESS, ioc_vm_msync(dev, task, self->map + page * P,
					     P, VMSYNC_VM_SYNC_SYNCHRONOUS,
					     &returned));
	ASSERT_EQ(1, returned);
	ASSERT_TRUE(vt_disk_page_is(self->disk, self->fd, page, byte));
}

/* The module refuses to go, and says it is in use. */
static void expect_refused(struct __test_metadata *_metadata)
{
	EXPECT_FAIL(EWOULDBLOCK, unload(O_NONBLOCK));
	EXPECT_FAIL(EWOULDBLOCK, unload(0));
	EXPECT_TRUE(loaded());
}

/* Unload, check that nothing is left, load again. */
/* Unload the unused module; nothing it registered may be left. */
static void unload_unused(struct __test_metadata *_metadata)
{
	unsigned int i;

	ASSERT_EQ(0, module_refs());
	ASSERT_EQ(0, unload(O_NONBLOCK)) TH_LOG("%s", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(registered); i++) {
		const char *what = registered[i];

		ASSERT_NE(0, access(what, F_OK))
			TH_LOG("%s is left after the unload", what);
	}
}

static void reload(struct __test_metadata *_metadata, struct _test_data_life *self)
{
	unload_unused(_metadata);
	ASSERT_EQ(0, load(self->kofd)) TH_LOG("%s", strerror(errno));
}

/* --- load, use, unload, many times -------------------------------------- */

TEST_F_TIMEOUT(life, cycles, 3600)
{
	const char *env = getenv("VMSYNC_LIFECYCLE_CYCLES");
	unsigned long n = env && *env ? strtoul(env, NULL, 10) : 200;
	unsigned long warm = n / 10, i;
	long long kb0 = 0, kb1;
	long areas0 = 0, areas1;
	double t0 = vt_now(), t;

	ASSERT_LT(0, n);
	for (i = 0; i < n; i++) {
		unsigned char byte = round_byte(i);
		struct vmsync_stats st;
		struct vmsync_api api = { .api = VMSYNC_API };
		int dev, task;

		if (i == warm) {
			/* Past the first cycles' one-time allocations. */
			ASSERT_EQ(0, module_refs());
			ASSERT_EQ(0, unload(O_NONBLOCK));
			kb0 = kernel_kb();
			areas0 = module_areas();
			ASSERT_EQ(0, load(self->kofd));
		}
		reload(_metadata, self);

		dev = dev_open();
		ASSERT_LE(0, dev) TH_LOG("cycle %lu: %s", i, strerror(errno));
		ASSERT_OK(ioctl(dev, VMSYNC_IOC_API, &api));
		ASSERT_EQ(VMSYNC_API_VERSION, api.version);
		ASSERT_TRUE(api.features & VMSYNC_FEATURE_TASKS);
		ASSERT_EQ(1, module_refs());
		/* A fresh module: its hook is there, and at 0. */
		ASSERT_EQ(0, read_long(DELAY_HOOK));

		sync_page(_metadata, self, dev, 0, byte);
		task = make_handle(dev, self->child);
		ASSERT_LE(0, task) TH_LOG("cycle %lu", i);
		ASSERT_EQ(2, module_refs());
		sync_page_by_handle(_metadata, self, dev, task, 1, byte);
		ASSERT_OK(close(task));

		/* Counters since this load: our two calls, nothing pending. */
		ASSERT_OK(ioctl(dev, VMSYNC_IOC_STATS, &st));
		EXPECT_EQ(2, st.calls);
		EXPECT_EQ(2, st.requests);
		EXPECT_EQ(0, st.requests_pending);
		EXPECT_EQ(2, st.pages_returned);
		EXPECT_EQ(0, st.errors);
		ASSERT_OK(close(dev));
		ASSERT_EQ(0, module_refs());
	}

	/* Measured unloaded, as at the start of the measurement. */
	ASSERT_EQ(0, unload(O_NONBLOCK));
	kb1 = kernel_kb();
	areas1 = module_areas();
	ASSERT_EQ(0, load(self->kofd));
	t = vt_now();

	ksft_print_msg("%lu load/use/unload cycles in %.1f s: %.1f ms per cycle\n",
		       n, t - t0, (t - t0) * 1000 / n);
	ksft_print_msg("over the last %lu cycles: kernel memory %+lld kB\n",
		       n - warm, kb1 - kb0);
	ksft_print_msg("that is %+.2f kB per cycle\n",
		       (double)(kb1 - kb0) / (n - warm));
	ksft_print_msg("module vmalloc areas %ld -> %ld\n", areas0, areas1);
	/*
	 * A leak per load grows these with the number of cycles; the bounds
	 * leave room for the noise of per-cpu slab caches and for the init
	 * section a work item frees after each load.
	 */
	ASSERT_LE(0, areas0);
	EXPECT_LT(areas1 - areas0, (long)(n - warm) / 4 + 1);
	/*
	 * Where kmemleak runs (the debug kernel), it is the leak check, after
	 * the run: KASAN's quarantine, lockdep and the stack depot keep memory
	 * for every load there (+16 kB per cycle was measured), so the
	 * meminfo bound holds on production kernels only.
	 */
	if (!access("/sys/kernel/debug/kmemleak", F_OK)) {
		ksft_print_msg("kmemleak runs: it checks for leaks after the run\n");
		return;
	}
	EXPECT_LT(kb1 - kb0, (long long)(n - warm) / 2 + 512)
		TH_LOG("kernel memory grows by %.2f kB per cycle",
		       (double)(kb1 - kb0) / (n - warm));
}

/* --- refusals ----------------------------------------------------------- */

/* An open /dev/vmsync holds the module; after the close it unloads. */
TEST_F_TIMEOUT(life, busy_while_device_open, 120)
{
	int dev = dev_open();

	ASSERT_LE(0, dev);
	ASSERT_EQ(1, module_refs());
	expect_refused(_metadata);
	/* Still usable. */
	sync_page(_metadata, self, dev, 0, 0x21);
	ASSERT_OK(close(dev));
	reload(_metadata, self);
}

/*
 * A task handle holds the module, also after /dev/vmsync was closed; the
 * handle keeps working; after its close the module unloads.
 */
TEST_F_TIMEOUT(life, busy_while_task_handle_lives, 120)
{
	int dev = dev_open(), task;

	ASSERT_LE(0, dev);
	task = make_handle(dev, self->child);
	ASSERT_LE(0, task);
	ASSERT_OK(close(dev));
	ASSERT_EQ(1, module_refs());
	expect_refused(_metadata);

	dev = dev_open();
	ASSERT_LE(0, dev);
	sync_page_by_handle(_metadata, self, dev, task, 1, 0x23);
	ASSERT_OK(close(dev));
	expect_refused(_metadata);
	ASSERT_OK(close(task));
	reload(_metadata, self);
}

struct inflight {
	int dev;
	void *addr;
	int ret, err;
	unsigned long long written;
	atomic_bool done;
};

static void *inflight_thread(void *arg)
{
	struct inflight *c = arg;

	c->ret = ioc_msync(c->dev, c->addr, P, VMSYNC_MS_SYNC, &c->written);
	c->err = c->ret ? errno : 0;
	atomic_store(&c->done, true);
	return NULL;
}

static unsigned int base_delay_ms(void)
{
	const char *s = getenv("VMSYNC_MIDCALL_DELAY_MS");
	unsigned long v = s && *s ? strtoul(s, NULL, 10) : 0;

	return v ? (unsigned int)v : 2000;
}

/*
 * A call in flight holds the module, even when its descriptor was closed
 * by another thread meanwhile (the call holds the file); when it returns,
 * its result and data are right, and the module unloads.
 */
TEST_F_TIMEOUT(life, busy_while_call_in_flight, 300)
{
	unsigned int ms = base_delay_ms();
	struct inflight c;
	pthread_t thread;
	int attempt;
	char text[16];

	for (attempt = 0;; attempt++, ms *= 2) {
		double deadline = vt_now() + 60;
		bool mid;

		memset(&c, 0, sizeof(c));
		c.dev = dev_open();
		ASSERT_LE(0, c.dev);
		c.addr = self->map + 2 * P;
		memset(c.addr, 0x25 + attempt, P);
		snprintf(text, sizeof(text), "%u", ms);
		ASSERT_OK(vt_write_file(DELAY_HOOK, text));
		ASSERT_EQ(0, pthread_create(&thread, NULL, inflight_thread, &c));
		while (read_long(PENDING) < 1 && !atomic_load(&c.done)) {
			ASSERT_LT(vt_now(), deadline);
			usleep(500);
		}
		ASSERT_OK(close(c.dev));
		ASSERT_EQ(1, module_refs());
		expect_refused(_metadata);
		mid = !atomic_load(&c.done) && read_long(PENDING) == 1;
		ASSERT_EQ(0, pthread_join(thread, NULL));
		ASSERT_OK(vt_write_file(DELAY_HOOK, "0"));
		if (mid)
			break;
		ASSERT_LT(attempt + 1, ATTEMPTS)
			TH_LOG("the call never waited long enough");
		ksft_print_msg("the call returned first (delay %u ms): again\n",
			       ms);
	}
	EXPECT_EQ(0, c.ret) TH_LOG("%s", strerror(c.err));
	EXPECT_EQ(1, c.written);
	EXPECT_TRUE(vt_disk_page_is(self->disk, self->fd, 2,
				    0x25 + attempt));
	reload(_metadata, self);
}

/*
 * A caller killed while its request is with the pager: its descriptor is
 * closed when it dies, so the module unloads; the exit waits for the
 * pager's answer (its delayed work must not outlive the module), and the
 * write the caller started is on the disk.
 */
TEST_F_TIMEOUT(life, unload_after_killed_caller, 300)
{
	unsigned int ms = base_delay_ms();
	double deadline, t, start;
	int attempt, status;
	unsigned char byte;
	pid_t pid;
	char text[16];

	for (attempt = 0;; attempt++, ms *= 2) {
		bool mid;

		byte = 0x31 + attempt;
		snprintf(text, sizeof(text), "%u", ms);
		ASSERT_OK(vt_write_file(DELAY_HOOK, text));
		start = vt_now();
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			unsigned long long written;
			int dev = dev_open();

			memset(self->map + 3 * P, byte, P);
			ioc_msync(dev, self->map + 3 * P, P, VMSYNC_MS_SYNC,
				  &written);
			_exit(0);
		}
		deadline = vt_now() + 60;
		while (read_long(PENDING) < 1) {
			ASSERT_LT(vt_now(), deadline);
			usleep(500);
		}
		ASSERT_OK(kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status));
		/* Dead, descriptor closed, request still with the pager. */
		mid = read_long(PENDING) == 1;
		ASSERT_OK(vt_write_file(DELAY_HOOK, "0"));
		if (mid)
			break;
		ASSERT_LT(attempt + 1, ATTEMPTS)
			TH_LOG("the pager answered before the caller died");
		ksft_print_msg("the pager answered first (delay %u ms): again\n",
			       ms);
		/* Let the answer come, so that the next try starts clean. */
		deadline = vt_now() + 60;
		while (read_long(PENDING) > 0) {
			ASSERT_LT(vt_now(), deadline);
			usleep(10000);
		}
	}
	t = vt_now();
	unload_unused(_metadata);
	ksft_print_msg("unload with a dead caller's request pending: %.0f ms (delay %u ms)\n",
		       (vt_now() - t) * 1000, ms);
	/*
	 * The request was queued after start, its answer delayed by ms (less
	 * a timer tick): an unload that waited for it cannot end earlier.
	 */
	EXPECT_LE(start + ms / 1000.0 - 0.05, vt_now())
		TH_LOG("the module went before its pager's answer");
	ASSERT_EQ(0, load(self->kofd)) TH_LOG("%s", strerror(errno));
	EXPECT_TRUE(vt_disk_page_is(self->disk, self->fd, 3, byte));
}

int main(int argc, char **argv)
{
	int ret = test_harness_run(argc, argv);

	/* Whatever happened, the tests after this one need the module. */
	if (ensure_loaded())
		ksft_print_msg("could not load the module again: %s\n",
			       strerror(errno));
	vt_write_file(DELAY_HOOK, "0");
	return ret;
}
