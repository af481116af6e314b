// SPDX-License-Identifier: GPL-2.0
/*
 * Races (issue 7): for a bounded time, threads and processes call
 * vmsync_msync() and vm_msync() with every flag combination over ranges
 * that other threads munmap, mmap, mremap, mprotect, mlock and munlock and
 * write through, while the files behind them are truncated, extended and
 * punched, children fork, work and exit or are killed, and task handles on
 * them are made, used and released.
 *
 * Every call must return what docs/behaviour.md gives for its situation;
 * the results are counted per kind and per errno, and an undocumented one
 * fails the test.  Afterwards no synchronize request may be pending, and
 * the disk must hold what the last completed syncs wrote:
 *
 * The "stable" file never changes size.  Each of its pages is a slot owned
 * by one owner thread, which writes generation G into every word of it
 * through a mapping of its own, syncs it (MS_SYNC, no flag, MS_INVALIDATE
 * alone or with MS_SYNC; vm_msync SYNCHRONOUS, alone or with INVALIDATE),
 * and on success reads the page back: if it still holds G everywhere, G is
 * recorded as synced.  A discarder thread meanwhile calls VM_SYNC_INVALIDATE
 * alone (and the other invalidating flags) over all slots through a
 * writable view nobody writes through: a write it abandons reads back as
 * older generations and is not recorded.  The arena's view of the stable
 * file is read-only (its descriptor is), so the churn there syncs, drops
 * and mlocks these pages but never writes them.  At the end every word of
 * every slot on the disk (O_DIRECT, through the block device) must hold a
 * generation between the slot's last recorded synced one and the last one
 * written: a write torn by concurrent writeback shows older and newer words,
 * never one older than a completed sync, nor anything else.
 *
 * Once a child with a handle on it is reaped, and no other call through
 * that handle is running, the handle must say KERN_INVALID_TASK.  A worker
 * still in a call STOP_SECONDS after the stop fails the test, with its
 * kernel stack.
 *
 * VMSYNC_RACE_SECONDS sets the run time (default 30, at most 900).  Run as
 * root on ext4 on a block device ($VMSYNC_TEST_DIR).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmsync/mach.h"
#include "vmsync_test_util.h"

#define P		vt_page
#define ARENA_PAGES	64	/* the churned address range */
#define WIN_MAX		8	/* pages per mapping operation */
#define CHURN_PAGES	32	/* file C: written by anyone, fixed size */
#define TRUNC_PAGES	16	/* file T: truncated, extended, punched */
#define SLOTS		8	/* file S: one page per slot */
#define OWNERS		4	/* slot s belongs to owner s % OWNERS */
#define DEFAULT_SECONDS	30
#define MAX_SECONDS	900
#define STOP_SECONDS	120	/* for the workers to finish after the stop */
#define DRAIN_SECONDS	60	/* for requests of killed callers to complete */
#define REPORT_MAX	20	/* undocumented results printed */

#define SYNC		VM_SYNC_SYNCHRONOUS
#define ASYNC		VM_SYNC_ASYNCHRONOUS
#define INVAL		VM_SYNC_INVALIDATE

#define STATS_PENDING	"/sys/class/misc/vmsync/stats/requests_pending"

enum kind {
	K_MSYNC,		/* vmsync_msync() over the arena */
	K_VM_MSYNC,		/* vm_msync(vm_task_self()) over the arena */
	K_VM_TASK,		/* vm_msync() through a handle on a child */
	K_SLOT_SYNC,		/* an owner's sync of its slot */
	K_DISCARD,		/* the discarder's calls on the stable file */
	K_WRITE,		/* a store (or load) in the arena */
	K_MMAP,
	K_MUNMAP,
	K_MREMAP,
	K_MPROTECT,
	K_MLOCK,
	K_MUNLOCK,
	K_TRUNCATE,
	K_EXTEND,
	K_PUNCH,
	K_FORK,
	K_TASK_FOR_PID,
	K_TASK_RELEASE,
	K_NR,
};

static const char *const kind_name[K_NR] = {
	"msync", "vm_msync", "vm_msync through a handle", "slot syncs",
	"discarder calls", "loads and stores", "mmap", "munmap", "mremap",
	"mprotect", "mlock", "munlock", "truncate", "extend", "punch hole",
	"fork", "vm_task_for_pid", "vm_task_release",
};

/* For the line of totals. */
static const char *const kind_short[K_NR] = {
	"msync", "vm_msync", "vm_msync through handles", "slot syncs",
	"discarder calls", "loads/stores", "mmap", "munmap", "mremap",
	"mprotect", "mlock", "munlock", "truncate", "extend", "punch", "fork",
	"vm_task_for_pid", "vm_task_release",
};

#define RES_NR	128	/* errno values counted; a load or store counts signals */

/* Shared with the children (MAP_SHARED anonymous), updated atomically. */
struct shared {
	unsigned long ops[K_NR];
	unsigned long res[K_NR][RES_NR];
	unsigned long kr[K_NR][32];
	unsigned long ms_flags[8];		/* msync calls per flag set */
	unsigned long vm_flags[8];		/* vm_msync calls per flag set */
	unsigned long undocumented;
	unsigned long corrupt;			/* a slot read back wrong */
	unsigned long slot_synced;		/* generations recorded */
	unsigned long slot_abandoned;		/* writes discarded before sync */
	unsigned long discarded_pages;		/* the discarder's count */
	unsigned long foreign;			/* a mapping not ours in the arena */
	unsigned long reaped_checked;		/* handles seen dead after reaping */
	unsigned int written[SLOTS];		/* last generation written */
	unsigned int synced[SLOTS];		/* last generation synced */
	int stop;
	int cur_task;				/* the handle thread's, or -1 */
	int task_users;				/* syncers using cur_task */
};

/* The files and mappings, set up before any worker starts. */
static struct {
	struct shared *sh;
	unsigned char *arena;
	int cfd, tfd, sfd, sro;		/* C, T, S read-write, S read-only */
	unsigned char *slot_map[SLOTS];	/* the owners' views */
	unsigned char *sview;		/* the discarder's view */
} R;

/* When the fixture's setup began: the test's wall time. */
static double started;

/* One worker thread, or the state a child process runs with. */
struct ctx {
	uint64_t rng;
	const char *name;
	const char *op;			/* what it is doing, for a hang */
	pid_t tid;
	void *(*fn)(void *arg);
	int id;
	pthread_t th;
};

/* Noted for the main thread, which names a worker that does not stop. */
static void doing(struct ctx *c, const char *what)
{
	__atomic_store_n(&c->op, what, __ATOMIC_RELAXED);
}

static uint64_t rnd(struct ctx *c)
{
	uint64_t x = c->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	c->rng = x;
	return x;
}

static size_t rnd_below(struct ctx *c, size_t n)
{
	return (size_t)(rnd(c) % n);
}

static bool one_in(struct ctx *c, unsigned int n)
{
	return rnd_below(c, n) == 0;
}

static bool stopping(void)
{
	return __atomic_load_n(&R.sh->stop, __ATOMIC_RELAXED);
}

static void add(unsigned long *counter, unsigned long n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/*
 * A line on stderr, with write(2): children of a threaded process must not
 * take stdio's locks, which another thread may have held at the fork.
 */
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

static const char *errname(int err)
{
	const char *name = err ? strerrorname_np(err) : "0";

	return name ? name : "?";
}

static void count(enum kind k, int res)
{
	add(&R.sh->ops[k], 1);
	add(&R.sh->res[k][res >= 0 && res < RES_NR ? res : 0], 1);
}

static void bad_result(const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (__atomic_add_fetch(&R.sh->undocumented, 1, __ATOMIC_RELAXED) <=
	    REPORT_MAX)
		say("# race: not as documented (pid %d): %s", getpid(), buf);
}

/* --- loads and stores that may fault ----------------------------------- */

/* Where a thread's access that may fault goes back to. */
struct fault_catch {
	sigjmp_buf jb;
};

static __thread struct fault_catch *fault_jmp;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	struct fault_catch *fc = fault_jmp;

	if (!fc) {
		/* Not one of ours: die of it. */
		signal(sig, SIG_DFL);
		return;
	}
	fault_jmp = NULL;
	siglongjmp(fc->jb, sig);
}

/*
 * Store v at p, or load from p: 0, or the signal it took (SIGSEGV for a
 * hole, PROT_NONE or a read-only mapping; SIGBUS past the end of a file).
 * The signal fences keep the compiler from moving or dropping the stores
 * to fault_jmp, which only the handler reads.
 */
static int poke(uint32_t *p, uint32_t v, bool store)
{
	struct fault_catch fc;
	int sig;

	sig = sigsetjmp(fc.jb, 1);
	if (sig)
		return sig;
	fault_jmp = &fc;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (store)
		__atomic_store_n(p, v, __ATOMIC_RELAXED);
	else
		(void)__atomic_load_n(p, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	fault_jmp = NULL;
	return 0;
}

/* --- the arena ----------------------------------------------------------- */

static unsigned char *arena_at(size_t page)
{
	return R.arena + page * P;
}

/* A window of 1..WIN_MAX pages in the arena. */
static void window(struct ctx *c, size_t *page, size_t *n)
{
	*page = rnd_below(c, ARENA_PAGES);
	*n = 1 + rnd_below(c, WIN_MAX);
	if (*page + *n > ARENA_PAGES)
		*n = ARENA_PAGES - *page;
}

/*
 * Map something at [page, page + n) of the arena: the churn file shared
 * (read-write or read-only) or private, the truncated file, the stable
 * file read-only (its descriptor is, so mprotect() cannot make it
 * writable), anonymous memory or PROT_NONE.  Returns 0 or -errno.
 */
static int map_random(struct ctx *c, size_t page, size_t n, int fixed)
{
	int prot = PROT_READ | PROT_WRITE, flags = MAP_SHARED, fd = -1;
	size_t off = 0;
	void *p;

	switch (rnd_below(c, 8)) {
	case 0:
	case 1:
		fd = R.cfd;
		off = rnd_below(c, CHURN_PAGES - n + 1);
		break;
	case 2:
		fd = R.cfd;
		prot = PROT_READ;
		off = rnd_below(c, CHURN_PAGES - n + 1);
		break;
	case 3:
		fd = R.cfd;
		flags = MAP_PRIVATE;
		off = rnd_below(c, CHURN_PAGES - n + 1);
		break;
	case 4:
		fd = R.tfd;
		off = rnd_below(c, TRUNC_PAGES - n + 1);
		break;
	case 5:
		fd = R.sro;
		prot = PROT_READ;
		off = rnd_below(c, SLOTS - n + 1);
		break;
	case 6:
		flags = MAP_PRIVATE | MAP_ANONYMOUS;
		break;
	default:
		prot = PROT_NONE;
		flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
		break;
	}
	p = mmap(arena_at(page), n * P, prot, flags | fixed, fd,
		 (off_t)(off * P));
	if (p == MAP_FAILED)
		return -errno;
	if (p != arena_at(page)) {
		/* A kernel that ignores MAP_FIXED_NOREPLACE: not ours. */
		munmap(p, n * P);
		return -EEXIST;
	}
	return 0;
}

/* Linux's own msync(2) says ENOMEM for an unmapped page and does nothing. */
static bool is_hole(size_t page)
{
	return msync(arena_at(page), P, MS_ASYNC) && errno == ENOMEM;
}

/*
 * Map something into every hole of the arena.  Only one thread of a
 * process changes its arena, so a hole that cannot be filled without
 * replacing a mapping was taken by something else in the process: the
 * churn would then unmap memory that is not its own, and stops.
 */
static void refill(struct ctx *c)
{
	size_t page = 0, n;

	while (page < ARENA_PAGES) {
		if (!is_hole(page)) {
			page++;
			continue;
		}
		n = 1;
		while (page + n < ARENA_PAGES && n < WIN_MAX &&
		       is_hole(page + n))
			n++;
		if (map_random(c, page, n, MAP_FIXED_NOREPLACE)) {
			add(&R.sh->foreign, 1);
			__atomic_store_n(&R.sh->stop, 1, __ATOMIC_RELAXED);
			say("# race: pages %zu-%zu of the arena were taken by another mapping",
			    page, page + n - 1);
			return;
		}
		page += n;
	}
}

/* One change of the mappings; holes stay a little while, then are filled. */
static void op_churn(struct ctx *c)
{
	static const int prots[] = {
		PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE,
	};
	size_t page, n, to, keep;
	int err = 0;
	void *p;

	window(c, &page, &n);
	switch (rnd_below(c, 8)) {
	case 0:
	case 1:
	case 2:
		doing(c, "mmap");
		count(K_MMAP, -map_random(c, page, n, MAP_FIXED));
		return;
	case 3:
		doing(c, "munmap");
		err = munmap(arena_at(page), n * P) ? errno : 0;
		count(K_MUNMAP, err);
		break;
	case 4:
		doing(c, "mremap");
		to = rnd_below(c, ARENA_PAGES - n + 1);
		if (to < page + n && page < to + n) {
			/* Overlapping: shrink in place instead. */
			keep = rnd_below(c, n);
			p = mremap(arena_at(page), n * P, (keep ?: 1) * P, 0);
		} else {
			/* Unmaps the target first, even when it then fails. */
			p = mremap(arena_at(page), n * P, n * P,
				   MREMAP_MAYMOVE | MREMAP_FIXED, arena_at(to));
		}
		count(K_MREMAP, p == MAP_FAILED ? errno : 0);
		break;
	default:
		doing(c, "mprotect");
		err = mprotect(arena_at(page), n * P,
			       prots[rnd_below(c, ARRAY_SIZE(prots))]);
		count(K_MPROTECT, err ? errno : 0);
		return;
	}
	usleep(rnd_below(c, 2000));
	doing(c, "refill");
	refill(c);
}

static void op_lock(struct ctx *c)
{
	size_t page, n;

	window(c, &page, &n);
	if (one_in(c, 2)) {
		doing(c, "mlock");
		count(K_MLOCK, mlock(arena_at(page), n * P) ? errno : 0);
	} else {
		doing(c, "munlock");
		if (one_in(c, 8)) {
			page = 0;
			n = ARENA_PAGES;
		}
		count(K_MUNLOCK, munlock(arena_at(page), n * P) ? errno : 0);
	}
}

static void op_write(struct ctx *c)
{
	size_t page = rnd_below(c, ARENA_PAGES);
	size_t words = one_in(c, 4) ? P / 4 : 1;
	size_t w = rnd_below(c, P / 4 - words + 1);
	bool store = !one_in(c, 4);
	int sig = 0;

	doing(c, "store");
	for (; words-- && !sig; w++)
		sig = poke((uint32_t *)arena_at(page) + w,
			   (uint32_t)rnd(c), store);
	count(K_WRITE, sig);
}

/* --- msync and vm_msync over the arena ---------------------------------- */

static const int ms_flag_sets[] = {
	0, MS_ASYNC, MS_SYNC, MS_INVALIDATE, MS_INVALIDATE | MS_ASYNC,
	MS_INVALIDATE | MS_SYNC,
};

static const unsigned int vm_flag_sets[] = {
	0, ASYNC, SYNC, INVAL, INVAL | ASYNC, INVAL | SYNC,
};

/* A range of 1 page to the whole arena, mostly small. */
static void sync_range(struct ctx *c, size_t *page, size_t *n)
{
	window(c, page, n);
	if (one_in(c, 4)) {
		*page = rnd_below(c, ARENA_PAGES);
		*n = ARENA_PAGES - *page;
	}
}

/* The ABI's msync flags: the per-flag-set counters use them. */
static unsigned int ms_index(int flags)
{
	return ((flags & MS_ASYNC) ? VMSYNC_MS_ASYNC : 0) |
	       ((flags & MS_INVALIDATE) ? VMSYNC_MS_INVALIDATE : 0) |
	       ((flags & MS_SYNC) ? VMSYNC_MS_SYNC : 0);
}

/*
 * In the arena anything may be mapped, locked or gone: holes (ENOMEM),
 * and with MS_INVALIDATE a locked mapping, or pages another thread or
 * process locks, pins or redirties (EBUSY).  The caller may write every
 * file there, so no EACCES; the disk is healthy and has room, so no EIO
 * or ENOSPC; nothing kills the caller, so no EINTR.
 */
static bool msync_arena_ok(int flags, int err)
{
	return !err || err == ENOMEM ||
	       ((flags & MS_INVALIDATE) && err == EBUSY);
}

static void op_msync(struct ctx *c)
{
	int flags = ms_flag_sets[rnd_below(c, ARRAY_SIZE(ms_flag_sets))];
	size_t page, n;
	int err;

	sync_range(c, &page, &n);
	doing(c, "msync");
	err = vmsync_msync(arena_at(page), n * P, flags) ? errno : 0;
	count(K_MSYNC, err);
	add(&R.sh->ms_flags[ms_index(flags)], 1);
	if (!msync_arena_ok(flags, err))
		bad_result("vmsync_msync(arena page %zu, %zu pages, %#x): %s",
			   page, n, flags, errname(err));
}

/*
 * vm_msync: holes (KERN_INVALID_ADDRESS); with INVALIDATE, pages that
 * could not be dropped (KERN_FAILURE, EBUSY); INVALIDATE alone, dirty
 * pages whose previous contents the module cannot prove, such as a page
 * written by write() and never read back (KERN_FAILURE, EOPNOTSUPP).
 * Through a handle, also a process that has exited (KERN_INVALID_TASK).
 */
static bool vm_arena_ok(unsigned int flags, int kr, int err, bool task)
{
	switch (kr) {
	case KERN_SUCCESS:
		return true;
	case KERN_INVALID_ADDRESS:
		return err == ENOMEM;
	case KERN_FAILURE:
		return (flags & INVAL) &&
		       (err == EBUSY || (flags == INVAL && err == EOPNOTSUPP));
	case KERN_INVALID_TASK:
		return task && err == ESRCH;
	default:
		return false;
	}
}

static void op_vm_msync(struct ctx *c, vm_task_t task, enum kind k)
{
	unsigned int flags = vm_flag_sets[rnd_below(c, ARRAY_SIZE(vm_flag_sets))];
	struct vmsync_vm_msync_result res;
	vm_address_t addr;
	vm_size_t size;
	size_t page, n;
	int kr, err;

	sync_range(c, &page, &n);
	addr = (vm_address_t)arena_at(page);
	size = n * P;
	/* Rounded outward to pages. */
	if (one_in(c, 4)) {
		vm_size_t in = rnd_below(c, P);

		addr += in;
		size -= in + rnd_below(c, P - in);
	}
	doing(c, k == K_VM_TASK ? "vm_msync(handle)" : "vm_msync");
	kr = vmsync_vm_msync(task, addr, size, flags, &res);
	err = kr ? res.error : 0;
	count(k, err);
	add(&R.sh->kr[k][kr & 31], 1);
	add(&R.sh->vm_flags[flags & 7], 1);
	if (!vm_arena_ok(flags, kr, err, k == K_VM_TASK))
		bad_result("vm_msync(%d, arena page %zu, %zu pages, %#x): %s, %s",
			   task, page, n, flags,
			   vmsync_kern_return_string(kr), errname(err));
}

/* --- the stable file ----------------------------------------------------- */

/* Word i of slot s holds its generation xor this: zeros and strays show. */
static uint32_t slot_mix(unsigned int s, size_t i)
{
	return ((uint32_t)s + 1) * 0x9E3779B1u ^ (uint32_t)i * 0x85EBCA77u ^
	       0x5A5A5A5Au;
}

/* Do all words of a slot's page hold generations in [lo, hi]? */
static bool slot_in(uint32_t *w, unsigned int s,
		    unsigned int lo, unsigned int hi, size_t *bad,
		    unsigned int *got)
{
	size_t i;

	for (i = 0; i < P / 4; i++) {
		uint32_t g = __atomic_load_n(&w[i], __ATOMIC_RELAXED) ^
			     slot_mix(s, i);

		if (g < lo || g > hi) {
			*bad = i;
			*got = g;
			return false;
		}
	}
	return true;
}

/*
 * The owner's sync: MS_SYNC, no flag, MS_INVALIDATE alone or with MS_SYNC,
 * vm_msync SYNCHRONOUS with or without INVALIDATE.
 */
static int slot_sync(struct ctx *c, unsigned char *map, bool *inval,
		     int *krp)
{
	static const int ms[] = {
		MS_SYNC, 0, MS_INVALIDATE, MS_INVALIDATE | MS_SYNC,
	};
	unsigned int v = rnd_below(c, ARRAY_SIZE(ms) + 2), flags;
	struct vmsync_vm_msync_result res;
	int kr;

	*krp = -1;
	if (v < ARRAY_SIZE(ms)) {
		*inval = ms[v] & MS_INVALIDATE;
		add(&R.sh->ms_flags[ms_index(ms[v])], 1);
		return vmsync_msync(map, P, ms[v]) ? errno : 0;
	}
	flags = v == ARRAY_SIZE(ms) ? SYNC : SYNC | INVAL;
	*inval = flags & INVAL;
	add(&R.sh->vm_flags[flags], 1);
	kr = vmsync_vm_msync(vm_task_self(), (vm_address_t)map, P, flags,
			     &res);
	*krp = kr;
	return kr ? res.error : 0;
}

static void owner_step(struct ctx *c, unsigned int s)
{
	uint32_t *w = (uint32_t *)R.slot_map[s];
	unsigned int g = R.sh->written[s] + 1, lo = R.sh->synced[s], got;
	bool inval, ok;
	size_t i, bad;
	int err, kr;

	__atomic_store_n(&R.sh->written[s], g, __ATOMIC_RELAXED);
	doing(c, "slot write");
	/* Word by word: writeback may catch any mix of old and new words. */
	for (i = 0; i < P / 4; i++)
		__atomic_store_n(&w[i], g ^ slot_mix(s, i), __ATOMIC_RELAXED);
	doing(c, "slot sync");
	err = slot_sync(c, R.slot_map[s], &inval, &kr);
	count(K_SLOT_SYNC, err);
	if (kr >= 0)
		add(&R.sh->kr[K_SLOT_SYNC][kr & 31], 1);
	/* Its own mapping, never locked: only others' locks and pins count. */
	ok = kr < 0 ? !err || (inval && err == EBUSY) :
		      !kr || (inval && kr == KERN_FAILURE && err == EBUSY);
	if (!ok)
		bad_result("slot %u sync (%s): %s, %s", s,
			   kr < 0 ? "msync" : "vm_msync",
			   kr < 0 ? "-1" : vmsync_kern_return_string(kr),
			   errname(err));

	doing(c, "slot read back");
	if (!err && slot_in(w, s, g, g, &bad, &got)) {
		/* Synced and still there: the disk has it. */
		__atomic_store_n(&R.sh->synced[s], g, __ATOMIC_RELAXED);
		add(&R.sh->slot_synced, 1);
		return;
	}
	/* The discarder abandoned the write: the page reads back older. */
	if (!slot_in(w, s, lo, g, &bad, &got)) {
		add(&R.sh->corrupt, 1);
		bad_result("slot %u reads back generation %u at word %zu, wrote %u, synced %u",
			   s, got, bad, g, lo);
	} else if (!err) {
		add(&R.sh->slot_abandoned, 1);
	}
}

static void *owner_main(void *arg)
{
	struct ctx *c = arg;
	unsigned int s = c->id;

	while (!stopping()) {
		owner_step(c, s);
		s = (s + OWNERS) % SLOTS;
	}
	return NULL;
}

/*
 * VM_SYNC_INVALIDATE alone, and the other invalidating calls, over the
 * slots through a writable view nobody writes through.  The owners redirty
 * their pages at any time: EBUSY when a page stays dirty after the retries;
 * the arena's mlock holds pages: EBUSY.
 */
static void *discarder_main(void *arg)
{
	static const unsigned int vm[] = {
		INVAL, INVAL, INVAL, INVAL | ASYNC, INVAL | SYNC, ASYNC,
	};
	static const int ms[] = {
		MS_INVALIDATE, MS_INVALIDATE | MS_ASYNC, MS_ASYNC,
	};
	struct ctx *c = arg;

	while (!stopping()) {
		size_t first = rnd_below(c, SLOTS);
		size_t n = 1 + rnd_below(c, SLOTS - first);
		unsigned char *addr = R.sview + first * P;
		struct vmsync_vm_msync_result res;
		unsigned long long discarded = 0;
		unsigned int v = rnd_below(c, ARRAY_SIZE(vm) + ARRAY_SIZE(ms));
		int err, kr;

		doing(c, "discard");
		if (v < ARRAY_SIZE(vm)) {
			kr = vmsync_vm_msync(vm_task_self(), (vm_address_t)addr,
					     n * P, vm[v], &res);
			err = kr ? res.error : 0;
			discarded = res.pages_discarded;
			add(&R.sh->kr[K_DISCARD][kr & 31], 1);
			add(&R.sh->vm_flags[vm[v]], 1);
			if (kr && !((vm[v] & INVAL) && kr == KERN_FAILURE &&
				    err == EBUSY))
				bad_result("discarder vm_msync(slots %zu-%zu, %#x): %s, %s",
					   first, first + n - 1, vm[v],
					   vmsync_kern_return_string(kr),
					   errname(err));
		} else {
			v -= ARRAY_SIZE(vm);
			err = vmsync_msync_counts(addr, n * P, ms[v], NULL,
						  &discarded) ? errno : 0;
			add(&R.sh->ms_flags[ms_index(ms[v])], 1);
			if (err && !((ms[v] & MS_INVALIDATE) && err == EBUSY))
				bad_result("discarder msync(slots %zu-%zu, %#x): %s",
					   first, first + n - 1, ms[v],
					   errname(err));
		}
		count(K_DISCARD, err);
		add(&R.sh->discarded_pages, discarded);
		usleep(rnd_below(c, 1000));
	}
	return NULL;
}

/* --- the other workers --------------------------------------------------- */

/*
 * vm_msync through the handle thread's current handle, which it may
 * release (and the number be reused) meanwhile.  False if there is none.
 */
static bool op_vm_msync_handle(struct ctx *c)
{
	int task;

	__atomic_fetch_add(&R.sh->task_users, 1, __ATOMIC_SEQ_CST);
	task = __atomic_load_n(&R.sh->cur_task, __ATOMIC_SEQ_CST);
	if (task >= 0)
		op_vm_msync(c, task, K_VM_TASK);
	__atomic_fetch_sub(&R.sh->task_users, 1, __ATOMIC_SEQ_CST);
	return task >= 0;
}

static void *syncer_main(void *arg)
{
	struct ctx *c = arg;
	unsigned int v;

	while (!stopping()) {
		v = rnd_below(c, 10);
		if (v == 0 && op_vm_msync_handle(c))
			continue;
		if (v < 5)
			op_vm_msync(c, vm_task_self(), K_VM_MSYNC);
		else
			op_msync(c);
	}
	return NULL;
}

static void *writer_main(void *arg)
{
	struct ctx *c = arg;

	while (!stopping())
		op_write(c);
	return NULL;
}

static void *mapper_main(void *arg)
{
	struct ctx *c = arg;

	while (!stopping()) {
		op_churn(c);
		usleep(rnd_below(c, 500));
	}
	return NULL;
}

static void *locker_main(void *arg)
{
	struct ctx *c = arg;

	while (!stopping()) {
		op_lock(c);
		usleep(rnd_below(c, 2000));
	}
	return NULL;
}

/* Truncate, extend (write(), fallocate()) and punch holes in file T. */
static void *truncator_main(void *arg)
{
	struct ctx *c = arg;
	unsigned char buf[256];

	memset(buf, 0x7e, sizeof(buf));
	while (!stopping()) {
		off_t off = (off_t)(rnd_below(c, TRUNC_PAGES) * P);
		off_t len = (off_t)((1 + rnd_below(c, 4)) * P);
		int err;

		switch (rnd_below(c, 4)) {
		case 0:
			doing(c, "ftruncate");
			off = (off_t)rnd_below(c, TRUNC_PAGES * P + 1);
			if (one_in(c, 2))
				off &= ~(off_t)(P - 1);
			err = ftruncate(R.tfd, off) ? errno : 0;
			count(K_TRUNCATE, err);
			break;
		case 1:
			doing(c, "pwrite");
			off += (off_t)rnd_below(c, P - sizeof(buf));
			err = pwrite(R.tfd, buf, sizeof(buf), off) < 0 ?
			      errno : 0;
			count(K_EXTEND, err);
			break;
		case 2:
			doing(c, "fallocate");
			if (off + len > (off_t)(TRUNC_PAGES * P))
				len = (off_t)(TRUNC_PAGES * P) - off;
			err = fallocate(R.tfd, 0, off, len) ? errno : 0;
			count(K_EXTEND, err);
			break;
		default:
			doing(c, "punch hole");
			err = fallocate(R.tfd, FALLOC_FL_PUNCH_HOLE |
					FALLOC_FL_KEEP_SIZE, off, len) ?
			      errno : 0;
			count(K_PUNCH, err);
			break;
		}
		usleep(rnd_below(c, 3000));
	}
	return NULL;
}

/*
 * A child's life: ops of everything in its copy of the arena (the shared
 * file mappings are the parent's pages), then exit.  Single-threaded, it
 * is its arena's only mapper.
 */
static void child_run(struct ctx *parent, unsigned int ops)
{
	struct ctx c = { .rng = rnd(parent) | 1, .name = "child" };

	while (ops-- && !stopping()) {
		switch (rnd_below(&c, 8)) {
		case 0:
			op_churn(&c);
			break;
		case 1:
			op_lock(&c);
			break;
		case 2:
		case 3:
			op_write(&c);
			break;
		case 4:
		case 5:
			op_vm_msync(&c, vm_task_self(), K_VM_MSYNC);
			break;
		default:
			op_msync(&c);
			break;
		}
	}
	_exit(0);
}

static void *forker_main(void *arg)
{
	struct ctx *c = arg;

	while (!stopping()) {
		unsigned int ops = 1 + rnd_below(c, 16);
		pid_t pid;

		doing(c, "fork");
		pid = fork();
		if (pid == 0)
			child_run(c, ops);
		count(K_FORK, pid < 0 ? errno : 0);
		doing(c, "waitpid");
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	return NULL;
}

/*
 * Fork a child, make a handle on it, vm_msync through the handle while the
 * child works and exits (or is killed mid-call); once it is reaped the
 * handle must say KERN_INVALID_TASK; then release it.
 */
static void *handle_main(void *arg)
{
	struct ctx *c = arg;

	while (!stopping()) {
		unsigned int ops = 1 + rnd_below(c, 64), calls;
		vm_task_t task;
		bool strict;
		pid_t pid;
		int kr, err;

		doing(c, "fork");
		pid = fork();
		if (pid == 0)
			child_run(c, ops);
		count(K_FORK, pid < 0 ? errno : 0);
		if (pid < 0) {
			usleep(1000);
			continue;
		}
		doing(c, "vm_task_for_pid");
		kr = vm_task_for_pid(pid, &task);
		count(K_TASK_FOR_PID, kr ? errno : 0);
		add(&R.sh->kr[K_TASK_FOR_PID][kr & 31], 1);
		/* It may have exited already: no address space, ESRCH. */
		if (kr && !(kr == KERN_INVALID_ARGUMENT && errno == ESRCH))
			bad_result("vm_task_for_pid(child): %s, %s",
				   vmsync_kern_return_string(kr),
				   errname(errno));
		if (kr) {
			waitpid(pid, NULL, 0);
			continue;
		}
		__atomic_store_n(&R.sh->cur_task, task, __ATOMIC_RELAXED);
		for (calls = 1 + rnd_below(c, 16); calls--;) {
			op_vm_msync(c, task, K_VM_TASK);
			if (one_in(c, 16) || stopping())
				kill(pid, SIGKILL);
		}
		/*
		 * A call through a handle holds the address space: while one
		 * runs, the exited child's stays usable through every handle
		 * on it.  Half the time the syncers stop using this handle
		 * first, and once they are done it must be dead; otherwise
		 * they may use it up to its release, and what it gives is the
		 * arena's.
		 */
		strict = one_in(c, 2);
		if (strict)
			__atomic_store_n(&R.sh->cur_task, -1, __ATOMIC_SEQ_CST);
		doing(c, "waitpid");
		waitpid(pid, NULL, 0);
		while (strict && __atomic_load_n(&R.sh->task_users,
						 __ATOMIC_SEQ_CST))
			usleep(1000);

		doing(c, "vm_msync(reaped)");
		kr = vm_msync(task, (vm_address_t)R.arena, P, SYNC);
		err = kr ? errno : 0;
		count(K_VM_TASK, err);
		add(&R.sh->kr[K_VM_TASK][kr & 31], 1);
		add(&R.sh->vm_flags[SYNC], 1);
		if (strict ? kr != KERN_INVALID_TASK || err != ESRCH :
			     !vm_arena_ok(SYNC, kr, err, true))
			bad_result("vm_msync(handle of a reaped child%s): %s, %s",
				   strict ? "" : ", maybe in use",
				   vmsync_kern_return_string(kr),
				   errname(err));
		add(&R.sh->reaped_checked, strict);

		doing(c, "vm_task_release");
		kr = vm_task_release(task);
		__atomic_store_n(&R.sh->cur_task, -1, __ATOMIC_SEQ_CST);
		count(K_TASK_RELEASE, kr ? errno : 0);
		add(&R.sh->kr[K_TASK_RELEASE][kr & 31], 1);
		if (kr)
			bad_result("vm_task_release: %s, %s",
				   vmsync_kern_return_string(kr),
				   errname(errno));
	}
	return NULL;
}

/* --- the test ------------------------------------------------------------ */

/* Each worker, under a wrapper that notes its thread id. */
static void *worker_start(void *arg)
{
	struct ctx *c = arg;

	__atomic_store_n(&c->tid, gettid(), __ATOMIC_RELAXED);
	return c->fn(c);
}

/* Where a stuck thread waits in the kernel. */
static void show_stack(pid_t tid)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		fprintf(stderr, "# thread %d:\n%s", tid, buf);
	}
}

FIXTURE(race) {
	char dir[4096];
	char cpath[4200], tpath[4200], spath[4200];
	int disk;
	struct vt_writeback wb;
};

/* File S: SLOTS pages of generation 0, on the disk, out of the cache. */
static int create_stable(const char *path)
{
	uint32_t *buf = malloc(P);
	unsigned int s;
	size_t i;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || !buf)
		goto fail;
	for (s = 0; s < SLOTS; s++) {
		for (i = 0; i < P / 4; i++)
			buf[i] = slot_mix(s, i);
		if (pwrite(fd, buf, P, (off_t)(s * P)) != (ssize_t)P)
			goto fail;
	}
	/* Allocated, so the disk has the slots where FIEMAP says. */
	if (fsync(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		goto fail;
	free(buf);
	return fd;
fail:
	free(buf);
	if (fd >= 0)
		close(fd);
	return -1;
}

FIXTURE_SETUP(race)
{
	struct sigaction sa = {
		.sa_sigaction = on_fault,
		.sa_flags = SA_SIGINFO,
	};
	char name[64];
	unsigned int s;
	size_t page;

	started = vt_now();
	self->disk = -1;
	R.cfd = -1;
	R.tfd = -1;
	R.sfd = -1;
	R.sro = -1;
	ASSERT_LE(0, vmsync_fd()) TH_LOG("%s", vmsync_strerror(errno));
	snprintf(self->dir, sizeof(self->dir), "%s", vt_test_dir());
	snprintf(name, sizeof(name), "race-c-%d", getpid());
	snprintf(self->cpath, sizeof(self->cpath), "%s/%s", self->dir, name);
	R.cfd = vt_create_file(self->dir, name, CHURN_PAGES, false);
	ASSERT_LE(0, R.cfd);
	snprintf(name, sizeof(name), "race-t-%d", getpid());
	snprintf(self->tpath, sizeof(self->tpath), "%s/%s", self->dir, name);
	R.tfd = vt_create_file(self->dir, name, TRUNC_PAGES, false);
	ASSERT_LE(0, R.tfd);
	snprintf(self->spath, sizeof(self->spath), "%s/race-s-%d", self->dir,
		 getpid());
	R.sfd = create_stable(self->spath);
	ASSERT_LE(0, R.sfd) TH_LOG("cannot create %s", self->spath);
	R.sro = open(self->spath, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, R.sro);
	self->disk = vt_disk_open(R.sfd);
	ASSERT_LE(0, self->disk) TH_LOG("%s is not on a block device",
					self->spath);

	R.sh = mmap(NULL, sizeof(*R.sh), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, R.sh);
	R.sh->cur_task = -1;
	for (s = 0; s < SLOTS; s++) {
		R.slot_map[s] = mmap(NULL, P, PROT_READ | PROT_WRITE,
				     MAP_SHARED, R.sfd, (off_t)(s * P));
		ASSERT_NE(MAP_FAILED, R.slot_map[s]);
	}
	R.sview = mmap(NULL, SLOTS * P, PROT_READ | PROT_WRITE, MAP_SHARED,
		       R.sfd, 0);
	ASSERT_NE(MAP_FAILED, R.sview);
	R.arena = mmap(NULL, ARENA_PAGES * P, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, R.arena);
	for (page = 0; page < ARENA_PAGES; page += WIN_MAX) {
		struct ctx c = { .rng = 0x9E3779B97F4A7C15ULL + page };

		ASSERT_EQ(0, map_random(&c, page, WIN_MAX, MAP_FIXED));
	}

	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));

	/*
	 * Nothing but the calls under test writes the stable file's pages:
	 * a sync that claims success without writing leaves the disk behind.
	 */
	ASSERT_OK(vt_writeback_off(&self->wb));
}

FIXTURE_TEARDOWN(race)
{
	vt_writeback_restore(&self->wb);
	if (R.arena && R.arena != MAP_FAILED)
		munmap(R.arena, ARENA_PAGES * P);
	if (R.cfd >= 0) {
		close(R.cfd);
		unlink(self->cpath);
	}
	if (R.tfd >= 0) {
		close(R.tfd);
		unlink(self->tpath);
	}
	if (R.sro >= 0)
		close(R.sro);
	if (R.sfd >= 0) {
		close(R.sfd);
		unlink(self->spath);
	}
	if (self->disk >= 0)
		close(self->disk);
}

static unsigned int race_seconds(void)
{
	const char *env = getenv("VMSYNC_RACE_SECONDS");
	unsigned long v;

	if (!env || !*env)
		return DEFAULT_SECONDS;
	v = strtoul(env, NULL, 10);
	if (v < 1)
		return 1;
	return v > MAX_SECONDS ? MAX_SECONDS : (unsigned int)v;
}

/* requests_pending, from sysfs and from the ioctl; -1 if unreadable. */
static long long pending(void)
{
	struct vmsync_stats st;
	char buf[32];
	long long sysfs;

	if (vt_read_file(STATS_PENDING, buf, sizeof(buf)))
		return -1;
	sysfs = strtoll(buf, NULL, 10);
	memset(&st, 0, sizeof(st));
	if (vmsync_get_stats(&st))
		return -1;
	return sysfs > (long long)st.requests_pending ? sysfs :
	       (long long)st.requests_pending;
}

/* Append to a line, never past its end. */
static void append(char *line, size_t size, size_t *len, const char *fmt,
		   ...)
{
	va_list ap;
	int n;

	if (*len >= size - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n < size - *len ? (size_t)n : size - 1 - *len;
}

/* One kind's results: kern_return_t values, then errnos (signals). */
static void print_results(enum kind k)
{
	const char *sep = "";
	char line[1024];
	size_t len = 0;
	int i;

	append(line, sizeof(line), &len, "# race: %s:", kind_name[k]);
	for (i = 0; i < 32; i++) {
		if (!R.sh->kr[k][i])
			continue;
		append(line, sizeof(line), &len, "%s %s %lu", sep,
		       vmsync_kern_return_string(i), R.sh->kr[k][i]);
		sep = ",";
	}
	if (*sep)
		append(line, sizeof(line), &len, ";");
	sep = "";
	for (i = 0; i < RES_NR; i++) {
		if (!R.sh->res[k][i])
			continue;
		if (k == K_WRITE)
			append(line, sizeof(line), &len, "%s %s %lu", sep,
			       i ? strsignal(i) : "done", R.sh->res[k][i]);
		else
			append(line, sizeof(line), &len, "%s %s %lu", sep,
			       i ? errname(i) : "ok", R.sh->res[k][i]);
		sep = ",";
	}
	printf("%s\n", line);
}

TEST_F_TIMEOUT(race, stress, MAX_SECONDS + STOP_SECONDS + DRAIN_SECONDS + 300)
{
	static const char *const vm_names[8] = {
		"none", "ASYNCHRONOUS", "SYNCHRONOUS", "?",
		"INVALIDATE", "INVALIDATE|ASYNCHRONOUS",
		"INVALIDATE|SYNCHRONOUS", "?",
	};
	static const char *const ms_names[8] = {
		"0", "MS_ASYNC", "MS_INVALIDATE", "MS_INVALIDATE|MS_ASYNC",
		"MS_SYNC", "?", "MS_INVALIDATE|MS_SYNC", "?",
	};
	static const struct {
		void *(*fn)(void *arg);
		const char *name;
	} workers[] = {
		{ discarder_main, "discarder" },
		{ syncer_main, "syncer" },
		{ syncer_main, "syncer" },
		{ writer_main, "writer" },
		{ mapper_main, "mapper" },
		{ locker_main, "locker" },
		{ truncator_main, "truncator" },
		{ forker_main, "forker" },
		{ handle_main, "handle maker" },
	};
	const unsigned int nworkers = OWNERS + ARRAY_SIZE(workers);
	struct ctx *ctx;
	unsigned int seconds = race_seconds(), nctx = 0, i, s;
	char line[1024];
	size_t len;
	unsigned long long seed;
	unsigned long synced_total = 0, inconsistent = 0;
	uint32_t *buf;
	long long left = -1;
	double start, deadline, ran;
	bool stuck = false;
	size_t bad;
	unsigned int got;

	ctx = calloc(nworkers, sizeof(*ctx));
	ASSERT_NE(NULL, ctx);
	buf = aligned_alloc(P, P);
	ASSERT_NE(NULL, buf);
	seed = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 20);
	ksft_print_msg("race: %u s, seed %llu\n", seconds, seed);
	fflush(stdout);
	fflush(stderr);

	/* Every worker has its seed before any starts. */
	for (i = 0; i < nworkers; i++) {
		ctx[i].name = i < OWNERS ? "owner" : workers[i - OWNERS].name;
		ctx[i].id = i;
		ctx[i].rng = seed * 0x100000001B3ULL + i * 7919 + 1;
		ctx[i].fn = i < OWNERS ? owner_main : workers[i - OWNERS].fn;
	}
	for (nctx = 0; nctx < nworkers; nctx++)
		ASSERT_EQ(0, pthread_create(&ctx[nctx].th, NULL, worker_start,
					    &ctx[nctx]));

	start = vt_now();
	while (vt_now() - start < seconds && !stopping())
		usleep(100000);
	__atomic_store_n(&R.sh->stop, 1, __ATOMIC_RELAXED);
	ran = vt_now() - start;

	/* A worker that does not come back is stuck in a call. */
	deadline = vt_now() + STOP_SECONDS;
	for (i = 0; i < nctx; i++) {
		int err;

		while ((err = pthread_tryjoin_np(ctx[i].th, NULL)) == EBUSY &&
		       vt_now() < deadline)
			usleep(10000);
		if (err) {
			TH_LOG("%s %u still in %s %d s after the stop",
			       ctx[i].name, i,
			       __atomic_load_n(&ctx[i].op, __ATOMIC_RELAXED),
			       STOP_SECONDS);
			show_stack(__atomic_load_n(&ctx[i].tid,
						   __ATOMIC_RELAXED));
			stuck = true;
		}
	}
	ASSERT_FALSE(stuck);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;

	/* Killed callers' requests complete on their own: wait for them. */
	deadline = vt_now() + DRAIN_SECONDS;
	while ((left = pending()) > 0 && vt_now() < deadline)
		usleep(50000);
	EXPECT_EQ(0, left) TH_LOG("%s: %lld requests still pending",
				  STATS_PENDING, left);

	/* The disk holds, in every word, a generation no older than the last sync. */
	for (s = 0; s < SLOTS; s++) {
		unsigned int lo = R.sh->synced[s], hi = R.sh->written[s];

		synced_total += lo;
		ASSERT_OK(vt_disk_read_page(self->disk, R.sfd, s, buf));
		if (!slot_in(buf, s, lo, hi, &bad, &got)) {
			inconsistent++;
			TH_LOG("slot %u: disk has generation %u at word %zu; synced %u, written %u",
			       s, got, bad, lo, hi);
		}
	}

	/* One line of totals, then a line per kind. */
	len = 0;
	append(line, sizeof(line), &len, "# race:");
	for (i = 0; i < K_NR; i++)
		append(line, sizeof(line), &len, "%s %lu %s",
		       i ? "," : "", R.sh->ops[i], kind_short[i]);
	printf("%s in %.1f s\n", line, ran);
	for (i = 0; i < K_NR; i++)
		print_results(i);
	for (i = 0; i < 8; i++)
		if (R.sh->ms_flags[i])
			printf("# race: msync %s: %lu calls\n", ms_names[i],
			       R.sh->ms_flags[i]);
	for (i = 0; i < 8; i++)
		if (R.sh->vm_flags[i])
			printf("# race: vm_msync %s: %lu calls\n", vm_names[i],
			       R.sh->vm_flags[i]);
	printf("# race: stable file: %d slots, %lu generations synced and read back,",
	       SLOTS, R.sh->slot_synced);
	printf(" %lu writes abandoned to discards, %lu pages dropped by the discarder\n",
	       R.sh->slot_abandoned, R.sh->discarded_pages);
	printf("# race: on the disk every slot at or past its last synced generation: %s\n",
	       inconsistent ? "NO" : "yes");
	printf("# race: %lu handles said KERN_INVALID_TASK once their child was reaped\n",
	       R.sh->reaped_checked);
	printf("# race: %.1f s in all, %lld requests pending at the end\n",
	       vt_now() - started, left);
	fflush(stdout);

	EXPECT_EQ(0, R.sh->undocumented);
	EXPECT_EQ(0, R.sh->corrupt);
	EXPECT_EQ(0, R.sh->foreign);
	EXPECT_EQ(0, inconsistent);
	/* The run did what it is for. */
	EXPECT_LT(0, R.sh->slot_synced);
	EXPECT_LT(0, synced_total);
	/*
	 * Braces: EXPECT_*() is two statements, TH_LOG() the second's body;
	 * without them it would run after the loop, i past the arrays' end.
	 */
	for (i = 0; i < ARRAY_SIZE(ms_flag_sets); i++) {
		EXPECT_LT(0, R.sh->ms_flags[ms_index(ms_flag_sets[i])])
			TH_LOG("msync %s never ran",
			       ms_names[ms_index(ms_flag_sets[i])]);
	}
	for (i = 0; i < ARRAY_SIZE(vm_flag_sets); i++) {
		EXPECT_LT(0, R.sh->vm_flags[vm_flag_sets[i]])
			TH_LOG("vm_msync %s never ran",
			       vm_names[vm_flag_sets[i]]);
	}
	free(buf);
	free(ctx);
}

TEST_HARNESS_MAIN
