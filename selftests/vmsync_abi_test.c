// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/vmsync ABI and libvmsync: the API ioctl, unknown ioctls,
 * reserved fields, output structs, permissions, and the library's
 * behaviour with the module absent.  Built for 64-bit and, as
 * vmsync_abi_test_32, for 32-bit callers going through compat_ioctl.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmsync.h"
#include "vmsync_test_util.h"

#define P		vt_page

static const uint64_t poison64 = 0xA5A5A5A5A5A5A5A5ULL;

FIXTURE(dev) {
	int fd;
	char path[4096];
	int file;
	unsigned char *map;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(VMSYNC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("%s", vmsync_strerror(ENODEV));
	snprintf(self->path, sizeof(self->path), "%s/abi-%d", vt_test_dir(),
		 getpid());
	self->file = vt_create_file(vt_test_dir(), strrchr(self->path, '/') + 1,
				    2, true);
	ASSERT_LE(0, self->file);
	self->map = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->file, 0);
	ASSERT_NE(MAP_FAILED, self->map);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, 2 * P);
	if (self->file > 0)
		close(self->file);
	if (self->fd > 0)
		close(self->fd);
}

/* A valid msync request with every out field poisoned. */
static void msync_args(struct vmsync_msync_args *args, void *addr, size_t len,
		       uint32_t flags)
{
	memset(args, VT_POISON, sizeof(*args));
	args->addr = (uintptr_t)addr;
	args->len = len;
	args->flags = flags;
	args->reserved0 = 0;
	memset(args->reserved, 0, sizeof(args->reserved));
}

TEST_F(dev, api_reports_version_and_features)
{
	struct vmsync_api api;
	unsigned int i;

	unsigned int major, minor, patch;
	int fields;

	/* release is an out field: poison in it is ignored. */
	memset(&api, VT_POISON, sizeof(api));
	api.api = VMSYNC_API;
	api.reserved0 = 0;
	memset(api.reserved, 0, sizeof(api.reserved));
	ASSERT_EQ(0, ioctl(self->fd, VMSYNC_IOC_API, &api));
	EXPECT_EQ(VMSYNC_API, api.api);
	EXPECT_EQ(VMSYNC_API_VERSION, api.version);
	EXPECT_EQ(VMSYNC_FEATURE_MSYNC | VMSYNC_FEATURE_ASYNC_STARTS_IO |
		  VMSYNC_FEATURE_INVALIDATE | VMSYNC_FEATURE_VM_MSYNC |
		  VMSYNC_FEATURE_TASKS | VMSYNC_FEATURE_STATS |
		  VMSYNC_FEATURE_CACHE_STATE, api.features);
	EXPECT_EQ((1ULL << _IOC_NR(VMSYNC_IOC_API)) |
		  (1ULL << _IOC_NR(VMSYNC_IOC_MSYNC)) |
		  (1ULL << _IOC_NR(VMSYNC_IOC_VM_MSYNC)) |
		  (1ULL << _IOC_NR(VMSYNC_IOC_STATS)) |
		  (1ULL << _IOC_NR(VMSYNC_IOC_TASK_FROM_MEM)) |
		  (1ULL << _IOC_NR(VMSYNC_IOC_CACHE_STATE)), api.ioctls);
	EXPECT_EQ(VMSYNC_MS_ALL, api.msync_flags);
	EXPECT_EQ(VMSYNC_VM_SYNC_ALL, api.vm_sync_flags);
	/* The module's release is the VERSION file's, as MODULE_VERSION. */
	fields = sscanf(VMSYNC_TEST_VERSION, "%u.%u.%u", &major, &minor, &patch);
	ASSERT_EQ(3, fields);
	EXPECT_EQ(VMSYNC_RELEASE(major, minor, patch), api.release);
	EXPECT_EQ(major, VMSYNC_RELEASE_MAJOR(api.release));
	EXPECT_EQ(minor, VMSYNC_RELEASE_MINOR(api.release));
	EXPECT_EQ(patch, VMSYNC_RELEASE_PATCH(api.release));
	/* Every byte was written: no poison, reserved fields zero. */
	EXPECT_EQ(0, api.reserved0);
	for (i = 0; i < ARRAY_SIZE(api.reserved); i++)
		EXPECT_EQ(0, api.reserved[i]);

	/* The library reports the same. */
	memset(&api, VT_POISON, sizeof(api));
	ASSERT_EQ(0, vmsync_get_api(&api));
	EXPECT_EQ(VMSYNC_API_VERSION, api.version);
	EXPECT_EQ(4, VMSYNC_API_VERSION);
	EXPECT_EQ(VMSYNC_RELEASE(major, minor, patch), api.release);
}

/* A task_from_mem request for mem_fd with every out field poisoned. */
static void task_mem_args(struct vmsync_task_mem_args *args, int mem_fd)
{
	memset(args, VT_POISON, sizeof(*args));
	args->mem_fd = mem_fd;
	args->flags = 0;
	args->reserved0 = 0;
	memset(args->reserved, 0, sizeof(args->reserved));
}

/* Version 3 retired VMSYNC_IOC_TASK_FOR_PID: its check was the module's. */
TEST_F(dev, task_for_pid_retired)
{
	struct vmsync_task_args args;

	memset(&args, 0, sizeof(args));
	args.pid = getpid();
	args.task = -7;
	EXPECT_FAIL(ENOTTY, ioctl(self->fd, VMSYNC_IOC_TASK_FOR_PID, &args));
	EXPECT_EQ(-7, args.task);
}

TEST_F(dev, task_from_mem_layout)
{
	EXPECT_EQ(64, sizeof(struct vmsync_api));
	EXPECT_EQ(32, offsetof(struct vmsync_api, release));
	EXPECT_EQ(36, offsetof(struct vmsync_api, reserved0));
	EXPECT_EQ(40, offsetof(struct vmsync_api, reserved));
	EXPECT_EQ(96, sizeof(struct vmsync_cache_state_args));
	EXPECT_EQ(0, offsetof(struct vmsync_cache_state_args, fd));
	EXPECT_EQ(4, offsetof(struct vmsync_cache_state_args, flags));
	EXPECT_EQ(8, offsetof(struct vmsync_cache_state_args, offset));
	EXPECT_EQ(16, offsetof(struct vmsync_cache_state_args, len));
	EXPECT_EQ(24, offsetof(struct vmsync_cache_state_args, vec));
	EXPECT_EQ(32, offsetof(struct vmsync_cache_state_args, vec_len));
	EXPECT_EQ(40, offsetof(struct vmsync_cache_state_args, nr_pages));
	EXPECT_EQ(48, offsetof(struct vmsync_cache_state_args, nr_resident));
	EXPECT_EQ(56, offsetof(struct vmsync_cache_state_args, nr_dirty));
	EXPECT_EQ(64, offsetof(struct vmsync_cache_state_args, nr_writeback));
	EXPECT_EQ(72, offsetof(struct vmsync_cache_state_args, reserved));
	EXPECT_EQ(40, sizeof(struct vmsync_task_mem_args));
	EXPECT_EQ(0, offsetof(struct vmsync_task_mem_args, mem_fd));
	EXPECT_EQ(4, offsetof(struct vmsync_task_mem_args, flags));
	EXPECT_EQ(8, offsetof(struct vmsync_task_mem_args, task));
	EXPECT_EQ(12, offsetof(struct vmsync_task_mem_args, kr));
	EXPECT_EQ(16, offsetof(struct vmsync_task_mem_args, error));
	EXPECT_EQ(20, offsetof(struct vmsync_task_mem_args, reserved0));
	EXPECT_EQ(24, offsetof(struct vmsync_task_mem_args, reserved));
	EXPECT_EQ(0x05, _IOC_NR(VMSYNC_IOC_TASK_FROM_MEM));
}

/* A handle from one's own /proc/self/mem: it outlives the mem file. */
TEST_F(dev, task_from_mem_makes_handle)
{
	struct vmsync_vm_msync_args vm;
	struct vmsync_task_mem_args args;
	char link[64], path[64];
	ssize_t n;
	int mem;

	mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, mem);
	task_mem_args(&args, mem);
	ASSERT_EQ(0, ioctl(self->fd, VMSYNC_IOC_TASK_FROM_MEM, &args));
	EXPECT_EQ(VMSYNC_KERN_SUCCESS, args.kr);
	EXPECT_EQ(0, args.error);
	EXPECT_EQ(mem, args.mem_fd);
	EXPECT_EQ(0, args.flags);
	EXPECT_EQ(0, args.reserved0);
	EXPECT_EQ(0, args.reserved[0]);
	EXPECT_EQ(0, args.reserved[1]);
	ASSERT_LE(0, args.task);
	EXPECT_NE(mem, args.task);
	EXPECT_EQ(FD_CLOEXEC, fcntl(args.task, F_GETFD) & FD_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", args.task);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = '\0';
	EXPECT_STREQ("anon_inode:[vmsync-task]", link);
	close(mem);

	self->map[0] = 4;
	memset(&vm, 0, sizeof(vm));
	vm.task = args.task;
	vm.flags = VMSYNC_VM_SYNC_SYNCHRONOUS;
	vm.address = (uintptr_t)self->map;
	vm.size = P;
	ASSERT_EQ(0, ioctl(self->fd, VMSYNC_IOC_VM_MSYNC, &vm));
	EXPECT_EQ(VMSYNC_KERN_SUCCESS, vm.kr);
	EXPECT_EQ(1, vm.pages_returned);
	EXPECT_FALSE(vt_page_dirty(self->map));
	close(args.task);
}

/* Only a real procfs mem file will do; what was wrong is in kr and error. */
TEST_F(dev, task_from_mem_not_a_mem_file)
{
	struct vmsync_task_mem_args args;
	const char *const others[] = {
		"/proc/self/maps", "/proc/self/environ", "/dev/null",
		VMSYNC_DEVICE_PATH,
	};
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(others); i++) {
		fd = open(others[i], O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, fd);
		task_mem_args(&args, fd);
		ASSERT_EQ(0, ioctl(self->fd, VMSYNC_IOC_TASK_FROM_MEM, &args));
		EXPECT_EQ(VMSYNC_KERN_INVALID_ARGUMENT, args.kr);
		EXPECT_EQ(EINVAL, args.error) TH_LOG("%s", others[i]);
		EXPECT_EQ(-1, args.task);
		close(fd);
	}
	/*
	 * Its name is not enough: an O_PATH descriptor of the mem file was
	 * never opened (no access check ran), and is no file to the module.
	 */
	fd = open("/proc/self/mem", O_PATH | O_CLOEXEC);
	ASSERT_LE(0, fd);
	task_mem_args(&args, fd);
	ASSERT_EQ(0, ioctl(self->fd, VMSYNC_IOC_TASK_FROM_MEM, &args));
	EXPECT_EQ(VMSYNC_KERN_INVALID_ARGUMENT, args.kr);
	EXPECT_EQ(EBADF, args.error);
	EXPECT_EQ(-1, args.task);
	close(fd);
	/* Not an open descriptor. */
	task_mem_args(&args, -1);
	ASSERT_EQ(0, ioctl(self->fd, VMSYNC_IOC_TASK_FROM_MEM, &args));
	EXPECT_EQ(VMSYNC_KERN_INVALID_ARGUMENT, args.kr);
	EXPECT_EQ(EBADF, args.error);
	EXPECT_EQ(-1, args.task);
	task_mem_args(&args, 1000000);
	ASSERT_EQ(0, ioctl(self->fd, VMSYNC_IOC_TASK_FROM_MEM, &args));
	EXPECT_EQ(EBADF, args.error);
}

/* The mem file of a process that has exec'd names a dead address space. */
TEST_F(dev, task_from_mem_after_exec)
{
	struct vmsync_task_mem_args args;
	int go[2], status, mem;
	char path[64], x;
	pid_t pid;

	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (read(go[0], &x, 1) != 1)
			_exit(2);
		execl("/bin/sh", "sh", "-c", "sleep 30", (char *)NULL);
		_exit(3);
	}
	close(go[0]);
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, mem);
	/* Let it exec, and wait until /proc says it has. */
	ASSERT_EQ(1, write(go[1], "g", 1));
	close(go[1]);
	for (int i = 0; i < 500; i++) {
		char exe[64], target[256];
		ssize_t n;

		snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
		n = readlink(exe, target, sizeof(target) - 1);
		if (n > 0 && !memmem(target, (size_t)n, "abi_test", 8))
			break;
		usleep(10000);
	}
	task_mem_args(&args, mem);
	ASSERT_EQ(0, ioctl(self->fd, VMSYNC_IOC_TASK_FROM_MEM, &args));
	EXPECT_EQ(VMSYNC_KERN_INVALID_ARGUMENT, args.kr);
	EXPECT_EQ(ESRCH, args.error);
	EXPECT_EQ(-1, args.task);
	close(mem);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

TEST_F(dev, task_from_mem_rejects_bad_input)
{
	struct vmsync_task_mem_args args;
	int mem;

	mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, mem);
	task_mem_args(&args, mem);
	args.flags = 1;
	EXPECT_FAIL(EINVAL, ioctl(self->fd, VMSYNC_IOC_TASK_FROM_MEM, &args));
	EXPECT_EQ((int32_t)0xA5A5A5A5, args.task);
	task_mem_args(&args, mem);
	args.reserved0 = 1;
	EXPECT_FAIL(EINVAL, ioctl(self->fd, VMSYNC_IOC_TASK_FROM_MEM, &args));
	task_mem_args(&args, mem);
	args.reserved[1] = 1ULL << 63;
	EXPECT_FAIL(EINVAL, ioctl(self->fd, VMSYNC_IOC_TASK_FROM_MEM, &args));
	EXPECT_EQ((int32_t)0xA5A5A5A5, args.kr);
	EXPECT_FAIL(EFAULT, ioctl(self->fd, VMSYNC_IOC_TASK_FROM_MEM, NULL));
	close(mem);
}

TEST_F(dev, api_rejects_bad_input)
{
	struct vmsync_api api;

	memset(&api, 0, sizeof(api));
	api.api = VMSYNC_API + 1;
	EXPECT_FAIL(EINVAL, ioctl(self->fd, VMSYNC_IOC_API, &api));
	EXPECT_EQ(0, api.version);

	memset(&api, 0, sizeof(api));
	api.api = VMSYNC_API;
	api.reserved[2] = 1;
	EXPECT_FAIL(EINVAL, ioctl(self->fd, VMSYNC_IOC_API, &api));
	EXPECT_EQ(0, api.version);

	memset(&api, 0, sizeof(api));
	api.api = VMSYNC_API;
	api.reserved0 = 1;
	EXPECT_FAIL(EINVAL, ioctl(self->fd, VMSYNC_IOC_API, &api));
	EXPECT_EQ(0, api.version);
	EXPECT_EQ(0, api.release);

	EXPECT_FAIL(EFAULT, ioctl(self->fd, VMSYNC_IOC_API, NULL));
}

TEST_F(dev, unknown_ioctl_enotty)
{
	const unsigned long bad_cmds[] = {
		_IO(VMSYNC_IOC_MAGIC, 0x7f),
		_IOWR(VMSYNC_IOC_MAGIC, 0x3f, struct vmsync_msync_args),
		/* A known number with another size or direction. */
		_IOWR(VMSYNC_IOC_MAGIC, 0x01, char[8]),
		_IOW(VMSYNC_IOC_MAGIC, 0x01, struct vmsync_msync_args),
	};
	struct vmsync_msync_args args;
	int nread = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_cmds); i++) {
		msync_args(&args, self->map, P, VMSYNC_MS_SYNC);
		EXPECT_FAIL(ENOTTY, ioctl(self->fd, bad_cmds[i], &args));
	}
	/* Left alone by every one of them. */
	EXPECT_EQ(poison64, args.pages_written);
	EXPECT_FAIL(ENOTTY, ioctl(self->fd, FIONREAD, &nread));
}

TEST_F(dev, msync_reserved_fields_einval)
{
	struct vmsync_msync_args args;

	self->map[0] = 1;
	msync_args(&args, self->map, P, VMSYNC_MS_SYNC);
	args.reserved0 = 1;
	EXPECT_FAIL(EINVAL, ioctl(self->fd, VMSYNC_IOC_MSYNC, &args));
	EXPECT_EQ(poison64, args.pages_written);
	EXPECT_EQ(poison64, args.pages_discarded);

	msync_args(&args, self->map, P, VMSYNC_MS_SYNC);
	args.reserved[1] = 1ULL << 63;
	EXPECT_FAIL(EINVAL, ioctl(self->fd, VMSYNC_IOC_MSYNC, &args));
	EXPECT_EQ(poison64, args.pages_written);
	/* Nothing was done. */
	EXPECT_TRUE(vt_page_dirty(self->map));
}

TEST_F(dev, msync_out_fields_written)
{
	struct vmsync_msync_args args;

	self->map[0] = 1;
	self->map[P] = 1;
	msync_args(&args, self->map, 2 * P, VMSYNC_MS_SYNC);
	ASSERT_EQ(0, ioctl(self->fd, VMSYNC_IOC_MSYNC, &args));
	EXPECT_EQ(2, args.pages_written);
	EXPECT_EQ(0, args.pages_discarded);
	/* In fields are returned unchanged. */
	EXPECT_EQ((uintptr_t)self->map, args.addr);
	EXPECT_EQ(2 * P, args.len);
	EXPECT_EQ(VMSYNC_MS_SYNC, args.flags);
	EXPECT_EQ(0, args.reserved0);
	EXPECT_EQ(0, args.reserved[0]);
	EXPECT_EQ(0, args.reserved[1]);

	msync_args(&args, self->map, 2 * P,
		   VMSYNC_MS_SYNC | VMSYNC_MS_INVALIDATE);
	ASSERT_EQ(0, ioctl(self->fd, VMSYNC_IOC_MSYNC, &args));
	EXPECT_EQ(0, args.pages_written);
	EXPECT_EQ(2, args.pages_discarded);

	/* Written also when the call fails part way. */
	ASSERT_EQ(0, munmap(self->map + P, P));
	self->map[0] = 2;
	msync_args(&args, self->map, 2 * P, VMSYNC_MS_SYNC);
	EXPECT_FAIL(ENOMEM, ioctl(self->fd, VMSYNC_IOC_MSYNC, &args));
	EXPECT_EQ(1, args.pages_written);
	EXPECT_EQ(0, args.pages_discarded);
	ASSERT_EQ(self->map + P, mmap(self->map + P, P, PROT_READ,
				      MAP_SHARED | MAP_FIXED, self->file, P));
}

TEST_F(dev, bad_pointer_efault)
{
	struct vmsync_msync_args *ro;

	EXPECT_FAIL(EFAULT, ioctl(self->fd, VMSYNC_IOC_MSYNC, NULL));
	EXPECT_FAIL(EFAULT, ioctl(self->fd, VMSYNC_IOC_MSYNC, (void *)1));
	/* Readable but not writable: the sync runs, the result cannot land. */
	ro = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	msync_args(ro, self->map, P, VMSYNC_MS_SYNC);
	ASSERT_EQ(0, mprotect(ro, P, PROT_READ));
	self->map[0] = 3;
	EXPECT_FAIL(EFAULT, ioctl(self->fd, VMSYNC_IOC_MSYNC, ro));
	munmap(ro, P);
}

TEST_F(dev, device_not_seekable)
{
	errno = 0;
	EXPECT_EQ(-1, lseek(self->fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
}

/* Any user may use the device on its own memory. */
TEST_F(dev, world_usable)
{
	struct stat st;
	int status;
	pid_t pid;

	ASSERT_EQ(0, stat(VMSYNC_DEVICE_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666u, st.st_mode & 0777);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned char *anon;

		if (setgid(65534) || setuid(65534))
			_exit(2);
		anon = mmap(NULL, P, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (anon == MAP_FAILED)
			_exit(3);
		anon[0] = 1;
		_exit(vmsync_msync(anon, P, MS_SYNC | MS_INVALIDATE) ? 4 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

static int count_vmsync_fds(void)
{
	struct stat dev, st;
	struct dirent *d;
	char path[300];
	DIR *dir;
	int n = 0;

	if (stat(VMSYNC_DEVICE_PATH, &dev))
		return -1;
	dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", d->d_name);
		if (!stat(path, &st) && S_ISCHR(st.st_mode) &&
		    st.st_rdev == dev.st_rdev)
			n++;
	}
	closedir(dir);
	return n;
}

static void *open_lib_fd(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)vmsync_fd();
}

/* The library opens the device once per process, with O_CLOEXEC. */
TEST_F(dev, library_opens_once_cloexec)
{
	pthread_t threads[8];
	intptr_t first = -1;
	unsigned int i;
	void *fd;

	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, count_vmsync_fds());
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, open_lib_fd,
					    NULL));
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, pthread_join(threads[i], &fd));
		ASSERT_LE(0, (intptr_t)fd);
		if (first < 0)
			first = (intptr_t)fd;
		EXPECT_EQ(first, (intptr_t)fd);
	}
	EXPECT_EQ(1, count_vmsync_fds());
	EXPECT_EQ(FD_CLOEXEC, fcntl((int)first, F_GETFD) & FD_CLOEXEC);
}

/*
 * The program dup2()s another file over the library's descriptor: the
 * library notices and opens the device again, and leaves the file alone.
 */
TEST_F(dev, library_reopens_after_dup2)
{
	struct stat st;
	int lib, null;

	lib = vmsync_fd();
	ASSERT_LE(0, lib);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, null);
	ASSERT_EQ(lib, dup2(null, lib));
	close(null);

	self->map[0] = 5;
	ASSERT_OK(vmsync_msync(self->map, P, MS_SYNC));
	EXPECT_FALSE(vt_page_dirty(self->map));
	EXPECT_NE(lib, vmsync_fd());
	/* What the program put there is still there. */
	ASSERT_EQ(0, fstat(lib, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(makedev(1, 3), st.st_rdev);
	close(lib);
	/* Closed: opened again too. */
	lib = vmsync_fd();
	ASSERT_LE(0, lib);
	close(lib);
	self->map[0] = 6;
	ASSERT_OK(vmsync_msync(self->map, P, MS_SYNC));
	EXPECT_FALSE(vt_page_dirty(self->map));
}

/* Run path (a copy of this program) as nobody: the "api" helper's status. */
static int nobody_runs_api_helper(const char *path)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		if (vt_become(65534) ||
		    setenv("VMSYNC_DEVICE", "/nonexistent", 1))
			_exit(100);
		execl(path, path, VT_HELPER_ARG, "api", (char *)NULL);
		_exit(101);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * VMSYNC_DEVICE is the invoker's to set, except for a set-user-ID program:
 * its library ignores it (secure_getenv()) and opens /dev/vmsync.
 */
TEST(library_device_env_not_for_setuid)
{
	char path[4096];

	ASSERT_OK(vt_setuid_copy(path, sizeof(path), false));
	EXPECT_EQ(ENODEV, nobody_runs_api_helper(path));
	ASSERT_OK(chmod(path, 04755));
	EXPECT_EQ(0, nobody_runs_api_helper(path));
	unlink(path);
}

/* Unload the module: the library says ENODEV and how to fix it. */
TEST(library_without_module)
{
	const char *ko = getenv("VMSYNC_KO");
	struct vmsync_api api;
	int kofd, ret, err;

	if (!ko || !*ko)
		SKIP(return, "VMSYNC_KO does not name vmsync.ko to reload");
	kofd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, kofd);
	ASSERT_EQ(0, syscall(__NR_delete_module, "vmsync", O_NONBLOCK))
		TH_LOG("rmmod vmsync: %s", strerror(errno));

	ret = vmsync_msync(NULL, 0, MS_SYNC);
	err = errno;
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(ENODEV, err);
	EXPECT_NE(NULL, strstr(vmsync_strerror(err), "load the module"));
	EXPECT_FAIL(ENODEV, vmsync_get_api(&api));
	EXPECT_FAIL(ENODEV, vmsync_fd());

	ASSERT_EQ(0, syscall(__NR_finit_module, kofd, "", 0))
		TH_LOG("reloading %s: %s", ko, strerror(errno));
	close(kofd);
	/* Not cached: loading the module is enough. */
	for (int i = 0; i < 100 && access(VMSYNC_DEVICE_PATH, F_OK); i++)
		usleep(10000);
	EXPECT_EQ(0, vmsync_msync(NULL, 0, MS_SYNC));
}

int main(int argc, char **argv)
{
	vt_helper(argc, argv);
	return test_harness_run(argc, argv);
}
