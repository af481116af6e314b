/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vm_task_for_pid() against ptrace(PTRACE_ATTACH), for programs using
 * kselftest_harness.h: a caller process (nobody or root) asks for a handle
 * to a target and tries to attach to it, under the Yama ptrace_scope the
 * test set.  A handle must be granted exactly where the attach is, since
 * both are decided by the kernel's ptrace check with every LSM's; the
 * caller's own address space is the one exception (ptrace never attaches
 * to its own thread group, a handle to oneself is always granted).
 */
#ifndef VMSYNC_TASK_MATRIX_H
#define VMSYNC_TASK_MATRIX_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmsync/mach.h"
#include "vmsync_test_util.h"

#define YAMA_SCOPE	"kernel/yama/ptrace_scope"
#define NOBODY		65534
#define OTHER_UID	65533

enum tm_target {
	TM_SELF,		/* the caller itself */
	TM_CHILD,		/* the caller's child, same uid, dumpable */
	TM_SIBLING,		/* nobody, dumpable, not the caller's child */
	TM_SIBLING_PTRACER,	/* the same, with PR_SET_PTRACER_ANY */
	TM_OTHER_UID,		/* uid 65533, dumpable, not a child */
	TM_CHILD_NOT_DUMPABLE,	/* as TM_CHILD after PR_SET_DUMPABLE 0 */
	TM_CHILD_SETUID,	/* the caller's child, exec'd set-user-ID root */
	TM_NTARGETS,
};

static const char *const tm_target_name[TM_NTARGETS] = {
	"self", "child", "sibling", "sibling with PR_SET_PTRACER_ANY",
	"other uid", "non-dumpable child", "set-user-ID child",
};

/* What the caller saw. */
struct tm_result {
	int kr;			/* vm_task_for_pid() */
	int kr_errno;		/* errno with it, 0 on success */
	int msync_kr;		/* vm_msync(handle, 0, 0) when granted */
	int attach_errno;	/* ptrace(PTRACE_ATTACH): 0 or errno */
	int setup;		/* 0, or where the caller's setup failed */
};

/* Processes the test makes once, for every caller to aim at. */
struct tm_targets {
	pid_t sibling;
	pid_t sibling_ptracer;
	pid_t other_uid;
	char helper[4096];	/* set-user-ID root copy of the program */
};

/*
 * A process of uid that waits to be killed: dumpable or not, accepting
 * any ptracer or not.  -1 on failure.
 */
static pid_t tm_spawn(uid_t uid, bool dumpable, bool any_ptracer)
{
	int ready[2];
	pid_t pid;
	char x;

	if (pipe2(ready, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (vt_become(uid) || prctl(PR_SET_DUMPABLE, dumpable) ||
		    (any_ptracer &&
		     prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0)) ||
		    write(ready[1], "r", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (pid > 0 && read(ready[0], &x, 1) != 1) {
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

/* A child that execs helper (set-user-ID root) and waits there. */
static pid_t tm_spawn_setuid(const char *helper)
{
	int ready[2];
	char fd[16];
	pid_t pid;
	char x;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		snprintf(fd, sizeof(fd), "%d", ready[1]);
		execl(helper, helper, VT_HELPER_ARG, "pause", fd, (char *)NULL);
		_exit(3);
	}
	close(ready[1]);
	if (pid > 0 && read(ready[0], &x, 1) != 1) {
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

static void tm_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void tm_targets_setup(struct __test_metadata *_metadata,
			     struct tm_targets *t)
{
	memset(t, 0, sizeof(*t));
	ASSERT_OK(vt_setuid_copy(t->helper, sizeof(t->helper), true));
	t->sibling = tm_spawn(NOBODY, true, false);
	ASSERT_LT(0, t->sibling);
	t->sibling_ptracer = tm_spawn(NOBODY, true, true);
	ASSERT_LT(0, t->sibling_ptracer);
	t->other_uid = tm_spawn(OTHER_UID, true, false);
	ASSERT_LT(0, t->other_uid);
}

static void tm_targets_teardown(struct tm_targets *t)
{
	tm_kill(t->sibling);
	tm_kill(t->sibling_ptracer);
	tm_kill(t->other_uid);
	if (t->helper[0])
		unlink(t->helper);
}

/* ptrace(PTRACE_ATTACH) to pid: 0 (and detached again) or its errno. */
static int tm_attach(pid_t pid)
{
	int status;

	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL))
		return errno;
	/* The attach stops it with SIGSTOP; detaching drops that signal. */
	if (waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status) ||
	    ptrace(PTRACE_DETACH, pid, NULL, NULL))
		return -1;
	return 0;
}

/* In the caller: become uid, make or pick the target, try both. */
static void tm_caller(int out, uid_t uid, enum tm_target which,
		      const struct tm_targets *t)
{
	struct tm_result r = { .setup = 0 };
	pid_t target = -1, own = -1;
	vm_task_t task;

	if (vt_become(uid)) {
		r.setup = 1;
		goto report;
	}
	switch (which) {
	case TM_SELF:
		target = getpid();
		break;
	case TM_CHILD:
		own = tm_spawn(uid, true, false);
		target = own;
		break;
	case TM_SIBLING:
		target = t->sibling;
		break;
	case TM_SIBLING_PTRACER:
		target = t->sibling_ptracer;
		break;
	case TM_OTHER_UID:
		target = t->other_uid;
		break;
	case TM_CHILD_NOT_DUMPABLE:
		own = tm_spawn(uid, false, false);
		target = own;
		break;
	case TM_CHILD_SETUID:
		own = tm_spawn_setuid(t->helper);
		target = own;
		break;
	default:
		break;
	}
	if (target <= 0) {
		r.setup = 2;
		goto report;
	}
	r.kr = vm_task_for_pid(target, &task);
	r.kr_errno = r.kr == KERN_SUCCESS ? 0 : errno;
	if (r.kr == KERN_SUCCESS) {
		r.msync_kr = vm_msync(task, 0, 0, VM_SYNC_SYNCHRONOUS);
		vm_task_release(task);
	}
	r.attach_errno = tm_attach(target);
	tm_kill(own);
report:
	_exit(write(out, &r, sizeof(r)) == sizeof(r) ? 0 : 1);
}

/* Run a caller of uid against target which; its result in *r. */
static int tm_probe(uid_t uid, enum tm_target which,
		    const struct tm_targets *t, struct tm_result *r)
{
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		tm_caller(pipefd[1], uid, which, t);
	}
	close(pipefd[1]);
	n = pid > 0 ? read(pipefd[0], r, sizeof(*r)) : -1;
	close(pipefd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status ||
	    n != sizeof(*r))
		return -1;
	return r->setup ? -1 : 0;
}

/*
 * Check every caller and target under the current Yama scope: the handle
 * is granted exactly where the attach is (but to oneself), refusals are
 * KERN_PROTECTION_FAILURE with EPERM, and granted[caller][target] says
 * which are, for this scope.
 */
static void tm_check_scope(struct __test_metadata *_metadata,
			   const struct tm_targets *t, int scope,
			   const bool granted[2][TM_NTARGETS])
{
	static const uid_t callers[2] = { NOBODY, 0 };
	struct tm_result r;
	int c, w;

	for (c = 0; c < 2; c++) {
		for (w = 0; w < TM_NTARGETS; w++) {
			const char *who = callers[c] ? "nobody" : "root";
			bool handle;

			memset(&r, 0, sizeof(r));
			ASSERT_EQ(0, tm_probe(callers[c], w, t, &r))
				TH_LOG("scope %d, %s -> %s: setup %d", scope,
				       who, tm_target_name[w], r.setup);
			handle = r.kr == KERN_SUCCESS;
			if (w == TM_SELF) {
				EXPECT_EQ(EPERM, r.attach_errno);
			} else {
				EXPECT_EQ(!r.attach_errno, handle)
					TH_LOG("scope %d, %s -> %s: attach %s, handle %s",
					       scope, who, tm_target_name[w],
					       strerror(r.attach_errno),
					       vmsync_kern_return_string(r.kr));
			}
			EXPECT_EQ(granted[c][w], handle)
				TH_LOG("scope %d, %s -> %s: %s (errno %d)",
				       scope, who, tm_target_name[w],
				       vmsync_kern_return_string(r.kr),
				       r.kr_errno);
			if (handle) {
				EXPECT_EQ(KERN_SUCCESS, r.msync_kr);
			} else {
				EXPECT_EQ(KERN_PROTECTION_FAILURE, r.kr);
				EXPECT_EQ(EPERM, r.kr_errno);
			}
		}
	}
}

static void tm_set_scope(struct __test_metadata *_metadata, int scope)
{
	char value[8], now[8];

	snprintf(value, sizeof(value), "%d", scope);
	ASSERT_OK(vt_sysctl_set(YAMA_SCOPE, value));
	ASSERT_OK(vt_sysctl_get(YAMA_SCOPE, now, sizeof(now)));
	ASSERT_STREQ(value, now);
}

#endif /* VMSYNC_TASK_MATRIX_H */
