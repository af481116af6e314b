// SPDX-License-Identifier: GPL-2.0
/*
 * vm_msync(): Mach semantics (SPEC section 3), the pager protocol (section
 * 5) and observability (section 7), checked on the block device, in page
 * flags, in residency and in the trace.  Task handles (section 4) are
 * vmsync_task_test's.
 *
 * Run as root on a file system on a real block device (ext4 in the test
 * VM, with its default mount options), $VMSYNC_TEST_DIR naming a directory
 * on it, with tracefs at /sys/kernel/tracing and debugfs at
 * /sys/kernel/debug.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmsync/mach.h"
#include "vmsync_test_util.h"
#include "vmsync_testfile.h"

#define SYNC		VM_SYNC_SYNCHRONOUS
#define ASYNC		VM_SYNC_ASYNCHRONOUS
#define INVAL		VM_SYNC_INVALIDATE
#define SELF		vm_task_self()

#define DELAY_HOOK	"/sys/kernel/debug/vmsync/test_sync_delay_ms"

/* The kern_return_t, and errno with it when it is not KERN_SUCCESS. */
#define EXPECT_KR(kr, err, call) do {				\
		int _want = (kr);				\
		int _kr = (call);				\
		int _errno = errno;				\
		EXPECT_EQ(_want, _kr);				\
		if (_want != KERN_SUCCESS)			\
			EXPECT_EQ(err, _errno);			\
	} while (0)

static vm_address_t addr_of(const void *p)
{
	return (vm_address_t)p;
}

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

/* --- the checks of SPEC section 3, in order ------------------------- */

TEST_F(vm, sync_with_async_invalid_argument)
{
	dirty(self->f.map, 0, 1);
	EXPECT_KR(KERN_INVALID_ARGUMENT, EINVAL,
		  vm_msync(SELF, addr_of(self->f.map), P, SYNC | ASYNC));
	EXPECT_KR(KERN_INVALID_ARGUMENT, EINVAL,
		  vm_msync(SELF, addr_of(self->f.map), P,
			   SYNC | ASYNC | INVAL));
	/* Checked before the task. */
	EXPECT_KR(KERN_INVALID_ARGUMENT, EINVAL,
		  vm_msync(-5, addr_of(self->f.map), P, SYNC | ASYNC));
	EXPECT_UNTOUCHED(0);
}

TEST_F(vm, unknown_flag_invalid_argument)
{
	/* XNU's KILLPAGES, DEACTIVATE and CONTIGUOUS are not implemented. */
	static const unsigned int bad[] = { 0x8, 0x10, 0x20, 0x40, 1u << 31 };
	unsigned int i;

	dirty(self->f.map, 0, 1);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_KR(KERN_INVALID_ARGUMENT, EINVAL,
			  vm_msync(SELF, addr_of(self->f.map), P,
				   SYNC | bad[i]));
	EXPECT_KR(KERN_INVALID_ARGUMENT, EINVAL,
		  vm_msync(-5, addr_of(self->f.map), P, 0x8));
	EXPECT_UNTOUCHED(0);
}

TEST_F(vm, bad_task_invalid_task)
{
	dirty(self->f.map, 0, 1);
	EXPECT_KR(KERN_INVALID_TASK, ESRCH,
		  vm_msync(-1, addr_of(self->f.map), P, SYNC));
	EXPECT_KR(KERN_INVALID_TASK, ESRCH,
		  vm_msync(VMSYNC_TASK_SELF + 1, addr_of(self->f.map), P,
			   SYNC));
	/* A descriptor that is not a task handle, and a closed one. */
	EXPECT_KR(KERN_INVALID_TASK, ESRCH,
		  vm_msync(self->f.fd, addr_of(self->f.map), P, SYNC));
	EXPECT_KR(KERN_INVALID_TASK, ESRCH,
		  vm_msync(1000, addr_of(self->f.map), P, SYNC));
	/* Checked before the size. */
	EXPECT_KR(KERN_INVALID_TASK, ESRCH,
		  vm_msync(-1, addr_of(self->f.map), 0, SYNC));
	EXPECT_UNTOUCHED(0);
}

TEST_F(vm, size_zero_success)
{
	dirty(self->f.map, 0, 1);
	EXPECT_EQ(KERN_SUCCESS, vm_msync(SELF, addr_of(self->f.map), 0,
					 SYNC | INVAL));
	EXPECT_EQ(KERN_SUCCESS, vm_msync(SELF, 0, 0, SYNC));
	EXPECT_UNTOUCHED(0);
	EXPECT_TRUE(vt_resident(self->f.map));
}

TEST_F(vm, wrap_or_unmapped_invalid_address)
{
	void *hole = self->f.map + 4 * P;

	dirty(self->f.map, 0, 1);
	EXPECT_KR(KERN_INVALID_ADDRESS, ENOMEM,
		  vm_msync(SELF, addr_of(self->f.map),
			   (vm_size_t)-1 - addr_of(self->f.map) + 2, SYNC));
	EXPECT_KR(KERN_INVALID_ADDRESS, ENOMEM,
		  vm_msync(SELF, addr_of(self->f.map), (vm_size_t)-1, SYNC));
	ASSERT_OK(munmap(hole, 4 * P));
	EXPECT_KR(KERN_INVALID_ADDRESS, ENOMEM,
		  vm_msync(SELF, addr_of(hole), 4 * P, SYNC | INVAL));
	EXPECT_UNTOUCHED(0);
}

/* Mapped parts of a range with holes are processed, then the error. */
TEST_F(vm, hole_processes_mapped_parts)
{
	struct vmsync_vm_msync_result res;

	ASSERT_OK(munmap(self->f.map + 2 * P, P));
	dirty(self->f.map, 0, 1);
	dirty(self->f.map, 1, 1);
	dirty(self->f.map, 3, 1);
	dirty(self->f.map, 5, 1);
	EXPECT_EQ(KERN_INVALID_ADDRESS,
		  vmsync_vm_msync(SELF, addr_of(self->f.map), 4 * P, SYNC,
				  &res));
	EXPECT_EQ(ENOMEM, res.error);
	EXPECT_EQ(3, res.pages_returned);
	EXPECT_WRITTEN(0, 1);
	EXPECT_WRITTEN(1, 1);
	EXPECT_WRITTEN(3, 1);
	EXPECT_UNTOUCHED(5);
}

/* address and size are rounded outward to pages. */
TEST_F(vm, range_rounded_outward)
{
	size_t i;

	for (i = 0; i < 4; i++)
		dirty(self->f.map, i, 1);
	ASSERT_EQ(KERN_SUCCESS, vm_msync(SELF, addr_of(self->f.map) + P + 100,
					 10, SYNC));
	EXPECT_WRITTEN(1, 1);
	EXPECT_UNTOUCHED(0);
	EXPECT_UNTOUCHED(2);
	ASSERT_EQ(KERN_SUCCESS, vm_msync(SELF,
					 addr_of(self->f.map) + 3 * P - 1, 2,
					 SYNC));
	EXPECT_WRITTEN(2, 1);
	EXPECT_WRITTEN(3, 1);
	EXPECT_UNTOUCHED(0);
}

/*
 * More mappings than the module notes per mmap_lock hold (32): 64 one-page
 * mappings of one file, alternately writable and read-only, so none merge.
 * msync reaches every page; INVALIDATE alone discards exactly the changes
 * made through the writable ones.
 */
TEST_F(vm, many_mappings)
{
	const size_t n = 64;
	unsigned char *m;
	int fd;
	size_t i;

	fd = vt_create_file(vt_test_dir(), "many", n, true);
	ASSERT_LE(0, fd);
	m = mmap(NULL, n * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	for (i = 0; i < n; i++)
		dirty(m, i, 1);
	for (i = 1; i < n; i += 2)
		ASSERT_OK(mprotect(m + i * P, P, PROT_READ));

	ASSERT_OK(vmsync_msync(m, n * P, MS_SYNC));
	for (i = 0; i < n; i++)
		EXPECT_TRUE(vt_disk_page_is(self->f.disk, fd, i, vt_fill(i, 1)));

	for (i = 0; i < n; i += 2)
		dirty(m, i, 2);
	ASSERT_OK(mprotect(m + P, P, PROT_READ | PROT_WRITE));
	dirty(m, 1, 2);
	ASSERT_OK(mprotect(m + P, P, PROT_READ));
	ASSERT_EQ(KERN_SUCCESS, vm_msync(SELF, addr_of(m), n * P, INVAL));
	for (i = 0; i < n; i += 2)
		EXPECT_TRUE(map_is(m, i, 1));
	/* Page 1's change was made, but the mapping is read-only now. */
	EXPECT_TRUE(map_is(m, 1, 2));
	EXPECT_TRUE(vt_page_dirty(m + P));
	munmap(m, n * P);
	close(fd);
}

/* --- the per-page table of SPEC section 3, for files ---------------- */

FIXTURE(table) {
	struct testfile f;
};

/* What happens to a dirty and to a clean page under each flag set. */
FIXTURE_VARIANT(table) {
	unsigned int flags;
	bool returned;		/* the dirty page's data reaches the disk */
	bool dropped;		/* both pages leave the page cache */
	unsigned long long nr_returned, nr_discarded;
};

FIXTURE_VARIANT_ADD(table, none) {
	.flags = 0,
};

FIXTURE_VARIANT_ADD(table, synchronous) {
	.flags = SYNC, .returned = true, .nr_returned = 1,
};

FIXTURE_VARIANT_ADD(table, asynchronous) {
	.flags = ASYNC, .returned = true, .nr_returned = 1,
};

FIXTURE_VARIANT_ADD(table, invalidate_synchronous) {
	.flags = INVAL | SYNC, .returned = true, .dropped = true,
	.nr_returned = 1, .nr_discarded = 2,
};

FIXTURE_VARIANT_ADD(table, invalidate_asynchronous) {
	.flags = INVAL | ASYNC, .returned = true, .dropped = true,
	.nr_returned = 1, .nr_discarded = 2,
};

/* The seed's meaning: modifications are discarded, not returned. */
FIXTURE_VARIANT_ADD(table, invalidate) {
	.flags = INVAL, .dropped = true, .nr_discarded = 2,
};

FIXTURE_SETUP(table)
{
	testfile_setup(_metadata, &self->f);
}

FIXTURE_TEARDOWN(table)
{
	testfile_teardown(&self->f);
}

TEST_F(table, file_pages)
{
	struct vmsync_vm_msync_result res;

	/* Page 0 dirty, page 1 clean and mapped. */
	dirty(self->f.map, 0, 1);
	ASSERT_TRUE(map_is(self->f.map, 1, 0));
	ASSERT_TRUE(vt_page_dirty(self->f.map));

	ASSERT_EQ(KERN_SUCCESS, vmsync_vm_msync(SELF, addr_of(self->f.map),
						2 * P, variant->flags, &res));
	EXPECT_EQ(0, res.error);
	EXPECT_EQ(variant->nr_returned, res.pages_returned);
	EXPECT_EQ(variant->nr_discarded, res.pages_discarded);

	/* Residency, before anything touches the pages again. */
	EXPECT_EQ(!variant->dropped, vt_resident(self->f.map));
	EXPECT_EQ(!variant->dropped, vt_resident(self->f.map + P));
	if (!variant->dropped)
		EXPECT_EQ(!variant->returned, vt_page_dirty(self->f.map));

	/* The disk: returned data arrives (ASYNC: without waiting for it). */
	if (variant->returned) {
		EXPECT_TRUE(disk_becomes(self->f.disk, self->f.fd, 0, 1));
	} else {
		usleep(500000);
		EXPECT_TRUE(vt_disk_page_is(self->f.disk, self->f.fd, 0,
					    vt_fill(0, 0)));
	}
	/* The next reference: the modification, or the disk's old bytes. */
	EXPECT_TRUE(map_is(self->f.map, 0, variant->flags == INVAL ? 0 : 1));
	EXPECT_TRUE(map_is(self->f.map, 1, 0));
}

/* --- VM_SYNC_INVALIDATE alone --------------------------------------- */

/*
 * A page dirtied over a hole has no block yet: ext4 reserved one (delayed
 * allocation).  Discarding its modification gives the hole's zeros back,
 * and ext4's reservation count returns to where it was.
 */
TEST_F(vm, invalidate_alone_over_a_hole)
{
	struct vmsync_vm_msync_result res;
	unsigned long long cached;
	unsigned char *m;
	long before, dirtied;

	ASSERT_OK(ftruncate(self->f.fd, (NPAGES + 2) * P));
	m = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED, self->f.fd,
		 NPAGES * P);
	ASSERT_NE(MAP_FAILED, m);
	before = vt_ext4_delalloc_blocks(self->f.fd);
	ASSERT_LE(0, before) TH_LOG("not ext4?");
	memset(m, 0x5a, P);
	dirtied = vt_ext4_delalloc_blocks(self->f.fd);
	ASSERT_EQ(before + 1, dirtied) TH_LOG("no delayed allocation?");
	/* The fault may have read the next page (a hole) around it. */
	cached = 1 + vt_resident(m + P);

	ASSERT_EQ(KERN_SUCCESS, vmsync_vm_msync(SELF, addr_of(m), 2 * P, INVAL,
						&res));
	EXPECT_EQ(0, res.pages_returned);
	EXPECT_EQ(cached, res.pages_discarded);
	EXPECT_EQ(before, vt_ext4_delalloc_blocks(self->f.fd));
	EXPECT_FALSE(vt_resident(m));
	EXPECT_TRUE(vt_all(m, 2 * P, 0));
	munmap(m, 2 * P);
}

/*
 * A mapping the caller cannot write through loses nothing: another
 * process's modification stays (neither returned nor discarded); clean
 * pages are still dropped.
 */
FIXTURE(readonly) {
	struct testfile f;
};

FIXTURE_VARIANT(readonly) {
	int open_flags;		/* of the descriptor the caller maps */
};

FIXTURE_VARIANT_ADD(readonly, read_only_file) {
	.open_flags = O_RDONLY,
};

/* Opened for writing, but mapped without PROT_WRITE: still read-only. */
FIXTURE_VARIANT_ADD(readonly, read_only_mapping) {
	.open_flags = O_RDWR,
};

FIXTURE_SETUP(readonly)
{
	testfile_setup(_metadata, &self->f);
}

FIXTURE_TEARDOWN(readonly)
{
	testfile_teardown(&self->f);
}

TEST_F(readonly, invalidate_alone_keeps_others_changes)
{
	struct vmsync_vm_msync_result res;
	unsigned char *ro;
	int fd, status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		dirty(self->f.map, 2, 1);	/* another process's change */
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	fd = open(self->f.path, variant->open_flags | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ro = mmap(NULL, NPAGES * P, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_TRUE(map_is(ro, 2, 1));
	ASSERT_TRUE(map_is(ro, 3, 0));

	ASSERT_EQ(KERN_SUCCESS, vmsync_vm_msync(SELF, addr_of(ro), NPAGES * P,
						INVAL, &res));
	EXPECT_EQ(0, res.pages_returned);
	EXPECT_TRUE(vt_page_dirty(ro + 2 * P));
	EXPECT_TRUE(map_is(ro, 2, 1));
	EXPECT_TRUE(vt_disk_page_is(self->f.disk, self->f.fd, 2,
				    vt_fill(2, 0)));
	EXPECT_FALSE(vt_resident(ro + 3 * P));
	EXPECT_LE(NPAGES - 1, res.pages_discarded);
	munmap(ro, NPAGES * P);
	close(fd);
}

/* --- the pager protocol --------------------------------------------- */

/* One line of the trace. */
struct tev {
	char name[48];
	int pid;
	long long start, end, result;
	char text[64];		/* a trace_marker's text */
};

static long long tev_field(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* The vmsync events and markers of the trace, in order. */
static int trace_events(struct tev *ev, int max)
{
	char *buf = vt_trace_read(), *line, *save = NULL;
	int n = 0;

	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		char *cpu = strstr(line, ") [") ?: strstr(line, " [");
		char *name, *colon, *dash;

		if (line[0] == '#' || !cpu)
			continue;
		/* "comm-pid [cpu] flags timestamp: name: fields" */
		name = strstr(cpu, ": ");
		if (!name)
			continue;
		name += 2;
		colon = strchr(name, ':');
		if (!colon)
			continue;
		*cpu = '\0';
		dash = strrchr(line, '-');
		memset(&ev[n], 0, sizeof(ev[n]));
		ev[n].pid = dash ? atoi(dash + 1) : -1;
		snprintf(ev[n].name, sizeof(ev[n].name), "%.*s",
			 (int)(colon - name), name);
		ev[n].start = tev_field(colon, "start=");
		ev[n].end = tev_field(colon, "end=");
		ev[n].result = tev_field(colon, "result=");
		snprintf(ev[n].text, sizeof(ev[n].text), "%s", colon + 2);
		n++;
	}
	free(buf);
	return n;
}

/* Index of the first event named name for pages [first, last], or -1. */
static int find_ev(struct tev *ev, int n, const char *name, long long first,
		   long long last)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(ev[i].name, name) &&
		    (first < 0 || (ev[i].start == first * (long long)P &&
				   ev[i].end == (last + 1) * (long long)P - 1)))
			return i;
	return -1;
}

static int find_marker(struct tev *ev, int n, const char *text)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(ev[i].name, "tracing_mark_write") &&
		    !strncmp(ev[i].text, text, strlen(text)))
			return i;
	return -1;
}

/* Wait up to 20 s for a synchronize of pages [first, last] in the trace. */
static bool wait_for_issue(long long first, long long last)
{
	static struct tev ev[512];
	double deadline = vt_now() + 20;

	while (vt_now() < deadline) {
		int n = trace_events(ev, ARRAY_SIZE(ev));

		if (find_ev(ev, n, "vmsync_synchronize", first, last) >= 0)
			return true;
		usleep(20000);
	}
	return false;
}

static long long pending(void)
{
	struct vmsync_stats st;

	return vmsync_get_stats(&st) ? -1 : (long long)st.requests_pending;
}

/* A child that syncs pages [first, last] and exits with the kern_return_t. */
static pid_t sync_child(unsigned char *map, long long first, long long last)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(vm_msync(SELF, addr_of(map + first * P),
			       (last - first + 1) * P, SYNC));
	return pid;
}

/* The pager made slow (the debugfs hook), with the trace on. */
FIXTURE(proto) {
	struct testfile f;
	struct tev ev[512];
};

FIXTURE_SETUP(proto)
{
	testfile_setup(_metadata, &self->f);
	ASSERT_OK(vt_trace_start());
	ASSERT_OK(vt_write_file(DELAY_HOOK, "2500"));
}

FIXTURE_TEARDOWN(proto)
{
	vt_write_file(DELAY_HOOK, "0");
	vt_trace_stop();
	testfile_teardown(&self->f);
}

/* The call returns only after the pager answered. */
TEST_F_TIMEOUT(proto, caller_waits_for_completion, 120)
{
	int n, call, sync, done, back;

	dirty(self->f.map, 0, 1);
	ASSERT_OK(vt_trace_marker("vmsync-test: calling"));
	ASSERT_EQ(KERN_SUCCESS, vm_msync(SELF, addr_of(self->f.map), P, SYNC));
	ASSERT_OK(vt_trace_marker("vmsync-test: returned"));
	n = trace_events(self->ev, ARRAY_SIZE(self->ev));
	call = find_marker(self->ev, n, "vmsync-test: calling");
	sync = find_ev(self->ev, n, "vmsync_synchronize", 0, 0);
	done = find_ev(self->ev, n, "vmsync_synchronize_completed", 0, 0);
	back = find_marker(self->ev, n, "vmsync-test: returned");
	ASSERT_LE(0, call);
	EXPECT_LT(call, sync);
	EXPECT_LT(sync, done);
	EXPECT_LT(done, back);
	EXPECT_EQ(0, self->ev[done].result);
	EXPECT_WRITTEN(0, 1);
}

/*
 * Requests on one object never overlap: one that overlaps a pending
 * request is issued only after that one completed; a disjoint one is
 * issued at once.
 */
TEST_F_TIMEOUT(proto, overlapping_requests_serialise, 120)
{
	int n, sync_a, done_a, sync_b, sync_c, status;
	pid_t a, b, c;

	a = sync_child(self->f.map, 0, 3);
	ASSERT_TRUE(wait_for_issue(0, 3));
	b = sync_child(self->f.map, 2, 5);	/* overlaps a */
	c = sync_child(self->f.map, 6, 7);	/* disjoint */
	ASSERT_LT(0, a);
	ASSERT_LT(0, b);
	ASSERT_LT(0, c);
	ASSERT_EQ(a, waitpid(a, &status, 0));
	EXPECT_EQ(KERN_SUCCESS, WEXITSTATUS(status));
	ASSERT_EQ(b, waitpid(b, &status, 0));
	EXPECT_EQ(KERN_SUCCESS, WEXITSTATUS(status));
	ASSERT_EQ(c, waitpid(c, &status, 0));
	EXPECT_EQ(KERN_SUCCESS, WEXITSTATUS(status));

	n = trace_events(self->ev, ARRAY_SIZE(self->ev));
	sync_a = find_ev(self->ev, n, "vmsync_synchronize", 0, 3);
	done_a = find_ev(self->ev, n, "vmsync_synchronize_completed", 0, 3);
	sync_b = find_ev(self->ev, n, "vmsync_synchronize", 2, 5);
	sync_c = find_ev(self->ev, n, "vmsync_synchronize", 6, 7);
	ASSERT_LE(0, sync_a);
	ASSERT_LE(0, sync_c);
	EXPECT_LT(sync_c, done_a) TH_LOG("a disjoint request waited");
	EXPECT_GT(sync_b, done_a) TH_LOG("overlapping requests overlapped");
	EXPECT_EQ(0, pending());
}

/*
 * A fatal signal ends the wait: KERN_ABORTED (seen in the trace, since
 * the caller is gone), a queued request is never issued, an issued one
 * completes later, and nothing is left pending.
 */
TEST_F_TIMEOUT(proto, fatal_signal_aborts, 120)
{
	struct vmsync_stats before, after;
	int n, i, status, aborted = 0;
	double deadline;
	pid_t k, q;

	ASSERT_OK(vmsync_get_stats(&before));
	k = sync_child(self->f.map, 0, 1);
	ASSERT_TRUE(wait_for_issue(0, 1));
	q = sync_child(self->f.map, 1, 2);	/* queued behind k */
	deadline = vt_now() + 20;
	while (pending() < (long long)before.requests_pending + 2 &&
	       vt_now() < deadline)
		usleep(20000);
	ASSERT_EQ(before.requests_pending + 2, pending());

	ASSERT_OK(kill(q, SIGKILL));
	ASSERT_OK(kill(k, SIGKILL));
	ASSERT_EQ(q, waitpid(q, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(k, waitpid(k, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));

	/* k's request is still with the pager; it answers later. */
	deadline = vt_now() + 20;
	while (pending() && vt_now() < deadline)
		usleep(20000);
	EXPECT_EQ(0, pending());
	n = trace_events(self->ev, ARRAY_SIZE(self->ev));
	for (i = 0; i < n; i++)
		if (!strcmp(self->ev[i].name, "vmsync_call_done") &&
		    (self->ev[i].pid == k || self->ev[i].pid == q) &&
		    self->ev[i].result == KERN_ABORTED)
			aborted++;
	EXPECT_EQ(2, aborted);
	EXPECT_LE(0, find_ev(self->ev, n, "vmsync_synchronize_completed", 0, 1));
	EXPECT_EQ(-1, find_ev(self->ev, n, "vmsync_synchronize", 1, 2))
		TH_LOG("the cancelled request was issued");
	ASSERT_OK(vmsync_get_stats(&after));
	EXPECT_EQ(before.aborted + 2, after.aborted);

	/* Nothing stale blocks the range now. */
	ASSERT_OK(vt_write_file(DELAY_HOOK, "0"));
	dirty(self->f.map, 1, 1);
	EXPECT_EQ(KERN_SUCCESS, vm_msync(SELF, addr_of(self->f.map), 3 * P,
					 SYNC));
	EXPECT_WRITTEN(1, 1);
}

/* --- observability -------------------------------------------------- */

static unsigned long long sysfs_stat(const char *name)
{
	char path[128], value[32];

	snprintf(path, sizeof(path), "/sys/class/misc/vmsync/stats/%s", name);
	if (vt_read_file(path, value, sizeof(value)))
		return ~0ULL;
	return strtoull(value, NULL, 10);
}

TEST_F(vm, tracepoints_and_counters)
{
	struct vmsync_vm_msync_result res;
	struct vmsync_stats before, after;
	static struct tev ev[512];
	int n, ret, done, call;

	ASSERT_OK(vt_trace_start());
	ASSERT_OK(vmsync_get_stats(&before));
	dirty(self->f.map, 0, 1);
	dirty(self->f.map, 1, 1);
	ASSERT_EQ(KERN_SUCCESS, vmsync_vm_msync(SELF, addr_of(self->f.map),
						4 * P, SYNC | INVAL, &res));
	EXPECT_EQ(2, res.pages_returned);
	EXPECT_EQ(4, res.pages_discarded);
	ASSERT_OK(vmsync_get_stats(&after));
	EXPECT_EQ(before.calls + 1, after.calls);
	EXPECT_EQ(before.requests + 1, after.requests);
	EXPECT_EQ(before.pages_returned + 2, after.pages_returned);
	EXPECT_EQ(before.pages_discarded + 4, after.pages_discarded);
	EXPECT_EQ(before.errors, after.errors);
	EXPECT_EQ(0, after.requests_pending);
	EXPECT_EQ(0, after.precious_returned);

	/* An error counts too. */
	EXPECT_EQ(KERN_INVALID_ADDRESS, vm_msync(SELF, 0, P, SYNC));
	ASSERT_OK(vmsync_get_stats(&after));
	EXPECT_EQ(before.calls + 2, after.calls);
	EXPECT_EQ(before.errors + 1, after.errors);
	/* sysfs says the same. */
	EXPECT_EQ(after.calls, sysfs_stat("calls"));
	EXPECT_EQ(after.requests, sysfs_stat("requests"));
	EXPECT_EQ(after.pages_returned, sysfs_stat("pages_returned"));
	EXPECT_EQ(after.pages_discarded, sysfs_stat("pages_discarded"));
	EXPECT_EQ(after.errors, sysfs_stat("errors"));
	EXPECT_EQ(0, sysfs_stat("requests_pending"));

	n = trace_events(ev, ARRAY_SIZE(ev));
	ret = find_ev(ev, n, "vmsync_data_return", 0, 3);
	ASSERT_LE(0, ret);
	EXPECT_EQ(2, tev_field(ev[ret].text, "pages="));
	EXPECT_LT(ret, find_ev(ev, n, "vmsync_synchronize", 0, 3));
	done = find_ev(ev, n, "vmsync_synchronize_completed", 0, 3);
	EXPECT_LT(find_ev(ev, n, "vmsync_synchronize", 0, 3), done);
	EXPECT_LT(done, find_ev(ev, n, "vmsync_invalidate", 0, 3));
	call = find_ev(ev, n, "vmsync_call_done", -1, -1);
	ASSERT_LE(0, call);
	EXPECT_EQ(0, ev[call].result);
	EXPECT_EQ(4, tev_field(ev[call].text, "discarded="));
	vt_trace_stop();
	/* Declared for pagers that serve faults; files have none. */
	EXPECT_EQ(0, access("/sys/kernel/tracing/events/vmsync/vmsync_data_request/format",
			    R_OK));
}

TEST_HARNESS_MAIN
