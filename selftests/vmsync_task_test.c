// SPDX-License-Identifier: GPL-2.0
/*
 * Task handles (SPEC section 4): vm_task_for_pid() and vm_msync() on
 * another process.  The access check is the kernel's own, made when the
 * library opens /proc/PID/mem; a handle is granted exactly where
 * ptrace(PTRACE_ATTACH) is, under each Yama ptrace_scope from 0 to 2
 * (scope 3 cannot be undone; vmsync_scope3_final_test checks it).
 *
 * Run as root on a file system on a real block device, $VMSYNC_TEST_DIR
 * naming a directory on it (not mounted nosuid: the tests exec a
 * set-user-ID copy of themselves), with Yama in the kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/landlock.h>

#include "kselftest_harness.h"
#include "vmsync/mach.h"
#include "vmsync_task_matrix.h"
#include "vmsync_test_util.h"
#include "vmsync_testfile.h"

#define SYNC		VM_SYNC_SYNCHRONOUS
#define INVAL		VM_SYNC_INVALIDATE

/* The kern_return_t, and errno with it when it is not KERN_SUCCESS. */
#define EXPECT_KR(kr, err, call) do {				\
		int _want = (kr);				\
		int _kr = (call);				\
		int _errno = errno;				\
		EXPECT_EQ(_want, _kr);				\
		if (_want != KERN_SUCCESS)			\
			EXPECT_EQ(err, _errno);			\
	} while (0)

FIXTURE(vm) {
	struct testfile f;
};

FIXTURE_SETUP(vm)
{
	testfile_setup(_metadata, &self->f);
}

FIXTURE_TEARDOWN(vm)
{
	testfile_teardown(&self->f);
}

/* --- handles: what they do, and when they stop working ---------------- */

/* A child with its own shared mapping of the file, at its own address. */
struct child {
	pid_t pid;
	int go;			/* write end: tell it to go on */
	int back;		/* read end: what it reports */
	vm_address_t addr;
};

static int child_start(struct child *c, int fd, void (*then)(unsigned char *))
{
	int to[2], from[2];

	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		return -1;
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		unsigned char *m = mmap(NULL, NPAGES * P,
					PROT_READ | PROT_WRITE, MAP_SHARED,
					fd, 0);
		char x;

		if (m == MAP_FAILED)
			_exit(2);
		dirty(m, 0, 1);
		(void)map_is(m, 1, 0);
		if (write(from[1], &m, sizeof(m)) != sizeof(m) ||
		    read(to[0], &x, 1) != 1)
			_exit(2);
		then(m);
		_exit(3);
	}
	close(to[0]);
	close(from[1]);
	c->go = to[1];
	c->back = from[0];
	return read(c->back, &c->addr, sizeof(c->addr)) == sizeof(c->addr) ?
	       0 : -1;
}

static int child_finish(struct child *c)
{
	int status;

	if (write(c->go, "g", 1) != 1 || waitpid(c->pid, &status, 0) != c->pid)
		return -1;
	close(c->go);
	close(c->back);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void check_page1_reread(unsigned char *m)
{
	_exit(map_is(m, 1, 2) ? 0 : 1);
}

static void just_exit(unsigned char *m)
{
	_exit(0);
}

static void exec_sleep(unsigned char *m)
{
	execl("/bin/sh", "sh", "-c", "sleep 30", (char *)NULL);
	_exit(4);
}

/* A parent syncs and invalidates its child's shared file mapping. */
TEST_F(vm, task_child_sync_and_invalidate)
{
	unsigned char *page = malloc(P);
	struct child c;
	vm_task_t t;

	ASSERT_NE(NULL, page);
	ASSERT_OK(child_start(&c, self->f.fd, check_page1_reread));
	ASSERT_EQ(KERN_SUCCESS, vm_task_for_pid(c.pid, &t));
	ASSERT_LE(0, t);
	EXPECT_EQ(FD_CLOEXEC, fcntl(t, F_GETFD) & FD_CLOEXEC);

	/* The child's dirty page 0 reaches the disk. */
	EXPECT_EQ(KERN_SUCCESS, vm_msync(t, c.addr, 2 * P, SYNC));
	EXPECT_TRUE(vt_disk_page_is(self->f.disk, self->f.fd, 0,
				    vt_fill(0, 1)));
	/* Its stale page 1 is dropped: it reads the disk's new bytes. */
	memset(page, vt_fill(1, 2), P);
	ASSERT_OK(vt_disk_write_page(self->f.disk, self->f.fd, 1, page));
	EXPECT_EQ(KERN_SUCCESS, vm_msync(t, c.addr, 2 * P, SYNC | INVAL));
	EXPECT_EQ(0, child_finish(&c)) TH_LOG("the child saw stale data");

	EXPECT_EQ(KERN_SUCCESS, vm_task_release(t));
	EXPECT_KR(KERN_INVALID_TASK, EBADF, vm_task_release(t));
	/* A descriptor that is not a handle is not closed. */
	EXPECT_KR(KERN_INVALID_TASK, EBADF, vm_task_release(self->f.fd));
	EXPECT_LE(0, fcntl(self->f.fd, F_GETFD));
	EXPECT_EQ(KERN_SUCCESS, vm_task_release(vm_task_self()));
	free(page);
}

/* Once the process has exited, its handle is invalid: zombie or reaped. */
TEST_F(vm, task_exited_invalid)
{
	char path[64], state[256];
	struct child c;
	double deadline;
	vm_task_t t;
	int status;

	ASSERT_OK(child_start(&c, self->f.fd, just_exit));
	ASSERT_EQ(KERN_SUCCESS, vm_task_for_pid(c.pid, &t));
	ASSERT_EQ(1, write(c.go, "g", 1));
	snprintf(path, sizeof(path), "/proc/%d/stat", c.pid);
	deadline = vt_now() + 20;
	while (!vt_read_file(path, state, sizeof(state)) &&
	       !strstr(state, ") Z ") && vt_now() < deadline)
		usleep(10000);
	ASSERT_NE(NULL, strstr(state, ") Z ")) TH_LOG("not a zombie: %s", state);
	EXPECT_KR(KERN_INVALID_TASK, ESRCH, vm_msync(t, c.addr, P, SYNC));
	ASSERT_EQ(c.pid, waitpid(c.pid, &status, 0));
	EXPECT_KR(KERN_INVALID_TASK, ESRCH, vm_msync(t, c.addr, P, SYNC));
	/* Nothing was synced through it. */
	EXPECT_TRUE(vt_disk_page_is(self->f.disk, self->f.fd, 0,
				    vt_fill(0, 0)));
	vm_task_release(t);
	close(c.go);
	close(c.back);
}

/* After execve the handle names an address space that is gone. */
TEST_F(vm, task_exec_invalid)
{
	struct child c;
	vm_task_t t;
	char x;
	int status;

	ASSERT_OK(child_start(&c, self->f.fd, exec_sleep));
	ASSERT_EQ(KERN_SUCCESS, vm_task_for_pid(c.pid, &t));
	EXPECT_EQ(KERN_SUCCESS, vm_msync(t, c.addr, P, 0));
	ASSERT_EQ(1, write(c.go, "g", 1));
	/* The close-on-exec pipe reads EOF once the exec is done. */
	ASSERT_EQ(0, read(c.back, &x, 1));
	EXPECT_KR(KERN_INVALID_TASK, ESRCH, vm_msync(t, c.addr, P, SYNC));
	EXPECT_TRUE(vt_disk_page_is(self->f.disk, self->f.fd, 0,
				    vt_fill(0, 0)));
	kill(c.pid, SIGKILL);
	waitpid(c.pid, &status, 0);
	vm_task_release(t);
	close(c.go);
	close(c.back);
}

/* 0 when a nobody process is refused a handle to *pid, with EPERM. */
static int nobody_asks_for(void *arg)
{
	pid_t pid = *(pid_t *)arg;
	vm_task_t t = 123;

	if (vt_become(NOBODY))
		return 10;
	if (vm_task_for_pid(pid, &t) != KERN_PROTECTION_FAILURE)
		return 11;
	if (errno != EPERM || t != -1)
		return 12;
	/* Its own address space is always fine. */
	if (vm_task_for_pid(getpid(), &t) != KERN_SUCCESS)
		return 13;
	return vm_msync(t, 0, 0, SYNC) == KERN_SUCCESS ? 0 : 14;
}

TEST_F(vm, task_refused_unprivileged)
{
	pid_t self_pid = getpid(), init_pid = 1;

	dirty(self->f.map, 0, 1);
	EXPECT_EQ(0, vt_in_child(nobody_asks_for, &self_pid));
	EXPECT_EQ(0, vt_in_child(nobody_asks_for, &init_pid));
	/* Nothing touched. */
	EXPECT_UNTOUCHED(0);
}

TEST(task_no_such_process)
{
	vm_task_t t = 5;

	EXPECT_KR(KERN_INVALID_ARGUMENT, ESRCH, vm_task_for_pid(0, &t));
	EXPECT_EQ(-1, t);
	EXPECT_KR(KERN_INVALID_ARGUMENT, ESRCH, vm_task_for_pid(-1, &t));
	EXPECT_KR(KERN_INVALID_ARGUMENT, ESRCH, vm_task_for_pid(4000000, &t));
	/* A kernel thread has no address space to sync. */
	EXPECT_KR(KERN_INVALID_ARGUMENT, ESRCH, vm_task_for_pid(2, &t));
}

/*
 * A process whose main thread has exited while another thread lives: its
 * /proc/PID/mem names no address space any more, but the process still
 * has one, and a handle to it works.
 */
static void *mt_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

TEST_F(vm, task_main_thread_exited)
{
	char path[64], state[256];
	double deadline;
	int back[2], status;
	vm_address_t addr;
	vm_task_t t;
	pid_t pid;

	ASSERT_OK(pipe2(back, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned char *m = mmap(NULL, NPAGES * P,
					PROT_READ | PROT_WRITE, MAP_SHARED,
					self->f.fd, 0);
		pthread_t th;

		if (m == MAP_FAILED || pthread_create(&th, NULL, mt_thread, NULL))
			_exit(2);
		dirty(m, 0, 1);
		if (write(back[1], &m, sizeof(m)) != sizeof(m))
			_exit(3);
		pthread_exit(NULL);
	}
	close(back[1]);
	ASSERT_EQ(sizeof(addr), read(back[0], &addr, sizeof(addr)));
	close(back[0]);
	/* The main thread is a zombie; the process lives on. */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	deadline = vt_now() + 20;
	while (!vt_read_file(path, state, sizeof(state)) &&
	       !strstr(state, ") Z ") && vt_now() < deadline)
		usleep(10000);
	ASSERT_NE(NULL, strstr(state, ") Z ")) TH_LOG("main thread: %s", state);

	ASSERT_EQ(KERN_SUCCESS, vm_task_for_pid(pid, &t));
	EXPECT_EQ(KERN_SUCCESS, vm_msync(t, addr, P, SYNC));
	EXPECT_TRUE(vt_disk_page_is(self->f.disk, self->f.fd, 0,
				    vt_fill(0, 1)));
	EXPECT_EQ(KERN_SUCCESS, vm_task_release(t));
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
}

/* --- the access check: the kernel's, as ptrace attach's --------------- */

FIXTURE(scope) {
	struct tm_targets t;
	char saved[8];
};

FIXTURE_SETUP(scope)
{
	ASSERT_EQ(0, vt_sysctl_get(YAMA_SCOPE, self->saved,
				   sizeof(self->saved)))
		TH_LOG("no Yama in this kernel");
	tm_targets_setup(_metadata, &self->t);
}

FIXTURE_TEARDOWN(scope)
{
	tm_targets_teardown(&self->t);
	if (self->saved[0])
		vt_sysctl_set(YAMA_SCOPE, self->saved);
}

/*
 * Which handles each Yama scope grants: [caller: nobody, root][target].
 * Scope 0 is ptrace's credential and dumpability rule; 1 adds "only
 * descendants, or who declared the caller its ptracer"; 2 "only with
 * CAP_SYS_PTRACE".
 */
static const bool granted_by_scope[3][2][TM_NTARGETS] = {
	[0] = {
		{ [TM_SELF] = true, [TM_CHILD] = true, [TM_SIBLING] = true,
		  [TM_SIBLING_PTRACER] = true },
		{ true, true, true, true, true, true, true },
	},
	[1] = {
		{ [TM_SELF] = true, [TM_CHILD] = true,
		  [TM_SIBLING_PTRACER] = true },
		{ true, true, true, true, true, true, true },
	},
	[2] = {
		{ [TM_SELF] = true },
		{ true, true, true, true, true, true, true },
	},
};

TEST_F_TIMEOUT(scope, handle_exactly_where_attach, 120)
{
	int scope;

	for (scope = 0; scope < 3; scope++) {
		tm_set_scope(_metadata, scope);
		tm_check_scope(_metadata, &self->t, scope,
			       granted_by_scope[scope]);
	}
}

/*
 * Another LSM than Yama: a caller in a Landlock domain may not ptrace a
 * process outside it, root or not, so it gets no handle either; a process
 * inside its domain (its own child) it may attach to and get a handle to.
 * The domain handles only execution, so opening /proc/PID/mem for reading
 * is not what it refuses.
 */
static int landlocked_root_asks(void *arg)
{
	pid_t outside = *(pid_t *)arg;
	struct landlock_ruleset_attr attr = {
		.handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE,
	};
	pid_t inside = -1;
	vm_task_t t;
	int ruleset, ret = 0;

	/* Before: root may do both. */
	if (tm_attach(outside) || vm_task_for_pid(outside, &t) != KERN_SUCCESS)
		return 10;
	vm_task_release(t);
	ruleset = syscall(__NR_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(__NR_landlock_restrict_self, ruleset, 0))
		return 11;
	close(ruleset);

	if (tm_attach(outside) != EPERM)
		ret = 12;
	else if (vm_task_for_pid(outside, &t) != KERN_PROTECTION_FAILURE ||
		 errno != EPERM)
		ret = 13;
	inside = tm_spawn(0, true, false);
	if (ret == 0 && inside <= 0)
		ret = 14;
	else if (ret == 0 && tm_attach(inside))
		ret = 15;
	else if (ret == 0 && vm_task_for_pid(inside, &t) != KERN_SUCCESS)
		ret = 16;
	else if (ret == 0)
		vm_task_release(t);
	tm_kill(inside);
	return ret;
}

TEST(task_landlock_domain)
{
	pid_t outside = tm_spawn(NOBODY, true, false);

	ASSERT_LT(0, outside);
	EXPECT_EQ(0, vt_in_child(landlocked_root_asks, &outside));
	tm_kill(outside);
}

int main(int argc, char **argv)
{
	vt_helper(argc, argv);
	return test_harness_run(argc, argv);
}
