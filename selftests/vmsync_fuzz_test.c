// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded, bounded fuzzer of the /dev/vmsync ioctls: real, altered and
 * random commands with NULL, kernel, unmapped, misaligned and real
 * arguments, the structs filled with a mix of valid and random values.
 * Every return must be one the documentation gives for that ioctl.
 *
 * VMSYNC_FUZZ_SEED replays a run (default: from the clock), and
 * VMSYNC_FUZZ_CALLS sets the number of calls (default 20000).  Every file
 * mapping is of the fuzz file, the only file whose data may be discarded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmsync/mach.h"
#include "vmsync_test_util.h"

#define P		vt_page
#define HANG_SECONDS	10
#define FILE_PAGES	8
#define ARG_SIZE	128

/* What a command is, for the check of its return and the counts. */
enum fuzz_kind {
	K_API,
	K_MSYNC,
	K_VM_MSYNC,
	K_STATS,
	K_TASK_FROM_MEM,
	K_TASK_FOR_PID,
	K_OTHER,
	K_NR,
};

static const char *const kind_name[K_NR] = {
	"api", "msync", "vm_msync", "stats", "task_from_mem",
	"task_for_pid (retired)", "other",
};

static const unsigned int real_cmds[] = {
	VMSYNC_IOC_API, VMSYNC_IOC_MSYNC, VMSYNC_IOC_VM_MSYNC,
	VMSYNC_IOC_STATS, VMSYNC_IOC_TASK_FROM_MEM, VMSYNC_IOC_TASK_FOR_PID,
};

struct fuzz_count {
	unsigned long calls, ok, failed, undocumented;
};

/* Read by the watchdog thread when a call hangs. */
static unsigned long cur_call;
static unsigned long long fuzz_seed;

static uint64_t rng_state;

/* xorshift64 */
static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

/* One in n. */
static bool one_in(unsigned int n)
{
	return rnd_below(n) == 0;
}

struct region {
	unsigned char *addr;
	size_t pages;
};

FIXTURE(fuzz) {
	int file;
	int memfd;
	unsigned char *arena;
	size_t arena_len;
	struct region reg[8];
	unsigned int nreg;
	unsigned char *hole;
	unsigned char *argbuf;		/* two pages, the hole after them */
	pid_t live, dead;
	int live_pipe;
	int tasks[16];
	unsigned int ntasks;
	int self_handle, live_handle, dead_handle, closed_fd, null_fd;
	int self_mem, live_mem, dead_mem;
};

static unsigned char *arena_map(struct _test_data_fuzz *self, size_t *off,
				size_t pages, int prot, int flags, int fd,
				off_t foff)
{
	unsigned char *want = self->arena + *off * P;
	unsigned char *p;

	p = mmap(want, pages * P, prot, flags | MAP_FIXED, fd, foff);
	if (p != want)
		return NULL;
	*off += pages + 1;	/* a PROT_NONE guard page after each */
	return p;
}

/* A child that waits on a pipe; its handle, and its /proc/PID/mem. */
static pid_t waiting_child(int *wr, int *handle, int *mem)
{
	char path[64];
	int fds[2];
	pid_t pid;
	char c;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		while (read(fds[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(fds[0]);
	if (pid < 0) {
		close(fds[1]);
		return -1;
	}
	*wr = fds[1];
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	*mem = open(path, O_RDONLY | O_CLOEXEC);
	if (vm_task_for_pid(pid, handle) != KERN_SUCCESS)
		*handle = -1;
	return pid;
}

FIXTURE_SETUP(fuzz)
{
	size_t off = 0;
	char name[64];
	int wr;

	self->arena_len = 64 * P;
	self->arena = mmap(NULL, self->arena_len, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->arena);

	snprintf(name, sizeof(name), "fuzz-%d", getpid());
	self->file = vt_create_file(vt_test_dir(), name, FILE_PAGES, true);
	ASSERT_LE(0, self->file);
	self->memfd = memfd_create("vmsync-fuzz", MFD_CLOEXEC);
	ASSERT_LE(0, self->memfd);
	ASSERT_OK(ftruncate(self->memfd, 4 * P));

	/* shared RW, shared RO, private file, anonymous, shmem, mlocked */
	self->reg[0].addr = arena_map(self, &off, 4, PROT_READ | PROT_WRITE,
				      MAP_SHARED, self->file, 0);
	self->reg[1].addr = arena_map(self, &off, 4, PROT_READ, MAP_SHARED,
				      self->file, 0);
	self->reg[2].addr = arena_map(self, &off, 4, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE, self->file, 0);
	self->reg[3].addr = arena_map(self, &off, 4, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	self->reg[4].addr = arena_map(self, &off, 4, PROT_READ | PROT_WRITE,
				      MAP_SHARED, self->memfd, 0);
	self->reg[5].addr = arena_map(self, &off, 2, PROT_READ | PROT_WRITE,
				      MAP_SHARED, self->file, 4 * P);
	self->reg[0].pages = 4;
	self->reg[1].pages = 4;
	self->reg[2].pages = 4;
	self->reg[3].pages = 4;
	self->reg[4].pages = 4;
	self->reg[5].pages = 2;
	/* The argument buffer: two anonymous pages, then the hole. */
	self->argbuf = arena_map(self, &off, 3, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(NULL, self->argbuf);
	self->hole = self->argbuf + 2 * P;
	ASSERT_OK(munmap(self->hole, P));
	self->reg[6].addr = self->argbuf;
	self->reg[6].pages = 3;		/* runs into the hole */
	self->nreg = 7;
	for (unsigned int i = 0; i < 6; i++)
		ASSERT_NE(NULL, self->reg[i].addr);
	ASSERT_OK(mlock(self->reg[5].addr, 2 * P));
	memset(self->reg[0].addr, 1, 4 * P);
	memset(self->reg[3].addr, 2, 4 * P);
	memset(self->reg[4].addr, 3, 4 * P);

	/* Task handles: self, a live child, an exited child, non-handles. */
	self->live = waiting_child(&self->live_pipe, &self->live_handle,
				   &self->live_mem);
	ASSERT_LT(0, self->live);
	ASSERT_LE(0, self->live_handle);
	self->dead = waiting_child(&wr, &self->dead_handle, &self->dead_mem);
	ASSERT_LT(0, self->dead);
	ASSERT_LE(0, self->dead_handle);
	close(wr);
	ASSERT_EQ(self->dead, waitpid(self->dead, NULL, 0));
	self->self_mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->self_mem);
	ASSERT_EQ(KERN_SUCCESS, vm_task_for_pid(getpid(), &self->self_handle));
	self->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->null_fd);
	self->closed_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->closed_fd);
	close(self->closed_fd);

	self->ntasks = 0;
	self->tasks[self->ntasks++] = VMSYNC_TASK_SELF;
	self->tasks[self->ntasks++] = self->self_handle;
	self->tasks[self->ntasks++] = self->live_handle;
	self->tasks[self->ntasks++] = self->dead_handle;
	self->tasks[self->ntasks++] = self->closed_fd;
	self->tasks[self->ntasks++] = self->null_fd;
	self->tasks[self->ntasks++] = self->self_mem;
	self->tasks[self->ntasks++] = self->live_mem;
	self->tasks[self->ntasks++] = self->dead_mem;
	self->tasks[self->ntasks++] = vmsync_fd();
	self->tasks[self->ntasks++] = -1;
	self->tasks[self->ntasks++] = 0;
}

FIXTURE_TEARDOWN(fuzz)
{
	if (self->live > 0) {
		close(self->live_pipe);
		waitpid(self->live, NULL, 0);
	}
	if (self->arena && self->arena != MAP_FAILED)
		munmap(self->arena, self->arena_len);
	if (self->memfd >= 0)
		close(self->memfd);
	if (self->file >= 0)
		close(self->file);
}

static const uint64_t kernel_addrs[] = {
	0xffff888000000000ULL, 0xffffffff81000000ULL, 0xffffc90000000000ULL,
	0xffffffffff600000ULL, 0xfffffffffffff000ULL, 0xffffffffffffffffULL,
	0x0000800000000000ULL, 0xc0000000ULL, 0xffffe000ULL, 0xfffff000ULL,
};

/* A kernel address as the argument itself. */
static unsigned long kernel_arg(void)
{
#if ULONG_MAX > 0xffffffffUL
	return kernel_addrs[rnd_below(ARRAY_SIZE(kernel_addrs))];
#else
	static const unsigned long high[] = {
		0xc0000000UL, 0xffffe000UL, 0xfffff000UL, 0xffffffffUL,
	};

	return high[rnd_below(ARRAY_SIZE(high))];
#endif
}

/* An address for a struct field: mostly in or near the mappings. */
static uint64_t fuzz_addr(struct _test_data_fuzz *self)
{
	struct region *r;
	uint64_t a;

	switch (rnd_below(10)) {
	case 0:
		return kernel_addrs[rnd_below(ARRAY_SIZE(kernel_addrs))];
	case 1:
		return (uintptr_t)self->hole + (one_in(2) ? 0 : rnd_below(P));
	case 2:
		return one_in(2) ? 0 : rnd();
	case 3:
		a = (uintptr_t)self->arena + rnd_below(self->arena_len);
		return one_in(2) ? a : a & ~(uint64_t)(P - 1);
	default:
		r = &self->reg[rnd_below(self->nreg)];
		a = (uintptr_t)r->addr + rnd_below(r->pages + 1) * P;
		if (one_in(8))
			a += rnd_below(P);
		return a;
	}
}

static uint64_t fuzz_size(uint64_t addr)
{
	switch (rnd_below(10)) {
	case 0:
		return 0;
	case 1:
		return ~0ULL - rnd_below(2 * P);
	case 2:
		return -addr + rnd_below(3 * P);	/* wraps, or just not */
	case 3:
		return 1ULL << (32 + rnd_below(32));
	case 4:
		return 0x100000000ULL - addr + rnd_below(2 * P);
	case 5:
		return rnd();
	default:
		return rnd_below(8 * P + 1);
	}
}

/* Flags out of all, where both (ASYNC | SYNC) may not come together. */
static uint32_t fuzz_flags(uint32_t all, uint32_t both)
{
	uint32_t f = rnd_below(all + 1) & all;

	switch (rnd_below(16)) {
	case 0:
		return rnd();
	case 1:
		return f | 1U << (3 + rnd_below(29));
	case 2 ... 3:
		return f | both;
	default:
		if ((f & both) == both)
			f &= ~(one_in(2) ? both & -both : both & (both - 1));
		return f;
	}
}

static int fuzz_task(struct _test_data_fuzz *self)
{
	switch (rnd_below(8)) {
	case 0:
		return rnd();
	case 1 ... 3:
		return self->tasks[rnd_below(self->ntasks)];
	case 4 ... 5:
		return self->live_handle;
	default:
		return VMSYNC_TASK_SELF;
	}
}

/* A reserved field: mostly zero. */
static uint64_t fuzz_reserved(void)
{
	if (!one_in(32))
		return 0;
	return one_in(2) ? 1ULL << rnd_below(64) : rnd();
}

/* A struct for kind k, at s. */
static void fuzz_struct(struct _test_data_fuzz *self, enum fuzz_kind k,
			void *s)
{
	struct vmsync_api *api = s;
	struct vmsync_msync_args *ms = s;
	struct vmsync_vm_msync_args *vm = s;
	struct vmsync_task_mem_args *tm = s;
	struct vmsync_task_args *tp = s;
	unsigned int i;

	for (i = 0; i < ARG_SIZE; i += 8) {
		uint64_t v = rnd();

		memcpy((char *)s + i, &v, 8);
	}
	if (one_in(16))
		return;		/* random bytes */
	switch (k) {
	case K_API:
		api->api = one_in(8) ? (uint32_t)rnd() : VMSYNC_API;
		for (i = 0; i < ARRAY_SIZE(api->reserved); i++)
			api->reserved[i] = fuzz_reserved();
		break;
	case K_MSYNC:
		ms->addr = fuzz_addr(self);
		ms->len = fuzz_size(ms->addr);
		ms->flags = fuzz_flags(VMSYNC_MS_ALL,
				       VMSYNC_MS_ASYNC | VMSYNC_MS_SYNC);
		ms->reserved0 = fuzz_reserved();
		ms->reserved[0] = fuzz_reserved();
		ms->reserved[1] = fuzz_reserved();
		break;
	case K_VM_MSYNC:
		vm->task = fuzz_task(self);
		vm->address = fuzz_addr(self);
		vm->size = fuzz_size(vm->address);
		vm->flags = fuzz_flags(VMSYNC_VM_SYNC_ALL,
				       VMSYNC_VM_SYNC_ASYNCHRONOUS |
				       VMSYNC_VM_SYNC_SYNCHRONOUS);
		vm->reserved[0] = fuzz_reserved();
		vm->reserved[1] = fuzz_reserved();
		break;
	case K_TASK_FROM_MEM:
		tm->mem_fd = fuzz_task(self);
		tm->flags = one_in(8) ? (uint32_t)rnd() : 0;
		tm->reserved0 = fuzz_reserved();
		tm->reserved[0] = fuzz_reserved();
		tm->reserved[1] = fuzz_reserved();
		break;
	case K_TASK_FOR_PID:
		tp->pid = one_in(2) ? self->live : getpid();
		tp->flags = 0;
		tp->reserved0 = 0;
		tp->reserved[0] = 0;
		tp->reserved[1] = 0;
		break;
	default:
		break;
	}
}

static unsigned int fuzz_cmd(void)
{
	unsigned int cmd = real_cmds[rnd_below(ARRAY_SIZE(real_cmds))];
	unsigned int type;

	switch (rnd_below(20)) {
	case 0 ... 11:
		return cmd;
	case 12 ... 13:		/* another size */
		return _IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd),
			    rnd_below(_IOC_SIZEMASK + 1));
	case 14 ... 15:		/* another direction */
		return _IOC(rnd_below(4), _IOC_TYPE(cmd), _IOC_NR(cmd),
			    _IOC_SIZE(cmd));
	case 16 ... 17:		/* another number of this type */
		return _IOC(rnd_below(4), VMSYNC_IOC_MAGIC, rnd_below(256),
			    one_in(2) ? _IOC_SIZE(cmd) :
			    rnd_below(_IOC_SIZEMASK + 1));
	default:
		/*
		 * Anything, but not the types the VFS answers itself
		 * (FIOCLEX, FIONBIO, FS_IOC_*, FICLONE, FITRIM, ...).
		 */
		cmd = rnd();
		type = _IOC_TYPE(cmd);
		if (type == 'f' || type == 'T' || type == 'X' ||
		    type == 0x94 || type == 0x15 || type == 0)
			cmd ^= 0x40 << _IOC_TYPESHIFT;
		return cmd;
	}
}

static enum fuzz_kind cmd_kind(unsigned int cmd)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(real_cmds); i++)
		if (cmd == real_cmds[i])
			return (enum fuzz_kind)i;
	return K_OTHER;
}

static bool kr_documented(int kr, bool vm)
{
	switch (kr) {
	case VMSYNC_KERN_SUCCESS:
	case VMSYNC_KERN_INVALID_ARGUMENT:
	case VMSYNC_KERN_RESOURCE_SHORTAGE:
		return true;
	case VMSYNC_KERN_INVALID_ADDRESS:
	case VMSYNC_KERN_PROTECTION_FAILURE:
	case VMSYNC_KERN_FAILURE:
	case VMSYNC_KERN_MEMORY_ERROR:
	case VMSYNC_KERN_ABORTED:
	case VMSYNC_KERN_INVALID_TASK:
		return vm;
	default:
		return false;
	}
}

/* Errnos the documentation gives for a failing call of kind k. */
static bool errno_documented(enum fuzz_kind k, int err)
{
	switch (k) {
	case K_API:
		return err == EFAULT || err == EINVAL;
	case K_MSYNC:
		return err == EINVAL || err == EFAULT || err == ENOMEM ||
		       err == EBUSY || err == EIO || err == ENOSPC ||
		       err == EACCES || err == EPERM || err == EINTR;
	case K_VM_MSYNC:
		return err == EFAULT || err == EINVAL;
	case K_STATS:
		return err == EFAULT;
	case K_TASK_FROM_MEM:
		return err == EFAULT || err == EINVAL || err == EOPNOTSUPP;
	default:
		return err == ENOTTY;
	}
}

/* A positive errno in an out field: 0 or one of the collected set. */
static bool out_error_documented(int err)
{
	switch (err) {
	case 0: case EINVAL: case EFAULT: case ENOTTY: case ENOMEM:
	case EBUSY: case EIO: case EACCES: case EPERM: case EBADF:
	case ESRCH: case EOPNOTSUPP: case EINTR: case ENOSPC:
	case EMFILE: case ENFILE:
		return true;
	default:
		return false;
	}
}

static void *watchdog(void *arg)
{
	sigset_t *set = arg;
	int sig;

	while (sigwait(set, &sig) == 0) {
		fprintf(stderr,
			"# fuzz: call %lu did not return in %d s; replay with VMSYNC_FUZZ_SEED=%llu\n",
			__atomic_load_n(&cur_call, __ATOMIC_RELAXED),
			HANG_SECONDS, fuzz_seed);
		fflush(stderr);
		_exit(1);	/* kills the hung thread too */
	}
	return NULL;
}

TEST_F_TIMEOUT(fuzz, ioctls, 300)
{
	struct fuzz_count count[K_NR] = {};
	unsigned long msync_errno[256] = {}, vm_kr[32] = {};
	unsigned long calls = 20000, undocumented = 0, i;
	struct vmsync_stats stats;
	const char *env;
	pthread_t wd;
	sigset_t set;
	double start;
	int fd = vmsync_fd();

	ASSERT_LE(0, fd) TH_LOG("%s", vmsync_strerror(ENODEV));
	env = getenv("VMSYNC_FUZZ_SEED");
	fuzz_seed = env ? strtoull(env, NULL, 0) :
		    (unsigned long long)time(NULL) ^
		    ((unsigned long long)getpid() << 16);
	env = getenv("VMSYNC_FUZZ_CALLS");
	if (env)
		calls = strtoul(env, NULL, 0);
	printf("# fuzz seed: %llu\n", fuzz_seed);
	fflush(stdout);
	rng_state = fuzz_seed ? fuzz_seed : 0x9E3779B97F4A7C15ULL;

	/* A hung call: SIGALRM goes to the watchdog, which fails the test. */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &set, NULL));
	ASSERT_EQ(0, pthread_create(&wd, NULL, watchdog, &set));

	start = vt_now();
	for (i = 0; i < calls; i++) {
		unsigned int cmd = fuzz_cmd();
		enum fuzz_kind k = cmd_kind(cmd);
		enum fuzz_kind sk = k;
		unsigned char *s = NULL;
		unsigned long arg;
		bool bad = false;
		int ret, err;

		/* An unknown command gets any struct. */
		if (k == K_OTHER)
			sk = (enum fuzz_kind)rnd_below(K_OTHER);
		/* Dirty some pages, so that there is something to do. */
		if (one_in(4))
			self->reg[0].addr[rnd_below(4 * P)] = rnd();
		if (one_in(8))
			self->reg[4].addr[rnd_below(4 * P)] = rnd();
		if (one_in(8))
			self->reg[2].addr[rnd_below(4 * P)] = rnd();

		switch (rnd_below(16)) {
		case 0:
			arg = 0;
			break;
		case 1:
			arg = kernel_arg();
			break;
		case 2:
			arg = (uintptr_t)self->hole + rnd_below(P);
			break;
		case 3:		/* read-only: the out fields cannot be written */
			arg = (uintptr_t)self->reg[1].addr + 8 * rnd_below(8);
			break;
		case 4:		/* runs into the hole */
			s = self->hole - 1 - rnd_below(ARG_SIZE - 1);
			memset(s, 0, self->hole - s);
			arg = (uintptr_t)s;
			s = NULL;
			break;
		default:	/* a struct, aligned or not */
			s = self->argbuf + (one_in(2) ? 0 : rnd_below(16));
			fuzz_struct(self, sk, s);
			arg = (uintptr_t)s;
			break;
		}

		__atomic_store_n(&cur_call, i, __ATOMIC_RELAXED);
		alarm(HANG_SECONDS);
		ret = ioctl(fd, cmd, arg);
		err = errno;

		count[k].calls++;
		if (k == K_MSYNC)
			msync_errno[ret ? err & 255 : 0]++;
		if (ret == 0) {
			count[k].ok++;
			if (k == K_OTHER || k == K_TASK_FOR_PID)
				bad = true;
		} else if (ret == -1) {
			count[k].failed++;
			if (!errno_documented(k, err))
				bad = true;
		} else {
			bad = true;
		}

		if (ret == 0 && s && k == K_VM_MSYNC) {
			struct vmsync_vm_msync_args vm;

			memcpy(&vm, s, sizeof(vm));
			vm_kr[vm.kr & 31]++;
			if (!kr_documented(vm.kr, true) ||
			    !out_error_documented(vm.error))
				bad = true;
			if (vm.flags & ~VMSYNC_VM_SYNC_ALL &&
			    vm.kr != VMSYNC_KERN_INVALID_ARGUMENT)
				bad = true;
		}
		if (ret == 0 && s && k == K_TASK_FROM_MEM) {
			struct vmsync_task_mem_args tm;

			memcpy(&tm, s, sizeof(tm));
			if (!kr_documented(tm.kr, false) ||
			    !out_error_documented(tm.error))
				bad = true;
			if (tm.kr == VMSYNC_KERN_SUCCESS) {
				if (tm.task < 0 || tm.task == fd)
					bad = true;
				else
					close(tm.task);
			} else if (tm.task != -1) {
				bad = true;
			}
		}
		if (ret == -1 && s && k == K_MSYNC) {
			struct vmsync_msync_args ms;

			memcpy(&ms, s, sizeof(ms));
			if (ms.flags & ~VMSYNC_MS_ALL && err != EINVAL)
				bad = true;
		} else if (ret == 0 && s && k == K_MSYNC) {
			struct vmsync_msync_args ms;

			memcpy(&ms, s, sizeof(ms));
			if (ms.flags & ~VMSYNC_MS_ALL)
				bad = true;
		}

		if (bad) {
			count[k].undocumented++;
			undocumented++;
			if (undocumented <= 20)
				TH_LOG("call %lu: cmd %#x arg %#lx: %d errno %d (%s)",
				       i, cmd, arg, ret, err, strerror(err));
		}
	}
	alarm(0);

	printf("# fuzz: calls %lu, seed %llu, undocumented %lu, %.1f s\n",
	       calls, fuzz_seed, undocumented, vt_now() - start);
	for (i = 0; i < K_NR; i++)
		printf("# fuzz: %s: calls %lu, ok %lu, failed %lu, undocumented %lu\n",
		       kind_name[i], count[i].calls, count[i].ok,
		       count[i].failed, count[i].undocumented);
	for (i = 0; i < ARRAY_SIZE(msync_errno); i++)
		if (msync_errno[i])
			printf("# fuzz: msync returned %s: %lu\n",
			       i ? strerror(i) : "0", msync_errno[i]);
	for (i = 0; i < ARRAY_SIZE(vm_kr); i++)
		if (vm_kr[i])
			printf("# fuzz: vm_msync kr %s: %lu\n",
			       vmsync_kern_return_string(i), vm_kr[i]);
	fflush(stdout);
	EXPECT_EQ(0, undocumented)
		TH_LOG("replay with VMSYNC_FUZZ_SEED=%llu VMSYNC_FUZZ_CALLS=%lu",
		       fuzz_seed, calls);

	/* Every call waited for its requests. */
	memset(&stats, 0, sizeof(stats));
	ASSERT_OK(ioctl(fd, VMSYNC_IOC_STATS, &stats));
	EXPECT_EQ(0, stats.requests_pending)
		TH_LOG("seed %llu", fuzz_seed);
}

TEST_HARNESS_MAIN
